"""Operation 0's directories for a tenant outside the NodeManager's group, against the layout Hadoop 3.3.6 made.

A real node runs the NodeManager as `yarn` in `hadoop`; tenants (alice) are not in `hadoop`. The NM must still
enter the application directory to serve map outputs to reducers (ShuffleHandler), which only works when the
group `hadoop` and the setgid bit carry down from `usercache/<user>`, as with Hadoop's own binary.
"""
import grp
import os
import pwd
import stat
import subprocess

import pytest

from conftest import APP, FIXTURES, NM_GROUP, NM_USER


@pytest.fixture
def node(make_node):
    return make_node("runc")


def recorded_layout():
    """`path -> (mode, owner:group)` from the layout a real Hadoop 3.3.6 NodeManager left, relative to its roots."""
    layout = {}
    for line in (FIXTURES / "layout" / "after-final-runs.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].startswith("/tmp/yarn-nm/"):
            layout[parts[0][len("/tmp/yarn-nm/"):]] = (parts[2], parts[3])
    return layout


def observed(path):
    st = os.stat(path)
    owner = f"{pwd.getpwuid(st.st_uid).pw_name}:{grp.getgrgid(st.st_gid).gr_name}"
    return format(stat.S_IMODE(st.st_mode), "o"), owner


def test_tenant_outside_the_nm_group_is_set_up_as_hadoop_does(node):
    assert NM_GROUP not in [g.gr_name for g in grp.getgrall() if "alice" in g.gr_mem], "alice must not be in the NM group"
    launch = node.container(1, "")
    result = node.run(["alice", "alice", "0", APP, launch.cid, launch.tokens, node.local, node.logs, "/bin/true"])
    assert result.returncode == 0, result.stderr
    recorded = recorded_layout()
    recorded_app = "application_1795555676958_0002"
    checks = {
        "local/usercache/alice": node.local / "usercache" / "alice",
        "local/usercache/alice/appcache": node.local / "usercache" / "alice" / "appcache",
        "local/usercache/alice/filecache": node.local / "usercache" / "alice" / "filecache",
        f"local/usercache/alice/appcache/{recorded_app}": node.local / "usercache" / "alice" / "appcache" / APP,
        f"logs/{recorded_app}": node.logs / APP,
    }
    for recorded_path, path in checks.items():
        assert observed(path) == recorded[recorded_path], (path, observed(path), recorded[recorded_path])


def test_the_nm_reads_map_outputs_a_tenant_wrote(node):
    """What MapReduce's reducers need: the NM user reads `<app>/output/<attempt>/file.out` written by the tenant."""
    launch = node.container(1, "")
    assert node.run(["alice", "alice", "0", APP, launch.cid, launch.tokens, node.local, node.logs, "/bin/true"]).returncode == 0
    output = node.local / "usercache" / "alice" / "appcache" / APP / "output" / "attempt_1795555676958_0001_m_000000_0"
    subprocess.run(["runuser", "-u", "alice", "--", "sh", "-c", f"umask 022 && mkdir -p {output} && echo map-output > {output}/file.out"],
                   check=True)
    read = subprocess.run(["runuser", "-u", NM_USER, "--", "cat", str(output / "file.out")], capture_output=True, text=True)
    assert read.returncode == 0 and read.stdout == "map-output\n", read.stderr
    other = subprocess.run(["runuser", "-u", "bob", "--", "cat", str(output / "file.out")], capture_output=True, text=True)
    assert other.returncode != 0, "another tenant must not read alice's map outputs"
