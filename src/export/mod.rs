//! Exports of an analysis: the terminal table and JSON on stdout.

pub mod format;
pub mod json;
pub mod table;
