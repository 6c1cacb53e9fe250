#!/usr/bin/env bash
# Benchmark: `clv summarize` versus DuckDB building the same RFM summary, in one run.
# Data: a shuffled ~12M-row, 2M-customer transaction CSV made by `clv simulate` (~290 MB).
# Usage: bash benches/summarize_vs_duckdb.sh [CUSTOMERS]     (default 2000000)
# Needs: the release binary (cargo build --release) and the venv of benches/setup_venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-2000000}"
venv=target/bench-venv
dir=target/bench-data
mkdir -p "$dir"
[ -x "$venv/bin/python" ] || bash benches/setup_venv.sh "$venv"
cargo build --release --quiet
clv=target/release/clv
tx="$dir/tx_${customers}.csv"
if [ ! -f "$tx" ]; then
  "$clv" simulate --model bgnbd --params 0.6,6.0,0.5,3.0 --customers "$customers" --acquisition 13 \
    --horizon 104 --start 2024-01-01 --shuffle --seed 1 --output "$tx"
fi
rows=$(($(wc -l < "$tx") - 1))
echo "input: $tx, $rows rows, $(du -m "$tx" | cut -f1) MB, $customers customers"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -h | awk '/^Mem:/ {print $2}') RAM"
echo "duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
obs_end=2025-12-30
cat "$tx" > /dev/null  # warm the page cache for both tools alike

best() { sort -n | head -n 1; }
time_clv() {
  local s e
  s=$(date +%s.%N)
  "$clv" --quiet summarize --input "$tx" --unit week --observation-end "$obs_end" --output "$dir/clv_summary.csv"
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
time_duckdb() {
  "$venv/bin/python" - "$tx" "$dir/duckdb_summary.csv" "$obs_end" <<'PY'
import sys, time, duckdb
tx, out, end = sys.argv[1:4]
con = duckdb.connect()
t0 = time.perf_counter()
con.execute(f"""
COPY (
  WITH daily AS (
    SELECT customer_id, date, sum(amount) AS amount, count(*) AS orders
    FROM read_csv('{tx}', header = true,
                  columns = {{'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE'}})
    GROUP BY customer_id, date
  )
  SELECT customer_id,
         count(*) - 1 AS frequency,
         datediff('day', min(date), max(date)) / 7.0 AS recency,
         datediff('day', min(date), DATE '{end}') / 7.0 AS T,
         CASE WHEN count(*) > 1 THEN (sum(amount) - arg_min(amount, date)) / (count(*) - 1) ELSE 0 END
           AS monetary_value,
         min(date) AS first_purchase, sum(orders) AS orders, sum(amount) AS total_spend
  FROM daily GROUP BY customer_id
) TO '{out}' (HEADER, DELIMITER ',')
""")
print(f"{time.perf_counter() - t0:.3f}")
PY
}
echo "threads: clv uses rayon (2 cores here); DuckDB uses its default thread count ($(nproc))"
clv_times=(); duck_times=()
for i in 1 2 3; do
  clv_times+=("$(time_clv)")
  duck_times+=("$(time_duckdb)")
done
printf 'clv summarize : %s s (best of 3: %s)\n' "${clv_times[*]}" "$(printf '%s\n' "${clv_times[@]}" | best)"
printf 'duckdb        : %s s (best of 3: %s)\n' "${duck_times[*]}" "$(printf '%s\n' "${duck_times[@]}" | best)"
/usr/bin/time -f 'clv summarize peak RSS: %M KB' "$clv" --quiet summarize --input "$tx" --unit week \
  --observation-end "$obs_end" --output /dev/null
# Same customers and frequencies in both outputs.
"$venv/bin/python" - "$dir/clv_summary.csv" "$dir/duckdb_summary.csv" <<'PY'
import sys, pandas as pd
a = pd.read_csv(sys.argv[1], dtype={'customer_id': str}).set_index('customer_id').sort_index()
b = pd.read_csv(sys.argv[2], dtype={'customer_id': str}).set_index('customer_id').sort_index()
assert len(a) == len(b), (len(a), len(b))
for col in ['frequency', 'recency', 'T', 'monetary_value']:
    d = (a[col] - b.loc[a.index, col]).abs().max()
    print(f"max |clv - duckdb| {col}: {d:.2e}")
    assert d < 1e-3, col
print("outputs agree")
PY
