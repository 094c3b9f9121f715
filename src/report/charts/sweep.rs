//! Sweep charts, drawn from `sweep.csv`: each headline metric against the first swept
//! field, one line per model with its 95% CI band (other swept fields held at their
//! first value); from `sweep_comparison.csv`, the paired net-value difference along
//! that field and, for a two-field grid, a heatmap of it.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{err, legend, png_and_svg, titled, with_legend_strip};
use crate::metrics::{Metric, Shown, Unit};
use crate::model::Text as ScenarioText;
use crate::report::choice::{self, Choice};
use crate::report::data::Csv;
use crate::report::i18n::Lang;
use crate::report::style::{self, LABEL, SIZE, colour, money, number, percent};

/// Metrics drawn against the swept field: the key metrics.
pub fn metrics() -> impl Iterator<Item = Metric> {
    Shown::Key.metrics()
}

/// File stem of the chart of `metric` against the swept field.
pub fn stem(metric: Metric) -> String {
    format!("sweep-{}", metric.name().replace('_', "-"))
}

/// One model's curve: (x, mean, ci_low, ci_high) by increasing x.
type Curve = Vec<(f64, f64, f64, f64)>;

/// The first swept field's name and a curve per model (model name, curve).
type Curves = (String, Vec<(String, Curve)>);

/// The rows of a sweep table along its first swept field, the other swept fields
/// (columns `1..n_axes`) held at `held` (the values of the point to show, e.g. the best
/// one; the first row's when None), each with the first field as a number. None when
/// there is no swept field or the first is not numeric. A point at `inf` (a mechanism
/// switched off) has no place on a numeric axis: it is left out of the curves
/// (sweep.csv and the report's table keep it).
fn along<'a>(
    t: &'a Csv,
    n_axes: usize,
    held: Option<&[String]>,
) -> Option<Vec<(f64, &'a csv::StringRecord)>> {
    let first = t.rows.first().filter(|_| n_axes > 0)?;
    let at = |i: usize| {
        held.and_then(|h| h.get(i))
            .map_or(&first[i], String::as_str)
    };
    let rows: Option<Vec<(f64, &csv::StringRecord)>> = t
        .rows
        .iter()
        .filter(|r| (1..n_axes).all(|i| &r[i] == at(i)))
        .map(|r| r[0].parse::<f64>().ok().map(|x| (x, r)))
        .collect();
    Some(rows?.into_iter().filter(|(x, _)| x.is_finite()).collect())
}

