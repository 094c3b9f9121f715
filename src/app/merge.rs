//! `budgetsim merge SHARD_DIR... --out DIR`: checks that the shards belong to one study
//! and cover every portfolio once, then writes the run folder one process would have
//! written. Rows are read back batch by batch at the same batch boundaries as a run,
//! the metric columns refilled in portfolio order, and the order-free totals added, so
//! every data file, chart and report is byte-identical to a single run's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::DataFrame;

use super::AppError;
use super::folder::Output;
use super::resources::thread_pool;
use super::terminal::{Results, begin, progress_bar};
use crate::analysis::tally::{Tally, Totals};
use crate::cli::{Common, MergeArgs};
use crate::engine;
use crate::export::manifest::{Manifest, Shard, rfc3339};
use crate::export::rows::{RunRows, TOTALS, read_parquet};
use crate::export::run_folder;

/// One shard folder, checked.
struct Part {
    dir: PathBuf,
    manifest: Manifest,
    shard: Shard,
    projects: bool,
}

fn refuse(dir: &Path, why: impl std::fmt::Display) -> AppError {
    AppError::Usage(format!("{}: {why}", dir.display()))
}

fn read_part(dir: &Path) -> Result<Part, AppError> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).map_err(|e| {
        refuse(dir, format!("not a shard folder (manifest.json: {e}); give folders written by `budgetsim run --shard K/N`"))
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        refuse(
            dir,
            format!("manifest.json was not written by budgetsim ({e})"),
        )
    })?;
    let shard = manifest.shard.clone().ok_or_else(|| {
        refuse(dir, "a whole run folder, not a shard; merge only folders written by `budgetsim run --shard K/N`")
    })?;
    if shard.count == 0
        || shard.count > super::shard::MAX_SHARDS
        || shard.index == 0
        || shard.index > shard.count
        || shard.first > shard.end
    {
        return Err(refuse(
            dir,
            format!(
                "its manifest names shard {}/{} of portfolios {}..{}, which `run --shard` never writes; run that shard again",
                shard.index, shard.count, shard.first, shard.end
            ),
        ));
    }
    // Every file must be listed with its hash, and nothing else may be there: an
    // emptied file list must not switch the check off.
    let mut problems = run_folder::verify(dir).map_err(|e| refuse(dir, e))?;
    problems.extend(run_folder::check_data(dir, &|_| false).map_err(|e| refuse(dir, e))?);
    problems.sort();
    problems.dedup();
    if !manifest.files.iter().any(|f| f.name == "scenario.toml") {
        problems.push("scenario.toml: not in the manifest".into());
    }
    if !problems.is_empty() {
        return Err(refuse(
            dir,
            format!(
                "its files differ from its manifest ({}); run that shard again",
                problems.join("; ")
            ),
        ));
    }
    let projects = manifest.files.iter().any(|f| f.name == "projects.parquet");
    Ok(Part {
        dir: dir.to_path_buf(),
        manifest,
        shard,
        projects,
    })
}

