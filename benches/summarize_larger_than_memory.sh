#!/usr/bin/env bash
# Benchmark: `clv summarize` past memory. A 20M-customer, ~126M-row shuffled transaction CSV
# (`clv simulate`, as in benches/summarize_vs_duckdb.sh, ~3 GB) summarized with a memory
# budget well below what holding every customer needs, so the rows go through temporary
# partition files; and the same at 2M customers (~12.6M rows) to show how time grows with rows.
# Each partitioned output is checked byte for byte against the in-memory one at 2M customers
# (at 20M the in-memory run is skipped unless CHECK_BIG=1: it needs the memory we avoid).
# Usage: bash benches/summarize_larger_than_memory.sh [BUDGET] [DATA_DIR] [CLV]
#   BUDGET default 1GiB; DATA_DIR default ../bench-data beside the repo (never inside it);
#   CLV default target/release/clv (built here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-1GiB}"
dir="${2:-$(dirname "$0")/../../bench-data}"
clv="${3:-target/release/clv}"
mkdir -p "$dir"
[ -x "$clv" ] || { cargo build --release --quiet; clv=target/release/clv; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -h | awk '/^Mem:/ {print $2}') RAM; clv: $clv"
obs_end=2025-12-30

run() {  # customers -> prints time and peak RSS of a partitioned run
  local customers=$1 tx="$dir/tx_$1.csv"
  if [ ! -f "$tx" ]; then
    "$clv" --quiet simulate --model bgnbd --params 0.6,6.0,0.5,3.0 --customers "$customers" \
      --acquisition 13 --horizon 104 --start 2024-01-01 --shuffle --seed 1 --output "$tx"
  fi
  local rows=$(($(wc -l < "$tx") - 1))
  echo "input: $tx, $rows rows, $(du -m "$tx" | cut -f1) MB, $customers customers"
  /usr/bin/time -v "$clv" summarize --input "$tx" --unit week --observation-end "$obs_end" \
    --memory-budget "$budget" --temp-dir "$dir" --output "$dir/part_$customers.csv" \
    2> "$dir/part_$customers.log"
  grep -E "partitions|Elapsed|Maximum resident" "$dir/part_$customers.log"
  if [ "$customers" -le 2000000 ] || [ "${CHECK_BIG:-0}" = 1 ]; then
    /usr/bin/time -v "$clv" summarize --input "$tx" --unit week --observation-end "$obs_end" \
      --output "$dir/mem_$customers.csv" 2> "$dir/mem_$customers.log"
    echo "in memory:"; grep -E "Elapsed|Maximum resident" "$dir/mem_$customers.log"
    cmp "$dir/part_$customers.csv" "$dir/mem_$customers.csv" && echo "outputs identical"
  fi
}
run 2000000
run 20000000
