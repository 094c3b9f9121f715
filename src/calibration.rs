//! Calibration: runs the shipped presets and sets what they simulate beside the
//! published figures they are meant to reproduce (written to docs/calibration.md by
//! `budgetsim calibrate`, checked by tests/suite/calibration.rs).

use std::path::Path;

use crate::analysis::stats::quantile_sorted;
use crate::engine::{self, Detail, ProjectRecord, Results};
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
    /// What the check proves: an input read back, or a figure that emerges.
    pub kind: Kind,
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
    /// Why the model's mechanisms do not reach the figure, when they do not: a miss
    /// stated instead of a parameter tuned to hide it. The test asserts that such a
    /// check still misses, so the note is revised when the model changes.
    pub miss: Option<&'static str>,
}

/// What a check proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads back a figure a parameter was set from: proves the sampler and the
    /// bookkeeping reproduce the input, nothing more.
    Input,
    /// No parameter was set from the figure: it follows from how mechanisms combine and
    /// would come out wrong if one of them were wrong.
    Emergent,
}

impl Kind {
    /// As written in the table.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Input => "input",
            Kind::Emergent => "emergent",
        }
    }
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
    /// A plain ratio (0.63).
    Ratio,
    /// A mean count (4.93).
    Mean,
}

impl Unit {
    fn show(self, x: f64) -> String {
        match self {
            Unit::Change => format!("{:+.1}%", 100.0 * x),
            Unit::Share => format!("{:.1}%", 100.0 * x),
            Unit::Count => format!("{x:.0}"),
            Unit::Ratio | Unit::Mean => format!("{x:.2}"),
        }
    }
}

impl Check {
    /// Whether the check came out as stated: in range, or out of range with its miss
    /// explained.
    pub fn as_expected(&self) -> bool {
        self.passes() != self.miss.is_some()
    }

    /// Whether the simulated value is in the accepted range.
    pub fn passes(&self) -> bool {
        (self.low..=self.high).contains(&self.value)
    }
}

const HBR: &str = "Flyvbjerg & Budzier, HBR 2011";
const PUBLIC_IT: &str = "Budzier & Flyvbjerg, arXiv 1304.4525";

