#!/usr/bin/env python3
"""Reproduces the concurrent-launch failure found by the benchmarks: N operation-1 launches of containers of an
application whose usercache/<user>/appcache/<app> directory does not exist yet, started at once. A launcher that
finds the directory already made by another one, before that one has chowned it to the user, refuses with
exit 35 "... exists but is not a directory owned by <user>".

  KYR_BUILD_DIR=.build/release python3 bench/repro_appdir_race.py [N=16] [rounds=10]
"""
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kyrnode import Node, ensure_accounts  # noqa: E402

BUILD = Path(os.environ.get("KYR_BUILD_DIR", Path(__file__).resolve().parents[1] / ".build" / "release"))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    ensure_accounts()
    failed, messages = 0, set()
    for r in range(rounds):
        node = Node("repro-appdir", os.environ.get("RUNTIME", "runc"), BUILD)   # fresh: no usercache/<user> yet
        app = f"{9000 + r:04d}"
        launches = [node.container("#!/bin/bash\nexit 0\n", app=app) for _ in range(n)]
        procs = [node.nm_popen(l.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for l in launches]
        for p in procs:
            _, err = p.communicate(timeout=300)
            if p.returncode:
                failed += 1
                messages.add(f"rc {p.returncode}: {err.decode().strip()[-200:]}")
        node.destroy()
    print(f"{failed} of {n * rounds} launches failed ({rounds} rounds of {n} simultaneous launches of a new application)")
    for m in sorted(messages):
        print(" ", m)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
