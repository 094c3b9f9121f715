//! `budgetsim compare`: the funding models of several scenario files, run together on
//! one world. Files whose worlds (fund, ideas, risk, vendors, horizon and discount rate)
//! are the same become one scenario holding every model, so each model meets the same
//! ideas and draws as the others and the comparison is paired; files whose worlds
//! differ are refused, naming the fields that differ.

use toml::{Table, Value};

use super::{Loaded, value_text};
use crate::model::Role;

/// Top-level tables that describe the file rather than the world its models run in.
const NOT_WORLD: [&str; 7] = [
    "models",
    "name",
    "description",
    "classification",
    "sweep",
    "sensitivity",
    "extends",
];

/// Monte Carlo settings: how a world is sampled, not what it is. The first file's (or
/// `--seed`, `--portfolios`) are used.
const SAMPLING: [&str; 2] = ["seed", "portfolios"];

/// One scenario file to compare: a short name for it (its file stem) and its scenario.
pub struct Source {
    /// File stem, used to tell apart models that share a key.
    pub stem: String,
    /// The file as loaded (after `extends` and `--set`).
    pub loaded: Loaded,
}

/// Whether two validated scenarios describe the same world.
fn same_world(a: &crate::model::Scenario, b: &crate::model::Scenario) -> bool {
    a.fund == b.fund
        && a.ideas == b.ideas
        && a.risk == b.risk
        && a.vendors == b.vendors
        && a.simulation.horizon_months == b.simulation.horizon_months
        && a.simulation.discount_rate == b.simulation.discount_rate
}

/// The world part of a resolved scenario table.
fn world(t: &Table) -> Table {
    let mut w: Table = t
        .iter()
        .filter(|(k, _)| !NOT_WORLD.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(Value::Table(sim)) = w.get_mut("simulation") {
        sim.retain(|k, _| !SAMPLING.contains(&k));
    }
    w
}

/// The dotted paths where tables `a` and `b` differ, each with both values
/// ("ideas.fit_probability: 0.7 in a, 0.95 in b").
fn differences(a: &Value, b: &Value, path: &str, names: (&str, &str), out: &mut Vec<String>) {
    match (a, b) {
        (Value::Table(x), Value::Table(y)) => {
            let mut keys: Vec<&String> = x.keys().collect();
            keys.extend(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => differences(u, v, &sub, names, out),
                    (Some(u), None) => out.push(format!(
                        "{sub}: {} in {}, not set in {}",
                        short(u),
                        names.0,
                        names.1
                    )),
                    (None, Some(v)) => out.push(format!(
                        "{sub}: not set in {}, {} in {}",
                        names.0,
                        short(v),
                        names.1
                    )),
                    (None, None) => {}
                }
            }
        }
        _ if a != b => out.push(format!(
            "{path}: {} in {}, {} in {}",
            short(a),
            names.0,
            short(b),
            names.1
        )),
        _ => {}
    }
}

/// A value as a message shows it.
fn short(v: &Value) -> String {
    super::fields::shortened(&value_text(v))
}

/// Why the files cannot be compared on one world: every field where a later file's
/// world differs from the first's. None when every world is the first's.
pub fn mismatch(sources: &[Source]) -> Option<String> {
    let first = sources.first()?;
    let mut out = Vec::new();
    for other in &sources[1..] {
        if same_world(&first.loaded.scenario, &other.loaded.scenario) {
            continue;
        }
        let before = out.len();
        differences(
            &Value::Table(world(&first.loaded.resolved)),
            &Value::Table(world(&other.loaded.resolved)),
            "",
            (&first.loaded.origin, &other.loaded.origin),
            &mut out,
        );
        if out.len() == before {
            // Equal as written, different once defaults are filled in.
            out.push(format!(
                "{} and {}: a value left to its default in one is set in the other",
                first.loaded.origin, other.loaded.origin
            ));
        }
    }
    if out.is_empty() {
        return None;
    }
    Some(out.join("\n  "))
}

/// A model key made from a file stem and a key, in the characters keys may hold.
fn prefixed(stem: &str, key: &str) -> String {
    let stem: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{stem}_{key}")
}

