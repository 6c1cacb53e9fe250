"""Benchmark (issue #15): the native CLI, `clv.spark` on local[2], and the PySpark + lifetimes
approach of the Databricks CLV accelerator, end to end on the same transaction file, in one run.

End to end = read the transactions -> RFM summary -> fit BG/NBD and Gamma-Gamma -> score every
customer (P(alive), expected purchases over 52 weeks, discounted CLV over 12 periods of 4.345
weeks at 1% a period) -> write the scores as Parquet. The three contenders:

- native: `clv summarize`, `clv fit --model bgnbd`, `clv fit --model gg`, `clv predict
  --spend-model` to Parquet (whole processes; `clv predict` has no discounted CLV column, it
  writes expected_avg_spend and predicted_revenue over the horizon instead);
- clv.spark: `cs.summarize`, `cs.fit(clv.BGNBD())`, `cs.fit(clv.GammaGamma())`, `cs.score`,
  `.write.parquet`;
- lifetimes: Spark aggregations (per-day rows, then `groupBy(customer)`), `toPandas()`,
  `BetaGeoFitter` and `GammaGammaFitter` fitted on the driver, scoring with `mapInPandas`
  from the fitted parameters, `.write.parquet`.
Both Spark paths cache their summary (it is used by the fits and by the scoring) and get the
same session (local[2], Arrow on, as on Databricks). Agreement is checked at the end.

Usage:
  CLV_BIN=<release clv> python benches/spark_vs_lifetimes.py e2e DATA_DIR [CUSTOMERS]
      (the transactions of benches/summarize_vs_duckdb.sh, generated into DATA_DIR if absent;
      CUSTOMERS defaults to 2,000,000, ~12.6M rows)
  python benches/spark_vs_lifetimes.py memory DATA_DIR N
      (one driver-memory point: N simulated customers on whole days, to Parquet, `cs.fit`
      from Spark; run each N in its own process so that peak RSS is its own)
Needs pyspark 4, pyarrow, lifetimes 0.11.3 and the package (`pip install ./python`).
"""

import os
import platform
import resource
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd

OBS_END = "2025-12-30"
HORIZON = 52.0
PERIODS, PERIOD_LENGTH, DISCOUNT = 12, 4.345, 0.01


def clv_bin():
    path = os.environ.get("CLV_BIN")
    if not path:
        sys.exit("set CLV_BIN to the release binary (cargo build --release -p clv-cli)")
    return path


def transactions(data_dir, customers):
    """The file of benches/summarize_vs_duckdb.sh (same generator and seed)."""
    os.makedirs(data_dir, exist_ok=True)
    tx = os.path.join(data_dir, f"tx_{customers}.csv")
    if not os.path.exists(tx):
        subprocess.run([clv_bin(), "simulate", "--model", "bgnbd", "--params", "0.6,6.0,0.5,3.0",
                        "--customers", str(customers), "--acquisition", "13", "--horizon", "104",
                        "--start", "2024-01-01", "--shuffle", "--seed", "1", "--output", tx],
                       check=True)
    return tx


