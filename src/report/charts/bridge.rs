//! Bridge (waterfall) chart of `budgetsim explain`: from the net-value difference with
//! every mechanism off to the difference with all on, one bar per mechanism starting
//! where the previous one ended, coloured by the model it favours, with 95% CI whiskers.
//! Drawn from explain.csv, so `budgetsim report DIR` can rebuild it.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{err, png_and_svg, titled, with_legend_strip};
use crate::explain::{Part, Table};
use crate::model::Scenario;
use crate::report::i18n::Lang;
use crate::report::style::{self, LABEL, colour, money};

/// File stem of the chart.
pub const STEM: &str = "explain-bridge";

/// Colour of the all-off and full bars (neither model's colour).
const TOTAL: RGBColor = RGBColor(120, 120, 120);

/// Width of the left margin holding the row labels, pixels.
const LABELS: u32 = 380;

/// What the chart shows: explain.csv with the two models' labels and colours.
#[derive(Debug, Clone)]
pub struct Bridge {
    /// Baseline label.
    pub baseline: crate::model::Text,
    /// Challenger label.
    pub challenger: crate::model::Text,
    /// Colour index of the baseline (its model index: the colour it has everywhere).
    pub baseline_colour: usize,
    /// Colour index of the challenger.
    pub challenger_colour: usize,
    /// The rows of explain.csv.
    pub table: Table,
}

impl Bridge {
    /// The chart of `table`, with labels and colours of the models of `s`.
    pub fn new(table: &Table, s: &Scenario) -> Bridge {
        let find = |key: &str, fallback: usize| {
            s.models
                .iter()
                .position(|m| m.name == key)
                .map_or((crate::model::Text::plain(key), fallback), |i| {
                    (s.models[i].label.clone(), i)
                })
        };
        let (baseline, baseline_colour) = find(&table.baseline, 0);
        let (challenger, challenger_colour) = find(&table.challenger, 1);
        Bridge {
            baseline,
            challenger,
            baseline_colour,
            challenger_colour,
            table: table.clone(),
        }
    }

    /// The mechanism contributing most (largest |mean|), if any.
    fn top(&self) -> Option<&crate::explain::Row> {
        self.table.mechanisms().next()
    }
}

/// A signed amount of money: +$1.2M, -$350k (+1,2 M$ in French).
pub fn signed(lang: Lang, x: f64) -> String {
    if x > 0.0 {
        format!("+{}", money(lang, x))
    } else {
        money(lang, x)
    }
}

/// `text` with its first letter in lower case (a label inside a sentence).
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// The title: the two ends of the bridge and the mechanism that counts most.
pub fn title(b: &Bridge, lang: Lang) -> String {
    let mean = |p: Part| b.table.get(p).map_or(f64::NAN, |r| r.contribution);
    let (top, top_value) = b
        .top()
        .map_or(("–", f64::NAN), |r| (r.part.label(lang), r.contribution));
    lang.msg(
        "t_bridge",
        &[
            ("challenger", b.challenger.get(lang)),
            ("baseline", b.baseline.get(lang)),
            ("off", &signed(lang, mean(Part::AllOff))),
            ("full", &signed(lang, mean(Part::Full))),
            ("top", &lower_first(top)),
            ("top_value", &signed(lang, top_value)),
        ],
    )
}

/// One bar: (label, start, end, ci_low, ci_high, colour) in dollars; the whisker spans
/// the CI of the bar's end.
type Bar = (String, f64, f64, f64, f64, RGBColor);

