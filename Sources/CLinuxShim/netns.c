// Network namespaces and the IPAM lock for routed networking (docs/networking.md). The launcher is
// single-threaded, so switching its own network namespace with setns(2) and back is safe: helpers it spawns
// meanwhile (ip) inherit the namespace it is in.
#include "kyr.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

int kyr_netns_open_current(void) {
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int kyr_netns_create(const char *path) {
    int original = kyr_netns_open_current();
    if (original < 0) return original;
    int file = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (file < 0) { int e = errno; close(original); return -e; }
    close(file);
    int rc = 0;
    if (unshare(CLONE_NEWNET) != 0) {
        rc = -errno;
    } else {
        if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) != 0) rc = -errno;
        if (setns(original, CLONE_NEWNET) != 0 && rc == 0) rc = -errno;
    }
    close(original);
    if (rc != 0) unlink(path);
    return rc;
}

int kyr_netns_enter(const char *path) {
    int original = kyr_netns_open_current();
    if (original < 0) return original;
    int target = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0) { int e = errno; close(original); return -e; }
    int rc = setns(target, CLONE_NEWNET);
    int e = errno;
    close(target);
    if (rc != 0) { close(original); return -e; }
    return original;
}

int kyr_netns_restore(int original) {
    int rc = setns(original, CLONE_NEWNET);
    int e = errno;
    close(original);
    return rc == 0 ? 0 : -e;
}

int kyr_lock_file(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

void kyr_unlock_file(int fd) {
    if (fd < 0) return;
    flock(fd, LOCK_UN);
    close(fd);
}