/// Curves per model for `metric` from a sweep.csv (other fields at `held`, see
/// [`along`]), and the first axis name; None when the first axis is not numeric.
fn curves(t: &Csv, metric: &str, held: Option<&[String]>) -> Result<Option<Curves>, String> {
    let (cm, cmet, cmean, clo, chi) = (
        t.col("model")?,
        t.col("metric")?,
        t.col("mean")?,
        t.col("ci_low")?,
        t.col("ci_high")?,
    );
    let Some(rows) = along(t, cm, held) else {
        return Ok(None);
    };
    let mut out: Vec<(String, Curve)> = Vec::new();
    for (x, rec) in rows.into_iter().filter(|(_, r)| &r[cmet] == metric) {
        let f = |i: usize| t.f(rec, i);
        let model = t.s(rec, cm);
        match out.iter_mut().find(|(m, _)| *m == model) {
            Some((_, c)) => c.push((x, f(cmean), f(clo), f(chi))),
            None => out.push((model, vec![(x, f(cmean), f(clo), f(chi))])),
        }
    }
    for (_, c) in &mut out {
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(Some((t.header[0].clone(), out)))
}

/// The point to mark as best: which curve, which point of it.
type Mark = Option<(usize, usize)>;

#[allow(clippy::too_many_arguments)]
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    axis: (&str, &str),
    curves: &[(String, Curve)],
    labels: &[String],
    fmt: &dyn Fn(f64) -> String,
    lang: Lang,
    best: Mark,
) -> Result<(), String> {
    let area = titled(root, title)?;
    let (plot, foot) = with_legend_strip(&area);
    let pts = curves.iter().flat_map(|(_, c)| c.iter());
    // Zero is always in the y range, so a sign change (the zero line) is never off-chart.
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0.0f64);
    for &(x, m, lo, hi) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        for v in [m, lo, hi].into_iter().filter(|v| v.is_finite()) {
            y0 = y0.min(v);
            y1 = y1.max(v);
        }
    }
    // An empty or one-point axis still needs a finite, non-empty range.
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    } else if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let pad = (y1 - y0).abs().max(1e-9) * 0.08;
    // A little room either side, so the first and last points are drawn whole.
    let xpad = (x1 - x0) * 0.03;
    let (x0, x1) = (x0 - xpad, x1 + xpad);
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, (y0 - if y0 < 0.0 { pad } else { 0.0 })..(y1 + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(axis.1)
        .x_label_formatter(&|x| style::parameter(lang, axis.0, *x))
        .y_label_formatter(&|y| fmt(*y))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    if y0 < 0.0 {
        // Zero marks where a difference changes sign.
        chart
            .draw_series(LineSeries::new(
                [(x0, 0.0), (x1, 0.0)],
                BLACK.stroke_width(1),
            ))
            .map_err(err)?;
    }
    for (i, (_, c)) in curves.iter().enumerate() {
        let col = colour(i);
        let mut band: Vec<(f64, f64)> = c.iter().map(|p| (p.0, p.3)).collect();
        band.extend(c.iter().rev().map(|p| (p.0, p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, col.mix(0.2).filled())))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                c.iter().map(|p| (p.0, p.1)),
                col.stroke_width(3),
            ))
            .map_err(err)?;
        chart
            .draw_series(c.iter().map(|p| Circle::new((p.0, p.1), 4, col.filled())))
            .map_err(err)?;
    }
    // The best point: a black ring, named above it.
    if let Some(&(x, y, _, _)) = best.and_then(|(i, j)| curves.get(i)?.1.get(j)) {
        chart
            .draw_series([Circle::new((x, y), 9, BLACK.stroke_width(2))])
            .map_err(err)?;
        let font = ("sans-serif", LABEL)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series([
                EmptyElement::at((x, y)) + Text::new(lang.t("sweep_best_mark"), (0, -14), font)
            ])
            .map_err(err)?;
    }
    legend(&foot, labels)?;
    root.present().map_err(err)
}

/// Writes the sweep charts of run folder `dir` (from its sweep.csv, sweep_choice.csv
/// and scenario.toml) into `charts/` (`charts/fr/` in French); returns the files
/// written. Charts along the first swept field hold the others at the best point's
/// values (sweep_choice.csv), or at their first value without one. Nothing is drawn
/// along a first field that is not numeric.
pub fn render_all(dir: &Path, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let (scenario, summaries, comparisons, names) = load(dir)?;
    let choice = match (names.first(), names.get(1)) {
        (Some(base), Some(other)) => Choice::read(dir, &other.0, &base.0)?,
        _ => None,
    };
    let held = choice.as_ref().map(Choice::best_values);
    let mut files = render_heatmap(dir, &scenario, &comparisons, langs, &names, choice.as_ref())?;
    for metric in metrics() {
        let Some((axis, curves)) = curves(&summaries, metric.name(), held)? else {
            return Ok(files);
        };
        let n_axes = summaries.col("model")?;
        for &lang in langs {
            let labels: Vec<String> = curves
                .iter()
                .map(|(m, _)| {
                    scenario
                        .models
                        .iter()
                        .find(|x| &x.name == m)
                        .map_or_else(|| m.clone(), |x| x.label.get(lang).to_string())
                })
                .collect();
            let out = dir.join(crate::report::chart_dir(lang));
            std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            let along = along_text(&summaries, n_axes, held, &scenario, lang);
            let axis_label = lang.field_in(&axis, Some(&scenario));
            let title = lang.msg(
                "t_sweep",
                &[("metric", lang.metric(metric)), ("field", &along)],
            );
            let fmt = |x: f64| match metric.kind() {
                Unit::Share => percent(lang, x, 0),
                Unit::Dollars => money(lang, x),
                Unit::Months | Unit::Count | Unit::Index | Unit::Ratio => number(lang, x, 0),
            };
            let stem = stem(metric);
            files.extend(png_and_svg!(out, stem, SIZE, &title, |root| draw(
                &root,
                &title,
                (&axis, &axis_label),
                &curves,
                &labels,
                &fmt,
                lang,
                None
            )));
        }
    }
    files.extend(render_difference(
        dir,
        &scenario,
        &comparisons,
        langs,
        &names,
        choice.as_ref(),
    )?);
    Ok(files)
}

