"""Integration harness: a throwaway Hadoop-style node under /var/lib/kyr-test, real users, the real binary.

Every test here runs real runtimes (runc, runsc) as root; the setuid tests call the installed binary as the
NodeManager user `yarn` (in group `hadoop`) through runuser with an empty environment, as a NodeManager does.
"""
import grp
import json
import os
import pwd
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures" / "yarn-3.3.6"   # recorded from a real 3.3.6 NodeManager
BUILD = Path(os.environ.get("KYR_BUILD_DIR", REPO / ".build" / "release"))
NM_GROUP = "hadoop"
NM_USER = "yarn"
TENANTS = ["alice", "bob", "mallory"]
APP = "application_1795555676958_0001"
# Lines a suite wants in the final report (the replay's `N passed, N failed`), printed after pytest's capture ends.
SUMMARY = []


def pytest_terminal_summary(terminalreporter):
    for line in SUMMARY:
        terminalreporter.write_line(line)


def need_root():
    if os.geteuid() != 0:
        pytest.skip("integration tests create users, install a setuid binary and start runtimes: run as root")


def ensure_accounts():
    if not _exists(grp.getgrnam, NM_GROUP):
        subprocess.run(["groupadd", "-f", NM_GROUP], check=True)
    if not _exists(pwd.getpwnam, NM_USER):
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "-g", NM_GROUP, NM_USER], check=True)
    subprocess.run(["usermod", "-a", "-G", NM_GROUP, NM_USER], check=True)
    for name in TENANTS:   # ordinary accounts: uids from UID_MIN (1000), above min.user.id
        if not _exists(pwd.getpwnam, name):
            subprocess.run(["useradd", "-M", "-s", "/bin/bash", name], check=True)


def _exists(lookup, name):
    try:
        lookup(name)
        return True
    except KeyError:
        return False


