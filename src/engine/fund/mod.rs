//! One portfolio under one funding model: a pure function of (scenario, model, ideas,
//! keyed counters). The event loop lives here; the ledger ([`ledger`]), what is known of
//! each idea ([`track`]), the funding rules ([`rules`]), starting a stage ([`start`])
//! and the metrics at the horizon ([`outcome`]) each have a module of their own.

mod events;
mod ledger;
mod outcome;
pub mod rules;
mod screen;
mod stage_end;
mod start;
mod track;

use std::cell::RefCell;
use std::ops::Range;

use events::{EventKind, Queue};
use ledger::{Ledger, Payment};
pub use outcome::{Project, Run};
use rules::{Candidate, Forecast, Outlook, StageForecast};
use screen::Screen;
use track::Track;
pub use track::{Scope, Status};

use super::Detail;
use super::ideas::IdeaSet;
use super::market::{Award, Skips};
use crate::model::{Commitment, CostBasis, FundingModel, Scenario};

/// The state of one portfolio run.
struct Sim<'a> {
    s: &'a Scenario,
    m: &'a FundingModel,
    ideas: &'a IdeaSet,
    /// The scenario's constants for risk draws and reference-class forecasts (kept per
    /// thread: built once).
    forecast: Forecast,
    /// The market's geometric skips between bidders (kept per thread: built once).
    skips: Skips,
    tracks: Vec<Track>,
    events: Queue,
    ledger: Ledger,
    /// Ideas held at a gate for money, in the order they were held, each as the
    /// candidate it was when held: a held idea's case does not change while it waits
    /// (nothing it is built from moves), so it is not weighed again.
    held: Vec<Candidate>,
    /// Ideas entering and killed after each stage.
    entered: Vec<u32>,
    killed: Vec<u32>,
    /// Value releases: (month, dollars), for the time series.
    releases: Vec<(f64, f64)>,
    /// Reused buffers of `try_start`: (award, competed, switching, commitment) per
    /// attempt, and the vendors already on the idea.
    scratch_awards: Vec<(Award, bool, f64, f64)>,
    scratch_taken: Vec<usize>,
    /// Reused buffers: bidders in a competition, and a decision's candidates.
    scratch_bidders: Vec<usize>,
    scratch_candidates: Vec<Candidate>,
    /// Reused buffers of `finish`: spend per idea and per vendor, and its difference
    /// array per month.
    scratch_finish: outcome::Scratch,
    /// Reference-class forecasts of every stage of each idea weighed so far (`stages`
    /// entries per idea, in the order first weighed; empty under a planned cost basis),
    /// and where each idea's begin ([`NOT_FORECAST`] until it is first weighed).
    stage_forecasts: Vec<StageForecast>,
    forecast_at: Vec<u32>,
    /// Under a reference-class cost basis, bounds that turn away new ideas that could
    /// not pass without forecasting them (kept per thread).
    screen: Option<Screen>,
    /// Whether `finish` lists every idea (only asked for by tests and `--projects`).
    keep_projects: bool,
}

/// The vectors of a run that do not outlive it, kept per thread and reused by the next
/// run (rayon runs thousands of portfolios per thread), so that a run allocates only
/// what it returns.
#[derive(Default)]
struct Workspace {
    tracks: Vec<Track>,
    events: Queue,
    payments: Vec<Payment>,
    held: Vec<Candidate>,
    releases: Vec<(f64, f64)>,
    scratch_awards: Vec<(Award, bool, f64, f64)>,
    scratch_taken: Vec<usize>,
    scratch_bidders: Vec<usize>,
    scratch_candidates: Vec<Candidate>,
    scratch_finish: outcome::Scratch,
    stage_forecasts: Vec<StageForecast>,
    forecast_at: Vec<u32>,
    skips: Option<Skips>,
    forecast: Option<Forecast>,
    /// Screens of the models run on this thread under the forecast's scenario
    /// constants, most recent last.
    screens: Vec<Screen>,
    /// Runs forecast every new idea, screening none (tests compare the two).
    unscreened: bool,
}

