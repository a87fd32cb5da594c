#!/usr/bin/env bash
# Times one SupervisedStep forward/backward at stories260K's shape on one thread, and each op
# class alone (trainer/src/test/java/io/loopus/trainer/grad/SupervisedStepTiming.java).
#   scripts/grad-timing.sh                # 2 warm-up and 3 timed runs
#   scripts/grad-timing.sh 3 10           # WARM TIMED
#   JFR=grad.jfr scripts/grad-timing.sh   # also records a flight recording; then
#                                         # jfr print --events jdk.ExecutionSample grad.jfr
# MVN (default ./mvnw) and MVN_FLAGS (e.g. -o) choose how Maven runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn="${MVN:-./mvnw}"
cp_file=trainer/target/timing-classpath.txt
echo "grad-timing: building..." >&2
"$mvn" -q -B ${MVN_FLAGS:-} -pl trainer -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$root/$cp_file" >&2
jfr=()
if [[ -n "${JFR:-}" ]]; then jfr=("-XX:StartFlightRecording=filename=$JFR,settings=profile"); fi
exec java --add-modules jdk.incubator.vector -Xmx4g "${jfr[@]}" \
  -cp "trainer/target/test-classes:trainer/target/classes:worker/target/classes:$(cat "$cp_file")" \
  io.loopus.trainer.grad.SupervisedStepTiming "${1:-2}" "${2:-3}"
