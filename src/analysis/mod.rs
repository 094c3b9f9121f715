//! Analysis of engine results: per-model summaries, per-stage counts and paired
//! comparisons, gathered into one [`Analysis`] that exports and reports read.
//!
//! Portfolios stream in batch by batch and are kept as columns ([`tally`]); each
//! statistic has one implementation ([`stats`], [`sketch`]) applied to those columns,
//! and [`frames`] only lays the results out as tables for the writers.

pub mod frames;
pub mod sketch;
pub mod sobol;
pub mod stats;
pub mod sweep;
pub mod tally;

use serde::Serialize;

use crate::metrics::Metric;
use crate::model::{Role, Scenario};
pub use stats::{Paired, Summary, paired, summarize};
pub use sweep::{Gap, Standing, choice, gaps};
pub use tally::Tally;

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
    /// How its funds can go wrong, fund by fund.
    pub risk: Risk,
}

/// How a model's funds can go wrong, fund by fund (shares of portfolios, 0..1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Risk {
    /// Share of portfolios whose spend by the horizon exceeds the fund's budget
    /// (overruns are paid past the budget: docs/model.md).
    pub prob_over_budget: f64,
    /// Share of portfolios whose net value is negative (spent more than delivered).
    pub prob_net_value_negative: f64,
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
