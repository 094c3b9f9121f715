//! Per-portfolio outcomes: the metric vocabulary (names, units, which way is better) and
//! the compact record the engine hands to the analysis for each portfolio and model.

use serde::Serialize;

/// Which direction of a metric a funding rule wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Larger values are better (value, access).
    Higher,
    /// Smaller values are better (waste, lock-in, delay).
    Lower,
    /// Neither: a count or a level that is context (spend).
    Neither,
}

/// What a metric counts, which decides how it is written (money, percentage, months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Dollars (money).
    Dollars,
    /// A share between 0 and 1, written as a percentage.
    Share,
    /// A ratio (value per dollar).
    Ratio,
    /// A number of ideas.
    Count,
    /// Months.
    Months,
    /// An index (Herfindahl-Hirschman, 0 to 10,000).
    Index,
}

/// Where a metric is shown to people, from most to least prominent; each place shows
/// its own tier and every tier above it, in report order ([`Metric::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shown {
    /// The key metrics: the headline chart's panels and the sweep charts (six).
    Key,
    /// Also in the report's headline table.
    Table,
    /// Also in the table printed in the terminal.
    Terminal,
    /// Only in the data files (CSV, Parquet, summary).
    Files,
}

macro_rules! metrics {
    ($( $variant:ident => $name:literal, $unit:literal, $better:ident, $shown:ident, $doc:literal; )*) => {
        /// Every metric reported per portfolio and funding model.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric {
            $( #[doc = $doc] $variant, )*
        }

        impl Metric {
            /// All metrics in report order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];

            /// Column name, exactly as in outputs.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name,)* }
            }

            /// Unit of the metric, as written in outputs.
            pub fn unit(self) -> &'static str {
                match self { $(Metric::$variant => $unit,)* }
            }

            /// What the metric counts (decides its formatting).
            pub fn kind(self) -> Unit {
                let unit = self.unit();
                if unit.starts_with("dollars") {
                    Unit::Dollars
                } else if unit.starts_with("share") {
                    Unit::Share
                } else if unit == "months" {
                    Unit::Months
                } else if unit == "count" {
                    Unit::Count
                } else if unit.starts_with("index") {
                    Unit::Index
                } else {
                    Unit::Ratio
                }
            }

            /// Which direction is better.
            pub fn better(self) -> Better {
                match self { $(Metric::$variant => Better::$better,)* }
            }

            /// Where people see the metric (every metric is in the data files).
            pub fn shown(self) -> Shown {
                match self { $(Metric::$variant => Shown::$shown,)* }
            }

            /// One-line definition.
            pub fn description(self) -> &'static str {
                match self { $(Metric::$variant => $doc,)* }
            }
        }
    };
}

