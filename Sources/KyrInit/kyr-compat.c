// kyr-compat.so: preloaded into containers under runsc only. Debian 12's gVisor (release 20221219) answers
// statx/fstatat with EINVAL when AT_NO_AUTOMOUNT is set, so coreutils' `ls -l` fails, and YARN's
// launch_container.sh runs `ls -l` under `set -e`: every YARN container would die before its command.
// The flag only matters for automount points, which a sandbox has none of; we clear it and call the kernel.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
