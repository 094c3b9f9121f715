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

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// What the scenario's own risk model says to expect of one contract, before it is
/// drawn: the basis of reference-class forecasting (Flyvbjerg; HM Treasury Green Book
/// optimism bias), computed in closed form from the same body and tail as [`draw`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    /// Expected cost per dollar of planned work: the award markup on work up to plan,
    /// the overrun markup on work beyond it, work capped at the escalation cap.
    pub price: f64,
    /// Expected duration multiplier (cancellations not shortening it).
    pub schedule: f64,
    /// Probability that the contract passes the escalation cap and is cancelled.
    pub cancel: f64,
}

/// `E[O; O < a]` and `P(O < a)` for a lognormal O with median `m` and log sd `s`.
fn lognormal_below(m: f64, s: f64, a: f64) -> (f64, f64) {
    if a <= 0.0 {
        return (0.0, 0.0);
    }
    if s == 0.0 {
        return if m < a { (m, 1.0) } else { (0.0, 0.0) };
    }
    if a.is_infinite() {
        return (m * (s * s / 2.0).exp(), 1.0);
    }
    let d = (a / m).ln() / s;
    (m * (s * s / 2.0).exp() * normal_cdf(d - s), normal_cdf(d))
}

/// `E[min(Y, c)]` for the truncated Pareto black-swan overrun Y of [`tail_overrun`].
fn tail_mean_capped(risk: &Risk, c: f64) -> f64 {
    let (xm, a, xmax) = (risk.tail_min, risk.tail_alpha, risk.tail_max);
    if c <= xm {
        return c;
    }
    let hi = c.min(xmax);
    let trunc = 1.0 - (xm / xmax).powf(a);
    if trunc <= 0.0 {
        return xm;
    }
    // Integral of y f(y) from xm to hi, f(y) = a xm^a y^(-a-1) / trunc.
    let partial = if (a - 1.0).abs() < 1e-12 {
        xm * (hi / xm).ln()
    } else {
        a * xm.powf(a) * (hi.powf(1.0 - a) - xm.powf(1.0 - a)) / (1.0 - a)
    } / trunc;
    if c >= xmax {
        return partial;
    }
    let above = ((xm / hi).powf(a) - (xm / xmax).powf(a)) / trunc;
    partial + c * above.max(0.0)
}

/// Expected cost, schedule and cancellation of a contract planned for `months`, priced
/// at `award_markup` up to plan and `overrun_markup` beyond it.
pub fn expected(risk: &Risk, months: f64, award_markup: f64, overrun_markup: f64) -> Expected {
    let g = duration_factor(risk, months);
    let p = black_swan_probability(risk, months);
    let k = risk.escalation_cap;
    // Body: O = m exp(s z).
    let (m, s) = (risk.overrun_median, risk.overrun_log_sd * g);
    let (below1, p_below1) = lognormal_below(m, s, 1.0);
    let (below_k, p_below_k) = lognormal_below(m, s, k);
    let under = below1 + (1.0 - p_below1); // E[min(O, 1)]
    let over = (below_k - below1) - (p_below_k - p_below1) + (k - 1.0).max(0.0) * (1.0 - p_below_k);
    let body_price = (1.0 + award_markup) * under + (1.0 + overrun_markup) * over;
    let body_cancel = 1.0 - p_below_k;
    let ss = risk.schedule_log_sd * g;
    let body_schedule = risk.schedule_median * (ss * ss / 2.0).exp();
    // Tail: O = 1 + Y with Y >= tail_min > 0, so all work up to plan is done.
    let tail_price =
        (1.0 + award_markup) + (1.0 + overrun_markup) * tail_mean_capped(risk, k - 1.0);
    let tail_cancel = if k.is_finite() {
        let trunc = 1.0 - (risk.tail_min / risk.tail_max).powf(risk.tail_alpha);
        let c = (k - 1.0).max(risk.tail_min);
        if c >= risk.tail_max || trunc <= 0.0 {
            0.0
        } else {
            ((risk.tail_min / c).powf(risk.tail_alpha)
                - (risk.tail_min / risk.tail_max).powf(risk.tail_alpha))
                / trunc
        }
    } else {
        0.0
    };
    let tail_schedule = 1.0 + risk.tail_schedule_ratio * tail_mean_capped(risk, f64::INFINITY);
    Expected {
        price: (1.0 - p) * body_price + p * tail_price,
        schedule: (1.0 - p) * body_schedule + p * tail_schedule,
        cancel: (1.0 - p) * body_cancel + p * tail_cancel,
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
            gate_rework_share: 0.2,
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

    #[test]
    fn expected_matches_monte_carlo_of_draw() {
        for (cap, months, exponent) in [
            (3.0, 24.0, 0.5),
            (f64::INFINITY, 6.0, 0.5),
            (1.5, 40.0, 0.0),
            (2.0, 12.0, 1.0),
        ] {
            let mut r = risk();
            r.escalation_cap = cap;
            r.duration_exponent = exponent;
            let (mu_a, mu_o) = (0.15, 0.4);
            let n = 400_000u64;
            let (mut price, mut sched, mut cancel) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let d = draw(&r, months, 0.0, &mut stream(11, 2, i, Purpose::Contract, 0));
                let w = d.cost.min(cap);
                price += (1.0 + mu_a) * w.min(1.0) + (1.0 + mu_o) * (w - 1.0).max(0.0);
                sched += d.schedule;
                cancel += f64::from(u8::from(d.cost > cap));
            }
            let n = n as f64;
            let e = expected(&r, months, mu_a, mu_o);
            // The tail's variance is large (alpha = 1): allow 4 standard errors.
            assert!(
                (price / n - e.price).abs() < 0.02 * e.price,
                "cap {cap}: {} vs {}",
                price / n,
                e.price
            );
            assert!(
                (sched / n - e.schedule).abs() < 0.01 * e.schedule,
                "{} vs {}",
                sched / n,
                e.schedule
            );
            assert!(
                (cancel / n - e.cancel).abs() < 0.003,
                "{} vs {}",
                cancel / n,
                e.cancel
            );
        }
    }

    #[test]
    fn expected_price_is_the_markup_when_there_is_no_risk() {
        let mut r = risk();
        r.overrun_median = 1.0;
        r.overrun_log_sd = 0.0;
        r.black_swan_probability = 0.0;
        let e = expected(&r, 12.0, 0.2, 0.4);
        assert!((e.price - 1.2).abs() < 1e-12 && e.cancel == 0.0, "{e:?}");
    }
}
