#!/usr/bin/env bash
# A live YARN node end to end (issue 17): a real Hadoop 3.3.x ResourceManager and NodeManager as separate daemons,
# not an in-JVM cluster. Called by `make e2e-live`.
#
# Installs the release binary setuid (make install PREFIX=$KYR_LIVE_PREFIX NM_GROUP=hadoop: root:hadoop 6050, the
# cfg root-owned with root-only ancestry), writes core-site.xml, yarn-site.xml and mapred-site.xml for
# LinuxContainerExecutor with that binary (nonsecure-mode.limit-users=false, allowed-runtimes default plus the
# project's `kata` plugin when yarn-plugin/build-with-javac.sh builds it, NM recovery, the mapreduce_shuffle
# aux-service), and starts both daemons as `yarn` (group hadoop) in a network namespace that has only `lo`, entered
# with `nsenter --net` (so every port is loopback-only and private to this run). Jobs are submitted by `alice`, who
# is NOT in group hadoop; `bob` is the second tenant. Per runtime (the cfg's [kata] runtime.default; `host` is YARN
# without a sandbox, DefaultContainerExecutor, measured in the same run) it checks:
#   ds        distributedshell with 2 containers: both ran as alice, inside the sandbox (pid 1 = /dev/.kyr-init,
#             KATA_YARN_RUNTIME=<runtime>), and (with the plugin) through the YARN_CONTAINER_RUNTIME_TYPE=kata opt-in
#   mr-pi     MapReduce pi, 2 maps and a reducer (the shuffle: reducers fetch map outputs from the NM's
#             ShuffleHandler, which must read alice's appcache as yarn); the estimate is checked
#   kill      an application killed while its container sleeps: KILLED, and its sandbox gone
#   nm-restart  the NM is stopped (SIGTERM, recovery supervised) while a container runs, the sandbox survives, a new
#             NM recovers the container and reads its exit code (3) after it ends
#   spark-pi, spark-shuffle  PySpark Pi and a shuffle job (2 M rows, DataFrame groupBy + RDD reduceByKey) in cluster
#             mode, 2 executors (scripts/e2e-spark-job.py): the answer checked by the driver, every executor and the
#             driver in the sandbox (KYR-RESULT ... runtimes=<runtime> pid1_kyr_init=true), every container's stdout
#             written by the submitter; no per-application workaround (runsc gets PySpark's daemon as-is)
#   cleanup   after every application: no appcache/<app> left, usercache/alice/appcache empty, bob's files intact
#   shutdown  both daemons stopped: `kata-yarn-runtime list` empty, nothing in this run's state root, no mount of
#             this run left (judged on this run's state root and work dir only: others may use the node)
# and prints a table of checks and wall times per runtime.
#
# Usage: scripts/e2e-live.sh [--allow-skip] [--runtimes "host runc runsc shim:containerd-shim-runc-v2"] [--keep]
#                            [--results FILE]
#   --allow-skip  a missing prerequisite prints "SKIP: e2e-live: <what is missing>" and exits 0 (default: exit 2)
#   --results FILE  also write the table as a Markdown section (commit, command, date) for docs/benchmarks.md
#                 (bench/results/live-rm-nm.md is what `make bench-report` includes)
#   --keep        leave the work dir (daemon logs, container logs) in place after a pass (always kept on failure)
# Environment:
#   HADOOP_HOME       a Hadoop 3.3.x binary tree (share/hadoop/{common,hdfs,yarn,mapreduce}, etc/hadoop). Required.
#   KYR_LIVE_PREFIX   install prefix for the binary (default /opt/kyr-live/prefix; root-owned, not under /tmp)
#   KYR_LIVE_WORKDIR  scratch dir (default /var/tmp/kyr-live/run; wiped at start)
#   KYR_LIVE_TENANT, KYR_LIVE_TENANT2, KYR_LIVE_NM_USER   default alice, bob, yarn (created when missing)
#   KYR_LIVE_PORT_BASE  first of the RM/NM ports inside the namespace (default 18030)
#   SPARK_HOME        a Spark 3.5.x home (default: the cache of scripts/spark-home.sh, laid out from PyPI's pyspark)
#   SWIFT             the Swift driver for `make install` (default: swift on PATH)
# Exit status: 0 every check passed (or SKIP with --allow-skip); 1 a check failed; 2 a prerequisite is missing.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
allow_skip=0
keep=0
results_md=""
orig_args="$*"
# The commit this run tests (taken at the start: the tree may move while it runs)
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo '+uncommitted')"
runtimes="host runc runsc shim:containerd-shim-runc-v2"
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-skip) allow_skip=1 ;;
    --keep) keep=1 ;;
    --runtimes) runtimes="$2"; shift ;;
    --results) results_md="$2"; shift ;;
    -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
    *) echo "e2e-live.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

