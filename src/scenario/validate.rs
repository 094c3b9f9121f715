//! Validation: the raw serde mirror becomes a [`Scenario`] holding only legal values.
//!
//! Every check records the field path and what is allowed, and validation goes on after
//! the first problem so the user sees them all at once.

use super::error::Diagnostic;
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

    fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_nan() || (v.is_infinite() && v < 0.0) {
            self.error(path, format!("must be a number, got {v}"), None);
            return false;
        }
        true
    }

    /// Share or probability in [0, 1].
    fn unit(&mut self, path: &str, v: f64) -> f64 {
        if self.finite(path, v) && !(0.0..=1.0).contains(&v) {
            self.error(
                path,
                format!("must be between 0 and 1, got {v}"),
                Some("write shares and probabilities as fractions, e.g. 0.25 for 25%".into()),
            );
        }
        v
    }

    /// Strictly positive and finite.
    fn positive(&mut self, path: &str, v: f64) -> f64 {
        if self.finite(path, v) && (v <= 0.0 || v.is_infinite()) {
            self.error(path, format!("must be a positive number, got {v}"), None);
        }
        v
    }

    /// Zero or more; `inf` allowed when `allow_inf`.
    fn non_negative(&mut self, path: &str, v: f64, allow_inf: bool) -> f64 {
        if self.finite(path, v) && v < 0.0 {
            self.error(path, format!("must be zero or more, got {v}"), None);
        } else if v.is_infinite() && !allow_inf {
            self.error(path, "must be finite", None);
        }
        v
    }

    fn count(&mut self, path: &str, v: i64, min: i64, max: i64) -> i64 {
        if v < min || v > max {
            self.error(
                path,
                format!("must be a whole number from {min} to {max}, got {v}"),
                None,
            );
        }
        v.clamp(min, max)
    }
}

fn dist(c: &mut Checker, path: &str, raw: &RawDist) -> Dist {
    let fallback = Dist::Constant { value: 1.0 };
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
    made.unwrap_or_else(|e| {
        c.error(path, e, None);
        fallback
    })
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
            Some("use lognormal, or set min above 0".into()),
        );
    }
    d
}

fn lognormal_median_p90(c: &mut Checker, path: &str, median: f64, p90: f64) -> (f64, f64) {
    match Dist::lognormal_median_p90(median, p90) {
        Ok(Dist::LogNormal { mu, sigma }) => (mu.exp(), sigma),
        Ok(_) => (1.0, 0.0),
        Err(e) => {
            c.error(path, e, None);
            (1.0, 0.0)
        }
    }
}

