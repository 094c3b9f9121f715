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

/// The path of scenario text `v` at `path` (a string, or a table of languages) that is
/// blank: `path` itself, or `path.fr` for a blank French text.
fn blank_at(path: &str, v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => s.trim().is_empty().then(|| path.to_string()),
        Some(Value::Table(t)) => t
            .iter()
            .find(|(_, x)| x.as_str().is_some_and(|s| s.trim().is_empty()))
            .map(|(lang, _)| format!("{path}.{lang}")),
        _ => None,
    }
}

/// Each language's text of `v` (a string is every language's text), with the path it
/// was written at.
fn texts(path: &str, v: Option<&Value>) -> Vec<(String, String, String)> {
    match v {
        Some(Value::String(s)) => ["en", "fr"]
            .map(|l| (l.to_string(), s.clone(), path.to_string()))
            .to_vec(),
        Some(Value::Table(t)) => {
            let en = t.get("en").and_then(Value::as_str).unwrap_or_default();
            ["en", "fr"]
                .map(|l| match t.get(l).and_then(Value::as_str) {
                    Some(s) => (l.to_string(), s.to_string(), format!("{path}.{l}")),
                    // French falls back to the English text.
                    None => (l.to_string(), en.to_string(), format!("{path}.en")),
                })
                .to_vec()
        }
        _ => Vec::new(),
    }
}

/// The longest text, in characters, of each field people read in tables and charts: a
/// longer one would be cut or overflow its legend, column header or title.
const MAX_CHARS: [(&str, usize); 5] = [
    ("name", 150),
    ("classification", 80),
    ("label", 80),
    ("stage name", 60),
    ("description", 4000),
];

fn too_long(path: &str, what: &str, v: Option<&Value>, out: &mut Vec<Diagnostic>) {
    let max = MAX_CHARS
        .iter()
        .find(|(w, _)| *w == what)
        .map_or(usize::MAX, |(_, m)| *m);
    let mut seen = Vec::new();
    for (_, text, at) in texts(path, v) {
        // Characters as a reader counts them: an emoji built of several code points
        // (a family, a flag, a skin tone) or a letter with combining accents is one.
        let n = unicode_segmentation::UnicodeSegmentation::graphemes(text.as_str(), true).count();
        if n > max && !seen.contains(&at) {
            out.push(Diagnostic {
                location: None,
                path: Some(at.clone()),
                message: format!("this {what} is {n} characters long; at most {max} fit"),
                help: Some(if what == "description" {
                    format!("shorten it to {max} characters or fewer")
                } else {
                    format!("shorten it to {max} characters or fewer (put detail in `description`)")
                }),
            });
            seen.push(at);
        }
    }
}

