//! The shared numerics, used by the models and by nothing model-specific: special functions
//! ([`special`]: 2F1, U(a, a, z), Gauss-Legendre nodes), accurate log-gamma differences
//! ([`gamma`]: ln B, ψ differences), sums in log space ([`log_space`]), discounted series
//! (`series`) and Gauss-Legendre quadrature. It depends on nothing in the crate but
//! [`crate::error`].

pub mod gamma;
pub mod log_space;
pub(crate) mod quadrature;
pub(crate) mod series;
pub mod special;
