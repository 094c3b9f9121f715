//! The commands: load a scenario, run the engine, analyse, print. `main` only maps the
//! result to an exit code.

use std::io::Write;

use crate::cli::{Cli, Command, RunArgs, ValidateArgs};
use crate::scenario::{self, Loaded, ScenarioError};
use crate::{analysis, engine, export};

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

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        None => run_scenario(&RunArgs::default()),
        Some(Command::Run(args)) => run_scenario(&args),
        Some(Command::Validate(args)) => validate(&args),
    }
}

/// Loads the scenario named by `args` (or the embedded default) with its overrides.
pub fn load(args: &RunArgs) -> Result<Loaded, ScenarioError> {
    let mut sets = Vec::new();
    if let Some(n) = args.portfolios {
        sets.push(format!("simulation.portfolios={n}"));
    }
    if let Some(s) = args.seed {
        sets.push(format!("simulation.seed={s}"));
    }
    sets.extend(args.set.iter().cloned());
    match &args.scenario {
        Some(path) => scenario::load_file(path, &sets),
        None => scenario::load_default(&sets),
    }
}

fn run_scenario(args: &RunArgs) -> Result<(), AppError> {
    let loaded = load(args)?;
    let s = &loaded.scenario;
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(t) = args.threads {
            b = b.num_threads(usize::from(t));
        }
        b.build()
            .map_err(|e| AppError::Runtime(format!("cannot start worker threads: {e}")))?
    };
    let results = pool.install(|| engine::run(s, 0..s.simulation.portfolios));
    let analysis = analysis::analyse(s, &results);
    let text = if args.json {
        export::json::to_string(&analysis).map_err(|e| AppError::Runtime(e.to_string()))? + "\n"
    } else {
        export::table::render(&analysis)
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| AppError::Runtime(format!("cannot write to stdout: {e}")))
}

fn validate(args: &ValidateArgs) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for path in &args.scenarios {
        match scenario::load_file(path, &args.set) {
            Ok(l) => println!(
                "{}: ok ({} models: {})",
                path.display(),
                l.scenario.models.len(),
                l.scenario
                    .models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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
