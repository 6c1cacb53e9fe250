"""The models, with the names ``lifetimes`` and PyMC-Marketing users know.

Every class fits by maximum likelihood in the engine (multi-start L-BFGS, standard errors from
the observed information) and keeps the fit as the same JSON model file ``clv fit`` writes:
:meth:`Model.save` and :func:`load_model` read and write files the CLI reads and writes.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

import numpy as np

from . import _core
from ._frame import Table, arrays, frame

_KINDS = {k[0]: k for k in _core.model_kinds()}


def _new_customer_distribution(fitted, n, horizon) -> Any:
    """P(exactly n repeat purchases by ``horizon``) of a new customer: a float for one count,
    an array for several."""
    counts = [int(k) for k in np.atleast_1d(n)]
    names, values = fitted.new_customer_distribution(float(horizon), counts)
    p = arrays(names, values)["probability"]
    return float(p[0]) if np.ndim(n) == 0 else p


class Model:
    """A model of one kind of the engine's registry; ``fit`` returns the fitted model."""

    kind: str = ""
    #: Columns that ``fit`` reads.
    fit_columns: tuple = ()

    def __init__(self, penalty: float = 0.0) -> None:
        self.penalty = penalty
        self._fitted: Optional[_core.FittedModel] = None
        self._file: Optional[dict] = None

    # -- fitting and files ---------------------------------------------------------------

    def fit(self, data: Any, unit: str = "week", source: str = "data") -> "Model":
        """Fit on a table of customers (DataFrame, pyarrow Table or dict of arrays) with the
        columns in ``fit_columns`` (a ``weights`` column, if there, counts identical rows).
        ``unit`` is recorded in the model file. Returns ``self``, fitted."""
        t = Table(data, source)
        t.require(list(self.fit_columns), f"a {self.kind} fit")
        columns = {n: t.floats(n) for n in self.fit_columns}
        if t.has("weights"):
            columns["weights"] = t.floats("weights")
        unit = unit if _KINDS[self.kind][2] in ("transaction", "spend") else "period"
        # No ids: the fit's messages name rows by position (1M ids as a list cost ~0.1 s).
        self._set(_core.fit(self.kind, columns, unit, float(self.penalty), source))
        return self

    def _set(self, fitted: "_core.FittedModel") -> None:
        self._fitted = fitted
        self._file = json.loads(fitted.json())

    @property
    def fitted(self) -> "_core.FittedModel":
        if self._fitted is None:
            raise _core.InvalidParameterError(f"the {self.kind} model is not fitted: call fit first")
        return self._fitted

    def save(self, path: str) -> None:
        """Write the model file (the JSON of ``clv fit --output``), atomically."""
        self.fitted.save(str(path))

    def to_json(self) -> str:
        """The model file as text."""
        return self.fitted.json()

    @classmethod
    def load(cls, path: str) -> "Model":
        """Read a model file written by ``clv fit`` or :meth:`save`."""
        m = load_model(path)
        if cls is not Model and not isinstance(m, cls):
            raise _core.IncompatibleModelError(
                f"model file {path}: holds a {m.kind} model, not {cls.kind}"
            )
        return m

    # -- what the fit found --------------------------------------------------------------

    @property
    def params_(self) -> dict:
        """Estimates by the literature's parameter names."""
        names = _KINDS[self.kind][3]
        self.fitted
        return {n: self._file["params"][n] for n in names}

    @property
    def log_likelihood_(self) -> float:
        self.fitted
        return self._file["log_likelihood"]

    @property
    def warnings(self) -> list:
        self.fitted
        return list(self._file["fit"]["warnings"])

    @property
    def diagnostics(self) -> dict:
        """Convergence, iterations, gradient norm, parameters at the boundary, starts tried,
        customers and patterns fitted on, fit time."""
        self.fitted
        f = self._file["fit"]
        return {
            "converged": f["converged"],
            "iterations": f["iterations"],
            "gradient_norm": f["gradient_norm"],
            "at_boundary": list(f["at_boundary"]),
            "starts_tried": f["starts_tried"],
            "penalty": f["penalty"],
            "n": self._file["n"],
            "patterns": self._file["patterns"],
            "fit_seconds": self._file["fit_seconds"],
            "time_unit": self._file["time_unit"],
        }

    def summary_table(self, output: str = "pandas"):
        """Parameter, estimate, standard error and 95% interval (NaN where the information
        is singular)."""
        self.fitted
        f = self._file["fit"]
        nan = float("nan")
        ci = [c if c is not None else (nan, nan) for c in f["ci95"]]
        return frame(
            {
                "parameter": list(f["param_names"]),
                "estimate": np.array(f["estimates"], dtype=float),
                "std_error": np.array([nan if s is None else s for s in f["std_errors"]], dtype=float),
                "lower_95": np.array([c[0] for c in ci], dtype=float),
                "upper_95": np.array([c[1] for c in ci], dtype=float),
            },
            output,
        )

    @property
    def summary(self):
        """:meth:`summary_table` as a pandas DataFrame indexed by parameter (``lifetimes``'
        ``fitter.summary``)."""
        return self.summary_table().set_index("parameter")

    def __repr__(self) -> str:
        if self._fitted is None:
            return f"<clv.{type(self).__name__} (not fitted)>"
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<clv.{type(self).__name__} {p}, log-likelihood {self.log_likelihood_:.2f}>"


