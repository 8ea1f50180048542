#!/usr/bin/env bash
# Spark on YARN end to end through kata-yarn-runtime (issue 11). Called by `make e2e-spark`.
#
# Brings up a single-node MiniYARNCluster (KataMiniYarnClusterServer, the KataMiniYarnClusterIT set-up) whose
# NodeManager runs every container through the installed binary, lays out a Spark 3.5.1 home from the PyPI pyspark
# sdist (cached), and, as the unprivileged tenant, submits with --master yarn --deploy-mode cluster a Pi job and a
# shuffle job (2 M rows, DataFrame groupBy + RDD reduceByKey, result checked) with 2 executors of 512 MiB, AM and
# executors opting in with YARN_CONTAINER_RUNTIME_TYPE=kata, once per runtime. For each application it checks the
# answer, that the driver and every executor ran in the selected sandbox (their own stdout, in YARN's log dirs,
# shows KATA_YARN_RUNTIME=<runtime> and pid 1 = /dev/.kyr-init), that stdout and stderr reached YARN's log dirs and
# that nothing is left behind (`kata-yarn-runtime list` empty, no container mounts). Prints a per-runtime table.
#
# Usage: scripts/e2e-spark.sh [--allow-skip] [--runs N] [--runtimes "runc runsc shim:containerd-shim-runc-v2"]
#   --allow-skip  a missing prerequisite prints "SKIP: ..." and exits 0 (default: exit 2)
#   --runs N      repeat each (runtime, job) N times (default 1); the table shows every run and the median
#   --jobs "pi shuffle"  which jobs to run (default both)
#   --python-no-daemon    spark.python.use.daemon=false for every runtime (to compare runc with runsc's workaround)
#   --no-runsc-workaround  run runsc with PySpark's default worker daemon. By default runsc applications get
#                 spark.python.use.daemon=false (and the table marks them runsc*): under runsc --network=host
#                 (gVisor release 20221219, Debian 12) read(2) on a blocking accepted TCP socket fails with EAGAIN
#                 instead of waiting, and PySpark's daemon-forked workers read their socket with read(2), so every
#                 Python task fails with EOFError in read_int (docs/spark.md, "Troubleshooting")
#
# Environment:
#   HADOOP_HOME     Hadoop 3.3.x binary tree (share/hadoop/...) with the MiniYARNCluster test jars. Required.
#   KYR_BINARY      the installed binary (root:$KYR_NM_GROUP 6050, cfg at <bindir>/../etc/hadoop/container-executor.cfg)
#   KYR_NM_GROUP    default hadoop
#   KYR_E2E_USER    non-root member of KYR_NM_GROUP: NodeManager user and Spark submitter (default: KYR_IT_USER, kyrit)
#   SPARK_HOME      a Spark 3.5.x home with jars/spark-yarn_*.jar (default: the cache, /var/tmp/kyr-spark/spark-3.5.1,
#                   laid out from $PYSPARK_SDIST or from `pip download --no-deps --no-binary :all: pyspark==3.5.1`)
#   PYSPARK_SDIST   pyspark-3.5.1.tar.gz already downloaded (default /var/tmp/pyspark/pyspark-3.5.1.tar.gz if present)
#   KYR_E2E_WORKDIR default /var/tmp/kyr-e2e-spark (conf/ = HADOOP_CONF_DIR, staging/ = Spark staging dir)
#   KYR_E2E_IGNORE_CFG=1  only warn about the cfg checks below (to see how Spark fails without a mount)
#   KYR_E2E_PYTHON  Python the containers run (default /usr/bin/python3; must be visible inside the sandboxes)
# The cfg's [kata] ro-mounts must list $SPARK_HOME and $KYR_E2E_WORKDIR/conf (the JDK, Python and /etc come from
# rootfs.host-dirs=/usr,/etc,/opt), rw-mounts must list $KYR_E2E_WORKDIR/staging, and runtime.allowed every runtime
# tested; the script checks this and says what to add. docs/spark.md explains.
# Exit status: 0 every run passed (or SKIP); 1 a run failed; 2 a prerequisite is missing.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
plugin="$repo/yarn-plugin"
allow_skip=0
runs=1
runtimes="runc runsc shim:containerd-shim-runc-v2"
runsc_workaround=1
jobs="pi shuffle"
no_daemon_all=0
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-skip) allow_skip=1 ;;
    --runs) runs="$2"; shift ;;
    --runtimes) runtimes="$2"; shift ;;
    --no-runsc-workaround) runsc_workaround=0 ;;
    --jobs) jobs="$2"; shift ;;
    --python-no-daemon) no_daemon_all=1 ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "e2e-spark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

