"""Shared fixtures: the reference datasets (from $CLV_DATASETS) and the `clv` binary (from
$CLV_BIN). Without the variable a test that needs it is skipped with the reason; with it set,
a missing file fails the test, as does a missing variable under CI=true."""

import os
from pathlib import Path

import pytest

# The Spark tests share their comparisons (spark_checks.py) from this folder.
import sys

sys.path.insert(0, str(Path(__file__).parent))


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


def spark_builder(master: str, app: str):
    """A Spark session builder whose executors run this interpreter (and so this build of
    clv), with few shuffle partitions (the test data are small) and no web UI."""
    import sys

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.pyspark.python", sys.executable)
    )


@pytest.fixture(scope="module")
def spark_local():
    """One local[2] session per test module (a session start takes seconds); stopped after
    the module, so that the next module may start another."""
    if os.environ.get("CI") != "true":
        pytest.importorskip("pyspark", reason="needs pyspark (the clv[spark] extra)")
    session = spark_builder("local[2]", "clv-tests").getOrCreate()
    yield session
    session.stop()
