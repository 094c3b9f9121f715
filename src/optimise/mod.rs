//! `budgetsim optimise`: which funding rule should the fund launch with? The levers
//! (fields of the rule, each with a range or choices) are searched for the rule that
//! makes an objective of one funding model best while meeting every constraint.
//!
//! Flow: a validated [`spec::OptimiseSpec`] and the scenario (plus any other worlds)
//! -> [`Plan`]: the candidates (the scenario's own rule first, then points of an
//! Owen-scrambled Sobol sequence over the levers) and the rungs of successive halving
//! -> [`search::run`]: every candidate on the same seed (common random numbers), the
//! best third kept at each rung with three times the portfolios, the finalists and the
//! scenario's own rule re-run on a fresh seed with more portfolios -> [`write`]:
//! optimise.csv, optimise_constraints.csv, optimise_result.csv and best.toml.
//!
//! Why a space-filling design with successive halving, not CMA-ES or Bayesian
//! optimisation: levers mix ranges, counts and words (CMA-ES searches continuous
//! spaces only); each candidate is a noisy Monte Carlo estimate whose noise halving
//! controls directly, by spending more portfolios only on candidates still in the race;
//! constraints are judged candidate by candidate (feasible or not) rather than folded
//! into a penalty; candidates of a rung are independent, so results do not depend on
//! the thread count; and the Sobol sequence comes from `sobol_burley`, which the Sobol
//! sensitivity study already uses, so the search adds no dependency (the Bayesian
//! optimisation crates on crates.io bring a linear-algebra stack that would dominate the
//! build).

pub mod search;
pub mod spec;
pub mod write;

use toml::Value;

use crate::metrics::Metric;
use crate::model::Scenario;
use crate::scenario::{self, Loaded};
use spec::{Constraint, Direction, Figure, Lever, OptimiseSpec};

/// How much each rung narrows the field: the best third goes on, with three times the
/// portfolios (the usual rate of successive halving; Jamieson and Talwalkar 2016).
pub const ETA: usize = 3;

/// One world the candidates are evaluated in.
#[derive(Debug, Clone)]
pub struct World {
    /// Short name (the scenario file's stem), unique among the worlds.
    pub label: String,
    /// The scenario as loaded.
    pub loaded: Loaded,
}

/// One rung of the search: how many candidates run, with how many portfolios each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    /// Candidates evaluated at this rung.
    pub candidates: usize,
    /// Portfolios per candidate.
    pub portfolios: u64,
}

/// A search, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The worlds, the scenario first.
    pub worlds: Vec<World>,
    /// Index of the optimised model in the scenario (the same key in every world).
    pub model: usize,
    /// Its key.
    pub model_key: String,
    /// The objective metric and direction.
    pub objective: Metric,
    pub direction: Direction,
    /// The levers, in the order given.
    pub levers: Vec<Lever>,
    /// The constraints, in the order given.
    pub constraints: Vec<Constraint>,
    /// Per candidate, each lever's value (`None`: as the scenario has it). Candidate 0
    /// is the scenario's own rule.
    pub candidates: Vec<Vec<Option<Value>>>,
    /// The rungs of the search.
    pub rungs: Vec<Rung>,
    /// Candidates re-run on the fresh seed (besides the scenario's own rule).
    pub finalists: usize,
    /// Portfolios of the fresh-seed re-evaluation.
    pub final_portfolios: u64,
    /// Seed of the search (the scenario's) and of the re-evaluation.
    pub search_seed: u64,
    pub fresh_seed: u64,
}

/// Settings the command line adds to (or puts in place of) `[optimise]`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Flags standing in for `[optimise]` fields (levers and constraints given by
    /// flags replace the table's).
    pub spec: OptimiseSpec,
    /// `--budget-runs`: most candidate evaluations the search may make.
    pub budget_runs: Option<u64>,
}

/// The seed of the re-evaluation: the search seed mixed (SplitMix64's finaliser) with
/// a constant, so that it shares no portfolio with the search.
pub fn fresh_seed(seed: u64) -> u64 {
    let mut z = seed ^ 0x6f70_7469_6d69_7365; // "optimise"
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    // 63 bits: every seed a scenario or --seed accepts, so the fresh-seed figures can
    // be reproduced with `budgetsim run best.toml --seed FRESH`.
    let fresh = (z ^ (z >> 31)) & (i64::MAX as u64);
    if fresh == seed { fresh ^ 1 } else { fresh }
}

