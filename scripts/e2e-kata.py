#!/usr/bin/env python3
"""`make e2e RUNTIME=kata`: the KVM-host acceptance run for Kata (issue 20).

1. Preflight: a throwaway node whose default runtime is kata runs `kata-yarn-runtime --checksetup` as the
   NodeManager user: Kata's configuration.toml (KATA_CONFIG, else Kata's default paths) and the host must pass every
   check (annotations, static sizing, maxmemory, guest seccomp, vCPUs, /dev/kvm, /dev/vhost-vsock). If not, the
   reasons are printed and the run stops, exit 2: nothing else can work.
2. The launch suite, the routed suite, a 20 GiB container and a kill -9 of the shim, each with KYR_RUNTIMES=kata.
3. A table to paste back into the issue: suite, result, passed/failed/skipped, seconds; plus the host facts.

Environment: KATA_CONFIG (a configuration.toml), KATA_SHIM (the containerd-shim-kata-v2 binary), KYR_BUILD_DIR.
"""
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))

SUITES = [
    ("launch suite", ["Tests/Integration/test_launch.py"]),
    ("routed suite", ["Tests/Integration/test_network.py", "-k", "test_tenants_across_two_nodes"]),
    ("20 GiB container", ["Tests/Integration/test_kata_host.py", "-k", "test_20_gib_container"]),
    ("kill -9 of the shim", ["Tests/Integration/test_kata_host.py", "-k", "test_kill_9_of_the_shim_converges"]),
]


def kata_cfg_lines():
    lines = ""
    if os.environ.get("KATA_CONFIG"):
        lines += f"  kata.config={os.environ['KATA_CONFIG']}\n"
    if os.environ.get("KATA_SHIM"):
        lines += f"  kata.shim.binary={os.environ['KATA_SHIM']}\n"
    return lines


def preflight():
    """Returns (ok, text) from --checksetup of a node whose default runtime is kata."""
    import conftest   # the integration harness: accounts, node layout, the release binary
    if os.geteuid() != 0:
        return False, "must run as root (creates a throwaway node and runs the setuid binary as the NodeManager user)"
    conftest.ensure_accounts()
    base = Path("/var/lib/kyr-test")
    base.mkdir(mode=0o755, exist_ok=True)
    root = base / f"e2e-kata-{os.getpid()}"
    root.mkdir(mode=0o755)
    try:
        node = conftest.Node(root, "kata", extra_cfg=kata_cfg_lines())
        result = node.run(["--checksetup"])
        text = (result.stderr or result.stdout).strip()
        return result.returncode == 0, text or "ok"
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=False)


def run_suite(name, args):
    report = Path(f"/tmp/kyr-e2e-kata-{os.getpid()}-{len(name)}.xml")
    start = time.monotonic()
    env = dict(os.environ, KYR_RUNTIMES="kata")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args],
                          cwd=REPO, env=env)
    seconds = time.monotonic() - start
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        for key in counts:
            counts[key] = int(suite.get(key, 0))
        report.unlink()
    failed = counts["failures"] + counts["errors"]
    passed = counts["tests"] - failed - counts["skipped"]
    ok = done.returncode == 0 and passed > 0
    return ok, passed, failed, counts["skipped"], seconds


def table(rows, host):
    print()
    print(f"kata e2e on {host}")
    print("| suite | result | passed | failed | skipped | seconds |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def main():
    shim = os.environ.get("KATA_SHIM", "/usr/bin/containerd-shim-kata-v2")
    version = subprocess.run([shim, "--version"], capture_output=True, text=True).stdout.strip().splitlines() if os.path.exists(shim) else []
    host = f"{platform.node()} {platform.release()}, {os.cpu_count()} CPUs, kata shim: {version[0] if version else shim + ' (missing)'}"
    ok, text = preflight()
    if not ok:
        table([("preflight (--checksetup)", "FAIL", 0, 1, 0, "-")], host)
        print()
        print("kata e2e stopped at the preflight; this host cannot run the Kata suites:")
        for reason in text.split("; "):
            print(f"  - {reason}")
        return 2
    rows = [("preflight (--checksetup)", "PASS", 1, 0, 0, "-")]
    all_ok = True
    for name, args in SUITES:
        suite_ok, passed, failed, skipped, seconds = run_suite(name, args)
        all_ok &= suite_ok
        rows.append((name, "PASS" if suite_ok else "FAIL", passed, failed, skipped, f"{seconds:.1f}"))
    table(rows, host)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
