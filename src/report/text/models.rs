//! Fitted models as text: parameter tables, one-line summaries, training's candidates, the
//! classifier's strongest coefficients.

use super::table;
use crate::models::saved::SavedModel;
use crate::optim::Termination;
use crate::predict::bundle::Selection;

/// The log-likelihood of data at given parameters (`clv fit --at-params`), as printed: the
/// parameters by name, then the value, as the fit's last line shows it.
pub fn describe_log_likelihood(
    model: &str,
    names: &[&str],
    params: &[f64],
    customers: f64,
    log_likelihood: f64,
) -> String {
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(params)
        .map(|(n, v)| vec![n.to_string(), v.to_string()])
        .collect();
    format!(
        "{model} at given parameters on {customers} customers (not fitted)\n\n{}\nlog-likelihood {log_likelihood:.2} ({log_likelihood})",
        table(&["parameter", "value"], &rows)
    )
}

/// The parameter table and diagnostics, as printed.
pub fn describe_fit(saved: &SavedModel) -> String {
    let r = &saved.fit;
    // Four decimals, or three significant digits for values too small to show in them
    // (GGom/NBD's b and beta at the Pareto/NBD boundary).
    let num = |v: f64| {
        if v != 0.0 && v.abs() < 1e-3 {
            format!("{v:.3e}")
        } else {
            format!("{v:.4}")
        }
    };
    let rows: Vec<Vec<String>> = (0..r.param_names.len())
        .map(|i| {
            vec![
                r.param_names[i].clone(),
                num(r.estimates[i]),
                r.std_errors[i].map(num).unwrap_or_else(|| "n/a".into()),
                r.ci95[i]
                    .map(|(lo, hi)| format!("[{}, {}]", num(lo), num(hi)))
                    .unwrap_or_else(|| "n/a".into()),
            ]
        })
        .collect();
    let mut out = format!(
        "{} fitted on {} customers ({} distinct patterns), time unit: {}\n\n",
        saved.model, saved.n, saved.patterns, saved.time_unit
    );
    out.push_str(&table(
        &["parameter", "estimate", "std. error", "95% interval"],
        &rows,
    ));
    out.push_str(&format!(
        "\nlog-likelihood {:.2}; converged: {}; gradient norm {:.1e}; {} iterations; {} starts; {:.3} s",
        r.log_likelihood,
        match r.termination() {
            Termination::Converged => "yes",
            Termination::AtStart => "no (stopped at the starting point)",
            Termination::AtBoundary => "no (maximum on the boundary)",
            Termination::NotConverged => "no",
        },
        r.gradient_norm,
        r.iterations,
        r.starts_tried,
        saved.fit_seconds
    ));
    if !r.at_boundary.is_empty() {
        out.push_str(&format!("\nat the boundary: {}", r.at_boundary.join(", ")));
    }
    out
}

/// The parameters of a fitted model on one line.
pub fn describe_params(saved: &SavedModel) -> String {
    let params: Vec<String> = saved
        .fit
        .param_names
        .iter()
        .zip(&saved.fit.estimates)
        .map(|(n, v)| format!("{n}={v:.4}"))
        .collect();
    format!(
        "{} on {} customers: {} (log-likelihood {:.2})",
        saved.model,
        saved.n,
        params.join(", "),
        saved.log_likelihood
    )
}

/// The strongest `k` coefficients, by absolute size, as table rows.
pub fn coefficient_rows(names: &[String], coefficients: &[f64], k: usize) -> Vec<Vec<String>> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| {
        coefficients[b]
            .abs()
            .total_cmp(&coefficients[a].abs())
            .then_with(|| names[a].cmp(&names[b]))
    });
    order
        .into_iter()
        .take(k)
        .map(|j| {
            let effect = if coefficients[j] > 0.0 {
                "raises churn"
            } else {
                "lowers churn"
            };
            vec![
                names[j].clone(),
                format!("{:+.4}", coefficients[j]),
                effect.to_string(),
            ]
        })
        .collect()
}

/// The transaction models tried in training, with their fit and holdout errors.
pub fn candidates_table(s: &Selection) -> String {
    let rows: Vec<Vec<String>> = s
        .candidates
        .iter()
        .map(|c| {
            vec![
                c.model.clone(),
                format!("{:.2}", c.log_likelihood),
                c.holdout_mse.map_or("-".into(), |v| format!("{v:.4}")),
                c.holdout_mse_difference_se
                    .map_or("-".into(), |v| format!("{v:.4}")),
                c.holdout_mae.map_or("-".into(), |v| format!("{v:.4}")),
                c.holdout_aggregate_error_pct
                    .map_or("-".into(), |v| format!("{v:+.1}%")),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "model",
            "log-likelihood",
            "holdout MSE",
            "s.e. vs lowest",
            "holdout MAE",
            "aggregate error",
        ],
        &rows,
    );
    for n in &s.not_scored {
        out.push_str(&format!("\nnot a candidate: {} {}", n.model, n.reason));
    }
    out
}
