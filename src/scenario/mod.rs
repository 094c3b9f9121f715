//! Scenario input: TOML files (with `extends`) and `--set` overrides become a validated
//! [`Scenario`], or a [`ScenarioError`] that names the file, line, field and the fix.
//!
//! Pipeline: read each file (a regular file of at most 1 MiB, UTF-8) and parse it ->
//! deep-merge `extends` parents (a distribution is replaced whole) -> apply `--set` ->
//! check every number against its declaration ([`fields`]) -> deserialize into the raw
//! mirror -> validate cross-field rules -> locate every problem in its source.
//!
//! Modules: `read` (files and `extends`), `overrides` (`--set` and dotted paths),
//! [`fields`] (each field's unit and range, from the declarations in [`raw`]),
//! [`text`] (what text may hold), [`validate`] (cross-field rules), `sweep` (axes and
//! grid points), `locate` (messages and where each problem was written).

pub mod compare;
pub mod error;
pub mod fields;
mod locate;
mod overrides;
pub mod presets;
pub mod raw;
mod read;
mod sweep;
pub mod text;
pub mod validate;

use std::path::{Path, PathBuf};

pub use error::{Diagnostic, Location, ScenarioError};
pub(crate) use overrides::check_field_path;
pub use overrides::{Seg, parse_path, value_text, variant, whole, with_settings};
pub use read::{MAX_EXTENDS_DEPTH, MAX_FILE_BYTES, merge};
pub use sweep::{MAX_SWEEP_POINTS, SweepAxis, SweepPoint, add_sweeps, sweep_points};

use crate::model::Scenario;
use locate::{Inputs, locate_all, serde_diagnostic};
use overrides::{apply_set, parse_set};
use read::{read_chain, read_source};
use sweep::check_points;
use toml::{Table, Value};

/// The default scenario, compiled into the binary.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// How the embedded default scenario is named in messages.
pub const DEFAULT_LABEL: &str = "scenarios/default.toml (embedded)";

/// A scenario after loading: the validated model plus the fully resolved TOML.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// The merged table after `extends` and `--set`, as it was validated.
    pub resolved: Table,
    /// The file path (or embedded label) the scenario came from.
    pub origin: String,
    /// The text of that file as read (before `extends` and `--set`).
    pub text: String,
    /// Sweep axes from `[[sweep]]` and `--sweep`, in order (empty: a single run).
    pub sweep: Vec<SweepAxis>,
    /// Settings of `[sensitivity]`, if the file has the table.
    pub sensitivity: Option<SensitivitySpec>,
    /// Settings of `[optimise]`, if the file has the table.
    pub optimise: Option<crate::optimise::spec::OptimiseSpec>,
}

/// `[sensitivity]` after validation; `None` fields take the command's defaults.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensitivitySpec {
    /// Metric whose paired difference is measured.
    pub metric: Option<crate::metrics::Metric>,
    /// (baseline, challenger) model indexes.
    pub models: Option<(usize, usize)>,
    /// Relative move of parameters without a range (0..1).
    pub spread: Option<f64>,
    /// Portfolios per run.
    pub portfolios: Option<u64>,
    /// Parameters to move; `None`: every numeric parameter.
    pub parameters: Option<Vec<ParameterSpec>>,
}

/// One parameter listed in `[sensitivity]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterSpec {
    /// Dotted path, as for `--set`.
    pub path: String,
    /// (low, high) when declared; otherwise +- spread.
    pub range: Option<(f64, f64)>,
}

/// Every leaf of `table` with its dotted path (array items by index), in file order.
pub fn leaves(table: &Table) -> Vec<(String, Value)> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Table(t) => {
                for (k, x) in t {
                    walk(&join(prefix, k), x, out);
                }
            }
            Value::Array(a) if a.iter().all(|x| x.is_table()) && !a.is_empty() => {
                for (i, x) in a.iter().enumerate() {
                    walk(&join(prefix, &i.to_string()), x, out);
                }
            }
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    fn join(prefix: &str, k: &str) -> String {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    }
    let mut out = Vec::new();
    for (k, v) in table {
        walk(k, v, &mut out);
    }
    out
}

