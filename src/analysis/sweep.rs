//! Sweeps: the summary and paired comparison of every grid point, stacked into one
//! table each with the swept values as leading columns; and which point to choose
//! ([`gaps`], [`choice`]).

use polars::prelude::*;
use serde::Serialize;

use super::stats::{Z95, mean_sd, paired_moments};
use crate::metrics::{Better, Metric};
use crate::scenario::{SweepPoint, value_text, whole};

/// Each point's value repeated over that point's rows.
fn per_row<T: Clone>(values: Vec<T>, rows_per_point: &[usize]) -> Vec<T> {
    values
        .into_iter()
        .zip(rows_per_point)
        .flat_map(|(x, n)| std::iter::repeat_n(x, *n))
        .collect()
}

/// Columns holding the swept values: whole numbers when every value of an axis is whole
/// (so `250000`, as the analyst wrote it, not `250000.0`; TOML integers exactly, as a
/// seed may exceed 2^53), other numbers as floats, and text otherwise.
fn axis_columns(points: &[SweepPoint], rows_per_point: &[usize]) -> Vec<Column> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    (0..first.settings.len())
        .map(|a| {
            let name = first.settings[a].0.as_str().into();
            let values: Vec<&toml::Value> = points.iter().map(|p| &p.settings[a].1).collect();
            let whole_numbers: Option<Vec<i64>> = values
                .iter()
                .map(|v| v.as_integer().or_else(|| v.as_float().and_then(whole)))
                .collect();
            let numbers: Option<Vec<f64>> = values
                .iter()
                .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .collect();
            match (whole_numbers, numbers) {
                (Some(v), _) => Series::new(name, per_row(v, rows_per_point)).into(),
                (None, Some(v)) => Series::new(name, per_row(v, rows_per_point)).into(),
                (None, None) => {
                    let text: Vec<String> = values.iter().map(|v| value_text(v)).collect();
                    Series::new(name, per_row(text, rows_per_point)).into()
                }
            }
        })
        .collect()
}

/// Stacks per-point tables (same columns) under the swept values.
pub fn stack(points: &[SweepPoint], tables: &[DataFrame]) -> PolarsResult<DataFrame> {
    let rows: Vec<usize> = tables.iter().map(DataFrame::height).collect();
    let mut stacked = tables.first().cloned().unwrap_or_default();
    for t in tables.iter().skip(1) {
        stacked.vstack_mut(t)?;
    }
    let mut cols = axis_columns(points, &rows);
    cols.extend(stacked.columns().iter().cloned());
    DataFrame::new(stacked.height(), cols)
}

/// Where a sweep point stands against the grid's best point, for one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Standing {
    /// The best point: the highest mean (the first of equal means).
    Best,
    /// Not shown to differ from the best: the paired 95% CI of the gap reaches zero, or
    /// the gap has no CI (fewer than two portfolios).
    Tied,
    /// Behind the best: the whole 95% CI of the gap is above zero.
    Behind,
    /// The point's mean is undefined (no portfolio with a finite value).
    Undefined,
}

impl Standing {
    /// How the standing is written in `sweep_choice.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Standing::Best => "best",
            Standing::Tied => "cannot_be_told_apart",
            Standing::Behind => "behind",
            Standing::Undefined => "undefined",
        }
    }

    /// The standing written as `text` ([`Standing::name`]), if it is one.
    pub fn parse(text: &str) -> Option<Standing> {
        [
            Standing::Best,
            Standing::Tied,
            Standing::Behind,
            Standing::Undefined,
        ]
        .into_iter()
        .find(|s| s.name() == text)
    }
}

/// One point's gap to the best point of the grid: best minus this point, so never
/// negative for a point with a defined mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// The point's own mean.
    pub mean: f64,
    /// Mean gap (0 for the best point; NaN when undefined).
    pub gap: f64,
    /// 95% CI of the mean gap (NaN for the best point).
    pub ci: (f64, f64),
    /// Whether the CI pairs portfolios (both points ran the same number of them), or
    /// compares two independent means (Welch) when the counts differ.
    pub paired: bool,
    /// Where the point stands.
    pub standing: Standing,
}

/// Mean, sample sd and count of the finite values of `xs`, summed in order.
fn finite_moments(xs: &[f64]) -> (f64, f64, usize) {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let (mean, sd) = mean_sd(&v);
    (mean, sd, v.len())
}

