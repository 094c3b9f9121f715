//! The report of an optimise folder (`budgetsim optimise`): which funding rule of one
//! model does best on one metric under the constraints, lever by lever beside the
//! scenario's own rule; how much better it does on a fresh seed, and how far its
//! estimate moved from the search (the optimiser's curse); which constraint binds;
//! the regret of the finalists across worlds; the Pareto charts; and how the search
//! ran. Built from optimise.csv, optimise_constraints.csv, optimise_result.csv,
//! scenario.toml and the manifest, so `budgetsim report DIR` rebuilds it.

use std::path::{Path, PathBuf};

use askama::Template;

use super::charts::pareto::{Chart, Panel, Point, Scale};
use super::data::{Csv, Provenance, reaches_zero, resolved_scenario};
use super::i18n::Lang;
use super::page::{Cell, Figure, Layout, Table, range};
use super::style;
use crate::metrics::Metric;
use crate::model::Scenario;
use crate::scenario::fields::shortened;

/// The optimise report, as `optimise.html` shows it.
#[derive(Template)]
#[template(path = "optimise.html")]
struct OptimisePage {
    layout: Layout,
    question_heading: String,
    question: String,
    /// Said first when no rule met every constraint.
    warning: Option<String>,
    answer_heading: String,
    answer: Vec<String>,
    rule_heading: String,
    rule: Table,
    best_toml: String,
    best_command: String,
    has_constraints: bool,
    constraints_heading: String,
    constraint_lines: Vec<String>,
    constraints: Table,
    charts_heading: String,
    figures: Vec<Figure>,
    finalists_heading: String,
    finalist_lines: Vec<String>,
    finalists: Table,
    search_heading: String,
    search: Vec<String>,
}

/// A mean with its 95% CI (NaN where undefined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Lower end of the 95% CI.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

pub use crate::optimise::search::Status;

/// One evaluation of a candidate rule in a world (a row of optimise.csv).
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Candidate id; 0 is the scenario's own rule.
    pub candidate: u64,
    /// Whether this is the re-run on the fresh seed (else a search rung).
    pub fresh: bool,
    /// The halving rung (search rows only).
    pub rung: Option<u64>,
    /// Simulated funds.
    pub portfolios: u64,
    /// Seed.
    pub seed: u64,
    /// The world's name (its scenario's).
    pub world: String,
    /// The objective's mean for the optimised model.
    pub objective: Estimate,
    /// Whether every constraint was met in this world.
    pub feasible: bool,
    /// The constraints broken, as written.
    pub violated: Vec<String>,
    /// Gap to the best rule meeting every constraint in the same world, phase and rung
    /// (NaN when none met them there).
    pub regret: f64,
    /// Where the candidate ended up.
    pub status: Status,
    /// Lever values as written in a scenario, in [`Study::levers`] order.
    pub levers: Vec<String>,
    /// Constraint figures, in [`Study::figures`] order.
    pub figures: Vec<f64>,
}

/// Which side of its limit a constraint keeps a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The figure must stay at or below the limit.
    Max,
    /// The figure must stay at or above the limit.
    Min,
}

/// One constraint (a row of optimise_constraints.csv).
#[derive(Debug, Clone)]
pub struct Constraint {
    /// As the user wrote it (`waste_share <= 0.25`).
    pub text: String,
    /// Key of the figure constrained (a metric name, `loss_probability`, ...).
    pub figure: String,
    /// Index of the figure in [`Study::figures`].
    pub column: usize,
    /// Which side of the limit is allowed.
    pub bound: Bound,
    /// The limit.
    pub limit: f64,
    /// The chosen rule's value on the fresh seed, in the least favourable world.
    pub chosen: f64,
    /// The scenario's own rule's value, likewise.
    pub own: f64,
    /// Distance from the chosen value to the limit, positive inside it.
    pub slack: f64,
    /// Rules whose search objective beat the chosen rule's but which broke this one.
    pub ruled_out: u64,
    /// Whether this is the constraint that ruled out the most better rules.
    pub binds: bool,
}

impl Constraint {
    /// Whether value `x` lies outside the limit.
    pub fn breaks(&self, x: f64) -> bool {
        x.is_finite()
            && match self.bound {
                Bound::Max => x > self.limit,
                Bound::Min => x < self.limit,
            }
    }
}

/// What the search concluded in one world (a row of optimise_result.csv).
#[derive(Debug, Clone)]
pub struct WorldResult {
    /// The world's name.
    pub world: String,
    /// Key of the optimised model in scenario.toml.
    pub model: String,
    /// The objective.
    pub objective: Metric,
    /// Whether the objective is maximised (else minimised).
    pub maximise: bool,
    /// Candidate rules sampled.
    pub candidates: u64,
    /// Candidate evaluations in the search.
    pub runs: u64,
    /// Halving rungs.
    pub rungs: u64,
    /// Simulated funds per rule at the first rung.
    pub search_portfolios: u64,
    /// Simulated funds per rule on the fresh seed.
    pub final_portfolios: u64,
    /// Seed of the search.
    pub search_seed: u64,
    /// Seed of the re-run of the finalists.
    pub fresh_seed: u64,
    /// The chosen candidate.
    pub chosen: u64,
    /// The scenario's own rule (0).
    pub own: u64,
    /// Whether any rule met every constraint (else `chosen` is the closest).
    pub feasible_found: bool,
    /// The chosen rule's objective at its last search rung, on the search seed.
    pub chosen_search: f64,
    /// The chosen rule's objective on the fresh seed.
    pub chosen_fresh: Estimate,
    /// The scenario's own rule's objective on the fresh seed.
    pub own_fresh: Estimate,
    /// Chosen minus own on the fresh seed, paired fund by fund.
    pub gain: Estimate,
    /// `chosen_search` minus the fresh mean.
    pub shrinkage: f64,
    /// Whether several worlds were searched and the choice minimises the worst regret.
    pub robust: bool,
}

