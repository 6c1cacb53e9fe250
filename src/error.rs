//! The library's error type: one enum, one line of text per error, no panics for bad input.

use thiserror::Error;

/// Everything that can go wrong in the library. Each variant renders as one readable line
/// naming what was wrong and where.
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
    /// A whole input is unusable (empty, missing column, not UTF-8 ...).
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    /// A parameter or setting outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// A model could not be fitted at all (no usable data, no finite starting point).
    #[error("fit failed: {0}")]
    Fit(String),
    /// A saved model file that cannot be used.
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, ClvError>;

impl ClvError {
    /// Shorthand for an input-level error.
    pub fn input(file: impl Into<String>, message: impl Into<String>) -> Self {
        ClvError::Input {
            file: file.into(),
            message: message.into(),
        }
    }
}
