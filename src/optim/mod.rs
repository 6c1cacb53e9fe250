//! Maximum-likelihood fitting, independent of any particular model.
//!
//! The optimiser sees only a [`Problem`]: a log-likelihood of a parameter vector returning a
//! value and its gradient, the parameters' names and which of them must stay positive, and
//! starting points; the glue from a model type to a `Problem` lives in `crate::models`.
//! Positive parameters p are mapped to `u = ln p` and, to keep a run-away parameter
//! (a maximum on the boundary, such as BG/NBD's `b` when no dropout is detectable) from
//! overflowing, `u` itself is squashed smoothly into `[-BOUND, BOUND]` with a scaled tanh.
//! L-BFGS (argmin) does the search from several starting points; Newton steps on the
//! finite-differenced analytic gradient polish the best one, and the same Hessian gives the
//! observed information matrix for the standard errors.

use std::cell::{Cell, RefCell};

use serde::{Deserialize, Serialize};

use crate::error::{ClvError, Result};

mod lbfgs;
mod newton;

use lbfgs::{Run, lbfgs, squash, squash_inverse};
pub use newton::invert_spd;
use newton::{Curvature, curvature_at, hessian_fd, newton_polish, refine};

/// L-BFGS iterations each starting point gets before the best one is run to convergence.
const SCOUT_ITERS: u64 = 3;
/// Largest |ln p| the search can reach: parameters stay within about [1e-11, 7e10].
const BOUND: f64 = 25.0;
/// |ln p| beyond which a parameter is reported as sitting on the boundary (p > 1.6e5 or
/// p < 6e-6): L-BFGS stops on such flat maxima once the gradient is negligible.
const BOUNDARY_WARN: f64 = 12.0;
/// Gradient norm (of the objective scaled by |LL|) at which L-BFGS hands over to Newton
/// steps: L-BFGS's line searches crawl on the last digits, where Newton converges
/// quadratically with the Hessian the standard errors need anyway.
const HANDOFF_GRAD: f64 = 1e-6;
/// Gradient norm below which a fit counts as converged.
const CONVERGED_GRAD: f64 = 1e-6;

/// Settings of a fit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitOptions {
    /// L2 penalty: the objective is `LL - penalty * sum(p^2)`.
    pub penalty: f64,
    /// Iteration cap for each L-BFGS run.
    pub max_iters: u64,
    /// Largest gradient component (of the objective scaled by |LL|, in ln-parameters) at
    /// which the Newton steps that finish a fit stop.
    pub grad_tolerance: f64,
    /// Extra starting points to try besides the model's own.
    pub extra_starts: Vec<Vec<f64>>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            penalty: 0.0,
            max_iters: 1000,
            grad_tolerance: 1e-10,
            extra_starts: Vec::new(),
        }
    }
}

impl FitOptions {
    pub fn validate(&self) -> Result<()> {
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(ClvError::InvalidParameter(format!(
                "penalty must be finite and >= 0, got {}",
                self.penalty
            )));
        }
        Ok(())
    }
}

/// What a fit found and how it got there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FitReport {
    pub model: String,
    pub param_names: Vec<String>,
    pub estimates: Vec<f64>,
    /// Standard errors from the observed information; `None` where it is not invertible.
    pub std_errors: Vec<Option<f64>>,
    /// 95% Wald intervals, estimate ± 1.96 standard errors (positive parameters clipped at 0).
    pub ci95: Vec<Option<(f64, f64)>>,
    /// Covariance of the estimates (natural parameters), when the information is invertible.
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Full log-likelihood at the estimates (without the penalty).
    pub log_likelihood: f64,
    /// Norm of the log-likelihood gradient with respect to ln p, per customer.
    pub gradient_norm: f64,
    pub iterations: u64,
    pub converged: bool,
    /// Parameters that ran to the edge of the search space.
    pub at_boundary: Vec<String>,
    pub warnings: Vec<String>,
    pub starts_tried: usize,
    pub penalty: f64,
}

/// Why a fit stopped, derived from [`FitReport::converged`] and [`FitReport::at_boundary`]
/// (model files store those two fields, not this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The gradient vanished at an interior maximum.
    Converged,
    /// Some parameters ran to the edge of the search space (or the data put the maximum on
    /// the boundary): the likelihood is flat there and those estimates are not identified.
    AtBoundary,
    /// The iteration cap was reached, or the search stalled, with a gradient still too large.
    NotConverged,
    /// The search never left its starting point (0 iterations): a flat likelihood, e.g. data
    /// without information such as every T = 0.
    AtStart,
}

