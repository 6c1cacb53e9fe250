//! `clv simulate`: synthetic transaction CSVs (and exact summaries) from known parameters.

use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::ValueEnum;

use crate::common::{Ui, model_kind_parser, output};
use clv::io::{write_orders_csv, write_patterns_csv, write_simulated_summary_csv};
use clv::models::{AnyModel, Family, ModelKind};
use clv::simulate::{
    CovariateEffects, SimulationSpec, SpendProcess, orders, simulate, simulate_bgbb,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SimUnit {
    Day,
    Week,
    Month,
}

impl SimUnit {
    fn days(self) -> f64 {
        match self {
            SimUnit::Day => 1.0,
            SimUnit::Week => 7.0,
            SimUnit::Month => 365.25 / 12.0,
        }
    }
}

/// Draw synthetic order histories from a BG/NBD, MBG/NBD or Pareto/NBD purchase process with
/// Gamma-Gamma order values.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  clv simulate --model bgnbd --params 0.24,4.41,0.79,2.43 --customers 5000 \
--seed 42 --output data/demo_transactions.csv"
)]
pub struct Args {
    /// Purchase process.
    #[arg(long, default_value = "bgnbd", value_parser = model_kind_parser(&[Family::Transaction, Family::Discrete]))]
    model: ModelKind,
    /// The model's parameters per time unit, in the order of `clv fit`'s table: r,alpha,a,b
    /// (bgnbd, mbgnbd), r,alpha,s,beta (pnbd), r,alpha,b,s,beta (ggomnbd), alpha,beta,gamma,
    /// delta (bgbb: --customers histories of --horizon whole opportunities, written as a
    /// frequency,recency,periods,weights pattern file).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.2426,4.4136,0.7929,2.4259"
    )]
    params: Vec<f64>,
    /// Gamma-Gamma order-value parameters p,q,gamma.
    #[arg(long, value_delimiter = ',', default_value = "6.25,3.74,15.44")]
    spend: Vec<f64>,
    /// Number of customers.
    #[arg(long, default_value_t = 1000)]
    customers: usize,
    /// Time unit of the parameters and of --acquisition / --horizon.
    #[arg(long, value_enum, default_value = "week")]
    unit: SimUnit,
    /// First day of the acquisition window.
    #[arg(long, default_value = "2024-01-01")]
    start: NaiveDate,
    /// Length of the acquisition window (first purchases are uniform within it), in units.
    #[arg(long, default_value_t = 12.0)]
    acquisition: f64,
    /// Length of the simulated history from --start, in units.
    #[arg(long, default_value_t = 78.0)]
    horizon: f64,
    /// Covariate effects "p1,p2,d1,d2": purchase-rate and dropout effects of `channel`
    /// (0 organic / 1 paid) and `score` (standard normal). Adds the two columns.
    #[arg(long, value_delimiter = ',')]
    covariate_effects: Option<Vec<f64>>,
    /// Random seed: the same seed gives the same file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Shuffle the rows (as a real export might be ordered), instead of by customer and date.
    #[arg(long)]
    shuffle: bool,
    /// Transactions CSV to write (stdout if absent).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also write the exact continuous-time summary (x, t_x, T, mean spend) at this time
    /// (units from --start) to --summary-output.
    #[arg(long, requires = "summary_output")]
    summary_at: Option<f64>,
    #[arg(long)]
    summary_output: Option<PathBuf>,
}

fn four(v: &[f64], what: &str) -> anyhow::Result<[f64; 4]> {
    v.try_into()
        .map_err(|_| anyhow::anyhow!("{what} needs 4 comma-separated numbers, got {}", v.len()))
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    crate::common::distinct_paths(&[
        ("--output", args.output.as_deref()),
        ("--summary-output", args.summary_output.as_deref()),
    ])?;
    let process = AnyModel::from_params(args.model, &args.params).with_context(|| {
        format!(
            "--params: {} takes {}",
            args.model,
            args.model.param_names().join(",")
        )
    })?;
    if let AnyModel::BgBb(m) = &process {
        let periods = args.horizon;
        if !(periods >= 1.0 && periods.fract() == 0.0 && periods <= f64::from(u32::MAX)) {
            bail!("bgbb: --horizon counts whole opportunities (>= 1), got {periods}");
        }
        let data = simulate_bgbb(m, args.customers, periods as u32, args.seed)?;
        let mut out = output(args.output.as_deref())?;
        write_patterns_csv(&mut out, &data)?;
        out.finish()?;
        ui.info(format!(
            "simulated {} bgbb histories over {periods} opportunities ({} patterns)",
            args.customers,
            data.x.len()
        ));
        return Ok(());
    }
    let [p, q, gamma]: [f64; 3] = args.spend.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "--spend needs 3 comma-separated numbers p,q,gamma, got {}",
            args.spend.len()
        )
    })?;
    let covariates = match &args.covariate_effects {
        None => None,
        Some(v) => {
            let [p1, p2, d1, d2] = four(v, "--covariate-effects")?;
            Some(CovariateEffects {
                purchase: [p1, p2],
                dropout: [d1, d2],
            })
        }
    };
    let spec = SimulationSpec {
        process,
        spend: SpendProcess { p, q, gamma },
        customers: args.customers,
        acquisition_periods: args.acquisition,
        horizon_periods: args.horizon,
        covariates,
        seed: args.seed,
    };
    let customers = simulate(&spec)?;
    let days_per_unit = args.unit.days();
    let horizon_days = (args.horizon * days_per_unit).floor() as i64;
    if horizon_days > 200_000 {
        bail!("--horizon is too long: {horizon_days} days");
    }
    let shuffle = args.shuffle.then_some(args.seed ^ 0x5eed);
    let rows = orders(&customers, days_per_unit, horizon_days as u32, shuffle);
    let mut out = output(args.output.as_deref())?;
    write_orders_csv(
        &mut out,
        &rows,
        &customers,
        args.start,
        spec.covariates.is_some(),
    )?;
    out.finish()?;
    if let (Some(at), Some(path)) = (args.summary_at, &args.summary_output) {
        let mut w = output(Some(path))?;
        write_simulated_summary_csv(&mut w, &customers, at)?;
        w.finish()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    ui.info(format!(
        "simulated {} customers, {} transactions{}",
        customers.len(),
        rows.len(),
        args.output
            .as_ref()
            .map(|p| format!(" -> {}", p.display()))
            .unwrap_or_default()
    ));
    Ok(())
}