def _ids(t: Table) -> list:
    if t.has("customer_id"):
        return t.ids("customer_id")
    return np.arange(1, len(t) + 1).astype(str).tolist()


def _id_column(t: Table) -> np.ndarray:
    """The ids as they came (one array, not converted), for the output."""
    if t.has("customer_id"):
        return t.column("customer_id")
    return np.arange(1, len(t) + 1).astype(str)


def _summary_columns(t: Table, names) -> dict:
    return {n: t.floats(n) for n in names if t.has(n)}


class TransactionModel(Model):
    """Continuous-time "buy till you die" models: predictions per customer from
    frequency, recency and T."""

    fit_columns = ("frequency", "recency", "T")

    def _customers(self, data: Any, with_spend: bool = False, with_ids: bool = True):
        t = Table(data, "customers")
        t.require(["frequency", "recency", "T"], "a prediction")
        names = ["frequency", "recency", "T"] + (["monetary_value"] if with_spend else [])
        if with_spend:
            t.require(names, "a spend prediction")
        return t, _ids(t) if with_ids else [], _summary_columns(t, names)

    def predict(
        self,
        data: Any,
        horizon: float,
        spend_model: Optional["GammaGamma"] = None,
        discount_rate: Optional[float] = None,
        output: str = "pandas",
        p_purchases: Sequence[int] = (),
    ):
        """The table of ``clv predict``: customer_id, frequency, recency, T, p_alive,
        expected_purchases and p_no_purchases over ``horizon`` (the model's time unit), then
        expected_avg_spend and predicted_revenue with a Gamma-Gamma ``spend_model`` (the data
        then needs monetary_value), dert with a continuous ``discount_rate`` (Pareto/NBD), and
        ``p_purchases_N`` (P(exactly N purchases in the horizon)) for each N of ``p_purchases``.

        Example::

            >>> bgf = clv.BGNBD().fit(summary)
            >>> bgf.predict(summary, horizon=39)
        """
        spend = spend_model.fitted if spend_model is not None else None
        # The ids cross only where a message may need them (the spend model's).
        t, ids, cols = self._customers(data, with_spend=spend is not None, with_ids=spend is not None)
        counts = [int(n) for n in p_purchases]
        names, values = self.fitted.predict(ids, cols, float(horizon), spend, discount_rate, counts)
        return frame({"customer_id": _id_column(t), **arrays(names, values)}, output)

    def _column(self, data: Any, horizon: float, name: str) -> np.ndarray:
        t, ids, cols = self._customers(data, with_ids=False)
        names, values = self.fitted.predict([], cols, float(horizon), None, None)
        return arrays(names, values)[name]

    def p_alive(self, data: Any) -> np.ndarray:
        """P(alive) at T of each customer."""
        return self._column(data, 0.0, "p_alive")

    def expected_purchases(self, data: Any, horizon: float) -> np.ndarray:
        """Expected purchases of each customer in the next ``horizon``."""
        return self._column(data, horizon, "expected_purchases")

    def prob_n_purchases(self, data: Any, n: int, horizon: float) -> np.ndarray:
        """P(exactly ``n`` purchases in the next ``horizon``) of each customer."""
        t, ids, cols = self._customers(data, with_ids=False)
        names, values = self.fitted.predict([], cols, float(horizon), None, None, [int(n)])
        return arrays(names, values)[f"p_purchases_{int(n)}"]

    def prob_n_purchases_new(self, n, horizon: float) -> Any:
        """P(exactly ``n`` repeat purchases in the first ``horizon``) of a just-acquired
        customer, for one count (a float) or several (an array).

        Example::

            >>> bgf.prob_n_purchases_new([0, 1, 2], horizon=39)
        """
        return _new_customer_distribution(self.fitted, n, horizon)

    def expected_purchases_new(self, horizon) -> Any:
        """Expected repeat purchases of a new customer by ``horizon`` (a number or an array)."""
        h = np.atleast_1d(np.asarray(horizon, dtype=np.float64))
        out = np.frombuffer(self.fitted.expected_purchases_new(h.tobytes()))
        return float(out[0]) if np.ndim(horizon) == 0 else out

    # lifetimes' names.
    def conditional_probability_alive(self, frequency, recency, T) -> np.ndarray:
        return self.p_alive({"frequency": frequency, "recency": recency, "T": T})

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        return self.expected_purchases({"frequency": frequency, "recency": recency, "T": T}, t)

    def expected_number_of_purchases_up_to_time(self, t):
        return self.expected_purchases_new(t)

    def probability_of_n_purchases_up_to_time(self, t, n):
        return self.prob_n_purchases_new(n, t)


