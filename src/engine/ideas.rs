//! Idea fundamentals for one portfolio, drawn once from each idea's own counters and shared
//! by every funding model (common random numbers).

use super::belief::Belief;
use super::rng::{IdeaKey, Kind, Purpose, attempt_key, whole};
use crate::model::Scenario;

/// One candidate idea's fundamentals.
#[derive(Debug, Clone, PartialEq)]
pub struct Idea {
    /// Index within the portfolio (round * ideas_per_round + slot).
    pub id: u32,
    /// Intake round it arrives at.
    pub round: u32,
    /// Month of arrival.
    pub arrival: f64,
    /// Meets a real user need.
    pub fit: bool,
    /// Log of value if delivered in full, ln(dollars).
    pub log_value: f64,
    /// Planned cost of the whole project, dollars.
    pub cost: f64,
    /// Planned duration of the whole project, months.
    pub duration: f64,
    /// Business-case signal on log value.
    pub signal0: f64,
    /// Idea-level standard normal of cost overrun, shared by its contracts.
    pub risk_z: f64,
    /// The key of its random numbers (seed, portfolio, idea), hashed once.
    pub key: IdeaKey,
    /// The decision maker's belief on arrival: the prior updated on the business case
    /// (the same under every model, so worked out once).
    pub belief: Belief,
    /// What that belief expects the idea to be worth, dollars
    /// ([`Belief::expected_value`]): every model weighs it at intake.
    pub expected_value: f64,
}

/// All ideas of one portfolio plus their per-stage draws.
#[derive(Debug, Clone)]
pub struct IdeaSet {
    /// Ideas in id order.
    pub ideas: Vec<Idea>,
    /// Standard normal signal errors, `ideas.len() x stages`.
    signal_z: Vec<f64>,
    /// Uniforms deciding misfit detection, `ideas.len() x stages`.
    detect_u: Vec<f64>,
    stages: usize,
}

impl IdeaSet {
    /// Number of stages with per-stage draws.
    pub fn stages(&self) -> usize {
        self.stages
    }

    /// Draws every idea of portfolio `portfolio`, with per-stage draws for up to `stages` stages.
    pub fn draw(s: &Scenario, portfolio: u64, stages: usize) -> IdeaSet {
        let seed = s.simulation.seed;
        let per = s.fund.ideas_per_round;
        let rounds = (0..s.fund.intake_rounds)
            .take_while(|r| {
                f64::from(*r) * s.fund.intake_every_months < s.simulation.horizon_months
            })
            .count() as u32;
        let n = (rounds * per) as usize;
        let mut ideas = Vec::with_capacity(n);
        let mut signal_z = Vec::with_capacity(n * stages);
        let mut detect_u = Vec::with_capacity(n * stages);
        let i = &s.ideas;
        for id in 0..rounds * per {
            let key = IdeaKey::new(seed, portfolio, u64::from(id));
            // Parameter-free draws from one counter, one word each and in a fixed order:
            // fit, log value, business-case error, the idea's risk normal, then per
            // stage its signal error and misfit detection (so drawing more stages adds
            // words and shifts none). Costs and durations have keys of their own, so
            // changing their distributions (whose samplers may reject) leaves every
            // other draw of the idea as it was (paired sweeps).
            let mut r = key.counter(Purpose::Fundamentals, 0);
            let fit = r.uniform() < i.fit_probability;
            let zx = r.normal();
            let e0 = r.normal();
            let risk_z = r.normal();
            for _ in 0..stages {
                signal_z.push(r.normal());
                detect_u.push(r.uniform());
            }
            let cost = whole(Kind::PlannedCost, || {
                i.planned_cost.sample(&mut key.counter(Purpose::Cost, 0))
            });
            let duration = whole(Kind::PlannedDuration, || {
                i.planned_duration_months
                    .sample(&mut key.counter(Purpose::Duration, 0))
            });
            let log_value = i.log_value_mean + i.log_value_sd * zx;
            let round = id / per;
            let signal0 = log_value + noise_term(i.business_case_noise, e0);
            let mut belief = Belief::prior(i.log_value_mean, i.log_value_sd, i.fit_probability);
            belief.observe(signal0, i.business_case_noise);
            ideas.push(Idea {
                id,
                round,
                arrival: f64::from(round) * s.fund.intake_every_months,
                fit,
                log_value,
                cost,
                duration,
                signal0,
                risk_z,
                key,
                belief,
                expected_value: belief.expected_value(),
            });
        }
        IdeaSet {
            ideas,
            signal_z,
            detect_u,
            stages,
        }
    }

    /// Signal on log value produced by stage `k` of idea `id` with noise sd `noise`.
    pub fn stage_signal(&self, id: usize, k: usize, noise: f64) -> f64 {
        self.ideas[id].log_value + noise_term(noise, self.signal_z[id * self.stages + k])
    }

    /// Signal on log value from attempt `slot` of stage `k` of idea `id`. Slot 0 is the
    /// stage signal above; other attempts draw their own errors.
    pub fn attempt_signal(&self, id: usize, k: usize, slot: u32, noise: f64) -> f64 {
        if slot == 0 {
            return self.stage_signal(id, k, noise);
        }
        let z = self.ideas[id]
            .key
            .counter(Purpose::Signal, attempt_key(k, slot))
            .normal();
        self.ideas[id].log_value + noise_term(noise, z)
    }

    /// Log solution quality of attempt `slot` on idea `id`: normal with sd
    /// `ideas.solution_sd` and mean -sd^2/2, so each attempt is worth the idea's value on
    /// average. Exactly 0 when the spread is 0.
    pub fn log_quality(&self, s: &Scenario, id: usize, slot: u32) -> f64 {
        let sd = s.ideas.solution_sd;
        if sd == 0.0 {
            return 0.0;
        }
        let z = self.ideas[id]
            .key
            .counter(Purpose::Quality, u64::from(slot))
            .normal();
        sd * z - sd * sd / 2.0
    }

    /// Whether stage `k` reveals that idea `id` is a misfit, given detection probability.
    pub fn detects_misfit(&self, id: usize, k: usize, detection: f64) -> bool {
        !self.ideas[id].fit && self.detect_u[id * self.stages + k] < detection
    }
}

/// `sd * z`; an infinite sd means "no information", and such a signal is never used.
fn noise_term(sd: f64, z: f64) -> f64 {
    if sd.is_finite() { sd * z } else { 0.0 }
}
