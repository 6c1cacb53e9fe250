//! Special functions the transaction models need beyond `statrs`, evaluated stably.
//!
//! - the Gauss hypergeometric function 2F1(a,b;c;z) for |z| < 1 ([`ln_hyp2f1`], [`hyp2f1`]),
//!   in log space, with its partial derivatives from term-wise differentiation of the series;
//! - Tricomi's confluent hypergeometric function U(a,a,z) ([`ln_hyperu_aa`]) for the
//!   Pareto/NBD discounted expected residual transactions;
//! - Gauss-Legendre nodes for the few quantities computed by quadrature.

use std::sync::OnceLock;

use statrs::function::gamma::ln_gamma;

use crate::error::{ClvError, Result};

/// Relative size of the neglected tail at which a series stops.
const SERIES_EPS: f64 = 1e-17;
/// Iteration cap of the 2F1 series: reaching it is an error, never a silent value.
pub const HYP2F1_MAX_TERMS: usize = 500_000;

/// 2F1 in log form with the derivatives of ln|F| with respect to a, b, c and z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyp2f1 {
    /// ln |2F1(a,b;c;z)|.
    pub ln_abs: f64,
    /// Sign of 2F1 (+1 or −1).
    pub sign: f64,
    pub d_a: f64,
    pub d_b: f64,
    pub d_c: f64,
    pub d_z: f64,
}

/// 2F1(a,b;c;z) for −1 < z < 1.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    let h = ln_hyp2f1(a, b, c, z)?;
    Ok(h.sign * h.ln_abs.exp())
}

/// ln|2F1(a,b;c;z)| and its partial derivatives, for −1 < z < 1.
///
/// Negative z goes through Pfaff's transformation to z/(z−1) ∈ (0, ½); for z ≥ 0 with
/// c−a−b < 0 Euler's transformation (1−z)^{c−a−b} 2F1(c−a,c−b;c;z) keeps the terms from
/// growing with large a and b. The series runs in scaled arithmetic, so huge values (such as
/// (1−z)^{−5000}) come back as finite logarithms.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<Hyp2f1> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) || z.abs() >= 1.0 {
        return Err(ClvError::InvalidParameter(format!(
            "2F1({a}, {b}; {c}; {z}): need finite arguments and |z| < 1"
        )));
    }
    if c <= 0.0 && c.fract() == 0.0 {
        return Err(ClvError::InvalidParameter(format!(
            "2F1({a}, {b}; {c}; {z}): c is a pole (non-positive integer)"
        )));
    }
    if z < 0.0 {
        // Pfaff: F(a,b;c;z) = (1−z)^{−a} F(a, c−b; c; w), w = z/(z−1).
        let w = z / (z - 1.0);
        let l1z = (-z).ln_1p();
        let g = hyp2f1_series(a, c - b, c, w)?;
        let dw_dz = -1.0 / ((z - 1.0) * (z - 1.0));
        return Ok(Hyp2f1 {
            ln_abs: -a * l1z + g.ln_abs,
            sign: g.sign,
            d_a: -l1z + g.d_a,
            d_b: -g.d_b,
            d_c: g.d_b + g.d_c,
            d_z: a / (1.0 - z) + g.d_z * dw_dz,
        });
    }
    let e = c - a - b;
    if e < 0.0 {
        // Euler: F(a,b;c;z) = (1−z)^{c−a−b} F(c−a, c−b; c; z).
        let l1z = (-z).ln_1p();
        let g = hyp2f1_series(c - a, c - b, c, z)?;
        return Ok(Hyp2f1 {
            ln_abs: e * l1z + g.ln_abs,
            sign: g.sign,
            d_a: -l1z - g.d_a,
            d_b: -l1z - g.d_b,
            d_c: l1z + g.d_a + g.d_b + g.d_c,
            d_z: -e / (1.0 - z) + g.d_z,
        });
    }
    hyp2f1_series(a, b, c, z)
}

