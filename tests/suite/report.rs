//! Charts and reports end to end: every chart in both languages as a PNG of the right
//! size and an SVG carrying its title; French reports without English labels; scenario
//! text escaped; `budgetsim report DIR` rebuilding from the files alone.

use std::path::Path;
use std::process::{Command, Output};

use budgetsim::report::Lang;
use budgetsim::report::charts::ChartKind;
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
    let mut data = budgetsim::report::data::read(&out).unwrap();
    for (dir, lang) in [("charts", "en"), ("charts/fr", "fr")] {
        for kind in ChartKind::ALL {
            let png = out.join(dir).join(format!("{}.png", kind.name()));
            assert_eq!(
                png_size(&png),
                (2 * SIZE.0, 2 * SIZE.1),
                "{}",
                png.display()
            );
            let svg_text =
                std::fs::read_to_string(out.join(dir).join(format!("{}.svg", kind.name())))
                    .unwrap();
            let svg = roxmltree::Document::parse(&svg_text)
                .unwrap_or_else(|e| panic!("{lang} {}: {e}", kind.name()));
            // Drawn text only: the <title> element repeats the title for screen readers.
            let text: String = svg
                .descendants()
                .filter(|n| n.is_text() && n.parent().is_some_and(|p| !p.has_tag_name("title")))
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join(" ");
            // The computed title is in the SVG's text, word for word.
            let language = if lang == "fr" { Lang::Fr } else { Lang::En };
            data.set_lang(language);
            let title = kind.title(&data, language);
            // And the SVG is one image named by that title for screen readers.
            let root = svg.root_element();
            assert_eq!(
                root.attribute("role"),
                Some("img"),
                "{lang} {}",
                kind.name()
            );
            assert_eq!(root.attribute("aria-label"), Some(title.as_str()));
            let named = root
                .children()
                .find(|n| n.has_tag_name("title"))
                .and_then(|n| n.text());
            assert_eq!(named, Some(title.as_str()), "{lang} {}", kind.name());
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

/// The `width` and `height` of an SVG's root element.
fn svg_size(path: &Path) -> (u32, u32) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let dim = |name: &str| {
        let v = doc.root_element().attribute(name).unwrap();
        v.trim_end_matches("px").parse::<u32>().unwrap()
    };
    (dim("width"), dim("height"))
}

/// Every PNG chart of `dir` (and its `fr/`) is twice its SVG's size in each direction;
/// returns how many were checked.
fn pngs_are_twice_their_svgs(dir: &Path) -> usize {
    let mut checked = 0;
    for sub in [dir.to_path_buf(), dir.join("fr")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let png = entry.unwrap().path();
            if png.extension().is_none_or(|e| e != "png") {
                continue;
            }
            let (w, h) = svg_size(&png.with_extension("svg"));
            assert_eq!(png_size(&png), (2 * w, 2 * h), "{}", png.display());
            checked += 1;
        }
    }
    checked
}