cannot_run() {  # $1 = headline, rest = details
  local headline="$1"
  shift
  {
    echo "e2e-spark.sh: cannot run the Spark end-to-end test: $headline"
    [ $# -gt 0 ] && printf '  %s\n' "$@"
  } >&2
  if [ "$allow_skip" = 1 ]; then
    echo "SKIP: e2e-spark: $headline"
    exit 0
  fi
  exit 2
}
log() { echo "e2e-spark.sh: $*"; }

[ "$(id -u)" = 0 ] || cannot_run "must run as root (it starts the cluster as the tenant user and checks the binary's state)"

# ---- JDK, Hadoop, binary, tenant -----------------------------------------------------------------------------
if [ -z "${JAVA_HOME:-}" ] && command -v javac >/dev/null; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] ||
  cannot_run "no JDK" "set JAVA_HOME to a JDK 17 or apt-get install openjdk-17-jdk-headless"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
[ -n "${HADOOP_HOME:-}" ] && [ -d "$HADOOP_HOME/share/hadoop" ] ||
  cannot_run "HADOOP_HOME is unset or not a Hadoop tree (HADOOP_HOME='${HADOOP_HOME:-}')" \
    "export HADOOP_HOME=<Hadoop 3.3.x binary tree with share/hadoop/{common,hdfs,yarn,yarn/test,mapreduce}>" \
    "(the same tree yarn-plugin/run-it.sh uses; see docs/install.md)"
share="$HADOOP_HOME/share/hadoop"
group="${KYR_NM_GROUP:-hadoop}"
[ -n "${KYR_BINARY:-}" ] && [ -f "$KYR_BINARY" ] ||
  cannot_run "KYR_BINARY is unset or missing (KYR_BINARY='${KYR_BINARY:-}')" \
    "install the binary root:$group mode 6050 (make install, docs/install.md) and export KYR_BINARY=<path>"
cfg="$(dirname "$(dirname "$(readlink -f "$KYR_BINARY")")")/etc/hadoop/container-executor.cfg"
user="${KYR_E2E_USER:-${KYR_IT_USER:-kyrit}}"
id "$user" >/dev/null 2>&1 || cannot_run "tenant user $user does not exist" \
  "groupadd -f $group && useradd -m -G $group $user (uid >= the cfg's min.user.id), or set KYR_E2E_USER"
id -nG "$user" | tr ' ' '\n' | grep -qx "$group" || cannot_run "user $user is not in group $group" "usermod -a -G $group $user"
runuser -u "$user" -- "$KYR_BINARY" --checksetup >/dev/null 2>&1 ||
  cannot_run "'$KYR_BINARY --checksetup' fails as $user" "$(runuser -u "$user" -- "$KYR_BINARY" --checksetup 2>&1 | head -3)"
python="${KYR_E2E_PYTHON:-/usr/bin/python3}"
[ -x "$python" ] || cannot_run "no $python for the containers" "apt-get install python3, or set KYR_E2E_PYTHON"

