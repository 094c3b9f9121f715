//! Global sensitivity (Sobol indices): every uncertain assumption varies at once over
//! its range, on a low-discrepancy design, and the variance of the paired difference
//! (and of each model's mean) is split into each assumption's share, alone (first
//! order) and with its interactions (total order), with bootstrap CIs.
//!
//! Flow: the one-at-a-time [`Plan`] (its assumptions and their ranges) -> [`Global`]
//! (the inputs and a Saltelli design, `analysis::sobol`) -> [`run`]: one paired run of
//! the two models per design point, same seed throughout -> [`Results`] -> sobol.csv
//! and sobol_points.csv.

use std::path::Path;

use toml::Value;

use super::{Parameter, Plan, columns, settings_at};
use crate::analysis::sobol::{self, Bootstrap, Design, Indices};
use crate::analysis::stats::{finite_mean, paired_moments};
use crate::export::cell::{SafeCsv, number_cell as number};
use crate::scenario::{self, fields::Kind};

/// Design rows when none is given: a power of two (the design is a net), enough to
/// rank a score of assumptions; more rows narrow the CIs.
pub const DEFAULT_SAMPLES: usize = 64;

/// Fewest design rows accepted: below it the estimators' noise dwarfs the shares (with
/// 2 rows, intervals of several hundred percent).
pub const MIN_SAMPLES: usize = 8;

/// The outputs whose variance is split, in sobol.csv's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Mean paired difference, challenger minus baseline.
    Difference,
    /// The baseline's mean of the metric.
    Baseline,
    /// The challenger's mean of the metric.
    Challenger,
}

impl Output {
    /// Every output, in order.
    pub const ALL: [Output; 3] = [Output::Difference, Output::Baseline, Output::Challenger];

    /// As written in sobol.csv.
    pub fn name(self) -> &'static str {
        match self {
            Output::Difference => "difference",
            Output::Baseline => "baseline",
            Output::Challenger => "challenger",
        }
    }

    /// The output named `s` in sobol.csv.
    pub fn parse(s: &str) -> Option<Output> {
        Output::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// A global sensitivity study: the assumptions varied and the design.
#[derive(Debug, Clone)]
pub struct Global<'a> {
    /// The one-at-a-time plan it starts from (models, metric, portfolios, ranges).
    pub plan: &'a Plan,
    /// The assumptions varied, with the range each is drawn over, in path order.
    pub inputs: Vec<Parameter>,
    /// Whether each input takes whole numbers.
    integer: Vec<bool>,
    /// The Saltelli design over the inputs.
    pub design: Design,
}

impl Global<'_> {
    /// Model runs: one per design point, each of `plan.portfolios` portfolios.
    pub fn runs(&self) -> u64 {
        self.design.len() as u64
    }

    /// The inputs' values at design point `j`, in the inputs' units.
    fn values(&self, j: usize) -> Vec<f64> {
        let mut u = vec![0.0; self.design.k()];
        // In range by construction: j < design.len() and the buffer has k entries.
        if self.design.point_into(j, &mut u).is_err() {
            return vec![f64::NAN; self.inputs.len()];
        }
        self.inputs
            .iter()
            .zip(&self.integer)
            .zip(u)
            .map(|((p, &whole), u)| {
                if whole {
                    // Each whole number of [low, high] gets an equal share of (0, 1).
                    (p.low + (u * (p.high - p.low + 1.0)).floor()).min(p.high)
                } else {
                    p.low + u * (p.high - p.low)
                }
            })
            .collect()
    }
}

/// The study of `plan`'s uncertain assumptions on `samples` design rows (seeded with the
/// scenario's seed). Errors say what to change: no assumption to vary, or a design the
/// sampler refuses.
pub fn global(plan: &Plan, samples: usize) -> Result<Global<'_>, String> {
    // A range declared for an assumption must be used, once: the one-at-a-time plan
    // leaves out a declared value the scenario refuses (checked against the other
    // fields as they stand), which here would silently shrink the study.
    let declared = plan
        .loaded
        .sensitivity
        .as_ref()
        .and_then(|s| s.parameters.as_deref())
        .unwrap_or_default();
    for (i, p) in declared.iter().enumerate() {
        if declared[..i].iter().any(|q| q.path == p.path) {
            return Err(format!(
                "[sensitivity.parameters] lists `{}` twice: keep one range",
                p.path
            ));
        }
        if let Some(e) = plan.excluded.iter().find(|e| e.path == p.path) {
            return Err(format!(
                "[sensitivity.parameters]: `{}` cannot be varied: {}",
                p.path, e.reason
            ));
        }
    }
    let mut inputs = Vec::new();
    let mut integer = Vec::new();
    for m in plan
        .moves
        .iter()
        .filter(|m| m.parameter.kind == Kind::Assumption)
    {
        let mut p = m.parameter.clone();
        if m.integer {
            // A count takes the whole numbers within its range, each as likely.
            let (lo, hi) = (p.low.ceil(), p.high.floor());
            if lo > hi {
                return Err(format!(
                    "`{}` counts whole numbers, and no whole number lies between {} and {}: \
                     declare a wider range",
                    p.path, p.low, p.high
                ));
            }
            (p.low, p.high) = (lo, hi);
        }
        inputs.push(p);
        integer.push(m.integer);
    }
    if inputs.is_empty() {
        return Err(
            "no uncertain assumption to vary: list some with a low and high in \
             [sensitivity.parameters] (levers are left to --method one-at-a-time)"
                .into(),
        );
    }
    if samples < MIN_SAMPLES {
        return Err(format!(
            "--samples {samples}: the design needs at least {MIN_SAMPLES} rows for shares \
             worth reading (a power of two such as 64 is best)"
        ));
    }
    let design = sobol::design(inputs.len(), samples, plan.base.simulation.seed)
        .map_err(|e| format!("--samples {samples}: {e}"))?;
    Ok(Global {
        plan,
        inputs,
        integer,
        design,
    })
}

