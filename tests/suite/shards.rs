//! `run --shard K/N` and `merge`: shards of one study merge into the folder a single
//! process writes, byte for byte (apart from the manifest), and anything that is not
//! exactly one study's complete set of shards is refused, naming the culprit.

use std::path::{Path, PathBuf};

use crate::outputs::{hashes, run_in, text};

/// A cheap study that still crosses a batch boundary (engine::BATCH = 4096), so the
/// merge must join a batch from two shards: few ideas per portfolio.
const STUDY: &[&str] = &[
    "--portfolios",
    "4200",
    "--set",
    "fund.intake_rounds=2",
    "--set",
    "fund.ideas_per_round=2",
    "--projects",
];

fn run(cwd: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--quiet", "--out", out];
    args.extend_from_slice(STUDY);
    args.extend_from_slice(extra);
    run_in(cwd, &args)
}

fn shard(cwd: &Path, k: u64, n: u64, extra: &[&str]) -> PathBuf {
    let name = format!("study-shard-{k}-of-{n}");
    let spec = format!("{k}/{n}");
    let mut args = vec!["--shard", spec.as_str()];
    args.extend_from_slice(extra);
    let o = run(cwd, &name, &args);
    assert!(o.status.success(), "shard {k}/{n}: {}", text(&o.stderr));
    cwd.join(name)
}