/// Problems with the names that identify things in tables and reports: the scenario's
/// `name`, each model's key and `label`, each stage's `name`. None may be blank (a blank
/// column header or chart title) or too long for a legend, two models may not share a
/// label in a language (their legends could not be told apart), and a model key may not
/// hold a dot or surrounding spaces (`--set models.KEY.field` could not reach it).
fn names(root: &Table) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let blank = |path: String, what: &str| Diagnostic {
        location: None,
        path: Some(path),
        message: format!("{what} is blank"),
        help: Some("give it a short name that people can read in tables and charts".into()),
    };
    if let Some(at) = blank_at("name", root.get("name")) {
        out.push(blank(at, "the scenario's name"));
    }
    too_long("name", "name", root.get("name"), &mut out);
    too_long(
        "classification",
        "classification",
        root.get("classification"),
        &mut out,
    );
    too_long(
        "description",
        "description",
        root.get("description"),
        &mut out,
    );
    let Some(models) = root.get("models").and_then(Value::as_table) else {
        return out;
    };
    let mut keys = Vec::new();
    // (language, label) -> the model key that has it first.
    let mut labels: Vec<(String, String, String)> = Vec::new();
    for (key, model) in models {
        if key.trim().is_empty() {
            out.push(blank("models".into(), "a model's key"));
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
        let label_path = format!("models.{key}.label");
        if let Some(at) = blank_at(&label_path, model.get("label")) {
            out.push(blank(at, "a model's label"));
        }
        too_long(&label_path, "label", model.get("label"), &mut out);
        // A model without a label is labelled by its key. Labels are compared as a page
        // shows them: runs of spaces as one.
        let key_label = Value::String(key.clone());
        let label = model.get("label").or(Some(&key_label));
        for (lang, text, at) in texts(&label_path, label) {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            match labels.iter().find(|(l, t, _)| *l == lang && *t == text) {
                // One diagnostic per place: a plain label clashes in both languages.
                Some((_, _, other))
                    if !text.is_empty() && !keys.iter().any(|d| d.path.as_ref() == Some(&at)) =>
                {
                    keys.push(Diagnostic {
                    location: None,
                    path: Some(at),
                    message: format!(
                        "models `{other}` and `{key}` share the label {text:?} in {}",
                        if lang == "fr" { "French" } else { "English" }
                    ),
                    help: Some(
                        "give each model its own label in each language, so charts and tables can tell them apart"
                            .into(),
                    ),
                    })
                }
                _ => labels.push((lang, text, key.clone())),
            }
        }
        let stages = model.get("stages").and_then(Value::as_array);
        for (i, stage) in stages.into_iter().flatten().enumerate() {
            let path = format!("models.{key}.stages.{i}.name");
            if let Some(at) = blank_at(&path, stage.get("name")) {
                out.push(blank(at, "a stage's name"));
            }
            too_long(&path, "stage name", stage.get("name"), &mut out);
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
        // The blank text is named in its language.
        let t: Table =
            toml::from_str("[models.a]\nlabel = { en = \"Gated\", fr = \" \" }\n").unwrap();
        assert_eq!(check(&t)[0].path.as_deref(), Some("models.a.label.fr"));
        let label: Table = toml::from_str("[models.a]\nlabel = \"Stage\\rgated\"\n").unwrap();
        let d = check(&label);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("line break"), "{d:?}");
    }

    /// Length limits count what a reader sees: 40 family emoji (seven code points
    /// each) or accented letters written with combining marks fit an 80-character
    /// label; 81 letters do not.
    #[test]
    fn text_length_counts_characters_as_people_see_them() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
        let combining = "e\u{301}";
        for label in [family.repeat(40), combining.repeat(80)] {
            let t: Table = toml::from_str(&format!("[models.a]\nlabel = \"{label}\"\n")).unwrap();
            let d = check(&t);
            assert!(d.is_empty(), "{d:?}");
        }
        let t: Table =
            toml::from_str(&format!("[models.a]\nlabel = \"{}\"\n", "é".repeat(81))).unwrap();
        let d = check(&t);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("81 characters long"), "{d:?}");
    }

    #[test]
    fn models_need_their_own_label_in_each_language_and_text_that_fits() {
        // Two models called the same in French: the French legend cannot tell them apart.
        let t: Table = toml::from_str(
            "[models.a]\nlabel = { en = \"Waterfall\", fr = \"Cascade\" }\n[models.b]\nlabel = { en = \"Lump sum\", fr = \"Cascade\" }\n",
        )
        .unwrap();
        let d = check(&t);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path.as_deref(), Some("models.b.label.fr"));
        assert!(d[0].message.contains("French"), "{d:?}");
        // A French text left out falls back to the English, which may then clash.
        let t: Table = toml::from_str(
            "[models.a]\nlabel = \"Cascade\"\n[models.b]\nlabel = { en = \"Cascade\", fr = \"Par étapes\" }\n",
        )
        .unwrap();
        assert_eq!(check(&t)[0].path.as_deref(), Some("models.b.label.en"));
        // A model without a label is called by its key, which may be another's label;
        // and a double space does not tell two labels apart.
        for clash in [
            "[models.a]\nlabel = \"foo\"\n[models.foo]\n",
            "[models.a]\nlabel = \"Par  étapes\"\n[models.b]\nlabel = \"Par étapes\"\n",
        ] {
            let t: Table = toml::from_str(clash).unwrap();
            assert_eq!(check(&t).len(), 1, "{clash}");
        }
        // Distinct labels, and unlabelled models (named by their unique keys), pass.
        let t: Table = toml::from_str(
            "[models.a]\nlabel = { en = \"A\", fr = \"B\" }\n[models.b]\nlabel = { en = \"B\", fr = \"A\" }\n[models.c]\n[models.d]\n",
        )
        .unwrap();
        assert!(check(&t).is_empty());
        let long = "x".repeat(81);
        let t: Table = toml::from_str(&format!(
            "[models.a]\nlabel = {{ en = \"A\", fr = \"{long}\" }}\n"
        ))
        .unwrap();
        let d = check(&t);
        assert_eq!(d[0].path.as_deref(), Some("models.a.label.fr"));
        assert!(d[0].message.contains("81 characters"), "{d:?}");
    }
}
