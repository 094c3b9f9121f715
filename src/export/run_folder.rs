//! A run folder's files: the tables as CSV and Parquet and the resolved scenario, the
//! listing and hashes the manifest records, and the checks and copies `budgetsim
//! report` makes before drawing a folder again.

use std::io;
use std::path::Path;

use super::folder::Staging;
use super::manifest::{FileEntry, sha256_file};
use super::tables::{Format, TableWriter};
use crate::analysis::{Analysis, Tally, frames};

/// Names of the files a run folder holds, in the order they are written.
pub const FILES: &[&str] = &[
    "portfolios.csv",
    "portfolios.parquet",
    "summary.csv",
    "comparison.csv",
    "stages.csv",
    "risk.csv",
    "timeseries.csv",
    "scenario.toml",
    "manifest.json",
];

/// Every file of `dir` but the manifest, relative, sorted (charts in subfolders too).
/// Symbolic links are listed, never followed (a link to a folder is not descended).
pub fn listing(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let p = e.path();
            if e.file_type()?.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let name = rel.to_string_lossy().replace('\\', "/");
                if name != "manifest.json" && name != super::folder::MARKER {
                    out.push(name);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Hashes every file of `dir` but the manifest, for the manifest's file list.
pub fn file_entries(dir: &Path) -> io::Result<Vec<FileEntry>> {
    listing(dir)?
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            Ok(FileEntry {
                bytes: std::fs::metadata(&path)?.len(),
                sha256: sha256_file(&path)?,
                name,
            })
        })
        .collect()
}

/// Test hook: fail with a simulated disk-full error after writing this many files
/// (read from `BUDGETSIM_FAULT_AFTER_FILES`), to check that a failed write leaves the
/// previous results intact.
pub(crate) fn fault_after() -> Option<usize> {
    std::env::var("BUDGETSIM_FAULT_AFTER_FILES")
        .ok()?
        .parse()
        .ok()
}

struct Writer<'a> {
    dir: &'a Staging,
    written: usize,
    fault: Option<usize>,
}

impl Writer<'_> {
    /// Counts a finished file (hashes are taken once, for the manifest, at the end).
    fn record(&mut self) -> io::Result<()> {
        self.written += 1;
        // The first file written after the row files, which stream in during the run.
        if self.written == super::rows::ROW_FILES.len() + 1 {
            super::folder::pause_point("the run folder");
        }
        if self.fault.is_some_and(|n| self.written >= n) {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device (simulated by BUDGETSIM_FAULT_AFTER_FILES)",
            ));
        }
        Ok(())
    }

    fn table(
        &mut self,
        stem: &str,
        df: &mut polars::prelude::DataFrame,
        format: Format,
    ) -> io::Result<()> {
        let name = format!("{stem}.{}", format.extension());
        format.write(df, &self.dir.path(&name))?;
        self.record()
    }

    fn text(&mut self, name: &str, text: &str) -> io::Result<()> {
        std::fs::write(self.dir.path(name), text)?;
        self.record()
    }
}

/// Writes a run's analysis tables and its resolved scenario into `dir`, beside the row
/// files written during the simulation (see [`super::rows::RunRows`]); the caller draws
/// the report and seals the folder.
pub fn write_tables(
    dir: &Staging,
    analysis: &Analysis,
    tally: &Tally,
    resolved_toml: &str,
) -> io::Result<()> {
    let mut w = Writer {
        dir,
        written: super::rows::ROW_FILES.len(),
        fault: fault_after(),
    };
    let to_io = |e: polars::prelude::PolarsError| io::Error::other(e.to_string());
    w.table(
        "summary",
        &mut frames::summary(analysis).map_err(to_io)?,
        Format::Csv,
    )?;
    w.table(
        "comparison",
        &mut frames::comparison(analysis).map_err(to_io)?,
        Format::Csv,
    )?;
    w.table(
        "stages",
        &mut frames::stages(analysis).map_err(to_io)?,
        Format::Csv,
    )?;
    w.table(
        "risk",
        &mut frames::risk(analysis).map_err(to_io)?,
        Format::Csv,
    )?;
    w.table(
        "timeseries",
        &mut frames::timeseries(tally).map_err(to_io)?,
        Format::Csv,
    )?;
    w.text("scenario.toml", resolved_toml)
}

