//! Sweeps: the summary and paired comparison of every grid point, stacked into one
//! table each with the swept values as leading columns.

use polars::prelude::*;

use crate::scenario::{SweepPoint, value_text};

/// Columns holding the swept values: numbers when every value of an axis is a number,
/// text otherwise.
fn axis_columns(points: &[SweepPoint], rows_per_point: &[usize]) -> Vec<Column> {
    let Some(first) = points.first() else {
        return Vec::new();
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
            match numbers {
                Some(v) => {
                    let col: Vec<f64> = v
                        .iter()
                        .zip(rows_per_point)
                        .flat_map(|(x, n)| std::iter::repeat_n(*x, *n))
                        .collect();
                    Series::new(name.into(), col).into()
                }
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
