//! Panel quadrature for smooth integrands with one or two features (first used by the
//! GGom/NBD integrals): Gauss-Legendre panels laid out from the points
//! where an integrand peaks (widths doubling away from them, in units of the integrand's own
//! scale there), then refined globally where a 10-point and a 20-point rule on a panel
//! disagree. The integrands are smooth and, after the model's change of variables, monotone
//! or unimodal, so the initial panels see every feature and the refinement only has to
//! resolve steep stretches.

use super::special::{gauss_legendre_10, gauss_legendre_20};

/// ∫_a^b f by `rule` (nodes and weights on [−1, 1]), component by component.
fn apply<const N: usize>(
    f: &impl Fn(f64) -> [f64; N],
    a: f64,
    b: f64,
    rule: &[(f64, f64)],
) -> [f64; N] {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let mut acc = [0.0; N];
    for &(x, w) in rule {
        let v = f(mid + half * x);
        for k in 0..N {
            acc[k] += half * w * v[k];
        }
    }
    acc
}

/// A panel: its ends, its 20-point values, and |G20 − G10| on component 0.
type Panel<const N: usize> = (f64, f64, [f64; N], f64);

fn panel<const N: usize>(f: &impl Fn(f64) -> [f64; N], a: f64, b: f64) -> Panel<N> {
    let v = apply(f, a, b, gauss_legendre_20());
    let coarse = apply(f, a, b, gauss_legendre_10());
    let err = (v[0] - coarse[0]).abs();
    (a, b, v, if err.is_finite() { err } else { 0.0 })
}

/// ∫ f over [breaks[0], breaks[last]] (breaks sorted ascending) for a non-negative component
/// 0 and companions on the same points: starting from the given panels, the panel with the
/// largest error estimate is halved until the summed estimate is at most `rel_tol` of the
/// total plus `abs_tol`, or `max_panels` are used. The 10-point estimate is pessimistic:
/// the 20-point values returned are far more accurate than it says.
pub fn integrate<const N: usize>(
    f: &impl Fn(f64) -> [f64; N],
    breaks: &[f64],
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> [f64; N] {
    let mut panels: Vec<Panel<N>> = breaks
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| panel(f, w[0], w[1]))
        .collect();
    while panels.len() < max_panels {
        let total: f64 = panels.iter().map(|p| p.2[0]).sum();
        let err: f64 = panels.iter().map(|p| p.3).sum();
        if err.is_nan() || err <= rel_tol * total.abs() + abs_tol {
            break;
        }
        let worst = panels
            .iter()
            .enumerate()
            .fold(
                (0, -1.0),
                |acc, (i, p)| if p.3 > acc.1 { (i, p.3) } else { acc },
            )
            .0;
        let (a, b, _, _) = panels.swap_remove(worst);
        let m = 0.5 * (a + b);
        if !(m > a && m < b) {
            // The panel cannot be split further in floating point.
            panels.push(panel(f, a, b));
            panels.last_mut().expect("just pushed").3 = 0.0;
            continue;
        }
        panels.push(panel(f, a, m));
        panels.push(panel(f, m, b));
    }
    let mut total = [0.0; N];
    for p in &panels {
        for (t, v) in total.iter_mut().zip(&p.2) {
            *t += v;
        }
    }
    total
}

/// Points from `from` towards `to` (either direction) at distances w0·(2^k − 1): panels of
/// width w0, 2w0, 4w0, ..., ending at `to`, or earlier at the first point where
/// `ln_f` has fallen more than `drop` below `ln_f(from)` (beyond which the integrand is
/// negligible). Returns the points after `from`, in order of distance.
pub fn doubling_points(
    from: f64,
    to: f64,
    w0: f64,
    ln_f: &impl Fn(f64) -> f64,
    drop: f64,
) -> Vec<f64> {
    let mut out = Vec::new();
    let span = (to - from).abs();
    if span == 0.0 {
        return out;
    }
    let dir = (to - from).signum();
    let w0 = if w0.is_finite() && w0 > 0.0 {
        w0.min(span)
    } else {
        span
    };
    let top = ln_f(from);
    let mut dist = 0.0;
    let mut width = w0;
    for _ in 0..200 {
        dist += width;
        if dist >= span {
            out.push(to);
            break;
        }
        let p = from + dir * dist;
        out.push(p);
        if top.is_finite() && ln_f(p) < top - drop {
            break;
        }
        width *= 2.0;
    }
    out
}
