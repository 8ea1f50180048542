// The identity core (Sources/CLinuxShim/creds.c) against the kernel, as root: acting as a user changes every uid,
// gid and group and leaves no capability effective; the way back restores root exactly; a way back that fails
// ends the process with 6 instead of going on; a signal sent for a user reaches only that user's processes.
// Built and run by `make test-core` (part of `make test`). Prints "N passed, N failed".
#include "kyr.h"
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed;
#define CHECK(cond, what) do { if (cond) passed++; else { failed++; fprintf(stderr, "FAIL %s:%d %s\n", __FILE__, __LINE__, what); } } while (0)

static const uid_t USER = 65534;   // nobody
static const gid_t GROUP = 65534;

static int effective_caps_empty(void) {
    cap_t caps = cap_get_proc();
    cap_t none = cap_init();
    cap_clear(none);
    cap_t effective_only = cap_dup(caps);
    cap_clear_flag(effective_only, CAP_PERMITTED);
    cap_clear_flag(effective_only, CAP_INHERITABLE);
    int empty = cap_compare(effective_only, none) == 0;
    cap_free(caps); cap_free(none); cap_free(effective_only);
    return empty;
}

static int has_effective(cap_value_t cap) {
    cap_t caps = cap_get_proc();
    cap_flag_value_t value = CAP_CLEAR;
    cap_get_flag(caps, cap, CAP_EFFECTIVE, &value);
    cap_free(caps);
    return value == CAP_SET;
}

static void test_full_switch_and_return(void) {
    gid_t groups[2] = {GROUP, 4242};
    CHECK(kyr_assume_identity(USER, GROUP, groups, 2) == 0, "assume identity");
    uid_t r, e, s; gid_t rg, eg, sg;
    getresuid(&r, &e, &s); getresgid(&rg, &eg, &sg);
    CHECK(r == USER && e == USER && s == USER, "real, effective and saved uid are the user's");
    CHECK(rg == GROUP && eg == GROUP && sg == GROUP, "real, effective and saved gid are the user's");
    gid_t list[8]; int n = getgroups(8, list);
    CHECK(n == 2 && ((list[0] == GROUP && list[1] == 4242) || (list[0] == 4242 && list[1] == GROUP)), "supplementary groups are the user's");
    CHECK(effective_caps_empty(), "no capability is effective while acting as the user");
    CHECK(kyr_assume_identity(USER, GROUP, groups, 2) == -EBUSY, "identities never nest");
    kyr_return_to_root();
    getresuid(&r, &e, &s); getresgid(&rg, &eg, &sg);
    CHECK((r | e | s | rg | eg | sg) == 0, "all ids are root again");
    n = getgroups(8, list);
    CHECK(n == 1 && list[0] == 0, "groups are {0} again");
    CHECK(has_effective(CAP_SYS_ADMIN) && has_effective(CAP_KILL), "capabilities are effective again");
    CHECK(prctl(PR_GET_KEEPCAPS) == 0, "keep-caps is off again");
}

static pid_t sleeper(uid_t uid) {
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))) _exit(1);
        execl("/bin/sleep", "sleep", "60", (char *)NULL);
        _exit(127);
    }
    usleep(50000);
    return pid;
}

static void test_kill_judged_on_the_real_uid(void) {
    pid_t root_canary = sleeper(0);
    gid_t group = GROUP;
    CHECK(kyr_assume_identity(USER, GROUP, &group, 1) == 0, "assume identity for kill");
    int rc = kill(root_canary, 0);
    int err = errno;
    kyr_return_to_root();
    CHECK(rc == -1 && err == EPERM, "acting as a user, a root process cannot be signalled");
    kill(root_canary, SIGKILL);
    waitpid(root_canary, NULL, 0);
}

static void test_signal_as(void) {
    gid_t group = GROUP;
    pid_t root_canary = sleeper(0), own = sleeper(USER);
    CHECK(kyr_signal_as(USER, GROUP, &group, 1, root_canary, 0) == 255, "a root pid is not the user's (Hadoop's -1)");
    CHECK(kyr_signal_as(USER, GROUP, &group, 1, root_canary, SIGKILL) == 255, "a root group cannot be killed");
    CHECK(waitpid(root_canary, NULL, WNOHANG) == 0, "the root canary lives");
    CHECK(kyr_signal_as(USER, GROUP, &group, 1, 1, SIGKILL) == -EINVAL, "pid 1 is refused");
    CHECK(kyr_signal_as(USER, GROUP, &group, 1, -1, SIGKILL) == -EINVAL, "negative pids are refused");
    CHECK(kyr_signal_as(USER, GROUP, &group, 1, own, SIGTERM) == 0, "the user's own group is signalled");
    int status = 0;
    waitpid(own, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "the user's process got SIGTERM");
    CHECK(kyr_signal_as(USER, GROUP, &group, 1, own, 0) == 9, "a gone process answers 9");
    uid_t owner = 1; pid_t pgid = 0;
    CHECK(kyr_process_owner(root_canary, &owner, &pgid) == 0 && owner == 0 && pgid == root_canary, "owner and group read");
    CHECK(kyr_process_owner(own, &owner, &pgid) == -ESRCH, "a reaped process is gone");
    kill(root_canary, SIGKILL);
    waitpid(root_canary, NULL, 0);
}

// capset fails once we act as the user: the way back cannot raise CAP_SETUID and must end the process with 6.
static void test_failed_return_ends_the_process(void) {
    int err_pipe[2];
    if (pipe(err_pipe) != 0) { failed++; return; }
    pid_t child = fork();
    if (child == 0) {
        dup2(err_pipe[1], 2);
        close(err_pipe[0]);
        gid_t group = GROUP;
        if (kyr_assume_identity(USER, GROUP, &group, 1) != 0) _exit(2);
        struct sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_capset, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(3);
        kyr_return_to_root();
        _exit(0);   // reached only if a failed return went on
    }
    close(err_pipe[1]);
    char message[256] = {0};
    ssize_t got = read(err_pipe[0], message, sizeof message - 1);
    close(err_pipe[0]);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 6, "a failed return to root exits with 6");
    CHECK(got > 0 && strstr(message, "cannot return to root") != NULL, "and says why on stderr");
}

int main(void) {
    if (geteuid() != 0) { fprintf(stderr, "identity_test must run as root\n"); return 2; }
    test_full_switch_and_return();
    test_kill_judged_on_the_real_uid();
    test_signal_as();
    test_failed_return_ends_the_process();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
