//! `budgetsim run` with sweep axes: every point of the grid on the same seed, one
//! summary row set per point (sweep.csv, sweep_comparison.csv) and the sweep report.

use std::time::{Instant, SystemTime};

use super::AppError;
use super::folder::{self, Output};
use super::resources::{Count, check_memory, thread_pool};
use super::terminal::{Results, Status, progress_bar};
use crate::analysis::{self, Analysis, frames, tally};
use crate::cli::Common;
use crate::engine::{self, Flow};
use crate::export::manifest::{FolderKind, Manifest};
use crate::export::rows::RunRows;
use crate::export::tables::{Format, TableWriter};
use crate::metrics::Metric;
use crate::report::i18n::Lang;
use crate::report::style;
use crate::scenario::{self, Loaded, SweepPoint};

/// Runs every point of a sweep with the same seed and writes `sweep.csv` (summary per
/// point), `sweep_comparison.csv` (paired differences per point) and `sweep_choice.csv`
/// (each point's gap to the best point); with `shard`, runs
/// only its part of the (point, portfolio) grid into a shard folder.
pub(super) fn run_sweep(
    args: &Common,
    loaded: &Loaded,
    shard: Option<&str>,
    started: SystemTime,
    clock: Instant,
    status: &Status,
) -> Result<(), AppError> {
    let points = scenario::sweep_points(loaded)?;
    if let Some(spec) = shard {
        return sweep_shard(args, loaded, &points, spec, (started, clock), status);
    }
    for p in &points {
        check_memory(
            &p.scenario,
            p.scenario.simulation.portfolios,
            args,
            Count::Portfolios,
        )?;
    }
    let folder = Output::open(args, &loaded.slug())?;
    let pool = thread_pool(args)?;
    let bar = progress_bar(args, points.len() as u64, "sweep points");
    let mut analyses = Vec::with_capacity(points.len());
    let mut net = Vec::with_capacity(points.len());
    for p in &points {
        let s = &p.scenario;
        let (analysis, columns) = pool.install(|| {
            let all = 0..s.simulation.portfolios;
            let outcomes = engine::Detail::Outcomes;
            let t = tally::simulate(s, all, outcomes, &|_| {}, &mut |_, _| Flow::Continue);
            (t.analysis(s), net_columns(&t))
        });
        analyses.push(analysis);
        net.push(columns);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let resolved = loaded.resolved_sweep_toml();
    let mut manifest = folder::manifest_after_simulation(
        loaded,
        &resolved,
        pool.current_num_threads(),
        started,
        simulate_seconds,
    );
    manifest.kind = Some(FolderKind::Sweep);
    let results = Points {
        points: &points,
        analyses: &analyses,
        net: &net,
    };
    write_sweep(args, loaded, &results, folder, manifest, clock, status)
}

/// Each model's net value per portfolio (portfolio order): what a sweep keeps of a
/// point's tally to find, once every point has run, which point to choose.
pub(super) fn net_columns(t: &tally::Tally) -> Vec<Vec<f64>> {
    (0..t.models.len())
        .map(|m| t.column(m, Metric::NetValue).to_vec())
        .collect()
}

/// What a sweep's points gave, point by point.
pub(super) struct Points<'a> {
    /// The grid's points.
    pub points: &'a [SweepPoint],
    /// Each point's analysis.
    pub analyses: &'a [Analysis],
    /// Each point's net value per model and portfolio ([`net_columns`]).
    pub net: &'a [Vec<Vec<f64>>],
}

/// Portfolios of each point, and their sum: the (point, portfolio) grid a sweep's
/// shards split, point by point.
pub(super) fn grid(points: &[SweepPoint]) -> (Vec<u64>, u64) {
    let sizes: Vec<u64> = points
        .iter()
        .map(|p| p.scenario.simulation.portfolios)
        .collect();
    let total = sizes.iter().sum();
    (sizes, total)
}

/// The shard folder's file holding point `i`'s rows.
pub(super) fn point_rows(i: usize) -> String {
    format!("points/{i}/portfolios.parquet")
}

