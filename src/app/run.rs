//! `budgetsim run` (and no command): simulate one scenario, print the comparison, write
//! the run folder; with `--explain`, attribute the headline difference too.

use std::time::Instant;

use super::explain::{explain_portfolios, render_explain, run_explain};
use super::folder::{self, Output};
use super::resources::{Count, check_memory, thread_pool};
use super::terminal::{Results, begin, progress_bar};
use super::{AppError, load};
use crate::analysis::tally;
use crate::cli::RunArgs;
use crate::engine::{self, Flow};
use crate::export::manifest::{Phases, UntilCi};
use crate::export::rows::RunRows;
use crate::export::{json, run_folder};
use crate::metrics::Metric;
use crate::scenario;

pub(super) fn run_scenario(args: &RunArgs) -> Result<(), AppError> {
    let begun = begin(&args.common);
    let loaded = load(&args.common)?;
    run_loaded(args, loaded, begun)
}

/// [`run_scenario`] on a scenario already loaded (by `run`, or built by `compare`),
/// with the clocks and status line started when the command began.
pub(super) fn run_loaded(
    args: &RunArgs,
    mut loaded: scenario::Loaded,
    (started, clock, status): (std::time::SystemTime, Instant, super::terminal::Status),
) -> Result<(), AppError> {
    let common = &args.common;
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
        if args.sensitivity {
            return Err(AppError::Usage(
                "--sensitivity is not available for sweeps; run `budgetsim sensitivity --set PATH=VALUE` at a point".into(),
            ));
        }
        if args.until_ci.is_some() {
            return Err(AppError::Usage(
                "--until-ci is not available for sweeps: each point would stop at its own count; run --until-ci at the point that matters, then sweep with that count".into(),
            ));
        }
        let shard = args.shard.as_deref();
        return super::sweep::run_sweep(common, &loaded, shard, started, clock, &status);
    }
    if args.shard.is_some() && args.until_ci.is_some() {
        return Err(AppError::Usage(
            "--shard and --until-ci cannot be combined: shards split a fixed portfolio count; run --until-ci once, then shard that count".into(),
        ));
    }
    if let Some(spec) = &args.shard {
        if args.json || args.explain || args.sensitivity {
            return Err(AppError::Usage(
                "--json, --explain and --sensitivity are not available for a shard; merge the shards with `budgetsim merge`, then read the merged folder".into(),
            ));
        }
        return run_shard(args, &loaded, spec, (started, clock), &status);
    }
    let precision = Precision::from_args(args, &loaded)?;
    let s = &loaded.scenario;
    if (args.explain || args.sensitivity) && s.models.len() < 2 {
        return Err(AppError::Usage(
            "--explain and --sensitivity compare two funding models; this scenario has one".into(),
        ));
    }
    let n = precision
        .as_ref()
        .map_or(s.simulation.portfolios, |p| p.max);
    let count = match precision {
        Some(_) => Count::MaxPortfolios,
        None => Count::Portfolios,
    };
    check_memory(s, n, common, count)?;
    let folder = Output::open(common, &loaded.slug())?;
    let pool = thread_pool(common)?;
    let bar = progress_bar(common, n, "portfolios");
    let detail = detail(args);
    // Rows stream into the staging folder as batches finish; a write failure is kept
    // until the numbers are printed.
    let mut rows = RunRows::create(folder.root(), s, args.projects).map_err(|e| {
        AppError::Runtime(format!(
            "cannot write the run folder `{}`: {e}",
            folder.dest().display()
        ))
    })?;
    let progress = |k| bar.inc(k);
    let tally = pool.install(|| {
        tally::simulate(s, 0..n, detail, &progress, &mut |t, batch| {
            rows.write(batch);
            match &precision {
                Some(p) if p.reached(s, t) => Flow::Stop,
                _ => Flow::Continue,
            }
        })
    });
    bar.finish_and_clear();
    let mut simulate_seconds = clock.elapsed().as_secs_f64();
    // With --until-ci the count used becomes the scenario's, so the folder's
    // scenario.toml reproduces the run.
    let n = tally.count;
    let mut loaded = loaded;
    let until_ci = precision.as_ref().map(|p| {
        set_portfolios(&mut loaded, n);
        p.record(&loaded.scenario, &tally)
    });
    let s = &loaded.scenario;

    status.say(&format!(
        "analysing {} x {}...",
        super::terminal::count(n, "portfolio"),
        super::terminal::count(s.models.len() as u64, "model")
    ));
    let analysed = Instant::now();
    let analysis = pool.install(|| tally.analysis(s));
    let analyse_seconds = analysed.elapsed().as_secs_f64();
    // Print before writing: if the disk fails, the numbers are not lost.
    let mut out = Results::default();
    if args.json {
        let text = json::to_string(&analysis).map_err(|e| AppError::Runtime(e.to_string()))?;
        out.print(&(text + "\n"));
    } else {
        out.print(&super::table::render(
            &analysis,
            analysis.pair(&loaded.scenario),
        ));
        if let Some(u) = &until_ci {
            out.print(&until_ci_line(u, n));
        }
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

    // What would change the answer: each input moved low and high for the same pair.
    let sensitivity = if args.sensitivity {
        let clock = Instant::now();
        let (b, c) = analysis.pair(s);
        // Net value, whatever [sensitivity] measures: the bottom line is about it.
        let opts = crate::sensitivity::Options {
            metric: Some(Metric::NetValue.name().into()),
            models: Some((s.models[b].name.clone(), s.models[c].name.clone())),
            portfolios: Some(
                loaded
                    .sensitivity
                    .as_ref()
                    .and_then(|x| x.portfolios)
                    .unwrap_or(n.min(500)),
            ),
            ..Default::default()
        };
        let plan = crate::sensitivity::plan(&loaded, &opts)?;
        status.say(&format!(
            "what would change the answer: {} inputs moved one at a time, {} runs of {} portfolios",
            plan.moves.len(),
            plan.runs(),
            plan.portfolios
        ));
        let table = pool.install(|| crate::sensitivity::run(&plan, &|_| {}));
        if !args.json {
            out.print(&format!(
                "\n{}",
                super::sensitivity::render_sensitivity(&plan, &table)
            ));
        }
        simulate_seconds += clock.elapsed().as_secs_f64();
        Some((plan, table))
    } else {
        None
    };

    status.say(&format!("writing {}...", folder.dest().display()));
    let written = Instant::now();
    let resolved = loaded.resolved_toml();
    let manifest = folder::manifest(
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
    folder.write(|staging| {
        rows.finish()?;
        if let Some(t) = &explained {
            crate::explain::write_csv(t, &staging.path("explain.csv"))?;
        }
        if let Some((plan, table)) = &sensitivity {
            crate::sensitivity::write_csv(plan, table, &staging.path("sensitivity.csv"))?;
            crate::sensitivity::write_excluded(plan, &staging.path("sensitivity_excluded.csv"))?;
        }
        run_folder::write_tables(staging, &analysis, &tally, &resolved)
    })?;
    let mut manifest = manifest;
    manifest.until_ci = until_ci;
    manifest.reproduce = Some(folder.reproduce(None));
    let provenance = crate::report::Provenance::from_manifest(&manifest);
    folder.draw_report(&common.lang.list(), Some(provenance))?;
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, &status)?;
    out.finish(&dest)
}

