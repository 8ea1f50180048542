"""Host side of the attack suite, shared by test_attacks.py and scripts/attack-matrix.py.

`run_suite(node)` launches, through the installed setuid binary and as the NodeManager would:
  1. bob's container (a private listener on 127.0.0.1, and a process to ptrace),
  2. alice's batch container: every attack of attack_payload.py's BATCH, one verdict line each,
  3. alice's fork-bomb container (pids.limit=64 in the node's cfg),
  4. alice's memory container via `launch <cid> --context` with memoryMB=256,
and returns {attack: (verdict, detail)}. The host side provides what the container must not be able to reach:
a listener standing in for a NodeManager private port, a marker in the host's kernel log, bob's paths and pid.
"""
import json
import os
import pwd
import random
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from conftest import yarn_script

HERE = Path(__file__).resolve().parent
PAYLOAD = HERE / "attack_payload.py"
PIDS_LIMIT = 256   # runsc needs headroom: its sentry and gofer threads count against the pids cgroup (64 is too few to start)
MEMORY_MB = 256
EAT_MIB = 768
BOB_APP = "application_1795555676958_0002"   # another tenant, another application

BATCH = ["kernel_version", "dmesg", "proc_sys_write", "sys_write", "sysrq_trigger", "proc_kcore", "kernel_module",
         "mount", "unshare_userns", "clone_newuser", "clone3_newuser", "ptrace_other_tenant", "see_other_processes",
         "other_tenant_files", "cgroup_release_agent", "raw_device", "nodemanager_port", "tenant_listener",
         "etc_shadow", "setuid_binary", "bpf", "perf_event_open", "kernel_keyring", "write_host_view"]
ATTACKS = BATCH + ["fork_bomb", "memory_limit"]

DESCRIPTION = {
    "kernel_version": "read the kernel release (`uname -r`) and compare it with the host's",
    "dmesg": "read the host kernel log (`syslog(2)`, `dmesg`, `/dev/kmsg`) for a marker the host just logged",
    "proc_sys_write": "write a sysctl (`/proc/sys/vm/swappiness`, its own value back)",
    "sys_write": "write a sysfs knob (`/sys/kernel/mm/...`, its own value back)",
    "sysrq_trigger": "write `/proc/sysrq-trigger`",
    "proc_kcore": "read kernel memory through `/proc/kcore`",
    "kernel_module": "load a kernel module (`finit_module`)",
    "mount": "mount a tmpfs",
    "unshare_userns": "`unshare(CLONE_NEWUSER|CLONE_NEWNS)`",
    "clone_newuser": "`clone(CLONE_NEWUSER|CLONE_NEWNS)`, then mount inside the new namespaces",
    "clone3_newuser": "`clone3` with CLONE_NEWUSER|CLONE_NEWNS (flags in memory, out of a filter's reach)",
    "ptrace_other_tenant": "`PTRACE_ATTACH` to bob's running container (its host pid, and any bob process in /proc)",
    "see_other_processes": "list processes in /proc that are not the attacker's",
    "other_tenant_files": "list bob's work/app/log dirs, read his `container_tokens`",
    "cgroup_release_agent": "find a writable cgroup v1 `release_agent`, or mount a cgroup hierarchy to get one",
    "raw_device": "read the host disk: open `/dev/<disk>`, `mknod` it in /tmp and in the work dir",
    "nodemanager_port": "connect to a private listener on the host's 127.0.0.1 (stands in for NM ports)",
    "tenant_listener": "connect to bob's listener on 127.0.0.1 inside his container",
    "etc_shadow": "read `/etc/shadow`",
    "setuid_binary": "run a setuid-root probe (on a read-only mount) and check its euid",
    "bpf": "`bpf(BPF_MAP_CREATE)`",
    "perf_event_open": "`perf_event_open` on itself (allowed to normal users at paranoid=2)",
    "kernel_keyring": "`add_key` to the session keyring (keyrings are not namespaced)",
    "write_host_view": "create files in /usr, /etc, /opt and /",
    "fork_bomb": f"fork until refused (cap 1000), with `[kata] pids.limit={PIDS_LIMIT}`",
    "memory_limit": f"allocate {EAT_MIB} MiB in a container launched with memoryMB={MEMORY_MB}",
}

