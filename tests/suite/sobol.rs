//! `budgetsim sensitivity --method sobol`: every uncertain assumption varied at once,
//! the variance of the paired difference split into each one's share (Sobol indices),
//! reproducible on any thread count, with a chart and a report in both languages. The
//! estimator itself is checked on the Ishigami function in `analysis::sobol`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bin, text};
use budgetsim::scenario;
use budgetsim::sensitivity::global::{self, Output as Measured};
use budgetsim::sensitivity::{self, Options};

/// A scenario file extending the default with `body` appended.
fn scenario_file(dir: &Path, body: &str) -> PathBuf {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let p = dir.join("sobol.toml");
    let text = format!(
        "extends = {:?}\nname = \"sobol test\"\n{body}",
        default.display().to_string()
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// Switching costs hit only the model that re-competes its stages (stage-gated); over a
/// wide range they must take most of the difference's variance, while a narrow range
/// of a market assumption both models share takes little. First-order shares never
/// exceed total-order ones beyond noise, and together stay near or under 100%.
#[test]
fn an_assumption_that_moves_one_model_takes_the_variance_of_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"[sensitivity]
portfolios = 60
parameters = [
  { path = "vendors.switching_cost_share", low = 0.0, high = 3.0 },
  { path = "vendors.sole_source_markup", low = 0.39, high = 0.41 },
  { path = "models.stage_gated.gate_review_cost", low = 0, high = 40_000 },
]
"#,
    );
    let loaded = scenario::load_file(&path, &[]).unwrap();
    let plan = sensitivity::plan(&loaded, &Options::default()).unwrap();
    let g = global::global(&plan, 32).unwrap();
    // Levers are left to the one-at-a-time view.
    let inputs: Vec<&str> = g.inputs.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        inputs,
        ["vendors.sole_source_markup", "vendors.switching_cost_share"]
    );
    assert_eq!(g.runs(), 32 * 4);
    let r = global::run(&g, &|_| {}).unwrap();
    assert_eq!(r.points.len(), 128);
    let diff = &r.splits[0];
    assert_eq!(diff.output, Measured::Difference);
    let ix = diff.indices.as_ref().unwrap();
    let (markup, switching) = (0, 1);
    assert!(
        ix.total_order[switching].estimate > 0.8,
        "{:?}",
        ix.total_order
    );
    assert!(
        ix.total_order[markup].estimate < 0.2,
        "{:?}",
        ix.total_order
    );
    for i in 0..2 {
        let (s, t) = (ix.first_order[i], ix.total_order[i]);
        assert!(s.low <= s.estimate && s.estimate <= s.high);
        assert!(s.estimate <= t.estimate + 0.1, "{s:?} {t:?}");
    }
    let sum: f64 = ix.first_order.iter().map(|e| e.estimate).sum();
    assert!(sum < 1.15, "first-order shares add to {sum}");
    // The waterfall never re-competes: switching costs cannot move its own mean.
    let baseline = &r.splits[1];
    assert_eq!(baseline.output, Measured::Baseline);
    let b = baseline.indices.as_ref().unwrap();
    assert!(
        b.total_order[switching].estimate.abs() < 1e-9,
        "{:?}",
        b.total_order
    );
    // Every point ran the inputs it says, within their ranges.
    for p in &r.points {
        assert!((0.39..=0.41).contains(&p[markup]) && (0.0..=3.0).contains(&p[switching]));
    }
}

/// A metric no assumption can move between the models (both consider the same ideas)
/// has no variance to split: the study says so instead of printing noise.
#[test]
fn a_difference_that_never_varies_is_not_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"[sensitivity]
portfolios = 20
metric = "ideas_considered"
parameters = [
  { path = "vendors.markup", low = 0.2, high = 0.4 },
  { path = "ideas.fit_probability", low = 0.3, high = 0.6 },
]
"#,
    );
    let loaded = scenario::load_file(&path, &[]).unwrap();
    let plan = sensitivity::plan(&loaded, &Options::default()).unwrap();
    let g = global::global(&plan, 8).unwrap();
    let r = global::run(&g, &|_| {}).unwrap();
    assert!(r.outputs.iter().all(|o| o[0] == 0.0));
    assert_eq!(
        r.splits[0].indices.as_ref().unwrap_err(),
        &global::Unsplit::Constant
    );
}

