//! Mechanism checks: each test switches one mechanism and asserts the direction a
//! policy analyst would expect, using paired (common random number) comparisons.

use crate::common::*;
use budgetsim::engine;
use budgetsim::metrics::Metric;
use budgetsim::model::{Commitment, FundingModel, Scenario};

const N: u64 = 600;

/// Stage-gated minus baseline net value per portfolio (models 1 and 0).
fn advantage(s: &Scenario) -> Vec<f64> {
    let r = engine::run(s, 0..N);
    diffs(&r, 1, 0, Metric::NetValue)
}

/// Asserts `after - before` (paired per portfolio) is below zero with 95% confidence
/// when `lower`, above zero otherwise.
fn assert_shift(before: &[f64], after: &[f64], lower: bool, what: &str) {
    let d: Vec<f64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    let (mean, se) = mean_se(&d);
    if lower {
        assert!(
            mean + 1.96 * se < 0.0,
            "{what}: change {mean:.0} +- {se:.0} should be negative"
        );
    } else {
        assert!(
            mean - 1.96 * se > 0.0,
            "{what}: change {mean:.0} +- {se:.0} should be positive"
        );
    }
}

#[test]
fn without_uncertainty_or_gate_costs_both_models_fund_and_deliver_the_same() {
    let mut s = default_pair("waterfall");
    no_delivery_risk(&mut s);
    free_gates(&mut s);
    s.ideas.fit_probability = 1.0;
    s.ideas.business_case_noise = 0.0;
    s.fund.budget = 1e12;
    // Gates that rework nothing already built: the stages add up to the waterfall's work.
    s.risk.gate_rework_share = 0.0;
    // Same total duration as waterfall; value only at go-live.
    s.models[1].stages = vec![
        stage("discovery", 0.05, 0.1, 0.0, 1.0),
        stage("alpha", 0.10, 0.2, 0.0, 1.0),
        stage("beta", 0.50, 0.4, 0.0, 1.0),
        stage("live", 0.35, 0.3, 0.0, 1.0),
    ];
    let r = engine::run(&s, 0..200);
    for p in 0..200 {
        let (w, g) = (&r.outcomes[0][p], &r.outcomes[1][p]);
        for m in [
            Metric::IdeasStarted,
            Metric::IdeasDelivered,
            Metric::IdeasKilled,
        ] {
            assert_eq!(w.get(m), g.get(m), "portfolio {p}: {}", m.name());
        }
        let (vw, vg) = (w.get(Metric::DeliveredValue), g.get(Metric::DeliveredValue));
        assert!(
            (vw - vg).abs() <= 1e-9 * vw.abs().max(1.0),
            "portfolio {p}: value {vw} vs {vg}"
        );
        assert!(vw > 0.0);
    }
}

#[test]
fn noisier_business_cases_widen_the_stage_gated_advantage() {
    let mut s = default_pair("waterfall_rc");
    s.ideas.business_case_noise = 0.3;
    let low = advantage(&s);
    s.ideas.business_case_noise = 1.5;
    let high = advantage(&s);
    assert_shift(&low, &high, false, "business-case noise 0.3 -> 1.5");
}

#[test]
fn costlier_gates_shrink_the_stage_gated_advantage() {
    let mut s = default_pair("waterfall_rc");
    let cheap = advantage(&s);
    s.models[1].gate_review_cost = 250_000.0;
    s.models[1].gate_delay_months = 3.0;
    let dear = advantage(&s);
    assert_shift(
        &cheap,
        &dear,
        true,
        "gate cost 20k -> 250k, delay 0.5 -> 3 months",
    );
}

#[test]
fn waterfall_wins_on_net_value_when_uncertainty_is_low() {
    // Against the strongest baseline, the reference-class waterfall.
    let s = keep(
        shipped("low-uncertainty.toml"),
        &["waterfall_rc", "stage_gated"],
    );
    let d = advantage(&s);
    let (mean, se) = mean_se(&d);
    assert!(
        mean + 1.96 * se < 0.0,
        "stage-gated minus waterfall net value {mean:.0} +- {se:.0}"
    );
    // ...while under the default's uncertainty stage-gating is ahead.
    let (mean, se) = mean_se(&advantage(&default_pair("waterfall_rc")));
    assert!(mean - 1.96 * se > 0.0, "default: {mean:.0} +- {se:.0}");
}

#[test]
fn a_zero_small_vendor_cap_shuts_small_vendors_out() {
    let mut s = default_pair("waterfall");
    s.vendors.small_contract_cap = 0.0;
    let r = engine::run(&s, 0..200);
    for m in 0..2 {
        for (p, share) in column(&r, m, Metric::SmallVendorShare).iter().enumerate() {
            assert_eq!(*share, 0.0, "model {m} portfolio {p}");
        }
    }
    // With the default cap small vendors do win stage-gated work.
    let r = engine::run(&default_pair("waterfall"), 0..200);
    let (share, _) = mean_se(&column(&r, 1, Metric::SmallVendorShare));
    assert!(share > 0.1, "default small-vendor share {share}");
}