/// Screens a thread keeps (one per reference-class model of the scenarios it runs).
const SCREENS_KEPT: usize = 4;

/// An idea whose stages have not been forecast (see `Sim::forecast_at`).
const NOT_FORECAST: u32 = u32::MAX;

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

/// Runs one portfolio under one funding model, with per-idea detail. `ideas` must come
/// from `IdeaSet::draw(s, portfolio, ..)`; if it holds fewer per-stage draws than the
/// model has stages, the ideas are drawn again with enough.
pub fn simulate(s: &Scenario, m: &FundingModel, ideas: &IdeaSet, portfolio: u64) -> Run {
    simulate_detail(s, m, ideas, portfolio, Detail::Projects)
}

/// As [`simulate`]; with [`Detail::Outcomes`] `Run::projects` is left empty.
pub fn simulate_detail(
    s: &Scenario,
    m: &FundingModel,
    ideas: &IdeaSet,
    portfolio: u64,
    detail: Detail,
) -> Run {
    let redrawn;
    let ideas = if ideas.stages() < m.stages.len() {
        redrawn = IdeaSet::draw(s, portfolio, m.stages.len());
        &redrawn
    } else {
        ideas
    };
    WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut ws) => run_in(s, m, ideas, detail, &mut ws),
        // Only reachable were a run to start another on its own thread.
        Err(_) => run_in(s, m, ideas, detail, &mut Workspace::default()),
    })
}

/// [`simulate_detail`] with the buffers of `ws`, which get them back afterwards.
fn run_in(
    s: &Scenario,
    m: &FundingModel,
    ideas: &IdeaSet,
    detail: Detail,
    ws: &mut Workspace,
) -> Run {
    let mut tracks = std::mem::take(&mut ws.tracks);
    tracks.truncate(ideas.ideas.len());
    for (tr, idea) in tracks.iter_mut().zip(&ideas.ideas) {
        tr.reset(idea.belief);
    }
    let reused = tracks.len();
    tracks.extend(
        ideas.ideas[reused..]
            .iter()
            .map(|idea| Track::new(idea.belief)),
    );
    let mut events = std::mem::take(&mut ws.events);
    events.clear();
    let n = m.stages.len();
    let forecast = match ws.forecast.take() {
        Some(f) if f.fits(s) => f,
        _ => {
            // Screens are bounds on the old constants' forecasts.
            ws.screens.clear();
            Forecast::new(s)
        }
    };
    let screen = (m.cost_basis == CostBasis::ReferenceClass && !ws.unscreened).then(|| {
        match ws.screens.iter().position(|sc| sc.fits(m)) {
            Some(i) => ws.screens.remove(i),
            None => Screen::new(m),
        }
    });
    let mut sim = Sim {
        s,
        m,
        ideas,
        forecast,
        skips: match ws.skips.take() {
            Some(mut skips) => {
                skips.rebuild(&s.vendors);
                skips
            }
            None => Skips::new(&s.vendors),
        },
        tracks,
        events,
        ledger: Ledger::new(s.fund.budget, std::mem::take(&mut ws.payments)),
        held: cleared(&mut ws.held),
        entered: vec![0; n],
        killed: vec![0; n],
        releases: cleared(&mut ws.releases),
        scratch_awards: std::mem::take(&mut ws.scratch_awards),
        scratch_taken: std::mem::take(&mut ws.scratch_taken),
        scratch_bidders: std::mem::take(&mut ws.scratch_bidders),
        scratch_candidates: std::mem::take(&mut ws.scratch_candidates),
        scratch_finish: std::mem::take(&mut ws.scratch_finish),
        stage_forecasts: cleared(&mut ws.stage_forecasts),
        forecast_at: {
            let mut at = cleared(&mut ws.forecast_at);
            at.resize(ideas.ideas.len(), NOT_FORECAST);
            at
        },
        screen,
        keep_projects: detail == Detail::Projects,
    };
    if !ideas.ideas.is_empty() {
        sim.events.push(0.0, EventKind::Intake, 0, 0);
    }
    let horizon = s.simulation.horizon_months;
    while let Some(e) = sim.events.pop() {
        let time = e.time();
        if time >= horizon {
            break;
        }
        let target = e.target as usize;
        match e.kind() {
            EventKind::Intake => sim.intake(time, target),
            EventKind::ContractEnd => {
                sim.contract_end(time, target, e.slot);
                // Money came back: ideas waiting at a gate get another chance.
                if sim.held_may_move() {
                    sim.decide(time, 0..0, false);
                }
            }
            EventKind::Gate => sim.decide(time, target..target + 1, false),
        }
    }
    let run = sim.finish();
    let mut screens = std::mem::take(&mut ws.screens);
    if let Some(screen) = sim.screen {
        if screens.len() >= SCREENS_KEPT {
            screens.remove(0);
        }
        screens.push(screen);
    }
    *ws = Workspace {
        tracks: sim.tracks,
        events: sim.events,
        payments: sim.ledger.payments,
        held: sim.held,
        releases: sim.releases,
        scratch_awards: sim.scratch_awards,
        scratch_taken: sim.scratch_taken,
        scratch_bidders: sim.scratch_bidders,
        scratch_candidates: sim.scratch_candidates,
        scratch_finish: sim.scratch_finish,
        stage_forecasts: sim.stage_forecasts,
        forecast_at: sim.forecast_at,
        skips: Some(sim.skips),
        forecast: Some(sim.forecast),
        screens,
        unscreened: ws.unscreened,
    };
    run
}

