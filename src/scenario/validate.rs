//! Validation: the raw serde mirror becomes a [`Scenario`] holding only legal values.
//!
//! Each field's own range is declared in `raw.rs` and checked from that declaration
//! (`fields::check_table`) before this runs; here are the rules that tie fields
//! together (shares that add up, a p90 above its median, distributions' shapes, the
//! work a portfolio may take). Every check records the field path and what is allowed,
//! and validation goes on after the first problem so the user sees them all at once.

use super::error::Diagnostic;
use super::fields::MAX_P90_RATIO;
use super::raw::*;
use crate::metrics::Metric;
use crate::model::*;

/// Collects problems while validating.
#[derive(Default)]
pub struct Checker {
    /// Problems found so far (unlocated; the loader adds file positions).
    pub diagnostics: Vec<Diagnostic>,
}

impl Checker {
    /// Records a problem at `path`.
    pub fn error(&mut self, path: &str, message: impl Into<String>, help: Option<String>) {
        self.diagnostics.push(Diagnostic {
            location: None,
            path: Some(path.to_string()),
            message: message.into(),
            help,
        });
    }

    /// Whether a problem is already recorded at `path` or below it: cross-field rules
    /// skip values their own declaration refused, so each mistake is reported once.
    pub fn failed(&self, path: &str) -> bool {
        self.diagnostics.iter().any(|d| {
            d.path.as_deref().is_some_and(|p| {
                p == path || p.strip_prefix(path).is_some_and(|r| r.starts_with('.'))
            })
        })
    }
}

/// Tolerance on shares that must add up to 1 (rounding in hand-written shares).
pub const SHARE_TOLERANCE: f64 = 1e-6;

/// Most funding models in a scenario (each runs on every portfolio).
pub const MAX_MODELS: usize = 50;

/// Most stages of a funding model (each draws per-stage numbers for every idea).
pub const MAX_STAGES: usize = 20;

/// Most ideas per portfolio (intake rounds x ideas per round).
pub const MAX_IDEAS: u64 = 1_000_000;

/// Most vendor draws a portfolio may need (ideas x vendors x contracts per idea over all
/// models): each competition draws once per vendor, so this bounds a portfolio's work
/// (about a second per 1e8 draws).
pub const MAX_VENDOR_DRAWS: u64 = 1_000_000_000;

/// Most contracts one portfolio may run, over all models (ideas x attempts of every
/// stage): each is a competition, a risk draw and a stage of events, about half a
/// microsecond apiece, so this keeps a portfolio to seconds (a million ideas under the
/// three shipped models is 6 million).
pub const MAX_CONTRACTS: u64 = 10_000_000;

fn dist(c: &mut Checker, path: &str, raw: &RawDist) -> Dist {
    let fallback = Dist::Constant { value: 1.0 };
    if c.failed(path) {
        return fallback;
    }
    let t = match raw {
        RawDist::Number(v) => {
            return Dist::constant(*v).unwrap_or_else(|e| {
                c.error(path, e, None);
                fallback
            });
        }
        RawDist::Table(t) => t,
    };
    let Some(kind) = t.dist else {
        c.error(
            path,
            "a distribution table needs `dist`",
            Some("one of constant, lognormal, normal, uniform, triangular, pert".into()),
        );
        return fallback;
    };
    let given: Vec<(&str, Option<f64>)> = vec![
        ("value", t.value),
        ("median", t.median),
        ("p90", t.p90),
        ("mean", t.mean),
        ("cv", t.cv),
        ("sd", t.sd),
        ("min", t.min),
        ("mode", t.mode),
        ("max", t.max),
    ];
    let allowed: &[&[&str]] = match kind {
        DistKind::Constant => &[&["value"]],
        DistKind::Lognormal => &[&["median", "p90"], &["mean", "cv"]],
        DistKind::Normal => &[&["mean", "sd"]],
        DistKind::Uniform => &[&["min", "max"]],
        DistKind::Triangular | DistKind::Pert => &[&["min", "mode", "max"]],
    };
    let present: Vec<&str> = given
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| *n)
        .collect();
    let Some(set) = allowed
        .iter()
        .find(|set| set.len() == present.len() && set.iter().all(|n| present.contains(n)))
    else {
        let forms: Vec<String> = allowed.iter().map(|s| s.join(" and ")).collect();
        c.error(
            path,
            format!(
                "dist = \"{}\" takes {}; got {}",
                format!("{kind:?}").to_lowercase(),
                forms.join(", or "),
                if present.is_empty() {
                    "no parameters".to_string()
                } else {
                    present.join(", ")
                }
            ),
            None,
        );
        return fallback;
    };
    let g = |n: &str| {
        given
            .iter()
            .find(|(k, _)| *k == n)
            .and_then(|(_, v)| *v)
            .unwrap_or(0.0)
    };
    let made = match (kind, set[0]) {
        (DistKind::Constant, _) => Dist::constant(g("value")),
        (DistKind::Lognormal, "median") => Dist::lognormal_median_p90(g("median"), g("p90")),
        (DistKind::Lognormal, _) => Dist::lognormal_mean_cv(g("mean"), g("cv")),
        (DistKind::Normal, _) => Dist::normal(g("mean"), g("sd")),
        (DistKind::Uniform, _) => Dist::uniform(g("min"), g("max")),
        (DistKind::Triangular, _) => Dist::triangular(g("min"), g("mode"), g("max")),
        (DistKind::Pert, _) => Dist::pert(g("min"), g("mode"), g("max")),
    };
    match made {
        Ok(d) => spread_capped(c, path, d).unwrap_or(fallback),
        Err(e) => {
            c.error(path, e, None);
            fallback
        }
    }
}

