//! The paired difference in net value per portfolio (challenger minus baseline): a
//! histogram with zero marked and the share of funds where the challenger did better.

use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::err;
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{LABEL, colour, money, percent};

/// "B beat A on net value in 97% of funds".
pub fn title(d: &ReportData, lang: Lang) -> String {
    let (b, c) = d.pair();
    let p = d.diff(c, b, Metric::NetValue).prob_better;
    lang.msg(
        "t_paired",
        &[
            ("challenger", &d.labels[c]),
            ("baseline", &d.labels[b]),
            ("share", &percent(lang, p, 0)),
        ],
    )
}

/// Per-portfolio differences challenger minus baseline.
pub fn differences(d: &ReportData) -> Vec<f64> {
    let (b, c) = d.pair();
    let (Some(challenger), Some(baseline)) =
        (d.net_value.get(&d.models[c]), d.net_value.get(&d.models[b]))
    else {
        return Vec::new();
    };
    challenger
        .iter()
        .zip(baseline)
        .map(|(x, y)| x - y)
        .filter(|x| x.is_finite())
        .collect()
}

/// Draws the histogram.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let diffs = differences(d);
    let lo = diffs.iter().copied().fold(0.0, f64::min);
    let hi = diffs.iter().copied().fold(0.0, f64::max);
    let span = (hi - lo).max(1.0);
    let bins = 40usize;
    let width = span / bins as f64;
    let mut counts = vec![0u32; bins];
    for x in &diffs {
        let i = (((x - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (b, c) = d.pair();
    let x_desc = lang.msg(
        "x_paired",
        &[
            ("metric", lang.metric(Metric::NetValue)),
            ("challenger", &d.labels[c]),
            ("baseline", &d.labels[b]),
        ],
    );
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..lo + span, 0f64..top * 1.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc(lang.t("funds"))
        .x_label_formatter(&|x| money(lang, *x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(counts.iter().enumerate().map(|(i, &n)| {
            let x0 = lo + i as f64 * width;
            Rectangle::new(
                [(x0, 0.0), (x0 + width, f64::from(n))],
                colour(c).mix(0.8).filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, top * 1.1)],
            BLACK.stroke_width(3),
        )))
        .map_err(err)?
        .label(lang.t("zero"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(3)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", LABEL))
        .draw()
        .map_err(err)
}