/// The vector in `v`, emptied.
fn cleared<T>(v: &mut Vec<T>) -> Vec<T> {
    let mut out = std::mem::take(v);
    out.clear();
    out
}

impl Sim<'_> {
    /// Attempts stage `k` of idea `id` funds: the stage's number, at most the attempts
    /// alive (validation keeps stages' numbers from growing; a gate only narrows them).
    fn attempts_in(&self, id: usize, k: usize) -> usize {
        match self.tracks[id].attempts.len() {
            0 => self.m.stages[k].attempts,
            alive => self.m.stages[k].attempts.min(alive),
        }
    }

    /// Intake round `round`: its ideas (contiguous ids) arrive and are decided on.
    fn intake(&mut self, t: f64, round: usize) {
        let per = self.s.fund.ideas_per_round as usize;
        let first = round * per;
        let last = (first + per).min(self.ideas.ideas.len());
        for tr in &mut self.tracks[first..last] {
            tr.arrived = true;
        }
        if let Some(next) = self.ideas.ideas.get(last) {
            self.events
                .push(next.arrival, EventKind::Intake, round + 1, 0);
        }
        self.decide(t, first..last, true);
    }

    /// Forecasts idea `id`'s stages by reference class, the first time it is weighed
    /// under a model that uses them: fixed for the idea, and only worked out for ideas
    /// the fund could start.
    fn forecast(&mut self, id: usize) {
        if self.m.cost_basis != CostBasis::ReferenceClass || self.forecast_at[id] != NOT_FORECAST {
            return;
        }
        // Validation keeps ideas times stages far below 2^32.
        self.forecast_at[id] = self.stage_forecasts.len() as u32;
        let idea = &self.ideas.ideas[id];
        rules::stage_forecasts(
            self.s,
            &self.forecast,
            self.m,
            idea.cost,
            idea.duration,
            &mut self.stage_forecasts,
        );
    }

    /// Whether new idea `id` surely fails its hurdle under a reference-class forecast,
    /// by the model's screen (screen.rs): then it is turned away without one.
    fn ruled_out(&mut self, id: usize) -> bool {
        let Some(screen) = self.screen.as_mut() else {
            return false;
        };
        let tr = &self.tracks[id];
        if self.forecast_at[id] != NOT_FORECAST {
            return false;
        }
        debug_assert!(tr.stage == 0 && tr.attempts.is_empty(), "a new idea");
        let idea = &self.ideas.ideas[id];
        screen.rules_out(
            self.s,
            &self.forecast,
            idea.cost,
            idea.duration,
            // The case's value, as `case` works it out.
            (1.0 - tr.released) * idea.expected_value,
            tr.cost_ratio(),
            self.m.stages[0].hurdle,
        )
    }

    /// The case for idea `id` at the stage it is to enter (rules.rs); its stages are
    /// forecast already ([`Sim::forecast`]).
    fn case(&self, id: usize) -> rules::Case {
        let tr = &self.tracks[id];
        let idea = &self.ideas.ideas[id];
        let outlook = Outlook {
            // Until its first stage ends nothing has changed the belief it arrived with.
            expected_value: if tr.continuing() {
                tr.expected_value(self.s.ideas.solution_sd)
            } else {
                idea.expected_value
            },
            released: tr.released,
            cost_ratio: tr.cost_ratio(),
            cost: idea.cost,
            duration: idea.duration,
        };
        let stages = match self.forecast_at[id] {
            NOT_FORECAST => &[],
            at => {
                let at = at as usize;
                &self.stage_forecasts[at..at + self.m.stages.len()]
            }
        };
        rules::case(self.s, self.m, tr.stage, &outlook, stages, |j| {
            self.attempts_in(id, j)
        })
    }

    /// A decision point: `fresh` ideas (new arrivals, or one idea at its gate: ids are
    /// contiguous) plus every
    /// idea held for money are checked against their hurdle, put in funding order
    /// (rules.rs) and funded in that order while money lasts. `intake` marks an intake
    /// round, where the model's cap on new starts applies.
    fn decide(&mut self, t: f64, fresh: Range<usize>, intake: bool) {
        let mut candidates = std::mem::take(&mut self.scratch_candidates);
        candidates.clear();
        // Held ideas passed their hurdle when held and their case has not changed since.
        candidates.append(&mut self.held);
        // The most money this decision could have for a new idea: what is available now
        // and every reserve a held idea could give back (by waiting under a stage
        // commitment, or by being dropped); a start only takes money. A new idea whose
        // cheapest start is beyond that is turned away whatever its case, so its case
        // is not worked out: nothing else depends on it. (The slack, a dollar plus a
        // millionth of the budget, covers rounding in the ledger's sums many times over:
        // each sum is off by a few units in the 16th digit of the budget at most.)
        // New ideas are fresh only at an intake; elsewhere nothing is turned away here.
        let ceiling = if intake {
            self.ledger.available()
                + candidates
                    .iter()
                    .map(|c| self.tracks[c.id].reserve)
                    .sum::<f64>()
                + 1.0
                + 1e-6 * self.ledger.budget.abs()
        } else {
            f64::INFINITY
        };
        for id in fresh {
            // So is a new idea the model's screen shows to fail its hurdle whatever its
            // reference-class forecast (screen.rs): it is not forecast.
            if !self.tracks[id].continuing()
                && (self.start_bound(id) > ceiling || self.ruled_out(id))
            {
                self.tracks[id].status = Status::Rejected;
                continue;
            }
            self.forecast(id);
            let case = self.case(id);
            let tr = &self.tracks[id];
            let k = tr.stage;
            if case.passes(self.m.stages[k].hurdle) {
                candidates.push(Candidate {
                    priority: case.priority(self.m.selection),
                    id,
                    continuing: tr.continuing(),
                });
            } else if !tr.continuing() {
                self.tracks[id].status = Status::Rejected;
            } else {
                self.killed[k - 1] += 1;
                self.end(id, Status::Killed(k - 1));
            }
        }
        rules::order(self.m.pipeline, &mut candidates);
        let mut starts_left = if intake {
            rules::starts_allowed(self.m)
        } else {
            u32::MAX
        };
        let mut blocked = false;
        for &candidate in &candidates {
            let id = candidate.id;
            if !self.tracks[id].continuing() {
                if !blocked && starts_left > 0 && self.try_start(t, id).is_ok() {
                    starts_left -= 1;
                } else {
                    self.tracks[id].status = Status::Rejected;
                }
                continue;
            }
            // A held idea whose known need is still not there waits without competing
            // its contracts again.
            let need = self.tracks[id].need;
            let waiting = blocked || need > self.ledger.available() + 1e-9;
            let outcome = if waiting {
                Err(need)
            } else {
                self.try_start(t, id)
            };
            let Err(need) = outcome else {
                continue;
            };
            self.tracks[id].need = need;
            if need > self.ledger.ever_available() + 1e-9 {
                // It needs more than the fund could ever free: waiting is pointless.
                let k = self.tracks[id].stage;
                self.end(id, Status::Dropped(k - 1));
            } else {
                self.hold(candidate);
                blocked |= rules::blocks(self.m.pipeline);
            }
        }
        self.scratch_candidates = candidates;
    }

    /// Holds idea `id` at its gate for money. Under a stage commitment its reserve goes
    /// back to the fund: an idea that waits has no better claim than the funding order
    /// gives it, and reserves kept by ideas that all wait would block one another.
    fn hold(&mut self, candidate: Candidate) {
        let tr = &mut self.tracks[candidate.id];
        if self.m.commitment == Commitment::Stage {
            self.ledger.open -= tr.reserve;
            // What it needs from the fund now includes what it gave back.
            tr.need += tr.reserve;
            tr.reserve = 0.0;
        }
        tr.status = Status::Held;
        tr.was_held = true;
        self.held.push(candidate);
    }

    /// Whether a decision with no fresh ideas could change anything for the held ones:
    /// some held idea's known need is now there, or has passed what the fund could ever
    /// free (it is dropped). Otherwise every held idea would wait again exactly as it
    /// is, so the decision is skipped.
    fn held_may_move(&self) -> bool {
        let (available, ever) = (self.ledger.available(), self.ledger.ever_available());
        self.held.iter().any(|c| {
            let need = self.tracks[c.id].need;
            // As `decide` tests them: it waits while its need is above what is
            // available, and is dropped once it is above what could ever be (an unknown
            // need, never held, would be tried).
            let waits = need > available + 1e-9;
            let dropped = need > ever + 1e-9;
            !waits || dropped
        })
    }

    /// Ends an idea and frees its unused reserve.
    fn end(&mut self, id: usize, status: Status) {
        let tr = &mut self.tracks[id];
        self.ledger.open -= tr.reserve;
        tr.reserve = 0.0;
        tr.status = status;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screening_new_ideas_changes_no_run() {
        // Every model under a reference-class cost basis, across risk, market, delay
        // and attempt variations: each run with the screen is the run without it.
        let mut screened = 0;
        for (v, s) in screen::tests::scenarios().iter().enumerate() {
            let stages = s.models.iter().map(|m| m.stages.len()).max().unwrap_or(0);
            let mut on = Workspace::default();
            let mut off = Workspace {
                unscreened: true,
                ..Workspace::default()
            };
            for p in 0..40 {
                let ideas = IdeaSet::draw(s, p, stages);
                for m in &s.models {
                    let a = run_in(s, m, &ideas, Detail::Projects, &mut on);
                    let b = run_in(s, m, &ideas, Detail::Projects, &mut off);
                    // (Debug text: NaN metrics compare equal there.)
                    assert_eq!(
                        format!("{a:?}"),
                        format!("{b:?}"),
                        "variant {v}, portfolio {p}, {}",
                        m.name
                    );
                    // Screened ideas are the ones never forecast.
                    let unforecast = |ws: &Workspace| {
                        ws.forecast_at
                            .iter()
                            .filter(|&&at| at == NOT_FORECAST)
                            .count()
                    };
                    screened += unforecast(&on) - unforecast(&off);
                }
            }
            assert!(
                off.screens.is_empty(),
                "a run without screening kept a screen"
            );
        }
        assert!(screened > 1000, "only {screened} ideas screened");
    }
}
