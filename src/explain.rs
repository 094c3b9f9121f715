//! Where a paired difference comes from: the net-value difference between two funding
//! models attributed to the model's mechanisms by exact Shapley values, over every on/off
//! combination of the mechanisms, each run with the same seed and portfolios.
//!
//! Flow: a [`Mechanism`] vocabulary (each switched off on a validated [`Scenario`]) ->
//! a [`Plan`] (the two models, the portfolios) -> [`run`] (one engine run per subset,
//! per-portfolio differences) -> [`shapley`] per portfolio -> an [`Explanation`] whose
//! [`Explanation::rows`] give each contribution's mean and 95% CI across portfolios ->
//! `explain.csv` ([`write_csv`], read back by [`read_csv`] for charts and reports).

use std::path::Path;

use crate::analysis::stats::summarize;
use crate::engine;
use crate::metrics::Metric;
use crate::model::{Scenario, Text};
use crate::report::i18n::Lang;
use crate::scenario::ScenarioError;

/// Portfolios per subset when neither `--portfolios` nor a smaller
/// `simulation.portfolios` says otherwise: on the default scenario, 1,024 subsets x 500
/// portfolios take about 2 CPU-minutes (about a minute on two free cores) and give 95%
/// CIs of +-$1.6M on the full difference and +-$0.3M to +-$2.1M on the contributions
/// (README, "Where the difference comes from").
pub const DEFAULT_PORTFOLIOS: u64 = 500;

/// A mechanism of the model that can be switched off (docs/model.md section 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// Some ideas meet no real need; off: `ideas.fit_probability = 1`.
    Misfits,
    /// The business case errs on value; off: `ideas.business_case_noise = 0` (exact).
    BusinessCaseNoise,
    /// Stages teach the decision maker; off: every stage of every model has
    /// `signal_noise = inf` and `misfit_detection = 0`.
    Learning,
    /// Requirements age while frozen; off: `risk.requirements_half_life_months = inf`.
    Drift,
    /// Longer contracts are riskier; off: `risk.duration_exponent = 0`.
    DurationEffect,
    /// Some contracts overrun enormously; off: `risk.black_swan_probability = 0`.
    BlackSwans,
    /// Vendors mark up, more so without competition; off: `vendors.markup`,
    /// `vendors.sole_source_markup` and `vendors.overrun_markup` = 0.
    Markups,
    /// Stages before the last release value; off: every stage's `value_share = 0`.
    EarlyValue,
    /// Gates and competitions cost money and time; off: every model's
    /// `gate_review_cost`, `gate_delay_months`, `procurement_cost` and
    /// `procurement_delay_months` = 0.
    Overheads,
    /// The budget binds; off: `fund.budget` = [`Mechanism::UNLIMITED_BUDGET`].
    Budget,
}

impl Mechanism {
    /// Every mechanism, in the order of docs/model.md section 12's explain table.
    pub const ALL: [Mechanism; 10] = [
        Mechanism::Misfits,
        Mechanism::BusinessCaseNoise,
        Mechanism::Learning,
        Mechanism::Drift,
        Mechanism::DurationEffect,
        Mechanism::BlackSwans,
        Mechanism::Markups,
        Mechanism::EarlyValue,
        Mechanism::Overheads,
        Mechanism::Budget,
    ];

    /// A budget no model can spend, dollars (the budget no longer binds).
    pub const UNLIMITED_BUDGET: f64 = 1e15;

