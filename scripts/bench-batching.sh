#!/usr/bin/env bash
# Depth-wise against static loop batching, measured in one run: serves MODEL twice (one server per
# mode, one after the other, same flags), drives each with the same `bench --server` load, and prints
# both JSON reports and the ratio of their tokens/s.
#   scripts/bench-batching.sh MODEL [SERVE FLAGS...] [-- BENCH FLAGS...]
# e.g. scripts/bench-batching.sh /tmp/conv/model --exit threshold --tau 0.5 --loops 8 -- --concurrency 32 --requests 256
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:?usage: scripts/bench-batching.sh MODEL [SERVE FLAGS...] [-- BENCH FLAGS...]}"
shift
serve_flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do serve_flags+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
bench_flags=("$@")
[ ${#bench_flags[@]} -eq 0 ] && bench_flags=(--concurrency 32 --requests 256 --max-new-tokens 64)
"$root/bin/loopus" --version >/dev/null  # build once, before the servers start
out="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
for mode in depth-wise static; do
  port=$((50100 + RANDOM % 800))
  "$root/bin/loopus" serve --model "$model" "${serve_flags[@]}" --batching "$mode" --port "$port" 2>"$out/$mode.log" &
  pid=$!
  for _ in $(seq 1 120); do grep -q 'Ctrl-C' "$out/$mode.log" && break; sleep 0.5; done
  # a short warm-up so that both modes are measured with compiled code
  "$root/bin/loopus" bench --server "127.0.0.1:$port" --concurrency 8 --requests 16 --max-new-tokens 16 >/dev/null
  "$root/bin/loopus" bench --server "127.0.0.1:$port" "${bench_flags[@]}" --trace --json > "$out/$mode.json"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$mode: $(cat "$out/$mode.json")"
done
python3 - "$out/depth-wise.json" "$out/static.json" <<'PY'
import json, sys
d, s = (json.load(open(p)) for p in sys.argv[1:3])
print("depth-wise %.1f tok/s, static %.1f tok/s: %.2fx" % (d["tokens_per_second"], s["tokens_per_second"],
      d["tokens_per_second"] / s["tokens_per_second"]))
print("exit depths:", d.get("depth_histogram"), " loop passes/token: %.3f" % d["loop_passes_per_token"])
print("stage busy (depth-wise):", d.get("stage_busy"), " (static):", s.get("stage_busy"))
PY
