//! One portfolio under one funding model: a pure function of (scenario, model, ideas,
//! keyed streams). Events (intake rounds, contract ends, gate decisions) are processed
//! in time order in continuous time until the horizon.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Detail;
use super::belief::{Belief, Evidence};
use super::ideas::IdeaSet;
use super::market::{self, Award};
use super::risk;
use super::rng::{Purpose, attempt_key, stream};
use crate::metrics::{METRIC_COUNT, Metric, Outcome, StageOutcome};
use crate::model::{Commitment, FundingModel, Scenario, Selection};

/// How an idea stands at the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Arrived but never funded (failed the hurdle or found no money at intake).
    Rejected,
    /// Working on a stage.
    Running,
    /// Between stages: waiting for the gate decision.
    AtGate,
    /// Passed its gate but waiting for money.
    Held,
    /// Completed its last stage.
    Delivered,
    /// Stopped at the gate after this stage.
    Killed(usize),
    /// A contract of this stage passed the escalation cap.
    Cancelled(usize),
}

impl Status {
    /// Still in progress at the horizon.
    pub fn is_running(self) -> bool {
        matches!(self, Status::Running | Status::AtGate | Status::Held)
    }
}

/// Per-idea detail of one run (for tests, invariants and per-project outputs).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Idea id.
    pub id: u32,
    /// State at the horizon.
    pub status: Status,
    /// Stages entered.
    pub stages_entered: usize,
    /// Spend by the horizon, dollars.
    pub spend: f64,
    /// Delivered value (discounted), dollars.
    pub value: f64,
    /// Share of value released.
    pub released: f64,
    /// Meets a real need.
    pub fit: bool,
    /// Month the idea arrived.
    pub arrival: f64,
    /// Planned price of every contract awarded (work plus the vendor's markup), dollars.
    pub planned_cost: f64,
    /// What those contracts cost at completion, or at cancellation, dollars; for
    /// contracts still running at the horizon, what they will cost when they finish.
    pub actual_cost: f64,
    /// Planned months of the stages entered (parallel attempts count once).
    pub planned_months: f64,
    /// Months those stages take, each as long as its slowest attempt.
    pub actual_months: f64,
    /// Whether any of its contracts fell in the black-swan tail.
    pub black_swan: bool,
    /// Vendor of the leading attempt (best ranked at the last gate), if a contract was
    /// awarded.
    pub vendor: Option<usize>,
    /// Vendors funded in parallel in the last stage entered.
    pub attempts: usize,
}

/// Everything one run produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Metrics and stage counts.
    pub outcome: Outcome,
    /// Per-idea detail, for ideas that arrived (empty when run with [`Detail::Outcomes`]).
    pub projects: Vec<Project>,
    /// Spend beyond commitments that escalation forced (overruns past contingency),
    /// dollars: the only way spend may exceed the budget.
    pub escalation_excess: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKind {
    // Order matters at equal times: money comes back before it is handed out again.
    ContractEnd = 0,
    Gate = 1,
    Intake = 2,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    time: f64,
    kind: EventKind,
    seq: u64,
    target: usize,
    /// Attempt slot, for contract ends.
    slot: u32,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    // Reversed: BinaryHeap is a max-heap and we want the earliest event first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.time
            .total_cmp(&self.time)
            .then((o.kind as u8).cmp(&(self.kind as u8)))
            .then(o.seq.cmp(&self.seq))
    }
}

/// A payment: a contract paid evenly over [start, end], or an overhead paid at `start`.
#[derive(Debug, Clone, Copy)]
struct Payment {
    idea: usize,
    stage: usize,
    vendor: Option<usize>,
    amount: f64,
    start: f64,
    end: f64,
    overhead: bool,
    sole_source: bool,
    /// For contracts: (planned price, planned months, actual months), to measure overruns.
    contract: Option<(f64, f64, f64)>,
}

impl Payment {
    /// Amount paid by time `h`.
    fn paid_by(&self, h: f64) -> f64 {
        if self.start >= h {
            0.0
        } else if self.end <= h || self.end <= self.start {
            self.amount
        } else {
            self.amount * (h - self.start) / (self.end - self.start)
        }
    }
}

/// A running contract of one attempt.
#[derive(Debug, Clone)]
struct Contract {
    /// Money committed for it (price plus contingency), dollars.
    commit: f64,
    /// What it costs at its end, dollars.
    cost: f64,
    /// Passed the escalation cap: stops at the cap.
    cancelled: bool,
    /// Index of its payment.
    pay: usize,
}

