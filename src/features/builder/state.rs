//! Per-customer running state of the feature builder and the map that holds it.
//!
//! Memory is a fixed ~100 bytes per customer; distinct purchase days are kept inline for the
//! first few days and in a heap list only beyond that (needed because the input may be in any
//! order, and repeat purchases are counted by distinct day). Amounts are never stored: the
//! first day's amount is tracked as the running minimum day changes.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::features::hash::FastBuildHasher;

/// Days kept without a heap allocation: most customers buy on few distinct days.
const INLINE_DAYS: usize = 5;

/// Distinct days. Inline days are kept distinct; heap days are deduplicated lazily (appended
/// unless equal to the last one, sorted and deduplicated only when the list would grow, so
/// sorted input costs no sorting at all).
#[derive(Debug, Clone)]
pub(crate) enum DaySet {
    Inline { len: u8, days: [i32; INLINE_DAYS] },
    Heap(Vec<i32>),
}

impl Default for DaySet {
    fn default() -> Self {
        DaySet::Inline {
            len: 0,
            days: [0; INLINE_DAYS],
        }
    }
}

impl DaySet {
    #[inline]
    pub fn insert(&mut self, day: i32) {
        match self {
            DaySet::Inline { len, days } => {
                let n = usize::from(*len);
                if days[..n].contains(&day) {
                    return;
                }
                if n < INLINE_DAYS {
                    days[n] = day;
                    *len += 1;
                } else {
                    let mut v = Vec::with_capacity(4 * INLINE_DAYS);
                    v.extend_from_slice(days);
                    v.push(day);
                    *self = DaySet::Heap(v);
                }
            }
            DaySet::Heap(v) => {
                if v.last() == Some(&day) {
                    return;
                }
                if v.len() == v.capacity() {
                    v.sort_unstable();
                    v.dedup();
                    // Grow only if compaction freed little; amortised O(1) per insert.
                    if v.len() * 2 > v.capacity() {
                        v.reserve(v.len());
                    }
                }
                v.push(day);
            }
        }
    }