/// What an optimise folder holds.
#[derive(Debug, Clone)]
pub struct Study {
    /// Dotted paths of the levers searched.
    pub levers: Vec<String>,
    /// Keys of the constraint figures recorded per evaluation.
    pub figures: Vec<String>,
    /// Every evaluation, in file order.
    pub evaluations: Vec<Evaluation>,
    /// The constraints, in file order.
    pub constraints: Vec<Constraint>,
    /// One result per world, in file order (at least one).
    pub worlds: Vec<WorldResult>,
}

impl Study {
    /// The lever values of candidate `id` (None if it has no row).
    fn levers_of(&self, id: u64) -> Option<&[String]> {
        self.evaluations
            .iter()
            .find(|e| e.candidate == id)
            .map(|e| &e.levers[..])
    }

    /// Candidate `id`'s evaluation on the fresh seed in `world`.
    fn fresh(&self, id: u64, world: &str) -> Option<&Evaluation> {
        self.evaluations
            .iter()
            .find(|e| e.fresh && e.candidate == id && e.world == world)
    }

    /// Candidate `id`'s largest regret on the fresh seed over the worlds, with that
    /// world (NaN and None when undefined in every world).
    fn worst_regret(&self, id: u64) -> (f64, Option<&str>) {
        let mut worst = (f64::NAN, None);
        for w in &self.worlds {
            let r = self.fresh(id, &w.world).map_or(f64::NAN, |e| e.regret);
            if r.is_finite() && (worst.1.is_none() || r > worst.0) {
                worst = (r, Some(w.world.as_str()));
            }
        }
        worst
    }
}

/// Line of a record in its file, for messages.
fn line(row: &csv::StringRecord) -> u64 {
    row.position().map_or(0, |p| p.line())
}

/// The message for a cell that holds `what` where the run writes something else.
fn bad(t: &Csv, row: &csv::StringRecord, col: usize, what: &str) -> String {
    format!(
        "{}, line {}: column `{}` holds `{}`, {what}; the file was edited after the run: \
         put the value back, or run `budgetsim optimise` again",
        t.name,
        line(row),
        t.header[col],
        shortened(&t.s(row, col))
    )
}

/// A number; an empty cell (undefined) is NaN.
fn cell_number(t: &Csv, row: &csv::StringRecord, col: usize) -> Result<f64, String> {
    let s = t.s(row, col);
    if s.is_empty() {
        return Ok(f64::NAN);
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(bad(
            t,
            row,
            col,
            "an infinite value, which no run writes there",
        )),
        Err(_) => Err(bad(t, row, col, "not a number")),
    }
}

/// A whole number (ids, counts, seeds: seeds exceed what a float holds exactly).
fn cell_whole(t: &Csv, row: &csv::StringRecord, col: usize) -> Result<u64, String> {
    t.s(row, col)
        .parse::<u64>()
        .map_err(|_| bad(t, row, col, "not a whole number"))
}

/// `true` or `false`.
fn cell_flag(t: &Csv, row: &csv::StringRecord, col: usize) -> Result<bool, String> {
    match t.s(row, col).as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(t, row, col, "not `true` or `false`")),
    }
}

/// A mean and its CI from three columns.
fn cell_estimate(t: &Csv, row: &csv::StringRecord, cols: [usize; 3]) -> Result<Estimate, String> {
    Ok(Estimate {
        mean: cell_number(t, row, cols[0])?,
        low: cell_number(t, row, cols[1])?,
        high: cell_number(t, row, cols[2])?,
    })
}

/// Columns named `<prefix><rest>`: (index, rest), in file order.
fn prefixed(t: &Csv, prefix: &str) -> Vec<(usize, String)> {
    t.header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.strip_prefix(prefix).map(|rest| (i, rest.to_string())))
        .collect()
}

