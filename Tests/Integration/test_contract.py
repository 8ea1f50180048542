"""Issue 3's hostile-input and canary tests: each bad call gets Hadoop's exit code and changes nothing on disk."""
import hashlib
import os
import pwd
import shutil
import subprocess
import threading
from pathlib import Path

from conftest import APP, NM_GROUP, NM_USER


def snapshot(root: Path):
    """Every path under the node with owner, mode and content hash: 'changes nothing' is checked against this."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else ""
            state[str(p)] = (st.st_uid, st.st_gid, st.st_mode, digest)
    return state


def hostile(node, argv, code, as_nm=True, **kw):
    before = snapshot(node.root)
    result = node.run(argv, as_nm=as_nm, **kw)
    assert result.returncode == code, f"{argv[:4]}: {result.returncode} {result.stderr}"
    assert snapshot(node.root) == before, "a refused call changed the node"
    return result


def test_banned_user_gets_255(node):
    argv = list(node.launch.argv)
    argv[0] = NM_USER   # yarn is in banned.users
    assert "is banned" in hostile(node, argv, 255).stderr


def test_low_uid_gets_255(node):
    argv = list(node.launch.argv)
    argv[0] = "daemon"   # uid 1 < min.user.id
    assert "below the minimum" in hostile(node, argv, 255).stderr


def test_root_and_unknown_users_get_255(node):
    for user in ["root", "nosuchuser"]:
        argv = list(node.launch.argv)
        argv[0] = user
        hostile(node, argv, 255)


def test_hostile_ids_and_paths(node):
    base = list(node.launch.argv)
    cases = [
        (4, "container_1795555676958_0001_01_000002/../../x", 43),
        (4, "../../etc", 43),
        (5, "relative/work", 1),
        (5, str(node.launch.work) + "/../../../../etc", 1),
        (9, "/etc/../etc/passwd", 1),
    ]
    for index, value, code in cases:
        argv = list(base)
        argv[index] = value
        hostile(node, argv, code)


def test_work_dir_outside_local_dirs_is_refused(node):
    argv = list(node.launch.argv)
    argv[5] = "/etc/cron.d"
    hostile(node, argv, 35)


def test_overlong_argv_and_wrong_counts(node):
    hostile(node, ["alice", "alice", "5", "/" + "x" * 120_000], 1)
    hostile(node, ["alice", "alice", "3"] + ["/x"] * 5000, 1)
    hostile(node, ["alice", "alice", "2", "123"], 1)
    hostile(node, ["alice", "alice", "99", "x"], 3)
    hostile(node, ["--checksetup", "extra"], 1)


def test_malformed_and_oversize_runc_json(node):
    private = node.launch.script.parent
    bad = private / "bad.json"
    big = private / "big.json"
    nested = private / "nested.json"
    bad.write_text('{"version": "0.1", "runAsUser": ')
    big.write_bytes(b'{"pad": "' + b"a" * (5 << 20) + b'"}')
    nested.write_text("[" * 100 + "]" * 100)
    for f in [bad, big, nested]:
        os.chmod(f, 0o644)
        shutil.chown(f, NM_USER, NM_GROUP)
    for f in [bad, big, nested]:
        hostile(node, ["--run-runc-container", f], 76)


def test_runc_json_with_disallowed_mount_is_refused(node):
    import json
    launch = node.launch
    doc = {"version": "0.1", "runAsUser": "alice", "username": "alice", "containerId": launch.cid,
           "applicationId": APP, "pidFile": str(launch.pidfile), "containerScriptPath": str(launch.script),
           "containerCredentialsPath": str(launch.tokens), "localDirs": [str(node.local)], "logDirs": [str(node.logs)],
           "layers": [], "reapLayerKeepCount": 100,
           "ociRuntimeConfig": {"process": {"cwd": str(launch.work), "env": [], "args": ["bash", str(launch.work / "launch_container.sh")]},
                                "mounts": [{"type": "bind", "source": "/etc", "destination": "/host-etc", "options": ["rw", "rbind", "rprivate"]}],
                                "linux": {}}}
    f = launch.script.parent / "runc-config.json"
    f.write_text(json.dumps(doc))
    shutil.chown(f, NM_USER, NM_GROUP)
    result = node.run(["--run-runc-container", f])
    assert result.returncode == 77 and "not allowed" in result.stderr
    assert not launch.pidfile.exists()


def test_caller_outside_the_nm_group(node):
    # The kernel refuses mode 6050 to anyone outside the group …
    result = subprocess.run(["/usr/sbin/runuser", "-u", "mallory", "--", str(node.bin), "--checksetup"], capture_output=True, text=True)
    assert result.returncode != 0 and "Permission denied" in result.stderr
    # … and a wrongly installed 4755 copy still refuses in code (22).
    copy = node.root / "bin" / "kata-yarn-runtime-4755"
    shutil.copy2(node.bin, copy)
    os.chown(copy, 0, 0)
    os.chmod(copy, 0o4755)
    result = subprocess.run(["/usr/sbin/runuser", "-u", "mallory", "--", str(copy), "--checksetup"], capture_output=True, text=True)
    assert result.returncode == 22, result.stderr


def test_config_not_root_owned_gets_24(node):
    cfg = node.root / "etc" / "hadoop" / "container-executor.cfg"
    os.chown(cfg, pwd.getpwnam(NM_USER).pw_uid, 0)
    hostile(node, ["--checksetup"], 24)
    os.chown(cfg, 0, 0)
    os.chmod(cfg, 0o666)
    hostile(node, ["--checksetup"], 24)
    os.chmod(cfg, 0o644)
    os.chmod(cfg.parent, 0o775)
    hostile(node, ["--checksetup"], 24)
    os.chmod(cfg.parent, 0o755)
    assert node.run(["--checksetup"]).returncode == 0


def test_binary_permissions_are_checked(node):
    os.chmod(node.bin, 0o6055)   # other-executable: container-executor refuses with 22
    hostile(node, ["--checksetup"], 22, as_nm=True)
    os.chmod(node.bin, 0o6050)


def test_docker_is_refused_with_a_code(node):
    result = node.run(["--inspect-docker-container", "--format={{.State.Status}}", node.launch.cid])
    assert result.returncode == 32 and "docker is not supported" in result.stderr


# -- delete-as-user canaries (Hadoop's TestLinuxContainerExecutor idea) -------------------------------------

def canary_tree(node):
    alice = pwd.getpwnam("alice")
    outside = node.root / "dont_touch"
    outside.write_text("canary")
    os.chown(outside, alice.pw_uid, alice.pw_gid)
    tree = node.local / "usercache" / "alice" / "appcache" / APP / "victim"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "data").write_text("x")
    os.symlink(outside, tree / "link-to-outside")
    os.symlink(node.root, tree / "sub" / "link-to-root")
    os.link(outside, tree / "hardlink-to-outside")
    for p in [node.local / "usercache" / "alice", node.local / "usercache" / "alice" / "appcache",
              node.local / "usercache" / "alice" / "appcache" / APP, tree, tree / "sub", tree / "sub" / "data"]:
        os.chown(p, alice.pw_uid, alice.pw_gid)
    return tree, outside


def test_delete_as_user_canary(node):
    tree, outside = canary_tree(node)
    result = node.run(["alice", "alice", "3", tree])
    assert result.returncode == 0, result.stderr
    assert not tree.exists()
    assert outside.read_text() == "canary" and os.stat(outside).st_nlink == 1
    assert (node.root / "bin" / "kata-yarn-runtime").exists(), "the symlink to the node root was not followed"


def test_delete_as_user_with_base_dirs_and_missing_paths(node):
    tree, outside = canary_tree(node)
    base = tree.parent
    assert node.run(["alice", "alice", "3", "victim", base, node.root / "missing-base"]).returncode == 0
    assert not tree.exists() and outside.read_text() == "canary"
    assert node.run(["alice", "alice", "3", base / "no" / "such" / "path"]).returncode == 0
    # Outside the user's part of every NodeManager root even a missing path is refused (Hadoop would say 0).
    assert node.run(["alice", "alice", "3", node.root / "nm" / "no" / "such" / "path"]).returncode == 255
    assert node.run(["alice", "alice", "3", "../escape", base]).returncode == 255


def test_delete_as_user_cannot_delete_what_the_user_cannot(node):
    protected = node.local / "nmPrivate" / "keep"
    protected.write_text("nm only")
    assert node.run(["alice", "alice", "3", protected]).returncode == 255
    assert protected.read_text() == "nm only"


def test_symlink_swaps_during_the_walk_are_caught(node):
    """A racer swaps a directory inside the tree for a symlink to an outside directory, as fast as it can, while
    the tree is deleted; the outside directory's files must survive every round."""
    alice = pwd.getpwnam("alice")
    outside = node.root / "outside-dir"
    outside.mkdir()
    for i in range(20):
        (outside / f"keep{i}").write_text("keep")
    os.chown(outside, alice.pw_uid, alice.pw_gid)
    appdir = node.local / "usercache" / "alice" / "appcache" / APP
    appdir.mkdir(parents=True, exist_ok=True)
    for p in [node.local / "usercache" / "alice", appdir.parent, appdir]:
        os.chown(p, alice.pw_uid, alice.pw_gid)
    for round_ in range(15):
        tree = appdir / f"race{round_}"
        for d in range(30):
            (tree / f"d{d}").mkdir(parents=True)
            for f in range(5):
                (tree / f"d{d}" / f"f{f}").write_text("x")
        subprocess.run(["chown", "-R", f"{alice.pw_uid}:{alice.pw_gid}", str(tree)], check=True)
        stop = threading.Event()

        def racer():
            while not stop.is_set():
                for d in range(30):
                    victim = tree / f"d{d}"
                    try:
                        os.rename(victim, tree / f"moved{d}")
                        os.symlink(outside, victim)
                    except OSError:
                        pass

        thread = threading.Thread(target=racer)
        thread.start()
        node.run(["alice", "alice", "3", tree])
        stop.set()
        thread.join()
        assert sorted(p.name for p in outside.iterdir()) == sorted(f"keep{i}" for i in range(20)), f"round {round_}"
