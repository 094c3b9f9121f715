//! Scenario input: TOML files (with `extends`) and `--set` overrides become a validated
//! [`Scenario`], or a [`ScenarioError`] that names the file, line, field and the fix.
//!
//! Pipeline: read each file (a regular file of at most 1 MiB, UTF-8) and parse it ->
//! deep-merge `extends` parents (a distribution is replaced whole) -> apply `--set` ->
//! check every number against its declaration ([`fields`]) -> deserialize into the raw
//! mirror -> validate cross-field rules -> locate every problem in its source.

pub mod error;
pub mod fields;
pub mod raw;
pub mod text;
pub mod validate;

use std::path::{Path, PathBuf};

pub use error::{Diagnostic, Location, ScenarioError};

use crate::model::Scenario;
use error::nearest;
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

/// The scenario with `settings` (path, value) applied to the resolved table, without its
/// sweep and sensitivity tables; problems are reported as coming from `label`.
pub fn variant(
    loaded: &Loaded,
    settings: &[(String, Value)],
    label: &str,
) -> Result<Scenario, ScenarioError> {
    let mut table = loaded.resolved.clone();
    table.remove("sweep");
    table.remove("sensitivity");
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
    let built = build(&table).map_err(|diags| ScenarioError {
        diagnostics: diags.into_iter().map(relabel).collect(),
    })?;
    Ok(built.scenario)
}

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

/// `x` as an integer when it is whole and exactly representable (below 2^53).
pub fn whole(x: f64) -> Option<i64> {
    const EXACT: f64 = (1u64 << 53) as f64;
    (x.fract() == 0.0 && x.abs() < EXACT).then_some(x as i64)
}

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
fn distinct_axes(axes: &[SweepAxis]) -> Result<(), ScenarioError> {
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

fn check_points(axes: &[SweepAxis]) -> Result<(), ScenarioError> {
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
            let scenario = variant(loaded, &settings, &format!("sweep point {label}"))?;
            Ok(SweepPoint { settings, scenario })
        })
        .collect()
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

/// The JSON Schema of scenario files, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(raw::RawScenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
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
struct SetOverride {
    text: String,
    path: Vec<Seg>,
    value: Value,
}

/// A source file's text, kept to locate problems after merging.
struct Source {
    label: String,
    text: String,
}

struct Inputs {
    files: Vec<Source>,
    sets: Vec<SetOverride>,
}

/// Largest scenario file (and `extends` parent) read, in bytes: the shipped scenarios
/// are under 20 kB, and a bigger file is most likely not a scenario.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Most files in an `extends` chain (the file itself and its ancestors).
pub const MAX_EXTENDS_DEPTH: usize = 64;

/// Reads a scenario file: a regular file of at most [`MAX_FILE_BYTES`], in UTF-8. The
/// kind and size are checked before reading, and the file is opened without blocking,
/// so a pipe, a device (`/dev/zero`) or a 50 MB file is refused at once, not read.
fn read_source(path: &Path, label: &str) -> Result<String, ScenarioError> {
    let refuse = |m: String| ScenarioError::source(label, m);
    let special = ["/dev/", "/proc/"];
    if special.iter().any(|p| path.starts_with(p)) {
        return Err(refuse(format!(
            "{} is not a scenario file: give the path of a .toml file on disk (standard input, devices and pipes are not read)",
            path.display()
        )));
    }
    let kind_and_size = |m: &std::fs::Metadata| -> Result<(), ScenarioError> {
        if !m.is_file() {
            let kind = if m.is_dir() {
                "a folder"
            } else {
                "not a regular file (a pipe, socket or device)"
            };
            return Err(refuse(format!(
                "cannot read scenario file: {} is {kind}; give the path of a .toml file",
                path.display()
            )));
        }
        if m.len() > MAX_FILE_BYTES {
            return Err(refuse(format!(
                "cannot read scenario file: it is {} bytes, more than the {MAX_FILE_BYTES} (1 MiB) a scenario may have",
                m.len()
            )));
        }
        Ok(())
    };
    let meta =
        std::fs::metadata(path).map_err(|e| refuse(format!("cannot read scenario file: {e}")))?;
    kind_and_size(&meta)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Had the path become a pipe since the check, opening must not wait for a writer.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| refuse(format!("cannot read scenario file: {e}")))?;
    // The file opened is the one read: check it again, not the path.
    kind_and_size(
        &file
            .metadata()
            .map_err(|e| refuse(format!("cannot read scenario file: {e}")))?,
    )?;
    let mut bytes = Vec::new();
    use std::io::Read;
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(format!("cannot read scenario file: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(refuse(format!(
            "cannot read scenario file: it grew past the {MAX_FILE_BYTES} bytes (1 MiB) a scenario may have while being read"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let text = String::from_utf8_lossy(&bytes[..good]);
        let (line, column) = line_col(&text, good);
        ScenarioError {
            diagnostics: vec![Diagnostic {
                location: Some(Location {
                    source: label.to_string(),
                    line: Some(line),
                    column: Some(column),
                }),
                path: None,
                message: format!(
                    "the file is not UTF-8 text: byte 0x{:02x} here is not valid UTF-8",
                    bytes[good]
                ),
                help: Some("save the scenario as UTF-8 text".into()),
            }],
        }
    })
}

