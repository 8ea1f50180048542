#!/usr/bin/python3
"""Hostile workloads, run INSIDE a YARN container by the attack suite (test_attacks.py, scripts/attack-matrix.py).

Every attack prints exactly one line `ATTACK <name> BLOCKED|ALLOWED <detail>` on stdout. BLOCKED means the
attacker did not get the effect it was after (whatever stopped it: seccomp, missing capability, namespace,
read-only mount, gVisor's sentry); the detail says what answered. The host side passes facts it knows (host
kernel release, a marker it wrote to the kernel log, bob's pid and paths, listener ports) in a JSON file.

Only the Python standard library (ctypes for raw syscalls): the container sees the host's /usr read-only.
"""
import ctypes
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long

# x86_64 syscall numbers
SYS = {"mount": 165, "unshare": 272, "clone": 56, "ptrace": 101, "finit_module": 313, "bpf": 321,
       "perf_event_open": 298, "add_key": 248, "syslog": 103, "clone3": 435}
CLONE_NEWUSER, CLONE_NEWNS, SIGCHLD = 0x10000000, 0x00020000, 17


def syscall(name, *args):
    conv = [a if isinstance(a, (ctypes.c_char_p, ctypes.c_void_p)) else ctypes.c_long(a) for a in args]
    ctypes.set_errno(0)
    rc = LIBC.syscall(ctypes.c_long(SYS[name]), *conv)
    return rc, ctypes.get_errno()


def en(code):
    return errno.errorcode.get(code, str(code))


def verdict(name, blocked, detail):
    detail = " ".join(str(detail).split())[:200] or "-"
    print(f"ATTACK {name} {'BLOCKED' if blocked else 'ALLOWED'} {detail}", flush=True)


def in_child(fn, timeout=10):
    """Runs fn() in a forked child (namespace/credential changes must not leak into the runner); returns its
    exit status (fn's return value, 0..255) or 128+signal."""
    pid = os.fork()
    if pid == 0:
        try:
            code = fn()
        except BaseException:
            code = 254
        os._exit(code if isinstance(code, int) else 0)
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return 137


# ---------------------------------------------------------------------------------------------------------------
# the attacks


def a_kernel_version(p):
    mine = os.uname().release
    blocked = mine != p["host_release"]
    verdict("kernel_version", blocked, f"container sees {mine}, host runs {p['host_release']}")


def a_dmesg(p):
    seen, how = [], []
    rc, e = syscall("syslog", 10, 0, 0)   # SYSLOG_ACTION_SIZE_BUFFER
    how.append(f"syslog()={'ok' if rc >= 0 else en(e)}")
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10)
        seen.append(out.stdout)
        how.append(f"dmesg rc={out.returncode}")
    except Exception as exc:
        how.append(f"dmesg {exc.__class__.__name__}")
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        data = b""
        try:
            for _ in range(100000):
                data += os.read(fd, 8192)
        except OSError:
            pass
        os.close(fd)
        seen.append(data.decode(errors="replace"))
        how.append("/dev/kmsg read")
    except OSError as exc:
        how.append(f"/dev/kmsg {en(exc.errno)}")
    leaked = any(p["kmsg_marker"] in text for text in seen)
    verdict("dmesg", not leaked, ("host kernel log marker visible; " if leaked else "host kernel log not visible; ") + ", ".join(how))


def write_back(path):
    """Writes a file's current content back to it: harmless if it succeeds, proof of write access."""
    try:
        with open(path) as f:
            value = f.read()
        with open(path, "w") as f:
            f.write(value)
        return None
    except OSError as exc:
        return en(exc.errno)


def a_proc_sys_write(p):
    err = write_back("/proc/sys/vm/swappiness")
    verdict("proc_sys_write", err is not None, f"/proc/sys/vm/swappiness: {err or 'written'}")


