"""Model files are interchangeable with the `clv` binary (path from $CLV_BIN): a model saved
from Python predicts in the CLI as in Python, and a model fitted by the CLI loads here."""

import subprocess

import numpy as np
import pandas as pd

import clv


def run(clv_bin, *args):
    done = subprocess.run([str(clv_bin), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def test_a_model_saved_from_python_predicts_the_same_in_the_cli(clv_bin, dataset, cdnow_summary, tmp_path):
    bg = clv.ParetoNBD().fit(cdnow_summary)
    gg = clv.GammaGamma().fit(cdnow_summary)
    bg.save(tmp_path / "pnbd.json")
    gg.save(tmp_path / "gg.json")
    run(clv_bin, "predict", "--model", tmp_path / "pnbd.json", "--spend-model", tmp_path / "gg.json",
        "--summary", dataset("cdnow_sample_summary_39wk.csv"), "--horizon", 39,
        "--output", tmp_path / "cli.csv")
    cli = pd.read_csv(tmp_path / "cli.csv", dtype={"customer_id": str})
    py = bg.predict(cdnow_summary, 39, spend_model=gg)
    assert list(cli["customer_id"]) == list(py["customer_id"])
    for col in ["p_alive", "expected_purchases", "p_no_purchases", "expected_avg_spend", "predicted_revenue"]:
        # The CSV carries the numbers to 8 significant digits.
        np.testing.assert_allclose(cli[col], py[col], rtol=1e-7, atol=1e-12, err_msg=col)


def test_a_model_fitted_by_the_cli_loads_and_predicts_the_same(clv_bin, dataset, cdnow_summary, tmp_path):
    path = tmp_path / "bgnbd.json"
    run(clv_bin, "fit", "--summary", dataset("cdnow_sample_summary_39wk.csv"), "--model", "bgnbd",
        "--output", path)
    loaded = clv.load_model(path)
    assert isinstance(loaded, clv.BGNBD)
    run(clv_bin, "predict", "--model", path, "--summary", dataset("cdnow_sample_summary_39wk.csv"),
        "--horizon", 39, "--output", tmp_path / "cli.csv")
    cli = pd.read_csv(tmp_path / "cli.csv", dtype={"customer_id": str})
    py = loaded.predict(cdnow_summary, 39)
    for col in ["p_alive", "expected_purchases", "p_no_purchases"]:
        np.testing.assert_allclose(cli[col], py[col], rtol=1e-7, atol=1e-12, err_msg=col)
    # Saved again from Python, the file holds the same model.
    loaded.save(tmp_path / "again.json")
    again = clv.load_model(tmp_path / "again.json")
    assert again.params_ == loaded.params_
    assert np.array_equal(again.p_alive(cdnow_summary), loaded.p_alive(cdnow_summary))
