//! Comparison shared by the high-precision reference tests (`models_*_reference.rs`).

/// Agreement asked for: 1e-8 relative, with an absolute floor of 1e-14 for values near 0
/// (probabilities of a few purchases over 10,000 periods are ~1e-30).
pub fn close(got: f64, want: f64) -> bool {
    got.is_finite() && (got - want).abs() <= 1e-8 * want.abs() + 1e-14
}

/// Values that disagree with the table, each described by its row and quantity.
#[derive(Default)]
pub struct Mismatches {
    lines: Vec<String>,
    values: usize,
}

impl Mismatches {
    /// Compares `got` (NaN standing for an error) with the reference `want`.
    pub fn check(&mut self, row: &str, name: &str, got: f64, want: f64) {
        self.values += 1;
        if !close(got, want) {
            self.lines.push(format!(
                "{row}: {name} {got} vs {want} (rel {:.1e})",
                (got / want - 1.0).abs()
            ));
        }
    }

    /// Fails listing every mismatch.
    pub fn assert_none(&self) {
        assert!(
            self.lines.is_empty(),
            "{} of {} values disagree:\n{}",
            self.lines.len(),
            self.values,
            self.lines.join("\n")
        );
    }
}
