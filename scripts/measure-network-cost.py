#!/usr/bin/env python3
"""Per-launch cost of routed networking (docs/networking.md): the same trivial runc container (`true`) launched
through the setuid binary as the NodeManager, N times per mode, modes interleaved, in a throwaway network namespace:
  host         network=host
  routed       network=routed (namespace, veth, /32 routes, nftables policy)
  tunnel-cold  routed + network.tunnel=vxlan as the node's only container: every launch also creates and removes
               the VXLAN device and its application's table and rules (the first container of a node)
  routed-warm  routed while another container of the same application runs on the node
  tunnel-warm  tunnel while another container of the same application runs on the node, so only the
               container's own route and rule are added (every later container of a running application)
  shared       routed + network.node-address.ports (a block of the node's address: address, rules, port range
               and one nft table inside the namespace; the node's map with a second node's 254 static blocks)
Prints the medians and the differences. Run as root from the repository:
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
MODES = ["host", "routed", "tunnel-cold", "routed-warm", "tunnel-warm", "shared"]
NODES = "  network.cluster=10.244.0.0/16\n  network.nodes=10.244.1.0/24@10.200.0.1,10.244.2.0/24@10.200.0.2\n"
TUNNEL = "  network.tunnel=vxlan\n" + NODES
SHARED = NODES + "  network.node-address.ports=61000-63031\n  network.node-address.block=8\n"
ns = f"kyrM{os.getpid() % 100000}"
ensure_accounts()
subprocess.run(["ip", "netns", "add", ns], check=True)
root = Path("/var/lib/kyr-test") / f"measure-{random.randrange(1 << 30):x}"
root.mkdir(parents=True)
os.chmod(root.parent, 0o755)


def argv_for(node, launch):
    return ["nsenter", f"--net=/run/netns/{ns}", "--", "/usr/sbin/runuser", "-u", conftest.NM_USER, "--",
            "/usr/bin/env", "-i", str(node.bin)] + [str(a) for a in launch.argv]


keeper = None
try:
    node = Node(root, "runc")
    samples = {mode: [] for mode in MODES}
    for i in range(len(MODES) * N):
        mode = MODES[i % len(MODES)]
        network = "host" if mode == "host" else "routed"
        node.write_cfg(f"  network={network}\n  network.range=10.244.1.0/24\n" + (TUNNEL if mode.startswith("tunnel") else "")
                       + (SHARED if mode == "shared" else ""))
        if mode.endswith("-warm"):   # one long-lived container of the same application
            held = node.container(1000 + i, "")
            held.script.write_text(yarn_script(held.logdir, "sleep 3600"))
            keeper = subprocess.Popen(argv_for(node, held), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={})
            for _ in range(600):
                if (node.state / "containers" / held.cid / "state.json").exists():
                    break
                assert keeper.poll() is None, keeper.communicate()[1]
                time.sleep(0.05)
        launch = node.container(100 + i, "")
        launch.script.write_text(yarn_script(launch.logdir, "true"))
        start = time.perf_counter()
        result = subprocess.run(argv_for(node, launch), capture_output=True, text=True, env={}, timeout=60)
        samples[mode].append((time.perf_counter() - start) * 1000)
        assert result.returncode == 0, result.stderr
        if keeper is not None:
            subprocess.run(argv_for(node, held)[:-len(held.argv)] + ["signal", held.cid, "KILL"], capture_output=True, env={})
            keeper.wait(60)
            keeper = None
    for mode, values in samples.items():
        print(f"{mode:12s} median {statistics.median(values):7.1f} ms  (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})")
    median = {mode: statistics.median(values) for mode, values in samples.items()}
    print(f"routed - host: {median['routed'] - median['host']:.1f} ms per launch")
    print(f"tunnel-cold - routed: {median['tunnel-cold'] - median['routed']:.1f} ms, "
          f"tunnel-warm - routed-warm: {median['tunnel-warm'] - median['routed-warm']:.1f} ms per launch")
    print(f"shared - routed: {median['shared'] - median['routed']:.1f} ms per launch")
finally:
    if keeper is not None:
        keeper.kill()
    subprocess.run(["ip", "netns", "delete", ns])
    subprocess.run(["umount", "-R", "-l", str(root)], capture_output=True)
    subprocess.run(["rm", "-rf", str(root)])
