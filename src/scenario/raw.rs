//! Serde mirror of the scenario TOML: field names and shapes exactly as users write them.
//!
//! Unknown fields are rejected here (the loader turns serde's message into a suggestion).
//! Each numeric field declares its unit and allowed range once, here, in a schemars
//! `extend` attribute (`x-unit`, `minimum`/`exclusiveMinimum`, `maximum`/
//! `exclusiveMaximum`, `x-inf`, `x-help`, and `x-kind`: `lever` for what a fund's
//! designer chooses, `assumption` for what the world is): `fields` reads the declarations back for the
//! range checks, the JSON Schema and docs/fields.md. Cross-field rules live in `validate`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, de};

// Limits shared by several declarations below, each from what the model can mean.

/// Longest horizon and stage or project duration: 50 years. A run keeps a spend and
/// value series per month of horizon for every portfolio and model, so this also bounds
/// memory (600 months x 2 series x 4 bytes x 3 models = 14 kB per portfolio).
pub const MAX_MONTHS: f64 = 600.0;
/// Shortest time between intake rounds (and shortest reference duration): a week.
pub const MIN_INTAKE_MONTHS: f64 = 0.25;
/// Most intake rounds: weekly for 50 years.
pub const MAX_ROUNDS: i64 = 2_400;
/// Largest amount of money anywhere in a scenario: a trillion dollars.
pub const MAX_DOLLARS: f64 = 1e12;
/// Largest cost or schedule multiplier (and overrun): 100 times plan.
pub const MAX_MULTIPLIER: f64 = 100.0;
/// Smallest cost or schedule multiplier: a hundredth of plan.
pub const MIN_MULTIPLIER: f64 = 0.01;
/// Largest spread on the log scale: a factor of e^10 (about 22,000) for one sd.
pub const MAX_LOG_SD: f64 = 10.0;
/// Largest coefficient of variation of a lognormal (a log-scale sd of 2.1).
pub const MAX_CV: f64 = 10.0;
/// Largest hurdle: expected value a thousand times the expected cost.
pub const MAX_HURDLE: f64 = 1_000.0;
/// Most portfolios of a run (the run checks memory too).
pub const MAX_PORTFOLIOS: i64 = 100_000_000;
/// Most portfolios per run of `budgetsim sensitivity` (it runs two per parameter).
pub const MAX_SENSITIVITY_PORTFOLIOS: i64 = 10_000_000;
/// Most ideas arriving at one intake round.
pub const MAX_IDEAS_PER_ROUND: i64 = 100_000;
/// Most large vendors: each bids (or not) on every contract, so vendors cost work.
pub const MAX_LARGE_VENDORS: i64 = 1_000;
/// Most small vendors (the UK's G-Cloud framework lists about 5,000 suppliers).
pub const MAX_SMALL_VENDORS: i64 = 10_000;
/// Most vendors one stage may fund in parallel on an idea.
pub const MAX_ATTEMPTS: i64 = 50;
/// Most candidate rules one `budgetsim optimise` samples.
pub const MAX_OPTIMISE_CANDIDATES: i64 = 100_000;
/// Most values of one `from`/`to`/`steps` sweep axis.
pub const MAX_SWEEP_STEPS: i64 = 10_000;

