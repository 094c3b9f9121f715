//! The tables of a run as polars DataFrames, for the CSV and Parquet writers: the
//! per-portfolio rows of each batch, the per-idea rows when kept, and the small tables
//! (summary, comparison, stages, timeseries) read off an [`Analysis`] and a [`Tally`].
//! No statistic is computed here; they all come from `stats` through the tally.
//!
//! Undefined values (a ratio with nothing to divide, a statistic over no values) are
//! nulls: empty fields in CSV, nulls in Parquet.

use polars::prelude::*;

use super::Analysis;
use super::tally::Tally;
use crate::engine::{Project, Results, Status};
use crate::metrics::Metric;
use crate::model::Scenario;

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

fn opt(values: impl Iterator<Item = f64>) -> Vec<Option<f64>> {
    values.map(finite).collect()
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

/// One row per portfolio and model of a batch, portfolio by portfolio (the models of
/// a portfolio in scenario order): `portfolio`, `model`, then every metric.
pub fn portfolios(r: &Results) -> PolarsResult<DataFrame> {
    let n = r.outcomes.first().map_or(0, Vec::len);
    let rows = n * r.models.len();
    let mut portfolio = Vec::with_capacity(rows);
    let mut model = Vec::with_capacity(rows);
    for i in 0..n {
        for name in &r.models {
            portfolio.push(r.first + i as u64);
            model.push(name.as_str());
        }
    }
    let mut cols = vec![column("portfolio", portfolio), column("model", model)];
    for &metric in Metric::ALL {
        let values: Vec<Option<f64>> = (0..n)
            .flat_map(|i| {
                r.outcomes
                    .iter()
                    .map(move |outs| finite(outs[i].get(metric)))
            })
            .collect();
        cols.push(column(metric.name(), values));
    }
    DataFrame::new(rows, cols)
}

/// One row per model and metric: `model`, `metric`, `mean`, `sd`, `se`, `ci_low`,
/// `ci_high`, `p5` ... `p95`, `n`.
pub fn summary(a: &Analysis) -> PolarsResult<DataFrame> {
    let rows: Vec<(&str, &super::MetricSummary)> = a
        .models
        .iter()
        .flat_map(|m| m.metrics.iter().map(move |s| (m.model.as_str(), s)))
        .collect();
    let get = |f: fn(&super::Summary) -> f64| opt(rows.iter().map(|(_, s)| f(&s.summary)));
    DataFrame::new(
        rows.len(),
        vec![
            column("model", rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            column(
                "metric",
                rows.iter().map(|r| r.1.metric).collect::<Vec<_>>(),
            ),
            column("mean", get(|s| s.mean)),
            column("sd", get(|s| s.sd)),
            column("se", get(|s| s.se)),
            column("ci_low", get(|s| s.ci_low)),
            column("ci_high", get(|s| s.ci_high)),
            column("p5", get(|s| s.p5)),
            column("p25", get(|s| s.p25)),
            column("p50", get(|s| s.p50)),
            column("p75", get(|s| s.p75)),
            column("p95", get(|s| s.p95)),
            column(
                "n",
                rows.iter()
                    .map(|r| r.1.summary.n as u64)
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// One row per ordered pair of models and metric: `model_a`, `model_b`, `metric`,
/// `mean_diff`, `ci_low`, `ci_high`, `prob_a_better`, `se`, `n`, `prob_a_worse`, `p5`,
/// `p95` (new columns go last, so readers of the earlier layout keep working).
pub fn comparison(a: &Analysis) -> PolarsResult<DataFrame> {
    let c = &a.comparisons;
    let get = |f: fn(&super::Paired) -> f64| opt(c.iter().map(|x| f(&x.paired)));
    DataFrame::new(
        c.len(),
        vec![
            column(
                "model_a",
                c.iter().map(|x| x.model_a.as_str()).collect::<Vec<_>>(),
            ),
            column(
                "model_b",
                c.iter().map(|x| x.model_b.as_str()).collect::<Vec<_>>(),
            ),
            column("metric", c.iter().map(|x| x.metric).collect::<Vec<_>>()),
            column("mean_diff", get(|p| p.mean_diff)),
            column("ci_low", get(|p| p.ci_low)),
            column("ci_high", get(|p| p.ci_high)),
            column("prob_a_better", get(|p| p.prob_a_better)),
            column("se", get(|p| p.se)),
            column("n", c.iter().map(|x| x.paired.n as u64).collect::<Vec<_>>()),
            column("prob_a_worse", get(|p| p.prob_a_worse)),
            column("p5", get(|p| p.p5)),
            column("p95", get(|p| p.p95)),
        ],
    )
}

/// One row per model and stage: mean ideas per portfolio entering, passing, killed and
/// cancelled, mean spend, and mean months per finished contract.
pub fn stages(a: &Analysis) -> PolarsResult<DataFrame> {
    let rows: Vec<(&str, u32, &super::StageSummary)> = a
        .models
        .iter()
        .flat_map(|m| {
            m.stages
                .iter()
                .enumerate()
                .map(move |(k, st)| (m.model.as_str(), k as u32, st))
        })
        .collect();
    let get = |f: fn(&super::StageSummary) -> f64| opt(rows.iter().map(|r| f(r.2)));
    DataFrame::new(
        rows.len(),
        vec![
            column("model", rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            column("stage_index", rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            column(
                "stage",
                rows.iter().map(|r| r.2.stage.as_str()).collect::<Vec<_>>(),
            ),
            column("entering", get(|s| s.entered_mean)),
            column("passing", get(|s| s.passed_mean)),
            column("killed", get(|s| s.killed_mean)),
            column("cancelled", get(|s| s.cancelled_mean)),
            column("spend", get(|s| s.spend_mean)),
            column("mean_months", get(|s| s.months_mean)),
        ],
    )
}

/// One row per model: the share of its funds that spend past the budget and the share
/// that lose money (net value below zero).
pub fn risk(a: &Analysis) -> PolarsResult<DataFrame> {
    let m = &a.models;
    let get = |f: fn(&super::Risk) -> f64| opt(m.iter().map(|x| f(&x.risk)));
    DataFrame::new(
        m.len(),
        vec![
            column(
                "model",
                m.iter().map(|x| x.model.as_str()).collect::<Vec<_>>(),
            ),
            column("prob_over_budget", get(|r| r.prob_over_budget)),
            column(
                "prob_net_value_negative",
                get(|r| r.prob_net_value_negative),
            ),
        ],
    )
}

/// One row per model and month: p10, p50 and p90 of cumulative spend and value.
pub fn timeseries(t: &Tally) -> PolarsResult<DataFrame> {
    let rows: Vec<(&str, super::tally::MonthBand)> = t
        .models
        .iter()
        .enumerate()
        .flat_map(|(m, name)| t.bands(m).into_iter().map(move |b| (name.as_str(), b)))
        .collect();
    let mut cols = vec![
        column("model", rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        column("month", rows.iter().map(|r| r.1.month).collect::<Vec<_>>()),
    ];
    for (var, pick) in [
        (
            "spend",
            (|b: &super::tally::MonthBand| b.spend) as fn(&_) -> [f64; 3],
        ),
        ("value", |b| b.value),
    ] {
        for (i, q) in ["p10", "p50", "p90"].iter().enumerate() {
            cols.push(column(
                &format!("{var}_{q}"),
                opt(rows.iter().map(|r| pick(&r.1)[i])),
            ));
        }
    }
    DataFrame::new(rows.len(), cols)
}

/// Where an idea ended up: (outcome, stage of that outcome).
fn project_outcome(s: &Scenario, m: usize, p: &Project) -> (&'static str, String) {
    let stages = &s.models[m].stages;
    let name = |k: usize| stages[k].name.en().to_string();
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
