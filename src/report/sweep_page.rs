//! The HTML report of a sweep folder: the question, a computed three-sentence answer,
//! net value per model and the paired difference at every point, every sweep chart
//! (inline SVG) with a caption, and how to reproduce. Built from sweep.csv,
//! sweep_comparison.csv and the charts already written, so `budgetsim report DIR`
//! rebuilds it.

use crate::metrics::Metric;
use std::path::Path;

use super::data::{Csv, Provenance, provenance, resolved_scenario, sweep_order};
use super::html::{CSS, escape};
use super::i18n::{Lang, fill};
use super::style::{css_colour, money, number, parameter_text};

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

fn est(lang: Lang, e: Est) -> String {
    format!(
        "{} <span class=\"ci\">[{} ; {}]</span>",
        escape(&money(lang, e.0)),
        escape(&money(lang, e.1)),
        escape(&money(lang, e.2))
    )
}

fn label(lang: Lang, axes: &[String], values: &[String]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| format!("{a} = {}", parameter_text(lang, a, v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The three answer sentences (escaped).
fn answer(lang: Lang, axes: &[String], pts: &[Point], names: &[String]) -> Vec<String> {
    let finite: Vec<&Point> = pts.iter().filter(|p| p.diff.0.is_finite()).collect();
    let (Some(lo), Some(hi)) = (
        finite.iter().min_by(|a, b| a.diff.0.total_cmp(&b.diff.0)),
        finite.iter().max_by(|a, b| a.diff.0.total_cmp(&b.diff.0)),
    ) else {
        return vec![escape(lang.t("sweep_paired"))];
    };
    let first = fill(
        lang.t("sweep_range"),
        &[
            &names[1],
            &names[0],
            &money(lang, lo.diff.0),
            &label(lang, axes, &lo.values),
            &money(lang, hi.diff.0),
            &label(lang, axes, &hi.values),
        ],
    );
    let ahead = finite.iter().filter(|p| p.diff.1 > 0.0).count();
    let behind = finite.iter().filter(|p| p.diff.2 < 0.0).count();
    let second = fill(
        lang.t("sweep_count"),
        &[
            &names[1],
            &number(lang, ahead as f64, 0),
            &number(lang, pts.len() as f64, 0),
            &number(lang, behind as f64, 0),
        ],
    );
    [first, second, lang.t("sweep_paired").to_string()]
        .iter()
        .map(|s| escape(s))
        .collect()
}

/// The sweep report in `lang`; `prov` overrides the manifest while the folder is being
/// written. Charts are read from the folder's chart directory for `lang`.
pub fn page(dir: &Path, lang: Lang, prov: Option<&Provenance>) -> Result<String, String> {
    let scenario = resolved_scenario(dir)?;
    if scenario.models.len() < 2 {
        return Err("a sweep report compares two models; the scenario has one".into());
    }
    let p = match prov {
        Some(p) => p.clone(),
        None => provenance(dir, scenario.simulation.seed)?,
    };
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
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} – {}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n",
        lang.code(),
        escape(lang.t("sweep_report_title")),
        escape(scenario.name.get(lang)),
        CSS
    );
    h += &format!(
        "<p class=\"classification\">{}</p>\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n",
        escape(scenario.classification.get(lang)),
        escape(lang.t("sweep_report_title")),
        escape(scenario.name.get(lang))
    );
    if !p.started.is_empty() {
        h += &format!(
            "<p class=\"run-date\">{}</p>\n",
            escape(&fill(
                lang.t("run_date"),
                &[&super::style::date(lang, &p.started)]
            ))
        );
    }
    if !scenario.description.is_empty() {
        h += &format!(
            "<p class=\"description\">{}</p>\n",
            escape(scenario.description.get(lang))
        );
    }
    h += &format!(
        "<section class=\"answer\">\n<h2>{}</h2>\n<p>{}</p>\n<h2>{}</h2>\n<p>{}</p>\n</section>\n",
        escape(lang.t("question")),
        escape(&fill(
            lang.t("sweep_question"),
            &[&names[1], &names[0], &axes.join(", ")]
        )),
        escape(lang.t("answer")),
        answer(lang, &axes, &pts, &names).join(" ")
    );
    // Table: one row per point.
    h += &format!(
        "<h2>{}</h2>\n<table>\n<thead><tr>",
        escape(lang.t("sweep_table"))
    );
    for a in &axes {
        h += &format!("<th><code>{}</code></th>", escape(a));
    }
    for (i, n) in names.iter().enumerate() {
        h += &format!(
            "<th><span class=\"swatch\" style=\"background:{}\"></span>{}</th>",
            css_colour(i),
            escape(n)
        );
    }
    h += &format!(
        "<th>{}</th></tr></thead>\n<tbody>\n",
        escape(&fill(lang.t("difference"), &[&names[1], &names[0]]))
    );
    for pt in &pts {
        h += "<tr>";
        for (a, v) in axes.iter().zip(&pt.values) {
            h += &format!("<td>{}</td>", escape(&parameter_text(lang, a, v)));
        }
        for e in &pt.net {
            h += &format!("<td>{}</td>", est(lang, *e));
        }
        h += &format!("<td>{}</td></tr>\n", est(lang, pt.diff));
    }
    h += "</tbody>\n</table>\n";
    // Charts, as written into the folder for this language.
    h += &format!("<h2>{}</h2>\n", escape(lang.t("charts")));
    let chart_dir = dir.join(super::chart_dir(lang));
    // The answer first: the paired difference, then the grid, then each model's metrics.
    let mut stems: Vec<(String, &str)> = vec![
        ("sweep-difference".into(), "c_sweep_difference"),
        ("sweep-heatmap".into(), "c_heatmap"),
    ];
    stems.extend(
        super::charts::sweep::metrics().map(|m| (super::charts::sweep::stem(m), "c_sweep")),
    );
    for (stem, caption) in stems {
        let path = chart_dir.join(format!("{stem}.svg"));
        let Ok(svg) = std::fs::read_to_string(&path) else {
            continue; // not drawn for this sweep (e.g. no grid, or a non-numeric field)
        };
        h += &format!(
            "<figure id=\"{stem}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(lang.t(caption))
        );
    }
    // Reproduce: the folder's scenario.toml holds every axis, file and --sweep alike.
    h += &super::html::reproduce(lang, "sweep_reproduce", &p);
    h += "</main>\n</body>\n</html>\n";
    Ok(h)
}
