"""Issue 20: kyr-init (pid 1 in every container, and the only process of ours inside a Kata guest) applies
Hadoop's umask and, when given --nproc=N, an RLIMIT_NPROC cap before the workload runs. Kata's agent has no umask
field and Kata's shim drops linux.resources.pids, so these two are what a VM gets; here they run under runc, with
a spec whose own umask (0022, what Kata's agent leaves) and pids limit (none) would not give them.
"""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BUILD, need_root

RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = shutil.which("busybox")
# A uid no process on this host runs as: under runc RLIMIT_NPROC counts that uid's processes host-wide.
UID = 59_917


def _bundle(root: Path, init_args, script):
    rootfs = root / "rootfs"
    for sub in ["bin", "proc", "dev", "tmp"]:
        (rootfs / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    for applet in ["sh", "sleep", "ls", "grep", "wc", "stat", "touch", "mkdir", "cat"]:
        (rootfs / "bin" / applet).symlink_to("busybox")
    shutil.copy2(BUILD / "kyr-init", rootfs / "kyr-init")
    spec = {
        "ociVersion": "1.0.2",
        "process": {"terminal": False, "user": {"uid": UID, "gid": UID, "umask": 0o022}, "cwd": "/tmp",
                    "args": ["/kyr-init", *init_args, "/bin/sh", "-c", script],
                    "env": ["PATH=/bin"], "noNewPrivileges": True,
                    "capabilities": {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}},
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "kyrinit",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777", f"uid={UID}", f"gid={UID}"]}],
        "linux": {"namespaces": [{"type": t} for t in ["pid", "ipc", "uts", "mount", "network"]]},
    }
    (root / "config.json").write_text(json.dumps(spec))


def _run(init_args, script):
    need_root()
    if not (Path(RUNC).exists() and BUSYBOX and (BUILD / "kyr-init").exists()):
        pytest.skip("needs runc, busybox-static and `make release` (kyr-init)")
    root = Path(tempfile.mkdtemp(prefix="kyr-init-", dir="/tmp"))
    name = "kyr-init-" + root.name
    try:
        _bundle(root, init_args, script)
        done = subprocess.run([RUNC, "run", "--bundle", str(root), name], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr
    finally:
        subprocess.run([RUNC, "delete", "--force", name], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


# Prints the cap, then starts up to 20 background sleepers, one "started" line each (echo is a builtin). busybox sh
# ends with "can't fork" when the cap refuses a fork.
FORKS = ("while read -r l; do case \"$l\" in 'Max processes'*) echo \"limit=$l\";; esac; done < /proc/self/limits; "
         "i=0; while [ $i -lt 20 ]; do sleep 30 & echo started; i=$((i+1)); done")


def test_nproc_caps_the_workload_under_runc():
    status, out, err = _run(["--nproc=6"], FORKS)
    limit = [line for line in out.splitlines() if line.startswith("limit=")]
    assert limit and limit[0].split()[2:4] == ["6", "6"], out
    # kyr-init and sh count too: at most 6 tasks of that uid, so at most 4 sleepers; the 5th fork is refused.
    assert 1 <= out.count("started") <= 4, out
    assert status != 0 and "can't fork" in err, (status, err)


def test_without_nproc_nothing_is_capped():
    # The control: the same script without the option starts all 20 (so the test above can fail).
    status, out, err = _run([], FORKS)
    assert status == 0, err
    assert out.count("started") == 20, out


def test_umask_is_hadoops_before_the_workload_runs():
    status, out, err = _run(["--nproc=50", "--"],
                            "umask; touch /tmp/f; mkdir /tmp/d; stat -c '%a %n' /tmp/f /tmp/d")
    assert status == 0, err
    assert out.split() == ["0027", "640", "/tmp/f", "750", "/tmp/d"], out


def test_bad_options_exit_127_before_running_anything():
    for args in (["--nproc=0"], ["--nproc=abc"], ["--unknown"], ["--nproc"]):
        status, out, err = _run(args, "echo ran")
        assert status == 127 and "ran" not in out, (args, out, err)
        assert "kyr-init:" in err, err