fn bars(b: &Bridge, lang: Lang) -> Vec<Bar> {
    let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
    let sign_colour = |x: f64| {
        if x >= 0.0 {
            colour(b.challenger_colour)
        } else {
            colour(b.baseline_colour)
        }
    };
    let mut out = Vec::new();
    let mut running = 0.0;
    if let Some(r) = b.table.get(Part::AllOff) {
        running = finite(r.contribution);
        out.push((
            r.part.label(lang).to_string(),
            0.0,
            running,
            r.ci_low,
            r.ci_high,
            TOTAL,
        ));
    }
    for r in b.table.mechanisms() {
        let start = running;
        running += finite(r.contribution);
        out.push((
            r.part.label(lang).to_string(),
            start,
            running,
            start + r.ci_low,
            start + r.ci_high,
            sign_colour(r.contribution),
        ));
    }
    if let Some(r) = b.table.get(Part::Full) {
        out.push((
            r.part.label(lang).to_string(),
            0.0,
            finite(r.contribution),
            r.ci_low,
            r.ci_high,
            TOTAL,
        ));
    }
    out
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    b: &Bridge,
    lang: Lang,
) -> Result<(), String> {
    let area = titled(root, &title(b, lang))?;
    let (plot, foot) = with_legend_strip(&area);
    let rows = bars(b, lang);
    let k = rows.len().max(1) as f64;
    let (mut x0, mut x1) = (0.0f64, 0.0f64);
    for r in &rows {
        for v in [r.1, r.2, r.3, r.4].into_iter().filter(|v| v.is_finite()) {
            x0 = x0.min(v);
            x1 = x1.max(v);
        }
    }
    // Room for the amounts written past the bars' ends.
    let pad = (x1 - x0).abs().max(1.0) * 0.18;
    let fmt = |x: f64| money(lang, x);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_right(32)
        .margin_left(LABELS)
        .x_label_area_size(56)
        .y_label_area_size(0)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..k)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(7)
        .x_label_formatter(&|x| fmt(*x))
        .x_desc(lang.t("x_bridge"))
        .label_style(("sans-serif", LABEL - 1))
        .draw()
        .map_err(err)?;
    // Zero: no difference between the models.
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, k)],
            BLACK.stroke_width(2),
        )))
        .map_err(err)?;
    for (i, (label, start, end, lo, hi, c)) in rows.iter().enumerate() {
        let y = k - i as f64 - 0.5;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(*start, y - 0.32), (*end, y + 0.32)],
                c.mix(0.9).filled(),
            )))
            .map_err(err)?;
        // Connector to the next bar's start.
        if i + 1 < rows.len() {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*end, y - 0.32), (*end, y - 0.68)],
                    RGBColor(90, 90, 90).stroke_width(1),
                )))
                .map_err(err)?;
        }
        let whisker = lo.is_finite() && hi.is_finite();
        if whisker {
            chart
                .draw_series([
                    PathElement::new(vec![(*lo, y), (*hi, y)], BLACK.stroke_width(2)),
                    PathElement::new(
                        vec![(*lo, y - 0.14), (*lo, y + 0.14)],
                        BLACK.stroke_width(2),
                    ),
                    PathElement::new(
                        vec![(*hi, y - 0.14), (*hi, y + 0.14)],
                        BLACK.stroke_width(2),
                    ),
                ])
                .map_err(err)?;
        }
        // The amount, past the bar's end and its whisker.
        let amount = end - start;
        let right = amount >= 0.0;
        let edge = match (right, whisker) {
            (true, true) => end.max(*hi),
            (false, true) => end.min(*lo),
            _ => *end,
        };
        let (px, py) = chart.backend_coord(&(edge, y));
        let (pos, h) = if right {
            (px + 6, HPos::Left)
        } else {
            (px - 6, HPos::Right)
        };
        root.draw(&Text::new(
            signed(lang, amount),
            (pos, py),
            ("sans-serif", LABEL)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(h, VPos::Center)),
        ))
        .map_err(err)?;
        // Row label on the left, outside the plot.
        let (_, py) = chart.backend_coord(&(x0 - pad, y));
        let weight = if *c == TOTAL {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        root.draw(&Text::new(
            label.clone(),
            (LABELS as i32 + 2, py),
            ("sans-serif", LABEL - 1)
                .into_font()
                .style(weight)
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
    }
    // Legend: the model each colour favours, and the totals.
    let entries = [
        (
            colour(b.challenger_colour),
            lang.msg("l_favours", &[("model", b.challenger.get(lang))]),
        ),
        (
            colour(b.baseline_colour),
            lang.msg("l_favours", &[("model", b.baseline.get(lang))]),
        ),
        (TOTAL, lang.t("l_bridge_total").to_string()),
    ];
    let font = ("sans-serif", LABEL - 1).into_font();
    let mut x = 20;
    for (c, text) in entries {
        foot.draw(&Rectangle::new([(x, 8), (x + 16, 24)], c.filled()))
            .map_err(err)?;
        foot.draw(&Text::new(text.clone(), (x + 22, 8), font.clone()))
            .map_err(err)?;
        let width = foot
            .estimate_text_size(&text, &font.clone().into())
            .map_or(8 * text.chars().count() as i32, |(w, _)| w as i32);
        x += 22 + width + 28;
    }
    root.present().map_err(err)
}

/// Width and height for `n` rows.
fn size(n: usize) -> (u32, u32) {
    (1100, 190 + 40 * n.max(3) as u32)
}

/// The chart as SVG text (for the report).
pub fn svg(b: &Bridge, lang: Lang) -> Result<String, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size(b.table.rows.len())).into_drawing_area();
        draw(&root, b, lang)?;
    }
    Ok(super::accessible(&text, &title(b, lang)))
}

/// Writes `explain-bridge.png` and `.svg` under `charts/` (`charts/fr/` in French) of
/// `dir`; returns the files written.
pub fn render(dir: &Path, b: &Bridge, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let dims = size(b.table.rows.len());
    let mut files = Vec::new();
    for &lang in langs {
        let out = dir.join(crate::report::chart_dir(lang));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let title = title(b, lang);
        files.extend(png_and_svg!(out, STEM, dims, &title, |root| draw(
            &root, b, lang
        )));
    }
    Ok(files)
}