/// Declared ranges are used as declared, or refused: never dropped in silence, never
/// twice; a count takes each whole number of its range equally often.
#[test]
fn declared_ranges_are_used_whole_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plan_of = |body: &str| {
        let path = scenario_file(dir.path(), body);
        let loaded = scenario::load_file(&path, &[]).unwrap();
        sensitivity::plan(&loaded, &Options::default()).unwrap()
    };
    let twice = plan_of(
        r#"[sensitivity]
parameters = [
  { path = "ideas.fit_probability", low = 0.3, high = 0.5 },
  { path = "ideas.fit_probability", low = 0.4, high = 0.6 },
]
"#,
    );
    let err = global::global(&twice, 8).unwrap_err();
    assert!(err.contains("twice"), "{err}");
    // A median above the scenario's p90 is refused one at a time, so it cannot be
    // varied: the study says so instead of running without it.
    let refused = plan_of(
        r#"[sensitivity]
parameters = [
  { path = "ideas.planned_cost.median", low = 1_000_000, high = 6_000_000 },
  { path = "ideas.fit_probability", low = 0.3, high = 0.5 },
]
"#,
    );
    let err = global::global(&refused, 8).unwrap_err();
    assert!(err.contains("ideas.planned_cost.median"), "{err}");
    let narrow = plan_of(
        r#"[sensitivity]
parameters = [
  { path = "vendors.large", low = 4, high = 6 },
  { path = "fund.ideas_per_round", low = 2.2, high = 2.8 },
]
"#,
    );
    let err = global::global(&narrow, 8).unwrap_err();
    assert!(err.contains("no whole number"), "{err}");
    let counts = plan_of(
        r#"[sensitivity]
portfolios = 2
parameters = [
  { path = "vendors.large", low = 4, high = 6 },
  { path = "ideas.fit_probability", low = 0.3, high = 0.5 },
]
"#,
    );
    let g = global::global(&counts, 64).unwrap();
    let r = global::run(&g, &|_| {}).unwrap();
    let large = g
        .inputs
        .iter()
        .position(|p| p.path == "vendors.large")
        .unwrap();
    // Rows of A and B: 128 draws of a uniform whole number in 4..=6.
    let mut seen = [0u32; 3];
    for p in &r.points[..128] {
        let v = p[large];
        assert_eq!(v.fract(), 0.0);
        seen[(v - 4.0) as usize] += 1;
    }
    assert!(seen.iter().all(|&n| (32..=54).contains(&n)), "{seen:?}");
}

