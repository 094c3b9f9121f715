//! Sweeps: the summary and paired comparison of every grid point, stacked into one
//! table each with the swept values as leading columns.

use polars::prelude::*;

use crate::scenario::{SweepPoint, value_text, whole};

/// Columns holding the swept values: whole numbers when every value of an axis is whole
/// (so `250000`, as the analyst wrote it, not `250000.0`), other numbers as floats, and
/// text otherwise.
fn axis_columns(points: &[SweepPoint], rows_per_point: &[usize]) -> Vec<Column> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let repeat = |values: Vec<f64>| -> Vec<f64> {
        values
            .iter()
            .zip(rows_per_point)
            .flat_map(|(x, n)| std::iter::repeat_n(*x, *n))
            .collect()
    };
    (0..first.settings.len())
        .map(|a| {
            let name = first.settings[a].0.as_str();
            let numbers: Option<Vec<f64>> = points
                .iter()
                .map(|p| match &p.settings[a].1 {
                    toml::Value::Integer(i) => Some(*i as f64),
                    toml::Value::Float(f) => Some(*f),
                    _ => None,
                })
                .collect();
            // TOML integers are kept exactly (a seed may exceed 2^53).
            let integers: Option<Vec<i64>> = points
                .iter()
                .map(|p| p.settings[a].1.as_integer())
                .collect();
            if let Some(v) = integers {
                let col: Vec<i64> = v
                    .iter()
                    .zip(rows_per_point)
                    .flat_map(|(x, n)| std::iter::repeat_n(*x, *n))
                    .collect();
                return Series::new(name.into(), col).into();
            }
            match numbers {
                Some(v) if v.iter().all(|x| whole(*x).is_some()) => {
                    let ints: Vec<i64> = repeat(v).into_iter().filter_map(whole).collect();
                    Series::new(name.into(), ints).into()
                }
                Some(v) => Series::new(name.into(), repeat(v)).into(),
                None => {
                    let col: Vec<String> = points
                        .iter()
                        .zip(rows_per_point)
                        .flat_map(|(p, n)| std::iter::repeat_n(value_text(&p.settings[a].1), *n))
                        .collect();
                    Series::new(name.into(), col).into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

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
