//! The search itself: every candidate of a rung evaluated in every world on the same
//! seed, ranked (feasible first, then by worst-case regret), the best third carried to
//! the next rung with three times the portfolios; then the finalists and the scenario's
//! own rule re-run on a fresh seed with more portfolios, where the choice is made and
//! its gain over the own rule measured fund by fund.

use super::spec::{Constraint, Figure};
use super::{Plan, baselines};
use crate::analysis::stats::{self, Paired};
use crate::engine;
use crate::metrics::Metric;

/// Which part of the study an evaluation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The search, on the scenario's seed.
    Search,
    /// The re-evaluation of the finalists on a fresh seed.
    Fresh,
}

impl Phase {
    /// As written in optimise.csv.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Search => "search",
            Phase::Fresh => "fresh",
        }
    }
}

/// How a candidate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The scenario's own rule (candidate 0), when not chosen.
    Own,
    /// Dropped at some rung of the search.
    Eliminated,
    /// Re-run on the fresh seed, not chosen.
    Finalist,
    /// The recommended rule.
    Chosen,
}

impl Status {
    /// As written in optimise.csv.
    pub fn name(self) -> &'static str {
        match self {
            Status::Own => "own",
            Status::Eliminated => "eliminated",
            Status::Finalist => "finalist",
            Status::Chosen => "chosen",
        }
    }

    /// The status named `s` in optimise.csv.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Own,
            Status::Eliminated,
            Status::Finalist,
            Status::Chosen,
        ]
        .into_iter()
        .find(|x| x.name() == s)
    }
}

/// One candidate evaluated in one world.
#[derive(Debug, Clone, PartialEq)]
pub struct Eval {
    /// Candidate index (0: the scenario's own rule).
    pub candidate: usize,
    /// World index.
    pub world: usize,
    /// Search or fresh re-evaluation.
    pub phase: Phase,
    /// Rung of the search (None for the re-evaluation).
    pub rung: Option<usize>,
    /// Portfolios simulated and their seed.
    pub portfolios: u64,
    pub seed: u64,
    /// Mean of the objective metric over the funds, with its 95% CI.
    pub objective: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Each constraint's figure, in the plan's order.
    pub figures: Vec<f64>,
    /// Constraints broken (indexes).
    pub violated: Vec<usize>,
    /// Gap to the best feasible candidate of the same world, phase and rung, in the
    /// objective's units, never negative (NaN when none is feasible).
    pub regret: f64,
}

impl Eval {
    /// Every constraint met.
    pub fn feasible(&self) -> bool {
        self.violated.is_empty()
    }
}

/// What a world says of the choice, on the fresh seed.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldResult {
    /// The chosen rule's objective at the last rung it reached in the search.
    pub chosen_search: f64,
    /// The chosen rule's evaluation on the fresh seed.
    pub chosen: Eval,
    /// The scenario's own rule on the fresh seed.
    pub own: Eval,
    /// Chosen minus own, fund by fund on the fresh seed.
    pub gain: Paired,
}

/// What the study found about one constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintResult {
    /// The chosen and own rules' figures on the fresh seed (worst world).
    pub chosen: f64,
    pub own: f64,
    /// The chosen rule's distance inside the limit (worst world).
    pub slack: f64,
    /// Candidates with a better objective than the chosen rule at the first rung that
    /// broke this constraint there.
    pub ruled_out: usize,
    /// It ruled out the most such candidates (and at least one).
    pub binds: bool,
}

/// Everything a search found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every evaluation, in the order made.
    pub evals: Vec<Eval>,
    /// How each candidate ended.
    pub status: Vec<Status>,
    /// The recommended candidate.
    pub chosen: usize,
    /// Whether it meets every constraint in every world (when not, it is the candidate
    /// closest to doing so).
    pub feasible_found: bool,
    /// Per world, in the plan's order.
    pub worlds: Vec<WorldResult>,
    /// Per constraint, in the plan's order.
    pub constraints: Vec<ConstraintResult>,
}

