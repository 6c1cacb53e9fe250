//! Sums of per-pattern contributions (log-likelihood terms, gradients), in parallel when the
//! data have many distinct patterns, and the tables of terms the patterns share. The patterns are cut into fixed blocks whose partial sums
//! are added in block order, so the result is the same bit for bit on every run and any
//! number of threads.

use rayon::prelude::*;

use super::data::{PatternLevels, PatternPairs, RfmData};

/// Patterns per block: above one block the sum is split across threads.
const BLOCK: usize = 2_048;

/// Below this many entries a table of [`PatternTables`] is filled on the calling thread: on
/// small data (the CDNOW sample's 1,016 patterns) starting the thread pool and waking its
/// workers cost more than the whole fit (issue #13 item 4, BENCHMARKS.md).
const PARALLEL_MIN: usize = 4 * BLOCK;

/// `f` of each of `items`, in parallel when there are many.
pub(crate) fn map_collect<A: Sync, R: Send>(
    items: &[A],
    f: impl Fn(usize, &A) -> R + Sync,
) -> Vec<R> {
    if items.len() < PARALLEL_MIN {
        items.iter().enumerate().map(|(i, a)| f(i, a)).collect()
    } else {
        items.par_iter().enumerate().map(|(i, a)| f(i, a)).collect()
    }
}

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

/// The data's log-likelihood and gradient from one pattern's (ln L, ∇ ln L), each counted by
/// its weight; a pattern without pieces (a term that could not be computed) makes both NaN.
/// Added in the same fixed blocks as [`pattern_sum`].
pub(crate) fn weighted_likelihood_sum<const N: usize, F>(d: &RfmData, pieces: F) -> (f64, [f64; N])
where
    F: Fn(usize) -> Option<(f64, [f64; N])> + Sync,
{
    let add = |(l, mut g): (f64, [f64; N]), (vl, vg): (f64, [f64; N])| {
        for k in 0..N {
            g[k] += vg[k];
        }
        (l + vl, g)
    };
    let one = |i: usize| {
        let w = d.weights[i];
        match pieces(i) {
            Some((ll, grad)) => (w * ll, grad.map(|g| w * g)),
            None => (f64::NAN, [f64::NAN; N]),
        }
    };
    let zero = (0.0, [0.0; N]);
    let n = d.patterns();
    if n <= BLOCK {
        return (0..n).fold(zero, |acc, i| add(acc, one(i)));
    }
    let partial: Vec<(f64, [f64; N])> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| (b * BLOCK..((b + 1) * BLOCK).min(n)).fold(zero, |acc, i| add(acc, one(i))))
        .collect();
    partial.into_iter().fold(zero, add)
}

/// With a single pattern (as the covariate models ask for, one customer at a time), its
/// weighted likelihood from `pieces(x, t_x, T)` directly, with no tables; `None` otherwise.
pub(crate) fn single_pattern<const N: usize>(
    d: &RfmData,
    pieces: impl Fn(f64, f64, f64) -> Option<(f64, [f64; N])> + Sync,
) -> Option<(f64, [f64; N])> {
    (d.patterns() == 1).then(|| weighted_likelihood_sum(d, |_| pieces(d.x[0], d.t_x[0], d.t[0])))
}

/// A model's costly terms, tabulated once per distinct x, per distinct (x, T) pair and per
/// distinct (x, t_x) pair (customers share few of them), the pairs in parallel.
pub(crate) struct PatternTables<'a, X, T, U> {
    levels: &'a PatternLevels,
    pairs: &'a PatternPairs,
    by_x: Vec<X>,
    at_t: Vec<T>,
    at_tx: Vec<U>,
}

impl<'a, X, T: Send, U: Send> PatternTables<'a, X, T, U> {
    /// Tabulates `by_x(x)`, `at_t(x, T)` and `at_tx(x, t_x, needed)`, where `needed` says
    /// whether any pattern with that pair has t_x < T (the others never read the entry).
    pub(crate) fn new(
        d: &'a RfmData,
        by_x: impl Fn(f64) -> X,
        at_t: impl Fn(f64, f64) -> T + Sync,
        at_tx: impl Fn(f64, f64, bool) -> U + Sync,
    ) -> Self {
        let (lv, pairs) = (d.levels(), d.pairs());
        let mut needed = vec![false; pairs.x_t_x.values.len()];
        for i in 0..d.patterns() {
            if d.t_x[i] < d.t[i] {
                needed[pairs.x_t_x.index[i] as usize] = true;
            }
        }
        PatternTables {
            levels: lv,
            pairs,
            by_x: lv.x.values.iter().map(|&x| by_x(x)).collect(),
            at_t: map_collect(&pairs.x_t.values, |_, &[x, t]| at_t(x, t)),
            at_tx: map_collect(&pairs.x_t_x.values, |i, &[x, t_x]| at_tx(x, t_x, needed[i])),
        }
    }

    /// Pattern `i`'s entries.
    pub(crate) fn of(&self, i: usize) -> (&X, &T, &U) {
        (
            &self.by_x[self.levels.x.index[i] as usize],
            &self.at_t[self.pairs.x_t.index[i] as usize],
            &self.at_tx[self.pairs.x_t_x.index[i] as usize],
        )
    }
}