/// The best point of a sweep and every point's gap to it, for a quantity known per
/// portfolio at every point (`columns[point]`, in portfolio order) where higher is
/// better; `seeds[point]` is the seed each point ran.
///
/// The best point has the highest mean over the whole grid. Points of a sweep run the
/// same seed, so portfolio `i` meets the same ideas and draws at every point: the gap
/// between two points is taken portfolio by portfolio and its 95% CI is a paired one,
/// which chance common to both points does not widen. When two points ran different
/// seeds or numbers of portfolios (`simulation.seed` or `simulation.portfolios` swept)
/// their portfolios are not the same funds, and the gap is the difference of two
/// independent means (Welch). A point behind the best by a gap whose CI reaches zero
/// cannot be told apart from it. When every point has the same mean there is nothing
/// to choose: no point is the best, and every defined one is tied.
pub fn gaps(columns: &[Vec<f64>], seeds: &[u64]) -> Vec<Gap> {
    let moments: Vec<(f64, f64, usize)> = columns.iter().map(|c| finite_moments(c)).collect();
    let best = moments
        .iter()
        .enumerate()
        .filter(|(_, m)| m.0.is_finite())
        .fold(None::<usize>, |best, (i, m)| match best {
            Some(b) if moments[b].0 >= m.0 => Some(b),
            _ => Some(i),
        });
    let finite = moments.iter().map(|m| m.0).filter(|m| m.is_finite());
    let flat = finite.clone().fold(f64::INFINITY, f64::min)
        == finite.fold(f64::NEG_INFINITY, f64::max)
        && moments.iter().filter(|m| m.0.is_finite()).count() > 1;
    let undefined = |mean| Gap {
        mean,
        gap: f64::NAN,
        ci: (f64::NAN, f64::NAN),
        paired: false,
        standing: Standing::Undefined,
    };
    columns
        .iter()
        .zip(&moments)
        .enumerate()
        .map(|(i, (column, &(mean, sd, n)))| {
            let Some(b) = best.filter(|_| mean.is_finite()) else {
                return undefined(mean);
            };
            if i == b {
                // Every defined point level with the "best": nothing to choose.
                let standing = if flat { Standing::Tied } else { Standing::Best };
                return Gap {
                    gap: 0.0,
                    standing,
                    ..undefined(mean)
                };
            }
            let paired = column.len() == columns[b].len() && seeds.get(i) == seeds.get(b);
            let (gap, ci, pairs) = if paired {
                let p = paired_moments(&columns[b], column, Better::Higher);
                (p.mean_diff, (p.ci_low, p.ci_high), p.n)
            } else {
                let (mb, sb, nb) = moments[b];
                let se = (sb * sb / nb as f64 + sd * sd / n as f64).sqrt();
                let gap = mb - mean;
                (gap, (gap - Z95 * se, gap + Z95 * se), n.min(nb))
            };
            // One portfolio gives no spread, so no evidence of a gap.
            let shown = pairs >= 2 && ci.0.is_finite() && ci.0 > 0.0;
            Gap {
                mean,
                gap,
                ci,
                paired,
                standing: if shown {
                    Standing::Behind
                } else {
                    Standing::Tied
                },
            }
        })
        .collect()
}

