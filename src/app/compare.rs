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
        let name = |p: &std::path::Path| p.file_stem().map(|s| s.to_string_lossy().into_owned());
        let mut stem = name(path).unwrap_or_else(|| "scenario".into());
        let used = |stem: &str, sources: &[compare::Source]| sources.iter().any(|s| s.stem == stem);
        if used(&stem, &sources) {
            // Two files of one name in different folders: the folder tells them apart.
            if let Some(folder) = path.parent().and_then(|d| d.file_name()) {
                stem = format!("{}-{stem}", folder.to_string_lossy());
            }
        }
        if used(&stem, &sources) {
            return Err(AppError::Usage(format!(
                "two of the files are called `{stem}`: give each file once (copy one under another name to compare two versions)"
            )));
        }
        let loaded = scenario::load_named(path, &[])?;
        sources.push(compare::Source { stem, loaded });
    }
    if let Some(why) = compare::mismatch(&sources) {
        return Err(AppError::Usage(format!(
            "these files do not describe the same world, so their models cannot run on the \
             same ideas and draws:\n  {why}\nmake these fields the same in every file (or \
             `extends` one file from the other), or run each file on its own"
        )));
    }
    let classification = compare::classification(&sources).map_err(|why| {
        AppError::Usage(format!(
            "these files carry different classifications, and a report of them all must \
             carry one:\n  {why}\nset the same classification in every file"
        ))
    })?;
    if !args.quiet {
        for note in compare::left_out(&sources) {
            super::say(&format!("note: {note}"));
        }
    }
    let origin = compare::origin(&sources);
    let sets = super::overrides(&common);
    let loaded = scenario::load_text(
        &origin,
        &compare::combine(&sources, classification),
        None,
        &sets,
    )?;
    let run = RunArgs {
        common,
        json: args.json,
        ..RunArgs::default()
    };
    super::run::run_loaded(&run, loaded, begun)
}