/// A lognormal whose spread stays within [`MAX_P90_RATIO`] (so `exp` of a draw stays
/// finite); other distributions pass.
fn spread_capped(c: &mut Checker, path: &str, d: Dist) -> Option<Dist> {
    let limit = MAX_P90_RATIO.ln() / crate::model::distribution::Z90;
    match d {
        Dist::LogNormal { sigma, .. } if sigma.is_nan() || sigma > limit * (1.0 + 1e-12) => {
            c.error(
                path,
                format!(
                    "the lognormal is too wide: p90 is {} times the median, more than {}",
                    super::fields::number((sigma * crate::model::distribution::Z90).exp()),
                    super::fields::number(MAX_P90_RATIO)
                ),
                Some(format!(
                    "keep p90 within {} times the median (or cv within {})",
                    super::fields::number(MAX_P90_RATIO),
                    super::fields::number(MAX_CV)
                )),
            );
            None
        }
        d => Some(d),
    }
}

/// A distribution that must stay strictly positive (costs, durations).
fn positive_dist(c: &mut Checker, path: &str, raw: &RawDist, unit: &str) -> Dist {
    let d = dist(c, path, raw);
    if d.lower_bound() <= 0.0 && !matches!(d, Dist::LogNormal { .. }) {
        c.error(
            path,
            format!(
                "can produce values <= 0 (lowest {}), but {unit} must be positive",
                d.lower_bound()
            ),
            Some(if matches!(d, Dist::Normal { .. }) {
                "a normal distribution reaches below 0 whatever its sd: use lognormal (e.g. mean and cv), or pert, triangular or uniform with min above 0".into()
            } else {
                "use lognormal, or set min above 0".into()
            }),
        );
    }
    d
}

fn lognormal_median_p90(c: &mut Checker, path: &str, median: f64, p90: f64) -> (f64, f64) {
    match Dist::lognormal_median_p90(median, p90).map(|d| spread_capped(c, path, d)) {
        Ok(Some(Dist::LogNormal { mu, sigma })) => (mu.exp(), sigma),
        Ok(None) => (1.0, 0.0),
        Ok(_) => (1.0, 0.0),
        Err(e) => {
            c.error(path, e, None);
            (1.0, 0.0)
        }
    }
}

