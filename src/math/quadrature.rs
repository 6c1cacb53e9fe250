//! Gauss-Legendre quadrature for the integrals of the Pareto/NBD (A₀ near z = 1, P(X(t) = n)
//! of a new customer): adaptive on panels, or on doubling panels for integrands that decay
//! exponentially. Written here because the integrands are smooth and cheap, and the rules
//! must return several companion integrals (derivatives) from the same points.

use super::special::gauss_legendre_20;

/// 20-point Gauss-Legendre rule on [a, b].
fn gl20(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    half * gauss_legendre_20()
        .iter()
        .map(|(x, w)| w * f(mid + half * x))
        .sum::<f64>()
}

/// Recursive adaptive Gauss-Legendre: a panel is halved until its two halves agree with it to
/// `tol` (absolute) or 1e-14 (relative).
pub(crate) fn adaptive_gl(f: &impl Fn(f64) -> f64, a: f64, b: f64, tol: f64, depth: u32) -> f64 {
    let whole = gl20(f, a, b);
    let m = 0.5 * (a + b);
    let (left, right) = (gl20(f, a, m), gl20(f, m, b));
    let err = (whole - (left + right)).abs();
    if !err.is_finite() || err <= tol.max(1e-14 * (left + right).abs()) || depth >= 30 {
        left + right
    } else {
        adaptive_gl(f, a, m, tol, depth + 1) + adaptive_gl(f, m, b, tol, depth + 1)
    }
}

/// ∫_a^b f for an f that decays roughly like e^{−rate (v−a)}: Gauss-Legendre on panels whose
/// widths double (in units of 1/rate) from a, up to where e^{−rate (v−a)} < e^{−80}, or b.
pub(crate) fn decaying_gl_vec<const N: usize>(
    f: &impl Fn(f64) -> [f64; N],
    a: f64,
    b: f64,
    rate: f64,
) -> [f64; N] {
    let mut total = [0.0; N];
    let (mut lo, mut width): (f64, f64) = (0.0, 0.5);
    while lo < 80.0 {
        let hi = (lo + width).min(80.0);
        let (pa, pb) = (a + lo / rate, (a + hi / rate).min(b));
        let (mid, half) = (0.5 * (pa + pb), 0.5 * (pb - pa));
        for (x, w) in gauss_legendre_20() {
            let v = f(mid + half * x);
            for k in 0..N {
                total[k] += half * w * v[k];
            }
        }
        if pb >= b {
            break;
        }
        lo = hi;
        width *= 2.0;
    }
    total
}

/// Globally adaptive Gauss-Legendre quadrature of a positive integrand (component 0) and
/// companions integrated on the same panels: the panel with the largest error estimate is
/// split until the summed estimate is below 1e-11 of the total (or 256 panels), so a sharp
/// peak is resolved without refining the regions where the integrand is negligible.
pub(crate) fn adaptive_gl_vec<const N: usize>(
    f: &impl Fn(f64) -> [f64; N],
    a: f64,
    b: f64,
) -> [f64; N] {
    let gl = |a: f64, b: f64| {
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        let mut acc = [0.0; N];
        for (x, w) in gauss_legendre_20() {
            let v = f(mid + half * x);
            for k in 0..N {
                acc[k] += half * w * v[k];
            }
        }
        acc
    };
    // A panel: (a, b, value from its two halves, error estimate on component 0).
    let panel = |a: f64, b: f64| {
        let m = 0.5 * (a + b);
        let (w, l, r) = (gl(a, b), gl(a, m), gl(m, b));
        let v: [f64; N] = std::array::from_fn(|k| l[k] + r[k]);
        let err = (w[0] - v[0]).abs();
        (a, b, v, if err.is_finite() { err } else { 0.0 })
    };
    let panels0 = 8;
    let width = (b - a) / panels0 as f64;
    let mut panels: Vec<(f64, f64, [f64; N], f64)> = (0..panels0)
        .map(|i| panel(a + i as f64 * width, a + (i + 1) as f64 * width))
        .collect();
    while panels.len() < 256 {
        let total: f64 = panels.iter().map(|p| p.2[0]).sum();
        let err: f64 = panels.iter().map(|p| p.3).sum();
        if err.is_nan() || err <= 1e-11 * total.abs() {
            break;
        }
        let (worst, _) =
            panels.iter().enumerate().fold(
                (0, -1.0),
                |acc, (i, p)| if p.3 > acc.1 { (i, p.3) } else { acc },
            );
        let (pa, pb, _, _) = panels.swap_remove(worst);
        let m = 0.5 * (pa + pb);
        panels.push(panel(pa, m));
        panels.push(panel(m, pb));
    }
    let mut total = [0.0; N];
    for p in &panels {
        for (t, v) in total.iter_mut().zip(&p.2) {
            *t += v;
        }
    }
    total
}
