//! `budgetsim explain`: Shapley contributions that add up, fund by fund, from the
//! difference with every mechanism off to the full difference; a mechanism that changes
//! nothing gets exactly 0; the folder is the same on any thread count; `run --explain`
//! gives the report its "Where the difference comes from" section.

use std::path::Path;
use std::process::Output;

use budgetsim::engine;
use budgetsim::explain::{self, Mechanism, Plan};
use budgetsim::metrics::Metric;

use crate::common::{bin, default_scenario, diffs, text};

fn index(s: &budgetsim::model::Scenario, key: &str) -> usize {
    s.models.iter().position(|m| m.name == key).unwrap()
}

#[test]
fn contributions_and_the_all_off_difference_add_up_to_the_full_difference_per_portfolio() {
    let s = default_scenario();
    let pair = (index(&s, "waterfall_rc"), index(&s, "stage_gated"));
    let plan = Plan::new(&s, pair, 4, &Mechanism::ALL);
    assert_eq!(plan.subsets(), 1024);
    let e = explain::run(&plan, &|_| {});
    assert_eq!(e.contributions.len(), 10);
    let scale = e
        .full
        .iter()
        .chain(&e.all_off)
        .fold(1.0f64, |m, x| m.max(x.abs()));
    for p in 0..4 {
        let sum: f64 = e.contributions.iter().map(|c| c.1[p]).sum();
        let gap = (e.all_off[p] + sum - e.full[p]).abs();
        assert!(
            gap <= 1e-9 * scale,
            "portfolio {p}: off {} + {sum} vs full {}",
            e.all_off[p],
            e.full[p]
        );
    }
    assert!(e.efficiency_gap() <= 1e-9 * scale);
    // The full difference is the scenario's own paired difference: running only the two
    // models changes nothing for them.
    let mut whole = s.clone();
    whole.simulation.portfolios = 4;
    let r = engine::run(&whole, 0..4);
    assert_eq!(e.full, diffs(&r, pair.1, pair.0, Metric::NetValue));
    // Something is explained: not every contribution is zero.
    assert!(
        e.contributions
            .iter()
            .any(|c| c.1.iter().any(|x| *x != 0.0))
    );
    // The table: mechanisms by decreasing |mean|, then both ends; shares of the full mean.
    let t = e.table();
    assert_eq!(t.rows.len(), 12);
    let means: Vec<f64> = t.mechanisms().map(|r| r.contribution.abs()).collect();
    assert!(means.windows(2).all(|w| w[0] >= w[1]), "{means:?}");
    let full = t.get(explain::Part::Full).unwrap();
    assert!((full.share_of_full - 1.0).abs() < 1e-12);
    let shares: f64 = t.rows.iter().take(11).map(|r| r.share_of_full).sum();
    assert!((shares - 1.0).abs() < 1e-9, "{shares}");
}

#[test]
fn a_mechanism_whose_off_setting_changes_nothing_contributes_exactly_zero() {
    let mut s = default_scenario();
    s.risk.black_swan_probability = 0.0;
    let pair = (index(&s, "waterfall"), index(&s, "stage_gated"));
    let mechanisms = [
        Mechanism::Learning,
        Mechanism::BlackSwans,
        Mechanism::Markups,
        Mechanism::Budget,
    ];
    let plan = Plan::new(&s, pair, 12, &mechanisms);
    let e = explain::run(&plan, &|_| {});
    let swans = &e.contributions[1];
    assert_eq!(swans.0, Mechanism::BlackSwans);
    assert!(swans.1.iter().all(|x| *x == 0.0), "{:?}", swans.1);
    let learning = &e.contributions[0];
    assert!(learning.1.iter().any(|x| *x != 0.0));
}

#[test]
fn every_mechanism_switches_off_what_it_names() {
    let s = default_scenario();
    for m in Mechanism::ALL {
        let mut t = s.clone();
        m.switch_off(&mut t);
        let stages = || t.models.iter().flat_map(|x| x.stages.iter());
        let changed = match m {
            Mechanism::Misfits => t.ideas.fit_probability == 1.0,
            Mechanism::BusinessCaseNoise => t.ideas.business_case_noise == 0.0,
            Mechanism::Learning => {
                stages().all(|st| st.signal_noise == f64::INFINITY && st.misfit_detection == 0.0)
            }
            Mechanism::Drift => t.risk.requirements_half_life_months == f64::INFINITY,
            Mechanism::DurationEffect => t.risk.duration_exponent == 0.0,
            Mechanism::BlackSwans => t.risk.black_swan_probability == 0.0,
            Mechanism::Markups => {
                t.vendors.markup == 0.0
                    && t.vendors.sole_source_markup == 0.0
                    && t.vendors.overrun_markup == 0.0
            }
            Mechanism::EarlyValue => stages().all(|st| st.value_share == 0.0),
            Mechanism::Overheads => t.models.iter().all(|x| {
                x.gate_review_cost == 0.0
                    && x.gate_delay_months == 0.0
                    && x.procurement_cost == 0.0
                    && x.procurement_delay_months == 0.0
            }),
            Mechanism::Budget => t.fund.budget >= 1e15,
        };
        assert!(changed, "{}", m.name());
    }
}

fn explain_cli(out: &Path, threads: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "explain",
        "--portfolios",
        "3",
        "--threads",
        threads,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    bin(&args)
}

