//! Sweeps: the summary and paired comparison of every grid point, stacked into one
//! table each with the swept values as leading columns.

use polars::prelude::*;

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
