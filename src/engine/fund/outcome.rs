//! The outcome of a run at the horizon: every metric of one portfolio under one model,
//! per-stage counts, monthly series, and (when asked for) one record per idea.

use super::Sim;
use super::track::Status;
use crate::metrics::{METRIC_COUNT, Metric, Outcome, StageOutcome};

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
    /// Waited at a gate for money at least once.
    pub was_held: bool,
}

/// Everything one run produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Metrics and stage counts.
    pub outcome: Outcome,
    /// Per-idea detail, for ideas that arrived (empty when run with [`Detail::Outcomes`]).
    ///
    /// [`Detail::Outcomes`]: crate::engine::Detail::Outcomes
    pub projects: Vec<Project>,
    /// Spend beyond commitments that escalation forced (overruns past contingency),
    /// dollars: the only way spend may exceed the budget.
    pub escalation_excess: f64,
}

/// Idea counts at the horizon.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    considered: u32,
    started: u32,
    killed: u32,
    cancelled: u32,
    delivered: u32,
    misfits_delivered: u32,
    held: u32,
}

/// Where each dollar of spend on ideas ended up.
#[derive(Debug, Clone, Copy, Default)]
struct SpendSplit {
    wip: f64,
    waste: f64,
    delivered: f64,
    stranded: f64,
    /// Spend on delivered and running ideas: the base of lock-in exposure.
    lock_base: f64,
}

/// Totals over contracts finished by the horizon.
#[derive(Debug, Clone, Copy, Default)]
struct Finished {
    price: f64,
    cost: f64,
    planned_months: f64,
    actual_months: f64,
}

/// Buffers `finish` fills and a thread keeps from run to run.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    idea_spend: Vec<f64>,
    vendor_spend: Vec<f64>,
    diff: Vec<[f64; 4]>,
}

/// `v` emptied, then `n` zeros.
fn zeroed<T: Copy + Default>(v: &mut Vec<T>, n: usize) -> Vec<T> {
    let mut out = std::mem::take(v);
    out.clear();
    out.resize(n, T::default());
    out
}

/// The first whole month at or after month `t`, at most `cap`: `ceil(t)` clamped to
/// [0, cap], by truncation (`ceil` is a libm call on baseline x86-64, and this runs for
/// every payment). Months before 0 give 0, past `cap` (or infinite) give `cap`. Signed
/// conversions throughout: each is one instruction, where an unsigned one is several.
fn month_index(t: f64, cap: usize) -> usize {
    if t <= 0.0 || t.is_nan() {
        return 0;
    }
    // Clamped first, so the truncation is of a small number (a horizon in months is
    // far below 2^53, so `cap` converts exactly).
    let t = t.min(cap as i64 as f64);
    let whole = t as i64;
    (whole + i64::from((whole as f64) < t)) as usize
}

