"""clv.spark on a local[2] session: summaries equal the core's bit for bit, fits from
Spark-aggregated patterns equal fits on every customer (1e-9 relative), and scores from
mapInArrow and the SQL functions equal the native predictions, on CDNOW and on simulated orders
with attributes; the bundle trained and scored through Spark equals the native bundle."""

import numpy as np
import pandas as pd
import pytest

import clv
from clv import spark as cs
from spark_checks import assert_same_fit, assert_same_summary, by_customer, fits_and_scores_agree

CAL = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow_path():
    from conftest import _required_path

    return _required_path("CLV_DATASETS", "cdnow_master.csv")


@pytest.fixture(scope="module")
def cdnow_native(cdnow_path):
    # Correctly rounded decimals, as the core and Spark parse them.
    tx = pd.read_csv(cdnow_path, dtype={"customer_id": str}, float_precision="round_trip")
    return clv.summarize(tx, calibration_end=CAL, extra_cols=[])


@pytest.fixture(scope="module")
def cdnow_spark(spark_local, cdnow_path):
    tx = spark_local.read.csv(str(cdnow_path), header=True)
    summary, accounting = cs.summarize(tx, calibration_end=CAL, extra_cols=[])
    return summary.cache(), accounting


def test_cdnow_summary_equals_the_core_bit_for_bit(cdnow_spark, cdnow_native):
    summary, accounting = cdnow_spark
    assert_same_summary(summary, cdnow_native)
    assert accounting.rows_read == accounting.rows_used == 69659
    assert accounting.rows_rejected == 0 and accounting.rejections == []
    assert accounting.describe() == "read 69659 rows: 69659 used, 0 rejected"


def test_the_summary_comes_cached_and_the_lazy_one_is_the_same(spark_local, cdnow_path,
                                                                cdnow_native):
    tx = spark_local.read.csv(str(cdnow_path), header=True)
    cached, _ = cs.summarize(tx, calibration_end=CAL, extra_cols=[])
    assert cached.storageLevel.useMemory and cached.storageLevel.useDisk
    lazy, accounting = cs.summarize(tx, calibration_end=CAL, extra_cols=[], cache=False)
    assert not lazy.storageLevel.useMemory
    assert_same_summary(lazy, cdnow_native)
    assert accounting.rows_used == 69659
    cached.unpersist()
    # check_transactions(persist=True) keeps the checked rows cached until released.
    checked = cs.check_transactions(tx, calibration_end=CAL, extra_cols=[], persist=True)
    assert checked.rows.storageLevel.useMemory
    checked.unpersist()
    assert not checked.rows.storageLevel.useMemory


def test_cdnow_fits_from_patterns_and_scores_equal_the_native_path(cdnow_spark, cdnow_native):
    fits_and_scores_agree(cdnow_spark[0], cdnow_native)


def test_sql_functions_equal_the_native_predictions(spark_local, cdnow_spark, cdnow_native):
    summary = cdnow_spark[0]
    bgf = cs.fit(clv.BGNBD(), summary)
    ggf = cs.fit(clv.GammaGamma(), summary)
    names = cs.register_sql_functions(spark_local, bgf, ggf, horizon=39.0, prefix="cdnow")
    assert names == ["cdnow_p_alive", "cdnow_expected_purchases", "cdnow_expected_spend",
                     "cdnow_value"]
    summary.createOrReplaceTempView("cdnow_summary")
    got = by_customer(spark_local.sql(
        "SELECT customer_id, cdnow_p_alive(frequency, recency, T) AS p, "
        "cdnow_expected_purchases(frequency, recency, T) AS e, "
        "cdnow_expected_spend(frequency, monetary_value) AS s, "
        "cdnow_value(frequency, recency, T, monetary_value) AS v FROM cdnow_summary").toPandas())
    want = by_customer(cdnow_native)
    np.testing.assert_allclose(got["p"], bgf.p_alive(want), rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["e"], bgf.expected_purchases(want, 39.0), rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["s"], ggf.expected_spend(want), rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["v"], ggf.clv(bgf, want, output="numpy")["clv"],
                               rtol=1e-12, atol=0)


