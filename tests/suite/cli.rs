//! End-to-end through the binary: the default run, determinism across thread counts,
//! and clear errors with exit code 2 for bad input.

use crate::common::text;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary in a fresh temporary working folder (runs write output/ there);
/// `run` gets `--quiet` to keep test output readable.
fn budgetsim(args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    let mut all: Vec<&str> = args.to_vec();
    if all.first() == Some(&"run") {
        all.insert(1, "--quiet");
    }
    match Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(&all)
        .current_dir(cwd.path())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run budgetsim: {e}"),
    }
}

fn default_toml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml")
}

/// Writes `body` to a file in a fresh temp dir; returns (dir guard, path).
fn scenario_file(name: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

/// Runs `validate` on a file and returns stderr, asserting exit code 2.
fn rejected(path: &Path) -> String {
    let out = budgetsim(&["validate", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn no_arguments_runs_the_default_comparison() {
    // What `cargo run --release` does: the embedded default scenario, all its portfolios.
    let out = budgetsim(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    for needle in [
        "2000 portfolios",
        "Waterfall (business case as written)",
        "Waterfall (reference-class forecast)",
        "Stage-gated (GOV.UK phases)",
        "Strongest baseline: Waterfall (reference-class forecast)",
        "net_value",
        "waste_share",
        "minus",
    ] {
        assert!(t.contains(needle), "missing {needle} in\n{t}");
    }
}

#[test]
fn json_is_identical_on_one_and_four_threads_and_changes_with_the_seed() {
    let run = |threads: &str, seed: &str| {
        let out = budgetsim(&[
            "run",
            "--portfolios",
            "300",
            "--seed",
            seed,
            "--threads",
            threads,
            "--json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        out.stdout
    };
    let one = run("1", "7");
    let four = run("4", "7");
    assert!(one == four, "--json differs between 1 and 4 threads");
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(v["portfolios"], 300);
    assert_eq!(v["models"].as_array().map(Vec::len), Some(3));
    assert!(run("1", "8") != one, "another seed must give other results");
}

#[test]
fn set_and_extends_change_the_scenario() {
    let (dir, child) = scenario_file(
        "child.toml",
        &format!(
            "extends = {:?}\nname = \"Child\"\n[fund]\nbudget = 5_000_000\n",
            default_toml().to_str().unwrap()
        ),
    );
    let out = budgetsim(&[
        "run",
        child.to_str().unwrap(),
        "--portfolios",
        "50",
        "--json",
        "--set",
        "models.stage_gated.stages.0.duration_months=2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "Child");
    let spend = v["models"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "spend")
        .unwrap()["mean"]
        .as_f64()
        .unwrap();
    assert!(spend < 7e6, "a $5M fund spent {spend}");
    drop(dir);
}

#[test]
fn validate_accepts_the_shipped_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out = budgetsim(&["validate", path.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn malformed_toml_names_file_line_and_column() {
    let (_d, p) = scenario_file("broken.toml", "name = \"x\"\n[simulation\nportfolios = 3\n");
    let err = rejected(&p);
    assert!(err.contains("broken.toml:2:"), "{err}");
    assert!(err.contains("invalid TOML"), "{err}");
}

#[test]
fn unknown_field_suggests_the_nearest_name() {
    let body = std::fs::read_to_string(default_toml())
        .unwrap()
        .replace("horizon_months = 60", "horizon = 60");
    let (_d, p) = scenario_file("typo.toml", &body);
    let err = rejected(&p);
    assert!(err.contains("typo.toml:"), "{err}");
    assert!(err.contains("simulation.horizon"), "{err}");
    assert!(err.contains("did you mean `horizon_months`"), "{err}");
}

#[test]
fn a_quoted_number_names_the_line_and_says_to_drop_the_quotes() {
    let body = std::fs::read_to_string(default_toml())
        .unwrap()
        .replace("budget = 50_000_000", "budget = \"50M\"");
    let (_d, p) = scenario_file("quoted.toml", &body);
    let err = rejected(&p);
    let line = body
        .lines()
        .position(|l| l.starts_with("budget ="))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("quoted.toml:{line}:")), "{err}");
    assert!(
        err.contains("field `fund.budget`: expected a number, found string \"50M\""),
        "{err}"
    );
    assert!(err.contains("write a number without quotes"), "{err}");
    // A number where a named choice belongs says where the choices are listed.
    let out = budgetsim(&["run", "--set", "models.stage_gated.commitment=5"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("expected one of this field's choices"),
        "{err}"
    );
    assert!(err.contains("commitment = \"stage\""), "{err}");
}

#[test]
fn out_of_range_values_say_what_is_allowed() {
    let body = std::fs::read_to_string(default_toml())
        .unwrap()
        .replace("fit_probability = 0.55", "fit_probability = 1.5")
        .replace(
            "min = 6, mode = 12, max = 36",
            "min = 6, mode = 40, max = 36",
        )
        .replace("overrun_p90 = 1.106", "overrun_p90 = 0.5");
    let (_d, p) = scenario_file("range.toml", &body);
    let err = rejected(&p);
    let fit_line = body
        .lines()
        .position(|l| l.starts_with("fit_probability"))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("range.toml:{fit_line}:")), "{err}");
    assert!(
        err.contains("ideas.fit_probability") && err.contains("between 0 and 1"),
        "{err}"
    );
    assert!(
        err.contains("ideas.planned_duration_months") && err.contains("min <= mode <= max"),
        "{err}"
    );
    assert!(
        err.contains("risk.overrun_p90") && err.contains("at least the median"),
        "{err}"
    );
}

#[test]
fn an_overrun_body_above_the_black_swan_tail_is_rejected() {
    let body = std::fs::read_to_string(default_toml())
        .unwrap()
        .replace("overrun_median = 0.952", "overrun_median = 1.3")
        .replace("overrun_p90 = 1.106", "overrun_p90 = 1.6");
    let (_d, p) = scenario_file("body.toml", &body);
    let err = rejected(&p);
    assert!(
        err.contains("risk.overrun_median")
            && err.contains("below where the black-swan tail begins"),
        "{err}"
    );
}

#[test]
fn an_empty_model_list_is_rejected() {
    let body = std::fs::read_to_string(default_toml()).unwrap();
    let cut = body.find("[models.waterfall]").unwrap();
    let (_d, p) = scenario_file("nomodels.toml", &format!("{}[models]\n", &body[..cut]));
    let err = rejected(&p);
    assert!(err.contains("no funding models"), "{err}");
    assert!(
        err.contains("[models.waterfall]"),
        "help should show how to add one: {err}"
    );
}

#[test]
fn a_missing_extends_file_is_named() {
    let (_d, p) = scenario_file(
        "orphan.toml",
        "extends = \"missing-parent.toml\"\nname = \"o\"\n",
    );
    let err = rejected(&p);
    assert!(err.contains("orphan.toml:1:"), "{err}");
    assert!(err.contains("missing-parent.toml"), "{err}");
}

#[test]
fn bad_set_overrides_exit_2() {
    for set in [
        "models.stage_gated.stages.9.duration_months=2",
        "simulation.portfolios=lots",
        "noequals",
        "vendors.bid_probability=2",
    ] {
        let out = budgetsim(&["run", "--portfolios", "10", "--set", set]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--set {set}: {err}");
        assert!(err.contains("--set"), "--set {set}: {err}");
    }
}

#[test]
fn a_missing_scenario_file_exits_2() {
    let out = budgetsim(&["run", "no-such-scenario.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-scenario.toml"));
}

#[test]
fn a_stage_cannot_fund_more_attempts_than_the_stage_before() {
    let (_d, p) = scenario_file(
        "attempts.toml",
        &format!(
            "extends = {:?}\nname = \"widening\"\n\
             [[models.stage_gated.stages]]\nname = \"feasibility\"\nscope_share = 0.1\nduration_share = 0.3\nattempts = 2\n\
             [[models.stage_gated.stages]]\nname = \"build\"\nscope_share = 0.9\nduration_share = 0.7\nattempts = 3\n",
            default_toml().display().to_string()
        ),
    );
    let err = rejected(&p);
    assert!(
        err.contains("models.stage_gated.stages.1.attempts"),
        "{err}"
    );
    assert!(err.contains("set attempts to at most 2"), "{err}");
    assert!(err.contains("attempts.toml:"), "{err}");
}