/// The rungs for `n` candidates, `finalists` kept at the end and `p0` portfolios at the
/// first rung: each rung keeps the best third (never fewer than the finalists) with
/// three times the portfolios, until no more than the finalists remain.
pub fn rungs(n: usize, finalists: usize, p0: u64) -> Vec<Rung> {
    let mut out = vec![Rung {
        candidates: n,
        portfolios: p0,
    }];
    let mut k = n;
    let mut p = p0;
    while k > finalists {
        k = finalists.max(k.div_ceil(ETA));
        p = p.saturating_mul(ETA as u64);
        out.push(Rung {
            candidates: k,
            portfolios: p,
        });
    }
    out
}

/// Candidate evaluations of a search of `rungs` in `worlds` worlds.
pub fn runs(rungs: &[Rung], worlds: usize) -> u64 {
    rungs.iter().map(|r| r.candidates as u64).sum::<u64>() * worlds as u64
}

/// The value of `path` in the resolved table of `loaded`, if written there.
fn value_in(loaded: &Loaded, path: &str) -> Option<Value> {
    let mut cur: Option<&Value> = None;
    for seg in scenario::parse_path(path) {
        let key = match &seg {
            scenario::Seg::Key(k) => k.clone(),
            scenario::Seg::Index(i) => i.to_string(),
        };
        cur = match (cur, &seg) {
            (None, _) => loaded.resolved.get(&key),
            (Some(Value::Table(t)), _) => t.get(&key),
            (Some(Value::Array(a)), scenario::Seg::Index(i)) => a.get(*i),
            _ => None,
        };
        cur?;
    }
    cur.cloned()
}

/// Builds the plan: the model, objective and constraints checked against every world,
/// the candidates, and the rungs (within `--budget-runs` when given). Errors say what to
/// change.
pub fn plan(loaded: &Loaded, others: Vec<World>, opts: &Options) -> Result<Plan, String> {
    let table = loaded.optimise.clone().unwrap_or_default();
    let flags = &opts.spec;
    let s = &loaded.scenario;
    let model = flags
        .model
        .or(table.model)
        .or_else(|| spec::default_model(s))
        .ok_or(
            "the scenario has no challenger model: name the model whose rule is searched \
             with --model or [optimise] model",
        )?;
    let model_key = s.models[model].name.clone();
    let objective = flags
        .objective
        .or(table.objective)
        .unwrap_or(Metric::NetValue);
    let direction = flags
        .direction
        .or(table.direction)
        .or_else(|| spec::default_direction(objective))
        .ok_or_else(|| {
            format!(
                "`{}` is neither better high nor low: say `direction = \"maximise\"` or \
                 \"minimise\" in [optimise] (or --direction)",
                objective.name()
            )
        })?;
    let levers = if flags.levers.is_empty() {
        table.levers.clone()
    } else {
        flags.levers.clone()
    };
    for (i, l) in levers.iter().enumerate() {
        if levers[..i].iter().any(|x| x.path == l.path) {
            return Err(format!("lever `{}` is given twice: keep one range", l.path));
        }
        // A rule of another model cannot change the model searched.
        if let Some(key) = l
            .path
            .strip_prefix("models.")
            .and_then(|r| r.split('.').next())
            && key != model_key
        {
            return Err(format!(
                "lever `{}` is a rule of model `{key}`, and the search is for model \
                 `{model_key}`: search that model's rules (or name `{key}` with --model)",
                l.path
            ));
        }
    }
    if levers.is_empty() {
        return Err("no lever to search: list some in [optimise] as \
                    [[optimise.levers]] path = \"models.stage_gated.hurdle\" low = 0.8 \
                    high = 2.0, or give --lever PATH=LOW..HIGH (or PATH=A,B,C)"
            .into());
    }
    if levers.len() > crate::analysis::sobol::MAX_INPUTS {
        return Err(format!(
            "{} levers: at most {} can be searched together",
            levers.len(),
            crate::analysis::sobol::MAX_INPUTS
        ));
    }
    let constraints = if flags.constraints.is_empty() {
        table.constraints.clone()
    } else {
        flags.constraints.clone()
    };
    let mut worlds = vec![World {
        label: loaded.slug(),
        loaded: loaded.clone(),
    }];
    for mut w in others {
        let base = w.label.clone();
        let mut i = 2;
        while worlds.iter().any(|x| x.label == w.label) {
            w.label = format!("{base}-{i}");
            i += 1;
        }
        worlds.push(w);
    }
    for w in &worlds {
        check_world(w, &model_key, &levers, &constraints)?;
    }
    let finalists = flags
        .finalists
        .or(table.finalists)
        .unwrap_or(spec::DEFAULT_FINALISTS);
    let p0 = flags
        .portfolios
        .or(table.portfolios)
        .unwrap_or(spec::DEFAULT_PORTFOLIOS);
    let mut n = flags
        .candidates
        .or(table.candidates)
        .unwrap_or(spec::DEFAULT_CANDIDATES);
    if let Some(budget) = opts.budget_runs {
        // The most candidates whose whole schedule fits the budget.
        let fits = |n: usize| runs(&rungs(n, finalists, p0), worlds.len()) <= budget;
        if !fits(2) {
            return Err(format!(
                "--budget-runs {budget}: the smallest search (2 candidates in {} world(s)) \
                 needs {} runs",
                worlds.len(),
                runs(&rungs(2, finalists, p0), worlds.len())
            ));
        }
        let (mut lo, mut hi) = (2usize, 2usize);
        while hi < crate::scenario::raw::MAX_OPTIMISE_CANDIDATES as usize && fits(hi * 2) {
            hi *= 2;
        }
        hi = (hi * 2).min(crate::scenario::raw::MAX_OPTIMISE_CANDIDATES as usize);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(mid) { lo = mid } else { hi = mid - 1 }
        }
        n = lo;
    }
    let rungs = rungs(n, finalists, p0);
    let last = rungs.last().map_or(p0, |r| r.portfolios);
    let final_portfolios = flags
        .final_portfolios
        .or(table.final_portfolios)
        .unwrap_or(last.saturating_mul(4));
    let search_seed = s.simulation.seed;
    let candidates = candidates(&worlds[0].loaded, &levers, n, search_seed)?;
    Ok(Plan {
        worlds,
        model,
        model_key,
        objective,
        direction,
        levers,
        constraints,
        candidates,
        rungs,
        finalists,
        final_portfolios,
        search_seed,
        fresh_seed: fresh_seed(search_seed),
    })
}

