//! budgetsim's integration tests, linked into one test binary.
//!
//! Every test file links polars, plotters and the engine; one binary instead of one per
//! file saves CI roughly half a gigabyte of disk and a link step per file. Each file is
//! a module here; `common` holds the helpers they share.

mod common;

mod analysis;
mod architecture;
mod browser;
mod calibration;
mod cli;
mod closed_form;
mod compare;
mod docs;
mod explain;
mod input;
mod install;
mod invariants;
mod languages;
mod mechanisms;
mod metamorphic;
mod optimise;
mod outputs;
mod projects;
mod report;
mod reproduce;
mod safety;
mod sensitivity;
mod shards;
mod sobol;
mod spreadsheet;
mod sweep;