cannot_run() {  # headline, details...: the exact missing piece
  local headline="$1"
  shift
  { echo "e2e-live.sh: cannot run the live RM + NM suite: $headline"; [ $# -gt 0 ] && printf '  %s\n' "$@"; } >&2
  if [ "$allow_skip" = 1 ]; then echo "SKIP: e2e-live: $headline"; exit 0; fi
  exit 2
}
log() { echo "e2e-live.sh: $(date -u +%H:%M:%S) $*"; }

[ "$(id -u)" = 0 ] || cannot_run "must run as root (it installs the setuid binary and starts daemons as yarn)"
for t in nsenter setpriv ip make; do command -v "$t" >/dev/null || cannot_run "no $t on PATH" "apt-get install util-linux iproute2 make"; done

# ---- JDK and Hadoop ------------------------------------------------------------------------------------------
. "$repo/scripts/hadoop-env.sh"   # hadoop_env: JAVA_HOME, PATH, HADOOP_HOME checked, $share, $hadoop_cp, the classes
hadoop_env "org.apache.hadoop.conf.Configuration|hadoop-common-3.3.x.jar (share/hadoop/common)" \
  "org.apache.hadoop.hdfs.DistributedFileSystem|hadoop-hdfs-client-3.3.x.jar (share/hadoop/hdfs)" \
  "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager|hadoop-yarn-server-resourcemanager-3.3.x.jar" \
  "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor|hadoop-yarn-server-nodemanager-3.3.x.jar" \
  "org.apache.hadoop.yarn.applications.distributedshell.Client|hadoop-yarn-applications-distributedshell-3.3.x.jar" \
  "org.apache.hadoop.yarn.client.cli.ApplicationCLI|hadoop-yarn-client-3.3.x.jar" \
  "org.apache.hadoop.mapred.ShuffleHandler|hadoop-mapreduce-client-shuffle-3.3.x.jar" \
  "org.apache.hadoop.examples.QuasiMonteCarlo|hadoop-mapreduce-examples-3.3.x.jar" \
  "org.bouncycastle.jce.provider.BouncyCastleProvider|bcprov (share/hadoop/yarn/lib; Debian libbcprov-java's jars may replace it)"
HADOOP_HOME="$(readlink -f "$HADOOP_HOME")"
# Containers get the tree's own folders (yarn.application.classpath), not the test jars hadoop_cp also holds.
cp_dirs=(common common/lib hdfs hdfs/lib yarn yarn/lib mapreduce)
ds_jar="$(ls "$share"/yarn/hadoop-yarn-applications-distributedshell-*.jar | head -1)"
ex_jar="$(ls "$share"/mapreduce/hadoop-mapreduce-examples-*.jar | head -1)"
. "$repo/yarn-plugin/jdk17-flags.sh"
. "$repo/scripts/spark-home.sh"
spark_home_ensure
python=/usr/bin/python3   # under rootfs.host-dirs=/usr: visible in every sandbox
[ -x "$python" ] || cannot_run "no $python for PySpark" "apt-get install python3"

# ---- users: the NM user in the NM group, tenants outside it ---------------------------------------------------
group=hadoop
nm_user="${KYR_LIVE_NM_USER:-yarn}"
tenant="${KYR_LIVE_TENANT:-alice}"
tenant2="${KYR_LIVE_TENANT2:-bob}"
getent group "$group" >/dev/null || groupadd "$group"
id "$nm_user" >/dev/null 2>&1 || useradd -r -g "$group" -s /usr/sbin/nologin "$nm_user"
id -nG "$nm_user" | tr ' ' '\n' | grep -qx "$group" || usermod -a -G "$group" "$nm_user"
for u in "$tenant" "$tenant2"; do
  id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
  if id -nG "$u" | tr ' ' '\n' | grep -qx "$group"; then
    cannot_run "tenant $u is in group $group" "tenants are never in the NM group: gpasswd -d $u $group (or set KYR_LIVE_TENANT/KYR_LIVE_TENANT2)"
  fi
  [ "$(id -u "$u")" -ge 1000 ] || cannot_run "tenant $u has uid $(id -u "$u") < min.user.id 1000"
done

# ---- the binary, installed setuid ----------------------------------------------------------------------------
prefix="${KYR_LIVE_PREFIX:-/opt/kyr-live/prefix}"
case "$prefix" in /tmp/*|/var/tmp/*|/dev/shm/*) cannot_run "KYR_LIVE_PREFIX=$prefix is under a world-writable dir (the cfg's ancestry must be root-only)" ;; esac
swift="$(command -v "${SWIFT:-swift}" || true)"
[ -n "$swift" ] || cannot_run "no Swift toolchain for make install" "export PATH=<swift>/usr/bin:\$PATH or SWIFT=<swift driver>"
log "make install PREFIX=$prefix NM_GROUP=$group"
(cd "$repo" && make -s install PREFIX="$prefix" NM_GROUP="$group" SWIFT="$swift") >"/var/tmp/e2e-live-install.log" 2>&1 ||
  { tail -20 /var/tmp/e2e-live-install.log >&2; echo "e2e-live.sh: make install failed" >&2; exit 1; }
bin="$prefix/bin/kata-yarn-runtime"
cfg="$prefix/etc/hadoop/container-executor.cfg"
[ "$(stat -c '%U:%G %a' "$bin")" = "root:$group 6050" ] || { echo "e2e-live.sh: $bin is $(stat -c '%U:%G %a' "$bin"), not root:$group 6050" >&2; exit 1; }
d="$(dirname "$cfg")"
while [ "$d" != / ]; do
  [ "$(stat -c %u "$d")" = 0 ] && [ $(( 0$(stat -c %a "$d") & 022 )) = 0 ] ||
    cannot_run "$d (an ancestor of the cfg) is not root-owned without group/other write" "use a KYR_LIVE_PREFIX whose every parent is root-owned 0755"
  d="$(dirname "$d")"
done

# ---- the YARN plugin (optional) -------------------------------------------------------------------------------
plugin_jar=""
if HADOOP_HOME="$HADOOP_HOME" bash "$repo/yarn-plugin/build-with-javac.sh" >/var/tmp/e2e-live-plugin.log 2>&1; then
  plugin_jar="$repo/yarn-plugin/target/kata-yarn-runtime-plugin.jar"
  plugin_copy="$prefix/share/kata-yarn-runtime-plugin.jar"   # the NM reads it from a root-owned place
  install -D -m 0644 "$plugin_jar" "$plugin_copy" && plugin_jar="$plugin_copy"
  log "plugin built: containers of ds/kill/nm-restart opt in with YARN_CONTAINER_RUNTIME_TYPE=kata"
else
  log "plugin not built ($(tail -1 /var/tmp/e2e-live-plugin.log)): every container takes the default runtime path"
fi

# ---- work dir, network namespace ------------------------------------------------------------------------------
work="${KYR_LIVE_WORKDIR:-/var/tmp/kyr-live/run}"
state_root="/run/kyr-live-$(basename "$work")"
port="${KYR_LIVE_PORT_BASE:-18030}"
netns="kyr-live-$$"
if [ -e "$work" ]; then
  [ -f "$work/.e2e-live" ] || cannot_run "$work exists and was not made by e2e-live.sh" "remove it or set KYR_LIVE_WORKDIR"
  rm -rf "$work"
fi
mkdir -p "$work"/{conf,local,logs,recovery,daemons,jobs,home}
touch "$work/.e2e-live"
mkdir -p -m 1777 "$work/staging" "$work/tmp"
chmod 0755 "$work" "$work/conf" "$work/jobs"
chown "$nm_user:$group" "$work/local" "$work/logs" "$work/recovery" "$work/daemons"
for u in "$tenant" "$nm_user"; do install -d -o "$u" -m 0755 "$work/jobs/$u" "$work/home/$u"; done
ip netns add "$netns" || cannot_run "cannot create a network namespace (ip netns add $netns)"
ip -n "$netns" link set lo up
in_ns=(nsenter --net="/run/netns/$netns")

pids=()
cleanup_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  for p in $(ns_procs "$tenant") $(ns_procs "$nm_user"); do kill "$p" 2>/dev/null; done
  ip netns del "$netns" 2>/dev/null
}
trap cleanup_all EXIT

# ---- configuration -------------------------------------------------------------------------------------------
prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }
site() { echo '<?xml version="1.0"?>'; echo '<configuration>'; cat; echo '</configuration>'; }
app_cp="$work/conf,$(for d in "${cp_dirs[@]}"; do [ -d "$share/$d" ] && printf '%s,' "$share/$d/*"; done)"
app_cp="${app_cp%,}"
write_conf() {  # runtime
  local rt="$1" executor=org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor allowed=default
  [ "$rt" = host ] && executor=org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor
  [ -n "$plugin_jar" ] && allowed=default,kata
  site >"$work/conf/core-site.xml" <<EOF
$(prop fs.defaultFS file:///)
$(prop hadoop.tmp.dir "$work/tmp/hadoop-\${user.name}")
EOF
  site >"$work/conf/yarn-site.xml" <<EOF
$(prop yarn.resourcemanager.hostname localhost)
$(prop yarn.resourcemanager.bind-host 127.0.0.1)
$(prop yarn.resourcemanager.scheduler.address "localhost:$port")
$(prop yarn.resourcemanager.resource-tracker.address "localhost:$((port + 1))")
$(prop yarn.resourcemanager.address "localhost:$((port + 2))")
$(prop yarn.resourcemanager.admin.address "localhost:$((port + 3))")
$(prop yarn.resourcemanager.webapp.address "localhost:$((port + 58))")
$(prop yarn.nodemanager.hostname localhost)
$(prop yarn.nodemanager.bind-host 127.0.0.1)
$(prop yarn.nodemanager.localizer.address "localhost:$((port + 10))")
$(prop yarn.nodemanager.address "localhost:$((port + 11))")
$(prop yarn.nodemanager.webapp.address "localhost:$((port + 12))")
$(prop yarn.nodemanager.container-executor.class "$executor")
$(prop yarn.nodemanager.linux-container-executor.path "$bin")
$(prop yarn.nodemanager.linux-container-executor.group "$group")
$(prop yarn.nodemanager.linux-container-executor.nonsecure-mode.limit-users false)
$(prop yarn.nodemanager.runtime.linux.allowed-runtimes "$allowed")
$(prop yarn.nodemanager.runtime.linux.kata.class io.github.katayarnruntime.yarn.KataContainerRuntime)
$(prop yarn.nodemanager.local-dirs "$work/local")
$(prop yarn.nodemanager.log-dirs "$work/logs")
$(prop yarn.nodemanager.recovery.enabled true)
$(prop yarn.nodemanager.recovery.supervised true)
$(prop yarn.nodemanager.recovery.dir "$work/recovery")
$(prop yarn.nodemanager.aux-services mapreduce_shuffle)
$(prop yarn.nodemanager.aux-services.mapreduce_shuffle.class org.apache.hadoop.mapred.ShuffleHandler)
$(prop yarn.nodemanager.resource.memory-mb 6144)
$(prop yarn.nodemanager.resource.cpu-vcores 4)
$(prop yarn.scheduler.minimum-allocation-mb 128)
$(prop yarn.nodemanager.vmem-check-enabled false)
$(prop yarn.nodemanager.pmem-check-enabled false)
$(prop yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage 99)
$(prop yarn.nodemanager.delete.debug-delay-sec 0)
$(prop yarn.log-aggregation-enable false)
$(prop yarn.nodemanager.env-whitelist JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,HADOOP_YARN_HOME,HADOOP_MAPRED_HOME)
$(prop yarn.nodemanager.admin-env "JDK_JAVA_OPTIONS=${jdk17[*]}")
$(prop yarn.application.classpath "$app_cp")
EOF
  site >"$work/conf/mapred-site.xml" <<EOF
$(prop mapreduce.framework.name yarn)
$(prop yarn.app.mapreduce.am.staging-dir "$work/staging")
$(prop mapreduce.jobhistory.address "")
$(prop mapreduce.application.classpath "$app_cp")
$(prop yarn.app.mapreduce.am.env "HADOOP_MAPRED_HOME=$HADOOP_HOME")
$(prop mapreduce.map.env "HADOOP_MAPRED_HOME=$HADOOP_HOME")
$(prop mapreduce.reduce.env "HADOOP_MAPRED_HOME=$HADOOP_HOME")
$(prop yarn.app.mapreduce.am.resource.mb 512)
$(prop yarn.app.mapreduce.am.command-opts -Xmx384m)
$(prop mapreduce.map.memory.mb 384)
$(prop mapreduce.reduce.memory.mb 384)
$(prop mapreduce.map.java.opts -Xmx256m)
$(prop mapreduce.reduce.java.opts -Xmx256m)
EOF
  cp "$HADOOP_HOME/etc/hadoop/capacity-scheduler.xml" "$work/conf/" 2>/dev/null || true
  cat >"$work/conf/log4j.properties" <<'EOF'
log4j.rootLogger=INFO,console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.err
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
EOF
  chmod 0644 "$work"/conf/*
  [ "$rt" = host ] && return 0
  # The installed cfg: the sample with this run's runtime, state root and mounts (first occurrence of a key wins,
  # so the sample's own lines are replaced, and the keys it only shows commented are added under [kata]).
  sed -e "s|^  runtime.default=.*|  runtime.default=$rt|" \
      -e "s|^  runtime.allowed=.*|  runtime.allowed=runc,runsc,shim:containerd-shim-runc-v2|" \
      -e "s|^  state-root=.*|  state-root=$state_root|" \
      -e "s|^\[kata\]\$|[kata]\n  ro-mounts=$work/conf,$SPARK_HOME\n  rw-mounts=$work/staging,$work/jobs|" \
      "$repo/hadoop-conf/container-executor.cfg" >"$cfg.new" && chmod 0644 "$cfg.new" && mv "$cfg.new" "$cfg"
}

# ---- daemons -------------------------------------------------------------------------------------------------
daemon_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin JAVA_HOME="$JAVA_HOME" HADOOP_HOME="$HADOOP_HOME"
  HADOOP_COMMON_HOME="$HADOOP_HOME" HADOOP_HDFS_HOME="$HADOOP_HOME" HADOOP_YARN_HOME="$HADOOP_HOME"
  HADOOP_MAPRED_HOME="$HADOOP_HOME" HADOOP_CONF_DIR="$work/conf" HOME="$work/daemons")
as_yarn=(setpriv --reuid="$nm_user" --regid="$group" --init-groups)
rm_pid=""
nm_pid=""
start_daemon() {  # rm|nm
  local cls=org.apache.hadoop.yarn.server.resourcemanager.ResourceManager cp="$work/conf:$hadoop_cp" p
  [ "$1" = nm ] && cls=org.apache.hadoop.yarn.server.nodemanager.NodeManager
  [ "$1" = nm ] && [ -n "$plugin_jar" ] && cp="$cp:$plugin_jar"
  (cd "$work/daemons" && umask 0022 && exec "${in_ns[@]}" "${as_yarn[@]}" "${daemon_env[@]}" \
    java "${jdk17[@]}" -Xmx512m -Dhadoop.log.dir="$work/daemons" -Dyarn.log.dir="$work/daemons" \
    -Dlog4j.configuration="file:$work/conf/log4j.properties" -cp "$cp" "$cls") >>"$work/daemons/$1.log" 2>&1 &
  p=$!
  pids+=("$p")
  if [ "$1" = rm ]; then rm_pid=$p; else nm_pid=$p; fi
}
stop_daemon() {  # pid: SIGTERM, then up to 60 s (an NM needs more than Hadoop's default 5 s to stop cleanly)
  local p="$1" i
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || return 0
  for i in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$p" 2>/dev/null && { log "daemon $p did not stop in 60 s: SIGKILL"; kill -9 "$p"; }
  wait "$p" 2>/dev/null
  return 0
}
yarn_cli() { as_tenant java "${jdk17[@]}" -cp "$work/conf:$hadoop_cp" org.apache.hadoop.yarn.client.cli.ApplicationCLI application "$@" 2>/dev/null; }
wait_nm_registered() {  # up to 90 s for the NM to be RUNNING in the RM
  local i
  for i in $(seq 1 45); do
    as_tenant java "${jdk17[@]}" -cp "$work/conf:$hadoop_cp" org.apache.hadoop.yarn.client.cli.NodeCLI -list 2>/dev/null |
      grep -q 'RUNNING' && return 0
    sleep 2
  done
  return 1
}
# The submitter: the tenant; for `host` (DefaultContainerExecutor runs every container as the NM user, whose
# localizer cannot read a tenant's 0700 staging dir) the NM user itself, as on a real non-secure DCE node.
submitter="$tenant"
as_tenant() {  # cmd...: as the submitter, in the namespace, from its jobs dir, user.home = its home in the work dir
  (cd "$work/jobs/$submitter" && "${in_ns[@]}" setpriv --reuid="$submitter" --regid="$(id -g "$submitter")" --init-groups \
    env -i PATH=/usr/bin:/bin JAVA_HOME="$JAVA_HOME" HADOOP_CONF_DIR="$work/conf" HOME="$work/home/$submitter" \
    JAVA_TOOL_OPTIONS="-Duser.home=$work/home/$submitter" "$@")
}
tenant_java() { as_tenant java "${jdk17[@]}" -Xmx256m -cp "$work/conf:$hadoop_cp" "$@"; }
ns_procs() {  # user [pattern]: that user's processes in this run's network namespace
  local ino p
  ino="$(stat -L -c %i "/run/netns/$netns")"
  for p in $(pgrep -u "$1" ${2:+-f "$2"}); do
    [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$ino" ] && echo "$p"
  done
}
app_of() { grep -oE "application_[0-9]+_[0-9]+" "$1" 2>/dev/null | head -1; }
app_state() { yarn_cli -status "$1" | tee "$work/status-$1.txt" | awk -F' : ' '/^\tState/ {s=$2} /Final-State/ {f=$2} END {print s "/" f}'; }
sandboxes() {  # this run's sandboxes (the state root is this run's own)
  [ -f "$cfg" ] || return 0
  "${as_yarn[@]}" env -i "$bin" list 2>/dev/null | tail -n +2 | grep -v '^ *$' || true
}

# ---- checks --------------------------------------------------------------------------------------------------
declare -A result secs note
fail=0
record() {  # runtime check pass|fail seconds note
  result["$1|$2"]="$3"; secs["$1|$2"]="$4"; note["$1|$2"]="${5:-}"
  [ "$3" = pass ] || fail=1
  log "$1 $2: $3 (${4}s)${5:+ — $5}"
}
optin=()
ds() {  # runtime out name script num-containers: distributedshell as the submitter, running the script text
  local rt="$1" out="$2" name="${3//:/-}" script="$work/jobs/$submitter/${3//:/-}.sh" n="$5" extra=()   # DS: no ':' in a name
  # DS runs -shell_command as bash -c "<cmd> 1>stdout", so only a single command's output is logged; its
  # -shell_script renames the shared script file per container and fails the second on a file:// FS. So: one command,
  # bash <script>, the script in the jobs dir (visible in the sandboxes through rw-mounts).
  printf '%s\n' "$4" >"$script" && chmod 0644 "$script"
  [ "$rt" != host ] && [ -n "$plugin_jar" ] && extra=(-shell_env YARN_CONTAINER_RUNTIME_TYPE=kata -shell_env "YARN_CONTAINER_RUNTIME_KATA_RUNTIME=$rt")
  tenant_java org.apache.hadoop.yarn.applications.distributedshell.Client -jar "$ds_jar" -appname "$name" \
    -shell_command "/bin/bash $script" -num_containers "$n" -container_memory 128 -master_memory 384 "${extra[@]}" \
    -timeout 600000 >"$out" 2>&1
}
container_logs() { ls -d "$work/logs/$1"/container_* 2>/dev/null; }
check_sandboxed() {  # runtime app: every non-AM container's stdout shows the tenant, and the sandbox (or the host)
  local rt="$1" app="$2" c n=0 bad=""
  for c in $(container_logs "$app"); do
    case "$c" in *_000001) continue ;; esac
    n=$((n + 1))
    grep -qx "user=$submitter" "$c/stdout" || bad="$bad $(basename "$c"):user"
    if [ "$rt" = host ]; then
      grep -q '^pid1=/dev/.kyr-init' "$c/stdout" && bad="$bad $(basename "$c"):sandboxed"
    else
      grep -q '^pid1=/dev/.kyr-init' "$c/stdout" || bad="$bad $(basename "$c"):pid1"
      grep -qx "kyr=$rt" "$c/stdout" || bad="$bad $(basename "$c"):runtime"
    fi
  done
  echo "$n$bad"
}
probe='echo user=$(id -un)
echo pid1=$(tr "\0" " " </proc/1/cmdline)
echo kyr=${KATA_YARN_RUNTIME:-none}'

check_ds() {
  local rt="$1" t0=$SECONDS out="$work/ds-$rt.out" app st got
  ds "$rt" "$out" "ds-$rt" "$probe" 2
  local rc=$?
  app="$(app_of "$out")"
  st="$(app_state "$app")"
  got="$(check_sandboxed "$rt" "$app")"
  if [ "$rc" = 0 ] && [ "$st" = FINISHED/SUCCEEDED ] && [ "$got" = 2 ]; then
    record "$rt" ds pass $((SECONDS - t0)) "$app"
  else
    record "$rt" ds fail $((SECONDS - t0)) "$app rc=$rc state=$st containers=$got"
  fi
  last_app="$app"
}
check_mr() {
  local rt="$1" t0=$SECONDS out="$work/mr-$rt.out" seen="$work/mr-$rt.sandboxes" app st n want=4
  : >"$seen"
  # While the job runs, this run's sandboxes are sampled: AM, 2 maps and the reducer must each have had one.
  (while :; do sandboxes >>"$seen"; sleep 1; done) &
  local sampler=$!
  tenant_java -Dhadoop.home.dir="$HADOOP_HOME" org.apache.hadoop.util.RunJar "$ex_jar" pi 2 200 >"$out" 2>&1
  local rc=$?
  kill "$sampler"; wait "$sampler" 2>/dev/null
  app="$(app_of "$out")"
  st="$(app_state "$app")"
  n="$(grep -oE "container_${app#application_}_[0-9_]+" "$seen" | sort -u | wc -l)"
  [ "$rt" = host ] && want=0
  if [ "$rc" = 0 ] && grep -q '^Estimated value of Pi is 3\.1' "$out" && [ "$st" = FINISHED/SUCCEEDED ] &&
     grep -q 'Reduce input records=4' "$out" && { [ "$n" -ge "$want" ] && { [ "$want" != 0 ] || [ "$n" = 0 ]; }; }; then
    record "$rt" mr-pi pass $((SECONDS - t0)) "$app"
  else
    record "$rt" mr-pi fail $((SECONDS - t0)) "$app rc=$rc state=$st sandboxes-seen=$n/$want $(grep -m1 -oE 'MAX_FAILED_UNIQUE_FETCHES|Error: .{0,80}' "$out")"
  fi
  last_app="$app"
}
wait_stdout() {  # app pattern seconds: a non-AM container of app printed the pattern
  local i c
  for i in $(seq 1 "$3"); do
    for c in $(container_logs "$1"); do
      case "$c" in *_000001) continue ;; esac
      grep -q "$2" "$c/stdout" 2>/dev/null && return 0
    done
    sleep 1
  done
  return 1
}
check_kill() {
  local rt="$1" t0=$SECONDS out="$work/kill-$rt.out" app="" st i left
  ds "$rt" "$out" "kill-$rt" "echo started
sleep 300" 1 &
  local cpid=$!
  for i in $(seq 1 60); do app="$(app_of "$out")"; [ -n "$app" ] && break; sleep 1; done
  if [ -z "$app" ] || ! wait_stdout "$app" started 120; then
    kill $(ns_procs "$submitter" "appname kill-${rt//:/-}") 2>/dev/null; wait "$cpid"
    record "$rt" kill fail $((SECONDS - t0)) "${app:-no app}: container never started"; last_app="$app"; return
  fi
  yarn_cli -kill "$app" >/dev/null
  wait "$cpid"
  st="$(app_state "$app")"
  for i in $(seq 1 30); do left="$(sandboxes | grep -c "${app#application_}")"; [ "$left" = 0 ] && break; sleep 1; done
  if [ "$st" = KILLED/KILLED ] && [ "$left" = 0 ] && [ -z "$(ns_procs "$submitter" 'sleep 300')" ]; then
    record "$rt" kill pass $((SECONDS - t0)) "$app"
  else
    record "$rt" kill fail $((SECONDS - t0)) "$app state=$st sandboxes-left=$left"
  fi
  last_app="$app"
}
check_nm_restart() {
  local rt="$1" t0=$SECONDS out="$work/restart-$rt.out" app="" i st alive c
  ds "$rt" "$out" "restart-$rt" "echo started
sleep 35
exit 3" 1 &
  local cpid=$!
  for i in $(seq 1 60); do app="$(app_of "$out")"; [ -n "$app" ] && break; sleep 1; done
  if [ -z "$app" ] || ! wait_stdout "$app" started 120; then
    kill $(ns_procs "$submitter" "appname restart-${rt//:/-}") 2>/dev/null; wait "$cpid"
    record "$rt" nm-restart fail $((SECONDS - t0)) "${app:-no app}: container never started"; last_app="$app"; return
  fi
  local before; before="$(sandboxes | grep -c "${app#application_}")"
  stop_daemon "$nm_pid"
  alive="$(sandboxes | grep -c "${app#application_}")"
  [ "$rt" = host ] && alive="$(ns_procs "$nm_user" 'sleep 35' | wc -l)"
  start_daemon nm
  wait "$cpid"
  st="$(app_state "$app")"
  c="$(ls -d "$work/logs/$app"/container_*_000002 2>/dev/null | head -1)"
  local recovered=0 code=0
  grep -q "Recovering container.*$(basename "${c:-x}")\|Recovering .*$(basename "${c:-x}")" "$work/daemons/nm.log" && recovered=1
  grep -qE "$(basename "${c:-x}").*(exit code|exitCode|exit status|exitStatus)[ =:]*3\b|(exit code|exitCode|exitStatus)[ =:]*3\b.*$(basename "${c:-x}")" \
    "$work/daemons/nm.log" "$work/logs/$app"/container_*_000001/AppMaster.stderr 2>/dev/null && code=1
  if [ "$alive" -ge 1 ] && [ "$recovered" = 1 ] && [ "$code" = 1 ] && [ "${st#*/}" = FAILED ]; then
    record "$rt" nm-restart pass $((SECONDS - t0)) "$app"
  else
    record "$rt" nm-restart fail $((SECONDS - t0)) "$app before=$before alive-while-NM-down=$alive recovered=$recovered exit3-read=$code state=$st"
  fi
  last_app="$app"
}
check_cleanup() {  # runtime apps...: no appcache of these applications, usercache/<tenant>/appcache empty
  local rt="$1" t0=$SECONDS i left
  shift
  local owner="$submitter" a
  for a in "$@"; do
    [ -n "$a" ] || { record "$rt" cleanup fail 0 "an application of this runtime never got an id: nothing to judge"; return; }
  done
  for i in $(seq 1 30); do
    left="$(for a in "$@"; do ls -d "$work/local/usercache/$owner/appcache/$a" "$work/local/nmPrivate/$a" 2>/dev/null; done)"
    [ -z "$left" ] && [ -z "$(ls -A "$work/local/usercache/$owner/appcache" 2>/dev/null)" ] && break
    sleep 1
  done
  if [ -z "$left" ] && [ -z "$(ls -A "$work/local/usercache/$owner/appcache" 2>/dev/null)" ] && [ -f "$bob_file" ] &&
     [ "$(cat "$bob_file")" = "bob's" ]; then
    record "$rt" cleanup pass $((SECONDS - t0)) "$# apps"
  else
    record "$rt" cleanup fail $((SECONDS - t0)) "left: $(echo $left) $(ls -A "$work/local/usercache/$owner/appcache" 2>/dev/null | tr '\n' ' ')"
  fi
}
check_shutdown() {
  local rt="$1" t0=$SECONDS sb st mnt
  stop_daemon "$nm_pid"
  stop_daemon "$rm_pid"
  sb="$(sandboxes)"
  st="$(find "$state_root" -mindepth 1 -maxdepth 3 \( -name 'container_*' -o -name '*.json' -o -name '*.pid' \) 2>/dev/null | head -5)"
  mnt="$(grep -F -e "$work/" -e "$state_root" /proc/self/mountinfo | awk '{print $5}' | head -5)"
  local procs; procs="$(ns_procs "$submitter" | head -5 | tr '\n' ' ')"
  if [ -z "$sb" ] && [ -z "$st" ] && [ -z "$mnt" ] && [ -z "$procs" ]; then
    record "$rt" shutdown pass $((SECONDS - t0))
  else
    record "$rt" shutdown fail $((SECONDS - t0)) "sandboxes: $(echo $sb) state: $(echo $st) mounts: $(echo $mnt) tenant procs: $procs"
  fi
}

