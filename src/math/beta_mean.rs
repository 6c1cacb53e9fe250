//! E[g(p)] for p ~ Beta(a, b) by quadrature, for any a, b > 0: the integral form of the
//! BG-type expectations where their hypergeometric series overflow or cancel (a, b → ∞,
//! long horizons, tiny a or b). Neither form needs ln B(a, b): the weight is integrated with
//! g on the same panels and the ratio taken, so the normalisation's rounding cancels.
//!
//! - a, b ≥ 2 (an interior mode m): on p = m + σy, σ the standard deviation, with the weight
//!   relative to its mode, (a−1) ln(1 + σy/m) + (b−1) ln(1 − σy/(1−m)), which stays exact
//!   when a and b are in the billions (the density is then a narrow peak).
//! - otherwise: [0, ½] on q = p^a and [½, 1] on q = (1−p)^b, which turn the end
//!   singularities p^{a−1}, (1−p)^{b−1} into the constants 1/a, 1/b; then a tiny a (most of
//!   the mass at p < 2^{−120}) or a tiny b is no harder than a = 1.

use super::panels::{doubling_points, integrate};

/// Relative tolerance of the panel quadrature (its error estimate is pessimistic).
const REL_TOL: f64 = 1e-13;
const MAX_PANELS: usize = 600;

/// E[g(p)], p ~ Beta(a, b), for a non-negative g that varies on the scales in `scales`
/// (values of p near which g bends, e.g. α/t for (1 − (1 + pt/α)^{−r})/p).
pub fn beta_mean(a: f64, b: f64, g: &impl Fn(f64) -> f64, scales: &[f64]) -> f64 {
    if a >= 2.0 && b >= 2.0 {
        centred(a, b, g, scales)
    } else {
        by_ends(a, b, g, scales)
    }
}

/// Points 2^j·s for each scale s, j in −30..=30 (every other), and 2^{−k}, k = 1..=120
/// (every third).
fn p_points(scales: &[f64]) -> Vec<f64> {
    let mut v = dyadic();
    for s in scales.iter().filter(|s| s.is_finite() && **s > 0.0) {
        v.extend((-30..=30).step_by(2).map(|j| s * 2f64.powi(j)));
    }
    v
}

/// 2^{−k}, k = 1..=120 (every third).
fn dyadic() -> Vec<f64> {
    (1..=120).step_by(3).map(|k| 0.5f64.powi(k)).collect()
}

fn centred(a: f64, b: f64, g: &impl Fn(f64) -> f64, scales: &[f64]) -> f64 {
    let m = (a - 1.0) / (a + b - 2.0);
    let sd = (a / (a + b) * (b / (a + b)) / (a + b + 1.0)).sqrt();
    let (lo, hi) = (-m / sd, (1.0 - m) / sd);
    let ln_w = |y: f64| {
        if y <= lo || y >= hi {
            f64::NEG_INFINITY
        } else {
            (a - 1.0) * (sd * y / m).ln_1p() + (b - 1.0) * (-sd * y / (1.0 - m)).ln_1p()
        }
    };
    let mut breaks = doubling_points(0.0, lo, 1.0, &ln_w, 80.0);
    breaks.extend(doubling_points(0.0, hi, 1.0, &ln_w, 80.0));
    breaks.push(0.0);
    let (first, last) = min_max(&breaks);
    breaks.extend(
        p_points(scales)
            .into_iter()
            .map(|p| (p - m) / sd)
            .filter(|y| *y > first && *y < last),
    );
    sort(&mut breaks);
    let f = |y: f64| {
        let w = ln_w(y).exp();
        if w == 0.0 {
            return [0.0, 0.0];
        }
        [w * g(m + sd * y), w]
    };
    let [num, den] = integrate(&f, &breaks, REL_TOL, 0.0, MAX_PANELS);
    num / den
}

fn by_ends(a: f64, b: f64, g: &impl Fn(f64) -> f64, scales: &[f64]) -> f64 {
    let points = p_points(scales);
    // [0, ½]: p = q^{1/a}, p^{a−1} dp = dq/a.
    let lower = |q: f64| {
        let p = q.powf(1.0 / a);
        let w = ((b - 1.0) * (-p).ln_1p()).exp() / a;
        [w * g(p), w]
    };
    // [½, 1]: 1 − p = q^{1/b}, (1−p)^{b−1} dp = −dq/b.
    let upper = |q: f64| {
        let s = q.powf(1.0 / b);
        let p = 1.0 - s;
        let w = ((a - 1.0) * (-s).ln_1p()).exp() / b;
        [w * g(p), w]
    };
    // Each half on its distance d from its end (p, or 1 − p), mapped to q = d^exponent.
    let half = |exponent: f64, f: &dyn Fn(f64) -> [f64; 2], distances: Vec<f64>| {
        let top = 0.5f64.powf(exponent);
        if top <= 0.0 {
            return [0.0, 0.0];
        }
        let mut breaks: Vec<f64> = distances
            .into_iter()
            .filter(|&d| d > 0.0 && d < 0.5)
            .map(|d| d.powf(exponent))
            .filter(|q| *q > 0.0 && *q < top)
            .collect();
        breaks.push(0.0);
        breaks.push(top);
        sort(&mut breaks);
        integrate(&|q| f(q), &breaks, REL_TOL, 0.0, MAX_PANELS)
    };
    let lo = half(a, &lower, points.clone());
    let hi = half(
        b,
        &upper,
        points.iter().map(|p| 1.0 - p).chain(dyadic()).collect(),
    );
    (lo[0] + hi[0]) / (lo[1] + hi[1])
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

fn sort(v: &mut Vec<f64>) {
    v.sort_by(f64::total_cmp);
    v.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E[p^k] = Π_{j<k} (a+j)/(a+b+j) in every region of the method.
    #[test]
    fn moments_match_beta_functions() {
        for &(a, b) in &[
            (0.7929, 2.4259),
            (1e-6, 2.4),
            (1e-6, 1e-6),
            (0.8, 1e-6),
            (3.5, 0.4),
            (2.0, 2.0),
            (8e5, 2.4e6),
            (8e9, 2.4e10),
            (1e6, 1.0),
        ] {
            for k in [1.0, 2.0, 3.0] {
                let got = beta_mean(a, b, &|p: f64| p.powf(k), &[]);
                let want: f64 = (0..k as u32)
                    .map(|j| (a + j as f64) / (a + b + j as f64))
                    .product();
                assert!(
                    (got / want - 1.0).abs() < 1e-10,
                    "a={a} b={b} k={k}: {got} vs {want}"
                );
            }
        }
    }
}