/// Reads the evaluations, constraints and results of optimise folder `dir`.
pub fn read(dir: &Path) -> Result<Study, String> {
    let t = Csv::read(dir, "optimise.csv")?;
    if t.rows.is_empty() {
        return Err("optimise.csv has no rows: run `budgetsim optimise` again".into());
    }
    let candidate_c = t.col("candidate")?;
    let phase_c = t.col("phase")?;
    let rung_c = t.col("rung")?;
    let portfolios_c = t.col("portfolios")?;
    let seed_c = t.col("seed")?;
    let world_c = t.col("world")?;
    let objective_c = [
        t.col("objective")?,
        t.col("objective_ci_low")?,
        t.col("objective_ci_high")?,
    ];
    let feasible_c = t.col("feasible")?;
    let violated_c = t.col("violated")?;
    let regret_c = t.col("regret")?;
    let status_c = t.col("status")?;
    let levers = prefixed(&t, "lever:");
    let figures = prefixed(&t, "figure:");
    let mut evaluations = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let fresh = match t.s(row, phase_c).as_str() {
            "search" => false,
            "fresh" => true,
            _ => return Err(bad(&t, row, phase_c, "not `search` or `fresh`")),
        };
        let status = Status::parse(&t.s(row, status_c)).ok_or_else(|| {
            bad(
                &t,
                row,
                status_c,
                "not `own`, `eliminated`, `finalist` or `chosen`",
            )
        })?;
        evaluations.push(Evaluation {
            candidate: cell_whole(&t, row, candidate_c)?,
            fresh,
            rung: if fresh {
                None
            } else {
                Some(cell_whole(&t, row, rung_c)?)
            },
            portfolios: cell_whole(&t, row, portfolios_c)?,
            seed: cell_whole(&t, row, seed_c)?,
            world: t.s(row, world_c),
            objective: cell_estimate(&t, row, objective_c)?,
            feasible: cell_flag(&t, row, feasible_c)?,
            violated: t
                .s(row, violated_c)
                .split("; ")
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
            regret: cell_number(&t, row, regret_c)?,
            status,
            levers: levers.iter().map(|(c, _)| t.s(row, *c)).collect(),
            figures: figures
                .iter()
                .map(|(c, _)| cell_number(&t, row, *c))
                .collect::<Result<_, _>>()?,
        });
    }

    let c = Csv::read(dir, "optimise_constraints.csv")?;
    let text_c = c.col("constraint")?;
    let figure_c = c.col("figure")?;
    let bound_c = c.col("bound")?;
    let limit_c = c.col("limit")?;
    let chosen_c = c.col("chosen")?;
    let own_c = c.col("own")?;
    let slack_c = c.col("slack")?;
    let ruled_c = c.col("ruled_out")?;
    let binds_c = c.col("binds")?;
    let mut constraints = Vec::with_capacity(c.rows.len());
    for row in &c.rows {
        let figure = c.s(row, figure_c);
        let column = figures
            .iter()
            .position(|(_, k)| *k == figure)
            .ok_or_else(|| {
                let shown = shortened(&figure);
                format!(
                    "{}, line {}: figure `{shown}` has no column `figure:{shown}` in \
                     optimise.csv; the files were edited after the run: run `budgetsim \
                     optimise` again",
                    c.name,
                    line(row),
                )
            })?;
        let bound = match c.s(row, bound_c).as_str() {
            "max" => Bound::Max,
            "min" => Bound::Min,
            _ => return Err(bad(&c, row, bound_c, "not `max` or `min`")),
        };
        let limit = cell_number(&c, row, limit_c)?;
        if limit.is_nan() {
            return Err(bad(
                &c,
                row,
                limit_c,
                "nothing: every constraint has a limit",
            ));
        }
        constraints.push(Constraint {
            text: c.s(row, text_c),
            figure,
            column,
            bound,
            limit,
            chosen: cell_number(&c, row, chosen_c)?,
            own: cell_number(&c, row, own_c)?,
            slack: cell_number(&c, row, slack_c)?,
            ruled_out: cell_whole(&c, row, ruled_c)?,
            binds: cell_flag(&c, row, binds_c)?,
        });
    }

    let r = Csv::read(dir, "optimise_result.csv")?;
    if r.rows.is_empty() {
        return Err("optimise_result.csv has no rows: run `budgetsim optimise` again".into());
    }
    let col = |n: &str| r.col(n);
    let (world_c, model_c, objective_c, direction_c) = (
        col("world")?,
        col("model")?,
        col("objective")?,
        col("direction")?,
    );
    let counts = [
        col("candidates")?,
        col("runs")?,
        col("rungs")?,
        col("search_portfolios")?,
        col("final_portfolios")?,
        col("search_seed")?,
        col("fresh_seed")?,
        col("chosen")?,
        col("own")?,
    ];
    let (feasible_c, chosen_search_c, shrinkage_c, robust_c) = (
        col("feasible_found")?,
        col("chosen_search")?,
        col("shrinkage")?,
        col("robust")?,
    );
    let three = |a: &str, b: &str, c: &str| -> Result<[usize; 3], String> {
        Ok([col(a)?, col(b)?, col(c)?])
    };
    let chosen_fresh_c = three(
        "chosen_fresh",
        "chosen_fresh_ci_low",
        "chosen_fresh_ci_high",
    )?;
    let own_fresh_c = three("own_fresh", "own_fresh_ci_low", "own_fresh_ci_high")?;
    let gain_c = three("gain", "gain_ci_low", "gain_ci_high")?;
    let mut worlds = Vec::with_capacity(r.rows.len());
    for row in &r.rows {
        let name = r.s(row, objective_c);
        let objective = Metric::from_name(&name)
            .ok_or_else(|| bad(&r, row, objective_c, "not a metric budgetsim reports"))?;
        let maximise = match r.s(row, direction_c).as_str() {
            "maximise" => true,
            "minimise" => false,
            _ => return Err(bad(&r, row, direction_c, "not `maximise` or `minimise`")),
        };
        let n = counts
            .iter()
            .map(|&c| cell_whole(&r, row, c))
            .collect::<Result<Vec<u64>, String>>()?;
        worlds.push(WorldResult {
            world: r.s(row, world_c),
            model: r.s(row, model_c),
            objective,
            maximise,
            candidates: n[0],
            runs: n[1],
            rungs: n[2],
            search_portfolios: n[3],
            final_portfolios: n[4],
            search_seed: n[5],
            fresh_seed: n[6],
            chosen: n[7],
            own: n[8],
            feasible_found: cell_flag(&r, row, feasible_c)?,
            chosen_search: cell_number(&r, row, chosen_search_c)?,
            chosen_fresh: cell_estimate(&r, row, chosen_fresh_c)?,
            own_fresh: cell_estimate(&r, row, own_fresh_c)?,
            gain: cell_estimate(&r, row, gain_c)?,
            shrinkage: cell_number(&r, row, shrinkage_c)?,
            robust: cell_flag(&r, row, robust_c)?,
        });
    }
    Ok(Study {
        levers: levers.into_iter().map(|(_, p)| p).collect(),
        figures: figures.into_iter().map(|(_, k)| k).collect(),
        evaluations,
        constraints,
        worlds,
    })
}