#[test]
fn the_command_writes_the_same_indices_on_any_thread_count_with_a_report_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"[sensitivity]
parameters = [
  { path = "ideas.business_case_noise", low = 0.5, high = 1.5 },
  { path = "risk.black_swan_probability", low = 0.08, high = 0.25 },
  { path = "vendors.bid_probability", low = 0.2, high = 0.4 },
]
"#,
    );
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = bin(&[
            "sensitivity",
            path.to_str().unwrap(),
            "--method",
            "sobol",
            "--samples",
            "8",
            "--portfolios",
            "20",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let shown = text(&o.stdout);
        assert!(
            shown.contains("Sobol indices") && shown.contains("ideas.business_case_noise"),
            "{shown}"
        );
        outs.push(out);
    }
    for f in ["sobol.csv", "sobol_points.csv", "sensitivity_excluded.csv"] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        assert_eq!(a, std::fs::read(outs[1].join(f)).unwrap(), "{f}");
    }
    // One row per output and assumption; the points are the design's 8 x (3 + 2).
    let csv = std::fs::read_to_string(outs[0].join("sobol.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 3);
    let points = std::fs::read_to_string(outs[0].join("sobol_points.csv")).unwrap();
    assert_eq!(points.lines().count(), 1 + 8 * 5);
    assert!(points.lines().nth(1).unwrap().starts_with("0,A,"));
    // The manifest's reproduce command runs the same study.
    let manifest = std::fs::read_to_string(outs[0].join("manifest.json")).unwrap();
    assert!(
        manifest.contains("--method sobol --samples 8") && manifest.contains("\"kind\": \"sobol\""),
        "{manifest}"
    );
    crate::report::study_report_rebuilds(
        &outs[0],
        "sobol",
        &[
            "What drives the difference",
            "Every assumption varied",
            "<code>ideas.business_case_noise</code>",
        ],
        &[
            "Ce qui fait varier l’écart",
            "Toutes les hypothèses variées",
        ],
    );
}

#[test]
fn bad_sobol_options_exit_2_and_say_what_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let o = bin(&["sensitivity", "--samples", "8", "--quiet", "--out", out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--method sobol"),
        "{}",
        text(&o.stderr)
    );
    let o = bin(&[
        "sensitivity",
        "--method",
        "sobol",
        "--samples",
        "1",
        "--portfolios",
        "5",
        "--quiet",
        "--out",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--samples 1"),
        "{}",
        text(&o.stderr)
    );
    // Only levers declared: nothing uncertain to vary.
    let levers = scenario_file(
        dir.path(),
        r#"[sensitivity]
parameters = [{ path = "models.stage_gated.gate_review_cost", low = 0, high = 40_000 }]
"#,
    );
    let o = bin(&[
        "sensitivity",
        levers.to_str().unwrap(),
        "--method",
        "sobol",
        "--portfolios",
        "5",
        "--quiet",
        "--out",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no uncertain assumption"),
        "{}",
        text(&o.stderr)
    );
    // Ranges that cross (the catalyst preset's duration minimum and mode, each moved
    // by the spread) are found before anything runs, naming the field.
    let preset = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/uk-govtech-catalyst.toml");
    let o = bin(&[
        "sensitivity",
        preset.to_str().unwrap(),
        "--method",
        "sobol",
        "--samples",
        "8",
        "--portfolios",
        "5",
        "--quiet",
        "--out",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("ideas.planned_duration_months") && err.contains("--spread"),
        "{err}"
    );
    assert!(!Path::new(out).exists(), "no folder is left behind");
}

/// A study folder is written whole or not at all: a write that fails (a full disk,
/// simulated) exits 1 and leaves the previous study's files as they were.
#[test]
fn a_failed_write_keeps_the_previous_study() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"[sensitivity]
parameters = [
  { path = "ideas.business_case_noise", low = 0.5, high = 1.5 },
  { path = "vendors.bid_probability", low = 0.2, high = 0.4 },
]
"#,
    );
    let out = dir.path().join("study");
    let args = |portfolios: &'static str| {
        vec![
            "sensitivity".to_string(),
            path.to_str().unwrap().to_string(),
            "--method".into(),
            "sobol".into(),
            "--samples".into(),
            "8".into(),
            "--portfolios".into(),
            portfolios.into(),
            "--quiet".into(),
            "--out".into(),
            out.to_str().unwrap().to_string(),
        ]
    };
    let o = bin(&args("10").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let before = std::fs::read(out.join("sobol.csv")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args("12"))
        .env("BUDGETSIM_FAULT_AFTER_FILES", "2")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("no space left") && err.contains("unchanged"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("sobol.csv")).unwrap(), before);
    assert!(
        budgetsim::export::run_folder::verify(&out)
            .unwrap()
            .is_empty()
    );
}
