//! The report of a Sobol folder (`budgetsim sensitivity --method sobol`): which
//! uncertain assumptions the difference between two models depends on when all vary at
//! once, the chart of their indices, and every assumption's shares. Built from
//! sobol.csv, scenario.toml and the manifest, so `budgetsim report DIR` rebuilds it.

use std::path::{Path, PathBuf};

use askama::Template;

use super::charts::sobol::{Chart, Share};
use super::data::{Csv, Provenance, resolved_scenario};
use super::i18n::Lang;
use super::page::{Cell, Figure, Layout, Table, range};
use super::style;
use crate::metrics::Metric;
use crate::model::Scenario;
use crate::sensitivity::global::Output;

/// The Sobol report, as `sobol.html` shows it.
#[derive(Template)]
#[template(path = "sobol.html")]
struct SobolPage {
    layout: Layout,
    question_heading: String,
    question: String,
    findings: Vec<String>,
    figures: Vec<Figure>,
    table_heading: String,
    inputs: Table,
}

/// One assumption's indices for one output: (estimate, low, high) of the first and
/// total order, NaN when undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct Indices {
    /// Dotted path of the assumption.
    pub path: String,
    /// Low and high ends of its range.
    pub range: (f64, f64),
    /// First-order index with its interval.
    pub first: Share,
    /// Total-order index with its interval.
    pub total: Share,
}

/// What a Sobol folder measured, from sobol.csv.
#[derive(Debug, Clone)]
pub struct Study {
    /// Metric compared.
    pub metric: Metric,
    /// Baseline and challenger, as model indices in the scenario.
    pub baseline: usize,
    pub challenger: usize,
    /// Design rows, runs and portfolios per run.
    pub rows: f64,
    pub runs: f64,
    pub portfolios: f64,
    /// Per output ([`Output::ALL`] order): the assumptions, largest total order first,
    /// with the output's mean and variance over the design, and why the output could
    /// not be split, if it could not.
    pub outputs: Vec<(Output, Vec<Indices>, f64, f64, String)>,
}

/// Reads sobol.csv of folder `dir`.
pub fn read(dir: &Path, scenario: &Scenario) -> Result<Study, String> {
    let t = Csv::read(dir, "sobol.csv")?;
    let first = t
        .rows
        .first()
        .ok_or("sobol.csv has no rows: run `budgetsim sensitivity --method sobol` again")?;
    let name = t.s(first, t.col("metric")?);
    let metric =
        Metric::from_name(&name).ok_or_else(|| format!("sobol.csv: unknown metric `{name}`"))?;
    let model = |column: &str| -> Result<usize, String> {
        let key = t.s(first, t.col(column)?);
        scenario
            .models
            .iter()
            .position(|m| m.name == key)
            .ok_or_else(|| format!("sobol.csv: model `{key}` is not in scenario.toml"))
    };
    let (out_c, path_c, note_c) = (t.col("output")?, t.col("parameter")?, t.col("note")?);
    let (lo_c, hi_c) = (t.col("low_value")?, t.col("high_value")?);
    let (mean_c, var_c) = (t.col("output_mean")?, t.col("output_variance")?);
    let first_c = [
        t.col("first_order")?,
        t.col("first_order_ci_low")?,
        t.col("first_order_ci_high")?,
    ];
    let total_c = [
        t.col("total_order")?,
        t.col("total_order_ci_low")?,
        t.col("total_order_ci_high")?,
    ];
    // Empty cells (an output that could not be split) read as NaN.
    let f = |row: &csv::StringRecord, c: usize| {
        let s = t.s(row, c);
        if s.is_empty() { f64::NAN } else { t.f(row, c) }
    };
    let mut outputs: Vec<(Output, Vec<Indices>, f64, f64, String)> = Vec::new();
    for row in &t.rows {
        let name = t.s(row, out_c);
        let output =
            Output::parse(&name).ok_or_else(|| format!("sobol.csv: unknown output `{name}`"))?;
        if outputs.last().is_none_or(|o| o.0 != output) {
            outputs.push((
                output,
                Vec::new(),
                f(row, mean_c),
                f(row, var_c),
                t.s(row, note_c),
            ));
        }
        if let Some(last) = outputs.last_mut() {
            last.1.push(Indices {
                path: t.s(row, path_c),
                range: (f(row, lo_c), f(row, hi_c)),
                first: Share::new(f(row, first_c[0]), f(row, first_c[1]), f(row, first_c[2])),
                total: Share::new(f(row, total_c[0]), f(row, total_c[1]), f(row, total_c[2])),
            });
        }
    }
    Ok(Study {
        metric,
        baseline: model("baseline")?,
        challenger: model("challenger")?,
        rows: t.f(first, t.col("samples")?),
        runs: t.f(first, t.col("runs")?),
        portfolios: t.f(first, t.col("portfolios")?),
        outputs,
    })
}

