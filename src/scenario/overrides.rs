//! `--set PATH=VALUE` and the settings of sweep points and sensitivity moves: dotted
//! paths into the merged scenario table, and values as TOML reads them.

use toml::{Table, Value};

use super::error::{Diagnostic, Location, ScenarioError, nearest};
use super::{Loaded, build, fields, leaves};
use crate::model::Scenario;

/// Text of a TOML value as a user would write it (`1.5`, `true`, `x`), whole floats
/// without a decimal point (`30000000`, which `--set` reads back as the same value).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(f) => match whole(*f) {
            Some(i) => i.to_string(),
            None => v.to_string(),
        },
        other => other.to_string(),
    }
}

/// `x` as an integer when it is whole and exactly representable (below 2^53).
pub fn whole(x: f64) -> Option<i64> {
    const EXACT: f64 = (1u64 << 53) as f64;
    (x.fract() == 0.0 && x.abs() < EXACT).then_some(x as i64)
}

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Parses `a.b.0.c` into segments (all-digit segments are indexes).
pub fn parse_path(path: &str) -> Vec<Seg> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(s.to_string()),
        })
        .collect()
}

/// A parsed `--set PATH=VALUE`.
#[derive(Debug, Clone)]
pub(super) struct SetOverride {
    pub(super) text: String,
    pub(super) path: Vec<Seg>,
    pub(super) value: Value,
}

pub(super) fn parse_set(text: &str) -> Result<SetOverride, ScenarioError> {
    let label = format!("--set {}", fields::shortened(text));
    let Some((path, raw)) = text.split_once('=') else {
        return Err(ScenarioError::source(
            label,
            "expected PATH=VALUE, e.g. --set simulation.portfolios=500",
        ));
    };
    let path = path.trim();
    if path.is_empty() {
        return Err(ScenarioError::source(label, "the PATH before `=` is empty"));
    }
    fields::check_path_size(path).map_err(|m| ScenarioError::source(&label, m))?;
    let raw = raw.trim();
    // A TOML value when it parses as one (numbers, booleans, inf, arrays, inline tables),
    // otherwise a bare string, so `--set name=Pilot` works without quotes.
    let value = toml::from_str::<Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"));
    // Digits that TOML cannot hold are a number too large, not text.
    let digits = raw.trim_start_matches(['+', '-']).replace('_', "");
    if value.is_none() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ScenarioError::source(
            label,
            format!(
                "{} is too large for a whole number (at most {}); write a smaller number",
                fields::shortened(raw),
                i64::MAX
            ),
        ));
    }
    let value = value.unwrap_or_else(|| Value::String(raw.to_string()));
    Ok(SetOverride {
        text: text.to_string(),
        path: parse_path(path),
        value,
    })
}

pub(super) fn apply_set(table: &mut Table, o: &SetOverride) -> Result<(), ScenarioError> {
    if o.path.first() == Some(&Seg::Key("extends".into())) {
        return Err(ScenarioError::source(
            format!("--set {}", fields::shortened(&o.text)),
            "`extends` names a parent file, so it can only be written in a scenario file",
        ));
    }
    let mut root = Value::Table(std::mem::take(table));
    let result = set_in(&mut root, &o.path, o.value.clone(), "");
    if let Value::Table(t) = root {
        *table = t;
    }
    result.map_err(|m| ScenarioError::source(format!("--set {}", fields::shortened(&o.text)), m))
}

