//! One-at-a-time sensitivity: each parameter is moved to a low and a high value and the
//! paired difference of one metric between two models is measured again, with the
//! same seed (common random numbers), so the swing is the parameter's effect, not noise.
//!
//! Flow: a [`Plan`] (parameters, their moves and the scenarios they give, plus the
//! parameters left out and why) -> [`run`] -> a [`Table`] sorted by swing. The global
//! view, every assumption varied at once (Sobol indices), starts from the same plan
//! ([`global`]).

pub mod global;

use toml::Value;

use crate::analysis::stats::{Paired, paired_moments};
use crate::engine;
use crate::metrics::Metric;
use crate::model::Scenario;
use crate::scenario::fields::Kind;
use crate::scenario::{self, Loaded, ScenarioError};

/// Default relative move of a parameter without a declared range.
pub const DEFAULT_SPREAD: f64 = 0.25;

/// Command-line choices; each overrides `[sensitivity]`, which overrides the defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Metric name.
    pub metric: Option<String>,
    /// Baseline and challenger model keys.
    pub models: Option<(String, String)>,
    /// Relative move (0..1).
    pub spread: Option<f64>,
    /// Portfolios per run.
    pub portfolios: Option<u64>,
}

/// Parameters that cannot move one at a time without breaking a rule between them (a
/// lognormal's p90 at least its median, the body's median below where the black-swan
/// tail begins...), so they move together, as one row: every overrun in the group is
/// scaled by the same factor, which keeps their order. A multiplier `m` (1 = on plan)
/// becomes `1 + f (m - 1)` and an overrun `o` (0.25 = +25%) becomes `f o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Name in sensitivity.csv and the label tables (not a field: `--set` its members).
    pub id: &'static str,
    /// The fields scaled together.
    pub members: &'static [&'static str],
}

/// The groups moved together (by default, when `[sensitivity.parameters]` is not given).
pub const GROUPS: &[Group] = &[
    Group {
        id: "risk.cost_overruns",
        members: &[
            "risk.overrun_median",
            "risk.overrun_p90",
            "risk.tail_min",
            "risk.tail_max",
        ],
    },
    Group {
        id: "risk.schedule_overruns",
        members: &["risk.schedule_median", "risk.schedule_p90"],
    },
];

/// A parameter and the low and high values it is moved to (in the parameter's own
/// units, as in the scenario file; for a [`Group`], the factor its overruns are scaled
/// by, 1 in the scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Dotted path (a [`Group`]'s id for a group).
    pub path: String,
    /// The fields moved together, for a [`Group`]; empty for a single field.
    pub members: Vec<String>,
    /// Policy lever or uncertain assumption.
    pub kind: Kind,
    /// Value in the scenario.
    pub base: f64,
    /// Low value tried.
    pub low: f64,
    /// High value tried.
    pub high: f64,
    /// Where the range comes from.
    pub source: RangeSource,
}

/// A parameter moved low and high, with the two scenarios that gives.
#[derive(Debug, Clone)]
pub struct Move {
    /// The parameter and its range.
    pub parameter: Parameter,
    scenarios: [Scenario; 2],
    /// Whether the field takes whole numbers.
    integer: bool,
}

impl Move {
    /// The low and high scenarios (the two compared models only).
    pub fn scenarios(&self) -> &[Scenario; 2] {
        &self.scenarios
    }
}

/// Where a parameter's low and high values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSource {
    /// Declared in `[sensitivity.parameters]`.
    Declared,
    /// The scenario value times 1 -+ spread.
    Spread,
}

impl RangeSource {
    /// Name written in sensitivity.csv.
    pub fn name(self) -> &'static str {
        match self {
            RangeSource::Declared => "declared",
            RangeSource::Spread => "spread",
        }
    }
}

/// A parameter left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    /// Dotted path.
    pub path: String,
    /// Its value, as written.
    pub value: String,
    /// Why it was not moved.
    pub reason: String,
}

/// Everything a sensitivity run needs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Metric measured.
    pub metric: Metric,
    /// Baseline model (index, key, label).
    pub baseline: (usize, String, String),
    /// Challenger model (index, key, label).
    pub challenger: (usize, String, String),
    /// Relative move used where no range is declared.
    pub spread: f64,
    /// Portfolios per run.
    pub portfolios: u64,
    /// The scenario as it stands, restricted to the two models.
    pub base: Scenario,
    /// The scenario as loaded: break-evens are found by running it at more values.
    loaded: Loaded,
    /// Parameters to move, in path order.
    pub moves: Vec<Move>,
    /// Parameters left out.
    pub excluded: Vec<Excluded>,
}

