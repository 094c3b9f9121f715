//! The Monte Carlo engine: portfolios in parallel (rayon), each running every funding
//! model on the same ideas and risk draws, so model comparisons are paired.

pub mod belief;
pub mod fund;
pub mod ideas;
pub mod interval;
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

/// As [`run_portfolio`], keeping per-idea detail only when `detail` asks for it (a run
/// asks for [`Detail::Outcomes`] unless its project table is wanted).
pub fn run_portfolio_detail(s: &Scenario, p: u64, detail: Detail) -> Vec<Run> {
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
    // Summed in portfolio order, batch by batch, as the run's summary sums them.
    let mut sums = vec![0.0; s.models.len()];
    let mut sink = |r: Results| {
        for (sum, outs) in sums.iter_mut().zip(&r.outcomes) {
            for o in outs {
                *sum += o.get(crate::metrics::Metric::NetValue);
            }
        }
        Ok::<_, std::convert::Infallible>(Flow::Continue)
    };
    if let Err(never) = stream(s, 0..portfolios, Detail::Outcomes, progress, &mut sink) {
        match never {}
    }
    crate::model::headline_pair(&s.models, |m| sums[m] / portfolios.max(1) as f64)
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
    let mut outcomes: Vec<Vec<Outcome>> = s
        .models
        .iter()
        .map(|_| Vec::with_capacity(per_portfolio.len()))
        .collect();
    // Projects in portfolio, then model, then idea order: the order is the same however
    // the portfolios are cut into batches or shards.
    let mut projects = Vec::new();
    for (i, (row, started)) in per_portfolio.into_iter().enumerate() {
        for (m, o) in row.into_iter().enumerate() {
            outcomes[m].push(o);
        }
        for (m, list) in started.into_iter().enumerate() {
            projects.extend(list.into_iter().map(|project| ProjectRecord {
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
        projects,
    }
}

/// Portfolios per batch of a streamed run. Fixed, and batches start at multiples of
/// it, so batch boundaries (and the row groups of the Parquet files written batch by
/// batch) depend neither on the thread count nor on where a shard starts.
pub const BATCH: u64 = 4096;

/// What a run does after a batch: go on, or stop with the portfolios it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Simulate the next batch.
    Continue,
    /// Stop: the batches handed over so far are the run.
    Stop,
}

/// The batches of `range`: cut at multiples of [`BATCH`].
pub fn batches(range: Range<u64>) -> impl Iterator<Item = Range<u64>> {
    let mut start = range.start;
    std::iter::from_fn(move || {
        (start < range.end).then(|| {
            let end = ((start / BATCH + 1) * BATCH).min(range.end);
            let r = start..end;
            start = end;
            r
        })
    })
}

/// Runs `range` batch by batch on the current rayon pool and hands each batch, in
/// portfolio order, to `sink`, which runs while the next batch is simulated. Stops at
/// the end of the range, when `sink` says [`Flow::Stop`] (a batch simulated meanwhile
/// is dropped), or at its first error. Memory holds at most two batches of outcomes.
pub fn stream<E: Send>(
    s: &Scenario,
    range: Range<u64>,
    detail: Detail,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut (dyn FnMut(Results) -> Result<Flow, E> + Send),
) -> Result<(), E> {
    let mut ranges = batches(range);
    let mut pending: Option<Results> = None;
    loop {
        let next = ranges.next();
        let (simulated, flow) = rayon::join(
            || next.map(|r| run_with_progress(s, r, detail, progress)),
            || pending.take().map_or(Ok(Flow::Continue), &mut *sink),
        );
        if flow? == Flow::Stop {
            return Ok(());
        }
        match simulated {
            Some(r) => pending = Some(r),
            None => return Ok(()),
        }
    }
}
