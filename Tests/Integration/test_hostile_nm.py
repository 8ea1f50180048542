"""The NodeManager user as an attacker (issue: the setuid core against a hostile NM user).

Whoever controls the `yarn` account controls this setuid binary's argv. Each test below is one finding of that
review, reproduced as the NM user would try it, with canary processes owned by root, bob and alice and canary
files outside the NodeManager's roots. Every signal case runs in a fresh pid namespace (hostile_runner.py), so a
regression can only ever kill the canaries there, never the machine's own processes.

KYR_BUILD_DIR=<dir with an older release build> runs the same tests against that build (how each one was seen to
fail before its fix).
"""
import hashlib
import json
import os
import pwd
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import APP, NM_USER, yarn_script

RUNNER = Path(__file__).with_name("hostile_runner.py")


def in_pid_namespace(node, calls, timeout=60):
    spec = json.dumps({"binary": str(node.bin), "calls": [[str(a) for a in call] for call in calls], "timeout": timeout})
    done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, str(RUNNER), spec],
                          capture_output=True, text=True, timeout=timeout * len(calls) + 60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def snapshot(*roots):
    """Every path under `roots` with type, owner, mode, size, mtime and a content hash: what must not change."""
    seen = {}
    for root in roots:
        if os.path.isfile(root):
            st = os.lstat(root)
            seen[str(root)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, hashlib.sha256(Path(root).read_bytes()).hexdigest())
            continue
        for base, dirs, files in os.walk(root):
            for name in [""] + dirs + files:
                path = os.path.join(base, name) if name else base
                st = os.lstat(path)
                digest = ""
                if os.path.isfile(path) and not os.path.islink(path):
                    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                seen[path] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, digest)
    return seen


def owned_tree(root: Path, user: str, files=3):
    """A small directory tree owned by `user` (root: root), to be left alone."""
    account = pwd.getpwnam(user)
    (root / "sub").mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (root / f"file{i}").write_text(f"{user} {i}")
        (root / "sub" / f"deep{i}").write_text(f"{user} deep {i}")
    for base, dirs, names in os.walk(root):
        for name in [""] + dirs + names:
            os.lchown(os.path.join(base, name) if name else base, account.pw_uid, account.pw_gid)
    return root


# -- Finding 1: signals with real uid 0 ----------------------------------------------------------------------

def test_signals_reach_only_the_users_own_processes(node):
    result = in_pid_namespace(node, [
        ["alice", "alice", "2", "1", "9"],          # kill(-1, SIGKILL) with real uid 0 killed every root process
        ["alice", "alice", "2", "-1", "9"],
        ["alice", "alice", "2", "0", "9"],
        ["alice", "alice", "2", "{root}", "9"],     # a root process group
        ["alice", "alice", "2", "{root}", "0"],     # the probe must not tell a live root pid from a gone one
        ["alice", "alice", "2", "4194304", "0"],    # above pid_max: certainly gone
        ["alice", "alice", "2", "{bob}", "9"],      # another tenant's process group
        ["alice", "alice", "2", "{alice}", "0"],    # the user's own group: alive
    ])
    codes = [call["rc"] for call in result["calls"]]
    assert codes == [9, 9, 9, 9, 9, 9, 9, 0], result["calls"]
    assert result["alive"] == {"root": True, "bob": True, "alice": True}


def test_a_signal_to_the_users_own_group_is_delivered(node):
    """The control: confinement must not have made operation 2 useless."""
    result = in_pid_namespace(node, [["alice", "alice", "2", "{alice}", "15"]])
    assert [call["rc"] for call in result["calls"]] == [0], result["calls"]
    assert result["alive"] == {"root": True, "bob": True, "alice": False}


# -- Finding 2: the NM's roots taken on trust ------------------------------------------------------------------

def root_owned_dir(node, name="etc-like"):
    path = node.root / name
    path.mkdir()
    (path / "passwd").write_text("root:x:0:0::/root:/bin/bash\n")
    os.chmod(path, 0o755)
    return path


def launch_argv(node, local, logs):
    launch = node.launch
    return [launch.user, launch.user, "1", launch.app, launch.cid, Path(local) / "usercache" / "alice" / "appcache" / APP / launch.cid,
            launch.script, launch.tokens, "--http", launch.pidfile, local, logs, "cgroups=none"]


def initialize_argv(node, local, logs):
    launch = node.launch
    return ["alice", "alice", "0", APP, launch.cid, launch.tokens, local, logs, "/bin/true"]


@pytest.mark.parametrize("role", ["local", "log"])
def test_root_owned_roots_are_refused(node, role):
    victim = root_owned_dir(node)
    before = snapshot(victim)
    local, logs = (victim, node.logs) if role == "local" else (node.local, victim)
    launch = node.run(launch_argv(node, local, logs))
    init = node.run(initialize_argv(node, local, logs))
    assert (launch.returncode, init.returncode) == ((35, 20) if role == "local" else (36, 36)), (launch.stderr, init.stderr)
    assert "owned by uid 0, not by the NodeManager" in launch.stderr
    assert snapshot(victim) == before


