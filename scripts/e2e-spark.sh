#!/usr/bin/env bash
# Spark on YARN end to end through kata-yarn-runtime (issue 11). Called by `make e2e-spark` and `make bench`.
#
# Brings up a single-node MiniYARNCluster (KataMiniYarnClusterServer, the KataMiniYarnClusterIT set-up) whose
# NodeManager runs every container through the installed binary, lays out a Spark 3.5.1 home from the PyPI pyspark
# sdist (cached), and, as the unprivileged tenant, submits with --master yarn --deploy-mode cluster a Pi job and a
# shuffle job (2 M rows, DataFrame groupBy + RDD reduceByKey, result checked) with 2 executors of 512 MiB, AM and
# executors opting in with YARN_CONTAINER_RUNTIME_TYPE=kata, once per runtime. The runtime `host` is the baseline:
# a second MiniYARNCluster, identical but with YARN's own DefaultContainerExecutor, so containers are plain processes
# of the NodeManager user (no setuid binary, no sandbox). For each application scripts/e2e-spark-app.py checks the
# answer, where the driver and every executor ran (their own stdout, in YARN's log dirs: KATA_YARN_RUNTIME=<runtime>
# and pid 1 = /dev/.kyr-init in a sandbox; no KATA_YARN_RUNTIME, the host's pid 1 and namespaces for `host`), that
# stdout and stderr reached YARN's log dirs, and measures container launch, JVM start and shuffle I/O (Spark event
# log); this script checks that nothing is left behind (`kata-yarn-runtime list` empty, no container mounts; with
# --network routed also no ky* veth, no `inet kata_yarn` table, no netns file). Prints a per-runtime table.
#
# Usage: scripts/e2e-spark.sh [--allow-skip] [--runs N] [--runtimes "host runc runsc shim:containerd-shim-runc-v2"]
#   --allow-skip  a missing prerequisite prints "SKIP: ..." and exits 0 (default: exit 2)
#   --runs N      repeat each (runtime, job) N times (default 1); the table shows every run and the median
#   --jobs "pi shuffle"  which jobs to run (default both)
#   --results FILE       also write every application's record and the medians as JSON (bench/spark_yarn.py)
#   --network routed     sandboxes get [kata] network=routed (docs/networking.md): the cluster binds the node's
#                 address instead of localhost, the installed cfg gets the network keys for the run (backup kept,
#                 restored on exit), and a further application is killed mid-run to check the teardown
#   --vcores N    YARN vcores of the AM and of each executor (default 1). The binary turns vcores into a CFS quota of
#                 N CPUs; with spark.task.cpus=N an executor still runs one task at a time, so only the cap changes
#   --python-no-daemon    spark.python.use.daemon=false for every runtime (to compare runc with runsc's workaround)
#   --runsc-workaround  give runsc applications spark.python.use.daemon=false (the table marks them runsc*), the
#                 per-application workaround that was needed before kyr-compat.so handled Debian gVisor's EAGAIN from
#                 read(2) on a blocking socket (docs/spark.md, "Troubleshooting"); for comparison only
#
# Environment:
#   HADOOP_HOME     Hadoop 3.3.x binary tree (share/hadoop/...) with the MiniYARNCluster test jars. Required.
#   KYR_BINARY      the installed binary (root:$KYR_NM_GROUP 6050, cfg at <bindir>/../etc/hadoop/container-executor.cfg);
#                   required unless the only runtime is `host`
#   KYR_NM_GROUP    default hadoop
#   KYR_E2E_USER    non-root member of KYR_NM_GROUP that runs the MiniYARNCluster (default: KYR_IT_USER, kyrit). It must be
#                   in the group: the cluster's NodeManager lives in that JVM and executes the setuid binary, which only
#                   the NM group may run (root:hadoop 6050).
#   KYR_E2E_TENANT  who submits the Spark applications to the sandboxed cluster (default alice, created if missing): a
#                   tenant outside KYR_NM_GROUP, as on a real multi-user node; its containers run as it. The `host`
#                   baseline is submitted by KYR_E2E_USER: DefaultContainerExecutor runs every container as the NM user,
#                   whose localizer cannot read a tenant's private staging dir
#   SPARK_HOME      a Spark 3.5.x home with jars/spark-yarn_*.jar (default: the cache, /var/tmp/kyr-spark/spark-3.5.1,
#                   laid out from $PYSPARK_SDIST or from `pip download --no-deps --no-binary :all: pyspark==3.5.1`)
#   PYSPARK_SDIST   pyspark-3.5.1.tar.gz already downloaded (default /var/tmp/pyspark/pyspark-3.5.1.tar.gz if present)
#   KYR_E2E_WORKDIR default /var/tmp/kyr-e2e-spark (conf/ = HADOOP_CONF_DIR, staging/ = Spark staging dir and event log)
#   KYR_E2E_IGNORE_CFG=1  only warn about the cfg checks below (to see how Spark fails without a mount)
#   KYR_E2E_PYTHON  Python the containers run (default /usr/bin/python3; must be visible inside the sandboxes)
#   KYR_E2E_NODE_ADDRESS  --network routed: the node address the cluster binds (default: the source address of the
#                   default route); KYR_E2E_NETWORK_RANGE (default 10.244.7.0/26: one 64-port block of
#                   the node's address above its ephemeral range per container address)
# The cfg's [kata] ro-mounts must list $SPARK_HOME and $KYR_E2E_WORKDIR/conf (the JDK, Python and /etc come from
# rootfs.host-dirs=/usr,/etc,/opt), rw-mounts must list $KYR_E2E_WORKDIR/staging, and runtime.allowed every runtime
# tested; the script checks this and says what to add. docs/spark.md explains.
# Exit status: 0 every run passed (or SKIP); 1 a run failed; 2 a prerequisite is missing.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
plugin="$repo/yarn-plugin"
orig_args="$*"
allow_skip=0
runs=1
runtimes="host runc runsc shim:containerd-shim-runc-v2"
runsc_workaround=0
jobs="pi shuffle"
no_daemon_all=0
results_json=""
network=host
vcores=1
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-skip) allow_skip=1 ;;
    --runs) runs="$2"; shift ;;
    --runtimes) runtimes="$2"; shift ;;
    --runsc-workaround) runsc_workaround=1 ;;
    --jobs) jobs="$2"; shift ;;
    --python-no-daemon) no_daemon_all=1 ;;
    --results) results_json="$2"; shift ;;
    --network) network="$2"; shift ;;
    --vcores) vcores="$2"; shift ;;
    -h|--help) sed -n '2,51p' "$0"; exit 0 ;;
    *) echo "e2e-spark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$network" in host|routed) ;; *) echo "e2e-spark.sh: --network must be host or routed" >&2; exit 2 ;; esac
