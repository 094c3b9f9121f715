//! Commands on single files: `validate`, `new`, `calibrate` (and the atomic file
//! writes they share).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::AppError;
use super::terminal::{print, say};
use crate::cli::{CalibrateArgs, NewArgs, ValidateArgs};
use crate::scenario::{self, ScenarioError};

pub(super) fn calibrate(args: &CalibrateArgs) -> Result<(), AppError> {
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
pub(super) fn write_atomically(path: &Path, text: &str) -> Result<(), AppError> {
    replace_file(path, |tmp| {
        std::fs::write(tmp, text).map_err(|e| e.to_string())
    })
}

/// Makes the file at `path` with `write` (given a temporary path in the same folder,
/// with the same extension) and renames it into place: a failed write never leaves a
/// half-written file, and only a regular file (or nothing) is ever replaced.
pub(super) fn replace_file(
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

pub(super) fn validate(args: &ValidateArgs) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for path in &args.scenarios {
        match scenario::load_named(path, &args.set) {
            Ok(l) if args.resolved => {
                if args.scenarios.len() > 1 {
                    print(&format!("# {}\n", path.display()))?;
                }
                print(&l.resolved_toml())?;
            }
            Ok(l) => match scenario::sweep_points(&l) {
                // Every sweep point must be a valid scenario too.
                Err(e) => errors.extend(e.diagnostics),
                Ok(points) => {
                    if let Some(w) = scenario::untranslated_warning(&l) {
                        super::say(&w);
                    }
                    print(&format!(
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
                    ))?
                }
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
pub(super) fn relative(target: &Path, from: &Path) -> PathBuf {
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

pub(super) fn new_scenario(args: &NewArgs) -> Result<(), AppError> {
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
                        format!("name = {}\n", toml_string(&name))
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect::<String>()
        }
        Some(parent) => {
            // Check the parent now, so the new file starts from something valid.
            scenario::load_named(parent, &[])?;
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            // A preset named where no file of that name exists is extended by name
            // (embedded in budgetsim, so the new file works anywhere).
            let rel = match parent.to_str().and_then(scenario::presets::find) {
                Some(p) if !parent.exists() => std::path::PathBuf::from(p.name),
                _ => relative(parent, dir),
            };
            format!(
                "# {name}: a variant of {parent}. Fields set here override it; everything else\n\
                 # comes from it (tables merge key by key, arrays such as stages are replaced).\n\
                 # Run it with: budgetsim run {path}\n\n\
                 extends = {rel}\n\
                 name = {quoted}\n\n\
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
                rel = toml_string(&rel.to_string_lossy()),
                quoted = toml_string(&name),
            )
        }
    };
    // What is written must load: a name with a character scenarios refuse (a line break,
    // an invisible control) is refused here, before any file exists.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    scenario::load_text(
        &format!("{} (not written)", path.display()),
        &text,
        Some(dir),
        &[],
    )?;
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

/// `s` as a TOML string, escaped as TOML (not as Rust) reads it.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `budgetsim presets`: each shipped scenario's name and what it is, one line each.
pub(super) fn presets() -> String {
    let width = scenario::presets::PRESETS
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for p in scenario::presets::PRESETS {
        out += &format!("{:<width$}  {}\n", p.name, scenario::presets::summary(p));
    }
    out += "\nRun one by name, e.g. `budgetsim run us-10x`; start your own from one with \
            `budgetsim new mine --from us-10x`.\n";
    out
}

/// `budgetsim export xlsx DIR`: the run folder's tables as one workbook, written beside
/// the folder (the folder itself, sealed by its manifest, is left as it is).
pub(super) fn export(args: &crate::cli::ExportArgs) -> Result<(), AppError> {
    let dir = &args.dir;
    if !dir.join("summary.csv").is_file() {
        return Err(AppError::Usage(format!(
            "`{}` is not a run folder (no summary.csv): give the folder `budgetsim run` wrote",
            dir.display()
        )));
    }
    if args.max_rows == 0 {
        return Err(AppError::Usage("--max-rows must be at least 1".into()));
    }
    let out = args.out.clone().unwrap_or_else(|| {
        let trimmed = dir.components().as_path().to_path_buf();
        trimmed.with_extension("xlsx")
    });
    let mut written = None;
    replace_file(&out, |tmp| {
        written = Some(crate::export::xlsx::write(dir, tmp, args.max_rows)?);
        Ok(())
    })?;
    if let Some(s) = written {
        let (rows, total) = s.portfolio_rows;
        say(&format!(
            "wrote {} ({rows} of {total} per-fund rows)",
            out.display()
        ));
    }
    Ok(())
}
