// Runs from .preinit_array: before libc's other initialisers and before the Swift runtime reads argv or the
// environment (docs: ../shared/docs/swift-setuid.md §3.3). The environment is scrubbed IN PLACE, because the Swift
// runtime finds argv by walking back from environ; replacing environ would silently empty CommandLine.arguments.
#include "kyr.h"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_argc;
static int g_at_secure;
static int g_env_dropped;

static void prologue(int argc, char **argv, char **envp) {
    (void)argv;
    g_argc = argc;
    g_at_secure = (int)getauxval(AT_SECURE);

    // Keep only a fixed PATH: nothing the caller sets may steer us (LD_*, SWIFT_*, LIBDISPATCH_*, locale, …).
    static char fixed_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    // An empty environment (what the NodeManager passes) stays empty: its NULL slot is the only one there is.
    if (envp && envp[0]) {
        for (int i = 0; envp[i]; i++) g_env_dropped++;
        envp[0] = fixed_path;
        for (int i = 1; envp[i]; i++) envp[i] = NULL;
    }

    // fds 0-2 must exist, so that a file we open never lands on "stdout".
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int null_fd = open("/dev/null", O_RDWR);
            if (null_fd < 0) _exit(255);
            if (null_fd != fd) { dup2(null_fd, fd); close(null_fd); }
        }
    }
    kyr_close_range_cloexec(3);

    // Signals: default dispositions and an empty mask, so a caller cannot make us lose a child's exit status.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &sa, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    umask(027);
    // The caller's limits must not make a privileged step fail half way (an fd limit of 4 fails the first
    // openat after a mkdir; a tiny RLIMIT_FSIZE cuts a pid file short). Raise them where root may (the hard limit
    // needs CAP_SYS_RESOURCE, which some sandboxes withhold), else to the hard limit; the Swift side refuses to
    // start an operation below its floors (SetupCheck.requireWorkableLimits).
    if (geteuid() == 0) {
        struct rlimit files;
        if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 1024) {
            struct rlimit wanted = {1024, files.rlim_max < 1024 ? 1024 : files.rlim_max};
            if (setrlimit(RLIMIT_NOFILE, &wanted) != 0) { files.rlim_cur = files.rlim_max; setrlimit(RLIMIT_NOFILE, &files); }
        }
        struct rlimit size;
        if (getrlimit(RLIMIT_FSIZE, &size) == 0 && size.rlim_cur != RLIM_INFINITY) {
            struct rlimit any_size = {RLIM_INFINITY, RLIM_INFINITY};
            if (setrlimit(RLIMIT_FSIZE, &any_size) != 0) { size.rlim_cur = size.rlim_max; setrlimit(RLIMIT_FSIZE, &size); }
        }
    }
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

__attribute__((section(".preinit_array"), used))
static void (*const kyr_preinit_entry)(int, char **, char **) = prologue;

int kyr_prologue_argc(void) { return g_argc; }
int kyr_prologue_at_secure(void) { return g_at_secure; }
int kyr_prologue_env_dropped(void) { return g_env_dropped; }

int kyr_thread_count(void) {
    FILE *f = fopen("/proc/self/status", "re");
    if (!f) return -1;
    char line[256];
    int threads = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Threads:", 8) == 0) { threads = atoi(line + 8); break; }
    }
    fclose(f);
    return threads;
}

void kyr_exit_now(int code) {
    fflush(NULL);
    exit(code & 0xff);
}