sandboxes=""   # the runtimes that go through the binary (all but host)
for rt in $runtimes; do [ "$rt" = host ] || sandboxes="$sandboxes $rt"; done

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

# ---- JDK, Hadoop and its classpath (scripts/hadoop-env.sh), binary, tenant ------------------------------------
. "$repo/scripts/hadoop-env.sh"
hadoop_env "org.apache.hadoop.conf.Configuration|hadoop-common" \
  "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor|hadoop-yarn-server-nodemanager" \
  "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager|hadoop-yarn-server-resourcemanager" \
  "org.apache.hadoop.yarn.server.MiniYARNCluster|hadoop-yarn-server-tests-*-tests.jar (share/hadoop/yarn/test)" \
  "org.bouncycastle.jce.provider.BouncyCastleProvider|bcprov (or Debian libbcprov-java libbcpkix-java libbcutil-java)"
hadoop_cp="$hadoop_cp:$junit"
group="${KYR_NM_GROUP:-hadoop}"
user="${KYR_E2E_USER:-${KYR_IT_USER:-kyrit}}"
id "$user" >/dev/null 2>&1 || cannot_run "tenant user $user does not exist" \
  "groupadd -f $group && useradd -m -G $group $user (uid >= the cfg's min.user.id), or set KYR_E2E_USER"
tenant="${KYR_E2E_TENANT:-alice}"
id "$tenant" >/dev/null 2>&1 || useradd -m -s /bin/bash "$tenant" || cannot_run "cannot create the tenant $tenant"
id -nG "$tenant" | tr ' ' '\n' | grep -qx "$group" &&
  cannot_run "tenant $tenant is in group $group" "tenants are never in the NM group: gpasswd -d $tenant $group, or set KYR_E2E_TENANT"