/// Validates the top-level tables; models come separately (see [`model`]).
pub fn scenario(c: &mut Checker, raw: &RawScenario, models: Vec<FundingModel>) -> Scenario {
    let s = &raw.simulation;
    let simulation = Simulation {
        portfolios: c.count("simulation.portfolios", s.portfolios, 1, 100_000_000) as u64,
        seed: {
            if s.seed < 0 {
                c.error(
                    "simulation.seed",
                    format!("must be zero or more, got {}", s.seed),
                    None,
                );
            }
            s.seed.max(0) as u64
        },
        horizon_months: c.positive("simulation.horizon_months", s.horizon_months),
        discount_rate: {
            let r = s.discount_rate;
            if c.finite("simulation.discount_rate", r) && !(0.0..1.0).contains(&r) {
                c.error(
                    "simulation.discount_rate",
                    format!("must be an annual rate from 0 up to (not including) 1, got {r}"),
                    Some("0.035 means 3.5% a year".into()),
                );
            }
            r
        },
    };
    let f = &raw.fund;
    let fund = Fund {
        budget: c.positive("fund.budget", f.budget),
        intake_every_months: c.positive("fund.intake_every_months", f.intake_every_months),
        intake_rounds: c.count("fund.intake_rounds", f.intake_rounds, 1, 10_000) as u32,
        ideas_per_round: c.count("fund.ideas_per_round", f.ideas_per_round, 1, 100_000) as u32,
    };
    let ideas_total = u64::from(fund.intake_rounds) * u64::from(fund.ideas_per_round);
    if ideas_total > 1_000_000 {
        c.error(
            "fund.ideas_per_round",
            format!(
                "{} rounds of {} ideas is {ideas_total} ideas per portfolio, more than the 1,000,000 budgetsim simulates",
                fund.intake_rounds, fund.ideas_per_round
            ),
            Some("lower fund.intake_rounds or fund.ideas_per_round".into()),
        );
    }
    let i = &raw.ideas;
    let (log_value_mean, log_value_sd) = match dist(c, "ideas.value", &i.value) {
        Dist::LogNormal { mu, sigma } => (mu, sigma),
        Dist::Constant { value } if value > 0.0 => (value.ln(), 0.0),
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
        fit_probability: c.unit("ideas.fit_probability", i.fit_probability),
        log_value_mean,
        log_value_sd,
        planned_cost: positive_dist(c, "ideas.planned_cost", &i.planned_cost, "costs"),
        planned_duration_months: positive_dist(
            c,
            "ideas.planned_duration_months",
            &i.planned_duration_months,
            "durations",
        ),
        business_case_noise: c.non_negative(
            "ideas.business_case_noise",
            i.business_case_noise,
            true,
        ),
        solution_sd: c.non_negative("ideas.solution_sd", i.solution_sd.unwrap_or(0.0), false),
    };
    let r = &raw.risk;
    let (overrun_median, overrun_log_sd) =
        lognormal_median_p90(c, "risk.overrun_p90", r.overrun_median, r.overrun_p90);
    let (schedule_median, schedule_log_sd) =
        lognormal_median_p90(c, "risk.schedule_p90", r.schedule_median, r.schedule_p90);
    let tail_min = c.positive("risk.tail_min", r.tail_min);
    let tail_max = c.positive("risk.tail_max", r.tail_max);
    if tail_max < tail_min {
        c.error(
            "risk.tail_max",
            format!("must be at least tail_min ({tail_min}), got {tail_max}"),
            None,
        );
    }
    if overrun_median >= 1.0 + tail_min {
        c.error(
            "risk.overrun_median",
            format!(
                "must be below where the black-swan tail begins, 1 + tail_min ({}), got {overrun_median}",
                1.0 + tail_min
            ),
            Some("the body holds the contracts that are not black swans: they overrun by less than tail_min".into()),
        );
    }
    let correlation = r.schedule_correlation;
    if c.finite("risk.schedule_correlation", correlation) && !(-1.0..=1.0).contains(&correlation) {
        c.error(
            "risk.schedule_correlation",
            format!("must be between -1 and 1, got {correlation}"),
            None,
        );
    }
    let escalation_cap = r.escalation_cap;
    if c.finite("risk.escalation_cap", escalation_cap) && escalation_cap < 1.0 {
        c.error(
            "risk.escalation_cap",
            format!("must be at least 1 (a multiple of planned cost), got {escalation_cap}"),
            Some("use inf to never cancel".into()),
        );
    }
    let risk = Risk {
        overrun_median,
        overrun_log_sd,
        black_swan_probability: c.unit("risk.black_swan_probability", r.black_swan_probability),
        tail_min,
        tail_alpha: c.positive("risk.tail_alpha", r.tail_alpha),
        tail_max,
        tail_schedule_ratio: c.non_negative(
            "risk.tail_schedule_ratio",
            r.tail_schedule_ratio,
            false,
        ),
        schedule_median,
        schedule_log_sd,
        schedule_correlation: correlation,
        idea_correlation: c.unit("risk.idea_correlation", r.idea_correlation),
        reference_duration_months: c.positive(
            "risk.reference_duration_months",
            r.reference_duration_months,
        ),
        duration_exponent: c.non_negative("risk.duration_exponent", r.duration_exponent, false),
        requirements_half_life_months: {
            let h = r.requirements_half_life_months;
            if c.finite("risk.requirements_half_life_months", h) && h <= 0.0 {
                c.error(
                    "risk.requirements_half_life_months",
                    format!("must be a positive number of months, got {h}"),
                    Some("use inf for no requirements drift".into()),
                );
            }
            h
        },
        gate_rework_share: c.unit("risk.gate_rework_share", r.gate_rework_share.unwrap_or(0.2)),
        escalation_cap,
    };
    let v = &raw.vendors;
    let vendors = Vendors {
        large: c.count("vendors.large", v.large, 0, 100_000) as u32,
        small: c.count("vendors.small", v.small, 0, 100_000) as u32,
        small_contract_cap: c.non_negative(
            "vendors.small_contract_cap",
            v.small_contract_cap,
            true,
        ),
        bid_probability: c.unit("vendors.bid_probability", v.bid_probability),
        markup: c.non_negative("vendors.markup", v.markup, false),
        sole_source_markup: c.non_negative(
            "vendors.sole_source_markup",
            v.sole_source_markup,
            false,
        ),
        overrun_markup: c.non_negative("vendors.overrun_markup", v.overrun_markup, false),
        incumbent_advantage: c.unit("vendors.incumbent_advantage", v.incumbent_advantage),
        switching_cost_share: c.non_negative(
            "vendors.switching_cost_share",
            v.switching_cost_share,
            false,
        ),
    };
    if vendors.large + vendors.small == 0 {
        c.error(
            "vendors",
            "the market needs at least one vendor",
            Some("set vendors.large or vendors.small above 0".into()),
        );
    }
    if models.is_empty() && raw.models.is_empty() {
        c.error(
            "models",
            "no funding models to compare",
            Some("add at least one table such as [models.waterfall] with its [[models.waterfall.stages]]".into()),
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
        name: raw.name.clone(),
        description: raw.description.clone(),
        simulation,
        fund,
        ideas,
        risk,
        vendors,
        models,
    }
}

/// Most vendors one stage may fund in parallel on an idea.
pub const MAX_ATTEMPTS: i64 = 50;

/// Validates one funding model table (`models.<name>`).
pub fn model(c: &mut Checker, name: &str, index: usize, raw: &RawModel) -> FundingModel {
    let p = |f: &str| format!("models.{name}.{f}");
    if raw.stages.is_empty() {
        c.error(
            &p("stages"),
            "a funding model needs at least one stage",
            Some("waterfall is one stage with scope_share = 1.0 and duration_share = 1.0".into()),
        );
    }
    let default_hurdle = raw.hurdle.unwrap_or(1.0);
    c.non_negative(&p("hurdle"), default_hurdle, false);
    let n = raw.stages.len();
    let mut stages = Vec::with_capacity(n);
    let mut released = 0.0_f64;
    for (k, s) in raw.stages.iter().enumerate() {
        let sp = |f: &str| format!("models.{name}.stages.{k}.{f}");
        let scope = match (s.scope_share, s.cost) {
            (Some(share), None) => StageScope::Share(c.positive(&sp("scope_share"), share)),
            (None, Some(cost)) => StageScope::Fixed(c.positive(&sp("cost"), cost)),
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
            (Some(share), None) => StageDuration::Share(c.positive(&sp("duration_share"), share)),
            (None, Some(m)) => StageDuration::Months(c.positive(&sp("duration_months"), m)),
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
            let v = c.unit(&sp("value_share"), s.value_share.unwrap_or(0.0));
            released += v;
            if released > 1.0 + 1e-9 {
                c.error(
                    &sp("value_share"),
                    format!("value shares of the stages add up to {released}, more than 1"),
                    None,
                );
            }
            v
        };
        let recompete = s.recompete.unwrap_or(false);
        let attempts = c.count(&sp("attempts"), s.attempts.unwrap_or(1), 1, MAX_ATTEMPTS) as usize;
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
            name: s.name.clone(),
            scope,
            duration,
            signal_noise: c.non_negative(
                &sp("signal_noise"),
                s.signal_noise.unwrap_or(f64::INFINITY),
                true,
            ),
            misfit_detection: c.unit(&sp("misfit_detection"), s.misfit_detection.unwrap_or(0.0)),
            value_share,
            recompete,
            hurdle: c.non_negative(&sp("hurdle"), s.hurdle.unwrap_or(default_hurdle), false),
            attempts,
        });
    }
    let mut names: Vec<&str> = raw.stages.iter().map(|s| s.name.as_str()).collect();
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
        label: raw.label.clone().unwrap_or_else(|| name.to_string()),
        stages,
        commitment: match raw.commitment {
            RawCommitment::Project => Commitment::Project,
            RawCommitment::Stage => Commitment::Stage,
        },
        selection: match raw.selection.unwrap_or(RawSelection::Rank) {
            RawSelection::Rank => Selection::Rank,
            RawSelection::Arrival => Selection::Arrival,
        },
        contingency: c.non_negative(&p("contingency"), raw.contingency, false),
        gate_review_cost: c.non_negative(&p("gate_review_cost"), raw.gate_review_cost, false),
        gate_delay_months: c.non_negative(&p("gate_delay_months"), raw.gate_delay_months, false),
        procurement_cost: c.non_negative(&p("procurement_cost"), raw.procurement_cost, false),
        procurement_delay_months: c.non_negative(
            &p("procurement_delay_months"),
            raw.procurement_delay_months,
            false,
        ),
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
            .map(|n| c.count(&p("max_starts_per_round"), n, 1, 1_000_000) as u32),
        role: match raw.role {
            Some(RawRole::Baseline) => Role::Baseline,
            Some(RawRole::Challenger) => Role::Challenger,
            None if index == 0 => Role::Baseline,
            None => Role::Challenger,
        },
    }
}

