"""Issue 6: the seccomp profiles (built-in default, hadoop-conf/seccomp-strict.json, hadoop-conf/seccomp-jvm.json)
loaded with `[kata] seccomp.profile=` and enforced by every runtime: JDK 17 (`java -version` and a multithreaded
program with sockets, files and two collectors), python3 (threads, multiprocessing, sockets) and a bash launch
script still work; namespace creation does not; and the profile really is the one configured (a NUMA call the
strict profile leaves out answers EPERM only there).
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, runtime_params, yarn_script

RUNTIMES = runtime_params()
JDK = Path("/usr/lib/jvm/java-17-openjdk-amd64")
PROFILES = {"default": None, "strict": REPO / "hadoop-conf" / "seccomp-strict.json",
            "jvm": REPO / "hadoop-conf" / "seccomp-jvm.json"}

MT_JAVA = """
import java.util.concurrent.*; import java.util.*; import java.nio.file.*; import java.net.*;
public class MT {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]); ExecutorService pool = Executors.newFixedThreadPool(n); List<Future<Long>> fs = new ArrayList<>();
    for (int t = 0; t < n * 4; t++) { final int seed = t; fs.add(pool.submit(() -> { long s = 0; List<byte[]> keep = new ArrayList<>();
      for (int i = 0; i < 1_000_000; i++) { s += (i * 31L) ^ seed; if (i % 20000 == 0) keep.add(new byte[16384]); } return s + keep.size(); })); }
    long total = 0; for (Future<Long> f : fs) total += f.get(); pool.shutdown();
    Path tmp = Files.createTempFile("mt", ".txt"); Files.writeString(tmp, "t=" + total); Files.delete(tmp);
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread c = new Thread(() -> { try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) { s.getOutputStream().write(42); } catch (Exception e) { throw new RuntimeException(e); } });
      c.start(); try (Socket s = ss.accept()) { if (s.getInputStream().read() != 42) throw new RuntimeException("socket"); } c.join(); }
    System.gc(); System.out.println("MT-OK threads=" + n + " live=" + Thread.activeCount());
  }
}
"""

PY = r"""
import threading, socket, multiprocessing, subprocess, ctypes, os
def work(i): return sum(j * i for j in range(100000))
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]; [t.start() for t in ts]; [t.join() for t in ts]
with multiprocessing.Pool(2) as p: p.map(work, range(4))
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.send(b"x"); assert a.recv(1) == b"x"; assert subprocess.run(["true"]).returncode == 0
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    ctypes.set_errno(0); rc = libc.syscall(nr, *args); return "ok" if rc >= 0 else os.strerror(ctypes.get_errno())
print("PY-OK")
print("set_mempolicy", call(238, 0, None, 0))                    # MPOL_DEFAULT: harmless, NUMA-only
pid = os.fork()
if pid == 0:
    rc = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)
    os._exit(0 if rc == 0 else 1) if rc <= 0 else os._exit(2)
print("clone_newuser", "ok" if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) in (0, 2) else "refused")
"""


@pytest.fixture(scope="module")
def workloads(tmp_path_factory):
    if not (JDK / "bin" / "javac").exists():
        pytest.skip(f"JDK 17 not installed at {JDK} (Debian package openjdk-17-jdk-headless)")
    out = tmp_path_factory.mktemp("seccomp-workloads")
    (out / "MT.java").write_text(MT_JAVA)
    subprocess.run([str(JDK / "bin" / "javac"), "-d", str(out), str(out / "MT.java")], check=True)
    (out / "py.py").write_text(PY)
    return out


def test_profiles_are_allow_lists_without_namespace_or_kernel_surfaces():
    never = {"mount", "unshare", "setns", "ptrace", "bpf", "perf_event_open", "init_module", "finit_module", "kexec_load",
             "keyctl", "add_key", "io_uring_setup", "userfaultfd", "open_by_handle_at", "syslog", "pivot_root", "clone3"}
    for name in ["strict", "jvm"]:
        doc = json.loads(PROFILES[name].read_text())
        assert doc["defaultAction"] == "SCMP_ACT_ERRNO" and doc["defaultErrnoRet"] == 1
        allowed = {n for rule in doc["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW" and "args" not in rule for n in rule["names"]}
        assert allowed and not (allowed & never), allowed & never
        clone = [r for r in doc["syscalls"] if r["names"] == ["clone"]]
        assert clone and clone[0]["args"][0]["op"] == "SCMP_CMP_MASKED_EQ" and clone[0]["args"][0]["valueTwo"] == 0
    strict = json.loads(PROFILES["strict"].read_text())["syscalls"][0]["names"]
    jvm = json.loads(PROFILES["jvm"].read_text())["syscalls"][0]["names"]
    assert set(strict) < set(jvm) and "set_mempolicy" in jvm and "set_mempolicy" not in strict


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_workloads_run_under_profile(make_node, workloads, runtime, profile):
    node = make_node(runtime)
    work = node.root / "workloads"
    shutil.copytree(workloads, work)
    for p in [work] + list(work.iterdir()):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    extra = f"  ro-mounts={work}\n"
    if PROFILES[profile]:
        shutil.copy2(PROFILES[profile], node.root / "profile.json")
        os.chmod(node.root / "profile.json", 0o644)
        extra += f"  seccomp.profile={node.root / 'profile.json'}\n"
    node.write_cfg(extra)
    java = JDK / "bin" / "java"
    launch = node.container(30, "")
    launch.script.write_text(yarn_script(launch.logdir, (
        f"{java} -version 2>&1 | head -1; {java} -cp {work} MT 8; {java} -XX:+UseParallelGC -cp {work} MT 4; "
        f"python3 {work}/py.py; ls -la /etc >/dev/null && tar -cf $PWD/t.tar -C /etc hostname && echo BASH-OK; "
        "(sleep 0.1 &); wait; unshare -U true 2>/dev/null && echo UNSHARE-OK || echo UNSHARE-REFUSED; "
        "grep -c Seccomp:.2 /proc/self/status")))
    result = node.run(launch.argv, timeout=600)
    out = launch.log("stdout")
    assert result.returncode == 0, result.stderr + launch.log("stderr")[-2000:]
    assert 'openjdk version "17' in out
    assert "MT-OK threads=8" in out and "MT-OK threads=4" in out, launch.log("stderr")[-2000:]
    assert "PY-OK" in out and "BASH-OK" in out
    assert "UNSHARE-REFUSED" in out and "clone_newuser refused" in out
    expected_numa = "Operation not permitted" if profile == "strict" else "ok"
    assert f"set_mempolicy {expected_numa}" in out, out
    assert node.leftovers() == []


def test_invalid_profile_fails_the_launch_with_24(make_node):
    node = make_node("runc")
    bad = node.root / "bad.json"
    bad.write_text(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]}))
    os.chmod(bad, 0o644)
    node.write_cfg(f"  seccomp.profile={bad}\n")
    launch = node.container(31, "")
    launch.script.write_text(yarn_script(launch.logdir, "true"))
    result = node.run(launch.argv)
    assert result.returncode == 24 and "index 0...5" in result.stderr, result.stderr
    assert not launch.pidfile.exists()