class Node:
    """A root-owned node layout: bin/, libexec/, etc/hadoop/container-executor.cfg, nm/local, nm/logs, state/."""

    def __init__(self, root: Path, runtime: str, setuid: bool = True, extra_cfg: str = ""):
        self.root = root
        self.runtime = runtime
        self.local = root / "nm" / "local"
        self.logs = root / "nm" / "logs"
        self.state = root / "state"
        self.bin = root / "bin" / "kata-yarn-runtime"
        for d in [root / "bin", root / "libexec" / "kata-yarn-runtime", root / "etc" / "hadoop", self.local, self.logs]:
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        binary = BUILD / "kata-yarn-runtime"
        if not binary.exists():
            pytest.fail(f"{binary} missing: run `make release` first (make test does)")
        shutil.copy2(binary, self.bin)
        for helper in ["kyr-init", "kyr-compat.so", "kyr-share.so"]:
            shutil.copy2(BUILD / helper, root / "libexec" / "kata-yarn-runtime" / helper)
        nm = pwd.getpwnam(NM_USER)
        gid = grp.getgrnam(NM_GROUP).gr_gid
        os.chown(self.bin, 0, gid)
        os.chmod(self.bin, 0o6050 if setuid else 0o750)
        for d in [root / "nm", self.local, self.logs]:
            os.chown(d, nm.pw_uid, gid)
            os.chmod(d, 0o755)
        (self.local / "nmPrivate").mkdir(mode=0o700, exist_ok=True)
        for d in ["nmPrivate", "usercache", "filecache"]:
            (self.local / d).mkdir(exist_ok=True)
            os.chown(self.local / d, nm.pw_uid, gid)
        os.chmod(self.local / "nmPrivate", 0o700)
        self.write_cfg(extra_cfg)

    def write_cfg(self, extra: str = ""):
        cfg = self.root / "etc" / "hadoop" / "container-executor.cfg"
        cfg.write_text(
            f"yarn.nodemanager.linux-container-executor.group={NM_GROUP}\n"
            "banned.users=hdfs,yarn,mapred,bin\nmin.user.id=1000\nallowed.system.users=\n"
            "feature.yarn.sysfs.enabled=true\n"
            "[runc]\n  module.enabled=true\n"
            f"[kata]\n  runtime.default={self.runtime}\n  runtime.allowed=runc,runsc,shim:runc,shim:containerd-shim-runc-v2\n"
            f"  state-root={self.state}\n" + extra)
        os.chmod(cfg, 0o644)
        return cfg

    # -- a YARN launch as the NodeManager prepares it --------------------------------------------------------
    def container(self, n: int, script_body: str, user: str = "alice", app: str = APP):
        cid = f"container_1795555676958_{app.split('_')[-1]}_01_{n:06d}"
        private = self.local / "nmPrivate" / app / cid
        private.mkdir(parents=True, exist_ok=True)
        nm = pwd.getpwnam(NM_USER)
        for p in [self.local / "nmPrivate" / app, private]:
            os.chown(p, nm.pw_uid, nm.pw_gid)
        script = private / "launch_container.sh"
        script.write_text(script_body)
        tokens = private / f"{cid}.tokens"
        tokens.write_bytes(b"HDTS\x00fake-token-bytes")
        for p in [script, tokens]:
            os.chown(p, nm.pw_uid, nm.pw_gid)
            os.chmod(p, 0o644)
        work = self.local / "usercache" / user / "appcache" / app / cid
        return Launch(self, user, app, cid, work, script, tokens, private / f"{cid}.pid")

    def run(self, args, as_nm=True, timeout=120, env=None, **kw):
        argv = [str(self.bin)] + [str(a) for a in args]
        if as_nm:
            argv = ["/usr/sbin/runuser", "-u", NM_USER, "--", "/usr/bin/env", "-i"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env or {}, **kw)

    def popen(self, args, as_nm=True):
        argv = [str(self.bin)] + [str(a) for a in args]
        if as_nm:
            argv = ["/usr/sbin/runuser", "-u", NM_USER, "--", "/usr/bin/env", "-i"] + argv
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={})

    def leftovers(self):
        """Everything a finished container could leave: records, bundles, runtime state, mounts, processes."""
        found = []
        containers = self.state / "containers"
        if containers.exists():
            found += [f"record {p.name}" for p in containers.iterdir()]
        for runtime_root in (self.state / "runtimes").glob("*") if (self.state / "runtimes").exists() else []:
            found += [f"{runtime_root.name} state {p.name}" for p in runtime_root.iterdir() if p.is_dir() and p.name.startswith("container_")]
        mounts = Path("/proc/self/mountinfo").read_text()
        found += [f"mount {line.split()[4]}" for line in mounts.splitlines() if str(self.root) in line]
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        found += [f"process {l.strip()}" for l in ps.splitlines() if str(self.root) in l and "pytest" not in l]
        return found


class Launch:
    def __init__(self, node, user, app, cid, work, script, tokens, pidfile):
        self.node, self.user, self.app, self.cid = node, user, app, cid
        self.work, self.script, self.tokens, self.pidfile = work, script, tokens, pidfile
        self.logdir = node.logs / app / cid

    @property
    def argv(self):
        n = self.node
        return [self.user, self.user, "1", self.app, self.cid, self.work, self.script, self.tokens, "--http",
                self.pidfile, n.local, n.logs, "cgroups=none"]

    def context_file(self, **extra):
        doc = {"runAsUser": self.user, "user": self.user, "containerId": self.cid, "workDir": str(self.work),
               "scriptPath": str(self.script), "tokensPath": str(self.tokens), "pidFile": str(self.pidfile),
               "localDirs": [str(self.node.local)], "logDirs": [str(self.node.logs)]}
        doc.update(extra)
        path = self.script.parent / "kata-launch.json"
        path.write_text(json.dumps(doc))
        os.chmod(path, 0o644)
        return path

    def wait_for_pid(self, timeout=30, proc=None):
        """The pid the launcher wrote; with the launcher's `proc`, fails at once (with its stderr) if it ended first."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.pidfile.exists() and self.pidfile.read_text().strip().isdigit():
                return int(self.pidfile.read_text())
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"launcher ended ({proc.returncode}) before writing {self.pidfile}: {proc.stderr.read()}")
            time.sleep(0.02)
        raise AssertionError(f"no pid file {self.pidfile} after {timeout}s")

    @property
    def armed(self):
        """The marker a workload writes once its traps are installed: signal tests signal only after it exists."""
        return self.logdir / "armed"

    def arm(self):
        """The shell command that writes the marker (the log dir is mounted at its host path in every runtime)."""
        return f"echo armed > {self.armed}"

    def wait_armed(self, proc, timeout=60):
        """The container's pid, once the workload has written its marker; fails at once if the launcher ended."""
        pid = self.wait_for_pid(timeout, proc)
        deadline = time.time() + timeout
        while not self.armed.exists():
            if proc.poll() is not None:
                raise AssertionError(f"launcher ended ({proc.returncode}) before the workload was armed: {proc.stderr.read()}")
            if time.time() > deadline:
                raise AssertionError(f"no {self.armed} after {timeout}s")
            time.sleep(0.02)
        return pid

    def log(self, name):
        path = self.logdir / name
        return path.read_text() if path.exists() else ""


