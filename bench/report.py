#!/usr/bin/env python3
"""`make bench-report`: docs/benchmarks.md and docs/img/bench-*.png from the raw results under bench/results/.

Inputs (all optional but latest.json): bench/results/latest.json (kyr_bench.py), bench/results/before-after.json
(kyr_bench.py run with KYR_BENCH_BEFORE=<old binary>), bench/results/timeline.json (bench/timeline.py with an
instrumented build). Every number in the report is computed here from those files."""
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("BENCH_RESULTS", REPO / "bench" / "results"))
DOC = Path(os.environ.get("BENCH_DOC", REPO / "docs" / "benchmarks.md"))
IMG = DOC.parent / "img"
SHIM = "shim:containerd-shim-runc-v2"
ENV_ORDER = ["runc", "runsc", "runsc (network=none)", SHIM]


def load(name):
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def ms(v):
    return "–" if v is None else f"{v:.1f}"


def ratio(a, b):
    return "–" if not a or not b else f"{a / b:.2f}×"


def plots_available():
    try:
        import matplotlib
        matplotlib.use("Agg")
        return True
    except ImportError:
        print("report: matplotlib missing (pip install matplotlib): tables only", file=sys.stderr)
        return False


def short(runtime):
    return "shim-runc-v2" if runtime == SHIM else runtime


# ---------------------------------------------------------------------------------------------------------------

def section_machine(r, out):
    m, v = r["machine"], r["versions"]
    out += ["## Machine and versions", "",
            "| | |", "|---|---|",
            f"| CPUs (nproc) | {m['nproc']} ({m.get('cpu_model') or '?'}) |",
            f"| memory | {m['mem_total_kib'] / 2**20:.1f} GiB |",
            f"| kernel | {m['kernel']} |",
            f"| OS | {m.get('os')} |",
            f"| cgroups | {m['cgroup']} |",
            f"| /dev/kvm | {'present' if m['kvm'] else 'absent'} |",
            f"| load average at start / end | {' '.join(m['loadavg_start'])} / {' '.join(m.get('loadavg_end', []))} |"]
    for key in ["runc", "runsc", "containerd-shim-runc-v2", "swift", "fio", "stress-ng", "iperf3", "java", "pyspark"]:
        if v.get(key):
            out.append(f"| {key} | {v[key]} |")
    k = v.get("kata-yarn-runtime", {})
    built = k.get("note") or f"git {k.get('git')} ({k.get('dirty_files', 0)} modified files under Sources/)"
    out.append(f"| kata-yarn-runtime | {built}; binaries from {k.get('build')} |")
    out += ["", "Runtimes:", ""]
    for name, info in r["runtimes"].items():
        out.append(f"- `{name}`: " + ("measured" if info["available"] else f"**not available** — {info.get('reason')}"))
    out.append("")


