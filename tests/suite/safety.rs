//! A careless or hostile user cannot make budgetsim destroy files, lose a finished run,
//! panic on a closed terminal, or write CSV cells a spreadsheet would run: each test
//! protects against one way that happened or could happen.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::outputs::{bin, hashes, hidden_leftovers, run_in, run_to, text};
use budgetsim::export::run_folder::verify;

fn out_args(out: &Path) -> Vec<String> {
    [
        "run",
        "--quiet",
        "--portfolios",
        "40",
        "--lang",
        "en",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.to_str().unwrap().to_string()])
    .collect()
}

/// Runs into `out` and returns (exit code, stderr).
fn run_into(out: &Path) -> (Option<i32>, String) {
    let args = out_args(out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run_in(out.parent().unwrap(), &args);
    (o.status.code(), text(&o.stderr))
}

#[test]
fn out_never_deletes_a_folder_budgetsim_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("thesis");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("chapter1.tex"), "years of work").unwrap();
    // Even a folder holding a manifest.json that budgetsim did not write.
    std::fs::write(mine.join("manifest.json"), "{\"name\": \"my app\"}").unwrap();
    let (code, err) = run_into(&mine);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("budgetsim only replaces its own run folders") && err.contains("--out"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("chapter1.tex")).unwrap(),
        "years of work"
    );
    assert!(hidden_leftovers(tmp.path()).is_empty());
}

#[test]
fn out_never_replaces_a_file_a_pipe_or_a_symbolic_link() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "keep").unwrap();
    let fifo = tmp.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // A link to a real run folder: replacing it would swap the link, not the folder.
    let run = tmp.path().join("run");
    run_to(&run, &["--portfolios", "40", "--lang", "en"]);
    let before = hashes(&run);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&run, &link).unwrap();
    let device = std::path::PathBuf::from("/dev/null");
    for (dest, what) in [
        (&file, "a file"),
        (&fifo, "a special file"),
        (&device, "a special file"),
        (&link, "a symbolic link"),
    ] {
        let (code, err) = run_into(dest);
        assert_eq!(code, Some(2), "{}: {err}", dest.display());
        assert!(err.contains(what), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(hashes(&run), before);
}

#[test]
fn out_replaces_an_earlier_run_folder_and_an_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(run_into(&empty).0, Some(0));
    assert!(verify(&empty).unwrap().is_empty());
    // Its own run folder, run again with another seed: replaced whole.
    let before = hashes(&empty);
    let mut args = out_args(&empty);
    args.extend(["--seed".into(), "9".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(run_in(tmp.path(), &args).status.success());
    assert_ne!(hashes(&empty), before);
    assert!(verify(&empty).unwrap().is_empty());
}

/// Spawns budgetsim with `BUDGETSIM_PAUSE_IN_WRITE`, waits until it says it is writing,
/// and kills it there.
fn kill_while_writing(args: &[&str], cwd: &Path) {
    let mut child = bin()
        .args(args)
        .current_dir(cwd)
        .env("BUDGETSIM_PAUSE_IN_WRITE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let paused = lines.any(|l| l.is_ok_and(|l| l.contains("paused while writing")));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(paused, "budgetsim {args:?} never reached its write phase");
}

fn no_empty_files(dir: &Path) {
    for name in budgetsim::export::run_folder::listing(dir).unwrap() {
        let len = std::fs::metadata(dir.join(&name)).unwrap().len();
        assert!(len > 0, "{name} is empty");
    }
}

#[test]
fn a_run_killed_while_writing_its_folder_leaves_the_earlier_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "40", "--lang", "en"]);
    let before = hashes(&out);
    let args = out_args(&out);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--seed", "5"]);
    kill_while_writing(&args, tmp.path());
    assert_eq!(hashes(&out), before);
    assert!(verify(&out).unwrap().is_empty());
    no_empty_files(&out);
}

