//! A screen for new ideas under a reference-class cost basis. A forecast takes four
//! normal CDFs and several exponentials per stage, and most new ideas fail their hurdle
//! by far. Bounds on the forecast over a narrow range of idea durations (interval
//! arithmetic, interval.rs), worked out the first time an idea falls in the range and
//! kept per thread, settle those ideas without forecasting them. An idea the bounds do
//! not settle is forecast and weighed as before, so no decision changes.

use super::rules::{Forecast, pow_count, reference_cost};
use crate::engine::interval::Interval;
use crate::model::{FundingModel, Scenario, StageDuration};

/// Bins are ranges of idea duration, as the duration's bits above this one: the
/// exponent and the top 8 bits of the mantissa, 256 bins to an octave (each 0.4% wide
/// or less), so that the bounds are within a fraction of a percent of the forecast.
const BIN_SHIFT: u32 = 44;

/// Most bins a screen holds (32 octaves of duration); an idea outside is forecast.
const MAX_BINS: u64 = 1 << 13;

/// Margin on the final bounds, far beyond the rounding of the forecast's own sums and
/// products (each within a few ulps).
const MARGIN: f64 = 1e-9;

/// The least hurdle x cost the screen decides on: far above the subnormal numbers, so
/// that MARGIN of it dwarfs the absolute rounding of the exact case's products there
/// (a few times 2^-1075), and a value rounded that way cannot pass a bar the bound
/// says it misses.
const SMALLEST: f64 = 1e-290;

/// The bounds of one funding model, bin by bin. Each bin holds, per stage, a lower
/// bound on the expected price per dollar of planned work at the small-contract and at
/// the large-contract markup, then an upper bound on what survival, requirements drift
/// and discounting leave of a new idea's value; NaN until first needed.
#[derive(Debug, Clone)]
pub(super) struct Screen {
    model: FundingModel,
    /// The first bin held.
    first: u64,
    bins: Vec<f64>,
}

impl Screen {
    /// An empty screen for model `m`.
    pub(super) fn new(m: &FundingModel) -> Screen {
        Screen {
            model: m.clone(),
            first: 0,
            bins: Vec::new(),
        }
    }

    /// Whether this is the screen of model `m` (the scenario's constants are checked
    /// with the forecast's: a screen is dropped when they change).
    pub(super) fn fits(&self, m: &FundingModel) -> bool {
        self.model == *m
    }

    /// Values per bin.
    fn stride(&self) -> usize {
        2 * self.model.stages.len() + 1
    }

    /// Whether a new idea (about to enter its first stage) of planned cost `cost`
    /// dollars and planned duration `duration` months, whose case values it at `value`
    /// dollars with cost ratio `cost_ratio`, surely fails `hurdle` under a
    /// reference-class forecast: the case's value is at most the bound's and its cost
    /// at least the bound's (summed by `rules::reference_cost`, as the case's is), so
    /// the exact test would fail too. False whenever unsure.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rules_out(
        &mut self,
        s: &Scenario,
        f: &Forecast,
        cost: f64,
        duration: f64,
        value: f64,
        cost_ratio: f64,
        hurdle: f64,
    ) -> bool {
        if !(duration > 0.0 && duration.is_finite()) {
            return false;
        }
        let bin = duration.to_bits() >> BIN_SHIFT;
        let Some(at) = self.locate(bin) else {
            return false;
        };
        let stride = self.stride();
        if self.bins[at].is_nan() {
            let lo = f64::from_bits(bin << BIN_SHIFT);
            let hi = f64::from_bits((bin + 1) << BIN_SHIFT);
            let bounds = bin_bounds(s, f, &self.model, Interval { lo, hi });
            self.bins[at..at + stride].copy_from_slice(&bounds);
        }
        let b = &self.bins[at..at + stride];
        let m = &self.model;
        let n = m.stages.len();
        let least = reference_cost(
            s,
            m,
            0,
            cost,
            cost_ratio,
            |j| m.stages[j].attempts,
            |j, work| {
                // The markup the forecast prices stage j at (`Forecast::markup`).
                let small = work <= s.vendors.small_contract_cap;
                b[2 * j + usize::from(!small)]
            },
        );
        // Below SMALLEST the exact products round in steps of a subnormal, far more
        // than MARGIN covers: such ideas are forecast.
        let bar = hurdle * least;
        bar >= SMALLEST && value * b[2 * n] < bar
    }

    /// Where bin `bin` starts in `bins`, growing the range held (by doubling, with NaN)
    /// to include it; None if that would pass [`MAX_BINS`].
    fn locate(&mut self, bin: u64) -> Option<usize> {
        let stride = self.stride();
        let held = (self.bins.len() / stride) as u64;
        let end = self.first + held;
        if held == 0 || bin < self.first || bin >= end {
            let (lo, hi) = if held == 0 {
                (bin, bin + 1)
            } else {
                (self.first.min(bin), end.max(bin + 1))
            };
            if hi - lo > MAX_BINS {
                return None;
            }
            // Room to grow on the side that grew (both, at first), so that a run of
            // ideas each just outside costs a few copies, not one per idea.
            let slack = (hi - lo).max(64).min(MAX_BINS - (hi - lo));
            let (lo, hi) = if held == 0 {
                (lo.saturating_sub(slack / 2), hi + slack / 2)
            } else if bin >= end {
                (lo, hi + slack)
            } else {
                (lo.saturating_sub(slack), hi)
            };
            let mut bins = vec![f64::NAN; (hi - lo) as usize * stride];
            let offset = (self.first.saturating_sub(lo)) as usize * stride;
            if held > 0 {
                bins[offset..offset + self.bins.len()].copy_from_slice(&self.bins);
            }
            self.bins = bins;
            self.first = lo;
        }
        Some((bin - self.first) as usize * stride)
    }
}

