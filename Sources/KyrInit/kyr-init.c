// kyr-init: pid 1 inside every container. A pid-namespace init ignores signals it has no handler for, so a
// plain `bash launch_container.sh` as pid 1 would shrug off the NodeManager's SIGTERM. kyr-init handles every
// catchable signal by forwarding it to the workload's process group, reaps orphans, and exits with the
// workload's status (128+signal for a signal death), which the runtime reports to the NodeManager.
// Statically linked so that it runs in any rootfs; bind-mounted read-only into the container.
//
// Usage: kyr-init [--nproc=N] [--] PROGRAM [ARG...]
//   --nproc=N  caps RLIMIT_NPROC (soft and hard, never above the inherited hard limit) before the workload starts.
//              The planner passes it for Kata, whose shim drops the spec's pids limit before the agent sees it; in a
//              VM of its own the container's user owns every task but the agent's, so this is the pids cap there.
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t pending[65];

static void on_signal(int sig) { if (sig > 0 && sig < 65) pending[sig] = 1; }

// Parses the options before PROGRAM; returns the index of PROGRAM in argv, or -1 on a bad option.
static int parse_options(int argc, char **argv, long long *nproc) {
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) return i + 1;
        if (strncmp(argv[i], "--nproc=", 8) == 0) {
            const char *digits = argv[i] + 8;
            char *end = NULL;
            errno = 0;
            long long value = strtoll(digits, &end, 10);
            if (*digits < '0' || *digits > '9' || errno != 0 || *end != '\0' || value <= 0) {
                fprintf(stderr, "kyr-init: --nproc needs a positive number: %s\n", argv[i]);
                return -1;
            }
            *nproc = value;
            continue;
        }
        fprintf(stderr, "kyr-init: unknown option %s\n", argv[i]);
        return -1;
    }
    return i;
}

int main(int argc, char **argv) {
    long long nproc = 0;
    int first = parse_options(argc, argv, &nproc);
    if (first < 0 || first >= argc) {
        fprintf(stderr, "kyr-init: usage: kyr-init [--nproc=N] [--] PROGRAM [ARG...]\n");
        return 127;
    }
    argv += first - 1;   // argv[1] is PROGRAM from here on
    if (nproc > 0) {
        struct rlimit limit;
        if (getrlimit(RLIMIT_NPROC, &limit) != 0) { perror("kyr-init: getrlimit(RLIMIT_NPROC)"); return 127; }
        rlim_t cap = (rlim_t)nproc;
        if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < cap) cap = limit.rlim_max;
        limit.rlim_cur = cap;
        limit.rlim_max = cap;
        if (setrlimit(RLIMIT_NPROC, &limit) != 0) { perror("kyr-init: setrlimit(RLIMIT_NPROC)"); return 127; }
    }
    // container-executor launches every YARN script with umask 0027; gVisor ignores the OCI process.user.umask and
    // Kata's agent protocol has no umask at all, so the init sets it for every runtime, before the workload runs.
    umask(027);
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);

    pid_t child = fork();
    if (child < 0) { perror("kyr-init: fork"); return 127; }
    if (child == 0) {
        setpgid(0, 0);
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(argv[1], argv + 1);
        fprintf(stderr, "kyr-init: exec %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    setpgid(child, child);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD) continue;
        sigaction(sig, &sa, NULL);
    }
    sa.sa_handler = on_signal;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t waitmask;
    sigemptyset(&waitmask);

    for (;;) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == child) {
                // The workload is gone: end the rest of its group; the kernel ends everything else in the
                // namespace when pid 1 exits.
                kill(-child, SIGKILL);
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
        }
        for (int sig = 1; sig < 65; sig++) {
            if (!pending[sig]) continue;
            pending[sig] = 0;
            if (sig != SIGCHLD) kill(-child, sig);
        }
        sigsuspend(&waitmask);
    }
}
