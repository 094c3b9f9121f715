//! `budgetsim run` (and no command): simulate one scenario, print the comparison, write
//! the run folder; with `--explain`, attribute the headline difference too.

use std::time::Instant;

use super::explain::{explain_portfolios, render_explain, run_explain};
use super::folder::{self, Output};
use super::resources::{check_memory, thread_pool};
use super::terminal::{Results, begin, progress_bar};
use super::{AppError, load};
use crate::analysis::{self, frames};
use crate::cli::RunArgs;
use crate::engine;
use crate::export::manifest::Phases;
use crate::export::{json, run_folder, table};
use crate::scenario;

pub(super) fn run_scenario(args: &RunArgs) -> Result<(), AppError> {
    let common = &args.common;
    let (started, clock, status) = begin(common);
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
        return super::sweep::run_sweep(common, &loaded, started, clock, &status);
    }
    let s = &loaded.scenario;
    if args.explain && s.models.len() < 2 {
        return Err(AppError::Usage(
            "--explain compares two funding models; this scenario has one".into(),
        ));
    }
    check_memory(s, s.simulation.portfolios, common)?;
    let folder = Output::open(common, &loaded.slug())?;
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
        if let Some(t) = &explained {
            crate::explain::write_csv(t, &staging.path("explain.csv"))?;
        }
        run_folder::write_tables(staging, &mut tables, &resolved)
    })?;
    let provenance = crate::report::Provenance::from_manifest(&manifest);
    folder.draw_report(&common.lang.list(), Some(provenance))?;
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, &status)?;
    out.finish(&dest)
}
