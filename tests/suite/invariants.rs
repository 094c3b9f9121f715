//! Invariants over random valid scenarios (proptest): money is conserved, shares and
//! indexes stay in range, killed ideas deliver nothing, and nothing is spent beyond the
//! budget except what escalation forces.

use crate::common::default_scenario;
use budgetsim::engine::{self, Status};
use budgetsim::metrics::Metric;
use budgetsim::model::{
    Commitment, CostBasis, Dist, Pipeline, Reserve, Scenario, Stage, StageDuration, StageScope,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Knobs {
    budget: f64,
    rounds: u32,
    per_round: u32,
    p_fit: f64,
    noise: f64,
    overrun_sd: f64,
    swan: f64,
    exponent: f64,
    cap: f64,
    half_life: f64,
    large: u32,
    small: u32,
    small_cap: f64,
    bid: f64,
    switching: f64,
    contingency: f64,
    review: f64,
    procurement: f64,
    project_commitment: bool,
    /// Parallel attempts of the first stage (later stages fund one fewer each) and the
    /// spread of solution quality.
    attempts: (usize, f64),
    stages: Vec<(f64, f64, f64, f64, f64, bool, f64)>,
    /// Funding rules: pipeline (finish first?), reserve (0 none, 1 next stage, 2 plan),
    /// reference-class cost basis?, cap on starts per round, rework share of gates.
    policy: (bool, u8, bool, Option<u32>, f64),
}

fn knobs() -> impl Strategy<Value = Knobs> {
    let fund = (1e6..2e8f64, 1..6u32, 1..12u32, 0.0..=1.0f64, 0.0..3.0f64);
    let risk = (
        0.0..0.6f64,
        0.0..=1.0f64,
        0.0..1.5f64,
        prop_oneof![1.0..6.0f64, Just(f64::INFINITY)],
        prop_oneof![6.0..120.0f64, Just(f64::INFINITY)],
    );
    let market = (0..6u32, 0..12u32, 0.0..3e6f64, 0.0..=1.0f64, 0.0..1.0f64);
    let rules = (0.0..0.5f64, 0.0..200_000f64, 0.0..300_000f64, any::<bool>());
    let stage = (
        0.05..1.0f64,
        0.05..1.0f64,
        prop_oneof![0.0..3.0f64, Just(f64::INFINITY)],
        0.0..=1.0f64,
        0.0..0.5f64,
        any::<bool>(),
        0.0..2.0f64,
    );
    (
        fund,
        risk,
        market,
        rules,
        prop::collection::vec(stage, 1..5),
        (prop_oneof![Just(1usize), 1..6usize], 0.0..1.0f64),
        (
            any::<bool>(),
            0..3u8,
            any::<bool>(),
            prop_oneof![Just(None), (1..4u32).prop_map(Some)],
            0.0..=1.0f64,
        ),
    )
        .prop_map(
            |(
                (budget, rounds, per_round, p_fit, noise),
                (overrun_sd, swan, exponent, cap, half_life),
                (large, small, small_cap, bid, switching),
                (contingency, review, procurement, project_commitment),
                stages,
                attempts,
                policy,
            )| Knobs {
                budget,
                rounds,
                per_round,
                p_fit,
                noise,
                overrun_sd,
                swan,
                exponent,
                cap,
                half_life,
                large: if large + small == 0 { 1 } else { large },
                small,
                small_cap,
                bid,
                switching,
                contingency,
                review,
                procurement,
                project_commitment,
                attempts,
                stages,
                policy,
            },
        )
}

fn scenario(k: &Knobs) -> Scenario {
    let mut s = default_scenario();
    s.simulation.horizon_months = 48.0;
    s.fund.budget = k.budget;
    s.fund.intake_rounds = k.rounds;
    s.fund.ideas_per_round = k.per_round;
    s.ideas.fit_probability = k.p_fit;
    s.ideas.business_case_noise = k.noise;
    s.ideas.planned_cost = Dist::lognormal_median_p90(1e6, 4e6).unwrap();
    s.risk.overrun_log_sd = k.overrun_sd;
    s.risk.black_swan_probability = k.swan;
    s.risk.duration_exponent = k.exponent;
    s.risk.escalation_cap = k.cap;
    s.risk.requirements_half_life_months = k.half_life;
    s.vendors.large = k.large;
    s.vendors.small = k.small;
    s.vendors.small_contract_cap = k.small_cap;
    s.vendors.bid_probability = k.bid;
    s.vendors.switching_cost_share = k.switching;
    s.vendors.overrun_markup = k.contingency;
    s.ideas.solution_sd = k.attempts.1;
    let n = k.stages.len();
    let mut released = 0.0;
    let stages = k
        .stages
        .iter()
        .enumerate()
        .map(
            |(i, &(scope, dur, noise, detect, value, recompete, hurdle))| {
                let value_share = if i + 1 < n && released + value <= 1.0 {
                    released += value;
                    value
                } else {
                    0.0
                };
                Stage {
                    name: format!("s{i}").into(),
                    scope: StageScope::Share(scope),
                    duration: StageDuration::Share(dur),
                    signal_noise: noise,
                    misfit_detection: detect,
                    value_share,
                    recompete,
                    hurdle,
                    attempts: k.attempts.0.saturating_sub(i).max(1),
                }
            },
        )
        .collect();
    let (finish_first, reserve, reference_class, cap, rework) = k.policy;
    s.risk.gate_rework_share = rework;
    let m = &mut s.models[1];
    m.pipeline = if finish_first {
        Pipeline::FinishFirst
    } else {
        Pipeline::FirstFit
    };
    m.reserve = [Reserve::None, Reserve::NextStage, Reserve::Plan][usize::from(reserve)];
    m.cost_basis = if reference_class {
        CostBasis::ReferenceClass
    } else {
        CostBasis::Planned
    };
    m.max_starts_per_round = cap;
    m.stages = stages;
    m.contingency = k.contingency;
    m.gate_review_cost = k.review;
    m.procurement_cost = k.procurement;
    m.commitment = if k.project_commitment {
        Commitment::Project
    } else {
        Commitment::Stage
    };
    s
}

fn in_unit(x: f64) -> bool {
    x.is_nan() || (-1e-12..=1.0 + 1e-12).contains(&x)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn money_shares_and_outcomes_stay_consistent(k in knobs(), portfolio in 0u64..1000) {
        let s = scenario(&k);
        for (model, run) in s.models.iter().zip(engine::run_portfolio(&s, portfolio)) {
            let o = &run.outcome;
            let g = |m: Metric| o.get(m);
            let spend = g(Metric::Spend);
            let tol = 1e-9 * spend.max(1.0);
            let parts = g(Metric::DeliveredSpend) + g(Metric::Waste) + g(Metric::Wip);
            prop_assert!((spend - parts).abs() <= tol, "{}: spend {spend} vs parts {parts}", model.name);
            let by_project: f64 = run.projects.iter().map(|p| p.spend).sum();
            prop_assert!((spend - by_project).abs() <= tol);
            prop_assert!(g(Metric::Overhead) >= 0.0 && g(Metric::Overhead) <= spend + tol);
            prop_assert!(spend <= s.fund.budget + run.escalation_excess + tol,
                "{}: spend {spend} > budget {} + escalation {}", model.name, s.fund.budget, run.escalation_excess);
            prop_assert!(g(Metric::CommittedUnspent) >= -tol);
            for m in [Metric::WasteShare, Metric::SmallVendorShare, Metric::SoleSourceShare, Metric::LockinExposure] {
                prop_assert!(in_unit(g(m)), "{} = {}", m.name(), g(m));
            }
            let hhi = g(Metric::VendorHhi);
            prop_assert!(hhi.is_nan() || (0.0..=10_000.0 + 1e-6).contains(&hhi));
            prop_assert!(g(Metric::LockinExposure).is_nan() || g(Metric::LockinExposure) <= k.switching + 1e-12);
            prop_assert!(g(Metric::DeliveredValue) >= 0.0);
            prop_assert!(g(Metric::MonthsToFirstValue) <= s.simulation.horizon_months);
            let ended = g(Metric::IdeasDelivered) + g(Metric::IdeasKilled) + g(Metric::IdeasCancelled);
            prop_assert!(ended <= g(Metric::IdeasStarted));
            prop_assert!(g(Metric::IdeasStarted) <= g(Metric::IdeasConsidered));
            let killed: u32 = o.stages.iter().map(|st| st.killed).sum();
            prop_assert_eq!(f64::from(killed), g(Metric::IdeasKilled));
            prop_assert_eq!(o.stages.last().map(|st| st.killed), Some(0), "no gate after the last stage");
            prop_assert_eq!(f64::from(o.stages[0].entered), g(Metric::IdeasStarted));
            let stage_spend: f64 = o.stages.iter().map(|st| st.spend).sum();
            prop_assert!((stage_spend - spend).abs() <= tol, "stage spend {stage_spend} vs {spend}");
            for (k, st) in o.stages.iter().enumerate() {
                prop_assert!(st.passed + st.killed + st.cancelled <= st.entered, "stage {k}: {st:?}");
            }
            let last_month = *o.spend_by_month.last().unwrap_or(&0.0) as f64;
            prop_assert!((last_month - spend).abs() <= 1e-4 * spend.max(1.0) || s.simulation.horizon_months.fract() != 0.0);
            prop_assert!(o.spend_by_month.windows(2).all(|w| w[0] <= w[1]), "cumulative spend must not fall");
            prop_assert!(o.value_by_month.windows(2).all(|w| w[0] <= w[1]), "cumulative value must not fall");
            // Stranded spend is spend on held or dropped ideas, nothing else.
            let stranded: f64 = run
                .projects
                .iter()
                .filter(|p| p.status.is_stranded())
                .map(|p| p.spend)
                .sum();
            prop_assert!((g(Metric::StrandedSpend) - stranded).abs() <= tol);
            prop_assert!(g(Metric::StrandedSpend) <= spend + tol);
            let held = run.projects.iter().filter(|p| p.was_held).count();
            prop_assert_eq!(g(Metric::IdeasHeld), held as f64);
            for p in &run.projects {
                if !p.fit || p.released == 0.0 {
                    prop_assert_eq!(p.value, 0.0, "project {} {:?} delivered value", p.id, p.status);
                }
                if matches!(p.status, Status::Rejected) {
                    prop_assert_eq!(p.spend, 0.0);
                    prop_assert_eq!(p.stages_entered, 0);
                }
                if let Status::Killed(k) | Status::Cancelled(k) | Status::Dropped(k) = p.status {
                    prop_assert!(k < model.stages.len());
                }
                if p.status.is_stranded() {
                    prop_assert!(p.was_held || matches!(p.status, Status::Dropped(_)));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever a user writes in `--set`, loading answers with a scenario or an error,
    /// never a panic.
    #[test]
    fn any_set_override_loads_or_errors_without_panicking(
        path in prop_oneof![
            Just("simulation.portfolios".to_string()),
            Just("fund.budget".to_string()),
            Just("ideas.value".to_string()),
            Just("ideas.planned_cost.p90".to_string()),
            Just("risk.escalation_cap".to_string()),
            Just("models.stage_gated.stages.0.duration_months".to_string()),
            Just("models.stage_gated.stages".to_string()),
            Just("models.waterfall".to_string()),
            Just("models".to_string()),
            "[a-z_.0-9]{1,30}",
        ],
        value in prop_oneof![
            Just("-1".to_string()),
            Just("0".to_string()),
            Just("inf".to_string()),
            Just("nan".to_string()),
            Just("-inf".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            Just("{ dist = \"pert\", min = 3, mode = 2, max = 1 }".to_string()),
            Just("true".to_string()),
            Just("9999999999999999999999".to_string()),
            "[ -~]{0,20}",
        ],
    ) {
        let set = format!("{path}={value}");
        match budgetsim::scenario::load_default(std::slice::from_ref(&set)) {
            Ok(l) => prop_assert!(!l.scenario.models.is_empty()),
            Err(e) => {
                let text = e.to_string();
                prop_assert!(text.starts_with("error: "), "{text}");
                prop_assert!(!e.diagnostics.is_empty());
            }
        }
    }
}
