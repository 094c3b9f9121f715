//! The HTML report of a sweep folder: the question, a computed three-sentence answer,
//! net value per model and the paired difference at every point, every sweep chart
//! (inline SVG) with a caption, and how to reproduce. Built from sweep.csv,
//! sweep_comparison.csv and the charts already written, so `budgetsim report DIR`
//! rebuilds it.

use crate::metrics::Metric;
use crate::model::Scenario;
use std::path::Path;

use askama::Template;

use super::charts::sweep::capitalised;
use super::choice::{Choice, PointGap, point_text};
use super::data::{Csv, Provenance, resolved_scenario, sweep_order};
use super::i18n::Lang;
use super::page::{Cell, Figure, Layout, Table, range};
use super::style::{money, number, parameter_text};
use crate::analysis::Standing;

/// The sweep report, as the `sweep.html` template shows it.
#[derive(Template)]
#[template(path = "sweep.html")]
struct SweepPage {
    layout: Layout,
    question_heading: String,
    question: String,
    answer_heading: String,
    answer: String,
    /// Which value of the first swept field to choose (heading, sentence).
    choice: Option<(String, String)>,
    table_heading: String,
    points: Table,
    charts_heading: String,
    figures: Vec<Figure>,
}

/// Mean with its 95% CI.
type Est = (f64, f64, f64);

/// One point of the grid.
struct Point {
    /// Swept values, in axis order.
    values: Vec<String>,
    /// Net value per model (scenario order).
    net: Vec<Est>,
    /// Challenger minus baseline net value.
    diff: Est,
}

/// Reads the points of a sweep folder for models `keys` (baseline first, challenger second).
fn points(dir: &Path, keys: &[String]) -> Result<(Vec<String>, Vec<Point>), String> {
    let s = Csv::read(dir, "sweep.csv")?;
    let (cm, cmet, cmean, clo, chi) = (
        s.col("model")?,
        s.col("metric")?,
        s.col("mean")?,
        s.col("ci_low")?,
        s.col("ci_high")?,
    );
    let axes: Vec<String> = s.header[..cm].to_vec();
    let mut out: Vec<Point> = Vec::new();
    for r in s
        .rows
        .iter()
        .filter(|r| &r[cmet] == Metric::NetValue.name())
    {
        let values: Vec<String> = (0..cm).map(|i| r[i].to_string()).collect();
        let Some(m) = keys.iter().position(|k| k == &r[cm]) else {
            continue;
        };
        let i = match out.iter().position(|p| p.values == values) {
            Some(i) => i,
            None => {
                out.push(Point {
                    values,
                    net: vec![(f64::NAN, f64::NAN, f64::NAN); keys.len()],
                    diff: (f64::NAN, f64::NAN, f64::NAN),
                });
                out.len() - 1
            }
        };
        out[i].net[m] = (s.f(r, cmean), s.f(r, clo), s.f(r, chi));
    }
    let c = Csv::read(dir, "sweep_comparison.csv")?;
    let (ca, cb, cmet, cd, clo, chi) = (
        c.col("model_a")?,
        c.col("model_b")?,
        c.col("metric")?,
        c.col("mean_diff")?,
        c.col("ci_low")?,
        c.col("ci_high")?,
    );
    for r in &c.rows {
        if &r[cmet] != Metric::NetValue.name() || r[ca] != keys[1] || r[cb] != keys[0] {
            continue;
        }
        let values: Vec<String> = (0..cm).map(|i| r[i].to_string()).collect();
        if let Some(p) = out.iter_mut().find(|p| p.values == values) {
            p.diff = (c.f(r, cd), c.f(r, clo), c.f(r, chi));
        }
    }
    Ok((axes, out))
}

/// A mean with its CI, as a cell.
fn est(lang: Lang, e: Est) -> Cell {
    Cell::with_ci(
        money(lang, e.0),
        range(lang, &money(lang, e.1), &money(lang, e.2)),
    )
}

