//! The stage funnel: per model, mean ideas entering each stage and stopped at the gate
//! after it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::err;
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{LABEL, colour, number, percent};

/// "Stage gates stopped 39% of ideas before their last stage" (the model with most gates).
pub fn title(d: &ReportData, lang: Lang) -> String {
    let gated = (0..d.models.len())
        .max_by_key(|&m| d.stages.get(&d.models[m]).map_or(0, Vec::len))
        .unwrap_or(0);
    let rows = d.stages.get(&d.models[gated]).cloned().unwrap_or_default();
    let entered = rows.first().map_or(0.0, |r| r.entering);
    let killed: f64 = rows.iter().map(|r| r.killed).sum();
    let share = if entered > 0.0 { killed / entered } else { 0.0 };
    lang.msg("t_funnel", &[("share", &percent(lang, share, 0))])
}

/// One row of bars per model: entering (solid) with the killed part (hatched light).
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let n = d.models.len().max(1);
    let max = d
        .stages
        .values()
        .flatten()
        .map(|r| r.entering)
        .fold(1.0, f64::max);
    for (m, panel) in area.split_evenly((n, 1)).iter().enumerate() {
        let rows = d.stages.get(&d.models[m]).cloned().unwrap_or_default();
        let k = rows.len().max(1);
        let mut chart = ChartBuilder::on(panel)
            .caption(&d.labels[m], ("sans-serif", LABEL + 2))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(120)
            .build_cartesian_2d(0f64..max * 1.7, -0.5f64..(k as f64 - 0.5))
            .map_err(err)?;
        // stages.csv names stages by their English identifier; people read them in
        // the chart's language.
        let names: Vec<String> = rows
            .iter()
            .map(|r| d.stage_name(m, &r.stage, lang))
            .collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(k)
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() > 0.01 || i < 0.0 {
                    return String::new();
                }
                names.get(k - 1 - i as usize).cloned().unwrap_or_default()
            })
            .x_label_formatter(&|x| number(lang, *x, 0))
            .label_style(("sans-serif", LABEL - 1))
            .draw()
            .map_err(err)?;
        for (i, r) in rows.iter().enumerate() {
            let y = (k - 1 - i) as f64;
            chart
                .draw_series([
                    Rectangle::new(
                        [(0.0, y - 0.32), (r.entering, y + 0.32)],
                        colour(m).mix(0.85).filled(),
                    ),
                    Rectangle::new(
                        [(r.entering - r.killed, y - 0.32), (r.entering, y + 0.32)],
                        RGBColor(120, 120, 120).mix(0.7).filled(),
                    ),
                ])
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(
                        "{} {} / {} {}",
                        number(lang, r.entering, 1),
                        lang.t("entering"),
                        number(lang, r.killed, 1),
                        lang.t("killed")
                    ),
                    (r.entering + max * 0.01, y + 0.15),
                    ("sans-serif", LABEL - 2).into_font(),
                )))
                .map_err(err)?;
        }
    }
    Ok(())
}
