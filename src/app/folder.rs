//! Every folder a command writes (run, sweep, sensitivity, explain, and `report`'s
//! redraw) goes through [`Output`]: staged beside its destination, filled, its report
//! drawn, sealed with a manifest that hashes every file, and swapped in whole.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use super::AppError;
use super::terminal::Status;
use crate::cli::Common;
use crate::export::folder::{Replace, Staging, StagingError};
use crate::export::manifest::{FolderKind, Manifest, Phases, ScenarioSource, rfc3339, sha256_hex};
use crate::export::run_folder;
use crate::scenario::Loaded;

/// An output folder being written.
pub(super) struct Output {
    dest: PathBuf,
    staging: Staging,
}

impl Output {
    /// The folder `--out` asks for, or `output/<default_name>`, staged at once so a
    /// refused or unwritable destination fails before any work.
    pub(super) fn open(args: &Common, default_name: &str) -> Result<Output, AppError> {
        let dest = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(default_name));
        Output::at(dest)
    }

    /// A folder that will replace `dest` (which must be free, empty or a run folder).
    pub(super) fn at(dest: PathBuf) -> Result<Output, AppError> {
        Output::replacing(dest, Replace::Fresh)
    }

    /// A folder that will replace `dest`, which holds what `mode` allows.
    pub(super) fn replacing(dest: PathBuf, mode: Replace) -> Result<Output, AppError> {
        let staging = Staging::replacing(&dest, mode).map_err(|e| match e {
            StagingError::Refused { .. } => AppError::Usage(e.to_string()),
            StagingError::Io(e) => AppError::Runtime(format!(
                "cannot write the run folder `{}`: {e} (choose another with --out)",
                dest.display()
            )),
        })?;
        Ok(Output { dest, staging })
    }

    /// The destination.
    pub(super) fn dest(&self) -> &Path {
        &self.dest
    }

    /// The staging folder, where files are written now.
    pub(super) fn root(&self) -> &Path {
        self.staging.root()
    }

    /// The command that writes this folder's data files again (for its manifest and
    /// report; call once its data files are written); `shard` is (K, N) for a shard.
    pub(super) fn reproduce(&self, shard: Option<(u64, u64)>) -> String {
        crate::export::reproduce::command(&self.dest, self.staging.root(), shard)
    }

    /// Where to write file `name` now.
    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.staging.path(name)
    }

    /// Writes files into the staging folder with `files`; on failure the destination
    /// is unchanged and the message says so.
    pub(super) fn write(
        &self,
        files: impl FnOnce(&Staging) -> std::io::Result<()>,
    ) -> Result<(), AppError> {
        files(&self.staging).map_err(write_failed(&self.dest))
    }

    /// Draws the charts and reports from the files written so far; `provenance`
    /// stands in for the manifest, which is written last.
    pub(super) fn draw_report(
        &self,
        langs: &[crate::report::Lang],
        provenance: Option<crate::report::Provenance>,
    ) -> Result<(), AppError> {
        crate::report::build(self.staging.root(), langs, provenance)
            .map(|_| ())
            .map_err(|e| {
                // Name the folder the user knows, not the staging copy being drawn.
                let e = e.replace(
                    &self.staging.root().display().to_string(),
                    &self.dest.display().to_string(),
                );
                AppError::Runtime(format!(
                    "cannot draw the report of `{}`: {e}; the folder there is unchanged",
                    self.dest.display()
                ))
            })
    }

    /// Lists and hashes every file into `manifest`, writes it last and swaps the folder
    /// into place. `clock` started with the command, `write_started` with its writing.
    pub(super) fn seal(
        self,
        mut manifest: Manifest,
        clock: Instant,
        write_started: Instant,
        status: &Status,
    ) -> Result<Manifest, AppError> {
        let fail = write_failed(&self.dest);
        manifest.files = run_folder::file_entries(self.staging.root()).map_err(&fail)?;
        manifest.phases.write_seconds = write_started.elapsed().as_secs_f64();
        manifest.finished = rfc3339(SystemTime::now());
        manifest.wall_seconds = clock.elapsed().as_secs_f64();
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|e| AppError::Runtime(e.to_string()))?
            + "\n";
        std::fs::write(self.path("manifest.json"), json).map_err(&fail)?;
        self.staging.commit().map_err(write_failed(&self.dest))?;
        status.say(&format!(
            "wrote {} ({} files) in {:.1} s",
            self.dest.display(),
            manifest.files.len() + 1,
            clock.elapsed().as_secs_f64()
        ));
        Ok(manifest)
    }

    /// For a redraw: brings the copied manifest's file list up to date and swaps the
    /// folder into place.
    pub(super) fn reseal(self) -> Result<(), AppError> {
        let fail = write_failed(&self.dest);
        run_folder::reseal(&self.staging).map_err(&fail)?;
        self.staging.commit().map_err(write_failed(&self.dest))?;
        Ok(())
    }
}

