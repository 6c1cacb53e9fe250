"""The churn side, as ``clv churn train``, ``clv churn score``, ``clv evaluate`` and
``clv describe`` compute it: thin wrappers over the engine's jobs. Keyword names are the CLI's
flags (``churn_window`` for ``--churn-window``, ``penalty`` for ``--penalty``,
``risk_threshold`` for ``--risk-threshold``). The at-risk list is the bundle's
(:meth:`clv.Bundle.at_risk`)."""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

from . import _core
from ._frame import decode, frame
from .summary import transaction_columns


def _request(transaction_model, churn_window, covariates, class_weights, penalty, seed) -> dict:
    return {
        "transaction_model": transaction_model,
        "window": None if churn_window is None else float(churn_window),
        "covariates": list(covariates),
        "class_weights": class_weights,
        "l2": float(penalty),
        "seed": int(seed),
    }


def _columns(transactions, unit, calibration_end, customer_col, date_col, amount_col,
             observation_end, on_error, source, attributes=None):
    """The transactions as the core's columns plus the summary settings."""
    return transaction_columns(
        transactions, customer_col, date_col, amount_col, attributes, unit=unit,
        calibration_end=calibration_end, observation_end=observation_end, on_error=on_error,
        source=source,
    )


class ChurnModel:
    """A churn classifier (the file ``clv churn train`` writes): logistic regression on the
    transaction model's predictions, the RFM history and covariates, labels from a holdout.

    Example::

        >>> churn = clv.ChurnModel.train(tx, calibration_end="1997-09-30", churn_window=39)
        >>> churn.training["metrics"]["roc_auc"]       # in-sample
        >>> churn.score(tx).head()                      # highest churn probability first
        >>> churn.save("churn.json")                    # what `clv churn score` reads
    """

    def __init__(self, core: "_core.ChurnModel") -> None:
        self._core = core
        self._file = json.loads(core.json())

    @classmethod
    def train(
        cls,
        transactions: Any,
        *,
        calibration_end: str,
        unit: str = "week",
        churn_window: Optional[float] = None,
        transaction_model: str = "bgnbd",
        covariates: Sequence[str] = (),
        class_weights: str = "none",
        penalty: float = 1.0,
        seed: int = 42,
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        observation_end: Optional[str] = None,
        on_error: str = "fail",
        source: str = "transactions",
    ) -> "ChurnModel":
        """Train as ``clv churn train`` does: churn = no purchase in the ``churn_window``
        periods after ``calibration_end`` (default: the whole holdout); ``covariates`` are
        extra columns (``NAME``, ``NAME:numeric`` or ``NAME:categorical``); ``class_weights`` is
        ``"none"`` or ``"balanced"``; ``penalty`` the L2 penalty on standardised
        coefficients."""
        tx, settings = _columns(transactions, unit, calibration_end, customer_col, date_col,
            amount_col, observation_end, on_error, source)
        request = _request(transaction_model, churn_window, covariates, class_weights, penalty,
                           seed)
        return cls(_core.churn_train(tx, settings, request))

    @classmethod
    def load(cls, path: str) -> "ChurnModel":
        """Read a churn model file written by ``clv churn train`` or :meth:`save`."""
        return cls(_core.load_churn_model(str(path)))

    def save(self, path: str) -> None:
        """Write the churn model file atomically."""
        self._core.save(str(path))

    def to_json(self) -> str:
        return self._core.json()

    @property
    def time_unit(self) -> str:
        return self._core.time_unit

    @property
    def settings(self) -> dict:
        """Window, threshold, covariates, penalty ... as stored in the file."""
        return self._file["settings"]

    @property
    def training(self) -> dict:
        """Customers, churn rate and in-sample metrics of the training run."""
        return self._file["training"]

    def score(
        self,
        transactions: Any,
        *,
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        observation_end: Optional[str] = None,
        on_error: str = "fail",
        output: str = "pandas",
        source: str = "transactions",
    ):
        """Score every customer of the transactions (their whole history, in the model's
        unit) as ``clv churn score`` does: churn_probability, p_alive,
        expected_purchases_window, total_spend; highest churn probability first."""
        tx, settings = _columns(transactions, self.time_unit, None, customer_col, date_col,
            amount_col, observation_end, on_error, source)
        return frame(decode(self._core.score(tx, settings)), output)

    def __repr__(self) -> str:
        return f"<clv.ChurnModel window {self.settings['window']} {self.time_unit}s>"


def evaluate_churn(
    transactions: Any,
    *,
    calibration_end: str,
    unit: str = "week",
    churn_window: Optional[float] = None,
    transaction_model: str = "bgnbd",
    covariates: Sequence[str] = (),
    class_weights: str = "none",
    penalty: float = 1.0,
    seed: int = 42,
    test_fraction: float = 0.3,
    risk_threshold: float = 0.5,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    observation_end: Optional[str] = None,
    on_error: str = "fail",
    source: str = "transactions",
) -> dict:
    """Held-out evaluation as ``clv evaluate --output`` writes it (the same JSON, as a dict):
    metrics (roc_auc, pr_auc, brier, log_loss, lift, gains, calibration, confusion) of the
    classifier, of the transaction model alone (``probabilistic``) and of a baseline logistic
    regression on a seeded stratified split, plus the ``holdout`` predicted-vs-actual purchases
    and spend. The warnings are under ``"warnings"``.

    Example::

        >>> ev = clv.evaluate_churn(tx, calibration_end="1997-09-30", churn_window=39)
        >>> ev["classifier"]["roc_auc"], ev["probabilistic"]["roc_auc"]
    """
    tx, settings = _columns(transactions, unit, calibration_end, customer_col, date_col,
        amount_col, observation_end, on_error, source)
    request = _request(transaction_model, churn_window, covariates, class_weights, penalty, seed)
    text, warnings = _core.churn_evaluate(
        tx, settings, request, float(test_fraction), float(risk_threshold)
    )
    report = json.loads(text)
    report["warnings"] = warnings
    return report


def describe(
    transactions: Any,
    *,
    lifespan_years: Optional[float] = None,
    cac: Optional[float] = None,
    unit: str = "week",
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    observation_end: Optional[str] = None,
    on_error: str = "fail",
    source: str = "transactions",
) -> dict:
    """History-based metrics as ``clv describe --json`` prints them: average purchase value
    and frequency, customer value, churn rate, lifespan, historical CLV (and LTV:CAC with
    ``cac``).

    Example::

        >>> clv.describe(tx, cac=40, lifespan_years=3)["historical_clv"]
    """
    tx, settings = _columns(transactions, unit, None, customer_col, date_col,
        amount_col, observation_end, on_error, source, attributes=[])
    return json.loads(_core.describe(
        tx, settings,
        None if lifespan_years is None else float(lifespan_years),
        None if cac is None else float(cac),
    ))