/// What the engine keeps per portfolio: per-idea records only with `--projects`.
fn detail(args: &RunArgs) -> engine::Detail {
    if args.projects {
        engine::Detail::Projects
    } else {
        engine::Detail::Outcomes
    }
}

/// What `--until-ci` reached, for the terminal.
fn until_ci_line(u: &UntilCi, n: u64) -> String {
    let m = Metric::from_name(&u.metric).unwrap_or(Metric::NetValue);
    let v = |x: f64| crate::report::style::value(crate::report::i18n::Lang::En, m, x);
    let what = format!("{} difference {} - {}", u.metric, u.models[0], u.models[1]);
    if u.half_width.is_nan() {
        format!(
            "\n--until-ci: {what} cannot be estimated: the metric is undefined in nearly every one of the {n} portfolios; choose another --metric\n"
        )
    } else if u.reached {
        format!(
            "\n--until-ci: {what} known to +-{} (target +-{}) after {n} portfolios\n",
            v(u.half_width),
            v(u.target_half_width)
        )
    } else {
        format!(
            "\n--until-ci: target +-{} not reached: {what} known to +-{} after the maximum of {n} portfolios; raise --max-portfolios\n",
            v(u.target_half_width),
            v(u.half_width)
        )
    }
}

/// Sets the portfolio count of `loaded`, in the scenario and in its resolved text.
fn set_portfolios(loaded: &mut scenario::Loaded, n: u64) {
    loaded.scenario.simulation.portfolios = n;
    let sim = loaded
        .resolved
        .entry("simulation")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(t) = sim.as_table_mut() {
        t.insert("portfolios".into(), toml::Value::Integer(n as i64));
    }
}

/// `--until-ci`: the metric whose paired difference is watched, the 95% CI half-width
/// wanted, and the most portfolios allowed.
struct Precision {
    metric: Metric,
    target: f64,
    max: u64,
}

/// Most portfolios `--until-ci` simulates unless `--max-portfolios` says otherwise.
const UNTIL_CI_MAX: u64 = 1_000_000;

