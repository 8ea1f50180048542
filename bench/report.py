#!/usr/bin/env python3
"""`make bench-report`: docs/benchmarks.md and docs/img/bench-*.png from the raw results under bench/results/.

Inputs (all optional but latest.json): bench/results/latest.json (kyr_bench.py), bench/results/before-after.json
(kyr_bench.py run with KYR_BENCH_BEFORE=<old binary>), bench/results/timeline.json (bench/timeline.py with an
instrumented build), bench/results/spark-yarn*.json (bench/spark_yarn.py: Spark on YARN per runtime). Every number in the report is computed here from those files."""
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
    built = k.get("note") or f"git {k.get('git')}" + (f" ({k['dirty_files']} modified files under Sources/)" if k.get("dirty_files") else ", clean tree")
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
        out.append(f"- {rt}: {o['first_ms']['median'] - w['first_ms']['median']:+.1f} ms to the first instruction, "
                   f"{o['exit_ms']['median'] - w['exit_ms']['median']:+.1f} ms to exit "
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
            "policy, root checks, YARN directories and copies, host facts (a configured seccomp profile is compiled, the built-in one is not), bundle planning and writing, spawning the "
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
        out += ["", "Failure samples:", ""]
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


SPARK_PARTS = [("submit_to_am_running_s", "submit → AM running"), ("am_localize_s", "AM localization"),
               ("am_launch_s", "AM launch"), ("am_jvm_s", "AM JVM"),
               ("driver_start_to_executors_s", "driver → executors registered"), ("exec_localize_s", "executor localization"),
               ("exec_launch_s", "executor launch"),
               ("exec_jvm_s", "executor JVM"), ("jobs_s", "Spark jobs"), ("other_s", "rest")]


def section_spark_cpu_cap(before, after, out):
    """spark-yarn-2vcores.json: the same jobs with AM and executors at 2 vcores (the binary's CFS quota = 2 CPUs, no cap
    on this 2-core VM) and spark.task.cpus=2 (still one task per executor), against the main run at 1 vcore."""
    if not before or not after or "rows" not in before or "rows" not in after:
        return
    def find(doc, label, job):
        return next((r for r in doc["rows"] if r["label"] == label and r["job"] == job), None)
    out += ["### The CPU cap: 1 vcore against 2 vcores", "",
            "The binary gives a container of N vcores a CFS quota of N CPUs (`Sources/BundleBuilder/BundlePlanner.swift`, "
            "`cpuQuota`); `host` containers (DefaultContainerExecutor) have no cgroup limit and use both cores of this VM. "
            f"`{after['command']}` (started {after.get('started', '?')}, load {' '.join(after.get('loadavg_start', ['?']))} → "
            f"{' '.join(after.get('loadavg_end', ['?']))}) asks YARN for 2 vcores per AM and executor, with "
            "`spark.task.cpus=2` so that each executor still runs one task at a time: only the cap changes (the cluster "
            "allocates vcores as asked through CapacityScheduler's DominantResourceCalculator). Ratios are to the `host` "
            "runs of the same invocation.", "",
            "| runtime | job | 1 vcore: median (s), ratio to host | 2 vcores: median (s), ratio to host | AM JVM 1 → 2 vcores (s) | executor JVM 1 → 2 vcores (s) | driver → executors registered 1 → 2 vcores (s) |",
            "|---|---|---|---|---|---|---|"]
    for r2 in after["rows"]:
        base_label = r2["label"].replace(" [2 vcores]", "")
        r1 = find(before, base_label, r2["job"])
        if not r1:
            continue
        f = lambda v: "–" if v is None else f"{v:.2f}"
        out.append(f"| {base_label} | {r2['job']} | {ms(r1['median_wall_s'])}, {f(r1.get('ratio_to_host'))}× "
                   f"| {ms(r2['median_wall_s'])}, {f(r2.get('ratio_to_host'))}× | {f(r1['am_jvm_s'])} → {f(r2['am_jvm_s'])} "
                   f"| {f(r1['exec_jvm_s'])} → {f(r2['exec_jvm_s'])} | {f(r1['driver_start_to_executors_s'])} → {f(r2['driver_start_to_executors_s'])} |")
    out.append("")


def section_spark_yarn(doc, routed, out):
    """bench/results/spark-yarn.json (bench/spark_yarn.py): Spark on YARN per runtime against the host baseline."""
    if not doc and not routed:
        return
    out += ["## Spark on YARN, per runtime, against YARN without a sandbox", ""]
    if doc and doc.get("skipped"):
        out += [f"Not measured in the last `make bench`: `{doc['skipped']}`.", ""]
    elif doc:
        rows = doc["rows"]
        out += [f"`{doc['command']}` (via `bench/spark_yarn.py run`, which `make bench` calls), started {doc.get('started', '?')}, "
                f"{doc['runs']} runs per runtime and job, interleaved (pass 1 runs every runtime once, then pass 2 …). "
                "Cluster deploy mode on a single-node MiniYARNCluster: the driver runs in the AM container, 2 executors of "
                "512 MiB + 384 MiB overhead, 1 core each. `host` is the baseline: the same MiniYARNCluster set-up with YARN's "
                "own DefaultContainerExecutor, so AM and executors are plain processes of the NodeManager user (no setuid "
                "binary, no namespaces, no cgroup limit); every other runtime goes through LinuxContainerExecutor → "
                "kata-yarn-runtime. Wall = `spark-submit` start to exit. Only passing runs (answer, placement evidence, "
                "logs) enter the medians. 1-minute load average at start / end: "
                f"{' '.join(doc.get('loadavg_start', ['?']))} / {' '.join(doc.get('loadavg_end', ['?']))}; each "
                "application's own is in the first table.", "",
                "| runtime | job | passed | wall per run (s) | load1 per run | median (s) | ratio to host | paired ratio |",
                "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            out.append(f"| {r['label']} | {r['job']} | {r['passed']}/{r['runs']} | {', '.join(f'{w:.1f}' for w in r['wall_s'])} "
                       f"| {', '.join('–' if l is None else f'{l:.2f}' for l in r['load1'])} | {ms(r['median_wall_s'])} "
                       f"| {ratio(r['median_wall_s'], next((h['median_wall_s'] for h in rows if h['runtime'] == 'host' and h['job'] == r['job']), None))} "
                       f"| {'–' if r.get('paired_ratio_median') is None else format(r['paired_ratio_median'], '.2f') + '×'} |")
        out += ["", "*Paired ratio*: median over runs of (this runtime's run n / host's run n), the runs of one pass being "
                "minutes apart at most.", "",
                "Where the time goes (medians, seconds). *submit → AM running*: `spark-submit` start → the NodeManager's "
                "`SCHEDULED to RUNNING` for the AM container (client JVM, upload to the staging dir, YARN scheduling, "
                "localization). *localization*: the NM's `NEW to LOCALIZING` → `LOCALIZING to SCHEDULED` (with "
                "LinuxContainerExecutor the NM starts a ContainerLocalizer JVM per container through the container executor, "
                "outside the sandbox; YARN's DefaultContainerExecutor localizes inside the NM's JVM). *launch*: the NM's "
                "`SCHEDULED to RUNNING` → the first line of `launch_container.sh` (birth time of its "
                "`prelaunch.out`), i.e. the container executor: for `host` a `bash` started by the NodeManager, otherwise "
                "our binary, the runtime and `kyr-init`. *JVM*: script start → the JVM's first log4j line (ms pattern). "
                "*driver → executors registered*: the event log's application start → the last `ExecutorAdded` (AM "
                "registration, container requests, NM heartbeat, executor launch and JVM start, registration). "
                "*Spark jobs*: the sum of the event log's job durations (probe + measured job). *rest*: wall minus submit → AM "
                "running, AM launch, AM JVM, driver → executors and jobs: `spark-submit`'s own JVM start, AM JVM first line → "
                "driver up (the Python driver and SparkContext), executors registered → first job, application end → "
                "`spark-submit` exit (it polls every 2 s).", "",
                "| runtime | job | " + " | ".join(name for _, name in SPARK_PARTS) + " | wall − host |",
                "|---|---|" + "---|" * (len(SPARK_PARTS) + 1)]
        for r in rows:
            delta = (r.get("delta_to_host") or {}).get("wall_s")
            out.append(f"| {r['label']} | {r['job']} | " + " | ".join(
                "–" if r.get(k) is None else f"{r[k]:.2f}" for k, _ in SPARK_PARTS) + f" | {'–' if delta is None else f'{delta:+.1f}'} |")
        out += ["", "Shuffle I/O (event log task metrics, medians of per-application sums). The executors' shuffle files are "
                "in the YARN local dirs, which the binary bind-mounts into every container of the application, so "
                "\"local\" reads include blocks of the other executor read straight from its directory (Spark's "
                "host-local read: both executors report the same node).", "",
                "| runtime | job | shuffle write time (ms) | fetch wait (ms) | bytes written | bytes read locally | bytes read remotely | executor run time (ms) | GC (ms) |",
                "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["job"] != "shuffle":
                continue
            cell = lambda k, d=0: "–" if r.get(k) is None else f"{r[k]:.{d}f}"
            out.append(f"| {r['label']} | {r['job']} | {cell('shuffle_write_time_ms')} | {cell('fetch_wait_time_ms')} "
                       f"| {cell('shuffle_bytes_written')} | {cell('local_bytes_read')} | {cell('remote_bytes_read')} "
                       f"| {cell('executor_run_time_ms')} | {cell('jvm_gc_ms')} |")
        # The largest component of the difference to host, per sandboxed runtime and job. Top-level components only
        # (they follow each other in time); the executor parts are inside "driver → executors registered".
        top = ["submit_to_am_running_s", "am_launch_s", "am_jvm_s", "driver_start_to_executors_s", "jobs_s", "other_s"]
        inner = ["exec_localize_s", "exec_launch_s", "exec_jvm_s"]
        lines = []
        for r in rows:
            d = r.get("delta_to_host") or {}
            parts = [(k, d[k]) for k in top if d.get(k) is not None]
            if r["runtime"] == "host" or not parts:
                continue
            k, v = max(parts, key=lambda kv: kv[1])
            names = dict(SPARK_PARTS)
            detail = ", ".join(f"{names[i]} {d[i]:+.2f}" for i in inner if d.get(i) is not None)
            lines.append(f"- {r['label']} {r['job']}: wall {d['wall_s']:+.1f} s against host; largest component: "
                         f"{names[k]} {v:+.2f} s" + (f" (executors: {detail} s)" if k == "driver_start_to_executors_s" else "")
                         + "; " + ", ".join(f"{names[t]} {d[t]:+.2f}" for t in top if t != k and d.get(t) is not None))
        if lines:
            out += ["", "Largest component of each runtime's difference to host (computed from the table above):", ""] + lines
        out.append("")
    section_spark_cpu_cap(doc, load("spark-yarn-2vcores.json"), out)
    if routed:
        out += ["### With `[kata] network=routed`", ""]
        if routed.get("skipped"):
            out += [f"Not measured: `{routed['skipped']}`.", ""]
        else:
            out += [f"`{routed['command']}`, started {routed.get('started', '?')}, load {' '.join(routed.get('loadavg_start', ['?']))} "
                    f"→ {' '.join(routed.get('loadavg_end', ['?']))}.", "",
                    "| runtime | job | passed | wall per run (s) | median (s) | why not (first failing run) |", "|---|---|---|---|---|---|"]
            for r in routed["rows"]:
                failing = next((x for x in routed["records"] if x["label"] == r["label"] and x["job"] == r["job"] and not x.get("pass")), None)
                why = ""
                if failing:   # the containers' own errors say more than the missing evidence lines
                    errors = failing.get("container_errors")
                    why = ("container errors: " + "; ".join(f"{n}× `{e}`" for e, n in errors.items())) if errors \
                        else "; ".join(failing.get("why", []))
                    why = why[:400].replace("|", "/")
                out.append(f"| {r['label']} | {r['job']} | {r['passed']}/{r['runs']} | {', '.join(f'{w:.1f}' for w in r['wall_s'])} "
                           f"| {ms(r['median_wall_s'])} | {why} |")
            out.append("")
    analysis = RESULTS.parent / "analysis-spark.md"
    if analysis.exists():
        out += [analysis.read_text().strip(), ""]


def section_before_after(runs, out):
    runs = [(label, b) for label, b in runs if b and any("before" in e for e in b.get("latency", {}).values())]
    if not runs:
        return
    out += ["## Before / after", "",
            "*before* = the binary given to `kyr_bench.py --before` (what it is: below, from `--before-label`), *after* = "
            "this build; both installed setuid on identical nodes and measured in the same loop, launch by launch, next "
            "to the raw runtime.", ""]
    for label, b in runs:
        out += [f"*before* in {label}: {b['meta'].get('before') or 'not described'}.", ""]
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
            "                     # BENCH_ARGS=--quick: 10 launches per variant, 1 repetition, 4 s phases, Spark at scale 0.25",
            "make bench-report    # python3 bench/report.py: this file and docs/img/bench-*.png from bench/results/*.json",
            "# the other committed inputs of this report:",
            "python3 bench/kyr_bench.py --before <old kata-yarn-runtime>                        # 'before' variant, any phase",
            "python3 bench/kyr_bench.py --before … --phases latency --out bench/results/before-after.json",
            "BENCH_KINDS=spark python3 bench/kyr_bench.py --phases workloads --out bench/results/spark.json",
            "python3 bench/instrument.py /tmp/kyr-instr && (cd /tmp/kyr-instr && make kyr-init && swift build -c release \\",
            "  --scratch-path .build-instr --product kata-yarn-runtime --static-swift-stdlib)   # then, with those binaries:",
            "KYR_BUILD_DIR=<instrumented build dir> python3 bench/timeline.py                    # -> bench/results/timeline.json",
            "BENCH_STATE_ROOT=<a tmpfs> KYR_BUILD_DIR=… BENCH_OUT=bench/results/timeline-tmpfs.json python3 bench/timeline.py",
            "# Spark on YARN alone (part of make bench; needs HADOOP_HOME and an installed KYR_BINARY, docs/spark.md):",
            "HADOOP_HOME=… KYR_BINARY=… python3 bench/kyr_bench.py --phases spark-yarn       # -> bench/results/spark-yarn.json",
            "python3 bench/spark_yarn.py run --runs 5 --out bench/results/spark-yarn.json    # the same, directly",
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


def section_live(out):
    """The table `make e2e-live` wrote (scripts/e2e-live.sh --results bench/results/live-rm-nm.md), when present."""
    live = RESULTS / "live-rm-nm.md"
    if not live.exists():
        return
    out += ["## Live RM + NM", "",
            "A real Hadoop 3.3.6 ResourceManager and NodeManager as separate daemons (user `yarn`, group `hadoop`; "
            "LinuxContainerExecutor with the installed setuid binary; a network namespace with only `lo`), jobs "
            "submitted by `alice`, who is not in `hadoop`. Each cell is a check and its wall time: `start` = RM up "
            "and the NM RUNNING in it; `ds` = distributedshell, 2 containers, each seen sandboxed as alice; `mr-pi` "
            "= MapReduce pi, 2 maps and a reducer (the shuffle), the AM and every task seen in a sandbox; `kill`; "
            "`nm-restart` = NM stopped while a container runs, restarted, the container recovered and its exit "
            "code 3 read; `spark-pi`, `spark-shuffle` = PySpark Pi and a shuffle job (2 M rows, groupBy and "
            "reduceByKey) in cluster mode with 2 executors, the answer checked, the driver and both executors seen "
            "in the sandbox, every container the submitter's, no per-application setting; "
            "`cleanup` = no appcache left; `shutdown` = daemons stopped, no sandbox, state or mount "
            "left. `host` is YARN's DefaultContainerExecutor without a sandbox (submitted by `yarn`), in the same "
            "run. scripts/e2e-live.sh and docs/install.md §9 describe each check.", "",
            live.read_text().strip(), ""]


def measured_here(doc, r):
    """Whether a results file was taken from latest.json's commit, on a clean tree."""
    ours, theirs = r["versions"]["kata-yarn-runtime"], ((doc or {}).get("versions") or {}).get("kata-yarn-runtime") or {}
    return bool(doc) and theirs.get("git") == ours.get("git") and not theirs.get("dirty_files") and not ours.get("dirty_files")


def section_not_measured(r, here, out):
    missing = [(title, command) for title, command, measured in [
        ("Concurrency", "python3 bench/kyr_bench.py --phases concurrency", r.get("concurrency")),
        ("Workloads inside the sandbox vs bare metal", "python3 bench/kyr_bench.py --phases workloads", r.get("workloads")),
        ("Instrumented launch timeline (How to reproduce, below)", "python3 bench/timeline.py", "timeline.json" in here),
        ("Spark on YARN per runtime against YARN without a sandbox (needs HADOOP_HOME and KYR_BINARY; runs at earlier "
         "commits, with their dates and binaries, are in docs/spark.md)", "python3 bench/kyr_bench.py --phases spark-yarn",
         "spark-yarn.json" in here),
        ("Before / after a change", "python3 bench/kyr_bench.py --phases latency --before <old binary>",
         any("before" in e for e in r.get("latency", {}).values()) or "before-after.json" in here)] if not measured]
    if missing:
        out += ["## Not measured at this commit", ""] + [f"- {title}: `{command}`" for title, command in missing] + [""]


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
    # Only results taken at latest.json's commit, on a clean tree, are reported; the rest is named with its command.
    here = {name: doc for name in ["timeline.json", "timeline-tmpfs.json", "spark.json", "spark-yarn.json",
                                   "spark-yarn-routed.json", "before-after.json"] if measured_here(doc := load(name), r)}
    section_machine(r, out)
    section_latency(r, out, plots)
    section_cost(r, out)
    section_timeline(here.get("timeline.json"), here.get("timeline-tmpfs.json"), out)
    section_concurrency(r, out, plots)
    section_workloads(r, out, plots)
    section_workloads(here.get("spark.json"), out, plots, "Spark, supplementary run (runsc on hostinet and on netstack)", "bench-spark.png")
    if "spark-yarn.json" in here:
        section_spark_yarn(here["spark-yarn.json"], here.get("spark-yarn-routed.json"), out)
    section_live(out)
    section_before_after([("Main run", r), ("Repeat run", here.get("before-after.json"))], out)
    section_not_measured(r, here, out)
    if analysis.exists():
        out += [analysis.read_text().strip(), ""]
    section_commands(r, out)
    DOC.write_text("\n".join(out).rstrip() + "\n")
    print(f"report: wrote {DOC}" + (f" and {IMG}/bench-*.png" if plots else ""))


if __name__ == "__main__":
    main()