cfg=""
if [ -n "$sandboxes" ]; then
  [ -n "${KYR_BINARY:-}" ] && [ -f "$KYR_BINARY" ] ||
    cannot_run "KYR_BINARY is unset or missing (KYR_BINARY='${KYR_BINARY:-}')" \
      "install the binary root:$group mode 6050 (make install, docs/install.md) and export KYR_BINARY=<path>" \
      "(or --runtimes host for the baseline alone)"
  cfg="$(dirname "$(dirname "$(readlink -f "$KYR_BINARY")")")/etc/hadoop/container-executor.cfg"
  id -nG "$user" | tr ' ' '\n' | grep -qx "$group" || cannot_run "user $user is not in group $group" "usermod -a -G $group $user"
  runuser -u "$user" -- "$KYR_BINARY" --checksetup >/dev/null 2>&1 ||
    cannot_run "'$KYR_BINARY --checksetup' fails as $user" "$(runuser -u "$user" -- "$KYR_BINARY" --checksetup 2>&1 | head -3)"
fi
if [ "$network" = routed ]; then
  [ -n "$sandboxes" ] || cannot_run "--network routed needs a sandbox runtime (host containers have no network of their own)"
  for t in /usr/sbin/ip /usr/sbin/nft; do [ -x "$t" ] || cannot_run "--network routed needs $t" "apt-get install iproute2 nftables"; done
  node_addr="${KYR_E2E_NODE_ADDRESS:-$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i=1;i<NF;i++) if ($i=="src") print $(i+1)}')}"
  [ -n "$node_addr" ] && [ "${node_addr#127.}" = "$node_addr" ] ||
    cannot_run "--network routed: no non-loopback node address (got '${node_addr:-none}')" \
      "set KYR_E2E_NODE_ADDRESS to an address of this host that is not on lo"
  net_range="${KYR_E2E_NETWORK_RANGE:-10.244.7.0/26}"
fi
python="${KYR_E2E_PYTHON:-/usr/bin/python3}"
[ -x "$python" ] || cannot_run "no $python for the containers" "apt-get install python3, or set KYR_E2E_PYTHON"

# ---- Spark home (cached) -------------------------------------------------------------------------------------
. "$repo/scripts/spark-home.sh"
spark_home_ensure
py4j="$(ls "$SPARK_HOME"/python/lib/py4j-*-src.zip | head -1)"

# ---- the node's cfg must expose what the containers need ------------------------------------------------------
work="${KYR_E2E_WORKDIR:-/var/tmp/kyr-e2e-spark}"
case "$work" in /?*/?*) ;; *) cannot_run "KYR_E2E_WORKDIR=$work must be an absolute path at least two levels deep (it is wiped)" ;; esac
cfg_missing=()
if [ -n "$cfg" ]; then
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
for p in "$SPARK_HOME" "$work/conf" "$JAVA_HOME" "$(dirname "$(readlink -f "$python")")"; do
  covered "$p" "$ro" || covered "$p" "$rw" || cfg_missing+=("[kata] ro-mounts must include $p")
done
covered "$work/staging" "$rw" || cfg_missing+=("[kata] rw-mounts must include $work/staging (Spark's file:// staging dir, deleted by the AM)")
for rt in $sandboxes; do
  case ",$allowed," in *",$rt,"*) ;; *) cfg_missing+=("[kata] runtime.allowed must list $rt") ;; esac
done
fi
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

if [ -n "$cfg" ] && [ -f "$work.container-executor.cfg.backup" ]; then
  cannot_run "$work.container-executor.cfg.backup exists: an earlier --network routed run did not restore $cfg" \
    "compare them (diff), put the backup back if the cfg still has that run's network keys (cp -p <backup> $cfg), then remove the backup"
fi
# ---- clusters --------------------------------------------------------------------------------------------------------
# One MiniYARNCluster per executor kind, both up for the whole run so that runs can interleave across runtimes:
#   conf/       LinuxContainerExecutor -> the binary (every sandbox runtime)
#   conf-host/  DefaultContainerExecutor: the `host` baseline (containers are plain processes of the NM user)
rm -rf "$work"
mkdir -p "$work/conf" "$work/conf-host" "$work/staging/eventlog" "$work/data" "$work/home" "$work/logs" "$work/run" \
  "$work/spark-conf"
