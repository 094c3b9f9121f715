//! Sweep axes (`[[sweep]]` and `--sweep`) and the grid of points they make, each point
//! a validated scenario.

use toml::Value;

use super::error::{Location, ScenarioError};
use super::locate::find_span;
use super::overrides::{Seg, parse_set, value_text, variant};
use super::read::line_col;
use super::{Loaded, fields};
use crate::model::Scenario;

/// One swept parameter: a field path and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    /// Dotted path, as for `--set`.
    pub path: String,
    /// Values in order.
    pub values: Vec<Value>,
}

/// One point of a sweep grid: the values set and the scenario they give.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// (path, value) per axis, in axis order.
    pub settings: Vec<(String, Value)>,
    /// The validated scenario at this point.
    pub scenario: Scenario,
}

/// Most points a sweep may have.
pub const MAX_SWEEP_POINTS: usize = 10_000;

/// Adds `--sweep PATH=V1,V2,...` axes (values read as for `--set`).
pub fn add_sweeps(loaded: &mut Loaded, specs: &[String]) -> Result<(), ScenarioError> {
    for spec in specs {
        let label = format!("--sweep {}", fields::shortened(spec));
        let Some((path, values)) = spec.split_once('=') else {
            return Err(ScenarioError::source(
                label,
                "expected PATH=V1,V2,..., e.g. --sweep models.stage_gated.hurdle=0.8,1,1.2",
            ));
        };
        let values: Vec<Value> = values
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .map(|v| parse_set(&format!("{path}={v}")).map(|o| o.value))
            .collect::<Result<_, _>>()?;
        if path.trim().is_empty() || values.is_empty() {
            return Err(ScenarioError::source(
                label,
                "give a path and at least one value",
            ));
        }
        loaded.sweep.push(SweepAxis {
            path: path.trim().to_string(),
            values,
        });
    }
    check_points(&loaded.sweep)
}

/// Refuses a field swept by two axes: its points would set it twice, and the sweep
/// tables hold one column per field.
pub(super) fn distinct_axes(axes: &[SweepAxis]) -> Result<(), ScenarioError> {
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            return Err(ScenarioError::source(
                "sweep",
                format!(
                    "`{}` is swept twice (in [[sweep]] or --sweep); give all its values in one axis",
                    fields::shortened(&a.path)
                ),
            ));
        }
    }
    Ok(())
}

pub(super) fn check_points(axes: &[SweepAxis]) -> Result<(), ScenarioError> {
    // Checked: 64 axes of 2 values would wrap a plain product to 0.
    let n = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    match n {
        Some(n) if n <= MAX_SWEEP_POINTS => distinct_axes(axes),
        _ => {
            let size = n.map_or_else(
                || {
                    let sizes: Vec<String> =
                        axes.iter().map(|a| a.values.len().to_string()).collect();
                    format!("{} points", sizes.join(" x "))
                },
                |n| format!("{n} points"),
            );
            Err(ScenarioError::source(
                "sweep",
                format!(
                    "the sweep grid has {size}, more than {MAX_SWEEP_POINTS}; use fewer values or axes"
                ),
            ))
        }
    }
}

/// Every point of the sweep grid (the first axis varies slowest), each validated.
pub fn sweep_points(loaded: &Loaded) -> Result<Vec<SweepPoint>, ScenarioError> {
    let mut points = vec![Vec::<(String, Value)>::new()];
    for axis in &loaded.sweep {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((axis.path.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
        .into_iter()
        .map(|settings| {
            let label = settings
                .iter()
                .map(|(p, v)| format!("{p}={}", value_text(v)))
                .collect::<Vec<_>>()
                .join(" ");
            let scenario = variant(loaded, &settings, &format!("sweep point {label}"))
                .map_err(|e| at_axis_lines(loaded, e))?;
            Ok(SweepPoint { settings, scenario })
        })
        .collect()
}

/// Points each problem of a sweep point at the `[[sweep]]` entry of the file that swept
/// its field (file and line), keeping the point in the message; problems of axes given
/// with `--sweep` keep the point's label.
fn at_axis_lines(loaded: &Loaded, mut e: ScenarioError) -> ScenarioError {
    for d in &mut e.diagnostics {
        let Some(path) = d.path.as_deref() else {
            continue;
        };
        let Some(line) = axis_line(&loaded.text, path) else {
            continue;
        };
        if let Some(point) = d.location.as_ref().map(|l| l.source.clone()) {
            d.message = format!("{} (at {point})", d.message);
        }
        d.location = Some(Location {
            source: loaded.origin.clone(),
            line: Some(line),
            column: None,
        });
    }
    e
}

/// Line (from 1) of the `path` key of the `[[sweep]]` entry of `text` that sweeps
/// `path`, found as every other problem is (`locate`).
fn axis_line(text: &str, path: &str) -> Option<usize> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let entries = table.get("sweep")?.as_array()?;
    let i = entries
        .iter()
        .position(|e| e.get("path").and_then(Value::as_str).map(str::trim) == Some(path))?;
    let doc = toml::de::DeTable::parse(text).ok()?;
    let at = [
        Seg::Key("sweep".into()),
        Seg::Index(i),
        Seg::Key("path".into()),
    ];
    match find_span(doc.get_ref(), &at) {
        (3, Some(offset)) => Some(line_col(text, offset).0),
        _ => None,
    }
}