/// Loads and validates a scenario file, applying `--set` overrides.
pub fn load_file(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let label = path.display().to_string();
    let text = read_source(path, &label)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let seen: Vec<PathBuf> = path.canonicalize().into_iter().collect();
    load_chain(&label, &text, Some(&dir), sets, seen)
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
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn syntax_error(label: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
    let (line, column) = e
        .span()
        .map(|s| line_col(text, s.start))
        .map_or((None, None), |(l, c)| (Some(l), Some(c)));
    ScenarioError {
        diagnostics: vec![Diagnostic {
            location: Some(Location {
                source: label.to_string(),
                line,
                column,
            }),
            path: None,
            message: format!("invalid TOML: {}", e.message().trim()),
            help: Some("check quotes, brackets and `key = value` syntax near this position".into()),
        }],
    }
}

/// Reads a file and its `extends` ancestors; returns the merged table. `files` receives
/// the sources, most specific first.
fn read_chain(
    label: &str,
    text: &str,
    dir: Option<&Path>,
    files: &mut Vec<Source>,
    seen: &mut Vec<PathBuf>,
) -> Result<Table, ScenarioError> {
    let mut table: Table = toml::from_str(text).map_err(|e| syntax_error(label, text, &e))?;
    files.push(Source {
        label: label.to_string(),
        text: text.to_string(),
    });
    let Some(ext) = table.remove("extends") else {
        return Ok(table);
    };
    let here = |message: String, help: Option<String>| {
        let mut err = locate_all(
            &Inputs {
                files: vec![Source {
                    label: label.to_string(),
                    text: text.to_string(),
                }],
                sets: vec![],
            },
            vec![Diagnostic {
                location: None,
                path: Some("extends".into()),
                message,
                help,
            }],
        );
        err.diagnostics.truncate(1);
        err
    };
    let Value::String(parent) = ext else {
        return Err(here("must be a file path in quotes".into(), None));
    };
    let Some(dir) = dir else {
        return Err(here(
            format!("`extends = \"{parent}\"` cannot be resolved here"),
            None,
        ));
    };
    let path = dir.join(&parent);
    let canonical = path.canonicalize().map_err(|e| {
        here(
            format!("cannot read extends file `{}`: {e}", path.display()),
            Some("the path is relative to the file that extends it".into()),
        )
    })?;
    if seen.contains(&canonical) {
        return Err(here(
            format!("`extends` forms a cycle through `{}`", path.display()),
            Some("a scenario cannot extend itself or a file that extends it".into()),
        ));
    }
    // A long chain without a repeat is not a cycle, but it has a limit of its own.
    if files.len() >= MAX_EXTENDS_DEPTH {
        return Err(here(
            format!(
                "the `extends` chain is longer than {MAX_EXTENDS_DEPTH} files (at `{}`)",
                path.display()
            ),
            Some("extend the shared parent directly instead of through a long chain".into()),
        ));
    }
    seen.push(canonical);
    let parent_text = read_source(&path, &path.display().to_string()).map_err(|e| {
        let mut e = e;
        if let Some(d) = e.diagnostics.first_mut()
            && d.location.as_ref().is_some_and(|l| l.line.is_none())
        {
            // Where the file is named (the `extends` line) says more than the file itself.
            let why = d.message.trim_start_matches("cannot read scenario file: ");
            let at = here(
                format!("cannot read extends file `{}`: {why}", path.display()),
                None,
            );
            return at;
        }
        e.diagnostics.truncate(1);
        e
    })?;
    let parent_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut base = read_chain(
        &path.display().to_string(),
        &parent_text,
        Some(&parent_dir),
        files,
        seen,
    )?;
    merge(&mut base, table);
    Ok(base)
}

/// Deep merge: tables merge key by key; any other value (arrays included) replaces.
/// A distribution (a number or a `{ dist = ... }` table, as declared in `raw.rs`) is
/// replaced whole, so a child can switch its parent's form (median and p90 to mean and
/// cv) without inheriting parameters it never wrote.
pub fn merge(base: &mut Table, over: Table) {
    merge_at("", base, over);
}

fn merge_at(prefix: &str, base: &mut Table, over: Table) {
    for (k, v) in over {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) if !fields::is_distribution(&path) => {
                merge_at(&path, b, o)
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn parse_set(text: &str) -> Result<SetOverride, ScenarioError> {
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
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()));
    Ok(SetOverride {
        text: text.to_string(),
        path: parse_path(path),
        value,
    })
}

fn apply_set(table: &mut Table, o: &SetOverride) -> Result<(), ScenarioError> {
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
fn set_in(cur: &mut Value, path: &[Seg], new: Value, walked: &str) -> Result<(), String> {
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
    if first == "sweep" || first == "sensitivity" {
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

/// Turns serde's message into a diagnostic, with a suggestion for unknown names.
fn serde_diagnostic(prefix: &str, e: serde_path_to_error::Error<toml::de::Error>) -> Diagnostic {
    let mut path = prefix.to_string();
    for seg in e.path().iter() {
        let s = match seg {
            serde_path_to_error::Segment::Seq { index } => index.to_string(),
            serde_path_to_error::Segment::Map { key } => key.clone(),
            serde_path_to_error::Segment::Enum { variant } => variant.clone(),
            serde_path_to_error::Segment::Unknown => continue,
        };
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&s);
    }
    let message = e.inner().message().trim().to_string();
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    // serde_path_to_error sometimes already ends the path with the offending key.
    let join = |p: &str, k: &str| {
        if p.is_empty() || p == k {
            k.to_string()
        } else if p.ends_with(&format!(".{k}")) {
            p.to_string()
        } else {
            format!("{p}.{k}")
        }
    };
    let suggest = |name: &str, allowed: &[&str]| match nearest(name, allowed) {
        Some(n) => format!("did you mean `{n}`? Allowed here: {}", allowed.join(", ")),
        None => format!("allowed here: {}", allowed.join(", ")),
    };
    if message.starts_with("unknown field ")
        && let Some((name, allowed)) = ticked.split_first()
    {
        return Diagnostic {
            location: None,
            path: Some(join(&path, name)),
            message: format!("unknown field `{name}`"),
            help: Some(suggest(name, allowed)),
        };
    }
    if message.starts_with("unknown variant ")
        && let Some((name, allowed)) = ticked.split_first()
    {
        return Diagnostic {
            location: None,
            path: Some(path),
            message: format!("unknown value `{name}`"),
            help: Some(suggest(name, allowed)),
        };
    }
    if message.starts_with("missing field ")
        && let Some(name) = ticked.first()
    {
        return Diagnostic {
            location: None,
            path: Some(join(&path, name)),
            message: "missing: this field is required".into(),
            help: Some(format!(
                "add `{name} = ...` here; scenarios/default.toml shows every field with its units"
            )),
        };
    }
    // "invalid type: string \"abc\", expected f64": say it in the analyst's words.
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        // Enum fields (`commitment`, `selection`...) expect one of their names as text.
        if expected == "string only" {
            return Diagnostic {
                location: None,
                path: (!path.is_empty()).then_some(path),
                message: "expected one of this field's choices, as quoted text".into(),
                help: Some(
                    "scenarios/default.toml lists the choices beside the field, e.g. \
                     commitment = \"stage\""
                        .into(),
                ),
            };
        }
        let (kind, example) = match expected {
            "f64" | "f32" => ("a number", "1.5 or 50_000_000"),
            "u64" | "u32" | "u16" | "u8" | "usize" | "i64" | "i32" | "i16" | "i8" | "isize" => {
                ("a whole number", "12 or 2_000")
            }
            "a boolean" => ("true or false", "true"),
            other => (other, ""),
        };
        let quotes = if found.starts_with("string") {
            " without quotes"
        } else {
            ""
        };
        let help = (!example.is_empty()).then(|| format!("write {kind}{quotes}, e.g. {example}"));
        return Diagnostic {
            location: None,
            path: (!path.is_empty()).then_some(path),
            message: format!("expected {kind}, found {found}"),
            help,
        };
    }
    Diagnostic {
        location: None,
        path: (!path.is_empty()).then_some(path),
        message,
        help: None,
    }
}

/// Deserializes and validates the merged table.
/// What a resolved table validates into.
struct Built {
    scenario: Scenario,
    sweep: Vec<SweepAxis>,
    sensitivity: Option<SensitivitySpec>,
}

fn build(table: &Table) -> Result<Built, Vec<Diagnostic>> {
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
    if checker.diagnostics.is_empty() {
        Ok(Built {
            scenario,
            sweep,
            sensitivity,
        })
    } else {
        Err(checker.diagnostics)
    }
}

fn locate_all(inputs: &Inputs, diags: Vec<Diagnostic>) -> ScenarioError {
    ScenarioError {
        diagnostics: diags
            .into_iter()
            .map(|mut d| {
                if d.location.is_none() {
                    d.location = d
                        .path
                        .as_deref()
                        .and_then(|p| locate(inputs, &parse_path(p)));
                }
                d
            })
            .collect(),
    }
}

fn is_prefix(a: &[Seg], b: &[Seg]) -> bool {
    a.len() <= b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Finds where `path` was written: the last `--set` that touched it, else the most
/// specific file defining it, else the file with the deepest enclosing table.
fn locate(inputs: &Inputs, path: &[Seg]) -> Option<Location> {
    if let Some(s) = inputs
        .sets
        .iter()
        .rev()
        .find(|s| is_prefix(&s.path, path) || is_prefix(path, &s.path) && !path.is_empty())
    {
        return Some(Location {
            source: format!("--set {}", fields::shortened(&s.text)),
            line: None,
            column: None,
        });
    }
    let mut best: Option<(usize, Location)> = None;
    for f in &inputs.files {
        let Ok(doc) = toml::de::DeTable::parse(&f.text) else {
            continue;
        };
        let (depth, span) = find_span(doc.get_ref(), path);
        let better = best.as_ref().is_none_or(|(d, _)| depth > *d);
        if better {
            let (line, column) = span.map_or((None, None), |s| {
                let (l, c) = line_col(&f.text, s);
                (Some(l), Some(c))
            });
            best = Some((
                depth,
                Location {
                    source: f.label.clone(),
                    line,
                    column,
                },
            ));
        }
        if depth == path.len() {
            break;
        }
    }
    best.map(|(_, l)| l)
}

/// Depth of the longest prefix of `path` present in `doc`, and the byte offset of it.
fn find_span(doc: &toml::de::DeTable<'_>, path: &[Seg]) -> (usize, Option<usize>) {
    use toml::de::DeValue;
    let mut table = Some(doc);
    let mut array: Option<&toml::de::DeArray<'_>> = None;
    let mut found = (0, None);
    for (depth, seg) in path.iter().enumerate() {
        let item = match (seg, table, array) {
            (Seg::Key(k), Some(t), _) => t
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == k.as_str())
                .map(|(key, v)| (key.span().start, v)),
            (Seg::Index(i), Some(t), _) => t
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == i.to_string())
                .map(|(key, v)| (key.span().start, v)),
            (Seg::Index(i), None, Some(a)) => a.get(*i).map(|v| (v.span().start, v)),
            _ => None,
        };
        let Some((offset, value)) = item else { break };
        found = (depth + 1, Some(offset));
        table = None;
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(a),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn merge_is_deep_for_tables_and_replaces_arrays() {
        let mut base = table("a = 1\n[t]\nx = 1\ny = [1, 2]\n");
        merge(&mut base, table("[t]\ny = [3]\nz = 2\n"));
        assert_eq!(base, table("a = 1\n[t]\nx = 1\ny = [3]\nz = 2\n"));
    }

    #[test]
    fn extends_replaces_a_distribution_whole() {
        let mut base = table("[ideas]\nvalue = { dist = \"lognormal\", median = 1, p90 = 2 }\n");
        merge(
            &mut base,
            table("[ideas]\nvalue = { dist = \"lognormal\", mean = 1, cv = 2 }\n"),
        );
        assert_eq!(
            base,
            table("[ideas]\nvalue = { dist = \"lognormal\", mean = 1, cv = 2 }\n")
        );
    }

    #[test]
    fn set_reaches_into_arrays_and_parses_values() {
        let mut t = table("[m]\nstages = [{ d = 1 }, { d = 2 }]\n");
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

    #[test]
    fn problems_are_located_in_the_most_specific_source() {
        let text =
            "[fund]\nbudget = -1\n\n[models.a]\nstages = [{ name = \"x\" }, { name = \"y\" }]\n";
        let inputs = Inputs {
            files: vec![Source {
                label: "f.toml".into(),
                text: text.into(),
            }],
            sets: vec![],
        };
        let at = |p: &str| locate(&inputs, &parse_path(p)).unwrap();
        assert_eq!(at("fund.budget").line, Some(2));
        assert_eq!(at("models.a.stages.1.name").line, Some(5));
        // A missing field points at its enclosing table.
        assert_eq!(at("fund.intake_rounds").line, Some(1));
    }
}
