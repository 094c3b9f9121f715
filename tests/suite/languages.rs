//! Scenario text in both official languages: every free-text field takes a string or a
//! table of languages; French outputs use the French and fall back to the English with
//! a warning; a malformed table is an input error that says what to write.

use std::path::Path;

use crate::outputs::{run_in, text};

fn default_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml"))
        .unwrap()
}

/// The default scenario with `from` (which must occur once) replaced by `to`.
fn write_edited(dir: &Path, from: &str, to: &str) -> std::path::PathBuf {
    let t = default_text();
    assert_eq!(t.matches(from).count(), 1, "`{from}` in default.toml");
    let path = dir.join("edited.toml");
    std::fs::write(&path, t.replacen(from, to, 1)).unwrap();
    path
}

#[test]
fn the_shipped_scenarios_need_no_fallback() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let loaded = budgetsim::scenario::load_file(&path, &[]).unwrap();
        assert_eq!(
            budgetsim::scenario::untranslated(&loaded.scenario),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn french_reports_use_french_text_and_fall_back_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    // A label with no French, and a stage name given in both languages.
    let scenario = write_edited(
        cwd,
        "label = { en = \"Stage-gated (GOV.UK phases)\", fr = \"Par étapes (phases GOV.UK)\" }",
        "label = \"Gated only in English\"",
    );
    let out = cwd.join("run");
    let args = [
        "run",
        "--portfolios",
        "40",
        "--out",
        out.to_str().unwrap(),
        scenario.to_str().unwrap(),
    ];
    let o = run_in(cwd, &args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("warning:")
            && err.contains("edited.toml")
            && err.contains("models.stage_gated.label")
            && !err.contains("models.waterfall.label"),
        "{err}"
    );
    let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
    let en = std::fs::read_to_string(out.join("report.html")).unwrap();
    // French where given, the English where not.
    assert!(fr.contains("En cascade (prévision par catégorie de référence)"));
    assert!(fr.contains("Gated only in English"));
    // Nowhere in the French report (assumptions included) does a translated label show
    // its English.
    assert!(!fr.contains("Waterfall (business case as written)"));
    assert!(en.contains("Waterfall (reference-class forecast)") && !en.contains("En cascade"));
    let funnel = std::fs::read_to_string(out.join("charts/fr/stage-funnel.svg")).unwrap();
    assert!(
        funnel.contains("découverte"),
        "French stage names in French charts"
    );
    // Data files keep the English: stage names are identifiers there.
    let stages = std::fs::read_to_string(out.join("stages.csv")).unwrap();
    assert!(stages.contains(",discovery,") && !stages.contains("découverte"));

    // No French output, no warning; `validate` warns too.
    let o = run_in(cwd, &[&args[..], &["--lang", "en"]].concat());
    assert!(o.status.success() && !text(&o.stderr).contains("warning:"));
    let o = run_in(cwd, &["validate", scenario.to_str().unwrap()]);
    assert!(o.status.success() && text(&o.stderr).contains("models.stage_gated.label"));
}

#[test]
fn a_malformed_table_of_languages_says_what_to_write() {
    let tmp = tempfile::tempdir().unwrap();
    let from =
        "label = { en = \"Stage-gated (GOV.UK phases)\", fr = \"Par étapes (phases GOV.UK)\" }";
    let line = default_text()[..default_text().find(from).unwrap()]
        .matches('\n')
        .count()
        + 1;
    for (to, says) in [
        ("label = { en = \"Gated\", de = \"Stufen\" }", "`de`"),
        ("label = { fr = \"Par étapes\" }", "label.en"),
        ("label = 3", "a string, or a table of languages"),
    ] {
        let path = write_edited(tmp.path(), from, to);
        let o = run_in(tmp.path(), &["validate", path.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{to}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains(&format!("edited.toml:{line}"))
                && err.contains("models.stage_gated.label"),
            "{to}: wanted the file, line and field in: {err}"
        );
        assert!(err.contains(says), "{to}: wanted {says:?} in: {err}");
    }
}