/// Whether manifest entry `name` names a file inside the folder: relative, with no
/// `..`, root or prefix (a hostile manifest must not make budgetsim read `/dev/zero`
/// or a file outside the folder).
fn inside(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Hash of the regular file `name` inside `dir`, refusing links, special files and
/// names that leave the folder.
fn hash_inside(dir: &Path, name: &str) -> io::Result<String> {
    if !inside(name) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the name leaves the folder",
        ));
    }
    let path = dir.join(name);
    if !std::fs::symlink_metadata(&path)?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a regular file (budgetsim writes no links or special files)",
        ));
    }
    sha256_file(&path)
}

/// Checks that `dir` holds every file listed in its manifest with the recorded hash.
pub fn verify(dir: &Path) -> io::Result<Vec<String>> {
    let text = std::fs::read_to_string(dir.join("manifest.json"))?;
    let m: serde_json::Value = serde_json::from_str(&text).map_err(io::Error::other)?;
    let mut problems = Vec::new();
    for f in m["files"].as_array().into_iter().flatten() {
        let name = f["name"].as_str().unwrap_or_default();
        match hash_inside(dir, name) {
            Ok(h) if Some(h.as_str()) == f["sha256"].as_str() => {}
            Ok(_) => problems.push(format!("{name}: hash differs from the manifest")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    Ok(problems)
}

/// The data files of run folder `dir` that differ from its manifest: edited, missing,
/// or not listed. Files for which `drawn` holds (charts and reports, which `budgetsim
/// report` draws again) are left out.
pub fn check_data(dir: &Path, drawn: &dyn Fn(&str) -> bool) -> io::Result<Vec<String>> {
    let m = super::folder::budgetsim_manifest(dir).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "manifest.json is missing or was not written by budgetsim",
        )
    })?;
    let listed = super::folder::listed_files(&m);
    let mut problems = Vec::new();
    for (name, hash) in listed.iter().filter(|(n, _)| !drawn(n)) {
        match hash_inside(dir, name) {
            Ok(h) if &h == hash => {}
            Ok(_) => problems.push(format!("{name}: edited since the run (its hash differs)")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for name in listing(dir)? {
        if drawn(&name) {
            continue;
        }
        if !listed.contains_key(&name) {
            problems.push(format!("{name}: not in the manifest"));
        } else if !std::fs::symlink_metadata(dir.join(&name))?
            .file_type()
            .is_file()
        {
            problems.push(format!("{name}: not a regular file"));
        }
    }
    Ok(problems)
}

/// Copies the data files of run folder `dir` (those for which `drawn` does not hold)
/// and its manifest into `staging`, for the report to be drawn again beside them.
pub fn copy_data(dir: &Path, staging: &Staging, drawn: &dyn Fn(&str) -> bool) -> io::Result<()> {
    for name in listing(dir)?
        .into_iter()
        .filter(|n| !drawn(n))
        .chain(["manifest.json".to_string()])
    {
        let from = dir.join(&name);
        // Never copy through a link: the folder must not pull in a file from elsewhere.
        if !std::fs::symlink_metadata(&from)?.file_type().is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name} is not a regular file; move it out of the folder"),
            ));
        }
        let to = staging.path(&name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, to)?;
    }
    super::folder::pause_point("the report");
    Ok(())
}

/// Brings the manifest in `staging` up to date with the files beside it.
pub fn reseal(staging: &Staging) -> io::Result<()> {
    let path = staging.path("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path)?).map_err(io::Error::other)?;
    m["files"] = serde_json::to_value(file_entries(staging.root())?).map_err(io::Error::other)?;
    let json = serde_json::to_string_pretty(&m).map_err(io::Error::other)? + "\n";
    std::fs::write(path, json)
}