def a_sys_write(p):
    results = []
    for path in ["/sys/kernel/mm/ksm/run", "/sys/kernel/mm/transparent_hugepage/use_zero_page"]:
        if os.path.exists(path):
            results.append((path, write_back(path)))
    if not results:
        verdict("sys_write", True, "no candidate sysfs file visible")
        return
    wrote = [path for path, err in results if err is None]
    verdict("sys_write", not wrote, "; ".join(f"{path}: {err or 'written'}" for path, err in results))


def a_sysrq(p):
    try:
        with open("/proc/sysrq-trigger", "w") as f:
            f.write("h")   # 'h' only prints the help text to the kernel log
        verdict("sysrq_trigger", False, "wrote /proc/sysrq-trigger")
    except OSError as exc:
        verdict("sysrq_trigger", True, f"/proc/sysrq-trigger: {en(exc.errno)}")


def a_proc_kcore(p):
    try:
        with open("/proc/kcore", "rb") as f:
            data = f.read(64)
        verdict("proc_kcore", len(data) == 0, f"read {len(data)} bytes of /proc/kcore")
    except OSError as exc:
        verdict("proc_kcore", True, f"/proc/kcore: {en(exc.errno)}")


def a_kernel_module(p):
    fd = os.open("/dev/null", os.O_RDONLY)
    rc, e = syscall("finit_module", fd, ctypes.c_char_p(b""), 0)
    os.close(fd)
    # EPERM/ENOSYS: refused before the loader looked at the image (seccomp or no CAP_SYS_MODULE).
    blocked = rc < 0 and e in (errno.EPERM, errno.ENOSYS, errno.EACCES)
    verdict("kernel_module", blocked, f"finit_module: {'ok' if rc >= 0 else en(e)}")


def a_mount(p):
    target = "/tmp/kyr-mnt"
    os.makedirs(target, exist_ok=True)
    rc, e = syscall("mount", ctypes.c_char_p(b"none"), ctypes.c_char_p(target.encode()), ctypes.c_char_p(b"tmpfs"), 0, ctypes.c_char_p(b""))
    if rc == 0:
        syscall_umount = LIBC.umount
        syscall_umount(target.encode())
    verdict("mount", rc != 0, f"mount tmpfs: {'ok' if rc == 0 else en(e)}")


def a_unshare(p):
    def child():
        rc, e = syscall("unshare", CLONE_NEWUSER | CLONE_NEWNS)
        return 0 if rc == 0 else min(e, 250)
    status = in_child(child)
    verdict("unshare_userns", status != 0, f"unshare(CLONE_NEWUSER|CLONE_NEWNS): {'ok' if status == 0 else en(status)}")


def a_clone_newuser(p):
    """clone(2) with namespace flags: the path a deny-list of `unshare`/`setns` does not cover. Success is followed
    by a tmpfs mount inside the new user+mount namespace (full capabilities there: kernel attack surface)."""
    def child():
        rc, e = syscall("clone", CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0)
        if rc == 0:
            os.makedirs("/tmp/kyr-userns", exist_ok=True)
            mrc, me = syscall("mount", ctypes.c_char_p(b"none"), ctypes.c_char_p(b"/tmp/kyr-userns"), ctypes.c_char_p(b"tmpfs"), 0, ctypes.c_char_p(b""))
            os._exit(0 if mrc == 0 else 100)
        if rc < 0:
            return min(e, 99)
        _, status = os.waitpid(rc, 0)
        return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 200
    status = in_child(child)
    if status == 0:
        verdict("clone_newuser", False, "clone(CLONE_NEWUSER|CLONE_NEWNS) ok and mount tmpfs inside it ok")
    elif status == 100:
        verdict("clone_newuser", False, "clone(CLONE_NEWUSER|CLONE_NEWNS) ok, mount inside refused")
    else:
        verdict("clone_newuser", True, f"clone(CLONE_NEWUSER|CLONE_NEWNS): {en(status)}")