/// One evaluation with the objective column (per fund) it came from.
struct Measured {
    eval: Eval,
    column: Vec<f64>,
}

/// Runs candidate `c` in world `w` with `portfolios` portfolios on `seed`.
fn evaluate(
    plan: &Plan,
    c: usize,
    w: usize,
    (phase, rung): (Phase, Option<usize>),
    (portfolios, seed): (u64, u64),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Measured, String> {
    let s = plan.scenario(c, w, portfolios, seed)?;
    let r = engine::run_with_progress(&s, 0..portfolios, engine::Detail::Outcomes, progress);
    let column = |m: usize, metric: Metric| -> Vec<f64> {
        r.outcomes[m].iter().map(|o| o.get(metric)).collect()
    };
    let objective = column(0, plan.objective);
    let summary = stats::summarize(&objective);
    let net = column(0, Metric::NetValue);
    let strongest = || -> Vec<f64> {
        // The baseline with the highest mean net value over these funds.
        let best = baselines(&s, 0)
            .into_iter()
            .map(|b| (b, column(b, Metric::NetValue)))
            .max_by(|a, b| stats::finite_mean(&a.1).total_cmp(&stats::finite_mean(&b.1)));
        best.map_or_else(|| vec![f64::NAN; net.len()], |(_, col)| col)
    };
    let figures: Vec<f64> = plan
        .constraints
        .iter()
        .map(|k| match k.figure {
            Figure::Mean(m) if m == plan.objective => summary.mean,
            Figure::Mean(m) => stats::finite_mean(&column(0, m)),
            Figure::LossProbability => stats::share(&net, |x| x < 0.0),
            Figure::WorseThanBaseline => {
                let base = strongest();
                let worse: Vec<f64> = net
                    .iter()
                    .zip(&base)
                    .map(|(a, b)| {
                        if a.is_finite() && b.is_finite() {
                            a - b
                        } else {
                            f64::NAN
                        }
                    })
                    .collect();
                stats::share(&worse, |d| d < 0.0)
            }
            Figure::NetValueP5 => {
                let mut v: Vec<f64> = net.iter().copied().filter(|x| x.is_finite()).collect();
                let [p5] = stats::quantiles_unsorted(&mut v, [0.05]);
                p5
            }
        })
        .collect();
    let violated = violations(&plan.constraints, &figures);
    Ok(Measured {
        eval: Eval {
            candidate: c,
            world: w,
            phase,
            rung,
            portfolios,
            seed,
            objective: summary.mean,
            ci_low: summary.ci_low,
            ci_high: summary.ci_high,
            figures,
            violated,
            regret: f64::NAN,
        },
        column: objective,
    })
}

/// The constraints `figures` break.
fn violations(constraints: &[Constraint], figures: &[f64]) -> Vec<usize> {
    constraints
        .iter()
        .zip(figures)
        .enumerate()
        .filter(|(_, (k, x))| k.slack(**x) < 0.0)
        .map(|(i, _)| i)
        .collect()
}

/// Fills the regrets of `group` (one phase and rung: every listed candidate in every
/// world) and returns the candidates in rank order: feasible in every world first, by
/// worst-case regret (smallest first); then the others by how far they are from their
/// limits; ties by candidate index. A feasible candidate's regret is its gap to the best
/// feasible one of its world; an infeasible one has none (NaN), unless no candidate is
/// feasible in that world, where every candidate's gap to the best of them counts (so
/// that such a world still weighs in the worst case).
fn rank(plan: &Plan, group: &mut [Eval]) -> Vec<usize> {
    let worlds = plan.worlds.len();
    for w in 0..worlds {
        let best_of = |feasible_only: bool| {
            group
                .iter()
                .filter(|e| e.world == w && (e.feasible() || !feasible_only))
                .map(|e| plan.direction.score(e.objective))
                .filter(|x| x.is_finite())
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let feasible_best = best_of(true);
        let (best, everyone) = if feasible_best.is_finite() {
            (feasible_best, false)
        } else {
            (best_of(false), true)
        };
        for e in group.iter_mut().filter(|e| e.world == w) {
            e.regret = if best.is_finite() && (everyone || e.feasible()) {
                (best - plan.direction.score(e.objective)).max(0.0)
            } else {
                f64::NAN
            };
        }
    }
    // Each candidate's key in one pass over the group: (breaks a limit somewhere, then
    // its worst regret if it does not, else how far it is outside its limits, each
    // constraint's shortfall relative to the limit).
    let n = plan.candidates.len();
    let mut present = vec![false; n];
    let mut feasible = vec![true; n];
    let mut worst_regret = vec![0.0f64; n];
    let mut shortfall = vec![0.0f64; n];
    for e in group.iter() {
        let c = e.candidate;
        present[c] = true;
        feasible[c] &= e.feasible();
        // NaN only where it breaks a limit, which `feasible` already ranks last.
        let regret = if e.regret.is_nan() {
            f64::INFINITY
        } else {
            e.regret
        };
        worst_regret[c] = worst_regret[c].max(regret);
        shortfall[c] += plan
            .constraints
            .iter()
            .zip(&e.figures)
            .map(|(k, &x)| (-k.slack(x)).max(0.0) / k.limit.abs().max(1e-9))
            .sum::<f64>();
    }
    let key = |c: usize| {
        let second = if feasible[c] {
            worst_regret[c]
        } else {
            shortfall[c]
        };
        (!feasible[c], second)
    };
    let mut ids: Vec<usize> = (0..n).filter(|&c| present[c]).collect();
    ids.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
    });
    ids
}

