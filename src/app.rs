//! The commands: load a scenario, run the engine, analyse, print, write the run
//! folder. `main` only maps the result to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::analysis::{self, frames};
use crate::cli::{
    CalibrateArgs, Cli, Command, Common, ExplainArgs, NewArgs, ReportArgs, RunArgs,
    SensitivityArgs, ValidateArgs,
};
use crate::engine;
use crate::export::folder::{Staging, StagingError};
use crate::export::manifest::{Manifest, Phases, ScenarioSource, rfc3339, sha256_hex};
use crate::export::{format, json, run_folder, table};
use crate::scenario::{self, Loaded, ScenarioError};

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: exit code 2.
    #[error("{0}")]
    Input(#[from] ScenarioError),
    /// Bad combination of options: exit code 2.
    #[error("error: {0}")]
    Usage(String),
    /// Anything that failed while working: exit code 1.
    #[error("error: {0}")]
    Runtime(String),
}

impl AppError {
    /// Process exit code: 2 for bad input or usage, 1 for runtime failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Input(_) | AppError::Usage(_) => 2,
            AppError::Runtime(_) => 1,
        }
    }
}

/// Points standard input, output and error at /dev/null when the process started with
/// them closed. Otherwise the first file budgetsim opens would take the closed number,
/// and the table printed on "stdout" or a status line on "stderr" would land inside a
/// scenario or output file.
pub fn open_standard_streams() {
    #[cfg(unix)]
    for fd in 0..=2 {
        // SAFETY: fcntl and open take no pointers but the NUL-terminated literal, and
        // only descriptors 0 to 2 that are not open are filled.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 && null != fd {
                    libc::dup2(null, fd);
                    libc::close(null);
                }
            }
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        None => run_scenario(&RunArgs::default()),
        Some(Command::Run(args)) => run_scenario(&args),
        Some(Command::Validate(args)) => validate(&args),
        Some(Command::Schema) => print(&scenario::schema_json()),
        Some(Command::New(args)) => new_scenario(&args),
        Some(Command::Report(args)) => rebuild_report(&args),
        Some(Command::Calibrate(args)) => calibrate(&args),
        Some(Command::Sensitivity(args)) => sensitivity(&args),
        Some(Command::Explain(args)) => explain(&args),
    }
}

fn calibrate(args: &CalibrateArgs) -> Result<(), AppError> {
    if args.portfolios == 0 {
        return Err(AppError::Usage("--portfolios must be at least 1".into()));
    }
    let (checks, overrun) =
        crate::calibration::run_with_overruns(&args.scenarios, args.portfolios)?;
    let text = crate::calibration::markdown(&checks, args.portfolios);
    match &args.out {
        Some(path) => write_atomically(path, &text)?,
        None => print(&text)?,
    }
    let chart = args.chart.clone().or_else(|| {
        args.out
            .as_ref()
            .map(|p| p.with_file_name(crate::calibration::CHART))
    });
    if let Some(path) = chart {
        replace_file(&path, |tmp| {
            crate::report::charts::overrun::write_png(tmp, &overrun)
        })?;
    }
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.as_expected())
        .map(|c| format!("{}: {}", c.preset, c.figure))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(AppError::Runtime(format!(
            "outside the accepted range with no stated reason, or a stated miss that now passes: {}",
            failed.join("; ")
        )))
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename,
/// so a failed write never leaves a half-written file.
fn write_atomically(path: &Path, text: &str) -> Result<(), AppError> {
    replace_file(path, |tmp| {
        std::fs::write(tmp, text).map_err(|e| e.to_string())
    })
}