/// Validates the top-level tables; models come separately (see [`model`]). Each
/// field's own range was checked from its declaration (`fields::check_table`); this adds
/// the rules that tie fields together.
pub fn scenario(c: &mut Checker, raw: &RawScenario, models: Vec<FundingModel>) -> Scenario {
    let s = &raw.simulation;
    let simulation = Simulation {
        portfolios: s.portfolios.max(1) as u64,
        seed: s.seed.max(0) as u64,
        horizon_months: s.horizon_months,
        discount_rate: s.discount_rate,
    };
    let f = &raw.fund;
    let fund = Fund {
        budget: f.budget,
        intake_every_months: f.intake_every_months,
        intake_rounds: f.intake_rounds.clamp(1, MAX_ROUNDS) as u32,
        ideas_per_round: f.ideas_per_round.clamp(1, MAX_IDEAS_PER_ROUND) as u32,
    };
    let ideas_total = u64::from(fund.intake_rounds) * u64::from(fund.ideas_per_round);
    if ideas_total > MAX_IDEAS && !c.failed("fund") {
        c.error(
            "fund.ideas_per_round",
            format!(
                "{} rounds of {} ideas is {ideas_total} ideas per portfolio, more than the 1,000,000 budgetsim simulates",
                fund.intake_rounds, fund.ideas_per_round
            ),
            Some("lower fund.intake_rounds or fund.ideas_per_round".into()),
        );
    }
    if fund.intake_rounds > 1
        && fund.intake_every_months > simulation.horizon_months
        && !c.failed("fund.intake_every_months")
        && !c.failed("simulation.horizon_months")
    {
        c.error(
            "fund.intake_every_months",
            format!(
                "must be at most the horizon ({} months) when there are several rounds, got {}",
                super::fields::number(simulation.horizon_months),
                super::fields::number(fund.intake_every_months)
            ),
            Some("rounds at or after the horizon are never held; set intake_rounds = 1 for a single round".into()),
        );
    }
    let i = &raw.ideas;
    let (log_value_mean, log_value_sd) = match dist(c, "ideas.value", &i.value) {
        Dist::LogNormal { mu, sigma } => (mu, sigma),
        Dist::Constant { value } if value > 0.0 => (value.ln(), 0.0),
        _ if c.failed("ideas.value") => (0.0, 1.0),
        other => {
            c.error(
                "ideas.value",
                format!("must be lognormal (the gates learn about log value), got {other:?}"),
                Some("write { dist = \"lognormal\", median = ..., p90 = ... }".into()),
            );
            (0.0, 1.0)
        }
    };
    let ideas = Ideas {
        fit_probability: i.fit_probability,
        log_value_mean,
        log_value_sd,
        planned_cost: positive_dist(c, "ideas.planned_cost", &i.planned_cost, "costs"),
        planned_duration_months: positive_dist(
            c,
            "ideas.planned_duration_months",
            &i.planned_duration_months,
            "durations",
        ),
        business_case_noise: i.business_case_noise,
        solution_sd: i.solution_sd.unwrap_or(0.0),
    };
    let r = &raw.risk;
    let (overrun_median, overrun_log_sd) = if c.failed("risk.overrun_median") {
        (r.overrun_median, 0.0)
    } else if c.failed("risk.overrun_p90") {
        (1.0, 0.0)
    } else {
        lognormal_median_p90(c, "risk.overrun_p90", r.overrun_median, r.overrun_p90)
    };
    let (schedule_median, schedule_log_sd) =
        if c.failed("risk.schedule_median") || c.failed("risk.schedule_p90") {
            (1.0, 0.0)
        } else {
            lognormal_median_p90(c, "risk.schedule_p90", r.schedule_median, r.schedule_p90)
        };
    let (tail_min, tail_max) = (r.tail_min, r.tail_max);
    let tails_ok = !c.failed("risk.tail_min") && !c.failed("risk.tail_max");
    if tails_ok && tail_max < tail_min {
        c.error(
            "risk.tail_max",
            format!("must be at least tail_min ({tail_min}), got {tail_max}"),
            None,
        );
    }
    if tails_ok && !c.failed("risk.overrun_median") && overrun_median >= 1.0 + tail_min {
        c.error(
            "risk.overrun_median",
            format!(
                "must be below where the black-swan tail begins, 1 + tail_min ({}), got {overrun_median}",
                1.0 + tail_min
            ),
            Some("the body holds the contracts that are not black swans: they overrun by less than tail_min".into()),
        );
    }
    let risk = Risk {
        overrun_median,
        overrun_log_sd,
        black_swan_probability: r.black_swan_probability,
        tail_min,
        tail_alpha: r.tail_alpha,
        tail_max,
        tail_schedule_ratio: r.tail_schedule_ratio,
        schedule_median,
        schedule_log_sd,
        schedule_correlation: r.schedule_correlation,
        idea_correlation: r.idea_correlation,
        reference_duration_months: r.reference_duration_months,
        duration_exponent: r.duration_exponent,
        requirements_half_life_months: r.requirements_half_life_months,
        gate_rework_share: r.gate_rework_share.unwrap_or(0.2),
        escalation_cap: r.escalation_cap,
    };
    let v = &raw.vendors;
    let vendors = Vendors {
        large: v.large.clamp(0, MAX_LARGE_VENDORS) as u32,
        small: v.small.clamp(0, MAX_SMALL_VENDORS) as u32,
        small_contract_cap: v.small_contract_cap,
        bid_probability: v.bid_probability,
        markup: v.markup,
        sole_source_markup: v.sole_source_markup,
        overrun_markup: v.overrun_markup,
        incumbent_advantage: v.incumbent_advantage,
        switching_cost_share: v.switching_cost_share,
    };
    if vendors.large + vendors.small == 0 && !c.failed("vendors") {
        c.error(
            "vendors",
            "the market needs at least one vendor",
            Some("set vendors.large or vendors.small above 0".into()),
        );
    }
    // Every contract draws once per vendor (who bids), so the work of a portfolio grows
    // with ideas x vendors x contracts per idea; bound it as a whole.
    let contracts: u64 = models
        .iter()
        .map(|m| m.stages.iter().map(|s| s.attempts as u64).sum::<u64>())
        .sum();
    let vendor_count = u64::from(vendors.large) + u64::from(vendors.small);
    let work = ideas_total
        .saturating_mul(vendor_count)
        .saturating_mul(contracts.max(1));
    if work > MAX_VENDOR_DRAWS && !c.failed("fund") && !c.failed("vendors") {
        c.error(
            "fund.ideas_per_round",
            format!(
                "{ideas_total} ideas x {vendor_count} vendors x {contracts} contracts per idea (over all models) is up to {} vendor draws per portfolio, more than the {} budgetsim simulates",
                super::fields::number(work as f64),
                super::fields::number(MAX_VENDOR_DRAWS as f64)
            ),
            Some("lower fund.ideas_per_round or fund.intake_rounds, the number of vendors, or stages and attempts".into()),
        );
    }
    let all_contracts = ideas_total.saturating_mul(contracts);
    if all_contracts > MAX_CONTRACTS && !c.failed("fund") {
        c.error(
            "fund.ideas_per_round",
            format!(
                "{ideas_total} ideas x {contracts} contracts per idea (every attempt of every stage, over all models) is up to {} contracts per portfolio, more than the {} budgetsim simulates",
                super::fields::number(all_contracts as f64),
                super::fields::number(MAX_CONTRACTS as f64)
            ),
            Some("lower fund.ideas_per_round or fund.intake_rounds, or the models' stages and attempts".into()),
        );
    }
    if models.is_empty() && raw.models.is_empty() {
        c.error(
            "models",
            "no funding models to compare",
            Some("add at least one table such as [models.waterfall] with its [[models.waterfall.stages]]".into()),
        );
    }
    if raw.models.len() > MAX_MODELS {
        c.error(
            "models",
            format!(
                "{} funding models, more than the {MAX_MODELS} one run compares",
                raw.models.len()
            ),
            Some("split the comparison into several scenarios".into()),
        );
    }
    if !models.is_empty() && models.iter().all(|m| m.role != Role::Baseline) {
        c.error(
            &format!("models.{}.role", models[0].name),
            "every model is a challenger: the comparison needs at least one baseline",
            Some(format!(
                "set role = \"baseline\" on the model to compare against, e.g. models.{}",
                models[0].name
            )),
        );
    }
    Scenario {
        name: text(&raw.name),
        description: text(&raw.description),
        classification: raw
            .classification
            .as_ref()
            // Already in both languages: nothing for a French report to fall back on.
            .map_or_else(
                || Text::both(DEFAULT_CLASSIFICATION, Some(DEFAULT_CLASSIFICATION.into())),
                text,
            ),
        simulation,
        fund,
        ideas,
        risk,
        vendors,
        models,
    }
}

