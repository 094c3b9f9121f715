//! The report of a sensitivity folder (`budgetsim sensitivity`): whether any input
//! moved across its plausible range flips the answer, the tornado chart, and every
//! input moved. Built from sensitivity.csv, scenario.toml and the manifest, so
//! `budgetsim report DIR` rebuilds it.

use std::path::{Path, PathBuf};

use askama::Template;

use super::charts::tornado::{Bar, Tornado};
use super::data::{Csv, InputMove, Provenance, read_inputs, resolved_scenario};
use super::html::{Change, what_would_change};
use super::i18n::Lang;
use super::page::{Cell, Figure, Layout, Table, range};
use super::style;
use crate::metrics::Metric;
use crate::model::Scenario;
use crate::scenario::fields::Kind;

/// The sensitivity report, as `sensitivity.html` shows it.
#[derive(Template)]
#[template(path = "sensitivity.html")]
struct SensitivityPage {
    layout: Layout,
    question_heading: String,
    question: String,
    /// The difference with every input as in the scenario, with its CI.
    base: String,
    change: Change,
    figures: Vec<Figure>,
    table_heading: String,
    moves: Table,
}

/// What a sensitivity folder measured: the metric, baseline and challenger (model
/// indices in the scenario) and the difference with every input as in the scenario.
struct Measured {
    metric: Metric,
    baseline: usize,
    challenger: usize,
    base: f64,
    /// 95% CI of the mean difference with every input as in the scenario (NaN for
    /// folders written before it was recorded).
    base_ci: (f64, f64),
    /// Portfolios per run.
    portfolios: f64,
}

fn measured(dir: &Path, scenario: &Scenario) -> Result<Measured, String> {
    let t = Csv::read(dir, "sensitivity.csv")?;
    let first = t
        .rows
        .first()
        .ok_or("sensitivity.csv has no rows: run `budgetsim sensitivity` again")?;
    let name = t.s(first, t.col("metric")?);
    let metric = Metric::from_name(&name)
        .ok_or_else(|| format!("sensitivity.csv: unknown metric `{name}`"))?;
    let model = |column: &str| -> Result<usize, String> {
        let key = t.s(first, t.col(column)?);
        scenario
            .models
            .iter()
            .position(|m| m.name == key)
            .ok_or_else(|| format!("sensitivity.csv: model `{key}` is not in scenario.toml"))
    };
    Ok(Measured {
        metric,
        baseline: model("baseline")?,
        challenger: model("challenger")?,
        base: t.f(first, t.col("diff_base")?),
        base_ci: (
            t.f_opt(first, t.col_opt("diff_base_ci_low")),
            t.f_opt(first, t.col_opt("diff_base_ci_high")),
        ),
        portfolios: t.f_opt(first, t.col_opt("portfolios")),
    })
}

/// The tornado chart's data, from the folder's files.
pub fn tornado(dir: &Path) -> Result<Tornado, String> {
    let scenario = resolved_scenario(dir)?;
    let m = measured(dir, &scenario)?;
    let both = |f: &dyn Fn(Lang) -> String| [f(Lang::En), f(Lang::Fr)];
    let label = |i: usize| both(&|l| scenario.models[i].label.get(l).to_string());
    Ok(Tornado {
        metric: m.metric,
        baseline: label(m.baseline),
        challenger: label(m.challenger),
        base: m.base,
        bars: read_inputs(dir)?
            .iter()
            .map(|r| Bar {
                label: both(&|l| l.field_in(&r.path, Some(&scenario))),
                path: r.path.clone(),
                factor: r.is_group(),
                kind: r.kind,
                values: [r.values[1], r.values[2]],
                diffs: [r.diffs[1], r.diffs[2]],
                break_even: r.break_even,
                other_break_even: r.other_break_even,
            })
            .collect(),
    })
}

/// Draws the tornado chart into the folder's chart directories.
pub fn render(dir: &Path, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    super::charts::tornado::render(dir, &tornado(dir)?, langs)
}