impl Sim<'_> {
    /// Metrics at the horizon.
    pub(super) fn finish(&mut self) -> Run {
        let h = self.s.simulation.horizon_months;
        let nv = self.s.vendors.count();
        let mut scratch = std::mem::take(&mut self.scratch_finish);
        let mut idea_spend = zeroed(&mut scratch.idea_spend, self.tracks.len());
        let mut vendor_spend = zeroed(&mut scratch.vendor_spend, nv);
        let (mut spend, mut overhead, mut sole) = (0.0, 0.0, 0.0);
        let mut done = Finished::default();
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
        // Cumulative spend at each whole month 0..=H, and value released by then, built
        // from difference arrays: each payment adds a constant from the month it is
        // paid in full (`paid_from`), and a straight line `slope * m + level` over the
        // months while it is under way, so a payment costs O(1) whatever its length.
        let months = h.floor() as usize + 1;
        // Per month, side by side: [paid_from, slope, level, value released].
        let mut diff = zeroed(&mut scratch.diff, months + 1);
        for p in &self.ledger.payments {
            let paid = p.paid_by(h);
            spend += paid;
            idea_spend[p.idea] += paid;
            stages[p.stage].spend += paid;
            // The month it is paid in full from, and the first month it is under way:
            // one index for a payment made at once (procurement, reviews, switching).
            let (first, first_full) = if p.end > p.start {
                let first_full = month_index(p.end, months);
                // month_index(start, first_full), without waiting on `first_full`.
                (month_index(p.start, months).min(first_full), first_full)
            } else {
                let at = month_index(p.start, months);
                (at, at)
            };
            // Inside [first, first_full) a month m is past the start or on it (paying 0)
            // and before the end: `paid_by(m)` is the straight-line share
            // amount (m - start) / (end - start).
            if first < first_full {
                let rate = p.amount / (p.end - p.start);
                diff[first][1] += rate;
                diff[first_full][1] -= rate;
                diff[first][2] -= rate * p.start;
                diff[first_full][2] += rate * p.start;
            }
            diff[first_full][0] += p.amount;
            if p.overhead {
                overhead += paid;
            }
            if let Some(v) = p.vendor {
                vendor_spend[v] += paid;
                if p.sole_source {
                    sole += paid;
                }
            }
            if let Some(c) = p.contract
                && p.end < h
            {
                done.price += c.price;
                done.cost += p.amount;
                done.planned_months += c.planned_months;
                done.actual_months += c.actual_months;
                stages[p.stage].months += c.actual_months;
                stages[p.stage].finished += 1;
            }
        }
        for &(t, v) in &self.releases {
            diff[month_index(t, months)][3] += v;
        }
        let (mut full, mut rate, mut base, mut value_so_far) = (0.0, 0.0, 0.0, 0.0);
        let mut spend_by_month = Vec::with_capacity(months);
        let mut value_by_month = Vec::with_capacity(months);
        for (m, &[paid_from, slope, level, released]) in diff[..months].iter().enumerate() {
            full += paid_from;
            rate += slope;
            base += level;
            value_so_far += released;
            // The straight-line parts are never negative; rounding could make them so.
            spend_by_month.push((full + (rate * m as f64 + base).max(0.0)) as f32);
            value_by_month.push(value_so_far as f32);
        }
        let mut unspent = self.tracks.iter().map(|t| t.reserve).sum::<f64>();
        let mut excess = self.ledger.excess;
        let mut split = SpendSplit::default();
        let mut value = 0.0;
        let mut n = Counts::default();
        let mut first_value = f64::INFINITY;
        let (mut wait_sum, mut wait_n) = (0.0, 0u32);
        let mut projects = Vec::with_capacity(if self.keep_projects {
            self.tracks.len()
        } else {
            0
        });
        for (id, tr) in self.tracks.iter().enumerate() {
            // Commitments not yet paid, and escalation beyond them, of every idea (an
            // idea that has not arrived has none).
            unspent += tr.review_commit;
            for c in tr.attempts.iter().filter_map(|a| a.contract.as_ref()) {
                let paid = self.ledger.payments[c.pay].paid_by(h);
                unspent += (c.commit - paid).max(0.0);
                excess += (paid - c.commit).max(0.0);
            }
            if !tr.arrived {
                continue;
            }
            let idea = &self.ideas.ideas[id];
            let spent = idea_spend[id];
            n.considered += 1;
            n.started += u32::from(tr.stages_entered > 0);
            n.held += u32::from(tr.was_held);
            value += tr.value;
            if tr.status.is_running() {
                split.wip += spent;
                split.lock_base += spent;
            } else if tr.value > 0.0 {
                split.delivered += spent;
            } else {
                split.waste += spent;
            }
            if tr.status.is_stranded() {
                split.stranded += spent;
            }
            match tr.status {
                Status::Killed(_) => n.killed += 1,
                Status::Cancelled(k) => {
                    n.cancelled += 1;
                    stages[k].cancelled += 1;
                }
                Status::Delivered => {
                    n.delivered += 1;
                    n.misfits_delivered += u32::from(!idea.fit);
                    split.lock_base += spent;
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
                was_held: tr.was_held,
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
        set(Metric::Wip, split.wip);
        set(Metric::DeliveredSpend, split.delivered);
        set(Metric::DeliveredValue, value);
        set(Metric::NetValue, value - spend);
        set(Metric::ValuePerDollar, ratio(value, spend));
        set(Metric::Waste, split.waste);
        set(Metric::WasteShare, ratio(split.waste, spend));
        set(Metric::Overhead, overhead);
        set(Metric::StrandedSpend, split.stranded);
        set(Metric::IdeasConsidered, f64::from(n.considered));
        set(Metric::IdeasStarted, f64::from(n.started));
        set(Metric::IdeasKilled, f64::from(n.killed));
        set(Metric::IdeasCancelled, f64::from(n.cancelled));
        set(Metric::IdeasHeld, f64::from(n.held));
        set(Metric::IdeasDelivered, f64::from(n.delivered));
        set(Metric::MisfitsDelivered, f64::from(n.misfits_delivered));
        set(Metric::MonthsToFirstValue, first_value.min(h));
        set(
            Metric::MeanMonthsToValue,
            ratio(wait_sum, f64::from(wait_n)),
        );
        set(Metric::CostOverrun, ratio(done.cost, done.price) - 1.0);
        set(
            Metric::ScheduleSlip,
            ratio(done.actual_months, done.planned_months) - 1.0,
        );
        set(
            Metric::LockinExposure,
            ratio(self.s.vendors.switching_cost_share * split.lock_base, spend),
        );
        set(Metric::VendorHhi, hhi);
        set(Metric::SmallVendorShare, ratio(small, vendor_total));
        set(Metric::SoleSourceShare, ratio(sole, vendor_total));
        set(
            Metric::LargestContractShare,
            self.ledger.largest_price / self.s.fund.budget,
        );
        // Passing a stage: entering the next one, or delivery after the last.
        let count = stages.len();
        for k in 0..count {
            stages[k].passed = if k + 1 < count {
                stages[k + 1].entered
            } else {
                n.delivered
            };
        }
        self.scratch_finish = Scratch {
            idea_spend,
            vendor_spend,
            diff,
        };
        Run {
            outcome: Outcome {
                values,
                stages,
                spend_by_month,
                value_by_month,
            },
            projects,
            escalation_excess: excess,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::month_index;

    #[test]
    fn month_index_is_ceil_clamped() {
        let cap = 61;
        for t in [
            -3.5,
            -0.0,
            0.0,
            1e-300,
            0.5,
            1.0,
            1.0000000000000002,
            12.999999999999998,
            13.0,
            59.2,
            60.0,
            61.0,
            61.5,
            1e30,
            f64::INFINITY,
        ] {
            let expected = (t.ceil().max(0.0) as usize).min(cap);
            assert_eq!(month_index(t, cap), expected, "{t}");
        }
        assert_eq!(month_index(f64::NAN, cap), 0);
    }
}
