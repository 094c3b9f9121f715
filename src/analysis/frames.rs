//! The analysis in polars: engine outcomes become DataFrames, and summaries, paired
//! differences (a join on portfolio), stage tables and time-series quantiles are polars
//! queries. `stats.rs` computes the same numbers in plain Rust; tests compare the two.
//!
//! Undefined metric values (a ratio with nothing to divide) are nulls here: they are
//! left out of every statistic, and `n` says how many values remain.
//!
//! Polars groups, joins, counts and takes quantiles (order statistics, exact). Its
//! floating-point sums are not bit-reproducible from run to run (they vary in the last
//! bits with how its kernels split the work), so means and standard deviations are
//! summed here over each group's sorted values (`stats::mean_sd`): every output file is
//! then identical on any machine and thread count.

use polars::prelude::*;

use super::stats::{Z95, mean_sd};
use crate::engine::{Project, Results, Status};
use crate::metrics::{Better, Metric};
use crate::model::Scenario;

/// The tables of one run, ready to export.
#[derive(Debug, Clone)]
pub struct Tables {
    /// One row per portfolio and model: `portfolio`, `model`, then every metric.
    pub portfolios: DataFrame,
    /// One row per model and metric.
    pub summary: DataFrame,
    /// One row per ordered pair of models and metric.
    pub comparison: DataFrame,
    /// One row per model and stage.
    pub stages: DataFrame,
    /// One row per model and month.
    pub timeseries: DataFrame,
    /// One row per portfolio, model and idea started, when the run kept them.
    pub projects: Option<DataFrame>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn column<T>(name: &str, values: T) -> Column
where
    Series: NamedFrom<T, [<T as IntoIterator>::Item]>,
    T: IntoIterator,
{
    Series::new(name.into(), values).into()
}

/// Column `name` of `df` as f64 values (nulls as NaN).
pub fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// Column `name` of `df` as strings.
pub fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn indexes(df: &DataFrame, name: &str) -> PolarsResult<Vec<usize>> {
    let c = df.column(name)?.cast(&DataType::UInt32)?;
    Ok(c.u32()?.iter().map(|v| v.unwrap_or(0) as usize).collect())
}

/// Wide table of every portfolio under every model.
pub fn portfolios(r: &Results) -> PolarsResult<DataFrame> {
    let n = r.outcomes.first().map_or(0, Vec::len);
    let rows = n * r.models.len();
    let mut portfolio = Vec::with_capacity(rows);
    let mut model = Vec::with_capacity(rows);
    for (m, name) in r.models.iter().enumerate() {
        for i in 0..r.outcomes[m].len() {
            portfolio.push(r.first + i as u64);
            model.push(name.as_str());
        }
    }
    let mut cols = vec![column("portfolio", portfolio), column("model", model)];
    for &metric in Metric::ALL {
        let values: Vec<Option<f64>> = r
            .outcomes
            .iter()
            .flat_map(|outs| outs.iter().map(move |o| finite(o.get(metric))))
            .collect();
        cols.push(column(metric.name(), values));
    }
    DataFrame::new(rows, cols)
}

/// Long table: one row per portfolio, model and metric (indexes, not names, to keep it small).
fn long(r: &Results) -> PolarsResult<DataFrame> {
    let k = Metric::ALL.len();
    let rows = r.outcomes.iter().map(Vec::len).sum::<usize>() * k;
    let (mut portfolio, mut model, mut metric, mut value) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for (m, outs) in r.outcomes.iter().enumerate() {
        for (i, o) in outs.iter().enumerate() {
            for (j, &met) in Metric::ALL.iter().enumerate() {
                portfolio.push(r.first + i as u64);
                model.push(m as u32);
                metric.push(j as u32);
                value.push(finite(o.get(met)));
            }
        }
    }
    DataFrame::new(
        rows,
        vec![
            column("portfolio", portfolio),
            column("model_idx", model),
            column("metric_idx", metric),
            column("value", value),
        ],
    )
}

/// Each group's values of column `name`, as an aggregation: polars gathers them into a
/// list column, which [`group_values`] reads.
fn gathered(name: &str) -> Expr {
    col(name).drop_nulls().alias(format!("{name}_values"))
}

/// The lists gathered by [`gathered`], each sorted.
fn group_values(df: &DataFrame, name: &str) -> PolarsResult<Vec<Vec<f64>>> {
    let lists = df.column(&format!("{name}_values"))?.list()?.clone();
    let mut out = Vec::with_capacity(lists.len());
    for s in lists.series_iter() {
        let mut v: Vec<f64> = match s {
            Some(s) => s
                .cast(&DataType::Float64)?
                .f64()?
                .iter()
                .flatten()
                .collect(),
            None => Vec::new(),
        };
        v.sort_by(f64::total_cmp);
        out.push(v);
    }
    Ok(out)
}

/// Per-group mean and sd of gathered column `name`.
fn group_moments(df: &DataFrame, name: &str) -> PolarsResult<(Vec<f64>, Vec<f64>)> {
    Ok(group_values(df, name)?.iter().map(|v| mean_sd(v)).unzip())
}

fn quantiles(name: &str, qs: &[(&str, f64)]) -> Vec<Expr> {
    qs.iter()
        .map(|(alias, q)| {
            col(name)
                .quantile(lit(*q), QuantileMethod::Linear)
                .alias(*alias)
        })
        .collect()
}

const SUMMARY_QUANTILES: [(&str, f64); 5] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p95", 0.95),
];

