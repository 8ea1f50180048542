// kyr-init: pid 1 inside every container. A pid-namespace init ignores signals it has no handler for, so a
// plain `bash launch_container.sh` as pid 1 would shrug off the NodeManager's SIGTERM. kyr-init handles every
// catchable signal by forwarding it to the workload's process group, reaps orphans, and exits with the
// workload's status (128+signal for a signal death), which the runtime reports to the NodeManager.
// Statically linked so that it runs in any rootfs; bind-mounted read-only into the container.
#include <errno.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t pending[65];

static void on_signal(int sig) { if (sig > 0 && sig < 65) pending[sig] = 1; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "kyr-init: usage: kyr-init PROGRAM [ARG...]\n");
        return 127;
    }
    // container-executor launches every YARN script with umask 0027; gVisor ignores the OCI process.user.umask,
    // so the init sets it for every runtime.
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
