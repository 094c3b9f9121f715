//! Sobol chart of a global sensitivity study: for each uncertain assumption (largest
//! total-order index first), its share of the variance of the paired difference on its
//! own (first order) and with its interactions (total order), each with its 95%
//! bootstrap interval. The tornado stays the one-at-a-time view.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::tornado::{LABEL_CHARS, label_lines, pick};
use super::{err, legend, png_and_svg, titled, with_legend_strip};
use crate::metrics::Metric;
use crate::report::i18n::Lang;
use crate::report::style::{self, LABEL, colour, percent};

/// Most assumptions drawn (sobol.csv has them all).
pub const MAX_BARS: usize = 15;

/// A share of variance with its interval (NaN when undefined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    /// Point estimate (0.4 = 40% of the variance).
    pub estimate: f64,
    /// Lower end of the 95% bootstrap interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Share {
    /// A share and its interval.
    pub fn new(estimate: f64, low: f64, high: f64) -> Share {
        Share {
            estimate,
            low,
            high,
        }
    }
}

/// The chart's data.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Metric whose difference is split.
    pub metric: Metric,
    /// Model labels, in English and French.
    pub baseline: [String; 2],
    pub challenger: [String; 2],
    /// Per assumption, largest total order first: its label (English, French), first-
    /// and total-order shares.
    pub bars: Vec<([String; 2], Share, Share)>,
}

fn title(c: &Chart, lang: Lang) -> String {
    lang.msg(
        "t_sobol",
        &[
            ("metric", lang.metric(c.metric)),
            ("challenger", pick(&c.challenger, lang)),
            ("baseline", pick(&c.baseline, lang)),
        ],
    )
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &Chart,
    lang: Lang,
) -> Result<(), String> {
    let area = titled(root, &title(c, lang))?;
    let (plot, foot) = with_legend_strip(&area);
    let bars = &c.bars[..c.bars.len().min(MAX_BARS)];
    let k = bars.len().max(1) as f64;
    // Shares run from 0 to 1; noise can put an estimate or an interval end a little
    // below 0 or above 1, and the axis follows it.
    let ends = bars
        .iter()
        .flat_map(|(_, f, t)| [f.low, f.high, f.estimate, t.low, t.high, t.estimate])
        .filter(|x| x.is_finite());
    let (lo, hi) = ends.fold((0.0f64, 0.1f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (x0, x1) = (lo.max(-0.25), (hi * 1.08).min(1.25));
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        // Room between the labels (right-aligned at x = 332) and the plot, whose
        // intervals may reach its left edge.
        .margin_left(352)
        .x_label_area_size(64)
        .y_label_area_size(0)
        .build_cartesian_2d(x0..x1, 0.0..k)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(6)
        .x_label_formatter(&|x| percent(lang, *x, 0))
        .x_desc(lang.t("x_sobol"))
        .label_style(("sans-serif", LABEL - 1))
        .draw()
        .map_err(err)?;
    for (i, (label, first, total)) in bars.iter().enumerate() {
        let y = k - 1.0 - i as f64 + 0.5;
        for (j, (s, dy)) in [(first, 0.17), (total, -0.17)].into_iter().enumerate() {
            let yc = y + dy;
            if s.estimate.is_finite() {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, yc - 0.14), (s.estimate, yc + 0.14)],
                        colour(j).mix(0.85).filled(),
                    )))
                    .map_err(err)?;
            }
            if s.low.is_finite() && s.high.is_finite() {
                let whisker = BLACK.stroke_width(2);
                chart
                    .draw_series([
                        PathElement::new(vec![(s.low, yc), (s.high, yc)], whisker),
                        PathElement::new(vec![(s.low, yc - 0.08), (s.low, yc + 0.08)], whisker),
                        PathElement::new(vec![(s.high, yc - 0.08), (s.high, yc + 0.08)], whisker),
                    ])
                    .map_err(err)?;
            }
        }
        // The assumption's name on the left, outside the plot, on two lines if long.
        let (_, py) = chart.backend_coord(&(x0, y));
        let lines = label_lines(pick(label, lang), LABEL_CHARS);
        let step = 16;
        let top = py - step * (lines.len() as i32 - 1) / 2;
        for (n, line) in lines.into_iter().enumerate() {
            root.draw(&Text::new(
                line,
                (332, top + step * n as i32),
                ("sans-serif", LABEL - 1)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    legend(
        &foot,
        &[
            lang.t("sobol_first").to_string(),
            lang.t("sobol_total").to_string(),
        ],
    )
}

/// Height that fits `n` assumptions.
fn size(n: usize) -> (u32, u32) {
    (1100, 200 + 48 * n.clamp(3, MAX_BARS) as u32)
}

/// Writes `sobol.png` and `sobol.svg` under `charts/` (`charts/fr/` in French) of
/// `dir`; returns the files written.
pub fn render(dir: &Path, c: &Chart, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let dims = size(c.bars.len());
    let mut files = Vec::new();
    for &lang in langs {
        let out = dir.join(crate::report::chart_dir(lang));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let title = title(c, lang);
        files.extend(png_and_svg!(out, "sobol", dims, &title, |root| draw(
            &root, c, lang
        )));
    }
    Ok(files)
}
