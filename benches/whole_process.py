"""Benchmark: whole-process `clv predict` and `clv fit` versus `lifetimes` in process, in one run
(issue #13 item 4).

Measures, on this machine and in this run:
  1. `clv predict` on N simulated customers (default 1,000,000): read the summary CSV, score
     P(alive), expected purchases over 39 periods and Gamma-Gamma expected spend, write the CSV;
     against lifetimes 0.11.3 scoring the same DataFrame in memory (its three calls);
  2. `clv fit --model bgnbd` on the CDNOW sample (needs CLV_DATASETS) against lifetimes'
     in-process fit.
CLV_BIN names the clv binary (default target/release/clv); with CLV_BASE=path/to/another/clv the two builds are run alternately and their outputs compared
byte for byte. lifetimes' expected purchases are checked against clv's output.

Usage: target/bench-venv/bin/python benches/whole_process.py [N] [RUNS]
(after `cargo build --release`; the data are those of benches/fit_vs_lifetimes.py)
"""
import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

from fit_vs_lifetimes import best_of, lifetimes_scores

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLV = os.environ.get("CLV_BIN", os.path.join(ROOT, "target", "release", "clv"))
WORK = os.path.join(ROOT, "target", "bench-data")


def timed(cmd):
    """Wall seconds and the child's user + sys seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternate(builds, args_of, runs):
    """Each build `runs` times, alternated: {name: [(wall, cpu), ...]}."""
    out = {name: [] for name in builds}
    for _ in range(runs):
        for name, binary in builds.items():
            out[name].append(timed([binary, "--quiet", *args_of(name)]))
    return out


def describe(walls):
    return f"{min(walls):.4f} s", f"{statistics.median(walls):.4f} s"


def print_rows(task, results, lifetimes, ratio):
    """One table row per build: wall best and median, median user + sys, lifetimes' best."""
    for name, r in results.items():
        walls = [w for w, _ in r]
        best, median = describe(walls)
        cpu = statistics.median(c for _, c in r)
        print(f"| {task} | {name} | {best} | {median} | {cpu:.4f} s | {lifetimes:.4f} s | "
              f"{ratio.format(lifetimes / min(walls))} |")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    os.makedirs(WORK, exist_ok=True)
    builds = {"clv": CLV}
    if os.environ.get("CLV_BASE"):
        builds = {"clv (base)": os.environ["CLV_BASE"], "clv": CLV}
    tx = os.path.join(WORK, f"sim_{n}.csv")
    summary = os.path.join(WORK, f"sim_{n}_summary.csv")
    if not os.path.exists(summary):
        subprocess.run([CLV, "--quiet", "simulate", "--model", "pnbd", "--params", "0.55,10.6,0.61,11.7",
                        "--customers", str(n), "--acquisition", "13", "--horizon", "52", "--seed", "3",
                        "--output", tx], check=True)
        subprocess.run([CLV, "--quiet", "summarize", "--input", tx, "--unit", "week",
                        "--observation-end", "2024-12-30", "--output", summary], check=True)
    bg, gg = os.path.join(WORK, "wp_bg.json"), os.path.join(WORK, "wp_gg.json")
    for model, path in [("bgnbd", bg), ("gamma-gamma", gg)]:
        subprocess.run([CLV, "--quiet", "fit", "--summary", summary, "--model", model, "--output", path],
                       check=True, stdout=subprocess.DEVNULL)

    def predict_args(name):
        out = os.path.join(WORK, f"wp_scores_{name.split()[-1].strip('()')}.csv")
        return ["predict", "--model", bg, "--spend-model", gg, "--summary", summary, "--horizon", "39",
                "--output", out]

    scoring = alternate(builds, predict_args, runs)
    outputs = [predict_args(name)[-1] for name in builds]
    same = all(filecmp.cmp(outputs[0], o, shallow=False) for o in outputs[1:])

    df = pd.read_csv(summary)
    with open(bg) as f:
        p = json.load(f)["params"]
    lt_bg = BetaGeoFitter()
    lt_bg.params_ = pd.Series({k: p[k] for k in ["r", "alpha", "a", "b"]})
    rep = df[df.frequency > 0]
    lt_gg = GammaGammaFitter().fit(rep.frequency, rep.monetary_value)

    lt_time, (_, ep, _) = best_of(3, lambda: lifetimes_scores(lt_bg, lt_gg, df))
    ours = pd.read_csv(outputs[-1])
    diff = np.max(np.abs(ours["expected_purchases"].values - np.asarray(ep)) / np.maximum(np.asarray(ep), 1e-12))

    print("| task | run | wall best | wall median | user + sys (median) | lifetimes in process (best) | lifetimes / clv best |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print_rows(f"predict, {n:,} customers", scoring, lt_time, "{:.1f}x")
    datasets = os.environ.get("CLV_DATASETS")
    if datasets:
        cdnow = os.path.join(datasets, "cdnow_sample_summary_39wk.csv")
        cd = pd.read_csv(cdnow)
        rec = np.minimum(cd.recency, cd["T"])  # rounded recencies above T, which lifetimes rejects
        fit_lt, _ = best_of(3, lambda: BetaGeoFitter().fit(cd.frequency, rec, cd["T"]))
        fits = alternate(builds, lambda name: ["fit", "--summary", cdnow, "--model", "bgnbd", "--output",
                                               os.path.join(WORK, "wp_cdnow.json")], 10 * runs)
        floor = [timed(["/bin/true"])[0] for _ in range(10 * runs)]
        print_rows("fit BG/NBD, CDNOW sample", fits, fit_lt, "{:.0f}x")
        print(f"| start a process (`/bin/true`) | | {min(floor):.4f} s | {statistics.median(floor):.4f} s | | | |")
    print(f"\noutputs of the builds byte-identical: {same}; max rel. diff of E[purchases] vs lifetimes: {diff:.1e}")


if __name__ == "__main__":
    main()