fn load(dir: &Path, preset: &str, portfolios: u64) -> Result<Scenario, ScenarioError> {
    // Outside a checkout (an installed budgetsim) the presets are the embedded ones.
    let path = dir.join(preset);
    let mut s = match scenario::presets::find(preset) {
        Some(p) if !path.exists() => scenario::load_text(&p.label(), p.text, None, &[])?,
        _ => scenario::load_file(&path, &[])?,
    }
    .scenario;
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

/// Ideas model `m` started at each intake round, summed over portfolios.
fn starts_per_round(s: &Scenario, r: &Results, m: usize) -> Vec<f64> {
    let mut started = vec![0.0; s.fund.intake_rounds as usize];
    for p in projects_of(r, m) {
        let round = (p.project.arrival / s.fund.intake_every_months).round() as usize;
        if let Some(n) = started.get_mut(round) {
            *n += 1.0;
        }
    }
    started
}

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

/// Share of `xs` in `[lo, hi)`.
pub fn share(xs: &[f64], lo: f64, hi: f64) -> f64 {
    xs.iter().filter(|&&x| x >= lo && x < hi).count() as f64 / xs.len().max(1) as f64
}

/// Bands of overrun (from, to) whose density per unit of overrun should fall band by
/// band: the closed bands above the median of the shape checks.
pub const DECLINING_BANDS: [(f64, f64); 4] = [(0.0, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, 2.0)];

/// Largest ratio of one band's share per unit of overrun to the band before it, over
/// [`DECLINING_BANDS`]: below 1 when the density falls band by band.
pub fn density_rise(overrun: &[f64]) -> f64 {
    let per_unit: Vec<f64> = DECLINING_BANDS
        .iter()
        .map(|&(lo, hi)| share(overrun, lo, hi) / (hi - lo))
        .collect();
    per_unit
        .windows(2)
        .map(|w| w[1] / w[0])
        .fold(f64::NEG_INFINITY, f64::max)
}

const TAIL_LAW: &str =
    "Budzier & Flyvbjerg, arXiv 1304.4525; Flyvbjerg, Budzier et al., PMJ 2025; HBR 2011 (note 1)";

/// Runs every calibration check on the presets in `dir` with `portfolios` each.
pub fn run(dir: &Path, portfolios: u64) -> Result<Vec<Check>, ScenarioError> {
    Ok(run_with_overruns(dir, portfolios)?.0)
}

/// The waterfall baseline's checks and the cost overrun of every project its waterfall
/// model started (outturn cost / planned cost - 1).
fn waterfall(dir: &Path, portfolios: u64) -> Result<(Vec<Check>, Vec<f64>), ScenarioError> {
    let mut checks = Vec::new();
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
    let base = |figure, published, source, kind, (low, high), value, unit, n| Check {
        preset: "waterfall-baseline.toml",
        model: "waterfall",
        figure,
        published,
        source,
        kind,
        low,
        high,
        value,
        unit,
        n,
        miss: None,
    };
    checks.push(base(
        "mean cost overrun per project",
        "+27%",
        HBR,
        Kind::Input,
        (0.22, 0.32),
        mean(&overrun),
        Unit::Change,
        n,
    ));
    checks.push(base(
        "share of projects that are black swans",
        "1 in 6 (16.7%)",
        HBR,
        Kind::Input,
        (1.0 / 6.0 - 0.03, 1.0 / 6.0 + 0.03),
        swans.len() as f64 / n.max(1) as f64,
        Unit::Share,
        n,
    ));
    checks.push(base(
        "mean cost overrun of black swans",
        "+200%",
        HBR,
        Kind::Input,
        (1.6, 2.4),
        mean(&swans),
        Unit::Change,
        swans.len(),
    ));
    checks.push(base(
        "median cost overrun per project",
        "0% (accepted: -5% to +10%)",
        PUBLIC_IT,
        Kind::Input,
        (-0.05, 0.10),
        quantile_sorted(&sorted(overrun.clone()), 0.5),
        Unit::Change,
        n,
    ));
    checks.push(base(
        "median schedule overrun per project",
        "+24%",
        PUBLIC_IT,
        Kind::Input,
        (0.16, 0.32),
        quantile_sorted(&sorted(slip), 0.5),
        Unit::Change,
        n,
    ));

    // The shape of the overrun distribution, band by band.
    let inf = f64::INFINITY;
    for (figure, published, source, kind, (lo, hi), accepted) in [
        (
            "share of projects under budget (overrun below 0%)",
            "half (median 0%) (accepted: 45% to 60%)",
            PUBLIC_IT,
            Kind::Input,
            (-inf, 0.0),
            (0.45, 0.60),
        ),
        (
            "share overrunning by 0% to +25%",
            "32% to 33% (derived: the rest once half are under budget and 18%, or 1 in 6, above +25%) (accepted: 25% to 38%)",
            PUBLIC_IT,
            Kind::Emergent,
            (0.0, 0.25),
            (0.25, 0.38),
        ),
        (
            "share overrunning by more than +25%",
            "18% (1 in 6 in HBR 2011) (accepted: 14% to 20%)",
            PUBLIC_IT,
            Kind::Input,
            (0.25, inf),
            (0.14, 0.20),
        ),
        (
            "share overrunning by +25% to +50%",
            "2.7% to 3.4% (derived, note 1) (accepted: 2% to 4.5%)",
            TAIL_LAW,
            Kind::Emergent,
            (0.25, 0.5),
            (0.02, 0.045),
        ),
        (
            "share overrunning by +50% to +100%",
            "3.7% to 4.3% (derived, note 1) (accepted: 3% to 5.5%)",
            TAIL_LAW,
            Kind::Emergent,
            (0.5, 1.0),
            (0.03, 0.055),
        ),
        (
            "share overrunning by +100% to +200%",
            "4.0% to 4.4% (derived, note 1) (accepted: 3% to 5.5%)",
            TAIL_LAW,
            Kind::Emergent,
            (1.0, 2.0),
            (0.03, 0.055),
        ),
        (
            "share overrunning by more than +200%",
            "5.6% to 6.7% (derived, note 1) (accepted: 4.5% to 8%)",
            TAIL_LAW,
            Kind::Emergent,
            (2.0, inf),
            (0.045, 0.08),
        ),
        (
            "share overrunning by more than +50%",
            "18%, not fitted (note 2); the figures chosen imply 13.5% to 15% (accepted: 12% to 17%)",
            "Flyvbjerg & Gardner, How Big Things Get Done (2023)",
            Kind::Emergent,
            (0.5, inf),
            (0.12, 0.17),
        ),
    ] {
        checks.push(base(
            figure,
            published,
            source,
            kind,
            accepted,
            share(&overrun, lo, hi),
            Unit::Share,
            n,
        ));
    }
    checks.push(base(
        "density per unit of overrun: largest ratio of a band to the band before it (0% to +25%, +25% to +50%, +50% to +100%, +100% to +200%)",
        "below 1: the density falls band by band above the median, with no hole (accepted: up to 0.95)",
        "Flyvbjerg, Budzier et al., JMIS 2022 (IT overruns follow a power law)",
        Kind::Emergent,
        (0.0, 0.95),
        density_rise(&overrun),
        Unit::Ratio,
        n,
    ));
    Ok((checks, overrun))
}

/// Every calibration check, and the cost overrun of every project the waterfall
/// baseline's waterfall model started (for the chart of [`overrun_chart`]).
pub fn run_with_overruns(
    dir: &Path,
    portfolios: u64,
) -> Result<(Vec<Check>, Vec<f64>), ScenarioError> {
    let (mut checks, overrun) = waterfall(dir, portfolios)?;

    // US 10x: the share of ideas in a phase that go on to the next, and the share of
    // submitted ideas funded for phase 1 in each year of the fund.
    let preset = "us-10x.toml";
    let s = load(dir, preset, portfolios)?;
    let m = model_index(&s, preset, "stage_gated")?;
    let r = engine::run_with_progress(&s, 0..portfolios, Detail::Projects, &|_| {});
    let entered = |k: usize| -> f64 {
        r.outcomes[m]
            .iter()
            .map(|o| o.stages.get(k).map_or(0.0, |st| f64::from(st.entered)))
            .sum()
    };
    const RATIONED: &str = "each year's 25 ideas are the best-ranked of 200 on their pitch, \
        so they pass each phase more often than the one third the programme reports for \
        its own intake; the preset's detection and noise figures are assumptions, not \
        tuned to this rate";
    for (k, figure) in [
        (0, "share of phase-1 ideas going on to phase 2"),
        (1, "share of phase-2 ideas going on to phase 3"),
        (2, "share of phase-3 ideas going on to phase 4"),
    ] {
        let value = entered(k + 1) / entered(k).max(1.0);
        checks.push(Check {
            preset,
            model: "stage_gated",
            figure,
            published: "\"only one third advance past any particular phase\" (accepted: 25% to 42%)",
            source: "GSA-TTS/10x-website, pages/process.md",
            kind: Kind::Emergent,
            low: 0.25,
            high: 0.42,
            value,
            unit: Unit::Share,
            n: entered(k) as usize,
            miss: Some(RATIONED),
        });
    }
    // Per year: ideas started at round y over ideas submitted. The cap of 25 a round is
    // the ceiling (12.5% of 200); whether money and the hurdle let the fund reach it
    // every year, or the fund runs dry, emerges.
    let per = f64::from(s.fund.ideas_per_round);
    let rounds = s.fund.intake_rounds as usize;
    let started = starts_per_round(&s, &r, m);
    const YEARS: [&str; 5] = [
        "share of submitted ideas funded for phase 1, year 1",
        "share of submitted ideas funded for phase 1, year 2",
        "share of submitted ideas funded for phase 1, year 3",
        "share of submitted ideas funded for phase 1, year 4",
        "share of submitted ideas funded for phase 1, year 5",
    ];
    const DRY: &str = "under the preset's assumed $30M over five years, ideas already in \
        the pipeline come first and later rounds find less money left for new starts; the \
        fund's size is not published, so it is not tuned to this rate";
    for (y, figure) in YEARS.iter().enumerate().take(rounds) {
        let value = started[y] / (per * portfolios as f64);
        checks.push(Check {
            preset,
            model: "stage_gated",
            figure,
            published: "FY21: 22 of 250 (8.8%); FY22: 25 of 181 (13.8%) (accepted: 8% to 15%)",
            source: "GSA-TTS/10x-website, reports/fy21-impact-report and about/what-we-do.md",
            kind: Kind::Emergent,
            low: 0.08,
            high: 0.15,
            value,
            unit: Unit::Share,
            n: (per * portfolios as f64) as usize,
            // Years 1 and 2 reach the published rate; from year 3 the fund is dry.
            miss: (y >= 2).then_some(DRY),
        });
    }

    // UK GovTech Catalyst: suppliers per challenge in build, and challenges selected
    // per round.
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
        kind: Kind::Input,
        low: 1.0,
        high: 2.0,
        value: build.iter().copied().fold(0.0, f64::max),
        unit: Unit::Count,
        n: build.len(),
        miss: None,
    });
    // Round 3 took 5 of 17 challenges put forward. The cap of 5 a round is set from
    // that figure; that every round fills it (enough challenges pass the hurdle and
    // money lasts) emerges.
    let rounds = s.fund.intake_rounds as usize;
    let selected = starts_per_round(&s, &r, m);
    const ROUNDS: [&str; 4] = [
        "challenges selected in round 1 (mean per fund)",
        "challenges selected in round 2 (mean per fund)",
        "challenges selected in round 3 (mean per fund)",
        "challenges selected in round 4 (mean per fund)",
    ];
    const SPENT: &str = "the fund's GBP 20M ($25.6M) is committed to earlier rounds' \
        feasibility studies and builds by the fourth round under the preset's assumed \
        cadence (a round every six months for two years); the cadence is not tuned to it";
    for (i, figure) in ROUNDS.iter().enumerate().take(rounds) {
        checks.push(Check {
            preset,
            model: "stage_gated",
            figure,
            published: "round 3: 5 of 17 (accepted: 4 to 5)",
            source: "gov.uk, How to submit a GovTech Catalyst challenge; Leeds City Council decision record (2019)",
            kind: Kind::Emergent,
            low: 4.0,
            high: 5.0,
            value: selected[i] / portfolios as f64,
            unit: Unit::Mean,
            n: portfolios as usize,
            miss: (i == 3).then_some(SPENT),
        });
    }
    Ok((checks, overrun))
}

