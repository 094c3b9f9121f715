//! The funding rules a decision point applies, as plain functions of the model and
//! what the fund knows: the case for an idea (the value expected from the work ahead
//! against its cost, as planned or by reference class), the gate test, the priority
//! among ideas that pass, the order of continuing and new ideas, the stages whose money
//! is set aside at a gate pass, and the cap on new starts per round.

use std::ops::Range;

use crate::engine::risk;
use crate::model::{
    Commitment, CostBasis, FundingModel, Pipeline, Reserve, Scenario, Selection, Vendors,
};

/// What a decision weighs for one idea, dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case {
    /// Value expected from the work ahead (the share not yet released).
    pub value: f64,
    /// Cost expected for the work ahead.
    pub cost: f64,
}

impl Case {
    /// The gate test: expected value covers `hurdle` times expected cost, and is positive.
    pub fn passes(&self, hurdle: f64) -> bool {
        self.value >= hurdle * self.cost && self.value > 0.0
    }

    /// Rank among ideas that pass (higher first): expected value per expected dollar,
    /// or 0 for all (arrival order, since ties go by idea id).
    pub fn priority(&self, selection: Selection) -> f64 {
        match selection {
            Selection::Rank => self.value / self.cost,
            Selection::Arrival => 0.0,
        }
    }
}

/// What the case of an idea at stage `from` is built from.
#[derive(Debug, Clone, Copy)]
pub struct Outlook {
    /// Expected worth of the idea if delivered in full now, dollars.
    pub expected_value: f64,
    /// Share of value already released.
    pub released: f64,
    /// Observed overrun ratio so far (1 before any contract finished).
    pub cost_ratio: f64,
    /// Planned cost of the whole idea, dollars.
    pub cost: f64,
    /// Planned duration of the whole idea, months.
    pub duration: f64,
}

/// What a reference-class forecast needs that depends on the scenario alone, computed
/// once per scenario (a thread keeps it from run to run): the risk model's constants
/// and the expected award markup of a small and of a large contract (the only two the
/// market gives).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The risk model's constants.
    pub risk: risk::Prepared,
    /// The market and the annual discount rate it was computed for.
    vendors: Vendors,
    discount_rate: f64,
    /// [`expected_markup`] of a contract small vendors may bid on.
    markup_small: f64,
    /// [`expected_markup`] of a contract above the small-contract cap.
    markup_large: f64,
    /// ln(1 + annual discount rate) / 12: the log discount per month.
    log_discount_per_month: f64,
}

impl Forecast {
    /// The constants of scenario `s`.
    pub fn new(s: &Scenario) -> Forecast {
        let v = &s.vendors;
        Forecast {
            risk: risk::Prepared::new(&s.risk),
            vendors: v.clone(),
            discount_rate: s.simulation.discount_rate,
            markup_small: expected_markup(v, v.small_contract_cap),
            markup_large: expected_markup(v, f64::INFINITY),
            log_discount_per_month: s.simulation.discount_rate.ln_1p() / 12.0,
        }
    }

    /// Whether these are the constants of scenario `s`.
    pub fn fits(&self, s: &Scenario) -> bool {
        self.risk.fits(&s.risk)
            && self.vendors == s.vendors
            && self.discount_rate == s.simulation.discount_rate
    }

    /// The discount factor of value `months` from now, (1 + annual rate)^(-months / 12).
    pub fn discount(&self, months: f64) -> f64 {
        (-months * self.log_discount_per_month).exp()
    }

    /// [`expected_markup`] of a contract small vendors may bid on, then of one above
    /// the small-contract cap.
    pub fn markups(&self) -> [f64; 2] {
        [self.markup_small, self.markup_large]
    }

    /// [`expected_markup`] of a contract of planned work `work`, dollars.
    fn markup(&self, v: &Vendors, work: f64) -> f64 {
        if work <= v.small_contract_cap {
            self.markup_small
        } else {
            self.markup_large
        }
    }
}

/// `x^n` for a count `n`, as `powf` gives it; 0 and 1 (one attempt per stage, the
/// common case) need no `powf`, whose results there are exact.
pub(super) fn pow_count(x: f64, n: f64) -> f64 {
    if n == 0.0 {
        1.0
    } else if n == 1.0 {
        x
    } else {
        x.powf(n)
    }
}