/// `run --sweep ... --shard K/N`: the K-th of N equal parts of the sweep's (point,
/// portfolio) grid, each point's part written as its rows (`points/I/portfolios.parquet`)
/// for `budgetsim merge`.
fn sweep_shard(
    args: &Common,
    loaded: &Loaded,
    points: &[SweepPoint],
    spec: &str,
    (started, clock): (SystemTime, Instant),
    status: &Status,
) -> Result<(), AppError> {
    let (k, n) = super::shard::parse(spec, &|v| std::env::var(v).ok())?;
    let (sizes, total) = grid(points);
    let part = super::shard::shard(k, n, total);
    let folder = Output::open(args, &format!("{}-shard-{k}-of-{n}", loaded.slug()))?;
    let pool = thread_pool(args)?;
    let bar = progress_bar(args, part.end - part.first, "portfolios");
    let fail = |e: std::io::Error| {
        AppError::Runtime(format!(
            "cannot write the shard folder `{}`: {e}",
            folder.dest().display()
        ))
    };
    let mut offset = 0;
    for (i, p) in points.iter().enumerate() {
        let (lo, hi) = (part.first.max(offset), part.end.min(offset + sizes[i]));
        offset += sizes[i];
        if lo >= hi {
            continue;
        }
        let s = &p.scenario;
        check_memory(s, hi - lo, args, Count::Shards)?;
        let file = folder.root().join(point_rows(i));
        let dir = file.parent().unwrap_or(folder.root());
        std::fs::create_dir_all(dir).map_err(fail)?;
        let mut rows = RunRows::create_shard(dir, s, false).map_err(fail)?;
        let range = (lo - (offset - sizes[i]))..(hi - (offset - sizes[i]));
        let progress = |k| bar.inc(k);
        pool.install(|| {
            tally::simulate(
                s,
                range,
                engine::Detail::Outcomes,
                &progress,
                &mut |_, b| {
                    rows.write(b);
                    Flow::Continue
                },
            )
        });
        rows.finish().map_err(fail)?;
    }
    bar.finish_and_clear();
    let written = Instant::now();
    let resolved = loaded.resolved_sweep_toml();
    let threads = pool.current_num_threads();
    let mut manifest = folder::shard_manifest(loaded, &resolved, threads, (started, clock), part);
    manifest.kind = Some(FolderKind::Sweep);
    folder.write(|staging| std::fs::write(staging.path("scenario.toml"), &resolved))?;
    manifest.reproduce = Some(folder.reproduce(Some((k, n))));
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, status)?;
    let mut out = Results::default();
    out.print(&format!(
        "shard {k}/{n} of a sweep of {} points ({total} portfolios in all) written to {}; when every shard is done, run: budgetsim merge SHARD_DIR... --out DIR\n",
        points.len(),
        dest.display()
    ));
    out.finish(&dest)
}

/// Prints a sweep's table and writes its folder from each point's analysis (a run's
/// own, or a merge's from shards: the same function, so the same bytes).
pub(super) fn write_sweep(
    args: &Common,
    loaded: &Loaded,
    results: &Points,
    folder: Output,
    manifest: Manifest,
    clock: Instant,
    status: &Status,
) -> Result<(), AppError> {
    let analysis_error =
        |e: polars::prelude::PolarsError| AppError::Runtime(format!("analysis failed: {e}"));
    let (mut summaries, mut comparisons) = (Vec::new(), Vec::new());
    let mut lines = String::new();
    let points = results.points;
    for (p, analysis) in points.iter().zip(results.analyses) {
        summaries.push(frames::summary(analysis).map_err(analysis_error)?);
        comparisons.push(frames::comparison(analysis).map_err(analysis_error)?);
        let settings: Vec<String> = p
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={}", scenario::value_text(v)))
            .collect();
        lines.push_str(&settings.join(" "));
        for m in &analysis.models {
            if let Some(net) = m
                .metrics
                .iter()
                .find(|x| x.metric == Metric::NetValue.name())
            {
                lines.push_str(&format!(
                    "  {}: {} [{}, {}]",
                    m.model,
                    style::money(Lang::En, net.summary.mean),
                    style::money(Lang::En, net.summary.ci_low),
                    style::money(Lang::En, net.summary.ci_high)
                ));
            }
        }
        lines.push('\n');
    }
    let mut out = Results::default();
    // Portfolios and seed may themselves be swept: then each point says its own.
    let fixed = |path: &str, value: u64| {
        if loaded.sweep.iter().any(|a| a.path == path) {
            None
        } else {
            Some(value)
        }
    };
    let s = &loaded.scenario.simulation;
    let each = fixed("simulation.portfolios", s.portfolios).map_or_else(
        || "portfolios as swept".into(),
        |n| format!("{} each", super::terminal::count(n, "portfolio")),
    );
    let seed = fixed("simulation.seed", s.seed)
        .map_or_else(|| "seed as swept".into(), |n| format!("seed {n}"));
    out.print(&format!(
        "{}: sweep of {} points, {each}, {seed}\nnet_value mean [95% CI] per model\n{lines}",
        loaded.scenario.name,
        points.len(),
    ));
    status.say(&format!("writing {}...", folder.dest().display()));
    let written = Instant::now();
    let mut sweep = analysis::sweep::stack(points, &summaries).map_err(analysis_error)?;
    let mut sweep_comparison =
        analysis::sweep::stack(points, &comparisons).map_err(analysis_error)?;
    let models: Vec<String> = loaded
        .scenario
        .models
        .iter()
        .map(|m| m.name.clone())
        .collect();
    let mut sweep_choice =
        analysis::sweep::choice(points, &models, results.net).map_err(analysis_error)?;
    // Every axis, from the file or --sweep, goes into the folder's scenario.toml, so
    // running that file again reproduces the whole sweep.
    let resolved = loaded.resolved_sweep_toml();
    folder.write(|staging| {
        Format::Csv.write(&mut sweep, &staging.path("sweep.csv"))?;
        Format::Csv.write(&mut sweep_comparison, &staging.path("sweep_comparison.csv"))?;
        Format::Csv.write(&mut sweep_choice, &staging.path("sweep_choice.csv"))?;
        std::fs::write(staging.path("scenario.toml"), &resolved)
    })?;
    let mut manifest = manifest;
    manifest.reproduce = Some(folder.reproduce(None));
    let provenance = crate::report::Provenance::from_manifest(&manifest);
    folder.draw_report(&args.lang.list(), Some(provenance))?;
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, status)?;
    out.finish(&dest)
}