/// One vendor's attempt at an idea. Most stages have one; a stage with parallel attempts
/// funds several, and the next gate keeps the best of them.
#[derive(Debug, Clone)]
struct Attempt {
    /// Keys the attempt's streams (slot 0 is the only attempt of single-vendor stages).
    slot: u32,
    /// Log of its solution quality: it is worth the idea's value times exp(this).
    log_quality: f64,
    vendor: Option<usize>,
    markup: f64,
    sole_source: bool,
    /// Contract costs booked so far (the base of switching costs).
    contract_spend: f64,
    /// Every stage signal on its log value so far (with a quality spread).
    evidence: Evidence,
    /// Rank at the gate, higher first: its log expected worth ln E[V q] given every
    /// signal when solutions differ in quality, else its latest signal.
    score: f64,
    cancelled: bool,
    contract: Option<Contract>,
}

#[derive(Debug, Clone)]
struct Track {
    status: Status,
    arrived: bool,
    /// Stage running, or (at a gate / held) the stage to enter next.
    stage: usize,
    stages_entered: usize,
    belief: Belief,
    planned_work: f64,
    actual_work: f64,
    released: f64,
    value: f64,
    first_value: Option<f64>,
    reserve: f64,
    replanned: f64,
    booked: f64,
    /// Attempts alive: funded in the current stage, or kept for the next one.
    attempts: Vec<Attempt>,
    /// Contracts of the current stage still running.
    pending: usize,
    /// Gate review money committed with the current stage, dollars.
    review_commit: f64,
    /// Vendors funded in the last stage entered.
    stage_attempts: usize,
    planned_cost: f64,
    actual_cost: f64,
    planned_months: f64,
    actual_months: f64,
    black_swan: bool,
    /// Vendor of the leading attempt (kept when attempts are cancelled).
    lead_vendor: Option<usize>,
}

struct Sim<'a> {
    s: &'a Scenario,
    m: &'a FundingModel,
    ideas: &'a IdeaSet,
    portfolio: u64,
    tracks: Vec<Track>,
    events: BinaryHeap<Event>,
    seq: u64,
    booked: f64,
    open: f64,
    excess: f64,
    payments: Vec<Payment>,
    largest_price: f64,
    entered: Vec<u32>,
    killed: Vec<u32>,
    /// Value releases: (month, dollars), for the time series.
    releases: Vec<(f64, f64)>,
    /// Reused buffers of `try_start`: (award, competed, switching, commitment) per
    /// attempt, and the vendors already on the idea.
    scratch_awards: Vec<(Award, bool, f64, f64)>,
    scratch_taken: Vec<usize>,
    /// Reused buffers: bidders in a competition, and the ideas a decision considers
    /// with their priorities.
    scratch_bidders: Vec<usize>,
    scratch_ranked: Vec<(f64, usize)>,
    /// Whether `finish` lists every idea (only asked for by tests and `--projects`).
    keep_projects: bool,
}

