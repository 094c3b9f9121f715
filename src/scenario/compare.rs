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

/// Most differences listed in a refusal.
const SHOWN: usize = 12;

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
    let more = out.len().saturating_sub(SHOWN);
    out.truncate(SHOWN);
    let mut text = out.join("\n  ");
    if more > 0 {
        text.push_str(&format!("\n  ... and {more} more"));
    }
    Some(text)
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

/// The scenario holding every model of `sources` on the first file's world, as TOML
/// text: models in file order; a model identical to one already taken (same key, same
/// fields) is taken once; a model whose key is taken by a different model gets the
/// file's stem before its key (`cds_accelerator_stage_gated`), and after its label when
/// another model has that label.
/// Each model keeps the role it has in its own file. Sweeps and `[sensitivity]` are
/// left out: the comparison is one run.
pub fn combine(sources: &[Source]) -> String {
    let Some(first) = sources.first() else {
        return String::new();
    };
    let mut table = first.loaded.resolved.clone();
    table.remove("sweep");
    table.remove("sensitivity");
    table.remove("extends");
    let stems: Vec<&str> = sources.iter().map(|s| s.stem.as_str()).collect();
    let joined = stems.join(", ");
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
    let mut models = Table::new();
    for source in sources {
        let Some(Value::Table(own)) = source.loaded.resolved.get("models") else {
            continue;
        };
        for (i, (key, model)) in own.iter().enumerate() {
            let mut model = model.clone();
            if let Value::Table(m) = &mut model {
                let role = match source.loaded.scenario.models.get(i).map(|m| m.role) {
                    Some(Role::Challenger) => "challenger",
                    _ => "baseline",
                };
                m.insert("role".into(), Value::String(role.into()));
            }
            match models.get(key) {
                Some(taken) if *taken == model => {}
                Some(_) => {
                    let mut renamed = model.clone();
                    if let Value::Table(m) = &mut renamed {
                        let label = m
                            .get("label")
                            .cloned()
                            .unwrap_or_else(|| Value::String(key.clone()));
                        // Legends must tell the two apart: the file's name after a label
                        // another model already has.
                        let taken = models
                            .values()
                            .any(|other| other.get("label") == Some(&label));
                        if taken || m.get("label").is_none() {
                            m.insert("label".into(), label_with(&label, &source.stem));
                        }
                    }
                    models.insert(prefixed(&source.stem, key), renamed);
                }
                None => {
                    models.insert(key.clone(), model);
                }
            }
        }
    }
    table.insert("models".into(), Value::Table(models));
    toml::to_string(&table).unwrap_or_default()
}
