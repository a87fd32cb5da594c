#!/usr/bin/env bash
# Builds the JMH kernel benchmarks (worker/src/test/java/io/loopus/worker/jmh) and runs them with a
# short configuration (1 fork, 2 x 1 s warm-up, 3 x 1 s measurement), then prints a table of
# time per operation, GB/s and GFLOP/s. JMH's own log goes to worker/target/jmh.log.
#   scripts/jmh.sh                  # every benchmark (about 2 minutes)
#   scripts/jmh.sh MatVec           # those whose name matches a regular expression
# MVN (default ./mvnw) and MVN_FLAGS (e.g. -o) choose how Maven runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn="${MVN:-./mvnw}"
cp_file=worker/target/jmh-classpath.txt
echo "jmh: building the benchmarks..." >&2
"$mvn" -q -B ${MVN_FLAGS:-} -pl worker test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$root/$cp_file" >&2
filter="${1:-io\.loopus\.worker\.jmh\.}" # JMH runs the benchmarks whose full name contains a match
log="$root/worker/target/jmh.log"
echo "jmh: running '$filter' (log: $log)..." >&2
exec java --add-modules jdk.incubator.vector -Xmx4g \
  -cp "worker/target/test-classes:worker/target/classes:$(cat "$cp_file")" \
  io.loopus.worker.jmh.JmhTable "$filter" "$log"