/// Whether the scenario field at dotted `path` is an amount of money (dollars), as its
/// declaration in `raw.rs` says (a distribution's location parameters included).
pub fn is_dollars(path: &str) -> bool {
    fields::spec(path).is_some_and(|s| s.unit == "dollars")
}

/// Whether the scenario field at dotted `path` holds a whole number (a count), as its
/// declaration in `raw.rs` says.
pub fn is_count(path: &str) -> bool {
    fields::spec(path).is_some_and(|s| s.integer)
}

impl Loaded {
    /// The resolved scenario as TOML text.
    pub fn resolved_toml(&self) -> String {
        toml::to_string(&self.resolved).unwrap_or_default()
    }

    /// The resolved scenario as TOML text with every sweep axis (from the file and from
    /// `--sweep`) as a `[[sweep]]` entry.
    pub fn resolved_sweep_toml(&self) -> String {
        let mut table = self.resolved.clone();
        let axes: Vec<Value> = self
            .sweep
            .iter()
            .map(|a| {
                let mut t = Table::new();
                t.insert("path".into(), Value::String(a.path.clone()));
                t.insert("values".into(), Value::Array(a.values.clone()));
                Value::Table(t)
            })
            .collect();
        table.insert("sweep".into(), Value::Array(axes));
        toml::to_string(&table).unwrap_or_default()
    }