/// A budgetsim scenario file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "budgetsim scenario")]
pub struct RawScenario {
    /// Parent scenario to deep-merge under this one (path relative to this file).
    // The loader applies and removes it before deserializing.
    #[serde(default)]
    pub extends: Option<String>,
    /// Short name shown in tables and reports.
    pub name: RawText,
    /// What the scenario represents.
    #[serde(default)]
    pub description: RawText,
    /// The classification line reports carry (default "Unclassified / Non classifié").
    pub classification: Option<RawText>,
    /// Monte Carlo settings.
    pub simulation: RawSimulation,
    /// The fund's budget and intake of ideas.
    pub fund: RawFund,
    /// How candidate ideas are drawn.
    pub ideas: RawIdeas,
    /// Delivery risk of contracts.
    pub risk: RawRisk,
    /// The vendor market.
    pub vendors: RawVendors,
    /// Funding models to compare, one table each, in file order; the first is the baseline.
    // Each is deserialized separately so its path is known.
    #[schemars(with = "std::collections::BTreeMap<String, RawModel>")]
    pub models: toml::Table,
    /// Parameters to sweep: each entry is one axis; several entries form a grid. Every
    /// point runs with the same seed, so differences between points are not noise.
    #[serde(default)]
    pub sweep: Vec<RawSweep>,
    /// Settings of `budgetsim sensitivity` (one-at-a-time moves of each parameter).
    pub sensitivity: Option<RawSensitivity>,
    /// Settings of `budgetsim optimise`: the levers searched, the objective and the
    /// constraints.
    pub optimise: Option<RawOptimise>,
}

/// `[optimise]`: which funding rule `budgetsim optimise` searches for, and how.
#[derive(Debug, Deserialize, JsonSchema, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct RawOptimise {
    /// Key of the funding model whose rule is searched (default: the best challenger by mean net value).
    pub model: Option<String>,
    /// Metric whose mean over funds is the objective (default `net_value`).
    pub objective: Option<String>,
    /// `maximise` or `minimise` (default: the metric's better direction).
    pub direction: Option<String>,
    /// Portfolios per candidate at the first rung of the search (default 200); each rung triples it.
    #[schemars(extend("x-unit" = "portfolios", "minimum" = 1, "maximum" = MAX_SENSITIVITY_PORTFOLIOS))]
    pub portfolios: Option<i64>,
    /// Candidate rules sampled, the scenario's own rule included (default 48).
    #[schemars(extend("x-unit" = "candidates", "minimum" = 2, "maximum" = MAX_OPTIMISE_CANDIDATES))]
    pub candidates: Option<i64>,
    /// Candidates kept to the end and re-run on a fresh seed (default 4).
    #[schemars(extend("x-unit" = "candidates", "minimum" = 1, "maximum" = MAX_OPTIMISE_CANDIDATES))]
    pub finalists: Option<i64>,
    /// Portfolios of the fresh-seed re-evaluation (default: 4 x the last rung's).
    #[schemars(extend("x-unit" = "portfolios", "minimum" = 1, "maximum" = MAX_SENSITIVITY_PORTFOLIOS))]
    pub final_portfolios: Option<i64>,
    /// Other worlds (scenario files, relative to this file) in which every candidate is also evaluated; the rule with the least worst-case regret is chosen.
    pub across: Option<Vec<String>>,
    /// The levers searched.
    #[serde(default)]
    pub levers: Vec<RawLever>,
    /// Limits every acceptable rule meets.
    #[serde(default)]
    pub constraints: Vec<RawConstraint>,
}

/// One lever of `[optimise]`: a field path (as for `--set`) with a range or choices.
#[derive(Debug, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawLever {
    /// Dotted field path, e.g. `models.stage_gated.hurdle`.
    pub path: String,
    /// Lowest value searched (with `high`).
    #[schemars(extend("x-unit" = "as the field at `path`"))]
    pub low: Option<f64>,
    /// Highest value searched.
    #[schemars(extend("x-unit" = "as the field at `path`"))]
    pub high: Option<f64>,
    /// The choices searched, instead of a range (numbers or words).
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub values: Option<Vec<toml::Value>>,
}

/// One constraint of `[optimise]`: a figure of the optimised model and its limit.
#[derive(Debug, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawConstraint {
    /// A metric name (its mean over funds), or `loss_probability` (share of funds with net value below 0), `worse_than_baseline` (share of funds worse than the strongest baseline in the same fund) or `net_value_p5` (5th percentile of net value).
    pub figure: String,
    /// Highest acceptable value.
    #[schemars(extend("x-unit" = "as the field named in `figure`"))]
    pub max: Option<f64>,
    /// Lowest acceptable value.
    #[schemars(extend("x-unit" = "as the field named in `figure`"))]
    pub min: Option<f64>,
}

