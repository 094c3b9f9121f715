//! Analysis of engine results: per-model summaries, per-stage counts and paired
//! comparisons, gathered into one [`Analysis`] that exports and reports read.
//!
//! The run computes everything in polars ([`frames`]) and reads the [`Analysis`] off
//! those tables ([`from_tables`]); [`analyse`] computes the same in plain Rust
//! ([`stats`]) and serves as the independent check in tests.

pub mod frames;
pub mod stats;
pub mod sweep;

use serde::Serialize;

use crate::engine::Results;
use crate::metrics::{Metric, Outcome, StageOutcome};
use crate::model::{Role, Scenario};
pub use stats::{Paired, Summary, paired, summarize};

/// Summary of one metric for one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Metric name.
    pub metric: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Statistics over portfolios.
    #[serde(flatten)]
    pub summary: Summary,
}

/// Mean counts at one stage of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageSummary {
    /// Stage name.
    pub stage: String,
    /// Mean ideas entering the stage per portfolio.
    pub entered_mean: f64,
    /// Mean ideas passing the stage per portfolio (entering the next, or delivered).
    pub passed_mean: f64,
    /// Mean ideas killed at the gate after the stage per portfolio.
    pub killed_mean: f64,
    /// Mean ideas cancelled in the stage per portfolio.
    pub cancelled_mean: f64,
    /// Mean spend on the stage per portfolio, dollars.
    pub spend_mean: f64,
    /// Mean actual months of the stage's finished contracts (undefined if none finished).
    pub months_mean: f64,
}

/// Everything about one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// Model name (table key).
    pub model: String,
    /// Display label.
    pub label: String,
    /// Place in the comparison: "baseline" or "challenger".
    pub role: &'static str,
    /// One entry per metric, in metric order.
    pub metrics: Vec<MetricSummary>,
    /// One entry per stage.
    pub stages: Vec<StageSummary>,
}

/// Paired comparison of two models on one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Model A.
    pub model_a: String,
    /// Model B.
    pub model_b: String,
    /// Metric name.
    pub metric: &'static str,
    /// A - B statistics.
    #[serde(flatten)]
    pub paired: Paired,
}

/// The analysis of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Scenario name.
    pub scenario: String,
    /// Portfolios simulated.
    pub portfolios: u64,
    /// Master seed.
    pub seed: u64,
    /// Per model.
    pub models: Vec<ModelSummary>,
    /// Every ordered pair of distinct models, every metric.
    pub comparisons: Vec<Comparison>,
}

/// How a role is written in outputs.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Baseline => "baseline",
        Role::Challenger => "challenger",
    }
}

impl Analysis {
    /// Mean of `metric` for model `i` (NaN when missing).
    pub fn mean(&self, i: usize, metric: Metric) -> f64 {
        self.models[i]
            .metrics
            .iter()
            .find(|s| s.metric == metric.name())
            .map_or(f64::NAN, |s| s.summary.mean)
    }

    /// The comparison the run leads with: (strongest baseline, best challenger) by mean
    /// net value, as model indexes (see [`crate::model::headline_pair`]).
    pub fn pair(&self, s: &Scenario) -> (usize, usize) {
        crate::model::headline_pair(&s.models, |i| self.mean(i, Metric::NetValue))
    }
}

fn column(outcomes: &[Outcome], m: Metric) -> Vec<f64> {
    outcomes.iter().map(|o| o.get(m)).collect()
}

