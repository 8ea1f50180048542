// Opening paths under user-writable trees without ever following a symlink. openat2(RESOLVE_NO_SYMLINKS) is the
// primary path (Linux 5.6+); kernels without it get an equivalent component-by-component O_NOFOLLOW walk.
#include "kyr.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int walk_open(const char *path, int flags, unsigned mode) {
    if (path[0] != '/') return -EINVAL;
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -errno;
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf) { close(dir); return -ENAMETOOLONG; }
    memcpy(buf, path, len + 1);
    char *save = NULL;
    char *part = strtok_r(buf, "/", &save);
    if (!part) return dir;   // "/" itself
    for (;;) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(part, "..") == 0 || strcmp(part, ".") == 0) { close(dir); return -EINVAL; }
        int f = next ? (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : (flags | O_NOFOLLOW | O_CLOEXEC);
        int fd = openat(dir, part, f, mode);
        int e = errno;
        close(dir);
        if (fd < 0) return -e;
        if (!next) return fd;
        dir = fd;
        part = next;
    }
}

int kyr_open_nofollow(const char *path, int flags, unsigned mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd >= 0) return (int)fd;
    if (errno != ENOSYS && errno != EPERM) return -errno;   // EPERM: a seccomp filter that blocks openat2
    return walk_open(path, flags, mode);
}

int kyr_open_parent(const char *path, char *name, size_t name_len) {
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/' || len >= 4096) return -EINVAL;
    while (len > 1 && path[len - 1] == '/') len--;
    const char *slash = path + len;
    while (slash > path && *(slash - 1) != '/') slash--;
    size_t base_len = (size_t)(path + len - slash);
    if (base_len == 0 || base_len >= name_len) return -ENAMETOOLONG;
    memcpy(name, slash, base_len);
    name[base_len] = '\0';
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return -EINVAL;
    char parent[4096];
    size_t parent_len = (size_t)(slash - path);
    if (parent_len == 0) parent_len = 1;
    memcpy(parent, path, parent_len);
    parent[parent_len] = '\0';
    return kyr_open_nofollow(parent, O_PATH | O_DIRECTORY, 0);
}

int kyr_openat(int dirfd, const char *name, int flags, unsigned mode) {
    int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    return fd < 0 ? -errno : fd;
}

int kyr_uname_nodename(char *buf, size_t len) {
    struct utsname u;
    if (uname(&u) != 0) return -errno;
    strncpy(buf, u.nodename, len - 1);
    buf[len - 1] = '\0';
    return 0;
}

int kyr_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno; }

int kyr_rename_noreplace(int dirfd, const char *from, const char *to) {
    return syscall(SYS_renameat2, dirfd, from, dirfd, to, 1 /* RENAME_NOREPLACE */) == 0 ? 0 : -errno;
}
