#!/usr/bin/env bash
# Benchmark: `clv summarize` versus DuckDB and Polars building the same RFM summary, in one
# run: wall time (best of 3) and peak RSS of each, and a check that the three outputs agree.
# Data: a shuffled ~12M-row, 2M-customer transaction CSV made by `clv simulate` (~290 MB).
# Usage: bash benches/summarize_vs_duckdb.sh [CUSTOMERS]     (default 2000000)
# Env: BENCH_DATA (data directory, default target/bench-data), BENCH_VENV (Python venv,
#      default target/bench-venv), CARGO_TARGET_DIR (where the release binary is).
# Needs: the release binary (cargo build --release) and the venv of benches/setup_venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-2000000}"
venv="${BENCH_VENV:-target/bench-venv}"
dir="${BENCH_DATA:-target/bench-data}"
mkdir -p "$dir"
[ -x "$venv/bin/python" ] || bash benches/setup_venv.sh "$venv"
cargo build --release --quiet
clv="${CARGO_TARGET_DIR:-target}/release/clv"
tx="$dir/tx_${customers}.csv"
if [ ! -f "$tx" ]; then
  "$clv" simulate --model bgnbd --params 0.6,6.0,0.5,3.0 --customers "$customers" --acquisition 13 \
    --horizon 104 --start 2024-01-01 --shuffle --seed 1 --output "$tx"
fi
rows=$(($(wc -l < "$tx") - 1))
echo "input: $tx, $rows rows, $(du -m "$tx" | cut -f1) MB, $customers customers"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -h | awk '/^Mem:/ {print $2}') RAM"
echo "duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)'), \
polars $("$venv/bin/python" -c 'import polars; print(polars.__version__)')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
obs_end=2025-12-30
cat "$tx" > /dev/null  # warm the page cache for both tools alike

best() { sort -n | head -n 1; }
# Each timer prints "seconds peak_rss_kb". clv: the whole process; DuckDB and Polars: the query
# inside Python (peak RSS is the Python process's, interpreter included).
time_clv() {
  /usr/bin/time -f '%e %M' -o "$dir/clv_time.txt" "$clv" --quiet summarize --input "$tx" \
    --unit week --observation-end "$obs_end" --output "$dir/clv_summary.csv"
  cat "$dir/clv_time.txt"
}
time_duckdb() {
  "$venv/bin/python" - "$tx" "$dir/duckdb_summary.csv" "$obs_end" <<'PY'
import resource, sys, time, duckdb
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
print(f"{time.perf_counter() - t0:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
PY
}
time_polars() {
  "$venv/bin/python" - "$tx" "$dir/polars_summary.csv" "$obs_end" <<'PY'
import datetime, resource, sys, time, polars as pl
tx, out, end = sys.argv[1:4]
end = datetime.date.fromisoformat(end)
t0 = time.perf_counter()
daily = (
    pl.scan_csv(tx, schema={"customer_id": pl.String, "date": pl.Date, "amount": pl.Float64})
    .group_by("customer_id", "date")
    .agg(pl.col("amount").sum(), pl.len().alias("orders"))
)
n = pl.len()
first = pl.col("date").min()
(
    daily.group_by("customer_id")
    .agg(
        (n - 1).alias("frequency"),
        ((pl.col("date").max() - first).dt.total_days() / 7.0).alias("recency"),
        ((pl.lit(end) - first).dt.total_days() / 7.0).alias("T"),
        pl.when(n > 1)
        .then((pl.col("amount").sum() - pl.col("amount").get(pl.col("date").arg_min())) / (n - 1))
        .otherwise(0.0)
        .alias("monetary_value"),
        first.alias("first_purchase"),
        pl.col("orders").sum(),
        pl.col("amount").sum().alias("total_spend"),
    )
    .sink_csv(out)
)
print(f"{time.perf_counter() - t0:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
PY
}
echo "threads: clv uses rayon, DuckDB and Polars their defaults ($(nproc) cores)"
clv_runs=(); duck_runs=(); polars_runs=()
for i in 1 2 3; do
  clv_runs+=("$(time_clv)")
  duck_runs+=("$(time_duckdb)")
  polars_runs+=("$(time_polars)")
done
report() {
  local name=$1; shift
  local times peaks
  times=$(printf '%s\n' "$@" | cut -d' ' -f1 | tr '\n' ' ')
  peaks=$(printf '%s\n' "$@" | cut -d' ' -f2 | sort -n | tail -n 1)
  printf '%-14s: %s s (best of 3: %s s), peak RSS %s MB\n' "$name" "$times" \
    "$(printf '%s\n' "$@" | cut -d' ' -f1 | best)" "$((peaks / 1024))"
}
report "clv summarize" "${clv_runs[@]}"
report "duckdb" "${duck_runs[@]}"
report "polars" "${polars_runs[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Same customers and the same values in all three outputs.
"$venv/bin/python" - "$dir/clv_summary.csv" "$dir/duckdb_summary.csv" "$dir/polars_summary.csv" <<'PY'
import sys, pandas as pd
def load(p):
    return pd.read_csv(p, dtype={'customer_id': str}).set_index('customer_id').sort_index()
a = load(sys.argv[1])
for name, path in [('duckdb', sys.argv[2]), ('polars', sys.argv[3])]:
    b = load(path)
    assert len(a) == len(b) and a.index.equals(b.index), (name, len(a), len(b))
    assert (a['frequency'] == b['frequency']).all(), name
    assert (a['orders'] == b['orders']).all(), name
    assert (a['first_purchase'] == b['first_purchase']).all(), name
    for col in ['recency', 'T', 'monetary_value', 'total_spend']:
        d = (a[col] - b[col]).abs().max()
        print(f"max |clv - {name}| {col}: {d:.2e}")
        assert d < 1e-3, (name, col)
print("outputs agree")
PY
