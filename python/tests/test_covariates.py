"""Covariates through Python: simulation with covariate effects (the draw of `clv simulate
--covariate-effects`) and bundle training on a per-customer attribute table (`clv train
--covariates FILE`)."""

import subprocess

import numpy as np
import pandas as pd
import pytest

import clv

PARAMS = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}
SPEND = (6.25, 3.74, 15.44)
# Paid customers buy e^1 times as often; score raises dropout.
EFFECTS = (1.0, 0.0, 0.0, 0.5)


@pytest.fixture(scope="module")
def orders():
    return clv.simulate_transactions(
        "bgnbd", PARAMS, customers=3000, spend=SPEND, acquisition=12, horizon=78,
        covariate_effects=EFFECTS, seed=11,
    )


def test_simulated_covariates_act_on_the_purchase_rate():
    s = clv.simulate("bgnbd", PARAMS, customers=20_000, spend=SPEND, horizon=78,
                     covariate_effects={"purchase_channel": 1.0}, seed=3)
    assert set(s["channel"]) == {"paid", "organic"}
    paid = s["channel"] == "paid"
    assert 0.48 < paid.mean() < 0.52
    assert abs(s["score"].mean()) < 0.05 and 0.95 < s["score"].std() < 1.05
    # e^1 the purchase rate: paid customers buy clearly more (less than e^1 times as many
    # repeat purchases, since under BG/NBD each purchase is also a chance to drop out); with no
    # effect, the same.
    ratio = s.loc[paid, "frequency"].mean() / s.loc[~paid, "frequency"].mean()
    assert 1.5 < ratio < 2.72
    plain = clv.simulate("bgnbd", PARAMS, customers=20_000, spend=SPEND, horizon=78,
                         covariate_effects=(0, 0, 0, 0), seed=3)
    ratio = (plain.loc[plain["channel"] == "paid", "frequency"].mean()
             / plain.loc[plain["channel"] == "organic", "frequency"].mean())
    assert 0.9 < ratio < 1.1
    assert "channel" not in clv.simulate("bgnbd", PARAMS, customers=10).columns


def test_simulated_orders_are_the_clis(clv_bin, orders, tmp_path):
    out = tmp_path / "orders.csv"
    done = subprocess.run(
        [str(clv_bin), "simulate", "--model", "bgnbd", "--params", "0.8,6.0,0.6,3.0",
         "--spend", "6.25,3.74,15.44", "--customers", "3000", "--acquisition", "12",
         "--horizon", "78", "--covariate-effects", "1.0,0.0,0.0,0.5", "--seed", "11",
         "--output", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(out, dtype={"customer_id": str}, parse_dates=["date"])
    assert len(cli) == len(orders)
    assert list(cli["customer_id"]) == list(orders["customer_id"])
    assert (cli["date"].to_numpy() == orders["date"].to_numpy()).all()
    np.testing.assert_allclose(cli["amount"], orders["amount"], rtol=0, atol=1e-9)
    assert list(cli["channel"]) == list(orders["channel"])
    np.testing.assert_allclose(cli["score"], orders["score"], rtol=0, atol=5e-5)


def test_covariate_effects_are_checked():
    with pytest.raises(clv.InvalidParameterError, match="4 numbers"):
        clv.simulate("bgnbd", PARAMS, covariate_effects=(1, 2))
    with pytest.raises(clv.InvalidParameterError, match="unknown name"):
        clv.simulate("bgnbd", PARAMS, covariate_effects={"purchase_colour": 1})
    with pytest.raises(clv.InvalidParameterError, match="finite"):
        clv.simulate("bgnbd", PARAMS, covariate_effects=(np.nan, 0, 0, 0))


def test_bundle_trains_on_an_attribute_table_as_the_cli_does(clv_bin, orders, tmp_path):
    attributes = orders.groupby("customer_id", as_index=False)[["channel", "score"]].first()
    tx = orders[["customer_id", "date", "amount"]]
    bundle = clv.Bundle.train(tx, unit="week", model="bgnbd", attributes=attributes,
                              covariates=["channel"])
    cov = bundle._file["covariates"]
    assert cov is not None
    names = cov["fit"]["param_names"]
    assert any("channel" in n for n in names) and not any("score" in n for n in names)
    # The same as training on the attributes carried in the transactions themselves.
    inline = clv.Bundle.train(orders.drop(columns="score"), unit="week", model="bgnbd",
                              covariates=["channel"])
    np.testing.assert_allclose(inline._file["covariates"]["fit"]["estimates"], cov["fit"]["estimates"], rtol=1e-9)
    prospects = pd.DataFrame({"channel": ["paid", "organic"]})
    valued = bundle.score_new(prospects, horizon=52, margin=0.3)
    assert valued.loc[0, "expected_repeat_purchases"] > 1.5 * valued.loc[1, "expected_repeat_purchases"]
    # And as `clv train --covariates-file FILE --covariates channel`.
    tx_path, attr_path, out = tmp_path / "tx.csv", tmp_path / "attrs.csv", tmp_path / "b.json"
    tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")).to_csv(tx_path, index=False)
    attributes.to_csv(attr_path, index=False)
    done = subprocess.run(
        [str(clv_bin), "train", "--input", str(tx_path), "--unit", "week", "--model", "bgnbd",
         "--covariates-file", str(attr_path), "--covariates", "channel", "--output", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    from_cli = clv.Bundle.load(out).score_new(prospects, horizon=52, margin=0.3)
    np.testing.assert_allclose(from_cli["clv_usd"], valued["clv_usd"], rtol=1e-6)


def test_attribute_tables_are_checked(orders):
    tx = orders[["customer_id", "date", "amount"]]
    attributes = orders.groupby("customer_id", as_index=False)[["channel"]].first()
    with pytest.raises(clv.InvalidParameterError, match="customer '.*' has no row"):
        clv.Bundle.train(tx, model="bgnbd", attributes=attributes.iloc[1:])
    doubled = pd.concat([attributes.iloc[:2], attributes.iloc[:1]])
    with pytest.raises(clv.BadInputError, match=r"attributes:3: column 'customer_id'.*duplicate"):
        clv.Bundle.train(tx, model="bgnbd", attributes=doubled)
    with pytest.raises(clv.BadInputError, match="missing column 'customer_id'"):
        clv.Bundle.train(tx, model="bgnbd", attributes=attributes.rename(columns={"customer_id": "id"}))
