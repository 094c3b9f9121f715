//! The cost overrun per project of the waterfall baseline (docs/overrun.png, drawn by
//! `budgetsim calibrate`): the simulated share of projects per percentage point of
//! overrun on a log scale, the same per band of the calibration's shape checks, and the
//! published reference points.

use std::path::Path;

use plotters::prelude::*;

use super::{err, titled, with_legend_strip};
use crate::calibration::{density_rise, share};
use crate::report::style::{self, LABEL, PALETTE, SIZE};

/// Bin width of the bars, as a share (0.05 = 5 percentage points).
const BIN: f64 = 0.05;
/// Overrun range shown.
const SHOWN: (f64, f64) = (-0.5, 4.0);
/// Bands drawn as steps: those of the calibration's density check, and +200% to the
/// right edge.
const BANDS: [(f64, f64); 5] = [(0.0, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)];

fn signed(x: f64) -> String {
    format!("{:+.1}%", 100.0 * x)
}

/// The title: whether the density falls band by band (the calibration's shape check),
/// computed from the data.
pub fn title(overrun: &[f64]) -> String {
    if density_rise(overrun) < 1.0 {
        "Waterfall projects' cost overruns fall off continuously: from 0% to +200%, each band holds fewer projects per point than the one before".into()
    } else {
        "Waterfall projects' cost overruns have a gap: a band above 0% holds more projects per point than the one before".into()
    }
}

/// Draws the chart of `overrun` (one value per project: outturn / plan - 1) into a PNG
/// at `path`.
pub fn write_png(path: &Path, overrun: &[f64]) -> Result<(), String> {
    if !style::register() {
        return Err("cannot load the embedded font".into());
    }
    super::draw_png(path, SIZE, |root| draw(root, overrun))
}

/// The chart itself, on any backend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    overrun: &[f64],
) -> Result<(), String> {
    let area = titled(root, &title(overrun))?;
    let (plot, foot) = with_legend_strip(&area);
    let n = overrun.len();
    let bins = ((SHOWN.1 - SHOWN.0) / BIN).round() as usize;
    // Share of projects per percentage point of overrun in each bin.
    let per_point = |share: f64, width: f64| share / (100.0 * width);
    let bars: Vec<(f64, f64)> = (0..bins)
        .map(|i| {
            let lo = SHOWN.0 + i as f64 * BIN;
            (lo, per_point(share(overrun, lo, lo + BIN), BIN))
        })
        .collect();
    let (y_lo, y_hi) = (2e-5, 0.1);
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(SHOWN.0..SHOWN.1, (y_lo..y_hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(10)
        .x_desc("cost overrun (outturn / plan - 1)")
        .y_desc("share of projects per point of overrun")
        .x_label_formatter(&|x| format!("{:+.0}%", 100.0 * x))
        .y_label_formatter(&|y| {
            let v: f64 = 100.0 * y;
            let digits = (-v.log10().floor()).max(0.0) as usize;
            format!("{v:.digits$}%")
        })
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    let grey = RGBColor(150, 150, 150);
    chart
        .draw_series(bars.iter().filter(|b| b.1 > 0.0).map(|&(lo, h)| {
            Rectangle::new(
                [(lo, y_lo), (lo + BIN, h.max(y_lo))],
                grey.mix(0.7).filled(),
            )
        }))
        .map_err(err)?
        .label(format!(
            "simulated, {n} projects (bars: {:.0}-point bins)",
            100.0 * BIN
        ))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], grey.filled()));
    let steps: Vec<(f64, f64)> = BANDS
        .iter()
        .flat_map(|&(lo, hi)| {
            let h = per_point(share(overrun, lo, hi), hi - lo).max(y_lo);
            [(lo, h), (hi, h)]
        })
        .collect();
    chart
        .draw_series(std::iter::once(PathElement::new(
            steps,
            BLACK.stroke_width(3),
        )))
        .map_err(err)?
        .label("simulated, per band of the shape checks (0, +25, +50, +100, +200%)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(3)));
    let median = {
        let mut v = overrun.to_vec();
        v.sort_by(f64::total_cmp);
        crate::analysis::stats::quantile_sorted(&v, 0.5)
    };
    let mean = overrun.iter().sum::<f64>() / n.max(1) as f64;
    let beyond = |t: f64| share(overrun, t, f64::INFINITY);
    let tail: Vec<f64> = overrun.iter().copied().filter(|&x| x >= 0.25).collect();
    let tail_mean = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
    let marks = [
        (
            0.0,
            format!(
                "median 0% (Budzier & Flyvbjerg); simulated {}",
                signed(median)
            ),
        ),
        (
            0.27,
            format!("mean +27% (HBR 2011); simulated {}", signed(mean)),
        ),
        (
            0.25,
            format!(
                "18% beyond +25% (Budzier & Flyvbjerg); simulated {:.1}%",
                100.0 * beyond(0.25)
            ),
        ),
        (
            0.5,
            format!(
                "18% beyond +50% (Flyvbjerg & Gardner; not fitted); simulated {:.1}%",
                100.0 * beyond(0.5)
            ),
        ),
        (
            2.0,
            format!(
                "black swans (beyond +25%) average +200% (HBR 2011); simulated {}",
                signed(tail_mean)
            ),
        ),
    ];
    for (i, (at, label)) in marks.into_iter().enumerate() {
        let c = PALETTE[[3, 1, 2, 4, 0][i]];
        chart
            .draw_series(DashedLineSeries::new(
                [(at, y_lo), (at, y_hi)],
                8,
                5,
                c.stroke_width(2),
            ))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", LABEL - 1))
        .draw()
        .map_err(err)?;
    foot.draw(&Text::new(
        "Published figures: dashed lines. Log scale: each band above the median should hold less per point than the one before.",
        (20, 10),
        ("sans-serif", LABEL - 1).into_font(),
    ))
    .map_err(err)?;
    root.present().map_err(err)
}
