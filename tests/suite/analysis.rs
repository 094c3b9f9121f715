//! The streamed analysis (columns filled batch by batch, statistics from `stats` and
//! `sketch`) agrees with a plain computation over all outcomes at once, kept here as
//! the independent reference: sorted quantiles, two-pass moments, stage means.

use crate::common::default_scenario;
use budgetsim::analysis::{Analysis, Tally, frames, tally};
use budgetsim::engine::{self, Detail, Flow, Results};
use budgetsim::metrics::{Better, Metric};
use budgetsim::model::Scenario;

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Type-7 quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// (n, mean, sample sd) of the finite values.
fn moments(xs: &[f64]) -> (usize, f64, f64) {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    (n, mean, sd)
}

fn column(r: &Results, m: usize, metric: Metric) -> Vec<f64> {
    r.outcomes[m].iter().map(|o| o.get(metric)).collect()
}

fn four_models() -> Scenario {
    let mut s = default_scenario();
    // The default's three models and a fourth, so comparisons cover many ordered pairs.
    let mut third = s.models[1].clone();
    third.name = "strict".into();
    third.label = "Strict gates".into();
    for st in &mut third.stages {
        st.hurdle = 1.5;
    }
    s.models.push(third);
    s
}

fn tally_of(s: &Scenario, parts: &[std::ops::Range<u64>]) -> Tally {
    let mut t = Tally::new(s, parts[0].start);
    for p in parts {
        t.absorb(&engine::run(s, p.clone()));
    }
    t
}

#[test]
fn summaries_comparisons_and_stages_match_a_plain_computation() {
    let s = four_models();
    let r = engine::run(&s, 0..400);
    // Absorbed in three uneven batches: batching must not matter.
    let a = tally_of(&s, &[0..130, 130..131, 131..400]).analysis(&s);
    assert_eq!(a.portfolios, 400);
    for (m, model) in a.models.iter().enumerate() {
        for (k, ms) in model.metrics.iter().enumerate() {
            let metric = Metric::ALL[k];
            assert_eq!(ms.metric, metric.name());
            let xs = column(&r, m, metric);
            let (n, mean, sd) = moments(&xs);
            let mut sorted: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
            sorted.sort_by(f64::total_cmp);
            let got = &ms.summary;
            assert_eq!(got.n, n, "{} {}", model.model, ms.metric);
            let se = sd / (n as f64).sqrt();
            for (x, y, what) in [
                (got.mean, mean, "mean"),
                (got.sd, sd, "sd"),
                (got.se, se, "se"),
                (got.ci_low, mean - 1.959_963_984_540_054 * se, "ci_low"),
                (got.p5, quantile(&sorted, 0.05), "p5"),
                (got.p25, quantile(&sorted, 0.25), "p25"),
                (got.p50, quantile(&sorted, 0.5), "p50"),
                (got.p75, quantile(&sorted, 0.75), "p75"),
                (got.p95, quantile(&sorted, 0.95), "p95"),
            ] {
                assert!(
                    close(x, y),
                    "{} {} {what}: {x} vs {y}",
                    model.model,
                    ms.metric
                );
            }
        }
        for (k, st) in model.stages.iter().enumerate() {
            let outs = &r.outcomes[m];
            let mean = |f: &dyn Fn(&budgetsim::metrics::StageOutcome) -> f64| {
                outs.iter().map(|o| f(&o.stages[k])).sum::<f64>() / outs.len() as f64
            };
            let finished: f64 = outs.iter().map(|o| f64::from(o.stages[k].finished)).sum();
            let months: f64 = outs.iter().map(|o| o.stages[k].months).sum();
            for (x, y) in [
                (st.entered_mean, mean(&|s| f64::from(s.entered))),
                (st.passed_mean, mean(&|s| f64::from(s.passed))),
                (st.killed_mean, mean(&|s| f64::from(s.killed))),
                (st.cancelled_mean, mean(&|s| f64::from(s.cancelled))),
                (st.spend_mean, mean(&|s| s.spend)),
                (
                    st.months_mean,
                    if finished > 0.0 {
                        months / finished
                    } else {
                        f64::NAN
                    },
                ),
            ] {
                // Stage sums are exact sums of amounts rounded to 1/65536.
                assert!(
                    (x - y).abs() <= 1e-6 * y.abs().max(1.0),
                    "{} stage {}: {x} vs {y}",
                    model.model,
                    st.stage
                );
            }
        }
    }
    // Every ordered pair of the four models, every metric.
    assert_eq!(a.comparisons.len(), 4 * 3 * Metric::ALL.len());
    for c in &a.comparisons {
        let (ia, ib) = (
            r.models.iter().position(|n| *n == c.model_a).unwrap(),
            r.models.iter().position(|n| *n == c.model_b).unwrap(),
        );
        let metric = Metric::from_name(c.metric).unwrap();
        let (xa, xb) = (column(&r, ia, metric), column(&r, ib, metric));
        let pairs: Vec<(f64, f64)> = xa
            .into_iter()
            .zip(xb)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let diffs: Vec<f64> = pairs.iter().map(|(x, y)| x - y).collect();
        let (n, mean, sd) = moments(&diffs);
        let sign = if metric.better() == Better::Lower {
            -1.0
        } else {
            1.0
        };
        let wins: f64 = pairs
            .iter()
            .map(
                |(x, y)| match (sign * x).partial_cmp(&(sign * y)).unwrap() {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                },
            )
            .sum();
        let losses = pairs.iter().filter(|(x, y)| sign * x < sign * y).count();
        let mut sorted = diffs.clone();
        sorted.sort_by(f64::total_cmp);
        let p = &c.paired;
        assert_eq!(p.n, n);
        for (u, v) in [
            (p.mean_diff, mean),
            (p.se, sd / (n as f64).sqrt()),
            (p.prob_a_better, wins / n as f64),
            (p.prob_a_worse, losses as f64 / n as f64),
            (p.p5, quantile(&sorted, 0.05)),
            (p.p95, quantile(&sorted, 0.95)),
        ] {
            assert!(
                close(u, v),
                "{} vs {} {}: {u} vs {v}",
                c.model_a,
                c.model_b,
                c.metric
            );
        }
    }
}