/// `label` (a string or a table of languages) with ` (stem)` after each text.
fn label_with(label: &Value, stem: &str) -> Value {
    match label {
        Value::String(s) => Value::String(format!("{s} ({stem})")),
        Value::Table(t) => Value::Table(
            t.iter()
                .map(|(k, v)| (k.clone(), label_with(v, stem)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Longest file name put after a label or in the combined scenario's name, in
/// characters (labels may hold 80, names 150).
const STEM_CHARS: usize = 24;

/// `stem`, cut to [`STEM_CHARS`] characters.
fn cut(stem: &str) -> String {
    if stem.chars().count() <= STEM_CHARS {
        stem.to_string()
    } else {
        let kept: String = stem.chars().take(STEM_CHARS - 1).collect();
        format!("{kept}…")
    }
}

/// The name the combined scenario goes by (its default output folder): `compare-` and
/// the files' stems, or their count when the stems would make too long a folder name.
pub fn origin(sources: &[Source]) -> String {
    let stems: Vec<String> = sources.iter().map(|s| cut(&s.stem)).collect();
    let joined = stems.join("-");
    if joined.chars().count() <= 120 {
        format!("compare-{joined}")
    } else {
        format!("compare-{}-files", stems.len())
    }
}

/// The classification the combined scenario carries: the files' common one, or None
/// when they carry different ones (no rule says which is the more restrictive).
pub fn classification(sources: &[Source]) -> Result<Option<Value>, String> {
    let mut found: Option<(&str, &Value)> = None;
    for s in sources {
        let Some(c) = s.loaded.resolved.get("classification") else {
            continue;
        };
        match found {
            Some((_, first)) if first == c => {}
            Some((origin, first)) => {
                return Err(format!(
                    "classification: {} in {origin}, {} in {}",
                    short(first),
                    short(c),
                    s.loaded.origin
                ));
            }
            None => found = Some((&s.loaded.origin, c)),
        }
    }
    Ok(found.map(|(_, c)| c.clone()))
}

/// What the files hold that a comparison does not run: their sweeps and `[sensitivity]`
/// tables, one line per file and table.
pub fn left_out(sources: &[Source]) -> Vec<String> {
    let mut out = Vec::new();
    for s in sources {
        for (key, what) in [("sweep", "[[sweep]]"), ("sensitivity", "[sensitivity]")] {
            if s.loaded.resolved.contains_key(key) {
                out.push(format!(
                    "the {what} of {} is not run: compare makes one run",
                    s.loaded.origin
                ));
            }
        }
    }
    out
}

/// The scenario holding every model of `sources` on the first file's world, as TOML
/// text, with `classification` (from [`classification`]). Models come in file order;
/// a model the same as one already taken (equal once validated: key, label, role and
/// every rule) is taken once. A model whose key is taken by a different model is keyed
/// `<stem>_<key>` (with `_2`, `_3`... until no file uses the key), with its file's name
/// after its label when another model has that label. Each model keeps the role it has
/// in its own file. Sweeps and `[sensitivity]` are left out: the comparison is one run.
pub fn combine(sources: &[Source], classification: Option<Value>) -> String {
    let Some(first) = sources.first() else {
        return String::new();
    };
    let mut table = first.loaded.resolved.clone();
    for key in ["sweep", "sensitivity", "extends", "classification"] {
        table.remove(key);
    }
    if let Some(c) = classification {
        table.insert("classification".into(), c);
    }
    let stems: Vec<String> = sources.iter().map(|s| cut(&s.stem)).collect();
    let joined = if stems.iter().map(|s| s.chars().count() + 2).sum::<usize>() <= 120 {
        stems.join(", ")
    } else {
        format!("{} files", stems.len())
    };
    let mut name = Table::new();
    name.insert("en".into(), Value::String(format!("Compared: {joined}")));
    name.insert(
        "fr".into(),
        Value::String(format!("Comparaison\u{202f}: {joined}")),
    );
    table.insert("name".into(), Value::Table(name));
    let mut description = Table::new();
    description.insert(
        "en".into(),
        Value::String(format!(
            "The funding models of {joined}, run together on the same ideas, risks, vendors and fund."
        )),
    );
    description.insert(
        "fr".into(),
        Value::String(format!(
            "Les modes de financement de {joined}, simulés ensemble sur les mêmes idées, risques, fournisseurs et fonds."
        )),
    );
    table.insert("description".into(), Value::Table(description));
    // Keys written in some file: a renamed model never takes one of them.
    let literal: Vec<&String> = sources
        .iter()
        .filter_map(|s| s.loaded.resolved.get("models").and_then(Value::as_table))
        .flat_map(|m| m.keys())
        .collect();
    let mut models = Table::new();
    // Models taken so far, as validated (their key is their `name`).
    let mut taken: Vec<&crate::model::FundingModel> = Vec::new();
    for source in sources {
        let Some(Value::Table(own)) = source.loaded.resolved.get("models") else {
            continue;
        };
        for (i, (key, model)) in own.iter().enumerate() {
            let Some(validated) = source.loaded.scenario.models.get(i) else {
                continue;
            };
            // The same model under the same key in another file: run it once.
            if taken.contains(&validated) {
                continue;
            }
            let mut model = model.clone();
            if let Value::Table(m) = &mut model {
                let role = match validated.role {
                    Role::Challenger => "challenger",
                    Role::Baseline => "baseline",
                };
                m.insert("role".into(), Value::String(role.into()));
            }
            let key = if models.contains_key(key) {
                let base = prefixed(&source.stem, key);
                let free = |k: &String| !models.contains_key(k) && !literal.contains(&k);
                let mut candidate = base.clone();
                let mut n = 1;
                while !free(&candidate) {
                    n += 1;
                    candidate = format!("{base}_{n}");
                }
                if let Value::Table(m) = &mut model {
                    let label = m
                        .get("label")
                        .cloned()
                        .unwrap_or_else(|| Value::String(key.clone()));
                    // Legends must tell the two apart: the file's name after a label
                    // another model already has.
                    let clash = models
                        .values()
                        .any(|other| other.get("label") == Some(&label));
                    if clash || m.get("label").is_none() {
                        m.insert("label".into(), label_with(&label, &cut(&source.stem)));
                    }
                }
                candidate
            } else {
                key.clone()
            };
            taken.push(validated);
            models.insert(key, model);
        }
    }
    table.insert("models".into(), Value::Table(models));
    toml::to_string(&table).unwrap_or_default()
}