/// A point's gap to the best point, as a cell: "best", or how far behind it is with
/// the 95% CI of the gap and, when that CI reaches zero, that the two cannot be told
/// apart.
fn gap_cell(lang: Lang, g: &PointGap) -> Cell {
    match g.standing {
        Standing::Best => Cell::text(capitalised(lang.t("sweep_best_mark"))),
        Standing::Undefined => Cell::text("—"),
        Standing::Tied | Standing::Behind => {
            let mut ci = range(lang, &money(lang, g.ci.0), &money(lang, g.ci.1));
            if g.standing == Standing::Tied {
                ci = format!("{ci} · {}", lang.t("sweep_tied_mark"));
            }
            Cell::with_ci(money(lang, g.gap), ci)
        }
    }
}

/// Why points can be compared: they run the same funds, unless a Monte Carlo setting
/// (seed, portfolio count) is itself swept.
fn why(axes: &[String]) -> &'static str {
    let settings = ["simulation.seed", "simulation.portfolios"];
    if axes.iter().any(|a| settings.contains(&a.as_str())) {
        "sweep_unpaired"
    } else {
        "sweep_paired"
    }
}

/// The three answer sentences.
fn answer(
    lang: Lang,
    s: &Scenario,
    axes: &[String],
    pts: &[Point],
    names: &[String],
) -> Vec<String> {
    let finite: Vec<&Point> = pts.iter().filter(|p| p.diff.0.is_finite()).collect();
    let (Some(lo), Some(hi)) = (
        finite.iter().min_by(|a, b| a.diff.0.total_cmp(&b.diff.0)),
        finite.iter().max_by(|a, b| a.diff.0.total_cmp(&b.diff.0)),
    ) else {
        return vec![lang.t(why(axes)).to_string()];
    };
    if lo.diff.0 == hi.diff.0 {
        // Nothing to choose between: the swept field does not touch the compared pair.
        return vec![lang.msg(
            "sweep_flat",
            &[
                ("challenger", &names[1]),
                ("baseline", &names[0]),
                ("diff", &money(lang, lo.diff.0)),
            ],
        )];
    }
    let first = lang.msg(
        "sweep_range",
        &[
            ("challenger", &names[1]),
            ("baseline", &names[0]),
            ("low", &money(lang, lo.diff.0)),
            ("low_at", &point_text(lang, s, axes, &lo.values)),
            ("high", &money(lang, hi.diff.0)),
            ("high_at", &point_text(lang, s, axes, &hi.values)),
        ],
    );
    let ahead = finite.iter().filter(|p| p.diff.1 > 0.0).count();
    let behind = finite.iter().filter(|p| p.diff.2 < 0.0).count();
    let second = lang.msg(
        "sweep_count",
        &[
            ("challenger", &names[1]),
            ("ahead", &number(lang, ahead as f64, 0)),
            ("points", &number(lang, pts.len() as f64, 0)),
            ("behind", &number(lang, behind as f64, 0)),
        ],
    );
    vec![first, second, lang.t(why(axes)).to_string()]
}

