"""Each DataFrame kind in and out gives the same numbers."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import clv


class CapsuleOnly:
    """A table known only through the Arrow PyCapsule interface."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def kinds(df: pd.DataFrame):
    table = pa.Table.from_pandas(df, preserve_index=False)
    return {
        "pandas": df,
        "pandas-arrow": df.convert_dtypes(dtype_backend="pyarrow"),
        "polars": pl.from_pandas(df),
        "pyarrow": table,
        "capsule": CapsuleOnly(table),
        "dict": {c: df[c].to_numpy() for c in df.columns},
    }


@pytest.fixture
def small_summary():
    """Customers drawn from a BG/NBD process (r=0.5, alpha=5, a=0.8, b=2.5) over 30 weeks,
    with Gamma order values (no datasets needed)."""
    rng = np.random.default_rng(7)
    n = 400
    lam = rng.gamma(0.5, 1 / 5.0, n)
    p = rng.beta(0.8, 2.5, n)
    T = rng.uniform(20, 40, n)
    x = np.zeros(n)
    recency = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            recency[i] = t
            if rng.random() < p[i]:
                break
    m = np.where(x > 0, rng.gamma(5.0, 6.0, n), 0.0)
    ids = [f"c{i}" for i in range(n)]
    return pd.DataFrame({"customer_id": ids, "frequency": x, "recency": recency, "T": T,
                         "monetary_value": m})


def test_every_input_kind_fits_and_predicts_the_same(small_summary):
    results = {}
    for name, data in kinds(small_summary).items():
        bg = clv.BGNBD().fit(data)
        gg = clv.GammaGamma().fit(data)
        p = bg.predict(data, horizon=10, spend_model=gg)
        results[name] = (bg.params_, gg.params_, p)
    base = results["pandas"]
    for name, (bp, gp, p) in results.items():
        assert bp == base[0], name
        assert gp == base[1], name
        assert list(p["customer_id"]) == list(base[2]["customer_id"]), name
        for col in ["p_alive", "expected_purchases", "expected_avg_spend", "predicted_revenue"]:
            assert np.array_equal(p[col].to_numpy(), base[2][col].to_numpy()), (name, col)


def test_every_output_kind_holds_the_same_numbers(small_summary):
    bg = clv.BGNBD().fit(small_summary)
    pandas_out = bg.predict(small_summary, 5)
    polars_out = bg.predict(small_summary, 5, output="polars")
    arrow_out = bg.predict(small_summary, 5, output="pyarrow")
    numpy_out = bg.predict(small_summary, 5, output="numpy")
    assert isinstance(pandas_out, pd.DataFrame)
    assert isinstance(polars_out, pl.DataFrame)
    assert isinstance(arrow_out, pa.Table)
    for col in ["p_alive", "expected_purchases", "p_no_purchases"]:
        want = pandas_out[col].to_numpy()
        assert np.array_equal(polars_out[col].to_numpy(), want)
        assert np.array_equal(arrow_out.column(col).to_numpy(), want)
        assert np.array_equal(numpy_out[col], want)
    s = bg.summary_table(output="polars")
    assert s["parameter"].to_list() == ["r", "alpha", "a", "b"]


def test_transactions_of_every_kind_summarize_the_same():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "b", "a", "c", "b"],
        "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-03", "2020-02-01",
                                "2020-03-01", "2020-03-10"]),
        "amount": [10.0, 5.0, 3.0, 20.0, 7.0, 4.0],
        "channel": ["web", "web", "shop", "web", "shop", "web"],
    })
    base = clv.summarize(tx, unit="day", calibration_end="2020-02-15")
    a = base.set_index("customer_id")
    # Same-day purchases are one: a bought on 2 days before the calibration end.
    assert a.loc["a", "frequency"] == 1 and a.loc["a", "recency"] == 31
    assert a.loc["a", "monetary_value"] == 20 and a.loc["a", "orders"] == 3
    assert a.loc["b", "frequency_holdout"] == 1 and a.loc["a", "channel"] == "web"
    assert "c" not in a.index  # first bought after the calibration end
    for name, data in kinds(tx).items():
        s = clv.summarize(data, unit="day", calibration_end="2020-02-15", output="pandas")
        pd.testing.assert_frame_equal(s, base, check_dtype=False, obj=name)
    strings = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(
        clv.summarize(strings, unit="day", calibration_end="2020-02-15"), base
    )
    lifetimes_style = clv.summary_data_from_transaction_data(
        tx, "customer_id", "date", "amount", observation_period_end="2020-03-31", freq="D"
    )
    assert list(lifetimes_style.columns[:5]) == [
        "customer_id", "frequency", "recency", "T", "monetary_value"
    ]
