//! Model inputs: the per-customer sufficient statistics, compressed into weighted patterns.
//!
//! Identical rows are merged before fitting so that the likelihood costs grow with the number
//! of distinct patterns, not with the number of customers.

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

mod compress;

use compress::{Row, merge_rows, rounded, table_of};

use crate::error::{ClvError, Result};
use crate::features::discrete::{PatternTable, read_pattern_csv};
use crate::features::{Summary, SummaryTable};

/// Continuous-time purchase histories: repeat purchases `x`, time of last repeat purchase
/// `t_x`, age `t` (the literature's T), each pattern counted `weights` times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RfmData {
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
    pub weights: Vec<f64>,
    /// Distinct values of each column, found on first use: customers share few values of x,
    /// of t_x and of T, so models compute the terms of one column once per value.
    levels: OnceLock<PatternLevels>,
    /// Distinct (x, t_x) and (x, T) pairs, found on first use (by Pareto/NBD, whose costly
    /// terms depend on such pairs).
    pairs: OnceLock<PatternPairs>,
}

/// The values of one column, each distinct one once where that saves work (see
/// `compress::table_of`), and per pattern the index of its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Levels {
    pub values: Vec<f64>,
    pub index: Vec<u32>,
}

impl Levels {
    fn of(column: &[f64]) -> Self {
        let (values, index) = table_of(column.len(), |i| [column[i]]);
        Levels {
            values: values.into_iter().map(|[v]| v).collect(),
            index,
        }
    }
}

/// The pairs of two columns, each distinct one once where that saves work, and per pattern
/// the index of its pair.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairs {
    pub values: Vec<[f64; 2]>,
    pub index: Vec<u32>,
}

impl Pairs {
    fn of(first: &[f64], second: &[f64]) -> Self {
        let (values, index) = table_of(first.len(), |i| [first[i], second[i]]);
        Pairs { values, index }
    }
}

/// The distinct keys among `key(0..n)` (compared bit for bit), in order of first appearance,
/// and the index of each one's key.
pub(crate) fn distinct<const N: usize>(
    n: usize,
    key: impl Fn(usize) -> [f64; N],
) -> (Vec<[f64; N]>, Vec<u32>) {
    let mut seen: HashMap<[u64; N], u32> = HashMap::default();
    let mut values = Vec::new();
    let index = (0..n)
        .map(|i| {
            let k = key(i);
            *seen.entry(k.map(f64::to_bits)).or_insert_with(|| {
                values.push(k);
                (values.len() - 1) as u32
            })
        })
        .collect();
    (values, index)
}

/// [`Pairs`] of (x, t_x) and of (x, T).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternPairs {
    pub x_t_x: Pairs,
    pub x_t: Pairs,
}

/// [`Levels`] of x, t_x and T.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternLevels {
    pub x: Levels,
    pub t_x: Levels,
    pub t: Levels,
}

/// Patterns below which a fit searches on the data themselves: a coarse copy saves little.
const COARSE_MIN_PATTERNS: usize = 50_000;
/// Points of the grids coarse copies round t_x and T to (over the longest T), finest first.
const COARSE_GRIDS: [usize; 3] = [128, 64, 32];

impl RfmData {
    /// Validates and compresses per-customer rows (weight 1 each unless `weights` is given).
    pub fn new(x: &[f64], t_x: &[f64], t: &[f64], weights: Option<&[f64]>) -> Result<Self> {
        let n = x.len();
        if t_x.len() != n || t.len() != n || weights.is_some_and(|w| w.len() != n) {
            return Err(ClvError::InvalidParameter(
                "x, t_x, T and weights must have the same length".into(),
            ));
        }
        let mut rows = Vec::with_capacity(n);
        for i in 0..n {
            let (xi, txi, ti) = (x[i], t_x[i], t[i]);
            let w = weights.map_or(1.0, |w| w[i]);
            if !(xi.is_finite() && txi.is_finite() && ti.is_finite() && w.is_finite()) {
                return Err(ClvError::InvalidParameter(format!(
                    "row {}: non-finite value (x={xi}, t_x={txi}, T={ti}, weight={w})",
                    i + 1
                )));
            }
            if xi < 0.0 || txi < 0.0 || ti < 0.0 || txi > ti + 1e-9 || w < 0.0 {
                return Err(ClvError::InvalidParameter(format!(
                    "row {}: need x >= 0, 0 <= t_x <= T, weight >= 0 (x={xi}, t_x={txi}, T={ti}, weight={w})",
                    i + 1
                )));
            }
            if xi == 0.0 && txi != 0.0 {
                return Err(ClvError::InvalidParameter(format!(
                    "row {}: t_x must be 0 when x = 0 (t_x={txi})",
                    i + 1
                )));
            }
            if w > 0.0 {
                rows.push(Row {
                    x: xi,
                    t_x: txi,
                    t: ti,
                    w,
                    pos: i,
                });
            }
        }
        if rows.is_empty() {
            return Err(ClvError::InvalidParameter("no customers to fit on".into()));
        }
        // Sorted, so that the output does not depend on the input order.
        Ok(RfmData::of_rows(&merge_rows(rows)))
    }

