//! Command-line definitions (clap) only; `app` turns them into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compare waterfall and stage-gated funding of government digital services by Monte Carlo.
///
/// With no command, runs the embedded default scenario, prints the comparison and
/// writes the run folder output/default/.
#[derive(Debug, Parser)]
#[command(name = "budgetsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: run the embedded default scenario).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario, print the comparison and write the run folder.
    Run(RunArgs),
    /// Check scenario files without simulating; exits 0 if all are valid, 2 otherwise.
    Validate(ValidateArgs),
    /// Print the JSON Schema of scenario files (for editors and TOML language servers).
    Schema,
    /// Write a commented scenario file to start from.
    New(NewArgs),
    /// Rebuild the charts and reports of an existing run folder from its files.
    Report(ReportArgs),
    /// Run the presets against published figures; print (or write) docs/calibration.md.
    /// Exits 1 if a simulated value leaves its accepted range.
    Calibrate(CalibrateArgs),
    /// List the shipped scenarios, which every command takes by name (`budgetsim run
    /// us-10x`); a file of that name in the current folder wins.
    Presets,
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell (see the
    /// README for where to put it).
    Completions(CompletionsArgs),
    /// Print the man page (roff) of budgetsim and its commands.
    Man,
    /// Write a run folder's tables in another format: `budgetsim export xlsx DIR`
    /// writes one Excel workbook (DIR.xlsx beside the folder).
    Export(ExportArgs),
    /// Move each parameter low and high, one at a time, and measure the paired
    /// difference of a metric between two models (same seeds): sensitivity.csv and a
    /// tornado chart.
    Sensitivity(SensitivityArgs),
    /// Attribute the paired net-value difference between two models to the model's
    /// mechanisms (exact Shapley values over every on/off combination, same seeds):
    /// explain.csv and a bridge chart.
    Explain(ExplainArgs),
    /// Run the funding models of several scenario files together on the same ideas and
    /// draws (paired), in one run folder and report; refused (exit 2) when the files'
    /// worlds (fund, ideas, risk, vendors, horizon) differ, naming the fields.
    Compare(CompareArgs),
    /// Search the funding rule (the levers of [optimise] or --lever) that makes one
    /// model's objective best under the constraints, every candidate on the same seed;
    /// the finalists re-run on a fresh seed: optimise.csv, best.toml, a Pareto chart
    /// and a report.
    Optimise(OptimiseArgs),
    /// Merge the shard folders of one study (`run --shard K/N`) into the run folder a
    /// single process would have written: the same files, byte for byte, apart from
    /// the manifest's timings.
    Merge(MergeArgs),
}

/// Options of `budgetsim export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(value_enum)]
    pub format: ExportFormat,
    /// The run folder to export.
    pub dir: PathBuf,
    /// File to write (default: the folder's path with `.xlsx`, beside it).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Most per-fund rows (portfolios.csv) in the workbook.
    #[arg(long, value_name = "N", default_value_t = crate::export::xlsx::DEFAULT_MAX_ROWS)]
    pub max_rows: usize,
}

/// Formats `budgetsim export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One Excel workbook: a sheet per table, the scenario and its provenance.
    Xlsx,
}

/// Options of `budgetsim completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Options of `budgetsim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files (TOML), two or more, sharing one world.
    #[arg(required = true, num_args = 2.., value_name = "SCENARIO")]
    pub files: Vec<PathBuf>,
    /// Number of portfolios to simulate (overrides the first file's simulation.portfolios).
    #[arg(long, value_name = "N")]
    pub portfolios: Option<u64>,
    /// Master seed (overrides the first file's simulation.seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Override a field of the combined scenario before validation (repeatable); models
    /// are keyed as in the run folder's scenario.toml.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Folder to write, replaced whole (default: output/compare-<file stems>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar or status lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Languages of charts and reports.
    #[arg(long, value_enum, default_value_t = crate::report::Langs::Both)]
    pub lang: crate::report::Langs,
    /// Print the statistics as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `budgetsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders written by `budgetsim run --shard K/N`, every K once, in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Run folder to write (default: the shards' folder name without `-shard-K-of-N`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads for the analysis, 1 to 1024 (default: all cores).
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// No progress bar or status lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Languages of charts and reports.
    #[arg(long, value_enum, default_value_t = crate::report::Langs::Both)]
    pub lang: crate::report::Langs,
}