/// Checks that world `w` has the optimised model, every lever and, for the
/// comparison with the strongest baseline, a baseline model.
fn check_world(
    w: &World,
    model_key: &str,
    levers: &[Lever],
    constraints: &[Constraint],
) -> Result<(), String> {
    let s = &w.loaded.scenario;
    let Some(m) = s.models.iter().position(|m| m.name == model_key) else {
        return Err(format!(
            "world `{}` ({}) has no funding model `{model_key}`: every world must have the \
             model whose rule is searched",
            w.label, w.loaded.origin
        ));
    };
    for l in levers {
        if let Err((message, _)) = scenario::check_field_path(&w.loaded.resolved, &l.path, false) {
            return Err(format!(
                "lever `{}` in world `{}` ({}): {message}",
                l.path, w.label, w.loaded.origin
            ));
        }
    }
    if constraints
        .iter()
        .any(|c| c.figure == Figure::WorseThanBaseline)
        && baselines(s, m).is_empty()
    {
        return Err(format!(
            "the constraint on worse_than_baseline needs a baseline model besides \
             `{model_key}`, and world `{}` has none",
            w.label
        ));
    }
    Ok(())
}

/// Indexes of the baseline models of `s` other than model `m`.
pub fn baselines(s: &Scenario, m: usize) -> Vec<usize> {
    s.models
        .iter()
        .enumerate()
        .filter(|&(i, x)| i != m && x.role == crate::model::Role::Baseline)
        .map(|(i, _)| i)
        .collect()
}

/// `n` candidates: the scenario's own rule, then the first `n - 1` points of an
/// Owen-scrambled Sobol sequence (seeded with the search seed) mapped onto the levers.
fn candidates(
    loaded: &Loaded,
    levers: &[Lever],
    n: usize,
    seed: u64,
) -> Result<Vec<Vec<Option<Value>>>, String> {
    let own: Vec<Option<Value>> = levers.iter().map(|l| value_in(loaded, &l.path)).collect();
    let mut out = vec![own];
    let scramble = (seed ^ (seed >> 32)) as u32;
    for i in 0..n.saturating_sub(1) {
        let index = u32::try_from(i).map_err(|_| "too many candidates".to_string())?;
        out.push(
            levers
                .iter()
                .enumerate()
                .map(|(d, l)| {
                    // Mid-cell of the f32 grid: strictly inside (0, 1).
                    let u = f64::from(sobol_burley::sample(index, d as u32, scramble))
                        + 1.0 / f64::from(1u32 << 24);
                    Some(l.value_at(u.min(1.0 - f64::EPSILON)))
                })
                .collect(),
        );
    }
    Ok(out)
}