def session(app):
    from pyspark.sql import SparkSession
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this venv's Python
    return (SparkSession.builder.master("local[2]").appName(app)
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "8g"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.ui.port", os.environ.get("SPARK_UI_PORT", "4077"))
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def read_tx(spark, path):
    return spark.read.csv(path, header=True,
                          schema="customer_id STRING, date DATE, amount DOUBLE")


METRICS = ("executorRunTime", "inputBytes", "shuffleWriteBytes", "outputBytes",
           "memoryBytesSpilled", "diskBytesSpilled")


def spark_totals(spark):
    """Sums over the completed Spark stages so far (the UI's REST API): task time and bytes."""
    import json
    from urllib.request import urlopen
    time.sleep(1.0)  # the listener that feeds the API runs behind the actions
    sc = spark.sparkContext
    with urlopen(f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages?status=complete") as r:
        stages = json.load(r)
    return {k: sum(st.get(k, 0) for st in stages) for k in METRICS}


class Stages:
    """Wall time of each stage and, with a Spark session, the Spark work it caused."""

    def __init__(self, name, spark=None):
        self.name, self.spark, self.times, self.work = name, spark, [], {}

    def run(self, stage, fn):
        before = spark_totals(self.spark) if self.spark is not None else None
        t0 = time.perf_counter()
        out = fn()
        self.times.append((stage, time.perf_counter() - t0))
        note = ""
        if before is not None:
            after = spark_totals(self.spark)
            w = {k: after[k] - before[k] for k in METRICS}
            self.work[stage] = w
            note = (f" (Spark tasks {w['executorRunTime'] / 1e3:.1f} s, input "
                    f"{w['inputBytes'] / 1e6:.0f} MB, shuffle write {w['shuffleWriteBytes'] / 1e6:.0f} MB, "
                    f"output {w['outputBytes'] / 1e6:.0f} MB, spilled "
                    f"{w['memoryBytesSpilled'] / 1e6:.0f} MB)")
        print(f"  {self.name}: {stage} {self.times[-1][1]:.2f} s{note}", flush=True)
        return out

    def total(self):
        return sum(t for _, t in self.times)


def run_native(tx, out):
    st = Stages("native")
    b = clv_bin()
    s, bg, gg = (os.path.join(out, n) for n in ("summary.csv", "bg.json", "gg.json"))

    def cli(*args):
        subprocess.run([b, "--quiet", *args], check=True, stdout=subprocess.DEVNULL)

    st.run("summary", lambda: cli("summarize", "--input", tx, "--unit", "week",
                                  "--observation-end", OBS_END, "--output", s))
    st.run("fit BG/NBD", lambda: cli("fit", "--model", "bgnbd", "--summary", s, "--output", bg))
    st.run("fit Gamma-Gamma", lambda: cli("fit", "--model", "gamma-gamma", "--summary", s, "--output", gg))
    st.run("score + write", lambda: cli("predict", "--model", bg, "--spend-model", gg,
                                        "--summary", s, "--horizon", str(HORIZON),
                                        "--output", os.path.join(out, "scores.parquet")))
    return st


def run_clv_spark(spark, tx, out):
    import clv
    from clv import spark as cs
    st = Stages("clv.spark", spark)
    df = read_tx(spark, tx)

    def summary():
        # Computed in the call and returned cached (the input read once).
        return cs.summarize(df, unit="week", observation_end=OBS_END)
    s, acc = st.run("summary", summary)
    bgf = st.run("fit BG/NBD", lambda: cs.fit(clv.BGNBD(), s))
    ggf = st.run("fit Gamma-Gamma", lambda: cs.fit(clv.GammaGamma(), s))
    st.run("score + write", lambda: cs.score(
        s, bgf, ggf, horizon=HORIZON, periods=PERIODS, period_length=PERIOD_LENGTH,
        discount_rate=DISCOUNT).write.mode("overwrite").parquet(os.path.join(out, "scores")))
    return st, s, acc, bgf, ggf


def run_lifetimes(spark, tx, out):
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from pyspark.sql import functions as F
    st = Stages("lifetimes", spark)
    df = read_tx(spark, tx)

    def summary():
        # The accelerator's RFM: one row per customer and day, then per customer.
        daily = df.groupBy("customer_id", "date").agg(F.sum("amount").alias("amount"))
        first = F.min("date")
        days = F.count(F.lit(1))
        s = daily.groupBy("customer_id").agg(
            (days - 1).cast("double").alias("frequency"),
            (F.datediff(F.max("date"), first) / 7.0).alias("recency"),
            (F.datediff(F.lit(OBS_END).cast("date"), first) / 7.0).alias("T"),
            F.when(days > 1, (F.sum("amount") - F.min_by("amount", "date")) / (days - 1))
            .otherwise(0.0).alias("monetary_value"),
        ).cache()
        s.count()
        return s
    s = st.run("summary", summary)
    local = st.run("toPandas", lambda: s.toPandas())
    bgf = st.run("fit BG/NBD", lambda: BetaGeoFitter(penalizer_coef=0.0).fit(
        local["frequency"], local["recency"], local["T"]))
    rep = local[local["frequency"] > 0]
    ggf = st.run("fit Gamma-Gamma", lambda: GammaGammaFitter(penalizer_coef=0.0).fit(
        rep["frequency"], rep["monetary_value"]))
    bg_params, gg_params = dict(bgf.params_), dict(ggf.params_)

    def score(batches):
        # The fitted parameters travel in the closure; each task rebuilds the fitters.
        b, g = BetaGeoFitter(), GammaGammaFitter()
        b.params_, g.params_ = pd.Series(bg_params), pd.Series(gg_params)
        b.predict = b.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
        for p in batches:
            f, r, t, m = p["frequency"], p["recency"], p["T"], p["monetary_value"]
            yield pd.DataFrame({
                "customer_id": p["customer_id"],
                "p_alive": b.conditional_probability_alive(f, r, t),
                "expected_purchases": b.conditional_expected_number_of_purchases_up_to_time(
                    HORIZON, f, r, t),
                "clv": g.customer_lifetime_value(b, f, r, t, m, time=PERIODS,
                                                 discount_rate=DISCOUNT, freq="W").to_numpy(),
            })
    schema = "customer_id string, p_alive double, expected_purchases double, clv double"
    st.run("score + write", lambda: s.mapInPandas(score, schema).write.mode("overwrite")
           .parquet(os.path.join(out, "scores")))
    return st, s, bg_params, gg_params


def rel(a, b):
    return max(abs(a[k] / b[k] - 1) for k in b)


def e2e(data_dir, customers):
    import clv
    import lifetimes
    import pyspark
    tx = transactions(data_dir, customers)
    rows = sum(1 for _ in open(tx)) - 1
    print(f"input: {os.path.basename(tx)}, {rows:,} rows, {os.path.getsize(tx) / 1e6:.0f} MB, "
          f"{customers:,} customers")
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}; clv {clv.__version__}, pyspark {pyspark.__version__}, "
          f"lifetimes {lifetimes.__version__}, pandas {pd.__version__}, numpy {np.__version__}")
    print(f"load average before: {os.getloadavg()}", flush=True)
    out = os.path.join(data_dir, "e2e_out")
    shutil.rmtree(out, ignore_errors=True)
    dirs = {n: os.path.join(out, n) for n in ("native", "clv_spark", "lifetimes")}
    for d in dirs.values():
        os.makedirs(d)
    with open(tx, "rb") as f:  # page cache warm for all alike
        while f.read(1 << 24):
            pass

    nat = run_native(tx, dirs["native"])
    print(f"native: largest peak RSS of its processes "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    spark = session("clv-bench-e2e")
    spark.range(1).count()  # the JVM's start is no contender's cost
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731
    print(f"Python driver peak RSS before the Spark contenders: {peak():.0f} MB")
    cs_st, cs_sum, acc, bgf, ggf = run_clv_spark(spark, tx, dirs["clv_spark"])
    print(f"Python driver peak RSS after clv.spark: {peak():.0f} MB; JVM (driver + local "
          f"executors) peak {jvm_peak_kb(spark) / 1024:.0f} MB")
    lt_st, lt_sum, lt_bg, lt_gg = run_lifetimes(spark, tx, dirs["lifetimes"])
    print(f"Python driver peak RSS after lifetimes: {peak():.0f} MB; JVM peak "
          f"{jvm_peak_kb(spark) / 1024:.0f} MB")
    print(f"load average after: {os.getloadavg()}")

    print("\n| stage | native CLI | clv.spark local[2] | PySpark + lifetimes |")
    print("| --- | --- | --- | --- |")
    stage_names = ["summary", "toPandas", "fit BG/NBD", "fit Gamma-Gamma", "score + write"]
    for name in stage_names:
        cells = []
        for st in (nat, cs_st, lt_st):
            t = dict(st.times).get(name)
            cells.append("" if t is None else f"{t:.2f} s")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"| **end to end** | **{nat.total():.2f} s** | **{cs_st.total():.2f} s** | "
          f"**{lt_st.total():.2f} s** |")
    print(f"lifetimes / clv.spark: {lt_st.total() / cs_st.total():.1f}x; "
          f"lifetimes / native: {lt_st.total() / nat.total():.1f}x; "
          f"clv.spark / native: {cs_st.total() / nat.total():.1f}x")
    print(f"clv.spark: {acc.describe()}; BG/NBD patterns received {bgf.patterns_received:,} "
          f"for {bgf.customers_fitted:,} customers; Gamma-Gamma patterns "
          f"{ggf.patterns_received:,}")

    # Agreement.
    key = "customer_id"
    native_sum = pd.read_csv(os.path.join(dirs["native"], "summary.csv"),
                             dtype={key: str}).set_index(key).sort_index()
    cols = ["frequency", "recency", "T", "monetary_value"]
    spark_sum = cs_sum.select(key, *cols).toPandas().set_index(key).sort_index()
    lt_local = lt_sum.toPandas().set_index(key).sort_index()
    assert native_sum.index.equals(spark_sum.index) and native_sum.index.equals(lt_local.index)
    for c in cols:
        d1 = float((native_sum[c] - spark_sum[c]).abs().max())
        d2 = float((spark_sum[c] - lt_local[c]).abs().max())
        print(f"max |native - clv.spark| {c}: {d1:.2e}; |clv.spark - lifetimes' Spark RFM|: "
              f"{d2:.2e}")
    # The summary CSV holds 8 significant digits; for parameters to 1e-9 the native fits are
    # made again (untimed) from the transactions, summarized exactly on the way.
    exact = {}
    for kind in ("bgnbd", "gamma-gamma"):
        path = os.path.join(dirs["native"], f"{kind}_exact.json")
        subprocess.run([clv_bin(), "--quiet", "fit", "--model", kind, "--input", tx, "--unit",
                        "week", "--observation-end", OBS_END, "--output", path], check=True,
                       stdout=subprocess.DEVNULL)
        exact[kind] = clv.load_model(path).params_
    native_bg, native_gg = exact["bgnbd"], exact["gamma-gamma"]
    timed_bg = clv.load_model(os.path.join(dirs["native"], "bg.json")).params_
    print(f"native BG/NBD from the summary CSV vs from the transactions: "
          f"{rel(timed_bg, native_bg):.1e}")
    print(f"params: native BG/NBD {native_bg}, GG {native_gg}")
    print(f"params: clv.spark BG/NBD {bgf.params_}, GG {ggf.params_}")
    print(f"params: lifetimes BG/NBD {lt_bg}, GG {lt_gg}")
    print(f"max rel. difference clv.spark vs native: BG/NBD {rel(bgf.params_, native_bg):.1e}, "
          f"GG {rel(ggf.params_, native_gg):.1e}")
    lt_gg_named = {"p": lt_gg["p"], "q": lt_gg["q"], "gamma": lt_gg["v"]}
    print(f"max rel. difference lifetimes vs clv.spark: BG/NBD {rel(lt_bg, bgf.params_):.1e}, "
          f"GG {rel(lt_gg_named, ggf.params_):.1e}")
    scores = {n: pd.read_parquet(os.path.join(d, "scores" if n != "native" else "scores.parquet"))
              for n, d in dirs.items()}
    for c in ["p_alive", "expected_purchases", "clv"]:
        means = {n: float(s[c].mean()) for n, s in scores.items() if c in s}
        print(f"mean {c}: " + ", ".join(f"{n} {v:.6g}" for n, v in means.items()))
    n_rows = {n: len(s) for n, s in scores.items()}
    print(f"rows scored: {n_rows}")
    # BG/NBD: the same patterns, the same fit. Gamma-Gamma: native fits every repeat buyer,
    # clv.spark their weighted (x, mean spend) patterns, so the optimizer stops at a point
    # within its tolerance, not bit for bit.
    ok = (rel(bgf.params_, native_bg) < 1e-9 and rel(ggf.params_, native_gg) < 1e-7
          and max(rel(lt_bg, bgf.params_), rel(lt_gg_named, ggf.params_)) < 0.01
          and len(set(n_rows.values())) == 1)
    for c in ["p_alive", "expected_purchases", "clv"]:
        base = scores["clv_spark"][c].mean()
        ok &= all(abs(s[c].mean() / base - 1) < 0.01 for s in scores.values() if c in s)
    print("AGREEMENT OK" if ok else "AGREEMENT FAILED")
    spark.stop()