    /// The patterns as rows, numbered in order.
    fn rows(&self) -> Vec<Row> {
        (0..self.patterns())
            .map(|i| Row {
                x: self.x[i],
                t_x: self.t_x[i],
                t: self.t[i],
                w: self.weights[i],
                pos: i,
            })
            .collect()
    }

    /// The data of merged, sorted rows.
    fn of_rows(rows: &[Row]) -> Self {
        RfmData {
            x: rows.iter().map(|r| r.x).collect(),
            t_x: rows.iter().map(|r| r.t_x).collect(),
            t: rows.iter().map(|r| r.t).collect(),
            weights: rows.iter().map(|r| r.w).collect(),
            levels: OnceLock::new(),
            pairs: OnceLock::new(),
        }
    }

    /// For data of at least [`COARSE_MIN_PATTERNS`] patterns, [`RfmData::coarsened`] on the
    /// finest of [`COARSE_GRIDS`] that leaves at most an eighth of the patterns: what the
    /// transaction models search on first. A finer grid's maximum is nearer the data's, so
    /// fewer full evaluations finish the fit; a coarser one makes the search cheaper.
    pub fn coarse_copy(&self) -> Option<RfmData> {
        if self.patterns() < COARSE_MIN_PATTERNS {
            return None;
        }
        COARSE_GRIDS
            .iter()
            .filter_map(|&grid| self.coarsened(grid))
            .find(|c| c.patterns() * 8 <= self.patterns())
    }

    /// The patterns with t_x and T rounded to `1 / grid` of the longest T and merged again:
    /// a nearby likelihood that is far cheaper when most patterns are distinct (continuous
    /// times), for the first part of a fit (see `crate::optim::Problem::coarse`). `None` when
    /// rounding would not save at least three quarters of the patterns.
    pub fn coarsened(&self, grid: usize) -> Option<RfmData> {
        let longest = self.t.iter().copied().fold(0.0, f64::max);
        let n = self.patterns();
        if longest <= 0.0 || grid == 0 {
            return None;
        }
        let step = longest / grid as f64;
        let cells = grid + 1;
        // The levels of x (kept: the full likelihood reads them too), in order of x.
        let x = &self.levels().x;
        let merged = if x.values.len().saturating_mul(cells * cells) <= 4 * n {
            // Weights added into a dense (x, t_x, T) grid in pattern order, and read out in
            // the grid's order: the rows `rounded` and `merge_rows` give, in one pass.
            let bin = |v: f64| ((v / step).round() as usize).min(grid);
            let mut weight = vec![0.0; x.values.len() * cells * cells];
            for i in 0..n {
                let t = bin(self.t[i]);
                let level = x.index[i] as usize;
                weight[(level * cells + bin(self.t_x[i]).min(t)) * cells + t] += self.weights[i];
            }
            weight
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .map(|(cell, &w)| Row {
                    x: x.values[cell / (cells * cells)],
                    t_x: ((cell / cells) % cells) as f64 * step,
                    t: (cell % cells) as f64 * step,
                    w,
                    pos: cell,
                })
                .collect()
        } else {
            merge_rows(rounded(&self.rows(), step))
        };
        (merged.len() * 4 <= n).then(|| RfmData::of_rows(&merged))
    }

    /// One customer, unchecked: for per-customer likelihoods on data already validated.
    pub fn single(x: f64, t_x: f64, t: f64) -> Self {
        RfmData {
            x: vec![x],
            t_x: vec![t_x],
            t: vec![t],
            weights: vec![1.0],
            levels: OnceLock::new(),
            pairs: OnceLock::new(),
        }
    }

    /// Distinct values of x, t_x and T (computed once, then kept).
    pub fn levels(&self) -> &PatternLevels {
        self.levels.get_or_init(|| PatternLevels {
            x: Levels::of(&self.x),
            t_x: Levels::of(&self.t_x),
            t: Levels::of(&self.t),
        })
    }

