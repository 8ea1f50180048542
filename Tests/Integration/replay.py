"""Replays every NodeManager invocation recorded from a real Hadoop 3.3.6 NodeManager
(Tests/Fixtures/yarn-3.3.6, INDEX.tsv) through the installed setuid binary, called as the NodeManager user
with an empty environment, and compares the exit code and the file effects with the recording.

Rewrites, each for a reason a Hadoop operator would accept:
- paths: /tmp/yarn-nm → the test node's nm/, /tmp/hadoop → the node's hadoop/ (a temporary root, not /tmp);
- workloads that need a live Hadoop (the MapReduce/distributedshell JVMs, the localizer) are replaced by stand-ins
  that end with the recorded status: a launch whose recording ended 143 (killed by the NodeManager) sleeps until
  the replayed signal arrives, so 143 comes from a real SIGTERM through the runtime;
- recorded pids are mapped to the pids of the replayed containers;
- runc image layers (not in the recording) are a squashfs image built here with bash, busybox and the marker the
  recorded image printed.
"""
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from conftest import NM_USER, FIXTURES

INDEX = FIXTURES / "INDEX.tsv"
RECORDED_NM = "/tmp/yarn-nm"
RECORDED_HADOOP = "/tmp/hadoop"
RECORDED_MINI = "/tmp/mini-run"   # the MiniYARNCluster run at the end of the recording

# Deviations, with the reason each is accepted. Keyed by capture name; value: (expected exit code here, reason).
DEVIATIONS = {
    "0094-launch-docker-container": (32, "docker is refused by design (FEATURE_DISABLED): request a sandbox with YARN_CONTAINER_RUNTIME_TYPE=kata"),
    "0107-launch-docker-container": (32, "docker is refused by design (FEATURE_DISABLED)"),
    "0100-inspect-docker-container": (32, "docker is refused by design (FEATURE_DISABLED)"),
    "0117-inspect-docker-container": (32, "docker is refused by design (FEATURE_DISABLED)"),
    "0141-inspect-docker-container": (32, "docker is refused by design (FEATURE_DISABLED)"),
    "0146-inspect-docker-container": (32, "docker is refused by design (FEATURE_DISABLED)"),
    "0057-signal-container": (9, "timing: the recorded SIGKILL came 250 ms after SIGTERM, while the MapReduce JVM was still shutting down (0); the stand-in exits at once on SIGTERM, so SIGKILL finds the group gone (9), an answer the NodeManager treats as 'already exited'"),
    "0059-signal-container": (9, "timing, as 0057"),
    "0089-signal-container": (9, "timing, as 0057"),
    "0131-delete-as-user": (0, "Hadoop's runc left root-owned mountpoints in private_slash_tmp that the user could not delete (255); our bundles give /tmp a private tmpfs, so the user's delete succeeds"),
    "0132-delete-as-user": (0, "as 0131"),
    "0134-delete-as-user": (0, "as 0131: the application dir is deletable because nothing root-owned was left in it"),
    "0136-delete-as-user": (0, "as 0131"),
    "0137-delete-as-user": (0, "as 0131"),
}


@dataclass
class Invocation:
    capture: str
    exit_code: int
    argv: list
    directory: Path

    @property
    def kind(self):
        return self.capture.split("-", 1)[1]


def load_index():
    items = []
    for line in INDEX.read_text().splitlines()[1:]:
        capture, _time, code, _ms, _argv = line.split("\t", 4)
        directory = FIXTURES / "invocations" / capture
        argv = json.loads((directory / "argv.json").read_text())["argv"][1:]
        items.append(Invocation(capture, int(code), argv, directory))
    return items