/// The shards in order, after checking they are one study's and cover its `total`
/// portfolios (a sweep's: every point's, one point after the other) exactly.
fn check(mut parts: Vec<Part>, total: u64) -> Result<Vec<Part>, AppError> {
    let first = &parts[0];
    let same = |p: &Part| -> Result<(), AppError> {
        let (a, b) = (&first.manifest, &p.manifest);
        let differs = |what: &str, x: &dyn std::fmt::Display, y: &dyn std::fmt::Display| {
            Err(refuse(
                &p.dir,
                format!(
                    "{what} is {y}, but {} has {x}: shards of one study share the resolved scenario, seed, version and shard count",
                    first.dir.display()
                ),
            ))
        };
        if a.budgetsim_version != b.budgetsim_version {
            return differs(
                "the budgetsim version",
                &a.budgetsim_version,
                &b.budgetsim_version,
            );
        }
        if a.seed != b.seed {
            return differs("the seed", &a.seed, &b.seed);
        }
        if a.portfolios != b.portfolios {
            return differs("the study's portfolio count", &a.portfolios, &b.portfolios);
        }
        if first.shard.count != p.shard.count {
            return differs("the shard count", &first.shard.count, &p.shard.count);
        }
        // Seed and count are part of the resolved scenario too; they are named first
        // because they are what usually differs.
        if a.scenario.resolved_sha256 != b.scenario.resolved_sha256 {
            return differs(
                "the resolved scenario (SHA-256)",
                &a.scenario.resolved_sha256,
                &b.scenario.resolved_sha256,
            );
        }
        if first.projects != p.projects {
            return Err(refuse(
                &p.dir,
                "shards differ in --projects; run every shard with it or none",
            ));
        }
        Ok(())
    };
    for p in &parts[1..] {
        same(p)?;
    }
    parts.sort_by_key(|p| p.shard.index);
    for w in parts.windows(2) {
        if w[0].shard.index == w[1].shard.index {
            return Err(refuse(
                &w[1].dir,
                format!(
                    "shard {}/{} is given twice (also {}); give each shard once",
                    w[1].shard.index,
                    w[1].shard.count,
                    w[0].dir.display()
                ),
            ));
        }
    }
    let n = parts[0].shard.count;
    // Indexes are sorted and distinct, so the missing ones are the gaps; name the first
    // few only (a study may have many shards).
    let mut missing = Vec::new();
    let mut count = 0u64;
    let mut expect = 1;
    for k in parts.iter().map(|p| p.shard.index).chain([n + 1]) {
        if k > expect {
            count += k - expect;
            for m in (expect..k).take(10usize.saturating_sub(missing.len())) {
                missing.push(format!("{m}/{n}"));
            }
        }
        expect = k + 1;
    }
    if count > 0 {
        let more = count - missing.len() as u64;
        let list = if more > 0 {
            format!("{} and {more} more", missing.join(", "))
        } else {
            missing.join(", ")
        };
        return Err(AppError::Usage(format!(
            "shard {list} missing: the merge needs every shard of the study (run `budgetsim run --shard K/{n}` for each, or find the failed task)"
        )));
    }
    // Ranges must tile 0..total exactly, as `run --shard` cuts them.
    let mut next = 0;
    for p in &parts {
        let want = super::shard::shard(p.shard.index, n, total);
        if p.shard != want || p.shard.first != next {
            return Err(refuse(
                &p.dir,
                format!(
                    "holds portfolios {}..{}, but shard {}/{n} of {total} is {}..{}",
                    p.shard.first, p.shard.end, p.shard.index, want.first, want.end
                ),
            ));
        }
        next = p.shard.end;
    }
    Ok(parts)
}

/// The folder name of the first shard without its `-shard-K-of-N` ending.
fn default_out(parts: &[Part]) -> Option<PathBuf> {
    let dir = &parts[0].dir;
    let name = dir.file_name()?.to_str()?;
    let suffix = format!(
        "-shard-{}-of-{}",
        parts[0].shard.index, parts[0].shard.count
    );
    let stem = name.strip_suffix(&suffix)?;
    Some(dir.with_file_name(stem))
}

/// Rows `rows` (offset, count) of `part`'s Parquet `file`.
fn rows_of(part: &Part, file: &str, rows: (usize, usize)) -> Result<DataFrame, AppError> {
    read_parquet(&part.dir.join(file), None, Some(rows))
        .map_err(|e| refuse(&part.dir, format!("{file}: {e}")))
}