    /// Distinct (x, t_x) and (x, T) pairs (computed once, then kept).
    pub fn pairs(&self) -> &PatternPairs {
        self.pairs.get_or_init(|| PatternPairs {
            x_t_x: Pairs::of(&self.x, &self.t_x),
            x_t: Pairs::of(&self.x, &self.t),
        })
    }

    /// Number of distinct patterns.
    pub fn patterns(&self) -> usize {
        self.x.len()
    }

    /// Number of customers (sum of weights).
    pub fn customers(&self) -> f64 {
        self.weights.iter().sum()
    }
}

/// Gamma-Gamma input: repeat buyers only, `x` repeat purchases with mean value `mean_spend`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepeatSpendData {
    pub x: Vec<f64>,
    pub mean_spend: Vec<f64>,
    pub weights: Vec<f64>,
}

impl RepeatSpendData {
    /// Keeps customers with `x > 0` and a positive mean spend; returns the data and the number
    /// of customers left out (non-repeat buyers and zero-value repeat buyers).
    pub fn new(x: &[f64], mean_spend: &[f64], weights: Option<&[f64]>) -> Result<(Self, usize)> {
        if mean_spend.len() != x.len() || weights.is_some_and(|w| w.len() != x.len()) {
            return Err(ClvError::InvalidParameter(
                "x, monetary_value and weights must have the same length".into(),
            ));
        }
        let mut out = RepeatSpendData::default();
        let mut left_out = 0;
        for i in 0..x.len() {
            let w = weights.map_or(1.0, |w| w[i]);
            let (xi, mi) = (x[i], mean_spend[i]);
            if !(xi.is_finite() && mi.is_finite() && w.is_finite()) || mi < 0.0 || w < 0.0 {
                return Err(ClvError::InvalidParameter(format!(
                    "row {}: need finite x, monetary_value >= 0, weight >= 0 (x={xi}, m={mi}, w={w})",
                    i + 1
                )));
            }
            if xi > 0.0 && mi > 0.0 && w > 0.0 {
                out.x.push(xi);
                out.mean_spend.push(mi);
                out.weights.push(w);
            } else {
                left_out += 1;
            }
        }
        if out.x.is_empty() {
            return Err(ClvError::InvalidParameter(
                "Gamma-Gamma needs at least one repeat buyer with positive spend".into(),
            ));
        }
        Ok((out, left_out))
    }
}

/// Discrete-time (BG/BB) input: `x` transactions in `n` opportunities, the last at
/// opportunity `t_x`, each pattern counted `weights` times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BgBbData {
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub n: Vec<f64>,
    pub weights: Vec<f64>,
}

impl BgBbData {
    pub fn new(x: &[f64], t_x: &[f64], n: &[f64], weights: Option<&[f64]>) -> Result<Self> {
        if t_x.len() != x.len() || n.len() != x.len() || weights.is_some_and(|w| w.len() != x.len())
        {
            return Err(ClvError::InvalidParameter(
                "frequency, recency, periods and weights must have the same length".into(),
            ));
        }
        for i in 0..x.len() {
            let w = weights.map_or(1.0, |w| w[i]);
            let ok = [x[i], t_x[i], n[i]]
                .iter()
                .all(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0)
                && x[i] <= t_x[i]
                && t_x[i] <= n[i]
                && (x[i] > 0.0 || t_x[i] == 0.0)
                && w.is_finite()
                && w >= 0.0;
            if !ok {
                return Err(ClvError::InvalidParameter(format!(
                    "row {}: need whole numbers 0 <= x <= t_x <= n (t_x = 0 when x = 0), weight >= 0 \
                     (x={}, t_x={}, n={}, weight={w})",
                    i + 1,
                    x[i],
                    t_x[i],
                    n[i]
                )));
            }
        }
        if x.is_empty() {
            return Err(ClvError::InvalidParameter("no patterns to fit on".into()));
        }
        Ok(BgBbData {
            x: x.to_vec(),
            t_x: t_x.to_vec(),
            n: n.to_vec(),
            weights: weights.map_or_else(|| vec![1.0; x.len()], |w| w.to_vec()),
        })
    }

    /// Identical (x, t_x, n) rows merged into one with their weights summed, rows of weight 0
    /// dropped, in order of first appearance: the same likelihood at a cost that grows with the
    /// distinct patterns (6 periods give at most 28), not with the rows.
    pub fn merged(&self) -> BgBbData {
        let (keys, index) = distinct(self.x.len(), |i| [self.x[i], self.t_x[i], self.n[i]]);
        let mut weights = vec![0.0; keys.len()];
        for (i, &k) in index.iter().enumerate() {
            weights[k as usize] += self.weights[i];
        }
        let mut out = BgBbData::default();
        for (k, w) in keys.iter().zip(weights) {
            if w > 0.0 {
                out.x.push(k[0]);
                out.t_x.push(k[1]);
                out.n.push(k[2]);
                out.weights.push(w);
            }
        }
        out
    }
}