    /// Name in explain.csv.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Misfits => "misfits",
            Mechanism::BusinessCaseNoise => "business_case_noise",
            Mechanism::Learning => "learning",
            Mechanism::Drift => "drift",
            Mechanism::DurationEffect => "duration_effect",
            Mechanism::BlackSwans => "black_swans",
            Mechanism::Markups => "markups",
            Mechanism::EarlyValue => "early_value",
            Mechanism::Overheads => "overheads",
            Mechanism::Budget => "budget",
        }
    }

    /// The mechanism named `name` (as in explain.csv).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What people call it, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(&format!("mech-{}", self.name()))
    }

    /// The scenario settings that switch it off, as dotted paths (`*`: every model or
    /// stage), the same in every language.
    pub fn off_setting(self) -> &'static str {
        match self {
            Mechanism::Misfits => "ideas.fit_probability = 1",
            Mechanism::BusinessCaseNoise => "ideas.business_case_noise = 0",
            Mechanism::Learning => {
                "models.*.stages.*.signal_noise = inf, models.*.stages.*.misfit_detection = 0"
            }
            Mechanism::Drift => "risk.requirements_half_life_months = inf",
            Mechanism::DurationEffect => "risk.duration_exponent = 0",
            Mechanism::BlackSwans => "risk.black_swan_probability = 0",
            Mechanism::Markups => {
                "vendors.markup = vendors.sole_source_markup = vendors.overrun_markup = 0"
            }
            Mechanism::EarlyValue => "models.*.stages.*.value_share = 0",
            Mechanism::Overheads => {
                "models.*.gate_review_cost = gate_delay_months = procurement_cost = procurement_delay_months = 0"
            }
            Mechanism::Budget => "fund.budget = 1e15",
        }
    }

    /// Switches the mechanism off in `s` (a validated scenario stays valid).
    pub fn switch_off(self, s: &mut Scenario) {
        match self {
            Mechanism::Misfits => s.ideas.fit_probability = 1.0,
            Mechanism::BusinessCaseNoise => s.ideas.business_case_noise = 0.0,
            Mechanism::Learning => {
                for stage in s.models.iter_mut().flat_map(|m| m.stages.iter_mut()) {
                    stage.signal_noise = f64::INFINITY;
                    stage.misfit_detection = 0.0;
                }
            }
            Mechanism::Drift => s.risk.requirements_half_life_months = f64::INFINITY,
            Mechanism::DurationEffect => s.risk.duration_exponent = 0.0,
            Mechanism::BlackSwans => s.risk.black_swan_probability = 0.0,
            Mechanism::Markups => {
                s.vendors.markup = 0.0;
                s.vendors.sole_source_markup = 0.0;
                s.vendors.overrun_markup = 0.0;
            }
            Mechanism::EarlyValue => {
                for stage in s.models.iter_mut().flat_map(|m| m.stages.iter_mut()) {
                    stage.value_share = 0.0;
                }
            }
            Mechanism::Overheads => {
                for m in &mut s.models {
                    m.gate_review_cost = 0.0;
                    m.gate_delay_months = 0.0;
                    m.procurement_cost = 0.0;
                    m.procurement_delay_months = 0.0;
                }
            }
            Mechanism::Budget => s.fund.budget = Mechanism::UNLIMITED_BUDGET,
        }
    }
}

/// Shapley weight of a coalition of `size` players in a game of `n`:
/// size! (n - size - 1)! / n!.
fn weight(size: usize, n: usize) -> f64 {
    // size! (n-size-1)! / n! = 1 / (n * C(n-1, size)).
    let mut binom = 1.0;
    for j in 0..size {
        binom = binom * (n - 1 - j) as f64 / (j + 1) as f64;
    }
    1.0 / (n as f64 * binom)
}

/// Exact Shapley values of the game whose value on coalition S is `values[S]`, S a
/// bit mask (bit i set: player i is in S); `values.len()` must be 2^n. Player i gets
/// the sum over S without i of |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)), so a player
/// who never changes the value gets exactly 0, and the values sum to
/// v(all) - v(empty) (to rounding).
pub fn shapley(values: &[f64]) -> Vec<f64> {
    let n = values.len().trailing_zeros() as usize;
    assert!(
        values.len() == 1 << n,
        "a game over n players has 2^n coalition values, got {}",
        values.len()
    );
    let weights: Vec<f64> = (0..n).map(|k| weight(k, n)).collect();
    (0..n)
        .map(|i| {
            let bit = 1usize << i;
            (0..values.len())
                .filter(|s| s & bit == 0)
                .map(|s| weights[s.count_ones() as usize] * (values[s | bit] - values[s]))
                .sum()
        })
        .collect()
}

/// What an explanation runs: two models of a scenario over the same portfolios.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Baseline model (key, label).
    pub baseline: (String, Text),
    /// Challenger model (key, label).
    pub challenger: (String, Text),
    /// Portfolios per subset.
    pub portfolios: u64,
    /// Mechanisms switched on and off (bit i of a subset is `mechanisms[i]`).
    pub mechanisms: Vec<Mechanism>,
    /// The scenario with only the two models (baseline first) and `portfolios` set.
    pub base: Scenario,
}

impl Plan {
    /// The plan comparing models `baseline` and `challenger` (indexes into
    /// `s.models`) over portfolios 0..`portfolios`, switching `mechanisms`.
    pub fn new(
        s: &Scenario,
        (baseline, challenger): (usize, usize),
        portfolios: u64,
        mechanisms: &[Mechanism],
    ) -> Plan {
        let mut base = s.clone();
        base.models = vec![s.models[baseline].clone(), s.models[challenger].clone()];
        base.simulation.portfolios = portfolios;
        let key_label = |m: usize| (s.models[m].name.clone(), s.models[m].label.clone());
        Plan {
            baseline: key_label(baseline),
            challenger: key_label(challenger),
            portfolios,
            mechanisms: mechanisms.to_vec(),
            base,
        }
    }

