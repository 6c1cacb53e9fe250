"""Benchmark: the `clv` Python package versus lifetimes 0.11.3 and PyMC-Marketing 1.3 (its MAP
fit), in one Python process, on the same DataFrames (issue #14's speed targets).

Measures, in this run:
  1. the RFM summary of a ~12M-row transaction DataFrame (2M customers, `clv.simulate_transactions`,
     weeks): `clv.summarize` vs lifetimes' `summary_data_from_transaction_data`;
  2. BG/NBD and Pareto/NBD fits on N customers (default 1,000,000, `clv.simulate`): clv vs
     lifetimes vs PyMC-Marketing `fit(method="map")`;
  3. scoring the N customers (P(alive) and expected purchases over 39 periods) with the fitted
     models of each library.
Each library's result is checked against clv's (the same summary; parameters within 1%; mean
predictions within 1%) and a disagreement is printed beside its time.

Usage (Python >= 3.12 for PyMC-Marketing 1.3):
  python3.12 -m venv VENV && VENV/bin/pip install "pymc-marketing==1.3.*" "lifetimes==0.11.3" ./python
  VENV/bin/python benches/python_vs_lifetimes_pymc.py [N] [TX_CUSTOMERS] [--skip-lifetimes-pnbd] [--days] [--summary-only]
  (--days: the fits and scoring on summaries rounded to whole days, as from dated orders; the
  summary row is skipped; --summary-only: the summary row alone)
"""

import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

import clv

warnings.filterwarnings("ignore")
HORIZON = 39


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_of(k, fn):
    best, out = None, None
    for _ in range(k):
        t, out = timed(fn)
        best = t if best is None else min(best, t)
    return best, out


def report(task, n, t_clv, others):
    line = f"| {task} | {n:,} | {t_clv:.3f} s |"
    for name, (t, note) in others.items():
        if t is None:
            line += f" {note} |"
        else:
            line += f" {t:.2f} s ({t / t_clv:.0f}×){' ' + note if note else ''} |"
    print(line, flush=True)


def rel(a, b):
    return max(abs(a[k] / b[k] - 1) for k in b)


def agreement(p, e, p2, e2):
    """Empty when the means of P(alive) and expected purchases agree within 1% (each library
    predicts with its own estimates), else the differences."""
    dp = abs(np.mean(p2) / np.mean(p) - 1)
    de = abs(np.mean(e2) / np.mean(e) - 1)
    return "" if max(dp, de) < 0.01 else f"(means differ: P(alive) {dp:.1%}, purchases {de:.1%})"


def summary_benchmark(tx_customers):
    import lifetimes.utils as lu

    tx = clv.simulate_transactions(
        "bgnbd", {"r": 0.6, "alpha": 6.0, "a": 0.5, "b": 3.0}, customers=tx_customers,
        acquisition=13, horizon=104, start="2024-01-01", seed=1,
    )
    end = "2025-12-30"
    t_clv, ours = best_of(3, lambda: clv.summarize(tx, unit="week", observation_end=end,
                                                   extra_cols=[]))
    # freq="W" would make lifetimes count whole calendar weeks; days / 7 is clv's convention.
    t_lt, theirs = timed(lambda: lu.summary_data_from_transaction_data(
        tx, "customer_id", "date", "amount", observation_period_end=end, freq="D",
        freq_multiplier=7))
    theirs = theirs.loc[ours["customer_id"]]
    same = (np.array_equal(ours["frequency"].to_numpy(), theirs["frequency"].to_numpy())
            and np.allclose(ours["recency"], theirs["recency"], atol=1e-9)
            and np.allclose(ours["T"], theirs["T"], atol=1e-9)
            and np.allclose(ours["monetary_value"], theirs["monetary_value"], rtol=1e-9))
    report("RFM summary (transactions → frequency, recency, T, monetary value)", len(tx), t_clv,
           {"lifetimes": (t_lt, "" if same else "(DIFFERENT RESULT)"),
            "PyMC-Marketing": (None, "n/a (uses lifetimes' summary, `rfm_summary`)")})


