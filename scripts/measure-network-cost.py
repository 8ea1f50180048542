#!/usr/bin/env python3
"""Per-launch cost of routed networking (docs/networking.md): the same trivial runc container (`true`) launched
through the setuid binary as the NodeManager, alternately with `network=host` and `network=routed`, N times each,
in a throwaway network namespace. Prints the medians and their difference. Run as root from the repository:
  KYR_BUILD_DIR=.build/release python3 scripts/measure-network-cost.py [N]
"""
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "Integration"))
import conftest  # noqa: E402
from conftest import Node, ensure_accounts, yarn_script  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ns = f"kyrM{os.getpid() % 100000}"
ensure_accounts()
subprocess.run(["ip", "netns", "add", ns], check=True)
root = Path("/var/lib/kyr-test") / f"measure-{random.randrange(1 << 30):x}"
root.mkdir(parents=True)
os.chmod(root.parent, 0o755)
try:
    node = Node(root, "runc")
    samples = {"host": [], "routed": []}
    for i in range(2 * N):
        mode = "routed" if i % 2 else "host"
        node.write_cfg(f"  network={mode}\n  network.range=10.244.1.0/24\n")
        launch = node.container(100 + i, "")
        launch.script.write_text(yarn_script(launch.logdir, "true"))
        argv = ["nsenter", f"--net=/run/netns/{ns}", "--", "/usr/sbin/runuser", "-u", conftest.NM_USER, "--",
                "/usr/bin/env", "-i", str(node.bin)] + [str(a) for a in launch.argv]
        start = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, env={}, timeout=60)
        samples[mode].append((time.perf_counter() - start) * 1000)
        assert result.returncode == 0, result.stderr
    for mode, values in samples.items():
        print(f"{mode:7s} median {statistics.median(values):7.1f} ms  (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})")
    print(f"routed - host: {statistics.median(samples['routed']) - statistics.median(samples['host']):.1f} ms per launch")
finally:
    subprocess.run(["ip", "netns", "delete", ns])
    subprocess.run(["umount", "-R", "-l", str(root)], capture_output=True)
    subprocess.run(["rm", "-rf", str(root)])
