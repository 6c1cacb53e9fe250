"""The published estimates and lifetimes' reference predictions, through the Python API."""

import numpy as np
import pandas as pd
import pytest

import clv


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


PUBLISHED = {
    # kind: (estimates, log-likelihood) from Fader, Hardie & Lee (2005).
    "bgnbd": ({"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}, -9582.43),
    "pnbd": ({"r": 0.5532, "alpha": 10.5763, "s": 0.6063}, -9594.98),
}


@pytest.mark.parametrize("cls", [clv.BGNBD, clv.ParetoNBD])
def test_transaction_models_meet_the_published_estimates(cls, cdnow_summary):
    m = cls().fit(cdnow_summary)
    estimates, ll = PUBLISHED[m.kind]
    for name, want in estimates.items():
        assert rel(m.params_[name], want) < 2e-3, (name, m.params_[name], want)
    assert abs(m.log_likelihood_ - ll) < 0.01
    assert m.diagnostics["n"] == 2357
    table = m.summary
    assert list(table.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (table["lower_95"] < table["estimate"]).all()
    assert (table["estimate"] < table["upper_95"]).all()


def test_pareto_nbd_standard_errors_are_the_published_ones(cdnow_summary):
    se = clv.ParetoNBD().fit(cdnow_summary).summary["std_error"]
    for name, want in {"r": 0.048, "alpha": 0.84, "s": 0.19}.items():
        assert rel(se[name], want) < 0.1, (name, se[name])


def test_predictions_match_lifetimes(cdnow_summary, reference):
    for cls, key in [(clv.BGNBD, "bgnbd"), (clv.ParetoNBD, "pnbd")]:
        m = cls().fit(cdnow_summary)
        table = m.predict(cdnow_summary, horizon=39).set_index("customer_id")
        for cid, want in reference[key]["p_alive"].items():
            assert rel(table.loc[cid, "p_alive"], want) < 1e-3, (key, cid)
        for cid, want in reference[key]["expected_purchases_next_39wk"].items():
            assert rel(table.loc[cid, "expected_purchases"], want) < 1e-3, (key, cid)
    bg = clv.BGNBD().fit(cdnow_summary)
    want = reference["bgnbd"]["unconditional_expected_purchases_by_week_78"]
    assert rel(bg.expected_purchases_new(78), want) < 1e-3
    # The published prediction for customer 1 (Fader, Hardie & Lee 2005).
    one = cdnow_summary[cdnow_summary.customer_id == "1"]
    assert abs(bg.expected_purchases(one, 39)[0] - 1.226) < 1e-3


def test_gamma_gamma_and_clv_match_the_references(cdnow_summary, reference):
    gg = clv.GammaGamma().fit(cdnow_summary)
    assert rel(gg.params_["p"], 6.25) < 2e-3
    assert rel(gg.params_["q"], 3.74) < 2e-3
    assert rel(gg.params_["gamma"], 15.44) < 2e-3
    assert abs(gg.log_likelihood_ - -4055.92) < 0.01
    assert gg.diagnostics["left_out"] == 2357 - 946
    spend = pd.Series(gg.expected_spend(cdnow_summary), index=cdnow_summary.customer_id)
    for cid, want in reference["gamma_gamma"]["conditional_expected_average_spend"].items():
        assert rel(spend[cid], want) < 1e-3, cid
    bg = clv.BGNBD().fit(cdnow_summary)
    values = gg.clv(bg, cdnow_summary, periods=12, period_length=4.345, discount_rate=0.01)
    values = values.set_index("customer_id")["clv"]
    for cid, want in reference["clv_bgnbd_gg"]["clv"].items():
        assert rel(values[cid], want) < 1e-3, cid
    assert rel(values.sum(), reference["clv_bgnbd_gg"]["total"]) < 1e-3


def test_bgbb_and_sbg_meet_the_published_estimates(dataset):
    donations = pd.read_csv(dataset("donations_bgbb.csv"))
    bb = clv.BGBB().fit(donations)
    for name, want in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        assert rel(bb.params_[name], want) < 2e-3, name
    p = bb.predict(donations, horizon=5)
    assert len(p) == len(donations)
    assert ((p["p_alive"] >= 0) & (p["p_alive"] <= 1)).all()
    high_end = clv.ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    assert rel(high_end.params_["alpha"], 0.668) < 2e-3
    assert rel(high_end.params_["beta"], 3.806) < 2e-3
    assert abs(high_end.log_likelihood_ - -1611.16) < 0.01
    r = high_end.retention([1, 2, 3])
    assert np.allclose(r["survival"].iloc[0], 1 - r["churn_probability"].iloc[0])


def test_summary_of_the_transactions_is_the_published_summary(dataset, cdnow_summary):
    tx = pd.read_csv(dataset("cdnow_sample.csv"), dtype={"customer_id": str})
    s = clv.summarize(tx, unit="week", calibration_end="1997-09-30")
    assert s.attrs["accounting"]["rows_used"] == len(tx)
    merged = s.merge(cdnow_summary, on="customer_id", suffixes=("", "_ref"))
    assert len(merged) == 2357
    for col in ["frequency", "recency", "T", "monetary_value"]:
        assert np.abs(merged[col] - merged[col + "_ref"]).max() < 0.01, col
    assert {"frequency_holdout", "duration_holdout", "cds"} <= set(s.columns)
    # Fitting straight on the summary of the transactions gives the published fit.
    bg = clv.BGNBD().fit(s)
    assert abs(bg.log_likelihood_ - -9582.43) < 0.05