jars=()
for d in common common/lib hdfs hdfs/lib yarn yarn/lib yarn/test mapreduce; do
  for j in "$share/$d"/*.jar; do [ -f "$j" ] && jars+=("$j"); done
done
if ! ls "$share"/yarn/lib/bcprov-*.jar >/dev/null 2>&1 && [ -f /usr/share/java/bcprov.jar ]; then
  filtered=()
  for j in "${jars[@]}"; do case "$(basename "$j")" in bcpkix-*) ;; *) filtered+=("$j") ;; esac; done
  jars=("${filtered[@]}" /usr/share/java/bcprov.jar /usr/share/java/bcpkix.jar /usr/share/java/bcutil.jar)
fi
# MiniYARNCluster's GenericTestUtils needs JUnit 4 at run time.
junit="${JUNIT_JARS:-/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar}"
for j in ${junit//:/ }; do
  [ -f "$j" ] || cannot_run "JUnit jar $j is missing (MiniYARNCluster needs it)" \
    "apt-get install junit4 libhamcrest-java, or set JUNIT_JARS=<junit-4.x.jar>:<hamcrest-core-1.3.jar>"
done
hadoop_cp="$(IFS=:; echo "${jars[*]}"):$junit"
missing=()
for c in org.apache.hadoop.conf.Configuration org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor \
         org.apache.hadoop.yarn.server.resourcemanager.ResourceManager org.apache.hadoop.yarn.server.MiniYARNCluster \
         org.bouncycastle.jce.provider.BouncyCastleProvider; do
  javap -cp "$hadoop_cp" "$c" >/dev/null 2>&1 || missing+=("$c")
done
[ "${#missing[@]}" = 0 ] || cannot_run "HADOOP_HOME=$HADOOP_HOME lacks classes the cluster needs:" "${missing[@]}" \
  "provide hadoop-common, hadoop-yarn-server-{nodemanager,resourcemanager} and hadoop-yarn-server-tests-*-tests.jar" \
  "(share/hadoop/yarn/test) of Hadoop 3.3.x, and bcprov (or Debian libbcprov-java libbcpkix-java libbcutil-java)"

# ---- Spark home (cached) -------------------------------------------------------------------------------------
cache=/var/tmp/kyr-spark
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
    echo "Spark 3.5.1 laid out from the PyPI pyspark-3.5.1 sdist by scripts/e2e-spark.sh" >"$s/RELEASE"
    chmod -R a+rX "$s" && rm -rf "$src" && mv "$s" "$SPARK_HOME"
  fi
fi
for f in bin/spark-submit python/lib/pyspark.zip; do
  [ -e "$SPARK_HOME/$f" ] || cannot_run "SPARK_HOME=$SPARK_HOME has no $f" "use a Spark 3.5.x binary home or unset SPARK_HOME to use the cache"
done
ls "$SPARK_HOME"/jars/spark-yarn_*.jar >/dev/null 2>&1 || cannot_run "SPARK_HOME=$SPARK_HOME has no jars/spark-yarn_*.jar"
py4j="$(ls "$SPARK_HOME"/python/lib/py4j-*-src.zip | head -1)"

# ---- the node's cfg must expose what the containers need ------------------------------------------------------
work="${KYR_E2E_WORKDIR:-/var/tmp/kyr-e2e-spark}"
case "$work" in /?*/?*) ;; *) cannot_run "KYR_E2E_WORKDIR=$work must be an absolute path at least two levels deep (it is wiped)" ;; esac
kata_value() {  # first occurrence in [kata] wins, like the binary
  awk -v k="$1" '/^\[/{s=($0 ~ /^\[kata\]/)} s{l=$0; sub(/^[ \t]+/,"",l); if (index(l, k"=")==1 && !done){print substr(l, length(k)+2); done=1}}' "$cfg"
}
ro="$(kata_value ro-mounts),$(kata_value rootfs.host-dirs)"
rw="$(kata_value rw-mounts)"
allowed="$(kata_value runtime.default),$(kata_value runtime.allowed)"
covered() {  # path, comma list
  local IFS=, p
  for p in $2; do [ -n "$p" ] && case "$1/" in "${p%/}"/*) return 0 ;; esac; done
  return 1
}
cfg_missing=()
for p in "$SPARK_HOME" "$work/conf" "$JAVA_HOME" "$(dirname "$(readlink -f "$python")")"; do
  covered "$p" "$ro" || covered "$p" "$rw" || cfg_missing+=("[kata] ro-mounts must include $p")
done
covered "$work/staging" "$rw" || cfg_missing+=("[kata] rw-mounts must include $work/staging (Spark's file:// staging dir, deleted by the AM)")
for rt in $runtimes; do
  case ",$allowed," in *",$rt,"*) ;; *) cfg_missing+=("[kata] runtime.allowed must list $rt") ;; esac
done
if [ "${#cfg_missing[@]}" -gt 0 ] && [ "${KYR_E2E_IGNORE_CFG:-0}" = 1 ]; then
  printf 'e2e-spark.sh: WARNING (KYR_E2E_IGNORE_CFG=1, expect failures): %s\n' "${cfg_missing[@]}" >&2
  cfg_missing=()
fi
[ "${#cfg_missing[@]}" = 0 ] || cannot_run "$cfg does not expose what Spark containers need:" "${cfg_missing[@]}" \
  "edit the [kata] section (comma-separated values; the first occurrence of a key wins); see docs/spark.md"

# ---- build the plugin and the cluster main ----------------------------------------------------------------------
log "building the plugin and KataMiniYarnClusterServer"
HADOOP_HOME="$HADOOP_HOME" nice -n 10 "$plugin/build-with-javac.sh" >/dev/null || { echo "e2e-spark.sh: plugin build failed" >&2; exit 1; }
plugin_jar="$plugin/target/kata-yarn-runtime-plugin.jar"
classes="$plugin/target/e2e-classes"
rm -rf "$classes" && mkdir -p "$classes"
nice -n 10 javac -nowarn -Xlint:-path --release 8 -encoding UTF-8 -cp "$plugin_jar:$hadoop_cp" -d "$classes" \
  "$plugin/src/test/java/io/github/katayarnruntime/yarn/KataMiniYarnClusterServer.java" ||
  { echo "e2e-spark.sh: KataMiniYarnClusterServer compile failed" >&2; exit 1; }
chmod -R a+rX "$plugin/target"

# ---- cluster -----------------------------------------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work/conf" "$work/staging" "$work/data" "$work/home" "$work/logs" "$work/run"
cp "$repo/scripts/e2e-spark-job.py" "$work/run/"
chown -R "$user" "$work" && chmod -R a+rX "$work"
. "$repo/yarn-plugin/jdk17-flags.sh"
cluster_pid=""
stop_cluster() {
  [ -n "$cluster_pid" ] || return 0
  touch "$work/conf/stop"
  for _ in $(seq 1 60); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$cluster_pid" 2>/dev/null && kill "$cluster_pid" 2>/dev/null
  wait "$cluster_pid" 2>/dev/null
  cluster_pid=""
}
trap stop_cluster EXIT
log "starting the MiniYARNCluster as $user (NodeManager -> $KYR_BINARY); log $work/cluster.log"
(cd "$work/data" && exec runuser -u "$user" -- env -i PATH="$PATH" JAVA_HOME="$JAVA_HOME" HOME="$work/home" \
  HADOOP_HOME="$HADOOP_HOME" KYR_BINARY="$KYR_BINARY" KYR_NM_GROUP="$group" \
  nice -n 5 java "${jdk17[@]}" -Xmx1g -Dtest.build.data="$work/data" -Duser.home="$work/home" -Dhadoop.log.dir="$work/logs" \
  -cp "$classes:$plugin_jar:$hadoop_cp" io.github.katayarnruntime.yarn.KataMiniYarnClusterServer "$work/conf" 4096 4) \
  >"$work/cluster.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 240); do
  [ -f "$work/conf/ready" ] && break
  kill -0 "$cluster_pid" 2>/dev/null || break
  sleep 1
done
if [ ! -f "$work/conf/ready" ]; then
  echo "e2e-spark.sh: the MiniYARNCluster did not come up; last lines of $work/cluster.log:" >&2
  tail -20 "$work/cluster.log" >&2
  exit 1
fi
# shellcheck disable=SC1091
. "$work/conf/cluster.env"
log "cluster up: RM $RM_ADDRESS; NM log dirs $NM_LOG_DIRS"

# ---- one application ------------------------------------------------------------------------------------------------
results=()   # "runtime|job|run|seconds|answer|sandboxed|logs|clean|app"
failures=0
# Leftovers are judged on this cluster's containers only (other work on the node may have sandboxes of its own):
# their ids carry the ResourceManager's start time, container_<cluster ts>_..., and their dirs live under $work.
cluster_ts=""
ours() { if [ -n "$cluster_ts" ]; then grep -E -e "_${cluster_ts}_" -e "$work/" || true; else grep -F "$work/" || true; fi; }
mount_leftovers() { ours </proc/self/mountinfo; }
our_sandboxes() { runuser -u "$user" -- "$KYR_BINARY" list 2>&1 | tail -n +2 | ours; }

run_app() {  # runtime job run
  local rt="$1" job="$2" n="$3" out="$work/run/$1-$2-$3.submit.log" app t0 t1 secs
  local rtsafe="${rt//[:\/]/_}"
  out="$work/run/$rtsafe-$job-$n.submit.log"
  local extra=() label="$rt"
  if [ "$rt" = runsc ] && [ "$runsc_workaround" = 1 ]; then
    extra=(--conf spark.python.use.daemon=false)
    label="runsc*"
  elif [ "$no_daemon_all" = 1 ]; then
    extra=(--conf spark.python.use.daemon=false)
    label="$rt (no daemon)"
  fi
  t0=$(date +%s.%N)
  (cd "$work/run" && runuser -u "$user" -- env -i PATH="$PATH" JAVA_HOME="$JAVA_HOME" HOME="$work/home" \
    HADOOP_CONF_DIR="$work/conf" YARN_CONF_DIR="$work/conf" SPARK_HOME="$SPARK_HOME" SPARK_CONF_DIR="$SPARK_HOME/conf" \
    PYSPARK_PYTHON="$python" SPARK_LOCAL_IP=127.0.0.1 \
    nice -n 5 "$SPARK_HOME/bin/spark-submit" --master yarn --deploy-mode cluster --name "kyr-e2e-$job-$rtsafe-$n" \
      --num-executors 2 --executor-memory 512m --executor-cores 1 --driver-memory 512m --driver-cores 1 \
      --conf spark.yarn.jars="local:$SPARK_HOME/jars/*" \
      --conf spark.yarn.stagingDir="file://$work/staging" \
      --conf spark.pyspark.python="$python" --conf spark.pyspark.driver.python="$python" \
      --conf spark.executorEnv.YARN_CONTAINER_RUNTIME_TYPE=kata \
      --conf spark.yarn.appMasterEnv.YARN_CONTAINER_RUNTIME_TYPE=kata \
      --conf spark.executorEnv.YARN_CONTAINER_RUNTIME_KATA_RUNTIME="$rt" \
      --conf spark.yarn.appMasterEnv.YARN_CONTAINER_RUNTIME_KATA_RUNTIME="$rt" \
      --conf spark.dynamicAllocation.enabled=false \
      --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
      --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s \
      --conf spark.yarn.submit.waitAppCompletion=true --conf spark.yarn.report.interval=2s \
      --conf spark.ui.enabled=false "${extra[@]}" \
      "$work/run/e2e-spark-job.py" "$job" 2) >"$out" 2>&1
  local rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  app="$(grep -oE 'application_[0-9]+_[0-9]+' "$out" | tail -1)"
  [ -n "$app" ] && [ -z "$cluster_ts" ] && { cluster_ts="${app#application_}"; cluster_ts="${cluster_ts%_*}"; }
  local answer=no sandboxed=no logs=no clean=no why=()
  [ "$rc" = 0 ] || why+=("spark-submit exited $rc (see $out)")
  local appdir=""
  if [ -n "$app" ]; then
    local IFS=,
    for d in $NM_LOG_DIRS; do [ -d "${d#file:}/$app" ] && appdir="${d#file:}/$app"; done
    unset IFS
  fi
  if [ -z "$appdir" ]; then
    why+=("no log dir for ${app:-the application} under $NM_LOG_DIRS")
  else
    local am exs=() c
    am="$(ls -d "$appdir"/container_*_000001 2>/dev/null | head -1)"
    for c in "$appdir"/container_*; do [ "$c" != "$am" ] && exs+=("$c"); done
    # answer: the driver's result line in the AM's stdout
    if grep -q "^KYR-RESULT job=$job ok=true executors=2 runtimes=$rt pid1_kyr_init=true" "$am/stdout" 2>/dev/null; then
      answer=yes
    else
      why+=("AM stdout has no passing KYR-RESULT line: $(grep '^KYR-RESULT' "$am/stdout" 2>/dev/null || echo none)")
    fi
    # sandboxed: the driver (in the AM) and every executor container saw the runtime and kyr-init as pid 1
    local ok_ex=0
    for c in "${exs[@]}"; do
      # PySpark's daemon points its workers' stdout at stderr: a task's print() lands in the executor's stderr.
      cat "$c/stdout" "$c/stderr" 2>/dev/null |
        grep -qE "^KYR-EVIDENCE container=$(basename "$c") KATA_YARN_RUNTIME=$rt pid1=/dev/.kyr-init" &&
        ok_ex=$((ok_ex + 1))
    done
    if [ "${#exs[@]}" -ge 2 ] && [ "$ok_ex" = "${#exs[@]}" ] &&
       grep -qE "KYR-EVIDENCE container=$(basename "$am") KATA_YARN_RUNTIME=$rt pid1=/dev/.kyr-init" "$am/stdout" 2>/dev/null; then
      sandboxed=yes
    else
      why+=("sandbox evidence: $ok_ex of ${#exs[@]} executor containers (need >= 2, all) and the AM must show KATA_YARN_RUNTIME=$rt pid1=/dev/.kyr-init")
    fi
    # logs: every container's stdout and stderr files are in YARN's log dir, and hold what the container wrote:
    # the JVMs' log4j output on stderr (Spark's default), the driver's prints on the AM's stdout
    local badlogs=0
    for c in "$am" "${exs[@]}"; do
      [ -f "$c/stdout" ] && [ -s "$c/stderr" ] || badlogs=$((badlogs + 1))
    done
    [ -s "$am/stdout" ] || badlogs=$((badlogs + 1))
    if [ "$badlogs" = 0 ]; then logs=yes; else why+=("$badlogs container(s) lack stdout, or a non-empty stderr (AM: non-empty stdout too) in $appdir"); fi
  fi
  # clean: no sandbox left (the NM has finished the containers once the app is done; give it a few seconds)
  local listing leftover
  for _ in $(seq 1 20); do
    listing="$(our_sandboxes)"
    leftover="$(mount_leftovers | wc -l)"
    [ -z "$listing" ] && [ "$leftover" = 0 ] && break
    sleep 1
  done
  if [ -z "$listing" ] && [ "$leftover" = 0 ]; then clean=yes
  else why+=("left behind: list='$listing' mounts=$leftover"); fi
  results+=("$label|$job|$n|$secs|$answer|$sandboxed|$logs|$clean|${app:-?}")
  if [ "$answer$sandboxed$logs$clean" = yesyesyesyes ]; then
    log "$label $job run $n: PASS in ${secs}s ($app)"
  else
    failures=$((failures + 1))
    log "$label $job run $n: FAIL in ${secs}s (${app:-no app}): $(IFS=';'; echo "${why[*]}")"
    grep -E 'Diagnostics|Exception|Error' "$out" | grep -v '^\s*at ' | head -5 | sed 's/^/    /'
  fi
}

# Runs are interleaved across runtimes so that load from other work on the machine spreads over all of them.
for n in $(seq 1 "$runs"); do
  for rt in $runtimes; do
    for job in $jobs; do
      run_app "$rt" "$job" "$n"
    done
  done
done
stop_cluster
trap - EXIT
final_list="$(our_sandboxes)"
final_mounts="$(mount_leftovers | wc -l)"

# ---- table -------------------------------------------------------------------------------------------------------------
echo
printf '%-30s %-8s %-4s %9s %-9s %-19s %-5s %-6s %s\n' runtime job run "wall(s)" "answer ok" "executors sandboxed" logs clean application
for r in "${results[@]}"; do
  IFS='|' read -r rt job n secs answer sandboxed logs clean app <<<"$r"
  printf '%-30s %-8s %-4s %9s %-9s %-19s %-5s %-6s %s\n' "$rt" "$job" "$n" "$secs" "$answer" "$sandboxed" "$logs" "$clean" "$app"
done
echo
echo "median wall time (s) per runtime and job, over $runs run(s); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for rt0 in $runtimes; do
  rt="$rt0"
  if [ "$rt" = runsc ] && [ "$runsc_workaround" = 1 ]; then rt="runsc*"
  elif [ "$no_daemon_all" = 1 ]; then rt="$rt (no daemon)"; fi
  for job in $jobs; do
    printf '  %-30s %-8s %s\n' "$rt" "$job" "$(for r in "${results[@]}"; do IFS='|' read -r a b _ s _ <<<"$r"; [ "$a" = "$rt" ] && [ "$b" = "$job" ] && echo "$s"; done |
      sort -n | awk '{v[NR]=$1} END{if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}')"
  done
done
[ "$runsc_workaround" = 1 ] && case " $runtimes " in *" runsc "*)
  echo "runsc* = with spark.python.use.daemon=false: runsc --network=host (gVisor 20221219) returns EAGAIN from read(2) on a blocking accepted TCP socket, which breaks PySpark's worker daemon (docs/spark.md)" ;; esac
echo "after the cluster stopped: kata-yarn-runtime list (this cluster's containers): ${final_list:-empty}; their mounts left: $final_mounts"
[ -z "$final_list" ] && [ "$final_mounts" = 0 ] || failures=$((failures + 1))
echo "logs: $work/run/*.submit.log, $work/cluster.log; container logs under $NM_LOG_DIRS"
if [ "$failures" -gt 0 ]; then
  echo "e2e-spark.sh: $failures failure(s)"
  exit 1
fi
echo "e2e-spark.sh: all runs passed"