/// Contractual retention (sBG) input: number of customers still active at the start of each
/// period, `survivors[0]` being the cohort size.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivorData {
    pub survivors: Vec<f64>,
}

impl SurvivorData {
    pub fn new(survivors: &[f64]) -> Result<Self> {
        if survivors.len() < 2 {
            return Err(ClvError::InvalidParameter(
                "sBG needs at least two survivor counts (cohort size and one later period)".into(),
            ));
        }
        if survivors.iter().any(|s| !s.is_finite() || *s < 0.0) || survivors[0] <= 0.0 {
            return Err(ClvError::InvalidParameter(
                "survivor counts must be finite, non-negative, the first positive".into(),
            ));
        }
        if survivors.windows(2).any(|w| w[1] > w[0]) {
            return Err(ClvError::InvalidParameter(
                "survivor counts must not increase from one period to the next".into(),
            ));
        }
        Ok(SurvivorData {
            survivors: survivors.to_vec(),
        })
    }
}

impl RfmData {
    /// The model input of a summary table (identical rows merged, weights applied).
    pub fn from_summary_table(table: &SummaryTable) -> Result<Self> {
        RfmData::new(
            &table.frequency,
            &table.recency,
            &table.t,
            table.weights.as_deref(),
        )
    }

    /// The model input of per-customer summaries (identical rows merged).
    pub fn from_summary(summary: &Summary) -> Result<Self> {
        let x: Vec<f64> = summary.customers.iter().map(|c| c.frequency).collect();
        let t_x: Vec<f64> = summary.customers.iter().map(|c| c.recency).collect();
        let t: Vec<f64> = summary.customers.iter().map(|c| c.t).collect();
        RfmData::new(&x, &t_x, &t, None)
    }
}

impl BgBbData {
    /// The model input of the rows of a pattern file.
    pub fn from_patterns(table: &PatternTable) -> Result<Self> {
        BgBbData::new(
            &table.frequency,
            &table.recency,
            &table.periods,
            table.weights.as_deref(),
        )
    }
}

/// Reads a BG/BB pattern file ([`read_pattern_csv`]) into the model input; errors name file,
/// line, column and value.
pub fn read_bgbb_csv(path: &std::path::Path) -> Result<BgBbData> {
    let table = read_pattern_csv(path)?;
    BgBbData::from_patterns(&table)
        .map_err(|e| ClvError::input(path.display().to_string(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Continuous-looking histories over a few values of x.
    fn histories(n: usize, x_values: u64) -> RfmData {
        let mut state = 3u64;
        let mut unit = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut x, mut t_x, mut t) = (vec![], vec![], vec![]);
        for _ in 0..n {
            let xi = (unit() * x_values as f64).floor();
            let ti = 39.0 + 13.0 * unit();
            x.push(xi);
            t_x.push(if xi == 0.0 { 0.0 } else { ti * unit() });
            t.push(ti);
        }
        RfmData::new(&x, &t_x, &t, Some(&vec![0.7; n])).unwrap()
    }

    #[test]
    fn the_dense_grid_and_the_merge_coarsen_alike() {
        for (n, x_values, grid) in [(20_000, 5, 16), (20_000, 5, 128), (3_000, 400, 16)] {
            let d = histories(n, x_values);
            let step = 52.0 / grid as f64;
            let rows = d.rows();
            let longest = d.t.iter().copied().fold(0.0, f64::max);
            let expected = merge_rows(rounded(&rows, longest / grid as f64));
            match d.coarsened(grid) {
                Some(c) => {
                    assert_eq!(
                        c,
                        RfmData::of_rows(&expected),
                        "{n} {x_values} {grid} {step}"
                    );
                    assert!((c.customers() - d.customers()).abs() < 1e-6 * d.customers());
                    for i in 0..c.patterns() {
                        assert!(c.t_x[i] <= c.t[i] && (c.x[i] > 0.0 || c.t_x[i] == 0.0));
                    }
                }
                None => assert!(expected.len() * 4 > d.patterns(), "{n} {x_values} {grid}"),
            }
        }
    }

    #[test]
    fn small_data_have_no_coarse_copy() {
        assert!(histories(1_000, 5).coarse_copy().is_none());
        assert!(histories(60_000, 5).coarse_copy().is_some());
    }
}
