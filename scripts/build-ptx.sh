#!/usr/bin/env bash
# Compiles every CUDA source of the worker to PTX for sm_90 (run by the worker's "ptx" Maven profile,
# which is active where nvcc is): a kernel that does not compile fails the build.
#   scripts/build-ptx.sh NVCC SRC_DIR OUT_DIR
set -euo pipefail
nvcc="${1:?usage: build-ptx.sh NVCC SRC_DIR OUT_DIR}" src="${2:?}" out="${3:?}"
mkdir -p "$out"
shopt -s nullglob
sources=("$src"/*.cu)
[ ${#sources[@]} -gt 0 ] || { echo "build-ptx: no .cu files in $src" >&2; exit 1; }
for cu in "${sources[@]}"; do
  name="$(basename "$cu" .cu)"
  # only what changed since the last build (Maven runs this on every compile)
  if [ "$out/$name.ptx" -nt "$cu" ] && [ -z "$(find "$src" -name '*.cuh' -newer "$out/$name.ptx" -print -quit)" ]; then
    continue
  fi
  "$nvcc" -ptx -arch=sm_90 -I "$src" -o "$out/$name.ptx.tmp" "$cu"
  mv "$out/$name.ptx.tmp" "$out/$name.ptx"
done