/// Checks that `df` (rows of `file` in `part`) holds portfolios `first..end`, each once
/// per model in order: a shard whose rows are not the portfolios its manifest names (a
/// file copied from another shard, a manifest edited) is refused, not merged.
fn check_rows(
    part: &Part,
    file: &str,
    df: &DataFrame,
    (first, end): (u64, u64),
    models: usize,
) -> Result<(), AppError> {
    let portfolio = crate::analysis::frames::f64s(df, "portfolio")
        .map_err(|e| refuse(&part.dir, format!("{file}: {e}")))?;
    let want = (end - first) as usize * models;
    let ok = portfolio.len() == want
        && portfolio
            .iter()
            .enumerate()
            .all(|(i, p)| *p == (first + (i / models.max(1)) as u64) as f64);
    if ok {
        Ok(())
    } else {
        Err(refuse(
            &part.dir,
            format!(
                "{file} does not hold portfolios {first}..{end} as its manifest says ({} rows, {want} expected); run that shard again",
                portfolio.len()
            ),
        ))
    }
}

/// Checks the row count of `part`'s Parquet `file` against its range.
fn check_row_count(part: &Part, file: &str, want: u64) -> Result<(), AppError> {
    let rows = crate::export::rows::parquet_rows(&part.dir.join(file))
        .map_err(|e| refuse(&part.dir, format!("{file}: {e}")))?;
    if rows as u64 == want {
        Ok(())
    } else {
        Err(refuse(
            &part.dir,
            format!("{file} has {rows} rows, but its range needs {want}; run that shard again"),
        ))
    }
}

/// For each portfolio of the shard, the first row of projects.parquet at or after it
/// (one more entry at the end: the row count).
fn project_offsets(part: &Part) -> Result<Vec<usize>, AppError> {
    let df = read_parquet(
        &part.dir.join("projects.parquet"),
        Some(&["portfolio"]),
        None,
    )
    .map_err(|e| refuse(&part.dir, format!("projects.parquet: {e}")))?;
    let portfolio = crate::analysis::frames::f64s(&df, "portfolio")
        .map_err(|e| refuse(&part.dir, format!("projects.parquet: {e}")))?;
    Ok((part.shard.first..=part.shard.end)
        .map(|p| portfolio.partition_point(|x| *x < p as f64))
        .collect())
}

fn stack(frames: Vec<DataFrame>) -> Result<DataFrame, AppError> {
    let mut it = frames.into_iter();
    let mut out = it.next().unwrap_or_default();
    for df in it {
        out.vstack_mut(&df)
            .map_err(|e| AppError::Usage(format!("merging rows: {e}")))?;
    }
    out.rechunk_mut();
    Ok(out)
}

