"""Issue 2's done criteria: the recorded launch runs in runc and runsc through the installed setuid binary."""
import os
import pwd
import re
import stat
import subprocess
import threading
import time

import pytest

from conftest import NM_USER, recorded_script, runtime_params, yarn_script

RUNTIMES = runtime_params()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_recorded_launch_runs_sandboxed_as_the_user(make_node, runtime):
    node = make_node(runtime)
    launch = node.container(2, "")
    launch.script.write_text(recorded_script("0005-launch-container", node))
    result = node.run(launch.argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("main : command provided 1\nmain : run as user is alice\n")
    alice = pwd.getpwnam("alice")
    out = launch.log("prelaunch.out")
    assert f"uid={alice.pw_uid}(alice)" in out and "\n0027\n" in out, out
    assert "launch_container.sh" in launch.log("stdout")
    assert launch.log("prelaunch.err") == ""
    pid = launch.pidfile.read_text()
    assert pid.isdigit() and int(pid) > 0 and "\n" not in pid
    st = os.stat(launch.pidfile)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == pwd.getpwnam(NM_USER).pw_uid
    assert (launch.pidfile.parent / (launch.pidfile.name + ".exitcode")).read_text() == "0"
    work = os.stat(launch.work)
    assert stat.S_IMODE(work.st_mode) == 0o2710 and work.st_uid == alice.pw_uid
    assert stat.S_IMODE(os.stat(launch.work / "launch_container.sh").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(launch.work / "container_tokens").st_mode) == 0o600
    for name in ["sandbox.stdout", "sandbox.stderr"]:
        owner = os.stat(launch.logdir / name)
        assert (owner.st_uid, stat.S_IMODE(owner.st_mode)) == (alice.pw_uid, 0o640), f"{name} stays readable by YARN"
    assert node.leftovers() == []


EVIDENCE = ("id -u; id -G; hostname; tr '\0' ' ' < /proc/1/cmdline; echo; "
            "echo runtime=$KATA_YARN_RUNTIME; cat /proc/self/mountinfo; "
            "touch /usr/kyr-probe 2>&1 || echo usr-readonly; ls /root 2>&1 || true; "
            "grep -E 'NoNewPrivs|CapEff|Seccomp' /proc/self/status")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_evidence_from_inside_the_sandbox(make_node, runtime):
    node = make_node(runtime)
    launch = node.container(3, "")
    launch.script.write_text(yarn_script(launch.logdir, EVIDENCE))
    result = node.run(launch.argv)
    assert result.returncode == 0, result.stderr + launch.log("prelaunch.err")
    out = launch.log("stdout")
    lines = out.splitlines()
    assert lines[0] == str(pwd.getpwnam("alice").pw_uid)
    assert lines[2] == os.uname().nodename
    assert lines[3].replace("\0", " ").startswith("/dev/.kyr-init /bin/bash "), "kyr-init is pid 1"
    assert f"runtime={runtime}" in out
    assert str(launch.work.parent) in out, "the application dir is mounted at its host path"
    assert str(launch.logdir) in out, "the container log dir is mounted at its host path"
    assert "usr-readonly" in out or "Read-only file system" in out
    assert "CapEff:\t0000000000000000" in out
    assert "Seccomp:\t2" in out, "the seccomp profile is enforced (in the sentry under runsc)"
    if runtime == "runc":
        assert "NoNewPrivs:\t1" in out   # gVisor's /proc/self/status has no NoNewPrivs line
    assert node.leftovers() == []


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_exit_status_comes_back(make_node, runtime):
    node = make_node(runtime)
    launch = node.container(4, "")
    launch.script.write_text(yarn_script(launch.logdir, "echo about to fail; exit 3"))
    result = node.run(launch.argv)
    assert result.returncode == 3, result.stderr
    assert (launch.pidfile.parent / (launch.pidfile.name + ".exitcode")).read_text() == "3"
    assert launch.log("stdout") == "about to fail\n"
    assert node.leftovers() == []


def launch_in_background(node, launch):
    """Starts the launch and returns once the workload has written its armed marker (its traps are in place)."""
    proc = node.popen(launch.argv)
    return proc, launch.wait_armed(proc)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_term_ends_with_143(make_node, runtime):
    node = make_node(runtime)
    launch = node.container(5, "")
    launch.script.write_text(yarn_script(launch.logdir, f"{launch.arm()}; sleep 300"))
    proc, pid = launch_in_background(node, launch)
    alive = node.run(["alice", "alice", "2", pid, "0"])
    assert alive.returncode == 0, alive.stderr
    term = node.run(["alice", "alice", "2", pid, "15"])
    assert term.returncode == 0, term.stderr
    proc.wait(timeout=60)
    assert proc.returncode == 143
    assert (launch.pidfile.parent / (launch.pidfile.name + ".exitcode")).read_text() == "143"
    gone = node.run(["alice", "alice", "2", pid, "15"])
    assert gone.returncode == 9, "a finished container answers 9, as Hadoop's does"
    assert node.leftovers() == []


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_kill_after_ignored_term_ends_with_137(make_node, runtime):
    node = make_node(runtime)
    launch = node.container(6, "")
    # SIG_IGN survives exec: the whole workload ignores TERM, so only KILL ends it. TERM goes only after the
    # marker, which the script writes after its trap.
    launch.script.write_text(f"#!/bin/bash\ntrap '' TERM\n{launch.arm()}\nexec /bin/bash -c 'sleep 300; echo unreachable'\n")
    proc, pid = launch_in_background(node, launch)
    assert node.run(["alice", "alice", "2", pid, "15"]).returncode == 0
    time.sleep(0.5)
    assert proc.poll() is None, "TERM was ignored by the workload"
    assert node.run(["alice", "alice", "2", pid, "9"]).returncode == 0
    proc.wait(timeout=60)
    assert proc.returncode == 137
    assert node.leftovers() == []


def test_other_tenant_cannot_signal(make_node):
    node = make_node("runc")
    launch = node.container(7, "")
    launch.script.write_text(yarn_script(launch.logdir, f"{launch.arm()}; sleep 300"))
    proc, pid = launch_in_background(node, launch)
    try:
        result = node.run(["bob", "bob", "2", pid, "9"])
        assert result.returncode == 9, "bob's kill(-pid) must not reach alice's container"
        assert proc.poll() is None
    finally:
        node.run(["alice", "alice", "2", pid, "9"])
        proc.wait(timeout=60)
    assert proc.returncode == 137


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_operator_verbs(make_node, runtime):
    node = make_node(runtime)
    launch = node.container(8, "")
    launch.script.write_text(yarn_script(launch.logdir, f"echo verbs; {launch.arm()}; sleep 300"))
    context = launch.context_file(vcores=2, memoryMB=512)
    proc = node.popen(["launch", launch.cid, "--context", context])
    launch.wait_armed(proc)
    state = node.run(["state", launch.cid])
    assert state.returncode == 0, state.stderr
    assert '"status": "running"' in state.stdout and f'"runtime": "{runtime}"' in state.stdout
    listing = node.run(["list"])
    assert launch.cid in listing.stdout and "running" in listing.stdout
    assert node.run(["signal", launch.cid, "TERM"]).returncode == 0
    proc.wait(timeout=60)
    assert proc.returncode == 143, proc.stderr.read()
    assert node.run(["state", launch.cid]).returncode == 9
    assert node.leftovers() == []


def test_delete_verb_kills_and_cleans(make_node):
    node = make_node("runc")
    launch = node.container(9, "")
    launch.script.write_text(yarn_script(launch.logdir, f"{launch.arm()}; sleep 300"))
    proc, _ = launch_in_background(node, launch)
    assert node.run(["delete", launch.cid]).returncode == 0
    proc.wait(timeout=60)
    assert proc.returncode == 137
    assert node.leftovers() == []


def test_requested_runtime_must_be_allowed(make_node):
    node = make_node("runc")
    launch = node.container(10, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    context = launch.context_file(runtime="shim:evil")
    result = node.run(["launch", launch.cid, "--context", context])
    assert result.returncode == 1 and "not allowed" in result.stderr
    assert not launch.pidfile.exists()


def test_concurrent_first_launches_of_one_user(make_node):
    """The first launches of a user race to create usercache/<user> and the app dirs: all must succeed."""
    node = make_node("runc")
    launches = [node.container(20 + i, "") for i in range(6)]
    for launch in launches:
        launch.script.write_text(yarn_script(launch.logdir, "echo ok"))
    procs = [node.popen(launch.argv) for launch in launches]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0] * 6, [p.stderr.read() for p in procs]
    assert all(launch.log("stdout") == "ok\n" for launch in launches)
    assert node.leftovers() == []
