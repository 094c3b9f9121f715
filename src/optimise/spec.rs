//! What `budgetsim optimise` is asked to do, validated: the model whose rule is
//! searched, the objective, the levers (each a field with a range or choices) and the
//! constraints, from `[optimise]` or from the command's flags, with errors that name the
//! field or flag and say what to change.

use toml::{Table, Value};

use crate::metrics::{Better, Metric};
use crate::model::{Role, Scenario};
use crate::scenario::fields;
use crate::scenario::raw::{RawConstraint, RawLever, RawOptimise};
pub use crate::scenario::validate::metric;

/// Candidates sampled when neither `[optimise] candidates` nor `--budget-runs` says.
pub const DEFAULT_CANDIDATES: usize = 48;
/// Candidates re-run on the fresh seed by default.
pub const DEFAULT_FINALISTS: usize = 4;
/// Portfolios per candidate at the first rung by default.
pub const DEFAULT_PORTFOLIOS: u64 = 200;

/// Which way the objective is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Larger is better.
    Maximise,
    /// Smaller is better.
    Minimise,
}

impl Direction {
    /// As written in `[optimise] direction` and the CSVs.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Maximise => "maximise",
            Direction::Minimise => "minimise",
        }
    }

    /// `x` signed so that larger is better.
    pub fn score(self, x: f64) -> f64 {
        match self {
            Direction::Maximise => x,
            Direction::Minimise => -x,
        }
    }
}

/// A figure a constraint limits, of the optimised model over the funds simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// The mean of a metric.
    Mean(Metric),
    /// Share of funds whose net value is below 0.
    LossProbability,
    /// Share of funds whose net value is below the strongest baseline's in the same fund.
    WorseThanBaseline,
    /// 5th percentile of net value, dollars.
    NetValueP5,
}

impl Figure {
    /// The figures that are not a metric's mean, by name.
    const RISK: [(&'static str, Figure); 3] = [
        ("loss_probability", Figure::LossProbability),
        ("worse_than_baseline", Figure::WorseThanBaseline),
        ("net_value_p5", Figure::NetValueP5),
    ];

    /// As written in `figure = ...` and the CSVs.
    pub fn name(self) -> &'static str {
        match self {
            Figure::Mean(m) => m.name(),
            Figure::LossProbability => "loss_probability",
            Figure::WorseThanBaseline => "worse_than_baseline",
            Figure::NetValueP5 => "net_value_p5",
        }
    }

    /// The figure named `s`.
    pub fn parse(s: &str) -> Option<Figure> {
        Figure::RISK
            .iter()
            .find(|(n, _)| *n == s)
            .map(|&(_, f)| f)
            .or_else(|| Metric::from_name(s).map(Figure::Mean))
    }

    /// Every name accepted, for error messages.
    fn names() -> Vec<&'static str> {
        let mut v: Vec<&str> = Figure::RISK.iter().map(|(n, _)| *n).collect();
        v.extend(Metric::ALL.iter().map(|m| m.name()));
        v
    }
}

/// Which side of the limit is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The figure must be at most the limit.
    Max,
    /// The figure must be at least the limit.
    Min,
}

impl Bound {
    /// As written in the CSVs.
    pub fn name(self) -> &'static str {
        match self {
            Bound::Max => "max",
            Bound::Min => "min",
        }
    }
}

/// One constraint: `figure` on the right side of `limit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constraint {
    /// What is limited.
    pub figure: Figure,
    /// Which side is acceptable.
    pub bound: Bound,
    /// The limit, in the figure's units.
    pub limit: f64,
}

impl Constraint {
    /// How far `value` is inside the limit (negative: outside), in the figure's units;
    /// an undefined figure is outside.
    pub fn slack(&self, value: f64) -> f64 {
        if value.is_nan() {
            return f64::NEG_INFINITY;
        }
        match self.bound {
            Bound::Max => self.limit - value,
            Bound::Min => value - self.limit,
        }
    }

    /// Human-readable, as in `waste_share <= 0.25`.
    pub fn text(&self) -> String {
        let op = match self.bound {
            Bound::Max => "<=",
            Bound::Min => ">=",
        };
        format!("{} {op} {}", self.figure.name(), fields::number(self.limit))
    }
}

