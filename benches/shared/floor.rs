//! The random-number floor of one default portfolio, shared by the `engine` and
//! `engine_ratio` benches: what the engine could not go below. The counter keys one
//! default portfolio creates, then its uniforms and normals, its planned costs and
//! durations from the scenario's distributions, and its contracts' risk draws, each
//! kind in the counts the engine draws (rng.rs, measured by a unit test), with no
//! model logic around them.

use budgetsim::engine;
use budgetsim::engine::rng::{DEFAULT_PORTFOLIO_DRAWS, IdeaKey, Purpose};
use budgetsim::model::Scenario;
use rand::Rng;

/// The floor's draws for portfolio `p` of scenario `s`, with `risk` its prepared risk
/// model and `durations` a reused buffer; returns something to keep from the
/// optimiser.
pub fn draw(
    s: &Scenario,
    risk: &engine::risk::Prepared,
    p: u64,
    durations: &mut Vec<f64>,
) -> (u64, f64) {
    let d = DEFAULT_PORTFOLIO_DRAWS;
    let key = IdeaKey::new(1, p, 0);
    let mut bits = 0u64;
    for i in 0..d.keys {
        bits ^= key.counter(Purpose::Cost, i).next_u64();
    }
    let mut c = key.counter(Purpose::Signal, 0);
    let mut sum = 0.0f64;
    for _ in 0..d.uniforms {
        sum += c.uniform();
    }
    for _ in 0..d.normals {
        sum += c.normal();
    }
    for _ in 0..d.planned_costs {
        sum += s.ideas.planned_cost.sample(&mut c);
    }
    durations.clear();
    for _ in 0..d.planned_durations {
        durations.push(s.ideas.planned_duration_months.sample(&mut c));
    }
    for i in 0..d.risk_draws as usize {
        let months = durations[i % durations.len()];
        let draw = risk.draw(months, 0.0, &mut c);
        sum += draw.cost + draw.schedule;
    }
    (bits, sum)
}