/// What a reference-class forecast expects of one stage of one idea, and of the time
/// from that stage to delivery: fixed for the idea under a model (its planned cost and
/// duration do not change), so a run computes it once per idea rather than at every
/// decision the idea meets (a held idea is weighed again at every contract end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageForecast {
    /// The risk model's expectation of one contract of the stage.
    pub expected: risk::Expected,
    /// 2^(-months / half-life) for the months from the stage's start to delivery:
    /// what requirements drift leaves of the value.
    pub drift: f64,
    /// The discount factor of those months.
    pub discount: f64,
}

/// The [`StageForecast`] of every stage of an idea of planned cost `cost` and planned
/// duration `duration`, in stage order, appended to `out`.
pub fn stage_forecasts(
    s: &Scenario,
    f: &Forecast,
    m: &FundingModel,
    cost: f64,
    duration: f64,
    out: &mut Vec<StageForecast>,
) {
    let n = m.stages.len();
    let first = out.len();
    for (j, work) in m.stage_works(cost, s.risk.gate_rework_share).enumerate() {
        let planned = m.stage_duration(j, duration);
        let markup = f.markup(&s.vendors, work);
        out.push(StageForecast {
            expected: f.risk.expected(planned, markup, s.vendors.overrun_markup),
            drift: 0.0,
            discount: 0.0,
        });
    }
    for from in 0..n {
        // The months summed in the order a case from `from` sums them.
        let mut months = 0.0;
        for j in from..n {
            let planned = m.stage_duration(j, duration);
            months += planned * out[first + j].expected.schedule;
            if j == 0 || m.stages[j].recompete {
                months += m.procurement_delay_months;
            }
            if j + 1 < n {
                months += m.gate_delay_months;
            }
        }
        let sf = &mut out[first + from];
        sf.drift = (-months / s.risk.requirements_half_life_months).exp2();
        sf.discount = f.discount(months);
    }
}

/// The case for stages `from..` of an idea, with `attempts(j)` vendors funded in stage j.
/// `stages` holds the idea's [`stage_forecasts`] (read only under a reference-class
/// cost basis).
pub fn case(
    s: &Scenario,
    m: &FundingModel,
    from: usize,
    o: &Outlook,
    stages: &[StageForecast],
    attempts: impl Fn(usize) -> usize,
) -> Case {
    let n = m.stages.len();
    let value = (1.0 - o.released) * o.expected_value;
    match m.cost_basis {
        CostBasis::Planned => Case {
            value,
            cost: o.cost_ratio
                * m.stage_works(o.cost, s.risk.gate_rework_share)
                    .enumerate()
                    .skip(from)
                    .map(|(j, work)| work * attempts(j) as f64)
                    .sum::<f64>(),
        },
        CostBasis::ReferenceClass => {
            debug_assert_eq!(stages.len(), n, "an idea's stage forecasts");
            let cost = reference_cost(s, m, from, o.cost, o.cost_ratio, &attempts, |j, _| {
                stages[j].expected.price
            });
            let mut survive = 1.0;
            for (j, stage) in stages.iter().enumerate().skip(from) {
                // The idea is lost only when every attempt of a stage is cancelled.
                survive *= 1.0 - pow_count(stage.expected.cancel, attempts(j) as f64);
            }
            let Some(time) = stages.get(from) else {
                // Nothing ahead: no time to wait.
                return Case {
                    value: value * survive,
                    cost,
                };
            };
            Case {
                value: value * survive * time.drift * time.discount,
                cost,
            }
        }
    }
}

/// The cost a reference-class case reads for stages `from..` of an idea of planned cost
/// `cost` dollars: each stage's planned work for `attempts(j)` vendors at `price(j,
/// work)` per dollar, scaled by the overrun ratio `cost_ratio`, plus its procurement
/// and gate review, summed in stage order. The screen (screen.rs) sums its lower bound
/// through this too, so that the two sums round alike, term by term.
pub fn reference_cost(
    s: &Scenario,
    m: &FundingModel,
    from: usize,
    cost: f64,
    cost_ratio: f64,
    attempts: impl Fn(usize) -> usize,
    price: impl Fn(usize, f64) -> f64,
) -> f64 {
    let n = m.stages.len();
    let mut total = 0.0;
    let works = m.stage_works(cost, s.risk.gate_rework_share);
    for (j, work) in works.enumerate().skip(from) {
        let n_j = attempts(j) as f64;
        total += cost_ratio * n_j * work * price(j, work);
        if j == 0 || m.stages[j].recompete {
            total += m.procurement_cost;
        }
        if j + 1 < n {
            total += m.gate_review_cost;
        }
    }
    total
}

