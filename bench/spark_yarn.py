#!/usr/bin/env python3
"""Spark on YARN per runtime, for `make bench` and `make e2e-spark`.

  spark_yarn.py summarize <results.jsonl> [--out FILE] [--runs N] [--network host|routed] [--command CMD]
      The records scripts/e2e-spark-app.py wrote (one per application) -> medians per (runtime, job), ratios to
      the `host` baseline (YARN's DefaultContainerExecutor, no sandbox) and the overhead broken down; printed as a
      table, and written as JSON (bench/results/spark-yarn*.json, rendered by bench/report.py) with --out.
  spark_yarn.py recheck <e2e work dir> <results.jsonl> <out.jsonl>
      Runs scripts/e2e-spark-app.py again on every application of a finished run, from the logs the run kept
      (same checks, same timestamps; for a checker fixed or extended after the run). Wall time, load and exit
      status come from the old records.
  spark_yarn.py run [--runs N] [--network routed] [--runtimes "..."] [--vcores N] --out FILE
      What `make bench` calls: scripts/e2e-spark.sh --allow-skip with these options. When a prerequisite is
      missing (HADOOP_HOME, KYR_BINARY, ...) it prints what and how to provide it, writes {"skipped": ...} to FILE
      and exits 0, so that the rest of the bench runs.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Components of the wall time, in the order a cluster-mode application goes through them. Seconds.
BREAKDOWN = [
    ("submit_to_am_running_s", "submit → AM container handed to the executor (YARN scheduling, localization)"),
    ("am_localize_s", "AM localization (part of the above; LCE: a ContainerLocalizer JVM, DCE: in the NM)"),
    ("am_launch_s", "AM container launch (NM → launch_container.sh's first line)"),
    ("am_jvm_s", "AM/driver JVM start (script start → first log line)"),
    ("driver_start_to_executors_s", "driver up → both executors registered"),
    ("exec_localize_s", "executor localization (median of 2)"),
    ("exec_launch_s", "executor container launch (median of 2)"),
    ("exec_jvm_s", "executor JVM start (median of 2)"),
    ("jobs_s", "Spark jobs (probe + measured job, event log)"),
    ("last_job_to_app_end_s", "last job end → application end"),
    ("other_s", "the rest of the wall time: spark-submit's own JVM, AM JVM first line → driver up (Python driver, "
                "SparkContext), executors registered → first job, application end → spark-submit exit"),
]
TOP = ["submit_to_am_running_s", "am_launch_s", "am_jvm_s", "driver_start_to_executors_s", "jobs_s"]
SHUFFLE = [
    ("shuffle_write_time_ms", "shuffle write time (ms, sum over tasks)"),
    ("fetch_wait_time_ms", "shuffle fetch wait (ms, sum over tasks)"),
    ("shuffle_bytes_written", "shuffle bytes written"),
    ("local_bytes_read", "shuffle bytes read locally"),
    ("remote_bytes_read", "shuffle bytes read remotely"),
    ("executor_run_time_ms", "executor run time (ms, sum over tasks)"),
    ("jvm_gc_ms", "JVM GC (ms, sum over tasks)"),
]


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def value(rec, key):
    if key == "other_s":   # wall minus the sequential components above
        parts = [value(rec, k) for k in TOP]
        return None if any(p is None for p in parts) else rec["wall_s"] - sum(parts)
    return rec.get(key) if key in rec else rec.get("spark", {}).get(key)


def summarize(records, runs, network, command):
    groups = {}
    for r in records:
        groups.setdefault((r["label"], r["job"]), []).append(r)
    rows = []
    for (label, job), recs in groups.items():
        ok = [r for r in recs if r.get("pass")]
        row = {"label": label, "runtime": recs[0]["runtime"], "job": job, "runs": len(recs), "passed": len(ok),
               "wall_s": [r["wall_s"] for r in recs], "load1": [r.get("load1") for r in recs],
               "median_wall_s": median([r["wall_s"] for r in ok]),
               "median_load1": median([r.get("load1") for r in recs])}
        for key, _ in BREAKDOWN + SHUFFLE:
            row[key] = median([value(r, key) for r in ok])
        rows.append(row)
    host = {row["job"]: row for row in rows if row["runtime"] == "host"}
    for row in rows:
        base = host.get(row["job"])
        if base and base["median_wall_s"] and row["median_wall_s"]:
            row["ratio_to_host"] = row["median_wall_s"] / base["median_wall_s"]
            row["delta_to_host"] = {key: (row[key] - base[key]) if row[key] is not None and base[key] is not None else None
                                    for key, _ in BREAKDOWN}
            row["delta_to_host"]["wall_s"] = row["median_wall_s"] - base["median_wall_s"]
        # Paired ratios: run n of this runtime against run n of host (interleaved, so minutes apart at most).
        if base:
            pairs = []
            for r in groups[(row["label"], row["job"])]:
                b = next((x for x in groups[(base["label"], row["job"])] if x["run"] == r["run"] and x.get("pass")), None)
                if b and r.get("pass"):
                    pairs.append(r["wall_s"] / b["wall_s"])
            row["paired_ratio_median"] = median(pairs)
    order = {"host": 0, "runc": 1, "runsc": 2}
    rows.sort(key=lambda r: (r["job"], order.get(r["runtime"], 3), r["label"]))
    return {"rows": rows, "runs": runs, "network": network, "command": command,
            "records": records, "machine": {"nproc": os.cpu_count(), "kernel": platform.release()}}


def fmt(v, digits=1):
    return "–" if v is None else f"{v:.{digits}f}"


def print_table(summary):
    rows = summary["rows"]
    print(f"median over passing runs; network={summary['network']}; ratio = median wall / host's median wall")
    print(f"  {'runtime':<32} {'job':<8} {'pass':<5} {'wall(s)':>8} {'ratio':>6} {'load1':>6}  "
          "AM launch  AM JVM  exec launch  exec JVM  exec localize  jobs(s)  shuffle write/fetch wait (ms)")
    for r in rows:
        print(f"  {r['label']:<32} {r['job']:<8} {r['passed']}/{r['runs']:<3} {fmt(r['median_wall_s']):>8} "
              f"{fmt(r.get('ratio_to_host'), 2):>6} {fmt(r['median_load1'], 2):>6}  {fmt(r['am_launch_s'], 2):>9} "
              f"{fmt(r['am_jvm_s'], 2):>7} {fmt(r['exec_launch_s'], 2):>12} {fmt(r['exec_jvm_s'], 2):>9} {fmt(r['exec_localize_s'], 2):>14} "
              f"{fmt(r['jobs_s'], 1):>8}  {fmt(r['shuffle_write_time_ms'], 0)}/{fmt(r['fetch_wait_time_ms'], 0)}")


def cmd_summarize(args):
    if args.records.endswith(".json"):   # a summary written earlier: summarise its records again
        old = json.loads(Path(args.records).read_text())
        records = old["records"]
    else:
        old = {}
        records = [json.loads(line) for line in Path(args.records).read_text().splitlines() if line.strip()]
    summary = summarize(records, args.runs, args.network, args.command)
    summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    summary["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    for key in ("started", "loadavg_start", "loadavg_end", "finished", "note", "exit_status", "command"):
        if key in old:   # re-summarised: keep what the original run recorded
            summary[key] = old[key]
    print_table(summary)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
        print(f"spark_yarn: wrote {args.out}")
    return 0 if records and all(r.get("pass") for r in records) else 1


def cmd_run(args):
    args.out = str(Path(args.out).resolve())
    cmd = ["bash", str(REPO / "scripts" / "e2e-spark.sh"), "--allow-skip", "--runs", str(args.runs), "--results", args.out]
    if args.network != "host":
        cmd += ["--network", args.network]
    if args.runtimes:
        cmd += ["--runtimes", args.runtimes]
    if args.vcores != 1:
        cmd += ["--vcores", str(args.vcores)]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load = Path("/proc/loadavg").read_text().split()[:3]
    print("spark-yarn:", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:   # streamed: a full run takes half an hour
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    proc.wait()
    output = "".join(lines)
    skip = [line for line in output.splitlines() if line.startswith("SKIP:")]
    if skip:
        # e2e-spark.sh printed what is missing and how to provide it just above the SKIP line. Never replace
        # measured results with a skip: record the skip next to them.
        print("spark-yarn: Spark on YARN not measured; the rest of the bench continues", flush=True)
        out = Path(args.out)
        doc = json.loads(out.read_text()) if out.exists() else {}
        skipped = {"skipped": skip[0], "started": started, "detail": output[-2000:]}
        if "rows" in doc:
            doc["last_attempt_skipped"] = skipped
            print(f"spark-yarn: kept the measured results in {out} (last attempt recorded as skipped)", flush=True)
        else:
            doc = skipped
        out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        return 0
    if Path(args.out).exists():
        doc = json.loads(Path(args.out).read_text())
        if "rows" in doc:
            doc.update({"started": started, "loadavg_start": load, "exit_status": proc.returncode})
            Path(args.out).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return proc.returncode


def cmd_recheck(args):
    import datetime
    import glob
    work = Path(args.work)
    def sh(cmd):
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    host = {"pid1": sh("tr '\\0' ' ' </proc/1/cmdline"), "pidns": sh("readlink /proc/self/ns/pid"),
            "netns": sh("readlink /proc/self/ns/net")}
    out, failed = [], 0
    for line in Path(args.records).read_text().splitlines():
        r = json.loads(line)
        name = "kata-e2e-host" if r["runtime"] == "host" else "kata-e2e"
        appdirs = glob.glob(str(work / "data" / name / "*" / "*logDir*" / r["app"]))
        log = work / f"{name}.log"
        am = r["app"].replace("application_", "container_") + "_01_000001 transitioned from SCHEDULED to RUNNING"
        submit = ""
        for l in log.read_text(errors="replace").splitlines():
            if am in l and r.get("submit_to_am_running_s") is not None:
                at = datetime.datetime.strptime(l[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                submit = str(at - r["submit_to_am_running_s"])
                break
        cmd = [sys.executable, str(REPO / "scripts" / "e2e-spark-app.py"), "--runtime", r["runtime"], "--label", r["label"],
               "--job", r["job"], "--run", str(r["run"]), "--app", r["app"], "--appdir", appdirs[0] if appdirs else "",
               "--cluster-log", str(log), "--eventlog-dir", str(work / "staging" / "eventlog"), "--wall", str(r["wall_s"]),
               "--load", r["loadavg"], "--rc", str(r["rc"]), "--submit-ts", submit, "--host-pid1", host["pid1"],
               "--host-pidns", host["pidns"], "--host-netns", host["netns"], "--network", r["network"],
               "--range", args.range or ""]
        p = subprocess.run(cmd, capture_output=True, text=True)
        new = json.loads(p.stdout)
        if new["pass"] != r.get("pass"):
            new["rechecked"] = "pass %s -> %s (was: %s)" % (r.get("pass"), new["pass"], "; ".join(r.get("why", [])))
        failed += not new["pass"]
        out.append(json.dumps(new, sort_keys=True))
    Path(args.out).write_text("\n".join(out) + "\n")
    print(f"spark_yarn: rechecked {len(out)} applications, {failed} failing -> {args.out}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("records")
    s.add_argument("--out")
    s.add_argument("--runs", type=int, default=1)
    s.add_argument("--network", default="host")
    s.add_argument("--command", default="")
    r = sub.add_parser("run")
    r.add_argument("--runs", type=int, default=5)
    r.add_argument("--network", default="host")
    r.add_argument("--runtimes", default="")
    r.add_argument("--vcores", type=int, default=1)
    r.add_argument("--out", required=True)
    c = sub.add_parser("recheck")
    c.add_argument("work")
    c.add_argument("records")
    c.add_argument("out")
    c.add_argument("--range", default="")
    args = ap.parse_args()
    return {"summarize": cmd_summarize, "run": cmd_run, "recheck": cmd_recheck}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