/// Validates `[[sweep]]` entries into axes.
pub fn sweep(c: &mut Checker, raw: &[RawSweep]) -> Vec<super::SweepAxis> {
    let mut axes = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let p = |f: &str| format!("sweep.{i}.{f}");
        if r.path.trim().is_empty() {
            c.error(
                &p("path"),
                "give the dotted path of the field to sweep",
                Some("e.g. models.stage_gated.hurdle".into()),
            );
            continue;
        }
        let values = match (&r.values, r.from, r.to, r.steps) {
            (Some(v), None, None, None) if !v.is_empty() => v.clone(),
            (None, Some(from), Some(to), Some(steps)) => {
                if !(2..=10_000).contains(&steps) || !from.is_finite() || !to.is_finite() {
                    c.error(&p("steps"), format!("need finite from/to and 2 to 10000 steps, got from = {from}, to = {to}, steps = {steps}"), None);
                    continue;
                }
                (0..steps)
                    .map(|k| toml::Value::Float(from + (to - from) * k as f64 / (steps - 1) as f64))
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
            path: r.path.trim().to_string(),
            values,
        });
    }
    axes
}

/// Validates `[sensitivity]` against the metrics and the scenario's models.
pub fn sensitivity(
    c: &mut Checker,
    raw: &RawSensitivity,
    models: &[FundingModel],
) -> super::SensitivitySpec {
    let metric = raw.metric.as_deref().and_then(|name| {
        let m = Metric::from_name(name);
        if m.is_none() {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            c.error(
                "sensitivity.metric",
                format!("unknown metric `{name}`"),
                Some(match crate::scenario::error::nearest(name, &names) {
                    Some(n) => format!("did you mean `{n}`? Metrics: {}", names.join(", ")),
                    None => format!("metrics: {}", names.join(", ")),
                }),
            );
        }
        m
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
    let spread = raw.spread.inspect(|&s| {
        if !(s > 0.0 && s < 1.0) {
            c.error(
                "sensitivity.spread",
                format!("spread must be between 0 and 1 (exclusive), got {s}"),
                Some("0.25 moves each parameter 25% down and up".into()),
            );
        }
    });
    let portfolios = raw
        .portfolios
        .map(|n| c.count("sensitivity.portfolios", n, 1, 10_000_000) as u64);
    let parameters = raw.parameters.as_ref().map(|list| {
        list.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let at = |f: &str| format!("sensitivity.parameters.{i}.{f}");
                if p.path.trim().is_empty() {
                    c.error(&at("path"), "give the dotted path of a field", None);
                    return None;
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
