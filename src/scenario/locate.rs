//! Where a problem was written: serde's messages in the analyst's words, and each
//! diagnostic's field path traced to the `--set` or file line that set it.

use super::error::{Diagnostic, Location, ScenarioError, nearest};
use super::fields;
use super::overrides::{Seg, SetOverride, parse_path};
use super::read::{Source, line_col};

pub(super) struct Inputs {
    pub(super) files: Vec<Source>,
    pub(super) sets: Vec<SetOverride>,
}

/// Turns serde's message into a diagnostic, with a suggestion for unknown names.
pub(super) fn serde_diagnostic(
    prefix: &str,
    e: serde_path_to_error::Error<toml::de::Error>,
) -> Diagnostic {
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

pub(super) fn locate_all(inputs: &Inputs, diags: Vec<Diagnostic>) -> ScenarioError {
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

pub(super) fn is_prefix(a: &[Seg], b: &[Seg]) -> bool {
    a.len() <= b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Finds where `path` was written: the last `--set` that touched it, else the most
/// specific file defining it, else the file with the deepest enclosing table.
pub(super) fn locate(inputs: &Inputs, path: &[Seg]) -> Option<Location> {
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
pub(super) fn find_span(doc: &toml::de::DeTable<'_>, path: &[Seg]) -> (usize, Option<usize>) {
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
