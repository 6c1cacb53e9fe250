//! GGom/NBD likelihood and predictions against high-precision references: ln L, P(alive),
//! expected purchases, P(X(h) = n) and a new customer's E[X(h)], computed by
//! `tests/reference/ggomnbd_mpmath.py` (mpmath, 40 digits, from the model's definition
//! integrated in the lifetime τ, not in the variable y the library integrates in) on a grid
//! with the limits fits run into: b → 0 with β/b fixed (CLVTools' CDNOW estimate b = 1.1e-6,
//! and b = 1e-9: the Pareto/NBD boundary), s, β → ∞ with s/β fixed (1e6/2e6, 1e10/2e10),
//! r, α → ∞ (2.5e5/4e6), tiny s (1e-6), a steep Gompertz (b = 1.5), horizons of 1, 39 and
//! 10,000 periods, heavy buyers (x = 50, 300), T = t_x and t_x = T = 0.

#[path = "reference/check.rs"]
mod check;

use clv::models::ggomnbd::GgomNbd;
use clv::models::{Model, RfmData, TransactionModel};

#[test]
fn likelihood_and_predictions_match_the_mpmath_references() {
    let table = include_str!("reference/ggomnbd.csv");
    let mut mismatches = check::Mismatches::default();
    let mut rows = 0;
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let params = [num(0), num(1), num(2), num(3), num(4)];
        let (x, t_x, t, h, n) = (num(5), num(6), num(7), num(8), num(9) as u32);
        let model = GgomNbd::from_params(&params).unwrap();
        let got = [
            model.log_likelihood(&RfmData::single(x, t_x, t)),
            model.p_alive(x, t_x, t),
            model.expected_purchases(h, x, t_x, t),
            model.prob_n_purchases(n, h, x, t_x, t),
            model.expected_purchases_new(h),
        ];
        let names = ["ll", "p_alive", "expected", "p_n", "new_expected"];
        let label = f[..10].join(",");
        for k in 0..5 {
            mismatches.check(&label, names[k], got[k], num(10 + k));
        }
        rows += 1;
    }
    mismatches.assert_none();
    assert_eq!(rows, 216, "rows in the reference table");
}