/// Expected award markup of a competed contract of planned work `work`: each eligible
/// vendor bids with the market's bid probability, n bids leave markup / n, none a
/// sole-source award.
pub fn expected_markup(v: &Vendors, work: f64) -> f64 {
    let eligible = v.large
        + if work <= v.small_contract_cap {
            v.small
        } else {
            0
        };
    let p = v.bid_probability;
    if eligible == 0 {
        return v.sole_source_markup;
    }
    // Binomial(eligible, p) probabilities by recurrence.
    let mut pmf = (1.0 - p).powi(eligible as i32);
    let mut mean = pmf * v.sole_source_markup;
    if p >= 1.0 {
        return v.markup / f64::from(eligible);
    }
    for b in 1..=eligible {
        pmf *= f64::from(eligible - b + 1) / f64::from(b) * p / (1.0 - p);
        mean += pmf * v.markup / f64::from(b);
    }
    mean
}

/// A candidate of a decision point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Rank (higher first).
    pub priority: f64,
    /// Idea id (ties go to the lower id: earlier arrival).
    pub id: usize,
    /// Funded before: at a gate or held, not a new start.
    pub continuing: bool,
}

/// Puts the candidates in funding order: by priority, continuing ideas first when the
/// model finishes what it started.
pub fn order(pipeline: Pipeline, c: &mut [Candidate]) {
    c.sort_by(|a, b| {
        let first = match pipeline {
            Pipeline::FinishFirst => b.continuing.cmp(&a.continuing),
            Pipeline::FirstFit => std::cmp::Ordering::Equal,
        };
        first
            .then(b.priority.total_cmp(&a.priority))
            .then(a.id.cmp(&b.id))
    });
}

/// Whether a continuing idea that cannot be paid for stops everything ranked after it
/// at this decision (the money that comes back is kept for it).
pub fn blocks(pipeline: Pipeline) -> bool {
    pipeline == Pipeline::FinishFirst
}

/// Money set aside for later stages when a stage starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The later stages whose expected commitments are set aside.
    pub stages: Range<usize>,
    /// The stage may start only if all of it can be set aside (a project commitment);
    /// otherwise as much as is available is set aside, up to the whole.
    pub required: bool,
}

/// What is set aside when stage `k` starts: every later stage at selection under a
/// project commitment (required: that is what committing the project means); under a
/// stage commitment, at every gate pass (selection is the first gate), what the reserve
/// rule asks, as far as money allows. A reserve that had to be whole would let ideas each holding part of the
/// money they need block one another.
pub fn reservation(m: &FundingModel, k: usize) -> Reservation {
    let n = m.stages.len();
    let (stages, required) = match m.commitment {
        Commitment::Project if k == 0 => (1..n, true),
        Commitment::Project => (n..n, true),
        Commitment::Stage => match m.reserve {
            Reserve::None => (n..n, false),
            Reserve::NextStage => ((k + 1).min(n)..(k + 2).min(n), false),
            Reserve::Plan => ((k + 1).min(n)..n, false),
        },
    };
    Reservation { stages, required }
}