def plot_latency(r, path):
    import matplotlib.pyplot as plt
    lat = r["latency"]
    runtimes = list(lat)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in [(axes[0], "first_ms", "invocation → first instruction"), (axes[1], "exit_ms", "invocation → exit")]:
        variants = [("ours", "#1f77b4", "kata-yarn-runtime, state-root on disk"),
                    ("ours_tmpfs_state", "#2ca02c", "kata-yarn-runtime, state-root on tmpfs"),
                    ("raw", "#aaaaaa", "raw runtime, same bundle")]
        variants = [v for v in variants if all(v[0] in lat[rt] for rt in runtimes)]
        width = 0.8 / len(variants)
        for i, (variant, colour, label) in enumerate(variants):
            med = [lat[rt][variant][key]["median"] for rt in runtimes]
            p95 = [lat[rt][variant][key]["p95"] for rt in runtimes]
            xs = [j + (i - (len(variants) - 1) / 2) * width for j in range(len(runtimes))]
            ax.bar(xs, med, width, color=colour, label=label)
            ax.errorbar(xs, med, yerr=[[0] * len(med), [p - m for p, m in zip(p95, med)]], fmt="none", ecolor="black", capsize=3)
        ax.set_xticks(range(len(runtimes)))
        ax.set_xticklabels([short(rt) + ("\n(raw: runc)" if rt == SHIM else "") for rt in runtimes])
        ax.set_ylabel("ms (bar: median, whisker: p95)")
        ax.set_title(title)
        ax.legend(fontsize=7, loc="upper left", framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def section_latency(r, out, plots):
    lat = r.get("latency")
    if not lat:
        return
    n = next(iter(lat.values()))["ours"]["exit_ms"]["n"]
    out += ["## Launch latency", "",
            f"{n} launches per runtime after {r['meta']['warmup']} warm-ups, ours and raw interleaved (alternating order), "
            "workload `exit 0` after the script's first line `echo $EPOCHREALTIME > first.ts`. *ours*: operation 1 "
            "exactly as the NodeManager calls it (real uid `yarn`, group `hadoop`, empty environment, setuid binary). "
            "*raw*: the runtime run by hand on a copy of the bundle our binary wrote (captured from a running "
            "container), with the same global flags our driver passes; for the shim the raw baseline is `runc run` "
            "(the shim drives runc on that bundle). First = bash's `$EPOCHREALTIME` minus the time just before "
            "`fork`; exit = the launcher (or runtime) reaped.", "",
            "| runtime | first: ours p50 / p95 | first: raw p50 / p95 | ratio p50 | exit: ours p50 / p95 | exit: raw p50 / p95 | ratio p50 (p95) | failures |",
            "|---|---|---|---|---|---|---|---|"]
    for rt, e in lat.items():
        o, w = e["ours"], e["raw"]
        out.append(f"| {rt} | {ms(o['first_ms']['median'])} / {ms(o['first_ms']['p95'])} | {ms(w['first_ms']['median'])} / {ms(w['first_ms']['p95'])} "
                   f"| {ratio(o['first_ms']['median'], w['first_ms']['median'])} | {ms(o['exit_ms']['median'])} / {ms(o['exit_ms']['p95'])} "
                   f"| {ms(w['exit_ms']['median'])} / {ms(w['exit_ms']['p95'])} | {ratio(o['exit_ms']['median'], w['exit_ms']['median'])} "
                   f"({ratio(o['exit_ms']['p95'], w['exit_ms']['p95'])}) | {o['failures']} / {w['failures']} |")
    out += ["", "Our overhead in absolute terms (median ours − median raw):", ""]
    for rt, e in lat.items():
        o, w = e["ours"], e["raw"]
        out.append(f"- {rt}: +{o['first_ms']['median'] - w['first_ms']['median']:.1f} ms to the first instruction, "
                   f"+{o['exit_ms']['median'] - w['exit_ms']['median']:.1f} ms to exit "
                   f"(container life first→exit: ours {o['exit_ms']['median'] - o['first_ms']['median']:.1f} ms, raw "
                   f"{w['exit_ms']['median'] - w['first_ms']['median']:.1f} ms). {e.get('mounts', '?')} mounts in the bundle.")
    if any("ours_tmpfs_state" in e for e in lat.values()):
        out += ["", "The same launches with `[kata] state-root` (bundle, runtime state, records) on a tmpfs instead of the "
                "node's disk (interleaved in the same loop):", "",
                "| runtime | exit p50 / p95: state-root on disk | on tmpfs | raw | first p50: disk | tmpfs | NM pid file p50: disk | tmpfs |",
                "|---|---|---|---|---|---|---|---|"]
        for rt, e in lat.items():
            if "ours_tmpfs_state" not in e:
                continue
            o, t, w = e["ours"], e["ours_tmpfs_state"], e["raw"]
            out.append(f"| {rt} | {ms(o['exit_ms']['median'])} / {ms(o['exit_ms']['p95'])} | {ms(t['exit_ms']['median'])} / {ms(t['exit_ms']['p95'])} "
                       f"| {ms(w['exit_ms']['median'])} / {ms(w['exit_ms']['p95'])} | {ms(o['first_ms']['median'])} | {ms(t['first_ms']['median'])} "
                       f"| {ms((o.get('pid_ms') or {}).get('median'))} | {ms((t.get('pid_ms') or {}).get('median'))} |")
    if plots:
        plot_latency(r, IMG / "bench-latency.png")
        out += ["", "![launch latency](img/bench-latency.png)"]
    out += ["", "Raw commands:", ""]
    for rt, e in lat.items():
        out.append(f"- {rt}: `{e['raw_command']}`")
    out.append("")


def section_cost(r, out):
    c = r.get("cost")
    if not c:
        return
    p = c["plan_and_write_ms"]
    tv = c["false_time_v"]
    out += ["## Our own cost", "",
            "Measured three ways, none of which includes a container:", "",
            f"1. **The whole launcher with a runtime that fails at once** (`[kata] runc.binary=/usr/bin/false`): user "
            "policy, YARN directories and copies, seccomp compile, host facts, bundle planning and writing, spawning the "
            "runtime, the error path and cleanup (bundle and record removed, one more `false state` spawn), with the state "
            "root on the node's disk (see the tmpfs comparison above for how much of this is filesystem). Wall time "
            f"from `fork` to reaped, {p['n']} runs: **median {p['median']:.1f} ms, p95 {p['p95']:.1f} ms**. "
            f"`/usr/bin/time -v`: user {tv['user_s']:.2f} s, system {tv['system_s']:.2f} s, max RSS {tv['max_rss_kib'] / 1024:.1f} MiB "
            "(the `false` children are smaller than the launcher, so this is the launcher's own peak).",
            "2. **The launcher alone while it blocks on a running container** (`/proc/<launcher>/schedstat` and `VmHWM`, "
            "children excluded):", "",
            "| runtime | launcher CPU until the container runs, p50 / max | launcher peak RSS (VmHWM) | `/usr/bin/time -v` of a whole launch (children included): user+sys, max RSS |",
            "|---|---|---|---|"]
    for rt in [k for k in c if isinstance(c[k], dict) and "launcher_cpu_ms_until_started" in c[k]]:
        e = c[rt]
        t = e["time_v_including_runtime_children"]
        out.append(f"| {rt} | {e['launcher_cpu_ms_until_started']['median']:.1f} / {e['launcher_cpu_ms_until_started']['max']:.1f} ms "
                   f"| {e['launcher_vmhwm_kib']['median'] / 1024:.1f} MiB | {(t['user_s'] + t['system_s']) * 1000:.0f} ms, {t['max_rss_kib'] / 1024:.1f} MiB |")
    out += ["", "(The shim's daemon is not the launcher's child, so `time -v` does not see its CPU.)", "",
            "3. **`strace -f -ttt` timeline of one launch** (caller root so that tracing keeps working; strace slows "
            "every traced process, the runtime included, so read the order and the gaps):", ""]
    for rt in [k for k in c if isinstance(c[k], dict) and "strace" in c[k]]:
        s = c[rt]["strace"]
        marks = ", ".join(f"{k} {v:.1f}" for k, v in s["milestones_ms"].items() if not k.startswith("execve"))
        out.append(f"- {rt} (ms from exec): {marks}; {len(s['spawns_ms'])} runtime processes spawned; "
                   f"{s['poll_sleeps']} sleeps in the pid-file poll loop.")
    out.append("")


def plot_concurrency(r, path):
    import matplotlib.pyplot as plt
    conc = r["concurrency"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for i, (rt, levels) in enumerate(conc.items()):
        colour = f"C{i}"
        xs = sorted(int(k) for k in levels)
        axes[0].plot(xs, [levels[str(x)]["throughput_per_s"] or 0 for x in xs], marker="o", color=colour, label=short(rt))
        axes[1].plot(xs, [(levels[str(x)]["exit_ms"] or {}).get("p95", 0) / 1000 for x in xs], marker="o", color=colour, label=f"{short(rt)} p95")
        axes[1].plot(xs, [(levels[str(x)]["exit_ms"] or {}).get("median", 0) / 1000 for x in xs], marker=".", linestyle="--",
                     color=colour, label=f"{short(rt)} p50")
    axes[0].set_title("completed launches per second")
    axes[1].set_title("launch → exit latency under load (s)")
    for ax in axes:
        ax.set_xlabel("simultaneous launches")
        ax.set_xticks([8, 32, 64])
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def section_concurrency(r, out, plots):
    conc = r.get("concurrency")
    if not conc:
        return
    out += ["## Concurrent launches", "",
            "N operation-1 launches of a new application on a fresh node, started back to back (one thread and one "
            "`fork` each, no waiting), workload `exit 0`. Exit latency: `fork` → launcher reaped; makespan: first `fork` → "
            "last launcher reaped; a launch counts as failed if its exit status or its exit-code file is not 0 or its "
            "first instruction never ran. Every node is checked for leftovers (records, runtime state, mounts) afterwards.", "",
            "| runtime | N | failures | makespan s | launches/s | first p50 / p95 ms | exit p50 / p95 / max ms | leftovers |",
            "|---|---|---|---|---|---|---|---|"]
    for rt, levels in conc.items():
        for level in sorted(levels, key=int):
            e = levels[level]
            f, x = e["first_ms"] or {}, e["exit_ms"] or {}
            out.append(f"| {rt} | {level} | {e['failures']} | {e['makespan_s']:.2f} | {e['throughput_per_s'] or 0:.1f} "
                       f"| {ms(f.get('median'))} / {ms(f.get('p95'))} | {ms(x.get('median'))} / {ms(x.get('p95'))} / {ms(x.get('max'))} "
                       f"| {len(e['leftovers'])} |")
    failures = [(rt, lv, s) for rt, levels in conc.items() for lv, e in levels.items() for s in e["failure_samples"]]
    if failures:
        out += ["", "Failure samples (reproducer: `bench/repro_appdir_race.py`; analysis below):", ""]
        seen = set()
        for rt, lv, s in failures:
            text = " ".join(s["stderr"].split())[-260:]
            if (rt, lv, text) in seen:
                continue
            seen.add((rt, lv, text))
            out.append(f"- {rt} ×{lv}: rc {s['rc']}, no exit-code file: `{text}`")
    if plots:
        plot_concurrency(r, IMG / "bench-concurrency.png")
        out += ["", "![concurrency](img/bench-concurrency.png)"]
    out.append("")


def plot_workloads(r, path):
    import matplotlib.pyplot as plt
    ratios = r["workloads"]["ratios"]
    metrics = list(ratios)
    envs = sorted({env for per in ratios.values() for env in per}, key=lambda e: ENV_ORDER.index(e) if e in ENV_ORDER else 9)
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(metrics) + 1.5))
    height = 0.8 / max(1, len(envs))
    for i, env in enumerate(envs):
        ys = [j + i * height for j in range(len(metrics))]
        vals = [ratios[m].get(env, 0) for m in metrics]
        ax.barh(ys, vals, height, label=short(env))
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks([j + height * (len(envs) - 1) / 2 for j in range(len(metrics))])
    ax.set_yticklabels(metrics, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("sandbox / bare metal (throughput: higher is better; 'lower is better' rows: time ratio)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def section_workloads(r, out, plots, title="Workloads inside the sandbox vs bare metal", image="bench-workloads.png"):
    w = r.get("workloads") if r else None
    if not w or "ratios" not in w:
        return
    params = w["params"]
    envs = [e for e in ENV_ORDER if any(e in per for per in w["ratios"].values())]
    out += [f"## {title}", "", f"Run started {r['meta']['started']}.",
            f"Each workload ran {params['repeats']}× per environment (Spark: {params.get('spark_repeats', params['repeats'])}×, "
            f"scale {params.get('spark_scale', 1)}), environments interleaved (order reversed on every "
            f"repetition); each ratio is taken against the bare-metal run of the same repetition, the table shows the median "
            f"of those ratios. Sandboxes got {params['vcores']} vcores (CFS quota {params['vcores']} CPUs) and "
            f"{params['memory_mb']} MiB through the `launch` verb's context; bare metal runs the same script as `alice` "
            "in a directory on the same filesystem as the YARN local dirs. Phases of about "
            f"{params['seconds']} s (fio: half of that per job).", "",
            "| metric | bare metal | " + " | ".join(f"{short(e)} (ratio)" for e in envs) + " |",
            "|---|---|" + "---|" * len(envs)]
    samples = w["samples"]
    for metric, per in w["ratios"].items():
        bare = [s["metrics"].get(metric) for kind in samples.values() for s in kind if s["env"] == "bare" and s["metrics"].get(metric)]
        bare_v = sorted(bare)[len(bare) // 2] if bare else None
        cells = []
        for env in envs:
            vals = [s["metrics"].get(metric) for kind in samples.values() for s in kind if s["env"] == env and s["metrics"].get(metric)]
            v = sorted(vals)[len(vals) // 2] if vals else None
            cells.append(f"{v:.4g} ({per[env]:.2f}×)" if v and env in per else "–")
        out.append(f"| {metric} | {bare_v:.4g} | " + " | ".join(cells) + " |" if bare_v else f"| {metric} | – | " + " | ".join(cells) + " |")
    errors = [s for kind in samples.values() for s in kind if s.get("error")]
    if errors:
        out += ["", "Runs that failed or produced no numbers:", ""]
        for s in errors[:8]:
            text = " ".join(s["error"].replace("`", "'").split())[-300:]
            out.append(f"- {s['kind']} in {s['env']} (rep {s['rep']}): rc {s['rc']}: `{text}`")
    if plots:
        plot_workloads(r, IMG / image)
        out += ["", f"![workload ratios](img/{image})"]
    out.append("")


def section_timeline(t, t_tmpfs, out):
    if not t:
        return
    out += ["## Where the time goes (instrumented build)", "",
            "A private build of the same sources (`bench/instrument.py`) prints a monotonic timestamp at each step of a "
            f"launch; `bench/timeline.py` runs it {t['runs']} times per runtime (operation 1 as `yarn`, workload `exit 0`) "
            "and keeps the median time of each step since `fork`. Left: `[kata] state-root` on the node's disk "
            "(ext4, like the YARN local dirs); right: state-root on a tmpfs (measured right after, same build)." if t_tmpfs else
            f"launch; `bench/timeline.py` runs it {t['runs']} times per runtime and keeps the median time of each step since `fork`.", ""]
    for rt, steps in t["steps"].items():
        other = dict(t_tmpfs["steps"].get(rt, [])) if t_tmpfs else {}
        if other:
            out += [f"**{rt}**", "", "| step | at (ms), state-root on disk | took | at (ms), state-root on tmpfs | took |", "|---|---|---|---|---|"]
        else:
            out += [f"**{rt}**", "", "| step | at (ms) | took (ms) |", "|---|---|---|"]
        prev, prev_o = 0.0, 0.0
        for name, at in steps:
            if other:
                o = other.get(name)
                out.append(f"| {name} | {at:.1f} | {at - prev:.1f} | {ms(o)} | {ms(o - prev_o) if o is not None else '–'} |")
                prev_o = o if o is not None else prev_o
            else:
                out.append(f"| {name} | {at:.1f} | {at - prev:.1f} |")
            prev = at
        out.append("")


def section_before_after(runs, out):
    runs = [(label, b) for label, b in runs if b and any("before" in e for e in b.get("latency", {}).values())]
    if not runs:
        return
    out += ["## Before / after the change", "",
            "*before* = the binary built from the commit under test without the change (`KYR_BENCH_BEFORE`), *after* = "
            "with it; both installed setuid on identical nodes and measured in the same loop, launch by launch, next "
            "to the raw runtime. The change only touches the runc/runsc driver, so the shim rows are a control.", ""]
    for label, b in runs:
        n = next(iter(b["latency"].values()))["ours"]["exit_ms"]["n"]
        out += [f"{label} ({b['meta']['started']}, {n} launches per variant):", "",
                "| runtime | exit p50 / p95: before | after | raw | NM pid file p50 / p95: before | after | first p50: before | after | raw |",
                "|---|---|---|---|---|---|---|---|---|"]
        for rt, e in b["latency"].items():
            if "before" not in e:
                continue
            o, w, f = e["ours"], e["raw"], e["before"]
            out.append(f"| {rt} | {ms(f['exit_ms']['median'])} / {ms(f['exit_ms']['p95'])} | {ms(o['exit_ms']['median'])} / {ms(o['exit_ms']['p95'])} "
                       f"| {ms(w['exit_ms']['median'])} / {ms(w['exit_ms']['p95'])} "
                       f"| {ms((f.get('pid_ms') or {}).get('median'))} / {ms((f.get('pid_ms') or {}).get('p95'))} "
                       f"| {ms((o.get('pid_ms') or {}).get('median'))} / {ms((o.get('pid_ms') or {}).get('p95'))} "
                       f"| {ms(f['first_ms']['median'])} | {ms(o['first_ms']['median'])} | {ms(w['first_ms']['median'])} |")
        out.append("")


def section_commands(r, out):
    meta = r["meta"]
    out += ["## How to reproduce", "",
            "```sh",
            "make bench           # make release, then (as root): python3 bench/kyr_bench.py  -> bench/results/latest.json",
            "                     # BENCH_QUICK=1: 10 launches per variant, 1 repetition, 4 s phases, Spark at scale 0.25",
            "make bench-report    # python3 bench/report.py: this file and docs/img/bench-*.png from bench/results/*.json",
            "# the other committed inputs of this report:",
            "KYR_BENCH_BEFORE=/path/to/old/kata-yarn-runtime python3 bench/kyr_bench.py         # 'before' variant, any phase",
            "KYR_BENCH_BEFORE=… BENCH_PHASES=latency BENCH_OUT=bench/results/before-after.json python3 bench/kyr_bench.py",
            "BENCH_PHASES=workloads BENCH_KINDS=spark BENCH_OUT=bench/results/spark.json python3 bench/kyr_bench.py",
            "python3 bench/instrument.py /tmp/kyr-instr && (cd /tmp/kyr-instr && make kyr-init && swift build -c release \\",
            "  --scratch-path .build-instr --product kata-yarn-runtime --static-swift-stdlib)   # then, with those binaries:",
            "KYR_BUILD_DIR=<instrumented build dir> python3 bench/timeline.py                    # -> bench/results/timeline.json",
            "BENCH_STATE_ROOT=<a tmpfs> KYR_BUILD_DIR=… BENCH_OUT=bench/results/timeline-tmpfs.json python3 bench/timeline.py",
            "python3 bench/repro_appdir_race.py 16 10    # RUNTIME=runsc raises the odds: the concurrent-launch race",
            "```", "",
            f"This report: run started {meta['started']}, {meta.get('duration_s', 0) / 60:.1f} min, "
            f"quick={meta['quick']}, phases {', '.join(meta['phases'])}, environment {json.dumps(meta['env'])}.",
            "Workload commands (in the container work dir, or in a same-filesystem directory as `alice` for bare metal):", "",
            "```sh",
            "fio --name=randread|randwrite --rw=randread|randwrite --bs=4k  --directory=. --size=256m --runtime=T/2 --time_based --ioengine=psync --thread --output-format=json",
            "fio --name=seqread|seqwrite   --rw=read|write         --bs=1m  (same; seqwrite adds --end_fsync=1)",
            "stress-ng --cpu 2 --cpu-method matrixprod -t T --metrics-brief --yaml …",
            "stress-ng --stream 1 --stream-l3-size 8M -t T …;  stress-ng --vm 2 --vm-bytes 256M -t T …",
            "iperf3 -c 127.0.0.1 -p 5299 -t T -J      # server: iperf3 -s -1 -B 127.0.0.1 -p 5299 on the host",
            "/opt/kyr-bench-spark/bin/python kyr_spark_jobs.py pi|shuffle   # pyspark, local[2], JDK 17 (bench/spark_jobs.py)",
            "```", ""]


def main():
    r = load("latest.json")
    if not r:
        sys.exit(f"report: {RESULTS / 'latest.json'} missing: run `make bench` first")
    plots = plots_available()
    IMG.mkdir(parents=True, exist_ok=True)
    out = ["# Benchmarks", "",
           "Generated by `make bench-report` from `bench/results/*.json` (raw data, committed); do not edit by hand. "
           "The machine is a shared 2-core VM: absolute numbers move from run to run, so every comparison below is a "
           "ratio taken within one run, with the variants interleaved.", ""]
    analysis = RESULTS.parent / "analysis.md"
    section_machine(r, out)
    section_latency(r, out, plots)
    section_cost(r, out)
    section_timeline(load("timeline.json"), load("timeline-tmpfs.json"), out)
    section_concurrency(r, out, plots)
    section_workloads(r, out, plots)
    section_workloads(load("spark.json"), out, plots, "Spark, supplementary run (runsc on hostinet and on netstack)", "bench-spark.png")
    section_before_after([("Main run", r), ("Repeat run", load("before-after.json"))], out)
    if analysis.exists():
        out += [analysis.read_text().strip(), ""]
    section_commands(r, out)
    DOC.write_text("\n".join(out).rstrip() + "\n")
    print(f"report: wrote {DOC}" + (f" and {IMG}/bench-*.png" if plots else ""))


if __name__ == "__main__":
    main()
