//! Field declarations, read back from the scenario schema: each field's unit and allowed
//! range is declared once, beside its definition in `raw.rs` (schemars `extend`
//! attributes), and this module turns that one declaration into the range checks, the
//! generated field table (docs/fields.md), money formatting ([`super::is_dollars`]) and
//! which fields are counts.
//!
//! Declaration keys: `x-unit` (what the number measures), `minimum` / `exclusiveMinimum`,
//! `maximum` / `exclusiveMaximum` (JSON Schema's own words, so editors check them too),
//! `x-inf` (`inf` is also allowed, with its meaning), `x-help` (how to write it) and
//! `x-kind` (`lever` or `assumption`: see [`Kind`]).
//! Whole-number fields are those whose schema type is `integer`. A distribution field (a
//! number or a `{ dist = ... }` table) lends its unit and range to the table's location
//! parameters; `cv` carries its own declaration.

use std::sync::OnceLock;

use serde_json::Value as Json;
use toml::{Table, Value};

use super::error::Diagnostic;

/// Largest p90 / median ratio of a lognormal (a log-scale sd of ln(100) / 1.2816 = 3.6):
/// a spread beyond it means values a million times the median at one draw in 10^5, and
/// wider ones overflow `exp` in the draws.
pub const MAX_P90_RATIO: f64 = 100.0;

/// Most segments a dotted field path may have (the deepest field, a stage's
/// distribution parameter, has 5: `models.<key>.stages.<index>.<field>`).
pub const MAX_PATH_SEGMENTS: usize = 16;

/// Longest dotted field path, in bytes.
pub const MAX_PATH_BYTES: usize = 256;

/// What a field is to a fund designer, declared once per field (`x-kind` in `raw.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A policy lever: what the fund's designer chooses (hurdles, stage sizes, caps,
    /// budgets, gate rules).
    Lever,
    /// An uncertain assumption: what the world is (idea fit, value, noise, overruns, the
    /// vendor market).
    Assumption,
}

impl Kind {
    /// As written in `x-kind` and in sensitivity.csv.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Lever => "lever",
            Kind::Assumption => "assumption",
        }
    }

    /// The kind named `s` (as written by [`Kind::name`]).
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "lever" => Some(Kind::Lever),
            "assumption" => Some(Kind::Assumption),
            _ => None,
        }
    }
}

/// One numeric field: where it is, what it measures and what it may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Dotted path pattern; `*` stands for a model key or an array index.
    pub path: String,
    /// What the number measures (`months`, `dollars`, `share`...).
    pub unit: String,
    /// Lower limit, if any.
    pub min: Option<f64>,
    /// Whether the lower limit itself is excluded.
    pub min_exclusive: bool,
    /// Upper limit, if any.
    pub max: Option<f64>,
    /// Whether the upper limit itself is excluded.
    pub max_exclusive: bool,
    /// Meaning of `inf` where it is allowed (e.g. "no drift"); `None`: not allowed.
    pub inf: Option<String>,
    /// A whole number (a count).
    pub integer: bool,
    /// A number or a distribution table (its location parameters share this spec).
    pub distribution: bool,
    /// How to write the value, when the unit alone does not say.
    pub help: Option<String>,
    /// What the field means (its doc comment).
    pub meaning: String,
    /// Lever or assumption; `None` for run settings (Monte Carlo, sweeps, sensitivity).
    pub kind: Option<Kind>,
}

/// Every field the scenario format declares, numeric or not.
#[derive(Debug)]
pub struct Fields {
    /// Numeric fields with their declarations, in schema order.
    pub numeric: Vec<Spec>,
    /// Path patterns of every leaf field (numbers, text, choices, switches, lists).
    pub leaves: Vec<String>,
    /// Fields that take one of a closed set of words (choices and on/off switches),
    /// with the words, in schema order.
    pub words: Vec<(String, Vec<String>)>,
}

/// The declarations, read once from the generated schema.
pub fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let schema = serde_json::to_value(schemars::schema_for!(super::raw::RawScenario))
            .unwrap_or_default();
        let mut f = Fields {
            numeric: Vec::new(),
            leaves: Vec::new(),
            words: Vec::new(),
        };
        walk(&schema, &schema, "", &mut f);
        f
    })
}

/// Whether dotted `path` (concrete: model keys and indexes) matches `pattern`.
fn matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('.');
    let mut q = path.split('.');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

/// The declaration of the numeric field at dotted `path`, if it is one.
pub fn spec(path: &str) -> Option<&'static Spec> {
    fields().numeric.iter().find(|s| matches(&s.path, path))
}