/// A sweep folder's resolved scenario, `sweep.csv`, `sweep_comparison.csv`, and the
/// models (name, label) in report order: the strongest baseline first and the best
/// challenger second (data.rs).
#[allow(clippy::type_complexity)]
fn load(
    dir: &Path,
) -> Result<
    (
        crate::model::Scenario,
        Csv,
        Csv,
        Vec<(String, ScenarioText)>,
    ),
    String,
> {
    let resolved = dir.join("scenario.toml");
    let text =
        std::fs::read_to_string(&resolved).map_err(|e| format!("{}: {e}", resolved.display()))?;
    let scenario = crate::scenario::load_text(&resolved.display().to_string(), &text, None, &[])
        .map_err(|e| e.to_string())?
        .scenario;
    // Each table is read once for all the charts drawn from it.
    let (summaries, comparisons) = (
        Csv::read(dir, "sweep.csv")?,
        Csv::read(dir, "sweep_comparison.csv")?,
    );
    // The strongest baseline first and the best challenger second (data.rs).
    let names: Vec<(String, ScenarioText)> =
        crate::report::data::sweep_order(&summaries, &scenario)?
            .into_iter()
            .map(|i| {
                (
                    scenario.models[i].name.clone(),
                    scenario.models[i].label.clone(),
                )
            })
            .collect();
    Ok((scenario, summaries, comparisons, names))
}

/// `axis`, followed, when the table has other swept fields (columns `1..n_axes`), by
/// the values they are held at along it (`held`, or the first row's): "hurdle at
/// fund.budget = $50M".
fn along_text(
    t: &Csv,
    n_axes: usize,
    held: Option<&[String]>,
    s: &crate::model::Scenario,
    lang: Lang,
) -> String {
    let axes = &t.header[..n_axes];
    let first: Vec<String> = t
        .rows
        .first()
        .map(|r| (0..n_axes).map(|i| r[i].to_string()).collect())
        .unwrap_or_default();
    let values = held.unwrap_or(&first);
    let field = lang.field_in(&axes[0], Some(s));
    match (values.len() == n_axes)
        .then(|| choice::held_text(axes, values, s, lang))
        .flatten()
    {
        Some(h) => format!("{field} {}", lang.msg("sweep_at", &[("held", &h)])),
        None => field,
    }
}

/// `s` with its first letter in capitals (a clause that starts a sentence).
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// The challenger's paired net-value difference against the baseline along the first
/// swept field (other fields at `held`, see [`along`]), from sweep_comparison.csv; None
/// when that field is not numeric.
fn difference(
    t: &Csv,
    baseline: &str,
    challenger: &str,
    held: Option<&[String]>,
) -> Result<Option<Curves>, String> {
    let (ca, cb, cm) = (t.col("model_a")?, t.col("model_b")?, t.col("metric")?);
    let (cd, clo, chi) = (t.col("mean_diff")?, t.col("ci_low")?, t.col("ci_high")?);
    let Some(rows) = along(t, ca, held) else {
        return Ok(None);
    };
    let mut curve: Curve = rows
        .into_iter()
        .filter(|(_, r)| {
            &r[cm] == Metric::NetValue.name() && &r[ca] == challenger && &r[cb] == baseline
        })
        .map(|(x, r)| (x, t.f(r, cd), t.f(r, clo), t.f(r, chi)))
        .collect();
    curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    let name = format!("{challenger}-{baseline}");
    Ok((!curve.is_empty()).then(|| (t.header[0].clone(), vec![(name, curve)])))
}

