//! Sums of per-pattern contributions (log-likelihood terms, gradients), in parallel when the
//! data have many distinct patterns. The patterns are cut into fixed blocks whose partial sums
//! are added in block order, so the result is the same bit for bit on every run and any
//! number of threads.

use rayon::prelude::*;

/// Patterns per block: above one block the sum is split across threads.
const BLOCK: usize = 2_048;

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
    if n <= BLOCK {
        return (0..n).fold([0.0; N], |acc, i| add(acc, f(i)));
    }
    let partial: Vec<[f64; N]> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| (b * BLOCK..((b + 1) * BLOCK).min(n)).fold([0.0; N], |acc, i| add(acc, f(i))))
        .collect();
    partial.into_iter().fold([0.0; N], add)
}