/// The world the charts show: the first of optimise_result.csv, or the first of
/// optimise.csv if no evaluation names it.
fn chart_world(st: &Study) -> &str {
    let first = st.worlds[0].world.as_str();
    if st.evaluations.iter().any(|e| e.world == first) {
        first
    } else {
        st.evaluations.first().map_or(first, |e| e.world.as_str())
    }
}

/// Each candidate's evaluation at the last search rung it reached, in the chart's
/// world, in order of first appearance.
fn last_rungs(st: &Study) -> Vec<&Evaluation> {
    let world = chart_world(st);
    let mut last: Vec<&Evaluation> = Vec::new();
    for e in st
        .evaluations
        .iter()
        .filter(|e| !e.fresh && e.world == world)
    {
        match last.iter_mut().find(|l| l.candidate == e.candidate) {
            Some(l) => {
                if e.rung > l.rung {
                    *l = e;
                }
            }
            None => last.push(e),
        }
    }
    last
}

/// Without constraints, the chart's horizontal axis: the first lever when its values
/// are numbers and differ between rules (Some(0)), else the search rung (None).
fn free_axis(st: &Study, last: &[&Evaluation]) -> Option<usize> {
    let values: Vec<f64> = last
        .iter()
        .map(|e| {
            e.levers
                .first()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|x| x.is_finite())
        })
        .collect::<Option<_>>()?;
    let varies = values.iter().any(|x| *x != values[0]);
    (varies && !st.levers.is_empty()).then_some(0)
}

/// File stem of constraint `i`'s chart.
fn stem(i: usize) -> String {
    format!("pareto_{}", i + 1)
}

/// Text with its first letter in lower case, for use inside a sentence.
fn in_sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

/// A constraint figure's name in `lang`.
fn figure_label(lang: Lang, key: &str) -> String {
    match Metric::from_name(key) {
        Some(m) => lang.msg("optimise_fig_mean", &[("metric", lang.metric(m))]),
        None => match key {
            "loss_probability" | "worse_than_baseline" | "net_value_p5" => {
                lang.t(&format!("optimise_fig_{key}")).to_string()
            }
            _ => key.to_string(),
        },
    }
}

/// A constraint as a phrase: "waste share of spend (mean per fund) at most 25%".
fn constraint_text(lang: Lang, c: &Constraint) -> String {
    let key = match c.bound {
        Bound::Max => "optimise_at_most",
        Bound::Min => "optimise_at_least",
    };
    lang.msg(
        key,
        &[
            ("figure", &in_sentence(&figure_label(lang, &c.figure))),
            ("limit", &Scale::of_figure(&c.figure).text(lang, c.limit)),
        ],
    )
}

/// The optimised model's label in `lang` (its key if the scenario lacks it).
fn model_label(s: &Scenario, key: &str, lang: Lang) -> String {
    s.models
        .iter()
        .find(|m| m.name == key)
        .map_or_else(|| key.to_string(), |m| m.label.get(lang).to_string())
}

/// Whether a change of `x` in the objective is for the better.
fn better(maximise: bool, x: f64) -> bool {
    if maximise { x > 0.0 } else { x < 0.0 }
}