impl Track {
    /// What the decision maker expects the idea to be worth, dollars: E[V] before any
    /// attempt has results, else the expected worth of its leading attempt's solution
    /// given every signal (belief.rs), which counts the gain from keeping the best.
    fn expected_value(&self, quality_sd: f64) -> f64 {
        if quality_sd == 0.0 || self.attempts.is_empty() {
            return self.belief.expected_value();
        }
        let live = || self.attempts.iter().map(|a| &a.evidence);
        let post = self.belief.log_value_with(live(), quality_sd);
        live()
            .map(|e| self.belief.attempt_worth(post, e, quality_sd))
            .fold(0.0, f64::max)
    }
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
    let i = &s.ideas;
    let tracks = ideas
        .ideas
        .iter()
        .map(|idea| {
            let mut belief = Belief::prior(i.log_value_mean, i.log_value_sd, i.fit_probability);
            belief.observe(idea.signal0, i.business_case_noise);
            Track {
                status: Status::Rejected,
                arrived: false,
                stage: 0,
                stages_entered: 0,
                belief,
                planned_work: 0.0,
                actual_work: 0.0,
                released: 0.0,
                value: 0.0,
                first_value: None,
                reserve: 0.0,
                replanned: 0.0,
                booked: 0.0,
                attempts: Vec::new(),
                pending: 0,
                review_commit: 0.0,
                stage_attempts: 0,
                planned_cost: 0.0,
                actual_cost: 0.0,
                planned_months: 0.0,
                actual_months: 0.0,
                black_swan: false,
                lead_vendor: None,
            }
        })
        .collect();
    let n = m.stages.len();
    let mut sim = Sim {
        s,
        m,
        ideas,
        portfolio,
        tracks,
        events: BinaryHeap::new(),
        seq: 0,
        booked: 0.0,
        open: 0.0,
        excess: 0.0,
        payments: Vec::new(),
        largest_price: 0.0,
        entered: vec![0; n],
        killed: vec![0; n],
        releases: Vec::new(),
        scratch_awards: Vec::new(),
        scratch_taken: Vec::new(),
        scratch_bidders: Vec::new(),
        scratch_ranked: Vec::new(),
        keep_projects: detail == Detail::Projects,
    };
    if !ideas.ideas.is_empty() {
        sim.push(0.0, EventKind::Intake, 0);
    }
    let horizon = s.simulation.horizon_months;
    while let Some(e) = sim.events.pop() {
        if e.time >= horizon {
            break;
        }
        match e.kind {
            EventKind::Intake => sim.intake(e.time, e.target as u32),
            EventKind::ContractEnd => {
                sim.contract_end(e.time, e.target, e.slot);
                // Money came back: ideas waiting at a gate get another chance.
                if sim.tracks.iter().any(|t| t.status == Status::Held) {
                    sim.decide(e.time, &[]);
                }
            }
            EventKind::Gate => sim.decide(e.time, &[e.target]),
        }
    }
    sim.finish()
}

