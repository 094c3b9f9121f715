//! The analysis as JSON for scripts: deterministic (no timings), NaN written as null.

use crate::analysis::Analysis;

/// Pretty JSON of the analysis.
pub fn to_string(a: &Analysis) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(a)
}
