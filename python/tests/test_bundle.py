"""The bundle through Python: trained and scored as `clv train` / `clv score` do, and bundle
files interchangeable with the CLI."""

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_transactions.csv"


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO, dtype={"customer_id": str})


@pytest.fixture(scope="module")
def bundle(demo):
    return clv.Bundle.train(demo, unit="week", calibration_end="2025-01-26", model="bgnbd",
                            covariates=["channel", "score"])


def test_training_accounts_for_every_row_and_scores_every_customer(demo, bundle):
    assert bundle.accounting["rows_read"] == len(demo) == bundle.accounting["rows_used"]
    assert bundle.chosen_model == "bgnbd"
    scores = bundle.score(demo, horizon=52, discount_rate=0.10, margin=0.30)
    assert len(scores) == demo["customer_id"].nunique()
    assert scores["clv_usd"].is_monotonic_decreasing
    assert ((scores["p_alive"] >= 0) & (scores["p_alive"] <= 1)).all()
    totals = scores.attrs["totals"]
    assert totals["customers"] == len(scores)
    assert np.isclose(totals["total_clv"], scores["clv_usd"].sum())
    assert scores["at_risk"].dtype == bool
    assert scores["segment"].str.len().min() > 0
    # The at-risk flag follows the rule the totals name.
    assert totals["at_risk_customers"] == int(scores["at_risk"].sum())


def test_at_risk_lists_exactly_the_customers_score_flags(demo, bundle):
    for rule in [dict(), dict(top=None, risk_threshold=0.3), dict(top=5, min_value_at_risk=1.0)]:
        scores = bundle.score(demo, horizon=52, margin=0.30, **rule)
        listed = bundle.at_risk(demo, horizon=52, margin=0.30, **rule)
        flagged = scores[scores["at_risk"]].set_index("customer_id")
        assert set(listed["customer_id"]) == set(flagged.index)
        assert len(listed) == len(flagged) > 0
        if rule.get("top", 100) is not None:
            assert len(listed) <= rule.get("top", 100)
        assert list(listed["rank"]) == list(range(1, len(listed) + 1))
        assert listed["value_at_risk_usd"].is_monotonic_decreasing
        np.testing.assert_allclose(
            listed["value_at_risk_usd"], flagged.loc[listed["customer_id"], "value_at_risk_usd"], rtol=1e-12
        )
        # Value at risk = (1 - P(alive)) x CLV if alive: never negative, zero if surely alive.
        np.testing.assert_allclose(
            listed["value_at_risk_usd"], (1 - listed["p_alive"]) * listed["clv_if_alive_usd"], rtol=1e-9
        )
        assert (scores["value_at_risk_usd"] >= 0).all()
        assert (scores.loc[scores["p_alive"] == 1, "value_at_risk_usd"] == 0).all()
        assert (listed["churn_probability"] >= rule.get("risk_threshold", 0.5)).all()
        for reason in listed["reason_1"]:
            assert reason and not any(w in reason for w in ["chance", "(high)", "spend", "order"])
    with pytest.raises(clv.InvalidParameterError, match="at least 1"):
        bundle.at_risk(demo, top=0, margin=0.30)


