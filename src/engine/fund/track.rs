//! What the fund knows and has done about one idea: its status, belief, attempts and
//! running contracts, money reserved for it, and the age of its requirements.

use crate::engine::belief::{Belief, Evidence};

/// How an idea stands at the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Arrived but never funded (failed the hurdle, found no money, or the round's cap
    /// on new starts was reached).
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
    /// Passed the gate after this stage but dropped: the money it needs is more than
    /// the fund could ever free.
    Dropped(usize),
}

impl Status {
    /// Still in progress at the horizon.
    pub fn is_running(self) -> bool {
        matches!(self, Status::Running | Status::AtGate | Status::Held)
    }

    /// Stranded for lack of money: held at a gate at the horizon, or dropped.
    pub fn is_stranded(self) -> bool {
        matches!(self, Status::Held | Status::Dropped(_))
    }
}

/// A running contract of one attempt.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Money committed for it (price plus contingency), dollars.
    pub commit: f64,
    /// What it costs at its end, dollars.
    pub cost: f64,
    /// Awarded price (work plus markup), dollars.
    pub price: f64,
    /// Passed the escalation cap: stops at the cap.
    pub cancelled: bool,
    /// Index of its payment in the ledger.
    pub pay: usize,
}

/// One vendor's attempt at an idea. Most stages have one; a stage with parallel attempts
/// funds several, and the next gate keeps the best of them.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Keys the attempt's streams (slot 0 is the only attempt of single-vendor stages).
    pub slot: u32,
    /// Log of its solution quality: it is worth the idea's value times exp(this).
    pub log_quality: f64,
    /// Vendor working on it (None before the first award).
    pub vendor: Option<usize>,
    /// Markup of its award.
    pub markup: f64,
    /// Its award drew no bids.
    pub sole_source: bool,
    /// Contract costs booked so far (the base of switching costs), dollars.
    pub contract_spend: f64,
    /// Every stage signal on its log value so far (with a quality spread).
    pub evidence: Evidence,
    /// Rank at the gate, higher first: its log expected worth ln E[V q] given every
    /// signal when solutions differ in quality, else its latest signal.
    pub score: f64,
    /// Its contract passed the escalation cap.
    pub cancelled: bool,
    /// Its running contract.
    pub contract: Option<Contract>,
}

/// How fresh the requirements behind an idea's built scope are. Each stage's scope is a
/// slice whose requirements were fixed when the stage started; value from a slice
/// decays with half-life h from that moment until it is released. A gate re-plans the
/// scope not yet built and a share of the built scope; the rest keeps ageing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scope {
    /// Sum over built slices of weight x 0.5^(age at `at` / h).
    aged: f64,
    /// Sum of built slices' weights (planned work, dollars).
    built: f64,
    /// Month `aged` refers to.
    at: f64,
}

impl Scope {
    /// A stage of planned work `weight` starts at month `t`: the built scope ages to `t`,
    /// a share `rework` of it is re-planned (its requirements become fresh), and the new
    /// stage's slice is fixed now.
    pub fn start_stage(&mut self, t: f64, weight: f64, half_life: f64, rework: f64) {
        // Nothing built yet has no age to decay (and `exp2` of a finite number is finite,
        // so the product would be 0 anyway).
        if self.aged != 0.0 {
            self.aged *= (-(t - self.at) / half_life).exp2();
        }
        self.aged = (1.0 - rework) * self.aged + rework * self.built;
        self.aged += weight;
        self.built += weight;
        self.at = t;
    }

    /// Share of full value that scope built so far keeps at month `t` (1 = fresh).
    pub fn freshness(&self, t: f64, half_life: f64) -> f64 {
        let age = (-(t - self.at) / half_life).exp2();
        if self.built > 0.0 {
            age * (self.aged / self.built)
        } else {
            age
        }
    }
}

