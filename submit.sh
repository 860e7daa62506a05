#!/usr/bin/env bash
# Runs a federated multi-task training job on Spark.
#
#   ./submit.sh [--master URL] [CONFIG_FILE] [key=value ...]
#   ./submit.sh [--master URL] resume RUN_DIR          continue a run that stopped
#   ./submit.sh report RUN_DIR...                      draw report.html of run folders again
#   ./submit.sh report --compare FILE RUN_DIR...       one page comparing runs
#   ./submit.sh bench speed|memory|scale [--help]      benchmarks, printed as tables
#
# With no arguments: the default experiment (conf/default.conf) in local mode, on data generated
# under data/ if missing. Builds the project first when it is not built or sources changed.
# Uses spark-submit when one is installed ($SPARK_HOME/bin or PATH); otherwise starts Spark itself
# from the Maven-built class path (local mode, or a standalone cluster given with --master).
# Environment: FEDMTL_DRIVER_MEMORY (default 8g), JAVA_HOME (a Java 17).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MAIN_CLASS=org.fedmtl.job.Main
MASTER=""
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --master) [[ $# -ge 2 ]] || { echo "error: --master needs a URL" >&2; exit 2; }
              MASTER="$2"; shift 2 ;;
    --master=*) MASTER="${1#*=}"; shift ;;
    -h|--help) if [[ ${#ARGS[@]} -eq 0 ]]; then
                 sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0
               fi
               ARGS+=("$1"); shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

find_java17() {
  local candidate
  for candidate in "${JAVA_HOME:-}/bin/java" "$(command -v java || true)" \
      /usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/*17*/bin/java; do
    if [[ -x "$candidate" ]] && "$candidate" -version 2>&1 | grep -q 'version "17'; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Spark 3.5 needs Java 17; set JAVA_HOME to a Java 17 installation" >&2
  exit 2
}
JAVA="$(find_java17)"
export JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")"

JAR="$ROOT/target/fedmtl.jar"
if [[ ! -f "$JAR" || ! -f "$ROOT/target/classpath-local.txt" \
      || -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" "$ROOT/conf/default.conf" -newer "$JAR" \
               -print -quit)" ]]; then
  echo "building fedmtl (mvn package; the first build downloads dependencies)..." >&2
  # Maven 3.8 writes colour resets even with -B; they are left out of the output.
  (cd "$ROOT" && mvn -q -B -Dstyle.color=never -DskipTests package) 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' >&2
fi

# MultiMNIST is built from the real MNIST files, fetched once with npm.
if printf '%s\n' "${ARGS[@]+"${ARGS[@]}"}" | grep -q 'multimnist' \
    || { [[ ${#ARGS[@]} -gt 0 && -f "${ARGS[0]}" ]] \
         && grep -Eq 'generator[[:space:]]*=[[:space:]]*"?multimnist' "${ARGS[0]}"; }; then
  # The default data.multimnist.mnist-dir, relative to the working directory like all paths.
  if [[ ! -f "data/mnist/train-images-idx3-ubyte" ]]; then
    "$ROOT/data-gen/fetch-mnist.sh" "data/mnist"
  fi
fi

export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
case "$MASTER" in
  ""|local*|*127.0.0.1*|*localhost*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;;
esac

TUNING=(-XX:+UseParallelGC -Dorg.bytedeco.javacpp.maxPhysicalBytes=0
        -Dorg.bytedeco.javacpp.maxBytes=0)
DRIVER_PROPERTIES=("-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties"
                   "-Dfedmtl.home=$ROOT")

SPARK_SUBMIT=""
if [[ -n "${SPARK_HOME:-}" && -x "${SPARK_HOME}/bin/spark-submit" ]]; then
  SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
elif command -v spark-submit >/dev/null 2>&1; then
  SPARK_SUBMIT="$(command -v spark-submit)"
fi

CLUSTER_JARS="$(tr ':' ',' < "$ROOT/target/classpath-cluster.txt")"
if [[ -n "$SPARK_SUBMIT" ]]; then
  SUBMIT_ARGS=(--class "$MAIN_CLASS" --jars "$CLUSTER_JARS"
    --driver-memory "${FEDMTL_DRIVER_MEMORY:-8g}"
    --driver-java-options "${TUNING[*]} ${DRIVER_PROPERTIES[*]}"
    --conf "spark.executor.extraJavaOptions=${TUNING[*]}"
    --conf "spark.executorEnv.OMP_NUM_THREADS=1")
  [[ -n "$MASTER" ]] && SUBMIT_ARGS+=(--master "$MASTER")
  exec "$SPARK_SUBMIT" "${SUBMIT_ARGS[@]}" "$JAR" "${ARGS[@]+"${ARGS[@]}"}"
fi

OPENS=()
for package in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util \
    java.util.concurrent java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs \
    sun.security.action sun.util.calendar; do
  OPENS+=("--add-opens=java.base/$package=ALL-UNNAMED")
done
JVM_ARGS=("${OPENS[@]}" -Djdk.reflect.useDirectMethodHandle=false "${TUNING[@]}"
  "${DRIVER_PROPERTIES[@]}" "-Xmx${FEDMTL_DRIVER_MEMORY:-8g}")
CLASS_PATH="$JAR:$(cat "$ROOT/target/classpath-local.txt")"

# Class-data sharing (the JDK's AppCDS): the classes a short run loads are archived once per
# build in target/fedmtl.jsa; later runs map them from it instead of loading and verifying them
# from the jars, which takes seconds off start-up. FEDMTL_CDS=off leaves it out (do that when
# attaching a Java agent or Flight Recorder: JDK 17 does not combine them reliably with it).
CDS_ARCHIVE="$ROOT/target/fedmtl.jsa"
CDS_QUIET=(-Xlog:cds=off -Xlog:cds+dynamic=off)
CDS_FAILED="$CDS_ARCHIVE.failed"
if [[ "${FEDMTL_CDS:-on}" != off ]]; then
  if [[ ! -f "$CDS_ARCHIVE" || "$JAR" -nt "$CDS_ARCHIVE" ]] \
      && [[ ! -f "$CDS_FAILED" || "$JAR" -nt "$CDS_FAILED" ]]; then
    echo "preparing the class-data archive for faster start-up (once per build)..." >&2
    scratch="$(mktemp -d)"
    if "$JAVA" "${JVM_ARGS[@]}" "${CDS_QUIET[@]}" \
        "-XX:ArchiveClassesAtExit=$scratch/fedmtl.jsa" -cp "$CLASS_PATH" "$MAIN_CLASS" \
        rounds=2 clients-per-round=2 checkpoint.every=1 data.synthetic.clients=4 \
        data.synthetic.rows-per-client=40 data.synthetic.test-rows=100 \
        "data.train=$scratch/train" "data.test=$scratch/test" "output.dir=$scratch/run" \
        >"$scratch/log" 2>&1 && [[ -s "$scratch/fedmtl.jsa" ]]; then
      mv -f "$scratch/fedmtl.jsa" "$CDS_ARCHIVE"
      rm -rf "$scratch"
    else
      mv -f "$scratch/log" "$CDS_FAILED"
      rm -rf "$scratch"
      echo "warning: could not make the class-data archive (see $CDS_FAILED); starting" \
        "without it" >&2
    fi
  fi
  if [[ -f "$CDS_ARCHIVE" && ! "$JAR" -nt "$CDS_ARCHIVE" ]]; then
    JVM_ARGS+=("${CDS_QUIET[@]}" "-XX:SharedArchiveFile=$CDS_ARCHIVE")
  fi
fi

# In local mode the driver runs the tasks itself, from this class path. spark.jars, which makes
# every executor fetch the jars from the driver, is for a cluster (local-cluster[...] included:
# its executors are JVMs of their own).
case "$MASTER" in
  ""|local|local\[*) ;;
  *) JVM_ARGS+=("-Dspark.jars=$JAR,$CLUSTER_JARS") ;;
esac
JVM_ARGS+=("-Dspark.executor.extraJavaOptions=${TUNING[*]}")
MAIN_ARGS=()
[[ -n "$MASTER" ]] && MAIN_ARGS+=(--master "$MASTER")
exec "$JAVA" "${JVM_ARGS[@]}" -cp "$CLASS_PATH" \
  "$MAIN_CLASS" "${MAIN_ARGS[@]+"${MAIN_ARGS[@]}"}" "${ARGS[@]+"${ARGS[@]}"}"
