//! BG/BB predictions against high-precision references: P(alive at n + 1), expected
//! transactions in the next h opportunities, and a new customer's E[X(h)] and P(X(h) = x),
//! computed by `tests/reference/bgbb_mpmath.py` (mpmath, 60 digits, explicit sums over the
//! opportunities from the model's story, not the telescoped forms the library uses for long
//! horizons) on a grid with α, β → ∞ and γ, δ → ∞ with their ratios fixed (1e6, 1e10), tiny
//! α, β and γ, δ (1e-6), horizons of 1, 10 and 1,000, heavy buyers (x = 200, 450 of 500),
//! t_x = n and n = 0, and (#11 item 1) horizons of 10,000 (the last direct survival sum) and
//! 10,001 (the first telescoped one), histories of 10,000 opportunities with up to 9,990
//! transactions and new customers with up to 9,990. Every value is asserted, the 1e10 sets included (up to 2.4e-6 off while
//! the library differenced ln B values of arguments near 1e10, before `ln_beta_ratio`).

#[path = "reference/check.rs"]
mod check;

use clv::models::bgbb::BgBb;

#[test]
fn predictions_match_the_mpmath_references() {
    let table = include_str!("reference/bgbb.csv");
    let mut mismatches = check::Mismatches::default();
    let mut rows = 0;
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let int = |i: usize| f[i].parse::<u32>().unwrap();
        let params = [num(0), num(1), num(2), num(3)];
        let model = BgBb::new(params[0], params[1], params[2], params[3]).unwrap();
        let (x, t_x, n, h, x_new) = (int(4), int(5), int(6), int(7), int(8));
        let got = [
            model.p_alive(x, t_x, n),
            model.conditional_expected_transactions(h, x, t_x, n),
            model.expected_transactions_new(h),
            model.prob_transactions_new(x_new, h),
        ];
        let names = ["p_alive", "expected", "new_expected", "p_x_new"];
        let label = f[..9].join(",");
        for k in 0..4 {
            let value = got[k].as_ref().map_or(f64::NAN, |v| *v);
            mismatches.check(&label, names[k], value, num(9 + k));
        }
        rows += 1;
    }
    assert_eq!(rows, 208, "rows in the reference table");
    mismatches.assert_none();
}
