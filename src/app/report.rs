//! `budgetsim report DIR`: draw a run folder's charts and reports again from its data
//! files, refusing data that no longer matches the manifest.

use super::AppError;
use super::folder::Output;
use super::terminal::say;
use crate::cli::ReportArgs;
use crate::export::folder::Replace;
use crate::export::run_folder;

/// `budgetsim report DIR`: charts and reports again from the folder's data files, built
/// in a staging copy and swapped in whole, with the manifest's file list and hashes
/// brought up to date. A folder whose data files no longer match its manifest is refused
/// unless `--reseal` says to accept them.
pub(super) fn rebuild_report(args: &ReportArgs) -> Result<(), AppError> {
    use crate::export::folder::{Existing, inspect};
    let dir = &crate::export::folder::normalize(&args.dir)
        .map_err(|e| AppError::Usage(format!("{e}")))?;
    let not_a_run = |why: String| {
        AppError::Usage(format!(
            "`{}` is not a run folder ({why}); give a folder written by `budgetsim run`, \
             or run `budgetsim run --out {}` first",
            dir.display(),
            dir.display()
        ))
    };
    match inspect(dir).map_err(|e| not_a_run(e.to_string()))? {
        // Files the manifest does not list are named by the check below.
        Existing::RunFolder | Existing::RunFolderWithExtras(_) => {}
        Existing::Nothing => return Err(not_a_run("it does not exist".into())),
        Existing::EmptyFolder => return Err(not_a_run("it is empty".into())),
        Existing::Other(what) => return Err(not_a_run(format!("it is {what}"))),
    }
    let shard =
        crate::export::folder::budgetsim_manifest(dir).is_some_and(|m| m.get("shard").is_some());
    if shard {
        return Err(AppError::Usage(format!(
            "`{}` is a shard, one part of a study: merge every shard with \
             `budgetsim merge SHARD_DIR... --out DIR`; the merged folder has the report",
            dir.display()
        )));
    }
    // The manifest says what the folder is; its tables decide only for folders
    // written before manifests said.
    crate::report::folder_kind(dir, None)
        .map_err(|why| AppError::Usage(format!("`{}` cannot be redrawn: {why}", dir.display())))?;
    let drawn = crate::report::is_drawn;
    let problems = run_folder::check_data(dir, &drawn)
        .map_err(|e| AppError::Runtime(format!("cannot read `{}`: {e}", dir.display())))?;
    if !problems.is_empty() && !args.reseal {
        return Err(AppError::Usage(format!(
            "`{}` no longer matches its manifest.json:\n  {}\nrun the scenario again, or \
             pass --reseal to rebuild from the files as they are and record their new hashes",
            dir.display(),
            problems.join("\n  ")
        )));
    }
    if args.reseal {
        // Accepted edits must still be data a run could have written.
        let listed = run_folder::listing(dir)
            .map_err(|e| AppError::Runtime(format!("cannot read `{}`: {e}", dir.display())))?;
        for name in listed.iter().filter(|n| n.ends_with(".csv") && !drawn(n)) {
            crate::export::cell::check_file(&dir.join(name)).map_err(AppError::Runtime)?;
        }
    }
    let folder = Output::replacing(dir.clone(), Replace::Redraw)?;
    // The charts and report of a language not asked for are kept as they are.
    let langs = args.lang.list();
    let redrawn = |name: &str| crate::report::drawn_in(name, &langs);
    folder.write(|staging| run_folder::copy_data(dir, staging, &redrawn))?;
    folder.draw_report(&langs, None)?;
    folder.reseal()?;
    say(&format!(
        "redrew the charts and reports of {}",
        dir.display()
    ));
    Ok(())
}