/// Whether two lever values are the same setting (`1.5` and `1.50` are).
fn same(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

/// The charts' data, from the folder's files.
fn chart(dir: &Path) -> Result<Chart, String> {
    let scenario = resolved_scenario(dir)?;
    let st = read(dir)?;
    let w = &st.worlds[0];
    let both = |f: &dyn Fn(Lang) -> String| [f(Lang::En), f(Lang::Fr)];
    let last = last_rungs(&st);
    let objective = w.objective;
    let total = last.len() as u64;
    let feasible = last.iter().filter(|e| e.feasible).count() as u64;
    let mut panels: Vec<Panel> = st
        .constraints
        .iter()
        .enumerate()
        .map(|(i, con)| Panel {
            stem: stem(i),
            title: both(&|l| {
                l.msg(
                    "t_pareto",
                    &[
                        ("objective", l.metric(objective)),
                        ("figure", &in_sentence(&figure_label(l, &con.figure))),
                        ("feasible", &style::whole(l, feasible)),
                        ("total", &style::whole(l, total)),
                    ],
                )
            }),
            x_label: both(&|l| figure_label(l, &con.figure)),
            x_scale: Scale::of_figure(&con.figure),
            limit: Some(con.limit),
            points: last
                .iter()
                .map(|e| Point {
                    candidate: e.candidate,
                    x: e.figures[con.column],
                    y: e.objective.mean,
                    feasible: e.feasible,
                })
                .collect(),
        })
        .collect();
    if st.constraints.is_empty() {
        let lever = free_axis(&st, &last);
        let axis = |l: Lang| match lever {
            Some(j) => l.field_in(&st.levers[j], Some(&scenario)),
            None => l.t("x_pareto_rung").to_string(),
        };
        panels.push(Panel {
            stem: "pareto".into(),
            title: both(&|l| {
                // A field's label may start with a model's name: kept as written.
                let named = match lever {
                    Some(_) => axis(l),
                    None => in_sentence(&axis(l)),
                };
                l.msg(
                    "t_pareto_free",
                    &[
                        ("objective", l.metric(objective)),
                        ("total", &style::whole(l, total)),
                        ("axis", &named),
                    ],
                )
            }),
            x_label: both(&axis),
            x_scale: lever.map_or(Scale::Whole, |j| Scale::Field(st.levers[j].clone())),
            limit: None,
            points: last
                .iter()
                .map(|e| Point {
                    candidate: e.candidate,
                    x: match lever {
                        Some(j) => e.levers[j].parse().unwrap_or(f64::NAN),
                        None => e.rung.map_or(f64::NAN, |r| r as f64),
                    },
                    y: e.objective.mean,
                    feasible: e.feasible,
                })
                .collect(),
        });
    }
    Ok(Chart {
        y_scale: Scale::Metric(objective),
        y_label: both(&|l| {
            l.msg(
                "y_pareto",
                &[
                    ("objective", l.metric(objective)),
                    ("model", &model_label(&scenario, &w.model, l)),
                ],
            )
        }),
        own: w.own,
        chosen: w.chosen,
        feasible_found: st.worlds.iter().all(|w| w.feasible_found),
        constrained: !st.constraints.is_empty(),
        panels,
    })
}

/// Draws the Pareto charts into the folder's chart directories; returns the files.
pub fn render(dir: &Path, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    super::charts::pareto::render(dir, &chart(dir)?, langs)
}

/// The charts as written into the folder for `lang`, with their captions.
fn figures(dir: &Path, st: &Study, lang: Lang) -> Vec<Figure> {
    if st.constraints.is_empty() {
        let caption = if free_axis(st, &last_rungs(st)).is_some() {
            "c_pareto_lever"
        } else {
            "c_pareto_rung"
        };
        return Figure::read(dir, lang, "pareto", caption);
    }
    (0..st.constraints.len())
        .flat_map(|i| Figure::read(dir, lang, &stem(i), "c_pareto"))
        .collect()
}

/// How far the chosen rule's estimate moved from the search to the fresh seed, in a
/// sentence (None when either is undefined).
fn curse(lang: Lang, w: &WorldResult, scale: &Scale, metric: &str) -> Option<String> {
    let (search, fresh) = (w.chosen_search, w.chosen_fresh.mean);
    if !(search.is_finite() && fresh.is_finite()) {
        return None;
    }
    let moved = if w.shrinkage.is_finite() {
        w.shrinkage
    } else {
        search - fresh
    };
    let search = scale.text(lang, search);
    if moved == 0.0 {
        return Some(lang.msg(
            "optimise_curse_same",
            &[("metric", metric), ("search", &search)],
        ));
    }
    // The search flattered the rule when it looked better there than on the fresh
    // seed: a drop for a metric to maximise, a rise for one to minimise.
    let key = if better(w.maximise, moved) {
        "optimise_curse_worse"
    } else {
        "optimise_curse_better"
    };
    Some(lang.msg(
        key,
        &[
            ("metric", metric),
            ("search", &search),
            ("fresh", &scale.text(lang, fresh)),
            ("change", &scale.amount(lang, moved)),
        ],
    ))
}

/// The answer: the gain over the scenario's own rule on the fresh seed, whether it can
/// be told from zero, and the optimiser's curse, world by world.
fn answer(st: &Study, lang: Lang) -> Vec<String> {
    let first = &st.worlds[0];
    let scale = Scale::Metric(first.objective);
    let metric = lang.metric_in_sentence(first.objective);
    let several = st.worlds.len() > 1;
    let own_breaks = st.constraints.iter().any(|c| c.breaks(c.own));
    let mut out = Vec::new();
    if first.chosen == first.own {
        let key = if first.feasible_found {
            "optimise_own_best"
        } else {
            "optimise_own_closest"
        };
        out.push(lang.msg(key, &[("metric", &metric)]));
    }
    for w in &st.worlds {
        let mut lines = Vec::new();
        if w.chosen != w.own {
            let g = w.gain;
            lines.push(lang.msg(
                "optimise_gain",
                &[
                    ("portfolios", &style::whole(lang, w.final_portfolios)),
                    ("chosen", &scale.text(lang, w.chosen_fresh.mean)),
                    ("own", &scale.text(lang, w.own_fresh.mean)),
                    ("gain", &scale.gap(lang, g.mean)),
                    (
                        "ci",
                        &range(lang, &scale.gap(lang, g.low), &scale.gap(lang, g.high)),
                    ),
                ],
            ));
            if g.low.is_finite() && g.high.is_finite() {
                let key = if reaches_zero((g.low, g.high)) {
                    "optimise_gain_noise"
                } else if better(w.maximise, g.mean) {
                    "optimise_gain_better"
                } else if own_breaks && w.feasible_found {
                    // Only a rule that meets the limits pays a price for meeting them.
                    "optimise_gain_price"
                } else {
                    "optimise_gain_worse"
                };
                lines.push(lang.msg(key, &[("metric", &metric)]));
            }
        }
        lines.extend(curse(lang, w, &scale, &metric));
        for l in lines {
            out.push(if several {
                lang.msg("optimise_world", &[("world", &w.world), ("text", &l)])
            } else {
                l
            });
        }
    }
    out
}

/// Heading of the chosen rule's column: recommended, or closest when no rule met
/// every constraint.
fn chosen_key(st: &Study) -> &'static str {
    if st.worlds.iter().all(|w| w.feasible_found) {
        "optimise_col_chosen"
    } else {
        "optimise_col_closest"
    }
}