spark_submit() {  # runtime job out: PySpark in cluster mode as the submitter, as docs/spark.md tells a user to
  local rt="$1" extra=()
  [ "$rt" != host ] && [ -n "$plugin_jar" ] && extra=(
    --conf spark.yarn.appMasterEnv.YARN_CONTAINER_RUNTIME_TYPE=kata --conf spark.executorEnv.YARN_CONTAINER_RUNTIME_TYPE=kata
    --conf spark.yarn.appMasterEnv.YARN_CONTAINER_RUNTIME_KATA_RUNTIME="$rt" --conf spark.executorEnv.YARN_CONTAINER_RUNTIME_KATA_RUNTIME="$rt")
  as_tenant env SPARK_HOME="$SPARK_HOME" PYSPARK_PYTHON="$python" "$SPARK_HOME/bin/spark-submit" --master yarn --deploy-mode cluster \
    --name "live-spark-$2-${rt//[:\/]/-}" --num-executors 2 --executor-memory 512m --driver-memory 512m \
    --conf spark.yarn.jars="local:$SPARK_HOME/jars/*" --conf spark.yarn.stagingDir="file://$work/staging" \
    --conf spark.pyspark.python="$python" --conf spark.pyspark.driver.python="$python" \
    --conf spark.dynamicAllocation.enabled=false --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
    --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s --conf spark.yarn.submit.waitAppCompletion=true \
    --conf spark.ui.enabled=false "${extra[@]}" "$work/conf/e2e-spark-job.py" "$2" 2 >"$3" 2>&1
}
check_spark() {  # runtime job (pi|shuffle)
  local rt="$1" job="$2" out="$work/jobs/$submitter/spark-$2-${1//[:\/]/-}.log" t0=$SECONDS rc app st res want c bad=""
  spark_submit "$rt" "$job" "$out"
  rc=$?
  app="$(app_of "$out")"; last_app="$app"
  st="$(app_state "$app")"
  # The driver (in the AM's container) reports what every executor saw: the runtime and pid 1 of each sandbox.
  res="$(cat "$work/logs/$app"/container_*_000001/stdout 2>/dev/null | grep -m1 "^KYR-RESULT job=$job ")"
  want="ok=true executors=2 runtimes=$rt pid1_kyr_init=true"
  [ "$rt" = host ] && want="ok=true executors=2 runtimes=<unset> pid1_kyr_init=false"
  for c in $(ls -d "$work/logs/$app"/container_* 2>/dev/null); do
    [ "$(stat -c %U "$c/stdout" 2>/dev/null)" = "$submitter" ] || bad="$bad $(basename "$c"):owner"
  done
  if [ "$rc" = 0 ] && [ "$st" = "FINISHED/SUCCEEDED" ] && [[ "$res" == *"$want"* ]] && [ -z "$bad" ]; then
    record "$rt" "spark-$job" pass $((SECONDS - t0)) "$app"
  else
    record "$rt" "spark-$job" fail $((SECONDS - t0)) "${app:-no app} rc=$rc state=$st result='${res:-none}' (want '$want')$bad; see $out"
  fi
}