/// Everything the fund tracks about one idea.
#[derive(Debug, Clone)]
pub struct Track {
    /// Where the idea stands.
    pub status: Status,
    /// Its intake round has happened.
    pub arrived: bool,
    /// Stage running, or (at a gate / held) the stage to enter next.
    pub stage: usize,
    /// Stages entered.
    pub stages_entered: usize,
    /// The decision maker's belief.
    pub belief: Belief,
    /// Planned work of finished contracts (for the observed overrun ratio), dollars.
    pub planned_work: f64,
    /// Actual work of those contracts, dollars.
    pub actual_work: f64,
    /// Share of value released.
    pub released: f64,
    /// Value released (discounted), dollars.
    pub value: f64,
    /// Month of its first release.
    pub first_value: Option<f64>,
    /// Money reserved for its later stages, dollars (part of the ledger's `open`).
    pub reserve: f64,
    /// Age of the requirements behind its built scope.
    pub scope: Scope,
    /// Attempts alive: funded in the current stage, or kept for the next one. Out of
    /// line, so that the tracks a run sweeps stay small; a track is reset in place
    /// from run to run, keeping this memory, so starting an idea seldom allocates.
    pub attempts: Vec<Attempt>,
    /// Contracts of the current stage still running.
    pub pending: usize,
    /// Gate review money committed with the current stage, dollars.
    pub review_commit: f64,
    /// Vendors funded in the last stage entered.
    pub stage_attempts: usize,
    /// Planned price of every contract awarded, dollars.
    pub planned_cost: f64,
    /// Their cost at completion or cancellation, dollars.
    pub actual_cost: f64,
    /// Planned months of stages entered.
    pub planned_months: f64,
    /// Months those stages take, each as long as its slowest attempt.
    pub actual_months: f64,
    /// Any contract fell in the black-swan tail.
    pub black_swan: bool,
    /// Vendor of the leading attempt (kept when attempts are cancelled).
    pub lead_vendor: Option<usize>,
    /// It waited at a gate for money at least once.
    pub was_held: bool,
    /// What its next stage needs from the fund beyond its reserve, dollars, once a try
    /// to start it has failed (NaN before: unknown).
    pub need: f64,
}