/// Makes the file at `path` with `write` (given a temporary path in the same folder,
/// with the same extension) and renames it into place: a failed write never leaves a
/// half-written file, and only a regular file (or nothing) is ever replaced.
fn replace_file(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), AppError> {
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.file_type().is_file()
    {
        return Err(AppError::Usage(format!(
            "`{}` exists and is not a regular file (a folder, link, pipe or device); \
             choose another path",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{}.{name}", std::process::id()));
    let result = write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| AppError::Runtime(format!("cannot write `{}`: {e}", path.display())))
}

fn print(text: &str) -> Result<(), AppError> {
    write_stdout(text).map_err(|e| AppError::Runtime(format!("cannot write to stdout: {e}")))
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A line on stderr that never panics: a closed or broken stderr only loses the line.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Standard output of a command that also writes a run folder. The folder holds every
/// result, so a closed or failing stdout must not stop it being written: the first
/// failure is remembered and reported once the folder is in place.
#[derive(Default)]
struct Results {
    failed: Option<std::io::Error>,
}

impl Results {
    fn print(&mut self, text: &str) {
        if self.failed.is_none()
            && let Err(e) = write_stdout(text)
        {
            self.failed = Some(e);
        }
    }

    /// Ok if everything printed; otherwise an error that says where the results are.
    fn finish(self, dest: &Path) -> Result<(), AppError> {
        match self.failed {
            None => Ok(()),
            Some(e) => Err(AppError::Runtime(format!(
                "cannot write to stdout ({e}); every result is in `{}`",
                dest.display()
            ))),
        }
    }
}

/// Loads the scenario named by `args` (or the embedded default) with its overrides.
pub fn load(args: &Common) -> Result<Loaded, ScenarioError> {
    let mut sets = Vec::new();
    if let Some(n) = args.portfolios {
        sets.push(format!("simulation.portfolios={n}"));
    }
    if let Some(s) = args.seed {
        sets.push(format!("simulation.seed={s}"));
    }
    sets.extend(args.set.iter().cloned());
    match &args.scenario {
        Some(path) => scenario::load_file(path, &sets),
        None => scenario::load_default(&sets),
    }
}

/// Status lines on stderr, unless quiet.
struct Status {
    quiet: bool,
}

impl Status {
    fn say(&self, line: &str) {
        if !self.quiet {
            say(line);
        }
    }
}

/// The folder `--out` asks for, or `output/<default_name>`, created as a staging folder
/// first, so an unwritable destination fails before any work.
fn staging(args: &Common, default_name: &str) -> Result<(PathBuf, Staging), AppError> {
    let dest = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(default_name));
    let staging = Staging::new(&dest).map_err(|e| match e {
        StagingError::Refused { .. } => AppError::Usage(e.to_string()),
        StagingError::Io(e) => AppError::Runtime(format!(
            "cannot write the run folder `{}`: {e} (choose another with --out)",
            dest.display()
        )),
    })?;
    Ok((dest, staging))
}

/// Memory a run keeps per portfolio and model, bytes: the outcome (metrics, stages) and
/// its monthly spend and value series, plus their copies in the analysis tables. An
/// estimate from measured runs (the default scenario, 60 months, keeps about 7.8 kB),
/// rounded up.
fn bytes_per_run(s: &crate::model::Scenario) -> f64 {
    2048.0 + 100.0 * s.simulation.horizon_months.ceil()
}

/// Memory the system can give now, bytes (Linux `MemAvailable`); None elsewhere.
fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Refuses a run whose outcomes cannot fit in memory, before any work: every
/// portfolio's outcome is kept for the analysis, so memory grows with portfolios x
/// models x months.
fn check_memory(s: &crate::model::Scenario, portfolios: u64) -> Result<(), AppError> {
    let per = bytes_per_run(s) * s.models.len().max(1) as f64;
    let need = per * portfolios as f64;
    let Some(have) = available_memory() else {
        return Ok(());
    };
    if need <= 0.8 * have {
        return Ok(());
    }
    let fits = (0.8 * have / per).floor().max(1.0);
    Err(AppError::Usage(format!(
        "{portfolios} portfolios of {} models over {} months need about {:.1} GB of memory, \
         and this machine has {:.1} GB available; use --portfolios {} or fewer (each \
         portfolio's outcome is kept for the analysis)",
        s.models.len(),
        s.simulation.horizon_months,
        need / 1e9,
        have / 1e9,
        fits as u64
    )))
}

/// The engine's thread pool (`--threads`, default all cores).
fn thread_pool(args: &Common) -> Result<rayon::ThreadPool, AppError> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        b = b.num_threads(usize::from(t));
    }
    b.build()
        .map_err(|e| AppError::Runtime(format!("cannot start worker threads: {e}")))
}

/// A progress bar on stderr, shown only on a terminal and unless quiet.
fn progress_bar(args: &Common, len: u64, what: &str) -> ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "simulating {{bar:30}} {{pos}}/{{len}} {what}  {{per_sec}}  ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}

/// The manifest of a run folder, before its file list and end time are known.
fn new_manifest(
    loaded: &Loaded,
    resolved: &str,
    threads: usize,
    started: SystemTime,
    phases: Phases,
) -> Manifest {
    let s = &loaded.scenario;
    Manifest {
        budgetsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_name: s.name.clone(),
        scenario: ScenarioSource {
            path: loaded.origin.clone(),
            sha256: sha256_hex(loaded.text.as_bytes()),
            resolved_sha256: sha256_hex(resolved.as_bytes()),
        },
        resolved_scenario: resolved.to_string(),
        seed: s.simulation.seed,
        portfolios: s.simulation.portfolios,
        threads,
        command_line: std::env::args().collect(),
        started: rfc3339(started),
        finished: String::new(),
        wall_seconds: 0.0,
        phases,
        files: Vec::new(),
    }
}

/// The error for a run folder that could not be written (or moved into place).
fn write_failed<E: Into<StagingError>>(dest: &Path) -> impl Fn(E) -> AppError + '_ {
    move |e| match e.into() {
        e @ StagingError::Refused { .. } => AppError::Runtime(e.to_string()),
        StagingError::Io(e) => AppError::Runtime(format!(
            "cannot write the run folder `{}`: {e}; previous results there are unchanged",
            dest.display()
        )),
    }
}