pub(super) fn merge(args: &MergeArgs) -> Result<(), AppError> {
    let common = Common {
        out: args.out.clone(),
        threads: args.threads,
        quiet: args.quiet,
        lang: args.lang,
        ..Common::default()
    };
    let (started, clock, status) = begin(&common);
    let parts = args
        .shards
        .iter()
        .map(|d| read_part(d))
        .collect::<Result<Vec<_>, _>>()?;
    let resolved_path = parts[0].dir.join("scenario.toml");
    let resolved = std::fs::read_to_string(&resolved_path)
        .map_err(|e| refuse(&parts[0].dir, format!("scenario.toml: {e}")))?;
    let loaded =
        crate::scenario::load_text(&resolved_path.display().to_string(), &resolved, None, &[])
            .map_err(AppError::Input)?;
    // The manifest must describe the scenario beside it (a manifest is not hashed).
    let m = &parts[0].manifest;
    let s0 = &loaded.scenario.simulation;
    if crate::export::manifest::sha256_hex(resolved.as_bytes()) != m.scenario.resolved_sha256
        || s0.seed != m.seed
        || (loaded.sweep.is_empty() && s0.portfolios != m.portfolios)
    {
        return Err(refuse(
            &parts[0].dir,
            "its manifest does not describe its scenario.toml (hash, seed or portfolio count differ); run that shard again",
        ));
    }
    let points = if loaded.sweep.is_empty() {
        None
    } else {
        Some(crate::scenario::sweep_points(&loaded)?)
    };
    let total = match &points {
        Some(p) => super::sweep::grid(p).1,
        None => s0.portfolios,
    };
    let parts = check(parts, total)?;
    let dest = match &args.out {
        Some(d) => d.clone(),
        None => default_out(&parts)
            .ok_or_else(|| AppError::Usage("give the merged folder with --out DIR".into()))?,
    };
    // Never replace a shard: not one of the inputs (the study could not be merged
    // again), nor another study's.
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    let dest_is_shard =
        crate::export::folder::budgetsim_manifest(&dest).is_some_and(|m| m.get("shard").is_some());
    if dest_is_shard || parts.iter().any(|p| same(&p.dir, &dest)) {
        return Err(AppError::Usage(format!(
            "--out {}: a shard folder; the merge never replaces a shard, so choose another folder",
            dest.display()
        )));
    }
    let folder = Output::at(dest)?;
    let pool = thread_pool(&common)?;
    if let Some(points) = points {
        return merge_sweep(
            &common,
            &loaded,
            &points,
            &parts,
            folder,
            &pool,
            (started, clock),
            &status,
        );
    }
    let s = loaded.scenario;
    let models = s.models.len();
    let projects = parts[0].projects;

    let mut tally = Tally::new(&s, 0);
    tally.reserve(total.min(1 << 22) as usize);
    for p in &parts {
        let want = (p.shard.end - p.shard.first) * models as u64;
        check_row_count(p, "portfolios.parquet", want)?;
        let text = std::fs::read_to_string(p.dir.join(TOTALS))
            .map_err(|e| refuse(&p.dir, format!("{TOTALS}: {e}")))?;
        let totals: Totals =
            serde_json::from_str(&text).map_err(|e| refuse(&p.dir, format!("{TOTALS}: {e}")))?;
        totals
            .check(&s)
            .and_then(|()| tally.totals.try_merge(&totals))
            .map_err(|e| refuse(&p.dir, format!("{TOTALS}: {e}; run that shard again")))?;
    }
    let offsets = if projects {
        parts
            .iter()
            .map(project_offsets)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    let mut rows = RunRows::create(folder.root(), &s, projects).map_err(|e| {
        AppError::Runtime(format!("cannot write `{}`: {e}", folder.dest().display()))
    })?;
    let bar = progress_bar(&common, total, "portfolios");
    for batch in engine::batches(0..total) {
        let (mut pieces, mut project_pieces) = (Vec::new(), Vec::new());
        for (i, p) in parts.iter().enumerate() {
            let (lo, hi) = (batch.start.max(p.shard.first), batch.end.min(p.shard.end));
            if lo >= hi {
                continue;
            }
            let (a, b) = ((lo - p.shard.first) as usize, (hi - p.shard.first) as usize);
            let piece = rows_of(p, "portfolios.parquet", (a * models, (b - a) * models))?;
            check_rows(p, "portfolios.parquet", &piece, (lo, hi), models)?;
            pieces.push(piece);
            if projects {
                let (ra, rb) = (offsets[i][a], offsets[i][b]);
                project_pieces.push(rows_of(p, "projects.parquet", (ra, rb - ra))?);
            }
        }
        let df = stack(pieces)?;
        tally
            .absorb_rows(&df)
            .map_err(|e| AppError::Runtime(format!("merging rows: {e}")))?;
        let project_df = if projects {
            Some(stack(project_pieces)?)
        } else {
            None
        };
        rows.write_frames(&df, project_df.as_ref()).map_err(|e| {
            AppError::Runtime(format!("cannot write `{}`: {e}", folder.dest().display()))
        })?;
        bar.inc(batch.end - batch.start);
    }
    bar.finish_and_clear();
    if tally.count != total {
        return Err(AppError::Runtime(format!(
            "the shards hold {} portfolios, not {total}",
            tally.count
        )));
    }
    let simulate_seconds = parts
        .iter()
        .map(|p| p.manifest.phases.simulate_seconds)
        .sum::<f64>();
    let analysed = Instant::now();
    let analysis = pool.install(|| tally.analysis(&s));
    let analyse_seconds = analysed.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&super::table::render(&analysis, analysis.pair(&s)));
    let written = Instant::now();
    folder.write(|staging| {
        rows.finish()?;
        run_folder::write_tables(staging, &analysis, &tally, &resolved)
    })?;
    let mut manifest = merged_manifest(
        &parts,
        pool.current_num_threads(),
        started,
        simulate_seconds,
        analyse_seconds,
    );
    manifest.reproduce = Some(folder.reproduce(None));
    let provenance = crate::report::Provenance::from_manifest(&manifest);
    folder.draw_report(&common.lang.list(), Some(provenance))?;
    let dest = folder.dest().to_path_buf();
    folder.seal(manifest, clock, written, &status)?;
    out.finish(&dest)
}