/// Writes `charts/sweep-difference.{png,svg}` (and French): the second model's paired
/// net-value difference against the first along the first swept field, with its 95% CI,
/// the other fields at the best point's values; the title says which point to choose
/// (sweep_choice.csv). Chance common to both models cancels in a paired difference, so
/// this is the chart that says where along the sweep the challenger gains most.
fn render_difference(
    dir: &Path,
    scenario: &crate::model::Scenario,
    comparisons: &Csv,
    langs: &[Lang],
    labels: &[(String, ScenarioText)],
    choice: Option<&Choice>,
) -> Result<Vec<PathBuf>, String> {
    let (Some(base), Some(other)) = (labels.first(), labels.get(1)) else {
        return Ok(Vec::new());
    };
    let held = choice.map(Choice::best_values);
    let Some((axis, curve)) = difference(comparisons, &base.0, &other.0, held)? else {
        return Ok(Vec::new());
    };
    // The best point is on this curve: it is drawn through the best point's values.
    let best_x = held.and_then(|v| v[0].parse::<f64>().ok());
    let mark = best_x
        .and_then(|x| curve[0].1.iter().position(|p| p.0 == x))
        .map(|j| (0, j));
    let mut files = Vec::new();
    for &lang in langs {
        let out = dir.join(crate::report::chart_dir(lang));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let (other_label, base_label) = (other.1.get(lang), base.1.get(lang));
        let n_axes = comparisons.col("model_a")?;
        let along = along_text(comparisons, n_axes, held, scenario, lang);
        let axis_label = lang.field_in(&axis, Some(scenario));
        let mut title = lang.msg(
            "t_sweep_difference",
            &[
                ("challenger", other_label),
                ("baseline", base_label),
                ("field", &along),
            ],
        );
        if let Some(c) = choice {
            title = format!(
                "{title}. {}",
                capitalised(&c.short_sentence(scenario, lang))
            );
        }
        let label = vec![lang.msg(
            "difference",
            &[("challenger", other_label), ("baseline", base_label)],
        )];
        let fmt = |x: f64| money(lang, x);
        files.extend(png_and_svg!(
            out,
            "sweep-difference",
            SIZE,
            &title,
            |root| draw(
                &root,
                &title,
                (&axis, &axis_label),
                &curve,
                &label,
                &fmt,
                lang,
                mark
            )
        ));
    }
    Ok(files)
}

/// A two-field grid of the challenger's paired net-value difference against the
/// baseline, read from sweep_comparison.csv: field names, their values in order, and
/// the mean difference per cell, by [y][x].
struct Grid {
    x_name: String,
    y_name: String,
    xs: Vec<String>,
    ys: Vec<String>,
    cells: Vec<Vec<f64>>,
}

fn grid(t: &Csv, baseline: &str, challenger: &str) -> Result<Option<Grid>, String> {
    if t.header.get(2).map(String::as_str) != Some("model_a") {
        return Ok(None); // not a two-field grid
    }
    let (ca, cb, cm, cd) = (
        t.col("model_a")?,
        t.col("model_b")?,
        t.col("metric")?,
        t.col("mean_diff")?,
    );
    let mut g = Grid {
        x_name: t.header[0].clone(),
        y_name: t.header[1].clone(),
        xs: Vec::new(),
        ys: Vec::new(),
        cells: Vec::new(),
    };
    let mut values = Vec::new();
    for rec in &t.rows {
        if &rec[ca] != challenger || &rec[cb] != baseline || &rec[cm] != Metric::NetValue.name() {
            continue;
        }
        let (x, y) = (rec[0].to_string(), rec[1].to_string());
        if !g.xs.contains(&x) {
            g.xs.push(x.clone());
        }
        if !g.ys.contains(&y) {
            g.ys.push(y.clone());
        }
        values.push((x, y, t.f(rec, cd)));
    }
    g.cells = vec![vec![f64::NAN; g.xs.len()]; g.ys.len()];
    for (x, y, v) in values {
        let (i, j) = (
            g.xs.iter().position(|a| *a == x).unwrap_or(0),
            g.ys.iter().position(|b| *b == y).unwrap_or(0),
        );
        g.cells[j][i] = v;
    }
    Ok((!g.xs.is_empty()).then_some(g))
}