#[test]
fn a_report_killed_while_writing_leaves_the_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "40", "--lang", "en"]);
    let before = hashes(&out);
    kill_while_writing(&["report", out.to_str().unwrap()], tmp.path());
    assert_eq!(hashes(&out), before, "a killed report changed the folder");
    no_empty_files(&out);
    // And finished, it adds the French report and keeps the data.
    let o = run_in(tmp.path(), &["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.join("report.fr.html").is_file());
    assert!(verify(&out).unwrap().is_empty());
    assert_eq!(
        std::fs::read(out.join("summary.csv")).unwrap(),
        before["summary.csv"]
    );
    assert!(hidden_leftovers(tmp.path()).is_empty());
}

#[test]
fn report_refuses_data_edited_after_the_run_unless_resealed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "40", "--lang", "en"]);
    let summary = out.join("summary.csv");
    let edited = std::fs::read_to_string(&summary).unwrap() + "\n";
    std::fs::write(&summary, &edited).unwrap();
    std::fs::write(out.join("extra.csv"), "a\n1\n").unwrap();
    let before = hashes(&out);
    let o = run_in(tmp.path(), &["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("summary.csv") && err.contains("extra.csv") && err.contains("--reseal"),
        "{err}"
    );
    assert_eq!(hashes(&out), before, "a refused report changed the folder");
    assert!(
        !verify(&out).unwrap().is_empty(),
        "the edit is still visible"
    );
    let o = run_in(tmp.path(), &["report", "--reseal", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(verify(&out).unwrap().is_empty(), "resealed on request");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), edited);
}

#[test]
fn report_refuses_folders_that_are_not_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("manifest.json"), "not json").unwrap();
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    for dir in [&plain, &file, &tmp.path().join("missing")] {
        let o = run_in(tmp.path(), &["report", dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("not a run folder"));
    }
    assert_eq!(
        std::fs::read_to_string(plain.join("manifest.json")).unwrap(),
        "not json"
    );
}

#[test]
fn a_closed_stdout_still_writes_the_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let args = out_args(&out);
    let mut child = bin()
        .args(&args)
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader went away: every write fails
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot write to stdout") && err.contains(out.to_str().unwrap()),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(verify(&out).unwrap().is_empty(), "the results were kept");
}

#[test]
fn closed_or_broken_standard_streams_never_panic_or_leak_into_files() {
    let tmp = tempfile::tempdir().unwrap();
    // A reader that went away on stderr: status lines fail, the run does not.
    let out = tmp.path().join("broken");
    let args: Vec<String> = out_args(&out)
        .into_iter()
        .filter(|a| a != "--quiet")
        .collect();
    let mut child = bin()
        .args(&args)
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert!(child.wait().unwrap().success());
    assert!(verify(&out).unwrap().is_empty());
    // Streams closed outright: the first files opened must not take their place.
    let out = tmp.path().join("closed");
    let script = format!(
        "exec \"$0\" {} >&- 2>&- <&-",
        out_args(&out)
            .iter()
            .filter(|a| *a != "--quiet")
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let o = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_budgetsim")])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(verify(&out).unwrap().is_empty());
    for name in budgetsim::export::run_folder::listing(&out).unwrap() {
        let bytes = std::fs::read(out.join(&name)).unwrap();
        let body = String::from_utf8_lossy(&bytes);
        assert!(
            !body.contains("writing ") && !body.contains("mean [95% CI]"),
            "terminal text leaked into {name}"
        );
    }
}

/// Every cell of every CSV below `dir` that a spreadsheet would run as a formula.
fn formula_cells(dir: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    for name in budgetsim::export::run_folder::listing(dir).unwrap() {
        if !name.ends_with(".csv") {
            continue;
        }
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(dir.join(&name))
            .unwrap();
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                let number = cell
                    .trim_start_matches(['+', '-'])
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
                    && cell.chars().any(|c| c.is_ascii_digit());
                let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number;
                if formula {
                    bad.push(format!("{name}: {cell}"));
                }
            }
        }
    }
    bad
}

