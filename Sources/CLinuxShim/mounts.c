// Mounting image layers for --run-runc-container: each squashfs layer is attached to a read-only loop device
// with LO_FLAGS_AUTOCLEAR (the device frees itself when the last user, the mount, goes away) and mounted
// read-only; an overlay with a per-container upper dir becomes the rootfs.
#include "kyr.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

int kyr_loop_attach_fd(int file_fd, char *device, size_t device_len) {
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0) return -errno;
    for (int attempt = 0; attempt < 8; attempt++) {
        int number = ioctl(control, LOOP_CTL_GET_FREE);
        if (number < 0) { int e = errno; close(control); return -e; }
        snprintf(device, device_len, "/dev/loop%d", number);
        int loop = open(device, O_RDONLY | O_CLOEXEC);
        if (loop < 0) { int e = errno; close(control); return -e; }
        struct loop_config config;
        memset(&config, 0, sizeof config);
        config.fd = (unsigned)file_fd;
        config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
        if (ioctl(loop, LOOP_CONFIGURE, &config) == 0) { close(control); return loop; }
        int e = errno;
        close(loop);
        if (e != EBUSY) { close(control); return -e; }   // EBUSY: another process took it first; try the next
    }
    close(control);
    return -EBUSY;
}

int kyr_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data) == 0 ? 0 : -errno;
}

int kyr_umount(const char *target, int detach) {
    return umount2(target, (detach ? MNT_DETACH : 0) | UMOUNT_NOFOLLOW) == 0 ? 0 : -errno;
}
