//! The chance a fund does at least this well: per model, the share of simulated funds
//! whose net value is at least x, for every x (an exceedance curve), with zero marked.
//! It shows the whole range of outcomes where a bar shows only a mean.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, legend, with_legend_strip};
use crate::analysis::stats::share;
use crate::metrics::Metric;
use crate::report::data::ReportData;
use crate::report::i18n::Lang;
use crate::report::style::{LABEL, colour, money, percent};

/// Points along the net-value axis at which each curve is drawn (a million funds
/// would otherwise make a million-point path).
const POINTS: usize = 240;

/// Model `m`'s finite net values, sorted.
fn sorted(d: &ReportData, m: usize) -> Vec<f64> {
    let mut v: Vec<f64> = d
        .net_value
        .get(&d.models[m])
        .map(|v| v.iter().copied().filter(|x| x.is_finite()).collect())
        .unwrap_or_default();
    v.sort_by(f64::total_cmp);
    v
}

/// Share of `sorted` at or above `x`.
fn at_least(sorted: &[f64], x: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let below = sorted.partition_point(|&v| v < x);
    (sorted.len() - below) as f64 / sorted.len() as f64
}

/// "Chance of positive net value: B 93%, A 82%" (challenger, then baseline).
pub fn title(d: &ReportData, lang: Lang) -> String {
    let (b, c) = d.pair();
    // Strictly positive: a fund that broke even did not gain.
    let positive = |m: usize| {
        d.net_value
            .get(&d.models[m])
            .map_or(f64::NAN, |v| share(v, |x| x > 0.0))
    };
    lang.msg(
        "t_exceedance",
        &[
            ("first", &d.labels[c]),
            ("first_share", &percent(lang, positive(c), 0)),
            ("second", &d.labels[b]),
            ("second_share", &percent(lang, positive(b), 0)),
        ],
    )
}

/// Draws one curve per model, in model colours, and a line at zero.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ReportData,
    lang: Lang,
) -> Result<(), String> {
    let (plot, foot) = with_legend_strip(area);
    let values: Vec<Vec<f64>> = (0..d.models.len()).map(|m| sorted(d, m)).collect();
    // From the lowest fund to the 99th percentile of the best model, zero included:
    // the long right tail of value would otherwise squeeze every curve into a corner.
    let rank = |v: &Vec<f64>, q: f64| v[((v.len() - 1) as f64 * q) as usize];
    let filled = || values.iter().filter(|v| !v.is_empty());
    let lo = filled().map(|v| v[0]).fold(0.0, f64::min);
    let hi = filled().map(|v| rank(v, 0.99)).fold(0.0, f64::max);
    let span = (hi - lo).max(1.0);
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(lo..lo + span, 0f64..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(lang.metric(Metric::NetValue))
        .y_desc(lang.t("y_exceedance"))
        .x_label_formatter(&|x| money(lang, *x))
        .y_label_formatter(&|y| percent(lang, *y, 0))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    for (m, v) in values.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let curve = (0..=POINTS).map(|i| {
            let x = lo + span * i as f64 / POINTS as f64;
            (x, at_least(v, x))
        });
        chart
            .draw_series(LineSeries::new(curve, colour(m).stroke_width(3)))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, 1.0)],
            BLACK.stroke_width(2),
        )))
        .map_err(err)?;
    legend(&foot, &d.labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_at_least_x_counts_ties_as_reaching_x() {
        let v = [-2.0, 0.0, 0.0, 3.0];
        assert_eq!(at_least(&v, -5.0), 1.0);
        assert_eq!(at_least(&v, 0.0), 0.75);
        assert_eq!(at_least(&v, 0.5), 0.25);
        assert_eq!(at_least(&v, 4.0), 0.0);
        assert!(at_least(&[], 0.0).is_nan());
    }
}
