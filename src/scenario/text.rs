//! Text a scenario carries into tables and reports (names, labels, descriptions, keys)
//! must show what the file says. Invisible direction controls (such as U+202E, right-to-
//! left override) can make a report display text in another order than it was written,
//! and other control characters can hide or break lines; both are refused with the
//! field and the position. Right-to-left scripts themselves are welcome.

use toml::{Table, Value};

use super::error::Diagnostic;

/// Unicode's explicit direction controls: marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no space and show nothing, so two names that look the same can
/// differ (zero-width space, word joiner, byte-order mark).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Why `c` may not appear in scenario text, if it may not. Line breaks and tabs are
/// allowed only where `multiline` (the scenario's description): in a name, key or label
/// they break table rows, CSV cells and the terminal's columns.
fn refused(c: char, multiline: bool) -> Option<&'static str> {
    let line_break = matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}');
    if is_bidi_control(c) {
        Some("an invisible text-direction control")
    } else if is_invisible(c) {
        Some("an invisible character")
    } else if multiline && line_break {
        None
    } else if line_break {
        Some("a line break or tab (allowed only in `description`)")
    } else if c.is_control() {
        Some("a control character")
    } else {
        None
    }
}

/// The first refused character of `s`: (character position from 1, character, why).
fn first_refused(s: &str, multiline: bool) -> Option<(usize, char, &'static str)> {
    s.chars()
        .enumerate()
        .find_map(|(i, c)| refused(c, multiline).map(|why| (i + 1, c, why)))
}

fn diagnostic(path: &str, what: &str, (pos, c, why): (usize, char, &str)) -> Diagnostic {
    Diagnostic {
        location: None,
        path: (!path.is_empty()).then(|| path.to_string()),
        message: format!(
            "{what} holds {why} (U+{:04X}) at character {pos}",
            u32::from(c)
        ),
        help: Some(
            "delete it: reports must show the text as written (right-to-left scripts are fine)"
                .into(),
        ),
    }
}

/// Whether scenario text `v` (a string, or a table of languages) is blank in any
/// language it gives.
fn is_blank(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Table(t)) => t
            .values()
            .any(|x| x.as_str().is_some_and(|s| s.trim().is_empty())),
        _ => false,
    }
}

/// Problems with the names that identify things in tables and reports: the scenario's
/// `name`, each model's key and `label`, each stage's `name`. None may be blank (a blank
/// column header or chart title), and a model key may not hold a dot or surrounding
/// spaces (`--set models.KEY.field` could not reach it).
fn names(root: &Table) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut blank = |path: String, what: &str| {
        out.push(Diagnostic {
            location: None,
            path: Some(path),
            message: format!("{what} is blank"),
            help: Some("give it a short name that people can read in tables and charts".into()),
        });
    };
    if is_blank(root.get("name")) {
        blank("name".into(), "the scenario's name");
    }
    let Some(models) = root.get("models").and_then(Value::as_table) else {
        return out;
    };
    let mut keys = Vec::new();
    for (key, model) in models {
        if key.trim().is_empty() {
            blank("models".into(), "a model's key");
        } else if key.contains('.') || key.trim() != key {
            keys.push(Diagnostic {
                location: None,
                path: Some("models".into()),
                message: format!("model key {key:?} holds a dot or surrounding spaces"),
                help: Some(
                    "use letters, digits, `_` or `-` (e.g. stage_gated), so --set models.KEY.field can reach it"
                        .into(),
                ),
            });
        }
        if is_blank(model.get("label")) {
            blank(format!("models.{key}.label"), "a model's label");
        }
        let stages = model.get("stages").and_then(Value::as_array);
        for (i, stage) in stages.into_iter().flatten().enumerate() {
            if is_blank(stage.get("name")) {
                blank(format!("models.{key}.stages.{i}.name"), "a stage's name");
            }
        }
    }
    out.extend(keys);
    out
}

/// Problems with the text of every key and string value in `table`.
pub fn check(root: &Table) -> Vec<Diagnostic> {
    fn walk(path: &str, v: &Value, out: &mut Vec<Diagnostic>) {
        match v {
            Value::String(s) => {
                // The description may run over lines, in each of its languages.
                let multiline = path == "description" || path.starts_with("description.");
                if let Some(bad) = first_refused(s, multiline) {
                    out.push(diagnostic(path, "this text", bad));
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(&format!("{path}.{i}"), x, out);
                }
            }
            Value::Table(t) => table(path, t, out),
            _ => {}
        }
    }
    fn table(path: &str, t: &Table, out: &mut Vec<Diagnostic>) {
        for (k, x) in t {
            if let Some(bad) = first_refused(k, false) {
                out.push(diagnostic(path, &format!("the key {k:?}"), bad));
                continue;
            }
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            walk(&p, x, out);
        }
    }
    let mut out = Vec::new();
    table("", root, &mut out);
    if out.is_empty() {
        out = names(root);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_controls_and_control_characters_are_found_where_they_are() {
        let t: Table = toml::from_str(
            "name = \"Fund \u{202E}gnp.exe\"\n[models.\"a\u{2066}b\"]\nlabel = \"x\"\n[ideas]\nnote = [\"ok\", \"bell\\u0007\"]\n",
        )
        .unwrap();
        let d = check(&t);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].path.as_deref(), Some("name"));
        assert!(d[0].message.contains("U+202E") && d[0].message.contains("character 6"));
        assert_eq!(d[1].path.as_deref(), Some("models"));
        assert_eq!(d[2].path.as_deref(), Some("ideas.note.1"));
        let fine: Table = toml::from_str(
            "name = \"صندوق رقمي\"\ndescription = { en = \"line one\\nline two\\tend\", fr = \"ligne\\nsuite\" }\n",
        )
        .unwrap();
        assert!(check(&fine).is_empty());
        for bad in ["Stage\\u2028gated", "Stage\\u200Bgated", "Stage\\rgated"] {
            let t: Table = toml::from_str(&format!("[models.a]\nlabel = \"{bad}\"\n")).unwrap();
            assert_eq!(check(&t).len(), 1, "{bad}");
        }
        for bad in [
            "name = \" \"\n",
            "[models.\"\"]\nlabel = \"x\"\n",
            "[models.\"a.b\"]\nlabel = \"x\"\n",
            "[models.a]\nstages = [{ name = \"\" }]\n",
            "[models.a]\nlabel = { en = \"Gated\", fr = \" \" }\n",
            "name = { en = \"Fund\", fr = \"Fonds\\u0007\" }\n",
        ] {
            let t: Table = toml::from_str(bad).unwrap();
            assert_eq!(check(&t).len(), 1, "{bad}");
        }
        let label: Table = toml::from_str("[models.a]\nlabel = \"Stage\\rgated\"\n").unwrap();
        let d = check(&label);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("line break"), "{d:?}");
    }
}
