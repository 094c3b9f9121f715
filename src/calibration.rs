//! Calibration: runs the shipped presets and sets what they simulate beside the
//! published figures they are meant to reproduce (written to docs/calibration.md by
//! `budgetsim calibrate`, checked by tests/suite/calibration.rs).

use std::path::Path;

use crate::analysis::stats::quantile_sorted;
use crate::engine::{self, Detail, ProjectRecord, Results};
use crate::metrics::Metric;
use crate::model::Scenario;
use crate::scenario::{self, ScenarioError};

/// Portfolios per preset used for docs/calibration.md.
pub const PORTFOLIOS: u64 = 2000;

/// One published figure and what a preset simulates for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Scenario file, in scenarios/.
    pub preset: &'static str,
    /// Funding model measured (its key).
    pub model: &'static str,
    /// What is measured.
    pub figure: &'static str,
    /// The published figure.
    pub published: &'static str,
    /// Where it comes from.
    pub source: &'static str,
    /// Accepted range of the simulated value (inclusive).
    pub low: f64,
    /// Upper end of the accepted range.
    pub high: f64,
    /// Simulated value.
    pub value: f64,
    /// How the value is written.
    pub unit: Unit,
    /// Number of projects or ideas the value is measured on.
    pub n: usize,
}

/// How a calibration value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A change as a signed percentage (0.27 -> +27.0%).
    Change,
    /// A share as a percentage (0.1667 -> 16.7%).
    Share,
    /// A count.
    Count,
}

impl Unit {
    fn show(self, x: f64) -> String {
        match self {
            Unit::Change => format!("{:+.1}%", 100.0 * x),
            Unit::Share => format!("{:.1}%", 100.0 * x),
            Unit::Count => format!("{x:.0}"),
        }
    }
}

impl Check {
    /// Whether the simulated value is in the accepted range.
    pub fn passes(&self) -> bool {
        (self.low..=self.high).contains(&self.value)
    }
}

const HBR: &str = "Flyvbjerg & Budzier, HBR 2011";
const PUBLIC_IT: &str = "Budzier & Flyvbjerg, arXiv 1304.4525";

fn load(dir: &Path, preset: &str, portfolios: u64) -> Result<Scenario, ScenarioError> {
    let mut s = scenario::load_file(&dir.join(preset), &[])?.scenario;
    s.simulation.portfolios = portfolios;
    Ok(s)
}

fn model_index(s: &Scenario, preset: &str, name: &str) -> Result<usize, ScenarioError> {
    s.models.iter().position(|m| m.name == name).ok_or_else(|| {
        ScenarioError::source(
            preset,
            format!("calibration needs a funding model named `{name}`; keep [models.{name}]"),
        )
    })
}

fn projects_of(r: &Results, m: usize) -> Vec<&ProjectRecord> {
    r.projects.iter().filter(|p| p.model == m).collect()
}

/// Sum of `metric` over every portfolio of model `m`.
fn total(r: &Results, m: usize, metric: Metric) -> f64 {
    r.outcomes[m].iter().map(|o| o.get(metric)).sum()
}

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

