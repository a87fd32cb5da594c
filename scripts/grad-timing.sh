#!/usr/bin/env bash
# Times one SupervisedStep forward/backward at stories260K's shape on one thread, and each op
# class alone (trainer/src/test/java/io/loopus/trainer/grad/SupervisedStepTiming.java).
#   scripts/grad-timing.sh                # 2 warm-up and 3 timed runs
#   scripts/grad-timing.sh 3 10           # WARM TIMED
#   OPS='Causal.*' scripts/grad-timing.sh # only the op classes whose name matches, not the step
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
flags=()
if [[ -n "${JFR:-}" ]]; then flags+=("-XX:StartFlightRecording=filename=$JFR,settings=profile"); fi
if [[ -n "${OPS:-}" ]]; then flags+=("-Dops=$OPS"); fi
exec java --add-modules jdk.incubator.vector -Xmx4g "${flags[@]}" \
  -cp "trainer/target/test-classes:trainer/target/classes:worker/target/classes:$(cat "$cp_file")" \
  io.loopus.trainer.grad.SupervisedStepTiming "${1:-2}" "${2:-3}"