@dataclass
class Replayer:
    node: object
    results: list = field(default_factory=list)
    running: dict = field(default_factory=dict)      # container id -> (Popen, launch record)
    pid_of: dict = field(default_factory=dict)        # recorded pid -> replayed pid
    image: Path = None

    def rewrite(self, text):
        return (text.replace(RECORDED_NM, str(self.node.root / "nm")).replace(RECORDED_HADOOP, str(self.node.root / "hadoop"))
                .replace(RECORDED_MINI, str(self.node.root / "mini-run")))

    def nm_directories(self, inv):
        """Directories the NodeManager had made before the call (its local/log roots), owner and mode as recorded."""
        nm = pwd.getpwnam(NM_USER)
        for line in (inv.directory / "paths-before.txt").read_text().splitlines():
            if not line.startswith("d") or "yarn:hadoop" not in line:
                continue
            _perms, octal, _owner, _size, path = line.split(" ", 4)
            target = Path(self.rewrite(path))
            if str(target).startswith(str(self.node.root)) and not target.exists():
                target.mkdir(parents=True)
                for p in [target] + [q for q in target.parents if str(q).startswith(str(self.node.root) + "/")]:
                    if p.stat().st_uid == 0 and p != self.node.root:
                        os.chown(p, nm.pw_uid, nm.pw_gid)
                os.chmod(target, int(octal, 8))

    # -- the NodeManager's side of each call --------------------------------------------------------------
    def nm_file(self, path: Path, content: bytes):
        """Writes a file the NodeManager would have written (as the NM user, in its private dirs)."""
        nm = pwd.getpwnam(NM_USER)
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in [path.parent, path.parent.parent]:
            if str(parent).startswith(str(self.node.local / "nmPrivate")):
                os.chown(parent, nm.pw_uid, nm.pw_gid)
        if not path.exists():
            path.write_bytes(content)
            os.chown(path, nm.pw_uid, nm.pw_gid)
            os.chmod(path, 0o644)

    def recorded_file(self, inv, original_path):
        flat = original_path.lstrip("/").replace("/", "_")
        for candidate in (inv.directory / "files").glob("*"):
            if candidate.name == flat or candidate.name == flat + ".sanitized.txt":
                return candidate
        return None

    def container_log_script(self, app, cid):
        path = FIXTURES / "container-logs" / app / cid / "launch_container.sh"
        return path.read_text() if path.exists() else None

    def stand_in(self, script: str, recorded_exit: int) -> str:
        """Keeps YARN's script and replaces only a workload that needs a live Hadoop."""
        lines = script.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("exec /bin/bash -c"):
                needs_hadoop = "java" in line or "$JAVA_HOME" in line
                if recorded_exit == 143:
                    lines[i] = "exec /bin/bash -c 'sleep 600'"
                elif needs_hadoop or recorded_exit != 0:
                    lines[i] = f"exec /bin/bash -c 'exit {recorded_exit}'"
        return "\n".join(lines) + "\n"

    def prepare(self, inv):
        argv = [self.rewrite(a) for a in inv.argv]
        kind = inv.kind
        self.nm_directories(inv)
        if kind == "launch-container":
            app, cid, script, tokens = inv.argv[3], inv.argv[4], argv[6], argv[7]
            recorded = self.recorded_file(inv, inv.argv[6])
            body = self.rewrite(recorded.read_text()) if recorded else self.rewrite(self.container_log_script(app, cid) or "")
            self.nm_file(Path(script), self.stand_in(body, inv.exit_code).encode())
            self.nm_file(Path(tokens), token_bytes(self.recorded_file(inv, inv.argv[7])))
        elif kind == "initialize-container":
            self.nm_file(Path(argv[5]), token_bytes(self.recorded_file(inv, inv.argv[5])))
            uid = pwd.getpwnam(argv[0]).pw_uid
            tokens_name = Path(argv[5]).name
            # The localizer needs a live NodeManager; the stand-in proves it runs as the user, in the primary
            # app dir, with the tokens copied there, then exits 0 as the recorded localizer did.
            check = f'test "$(id -u)" = {uid} && test -f {tokens_name} && test "$(pwd)" = "{argv[6].split("%")[0]}/usercache/{argv[1]}/appcache/{argv[3]}"'
            argv = argv[:8] + ["/bin/sh", "-c", check]
        elif kind == "run-runc-container":
            doc = json.loads(self.rewrite(self.recorded_file(inv, inv.argv[1]).read_text()))
            doc["layers"] = [{"mediaType": "application/vnd.squashfs", "path": str(self.image)}]
            app, cid = doc["applicationId"], doc["containerId"]
            self.nm_file(Path(doc["containerScriptPath"]),
                         self.stand_in(self.rewrite(self.container_log_script(app, cid) or ""), inv.exit_code).encode())
            self.nm_file(Path(doc["containerCredentialsPath"]), b"HDTS\x00replayed-token")
            self.nm_file(Path(argv[1]), json.dumps(doc).encode())
        elif kind == "signal-container":
            argv[3] = str(self.map_pid(int(inv.argv[3]), inv.exit_code))
        return argv

    def map_pid(self, recorded_pid, recorded_exit):
        if recorded_pid in self.pid_of:
            return self.pid_of[recorded_pid]
        if recorded_exit == 0:   # the NodeManager signalled a live container: the oldest running unmapped one
            mapped = set(self.pid_of.values())
            for cid, (proc, pidfile) in self.running.items():
                pid = read_pid(pidfile)
                if pid and pid not in mapped and proc.poll() is None:
                    self.pid_of[recorded_pid] = pid
                    return pid
        pid = dead_pid()
        self.pid_of[recorded_pid] = pid
        return pid

    # -- running and checking -----------------------------------------------------------------------------
    def replay(self, inv):
        argv = self.prepare(inv)
        expected, reason = DEVIATIONS.get(inv.capture, (inv.exit_code, None))
        if inv.kind in ("launch-container", "run-runc-container"):
            return self.launch(inv, argv, expected, reason)
        result = self.node.run(argv, timeout=120)
        self.settle()
        return self.record(inv, result.returncode, expected, reason, result.stderr)

    def launch(self, inv, argv, expected, reason):
        if inv.kind == "launch-container":
            pidfile = Path(argv[9] if argv[8] == "--http" else argv[11])
            cid = inv.argv[4]
        else:
            doc = json.loads(Path(argv[1]).read_text())
            pidfile, cid = Path(doc["pidFile"]), doc["containerId"]
        proc = self.node.popen(argv)
        self.running[cid] = (proc, pidfile)
        self.pending = getattr(self, "pending", {})
        self.pending[cid] = (inv, expected, reason)
        deadline = time.time() + 60
        while time.time() < deadline and read_pid(pidfile) is None and proc.poll() is None:
            time.sleep(0.01)
        if expected != 143:
            proc.wait(timeout=120)
            self.settle()
        return None

    def settle(self):
        """Records launches that have finished."""
        for cid, (proc, _pidfile) in list(self.running.items()):
            if proc.poll() is not None:
                inv, expected, reason = self.pending.pop(cid)
                del self.running[cid]
                self.record(inv, proc.returncode, expected, reason, proc.stderr.read())

    def finish(self):
        for cid, (proc, _pidfile) in list(self.running.items()):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.settle()

    def record(self, inv, actual, expected, reason, stderr):
        effects = self.check_effects(inv) if actual == inv.exit_code else []
        ok = actual == expected and not effects
        self.results.append({"capture": inv.capture, "recorded": inv.exit_code, "expected": expected, "actual": actual,
                             "ok": ok, "deviation": reason, "effects": effects, "stderr": stderr[-400:]})

    def check_effects(self, inv):
        """Existence, owner and mode of every NodeManager-dir path the recording lists after the call."""
        problems = []
        for line in (inv.directory / "paths-after.txt").read_text().splitlines():
            if line.startswith((" ", "find:")) or RECORDED_NM not in line:
                continue
            if line.startswith("(absent) "):
                path = Path(self.rewrite(line[len("(absent) "):]))
                if path.exists() and inv.kind not in ("launch-container", "run-runc-container"):
                    problems.append(f"{path} should be absent")
                continue
            perms, octal, owner, _size, path = line.split(" ", 4)
            path = Path(self.rewrite(path))
            if path.name.endswith((".pid", ".exitcode")) and inv.kind in ("launch-container", "run-runc-container"):
                pass
            if not path.exists():
                problems.append(f"{path} missing")
                continue
            st = os.lstat(path)
            user, group = owner.split(":")
            actual_owner = f"{pwd.getpwuid(st.st_uid).pw_name}:{_group(st.st_gid)}"
            if actual_owner != f"{user}:{group}" or stat.S_IMODE(st.st_mode) != int(octal, 8):
                problems.append(f"{path}: {actual_owner} {oct(stat.S_IMODE(st.st_mode))} != {owner} {octal}")
        return problems


