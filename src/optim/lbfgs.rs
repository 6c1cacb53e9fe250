//! One L-BFGS run (argmin) in a bounded search space: the objective is composed with a smooth
//! squashing map so that a parameter running off to a boundary stays finite.

use std::cell::{Cell, RefCell};

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use super::{BOUND, BOUNDARY_WARN, Evaluation, FitOptions, HANDOFF_GRAD};

/// Evaluations over which a search on the boundary must gain [`STALL_GAIN`] to go on.
const STALL_EVALS: usize = 10;
/// Log-likelihood units: a gain below this is statistically nothing (likelihood-ratio
/// statistics are read in units of ~1). On a flat boundary ridge (homogeneous customers:
/// r, α → ∞ and, for GGom/NBD, b → 0 with s, β → ∞) L-BFGS otherwise crawls on for a
/// hundred evaluations, each of them a full pass over the data.
const STALL_GAIN: f64 = 0.01;

/// Smooth map from the search variable to `u = ln p`, bounded in `[-BOUND, BOUND]`.
pub(super) fn squash(v: f64) -> f64 {
    BOUND * (v / BOUND).tanh()
}

pub(super) fn squash_inverse(u: &[f64]) -> Vec<f64> {
    // Clamped so that a point on the very edge maps back to a finite search variable.
    u.iter()
        .map(|v| BOUND * (v / BOUND).clamp(-1.0 + 1e-12, 1.0 - 1e-12).atanh())
        .collect()
}

/// The problem argmin sees: the objective composed with the squashing map. The last
/// evaluation is cached because the line search asks for cost and gradient at the same point.
struct SearchProblem<'a, F> {
    objective: &'a F,
    cache: RefCell<Option<(Vec<f64>, Evaluation)>>,
    /// |LL| per unit of the objective (the objective is −LL/scale), set by its first
    /// evaluation; `None` when the search never stops for a stall.
    scale: Option<&'a Cell<Option<f64>>>,
    /// Best objective after each evaluation, and the best point.
    trail: &'a RefCell<Trail>,
}

impl<F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>> SearchProblem<'_, F> {
    fn eval(&self, v: &[f64]) -> Option<(f64, Vec<f64>)> {
        if let Some((at, val)) = self.cache.borrow().as_ref()
            && at.as_slice() == v
        {
            return val.clone();
        }
        let u: Vec<f64> = v.iter().map(|x| squash(*x)).collect();
        let val = (self.objective)(&u).map(|(f, g)| {
            let gv = g
                .iter()
                .zip(v)
                .map(|(gi, x)| {
                    let t = (x / BOUND).tanh();
                    gi * (1.0 - t * t)
                })
                .collect();
            (f, gv)
        });
        *self.cache.borrow_mut() = Some((v.to_vec(), val.clone()));
        let mut trail = self.trail.borrow_mut();
        let (history, best) = &mut *trail;
        if let Some((f, _)) = &val
            && best.as_ref().is_none_or(|b| *f < b.1)
        {
            *best = Some((v.to_vec(), *f));
        }
        if let Some((_, f)) = best {
            history.push(*f);
        }
        val
    }

    /// Whether the search has stalled on the boundary: its best point has some |ln p| beyond
    /// the boundary mark and the best value gained less than [`STALL_GAIN`] over the last
    /// [`STALL_EVALS`] evaluations.
    fn stalled(&self) -> bool {
        let trail = self.trail.borrow();
        let (history, best) = &*trail;
        let (Some(scale), Some((v, _))) = (self.scale, best) else {
            return false;
        };
        let n = history.len();
        n > STALL_EVALS
            && v.iter().any(|x| squash(*x).abs() > BOUNDARY_WARN)
            && (history[n - 1 - STALL_EVALS] - history[n - 1]) * scale.get().unwrap_or(1.0)
                < STALL_GAIN
    }
}

impl<F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>> CostFunction for SearchProblem<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, v: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        // A huge finite value lets the line search back off from a non-finite region.
        let f = self.eval(v).map_or(f64::MAX / 4.0, |(f, _)| f);
        if self.stalled() {
            return Err(argmin::core::Error::msg(STALLED));
        }
        Ok(f)
    }
}

impl<F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>> Gradient for SearchProblem<'_, F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, v: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        let g = self.eval(v).map(|(_, g)| g);
        if self.stalled() {
            return Err(argmin::core::Error::msg(STALLED));
        }
        g.ok_or_else(|| argmin::core::Error::msg("non-finite log-likelihood"))
    }
}

/// The best objective after each evaluation of a run, and its best point and value.
type Trail = (Vec<f64>, Option<(Vec<f64>, f64)>);

/// The error with which a stalled search leaves argmin.
const STALLED: &str = "stalled on the boundary";

/// Where one L-BFGS run ended.
#[derive(Clone)]
pub(super) struct Run {
    /// The point, in the search space (before squashing).
    pub v: Vec<f64>,
    pub cost: f64,
    pub iterations: u64,
    pub converged: bool,
    /// Stopped on a flat boundary ridge: not to be resumed.
    pub stalled: bool,
}

/// One L-BFGS run from `v0` (search space); `scale` is |LL| per unit of the objective,
/// given when a stall on the boundary should end the run.
pub(super) fn lbfgs<F>(
    objective: &F,
    v0: Vec<f64>,
    max_iters: u64,
    options: &FitOptions,
    scale: Option<&Cell<Option<f64>>>,
) -> Option<Run>
where
    F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>,
{
    let trail = RefCell::new((Vec::new(), None));
    let problem = SearchProblem {
        objective,
        cache: RefCell::new(None),
        scale,
        trail: &trail,
    };
    problem.eval(&v0)?;
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(options.grad_tolerance.max(HANDOFF_GRAD))
        .ok()?
        .with_tolerance_cost(1e-15)
        .ok()?;
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(v0.clone()).max_iters(max_iters))
        .run();
    let run = match result {
        Ok(res) => {
            let state = res.state();
            Run {
                v: state.get_best_param()?.clone(),
                cost: state.get_best_cost(),
                iterations: state.get_iter(),
                converged: matches!(
                    state.get_termination_status(),
                    TerminationStatus::Terminated(TerminationReason::SolverConverged)
                ),
                stalled: false,
            }
        }
        // Stopped on a flat boundary ridge: the best point seen is the result (the
        // evaluations stand in for the iterations argmin did not get to report).
        Err(e) if e.to_string().contains(STALLED) => {
            let (history, best) = trail.into_inner();
            let (v, cost) = best?;
            Run {
                v,
                cost,
                iterations: history.len() as u64,
                converged: false,
                stalled: true,
            }
        }
        // A line search that fails from this start leaves it to the other starts.
        Err(_) => {
            let cost = objective(&v0.iter().map(|x| squash(*x)).collect::<Vec<_>>())?.0;
            Run {
                v: v0,
                cost,
                iterations: 0,
                converged: false,
                stalled: false,
            }
        }
    };
    run.cost.is_finite().then_some(run)
}
