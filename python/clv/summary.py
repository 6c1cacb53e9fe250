"""Transactions to the per-customer RFM summary, as ``clv summarize`` computes it."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from . import _core
from ._frame import Table, decode, frame


def summarize(transactions: Any, **options: Any):
    """Summarize transactions per customer: frequency, recency, T, monetary value.

    The conventions of ``clv summarize`` (and of ``lifetimes``): purchases on one day are one
    purchase (amounts summed); ``frequency`` = distinct purchase days - 1; ``recency`` = last -
    first purchase; ``T`` = calibration end (inclusive) - first purchase, in ``unit`` (day,
    week or month); ``monetary_value`` = mean of the repeat purchases. With ``calibration_end``
    the holdout columns ``frequency_holdout``, ``monetary_value_holdout`` and
    ``duration_holdout`` follow. Options (all keywords): ``customer_col``, ``date_col``,
    ``amount_col`` (column names), ``unit``, ``calibration_end``, ``observation_end``,
    ``extra_cols``, ``on_error``, ``output``, ``source`` (the table's name in messages); see
    :func:`summarize_with_accounting`. Other columns (``extra_cols``, default: every column but the
    three) are carried along from each customer's first purchase.

    ``on_error="fail"`` (default) raises :class:`clv.BadInputError` naming the row, column and
    value of the first bad row; ``"skip"`` rejects bad rows, counted in ``result.attrs`` (pandas)
    or the ``accounting`` of :func:`summarize_with_accounting`.

    Example::

        >>> import clv, pandas as pd
        >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
        ...                    "date": ["1997-01-01", "1997-02-01", "1997-01-05"],
        ...                    "amount": [10.0, 20.0, 5.0]})
        >>> clv.summarize(tx, calibration_end="1997-03-31")[["customer_id", "frequency"]]
    """
    return summarize_with_accounting(transactions, **options)[0]


def summarize_with_accounting(
    transactions: Any,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    unit: str = "week",
    calibration_end: Optional[str] = None,
    observation_end: Optional[str] = None,
    extra_cols: Optional[Sequence[str]] = None,
    on_error: str = "fail",
    output: str = "pandas",
    source: str = "transactions",
):
    """:func:`summarize`, and where every row went: a dict with ``rows_read``, ``rows_used``,
    ``rows_rejected``, ``rejected_by_reason``, ``rejections`` (row, column, value, reason)."""
    tx, settings = transaction_columns(
        transactions, customer_col, date_col, amount_col, extra_cols,
        unit=unit, calibration_end=calibration_end, observation_end=observation_end,
        on_error=on_error, source=source,
    )
    columns, accounting = _core.summarize(tx, settings)
    out = decode(columns)
    out["orders"] = out["orders"].astype(np.int64)
    df = frame(out, output)
    if output == "pandas":
        df.attrs["accounting"] = accounting
    return df, accounting


def transaction_columns(transactions, customer_col, date_col, amount_col, extra_cols, *,
                        unit, calibration_end, observation_end, on_error, source):
    """A transaction table as the engine's columns and summary settings (two dicts)."""
    if on_error not in ("fail", "skip"):
        raise _core.InvalidParameterError(f"on_error must be 'fail' or 'skip', got '{on_error}'")
    t = Table(transactions, source)
    t.require([customer_col, date_col, amount_col], "a transaction table")
    if extra_cols is None:
        extra_cols = [n for n in t.names if n not in (customer_col, date_col, amount_col)]
    else:
        t.require(list(extra_cols), "extra_cols")
    tx = {
        "customer_id": t.text(customer_col),
        "day": t.days(date_col),
        "amount": t.floats(amount_col),
        "extra_names": list(extra_cols),
        "extras": [t.text(n) for n in extra_cols],
    }
    settings = {
        "unit": unit,
        "calibration_end": _date_text(calibration_end),
        "observation_end": _date_text(observation_end),
        "skip_bad_rows": on_error == "skip",
        "source": source,
    }
    return tx, settings


def _date_text(d: Any) -> Optional[str]:
    """A date argument as ISO text (str, datetime.date, numpy or pandas timestamps)."""
    if d is None:
        return None
    if isinstance(d, str):
        return d
    return str(np.datetime64(d, "D"))


#: ``lifetimes``' name for :func:`summarize`.
def summary_data_from_transaction_data(
    transactions: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str = "amount",
    observation_period_end: Optional[str] = None,
    freq: str = "W",
    output: str = "pandas",
):
    """``lifetimes.utils.summary_data_from_transaction_data`` with clv's engine: ``freq`` is
    ``"D"``, ``"W"`` or ``"M"``; returns frequency, recency, T, monetary_value per customer."""
    units = {"D": "day", "W": "week", "M": "month"}
    if freq not in units:
        raise _core.InvalidParameterError(f"freq must be D, W or M, got '{freq}'")
    return summarize(
        transactions,
        customer_col=customer_id_col,
        date_col=datetime_col,
        amount_col=monetary_value_col,
        unit=units[freq],
        observation_end=_date_text(observation_period_end),
        extra_cols=[],
        output=output,
    )