/// The sweep report in `lang`; `prov` overrides the manifest while the folder is being
/// written. Charts are read from the folder's chart directory for `lang`.
pub fn page(dir: &Path, lang: Lang, prov: Option<&Provenance>) -> Result<String, String> {
    let scenario = resolved_scenario(dir)?;
    if scenario.models.len() < 2 {
        return Err("a sweep report compares two models; the scenario has one".into());
    }
    let p = super::data::provenance_or(dir, scenario.simulation.seed, prov)?;
    // Baseline first, challenger second (data.rs), then the other models.
    let order = sweep_order(&Csv::read(dir, "sweep.csv")?, &scenario)?;
    let keys: Vec<String> = order
        .iter()
        .map(|&i| scenario.models[i].name.clone())
        .collect();
    let names: Vec<String> = order
        .iter()
        .map(|&i| scenario.models[i].label.get(lang).to_string())
        .collect();
    let (axes, pts) = points(dir, &keys)?;
    let layout = Layout::new(
        lang,
        "sweep_report_title",
        (
            &scenario.name,
            &scenario.description,
            &scenario.classification,
        ),
        &p,
        // The folder's scenario.toml holds every axis, file and --sweep alike.
        "sweep_reproduce",
    );
    // Table: one row per point.
    // Each swept field by its human label, with the path to --set beside it.
    let mut head: Vec<Cell> = axes
        .iter()
        .map(|a| {
            let label = lang.field_in(a, Some(&scenario));
            // A field without a label is shown by its path, once.
            if label == *a {
                Cell::code(a)
            } else {
                Cell::with_ci(label, a.clone())
            }
        })
        .collect();
    head.extend(names.iter().enumerate().map(|(i, n)| Cell::model(i, n)));
    head.push(Cell::text(lang.msg(
        "difference",
        &[("challenger", &names[1]), ("baseline", &names[0])],
    )));
    let chosen = Choice::read(dir, &keys[1], &keys[0])?;
    if chosen.is_some() {
        head.push(Cell::text(lang.t("sweep_gap")));
    }
    let rows = pts
        .iter()
        .map(|pt| {
            let mut row: Vec<Cell> = axes
                .iter()
                .zip(&pt.values)
                .map(|(a, v)| Cell::text(parameter_text(lang, a, v)))
                .collect();
            row.extend(pt.net.iter().map(|e| est(lang, *e)));
            row.push(est(lang, pt.diff));
            if let Some(c) = &chosen {
                let gap = c.points.iter().find(|g| g.values == pt.values);
                row.push(gap.map_or_else(|| Cell::text(""), |g| gap_cell(lang, g)));
            }
            row
        })
        .collect();
    // Charts, as written into the folder for this language. The answer first: the
    // paired difference, then the grid, then each model's metrics.
    let chart_dir = dir.join(super::chart_dir(lang));
    let mut stems: Vec<(String, &str)> = vec![
        ("sweep-difference".into(), "c_sweep_difference"),
        ("sweep-heatmap".into(), "c_heatmap"),
    ];
    stems.extend(
        super::charts::sweep::metrics().map(|m| (super::charts::sweep::stem(m), "c_sweep")),
    );
    let figures = stems
        .into_iter()
        .filter_map(|(stem, caption)| {
            // Not drawn for every sweep (e.g. no grid, or a non-numeric field).
            let svg = std::fs::read_to_string(chart_dir.join(format!("{stem}.svg"))).ok()?;
            Some(Figure {
                id: stem,
                svg,
                caption: lang.t(caption).to_string(),
            })
        })
        .collect();
    let fields: Vec<String> = axes
        .iter()
        .map(|a| lang.field_in(a, Some(&scenario)))
        .collect();
    // Which point to choose, over the whole grid; when every point gives the same
    // difference there is no value to choose.
    let choice = chosen.as_ref().map(|c| {
        let sentence = capitalised(&c.sentence(&scenario, lang));
        (
            lang.t("sweep_choice_heading").to_string(),
            lang.msg("sweep_choice", &[("sentence", &sentence)]),
        )
    });
    let page = SweepPage {
        layout,
        question_heading: lang.t("question").to_string(),
        question: lang.msg(
            "sweep_question",
            &[
                ("challenger", &names[1]),
                ("baseline", &names[0]),
                ("fields", &fields.join(lang.t("list_sep"))),
            ],
        ),
        answer_heading: lang.t("answer").to_string(),
        answer: answer(lang, &scenario, &axes, &pts, &names).join(" "),
        choice,
        table_heading: lang.t("sweep_table").to_string(),
        points: Table {
            head,
            rows,
            ..Table::default()
        },
        charts_heading: lang.t("charts").to_string(),
        figures,
    };
    page.render()
        .map_err(|e| format!("sweep report template: {e}"))
}
