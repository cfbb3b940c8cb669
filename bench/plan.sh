#!/usr/bin/env bash
# Wall-clock time of `commsec plan STACK --no-checkov` (default prod), RUNS times (default 5).
# Prints each run and the median. Run from the repository root after scripts/setup.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-prod}"
runs="${RUNS:-5}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
times=()
for ((i = 1; i <= runs; i++)); do
  start=$(date +%s.%N)
  .venv/bin/commsec plan "$stack" --no-checkov --out "$out" >/dev/null
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  times+=("$t")
  printf 'run %d: %.2f s\n' "$i" "$t"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median: %.2f s over %d runs\n", a[int((NR+1)/2)], NR}'
