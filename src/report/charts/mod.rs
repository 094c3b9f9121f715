//! The charts of a run, one file per chart kind, each drawn from the analysis tables
//! into any plotters backend (PNG and SVG). Titles state the finding, computed from the
//! data. Shared pieces (title band, bars with confidence intervals, box plots) live here.

pub mod bridge;
pub mod distribution;
pub mod exceedance;
pub mod funnel;
pub mod headline;
pub mod hidpi;
pub mod overrun;
pub mod paired;
pub mod pareto;
pub mod scatter;
pub mod sobol;
pub mod sweep;
pub mod timeseries;
pub mod tornado;
pub mod vendors;

use crate::metrics::Metric;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::ReportData;
use super::i18n::Lang;
use super::style::{self, LABEL, SIZE, TITLE, colour};

/// Closed set of charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Distribution of delivered value per model.
    ValueDistribution,
    /// Distribution of waste per model.
    WasteDistribution,
    /// Mean and 95% CI of the headline metrics.
    Headline,
    /// Per-portfolio paired difference in net value.
    Paired,
    /// Stage funnel per model.
    Funnel,
    /// Cumulative spend and value over time.
    TimeSeries,
    /// Vendor concentration and small-vendor share.
    Vendors,
    /// Value against waste.
    Scatter,
    /// Chance a fund does at least this well, per model.
    Exceedance,
}

impl ChartKind {
    /// All charts, in report order.
    pub const ALL: [ChartKind; 9] = [
        ChartKind::Headline,
        ChartKind::Paired,
        ChartKind::Exceedance,
        ChartKind::ValueDistribution,
        ChartKind::WasteDistribution,
        ChartKind::Scatter,
        ChartKind::Funnel,
        ChartKind::TimeSeries,
        ChartKind::Vendors,
    ];

    /// File stem.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::ValueDistribution => "value-distribution",
            ChartKind::WasteDistribution => "waste-distribution",
            ChartKind::Headline => "headline",
            ChartKind::Paired => "paired-difference",
            ChartKind::Funnel => "stage-funnel",
            ChartKind::TimeSeries => "spend-and-value-over-time",
            ChartKind::Vendors => "vendor-concentration",
            ChartKind::Scatter => "value-vs-waste",
            ChartKind::Exceedance => "net-value-exceedance",
        }
    }

    /// Key of the one-line caption in the string tables.
    pub fn caption_key(self) -> &'static str {
        match self {
            ChartKind::ValueDistribution => "c_value_dist",
            ChartKind::WasteDistribution => "c_waste_dist",
            ChartKind::Headline => "c_headline",
            ChartKind::Paired => "c_paired",
            ChartKind::Funnel => "c_funnel",
            ChartKind::TimeSeries => "c_time",
            ChartKind::Vendors => "c_vendors",
            ChartKind::Scatter => "c_scatter",
            ChartKind::Exceedance => "c_exceedance",
        }
    }

    /// The title: the chart's finding, computed from the data.
    pub fn title(self, d: &ReportData, lang: Lang) -> String {
        match self {
            ChartKind::ValueDistribution => distribution::value_title(d, lang),
            ChartKind::WasteDistribution => distribution::waste_title(d, lang),
            ChartKind::Headline => headline::title(d, lang),
            ChartKind::Paired => paired::title(d, lang),
            ChartKind::Funnel => funnel::title(d, lang),
            ChartKind::TimeSeries => timeseries::title(d, lang),
            ChartKind::Vendors => vendors::title(d, lang),
            ChartKind::Scatter => scatter::title(d, lang),
            ChartKind::Exceedance => exceedance::title(d, lang),
        }
    }

    /// Draws the chart on `root`.
    pub fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        d: &ReportData,
        lang: Lang,
    ) -> Result<(), String> {
        let area = titled(root, &self.title(d, lang))?;
        match self {
            ChartKind::ValueDistribution => {
                distribution::draw(&area, d, lang, Metric::DeliveredValue)
            }
            ChartKind::WasteDistribution => distribution::draw(&area, d, lang, Metric::Waste),
            ChartKind::Headline => headline::draw(&area, d, lang),
            ChartKind::Paired => paired::draw(&area, d, lang),
            ChartKind::Funnel => funnel::draw(&area, d, lang),
            ChartKind::TimeSeries => timeseries::draw(&area, d, lang),
            ChartKind::Vendors => vendors::draw(&area, d, lang),
            ChartKind::Scatter => scatter::draw(&area, d, lang),
            ChartKind::Exceedance => exceedance::draw(&area, d, lang),
        }?;
        root.present().map_err(err)
    }
}