bob_file="$work/jobs/$tenant/bob-canary"
install -m 0644 "$repo/scripts/e2e-spark-job.py" "$work/conf/e2e-spark-job.py"
checks="start ds mr-pi kill nm-restart spark-pi spark-shuffle cleanup shutdown"
for rt in $runtimes; do
  log "==== $rt ===="
  write_conf "$rt"
  submitter="$tenant"
  [ "$rt" = host ] && submitter="$nm_user"
  : >"$work/daemons/rm.log"; : >"$work/daemons/nm.log"
  # A fresh node per runtime: no NM state store, local or log dirs of the previous runtime's cluster.
  for d in recovery local logs; do rm -rf "${work:?}/$d" && install -d -o "$nm_user" -g "$group" -m 0755 "$work/$d"; done
  # bob's canary: a file of the second tenant beside alice's job data, which no application may touch
  install -o "$tenant2" -m 0600 /dev/null "$bob_file" && echo "bob's" >"$bob_file"
  t0=$SECONDS
  start_daemon rm
  sleep 3
  start_daemon nm
  if wait_nm_registered; then
    record "$rt" start pass $((SECONDS - t0))
  else
    record "$rt" start fail $((SECONDS - t0)) "NM not RUNNING in the RM (see $work/daemons/{rm,nm}.log)"
    stop_daemon "$nm_pid"; stop_daemon "$rm_pid"
    continue
  fi
  apps=()
  check_ds "$rt"; apps+=("$last_app")
  check_mr "$rt"; apps+=("$last_app")
  check_kill "$rt"; apps+=("$last_app")
  check_nm_restart "$rt"; apps+=("$last_app")
  check_spark "$rt" pi; apps+=("$last_app")
  check_spark "$rt" shuffle; apps+=("$last_app")
  check_cleanup "$rt" "${apps[@]}"
  check_shutdown "$rt"
  rm -f "$bob_file"
