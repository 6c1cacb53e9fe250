"""The bundle on Spark data: trained on the driver from the checked transactions (all of them,
or the customers of a deterministic sample), scored in Spark per partition of customers."""

from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .. import _core
from ..bundle import Bundle
from .score import _broadcast, _loaded
from .summary import check_transactions

def _score_fields(time_unit: str, currency: str):
    """The scored columns kept, named as :meth:`clv.Bundle.score` names them: times in the
    bundle's unit (``recency_weeks``), money in the currency (``clv_usd``)."""
    t, c = f"_{time_unit}s", "_" + currency.lower()
    names = ["frequency", f"recency{t}", f"T{t}", f"total_spend{c}", "p_alive",
             "churn_probability", "expected_purchases", f"expected_avg_spend{c}",
             f"predicted_revenue{c}", f"clv{c}", f"value_at_risk{c}"]
    return [("customer_id", T.StringType())] + [(n, T.DoubleType()) for n in names]


def _clean(checked) -> DataFrame:
    """The used rows as customer_id, date, amount and the extra columns (text)."""
    extras = [F.col(f"_x{j}").alias(n) for j, n in enumerate(checked.extra_cols)]
    return checked.used.select(
        "_row", "customer_id", F.date_add(F.lit("1970-01-01").cast("date"), F.col("_day")).alias("date"),
        F.col("_amount").alias("amount"), *extras)


def _id_order(ids):
    """Sort keys that order ids as the core's `compare_ids` does (src/features/mod.rs): ids of
    digits first, by numeric value (length without leading zeros, then digits, then the
    length with them), then the other ids by their bytes."""
    numeric = ids.rlike("^[0-9]+$")
    digits = F.regexp_replace(ids, "^0+", "")
    return [(~numeric).asc(), F.when(numeric, F.length(digits)).asc(),
            F.when(numeric, digits).asc(), F.when(numeric, F.length(ids)).asc(), ids.asc()]


def train_bundle(
    transactions: DataFrame,
    *,
    sample_fraction: Optional[float] = None,
    seed: int = 1,
    unit: str = "week",
    calibration_end=None,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    on_error: str = "fail",
    source: str = "transactions",
    **train_options,
) -> Bundle:
    """Trains a :class:`clv.Bundle` (as :meth:`clv.Bundle.train` and ``clv train`` do) on Spark
    transactions: Spark checks and counts the rows, and the used rows of every customer (or,
    with ``sample_fraction``, of a sample of customers chosen by a hash of the id and
    ``seed``, the same on every run) go to the driver in row order, where the core trains.
    The accounting of the whole input is in ``bundle.spark_accounting``."""
    checked = check_transactions(
        transactions, customer_col=customer_col, date_col=date_col, amount_col=amount_col,
        unit=unit, calibration_end=calibration_end, observation_end=observation_end,
        on_error=on_error, source=source, persist=True)
    rows = _clean(checked)
    if sample_fraction is not None:
        if not 0.0 < sample_fraction <= 1.0:
            raise _core.InvalidParameterError(
                f"sample_fraction must be in (0, 1], got {sample_fraction}")
        bucket = F.pmod(F.xxhash64(F.col("customer_id"), F.lit(seed)), F.lit(1_000_000))
        rows = rows.filter(bucket < int(round(sample_fraction * 1_000_000)))
    local = rows.orderBy("_row").drop("_row").toPandas()
    checked.unpersist()
    bundle = Bundle.train(local, unit=checked.unit, calibration_end=calibration_end,
                          observation_end=checked.observation_end, source=source, **train_options)
    bundle.spark_accounting = checked.accounting
    return bundle


def score_bundle(
    bundle: Bundle,
    transactions: DataFrame,
    *,
    margin: float,
    horizon: float = 52,
    unit: Optional[str] = None,
    discount_rate: float = 0.10,
    churn_window: Optional[float] = None,
    risk_threshold: float = 0.5,
    top: Optional[int] = 100,
    min_value_at_risk: float = 0.0,
    currency: str = "USD",
    partitions: Optional[int] = None,
    **check_options,
) -> DataFrame:
    """Scores every customer of Spark transactions with a bundle as :meth:`clv.Bundle.score`
    does (p_alive, churn_probability, expected purchases and spend, predicted revenue,
    discounted clv, at_risk; money columns named in ``currency``, times in the bundle's unit, as
    there), over their whole history up to the observation end of the whole
    input. The rows are checked and counted first (``check_options`` as
    :func:`clv.spark.summarize`'s; :func:`score_bundle_with_accounting` also returns that
    count). Customers are spread over ``partitions`` (default: Spark's shuffle partitions) by id and each
    partition is scored by the core with the broadcast bundle. The at-risk flag (churn
    is the library's one at-risk rule over all customers: churn probability at least
    ``risk_threshold``, a positive value at risk of at least ``min_value_at_risk``, and among
    the ``top`` by value at risk (``None``: all), ties by customer id. The RFM segment, which ranks a customer among all
    the others, is not computed here."""
    return score_bundle_with_accounting(
        bundle, transactions, margin=margin, horizon=horizon, unit=unit,
        discount_rate=discount_rate, churn_window=churn_window, risk_threshold=risk_threshold,
        top=top, min_value_at_risk=min_value_at_risk, currency=currency, partitions=partitions,
        **check_options)[0]


