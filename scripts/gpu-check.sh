#!/usr/bin/env bash
# The GPU check of issue 6, for a machine with an NVIDIA GPU and possibly no Java and no network.
# Runs from a copy of the working tree that carries target/gpu-runtime (built by scripts/gpu-runtime.sh
# on a machine with Java, Maven and nvcc): the GPU parity suite (every kernel, whole models, the
# stages; with cuBLAS and with the loopus GEMM kernels) and the benchmarks (single-stream and
# batched decode of a 110M-shape random model generated here and of stories260K; the three stages
# placed on one GPU), each against this machine's CPU.
#   scripts/gpu-check.sh OUTDIR [PATH/stories260K.bin] [--seconds S] [--self-test]
# OUTDIR gets result.json, summary.txt, parity.txt, bench.txt, log.txt, nvidia-smi.txt, exit-code.
# Exit status: 0 passed, 1 a check failed, 77 skipped (no CUDA device; the reason is in
# OUTDIR/result.json), 2 usage or no runtime. --self-test runs everything with a CPU device in the
# GPU's place (to test the check where there is no GPU; it measures no GPU).
# LOOPUS_GPU_RUNTIME overrides the runtime's folder; LOOPUS_GPU_CHECK_OPTS adds JVM flags.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage="usage: scripts/gpu-check.sh OUTDIR [PATH/stories260K.bin] [--seconds S] [--self-test]"
out="${1:?$usage}"
shift
args=()
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
  [ -f "$1" ] || { echo "gpu-check: no model file $1" >&2; exit 2; }
  args+=(--stories "$1")
  shift
fi
args+=("$@")
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rt="${LOOPUS_GPU_RUNTIME:-$root/target/gpu-runtime}"
java="$rt/java/bin/java"
# a copy that lost the executable bits (some transfers drop them)
[ -f "$java" ] && [ ! -x "$java" ] && chmod +x "$rt"/java/bin/* "$rt"/java/lib/jspawnhelper 2>/dev/null
if [ ! -x "$java" ] || ! ls "$rt"/lib/*.jar >/dev/null 2>&1; then
  echo "gpu-check: no runtime at $rt: build it with scripts/gpu-runtime.sh and carry target/gpu-runtime along" >&2
  echo 2 > "$out/exit-code"
  exit 2
fi
{ nvidia-smi || echo "nvidia-smi: not available"; } > "$out/nvidia-smi.txt" 2>&1
mkdir -p "$out/tmp" # JCuda unpacks its JNI libraries into java.io.tmpdir
"$java" --add-modules jdk.incubator.vector -Xmx8g -XX:+UseParallelGC -Dloopus.openblas.disable=true \
  -Djava.io.tmpdir="$out/tmp" ${LOOPUS_GPU_CHECK_OPTS:-} -cp "$rt/lib/*" \
  io.loopus.worker.gpu.check.GpuCheck "$out" "${args[@]}" 2>&1 | tee "$out/log.txt"
rc=${PIPESTATUS[0]}
rm -rf "$out/tmp"
echo "$rc" > "$out/exit-code"
case "$rc" in
  0) echo "gpu-check: passed ($out)" ;;
  77) echo "gpu-check: skipped, no CUDA device ($out/result.json says why)" ;;
  *) echo "gpu-check: FAILED with exit code $rc ($out)" ;;
esac
exit "$rc"