/// The chart's data: the difference's indices.
fn chart(dir: &Path) -> Result<Chart, String> {
    let scenario = resolved_scenario(dir)?;
    let st = read(dir, &scenario)?;
    let both = |f: &dyn Fn(Lang) -> String| [f(Lang::En), f(Lang::Fr)];
    let label = |i: usize| both(&|l| scenario.models[i].label.get(l).to_string());
    let diff = st
        .outputs
        .iter()
        .find(|o| o.0 == Output::Difference)
        .map_or(&[][..], |o| &o.1[..]);
    Ok(Chart {
        metric: st.metric,
        baseline: label(st.baseline),
        challenger: label(st.challenger),
        bars: diff
            .iter()
            .map(|ix| {
                (
                    both(&|l| l.field_in(&ix.path, Some(&scenario))),
                    ix.first,
                    ix.total,
                )
            })
            .collect(),
    })
}

/// Draws the Sobol chart into the folder's chart directories.
pub fn render(dir: &Path, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    super::charts::sobol::render(dir, &chart(dir)?, langs)
}

/// A share as the reports show it: a whole percentage ("43%"; a small negative
/// estimate, noise around zero, as "0%"), or "–" undefined.
fn share(lang: Lang, x: f64) -> String {
    if x.is_finite() {
        style::percent(lang, if x > -0.005 { x.max(0.0) } else { x }, 0)
    } else {
        "–".into()
    }
}

/// A share with its interval, as a table cell.
fn share_cell(lang: Lang, s: Share) -> Cell {
    if s.low.is_finite() && s.high.is_finite() {
        Cell::with_ci(
            share(lang, s.estimate),
            range(lang, &share(lang, s.low), &share(lang, s.high)),
        )
    } else {
        Cell::text(share(lang, s.estimate))
    }
}

/// The table of every assumption: its range, the difference's shares, and each
/// model's share with interactions.
fn inputs(st: &Study, scenario: &Scenario, lang: Lang) -> Table {
    let label = |i: usize| scenario.models[i].label.get(lang);
    let mut head: Vec<Cell> = ["sens_input", "sens_field", "sens_low", "sens_high"]
        .map(|k| Cell::text(lang.t(k)))
        .to_vec();
    head.push(Cell::text(lang.t("sobol_col_first")));
    head.push(Cell::text(lang.t("sobol_col_total")));
    for i in [st.baseline, st.challenger] {
        head.push(Cell::text(
            lang.msg("sobol_col_model", &[("model", label(i))]),
        ));
    }
    let find = |o: Output, path: &str| {
        st.outputs
            .iter()
            .find(|x| x.0 == o)
            .and_then(|x| x.1.iter().find(|ix| ix.path == path))
    };
    let Some((_, diff, ..)) = st.outputs.iter().find(|o| o.0 == Output::Difference) else {
        return Table {
            head,
            ..Table::default()
        };
    };
    let value = |path: &str, x: f64| style::parameter(lang, path, x);
    let rows = diff
        .iter()
        .map(|ix| {
            let mut row = vec![
                Cell::text(lang.field_in(&ix.path, Some(scenario))),
                Cell::code(&ix.path),
                Cell::text(value(&ix.path, ix.range.0)),
                Cell::text(value(&ix.path, ix.range.1)),
                share_cell(lang, ix.first),
                share_cell(lang, ix.total),
            ];
            for o in [Output::Baseline, Output::Challenger] {
                row.push(find(o, &ix.path).map_or(Cell::text("–"), |x| share_cell(lang, x.total)));
            }
            row
        })
        .collect();
    Table {
        head,
        rows,
        row_headers: true,
        ..Table::default()
    }
}