done

# ---- table ---------------------------------------------------------------------------------------------------
table() {
  printf '%-32s' "check \\ runtime"; for rt in $runtimes; do printf ' %-16s' "$rt"; done; echo
  for c in $checks; do
    printf '%-32s' "$c"
    for rt in $runtimes; do
      r="${result["$rt|$c"]:-not run}"
      [ "$r" = "not run" ] && fail=1
      printf ' %-16s' "$r${secs["$rt|$c"]:+ ${secs["$rt|$c"]}s}"
    done
    echo
  done
}
echo
table
if [ -n "$results_md" ]; then
  {
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) at commit \`$commit\` with \`scripts/e2e-live.sh $orig_args\` (\`make e2e-live\`):"
    echo; echo '```text'; table; echo '```'
  } >"$results_md"
fi
echo "Hadoop: $(ls "$share"/yarn/hadoop-yarn-server-nodemanager-*.jar | sed 's/.*nodemanager-//; s/.jar//') daemons, tenant $tenant (groups: $(id -nG "$tenant")), NM user $nm_user ($group); plugin: ${plugin_jar:-not built}"
for k in "${!note[@]}"; do
  [ "${result[$k]}" = pass ] || echo "FAILED $k: ${note[$k]}"
done
if [ "$fail" = 0 ]; then
  echo "e2e-live: every check passed"
  [ "$keep" = 1 ] || rm -rf "$work"
  exit 0
fi
echo "e2e-live: FAILED (logs kept in $work)"
exit 1