    /// Number of on/off subsets (2^mechanisms).
    pub fn subsets(&self) -> u64 {
        1 << self.mechanisms.len()
    }

    /// The scenario of subset `subset` (bit i set: `mechanisms[i]` on).
    pub fn scenario(&self, subset: usize) -> Scenario {
        let mut s = self.base.clone();
        for (i, m) in self.mechanisms.iter().enumerate() {
            if subset & (1 << i) == 0 {
                m.switch_off(&mut s);
            }
        }
        s
    }
}

/// The baseline and challenger to explain: `models` (keys, named by `--models` in
/// errors) or, without it, [`crate::model::headline_pair`] on each model's mean net
/// value over portfolios 0..`portfolios` (a base run of every model).
pub fn pick_models(
    s: &Scenario,
    models: Option<&(String, String)>,
    portfolios: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(usize, usize), ScenarioError> {
    if let Some((a, b)) = models {
        let pair = (
            crate::scenario::model_index(s, a, "--models")?,
            crate::scenario::model_index(s, b, "--models")?,
        );
        if pair.0 == pair.1 {
            return Err(ScenarioError::source(
                "--models",
                "give two different models, baseline then challenger",
            ));
        }
        return Ok(pair);
    }
    if s.models.len() < 2 {
        return Err(ScenarioError::source(
            "--models",
            "explain compares two funding models; this scenario has one",
        ));
    }
    Ok(engine::headline_pair(s, portfolios, progress))
}

/// Per-portfolio results of an explanation.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Baseline model (key, label).
    pub baseline: (String, Text),
    /// Challenger model (key, label).
    pub challenger: (String, Text),
    /// Challenger minus baseline net value per portfolio with every mechanism off.
    pub all_off: Vec<f64>,
    /// The same with every mechanism on (the scenario as it is).
    pub full: Vec<f64>,
    /// Each mechanism's Shapley value per portfolio, in the plan's order.
    pub contributions: Vec<(Mechanism, Vec<f64>)>,
}

/// Runs every subset of the plan on the current rayon pool (`progress(n)` per
/// portfolio) and attributes each portfolio's difference by [`shapley`].
pub fn run(plan: &Plan, progress: &(dyn Fn(u64) + Sync)) -> Explanation {
    let n = plan.portfolios;
    // diffs[subset][portfolio]: challenger minus baseline.
    let diffs: Vec<Vec<f64>> = (0..plan.subsets() as usize)
        .map(|subset| {
            let s = plan.scenario(subset);
            let r = engine::run_with_progress(&s, 0..n, engine::Detail::Outcomes, progress);
            r.outcomes[1]
                .iter()
                .zip(&r.outcomes[0])
                .map(|(c, b)| c.get(Metric::NetValue) - b.get(Metric::NetValue))
                .collect()
        })
        .collect();
    explain(plan, &diffs)
}

/// The explanation of per-subset, per-portfolio differences `diffs[subset][portfolio]`.
pub fn explain(plan: &Plan, diffs: &[Vec<f64>]) -> Explanation {
    let portfolios = diffs.first().map_or(0, Vec::len);
    let mut contributions: Vec<(Mechanism, Vec<f64>)> = plan
        .mechanisms
        .iter()
        .map(|&m| (m, Vec::with_capacity(portfolios)))
        .collect();
    let mut game = vec![0.0; diffs.len()];
    for p in 0..portfolios {
        for (v, d) in game.iter_mut().zip(diffs) {
            *v = d[p];
        }
        for (c, phi) in contributions.iter_mut().zip(shapley(&game)) {
            c.1.push(phi);
        }
    }
    let column = |subset: usize| diffs.get(subset).cloned().unwrap_or_default();
    Explanation {
        baseline: plan.baseline.clone(),
        challenger: plan.challenger.clone(),
        all_off: column(0),
        full: column(diffs.len().saturating_sub(1)),
        contributions,
    }
}

/// What a row of explain.csv is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// One mechanism's contribution.
    Mechanism(Mechanism),
    /// The difference with every mechanism off.
    AllOff,
    /// The difference with every mechanism on.
    Full,
}