def test_bundle_files_go_both_ways_with_the_cli(clv_bin, demo, bundle, tmp_path):
    path = tmp_path / "bundle.json"
    bundle.save(path)
    out = tmp_path / "scores.csv"
    done = subprocess.run(
        [str(clv_bin), "score", "--model", str(path), "--input", str(DEMO), "--horizon", "52",
         "--discount-rate", "0.10", "--margin", "0.30", "--output", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(out, dtype={"customer_id": str})
    py = clv.Bundle.load(path).score(demo, horizon=52, discount_rate=0.10, margin=0.30)
    assert list(cli["customer_id"]) == list(py["customer_id"])
    assert list(cli.columns) == list(py.columns)
    for col in ["p_alive", "churn_probability", "expected_purchases"]:
        np.testing.assert_allclose(cli[col], py[col], rtol=1e-7, atol=1e-9, err_msg=col)
    # The CLI's CSV rounds money to cents.
    np.testing.assert_allclose(cli["clv_usd"], py["clv_usd"], rtol=0, atol=0.005 + 1e-9)
    assert list(cli["segment"]) == list(py["segment"])
    # And a bundle trained by the CLI scores the same in Python as the one trained here.
    cli_path = tmp_path / "cli_bundle.json"
    done = subprocess.run(
        [str(clv_bin), "train", "--input", str(DEMO), "--unit", "week", "--calibration-end",
         "2025-01-26", "--model", "bgnbd", "--covariates", "channel,score",
         "--output", str(cli_path)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    from_cli = clv.Bundle.load(cli_path).score(demo, horizon=52, discount_rate=0.10, margin=0.30)
    np.testing.assert_allclose(from_cli["clv_usd"], py["clv_usd"], rtol=1e-9)


def test_training_errors_are_the_cores(demo):
    with pytest.raises(clv.BadInputError):
        clv.Bundle.train(demo.drop(columns="amount"))
    with pytest.raises(clv.InvalidParameterError, match="at least 10 customers"):
        clv.Bundle.train(demo.head(5))


def test_new_customers_are_valued_by_their_channel(demo, bundle):
    prospects = pd.DataFrame({"channel": ["paid", "organic", "paid"], "score": [0.0, 0.0, 1.0],
                              "count": [10, 5, 1]})
    scored = bundle.score_new(prospects, horizon=52, discount_rate=0.10, margin=0.30,
                              target_ltv_cac=3)
    assert list(scored["channel"]) == ["paid", "organic", "paid"]
    assert list(scored["count"]) == [10, 5, 1]
    assert np.allclose(scored["max_cac_usd"], scored["clv_usd"] / 3)
    assert (scored["clv_usd"] > 0).all()
    # The covariate model tells the channels apart.
    assert scored["clv_usd"][0] != scored["clv_usd"][1]
    with pytest.raises(clv.ClvError, match="channel"):
        bundle.score_new(prospects.drop(columns="channel"), margin=0.3)


def test_the_report_is_the_clis(clv_bin, demo, bundle, tmp_path):
    path = tmp_path / "bundle.json"
    bundle.save(path)
    line = clv.Bundle.load(path).report(demo, tmp_path / "py.html", horizon=52, margin=0.3)
    assert "customers" in line
    html = (tmp_path / "py.html").read_text()
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert "<svg" in html
    done = subprocess.run(
        [str(clv_bin), "report", "--model", str(path), "--input", str(DEMO), "--horizon", "52",
         "--margin", "0.3", "--output", str(tmp_path / "cli.html")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli.html").read_text() == html
    # The report's own flags, the same in both front ends.
    clv.Bundle.load(path).report(demo, tmp_path / "py5.html", horizon=52, margin=0.3,
                                 target_ltv_cac=5, interval_draws=40)
    done = subprocess.run(
        [str(clv_bin), "report", "--model", str(path), "--input", str(DEMO), "--horizon", "52",
         "--margin", "0.3", "--target-ltv-cac", "5", "--interval-draws", "40",
         "--output", str(tmp_path / "cli5.html")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli5.html").read_text() == (tmp_path / "py5.html").read_text()
    assert (tmp_path / "py5.html").read_text() != html


def test_intervals_are_the_clis(clv_bin, demo, bundle, tmp_path):
    path = tmp_path / "bundle.json"
    bundle.save(path)
    py = bundle.score(demo, horizon=52, margin=0.30, intervals=True)
    names = list(py.columns)
    at = names.index("clv_usd")
    assert names[at + 1:at + 3] == ["clv_low_usd", "clv_high_usd"]
    assert (py["clv_low_usd"] <= py["clv_high_usd"]).all()
    inside = (py["clv_low_usd"] <= py["clv_usd"]) & (py["clv_usd"] <= py["clv_high_usd"])
    assert inside.mean() >= 0.95
    outcome = py.attrs["totals"]["intervals"]["Computed"]
    assert outcome["total_clv"]["lower"] < py.attrs["totals"]["total_clv"] < outcome["total_clv"]["upper"]
    out = tmp_path / "scores.csv"
    done = subprocess.run(
        [str(clv_bin), "score", "--model", str(path), "--input", str(DEMO), "--horizon", "52",
         "--margin", "0.30", "--intervals", "--output", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(out, dtype={"customer_id": str})
    assert list(cli.columns) == names
    for col in ["clv_low_usd", "clv_high_usd"]:
        np.testing.assert_allclose(cli[col], py[col], rtol=0, atol=0.005 + 1e-9, err_msg=col)
    prospects = pd.DataFrame({"channel": ["paid", "organic"], "score": [0.5, 0.1]})
    scored = bundle.score_new(prospects, margin=0.30, intervals=True)
    assert (scored["clv_low_usd"] < scored["clv_usd"]).all()
    assert (scored["clv_usd"] < scored["clv_high_usd"]).all()
    np.testing.assert_allclose(scored["max_cac_conservative_usd"], scored["clv_low_usd"] / 3)
    assert "clv_low_usd" not in bundle.score_new(prospects, margin=0.30).columns