/// `[sensitivity]`: which difference to measure and which parameters to move.
#[derive(Debug, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSensitivity {
    /// Metric whose paired difference is measured (default `net_value`).
    pub metric: Option<String>,
    /// Baseline and challenger model keys (default: the strongest baseline and the best challenger by mean net value).
    pub models: Option<Vec<String>>,
    /// Relative move of parameters without a range: low = v(1 - spread), high =
    /// v(1 + spread) (default 0.25).
    #[schemars(extend("x-unit" = "share", "exclusiveMinimum" = 0, "exclusiveMaximum" = 1, "x-help" = "0.25 moves each parameter 25% down and up"))]
    pub spread: Option<f64>,
    /// Portfolios per run (default: simulation.portfolios).
    #[schemars(extend("x-unit" = "portfolios", "minimum" = 1, "maximum" = MAX_SENSITIVITY_PORTFOLIOS))]
    pub portfolios: Option<i64>,
    /// Parameters to move (default: every numeric parameter).
    pub parameters: Option<Vec<RawParameter>>,
}

/// One parameter of `[sensitivity]`: a path as for `--set`, with an optional range.
#[derive(Debug, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawParameter {
    /// Dotted field path, e.g. `ideas.fit_probability`.
    pub path: String,
    /// Low value (give both low and high, or neither for +- spread).
    #[schemars(extend("x-unit" = "as the field at `path`"))]
    pub low: Option<f64>,
    /// High value.
    #[schemars(extend("x-unit" = "as the field at `path`"))]
    pub high: Option<f64>,
}

