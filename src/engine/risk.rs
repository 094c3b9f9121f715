//! Delivery risk of one contract: a lognormal body of cost overrun, a truncated Pareto
//! black-swan tail, a correlated schedule slip, and the duration effect that makes long
//! contracts riskier (the mechanism by which smaller stages reduce risk).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::model::Risk;

/// What happens to one contract's cost and schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw {
    /// Work cost multiplier on plan (1.27 = +27%).
    pub cost: f64,
    /// Duration multiplier on plan (1.24 = 24% late).
    pub schedule: f64,
    /// Whether the contract fell in the black-swan tail.
    pub black_swan: bool,
}

/// Scale factor (duration / reference)^exponent; exactly 1 when the exponent is 0.
pub fn duration_factor(risk: &Risk, months: f64) -> f64 {
    if risk.duration_exponent == 0.0 {
        1.0
    } else {
        (months / risk.reference_duration_months).powf(risk.duration_exponent)
    }
}

/// Black-swan probability of a contract planned to last `months`.
pub fn black_swan_probability(risk: &Risk, months: f64) -> f64 {
    (risk.black_swan_probability * duration_factor(risk, months)).min(1.0)
}

/// Inverse CDF of the Pareto(tail_min, tail_alpha) overrun truncated at tail_max.
pub fn tail_overrun(risk: &Risk, u: f64) -> f64 {
    let (xm, a) = (risk.tail_min, risk.tail_alpha);
    let trunc = 1.0 - (xm / risk.tail_max).powf(a);
    xm / (1.0 - u * trunc).powf(1.0 / a)
}

/// Draws the risk of a contract planned for `months`, given the idea's shared normal
/// `idea_z`. Consumes exactly two normals and two uniforms from `rng`, in that order.
pub fn draw<R: Rng + ?Sized>(risk: &Risk, months: f64, idea_z: f64, rng: &mut R) -> Draw {
    let z_own: f64 = StandardNormal.sample(rng);
    let z_sched: f64 = StandardNormal.sample(rng);
    let u_swan: f64 = rng.random();
    let u_tail: f64 = rng.random();
    let g = duration_factor(risk, months);
    let rho = risk.idea_correlation;
    let z_cost = rho.sqrt() * idea_z + (1.0 - rho).sqrt() * z_own;
    let c = risk.schedule_correlation;
    let z_time = c * z_cost + (1.0 - c * c).sqrt() * z_sched;
    if u_swan < black_swan_probability(risk, months) {
        let y = tail_overrun(risk, u_tail);
        Draw {
            cost: 1.0 + y,
            schedule: 1.0 + risk.tail_schedule_ratio * y,
            black_swan: true,
        }
    } else {
        Draw {
            cost: risk.overrun_median * (risk.overrun_log_sd * g * z_cost).exp(),
            schedule: risk.schedule_median * (risk.schedule_log_sd * g * z_time).exp(),
            black_swan: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Purpose, stream};

    pub(crate) fn risk() -> Risk {
        Risk {
            overrun_median: 0.95,
            overrun_log_sd: 0.15,
            black_swan_probability: 1.0 / 6.0,
            tail_min: 0.5,
            tail_alpha: 1.0,
            tail_max: 20.0,
            tail_schedule_ratio: 0.37,
            schedule_median: 1.2,
            schedule_log_sd: 0.25,
            schedule_correlation: 0.5,
            idea_correlation: 0.5,
            reference_duration_months: 24.0,
            duration_exponent: 0.5,
            requirements_half_life_months: f64::INFINITY,
            escalation_cap: f64::INFINITY,
        }
    }

    fn mean_overrun(r: &Risk, months: f64) -> f64 {
        let n = 100_000;
        (0..n)
            .map(|i| {
                let mut s = stream(3, 0, i, Purpose::Contract, 0);
                draw(r, months, 0.0, &mut s).cost
            })
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn truncated_pareto_mean_matches_closed_form() {
        let r = risk();
        let n = 400_000;
        let mean = (0..n)
            .map(|i| tail_overrun(&r, (i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64;
        // alpha = 1: E[Y] = xm ln(ymax / xm) / (1 - xm / ymax)
        let exact = 0.5 * (20.0f64 / 0.5).ln() / (1.0 - 0.5 / 20.0);
        assert!((mean - exact).abs() < 0.01, "{mean} vs {exact}");
        assert!(tail_overrun(&r, 0.0) >= 0.5 && tail_overrun(&r, 1.0) <= 20.0 + 1e-9);
    }

    #[test]
    fn duration_exponent_zero_makes_overruns_independent_of_length() {
        let mut r = risk();
        r.duration_exponent = 0.0;
        for i in 0..1000 {
            let a = draw(&r, 2.0, 0.3, &mut stream(9, 1, i, Purpose::Contract, 0));
            let b = draw(&r, 60.0, 0.3, &mut stream(9, 1, i, Purpose::Contract, 0));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn longer_contracts_overrun_more_when_the_effect_is_on() {
        let r = risk();
        let short = mean_overrun(&r, 3.0);
        let long = mean_overrun(&r, 48.0);
        assert!(long > short + 0.2, "short {short}, long {long}");
        // At the reference duration the mean is near the published +27%.
        let at_ref = mean_overrun(&r, 24.0);
        assert!((at_ref - 1.27).abs() < 0.05, "{at_ref}");
    }
}