/// The rule lever by lever: the scenario's own value and the chosen one, marked when
/// unchanged.
fn rule(st: &Study, s: &Scenario, lang: Lang) -> Table {
    let w = &st.worlds[0];
    let head = vec![
        Cell::text(lang.t("optimise_col_lever")),
        Cell::text(lang.t("sens_field")),
        Cell::text(lang.t("optimise_col_own")),
        Cell::text(lang.t(chosen_key(st))),
    ];
    let (own, chosen) = (st.levers_of(w.own), st.levers_of(w.chosen));
    let rows = st
        .levers
        .iter()
        .enumerate()
        .map(|(j, path)| {
            let o = own.map(|v| v[j].as_str());
            let c = chosen.map(|v| v[j].as_str());
            let text = |v: Option<&str>| match v {
                None => "–".to_string(),
                // The own rule leaves the field unset: the model's default applies.
                Some("default") => lang.t("optimise_default").to_string(),
                Some(v) => style::parameter_text(lang, path, v),
            };
            let chosen_cell = match (o, c) {
                (Some(a), Some(b)) if same(a, b) => {
                    Cell::with_ci(text(c), lang.t("optimise_unchanged").to_string())
                }
                _ => Cell::text(text(c)),
            };
            vec![
                Cell::text(lang.field_in(path, Some(s))),
                Cell::code(path.as_str()),
                Cell::text(text(o)),
                chosen_cell,
            ]
        })
        .collect();
    Table {
        head,
        rows,
        row_headers: true,
        ..Table::default()
    }
}

/// The constraints: limit, the chosen and own values, slack, better rules ruled out,
/// and which binds; with the sentences that introduce them.
fn constraints(st: &Study, lang: Lang) -> (Vec<String>, Table) {
    let w = &st.worlds[0];
    let metric = lang.metric_in_sentence(w.objective);
    let mut lines = Vec::new();
    match st.constraints.iter().find(|c| c.binds && c.ruled_out > 0) {
        Some(c) => {
            let key = if c.ruled_out == 1 {
                "optimise_binds_one"
            } else {
                "optimise_binds"
            };
            let text = constraint_text(lang, c);
            let mut chars = text.chars();
            let text = chars
                .next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(chars).collect());
            lines.push(lang.msg(
                key,
                &[
                    ("constraint", &text),
                    ("count", &style::whole(lang, c.ruled_out)),
                    ("metric", &metric),
                ],
            ));
        }
        None if !st.constraints.is_empty() => {
            lines.push(lang.msg("optimise_binds_none", &[("metric", &metric)]));
        }
        None => {}
    }
    if !st.constraints.is_empty() {
        lines.push(lang.t("optimise_constraints_note").to_string());
    }
    let head = [
        "optimise_col_constraint",
        "optimise_col_limit",
        chosen_key(st),
        "optimise_col_own",
        "optimise_col_slack",
        "optimise_col_ruled_out",
        "optimise_col_binds",
    ]
    .map(|k| Cell::text(lang.t(k)))
    .to_vec();
    let value = |c: &Constraint, x: f64| {
        let text = Scale::of_figure(&c.figure).text(lang, x);
        if c.breaks(x) {
            Cell::with_ci(text, lang.t("optimise_outside").to_string())
        } else {
            Cell::text(text)
        }
    };
    let rows = st
        .constraints
        .iter()
        .map(|c| {
            let scale = Scale::of_figure(&c.figure);
            let limit_key = match c.bound {
                Bound::Max => "optimise_limit_max",
                Bound::Min => "optimise_limit_min",
            };
            vec![
                Cell::text(figure_label(lang, &c.figure)),
                Cell::text(lang.msg(limit_key, &[("limit", &scale.text(lang, c.limit))])),
                value(c, c.chosen),
                value(c, c.own),
                Cell::text(scale.gap(lang, c.slack)),
                Cell::text(style::whole(lang, c.ruled_out)),
                Cell::text(if c.binds {
                    lang.t("optimise_binding")
                } else {
                    ""
                }),
            ]
        })
        .collect();
    (
        lines,
        Table {
            head,
            rows,
            row_headers: true,
            ..Table::default()
        },
    )
}