def jvm_peak_kb(spark):
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def memory_data(path, n):
    """N simulated customers on whole days, written to Parquet (its own process, so that the
    driver's peak RSS in `memory` is not the simulation's)."""
    import clv
    s = clv.simulate("bgnbd", {"r": 0.6, "alpha": 6.0, "a": 0.5, "b": 3.0}, customers=n,
                     acquisition=13, horizon=104, seed=1)
    # A summary from dated orders is on whole days: round the continuous times to days.
    # A repeat purchase is at least a day after the first.
    repeat = s["frequency"].to_numpy() > 0
    r_days = np.where(repeat, np.maximum(np.round(s["recency"].to_numpy() * 7), 1), 0)
    t_days = np.maximum(np.round(s["T"].to_numpy() * 7), r_days)
    s["recency"], s["T"] = r_days / 7, t_days / 7
    s.to_parquet(path, index=False)


def memory(data_dir, n):
    import clv
    from clv import spark as cs
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, f"sim_summary_{n}.parquet")
    if not os.path.exists(path):
        subprocess.run([sys.executable, __file__, "memory-data", path, str(n)], check=True)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    spark = session(f"clv-bench-memory-{n}")
    summary = spark.read.parquet(path)
    t0 = time.perf_counter()
    bgf = cs.fit(clv.BGNBD(), summary)
    t_fit = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    jvm = jvm_peak_kb(spark)
    print(f"| {n:,} | {bgf.patterns_received:,} | {bgf.customers_fitted:,} | {t_fit:.2f} s | "
          f"{bgf.diagnostics['fit_seconds']:.3f} s | {rss / 1024:.0f} MB (before Spark {rss0 / 1024:.0f} MB) | "
          f"{jvm / 1024 if jvm else float('nan'):.0f} MB | load {os.getloadavg()[0]:.1f} |")
    spark.stop()


def main():
    mode, data_dir = sys.argv[1], sys.argv[2]
    if mode == "e2e":
        e2e(data_dir, int(sys.argv[3]) if len(sys.argv) > 3 else 2_000_000)
    elif mode == "memory":
        memory(data_dir, int(sys.argv[3]))
    elif mode == "memory-data":
        memory_data(data_dir, int(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
