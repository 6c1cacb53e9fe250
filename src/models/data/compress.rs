//! Compressing per-customer rows into patterns, and the tables of a column's values, at a
//! cost that stays linear in the rows when nearly every row is distinct (continuous-time
//! summaries of 1M customers have about 1M distinct patterns, where hashing each row and then
//! sorting an index by three random look-ups took most of a fit's time; issue #14).

use rayon::slice::ParallelSliceMut;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// One validated row: its pattern (x, t_x, T), weight and position in the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
    pub w: f64,
    pub pos: usize,
}

impl Row {
    fn key(&self) -> [u64; 3] {
        [self.x.to_bits(), self.t_x.to_bits(), self.t.to_bits()]
    }

    fn cmp_key(&self, other: &Row) -> std::cmp::Ordering {
        self.x
            .total_cmp(&other.x)
            .then(self.t_x.total_cmp(&other.t_x))
            .then(self.t.total_cmp(&other.t))
    }
}

/// Rows checked in a sample of this many (spread over the input) decide how to merge.
const SAMPLE: usize = 4_096;

/// Whether at least `share` of a sample of keys are distinct.
pub(super) fn mostly_distinct<const N: usize>(
    n: usize,
    key: impl Fn(usize) -> [u64; N],
    share: f64,
) -> bool {
    let m = n.min(SAMPLE);
    if m == 0 {
        return false;
    }
    let seen: HashSet<[u64; N]> = (0..m).map(|j| key(j * n / m)).collect();
    seen.len() as f64 >= share * m as f64
}

/// The distinct patterns of `rows` with their weights summed (in input order, so that the
/// result is the same bit for bit whichever way it is found), sorted by (x, t_x, T).
///
/// Mostly distinct rows are sorted and merged where equal; rows with many repeats are merged
/// by hashing first, which leaves fewer to sort.
pub(super) fn merge_rows(mut rows: Vec<Row>) -> Vec<Row> {
    if mostly_distinct(rows.len(), |i| rows[i].key(), 0.5) {
        // Position breaks ties, so equal patterns meet in input order.
        rows.par_sort_unstable_by(|a, b| a.cmp_key(b).then(a.pos.cmp(&b.pos)));
        let mut out: Vec<Row> = Vec::with_capacity(rows.len());
        for row in rows {
            match out.last_mut() {
                Some(last) if last.key() == row.key() => last.w += row.w,
                _ => out.push(row),
            }
        }
        out
    } else {
        let mut index: HashMap<[u64; 3], usize> = HashMap::default();
        let mut out: Vec<Row> = Vec::new();
        for row in rows {
            match index.get(&row.key()) {
                Some(&j) => out[j].w += row.w,
                None => {
                    index.insert(row.key(), out.len());
                    out.push(row);
                }
            }
        }
        // The patterns are distinct, so an unstable (parallel) sort gives the one order.
        out.par_sort_unstable_by(|a, b| a.cmp_key(b));
        out
    }
}

/// A table of the keys `key(0..n)` and, per row, the index of its entry: each distinct key
/// once where that saves work, else every row its own entry (costly terms of a table entry are
/// then computed as often as before merging would have saved, which with mostly distinct keys
/// is hardly at all). Keys already in order (x, then (x, t_x), after [`merge_rows`]) are
/// merged in one pass.
pub(super) fn table_of<const N: usize>(
    n: usize,
    key: impl Fn(usize) -> [f64; N],
) -> (Vec<[f64; N]>, Vec<u32>) {
    // One pass while the keys come in order; the first key out of order ends it.
    let mut values: Vec<[f64; N]> = Vec::new();
    let mut index = Vec::with_capacity(n);
    for i in 0..n {
        let k = key(i);
        let order = values.last().map(|l| {
            l.iter()
                .zip(&k)
                .map(|(p, q)| p.total_cmp(q))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        match order {
            Some(std::cmp::Ordering::Equal) => {}
            Some(std::cmp::Ordering::Greater) => break,
            _ => values.push(k),
        }
        index.push((values.len() - 1) as u32);
    }
    if index.len() == n {
        return (values, index);
    }
    if mostly_distinct(n, |i| key(i).map(f64::to_bits), 0.9) {
        return ((0..n).map(&key).collect(), (0..n as u32).collect());
    }
    super::distinct(n, key)
}

/// Rows rounded to a grid for a first, cheaper fit: t_x and T to the nearest multiple of
/// `step` (t_x never above T), x kept, weights kept.
pub(super) fn rounded(rows: &[Row], step: f64) -> Vec<Row> {
    let round = |v: f64| (v / step).round() * step;
    rows.iter()
        .map(|r| {
            let t = round(r.t);
            Row {
                t_x: round(r.t_x).min(t),
                t,
                ..*r
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(keys: &[(f64, f64, f64, f64)]) -> Vec<Row> {
        keys.iter()
            .enumerate()
            .map(|(pos, &(x, t_x, t, w))| Row { x, t_x, t, w, pos })
            .collect()
    }

    fn flat(rows: &[Row]) -> Vec<[u64; 4]> {
        rows.iter()
            .map(|r| [r.x, r.t_x, r.t, r.w].map(f64::to_bits))
            .collect()
    }

    #[test]
    fn both_merges_give_the_same_patterns_bit_for_bit() {
        // Fractional weights, so that the order of the sums shows in the last bits.
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for distinct in [3u64, 50, 5_000, 1 << 30] {
            let keys: Vec<(f64, f64, f64, f64)> = (0..20_000)
                .map(|_| {
                    let x = next(4) as f64;
                    let t = 10.0 + next(distinct) as f64 / 7.0;
                    let t_x = if x == 0.0 { 0.0 } else { t / 2.0 };
                    (x, t_x, t, 0.1 + next(1000) as f64 / 997.0)
                })
                .collect();
            let sorted = {
                let mut r = rows(&keys);
                r.sort_by(|a, b| a.cmp_key(b).then(a.pos.cmp(&b.pos)));
                let mut out: Vec<Row> = Vec::new();
                for row in r {
                    match out.last_mut() {
                        Some(l) if l.key() == row.key() => l.w += row.w,
                        _ => out.push(row),
                    }
                }
                out
            };
            assert_eq!(flat(&merge_rows(rows(&keys))), flat(&sorted), "{distinct}");
        }
    }

    #[test]
    fn tables_map_every_row_to_its_value() {
        let ordered = [1.0, 1.0, 2.0, 3.0, 3.0];
        let unordered = [3.0, 1.0, 3.0, 2.0, 1.0];
        let distinct: Vec<f64> = (0..10_000).map(|i| (i * 7919 % 10_007) as f64).collect();
        for column in [&ordered[..], &unordered[..], &distinct[..]] {
            let (values, index) = table_of(column.len(), |i| [column[i]]);
            for (i, v) in column.iter().enumerate() {
                assert_eq!(values[index[i] as usize][0], *v);
            }
            let mut unique: Vec<u64> = column.iter().map(|v| v.to_bits()).collect();
            unique.sort();
            unique.dedup();
            if column.len() < 100 {
                assert_eq!(values.len(), unique.len(), "{column:?}");
            }
        }
    }

    #[test]
    fn rounding_keeps_histories_possible() {
        // t_x a hair above T (the checks allow 1e-9) must not round to a later point than T.
        let r = rows(&[
            (1.0, 3.05 + 5e-10, 3.05, 1.0),
            (0.0, 0.0, 0.3, 2.0),
            (2.0, 0.04, 0.06, 1.0),
        ]);
        for row in rounded(&r, 0.1) {
            assert!(row.t_x <= row.t && row.t_x >= 0.0);
        }
    }
}