/// Runs the search of `plan` on the current rayon pool. `progress(n)` is called per
/// portfolio simulated, `note(line)` after each candidate with the best so far. Every
/// candidate is checked in every world before anything runs.
pub fn run(
    plan: &Plan,
    progress: &(dyn Fn(u64) + Sync),
    note: &dyn Fn(&str),
) -> Result<Outcome, String> {
    for c in 0..plan.candidates.len() {
        for w in 0..plan.worlds.len() {
            plan.scenario(c, w, 1, plan.search_seed)?;
        }
    }
    let worlds = plan.worlds.len();
    let mut evals: Vec<Eval> = Vec::new();
    let mut alive: Vec<usize> = (0..plan.candidates.len()).collect();
    let mut last_rung = vec![0usize; plan.candidates.len()];
    let total = plan.search_runs();
    let mut done = 0u64;
    for (r, rung) in plan.rungs.iter().enumerate() {
        let mut group = Vec::with_capacity(alive.len() * worlds);
        // The best feasible objective of this rung in the first world, as it grows.
        let mut best: Option<f64> = None;
        for &c in &alive {
            for w in 0..worlds {
                let m = evaluate(
                    plan,
                    c,
                    w,
                    (Phase::Search, Some(r)),
                    (rung.portfolios, plan.search_seed),
                    progress,
                )?;
                if w == 0
                    && m.eval.feasible()
                    && best.is_none_or(|b| {
                        plan.direction.score(m.eval.objective) > plan.direction.score(b)
                    })
                {
                    best = Some(m.eval.objective);
                }
                group.push(m.eval);
                done += 1;
            }
            last_rung[c] = r;
            note(&format!(
                "rung {}/{}, run {done}/{total}: best feasible so far {}",
                r + 1,
                plan.rungs.len(),
                best.map_or("none yet".into(), crate::scenario::fields::number)
            ));
        }
        let order = rank(plan, &mut group);
        evals.extend(group);
        let keep = plan
            .rungs
            .get(r + 1)
            .map_or(plan.finalists, |next| next.candidates);
        alive = order.into_iter().take(keep).collect();
    }
    // The re-evaluation: the finalists and the scenario's own rule, fresh seed.
    let mut fresh_ids = alive.clone();
    if !fresh_ids.contains(&0) {
        fresh_ids.push(0);
    }
    let mut group = Vec::new();
    let mut columns = Vec::new();
    for &c in &fresh_ids {
        for w in 0..worlds {
            let m = evaluate(
                plan,
                c,
                w,
                (Phase::Fresh, None),
                (plan.final_portfolios, plan.fresh_seed),
                progress,
            )?;
            group.push(m.eval);
            columns.push(m.column);
        }
        note(&format!("fresh seed: candidate {c} re-run"));
    }
    // The own rule is there for the comparison; it may be chosen only if it was a finalist.
    let order: Vec<usize> = rank(plan, &mut group)
        .into_iter()
        .filter(|c| alive.contains(c))
        .collect();
    let chosen = order.first().copied().unwrap_or(0);
    let at = |c: usize, w: usize| {
        group
            .iter()
            .position(|e| e.candidate == c && e.world == w)
            .unwrap_or(0)
    };
    let better = match plan.direction {
        super::spec::Direction::Maximise => crate::metrics::Better::Higher,
        super::spec::Direction::Minimise => crate::metrics::Better::Lower,
    };
    let world_results: Vec<WorldResult> = (0..worlds)
        .map(|w| {
            let (ci, oi) = (at(chosen, w), at(0, w));
            let chosen_search = evals
                .iter()
                .find(|e| {
                    e.candidate == chosen && e.world == w && e.rung == Some(last_rung[chosen])
                })
                .map_or(f64::NAN, |e| e.objective);
            WorldResult {
                chosen_search,
                chosen: group[ci].clone(),
                own: group[oi].clone(),
                gain: stats::paired_moments(&columns[ci], &columns[oi], better),
            }
        })
        .collect();
    let feasible_found = world_results.iter().all(|r| r.chosen.feasible());
    let constraints = constraint_results(plan, &evals, &world_results, chosen);
    let mut status: Vec<Status> = (0..plan.candidates.len())
        .map(|c| {
            if c == 0 {
                Status::Own
            } else if alive.contains(&c) {
                Status::Finalist
            } else {
                Status::Eliminated
            }
        })
        .collect();
    status[chosen] = Status::Chosen;
    evals.extend(group);
    Ok(Outcome {
        evals,
        status,
        chosen,
        feasible_found,
        worlds: world_results,
        constraints,
    })
}