fn summary(long: &DataFrame, models: &[String]) -> PolarsResult<DataFrame> {
    let mut aggs = vec![col("value").count().alias("n"), gathered("value")];
    aggs.extend(quantiles("value", &SUMMARY_QUANTILES));
    let g = long
        .clone()
        .lazy()
        .group_by([col("model_idx"), col("metric_idx")])
        .agg(aggs)
        .sort(["model_idx", "metric_idx"], SortMultipleOptions::default())
        .collect()?;
    let n = f64s(&g, "n")?;
    let (mean, sd) = group_moments(&g, "value")?;
    let se: Vec<f64> = sd.iter().zip(&n).map(|(s, c)| s / c.sqrt()).collect();
    let model_names: Vec<String> = indexes(&g, "model_idx")?
        .into_iter()
        .map(|i| models[i].clone())
        .collect();
    let metric_names: Vec<&str> = indexes(&g, "metric_idx")?
        .into_iter()
        .map(|i| Metric::ALL[i].name())
        .collect();
    let opt = |v: &[f64]| v.iter().map(|x| finite(*x)).collect::<Vec<_>>();
    let mut cols = vec![
        column("model", model_names),
        column("metric", metric_names),
        column("mean", opt(&mean)),
        column("sd", opt(&sd)),
        column("se", opt(&se)),
        column(
            "ci_low",
            opt(&mean
                .iter()
                .zip(&se)
                .map(|(m, s)| m - Z95 * s)
                .collect::<Vec<_>>()),
        ),
        column(
            "ci_high",
            opt(&mean
                .iter()
                .zip(&se)
                .map(|(m, s)| m + Z95 * s)
                .collect::<Vec<_>>()),
        ),
    ];
    for (q, _) in SUMMARY_QUANTILES {
        cols.push(column(q, opt(&f64s(&g, q)?)));
    }
    cols.push(column("n", n.iter().map(|&c| c as u64).collect::<Vec<_>>()));
    DataFrame::new(g.height(), cols)
}

