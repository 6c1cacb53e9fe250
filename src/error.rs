//! The library's error type: one enum, one line of text per error, no panics for bad input.

use thiserror::Error;

/// Everything that can go wrong in the library. Each variant renders as one readable line
/// naming what was wrong and where; [`ClvError::kind`] sorts it into a stable [`ErrorKind`].
#[derive(Debug, Error)]
pub enum ClvError {
    /// A data row that cannot be used: file, 1-based line, column and the offending value.
    #[error("{file}:{line}: column '{column}': {reason} (value '{value}')")]
    BadRow {
        file: String,
        line: u64,
        column: String,
        value: String,
        reason: String,
    },
    /// A bad value in a Parquet file: file, row group and row in it (both from 0, as Parquet
    /// tools count), column and value.
    #[error(
        "{file}: row group {row_group}, row {row}: column '{column}': {reason} (value '{value}')"
    )]
    BadCell {
        file: String,
        row_group: usize,
        row: u64,
        column: String,
        value: String,
        reason: String,
    },
    /// A whole input is unusable (empty, missing column, not UTF-8 ...).
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    /// A parameter or setting outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// A model could not be fitted at all (no usable data, no finite starting point).
    #[error("fit failed: {0}")]
    Fit(String),
    /// A quantity that valid inputs should give but the numerics could not (an overflow, a
    /// series that did not converge): `what` was to be computed, `whom` for which model or
    /// customer.
    #[error("cannot compute {what} for {whom}")]
    Numerical { what: String, whom: String },
    /// A saved model file that cannot be used.
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    /// Reading or writing the JSON of a model, bundle or churn-model file.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, ClvError>;

/// The stable kind of a [`ClvError`]: what a front end maps an error to (a Python binding
/// raises one exception class per kind, a service returns one status per kind). The
/// variants of [`ClvError`] may grow and change; a kind, once here, keeps its meaning and
/// its [`ErrorKind::name`].
///
/// | kind | name | from | meaning |
/// | --- | --- | --- | --- |
/// | [`BadInput`](ErrorKind::BadInput) | `bad_input` | [`ClvError::BadRow`], [`ClvError::BadCell`], [`ClvError::Input`], [`ClvError::Csv`] | the caller's data is unusable; `BadRow` names file, line, column and value, `BadCell` file, row group, row, column and value |
/// | [`InvalidParameter`](ErrorKind::InvalidParameter) | `invalid_parameter` | [`ClvError::InvalidParameter`] | a parameter, setting or argument outside its valid range |
/// | [`Numerical`](ErrorKind::Numerical) | `numerical` | [`ClvError::Fit`], [`ClvError::Numerical`] | valid inputs, but no estimate or value could be computed |
/// | [`IncompatibleModel`](ErrorKind::IncompatibleModel) | `incompatible_model` | [`ClvError::ModelFile`], [`ClvError::Json`] (but its I/O errors) | a model, bundle or churn-model file that this build cannot use |
/// | [`Io`](ErrorKind::Io) | `io` | [`ClvError::Io`], a [`ClvError::Json`] whose cause is I/O | the operating system refused a read or a write |
///
/// Every `serde_json` error the library passes on with `?` comes from reading or writing a
/// model, bundle or churn-model file, hence `Json` is an incompatible model.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input data is unusable.
    BadInput,
    /// A parameter or setting is outside its valid range.
    InvalidParameter,
    /// A fit or a prediction failed numerically.
    Numerical,
    /// A model file this build cannot use.
    IncompatibleModel,
    /// An operating-system I/O failure.
    Io,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::BadInput,
        ErrorKind::InvalidParameter,
        ErrorKind::Numerical,
        ErrorKind::IncompatibleModel,
        ErrorKind::Io,
    ];

    /// The kind's stable snake-case name (`bad_input`, `invalid_parameter`, `numerical`,
    /// `incompatible_model`, `io`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::BadInput => "bad_input",
            ErrorKind::InvalidParameter => "invalid_parameter",
            ErrorKind::Numerical => "numerical",
            ErrorKind::IncompatibleModel => "incompatible_model",
            ErrorKind::Io => "io",
        }
    }
}

