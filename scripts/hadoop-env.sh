# Sourced by yarn-plugin/run-it.sh and scripts/e2e-spark.sh: the JDK, HADOOP_HOME, the MiniYARNCluster classpath
# and the classes a suite needs. A missing prerequisite goes to the caller's `cannot_run <headline> <details...>`
# (exit 2, or a SKIP line with --allow-skip). Sets JAVA_HOME (exported, first on PATH), share (HADOOP_HOME's
# share/hadoop), hadoop_cp (its jars) and junit (JUnit 4 + hamcrest-core, which MiniYARNCluster needs at run time).

hadoop_env() {  # [<class>|<what provides it>]...: the classes this suite needs on hadoop_cp:junit
  if [ -z "${JAVA_HOME:-}" ] && command -v javac >/dev/null; then
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
  fi
  [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] ||
    cannot_run "no JDK" "set JAVA_HOME to a JDK 17 or apt-get install openjdk-17-jdk-headless"
  export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
  [ -n "${HADOOP_HOME:-}" ] && [ -d "$HADOOP_HOME/share/hadoop" ] ||
    cannot_run "HADOOP_HOME is unset or not a Hadoop tree (HADOOP_HOME='${HADOOP_HOME:-}')" \
      "export HADOOP_HOME=<Hadoop 3.3.x binary tree with share/hadoop/{common,hdfs,yarn,yarn/test,mapreduce}>" \
      "(docs/install.md)"
  share="$HADOOP_HOME/share/hadoop"
  # Every jar of common, hdfs, yarn (+ test) and mapreduce. The RM's ProxyCA needs bouncycastle; a tree without
  # bcprov can use Debian's libbcprov-java, libbcpkix-java and libbcutil-java, provided its older bcpkix is left out.
  local jars=() filtered=() j d missing=() entry
  for d in common common/lib hdfs hdfs/lib yarn yarn/lib yarn/test mapreduce; do
    for j in "$share/$d"/*.jar; do [ -f "$j" ] && jars+=("$j"); done
  done
  if ! ls "$share"/yarn/lib/bcprov-*.jar >/dev/null 2>&1 && [ -f /usr/share/java/bcprov.jar ]; then
    for j in "${jars[@]}"; do case "$(basename "$j")" in bcpkix-*) ;; *) filtered+=("$j") ;; esac; done
    jars=("${filtered[@]}" /usr/share/java/bcprov.jar /usr/share/java/bcpkix.jar /usr/share/java/bcutil.jar)
  fi
  hadoop_cp="$(IFS=:; echo "${jars[*]}")"
  junit="${JUNIT_JARS:-/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar}"
  for j in ${junit//:/ }; do
    [ -f "$j" ] || cannot_run "JUnit jar $j is missing" \
      "apt-get install junit4 libhamcrest-java, or set JUNIT_JARS=<junit-4.x.jar>:<hamcrest-core-1.3.jar>"
  done
  for entry in "$@"; do
    javap -cp "$hadoop_cp:$junit" "${entry%%|*}" >/dev/null 2>&1 || missing+=("${entry%%|*} — ${entry#*|}")
  done
  [ "${#missing[@]}" = 0 ] || cannot_run "HADOOP_HOME=$HADOOP_HOME lacks classes this suite needs:" "${missing[@]}"
}