/// The values a lever takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// Every value of [low, high]; whole numbers only when `integer`.
    Range {
        /// Lowest value.
        low: f64,
        /// Highest value.
        high: f64,
        /// The field counts things.
        integer: bool,
    },
    /// One of these values.
    Choices(Vec<Value>),
}

/// A lever: a field the search may set, and the values it may take.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    /// Dotted field path, as for `--set`.
    pub path: String,
    /// Its values.
    pub domain: Domain,
}

impl Lever {
    /// The value at `u` in [0, 1): a point of the range, or a choice, each choice (and
    /// each whole number of an integer range) an equal share of [0, 1).
    pub fn value_at(&self, u: f64) -> Value {
        match &self.domain {
            Domain::Range {
                low,
                high,
                integer: true,
            } => {
                let v = (low + (u * (high - low + 1.0)).floor()).min(*high);
                Value::Integer(v as i64)
            }
            Domain::Range { low, high, .. } => {
                // Three significant figures: a rule is written and read by people, and
                // finer steps than that are below what the simulation can tell apart.
                let x = low + u * (high - low);
                let scale = 10f64.powi(2 - x.abs().log10().floor() as i32);
                let rounded = if x == 0.0 || !scale.is_finite() {
                    x
                } else {
                    (x * scale).round() / scale
                };
                Value::Float(rounded.clamp(*low, *high))
            }
            Domain::Choices(c) => {
                let i = ((u * c.len() as f64) as usize).min(c.len() - 1);
                c[i].clone()
            }
        }
    }
}

/// `[optimise]` after validation, or the flags standing in for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptimiseSpec {
    /// Index of the model whose rule is searched.
    pub model: Option<usize>,
    /// The objective metric.
    pub objective: Option<Metric>,
    /// Which way it is better.
    pub direction: Option<Direction>,
    /// Portfolios per candidate at the first rung.
    pub portfolios: Option<u64>,
    /// Candidates sampled.
    pub candidates: Option<usize>,
    /// Candidates re-run on the fresh seed.
    pub finalists: Option<usize>,
    /// Portfolios of the fresh-seed re-evaluation.
    pub final_portfolios: Option<u64>,
    /// Other worlds, as written (relative to the scenario file).
    pub across: Vec<String>,
    /// The levers searched.
    pub levers: Vec<Lever>,
    /// The constraints.
    pub constraints: Vec<Constraint>,
}

/// Where a problem is reported: a field path (or flag) and the message and help.
pub type Report<'a> = dyn FnMut(&str, String, Option<String>) + 'a;

/// Validates `[optimise]` against scenario `s` and its resolved `table`, reporting each
/// problem at its field.
pub fn validate(raw: &RawOptimise, s: &Scenario, table: &Table, err: &mut Report) -> OptimiseSpec {
    let model = raw.model.as_deref().and_then(|key| {
        let found = s.models.iter().position(|m| m.name == key);
        if found.is_none() {
            let keys: Vec<&str> = s.models.iter().map(|m| m.name.as_str()).collect();
            err(
                "optimise.model",
                format!("no funding model `{key}`"),
                Some(format!("models here: {}", keys.join(", "))),
            );
        }
        found
    });
    let objective = raw
        .objective
        .as_deref()
        .and_then(|name| metric(name, "optimise.objective", err));
    let direction = raw
        .direction
        .as_deref()
        .and_then(|d| direction(d, "optimise.direction", err));
    let count = |v: Option<i64>, at: &str, min: i64, err: &mut Report| {
        v.and_then(|n| {
            if n < min {
                err(at, format!("must be at least {min}, got {n}"), None);
                None
            } else {
                Some(n)
            }
        })
    };
    let portfolios = count(raw.portfolios, "optimise.portfolios", 1, err).map(|n| n as u64);
    let candidates = count(raw.candidates, "optimise.candidates", 2, err).map(|n| n as usize);
    let finalists = count(raw.finalists, "optimise.finalists", 1, err).map(|n| n as usize);
    let final_portfolios =
        count(raw.final_portfolios, "optimise.final_portfolios", 1, err).map(|n| n as u64);
    let mut levers: Vec<Lever> = Vec::new();
    for (i, l) in raw.levers.iter().enumerate() {
        let at = format!("optimise.levers.{i}");
        if let Some(lever) = lever(l, &at, table, err) {
            if levers.iter().any(|x| x.path == lever.path) {
                err(
                    &format!("{at}.path"),
                    format!("`{}` is listed twice: keep one", lever.path),
                    None,
                );
            } else {
                levers.push(lever);
            }
        }
    }
    let constraints = raw
        .constraints
        .iter()
        .enumerate()
        .filter_map(|(i, c)| constraint(c, &format!("optimise.constraints.{i}"), err))
        .collect();
    OptimiseSpec {
        model,
        objective,
        direction,
        portfolios,
        candidates,
        finalists,
        final_portfolios,
        across: raw.across.clone().unwrap_or_default(),
        levers,
        constraints,
    }
}

