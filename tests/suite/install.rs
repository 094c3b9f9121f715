//! budgetsim installed outside the checkout: the shipped presets by name from any
//! folder (a file of that name wins), `presets`, `new --from PRESET`, `calibrate`
//! without a scenarios folder, shell completions and the man page.

use std::path::Path;

use crate::common::{bin_in, text};
use budgetsim::scenario::presets::PRESETS;

/// Runs budgetsim in folder `cwd`.
#[test]
fn presets_lists_every_shipped_scenario_with_a_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin_in(dir.path(), &["presets"]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    for p in PRESETS {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(p.name))
            .unwrap_or_else(|| panic!("{} not listed:\n{out}", p.name));
        assert!(line.len() > p.name.len() + 10, "no description: {line}");
    }
}

#[test]
fn a_preset_runs_by_name_anywhere_and_a_file_of_that_name_wins() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin_in(
        dir.path(),
        &[
            "run",
            "us-10x",
            "--portfolios",
            "10",
            "--quiet",
            "--out",
            "a",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("a/manifest.json")).unwrap();
    assert!(manifest.contains("us-10x.toml (embedded)"), "{manifest}");
    // A file called us-10x.toml here is what the name means now.
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    std::fs::write(
        dir.path().join("us-10x.toml"),
        format!(
            "extends = {:?}\nname = \"my own us-10x\"\n",
            default.display().to_string()
        ),
    )
    .unwrap();
    let o = bin_in(
        dir.path(),
        &[
            "run",
            "us-10x.toml",
            "--portfolios",
            "10",
            "--quiet",
            "--out",
            "b",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("b/manifest.json")).unwrap();
    assert!(manifest.contains("my own us-10x"));
    // An unknown name says which presets exist.
    let o = bin_in(dir.path(), &["run", "us-11x", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("us-10x") && err.contains("cds-accelerator"),
        "{err}"
    );
}

#[test]
fn new_from_a_preset_extends_it_by_name_and_runs_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin_in(
        dir.path(),
        &["new", "mine", "--from", "uk-govtech-catalyst"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let written = std::fs::read_to_string(dir.path().join("mine.toml")).unwrap();
    assert!(
        written.contains("extends = \"uk-govtech-catalyst\""),
        "{written}"
    );
    let o = bin_in(dir.path(), &["validate", "mine.toml"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn calibrate_runs_the_embedded_presets_outside_a_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin_in(dir.path(), &["calibrate", "--portfolios", "100"]);
    // With few portfolios a figure may leave its range (exit 1), but every preset loads.
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
    let out = text(&o.stdout);
    assert!(
        out.contains("us-10x") && out.contains("waterfall-baseline"),
        "{out}"
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let o = bin_in(dir.path(), &["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let s = text(&o.stdout);
        assert!(s.contains("budgetsim") && s.contains("optimise"), "{shell}");
    }
    let o = bin_in(dir.path(), &["man"]);
    assert!(o.status.success());
    let man = text(&o.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("presets"));
}