/// One output's indices, with its mean and variance over the design.
#[derive(Debug, Clone)]
pub struct Split {
    /// What was measured.
    pub output: Output,
    /// The indices, or why the output cannot be split.
    pub indices: Result<Indices, Unsplit>,
}

/// Why an output's variance cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsplit {
    /// It varies by no more than rounding over the design: a share of no variance
    /// means nothing.
    Constant,
    /// It is not a number at some design point (a metric undefined in every portfolio
    /// there, such as value per dollar without spend).
    Undefined,
}

impl Unsplit {
    /// As written in sobol.csv's `note`.
    pub fn name(self) -> &'static str {
        match self {
            Unsplit::Constant => "constant",
            Unsplit::Undefined => "undefined",
        }
    }

    /// Why, in a sentence's end (terminal; the reports have it in both languages).
    pub fn text(self) -> &'static str {
        match self {
            Unsplit::Constant => "it does not vary over the design",
            Unsplit::Undefined => "it is not a number at some points of the design",
        }
    }

    /// The reason named `s` in sobol.csv.
    pub fn parse(s: &str) -> Option<Unsplit> {
        [Unsplit::Constant, Unsplit::Undefined]
            .into_iter()
            .find(|u| u.name() == s)
    }
}

/// Everything a global study measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// Each output's split, in [`Output::ALL`] order.
    pub splits: Vec<Split>,
    /// Per design point: the inputs' values.
    pub points: Vec<Vec<f64>>,
    /// Per design point: the outputs, in [`Output::ALL`] order.
    pub outputs: Vec<[f64; 3]>,
}

/// Runs the study on the current rayon pool (each design point's portfolios in
/// parallel, points in design order); `progress(n)` is called per portfolio. Errors
/// name the field of the first combination the scenario refuses.
pub fn run(g: &Global, progress: &(dyn Fn(u64) + Sync)) -> Result<Results, String> {
    let plan = g.plan;
    let points: Vec<Vec<f64>> = (0..g.design.len()).map(|j| g.values(j)).collect();
    // Every point is checked before anything runs, so a refused combination costs no
    // simulation; the scenarios are built again one at a time below rather than kept,
    // so memory does not grow with the design (validating one takes microseconds).
    for values in &points {
        scenario_at(g, values)?;
    }
    let mut outputs = Vec::with_capacity(g.design.len());
    for values in &points {
        let s = scenario_at(g, values)?;
        let [base, chal] = columns(&s, plan.metric, plan.portfolios, progress);
        let d = paired_moments(&chal, &base, plan.metric.better());
        outputs.push([d.mean_diff, finite_mean(&base), finite_mean(&chal)]);
    }
    let bootstrap = Bootstrap {
        seed: g.design.seed(),
        ..Bootstrap::default()
    };
    let splits = Output::ALL
        .iter()
        .enumerate()
        .map(|(i, &output)| {
            let ys: Vec<f64> = outputs.iter().map(|o| o[i]).collect();
            let indices = if ys.iter().any(|y| !y.is_finite()) {
                Err(Unsplit::Undefined)
            } else {
                match sobol::indices_with(&g.design, &ys, &bootstrap) {
                    Ok(ix) if ix.variance == 0.0 => Err(Unsplit::Constant),
                    Ok(ix) => Ok(ix),
                    // Only a non-finite output is refused with these inputs.
                    Err(_) => Err(Unsplit::Undefined),
                }
            };
            Split { output, indices }
        })
        .collect();
    Ok(Results {
        splits,
        points,
        outputs,
    })
}