/// The direction named `d`.
pub fn direction(d: &str, at: &str, err: &mut Report) -> Option<Direction> {
    match d {
        "maximise" | "maximize" => Some(Direction::Maximise),
        "minimise" | "minimize" => Some(Direction::Minimise),
        other => {
            err(
                at,
                format!("`{other}` is not a direction"),
                Some("write `maximise` or `minimise`".into()),
            );
            None
        }
    }
}

/// One lever, checked: a field of the scenario, a range inside the field's limits
/// (whole numbers for a count) or at least two choices, not both.
pub fn lever(l: &RawLever, at: &str, table: &Table, err: &mut Report) -> Option<Lever> {
    let path = l.path.trim();
    if path.is_empty() {
        err(
            &format!("{at}.path"),
            "give the dotted path of a field".into(),
            None,
        );
        return None;
    }
    if let Err((message, help)) = crate::scenario::check_field_path(table, path, false) {
        err(&format!("{at}.path"), message, help);
        return None;
    }
    let spec = fields::spec(path);
    // A lever is what the fund's designer chooses: a rule, not an assumption about the
    // world (optimising how good ideas are would "recommend" better ideas), nor a
    // setting of the run or a label.
    let assumption = spec.is_some_and(|s| s.distribution || s.kind != Some(fields::Kind::Lever));
    if assumption || (spec.is_none() && !fields::is_choice(path)) {
        err(
            &format!("{at}.path"),
            format!(
                "`{path}` is not a rule the fund sets{}",
                if assumption {
                    " but an assumption about the world (or a setting of the run)"
                } else {
                    ""
                }
            ),
            Some(
                "search the fund's rules (hurdles, stage sizes and durations, reserve, \
                 starts per round, attempts, contract caps); test assumptions with \
                 `budgetsim sensitivity` or across worlds with --across"
                    .into(),
            ),
        );
        return None;
    }
    let domain = match (l.low, l.high, &l.values) {
        (Some(low), Some(high), None) => {
            if !(low.is_finite() && high.is_finite() && low < high) {
                err(
                    &format!("{at}.low"),
                    format!("need finite low < high, got low = {low}, high = {high}"),
                    None,
                );
                return None;
            }
            if let Some(spec) = spec {
                for (key, v) in [("low", low), ("high", high)] {
                    if !spec.admits(v) {
                        err(
                            &format!("{at}.{key}"),
                            format!(
                                "must be a value `{path}` may take: {}, got {}",
                                spec.allowed(),
                                fields::number(v)
                            ),
                            spec.hint(),
                        );
                        return None;
                    }
                }
            } else {
                err(
                    &format!("{at}.path"),
                    format!("`{path}` is not a number: list its choices in `values`"),
                    None,
                );
                return None;
            }
            let integer = spec.is_some_and(|s| s.integer);
            let (low, high) = if integer {
                (low.ceil(), high.floor())
            } else {
                (low, high)
            };
            if low >= high && integer {
                err(
                    &format!("{at}.low"),
                    format!(
                        "`{path}` counts whole numbers, and the range holds {}: widen it \
                         to at least two",
                        if low > high { "none" } else { "only one" }
                    ),
                    None,
                );
                return None;
            }
            Domain::Range { low, high, integer }
        }
        (None, None, Some(values)) => {
            if values.len() < 2 {
                err(
                    &format!("{at}.values"),
                    "list at least two choices (one is not a choice)".into(),
                    None,
                );
                return None;
            }
            for (j, v) in values.iter().enumerate() {
                if values[..j].contains(v) {
                    err(
                        &format!("{at}.values"),
                        format!("`{}` is listed twice", crate::scenario::value_text(v)),
                        None,
                    );
                    return None;
                }
            }
            Domain::Choices(values.clone())
        }
        _ => {
            err(
                &format!("{at}.low"),
                "give either low and high (a range) or values (choices)".into(),
                None,
            );
            return None;
        }
    };
    Some(Lever {
        path: path.to_string(),
        domain,
    })
}

