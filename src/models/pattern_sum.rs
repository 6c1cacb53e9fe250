//! Sums of per-pattern contributions (log-likelihood terms, gradients), in parallel when the
//! data have many distinct patterns.

use rayon::prelude::*;

/// Above this many patterns the sum is split across threads.
const PARALLEL_MIN: usize = 5_000;

/// Σ_i f(i) for i in 0..n, element-wise over fixed-size arrays; no allocation per pattern.
pub(crate) fn pattern_sum<const N: usize, F>(n: usize, f: F) -> [f64; N]
where
    F: Fn(usize) -> [f64; N] + Sync,
{
    let add = |mut acc: [f64; N], v: [f64; N]| {
        for k in 0..N {
            acc[k] += v[k];
        }
        acc
    };
    if n > PARALLEL_MIN {
        (0..n)
            .into_par_iter()
            .fold(|| [0.0; N], |acc, i| add(acc, f(i)))
            .reduce(|| [0.0; N], add)
    } else {
        (0..n).fold([0.0; N], |acc, i| add(acc, f(i)))
    }
}

/// The distinct values of `x` and, per pattern, the index of its value: so that terms that
/// depend on `x` alone are computed once per distinct value. Linear for data sorted by `x`
/// (as [`super::RfmData::new`] leaves it), a hash lookup per change of value otherwise.
pub(crate) fn x_levels(x: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let mut levels: Vec<f64> = Vec::new();
    let mut index: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    let mut level_of = Vec::with_capacity(x.len());
    let mut prev: Option<(f64, u32)> = None;
    for &v in x {
        let level = match prev {
            Some((p, l)) if p.to_bits() == v.to_bits() => l,
            _ => *index.entry(v.to_bits()).or_insert_with(|| {
                levels.push(v);
                (levels.len() - 1) as u32
            }),
        };
        prev = Some((v, level));
        level_of.push(level);
    }
    (levels, level_of)
}
