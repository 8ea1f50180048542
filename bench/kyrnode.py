"""The benchmarks' node: the integration tests' Node and Launch (Tests/Integration/conftest.py: users, setuid install,
container-executor.cfg, the NodeManager's files), kept under a fixed name in /var/lib/kyr-bench, plus what only the
benchmark needs: another binary in place of the build's, a state root elsewhere (a tmpfs), application ids by number,
and launches as the NodeManager user without runuser in between."""
import grp
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "Integration"))
import conftest  # noqa: E402  (one test node for the tests and the benchmark)
from conftest import ensure_accounts  # noqa: E402,F401

BASE = Path(os.environ.get("KYR_BENCH_ROOT", "/var/lib/kyr-bench"))
CLUSTER_TS = "1795555676958"
TENANT = "alice"


def context_argv(launch, **extra):
    """The `launch` verb with a JSON launch context (passes vcores/memory to the workloads)."""
    return ["launch", launch.cid, "--context", launch.context_file(**extra)]


def exitcode_file(launch):
    return launch.pidfile.parent / (launch.pidfile.name + ".exitcode")


class Node(conftest.Node):
    """BASE/<name>; `binary` replaces the build's kata-yarn-runtime (a 'before' build), `state_root` holds the
    [kata] state-root (bundles, runtime state, records) instead of the node's own state/."""

    def __init__(self, name: str, runtime: str, binary: Path | None = None, extra_cfg: str = "",
                 state_root: Path | None = None):
        root = BASE / name
        if root.exists():
            subprocess.run(["umount", "-R", "-l", str(root)], capture_output=True)
            shutil.rmtree(root, ignore_errors=True)
        BASE.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chmod(BASE, 0o755)
        root.mkdir(mode=0o755)
        super().__init__(root, runtime, extra_cfg=extra_cfg)
        self.name = name
        self.nm = pwd.getpwnam(conftest.NM_USER)
        self.gid = grp.getgrnam(conftest.NM_GROUP).gr_gid
        self.cfg = root / "etc" / "hadoop" / "container-executor.cfg"
        if binary:
            shutil.copy2(binary, self.bin)
            os.chown(self.bin, 0, self.gid)
            os.chmod(self.bin, 0o6050)
        if state_root:
            self.state = Path(state_root) / name
            shutil.rmtree(self.state, ignore_errors=True)
            self.write_cfg(extra_cfg)
        self.counter = 0

    def container(self, script_body: str, app: str = "0001", user: str = TENANT):
        """Everything the NodeManager prepares before operation 1, for the next container of application `app`."""
        self.counter += 1
        return super().container(self.counter, script_body, user=user, app=f"application_{CLUSTER_TS}_{app}")

    def drop_app(self, app: str):
        application = f"application_{CLUSTER_TS}_{app}"
        for d in [self.local / "nmPrivate" / application, self.logs / application,
                  self.local / "usercache" / TENANT / "appcache" / application]:
            shutil.rmtree(d, ignore_errors=True)

    def nm_popen(self, args, **kw):
        """The binary as the NodeManager runs it: real uid yarn, groups {hadoop}, empty environment."""
        return subprocess.Popen([str(self.bin)] + [str(a) for a in args], user=self.nm.pw_uid, group=self.gid,
                                extra_groups=[self.gid], env={}, cwd="/", start_new_session=True, **kw)

    def destroy(self):
        subprocess.run(["umount", "-R", "-l", str(self.root)], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)
