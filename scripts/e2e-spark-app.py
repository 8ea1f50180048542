#!/usr/bin/env python3
"""Checks one Spark application of scripts/e2e-spark.sh and measures where its time went. Prints one JSON line
(appended by the caller to results.jsonl, summarised by bench/spark_yarn.py) and, on stderr, why a check failed.
Exit 0 when the answer, the placement evidence and the logs are all right, 1 otherwise.

Placement evidence (the KYR-EVIDENCE lines scripts/e2e-spark-job.py prints in every container):
  sandbox runtimes  KATA_YARN_RUNTIME=<runtime>, pid 1 = /dev/.kyr-init, a pid namespace other than the host's
  host              no KATA_YARN_RUNTIME, pid 1 = the host's pid 1, the pid and network namespaces of the NodeManager (the caller's)
  --network routed  also: hostname c-..., its address and the source address towards the driver in the range,
                    an established TCP connection from the executor to the driver's address, a network
                    namespace other than the host's

Time breakdown per container, all from timestamps of one clock (the host's):
  localize NodeManager "NEW to LOCALIZING" -> "LOCALIZING to SCHEDULED" (cluster log). With LinuxContainerExecutor
          the NM starts a ContainerLocalizer JVM through the container executor; DefaultContainerExecutor localizes
          inside the NM's own JVM. Outside any sandbox either way.
  launch  NodeManager "transitioned from SCHEDULED to RUNNING" (cluster log; the NM hands the container to its
          executor right after) -> launch_container.sh's first instruction (birth time of prelaunch.out, which the
          script creates with its first line `exec >prelaunch.out`)
  jvm     launch_container.sh's first instruction -> the JVM's first log4j line (millisecond pattern from the
          log4j2.properties e2e-spark.sh ships in SPARK_CONF_DIR)
Shuffle I/O from the driver's event log (spark.eventLog): per application, summed over tasks.
"""
import argparse
import datetime
import glob
import ipaddress
import json
import os
import re
import statistics
import subprocess
import sys

LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def birth(path):
    """statx birth time (seconds, float) or None; os.stat has no birth time on Linux before Python 3.12."""
    try:
        out = subprocess.run(["stat", "-c", "%.9W", path], capture_output=True, text=True, check=True).stdout.strip()
        return float(out) if out and float(out) > 0 else None
    except (subprocess.CalledProcessError, ValueError):
        return None


def first_log_line(path):
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = LOG_TS.match(line)
                if m:
                    return ts(m.group(1))
    except OSError:
        pass
    return None


def evidence_lines(text):
    """container -> dict of the first KYR-EVIDENCE line about it (pid1 is last and may contain spaces)."""
    found = {}
    for line in text.splitlines():
        if not line.startswith("KYR-EVIDENCE "):
            continue
        head, _, pid1 = line[len("KYR-EVIDENCE "):].partition(" pid1=")
        fields = dict(kv.split("=", 1) for kv in head.split() if "=" in kv)
        fields["pid1"] = pid1
        found.setdefault(fields.get("container"), fields)
    return found


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def in_range(addr, net):
    try:
        return ipaddress.ip_address(addr.split(":")[0]) in net
    except ValueError:
        return False


