#!/usr/bin/env bash
# Creates the throwaway Python environment the comparison benchmarks run against:
# lifetimes 0.11.3 (with the pins it needs), DuckDB, Polars and scikit-learn, all from PyPI.
# Usage: bash benches/setup_venv.sh [VENV_DIR]   (default: target/bench-venv)
set -euo pipefail
venv="${1:-target/bench-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "lifetimes==0.11.3" "autograd>=1.6" "pandas<2.2" "numpy<2" "scipy<1.14" duckdb polars scikit-learn
"$venv/bin/python" -c "import lifetimes, duckdb, polars, sklearn; print('lifetimes', lifetimes.__version__, '| duckdb', duckdb.__version__, '| polars', polars.__version__, '| scikit-learn', sklearn.__version__)"