impl FitReport {
    /// Why the fit stopped.
    pub fn termination(&self) -> Termination {
        if !self.at_boundary.is_empty() {
            Termination::AtBoundary
        } else if self.converged {
            Termination::Converged
        } else if self.iterations == 0 {
            Termination::AtStart
        } else {
            Termination::NotConverged
        }
    }
}

/// Log-likelihood and its gradient at natural parameters; `None` where undefined.
pub type LogLikelihoodFn<'a> = dyn Fn(&[f64]) -> Option<(f64, Vec<f64>)> + Sync + 'a;

/// A value and gradient, or `None` where the objective is undefined.
type Evaluation = Option<(f64, Vec<f64>)>;

/// A likelihood to maximise, described without reference to any model type.
pub struct Problem<'a> {
    /// Name used in messages and reports.
    pub model: String,
    pub names: Vec<String>,
    /// Which parameters must stay > 0 (searched on the log scale); the others are free.
    pub positive: Vec<bool>,
    /// Starting points in natural parameters.
    pub starts: Vec<Vec<f64>>,
    /// Log-likelihood and its gradient in natural parameters; `None` where undefined.
    pub log_likelihood: &'a LogLikelihoodFn<'a>,
    /// A cheap approximation of `log_likelihood` with nearly the same maximum (the model on
    /// data rounded to a grid), when there is one: the search runs on it, and Newton steps
    /// with its Hessian then finish on the full likelihood in a few evaluations.
    pub coarse: Option<&'a LogLikelihoodFn<'a>>,
    /// Whether a search on the boundary stops once it gains nothing (see `lbfgs.rs`): for
    /// models whose every evaluation is costly (quadratures), where crawling along a flat
    /// ridge costs seconds. The others run on, as they always have.
    pub stop_on_flat_boundary: bool,
}

impl Problem<'_> {
    fn to_natural(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(&self.positive)
            .map(|(v, &pos)| if pos { v.exp() } else { *v })
            .collect()
    }
}

