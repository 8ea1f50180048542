// OCI seccomp profiles are compiled with libseccomp in the parent, which proves every name and action is valid
// before a container starts, and yields BPF that a fork child can load with one raw syscall.
#include "kyr.h"
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct kyr_seccomp { scmp_filter_ctx ctx; };

static int to_action(int action, int err, uint32_t *out) {
    switch (action) {
    case KYR_SCMP_ALLOW: *out = SCMP_ACT_ALLOW; return 0;
    case KYR_SCMP_ERRNO: *out = SCMP_ACT_ERRNO((uint16_t)err); return 0;
    case KYR_SCMP_KILL_PROCESS: *out = SCMP_ACT_KILL_PROCESS; return 0;
    case KYR_SCMP_KILL_THREAD: *out = SCMP_ACT_KILL_THREAD; return 0;
    case KYR_SCMP_TRAP: *out = SCMP_ACT_TRAP; return 0;
    case KYR_SCMP_LOG: *out = SCMP_ACT_LOG; return 0;
    default: return -EINVAL;
    }
}

int kyr_seccomp_new(kyr_seccomp **out, int default_action, int default_errno) {
    uint32_t action;
    if (to_action(default_action, default_errno, &action) != 0) return -EINVAL;
    kyr_seccomp *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->ctx = seccomp_init(action);
    if (!s->ctx) { free(s); return -EINVAL; }
    // The filter must not fail a syscall just because the caller's own NO_NEW_PRIVS state differs.
    seccomp_attr_set(s->ctx, SCMP_FLTATR_CTL_NNP, 0);
    *out = s;
    return 0;
}

int kyr_seccomp_add_arch(kyr_seccomp *s, const char *name) {
    static const struct { const char *name; uint32_t token; } arches[] = {
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64}, {"SCMP_ARCH_X86", SCMP_ARCH_X86}, {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64}, {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    };
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++) {
        if (strcmp(arches[i].name, name) == 0) {
            int rc = seccomp_arch_add(s->ctx, arches[i].token);
            return (rc == 0 || rc == -EEXIST) ? 0 : rc;
        }
    }
    return -EINVAL;
}

int kyr_seccomp_add(kyr_seccomp *s, const char *syscall_name, int action, int err) {
    int nr = seccomp_syscall_resolve_name(syscall_name);
    if (nr == __NR_SCMP_ERROR) return 1;   // unknown to this libseccomp: skipped, as runc does
    uint32_t act;
    if (to_action(action, err, &act) != 0) return -EINVAL;
    int rc = seccomp_rule_add(s->ctx, act, nr, 0);
    return rc == -EEXIST ? 0 : rc;   // -EEXIST: same action already present
}

int kyr_seccomp_add_cond(kyr_seccomp *s, const char *syscall_name, int action, int err, unsigned count,
                         const unsigned *index, const int *op, const uint64_t *value, const uint64_t *value_two) {
    if (count == 0 || count > 6) return -EINVAL;
    int nr = seccomp_syscall_resolve_name(syscall_name);
    if (nr == __NR_SCMP_ERROR) return 1;
    uint32_t act;
    if (to_action(action, err, &act) != 0) return -EINVAL;
    struct scmp_arg_cmp cmp[6];
    memset(cmp, 0, sizeof cmp);
    for (unsigned i = 0; i < count; i++) {
        if (index[i] > 5 || op[i] < SCMP_CMP_NE || op[i] > SCMP_CMP_MASKED_EQ) return -EINVAL;
        cmp[i].arg = index[i];
        cmp[i].op = (enum scmp_compare)op[i];
        cmp[i].datum_a = value[i];
        cmp[i].datum_b = value_two[i];
    }
    int rc = seccomp_rule_add_array(s->ctx, act, nr, count, cmp);
    return rc == -EEXIST ? 0 : rc;
}

int kyr_seccomp_export(kyr_seccomp *s, kyr_bpf *out) {
    int fd = memfd_create("kyr-bpf", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = seccomp_export_bpf(s->ctx, fd);
    if (rc != 0) { close(fd); return rc; }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % 8 != 0 || size / 8 > 4096) { close(fd); return -E2BIG; }
    void *buf = malloc((size_t)size);
    if (!buf) { close(fd); return -ENOMEM; }
    if (pread(fd, buf, (size_t)size, 0) != size) { free(buf); close(fd); return -EIO; }
    close(fd);
    out->filter = buf;
    out->len = (unsigned short)(size / 8);
    return 0;
}

void kyr_seccomp_free(kyr_seccomp *s) {
    if (!s) return;
    seccomp_release(s->ctx);
    free(s);
}

void kyr_bpf_free(kyr_bpf *bpf) {
    if (!bpf) return;
    free(bpf->filter);
    bpf->filter = NULL;
    bpf->len = 0;
}
