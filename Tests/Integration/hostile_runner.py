"""Runs NodeManager calls as the NM user inside a fresh pid namespace, where this script is pid 1, beside canary
process groups of root, bob and alice. Prints one JSON document: every call's exit code and output, and which
canaries still live. In a pid namespace of its own a `kill(-1, SIGKILL)` with real uid 0 (the bug this suite
guards against) can only reach these canaries, never the machine's processes.

usage: unshare --pid --fork --mount-proc python3 hostile_runner.py '<json: {"binary": ..., "calls": [[...], ...]}>'
Arguments may name canaries as {root}, {bob} and {alice}: their pids, each the leader of its own process group.
"""
import json
import subprocess
import sys
import time


def canary(user):
    drop = [] if user == "root" else ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    # Not a group leader here, so setsid(1) makes the sleep its own session and group without forking.
    return subprocess.Popen(drop + ["setsid", "sleep", "600"])


def main():
    spec = json.loads(sys.argv[1])
    canaries = {name: canary(name) for name in ["root", "bob", "alice"]}
    pids = {name: str(proc.pid) for name, proc in canaries.items()}
    results = []
    for argv in spec["calls"]:
        args = [a.format(**pids) if isinstance(a, str) else str(a) for a in argv]
        command = ["setpriv", "--reuid=yarn", "--regid=hadoop", "--init-groups", "--", "/usr/bin/env", "-i",
                   spec["binary"]] + args
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=spec.get("timeout", 60))
            results.append({"argv": args, "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr[-2000:]})
        except subprocess.TimeoutExpired:
            results.append({"argv": args, "rc": None, "stdout": "", "stderr": "timed out"})
    # kill(2) returns once the signal is queued, not once the target is gone: give a killed canary time to die.
    time.sleep(1.0)
    alive = {name: proc.poll() is None for name, proc in canaries.items()}
    print(json.dumps({"calls": results, "alive": alive, "pids": pids}))


if __name__ == "__main__":
    main()
