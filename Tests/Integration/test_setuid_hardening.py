"""Issue 6: the setuid binary against a hostile caller (the NM user yarn gone bad, or mallory outside the NM group)
and against tenants that plant links in the directories it touches. Every case asserts Hadoop's exit code
(Sources/RuntimeBase/ExitCode.swift) and that nothing outside the sandbox changed; every "has no effect" case
has a control that shows the same trick works on an ordinary program, so the test can fail.
"""
import grp
import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import APP, NM_GROUP, NM_USER, yarn_script

RUNTIME = "runc"   # the setuid front end is the same for every runtime; runc is the fastest to start


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def as_user(user, argv, env=None, prelude="", timeout=120, **kw):
    """runs argv as `user` through runuser with exactly `env` (plus an optional shell prelude: umask, traps, fds)."""
    env_args = [f"{k}={v}" for k, v in (env or {}).items()]
    if prelude:
        cmd = ["/usr/sbin/runuser", "-u", user, "--", "/bin/bash", "-c", prelude + ' exec /usr/bin/env -i "$@"', "kyr"] + env_args + [str(a) for a in argv]
    else:
        cmd = ["/usr/sbin/runuser", "-u", user, "--", "/usr/bin/env", "-i"] + env_args + [str(a) for a in argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={}, **kw)


def launch_argv(node, launch):
    return [node.bin] + launch.argv


def make_dir(path, owner, mode=0o755):
    path.mkdir(parents=True, exist_ok=True)
    pw = pwd.getpwnam(owner)
    os.chown(path, pw.pw_uid, grp.getgrnam(NM_GROUP).gr_gid if owner != "root" else 0)
    os.chmod(path, mode)
    return path


@pytest.fixture
def node(make_node):
    return make_node(RUNTIME)


@pytest.fixture
def evil_lib(node):
    """A library whose constructor drops a marker file (with the ids it ran as) when anything loads it."""
    d = make_dir(node.root / "evil", "root", 0o755)
    marker = node.root / "evil-marker"
    src = d / "evil.c"
    src.write_text('#include <stdio.h>\n#include <unistd.h>\n__attribute__((constructor)) static void pwn(void){'
                   f'FILE*f=fopen("{marker}","a"); if(f){{fprintf(f,"loaded uid=%d euid=%d\\n",(int)getuid(),(int)geteuid());fclose(f);}}}}\n')
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(d / "libevil.so"), str(src)], check=True)
    os.chmod(d / "libevil.so", 0o755)
    marker.touch()
    os.chmod(marker, 0o666)
    return d / "libevil.so", marker


# ---------------------------------------------------------------------------------------------------------------
# who may run it


def test_kernel_refuses_exec_of_6050_to_a_user_outside_the_nm_group(node):
    result = as_user("mallory", [node.bin, "--checksetup"])
    assert result.returncode == 126 and "Permission denied" in result.stderr, result
    assert stat.S_IMODE(os.stat(node.bin).st_mode) == 0o6050


def test_world_executable_copy_refused_with_22(node):
    """A 4755 copy lets the kernel exec it for mallory; the in-code checks answer 22 (Hadoop's
    check_executor_permissions: no permissions for others), before any configuration is acted on."""
    copy = node.root / "bin" / "kyr-4755"
    shutil.copy2(node.bin, copy)
    os.chown(copy, 0, grp.getgrnam(NM_GROUP).gr_gid)
    os.chmod(copy, 0o4755)
    result = as_user("mallory", [copy, "--checksetup"])
    assert result.returncode == 22, result
    assert "must have no permissions for others" in result.stderr
    launch = node.container(1, yarn_script(node.logs / APP / "x", "true"), user="mallory")
    result = as_user("mallory", [copy] + launch.argv)
    assert result.returncode == 22 and not launch.work.exists()


@pytest.mark.skipif(shutil.which("setfacl") is None, reason="setfacl (Debian package acl) is not installed: "
                    "an ACL is the only way to let a non-member exec a file without other-permission bits")
def test_in_code_group_check_answers_22(node):
    copy = node.root / "bin" / "kyr-acl"
    shutil.copy2(node.bin, copy)
    os.chown(copy, 0, grp.getgrnam(NM_GROUP).gr_gid)
    os.chmod(copy, 0o6050)
    subprocess.run(["setfacl", "-m", "u:mallory:rx", str(copy)], check=True)
    result = as_user("mallory", [copy, "--checksetup"])
    assert result.returncode == 22 and "is not in group" in result.stderr, result


