"""Purchase-count probabilities through the Python API: P(X(t) = n) of a new customer against
R BTYD's values (as lifetimes' tests quote them), per-customer P(n) against the CLI's
`clv predict --p-purchases`, and BG/BB's P(alive) ahead."""

import json

import numpy as np
import pytest

import clv

# R BTYD's parameters and bgnbd.pmf values, quoted by lifetimes'
# test_probability_of_n_purchases_up_to_time_same_as_R_BTYD.
BTYD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BTYD_PMF_T30_N11_20 = [
    0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
    0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260,
]


def at_params(fitted, params, tmp_path):
    """The fitted model's file with other parameters, loaded back."""
    doc = json.loads(fitted.to_json())
    doc["params"].update(params)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    return clv.load_model(str(path))


def test_new_customer_pmf_matches_r_btyd(cdnow_summary, tmp_path):
    m = at_params(clv.BGNBD().fit(cdnow_summary), BTYD_PARAMS, tmp_path)
    got = m.prob_n_purchases_new(list(range(11, 21)), horizon=30)
    assert isinstance(got, np.ndarray) and got.shape == (10,)
    np.testing.assert_allclose(got, BTYD_PMF_T30_N11_20, rtol=1e-6)
    assert abs(m.prob_n_purchases_new(0, 39) - 0.5737864) < 1e-6
    assert m.probability_of_n_purchases_up_to_time(39, 0) == m.prob_n_purchases_new(0, 39)


@pytest.mark.parametrize("cls", [clv.BGNBD, clv.ParetoNBD, clv.MBGNBD])
def test_customer_pmf_is_clv_predicts_and_sums_to_one(cls, cdnow_summary):
    m = cls().fit(cdnow_summary)
    table = m.predict(cdnow_summary, horizon=39, p_purchases=[0, 1, 2])
    # P(0 purchases) is also the table's p_no_purchases.
    np.testing.assert_allclose(table["p_purchases_0"], table["p_no_purchases"], rtol=1e-12)
    one = m.prob_n_purchases(cdnow_summary, 2, horizon=39)
    np.testing.assert_array_equal(one, table["p_purchases_2"].to_numpy())
    total = sum(m.prob_n_purchases(cdnow_summary.head(50), n, 39) for n in range(0, 400))
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def test_bgbb_alive_ahead_and_counts(dataset):
    import pandas as pd

    data = pd.read_csv(dataset("donations_bgbb.csv"))
    m = clv.BGBB().fit(data)
    out = m.predict(data, horizon=5, alive_ahead=[1, 3])
    np.testing.assert_allclose(out["p_alive_1"], out["p_alive"], rtol=1e-12)
    assert (out["p_alive_3"] <= out["p_alive_1"] + 1e-12).all()
    p = m.prob_n_purchases_new(list(range(0, 7)), horizon=6)
    assert abs(p.sum() - 1.0) < 1e-9
    with pytest.raises(clv.InvalidParameterError, match="new customers only"):
        m.fitted.predict([], {}, 5.0, None, None, [1])