def test_symlinked_and_group_writable_roots_are_refused(node):
    link = node.root / "local-link"
    os.symlink(node.local, link)
    open_root = node.root / "open-logs"
    open_root.mkdir()
    os.chown(open_root, pwd.getpwnam(NM_USER).pw_uid, 0)
    os.chmod(open_root, 0o775)
    symlinked = node.run(launch_argv(node, link, node.logs))
    assert symlinked.returncode == 35 and "symlink" in symlinked.stderr, symlinked.stderr
    writable = node.run(launch_argv(node, node.local, open_root))
    assert writable.returncode == 36 and "group or other writable" in writable.stderr, writable.stderr
    assert list(open_root.iterdir()) == [] and not (node.local / "usercache" / "alice" / "appcache").exists()


# -- Finding 3: delete and list outside the NM's dirs ---------------------------------------------------------

def test_delete_and_list_stay_inside_the_users_part_of_the_roots(node):
    home = owned_tree(node.root / "home-alice", "alice")
    before = snapshot(home)
    refused = [
        ["alice", "alice", "3", home / "sub"],               # absolute path outside every root
        ["alice", "alice", "3", "sub", home],                # base dir outside every root
        ["alice", "alice", "3", "", home],                   # the base dir itself
        ["alice", "alice", "3", node.local / "usercache"],   # the NM's own directory, not the user's part
        ["alice", "alice", "5", home],
        ["alice", "alice", "5", node.local / "nmPrivate"],
    ]
    for argv in refused:
        result = node.run(argv)
        assert result.returncode == 255, (argv, result.stdout, result.stderr)
        assert "file0" not in result.stdout and "outside every NodeManager root" in result.stderr
    assert snapshot(home) == before


def test_delete_inside_a_root_not_owned_by_the_nm_is_refused(node):
    """The root is read off the path for operations 3 and 5, and checked like the roots of 0 and 1."""
    fake_root = root_owned_dir(node, "fake-root")
    target = owned_tree(fake_root / "usercache" / "alice" / "appcache" / APP / "victim", "alice")
    before = snapshot(fake_root)
    result = node.run(["alice", "alice", "3", target])
    assert result.returncode == 255 and "owned by uid 0" in result.stderr, result.stderr
    assert snapshot(fake_root) == before


# -- Finding 4: privileged debris on error paths ---------------------------------------------------------------

def debris(*roots):
    return [str(p) for root in roots for p in Path(root).rglob(".kyr-new-*")]


def test_a_tiny_fd_limit_leaves_no_debris(node):
    launch = node.launch
    command = ["prlimit", "--nofile=4:4", "setpriv", "--reuid=yarn", "--regid=hadoop", "--init-groups", "--",
               "/usr/bin/env", "-i", str(node.bin)] + [str(a) for a in launch.argv]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert debris(node.local, node.logs) == []
    # Root raises the fd limit before anything runs; where the bounding set lacks CAP_SYS_RESOURCE (as in some
    # sandboxes) it cannot, and the launch is refused before it touches the disk.
    if can_raise_hard_limits():
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 255 and "RLIMIT_NOFILE" in result.stderr, result.stderr
        assert not (node.local / "usercache" / "alice").exists() and not (node.logs / APP).exists()


def can_raise_hard_limits():
    bounding = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("CapBnd:"))
    return bool(int(bounding.split()[1], 16) & (1 << 24))   # CAP_SYS_RESOURCE


def test_a_second_launch_of_a_live_id_stages_nothing(node):
    launch = node.launch
    launch.script.write_text(yarn_script(launch.logdir, "sleep 30"))
    first = node.popen(launch.argv)
    try:
        launch.wait_for_pid()
        second_local = node.root / "nm" / "local2"
        second_local.mkdir()
        os.chown(second_local, pwd.getpwnam(NM_USER).pw_uid, 0)
        argv = launch_argv(node, second_local, node.logs)
        result = node.run(argv)
        assert result.returncode == 76 and "already exists" in result.stderr, result.stderr
        assert list(second_local.iterdir()) == [], "a refused launch staged directories"
        # ... and the next launch of that id, once the first has ended, is not blocked by anything it left.
    finally:
        node.run(["alice", "alice", "2", launch.wait_for_pid(), "9"])
        first.wait(timeout=60)
    assert first.returncode == 137
    for name in ["launch_container.sh", "container_tokens"]:
        (launch.work / name).unlink()
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    os.unlink(launch.pidfile)
    again = node.run(launch.argv)
    assert again.returncode == 0, again.stderr


