//! The validated scenario: plain data the engine runs on, holding only legal values.
//!
//! `scenario::load` builds a [`Scenario`] from a TOML file; everything here has passed
//! validation, so the engine never re-checks ranges. Funding models are data (ordered
//! stages plus rules): waterfall is a one-stage model, not a code path.

pub mod distribution;
pub mod text;

pub use text::{Lang, Text};

pub use distribution::Dist;

/// A whole scenario: simulation settings, fund, ideas, risk, market and funding models.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short human name, shown in tables and reports.
    pub name: Text,
    /// Free text describing what the scenario represents.
    pub description: Text,
    /// The classification line reports carry (default "Unclassified / Non classifié").
    pub classification: Text,
    /// Monte Carlo settings.
    pub simulation: Simulation,
    /// The fund's budget and intake pipeline.
    pub fund: Fund,
    /// How candidate ideas are drawn.
    pub ideas: Ideas,
    /// Delivery risk: overruns, slips, drift and escalation.
    pub risk: Risk,
    /// The vendor market.
    pub vendors: Vendors,
    /// Funding models to compare, in file order (at least one).
    pub models: Vec<FundingModel>,
}

/// Monte Carlo settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Number of portfolios (replications) to simulate.
    pub portfolios: u64,
    /// Master seed; every random stream is keyed from it.
    pub seed: u64,
    /// Length of the fund's life, months.
    pub horizon_months: f64,
    /// Annual discount rate applied to delivered value (0.035 = 3.5% a year).
    pub discount_rate: f64,
}

/// The fund: money and the intake of ideas over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Fund {
    /// Total budget for the horizon, dollars.
    pub budget: f64,
    /// Months between intake rounds.
    pub intake_every_months: f64,
    /// Number of intake rounds (rounds at or after the horizon are not held).
    pub intake_rounds: u32,
    /// New ideas arriving at each round.
    pub ideas_per_round: u32,
}

/// How candidate ideas are drawn (each idea's fundamentals are shared by all models).
#[derive(Debug, Clone, PartialEq)]
pub struct Ideas {
    /// Probability that an idea meets a real user need (share 0..1).
    pub fit_probability: f64,
    /// Log of value if delivered in full: mean of ln(dollars).
    pub log_value_mean: f64,
    /// Log of value: standard deviation (ln scale).
    pub log_value_sd: f64,
    /// Planned cost of the whole project, dollars.
    pub planned_cost: Dist,
    /// Planned duration of the whole project, months.
    pub planned_duration_months: Dist,
    /// Standard deviation of the business-case error on log value (0 = perfect, inf = none).
    pub business_case_noise: f64,
    /// Spread of solution quality between vendors' attempts on one idea (ln scale): an
    /// attempt is worth the idea's value times exp(solution_sd z - solution_sd^2 / 2).
    pub solution_sd: f64,
}

/// Delivery risk of contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    /// Median of the lognormal whose part below the tail start (1 + `tail_min`) is the
    /// body of the cost-overrun multiplier, at the reference duration.
    pub overrun_median: f64,
    /// Log-scale spread of that lognormal at the reference duration.
    pub overrun_log_sd: f64,
    /// Probability that a contract of the reference duration is a black swan (0..1).
    pub black_swan_probability: f64,
    /// Where the black-swan tail begins (0.25 = +25%): black swans overrun by more,
    /// every other contract by less.
    pub tail_min: f64,
    /// Pareto exponent of the black-swan cost multiplier 1 + overrun (> 0; at or below
    /// 1 for IT).
    pub tail_alpha: f64,
    /// Largest black-swan overrun (truncation, e.g. 9.3 = +930%).
    pub tail_max: f64,
    /// Schedule overrun of a black swan per unit of its cost overrun.
    pub tail_schedule_ratio: f64,
    /// Median of the body schedule multiplier (1.2 = 20% late) at the reference duration.
    pub schedule_median: f64,
    /// Log-scale spread of the body schedule multiplier at the reference duration.
    pub schedule_log_sd: f64,
    /// Correlation between log cost overrun and log schedule slip in the body (-1..1).
    pub schedule_correlation: f64,
    /// Share of log cost-overrun variance common to all contracts of one idea (0..1).
    pub idea_correlation: f64,
    /// Contract duration at which the figures above apply, months.
    pub reference_duration_months: f64,
    /// Exponent of the duration effect: spread and black-swan odds scale with
    /// (duration / reference)^exponent. 0 turns the effect off.
    pub duration_exponent: f64,
    /// Half-life of value while requirements stay frozen, months (inf = no drift).
    pub requirements_half_life_months: f64,
    /// Share of already built scope (0..1) that a gate reworks: that share's requirements
    /// become fresh again at the gate and the next stage pays to rebuild it; the rest
    /// keeps ageing from when its requirements were fixed. Scope not yet built is always
    /// re-planned.
    pub gate_rework_share: f64,
    /// A contract is cancelled when its work cost passes this multiple of plan (inf = never).
    pub escalation_cap: f64,
}

