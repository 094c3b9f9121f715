//! Starting a stage: competing its contracts (one per attempt), paying procurement and
//! switching, committing the price plus contingency, setting money aside for later
//! stages (rules.rs), and drawing each contract's risk.

use super::Sim;
use super::events::EventKind;
use super::ledger::{ContractTerms, Payment};
use super::rules;
use super::track::{Attempt, Contract, Status};
use crate::engine::belief::Evidence;
use crate::engine::market::{self, Award};
use crate::engine::rng::{Purpose, attempt_key};

impl Sim<'_> {
    /// Money to set aside for a future stage `k` of idea `id` at markup `markup`: its
    /// contracts with contingency, its gate review and its procurement.
    pub(super) fn stage_reserve(&self, id: usize, k: usize, markup: f64) -> f64 {
        let attempts = self.attempts_in(id, k) as f64;
        let m = self.m;
        let work = m.stage_work(k, self.ideas.ideas[id].cost, self.s.risk.gate_rework_share);
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

    /// A lower bound on what starting idea `id`'s next stage takes from the fund,
    /// dollars: its contracts' planned work with contingency, without markup or
    /// overheads, less the idea's reserve.
    pub(super) fn start_bound(&self, id: usize) -> f64 {
        let k = self.tracks[id].stage;
        let work = self
            .m
            .stage_work(k, self.ideas.ideas[id].cost, self.s.risk.gate_rework_share);
        self.bound_of(id, work, self.attempts_in(id, k))
    }

    /// [`Sim::start_bound`] for `attempts` contracts of planned work `work` dollars each.
    fn bound_of(&self, id: usize, work: f64, attempts: usize) -> f64 {
        attempts as f64 * work * (1.0 + self.m.contingency) - self.tracks[id].reserve
    }

    /// Awards and starts stage `tracks[id].stage` if the money is there: one contract per
    /// attempt, all or none. When it cannot, says how much it needs from the fund beyond
    /// the idea's reserve, dollars (for a new idea short of even the cheapest bound, that
    /// bound): the competition's draws are the same at every try, so this does not
    /// change while the idea waits.
    pub(super) fn try_start(&mut self, t: f64, id: usize) -> Result<(), f64> {
        let (s, m) = (self.s, self.m);
        let k = self.tracks[id].stage;
        let idea = &self.ideas.ideas[id];
        let work = m.stage_work(k, idea.cost, s.risk.gate_rework_share);
        let months = m.stage_duration(k, idea.duration);
        let n_att = self.attempts_in(id, k);
        // When even the cheapest start is not there for a new idea, skip the competition
        // draws. A continuing idea is competed anyway, so that what it needs is known
        // exactly.
        let bound = self.bound_of(id, work, n_att);
        if !self.tracks[id].continuing() && bound > self.ledger.available() + 1e-9 {
            return Err(bound);
        }
        if self.tracks[id].attempts.is_empty() {
            let ideas = self.ideas;
            // Filled in place, in memory the track keeps from run to run.
            self.tracks[id]
                .attempts
                .extend((0..n_att as u32).map(|slot| Attempt {
                    slot,
                    log_quality: ideas.log_quality(s, id, slot),
                    vendor: None,
                    markup: 0.0,
                    sole_source: false,
                    contract_spend: 0.0,
                    evidence: Evidence::default(),
                    score: 0.0,
                    cancelled: false,
                    contract: None,
                }));
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
                let mut rng = idea.key.counter(Purpose::Bids, key);
                market::compete(
                    &s.vendors,
                    &self.skips,
                    work,
                    a.vendor,
                    &taken,
                    &mut bidders,
                    &mut rng,
                )
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
        let reservation = rules::reservation(m, k);
        let wanted: f64 = reservation
            .stages
            .clone()
            .map(|j| self.stage_reserve(id, j, awards[0].0.markup))
            .sum();
        let commit = awards.iter().map(|a| a.3).sum::<f64>() + review;
        let need_now = commit + procurement + switching;
        let from_reserve = need_now.min(tr.reserve);
        let available = self.ledger.available();
        let future = if reservation.required {
            wanted
        } else {
            // As much as is left after this stage, up to what is wanted.
            wanted.min(available - (need_now - from_reserve)).max(0.0)
        };
        if need_now - from_reserve + future > available + 1e-9 {
            self.scratch_awards = awards;
            self.scratch_bidders = bidders;
            self.scratch_taken = taken;
            // What it needs: this stage, and what must be set aside with it.
            let required = if reservation.required { wanted } else { 0.0 };
            return Err(need_now - from_reserve + required);
        }
        // Money: the reserve (already counted in `open`) pays first, the fund the rest.
        self.ledger.open += commit + future - from_reserve;
        self.ledger.booked += procurement + switching;
        if procurement > 0.0 {
            self.ledger.overhead(id, k, None, procurement, t);
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
                self.ledger
                    .overhead(id, k, Some(award.vendor), switching, t);
            }
            let slot = self.tracks[id].attempts[i].slot;
            let key = attempt_key(k, slot);
            let mut rng = idea.key.counter(Purpose::Contract, key);
            let d = self.forecast.risk.draw(months, idea.risk_z, &mut rng);
            let cancelled = d.cost > cap;
            let work_mult = d.cost.min(cap);
            let cost = work * (1.0 + award.markup) * work_mult.min(1.0)
                + work * (work_mult - 1.0).max(0.0) * (1.0 + s.vendors.overrun_markup);
            let elapsed = months * d.schedule * if cancelled { cap / d.cost } else { 1.0 };
            let price = work * (1.0 + award.markup);
            self.ledger.payments.push(Payment {
                idea: id,
                stage: k,
                vendor: Some(award.vendor),
                amount: cost,
                start,
                end: start + elapsed,
                overhead: false,
                sole_source: award.sole_source,
                contract: Some(ContractTerms {
                    price,
                    planned_months: months,
                    actual_months: elapsed,
                }),
            });
            self.ledger.largest_price = self.ledger.largest_price.max(price);
            self.ledger.running_prices += price;
            let pay = self.ledger.payments.len() - 1;
            let a = &mut self.tracks[id].attempts[i];
            a.vendor = Some(award.vendor);
            if competed {
                a.markup = award.markup;
                a.sole_source = award.sole_source;
            }
            a.contract = Some(Contract {
                commit,
                cost,
                price,
                cancelled,
                pay,
            });
            planned_cost += price;
            actual_cost += cost;
            slowest = slowest.max(elapsed);
            planned_work += work;
            actual_work += work * work_mult;
            black_swan |= d.black_swan;
            self.events
                .push(start + elapsed, EventKind::ContractEnd, id, slot);
        }
        self.scratch_awards = awards;
        self.scratch_bidders = bidders;
        self.scratch_taken = taken;
        let half_life = s.risk.requirements_half_life_months;
        let rework = s.risk.gate_rework_share;
        let tr = &mut self.tracks[id];
        tr.lead_vendor = tr.attempts[0].vendor;
        tr.pending = n_att;
        tr.stage_attempts = n_att;
        tr.review_commit = review;
        tr.reserve += future - from_reserve;
        tr.status = Status::Running;
        tr.stages_entered += 1;
        // The stage's requirements are fixed now; the gate re-planned what was not built
        // and the reworked share of what was (its cost is in `work`).
        tr.scope
            .start_stage(t, m.stage_cost(k, idea.cost), half_life, rework);
        tr.planned_work += planned_work;
        tr.actual_work += actual_work;
        tr.planned_cost += planned_cost;
        tr.actual_cost += actual_cost;
        tr.planned_months += months;
        tr.actual_months += slowest;
        tr.black_swan |= black_swan;
        tr.need = f64::NAN;
        self.entered[k] += 1;
        Ok(())
    }
}