/// One sweep axis: a field path (as for `--set`) and its values.
#[derive(Debug, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// Dotted field path, e.g. `models.stage_gated.hurdle`.
    pub path: String,
    /// The values to try (or give from, to and steps).
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub values: Option<Vec<toml::Value>>,
    /// First value of an evenly spaced range.
    #[schemars(extend("x-unit" = "as the field at `path`"))]
    pub from: Option<f64>,
    /// Last value of an evenly spaced range.
    #[schemars(extend("x-unit" = "as the field at `path`"))]
    pub to: Option<f64>,
    /// Number of values in the range (at least 2).
    #[schemars(extend("x-unit" = "steps", "minimum" = 2, "maximum" = MAX_SWEEP_STEPS))]
    pub steps: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Number of portfolios (Monte Carlo replications).
    #[schemars(extend("x-unit" = "portfolios", "minimum" = 1, "maximum" = MAX_PORTFOLIOS))]
    pub portfolios: i64,
    /// Master seed: the same seed gives the same results on any machine.
    #[schemars(extend("x-unit" = "seed", "minimum" = 0, "maximum" = i64::MAX))]
    pub seed: i64,
    /// The fund's life, months.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "months", "minimum" = 1, "maximum" = MAX_MONTHS, "x-help" = "a fund lives at most 50 years (600 months)"))]
    pub horizon_months: f64,
    /// Annual discount rate on delivered value (0.035 = 3.5%).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "annual rate", "minimum" = 0, "exclusiveMaximum" = 1, "x-help" = "0.035 means 3.5% a year"))]
    pub discount_rate: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFund {
    /// Money available over the horizon, dollars.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "dollars", "exclusiveMinimum" = 0, "maximum" = MAX_DOLLARS))]
    pub budget: f64,
    /// Months between intake rounds.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "months", "minimum" = MIN_INTAKE_MONTHS, "maximum" = MAX_MONTHS, "x-help" = "at least a week (0.25 months) between rounds"))]
    pub intake_every_months: f64,
    /// Intake rounds held (rounds at or after the horizon are skipped).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "rounds", "minimum" = 1, "maximum" = MAX_ROUNDS))]
    pub intake_rounds: i64,
    /// New ideas arriving per round.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "ideas", "minimum" = 1, "maximum" = MAX_IDEAS_PER_ROUND))]
    pub ideas_per_round: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIdeas {
    /// Share of ideas that meet a real user need (0..1).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "probability", "minimum" = 0, "maximum" = 1))]
    pub fit_probability: f64,
    /// Present value of benefits if delivered in full, dollars (lognormal).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "dollars", "exclusiveMinimum" = 0, "maximum" = MAX_DOLLARS))]
    pub value: RawDist,
    /// Planned cost of the whole project, dollars.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "dollars", "exclusiveMinimum" = 0, "maximum" = MAX_DOLLARS))]
    pub planned_cost: RawDist,
    /// Planned duration of the whole project, months.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "months", "exclusiveMinimum" = 0, "maximum" = MAX_MONTHS))]
    pub planned_duration_months: RawDist,
    /// Sd of the business case's error on log value (0 exact, inf uninformative).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "ln sd", "minimum" = 0, "maximum" = MAX_LOG_SD, "x-inf" = "the business case says nothing"))]
    pub business_case_noise: f64,
    /// Spread of solution quality between vendors working on the same idea, ln scale
    /// (default 0: every attempt is worth the idea's value).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "ln sd", "minimum" = 0, "maximum" = MAX_LOG_SD))]
    pub solution_sd: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    /// Median cost-overrun multiplier of the body's lognormal (cut at 1 + tail_min), at the reference duration; below 1 + tail_min.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "multiplier", "minimum" = MIN_MULTIPLIER, "maximum" = MAX_MULTIPLIER))]
    pub overrun_median: f64,
    /// 90th percentile of the body's lognormal before the cut (>= median).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "multiplier", "minimum" = MIN_MULTIPLIER, "maximum" = MAX_MULTIPLIER))]
    pub overrun_p90: f64,
    /// Black-swan probability of a contract of the reference duration (0..1).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "probability", "minimum" = 0, "maximum" = 1))]
    pub black_swan_probability: f64,
    /// Where the black-swan tail begins (0.25 = +25%): black swans overrun by more, other contracts by less.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "overrun", "exclusiveMinimum" = 0, "maximum" = MAX_MULTIPLIER, "x-help" = "0.25 means +25% of planned cost"))]
    pub tail_min: f64,
    /// Pareto exponent of the black-swan cost multiplier (at or below 1 for IT).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "exponent", "minimum" = 0.1, "maximum" = 10, "x-help" = "1 is the thinnest tail the data allow for IT; lower is heavier"))]
    pub tail_alpha: f64,
    /// Largest black-swan overrun (truncation; 9.3 = +930%).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "overrun", "exclusiveMinimum" = 0, "maximum" = MAX_MULTIPLIER, "x-help" = "9.3 means +930% of planned cost"))]
    pub tail_max: f64,
    /// Black-swan schedule overrun per unit of cost overrun.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "ratio", "minimum" = 0, "maximum" = 10))]
    pub tail_schedule_ratio: f64,
    /// Median schedule multiplier of the body (1.2 = 20% late).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "multiplier", "minimum" = MIN_MULTIPLIER, "maximum" = MAX_MULTIPLIER))]
    pub schedule_median: f64,
    /// 90th percentile of the body's schedule multiplier (>= median).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "multiplier", "minimum" = MIN_MULTIPLIER, "maximum" = MAX_MULTIPLIER))]
    pub schedule_p90: f64,
    /// Correlation of log cost and log schedule overrun in the body (-1..1).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "correlation", "minimum" = -1, "maximum" = 1))]
    pub schedule_correlation: f64,
    /// Share of log cost-overrun variance shared by an idea's contracts (0..1).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "share", "minimum" = 0, "maximum" = 1))]
    pub idea_correlation: f64,
    /// Contract duration at which the risk figures apply, months.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "months", "minimum" = MIN_INTAKE_MONTHS, "maximum" = MAX_MONTHS))]
    pub reference_duration_months: f64,
    /// Duration effect exponent: spread and black-swan odds scale with (months / reference)^exponent; 0 = off.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "exponent", "minimum" = 0, "maximum" = 3))]
    pub duration_exponent: f64,
    /// Value halves every this many months of frozen requirements (inf = no drift).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "months", "exclusiveMinimum" = 0, "maximum" = 2.0 * MAX_MONTHS, "x-inf" = "no requirements drift"))]
    pub requirements_half_life_months: f64,
    /// Share of built scope a gate reworks (0..1, default 0.2): its requirements become
    /// fresh and the next stage pays to rebuild it; unbuilt scope is always re-planned.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "share", "minimum" = 0, "maximum" = 1))]
    pub gate_rework_share: Option<f64>,
    /// Cancel a contract when its work cost passes this multiple of plan (inf = never).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "multiplier", "minimum" = 1, "maximum" = 1000, "x-inf" = "never cancel"))]
    pub escalation_cap: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVendors {
    /// Number of large vendors.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "vendors", "minimum" = 0, "maximum" = MAX_LARGE_VENDORS))]
    pub large: i64,
    /// Number of small vendors (small firms, start-ups, non-profits).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "vendors", "minimum" = 0, "maximum" = MAX_SMALL_VENDORS))]
    pub small: i64,
    /// Largest contract (planned cost, dollars) a small vendor may take.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "dollars", "minimum" = 0, "maximum" = MAX_DOLLARS, "x-inf" = "no cap"))]
    pub small_contract_cap: f64,
    /// Chance an eligible vendor bids on a contract (0..1).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "probability", "minimum" = 0, "maximum" = 1))]
    pub bid_probability: f64,
    /// Markup with one bid; n bids leave markup / n.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "markup", "minimum" = 0, "maximum" = 10, "x-help" = "0.3 means 30% on top of cost"))]
    pub markup: f64,
    /// Markup of an award that drew no bids.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "markup", "minimum" = 0, "maximum" = 10, "x-help" = "0.3 means 30% on top of cost"))]
    pub sole_source_markup: f64,
    /// Markup on overrun work after award.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "markup", "minimum" = 0, "maximum" = 10, "x-help" = "0.3 means 30% on top of cost"))]
    pub overrun_markup: f64,
    /// Extra chance a bidding incumbent keeps the work in a re-competition (0..1).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "probability", "minimum" = 0, "maximum" = 1))]
    pub incumbent_advantage: f64,
    /// Cost of changing vendor, as a share of contract spend to date on the project.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "share", "minimum" = 0, "maximum" = 10, "x-help" = "0.33 means a third of spend to date"))]
    pub switching_cost_share: f64,
}

/// When a funding model commits money.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawCommitment {
    /// Every stage at selection; kills free the rest.
    Project,
    /// One stage at a time.
    Stage,
}

/// Funding order among ideas that pass their hurdle when money is short.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawSelection {
    /// Best expected value per expected dollar first.
    Rank,
    /// First come, first served.
    Arrival,
}

