//! The files of an optimise folder: optimise.csv (every evaluation), the constraints'
//! and the result's tables, and best.toml, the scenario with the recommended rule.

use std::path::Path;

use toml::{Table, Value};

use super::Plan;
use super::search::Outcome;
use crate::export::cell::{SafeCsv, number_cell as number};
use crate::scenario::{self, Seg, fields};

/// optimise.csv: one row per evaluation (candidate x world x rung, then the fresh
/// seed), with each lever's value and each constraint's figure.
pub fn write_csv(plan: &Plan, o: &Outcome, path: &Path) -> std::io::Result<()> {
    let mut w = SafeCsv::create(path)?;
    let mut head: Vec<String> = [
        "candidate",
        "phase",
        "rung",
        "portfolios",
        "seed",
        "world",
        "objective",
        "objective_ci_low",
        "objective_ci_high",
        "feasible",
        "violated",
        "regret",
        "status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    head.extend(plan.levers.iter().map(|l| format!("lever:{}", l.path)));
    head.extend(
        plan.constraints
            .iter()
            .map(|k| format!("figure:{}", k.figure.name())),
    );
    w.row(head)?;
    for e in &o.evals {
        let mut row = vec![
            e.candidate.to_string(),
            e.phase.name().to_string(),
            e.rung.map_or(String::new(), |r| r.to_string()),
            e.portfolios.to_string(),
            e.seed.to_string(),
            plan.worlds[e.world].label.clone(),
            number(e.objective),
            number(e.ci_low),
            number(e.ci_high),
            e.feasible().to_string(),
            e.violated
                .iter()
                .map(|&i| plan.constraints[i].text())
                .collect::<Vec<_>>()
                .join("; "),
            number(e.regret),
            o.status[e.candidate].name().to_string(),
        ];
        row.extend((0..plan.levers.len()).map(|i| plan.lever_text(e.candidate, i)));
        row.extend(e.figures.iter().map(|&x| number(x)));
        w.row(row)?;
    }
    w.finish()
}

/// optimise_constraints.csv: per constraint, the chosen and own rules' figures on the
/// fresh seed, the slack and how many better candidates it ruled out.
pub fn write_constraints(plan: &Plan, o: &Outcome, path: &Path) -> std::io::Result<()> {
    let mut w = SafeCsv::create(path)?;
    w.row([
        "constraint",
        "figure",
        "bound",
        "limit",
        "chosen",
        "own",
        "slack",
        "ruled_out",
        "binds",
    ])?;
    for (k, r) in plan.constraints.iter().zip(&o.constraints) {
        w.row([
            k.text(),
            k.figure.name().to_string(),
            k.bound.name().to_string(),
            number(k.limit),
            number(r.chosen),
            number(r.own),
            number(r.slack),
            r.ruled_out.to_string(),
            r.binds.to_string(),
        ])?;
    }
    w.finish()
}

/// optimise_result.csv: one row per world: the choice, its gain over the scenario's
/// own rule on the fresh seed, and how much its estimate shrank there. (The search's
/// time is in the manifest: these files are the same bytes on any machine.)
pub fn write_result(plan: &Plan, o: &Outcome, path: &Path) -> std::io::Result<()> {
    let mut w = SafeCsv::create(path)?;
    w.row([
        "world",
        "model",
        "objective",
        "direction",
        "candidates",
        "runs",
        "rungs",
        "search_portfolios",
        "final_portfolios",
        "search_seed",
        "fresh_seed",
        "chosen",
        "own",
        "feasible_found",
        "chosen_search",
        "chosen_fresh",
        "chosen_fresh_ci_low",
        "chosen_fresh_ci_high",
        "own_fresh",
        "own_fresh_ci_low",
        "own_fresh_ci_high",
        "gain",
        "gain_ci_low",
        "gain_ci_high",
        "shrinkage",
        "robust",
    ])?;
    for (world, r) in plan.worlds.iter().zip(&o.worlds) {
        w.row([
            world.label.clone(),
            plan.model_key.clone(),
            plan.objective.name().to_string(),
            plan.direction.name().to_string(),
            plan.candidates.len().to_string(),
            plan.search_runs().to_string(),
            plan.rungs.len().to_string(),
            plan.rungs.first().map_or(0, |r| r.portfolios).to_string(),
            plan.final_portfolios.to_string(),
            plan.search_seed.to_string(),
            plan.fresh_seed.to_string(),
            o.chosen.to_string(),
            "0".to_string(),
            o.feasible_found.to_string(),
            number(r.chosen_search),
            number(r.chosen.objective),
            number(r.chosen.ci_low),
            number(r.chosen.ci_high),
            number(r.own.objective),
            number(r.own.ci_low),
            number(r.own.ci_high),
            number(r.gain.mean_diff),
            number(r.gain.ci_low),
            number(r.gain.ci_high),
            number(r.chosen_search - r.chosen.objective),
            (plan.worlds.len() > 1).to_string(),
        ])?;
    }
    w.finish()
}

/// best.toml: the scenario with the recommended rule. When the scenario came from a
/// file, it `extends` that file (by absolute path) and writes only what the rule
/// changes (a list such as a model's stages whole, since `extends` replaces lists);
/// the embedded default has no file to extend, so its resolved scenario is written
/// whole with the rule in place.
pub fn best_toml(plan: &Plan, o: &Outcome) -> Result<String, String> {
    let loaded = &plan.worlds[0].loaded;
    let settings = plan.settings(o.chosen);
    let applied = scenario::with_settings(loaded, &settings, "best.toml")
        .map_err(|e| format!("best.toml: {e}"))?;
    let mut head = format!(
        "# The recommended rule of `budgetsim optimise` for model `{}`: {} {}{}.\n",
        plan.model_key,
        plan.direction.name(),
        plan.objective.name(),
        if plan.constraints.is_empty() {
            String::new()
        } else {
            format!(
                " subject to {}",
                plan.constraints
                    .iter()
                    .map(|k| k.text())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    head += &format!("# Scenario searched: {}\n", loaded.origin);
    for (i, l) in plan.levers.iter().enumerate() {
        head += &format!(
            "#   {} = {} (scenario: {})\n",
            l.path,
            plan.lever_text(o.chosen, i),
            plan.lever_text(0, i)
        );
    }
    if !o.feasible_found {
        head += "# No rule searched met every constraint: this is the closest one.\n";
    }
    let file = Path::new(&loaded.origin);
    // `extends` reproduces the search's world only when the file alone gives it: with
    // --set overrides (or a file changed since), the resolved scenario is written whole.
    let file_alone = loaded.origin != scenario::DEFAULT_LABEL
        && file.is_file()
        && scenario::load_file(file, &[]).is_ok_and(|l| l.resolved == loaded.resolved);
    let body = if file_alone {
        let parent = std::fs::canonicalize(file)
            .map_err(|e| format!("best.toml: cannot locate `{}`: {e}", loaded.origin))?;
        let mut over = Table::new();
        over.insert(
            "extends".into(),
            Value::String(parent.to_string_lossy().into_owned()),
        );
        for (path, _) in &settings {
            copy_path(&applied, &mut over, path);
        }
        over
    } else {
        applied
    };
    let text = toml::to_string(&body).map_err(|e| format!("best.toml: {e}"))?;
    Ok(head + "\n" + &text)
}

/// Copies the value at `path` of `from` into `to`, creating the tables on the way; a
/// path through a list copies the whole list (`extends` replaces lists whole).
fn copy_path(from: &Table, to: &mut Table, path: &str) {
    let segs = scenario::parse_path(path);
    let keys: Vec<String> = segs
        .iter()
        .take_while(|s| matches!(s, Seg::Key(_)))
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        })
        .collect();
    let (mut src, mut dst) = (from, to);
    for (i, k) in keys.iter().enumerate() {
        let Some(v) = src.get(k) else {
            return;
        };
        if i + 1 == keys.len() || !v.is_table() || fields::is_distribution(&keys[..=i].join(".")) {
            dst.insert(k.clone(), v.clone());
            return;
        }
        let Some(t) = v.as_table() else {
            return;
        };
        src = t;
        let entry = dst
            .entry(k.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        let Some(next) = entry.as_table_mut() else {
            return;
        };
        dst = next;
    }
}