/// Which point of a sweep to choose, for every ordered pair of models (A, B): A's
/// paired net-value difference against B at each point, and each point's gap to the
/// grid's best point ([`gaps`]). `net[point][model]` holds each portfolio's net value
/// in portfolio order; `models` are the model names in scenario order. One row per
/// point and pair, under the swept values, as `sweep_choice.csv` holds them.
pub fn choice(
    points: &[SweepPoint],
    models: &[String],
    net: &[Vec<Vec<f64>>],
) -> PolarsResult<DataFrame> {
    let k = models.len();
    let seeds: Vec<u64> = points.iter().map(|p| p.scenario.simulation.seed).collect();
    let pairs: Vec<(usize, usize)> = (0..k)
        .flat_map(|a| (0..k).filter(move |&b| b != a).map(move |b| (a, b)))
        .collect();
    // gaps per pair, over the points.
    let per_pair: Vec<Vec<Gap>> = pairs
        .iter()
        .map(|&(a, b)| {
            let diffs: Vec<Vec<f64>> = net
                .iter()
                .map(|m| {
                    m[a].iter()
                        .zip(&m[b])
                        .map(|(x, y)| {
                            if x.is_finite() && y.is_finite() {
                                x - y
                            } else {
                                f64::NAN
                            }
                        })
                        .collect()
                })
                .collect();
            gaps(&diffs, &seeds)
        })
        .collect();
    let finite = |x: f64| x.is_finite().then_some(x);
    let tables: PolarsResult<Vec<DataFrame>> = (0..net.len())
        .map(|p| {
            let g: Vec<&Gap> = per_pair.iter().map(|gs| &gs[p]).collect();
            df!(
                "model_a" => pairs.iter().map(|&(a, _)| models[a].as_str()).collect::<Vec<_>>(),
                "model_b" => pairs.iter().map(|&(_, b)| models[b].as_str()).collect::<Vec<_>>(),
                "metric" => vec![Metric::NetValue.name(); pairs.len()],
                "mean_diff" => g.iter().map(|x| finite(x.mean)).collect::<Vec<_>>(),
                "gap_to_best" => g.iter().map(|x| finite(x.gap)).collect::<Vec<_>>(),
                "gap_ci_low" => g.iter().map(|x| finite(x.ci.0)).collect::<Vec<_>>(),
                "gap_ci_high" => g.iter().map(|x| finite(x.ci.1)).collect::<Vec<_>>(),
                "paired" => g.iter().map(|x| match x.standing {
                    Standing::Best | Standing::Undefined => None,
                    _ => Some(x.paired),
                }).collect::<Vec<_>>(),
                "standing" => g.iter().map(|x| x.standing.name()).collect::<Vec<_>>(),
            )
        })
        .collect();
    stack(points, &tables?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    /// Four points whose columns share one portfolio-level noise term (as points of a
    /// sweep share their seed), with shifts of 0, 1, 3 and 0.9.
    fn shared_noise(shifts: &[f64], n: usize) -> Vec<Vec<f64>> {
        let noise: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1009) as f64 * 10.0).collect();
        shifts
            .iter()
            .enumerate()
            .map(|(p, s)| {
                noise
                    .iter()
                    .enumerate()
                    .map(|(i, e)| e + s + if (i + p) % 2 == 0 { 0.05 } else { -0.05 })
                    .collect()
            })
            .collect()
    }

    /// Pairing removes the noise the points share: a gap of 0.1 on values that spread
    /// over thousands is told apart, which per-point CIs, overlapping widely, never
    /// could.
    #[test]
    fn the_paired_gap_tells_apart_points_whose_own_cis_overlap() {
        let cols = shared_noise(&[0.0, 1.0, 3.0, 2.9], 400);
        let g = gaps(&cols, &[1; 4]);
        let standing: Vec<Standing> = g.iter().map(|x| x.standing).collect();
        assert_eq!(
            standing,
            [
                Standing::Behind,
                Standing::Behind,
                Standing::Best,
                Standing::Behind
            ]
        );
        assert!((g[3].gap - 0.1).abs() < 0.02, "{:?}", g[3]);
        assert!(g.iter().all(|x| x.standing == Standing::Best || x.paired));
        // The same values, each point's portfolios in another order: the pairing is
        // gone and the gap is judged on independent means (here, one point fewer).
        let mut shuffled = cols.clone();
        shuffled[3].pop();
        let g = gaps(&shuffled, &[1; 4]);
        assert!(!g[3].paired);
        assert_eq!(g[3].standing, Standing::Tied);
        assert!(g[3].ci.0 < 0.0 && g[3].ci.1 > 0.0);
    }

    /// Equal columns cannot be told apart; the first of equal means is the best; a
    /// single portfolio gives no evidence; an undefined point is left out.
    #[test]
    fn ties_single_portfolios_and_undefined_points() {
        // The first of equal means is the best; the other cannot be told apart.
        let g = gaps(&[vec![1.0, 2.0], vec![2.0, 1.0], vec![0.0, 0.0]], &[1; 3]);
        let standing: Vec<Standing> = g.iter().map(|x| x.standing).collect();
        assert_eq!(standing, [Standing::Best, Standing::Tied, Standing::Behind]);
        assert_eq!(g[1].gap, 0.0);
        // Every point level: nothing to choose, no best point.
        let g = gaps(
            &[vec![1.0, 2.0], vec![2.0, 1.0], vec![f64::NAN; 2]],
            &[1; 3],
        );
        let standing: Vec<Standing> = g.iter().map(|x| x.standing).collect();
        assert_eq!(
            standing,
            [Standing::Tied, Standing::Tied, Standing::Undefined]
        );
        // Points run on different seeds are not the same funds: independent means.
        let g = gaps(&[vec![0.0, 1.0, 2.0], vec![5.0, 6.0, 7.0]], &[1, 2]);
        assert_eq!(g[1].standing, Standing::Best);
        assert!(!g[0].paired);
        let g = gaps(&[vec![1.0], vec![5.0]], &[1; 2]);
        assert_eq!(g[1].standing, Standing::Best);
        assert_eq!(g[0].standing, Standing::Tied, "{:?}", g[0]);
        let g = gaps(
            &[vec![f64::NAN, f64::NAN], vec![0.0, 1.0], vec![-5.0, -4.0]],
            &[1; 3],
        );
        assert_eq!(g[0].standing, Standing::Undefined);
        assert_eq!(g[1].standing, Standing::Best);
        // A gap with no spread at all is certain.
        assert_eq!(g[2].standing, Standing::Behind);
        assert!(gaps(&[], &[]).is_empty());
        for s in [
            Standing::Best,
            Standing::Tied,
            Standing::Behind,
            Standing::Undefined,
        ] {
            assert_eq!(Standing::parse(s.name()), Some(s));
        }
    }

    /// The choice table pairs every ordered pair of models, agrees with the paired
    /// comparison's mean, and names one best point per pair, the other way round for
    /// the reversed pair when points differ.
    #[test]
    fn the_choice_table_has_one_best_point_per_pair() {
        let mut loaded = scenario::load_default(&[]).unwrap();
        scenario::add_sweeps(
            &mut loaded,
            &["models.stage_gated.hurdle=0.8,1,1.25".to_string()],
        )
        .unwrap();
        let points = scenario::sweep_points(&loaded).unwrap();
        let models = vec!["a".to_string(), "b".to_string()];
        let net: Vec<Vec<Vec<f64>>> = [0.0, 2.0, 1.0]
            .iter()
            .map(|s| {
                vec![
                    (0..50).map(|i| i as f64 + s + (i % 3) as f64).collect(),
                    (0..50).map(|i| i as f64).collect(),
                ]
            })
            .collect();
        let t = choice(&points, &models, &net).unwrap();
        assert_eq!(t.height(), 6);
        let standing = super::super::frames::strings(&t, "standing").unwrap();
        let model_a = super::super::frames::strings(&t, "model_a").unwrap();
        let best: Vec<(String, usize)> = standing
            .iter()
            .enumerate()
            .filter(|(_, s)| *s == "best")
            .map(|(i, _)| (model_a[i].clone(), i / 2))
            .collect();
        // a − b is highest at the second point, b − a at the first.
        assert_eq!(best, [("b".to_string(), 0), ("a".to_string(), 1)]);
    }

    /// Swept values come out as the analyst wrote them: whole numbers without a decimal
    /// point, fractions as floats, one row per point and table row.
    #[test]
    fn whole_axes_are_integers_and_fractional_axes_are_floats() {
        let mut loaded = scenario::load_default(&[]).unwrap();
        let axes = [
            "fund.budget=5e7,1.2e8".to_string(),
            "models.stage_gated.hurdle=0.8,1".to_string(),
        ];
        scenario::add_sweeps(&mut loaded, &axes).unwrap();
        let points = scenario::sweep_points(&loaded).unwrap();
        let table = df!("metric" => ["a", "b"]).unwrap();
        let stacked = stack(&points, &vec![table; points.len()]).unwrap();
        assert_eq!(stacked.height(), 8);
        let budget = stacked.column("fund.budget").unwrap();
        assert_eq!(budget.dtype(), &DataType::Int64);
        assert_eq!(budget.i64().unwrap().get(0), Some(50_000_000));
        assert_eq!(budget.i64().unwrap().get(7), Some(120_000_000));
        let hurdle = stacked.column("models.stage_gated.hurdle").unwrap();
        assert_eq!(hurdle.dtype(), &DataType::Float64);
        assert_eq!(hurdle.f64().unwrap().get(1), Some(0.8));
    }
}