def test_nm_user_passes_setup_check(node):
    result = as_user(NM_USER, [node.bin, "--checksetup"])
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------------------------
# environment


INJECTED_NAMES = ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "SWIFT_DEBUG_HELP", "SWIFT_DETERMINISTIC_HASHING",
                  "SWIFT_BACKTRACE", "SWIFT_ROOT", "LIBDISPATCH_LOG", "LIBDISPATCH_COOPERATIVE_POOL_STRICT",
                  "LANG", "LC_ALL", "TMPDIR", "GCONV_PATH", "MALLOC_PERTURB_", "KYR_INJECTED"]


def injected_env(node, lib):
    evil_bin = make_dir(node.root / "evilbin", "root")
    for tool in ["runc", "runsc", "bash", "sh", "env"]:
        fake = evil_bin / tool
        fake.write_text(f"#!/bin/sh\necho EVIL-PATH-{tool} >> {node.root}/evil-marker\n")
        os.chmod(fake, 0o755)
    backtracer = evil_bin / "swift-backtrace"
    backtracer.write_text(f"#!/bin/sh\necho EVIL-BACKTRACER >> {node.root}/evil-marker\n")
    os.chmod(backtracer, 0o755)
    return {
        "LD_PRELOAD": str(lib), "LD_LIBRARY_PATH": str(lib.parent), "LD_AUDIT": str(lib),
        "SWIFT_DEBUG_HELP": "YES", "SWIFT_DETERMINISTIC_HASHING": "1",
        "SWIFT_BACKTRACE": f"enable=yes,swift-backtrace={backtracer}", "SWIFT_ROOT": str(node.root / "evil"),
        "LIBDISPATCH_LOG": "stderr", "LIBDISPATCH_COOPERATIVE_POOL_STRICT": "1",
        "PATH": f"{evil_bin}:/usr/bin:/bin", "LANG": "xx_EVIL.UTF-8", "LC_ALL": "xx_EVIL.UTF-8",
        "TMPDIR": str(node.root / "evil"), "GCONV_PATH": str(node.root / "evil"), "MALLOC_PERTURB_": "165",
        "KYR_INJECTED": "yes",
    }


def test_planted_preload_library_works_on_an_ordinary_program(node, evil_lib):
    """Control: the same library and environment DO take effect on a non-setuid program run by yarn."""
    lib, marker = evil_lib
    result = as_user(NM_USER, ["/usr/bin/true"], env={"LD_PRELOAD": str(lib)})
    assert result.returncode == 0
    assert f"loaded uid={pwd.getpwnam(NM_USER).pw_uid}" in marker.read_text()


def test_environment_injection_has_no_effect(node, evil_lib):
    lib, marker = evil_lib
    launch = node.container(2, yarn_script(node.logs / APP / "c2", "env; echo uid=$(id -u)"))
    launch.script.write_text(yarn_script(launch.logdir, "env; echo uid=$(id -u)"))
    env = injected_env(node, lib)
    result = as_user(NM_USER, launch_argv(node, launch), env=env)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "", "nothing planted ran: no preload/audit library, no PATH tool, no backtracer"
    assert "SWIFT_DEBUG" not in result.stderr and "Swift runtime debugging" not in result.stderr
    assert "libdispatch" not in result.stderr.lower()
    container_env = launch.log("stdout")
    assert f"uid={pwd.getpwnam('alice').pw_uid}" in container_env
    for name in INJECTED_NAMES + ["PATH=" + env["PATH"]]:
        assert name not in container_env, f"{name} reached the container"
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in container_env


def test_injected_environment_on_checksetup_and_refusals(node, evil_lib):
    """Even on paths that fail early, nothing from the environment is acted on."""
    lib, marker = evil_lib
    env = injected_env(node, lib)
    assert as_user(NM_USER, [node.bin, "--checksetup"], env=env).returncode == 0
    assert as_user(NM_USER, [node.bin, "alice", "alice", "99"], env=env).returncode == 3
    assert marker.read_text() == ""


# ---------------------------------------------------------------------------------------------------------------
# inherited state: fds, signals, umask