fn comparison(long: &DataFrame, models: &[String]) -> PolarsResult<DataFrame> {
    let sign: Vec<f64> = Metric::ALL
        .iter()
        .map(|m| {
            if m.better() == Better::Lower {
                -1.0
            } else {
                1.0
            }
        })
        .collect();
    let signs = DataFrame::new(
        sign.len(),
        vec![
            column("metric_idx", (0..sign.len() as u32).collect::<Vec<_>>()),
            column("sign", sign),
        ],
    )?;
    let side = |suffix: &str| {
        long.clone().lazy().select([
            col("portfolio"),
            col("metric_idx"),
            col("model_idx").alias(format!("model_{suffix}")),
            col("value").alias(format!("value_{suffix}")),
        ])
    };
    let diff = col("diff") * col("sign");
    let g = side("a")
        .join(
            side("b"),
            [col("portfolio"), col("metric_idx")],
            [col("portfolio"), col("metric_idx")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("model_a").neq(col("model_b")))
        .with_columns([(col("value_a") - col("value_b")).alias("diff")])
        .filter(col("diff").is_not_null())
        .join(
            signs.lazy(),
            [col("metric_idx")],
            [col("metric_idx")],
            JoinArgs::new(JoinType::Inner),
        )
        .with_columns([when(diff.clone().gt(lit(0.0)))
            .then(lit(1.0))
            .when(diff.eq(lit(0.0)))
            .then(lit(0.5))
            .otherwise(lit(0.0))
            .alias("win")])
        .group_by([col("model_a"), col("model_b"), col("metric_idx")])
        .agg([
            col("diff").count().alias("n"),
            gathered("diff"),
            gathered("win"),
        ])
        .sort(
            ["model_a", "model_b", "metric_idx"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let n = f64s(&g, "n")?;
    let (mean, sd) = group_moments(&g, "diff")?;
    let (wins, _) = group_moments(&g, "win")?;
    let se: Vec<f64> = sd.iter().zip(&n).map(|(s, c)| s / c.sqrt()).collect();
    let name = |c: &str| -> PolarsResult<Vec<String>> {
        Ok(indexes(&g, c)?
            .into_iter()
            .map(|i| models[i].clone())
            .collect())
    };
    let opt = |v: Vec<f64>| v.into_iter().map(finite).collect::<Vec<_>>();
    let metric_names: Vec<&str> = indexes(&g, "metric_idx")?
        .into_iter()
        .map(|i| Metric::ALL[i].name())
        .collect();
    DataFrame::new(
        g.height(),
        vec![
            column("model_a", name("model_a")?),
            column("model_b", name("model_b")?),
            column("metric", metric_names),
            column("mean_diff", opt(mean.clone())),
            column(
                "ci_low",
                opt(mean.iter().zip(&se).map(|(m, s)| m - Z95 * s).collect()),
            ),
            column(
                "ci_high",
                opt(mean.iter().zip(&se).map(|(m, s)| m + Z95 * s).collect()),
            ),
            column("prob_a_better", opt(wins)),
            column("se", opt(se)),
            column("n", n.iter().map(|&c| c as u64).collect::<Vec<_>>()),
        ],
    )
}

fn stages(s: &Scenario, r: &Results) -> PolarsResult<DataFrame> {
    let mut cols: [Vec<f64>; 7] = Default::default();
    let (mut model, mut stage) = (Vec::new(), Vec::new());
    for (m, outs) in r.outcomes.iter().enumerate() {
        for o in outs {
            for (k, st) in o.stages.iter().enumerate() {
                model.push(m as u32);
                stage.push(k as u32);
                let values = [
                    f64::from(st.entered),
                    f64::from(st.passed),
                    f64::from(st.killed),
                    f64::from(st.cancelled),
                    st.spend,
                    st.months,
                    f64::from(st.finished),
                ];
                for (c, v) in cols.iter_mut().zip(values) {
                    c.push(v);
                }
            }
        }
    }
    let names = [
        "entering",
        "passing",
        "killed",
        "cancelled",
        "spend",
        "months",
        "finished",
    ];
    let mut frame = vec![column("model_idx", model), column("stage_idx", stage)];
    for (name, c) in names.iter().zip(cols) {
        frame.push(column(name, c));
    }
    let g = DataFrame::new_infer_height(frame)?
        .lazy()
        .group_by([col("model_idx"), col("stage_idx")])
        .agg(names.iter().map(|n| gathered(n)).collect::<Vec<_>>())
        .sort(["model_idx", "stage_idx"], SortMultipleOptions::default())
        .collect()?;
    let model_idx = indexes(&g, "model_idx")?;
    let stage_idx = indexes(&g, "stage_idx")?;
    let mean = |name: &str| -> PolarsResult<Vec<f64>> { Ok(group_moments(&g, name)?.0) };
    // Mean months per finished contract: total months over total contracts.
    let months = mean("months")?;
    let finished = mean("finished")?;
    DataFrame::new(
        g.height(),
        vec![
            column(
                "model",
                model_idx
                    .iter()
                    .map(|&m| s.models[m].name.clone())
                    .collect::<Vec<_>>(),
            ),
            column(
                "stage_index",
                stage_idx.iter().map(|&k| k as u32).collect::<Vec<_>>(),
            ),
            column(
                "stage",
                model_idx
                    .iter()
                    .zip(&stage_idx)
                    .map(|(&m, &k)| s.models[m].stages[k].name.clone())
                    .collect::<Vec<_>>(),
            ),
            column("entering", mean("entering")?),
            column("passing", mean("passing")?),
            column("killed", mean("killed")?),
            column("cancelled", mean("cancelled")?),
            column("spend", mean("spend")?),
            column(
                "mean_months",
                months
                    .iter()
                    .zip(&finished)
                    .map(|(m, f)| (*f > 0.0).then(|| m / f))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

fn timeseries(r: &Results) -> PolarsResult<DataFrame> {
    let (mut model, mut month, mut spend, mut value) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (m, outs) in r.outcomes.iter().enumerate() {
        for o in outs {
            for (t, (sp, v)) in o.spend_by_month.iter().zip(&o.value_by_month).enumerate() {
                model.push(m as u32);
                month.push(t as u32);
                spend.push(f64::from(*sp));
                value.push(f64::from(*v));
            }
        }
    }
    let qs = [("p10", 0.1), ("p50", 0.5), ("p90", 0.9)];
    let mut aggs = Vec::new();
    for var in ["spend", "value"] {
        for (q, p) in qs {
            aggs.push(
                col(var)
                    .quantile(lit(p), QuantileMethod::Linear)
                    .alias(format!("{var}_{q}")),
            );
        }
    }
    let g = DataFrame::new_infer_height(vec![
        column("model_idx", model),
        column("month", month),
        column("spend", spend),
        column("value", value),
    ])?
    .lazy()
    .group_by([col("model_idx"), col("month")])
    .agg(aggs)
    .sort(["model_idx", "month"], SortMultipleOptions::default())
    .collect()?;
    let mut cols = vec![
        column(
            "model",
            indexes(&g, "model_idx")?
                .into_iter()
                .map(|m| r.models[m].clone())
                .collect::<Vec<_>>(),
        ),
        column(
            "month",
            indexes(&g, "month")?
                .into_iter()
                .map(|t| t as u32)
                .collect::<Vec<_>>(),
        ),
    ];
    for var in ["spend", "value"] {
        for (q, _) in qs {
            let name = format!("{var}_{q}");
            cols.push(column(&name, f64s(&g, &name)?));
        }
    }
    DataFrame::new(g.height(), cols)
}

/// Summary and paired comparison only (what a sweep point needs).
pub fn summary_and_comparison(r: &Results) -> PolarsResult<(DataFrame, DataFrame)> {
    let long = long(r)?;
    Ok((summary(&long, &r.models)?, comparison(&long, &r.models)?))
}

/// Builds every table of a run.
pub fn tables(s: &Scenario, r: &Results) -> PolarsResult<Tables> {
    let long = long(r)?;
    Ok(Tables {
        portfolios: portfolios(r)?,
        summary: summary(&long, &r.models)?,
        comparison: comparison(&long, &r.models)?,
        stages: stages(s, r)?,
        timeseries: timeseries(r)?,
        projects: if r.projects.is_empty() {
            None
        } else {
            Some(projects(s, r)?)
        },
    })
}

/// Where an idea ended up: (outcome, stage of that outcome).
fn project_outcome(s: &Scenario, m: usize, p: &Project) -> (&'static str, String) {
    let stages = &s.models[m].stages;
    let name = |k: usize| stages[k].name.clone();
    let current = name(p.stages_entered.saturating_sub(1));
    match p.status {
        Status::Delivered => ("delivered", current),
        Status::Killed(k) => ("killed", name(k)),
        Status::Cancelled(k) => ("cancelled", name(k)),
        Status::Dropped(k) => ("dropped", name(k)),
        Status::Running | Status::AtGate | Status::Held | Status::Rejected => ("running", current),
    }
}

/// One row per portfolio, model and idea started (`projects.parquet`).
pub fn projects(s: &Scenario, r: &Results) -> PolarsResult<DataFrame> {
    let rows = r.projects.len();
    let mut portfolio = Vec::with_capacity(rows);
    let mut model = Vec::with_capacity(rows);
    let mut idea = Vec::with_capacity(rows);
    let mut arrival = Vec::with_capacity(rows);
    let mut entered = Vec::with_capacity(rows);
    let mut outcome = Vec::with_capacity(rows);
    let mut stage = Vec::with_capacity(rows);
    let mut fit = Vec::with_capacity(rows);
    let mut attempts = Vec::with_capacity(rows);
    let mut vendor_kind = Vec::with_capacity(rows);
    let (mut planned_cost, mut actual_cost, mut overrun) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let (mut planned_months, mut actual_months, mut slip) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let (mut swan, mut spend, mut value) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for rec in &r.projects {
        let p = &rec.project;
        let (o, k) = project_outcome(s, rec.model, p);
        portfolio.push(rec.portfolio);
        model.push(r.models[rec.model].as_str());
        idea.push(p.id);
        arrival.push(p.arrival);
        entered.push(p.stages_entered as u32);
        outcome.push(o);
        stage.push(k);
        fit.push(p.fit);
        attempts.push(p.attempts as u32);
        vendor_kind.push(p.vendor.map(|v| {
            if s.vendors.is_small(v) {
                "small"
            } else {
                "large"
            }
        }));
        planned_cost.push(p.planned_cost);
        actual_cost.push(p.actual_cost);
        overrun.push(finite(p.actual_cost / p.planned_cost - 1.0));
        planned_months.push(p.planned_months);
        actual_months.push(p.actual_months);
        slip.push(finite(p.actual_months / p.planned_months - 1.0));
        swan.push(p.black_swan);
        spend.push(p.spend);
        value.push(p.value);
    }
    DataFrame::new(
        rows,
        vec![
            column("portfolio", portfolio),
            column("model", model),
            column("idea", idea),
            column("arrival_month", arrival),
            column("stages_entered", entered),
            column("outcome", outcome),
            column("outcome_stage", stage),
            column("fit", fit),
            column("attempts", attempts),
            column("vendor_kind", vendor_kind),
            column("planned_cost", planned_cost),
            column("actual_cost", actual_cost),
            column("cost_overrun", overrun),
            column("planned_months", planned_months),
            column("actual_months", actual_months),
            column("schedule_slip", slip),
            column("black_swan", swan),
            column("spend", spend),
            column("value", value),
        ],
    )
}