#[test]
fn csv_cells_from_user_text_never_run_as_spreadsheet_formulas() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("evil.toml");
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml"),
    )
    .unwrap();
    let evil = default
        .replace(
            "[models.waterfall]",
            "[models.\"=HYPERLINK(\\\"http://x\\\")\"]",
        )
        .replace(
            "[models.waterfall.",
            "[models.\"=HYPERLINK(\\\"http://x\\\")\".",
        )
        .replace("en = \"discovery\"", "en = \"@SUM(A1)\"")
        .replace("en = \"alpha\"", "en = \"-Infinity\"")
        .replace(
            "en = \"Waterfall (business case as written)\"",
            "en = \"+Waterfall plan\"",
        );
    assert_ne!(
        evil, default,
        "the default scenario changed its model names"
    );
    std::fs::write(&scenario, evil).unwrap();
    let out = tmp.path().join("run");
    let o = run_in(
        tmp.path(),
        &[
            "run",
            "--quiet",
            "--portfolios",
            "30",
            "--lang",
            "en",
            "--out",
            out.to_str().unwrap(),
            scenario.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("+Waterfall plan"),
        "the terminal shows the label"
    );
    let bad = formula_cells(&out);
    assert!(bad.is_empty(), "{bad:?}");
    // The report reads the names back exactly.
    let o = run_in(tmp.path(), &["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("+Waterfall plan") && html.contains("@SUM(A1)") && html.contains("-Infinity"),
        "the report lost a name"
    );
}

#[test]
fn direction_controls_in_scenario_text_are_refused_with_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("rlo.toml");
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml"),
    )
    .unwrap();
    let first_label = default.find("label = { en = \"").unwrap() + "label = { en = \"".len();
    let mut text_rlo = default.clone();
    text_rlo.insert(first_label, '\u{202E}');
    std::fs::write(&scenario, &text_rlo).unwrap();
    let line = text_rlo[..first_label].matches('\n').count() + 1;
    let o = run_in(tmp.path(), &["validate", scenario.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("U+202E") && err.contains(&format!("rlo.toml:{line}:")),
        "{err}"
    );
    // Through --set as well.
    let o = run_in(
        tmp.path(),
        &[
            "run",
            "--quiet",
            "--set",
            "name=abc\u{2067}def",
            "--portfolios",
            "5",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("U+2067"));
    // A carriage return in a label would overwrite the terminal table's header.
    let o = run_in(
        tmp.path(),
        &[
            "run",
            "--quiet",
            "--set",
            "models.stage_gated.label=Stage\rWaterfall",
            "--portfolios",
            "5",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("line break"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn threads_and_portfolios_are_bounded_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    for threads in ["0", "100000"] {
        let o = run_in(tmp.path(), &["run", "--quiet", "--threads", threads]);
        assert_eq!(o.status.code(), Some(2), "--threads {threads}");
        assert!(text(&o.stderr).contains("1024"), "{}", text(&o.stderr));
    }
    // Terabytes of outcomes are refused at once, with a number that fits.
    let started = std::time::Instant::now();
    let o = run_in(tmp.path(), &["run", "--quiet", "--portfolios", "100000000"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("GB of memory") && err.contains("--portfolios"),
        "{err}"
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "refused only after working"
    );
    assert!(
        !tmp.path().join("output").exists(),
        "no folder for a refused run"
    );
    // Sensitivity picks its pair by running every model: refused before that too.
    let started = std::time::Instant::now();
    let o = run_in(
        tmp.path(),
        &["sensitivity", "--quiet", "--portfolios", "100000000"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        started.elapsed().as_secs() < 30,
        "refused only after working"
    );
}

#[test]
fn a_users_files_inside_a_run_folder_are_never_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "20", "--lang", "en"]);
    std::fs::write(out.join("my-notes.txt"), "notes").unwrap();
    let (code, err) = run_into(&out);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("my-notes.txt") && err.contains("move them out"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("my-notes.txt")).unwrap(),
        "notes"
    );
    // A redraw carries them over (once accepted with --reseal).
    let o = run_in(tmp.path(), &["report", "--reseal", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("my-notes.txt")).unwrap(),
        "notes"
    );
}

#[test]
fn nothing_beside_the_destination_is_touched_or_waited_on() {
    let tmp = tempfile::tempdir().unwrap();
    // Files a user keeps beside the folder, under the names budgetsim once used.
    std::fs::write(tmp.path().join("notes.txt"), "notes").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("notes.txt"), tmp.path().join(".a.lock")).unwrap();
    let made = Command::new("mkfifo")
        .arg(tmp.path().join(".b.lock"))
        .status()
        .unwrap();
    assert!(made.success());
    let mine = tmp.path().join(".a.tmp-999999999-keep");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("thesis.txt"), "x").unwrap();
    for name in ["a", "b"] {
        let (code, err) = run_into(&tmp.path().join(name));
        assert_eq!(code, Some(0), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("notes.txt")).unwrap(),
        "notes"
    );
    assert!(mine.join("thesis.txt").is_file());
}

