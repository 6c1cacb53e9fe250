"""Transactions to the per-customer summary with Spark's own aggregations.

The rules are the core summarizer's (``src/features/``), so the table equals what
:func:`clv.summarize` gives on the same rows, bit for bit:

- a row is checked as the CLI checks a CSV row, in the same order (empty id, unparsable date,
  non-numeric, non-finite or negative amount, date after the observation end); a bad row fails
  the call (``on_error="fail"``, naming its position, column and value) or is rejected and
  counted by reason (``"skip"``);
- purchases on one calendar day are one purchase; frequency = distinct purchase days - 1;
  recency, T and the holdout length are day differences divided by the unit's days;
- the calibration end is inclusive; customers whose first purchase is after it are left out;
- sums of amounts are taken in row order (Spark folds each customer's amounts sorted by the
  row's position), as the core adds them, so the floating-point sums are the same numbers;
- extra columns come from the customer's earliest row, the first one among rows on that day.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional, Sequence

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .. import _core

# The core's rejection reasons (`ingest::reason`), checked against the CLI by the tests.
EMPTY_ID = "empty customer id"
BAD_DATE = "unparsable date"
BAD_AMOUNT = "non-numeric amount"
NON_FINITE_AMOUNT = "non-finite amount"
NEGATIVE_AMOUNT = "negative amount (refund)"
AFTER_END = "date after observation end"

DAYS_PER_UNIT = {"hour": 1.0 / 24.0, "day": 1.0, "week": 7.0, "month": 365.25 / 12.0}
_UNIT_NAMES = {"hours": "hour", "days": "day", "weeks": "week", "months": "month"}

# Spark's monotonically_increasing_id: the partition index above bit 33, the row's index in
# its partition below.
_ROW_BITS = 33
_EPOCH = _dt.date(1970, 1, 1)

# `YYYY-MM-DD`, then (past 11 characters) a `T` or space and a time as the core accepts it.
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = (r"[T ]([01][0-9]|2[0-3]):[0-5][0-9](:([0-5][0-9]|60)(\.[0-9]+)?)?"
         r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$")
_ASCII_SPACE = r"^[\t\n\f\r ]+|[\t\n\f\r ]+$"


@dataclass
class Accounting:
    """Where every row went, as the CLI counts it. ``rejections`` holds the first
    ``max_rejections`` rejected rows in row order as (position, column, value, reason); a
    position is 1-based over the whole input, in Spark's row order (a file's line order when
    Spark read one file)."""

    rows_read: int = 0
    rows_used: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict = field(default_factory=dict)
    rejections: list = field(default_factory=list)

    def describe(self) -> str:
        """The CLI's one-line account (``read N rows: U used, R rejected (reason: n, ...)``)."""
        s = f"read {self.rows_read} rows: {self.rows_used} used, {self.rows_rejected} rejected"
        if self.rejected_by_reason:
            parts = ", ".join(f"{r}: {n}" for r, n in sorted(self.rejected_by_reason.items()))
            s += f" ({parts})"
        return s


@dataclass
class CheckedTransactions:
    """Transactions with each row's position, day number, amount and rejection reason, and the
    settings they were checked with: what :func:`summarize` and the bundle scoring build on."""

    rows: DataFrame
    extra_cols: list
    unit: str
    calibration_day: Optional[int]
    end_day: int
    accounting: Accounting

    @property
    def used(self) -> DataFrame:
        return self.rows.filter(F.col("_reason").isNull())

    def unpersist(self) -> None:
        """Releases the rows from Spark's cache (a no-op unless checked with ``persist``)."""
        self.rows.unpersist()

    @property
    def observation_end(self) -> str:
        return str(_EPOCH + _dt.timedelta(days=self.end_day))


def _ascii_trimmed(c: Column) -> Column:
    return F.regexp_replace(c, _ASCII_SPACE, "")


def _text(c: Column) -> Column:
    """A column as text, nulls as the empty text (as the Python front end passes them)."""
    return F.coalesce(c.cast("string"), F.lit(""))


def _day_of_text(s: Column) -> Column:
    """Day number (since 1970-01-01) of a date text in the core's automatic layouts, or null."""
    s = _ascii_trimmed(s)
    iso = s.rlike(_ISO + "$") | ((F.length(s) > 11) & s.rlike(_ISO + _TIME))
    compact = s.rlike(r"^[0-9]{8}$")
    y = F.when(iso | compact, F.substring(s, 1, 4).cast("int"))
    m = F.when(iso, F.substring(s, 6, 2)).when(compact, F.substring(s, 5, 2)).cast("int")
    d = F.when(iso, F.substring(s, 9, 2)).when(compact, F.substring(s, 7, 2)).cast("int")
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_days = (F.when(m == 2, F.when(leap, 29).otherwise(28))
                  .when(m.isin(4, 6, 9, 11), 30).otherwise(31))
    valid = (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= month_days)
    # make_date only on checked parts: under ANSI mode it raises on an impossible date.
    return F.when(valid, F.datediff(F.make_date(y, m, d), F.lit(_EPOCH)))


