#!/usr/bin/env bash
# Benchmark: `clv summarize` reading the summarize benchmark's transactions as CSV and as
# Parquet (the same rows, converted by DuckDB with its defaults: snappy, 122,880-row groups),
# in one run; the two summaries must be byte-identical.
# Usage: bash benches/summarize_parquet.sh [CUSTOMERS]     (default 2000000)
# Needs: the venv of benches/setup_venv.sh (DuckDB writes the Parquet file).
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-2000000}"
target="${CARGO_TARGET_DIR:-target}"
venv="${BENCH_VENV:-$target/bench-venv}"
dir="$target/bench-data"
mkdir -p "$dir"
[ -x "$venv/bin/python" ] || bash benches/setup_venv.sh "$venv"
cargo build --release --quiet
clv="$target/release/clv"
tx="$dir/tx_${customers}.csv"
pq="$dir/tx_${customers}.parquet"
if [ ! -f "$tx" ]; then
  "$clv" simulate --model bgnbd --params 0.6,6.0,0.5,3.0 --customers "$customers" --acquisition 13 \
    --horizon 104 --start 2024-01-01 --shuffle --seed 1 --output "$tx"
fi
if [ ! -f "$pq" ]; then
  "$venv/bin/python" - "$tx" "$pq" <<'PY'
import sys, duckdb
tx, pq = sys.argv[1:3]
duckdb.sql(f"""COPY (SELECT * FROM read_csv('{tx}', header = true,
  columns = {{'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE'}}))
  TO '{pq}' (FORMAT parquet)""")
PY
fi
rows=$(($(wc -l < "$tx") - 1))
echo "input: $rows rows, $customers customers; CSV $(du -m "$tx" | cut -f1) MB, Parquet $(du -m "$pq" | cut -f1) MB"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -h | awk '/^Mem:/ {print $2}') RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"
obs_end=2025-12-30
cat "$tx" "$pq" > /dev/null  # both in the page cache

best() { sort -n | head -n 1; }
time_clv() {  # input, output
  local s e
  s=$(date +%s.%N)
  "$clv" --quiet summarize --input "$1" --unit week --observation-end "$obs_end" --output "$2"
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
csv_times=(); pq_times=()
for i in 1 2 3; do
  csv_times+=("$(time_clv "$tx" "$dir/summary_from_csv.csv")")
  pq_times+=("$(time_clv "$pq" "$dir/summary_from_parquet.csv")")
done
printf 'clv summarize, CSV in     : %s s (best of 3: %s)\n' "${csv_times[*]}" "$(printf '%s\n' "${csv_times[@]}" | best)"
printf 'clv summarize, Parquet in : %s s (best of 3: %s)\n' "${pq_times[*]}" "$(printf '%s\n' "${pq_times[@]}" | best)"
for input in "$tx" "$pq"; do
  /usr/bin/time -f "peak RSS ($(basename "$input")): %M KB" "$clv" --quiet summarize --input "$input" \
    --unit week --observation-end "$obs_end" --output /dev/null
done
cmp "$dir/summary_from_csv.csv" "$dir/summary_from_parquet.csv"
echo "summaries from CSV and Parquet are byte-identical"
