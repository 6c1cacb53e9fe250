"""Synthetic customers from known parameters, as ``clv simulate`` draws them (seeded, the same
on every run and thread count)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import _core
from ._frame import frame
from .models import _KINDS

_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


def _spec(model: str, params: Mapping[str, float], spend, customers, acquisition, horizon, seed,
          covariate_effects=None):
    if model not in _KINDS or _KINDS[model][2] != "transaction":
        names = [k for k, v in _KINDS.items() if v[2] == "transaction"]
        raise _core.InvalidParameterError(
            f"simulation needs a transaction model ({', '.join(names)}), got '{model}'"
        )
    names = _KINDS[model][3]
    missing = [n for n in names if n not in params]
    if missing:
        raise _core.InvalidParameterError(
            f"{model} needs parameters {', '.join(names)}; missing {', '.join(missing)}"
        )
    return {
        "kind": model,
        "params": [float(params[n]) for n in names],
        "spend": tuple(float(v) for v in spend),
        "customers": int(customers),
        "acquisition_periods": float(acquisition),
        "horizon_periods": float(horizon),
        "seed": int(seed),
        "covariate_effects": _effects(covariate_effects),
    }


def _effects(effects) -> tuple | None:
    """``covariate_effects`` as the engine's (p1, p2, d1, d2), from a sequence or a mapping."""
    if effects is None:
        return None
    if isinstance(effects, Mapping):
        names = ("purchase_channel", "purchase_score", "dropout_channel", "dropout_score")
        unknown = sorted(set(effects) - set(names))
        if unknown:
            raise _core.InvalidParameterError(
                f"covariate_effects: unknown name(s) {', '.join(unknown)} (use {', '.join(names)})"
            )
        effects = [effects.get(n, 0.0) for n in names]
    effects = [float(v) for v in effects]
    if len(effects) != 4:
        raise _core.InvalidParameterError(
            f"covariate_effects needs 4 numbers (p1, p2, d1, d2), got {len(effects)}"
        )
    return tuple(effects)


def _channel(values: np.ndarray) -> np.ndarray:
    """The simulated channel (1 = paid) as ``clv simulate`` writes it."""
    return np.where(values > 0.5, "paid", "organic").astype(object)


def simulate(
    model: str,
    params: Mapping[str, float],
    *,
    customers: int = 1000,
    spend: tuple = (6.25, 3.74, 15.44),
    acquisition: float = 12.0,
    horizon: float = 52.0,
    end: float | None = None,
    seed: int = 1,
    covariate_effects: Any = None,
    output: str = "pandas",
) -> Any:
    """Draw ``customers`` from ``model`` (a transaction model's name, e.g. ``"bgnbd"``) with
    ``params`` (by the literature's names) and Gamma-Gamma ``spend`` (p, q, gamma), first
    purchases spread over ``acquisition`` periods, and summarize them at ``end`` (default:
    ``horizon``): customer_id, frequency, recency, T, monetary_value.

    ``covariate_effects`` (as ``clv simulate --covariate-effects``): the effects of two drawn
    covariates, ``channel`` (organic / paid, half each) and ``score`` (standard normal), on the
    purchase rate and on the dropout: ``(p1, p2, d1, d2)``, or a dict with keys
    ``purchase_channel``, ``purchase_score``, ``dropout_channel``, ``dropout_score`` (0 when
    left out). The ``channel`` and ``score`` columns are then added.

    Example::

        >>> s = clv.simulate("bgnbd", {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
        ...                  customers=10_000, horizon=78, seed=7)
        >>> clv.BGNBD().fit(s).params_        # close to the parameters drawn from
    """
    spec = _spec(model, params, spend, customers, acquisition, horizon, seed, covariate_effects)
    ids, (x, t_x, t, m, channel, score) = _core.simulate_summary(spec, end)
    columns = {
        "customer_id": [str(i) for i in ids],
        "frequency": np.frombuffer(x),
        "recency": np.frombuffer(t_x),
        "T": np.frombuffer(t),
        "monetary_value": np.frombuffer(m),
    }
    if spec["covariate_effects"] is not None:
        columns["channel"] = _channel(np.frombuffer(channel))
        columns["score"] = np.frombuffer(score)
    return frame(columns, output)


def simulate_transactions(
    model: str,
    params: Mapping[str, float],
    *,
    customers: int = 1000,
    spend: tuple = (6.25, 3.74, 15.44),
    acquisition: float = 12.0,
    horizon: float = 52.0,
    start: str = "2024-01-01",
    unit: str = "week",
    seed: int = 1,
    covariate_effects: Any = None,
    output: str = "pandas",
) -> Any:
    """The same draw as :func:`simulate`, as orders on calendar days from ``start`` (one
    period = one ``unit``): customer_id, date, amount (in cents, at least 1); with
    ``covariate_effects``, each order also carries its customer's ``channel`` and ``score``."""
    if unit not in _DAYS:
        raise _core.InvalidParameterError(f"unknown time unit '{unit}' (use day, week or month)")
    spec = _spec(model, params, spend, customers, acquisition, horizon, seed, covariate_effects)
    ids, days, amounts, channel, score = _core.simulate_orders(spec, str(start), _DAYS[unit])
    numbers = np.asarray(ids, dtype=np.int64)
    columns = {
        "customer_id": numbers.astype(str),
        "date": np.frombuffer(days, dtype=np.int64).astype("datetime64[D]"),
        "amount": np.frombuffer(amounts),
    }
    if spec["covariate_effects"] is not None:
        # Customer numbers count from 1; the covariates are listed by number.
        columns["channel"] = _channel(np.frombuffer(channel)[numbers - 1])
        columns["score"] = np.frombuffer(score)[numbers - 1]
    return frame(columns, output)