def event_metrics(eventlog_dir, app):
    files = sorted(glob.glob(os.path.join(eventlog_dir, app + "*")))
    if not files:
        return {"eventlog": "missing"}
    m = {"shuffle_write_time_ms": 0.0, "shuffle_bytes_written": 0, "shuffle_records_written": 0,
         "fetch_wait_time_ms": 0, "remote_bytes_read": 0, "local_bytes_read": 0, "remote_blocks": 0, "local_blocks": 0,
         "executor_run_time_ms": 0, "executor_deserialize_ms": 0, "jvm_gc_ms": 0, "tasks": 0}
    app_start = app_end = None
    executors_added = []
    jobs = {}
    with open(files[0], errors="replace") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            kind = e.get("Event")
            if kind == "SparkListenerApplicationStart":
                app_start = e["Timestamp"] / 1000
            elif kind == "SparkListenerApplicationEnd":
                app_end = e["Timestamp"] / 1000
            elif kind == "SparkListenerExecutorAdded":
                executors_added.append(e["Timestamp"] / 1000)
            elif kind == "SparkListenerJobStart":
                jobs.setdefault(e["Job ID"], {})["start"] = e["Submission Time"] / 1000
            elif kind == "SparkListenerJobEnd":
                jobs.setdefault(e["Job ID"], {})["end"] = e["Completion Time"] / 1000
            elif kind == "SparkListenerTaskEnd" and e.get("Task Metrics"):
                t = e["Task Metrics"]
                w, r = t.get("Shuffle Write Metrics", {}), t.get("Shuffle Read Metrics", {})
                m["tasks"] += 1
                m["shuffle_write_time_ms"] += w.get("Shuffle Write Time", 0) / 1e6   # nanoseconds in the event log
                m["shuffle_bytes_written"] += w.get("Shuffle Bytes Written", 0)
                m["shuffle_records_written"] += w.get("Shuffle Records Written", 0)
                m["fetch_wait_time_ms"] += r.get("Fetch Wait Time", 0)
                m["remote_bytes_read"] += r.get("Remote Bytes Read", 0)
                m["local_bytes_read"] += r.get("Local Bytes Read", 0)
                m["remote_blocks"] += r.get("Remote Blocks Fetched", 0)
                m["local_blocks"] += r.get("Local Blocks Fetched", 0)
                m["executor_run_time_ms"] += t.get("Executor Run Time", 0)
                m["executor_deserialize_ms"] += t.get("Executor Deserialize Time", 0)
                m["jvm_gc_ms"] += t.get("JVM GC Time", 0)
    m["shuffle_write_time_ms"] = round(m["shuffle_write_time_ms"], 1)
    spans = [j["end"] - j["start"] for j in jobs.values() if "start" in j and "end" in j]
    m["jobs"] = len(spans)
    m["jobs_s"] = round(sum(spans), 3)
    if jobs:
        first_job = min(j["start"] for j in jobs.values() if "start" in j)
        last_job = max(j["end"] for j in jobs.values() if "end" in j)
        if app_start:
            m["driver_start_to_first_job_s"] = round(first_job - app_start, 3)
        if app_end:
            m["last_job_to_app_end_s"] = round(app_end - last_job, 3)
    if app_start and executors_added:
        m["driver_start_to_executors_s"] = round(max(executors_added) - app_start, 3)
    m["app_start"], m["app_end"] = app_start, app_end
    return m


