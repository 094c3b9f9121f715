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

/// Why `c` may not appear in scenario text, if it may not. Line breaks and tabs are
/// allowed only where `multiline` (the scenario's description): in a name, key or label
/// they break table rows, CSV cells and the terminal's columns.
fn refused(c: char, multiline: bool) -> Option<&'static str> {
    if is_bidi_control(c) {
        Some("an invisible text-direction control")
    } else if multiline && matches!(c, '\n' | '\t' | '\r') {
        None
    } else if matches!(c, '\n' | '\r' | '\t') {
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

/// Problems with the text of every key and string value in `table`.
pub fn check(root: &Table) -> Vec<Diagnostic> {
    fn walk(path: &str, v: &Value, out: &mut Vec<Diagnostic>) {
        match v {
            Value::String(s) => {
                if let Some(bad) = first_refused(s, path == "description") {
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
        let fine: Table =
            toml::from_str("name = \"صندوق رقمي\"\ndescription = \"line one\\nline two\\tend\"\n")
                .unwrap();
        assert!(check(&fine).is_empty());
        let label: Table = toml::from_str("[models.a]\nlabel = \"Stage\\rgated\"\n").unwrap();
        let d = check(&label);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("line break"), "{d:?}");
    }
}