# What a Kata micro-VM would answer, reasoned, not measured (no KVM here: docs/kata.md).
KATA_ON_PAPER = {
    "kernel_version": ("BLOCKED", "guest kernel: the VM boots Kata's own kernel"),
    "dmesg": ("BLOCKED", "guest kernel log only"),
    "proc_sys_write": ("BLOCKED", "same OCI spec (ro /proc/sys) in the guest; even a write would hit the guest kernel"),
    "sys_write": ("BLOCKED", "ro /sys in the guest; the guest's sysfs, not the host's"),
    "sysrq_trigger": ("BLOCKED", "read-only in the guest; at worst the guest kernel"),
    "proc_kcore": ("BLOCKED", "masked; guest memory only"),
    "kernel_module": ("BLOCKED", "no CAP_SYS_MODULE, agent applies seccomp; guest kernel only"),
    "mount": ("BLOCKED", "no CAP_SYS_ADMIN in the guest container"),
    "unshare_userns": ("BLOCKED", "seccomp applied by the kata-agent inside the guest"),
    "clone_newuser": ("BLOCKED", "the agent applies the bundle's profile (clone namespace-flag filter); guest kernel anyway"),
    "clone3_newuser": ("BLOCKED", "the agent applies the bundle's profile (clone3 → ENOSYS); a namespace would be in the guest kernel anyway"),
    "ptrace_other_tenant": ("BLOCKED", "bob runs in another VM"),
    "see_other_processes": ("BLOCKED", "one VM per container"),
    "other_tenant_files": ("BLOCKED", "only this container's virtio-fs shares exist in the guest"),
    "cgroup_release_agent": ("BLOCKED", "guest cgroups; no CAP_SYS_ADMIN"),
    "raw_device": ("BLOCKED", "no host block devices are passed to the VM"),
    "nodemanager_port": ("BLOCKED", "Kata always gives the VM its own network namespace (tap/tc); host loopback unreachable"),
    "tenant_listener": ("BLOCKED", "each VM has its own loopback"),
    "etc_shadow": ("BLOCKED", "same read-only host view and user as runc"),
    "setuid_binary": ("BLOCKED", "no_new_privs and nosuid in the guest"),
    "bpf": ("BLOCKED", "seccomp in the guest; guest kernel"),
    "perf_event_open": ("BLOCKED", "seccomp in the guest; guest kernel"),
    "kernel_keyring": ("BLOCKED", "seccomp in the guest; guest kernel"),
    "write_host_view": ("BLOCKED", "read-only virtio-fs shares"),
    "fork_bomb": ("BLOCKED", "pids cgroup in the guest, and the VM's vCPUs/memory are bounded on the host"),
    "memory_limit": ("BLOCKED", "VM memory = memoryMB + overhead; guest OOM killer"),
}

_probe_cache = {}


def suid_probe_binary() -> Path:
    """A static program printing `ruid euid` (static so that gVisor and every rootfs can run it)."""
    if "path" in _probe_cache:
        return _probe_cache["path"]
    out = Path(f"/tmp/kyr-suid-probe-{os.getpid()}")
    src = out.with_suffix(".c")
    src.write_text('#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("%d %d\\n",(int)getuid(),(int)geteuid());return 0;}\n')
    subprocess.run(["cc", "-static", "-O2", "-o", str(out), str(src)], check=True)
    _probe_cache["path"] = out
    return out


class HostListener:
    """A TCP listener on the host's 127.0.0.1 that answers with a banner: the 'NodeManager private port'."""

    def __init__(self, banner):
        self.banner = banner
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            try:
                conn.sendall((self.banner + "\n").encode())
            finally:
                conn.close()

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_verdicts(text):
    found = {}
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[0] == "ATTACK" and parts[2] in ("BLOCKED", "ALLOWED"):
            found[parts[1]] = (parts[2], parts[3] if len(parts) > 3 else "")
    return found


def configure(node, network=None):
    """Adds the attack mount, the pids limit and (optionally) the network mode to the node's [kata] section."""
    attacks = node.root / "attacks"
    attacks.mkdir(mode=0o755, exist_ok=True)
    shutil.copy2(PAYLOAD, attacks / "attack_payload.py")
    os.chmod(attacks / "attack_payload.py", 0o755)
    probe = attacks / "suid-probe"
    shutil.copy2(suid_probe_binary(), probe)
    os.chown(probe, 0, 0)
    os.chmod(probe, 0o4755)
    extra = f"  ro-mounts={attacks}\n  pids.limit={PIDS_LIMIT}\n"
    if network:
        extra += f"  network={network}\n"
    node.write_cfg(extra)
    return attacks


def host_disk():
    """The host's first disk (name, (major, minor)) from /sys/block."""
    for entry in sorted(os.listdir("/sys/block")):
        if entry.startswith(("loop", "ram", "zram")):
            continue
        major, minor = (Path("/sys/block") / entry / "dev").read_text().strip().split(":")
        return entry, (int(major), int(minor))
    return "sda", (8, 0)


