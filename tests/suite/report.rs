//! Charts and reports end to end: every chart in both languages as a PNG of the right
//! size and an SVG carrying its title; French reports without English labels; scenario
//! text escaped; `budgetsim report DIR` rebuilding from the files alone.

use std::path::Path;
use std::process::{Command, Output};

use budgetsim::report::Lang;
use budgetsim::report::charts::ChartKind;
use budgetsim::report::i18n::{EN, FR};
use budgetsim::report::style::SIZE;

fn run(cwd: &Path, args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn default_run(out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        "--quiet",
        "--portfolios",
        "150",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(out.parent().unwrap(), &args);
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn every_chart_exists_in_both_languages_as_png_and_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    default_run(&out, &[]);
    let data = budgetsim::report::data::read(&out).unwrap();
    for (dir, lang) in [("charts", "en"), ("charts/fr", "fr")] {
        for kind in ChartKind::ALL {
            let png = out.join(dir).join(format!("{}.png", kind.name()));
            assert_eq!(png_size(&png), SIZE, "{}", png.display());
            let svg_text =
                std::fs::read_to_string(out.join(dir).join(format!("{}.svg", kind.name())))
                    .unwrap();
            let svg = roxmltree::Document::parse(&svg_text)
                .unwrap_or_else(|e| panic!("{lang} {}: {e}", kind.name()));
            let text: String = svg
                .descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join(" ");
            // The computed title is in the SVG's text, word for word.
            let language = if lang == "fr" { Lang::Fr } else { Lang::En };
            let title = kind.title(&data, language);
            for word in title.split_whitespace() {
                assert!(
                    text.contains(word),
                    "{lang} {}: `{word}` of `{title}` missing",
                    kind.name()
                );
            }
        }
    }
    for report in ["report.html", "report.fr.html"] {
        let html = std::fs::read_to_string(out.join(report)).unwrap();
        assert_eq!(
            html.matches("<svg").count(),
            ChartKind::ALL.len(),
            "{report}: one inline SVG per chart"
        );
        assert!(
            !html.contains("<script") && !html.contains("src=\"http") && !html.contains("url(http"),
            "{report} must be self-contained"
        );
    }
}

#[test]
fn titles_state_computed_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    default_run(&out, &[]);
    let mut r = csv::Reader::from_path(out.join("comparison.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let row = r
        .records()
        .map(|x| x.unwrap())
        .find(|x| {
            &x[col("model_a")] == "stage_gated"
                && &x[col("model_b")] == "waterfall_rc"
                && &x[col("metric")] == "net_value"
        })
        .unwrap();
    let p: f64 = row[col("prob_a_better")].parse().unwrap();
    let svg = std::fs::read_to_string(out.join("charts/paired-difference.svg")).unwrap();
    // The title may wrap over several text lines: read them as one.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let words: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.text())
        .flat_map(str::split_whitespace)
        .collect();
    let expected = format!("in {:.0}% of funds", 100.0 * p);
    assert!(
        words.join(" ").contains(&expected),
        "title should say `{expected}`"
    );
}

#[test]
fn the_french_report_has_no_english_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    default_run(&out, &[]);
    let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
    let en = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        fr.contains("<html lang=\"fr\">") && fr.contains("Réponse") && fr.contains("Gaspillage")
    );
    for ((key, english), (_, french)) in EN.iter().zip(FR) {
        if english == french {
            continue;
        }
        for fragment in english.split("{}").map(str::trim).filter(|f| f.len() >= 12) {
            assert!(
                !fr.contains(fragment),
                "French report shows English `{fragment}` ({key})"
            );
        }
    }
    assert!(en.contains("Answer") && !en.contains("Réponse"));
    let svg = std::fs::read_to_string(out.join("charts/fr/headline.svg")).unwrap();
    assert!(svg.contains("Valeur nette") && !svg.contains("Net value"));
}

#[test]
fn scenario_text_is_escaped_in_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    default_run(
        &out,
        &[
            "--set",
            "name=<script>alert(1)</script>",
            "--set",
            "models.stage_gated.label=<b>gated</b> & \"co\"",
        ],
    );
    for report in ["report.html", "report.fr.html"] {
        let html = std::fs::read_to_string(out.join(report)).unwrap();
        assert!(!html.contains("<script>"), "{report} has a raw script tag");
        assert!(
            !html.contains("<b>gated"),
            "{report} has raw markup from a label"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{report}"
        );
    }
}

#[test]
fn report_rebuilds_from_the_folder_and_lang_chooses_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    default_run(&out, &["--lang", "en"]);
    assert!(out.join("report.html").is_file());
    assert!(!out.join("report.fr.html").exists() && !out.join("charts/fr").exists());
    let before = std::fs::read(out.join("charts/headline.png")).unwrap();
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    run(tmp.path(), &["report", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read(out.join("charts/headline.png")).unwrap(),
        before,
        "charts are deterministic"
    );
    assert!(out.join("report.fr.html").is_file() && out.join("charts/fr/headline.svg").is_file());
    assert!(
        budgetsim::export::run_folder::verify(&out)
            .unwrap()
            .is_empty(),
        "manifest hashes updated"
    );
}

#[test]
fn report_on_a_folder_that_is_not_a_run_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(["report", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a run folder"));
}
