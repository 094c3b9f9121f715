//! Tornado chart of a sensitivity run: one bar pair per parameter, sorted by swing, from
//! the difference with every parameter as in the scenario to the difference at the
//! parameter's low and high values, each end labelled with the value tried.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{err, legend, png_and_svg, titled, with_legend_strip};
use crate::metrics::Metric;
use crate::report::i18n::Lang;
use crate::report::style::{self, LABEL, colour, money, number, percent};

/// Most parameters drawn (the CSV has them all).
pub const MAX_BARS: usize = 15;

/// What the chart shows.
#[derive(Debug, Clone)]
pub struct Tornado {
    /// Metric whose difference is measured.
    pub metric: Metric,
    /// Baseline model label.
    pub baseline: String,
    /// Challenger model label.
    pub challenger: String,
    /// Difference with every parameter as in the scenario.
    pub base: f64,
    /// (parameter, low value, high value, difference at low, difference at high), by
    /// decreasing swing.
    pub rows: Vec<(String, f64, f64, f64, f64)>,
}

/// Formats values of `metric` for axis ticks.
fn metric_fmt(metric: Metric, lang: Lang) -> impl Fn(f64) -> String {
    move |x| {
        let unit = metric.unit();
        if unit.starts_with("dollars") {
            money(lang, x)
        } else if unit.starts_with("share") {
            percent(lang, x, 1)
        } else {
            number(lang, x, 2)
        }
    }
}

/// "Net value: B minus A moves most with X" (the input with the largest swing).
fn title(t: &Tornado, lang: Lang) -> String {
    let top = t.rows.first().map_or("-", |r| r.0.as_str());
    lang.msg(
        "t_tornado",
        &[
            ("metric", lang.metric(t.metric)),
            ("challenger", &t.challenger),
            ("baseline", &t.baseline),
            ("input", top),
        ],
    )
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    t: &Tornado,
    lang: Lang,
) -> Result<(), String> {
    let area = titled(root, &title(t, lang))?;
    let (plot, foot) = with_legend_strip(&area);
    let rows: Vec<_> = t.rows.iter().take(MAX_BARS).collect();
    let k = rows.len().max(1) as f64;
    let (mut x0, mut x1) = (t.base, t.base);
    for r in &rows {
        for v in [r.3, r.4].into_iter().filter(|v| v.is_finite()) {
            x0 = x0.min(v);
            x1 = x1.max(v);
        }
    }
    let pad = (x1 - x0).abs().max(1e-9 * t.base.abs().max(1.0)) * 0.16;
    let fmt = metric_fmt(t.metric, lang);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_left(330)
        .x_label_area_size(64)
        .y_label_area_size(0)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..k)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(6)
        .x_label_formatter(&|x| fmt(*x))
        .x_desc(lang.msg(
            "x_tornado",
            &[
                ("metric", lang.metric(t.metric)),
                ("challenger", &t.challenger),
                ("baseline", &t.baseline),
            ],
        ))
        .label_style(("sans-serif", LABEL - 1))
        .draw()
        .map_err(err)?;
    // Full label size: below it, the rasterised French decimal comma is hard to tell
    // from a full stop in the PNG.
    let label_font = ("sans-serif", LABEL).into_font();
    for (i, r) in rows.iter().enumerate() {
        let y = k - i as f64 - 0.5;
        for (j, (diff, value)) in [(r.3, r.1), (r.4, r.2)].into_iter().enumerate() {
            if !diff.is_finite() {
                continue;
            }
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(t.base, y - 0.32), (diff, y + 0.32)],
                    colour(j).mix(0.85).filled(),
                )))
                .map_err(err)?;
            // The value tried, just past the bar's end.
            let (px, py) = chart.backend_coord(&(diff, y));
            let right = diff >= t.base;
            let text = style::parameter(lang, &r.0, value);
            let pos = if right { px + 5 } else { px - 5 };
            let h = if right { HPos::Left } else { HPos::Right };
            root.draw(&Text::new(
                text,
                (pos, py),
                label_font
                    .clone()
                    .color(&BLACK)
                    .pos(Pos::new(h, VPos::Center)),
            ))
            .map_err(err)?;
        }
        // Parameter name on the left, outside the plot.
        let (_, py) = chart.backend_coord(&(x0 - pad, y));
        let name = if r.0.chars().count() > 44 {
            format!("…{}", &r.0[r.0.len() - 43..])
        } else {
            r.0.clone()
        };
        root.draw(&Text::new(
            name,
            (332, py),
            ("sans-serif", LABEL - 1)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(t.base, 0.0), (t.base, k)],
            BLACK.stroke_width(2),
        )))
        .map_err(err)?;
    // The difference with every parameter as in the scenario, under the axis line.
    let (px, py) = chart.backend_coord(&(t.base, 0.0));
    root.draw(&Text::new(
        lang.msg("l_base", &[("value", &fmt(t.base))]),
        (px, py + 34),
        ("sans-serif", LABEL - 2)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(err)?;
    legend(
        &foot,
        &[lang.t("l_low").to_string(), lang.t("l_high").to_string()],
    )?;
    root.present().map_err(err)
}

/// Height that fits `n` bars.
fn size(n: usize) -> (u32, u32) {
    (1100, 200 + 34 * n.clamp(3, MAX_BARS) as u32)
}

/// Writes `tornado.png` and `tornado.svg` under `charts/` (`charts/fr/` in French) of
/// `dir`; returns the files written.
pub fn render(dir: &Path, t: &Tornado, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let dims = size(t.rows.len());
    let mut files = Vec::new();
    for &lang in langs {
        let out = dir.join(crate::report::chart_dir(lang));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let title = title(t, lang);
        files.extend(png_and_svg!(out, "tornado", dims, &title, |root| draw(
            &root, t, lang
        )));
    }
    Ok(files)
}
