"""`runtime.default=none`: nodes that sandbox only opted-in containers. A plain launch runs as Hadoop's default
runtime runs it: on the host, as the user, in a session of its own, with no capability; the NodeManager's
signals reach it (143/137) and nothing is left behind."""
import os
import pwd
import time
from pathlib import Path

from conftest import yarn_script

CFG = "  runtime.opt-in=runc\n"


def none_node(make_node):
    node = make_node("none")
    node.write_cfg(CFG)
    return node


def test_a_plain_container_runs_on_the_host_as_the_user(make_node):
    node = none_node(make_node)
    launch = node.container(1, "")
    launch.script.write_text(yarn_script(launch.logdir, "id -u; readlink /proc/self/ns/pid; grep CapEff /proc/self/status; umask; "
                                                        f"test -d {node.root} && echo sees-the-host"))
    result = node.run(launch.argv)
    assert result.returncode == 0, result.stderr
    uid, pid_ns, caps, umask, host = launch.log("stdout").split("\n")[:5]
    assert int(uid) == pwd.getpwnam("alice").pw_uid
    assert pid_ns == os.readlink("/proc/self/ns/pid"), "no pid namespace of its own"
    assert caps.split()[1] == "0000000000000000" and umask == "0027" and host == "sees-the-host"
    assert node.leftovers() == []


def test_the_nm_signals_reach_it(make_node):
    node = none_node(make_node)
    launch = node.container(2, "")
    armed = launch.work / "armed"
    launch.script.write_text(yarn_script(launch.logdir, f"touch {armed}; sleep 300"))
    proc = node.popen(launch.argv)
    pid = launch.wait_for_pid()
    deadline = time.time() + 30
    while not armed.exists() and time.time() < deadline:
        time.sleep(0.02)
    assert node.run(["alice", "alice", "2", pid, "0"]).returncode == 0
    assert node.run(["alice", "alice", "2", pid, "15"]).returncode == 0
    proc.wait(timeout=60)
    assert proc.returncode == 143 and Path(str(launch.pidfile) + ".exitcode").read_text() == "143"
    assert node.run(["alice", "alice", "2", pid, "0"]).returncode == 9
    assert node.leftovers() == []

