//! Errors about scenario input: where the problem is (file, line, column, field path)
//! and what to change. Every one of them maps to exit code 2.

use std::fmt;

/// A position in a scenario source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File path as the user gave it, or `--set PATH=VALUE` for command-line overrides.
    pub source: String,
    /// 1-based line, when the source is a file.
    pub line: Option<usize>,
    /// 1-based column, when the source is a file.
    pub column: Option<usize>,
}

/// One problem in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Where the offending value (or its nearest enclosing table) is written.
    pub location: Option<Location>,
    /// Dotted field path, e.g. `models.stage_gated.stages.0.duration_months`.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to change, when we can say.
    pub help: Option<String>,
}

/// All the problems found in one scenario (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The problems, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// An error about a whole source (unreadable file, missing `extends` target).
    pub fn source(source: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            diagnostics: vec![Diagnostic {
                location: Some(Location {
                    source: source.into(),
                    line: None,
                    column: None,
                }),
                path: None,
                message: message.into(),
                help: None,
            }],
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.path) {
            (Some(l), Some(p)) => write!(f, "{l}: field `{p}`: {}", self.message)?,
            (Some(l), None) => write!(f, "{l}: {}", self.message)?,
            (None, Some(p)) => write!(f, "field `{p}`: {}", self.message)?,
            (None, None) => write!(f, "{}", self.message)?,
        }
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 2).max(2) || c.contains(word))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name() {
        let names = ["portfolios", "seed", "horizon_months", "discount_rate"];
        assert_eq!(nearest("portfolio", &names), Some("portfolios"));
        assert_eq!(nearest("horizon", &names), Some("horizon_months"));
        assert_eq!(nearest("zzzzzzzzzzzz", &names), None);
    }
}