/// Options of `budgetsim explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Scenario, overrides, threads and output folder. `--portfolios` is per on/off
    /// combination (default: simulation.portfolios, at most 500).
    #[command(flatten)]
    pub common: Common,
    /// Baseline and challenger model keys (default: the strongest baseline and the best challenger by mean net value).
    #[arg(long, value_name = "A,B")]
    pub models: Option<String>,
}

/// Options of `budgetsim sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario, overrides, threads and output folder.
    #[command(flatten)]
    pub common: Common,
    /// Metric whose difference is measured (default: [sensitivity].metric, or net_value).
    #[arg(long, value_name = "M")]
    pub metric: Option<String>,
    /// Baseline and challenger model keys (default: the strongest baseline and the best challenger by mean net value).
    #[arg(long, value_name = "A,B")]
    pub models: Option<String>,
    /// Relative move of parameters without a declared range (default 0.25: -25%, +25%).
    #[arg(long, value_name = "S")]
    pub spread: Option<f64>,
    /// How inputs move: one at a time, low and high (a tornado of every input), or every
    /// uncertain assumption at once over its range (Sobol indices: each assumption's
    /// share of the variance, alone and with its interactions).
    #[arg(long, value_enum, default_value_t = Method::OneAtATime)]
    pub method: Method,
    /// Rows of the Sobol design (--method sobol; default 64, best a power of two): the
    /// study runs rows x (assumptions + 2) times.
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
}

/// Options of `budgetsim optimise` (each replaces its `[optimise]` field).
#[derive(Debug, Args)]
pub struct OptimiseArgs {
    /// Scenario, overrides, threads and output folder (--portfolios: per candidate at
    /// the first rung).
    #[command(flatten)]
    pub common: Common,
    /// Key of the model whose rule is searched (default: the first challenger).
    #[arg(long, value_name = "KEY")]
    pub model: Option<String>,
    /// Metric whose mean is the objective (default net_value).
    #[arg(long, value_name = "M")]
    pub objective: Option<String>,
    /// maximise or minimise (default: the metric's better direction).
    #[arg(long, value_name = "D")]
    pub direction: Option<String>,
    /// A lever: PATH=LOW..HIGH or PATH=A,B,C (repeat for several; replaces the table's).
    #[arg(long, value_name = "PATH=RANGE")]
    pub lever: Vec<String>,
    /// A constraint: FIGURE<=LIMIT or FIGURE>=LIMIT, e.g. waste_share<=0.25 (repeat;
    /// replaces the table's).
    #[arg(long, value_name = "C")]
    pub constraint: Vec<String>,
    /// Most candidate evaluations in the search (a candidate in a world at a rung); the
    /// candidates sampled are as many as fit.
    #[arg(long, value_name = "N")]
    pub budget_runs: Option<u64>,
    /// Candidates re-run on the fresh seed (default 4).
    #[arg(long, value_name = "N")]
    pub finalists: Option<usize>,
    /// Portfolios of the fresh-seed re-evaluation (default 4 x the last rung's).
    #[arg(long, value_name = "N")]
    pub final_portfolios: Option<u64>,
    /// Other worlds (scenario files, comma-separated) in which every candidate is also
    /// run; the rule with the least worst-case regret is chosen.
    #[arg(long, value_name = "W1.toml,W2.toml", value_delimiter = ',')]
    pub across: Vec<PathBuf>,
}

/// How `budgetsim sensitivity` moves its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Each input low and high while the others stay as in the scenario.
    OneAtATime,
    /// Every uncertain assumption at once, on a Sobol design (variance shares).
    Sobol,
}

/// Options of `budgetsim calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Folder holding the preset scenario files.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    pub scenarios: PathBuf,
    /// Portfolios per preset.
    #[arg(long, value_name = "N", default_value_t = crate::calibration::PORTFOLIOS)]
    pub portfolios: u64,
    /// Write the Markdown here (e.g. docs/calibration.md) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the chart of the waterfall baseline's overruns here (PNG); default with
    /// --out: overrun.png beside the Markdown.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
}

