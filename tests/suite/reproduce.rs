//! The "How to reproduce" command of every report, pasted into a shell in the run
//! folder's parent, writes the same data files byte for byte: runs of the embedded
//! default with `--set` and `--projects`, scenario files, sweeps, and explain folders.

use std::path::Path;
use std::process::Command;

use crate::outputs::{hashes, run_in, text};

/// The command in the report's "How to reproduce" block (the first `<pre>`), unescaped.
fn command_in_report(html: &str) -> String {
    let start = html.find("<pre>").expect("a <pre> block") + "<pre>".len();
    let end = start + html[start..].find("</pre>").expect("the block ends");
    html[start..end]
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// Runs `command` with `sh` in `cwd`, with the budgetsim under test first on PATH.
fn paste(cwd: &Path, command: &str) {
    let bin = Path::new(env!("CARGO_BIN_EXE_budgetsim"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .args(["-c", &format!("{command} --quiet")])
        .env("PATH", path)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(o.status.success(), "`{command}`: {}", text(&o.stderr));
}

/// Runs command `args` (`run ...`, `explain ...`) into `parent/name`, pastes each
/// report's command in `parent`, and checks the data files of both folders are the
/// same bytes.
fn reproduces(parent: &Path, name: &str, args: &[&str]) {
    let out = parent.join(name);
    let mut a = vec![args[0], "--quiet", "--out", out.to_str().unwrap()];
    a.extend_from_slice(&args[1..]);
    let o = run_in(parent, &a);
    assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let recorded = manifest["reproduce"].as_str().expect("manifest.reproduce");
    for report in ["report.html", "report.fr.html"] {
        let html = std::fs::read_to_string(out.join(report)).unwrap();
        assert_eq!(command_in_report(&html), recorded, "{report}");
    }
    let again = parent.join(format!("{name}-again"));
    paste(parent, recorded);
    let (a, b) = (hashes(&out), hashes(&again));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{args:?}: different files"
    );
    let data = |f: &str| f.ends_with(".csv") || f.ends_with(".parquet") || f.ends_with(".toml");
    let checked: Vec<&String> = a.keys().filter(|f| data(f)).collect();
    // At least the data table and scenario.toml.
    assert!(checked.len() >= 2, "{checked:?}");
    for f in checked {
        assert!(a[f] == b[f], "{args:?}: {f} differs when reproduced");
    }
}

#[test]
fn the_reports_command_rewrites_the_same_data_files() {
    let tmp = tempfile::tempdir().unwrap();
    // The embedded default, changed with --set, with per-project rows, in a folder
    // whose name a shell would split.
    reproduces(
        tmp.path(),
        "default it's",
        &[
            "run",
            "--portfolios",
            "150",
            "--seed",
            "11",
            "--set",
            "fund.budget=40000000",
            "--set",
            "models.stage_gated.hurdle=1.2",
            "--projects",
        ],
    );
    // With --sensitivity over declared inputs: its files list every other input, in an
    // order that must not depend on how the file orders its keys.
    let studied = tmp.path().join("studied.toml");
    std::fs::write(
        &studied,
        format!(
            "extends = {:?}\n[sensitivity]\nportfolios = 30\nparameters = [{{ path = \"vendors.markup\" }}, {{ path = \"fund.ideas_per_round\", low = 4, high = 12 }}]\n",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios/default.toml")
                .display()
                .to_string()
        ),
    )
    .unwrap();
    reproduces(
        tmp.path(),
        "-studied",
        &[
            "run",
            studied.to_str().unwrap(),
            "--portfolios",
            "40",
            "--sensitivity",
        ],
    );
    // A scenario file given by a relative path, swept from the command line.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = repo.join("scenarios/default.toml");
    reproduces(
        tmp.path(),
        "swept",
        &[
            "run",
            scenario.to_str().unwrap(),
            "--portfolios",
            "40",
            "--sweep",
            "vendors.markup=0.2,0.4",
        ],
    );
    // An explain folder: the models it chose and its portfolio count are in the
    // command, the seed in its scenario.toml.
    reproduces(
        tmp.path(),
        "explained",
        &[
            "explain",
            "--portfolios",
            "20",
            "--set",
            "fund.budget=30000000",
        ],
    );
}
