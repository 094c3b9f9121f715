//! `budgetsim sensitivity`: one-at-a-time moves ranked by swing, with the parameters
//! left out listed with a reason, reproducible on any thread count.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use budgetsim::scenario;
use budgetsim::sensitivity::{self, Options};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml")
}

/// A scenario file extending the default with `body` appended.
fn scenario_file(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("test.toml");
    let text = format!(
        "extends = {:?}\nname = \"sensitivity test\"\n{body}",
        default_path().display().to_string()
    );
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_parameter_the_scenario_makes_dominant_ranks_first() {
    let dir = tempfile::tempdir().unwrap();
    // Gate reviews from $0 to $3M each swamp everything else for the stage-gated model.
    let params = r#"
  { path = "vendors.markup" },
  { path = "ideas.fit_probability" },
  { path = "models.stage_gated.gate_review_cost", low = 0, high = 3_000_000 },"#;
    let table = |extra: &str| {
        format!("[sensitivity]\nportfolios = 150\nparameters = [{params}{extra}\n]\n")
    };
    // An unknown path is an error that names it, found when the scenario loads.
    let path = scenario_file(
        dir.path(),
        &table("\n  { path = \"risk.overrun_log_sd_typo_never_used\", low = 0, high = 1 },"),
    );
    let err = scenario::load_file(&path, &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("risk.overrun_log_sd_typo_never_used"),
        "{err}"
    );

    let path = scenario_file(dir.path(), &table(""));
    let loaded = scenario::load_file(&path, &[]).unwrap();
    let plan = sensitivity::plan(&loaded, &Options::default()).unwrap();
    assert_eq!(plan.moves.len(), 3);
    assert_eq!(plan.portfolios, 150);
    // Everything else numeric is listed as left out, with the reason.
    assert!(
        plan.excluded
            .iter()
            .any(|e| e.path == "fund.budget" && e.reason.contains("not listed"))
    );
    let t = sensitivity::run(&plan, &|_| {});
    assert_eq!(
        t.rows[0].parameter.path,
        "models.stage_gated.gate_review_cost"
    );
    // Costly gates cut the stage-gated model's lead, and at $3M a review they reverse
    // it: the break-even lies between the scenario's cost and $3M, and running there
    // leaves a difference far nearer zero than the scenario's (the difference is far
    // from linear in the cost, so a straight line from $20k to $3M would miss it).
    let gates = &t.rows[0];
    assert!(gates.at_high.mean_diff < gates.at_low.mean_diff);
    assert!(t.base.mean_diff > 0.0 && gates.at_high.mean_diff < 0.0);
    let flip = gates.break_even.expect("costly gates flip the answer");
    assert_eq!(flip.end, sensitivity::End::High);
    assert!(
        flip.value > gates.parameter.base && flip.value < 3e6,
        "{flip:?}"
    );
    let at = scenario::load_file(
        &path,
        &[format!(
            "models.stage_gated.gate_review_cost={}",
            flip.value
        )],
    )
    .unwrap();
    let r = budgetsim::engine::run(&at.scenario, 0..150);
    let net = |m: usize| -> Vec<f64> {
        r.outcomes[m]
            .iter()
            .map(|o| o.get(budgetsim::metrics::Metric::NetValue))
            .collect()
    };
    let (b, c) = (plan.baseline.0, plan.challenger.0);
    let there = budgetsim::analysis::paired(&net(c), &net(b), budgetsim::metrics::Better::Higher);
    assert!(
        there.mean_diff.abs() < 0.1 * t.base.mean_diff.abs(),
        "at the break-even {}: {} (scenario: {})",
        flip.value,
        there.mean_diff,
        t.base.mean_diff
    );
    for w in t.rows.windows(2) {
        assert!(w[0].swing() >= w[1].swing());
    }
    // The spread move is 25% either side of the scenario's value.
    let markup = t
        .rows
        .iter()
        .find(|r| r.parameter.path == "vendors.markup")
        .unwrap();
    assert!(
        (markup.parameter.low - 0.225).abs() < 1e-12
            && (markup.parameter.high - 0.375).abs() < 1e-12
    );
}

#[test]
fn the_command_writes_ranked_csvs_and_tornado_charts_identically_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = bin(&[
            "sensitivity",
            "--portfolios",
            "30",
            "--spread",
            "0.2",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains("rank"), "{}", text(&o.stdout));
        outs.push(out);
    }
    let a = std::fs::read(outs[0].join("sensitivity.csv")).unwrap();
    assert_eq!(a, std::fs::read(outs[1].join("sensitivity.csv")).unwrap());
    assert!(
        budgetsim::export::run_folder::verify(&outs[0])
            .unwrap()
            .is_empty()
    );
    for f in [
        "charts/tornado.png",
        "charts/tornado.svg",
        "charts/fr/tornado.png",
        "charts/fr/tornado.svg",
        "scenario.toml",
        "manifest.json",
    ] {
        assert!(outs[0].join(f).exists(), "{f}");
    }
    let mut r = csv::Reader::from_path(outs[0].join("sensitivity.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let swing = header.iter().position(|h| h == "swing").unwrap();
    let low = header.iter().position(|h| h == "low_value").unwrap();
    let base = header.iter().position(|h| h == "base_value").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert!(rows.len() > 30, "{} parameters moved", rows.len());
    let swings: Vec<f64> = rows.iter().map(|r| r[swing].parse().unwrap()).collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]));
    for row in &rows {
        let (b, l): (f64, f64) = (row[base].parse().unwrap(), row[low].parse().unwrap());
        if row[5].eq("spread") && b > 0.0 && !row[1].ends_with("ideas_per_round") {
            assert!((l - 0.8 * b).abs() <= 1e-9 * b, "{row:?}");
        }
    }
    let excluded = std::fs::read_to_string(outs[0].join("sensitivity_excluded.csv")).unwrap();
    for (path, why) in [
        ("simulation.seed", "Monte Carlo setting"),
        ("models.waterfall.gate_review_cost", "zero"),
        ("models.stage_gated.stages.1.recompete", "on/off switch"),
        ("models.waterfall.commitment", "a choice"),
    ] {
        assert!(
            excluded
                .lines()
                .any(|l| l.starts_with(path) && l.contains(why)),
            "{path}: {excluded}"
        );
    }
}

