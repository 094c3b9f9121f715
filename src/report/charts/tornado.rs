//! Tornado chart of a sensitivity run: one bar pair per parameter, from the difference
//! with every parameter as in the scenario to the difference at the parameter's low and
//! high values, each end labelled with the value tried. Policy levers come first, then
//! uncertain assumptions, each group sorted by swing; a dashed line marks zero (a bar
//! that crosses it changes who is ahead) and a diamond on it the break-even value.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{err, legend, png_and_svg, titled, with_legend_strip};
use crate::metrics::Metric;
use crate::report::i18n::Lang;
use crate::report::style::{self, LABEL, colour, money, number, percent};
use crate::scenario::fields::Kind;

/// Most parameters drawn (the CSV has them all).
pub const MAX_BARS: usize = 15;

/// One parameter's bar pair.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Human label, in English and French.
    pub label: [String; 2],
    /// Dotted path (formats its values: money, shares...).
    pub path: String,
    /// Whether the values are a group's factor (`×1.25`).
    pub factor: bool,
    /// Policy lever or uncertain assumption.
    pub kind: Kind,
    /// Low and high values tried.
    pub values: [f64; 2],
    /// Difference at the low and high values.
    pub diffs: [f64; 2],
    /// Where the difference crosses zero, if it does within the range (the nearer to
    /// the scenario's value when it does at both ends).
    pub break_even: Option<f64>,
    /// When it crosses zero towards both ends, the crossing at the other end.
    pub other_break_even: Option<f64>,
}

impl Bar {
    fn swing(&self) -> f64 {
        (self.diffs[1] - self.diffs[0]).abs()
    }

    fn value(&self, lang: Lang, x: f64) -> String {
        let text = style::parameter(lang, &self.path, x);
        if self.factor {
            format!("×{text}")
        } else {
            text
        }
    }
}

/// What the chart shows.
#[derive(Debug, Clone)]
pub struct Tornado {
    /// Metric whose difference is measured.
    pub metric: Metric,
    /// Baseline model label, in English and French.
    pub baseline: [String; 2],
    /// Challenger model label, in English and French.
    pub challenger: [String; 2],
    /// Difference with every parameter as in the scenario.
    pub base: f64,
    /// One per parameter moved, by decreasing swing.
    pub bars: Vec<Bar>,
}

pub(super) fn pick(texts: &[String; 2], lang: Lang) -> &str {
    match lang {
        Lang::En => &texts[0],
        Lang::Fr => &texts[1],
    }
}

/// A row of the chart, top to bottom.
#[derive(Debug, Clone, Copy)]
enum Line<'a> {
    /// The heading of a group of bars.
    Heading(Kind),
    /// A bar pair.
    Bar(&'a Bar),
}

/// The rows drawn: the [`MAX_BARS`] largest swings, policy levers first, then
/// uncertain assumptions, each group under its heading and by decreasing swing.
fn layout(bars: &[Bar]) -> Vec<Line<'_>> {
    let mut top: Vec<&Bar> = bars.iter().collect();
    // Stable: ties keep the table's order.
    top.sort_by(|x, y| y.swing().total_cmp(&x.swing()));
    top.truncate(MAX_BARS);
    let mut lines = Vec::new();
    for kind in [Kind::Lever, Kind::Assumption] {
        let group: Vec<&Bar> = top.iter().copied().filter(|b| b.kind == kind).collect();
        if !group.is_empty() {
            lines.push(Line::Heading(kind));
            lines.extend(group.into_iter().map(Line::Bar));
        }
    }
    lines
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
    let top = t
        .bars
        .iter()
        .max_by(|x, y| x.swing().total_cmp(&y.swing()))
        .map_or("-", |b| pick(&b.label, lang));
    lang.msg(
        "t_tornado",
        &[
            ("metric", lang.metric(t.metric)),
            ("challenger", pick(&t.challenger, lang)),
            ("baseline", pick(&t.baseline, lang)),
            ("input", top),
        ],
    )
}