/// The defining series Σ (a)_n (b)_n / ((c)_n n!) z^n with term-wise derivatives.
fn hyp2f1_series(a: f64, b: f64, c: f64, z: f64) -> Result<Hyp2f1> {
    const RESCALE: f64 = 1e200;
    let (mut term, mut ta, mut tb, mut tc) = (1.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut sum, mut sa, mut sb, mut sc, mut sz) = (1.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut ln_scale = 0.0;
    // Past this index every Pochhammer factor is positive and the term ratio is monotone,
    // so the tail bound below is valid.
    let monotone_from = (-a).max(-b).max(-c).max(0.0) + 1.0;
    for n in 0..HYP2F1_MAX_TERMS {
        let nf = n as f64;
        let q = z / ((c + nf) * (nf + 1.0));
        let (ap, bp) = (a + nf, b + nf);
        let rho = ap * bp * q;
        let new_ta = q * bp * (ap * ta + term);
        let new_tb = q * ap * (bp * tb + term);
        let new_tc = rho * (tc - term / (c + nf));
        term *= rho;
        ta = new_ta;
        tb = new_tb;
        tc = new_tc;
        sum += term;
        sa += ta;
        sb += tb;
        sc += tc;
        sz += (nf + 1.0) * term;
        if sum.abs() > RESCALE || term.abs() > RESCALE {
            let k = 1.0 / RESCALE;
            term *= k;
            ta *= k;
            tb *= k;
            tc *= k;
            sum *= k;
            sa *= k;
            sb *= k;
            sc *= k;
            sz *= k;
            ln_scale += RESCALE.ln();
        }
        // A terminated series (a or b a non-positive integer) is exact.
        let mut done = term == 0.0 && ta == 0.0 && tb == 0.0 && tc == 0.0;
        let n1 = nf + 1.0;
        if !done && n1 >= monotone_from {
            let next = ((a + n1) * (b + n1) * z / ((c + n1) * (n1 + 1.0))).abs();
            let r = next.max(z.abs());
            if r < 1.0 {
                let tail = r / (1.0 - r) * (n1 + 1.0 + 1.0 / (1.0 - r));
                let small = |t: f64, s: f64| t.abs() * tail <= SERIES_EPS * s.abs().max(sum.abs());
                done = small(term, sum) && small(ta, sa) && small(tb, sb) && small(tc, sc);
            }
        }
        if done {
            if sum == 0.0 || !sum.is_finite() {
                break;
            }
            let d_z = if z == 0.0 { a * b / c } else { sz / (z * sum) };
            return Ok(Hyp2f1 {
                ln_abs: ln_scale + sum.abs().ln(),
                sign: sum.signum(),
                d_a: sa / sum,
                d_b: sb / sum,
                d_c: sc / sum,
                d_z,
            });
        }
    }
    Err(ClvError::InvalidParameter(format!(
        "2F1({a}, {b}; {c}; {z}): the series did not converge in {HYP2F1_MAX_TERMS} terms"
    )))
}

/// ln U(a, a, z), Tricomi's confluent hypergeometric function of the second kind with equal
/// first two parameters, for a > 0, z > 0.
///
/// Uses Γ(a) U(a,a,z) = ∫_0^∞ e^{−zt} t^{a−1}/(1+t) dt. With t = e^u the integrand is smooth
/// and decays double-exponentially on the right and like e^{au} on the left, so the trapezoid
/// rule on the whole line converges geometrically (step h: error ~ e^{−π²/h}); on the far
/// left, where 1/(1+t) = 1 and e^{−zt} = 1 to machine precision, its sum is geometric. Everything is
/// summed relative to the peak of the integrand, so nothing overflows.
pub fn ln_hyperu_aa(a: f64, z: f64) -> Result<f64> {
    if !(a.is_finite() && z.is_finite() && a > 0.0 && z > 0.0) {
        return Err(ClvError::InvalidParameter(format!(
            "U({a}, {a}, {z}): need a > 0 and z > 0"
        )));
    }
    const H: f64 = 0.125;
    let log_f = |u: f64| a * u - z * u.exp() - u.exp().ln_1p();
    // Left cut: below it e^u < 1e-18 relative to 1 and to 1/z.
    let u_left = (-42.0f64).min(z.recip().ln() - 42.0);
    // The peak solves a = z e^u + e^u/(1+e^u); a bracket in u, then bisection.
    let dlog = |u: f64| a - z * u.exp() - 1.0 / (1.0 + (-u).exp());
    let (mut lo, mut hi) = (u_left, ((a + 1.0) / z).ln().max(u_left) + 1.0);
    if dlog(lo) <= 0.0 {
        hi = lo;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if dlog(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let peak = log_f(0.5 * (lo + hi)).max(log_f(u_left));
    // Whole-line trapezoid rule on the grid u_left + kH. For k <= 0 the integrand is e^{au}
    // to machine precision, so that part of the sum is geometric: H e^{a u_left}/(1 − e^{−aH}).
    let mut s = (a * u_left - peak).exp() * H / (-(-a * H).exp_m1());
    let mut u = u_left;
    let mut k = 0usize;
    loop {
        let lf = log_f(u) - peak;
        if k > 0 {
            s += H * lf.exp();
        }
        if u > hi && lf < -45.0 {
            break;
        }
        k += 1;
        u = u_left + k as f64 * H;
        if k > 2_000_000 {
            return Err(ClvError::InvalidParameter(format!(
                "U({a}, {a}, {z}): quadrature did not terminate"
            )));
        }
    }
    Ok(peak + s.ln() - ln_gamma(a))
}

/// Nodes and weights of the 20-point Gauss-Legendre rule on [−1, 1].
pub fn gauss_legendre_20() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| gauss_legendre(20))
}

/// Nodes and weights of the 10-point Gauss-Legendre rule on [−1, 1].
pub fn gauss_legendre_10() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| gauss_legendre(10))
}

/// Gauss-Legendre rule with `n` points on [−1, 1] (Newton on the Legendre polynomial).
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let nf = n as f64;
    (0..n)
        .map(|i| {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                dp = nf * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            (x, 2.0 / ((1.0 - x * x) * dp * dp))
        })
        .collect()
}

#[cfg(test)]
#[path = "special_tests.rs"]
mod tests;
