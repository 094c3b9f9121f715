//! The command that writes a run folder's data files again, byte for byte: run the
//! folder's own `scenario.toml` (the resolved scenario: every `--set`, `--sweep`, seed
//! and portfolio count already in it) with the options that add data files. Pasted
//! into a shell in the folder's parent directory, it writes `<folder>-again` beside it.

use std::path::Path;

/// The command for folder `dest` whose files are (for now) in `files`; `shard` is
/// (K, N) for a shard folder.
pub fn command(dest: &Path, files: &Path, shard: Option<(u64, u64)>) -> String {
    let name = folder_word(dest);
    let mut words = vec![
        "budgetsim".to_string(),
        "run".into(),
        shell_word(&format!("{name}/scenario.toml")),
    ];
    if let Some((k, n)) = shard {
        words.push(format!("--shard {k}/{n}"));
    }
    // Files only some runs write, each from its own option.
    for (file, option) in [
        ("projects.parquet", "--projects"),
        ("explain.csv", "--explain"),
        ("sensitivity.csv", "--sensitivity"),
    ] {
        if files.join(file).is_file() {
            words.push(option.into());
        }
    }
    words.push(format!("--out {}", shell_word(&format!("{name}-again"))));
    words.join(" ")
}

/// The command for study folder `dest` written by `budgetsim VERB` (explain,
/// sensitivity) with `options` (each already one shell word or more, as typed): the
/// folder's own scenario.toml with the options that chose what was studied.
pub fn study_command(dest: &Path, verb: &str, options: &[String]) -> String {
    let name = folder_word(dest);
    let mut words = vec![
        "budgetsim".to_string(),
        verb.to_string(),
        shell_word(&format!("{name}/scenario.toml")),
    ];
    words.extend(options.iter().cloned());
    words.push(format!("--out {}", shell_word(&format!("{name}-again"))));
    words.join(" ")
}

/// The folder's name as the start of a path a shell and budgetsim read as a path.
fn folder_word(dest: &Path) -> String {
    let name = dest.file_name().map_or_else(
        || "RUN_FOLDER".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // A name starting with `-` would be read as an option.
    if name.starts_with('-') {
        format!("./{name}")
    } else {
        name
    }
}

/// `word` as one word of a POSIX shell: as is when it holds only characters no shell
/// treats specially, else in single quotes (a quote inside closes, escapes and reopens).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_the_folder_and_quotes_what_a_shell_would_split() {
        let files = tempfile::tempdir().unwrap();
        assert_eq!(
            command(Path::new("output/default"), files.path(), None),
            "budgetsim run default/scenario.toml --out default-again"
        );
        std::fs::write(files.path().join("projects.parquet"), b"").unwrap();
        assert_eq!(
            command(Path::new("/tmp/it's a run"), files.path(), Some((2, 8))),
            "budgetsim run 'it'\\''s a run/scenario.toml' --shard 2/8 --projects \
             --out 'it'\\''s a run-again'"
        );
        assert_eq!(
            command(Path::new("-dash"), files.path(), None),
            "budgetsim run ./-dash/scenario.toml --projects --out ./-dash-again"
        );
        assert_eq!(shell_word("été"), "'été'");
        assert_eq!(shell_word(""), "''");
    }
}
