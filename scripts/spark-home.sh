# Spark 3.5.1 home for the end-to-end scripts (sourced by e2e-spark.sh and e2e-live.sh, which define cannot_run
# and log). spark_home_ensure: keeps $SPARK_HOME when set, else lays one out once in /var/tmp/kyr-spark from the
# PyPI pyspark sdist (its deps/ hold Spark's jars and scripts), and checks what spark-submit on YARN needs.
spark_home_ensure() {
  local cache=/var/tmp/kyr-spark sdist src s
  if [ -z "${SPARK_HOME:-}" ]; then
    SPARK_HOME="$cache/spark-3.5.1"
    if ! ls "$SPARK_HOME"/jars/spark-yarn_*.jar >/dev/null 2>&1; then
      sdist="${PYSPARK_SDIST:-/var/tmp/pyspark/pyspark-3.5.1.tar.gz}"
      if [ ! -f "$sdist" ]; then
        mkdir -p "$cache/download"
        log "downloading the pyspark 3.5.1 sdist (~317 MB) from PyPI into $cache/download"
        nice -n 10 python3 -m pip download --no-deps --no-binary :all: -d "$cache/download" pyspark==3.5.1 >"$cache/download.log" 2>&1 ||
          cannot_run "no Spark: SPARK_HOME unset, no pyspark sdist, and 'pip download pyspark==3.5.1' failed (see $cache/download.log)" \
            "set SPARK_HOME to a Spark 3.5.x home with jars/spark-yarn_2.12-3.5.*.jar, bin/spark-submit, python/lib/pyspark.zip," \
            "or PYSPARK_SDIST to pyspark-3.5.1.tar.gz (pip download --no-deps --no-binary :all: pyspark==3.5.1)"
        sdist="$cache/download/pyspark-3.5.1.tar.gz"
      fi
      log "laying out a Spark home at $SPARK_HOME from $sdist"
      rm -rf "$cache/pyspark-3.5.1" "$SPARK_HOME.tmp"
      (cd "$cache" && nice -n 10 tar xzf "$sdist") || cannot_run "cannot unpack $sdist"
      src="$cache/pyspark-3.5.1"
      s="$SPARK_HOME.tmp"
      mkdir -p "$s/python/lib" "$s/examples/src/main" "$s/conf"
      mv "$src/deps/bin" "$src/deps/sbin" "$src/deps/jars" "$s/" && mv "$src/deps/examples" "$s/examples/src/main/python" &&
        cp "$src"/lib/pyspark.zip "$src"/lib/py4j-*-src.zip "$s/python/lib/" || cannot_run "$sdist is not the expected pyspark sdist layout"
      echo "Spark 3.5.1 laid out from the PyPI pyspark-3.5.1 sdist by scripts/spark-home.sh" >"$s/RELEASE"
      chmod -R a+rX "$s" && rm -rf "$src" && mv "$s" "$SPARK_HOME"
    fi
  fi
  for f in bin/spark-submit python/lib/pyspark.zip; do
    [ -e "$SPARK_HOME/$f" ] || cannot_run "SPARK_HOME=$SPARK_HOME has no $f" "use a Spark 3.5.x binary home or unset SPARK_HOME to use the cache"
  done
  ls "$SPARK_HOME"/jars/spark-yarn_*.jar >/dev/null 2>&1 || cannot_run "SPARK_HOME=$SPARK_HOME has no jars/spark-yarn_*.jar"
  export SPARK_HOME
}
