//! Analysis of engine results: per-model summaries, per-stage counts and paired
//! comparisons, gathered into one [`Analysis`] that exports and reports read.

pub mod stats;

use serde::Serialize;

use crate::engine::Results;
use crate::metrics::{Metric, Outcome};
use crate::model::Scenario;
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
    /// Mean ideas killed at the gate before the stage per portfolio.
    pub killed_mean: f64,
}

/// Everything about one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// Model name (table key).
    pub model: String,
    /// Display label.
    pub label: String,
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

fn column(outcomes: &[Outcome], m: Metric) -> Vec<f64> {
    outcomes.iter().map(|o| o.get(m)).collect()
}

/// Analyses engine results for scenario `s`.
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
                    .map(|(k, st)| StageSummary {
                        stage: st.name.clone(),
                        entered_mean: outs
                            .iter()
                            .map(|o| f64::from(o.stage_entered[k]))
                            .sum::<f64>()
                            / n,
                        killed_mean: outs
                            .iter()
                            .map(|o| f64::from(o.stage_killed[k]))
                            .sum::<f64>()
                            / n,
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
