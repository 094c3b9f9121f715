//! Serde mirror of the scenario TOML: field names and shapes exactly as users write them.
//!
//! Unknown fields are rejected here (the loader turns serde's message into a suggestion);
//! ranges and cross-field rules are checked later in `validate`.

use serde::{Deserialize, Deserializer, de};

/// The whole file, after `extends` and `--set` have been applied.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub simulation: RawSimulation,
    pub fund: RawFund,
    pub ideas: RawIdeas,
    pub risk: RawRisk,
    pub vendors: RawVendors,
    /// Model tables in file order; each is deserialized separately so its path is known.
    pub models: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub portfolios: i64,
    pub seed: i64,
    pub horizon_months: f64,
    pub discount_rate: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFund {
    pub budget: f64,
    pub intake_every_months: f64,
    pub intake_rounds: i64,
    pub ideas_per_round: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdeas {
    pub fit_probability: f64,
    pub value: RawDist,
    pub planned_cost: RawDist,
    pub planned_duration_months: RawDist,
    pub business_case_noise: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    pub overrun_median: f64,
    pub overrun_p90: f64,
    pub black_swan_probability: f64,
    pub tail_min: f64,
    pub tail_alpha: f64,
    pub tail_max: f64,
    pub tail_schedule_ratio: f64,
    pub schedule_median: f64,
    pub schedule_p90: f64,
    pub schedule_correlation: f64,
    pub idea_correlation: f64,
    pub reference_duration_months: f64,
    pub duration_exponent: f64,
    pub requirements_half_life_months: f64,
    pub escalation_cap: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVendors {
    pub large: i64,
    pub small: i64,
    pub small_contract_cap: f64,
    pub bid_probability: f64,
    pub markup: f64,
    pub sole_source_markup: f64,
    pub incumbent_advantage: f64,
    pub switching_cost_share: f64,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawCommitment {
    Project,
    Stage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub label: Option<String>,
    pub commitment: RawCommitment,
    pub contingency: f64,
    pub gate_review_cost: f64,
    pub gate_delay_months: f64,
    pub procurement_cost: f64,
    pub procurement_delay_months: f64,
    /// Default hurdle for every stage that does not set its own.
    pub hurdle: Option<f64>,
    pub stages: Vec<RawStage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub name: String,
    pub scope_share: Option<f64>,
    pub cost: Option<f64>,
    pub duration_share: Option<f64>,
    pub duration_months: Option<f64>,
    pub signal_noise: Option<f64>,
    pub misfit_detection: Option<f64>,
    pub value_share: Option<f64>,
    pub recompete: Option<bool>,
    pub hurdle: Option<f64>,
}

/// Distribution kinds as written in `dist = "..."`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDistTable {
    pub dist: Option<DistKind>,
    pub value: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
    pub cv: Option<f64>,
    pub sd: Option<f64>,
    pub min: Option<f64>,
    pub mode: Option<f64>,
    pub max: Option<f64>,
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