def main():
    ap = argparse.ArgumentParser()
    for name in ["runtime", "label", "job", "run", "app", "appdir", "cluster-log", "eventlog-dir", "wall", "load", "rc",
                 "host-pid1", "host-pidns", "host-netns", "network", "range", "submit-ts"]:
        ap.add_argument("--" + name, default="")
    a = ap.parse_args()
    host_mode = a.runtime == "host"
    routed = a.network == "routed"
    net = ipaddress.ip_network(a.range) if routed else None
    why = []
    rec = {"runtime": a.runtime, "label": a.label or a.runtime, "job": a.job, "run": int(a.run), "app": a.app,
           "network": a.network or "host", "wall_s": float(a.wall), "load1": float(a.load.split()[0]) if a.load else None,
           "loadavg": a.load, "rc": int(a.rc or 0)}
    if rec["rc"] != 0:
        why.append("spark-submit exited %s" % a.rc)
    appdir = a.appdir
    containers = sorted(glob.glob(os.path.join(appdir, "container_*"))) if appdir else []
    am = next((c for c in containers if c.endswith("_000001")), None)
    executors = [c for c in containers if c != am]
    if not am:
        why.append("no AM container log dir under %s" % (appdir or "?"))
        print(json.dumps(rec | {"pass": False, "why": why}))
        print("\n".join(why), file=sys.stderr)
        return 1
    am_out = read(os.path.join(am, "stdout"))
    # answer
    want_rt = "<unset>" if host_mode else a.runtime
    want_init = "false" if host_mode else "true"
    result = re.search(r"^KYR-RESULT job=%s ok=(\w+) executors=(\d+) runtimes=(\S+) pid1_kyr_init=(\w+)" % re.escape(a.job),
                       am_out, re.M)
    answer = bool(result) and result.group(1) == "true" and result.group(2) == "2" and result.group(3) == want_rt \
        and result.group(4) == want_init
    if not answer:
        why.append("AM stdout: no KYR-RESULT ok=true executors=2 runtimes=%s pid1_kyr_init=%s (got: %s)"
                   % (want_rt, want_init, result.group(0) if result else "none"))
    # placement evidence, read from each container's own logs
    placed, detail = True, {}
    for c in [am] + executors:
        cid = os.path.basename(c)
        ev = evidence_lines(read(os.path.join(c, "stdout")) + read(os.path.join(c, "stderr"))).get(cid)
        role = "driver" if c == am else "executor"
        problems = []
        if not ev:
            problems.append("no KYR-EVIDENCE line")
        else:
            if host_mode:
                if ev["KATA_YARN_RUNTIME"] != "<unset>":
                    problems.append("KATA_YARN_RUNTIME=%s" % ev["KATA_YARN_RUNTIME"])
                # argv[0] only: PySpark's workers share the executor's stderr, so a long line can be cut by another
                if ev["pid1"].split(" ")[0] != a.host_pid1.split(" ")[0]:
                    problems.append("pid 1 is %r, not the host's %r" % (ev["pid1"][:60], a.host_pid1[:60]))
                if ev["pidns"] != a.host_pidns or ev["netns"] != a.host_netns:
                    problems.append("namespaces %s %s are not the NodeManager's" % (ev["pidns"], ev["netns"]))
            else:
                if ev["KATA_YARN_RUNTIME"] != a.runtime:
                    problems.append("KATA_YARN_RUNTIME=%s" % ev["KATA_YARN_RUNTIME"])
                if not ev["pid1"].startswith("/dev/.kyr-init"):
                    problems.append("pid 1 is %r" % ev["pid1"][:60])
                if ev["pidns"] == a.host_pidns:
                    problems.append("the host's pid namespace")
            if routed:
                if not ev["host"].startswith("c-"):
                    problems.append("hostname %s is not a c-... name" % ev["host"])
                if not in_range(ev["addr"], net):
                    problems.append("hostname resolves to %s, outside %s" % (ev["addr"], net))
                if ev["netns"] == a.host_netns:
                    problems.append("the host's network namespace")
                if role == "executor":
                    conns = [x.split("->") for x in ev["conn"].split(",") if "->" in x]
                    if not in_range(ev["src"], net):
                        problems.append("source address towards the driver %s is outside %s" % (ev["src"], net))
                    if not conns or not all(in_range(l, net) and in_range(r, net) for l, r in conns):
                        problems.append("no TCP connection to the driver between range addresses (conn=%s)" % ev["conn"])
            detail[cid] = {k: ev[k] for k in ("host", "addr", "src", "conn", "netns")} | {"role": role}
        if problems:
            placed = False
            why.append("%s %s: %s" % (role, cid, "; ".join(problems)))
    # What killed the containers, when something did: the innermost "Caused by" (else the first exception line) of
    # each container's stderr, counted, so that a failing run says why without opening the logs.
    causes = {}
    for c in [am] + executors:
        lines = read(os.path.join(c, "stderr")).splitlines()
        caused = [l.strip() for l in lines if l.startswith("Caused by:")]
        first = caused[-1] if caused else next((l.strip() for l in lines if re.match(r"^(Exception|Error)\b|^\S+(Exception|Error): ", l)), None)
        if first:
            causes[first[:200]] = causes.get(first[:200], 0) + 1
    if causes:
        rec["container_errors"] = causes
    if len(executors) < 2:
        placed = False
        why.append("%d executor containers (need >= 2)" % len(executors))
    drv = re.search(r"^KYR-DRIVER host=(\S+) port=(\d+) blockmanagers=(\S*)", am_out, re.M)
    if drv:
        rec["spark_driver_host"], rec["spark_blockmanagers"] = drv.group(1), drv.group(3)
        if routed and not in_range(drv.group(1), net):
            placed = False
            why.append("spark.driver.host %s is outside %s" % (drv.group(1), net))
    elif routed:
        placed = False
        why.append("AM stdout has no KYR-DRIVER line")
    if routed:
        rec["addresses"] = detail
    # logs: stdout and a non-empty stderr for every container, a non-empty stdout for the AM
    bad = [os.path.basename(c) for c in [am] + executors
           if not os.path.isfile(os.path.join(c, "stdout")) or not os.path.isfile(os.path.join(c, "stderr"))
           or not os.path.getsize(os.path.join(c, "stderr"))]
    if not am_out:
        bad.append("AM stdout empty")
    logs = not bad
    if bad:
        why.append("logs missing or empty: %s" % ", ".join(bad))
    # time breakdown
    running, localizing, localized = {}, {}, {}
    pat = re.compile(r"^(\S+ \S+) .*Container (container_\S+) transitioned from (\w+) to (\w+)")
    for line in read(a.cluster_log).splitlines():
        m = pat.match(line)
        if not m or a.app.replace("application_", "") not in m.group(2):
            continue
        at, cid, old, new = ts(m.group(1)), m.group(2), m.group(3), m.group(4)
        if (old, new) == ("SCHEDULED", "RUNNING"):
            running[cid] = at
        elif (old, new) == ("NEW", "LOCALIZING"):
            localizing[cid] = at
        elif (old, new) == ("LOCALIZING", "SCHEDULED"):
            localized[cid] = at
    parts = {}
    for c in [am] + executors:
        cid = os.path.basename(c)
        script = birth(os.path.join(c, "prelaunch.out"))
        jvm_exec = birth(os.path.join(c, "stderr"))
        first = first_log_line(os.path.join(c, "stderr"))
        nm = running.get(cid)
        loc = localized.get(cid, 0) - localizing.get(cid, 0) if cid in localized and cid in localizing else None
        parts[cid] = {"localize_s": round(loc, 3) if loc is not None else None,
                      "launch_s": round(script - nm, 3) if script and nm else None,
                      "script_s": round(jvm_exec - script, 3) if jvm_exec and script else None,
                      "jvm_s": round(first - script, 3) if first and script else None}
    rec["containers"] = parts
    am_id = os.path.basename(am)
    ex = [parts[os.path.basename(c)] for c in executors]
    def med(key):
        vals = [p[key] for p in ex if p[key] is not None]
        return round(statistics.median(vals), 3) if vals else None
    rec["am_launch_s"], rec["am_jvm_s"] = parts[am_id]["launch_s"], parts[am_id]["jvm_s"]
    rec["exec_launch_s"], rec["exec_jvm_s"] = med("launch_s"), med("jvm_s")
    rec["am_localize_s"], rec["exec_localize_s"] = parts[am_id]["localize_s"], med("localize_s")
    if a.submit_ts and running.get(am_id):
        rec["submit_to_am_running_s"] = round(running[am_id] - float(a.submit_ts), 3)
    rec["spark"] = event_metrics(a.eventlog_dir, a.app) if a.eventlog_dir else {}
    if causes and not (answer and placed):
        why.insert(0, "container errors: " + "; ".join("%dx %s" % (n, c) for c, n in sorted(causes.items(), key=lambda kv: -kv[1])))
    rec.update({"answer": answer, "placed": placed, "logs": logs, "pass": answer and placed and logs and rec["rc"] == 0,
                "why": why})
    print(json.dumps(rec, sort_keys=True))
    if why:
        print("\n".join(why), file=sys.stderr)
    return 0 if rec["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
