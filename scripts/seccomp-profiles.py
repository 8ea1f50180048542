#!/usr/bin/env python3
"""Writes hadoop-conf/seccomp-strict.json and hadoop-conf/seccomp-jvm.json (OCI linux.seccomp, allow-lists).

Both are loadable with `[kata] seccomp.profile=<path>` (RuntimeCore/SeccompLoader compiles them with libseccomp
before every launch). docs/security.md explains the choices; the lists below say where each name comes from.

* strict: what JVM (JDK 17: `java -version`, a multithreaded program with sockets/files/GC, G1 and Parallel GC),
  python3 (threads, multiprocessing, sockets, subprocess) and a YARN launch script in bash (coreutils, tar,
  traps, background jobs) were seen to call under `strace -f -c`, plus kyr-init (pid 1 in every container), plus
  the few neighbours the C library picks at run time (e.g. `exit_group`, which strace -c does not count, the
  *at/64 variants, poll/select family). x86_64 only: 32-bit/x32 entry points get the default action.
* jvm (compatibility): strict + what JVMs and their native libraries use on other paths (NUMA with
  -XX:+UseNUMA, membarrier, async I/O, mlock, scheduler tuning, pkeys, io priorities, nested seccomp for
  sandboxed helpers), still without any namespace, mount, module, kexec, bpf, perf, keyring, ptrace or
  io_uring call. Also x86 (32-bit) for old native code.

In both: `clone` only without namespace flags (argument filter), `clone3` answers ENOSYS (its flags are in memory
a filter cannot read; glibc falls back to clone), everything else answers EPERM.
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# strace -f -c of the workloads above (union), see docs/security.md "How the strict profile was derived".
OBSERVED = """accept accept4 access arch_prctl bind brk chdir clock_getres clock_nanosleep clone close close_range
connect creat dup2 epoll_create1 execve faccessat2 fadvise64 fchdir fcntl flock ftruncate futex getcwd getdents64
getegid geteuid getgid getgroups getpeername getpgrp getpid getppid getrandom getrusage getsockname getsockopt
gettid getuid getxattr ioctl kill lgetxattr link listen lseek madvise mkdir mmap mprotect munmap newfstatat openat
pipe2 poll prctl pread64 prlimit64 read readlink recvfrom rseq rt_sigaction rt_sigprocmask rt_sigreturn
sched_getaffinity sched_yield sendto set_robust_list set_tid_address setsockopt shutdown sigaltstack socket
socketpair splice statfs statx symlinkat sysinfo umask uname unlink unlinkat vfork wait4 write""".split()

# kyr-init: fork/exec/wait, setpgid, signal forwarding (rt_sigsuspend), umask.
KYR_INIT = "setpgid rt_sigsuspend exit exit_group".split()

# Neighbours: the variants libc, the JVM launcher or a shell pick on other code paths of the same operations.
NEIGHBOURS = """exit exit_group restart_syscall nanosleep select pselect6 ppoll epoll_ctl epoll_wait epoll_pwait
epoll_pwait2 epoll_create eventfd eventfd2 dup dup3 fstat lstat stat fstatfs getdents rename renameat renameat2 rmdir
fchmod fchmodat chmod fchown fchownat chown lchown utimensat futimesat utime utimes truncate fallocate fsync
fdatasync sync_file_range readv writev preadv pwritev preadv2 pwritev2 pwrite64 sendmsg recvmsg sendmmsg recvmmsg
mremap msync mincore getrlimit setrlimit times getpriority setpriority setpgid getpgid setsid getsid getresuid
getresgid capget alarm pause getitimer setitimer timer_create timer_settime timer_gettime timer_getoverrun
timer_delete timerfd_create timerfd_settime timerfd_gettime signalfd signalfd4 rt_sigtimedwait rt_sigqueueinfo
rt_tgsigqueueinfo rt_sigpending rt_sigsuspend tgkill tkill waitid pipe mkdirat mknod mknodat linkat readlinkat
symlink faccessat openat2 open copy_file_range sendfile getcpu clock_gettime gettimeofday time sched_getparam
sched_getscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval sched_setaffinity
inotify_init inotify_init1 inotify_add_watch inotify_rm_watch memfd_create pidfd_open pidfd_send_signal
futex_waitv get_robust_list listxattr llistxattr flistxattr fgetxattr removexattr lremovexattr fremovexattr
fstatfs64 statfs64 socketcall getpmsg""".split()

# What a JVM and its native libraries may call beyond that (compatibility profile only).
JVM_EXTRA = """shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv msgctl mq_open
mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr setxattr lsetxattr fsetxattr mbind get_mempolicy set_mempolicy migrate_pages move_pages membarrier io_setup io_destroy io_submit
io_cancel io_getevents io_pgetevents mlock mlock2 munlock mlockall munlockall sched_setparam sched_setscheduler
sched_setattr sched_getattr pkey_alloc pkey_free pkey_mprotect ioprio_get ioprio_set seccomp setuid setgid setreuid
setregid setresuid setresgid setgroups setfsuid setfsgid capset landlock_create_ruleset landlock_add_rule
landlock_restrict_self process_madvise readahead remap_file_pages vmsplice tee set_thread_area get_thread_area
modify_ldt""".split()

# Never, in either profile (documented in docs/security.md): kernel surfaces a tenant job has no business touching.
NEVER = set("""acct add_key bpf chroot clock_adjtime clock_settime create_module delete_module finit_module fsconfig
fsmount fsopen fspick get_kernel_syms init_module io_uring_enter io_uring_register io_uring_setup ioperm iopl kcmp
kexec_file_load kexec_load keyctl lookup_dcookie mount mount_setattr move_mount name_to_handle_at nfsservctl
open_by_handle_at open_tree perf_event_open personality pidfd_getfd pivot_root process_vm_readv process_vm_writev
ptrace query_module quotactl quotactl_fd reboot request_key setdomainname sethostname setns settimeofday stime
swapoff swapon syslog umount umount2 unshare uselib userfaultfd ustat vhangup vm86 vm86old fanotify_init""".split())

NAMESPACE_FLAGS = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000


def profile(names, architectures):
    allowed = sorted(set(names) - NEVER - {"clone", "clone3"})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": architectures,
        "syscalls": [
            {"names": allowed, "action": "SCMP_ACT_ALLOW"},
            # threads and fork: allowed; any namespace flag: the default (EPERM)
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": NAMESPACE_FLAGS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        ],
    }


def main():
    strict = profile(OBSERVED + KYR_INIT + NEIGHBOURS, ["SCMP_ARCH_X86_64"])
    jvm = profile(OBSERVED + KYR_INIT + NEIGHBOURS + JVM_EXTRA, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
    for name, doc in [("seccomp-strict.json", strict), ("seccomp-jvm.json", jvm)]:
        path = REPO / "hadoop-conf" / name
        path.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{path.relative_to(REPO)}: {len(doc['syscalls'][0]['names'])} names allowed + clone (no namespace flags)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
