#!/usr/bin/env python3
"""JVM start in a runc sandbox against the host, outside YARN (docs/benchmarks.md, Spark section).

Each round runs, back to back, the same command three or more ways and times it with bash's $EPOCHREALTIME around
the java command only (container launch excluded):
  sandbox variants  through kata-yarn-runtime's `launch` verb as the NodeManager user on a throwaway node
                    (bench/kyrnode.py), runtime runc, with the vcores / memory given below
  host              the same script as the tenant `alice`, no cgroup
The command is `java -Xmx512m -cp '<spark home>/jars/*' org.apache.spark.deploy.SparkSubmit --version`: a JVM that
loads Spark's and Scala's classes from the same 250 jars the YARN containers use and logs through log4j2.

Usage (root): KYR_BUILD_DIR=<dir with kata-yarn-runtime, kyr-init, kyr-compat.so> \
    python3 bench/jvm_start.py [rounds] [variant ...]      variant = <vcores>x<memory MiB>, default 1x896 2x896
Prints every round and the medians, with the 1-minute load average.
"""
import os
import pwd
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kyrnode import Node, context_argv, ensure_accounts  # noqa: E402

SPARK_HOME = os.environ.get("SPARK_HOME", "/var/tmp/kyr-spark/spark-3.5.1")
JAVA = os.environ.get("BENCH_JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64") + "/bin/java"
CMD = (f"s=$EPOCHREALTIME; {JAVA} -Xmx512m -cp '{SPARK_HOME}/jars/*' org.apache.spark.deploy.SparkSubmit --version "
       ">v.out 2>&1; e=$EPOCHREALTIME; echo $s $e > t.txt")


def seconds(work):
    s, e = map(float, (work / "t.txt").read_text().split())
    return e - s


def main():
    if os.geteuid() != 0:
        sys.exit("jvm_start.py: run as root")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    variants = [tuple(int(x) for x in v.split("x")) for v in (sys.argv[2:] or ["1x896", "2x896"])]
    ensure_accounts()
    node = Node("jvm-start-runc", "runc", extra_cfg=f"  ro-mounts={SPARK_HOME}\n")
    alice = pwd.getpwnam("alice")
    host_dir = node.root / "host"
    host_dir.mkdir(exist_ok=True)
    os.chown(host_dir, alice.pw_uid, alice.pw_gid)
    times = {f"runc {vc} vcore(s) {mem} MiB": [] for vc, mem in variants} | {"host": []}
    n = 0
    try:
        for i in range(rounds):
            for vc, mem in variants:
                n += 1
                app = "08%02d" % (n % 100)
                launch = node.container("#!/bin/bash\n" + CMD + "\n", app=app)
                r = subprocess.run([str(node.bin)] + [str(a) for a in context_argv(launch, vcores=vc, memoryMB=mem)],
                                   user=node.nm.pw_uid, group=node.gid, extra_groups=[node.gid], env={},
                                   capture_output=True, text=True, timeout=300)
                if r.returncode != 0:
                    sys.exit(f"jvm_start.py: launch failed ({r.returncode}): {r.stderr[-400:]}")
                times[f"runc {vc} vcore(s) {mem} MiB"].append(seconds(launch.work))
                node.drop_app(app)
            subprocess.run(["/bin/bash", "-c", CMD], cwd=host_dir, user=alice.pw_uid, group=alice.pw_gid,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(host_dir)}, check=True)
            times["host"].append(seconds(host_dir))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items())
                  + f"; load {open('/proc/loadavg').read().split()[0]}", flush=True)
    finally:
        node.destroy()
    print("medians: " + ", ".join(f"{k} {statistics.median(v):.3f} s" for k, v in times.items()))


if __name__ == "__main__":
    main()