/// The vendor market of a portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct Vendors {
    /// Number of large vendors.
    pub large: u32,
    /// Number of small vendors (small firms, start-ups, non-profits).
    pub small: u32,
    /// Largest contract (planned work cost, dollars) a small vendor can take.
    pub small_contract_cap: f64,
    /// Probability that an eligible vendor bids on a contract (0..1).
    pub bid_probability: f64,
    /// Markup with a single bid; with n bids the markup is markup / n (share of cost).
    pub markup: f64,
    /// Markup of a sole-source award (no bids).
    pub sole_source_markup: f64,
    /// Markup on overrun work after award, when there is no competition (share of cost).
    pub overrun_markup: f64,
    /// Extra chance that a bidding incumbent wins a re-competition (0..1).
    pub incumbent_advantage: f64,
    /// Cost of changing vendor, as a share of spend to date on the project (0..1+).
    pub switching_cost_share: f64,
}

impl Vendors {
    /// Total number of vendors; large vendors come first in index order.
    pub fn count(&self) -> usize {
        (self.large + self.small) as usize
    }

    /// Whether vendor `v` is small.
    pub fn is_small(&self, v: usize) -> bool {
        v >= self.large as usize
    }
}

/// When a funding model commits money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commitment {
    /// The whole project (all remaining stages) is committed at selection; kills free the rest.
    Project,
    /// One stage at a time.
    Stage,
}

/// In what order ideas that pass their hurdle are funded when money is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Best expected value per expected dollar first ("rank and fund").
    Rank,
    /// In arrival order (idea id), whatever their expected return.
    Arrival,
}

/// What a model's decisions read as the cost (and timing) of the work ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostBasis {
    /// The plan as written: planned work cost, scaled by the overrun seen so far; value
    /// neither discounted nor drifted.
    Planned,
    /// Reference-class forecasting: the plan uplifted by what the scenario's own risk
    /// model and market say to expect (overruns, markups, procurement and gate
    /// overheads), and value reduced by the expected delay (drift, discounting) and the
    /// chance of cancellation.
    ReferenceClass,
}

/// Which ideas a decision point funds first when money is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipeline {
    /// Ideas already in the pipeline (at a gate or held) come before new starts, and
    /// when one of them cannot be paid for nothing ranked after it starts: the money
    /// that comes back is kept for it.
    FinishFirst,
    /// One ranked list of continuing and new ideas; whatever fits is started, so a
    /// cheap new start may take money an idea at a later gate is waiting for.
    FirstFit,
}

/// Money set aside for later stages when an idea passes a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    /// Nothing: each stage competes for money when it is due.
    None,
    /// The next stage's expected commitment.
    NextStage,
    /// Every remaining stage's expected commitment.
    Plan,
}

/// A model's place in the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A way of funding the fund is compared against; the strongest baseline (highest
    /// mean net value) is the one a challenger must beat.
    Baseline,
    /// A funding rule under test.
    Challenger,
}

/// How much work a stage is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StageScope {
    /// A share of the idea's planned cost.
    Share(f64),
    /// A fixed planned cost, dollars, whatever the idea.
    Fixed(f64),
}

/// How long a stage is planned to take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StageDuration {
    /// A share of the idea's planned duration.
    Share(f64),
    /// Fixed months.
    Months(f64),
}

/// One stage of a funding model.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Name (e.g. "discovery"); the English is its identifier in outputs.
    pub name: Text,
    /// Planned cost of the stage.
    pub scope: StageScope,
    /// Planned duration of the stage.
    pub duration: StageDuration,
    /// Standard deviation of the stage's signal on log value (inf = learns nothing).
    pub signal_noise: f64,
    /// Probability that the stage reveals a misfit (0..1).
    pub misfit_detection: f64,
    /// Share of the idea's value released when the stage ends; ignored for the last stage,
    /// which releases whatever earlier stages did not.
    pub value_share: f64,
    /// Whether the stage's contract is competed again (stage 0 is always competed).
    pub recompete: bool,
    /// Hurdle to enter this stage: expected value >= hurdle x expected remaining cost.
    pub hurdle: f64,
    /// Vendors working on the idea in parallel in this stage (1 or more); never more than
    /// the stage before, whose best attempts (by signal) carry on.
    pub attempts: usize,
}