/// Validates one funding model table (`models.<name>`).
/// The classification line of a scenario that gives none: the marking of an
/// unclassified Government of Canada document, in both official languages.
pub const DEFAULT_CLASSIFICATION: &str = "Unclassified / Non classifié";

/// Scenario text as the model keeps it.
fn text(raw: &RawText) -> Text {
    Text::both(raw.en.clone(), raw.fr.clone())
}

pub fn model(c: &mut Checker, name: &str, index: usize, raw: &RawModel) -> FundingModel {
    let p = |f: &str| format!("models.{name}.{f}");
    if raw.stages.is_empty() {
        c.error(
            &p("stages"),
            "a funding model needs at least one stage",
            Some("waterfall is one stage with scope_share = 1.0 and duration_share = 1.0".into()),
        );
    }
    if raw.stages.len() > MAX_STAGES {
        c.error(
            &p("stages"),
            format!(
                "{} stages, more than the {MAX_STAGES} a funding model may have",
                raw.stages.len()
            ),
            None,
        );
    }
    let default_hurdle = raw.hurdle.unwrap_or(1.0);
    let n = raw.stages.len();
    let mut stages = Vec::with_capacity(n);
    let mut released = 0.0_f64;
    for (k, s) in raw.stages.iter().enumerate() {
        let sp = |f: &str| format!("models.{name}.stages.{k}.{f}");
        let scope = match (s.scope_share, s.cost) {
            (Some(share), None) => StageScope::Share(share),
            (None, Some(cost)) => StageScope::Fixed(cost),
            _ => {
                c.error(
                    &format!("models.{name}.stages.{k}"),
                    "set exactly one of scope_share (share of the idea's planned cost) or cost (fixed dollars)",
                    None,
                );
                StageScope::Share(1.0)
            }
        };
        let duration = match (s.duration_share, s.duration_months) {
            (Some(share), None) => StageDuration::Share(share),
            (None, Some(m)) => StageDuration::Months(m),
            _ => {
                c.error(
                    &format!("models.{name}.stages.{k}"),
                    "set exactly one of duration_share (share of the idea's planned duration) or duration_months",
                    None,
                );
                StageDuration::Share(1.0)
            }
        };
        let value_share = if k + 1 == n {
            if let Some(v) = s.value_share {
                c.error(
                    &sp("value_share"),
                    format!("the last stage releases the rest of the value; remove value_share (got {v})"),
                    None,
                );
            }
            (1.0 - released).max(0.0)
        } else {
            let v = s.value_share.unwrap_or(0.0);
            released += v;
            if released > 1.0 + 1e-9 && !c.failed(&sp("value_share")) {
                c.error(
                    &sp("value_share"),
                    format!("value shares of the stages add up to {released}, more than 1"),
                    None,
                );
            }
            v
        };
        let recompete = s.recompete.unwrap_or(false);
        let attempts = s.attempts.unwrap_or(1).clamp(1, MAX_ATTEMPTS) as usize;
        if let Some(before) = stages.last().map(|s: &Stage| s.attempts)
            && attempts > before
        {
            c.error(
                &sp("attempts"),
                format!(
                    "a stage can only keep attempts of the stage before, which funds {before}; got {attempts}"
                ),
                Some(format!("set attempts to at most {before}, or raise it on the earlier stage")),
            );
        }
        stages.push(Stage {
            name: text(&s.name),
            scope,
            duration,
            signal_noise: s.signal_noise.unwrap_or(f64::INFINITY),
            misfit_detection: s.misfit_detection.unwrap_or(0.0),
            value_share,
            recompete,
            hurdle: s.hurdle.unwrap_or(default_hurdle),
            attempts,
        });
    }
    shares_add_up(c, name, raw);
    let mut names: Vec<&str> = raw.stages.iter().map(|s| s.name.en.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        c.error(
            &p("stages"),
            format!("stage name `{}` is used twice", w[0]),
            None,
        );
    }
    FundingModel {
        name: name.to_string(),
        label: raw.label.as_ref().map_or_else(|| Text::plain(name), text),
        stages,
        commitment: match raw.commitment {
            RawCommitment::Project => Commitment::Project,
            RawCommitment::Stage => Commitment::Stage,
        },
        selection: match raw.selection.unwrap_or(RawSelection::Rank) {
            RawSelection::Rank => Selection::Rank,
            RawSelection::Arrival => Selection::Arrival,
        },
        contingency: raw.contingency,
        gate_review_cost: raw.gate_review_cost,
        gate_delay_months: raw.gate_delay_months,
        procurement_cost: raw.procurement_cost,
        procurement_delay_months: raw.procurement_delay_months,
        cost_basis: match raw.cost_basis.unwrap_or(RawCostBasis::Planned) {
            RawCostBasis::Planned => CostBasis::Planned,
            RawCostBasis::ReferenceClass => CostBasis::ReferenceClass,
        },
        pipeline: match raw.pipeline.unwrap_or(RawPipeline::FinishFirst) {
            RawPipeline::FinishFirst => Pipeline::FinishFirst,
            RawPipeline::FirstFit => Pipeline::FirstFit,
        },
        reserve: match raw.reserve.unwrap_or(RawReserve::NextStage) {
            RawReserve::None => Reserve::None,
            RawReserve::NextStage => Reserve::NextStage,
            RawReserve::Plan => Reserve::Plan,
        },
        max_starts_per_round: raw
            .max_starts_per_round
            .map(|n| n.clamp(1, MAX_IDEAS_PER_ROUND) as u32),
        role: match raw.role {
            Some(RawRole::Baseline) => Role::Baseline,
            Some(RawRole::Challenger) => Role::Challenger,
            None if index == 0 => Role::Baseline,
            None => Role::Challenger,
        },
    }
}

