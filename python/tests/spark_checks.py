"""Comparisons shared by the Spark test modules: a Spark result against the native one."""

import numpy as np
import pandas as pd

import clv
from clv import spark as cs

TRANSACTION_MODELS = (clv.BGNBD, clv.ParetoNBD)


def by_customer(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("customer_id", kind="stable").reset_index(drop=True)


def assert_same_summary(spark_summary, native: pd.DataFrame) -> None:
    """Same columns in the same order, same customers, every value bit for bit."""
    got = by_customer(spark_summary.toPandas())
    want = by_customer(native)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want) > 0
    assert got["customer_id"].tolist() == [str(c) for c in want["customer_id"]]
    for name in want.columns:
        if name == "customer_id":
            continue
        if name == "first_purchase":
            assert (pd.to_datetime(got[name]).to_numpy() == pd.to_datetime(want[name]).to_numpy()).all()
        elif want[name].dtype.kind in "fi":
            np.testing.assert_array_equal(got[name].to_numpy(), want[name].to_numpy(), err_msg=name)
        else:
            assert got[name].tolist() == want[name].astype(str).tolist(), name


def assert_same_fit(spark_model, native_model) -> None:
    got, want = spark_model.params_, native_model.params_
    assert got.keys() == want.keys()
    for k in want:
        assert abs(got[k] - want[k]) <= 1e-9 * abs(want[k]), (k, got[k], want[k])
    ll_got, ll_want = spark_model.log_likelihood_, native_model.log_likelihood_
    assert abs(ll_got - ll_want) <= 1e-9 * abs(ll_want)


def fits_and_scores_agree(spark_summary, native: pd.DataFrame, horizon: float = 39.0) -> dict:
    """Fits every transaction model and Gamma-Gamma both ways (compared), scores with the
    Spark-fitted models both ways (compared); returns the Spark-fitted models."""
    fitted = {}
    for kind in TRANSACTION_MODELS:
        spark_model = cs.fit(kind(), spark_summary)
        assert_same_fit(spark_model, kind().fit(native))
        assert 0 < spark_model.patterns_received < len(native)
        assert spark_model.customers_fitted == len(native)
        fitted[kind.kind] = spark_model
    ggf = cs.fit(clv.GammaGamma(), spark_summary)
    assert_same_fit(ggf, clv.GammaGamma().fit(native))
    bgf = fitted["bgnbd"]
    got = by_customer(cs.score(spark_summary, bgf, ggf, horizon=horizon).toPandas())
    want = by_customer(native)
    predicted = bgf.predict(want, horizon, spend_model=ggf, output="numpy")
    value = ggf.clv(bgf, want, output="numpy")
    assert got["customer_id"].tolist() == want["customer_id"].astype(str).tolist()
    pairs = [("p_alive", predicted["p_alive"]), ("expected_purchases", predicted["expected_purchases"]),
             ("churn_probability", predicted["p_no_purchases"]),
             ("expected_avg_spend", predicted["expected_avg_spend"]),
             ("predicted_revenue", predicted["predicted_revenue"]), ("clv", value["clv"])]
    for name, expected in pairs:
        np.testing.assert_allclose(got[name].to_numpy(), expected, rtol=1e-12, atol=0, err_msg=name)
    fitted["gamma-gamma"] = ggf
    return fitted