def test_a_launch_that_fails_before_its_container_starts_takes_back_what_it_made(node):
    launch = node.launch
    planted = node.logs / APP   # a file where the application's log dir goes: fails once the work dirs are made
    planted.write_text("not a directory")
    os.chown(planted, pwd.getpwnam(NM_USER).pw_uid, 0)
    result = node.run(launch.argv)
    assert result.returncode == 36, result.stderr
    assert not (node.local / "usercache" / "alice").exists(), "the work dirs this launch made were left behind"
    assert planted.read_text() == "not a directory"
    assert debris(node.local, node.logs) == [] and node.leftovers() == []


# -- Finding 6: the record before the pid file -------------------------------------------------------------------

def test_the_record_is_saved_before_the_pid_file(node):
    """strace shows the order of the two atomic renames: state.json first, then the pid file."""
    launch = node.launch
    trace = node.root / "trace"
    result = subprocess.run(["strace", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", str(trace),
                             str(node.bin)] + [str(a) for a in launch.argv], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    renames = [line for line in trace.read_text().splitlines() if "= 0" in line]
    record = next(i for i, line in enumerate(renames) if '"state.json"' in line)
    pid = next(i for i, line in enumerate(renames) if f'"{launch.pidfile.name}"' in line)
    assert record < pid, renames


# -- Finding 7: an orphan's exit code -----------------------------------------------------------------------------

def test_gc_writes_the_exit_code_of_a_container_whose_launcher_died(node):
    launch = node.launch
    launch.script.write_text(yarn_script(launch.logdir, "sleep 120"))
    proc = node.popen(launch.argv)
    launch.wait_for_pid()
    record = json.loads((node.state / "containers" / launch.cid / "state.json").read_text())
    os.kill(record["launcherPid"], 9)
    proc.wait(timeout=30)
    exit_file = Path(str(launch.pidfile) + ".exitcode")
    assert not exit_file.exists()
    gc = node.run(["gc"], as_nm=False)
    assert gc.returncode == 0 and f"reclaimed {launch.cid}" in gc.stdout, gc.stderr
    assert exit_file.read_text() == "137"
    assert os.stat(exit_file).st_uid == pwd.getpwnam(NM_USER).pw_uid
    assert node.leftovers() == []


# -- Every operation, hostile argv: no canary may change ------------------------------------------------------------

def hostile_calls(node, home, bob_home, etc, seed, count):
    rng = random.Random(seed)
    launch = node.launch
    link = node.root / "link-to-etc"
    if not link.exists():
        os.symlink(etc, link)
    paths = [home, home / "file0", home / "sub", bob_home, bob_home / "file1", etc, etc / "passwd", link, node.root,
             node.local, node.logs, node.local / "usercache", node.local / "nmPrivate", "relative/path",
             f"{node.local}/usercache/alice/../../../etc-like", "/", launch.tokens, launch.script]
    users = ["alice", "alice", "alice", "bob", "root", "yarn", "nobody", "../alice", ""]
    pids = ["1", "-1", "0", "{root}", "{bob}", "{root}", "{bob}", "99999999", "abc"]
    signals = ["0", "9", "15", "19", "-9", "65"]
    pick = rng.choice
    cid = launch.cid
    ops = {
        "0": lambda: [APP, cid, pick(paths), pick(paths), pick(paths), "/bin/true"],
        "1": lambda: [APP, cid, pick(paths), pick(paths), pick(paths), "--http", pick(paths), pick(paths), pick(paths), "cgroups=none"],
        "2": lambda: [pick(pids), pick(signals)],
        "3": lambda: [pick(paths)] + [pick(paths) for _ in range(rng.randrange(3))],
        "5": lambda: [pick(paths)],
        "6": lambda: [APP, pick(paths)],
    }
    calls = []
    for _ in range(count):
        op = pick(list(ops) + ["flag"])
        if op == "flag":
            calls.append([pick(["--checksetup", "--mount-cgroups", "--run-runc-container", "--reap-runc-layer-mounts"]),
                          pick(paths), pick(paths)][: rng.randrange(1, 4)])
        else:
            calls.append([pick(users), pick(users), op] + ops[op]())
    return calls


def test_random_hostile_argv_changes_no_canary(node):
    etc = root_owned_dir(node)
    home = owned_tree(node.root / "home-alice", "alice")
    bob_home = owned_tree(node.root / "home-bob", "bob")
    config = node.root / "etc" / "hadoop"
    before = snapshot(etc, home, bob_home, config, node.bin)
    calls = hostile_calls(node, home, bob_home, etc, seed=20261204, count=80)
    result = in_pid_namespace(node, calls, timeout=30)
    assert all(call["rc"] is not None for call in result["calls"]), [c for c in result["calls"] if c["rc"] is None]
    assert result["alive"] == {"root": True, "bob": True, "alice": True}, result["calls"]
    assert snapshot(etc, home, bob_home, config, node.bin) == before
    assert debris(node.local, node.logs) == []