def _day(c: Column, dtype: T.DataType) -> Column:
    if isinstance(dtype, T.DateType):
        return F.datediff(c, F.lit(_EPOCH))
    if isinstance(dtype, (T.TimestampType, T.TimestampNTZType)):
        return F.datediff(F.to_date(c), F.lit(_EPOCH))
    return _day_of_text(c.cast("string"))


def _amount(c: Column, dtype: T.DataType) -> Column:
    if isinstance(dtype, T.NumericType):
        return c.cast("double")
    return _ascii_trimmed(c.cast("string")).try_cast("double")


def _date_day(what: str, d) -> Optional[int]:
    if d is None:
        return None
    try:
        date = d if isinstance(d, _dt.date) else _dt.date.fromisoformat(str(d).strip())
    except ValueError:
        raise _core.InvalidParameterError(f"{what}: '{d}' is not a date (YYYY-MM-DD)") from None
    return (date - _EPOCH).days


def unit_name(unit: str) -> str:
    u = unit.strip().lower()
    u = _UNIT_NAMES.get(u, u)
    if u not in DAYS_PER_UNIT:
        raise _core.InvalidParameterError(
            f"unknown time unit '{unit}' (use hour, day, week or month)")
    return u


def check_transactions(
    transactions: DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    unit: str = "week",
    calibration_end=None,
    observation_end=None,
    extra_cols: Optional[Sequence[str]] = None,
    on_error: str = "fail",
    source: str = "transactions",
    max_rejections: int = 1000,
    persist: bool = False,
) -> CheckedTransactions:
    """Checks every row (one Spark job counts them by reason and finds the observation end)
    and returns the checked rows; see :func:`summarize`. With ``persist`` the checked rows
    (without the raw texts kept for rejection messages) are kept in Spark's cache, memory then
    disk, from that job on, so that the next job does not read and parse the input again;
    :meth:`CheckedTransactions.unpersist` releases them."""
    if on_error not in ("fail", "skip"):
        raise _core.InvalidParameterError(f"on_error must be 'fail' or 'skip', got '{on_error}'")
    unit = unit_name(unit)
    names = transactions.columns
    needed = [customer_col, date_col, amount_col]
    for n in needed:
        if n not in names:
            raise _core.BadInputError(
                f"{source}: missing column '{n}' (a transaction table needs "
                f"{', '.join(needed)}; columns are: {', '.join(names)})")
    if extra_cols is None:
        extra_cols = [n for n in names if n not in needed]
    for n in extra_cols:
        if n not in names:
            raise _core.BadInputError(f"{source}: missing column '{n}' (extra_cols)")
    cal_day = _date_day("calibration_end", calibration_end)
    obs_day = _date_day("observation_end", observation_end)
    if cal_day is not None and obs_day is not None and cal_day > obs_day:
        raise _core.InvalidParameterError(
            f"calibration end {calibration_end} is after the observation end {observation_end}")

    types = {f.name: f.dataType for f in transactions.schema.fields}
    customer = _ascii_trimmed(_text(F.col(customer_col)))
    day = _day(F.col(date_col), types[date_col])
    amount = _amount(F.col(amount_col), types[amount_col])
    rows = transactions.select(
        F.monotonically_increasing_id().alias("_row"),
        customer.alias("customer_id"),
        day.alias("_day"),
        amount.alias("_amount"),
        _text(F.col(customer_col)).alias("_id_text"),
        _text(F.col(date_col)).alias("_date_text"),
        _text(F.col(amount_col)).alias("_amount_text"),
        *[_text(F.col(n)).alias(f"_x{j}") for j, n in enumerate(extra_cols)],
    )
    a = F.col("_amount")
    reason = (F.when(F.col("customer_id") == "", EMPTY_ID)
              .when(F.col("_day").isNull(), BAD_DATE)
              .when(a.isNull(), BAD_AMOUNT)
              .when(F.isnan(a) | (F.abs(a) == float("inf")), NON_FINITE_AMOUNT)
              .when(a < 0, NEGATIVE_AMOUNT))
    if obs_day is not None:
        reason = reason.when(F.col("_day") > obs_day, AFTER_END)
    rows = rows.withColumn("_reason", reason)
    checked_rows = rows
    if persist:
        texts = ("_id_text", "_date_text", "_amount_text")
        checked_rows = rows.drop(*texts).persist(StorageLevel.MEMORY_AND_DISK)

    accounting, partition_sizes, max_day = _count(checked_rows)
    if accounting.rows_read == 0:
        raise _core.BadInputError(f"{source}: empty input (no rows)")
    if accounting.rows_rejected:
        accounting.rejections = _rejections(
            rows, partition_sizes, 1 if on_error == "fail" else max_rejections,
            {"customer_id": customer_col, "date": date_col, "amount": amount_col})
        if on_error == "fail":
            if persist:
                checked_rows.unpersist()
            line, column, value, why = accounting.rejections[0]
            raise _core.BadInputError(f"{source}:{line}: column '{column}': {why} (value '{value}')")
    end_day = obs_day if obs_day is not None else max_day
    if end_day is None:  # every row rejected
        end_day = cal_day if cal_day is not None else 0
    if cal_day is not None and cal_day > end_day:
        raise _core.InvalidParameterError(
            f"calibration end {calibration_end} is after the last date in the data "
            f"({_EPOCH + _dt.timedelta(days=end_day)}); give observation_end to set the "
            f"holdout end")
    return CheckedTransactions(checked_rows, list(extra_cols), unit, cal_day, end_day, accounting)


