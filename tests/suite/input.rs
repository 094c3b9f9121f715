//! Scenario input is bounded and exact: every field has a declared range, nonsense values
//! and oversized or special files are refused with the file, line and field, and no
//! input makes the loader panic, hang, overflow or allocate without limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use budgetsim::scenario;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn default_text() -> String {
    std::fs::read_to_string(repo("scenarios/default.toml")).unwrap()
}

/// Runs the binary with `args` and a deadline; None when it did not finish in time
/// (the child is killed then).
fn budgetsim_within(args: &[&str], limit: Duration) -> Option<Output> {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args)
        .current_dir(cwd.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn budgetsim(args: &[&str]) -> Output {
    match budgetsim_within(args, Duration::from_secs(120)) {
        Some(o) => o,
        None => panic!("budgetsim {args:?} did not finish in 120 s"),
    }
}

/// Runs `validate` on `path`; asserts exit code 2 without a panic and returns stderr.
fn refused(path: &Path) -> String {
    let out = budgetsim(&["validate", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The default scenario with `from` replaced by `to` (which must occur), written to a
/// temp dir; returns (dir guard, path, 1-based line of the replacement).
fn edited(from: &str, to: &str) -> (tempfile::TempDir, PathBuf, usize) {
    let text = default_text();
    let at = text
        .find(from)
        .unwrap_or_else(|| panic!("`{from}` not in default.toml"));
    let line = text[..at].matches('\n').count() + 1;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    (dir, path, line)
}

/// Writes files into a fresh temp dir.
fn files(list: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in list {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

fn default_path() -> String {
    repo("scenarios/default.toml").display().to_string()
}

#[test]
fn horizon_beyond_fifty_years_is_refused_with_the_limit() {
    for (value, shown) in [("1e12", "1e12"), ("1e300", "1e300"), ("6000", "6000")] {
        let (_d, p, line) = edited("horizon_months = 60", &format!("horizon_months = {value}"));
        let err = refused(&p);
        assert!(err.contains(&format!("edited.toml:{line}:")), "{err}");
        assert!(
            err.contains("field `simulation.horizon_months`: must be from 1 to 600 months"),
            "{err}"
        );
        assert!(err.contains(&format!("got {shown}")), "{err}");
    }
}

#[test]
fn nonsense_numbers_are_refused_with_their_limits() {
    for (from, to, field, limit) in [
        (
            "median = 2_000_000, p90 = 12_000_000",
            "median = 2_000_000, p90 = 1e300",
            "ideas.value.p90",
            "at most 1e12 dollars",
        ),
        (
            "budget = 50_000_000",
            "budget = 1e300",
            "fund.budget",
            "at most 1e12 dollars",
        ),
        (
            "intake_every_months = 6 ",
            "intake_every_months = 1e-300 ",
            "fund.intake_every_months",
            "from 0.25 to 600 months",
        ),
        (
            "duration_share = 0.35",
            "duration_share = 50",
            "models.stage_gated.stages.3.duration_share",
            "more than 0 and at most 1",
        ),
        (
            "overrun_p90 = 1.106",
            "overrun_p90 = 1e300",
            "risk.overrun_p90",
            "from 0.01 to 100",
        ),
        (
            "ideas_per_round = 8 ",
            "ideas_per_round = 9223372036854775807 ",
            "fund.ideas_per_round",
            "a whole number from 1 to 100000 ideas",
        ),
    ] {
        let (_d, p, line) = edited(from, to);
        let err = refused(&p);
        assert!(err.contains(&format!("field `{field}`")), "{to}: {err}");
        assert!(err.contains(limit), "{to}: {err}");
        assert!(err.contains(&format!("edited.toml:{line}:")), "{to}: {err}");
    }
}

#[test]
fn a_lognormal_too_wide_for_its_draws_is_refused() {
    let (_d, p, _) = edited(
        "median = 1_500_000, p90 = 5_000_000",
        "median = 1, p90 = 5_000_000",
    );
    let err = refused(&p);
    assert!(
        err.contains("ideas.planned_cost") && err.contains("more than 100"),
        "{err}"
    );
}

#[test]
fn scope_shares_must_add_up_to_one() {
    for (shares, sum) in [("5.0", "5.45"), ("0.004", "0.004")] {
        // The waterfall's one stage: 1.0 -> `shares`; stage_gated's four add up to 1.
        let (_d, p, _) = edited(
            "name = { en = \"delivery\", fr = \"réalisation\" }\nscope_share = 1.0",
            &format!(
                "name = {{ en = \"delivery\", fr = \"réalisation\" }}\nscope_share = {shares}"
            ),
        );
        let err = refused(&p);
        assert!(err.contains("models.waterfall.stages"), "{err}");
        if shares == "0.004" {
            assert!(err.contains(&format!("add up to {sum}")), "{err}");
        }
    }
    // Each share within (0, 1], the four together 1.5.
    let (_d, p, _) = edited("scope_share = 0.50", "scope_share = 1.0");
    let err = refused(&p);
    assert!(
        err.contains("models.stage_gated.stages") && err.contains("add up to 1.5"),
        "{err}"
    );
}

#[test]
fn extends_replaces_a_distribution_whole() {
    let child = format!(
        "extends = {:?}\nname = \"child\"\n[ideas]\nvalue = {{ dist = \"lognormal\", mean = 3_000_000, cv = 1.5 }}\n",
        default_path()
    );
    let dir = files(&[("child.toml", &child)]);
    let loaded = scenario::load_file(&dir.path().join("child.toml"), &[]).unwrap();
    let value = loaded.resolved["ideas"]["value"].as_table().unwrap();
    let keys: Vec<&str> = value.keys().map(String::as_str).collect();
    assert_eq!(keys, ["dist", "mean", "cv"]);
    // A constant replaces the parent's table, and a table replaces a constant.
    let child = format!(
        "extends = {:?}\nname = \"child\"\n[ideas]\nplanned_cost = 1_000_000\n",
        default_path()
    );
    let dir = files(&[("c.toml", &child)]);
    let loaded = scenario::load_file(&dir.path().join("c.toml"), &[]).unwrap();
    assert_eq!(
        loaded.resolved["ideas"]["planned_cost"].as_integer(),
        Some(1_000_000)
    );
}

#[cfg(unix)]
#[test]
fn fifo_scenario_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = budgetsim_within(
        &["validate", fifo.to_str().unwrap()],
        Duration::from_secs(20),
    )
    .expect("validate hung on a FIFO");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    // The same as the parent of `extends`.
    let child = files(&[(
        "child.toml",
        &format!("extends = {:?}\nname = \"c\"\n", fifo.display().to_string()),
    )]);
    let out = budgetsim_within(
        &[
            "validate",
            child.path().join("child.toml").to_str().unwrap(),
        ],
        Duration::from_secs(20),
    )
    .expect("validate hung on a FIFO parent");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("child.toml:1:") && err.contains("not a regular file"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn devices_and_standard_input_are_refused_without_reading() {
    for dev in ["/dev/zero", "/dev/urandom", "/dev/stdin", "/dev/null"] {
        let out = budgetsim_within(&["validate", dev], Duration::from_secs(20))
            .unwrap_or_else(|| panic!("validate {dev} did not finish"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{dev}: {err}");
        assert!(
            err.contains(dev) && err.contains("not a scenario file"),
            "{err}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = budgetsim(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a folder"));
}

#[test]
fn oversized_scenario_is_refused_by_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    // 50 MB, sparse: refusing it must not depend on reading it.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(50_000_000)
        .unwrap();
    let start = Instant::now();
    let err = scenario::load_file(&big, &[]).unwrap_err().to_string();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        err.contains("50000000 bytes") && err.contains("1 MiB"),
        "{err}"
    );
    assert!(refused(&big).contains("1 MiB"));
}

#[test]
fn non_utf8_scenario_names_the_line_and_column_of_the_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.toml");
    std::fs::write(&p, b"name = \"ok\"\ndescription = \"caf\xe9\"\n").unwrap();
    let err = refused(&p);
    assert!(err.contains("latin1.toml:2:19"), "{err}");
    assert!(err.contains("0xe9") && err.contains("UTF-8"), "{err}");
}

#[test]
fn deep_dotted_path_is_refused_not_a_stack_overflow() {
    let deep = vec!["a"; 20_000].join(".");
    for args in [
        vec![
            "validate".to_string(),
            default_path(),
            "--set".into(),
            format!("{deep}=1"),
        ],
        vec![
            "run".into(),
            "--quiet".into(),
            "--sweep".into(),
            format!("{deep}=1,2"),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = budgetsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        let shown = scenario::fields::shortened(&err);
        assert_eq!(out.status.code(), Some(2), "{shown}");
        assert!(err.contains("more than 16"), "{shown}");
        assert!(err.len() < 2_000, "the message repeats the path: {shown}");
    }
    for table in [
        format!("[[sweep]]\npath = \"{deep}\"\nvalues = [1, 2]\n"),
        format!("[sensitivity]\nparameters = [{{ path = \"{deep}\" }}]\n"),
    ] {
        let body = format!("extends = {:?}\nname = \"deep\"\n{table}", default_path());
        let dir = files(&[("deep.toml", &body)]);
        let err = refused(&dir.path().join("deep.toml"));
        let shown = scenario::fields::shortened(&err);
        assert!(
            err.contains("deep.toml:") && err.contains("more than 16"),
            "{shown}"
        );
    }
    // A path within the limits still works.
    scenario::load_default(&["models.stage_gated.stages.0.duration_months=2".into()]).unwrap();
}

#[test]
fn a_portfolio_too_big_to_simulate_is_refused() {
    // 1,000,000 ideas are allowed with the default market...
    scenario::load_default(&["fund.ideas_per_round=100000".into()]).unwrap();
    // ...but not with 10,025 vendors drawing for each of their contracts.
    let err = scenario::load_default(&[
        "fund.ideas_per_round=100000".into(),
        "vendors.small=10000".into(),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("vendor draws per portfolio") && err.contains("1e9"),
        "{err}"
    );
}

#[test]
fn sweep_grid_that_overflows_is_refused() {
    let mut loaded = scenario::load_default(&[]).unwrap();
    // 64 axes of 2 values: 2^64 points, which a plain usize product wraps to 0.
    let axes: Vec<String> = (0..64)
        .map(|_| "vendors.markup=0.2,0.4".to_string())
        .collect();
    let err = scenario::add_sweeps(&mut loaded, &axes)
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 10000"), "{err}");
    let mut args = vec!["run", "--quiet", "--portfolios", "2"];
    for a in &axes {
        args.push("--sweep");
        args.push(a);
    }
    let out = budgetsim(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than 10000"));
}

#[test]
fn long_extends_chain_is_not_called_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let chain = |n: usize| {
        for i in 0..n {
            let body = if i + 1 == n {
                format!("extends = {:?}\n", default_path())
            } else {
                format!("extends = \"f{}.toml\"\n", i + 1)
            };
            std::fs::write(dir.path().join(format!("f{i}.toml")), body).unwrap();
        }
        dir.path().join("f0.toml")
    };
    // Within the limit, a chain loads.
    scenario::load_file(&chain(20), &[]).unwrap();
    let err = refused(&chain(200));
    assert!(!err.contains("cycle"), "{err}");
    assert!(err.contains("longer than 64 files"), "{err}");
    // A real cycle is still called one.
    let dir = files(&[
        ("a.toml", "extends = \"b.toml\"\nname = \"a\"\n"),
        ("b.toml", "extends = \"a.toml\"\nname = \"b\"\n"),
    ]);
    let err = refused(&dir.path().join("a.toml"));
    assert!(err.contains("cycle"), "{err}");
    let dir = files(&[("self.toml", "extends = \"self.toml\"\nname = \"s\"\n")]);
    assert!(refused(&dir.path().join("self.toml")).contains("cycle"));
}

#[test]
fn validate_checks_sweep_and_sensitivity_paths() {
    for (table, field, says) in [
        (
            "[[sweep]]\npath = \"models.stage_gated.hurdel\"\nvalues = [1, 2]\n",
            "sweep.0.path",
            "no field `models.stage_gated.hurdel`",
        ),
        (
            "[[sweep]]\npath = \"models.agile.hurdle\"\nvalues = [1, 2]\n",
            "sweep.0.path",
            "`models.agile` is not in the scenario",
        ),
        (
            "[sensitivity]\nparameters = [{ path = \"ideas.fit_probabilty\" }]\n",
            "sensitivity.parameters.0.path",
            "did you mean `ideas.fit_probability`",
        ),
        (
            "[sensitivity]\nparameters = [{ path = \"models.waterfall.commitment\" }]\n",
            "sensitivity.parameters.0.path",
            "not a number",
        ),
        (
            "[sensitivity]\nparameters = [{ path = \"ideas.fit_probability\", low = 0.5, high = 2 }]\n",
            "sensitivity.parameters.0.high",
            "between 0 and 1",
        ),
    ] {
        let body = format!("extends = {:?}\nname = \"paths\"\n{table}", default_path());
        let dir = files(&[("paths.toml", &body)]);
        let err = refused(&dir.path().join("paths.toml"));
        assert!(err.contains("paths.toml:"), "{err}");
        assert!(err.contains(&format!("field `{field}`")), "{err}");
        assert!(err.contains(says), "{err}");
    }
    // An optional field the scenario leaves out may be swept.
    let body = format!(
        "extends = {:?}\nname = \"ok\"\n[[sweep]]\npath = \"models.stage_gated.max_starts_per_round\"\nvalues = [2, 4]\n",
        default_path()
    );
    let dir = files(&[("ok.toml", &body)]);
    scenario::load_file(&dir.path().join("ok.toml"), &[]).unwrap();
}

#[test]
fn money_and_counts_come_from_the_declarations() {
    for p in [
        "fund.budget",
        "ideas.value",
        "ideas.value.median",
        "ideas.planned_cost.p90",
        "models.stage_gated.stages.1.cost",
        "models.x.gate_review_cost",
        "vendors.small_contract_cap",
    ] {
        assert!(scenario::is_dollars(p), "{p}");
    }
    for p in [
        "ideas.value.cv",
        "ideas.planned_duration_months.max",
        "fund.intake_every_months",
        "vendors.markup",
    ] {
        assert!(!scenario::is_dollars(p), "{p}");
    }
    for p in [
        "fund.intake_rounds",
        "vendors.small",
        "simulation.seed",
        "models.a.stages.2.attempts",
        "models.a.max_starts_per_round",
    ] {
        assert!(scenario::is_count(p), "{p}");
    }
    assert!(!scenario::is_count("fund.budget"));
}

#[test]
fn fields_doc_is_current() {
    let path = repo("docs/fields.md");
    let want = scenario::fields::markdown();
    if std::env::var_os("BUDGETSIM_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/fields.md is out of date: run BUDGETSIM_BLESS=1 cargo test --test suite fields_doc"
    );
    for row in [
        "`simulation.horizon_months`",
        "`ideas.value.p90`",
        "`models.*.stages.*.cost`",
    ] {
        assert!(want.contains(row), "{row}");
    }
}

mod fuzz {
    //! Mutation fuzzing of the scenario loader. The default case count keeps it to a few
    //! seconds in `cargo test`; a long run:
    //! `PROPTEST_CASES=100000 cargo test --release --test suite fuzz`.

    use super::*;
    use proptest::prelude::*;
    use toml::{Table, Value};

    /// Values that have broken loaders: bounds, overflows, special floats.
    const EXTREMES: &[f64] = &[
        0.0,
        -1.0,
        1e300,
        -1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e-300,
        1e12,
        600.0,
        1.0,
    ];
    const EXTREME_INTS: &[i64] = &[0, -1, i64::MIN, i64::MAX, 1 << 40, 100_000, 2];

    #[derive(Debug, Clone)]
    enum Mutation {
        /// Leaf `n` (mod the leaf count) becomes an extreme number.
        Number(usize, usize, bool),
        /// Leaf `n` is deleted.
        Delete(usize),
        /// Leaf `n` becomes another type.
        Retype(usize, usize),
        /// Container `n` (a table or list of tables) is duplicated beside itself.
        Duplicate(usize),
        /// Byte `n` of the text becomes `b`.
        Byte(usize, u8),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            4 => (any::<usize>(), any::<usize>(), any::<bool>())
                .prop_map(|(a, b, c)| Mutation::Number(a, b, c)),
            1 => any::<usize>().prop_map(Mutation::Delete),
            1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Retype(a, b)),
            1 => any::<usize>().prop_map(Mutation::Duplicate),
            2 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
        ]
    }

    /// Paths (as segments) of every leaf and every container, in order.
    fn paths(
        v: &Value,
        here: &mut Vec<String>,
        leaves: &mut Vec<Vec<String>>,
        boxes: &mut Vec<Vec<String>>,
    ) {
        match v {
            Value::Table(t) => {
                boxes.push(here.clone());
                for (k, x) in t {
                    here.push(k.clone());
                    paths(x, here, leaves, boxes);
                    here.pop();
                }
            }
            Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_table) => {
                boxes.push(here.clone());
                for (i, x) in a.iter().enumerate() {
                    here.push(i.to_string());
                    paths(x, here, leaves, boxes);
                    here.pop();
                }
            }
            _ => leaves.push(here.clone()),
        }
    }

    /// The container holding `path`'s last segment, and that segment.
    fn parent<'a>(root: &'a mut Value, path: &[String]) -> Option<(&'a mut Value, String)> {
        let (last, init) = path.split_last()?;
        let mut cur = root;
        for seg in init {
            cur = match cur {
                Value::Table(t) => t.get_mut(seg)?,
                Value::Array(a) => a.get_mut(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some((cur, last.clone()))
    }

    fn put(root: &mut Value, path: &[String], new: Option<Value>) {
        let Some((container, key)) = parent(root, path) else {
            return;
        };
        match (container, new) {
            (Value::Table(t), Some(v)) => {
                t.insert(key, v);
            }
            (Value::Table(t), None) => {
                t.remove(&key);
            }
            (Value::Array(a), Some(v)) => {
                if let Some(slot) = key.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    *slot = v;
                }
            }
            (Value::Array(a), None) => {
                if let Some(i) = key.parse::<usize>().ok().filter(|i| *i < a.len()) {
                    a.remove(i);
                }
            }
            _ => {}
        }
    }

    fn get<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
        let mut cur = root;
        for seg in path {
            cur = match cur {
                Value::Table(t) => t.get(seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn apply(root: &mut Value, m: &Mutation) {
        let (mut leaves, mut boxes) = (Vec::new(), Vec::new());
        paths(root, &mut Vec::new(), &mut leaves, &mut boxes);
        let pick = |list: &[Vec<String>], n: usize| list.get(n % list.len().max(1)).cloned();
        match *m {
            Mutation::Number(n, k, int) => {
                // Numbers only: other leaves turned into numbers are Retype's job.
                let numbers: Vec<Vec<String>> = leaves
                    .iter()
                    .filter(|p| matches!(get(root, p), Some(Value::Integer(_) | Value::Float(_))))
                    .cloned()
                    .collect();
                if let Some(p) = pick(&numbers, n) {
                    let v = if int {
                        Value::Integer(EXTREME_INTS[k % EXTREME_INTS.len()])
                    } else {
                        Value::Float(EXTREMES[k % EXTREMES.len()])
                    };
                    put(root, &p, Some(v));
                }
            }
            Mutation::Delete(n) => {
                if let Some(p) = pick(&leaves, n) {
                    put(root, &p, None);
                }
            }
            Mutation::Retype(n, k) => {
                if let Some(p) = pick(&leaves, n) {
                    let v = match k % 5 {
                        0 => Value::String("x".into()),
                        1 => Value::Boolean(true),
                        2 => Value::Array(vec![Value::Integer(1)]),
                        3 => Value::Table(Table::new()),
                        _ => Value::Integer(3),
                    };
                    put(root, &p, Some(v));
                }
            }
            Mutation::Duplicate(n) => {
                if let Some(p) = pick(&boxes, n).filter(|p| !p.is_empty())
                    && let Some(copy) = get(root, &p).cloned()
                {
                    let mut twin = p.clone();
                    let last = twin.pop().unwrap_or_default();
                    if matches!(get(root, &twin), Some(Value::Array(_))) {
                        if let Some((Value::Array(a), _)) = parent(root, &p) {
                            a.push(copy);
                        }
                    } else {
                        twin.push(format!("{last}_copy"));
                        put(root, &twin, Some(copy));
                    }
                }
            }
            Mutation::Byte(..) => {}
        }
    }

    /// Every shipped scenario, with `extends` made absolute so a copy loads anywhere.
    fn shipped() -> Vec<Table> {
        let dir = repo("scenarios");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let mut t: Table = toml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                if let Some(Value::String(parent)) = t.get("extends").cloned() {
                    t.insert(
                        "extends".into(),
                        Value::String(dir.join(parent).display().to_string()),
                    );
                }
                t
            })
            .collect()
    }

    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1024)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        /// Mutated shipped scenarios load or are refused with a message, never panic,
        /// and what loads runs a short simulation quickly.
        #[test]
        fn fuzz_mutated_scenarios_load_or_are_refused(
            which in any::<usize>(),
            mutations in proptest::collection::vec(mutation(), 1..4),
        ) {
            let all = shipped();
            let mut root = Value::Table(all[which % all.len()].clone());
            for m in &mutations {
                apply(&mut root, m);
            }
            let Value::Table(table) = root else { unreachable!() };
            let mut bytes = toml::to_string(&table).unwrap_or_default().into_bytes();
            for m in &mutations {
                if let Mutation::Byte(at, b) = *m
                    && !bytes.is_empty()
                {
                    let n = bytes.len();
                    bytes[at % n] = b;
                }
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mutant.toml");
            std::fs::write(&path, &bytes).unwrap();
            match scenario::load_file(&path, &[]) {
                Err(e) => {
                    prop_assert!(!e.diagnostics.is_empty());
                    for d in &e.diagnostics {
                        prop_assert!(!d.message.trim().is_empty(), "{e}");
                    }
                }
                Ok(loaded) => {
                    let start = Instant::now();
                    let r = budgetsim::engine::run(&loaded.scenario, 0..2);
                    prop_assert_eq!(r.outcomes.len(), loaded.scenario.models.len());
                    prop_assert!(
                        start.elapsed() < Duration::from_secs(60),
                        "two portfolios took {:?}", start.elapsed()
                    );
                }
            }
        }
    }
}

#[test]
fn a_field_swept_twice_or_extends_set_from_the_command_line_is_refused_before_work() {
    let bin = env!("CARGO_BIN_EXE_budgetsim");
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec![
            "--sweep",
            "simulation.seed=1",
            "--sweep",
            "simulation.seed=2",
        ],
        vec!["--set", "extends=\"x\""],
        vec!["--sweep", "extends=a,b"],
    ] {
        let o = std::process::Command::new(bin)
            .args(["run", "--quiet", "--portfolios", "5", "--out"])
            .arg(tmp.path().join("out"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?} simulated before refusing");
        assert!(!tmp.path().join("out").exists());
    }
}

#[test]
fn new_writes_only_scenarios_that_load() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, from: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_budgetsim"));
        c.current_dir(dir.path()).args(["new", name]);
        if let Some(f) = from {
            c.args(["--from", f]);
        }
        c.output().unwrap()
    };
    // Names TOML must escape, and a parent whose path needs escaping too.
    for name in ["fonds \"pilote\" é", "back\\slash"] {
        let o = run(name, None);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let path = dir.path().join(format!("{name}.toml"));
        let loaded = scenario::load_file(&path, &[]).unwrap();
        assert_eq!(loaded.scenario.name.en(), name);
        let child = format!("child of {name}");
        let o = run(&child, Some(path.to_str().unwrap()));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        scenario::load_file(&dir.path().join(format!("{child}.toml")), &[]).unwrap();
    }
    // A name scenarios refuse (an invisible character, a line break) writes nothing.
    for name in ["zw\u{200B}sp", "two\nlines"] {
        let o = run(name, None);
        assert_eq!(o.status.code(), Some(2), "{name:?}");
        assert!(!dir.path().join(format!("{name}.toml")).exists());
    }
}

#[test]
fn paths_with_empty_segments_are_refused() {
    for set in ["fund..budget=7", ".fund.budget=1", "fund.=1", ".=1"] {
        let o = budgetsim(&["validate", &default_path(), "--set", set]);
        assert_eq!(o.status.code(), Some(2), "{set}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("empty segment"),
            "{set}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn a_count_swept_by_range_takes_whole_numbers() {
    let (_d, path, _) = edited(
        "[simulation]",
        "[[sweep]]\npath = \"fund.intake_rounds\"\nfrom = 1\nto = 3\nsteps = 3\n\n[simulation]",
    );
    let loaded = scenario::load_file(&path, &[]).unwrap();
    let points = scenario::sweep_points(&loaded).unwrap();
    let rounds: Vec<u32> = points
        .iter()
        .map(|p| p.scenario.fund.intake_rounds)
        .collect();
    assert_eq!(rounds, [1, 2, 3]);
}

#[test]
fn work_per_portfolio_and_per_thread_is_bounded_before_any_work() {
    // A million ideas x 15 contracts each (ten vendors in discovery): more contracts
    // than one portfolio may run.
    let o = budgetsim(&[
        "validate",
        &default_path(),
        "--set",
        "fund.intake_rounds=10",
        "--set",
        "fund.ideas_per_round=100000",
        "--set",
        "models.stage_gated.stages.0.attempts=10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("contracts per portfolio"));
    // 150,000 ideas is allowed, but not on 1,024 threads at once.
    let started = Instant::now();
    let o = budgetsim(&[
        "run",
        "--quiet",
        "--portfolios",
        "2",
        "--threads",
        "1024",
        "--set",
        "fund.intake_rounds=15",
        "--set",
        "fund.ideas_per_round=10000",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--threads") && err.contains("GB of memory"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused only after working"
    );
}

#[test]
fn sensitivity_says_why_no_parameter_could_move() {
    let (_d, path, _) = edited(
        "[simulation]",
        "[sensitivity]\nparameters = [{ path = \"risk.overrun_median\", low = 0.9, high = 1.3 }]\n\n[simulation]",
    );
    let o = budgetsim(&[
        "sensitivity",
        "--quiet",
        "--portfolios",
        "5",
        path.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("risk.overrun_median") && err.contains("1.3"),
        "{err}"
    );
}

#[test]
fn a_bad_sweep_value_names_the_line_of_its_axis() {
    let (_d, path, line) = edited(
        "[simulation]",
        "[[sweep]]\npath = \"fund.budget\"\nvalues = [1e6, -5]\n\n[simulation]",
    );
    let err = refused(&path);
    let at = format!("edited.toml:{}", line + 1);
    assert!(err.contains(&at) && err.contains("fund.budget=-5"), "{err}");
}

#[test]
fn a_whole_number_too_large_is_called_that_not_text() {
    let o = budgetsim(&[
        "validate",
        &default_path(),
        "--set",
        "fund.intake_rounds=9999999999999999999",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("too large") && !err.contains("quotes"),
        "{err}"
    );
}

#[test]
fn a_sweep_of_portfolios_does_not_print_one_count_for_all_points() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = budgetsim(&[
        "run",
        "--quiet",
        "--lang",
        "en",
        "--sweep",
        "simulation.portfolios=2,3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("portfolios as swept"), "{text}");
}