impl Part {
    /// Name in explain.csv's `mechanism` column.
    pub fn name(self) -> &'static str {
        match self {
            Part::Mechanism(m) => m.name(),
            Part::AllOff => "all_off",
            Part::Full => "full",
        }
    }

    /// The part named `name`.
    pub fn from_name(name: &str) -> Option<Part> {
        match name {
            "all_off" => Some(Part::AllOff),
            "full" => Some(Part::Full),
            _ => Mechanism::from_name(name).map(Part::Mechanism),
        }
    }

    /// What people call it, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Part::Mechanism(m) => m.label(lang),
            _ => lang.t(&format!("part-{}", self.name())),
        }
    }
}

/// One row of explain.csv: a mean over portfolios with its 95% CI.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What the row is about.
    pub part: Part,
    /// Mean over portfolios, dollars of net value per fund.
    pub contribution: f64,
    /// Standard error of that mean.
    pub se: f64,
    /// Lower end of the 95% CI.
    pub ci_low: f64,
    /// Upper end of the 95% CI.
    pub ci_high: f64,
    /// `contribution` as a share of the full difference's mean.
    pub share_of_full: f64,
    /// Portfolios averaged.
    pub portfolios: usize,
}

/// explain.csv as read back: its rows and the two models' keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Baseline model key.
    pub baseline: String,
    /// Challenger model key.
    pub challenger: String,
    /// Mechanisms by decreasing |contribution|, then `all_off`, then `full`.
    pub rows: Vec<Row>,
}

impl Table {
    /// The row of `part`, if present.
    pub fn get(&self, part: Part) -> Option<&Row> {
        self.rows.iter().find(|r| r.part == part)
    }

    /// The mechanism rows, largest |contribution| first.
    pub fn mechanisms(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| matches!(r.part, Part::Mechanism(_)))
    }
}

impl Explanation {
    /// The rows of explain.csv: mechanisms by decreasing |mean contribution| (ties in
    /// the plan's order), then the all-off and the full difference.
    pub fn table(&self) -> Table {
        let full_mean = summarize(&self.full).mean;
        let row = |part: Part, xs: &[f64]| {
            let s = summarize(xs);
            Row {
                part,
                contribution: s.mean,
                se: s.se,
                ci_low: s.ci_low,
                ci_high: s.ci_high,
                share_of_full: s.mean / full_mean,
                portfolios: s.n,
            }
        };
        let mut rows: Vec<Row> = self
            .contributions
            .iter()
            .map(|(m, xs)| row(Part::Mechanism(*m), xs))
            .collect();
        rows.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        rows.push(row(Part::AllOff, &self.all_off));
        rows.push(row(Part::Full, &self.full));
        Table {
            baseline: self.baseline.0.clone(),
            challenger: self.challenger.0.clone(),
            rows,
        }
    }

    /// Largest |all_off + sum of contributions - full| over portfolios (efficiency:
    /// 0 but for rounding).
    pub fn efficiency_gap(&self) -> f64 {
        (0..self.full.len())
            .map(|p| {
                let sum: f64 = self.contributions.iter().map(|c| c.1[p]).sum();
                (self.all_off[p] + sum - self.full[p]).abs()
            })
            .fold(0.0, f64::max)
    }
}

/// Column names of explain.csv.
pub const COLUMNS: [&str; 10] = [
    "mechanism",
    "label",
    "contribution",
    "se",
    "ci_low",
    "ci_high",
    "share_of_full",
    "portfolios",
    "baseline",
    "challenger",
];

/// Writes explain.csv (docs/outputs.md).
pub fn write_csv(t: &Table, path: &Path) -> std::io::Result<()> {
    let mut w = crate::export::cell::SafeCsv::create(path)?;
    w.row(COLUMNS)?;
    for r in &t.rows {
        w.row([
            r.part.name().to_string(),
            r.part.label(Lang::En).to_string(),
            r.contribution.to_string(),
            r.se.to_string(),
            r.ci_low.to_string(),
            r.ci_high.to_string(),
            r.share_of_full.to_string(),
            r.portfolios.to_string(),
            t.baseline.clone(),
            t.challenger.clone(),
        ])?;
    }
    w.finish()
}