impl Track {
    /// A new idea with its prior belief updated on the business case.
    pub fn new(belief: Belief) -> Track {
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
            scope: Scope::default(),
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
            was_held: false,
            need: f64::NAN,
        }
    }

    /// Makes this [`Track::new`]`(belief)` again, keeping the attempts' memory: field by
    /// field, where assigning a new track would build it aside and copy it whole (a
    /// run starts one track per idea per model). The pattern names every field, so a
    /// field added to the track must be reset here to compile.
    pub fn reset(&mut self, belief: Belief) {
        let Track {
            status,
            arrived,
            stage,
            stages_entered,
            belief: old_belief,
            planned_work,
            actual_work,
            released,
            value,
            first_value,
            reserve,
            scope,
            attempts,
            pending,
            review_commit,
            stage_attempts,
            planned_cost,
            actual_cost,
            planned_months,
            actual_months,
            black_swan,
            lead_vendor,
            was_held,
            need,
        } = self;
        *status = Status::Rejected;
        *arrived = false;
        *stage = 0;
        *stages_entered = 0;
        *old_belief = belief;
        *planned_work = 0.0;
        *actual_work = 0.0;
        *released = 0.0;
        *value = 0.0;
        *first_value = None;
        *reserve = 0.0;
        *scope = Scope::default();
        attempts.clear();
        *pending = 0;
        *review_commit = 0.0;
        *stage_attempts = 0;
        *planned_cost = 0.0;
        *actual_cost = 0.0;
        *planned_months = 0.0;
        *actual_months = 0.0;
        *black_swan = false;
        *lead_vendor = None;
        *was_held = false;
        *need = f64::NAN;
    }

    /// What the decision maker expects the idea to be worth, dollars: E[V] before any
    /// attempt has results, else the expected worth of its leading attempt's solution
    /// given every signal (belief.rs), which counts the gain from keeping the best.
    pub fn expected_value(&self, quality_sd: f64) -> f64 {
        if quality_sd == 0.0 || self.attempts.is_empty() {
            return self.belief.expected_value();
        }
        let live = || self.attempts.iter().map(|a| &a.evidence);
        let post = self.belief.log_value_with(live(), quality_sd);
        live()
            .map(|e| self.belief.attempt_worth(post, e, quality_sd))
            .fold(0.0, f64::max)
    }

    /// Observed overrun on the idea's finished contracts (actual / planned work; 1
    /// before any).
    pub fn cost_ratio(&self) -> f64 {
        if self.planned_work > 0.0 {
            self.actual_work / self.planned_work
        } else {
            1.0
        }
    }

    /// Whether the idea has been funded before (a continuing idea, not a new start).
    pub fn continuing(&self) -> bool {
        self.stages_entered > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_track_is_a_new_one() {
        // Every field of a track that has been through a stage goes back to what a new
        // track holds (a field `reset` forgot would carry one run's state into the next).
        let belief = Belief::prior(14.0, 1.0, 0.5);
        let mut used = Track::new(Belief::prior(13.0, 2.0, 0.7));
        used.status = Status::Delivered;
        used.arrived = true;
        used.stage = 2;
        used.stages_entered = 3;
        used.planned_work = 1.0;
        used.actual_work = 2.0;
        used.released = 0.5;
        used.value = 3.0;
        used.first_value = Some(4.0);
        used.reserve = 5.0;
        used.scope.start_stage(1.0, 1.0, 12.0, 0.2);
        used.attempts.push(Attempt {
            slot: 0,
            log_quality: 0.1,
            vendor: Some(2),
            markup: 0.2,
            sole_source: true,
            contract_spend: 6.0,
            evidence: Evidence::default(),
            score: 1.0,
            cancelled: true,
            contract: None,
        });
        used.pending = 1;
        used.review_commit = 7.0;
        used.stage_attempts = 1;
        used.planned_cost = 8.0;
        used.actual_cost = 9.0;
        used.planned_months = 10.0;
        used.actual_months = 11.0;
        used.black_swan = true;
        used.lead_vendor = Some(2);
        used.was_held = true;
        used.need = 12.0;
        used.reset(belief);
        assert_eq!(format!("{used:?}"), format!("{:?}", Track::new(belief)));
    }

    #[test]
    fn gates_re_plan_unbuilt_scope_and_a_share_of_built_scope() {
        // Worked example of docs/model.md: half-life 12 months; stage 0 (weight 1)
        // fixed at month 0, stage 1 (weight 3) at month 12 with a quarter of built scope
        // re-planned; released at month 24.
        let h = 12.0;
        let mut s = Scope::default();
        s.start_stage(0.0, 1.0, h, 0.25);
        s.start_stage(12.0, 3.0, h, 0.25);
        // At month 12 stage 0's slice is worth 0.5; a quarter of it is re-planned:
        // 0.75 x 0.5 + 0.25 x 1 = 0.625; plus the new slice 3: aged 3.625 of 4.
        // At month 24 everything has aged 12 more months: 0.5 x 3.625 / 4.
        let f = s.freshness(24.0, h);
        assert!((f - 0.5 * 3.625 / 4.0).abs() < 1e-15, "{f}");
        // Without re-planning built scope the first slice is two half-lives old.
        let mut none = Scope::default();
        none.start_stage(0.0, 1.0, h, 0.0);
        none.start_stage(12.0, 3.0, h, 0.0);
        assert!((none.freshness(24.0, h) - (0.25 * 1.0 + 0.5 * 3.0) / 4.0).abs() < 1e-15);
        // Re-planning everything makes the whole scope as old as the last gate.
        let mut all = Scope::default();
        all.start_stage(0.0, 1.0, h, 1.0);
        all.start_stage(12.0, 3.0, h, 1.0);
        assert_eq!(all.freshness(24.0, h), 0.5);
        // No drift: always fresh.
        let mut off = Scope::default();
        off.start_stage(0.0, 1.0, f64::INFINITY, 0.0);
        off.start_stage(30.0, 1.0, f64::INFINITY, 0.0);
        assert_eq!(off.freshness(90.0, f64::INFINITY), 1.0);
    }
}
