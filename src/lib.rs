//! budgetsim: a Monte Carlo engine comparing waterfall and stage-gated funding of
//! government digital services.
//!
//! Data flows one way: [`scenario`] (TOML -> validated [`model::Scenario`]) ->
//! [`engine`] (portfolios in parallel) -> [`metrics`] (per-portfolio outcomes) ->
//! [`analysis`] (statistics, paired differences) -> [`export`] (table, JSON).
//! [`sensitivity`], [`explain`] and [`calibration`] drive the engine for those commands.

pub mod analysis;
pub mod app;
pub mod calibration;
pub mod cli;
pub mod engine;
pub mod explain;
pub mod export;
pub mod metrics;
pub mod model;
pub mod optimise;
pub mod report;
pub mod scenario;
pub mod sensitivity;
