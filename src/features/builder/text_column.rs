//! A column of text held as one buffer and a list of offsets, as an Arrow string array holds
//! it: the ids (or extra attributes) of millions of rows in memory without one `String` each.

use crate::error::{ClvError, Result};

/// Text values, one per row: value `i` is `text[offsets[i]..offsets[i + 1]]`. A missing value
/// (a DataFrame's null) is the empty text, which the summaries refuse or reject as an empty id.
#[derive(Debug, Clone, PartialEq)]
pub struct TextColumn {
    text: String,
    offsets: Vec<usize>,
}

impl Default for TextColumn {
    fn default() -> Self {
        TextColumn {
            text: String::new(),
            offsets: vec![0],
        }
    }
}

impl TextColumn {
    /// An empty column with room for `rows` values of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TextColumn {
            text: String::with_capacity(bytes),
            offsets,
        }
    }

    /// A column from its buffer and its `rows + 1` offsets (ascending, from 0 to the buffer's
    /// length, each on a character boundary), as an Arrow string array has them.
    pub fn from_parts(text: String, offsets: Vec<usize>) -> Result<Self> {
        let bad = |what: &str| ClvError::InvalidParameter(format!("text column: {what}"));
        if offsets.first() != Some(&0) || offsets.last() != Some(&text.len()) {
            return Err(bad("offsets must run from 0 to the length of the text"));
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad("offsets must not decrease"));
        }
        if !offsets.iter().all(|&o| text.is_char_boundary(o)) {
            return Err(bad("an offset falls inside a character"));
        }
        Ok(TextColumn { text, offsets })
    }

    /// Appends one value.
    pub fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.offsets.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i`; panics when `i` is out of range, as indexing does.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        &self.text[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The values in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<S: AsRef<str>> FromIterator<S> for TextColumn {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut column = TextColumn::default();
        for value in iter {
            column.push(value.as_ref());
        }
        column
    }
}

impl From<Vec<String>> for TextColumn {
    fn from(values: Vec<String>) -> Self {
        let bytes = values.iter().map(String::len).sum();
        let mut column = TextColumn::with_capacity(values.len(), bytes);
        for v in &values {
            column.push(v);
        }
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_parts_are_checked() {
        let c: TextColumn = ["a", "", "ßc", "d"].into_iter().collect();
        assert_eq!(c.len(), 4);
        assert_eq!(c.iter().collect::<Vec<_>>(), ["a", "", "ßc", "d"]);
        let again = TextColumn::from_parts("aßcd".into(), vec![0, 1, 1, 4, 5]).unwrap();
        assert_eq!(again, c);
        assert!(TextColumn::from_parts("ab".into(), vec![0, 1]).is_err());
        assert!(TextColumn::from_parts("ab".into(), vec![1, 2]).is_err());
        assert!(TextColumn::from_parts("ab".into(), vec![0, 2, 1, 2]).is_err());
        assert!(TextColumn::from_parts("ß".into(), vec![0, 1, 2]).is_err());
        assert!(TextColumn::default().is_empty());
    }
}
