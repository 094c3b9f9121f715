//! `budgetsim compare A.toml B.toml ...`: the funding models of several scenario files on
//! one world, run together as one scenario (every model on the same ideas and draws)
//! into one run folder; files whose worlds differ are refused, naming the fields.

use super::{AppError, terminal::begin};
use crate::cli::{Common, CompareArgs, RunArgs};
use crate::scenario::{self, compare};

/// Loads every file, refuses different worlds, and runs the combined scenario as
/// `budgetsim run` runs one; its folder's scenario.toml reproduces the comparison.
pub(super) fn compare(args: &CompareArgs) -> Result<(), AppError> {
    let common = Common {
        scenario: None,
        portfolios: args.portfolios,
        seed: args.seed,
        threads: args.threads,
        set: args.set.clone(),
        out: args.out.clone(),
        quiet: args.quiet,
        lang: args.lang,
    };
    let begun = begin(&common);
    let mut sources = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let stem = path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        if sources.iter().any(|s: &compare::Source| s.stem == stem) {
            return Err(AppError::Usage(format!(
                "two of the files are called `{stem}`: give each file once (copy one under another name to compare two versions)"
            )));
        }
        let loaded = scenario::load_file(path, &[])?;
        sources.push(compare::Source { stem, loaded });
    }
    if let Some(why) = compare::mismatch(&sources) {
        return Err(AppError::Usage(format!(
            "these files do not describe the same world, so their models cannot run on the \
             same ideas and draws:\n  {why}\nmake these fields the same in every file (or \
             `extends` one file from the other), or run each file on its own"
        )));
    }
    let stems: Vec<&str> = sources.iter().map(|s| s.stem.as_str()).collect();
    let origin = format!("compare-{}", stems.join("-"));
    let mut sets = Vec::new();
    if let Some(n) = args.portfolios {
        sets.push(format!("simulation.portfolios={n}"));
    }
    if let Some(s) = args.seed {
        sets.push(format!("simulation.seed={s}"));
    }
    sets.extend(args.set.iter().cloned());
    let loaded = scenario::load_text(&origin, &compare::combine(&sources), None, &sets)?;
    let run = RunArgs {
        common,
        json: args.json,
        ..RunArgs::default()
    };
    super::run::run_loaded(&run, loaded, begun)
}
