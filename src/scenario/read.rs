//! Reading scenario files: bounded, regular, UTF-8 files, parsed as TOML, with their
//! `extends` parents merged beneath them (a distribution replaced whole).

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::error::{Diagnostic, Location, ScenarioError};
use super::fields;
use super::locate::{Inputs, locate_all};

/// A source file's text, kept to locate problems after merging.
pub(super) struct Source {
    pub(super) label: String,
    pub(super) text: String,
}

/// Largest scenario file (and `extends` parent) read, in bytes: the shipped scenarios
/// are under 20 kB, and a bigger file is most likely not a scenario.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Most files in an `extends` chain (the file itself and its ancestors).
pub const MAX_EXTENDS_DEPTH: usize = 64;

/// Reads a scenario file: a regular file of at most [`MAX_FILE_BYTES`], in UTF-8. The
/// kind and size are checked before reading, and the file is opened without blocking,
/// so a pipe, a device (`/dev/zero`) or a 50 MB file is refused at once, not read.
pub(super) fn read_source(path: &Path, label: &str) -> Result<String, ScenarioError> {
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

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

pub(super) fn syntax_error(label: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
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
pub(super) fn read_chain(
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
    // A shipped preset names its parent by file name: an embedded preset's parent is
    // the embedded file, and a file on disk may extend a preset by name (`extends =
    // "us-10x"`) where no file of that name is beside it.
    let embedded = super::presets::find(&parent).filter(|_| match dir {
        None => super::presets::is_embedded(label),
        Some(dir) => !dir.join(&parent).exists(),
    });
    if let Some(p) = embedded {
        let key = PathBuf::from(p.label());
        if seen.contains(&key) {
            return Err(here(
                format!("`extends` forms a cycle through the preset `{}`", p.name),
                None,
            ));
        }
        seen.push(key);
        let mut base = read_chain(&p.label(), p.text, None, files, seen)?;
        merge(&mut base, table);
        return Ok(base);
    }
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

pub(super) fn merge_at(prefix: &str, base: &mut Table, over: Table) {
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
}
