//! Distribution of a money metric per model (delivered value, waste): box plots from
//! the summary's percentiles (box p25-p75, whiskers p5-p95, median line, mean dot).

use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, legend, with_legend_strip};
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{LABEL, colour, money, percent};

/// "Delivered value per fund: X highest, at $Y on average".
pub fn value_title(d: &ReportData, lang: Lang) -> String {
    let b = d.best(Metric::DeliveredValue);
    lang.msg(
        "t_value_dist",
        &[
            ("model", &d.labels[b]),
            ("mean", &money(lang, d.stat(b, Metric::DeliveredValue).mean)),
        ],
    )
}

/// "B wasted 41% less than A (95% CI 38% to 44%)", relative to the baseline's mean.
pub fn waste_title(d: &ReportData, lang: Lang) -> String {
    let (b, c) = d.pair();
    if c == b {
        return lang.metric(Metric::Waste).to_string();
    }
    let base = d.stat(b, Metric::Waste).mean;
    let diff = d.diff(c, b, Metric::Waste);
    let rel = |x: f64| if base != 0.0 { x / base } else { f64::NAN };
    let (word, sign) = if diff.mean <= 0.0 {
        ("less", -1.0)
    } else {
        ("more", 1.0)
    };
    let (lo, hi) = (sign * rel(diff.ci.0), sign * rel(diff.ci.1));
    lang.msg(
        "t_waste_dist",
        &[
            ("challenger", &d.labels[c]),
            ("amount", &percent(lang, sign * rel(diff.mean), 0)),
            ("comparison", lang.t(word)),
            ("baseline", &d.labels[b]),
            ("ci_low", &percent(lang, lo.min(hi), 0)),
            ("ci_high", &percent(lang, lo.max(hi), 0)),
        ],
    )
}

/// Draws the box plots of `metric`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
    metric: Metric,
) -> Result<(), String> {
    let (plot, foot) = with_legend_strip(area);
    let n = d.models.len();
    let stats: Vec<_> = (0..n).map(|m| d.stat(m, metric)).collect();
    let lo = stats
        .iter()
        .map(|s| s.quantiles[0])
        .filter(|x| x.is_finite())
        .fold(0.0, f64::min);
    let hi = stats
        .iter()
        .map(|s| s.quantiles[4])
        .filter(|x| x.is_finite())
        .fold(1.0, f64::max);
    let axis = lang.metric(metric);
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(20)
        .build_cartesian_2d(lo..hi * 1.05, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc(axis)
        .x_label_formatter(&|x| money(lang, *x))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    for (i, s) in stats.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let [p5, p25, p50, p75, p95] = s.quantiles;
        let c = colour(i);
        chart
            .draw_series([
                PathElement::new(vec![(p5, y), (p25, y)], BLACK.stroke_width(2)),
                PathElement::new(vec![(p75, y), (p95, y)], BLACK.stroke_width(2)),
                PathElement::new(vec![(p5, y - 0.12), (p5, y + 0.12)], BLACK.stroke_width(2)),
                PathElement::new(
                    vec![(p95, y - 0.12), (p95, y + 0.12)],
                    BLACK.stroke_width(2),
                ),
            ])
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(p25, y - 0.28), (p75, y + 0.28)],
                c.mix(0.8).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series([PathElement::new(
                vec![(p50, y - 0.28), (p50, y + 0.28)],
                BLACK.stroke_width(3),
            )])
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new((s.mean, y), 5, WHITE.filled())))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (s.mean, y),
                5,
                BLACK.stroke_width(2),
            )))
            .map_err(err)?;
    }
    legend(&foot, &d.labels)
}
