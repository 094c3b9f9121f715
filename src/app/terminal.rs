//! The terminal: results on stdout (never at the cost of the run folder), status lines
//! and progress on stderr (never a panic when it is closed).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::AppError;
use crate::cli::Common;

/// `n` with `noun` in the singular or the plural ("1 portfolio", "2 portfolios").
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub(super) fn print(text: &str) -> Result<(), AppError> {
    write_stdout(text).map_err(|e| AppError::Runtime(format!("cannot write to stdout: {e}")))
}

pub(super) fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A line on stderr that never panics: a closed or broken stderr only loses the line.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Standard output of a command that also writes a run folder. The folder holds every
/// result, so a closed or failing stdout must not stop it being written: the first
/// failure is remembered and reported once the folder is in place.
#[derive(Default)]
pub(super) struct Results {
    failed: Option<std::io::Error>,
}

impl Results {
    pub(super) fn print(&mut self, text: &str) {
        if self.failed.is_none()
            && let Err(e) = write_stdout(text)
        {
            self.failed = Some(e);
        }
    }

    /// Ok if everything printed; otherwise an error that says where the results are.
    pub(super) fn finish(self, dest: &Path) -> Result<(), AppError> {
        match self.failed {
            None => Ok(()),
            Some(e) => Err(AppError::Runtime(format!(
                "cannot write to stdout ({e}); every result is in `{}`",
                dest.display()
            ))),
        }
    }
}

/// Status lines on stderr, unless quiet.
pub(super) struct Status {
    pub(super) quiet: bool,
}

impl Status {
    pub(super) fn say(&self, line: &str) {
        if !self.quiet {
            say(line);
        }
    }
}

/// A progress bar on stderr, shown only on a terminal and unless quiet.
pub(super) fn progress_bar(args: &Common, len: u64, what: &str) -> ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "simulating {{bar:30}} {{pos}}/{{len}} {what}  {{per_sec}}  ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}

/// Starts a command: its wall-clock start (for the manifest), a monotonic clock (for
/// timings) and its status lines (quiet with `--quiet`).
pub(super) fn begin(common: &Common) -> (SystemTime, Instant, Status) {
    let status = Status {
        quiet: common.quiet,
    };
    (SystemTime::now(), Instant::now(), status)
}