    /// The distinct days, ascending.
    pub fn into_sorted(self) -> Vec<i32> {
        let mut v = match self {
            DaySet::Inline { len, days } => days[..usize::from(len)].to_vec(),
            DaySet::Heap(v) => v,
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Number of distinct days, without consuming the set (inline days are distinct already,
    /// so only a heap list costs a sorted copy: on the stack when short, since a heap copy
    /// per customer was measured at ~5% of a summary's CPU time).
    pub fn distinct_count(&self) -> usize {
        fn count_sorted(v: &mut [i32]) -> usize {
            v.sort_unstable();
            v.windows(2).filter(|w| w[0] != w[1]).count() + usize::from(!v.is_empty())
        }
        match self {
            DaySet::Inline { len, .. } => usize::from(*len),
            DaySet::Heap(v) => {
                let mut stack = [0i32; 128];
                match stack.get_mut(..v.len()) {
                    Some(copy) => {
                        copy.copy_from_slice(v);
                        count_sorted(copy)
                    }
                    None => count_sorted(&mut v.clone()),
                }
            }
        }
    }

    /// The latest day, if any.
    pub fn max(&self) -> Option<i32> {
        match self {
            DaySet::Inline { len, days } => days[..usize::from(*len)].iter().copied().max(),
            DaySet::Heap(v) => v.iter().copied().max(),
        }
    }
}

/// Holdout-period purchases, allocated only for customers who have some.
#[derive(Debug, Default)]
pub(crate) struct HoldoutState {
    pub days: DaySet,
    pub spend: f64,
}

#[derive(Debug)]
pub(crate) struct CustomerState {
    /// Earliest calibration day; `i32::MAX` while the customer has only holdout rows.
    pub first_day: i32,
    pub last_day: i32,
    /// Day of the row the extras were taken from.
    pub extras_day: i32,
    pub first_day_amount: f64,
    pub spend: f64,
    pub orders: u64,
    pub days: DaySet,
    pub holdout: Option<Box<HoldoutState>>,
    pub extras: Box<[Box<str>]>,
}

impl CustomerState {
    pub fn new() -> Self {
        CustomerState {
            first_day: i32::MAX,
            last_day: i32::MIN,
            extras_day: i32::MAX,
            first_day_amount: 0.0,
            spend: 0.0,
            orders: 0,
            days: DaySet::default(),
            holdout: None,
            extras: Box::new([]),
        }
    }

    /// Adds one used row. Rows must come in file order (the float sums depend on it).
    #[inline]
    pub fn add(&mut self, day: i32, amount: f64, cal_day: Option<i32>) {
        if cal_day.is_some_and(|c| day > c) {
            let h = self.holdout.get_or_insert_with(Box::default);
            h.days.insert(day);
            h.spend += amount;
            return;
        }
        if day < self.first_day {
            self.first_day = day;
            self.first_day_amount = amount;
        } else if day == self.first_day {
            self.first_day_amount += amount;
        }
        self.last_day = self.last_day.max(day);
        self.spend += amount;
        self.orders += 1;
        self.days.insert(day);
    }

    /// Whether a row on `day` replaces the extras: the earliest row wins, the first in file
    /// order among rows on the same day.
    #[inline]
    pub fn wants_extras(&self, day: i32) -> bool {
        day < self.extras_day
    }

    pub fn set_extras(&mut self, day: i32, extras: Box<[Box<str>]>) {
        self.extras_day = day;
        self.extras = extras;
    }
}

/// A customer id as a map key: ids up to 22 bytes (nearly all) are stored inline, saving a
/// pointer chase per lookup; longer ones on the heap.
#[derive(Debug)]
pub(crate) enum IdKey {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<[u8]>),
}

impl IdKey {
    pub fn new(id: &[u8]) -> Self {
        if id.len() <= 22 {
            let mut bytes = [0u8; 22];
            bytes[..id.len()].copy_from_slice(id);
            IdKey::Inline {
                len: id.len() as u8,
                bytes,
            }
        } else {
            IdKey::Heap(id.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            IdKey::Heap(b) => b,
        }
    }
}

// Hash and equality are those of the byte slice, so `&[u8]` can look keys up (Borrow).
impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for IdKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for IdKey {}

impl std::borrow::Borrow<[u8]> for IdKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// A customer id carried from the first phase of a parallel summary to the second, when it is
/// short (nearly all are): the second phase then reads its rows in order instead of fetching
/// each id from a random place of the round's buffer. That one cache miss per row was measured
/// at a fifth of the CPU time of a 12.6M-row summary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortId {
    /// `LONG` when the id did not fit (the caller keeps its position instead).
    len: u8,
    bytes: [u8; SHORT_ID],
}

const SHORT_ID: usize = 16;

impl ShortId {
    const LONG: u8 = u8::MAX;

    #[inline]
    pub fn new(id: &[u8]) -> Self {
        let mut bytes = [0u8; SHORT_ID];
        if id.len() > SHORT_ID {
            return ShortId {
                len: Self::LONG,
                bytes,
            };
        }
        // A byte loop, not `copy_from_slice`: a variable-length copy is a `memcpy` call.
        for (b, &c) in bytes.iter_mut().zip(id) {
            *b = c;
        }
        ShortId {
            len: id.len() as u8,
            bytes,
        }
    }

    /// The id, or `None` when it was too long to carry.
    #[inline]
    pub fn get(&self) -> Option<&[u8]> {
        (self.len != Self::LONG).then(|| &self.bytes[..usize::from(self.len)])
    }
}

/// Customer states by id; states live in the map itself (one random memory access per row).
pub(crate) type CustomerMap = HashMap<IdKey, CustomerState, FastBuildHasher>;

/// Applies `update` to the state of customer `id`, created on first sight.
#[inline]
pub(crate) fn update_customer(
    map: &mut CustomerMap,
    id: &[u8],
    update: impl FnOnce(&mut CustomerState),
) {
    match map.get_mut(id) {
        Some(s) => update(s),
        None => {
            let mut s = CustomerState::new();
            update(&mut s);
            map.insert(IdKey::new(id), s);
        }
    }
}

/// Where the readers put the used rows of one partition of the customers, in file order: the
/// customer states themselves ([`CustomerMap`]), or a temporary file (`spill`).
pub(crate) trait RowSink: Send {
    /// One used row of customer `id`. `extras` gives the row's extra-column values; it is
    /// called only when `has_extras` and the sink needs them.
    fn add_row<'a>(
        &mut self,
        id: &[u8],
        day: i32,
        amount: f64,
        cal_day: Option<i32>,
        has_extras: bool,
        extras: impl FnOnce() -> Vec<Cow<'a, str>>,
    );
}

impl RowSink for CustomerMap {
    #[inline]
    fn add_row<'a>(
        &mut self,
        id: &[u8],
        day: i32,
        amount: f64,
        cal_day: Option<i32>,
        has_extras: bool,
        extras: impl FnOnce() -> Vec<Cow<'a, str>>,
    ) {
        update_customer(self, id, |s| {
            s.add(day, amount, cal_day);
            if has_extras && s.wants_extras(day) {
                s.set_extras(day, extras().iter().map(|e| e.as_ref().into()).collect());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_set_counts_distinct_days_in_any_order() {
        let mut s = DaySet::default();
        let days = [5, 3, 5, 5, 9, 3, 1, 9, 2, 2, 7, 5, 1, 8, 8, 8, 4, 6, 0, 3];
        for d in days {
            s.insert(d);
        }
        assert!(matches!(s, DaySet::Heap(_)));
        assert_eq!(s.distinct_count(), 10);
        // Past the stack copy's 128 days too.
        let mut long = DaySet::default();
        for d in (0..1000).chain(0..1000).rev() {
            long.insert(d % 300);
        }
        assert_eq!(long.distinct_count(), 300);
        assert_eq!(s.max(), Some(9));
        assert_eq!(s.into_sorted(), (0..10).collect::<Vec<_>>());
        for id in [&b""[..], b"7", b"0123456789abcdef"] {
            assert_eq!(ShortId::new(id).get(), Some(id));
        }
        assert_eq!(ShortId::new(b"0123456789abcdefg").get(), None);
        let mut small = DaySet::default();
        for d in [4, 2, 4, 2] {
            small.insert(d);
        }
        assert!(matches!(small, DaySet::Inline { len: 2, .. }));
        assert_eq!(small.into_sorted(), vec![2, 4]);
    }
}
