// The only C interface Swift sees. Functions return 0 (or a count/pid) on success and -errno on failure.
// Everything here exists because Swift must not do it: pre-main hygiene, GNU-only syscalls the Glibc module
// hides, and the fork/exec child, where no Swift code may run.
#ifndef KYR_H
#define KYR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// ---- prologue.c: facts captured by the .preinit_array hook before the Swift runtime starts ----
int kyr_prologue_argc(void);
int kyr_prologue_at_secure(void);          // 1 when the kernel ran us setuid/setgid (AT_SECURE)
int kyr_prologue_env_dropped(void);        // how many caller environment entries the scrub replaced
int kyr_thread_count(void);
_Noreturn void kyr_exit_now(int code);     // flush stdio, then exit                // from /proc/self/status; -errno on failure

// ---- creds.c ----
int kyr_getresuid(uid_t *r, uid_t *e, uid_t *s);
int kyr_getresgid(gid_t *r, gid_t *e, gid_t *s);
int kyr_become_root(void);                                    // setgroups({0}) → setresgid(0) → setresuid(0)
// Acting as a user or the NM: every uid and gid theirs, capabilities kept only as permitted (no nesting).
int kyr_assume_identity(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups);
void kyr_return_to_root(void);                                // checked; a failure ends the process with 6
int kyr_signal_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, pid_t pid, int sig); // Hadoop exit code
int kyr_process_owner(pid_t pid, uid_t *real_uid, pid_t *pgid);  // through a pidfd; -ESRCH when gone
int kyr_caller_in_group(gid_t gid);                           // real gid or supplementary groups; 1/0
int kyr_lookup_user(const char *name, uid_t *uid, gid_t *gid, char *home, size_t home_len);
int kyr_lookup_group(const char *name, gid_t *gid);
int kyr_user_groups(const char *name, gid_t base, gid_t *groups, int *ngroups);
int kyr_set_subreaper(void);
int kyr_close_range_cloexec(unsigned first);

// ---- caps.c ----
int kyr_cap_valid_name(const char *name);  // 1 when libcap knows the CAP_* name
int kyr_cap_last(void);                     // highest capability number this kernel knows

// ---- seccomp.c: compile profiles with libseccomp, so a bundle only ever carries one this kernel accepts ----
typedef struct kyr_bpf { void *filter; unsigned short len; } kyr_bpf;
typedef struct kyr_seccomp kyr_seccomp;
enum { KYR_SCMP_ALLOW = 0, KYR_SCMP_ERRNO = 1, KYR_SCMP_KILL_PROCESS = 2, KYR_SCMP_TRAP = 3, KYR_SCMP_LOG = 4,
       KYR_SCMP_KILL_THREAD = 5 };
int kyr_seccomp_new(kyr_seccomp **out, int default_action, int default_errno);
int kyr_seccomp_add_arch(kyr_seccomp *ctx, const char *arch_name);   // "SCMP_ARCH_X86_64" …
int kyr_seccomp_add(kyr_seccomp *ctx, const char *syscall, int action, int err); // 1 when unknown here (skipped)
// The same with argument conditions (OCI `args`, ANDed): op is libseccomp's enum scmp_compare (1 NE … 7 MASKED_EQ).
int kyr_seccomp_add_cond(kyr_seccomp *ctx, const char *syscall, int action, int err, unsigned count,
                         const unsigned *index, const int *op, const uint64_t *value, const uint64_t *value_two);
int kyr_seccomp_export(kyr_seccomp *ctx, kyr_bpf *out);            // malloc'd filter; kyr_bpf_free
void kyr_seccomp_free(kyr_seccomp *ctx);
void kyr_bpf_free(kyr_bpf *bpf);

// ---- spawn.c: fork + raw-syscall child + execve, errors reported as (stage, errno) over a CLOEXEC pipe ----
typedef struct kyr_spawn_attr {
    const char *path;               // absolute; never resolved through PATH
    char *const *argv;
    char *const *envp;              // explicit; never environ
    const int *fd_map;              // fd_map[i] becomes fd i in the child (-1: /dev/null)
    int fd_count;
    const char *cwd;                // NULL: unchanged
    int new_session;                // setsid()
    int drop_ids;                   // 1: setgroups/setresgid/setresuid to the ids below
    uid_t uid; gid_t gid; const gid_t *groups; size_t ngroups;
    int drop_caps;                  // 1: clear bounding, ambient and all capability sets
    int no_new_privs;
    int ignore_hup;                 // keep SIGHUP/SIGPIPE ignored across exec (survive a NodeManager restart)
    int umask;                      // -1: inherit (ours is 027); runtimes get 022 so the dirs they make are traversable
    int mask_proc_sys_net;          // 1: private mount namespace with an empty /proc/sys/net (runsc's netstack check)
} kyr_spawn_attr;
// Returns the child pid, or -(stage*1000 + errno) when the child failed before exec, or -errno when fork failed.
pid_t kyr_spawn(const kyr_spawn_attr *attr);
int kyr_wait(pid_t pid, int *exit_code, int nohang);   // exit_code: status, or 128+signal; returns pid, 0, or -errno

// ---- fs.c: path resolution that never follows a symlink (openat2 RESOLVE_NO_SYMLINKS, component walk fallback) ----
int kyr_open_nofollow(const char *path, int flags, unsigned mode);        // every component, final one included
int kyr_open_parent(const char *path, char *name, size_t name_len);       // O_PATH dirfd of dirname; name = basename
int kyr_openat(int dirfd, const char *name, int flags, unsigned mode);    // O_NOFOLLOW|O_CLOEXEC added
int kyr_uname_nodename(char *buf, size_t len);
int kyr_pipe_cloexec(int fds[2]);
int kyr_rename_noreplace(int dirfd, const char *from, const char *to);   // renameat2(RENAME_NOREPLACE)

// ---- mounts.c: image layers (squashfs on a read-only auto-clearing loop device, overlay on top), cgroup v1 ----
int kyr_loop_attach_fd(int file_fd, char *device, size_t device_len);   // returns a loop device fd (CLOEXEC)
int kyr_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
int kyr_umount(const char *target, int detach);

// netns.c: network namespaces (a bind-mounted nsfs file per container) and the IPAM file lock.
int kyr_netns_open_current(void);
int kyr_netns_create(const char *path);      // new netns bound at path (created O_EXCL); we stay in ours
int kyr_netns_enter(const char *path);       // returns an fd of the namespace we left (for kyr_netns_restore)
int kyr_netns_restore(int original);
int kyr_lock_file(const char *path);         // flock(LOCK_EX) on path (created 0600); returns the fd
void kyr_unlock_file(int fd);

#endif