def score_bundle_with_accounting(bundle: Bundle, transactions: DataFrame, *, margin, horizon=52,
                                 unit=None, discount_rate=0.10, churn_window=None,
                                 risk_threshold=0.5, top=100, min_value_at_risk=0.0,
                                 currency="USD", partitions=None, **check_options):
    """:func:`score_bundle`, and the :class:`Accounting` of the transactions."""
    check_options.setdefault("unit", bundle.time_unit)
    checked = check_transactions(transactions, **check_options)
    rows = _clean(checked)
    rows = (rows.repartition(partitions, "customer_id") if partitions
            else rows.repartition("customer_id"))
    rows = rows.sortWithinPartitions("_row")
    b = _broadcast(transactions.sparkSession, bundle)
    end = checked.observation_end
    # Each partition is scored with no top-N cut: the flag is set over all customers below.
    settings = dict(horizon=float(horizon), unit=unit, discount_rate=float(discount_rate),
                    margin=float(margin), churn_window=churn_window,
                    risk_threshold=float(risk_threshold), top=None,
                    min_value_at_risk=float(min_value_at_risk), currency=str(currency))
    fields = _score_fields(bundle.time_unit, str(currency))
    value_at_risk = fields[-1][0]

    def partition(iterator):
        batches = list(iterator)
        if not batches or sum(b_.num_rows for b_ in batches) == 0:
            return
        table = pa.Table.from_batches(batches).drop_columns(["_row"])
        scored = _loaded("bundle", b.value).score(
            table, observation_end=end, output="pyarrow", source="partition", **settings)
        names = [n for n, _ in fields]
        yield from scored.select(names).to_batches()

    scored = rows.mapInArrow(partition, T.StructType([T.StructField(n, t) for n, t in fields]))
    # The one at-risk rule (src/churn/at_risk.rs), over all customers: the eligible ones ranked
    # by value at risk, ties by id, the first `top` flagged (a small list, joined back).
    eligible = ((F.col("churn_probability") >= float(risk_threshold))
                & (F.col(value_at_risk) > 0)
                & (F.col(value_at_risk) >= float(min_value_at_risk)))
    if top is None:
        scored = scored.withColumn("at_risk", eligible)
    else:
        # orderBy + limit is planned as a top-N within each partition and a merge of those
        # (TakeOrderedAndProject), not as a sort of every customer.
        flagged = (scored.where(eligible)
                   .orderBy(F.col(value_at_risk).desc(), *_id_order(F.col("customer_id")))
                   .limit(int(top))
                   .select("customer_id", F.lit(True).alias("at_risk")))
        scored = scored.join(flagged, "customer_id", "left").withColumn(
            "at_risk", F.coalesce(F.col("at_risk"), F.lit(False)))
    return scored.select(*[n for n, _ in fields], "at_risk"), checked.accounting


def score_new(bundle: Bundle, prospects: DataFrame, *, margin: float, horizon: float = 52,
              unit: Optional[str] = None, discount_rate: float = 0.10,
              target_ltv_cac: float = 3.0, currency: str = "USD") -> DataFrame:
    """Values new customers (prospects, one row each or per segment with a ``count`` column)
    as :meth:`clv.Bundle.score_new` does, per Arrow batch in Spark: the attribute columns,
    then expected_repeat_purchases, expected_order_value_usd, first_order_value_usd, clv_usd,
    max_cac_usd (money named in ``currency``)."""
    b = _broadcast(prospects.sparkSession, bundle)
    names = prospects.columns
    text = prospects.select(*[F.col(n).cast("string").alias(n) for n in names])
    c = "_" + str(currency).lower()
    added = ["expected_repeat_purchases", f"expected_order_value{c}", f"first_order_value{c}",
             f"clv{c}", f"max_cac{c}"]
    kept = [n for n in names if n != "count"]
    schema = T.StructType([T.StructField(n, T.StringType()) for n in kept]
                          + [T.StructField(n, T.DoubleType()) for n in added])

    def batches(iterator):
        scorer = _loaded("bundle", b.value)
        for batch in iterator:
            if batch.num_rows == 0:
                continue
            out = scorer.score_new(pa.Table.from_batches([batch]), horizon=horizon, unit=unit,
                                   discount_rate=discount_rate, margin=margin,
                                   target_ltv_cac=target_ltv_cac, currency=str(currency),
                                   output="pyarrow")
            yield from out.select(kept + added).to_batches()

    return text.mapInArrow(batches, schema)
