//! The commands: load a scenario, run the engine, analyse, print, write the output
//! folder, one module per command. `main` only maps the result to an exit code.

mod compare;
mod explain;
mod files;
mod folder;
mod merge;
mod optimise;
mod report;
mod resources;
mod run;
mod sensitivity;
mod shard;
mod sweep;
mod table;
mod terminal;

pub use terminal::say;

use crate::cli::{Cli, Command, Common, RunArgs};
use crate::scenario::{self, Loaded, ScenarioError};

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: exit code 2.
    #[error("{0}")]
    Input(#[from] ScenarioError),
    /// Bad combination of options: exit code 2.
    #[error("error: {0}")]
    Usage(String),
    /// Anything that failed while working: exit code 1.
    #[error("error: {0}")]
    Runtime(String),
}

impl AppError {
    /// Process exit code: 2 for bad input or usage, 1 for runtime failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Input(_) | AppError::Usage(_) => 2,
            AppError::Runtime(_) => 1,
        }
    }
}

/// Points standard input, output and error at /dev/null when the process started with
/// them closed. Otherwise the first file budgetsim opens would take the closed number,
/// and the table printed on "stdout" or a status line on "stderr" would land inside a
/// scenario or output file.
pub fn open_standard_streams() {
    #[cfg(unix)]
    for fd in 0..=2 {
        // SAFETY: fcntl and open take no pointers but the NUL-terminated literal, and
        // only descriptors 0 to 2 that are not open are filled.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 && null != fd {
                    libc::dup2(null, fd);
                    libc::close(null);
                }
            }
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        None => run::run_scenario(&RunArgs::default()),
        Some(Command::Run(args)) => run::run_scenario(&args),
        Some(Command::Validate(args)) => files::validate(&args),
        Some(Command::Schema) => terminal::print(&scenario::schema_json()),
        Some(Command::New(args)) => files::new_scenario(&args),
        Some(Command::Report(args)) => report::rebuild_report(&args),
        Some(Command::Calibrate(args)) => files::calibrate(&args),
        Some(Command::Presets) => terminal::print(&files::presets()),
        Some(Command::Completions(args)) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "budgetsim", &mut out);
            terminal::print(&String::from_utf8_lossy(&out))
        }
        Some(Command::Export(args)) => files::export(&args),
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(|e| AppError::Runtime(format!("cannot render the man page: {e}")))?;
            terminal::print(&String::from_utf8_lossy(&out))
        }
        Some(Command::Sensitivity(args)) => sensitivity::sensitivity(&args),
        Some(Command::Explain(args)) => explain::explain(&args),
        Some(Command::Merge(args)) => merge::merge(&args),
        Some(Command::Compare(args)) => compare::compare(&args),
        Some(Command::Optimise(args)) => optimise::optimise(&args),
    }
}

/// Loads the scenario named by `args` (or the embedded default) with its overrides,
/// and warns (unless `--quiet`) when French outputs would show English scenario text.
pub fn load(args: &Common) -> Result<Loaded, ScenarioError> {
    let loaded = load_quietly(args)?;
    if !args.quiet
        && args.lang.list().contains(&crate::model::Lang::Fr)
        && let Some(w) = scenario::untranslated_warning(&loaded)
    {
        say(&w);
    }
    Ok(loaded)
}

/// The `--set` overrides `args` asks for, `--portfolios` and `--seed` first.
pub(super) fn overrides(args: &Common) -> Vec<String> {
    let mut sets = Vec::new();
    if let Some(n) = args.portfolios {
        sets.push(format!("simulation.portfolios={n}"));
    }
    if let Some(s) = args.seed {
        sets.push(format!("simulation.seed={s}"));
    }
    sets.extend(args.set.iter().cloned());
    sets
}

/// [`load`] without the warning.
fn load_quietly(args: &Common) -> Result<Loaded, ScenarioError> {
    let sets = overrides(args);
    match &args.scenario {
        Some(path) => scenario::load_named(path, &sets),
        None => scenario::load_default(&sets),
    }
}
