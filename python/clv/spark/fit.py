"""Fits from patterns: Spark groups the customers into their distinct (x, t_x, T) patterns (or
(x, mean spend) for Gamma-Gamma) with counts, only those reach the driver, and the core fits
on them as weights. The likelihood of a customer depends on nothing but the pattern, so the fit
is the one on every customer; the patterns stay few however many customers there are (they
are bounded by the distinct purchase-day histories)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .. import _core
from ..models import GammaGamma, Model

_PATTERN_COLUMNS = {"transaction": ("frequency", "recency", "T"),
                    "spend": ("frequency", "monetary_value"),
                    "discrete": ("frequency", "recency", "periods")}


def pattern_columns(model: Model) -> tuple:
    """The columns a model's patterns are made of."""
    if isinstance(model, GammaGamma):
        return _PATTERN_COLUMNS["spend"]
    return tuple(model.fit_columns)


def patterns(summary: DataFrame, columns) -> "object":
    """The distinct rows of ``columns`` with their counts (column ``weights``), as a pandas
    DataFrame sorted by the columns: the only data that reaches the driver."""
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise _core.BadInputError(f"the summary has no column {', '.join(missing)} "
                                  f"(columns are: {', '.join(summary.columns)})")
    counted = summary.groupBy(*columns).agg(F.count(F.lit(1)).cast("double").alias("weights"))
    return counted.toPandas().sort_values(list(columns), kind="stable").reset_index(drop=True)


def fit(model: Model, summary: DataFrame, unit: str = "week", source: str = "spark summary"):
    """Fits ``model`` (a :mod:`clv` model, e.g. ``clv.BGNBD()``) on a Spark summary from its
    patterns; returns the fitted model, with ``patterns_received`` (rows the driver got) and
    ``customers_fitted`` (their total weight) set on it.

    Example::

        >>> bgf = cs.fit(clv.BGNBD(), summary)
        >>> bgf.params_, bgf.patterns_received
    """
    table = patterns(summary, pattern_columns(model))
    model.fit(table, unit=unit, source=source)
    model.patterns_received = len(table)
    model.customers_fitted = int(table["weights"].sum())
    return model