def wait_for_text(path: Path, text: str, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


def run_suite(node, network=None, log=lambda msg: None):
    """Runs every attack in `node` (its runtime) and returns ({name: (verdict, detail)}, raw outputs)."""
    attacks = configure(node, network)
    tag = f"{random.randrange(1 << 32):08x}"
    listener = HostListener(f"NM-PRIVATE-{tag}")
    marker = f"kyr-attack-marker-{tag}"
    with open("/dev/kmsg", "w") as kmsg:
        kmsg.write(marker + "\n")
    disk, majmin = host_disk()
    bob = node.container(50, "", user="bob", app=BOB_APP)
    alice = node.container(51, "")
    params = {
        "host_release": os.uname().release, "kmsg_marker": marker,
        "nm_port": listener.port, "nm_banner": listener.banner,
        "bob_port": free_port(), "bob_banner": f"BOB-SECRET-{tag}", "bob_pid": 0,
        "bob_uid": pwd.getpwnam("bob").pw_uid, "bob_work": str(bob.work), "bob_appdir": str(bob.work.parent),
        "bob_logdir": str(bob.logdir), "bob_tokens": str(bob.work / "container_tokens"), "bob_nm_tokens": str(bob.tokens),
        "my_work": str(alice.work), "host_disk": disk, "host_disk_majmin": list(majmin),
        "suid_probe": str(attacks / "suid-probe"), "fork_cap": 1000, "pids_limit": PIDS_LIMIT,
        "eat_mib": EAT_MIB, "memory_mb": MEMORY_MB,
    }
    params_file = attacks / "params.json"

    def write_params():
        params_file.write_text(json.dumps(params))
        os.chmod(params_file, 0o644)

    write_params()
    payload = f"/usr/bin/python3 {attacks}/attack_payload.py"
    raw = {}
    results = {}
    bob.script.write_text(yarn_script(bob.logdir, f"{payload} listen {params_file}"))
    bob_proc = node.popen(bob.argv)
    try:
        deadline = time.time() + 60
        while not (bob.pidfile.exists() and bob.pidfile.read_text().strip().isdigit()):
            if bob_proc.poll() is not None or time.time() > deadline:   # a launcher that died will never write it
                raise AssertionError(f"bob's container did not start (launcher status {bob_proc.poll()}): "
                                     f"{bob_proc.stderr.read() if bob_proc.poll() is not None else 'timeout'}")
            time.sleep(0.02)
        params["bob_pid"] = int(bob.pidfile.read_text())
        if not wait_for_text(bob.logdir / "stdout", "LISTENING"):
            raise AssertionError(f"bob's listener did not start: {bob.log('stderr')} {bob.log('prelaunch.err')}")
        write_params()
        log("bob's container is up; running the batch")

        alice.script.write_text(yarn_script(alice.logdir, f"{payload} batch {params_file}"))
        result = node.run(alice.argv, timeout=600)
        raw["batch"] = (result.returncode, result.stderr, alice.log("stdout"), alice.log("stderr"))
        results.update(parse_verdicts(alice.log("stdout")))

        log("fork bomb")
        bomb = node.container(52, "")
        bomb.script.write_text(yarn_script(bomb.logdir, f"{payload} forkbomb {params_file}"))
        result = node.run(bomb.argv, timeout=300)
        raw["fork_bomb"] = (result.returncode, result.stderr, bomb.log("stdout"), bomb.log("stderr"))
        found = parse_verdicts(bomb.log("stdout"))
        progress = bomb.log("stderr").split()
        if "fork_bomb" not in found and result.returncode != 0 and progress:
            # gVisor: the sentry's own host threads share the pids cgroup, so at the limit the whole sandbox
            # ends (status 2) instead of fork() failing inside it. The host stayed bounded all the same.
            found["fork_bomb"] = ("BLOCKED", f"sandbox ended with status {result.returncode} after {progress[-1]}+ forks "
                                             f"(pids.limit={PIDS_LIMIT} reached by sentry threads + guest tasks)")
        results.update(found)

        log("memory")
        mem = node.container(53, "")
        mem.script.write_text(yarn_script(mem.logdir, f"{payload} memory {params_file}"))
        context = mem.context_file(memoryMB=MEMORY_MB)
        result = node.run(["launch", mem.cid, "--context", context], timeout=300)
        raw["memory_limit"] = (result.returncode, result.stderr, mem.log("stdout"), mem.log("stderr"))
        found = parse_verdicts(mem.log("stdout"))
        if "memory_limit" not in found and result.returncode in (137, 128 + 9):
            # the whole sandbox was OOM-killed (the runtime's own processes share the cgroup): still bounded
            found["memory_limit"] = ("BLOCKED", f"container killed (status {result.returncode}) at memoryMB={MEMORY_MB}")
        results.update(found)
    finally:
        node.run(["bob", "bob", "2", str(params["bob_pid"]), "9"]) if params["bob_pid"] else None
        try:
            bob_proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            bob_proc.kill()
        listener.close()
    for probe in ["/usr/kyr-attack-probe", "/etc/kyr-attack-probe", "/opt/kyr-attack-probe"]:
        if os.path.exists(probe):   # a write that reached the host itself: never expected, always reported
            results["write_host_view"] = ("ALLOWED", f"{probe} exists on the host")
            os.unlink(probe)
    return results, raw
