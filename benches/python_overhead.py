"""Scoring 1M customers from a pandas DataFrame through `import clv`, against the core alone.

Issue #14 asks that the Python package add at most 10% to the core's scoring time (columns cross
as whole arrays, no Python per row). The core alone is `clv predict`'s own scoring time (the
"scored N customers in X s" it reports: the library's prediction table, I/O excluded); the
package is `model.predict(df, 39)` timed around the call (DataFrame to columns, the same library
call, columns back to a DataFrame).

Run: CLV_BIN=target/release/clv python benches/python_overhead.py [customers]
(in a venv with the package installed: pip install ./python pandas).
"""

import os
import re
import subprocess
import sys
import tempfile
import time

import clv

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
summary = clv.simulate("bgnbd", {"r": 0.6, "alpha": 6.0, "a": 0.5, "b": 3.0},
                       customers=n, acquisition=13, horizon=104, seed=1)
model = clv.BGNBD().fit(summary)

with tempfile.TemporaryDirectory() as d:
    model_path, summary_path = os.path.join(d, "bg.json"), os.path.join(d, "sum.csv")
    model.save(model_path)
    summary.to_csv(summary_path, index=False)
    core = []
    for _ in range(3):
        done = subprocess.run(
            [os.environ["CLV_BIN"], "predict", "--model", model_path, "--summary", summary_path,
             "--horizon", "39", "--output", os.path.join(d, "p.csv")],
            capture_output=True, text=True, check=True,
        )
        core.append(float(re.search(r"scored \d+ customers in ([0-9.]+) s", done.stderr).group(1)))

python = []
for _ in range(3):
    start = time.perf_counter()
    model.predict(summary, 39)
    python.append(time.perf_counter() - start)

print(f"{n} customers, BG/NBD, horizon 39")
print(f"core alone (clv predict's scoring): {', '.join(f'{t:.3f}' for t in core)} s")
print(f"clv.BGNBD.predict(pandas DataFrame): {', '.join(f'{t:.3f}' for t in python)} s")
print(f"best: core {min(core):.3f} s, Python {min(python):.3f} s, "
      f"overhead {100 * (min(python) / min(core) - 1):.0f}%")
