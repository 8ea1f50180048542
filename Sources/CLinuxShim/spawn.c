// fork + execve with an explicit fd map, explicit environment and a fixed privilege-drop order.
// The child makes only async-signal-safe calls and raw syscalls; on failure it writes (stage, errno) to a
// CLOEXEC pipe and _exits, so the parent learns exactly which step failed.
#include "kyr.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    STAGE_SIGNALS = 1, STAGE_FDMAP = 2, STAGE_SETSID = 3, STAGE_CHDIR = 4, STAGE_GROUPS = 5, STAGE_GID = 6,
    STAGE_UID = 7, STAGE_CAPS = 8, STAGE_NNP = 9, STAGE_MASK = 10, STAGE_EXEC = 11,
};

static void fail(int pipe_fd, int stage) {
    int report[2] = {stage, errno};
    ssize_t ignored = write(pipe_fd, report, sizeof report);
    (void)ignored;
    _exit(127);
}

static void child(const kyr_spawn_attr *a, int pipe_fd) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sa.sa_handler = (a->ignore_hup && (sig == SIGHUP || sig == SIGPIPE)) ? SIG_IGN : SIG_DFL;
        sigaction(sig, &sa, NULL);
    }

    // fd map: first move every source above the target range (so dup2 never clobbers a later source),
    // then dup2 into place; the error pipe is moved too.
    int high = a->fd_count + 3;
    int moved[64];
    if (a->fd_count > 64) { errno = EINVAL; fail(pipe_fd, STAGE_FDMAP); }
    int pfd = fcntl(pipe_fd, F_DUPFD_CLOEXEC, high + 64);
    if (pfd < 0) fail(pipe_fd, STAGE_FDMAP);
    pipe_fd = pfd;
    for (int i = 0; i < a->fd_count; i++) {
        int src = a->fd_map[i];
        if (src < 0) {
            src = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (src < 0) fail(pipe_fd, STAGE_FDMAP);
        }
        moved[i] = fcntl(src, F_DUPFD_CLOEXEC, high);
        if (moved[i] < 0) fail(pipe_fd, STAGE_FDMAP);
    }
    for (int i = 0; i < a->fd_count; i++) {
        if (dup2(moved[i], i) < 0) fail(pipe_fd, STAGE_FDMAP);   // dup2 clears CLOEXEC on the target
    }
    if (syscall(SYS_close_range, (unsigned)a->fd_count, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0) fail(pipe_fd, STAGE_FDMAP);

    if (a->umask >= 0) umask((mode_t)a->umask);
    if (a->new_session && setsid() < 0) fail(pipe_fd, STAGE_SETSID);
    if (a->cwd && chdir(a->cwd) != 0) fail(pipe_fd, STAGE_CHDIR);
    if (a->mask_proc_sys_net) {
        // A private mount namespace whose /proc/sys/net is an empty, read-only tmpfs: Debian's runsc (20221219)
        // takes the presence of /proc/sys/net/core/rmem_default for "root network namespace" and refuses its own
        // netstack in any namespace on kernels that show the file everywhere. The host's mounts are untouched.
        if (syscall(SYS_unshare, CLONE_NEWNS) != 0) fail(pipe_fd, STAGE_MASK);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail(pipe_fd, STAGE_MASK);
        if (mount("kyr-mask", "/proc/sys/net", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0)
            fail(pipe_fd, STAGE_MASK);
    }

    if (a->drop_ids) {
        if (syscall(SYS_setgroups, a->ngroups, a->groups) != 0) fail(pipe_fd, STAGE_GROUPS);
        if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) != 0) fail(pipe_fd, STAGE_GID);
        if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) != 0) fail(pipe_fd, STAGE_UID);
    }
    if (a->drop_caps) {
        for (int cap = 0; cap <= 63; cap++) {
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM) fail(pipe_fd, STAGE_CAPS);
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) fail(pipe_fd, STAGE_CAPS);
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        if (syscall(SYS_capset, &hdr, data) != 0) fail(pipe_fd, STAGE_CAPS);
    }
    if (a->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(pipe_fd, STAGE_NNP);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(a->path, a->argv, a->envp);
    fail(pipe_fd, STAGE_EXEC);
}

pid_t kyr_spawn(const kyr_spawn_attr *a) {
    if (!a || !a->path || a->path[0] != '/' || !a->argv || !a->envp) return -EINVAL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) { int e = errno; close(fds[0]); close(fds[1]); return -e; }
    if (pid == 0) { close(fds[0]); child(a, fds[1]); }
    close(fds[1]);
    int report[2];
    ssize_t n;
    do { n = read(fds[0], report, sizeof report); } while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n == (ssize_t)sizeof report) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -(report[0] * 1000 + report[1]);
    }
    return pid;
}

int kyr_wait(pid_t pid, int *exit_code, int nohang) {
    int status;
    pid_t rc;
    do { rc = waitpid(pid, &status, nohang ? WNOHANG : 0); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -errno;
    if (rc == 0) return 0;
    if (WIFEXITED(status)) *exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) *exit_code = 128 + WTERMSIG(status);
    else *exit_code = 255;
    return rc;
}
