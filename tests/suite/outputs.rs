//! End to end through the binary: the run folder's files, their columns and hashes,
//! determinism across thread counts, agreement of summaries with the per-portfolio
//! file, and the folder surviving failures, interruptions and concurrent runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_budgetsim"))
}

pub(crate) fn run_in(cwd: &Path, args: &[&str]) -> Output {
    bin().args(args).current_dir(cwd).output().unwrap()
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Runs the default scenario into `out`.
pub(crate) fn run_to(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--quiet", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run_in(out.parent().unwrap(), &args);
    assert!(
        o.status.success() || !extra.is_empty(),
        "{}",
        text(&o.stderr)
    );
    o
}

pub(crate) fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

pub(crate) fn hashes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = budgetsim::export::run_folder::listing(dir).unwrap();
    files.push("manifest.json".into());
    files
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

pub(crate) fn hidden_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn a_run_writes_every_file_with_its_columns_and_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "200"]);
    for f in budgetsim::export::run_folder::FILES {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let cols = |f: &str| read_csv(&out.join(f)).0;
    let portfolio_cols = cols("portfolios.csv");
    assert_eq!(&portfolio_cols[..2], ["portfolio", "model"]);
    for m in budgetsim::metrics::Metric::ALL {
        assert!(
            portfolio_cols.contains(&m.name().to_string()),
            "portfolios.csv lacks {}",
            m.name()
        );
    }
    assert_eq!(
        &cols("summary.csv")[..12],
        [
            "model", "metric", "mean", "sd", "se", "ci_low", "ci_high", "p5", "p25", "p50", "p75",
            "p95"
        ]
    );
    assert_eq!(
        &cols("comparison.csv")[..7],
        [
            "model_a",
            "model_b",
            "metric",
            "mean_diff",
            "ci_low",
            "ci_high",
            "prob_a_better"
        ]
    );
    assert_eq!(
        cols("stages.csv"),
        [
            "model",
            "stage_index",
            "stage",
            "entering",
            "passing",
            "killed",
            "cancelled",
            "spend",
            "mean_months"
        ]
    );
    assert_eq!(
        cols("timeseries.csv"),
        [
            "model",
            "month",
            "spend_p10",
            "spend_p50",
            "spend_p90",
            "value_p10",
            "value_p50",
            "value_p90"
        ]
    );
    let (_, rows) = read_csv(&out.join("portfolios.csv"));
    // Three models: two waterfalls of one stage each and the four GOV.UK phases.
    assert_eq!(rows.len(), 600);
    assert_eq!(read_csv(&out.join("stages.csv")).1.len(), 1 + 1 + 4);
    assert_eq!(read_csv(&out.join("timeseries.csv")).1.len(), 3 * 61);
    // The manifest names every file with its hash, and the hashes hold.
    let problems = budgetsim::export::run_folder::verify(&out).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["portfolios"], 200);
    assert_eq!(m["seed"], 20190502);
    let listed: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for f in budgetsim::export::run_folder::FILES
        .iter()
        .filter(|f| **f != "manifest.json")
    {
        assert!(listed.contains(f), "manifest lacks {f}");
    }
    assert!(
        listed.contains(&"charts/headline.png") && listed.contains(&"report.fr.html"),
        "{listed:?}"
    );
    assert!(
        m["resolved_scenario"]
            .as_str()
            .unwrap()
            .contains("portfolios = 200")
    );
    for key in [
        "started",
        "finished",
        "wall_seconds",
        "command_line",
        "budgetsim_version",
        "threads",
    ] {
        assert!(!m[key].is_null(), "manifest lacks {key}");
    }
    // The resolved scenario written beside the results reproduces them.
    let again = tmp.path().join("again");
    let o = run_in(
        tmp.path(),
        &[
            "run",
            "--quiet",
            out.join("scenario.toml").to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read(again.join("portfolios.csv")).unwrap(),
        std::fs::read(out.join("portfolios.csv")).unwrap()
    );
}

#[test]
fn portfolios_csv_is_identical_on_one_and_four_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("one"), tmp.path().join("four"));
    run_to(&a, &["--portfolios", "300", "--threads", "1"]);
    run_to(&b, &["--portfolios", "300", "--threads", "4"]);
    for f in [
        "portfolios.csv",
        "summary.csv",
        "comparison.csv",
        "stages.csv",
        "timeseries.csv",
    ] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn summary_agrees_with_a_recomputation_from_portfolios_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "250"]);
    let (header, rows) = read_csv(&out.join("portfolios.csv"));
    let (sh, srows) = read_csv(&out.join("summary.csv"));
    let at = |name: &str| sh.iter().position(|h| h == name).unwrap();
    for srow in &srows {
        let (model, metric) = (&srow[0], &srow[1]);
        let col = header.iter().position(|h| h == metric).unwrap();
        let mut xs: Vec<f64> = rows
            .iter()
            .filter(|r| &r[1] == model)
            .filter_map(|r| r[col].parse::<f64>().ok())
            .collect();
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let h = (n - 1.0) * 0.25;
        let lo = h.floor() as usize;
        let p25 = xs[lo] + (h - lo as f64) * (xs[(lo + 1).min(xs.len() - 1)] - xs[lo]);
        let get = |c: &str| srow[at(c)].parse::<f64>().unwrap();
        let tol = |v: f64| 1e-9 * v.abs().max(1.0);
        assert!(
            (get("mean") - mean).abs() <= tol(mean),
            "{model} {metric} mean"
        );
        assert!((get("sd") - sd).abs() <= tol(sd), "{model} {metric} sd");
        assert!((get("p25") - p25).abs() <= tol(p25), "{model} {metric} p25");
        let se = sd / n.sqrt();
        assert!(
            (get("ci_high") - (mean + 1.959963984540054 * se)).abs() <= tol(mean),
            "{model} {metric} ci"
        );
        assert_eq!(srow[at("n")].parse::<f64>().unwrap(), n);
    }
}

