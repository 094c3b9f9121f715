//! Sweeps: the summary and paired comparison of every grid point, stacked into one
//! table each with the swept values as leading columns; and which point to choose
//! ([`best_point`]).

use polars::prelude::*;
use serde::Serialize;

use crate::metrics::Better;

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

/// One sweep point's estimate of a quantity: the point's label (its swept value as
/// written for people), the mean and its 95% confidence interval.
#[derive(Debug, Clone, PartialEq)]
pub struct PointEstimate {
    /// The swept value, as shown.
    pub label: String,
    /// Mean.
    pub mean: f64,
    /// 95% confidence interval (low, high).
    pub ci: (f64, f64),
}

/// The best point of a sweep and the points that cannot be told apart from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepBest {
    /// Position of the best point in the input.
    pub index: usize,
    /// The best point's label.
    pub best: String,
    /// Positions of the points that cannot be told apart from the best, in input order
    /// (the best itself excluded).
    pub tied_index: Vec<usize>,
    /// Their labels.
    pub tied: Vec<String>,
}

/// The best point of a sweep for a quantity whose better direction is `better`: the
/// highest (or lowest) mean, the first on a tie. A point cannot be told apart from it
/// when their 95% CIs overlap, or when either CI is unknown (not finite). The overlap
/// rule is what per-point CIs allow: the CI of the difference between two points would
/// need each portfolio's results at both points. It is conservative: two points whose
/// CIs overlap may still differ, so "cannot be told apart" means "not shown to differ".
/// Points with no finite mean are left out. None when no point has a finite mean or the
/// quantity has no better direction.
pub fn best_point(points: &[PointEstimate], better: Better) -> Option<SweepBest> {
    let sign = match better {
        Better::Higher => 1.0,
        Better::Lower => -1.0,
        Better::Neither => return None,
    };
    let index = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.mean.is_finite())
        .fold(None::<usize>, |best, (i, p)| match best {
            Some(b) if sign * points[b].mean >= sign * p.mean => Some(b),
            _ => Some(i),
        })?;
    let b = &points[index];
    let known = |ci: (f64, f64)| ci.0.is_finite() && ci.1.is_finite();
    let tied_index: Vec<usize> = points
        .iter()
        .enumerate()
        .filter(|&(i, p)| i != index && p.mean.is_finite())
        .filter(|(_, p)| {
            !known(p.ci)
                || !known(b.ci)
                || (p.ci.0.min(p.ci.1) <= b.ci.0.max(b.ci.1)
                    && b.ci.0.min(b.ci.1) <= p.ci.0.max(p.ci.1))
        })
        .map(|(i, _)| i)
        .collect();
    Some(SweepBest {
        index,
        best: b.label.clone(),
        tied: tied_index
            .iter()
            .map(|&i| points[i].label.clone())
            .collect(),
        tied_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn p(label: &str, mean: f64, lo: f64, hi: f64) -> PointEstimate {
        PointEstimate {
            label: label.into(),
            mean,
            ci: (lo, hi),
        }
    }

    /// The highest mean wins when higher is better; the points whose CI overlaps its CI
    /// cannot be told apart from it, the others can.
    #[test]
    fn the_best_point_and_those_it_cannot_be_told_apart_from() {
        let points = [
            p("0.6", 9.0, 7.5, 10.5),
            p("0.8", 13.0, 11.5, 14.5),
            p("1", 15.0, 13.5, 16.5),
            p("1.25", 16.3, 14.8, 17.8),
            p("1.5", 16.2, 14.7, 17.7),
            p("2", 14.4, 13.0, 15.8),
        ];
        let b = best_point(&points, Better::Higher).unwrap();
        assert_eq!((b.index, b.best.as_str()), (3, "1.25"));
        assert_eq!(b.tied, ["1", "1.5", "2"]);
        assert_eq!(b.tied_index, [2, 4, 5]);
        // Touching intervals overlap; disjoint ones do not.
        let b = best_point(
            &[p("a", 10.0, 9.0, 11.0), p("b", 7.0, 5.0, 9.0)],
            Better::Higher,
        )
        .unwrap();
        assert_eq!(b.tied, ["b"]);
        let b = best_point(
            &[p("a", 10.0, 9.0, 11.0), p("b", 7.0, 5.0, 8.9)],
            Better::Higher,
        )
        .unwrap();
        assert!(b.tied.is_empty());
    }

    /// Lower is better for waste: the lowest mean wins.
    #[test]
    fn the_best_point_respects_the_metric_direction() {
        let points = [
            p("a", 5.0, 4.9, 5.1),
            p("b", 3.0, 2.9, 3.1),
            p("c", 4.0, 3.9, 4.1),
        ];
        assert_eq!(best_point(&points, Better::Higher).unwrap().best, "a");
        assert_eq!(best_point(&points, Better::Lower).unwrap().best, "b");
        assert!(best_point(&points, Better::Neither).is_none());
        // The first of equal means.
        let equal = [p("x", 1.0, 0.0, 2.0), p("y", 1.0, 0.0, 2.0)];
        assert_eq!(best_point(&equal, Better::Higher).unwrap().best, "x");
    }

    /// Undefined means are left out; an unknown CI cannot be told apart; nothing to
    /// choose from gives None.
    #[test]
    fn undefined_values_are_left_out_or_count_as_undecided() {
        let points = [
            p("nan", f64::NAN, f64::NAN, f64::NAN),
            p("a", 2.0, 1.9, 2.1),
            p("b", 1.0, f64::NAN, f64::NAN),
            p("c", 0.0, -0.1, 0.1),
        ];
        let b = best_point(&points, Better::Higher).unwrap();
        assert_eq!(
            (b.best.as_str(), b.tied.clone()),
            ("a", vec!["b".to_string()])
        );
        assert!(best_point(&[], Better::Higher).is_none());
        assert!(best_point(&points[..1], Better::Higher).is_none());
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
