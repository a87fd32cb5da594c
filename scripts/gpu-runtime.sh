#!/usr/bin/env bash
# Builds the self-contained runtime that scripts/gpu-check.sh carries to a GPU machine (which may
# have no Java and no network): a jlink image of the modules the worker needs, plus the worker jar
# (with its PTX kernels, so build it where nvcc is), the GPU check's test classes, and JCuda/JCublas
# with their natives. No OpenBLAS library and no actor or server libraries: only the Java classes of
# JavaCPP/OpenBLAS (0.8 MiB), which CpuBackend's class references need to link; the check runs with
# -Dloopus.openblas.disable=true, so no native OpenBLAS is ever looked for. It must stay under 60 MiB.
#   scripts/gpu-runtime.sh [OUT]        # default target/gpu-runtime
# MVN (default ./mvnw) and MVN_FLAGS (e.g. -o) choose how Maven runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-$root/target/gpu-runtime}"
limit_mib=60
mvn="${MVN:-./mvnw}"
jlink="${JAVA_HOME:+$JAVA_HOME/bin/}jlink"

echo "gpu-runtime: building the worker (jar with PTX kernels, test classes)..." >&2
"$mvn" -q -B -ntp ${MVN_FLAGS:-} -pl worker -DskipTests package dependency:build-classpath \
  -Dmdep.includeScope=runtime -Dmdep.outputFile="$root/worker/target/runtime-classpath.txt" >&2
jar_file="$(ls worker/target/loopus-worker-*.jar | grep -v -- '-tests' | head -1)"
unzip -l "$jar_file" cuda/elementwise.ptx >/dev/null 2>&1 || {
  echo "gpu-runtime: $jar_file has no PTX kernels: build where nvcc is (the worker's ptx profile)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/lib"
# java.base, java.logging (JCuda logs through it) and the Vector API; debug symbols, headers and man pages dropped
"$jlink" --add-modules java.base,java.logging,jdk.incubator.vector --strip-debug --no-header-files --no-man-pages \
  --compress=2 --output "$out/java"
cp "$jar_file" "$out/lib/loopus-worker.jar"
# the GPU check and its parity harness (worker test sources), nothing else of the tests
(cd worker/target/test-classes && jar --create --file "$out/lib/loopus-gpu-check.jar" \
  $(find io/loopus/worker/gpu -name '*.class' ! -name '*Test.class' ! -name 'GpuAssumptions.class'))
tr ':' '\n' < worker/target/runtime-classpath.txt \
  | grep -E '/org/jcuda/|/javacpp-[0-9.]+\.jar$|/openblas-[0-9.-]+\.jar$' | while read -r jar; do cp "$jar" "$out/lib/"; done
cat > "$out/README.txt" <<TXT
loopus GPU check runtime, built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
java/  jlink image: $(tr '\n' ' ' < <("$out/java/bin/java" --list-modules | sed 's/@.*//'))
lib/   $(ls "$out/lib" | tr '\n' ' ')
Run: scripts/gpu-check.sh OUTDIR [PATH/stories260K.bin]
TXT
bytes="$(du -sb "$out" | cut -f1)"
mib="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
echo "gpu-runtime: $out is $mib MiB (limit $limit_mib MiB)" >&2
du -sh "$out/java" "$out/lib"/* >&2
if [ "$bytes" -ge $((limit_mib * 1048576)) ]; then
  echo "gpu-runtime: over the $limit_mib MiB limit" >&2
  exit 1
fi