def yarn_script(logdir: Path, command: str) -> str:
    """A launch_container.sh shaped like the NodeManager's (prelaunch redirections, exports, exec bash -c)."""
    return f"""#!/bin/bash

set -o pipefail -e
export PRELAUNCH_OUT="{logdir}/prelaunch.out"
exec >"${{PRELAUNCH_OUT}}"
export PRELAUNCH_ERR="{logdir}/prelaunch.err"
exec 2>"${{PRELAUNCH_ERR}}"
echo "Setting up env variables"
export CONTAINER_ID="{logdir.name}"
echo "Launching container"
exec /bin/bash -c "( {command} ) 1>{logdir}/stdout 2>{logdir}/stderr"
"""


def recorded_script(capture: str, node: Node) -> str:
    files = FIXTURES / "invocations" / capture / "files"
    script = next(p for p in files.iterdir() if p.name.endswith("launch_container.sh"))
    return script.read_text().replace("/tmp/yarn-nm", str(node.root / "nm"))


def runtimes_known():
    """The runtimes every per-runtime test is parametrized over (a missing one is a reported skip, not a gap).
    `make e2e RUNTIME=kata` (a KVM host with Kata installed) runs the suites against exactly that runtime."""
    if os.environ.get("KYR_RUNTIMES"):
        return os.environ["KYR_RUNTIMES"].split(",")
    return ["runc", "runsc", "shim:containerd-shim-runc-v2"]   # the shim: the shim v2 driver, Kata's code path


def runtime_missing(runtime):
    """Why `runtime` cannot run on this host, with what to install; None when it can."""
    if runtime == "runc" and not (shutil.which("runc") or Path("/usr/sbin/runc").exists()):
        return "runc not installed: apt-get install runc"
    if runtime == "runsc" and not shutil.which("runsc"):
        return "runsc not installed: apt-get install runsc"
    if runtime.startswith("shim:") and not Path("/usr/bin", runtime[len("shim:"):]).exists():
        install = ": apt-get install containerd" if runtime.endswith("runc-v2") else ""
        return f"/usr/bin/{runtime[len('shim:'):]} not installed{install}"
    return None


def runtimes_available():
    return [r for r in runtimes_known() if not runtime_missing(r)]


def on_runtime(value, runtime):
    """A test parameter that needs `runtime`: itself, or a skip that says what is missing."""
    reason = runtime_missing(runtime)
    return pytest.param(value, marks=pytest.mark.skip(reason=reason)) if reason else value


def runtime_params(*only):
    """Every known runtime (or those of `only`), each a skip with its reason where it is missing."""
    return [on_runtime(r, r) for r in runtimes_known() if not only or r in only]


@pytest.fixture
def make_node(tmp_path_factory):
    need_root()
    ensure_accounts()
    base = Path("/var/lib/kyr-test")
    base.mkdir(mode=0o755, exist_ok=True)
    os.chmod(base, 0o755)
    nodes = []

    def factory(runtime="runc", **kw):
        root = base / f"n{os.getpid()}-{random.randrange(1 << 30):x}"
        root.mkdir(mode=0o755)
        node = Node(root, runtime, **kw)
        nodes.append(node)
        return node

    yield factory
    for node in nodes:
        subprocess.run(["umount", "-R", "-l", str(node.root)], capture_output=True)
        shutil.rmtree(node.root, ignore_errors=True)


@pytest.fixture
def node(make_node):
    """A runc node with one prepared launch (`node.launch`) whose script just succeeds."""
    node = make_node("runc")
    launch = node.container(2, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    node.launch = launch
    return node
