//! The core's error kinds as Python exceptions: one base class `clv.ClvError`, one subclass per
//! `clv::ErrorKind`, each carrying the core's one-line message.

use clv::ErrorKind;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    clv,
    ClvError,
    PyException,
    "Base class of every error the clv engine raises."
);
create_exception!(
    clv,
    BadInputError,
    ClvError,
    "The input data is unusable: the message names the table, row, column and value."
);
create_exception!(
    clv,
    InvalidParameterError,
    ClvError,
    "A parameter, setting or argument is outside its valid range."
);
create_exception!(
    clv,
    NumericalError,
    ClvError,
    "Valid inputs, but no estimate or value could be computed."
);
create_exception!(
    clv,
    IncompatibleModelError,
    ClvError,
    "A model, bundle or churn-model file this build cannot use."
);
create_exception!(
    clv,
    IoError,
    ClvError,
    "The operating system refused a read or a write."
);

/// The exception of the error's kind, with the core's message.
pub fn to_py(e: clv::ClvError) -> PyErr {
    let message = e.to_string();
    match e.kind() {
        ErrorKind::BadInput => BadInputError::new_err(message),
        ErrorKind::InvalidParameter => InvalidParameterError::new_err(message),
        ErrorKind::Numerical => NumericalError::new_err(message),
        ErrorKind::IncompatibleModel => IncompatibleModelError::new_err(message),
        ErrorKind::Io => IoError::new_err(message),
        // A kind added to the core later is still a ClvError.
        _ => ClvError::new_err(message),
    }
}

/// Results of the core as Python results.
pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for clv::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Adds the exception classes to the module, with a map from kind name to class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ClvError", py.get_type::<ClvError>())?;
    let classes = [
        (
            ErrorKind::BadInput,
            "BadInputError",
            py.get_type::<BadInputError>(),
        ),
        (
            ErrorKind::InvalidParameter,
            "InvalidParameterError",
            py.get_type::<InvalidParameterError>(),
        ),
        (
            ErrorKind::Numerical,
            "NumericalError",
            py.get_type::<NumericalError>(),
        ),
        (
            ErrorKind::IncompatibleModel,
            "IncompatibleModelError",
            py.get_type::<IncompatibleModelError>(),
        ),
        (ErrorKind::Io, "IoError", py.get_type::<IoError>()),
    ];
    let by_kind = pyo3::types::PyDict::new(py);
    for (kind, name, class) in classes {
        m.add(name, &class)?;
        by_kind.set_item(kind.name(), class)?;
    }
    m.add("ERROR_KINDS", by_kind)?;
    Ok(())
}
