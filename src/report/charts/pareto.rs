//! Pareto charts of an optimise folder: for every rule searched, at the last search
//! rung it reached, the objective against one constraint's figure, so a reader sees
//! what meeting the constraint costs. Rules that meet every constraint are filled,
//! the others hollow and grey; the scenario's own rule is a triangle, the recommended
//! rule is ringed, and the constraint's limit is a dashed line. One chart per
//! constraint; with none, one chart of the objective against the first lever (or the
//! search rung when that lever is not a number).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::tornado::pick;
use super::{err, png_and_svg, titled, with_legend_strip};
use crate::metrics::{Metric, Unit};
use crate::report::i18n::Lang;
use crate::report::style::{self, LABEL, colour};

/// Logical size of each chart, pixels (room under the plot for the legend strip).
const DIMS: (u32, u32) = (1000, 600);

/// Rules that break a constraint: grey, so the eye goes to the ones that do not.
const GREY: RGBColor = RGBColor(150, 150, 150);

/// The limit line and its label.
const LIMIT: RGBColor = RGBColor(90, 90, 90);

/// How the values on an axis (and in the report's tables) are written.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// A metric's mean, in the metric's unit.
    Metric(Metric),
    /// A share of funds (0.1 = 10%).
    Share,
    /// Dollars.
    Money,
    /// A scenario field's value (a lever), as the field reads (money for dollar fields).
    Field(String),
    /// A whole number (a search rung); other ticks stay blank.
    Whole,
}

impl Scale {
    /// The scale of constraint figure `key`: a metric's mean in its unit, a share of
    /// funds (`loss_probability`, `worse_than_baseline`), or money (`net_value_p5`);
    /// a key this version does not know is written as a plain number.
    pub fn of_figure(key: &str) -> Scale {
        match (Metric::from_name(key), key) {
            (Some(m), _) => Scale::Metric(m),
            (None, "loss_probability" | "worse_than_baseline") => Scale::Share,
            (None, "net_value_p5") => Scale::Money,
            (None, _) => Scale::Field(key.to_string()),
        }
    }

    /// Whether values are shares (written as percentages, gaps in points).
    fn shares(&self) -> bool {
        match self {
            Scale::Share => true,
            Scale::Metric(m) => m.kind() == Unit::Share,
            _ => false,
        }
    }

    /// Value `x` as people read it: `25%`, `22.5%`, `$1.2M`, `1.4`.
    pub fn text(&self, lang: Lang, x: f64) -> String {
        if self.shares() {
            // Whole percentages without a decimal: a limit of 25% reads "25%".
            let tenths = (x * 1000.0).round();
            let digits = if tenths % 10.0 == 0.0 { 0 } else { 1 };
            return style::percent(lang, x, digits);
        }
        match self {
            Scale::Metric(m) => style::value(lang, *m, x),
            Scale::Money => style::money(lang, x),
            Scale::Field(path) => style::parameter(lang, path, x),
            Scale::Whole if x.is_finite() && (x - x.round()).abs() < 1e-9 => {
                style::number(lang, x, 0)
            }
            Scale::Share | Scale::Whole => String::new(),
        }
    }

    /// A signed distance in these units, shares in percentage points: `+2.5 pts`,
    /// `-$120k`, `+0.3`.
    pub fn gap(&self, lang: Lang, x: f64) -> String {
        if !x.is_finite() {
            return "–".into();
        }
        if self.shares() {
            let pts = match lang {
                Lang::En => " pts",
                Lang::Fr => "\u{a0}pts",
            };
            return format!("{}{pts}", style::signed_number(lang, 100.0 * x, 1));
        }
        let text = match self {
            Scale::Metric(m) => return style::diff(lang, *m, x),
            Scale::Whole => style::number(lang, x, 1),
            _ => self.text(lang, x),
        };
        if x > 0.0 { format!("+{text}") } else { text }
    }