def _count(rows: DataFrame):
    """One job: rows per partition and reason, and the last day of the used rows."""
    counted = (rows.groupBy(F.shiftright(F.col("_row"), _ROW_BITS).alias("p"), "_reason")
               .agg(F.count(F.lit(1)).alias("n"), F.max("_day").alias("last")).collect())
    acc = Accounting()
    sizes: dict = {}
    max_day = None
    for r in counted:
        sizes[r["p"]] = sizes.get(r["p"], 0) + r["n"]
        acc.rows_read += r["n"]
        if r["_reason"] is None:
            acc.rows_used += r["n"]
            if r["last"] is not None:
                max_day = r["last"] if max_day is None else max(max_day, r["last"])
        else:
            acc.rows_rejected += r["n"]
            acc.rejected_by_reason[r["_reason"]] = acc.rejected_by_reason.get(r["_reason"], 0) + r["n"]
    return acc, sizes, max_day


def _rejections(rows: DataFrame, sizes: dict, limit: int, names: dict) -> list:
    """The first rejected rows as (1-based position, column, value, reason)."""
    offsets, total = {}, 0
    for p in sorted(sizes):
        offsets[p] = total
        total += sizes[p]
    column = {EMPTY_ID: "customer_id", BAD_DATE: "date", AFTER_END: "date"}
    first = (rows.filter(F.col("_reason").isNotNull()).orderBy("_row")
             .select("_row", "_reason", "_id_text", "_date_text", "_amount_text")
             .limit(limit).collect())
    out = []
    for r in first:
        p, i = r["_row"] >> _ROW_BITS, r["_row"] & ((1 << _ROW_BITS) - 1)
        which = column.get(r["_reason"], "amount")
        value = {"customer_id": r["_id_text"], "date": r["_date_text"], "amount": r["_amount_text"]}[which]
        out.append((offsets[p] + i + 1, names[which], value, r["_reason"]))
    return out


def _sum_in_row_order(entries: Column, keep=None) -> Column:
    """Sum of ``amount`` over an array of (row, ..., amount) structs, in row order, from 0.0,
    as the core adds a customer's amounts."""
    ordered = F.array_sort(entries)
    if keep is not None:
        ordered = F.filter(ordered, keep)
    return F.aggregate(ordered, F.lit(0.0), lambda acc, e: acc + e["amount"])


def _distinct_days(entries: Column) -> Column:
    """The number of distinct ``day`` values in an array of entries."""
    return F.size(F.array_distinct(F.transform(entries, lambda e: e["day"])))


def _finite(value: Column, what: str, amount_col: str) -> Column:
    """The value, or a failed job naming the customer whose amounts sum beyond the largest
    number (each amount is finite, their sum need not be)."""
    message = F.concat(F.lit("customer '"), F.col("customer_id"),
                       F.lit(f"': column '{amount_col}': the amounts sum beyond the largest "
                             f"number (its {what} would be infinite)"))
    return F.when(F.abs(value) == float("inf"), F.raise_error(message)).otherwise(value)