fn run_scenario(args: &RunArgs) -> Result<(), AppError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let common = &args.common;
    let status = Status {
        quiet: common.quiet,
    };
    let mut loaded = load(common)?;
    scenario::add_sweeps(&mut loaded, &args.sweep)?;
    if !loaded.sweep.is_empty() {
        if args.json {
            return Err(AppError::Usage(
                "--json is not available for sweeps; read sweep.csv in the run folder".into(),
            ));
        }
        if args.projects {
            return Err(AppError::Usage(
                "--projects is not available for sweeps; run one point with --set PATH=VALUE --projects".into(),
            ));
        }
        if args.explain {
            return Err(AppError::Usage(
                "--explain is not available for sweeps; run `budgetsim explain --set PATH=VALUE` at a point".into(),
            ));
        }
        return run_sweep(common, &loaded, started, clock, &status);
    }
    let s = &loaded.scenario;
    if args.explain && s.models.len() < 2 {
        return Err(AppError::Usage(
            "--explain compares two funding models; this scenario has one".into(),
        ));
    }
    check_memory(s, s.simulation.portfolios)?;
    let (dest, staging) = staging(common, &loaded.slug())?;
    let pool = thread_pool(common)?;
    let n = s.simulation.portfolios;
    let bar = progress_bar(common, n, "portfolios");
    let detail = if args.projects {
        engine::Detail::Projects
    } else {
        engine::Detail::Outcomes
    };
    let results = pool.install(|| engine::run_with_progress(s, 0..n, detail, &|k| bar.inc(k)));
    bar.finish_and_clear();
    let mut simulate_seconds = clock.elapsed().as_secs_f64();

    status.say(&format!(
        "analysing {n} portfolios x {} models...",
        s.models.len()
    ));
    let analysed = Instant::now();
    let mut tables = frames::tables(s, &results)
        .map_err(|e| AppError::Runtime(format!("analysis failed: {e}")))?;
    let analysis = analysis::from_tables(s, &results, &tables)
        .map_err(|e| AppError::Runtime(format!("analysis failed: {e}")))?;
    let analyse_seconds = analysed.elapsed().as_secs_f64();
    // Print before writing: if the disk fails, the numbers are not lost.
    let mut out = Results::default();
    if args.json {
        let text = json::to_string(&analysis).map_err(|e| AppError::Runtime(e.to_string()))?;
        out.print(&(text + "\n"));
    } else {
        out.print(&table::render(&analysis, analysis.pair(&loaded.scenario)));
    }
    // The headline pair of this run, explained over its first portfolios.
    let explained = if args.explain {
        let clock = Instant::now();
        let n = explain_portfolios(None, n)?;
        let plan =
            crate::explain::Plan::new(s, analysis.pair(s), n, &crate::explain::Mechanism::ALL);
        let table = run_explain(common, &pool, &plan, &status).table();
        if !args.json {
            out.print(&format!("\n{}", render_explain(&plan, &table)));
        }
        simulate_seconds += clock.elapsed().as_secs_f64();
        Some(table)
    } else {
        None
    };

    status.say(&format!("writing {}...", dest.display()));
    let written = Instant::now();
    let resolved = loaded.resolved_toml();
    let mut manifest = new_manifest(
        &loaded,
        &resolved,
        pool.current_num_threads(),
        started,
        Phases {
            simulate_seconds,
            analyse_seconds,
            write_seconds: 0.0,
        },
    );
    // Before the tables: the report that run_folder::write builds reads it.
    if let Some(t) = &explained {
        crate::explain::write_csv(t, &staging.path("explain.csv")).map_err(write_failed(&dest))?;
    }
    run_folder::write(
        &staging,
        &mut tables,
        &resolved,
        &mut manifest,
        &common.lang.list(),
        clock,
        written,
    )
    .map_err(write_failed(&dest))?;
    staging.commit().map_err(write_failed(&dest))?;
    status.say(&format!(
        "wrote {} ({} files) in {:.1} s",
        dest.display(),
        manifest.files.len() + 1,
        clock.elapsed().as_secs_f64()
    ));
    out.finish(&dest)
}