def a_clone3_newuser(p):
    """clone3(2) carries its flags in a struct a seccomp filter cannot read: the other way to a new namespace."""
    def child():
        args = (ctypes.c_uint64 * 8)(CLONE_NEWUSER | CLONE_NEWNS, 0, 0, 0, SIGCHLD, 0, 0, 0)   # struct clone_args v0
        rc, e = syscall("clone3", ctypes.cast(args, ctypes.c_void_p), 64)
        if rc == 0:
            os._exit(0)
        if rc < 0:
            return min(e, 99)
        _, status = os.waitpid(rc, 0)
        return 0
    status = in_child(child)
    verdict("clone3_newuser", status != 0, f"clone3(CLONE_NEWUSER|CLONE_NEWNS): {'ok' if status == 0 else en(status)}")


def a_ptrace(p):
    results = []
    targets = [p["bob_pid"]]
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/status") as f:
                    uid = next(int(l.split()[1]) for l in f if l.startswith("Uid:"))
                if uid == p["bob_uid"]:
                    targets.append(int(entry))
            except (OSError, StopIteration):
                pass
    attached = False
    for pid in sorted(set(targets)):
        rc, e = syscall("ptrace", 16, pid, 0, 0)   # PTRACE_ATTACH
        if rc == 0:
            attached = True
            syscall("ptrace", 17, pid, 0, 0)   # PTRACE_DETACH
        results.append(f"{pid}:{'attached' if rc == 0 else en(e)}")
    verdict("ptrace_other_tenant", not attached, "PTRACE_ATTACH " + " ".join(results))


def a_other_processes(p):
    me = os.getuid()
    foreign, total = [], 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        total += 1
        try:
            with open(f"/proc/{entry}/status") as f:
                uid = next(int(l.split()[1]) for l in f if l.startswith("Uid:"))
            if uid != me:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:40]
                foreign.append(f"{entry}/uid{uid}/{cmd.strip() or '?'}")
        except (OSError, StopIteration):
            pass
    verdict("see_other_processes", not foreign, f"{total} processes visible, foreign: {' '.join(foreign[:4]) or 'none'}")


def a_other_files(p):
    got = []
    for path in [p["bob_work"], p["bob_appdir"], p["bob_logdir"]]:
        try:
            got.append(f"listed {path} ({len(os.listdir(path))} entries)")
        except OSError as exc:
            pass
    for path in [p["bob_tokens"], p["bob_nm_tokens"], os.path.join(p["bob_logdir"], "stdout")]:
        try:
            with open(path, "rb") as f:
                f.read(16)
            got.append(f"read {path}")
        except OSError:
            pass
    verdict("other_tenant_files", not got, "; ".join(got) or "bob's work dir, logs and tokens: not reachable")


def a_release_agent(p):
    found = []
    for root, dirs, files in os.walk("/sys/fs/cgroup"):
        if "release_agent" in files:
            path = os.path.join(root, "release_agent")
            try:
                with open(path, "a"):
                    pass
                found.append(f"{path} writable")
            except OSError as exc:
                pass
        if root.count("/") > 5:
            dirs[:] = []
    os.makedirs("/tmp/kyr-cg", exist_ok=True)
    rc, e = syscall("mount", ctypes.c_char_p(b"cgroup"), ctypes.c_char_p(b"/tmp/kyr-cg"), ctypes.c_char_p(b"cgroup"), 0, ctypes.c_char_p(b"memory"))
    if rc == 0:
        found.append("mounted a cgroup v1 hierarchy")
        LIBC.umount(b"/tmp/kyr-cg")
    verdict("cgroup_release_agent", not found, "; ".join(found) or f"no writable release_agent, cgroup mount: {en(e)}")


