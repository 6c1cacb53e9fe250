//! The shared numerics, used by the models and by nothing model-specific: special functions
//! ([`special`]: 2F1, U(a, a, z), Gauss-Legendre nodes), accurate log-gamma differences
//! ([`gamma`]: ln B, ψ differences), sums in log space ([`log_space`]), discounted series
//! (`series`), Gauss-Legendre quadrature and panel quadrature laid out from an integrand's
//! peaks ([`panels`]). It depends on nothing in the crate but
//! [`crate::error`].

pub mod beta_mean;
pub mod gamma;
pub mod log_space;
pub mod panels;
pub(crate) mod quadrature;
pub(crate) mod series;
pub mod special;