/// A diamond of half-width `r` pixels centred on `(x, y)`.
fn diamond(x: i32, y: i32, r: i32) -> Vec<(i32, i32)> {
    vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    t: &Tornado,
    lang: Lang,
) -> Result<(), String> {
    let area = titled(root, &title(t, lang))?;
    let (plot, foot) = with_legend_strip(&area);
    let lines = layout(&t.bars);
    // One more row at the top for the labels of the zero and scenario lines.
    let k = lines.len().max(1) as f64 + 1.0;
    // Zero is always on the axis: whether a bar crosses it is the point.
    let (mut x0, mut x1) = (t.base.min(0.0), t.base.max(0.0));
    for line in &lines {
        if let Line::Bar(b) = line {
            for v in b.diffs.into_iter().filter(|v| v.is_finite()) {
                x0 = x0.min(v);
                x1 = x1.max(v);
            }
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
                ("metric", &lang.metric_in_sentence(t.metric)),
                ("challenger", pick(&t.challenger, lang)),
                ("baseline", pick(&t.baseline, lang)),
            ],
        ))
        .label_style(("sans-serif", LABEL - 1))
        .draw()
        .map_err(err)?;
    // The zero line: a bar that crosses it changes who is ahead.
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, 0.0), (0.0, k - 0.15)],
            8,
            5,
            RGBColor(90, 90, 90).stroke_width(2),
        ))
        .map_err(err)?;
    let (zx, zy) = chart.backend_coord(&(0.0, k - 0.5));
    // Labels of the two vertical lines, away from each other.
    let zero_right = t.base < 0.0;
    root.draw(&Text::new(
        format!("0 = {}", lang.t("tornado_zero")),
        (if zero_right { zx + 6 } else { zx - 6 }, zy),
        ("sans-serif", LABEL - 1)
            .into_font()
            .color(&RGBColor(60, 60, 60))
            .pos(Pos::new(
                if zero_right { HPos::Left } else { HPos::Right },
                VPos::Center,
            )),
    ))
    .map_err(err)?;
    // Full label size: below it, the rasterised French decimal comma is hard to tell
    // from a full stop in the PNG.
    let label_font = ("sans-serif", LABEL).into_font();
    for (i, line) in lines.iter().enumerate() {
        let y = k - 1.0 - i as f64 - 0.5;
        let (_, py) = chart.backend_coord(&(x0 - pad, y));
        let b = match line {
            Line::Heading(kind) => {
                let key = match kind {
                    Kind::Lever => "tornado_levers",
                    Kind::Assumption => "tornado_assumptions",
                };
                root.draw(&Text::new(
                    lang.t(key).to_string(),
                    (20, py),
                    ("sans-serif", LABEL)
                        .into_font()
                        .style(FontStyle::Bold)
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
                continue;
            }
            Line::Bar(b) => b,
        };
        for j in 0..2 {
            let (diff, value) = (b.diffs[j], b.values[j]);
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
            let pos = if right { px + 5 } else { px - 5 };
            let h = if right { HPos::Left } else { HPos::Right };
            root.draw(&Text::new(
                b.value(lang, value),
                (pos, py),
                label_font
                    .clone()
                    .color(&BLACK)
                    .pos(Pos::new(h, VPos::Center)),
            ))
            .map_err(err)?;
        }
        // The break-even: where the bar crosses zero, the parameter's value there.
        if let Some(x) = b.break_even.filter(|x| x.is_finite()) {
            let (px, py) = chart.backend_coord(&(0.0, y));
            root.draw(&Polygon::new(diamond(px, py, 8), BLACK.filled()))
                .map_err(err)?;
            root.draw(&Polygon::new(diamond(px, py, 5), WHITE.filled()))
                .map_err(err)?;
            // A break-even is an estimate: three significant figures. Both, in
            // increasing order, when the answer flips towards both ends.
            let mut at = vec![x];
            at.extend(b.other_break_even.filter(|x| x.is_finite()));
            at.sort_by(f64::total_cmp);
            let shown = at
                .iter()
                .map(|&x| b.value(lang, style::rounded(x, 3)))
                .collect::<Vec<_>>()
                .join(lang.t("list_sep"));
            let text = lang.msg("tornado_mark", &[("value", &shown)]);
            let w = 8 * text.chars().count() as i32 + 8;
            // Beside the diamond, on the side of the bar's shorter half.
            let right = t.base < 0.0;
            let (x_from, x_to) = if right {
                (px + 11, px + 11 + w)
            } else {
                (px - 11 - w, px - 11)
            };
            root.draw(&Rectangle::new(
                [(x_from, py - 9), (x_to, py + 9)],
                WHITE.mix(0.9).filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                text,
                ((x_from + x_to) / 2, py),
                ("sans-serif", LABEL - 1)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(err)?;
        }
        // Parameter name on the left, outside the plot, on two lines if it is long.
        let lines = label_lines(pick(&b.label, lang), LABEL_CHARS);
        let step = 16;
        let top = py - step * (lines.len() as i32 - 1) / 2;
        for (i, line) in lines.into_iter().enumerate() {
            root.draw(&Text::new(
                line,
                (332, top + step * i as i32),
                ("sans-serif", LABEL - 1)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(t.base, 0.0), (t.base, k - 0.15)],
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
    let entries = [lang.t("l_low").to_string(), lang.t("l_high").to_string()];
    legend(&foot, &entries)?;
    // The break-even mark, after the low and high entries.
    let x = 20
        + entries
            .iter()
            .map(|l| 40 + 9 * l.chars().count() as i32)
            .sum::<i32>();
    foot.draw(&Polygon::new(diamond(x + 8, 16, 8), BLACK.filled()))
        .map_err(err)?;
    foot.draw(&Polygon::new(diamond(x + 8, 16, 5), WHITE.filled()))
        .map_err(err)?;
    let mut note = lang.t("tornado_break_even").to_string();
    let hidden = t.bars.len().saturating_sub(MAX_BARS);
    if hidden > 0 {
        note += &format!(
            "  ·  {}",
            lang.msg("tornado_more", &[("count", &hidden.to_string())])
        );
    }
    foot.draw(&Text::new(
        note,
        (x + 22, 8),
        ("sans-serif", LABEL).into_font(),
    ))
    .map_err(err)?;
    root.present().map_err(err)
}

/// Characters of a bar's label that fit on one line left of the plot.
pub(super) const LABEL_CHARS: usize = 44;

/// A bar's label on at most two lines of at most `width` characters, broken between
/// words. A label longer than two lines keeps its first line and its end (the field's
/// own name, which tells inputs of the same model apart) with an ellipsis before it.
pub(super) fn label_lines(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    let cut = |s: &str| -> String {
        if s.chars().count() <= width {
            s.to_string()
        } else {
            let tail: Vec<char> = s.chars().collect();
            let kept: String = tail[tail.len() - (width - 1)..].iter().collect();
            format!("…{kept}")
        }
    };
    match lines.len() {
        0 | 1 => vec![cut(label)],
        2 if lines.iter().all(|l| l.chars().count() <= width) => lines,
        _ => {
            let first = lines[0].chars().take(width).collect::<String>();
            let rest: String = label.chars().skip(first.chars().count()).collect();
            vec![first, cut(rest.trim_start())]
        }
    }
}

/// Height that fits `n` bars, two group headings and the row of line labels.
fn size(n: usize) -> (u32, u32) {
    (1100, 200 + 34 * (n.clamp(3, MAX_BARS) as u32 + 3))
}

/// Writes `tornado.png` and `tornado.svg` under `charts/` (`charts/fr/` in French) of
/// `dir`; returns the files written.
pub fn render(dir: &Path, t: &Tornado, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let dims = size(t.bars.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Long labels wrap instead of being cut, and labels too long for two lines keep
    /// their end: two inputs of a model with a long label stay apart.
    #[test]
    fn long_labels_wrap_and_keep_what_tells_them_apart() {
        assert_eq!(label_lines("Fund budget", 44), ["Fund budget"]);
        let two = "Stage-gated (GOV.UK phases): stage “beta”: share of the idea’s duration";
        let lines = label_lines(two, 44);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines.join(" "), two);
        assert!(lines.iter().all(|l| l.chars().count() <= 44));
        let model =
            "A stage-gated fund with discovery, alpha, beta and live phases run by many teams";
        let a = label_lines(&format!("{model}: stage “alpha”: hurdle"), 44);
        let b = label_lines(&format!("{model}: stage “beta”: hurdle"), 44);
        assert_ne!(a, b);
        assert!(
            a[1].starts_with('…') && a[1].ends_with("stage “alpha”: hurdle"),
            "{a:?}"
        );
        assert!(a.iter().chain(&b).all(|l| l.chars().count() <= 44));
        // One unbroken word longer than a line.
        let long = "x".repeat(60);
        assert_eq!(label_lines(&long, 44)[0].chars().count(), 44);
    }

    fn bar(label: &str, kind: Kind, diffs: [f64; 2], break_even: Option<f64>) -> Bar {
        Bar {
            label: [label.to_string(), format!("{label} (fr)")],
            path: "models.m.gate_review_cost".into(),
            factor: false,
            kind,
            values: [0.0, 3e6],
            diffs,
            break_even,
            other_break_even: None,
        }
    }

    fn tornado() -> Tornado {
        Tornado {
            metric: Metric::NetValue,
            baseline: ["Waterfall".into(), "En cascade".into()],
            challenger: ["Stage-gated".into(), "Par étapes".into()],
            base: 10e6,
            bars: vec![
                bar("Markup", Kind::Assumption, [9e6, 12e6], None),
                bar("Gate reviews", Kind::Lever, [11e6, -20e6], Some(413_000.0)),
                bar("Fit", Kind::Assumption, [2e6, 18e6], None),
                bar("Hurdle", Kind::Lever, [9e6, 11e6], None),
            ],
        }
    }

    #[test]
    fn levers_come_first_then_assumptions_each_by_swing() {
        let t = tornado();
        let order: Vec<String> = layout(&t.bars)
            .iter()
            .map(|l| match l {
                Line::Heading(k) => k.name().to_string(),
                Line::Bar(b) => b.label[0].clone(),
            })
            .collect();
        assert_eq!(
            order,
            [
                "lever",
                "Gate reviews",
                "Hurdle",
                "assumption",
                "Fit",
                "Markup"
            ]
        );
        // Only the largest swings are drawn, whatever their group.
        let many: Vec<Bar> = (0..20)
            .map(|i| bar("x", Kind::Assumption, [0.0, i as f64], None))
            .collect();
        let lines = layout(&many);
        assert_eq!(lines.len(), MAX_BARS + 1);
        assert!(matches!(lines[1], Line::Bar(b) if b.diffs[1] == 19.0));
    }

    #[test]
    fn the_chart_draws_a_labelled_zero_line_and_marks_the_break_even() {
        let dir = tempfile::tempdir().unwrap();
        let files = render(dir.path(), &tornado(), &[Lang::En, Lang::Fr]).unwrap();
        let svg = |lang: Lang| {
            let p = files
                .iter()
                .find(|f| {
                    f.extension().is_some_and(|e| e == "svg")
                        && f.parent()
                            .is_some_and(|d| d.ends_with("fr") == (lang == Lang::Fr))
                })
                .unwrap();
            std::fs::read_to_string(p).unwrap()
        };
        let (en, fr) = (svg(Lang::En), svg(Lang::Fr));
        // The zero line (dashed) and its label.
        assert!(en.contains("0 = no difference"), "{en}");
        assert!(fr.contains("0 = aucun écart"));
        assert!(en.contains("stroke-dasharray") || en.matches("<line").count() > 10);
        // The break-even on the bar that crosses zero, and the legend explaining it.
        assert!(en.contains("break-even $413k"), "{en}");
        assert!(en.contains("Break-even: where the answer flips"));
        assert!(fr.contains("équilibre à 413"), "{fr}");
        // Group headings and human labels, in each language.
        assert!(en.contains("Policy levers: what the fund chooses"));
        assert!(en.contains("Uncertain assumptions: what the world is"));
        assert!(fr.contains("Gate reviews (fr)"));
        assert_eq!(en.matches("break-even $").count(), 1);
    }
}
