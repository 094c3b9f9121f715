//! A contract ends; when it is its stage's last, the stage's results come in: each
//! attempt's signal, the misfit check, the ranking of attempts, the value the stage
//! releases, and the idea goes to its gate (or is delivered or cancelled).

use super::Sim;
use super::events::EventKind;
use super::track::Status;
use crate::engine::belief::Belief;

impl Sim<'_> {
    /// The contract of attempt `slot` of idea `id` ends; when it is the stage's last, the
    /// stage's results come in and the idea goes to its gate.
    pub(super) fn contract_end(&mut self, t: f64, id: usize, slot: u32) {
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
        tr.pending -= 1;
        self.ledger.close_contract(c.commit, c.cost, c.price);
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
        self.ledger.open -= tr.review_commit;
        tr.review_commit = 0.0;
        self.ledger.booked += review;
        if review > 0.0 {
            self.ledger.overhead(id, k, None, review, t);
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
        let ideas = self.ideas;
        let mut release = None;
        let tr = &mut self.tracks[id];
        for a in tr.attempts.iter_mut() {
            let sig = ideas.attempt_signal(id, k, a.slot, stage.signal_noise) + a.log_quality;
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
                // Built scope has aged since its requirements were fixed (track.rs).
                let drift = tr.scope.freshness(t, s.risk.requirements_half_life_months);
                let discount = self.forecast.discount(t);
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
            self.events
                .push(t + m.gate_delay_months, EventKind::Gate, id, 0);
        }
        self.releases.extend(release);
    }
}
