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