#[test]
fn monthly_bands_are_within_a_sketch_bin_of_the_exact_quantiles() {
    let s = default_scenario();
    let r = engine::run(&s, 0..300);
    let t = tally_of(&s, &[0..150, 150..300]);
    for m in 0..s.models.len() {
        let bands = t.bands(m);
        assert_eq!(bands.len(), 61);
        for b in &bands {
            let month = b.month as usize;
            for (series, got) in [(0, b.spend), (1, b.value)] {
                let mut exact: Vec<f64> = r.outcomes[m]
                    .iter()
                    .map(|o| {
                        f64::from(if series == 0 {
                            o.spend_by_month[month]
                        } else {
                            o.value_by_month[month]
                        })
                    })
                    .collect();
                exact.sort_by(f64::total_cmp);
                for (q, g) in [0.1, 0.5, 0.9].iter().zip(got) {
                    let want = quantile(&exact, *q);
                    // 256 bins per doubling: within 0.2% of the value, plus interpolation.
                    assert!(
                        (g - want).abs() <= 0.004 * want.abs() + 1e-6,
                        "model {m} month {month} series {series} q {q}: {g} vs {want}"
                    );
                }
            }
        }
        // Cumulative medians never fall.
        assert!(bands.windows(2).all(|w| w[0].spend[1] <= w[1].spend[1]));
    }
}

fn frames_of(s: &Scenario, a: &Analysis, t: &Tally) -> Vec<polars::prelude::DataFrame> {
    let _ = s;
    vec![
        frames::summary(a).unwrap(),
        frames::comparison(a).unwrap(),
        frames::stages(a).unwrap(),
        frames::timeseries(t).unwrap(),
    ]
}

#[test]
fn a_streamed_run_is_bit_identical_on_any_thread_count_and_batching() {
    let s = default_scenario();
    // Crosses a batch boundary (engine::BATCH), so two batches stream.
    let range = engine::BATCH - 70..engine::BATCH + 90;
    let streamed = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let t = tally::simulate(&s, range.clone(), Detail::Outcomes, &|_| {}, &mut |_, _| {
                Flow::Continue
            });
            let a = t.analysis(&s);
            frames_of(&s, &a, &t)
        })
    };
    let one = streamed(1);
    let three = streamed(3);
    let whole = {
        let t = tally_of(&s, std::slice::from_ref(&range));
        frames_of(&s, &t.analysis(&s), &t)
    };
    for ((a, b), c) in one.iter().zip(&three).zip(&whole) {
        assert!(a.equals_missing(b), "1 vs 3 threads:\n{a}\n{b}");
        assert!(a.equals_missing(c), "streamed vs one batch:\n{a}\n{c}");
    }
}

#[test]
fn a_run_can_stop_early_at_a_batch_boundary() {
    let s = default_scenario();
    let mut seen = 0;
    let t = tally::simulate(
        &s,
        0..3 * engine::BATCH,
        Detail::Outcomes,
        &|_| {},
        &mut |t, _| {
            seen += 1;
            if t.count >= engine::BATCH {
                Flow::Stop
            } else {
                Flow::Continue
            }
        },
    );
    assert_eq!(seen, 1);
    assert_eq!(t.count, engine::BATCH);
}
