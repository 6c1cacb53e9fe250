//! Panel quadrature for smooth integrands with one or two features (first used by the
//! GGom/NBD integrals): Gauss-Legendre panels laid out from the points
//! where an integrand peaks (widths doubling away from them, in units of the integrand's own
//! scale there), then refined globally where the 10-point Gauss and 21-point Kronrod rules on a panel
//! disagree. The integrands are smooth and, after the model's change of variables, monotone
//! or unimodal, so the initial panels see every feature and the refinement only has to
//! resolve steep stretches.

/// A panel: its ends, its 21-point values, and |K21 − G10| on component 0.
type Panel<const N: usize> = (f64, f64, [f64; N], f64);

/// The 21-point Gauss-Kronrod rule that extends the 10-point Gauss-Legendre rule (Kronrod's
/// construction; the values of Piessens et al., QUADPACK): `(node, Kronrod weight, Gauss
/// weight)` for the nodes ≥ 0, the rule being symmetric; every other node is a Gauss node.
/// Both estimates come from 21 integrand values, where a separate 20- and 10-point pair took
/// 30 (the integrand is ~90% of a GGom/NBD fit's time). Exact for polynomials of degree 31
/// and 19 (tested).
const KRONROD_21: [(f64, f64, f64); 11] = [
    (0.995_657_163_025_808_1, 0.011_694_638_867_371_874, 0.0),
    (
        0.973_906_528_517_171_7,
        0.032_558_162_307_964_73,
        0.066_671_344_308_688_14,
    ),
    (0.930_157_491_355_708_2, 0.054_755_896_574_351_996, 0.0),
    (
        0.865_063_366_688_984_5,
        0.075_039_674_810_919_95,
        0.149_451_349_150_580_6,
    ),
    (0.780_817_726_586_416_9, 0.093_125_454_583_697_6, 0.0),
    (
        0.679_409_568_299_024_4,
        0.109_387_158_802_297_64,
        0.219_086_362_515_982_04,
    ),
    (0.562_757_134_668_604_7, 0.123_491_976_262_065_85, 0.0),
    (
        0.433_395_394_129_247_2,
        0.134_709_217_311_473_33,
        0.269_266_719_309_996_36,
    ),
    (0.294_392_862_701_460_2, 0.142_775_938_577_060_08, 0.0),
    (
        0.148_874_338_981_631_2,
        0.147_739_104_901_338_5,
        0.295_524_224_714_752_87,
    ),
    (0.0, 0.149_445_554_002_916_9, 0.0),
];

/// The Kronrod and Gauss estimates of ∫_a^b f (Gauss on component 0 only).
fn kronrod<const N: usize>(f: &impl Fn(f64) -> [f64; N], a: f64, b: f64) -> ([f64; N], f64) {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let mut acc = [0.0; N];
    let mut gauss = 0.0;
    for &(x, wk, wg) in &KRONROD_21 {
        let mut add = |v: [f64; N]| {
            for k in 0..N {
                acc[k] += half * wk * v[k];
            }
            gauss += half * wg * v[0];
        };
        add(f(mid + half * x));
        if x != 0.0 {
            add(f(mid - half * x));
        }
    }
    (acc, gauss)
}

fn panel<const N: usize>(f: &impl Fn(f64) -> [f64; N], a: f64, b: f64) -> Panel<N> {
    let (v, coarse) = kronrod(f, a, b);
    let err = (v[0] - coarse).abs();
    (a, b, v, if err.is_finite() { err } else { 0.0 })
}

/// ∫ f over [breaks[0], breaks[last]] (breaks sorted ascending) for a non-negative component
/// 0 and companions on the same points: starting from the given panels, the panel with the
/// largest error estimate is halved until the summed estimate is at most `rel_tol` of the
/// total plus `abs_tol`, or `max_panels` are used. The 10-point estimate is pessimistic:
/// the 21-point values returned are far more accurate than it says.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::special::gauss_legendre_10;

    /// A mistyped digit in a node or weight breaks exactness on polynomials.
    #[test]
    fn kronrod_21_is_exact_to_degree_31_and_its_gauss_part_to_19() {
        for k in 0..=33 {
            let (v, g) = kronrod(&|x: f64| [x.powi(k)], -1.0, 1.0);
            let exact = if k % 2 == 0 {
                2.0 / f64::from(k + 1)
            } else {
                0.0
            };
            if k <= 31 {
                assert!(
                    (v[0] - exact).abs() < 1e-15,
                    "K21 on x^{k}: {} vs {exact}",
                    v[0]
                );
            }
            if k <= 19 {
                assert!((g - exact).abs() < 1e-15, "G10 on x^{k}: {g} vs {exact}");
            }
        }
        // Degree 32 is beyond the Kronrod rule: the test above can fail.
        let (v, _) = kronrod(&|x: f64| [x.powi(32)], -1.0, 1.0);
        assert!((v[0] - 2.0 / 33.0).abs() > 1e-13);
        // The Gauss nodes are those of the 10-point rule computed by Newton's method.
        let mut gauss: Vec<f64> = KRONROD_21
            .iter()
            .filter(|r| r.2 > 0.0)
            .flat_map(|r| [r.0, -r.0])
            .collect();
        let mut newton: Vec<f64> = gauss_legendre_10().iter().map(|r| r.0).collect();
        gauss.sort_by(f64::total_cmp);
        newton.sort_by(f64::total_cmp);
        for (a, b) in gauss.iter().zip(&newton) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
    }
}