/// What decisions read as the cost of the work ahead.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawCostBasis {
    /// The plan as written (default).
    Planned,
    /// The plan uplifted by the scenario's expected overruns, markups, overheads and delay.
    ReferenceClass,
}

/// Which ideas are funded first when money is short.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawPipeline {
    /// Continuing ideas before new starts; nothing leapfrogs an idea waiting for money (default).
    FinishFirst,
    /// One ranked list; whatever fits starts.
    FirstFit,
}

/// Money set aside for later stages at a gate pass.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawReserve {
    /// Nothing set aside.
    None,
    /// The next stage (default).
    NextStage,
    /// Every remaining stage.
    Plan,
}

/// A model's place in the comparison.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawRole {
    /// Compared against (default for the first model).
    Baseline,
    /// Under test (default for the others).
    Challenger,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// Display label (default: the table name).
    pub label: Option<RawText>,
    /// When money is committed: "project" or "stage".
    pub commitment: RawCommitment,
    /// Funding order when money is short: "rank" (default) or "arrival".
    pub selection: Option<RawSelection>,
    /// Contingency committed on top of each contract price (0.1 = 10%).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "share", "minimum" = 0, "maximum" = 10, "x-help" = "0.1 means 10% of the price"))]
    pub contingency: f64,
    /// Cost of each gate review between stages, dollars.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "dollars", "minimum" = 0, "maximum" = MAX_DOLLARS))]
    pub gate_review_cost: f64,
    /// Months from a stage's end to its gate decision.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "months", "minimum" = 0, "maximum" = MAX_MONTHS))]
    pub gate_delay_months: f64,
    /// Cost of running a competition, dollars.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "dollars", "minimum" = 0, "maximum" = MAX_DOLLARS))]
    pub procurement_cost: f64,
    /// Months from a decision to the start of a competed contract.
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "months", "minimum" = 0, "maximum" = MAX_MONTHS))]
    pub procurement_delay_months: f64,
    /// Default hurdle for every stage that does not set its own (default 1).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "value / cost", "minimum" = 0, "maximum" = MAX_HURDLE, "x-help" = "1 means break-even: expected value at least the expected cost"))]
    pub hurdle: Option<f64>,
    /// What decisions read as cost: "planned" (default) or "reference_class".
    pub cost_basis: Option<RawCostBasis>,
    /// Funding order of continuing and new ideas: "finish_first" (default) or "first_fit".
    pub pipeline: Option<RawPipeline>,
    /// Money set aside at a gate pass: "none", "next_stage" (default) or "plan".
    pub reserve: Option<RawReserve>,
    /// Most new ideas started at one intake round (default: no cap).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "ideas", "minimum" = 1, "maximum" = MAX_IDEAS_PER_ROUND))]
    pub max_starts_per_round: Option<i64>,
    /// "baseline" or "challenger" (default: the first model is the baseline).
    pub role: Option<RawRole>,
    /// Ordered stages; waterfall is one stage with the whole scope.
    pub stages: Vec<RawStage>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// Stage name (e.g. "discovery").
    pub name: RawText,
    /// Share of the idea's planned cost (or set `cost`).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "share", "exclusiveMinimum" = 0, "maximum" = 1, "x-help" = "a share of the idea's planned cost; the stages' shares add up to 1"))]
    pub scope_share: Option<f64>,
    /// Fixed planned cost, dollars (or set `scope_share`).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "dollars", "exclusiveMinimum" = 0, "maximum" = MAX_DOLLARS))]
    pub cost: Option<f64>,
    /// Share of the idea's planned duration (or set `duration_months`).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "share", "exclusiveMinimum" = 0, "maximum" = 1, "x-help" = "a share of the idea's planned duration, e.g. 0.5 for half"))]
    pub duration_share: Option<f64>,
    /// Fixed planned duration, months (or set `duration_share`).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "months", "exclusiveMinimum" = 0, "maximum" = MAX_MONTHS))]
    pub duration_months: Option<f64>,
    /// Sd of what the stage reveals about log value (default inf: nothing).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "ln sd", "minimum" = 0, "maximum" = MAX_LOG_SD, "x-inf" = "the stage reveals nothing"))]
    pub signal_noise: Option<f64>,
    /// Chance the stage shows there is no user need (default 0).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "probability", "minimum" = 0, "maximum" = 1))]
    pub misfit_detection: Option<f64>,
    /// Share of value released when the stage ends (not on the last stage).
    #[schemars(extend("x-kind" = "assumption", "x-unit" = "share", "minimum" = 0, "maximum" = 1))]
    pub value_share: Option<f64>,
    /// Compete the stage's contract again (default false).
    pub recompete: Option<bool>,
    /// Hurdle to enter this stage (default: the model's hurdle).
    #[schemars(extend("x-kind" = "lever", "x-unit" = "value / cost", "minimum" = 0, "maximum" = MAX_HURDLE, "x-help" = "1 means break-even: expected value at least the expected cost"))]
    pub hurdle: Option<f64>,
    /// Vendors funded in parallel on the idea in this stage (default 1); a later stage
    /// keeps the best this many attempts of the stage before it.
    #[schemars(extend("x-kind" = "lever", "x-unit" = "attempts", "minimum" = 1, "maximum" = MAX_ATTEMPTS))]
    pub attempts: Option<i64>,
}

