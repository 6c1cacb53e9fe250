//! Newton steps on a finite-differenced analytic gradient, and the linear algebra they need:
//! they finish a fit, and their last Hessian is the observed information matrix.

/// A Hessian of the search objective and the point and gradient it was taken at.
pub(super) struct Curvature {
    hessian: Vec<Vec<f64>>,
    gradient: Vec<f64>,
    u: Vec<f64>,
}

impl Curvature {
    /// The observed information of the log-likelihood in natural parameters. The objective
    /// is f(u) = −LL(p)/scale with p = e^u for positive parameters, so
    /// ∂²f/∂u_i∂u_j = −(p_i p_j ∂²LL/∂p_i∂p_j + δ_ij p_i ∂LL/∂p_i)/scale.
    pub(super) fn information(&self, positive: &[bool], scale: f64) -> Vec<Vec<f64>> {
        let k = self.u.len();
        let d: Vec<f64> = (0..k)
            .map(|i| if positive[i] { self.u[i].exp() } else { 1.0 })
            .collect();
        let mut info = vec![vec![0.0; k]; k];
        for i in 0..k {
            for j in 0..k {
                let mut h = self.hessian[i][j];
                if i == j && positive[i] {
                    h -= self.gradient[i];
                }
                info[i][j] = scale * h / (d[i] * d[j]);
            }
        }
        info
    }
}

/// Newton steps in `u = ln p` on the finite-differenced analytic gradient, with step halving,
/// until the largest gradient component is below `tolerance`. Returns the point and the last
/// Hessian computed (at that point or one Newton step before it).
pub(super) fn newton_polish<F>(
    objective: &F,
    mut u: Vec<f64>,
    tolerance: f64,
) -> (Vec<f64>, Option<Curvature>)
where
    F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>,
{
    let Some((mut f, mut g)) = objective(&u) else {
        return (u, None);
    };
    let mut last = None;
    for _ in 0..30 {
        // Its gradient at `u` comes from the objective's memo.
        let Some(curvature) = curvature_at(objective, u.clone()) else {
            break;
        };
        let step = solve_spd(&curvature.hessian, &g);
        last = Some(curvature);
        let Some(step) = step.filter(|_| largest(&g) >= tolerance) else {
            break;
        };
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let cand: Vec<f64> = u.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            if let Some((fc, gc)) = objective(&cand)
                && fc <= f
            {
                improved = fc < f || largest(&gc) < largest(&g);
                u = cand;
                f = fc;
                g = gc;
                break;
            }
            t *= 0.5;
        }
        if !improved || largest(&g) < tolerance {
            break;
        }
    }
    (u, last)
}

/// The largest gradient component, in absolute value: what the Newton steps' tolerance reads.
fn largest(g: &[f64]) -> f64 {
    g.iter().map(|v| v.abs()).fold(0.0, f64::max)
}

/// Where [`refine`] ended: the point and the steps it took.
pub(super) struct Refined {
    pub u: Vec<f64>,
    pub iterations: u64,
}

/// Steps [`refine`] may take: at a Hessian error of 1e-3 three are enough.
const REFINE_STEPS: u64 = 8;

/// Newton steps on `objective` from `u0` with the fixed Hessian of `near`, taken on a nearby
/// problem (the coarse likelihood, at its maximum): each costs one evaluation and they
/// converge at the rate of that Hessian's relative error. `None` unless every step at least
/// halves the largest gradient component and it falls below `tolerance` within
/// [`REFINE_STEPS`] steps; the caller then searches the full problem instead.
pub(super) fn refine<F>(
    objective: &F,
    u0: &[f64],
    near: &Curvature,
    tolerance: f64,
) -> Option<Refined>
where
    F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>,
{
    let mut u = u0.to_vec();
    let (_, mut g) = objective(&u)?;
    for iterations in 0..=REFINE_STEPS {
        if largest(&g) < tolerance {
            return Some(Refined { u, iterations });
        }
        if iterations == REFINE_STEPS {
            break;
        }
        let step = solve_spd(&near.hessian, &g)?;
        let cand: Vec<f64> = u.iter().zip(&step).map(|(a, s)| a - s).collect();
        let (_, gc) = objective(&cand)?;
        if largest(&gc) > 0.5 * largest(&g) {
            return None;
        }
        u = cand;
        g = gc;
    }
    None
}

/// The Hessian of `objective` at `u`, differenced from its gradient, as a [`Curvature`].
pub(super) fn curvature_at<F>(objective: &F, u: Vec<f64>) -> Option<Curvature>
where
    F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>,
{
    let (_, gradient) = objective(&u)?;
    let hessian = hessian_fd(|x| objective(x).map(|(_, g)| g), &u, 1.0)?;
    Some(Curvature {
        hessian,
        gradient,
        u,
    })
}

/// Forward-difference Jacobian of an analytic gradient `g` (a Hessian), symmetrised. Steps
/// are 1e-6 of max(|x_j|, `floor`): the gradient at `x` itself is usually memoised, so this
/// costs one gradient per parameter.
pub(super) fn hessian_fd<G>(g: G, x: &[f64], floor: f64) -> Option<Vec<Vec<f64>>>
where
    G: Fn(&[f64]) -> Option<Vec<f64>>,
{
    let k = x.len();
    let g0 = g(x)?;
    let mut h = vec![vec![0.0; k]; k];
    for j in 0..k {
        let mut xp = x.to_vec();
        xp[j] += 1e-6 * x[j].abs().max(floor);
        // The step actually taken, after rounding.
        let step = xp[j] - x[j];
        let gp = g(&xp)?;
        for (row, (a, b)) in h.iter_mut().zip(gp.iter().zip(&g0)) {
            row[j] = (a - b) / step;
        }
    }
    // Symmetrise: the true Hessian is symmetric, the differences only nearly.
    #[allow(clippy::needless_range_loop)] // a triangle of a matrix reads clearest by index
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    if h.iter().flatten().all(|v| v.is_finite()) {
        Some(h)
    } else {
        None
    }
}

/// Solves `A x = b` for a symmetric positive-definite `A` by Cholesky; `None` if not SPD.
fn solve_spd(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let l = cholesky(a)?;
    let k = b.len();
    let mut y = vec![0.0; k];
    for i in 0..k {
        let s: f64 = (0..i).map(|j| l[i][j] * y[j]).sum();
        y[i] = (b[i] - s) / l[i][i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| l[j][i] * x[j]).sum();
        x[i] = (y[i] - s) / l[i][i];
    }
    Some(x)
}

fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i][m] * l[j][m]).sum();
            if i == j {
                let d = a[i][i] - s;
                if !(d > 0.0 && d.is_finite()) {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Inverse of an SPD matrix through its Cholesky factor.
pub fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut inv = vec![vec![0.0; k]; k];
    for j in 0..k {
        let mut e = vec![0.0; k];
        e[j] = 1.0;
        let col = solve_spd(a, &e)?;
        for i in 0..k {
            inv[i][j] = col[i];
        }
    }
    Some(inv)
}