cp "$repo/scripts/e2e-spark-job.py" "$work/run/"
# Spark ships the client's log4j2.properties to every container (__spark_conf__); millisecond timestamps let
# e2e-spark-app.py date the JVM's first log line.
cat >"$work/spark-conf/log4j2.properties" <<'LOG4J'
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %p %c{1}: %m%n%ex
LOG4J
chown -R "$user" "$work" && chmod -R a+rX "$work"
chmod 1777 "$work/staging" "$work/staging/eventlog"   # the tenant's .sparkStaging and event logs
install -d -o "$tenant" -m 0755 "$work/home-tenant"
. "$repo/yarn-plugin/jdk17-flags.sh"
cluster_pids=()
cfg_backup=""
stop_clusters() {
  local pid
  touch "$work/conf/stop" "$work/conf-host/stop"
  for pid in "${cluster_pids[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  cluster_pids=()
}
restore_cfg() {
  [ -n "$cfg_backup" ] || return 0
  # same dir, same owner and mode, atomic: the binary never sees a half-written or group-writable cfg
  cp -p "$cfg_backup" "$cfg.kyr-e2e.tmp" && mv -f "$cfg.kyr-e2e.tmp" "$cfg" && log "restored $cfg from $cfg_backup" &&
    rm -f "$cfg_backup"
  cfg_backup=""
}
cleanup() { stop_clusters; restore_cfg; }
trap cleanup EXIT
trap 'exit 130' INT TERM
start_cluster() {  # conf dir, name, executor (linux|default), bind host
  local conf="$1" name="$2" executor="$3" bind="$4"
  log "starting MiniYARNCluster $name as $user ($([ "$executor" = default ] && echo "DefaultContainerExecutor: no sandbox" || echo "NodeManager -> $KYR_BINARY")${bind:+, bound to $bind}); log $work/$name.log"
  (cd "$work/data" && exec runuser -u "$user" -- env -i PATH="$PATH" JAVA_HOME="$JAVA_HOME" HOME="$work/home" \
    HADOOP_HOME="$HADOOP_HOME" KYR_BINARY="${KYR_BINARY:-}" KYR_NM_GROUP="$group" KYR_EXECUTOR="$executor" \
    KYR_CLUSTER_NAME="$name" KYR_CLUSTER_HOST="$bind" \
    nice -n 5 java "${jdk17[@]}" -Xmx1g -Dtest.build.data="$work/data" -Duser.home="$work/home" -Dhadoop.log.dir="$work/logs" \
    -cp "$classes:$plugin_jar:$hadoop_cp" io.github.katayarnruntime.yarn.KataMiniYarnClusterServer "$conf" 4096 $((3 * vcores + 1))) \
    >"$work/$name.log" 2>&1 &
  cluster_pids+=($!)
}
wait_cluster() {  # conf dir, name
  for _ in $(seq 1 240); do
    [ -f "$1/ready" ] && return 0
    kill -0 "${cluster_pids[-1]}" 2>/dev/null || break
    sleep 1
  done
  echo "e2e-spark.sh: the MiniYARNCluster $2 did not come up; last lines of $work/$2.log:" >&2
  tail -20 "$work/$2.log" >&2
  exit 1
}
case " $runtimes " in *" host "*) start_cluster "$work/conf-host" kata-e2e-host default "" ;; esac
[ -n "$sandboxes" ] && start_cluster "$work/conf" kata-e2e linux "${node_addr:-}"
case " $runtimes " in *" host "*) wait_cluster "$work/conf-host" kata-e2e-host ;; esac
[ -n "$sandboxes" ] && wait_cluster "$work/conf" kata-e2e
env_of() { sed -n "s/^$2=//p" "$1/cluster.env"; }
for c in conf conf-host; do
  [ -f "$work/$c/cluster.env" ] && log "cluster $c up: RM $(env_of "$work/$c" RM_ADDRESS), NM $(env_of "$work/$c" NODE_ID)"
done