def summarize_checked(checked: CheckedTransactions, amount_col: str = "amount") -> DataFrame:
    """The summary of checked transactions (lazy: a Spark DataFrame)."""
    dpu = DAYS_PER_UNIT[checked.unit]
    cal = checked.calibration_day
    cal_end = cal if cal is not None else checked.end_day
    day = F.col("_day")
    in_cal = day <= cal_end
    entry = F.struct(F.col("_row").alias("row"), day.alias("day"), F.col("_amount").alias("amount"))
    extras = [f"_x{j}" for j in range(len(checked.extra_cols))]
    # Distinct purchase days are counted from the collected entries, not by count_distinct:
    # two distinct aggregates on different expressions make Spark expand every row into one
    # copy per distinct group before the shuffle (three rows per transaction here), which
    # made the summary twice as slow.
    aggs = [
        F.min(F.when(in_cal, day)).alias("_first"),
        F.max(F.when(in_cal, day)).alias("_last"),
        F.count(F.when(in_cal, F.lit(1))).alias("orders"),
        F.collect_list(F.when(in_cal, entry)).alias("_cal"),
    ]
    if cal is not None:
        aggs.append(F.collect_list(F.when(~in_cal, entry)).alias("_hold"))
    if extras:
        aggs.append(F.min_by(F.struct(*extras), F.struct(day, F.col("_row"))).alias("_extras"))
    g = checked.used.groupBy("customer_id").agg(*aggs).filter(F.col("_first").isNotNull())
    g = g.withColumn("_days", _distinct_days(F.col("_cal")))
    if cal is not None:
        g = g.withColumn("_hdays", _distinct_days(F.col("_hold")))

    x = (F.col("_days") - 1).cast("double")
    spend = _finite(_sum_in_row_order(F.col("_cal")), "total_spend", amount_col)
    first_amount = _finite(
        _sum_in_row_order(F.col("_cal"), lambda e: e["day"] == F.col("_first")),
        "first_order_value", amount_col)
    monetary = F.when(x > 0, F.greatest((F.col("total_spend") - F.col("_first_amount")) / x,
                                        F.lit(0.0))).otherwise(0.0)
    g = g.withColumn("total_spend", spend).withColumn("_first_amount", first_amount)
    out = [
        F.col("customer_id"),
        x.alias("frequency"),
        ((F.col("_last") - F.col("_first")).cast("double") / dpu).alias("recency"),
        ((F.lit(cal_end) - F.col("_first")).cast("double") / dpu).alias("T"),
        monetary.alias("monetary_value"),
        F.date_add(F.lit(_EPOCH), F.col("_first")).alias("first_purchase"),
        F.col("orders").cast("long").alias("orders"),
        F.col("total_spend"),
    ]
    if cal is not None:
        n = F.col("_hdays").cast("double")
        hold_spend = _finite(_sum_in_row_order(F.col("_hold")), "holdout spend", amount_col)
        out += [
            n.alias("frequency_holdout"),
            F.when(n > 0, hold_spend / n).otherwise(0.0).alias("monetary_value_holdout"),
            F.lit(float(checked.end_day - cal) / dpu).alias("duration_holdout"),
        ]
    out += [F.col("_extras")[e].alias(name) for e, name in zip(extras, checked.extra_cols)]
    return g.select(*out)


def summarize(transactions: DataFrame, **options):
    """The per-customer summary of a Spark DataFrame of transactions, and where every row went:
    ``(summary, accounting)``, the summary a lazy Spark DataFrame with ``clv summarize``'s
    columns (customer_id, frequency, recency, T, monetary_value, first_purchase, orders,
    total_spend, the holdout columns with ``calibration_end``, then the extra columns as text),
    the accounting an :class:`Accounting`.

    Options as :func:`clv.summarize`'s: ``customer_col``, ``date_col``, ``amount_col``,
    ``unit``, ``calibration_end``, ``observation_end``, ``extra_cols`` (default: every other
    column), ``on_error`` (``"fail"`` or ``"skip"``), ``source``, and ``max_rejections`` (how
    many rejected rows to keep with their values; all are counted). With ``cache=True`` (the
    default) the input is read and parsed once: the checked rows are cached for the summary,
    which is computed in the call and returned cached (memory, then disk; release it with
    ``summary.unpersist()``), and the rows are released; ``cache=False`` returns the summary
    lazily, and each job on it reads the input again. Dates may be a date or
    timestamp column (timestamps in the session's time zone) or text in the CLI's layouts
    (``YYYY-MM-DD``, ``YYYYMMDD``, ISO date-times); amounts numbers or numeric text.

    Example::

        >>> from clv import spark as cs
        >>> tx = spark.read.csv("orders.csv", header=True)
        >>> summary, accounting = cs.summarize(tx, calibration_end="1997-09-30", on_error="skip")
        >>> accounting.describe()
        'read 69659 rows: 69659 used, 0 rejected'
    """
    cache = options.pop("cache", True)
    checked = check_transactions(transactions, persist=cache, **options)
    summary = summarize_checked(checked, options.get("amount_col", "amount"))
    if cache:
        summary = summary.persist(StorageLevel.MEMORY_AND_DISK)
        summary.count()
        checked.unpersist()
    return summary, checked.accounting