    /// A distance without its sign (a regret, how far an estimate moved): `2.5 pts`.
    pub fn amount(&self, lang: Lang, x: f64) -> String {
        self.gap(lang, x.abs()).trim_start_matches('+').to_string()
    }
}

/// One rule searched, at the last search rung it reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Candidate id (0 is the scenario's own rule).
    pub candidate: u64,
    /// Horizontal value: the constraint's figure, the first lever, or the rung.
    pub x: f64,
    /// The objective's mean.
    pub y: f64,
    /// Whether the rule met every constraint there.
    pub feasible: bool,
}

/// One chart: its file stem, words (English, French) and points.
#[derive(Debug, Clone)]
pub struct Panel {
    /// File stem (`pareto_1`, ..., or `pareto` without constraints).
    pub stem: String,
    /// Title, English and French.
    pub title: [String; 2],
    /// Horizontal axis label, English and French.
    pub x_label: [String; 2],
    /// How the horizontal values are written.
    pub x_scale: Scale,
    /// The constraint's limit, drawn as a dashed vertical line.
    pub limit: Option<f64>,
    /// Every rule searched.
    pub points: Vec<Point>,
}

/// The charts' data.
#[derive(Debug, Clone)]
pub struct Chart {
    /// How the objective is written.
    pub y_scale: Scale,
    /// Vertical axis label, English and French.
    pub y_label: [String; 2],
    /// The scenario's own rule (candidate id).
    pub own: u64,
    /// The recommended rule (candidate id).
    pub chosen: u64,
    /// Whether any rule met every constraint (else the chosen rule is the closest).
    pub feasible_found: bool,
    /// Whether the study had constraints (else every rule is simply "a rule searched").
    pub constrained: bool,
    /// One chart per constraint, or one without constraints.
    pub panels: Vec<Panel>,
}

/// What a legend entry shows.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Feasible,
    Infeasible,
    Own,
    Chosen,
    Limit,
}

/// A fixed sideways offset per candidate on a rung axis, so rules at the same rung
/// do not hide one another (the same for a candidate in every language and file).
fn jitter(candidate: u64) -> f64 {
    let k = candidate.wrapping_mul(2_654_435_761) % 1000;
    (k as f64 / 999.0 - 0.5) * 0.5
}