/// Multi-start L-BFGS, Newton polish and standard errors for any [`Problem`].
pub fn maximise(problem: &Problem, options: &FitOptions) -> Result<FitReport> {
    options.validate()?;
    let k = problem.names.len();
    let name = &problem.model;
    if problem.positive.len() != k {
        return Err(ClvError::Fit(format!(
            "{name}: parameter description mismatch"
        )));
    }
    // Every evaluation goes through one memo: the optimiser's last point, the final
    // log-likelihood and the information matrix's base gradient are the same point.
    let memo = Memo::new(problem.log_likelihood);
    let coarse_memo = problem.coarse.map(Memo::new);
    // The objective is divided by |LL| at the first point evaluated, so that tolerances mean
    // the same on any data size (the coarse likelihood is close enough to share it).
    let scale: Cell<Option<f64>> = Cell::new(None);
    let objective = |u: &[f64]| scaled_objective(problem, &memo, &scale, options.penalty, u);
    let coarse_objective = coarse_memo
        .as_ref()
        .map(|m| |u: &[f64]| scaled_objective(problem, m, &scale, options.penalty, u));
    let penalty = options.penalty;

    let stall = problem.stop_on_flat_boundary.then_some(&scale);
    let mut starts = problem.starts.clone();
    starts.extend(options.extra_starts.iter().cloned());
    let searched = match &coarse_objective {
        Some(coarse) => search(coarse, problem, &starts, options, stall),
        None => search(&objective, problem, &starts, options, stall),
    };
    let (mut best, tried) = searched;
    let interior = |u: &[f64]| !u.iter().any(|v| v.abs() > BOUNDARY_WARN);
    // The coarse search's maximum is polished on the coarse likelihood, whose Hessian then
    // steers fixed-Hessian Newton steps on the full one: a few full evaluations instead of
    // a whole search's. Where that does not converge (or the maximum is on the boundary),
    // the full search resumes from the coarse point, so the answer is the full likelihood's.
    let mut refined: Option<(Vec<f64>, Option<Curvature>)> = None;
    if let (Some(coarse), Some(run)) = (&coarse_objective, best.as_mut()) {
        let u: Vec<f64> = run.v.iter().map(|x| squash(*x)).collect();
        let mut from = u.clone();
        if interior(&u) {
            let (polished, last) = newton_polish(coarse, u, options.grad_tolerance);
            from = polished;
            if let Some(last) = last
                && let Some(steps) = refine(&objective, &from, &last, options.grad_tolerance)
            {
                run.iterations += steps.iterations;
                refined = Some((steps.u.clone(), curvature_at(&objective, steps.u)));
            }
        }
        if refined.is_none() {
            let rest = options.max_iters.saturating_sub(run.iterations).max(1);
            if let Some(more) = lbfgs(&objective, squash_inverse(&from), rest, options, stall) {
                *run = Run {
                    iterations: run.iterations + more.iterations,
                    ..more
                };
            }
        }
    }
    let best = best.ok_or_else(|| {
        ClvError::Fit(format!(
            "{name}: the log-likelihood is not finite at any starting point"
        ))
    })?;
    let iterations = best.iterations;
    let start: Vec<f64> = best.v.iter().map(|x| squash(*x)).collect();
    let (u, curvature) = match refined {
        Some(done) => done,
        // Newton steps finish what L-BFGS handed over; the last Hessian they computed is
        // also the information matrix. A maximum on the boundary is flat in some direction,
        // so there the Hessian is not factorised and the information is differenced
        // separately.
        None if interior(&start) => {
            newton_polish(&objective, start.clone(), options.grad_tolerance)
        }
        None => (start.clone(), None),
    };
    let p = problem.to_natural(&u);
    let (ll, _) = memo
        .eval(&p)
        .ok_or_else(|| ClvError::Fit(format!("{name}: log-likelihood undefined at the optimum")))?;
    let gradient_norm = objective(&u)
        .map(|(_, g)| g.iter().map(|v| v * v).sum::<f64>().sqrt())
        .unwrap_or(f64::INFINITY);

    let mut warnings = Vec::new();
    let boundary: Vec<usize> = (0..k).filter(|&i| u[i].abs() > BOUNDARY_WARN).collect();
    let at_boundary: Vec<String> = boundary.iter().map(|&i| problem.names[i].clone()).collect();
    if !boundary.is_empty() {
        warnings.push(format!(
            "the maximum lies on the boundary: {} ran off; the likelihood is flat there, \
             predictions remain usable but these estimates are not identified",
            boundary
                .iter()
                .map(|&i| format!("{}={:.3e}", problem.names[i], p[i]))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // A search that never left its starting point found nothing: the likelihood is flat
    // there (e.g. every T = 0), whatever the gradient norm says.
    let at_start = iterations == 0 && u == start;
    if at_start {
        warnings.push(format!(
            "the fit stopped at its starting point (0 iterations, gradient already below \
             tolerance): the likelihood is flat there or the start is the maximum; the data may \
             not determine these estimates ({})",
            problem
                .names
                .iter()
                .zip(&p)
                .map(|(n, v)| format!("{n}={v:.4e}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let converged = gradient_norm < CONVERGED_GRAD && at_boundary.is_empty() && !at_start;
    if !converged && at_boundary.is_empty() && !at_start {
        warnings.push(format!(
            "the optimiser did not converge (gradient norm {gradient_norm:.2e}); estimates may be imprecise"
        ));
    }

    let information = match curvature {
        Some(c) => Some(c.information(&problem.positive, scale.get().unwrap_or(1.0))),
        None => {
            let neg_grad = |q: &[f64]| -> Option<Vec<f64>> {
                let (_, g) = memo.eval(q)?;
                Some(
                    g.iter()
                        .zip(q)
                        .map(|(gi, qi)| -(gi - 2.0 * penalty * qi))
                        .collect(),
                )
            };
            hessian_fd(neg_grad, &p, 1e-2)
        }
    };
    let covariance = information.and_then(|info| invert_spd(&info));
    if covariance.is_none() {
        warnings.push(
            "the observed information matrix is not invertible: no standard errors".to_string(),
        );
    }
    let std_errors: Vec<Option<f64>> = (0..k)
        .map(|i| {
            covariance
                .as_ref()
                .map(|c| c[i][i])
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(f64::sqrt)
        })
        .collect();
    let ci95 = (0..k)
        .map(|i| {
            std_errors[i].map(|se| {
                let lo = p[i] - 1.96 * se;
                (
                    if problem.positive[i] { lo.max(0.0) } else { lo },
                    p[i] + 1.96 * se,
                )
            })
        })
        .collect();
    Ok(FitReport {
        model: name.clone(),
        param_names: problem.names.clone(),
        estimates: p,
        std_errors,
        ci95,
        covariance,
        log_likelihood: ll,
        gradient_norm,
        iterations,
        converged,
        at_boundary,
        warnings,
        starts_tried: tried,
        penalty,
    })
}

/// The penalised negative log-likelihood and its gradient in u (ln p for positive
/// parameters), divided by `scale` (set by the first evaluation of any objective).
fn scaled_objective(
    problem: &Problem,
    memo: &Memo,
    scale: &Cell<Option<f64>>,
    penalty: f64,
    u: &[f64],
) -> Evaluation {
    let k = problem.names.len();
    let p = problem.to_natural(u);
    let (ll, g) = memo.eval(&p)?;
    let ll = ll - penalty * p.iter().map(|v| v * v).sum::<f64>();
    if !ll.is_finite() || g.len() != k || g.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let scale = scale.get().unwrap_or_else(|| {
        scale.set(Some(ll.abs().max(1.0)));
        ll.abs().max(1.0)
    });
    let gu: Vec<f64> = (0..k)
        .map(|i| {
            let dp = g[i] - 2.0 * penalty * p[i];
            -(if problem.positive[i] { dp * p[i] } else { dp }) / scale
        })
        .collect();
    Some((-ll / scale, gu))
}

/// Every valid start gets a short scouting run; only the best is run to convergence, so that
/// several starts cost little more than one. Returns the best run and the starts tried.
fn search<F>(
    objective: &F,
    problem: &Problem,
    starts: &[Vec<f64>],
    options: &FitOptions,
    stall: Option<&Cell<Option<f64>>>,
) -> (Option<Run>, usize)
where
    F: Fn(&[f64]) -> Evaluation,
{
    let k = problem.names.len();
    let mut best: Option<Run> = None;
    let mut tried = 0;
    for start in starts {
        let valid = start.len() == k
            && start
                .iter()
                .zip(&problem.positive)
                .all(|(v, &pos)| v.is_finite() && (!pos || *v > 0.0));
        if !valid {
            continue;
        }
        tried += 1;
        let u0: Vec<f64> = start
            .iter()
            .zip(&problem.positive)
            .map(|(v, &pos)| if pos { v.ln() } else { *v }.clamp(-BOUND + 1.0, BOUND - 1.0))
            .collect();
        let scout_iters = SCOUT_ITERS.min(options.max_iters);
        if let Some(run) = lbfgs(objective, squash_inverse(&u0), scout_iters, options, stall)
            && best.as_ref().is_none_or(|b| run.cost < b.cost)
        {
            best = Some(run);
        }
    }
    if let Some(run) = best.clone().filter(|b| !b.converged && !b.stalled) {
        let rest = options.max_iters.saturating_sub(run.iterations).max(1);
        // Resumed from the exact search point, so its evaluation comes from the memo.
        if let Some(more) = lbfgs(objective, run.v.clone(), rest, options, stall)
            && more.cost <= run.cost
        {
            best = Some(Run {
                iterations: run.iterations + more.iterations,
                ..more
            });
        }
    }
    (best, tried)
}

/// The last few evaluations of a log-likelihood, keyed by the exact parameter values.
struct Memo<'a> {
    log_likelihood: &'a LogLikelihoodFn<'a>,
    recent: RefCell<Vec<(Vec<f64>, Evaluation)>>,
}

impl<'a> Memo<'a> {
    const KEEP: usize = 4;

    fn new(log_likelihood: &'a LogLikelihoodFn<'a>) -> Self {
        Memo {
            log_likelihood,
            recent: RefCell::new(Vec::new()),
        }
    }

    fn eval(&self, p: &[f64]) -> Evaluation {
        let same = |q: &[f64]| q.iter().zip(p).all(|(a, b)| a.to_bits() == b.to_bits());
        if let Some((_, val)) = self.recent.borrow().iter().find(|(q, _)| same(q)) {
            return val.clone();
        }
        let val = (self.log_likelihood)(p);
        let mut recent = self.recent.borrow_mut();
        if recent.len() == Self::KEEP {
            recent.remove(0);
        }
        recent.push((p.to_vec(), val.clone()));
        val
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent normal means with known unit variance, the means positive: the MLE and
    /// the covariance are known exactly.
    fn fit_means(data: &[Vec<f64>]) -> FitReport {
        let log_likelihood = |m: &[f64]| -> Option<(f64, Vec<f64>)> {
            let ll = data
                .iter()
                .zip(m)
                .map(|(xs, m)| xs.iter().map(|x| -0.5 * (x - m).powi(2)).sum::<f64>())
                .sum();
            let g = data
                .iter()
                .zip(m)
                .map(|(xs, m)| xs.iter().map(|x| x - m).sum())
                .collect();
            Some((ll, g))
        };
        let problem = Problem {
            model: "toy".into(),
            names: vec!["m1".into(), "m2".into()],
            positive: vec![true, true],
            starts: vec![vec![1.0, 1.0], vec![10.0, 0.1]],
            log_likelihood: &log_likelihood,
            stop_on_flat_boundary: false,
            coarse: None,
        };
        maximise(&problem, &FitOptions::default()).unwrap()
    }

    #[test]
    fn recovers_means_and_standard_errors() {
        let report = fit_means(&[vec![2.0, 3.0, 4.0, 3.0], vec![0.5, 1.5]]);
        assert!((report.estimates[0] - 3.0).abs() < 1e-7);
        assert!((report.estimates[1] - 1.0).abs() < 1e-7);
        // Var of a mean of n unit-variance draws is 1/n.
        assert!((report.std_errors[0].unwrap() - 0.5).abs() < 1e-5);
        assert!((report.std_errors[1].unwrap() - 0.5f64.sqrt()).abs() < 1e-5);
        assert_eq!(report.termination(), Termination::Converged);
        assert!(report.converged && report.at_boundary.is_empty());
    }

    #[test]
    fn a_fit_that_never_leaves_its_start_does_not_claim_convergence() {
        // A flat likelihood (data without information): the gradient vanishes everywhere.
        let flat = |_: &[f64]| Some((-3.0, vec![0.0, 0.0]));
        let problem = Problem {
            model: "flat".into(),
            names: vec!["m1".into(), "m2".into()],
            positive: vec![true, true],
            starts: vec![vec![1.0, 2.0]],
            log_likelihood: &flat,
            stop_on_flat_boundary: false,
            coarse: None,
        };
        let report = maximise(&problem, &FitOptions::default()).unwrap();
        assert_eq!(report.iterations, 0);
        assert!(!report.converged);
        assert_eq!(report.termination(), Termination::AtStart);
        assert!(
            report.warnings.iter().any(|w| w.contains("starting point")),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn a_search_that_gains_nothing_on_the_boundary_stops_when_asked() {
        // LL = −1/√p rises towards 0 as p → ∞ with ever smaller gains: a flat ridge, whose
        // gradient in ln p (√p/2 / p) stays above the tolerance until the search bound.
        let fit = |stop: bool| {
            let evaluations = std::sync::atomic::AtomicUsize::new(0);
            let ridge = |p: &[f64]| {
                evaluations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Some((-p[0].powf(-0.5), vec![0.5 * p[0].powf(-1.5)]))
            };
            let problem = Problem {
                model: "ridge".into(),
                names: vec!["p".into()],
                positive: vec![true],
                starts: vec![vec![1.0]],
                log_likelihood: &ridge,
                stop_on_flat_boundary: stop,
                coarse: None,
            };
            let report = maximise(&problem, &FitOptions::default()).unwrap();
            (report, evaluations.into_inner())
        };
        let (on, n_on) = fit(true);
        let (off, n_off) = fit(false);
        assert_eq!(on.at_boundary, vec!["p".to_string()]);
        assert_eq!(off.at_boundary, vec!["p".to_string()]);
        // Stopped past the boundary mark, having gained < 0.01 over its last evaluations.
        assert!(on.estimates[0] > BOUNDARY_WARN.exp(), "{:?}", on.estimates);
        assert!(
            n_on < n_off,
            "{n_on} evaluations with the stop, {n_off} without"
        );
    }

    #[test]
    fn maximum_on_the_boundary_is_reported_not_an_error() {
        // The mean of the second group is negative: the positive-parameter MLE is at 0.
        let report = fit_means(&[vec![2.0, 3.0], vec![-1.0, -2.0]]);
        assert_eq!(report.at_boundary, vec!["m2".to_string()]);
        assert_eq!(report.termination(), Termination::AtBoundary);
        assert!(!report.warnings.is_empty());
        assert!(report.estimates.iter().all(|v| v.is_finite()));
    }
}