/// The bounds of one bin, ideas of planned duration `duration` months (see [`Screen`]);
/// where the risk model gives none, bounds that settle nothing (a price of 0, a value
/// factor of infinity).
fn bin_bounds(s: &Scenario, f: &Forecast, m: &FundingModel, duration: Interval) -> Vec<f64> {
    let n = m.stages.len();
    let mut out = unsettled(n);
    let one = Interval::point(1.0);
    let (mut survive, mut months) = (one, Interval::point(0.0));
    for (j, stage) in m.stages.iter().enumerate() {
        let planned = match stage.duration {
            StageDuration::Share(x) => duration.increasing(|d| x * d).at_least(0.0),
            StageDuration::Months(x) => Interval::point(x),
        };
        let Some(e) = f
            .risk
            .expected_bounds(planned, f.markups(), s.vendors.overrun_markup)
        else {
            return unsettled(n);
        };
        for (slot, price) in out[2 * j..2 * j + 2].iter_mut().zip(e.price) {
            // (Outward whatever the sign.)
            let lo = price.lo - price.lo.abs() * MARGIN;
            *slot = if lo.is_nan() { 0.0 } else { lo };
        }
        let n_j = stage.attempts as f64;
        // The idea is lost only when every attempt is cancelled (`rules::case`).
        let lost = e.cancel.increasing(|c| pow_count(c.max(0.0), n_j));
        survive = survive * (one - lost);
        months = months + planned * e.schedule;
        if j == 0 || stage.recompete {
            months = months + Interval::point(m.procurement_delay_months);
        }
        if j + 1 < n {
            months = months + Interval::point(m.gate_delay_months);
        }
    }
    // Drift and discounting fall as the months to delivery grow.
    let half_life = s.risk.requirements_half_life_months;
    let drift = months.decreasing(|x| (-x / half_life).exp2());
    let discount = months.decreasing(|x| f.discount(x));
    let factor = (survive * drift * discount).hi;
    let factor = factor + factor.abs() * MARGIN;
    out[2 * n] = if factor.is_nan() {
        f64::INFINITY
    } else {
        factor
    };
    out
}