#[test]
fn a_killed_run_leaves_the_earlier_results_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "100"]);
    let before = hashes(&out);
    let mut child = bin()
        .args([
            "run",
            "--quiet",
            "--portfolios",
            "100000",
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(hashes(&out), before, "the earlier results changed");
    // The next run clears what the killed one left behind.
    run_to(&out, &["--portfolios", "50"]);
    assert!(
        hidden_leftovers(tmp.path()).is_empty(),
        "{:?}",
        hidden_leftovers(tmp.path())
    );
}

#[test]
fn a_failed_write_exits_1_and_keeps_the_previous_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "100"]);
    let before = hashes(&out);
    let o = bin()
        .args([
            "run",
            "--quiet",
            "--portfolios",
            "120",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("BUDGETSIM_FAULT_AFTER_FILES", "3")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("no space left") && err.contains("unchanged"),
        "{err}"
    );
    assert!(
        text(&o.stdout).contains("net_value"),
        "the results still reach stdout"
    );
    assert_eq!(hashes(&out), before);
    assert!(hidden_leftovers(tmp.path()).is_empty());
}

#[test]
fn an_unusable_out_folder_is_a_clear_runtime_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    for out in [file.clone(), file.join("below")] {
        let o = run_in(
            tmp.path(),
            &[
                "run",
                "--quiet",
                "--portfolios",
                "10",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let err = text(&o.stderr);
        if out == file {
            // A file at the destination is the user's: refused as input, never replaced.
            assert_eq!(o.status.code(), Some(2), "{err}");
            assert!(err.contains("is a file") && err.contains("--out"), "{err}");
        } else {
            assert_eq!(o.status.code(), Some(1), "{err}");
            assert!(
                err.contains("cannot write the run folder") && err.contains("--out"),
                "{err}"
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    assert!(hidden_leftovers(tmp.path()).is_empty());
}

#[test]
fn concurrent_runs_into_one_folder_leave_one_whole_result() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let spawn = |seed: &str| {
        bin()
            .args([
                "run",
                "--quiet",
                "--portfolios",
                "400",
                "--seed",
                seed,
                "--out",
                out.to_str().unwrap(),
            ])
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("1"), spawn("2"));
    for c in [a, b] {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    assert!(
        budgetsim::export::run_folder::verify(&out)
            .unwrap()
            .is_empty()
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(m["seed"] == 1 || m["seed"] == 2);
    assert!(hidden_leftovers(tmp.path()).is_empty());
}

#[test]
fn the_checked_in_schema_matches_the_code() {
    let o = run_in(&repo("."), &["schema"]);
    assert!(o.status.success());
    let shipped = std::fs::read_to_string(repo("docs/scenario.schema.json")).unwrap();
    assert!(
        text(&o.stdout) == shipped,
        "docs/scenario.schema.json is stale: run `cargo run -- schema > docs/scenario.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    assert!(schema["properties"]["simulation"].is_object());
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let p = entry.unwrap().path();
        let first = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            first,
            "#:schema ../docs/scenario.schema.json",
            "{}",
            p.display()
        );
    }
}

#[test]
fn validate_resolved_prints_the_merged_scenario() {
    let o = run_in(
        &repo("."),
        &[
            "validate",
            "--resolved",
            "scenarios/low-uncertainty.toml",
            "--set",
            "fund.budget=123",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    assert!(t.contains("budget = 123"), "{t}");
    assert!(t.contains("business_case_noise = 0.2"), "child values: {t}");
    assert!(t.contains("[models.stage_gated]"), "parent values: {t}");
    assert!(!t.contains("extends"), "{t}");
}

#[test]
fn new_writes_scenarios_that_validate_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run_in(tmp.path(), &["new", "pilot"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let body = std::fs::read_to_string(tmp.path().join("pilot.toml")).unwrap();
    assert!(
        body.contains("name = \"pilot\"") && body.contains("# "),
        "{body}"
    );
    let low = repo("scenarios/low-uncertainty.toml");
    let o = run_in(
        tmp.path(),
        &["new", "variant", "--from", low.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    for f in ["pilot.toml", "variant.toml"] {
        let o = run_in(tmp.path(), &["validate", f]);
        assert!(o.status.success(), "{f}: {}", text(&o.stderr));
    }
    let o = run_in(tmp.path(), &["new", "pilot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("already exists"));
}
