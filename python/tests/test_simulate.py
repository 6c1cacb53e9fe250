"""Simulation from known parameters: seeded, and a fit recovers what was drawn from."""

import numpy as np
import pytest

import clv

TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}


def test_a_fit_recovers_the_parameters_drawn_from():
    s = clv.simulate("bgnbd", TRUTH, customers=20_000, acquisition=12, horizon=78, seed=3)
    assert len(s) == 20_000
    again = clv.simulate("bgnbd", TRUTH, customers=20_000, acquisition=12, horizon=78, seed=3)
    assert s.equals(again)
    fit = clv.BGNBD().fit(s).params_
    for name, want in TRUTH.items():
        assert abs(fit[name] - want) / want < 0.15, (name, fit[name])


def test_transactions_summarize_back_to_the_same_customers():
    kw = dict(customers=500, acquisition=4, horizon=40, seed=11)
    tx = clv.simulate_transactions("pnbd", {"r": 0.6, "alpha": 8.0, "s": 0.6, "beta": 10.0},
                                   start="2024-01-01", unit="week", **kw)
    s = clv.summarize(tx, unit="week")
    assert 0 < len(s) <= 500
    assert (tx["amount"] > 0).all()
    # Each order is on a day: days per customer minus one is the frequency.
    days = tx.groupby("customer_id")["date"].nunique()
    assert (s.set_index("customer_id")["frequency"] == days[s["customer_id"]].to_numpy() - 1).all()


def test_bad_specs_are_refused():
    with pytest.raises(clv.InvalidParameterError, match="missing b"):
        clv.simulate("bgnbd", {"r": 1, "alpha": 1, "a": 1})
    with pytest.raises(clv.InvalidParameterError, match="transaction model"):
        clv.simulate("gamma-gamma", {})
    with pytest.raises(clv.InvalidParameterError):
        clv.simulate("bgnbd", dict(TRUTH, r=-1.0))
    with pytest.raises(clv.InvalidParameterError, match="acquisition"):
        clv.simulate("bgnbd", TRUTH, acquisition=60, horizon=52)