/// One constraint, checked: a known figure and exactly one finite limit.
pub fn constraint(c: &RawConstraint, at: &str, err: &mut Report) -> Option<Constraint> {
    let Some(figure) = Figure::parse(c.figure.trim()) else {
        let names = Figure::names();
        err(
            &format!("{at}.figure"),
            format!("unknown figure `{}`", c.figure),
            Some(format!(
                "a metric's mean, or a risk figure: {}",
                names.join(", ")
            )),
        );
        return None;
    };
    let (bound, limit) = match (c.max, c.min) {
        (Some(x), None) => (Bound::Max, x),
        (None, Some(x)) => (Bound::Min, x),
        _ => {
            err(
                &format!("{at}.max"),
                "give one limit: max (at most) or min (at least)".into(),
                None,
            );
            return None;
        }
    };
    if !limit.is_finite() {
        err(
            &format!("{at}.{}", bound.name()),
            format!("the limit must be a finite number, got {limit}"),
            None,
        );
        return None;
    }
    Some(Constraint {
        figure,
        bound,
        limit,
    })
}

/// `--lever PATH=LOW..HIGH` or `--lever PATH=A,B,C`, as a raw lever.
pub fn parse_lever_flag(text: &str) -> Result<RawLever, String> {
    let (path, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("--lever `{text}`: write PATH=LOW..HIGH or PATH=A,B,C"))?;
    let path = path.trim().to_string();
    if let Some((lo, hi)) = rest.split_once("..") {
        let num = |s: &str| {
            s.trim()
                .replace('_', "")
                .parse::<f64>()
                .map_err(|_| format!("--lever `{text}`: `{}` is not a number", s.trim()))
        };
        return Ok(RawLever {
            path,
            low: Some(num(lo)?),
            high: Some(num(hi)?),
            values: None,
        });
    }
    let values = rest
        .split(',')
        .map(|v| {
            let v = v.trim();
            if let Ok(i) = v.parse::<i64>() {
                Value::Integer(i)
            } else if let Ok(x) = v.parse::<f64>() {
                Value::Float(x)
            } else if v == "true" || v == "false" {
                Value::Boolean(v == "true")
            } else {
                Value::String(v.to_string())
            }
        })
        .collect();
    Ok(RawLever {
        path,
        low: None,
        high: None,
        values: Some(values),
    })
}

/// `--constraint FIGURE<=LIMIT` or `FIGURE>=LIMIT`, as a raw constraint.
pub fn parse_constraint_flag(text: &str) -> Result<RawConstraint, String> {
    let (figure, limit, max) = if let Some((f, x)) = text.split_once("<=") {
        (f, x, true)
    } else if let Some((f, x)) = text.split_once(">=") {
        (f, x, false)
    } else {
        return Err(format!(
            "--constraint `{text}`: write FIGURE<=LIMIT or FIGURE>=LIMIT, e.g. waste_share<=0.25"
        ));
    };
    let x: f64 = limit
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("--constraint `{text}`: `{}` is not a number", limit.trim()))?;
    Ok(RawConstraint {
        figure: figure.trim().to_string(),
        max: max.then_some(x),
        min: (!max).then_some(x),
    })
}

/// The model searched when none is named: the scenario's first challenger.
pub fn default_model(s: &Scenario) -> Option<usize> {
    s.models.iter().position(|m| m.role == Role::Challenger)
}

/// The objective's direction when none is given: the metric's better side.
pub fn default_direction(m: Metric) -> Option<Direction> {
    match m.better() {
        Better::Higher => Some(Direction::Maximise),
        Better::Lower => Some(Direction::Minimise),
        Better::Neither => None,
    }
}