/// The shards' manifest, less the shard, with this process's own facts.
fn merged_manifest(
    parts: &[Part],
    threads: usize,
    started: std::time::SystemTime,
    simulate_seconds: f64,
    analyse_seconds: f64,
) -> Manifest {
    let mut manifest = parts[0].manifest.clone();
    manifest.shard = None;
    manifest.threads = threads;
    manifest.command_line = std::env::args().collect();
    manifest.started = rfc3339(started);
    manifest.phases.simulate_seconds = simulate_seconds;
    manifest.phases.analyse_seconds = analyse_seconds;
    manifest.phases.write_seconds = 0.0;
    manifest
}

/// Merges a sweep's shards: each point's columns refilled from the parts that hold
/// it, in portfolio order, then the sweep folder written as a single run writes it.
#[allow(clippy::too_many_arguments)]
fn merge_sweep(
    common: &Common,
    loaded: &crate::scenario::Loaded,
    points: &[crate::scenario::SweepPoint],
    parts: &[Part],
    folder: Output,
    pool: &rayon::ThreadPool,
    (started, clock): (std::time::SystemTime, Instant),
    status: &super::terminal::Status,
) -> Result<(), AppError> {
    let (sizes, _) = super::sweep::grid(points);
    let mut analyses = Vec::with_capacity(points.len());
    let mut net = Vec::with_capacity(points.len());
    let mut offset = 0;
    let analysed = Instant::now();
    for (i, p) in points.iter().enumerate() {
        let s = &p.scenario;
        let mut tally = Tally::new(s, 0);
        for part in parts {
            let (lo, hi) = (
                part.shard.first.max(offset),
                part.shard.end.min(offset + sizes[i]),
            );
            if lo >= hi {
                continue;
            }
            let file = super::sweep::point_rows(i);
            let df = read_parquet(&part.dir.join(&file), None, None)
                .map_err(|e| refuse(&part.dir, format!("{file}: {e}")))?;
            check_rows(part, &file, &df, (lo - offset, hi - offset), s.models.len())?;
            tally
                .absorb_rows(&df)
                .map_err(|e| refuse(&part.dir, format!("{file}: {e}")))?;
        }
        if tally.count != sizes[i] {
            return Err(AppError::Runtime(format!(
                "the shards hold {} portfolios of sweep point {i}, not {}",
                tally.count, sizes[i]
            )));
        }
        offset += sizes[i];
        analyses.push(pool.install(|| tally.analysis(s)));
        net.push(super::sweep::net_columns(&tally));
    }
    let simulate_seconds = parts
        .iter()
        .map(|p| p.manifest.phases.simulate_seconds)
        .sum();
    let manifest = merged_manifest(
        parts,
        pool.current_num_threads(),
        started,
        simulate_seconds,
        analysed.elapsed().as_secs_f64(),
    );
    let results = super::sweep::Points {
        points,
        analyses: &analyses,
        net: &net,
    };
    super::sweep::write_sweep(common, loaded, &results, folder, manifest, clock, status)
}
