#!/usr/bin/env bash
# Builds yarn-plugin/target/kata-yarn-runtime-plugin.jar with plain javac (no Maven), against the jars of a Hadoop
# 3.3.x installation: $HADOOP_HOME/share/hadoop/{common,common/lib,yarn,yarn/lib,hdfs,hdfs/lib}/*.jar.
# Exit status: 0 built; 2 HADOOP_HOME unset or lacking the classes the plugin compiles against; other = javac failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/target"
jar_name="kata-yarn-runtime-plugin.jar"

die_missing() {
  echo "build-with-javac.sh: cannot build $jar_name: $*" >&2
  exit 2
}

[ -n "${HADOOP_HOME:-}" ] || die_missing "HADOOP_HOME is not set. Point it at a Hadoop 3.3.x binary tree (the directory holding share/hadoop/)."
[ -d "$HADOOP_HOME/share/hadoop" ] || die_missing "$HADOOP_HOME/share/hadoop does not exist (HADOOP_HOME=$HADOOP_HOME is not a Hadoop binary tree)."
command -v javac >/dev/null || die_missing "javac not found (install a JDK 8+, e.g. Debian openjdk-17-jdk-headless)."
command -v jar >/dev/null || die_missing "jar not found (install a full JDK, e.g. Debian openjdk-17-jdk-headless)."

cp_entries=()
for d in common common/lib yarn yarn/lib hdfs hdfs/lib; do
  [ -d "$HADOOP_HOME/share/hadoop/$d" ] && cp_entries+=("$HADOOP_HOME/share/hadoop/$d/*")
done
classpath="$(IFS=:; echo "${cp_entries[*]}")"

# Each class the plugin needs, and the jar that normally provides it.
required=(
  "org.apache.hadoop.conf.Configuration|hadoop-common-3.3.x.jar (share/hadoop/common)"
  "org.apache.hadoop.hdfs.protocol.datatransfer.IOStreamPair|hadoop-hdfs-client-3.3.x.jar (share/hadoop/hdfs)"
  "org.apache.hadoop.yarn.api.records.Resource|hadoop-yarn-api-3.3.x.jar (share/hadoop/yarn)"
  "org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntime|hadoop-yarn-server-nodemanager-3.3.x.jar (share/hadoop/yarn)"
  "com.fasterxml.jackson.databind.ObjectMapper|jackson-databind-2.x.jar (share/hadoop/common/lib)"
  "org.slf4j.Logger|slf4j-api-1.7.x.jar (share/hadoop/common/lib)"
)
missing=()
for entry in "${required[@]}"; do
  cls="${entry%%|*}"
  if ! javap -cp "$classpath" "$cls" >/dev/null 2>&1; then
    missing+=("  $cls — expected in ${entry#*|}")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  {
    echo "build-with-javac.sh: cannot build $jar_name: HADOOP_HOME=$HADOOP_HOME lacks these classes:"
    printf '%s\n' "${missing[@]}"
  } >&2
  exit 2
fi

rm -rf "$out/classes"
mkdir -p "$out/classes"
# --release 8: the jar loads in NodeManagers running Java 8 as well as 11/17.
javac --release 8 -Xlint:all,-options,-processing,-path -encoding UTF-8 -cp "$classpath" -d "$out/classes" \
  $(find "$here/src/main/java" -name '*.java' | sort)
jar --create --file "$out/$jar_name" -C "$out/classes" .
echo "built $out/$jar_name"
