"""Benchmark: clv's fit and scoring alone (no other library) on 1M simulated customers, to
compare two builds of the package alternately (issue #14's speed work).

Usage: python benches/python_fit_score.py LABEL CASES [SAVE_DIR]
  CASES: comma-separated KIND:DAYS, KIND pnbd or bgnbd, DAYS 1 for summaries rounded to whole
  days (`on_whole_days` of python_vs_lifetimes_pymc.py), 0 for continuous times.
  Prints best and median of 3 fits and of 3 scorings (p_alive + expected_purchases over 39);
  with SAVE_DIR, saves the predictions as LABEL_KIND_DAYS.npy to compare builds.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clv  # noqa: E402
from python_vs_lifetimes_pymc import on_whole_days  # noqa: E402

PARAMS = {
    "pnbd": (clv.ParetoNBD, {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}),
    "bgnbd": (clv.BGNBD, {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}),
}


def best_median(fn):
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), sorted(times)[1], out


def main():
    label, cases = sys.argv[1], sys.argv[2].split(",")
    save = sys.argv[3] if len(sys.argv) > 3 else None
    for case in cases:
        kind, days = case.split(":")
        cls, params = PARAMS[kind]
        df = clv.simulate(kind, params, customers=1_000_000, acquisition=13, horizon=52, seed=3)
        d = on_whole_days(df) if days == "1" else df
        m = cls()
        fb, fm, _ = best_median(lambda: m.fit(d))
        sb, sm, (p, e) = best_median(lambda: (m.p_alive(d), m.expected_purchases(d, 39)))
        if save:
            np.save(os.path.join(save, f"{label}_{kind}_{days}.npy"), np.stack([p, e]))
        print(f"{label} {kind} days={days} fit best {fb:.3f} med {fm:.3f}  "
              f"score best {sb:.3f} med {sm:.3f}  params {m.params_}", flush=True)


if __name__ == "__main__":
    main()