/// One parameter's result.
#[derive(Debug, Clone)]
pub struct Row {
    /// The parameter moved and its range.
    pub parameter: Parameter,
    /// Challenger minus baseline at the low value.
    pub at_low: Paired,
    /// Challenger minus baseline at the high value.
    pub at_high: Paired,
    /// Where the answer flips within the range tried, if it does, found by bisection;
    /// when both ends flip it, the crossing nearer the scenario's value.
    pub break_even: Option<BreakEven>,
    /// When both ends flip the answer (a difference that changes sign twice), the
    /// crossing at the other end, found the same way.
    pub other_break_even: Option<BreakEven>,
}

impl Row {
    /// Distance between the differences at the low and high values (metric units).
    pub fn swing(&self) -> f64 {
        (self.at_high.mean_diff - self.at_low.mean_diff).abs()
    }

    /// Where the mean difference changes sign against `base` (the difference with every
    /// parameter as in the scenario), if it does within the range tried: which end
    /// flips it and the parameter value where the difference crosses zero, by linear
    /// interpolation between the scenario's value and that end (the bracket that
    /// [`run`] then narrows by bisection). When both ends flip (a difference that
    /// changes sign twice), the crossing nearer the scenario's value.
    pub fn linear_break_even(&self, base: f64) -> Option<BreakEven> {
        self.linear_break_evens(base).into_iter().next()
    }

    /// Every crossing [`Row::linear_break_even`] could give: none, one, or one at each
    /// end, the nearer to the scenario's value first.
    pub fn linear_break_evens(&self, base: f64) -> Vec<BreakEven> {
        let p = &self.parameter;
        let crossing = |end: End, x: f64, d: f64| {
            // Opposite signs (a zero difference at an end counts as a flip there).
            (base != 0.0 && d.is_finite() && (d == 0.0 || (d > 0.0) != (base > 0.0))).then(|| {
                BreakEven {
                    end,
                    value: p.base + (x - p.base) * base / (base - d),
                }
            })
        };
        let low = crossing(End::Low, p.low, self.at_low.mean_diff);
        let high = crossing(End::High, p.high, self.at_high.mean_diff);
        match (low, high) {
            (Some(l), Some(h)) if (l.value - p.base).abs() <= (h.value - p.base).abs() => {
                vec![l, h]
            }
            (Some(l), Some(h)) => vec![h, l],
            (l, h) => l.or(h).into_iter().collect(),
        }
    }
}

/// Which end of a parameter's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The low value.
    Low,
    /// The high value.
    High,
}

impl End {
    /// As written in sensitivity.csv.
    pub fn name(self) -> &'static str {
        match self {
            End::Low => "low",
            End::High => "high",
        }
    }
}

/// Where a parameter flips the answer: the end of its range that does, and the value
/// (in the parameter's units) where the mean difference crosses zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakEven {
    /// The end of the range where the sign has changed.
    pub end: End,
    /// Interpolated value where the difference is zero.
    pub value: f64,
}

/// Results, largest swing first.
#[derive(Debug, Clone)]
pub struct Table {
    /// Challenger minus baseline with every parameter as in the scenario.
    pub base: Paired,
    /// One row per parameter moved.
    pub rows: Vec<Row>,
}

/// Why a numeric leaf is never moved, if it is one of those.
fn fixed_reason(path: &str) -> Option<&'static str> {
    (path == "simulation.portfolios" || path == "simulation.seed")
        .then_some("Monte Carlo setting, not an assumption about the fund")
}

/// `x` rounded to 12 significant digits, so 0.55 x 0.75 is written 0.4125, not
/// 0.41250000000000003.
fn tidy(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(12 - x.abs().log10().ceil() as i32);
    if scale.is_finite() && scale > 0.0 {
        (x * scale).round() / scale
    } else {
        x
    }
}

/// `lo..hi` cut to the declared range of the field at `path` (an edge the field
/// excludes is approached to within a thousandth of the move).
fn within_declared(path: &str, lo: f64, hi: f64) -> (f64, f64) {
    let Some(spec) = scenario::fields::spec(path) else {
        return (lo, hi);
    };
    let inset = (hi - lo) * 1e-3;
    let lo = match spec.min {
        Some(m) if lo < m || (spec.min_exclusive && lo <= m) => {
            if spec.min_exclusive {
                m + inset
            } else {
                m
            }
        }
        _ => lo,
    };
    let hi = match spec.max {
        Some(m) if hi > m || (spec.max_exclusive && hi >= m) => {
            if spec.max_exclusive {
                m - inset
            } else {
                m
            }
        }
        _ => hi,
    };
    (lo, hi)
}

