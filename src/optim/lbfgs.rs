//! One L-BFGS run (argmin) in a bounded search space: the objective is composed with a smooth
//! squashing map so that a parameter running off to a boundary stays finite.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use super::{BOUND, Evaluation, FitOptions, HANDOFF_GRAD};

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
        val
    }
}

impl<F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>> CostFunction for SearchProblem<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, v: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        // A huge finite value lets the line search back off from a non-finite region.
        Ok(self.eval(v).map_or(f64::MAX / 4.0, |(f, _)| f))
    }
}

impl<F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>> Gradient for SearchProblem<'_, F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, v: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        self.eval(v)
            .map(|(_, g)| g)
            .ok_or_else(|| argmin::core::Error::msg("non-finite log-likelihood"))
    }
}

/// Where one L-BFGS run ended.
#[derive(Clone)]
pub(super) struct Run {
    /// The point, in the search space (before squashing).
    pub v: Vec<f64>,
    pub cost: f64,
    pub iterations: u64,
    pub converged: bool,
}

/// One L-BFGS run from `v0` (search space).
pub(super) fn lbfgs<F>(
    objective: &F,
    v0: Vec<f64>,
    max_iters: u64,
    options: &FitOptions,
) -> Option<Run>
where
    F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>,
{
    let problem = SearchProblem {
        objective,
        cache: RefCell::new(None),
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
            }
        }
    };
    run.cost.is_finite().then_some(run)
}