impl Sim<'_> {
    fn push(&mut self, time: f64, kind: EventKind, target: usize) {
        self.push_slot(time, kind, target, 0);
    }

    fn push_slot(&mut self, time: f64, kind: EventKind, target: usize, slot: u32) {
        self.seq += 1;
        self.events.push(Event {
            time,
            kind,
            seq: self.seq,
            target,
            slot,
        });
    }

    /// Attempts stage `k` of idea `id` funds: the stage's number, at most the attempts
    /// alive (validation keeps stages' numbers from growing; a gate only narrows them).
    fn attempts_in(&self, id: usize, k: usize) -> usize {
        match self.tracks[id].attempts.len() {
            0 => self.m.stages[k].attempts,
            alive => self.m.stages[k].attempts.min(alive),
        }
    }

    fn available(&self) -> f64 {
        self.s.fund.budget - self.booked - self.open
    }

    fn intake(&mut self, t: f64, round: u32) {
        let ids: Vec<usize> = self
            .ideas
            .ideas
            .iter()
            .filter(|i| i.round == round)
            .map(|i| i.id as usize)
            .collect();
        for &id in &ids {
            self.tracks[id].arrived = true;
        }
        let next = self.ideas.ideas.iter().find(|i| i.round == round + 1);
        if let Some(next) = next {
            self.push(next.arrival, EventKind::Intake, (round + 1) as usize);
        }
        self.decide(t, &ids);
    }

    /// Planned work cost of stages `from..`, scaled by the overrun seen so far.
    fn expected_remaining_cost(&self, id: usize, from: usize) -> f64 {
        let tr = &self.tracks[id];
        let ratio = if tr.planned_work > 0.0 {
            tr.actual_work / tr.planned_work
        } else {
            1.0
        };
        let cost = self.ideas.ideas[id].cost;
        ratio
            * (from..self.m.stages.len())
                .map(|k| self.m.stage_cost(k, cost) * self.attempts_in(id, k) as f64)
                .sum::<f64>()
    }

    /// A decision point: `fresh` ideas (new arrivals or one idea at its gate) plus every
    /// idea held for money are checked against their hurdle, ranked by expected value per
    /// expected dollar (or taken in arrival order), and funded in order while money lasts.
    fn decide(&mut self, t: f64, fresh: &[usize]) {
        // Candidates go into the reused buffer first (priority filled in below), so the
        // loop can change the tracks it reads.
        let mut candidates = std::mem::take(&mut self.scratch_ranked);
        candidates.clear();
        candidates.extend(fresh.iter().map(|&id| (0.0, id)));
        candidates.extend(
            self.tracks
                .iter()
                .enumerate()
                .filter(|(_, tr)| tr.status == Status::Held)
                .map(|(i, _)| (0.0, i)),
        );
        let mut ranked = 0;
        for c in 0..candidates.len() {
            let id = candidates[c].1;
            let tr = &self.tracks[id];
            let k = tr.stage;
            let value = (1.0 - tr.released) * tr.expected_value(self.s.ideas.solution_sd);
            let cost = self.expected_remaining_cost(id, k);
            if value >= self.m.stages[k].hurdle * cost && value > 0.0 {
                let priority = match self.m.selection {
                    Selection::Rank => value / cost,
                    // Arrival order: earlier ideas (lower ids) first.
                    Selection::Arrival => 0.0,
                };
                // Passing candidates are packed at the front, in candidate order.
                candidates[ranked] = (priority, id);
                ranked += 1;
            } else if tr.stages_entered == 0 {
                self.tracks[id].status = Status::Rejected;
            } else {
                self.killed[k - 1] += 1;
                self.end(id, Status::Killed(k - 1));
            }
        }
        candidates.truncate(ranked);
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, id) in &candidates {
            if !self.try_start(t, id) {
                self.tracks[id].status = if self.tracks[id].stages_entered == 0 {
                    Status::Rejected
                } else {
                    Status::Held
                };
            }
        }
        self.scratch_ranked = candidates;
    }

    /// Commitment to hold for a future stage `k` at markup `markup`.
    fn stage_reserve(&self, id: usize, k: usize, markup: f64) -> f64 {
        let attempts = self.attempts_in(id, k) as f64;
        let m = self.m;
        let work = m.stage_cost(k, self.ideas.ideas[id].cost);
        let review = if k + 1 < m.stages.len() {
            m.gate_review_cost
        } else {
            0.0
        };
        let procurement = if m.stages[k].recompete {
            m.procurement_cost
        } else {
            0.0
        };
        attempts * work * (1.0 + markup) * (1.0 + m.contingency) + review + procurement
    }

    /// Awards and starts stage `tracks[id].stage` if the money is there: one contract per
    /// attempt, all or none.
    fn try_start(&mut self, t: f64, id: usize) -> bool {
        let (s, m) = (self.s, self.m);
        let seed = s.simulation.seed;
        let k = self.tracks[id].stage;
        let idea = &self.ideas.ideas[id];
        let work = m.stage_cost(k, idea.cost);
        let months = m.stage_duration(k, idea.duration);
        let n_att = self.attempts_in(id, k);
        // Cheap lower bound on the money needed (no markup, no overheads): when even that
        // is not there, skip the competition draws. Held ideas are retried often.
        if n_att as f64 * work * (1.0 + m.contingency)
            > self.available() + self.tracks[id].reserve + 1e-9
        {
            return false;
        }
        if self.tracks[id].attempts.is_empty() {
            let ideas = self.ideas;
            let portfolio = self.portfolio;
            self.tracks[id].attempts = (0..n_att as u32)
                .map(|slot| Attempt {
                    slot,
                    log_quality: ideas.log_quality(s, portfolio, id, slot),
                    vendor: None,
                    markup: 0.0,
                    sole_source: false,
                    contract_spend: 0.0,
                    evidence: Evidence::default(),
                    score: 0.0,
                    cancelled: false,
                    contract: None,
                })
                .collect();
        }
        // (award, competed, switching cost, commitment) per attempt, in reused buffers:
        // held ideas are retried at every contract end. Attempts on one idea go to
        // different vendors while there are enough of them.
        let mut awards = std::mem::take(&mut self.scratch_awards);
        let mut taken = std::mem::take(&mut self.scratch_taken);
        let mut bidders = std::mem::take(&mut self.scratch_bidders);
        awards.clear();
        taken.clear();
        let tr = &self.tracks[id];
        for a in &tr.attempts[..n_att] {
            // A follow-on stage the incumbent may not take (a small vendor above its cap)
            // is competed after all.
            let incumbent_ok = a
                .vendor
                .is_some_and(|v| market::eligible(&s.vendors, v, work));
            let competed = k == 0 || m.stages[k].recompete || !incumbent_ok;
            let award = if competed {
                let key = attempt_key(k, a.slot);
                let mut rng = stream(seed, self.portfolio, u64::from(idea.id), Purpose::Bids, key);
                market::compete(&s.vendors, work, a.vendor, &taken, &mut bidders, &mut rng)
            } else {
                // A follow-on stage stays with the incumbent at the price agreed at award.
                Award {
                    vendor: a.vendor.unwrap_or(0),
                    markup: a.markup,
                    bids: 1,
                    sole_source: a.sole_source,
                }
            };
            let switching = match a.vendor {
                Some(v) if competed && v != award.vendor => {
                    s.vendors.switching_cost_share * a.contract_spend
                }
                _ => 0.0,
            };
            taken.push(award.vendor);
            let commit = work * (1.0 + award.markup) * (1.0 + m.contingency);
            awards.push((award, competed, switching, commit));
        }
        // One competition awards every attempt of the stage.
        let competed = awards.iter().any(|a| a.1);
        let procurement = if competed { m.procurement_cost } else { 0.0 };
        let review = if k + 1 < m.stages.len() {
            m.gate_review_cost
        } else {
            0.0
        };
        let switching: f64 = awards.iter().map(|a| a.2).sum();
        let future = if k == 0 && m.commitment == Commitment::Project {
            (1..m.stages.len())
                .map(|j| self.stage_reserve(id, j, awards[0].0.markup))
                .sum()
        } else {
            0.0
        };
        let commit = awards.iter().map(|a| a.3).sum::<f64>() + review;
        let need_now = commit + procurement + switching;
        let from_reserve = need_now.min(tr.reserve);
        if need_now - from_reserve + future > self.available() + 1e-9 {
            self.scratch_awards = awards;
            self.scratch_bidders = bidders;
            self.scratch_taken = taken;
            return false;
        }
        // Money: the reserve (already counted in `open`) pays first, the fund the rest.
        self.open += commit + future - from_reserve;
        self.booked += procurement + switching;
        if procurement > 0.0 {
            self.overhead_payment(id, k, None, procurement, t);
        }
        let start = t + if competed {
            m.procurement_delay_months
        } else {
            0.0
        };
        let cap = s.risk.escalation_cap;
        let (mut planned_cost, mut actual_cost, mut slowest) = (0.0, 0.0, 0.0f64);
        let (mut planned_work, mut actual_work, mut black_swan) = (0.0, 0.0, false);
        for (i, &(award, competed, switching, commit)) in awards.iter().enumerate() {
            if switching > 0.0 {
                self.overhead_payment(id, k, Some(award.vendor), switching, t);
            }
            let slot = self.tracks[id].attempts[i].slot;
            let key = attempt_key(k, slot);
            let mut rng = stream(
                seed,
                self.portfolio,
                u64::from(idea.id),
                Purpose::Contract,
                key,
            );
            let d = risk::draw(&s.risk, months, idea.risk_z, &mut rng);
            let cancelled = d.cost > cap;
            let work_mult = d.cost.min(cap);
            let cost = work * (1.0 + award.markup) * work_mult.min(1.0)
                + work * (work_mult - 1.0).max(0.0) * (1.0 + s.vendors.overrun_markup);
            let elapsed = months * d.schedule * if cancelled { cap / d.cost } else { 1.0 };
            let price = work * (1.0 + award.markup);
            self.payments.push(Payment {
                idea: id,
                stage: k,
                vendor: Some(award.vendor),
                amount: cost,
                start,
                end: start + elapsed,
                overhead: false,
                sole_source: award.sole_source,
                contract: Some((price, months, elapsed)),
            });
            self.largest_price = self.largest_price.max(price);
            let pay = self.payments.len() - 1;
            let a = &mut self.tracks[id].attempts[i];
            a.vendor = Some(award.vendor);
            if competed {
                a.markup = award.markup;
                a.sole_source = award.sole_source;
            }
            a.contract = Some(Contract {
                commit,
                cost,
                cancelled,
                pay,
            });
            planned_cost += price;
            actual_cost += cost;
            slowest = slowest.max(elapsed);
            planned_work += work;
            actual_work += work * work_mult;
            black_swan |= d.black_swan;
            self.push_slot(start + elapsed, EventKind::ContractEnd, id, slot);
        }
        self.scratch_awards = awards;
        self.scratch_bidders = bidders;
        self.scratch_taken = taken;
        let tr = &mut self.tracks[id];
        tr.lead_vendor = tr.attempts[0].vendor;
        tr.pending = n_att;
        tr.stage_attempts = n_att;
        tr.review_commit = review;
        tr.reserve += future - from_reserve;
        tr.booked += procurement + switching;
        tr.status = Status::Running;
        tr.stages_entered += 1;
        tr.replanned = t;
        tr.planned_work += planned_work;
        tr.actual_work += actual_work;
        tr.planned_cost += planned_cost;
        tr.actual_cost += actual_cost;
        tr.planned_months += months;
        tr.actual_months += slowest;
        tr.black_swan |= black_swan;
        self.entered[k] += 1;
        true
    }

    /// Records an overhead paid at once (procurement, switching, gate review).
    fn overhead_payment(
        &mut self,
        id: usize,
        k: usize,
        vendor: Option<usize>,
        amount: f64,
        t: f64,
    ) {
        self.payments.push(Payment {
            idea: id,
            stage: k,
            vendor,
            amount,
            start: t,
            end: t,
            overhead: true,
            sole_source: false,
            contract: None,
        });
    }

    /// The contract of attempt `slot` of idea `id` ends; when it is the stage's last, the
    /// stage's results come in and the idea goes to its gate.
    fn contract_end(&mut self, t: f64, id: usize, slot: u32) {
        let (s, m) = (self.s, self.m);
        let tr = &mut self.tracks[id];
        let Some(a) = tr.attempts.iter_mut().find(|a| a.slot == slot) else {
            return;
        };
        let Some(c) = a.contract.take() else {
            return;
        };
        a.contract_spend += c.cost;
        a.cancelled = c.cancelled;
        tr.booked += c.cost;
        tr.pending -= 1;
        self.open -= c.commit;
        self.booked += c.cost;
        self.excess += (c.cost - c.commit).max(0.0);
        if self.tracks[id].pending > 0 {
            return;
        }
        let k = self.tracks[id].stage;
        let last = k + 1 == m.stages.len();
        let sd = s.ideas.solution_sd;
        let tr = &mut self.tracks[id];
        // An attempt that passed the escalation cap drops out; what its earlier results
        // said about the idea stays in the belief.
        for a in tr.attempts.iter().filter(|a| a.cancelled) {
            tr.belief.absorb(&a.evidence, sd);
        }
        tr.attempts.retain(|a| !a.cancelled);
        let review = if last || tr.attempts.is_empty() {
            0.0
        } else {
            m.gate_review_cost
        };
        self.open -= tr.review_commit;
        tr.review_commit = 0.0;
        tr.booked += review;
        self.booked += review;
        if review > 0.0 {
            self.overhead_payment(id, k, None, review, t);
        }
        if self.tracks[id].attempts.is_empty() {
            self.end(id, Status::Cancelled(k));
            return;
        }
        let stage = &m.stages[k];
        let found = self.ideas.detects_misfit(id, k, stage.misfit_detection);
        let idea = &self.ideas.ideas[id];
        // Each attempt's result is a signal on its own log value, log V + log q. Without
        // a quality spread (q = 1) it observes log V directly. With one, an attempt's
        // signals share its q, so they are kept as its evidence and combined with the
        // belief in closed form (belief.rs) until the attempt drops out.
        let (ideas, portfolio) = (self.ideas, self.portfolio);
        let mut release = None;
        let tr = &mut self.tracks[id];
        for a in tr.attempts.iter_mut() {
            let sig = ideas.attempt_signal(s, portfolio, id, k, a.slot, stage.signal_noise)
                + a.log_quality;
            if sd > 0.0 {
                a.evidence.observe(sig, stage.signal_noise);
            } else {
                tr.belief.observe(sig, stage.signal_noise);
            }
            // Without a quality spread attempts differ only in noise and the latest
            // signal ranks them; a stage that learns nothing leaves them in slot order.
            a.score = if stage.signal_noise.is_finite() {
                sig
            } else {
                0.0
            };
        }
        tr.belief.check_fit(stage.misfit_detection, found);
        // With one, they are ranked by expected worth given every signal.
        if sd > 0.0 {
            let post = tr
                .belief
                .log_value_with(tr.attempts.iter().map(|a| &a.evidence), sd);
            for a in tr.attempts.iter_mut() {
                a.score = Belief::attempt_log_worth(post, &a.evidence, sd);
            }
        }
        tr.attempts
            .sort_by(|x, y| y.score.total_cmp(&x.score).then(x.slot.cmp(&y.slot)));
        tr.lead_vendor = tr.attempts[0].vendor;
        // The last stage releases whatever earlier stages did not.
        let share = if last {
            (1.0 - tr.released).max(0.0)
        } else {
            stage.value_share
        };
        if share > 0.0 {
            tr.released += share;
            if idea.fit {
                let frozen = t - tr.replanned;
                let drift = 0.5f64.powf(frozen / s.risk.requirements_half_life_months);
                let discount = (1.0 + s.simulation.discount_rate).powf(-t / 12.0);
                // The leading attempt's solution is the one put into service.
                let worth = (idea.log_value + tr.attempts[0].log_quality).exp();
                let released = share * worth * drift * discount;
                tr.value += released;
                tr.first_value.get_or_insert(t);
                release = Some((t, released));
            }
        }
        if last {
            self.end(id, Status::Delivered);
        } else {
            // The gate keeps the best attempts for the next stage; the others' results
            // stay in the belief.
            let keep = m.stages[k + 1].attempts.min(tr.attempts.len());
            for a in &tr.attempts[keep..] {
                tr.belief.absorb(&a.evidence, sd);
            }
            tr.attempts.truncate(keep);
            tr.status = Status::AtGate;
            tr.stage = k + 1;
            self.push(t + m.gate_delay_months, EventKind::Gate, id);
        }
        self.releases.extend(release);
    }

    /// Ends an idea and frees its unused reserve.
    fn end(&mut self, id: usize, status: Status) {
        let tr = &mut self.tracks[id];
        self.open -= tr.reserve;
        tr.reserve = 0.0;
        tr.status = status;
    }

    fn finish(self) -> Run {
        let h = self.s.simulation.horizon_months;
        let nv = self.s.vendors.count();
        let mut idea_spend = vec![0.0; self.tracks.len()];
        let mut vendor_spend = vec![0.0; nv];
        let (mut spend, mut overhead, mut sole) = (0.0, 0.0, 0.0);
        let (mut price_done, mut cost_done, mut plan_months, mut real_months) =
            (0.0, 0.0, 0.0, 0.0);
        let mut stages: Vec<StageOutcome> = self
            .entered
            .iter()
            .zip(&self.killed)
            .map(|(&entered, &killed)| StageOutcome {
                entered,
                killed,
                ..StageOutcome::default()
            })
            .collect();
        // Cumulative spend at each whole month 0..=H, and value released by then.
        let months = h.floor() as usize + 1;
        let mut spend_by_month = vec![0.0f64; months];
        // Amounts fully paid from a month on; summed into `spend_by_month` afterwards.
        let mut paid_from = vec![0.0f64; months];
        for p in &self.payments {
            let paid = p.paid_by(h);
            spend += paid;
            idea_spend[p.idea] += paid;
            stages[p.stage].spend += paid;
            // Months while the payment is under way get their share; later months get
            // it all (through `paid_from`), so the cost is the contract's length, not H.
            let first_full = p.end.max(p.start).ceil().max(0.0) as usize;
            let first = (p.start.ceil().max(0.0) as usize).min(first_full);
            for (m, cum) in spend_by_month
                .iter_mut()
                .enumerate()
                .take(first_full)
                .skip(first)
            {
                *cum += p.paid_by(m as f64);
            }
            if let Some(slot) = paid_from.get_mut(first_full) {
                *slot += p.amount;
            }
            if p.overhead {
                overhead += paid;
            }
            if let Some(v) = p.vendor {
                vendor_spend[v] += paid;
                if p.sole_source {
                    sole += paid;
                }
            }
            if let Some((price, planned, actual)) = p.contract
                && p.end < h
            {
                price_done += price;
                cost_done += p.amount;
                plan_months += planned;
                real_months += actual;
                stages[p.stage].months += actual;
                stages[p.stage].finished += 1;
            }
        }
        let mut running = 0.0;
        for (cum, from) in spend_by_month.iter_mut().zip(&paid_from) {
            running += from;
            *cum += running;
        }
        let mut value_by_month = vec![0.0f64; months];
        for &(t, v) in &self.releases {
            for cum in value_by_month.iter_mut().skip(t.ceil() as usize) {
                *cum += v;
            }
        }
        let mut unspent = self.tracks.iter().map(|t| t.reserve).sum::<f64>();
        let mut excess = self.excess;
        for tr in &self.tracks {
            unspent += tr.review_commit;
            for c in tr.attempts.iter().filter_map(|a| a.contract.as_ref()) {
                let paid = self.payments[c.pay].paid_by(h);
                unspent += (c.commit - paid).max(0.0);
                excess += (paid - c.commit).max(0.0);
            }
        }
        let (mut wip, mut waste, mut delivered_spend, mut value, mut lock_base) =
            (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut counts = [0u32; 6]; // considered, started, killed, cancelled, delivered, misfits
        let mut first_value = f64::INFINITY;
        let (mut wait_sum, mut wait_n) = (0.0, 0u32);
        let mut projects = Vec::new();
        for (id, tr) in self.tracks.iter().enumerate() {
            if !tr.arrived {
                continue;
            }
            let idea = &self.ideas.ideas[id];
            let spent = idea_spend[id];
            counts[0] += 1;
            counts[1] += u32::from(tr.stages_entered > 0);
            value += tr.value;
            if tr.status.is_running() {
                wip += spent;
                lock_base += spent;
            } else if tr.value > 0.0 {
                delivered_spend += spent;
            } else {
                waste += spent;
            }
            match tr.status {
                Status::Killed(_) => counts[2] += 1,
                Status::Cancelled(k) => {
                    counts[3] += 1;
                    stages[k].cancelled += 1;
                }
                Status::Delivered => {
                    counts[4] += 1;
                    counts[5] += u32::from(!idea.fit);
                    lock_base += spent;
                }
                _ => {}
            }
            if let Some(fv) = tr.first_value {
                first_value = first_value.min(fv);
                wait_sum += fv - idea.arrival;
                wait_n += 1;
            }
            if !self.keep_projects {
                continue;
            }
            projects.push(Project {
                id: idea.id,
                status: tr.status,
                stages_entered: tr.stages_entered,
                spend: spent,
                value: tr.value,
                released: tr.released,
                fit: idea.fit,
                arrival: idea.arrival,
                planned_cost: tr.planned_cost,
                actual_cost: tr.actual_cost,
                planned_months: tr.planned_months,
                actual_months: tr.actual_months,
                black_swan: tr.black_swan,
                vendor: tr.lead_vendor,
                attempts: tr.stage_attempts,
            });
        }
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let vendor_total: f64 = vendor_spend.iter().sum();
        let small: f64 = vendor_spend
            .iter()
            .enumerate()
            .filter(|(v, _)| self.s.vendors.is_small(*v))
            .map(|(_, x)| x)
            .sum();
        let hhi = if vendor_total > 0.0 {
            vendor_spend
                .iter()
                .map(|x| (100.0 * x / vendor_total).powi(2))
                .sum()
        } else {
            f64::NAN
        };
        let mut values = [0.0; METRIC_COUNT];
        let mut set = |m: Metric, v: f64| values[m as usize] = v;
        set(Metric::Spend, spend);
        set(Metric::CommittedUnspent, unspent);
        set(Metric::Wip, wip);
        set(Metric::DeliveredSpend, delivered_spend);
        set(Metric::DeliveredValue, value);
        set(Metric::NetValue, value - spend);
        set(Metric::ValuePerDollar, ratio(value, spend));
        set(Metric::Waste, waste);
        set(Metric::WasteShare, ratio(waste, spend));
        set(Metric::Overhead, overhead);
        set(Metric::IdeasConsidered, f64::from(counts[0]));
        set(Metric::IdeasStarted, f64::from(counts[1]));
        set(Metric::IdeasKilled, f64::from(counts[2]));
        set(Metric::IdeasCancelled, f64::from(counts[3]));
        set(Metric::IdeasDelivered, f64::from(counts[4]));
        set(Metric::MisfitsDelivered, f64::from(counts[5]));
        set(Metric::MonthsToFirstValue, first_value.min(h));
        set(
            Metric::MeanMonthsToValue,
            ratio(wait_sum, f64::from(wait_n)),
        );
        set(Metric::CostOverrun, ratio(cost_done, price_done) - 1.0);
        set(Metric::ScheduleSlip, ratio(real_months, plan_months) - 1.0);
        set(
            Metric::LockinExposure,
            ratio(self.s.vendors.switching_cost_share * lock_base, spend),
        );
        set(Metric::VendorHhi, hhi);
        set(Metric::SmallVendorShare, ratio(small, vendor_total));
        set(Metric::SoleSourceShare, ratio(sole, vendor_total));
        set(
            Metric::LargestContractShare,
            self.largest_price / self.s.fund.budget,
        );
        Run {
            outcome: Outcome {
                values,
                stages: {
                    // Passing a stage: entering the next one, or delivery after the last.
                    let n = stages.len();
                    for k in 0..n {
                        stages[k].passed = if k + 1 < n {
                            stages[k + 1].entered
                        } else {
                            counts[4]
                        };
                    }
                    stages
                },
                spend_by_month: spend_by_month.into_iter().map(|x| x as f32).collect(),
                value_by_month: value_by_month.into_iter().map(|x| x as f32).collect(),
            },
            projects,
            escalation_excess: excess,
        }
    }
}
