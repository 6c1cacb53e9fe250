"""Synthetic customers from known parameters, as ``clv simulate`` draws them (seeded, the same
on every run and thread count)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import _core
from ._frame import frame
from .models import _KINDS

_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


def _spec(model: str, params: Mapping[str, float], spend, customers, acquisition, horizon, seed):
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
    }


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
    output: str = "pandas",
) -> Any:
    """Draw ``customers`` from ``model`` (a transaction model's name, e.g. ``"bgnbd"``) with
    ``params`` (by the literature's names) and Gamma-Gamma ``spend`` (p, q, gamma), first
    purchases spread over ``acquisition`` periods, and summarize them at ``end`` (default:
    ``horizon``): customer_id, frequency, recency, T, monetary_value.

    Example::

        >>> s = clv.simulate("bgnbd", {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
        ...                  customers=10_000, horizon=78, seed=7)
        >>> clv.BGNBD().fit(s).params_        # close to the parameters drawn from
    """
    ids, (x, t_x, t, m) = _core.simulate_summary(
        _spec(model, params, spend, customers, acquisition, horizon, seed), end
    )
    return frame(
        {
            "customer_id": [str(i) for i in ids],
            "frequency": np.frombuffer(x),
            "recency": np.frombuffer(t_x),
            "T": np.frombuffer(t),
            "monetary_value": np.frombuffer(m),
        },
        output,
    )


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
    output: str = "pandas",
) -> Any:
    """The same draw as :func:`simulate`, as orders on calendar days from ``start`` (one
    period = one ``unit``): customer_id, date, amount (in cents, at least 1)."""
    if unit not in _DAYS:
        raise _core.InvalidParameterError(f"unknown time unit '{unit}' (use day, week or month)")
    ids, days, amounts = _core.simulate_orders(
        _spec(model, params, spend, customers, acquisition, horizon, seed), str(start), _DAYS[unit]
    )
    return frame(
        {
            "customer_id": np.asarray(ids).astype(str),
            "date": np.frombuffer(days, dtype=np.int64).astype("datetime64[D]"),
            "amount": np.frombuffer(amounts),
        },
        output,
    )
