//! Vendor concentration (HHI) and small vendors' share of spend per model, with CIs.

use crate::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{legend, metric_bars, with_legend_strip};
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{number, percent};

/// "Small vendors received 44% of vendor spend under B".
pub fn title(d: &ReportData, lang: Lang) -> String {
    let b = d.best(Metric::SmallVendorShare);
    lang.msg(
        "t_vendors",
        &[
            (
                "share",
                &percent(lang, d.stat(b, Metric::SmallVendorShare).mean, 0),
            ),
            ("model", &d.labels[b]),
        ],
    )
}

/// Two bar panels and the legend.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let (plots, foot) = with_legend_strip(area);
    let panels = plots.split_evenly((1, 2));
    let hhi_fmt = |x: f64| number(lang, x, 0);
    let share_fmt = |x: f64| percent(lang, x, 0);
    let fmts: [&dyn Fn(f64) -> String; 2] = [&hhi_fmt, &share_fmt];
    for ((panel, metric), fmt) in panels
        .iter()
        .zip([Metric::VendorHhi, Metric::SmallVendorShare])
        .zip(fmts)
    {
        metric_bars(panel, d, lang.metric(metric), metric, fmt)?;
    }
    legend(&foot, &d.labels)
}