/// The axis range around `values`, padded by `pad` of its width (a single value gets
/// a small range around it).
fn span(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let d = if hi > lo {
        (hi - lo) * pad
    } else {
        lo.abs().max(1.0) * 0.05
    };
    (lo - d, hi + d)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Chart,
    p: &Panel,
    lang: Lang,
) -> Result<(), String> {
    let area = titled(root, pick(&p.title, lang))?;
    let (plot, foot) = with_legend_strip(&area);
    let whole = p.x_scale == Scale::Whole;
    let pts: Vec<(f64, f64, &Point)> = p
        .points
        .iter()
        .filter(|q| q.x.is_finite() && q.y.is_finite())
        .map(|q| {
            let x = if whole {
                q.x + jitter(q.candidate)
            } else {
                q.x
            };
            (x, q.y, q)
        })
        .collect();
    let (x0, x1) = if whole {
        let (lo, hi) = span(pts.iter().map(|q| q.2.x), 0.0);
        (lo.round() - 0.5, hi.round() + 0.5)
    } else {
        // The limit is always on the axis: which side of it a rule falls is the point.
        span(pts.iter().map(|q| q.0).chain(p.limit), 0.08)
    };
    // More room on top, for the recommended rule's label.
    let (y0, y1) = span(pts.iter().map(|q| q.1), 0.12);
    let ys = &c.y_scale;
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(32)
        .x_label_area_size(60)
        .y_label_area_size(100)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let x_ticks = if whole {
        ((x1 - x0).round() as usize).clamp(2, 12)
    } else {
        7
    };
    chart
        .configure_mesh()
        .x_labels(x_ticks)
        .y_labels(7)
        .x_label_formatter(&|x| p.x_scale.text(lang, *x))
        .y_label_formatter(&|y| ys.text(lang, *y))
        .x_desc(pick(&p.x_label, lang))
        .y_desc(pick(&c.y_label, lang))
        .label_style(("sans-serif", LABEL - 1))
        .draw()
        .map_err(err)?;
    if let Some(l) = p.limit.filter(|l| l.is_finite()) {
        chart
            .draw_series(DashedLineSeries::new(
                [(l, y0), (l, y1)],
                8,
                5,
                LIMIT.stroke_width(2),
            ))
            .map_err(err)?;
        // Labelled at the top, on the side with more room.
        let (lx, ly) = chart.backend_coord(&(l, y1));
        let right = l > (x0 + x1) / 2.0;
        root.draw(&Text::new(
            lang.msg("optimise_limit", &[("value", &p.x_scale.text(lang, l))]),
            (if right { lx - 6 } else { lx + 6 }, ly + 6),
            ("sans-serif", LABEL - 1)
                .into_font()
                .color(&LIMIT)
                .pos(Pos::new(
                    if right { HPos::Right } else { HPos::Left },
                    VPos::Top,
                )),
        ))
        .map_err(err)?;
    }
    let own = |q: &Point| q.candidate == c.own;
    // Rules that break a constraint first, underneath the others.
    chart
        .draw_series(
            pts.iter()
                .filter(|q| !q.2.feasible && !own(q.2))
                .map(|q| Circle::new((q.0, q.1), 5, GREY.stroke_width(2))),
        )
        .map_err(err)?;
    chart
        .draw_series(
            pts.iter()
                .filter(|q| q.2.feasible && !own(q.2))
                .map(|q| Circle::new((q.0, q.1), 5, colour(0).filled())),
        )
        .map_err(err)?;
    chart
        .draw_series(
            pts.iter()
                .filter(|q| own(q.2))
                .map(|q| TriangleMarker::new((q.0, q.1), 9, colour(1).filled())),
        )
        .map_err(err)?;
    let chosen_key = if c.feasible_found {
        "optimise_mark_chosen"
    } else {
        "optimise_mark_closest"
    };
    if let Some(q) = pts.iter().find(|q| q.2.candidate == c.chosen) {
        chart
            .draw_series([Circle::new((q.0, q.1), 11, BLACK.stroke_width(2))])
            .map_err(err)?;
        let font = ("sans-serif", LABEL)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series([EmptyElement::at((q.0, q.1))
                + Text::new(lang.t(chosen_key).to_string(), (0, -15), font)])
            .map_err(err)?;
    }
    let mut entries: Vec<(Mark, &str)> = if c.constrained {
        vec![
            (Mark::Feasible, lang.t("optimise_mark_feasible")),
            (Mark::Infeasible, lang.t("optimise_mark_infeasible")),
        ]
    } else {
        vec![(Mark::Feasible, lang.t("optimise_mark_rule"))]
    };
    entries.push((Mark::Own, lang.t("optimise_mark_own")));
    entries.push((Mark::Chosen, lang.t(chosen_key)));
    if p.limit.is_some() {
        entries.push((Mark::Limit, lang.t("optimise_mark_limit")));
    }
    key(&foot, &entries)
}