fn validate(args: &ValidateArgs) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for path in &args.scenarios {
        match scenario::load_file(path, &args.set) {
            Ok(l) if args.resolved => {
                if args.scenarios.len() > 1 {
                    print(&format!("# {}\n", path.display()))?;
                }
                print(&l.resolved_toml())?;
            }
            Ok(l) => match scenario::sweep_points(&l) {
                // Every sweep point must be a valid scenario too.
                Err(e) => errors.extend(e.diagnostics),
                Ok(points) => print(&format!(
                    "{}: ok ({} models: {}{})\n",
                    path.display(),
                    l.scenario.models.len(),
                    l.scenario
                        .models
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if l.sweep.is_empty() {
                        String::new()
                    } else {
                        format!("; {} sweep points", points.len())
                    }
                ))?,
            },
            Err(e) => errors.extend(e.diagnostics),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Input(ScenarioError {
            diagnostics: errors,
        }))
    }
}

/// Path of `target` relative to folder `from` (both made absolute), for `extends`.
fn relative(target: &Path, from: &Path) -> PathBuf {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (t, f) = (abs(target), abs(from));
    let common = t
        .components()
        .zip(f.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in f.components().skip(common) {
        out.push("..");
    }
    for c in t.components().skip(common) {
        out.push(c);
    }
    out
}

fn new_scenario(args: &NewArgs) -> Result<(), AppError> {
    let mut path = args.name.clone();
    if path.extension().is_none_or(|e| e != "toml") {
        path.set_extension("toml");
    }
    // A dangling symbolic link counts as taken: writing through it would create a
    // file somewhere else.
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(AppError::Usage(format!(
            "`{}` already exists; choose another name (budgetsim new never overwrites)",
            path.display()
        )));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let text = match &args.from {
        None => {
            // The default scenario, renamed (only its top-level `name`, the first one).
            let mut renamed = false;
            scenario::DEFAULT_SCENARIO
                .lines()
                .filter(|l| !l.starts_with("#:schema"))
                .map(|l| {
                    if !renamed && l.starts_with("name = ") {
                        renamed = true;
                        format!("name = {name:?}\n")
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect::<String>()
        }
        Some(parent) => {
            // Check the parent now, so the new file starts from something valid.
            scenario::load_file(parent, &[])?;
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let rel = relative(parent, dir);
            format!(
                "# {name}: a variant of {parent}. Fields set here override it; everything else\n\
                 # comes from it (tables merge key by key, arrays such as stages are replaced).\n\
                 # Run it with: budgetsim run {path}\n\n\
                 extends = {rel:?}\n\
                 name = {name:?}\n\n\
                 # Common changes, uncomment to use:\n\
                 # [simulation]\n\
                 # portfolios = 5000\n\
                 # [fund]\n\
                 # budget = 20_000_000          # dollars over the horizon\n\
                 # [ideas]\n\
                 # business_case_noise = 0.5    # sd of the business case's error on log value\n\
                 # [models.stage_gated]\n\
                 # hurdle = 1.2                 # expected value must beat 1.2 x expected cost\n",
                parent = parent.display(),
                path = path.display(),
                rel = rel.to_string_lossy(),
            )
        }
    };
    // create_new: never overwrite, even a file that appeared since the check above.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| AppError::Runtime(format!("cannot write `{}`: {e}", path.display())))?;
    say(&format!(
        "wrote {}; check it with: budgetsim validate {}",
        path.display(),
        path.display()
    ));
    Ok(())
}

/// `budgetsim report DIR`: charts and reports again from the folder's data files, built
/// in a staging copy and swapped in whole, with the manifest's file list and hashes
/// brought up to date. A folder whose data files no longer match its manifest is refused
/// unless `--reseal` says to accept them.
fn rebuild_report(args: &ReportArgs) -> Result<(), AppError> {
    use crate::export::folder::{Existing, inspect};
    let dir = &args.dir;
    let not_a_run = |why: String| {
        AppError::Usage(format!(
            "`{}` is not a run folder ({why}); give a folder written by `budgetsim run`, \
             or run `budgetsim run --out {}` first",
            dir.display(),
            dir.display()
        ))
    };
    match inspect(dir).map_err(|e| not_a_run(e.to_string()))? {
        Existing::RunFolder => {}
        Existing::Nothing => return Err(not_a_run("it does not exist".into())),
        Existing::EmptyFolder => return Err(not_a_run("it is empty".into())),
        Existing::Other(what) => return Err(not_a_run(format!("it is {what}"))),
    }
    if !dir.join("summary.csv").is_file() && !dir.join("sweep.csv").is_file() {
        return Err(not_a_run(
            "it has neither summary.csv nor sweep.csv; sensitivity and explain folders \
             are drawn by their own command, so run it again"
                .into(),
        ));
    }
    let problems = run_folder::check_data(dir)
        .map_err(|e| AppError::Runtime(format!("cannot read `{}`: {e}", dir.display())))?;
    if !problems.is_empty() && !args.reseal {
        return Err(AppError::Usage(format!(
            "`{}` no longer matches its manifest.json:\n  {}\nrun the scenario again, or \
             pass --reseal to rebuild from the files as they are and record their new hashes",
            dir.display(),
            problems.join("\n  ")
        )));
    }
    let staging = Staging::new(dir).map_err(write_failed(dir))?;
    let written = run_folder::copy_data(dir, &staging)
        .map_err(write_failed(dir))
        .and_then(|()| {
            crate::report::build(staging.root(), &args.lang.list(), None).map_err(|e| {
                AppError::Runtime(format!(
                    "cannot build the report of `{}`: {e}; the folder is unchanged",
                    dir.display()
                ))
            })
        })?;
    run_folder::reseal(&staging).map_err(write_failed(dir))?;
    staging.commit().map_err(write_failed(dir))?;
    say(&format!(
        "wrote {} files in {}",
        written.len(),
        dir.display()
    ));
    Ok(())
}

/// Runs every point of a sweep with the same seed and writes `sweep.csv` (summary per
/// point) and `sweep_comparison.csv` (paired differences per point).
fn run_sweep(
    args: &Common,
    loaded: &Loaded,
    started: SystemTime,
    clock: Instant,
    status: &Status,
) -> Result<(), AppError> {
    let points = scenario::sweep_points(loaded)?;
    for p in &points {
        check_memory(&p.scenario, p.scenario.simulation.portfolios)?;
    }
    let (dest, staging) = staging(args, &loaded.slug())?;
    let pool = thread_pool(args)?;
    let analysis_error =
        |e: polars::prelude::PolarsError| AppError::Runtime(format!("analysis failed: {e}"));
    let bar = progress_bar(args, points.len() as u64, "sweep points");
    let (mut summaries, mut comparisons) = (Vec::new(), Vec::new());
    let mut lines = String::new();
    for p in &points {
        let s = &p.scenario;
        let r = pool.install(|| engine::run(s, 0..s.simulation.portfolios));
        let (summary, comparison) = frames::summary_and_comparison(&r).map_err(analysis_error)?;
        let models = frames::strings(&summary, "model").map_err(analysis_error)?;
        let metrics = frames::strings(&summary, "metric").map_err(analysis_error)?;
        let (mean, lo, hi) = (
            frames::f64s(&summary, "mean").map_err(analysis_error)?,
            frames::f64s(&summary, "ci_low").map_err(analysis_error)?,
            frames::f64s(&summary, "ci_high").map_err(analysis_error)?,
        );
        let settings: Vec<String> = p
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={}", scenario::value_text(v)))
            .collect();
        lines.push_str(&settings.join(" "));
        for (i, m) in models
            .iter()
            .enumerate()
            .filter(|(i, _)| metrics[*i] == "net_value")
        {
            lines.push_str(&format!(
                "  {m}: {} [{}, {}]",
                format::money(mean[i]),
                format::money(lo[i]),
                format::money(hi[i])
            ));
        }
        lines.push('\n');
        summaries.push(summary);
        comparisons.push(comparison);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut out = Results::default();
    out.print(&format!(
        "{}: sweep of {} points, {} portfolios each, seed {}\nnet_value mean [95% CI] per model\n{lines}",
        loaded.scenario.name,
        points.len(),
        loaded.scenario.simulation.portfolios,
        loaded.scenario.simulation.seed
    ));
    let simulate_seconds = clock.elapsed().as_secs_f64();
    status.say(&format!("writing {}...", dest.display()));
    let written = Instant::now();
    let mut sweep = analysis::sweep::stack(&points, &summaries).map_err(analysis_error)?;
    let mut sweep_comparison =
        analysis::sweep::stack(&points, &comparisons).map_err(analysis_error)?;
    // Every axis, from the file or --sweep, goes into the folder's scenario.toml, so
    // running that file again reproduces the whole sweep.
    let resolved = loaded.resolved_sweep_toml();
    let mut manifest = new_manifest(
        loaded,
        &resolved,
        pool.current_num_threads(),
        started,
        Phases {
            simulate_seconds,
            analyse_seconds: 0.0,
            write_seconds: 0.0,
        },
    );
    let provenance = crate::report::Provenance::from_manifest(&manifest);
    let mut write = || -> std::io::Result<()> {
        use crate::export::tables::{Format, TableWriter};
        Format::Csv.write(&mut sweep, &staging.path("sweep.csv"))?;
        Format::Csv.write(&mut sweep_comparison, &staging.path("sweep_comparison.csv"))?;
        std::fs::write(staging.path("scenario.toml"), &resolved)?;
        crate::report::build(staging.root(), &args.lang.list(), Some(provenance.clone()))
            .map_err(std::io::Error::other)?;
        Ok(())
    };
    write().map_err(write_failed(&dest))?;
    manifest.phases.write_seconds = written.elapsed().as_secs_f64();
    seal(staging, manifest, clock, &dest, status)?;
    out.finish(&dest)
}

/// Completes a run folder: lists and hashes its files into the manifest, writes the
/// manifest and swaps the folder into place.
fn seal(
    staging: Staging,
    mut manifest: Manifest,
    clock: Instant,
    dest: &Path,
    status: &Status,
) -> Result<(), AppError> {
    manifest.files = run_folder::file_entries(staging.root()).map_err(write_failed(dest))?;
    manifest.finished = rfc3339(SystemTime::now());
    manifest.wall_seconds = clock.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| AppError::Runtime(e.to_string()))?
        + "\n";
    std::fs::write(staging.path("manifest.json"), json).map_err(write_failed(dest))?;
    staging.commit().map_err(write_failed(dest))?;
    status.say(&format!(
        "wrote {} in {:.1} s",
        dest.display(),
        clock.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// One-at-a-time sensitivity of a paired difference: sensitivity.csv,
/// sensitivity_excluded.csv and the tornado chart.
fn sensitivity(args: &SensitivityArgs) -> Result<(), AppError> {
    use crate::sensitivity::{self as sens, Options};
    let started = SystemTime::now();
    let clock = Instant::now();
    let common = &args.common;
    let status = Status {
        quiet: common.quiet,
    };
    let loaded = load(common)?;
    let models = models_flag(args.models.as_deref())?;
    let plan = sens::plan(
        &loaded,
        &Options {
            metric: args.metric.clone(),
            models,
            spread: args.spread,
            portfolios: common.portfolios,
        },
    )?;
    if plan.moves.is_empty() {
        return Err(AppError::Usage(
            "no parameter can be moved; list some in [sensitivity.parameters] with low and high"
                .into(),
        ));
    }
    check_memory(&loaded.scenario, plan.portfolios)?;
    let (dest, staging) = staging(common, &format!("{}-sensitivity", loaded.slug()))?;
    let pool = thread_pool(common)?;
    status.say(&format!(
        "{} parameters moved one at a time: {} runs of {} portfolios",
        plan.moves.len(),
        plan.runs(),
        plan.portfolios
    ));
    let bar = progress_bar(common, plan.runs() * plan.portfolios, "portfolios");
    let table = pool.install(|| sens::run(&plan, &|k| bar.inc(k)));
    bar.finish_and_clear();
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&render_sensitivity(&plan, &table));

    let tornado = crate::report::charts::tornado::Tornado {
        metric: plan.metric,
        baseline: plan.baseline.2.clone(),
        challenger: plan.challenger.2.clone(),
        base: table.base.mean_diff,
        rows: table
            .rows
            .iter()
            .map(|r| {
                (
                    r.parameter.path.clone(),
                    r.parameter.low,
                    r.parameter.high,
                    r.at_low.mean_diff,
                    r.at_high.mean_diff,
                )
            })
            .collect(),
    };
    let study = Study {
        loaded: &loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: plan.portfolios,
    };
    study.write(staging, &dest, &status, |staging| {
        sens::write_csv(&plan, &table, &staging.path("sensitivity.csv"))?;
        sens::write_excluded(&plan, &staging.path("sensitivity_excluded.csv"))?;
        crate::report::charts::tornado::render(staging.root(), &tornado, &common.lang.list())
            .map(|_| ())
            .map_err(std::io::Error::other)
    })?;
    out.finish(&dest)
}

/// A study folder's run (sensitivity, explain): what its manifest records.
struct Study<'a> {
    loaded: &'a Loaded,
    threads: usize,
    started: SystemTime,
    clock: Instant,
    simulate_seconds: f64,
    portfolios: u64,
}

impl Study<'_> {
    /// Writes the study's own files with `files`, then its resolved scenario.toml and
    /// manifest, and moves the folder into place.
    fn write(
        &self,
        staging: Staging,
        dest: &Path,
        status: &Status,
        files: impl FnOnce(&Staging) -> std::io::Result<()>,
    ) -> Result<(), AppError> {
        let written = Instant::now();
        let resolved = self.loaded.resolved_toml();
        files(&staging)
            .and_then(|()| std::fs::write(staging.path("scenario.toml"), &resolved))
            .map_err(write_failed(dest))?;
        let mut manifest = new_manifest(
            self.loaded,
            &resolved,
            self.threads,
            self.started,
            Phases {
                simulate_seconds: self.simulate_seconds,
                analyse_seconds: 0.0,
                write_seconds: written.elapsed().as_secs_f64(),
            },
        );
        manifest.portfolios = self.portfolios;
        seal(staging, manifest, self.clock, dest, status)
    }
}

/// The `--models A,B` option: a baseline and a challenger key.
fn models_flag(text: Option<&str>) -> Result<Option<(String, String)>, AppError> {
    let Some(text) = text else {
        return Ok(None);
    };
    match text.split_once(',') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() && !b.contains(',') => {
            Ok(Some((a.trim().to_string(), b.trim().to_string())))
        }
        _ => Err(AppError::Usage(format!(
            "--models takes two model keys, baseline then challenger, e.g. --models waterfall,stage_gated (got `{text}`)"
        ))),
    }
}

/// Portfolios per combination of mechanisms: `--portfolios`, else the scenario's, at
/// most [`crate::explain::DEFAULT_PORTFOLIOS`].
fn explain_portfolios(flag: Option<u64>, scenario: u64) -> Result<u64, AppError> {
    match flag.unwrap_or(scenario.min(crate::explain::DEFAULT_PORTFOLIOS)) {
        0 => Err(AppError::Usage("--portfolios must be at least 1".into())),
        n => Ok(n),
    }
}

/// Runs every combination of the plan's mechanisms with a progress bar over
/// combinations x portfolios.
fn run_explain(
    common: &Common,
    pool: &rayon::ThreadPool,
    plan: &crate::explain::Plan,
    status: &Status,
) -> crate::explain::Explanation {
    status.say(&format!(
        "explaining {} minus {}: {} mechanisms, {} on/off combinations of {} portfolios",
        plan.challenger.1,
        plan.baseline.1,
        plan.mechanisms.len(),
        plan.subsets(),
        plan.portfolios
    ));
    let bar = progress_bar(common, plan.subsets() * plan.portfolios, "portfolios");
    let explanation = pool.install(|| crate::explain::run(plan, &|k| bar.inc(k)));
    bar.finish_and_clear();
    explanation
}

/// `budgetsim explain`: the paired net-value difference of two models attributed to
/// the model's mechanisms; explain.csv and the bridge chart.
fn explain(args: &ExplainArgs) -> Result<(), AppError> {
    use crate::explain::{self as ex, Mechanism, Plan};
    let started = SystemTime::now();
    let clock = Instant::now();
    let common = &args.common;
    let status = Status {
        quiet: common.quiet,
    };
    let models = models_flag(args.models.as_deref())?;
    let loaded = load(common)?;
    let s = &loaded.scenario;
    let n = explain_portfolios(common.portfolios, s.simulation.portfolios)?;
    check_memory(s, n)?;
    let pool = thread_pool(common)?;
    if models.is_none() && s.models.len() > 1 {
        status.say(&format!(
            "choosing the models to compare: {} models on {n} portfolios",
            s.models.len()
        ));
    }
    let pair = pool.install(|| ex::pick_models(s, models.as_ref(), n, &|_| {}))?;
    let (dest, staging) = staging(common, &format!("{}-explain", loaded.slug()))?;
    let plan = Plan::new(s, pair, n, &Mechanism::ALL);
    let explanation = run_explain(common, &pool, &plan, &status);
    let table = explanation.table();
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&render_explain(&plan, &table));

    let bridge = crate::report::charts::bridge::Bridge::new(&table, s);
    let study = Study {
        loaded: &loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: n,
    };
    study.write(staging, &dest, &status, |staging| {
        ex::write_csv(&table, &staging.path("explain.csv"))?;
        crate::report::charts::bridge::render(staging.root(), &bridge, &common.lang.list())
            .map(|_| ())
            .map_err(std::io::Error::other)
    })?;
    out.finish(&dest)
}

/// The terminal table of an explanation: mechanisms by size, then both ends.
fn render_explain(plan: &crate::explain::Plan, t: &crate::explain::Table) -> String {
    use crate::explain::Part;
    use crate::metrics::Metric;
    let m = Metric::NetValue;
    let mut out = format!(
        "Where the net-value difference comes from: {} minus {}\n\
         Shapley values over all {} on/off combinations of {} mechanisms, {} portfolios each, same seed throughout\n\n",
        plan.challenger.1,
        plan.baseline.1,
        plan.subsets(),
        plan.mechanisms.len(),
        plan.portfolios,
    );
    out += &format!(
        "{:<38} {:>13} {:>26} {:>7}\n",
        "mechanism", "contribution", "95% CI", "share"
    );
    let line = |label: &str, r: &crate::explain::Row| {
        format!(
            "{:<38} {:>13} {:>26} {:>7}\n",
            label,
            format::diff(m, r.contribution),
            format!(
                "[{}, {}]",
                format::diff(m, r.ci_low),
                format::diff(m, r.ci_high)
            ),
            if r.share_of_full.is_finite() {
                format!("{:.0}%", 100.0 * r.share_of_full)
            } else {
                "n/a".into()
            },
        )
    };
    let en = crate::report::Lang::En;
    for r in t.mechanisms() {
        out += &line(r.part.label(en), r);
    }
    out.push('\n');
    for r in [Part::AllOff, Part::Full]
        .into_iter()
        .filter_map(|p| t.get(p))
    {
        out += &line(r.part.label(en), r);
    }
    out
}

/// The terminal table of a sensitivity run: the largest swings first.
fn render_sensitivity(plan: &crate::sensitivity::Plan, t: &crate::sensitivity::Table) -> String {
    let m = plan.metric;
    let mut out = format!(
        "Sensitivity of {} ({} minus {}), {} portfolios per run, same seed throughout\n\
         with every parameter as in the scenario: {} [{}, {}]\n\n",
        m.name(),
        plan.challenger.1,
        plan.baseline.1,
        plan.portfolios,
        format::diff(m, t.base.mean_diff),
        format::diff(m, t.base.ci_low),
        format::diff(m, t.base.ci_high),
    );
    out += &format!(
        "{:>4}  {:<46} {:>22} {:>14} {:>14} {:>14}\n",
        "rank", "parameter", "low -> high", "at low", "at high", "swing"
    );
    let shown = 20;
    for (i, r) in t.rows.iter().take(shown).enumerate() {
        let range = format!("{} -> {}", short(r.parameter.low), short(r.parameter.high));
        out += &format!(
            "{:>4}  {:<46} {:>22} {:>14} {:>14} {:>14}\n",
            i + 1,
            r.parameter.path,
            range,
            format::diff(m, r.at_low.mean_diff),
            format::diff(m, r.at_high.mean_diff),
            format::diff(m, r.swing()).trim_start_matches('+'),
        );
    }
    if t.rows.len() > shown {
        out += &format!("  ... {} more in sensitivity.csv\n", t.rows.len() - shown);
    }
    out += &format!(
        "\n{} parameters left out, with the reason, in sensitivity_excluded.csv\n",
        plan.excluded.len()
    );
    out
}

/// A parameter value in few characters.
fn short(x: f64) -> String {
    if x.abs() >= 1e5 {
        format::money(x)
    } else {
        let t = format!("{x:.4}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
