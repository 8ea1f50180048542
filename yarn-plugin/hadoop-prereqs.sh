# Sourced by scripts/e2e-spark.sh and scripts/e2e-live.sh, after they define cannot_run HEADLINE [DETAIL...] (which
# exits or skips): finds the JDK (JAVA_HOME, else the JDK of the javac on PATH) and checks HADOOP_HOME (a Hadoop
# 3.3.x binary tree), defined once. Exports JAVA_HOME and PATH; sets share=$HADOOP_HOME/share/hadoop.
if [ -z "${JAVA_HOME:-}" ] && command -v javac >/dev/null; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] ||
  cannot_run "no JDK" "set JAVA_HOME to a JDK 17 or apt-get install openjdk-17-jdk-headless"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
[ -n "${HADOOP_HOME:-}" ] && [ -d "$HADOOP_HOME/share/hadoop" ] ||
  cannot_run "HADOOP_HOME is unset or not a Hadoop tree (HADOOP_HOME='${HADOOP_HOME:-}')" \
    "export HADOOP_HOME=<Hadoop 3.3.x binary tree with share/hadoop/{common,hdfs,yarn,mapreduce}>" \
    "(docs/install.md, \"Hadoop for the end-to-end suites\")"
share="$HADOOP_HOME/share/hadoop"