#[test]
fn the_command_writes_the_same_folder_on_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = explain_cli(&out, threads, &[]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let stdout = text(&o.stdout);
        assert!(
            stdout.contains("Where the net-value difference comes from")
                && stdout.contains("Every mechanism off"),
            "{stdout}"
        );
        outs.push(out);
    }
    let a = std::fs::read(outs[0].join("explain.csv")).unwrap();
    assert_eq!(a, std::fs::read(outs[1].join("explain.csv")).unwrap());
    assert!(
        budgetsim::export::run_folder::verify(&outs[0])
            .unwrap()
            .is_empty()
    );
    for f in [
        "explain.csv",
        "scenario.toml",
        "manifest.json",
        "charts/explain-bridge.png",
        "charts/explain-bridge.svg",
        "charts/fr/explain-bridge.png",
        "charts/fr/explain-bridge.svg",
    ] {
        assert!(outs[0].join(f).is_file(), "{f}");
    }
    crate::report::study_report_rebuilds(
        &outs[0],
        "explain-bridge",
        &[
            "Where the difference comes from",
            "Contribution of each mechanism",
        ],
        &["D’où vient l’écart", "Contribution de chaque mécanisme"],
    );
    let t = explain::read_csv(&outs[0].join("explain.csv")).unwrap();
    assert_eq!(t.rows.len(), 12);
    assert_eq!(t.rows[10].part, explain::Part::AllOff);
    assert_eq!(t.rows[11].part, explain::Part::Full);
    assert_eq!(
        (t.baseline.as_str(), t.challenger.as_str()),
        ("waterfall_rc", "stage_gated"),
        "the strongest baseline against the best challenger"
    );
    assert!(t.rows.iter().all(|r| r.portfolios == 3));
    let csv = std::fs::read_to_string(outs[0].join("explain.csv")).unwrap();
    assert!(csv.starts_with(
        "mechanism,label,contribution,se,ci_low,ci_high,share_of_full,portfolios,baseline,challenger\n"
    ));
    let manifest = std::fs::read_to_string(outs[0].join("manifest.json")).unwrap();
    assert!(manifest.contains("\"portfolios\": 3"), "{manifest}");
    // The French chart speaks French.
    let svg = std::fs::read_to_string(outs[0].join("charts/fr/explain-bridge.svg")).unwrap();
    assert!(
        svg.contains("mécanisme") && svg.contains("Apprentissage"),
        "French labels"
    );
    // --models chooses the pair.
    let out = dir.path().join("pair");
    let o = explain_cli(&out, "2", &["--models", "waterfall,stage_gated"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = explain::read_csv(&out.join("explain.csv")).unwrap();
    assert_eq!(t.baseline, "waterfall");
}

#[test]
fn bad_models_exit_2_and_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    for (models, expect) in [
        ("waterfall", "two model keys"),
        ("waterfall,agile", "no funding model `agile`"),
        ("waterfall,waterfall", "two different models"),
    ] {
        let o = explain_cli(&out, "1", &["--models", models]);
        assert_eq!(o.status.code(), Some(2), "{models}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("--models") && err.contains(expect),
            "{models}: {err}"
        );
        assert!(!out.exists(), "no folder after an error");
    }
}

#[test]
fn run_explain_gives_the_report_its_section_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = bin(&[
        "run",
        "--portfolios",
        "3",
        "--explain",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Where the net-value difference comes from"));
    let check = |why: &str| {
        for f in [
            "explain.csv",
            "charts/explain-bridge.svg",
            "charts/explain-bridge.png",
            "charts/fr/explain-bridge.svg",
            "charts/fr/explain-bridge.png",
        ] {
            assert!(out.join(f).is_file(), "{why}: {f}");
        }
        let en = std::fs::read_to_string(out.join("report.html")).unwrap();
        let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
        assert!(en.contains("Where the difference comes from"), "{why}");
        assert!(en.contains("id=\"explain-bridge\""), "{why}");
        assert!(fr.contains("D’où vient l’écart"), "{why}");
        assert!(fr.contains("Apprentissage à chaque étape"), "{why}");
        assert!(
            !fr.contains("Learning at each stage"),
            "{why}: English in French"
        );
        assert!(
            budgetsim::export::run_folder::verify(&out)
                .unwrap()
                .is_empty(),
            "{why}"
        );
    };
    check("run --explain");
    // `budgetsim report DIR` rebuilds the chart and the section from explain.csv.
    for f in [
        "report.html",
        "report.fr.html",
        "charts/explain-bridge.svg",
        "charts/fr/explain-bridge.png",
    ] {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let o = bin(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    check("report DIR");
    // Without --explain there is no section.
    let plain = dir.path().join("plain");
    let o = bin(&[
        "run",
        "--portfolios",
        "3",
        "--quiet",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let en = std::fs::read_to_string(plain.join("report.html")).unwrap();
    assert!(!en.contains("Where the difference comes from"));
}

#[test]
fn the_docs_name_every_mechanism_and_column() {
    let read =
        |p: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap();
    let (model, outputs) = (read("docs/model.md"), read("docs/outputs.md"));
    for m in Mechanism::ALL {
        assert!(
            model.contains(&format!("| `{}` |", m.name())),
            "model.md: {}",
            m.name()
        );
        assert!(
            outputs.contains(&format!("`{}`", m.name())),
            "outputs.md: {}",
            m.name()
        );
    }
    for c in explain::COLUMNS {
        assert!(
            outputs.contains(&format!("`{c}`")),
            "outputs.md: column {c}"
        );
    }
}