/// Draws grid `g`; `desc` names its fields (x, y) for people, and `best` is the cell
/// (x, y) of the best point, framed and marked.
fn draw_grid<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    g: &Grid,
    desc: (&str, &str),
    best: Option<(usize, usize)>,
    lang: Lang,
) -> Result<(), String> {
    let area = titled(root, title)?;
    let (nx, ny) = (g.xs.len(), g.ys.len());
    let top = g
        .cells
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-9);
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5f64..(nx as f64 - 0.5), -0.5f64..(ny as f64 - 0.5))
        .map_err(err)?;
    let name = |names: &[String], field: &str, v: f64| {
        let i = v.round();
        if (v - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        names
            .get(i as usize)
            .map_or_else(String::new, |v| style::parameter_text(lang, field, v))
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx)
        .y_labels(ny)
        .x_desc(desc.0)
        .y_desc(desc.1)
        .x_label_formatter(&|x| name(&g.xs, &g.x_name, *x))
        .y_label_formatter(&|y| name(&g.ys, &g.y_name, *y))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    for (j, row) in g.cells.iter().enumerate() {
        for (i, &v) in row.iter().enumerate() {
            // Blue where the challenger gains, vermillion where it loses, white at zero.
            let t = if v.is_finite() {
                (v / top).clamp(-1.0, 1.0)
            } else {
                0.0
            };
            let base = if t >= 0.0 { colour(0) } else { colour(3) };
            let (x, y) = (i as f64, j as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    base.mix(0.1 + 0.8 * t.abs()).filled(),
                )))
                .map_err(err)?;
            // Centred in its cell; white on the darker cells so it stays readable.
            let ink = if t.abs() > 0.5 { WHITE } else { BLACK };
            let font = ("sans-serif", LABEL + 1)
                .into_font()
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(money(lang, v), (x, y), font)))
                .map_err(err)?;
        }
    }
    if let Some((i, j)) = best {
        let (x, y) = (i as f64, j as f64);
        let inset = 0.03;
        chart
            .draw_series([Rectangle::new(
                [
                    (x - 0.5 + inset, y - 0.5 + inset),
                    (x + 0.5 - inset, y + 0.5 - inset),
                ],
                BLACK.stroke_width(3),
            )])
            .map_err(err)?;
        let font = ("sans-serif", LABEL)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        chart
            .draw_series([EmptyElement::at((x, y + 0.5 - inset))
                + Text::new(lang.t("sweep_best_mark"), (0, 6), font)])
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// Writes `charts/sweep-heatmap.{png,svg}` (and French) for a two-field grid: the
/// challenger's paired net-value difference against the baseline at every point, the
/// best point (sweep_choice.csv) framed.
fn render_heatmap(
    dir: &Path,
    scenario: &crate::model::Scenario,
    comparisons: &Csv,
    langs: &[Lang],
    labels: &[(String, ScenarioText)],
    choice: Option<&Choice>,
) -> Result<Vec<PathBuf>, String> {
    let (Some(base), Some(other)) = (labels.first(), labels.get(1)) else {
        return Ok(Vec::new());
    };
    let Some(g) = grid(comparisons, &base.0, &other.0)? else {
        return Ok(Vec::new());
    };
    let best = choice.and_then(|c| {
        let v = c.best_values();
        let i = g.xs.iter().position(|x| *x == v[0])?;
        let j = g.ys.iter().position(|y| *y == v[1])?;
        Some((i, j))
    });
    let mut files = Vec::new();
    for &lang in langs {
        let out = dir.join(crate::report::chart_dir(lang));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let title = lang.msg(
            "t_heatmap",
            &[
                ("challenger", other.1.get(lang)),
                ("baseline", base.1.get(lang)),
            ],
        );
        let desc = (
            lang.field_in(&g.x_name, Some(scenario)),
            lang.field_in(&g.y_name, Some(scenario)),
        );
        files.extend(png_and_svg!(out, "sweep-heatmap", SIZE, &title, |root| {
            draw_grid(&root, &title, &g, (&desc.0, &desc.1), best, lang)
        }));
    }
    Ok(files)
}
