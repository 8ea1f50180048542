"""Spark application run by scripts/e2e-spark.sh on YARN (cluster deploy mode): `pi` or `shuffle`.

Every task prints, to its executor's stdout (which YARN keeps in the container's log dir), one evidence line:
  KYR-EVIDENCE container=<CONTAINER_ID> KATA_YARN_RUNTIME=<runtime or <unset>> host=<hostname> addr=<its address>
               src=<source address towards the driver> conn=<established TCP connections to the driver's port>
               pidns=<pid namespace> netns=<network namespace> pid1=<argv of pid 1>
and returns the same facts to the driver. Before the measured job a probe runs until every expected executor has
reported, so each executor's log holds the line. The driver (inside the ApplicationMaster container) prints its own
evidence line, `KYR-DRIVER host=<spark.driver.host> port=<spark.driver.port> blockmanagers=<host:port,...>` (the
addresses Spark bound and advertised, as the driver knows them) and a final `KYR-RESULT job=<job> ok=<true|false>
...` line to the AM's stdout. scripts/e2e-spark-app.py checks these lines.

Usage: e2e-spark-job.py pi|shuffle <expected executors> [<rows or samples>]
"""
import os
import socket
import sys
import time
from operator import add
from random import random

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


DRIVER = ("", 0)   # (host, port) of the driver, set before tasks are shipped (captured in their closures)


def tcp_to(port):
    """Established IPv4 TCP connections of this network namespace whose remote port is `port`: local->remote."""
    out = []
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                if state != "01" or int(remote.split(":")[1], 16) != port:
                    continue
                def addr(hexaddr):
                    ip, p = hexaddr.split(":")
                    return "%s:%d" % (socket.inet_ntoa(int(ip, 16).to_bytes(4, "little")), int(p, 16))
                out.append(addr(local) + "->" + addr(remote))
    except (OSError, ValueError, IndexError) as e:
        return "unreadable:%s" % e
    return ",".join(out) or "none"


def evidence(driver=None):
    try:
        with open("/proc/1/cmdline", "rb") as f:
            pid1 = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError as e:
        pid1 = "unreadable:%s" % e.errno
    host = socket.gethostname()
    try:
        addr = socket.gethostbyname(host)
    except OSError:
        addr = "unresolved"
    src, conn = "-", "-"
    if driver and driver[0]:
        try:   # the source address the kernel picks towards the driver (UDP connect sends nothing)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect((driver[0], driver[1]))
            src = s.getsockname()[0]
            s.close()
        except OSError as e:
            src = "error:%s" % e.errno
        conn = tcp_to(driver[1])
    def ns(kind):
        try:
            return os.readlink("/proc/self/ns/" + kind)
        except OSError:
            return "unreadable"
    return (os.environ.get("CONTAINER_ID", "?"), os.environ.get("KATA_YARN_RUNTIME", "<unset>"), host, addr, src, conn,
            ns("pid"), ns("net"), pid1)


def report(facts):
    line = "KYR-EVIDENCE container=%s KATA_YARN_RUNTIME=%s host=%s addr=%s src=%s conn=%s pidns=%s netns=%s pid1=%s" % facts
    print(line)
    sys.stdout.flush()
    return facts


def probe_partition(driver):
    def run(_):
        time.sleep(0.3)
        yield report(evidence(driver))
    return run


def main():
    job = sys.argv[1]
    executors = int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else (2_000_000 if job == "shuffle" else 200_000)
    spark = SparkSession.builder.appName("kyr-e2e-" + job).getOrCreate()
    sc = spark.sparkContext
    driver = (sc.getConf().get("spark.driver.host"), int(sc.getConf().get("spark.driver.port")))
    print("driver " + " ".join("%s" % x for x in report(evidence())))

    # Probe until every executor has run a task (the scheduler may favour one executor).
    seen = {}
    deadline = time.time() + 120
    while len(seen) < executors and time.time() < deadline:
        for facts in sc.parallelize(range(4 * executors), 4 * executors).mapPartitions(probe_partition(driver)).collect():
            seen[facts[0]] = facts
        if len(seen) < executors:
            time.sleep(2)

    ok = True
    detail = ""
    if job == "pi":
        parts = 4

        def inside(_):
            x, y = random() * 2 - 1, random() * 2 - 1
            return 1 if x * x + y * y <= 1 else 0

        def count_partition(it):
            report(evidence(driver))
            yield sum(inside(i) for i in it)

        hits = sc.parallelize(range(size), parts).mapPartitions(count_partition).reduce(add)
        pi = 4.0 * hits / size
        print("Pi is roughly %f" % pi)
        ok = abs(pi - 3.14159) < 0.05
        detail = "pi=%f samples=%d" % (pi, size)
    elif job == "shuffle":
        keys = 1000
        spark.conf.set("spark.sql.shuffle.partitions", "8")
        # DataFrame groupBy over `size` rows.
        df = spark.range(0, size, numPartitions=8).withColumn("k", F.col("id") % keys)
        rows = df.groupBy("k").agg(F.count("*").alias("n"), F.sum("id").alias("s")).collect()
        by_key = {r["k"]: (r["n"], r["s"]) for r in rows}
        expect_n = size // keys
        grouped_ok = len(by_key) == keys and all(
            n == expect_n and s == k * expect_n + keys * expect_n * (expect_n - 1) // 2
            for k, (n, s) in by_key.items())

        # RDD reduceByKey over the same rows, through Python workers (pickled shuffle).
        def tag(it):
            report(evidence(driver))
            for i in it:
                yield (i % keys, i)

        reduced = dict(sc.parallelize(range(size), 8).mapPartitions(tag).reduceByKey(add, 8).collect())
        reduced_ok = len(reduced) == keys and sum(reduced.values()) == size * (size - 1) // 2 and all(
            v == k * expect_n + keys * expect_n * (expect_n - 1) // 2 for k, v in reduced.items())
        ok = grouped_ok and reduced_ok
        detail = "rows=%d keys=%d groupBy_ok=%s reduceByKey_ok=%s" % (size, keys, grouped_ok, reduced_ok)
    else:
        raise SystemExit("unknown job " + job)

    runtimes = sorted({f[1] for f in seen.values()})
    sandboxed = all(f[-1].startswith("/dev/.kyr-init") for f in seen.values())
    for cid, f in sorted(seen.items()):
        print("KYR-EXECUTOR container=%s KATA_YARN_RUNTIME=%s host=%s addr=%s src=%s conn=%s pidns=%s netns=%s pid1=%s" % f)
    # What Spark itself bound and advertised: the driver's address and every block manager's (executors and driver).
    infos = sc._jsc.sc().statusTracker().getExecutorInfos()
    print("KYR-DRIVER host=%s port=%d blockmanagers=%s" % (driver[0], driver[1], ",".join(
        "%s:%d" % (i.host(), i.port()) for i in infos)))
    print("KYR-RESULT job=%s ok=%s executors=%d runtimes=%s pid1_kyr_init=%s %s" % (
        job, str(ok).lower(), len(seen), ",".join(runtimes), str(sandboxed).lower(), detail))
    sys.stdout.flush()
    spark.stop()
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