impl Precision {
    fn from_args(args: &RunArgs, loaded: &scenario::Loaded) -> Result<Option<Precision>, AppError> {
        let Some(target) = args.until_ci else {
            return Ok(None);
        };
        if !(target.is_finite() && target > 0.0) {
            return Err(AppError::Usage(format!(
                "--until-ci {target}: give a positive half-width in the metric's unit (e.g. --until-ci 250000 for net value within +-$250k)"
            )));
        }
        let set_count = args
            .common
            .set
            .iter()
            .any(|o| o.split('=').next().map(str::trim) == Some("simulation.portfolios"));
        if args.common.portfolios.is_some() || set_count {
            let flag = if set_count {
                "--set simulation.portfolios"
            } else {
                "--portfolios"
            };
            return Err(AppError::Usage(format!(
                "--until-ci chooses the portfolio count; drop {flag} (set the ceiling with --max-portfolios)"
            )));
        }
        if loaded.scenario.models.len() < 2 {
            return Err(AppError::Usage(
                "--until-ci watches the difference between two funding models; this scenario has one".into(),
            ));
        }
        let name = args.metric.as_deref().unwrap_or(Metric::NetValue.name());
        let metric = Metric::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            AppError::Usage(format!(
                "--metric {name:?} is not a metric; use one of {}",
                names.join(", ")
            ))
        })?;
        let max = args.max_portfolios.unwrap_or(UNTIL_CI_MAX);
        let limit = crate::scenario::raw::MAX_PORTFOLIOS as u64;
        if !(2..=limit).contains(&max) {
            return Err(AppError::Usage(format!(
                "--max-portfolios {max}: give 2 to {limit} (a confidence interval needs at least two portfolios)"
            )));
        }
        Ok(Some(Precision {
            metric,
            target,
            max,
        }))
    }

    /// (challenger, baseline) and the 95% CI half-width of their paired difference.
    fn half_width(&self, s: &crate::model::Scenario, t: &tally::Tally) -> ((usize, usize), f64) {
        let (b, c) = crate::model::headline_pair(&s.models, |i| t.mean(i, Metric::NetValue));
        // Checked after every batch: the moments only (no copy of the differences).
        let p = crate::analysis::stats::paired_moments(
            t.column(c, self.metric),
            t.column(b, self.metric),
            self.metric.better(),
        );
        ((c, b), p.ci_high - p.mean_diff)
    }

    /// Whether to stop: the portfolios so far are enough, or the metric's difference is
    /// undefined in nearly every portfolio (more would not help). Checked only at batch
    /// ends, so the count used depends on the seed alone.
    fn reached(&self, s: &crate::model::Scenario, t: &tally::Tally) -> bool {
        let hw = self.half_width(s, t).1;
        (t.count >= 2 && hw <= self.target) || (t.count >= engine::BATCH && hw.is_nan())
    }

    fn record(&self, s: &crate::model::Scenario, t: &tally::Tally) -> UntilCi {
        let ((c, b), hw) = self.half_width(s, t);
        UntilCi {
            metric: self.metric.name().into(),
            models: [s.models[c].name.clone(), s.models[b].name.clone()],
            target_half_width: self.target,
            half_width: hw,
            max_portfolios: self.max,
            // One portfolio has no spread to measure: never "reached" on it.
            reached: t.count >= 2 && hw <= self.target,
        }
    }
}

/// `run --shard K/N`: simulates one contiguous range of portfolios and writes a shard
/// folder (rows as Parquet, the order-free totals, the resolved scenario, a manifest
/// naming the range) for `budgetsim merge`.
fn run_shard(
    args: &RunArgs,
    loaded: &scenario::Loaded,
    spec: &str,
    (started, clock): (std::time::SystemTime, Instant),
    status: &super::terminal::Status,
) -> Result<(), AppError> {
    let common = &args.common;
    let s = &loaded.scenario;
    let (k, n) = super::shard::parse(spec, &|v| std::env::var(v).ok())?;
    let part = super::shard::shard(k, n, s.simulation.portfolios);
    check_memory(s, part.end - part.first, common, Count::Shards)?;
    let folder = Output::open(common, &format!("{}-shard-{k}-of-{n}", loaded.slug()))?;
    let pool = thread_pool(common)?;
    let bar = progress_bar(common, part.end - part.first, "portfolios");
    let detail = detail(args);
    let mut rows = RunRows::create_shard(folder.root(), s, args.projects).map_err(|e| {
        AppError::Runtime(format!(
            "cannot write the shard folder `{}`: {e}",
            folder.dest().display()
        ))
    })?;
    let progress = |k| bar.inc(k);
    let tally = pool.install(|| {
        tally::simulate(
            s,
            part.first..part.end,
            detail,
            &progress,
            &mut |_, batch| {
                rows.write(batch);
                Flow::Continue
            },
        )
    });
    bar.finish_and_clear();
    let written = Instant::now();
    let resolved = loaded.resolved_toml();
    let threads = pool.current_num_threads();
    let mut manifest =
        folder::shard_manifest(loaded, &resolved, threads, (started, clock), part.clone());
    let totals =
        serde_json::to_string(&tally.totals).map_err(|e| AppError::Runtime(e.to_string()))?;
    folder.write(|staging| {
        rows.finish()?;
        std::fs::write(staging.path(crate::export::rows::TOTALS), totals + "\n")?;
        std::fs::write(staging.path("scenario.toml"), &resolved)
    })?;
    manifest.reproduce = Some(folder.reproduce(Some((part.index, part.count))));
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, status)?;
    let mut out = Results::default();
    let held = if part.first == part.end {
        "no portfolios (more shards than portfolios)".to_string()
    } else {
        format!("portfolios {} to {}", part.first, part.end - 1)
    };
    out.print(&format!(
        "shard {k}/{n}: {held} of {} written to {}; when every shard is done, run: budgetsim merge SHARD_DIR... --out DIR\n",
        s.simulation.portfolios,
        dest.display()
    ));
    out.finish(&dest)
}