/// Scope shares are shares of the idea's planned cost, so they add up to 1 when every
/// stage has one and to at most 1 when some stages have a fixed cost.
fn shares_add_up(c: &mut Checker, name: &str, raw: &RawModel) {
    let sum = |get: fn(&RawStage) -> Option<f64>| -> (f64, usize) {
        raw.stages
            .iter()
            .filter_map(get)
            .fold((0.0, 0), |(s, n), x| (s + x, n + 1))
    };
    let stages = raw.stages.len();
    if c.failed(&format!("models.{name}.stages")) || stages == 0 {
        return;
    }
    let (scope, with_share) = sum(|s| s.scope_share);
    let all = with_share == stages;
    if with_share > 0 && (scope > 1.0 + SHARE_TOLERANCE || (all && scope < 1.0 - SHARE_TOLERANCE)) {
        c.error(
            &format!("models.{name}.stages"),
            format!(
                "the stages' scope_share values add up to {}, but they are shares of the idea's planned cost: they must add up to {}",
                super::fields::number(scope),
                if all { "1" } else { "at most 1 (the other stages have a fixed cost)" }
            ),
            Some("e.g. 0.05, 0.10, 0.50 and 0.35 for four stages".into()),
        );
    }
}

/// Validates `[[sweep]]` entries into axes; their paths must name fields of the resolved
/// scenario `table` (the values are checked point by point when the sweep runs).
pub fn sweep(c: &mut Checker, raw: &[RawSweep], table: &toml::Table) -> Vec<super::SweepAxis> {
    let mut axes = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let p = |f: &str| format!("sweep.{i}.{f}");
        let path = r.path.trim();
        if path.is_empty() {
            c.error(
                &p("path"),
                "give the dotted path of the field to sweep",
                Some("e.g. models.stage_gated.hurdle".into()),
            );
            continue;
        }
        if let Err((message, help)) = super::overrides::check_field_path(table, path, false) {
            c.error(&p("path"), message, help);
            continue;
        }
        let values = match (&r.values, r.from, r.to, r.steps) {
            (Some(v), None, None, None) if !v.is_empty() => v.clone(),
            (None, Some(from), Some(to), Some(steps)) => {
                // The declarations of from, to and steps have reported bad values.
                if !(2..=MAX_SWEEP_STEPS).contains(&steps) || !from.is_finite() || !to.is_finite() {
                    continue;
                }
                // A count field (intake_rounds, attempts...) takes whole numbers: a range
                // of whole steps is written as integers; one between them is refused by
                // the field's declaration at its point.
                let count = super::fields::spec(r.path.trim()).is_some_and(|s| s.integer);
                (0..steps)
                    .map(|k| {
                        let x = from + (to - from) * k as f64 / (steps - 1) as f64;
                        match super::whole(x) {
                            Some(n) if count => toml::Value::Integer(n),
                            _ => toml::Value::Float(x),
                        }
                    })
                    .collect()
            }
            _ => {
                c.error(
                    &format!("sweep.{i}"),
                    "give either `values = [...]` (not empty) or all of `from`, `to` and `steps`",
                    None,
                );
                continue;
            }
        };
        axes.push(super::SweepAxis {
            path: path.to_string(),
            values,
        });
    }
    axes
}