/// New ideas a decision point may start: the model's cap at an intake round.
pub fn starts_allowed(m: &FundingModel) -> u32 {
    m.max_starts_per_round.unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_markup_matches_enumeration() {
        let v = Vendors {
            large: 2,
            small: 3,
            small_contract_cap: 100.0,
            bid_probability: 0.3,
            markup: 0.3,
            sole_source_markup: 0.4,
            overrun_markup: 0.4,
            incumbent_advantage: 0.5,
            switching_cost_share: 0.33,
        };
        // Enumerate all 2^5 bid patterns for a small contract.
        let mut exact = 0.0;
        for mask in 0u32..32 {
            let bids = mask.count_ones();
            let prob = 0.3f64.powi(bids as i32) * 0.7f64.powi(5 - bids as i32);
            exact += prob
                * if bids == 0 {
                    0.4
                } else {
                    0.3 / f64::from(bids)
                };
        }
        assert!((expected_markup(&v, 50.0) - exact).abs() < 1e-12);
        // Above the small cap only the two large vendors may bid.
        let two = 0.49 * 0.4 + 2.0 * 0.21 * 0.3 + 0.09 * 0.15;
        assert!((expected_markup(&v, 500.0) - two).abs() < 1e-12);
    }

    /// The reference-class case summed from scratch, stage by stage, as the forecasts
    /// cached per idea must reproduce it.
    fn case_from_scratch(
        s: &Scenario,
        f: &Forecast,
        m: &FundingModel,
        from: usize,
        o: &Outlook,
        attempts: impl Fn(usize) -> usize,
    ) -> Case {
        let n = m.stages.len();
        let (mut cost, mut months, mut survive) = (0.0, 0.0, 1.0);
        for j in from..n {
            let work = m.stage_work(j, o.cost, s.risk.gate_rework_share);
            let planned = m.stage_duration(j, o.duration);
            let e = f.risk.expected(
                planned,
                f.markup(&s.vendors, work),
                s.vendors.overrun_markup,
            );
            let n_j = attempts(j) as f64;
            cost += o.cost_ratio * n_j * work * e.price;
            months += planned * e.schedule;
            if j == 0 || m.stages[j].recompete {
                cost += m.procurement_cost;
                months += m.procurement_delay_months;
            }
            if j + 1 < n {
                cost += m.gate_review_cost;
                months += m.gate_delay_months;
            }
            survive *= 1.0 - pow_count(e.cancel, n_j);
        }
        let drift = (-months / s.risk.requirements_half_life_months).exp2();
        Case {
            value: (1.0 - o.released) * o.expected_value * survive * drift * f.discount(months),
            cost,
        }
    }

    #[test]
    fn stage_works_in_turn_are_each_stage_work_to_the_bit() {
        // The running sum must reproduce `stage_work` exactly, for every preset's
        // models, with and without rework, for small and large ideas.
        for p in crate::scenario::presets::PRESETS {
            let name = p.name;
            let s = match crate::scenario::load_text(&p.label(), p.text, None, &[]) {
                Ok(l) => l.scenario,
                Err(e) => panic!("preset {name}: {e}"),
            };
            for m in &s.models {
                for rework in [0.0, 0.2, 0.55] {
                    for cost in [1.0, 2.5e5, 3.3e6, 7.1e7] {
                        let works: Vec<f64> = m.stage_works(cost, rework).collect();
                        assert_eq!(works.len(), m.stages.len());
                        for (k, w) in works.into_iter().enumerate() {
                            let plain = m.stage_work(k, cost, rework);
                            assert_eq!(w.to_bits(), plain.to_bits(), "{name} {} stage {k}", m.name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn cached_stage_forecasts_give_the_case_summed_from_scratch() {
        let loaded = match crate::scenario::load_default(&[]) {
            Ok(l) => l,
            Err(e) => panic!("default scenario: {e}"),
        };
        let s = loaded.scenario;
        let f = Forecast::new(&s);
        for m in &s.models {
            let mut m = m.clone();
            m.cost_basis = CostBasis::ReferenceClass;
            // Small and large ideas, short and long: both markups, several risk levels.
            for (cost, duration) in [(2e5, 4.0), (3e6, 18.0), (4e7, 40.0)] {
                let mut stages = Vec::new();
                stage_forecasts(&s, &f, &m, cost, duration, &mut stages);
                assert_eq!(stages.len(), m.stages.len());
                for from in 0..m.stages.len() {
                    for attempts in [1, 3] {
                        let o = Outlook {
                            expected_value: 5e6,
                            released: 0.25,
                            cost_ratio: 1.3,
                            cost,
                            duration,
                        };
                        let cached = case(&s, &m, from, &o, &stages, |_| attempts);
                        let plain = case_from_scratch(&s, &f, &m, from, &o, |_| attempts);
                        assert_eq!(cached, plain, "{} from stage {from}", m.name);
                    }
                }
            }
        }
    }

    #[test]
    fn finish_first_puts_continuing_ideas_before_better_new_ones() {
        let mut c = vec![
            Candidate {
                priority: 5.0,
                id: 1,
                continuing: false,
            },
            Candidate {
                priority: 2.0,
                id: 7,
                continuing: true,
            },
            Candidate {
                priority: 3.0,
                id: 3,
                continuing: true,
            },
        ];
        order(Pipeline::FinishFirst, &mut c);
        assert_eq!(c.iter().map(|c| c.id).collect::<Vec<_>>(), [3, 7, 1]);
        order(Pipeline::FirstFit, &mut c);
        assert_eq!(c.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 3, 7]);
    }
}