fn merge(cwd: &Path, dirs: &[&Path], out: Option<&str>) -> std::process::Output {
    let mut args = vec!["merge".to_string(), "--quiet".into()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    if let Some(o) = out {
        args.extend(["--out".into(), o.into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(cwd, &args)
}

/// `bytes` without the report's run-date line: a merge and a single run made on
/// different days differ only there (and in the manifest).
fn undated(bytes: &[u8]) -> Vec<u8> {
    let marker: &[u8] = b"<p class=\"run-date\">";
    bytes
        .split_inclusive(|&c| c == b'\n')
        .filter(|line| !line.starts_with(marker))
        .flatten()
        .copied()
        .collect()
}

#[test]
fn merged_shards_equal_a_single_run_and_bad_sets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    // The report names its folder (in its reproduce command): the single run goes in a
    // folder of the name the merge will use, one level down.
    std::fs::create_dir(cwd.join("one")).unwrap();
    let single = run(cwd, "one/study", &[]);
    assert!(single.status.success(), "{}", text(&single.stderr));
    let shards: Vec<PathBuf> = (1..=3).map(|k| shard(cwd, k, 3, &[])).collect();

    // A shard folder holds Parquet rows and totals, no report; `report` refuses it.
    assert!(shards[0].join("portfolios.parquet").is_file());
    assert!(!shards[0].join("report.html").exists());
    let o = run_in(cwd, &["report", shards[0].to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("merge"), "{}", text(&o.stderr));

    // Given in any order, merged to the default name (the shards' name without the
    // -shard-K-of-N ending).
    let o = merge(cwd, &[&shards[2], &shards[0], &shards[1]], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        text(&single.stdout),
        "the printed table differs"
    );
    let (a, b) = (hashes(&cwd.join("one/study")), hashes(&cwd.join("study")));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "different files"
    );
    for (name, bytes) in &a {
        if name != "manifest.json" {
            assert!(
                undated(bytes) == undated(&b[name]),
                "{name} differs between the run and the merge"
            );
        }
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cwd.join("study/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["portfolios"], 4200);
    assert!(m.get("shard").is_none());
    assert!(
        budgetsim::export::run_folder::verify(&cwd.join("study"))
            .unwrap()
            .is_empty()
    );

    // Missing, duplicated, foreign and edited shards are refused with exit 2.
    let refused = |dirs: &[&Path], says: &str| {
        let o = merge(cwd, dirs, Some("bad"));
        assert_eq!(o.status.code(), Some(2), "{says}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(says),
            "wanted {says:?} in: {}",
            text(&o.stderr)
        );
        assert!(!cwd.join("bad").exists(), "a refused merge wrote a folder");
    };
    refused(&[&shards[0], &shards[2]], "shard 2/3 missing");
    refused(
        &[&shards[0], &shards[1], &shards[1], &shards[2]],
        "given twice",
    );
    let other = {
        let o = run(cwd, "other-seed", &["--shard", "2/3", "--seed", "99"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        cwd.join("other-seed")
    };
    refused(&[&shards[0], &other, &shards[2]], "other-seed");
    refused(
        &[&shards[0], &cwd.join("one/study"), &shards[2]],
        "not a shard",
    );
    // --out may not be one of the shards (the study could not be merged again).
    let o = merge(
        cwd,
        &[&shards[0], &shards[1], &shards[2]],
        Some("study-shard-2-of-3"),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        shards[1].join("totals.json").is_file(),
        "the shard was replaced"
    );

    // Forged but self-consistent shards: each is refused, naming it, never merged.
    let forge = |name: &str, edit: &dyn Fn(&Path, &mut serde_json::Value)| -> PathBuf {
        let dir = cwd.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in budgetsim::export::run_folder::listing(&shards[1]).unwrap() {
            std::fs::create_dir_all(dir.join(&f).parent().unwrap()).unwrap();
            std::fs::copy(shards[1].join(&f), dir.join(&f)).unwrap();
        }
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(shards[1].join("manifest.json")).unwrap())
                .unwrap();
        edit(&dir, &mut m);
        // Hashes recomputed, so the forgery passes the hash check.
        for f in m["files"].as_array_mut().unwrap() {
            let name = f["name"].as_str().unwrap().to_string();
            f["sha256"] = budgetsim::export::manifest::sha256_file(&dir.join(name))
                .unwrap()
                .into();
        }
        std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
        dir
    };
    // Shard 1's rows under shard 2's name.
    let swapped = forge("swapped", &|dir, _| {
        std::fs::copy(
            shards[0].join("portfolios.parquet"),
            dir.join("portfolios.parquet"),
        )
        .unwrap();
    });
    refused(&[&shards[0], &swapped, &shards[2]], "swapped");
    // A file list emptied, so that nothing would be checked.
    let unlisted = forge("unlisted", &|_, m| m["files"] = serde_json::json!([]));
    refused(&[&shards[0], &unlisted, &shards[2]], "not in the manifest");
    // Shard numbers no run writes: refused, not a crash.
    for (name, index, count) in [("index0", 0, 3), ("count0", 2, 0)] {
        let odd = forge(name, &|_, m| {
            m["shard"]["index"] = index.into();
            m["shard"]["count"] = count.into();
        });
        refused(&[&shards[0], &odd, &shards[2]], name);
    }
    std::fs::write(shards[1].join("totals.json"), "{}").unwrap();
    refused(
        &[&shards[0], &shards[1], &shards[2]],
        "differ from its manifest",
    );
}

#[test]
fn shard_auto_reads_the_scheduler_and_says_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let auto = |env: &[(&str, &str)], spec: &str| {
        crate::outputs::bin()
            .args([
                "run",
                "--quiet",
                "--portfolios",
                "6",
                "--out",
                "auto",
                "--shard",
                spec,
            ])
            .envs(env.iter().copied())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .current_dir(cwd)
            .output()
            .unwrap()
    };
    let o = crate::outputs::bin()
        .args([
            "run",
            "--quiet",
            "--portfolios",
            "6",
            "--out",
            "auto",
            "--shard",
            "auto",
        ])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .env("SLURM_ARRAY_TASK_MIN", "0")
        .env_remove("JOB_COMPLETION_INDEX")
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cwd.join("auto/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["shard"]["index"], 3);
    assert_eq!(m["shard"]["count"], 3);
    assert_eq!(
        (m["shard"]["first"].as_u64(), m["shard"]["end"].as_u64()),
        (Some(4), Some(6))
    );

    let o = auto(&[("JOB_COMPLETION_INDEX", "1")], "auto/2");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cwd.join("auto/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["shard"]["index"], 2);

    for (env, spec, says) in [
        (&[][..], "auto", "neither SLURM_ARRAY_TASK_ID"),
        (
            &[("JOB_COMPLETION_INDEX", "0")][..],
            "auto",
            "--shard auto/N",
        ),
        (
            &[("JOB_COMPLETION_INDEX", "5")][..],
            "auto/2",
            "not below the count",
        ),
        (&[][..], "4/3", "between 1 and N"),
    ] {
        let o = auto(env, spec);
        assert_eq!(o.status.code(), Some(2), "{spec}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(says),
            "wanted {says:?} in: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn until_ci_stops_at_the_precision_asked_and_records_the_count() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let read = |dir: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(cwd.join(dir).join("manifest.json")).unwrap())
            .unwrap()
    };
    // A precision met at once: the first batch (here the whole ceiling) is enough.
    let o = run_in(
        cwd,
        &[
            "run",
            "--quiet",
            "--out",
            "loose",
            "--until-ci",
            "1e12",
            "--max-portfolios",
            "120",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m = read("loose");
    assert_eq!(m["portfolios"], 120);
    assert_eq!(m["until_ci"]["reached"], true);
    assert_eq!(m["until_ci"]["metric"], "net_value");
    let toml = std::fs::read_to_string(cwd.join("loose/scenario.toml")).unwrap();
    assert!(
        toml.contains("portfolios = 120"),
        "scenario.toml must reproduce the count"
    );
    // A precision out of reach: stops at the ceiling and says so.
    let o = run_in(
        cwd,
        &[
            "run",
            "--quiet",
            "--out",
            "tight",
            "--until-ci",
            "1",
            "--max-portfolios",
            "90",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m = read("tight");
    assert_eq!(m["portfolios"], 90);
    assert_eq!(m["until_ci"]["reached"], false);
    assert!(
        text(&o.stdout).contains("not reached"),
        "{}",
        text(&o.stdout)
    );
    // Bad requests are refused before any work.
    for (args, says) in [
        (&["--until-ci", "0"][..], "positive half-width"),
        (
            &["--until-ci", "5", "--max-portfolios", "1"][..],
            "at least two portfolios",
        ),
        (&["--until-ci", "5", "--metric", "nope"][..], "not a metric"),
        (
            &["--until-ci", "5", "--portfolios", "10"][..],
            "drop --portfolios",
        ),
        (
            &["--until-ci", "5", "--set", "simulation.portfolios=10"][..],
            "drop --set simulation.portfolios",
        ),
        (
            &["--until-ci", "5", "--shard", "1/2"][..],
            "cannot be combined",
        ),
    ] {
        let mut a = vec!["run", "--quiet", "--out", "x"];
        a.extend_from_slice(args);
        let o = run_in(cwd, &a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(says),
            "wanted {says:?} in: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn a_sweep_splits_across_shards_and_merges_to_the_single_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    // Points of different sizes, so shard boundaries fall inside points.
    let sweep = [
        "--portfolios",
        "30",
        "--sweep",
        "simulation.portfolios=20,35",
        "--sweep",
        "models.stage_gated.stages.0.hurdle=0.8,1.2",
    ];
    let go = |out: &str, extra: &[&str]| {
        let mut args = vec!["run", "--quiet", "--out", out];
        args.extend_from_slice(&sweep);
        args.extend_from_slice(extra);
        let o = run_in(cwd, &args);
        assert!(o.status.success(), "{out}: {}", text(&o.stderr));
        o
    };
    std::fs::create_dir(cwd.join("one")).unwrap();
    let single = go("one/merged", &[]);
    let names: Vec<String> = (1..=3).map(|k| format!("sw-shard-{k}-of-3")).collect();
    for (k, name) in names.iter().enumerate() {
        go(name, &["--shard", &format!("{}/3", k + 1)]);
    }
    let dirs: Vec<PathBuf> = names.iter().rev().map(|n| cwd.join(n)).collect();
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let o = merge(cwd, &refs, Some("merged"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), text(&single.stdout));
    let (a, b) = (hashes(&cwd.join("one/merged")), hashes(&cwd.join("merged")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        if name != "manifest.json" {
            assert!(
                undated(bytes) == undated(&b[name]),
                "{name} differs between the sweep and the merge"
            );
        }
    }
}