/// Any plotters error as text.
pub fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// `svg` (as plotters writes it) announced to screen readers as one image named
/// `title`: `role="img"` and an `aria-label` on the root element, and a `<title>`
/// first inside it (also shown as a tooltip).
pub fn accessible(svg: &str, title: &str) -> String {
    // XML text and attribute escaping (the SVG is built here, not by a template).
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let Some(start) = svg.find("<svg") else {
        return svg.to_string();
    };
    let Some(end) = svg[start..].find('>').map(|e| start + e) else {
        return svg.to_string();
    };
    format!(
        "{} role=\"img\" aria-label=\"{escaped}\">\n<title>{escaped}</title>{}",
        &svg[..end],
        &svg[end + 1..]
    )
}

/// Draws a chart of logical size `dims` with `draw` at twice the pixels (see
/// [`hidpi`]) and writes it as PNG to `path`. The PNG is encoded here rather than by
/// plotters: chart images are large flat areas, for which one fixed row filter costs a
/// fraction of the adaptive filtering plotters' encoder spends on every row, for files
/// of much the same size.
pub fn draw_png(
    path: &Path,
    dims: (u32, u32),
    draw: impl FnOnce(&DrawingArea<hidpi::HiDpi<BitMapBackend<'_>>, Shift>) -> Result<(), String>,
) -> Result<(), String> {
    let (w, h) = (dims.0 * hidpi::SCALE, dims.1 * hidpi::SCALE);
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let root =
            hidpi::HiDpi::new(BitMapBackend::with_buffer(&mut buf, (w, h))).into_drawing_area();
        draw(&root)?;
        root.present().map_err(err)?;
    }
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // zlib level 1: on charts about as small as the default level, in far less time.
    encoder.set_deflate_compression(png::DeflateCompression::Level(1));
    encoder.set_filter(png::Filter::Sub);
    let mut writer = encoder.write_header().map_err(|e| fail(&e))?;
    writer.write_image_data(&buf).map_err(|e| fail(&e))?;
    writer.finish().map_err(|e| fail(&e))
}

/// Draws one chart into `DIR/STEM.png` and `DIR/STEM.svg` with the same drawing code
/// (`root` is bound to each backend's drawing area in turn; the code returns
/// `Result<(), String>`); evaluates to the two paths. The SVG is named `TITLE` for
/// screen readers ([`accessible`]). Use inside a function returning `Result<_, String>`.
macro_rules! png_and_svg {
    ($dir:expr, $stem:expr, $dims:expr, $title:expr, |$root:ident| $draw:expr) => {{
        let png = $dir.join(format!("{}.png", $stem));
        $crate::report::charts::draw_png(&png, $dims, |area| {
            // A value, as in the SVG branch below (areas share their backend).
            let $root = area.clone();
            $draw
        })?;
        let mut svg = String::new();
        {
            let $root =
                plotters::prelude::SVGBackend::with_string(&mut svg, $dims).into_drawing_area();
            $draw?;
        }
        let svg = $crate::report::charts::accessible(&svg, $title);
        let svg_path = $dir.join(format!("{}.svg", $stem));
        std::fs::write(&svg_path, svg).map_err(|e| format!("{}: {e}", svg_path.display()))?;
        [png, svg_path]
    }};
}
pub(crate) use png_and_svg;

