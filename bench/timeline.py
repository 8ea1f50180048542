#!/usr/bin/env python3
"""Where a launch spends its time: runs an *instrumented* kata-yarn-runtime (a private build whose steps print
`KYRMARK <CLOCK_MONOTONIC ns> <step>` on stderr; see bench/instrument.py) as the NodeManager would, N times per
runtime, and writes the median time of each step since `fork` to bench/results/timeline.json.

  KYR_BUILD_DIR=<dir with the instrumented kata-yarn-runtime, kyr-init, kyr-compat.so> python3 bench/timeline.py
"""
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kyrnode import Node, ensure_accounts  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ["KYR_BUILD_DIR"])   # required: the instrumented build (the node installs it)
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
OUT = Path(os.environ.get("BENCH_OUT", REPO / "bench" / "results" / "timeline.json"))
RUNTIMES = os.environ.get("BENCH_RUNTIMES", "runc,runsc,shim:containerd-shim-runc-v2").split(",")
SCRIPT = "#!/bin/bash\necho $EPOCHREALTIME > first.ts\nexit 0\n"


def one(node):
    launch = node.container(SCRIPT, app="0500")
    real0, mono0 = time.time(), time.monotonic_ns()
    proc = node.nm_popen(launch.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=120)
    mono1 = time.monotonic_ns()
    marks = []
    for line in err.decode().splitlines():
        if line.startswith("KYRMARK "):
            _, ns, label = line.split(" ", 2)
            marks.append((label, (int(ns) - mono0) / 1e6))
    first = float((launch.work / "first.ts").read_text())
    marks.append(("container's first instruction", (first - real0) * 1e3))
    marks.append(("launcher reaped", (mono1 - mono0) / 1e6))
    return proc.returncode, marks


def main():
    ensure_accounts()
    result = {"runs": RUNS, "build": str(BUILD), "state_root": os.environ.get("BENCH_STATE_ROOT") or "node filesystem", "steps": {}}
    for runtime in RUNTIMES:
        node = Node(f"t-{runtime.replace(':', '-')}", runtime, state_root=os.environ.get("BENCH_STATE_ROOT") or None)
        for _ in range(3):
            one(node)
        collected = {}
        order = {}
        for i in range(RUNS):
            rc, marks = one(node)
            if rc != 0:
                continue
            seen = {}
            for label, at in marks:
                seen[label] = seen.get(label, 0) + 1
                key = label if seen[label] == 1 else f"{label} #{seen[label]}"
                collected.setdefault(key, []).append(at)
                order.setdefault(key, len(order))
            if i % 10 == 9:
                node.drop_app("0500")
        steps = sorted(((k, statistics.median(v)) for k, v in collected.items() if len(v) >= RUNS // 2), key=lambda kv: kv[1])
        result["steps"][runtime] = steps
        print(runtime)
        for k, v in steps:
            print(f"  {v:8.1f} ms  {k}")
        node.destroy()
    OUT.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
