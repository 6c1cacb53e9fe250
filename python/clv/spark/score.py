"""Scoring in Spark: each partition's Arrow batches go through the core (``mapInArrow``) with
the fitted model or bundle broadcast as its JSON file, so nothing per customer passes through
the driver and a lost task is simply run again (scoring is a pure function of its rows)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Optional

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..bundle import Bundle
from ..models import GammaGamma, TransactionModel, load_model

# Models and bundles rebuilt from their files, once per Python worker process.
_LOADED: dict = {}


def _loaded(kind: str, text: str):
    """The model (``kind="model"``) or bundle of a JSON file's text, read once per process."""
    key = (kind, hashlib.sha256(text.encode()).hexdigest())
    if key not in _LOADED:
        fd, path = tempfile.mkstemp(suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            _LOADED[key] = load_model(path) if kind == "model" else Bundle.load(path)
        finally:
            os.unlink(path)
    return _LOADED[key]


def _broadcast(spark: SparkSession, obj) -> "object":
    return spark.sparkContext.broadcast(obj.to_json())


def _score_schema(with_spend: bool) -> T.StructType:
    names = ["p_alive", "expected_purchases", "churn_probability"]
    if with_spend:
        names += ["expected_avg_spend", "predicted_revenue", "clv"]
    return T.StructType([T.StructField("customer_id", T.StringType())]
                        + [T.StructField(n, T.DoubleType()) for n in names])


def score(
    summary: DataFrame,
    model: TransactionModel,
    spend_model: Optional[GammaGamma] = None,
    *,
    horizon: float = 52.0,
    periods: int = 12,
    period_length: float = 4.345,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> DataFrame:
    """Scores every customer of a Spark summary (columns customer_id, frequency, recency, T,
    and monetary_value with a spend model) with a fitted transaction model: p_alive,
    expected_purchases over ``horizon`` and churn_probability (no purchase within
    ``horizon``), as :meth:`TransactionModel.predict` gives them; with a Gamma-Gamma
    ``spend_model`` also expected_avg_spend, predicted_revenue and the discounted clv of
    :meth:`GammaGamma.clv` (``periods`` of ``period_length``, ``discount_rate`` per period,
    ``margin``). A lazy DataFrame, one row per customer.

    Example::

        >>> scores = cs.score(summary, bgf, ggf, horizon=39)
    """
    spark = summary.sparkSession
    columns = ["customer_id", "frequency", "recency", "T"] + (
        ["monetary_value"] if spend_model is not None else [])
    m = _broadcast(spark, model)
    s = _broadcast(spark, spend_model) if spend_model is not None else None
    settings = (float(horizon), int(periods), float(period_length), float(discount_rate),
                float(margin))

    def batches(iterator):
        transaction = _loaded("model", m.value)
        spend = _loaded("model", s.value) if s is not None else None
        for batch in iterator:
            yield _score_batch(pa.Table.from_batches([batch]), transaction, spend, settings)

    typed = summary.select(F.col("customer_id").cast("string").alias("customer_id"),
                           *[F.col(c).cast("double").alias(c) for c in columns[1:]])
    return typed.mapInArrow(batches, _score_schema(spend_model is not None))


def _score_batch(table: pa.Table, transaction, spend, settings) -> pa.RecordBatch:
    horizon, periods, period_length, discount_rate, margin = settings
    predicted = transaction.predict(table, horizon, spend_model=spend, output="numpy")
    out = {
        "customer_id": table.column("customer_id").combine_chunks(),
        "p_alive": predicted["p_alive"],
        "expected_purchases": predicted["expected_purchases"],
        "churn_probability": predicted["p_no_purchases"],
    }
    if spend is not None:
        value = spend.clv(transaction, table, periods, period_length, discount_rate, margin,
                          output="numpy")
        out.update(expected_avg_spend=predicted["expected_avg_spend"],
                   predicted_revenue=predicted["predicted_revenue"], clv=value["clv"])
    return pa.RecordBatch.from_pydict(out)


def register_sql_functions(
    spark: SparkSession,
    model: TransactionModel,
    spend_model: Optional[GammaGamma] = None,
    *,
    horizon: float = 52.0,
    periods: int = 12,
    period_length: float = 4.345,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    prefix: str = "clv",
) -> list:
    """Registers Arrow-based SQL functions of a fitted model for analysts who work in SQL
    (returns their names): ``clv_p_alive(frequency, recency, T)``,
    ``clv_expected_purchases(frequency, recency, T)`` over ``horizon``, and with a spend model
    ``clv_expected_spend(frequency, monetary_value)`` and
    ``clv_value(frequency, recency, T, monetary_value)`` (discounted CLV, settings as
    :func:`score`'s).

    Example::

        >>> cs.register_sql_functions(spark, bgf, ggf, horizon=39)
        >>> spark.sql("SELECT customer_id, clv_p_alive(frequency, recency, T) FROM summary")
    """
    from pyspark.sql.functions import pandas_udf

    m = _broadcast(spark, model)
    s = _broadcast(spark, spend_model) if spend_model is not None else None
    h = float(horizon)

    def rfm(f, r, t):
        return {"frequency": f.to_numpy(float), "recency": r.to_numpy(float), "T": t.to_numpy(float)}

    @pandas_udf("double")
    def p_alive(f: pd.Series, r: pd.Series, t: pd.Series) -> pd.Series:
        return pd.Series(_loaded("model", m.value).p_alive(rfm(f, r, t)))

    @pandas_udf("double")
    def expected_purchases(f: pd.Series, r: pd.Series, t: pd.Series) -> pd.Series:
        return pd.Series(_loaded("model", m.value).expected_purchases(rfm(f, r, t), h))

    registered = {f"{prefix}_p_alive": p_alive, f"{prefix}_expected_purchases": expected_purchases}
    if s is not None:
        @pandas_udf("double")
        def expected_spend(f: pd.Series, mv: pd.Series) -> pd.Series:
            data = {"frequency": f.to_numpy(float), "monetary_value": mv.to_numpy(float)}
            return pd.Series(_loaded("model", s.value).expected_spend(data))

        @pandas_udf("double")
        def value(f: pd.Series, r: pd.Series, t: pd.Series, mv: pd.Series) -> pd.Series:
            data = dict(rfm(f, r, t), monetary_value=mv.to_numpy(float))
            out = _loaded("model", s.value).clv(
                _loaded("model", m.value), data, int(periods), float(period_length),
                float(discount_rate), float(margin), output="numpy")
            return pd.Series(out["clv"])

        registered[f"{prefix}_expected_spend"] = expected_spend
        registered[f"{prefix}_value"] = value
    for name, fn in registered.items():
        spark.udf.register(name, fn)
    return list(registered)
