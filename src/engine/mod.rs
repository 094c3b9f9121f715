//! The Monte Carlo engine: portfolios in parallel (rayon), each running every funding
//! model on the same ideas and risk draws, so model comparisons are paired.

pub mod belief;
pub mod fund;
pub mod ideas;
pub mod market;
pub mod risk;
pub mod rng;

use std::ops::Range;

use rayon::prelude::*;

use crate::metrics::Outcome;
use crate::model::Scenario;
pub use fund::{Project, Run, Status};
pub use ideas::IdeaSet;

/// Outcomes of a batch of portfolios: `outcomes[model][i]` is portfolio `first + i`.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Index of the first portfolio in the batch.
    pub first: u64,
    /// Model names, in scenario order.
    pub models: Vec<String>,
    /// Per model, one outcome per portfolio in order.
    pub outcomes: Vec<Vec<Outcome>>,
    /// Every idea started, by model, then portfolio, then idea; empty unless asked for
    /// (see [`Detail`]).
    pub projects: Vec<ProjectRecord>,
}

/// One started idea of one portfolio under one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    /// Portfolio index.
    pub portfolio: u64,
    /// Index of the model in the scenario.
    pub model: usize,
    /// What happened to the idea.
    pub project: Project,
}

/// How much a batch keeps besides the portfolio outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Outcomes only.
    Outcomes,
    /// Outcomes and one record per started idea (memory grows with ideas started).
    Projects,
}

/// Largest number of stages of any model (the per-stage draws each idea needs).
fn max_stages(s: &Scenario) -> usize {
    s.models.iter().map(|m| m.stages.len()).max().unwrap_or(0)
}

/// Runs portfolio `p` under every model, with full per-idea detail.
pub fn run_portfolio(s: &Scenario, p: u64) -> Vec<Run> {
    run_portfolio_detail(s, p, Detail::Projects)
}

/// As [`run_portfolio`], keeping per-idea detail only when `detail` asks for it.
fn run_portfolio_detail(s: &Scenario, p: u64, detail: Detail) -> Vec<Run> {
    let ideas = IdeaSet::draw(s, p, max_stages(s));
    s.models
        .iter()
        .map(|m| fund::simulate_detail(s, m, &ideas, p, detail))
        .collect()
}

/// The comparison a study leads with when none is named: runs every model on portfolios
/// `0..portfolios` and returns (strongest baseline, best challenger) by mean net value
/// ([`crate::model::headline_pair`]), as a run's report compares them.
pub fn headline_pair(
    s: &Scenario,
    portfolios: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> (usize, usize) {
    let r = run_with_progress(s, 0..portfolios, Detail::Outcomes, progress);
    let mean = |m: usize| {
        let net = r.outcomes[m]
            .iter()
            .map(|o| o.get(crate::metrics::Metric::NetValue));
        net.sum::<f64>() / r.outcomes[m].len().max(1) as f64
    };
    crate::model::headline_pair(&s.models, mean)
}

/// Runs portfolios `range` in parallel on the current rayon pool. The result depends
/// only on the scenario and the range, never on the number of threads.
pub fn run(s: &Scenario, range: Range<u64>) -> Results {
    run_with_progress(s, range, Detail::Outcomes, &|_| {})
}

/// As [`run`], calling `progress(n)` as each batch of `n` portfolios completes.
pub fn run_with_progress(
    s: &Scenario,
    range: Range<u64>,
    detail: Detail,
    progress: &(dyn Fn(u64) + Sync),
) -> Results {
    type Row = (Vec<Outcome>, Vec<Vec<Project>>);
    let per_portfolio: Vec<Row> = range
        .clone()
        .into_par_iter()
        .map(|p| {
            let runs = run_portfolio_detail(s, p, detail);
            progress(1);
            runs.into_iter()
                .map(|r| {
                    let started = r.projects.into_iter().filter(|p| p.stages_entered > 0);
                    (r.outcome, started.collect())
                })
                .unzip()
        })
        .collect();
    let mut by_model: Vec<Vec<ProjectRecord>> = s.models.iter().map(|_| Vec::new()).collect();
    let mut outcomes: Vec<Vec<Outcome>> = s
        .models
        .iter()
        .map(|_| Vec::with_capacity(per_portfolio.len()))
        .collect();
    for (i, (row, projects)) in per_portfolio.into_iter().enumerate() {
        for (m, o) in row.into_iter().enumerate() {
            outcomes[m].push(o);
        }
        for (m, list) in projects.into_iter().enumerate() {
            by_model[m].extend(list.into_iter().map(|project| ProjectRecord {
                portfolio: range.start + i as u64,
                model: m,
                project,
            }));
        }
    }
    Results {
        first: range.start,
        models: s.models.iter().map(|m| m.name.clone()).collect(),
        outcomes,
        projects: by_model.into_iter().flatten().collect(),
    }
}