/// Options of `budgetsim report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run folder written by `budgetsim run`.
    pub dir: PathBuf,
    /// Languages of charts and reports.
    #[arg(long, value_enum, default_value_t = crate::report::Langs::Both)]
    pub lang: crate::report::Langs,
    /// Accept data files edited since the run: rebuild from them and record their new
    /// hashes in manifest.json (without it, a folder whose data no longer matches its
    /// manifest is refused).
    #[arg(long)]
    pub reseal: bool,
}

/// Options shared by the commands that simulate a scenario (`run`, `sensitivity`,
/// `explain`).
#[derive(Debug, Args, Default, Clone)]
pub struct Common {
    /// Scenario file (TOML), or the name of a shipped preset (`budgetsim presets`);
    /// a file wins over a name. Default: the embedded scenarios/default.toml.
    pub scenario: Option<PathBuf>,
    /// Number of portfolios to simulate (overrides simulation.portfolios; for
    /// `sensitivity`, per run, and over [sensitivity].portfolios; for `explain`, per
    /// combination of mechanisms).
    #[arg(long, value_name = "N")]
    pub portfolios: Option<u64>,
    /// Master seed (overrides simulation.seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Override a scenario field before validation, e.g.
    /// --set models.stage_gated.stages.0.duration_months=2 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Folder to write, replaced whole (default: output/<scenario file stem>, or
    /// output/<stem>-sensitivity for `sensitivity`, output/<stem>-explain for `explain`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar or status lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Languages of charts and reports.
    #[arg(long, value_enum, default_value_t = crate::report::Langs::Both)]
    pub lang: crate::report::Langs,
}

/// Options of `budgetsim run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario, overrides, threads and output folder.
    #[command(flatten)]
    pub common: Common,
    /// Print the statistics as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Sweep a field over values (repeatable; several form a grid), e.g.
    /// --sweep models.stage_gated.hurdle=0.8,1,1.2. Writes sweep.csv.
    #[arg(long = "sweep", value_name = "PATH=V1,V2,...")]
    pub sweep: Vec<String>,
    /// Also write projects.parquet: one row per portfolio, model and idea started.
    #[arg(long)]
    pub projects: bool,
    /// Also attribute the net-value difference of the compared models to the model's
    /// mechanisms, as `budgetsim explain` does, over the first 500 portfolios (or all,
    /// if fewer): explain.csv, a bridge chart and a section of the report.
    #[arg(long)]
    pub explain: bool,
    /// Also move each input low and high, one at a time, as `budgetsim sensitivity`
    /// does for the compared models (over [sensitivity].portfolios, or the first 500
    /// portfolios): sensitivity.csv and the report's "What would change the answer".
    /// Costs two runs per input, plus eight per input that flips the answer.
    #[arg(long)]
    pub sensitivity: bool,
    /// Simulate only the K-th of N equal, contiguous ranges of portfolios and write a
    /// shard folder for `budgetsim merge`. `auto` takes K and N from a Slurm job array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT); `auto/N` from a Kubernetes
    /// Indexed Job (JOB_COMPLETION_INDEX, N completions).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Add batches of 4096 portfolios until the 95% CI of the paired difference in
    /// --metric (best challenger minus strongest baseline) is at most +-HALF_WIDTH, in
    /// the metric's unit, or --max-portfolios is reached. The count used is recorded.
    #[arg(long, value_name = "HALF_WIDTH")]
    pub until_ci: Option<f64>,
    /// Metric watched by --until-ci (default: net_value).
    #[arg(long, value_name = "M", requires = "until_ci")]
    pub metric: Option<String>,
    /// Most portfolios --until-ci may simulate (default: 1000000).
    #[arg(long, value_name = "N", requires = "until_ci")]
    pub max_portfolios: Option<u64>,
}

/// Options of `budgetsim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files to check.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Overrides applied before validation, as for `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Print each fully resolved scenario (after `extends` and `--set`) as TOML.
    #[arg(long)]
    pub resolved: bool,
}

/// Options of `budgetsim new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// File to write (`.toml` is added if missing). Never overwritten.
    pub name: PathBuf,
    /// Start from this scenario (the new file extends it); default: a full copy of the
    /// default scenario with every field commented.
    #[arg(long, value_name = "SCENARIO")]
    pub from: Option<PathBuf>,
}