/// PNG charts are drawn at twice their logical (SVG) size, so they are sharp on high-DPI
/// screens and in print: a run's charts, the bridge chart, the tornado chart and a
/// two-field sweep's charts.
#[test]
fn png_charts_are_twice_the_size_of_their_svgs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = out.to_str().unwrap();
    run(
        tmp.path(),
        &[
            "run",
            "--quiet",
            "--portfolios",
            "40",
            "--explain",
            "--out",
            o,
        ],
    );
    let n = pngs_are_twice_their_svgs(&out.join("charts"));
    assert_eq!(
        n,
        2 * (ChartKind::ALL.len() + 1),
        "run charts and the bridge"
    );
    let tornado = tmp.path().join("sensitivity");
    let t = tornado.to_str().unwrap();
    run(
        tmp.path(),
        &["sensitivity", "--quiet", "--portfolios", "20", "--out", t],
    );
    assert_eq!(pngs_are_twice_their_svgs(&tornado.join("charts")), 2);
    let sweep = tmp.path().join("sweep");
    run(
        tmp.path(),
        &[
            "run",
            "--quiet",
            "--portfolios",
            "30",
            "--sweep",
            "models.stage_gated.hurdle=0.8,1.2",
            "--sweep",
            "fund.budget=5e7,1e8",
            "--out",
            sweep.to_str().unwrap(),
        ],
    );
    let n = pngs_are_twice_their_svgs(&sweep.join("charts"));
    assert!(n >= 2 * 8, "sweep charts: {n}");
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
        fr.contains("<html lang=\"fr\">") && fr.contains("En bref") && fr.contains("Gaspillage")
    );
    let messages = |code: &str| -> Vec<(String, String)> {
        let path = format!(
            "{}/src/report/locales/{code}.ftl",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for ((key, english), (_, french)) in messages("en").iter().zip(messages("fr")) {
        if *english == french {
            continue;
        }
        // The text between arguments (`{ $name }`).
        let text = english.split(['{', '}']).step_by(2);
        for fragment in text.map(str::trim).filter(|f| f.len() >= 12) {
            assert!(
                !fr.contains(fragment),
                "French report shows English `{fragment}` ({key})"
            );
        }
    }
    assert!(en.contains("Bottom line") && !en.contains("En bref"));
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
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
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
    // Redrawing one language keeps the other's report and charts.
    std::fs::remove_file(out.join("report.fr.html")).unwrap();
    let english = std::fs::read(out.join("report.html")).unwrap();
    run(
        tmp.path(),
        &["report", out.to_str().unwrap(), "--lang", "fr"],
    );
    assert!(out.join("report.fr.html").is_file());
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), english);
    assert!(
        out.join("charts/headline.png").is_file() && out.join("charts/fr/headline.png").is_file()
    );
    assert!(
        budgetsim::export::run_folder::verify(&out)
            .unwrap()
            .is_empty(),
        "the kept files are listed"
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

/// Rows of a run folder's CSV file as maps from column to text.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            h.iter()
                .zip(x.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The text of the report's section `class` (tags dropped, entities of `'` undone).
fn section(html: &str, class: &str) -> String {
    let start = html
        .find(&format!("<section class=\"{class}\">"))
        .unwrap_or_else(|| panic!("no {class} section"));
    let end = start + html[start..].find("</section>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_decision_page_states_the_winner_and_the_risks_from_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    // As shipped, and with stage gates so costly that the baseline must win.
    for (name, extra) in [
        ("shipped", &[][..]),
        (
            "costly-gates",
            &["--set", "models.stage_gated.gate_review_cost=3000000"][..],
        ),
    ] {
        let out = tmp.path().join(name);
        default_run(&out, extra);
        let comparison = csv_rows(&out.join("comparison.csv"));
        let net = comparison
            .iter()
            .find(|r| {
                r["model_a"] == "stage_gated"
                    && r["model_b"] == "waterfall_rc"
                    && r["metric"] == "net_value"
            })
            .unwrap();
        let mean: f64 = net["mean_diff"].parse().unwrap();
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        let bottom = section(&html, "answer");
        let (winner, loser) = if mean >= 0.0 {
            (
                "Stage-gated (GOV.UK phases)",
                "Waterfall (reference-class forecast)",
            )
        } else {
            (
                "Waterfall (reference-class forecast)",
                "Stage-gated (GOV.UK phases)",
            )
        };
        let claim = format!("{winner} delivers more net value than {loser}");
        assert!(
            bottom.contains(&claim),
            "{name}: wanted `{claim}` in: {bottom}"
        );
        assert_eq!(name == "costly-gates", mean < 0.0, "{name}: mean {mean}");
        // The CI of the mean is labelled as such, and the range of outcomes stands
        // beside it: p5 to p95 of the difference, and how often the challenger loses.
        assert!(bottom.contains("95% CI of the mean"), "{bottom}");
        let worse: f64 = net["prob_a_worse"].parse().unwrap();
        let p5: f64 = net["p5"].parse().unwrap();
        let p95: f64 = net["p95"].parse().unwrap();
        assert!(p5 < mean && mean < p95, "{name}: {p5} {mean} {p95}");
        assert!(
            bottom.contains(&format!("does worse in {:.0}% of them", 100.0 * worse)),
            "{bottom}"
        );

        // The risk box: each model's chance of overspending and of losing money, read
        // again from the per-portfolio rows.
        let risk = section(&html, "risk");
        let budget = 50e6; // the default's fund.budget
        let rows = csv_rows(&out.join("portfolios.csv"));
        for model in ["waterfall", "waterfall_rc", "stage_gated"] {
            let mine: Vec<_> = rows.iter().filter(|r| r["model"] == model).collect();
            let share = |pred: &dyn Fn(&std::collections::HashMap<String, String>) -> bool| {
                mine.iter().filter(|r| pred(r)).count() as f64 / mine.len() as f64
            };
            let over = share(&|r| r["spend"].parse::<f64>().unwrap() > budget * (1.0 + 1e-9));
            let negative = share(&|r| r["net_value"].parse::<f64>().unwrap() < 0.0);
            let file = csv_rows(&out.join("risk.csv"));
            let row = file.iter().find(|r| r["model"] == model).unwrap();
            assert_eq!(
                row["prob_over_budget"].parse::<f64>().unwrap(),
                over,
                "{model}"
            );
            assert_eq!(
                row["prob_net_value_negative"].parse::<f64>().unwrap(),
                negative,
                "{model}"
            );
            for p in [over, negative] {
                assert!(
                    risk.contains(&format!("{:.0}%", 100.0 * p)),
                    "{p} in {risk}"
                );
            }
        }
        assert!(risk.contains("Worst 5% of funds") && risk.contains("95% CI of the mean"));
        let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
        // (section() reads the no-break space before % as a space.)
        assert!(section(&fr, "risk").contains("IC à 95 % de la moyenne"));
        // The trade-offs split the net-value difference into value and spend.
        let trade = section(&html, "tradeoffs");
        assert!(trade.contains("Services delivered per fund"), "{trade}");
        assert!(trade.contains("difference in net value is"), "{trade}");
    }
}

#[test]
fn the_decision_page_says_what_would_change_the_answer() {
    let tmp = tempfile::tempdir().unwrap();
    // Without --sensitivity the page says how to measure it.
    let plain = tmp.path().join("plain");
    default_run(&plain, &[]);
    let html = std::fs::read_to_string(plain.join("report.html")).unwrap();
    assert!(section(&html, "change").contains("--sensitivity"));

    // Gate reviews from $0 to $3M: the dearest reverse the answer.
    let scenario = tmp.path().join("gates.toml");
    std::fs::write(
        &scenario,
        format!(
            "extends = {:?}\n[sensitivity]\nportfolios = 100\nparameters = [\n  {{ path = \"models.stage_gated.gate_review_cost\", low = 0, high = 3_000_000 }},\n  {{ path = \"vendors.markup\", low = 0.1, high = 0.5 }},\n]\n",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios/default.toml")
                .display()
                .to_string()
        ),
    )
    .unwrap();
    let out = tmp.path().join("gated");
    default_run(&out, &["--sensitivity", scenario.to_str().unwrap()]);
    let rows = csv_rows(&out.join("sensitivity.csv"));
    let gates = rows
        .iter()
        .find(|r| r["parameter"] == "models.stage_gated.gate_review_cost")
        .unwrap();
    assert_eq!(gates["flips_at"], "high");
    let b: f64 = gates["break_even"].parse().unwrap();
    assert!(b > 20_000.0 && b < 3e6, "{b}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let change = section(&html, "change");
    assert!(
        change.contains("Inputs that flip the answer: 1 of the 2 moved"),
        "{change}"
    );
    assert!(
        change.contains("Stage-gated (GOV.UK phases): cost of a gate review: from $0 to $3M")
            && change.contains("the answer flips at"),
        "{change}"
    );
    let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
    assert!(section(&fr, "change").contains("la réponse se renverse à"));
    // The reproduce command asks for the same study.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(m["reproduce"].as_str().unwrap().contains("--sensitivity"));
}

#[test]
fn the_spending_chart_marks_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    default_run(&out, &["--set", "fund.budget=40000000"]);
    for (dir, label) in [
        ("charts", "Budget $40M"),
        ("charts/fr", "Budget de 40\u{a0}M$"),
    ] {
        let svg =
            std::fs::read_to_string(out.join(dir).join("spend-and-value-over-time.svg")).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert!(
            doc.descendants()
                .any(|n| n.text().map(str::trim) == Some(label)),
            "{dir}: no `{label}` on the spending chart"
        );
    }
}

#[test]
fn the_bottom_line_never_claims_a_win_it_does_not_have() {
    let tmp = tempfile::tempdir().unwrap();
    // Nothing ever clears its hurdle: every fund of every model nets exactly $0.
    let tie = tmp.path().join("tie");
    default_run(&tie, &["--set", "ideas.fit_probability=0"]);
    let html = std::fs::read_to_string(tie.join("report.html")).unwrap();
    let bottom = section(&html, "answer");
    assert!(
        bottom.contains("deliver the same net value on average")
            && !bottom.contains("delivers more"),
        "{bottom}"
    );
    // Nothing delivered is not a late delivery: no "first value after 60 months".
    let tradeoffs = section(&html, "tradeoffs");
    assert!(
        tradeoffs.contains("Time to first value: none in 60 months against none in 60 months"),
        "{tradeoffs}"
    );
    let fr = std::fs::read_to_string(tie.join("report.fr.html")).unwrap();
    let fr = section(&fr, "tradeoffs");
    assert!(fr.contains("aucune en 60 mois contre aucune"), "{fr}");
    // One model: nothing to compare, and no comparison sections.
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml"),
    )
    .unwrap();
    let cut = default.find("[models.waterfall_rc]").unwrap();
    let one = tmp.path().join("one.toml");
    std::fs::write(&one, &default[..cut]).unwrap();
    let out = tmp.path().join("single");
    default_run(&out, &[one.to_str().unwrap()]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let bottom = section(&html, "answer");
    assert!(bottom.contains("nothing to compare"), "{bottom}");
    assert!(!html.contains("class=\"tradeoffs\"") && !html.contains("class=\"change\""));
}

/// A study folder (explain, sensitivity) has a report in both languages that
/// `budgetsim report DIR` draws again, byte for byte, from the folder's files alone;
/// each report holds `en` and `fr` (texts a reader must find) and the inline chart
/// `chart`.
pub fn study_report_rebuilds(dir: &Path, chart: &str, en: &[&str], fr: &[&str]) {
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let files = [
        "report.html".to_string(),
        "report.fr.html".to_string(),
        format!("charts/{chart}.svg"),
        format!("charts/fr/{chart}.png"),
    ];
    let before: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
    for (report, texts) in [("report.html", en), ("report.fr.html", fr)] {
        let html = String::from_utf8(read(report)).unwrap();
        assert!(
            html.contains(&format!("<figure id=\"{chart}\">")),
            "{report}: no {chart}"
        );
        for t in texts {
            assert!(html.contains(t), "{report}: no `{t}`");
        }
    }
    for f in &files {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    run(dir, &["report", dir.to_str().unwrap()]);
    for (f, b) in files.iter().zip(before) {
        assert!(read(f) == b, "{f} differs when `report DIR` draws it again");
    }
    assert!(
        budgetsim::export::run_folder::verify(dir)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_report_that_cannot_be_drawn_names_the_folder_and_the_file() {
    // An explain folder whose explain.csv lost a column: --reseal accepts the edit, then
    // drawing fails; the message names the folder and the file, not a staging copy.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("explained");
    run(
        tmp.path(),
        &[
            "explain",
            "--quiet",
            "--portfolios",
            "3",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let csv = std::fs::read_to_string(out.join("explain.csv")).unwrap();
    std::fs::write(
        out.join("explain.csv"),
        csv.replacen("mechanism,", "part,", 1),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(["report", out.to_str().unwrap(), "--reseal"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("explain.csv") && err.contains("mechanism"),
        "{err}"
    );
    assert!(!err.contains(".tmp-"), "names a staging copy: {err}");
    assert!(err.contains(out.to_str().unwrap()), "{err}");
}

/// `report --reseal` accepts edited data only as the kind of folder its manifest
/// records, and refuses a number edited into words (naming file, line and column)
/// instead of drawing it as undefined; a refused redraw leaves the folder as it was.
#[test]
fn a_resealed_folder_keeps_its_kind_and_its_numbers_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("sweep");
    let run_dir = tmp.path().join("run");
    default_run(&run_dir, &[]);
    default_run(&sweep, &["--sweep", "models.stage_gated.hurdle=0.8,1.2"]);
    let redraw = |dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_budgetsim"))
            .args(["report", "--reseal", dir.to_str().unwrap()])
            .output()
            .unwrap()
    };
    // A summary.csv dropped into a sweep folder does not make it a run.
    std::fs::copy(run_dir.join("summary.csv"), sweep.join("summary.csv")).unwrap();
    let o = redraw(&sweep);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(sweep.join("report.html")).unwrap();
    assert!(html.contains("compared across a sweep"), "redrawn as a run");
    // A word where a number was: refused, with where and what to do.
    let before = std::fs::read(sweep.join("report.html")).unwrap();
    let text = std::fs::read_to_string(sweep.join("sweep.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let mean = header.iter().position(|h| *h == "mean").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[mean] = "lots".into();
    lines[3] = cells.join(",");
    std::fs::write(sweep.join("sweep.csv"), lines.join("\n") + "\n").unwrap();
    let o = redraw(&sweep);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sweep.csv, line 4: column `mean` holds `lots`, not a number"),
        "{err}"
    );
    assert_eq!(std::fs::read(sweep.join("report.html")).unwrap(), before);
    // The table the manifest's kind needs, gone: named.
    std::fs::remove_file(sweep.join("sweep.csv")).unwrap();
    let o = redraw(&sweep);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("written by `budgetsim run`") && err.contains("sweep.csv is missing"),
        "{err}"
    );
}

/// Resealing checks every table a run could have written: an infinite statistic (which
/// no run writes, and which no chart can be scaled to), a word in portfolios.csv, a
/// manifest `kind` that is no kind, or two best points in sweep_choice.csv are refused,
/// each naming what to fix, without hanging and leaving the folder as it was.
#[test]
fn resealed_tables_must_be_tables_a_run_could_write() {
    let tmp = tempfile::tempdir().unwrap();
    let redraw = |dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_budgetsim"))
            .args(["report", "--reseal", dir.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let refused = |dir: &Path, expect: &str| {
        let before = std::fs::read(dir.join("report.html")).unwrap();
        let o = redraw(dir);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_ne!(o.status.code(), Some(0), "accepted: {expect}");
        assert!(err.contains(expect), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(std::fs::read(dir.join("report.html")).unwrap(), before);
    };
    // A sensitivity folder whose base difference became infinite.
    let sens = tmp.path().join("sens");
    run(
        tmp.path(),
        &[
            "sensitivity",
            "--quiet",
            "--portfolios",
            "8",
            "--spread",
            "0.5",
            "--out",
            sens.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(sens.join("sensitivity.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "diff_base").unwrap();
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            if i > 0 {
                cells[col] = "inf".into();
            }
            cells.join(",")
        })
        .collect();
    std::fs::write(sens.join("sensitivity.csv"), edited.join("\n") + "\n").unwrap();
    refused(&sens, "column `diff_base` holds `inf`, an infinite value");
    // A run whose portfolios.csv holds a word where a number was.
    let run_dir = tmp.path().join("run");
    default_run(&run_dir, &["--lang", "en"]);
    let text = std::fs::read_to_string(run_dir.join("portfolios.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let last = lines[1].rfind(',').unwrap();
    lines[1] = format!("{},lots", &lines[1][..last]);
    std::fs::write(run_dir.join("portfolios.csv"), lines.join("\n") + "\n").unwrap();
    refused(&run_dir, "portfolios.csv, line 2");
    std::fs::write(run_dir.join("portfolios.csv"), text).unwrap();
    // A manifest whose kind is no kind.
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json")).unwrap();
    std::fs::write(
        run_dir.join("manifest.json"),
        manifest.replace("\"kind\": \"run\"", "\"kind\": \"bogus\""),
    )
    .unwrap();
    refused(&run_dir, "`kind` is \"bogus\"");
    // A sweep with two best points for the compared pair.
    let sweep = tmp.path().join("sweep");
    default_run(
        &sweep,
        &[
            "--lang",
            "en",
            "--sweep",
            "models.stage_gated.hurdle=0.8,1,1.2",
        ],
    );
    let text = std::fs::read_to_string(sweep.join("sweep_choice.csv")).unwrap();
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.contains(",stage_gated,waterfall_rc,") {
                let cut = l.rfind(',').unwrap();
                format!("{},best", &l[..cut])
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(sweep.join("sweep_choice.csv"), edited.join("\n") + "\n").unwrap();
    refused(&sweep, "two points are `best`");
}