/// What the study found, in sentences: the design, the leading assumption's shares,
/// and the assumptions that hardly matter.
fn findings(st: &Study, scenario: &Scenario, lang: Lang) -> Vec<String> {
    let Some((_, diff, mean, variance, note)) =
        st.outputs.iter().find(|o| o.0 == Output::Difference)
    else {
        return Vec::new();
    };
    let d = |x: f64| style::diff(lang, st.metric, x);
    let mut out = vec![lang.msg(
        "sobol_design",
        &[
            ("runs", &style::number(lang, st.runs, 0)),
            ("portfolios", &style::number(lang, st.portfolios, 0)),
            ("rows", &style::number(lang, st.rows, 0)),
            ("inputs", &style::number(lang, diff.len() as f64, 0)),
            ("mean", &d(*mean)),
            ("sd", &style::value(lang, st.metric, variance.sqrt())),
        ],
    )];
    if let Some(why) = crate::sensitivity::global::Unsplit::parse(note) {
        let key = match why {
            crate::sensitivity::global::Unsplit::Constant => "sobol_constant",
            crate::sensitivity::global::Unsplit::Undefined => "sobol_undefined",
        };
        out.push(lang.msg("sobol_none", &[("why", lang.t(key))]));
        return out;
    }
    if let Some(top) = diff.first() {
        let ci = |s: Share| range(lang, &share(lang, s.low), &share(lang, s.high));
        out.push(lang.msg(
            "sobol_summary",
            &[
                ("input", &lang.field_in(&top.path, Some(scenario))),
                ("first", &share(lang, top.first.estimate)),
                ("total", &share(lang, top.total.estimate)),
                ("first_ci", &ci(top.first)),
                ("total_ci", &ci(top.total)),
            ],
        ));
    }
    let small: Vec<String> = diff
        .iter()
        .filter(|ix| ix.total.high < 0.05)
        .map(|ix| lang.field_in(&ix.path, Some(scenario)))
        .collect();
    // A handful by name: the table lists them all.
    const NAMED: usize = 6;
    let list = if small.len() > NAMED {
        lang.msg(
            "sobol_more",
            &[
                ("inputs", &small[..NAMED].join(lang.t("list_sep"))),
                ("count", &(small.len() - NAMED).to_string()),
            ],
        )
    } else {
        small.join(lang.t("list_sep"))
    };
    if !small.is_empty() {
        out.push(lang.msg("sobol_negligible", &[("inputs", &list)]));
    }
    out
}

/// The Sobol report of folder `dir` in `lang`; `prov` stands in for the manifest while
/// the folder is being written. The chart is read from the chart directory.
pub fn page(dir: &Path, lang: Lang, prov: Option<&Provenance>) -> Result<String, String> {
    let scenario = resolved_scenario(dir)?;
    let p = super::data::provenance_or(dir, scenario.simulation.seed, prov)?;
    let st = read(dir, &scenario)?;
    let s = &scenario;
    let label = |i: usize| s.models[i].label.get(lang);
    let figures = Figure::read(dir, lang, "sobol", "c_sobol");
    let page = SobolPage {
        layout: Layout::new(
            lang,
            "sobol_report_title",
            (&s.name, &s.description, &s.classification),
            &p,
            "study_reproduce",
        ),
        question_heading: lang.t("question").to_string(),
        question: lang.msg(
            "sobol_question",
            &[
                ("metric", &lang.metric_in_sentence(st.metric)),
                ("challenger", label(st.challenger)),
                ("baseline", label(st.baseline)),
            ],
        ),
        findings: findings(&st, s, lang),
        figures,
        table_heading: lang.t("sobol_table").to_string(),
        inputs: inputs(&st, s, lang),
    };
    page.render()
        .map_err(|e| format!("Sobol report template: {e}"))
}