def test_inherited_fd_does_not_reach_the_container(node):
    secret = node.root / "secret"
    secret.write_text("TOP-SECRET\n")
    os.chown(secret, pwd.getpwnam(NM_USER).pw_uid, 0)
    os.chmod(secret, 0o600)
    probe = "ls /proc/self/fd | tr '\\n' ' '; echo; cat /proc/self/fd/9 2>&1 || echo fd9-unreadable"
    control = as_user(NM_USER, ["/bin/bash", "-c", probe], prelude=f"exec 9<{secret};")
    assert "TOP-SECRET" in control.stdout, "control: fd 9 is inherited through runuser + env"
    launch = node.container(3, "")
    launch.script.write_text(yarn_script(launch.logdir, probe))
    result = as_user(NM_USER, launch_argv(node, launch), prelude=f"exec 9<{secret};")
    assert result.returncode == 0, result.stderr
    out = launch.log("stdout")
    assert "TOP-SECRET" not in out and "fd9-unreadable" in out, out
    assert " 9 " not in " " + out.splitlines()[0] + " "


@pytest.mark.parametrize("disposition", ["IGNORE-CHLD", "BLOCK-CHLD", "IGNORE-TERM-HUP-PIPE"])
def test_caller_signal_state_does_not_lose_the_exit_status(node, disposition):
    launch = node.container(4, "")
    launch.script.write_text(yarn_script(launch.logdir, "exit 7"))
    perl = {
        "IGNORE-CHLD": '$SIG{CHLD}="IGNORE";',
        "BLOCK-CHLD": 'use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD));',
        "IGNORE-TERM-HUP-PIPE": '$SIG{TERM}=$SIG{HUP}=$SIG{PIPE}="IGNORE";',
    }[disposition]
    argv = ["/usr/bin/perl", "-e", perl + " exec @ARGV or die", "--"] + launch_argv(node, launch)
    result = as_user(NM_USER, argv)
    assert result.returncode == 7, result.stderr
    assert (launch.pidfile.parent / (launch.pidfile.name + ".exitcode")).read_text() == "7"


@pytest.mark.parametrize("umask", ["077", "000", "777"])
def test_hostile_umask_does_not_change_hadoop_modes(node, umask):
    launch = node.container(5, "")
    launch.script.write_text(yarn_script(launch.logdir, "touch $PWD/made-by-workload; stat -c %a $PWD/made-by-workload"))
    result = as_user(NM_USER, launch_argv(node, launch), prelude=f"umask {umask};")
    assert result.returncode == 0, result.stderr
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)
    assert mode(launch.work) == 0o2710
    assert mode(launch.work.parent) == 0o2750                      # app dir
    assert mode(node.local / "usercache" / "alice") == 0o2750
    assert mode(launch.logdir) == 0o2750 and mode(launch.logdir.parent) == 0o2750
    assert mode(launch.work / "launch_container.sh") == 0o700
    assert mode(launch.work / "container_tokens") == 0o600
    for tmp in ["tmp", "private_slash_tmp", "private_var_slash_tmp"]:
        assert mode(launch.work / tmp) == 0o710
    assert mode(launch.pidfile) == 0o700
    assert mode(launch.logdir / "sandbox.stdout") == 0o640
    assert launch.log("stdout").strip() == "640", "the workload gets the container's umask 027, not the caller's"


# ---------------------------------------------------------------------------------------------------------------
# argv


def test_overlong_argument_and_argument_count(node):
    """Any argument longer than the longest a NodeManager sends (ArgvDecoder.maxArgumentBytes), up to the kernel's
    128 KiB, and more arguments than any NodeManager call: 1 (INVALID_ARGUMENT_NUMBER). A long hostile argument
    below the limit gets its typed refusal, echoed bounded and printable."""
    launch = node.container(6, "")
    for size in [100_001, 128 * 1024 - 1]:
        result = as_user(NM_USER, [node.bin, "a" * size, "alice", "1"] + launch.argv[3:])
        assert result.returncode == 1 and "too long" in result.stderr, (size, result.returncode, result.stderr[:200])
    result = as_user(NM_USER, [node.bin, "\x1b" + "a" * 90_000, "alice", "1"] + launch.argv[3:])
    assert result.returncode == 255 and "invalid user name" in result.stderr, result.returncode
    assert len(result.stderr) < 400 and "\x1b" not in result.stderr, "hostile input is echoed bounded and printable"
    result = as_user(NM_USER, [node.bin, "alice", "alice", "1", APP, launch.cid, "/" + "d" * 5000] + launch.argv[6:])
    assert result.returncode == 1 and "not an absolute path" in result.stderr, result.stderr
    many = [node.bin, "alice", "alice", "0", APP, launch.cid, launch.tokens, node.local, node.logs] + ["x"] * 5000
    result = as_user(NM_USER, many)
    assert result.returncode == 1 and "too long" in result.stderr
    assert not (node.local / "usercache" / "alice").exists()