/// File name of the overrun chart, written beside docs/calibration.md.
pub const CHART: &str = "overrun.png";

/// docs/calibration.md: every check as a table row, with how to regenerate it.
pub fn markdown(checks: &[Check], portfolios: u64) -> String {
    let mut out = String::from(
        "# Calibration\n\n\
         What the shipped presets simulate, beside the published figures they are meant to\n\
         reproduce. Generated by `budgetsim calibrate --out docs/calibration.md`, which also\n\
         draws `docs/overrun.png` (do not edit by hand); `tests/suite/calibration.rs` fails when\n\
         a value leaves its accepted range or when this file is out of date.\n\n",
    );
    out += &format!(
        "Each preset is run with {portfolios} portfolios at its own seed. Project figures are \
         per project started by the model named, with its outturn cost and duration (what \
         it costs and takes at completion, including projects still running at the horizon).\n\n"
    );
    out += "Each check has a kind, which says what it proves:\n\n\
        - **input**: a parameter was set from the published figure, and the check reads it \
        back. It proves that the sampler and the bookkeeping (outturn per project, the mix of \
        contract durations) reproduce what was put in, not that the model is right.\n\
        - **emergent**: no parameter was set from the figure; it follows from how mechanisms \
        combine (rationing, gates and learning; the way the overrun body and the black-swan \
        tail join across contract durations) and would come out wrong if one of them were \
        wrong. The overrun bands of the waterfall baseline are shape checks: their published \
        values are derived from the same studies as the inputs (note 1), so what they test is \
        the join; the tail that began at +50% failed them.\n\n";
    out += &format!(
        "![Cost overrun per project of the waterfall baseline: the simulated density per \
         percentage point, with the published reference points]({CHART})\n\n"
    );
    out +=
        "| preset | model | figure | kind | published | source | simulated | accepted | n | ok |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|\n";
    for c in checks {
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} to {} | {} | {} |\n",
            c.preset,
            c.model,
            c.figure,
            c.kind.name(),
            c.published,
            c.source,
            c.unit.show(c.value),
            c.unit.show(c.low),
            c.unit.show(c.high),
            c.n,
            match (c.passes(), c.miss) {
                (true, _) => "yes",
                (false, Some(_)) => "**no** (note below)",
                (false, None) => "**no**",
            }
        );
    }
    out += "\n**Note 1: the tail's bands.** 18% of public-sector IT projects overrun by more \
        than +25% (Budzier & Flyvbjerg); 1 in 6 IT projects is a black swan, averaging +200% \
        (Flyvbjerg & Budzier, HBR 2011); IT is the only project type whose cost overrun \
        (actual / estimated cost) has a Pareto tail exponent at or below 1 (Flyvbjerg, \
        Budzier et al., Project Management Journal 2025). A Pareto tail from +25% holding 1 \
        in 6 to 18% of projects, with exponent 0.7 to 1 and truncated where its mean is \
        +200%, puts 2.7% to 3.4% of all projects between +25% and +50%, 3.7% to 4.3% between \
        +50% and +100%, 4.0% to 4.4% between +100% and +200%, and 5.6% to 6.7% above +200%.\n\n\
        **Note 2: two 18% figures.** 18% of projects above +25% (Budzier & Flyvbjerg, 1,355 \
        public-sector IT projects) and 18% above +50% (Flyvbjerg & Gardner, *How Big Things \
        Get Done*, 2023, from 5,392 public and private IT projects, whose projects above +50% \
        average +447%) come from different samples. Fitted together they leave no project \
        between +25% and +50%: the hole of the previous calibration (2.6% of projects between \
        +25% and +50%, then 8.6% between +50% and +100%). The public-sector figures are kept: \
        the same study gives the median, and with HBR's 1 in 6 black swans at +200% they \
        describe one tail, which Gardner's fatter tail does not fit. The share above +50% is \
        shown against what the figures kept imply.\n\n\
        **Note 3: mean and median.** HBR's 1 in 6 black swans at +200% add 33 points to the \
        mean on their own, so a mean of +27% needs the other 5 in 6 projects to average -7.6%, \
        while the public-sector median is 0%. The body's median and p90 split the difference \
        (least squares in percentage points, `scenarios/default.toml`): the median comes out \
        below 0% and the mean above +27%, both inside their accepted ranges.\n";
    let misses: Vec<&Check> = checks.iter().filter(|c| !c.passes()).collect();
    if !misses.is_empty() {
        out += "\n**Figures the mechanisms do not reach.** Stated, not tuned away:\n\n";
        for c in misses {
            out += &format!(
                "- {}, {}: {} (simulated {}).\n",
                c.preset,
                c.figure,
                c.miss
                    .unwrap_or("no reason recorded: a failure to look into"),
                c.unit.show(c.value)
            );
        }
    }
    out
}