def pymc_fit(cls, df):
    model = cls()
    model.fit(data=df, method="map", progressbar=False)
    return model


def on_whole_days(df):
    """The summary rounded to whole days, as one built from dated orders is (a repeat purchase
    at least a day after the first)."""
    repeat = df["frequency"].to_numpy() > 0
    r = np.where(repeat, np.maximum(np.round(df["recency"].to_numpy() * 7), 1), 0)
    t = np.maximum(np.round(df["T"].to_numpy() * 7), r)
    df = df.copy()
    df["recency"], df["T"] = r / 7, t / 7
    return df


def fits_benchmark(n, skip_lifetimes_pnbd, days):
    from lifetimes import BetaGeoFitter, ParetoNBDFitter
    from pymc_marketing.clv import BetaGeoModel, ParetoNBDModel

    cases = [
        ("BG/NBD", clv.BGNBD, "bgnbd", {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
         BetaGeoFitter, BetaGeoModel),
        ("Pareto/NBD", clv.ParetoNBD, "pnbd", {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7},
         ParetoNBDFitter, ParetoNBDModel),
    ]
    for label, ours_cls, kind, params, lt_cls, pm_cls in cases:
        df = clv.simulate(kind, params, customers=n, acquisition=13, horizon=52, seed=3)
        if days:
            df = on_whole_days(df)
        t_clv, ours = best_of(3, lambda: ours_cls().fit(df))
        others = {}
        if skip_lifetimes_pnbd and kind == "pnbd":
            others["lifetimes"] = (None, "not run")
            lt = None
        else:
            t, lt = timed(lambda: lt_cls().fit(df["frequency"], df["recency"], df["T"]))
            d = rel(dict(lt.params_), ours.params_)
            others["lifetimes"] = (t, "" if d < 0.01 else f"(params differ by {d:.1%})")
        pm_df = df[["customer_id", "frequency", "recency", "T"]]
        t, pm = timed(lambda: pymc_fit(pm_cls, pm_df))
        summary = pm.fit_summary()
        pm_params = {k: float(summary[k]) for k in params}
        d = rel(pm_params, ours.params_)
        others["PyMC-Marketing MAP"] = (t, "" if d < 0.01 else f"(params differ by {d:.1%}: priors)")
        report(f"{label} fit", n, t_clv, others)

        # Scoring: P(alive) and expected purchases over HORIZON periods.
        t_clv, (p, e) = best_of(3, lambda: (ours.p_alive(df), ours.expected_purchases(df, HORIZON)))
        others = {}
        if lt is not None:
            f, r, T = df["frequency"], df["recency"], df["T"]
            t, (lp, le) = timed(lambda: (
                lt.conditional_probability_alive(f, r, T),
                lt.conditional_expected_number_of_purchases_up_to_time(HORIZON, f, r, T)))
            others["lifetimes"] = (t, agreement(p, e, lp, le))
        else:
            others["lifetimes"] = (None, "not run")
        t, (pp, pe) = timed(lambda: (pm.expected_probability_alive().values,
                                     pm.expected_purchases(future_t=HORIZON).values))
        others["PyMC-Marketing MAP"] = (t, agreement(p, e, pp, pe))
        report(f"{label} scoring (P(alive) + expected purchases, {HORIZON} periods)", n, t_clv,
               others)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1_000_000
    tx_customers = int(args[1]) if len(args) > 1 else 2_000_000
    import lifetimes
    import pymc_marketing

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"clv {clv.__version__}, lifetimes {lifetimes.__version__}, "
          f"PyMC-Marketing {pymc_marketing.__version__}, pandas {pd.__version__}")
    print("| task | rows / customers | clv | lifetimes 0.11.3 | PyMC-Marketing 1.3 |")
    print("| --- | --- | --- | --- | --- |")
    days = "--days" in sys.argv
    if days:
        print("fits and scoring on summaries rounded to whole days (--days)")
    else:
        summary_benchmark(tx_customers)
    if "--summary-only" in sys.argv:
        return
    fits_benchmark(n, "--skip-lifetimes-pnbd" in sys.argv, days)


if __name__ == "__main__":
    main()
