//! The compact comparison table printed after a run: headline metrics per model with
//! 95% CIs, then the paired differences of the best challenger against the strongest
//! baseline.

use std::fmt::Write;

use crate::analysis::Analysis;
use crate::metrics::{Metric, Shown};
use crate::report::i18n::Lang;
use crate::report::style;

fn summary_of(a: &Analysis, model: usize, m: Metric) -> Option<&crate::analysis::Summary> {
    a.models[model]
        .metrics
        .iter()
        .find(|s| s.metric == m.name())
        .map(|s| &s.summary)
}

/// Renders the table; `pair` is (strongest baseline, best challenger), whose paired
/// difference closes it.
pub fn render(a: &Analysis, pair: (usize, usize)) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}, seed {}\n",
        a.scenario,
        super::terminal::count(a.portfolios, "portfolio"),
        a.seed
    );
    // Columns as wide as the longest label, so long labels never run together.
    let longest = a
        .models
        .iter()
        .map(|m| m.label.chars().count())
        .max()
        .unwrap_or(0);
    let width = 34.max(longest + 2);
    let _ = write!(out, "{:<24}", "mean [95% CI]");
    for m in &a.models {
        let _ = write!(out, "{:>width$}", m.label);
    }
    out.push('\n');
    for metric in Shown::Terminal.metrics() {
        let _ = write!(out, "{:<24}", metric.name());
        for i in 0..a.models.len() {
            let cell = match summary_of(a, i, metric) {
                Some(s) if s.n > 0 => format!(
                    "{} [{}, {}]",
                    style::value(Lang::En, metric, s.mean),
                    style::value(Lang::En, metric, s.ci_low),
                    style::value(Lang::En, metric, s.ci_high)
                ),
                _ => "n/a".into(),
            };
            let _ = write!(out, "{cell:>width$}");
        }
        out.push('\n');
    }
    out.push_str(
        "\nStage funnel (mean ideas per portfolio: entering / killed at the gate after)\n",
    );
    for m in &a.models {
        let stages: Vec<String> = m
            .stages
            .iter()
            .map(|s| format!("{} {:.1} / {:.1}", s.stage, s.entered_mean, s.killed_mean))
            .collect();
        let _ = writeln!(
            out,
            "  {:<w$}{}",
            m.label,
            stages.join("  ->  "),
            w = 30.max(longest + 2)
        );
    }
    if a.models.len() < 2 {
        return out;
    }
    let baselines: Vec<usize> = (0..a.models.len())
        .filter(|&i| a.models[i].role == "baseline")
        .collect();
    let (b, c) = pair;
    let (base, other) = (&a.models[b], &a.models[c]);
    if baselines.len() > 1 {
        let _ = writeln!(
            out,
            "\nStrongest baseline: {} (highest mean net value of the {} baselines)",
            base.label,
            baselines.len()
        );
    }
    let _ = writeln!(
        out,
        "\n{} minus {} (paired over portfolios)",
        other.label, base.label
    );
    let _ = writeln!(
        out,
        "{:<24}{:>14}{:>28}{:>12}",
        "", "mean diff", "95% CI", "P(better)"
    );
    for metric in Shown::Terminal.metrics() {
        let Some(c) = a.comparisons.iter().find(|c| {
            c.model_a == other.model && c.model_b == base.model && c.metric == metric.name()
        }) else {
            continue;
        };
        let p = &c.paired;
        let prob = if metric.better() == crate::metrics::Better::Neither {
            "-".to_string()
        } else if p.prob_a_better.is_nan() {
            // Undefined in every portfolio (e.g. no contracts): as the other columns.
            "n/a".to_string()
        } else {
            format!("{:.2}", p.prob_a_better)
        };
        let _ = writeln!(
            out,
            "{:<24}{:>14}{:>28}{:>12}",
            metric.name(),
            style::diff(Lang::En, metric, p.mean_diff),
            format!(
                "[{}, {}]",
                style::diff(Lang::En, metric, p.ci_low),
                style::diff(Lang::En, metric, p.ci_high)
            ),
            prob
        );
    }
    out
}