/// Sets `path` below `cur` to `new`; `walked` is the path so far, for messages.
pub(super) fn set_in(
    cur: &mut Value,
    path: &[Seg],
    new: Value,
    walked: &str,
) -> Result<(), String> {
    let Some((seg, rest)) = path.split_first() else {
        *cur = new;
        return Ok(());
    };
    let here = if walked.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{walked}`")
    };
    let name = match seg {
        Seg::Key(k) => k.clone(),
        Seg::Index(i) => i.to_string(),
    };
    let next_walked = if walked.is_empty() {
        name.clone()
    } else {
        format!("{walked}.{name}")
    };
    match (cur, seg) {
        (Value::Table(t), _) => {
            if rest.is_empty() {
                t.insert(name, new);
                Ok(())
            } else {
                let child = t.entry(name).or_insert_with(|| Value::Table(Table::new()));
                set_in(child, rest, new, &next_walked)
            }
        }
        (Value::Array(a), Seg::Index(i)) => {
            let n = a.len();
            match a.get_mut(*i) {
                Some(child) => set_in(child, rest, new, &next_walked),
                None => Err(format!(
                    "{here} has {n} entries (indexes 0 to {}), no index {i}",
                    n.saturating_sub(1)
                )),
            }
        }
        (Value::Array(a), Seg::Key(k)) => Err(format!(
            "{here} is a list of {} entries: use an index 0 to {} instead of `{k}`",
            a.len(),
            a.len().saturating_sub(1)
        )),
        (_, _) => Err(format!(
            "{here} is a single value, so `{name}` cannot be set inside it"
        )),
    }
}

/// Checks that dotted `path` (from `[[sweep]]` or `[sensitivity]`) names a field of the
/// resolved scenario `table`: declared by the format, inside tables and lists that exist
/// and, with `numeric`, written as a number. Err: (message, help).
pub(crate) fn check_field_path(
    table: &Table,
    path: &str,
    numeric: bool,
) -> Result<(), (String, Option<String>)> {
    fields::check_path_size(path).map_err(|m| (m, None))?;
    let hint = || {
        let all = leaves(table);
        let names: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        nearest(path, &names).map(|n| format!("did you mean `{n}`?"))
    };
    let first = path.split('.').next().unwrap_or_default();
    if first == "sweep" || first == "sensitivity" || first == "optimise" {
        return Err((
            format!("`{path}` is a setting of the run, not a parameter of the fund"),
            None,
        ));
    }
    if !fields::is_field(path) {
        return Err((format!("no field `{path}` in a scenario"), hint()));
    }
    let segs = parse_path(path);
    let name = |s: &Seg| match s {
        Seg::Key(k) => k.clone(),
        Seg::Index(i) => i.to_string(),
    };
    let mut cur: Option<&Value> = None;
    for (depth, seg) in segs.iter().enumerate() {
        let next = match (cur, seg) {
            (None, s) => table.get(&name(s)),
            (Some(Value::Table(t)), s) => t.get(&name(s)),
            (Some(Value::Array(a)), Seg::Index(i)) => a.get(*i),
            _ => None,
        };
        let walked: Vec<String> = segs[..depth].iter().map(name).collect();
        let walked = walked.join(".");
        match (next, cur) {
            (Some(v), _) => cur = Some(v),
            // An optional field the scenario does not write may still be set.
            (None, None | Some(Value::Table(_))) if depth + 1 == segs.len() && !numeric => {
                return Ok(());
            }
            (None, Some(Value::Array(a))) => {
                return Err((
                    format!(
                        "`{walked}` has {} entries (indexes 0 to {}), no `{}`",
                        a.len(),
                        a.len().saturating_sub(1),
                        name(seg)
                    ),
                    None,
                ));
            }
            (None, Some(v)) if !v.is_table() => {
                return Err((
                    format!(
                        "`{walked}` is a single value, so `{}` is not in it",
                        name(seg)
                    ),
                    Some(format!("use `{walked}` itself")),
                ));
            }
            (None, _) => {
                let missing = if walked.is_empty() {
                    name(seg)
                } else {
                    format!("{walked}.{}", name(seg))
                };
                return Err((format!("`{missing}` is not in the scenario"), hint()));
            }
        }
    }
    if numeric && !matches!(cur, Some(Value::Integer(_) | Value::Float(_))) {
        return Err((
            format!("`{path}` is not a number in the scenario, so it cannot be moved"),
            Some("list numeric fields, e.g. ideas.fit_probability or ideas.value.median".into()),
        ));
    }
    Ok(())
}

/// The scenario with `settings` (path, value) applied to the resolved table, without its
/// sweep and sensitivity tables; problems are reported as coming from `label`.
pub fn variant(
    loaded: &Loaded,
    settings: &[(String, Value)],
    label: &str,
) -> Result<Scenario, ScenarioError> {
    let table = with_settings(loaded, settings, label)?;
    let relabel = |mut d: Diagnostic| {
        d.location = Some(Location {
            source: label.to_string(),
            line: None,
            column: None,
        });
        d
    };
    let built = build(&table).map_err(|diags| ScenarioError {
        diagnostics: diags.into_iter().map(relabel).collect(),
    })?;
    Ok(built.scenario)
}

/// The resolved table of `loaded` without its study tables (`[[sweep]]`,
/// `[sensitivity]`, `[optimise]`) and with `settings` applied, not yet validated.
pub fn with_settings(
    loaded: &Loaded,
    settings: &[(String, Value)],
    label: &str,
) -> Result<Table, ScenarioError> {
    let mut table = loaded.resolved.clone();
    table.remove("sweep");
    table.remove("sensitivity");
    table.remove("optimise");
    let relabel = |mut d: Diagnostic| {
        d.location = Some(Location {
            source: label.to_string(),
            line: None,
            column: None,
        });
        d
    };
    for (path, value) in settings {
        let o = SetOverride {
            text: format!("{path}={}", value_text(value)),
            path: parse_path(path),
            value: value.clone(),
        };
        apply_set(&mut table, &o).map_err(|e| ScenarioError {
            diagnostics: e.diagnostics.into_iter().map(relabel).collect(),
        })?;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_reaches_into_arrays_and_parses_values() {
        let mut t: Table = toml::from_str("[m]\nstages = [{ d = 1 }, { d = 2 }]\n").unwrap();
        let o = parse_set("m.stages.1.d=inf").unwrap();
        apply_set(&mut t, &o).unwrap();
        assert_eq!(t["m"]["stages"][1]["d"].as_float(), Some(f64::INFINITY));
        let o = parse_set("m.label=Pilot fund").unwrap();
        apply_set(&mut t, &o).unwrap();
        assert_eq!(t["m"]["label"].as_str(), Some("Pilot fund"));
        let o = parse_set("m.stages.5.d=1").unwrap();
        let e = apply_set(&mut t, &o).unwrap_err().to_string();
        assert!(e.contains("has 2 entries"), "{e}");
    }
}