/// Bounds of a bin for a model of `n` stages that settle nothing.
fn unsettled(n: usize) -> Vec<f64> {
    let mut out = vec![0.0; 2 * n + 1];
    out[2 * n] = f64::INFINITY;
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::engine::fund::rules::{Outlook, case, stage_forecasts};
    use crate::engine::rng::{Purpose, counter};
    use crate::model::{CostBasis, Reserve, StageScope};

    /// The default scenario with every model under a reference-class cost basis, and
    /// variations of its risk, market, delays and attempts the presets never use.
    pub(in crate::engine::fund) fn scenarios() -> Vec<Scenario> {
        let load = |sets: &[&str]| {
            let sets: Vec<String> = sets.iter().map(|x| x.to_string()).collect();
            match crate::scenario::load_default(&sets) {
                Ok(l) => l.scenario,
                Err(e) => panic!("default scenario with {sets:?}: {e}"),
            }
        };
        let base = load(&[]);
        let mut out = Vec::new();
        for variant in 0..8 {
            let mut s = base.clone();
            for m in &mut s.models {
                m.cost_basis = CostBasis::ReferenceClass;
                m.reserve = Reserve::Plan;
            }
            let r = &mut s.risk;
            match variant {
                1 => r.escalation_cap = 1.2,
                2 => r.duration_exponent = 0.0,
                3 => {
                    r.duration_exponent = 1.5;
                    r.black_swan_probability = 0.5;
                }
                4 => {
                    r.requirements_half_life_months = f64::INFINITY;
                    s.simulation.discount_rate = 0.0;
                }
                5 => {
                    s.vendors.small_contract_cap = 0.0;
                    s.vendors.markup = 2.0;
                    s.vendors.overrun_markup = 0.0;
                }
                6 => {
                    for m in &mut s.models {
                        m.procurement_delay_months = 9.0;
                        m.gate_delay_months = 3.0;
                        m.stages[0].attempts = 3;
                        if let Some(st) = m.stages.get_mut(1) {
                            st.attempts = 2;
                            st.scope = StageScope::Fixed(90_000.0);
                        }
                    }
                }
                7 => {
                    r.overrun_median = 0.7;
                    r.tail_min = 1.5;
                    r.gate_rework_share = 0.0;
                }
                _ => {}
            }
            out.push(s);
        }
        // Magnitudes no fund has, which validation accepts: values and costs among the
        // subnormal numbers (where a product rounds in absolute steps), and durations
        // there too (where a bin spans a factor of two and widening crosses zero).
        for sets in [
            &[
                "ideas.value={dist=\"lognormal\",median=3e-322,p90=1.5e-321}",
                "ideas.planned_cost=3e-322",
                "models.waterfall_rc.procurement_cost=0",
            ][..],
            &[
                "ideas.planned_duration_months=1e-310",
                "risk.duration_exponent=0.001",
                "ideas.planned_cost=1",
                "risk.black_swan_probability=1",
            ],
        ] {
            let mut s = load(sets);
            for m in &mut s.models {
                m.cost_basis = CostBasis::ReferenceClass;
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn the_screen_turns_away_only_ideas_whose_forecast_case_fails_and_most_of_those() {
        let (mut settled, mut failing_by_far) = (0u32, 0u32);
        for (v, s) in scenarios().iter().enumerate() {
            let f = Forecast::new(s);
            for m in &s.models {
                let mut screen = Screen::new(m);
                let mut stages = Vec::new();
                for i in 0..3000u64 {
                    let mut c = counter(17, v as u64, i, Purpose::Fundamentals, 0);
                    // Ideas of every size and length, worth from a tenth to ten times
                    // their cost, some at the hurdle's edge.
                    // (From the scenario's own distributions for one idea in four, so
                    // that its extremes are met.)
                    let own = i % 4 == 0;
                    let cost = if own {
                        s.ideas.planned_cost.sample(&mut c)
                    } else {
                        (c.normal() * 1.2 + 14.0).exp()
                    };
                    let duration = if own {
                        s.ideas.planned_duration_months.sample(&mut c)
                    } else {
                        (c.normal() * 0.8 + 2.5).exp()
                    };
                    let cost_ratio = if i % 5 == 0 { 1.4 } else { 1.0 };
                    let hurdle = [1.0, 0.5, 2.0][i as usize % 3];
                    stages.clear();
                    stage_forecasts(s, &f, m, cost, duration, &mut stages);
                    let weigh = |expected_value: f64| {
                        let o = Outlook {
                            expected_value,
                            released: 0.0,
                            cost_ratio,
                            cost,
                            duration,
                        };
                        case(s, m, 0, &o, &stages, |j| m.stages[j].attempts)
                    };
                    // Worth from a tenth to ten times the cost, or (one idea in three)
                    // within a few parts in ten thousand of the hurdle, either side.
                    let unit = weigh(1.0);
                    let value = if i % 3 == 1 {
                        hurdle * unit.cost / unit.value * (1.0 + 3e-4 * c.normal())
                    } else {
                        cost * (c.normal() * 1.1).exp()
                    };
                    let exact = weigh(value);
                    let out = screen.rules_out(s, &f, cost, duration, value, cost_ratio, hurdle);
                    assert!(
                        !out || !exact.passes(hurdle),
                        "variant {v}, {}: an idea that passes ({exact:?}, hurdle {hurdle}) turned away",
                        m.name
                    );
                    // (Tightness is asked of the magnitudes a fund has: the first
                    // eight variants.)
                    if v < 8 && exact.value < 0.98 * hurdle * exact.cost {
                        failing_by_far += 1;
                        settled += u32::from(out);
                    }
                }
            }
        }
        // The point of the screen: ideas that fail by more than 2% are settled without
        // a forecast, nearly all of them.
        let share = f64::from(settled) / f64::from(failing_by_far);
        assert!(share > 0.95, "{settled} of {failing_by_far} settled");
    }

    #[test]
    fn ideas_outside_the_range_held_are_forecast() {
        let s = &scenarios()[0];
        let f = Forecast::new(s);
        let m = &s.models[0];
        let mut screen = Screen::new(m);
        // Worth nothing: any bound settles it.
        assert!(screen.rules_out(s, &f, 1e6, 12.0, 0.0, 1.0, 1.0));
        // 40 octaves away from the first: beyond the bins a screen holds.
        assert!(!screen.rules_out(s, &f, 1e6, 12.0 * 2f64.powi(40), 0.0, 1.0, 1.0));
        for duration in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(!screen.rules_out(s, &f, 1e6, duration, 0.0, 1.0, 1.0));
        }
    }
}