impl ClvError {
    /// Shorthand for an input-level error.
    pub fn input(file: impl Into<String>, message: impl Into<String>) -> Self {
        ClvError::Input {
            file: file.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a numerical failure: `what` could not be computed for `whom`.
    pub fn numerical(what: impl Into<String>, whom: impl Into<String>) -> Self {
        ClvError::Numerical {
            what: what.into(),
            whom: whom.into(),
        }
    }

    /// The error's stable kind (see [`ErrorKind`] for the mapping).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClvError::BadRow { .. }
            | ClvError::BadCell { .. }
            | ClvError::Input { .. }
            | ClvError::Csv(_) => ErrorKind::BadInput,
            ClvError::InvalidParameter(_) => ErrorKind::InvalidParameter,
            ClvError::Fit(_) | ClvError::Numerical { .. } => ErrorKind::Numerical,
            ClvError::Json(e) if e.is_io() => ErrorKind::Io,
            ClvError::ModelFile { .. } | ClvError::Json(_) => ErrorKind::IncompatibleModel,
            ClvError::Io(_) => ErrorKind::Io,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variant's position in the enum: adding a variant breaks this match, and the test
    /// then asks for an error of it in [`one_of_each`].
    fn variant(e: &ClvError) -> usize {
        match e {
            ClvError::BadRow { .. } => 0,
            ClvError::Input { .. } => 1,
            ClvError::InvalidParameter(_) => 2,
            ClvError::Fit(_) => 3,
            ClvError::Numerical { .. } => 4,
            ClvError::ModelFile { .. } => 5,
            ClvError::Io(_) => 6,
            ClvError::Csv(_) => 7,
            ClvError::Json(_) => 8,
            ClvError::BadCell { .. } => 9,
        }
    }
    const VARIANTS: usize = 10;

    /// One error of every variant (and both kinds of JSON error), with the kind it maps to.
    fn one_of_each() -> Vec<(ClvError, ErrorKind)> {
        let csv_error = csv::ReaderBuilder::new()
            .from_reader("a,b\n1\n".as_bytes())
            .records()
            .find_map(|r| r.err())
            .expect("a short record is a CSV error");
        let json_syntax = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let json_io = serde_json::Error::io(std::io::Error::other("disk full"));
        let all = vec![
            (
                ClvError::BadRow {
                    file: "t.csv".into(),
                    line: 3,
                    column: "date".into(),
                    value: "x".into(),
                    reason: "not a date".into(),
                },
                ErrorKind::BadInput,
            ),
            (
                ClvError::BadCell {
                    file: "t.parquet".into(),
                    row_group: 1,
                    row: 7,
                    column: "amount".into(),
                    value: "-3".into(),
                    reason: "negative amount (refund)".into(),
                },
                ErrorKind::BadInput,
            ),
            (ClvError::input("t.csv", "empty"), ErrorKind::BadInput),
            (ClvError::Csv(csv_error), ErrorKind::BadInput),
            (
                ClvError::InvalidParameter("r < 0".into()),
                ErrorKind::InvalidParameter,
            ),
            (ClvError::Fit("no data".into()), ErrorKind::Numerical),
            (
                ClvError::numerical("P(alive)", "bgnbd"),
                ErrorKind::Numerical,
            ),
            (
                ClvError::ModelFile {
                    path: "m.json".into(),
                    message: "no schema version".into(),
                },
                ErrorKind::IncompatibleModel,
            ),
            (ClvError::Io(std::io::Error::other("denied")), ErrorKind::Io),
            (ClvError::Json(json_syntax), ErrorKind::IncompatibleModel),
            (ClvError::Json(json_io), ErrorKind::Io),
        ];
        all
    }

    #[test]
    fn every_variant_maps_to_its_kind() {
        let all = one_of_each();
        for (e, kind) in &all {
            assert_eq!(e.kind(), *kind, "{e}");
        }
        let mut seen: Vec<usize> = all.iter().map(|(e, _)| variant(e)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..VARIANTS).collect::<Vec<_>>());
        for kind in ErrorKind::ALL {
            assert!(
                all.iter().any(|(_, k)| k == kind),
                "no error of kind {kind:?}"
            );
        }
    }

    #[test]
    fn kinds_names_are_distinct_snake_case() {
        let mut names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert!(
            names
                .iter()
                .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        assert_eq!(ErrorKind::BadInput.name(), "bad_input");
    }

    #[test]
    fn numerical_renders_what_and_whom() {
        assert_eq!(
            ClvError::numerical("the expected spend", "gamma-gamma").to_string(),
            "cannot compute the expected spend for gamma-gamma"
        );
    }
}