@pytest.mark.parametrize("field,value,code", [
    ("user", "al\xffice\x1b[31m", 255),                 # INVALID user name → Hadoop's -1
    ("user", "../root", 255),
    ("user", "root", 255),
    ("cid", "container_1795555676958_0001_01_000007/../../../etc", 43),
    ("cid", "container_1795555676958_0001_01_00000\u0663", 43),   # a non-ASCII digit
    ("app", "application_1795555676958_0001/..", 1),
    ("work", "relative/work", 1),
    ("work", "/var/lib/kyr-test/../../etc/evil", 1),
    ("pid", "pidfile.pid", 1),
    ("script", "launch_container.sh", 1),
    ("locals", "nm/local", 1),
])
def test_argv_tricks_are_refused_and_create_nothing(node, field, value, code):
    launch = node.container(7, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    argv = launch.argv
    index = {"user": 0, "cid": 4, "app": 3, "work": 5, "script": 6, "pid": 9, "locals": 10}[field]
    argv[index] = value
    if field == "user":
        argv[1] = value
    before = sorted(str(p) for p in node.root.rglob("*"))
    result = as_user(NM_USER, [node.bin] + argv)
    assert result.returncode == code, (result.returncode, result.stderr)
    after = sorted(str(p) for p in node.root.rglob("*"))
    assert after == before, "a refused launch creates nothing"
    assert not Path("/etc/evil").exists()


# ---------------------------------------------------------------------------------------------------------------
# links planted in paths the binary touches


@pytest.fixture
def shadow_state():
    before = (digest("/etc/shadow"), os.stat("/etc/shadow").st_uid, stat.S_IMODE(os.stat("/etc/shadow").st_mode))
    passwd = digest("/etc/passwd")
    yield
    assert (digest("/etc/shadow"), os.stat("/etc/shadow").st_uid, stat.S_IMODE(os.stat("/etc/shadow").st_mode)) == before
    assert digest("/etc/passwd") == passwd


def test_tokens_symlink_to_shadow_fails_with_5(node, shadow_state):
    launch = node.container(8, "")
    launch.tokens.unlink()
    launch.tokens.symlink_to("/etc/shadow")
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 5, result.stderr   # INVALID_NM_ROOT_DIRS: could not open tokens as the NM
    assert not (launch.work / "container_tokens").exists() and not launch.pidfile.exists()


def test_tokens_symlink_to_a_readable_file_is_still_refused(node):
    """Not only permissions: the binary never follows a link for what the NM hands over."""
    launch = node.container(9, "")
    target = node.root / "nm-readable"
    target.write_text("not the tokens")
    os.chmod(target, 0o644)
    launch.tokens.unlink()
    launch.tokens.symlink_to(target)
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 5 and not (launch.work / "container_tokens").exists()


def test_tokens_hard_link_to_shadow_fails_with_5(node, shadow_state):
    launch = node.container(10, "")
    launch.tokens.unlink()
    os.link("/etc/shadow", launch.tokens)   # root can; protected_hardlinks stops yarn from doing it
    try:
        result = as_user(NM_USER, launch_argv(node, launch))
        assert result.returncode == 5, result.stderr
        assert not (launch.work / "container_tokens").exists()
    finally:
        launch.tokens.unlink()


def test_pidfile_symlink_is_replaced_not_followed(node, shadow_state):
    launch = node.container(11, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    launch.pidfile.symlink_to("/etc/passwd")
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 0, result.stderr
    assert not launch.pidfile.is_symlink() and launch.pidfile.read_text().isdigit()


def test_pidfile_tmp_symlink_fails_with_26(node, shadow_state):
    launch = node.container(12, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    tmp = launch.pidfile.parent / (launch.pidfile.name + ".tmp")
    tmp.symlink_to("/etc/shadow")
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 26, result.stderr   # WRITE_PIDFILE_FAILED
    assert tmp.is_symlink() and node.leftovers() == []


def precreate_as_alice(path):
    alice = pwd.getpwnam("alice")
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, alice.pw_uid, grp.getgrnam(NM_GROUP).gr_gid)
    os.chmod(path, 0o2750)


def test_tenant_symlinked_work_dir_fails_with_35(node):
    """alice owns her app dir (2750): she can plant `<appdir>/<next container id>` as a link to /etc."""
    launch = node.container(13, "")
    precreate_as_alice(launch.work.parent)
    os.chown(node.local / "usercache" / "alice", pwd.getpwnam("alice").pw_uid, grp.getgrnam(NM_GROUP).gr_gid)
    os.chown(node.local / "usercache" / "alice" / "appcache", pwd.getpwnam("alice").pw_uid, grp.getgrnam(NM_GROUP).gr_gid)
    target = make_dir(node.root / "victim-dir", "root", 0o755)
    launch.work.symlink_to(target)
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 35, result.stderr   # COULD_NOT_CREATE_WORK_DIRECTORIES
    assert list(target.iterdir()) == [] and stat.S_IMODE(os.stat(target).st_mode) == 0o755 and os.stat(target).st_uid == 0


def test_tenant_symlinked_appcache_parent_fails_with_35(node):
    alice_dir = node.local / "usercache" / "alice"
    precreate_as_alice(alice_dir)
    target = make_dir(node.root / "victim-appcache", "root", 0o755)
    (alice_dir / "appcache").symlink_to(target)
    launch = node.container(14, "")
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 35, result.stderr
    assert list(target.iterdir()) == []


def test_tenant_symlinked_log_dir_fails_with_36(node):
    launch = node.container(15, "")
    precreate_as_alice(launch.logdir.parent)
    target = make_dir(node.root / "victim-logs", "root", 0o755)
    launch.logdir.symlink_to(target)
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 36, result.stderr   # COULD_NOT_CREATE_APP_LOG_DIRECTORIES
    assert list(target.iterdir()) == []


def test_tenant_planted_stdio_symlink_to_shadow_fails_with_36(node, shadow_state):
    """The launcher (root) opens and chowns `sandbox.stdout` in the tenant-owned log dir: a planted link must
    neither be followed (append to /etc/shadow) nor chowned (shadow owned by alice)."""
    launch = node.container(16, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    precreate_as_alice(launch.logdir.parent)
    precreate_as_alice(launch.logdir)
    (launch.logdir / "sandbox.stdout").symlink_to("/etc/shadow")
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 36, result.stderr


def test_tenant_planted_stdio_hard_link_fails_with_36(node):
    launch = node.container(17, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    precreate_as_alice(launch.logdir.parent)
    precreate_as_alice(launch.logdir)
    victim = node.root / "victim-file"
    victim.write_text("root's\n")
    os.link(victim, launch.logdir / "sandbox.stdout")   # as if protected_hardlinks were off
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 36, result.stderr
    assert victim.read_text() == "root's\n" and os.stat(victim).st_uid == 0


def test_tenant_planted_fifo_cannot_hang_the_launcher(node):
    """A FIFO in place of `sandbox.stdout`: opening it for writing must not block the root launcher forever."""
    launch = node.container(18, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    precreate_as_alice(launch.logdir.parent)
    precreate_as_alice(launch.logdir)
    fifo = launch.logdir / "sandbox.stdout"
    os.mkfifo(fifo)
    os.chown(fifo, pwd.getpwnam("alice").pw_uid, grp.getgrnam(NM_GROUP).gr_gid)
    try:
        result = as_user(NM_USER, launch_argv(node, launch), timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the launcher blocked opening a tenant-planted FIFO")
    assert result.returncode == 36, result.stderr


# ---------------------------------------------------------------------------------------------------------------
# /proc/self/exe games


def forged_layout(root: Path, owner: str):
    """bin/ + etc/hadoop/container-executor.cfg owned by `owner`, with a config that would let anyone run as root."""
    make_dir(root, owner)
    make_dir(root / "bin", owner)
    cfg_dir = make_dir(root / "etc" / "hadoop", owner)
    cfg = cfg_dir / "container-executor.cfg"
    cfg.write_text("yarn.nodemanager.linux-container-executor.group=hadoop\nbanned.users=\nmin.user.id=0\n"
                   "allowed.system.users=root\n")
    pw = pwd.getpwnam(owner)
    os.chown(cfg, pw.pw_uid, pw.pw_gid)
    return root / "bin"


def test_hard_link_in_attacker_tree_uses_no_forged_config(node):
    """A hard link keeps the setuid inode, and /proc/self/exe names the link, so the config is looked up next to
    it: in a tree yarn owns, that config fails the root-ownership check (24) and is never read."""
    bindir = forged_layout(node.root / "attacker", NM_USER)
    link = bindir / "kata-yarn-runtime"
    os.link(node.bin, link)   # protected_hardlinks stops yarn; root (or an old link) is the case under test
    result = as_user(NM_USER, [link, "--checksetup"])
    assert result.returncode == 24, result.stderr
    assert "must be owned by root" in result.stderr


def test_symlink_to_the_binary_uses_the_real_location(node):
    bindir = forged_layout(node.root / "attacker2", NM_USER)
    (bindir / "kata-yarn-runtime").symlink_to(node.bin)
    result = as_user(NM_USER, [bindir / "kata-yarn-runtime", "--checksetup"])
    assert result.returncode == 0, "/proc/self/exe resolves the link: the real config is used"


def test_non_setuid_copy_answers_22(node):
    copy_dir = make_dir(node.root / "copies", NM_USER)
    copy = copy_dir / "kata-yarn-runtime"
    # 6050 gives the NM group read access, so yarn can make its own copy: it is no longer setuid and no longer
    # root's. Next to the real etc/hadoop (copies/../etc/hadoop), the executable check refuses it.
    result = as_user(NM_USER, ["/bin/cp", node.bin, copy])
    assert result.returncode == 0 and os.stat(copy).st_uid == pwd.getpwnam(NM_USER).pw_uid
    assert as_user(NM_USER, ["/bin/chmod", "6750", copy]).returncode == 0   # setuid bits on yarn's own file: yarn's
    assert stat.S_IMODE(os.stat(copy).st_mode) & 0o4000
    result = as_user(NM_USER, [copy, "--checksetup"])
    assert result.returncode == 22 and "must be owned by root" in result.stderr, result.stderr
    # the same copy placed where the real config is found: now the executable check is what refuses it
    sibling = node.root / "bin" / "kyr-copy"
    shutil.copy2(node.bin, sibling)
    os.chown(sibling, 0, grp.getgrnam(NM_GROUP).gr_gid)
    os.chmod(sibling, 0o0750)
    result = as_user(NM_USER, [sibling, "--checksetup"])
    assert result.returncode == 22 and "setuid" in result.stderr, result.stderr


# ---------------------------------------------------------------------------------------------------------------
# oversized inputs


def test_two_mib_launch_context_is_refused(node):
    launch = node.container(19, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    context = launch.context_file()
    context.write_text(context.read_text()[:-1] + ', "pad": "' + "x" * (2 << 20) + '"}')
    result = as_user(NM_USER, [node.bin, "launch", launch.cid, "--context", context])
    assert result.returncode == 1 and "larger than" in result.stderr, result.stderr
    assert not launch.work.exists()


def test_two_mib_cfg_is_refused_with_24(node):
    cfg = node.write_cfg("# " + "x" * 100 + "\n")
    cfg.write_text(cfg.read_text() + ("#" + "p" * 1023 + "\n") * 2048)
    result = as_user(NM_USER, [node.bin, "--checksetup"])
    assert result.returncode == 24 and "larger than" in result.stderr, result.stderr


def test_two_mib_seccomp_profile_is_refused_with_24(node):
    profile = make_dir(node.root / "profiles", "root") / "huge.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [], "architectures": ["' + "A" * (2 << 20) + '"]}')
    node.write_cfg(f"  seccomp.profile={profile}\n")
    launch = node.container(20, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 24 and "larger than" in result.stderr, result.stderr


def test_seccomp_profile_writable_by_the_nm_is_refused_with_24(node):
    """The profile decides every tenant's kernel surface: like the cfg, it must be root's and not writable by others."""
    profile = make_dir(node.root / "nm-profiles", NM_USER) / "weak.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}')
    os.chown(profile, pwd.getpwnam(NM_USER).pw_uid, 0)
    node.write_cfg(f"  seccomp.profile={profile}\n")
    launch = node.container(21, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    result = as_user(NM_USER, launch_argv(node, launch))
    assert result.returncode == 24 and "must be owned by root" in result.stderr, result.stderr
    assert not launch.pidfile.exists()
