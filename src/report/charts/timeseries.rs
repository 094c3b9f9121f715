//! Cumulative spend and delivered value over the fund's life: median per model with
//! the p10-p90 band across portfolios.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{err, legend, with_legend_strip};
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{LABEL, colour, money};

/// "By month 60, B had released $85M of value and spent $34M (medians)", for the model
/// with the most value released by the last month.
pub fn title(d: &ReportData, lang: Lang) -> String {
    let last = |m: usize| {
        d.timeseries
            .get(&d.models[m])
            .and_then(|rows| rows.last().copied())
    };
    let best = (0..d.models.len())
        .max_by(|&a, &b| {
            let v = |m| last(m).map_or(f64::NEG_INFINITY, |r| r.value[1]);
            v(a).total_cmp(&v(b))
        })
        .unwrap_or(0);
    match last(best) {
        Some(r) => lang.msg(
            "t_time",
            &[
                ("month", &format!("{:.0}", r.month)),
                ("model", &d.labels[best]),
                ("value", &money(lang, r.value[1])),
                ("spend", &money(lang, r.spend[1])),
            ],
        ),
        None => lang.t("cumulative_value").to_string(),
    }
}

/// Two panels, spend and value.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let (plots, foot) = with_legend_strip(area);
    let panels = plots.split_evenly((1, 2));
    for (p, (panel, key)) in panels
        .iter()
        .zip(["cumulative_spend", "cumulative_value"])
        .enumerate()
    {
        let pick = |r: &crate::report::data::MonthRow| if p == 0 { r.spend } else { r.value };
        let months = d
            .timeseries
            .values()
            .flatten()
            .map(|r| r.month)
            .fold(1.0, f64::max);
        let budget = d.scenario.fund.budget;
        let top = d
            .timeseries
            .values()
            .flatten()
            .map(|r| pick(r)[2])
            .filter(|x| x.is_finite())
            // The spending panel always shows the budget it is measured against.
            .fold(if p == 0 { budget } else { 1.0 }, f64::max);
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{} ({})", lang.t(key), lang.t("median_band")),
                ("sans-serif", LABEL + 1),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..months, 0f64..top * 1.05)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(lang.t("month"))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| money(lang, *y))
            .label_style(("sans-serif", LABEL - 1))
            .draw()
            .map_err(err)?;
        for (m, name) in d.models.iter().enumerate() {
            let rows = d.timeseries.get(name).cloned().unwrap_or_default();
            let c = colour(m);
            let mut band: Vec<(f64, f64)> = rows.iter().map(|r| (r.month, pick(r)[2])).collect();
            band.extend(rows.iter().rev().map(|r| (r.month, pick(r)[0])));
            chart
                .draw_series(std::iter::once(Polygon::new(band, c.mix(0.22).filled())))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    rows.iter().map(|r| (r.month, pick(r)[1])),
                    c.stroke_width(3),
                ))
                .map_err(err)?;
        }
        if p == 0 {
            // The fund's budget: spending above this line is an overspend.
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, budget), (months, budget)],
                    8,
                    5,
                    BLACK.stroke_width(2),
                ))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    lang.msg("budget_line", &[("budget", &money(lang, budget))]),
                    (months * 0.03, budget * 0.97),
                    ("sans-serif", LABEL - 1)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Top)),
                )))
                .map_err(err)?;
        }
    }
    legend(&foot, &d.labels)
}