/// The finalists on the fresh seed: with one world their objective, regret and
/// whether they meet the constraints; with several their regret in each world and
/// the worst case. With the sentences that introduce the table.
fn finalists(st: &Study, s: &Scenario, lang: Lang) -> (Vec<String>, Table) {
    let w0 = &st.worlds[0];
    let scale = Scale::Metric(w0.objective);
    let metric = lang.metric_in_sentence(w0.objective);
    let several = st.worlds.len() > 1;
    let mut ids: Vec<u64> = Vec::new();
    for e in st.evaluations.iter().filter(|e| e.fresh) {
        if !ids.contains(&e.candidate) {
            ids.push(e.candidate);
        }
    }
    // The chosen rule first, the scenario's own second, then the smallest worst-case
    // regret first (undefined last), then by id.
    let rank = |id: u64| {
        if id == w0.chosen {
            0
        } else if id == w0.own {
            1
        } else {
            2
        }
    };
    ids.sort_by(|&a, &b| {
        let (ra, rb) = (st.worst_regret(a).0, st.worst_regret(b).0);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| match (ra.is_nan(), rb.is_nan()) {
                (false, false) => ra.total_cmp(&rb),
                (nan_a, nan_b) => nan_a.cmp(&nan_b),
            })
            .then(a.cmp(&b))
    });
    let name = |id: u64| {
        if id == w0.chosen {
            lang.t(chosen_key(st)).to_string()
        } else if id == w0.own {
            lang.t("optimise_col_own").to_string()
        } else {
            lang.msg("optimise_rule", &[("id", &id.to_string())])
        }
    };
    let mut head = vec![Cell::text(lang.t("optimise_col_rule"))];
    head.extend(
        st.levers
            .iter()
            .map(|p| Cell::text(lang.field_in(p, Some(s)))),
    );
    let constrained = !st.constraints.is_empty();
    if several {
        head.extend(
            st.worlds
                .iter()
                .map(|w| Cell::text(lang.msg("optimise_col_regret_world", &[("world", &w.world)]))),
        );
        head.push(Cell::text(lang.t("optimise_col_worst")));
    } else {
        head.push(Cell::text(lang.msg(
            "optimise_col_objective",
            &[("metric", lang.metric(w0.objective))],
        )));
        head.push(Cell::text(lang.t("optimise_col_regret")));
        if constrained {
            head.push(Cell::text(lang.t("optimise_col_feasible")));
        }
    }
    let rows = ids
        .iter()
        .map(|&id| {
            let mut row = vec![Cell::text(name(id))];
            let levers = st.levers_of(id);
            row.extend(st.levers.iter().enumerate().map(|(j, p)| {
                Cell::text(levers.map_or_else(
                    || "–".to_string(),
                    |v| style::parameter_text(lang, p, &v[j]),
                ))
            }));
            if several {
                for w in &st.worlds {
                    let r = st.fresh(id, &w.world).map_or(f64::NAN, |e| e.regret);
                    row.push(Cell::text(scale.amount(lang, r)));
                }
                row.push(Cell::text(scale.amount(lang, st.worst_regret(id).0)));
            } else if let Some(e) = st.fresh(id, &w0.world) {
                let o = e.objective;
                row.push(Cell::with_ci(
                    scale.text(lang, o.mean),
                    range(lang, &scale.text(lang, o.low), &scale.text(lang, o.high)),
                ));
                row.push(Cell::text(scale.amount(lang, e.regret)));
                if constrained {
                    let yes = if e.feasible {
                        "choice-true"
                    } else {
                        "choice-false"
                    };
                    row.push(Cell::text(lang.t(yes)));
                }
            }
            row
        })
        .collect();
    let mut lines = Vec::new();
    if several {
        lines.push(lang.msg("optimise_regret_intro", &[("metric", &metric)]));
        let (regret, world) = st.worst_regret(w0.chosen);
        if st.worlds.iter().any(|w| w.robust)
            && let Some(world) = world
        {
            lines.push(lang.msg(
                "optimise_robust",
                &[
                    ("count", &style::whole(lang, st.worlds.len() as u64)),
                    ("regret", &scale.amount(lang, regret)),
                    ("world", world),
                ],
            ));
        }
    } else {
        lines.push(lang.msg("optimise_finalists_intro", &[("metric", &metric)]));
    }
    (
        lines,
        Table {
            head,
            rows,
            row_headers: true,
            ..Table::default()
        },
    )
}