    /// A folder-friendly name: the file stem (`default` for the embedded scenario),
    /// lower case, with runs of other characters turned into single dashes.
    pub fn slug(&self) -> String {
        let stem = if self.origin == DEFAULT_LABEL {
            "default".to_string()
        } else if presets::is_embedded(&self.origin) {
            // `scenarios/us-10x.toml (embedded)`: the preset's name.
            let file = self.origin.trim_end_matches(" (embedded)");
            Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            Path::new(&self.origin)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let mut slug = String::new();
        for c in stem.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_matches('-').to_string();
        if slug.is_empty() {
            "scenario".into()
        } else {
            slug
        }
    }
}

/// Index of the funding model with key `key`; the error, named after `flag` (the
/// option or field that gave the key), lists the models there are.
pub fn model_index(s: &Scenario, key: &str, flag: &str) -> Result<usize, ScenarioError> {
    s.models.iter().position(|m| m.name == key).ok_or_else(|| {
        let keys: Vec<&str> = s.models.iter().map(|m| m.name.as_str()).collect();
        ScenarioError::source(
            flag,
            format!("no funding model `{key}`; models here: {}", keys.join(", ")),
        )
    })
}

/// Fields of `s` whose text has no French (a French report shows their English), as
/// paths: `name`, `models.KEY.label`, `models.KEY.stages.I.name` ...
pub fn untranslated(s: &Scenario) -> Vec<String> {
    let lang = crate::model::Lang::Fr;
    let mut out = Vec::new();
    for (path, text) in [
        ("name", &s.name),
        ("description", &s.description),
        ("classification", &s.classification),
    ] {
        if text.lacks(lang) {
            out.push(path.to_string());
        }
    }
    for m in &s.models {
        if m.label.lacks(lang) {
            out.push(format!("models.{}.label", m.name));
        }
        for (i, st) in m.stages.iter().enumerate() {
            if st.name.lacks(lang) {
                out.push(format!("models.{}.stages.{i}.name", m.name));
            }
        }
    }
    out
}

/// The warning for a scenario whose French outputs would show English text, if any.
pub fn untranslated_warning(loaded: &Loaded) -> Option<String> {
    let missing = untranslated(&loaded.scenario);
    (!missing.is_empty()).then(|| {
        format!(
            "warning: {}: no French text for {}; the French report and charts show the English. \
             Give each as a table of languages, e.g. label = {{ en = \"Stage-gated\", fr = \"Par étapes\" }}",
            loaded.origin,
            missing.join(", ")
        )
    })
}

/// The JSON Schema of scenario files, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(raw::RawScenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// Loads and validates a scenario file, applying `--set` overrides.
pub fn load_file(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let label = path.display().to_string();
    let text = read_source(path, &label)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let seen: Vec<PathBuf> = path.canonicalize().into_iter().collect();
    load_chain(&label, &text, Some(&dir), sets, seen)
}

/// Loads the scenario `arg` names: a file, or when no file of that name exists, the
/// shipped preset of that name (`us-10x`, `us-10x.toml`); errors list the presets.
pub fn load_named(arg: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    if !arg.exists()
        && let Some(p) = arg.to_str().and_then(presets::find)
    {
        return load_text(&p.label(), p.text, None, sets);
    }
    if !arg.exists() && arg.extension().is_none() && arg.components().count() == 1 {
        return Err(ScenarioError::source(
            arg.display().to_string(),
            format!(
                "no scenario file `{}` here, and no shipped preset of that name; presets: {}                  (budgetsim presets lists them)",
                arg.display(),
                presets::names()
            ),
        ));
    }
    load_file(arg, sets)
}

/// Loads the embedded default scenario, applying `--set` overrides.
pub fn load_default(sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_text(DEFAULT_LABEL, DEFAULT_SCENARIO, None, sets)
}

/// Loads a scenario from text. `dir` resolves `extends` (None: `extends` is an error).
pub fn load_text(
    label: &str,
    text: &str,
    dir: Option<&Path>,
    sets: &[String],
) -> Result<Loaded, ScenarioError> {
    load_chain(label, text, dir, sets, Vec::new())
}

/// As [`load_text`], with `seen` the canonical path of the file the text came from.
fn load_chain(
    label: &str,
    text: &str,
    dir: Option<&Path>,
    sets: &[String],
    mut seen: Vec<PathBuf>,
) -> Result<Loaded, ScenarioError> {
    let mut files = Vec::new();
    let mut table = read_chain(label, text, dir, &mut files, &mut seen)?;
    let mut parsed_sets = Vec::new();
    for s in sets {
        let o = parse_set(s)?;
        apply_set(&mut table, &o)?;
        parsed_sets.push(o);
    }
    let inputs = Inputs {
        files,
        sets: parsed_sets,
    };
    let built = build(&table).map_err(|diags| locate_all(&inputs, diags))?;
    check_points(&built.sweep)?;
    Ok(Loaded {
        scenario: built.scenario,
        resolved: table,
        origin: label.to_string(),
        text: text.to_string(),
        sweep: built.sweep,
        sensitivity: built.sensitivity,
        optimise: built.optimise,
    })
}

/// Deserializes and validates the merged table.
/// What a resolved table validates into.
pub(super) struct Built {
    scenario: Scenario,
    sweep: Vec<SweepAxis>,
    sensitivity: Option<SensitivitySpec>,
    optimise: Option<crate::optimise::spec::OptimiseSpec>,
}

pub(super) fn build(table: &Table) -> Result<Built, Vec<Diagnostic>> {
    let text_problems = text::check(table);
    if !text_problems.is_empty() {
        return Err(text_problems);
    }
    // Every number against its declaration first, so range problems are reported even
    // when another field has the wrong type.
    let mut checker = validate::Checker {
        diagnostics: fields::check_table(table),
    };
    let raw: raw::RawScenario = match serde_path_to_error::deserialize(Value::Table(table.clone()))
    {
        Ok(raw) => raw,
        Err(e) => {
            checker.diagnostics.push(serde_diagnostic("", e));
            return Err(checker.diagnostics);
        }
    };
    let mut models = Vec::new();
    for (index, (name, value)) in raw.models.iter().enumerate() {
        match serde_path_to_error::deserialize::<_, raw::RawModel>(value.clone()) {
            Ok(m) => models.push(validate::model(&mut checker, name, index, &m)),
            Err(e) => checker
                .diagnostics
                .push(serde_diagnostic(&format!("models.{name}"), e)),
        }
    }
    let scenario = validate::scenario(&mut checker, &raw, models);
    let sweep = validate::sweep(&mut checker, &raw.sweep, table);
    let sensitivity = raw
        .sensitivity
        .as_ref()
        .map(|s| validate::sensitivity(&mut checker, s, &scenario.models, table));
    let optimise = raw.optimise.as_ref().map(|o| {
        crate::optimise::spec::validate(o, &scenario, table, &mut |path, message, help| {
            checker.error(path, message, help)
        })
    });
    if checker.diagnostics.is_empty() {
        Ok(Built {
            scenario,
            sweep,
            sensitivity,
            optimise,
        })
    } else {
        Err(checker.diagnostics)
    }
}