/// Distribution kinds as written in `dist = "..."`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DistKind {
    Constant,
    Lognormal,
    Normal,
    Uniform,
    Triangular,
    Pert,
}

/// A distribution as written: a bare number (constant) or a table with `dist` and its
/// parameters. Which parameters are required is checked in `validate`.
#[derive(Debug, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDistTable {
    /// Kind: constant (value), lognormal (median and p90, or mean and cv), normal (mean
    /// and sd), uniform (min and max), triangular or pert (min, mode and max).
    pub dist: Option<DistKind>,
    /// Constant value.
    pub value: Option<f64>,
    /// Median (lognormal).
    pub median: Option<f64>,
    /// 90th percentile (lognormal).
    pub p90: Option<f64>,
    /// Mean (lognormal, normal).
    pub mean: Option<f64>,
    /// Coefficient of variation (lognormal).
    #[schemars(extend("x-unit" = "coefficient of variation", "minimum" = 0, "maximum" = MAX_CV))]
    pub cv: Option<f64>,
    /// Standard deviation (normal).
    pub sd: Option<f64>,
    /// Lower bound (uniform, triangular, pert).
    pub min: Option<f64>,
    /// Most likely value (triangular, pert).
    pub mode: Option<f64>,
    /// Upper bound (uniform, triangular, pert).
    pub max: Option<f64>,
}

