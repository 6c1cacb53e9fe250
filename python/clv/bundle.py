"""The model bundle, as ``clv train`` and ``clv score`` use it: a transaction model (chosen
by the best holdout fit, or given), Gamma-Gamma spend, a covariate model for new customers and
the churn settings, in one JSON file that the CLI reads and writes."""

from __future__ import annotations

import json
import warnings
from typing import Any, Optional, Sequence

from . import _core
from ._frame import Table, arrays, decode, frame
from .summary import transaction_columns


def _attribute_columns(attributes: Any, customer_col: str) -> dict:
    """A per-customer attribute table as the engine's columns (each one list of text)."""
    t = Table(attributes, "attributes")
    t.require([customer_col], "an attribute table")
    names = [n for n in t.names if n != customer_col]
    return {
        "customer_id": t.ids(customer_col),
        "names": names,
        "values": [t.ids(n) for n in names],
        "source": "attributes",
    }


class Bundle:
    """A trained bundle. Build one with :meth:`train` or :meth:`load`.

    Example::

        >>> bundle = clv.Bundle.train(transactions, unit="week", calibration_end="2025-01-26")
        >>> scores = bundle.score(transactions, horizon=52, discount_rate=0.10, margin=0.30)
        >>> bundle.save("bundle.json")          # what `clv score --model` reads
    """

    def __init__(self, core: "_core.Bundle", accounting: Optional[dict] = None) -> None:
        self._core = core
        self._file = json.loads(core.json())
        #: Where every training row went.
        self.accounting = accounting

    @classmethod
    def train(
        cls,
        transactions: Any,
        *,
        unit: str = "week",
        calibration_end: Optional[str] = None,
        observation_end: Optional[str] = None,
        model: str = "auto",
        covariates: Optional[Sequence[str]] = None,
        attributes: Any = None,
        penalty: float = 0.0,
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        on_error: str = "fail",
        source: str = "transactions",
    ) -> "Bundle":
        """Train on transactions as ``clv train`` does: ``model="auto"`` fits every transaction
        model and keeps the best holdout fit (with ``calibration_end``) or the highest
        likelihood; the extra columns named in ``covariates`` (and only those: none by
        default, as ``clv train``) become covariates of the new-customer model.

        ``attributes``: a per-customer table (any DataFrame kind, one row per customer, with
        ``customer_col`` and one column per attribute) to take the covariates from instead of
        the transactions' extra columns, as ``clv train --covariates-file FILE`` does: all of its
        columns, or those named in ``covariates``; every customer of the transactions needs a row.

        Example::

            >>> attrs = pd.DataFrame({"customer_id": ["a", "b"], "channel": ["paid", "organic"]})
            >>> bundle = clv.Bundle.train(tx, attributes=attrs, covariates=["channel"])
            >>> bundle.score_new(pd.DataFrame({"channel": ["paid", "organic"]}), margin=0.3)
        """
        tx, settings = transaction_columns(
            transactions, customer_col, date_col, amount_col, None,
            unit=unit, calibration_end=calibration_end, observation_end=observation_end,
            on_error=on_error, source=source,
        )
        core, accounting = _core.train_bundle(
            tx, settings, model, _covariate_choice(covariates, attributes), float(penalty),
            None if attributes is None else _attribute_columns(attributes, customer_col),
        )
        return cls(core, accounting)

    @classmethod
    def load(cls, path: str) -> "Bundle":
        """Read a bundle file written by ``clv train`` or :meth:`save`."""
        return cls(_core.load_bundle(str(path)))

    def save(self, path: str) -> None:
        """Write the bundle file atomically."""
        self._core.save(str(path))

    def to_json(self) -> str:
        return self._core.json()

    @property
    def time_unit(self) -> str:
        return self._core.time_unit

    @property
    def file(self) -> dict:
        """The bundle file (what :meth:`save` writes) as a dict: the fits, the covariate
        model's coefficients under ``["covariates"]["fit"]``, the selection ..."""
        return self._file

    @property
    def chosen_model(self) -> str:
        """The transaction model the bundle uses."""
        return self._file["transaction_model"]["model"]

    @property
    def selection(self) -> dict:
        """The candidates tried and the rule that chose."""
        return self._file["selection"]

    def score(
        self,
        transactions: Any,
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
        intervals: bool = False,
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        observation_end: Optional[str] = None,
        on_error: str = "fail",
        output: str = "pandas",
        source: str = "transactions",
    ):
        """Score existing customers as ``clv score`` does: p_alive, churn_probability,
        expected purchases and spend, discounted CLV over ``horizon`` ``unit``s (default: the
        bundle's unit; converted to it) at the annual effective ``discount_rate`` and the
        required profit ``margin`` (1 = revenue), value at risk, RFM segment and the at-risk flag
        (the customers :meth:`at_risk` lists with the same ``risk_threshold``, ``top`` and
        ``min_value_at_risk``), sorted by CLV. Columns are named as the CLI's: times in the
        bundle's unit (``recency_weeks``, ``T_weeks``), money in ``currency`` (``clv_usd``,
        a three-letter code). ``intervals=True`` adds the CLV's 90% parameter-uncertainty bounds
        (``clv_low_usd``, ``clv_high_usd``) and their totals under ``totals["intervals"]``, as
        ``clv score --intervals``; a fit without covariance gives none, and says why there (and
        in a warning). The portfolio summary is in
        ``result.attrs["totals"]`` (pandas) and :attr:`last_totals`."""
        scores, _ = self._score_and_list(
            transactions, horizon, unit, discount_rate, margin, churn_window, risk_threshold, top,
            min_value_at_risk, currency, customer_col, date_col, amount_col, observation_end,
            on_error, output, source, intervals,
        )
        return scores

    def at_risk(
        self,
        transactions: Any,
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
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        observation_end: Optional[str] = None,
        on_error: str = "fail",
        output: str = "pandas",
        source: str = "transactions",
    ):
        """The at-risk list of ``clv at-risk``: customers with churn probability >=
        ``risk_threshold`` and a positive value at risk (>= ``min_value_at_risk``), the
        ``top`` by value at risk (``None``: all), ranked. Value at risk = (1 - P(alive)) x CLV
        if alive, the future value churn would cost. Columns: rank, customer_id,
        churn_probability, p_alive, clv_usd, clv_if_alive_usd, value_at_risk_usd (money in
        ``currency``), reason_1, reason_2 (the customer's silence against their usual gap, a
        drop in purchase frequency)."""
        _, listed = self._score_and_list(
            transactions, horizon, unit, discount_rate, margin, churn_window, risk_threshold, top,
            min_value_at_risk, currency, customer_col, date_col, amount_col, observation_end,
            on_error, output, source,
        )
        return listed

    def _score_and_list(self, transactions, horizon, unit, discount_rate, margin, churn_window,
                        risk_threshold, top, min_value_at_risk, currency, customer_col,
                        date_col, amount_col, observation_end, on_error, output, source,
                        intervals=False):
        """One scoring run: the scores and the at-risk list, from the same numbers."""
        tx, settings = self._transactions(
            transactions, customer_col, date_col, amount_col, observation_end, on_error, source
        )
        columns, listed, totals, accounting = self._core.score(
            tx, settings, float(horizon), unit, float(discount_rate), float(margin),
            churn_window, _at_risk_rule(risk_threshold, top, min_value_at_risk), str(currency),
            bool(intervals),
        )
        self.last_totals = json.loads(totals)
        outcome = self.last_totals.get("intervals")
        if isinstance(outcome, dict) and "Unavailable" in outcome:
            warnings.warn(f"no CLV intervals: {outcome['Unavailable']}", stacklevel=3)
        self.last_accounting = accounting
        scores = frame(decode(columns), output)
        at_risk = frame(decode(listed), output)
        if output == "pandas":
            scores.attrs["totals"] = self.last_totals
            at_risk.attrs["totals"] = self.last_totals
        return scores, at_risk

    def score_new(
        self,
        prospects: Any,
        *,
        margin: float,
        horizon: float = 52,
        unit: Optional[str] = None,
        discount_rate: float = 0.10,
        target_ltv_cac: float = 3.0,
        currency: str = "USD",
        intervals: bool = False,
        output: str = "pandas",
    ):
        """Value new customers (prospects) as ``clv score-new`` does, for ad budgets: one row
        per prospect (or per segment, with a ``count`` column) with the attributes the bundle's
        covariate model uses; adds expected_repeat_purchases, expected_order_value_usd,
        first_order_value_usd, clv_usd and max_cac_usd (clv / ``target_ltv_cac``), the money
        columns named in ``currency`` as the CLI's. ``intervals=True`` adds ``clv_low_usd``,
        ``clv_high_usd`` (90% parameter-uncertainty bounds) and ``max_cac_conservative_usd``
        (the maximum CAC from the lower bound), as ``clv score-new --intervals``."""
        t = Table(prospects, "prospects")
        columns = {n: t.ids(n) for n in t.names}
        names, values, unavailable = self._core.score_new(
            list(columns), list(columns.values()), float(horizon), unit, float(discount_rate),
            float(margin), float(target_ltv_cac), str(currency), bool(intervals),
        )
        if unavailable is not None:
            warnings.warn(f"no CLV intervals: {unavailable}", stacklevel=2)
        scored = arrays(names, values)
        out = {n: v for n, v in columns.items() if n != "count"}
        out.update(scored)
        return frame(out, output)

    def report(
        self,
        transactions: Any,
        path: str,
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
        target_ltv_cac: float = 3.0,
        interval_draws: int = 200,
        title: str = "Customer value report",
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        observation_end: Optional[str] = None,
        on_error: str = "fail",
        source: str = "transactions",
    ) -> str:
        """Write the self-contained HTML report of ``clv report`` (scores, segments, channels,
        cohorts, calibration vs holdout, churn, the fit) to ``path``; returns its one-line
        summary. ``target_ltv_cac`` sets the maximum acquisition cost (CLV / ratio) and
        ``interval_draws`` the parameter draws of the 90% intervals (0: none), as ``clv report
        --target-ltv-cac --interval-draws``. Warnings (a missing holdout section ...) are in
        :attr:`last_warnings`."""
        tx, settings = self._transactions(
            transactions, customer_col, date_col, amount_col, observation_end, on_error, source
        )
        line, self.last_warnings = self._core.report(
            tx, settings, str(path), float(horizon), unit, float(discount_rate), float(margin),
            churn_window, _at_risk_rule(risk_threshold, top, min_value_at_risk), currency,
            float(target_ltv_cac), int(interval_draws), title,
        )
        return line

    def _transactions(self, transactions, customer_col, date_col, amount_col, observation_end,
                      on_error, source):
        """Transactions to score, summarized in the bundle's unit over their whole history."""
        return transaction_columns(
            transactions, customer_col, date_col, amount_col, None,
            unit=self.time_unit, calibration_end=None, observation_end=observation_end,
            on_error=on_error, source=source,
        )

    def __repr__(self) -> str:
        return f"<clv.Bundle {self.chosen_model}, unit {self.time_unit}>"


def _covariate_choice(covariates, attributes):
    """The core's covariate selection: the named columns; without names, every column of an
    attributes table (as ``--covariates-file``) and none of the transactions' extra columns."""
    if covariates is not None:
        return list(covariates)
    return None if attributes is not None else []


def _at_risk_rule(risk_threshold, top, min_value_at_risk):
    """The at-risk rule as the core takes it: (churn threshold, top N or None, minimum)."""
    return (float(risk_threshold), None if top is None else int(top), float(min_value_at_risk))
