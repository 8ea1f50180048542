// kyr-compat.so: preloaded into containers under runsc only, for two bugs of Debian 12's gVisor (20221219).
//
// 1. statx/fstatat answer EINVAL when AT_NO_AUTOMOUNT is set, so coreutils' `ls -l` fails, and YARN's
//    launch_container.sh runs `ls -l` under `set -e`: every YARN container would die before its command. The flag
//    only matters for automount points, which a sandbox has none of; we clear it and call the kernel.
// 2. read(2) on a *blocking* TCP socket answers EAGAIN instead of waiting for data (recv(2) waits). PySpark's
//    worker daemon reads its socket with read(2), so every Python task died with EOFError. A blocking fd that
//    answers EAGAIN without a receive timeout can only be this bug: we wait until it is readable and read again.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf) {
    return (int)syscall(SYS_statx, dirfd, path, flags & ~AT_NO_AUTOMOUNT, mask, buf);
}

int fstatat(int dirfd, const char *path, struct stat *buf, int flags) {
    return (int)syscall(SYS_newfstatat, dirfd, path, buf, flags & ~AT_NO_AUTOMOUNT);
}

int fstatat64(int dirfd, const char *path, struct stat64 *buf, int flags) {
    return (int)syscall(SYS_newfstatat, dirfd, path, buf, flags & ~AT_NO_AUTOMOUNT);
}

// True when EAGAIN from `fd` cannot be legitimate: the fd is blocking and has no receive timeout.
static int eagain_is_spurious(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK)) return 0;
    struct timeval timeout = {0, 0};
    socklen_t length = sizeof timeout;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, &length) != 0) return 0;   // not a socket: leave it
    return timeout.tv_sec == 0 && timeout.tv_usec == 0;
}

ssize_t read(int fd, void *buf, size_t count) {
    for (;;) {
        ssize_t n = syscall(SYS_read, fd, buf, count);
        if (n >= 0 || errno != EAGAIN) return n;
        int saved = errno;
        if (!eagain_is_spurious(fd)) { errno = saved; return n; }
        struct pollfd wanted = {fd, POLLIN, 0};
        while (poll(&wanted, 1, -1) < 0 && errno == EINTR) {}
    }
}

// glibc's fortified callers (_FORTIFY_SOURCE) reach read(2) through __read_chk.
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen) {
    if (count > buflen) abort();   // what glibc's __chk_fail does: a buffer overflow is never carried out
    return read(fd, buf, count);
}
