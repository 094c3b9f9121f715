//! The polars analysis agrees with an independent plain-Rust computation on the same
//! engine results: summaries, paired differences and stage tables.

use crate::common::default_scenario;
use budgetsim::analysis::{self, frames};
use budgetsim::engine;

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn polars_summaries_and_comparisons_match_plain_rust() {
    let mut s = default_scenario();
    // The default's three models and a fourth, so comparisons cover many ordered pairs.
    let mut third = s.models[1].clone();
    third.name = "strict".into();
    third.label = "Strict gates".into();
    for st in &mut third.stages {
        st.hurdle = 1.5;
    }
    s.models.push(third);
    let r = engine::run(&s, 0..400);
    let t = frames::tables(&s, &r).unwrap();
    let fast = analysis::from_tables(&s, &r, &t).unwrap();
    let plain = analysis::analyse(&s, &r);
    assert_eq!(fast.models.len(), plain.models.len());
    for (f, p) in fast.models.iter().zip(&plain.models) {
        for (fm, pm) in f.metrics.iter().zip(&p.metrics) {
            let (a, b) = (&fm.summary, &pm.summary);
            assert_eq!(a.n, b.n, "{} {}", f.model, fm.metric);
            for (x, y, what) in [
                (a.mean, b.mean, "mean"),
                (a.sd, b.sd, "sd"),
                (a.se, b.se, "se"),
                (a.ci_low, b.ci_low, "ci_low"),
                (a.ci_high, b.ci_high, "ci_high"),
                (a.p5, b.p5, "p5"),
                (a.p25, b.p25, "p25"),
                (a.p50, b.p50, "p50"),
                (a.p75, b.p75, "p75"),
                (a.p95, b.p95, "p95"),
            ] {
                assert!(
                    close(x, y),
                    "{} {} {what}: polars {x} vs plain {y}",
                    f.model,
                    fm.metric
                );
            }
        }
        for (fs, ps) in f.stages.iter().zip(&p.stages) {
            assert_eq!(fs.stage, ps.stage);
            for (x, y) in [
                (fs.entered_mean, ps.entered_mean),
                (fs.passed_mean, ps.passed_mean),
                (fs.killed_mean, ps.killed_mean),
                (fs.cancelled_mean, ps.cancelled_mean),
                (fs.spend_mean, ps.spend_mean),
                (fs.months_mean, ps.months_mean),
            ] {
                assert!(close(x, y), "{} stage {}: {x} vs {y}", f.model, fs.stage);
            }
        }
    }
    assert_eq!(fast.comparisons.len(), plain.comparisons.len());
    // Every ordered pair of the four models.
    assert_eq!(
        fast.comparisons.len(),
        4 * 3 * budgetsim::metrics::Metric::ALL.len()
    );
    for (a, b) in fast.comparisons.iter().zip(&plain.comparisons) {
        assert_eq!(
            (&a.model_a, &a.model_b, a.metric),
            (&b.model_a, &b.model_b, b.metric)
        );
        let (x, y) = (&a.paired, &b.paired);
        assert_eq!(x.n, y.n);
        for (u, v) in [
            (x.mean_diff, y.mean_diff),
            (x.se, y.se),
            (x.ci_low, y.ci_low),
            (x.ci_high, y.ci_high),
            (x.prob_a_better, y.prob_a_better),
        ] {
            assert!(
                close(u, v),
                "{} vs {} {}: {u} vs {v}",
                a.model_a,
                a.model_b,
                a.metric
            );
        }
    }
}

#[test]
fn timeseries_quantiles_match_plain_rust() {
    let s = default_scenario();
    let r = engine::run(&s, 0..300);
    let t = frames::tables(&s, &r).unwrap();
    let models = frames::strings(&t.timeseries, "model").unwrap();
    let months = frames::f64s(&t.timeseries, "month").unwrap();
    let p50 = frames::f64s(&t.timeseries, "spend_p50").unwrap();
    let v90 = frames::f64s(&t.timeseries, "value_p90").unwrap();
    assert_eq!(models.len(), s.models.len() * 61);
    for row in [0, 30, 60, 61 + 45, 2 * 61 + 20] {
        let m = r.models.iter().position(|n| *n == models[row]).unwrap();
        let month = months[row] as usize;
        let mut spend: Vec<f64> = r.outcomes[m]
            .iter()
            .map(|o| f64::from(o.spend_by_month[month]))
            .collect();
        let mut value: Vec<f64> = r.outcomes[m]
            .iter()
            .map(|o| f64::from(o.value_by_month[month]))
            .collect();
        spend.sort_by(f64::total_cmp);
        value.sort_by(f64::total_cmp);
        let q = analysis::stats::quantile_sorted;
        assert!(close(p50[row], q(&spend, 0.5)), "row {row}");
        assert!(close(v90[row], q(&value, 0.9)), "row {row}");
    }
    // Cumulative medians never fall.
    assert!(p50[..61].windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn the_tables_are_bit_identical_from_one_computation_to_the_next() {
    // Polars' own float sums vary in the last bits between calls; the tables must not.
    let s = default_scenario();
    let r = engine::run(&s, 0..300);
    let first = frames::tables(&s, &r).unwrap();
    for _ in 0..8 {
        let again = frames::tables(&s, &r).unwrap();
        for (a, b, name) in [
            (&first.summary, &again.summary, "summary"),
            (&first.comparison, &again.comparison, "comparison"),
            (&first.stages, &again.stages, "stages"),
            (&first.timeseries, &again.timeseries, "timeseries"),
        ] {
            assert!(
                a.equals_missing(b),
                "{name} changed between two computations"
            );
        }
    }
}