/// Writes every chart as PNG and SVG into `dir` (created); returns the files written,
/// in chart order. The charts are drawn in parallel (each is its own pair of files, so
/// the bytes do not depend on the order).
pub fn render_all(dir: &Path, d: &ReportData, lang: Lang) -> Result<Vec<PathBuf>, String> {
    use rayon::prelude::*;
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pairs = ChartKind::ALL
        .par_iter()
        .map(|&kind| {
            let png = dir.join(format!("{}.png", kind.name()));
            draw_png(&png, SIZE, |root| kind.draw(root, d, lang))
                .map_err(|e| format!("{}: {e}", png.display()))?;
            let svg = dir.join(format!("{}.svg", kind.name()));
            std::fs::write(&svg, render_svg(kind, d, lang)?)
                .map_err(|e| format!("{}: {e}", svg.display()))?;
            Ok([png, svg])
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(pairs.into_iter().flatten().collect())
}

/// The chart as SVG text.
pub fn render_svg(kind: ChartKind, d: &ReportData, lang: Lang) -> Result<String, String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        kind.draw(&root, d, lang)?;
    }
    Ok(accessible(&svg, &kind.title(d, lang)))
}

/// Splits a long title into lines of at most `width` characters at spaces.
pub fn wrap(title: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in title.split(' ') {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}

/// Fills the background, writes the title (wrapped to two lines if long), returns the
/// area below it.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(err)?;
    let long = title.chars().count() > 72;
    let (size, lines) = if long {
        (TITLE - 4, wrap(title, 86))
    } else {
        (TITLE, vec![title.to_string()])
    };
    let line_height = size as i32 + 6;
    let (top, rest) = root.split_vertically(22 + line_height * lines.len() as i32);
    for (i, line) in lines.iter().enumerate() {
        top.draw(&Text::new(
            line.clone(),
            (20, 12 + line_height * i as i32),
            ("sans-serif", size)
                .into_font()
                .style(FontStyle::Bold)
                .color(&BLACK),
        ))
        .map_err(err)?;
    }
    Ok(rest)
}

/// One value per model with its 95% CI, as bars with whiskers.
pub struct Bars<'a> {
    /// Panel heading.
    pub heading: String,
    /// (mean, ci_low, ci_high) per model.
    pub values: Vec<(f64, f64, f64)>,
    /// Tick formatter.
    pub fmt: &'a dyn Fn(f64) -> String,
}

/// Draws bars with CI whiskers, one per model, in model colours.
pub fn bars<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, b: &Bars<'_>) -> Result<(), String> {
    let n = b.values.len();
    let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
    let hi = b
        .values
        .iter()
        .map(|v| finite(v.2).max(finite(v.0)))
        .fold(0.0, f64::max);
    let lo = b
        .values
        .iter()
        .map(|v| finite(v.1).min(finite(v.0)))
        .fold(0.0, f64::min);
    let pad = (hi - lo).abs().max(1e-9) * 0.12;
    // A heading fits its panel: the font shrinks for long ones (a sans-serif
    // character is about 0.55 of the font size wide), down to 11 px.
    let width = f64::from(area.dim_in_pixel().0);
    let chars = b.heading.chars().count().max(1) as f64;
    let size = (width / (0.55 * chars)).clamp(11.0, f64::from(LABEL + 2));
    let mut chart = ChartBuilder::on(area)
        .caption(&b.heading, ("sans-serif", size))
        .margin(8)
        .x_label_area_size(10)
        .y_label_area_size(62)
        .build_cartesian_2d(
            -0.5f64..(n as f64 - 0.5),
            (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|y| (b.fmt)(*y))
        .label_style(("sans-serif", LABEL - 2))
        .draw()
        .map_err(err)?;
    for (i, &(mean, ci_lo, ci_hi)) in b.values.iter().enumerate() {
        let x = i as f64;
        let c = colour(i);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - 0.35, 0.0), (x + 0.35, finite(mean))],
                c.mix(0.85).filled(),
            )))
            .map_err(err)?;
        if ci_lo.is_finite() && ci_hi.is_finite() {
            chart
                .draw_series([
                    PathElement::new(vec![(x, ci_lo), (x, ci_hi)], BLACK.stroke_width(2)),
                    PathElement::new(
                        vec![(x - 0.1, ci_lo), (x + 0.1, ci_lo)],
                        BLACK.stroke_width(2),
                    ),
                    PathElement::new(
                        vec![(x - 0.1, ci_hi), (x + 0.1, ci_hi)],
                        BLACK.stroke_width(2),
                    ),
                ])
                .map_err(err)?;
        }
    }
    Ok(())
}