class BGNBD(TransactionModel):
    """BG/NBD (Fader, Hardie & Lee 2005); ``lifetimes.BetaGeoFitter``. Parameters r, alpha, a, b.

    Example::

        >>> bgf = clv.BGNBD().fit(summary)     # columns frequency, recency, T
        >>> bgf.params_, bgf.summary
    """

    kind = "bgnbd"


class ParetoNBD(TransactionModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987); ``lifetimes.ParetoNBDFitter``.
    Parameters r, alpha, s, beta. ``predict(..., discount_rate=d)`` adds DERT."""

    kind = "pnbd"


class MBGNBD(TransactionModel):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007);
    ``lifetimes.ModifiedBetaGeoFitter``. Parameters r, alpha, a, b."""

    kind = "mbgnbd"


class GGomNBD(TransactionModel):
    """Gamma-Gompertz/NBD (Bemmaor & Glady 2012). Parameters r, alpha, b, s, beta."""

    kind = "ggomnbd"


class GammaGamma(Model):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005); ``lifetimes.GammaGammaFitter``.
    Fitted on repeat buyers (frequency > 0, monetary_value > 0); others are left out and
    counted in ``diagnostics["left_out"]``. Parameters p, q, gamma.

    Example::

        >>> ggf = clv.GammaGamma().fit(summary)     # columns frequency, monetary_value
        >>> ggf.expected_spend(summary)
    """

    kind = "gamma-gamma"
    fit_columns = ("frequency", "monetary_value")

    @property
    def diagnostics(self) -> dict:
        d = super().diagnostics
        d["left_out"] = self.fitted.left_out
        return d

    def expected_spend(self, data: Any) -> np.ndarray:
        """Each customer's expected order value from frequency and monetary_value
        (``conditional_expected_average_profit`` in lifetimes)."""
        t = Table(data, "customers")
        t.require(["frequency", "monetary_value"], "a spend prediction")
        cols = _summary_columns(t, ["frequency", "monetary_value", "recency", "T"])
        if not ("recency" in cols and "T" in cols):
            cols.pop("recency", None)
            cols.pop("T", None)
        names, values = self.fitted.predict(_ids(t), cols, 0.0, None, None)
        return arrays(names, values)["expected_avg_spend"]

    def expected_spend_new(self) -> float:
        """The expected order value of a new customer (the population mean)."""
        return self.fitted.expected_spend_new()

    def clv(
        self,
        transaction_model: TransactionModel,
        data: Any,
        periods: int = 12,
        period_length: float = 4.345,
        discount_rate: float = 0.01,
        margin: float = 1.0,
        output: str = "pandas",
    ):
        """Discounted CLV of each customer: ``transaction_model``'s expected purchases in each
        of ``periods`` periods of ``period_length`` (model time units; 4.345 weeks = a month),
        valued at this model's expected order value times ``margin``, discounted at
        ``discount_rate`` per period (at each period's end, as lifetimes does). Columns
        customer_id, p_alive, expected_avg_spend, clv."""
        t = Table(data, "customers")
        names = ["frequency", "recency", "T", "monetary_value"]
        t.require(names, "a CLV")
        ids = _ids(t)
        n, v = transaction_model.fitted.clv(
            ids, _summary_columns(t, names), self.fitted, int(periods), float(period_length),
            float(discount_rate), float(margin),
        )
        return frame({"customer_id": ids, **arrays(n, v)}, output)

    # lifetimes' names.
    def conditional_expected_average_profit(self, frequency, monetary_value) -> np.ndarray:
        return self.expected_spend({"frequency": frequency, "monetary_value": monetary_value})

    def customer_lifetime_value(self, transaction_model, frequency, recency, T, monetary_value,
                                time=12, discount_rate=0.01, period_length=4.345):
        data = {"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary_value}
        return self.clv(transaction_model, data, time, period_length, discount_rate,
                        output="numpy")["clv"]


class BGBB(Model):
    """BG/BB for discrete purchase opportunities (Fader, Hardie & Shang 2010);
    ``lifetimes.BetaGeoBetaBinomFitter``. Fitted on frequency, recency, periods (and weights,
    the number of customers with the pattern). Parameters alpha, beta, gamma, delta."""

    kind = "bgbb"
    fit_columns = ("frequency", "recency", "periods")

    def predict(
        self, data: Any, horizon: int, output: str = "pandas", alive_ahead: Sequence[int] = ()
    ):
        """Per pattern: frequency, recency, periods, weights, p_alive and
        expected_transactions in the next ``horizon`` opportunities, and ``p_alive_M`` (alive
        M opportunities ahead) for each M of ``alive_ahead``."""
        t = Table(data, "patterns")
        t.require(list(self.fit_columns), "a bgbb prediction")
        cols = _summary_columns(t, ["frequency", "recency", "periods", "weights"])
        ahead = [int(m) for m in alive_ahead]
        names, values = self.fitted.predict([], cols, float(horizon), None, None, [], ahead)
        return frame(arrays(names, values), output)

    def prob_n_purchases_new(self, n, horizon: int) -> Any:
        """P(exactly ``n`` transactions in the first ``horizon`` opportunities) of a new
        customer, for one count (a float) or several (an array)."""
        return _new_customer_distribution(self.fitted, n, horizon)

    def expected_transactions_new(self, n: int) -> float:
        """Expected transactions of a new customer in ``n`` opportunities."""
        return self.fitted.expected_transactions_new(int(n))


class ShiftedBetaGeometric(Model):
    """Shifted-beta-geometric retention of a contract cohort (Fader & Hardie 2007).
    Fitted on survivor counts: ``fit([1000, 869, 743, ...])`` (cohort size first), or a table
    with a ``survivors`` column. Parameters alpha, beta."""

    kind = "sbg"
    fit_columns = ("survivors",)

    def fit(self, data: Any, unit: str = "period", source: str = "survivors") -> "Model":
        if isinstance(data, (list, tuple, np.ndarray)):
            data = {"survivors": np.asarray(data, dtype=np.float64)}
        return super().fit(data, unit, source)

    def retention(self, periods, output: str = "pandas"):
        """Survival S(t), retention rate r(t) and churn probability at each period t."""
        ts = [int(t) for t in np.atleast_1d(periods)]
        rows = self.fitted.retention(ts)
        return frame(
            {
                "period": np.array(ts, dtype=np.int64),
                "survival": np.array([r[0] for r in rows]),
                "retention_rate": np.array([r[1] for r in rows]),
                "churn_probability": np.array([r[2] for r in rows]),
            },
            output,
        )


_CLASSES = {c.kind: c for c in (BGNBD, ParetoNBD, MBGNBD, GGomNBD, GammaGamma, BGBB, ShiftedBetaGeometric)}

# lifetimes' class names.
BetaGeoFitter = BGNBD
ParetoNBDFitter = ParetoNBD
ModifiedBetaGeoFitter = MBGNBD
GammaGammaFitter = GammaGamma
BetaGeoBetaBinomFitter = BGBB


def load_model(path: str) -> Model:
    """Read a model file (from ``clv fit`` or :meth:`Model.save`) as the model of its kind."""
    fitted = _core.load_model(str(path))
    model = _CLASSES[fitted.kind]()
    model._set(fitted)
    return model


def model_kinds() -> list:
    """Every model kind of the engine: (name, label, family, parameter names, description)."""
    return list(_core.model_kinds())