/// Reads the [`Analysis`] off the polars tables of a run.
pub fn from_tables(
    s: &Scenario,
    r: &Results,
    t: &frames::Tables,
) -> polars::prelude::PolarsResult<Analysis> {
    use frames::{f64s, strings};
    let sm = &t.summary;
    let (sm_model, sm_metric) = (strings(sm, "model")?, strings(sm, "metric")?);
    let sm_cols: Vec<Vec<f64>> = [
        "n", "mean", "sd", "se", "ci_low", "ci_high", "p5", "p25", "p50", "p75", "p95",
    ]
    .iter()
    .map(|c| f64s(sm, c))
    .collect::<Result<_, _>>()?;
    let summary_at = |row: usize| Summary {
        n: sm_cols[0][row] as usize,
        mean: sm_cols[1][row],
        sd: sm_cols[2][row],
        se: sm_cols[3][row],
        ci_low: sm_cols[4][row],
        ci_high: sm_cols[5][row],
        p5: sm_cols[6][row],
        p25: sm_cols[7][row],
        p50: sm_cols[8][row],
        p75: sm_cols[9][row],
        p95: sm_cols[10][row],
    };
    let st = &t.stages;
    let (st_model, st_stage) = (strings(st, "model")?, strings(st, "stage")?);
    let st_cols: Vec<Vec<f64>> = [
        "entering",
        "passing",
        "killed",
        "cancelled",
        "spend",
        "mean_months",
    ]
    .iter()
    .map(|c| f64s(st, c))
    .collect::<Result<_, _>>()?;
    let models = s
        .models
        .iter()
        .map(|model| ModelSummary {
            model: model.name.clone(),
            label: model.label.clone(),
            role: role_name(model.role),
            metrics: Metric::ALL
                .iter()
                .map(|&m| {
                    let row = (0..sm_model.len())
                        .find(|&i| sm_model[i] == model.name && sm_metric[i] == m.name());
                    MetricSummary {
                        metric: m.name(),
                        unit: m.unit(),
                        summary: row.map_or_else(|| summarize(&[]), summary_at),
                    }
                })
                .collect(),
            stages: (0..st_model.len())
                .filter(|&i| st_model[i] == model.name)
                .map(|i| StageSummary {
                    stage: st_stage[i].clone(),
                    entered_mean: st_cols[0][i],
                    passed_mean: st_cols[1][i],
                    killed_mean: st_cols[2][i],
                    cancelled_mean: st_cols[3][i],
                    spend_mean: st_cols[4][i],
                    months_mean: st_cols[5][i],
                })
                .collect(),
        })
        .collect();
    let c = &t.comparison;
    let (ca, cb, cm) = (
        strings(c, "model_a")?,
        strings(c, "model_b")?,
        strings(c, "metric")?,
    );
    let c_cols: Vec<Vec<f64>> = ["n", "mean_diff", "se", "ci_low", "ci_high", "prob_a_better"]
        .iter()
        .map(|col| f64s(c, col))
        .collect::<Result<_, _>>()?;
    let mut comparisons = Vec::new();
    for a in &r.models {
        for b in r.models.iter().filter(|b| *b != a) {
            for &m in Metric::ALL {
                let row = (0..ca.len()).find(|&i| ca[i] == *a && cb[i] == *b && cm[i] == m.name());
                comparisons.push(Comparison {
                    model_a: a.clone(),
                    model_b: b.clone(),
                    metric: m.name(),
                    paired: match row {
                        Some(i) => Paired {
                            n: c_cols[0][i] as usize,
                            mean_diff: c_cols[1][i],
                            se: c_cols[2][i],
                            ci_low: c_cols[3][i],
                            ci_high: c_cols[4][i],
                            prob_a_better: c_cols[5][i],
                        },
                        None => paired(&[], &[], m.better()),
                    },
                });
            }
        }
    }
    Ok(Analysis {
        scenario: s.name.clone(),
        portfolios: r.outcomes.first().map_or(0, |o| o.len() as u64),
        seed: s.simulation.seed,
        models,
        comparisons,
    })
}

/// Analyses engine results for scenario `s` in plain Rust (the reference for tests).
pub fn analyse(s: &Scenario, r: &Results) -> Analysis {
    let models = s
        .models
        .iter()
        .zip(&r.outcomes)
        .map(|(model, outs)| {
            let n = outs.len().max(1) as f64;
            ModelSummary {
                model: model.name.clone(),
                label: model.label.clone(),
                role: role_name(model.role),
                metrics: Metric::ALL
                    .iter()
                    .map(|&m| MetricSummary {
                        metric: m.name(),
                        unit: m.unit(),
                        summary: summarize(&column(outs, m)),
                    })
                    .collect(),
                stages: model
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(k, st)| {
                        let mean = |f: &dyn Fn(&StageOutcome) -> f64| {
                            outs.iter().map(|o| f(&o.stages[k])).sum::<f64>() / n
                        };
                        let finished: f64 =
                            outs.iter().map(|o| f64::from(o.stages[k].finished)).sum();
                        let months: f64 = outs.iter().map(|o| o.stages[k].months).sum();
                        StageSummary {
                            stage: st.name.clone(),
                            entered_mean: mean(&|s| f64::from(s.entered)),
                            passed_mean: mean(&|s| f64::from(s.passed)),
                            killed_mean: mean(&|s| f64::from(s.killed)),
                            cancelled_mean: mean(&|s| f64::from(s.cancelled)),
                            spend_mean: mean(&|s| s.spend),
                            months_mean: if finished > 0.0 {
                                months / finished
                            } else {
                                f64::NAN
                            },
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let mut comparisons = Vec::new();
    for (a, outs_a) in r.outcomes.iter().enumerate() {
        for (b, outs_b) in r.outcomes.iter().enumerate() {
            if a == b {
                continue;
            }
            for &m in Metric::ALL {
                comparisons.push(Comparison {
                    model_a: r.models[a].clone(),
                    model_b: r.models[b].clone(),
                    metric: m.name(),
                    paired: paired(&column(outs_a, m), &column(outs_b, m), m.better()),
                });
            }
        }
    }
    Analysis {
        scenario: s.name.clone(),
        portfolios: r.outcomes.first().map_or(0, |o| o.len() as u64),
        seed: s.simulation.seed,
        models,
        comparisons,
    }
}