/// A funding model: ordered stages plus rules.
#[derive(Debug, Clone, PartialEq)]
pub struct FundingModel {
    /// Identifier (the TOML table key).
    pub name: String,
    /// Display label.
    pub label: Text,
    /// Stages in order; the first starts at selection.
    pub stages: Vec<Stage>,
    /// When money is committed.
    pub commitment: Commitment,
    /// Order of funding among ideas that pass their hurdle.
    pub selection: Selection,
    /// Contingency committed on top of each contract price (share, 0.1 = 10%).
    pub contingency: f64,
    /// Cost of the review at each gate between stages, dollars.
    pub gate_review_cost: f64,
    /// Months from a stage's end to its gate decision.
    pub gate_delay_months: f64,
    /// Cost of running a competition, dollars.
    pub procurement_cost: f64,
    /// Months from a decision to the start of a competed contract.
    pub procurement_delay_months: f64,
    /// What decisions read as the cost of the work ahead.
    pub cost_basis: CostBasis,
    /// Continuing ideas first, or one ranked list.
    pub pipeline: Pipeline,
    /// Money set aside for later stages at a gate pass (under `Commitment::Stage`).
    pub reserve: Reserve,
    /// Most ideas started at one intake round (None: no cap).
    pub max_starts_per_round: Option<u32>,
    /// Baseline or challenger in the comparison.
    pub role: Role,
}

impl FundingModel {
    /// Planned cost of stage `k` for an idea with planned cost `cost`, dollars.
    pub fn stage_cost(&self, k: usize, cost: f64) -> f64 {
        match self.stages[k].scope {
            StageScope::Share(s) => s * cost,
            StageScope::Fixed(c) => c,
        }
    }

    /// Planned work of stage `k`, dollars: its own scope plus, after a gate, the rework
    /// of built scope the gate re-planned (`rework` x the planned cost of the stages
    /// before it): a gate that makes built requirements fresh pays to rebuild them.
    pub fn stage_work(&self, k: usize, cost: f64, rework: f64) -> f64 {
        let own = self.stage_cost(k, cost);
        if k == 0 || rework == 0.0 {
            return own;
        }
        own + rework * (0..k).map(|j| self.stage_cost(j, cost)).sum::<f64>()
    }

    /// [`FundingModel::stage_work`] of every stage in turn, k = 0, 1, ...: the scope
    /// before each stage is summed as it goes, in the order `stage_work` sums it (from
    /// -0.0, as `Sum` does), so each value is the same to the bit at a cost linear in
    /// the stages rather than quadratic.
    pub fn stage_works(&self, cost: f64, rework: f64) -> impl Iterator<Item = f64> + '_ {
        let mut before = -0.0f64;
        (0..self.stages.len()).map(move |k| {
            let own = self.stage_cost(k, cost);
            let work = if k == 0 || rework == 0.0 {
                own
            } else {
                own + rework * before
            };
            before += own;
            work
        })
    }

    /// Planned duration of stage `k` for an idea with planned duration `months`.
    pub fn stage_duration(&self, k: usize, months: f64) -> f64 {
        match self.stages[k].duration {
            StageDuration::Share(s) => s * months,
            StageDuration::Months(m) => m,
        }
    }
}

/// The comparison a run leads with, as (baseline, challenger) model indexes: the
/// strongest baseline (highest mean net value among models with
/// [`Role::Baseline`]) and the best challenger by the same measure. Without a
/// challenger the best other model stands in; a lone model is compared with itself.
/// `mean_net(i)` is model i's mean net value; ties go to the earlier model.
pub fn headline_pair(models: &[FundingModel], mean_net: impl Fn(usize) -> f64) -> (usize, usize) {
    let best = |keep: &dyn Fn(usize) -> bool| {
        (0..models.len())
            .filter(|&i| keep(i))
            .fold(None, |best: Option<usize>, i| match best {
                Some(b) if mean_net(b) >= mean_net(i) || mean_net(i).is_nan() => Some(b),
                _ => Some(i),
            })
    };
    let baseline = best(&|i| models[i].role == Role::Baseline).unwrap_or(0);
    let challenger = best(&|i| models[i].role == Role::Challenger)
        .or_else(|| best(&|i| i != baseline))
        .unwrap_or(baseline);
    (baseline, challenger)
}
