"""A throwaway YARN-style node for the benchmarks, built like Tests/Integration/conftest.py's: users yarn (NM, group
hadoop) and alice (tenant), the binary installed setuid root:hadoop 6050 next to libexec/kata-yarn-runtime/{kyr-init,
kyr-compat.so} and etc/hadoop/container-executor.cfg with a [kata] section. No pytest dependency."""
import grp
import json
import os
import pwd
import shutil
import subprocess
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "Integration"))
from conftest import Launch as YarnLaunch  # noqa: E402  (one definition of a YARN launch for tests and bench)

NM_GROUP, NM_USER, TENANT = "hadoop", "yarn", "alice"
BASE = Path(os.environ.get("KYR_BENCH_ROOT", "/var/lib/kyr-bench"))
CLUSTER_TS = "1795555676958"


def ensure_accounts():
    def exists(lookup, name):
        try:
            lookup(name)
            return True
        except KeyError:
            return False
    if not exists(grp.getgrnam, NM_GROUP):
        subprocess.run(["groupadd", "-f", NM_GROUP], check=True)
    if not exists(pwd.getpwnam, NM_USER):
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "-g", NM_GROUP, NM_USER], check=True)
    subprocess.run(["usermod", "-a", "-G", NM_GROUP, NM_USER], check=True)
    if not exists(pwd.getpwnam, TENANT):
        subprocess.run(["useradd", "-M", "-s", "/bin/bash", TENANT], check=True)


class Node:
    """root/{bin,libexec,etc/hadoop,nm/local,nm/logs,state}; `runtime` is [kata] runtime.default."""

    def __init__(self, name: str, runtime: str, build: Path, binary: Path | None = None, extra_cfg: str = "",
                 state_root: Path | None = None):
        self.name, self.runtime = name, runtime
        self.root = BASE / name
        if self.root.exists():
            subprocess.run(["umount", "-R", "-l", str(self.root)], capture_output=True)
            shutil.rmtree(self.root, ignore_errors=True)
        self.local, self.logs = self.root / "nm/local", self.root / "nm/logs"
        # [kata] state-root: bundles, runtime state, records. Default here: on the node's filesystem, as the
        # integration tests do; production's default is /run/kata-yarn-runtime (a tmpfs on systemd hosts).
        self.state = Path(state_root) / name if state_root else self.root / "state"
        if state_root:
            shutil.rmtree(self.state, ignore_errors=True)
        self.bin = self.root / "bin/kata-yarn-runtime"
        for d in [self.root / "bin", self.root / "libexec/kata-yarn-runtime", self.root / "etc/hadoop", self.local, self.logs]:
            d.mkdir(parents=True, exist_ok=True)
        for d in [BASE, self.root]:
            os.chmod(d, 0o755)
        shutil.copy2(binary or build / "kata-yarn-runtime", self.bin)
        for helper in ["kyr-init", "kyr-compat.so"]:
            shutil.copy2(build / helper, self.root / "libexec/kata-yarn-runtime" / helper)
        self.nm = pwd.getpwnam(NM_USER)
        self.gid = grp.getgrnam(NM_GROUP).gr_gid
        os.chown(self.bin, 0, self.gid)
        os.chmod(self.bin, 0o6050)
        for d in [self.root / "nm", self.local, self.logs]:
            os.chown(d, self.nm.pw_uid, self.gid)
            os.chmod(d, 0o755)
        for d in ["nmPrivate", "usercache", "filecache"]:
            (self.local / d).mkdir(exist_ok=True)
            os.chown(self.local / d, self.nm.pw_uid, self.gid)
        os.chmod(self.local / "nmPrivate", 0o700)
        self.cfg = self.root / "etc/hadoop/container-executor.cfg"
        self.cfg.write_text(
            f"yarn.nodemanager.linux-container-executor.group={NM_GROUP}\n"
            "banned.users=hdfs,yarn,mapred,bin\nmin.user.id=1000\nallowed.system.users=\n"
            "[kata]\n"
            f"  runtime.default={runtime}\n"
            "  runtime.allowed=runc,runsc,shim:containerd-shim-runc-v2\n"
            f"  state-root={self.state}\n" + extra_cfg)
        os.chmod(self.cfg, 0o644)
        self.counter = 0

    def container(self, script_body: str, app: str = "0001", user: str = TENANT):
        """Everything the NodeManager prepares before calling operation 1 (nmPrivate script + tokens)."""
        self.counter += 1
        application = f"application_{CLUSTER_TS}_{app}"
        cid = f"container_{CLUSTER_TS}_{app}_01_{self.counter:06d}"
        private = self.local / "nmPrivate" / application / cid
        private.mkdir(parents=True, exist_ok=True)
        for p in [private.parent, private]:
            os.chown(p, self.nm.pw_uid, self.nm.pw_gid)
        script = private / "launch_container.sh"
        script.write_text(script_body)
        tokens = private / f"{cid}.tokens"
        tokens.write_bytes(b"HDTS\x00bench-token")
        for p in [script, tokens]:
            os.chown(p, self.nm.pw_uid, self.nm.pw_gid)
            os.chmod(p, 0o644)
        work = self.local / "usercache" / user / "appcache" / application / cid
        return Launch(self, user, application, cid, work, script, tokens, private / f"{cid}.pid")

    def drop_app(self, app: str):
        application = f"application_{CLUSTER_TS}_{app}"
        for d in [self.local / "nmPrivate" / application, self.logs / application,
                  self.local / "usercache" / TENANT / "appcache" / application]:
            shutil.rmtree(d, ignore_errors=True)

    def nm_popen(self, args, **kw):
        """The binary as the NodeManager runs it: real uid yarn, groups {hadoop}, empty environment."""
        return subprocess.Popen([str(self.bin)] + [str(a) for a in args], user=self.nm.pw_uid, group=self.gid,
                                extra_groups=[self.gid], env={}, cwd="/", start_new_session=True, **kw)

    def leftovers(self):
        found = []
        containers = self.state / "containers"
        if containers.exists():
            found += [f"record {p.name}" for p in containers.iterdir()]
        runtimes = self.state / "runtimes"
        for runtime_root in runtimes.glob("*") if runtimes.exists() else []:
            found += [f"{runtime_root.name} state {p.name}" for p in runtime_root.iterdir() if p.name.startswith("container_")]
        mounts = Path("/proc/self/mountinfo").read_text()
        found += [f"mount {line.split()[4]}" for line in mounts.splitlines() if str(self.root) in line]
        return found

    def destroy(self):
        subprocess.run(["umount", "-R", "-l", str(self.root)], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)


class Launch(YarnLaunch):
    """The integration harness's launch (operation 1 argv, launch-context file), plus what the bench reads."""

    def __init__(self, node, user, app, cid, work, script, tokens, pidfile):
        super().__init__(node, user, app, cid, work, script, tokens, pidfile)
        self.exitcode = pidfile.parent / (pidfile.name + ".exitcode")

    def context_argv(self, **extra):
        """The `launch` verb with a JSON launch context (used to pass vcores/memory for the workloads)."""
        return ["launch", self.cid, "--context", self.context_file(**extra)]

    def wait_for_pid(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                text = self.pidfile.read_text().strip()
                if text.isdigit():
                    return int(text)
            except FileNotFoundError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"no pid file {self.pidfile} after {timeout}s")
