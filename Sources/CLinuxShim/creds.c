// Identity changes. The process is single-threaded whenever these run (checked by the Swift caller), so glibc's
// setxid broadcast has nothing to disagree with.
#include "kyr.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>
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

// Acting as someone: real, effective and saved uid and gid, and the supplementary groups all become theirs, so the
// kernel judges every call exactly as it would judge that user (kill(2) also matches on the real uid). The way back
// is kept in the permitted capability set only (PR_SET_KEEPCAPS): nothing is effective while we act as the user.
// Only from full root: identities never nest.
int kyr_assume_identity(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups) {
    uid_t r, e, s;
    gid_t rg = 0, eg = 0, sg = 0;
    if (getresuid(&r, &e, &s) != 0) return -errno;
    if (r != 0 || e != 0 || s != 0) return -EBUSY;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return -errno;
    int err = 0;
    if (setgroups(ngroups, groups) != 0) err = errno;
    else if (setresgid(gid, gid, gid) != 0) err = errno;
    else if (setresuid(uid, uid, uid) != 0) err = errno;
    else if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0) err = errno;
    else if (r != uid || e != uid || s != uid || rg != gid || eg != gid || sg != gid) err = EPERM;
    if (err == 0) return 0;
    kyr_return_to_root();
    return -err;
}

static void die_identity(const char *what, int err) {
    char line[160];
    int n = snprintf(line, sizeof line, "fatal: cannot return to root after acting as a user (%s: %s)\n", what, strerror(err));
    if (n > 0) { ssize_t ignored = write(2, line, (size_t)n); (void)ignored; }
    _exit(6);   // SETUID_OPER_FAILED: never go on with an identity we cannot vouch for
}

void kyr_return_to_root(void) {
    gid_t root_group = 0;
    cap_t caps = cap_get_proc();
    if (!caps) die_identity("cap_get_proc", errno);
    cap_value_t needed[2] = {CAP_SETUID, CAP_SETGID};
    int rc = cap_set_flag(caps, CAP_EFFECTIVE, 2, needed, CAP_SET);
    if (rc == 0) rc = cap_set_proc(caps);
    int err = errno;
    cap_free(caps);
    if (rc != 0) die_identity("raise CAP_SETUID", err);
    if (setresuid(0, 0, 0) != 0) die_identity("setresuid", errno);   // effective caps = permitted again
    if (setresgid(0, 0, 0) != 0) die_identity("setresgid", errno);
    if (setgroups(1, &root_group) != 0) die_identity("setgroups", errno);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) die_identity("keepcaps", errno);
    uid_t r = 1, e = 1, s = 1;
    gid_t rg = 1, eg = 1, sg = 1;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0) die_identity("getresuid", errno);
    if (r | e | s | rg | eg | sg) die_identity("verify", EPERM);
}

// Hadoop's signal_container_as_user in a short-lived child that permanently becomes the user: the group first
// (kill(-pid)), the single process when the group probe fails. The child's exit code is the answer.
int kyr_signal_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, pid_t pid, int sig) {
    if (pid <= 1 || uid == 0) return -EINVAL;
    pid_t child = fork();
    if (child < 0) return -errno;
    if (child == 0) {
        if (setgroups(ngroups, groups) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) _exit(6);
        uid_t r, e, s;
        if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid) _exit(6);
        pid_t target = -pid;
        if (kill(target, 0) != 0) {
            if (kill(pid, 0) != 0) _exit(errno == ESRCH ? 9 : 255);
            target = pid;
        }
        if (sig != 0 && kill(target, sig) != 0) _exit(errno == ESRCH ? 9 : 8);
        _exit(0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) { if (errno != EINTR) return -errno; }
    if (!WIFEXITED(status)) return -ECHILD;
    return WEXITSTATUS(status);
}

// The real uid and process group of `pid`, read through a pidfd so that a pid recycled between the reads is
// noticed (the pidfd must still be alive after them). -ESRCH when it is gone.
int kyr_process_owner(pid_t pid, uid_t *real_uid, pid_t *pgid) {
    if (pid <= 0) return -EINVAL;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return -errno;
    char path[64], buf[4096];
    int found = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (f) {
        while (fgets(buf, sizeof buf, f)) {
            unsigned long value;
            if (sscanf(buf, "Uid: %lu", &value) == 1) { *real_uid = (uid_t)value; found |= 1; break; }
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        char *end = strrchr(buf, ')');   // the command name may hold spaces and parentheses
        int parent = 0, group = 0;
        char state;
        if (end && sscanf(end + 1, " %c %d %d", &state, &parent, &group) == 3) { *pgid = group; found |= 2; }
    }
    int alive = (int)syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
    int err = errno;
    close(pidfd);
    if (!alive) return err == ESRCH ? -ESRCH : -err;
    return found == 3 ? 0 : -ESRCH;
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