def a_raw_device(p):
    major, minor = p["host_disk_majmin"]
    results, read_ok = [], False
    path = f"/dev/{p['host_disk']}"
    try:
        with open(path, "rb") as f:
            read_ok = len(f.read(512)) > 0
        results.append(f"{path} read")
    except OSError as exc:
        results.append(f"{path}: {en(exc.errno)}")
    for node in ["/tmp/kyr-disk", os.path.join(p["my_work"], "kyr-disk")]:
        try:
            os.mknod(node, 0o600 | 0o060000, os.makedev(major, minor))
            try:
                with open(node, "rb") as f:
                    read_ok = read_ok or len(f.read(512)) > 0
                results.append(f"mknod {node} + read ok")
            except OSError as exc:
                results.append(f"mknod {node} ok, open {en(exc.errno)}")
            os.unlink(node)
        except OSError as exc:
            results.append(f"mknod {node}: {en(exc.errno)}")
    verdict("raw_device", not read_ok, "; ".join(results))


def connect_and_read(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.settimeout(3)
            return s.recv(64).decode(errors="replace").strip(), None
    except OSError as exc:
        return None, en(exc.errno) if exc.errno else exc.__class__.__name__


def a_nm_port(p):
    data, err = connect_and_read(p["nm_port"])
    leaked = data == p["nm_banner"]
    verdict("nodemanager_port", not leaked, f"127.0.0.1:{p['nm_port']}: " + (f"got '{data}'" if data is not None else err))


def a_tenant_listener(p):
    data, err = connect_and_read(p["bob_port"])
    leaked = data == p["bob_banner"]
    verdict("tenant_listener", not leaked, f"bob's 127.0.0.1:{p['bob_port']}: " + (f"got '{data}'" if data is not None else err))


def a_shadow(p):
    try:
        with open("/etc/shadow") as f:
            f.read(16)
        verdict("etc_shadow", False, "read /etc/shadow")
    except OSError as exc:
        verdict("etc_shadow", True, f"/etc/shadow: {en(exc.errno)}")


def a_setuid(p):
    try:
        out = subprocess.run([p["suid_probe"]], capture_output=True, text=True, timeout=10).stdout.split()
        ruid, euid = int(out[0]), int(out[1])
        verdict("setuid_binary", euid != 0, f"setuid-root probe ran with uid={ruid} euid={euid}")
    except Exception as exc:
        verdict("setuid_binary", True, f"probe did not run: {exc.__class__.__name__} {exc}")


def a_bpf(p):
    attr = (ctypes.c_uint32 * 32)(2, 4, 4, 1)   # BPF_MAP_TYPE_ARRAY, key 4, value 4, 1 entry
    rc, e = syscall("bpf", 0, ctypes.cast(attr, ctypes.c_void_p), 128)
    if rc >= 0:
        os.close(rc)
    verdict("bpf", rc < 0, f"bpf(BPF_MAP_CREATE): {'ok' if rc >= 0 else en(e)}")


def a_perf(p):
    attr = (ctypes.c_uint8 * 128)()
    ctypes.memmove(attr, (ctypes.c_uint32 * 2)(1, 128), 8)               # PERF_TYPE_SOFTWARE, size
    ctypes.memmove(ctypes.byref(attr, 8), (ctypes.c_uint64 * 1)(0), 8)   # PERF_COUNT_SW_CPU_CLOCK
    ctypes.memmove(ctypes.byref(attr, 40), (ctypes.c_uint64 * 1)(1 | 1 << 5 | 1 << 6), 8)  # disabled, exclude_kernel/hv
    rc, e = syscall("perf_event_open", ctypes.cast(attr, ctypes.c_void_p), 0, -1, -1, 0)
    if rc >= 0:
        os.close(rc)
    verdict("perf_event_open", rc < 0, f"perf_event_open(sw clock, self): {'ok' if rc >= 0 else en(e)}")


def a_keyring(p):
    rc, e = syscall("add_key", ctypes.c_char_p(b"user"), ctypes.c_char_p(b"kyr-probe"), ctypes.c_char_p(b"x"), 1, -3)
    verdict("kernel_keyring", rc < 0, f"add_key(user, session keyring): {'ok' if rc >= 0 else en(e)}")


def a_host_view(p):
    wrote = []
    errors = []
    for path in ["/usr/kyr-attack-probe", "/etc/kyr-attack-probe", "/opt/kyr-attack-probe", "/kyr-attack-probe"]:
        try:
            with open(path, "w") as f:
                f.write("x")
            wrote.append(path)
        except OSError as exc:
            errors.append(f"{path}: {en(exc.errno)}")
    verdict("write_host_view", not wrote, ("wrote " + " ".join(wrote)) if wrote else "; ".join(errors))


BATCH = [("kernel_version", a_kernel_version), ("dmesg", a_dmesg), ("proc_sys_write", a_proc_sys_write),
         ("sys_write", a_sys_write), ("sysrq_trigger", a_sysrq), ("proc_kcore", a_proc_kcore),
         ("kernel_module", a_kernel_module), ("mount", a_mount), ("unshare_userns", a_unshare),
         ("clone_newuser", a_clone_newuser), ("clone3_newuser", a_clone3_newuser), ("ptrace_other_tenant", a_ptrace),
         ("see_other_processes", a_other_processes), ("other_tenant_files", a_other_files),
         ("cgroup_release_agent", a_release_agent), ("raw_device", a_raw_device), ("nodemanager_port", a_nm_port),
         ("tenant_listener", a_tenant_listener), ("etc_shadow", a_shadow), ("setuid_binary", a_setuid),
         ("bpf", a_bpf), ("perf_event_open", a_perf), ("kernel_keyring", a_keyring), ("write_host_view", a_host_view)]


def fork_bomb(p):
    """Forks until the kernel says no (or a hard cap), then reports how many children existed at once."""
    cap, children, err = p["fork_cap"], [], "cap reached"
    for _ in range(cap):
        try:
            pid = os.fork()
        except OSError as exc:
            err = en(exc.errno)
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
        if len(children) % 16 == 0:
            print(len(children), file=sys.stderr, flush=True)   # progress survives a sandbox that dies
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    for pid in children:
        os.waitpid(pid, 0)
    verdict("fork_bomb", len(children) < cap, f"{len(children)} children before fork failed ({err}); pids.limit={p['pids_limit']}")


def eat_memory(p):
    """Touches `mib` MiB in 8 MiB steps, printing progress to stderr."""
    chunks = []
    for i in range(p["eat_mib"] // 8):
        block = bytearray(8 << 20)
        for j in range(0, len(block), 4096):
            block[j] = 1
        chunks.append(block)
        print(f"{(i + 1) * 8}", file=sys.stderr, flush=True)
    return 0


def memory(p):
    out = subprocess.run([sys.executable, __file__, "eat", sys.argv[2]], capture_output=True, text=True, timeout=120)
    reached = (out.stderr.split() or ["0"])[-1]
    if out.returncode == 0:
        verdict("memory_limit", False, f"allocated {p['eat_mib']} MiB with memoryMB={p['memory_mb']}")
    else:
        how = f"killed by signal {-out.returncode}" if out.returncode < 0 else f"exit {out.returncode}"
        verdict("memory_limit", True, f"allocator {how} after {reached} MiB of {p['eat_mib']} (memoryMB={p['memory_mb']})")


def listen(p):
    """bob's side: a private listener on 127.0.0.1 that answers every connection with bob's banner."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", p["bob_port"]))
    s.listen(8)
    print("LISTENING", flush=True)
    while True:
        c, _ = s.accept()
        c.sendall((p["bob_banner"] + "\n").encode())
        c.close()


def main():
    mode, params = sys.argv[1], json.load(open(sys.argv[2]))
    if mode == "batch":
        for name, attack in BATCH:
            try:
                attack(params)
            except Exception as exc:   # an attack that crashed did not achieve anything; say so
                verdict(name, True, f"attack raised {exc.__class__.__name__}: {exc}")
    elif mode == "forkbomb":
        fork_bomb(params)
    elif mode == "memory":
        memory(params)
    elif mode == "eat":
        sys.exit(eat_memory(params))
    elif mode == "listen":
        listen(params)


if __name__ == "__main__":
    main()
