#!/usr/bin/env bash
# Builds the YARN runtime plugin, runs its unit tests and the MiniYARNCluster integration test
# (KataMiniYarnClusterIT) against the installed kata-yarn-runtime binary. Called by `make it-miniyarn`.
#
# Usage: yarn-plugin/run-it.sh [--allow-skip] [--unit-only]
#   --allow-skip  when a prerequisite is missing, print a "SKIP:" line naming it and exit 0 (default: exit 2)
#   --unit-only   stop after the plugin's unit tests
#
# Environment:
#   HADOOP_HOME     Hadoop 3.3.x binary tree (share/hadoop/...). Required.
#   KYR_BINARY      the installed binary (root:$KYR_NM_GROUP, mode 6050, cfg at <bindir>/../etc/hadoop/
#                   container-executor.cfg, root-owned ancestry). Required for the IT.
#   KYR_NM_GROUP    the cfg's yarn.nodemanager.linux-container-executor.group (default hadoop)
#   KYR_IT_USER     when run as root: the non-root user (member of KYR_NM_GROUP, uid >= min.user.id) that runs the
#                   MiniYARNCluster; it is the NodeManager user and the submitter at once. This suite alone submits as
#                   a member of the NM group, because client and NodeManager share one JVM: the NodeManager runs the
#                   setuid binary, which only the group may execute, and with file:// staging the client's files
#                   belong to the JVM's OS user, so MapReduce refuses another submitter ("The ownership on the staging
#                   directory ... is not as expected"). Tenants outside the group are tested with separate processes:
#                   `make e2e-live` (real RM + NM daemons, submitter alice) and `make e2e-spark` (spark-submit as alice)
#   KYR_IT_RUNTIME  optional runtime to request per container (runc, runsc, kata, shim:NAME)
#   KYR_IT_WORKDIR  scratch directory (default /var/tmp/kyr-it); wiped at start
#   JUNIT_JARS      JUnit 4 + hamcrest-core (default /usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar,
#                   Debian packages junit4 and libhamcrest-java)
#   JAVA_HOME       JDK used for the cluster and exported to the containers (default: from `javac` on PATH)
# Exit status: 0 all ran and passed (or skipped with --allow-skip); 1 a test failed; 2 a prerequisite is missing.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
allow_skip=0
unit_only=0
for arg in "$@"; do
  case "$arg" in
    --allow-skip) allow_skip=1 ;;
    --unit-only) unit_only=1 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "run-it.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

what="yarn-plugin tests"   # what cannot_run says cannot run
cannot_run() {  # $1 = why, rest = what to do
  local why="$1"; shift
  {
    echo "run-it.sh: cannot run $what: $why"
    printf '  %s\n' "$@"
  } >&2
  if [ "$allow_skip" = 1 ]; then
    echo "SKIP: $what: $why"
    exit 0
  fi
  exit 2
}

# ---- prerequisites: JDK, Hadoop, classpath (scripts/hadoop-env.sh) --------------------------------------------
. "$here/../scripts/hadoop-env.sh"
hadoop_env \
  "org.apache.hadoop.conf.Configuration|hadoop-common-3.3.x.jar in share/hadoop/common" \
  "org.apache.hadoop.hdfs.protocol.datatransfer.IOStreamPair|hadoop-hdfs-client-3.3.x.jar in share/hadoop/hdfs" \
  "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor|hadoop-yarn-server-nodemanager-3.3.x.jar" \
  "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager|hadoop-yarn-server-resourcemanager-3.3.x.jar" \
  "org.apache.hadoop.yarn.server.MiniYARNCluster|hadoop-yarn-server-tests-3.3.x-tests.jar in share/hadoop/yarn/test" \
  "org.apache.hadoop.yarn.applications.distributedshell.Client|hadoop-yarn-applications-distributedshell-3.3.x.jar" \
  "org.apache.hadoop.examples.QuasiMonteCarlo|hadoop-mapreduce-examples-3.3.x.jar in share/hadoop/mapreduce" \
  "org.apache.hadoop.mapred.ShuffleHandler|hadoop-mapreduce-client-shuffle-3.3.x.jar" \
  "org.apache.hadoop.mapred.YarnClientProtocolProvider|hadoop-mapreduce-client-jobclient-3.3.x.jar" \
  "org.bouncycastle.jce.provider.BouncyCastleProvider|bcprov-jdk15on-1.68.jar in share/hadoop/yarn/lib (or Debian libbcprov-java libbcpkix-java libbcutil-java)" \
  "com.fasterxml.jackson.databind.ObjectMapper|jackson-databind-2.x.jar in share/hadoop/common/lib"

