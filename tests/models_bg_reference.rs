//! BG/NBD and MBG/NBD predictions against high-precision references: P(alive), expected
//! purchases, P(X(h) = n) and a new customer's E[X(h)], computed by
//! `tests/reference/bg_family_mpmath.py` (mpmath, 32+ digits, from the models' story:
//! integrals over the dropout probability, not the hypergeometric forms the library uses) on
//! a grid with the limits fits run into: a, b → ∞ with a/b fixed (8e5/2.4e6, 8e9/2.4e10), tiny
//! a and b (1e-6), a = 1, r, α → ∞ (2.5e5/4e6), horizons of 1, 39 and 10,000 periods, a heavy
//! buyer (x = 300), T = t_x and t_x = T = 0.

#[path = "reference/check.rs"]
mod check;

use clv::models::TransactionModel;
use clv::models::bgnbd::BgNbd;
use clv::models::mbgnbd::MbgNbd;

#[test]
fn predictions_match_the_mpmath_references() {
    let table = include_str!("reference/bg_family.csv");
    let mut mismatches = check::Mismatches::default();
    let mut rows = 0;
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let (r, alpha, a, b) = (num(1), num(2), num(3), num(4));
        let (x, t_x, t, h, n) = (num(5), num(6), num(7), num(8), num(9) as u32);
        let model: Box<dyn TransactionModel> = match f[0] {
            "bgnbd" => Box::new(BgNbd::new(r, alpha, a, b).unwrap()),
            "mbgnbd" => Box::new(MbgNbd::new(r, alpha, a, b).unwrap()),
            other => panic!("unknown model {other}"),
        };
        let got = [
            model.p_alive(x, t_x, t),
            model.expected_purchases(h, x, t_x, t),
            model.prob_n_purchases(n, h, x, t_x, t),
            model.expected_purchases_new(h),
        ];
        let names = ["p_alive", "expected", "p_n", "new_expected"];
        let label = format!(
            "{} r={r} alpha={alpha} a={a} b={b} x={x} t_x={t_x} T={t} h={h} n={n}",
            f[0]
        );
        for k in 0..4 {
            mismatches.check(&label, names[k], got[k], num(10 + k));
        }
        rows += 1;
    }
    assert!(rows >= 189, "the reference table has {rows} rows");
    mismatches.assert_none();
}