/// The two compared models' scenario with every input at `values`.
fn scenario_at(g: &Global, values: &[f64]) -> Result<crate::model::Scenario, String> {
    let plan = g.plan;
    let mut settings: Vec<(String, Value)> = Vec::new();
    for ((p, &whole), &v) in g.inputs.iter().zip(&g.integer).zip(values) {
        settings.extend(settings_at(&plan.loaded, &p.path, whole, v)?);
    }
    let label = "sensitivity --method sobol";
    let mut s = scenario::variant(&plan.loaded, &settings, label).map_err(|e| {
        let why = e
            .diagnostics
            .first()
            .map_or(String::new(), |d| match &d.path {
                Some(path) => format!("{path}: {}", d.message),
                None => d.message.clone(),
            });
        format!(
            "a point of the design combines values the scenario refuses: {why}. The \
             assumptions vary together, so every combination of their ranges must be \
             allowed: give a smaller --spread, or declare ranges that cannot cross in \
             [sensitivity.parameters]"
        )
    })?;
    s.models = vec![
        s.models[plan.baseline.0].clone(),
        s.models[plan.challenger.0].clone(),
    ];
    s.simulation.portfolios = plan.portfolios;
    Ok(s)
}

/// sobol.csv: one row per output and input, inputs by total-order index (largest
/// first) within each output.
pub fn write_csv(g: &Global, r: &Results, path: &Path) -> std::io::Result<()> {
    let plan = g.plan;
    let mut w = SafeCsv::create(path)?;
    w.row([
        "output",
        "rank",
        "parameter",
        "base_value",
        "low_value",
        "high_value",
        "range",
        "first_order",
        "first_order_ci_low",
        "first_order_ci_high",
        "total_order",
        "total_order_ci_low",
        "total_order_ci_high",
        "output_mean",
        "output_variance",
        "metric",
        "baseline",
        "challenger",
        "samples",
        "runs",
        "portfolios",
        "note",
    ])?;
    for split in &r.splits {
        let order = ranking(split, g.inputs.len());
        for (rank, &i) in order.iter().enumerate() {
            let p = &g.inputs[i];
            let cell = |f: &dyn Fn(&Indices) -> f64| -> String {
                split
                    .indices
                    .as_ref()
                    .map_or(String::new(), |ix| number(f(ix)))
            };
            w.row([
                split.output.name().to_string(),
                (rank + 1).to_string(),
                p.path.clone(),
                p.base.to_string(),
                p.low.to_string(),
                p.high.to_string(),
                p.source.name().to_string(),
                cell(&|ix| ix.first_order[i].estimate),
                cell(&|ix| ix.first_order[i].low),
                cell(&|ix| ix.first_order[i].high),
                cell(&|ix| ix.total_order[i].estimate),
                cell(&|ix| ix.total_order[i].low),
                cell(&|ix| ix.total_order[i].high),
                cell(&|ix| ix.mean),
                cell(&|ix| ix.variance),
                plan.metric.name().to_string(),
                plan.baseline.1.clone(),
                plan.challenger.1.clone(),
                g.design.n().to_string(),
                g.runs().to_string(),
                plan.portfolios.to_string(),
                split
                    .indices
                    .as_ref()
                    .err()
                    .map_or(String::new(), |u| u.name().to_string()),
            ])?;
        }
    }
    w.finish()
}

/// Input indexes by total-order index, largest first (NaN last), ties in path order.
pub fn ranking(split: &Split, k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..k).collect();
    if let Ok(ix) = &split.indices {
        let key = |i: usize| {
            let t = ix.total_order[i].estimate;
            if t.is_nan() { f64::NEG_INFINITY } else { t }
        };
        order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    }
    order
}

/// sobol_points.csv: every design point run, with its inputs' values and outputs, so
/// that notebooks can plot or re-analyse the design.
pub fn write_points(g: &Global, r: &Results, path: &Path) -> std::io::Result<()> {
    let mut w = SafeCsv::create(path)?;
    let mut head = vec!["point".to_string(), "matrix".to_string()];
    head.extend(g.inputs.iter().map(|p| p.path.clone()));
    head.extend(Output::ALL.iter().map(|o| o.name().to_string()));
    w.row(head)?;
    let n = g.design.n();
    for (j, (values, outs)) in r.points.iter().zip(&r.outputs).enumerate() {
        // Points come in blocks of n rows: A, B, then AB_i for each input i, as
        // analysis::sobol lays them out.
        let matrix = match j / n {
            0 => "A".to_string(),
            1 => "B".to_string(),
            i => format!("AB_{}", g.inputs[i - 2].path),
        };
        let mut row = vec![j.to_string(), matrix];
        row.extend(values.iter().map(|&v| number(v)));
        row.extend(outs.iter().map(|&v| number(v)));
        w.row(row)?;
    }
    w.finish()
}
