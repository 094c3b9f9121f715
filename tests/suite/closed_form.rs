//! The engine against closed forms: a one-idea fund whose only decision is a Bayesian
//! gate after a pilot. Log value X ~ N(mu, s^2); the pilot costs c1 and yields a
//! signal X + e, e ~ N(0, n^2); the build costs I and goes ahead when
//! E[V | signal] = exp(m + v/2) >= I, where m is the posterior mean and v the posterior
//! variance. m ~ N(mu, tau^2) with tau^2 = s^2 - v, so with a = ln I - v/2,
//! d2 = (mu - a) / tau and d1 = d2 + tau:
//!   E[net value] = -c1 + exp(mu + s^2/2) Phi(d1) - I Phi(d2).
//! With misfits (prior fit p, pilot detection d), the gate compares q exp(m + v/2) with
//! I where q = p / (p + (1 - p)(1 - d)), i.e. a' = ln(I / q) - v/2, and
//!   E[net value] = -c1 + p exp(mu + s^2/2) Phi(d1') - I (p + (1 - p)(1 - d)) Phi(d2').

use crate::common::*;
use budgetsim::engine;
use budgetsim::metrics::Metric;
use budgetsim::model::{
    Commitment, CostBasis, Dist, FundingModel, Pipeline, Reserve, Role, Scenario, Selection,
};

const PORTFOLIOS: u64 = 40_000;

fn one_idea_gate(mu: f64, s: f64, noise: f64, p_fit: f64, detection: f64) -> Scenario {
    let mut sc = default_scenario();
    no_delivery_risk(&mut sc);
    sc.simulation.portfolios = PORTFOLIOS;
    sc.simulation.horizon_months = 120.0;
    sc.simulation.discount_rate = 0.0;
    sc.fund.budget = 1e12;
    sc.fund.intake_rounds = 1;
    sc.fund.ideas_per_round = 1;
    sc.ideas.fit_probability = p_fit;
    sc.ideas.log_value_mean = mu;
    sc.ideas.log_value_sd = s;
    sc.ideas.planned_cost = Dist::constant(100.0).unwrap();
    sc.ideas.planned_duration_months = Dist::constant(10.0).unwrap();
    // The business case says nothing, so the pilot always starts (hurdle 0).
    sc.ideas.business_case_noise = f64::INFINITY;
    sc.vendors.markup = 0.0;
    sc.vendors.sole_source_markup = 0.0;
    let mut pilot = stage("pilot", 0.1, 0.5, noise, 0.0);
    pilot.misfit_detection = detection;
    let build = stage("build", 0.9, 0.5, f64::INFINITY, 1.0);
    sc.models = vec![FundingModel {
        name: "gated".into(),
        label: "gated".into(),
        stages: vec![pilot, build],
        commitment: Commitment::Stage,
        selection: Selection::Rank,
        contingency: 0.0,
        gate_review_cost: 0.0,
        gate_delay_months: 0.0,
        procurement_cost: 0.0,
        procurement_delay_months: 0.0,
        cost_basis: CostBasis::Planned,
        pipeline: Pipeline::FinishFirst,
        reserve: Reserve::None,
        max_starts_per_round: None,
        role: Role::Baseline,
    }];
    sc
}

fn closed_form(mu: f64, s: f64, noise: f64, p: f64, d: f64) -> f64 {
    let (c1, invest) = (10.0, 90.0);
    let v = 1.0 / (1.0 / (s * s) + 1.0 / (noise * noise));
    let tau = (s * s - v).sqrt();
    let q = p / (p + (1.0 - p) * (1.0 - d));
    let a = (invest / q).ln() - v / 2.0;
    let d2 = (mu - a) / tau;
    let d1 = d2 + tau;
    -c1 + p * (mu + s * s / 2.0).exp() * normal_cdf(d1)
        - invest * (p + (1.0 - p) * (1.0 - d)) * normal_cdf(d2)
}

fn check(mu: f64, s: f64, noise: f64, p: f64, d: f64) {
    let sc = one_idea_gate(mu, s, noise, p, d);
    let r = engine::run(&sc, 0..PORTFOLIOS);
    let (mean, se) = mean_se(&column(&r, 0, Metric::NetValue));
    let exact = closed_form(mu, s, noise, p, d);
    assert!(
        (mean - exact).abs() < 4.0 * se,
        "mu {mu} s {s} noise {noise} p {p} d {d}: simulated {mean:.3} +- {se:.3}, closed form {exact:.3}"
    );
}

#[test]
fn bayesian_gate_matches_lognormal_closed_form() {
    // Value centred on the build cost, and a better-than-break-even case.
    check(90f64.ln() - 0.5, 1.0, 1.0, 1.0, 0.0);
    check(100f64.ln(), 0.8, 0.5, 1.0, 0.0);
}

#[test]
fn bayesian_gate_with_misfits_matches_closed_form() {
    check(120f64.ln(), 1.0, 0.7, 0.6, 0.5);
}

#[test]
fn closed_form_reduces_to_known_limits() {
    // A nearly perfect pilot approaches the value of perfect information,
    // E[(V - I)+] - c1, which exceeds the value with a noisy pilot.
    let (mu, s) = (90f64.ln(), 1.0);
    let noisy = closed_form(mu, s, 2.0, 1.0, 0.0);
    let sharp = closed_form(mu, s, 0.05, 1.0, 0.0);
    assert!(
        sharp > noisy,
        "more information must not lower the gate's value"
    );
}