/// The stages of the model that `path` (`models.M.stages.J.scope_share`) belongs to,
/// and J, when `path` is a stage's scope share.
fn share_stages<'a>(resolved: &'a toml::Table, path: &str) -> Option<(&'a Vec<Value>, usize)> {
    let parts: Vec<&str> = path.split('.').collect();
    let ["models", model, "stages", j, "scope_share"] = parts.as_slice() else {
        return None;
    };
    let stages = resolved
        .get("models")?
        .get(*model)?
        .get("stages")?
        .as_array()?;
    Some((stages, j.parse().ok()?))
}

fn share_of(stage: &Value) -> Option<f64> {
    match stage.get("scope_share")? {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Why a stage's scope share cannot move, if it cannot: the only stage holds the whole
/// scope, and there is no other stage to move work to.
fn sole_share(resolved: &toml::Table, path: &str) -> Option<String> {
    let (stages, j) = share_stages(resolved, path)?;
    let others = stages
        .iter()
        .enumerate()
        .filter(|&(k, st)| k != j && share_of(st).is_some())
        .count();
    let all_shares = stages.iter().all(|st| share_of(st).is_some());
    (all_shares && others == 0).then(|| {
        "the model's only stage holds the whole scope: there is no other stage to move work to"
            .into()
    })
}

/// The settings that move `path` to `v`: the field itself and, for a stage's
/// `scope_share` when every stage of the model is a share, the other stages' shares
/// scaled so they still add up to 1. The move then shifts where the work is done, not
/// how much there is.
fn with_companions(
    resolved: &toml::Table,
    path: &str,
    v: f64,
    value: Value,
) -> Vec<(String, Value)> {
    let mut settings = vec![(path.to_string(), value)];
    let Some((stages, j)) = share_stages(resolved, path) else {
        return settings;
    };
    let shares: Option<Vec<f64>> = stages.iter().map(share_of).collect();
    let Some(shares) = shares else {
        return settings;
    };
    let rest = 1.0 - shares[j];
    if rest <= 0.0 {
        return settings;
    }
    let scale = (1.0 - v) / rest;
    let prefix = path.trim_end_matches(".scope_share");
    let prefix = &prefix[..prefix.rfind('.').unwrap_or(0)];
    for (k, s) in shares.iter().enumerate().filter(|&(k, _)| k != j) {
        settings.push((
            format!("{prefix}.{k}.scope_share"),
            Value::Float(tidy(s * scale)),
        ));
    }
    settings
}

/// The settings that put the field at `path` to `v` (rounded for a whole-number
/// field), companions included ([`with_companions`]).
fn field_settings(loaded: &Loaded, path: &str, integer: bool, v: f64) -> Vec<(String, Value)> {
    let value = if integer {
        Value::Integer(v.round() as i64)
    } else {
        Value::Float(v)
    };
    with_companions(&loaded.resolved, path, v, value)
}

/// The scenario `loaded` with the field at `path` set to `v` (rounded for a whole-number
/// field), companions included ([`with_companions`]); why not, if the scenario refuses
/// that value.
fn scenario_at(loaded: &Loaded, path: &str, integer: bool, v: f64) -> Result<Scenario, String> {
    let settings = field_settings(loaded, path, integer, v);
    let text = scenario::value_text(&settings[0].1);
    let label = format!("sensitivity {path}={text}");
    scenario::variant(loaded, &settings, &label).map_err(|e| {
        let why = e.diagnostics.first().map_or("", |d| d.message.as_str());
        format!("{text} is not allowed: {why}; declare a valid low and high")
    })
}

/// The settings that scale every overrun of `group` by `f` ([`Group`]).
fn group_settings(loaded: &Loaded, group: &Group, f: f64) -> Result<Vec<(String, Value)>, String> {
    let leaves = scenario::leaves(&loaded.resolved);
    let mut settings = Vec::new();
    for &m in group.members {
        let x = match leaves.iter().find(|(p, _)| p == m).map(|(_, v)| v) {
            Some(Value::Float(x)) => *x,
            Some(Value::Integer(i)) => *i as f64,
            _ => return Err(format!("{m} is not a number in this scenario")),
        };
        let multiplier = scenario::fields::spec(m).is_some_and(|s| s.unit == "multiplier");
        let v = if multiplier {
            1.0 + f * (x - 1.0)
        } else {
            f * x
        };
        settings.push((m.to_string(), Value::Float(tidy(v))));
    }
    Ok(settings)
}

/// The scenario `loaded` with every overrun of `group` scaled by `f` ([`Group`]); why
/// not, if the scenario refuses the values that gives.
fn group_at(loaded: &Loaded, group: &Group, f: f64) -> Result<Scenario, String> {
    let settings = group_settings(loaded, group, f)?;
    let label = format!("sensitivity {} x{}", group.id, tidy(f));
    scenario::variant(loaded, &settings, &label).map_err(|e| {
        let why = e.diagnostics.first().map_or("", |d| d.message.as_str());
        format!(
            "scaling {} by {} is not allowed: {why}",
            group.members.join(", "),
            tidy(f)
        )
    })
}

/// The settings that put the parameter at `path` (a field or a [`Group`]) at `v`.
fn settings_at(
    loaded: &Loaded,
    path: &str,
    integer: bool,
    v: f64,
) -> Result<Vec<(String, Value)>, String> {
    match group(path) {
        Some(g) => group_settings(loaded, g, v),
        None => Ok(field_settings(loaded, path, integer, v)),
    }
}

/// The group whose id is `path`, if it is one.
pub fn group(path: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.id == path)
}

/// The scenario with the parameter at `path` (a field or a [`Group`]) at `v`.
fn moved_at(loaded: &Loaded, path: &str, integer: bool, v: f64) -> Result<Scenario, String> {
    match group(path) {
        Some(g) => group_at(loaded, g, v),
        None => scenario_at(loaded, path, integer, v),
    }
}

/// A field's kind; an undeclared one (never a field of the fund) counts as an assumption.
fn kind_of(path: &str) -> Kind {
    if group(path).is_some() {
        return Kind::Assumption;
    }
    scenario::fields::spec(path)
        .and_then(|s| s.kind)
        .unwrap_or(Kind::Assumption)
}

/// A leaf that may be moved: (path, value, declared range).
type Candidate = (String, Value, Option<(f64, f64)>);

/// Builds the plan for `loaded` with command-line `opts`.
pub fn plan(loaded: &Loaded, opts: &Options) -> Result<Plan, ScenarioError> {
    let spec = loaded.sensitivity.clone().unwrap_or_default();
    let s = &loaded.scenario;
    let metric = match &opts.metric {
        Some(name) => Metric::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            ScenarioError::source(
                "--metric",
                format!("unknown metric `{name}`; metrics: {}", names.join(", ")),
            )
        })?,
        None => spec.metric.unwrap_or(Metric::NetValue),
    };
    let (a, b) = match &opts.models {
        Some((x, y)) => {
            let (a, b) = (
                scenario::model_index(s, x, "--models")?,
                scenario::model_index(s, y, "--models")?,
            );
            if a == b {
                return Err(ScenarioError::source(
                    "--models",
                    "give two different models",
                ));
            }
            (a, b)
        }
        None => match spec.models {
            Some(pair) => pair,
            None if s.models.len() >= 2 => {
                // The strongest baseline against the best challenger, as in the run's
                // report: found on a base run of every model at the plan's size.
                let n = opts
                    .portfolios
                    .or(spec.portfolios)
                    .unwrap_or(s.simulation.portfolios);
                engine::headline_pair(s, n, &|_| {})
            }
            None => {
                return Err(ScenarioError::source(
                    &loaded.origin,
                    "sensitivity compares two funding models; this scenario has one",
                ));
            }
        },
    };
    let spread = opts.spread.or(spec.spread).unwrap_or(DEFAULT_SPREAD);
    if !(spread > 0.0 && spread < 1.0) {
        return Err(ScenarioError::source(
            "--spread",
            format!("spread must be between 0 and 1 (exclusive), got {spread}"),
        ));
    }
    let portfolios = opts
        .portfolios
        .or(spec.portfolios)
        .unwrap_or(s.simulation.portfolios);
    if portfolios == 0 {
        return Err(ScenarioError::source(
            "--portfolios",
            "need at least 1 portfolio",
        ));
    }
    let leaves = scenario::leaves(&loaded.resolved);
    let lookup = |path: &str| {
        leaves
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
    };
    // Run settings (sweeps, this table) are not parameters of the fund.
    let run_setting = |p: &str| {
        p.starts_with("sweep.") || p.starts_with("sensitivity.") || p.starts_with("optimise.")
    };
    // (path, value, declared range) of every candidate, in file order.
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut excluded = Vec::new();
    match &spec.parameters {
        Some(list) => {
            for p in list {
                match lookup(&p.path) {
                    Some(v) => candidates.push((p.path.clone(), v, p.range)),
                    None => {
                        let paths: Vec<&str> = leaves.iter().map(|(p, _)| p.as_str()).collect();
                        let hint = crate::scenario::error::nearest(&p.path, &paths)
                            .map_or(String::new(), |n| format!(" (did you mean `{n}`?)"));
                        return Err(ScenarioError::source(
                            &loaded.origin,
                            format!(
                                "sensitivity.parameters: no field `{}` in the resolved scenario{hint}",
                                p.path
                            ),
                        ));
                    }
                }
            }
            for (path, v) in &leaves {
                let numeric = matches!(v, Value::Integer(_) | Value::Float(_));
                if numeric
                    && !run_setting(path)
                    && !list.iter().any(|p| &p.path == path)
                    && fixed_reason(path).is_none()
                {
                    excluded.push(Excluded {
                        path: path.clone(),
                        value: scenario::value_text(v),
                        reason: "not listed in [sensitivity.parameters]".into(),
                    });
                }
            }
        }
        None => {
            // A group's members move together, as one row, after the single fields.
            let grouped = |p: &str| GROUPS.iter().any(|g| g.members.contains(&p));
            for (path, v) in leaves
                .iter()
                .filter(|(p, _)| !run_setting(p) && !grouped(p))
            {
                candidates.push((path.clone(), v.clone(), None));
            }
        }
    }
    // Only the two compared models run; the others do not change their draws.
    let prepare = |sc: &Scenario| {
        let mut t = sc.clone();
        t.models = vec![sc.models[a].clone(), sc.models[b].clone()];
        t.simulation.portfolios = portfolios;
        t
    };
    let base = prepare(s);
    let mut moves = Vec::new();
    for (path, value, range) in candidates {
        let mut leave = |reason: String| {
            excluded.push(Excluded {
                path: path.clone(),
                value: scenario::value_text(&value),
                reason,
            })
        };
        let (x, integer) = match value {
            // Counts (declared whole numbers) move to whole numbers; other numbers written
            // without a decimal point (`budget = 50_000_000`) move as real numbers.
            Value::Integer(i) => (i as f64, scenario::is_count(&path)),
            Value::Float(f) => (f, false),
            Value::Boolean(_) => {
                leave("an on/off switch: compare both settings with --sweep".into());
                continue;
            }
            Value::String(_) if crate::scenario::fields::is_choice(&path) => {
                leave("a choice, not a number: compare the options with --sweep".into());
                continue;
            }
            // Free text (names, labels, descriptions, classification) is no input.
            Value::String(_) => continue,
            _ => continue,
        };
        if let Some(reason) = fixed_reason(&path) {
            leave(reason.into());
            continue;
        }
        let (lo, hi, source) = match range {
            Some((lo, hi)) => (lo, hi, RangeSource::Declared),
            None if !x.is_finite() => {
                leave("infinite (switched off): declare low and high in [sensitivity.parameters] to vary it".into());
                continue;
            }
            None if x == 0.0 => {
                leave("zero: a relative spread cannot move it; declare low and high in [sensitivity.parameters]".into());
                continue;
            }
            None => {
                // A count moves by the same whole number each way (10 by 25%: 7 and
                // 13), not by two roundings that may differ (8 and 13).
                let (lo, hi) = if integer {
                    let d = (x * spread).abs().round();
                    (x - d, x + d)
                } else {
                    (tidy(x * (1.0 - spread)), tidy(x * (1.0 + spread)))
                };
                let (lo, hi) = (lo.min(hi), lo.max(hi));
                // A move past the field's declared range stops at its edge (a share of
                // 1 moves down only), so the parameter is still measured one way.
                let (lo, hi) = within_declared(&path, lo, hi);
                if integer {
                    (lo.round(), hi.round(), RangeSource::Spread)
                } else {
                    (lo, hi, RangeSource::Spread)
                }
            }
        };
        if integer && (lo == x || hi == x) && source == RangeSource::Spread {
            leave(format!(
                "a count too small for a {:.0}% move to change it; declare low and high",
                spread * 100.0
            ));
            continue;
        }
        if let Some(reason) = sole_share(&loaded.resolved, &path) {
            leave(reason);
            continue;
        }
        let moved = |v: f64| scenario_at(loaded, &path, integer, v).map(|sc| prepare(&sc));
        match (moved(lo), moved(hi)) {
            (Ok(low_s), Ok(high_s)) => moves.push(Move {
                parameter: Parameter {
                    kind: kind_of(&path),
                    members: Vec::new(),
                    path,
                    base: x,
                    low: lo,
                    high: hi,
                    source,
                },
                scenarios: [low_s, high_s],
                integer,
            }),
            (Err(reason), _) | (_, Err(reason)) => leave(reason),
        }
    }
    if spec.parameters.is_none() {
        for g in GROUPS {
            let (lo, hi) = (tidy(1.0 - spread), tidy(1.0 + spread));
            let moved = |f: f64| group_at(loaded, g, f).map(|sc| prepare(&sc));
            match (moved(lo), moved(hi)) {
                (Ok(low_s), Ok(high_s)) => moves.push(Move {
                    parameter: Parameter {
                        path: g.id.to_string(),
                        members: g.members.iter().map(|m| m.to_string()).collect(),
                        kind: kind_of(g.id),
                        base: 1.0,
                        low: lo,
                        high: hi,
                        source: RangeSource::Spread,
                    },
                    scenarios: [low_s, high_s],
                    integer: false,
                }),
                (Err(reason), _) | (_, Err(reason)) => excluded.push(Excluded {
                    path: g.id.to_string(),
                    value: "1".into(),
                    reason,
                }),
            }
        }
    }
    // By path, not by the order of keys in the file: the folder's resolved scenario.toml
    // orders keys its own way, and running it again must write the same files.
    moves.sort_by(|x, y| x.parameter.path.cmp(&y.parameter.path));
    excluded.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(Plan {
        metric,
        baseline: (
            a,
            s.models[a].name.clone(),
            s.models[a].label.en().to_string(),
        ),
        challenger: (
            b,
            s.models[b].name.clone(),
            s.models[b].label.en().to_string(),
        ),
        spread,
        portfolios,
        base,
        loaded: loaded.clone(),
        moves,
        excluded,
    })
}