/// Whether dotted `path` is a field that takes one of a closed set of words (a
/// choice such as `selection`, or an on/off switch).
pub fn is_choice(path: &str) -> bool {
    fields().words.iter().any(|(p, _)| matches(p, path))
}

/// Whether `path` names a field of the scenario format (a leaf of any type).
pub fn is_field(path: &str) -> bool {
    fields().leaves.iter().any(|p| matches(p, path))
}

/// Whether the value at `path` is a distribution (a number or a `{ dist = ... }` table,
/// replaced whole by `extends` and `--set`).
pub fn is_distribution(path: &str) -> bool {
    spec(path).is_some_and(|s| s.distribution)
}

fn resolve<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    match schema.get("$ref").and_then(Json::as_str) {
        Some(r) => r
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name))
            .unwrap_or(schema),
        None => schema,
    }
}

fn has_type(schema: &Json, t: &str) -> bool {
    match schema.get("type") {
        Some(Json::String(s)) => s == t,
        Some(Json::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
        _ => false,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The declaration written on field schema `field` (its `extend` keys).
fn declared(path: &str, field: &Json, integer: bool, distribution: bool) -> Spec {
    let num = |k: &str| field.get(k).and_then(Json::as_f64);
    let text = |k: &str| field.get(k).and_then(Json::as_str).map(str::to_string);
    let (min, min_exclusive) = match (num("exclusiveMinimum"), num("minimum")) {
        (Some(m), _) => (Some(m), true),
        (None, m) => (m, false),
    };
    let (max, max_exclusive) = match (num("exclusiveMaximum"), num("maximum")) {
        (Some(m), _) => (Some(m), true),
        (None, m) => (m, false),
    };
    Spec {
        path: path.to_string(),
        unit: text("x-unit").unwrap_or_default(),
        min,
        min_exclusive,
        max,
        max_exclusive,
        inf: text("x-inf"),
        integer,
        distribution,
        help: text("x-help"),
        kind: text("x-kind").as_deref().and_then(Kind::parse),
        meaning: text("description")
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Records the fields below `field` (a property schema) at `path`.
fn walk(root: &Json, field: &Json, path: &str, out: &mut Fields) {
    let target = resolve(root, field);
    let is_dist = field
        .get("$ref")
        .and_then(Json::as_str)
        .is_some_and(|r| r.ends_with("/Distribution"));
    if is_dist {
        let spec = declared(path, field, false, true);
        out.leaves.push(path.to_string());
        out.numeric.push(spec.clone());
        // The table form: location parameters share the field's declaration; the
        // spread parameters carry their own, or (sd) the field's unit from 0.
        let table = target
            .get("anyOf")
            .and_then(Json::as_array)
            .and_then(|alts| alts.iter().find(|a| a.get("$ref").is_some()))
            .map(|t| resolve(root, t));
        if let Some(props) = table
            .and_then(|t| t.get("properties"))
            .and_then(Json::as_object)
        {
            for (key, sub) in props {
                let sub_path = join(path, key);
                out.leaves.push(sub_path.clone());
                if !has_type(sub, "number") {
                    continue;
                }
                let mut own = declared(&sub_path, sub, false, false);
                // A distribution's parameters are what the field is.
                own.kind = own.kind.or(spec.kind);
                let s = if own.unit.is_empty() {
                    let base = if key == "sd" {
                        Spec {
                            min: Some(0.0),
                            min_exclusive: false,
                            inf: None,
                            ..spec.clone()
                        }
                    } else {
                        spec.clone()
                    };
                    Spec {
                        path: sub_path,
                        distribution: false,
                        meaning: own.meaning,
                        ..base
                    }
                } else {
                    own
                };
                out.numeric.push(s);
            }
        }
        return;
    }
    let integer = has_type(field, "integer") || has_type(target, "integer");
    if integer || has_type(field, "number") || has_type(target, "number") {
        out.numeric.push(declared(path, field, integer, false));
        out.leaves.push(path.to_string());
        return;
    }
    if let Some(props) = target.get("properties").and_then(Json::as_object) {
        for (key, sub) in props {
            walk(root, sub, &join(path, key), out);
        }
        return;
    }
    if let Some(items) = target.get("items") {
        // A list of tables is walked by index; a list of plain values is one leaf.
        let item = resolve(root, items);
        if item.get("properties").is_some() {
            walk(root, items, &join(path, "*"), out);
        } else {
            out.leaves.push(path.to_string());
        }
        return;
    }
    if let Some(values) = target.get("additionalProperties").filter(|v| v.is_object()) {
        walk(root, values, &join(path, "*"), out);
        return;
    }
    if let Some(alts) = target.get("anyOf").and_then(Json::as_array) {
        let tables: Vec<&Json> = alts
            .iter()
            .filter(|a| resolve(root, a).get("properties").is_some())
            .collect();
        if !tables.is_empty() {
            for a in tables {
                walk(root, a, path, out);
            }
            return;
        }
    }
    let mut w = Vec::new();
    words(root, field, &mut w);
    if !w.is_empty() {
        out.words.push((path.to_string(), w));
    }
    out.leaves.push(path.to_string());
}

/// The words schema `schema` admits: its `enum` and `const` strings, those of its
/// alternatives, and `true` and `false` for a switch.
fn words(root: &Json, schema: &Json, out: &mut Vec<String>) {
    let t = resolve(root, schema);
    let mut add = |w: &str| {
        if !out.iter().any(|x| x == w) {
            out.push(w.to_string());
        }
    };
    for v in t.get("enum").and_then(Json::as_array).into_iter().flatten() {
        if let Some(w) = v.as_str() {
            add(w);
        }
    }
    if let Some(w) = t.get("const").and_then(Json::as_str) {
        add(w);
    }
    if has_type(t, "boolean") {
        add("true");
        add("false");
    }
    for key in ["oneOf", "anyOf"] {
        for alt in t.get(key).and_then(Json::as_array).into_iter().flatten() {
            words(root, alt, out);
        }
    }
}

/// A number as people write it in a scenario: whole numbers in full up to a billion,
/// then `1e12`; fractions as written.
pub fn number(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = x.abs();
    if a >= 1e9 || (a > 0.0 && a < 1e-6) {
        return format!("{x:e}");
    }
    // 12 significant digits: a sum of shares reads 0.9875, not 0.9874999999999999.
    if x.fract() != 0.0 {
        let scale = 10f64.powi(11i32.saturating_sub(a.log10().floor() as i32));
        let tidy = (x * scale).round() / scale;
        if tidy.is_finite() {
            return tidy.to_string();
        }
    }
    x.to_string()
}

/// Units written after the number ("600 months"); others go in brackets ("1 (share)").
fn noun(unit: &str) -> bool {
    matches!(
        unit,
        "months"
            | "dollars"
            | "portfolios"
            | "rounds"
            | "ideas"
            | "vendors"
            | "attempts"
            | "starts"
            | "steps"
    )
}

impl Spec {
    /// The allowed values in words: "more than 0 and at most 600 months, or inf".
    pub fn allowed(&self) -> String {
        let (lo, hi) = (self.min.map(number), self.max.map(number));
        let range = match (lo, hi) {
            (Some(lo), Some(hi)) => match (self.min_exclusive, self.max_exclusive) {
                // Shares and probabilities read best as "between 0 and 1".
                (false, false) if self.min == Some(0.0) && self.max == Some(1.0) => {
                    "between 0 and 1".to_string()
                }
                (false, false) => format!("from {lo} to {hi}"),
                (true, false) => format!("more than {lo} and at most {hi}"),
                (false, true) => format!("from {lo} up to (not including) {hi}"),
                (true, true) => format!("between {lo} and {hi} (exclusive)"),
            },
            (Some(lo), None) if self.min_exclusive => format!("more than {lo}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) if self.max_exclusive => format!("less than {hi}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => "any finite number".to_string(),
        };
        let unit = match self.unit.as_str() {
            "" => String::new(),
            u if noun(u) => format!(" {u}"),
            u => format!(" ({u})"),
        };
        let whole = if self.integer { "a whole number " } else { "" };
        let inf = match &self.inf {
            Some(m) => format!(", or inf ({m})"),
            None => String::new(),
        };
        format!("{whole}{range}{unit}{inf}")
    }

    /// Whether `v` is allowed.
    pub fn admits(&self, v: f64) -> bool {
        if v.is_nan() {
            return false;
        }
        if v == f64::INFINITY && self.inf.is_some() {
            return true;
        }
        if v.is_infinite() {
            return false;
        }
        let above = self
            .min
            .is_none_or(|m| if self.min_exclusive { v > m } else { v >= m });
        let below = self
            .max
            .is_none_or(|m| if self.max_exclusive { v < m } else { v <= m });
        above && below
    }

    /// What to write instead, when the unit alone does not say.
    pub fn hint(&self) -> Option<String> {
        self.help.clone().or_else(|| match self.unit.as_str() {
            "share" | "probability" => {
                Some("write shares and probabilities as fractions, e.g. 0.25 for 25%".into())
            }
            _ => None,
        })
    }

    /// The problem with `v` at concrete `path`, if it is not allowed.
    pub fn check(&self, path: &str, v: f64) -> Option<Diagnostic> {
        (!self.admits(v)).then(|| Diagnostic {
            location: None,
            path: Some(path.to_string()),
            message: format!("must be {}, got {}", self.allowed(), number(v)),
            help: self.hint(),
        })
    }
}

/// Checks every numeric leaf of the resolved scenario `table` against its declaration.
/// Values of the wrong type and unknown fields are left to deserialization, which names
/// them better.
pub fn check_table(table: &Table) -> Vec<Diagnostic> {
    fn visit(path: &str, v: &Value, depth: usize, out: &mut Vec<Diagnostic>) {
        // Scenario fields are at most a few levels deep; deeper nesting is not a field.
        if depth > MAX_PATH_SEGMENTS {
            return;
        }
        match v {
            Value::Integer(i) => {
                if let Some(d) = spec(path).and_then(|s| s.check(path, *i as f64)) {
                    out.push(d);
                }
            }
            Value::Float(f) => {
                if let Some(d) = spec(path)
                    .filter(|s| !s.integer)
                    .and_then(|s| s.check(path, *f))
                {
                    out.push(d);
                }
            }
            Value::Table(t) => {
                for (k, x) in t {
                    visit(&join(path, k), x, depth + 1, out);
                }
            }
            Value::Array(a) if a.iter().all(Value::is_table) => {
                for (i, x) in a.iter().enumerate() {
                    visit(&join(path, &i.to_string()), x, depth + 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in table {
        visit(k, v, 1, &mut out);
    }
    out
}

/// Checks a dotted field path from `--set`, `--sweep`, `[[sweep]]` or `[sensitivity]`
/// for size before it is walked.
pub fn check_path_size(path: &str) -> Result<(), String> {
    let segments = path.split('.').count();
    if segments > MAX_PATH_SEGMENTS {
        return Err(format!(
            "the field path has {segments} segments, more than {MAX_PATH_SEGMENTS}; scenario paths are short, e.g. models.stage_gated.stages.0.cost"
        ));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(format!(
            "the field path is {} bytes long, more than {MAX_PATH_BYTES}; scenario paths are short, e.g. models.stage_gated.hurdle",
            path.len()
        ));
    }
    // `fund..budget`, `.fund` or `fund.` would otherwise be read as some other path
    // (or as the whole scenario).
    if path.split('.').any(|s| s.trim().is_empty()) {
        return Err(format!(
            "the field path `{}` has an empty segment; write names joined by single dots, e.g. fund.budget",
            shortened(path)
        ));
    }
    Ok(())
}

/// `text` cut to a length fit for a message (an argument can be megabytes long).
pub fn shortened(text: &str) -> String {
    const SHOWN: usize = 80;
    if text.len() <= SHOWN {
        return text.to_string();
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

/// docs/fields.md: every numeric field with its unit, allowed values and meaning.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Scenario fields\n\n\
         Generated from the declarations in `src/scenario/raw.rs` (each field's unit and \
         allowed range, declared once beside its definition); do not edit by hand. \
         Regenerate with `BUDGETSIM_BLESS=1 cargo test --test suite fields_doc`, which \
         rewrites this file; `cargo test` fails while it is out of date.\n\n\
         `*` stands for a model key (`models.*`) or a list index (`stages.*`, `sweep.*`). \
         A distribution field takes a number or a table such as \
         `{ dist = \"lognormal\", median, p90 }`; its location parameters (`value`, \
         `median`, `p90`, `mean`, `min`, `mode`, `max`) share the field's unit and range, \
         `sd` runs from 0 to the field's maximum, and a lognormal's p90 may be at most \
         100 times its median.\n\n\
         Why these limits: a fund lives at most 50 years (600 months), the largest \
         budgets and costs are 1e12 dollars (a trillion), shares and probabilities are \
         fractions, multipliers of cost or time stay within 100x, spreads on the log \
         scale within 10 (a factor of e^10, about 22,000), and counts within what one \
         machine simulates in reasonable time and memory. The scenario format also caps \
         the work outside single fields: at most 1,000,000 ideas per portfolio \
         (intake_rounds x ideas_per_round), 10,000 sweep points, scenario files of 1 MiB, \
         `extends` chains of 64 files and field paths of 16 segments, at most 1e9 vendor \
         draws per portfolio (ideas x vendors x contracts per idea over all models), 1e7 \
         contracts per portfolio (ideas x every attempt of every stage over all models), \
         50 models and 20 stages a model; a scenario file must be a regular file (not a \
         pipe, device or standard input). Names (the scenario's, models' keys and labels, \
         stages') may not be blank, and model keys may not hold dots. Before a run, \
         budgetsim also checks that the outcomes it keeps and the portfolios in flight \
         (one per thread) fit in the memory available.\n\n\
         `tests/suite/input.rs` keeps these limits: a test per refused input, and a \
         mutation fuzz test of the loader that runs for a few seconds in `cargo test`. \
         For a long fuzz run: `PROPTEST_CASES=100000 cargo test --release --test suite \
         fuzz`.\n\n\
         | field | unit | allowed | meaning |\n|---|---|---|---|\n",
    );
    for f in &fields().numeric {
        let unit = if f.distribution {
            format!("{} (distribution)", f.unit)
        } else {
            f.unit.clone()
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            f.path,
            unit,
            f.allowed(),
            f.meaning.replace('|', "\\|")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_patterns_segment_by_segment() {
        assert!(matches("models.*.stages.*.cost", "models.a.stages.3.cost"));
        assert!(!matches("models.*.stages.*.cost", "models.a.stages.3"));
        assert!(!matches("models.*.hurdle", "models.a.stages.0.hurdle"));
    }

    #[test]
    fn every_numeric_field_declares_a_unit_and_a_range() {
        let f = fields();
        assert!(f.numeric.len() > 50, "{} numeric fields", f.numeric.len());
        for s in &f.numeric {
            assert!(!s.unit.is_empty(), "{} has no x-unit", s.path);
            // Only values of another field (sweep and sensitivity ranges) are free.
            if s.min.is_none() || s.max.is_none() {
                assert!(
                    s.unit.starts_with("as the field"),
                    "{} lacks bounds",
                    s.path
                );
            }
        }
    }

    #[test]
    fn every_field_of_the_fund_is_a_lever_or_an_assumption() {
        // Declared once per field (x-kind in raw.rs): the tornado groups by it.
        let run_setting = |p: &str| {
            p.starts_with("sweep.")
                || p.starts_with("sensitivity.")
                || p.starts_with("optimise.")
                || p == "simulation.portfolios"
                || p == "simulation.seed"
        };
        for s in &fields().numeric {
            assert_eq!(
                s.kind.is_some(),
                !run_setting(&s.path),
                "{}: kind {:?}",
                s.path,
                s.kind
            );
        }
        let kind = |p: &str| spec(p).and_then(|s| s.kind);
        assert_eq!(kind("models.a.stages.0.hurdle"), Some(Kind::Lever));
        assert_eq!(kind("fund.budget"), Some(Kind::Lever));
        assert_eq!(kind("ideas.value.p90"), Some(Kind::Assumption));
        assert_eq!(kind("ideas.value.cv"), Some(Kind::Assumption));
        assert_eq!(kind("risk.overrun_p90"), Some(Kind::Assumption));
    }

    #[test]
    fn distributions_lend_their_declaration_to_location_parameters() {
        let cost = spec("ideas.planned_cost").unwrap();
        assert!(cost.distribution);
        let p90 = spec("ideas.planned_cost.p90").unwrap();
        assert_eq!((p90.unit.as_str(), p90.max), ("dollars", cost.max));
        let sd = spec("ideas.planned_cost.sd").unwrap();
        assert_eq!((sd.min, sd.min_exclusive), (Some(0.0), false));
        assert_ne!(spec("ideas.value.cv").unwrap().unit, "dollars");
        assert!(is_distribution("ideas.planned_duration_months"));
        assert!(!is_distribution("fund.budget"));
    }

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.9874999999999999), "0.9875");
        assert_eq!(number(1e12), "1e12");
        assert_eq!(number(-1e-300), "-1e-300");
        assert_eq!(number(600.0), "600");
        assert_eq!(number(0.25), "0.25");
    }

    #[test]
    fn messages_give_the_limit_and_the_unit() {
        let h = spec("simulation.horizon_months").unwrap();
        let d = h.check("simulation.horizon_months", 1e12).unwrap();
        assert_eq!(d.message, "must be from 1 to 600 months, got 1e12");
        assert!(h.check("simulation.horizon_months", 60.0).is_none());
        assert!(h.check("simulation.horizon_months", f64::NAN).is_some());
        let cap = spec("risk.escalation_cap").unwrap();
        assert!(cap.admits(f64::INFINITY) && !cap.admits(f64::NEG_INFINITY));
    }
}