#[test]
fn destinations_written_with_dots_or_slashes_are_judged_as_what_they_name() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    run_to(&run, &["--portfolios", "20", "--lang", "en"]);
    // `run/.` and `run/` are the run folder itself: replaced like it.
    for dest in ["run/.", "run/"] {
        let (code, err) = run_into(&tmp.path().join(dest));
        assert_eq!(code, Some(0), "{dest}: {err}");
        assert!(verify(&run).unwrap().is_empty());
    }
    // `link/` is the link, refused at once, before any simulation.
    std::os::unix::fs::symlink(&run, tmp.path().join("link")).unwrap();
    let (code, err) = run_into(&tmp.path().join("link/"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    // `report .` from inside a run folder redraws it.
    let o = run_in(&run, &["report", "."]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(verify(&run).unwrap().is_empty());
}

#[test]
fn long_model_labels_keep_their_own_columns_in_the_terminal_table() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "Waterfall with a business case from the department";
    let o = run_in(
        tmp.path(),
        &[
            "run",
            "--quiet",
            "--portfolios",
            "10",
            "--lang",
            "en",
            "--set",
            &format!("models.waterfall.label={long}"),
            "--out",
            tmp.path().join("run").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let header = stdout
        .lines()
        .find(|l| l.starts_with("mean [95% CI]"))
        .unwrap();
    for label in [long, "Waterfall (reference-class forecast)"] {
        assert!(header.contains(&format!("  {label}")), "{header}");
    }
}

#[test]
fn new_never_writes_through_a_dangling_link() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere.toml");
    let link = tmp.path().join("mine.toml");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let o = run_in(tmp.path(), &["new", link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("already exists"));
    assert!(!elsewhere.exists(), "a file was created through the link");
}

#[test]
fn report_never_reads_or_copies_files_outside_the_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_to(&out, &["--portfolios", "20", "--lang", "en"]);
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "password").unwrap();
    // A link inside the folder, even when the manifest is resealed, is not followed.
    std::os::unix::fs::symlink(&secret, out.join("notes.csv")).unwrap();
    for args in [
        vec!["report", out.to_str().unwrap()],
        vec!["report", "--reseal", out.to_str().unwrap()],
    ] {
        let o = run_in(tmp.path(), &args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(text(&o.stderr).contains("notes.csv"), "{}", text(&o.stderr));
    }
    std::fs::remove_file(out.join("notes.csv")).unwrap();
    // A manifest naming files outside the folder (or a device that never ends).
    let manifest = out.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["files"].as_array_mut().unwrap().extend([
        serde_json::json!({"name": "/dev/zero", "bytes": 1, "sha256": "0"}),
        serde_json::json!({"name": "../secret.txt", "bytes": 8, "sha256": "0"}),
    ]);
    std::fs::write(&manifest, serde_json::to_string(&m).unwrap()).unwrap();
    let o = run_in(tmp.path(), &["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("/dev/zero") && err.contains("leaves the folder"),
        "{err}"
    );
    let problems = verify(&out).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
}