/// Each constraint's figures for the chosen and own rules (worst world, fresh seed),
/// and how many candidates better than the chosen one at the first rung it ruled out.
fn constraint_results(
    plan: &Plan,
    evals: &[Eval],
    worlds: &[WorldResult],
    chosen: usize,
) -> Vec<ConstraintResult> {
    // The first rung's evaluations by (candidate, world): every candidate runs there.
    let nw = plan.worlds.len();
    let mut first: Vec<Option<&Eval>> = vec![None; plan.candidates.len() * nw];
    for e in evals.iter().filter(|e| e.rung == Some(0)) {
        first[e.candidate * nw + e.world] = Some(e);
    }
    let mut out: Vec<ConstraintResult> = plan
        .constraints
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let worst = |pick: &dyn Fn(&WorldResult) -> &Eval| {
                worlds
                    .iter()
                    .map(|r| pick(r).figures[i])
                    .min_by(|a, b| k.slack(*a).total_cmp(&k.slack(*b)))
                    .unwrap_or(f64::NAN)
            };
            let chosen_value = worst(&|r| &r.chosen);
            let ruled_out = (0..plan.candidates.len())
                .filter(|&c| c != chosen)
                .filter(|&c| {
                    (0..nw).any(|w| match (first[c * nw + w], first[chosen * nw + w]) {
                        (Some(e), Some(mine)) => {
                            plan.direction.score(e.objective) > plan.direction.score(mine.objective)
                                && e.violated.contains(&i)
                        }
                        _ => false,
                    })
                })
                .count();
            ConstraintResult {
                chosen: chosen_value,
                own: worst(&|r| &r.own),
                slack: k.slack(chosen_value),
                ruled_out,
                binds: false,
            }
        })
        .collect();
    if let Some(max) = out.iter().map(|c| c.ruled_out).max().filter(|&m| m > 0)
        && let Some(b) = out.iter_mut().find(|c| c.ruled_out == max)
    {
        b.binds = true;
    }
    out
}
