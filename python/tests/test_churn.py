"""The churn side through Python: classifier training, scoring and held-out evaluation as
`clv churn train`, `clv churn score` and `clv evaluate` compute them (files interchangeable
both ways), and the history metrics of `clv describe`."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_transactions.csv"
CAL_END = "2025-01-26"


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO, dtype={"customer_id": str})


@pytest.fixture(scope="module")
def churn(demo):
    return clv.ChurnModel.train(demo, calibration_end=CAL_END, covariates=["channel"])


def run(clv_bin, *args):
    done = subprocess.run([str(clv_bin), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scores_are_probabilities_ranked_for_every_customer(demo, churn):
    scores = churn.score(demo)
    assert len(scores) == demo["customer_id"].nunique()
    p = scores["churn_probability"].to_numpy()
    assert ((p > 0) & (p < 1)).all() and (np.diff(p) <= 0).all()
    assert ((scores["p_alive"] >= 0) & (scores["p_alive"] <= 1)).all()
    spend = demo.groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(
        scores["total_spend"], spend.loc[scores["customer_id"]].to_numpy(), rtol=1e-9
    )
    assert churn.settings["covariates"][0]["name"] == "channel"
    assert 0 < churn.training["churn_rate"] < 1
    assert 0.5 < churn.training["metrics"]["roc_auc"] <= 1


def test_churn_model_files_go_both_ways_with_the_cli(clv_bin, demo, churn, tmp_path):
    path = tmp_path / "churn.json"
    churn.save(path)
    out = tmp_path / "scores.csv"
    run(clv_bin, "churn", "score", "--model", path, "--input", DEMO, "--output", out)
    cli = pd.read_csv(out, dtype={"customer_id": str})
    py = clv.ChurnModel.load(path).score(demo)
    assert list(cli["customer_id"]) == list(py["customer_id"])
    for col in ["churn_probability", "p_alive", "expected_purchases_window"]:
        np.testing.assert_allclose(cli[col], py[col], rtol=1e-7, atol=1e-9, err_msg=col)
    cli_path = tmp_path / "cli_churn.json"
    run(clv_bin, "churn", "train", "--input", DEMO, "--calibration-end", CAL_END,
        "--covariates", "channel", "--output", cli_path)
    from_cli = json.loads(cli_path.read_text())
    assert from_cli["classifier"] == json.loads(churn.to_json())["classifier"]
    np.testing.assert_allclose(
        clv.ChurnModel.load(cli_path).score(demo)["churn_probability"], py["churn_probability"],
        rtol=1e-12,
    )


def test_evaluation_is_the_clis(clv_bin, demo, tmp_path):
    ev = clv.evaluate_churn(demo, calibration_end=CAL_END, test_fraction=0.3, seed=7)
    out = tmp_path / "evaluation.json"
    run(clv_bin, "evaluate", "--input", DEMO, "--calibration-end", CAL_END, "--test-fraction",
        "0.3", "--seed", "7", "--output", out)
    cli = json.loads(out.read_text())
    assert (ev["n_train"], ev["n_test"]) == (cli["n_train"], cli["n_test"])
    assert ev["n_train"] + ev["n_test"] == ev["customers"]
    for who in ("classifier", "probabilistic", "baseline"):
        for metric in ("roc_auc", "brier", "log_loss"):
            assert ev[who][metric] == pytest.approx(cli[who][metric], rel=1e-12), (who, metric)
    assert ev["holdout"]["duration"] == cli["holdout"]["duration"]


def test_description_is_the_clis(clv_bin, demo):
    got = clv.describe(demo, cac=40, lifespan_years=3)
    cli = json.loads(run(clv_bin, "describe", "--input", DEMO, "--cac", "40",
                         "--lifespan-years", "3", "--json"))
    assert got.keys() == cli.keys()
    for k, v in cli.items():
        if isinstance(v, float):
            assert got[k] == pytest.approx(v, rel=1e-12), k
        else:
            assert got[k] == v, k
    assert got["customers"] == demo["customer_id"].nunique()


def test_churn_errors_are_the_cores(demo):
    with pytest.raises(clv.InvalidParameterError, match="class_weights must be 'none' or 'balanced'"):
        clv.ChurnModel.train(demo, calibration_end=CAL_END, class_weights="heavy")
    with pytest.raises(clv.InvalidParameterError, match="L2 penalty"):
        clv.ChurnModel.train(demo, calibration_end=CAL_END, penalty=-1)
    with pytest.raises(clv.ClvError, match="nosuch"):
        clv.ChurnModel.train(demo, calibration_end=CAL_END, covariates=["nosuch"])
    churn = clv.ChurnModel.train(demo, calibration_end=CAL_END)
    with pytest.raises(clv.InvalidParameterError, match="the churn model is in weeks"):
        churn._core.score(*clv.summary.transaction_columns(
            demo, "customer_id", "date", "amount", None, unit="day", calibration_end=None,
            observation_end=None, on_error="fail", source="transactions"))