/// Text people read: a string, or a table of languages such as
/// { en = "Stage-gated", fr = "Par étapes" } (English required, French optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawText {
    /// English (or the only) text.
    pub en: String,
    /// French text, if given.
    pub fr: Option<String>,
}

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = RawText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a string, or a table of languages such as { en = \"Stage-gated\", fr = \"Par étapes\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawText, E> {
                Ok(RawText {
                    en: v.to_string(),
                    fr: None,
                })
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawText, A::Error> {
                let (mut en, mut fr) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "en" => &mut en,
                        "fr" => &mut fr,
                        _ => return Err(de::Error::unknown_field(&key, &["en", "fr"])),
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format_args!("`{key}` given twice")));
                    }
                    *slot = Some(map.next_value::<String>()?);
                }
                let en = en.ok_or_else(|| de::Error::missing_field("en"))?;
                Ok(RawText { en, fr })
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawText {
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string, or a table of languages: { en = \"...\", fr = \"...\" } (English required; French reports fall back to it).",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": { "en": { "type": "string" }, "fr": { "type": "string" } },
                    "required": ["en"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// Either form of a distribution.
#[derive(Debug)]
pub enum RawDist {
    Number(f64),
    Table(RawDistTable),
}

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = RawDist;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a number, or a table such as { dist = \"lognormal\", median = 1e6, p90 = 3e6 }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDist, E> {
                Ok(RawDist::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDist, E> {
                Ok(RawDist::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDist, E> {
                Ok(RawDist::Number(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawDist, A::Error> {
                RawDistTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawDist::Table)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawDist {
    fn schema_name() -> Cow<'static, str> {
        "Distribution".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let table = generator.subschema_for::<RawDistTable>();
        json_schema!({
            "description": "A number (constant) or a distribution table such as { dist = \"lognormal\", median = 1e6, p90 = 3e6 }.",
            "anyOf": [{ "type": "number" }, table]
        })
    }
}
