// Identity changes. The process is single-threaded whenever these run (checked by the Swift caller), so glibc's
// setxid broadcast has nothing to disagree with.
#include "kyr.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int kyr_getresuid(uid_t *r, uid_t *e, uid_t *s) { return getresuid(r, e, s) == 0 ? 0 : -errno; }
int kyr_getresgid(gid_t *r, gid_t *e, gid_t *s) { return getresgid(r, e, s) == 0 ? 0 : -errno; }

int kyr_become_root(void) {
    gid_t root_group = 0;
    if (setresuid(-1, 0, -1) != 0) return -errno;   // effective root first: needed for the gid changes
    if (setgroups(1, &root_group) != 0) return -errno;
    if (setresgid(0, 0, 0) != 0) return -errno;
    if (setresuid(0, 0, 0) != 0) return -errno;
    return 0;
}

int kyr_set_effective(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups) {
    if (setresuid(-1, 0, -1) != 0) return -errno;
    if (setgroups(ngroups, groups) != 0) return -errno;
    if (setresgid(-1, gid, -1) != 0) return -errno;
    if (setresuid(-1, uid, -1) != 0) return -errno;
    return 0;
}

int kyr_restore_root(void) {
    gid_t root_group = 0;
    if (setresuid(-1, 0, -1) != 0) return -errno;
    if (setresgid(-1, 0, -1) != 0) return -errno;
    if (setgroups(1, &root_group) != 0) return -errno;
    return 0;
}

int kyr_caller_in_group(gid_t gid) {
    gid_t r, e, s;
    if (getresgid(&r, &e, &s) != 0) return -errno;
    if (r == gid) return 1;   // never the egid: the setgid bit makes that the NM group for everyone
    int n = getgroups(0, NULL);
    if (n < 0) return -errno;
    gid_t *list = calloc((size_t)n + 1, sizeof(gid_t));
    if (!list) return -ENOMEM;
    n = getgroups(n, list);
    int found = 0;
    for (int i = 0; i < n; i++) if (list[i] == gid) found = 1;
    free(list);
    return n < 0 ? -errno : found;
}

int kyr_lookup_user(const char *name, uid_t *uid, gid_t *gid, char *home, size_t home_len) {
    struct passwd pw, *result = NULL;
    char buf[16384];
    int rc = getpwnam_r(name, &pw, buf, sizeof buf, &result);
    if (rc != 0) return -rc;
    if (!result) return -ENOENT;
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    if (home && home_len) {
        strncpy(home, pw.pw_dir ? pw.pw_dir : "/", home_len - 1);
        home[home_len - 1] = '\0';
    }
    return 0;
}

int kyr_lookup_group(const char *name, gid_t *gid) {
    struct group gr, *result = NULL;
    char buf[65536];
    int rc = getgrnam_r(name, &gr, buf, sizeof buf, &result);
    if (rc != 0) return -rc;
    if (!result) return -ENOENT;
    *gid = gr.gr_gid;
    return 0;
}

int kyr_user_groups(const char *name, gid_t base, gid_t *groups, int *ngroups) {
    int n = *ngroups;
    if (getgrouplist(name, base, groups, &n) < 0) { *ngroups = n; return -ERANGE; }
    *ngroups = n;
    return 0;
}

int kyr_set_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno; }

int kyr_close_range_cloexec(unsigned first) {
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
    return syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0 ? 0 : -errno;
}