/// Runs every calibration check on the presets in `dir` with `portfolios` each.
pub fn run(dir: &Path, portfolios: u64) -> Result<Vec<Check>, ScenarioError> {
    let mut checks = Vec::new();

    // Waterfall baseline: every project the waterfall model started.
    let preset = "waterfall-baseline.toml";
    let s = load(dir, preset, portfolios)?;
    let m = model_index(&s, preset, "waterfall")?;
    let r = engine::run_with_progress(&s, 0..portfolios, Detail::Projects, &|_| {});
    let projects = projects_of(&r, m);
    let overrun: Vec<f64> = projects
        .iter()
        .map(|p| p.project.actual_cost / p.project.planned_cost - 1.0)
        .collect();
    let slip: Vec<f64> = projects
        .iter()
        .map(|p| p.project.actual_months / p.project.planned_months - 1.0)
        .collect();
    let swans: Vec<f64> = projects
        .iter()
        .zip(&overrun)
        .filter(|(p, _)| p.project.black_swan)
        .map(|(_, o)| *o)
        .collect();
    let n = projects.len();
    let base = |figure, published, source, low, high, value, unit, n| Check {
        preset: "waterfall-baseline.toml",
        model: "waterfall",
        figure,
        published,
        source,
        low,
        high,
        value,
        unit,
        n,
    };
    checks.push(base(
        "mean cost overrun per project",
        "+27%",
        HBR,
        0.22,
        0.32,
        mean(&overrun),
        Unit::Change,
        n,
    ));
    checks.push(base(
        "share of projects that are black swans",
        "1 in 6 (16.7%)",
        HBR,
        1.0 / 6.0 - 0.03,
        1.0 / 6.0 + 0.03,
        swans.len() as f64 / n.max(1) as f64,
        Unit::Share,
        n,
    ));
    checks.push(base(
        "mean cost overrun of black swans",
        "+200%",
        HBR,
        1.6,
        2.4,
        mean(&swans),
        Unit::Change,
        swans.len(),
    ));
    checks.push(base(
        "median cost overrun per project",
        "0% (accepted: -5% to +10%)",
        PUBLIC_IT,
        -0.05,
        0.10,
        quantile_sorted(&sorted(overrun), 0.5),
        Unit::Change,
        n,
    ));
    checks.push(base(
        "median schedule overrun per project",
        "+24%",
        PUBLIC_IT,
        0.16,
        0.32,
        quantile_sorted(&sorted(slip), 0.5),
        Unit::Change,
        n,
    ));

    // US 10x: the share of ideas in a phase that go on to the next.
    let preset = "us-10x.toml";
    let s = load(dir, preset, portfolios)?;
    let m = model_index(&s, preset, "stage_gated")?;
    let r = engine::run(&s, 0..portfolios);
    let entered = |k: usize| -> f64 {
        r.outcomes[m]
            .iter()
            .map(|o| o.stages.get(k).map_or(0.0, |st| f64::from(st.entered)))
            .sum()
    };
    for (k, figure) in [
        (0, "share of phase-1 ideas going on to phase 2"),
        (1, "share of phase-2 ideas going on to phase 3"),
    ] {
        checks.push(Check {
            preset,
            model: "stage_gated",
            figure,
            published: "\"only one third advance past any particular phase\" (accepted: 25% to 42%)",
            source: "GSA-TTS/10x-website, pages/process.md",
            low: 0.25,
            high: 0.42,
            value: entered(k + 1) / entered(k).max(1.0),
            unit: Unit::Share,
            n: entered(k) as usize,
        });
    }

    // US 10x: the share of submitted ideas funded for phase 1. The two published years
    // bracket it: FY21 22 of 250 (8.8%), FY22 25 of 181 (13.8%).
    let considered = total(&r, m, Metric::IdeasConsidered);
    checks.push(Check {
        preset,
        model: "stage_gated",
        figure: "share of submitted ideas funded for phase 1",
        published: "FY21: 22 of 250 (8.8%); FY22: 25 of 181 (13.8%) (accepted: 8% to 15%)",
        source: "GSA-TTS/10x-website, reports/fy21-impact-report and about/what-we-do.md",
        low: 0.08,
        high: 0.15,
        value: entered(0) / considered.max(1.0),
        unit: Unit::Share,
        n: considered as usize,
    });

    // UK GovTech Catalyst: suppliers per challenge in build.
    let preset = "uk-govtech-catalyst.toml";
    let s = load(dir, preset, portfolios)?;
    let m = model_index(&s, preset, "stage_gated")?;
    let r = engine::run_with_progress(&s, 0..portfolios, Detail::Projects, &|_| {});
    let build: Vec<f64> = projects_of(&r, m)
        .iter()
        .filter(|p| p.project.stages_entered >= 2)
        .map(|p| p.project.attempts as f64)
        .collect();
    checks.push(Check {
        preset,
        model: "stage_gated",
        figure: "most suppliers on one challenge in build",
        published: "up to 2",
        source: "gov.uk, How to submit a GovTech Catalyst challenge",
        low: 1.0,
        high: 2.0,
        value: build.iter().copied().fold(0.0, f64::max),
        unit: Unit::Count,
        n: build.len(),
    });
    // Challenge selection: round 3 took 5 of 17 challenges put forward. One round of
    // 17 is a small sample (a binomial sd of 11 points), hence the wide range.
    let considered = total(&r, m, Metric::IdeasConsidered);
    checks.push(Check {
        preset,
        model: "stage_gated",
        figure: "share of challenges put forward that are selected",
        published: "round 3: 5 of 17 (29%) (accepted: 20% to 38%)",
        source: "gov.uk, How to submit a GovTech Catalyst challenge; Leeds City Council decision record (2019)",
        low: 0.20,
        high: 0.38,
        value: total(&r, m, Metric::IdeasStarted) / considered.max(1.0),
        unit: Unit::Share,
        n: considered as usize,
    });
    Ok(checks)
}

/// docs/calibration.md: every check as a table row, with how to regenerate it.
pub fn markdown(checks: &[Check], portfolios: u64) -> String {
    let mut out = String::from(
        "# Calibration\n\n\
         What the shipped presets simulate, beside the published figures they are meant to\n\
         reproduce. Generated by `budgetsim calibrate --out docs/calibration.md`\n\
         (do not edit by hand); `tests/suite/calibration.rs` fails when a value leaves its accepted\n\
         range or when this file is out of date.\n\n",
    );
    out += &format!(
        "Each preset is run with {portfolios} portfolios at its own seed. Project figures are \
         per project started by the model named, with its outturn cost and duration (what \
         it costs and takes at completion, including projects still running at the horizon).\n\n"
    );
    out += "| preset | model | figure | published | source | simulated | accepted | n | ok |\n";
    out += "|---|---|---|---|---|---|---|---|---|\n";
    for c in checks {
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} to {} | {} | {} |\n",
            c.preset,
            c.model,
            c.figure,
            c.published,
            c.source,
            c.unit.show(c.value),
            c.unit.show(c.low),
            c.unit.show(c.high),
            c.n,
            if c.passes() { "yes" } else { "**no**" }
        );
    }
    out
}
