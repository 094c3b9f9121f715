//! The headline comparison: mean and 95% CI of waste, lock-in exposure, delivered
//! value, net value, small-vendor share and months to first value, one panel each.

use crate::metrics::{Metric, Shown, Unit};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{legend, metric_bars, with_legend_strip};
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{money, number, percent};

/// "B against A: +$34M net value per fund (95% CI $32M to $36M)".
pub fn title(d: &ReportData, lang: Lang) -> String {
    let (b, c) = d.pair();
    let diff = d.diff(c, b, Metric::NetValue);
    let signed = |x: f64| {
        let m = money(lang, x);
        if x > 0.0 { format!("+{m}") } else { m }
    };
    lang.msg(
        "t_headline",
        &[
            ("challenger", &d.labels[c]),
            ("baseline", &d.labels[b]),
            ("diff", &signed(diff.mean)),
            ("ci_low", &signed(diff.ci.0)),
            ("ci_high", &signed(diff.ci.1)),
        ],
    )
}

/// Draws the six panels and the legend.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let (grid, foot) = with_legend_strip(area);
    let money_fmt = |x: f64| money(lang, x);
    let share_fmt = |x: f64| percent(lang, x, 0);
    let months_fmt = |x: f64| number(lang, x, 0);
    // One panel per key metric, two rows of three.
    for (metric, panel) in Shown::Key.metrics().zip(grid.split_evenly((2, 3))) {
        let fmt: &dyn Fn(f64) -> String = match metric.kind() {
            Unit::Share => &share_fmt,
            Unit::Months | Unit::Count | Unit::Index | Unit::Ratio => &months_fmt,
            Unit::Dollars => &money_fmt,
        };
        // Say which way is better where a shorter bar wins (waste, delay, lock-in).
        let heading = match metric.better() {
            crate::metrics::Better::Lower => {
                format!("{} ({})", lang.metric(metric), lang.t("lower_better"))
            }
            _ => lang.metric(metric).to_string(),
        };
        metric_bars(&panel, d, &heading, metric, fmt)?;
    }
    legend(&foot, &d.labels)
}