/// The metric named `name`, or a report at `at` listing the metrics.
pub fn metric(
    name: &str,
    at: &str,
    err: &mut dyn FnMut(&str, String, Option<String>),
) -> Option<Metric> {
    let m = Metric::from_name(name);
    if m.is_none() {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        err(
            at,
            format!("unknown metric `{name}`"),
            Some(match crate::scenario::error::nearest(name, &names) {
                Some(n) => format!("did you mean `{n}`? Metrics: {}", names.join(", ")),
                None => format!("metrics: {}", names.join(", ")),
            }),
        );
    }
    m
}

/// Validates `[sensitivity]` against the metrics, the scenario's models and its numeric
/// fields (each parameter must be a number of the resolved scenario `table`).
pub fn sensitivity(
    c: &mut Checker,
    raw: &RawSensitivity,
    models: &[FundingModel],
    table: &toml::Table,
) -> super::SensitivitySpec {
    let metric = raw.metric.as_deref().and_then(|name| {
        metric(name, "sensitivity.metric", &mut |at, message, help| {
            c.error(at, message, help)
        })
    });
    let pair = raw.models.as_ref().and_then(|list| {
        if list.len() != 2 {
            c.error(
                "sensitivity.models",
                format!(
                    "give two model keys, baseline then challenger (got {})",
                    list.len()
                ),
                None,
            );
            return None;
        }
        let keys: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
        let mut idx = Vec::new();
        for name in list {
            match keys.iter().position(|k| k == name) {
                Some(i) => idx.push(i),
                None => c.error(
                    "sensitivity.models",
                    format!("no funding model `{name}`"),
                    Some(format!("models here: {}", keys.join(", "))),
                ),
            }
        }
        if idx.len() == 2 && idx[0] == idx[1] {
            c.error("sensitivity.models", "give two different models", None);
            return None;
        }
        (idx.len() == 2).then(|| (idx[0], idx[1]))
    });
    let spread = raw.spread;
    let portfolios = raw.portfolios.map(|n| n.max(1) as u64);
    let parameters = raw.parameters.as_ref().map(|list| {
        list.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let at = |f: &str| format!("sensitivity.parameters.{i}.{f}");
                let path = p.path.trim();
                if path.is_empty() {
                    c.error(&at("path"), "give the dotted path of a field", None);
                    return None;
                }
                if let Err((message, help)) = super::overrides::check_field_path(table, path, true)
                {
                    c.error(&at("path"), message, help);
                    return None;
                }
                // A declared range is in the field's own units and within its limits.
                if let Some(spec) = super::fields::spec(path) {
                    for (key, v) in [("low", p.low), ("high", p.high)] {
                        if let Some(v) = v
                            && !spec.admits(v)
                        {
                            c.error(
                                &at(key),
                                format!(
                                    "must be a value `{path}` may take: {}, got {}",
                                    spec.allowed(),
                                    super::fields::number(v)
                                ),
                                spec.hint(),
                            );
                        }
                    }
                }
                let range = match (p.low, p.high) {
                    (None, None) => None,
                    (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() && lo < hi => {
                        Some((lo, hi))
                    }
                    (Some(lo), Some(hi)) => {
                        c.error(
                            &at("low"),
                            format!("need finite low < high, got low = {lo}, high = {hi}"),
                            None,
                        );
                        None
                    }
                    _ => {
                        c.error(
                            &at("low"),
                            "give both low and high, or neither (then the spread applies)",
                            None,
                        );
                        None
                    }
                };
                Some(super::ParameterSpec {
                    path: p.path.trim().to_string(),
                    range,
                })
            })
            .collect()
    });
    super::SensitivitySpec {
        metric,
        models: pair,
        spread,
        portfolios,
        parameters,
    }
}