/// The manifest of a folder, before its file list and end time are known.
pub(super) fn manifest(
    loaded: &Loaded,
    resolved: &str,
    threads: usize,
    started: SystemTime,
    phases: Phases,
) -> Manifest {
    let s = &loaded.scenario;
    Manifest {
        budgetsim_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: Some(FolderKind::Run),
        scenario_name: s.name.en().to_string(),
        scenario: ScenarioSource {
            path: loaded.origin.clone(),
            sha256: sha256_hex(loaded.text.as_bytes()),
            resolved_sha256: sha256_hex(resolved.as_bytes()),
        },
        resolved_scenario: resolved.to_string(),
        seed: s.simulation.seed,
        portfolios: s.simulation.portfolios,
        threads,
        command_line: std::env::args().collect(),
        started: rfc3339(started),
        finished: String::new(),
        wall_seconds: 0.0,
        phases,
        files: Vec::new(),
        shard: None,
        until_ci: None,
        reproduce: None,
    }
}

/// [`manifest`] of a folder whose only timed phase so far is the simulation.
pub(super) fn manifest_after_simulation(
    loaded: &Loaded,
    resolved: &str,
    threads: usize,
    started: SystemTime,
    simulate_seconds: f64,
) -> Manifest {
    let phases = Phases {
        simulate_seconds,
        analyse_seconds: 0.0,
        write_seconds: 0.0,
    };
    manifest(loaded, resolved, threads, started, phases)
}

/// The manifest of shard folder `part`, simulated since `clock` started.
pub(super) fn shard_manifest(
    loaded: &Loaded,
    resolved: &str,
    threads: usize,
    (started, clock): (SystemTime, Instant),
    part: crate::export::manifest::Shard,
) -> Manifest {
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut m = manifest_after_simulation(loaded, resolved, threads, started, simulate_seconds);
    m.shard = Some(part);
    m
}

/// The error for a folder that could not be written (or moved into place).
fn write_failed<E: Into<StagingError>>(dest: &Path) -> impl Fn(E) -> AppError + '_ {
    move |e| match e.into() {
        e @ StagingError::Refused { .. } => AppError::Runtime(e.to_string()),
        StagingError::Io(e) => AppError::Runtime(format!(
            "cannot write the run folder `{}`: {e}; previous results there are unchanged",
            dest.display()
        )),
    }
}

/// A study folder's run (sensitivity, explain): what its manifest records.
pub(super) struct Study<'a> {
    pub(super) loaded: &'a Loaded,
    pub(super) threads: usize,
    pub(super) started: SystemTime,
    pub(super) clock: Instant,
    pub(super) simulate_seconds: f64,
    pub(super) portfolios: u64,
    /// What the study is (its command: `explain`, `sensitivity`), and the options that
    /// chose what was studied, for the reproduce command.
    pub(super) kind: FolderKind,
    pub(super) options: Vec<String>,
    /// Report languages.
    pub(super) langs: Vec<crate::report::Lang>,
}

impl Study<'_> {
    /// Writes the study's own files with `files`, then its resolved scenario.toml and
    /// manifest, and moves the folder into place.
    pub(super) fn write(
        &self,
        out: Output,
        status: &Status,
        files: impl FnOnce(&Staging) -> std::io::Result<()>,
    ) -> Result<(), AppError> {
        let written = Instant::now();
        let resolved = self.loaded.resolved_toml();
        out.write(|staging| {
            files(staging)?;
            std::fs::write(staging.path("scenario.toml"), &resolved)?;
            // The test hook of run folders (`BUDGETSIM_FAULT_AFTER_FILES`), checked
            // once a study's files are written: as a full disk would, it fails the
            // write when that many files or more are there.
            let written = std::fs::read_dir(staging.root())?.count();
            if crate::export::run_folder::fault_after().is_some_and(|n| written >= n) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "no space left on device (simulated by BUDGETSIM_FAULT_AFTER_FILES)",
                ));
            }
            Ok(())
        })?;
        let mut manifest = manifest(
            self.loaded,
            &resolved,
            self.threads,
            self.started,
            Phases {
                simulate_seconds: self.simulate_seconds,
                analyse_seconds: 0.0,
                write_seconds: 0.0,
            },
        );
        manifest.portfolios = self.portfolios;
        manifest.kind = Some(self.kind);
        manifest.reproduce = Some(crate::export::reproduce::study_command(
            out.dest(),
            self.kind.verb(),
            &self.options,
        ));
        // Charts and report from the data files, as `budgetsim report DIR` draws them.
        let provenance = crate::report::Provenance::from_manifest(&manifest);
        out.draw_report(&self.langs, Some(provenance))?;
        out.seal(manifest, self.clock, written, status).map(|_| ())
    }
}