#[test]
fn bad_options_exit_2_and_say_what_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o_dir = out.to_str().unwrap();
    for (args, expect) in [
        (vec!["--metric", "net_valeu"], "unknown metric `net_valeu`"),
        (vec!["--models", "waterfall"], "two model keys"),
        (
            vec!["--models", "waterfall,agile"],
            "no funding model `agile`",
        ),
        (vec!["--spread", "1.5"], "between 0 and 1"),
    ] {
        let mut all = vec![
            "sensitivity",
            "--portfolios",
            "5",
            "--quiet",
            "--out",
            o_dir,
        ];
        all.extend(args);
        let o = bin(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(expect),
            "{all:?}: {}",
            text(&o.stderr)
        );
        assert!(!out.exists(), "no folder after an error");
    }
    // [sensitivity] problems are located in the file.
    let path = scenario_file(
        dir.path(),
        "[sensitivity]\nmetric = \"wastes\"\nspread = 2\n",
    );
    let o = bin(&[
        "sensitivity",
        path.to_str().unwrap(),
        "--quiet",
        "--out",
        o_dir,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("sensitivity.metric") && err.contains("`waste`"),
        "{err}"
    );
    assert!(err.contains("sensitivity.spread"), "{err}");
    assert!(err.contains("test.toml:"), "{err}");
}

#[test]
fn shares_move_within_their_meaning() {
    // Every model's stage shares, moved 25% either way by default.
    let loaded = scenario::load_default(&[]).unwrap();
    let plan = sensitivity::plan(
        &loaded,
        &Options {
            models: Some(("waterfall".into(), "stage_gated".into())),
            portfolios: Some(5),
            ..Options::default()
        },
    )
    .unwrap();
    let moved = |p: &str| plan.moves.iter().find(|m| m.parameter.path == p);
    // A stage's scope share moves with the other stages' shares rescaled (they must
    // still add up to 1, or the variant would not validate).
    let alpha = moved("models.stage_gated.stages.1.scope_share").expect("alpha's share moves");
    assert!(alpha.parameter.low < 0.1 && alpha.parameter.high > 0.1);
    // A share of 1 moves down only: a stage cannot take more than the whole duration.
    let d = moved("models.waterfall.stages.0.duration_share").expect("duration share moves");
    assert!(d.parameter.low < 1.0 && d.parameter.high == 1.0);
    // The only stage of a model holds the whole scope: nothing to move, and said why.
    let why = plan
        .excluded
        .iter()
        .find(|e| e.path == "models.waterfall.stages.0.scope_share")
        .expect("the waterfall's scope share is listed as left out");
    assert!(why.reason.contains("only stage"), "{}", why.reason);
}