/// How the search ran: the design, the halving, the fresh re-run, the worlds and the
/// levers' values tried.
fn search(st: &Study, s: &Scenario, lang: Lang) -> Vec<String> {
    let w = &st.worlds[0];
    let n = |x: u64| style::whole(lang, x);
    let mut out = vec![
        lang.msg(
            "optimise_search",
            &[
                ("candidates", &n(w.candidates)),
                ("seed", &w.search_seed.to_string()),
                ("rungs", &n(w.rungs)),
                ("portfolios", &n(w.search_portfolios)),
                ("runs", &n(w.runs)),
            ],
        ),
        lang.msg(
            "optimise_fresh",
            &[
                ("seed", &w.fresh_seed.to_string()),
                ("portfolios", &n(w.final_portfolios)),
            ],
        ),
    ];
    if st.worlds.len() > 1 {
        let names: Vec<&str> = st.worlds.iter().map(|w| w.world.as_str()).collect();
        out.push(lang.msg(
            "optimise_worlds",
            &[
                ("count", &n(st.worlds.len() as u64)),
                ("worlds", &names.join(lang.t("list_sep"))),
            ],
        ));
    }
    let levers: Vec<String> = st
        .levers
        .iter()
        .enumerate()
        .map(|(j, path)| {
            let label = lang.field_in(path, Some(s));
            let numbers: Option<Vec<f64>> = st
                .evaluations
                .iter()
                .map(|e| e.levers[j].parse::<f64>().ok())
                .collect();
            match numbers {
                Some(xs) if !xs.is_empty() => {
                    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    lang.msg(
                        "optimise_lever_range",
                        &[
                            ("lever", &label),
                            ("low", &style::parameter(lang, path, lo)),
                            ("high", &style::parameter(lang, path, hi)),
                        ],
                    )
                }
                _ => {
                    let mut seen: Vec<&str> = Vec::new();
                    for e in &st.evaluations {
                        if !seen.iter().any(|v| same(v, &e.levers[j])) {
                            seen.push(&e.levers[j]);
                        }
                    }
                    let values: Vec<String> = seen
                        .iter()
                        .map(|v| style::parameter_text(lang, path, v))
                        .collect();
                    lang.msg(
                        "optimise_lever_choices",
                        &[("lever", &label), ("values", &values.join(" / "))],
                    )
                }
            }
        })
        .collect();
    if !levers.is_empty() {
        out.push(lang.msg(
            "optimise_levers",
            &[("levers", &levers.join(lang.t("list_sep")))],
        ));
    }
    out
}

/// The optimise report of folder `dir` in `lang`; `prov` stands in for the manifest
/// while the folder is being written. The charts are read from the chart directory.
pub fn page(dir: &Path, lang: Lang, prov: Option<&Provenance>) -> Result<String, String> {
    let scenario = resolved_scenario(dir)?;
    let p = super::data::provenance_or(dir, scenario.simulation.seed, prov)?;
    let st = read(dir)?;
    let s = &scenario;
    let w = &st.worlds[0];
    let feasible = st.worlds.iter().all(|w| w.feasible_found);
    let model = model_label(s, &w.model, lang);
    let metric = lang.metric_in_sentence(w.objective);
    let direction = lang.t(if w.maximise {
        "optimise_direction_maximise"
    } else {
        "optimise_direction_minimise"
    });
    let question = if st.constraints.is_empty() {
        lang.msg(
            "optimise_question_free",
            &[
                ("model", &model),
                ("metric", &metric),
                ("direction", direction),
            ],
        )
    } else {
        let list: Vec<String> = st
            .constraints
            .iter()
            .map(|c| constraint_text(lang, c))
            .collect();
        lang.msg(
            "optimise_question",
            &[
                ("model", &model),
                ("metric", &metric),
                ("direction", direction),
                ("constraints", &list.join(lang.t("list_sep"))),
            ],
        )
    };
    let (constraint_lines, constraints) = constraints(&st, lang);
    let (finalist_lines, finalists) = finalists(&st, s, lang);
    let figures = figures(dir, &st, lang);
    let page = OptimisePage {
        layout: Layout::new(
            lang,
            "optimise_report_title",
            (&s.name, &s.description, &s.classification),
            &p,
            "study_reproduce",
        ),
        question_heading: lang.t("question").to_string(),
        question,
        warning: (!feasible).then(|| lang.t("optimise_infeasible").to_string()),
        answer_heading: lang.t("answer").to_string(),
        answer: answer(&st, lang),
        rule_heading: lang
            .t(if feasible {
                "optimise_rule_heading"
            } else {
                "optimise_rule_heading_closest"
            })
            .to_string(),
        rule: rule(&st, s, lang),
        best_toml: lang.t("optimise_best_toml").to_string(),
        best_command: "budgetsim run best.toml".into(),
        has_constraints: !st.constraints.is_empty(),
        constraints_heading: lang.t("optimise_constraints_heading").to_string(),
        constraint_lines,
        constraints,
        charts_heading: lang.t("charts").to_string(),
        figures,
        finalists_heading: lang.t("optimise_finalists_heading").to_string(),
        finalist_lines,
        finalists,
        search_heading: lang.t("optimise_search_heading").to_string(),
        search: search(&st, s, lang),
    };
    page.render()
        .map_err(|e| format!("optimise report template: {e}"))
}
