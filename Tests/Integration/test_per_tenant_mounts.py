"""`rw-mounts` with `{user}`: a shared staging tree (a `file://` staging dir, a scratch area) of which each tenant's
sandbox sees and writes only its own directory; a directory that is not the run-as user's is refused with 51
(INVALID_RW_MOUNT) before the container starts."""
import os
import pwd

from conftest import yarn_script


def staging_tree(node):
    staging = node.root / "staging"
    staging.mkdir(mode=0o755)
    for user in ["alice", "bob"]:
        own = staging / user
        own.mkdir(mode=0o700)
        (own / "secret").write_text(f"{user}'s\n")
        account = pwd.getpwnam(user)
        for path in [own, own / "secret"]:
            os.chown(path, account.pw_uid, account.pw_gid)
    return staging


def test_each_tenant_writes_only_its_own_directory(make_node):
    node = make_node("runc")
    staging = staging_tree(node)
    node.write_cfg(f"  rw-mounts={staging}/{{user}}\n")
    launch = node.container(1, "")
    launch.script.write_text(yarn_script(launch.logdir, f"echo written > {staging}/alice/out; cat {staging}/alice/secret; "
                                                        f"cat {staging}/bob/secret || echo bob-not-visible"))
    result = node.run(launch.argv)
    assert result.returncode == 0, result.stderr
    assert launch.log("stdout").split() == ["alice's", "bob-not-visible"], launch.log("stdout") + launch.log("stderr")
    assert (staging / "alice" / "out").read_text() == "written\n"
    assert os.stat(staging / "alice" / "out").st_uid == pwd.getpwnam("alice").pw_uid


def test_a_directory_that_is_not_the_users_is_refused(make_node):
    node = make_node("runc")
    staging = staging_tree(node)
    bob = pwd.getpwnam("bob")
    os.chown(staging / "alice", bob.pw_uid, bob.pw_gid)   # e.g. a tenant renamed its directory into the other's name
    node.write_cfg(f"  rw-mounts={staging}/{{user}}\n")
    launch = node.container(1, "")
    launch.script.write_text(yarn_script(launch.logdir, "echo started"))
    result = node.run(launch.argv)
    assert result.returncode == 51 and "not a directory owned by alice" in result.stderr, result.stderr
    assert launch.log("stdout") == "" and node.leftovers() == []
