#!/usr/bin/env python3
"""kyr-bench: benchmarks of kata-yarn-runtime. `make bench` runs it as root; `make bench-report` turns its JSON into
docs/benchmarks.md (bench/report.py). `--help` lists the options; `--plan` prints what a run would do and stops.

Phases:
  env          machine facts and versions only.
  latency      operation 1 as the NodeManager user `yarn` (empty environment, setuid binary) vs the raw runtime
               (`runc run` / `runsc run` with the flags our driver passes) on the very bundle our binary wrote; time
               to the script's first instruction and to the launcher's exit, interleaved (also with --before's binary
               and with the state root on a tmpfs).
  cost         the launcher alone (a runtime that fails at once): CPU time, peak RSS, a strace timeline.
  concurrency  8, 32, 64 simultaneous launches per runtime: makespan, throughput, latency tail, failures.
  workloads    fio, stress-ng, iperf3 and a PySpark job inside each sandbox vs on the host.
  spark-yarn   Spark on YARN per runtime against YARN without a sandbox (bench/spark_yarn.py -> scripts/e2e-spark.sh);
               needs HADOOP_HOME and KYR_BINARY (docs/spark.md), says what is missing otherwise.
Also read from the environment: KYR_BUILD_DIR (kata-yarn-runtime, kyr-init, kyr-compat.so; default .build/release),
BENCH_KINDS, BENCH_SPARK_REPEATS, BENCH_SPARK_SCALE, BENCH_SPARK_VENV, BENCH_JAVA_HOME, BENCH_KEEP,
BENCH_RUNSC_NETSTACK, BENCH_SPARK_YARN_ROUTED.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kyrnode import BASE, Node, context_argv, ensure_accounts, exitcode_file  # noqa: E402
from conftest import BUILD, runtime_missing  # noqa: E402  (the integration tests' runtime detection)

REPO = Path(__file__).resolve().parents[1]
ALL_PHASES = ["env", "latency", "cost", "concurrency", "workloads", "spark-yarn"]
SPARK_VENV = Path(os.environ.get("BENCH_SPARK_VENV", "/opt/kyr-bench-spark"))
JAVA_HOME = os.environ.get("BENCH_JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
SPARK_REPEATS = int(os.environ.get("BENCH_SPARK_REPEATS", "1"))
# Set by configure() from the command line.
QUICK = False
RUNS = WARMUP = SPARK_YARN_RUNS = WORK_SECONDS = REPEATS = 0
PHASES, CONCURRENCY, RUNTIMES = [], [], []
BEFORE = BEFORE_LABEL = SPARK_SCALE = None
SPARK = TMPFS_VARIANT = True
OUT = REPO / "bench" / "results" / "latest.json"
OUT_GIVEN = False


def configure(argv=None):
    """Parses the command line (environment variables of earlier versions are the defaults) into the globals."""
    global QUICK, RUNS, WARMUP, SPARK_YARN_RUNS, WORK_SECONDS, REPEATS, PHASES, CONCURRENCY, RUNTIMES, BEFORE, \
        BEFORE_LABEL, SPARK_SCALE, SPARK, TMPFS_VARIANT, OUT, OUT_GIVEN
    env = os.environ.get
    ap = argparse.ArgumentParser(prog="kyr_bench.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--phases", default=env("BENCH_PHASES", ",".join(ALL_PHASES)),
                    help="comma list of %(default)s (default: all)")
    ap.add_argument("--runtimes", default=env("BENCH_RUNTIMES", "runc,runsc,shim:containerd-shim-runc-v2"),
                    help="comma list (default: %(default)s; missing ones are reported and skipped)")
    ap.add_argument("--quick", action="store_true", default=env("BENCH_QUICK", "") not in ("", "0"),
                    help="fewer runs, shorter workloads")
    ap.add_argument("--runs", type=int, default=int(env("BENCH_RUNS", "0")) or None,
                    help="latency launches per variant (default 30, 10 with --quick)")
    ap.add_argument("--concurrency", default=env("BENCH_CONCURRENCY", "8,32,64"), help="simultaneous launches (default %(default)s)")
    ap.add_argument("--spark-yarn-runs", type=int, default=int(env("BENCH_SPARK_YARN_RUNS", "0")) or None,
                    help="Spark on YARN runs per runtime and job (default 5, 1 with --quick)")
    ap.add_argument("--no-spark", action="store_true", default=env("BENCH_SPARK", "1") in ("", "0"),
                    help="workloads phase without the PySpark job")
    ap.add_argument("--no-tmpfs-variant", action="store_true", default=env("BENCH_TMPFS_VARIANT", "1") in ("", "0"),
                    help="latency without the state-root-on-tmpfs variant")
    ap.add_argument("--before", default=env("KYR_BENCH_BEFORE"), metavar="BINARY",
                    help="another kata-yarn-runtime measured interleaved with this build, as 'before'")
    ap.add_argument("--before-label", default=env("KYR_BENCH_BEFORE_LABEL"), metavar="TEXT",
                    help="what --before is, for the report (e.g. 'release build of 8aae3a2'); its path is not recorded")
    ap.add_argument("--out", default=env("BENCH_OUT"), help=f"results file (default {OUT.relative_to(REPO)})")
    ap.add_argument("--plan", action="store_true", help="print the plan and stop, touching nothing")
    args = ap.parse_args(argv)
    PHASES = [p for p in args.phases.split(",") if p]
    unknown = [p for p in PHASES if p not in ALL_PHASES]
    if unknown:
        ap.error(f"unknown phase(s) {unknown}; known: {', '.join(ALL_PHASES)}")
    QUICK = args.quick
    RUNS = args.runs or (10 if QUICK else 30)
    WARMUP = 2 if QUICK else 3
    SPARK_YARN_RUNS = args.spark_yarn_runs or (1 if QUICK else 5)
    WORK_SECONDS = int(env("BENCH_WORK_SECONDS", "4" if QUICK else "8"))
    REPEATS = int(env("BENCH_REPEATS", "1" if QUICK else "2"))
    SPARK_SCALE = env("BENCH_SPARK_SCALE", "0.25" if QUICK else "0.5")
    CONCURRENCY = [int(c) for c in args.concurrency.split(",") if c]
    RUNTIMES = [r for r in args.runtimes.split(",") if r]
    BEFORE, SPARK, TMPFS_VARIANT = args.before, not args.no_spark, not args.no_tmpfs_variant
    BEFORE_LABEL = args.before_label
    OUT_GIVEN = bool(args.out)
    OUT = Path(args.out) if args.out else OUT
    return args


def plan(runtimes):
    """What this run will do to the machine, printed before it does any of it."""
    launcher = [p for p in PHASES if p not in ("env", "spark-yarn")]
    lines = [f"phases: {', '.join(PHASES)}" + (" (quick)" if QUICK else ""),
             f"runtimes: {', '.join(r for r in RUNTIMES if r in runtimes) or 'none available'}"]
    lines += [f"  {r}: skipped, {runtimes_status()[r]}" for r in RUNTIMES if r not in runtimes]
    if "latency" in PHASES:
        lines.append(f"latency: {WARMUP} warm-up + {RUNS} launches per variant: ours, raw runtime"
                     + (", before" if BEFORE else "") + (", state root on a tmpfs (mounted at " + str(BASE / "tmpfs-state") + ")" if TMPFS_VARIANT else ""))
    if "concurrency" in PHASES:
        lines.append(f"concurrency: {', '.join(map(str, CONCURRENCY))} simultaneous launches per runtime")
    if "workloads" in PHASES:
        lines.append(f"workloads: {os.environ.get('BENCH_KINDS', 'fio,stress-ng,iperf3,spark')}"
                     + ("" if SPARK else " without spark") + f", {REPEATS} repetition(s) of {WORK_SECONDS} s;"
                     + (f" creates {SPARK_VENV} with pyspark if missing" if SPARK else ""))
    if "spark-yarn" in PHASES:
        lines.append(f"spark-yarn: {SPARK_YARN_RUNS} run(s) per runtime and job through scripts/e2e-spark.sh")
    if launcher or "workloads" in PHASES:
        tools = ("fio stress-ng iperf3 " if "workloads" in PHASES else "") + ("time strace" if "cost" in PHASES else "")
        lines.append(f"installs missing Debian packages ({tools.strip() or 'none'}), creates users yarn/alice, "
                     f"nodes under {BASE} with the setuid binary from {BUILD}")
    lines.append(f"results: {OUT}" if launcher or OUT_GIVEN else "results: bench/results/spark-yarn*.json only")
    return "\n".join("kyr-bench plan: " + line for line in lines)


SHIM = "shim:containerd-shim-runc-v2"
RUNSC_NETSTACK = "runsc (network=none)"
ALL_RUNTIMES = ["runc", "runsc", SHIM]
LATENCY_SCRIPT = "#!/bin/bash\necho $EPOCHREALTIME > first.ts\nexit 0\n"


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)


def stats(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    def pct(p):
        k = (len(values) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (k - lo)
    return {"n": len(values), "median": statistics.median(values), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.fmean(values), "min": values[0], "max": values[-1],
            "stdev": statistics.stdev(values) if len(values) > 1 else 0.0}


# ---------------------------------------------------------------------------------------------------------------
# environment

def ensure_tools():
    """Debian packages for the workloads; matplotlib for the report; pyspark in a venv under /opt for Spark."""
    want = ({"fio": "fio", "stress-ng": "stress-ng", "iperf3": "iperf3"} if "workloads" in PHASES else {}) \
        | ({"/usr/bin/time": "time", "strace": "strace"} if "cost" in PHASES else {})
    missing = [pkg for binary, pkg in want.items() if not shutil.which(binary) and not Path(binary).exists()]
    if SPARK and "workloads" in PHASES and subprocess.run(["dpkg", "-s", "python3-venv"], capture_output=True).returncode != 0:
        missing.append("python3-venv")   # the Spark venv is made with Debian's python3 so the sandbox can run it
    if missing:
        log("apt-get install", *missing)
        sh("apt-get update -qq")
        subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                       stdout=subprocess.DEVNULL)
    if SPARK and "workloads" in PHASES and not (SPARK_VENV / "bin" / "pyspark").exists():
        log(f"creating {SPARK_VENV} with pyspark (Debian's python3, so the sandbox can run it)")
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(SPARK_VENV)], check=True)
        subprocess.run([str(SPARK_VENV / "bin/pip"), "install", "-q", "pyspark"], check=True)
    if SPARK and "workloads" in PHASES:
        shutil.copy2(Path(__file__).with_name("spark_jobs.py"), SPARK_VENV / "kyr_spark_jobs.py")
        os.chmod(SPARK_VENV / "kyr_spark_jobs.py", 0o644)


def first_line(cmd):
    r = sh(cmd)
    if r.returncode == 127:   # not installed (the phases run need only some of the tools)
        return None
    text = (r.stdout or r.stderr).strip()
    return text.splitlines()[0] if text else None


def machine_facts():
    mem = Path("/proc/meminfo").read_text()
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    mounts = [l.split() for l in Path("/proc/mounts").read_text().splitlines()]
    v2 = [m[1] for m in mounts if m[2] == "cgroup2"]
    v1 = [Path(m[1]).name for m in mounts if m[2] == "cgroup"]
    def controllers(path):
        try:
            return Path(path, "cgroup.controllers").read_text().split()
        except OSError:
            return []
    if v2 and not v1:
        cgroup = f"v2 (unified at {v2[0]}: {' '.join(controllers(v2[0])) or 'no controllers'})"
    elif v1:
        cgroup = f"v1 ({', '.join(v1)})" + (f" + cgroup2 at {v2[0]} with {' '.join(controllers(v2[0])) or 'no controllers'} (hybrid)" if v2 else "")
    else:
        cgroup = "none mounted"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu.group(1) if cpu else None,
        "mem_total_kib": int(re.search(r"MemTotal:\s+(\d+)", mem).group(1)),
        "kernel": platform.release(),
        "os": first_line("grep PRETTY_NAME /etc/os-release | cut -d= -f2 | tr -d '\"'"),
        "cgroup": cgroup,
        "kvm": Path("/dev/kvm").exists(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def versions():
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    return {
        "runc": first_line("runc --version"),
        "runsc": first_line("runsc --version"),
        "containerd-shim-runc-v2": (sh("containerd-shim-runc-v2 -v").stdout.split("Version:")[-1].split("\n")[0].strip() or None),
        "swift": first_line(f"{swift} --version 2>&1 | grep -i 'swift version'"),
        "fio": first_line("fio --version"),
        "stress-ng": first_line("stress-ng --version"),
        "iperf3": first_line("iperf3 --version"),
        "java": first_line(f"{JAVA_HOME}/bin/java -version 2>&1"),
        "pyspark": first_line(f"{SPARK_VENV}/bin/python -c 'import pyspark; print(pyspark.__version__)'") if SPARK else None,
        "python": platform.python_version(),
        "kata-yarn-runtime": {"build": str(BUILD.relative_to(REPO) if BUILD.is_relative_to(REPO) else BUILD), "git": first_line(f"git -C {REPO} rev-parse --short HEAD"),
                              "dirty_files": sh(f"git -C {REPO} status --porcelain -- Sources Package.swift").stdout.count("\n"),
                              # what the binaries under test were built from, when not from this work tree
                              "note": os.environ.get("KYR_BENCH_BUILD_NOTE")},
    }


def runtimes_status():
    """Each runtime: "available", or why not (the integration tests' detection; kata: what this host lacks)."""
    found = {r: runtime_missing(r) or "available" for r in ALL_RUNTIMES}
    found = {r: (why if r in RUNTIMES else "not selected (--runtimes)") for r, why in found.items()}
    if not Path("/usr/bin/containerd-shim-kata-v2").exists():
        found["kata"] = "no containerd-shim-kata-v2 (no Debian or PyPI package ships Kata's shim, agent or guest image)"
    elif not Path("/dev/kvm").exists():
        found["kata"] = "no /dev/kvm"
    else:
        found["kata"] = "not measured by this benchmark (make e2e RUNTIME=kata runs the launch suite on a KVM host)"
    return found


# ---------------------------------------------------------------------------------------------------------------
# launches

def node_for(runtime, tag="", binary=None, extra_cfg="", state_root=None):
    name = f"n-{runtime.replace(':', '-')}{tag}"
    return Node(name, runtime, binary=Path(binary) if binary else None, extra_cfg=extra_cfg, state_root=state_root)


def tmpfs_state_root():
    """A tmpfs for [kata] state-root (this machine's /run is not one; production's default /run/... usually is)."""
    path = BASE / "tmpfs-state"
    path.mkdir(mode=0o755, exist_ok=True)
    if subprocess.run(["mountpoint", "-q", str(path)]).returncode != 0:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1g", "kyr-bench", str(path)], check=True)
    return path


def read_first(launch):
    try:
        return float((launch.work / "first.ts").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def launch_ours(node, app, script=LATENCY_SCRIPT):
    """One operation-1 launch as the NodeManager; returns (first_ms, exit_ms, rc, stderr tail)."""
    launch = node.container(script, app=app)
    t0 = time.time()
    proc = node.nm_popen(launch.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=300)
    t1 = time.time()
    first = read_first(launch)
    try:   # the NM's pid file is written once (tmp + rename) as soon as the launcher has seen the container's pid
        pid_ms = (os.stat(launch.pidfile).st_mtime_ns / 1e9 - t0) * 1e3
    except FileNotFoundError:
        pid_ms = None
    return {"first_ms": (first - t0) * 1e3 if first else None, "exit_ms": (t1 - t0) * 1e3, "rc": proc.returncode,
            "pid_ms": pid_ms, "err": err.decode(errors="replace")[-400:] if proc.returncode else ""}


class RawBundle:
    """A copy of the bundle our binary wrote for a running container, run directly by the runtime."""

    def __init__(self, node, runtime, app):
        self.runtime = "runc" if runtime == SHIM else runtime   # the shim runs runc on the same bundle
        script = "#!/bin/bash\nwhile [ ! -e release ]; do sleep 0.02; done\n"
        launch = node.container(script, app=app)
        proc = node.nm_popen(launch.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        bundle = node.state / "containers" / launch.cid / "bundle"
        deadline = time.time() + 60
        while not (bundle / "config.json").exists() and time.time() < deadline:
            time.sleep(0.005)
        launch.wait_for_pid()
        self.dir = BASE / f"raw-{runtime.replace(':', '-')}"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.bundle = self.dir / "bundle"
        shutil.copytree(bundle, self.bundle, symlinks=True)
        (launch.work / "release").touch()
        proc.communicate(timeout=60)
        spec = json.loads((self.bundle / "config.json").read_text())
        spec["root"]["path"] = str(self.bundle / "rootfs")
        (self.bundle / "config.json").write_text(json.dumps(spec, indent=1))
        self.spec = spec
        self.work = launch.work
        self.script = launch.work / "launch_container.sh"
        st = os.stat(self.script)
        self.script.write_text(LATENCY_SCRIPT)
        os.chown(self.script, st.st_uid, st.st_gid)
        os.chmod(self.script, 0o700)
        self.root = self.dir / "state"
        self.root.mkdir(mode=0o700)
        self.count = 0

    def argv(self, cid):
        pid = self.dir / f"{self.runtime}.pid"
        if self.runtime == "runc":
            return ["runc", "--root", str(self.root), "--log", str(self.dir / "runc.log"), "run", "--bundle", str(self.bundle),
                    "--pid-file", str(pid), cid]
        return ["runsc", "--root", str(self.root), "--network=host", "--oci-seccomp", "run", "--bundle", str(self.bundle),
                "--pid-file", str(pid), cid]

    def command(self):
        return " ".join(self.argv("<id>"))

    def run(self):
        self.count += 1
        (self.work / "first.ts").unlink(missing_ok=True)
        cid = f"raw{self.count}"
        with open(self.dir / "stdout", "ab") as out, open(self.dir / "stderr", "ab") as err:
            t0 = time.time()
            proc = subprocess.Popen(self.argv(cid), stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.bundle,
                                    start_new_session=True, env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"})
            proc.wait(timeout=300)
            t1 = time.time()
        try:
            first = float((self.work / "first.ts").read_text().strip())
        except (FileNotFoundError, ValueError):
            first = None
        return {"first_ms": (first - t0) * 1e3 if first else None, "exit_ms": (t1 - t0) * 1e3, "rc": proc.returncode}


def summarize(runs):
    ok = [r for r in runs if r["rc"] == 0]
    return {"first_ms": stats([r["first_ms"] for r in ok]), "exit_ms": stats([r["exit_ms"] for r in ok]),
            "pid_ms": stats([r.get("pid_ms") for r in ok]),
            "failures": len(runs) - len(ok), "raw": [{k: r.get(k) for k in ("first_ms", "exit_ms", "pid_ms", "rc")} for r in runs],
            "errors": sorted({r.get("err", "") for r in runs if r["rc"]})[:3]}


def phase_latency(runtimes, results):
    out = results.setdefault("latency", {})
    for runtime in runtimes:
        log(f"latency: {runtime} ({RUNS} runs, {WARMUP} warm-up, interleaved ours/raw"
            + ("/before" if BEFORE else "") + ("/tmpfs-state" if TMPFS_VARIANT else "") + ")")
        node = node_for(runtime)
        before = node_for(runtime, "-before", binary=BEFORE) if BEFORE else None
        raw = RawBundle(node, runtime, "0100")
        tmpfs = node_for(runtime, "-tmpfs", state_root=tmpfs_state_root()) if TMPFS_VARIANT else None
        variants = {"ours": lambda: launch_ours(node, "0101"), "raw": raw.run}
        if before:
            variants["before"] = lambda: launch_ours(before, "0101")
        if tmpfs:
            variants["ours_tmpfs_state"] = lambda: launch_ours(tmpfs, "0101")
        samples = {k: [] for k in variants}
        for i in range(WARMUP + RUNS):
            order = list(variants.items())
            if i % 2:
                order.reverse()
            for name, fn in order:
                r = fn()
                if i >= WARMUP:
                    samples[name].append(r)
            if i % 10 == 9:
                for n in [node, before, tmpfs]:
                    if n:
                        n.drop_app("0101")
        entry = {name: summarize(s) for name, s in samples.items()}
        entry["raw_command"] = raw.command()
        entry["raw_runtime"] = raw.runtime
        entry["ours_command"] = f"runuser-equivalent: uid=yarn gid=hadoop env={{}} {node.bin} <operation 1 argv>"
        entry["mounts"] = len(raw.spec.get("mounts", []))
        for variant in [k for k in variants if k != "raw"]:
            for key in ("first_ms", "exit_ms"):
                a, b = entry[variant][key], entry["raw"][key]
                if a and b:
                    entry[variant][f"{key}_ratio_median"] = a["median"] / b["median"]
                    entry[variant][f"{key}_ratio_p95"] = a["p95"] / b["p95"]
        out[runtime] = entry
        o, r = entry["ours"], entry["raw"]
        log(f"  ours first {o['first_ms']['median']:.1f}/{o['first_ms']['p95']:.1f} ms exit {o['exit_ms']['median']:.1f}/"
            f"{o['exit_ms']['p95']:.1f} | raw first {r['first_ms']['median']:.1f} exit {r['exit_ms']['median']:.1f}"
            f" | failures {o['failures']}/{r['failures']}"
            + (f" | pid file {o['pid_ms']['median']:.1f}" if o.get("pid_ms") else "")
            + (f" | before exit {entry['before']['exit_ms']['median']:.1f} pid file {entry['before']['pid_ms']['median']:.1f}" if before else "")
            + (f" | tmpfs state exit {entry['ours_tmpfs_state']['exit_ms']['median']:.1f}" if tmpfs else ""))
        entry["state_root"] = {"ours": str(node.state), "ours_tmpfs_state": str(tmpfs.state) if tmpfs else None}
        for n in [node, before, tmpfs]:
            if n:
                left = n.leftovers()
                if left:
                    entry.setdefault("leftovers", []).extend(left)
                n.destroy()
        shutil.rmtree(raw.dir, ignore_errors=True)
    if TMPFS_VARIANT:
        subprocess.run(["umount", str(BASE / "tmpfs-state")], capture_output=True)


# ---------------------------------------------------------------------------------------------------------------
# our own cost

def proc_cpu_ns(pid):
    """CPU time of one process alone (not its children), in ns, from /proc/<pid>/schedstat."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def proc_hwm_kib(pid):
    m = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(m.group(1)) if m else None


def time_v(node, argv):
    r = subprocess.run(["/usr/bin/time", "-v", str(node.bin)] + [str(a) for a in argv], user=node.nm.pw_uid, group=node.gid,
                       extra_groups=[node.gid], env={}, capture_output=True, text=True)
    def field(name):
        m = re.search(rf"{re.escape(name)}: (.*)", r.stderr)
        return m.group(1).strip() if m else None
    return {"user_s": float(field("User time (seconds)")), "system_s": float(field("System time (seconds)")),
            "max_rss_kib": int(field("Maximum resident set size (kbytes)")), "wall": field("Elapsed (wall clock) time (h:mm:ss or m:ss)"),
            "voluntary_ctx": int(field("Voluntary context switches")), "rc": r.returncode}


def strace_timeline(node, app):
    """One launch (caller root, so ptrace keeps working) under strace -f -ttt: milestones of the launcher."""
    launch = node.container(LATENCY_SCRIPT, app=app)
    trace = BASE / "strace.out"
    subprocess.run(["strace", "-f", "-ttt", "-o", str(trace), "-e",
                    "trace=execve,clone,wait4,openat,clock_nanosleep,exit_group,renameat,rename,unlinkat"] +
                   [str(node.bin)] + [str(a) for a in launch.argv], capture_output=True)
    lines = trace.read_text().splitlines()
    main = lines[0].split()[0]
    marks = {}
    first_t = float(lines[0].split()[1])
    sleeps = 0
    children = []
    for line in lines:
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue
        pid, t, call = parts[0], float(parts[1]), parts[2]
        rel = (t - first_t) * 1e3
        if pid == main:
            if '"config.json"' in call and "O_CREAT" in call:
                marks.setdefault("config.json written", rel)
            elif call.startswith("clone("):
                children.append(rel)
            elif call.startswith("clock_nanosleep"):
                sleeps += 1
            elif '.pid.tmp"' in call:
                marks.setdefault("pid file written (container init seen)", rel)
            elif '.exitcode.tmp"' in call:
                marks.setdefault("exit code written (runtime reaped)", rel)
            elif call.startswith("exit_group"):
                marks["launcher exit"] = rel
        elif call.startswith("execve(") and "= 0" in call:
            name = call.split('"')[1]
            marks.setdefault(f"execve {Path(name).name} #{sum(1 for k in marks if Path(name).name in k) + 1}", rel)
    trace.unlink(missing_ok=True)
    return {"milestones_ms": dict(sorted(marks.items(), key=lambda kv: kv[1])), "poll_sleeps": sleeps, "spawns_ms": children,
            "note": "strace -f slows every traced process (runtime included): read the order and the gaps, not absolute numbers"}


def phase_cost(runtimes, results):
    out = results.setdefault("cost", {})
    log("cost: launcher with a runtime that fails at once (runc.binary=/usr/bin/false)")
    failing = node_for("runc", "-false", extra_cfg="  runc.binary=/usr/bin/false\n")
    walls = []
    for i in range(WARMUP + RUNS):
        r = launch_ours(failing, "0200")
        if i >= WARMUP:
            walls.append(r["exit_ms"])
            out.setdefault("false_rc", r["rc"])
    out["plan_and_write_ms"] = stats(walls)
    launch = failing.container(LATENCY_SCRIPT, app="0200")
    out["false_time_v"] = time_v(failing, launch.argv)
    failing.destroy()

    for runtime in runtimes:
        log(f"cost: launcher CPU and RSS while blocked on a running {runtime} container")
        node = node_for(runtime, "-cost")
        cpu, hwm, tv = [], [], []
        for i in range(5 if QUICK else 10):
            launch = node.container("#!/bin/bash\nwhile [ ! -e release ]; do sleep 0.02; done\n", app="0201")
            proc = node.nm_popen(launch.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            launch.wait_for_pid()
            time.sleep(0.3)
            cpu.append(proc_cpu_ns(proc.pid) / 1e6)
            hwm.append(proc_hwm_kib(proc.pid))
            (launch.work / "release").touch()
            proc.wait(timeout=120)
        launch = node.container(LATENCY_SCRIPT, app="0201")
        tv = time_v(node, launch.argv)
        out[runtime] = {"launcher_cpu_ms_until_started": stats(cpu), "launcher_vmhwm_kib": stats(hwm),
                        "time_v_including_runtime_children": tv}
        if runtime in ("runc", "runsc"):
            out[runtime]["strace"] = strace_timeline(node, "0202")
        node.destroy()


# ---------------------------------------------------------------------------------------------------------------
# concurrency

def phase_concurrency(runtimes, results):
    out = results.setdefault("concurrency", {})
    for runtime in runtimes:
        out[runtime] = {}
        for level in CONCURRENCY:
            node = node_for(runtime, f"-c{level}")
            launches = [node.container(LATENCY_SCRIPT, app="0300") for _ in range(level)]
            done = [None] * level

            def one(i, launch):
                t0 = time.time()
                proc = node.nm_popen(launch.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                _, err = proc.communicate(timeout=600)
                done[i] = (launch, t0, proc, time.time(), err)

            threads = [threading.Thread(target=one, args=(i, l)) for i, l in enumerate(launches)]
            start = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            lat, firsts, failures = [], [], []
            end = start
            for launch, t0, proc, t1, err in done:
                try:
                    code = exitcode_file(launch).read_text()
                except FileNotFoundError:
                    code = None
                first = read_first(launch)
                if proc.returncode != 0 or code != "0" or first is None:
                    failures.append({"cid": launch.cid, "rc": proc.returncode, "exitcode": code,
                                     "stderr": err.decode(errors="replace")[-600:]})
                    continue
                lat.append((t1 - t0) * 1e3)
                firsts.append((first - t0) * 1e3)
                end = max(end, t1)
            makespan = end - start
            left = node.leftovers()
            out[runtime][str(level)] = {"launches": level, "failures": len(failures), "failure_samples": failures[:5],
                                        "makespan_s": makespan, "throughput_per_s": len(lat) / makespan if makespan > 0 else None,
                                        "first_ms": stats(firsts), "exit_ms": stats(lat), "leftovers": left[:10]}
            e = out[runtime][str(level)]
            log(f"concurrency {runtime} x{level}: {e['throughput_per_s'] or 0:.1f}/s, exit p50 "
                f"{(e['exit_ms'] or {}).get('median', 0):.0f} p95 {(e['exit_ms'] or {}).get('p95', 0):.0f} ms, failures {len(failures)}"
                + (f" first: {failures[0]['stderr'][-200:]!r}" if failures else ""))
            node.destroy()


# ---------------------------------------------------------------------------------------------------------------
# workloads

def workload_script(kind):
    """Shell fragment run in the work dir (inside the sandbox, or on the host as alice for bare metal)."""
    t = WORK_SECONDS
    if kind == "fio":
        common = f"--directory=. --size=256m --runtime={t // 2 or 1} --time_based --ioengine=psync --thread --group_reporting --output-format=json"
        return "\n".join([
            f"fio --name=randread --rw=randread --bs=4k {common} > fio-randread.json",
            f"fio --name=randwrite --rw=randwrite --bs=4k {common} > fio-randwrite.json",
            f"fio --name=seqread --rw=read --bs=1m {common} > fio-seqread.json",
            f"fio --name=seqwrite --rw=write --bs=1m --end_fsync=1 {common} > fio-seqwrite.json",
            "rm -f randread.* randwrite.* seqread.* seqwrite.*"])
    if kind == "stress-ng":
        return "\n".join([
            f"stress-ng --cpu 2 --cpu-method matrixprod -t {t}s --metrics-brief --yaml sng-cpu.yaml >/dev/null 2>&1",
            f"stress-ng --stream 1 --stream-l3-size 8M -t {t}s --metrics-brief --yaml sng-stream.yaml >/dev/null 2>&1",
            f"stress-ng --vm 2 --vm-bytes 256M -t {t}s --metrics-brief --yaml sng-vm.yaml >/dev/null 2>&1"])
    if kind == "iperf3":
        return f"iperf3 -c 127.0.0.1 -p 5299 -t {t} -J > iperf3.json 2> iperf3.err"
    if kind == "spark":
        env = (f"export JAVA_HOME={JAVA_HOME} SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON={SPARK_VENV}/bin/python "
               f"SPARK_LOCAL_DIRS=$PWD/spark-local LOCAL_DIRS=$PWD/spark-local HOME=$PWD KYR_SPARK_SCALE={SPARK_SCALE}")
        job = f"{SPARK_VENV}/bin/python {SPARK_VENV}/kyr_spark_jobs.py"
        return "\n".join([env, "mkdir -p spark-local",
                          f"s=$EPOCHREALTIME; {job} pi > spark-pi.json 2> spark-pi.err; e=$EPOCHREALTIME; echo \"$s $e\" > spark-pi.wall",
                          f"s=$EPOCHREALTIME; {job} shuffle > spark-shuffle.json 2> spark-shuffle.err; e=$EPOCHREALTIME; echo \"$s $e\" > spark-shuffle.wall"])
    raise ValueError(kind)


def parse_workload(kind, work):
    m = {}
    if kind == "fio":
        for name in ["randread", "randwrite", "seqread", "seqwrite"]:
            doc = json.loads((work / f"fio-{name}.json").read_text())
            job = doc["jobs"][0]
            side = job["read"] if "read" in name else job["write"]
            if name.startswith("rand"):
                m[f"fio {name} 4k IOPS"] = side["iops"]
            else:
                m[f"fio {name} 1M MiB/s"] = side["bw_bytes"] / 2**20
    elif kind == "stress-ng":
        for name, key in [("cpu", "cpu matrixprod"), ("stream", "stream memory"), ("vm", "vm 256M")]:
            text = (work / f"sng-{name}.yaml").read_text()
            bogo = re.search(r"bogo-ops-per-second-real-time:\s*([0-9.e+]+)", text)
            m[f"stress-ng {key} bogo-ops/s"] = float(bogo.group(1)) if bogo else None
    elif kind == "iperf3":
        doc = json.loads((work / "iperf3.json").read_text())
        if doc.get("end", {}).get("sum_received"):
            m["iperf3 loopback Gbit/s"] = doc["end"]["sum_received"]["bits_per_second"] / 1e9
        elif doc.get("intervals"):
            # iperf3 under runsc's host network sometimes fails the final results exchange ("unable to receive
            # results: Resource temporarily unavailable"): use the sender's per-second intervals instead.
            rates = [i["sum"]["bits_per_second"] for i in doc["intervals"]]
            m["iperf3 loopback Gbit/s"] = statistics.fmean(rates) / 1e9
            m["iperf3 note"] = doc.get("error")
    elif kind == "spark":
        for job in ["pi", "shuffle"]:
            lines = (work / f"spark-{job}.json").read_text().strip().splitlines()
            if not lines:   # this job failed (its stderr is in spark-<job>.err): keep the other one's numbers
                m[f"spark {job} note"] = "failed: " + (work / f"spark-{job}.err").read_text()[-300:].strip()
                continue
            doc = json.loads(lines[-1])
            s, e = (float(x) for x in (work / f"spark-{job}.wall").read_text().split())
            m[f"spark {job} job s (lower is better)"] = doc["job_s"]
            m[f"spark {job} total s incl. JVM start (lower is better)"] = e - s
    return m


def run_bare(kind, node, n):
    """The same fragment on the host as alice, in a directory on the same filesystem as the YARN local dirs."""
    work = node.local / "bare-metal" / f"{kind}-{n}"
    work.mkdir(parents=True, exist_ok=True)
    alice = __import__("pwd").getpwnam("alice")
    for p in [work.parent, work]:
        os.chown(p, alice.pw_uid, alice.pw_gid)
    script = work / "run.sh"
    script.write_text("#!/bin/bash\n" + workload_script(kind) + "\n")
    os.chmod(script, 0o755)
    r = subprocess.run(["/bin/bash", str(script)], cwd=work, user=alice.pw_uid, group=alice.pw_gid, extra_groups=[],
                       env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(work)},
                       capture_output=True, text=True, timeout=900)
    return work, r.returncode, r.stderr[-400:]


def run_sandboxed(kind, node):
    launch = node.container("#!/bin/bash\n" + workload_script(kind) + "\n", app="0400")
    r = subprocess.run([str(node.bin)] + [str(a) for a in context_argv(launch, vcores=2, memoryMB=6144)], user=node.nm.pw_uid,
                       group=node.gid, extra_groups=[node.gid], env={}, capture_output=True, text=True, timeout=900)
    err = r.stderr[-300:] + (launch.logdir / "sandbox.stderr").read_text()[-300:] if (launch.logdir / "sandbox.stderr").exists() else r.stderr[-400:]
    return launch.work, r.returncode, err


def runsc_jvm_workaround(node):
    """Regression guard: a seccomp profile that answers clone3 with ENOSYS (errnoRet 38, so that glibc falls back to
    clone) breaks every JVM under runsc 20221219, whose --oci-seccomp answers EPERM instead: pthread_create fails.
    A work-tree state of OCISeccomp.swift did that (seen while writing this bench; the committed code does not). If
    the probe shows it, the runsc workload node gets `[kata] seccomp.profile` = the same profile without the clone3
    rule, and the results say so. Returns a description of what was done, or None."""
    launch = node.container(f"#!/bin/bash\n{JAVA_HOME}/bin/java -Xshare:off -version > jv.txt 2>&1\n", app="0401")
    r = subprocess.run([str(node.bin)] + [str(a) for a in launch.argv], user=node.nm.pw_uid, group=node.gid,
                       extra_groups=[node.gid], env={}, capture_output=True, timeout=300)
    probe = (launch.work / "jv.txt").read_text() if (launch.work / "jv.txt").exists() else ""
    if "EPERM" not in probe:
        if "version" not in probe:
            log(f"runsc JVM probe inconclusive: rc {r.returncode} {r.stderr[-300:]!r} {probe[-300:]!r}")
        return None
    raw = RawBundle(node, "runsc", "0402")
    profile = raw.spec["linux"]["seccomp"]
    profile["syscalls"] = [r for r in profile["syscalls"] if "clone3" not in r["names"]]
    path = BASE / "etc" / "seccomp-runsc-no-clone3.json"
    path.parent.mkdir(mode=0o755, exist_ok=True)
    path.write_text(json.dumps(profile, indent=1))
    os.chmod(path, 0o644)
    with open(node.cfg, "a") as cfg:
        cfg.write(f"  seccomp.profile={path}\n")
    shutil.rmtree(raw.dir, ignore_errors=True)
    node.drop_app("0401")
    node.drop_app("0402")
    return {"probe": probe.strip().splitlines()[0][:200], "profile": str(path),
            "why": "JVM threads fail with EPERM under runsc --oci-seccomp with the clone3→ENOSYS rule; profile without it used"}


def phase_workloads(runtimes, results):
    out = results.setdefault("workloads", {"params": {"seconds": WORK_SECONDS, "repeats": REPEATS, "spark_repeats": SPARK_REPEATS,
                                                      "spark_scale": SPARK_SCALE, "vcores": 2, "memory_mb": 6144}})
    kinds = [k for k in os.environ.get("BENCH_KINDS", "fio,stress-ng,iperf3,spark").split(",") if k != "spark" or SPARK]
    nodes = {rt: node_for(rt, "-work", extra_cfg=f"  ro-mounts={SPARK_VENV}\n") for rt in runtimes}
    if "runsc" in runtimes and os.environ.get("BENCH_RUNSC_NETSTACK", "1") not in ("", "0"):
        # runsc with [kata] network=none: gVisor's own netstack (loopback) instead of hostinet. PySpark's JVM <->
        # Python worker sockets fail under runsc 20221219's hostinet (EOFError); they work on netstack.
        nodes[RUNSC_NETSTACK] = node_for("runsc", "-work-netstack", extra_cfg=f"  ro-mounts={SPARK_VENV}\n  network=none\n")
    if "runsc" in nodes and SPARK:
        out["runsc_jvm_workaround"] = runsc_jvm_workaround(nodes["runsc"])
        log("runsc JVM probe:", out["runsc_jvm_workaround"] or "JVM starts with the built-in profile")
    bare_node = nodes[runtimes[0]]
    envs = ["bare"] + list(nodes)
    samples = out.setdefault("samples", {})
    for rep in range(REPEATS):
        for kind in kinds:
            if kind == "spark" and rep >= SPARK_REPEATS:
                continue
            for env in (envs if rep % 2 == 0 else list(reversed(envs))):
                if env == RUNSC_NETSTACK and kind == "iperf3":
                    continue   # no route to the host's iperf3 server from a netstack sandbox
                server = None
                if kind == "iperf3":
                    server = subprocess.Popen(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", "5299"], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
                    deadline = time.time() + 5
                    while time.time() < deadline and ":5299 " not in sh("ss -Hltn sport = :5299").stdout:
                        time.sleep(0.05)
                t0 = time.time()
                if env == "bare":
                    work, rc, err = run_bare(kind, bare_node, rep)
                else:
                    work, rc, err = run_sandboxed(kind, nodes[env])
                wall = time.time() - t0
                if server:
                    try:
                        server.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait()
                try:
                    try:
                        metrics = parse_workload(kind, work) if rc == 0 else {}
                    except (ValueError, IndexError, FileNotFoundError):
                        time.sleep(1.0)   # seen under runsc: an output file still empty just after the launcher exited
                        metrics = parse_workload(kind, work) if rc == 0 else {}
                        metrics["late output"] = 1
                except Exception as exc:   # a workload that does not run in a sandbox is a result, not a crash
                    extra = "".join(p.read_text()[-300:] for p in work.glob("*.err")) if work.exists() else ""
                    metrics, err = {}, f"{err}\n{extra}\nparse: {exc!r}"
                entry = {"env": env, "kind": kind, "rep": rep, "rc": rc, "wall_s": wall, "metrics": metrics}
                if rc != 0 or not metrics:
                    entry["error"] = err
                samples.setdefault(kind, []).append(entry)
                log(f"workload {kind} rep{rep} {env}: rc={rc} wall={wall:.1f}s "
                    + ", ".join(f"{k}={v:.4g}" if isinstance(v, (int, float)) else f"{k}: {' '.join(str(v).split())[-120:]}"
                                for k, v in metrics.items() if v is not None) + (f" ERR {err[-200:]!r}" if rc else ""))
                if metrics:
                    shutil.rmtree(work, ignore_errors=True)
            for node in nodes.values():
                if all(e["metrics"] for e in samples.get(kind, [])):
                    node.drop_app("0400")
    # ratios per repetition (same rep → measured minutes apart), then the median over repetitions
    ratios = {}
    for kind, entries in samples.items():
        for rep in range(REPEATS):
            bare = next((e for e in entries if e["env"] == "bare" and e["rep"] == rep), None)
            if not bare:
                continue
            for e in entries:
                if e["rep"] != rep or e["env"] == "bare":
                    continue
                for metric, value in e["metrics"].items():
                    b = bare["metrics"].get(metric)
                    if isinstance(value, (int, float)) and isinstance(b, (int, float)) and value and b and "note" not in metric and metric != "late output":
                        ratios.setdefault(metric, {}).setdefault(e["env"], []).append(value / b)
    out["ratios"] = {m: {env: statistics.median(v) for env, v in per.items()} for m, per in ratios.items()}
    out["ratios_all"] = ratios
    if not os.environ.get("BENCH_KEEP"):
        for node in nodes.values():
            node.destroy()


# ---------------------------------------------------------------------------------------------------------------
# Spark on YARN

def phase_spark_yarn(runtimes, results):
    """scripts/e2e-spark.sh through bench/spark_yarn.py; its own results file, summarised in latest.json."""
    out = results.setdefault("spark_yarn", {})
    variants = [("host", REPO / "bench" / "results" / "spark-yarn.json")]
    if os.environ.get("BENCH_SPARK_YARN_ROUTED", "") not in ("", "0"):
        variants.append(("routed", REPO / "bench" / "results" / "spark-yarn-routed.json"))
    wanted = ["host"] + [r for r in runtimes if r in ("runc", "runsc", SHIM)]
    for network, path in variants:
        log(f"spark-yarn: network={network}, {SPARK_YARN_RUNS} run(s) per runtime and job: {', '.join(wanted)}")
        cmd = [sys.executable, str(REPO / "bench" / "spark_yarn.py"), "run", "--runs", str(SPARK_YARN_RUNS),
               "--network", network, "--runtimes", " ".join(w for w in wanted if network == "host" or w != "host"),
               "--out", str(path)]
        rc = subprocess.run(cmd).returncode
        doc = json.loads(path.read_text()) if path.exists() else {}
        out[network] = {"file": str(path.relative_to(REPO)), "exit_status": rc, "skipped": doc.get("skipped")}


# ---------------------------------------------------------------------------------------------------------------

def main():
    configure()
    status = runtimes_status()
    runtimes = [r for r in ALL_RUNTIMES if status[r] == "available"]
    print(plan(runtimes), flush=True)
    if "--plan" in sys.argv[1:]:
        return
    if os.geteuid() != 0:
        sys.exit("kyr-bench: run as root (it creates users, installs a setuid binary and starts runtimes)")
    launcher_phases = [p for p in PHASES if p not in ("env", "spark-yarn")]
    for f in ["kata-yarn-runtime", "kyr-init", "kyr-compat.so"] if launcher_phases else []:
        if not (BUILD / f).exists():
            sys.exit(f"kyr-bench: {BUILD / f} missing: run `make release` first (make bench does)")
    started = time.time()
    ensure_tools()
    ensure_accounts()
    BASE.mkdir(mode=0o755, parents=True, exist_ok=True)
    results = {"meta": {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), "quick": QUICK, "runs": RUNS,
                        "warmup": WARMUP, "phases": PHASES, "argv": [a if a != BEFORE else "<before>" for a in sys.argv],
                        "before": BEFORE_LABEL or ("given" if BEFORE else None),
                        "env": {k: v for k, v in os.environ.items() if k.startswith(("BENCH_", "KYR_"))}}}
    results["machine"] = machine_facts()
    results["versions"] = versions()
    results["runtimes"] = {r: {"available": why == "available"} | ({} if why == "available" else {"reason": why})
                           for r, why in status.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)

    def save():
        results["meta"]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        results["meta"]["duration_s"] = time.time() - started
        results["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
        OUT.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")

    for phase, fn in [("latency", phase_latency), ("cost", phase_cost), ("concurrency", phase_concurrency),
                      ("workloads", phase_workloads), ("spark-yarn", phase_spark_yarn)]:
        if phase in PHASES:
            fn(runtimes, results)
            if launcher_phases or OUT_GIVEN:
                save()
    if not launcher_phases and not OUT_GIVEN:
        # --phases spark-yarn alone: its numbers are in their own file; keep latest.json (the launcher phases).
        log("spark-yarn only: bench/results/latest.json left as it was")
        return
    save()
    log(f"results: {OUT} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
