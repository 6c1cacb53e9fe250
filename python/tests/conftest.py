"""Shared fixtures: the reference datasets (from $CLV_DATASETS) and the `clv` binary (from
$CLV_BIN). Without the variable a test that needs it is skipped with the reason; with it set,
a missing file fails the test, as does a missing variable under CI=true."""

import os
from pathlib import Path

import pytest


def _required_path(variable: str, *parts: str) -> Path:
    root = os.environ.get(variable)
    if not root:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{variable} is not set, and under CI=true nothing may be skipped")
        pytest.skip(f"needs {variable} (set it to run this test)")
    path = Path(root, *parts)
    if not path.exists():
        pytest.fail(f"{variable} is set but {path} does not exist")
    return path


@pytest.fixture
def dataset():
    """dataset("name.csv"): the path of a reference dataset."""
    return lambda name: _required_path("CLV_DATASETS", name)


@pytest.fixture
def clv_bin():
    return _required_path("CLV_BIN")


@pytest.fixture
def cdnow_summary(dataset):
    import pandas as pd

    return pd.read_csv(dataset("cdnow_sample_summary_39wk.csv"), dtype={"customer_id": str})


@pytest.fixture
def reference(dataset):
    import json

    return json.loads(dataset("reference_lifetimes_cdnow.json").read_text())