/// The legend strip: each marker as the chart draws it, then its words; a smaller font
/// when one row at the usual size would run off the chart.
fn key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Mark, &str)],
) -> Result<(), String> {
    let width = area.dim_in_pixel().0 as i32;
    let entry = |size: u32, label: &str| -> i32 {
        let font = ("sans-serif", size).into_font();
        let text = area
            .estimate_text_size(label, &font.into())
            .map_or(label.chars().count() as u32 * size / 2, |(w, _)| w);
        26 + text as i32 + 22
    };
    let one_row: i32 = 20 + entries.iter().map(|(_, l)| entry(LABEL, l)).sum::<i32>();
    let size = if one_row <= width { LABEL } else { LABEL - 3 };
    let (mut x, y) = (20, 18);
    for &(mark, label) in entries {
        let cx = x + 9;
        let drawn = match mark {
            Mark::Feasible => area.draw(&Circle::new((cx, y), 5, colour(0).filled())),
            Mark::Infeasible => area.draw(&Circle::new((cx, y), 5, GREY.stroke_width(2))),
            Mark::Own => area.draw(&TriangleMarker::new((cx, y), 8, colour(1).filled())),
            Mark::Chosen => area.draw(&Circle::new((cx, y), 9, BLACK.stroke_width(2))),
            Mark::Limit => {
                let dash = LIMIT.stroke_width(2);
                area.draw(&PathElement::new(vec![(cx, y - 9), (cx, y - 3)], dash))
                    .map_err(err)?;
                area.draw(&PathElement::new(vec![(cx, y + 3), (cx, y + 9)], dash))
            }
        };
        drawn.map_err(err)?;
        area.draw(&Text::new(
            label.to_string(),
            (x + 26, y),
            ("sans-serif", size)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        x += entry(size, label);
    }
    Ok(())
}

/// Writes every panel as `<stem>.png` and `<stem>.svg` under `charts/` (`charts/fr/`
/// in French) of `dir`; returns the files written.
pub fn render(dir: &Path, c: &Chart, langs: &[Lang]) -> Result<Vec<PathBuf>, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let mut files = Vec::new();
    for &lang in langs {
        let out = dir.join(crate::report::chart_dir(lang));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        for p in &c.panels {
            let title = pick(&p.title, lang).to_string();
            files.extend(png_and_svg!(out, p.stem, DIMS, &title, |root| draw(
                &root, c, p, lang
            )));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_in_their_units() {
        let share = Scale::of_figure("waste_share");
        assert_eq!(share.text(Lang::En, 0.25), "25%");
        assert_eq!(share.text(Lang::Fr, 0.225), "22,5\u{a0}%");
        assert_eq!(share.gap(Lang::En, 0.031), "+3.1 pts");
        assert_eq!(share.amount(Lang::En, -0.031), "3.1 pts");
        assert_eq!(
            Scale::of_figure("loss_probability").text(Lang::En, 0.1),
            "10%"
        );
        assert_eq!(
            Scale::of_figure("net_value_p5").text(Lang::En, -2e6),
            "-$2M"
        );
        assert_eq!(Scale::Metric(Metric::NetValue).gap(Lang::En, 2e6), "+$2M");
        assert_eq!(Scale::Whole.text(Lang::En, 2.0), "2");
        assert_eq!(Scale::Whole.text(Lang::En, 2.5), "");
    }

    #[test]
    fn a_chart_names_its_limit_in_both_languages() {
        assert!(style::register());
        let points = (0..12)
            .map(|i| Point {
                candidate: i,
                x: 0.1 + 0.02 * i as f64,
                y: 1e6 * i as f64,
                feasible: i < 8,
            })
            .collect();
        let c = Chart {
            y_scale: Scale::Metric(Metric::NetValue),
            y_label: ["Net value".into(), "Valeur nette".into()],
            own: 0,
            chosen: 7,
            feasible_found: true,
            constrained: true,
            panels: vec![Panel {
                stem: "pareto_1".into(),
                title: [
                    "Net value against waste".into(),
                    "Valeur nette et gaspillage".into(),
                ],
                x_label: ["Waste share".into(), "Part gaspillée".into()],
                x_scale: Scale::of_figure("waste_share"),
                limit: Some(0.25),
                points,
            }],
        };
        for lang in Lang::ALL {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, DIMS).into_drawing_area();
                draw(&root, &c, &c.panels[0], lang).unwrap();
                root.present().unwrap();
            }
            let word = match lang {
                Lang::En => "limit",
                Lang::Fr => "limite",
            };
            assert!(svg.contains(word), "{svg}");
        }
    }
}