impl Plan {
    /// The settings that put candidate `c`'s levers in place.
    pub fn settings(&self, c: usize) -> Vec<(String, Value)> {
        self.levers
            .iter()
            .zip(&self.candidates[c])
            .filter_map(|(l, v)| v.clone().map(|v| (l.path.clone(), v)))
            .collect()
    }

    /// The scenario of candidate `c` in world `w`, with `portfolios` portfolios on
    /// `seed`, keeping only the models the figures need (the optimised model, then the
    /// baselines when a constraint compares with them): a model's draws do not depend
    /// on which others run beside it.
    pub fn scenario(
        &self,
        c: usize,
        w: usize,
        portfolios: u64,
        seed: u64,
    ) -> Result<Scenario, String> {
        let world = &self.worlds[w];
        let label = format!("optimise candidate {c}");
        let mut s = scenario::variant(&world.loaded, &self.settings(c), &label).map_err(|e| {
            let why = e
                .diagnostics
                .first()
                .map_or(String::new(), |d| match &d.path {
                    Some(path) => format!("{path}: {}", d.message),
                    None => d.message.clone(),
                });
            let values: Vec<String> = self
                .settings(c)
                .iter()
                .map(|(p, v)| format!("{p} = {}", scenario::value_text(v)))
                .collect();
            format!(
                "candidate {c} ({}) is refused in world `{}`: {why}. The levers vary \
                 together, so every combination of their ranges must be allowed: narrow \
                 the ranges that cross",
                values.join(", "),
                world.label
            )
        })?;
        let m = s
            .models
            .iter()
            .position(|x| x.name == self.model_key)
            .ok_or_else(|| format!("world `{}` lost model `{}`", world.label, self.model_key))?;
        let mut keep = vec![m];
        if self.needs_baselines() {
            keep.extend(baselines(&s, m));
        }
        s.models = keep.iter().map(|&i| s.models[i].clone()).collect();
        s.simulation.portfolios = portfolios;
        s.simulation.seed = seed;
        Ok(s)
    }

    /// Whether a figure compares the model with the strongest baseline.
    pub fn needs_baselines(&self) -> bool {
        self.constraints
            .iter()
            .any(|c| c.figure == Figure::WorseThanBaseline)
    }

    /// Candidate evaluations of the search.
    pub fn search_runs(&self) -> u64 {
        runs(&self.rungs, self.worlds.len())
    }

    /// Portfolios simulated in all: the search and the re-evaluation.
    pub fn portfolios_total(&self) -> u64 {
        let search: u64 = self
            .rungs
            .iter()
            .map(|r| r.candidates as u64 * r.portfolios)
            .sum();
        let fresh = (self.finalists as u64 + 1) * self.final_portfolios;
        (search + fresh) * self.worlds.len() as u64
    }

    /// Candidate `c`'s value of lever `i` as written (the scenario's when unset).
    pub fn lever_text(&self, c: usize, i: usize) -> String {
        match &self.candidates[c][i] {
            Some(Value::Float(x)) => crate::scenario::fields::number(*x),
            Some(v) => scenario::value_text(v).trim_matches('"').to_string(),
            None => "default".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_keep_a_third_with_three_times_the_portfolios() {
        let r = rungs(48, 4, 200);
        let got: Vec<(usize, u64)> = r.iter().map(|r| (r.candidates, r.portfolios)).collect();
        assert_eq!(got, [(48, 200), (16, 600), (6, 1800), (4, 5400)]);
        assert_eq!(runs(&r, 2), 2 * (48 + 16 + 6 + 4));
        // Fewer candidates than finalists: one rung.
        assert_eq!(rungs(3, 4, 100).len(), 1);
    }

    #[test]
    fn fresh_seed_differs_from_the_search_seed() {
        for s in [0, 1, 20_261_201, u64::MAX] {
            assert_ne!(fresh_seed(s), s);
            assert_eq!(fresh_seed(s), fresh_seed(s));
        }
    }
}
