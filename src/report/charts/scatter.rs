//! Value against waste for every model: mean per fund with 95% CI crosses.

use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::err;
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{LABEL, colour, money};

/// "Value against waste: B sits highest on value".
pub fn title(d: &ReportData, lang: Lang) -> String {
    lang.msg(
        "t_scatter",
        &[("model", &d.labels[d.best(Metric::DeliveredValue)])],
    )
}

/// One cross per model.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let pts: Vec<_> = (0..d.models.len())
        .map(|m| (d.stat(m, Metric::Waste), d.stat(m, Metric::DeliveredValue)))
        .collect();
    let fin = |x: f64| if x.is_finite() { x } else { 0.0 };
    let xmax = pts.iter().map(|(w, _)| fin(w.ci.1)).fold(1.0, f64::max) * 1.2;
    let ymax = pts.iter().map(|(_, v)| fin(v.ci.1)).fold(1.0, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..xmax, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(lang.metric(Metric::Waste))
        .y_desc(lang.metric(Metric::DeliveredValue))
        .x_label_formatter(&|x| money(lang, *x))
        .y_label_formatter(&|y| money(lang, *y))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    for (m, (w, v)) in pts.iter().enumerate() {
        let c = colour(m);
        chart
            .draw_series([
                PathElement::new(vec![(w.ci.0, v.mean), (w.ci.1, v.mean)], c.stroke_width(3)),
                PathElement::new(vec![(w.mean, v.ci.0), (w.mean, v.ci.1)], c.stroke_width(3)),
            ])
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (w.mean, v.mean),
                8,
                c.filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                d.labels[m].clone(),
                (w.mean + xmax * 0.015, v.mean + ymax * 0.03),
                ("sans-serif", LABEL + 1).into_font(),
            )))
            .map_err(err)?;
    }
    Ok(())
}