/// Reads explain.csv back (for the bridge chart and the report).
pub fn read_csv(path: &Path) -> Result<Table, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut r = csv::Reader::from_path(path).map_err(|e| fail(&e))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| fail(&e))?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fail(&format!("column `{name}` missing")))
    };
    let (cm, cc, cse, clo, chi, csh, cn, cb, cch) = (
        col("mechanism")?,
        col("contribution")?,
        col("se")?,
        col("ci_low")?,
        col("ci_high")?,
        col("share_of_full")?,
        col("portfolios")?,
        col("baseline")?,
        col("challenger")?,
    );
    let records = r
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    crate::export::cell::check_numbers(path, &header, &records)?;
    let mut t = Table {
        baseline: String::new(),
        challenger: String::new(),
        rows: Vec::new(),
    };
    for rec in records {
        let text = |c: usize| crate::export::cell::unprotect(rec.get(c).unwrap_or_default());
        let num = |c: usize| text(c).parse::<f64>().unwrap_or(f64::NAN);
        let part = Part::from_name(text(cm))
            .ok_or_else(|| fail(&format!("unknown mechanism `{}`", text(cm))))?;
        t.baseline = text(cb).to_string();
        t.challenger = text(cch).to_string();
        t.rows.push(Row {
            part,
            contribution: num(cc),
            se: num(cse),
            ci_low: num(clo),
            ci_high: num(chi),
            share_of_full: num(csh),
            portfolios: text(cn).parse().unwrap_or(0),
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v(S) for every mask of `n` players from a function of the mask.
    fn game(n: usize, v: impl Fn(usize) -> f64) -> Vec<f64> {
        (0..1usize << n).map(v).collect()
    }

    #[test]
    fn weights_are_the_shapley_weights() {
        // n = 3: 1/3 for the empty and full-but-one coalitions, 1/6 for singletons.
        assert!((weight(0, 3) - 1.0 / 3.0).abs() < 1e-15);
        assert!((weight(1, 3) - 1.0 / 6.0).abs() < 1e-15);
        assert!((weight(2, 3) - 1.0 / 3.0).abs() < 1e-15);
        // They sum to 1 over the coalitions without a given player.
        let n = 10;
        let total: f64 = (0..n)
            .map(|k| {
                let binom = (0..k).fold(1.0, |b, j| b * (n - 1 - j) as f64 / (j + 1) as f64);
                binom * weight(k, n)
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn an_additive_game_gives_each_player_its_own_effect() {
        let effects = [3.0, -1.5, 0.0, 7.25, 2.0];
        let v = game(5, |s| {
            10.0 + (0..5)
                .filter(|i| s & (1 << i) != 0)
                .map(|i| effects[i])
                .sum::<f64>()
        });
        let phi = shapley(&v);
        for (p, e) in phi.iter().zip(effects) {
            assert!((p - e).abs() < 1e-12, "{phi:?}");
        }
        assert_eq!(phi[2], 0.0, "a player that changes nothing gets exactly 0");
    }

    #[test]
    fn a_pure_interaction_is_split_in_half() {
        // Only players 0 and 1 together make 6; player 2 adds 1 on its own.
        let v = game(3, |s| {
            let both = if s & 0b011 == 0b011 { 6.0 } else { 0.0 };
            both + if s & 0b100 != 0 { 1.0 } else { 0.0 }
        });
        let phi = shapley(&v);
        assert!((phi[0] - 3.0).abs() < 1e-12, "{phi:?}");
        assert!((phi[1] - 3.0).abs() < 1e-12, "{phi:?}");
        assert!((phi[2] - 1.0).abs() < 1e-12, "{phi:?}");
    }

    #[test]
    fn a_unanimity_game_of_three_splits_in_thirds_and_values_sum_to_the_gain() {
        // v(S) = 9 if S holds players 1, 2 and 3; player 0 is a dummy; plus noise terms.
        let v = game(4, |s| {
            let unanimous = if s & 0b1110 == 0b1110 { 9.0 } else { 0.0 };
            unanimous + 0.5 * (s & 1) as f64 - 2.0
        });
        let phi = shapley(&v);
        assert!((phi[0] - 0.5).abs() < 1e-12, "{phi:?}");
        for p in &phi[1..] {
            assert!((p - 3.0).abs() < 1e-12, "{phi:?}");
        }
        let sum: f64 = phi.iter().sum();
        assert!((sum - (v[15] - v[0])).abs() < 1e-12);
    }

    #[test]
    fn names_round_trip_and_labels_exist_in_both_languages() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_name(m.name()), Some(m));
            assert_eq!(Part::from_name(m.name()), Some(Part::Mechanism(m)));
            assert!(!m.label(Lang::En).is_empty() && !m.label(Lang::Fr).is_empty());
            assert_ne!(m.label(Lang::En), m.label(Lang::Fr));
        }
        assert_eq!(Part::from_name("all_off"), Some(Part::AllOff));
        assert_eq!(Part::from_name("full"), Some(Part::Full));
        assert_eq!(Part::from_name("drift_typo"), None);
    }
}
