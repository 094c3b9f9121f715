//! `budgetsim compare`: several scenario files' models on one world, paired; different
//! worlds refused with the fields that differ.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

fn budgetsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn ok(args: &[&str]) {
    let o = budgetsim(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// summary.csv as (model, metric) -> the statistics, as written.
fn summary(dir: &Path) -> HashMap<(String, String), Vec<String>> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (
                (x[0].to_string(), x[1].to_string()),
                x.iter().skip(2).map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Comparing the default scenario with the CDS accelerator preset (which extends it and
/// changes only the stage-gated model) runs the four distinct models together: the
/// shared waterfalls once, the two stage-gated models apart. Each gives exactly what it
/// gives in its own file's run, because all of them meet the same ideas and draws: the
/// comparison between files is as paired as one within a file.
#[test]
fn compare_runs_every_model_on_the_same_world_as_its_own_file_would() {
    let tmp = tempfile::tempdir().unwrap();
    let (both, default, cds) = (
        tmp.path().join("both"),
        tmp.path().join("default"),
        tmp.path().join("cds"),
    );
    let common = ["--quiet", "--lang", "en", "--portfolios", "60"];
    let mut args = vec![
        "compare",
        "scenarios/default.toml",
        "scenarios/cds-accelerator.toml",
    ];
    args.extend(common);
    args.extend(["--out", both.to_str().unwrap()]);
    ok(&args);
    for (file, out) in [
        ("scenarios/default.toml", &default),
        ("scenarios/cds-accelerator.toml", &cds),
    ] {
        let mut args = vec!["run", file];
        args.extend(common);
        args.extend(["--out", out.to_str().unwrap()]);
        ok(&args);
    }
    let (b, d, c) = (summary(&both), summary(&default), summary(&cds));
    let models: std::collections::BTreeSet<&str> = b.keys().map(|k| k.0.as_str()).collect();
    assert_eq!(
        models.into_iter().collect::<Vec<_>>(),
        [
            "cds_accelerator_stage_gated",
            "stage_gated",
            "waterfall",
            "waterfall_rc"
        ]
    );
    for ((model, metric), stats) in &d {
        assert_eq!(
            &b[&(model.clone(), metric.clone())],
            stats,
            "{model} {metric}"
        );
    }
    for ((model, metric), stats) in c.iter().filter(|(k, _)| k.0 == "stage_gated") {
        let key = ("cds_accelerator_stage_gated".to_string(), metric.clone());
        assert_eq!(&b[&key], stats, "{model} {metric}");
    }
    // The two stage-gated models are told apart in the report by their labels.
    let html = std::fs::read_to_string(both.join("report.html")).unwrap();
    assert!(html.contains("CDS accelerator"));
    assert!(html.contains("Stage-gated (GOV.UK phases)"));
    // The folder's scenario.toml holds the combined scenario: running it again gives
    // the same numbers.
    let again = tmp.path().join("again");
    ok(&[
        "run",
        both.join("scenario.toml").to_str().unwrap(),
        "--quiet",
        "--lang",
        "en",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(again.join("summary.csv")).unwrap(),
        std::fs::read(both.join("summary.csv")).unwrap()
    );
}

/// Files whose worlds differ cannot be compared on the same draws: refused with exit 2,
/// naming each field that differs with both values, and no folder written.
#[test]
fn compare_refuses_files_whose_worlds_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("nope");
    let o = budgetsim(&[
        "compare",
        "scenarios/default.toml",
        "scenarios/low-uncertainty.toml",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("do not describe the same world"), "{err}");
    assert!(
        err.contains(
            "ideas.fit_probability: 0.55 in scenarios/default.toml, 0.95 in scenarios/low-uncertainty.toml"
        ),
        "{err}"
    );
    assert!(!out.exists());
    // A Monte Carlo setting is not part of the world.
    let seeded = tmp.path().join("seeded.toml");
    let base = format!("{}/scenarios/default.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(
        &seeded,
        format!("extends = \"{base}\"\n[simulation]\nseed = 7\nportfolios = 5\n"),
    )
    .unwrap();
    let o = budgetsim(&[
        "compare",
        "scenarios/default.toml",
        seeded.to_str().unwrap(),
        "--quiet",
        "--lang",
        "en",
        "--portfolios",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Model keys never collide: files whose names clean up alike, or a renamed key that
/// another file writes itself, keep every model under a key of its own; a model the
/// same as one already taken (as validated, defaults filled in) runs once; a
/// classification set in one file is carried, different ones refused; long file names
/// still make a valid scenario.
#[test]
fn compare_keeps_every_distinct_model_once_under_its_own_key() {
    let tmp = tempfile::tempdir().unwrap();
    let base = format!("{}/scenarios/default.toml", env!("CARGO_MANIFEST_DIR"));
    let file = |name: &str, body: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, format!("extends = \"{base}\"\n{body}")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let hurdle = |h: f64| format!("[models.stage_gated]\nhurdle = {h}\n");
    let models = |dir: &Path| -> Vec<String> {
        let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
        let mut m: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
        m.dedup();
        m
    };
    let compare = |files: &[&str], out: &Path| {
        let mut args = vec!["compare"];
        args.extend_from_slice(files);
        args.extend([
            "--quiet",
            "--lang",
            "en",
            "--portfolios",
            "5",
            "--out",
            out.to_str().unwrap(),
        ]);
        budgetsim(&args)
    };
    // "a-b" and "a_b" clean up to the same prefix.
    let (ab1, ab2) = (
        file("a-b.toml", &hurdle(1.2)),
        file("a_b.toml", &hurdle(1.5)),
    );
    let out = tmp.path().join("one");
    let o = compare(&["scenarios/default.toml", &ab1, &ab2], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        models(&out),
        [
            "waterfall",
            "waterfall_rc",
            "stage_gated",
            "a_b_stage_gated",
            "a_b_stage_gated_2"
        ]
    );
    // A key one file writes is never given to another file's renamed model.
    let literal = file(
        "lit.toml",
        "[models.q_stage_gated]\nlabel = \"Literal\"\ncommitment = \"project\"\ncontingency = 0.1\ngate_review_cost = 0\ngate_delay_months = 0\nprocurement_cost = 0\nprocurement_delay_months = 0\nstages = [{ name = \"delivery\", scope_share = 1.0, duration_share = 1.0 }]\n",
    );
    let q = file("q.toml", &hurdle(1.7));
    let out = tmp.path().join("two");
    let o = compare(&[&literal, &q], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = models(&out);
    assert!(
        m.contains(&"q_stage_gated".to_string()) && m.contains(&"q_stage_gated_2".to_string()),
        "{m:?}"
    );
    let toml = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(toml.contains("Literal"));
    // The same model written out with its defaults is the same model: run once.
    let explicit = file(
        "explicit.toml",
        "[models.stage_gated]\nselection = \"rank\"\ncost_basis = \"planned\"\n",
    );
    let out = tmp.path().join("three");
    let o = compare(&["scenarios/default.toml", &explicit], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(models(&out), ["waterfall", "waterfall_rc", "stage_gated"]);
    // A classification set in any file is carried (the default one is no statement)...
    let protected = file("prot.toml", "classification = \"Protected B\"\n");
    let four = tmp.path().join("four");
    let o = compare(&["scenarios/default.toml", &protected], &four);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(four.join("report.html")).unwrap();
    assert!(html.contains("Protected B"));
    // ...and two different ones are refused, both named.
    let other = file("other.toml", "classification = \"Protected A\"\n");
    let o = compare(&[&other, &protected], &tmp.path().join("four-b"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("different classifications") && err.contains("Protected B"),
        "{err}"
    );
    // Long file names: the generated name and labels stay within their limits.
    let long = file(
        &format!(
            "{}.toml",
            "stage-gated-review-for-treasury-board-".repeat(2)
        ),
        &hurdle(1.3),
    );
    let o = compare(&["scenarios/default.toml", &long], &tmp.path().join("five"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