/// The table of every input moved.
fn moves(inputs: &[InputMove], scenario: &Scenario, m: &Measured, lang: Lang) -> Table {
    let kind = |k: Kind| match k {
        Kind::Lever => lang.t("kind-lever"),
        Kind::Assumption => lang.t("kind-assumption"),
    };
    Table {
        head: [
            "sens_input",
            "sens_kind",
            "sens_field",
            "sens_low",
            "sens_high",
            "sens_at_low",
            "sens_at_high",
            "sens_break_even",
        ]
        .map(|k| Cell::text(lang.t(k)))
        .to_vec(),
        rows: inputs
            .iter()
            .map(|r| {
                // The difference at an end, with its 95% CI when the folder has it.
                let at_end = |i: usize| {
                    let d = style::diff(lang, m.metric, r.diffs[i + 1]);
                    let (lo, hi) = r.cis[i];
                    if lo.is_finite() && hi.is_finite() {
                        let ci = |x| style::diff(lang, m.metric, x);
                        Cell::with_ci(d, range(lang, &ci(lo), &ci(hi)))
                    } else {
                        Cell::text(d)
                    }
                };
                // Both break-evens, in increasing order, when both ends flip.
                let break_evens = |r: &InputMove| {
                    let mut at: Vec<f64> =
                        r.break_even.into_iter().chain(r.other_break_even).collect();
                    at.sort_by(f64::total_cmp);
                    at.iter()
                        .map(|&b| r.value(lang, style::rounded(b, 3)))
                        .collect::<Vec<_>>()
                        .join(lang.t("list_sep"))
                };
                vec![
                    Cell::text(lang.field_in(&r.path, Some(scenario))),
                    Cell::text(kind(r.kind)),
                    Cell::code(&r.path),
                    Cell::text(r.value(lang, r.values[1])),
                    Cell::text(r.value(lang, r.values[2])),
                    at_end(0),
                    at_end(1),
                    Cell::text(break_evens(r)),
                ]
            })
            .collect(),
        row_headers: true,
        ..Table::default()
    }
}

/// The sensitivity report of folder `dir` in `lang`; `prov` stands in for the manifest
/// while the folder is being written. The tornado is read from the chart directory.
pub fn page(dir: &Path, lang: Lang, prov: Option<&Provenance>) -> Result<String, String> {
    let scenario = resolved_scenario(dir)?;
    let p = super::data::provenance_or(dir, scenario.simulation.seed, prov)?;
    let m = measured(dir, &scenario)?;
    let inputs = read_inputs(dir)?;
    let s = &scenario;
    let label = |i: usize| s.models[i].label.get(lang);
    let figures = Figure::read(dir, lang, "tornado", "c_tornado");
    let page = SensitivityPage {
        layout: Layout::new(
            lang,
            "sens_report_title",
            (&s.name, &s.description, &s.classification),
            &p,
            "study_reproduce",
        ),
        question_heading: lang.t("question").to_string(),
        question: lang.msg(
            "sens_question",
            &[
                ("metric", &lang.metric_in_sentence(m.metric)),
                ("challenger", label(m.challenger)),
                ("baseline", label(m.baseline)),
            ],
        ),
        base: {
            let d = |x| style::diff(lang, m.metric, x);
            lang.msg(
                "sens_base",
                &[
                    ("challenger", label(m.challenger)),
                    ("baseline", label(m.baseline)),
                    ("diff", &d(m.base)),
                    ("ci", &range(lang, &d(m.base_ci.0), &d(m.base_ci.1))),
                    ("portfolios", &style::number(lang, m.portfolios, 0)),
                ],
            )
        },
        change: what_would_change(&inputs, s, m.metric, lang),
        figures,
        table_heading: lang.t("sens_table").to_string(),
        moves: moves(&inputs, s, &m, lang),
    };
    page.render()
        .map_err(|e| format!("sensitivity report template: {e}"))
}