/// One panel of bars for `metric`: mean and 95% CI per model, from the summary.
pub fn metric_bars<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    d: &ReportData,
    heading: &str,
    metric: Metric,
    fmt: &dyn Fn(f64) -> String,
) -> Result<(), String> {
    let values = (0..d.models.len())
        .map(|m| {
            let s = d.stat(m, metric);
            (s.mean, s.ci.0, s.ci.1)
        })
        .collect();
    bars(
        panel,
        &Bars {
            heading: heading.to_string(),
            values,
            fmt,
        },
    )
}

/// Splits off a 40-pixel strip at the bottom of `area` for the legend.
pub fn with_legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    area.split_vertically(area.dim_in_pixel().1 as i32 - 40)
}

/// A legend strip of model labels in model colours along the bottom of `area`: one row
/// when the labels fit, else two rows in a slightly smaller font, so no label runs off
/// the chart (each label is measured with the font that draws it).
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
) -> Result<(), String> {
    let width = area.dim_in_pixel().0 as i32;
    let entry = |size: u32, label: &str| -> i32 {
        let font = ("sans-serif", size).into_font();
        let text = area
            .estimate_text_size(label, &font.into())
            .map_or(label.chars().count() as u32 * size / 2, |(w, _)| w);
        22 + text as i32 + 18
    };
    let one_row: i32 = 20 + labels.iter().map(|l| entry(LABEL, l)).sum::<i32>();
    let (size, rows) = if one_row <= width {
        (LABEL, vec![8])
    } else {
        (LABEL - 2, vec![1, 21])
    };
    let (mut x, mut row) = (20, 0);
    for (i, label) in labels.iter().enumerate() {
        let w = entry(size, label);
        if x > 20 && x + w - 18 > width && row + 1 < rows.len() {
            (x, row) = (20, row + 1);
        }
        let y = rows[row];
        area.draw(&Rectangle::new(
            [(x, y), (x + 16, y + 16)],
            colour(i).filled(),
        ))
        .map_err(err)?;
        area.draw(&Text::new(
            label.clone(),
            (x + 22, y),
            ("sans-serif", size).into_font(),
        ))
        .map_err(err)?;
        x += w;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wrap;
    use plotters::prelude::*;

    #[test]
    fn a_legend_of_long_labels_stays_on_the_chart() {
        // Three French labels of the default scenario: at 9 px a character the third
        // fell off the right edge.
        assert!(super::super::style::register());
        let labels: Vec<String> = [
            "En cascade (analyse de rentabilisation telle que rédigée)",
            "En cascade (prévision par catégorie de référence)",
            "Par étapes (phases GOV.UK)",
        ]
        .map(String::from)
        .to_vec();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (1000, 40)).into_drawing_area();
            super::legend(&root, &labels).unwrap();
            root.present().unwrap();
        }
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .collect();
        assert_eq!(texts.len(), 3, "{svg}");
        let font = ("sans-serif", super::LABEL - 2).into_font();
        for t in texts {
            let x: f64 = t.attribute("x").unwrap().parse().unwrap();
            let label = t.text().unwrap_or_default().trim();
            let (w, _) = font.box_size(label).unwrap();
            assert!(
                x + f64::from(w) <= 1000.0,
                "`{label}` ends at {}",
                x + f64::from(w)
            );
        }
    }

    #[test]
    fn long_titles_wrap_at_spaces() {
        let lines = wrap("one two three four five", 9);
        assert_eq!(lines, ["one two", "three", "four five"]);
    }
}