metrics! {
    Spend => "spend", "dollars", Neither, Table,
        "Money paid out by the horizon: contract costs accrued to date plus gate, procurement and switching overheads.";
    CommittedUnspent => "committed_unspent", "dollars", Neither, Files,
        "Money committed to running contracts and project reserves but not yet paid at the horizon.";
    Wip => "wip", "dollars", Neither, Files,
        "Spend on ideas still running (in a stage, at a gate or waiting for money) at the horizon.";
    DeliveredSpend => "delivered_spend", "dollars", Neither, Files,
        "Spend on ideas that ended having released value.";
    DeliveredValue => "delivered_value", "dollars (present value at month 0)", Higher, Key,
        "Value released by the horizon, after requirements drift, discounted to month 0.";
    NetValue => "net_value", "dollars", Higher, Key,
        "delivered_value minus spend.";
    ValuePerDollar => "value_per_dollar", "ratio", Higher, Files,
        "delivered_value divided by spend (undefined when nothing is spent).";
    Waste => "waste", "dollars", Lower, Key,
        "Spend on ideas that ended without value: killed or cancelled before any release, or delivered misfits.";
    WasteShare => "waste_share", "share 0..1", Lower, Table,
        "waste divided by spend.";
    Overhead => "overhead", "dollars", Lower, Table,
        "Gate reviews, procurement and vendor switching costs paid (already part of spend).";
    StrandedSpend => "stranded_spend", "dollars", Lower, Table,
        "Spend on ideas stranded for lack of money: held at a gate at the horizon, or dropped because the fund could never pay for their next stage.";
    IdeasConsidered => "ideas_considered", "count", Neither, Files,
        "Ideas that arrived at intake rounds before the horizon.";
    IdeasStarted => "ideas_started", "count", Neither, Terminal,
        "Ideas whose first stage was funded.";
    IdeasKilled => "ideas_killed", "count", Neither, Terminal,
        "Ideas stopped at a gate between stages.";
    IdeasCancelled => "ideas_cancelled", "count", Lower, Files,
        "Ideas whose contract passed the escalation cap and was cancelled.";
    IdeasHeld => "ideas_held", "count", Lower, Table,
        "Ideas that passed a gate but had to wait for money at least once.";
    IdeasDelivered => "ideas_delivered", "count", Higher, Table,
        "Ideas that completed their last stage.";
    MisfitsDelivered => "misfits_delivered", "count", Lower, Files,
        "Delivered ideas that meet no real user need (worth nothing).";
    MonthsToFirstValue => "months_to_first_value", "months", Lower, Key,
        "Month of the first value release in the portfolio; the horizon when nothing is released (censored).";
    MeanMonthsToValue => "mean_months_to_value", "months", Lower, Files,
        "Mean over ideas that released value of months from arrival to their first release.";
    CostOverrun => "cost_overrun", "share (0.27 = +27%)", Lower, Terminal,
        "Finished contracts: total actual cost over total awarded price, minus 1.";
    ScheduleSlip => "schedule_slip", "share (0.24 = +24%)", Lower, Files,
        "Finished contracts: total actual months over total planned months, minus 1.";
    LockinExposure => "lockin_exposure", "share of spend", Lower, Key,
        "Cost to change vendor on delivered and running ideas (switching share x their spend) over spend.";
    VendorHhi => "vendor_hhi", "index 0..10000", Lower, Terminal,
        "Herfindahl-Hirschman index of vendors' shares of vendor spend (contracts and switching; above 2500: highly concentrated).";
    SmallVendorShare => "small_vendor_share", "share 0..1", Higher, Key,
        "Share of vendor spend (contracts and switching) paid to small vendors.";
    SoleSourceShare => "sole_source_share", "share 0..1", Lower, Files,
        "Share of vendor spend on contracts awarded with no bids.";
    LargestContractShare => "largest_contract_share", "share of budget", Lower, Table,
        "Largest awarded contract price as a share of the fund's budget.";
}

impl Shown {
    /// The metrics shown in this place, in report order.
    pub fn metrics(self) -> impl Iterator<Item = Metric> {
        Metric::ALL
            .iter()
            .copied()
            .filter(move |m| m.shown() <= self)
    }
}

/// Number of metrics.
pub const METRIC_COUNT: usize = Metric::ALL.len();

impl Metric {
    /// Looks a metric up by its column name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }
}

/// What happened at one stage of one portfolio under one model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageOutcome {
    /// Ideas that started the stage.
    pub entered: u32,
    /// Ideas that went on: entered the next stage (or, for the last stage, were delivered).
    pub passed: u32,
    /// Ideas stopped at the gate after the stage.
    pub killed: u32,
    /// Ideas whose contract for this stage was cancelled at the escalation cap.
    pub cancelled: u32,
    /// Spend on the stage by the horizon (contracts and overheads), dollars.
    pub spend: f64,
    /// Total actual months of the stage's contracts that finished by the horizon.
    pub months: f64,
    /// Number of the stage's contracts that finished by the horizon.
    pub finished: u32,
}

/// One portfolio under one funding model: every metric, per-stage counts and the
/// cumulative spend and value month by month.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Metric values indexed by `Metric as usize`.
    pub values: [f64; METRIC_COUNT],
    /// One entry per stage of the model.
    pub stages: Vec<StageOutcome>,
    /// Cumulative spend paid by month 0, 1, ..., floor(horizon), dollars.
    pub spend_by_month: Vec<f32>,
    /// Cumulative delivered value (discounted) released by each month, dollars.
    pub value_by_month: Vec<f32>,
}

impl Outcome {
    /// Value of one metric.
    pub fn get(&self, m: Metric) -> f64 {
        self.values[m as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_place_shows_its_tier_and_every_tier_above() {
        // The headline chart is a 2 x 3 grid: exactly six key metrics.
        assert_eq!(Shown::Key.metrics().count(), 6);
        let key: Vec<Metric> = Shown::Key.metrics().collect();
        let table: Vec<Metric> = Shown::Table.metrics().collect();
        let terminal: Vec<Metric> = Shown::Terminal.metrics().collect();
        assert!(key.iter().all(|m| table.contains(m)));
        assert!(table.iter().all(|m| terminal.contains(m)));
        assert_eq!(Shown::Files.metrics().count(), METRIC_COUNT);
        // A key metric is one a funding rule wants to move one way.
        assert!(key.iter().all(|m| m.better() != Better::Neither));
        assert!(key.contains(&Metric::NetValue) && terminal.contains(&Metric::Spend));
    }
}