impl Plan {
    /// The scenario as loaded (every model).
    pub fn scenario(&self) -> &Scenario {
        &self.loaded.scenario
    }

    /// Human label of a row's parameter in `lang` (stages named as in the scenario).
    pub fn label(&self, p: &Parameter, lang: crate::model::Lang) -> String {
        lang.field_in(&p.path, Some(self.scenario()))
    }

    /// Number of simulation runs (the base plus two per parameter).
    pub fn runs(&self) -> u64 {
        1 + 2 * self.moves.len() as u64
    }
}

/// The metric of models 0 (baseline) and 1 (challenger) of `s`, portfolio by
/// portfolio, over portfolios `0..portfolios` (the same seed at every call).
fn columns(
    s: &Scenario,
    metric: Metric,
    portfolios: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> [Vec<f64>; 2] {
    let r = engine::run_with_progress(s, 0..portfolios, engine::Detail::Outcomes, progress);
    [0, 1].map(|m| r.outcomes[m].iter().map(|o| o.get(metric)).collect())
}

/// Challenger minus baseline of the plan's metric for one scenario (models 0 and 1).
fn difference(
    s: &Scenario,
    metric: Metric,
    portfolios: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Paired {
    let [base, chal] = columns(s, metric, portfolios, progress);
    // Only the mean and its CI are reported: no percentiles.
    paired_moments(&chal, &base, metric.better())
}

/// Halvings of the bracket around a break-even: each is one more run, and eight narrow
/// it to 1/256 of the distance from the scenario's value to the flipping end.
const BISECTIONS: usize = 8;

/// The break-even of move `mv`, whose end `end` (difference `at_end`) has the other
/// sign than `base`: the bracket from the scenario's value to that end is halved
/// [`BISECTIONS`] times by running at its middle, then the zero is interpolated inside
/// it. The difference is rarely linear in a parameter (costly gates stop ideas, then
/// stop paying for themselves), so interpolating across the whole range could be far off.
fn bisect(
    plan: &Plan,
    mv: &Move,
    (base, end, at_end): (f64, End, f64),
    progress: &(dyn Fn(u64) + Sync),
) -> BreakEven {
    let p = &mv.parameter;
    let x_end = match end {
        End::Low => p.low,
        End::High => p.high,
    };
    let ((mut a, mut da), (mut b, mut db)) = ((p.base, base), (x_end, at_end));
    for _ in 0..BISECTIONS {
        let mid = if mv.integer {
            ((a + b) / 2.0).round()
        } else {
            (a + b) / 2.0
        };
        if mid == a || mid == b {
            break;
        }
        let Ok(mut s) = moved_at(&plan.loaded, &p.path, mv.integer, mid) else {
            break;
        };
        s.models = vec![
            s.models[plan.baseline.0].clone(),
            s.models[plan.challenger.0].clone(),
        ];
        s.simulation.portfolios = plan.portfolios;
        let d = difference(&s, plan.metric, plan.portfolios, progress).mean_diff;
        if !d.is_finite() {
            break;
        }
        if d != 0.0 && (d > 0.0) == (da > 0.0) {
            (a, da) = (mid, d);
        } else {
            (b, db) = (mid, d);
        }
    }
    // A whole-number field cannot take a value in between: its break-even is the first
    // whole number, going out from the scenario's value, at which the answer has flipped.
    let value = if mv.integer {
        b
    } else {
        a + (b - a) * da / (da - db)
    };
    BreakEven { end, value }
}

/// Runs the plan on the current rayon pool; `progress(n)` is called per portfolio.
/// Each parameter whose move flips the sign of the difference gets a break-even,
/// found by bisection ([`BISECTIONS`] more runs each).
pub fn run(plan: &Plan, progress: &(dyn Fn(u64) + Sync)) -> Table {
    let n = plan.portfolios;
    let base = difference(&plan.base, plan.metric, n, progress);
    let mut rows: Vec<Row> = plan
        .moves
        .iter()
        .map(|m| {
            let mut row = Row {
                parameter: m.parameter.clone(),
                at_low: difference(&m.scenarios[0], plan.metric, n, progress),
                at_high: difference(&m.scenarios[1], plan.metric, n, progress),
                break_even: None,
                other_break_even: None,
            };
            let mut found = row
                .linear_break_evens(base.mean_diff)
                .into_iter()
                .map(|guess| {
                    let at_end = match guess.end {
                        End::Low => row.at_low.mean_diff,
                        End::High => row.at_high.mean_diff,
                    };
                    bisect(plan, m, (base.mean_diff, guess.end, at_end), progress)
                });
            row.break_even = found.next();
            row.other_break_even = found.next();
            row
        })
        .collect();
    // Largest swing first; ties in path order (the sort is stable).
    rows.sort_by(|x, y| y.swing().total_cmp(&x.swing()));
    Table { base, rows }
}

/// A value of parameter `p` as people read it: in the field's units, or `x1.25` for a
/// [`Group`]'s factor.
pub fn value_text(p: &Parameter, lang: crate::model::Lang, x: f64) -> String {
    let text = crate::report::style::parameter(lang, &p.path, x);
    if p.members.is_empty() {
        text
    } else {
        format!("×{text}")
    }
}

/// Whether any move flips the answer, in one sentence: "No move flips the answer: B
/// stays ahead of A at every low and high value", or "2 of 14 moves flip the answer:
/// <label> at <value> (break-even <x>); ...".
pub fn flip_summary(plan: &Plan, t: &Table, lang: crate::model::Lang) -> String {
    use crate::metrics::Better;
    let label = |i: usize| plan.scenario().models[i].label.get(lang);
    let (a, b) = (label(plan.baseline.0), label(plan.challenger.0));
    let d = t.base.mean_diff;
    // When the base difference cannot be told from zero, say so after the verdict.
    let noted = |text: String| {
        if crate::report::data::reaches_zero((t.base.ci_low, t.base.ci_high)) {
            let stop = if text.ends_with('.') { "" } else { "." };
            format!("{text}{stop} {}", lang.t("sens_base_noise"))
        } else {
            text
        }
    };
    if d == 0.0 || !d.is_finite() {
        return lang.msg("sens_tie", &[("challenger", b), ("baseline", a)]);
    }
    let flips: Vec<String> = t
        .rows
        .iter()
        .filter_map(|r| {
            let be = r.break_even?;
            let p = &r.parameter;
            let end = match be.end {
                End::Low => p.low,
                End::High => p.high,
            };
            // The flip is within the noise when, at every end that flips, the CI of
            // the difference there reaches zero.
            let at = |e: End| match e {
                End::Low => &r.at_low,
                End::High => &r.at_high,
            };
            let noisy = |e: End| crate::report::data::reaches_zero((at(e).ci_low, at(e).ci_high));
            let in_noise = noisy(be.end) && r.other_break_even.is_none_or(|o| noisy(o.end));
            Some(lang.msg(
                if in_noise {
                    "sens_flip_item_noise"
                } else {
                    "sens_flip_item"
                },
                &[
                    ("input", &plan.label(p, lang)),
                    ("value", &value_text(p, lang, end)),
                    (
                        "break_even",
                        &value_text(p, lang, crate::report::style::rounded(be.value, 3)),
                    ),
                ],
            ))
        })
        .collect();
    if flips.is_empty() {
        let higher = d > 0.0;
        let (key, challenger_first) = match plan.metric.better() {
            Better::Higher => ("sens_no_flip", higher),
            Better::Lower => ("sens_no_flip", !higher),
            Better::Neither => ("sens_no_flip_above", higher),
        };
        let (first, second) = if challenger_first { (b, a) } else { (a, b) };
        return noted(lang.msg(key, &[("ahead", first), ("behind", second)]));
    }
    noted(lang.msg(
        "sens_flips",
        &[
            ("flips", &flips.len().to_string()),
            ("moves", &t.rows.len().to_string()),
            ("items", &flips.join("; ")),
        ],
    ))
}

/// sensitivity.csv: one row per parameter moved, largest swing first.
pub fn write_csv(plan: &Plan, t: &Table, path: &std::path::Path) -> std::io::Result<()> {
    let mut w = crate::export::cell::SafeCsv::create(path)?;
    w.row([
        "rank",
        "parameter",
        "base_value",
        "low_value",
        "high_value",
        "range",
        "metric",
        "baseline",
        "challenger",
        "diff_base",
        "diff_base_ci_low",
        "diff_base_ci_high",
        "diff_low",
        "diff_low_ci_low",
        "diff_low_ci_high",
        "diff_high",
        "diff_high_ci_low",
        "diff_high_ci_high",
        "swing",
        "portfolios",
        "flips_at",
        "break_even",
        "kind",
        "other_break_even",
    ])?;
    for (i, r) in t.rows.iter().enumerate() {
        let flip = r.break_even;
        w.row([
            (i + 1).to_string(),
            r.parameter.path.clone(),
            r.parameter.base.to_string(),
            r.parameter.low.to_string(),
            r.parameter.high.to_string(),
            r.parameter.source.name().to_string(),
            plan.metric.name().to_string(),
            plan.baseline.1.clone(),
            plan.challenger.1.clone(),
            t.base.mean_diff.to_string(),
            t.base.ci_low.to_string(),
            t.base.ci_high.to_string(),
            r.at_low.mean_diff.to_string(),
            r.at_low.ci_low.to_string(),
            r.at_low.ci_high.to_string(),
            r.at_high.mean_diff.to_string(),
            r.at_high.ci_low.to_string(),
            r.at_high.ci_high.to_string(),
            r.swing().to_string(),
            plan.portfolios.to_string(),
            match (flip, r.other_break_even) {
                (Some(_), Some(_)) => "both".to_string(),
                (Some(b), None) => b.end.name().to_string(),
                _ => String::new(),
            },
            flip.map_or(String::new(), |b| tidy(b.value).to_string()),
            r.parameter.kind.name().to_string(),
            r.other_break_even
                .map_or(String::new(), |b| tidy(b.value).to_string()),
        ])?;
    }
    w.finish()
}

/// sensitivity_excluded.csv: parameters left out, with the reason.
pub fn write_excluded(plan: &Plan, path: &std::path::Path) -> std::io::Result<()> {
    let mut w = crate::export::cell::SafeCsv::create(path)?;
    w.row(["parameter", "value", "reason"])?;
    for e in &plan.excluded {
        w.row([&e.path, &e.value, &e.reason])?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(mean_diff: f64) -> Paired {
        Paired {
            n: 100,
            mean_diff,
            se: 1.0,
            ci_low: mean_diff - 2.0,
            ci_high: mean_diff + 2.0,
            prob_a_better: f64::NAN,
            prob_a_worse: f64::NAN,
            p5: f64::NAN,
            p95: f64::NAN,
        }
    }

    fn row(low: f64, high: f64, at_low: f64, at_high: f64) -> Row {
        Row {
            parameter: Parameter {
                path: "x".into(),
                members: Vec::new(),
                kind: Kind::Assumption,
                base: 1.0,
                low,
                high,
                source: RangeSource::Declared,
            },
            at_low: diff(at_low),
            at_high: diff(at_high),
            break_even: None,
            other_break_even: None,
        }
    }

    #[test]
    fn the_break_even_is_where_the_line_to_the_flipping_end_crosses_zero() {
        // +10 at the scenario's 1.0, -30 at 3.0: zero a quarter of the way, at 1.5.
        let r = row(0.5, 3.0, 20.0, -30.0);
        assert_eq!(
            r.linear_break_even(10.0),
            Some(BreakEven {
                end: End::High,
                value: 1.5
            })
        );
        // The same sign at both ends: no flip, whatever the swing.
        assert_eq!(row(0.5, 3.0, 1.0, 500.0).linear_break_even(10.0), None);
        // A negative difference that turns positive at the low end.
        let low = row(0.0, 2.0, 10.0, -20.0).linear_break_even(-10.0).unwrap();
        assert_eq!((low.end, low.value), (End::Low, 0.5));
        // Both ends flip: the crossing nearer the scenario's value.
        let both = row(0.0, 1.2, -10.0, -10.0).linear_break_even(10.0).unwrap();
        assert_eq!(both.end, End::High);
        assert!((both.value - 1.1).abs() < 1e-12);
        // ...and the other end's is kept too, after it.
        let all = row(0.0, 1.2, -10.0, -10.0).linear_break_evens(10.0);
        assert_eq!(
            all.iter().map(|b| b.end).collect::<Vec<_>>(),
            [End::High, End::Low]
        );
        assert!((all[1].value - 0.5).abs() < 1e-12);
        assert_eq!(row(0.5, 3.0, 20.0, -30.0).linear_break_evens(10.0).len(), 1);
        // No difference to flip.
        assert_eq!(row(0.0, 2.0, -1.0, 1.0).linear_break_even(0.0), None);
    }
}
