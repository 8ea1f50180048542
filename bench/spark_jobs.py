"""Two small Spark jobs in local mode for kyr-bench: `pi` (SparkPi, CPU in Python workers) and `shuffle` (a
shuffle-heavy group/sort over generated rows: serialization, local disk, JVM). Prints one JSON line with the
job's own time (after the SparkSession is up) so JVM start-up and job time can be told apart."""
import json
import os
import random
import sys
import time

from pyspark.sql import SparkSession

SCALE = float(os.environ.get("KYR_SPARK_SCALE", "1"))


def session():
    return (SparkSession.builder.master("local[2]").appName("kyr-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.local.dir", os.environ.get("SPARK_LOCAL_DIRS", "/tmp"))
            .getOrCreate())


def pi(spark):
    n = int(2_000_000 * SCALE)
    def inside(_):
        x, y = random.random(), random.random()
        return 1 if x * x + y * y <= 1 else 0
    count = spark.sparkContext.parallelize(range(n), 4).map(inside).reduce(lambda a, b: a + b)
    return {"pi": 4.0 * count / n, "samples": n}


def shuffle(spark):
    from pyspark.sql import functions as F
    rows = int(3_000_000 * SCALE)
    df = spark.range(rows).select((F.col("id") * 7919 % 100_003).alias("k"), (F.col("id") % 997).alias("v"))
    agg = df.repartition(16, "k").groupBy("k").agg(F.sum("v").alias("s"), F.count("*").alias("c"))
    top = agg.orderBy(F.col("s").desc()).limit(3).collect()
    joined = df.join(agg, "k").where(F.col("c") > 20).count()
    return {"rows": rows, "top": [r["k"] for r in top], "joined": joined}


def main():
    job = sys.argv[1]
    t0 = time.time()
    spark = session()
    t1 = time.time()
    result = {"pi": pi, "shuffle": shuffle}[job](spark)
    t2 = time.time()
    spark.stop()
    print(json.dumps({"job": job, "session_s": t1 - t0, "job_s": t2 - t1, **result}))


if __name__ == "__main__":
    main()
