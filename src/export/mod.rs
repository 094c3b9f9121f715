//! Exports: the terminal table and JSON on stdout, and the run folder (CSV, Parquet,
//! resolved scenario, manifest) written atomically.

pub mod cell;
pub mod folder;
pub mod json;
pub mod manifest;
pub mod reproduce;
pub mod rows;
pub mod run_folder;
pub mod tables;
pub mod xlsx;