# ---- build and unit tests ------------------------------------------------------------------------------------
HADOOP_HOME="$HADOOP_HOME" "$here/build-with-javac.sh" || { echo "run-it.sh: plugin build failed" >&2; exit 1; }
plugin_jar="$here/target/kata-yarn-runtime-plugin.jar"
test_classes="$here/target/test-classes"
rm -rf "$test_classes" && mkdir -p "$test_classes"
javac -nowarn -Xlint:-path --release 8 -encoding UTF-8 -cp "$plugin_jar:$hadoop_cp:$junit" -d "$test_classes" \
  $(find "$here/src/test/java" -name '*.java' | sort) || { echo "run-it.sh: test compile failed" >&2; exit 1; }

. "$here/jdk17-flags.sh"

echo "run-it.sh: unit tests (KataContainerRuntimeTest)"
java "${jdk17[@]}" -cp "$test_classes:$plugin_jar:$hadoop_cp:$junit" org.junit.runner.JUnitCore \
  io.github.katayarnruntime.yarn.KataContainerRuntimeTest || { echo "run-it.sh: unit tests failed" >&2; exit 1; }
[ "$unit_only" = 1 ] && exit 0

# ---- integration test ----------------------------------------------------------------------------------------
what="KataMiniYarnClusterIT"
group="${KYR_NM_GROUP:-hadoop}"
[ -n "${KYR_BINARY:-}" ] || cannot_run "KYR_BINARY is not set" \
  "build and install the binary (make install: root:$group, mode 6050, cfg at <bindir>/../etc/hadoop/container-executor.cfg)" \
  "then export KYR_BINARY=<installed path>; see docs/install.md"
[ -f "$KYR_BINARY" ] || cannot_run "KYR_BINARY=$KYR_BINARY does not exist"

run_as=()
it_user="$(id -un)"
if [ "$(id -u)" = 0 ]; then
  [ -n "${KYR_IT_USER:-}" ] || cannot_run \
    "running as root: set KYR_IT_USER to a non-root member of group $group (uid >= min.user.id, not banned)" \
    "e.g. groupadd -f $group && useradd -m -G $group kyrit && export KYR_IT_USER=kyrit"
  id "$KYR_IT_USER" >/dev/null 2>&1 || cannot_run "KYR_IT_USER=$KYR_IT_USER does not exist"
  it_user="$KYR_IT_USER"
  run_as=(runuser -u "$it_user" --)
fi
id -nG "$it_user" | tr ' ' '\n' | grep -qx "$group" ||
  cannot_run "user $it_user is not in group $group (the binary is mode 6050: only its group may run it)" \
    "usermod -a -G $group $it_user"

work="${KYR_IT_WORKDIR:-/var/tmp/kyr-it}"
rm -rf "$work"
mkdir -p "$work/conf" "$work/data" "$work/home" "$work/jobs" "$work/mr-staging"
cp "$here/src/test/resources/yarn-site.xml" "$work/conf/yarn-site.xml"
chmod 0755 "$work" "$work/data" "$work/home" "$work/jobs" "$work/mr-staging"
[ "$(id -u)" = 0 ] && chown -R "$it_user" "$work"

echo "run-it.sh: KataMiniYarnClusterIT as $it_user with KYR_BINARY=$KYR_BINARY (group $group) in $work"
echo "run-it.sh: the binary's [kata] ro-mounts must expose $HADOOP_HOME, $here/target, $work/conf (the live yarn-site.xml the containers read) and $JAVA_HOME to the sandboxes, and [kata] rw-mounts must include $work/mr-staging and $work/jobs (file:// staging and job data, which the test's jobs share with their containers)"
(cd "$work/jobs" && "${run_as[@]}" env -i PATH="$PATH" JAVA_HOME="$JAVA_HOME" HOME="$work/home" HADOOP_HOME="$HADOOP_HOME" \
  KYR_BINARY="$KYR_BINARY" KYR_NM_GROUP="$group" KYR_IT_RUNTIME="${KYR_IT_RUNTIME:-}" \
  java "${jdk17[@]}" -Xmx1g -Dtest.build.data="$work/data" -Duser.home="$work/home" -Dhadoop.log.dir="$work/logs" \
  -cp "$work/conf:$test_classes:$plugin_jar:$hadoop_cp:$junit" org.junit.runner.JUnitCore \
  io.github.katayarnruntime.yarn.KataMiniYarnClusterIT) > "$work/it.log" 2>&1
rc=$?
grep -E '^(OK \(|Tests run:|[0-9]+\) |There w)' "$work/it.log" || true
if [ "$rc" != 0 ]; then
  echo "run-it.sh: KataMiniYarnClusterIT failed (exit $rc); full log: $work/it.log" >&2
  exit 1
fi
echo "run-it.sh: KataMiniYarnClusterIT passed; log: $work/it.log"