def simulated_orders(seed: int) -> pd.DataFrame:
    """BG/NBD orders with two attributes that change from row to row (so that "the first
    row's value" is tested), same-day repeats, and the rows shuffled."""
    tx = clv.simulate_transactions("bgnbd", {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
                                   customers=3000, horizon=78, seed=seed)
    rng = np.random.default_rng(seed)
    repeats = tx.sample(frac=0.2, random_state=seed).assign(amount=lambda d: d["amount"] * 0.37)
    tx = pd.concat([tx, repeats]).sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    tx["channel"] = rng.choice(["paid", "organic", "email"], size=len(tx))
    tx["score"] = rng.integers(-5, 6, size=len(tx)).astype(str)
    return tx


@pytest.fixture(scope="module")
def simulated():
    return simulated_orders(11)


@pytest.mark.parametrize("unit,calibration_end", [("week", "2025-01-31"), ("month", None),
                                                  ("day", "2024-09-15")])
def test_simulated_summary_with_attributes_equals_the_core(spark_local, simulated, unit,
                                                           calibration_end):
    native = clv.summarize(simulated, unit=unit, calibration_end=calibration_end)
    summary, accounting = cs.summarize(spark_local.createDataFrame(simulated), unit=unit,
                                       calibration_end=calibration_end)
    assert_same_summary(summary, native)
    assert accounting.rows_used == len(simulated)
    assert list(native.columns[-2:]) == ["channel", "score"]


def test_simulated_fits_and_scores_equal_the_native_path(spark_local, simulated):
    native = clv.summarize(simulated, calibration_end="2025-01-31")
    summary, _ = cs.summarize(spark_local.createDataFrame(simulated), calibration_end="2025-01-31")
    fits_and_scores_agree(summary.cache(), native, horizon=26.0)


def test_bundle_trained_and_scored_through_spark_equals_the_native_bundle(spark_local, simulated):
    tx = spark_local.createDataFrame(simulated)
    native = clv.Bundle.train(simulated, calibration_end="2025-01-31", model="bgnbd")
    trained = cs.train_bundle(tx, calibration_end="2025-01-31", model="bgnbd")
    assert trained.chosen_model == native.chosen_model == "bgnbd"
    got_params = trained._file["transaction_model"]["params"]
    want_params = native._file["transaction_model"]["params"]
    for k, v in want_params.items():
        assert abs(got_params[k] - v) <= 1e-9 * abs(v), k
    assert trained.spark_accounting.rows_used == len(simulated)

    want = by_customer(native.score(simulated, horizon=52, discount_rate=0.1, margin=0.3))
    scored, accounting = cs.score_bundle_with_accounting(
        native, tx, horizon=52, discount_rate=0.1, margin=0.3, partitions=3)
    got = by_customer(scored.toPandas())
    assert accounting.rows_used == len(simulated)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    for name in ["frequency", "recency_weeks", "T_weeks", "total_spend_usd", "p_alive",
                 "churn_probability", "expected_purchases", "expected_avg_spend_usd",
                 "predicted_revenue_usd", "clv_usd", "value_at_risk_usd"]:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, atol=0, err_msg=name)
    assert got["at_risk"].tolist() == want["at_risk"].tolist()
    assert 0 < got["at_risk"].sum() < len(got)


def test_new_customers_scored_in_spark_equal_the_native_bundle(spark_local, simulated):
    bundle = clv.Bundle.train(simulated, calibration_end="2025-01-31", model="bgnbd",
                              covariates=["channel", "score"])
    prospects = pd.DataFrame({"channel": ["paid", "organic", "email", "paid"],
                              "score": ["-5", "0", "3", "5"]})
    want = bundle.score_new(prospects, horizon=52, margin=0.3)
    got = cs.score_new(bundle, spark_local.createDataFrame(prospects), horizon=52,
                 margin=0.3).toPandas()
    got = got.set_index(["channel", "score"]).loc[list(zip(prospects.channel, prospects.score))]
    for name in ["expected_repeat_purchases", "expected_order_value_usd", "clv_usd",
                 "max_cac_usd"]:
        np.testing.assert_allclose(got[name].to_numpy(), want[name].to_numpy(), rtol=1e-12)


def test_at_risk_ties_are_broken_in_the_cores_id_order(spark_local):
    # The core's summary lists customers in `compare_ids` order; Spark's sort keys for the
    # at-risk cut must give the same order on ids that a plain string sort gets wrong.
    from clv.spark.bundle import _id_order
    ids = ["10", "9", "009", "a", "B", "0010", "100", "x1", "2"]
    orders = pd.DataFrame({
        "customer_id": ids,
        "date": ["2024-01-01"] * len(ids),
        "amount": [1.0] * len(ids),
    })
    core = list(clv.summarize(orders, unit="day", observation_end="2024-02-01")["customer_id"])
    assert sorted(core) != core  # the control: string order differs
    df = spark_local.createDataFrame(pd.DataFrame({"customer_id": ids}))
    ordered = [r["customer_id"] for r in df.orderBy(*_id_order(df["customer_id"])).collect()]
    assert ordered == core