#[test]
fn duration_effect_makes_long_contracts_overrun_more_only_when_switched_on() {
    // One-stage models that differ only in contract length: 0.5x and 2x planned duration.
    // A long horizon lets every contract finish, so no overrun is censored.
    let mut s = default_scenario();
    s.risk.escalation_cap = f64::INFINITY;
    s.fund.budget = 1e12;
    s.simulation.horizon_months = 1000.0;
    let one_stage = |name: &str, d: f64| FundingModel {
        name: name.into(),
        label: name.into(),
        stages: vec![stage("all", 1.0, d, f64::INFINITY, 1.0)],
        commitment: Commitment::Project,
        ..s.models[0].clone()
    };
    s.models = vec![one_stage("short", 0.5), one_stage("long", 2.0)];
    let long_minus_short = |s: &Scenario| {
        let r = engine::run(s, 0..N);
        diffs(&r, 1, 0, Metric::CostOverrun)
            .into_iter()
            .filter(|x| x.is_finite())
            .collect::<Vec<_>>()
    };
    let (on, on_se) = mean_se(&long_minus_short(&s));
    assert!(
        on - 1.96 * on_se > 0.0,
        "exponent 0.5: long minus short {on} +- {on_se}"
    );
    s.risk.duration_exponent = 0.0;
    for (p, d) in long_minus_short(&s).iter().enumerate() {
        assert!(
            d.abs() < 1e-12,
            "exponent 0, portfolio {p}: long minus short overrun {d}"
        );
    }
}

#[test]
fn kills_free_money_for_more_ideas_under_stage_commitment() {
    // Same stages, committed by project or by stage: per-stage commitment starts more ideas.
    let mut s = default_pair("waterfall");
    let mut by_project = s.models[1].clone();
    by_project.name = "by_project".into();
    by_project.commitment = Commitment::Project;
    s.models = vec![by_project, s.models[1].clone()];
    let r = engine::run(&s, 0..N);
    let (more, se) = mean_se(&diffs(&r, 1, 0, Metric::IdeasStarted));
    assert!(
        more - 1.96 * se > 0.0,
        "stage minus project commitment: {more} +- {se}"
    );
}

#[test]
fn any_range_of_portfolios_gives_the_same_per_portfolio_results() {
    // Shards can run apart (another machine, another day) and merge.
    let s = default_scenario();
    let whole = engine::run(&s, 0..120);
    let shard = engine::run(&s, 70..95);
    assert_eq!(shard.first, 70);
    for m in 0..s.models.len() {
        assert_eq!(shard.outcomes[m][..], whole.outcomes[m][70..95]);
    }
}

/// A stage-gated model whose feasibility stage funds `first` vendors in parallel and
/// whose build stage keeps the best `second`.
fn parallel(s: &mut Scenario, first: usize, second: usize) {
    let mut feasibility = stage("feasibility", 0.1, 0.3, 0.4, 1.0);
    feasibility.attempts = first;
    let mut build = stage("build", 0.9, 0.7, f64::INFINITY, 1.0);
    build.attempts = second;
    s.models[1].stages = vec![feasibility, build];
}

#[test]
fn parallel_attempts_cost_more_and_find_better_solutions() {
    let mut s = default_pair("waterfall");
    no_delivery_risk(&mut s);
    s.fund.budget = 1e12; // money never binds, so the same ideas go ahead
    s.ideas.solution_sd = 0.8;
    parallel(&mut s, 1, 1);
    let one = engine::run(&s, 0..N);
    parallel(&mut s, 5, 2);
    let five = engine::run(&s, 0..N);
    let per_started = |r: &engine::Results, m: Metric| -> Vec<f64> {
        r.outcomes[1]
            .iter()
            .map(|o| o.get(m) / o.get(Metric::IdeasStarted).max(1.0))
            .collect()
    };
    // Picking the best of five feasibility studies raises the value of what is built...
    let value = |r: &engine::Results| -> Vec<f64> {
        r.outcomes[1]
            .iter()
            .map(|o| o.get(Metric::DeliveredValue) / o.get(Metric::IdeasDelivered).max(1.0))
            .collect()
    };
    assert_shift(
        &value(&one),
        &value(&five),
        false,
        "value per delivered idea",
    );
    // ...five studies plus two builds cost more per idea than one of each...
    assert_shift(
        &per_started(&one, Metric::Spend),
        &per_started(&five, Metric::Spend),
        false,
        "spend per idea started",
    );
    // ...and the hurdle, counting every attempt's cost, lets fewer ideas start.
    let started = |r: &engine::Results| -> Vec<f64> {
        r.outcomes[1]
            .iter()
            .map(|o| o.get(Metric::IdeasStarted))
            .collect()
    };
    assert_shift(&started(&one), &started(&five), true, "ideas started");
}

#[test]
fn the_gate_keeps_at_most_the_next_stages_attempts_on_distinct_vendors() {
    let mut s = default_pair("waterfall");
    s.ideas.solution_sd = 0.5;
    parallel(&mut s, 5, 2);
    let mut built = 0;
    for p in 0..200 {
        let runs = engine::run_portfolio(&s, p);
        for pr in &runs[1].projects {
            match pr.stages_entered {
                0 => assert_eq!(pr.attempts, 0),
                1 => assert!(pr.attempts <= 5 && pr.attempts >= 1, "{pr:?}"),
                _ => {
                    assert!(pr.attempts <= 2 && pr.attempts >= 1, "{pr:?}");
                    built += 1;
                }
            }
        }
    }
    assert!(
        built > 20,
        "too few ideas reached build ({built}) to check anything"
    );
}