def _group(gid):
    import grp
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def token_bytes(sanitized):
    """The recording kept each token file's size and first bytes; rebuild a file of the same size."""
    if not sanitized:
        return b"HDTS\x00replayed"
    text = sanitized.read_text()
    size = int(re.search(r"(\d+)", text).group(1)) if re.search(r"(\d+)", text) else 16
    return (b"HDTS" + b"\x00" * max(0, size - 4))[:max(size, 4)]


def read_pid(pidfile):
    try:
        text = Path(pidfile).read_text().strip()
        return int(text) if text.isdigit() else None
    except FileNotFoundError:
        return None


def dead_pid():
    """A pid with no process and no process group, so kill(-pid, 0) fails with ESRCH."""
    maximum = int(Path("/proc/sys/kernel/pid_max").read_text())
    for candidate in range(maximum - 1, maximum - 5000, -1):
        if not Path(f"/proc/{candidate}").exists():
            return candidate
    raise RuntimeError("no free pid found")


def build_image(path: Path):
    """A squashfs image like the recorded runc test image (a small Debian userland: bash, coreutils, findutils,
    /etc/image-id), built from this host's binaries and the libraries they link."""
    root = path.parent / "image-root"
    for d in ["bin", "etc", "tmp", "proc", "dev", "sys", "var/tmp"]:
        (root / d).mkdir(parents=True, exist_ok=True)
    tools = ["bash", "sh", "find", "ls", "cp", "chmod", "ln", "id", "hostname", "cat", "pwd", "echo", "sleep",
             "mkdir", "env", "grep", "true", "false", "test", "rm", "touch", "umask"]
    libraries = set()
    for tool in tools:
        found = shutil.which(tool, path="/usr/bin:/bin")
        if not found:
            continue
        shutil.copy2(os.path.realpath(found), root / "bin" / tool)
        out = subprocess.run(["ldd", found], capture_output=True, text=True).stdout
        libraries.update(re.findall(r"(/\S+\.so[.\d]*)", out))
    for lib in libraries:
        target = root / lib.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(lib), target)
    (root / "etc" / "image-id").write_text("runc-test-image\n")
    for name in ["passwd", "group"]:
        (root / "etc" / name).write_text(Path("/etc", name).read_text())
    subprocess.run(["mksquashfs", str(root), str(path), "-noappend", "-quiet", "-all-root"], check=True, capture_output=True)
    os.chmod(path, 0o644)
    return path