# ---- routed networking: the cfg's network keys for the run ----------------------------------------------------------
state_root=""
net_leftovers_now() {  # veths, the nft table, namespace files: the whole node (nothing else should have them)
  ip -o link show | awk -F': ' '$2 ~ /^ky/ {print "veth " $2}'
  nft list tables 2>/dev/null | grep -x 'table inet kata_yarn'
  ls "$state_root/netns" 2>/dev/null | grep -vx 'ipam.lock' | sed 's/^/netns file /'
}
if [ "$network" = routed ]; then
  state_root="$(kata_value state-root)"
  rm_sched_port="$(env_of "$work/conf" RM_SCHEDULER_ADDRESS)"; rm_sched_port="${rm_sched_port##*:}"
  nm_port="$(env_of "$work/conf" NODE_ID)"; nm_port="${nm_port##*:}"
  # The AM talks to the RM's scheduler and to the NM (to start executors), both on this node: traffic from a routed
  # container to the node's own address goes through the input hook, which only network.node-ports opens
  # (network.allow governs forwarded traffic to other hosts).
  pre="$(net_leftovers_now)"
  if [ -n "$pre" ]; then   # someone else's routed containers: the leftover checks could not tell theirs from ours
    echo "e2e-spark.sh: routed networking objects exist before the run, so leftovers could not be judged: $pre" >&2
    exit 1
  fi
  # The backup lives next to the work dir, not in it (the next run wipes the work dir first), so that a run killed
  # before it could restore the cfg is noticed by the next one.
  cfg_backup="$work.container-executor.cfg.backup"
  cp -p "$cfg" "$cfg_backup"
  # Spark's executors bind and advertise `--hostname <the NodeManager's host>`: lend them ports of the node's address
  # (docs/networking.md, "Sharing the node's address"), above this node's ephemeral range so that no reservation is
  # needed, as many 64-port blocks as the range has addresses (or as fit).
  lent_low=$(( $(cut -f2 /proc/sys/net/ipv4/ip_local_port_range) + 1 ))
  capacity=$(( (1 << (32 - ${net_range#*/})) - 2 ))
  block=$(( (65535 - lent_low + 1) / capacity )); [ "$block" -gt 64 ] && block=64
  [ "$block" -ge 8 ] || cannot_run "--network routed: $net_range has $capacity addresses, too many for 8-port blocks above port $lent_low" \
    "set KYR_E2E_NETWORK_RANGE to a smaller block (a /26 gives 62 blocks of 64 ports)"
  lent="$lent_low-$(( lent_low + capacity * block - 1 ))"
  awk -v keys="  network=routed\n  network.range=$net_range\n  network.node-ports=$rm_sched_port,$nm_port\n  network.runsc=auto\n  network.nodes=$net_range@$node_addr\n  network.node-address.ports=$lent\n  network.node-address.block=$block" \
    '{print} /^\[kata\]/ && !done {print keys; done=1}' "$cfg_backup" >"$cfg.kyr-e2e.tmp"
  chown --reference="$cfg_backup" "$cfg.kyr-e2e.tmp" && chmod --reference="$cfg_backup" "$cfg.kyr-e2e.tmp" &&
    mv -f "$cfg.kyr-e2e.tmp" "$cfg"
  runuser -u "$user" -- "$KYR_BINARY" --checksetup >/dev/null 2>&1 ||
    { echo "e2e-spark.sh: the binary rejects the routed cfg: $(runuser -u "$user" -- "$KYR_BINARY" --checksetup 2>&1 | head -3)" >&2; exit 1; }
  log "cfg for this run (first occurrence wins, so these precede the node's own keys; backup $cfg_backup):"
  sed -n '/^\[kata\]/,+7p' "$cfg" | sed 's/^/    /'
fi

# ---- one application ------------------------------------------------------------------------------------------------
host_pid1="$(tr '\0' ' ' </proc/1/cmdline | sed 's/ *$//')"
host_pidns="$(readlink /proc/self/ns/pid)"   # this script's = the NodeManagers' (pid 1's may be unreadable)
host_netns="$(readlink /proc/self/ns/net)"
results=()   # "label|job|run|seconds|pass|clean|app"
records="$work/results.jsonl"
: >"$records"
failures=0
# Leftovers are judged on this cluster's containers only (other work on the node may have sandboxes of its own):
# their ids carry the ResourceManager's start time, container_<cluster ts>_..., and their dirs live under $work.
cluster_ts=""
ours() { if [ -n "$cluster_ts" ]; then grep -E -e "_${cluster_ts}_" -e "$work/" || true; else grep -F "$work/" || true; fi; }
mount_leftovers() { ours </proc/self/mountinfo; }
our_sandboxes() { [ -n "$sandboxes" ] || return 0; runuser -u "$user" -- "$KYR_BINARY" list 2>&1 | tail -n +2 | ours; }
net_leftovers() { [ "$network" = routed ] && net_leftovers_now; }
label_of() {
  local l="$1"
  if [ "$1" = runsc ] && [ "$runsc_workaround" = 1 ]; then l="runsc*"
  elif [ "$no_daemon_all" = 1 ] && [ "$1" != host ]; then l="$1 (no daemon)"; fi
  [ "$network" = routed ] && [ "$1" != host ] && l="$l (routed)"
  [ "$vcores" != 1 ] && l="$l [$vcores vcores]"
  echo "$l"
}
submit() {  # runtime job name logfile: spark-submit as the tenant; echoes its exit status
  local rt="$1" job="$2" name="$3" out="$4" conf="$work/conf" extra=()
  [ "$rt" = host ] && conf="$work/conf-host"
  if [ "$rt" != host ]; then
    extra+=(--conf spark.executorEnv.YARN_CONTAINER_RUNTIME_TYPE=kata --conf spark.yarn.appMasterEnv.YARN_CONTAINER_RUNTIME_TYPE=kata
            --conf spark.executorEnv.YARN_CONTAINER_RUNTIME_KATA_RUNTIME="$rt"
            --conf spark.yarn.appMasterEnv.YARN_CONTAINER_RUNTIME_KATA_RUNTIME="$rt")
  fi
  if { [ "$rt" = runsc ] && [ "$runsc_workaround" = 1 ]; } || { [ "$no_daemon_all" = 1 ] && [ "$rt" != host ]; }; then
    extra+=(--conf spark.python.use.daemon=false)
  fi
  # No SPARK_LOCAL_IP, spark.driver.host or bindAddress: in cluster mode the driver and executors pick their own.
  local who="$tenant" home="$work/home-tenant"
  [ "$rt" = host ] && { who="$user"; home="$work/home"; }
  (cd "$work/run" && runuser -u "$who" -- env -i PATH="$PATH" JAVA_HOME="$JAVA_HOME" HOME="$home" \
    HADOOP_CONF_DIR="$conf" YARN_CONF_DIR="$conf" SPARK_HOME="$SPARK_HOME" SPARK_CONF_DIR="$work/spark-conf" \
    PYSPARK_PYTHON="$python" \
    nice -n 5 "$SPARK_HOME/bin/spark-submit" --master yarn --deploy-mode cluster --name "$name" \
      --num-executors 2 --executor-memory 512m --executor-cores "$vcores" --driver-memory 512m --driver-cores "$vcores" \
      --conf spark.task.cpus="$vcores" \
      --conf spark.yarn.jars="local:$SPARK_HOME/jars/*" \
      --conf spark.yarn.stagingDir="file://$work/staging" \
      --conf spark.eventLog.enabled=true --conf spark.eventLog.dir="file://$work/staging/eventlog" \
      --conf spark.pyspark.python="$python" --conf spark.pyspark.driver.python="$python" \
      --conf spark.dynamicAllocation.enabled=false \
      --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
      --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s \
      --conf spark.yarn.submit.waitAppCompletion=true --conf spark.yarn.report.interval=2s \
      --conf spark.ui.enabled=false "${extra[@]}" \
      "$work/run/e2e-spark-job.py" "$job" 2) >"$out" 2>&1
  echo $?
}
app_dir() {  # runtime app: the application's log dir in its cluster's NM log dirs
  local conf="$work/conf" d
  [ "$1" = host ] && conf="$work/conf-host"
  local IFS=,
  for d in $(env_of "$conf" NM_LOG_DIRS); do [ -d "${d#file:}/$2" ] && echo "${d#file:}/$2"; done
}
wait_clean() {  # the NM finishes the containers once the app is done; give it some seconds. Echoes what is left.
  local left
  for _ in $(seq 1 30); do
    left="$(our_sandboxes; mount_leftovers | sed 's/^/mount /'; net_leftovers)"
    [ -z "$left" ] && return 0
    sleep 1
  done
  echo "$left"
}

run_app() {  # runtime job run
  local rt="$1" job="$2" n="$3" rtsafe="${1//[:\/]/_}" label t0 t1 secs rc app load
  label="$(label_of "$rt")"
  local out="$work/run/$rtsafe-$job-$n.submit.log"
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$(date +%s.%N)
  rc="$(submit "$rt" "$job" "kyr-e2e-$job-$rtsafe-$n" "$out")"
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  app="$(grep -oE 'application_[0-9]+_[0-9]+' "$out" | tail -1)"
  [ -n "$app" ] && [ -z "$cluster_ts" ] && [ "$rt" != host ] && { cluster_ts="${app#application_}"; cluster_ts="${cluster_ts%_*}"; }
  local cluster_log="$work/kata-e2e.log" why=() verdict pass=no clean=no left
  [ "$rt" = host ] && cluster_log="$work/kata-e2e-host.log"
  verdict="$(python3 "$repo/scripts/e2e-spark-app.py" --runtime "$rt" --label "$label" --job "$job" --run "$n" --app "${app:-none}" \
    --appdir "$(app_dir "$rt" "${app:-none}")" --cluster-log "$cluster_log" --eventlog-dir "$work/staging/eventlog" \
    --wall "$secs" --load "$load" --rc "$rc" --submit-ts "$t0" --host-pid1 "$host_pid1" --host-pidns "$host_pidns" \
    --host-netns "$host_netns" --network "$([ "$rt" = host ] && echo host || echo "$network")" --range "${net_range:-}" \
    2>"$work/run/$rtsafe-$job-$n.check.err")" && pass=yes
  [ -n "$verdict" ] && echo "$verdict" >>"$records"
  [ "$pass" = yes ] || why+=("$(tr '\n' ';' <"$work/run/$rtsafe-$job-$n.check.err")")
  # Whose containers they were: every container's stdout is written by the submitter (the tenant, outside the group).
  local who="$tenant" c
  [ "$rt" = host ] && who="$user"
  for c in $(app_dir "$rt" "${app:-none}" | sed 's|$|/container_*|'); do
    [ -e "$c/stdout" ] && [ "$(stat -c %U "$c/stdout")" != "$who" ] && { pass=no; why+=("$(basename "$c") ran as $(stat -c %U "$c/stdout"), not $who"); }
  done
  left="$(wait_clean)"
  if [ -z "$left" ]; then clean=yes; else why+=("left behind: $(echo "$left" | tr '\n' ' ')"); fi
  results+=("$label|$job|$n|$secs|$pass|$clean|${app:-?}")
  if [ "$pass$clean" = yesyes ]; then
    log "$label $job run $n: PASS in ${secs}s ($app, load $load)"
  else
    failures=$((failures + 1))
    log "$label $job run $n: FAIL in ${secs}s (${app:-no app}): $(IFS=';'; echo "${why[*]}")"
    grep -E 'Diagnostics|Exception|Error' "$out" | grep -v '^\s*at ' | head -5 | sed 's/^/    /'
  fi
}

# A routed application killed mid-run (executors running): the NM stops the containers, the binary tears down their
# networks. What `yarn application -kill` does, through the cluster's own YarnClient (KataMiniYarnClusterServer).
kill_app_test() {  # runtime
  local rt="$1" rtsafe="${1//[:\/]/_}" out app left pid
  out="$work/run/$rtsafe-killed.submit.log"
  submit "$rt" shuffle "kyr-e2e-killed-$rtsafe" "$out" >/dev/null &
  pid=$!
  app=""
  local running=0
  for _ in $(seq 1 180); do   # wait until the AM and at least one executor sandbox are running, then kill
    app="$(grep -oE 'application_[0-9]+_[0-9]+' "$out" 2>/dev/null | tail -1)"
    [ -n "$app" ] && running="$(our_sandboxes | grep -c "${app#application_}" || true)"
    [ "$running" -ge 2 ] && break
    sleep 1
  done
  sleep 3   # let the executors' JVMs get going
  if [ -z "$app" ]; then
    log "killed run ($rt): FAIL: no application id in $out"; failures=$((failures + 1)); return
  fi
  running="$(our_sandboxes | grep -c "${app#application_}" || true)"
  # Evidence from the binary's own records: each running container's network mode, address, hostname, runsc's
  # stack and its share of the node's address.
  local cid placed=yes
  for cid in $(our_sandboxes | grep "${app#application_}" | awk '{print $1}'); do
    runuser -u "$user" -- "$KYR_BINARY" state "$cid" 2>/dev/null | python3 -c '
import ipaddress, json, sys
d = json.load(sys.stdin)
ok = d.get("network") == "routed" and ipaddress.ip_address(d.get("address", "0.0.0.0")) in ipaddress.ip_network(sys.argv[2]) \
    and str(d.get("hostname", "")).startswith("c-")
extra = "".join(" %s=%s" % (k, d[k]) for k in ("runscNetwork", "nodeAddressPorts") if k in d)
print("e2e-spark.sh:   %s: network=%s address=%s hostname=%s%s %s" % (sys.argv[1], d.get("network"), d.get("address"),
      d.get("hostname"), extra, "ok" if ok else "NOT ROUTED IN RANGE"))
sys.exit(0 if ok else 1)' "$cid" "$net_range" || placed=no
  done
  log "  before the kill (veth / nft table / netns file counts): $(net_leftovers_now | awk '{print $1}' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')"
  echo "$app" >"$work/conf/kill"
  for _ in $(seq 1 60); do [ -f "$work/conf/kill.done" ] && break; sleep 1; done
  wait "$pid"
  left="$(wait_clean)"
  log "killed run ($rt): $(cat "$work/conf/kill.done" 2>/dev/null || echo 'no answer from the cluster') with $running sandbox(es) running;" \
    "$([ -z "$left" ] && echo 'nothing left behind (sandboxes, mounts, veths, nft table, netns files)' || echo "LEFT: $left")"
  local ok=no
  grep -qs 'state KILLED' "$work/conf/kill.done" && [ -z "$left" ] && [ "$running" -ge 1 ] && [ "$placed" = yes ] && ok=yes
  rm -f "$work/conf/kill.done"
  [ "$ok" = yes ] || failures=$((failures + 1))
  results+=("$(label_of "$rt") (killed)|shuffle|-|-|$ok|$([ -z "$left" ] && echo yes || echo no)|$app")
}

# Runs are interleaved across runtimes so that load from other work on the machine spreads over all of them.
for n in $(seq 1 "$runs"); do
  for rt in $runtimes; do
    for job in $jobs; do
      run_app "$rt" "$job" "$n"
    done
  done
done
if [ "$network" = routed ]; then
  kill_app_test "$(echo $sandboxes | cut -d' ' -f1)"
fi
stop_clusters
restore_cfg
trap - EXIT
final_left="$(our_sandboxes; mount_leftovers | sed 's/^/mount /'; net_leftovers)"

# ---- table -------------------------------------------------------------------------------------------------------------
echo
printf '%-30s %-8s %-4s %9s %-5s %-6s %s\n' runtime job run "wall(s)" pass clean application
for r in "${results[@]}"; do
  IFS='|' read -r rt job n secs pass clean app <<<"$r"
  printf '%-30s %-8s %-4s %9s %-5s %-6s %s\n' "$rt" "$job" "$n" "$secs" "$pass" "$clean" "$app"
done
echo
echo "machine: $(nproc) cores, load now $(cut -d' ' -f1-3 /proc/loadavg); network: $network"
python3 "$repo/bench/spark_yarn.py" summarize "$records" ${results_json:+--out "$results_json"} \
  --runs "$runs" --network "$network" --command "scripts/e2e-spark.sh $orig_args" || failures=$((failures + 1))
[ "$runsc_workaround" = 1 ] && case " $runtimes " in *" runsc "*)
  echo "runsc* = with spark.python.use.daemon=false: runsc --network=host (gVisor 20221219) returns EAGAIN from read(2) on a blocking accepted TCP socket, which breaks PySpark's worker daemon (docs/spark.md)" ;; esac
echo "after the clusters stopped, left behind by this run: ${final_left:-nothing}"
[ -z "$final_left" ] || failures=$((failures + 1))
echo "logs: $work/run/*.submit.log, $work/kata-e2e*.log; container logs under the NM log dirs in $work/data"
if [ "$failures" -gt 0 ]; then
  echo "e2e-spark.sh: $failures failure(s)"
  exit 1
fi
echo "e2e-spark.sh: all runs passed"
