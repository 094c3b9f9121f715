//! `budgetsim run` with sweep axes: every point of the grid on the same seed, one
//! summary row set per point (sweep.csv, sweep_comparison.csv) and the sweep report.

use std::time::{Instant, SystemTime};

use super::AppError;
use super::folder::{self, Output};
use super::resources::{check_memory, thread_pool};
use super::terminal::{Results, Status, progress_bar};
use crate::analysis::{self, frames, tally};
use crate::cli::Common;
use crate::engine::{self, Flow};
use crate::export::format;
use crate::export::manifest::Phases;
use crate::export::tables::{Format, TableWriter};
use crate::metrics::Metric;
use crate::scenario::{self, Loaded};

/// Runs every point of a sweep with the same seed and writes `sweep.csv` (summary per
/// point) and `sweep_comparison.csv` (paired differences per point).
pub(super) fn run_sweep(
    args: &Common,
    loaded: &Loaded,
    started: SystemTime,
    clock: Instant,
    status: &Status,
) -> Result<(), AppError> {
    let points = scenario::sweep_points(loaded)?;
    for p in &points {
        check_memory(&p.scenario, p.scenario.simulation.portfolios, args)?;
    }
    let folder = Output::open(args, &loaded.slug())?;
    let pool = thread_pool(args)?;
    let analysis_error =
        |e: polars::prelude::PolarsError| AppError::Runtime(format!("analysis failed: {e}"));
    let bar = progress_bar(args, points.len() as u64, "sweep points");
    let (mut summaries, mut comparisons) = (Vec::new(), Vec::new());
    let mut lines = String::new();
    for p in &points {
        let s = &p.scenario;
        let analysis = pool.install(|| {
            let all = 0..s.simulation.portfolios;
            let outcomes = engine::Detail::Outcomes;
            tally::simulate(s, all, outcomes, &|_| {}, &mut |_, _| Flow::Continue).analysis(s)
        });
        let summary = frames::summary(&analysis).map_err(analysis_error)?;
        let comparison = frames::comparison(&analysis).map_err(analysis_error)?;
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
                    format::money(net.summary.mean),
                    format::money(net.summary.ci_low),
                    format::money(net.summary.ci_high)
                ));
            }
        }
        lines.push('\n');
        summaries.push(summary);
        comparisons.push(comparison);
        bar.inc(1);
    }
    bar.finish_and_clear();
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
        |n| format!("{n} portfolios each"),
    );
    let seed = fixed("simulation.seed", s.seed)
        .map_or_else(|| "seed as swept".into(), |n| format!("seed {n}"));
    out.print(&format!(
        "{}: sweep of {} points, {each}, {seed}\nnet_value mean [95% CI] per model\n{lines}",
        loaded.scenario.name,
        points.len(),
    ));
    let simulate_seconds = clock.elapsed().as_secs_f64();
    status.say(&format!("writing {}...", folder.dest().display()));
    let written = Instant::now();
    let mut sweep = analysis::sweep::stack(&points, &summaries).map_err(analysis_error)?;
    let mut sweep_comparison =
        analysis::sweep::stack(&points, &comparisons).map_err(analysis_error)?;
    // Every axis, from the file or --sweep, goes into the folder's scenario.toml, so
    // running that file again reproduces the whole sweep.
    let resolved = loaded.resolved_sweep_toml();
    let manifest = folder::manifest(
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
    folder.write(|staging| {
        Format::Csv.write(&mut sweep, &staging.path("sweep.csv"))?;
        Format::Csv.write(&mut sweep_comparison, &staging.path("sweep_comparison.csv"))?;
        std::fs::write(staging.path("scenario.toml"), &resolved)
    })?;
    let provenance = crate::report::Provenance::from_manifest(&manifest);
    folder.draw_report(&args.lang.list(), Some(provenance))?;
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, status)?;
    out.finish(&dest)
}
