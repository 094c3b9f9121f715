//! `budgetsim optimise`: the search for the funding rule that makes one model's
//! objective best under constraints (optimise/), with its progress, terminal summary and
//! output folder (optimise.csv and its companions, best.toml, Pareto chart, report).

use std::path::Path;

use super::folder::{Output, Study};
use super::resources::{Count, check_memory, thread_pool};
use super::terminal::{Results, begin, progress_bar};
use super::{AppError, load};
use crate::cli::OptimiseArgs;
use crate::optimise::search::Outcome;
use crate::optimise::{self, Options, Plan, World, spec};
use crate::report::i18n::Lang;
use crate::report::style;
use crate::scenario;

/// Loads the scenario and its worlds, plans and runs the search, and writes the folder.
pub(super) fn optimise(args: &OptimiseArgs) -> Result<(), AppError> {
    let common = &args.common;
    let (started, clock, status) = begin(common);
    let loaded = load(common)?;
    let opts = options(args, &loaded)?;
    let mut worlds = Vec::new();
    let across: Vec<std::path::PathBuf> = if args.across.is_empty() {
        // `[optimise] across` is relative to the scenario file.
        let base = Path::new(&loaded.origin)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        loaded
            .optimise
            .as_ref()
            .map(|o| o.across.iter().map(|p| base.join(p)).collect())
            .unwrap_or_default()
    } else {
        args.across.clone()
    };
    let sets = super::overrides(common);
    for path in &across {
        let w = scenario::load_named(path, &sets)?;
        worlds.push(World {
            label: w.slug(),
            loaded: w,
        });
    }
    let plan = optimise::plan(&loaded, worlds, &opts).map_err(AppError::Usage)?;
    // The largest single run (the last rung, or the fresh seed's) must fit in memory.
    let largest = plan
        .rungs
        .iter()
        .map(|r| r.portfolios)
        .chain([plan.final_portfolios])
        .max()
        .unwrap_or(0);
    check_memory(&loaded.scenario, largest, common, Count::Portfolios)?;
    let folder = Output::open(common, &format!("{}-optimise", loaded.slug()))?;
    let dest = folder.dest().to_path_buf();
    let pool = thread_pool(common)?;
    status.say(&format!(
        "searching {} for model `{}` ({} {}): {} in {} over {} rung(s), {}, then the \
         {} finalists (and the scenario's own rule, if not among them) on a fresh seed",
        super::terminal::count(plan.levers.len() as u64, "lever"),
        plan.model_key,
        plan.direction.name(),
        plan.objective.name(),
        super::terminal::count(plan.candidates.len() as u64, "candidate"),
        super::terminal::count(plan.worlds.len() as u64, "world"),
        plan.rungs.len(),
        super::terminal::count(plan.search_runs(), "run"),
        plan.finalists,
    ));
    let bar = progress_bar(common, plan.portfolios_total(), "portfolios");
    let outcome = pool.install(|| {
        optimise::search::run(&plan, &|k| bar.inc(k), &|line| {
            bar.set_message(line.to_string())
        })
    });
    bar.finish_and_clear();
    let outcome = outcome.map_err(AppError::Usage)?;
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let best = optimise::write::best_toml(&plan, &outcome).map_err(AppError::Runtime)?;
    let mut out = Results::default();
    out.print(&render(&plan, &outcome, simulate_seconds));
    let study = Study {
        loaded: &loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: plan.portfolios_total(),
        kind: crate::export::manifest::FolderKind::Optimise,
        options: reproduce_options(args, &across),
        langs: common.lang.list(),
    };
    study.write(folder, &status, |staging| {
        optimise::write::write_csv(&plan, &outcome, &staging.path("optimise.csv"))?;
        optimise::write::write_constraints(
            &plan,
            &outcome,
            &staging.path("optimise_constraints.csv"),
        )?;
        optimise::write::write_result(&plan, &outcome, &staging.path("optimise_result.csv"))?;
        std::fs::write(staging.path("best.toml"), &best)
    })?;
    out.finish(&dest)
}

/// The flags as an [`Options`], each checked as its `[optimise]` field would be.
fn options(args: &OptimiseArgs, loaded: &scenario::Loaded) -> Result<Options, AppError> {
    let mut problems: Vec<String> = Vec::new();
    let mut report = |at: &str, message: String, help: Option<String>| {
        // A flag is named as given, without the field suffix a table entry carries.
        let at = [
            ".path", ".low", ".high", ".values", ".figure", ".max", ".min",
        ]
        .iter()
        .find_map(|suffix| at.strip_suffix(suffix))
        .filter(|_| at.starts_with("--"))
        .unwrap_or(at);
        problems.push(match help {
            Some(h) => format!("{at}: {message} ({h})"),
            None => format!("{at}: {message}"),
        });
    };
    let s = &loaded.scenario;
    let model = match &args.model {
        Some(key) => Some(
            s.models
                .iter()
                .position(|m| &m.name == key)
                .ok_or_else(|| {
                    let keys: Vec<&str> = s.models.iter().map(|m| m.name.as_str()).collect();
                    AppError::Usage(format!(
                        "--model {key}: no such funding model; models here: {}",
                        keys.join(", ")
                    ))
                })?,
        ),
        None => None,
    };
    let objective = args
        .objective
        .as_deref()
        .and_then(|m| spec::metric(m, "--objective", &mut report));
    let direction = args
        .direction
        .as_deref()
        .and_then(|d| spec::direction(d, "--direction", &mut report));
    let mut levers = Vec::new();
    for text in &args.lever {
        match spec::parse_lever_flag(text) {
            Ok(raw) => {
                if let Some(l) = spec::lever(
                    &raw,
                    &format!("--lever {text}"),
                    &loaded.resolved,
                    &mut report,
                ) {
                    levers.push(l);
                }
            }
            Err(e) => report("--lever", e, None),
        }
    }
    let mut constraints = Vec::new();
    for text in &args.constraint {
        match spec::parse_constraint_flag(text) {
            Ok(raw) => {
                if let Some(c) =
                    spec::constraint(&raw, &format!("--constraint {text}"), &mut report)
                {
                    constraints.push(c);
                }
            }
            Err(e) => report("--constraint", e, None),
        }
    }
    for (flag, v) in [
        ("--finalists", args.finalists.map(|n| n as u64)),
        ("--final-portfolios", args.final_portfolios),
        ("--portfolios", args.common.portfolios),
        ("--budget-runs", args.budget_runs),
    ] {
        if v == Some(0) {
            report(flag, "must be at least 1".into(), None);
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Usage(problems.join("\n")));
    }
    Ok(Options {
        spec: spec::OptimiseSpec {
            model,
            objective,
            direction,
            portfolios: args.common.portfolios,
            candidates: None,
            finalists: args.finalists,
            final_portfolios: args.final_portfolios,
            across: Vec::new(),
            levers,
            constraints,
        },
        budget_runs: args.budget_runs,
    })
}

/// The options that chose what the study searched, for its reproduce command.
fn reproduce_options(args: &OptimiseArgs, across: &[std::path::PathBuf]) -> Vec<String> {
    use crate::export::reproduce::shell_word;
    let mut o = Vec::new();
    let mut flag = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            o.push(format!("--{name} {}", shell_word(&v)));
        }
    };
    flag("model", args.model.clone());
    flag("objective", args.objective.clone());
    flag("direction", args.direction.clone());
    for l in &args.lever {
        flag("lever", Some(l.clone()));
    }
    for c in &args.constraint {
        flag("constraint", Some(c.clone()));
    }
    flag("budget-runs", args.budget_runs.map(|n| n.to_string()));
    flag("finalists", args.finalists.map(|n| n.to_string()));
    flag(
        "final-portfolios",
        args.final_portfolios.map(|n| n.to_string()),
    );
    flag("portfolios", args.common.portfolios.map(|n| n.to_string()));
    if !across.is_empty() {
        let paths: Vec<String> = across
            .iter()
            .map(|p| {
                std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.clone())
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        flag("across", Some(paths.join(",")));
    }
    o
}

/// The terminal summary: the recommended rule against the scenario's own, its gain on
/// the fresh seed, the optimiser's curse, and the constraints.
fn render(plan: &Plan, o: &Outcome, seconds: f64) -> String {
    let m = plan.objective;
    let mut out = format!(
        "Optimise {} {} of `{}`: {} in {} world(s), {} in {:.1} s\n",
        plan.direction.name(),
        m.name(),
        plan.model_key,
        super::terminal::count(plan.candidates.len() as u64, "candidate"),
        plan.worlds.len(),
        super::terminal::count(plan.search_runs(), "search run"),
        seconds
    );
    if !o.feasible_found {
        out += "NO RULE SEARCHED MEETS EVERY CONSTRAINT: the closest one is shown.\n";
    }
    out += &format!(
        "\n{:<44} {:>16} {:>16}\n",
        "lever",
        "scenario",
        if o.chosen == 0 {
            "recommended (=)"
        } else {
            "recommended"
        }
    );
    for (i, l) in plan.levers.iter().enumerate() {
        out += &format!(
            "{:<44} {:>16} {:>16}\n",
            l.path,
            plan.lever_text(0, i),
            plan.lever_text(o.chosen, i)
        );
    }
    for (w, r) in plan.worlds.iter().zip(&o.worlds) {
        out += &format!(
            "\n[{}] fresh seed, {}: recommended {} vs scenario's own {}; gain {} [{}, {}]\n",
            w.label,
            super::terminal::count(plan.final_portfolios, "portfolio"),
            style::value(Lang::En, m, r.chosen.objective),
            style::value(Lang::En, m, r.own.objective),
            style::diff(Lang::En, m, r.gain.mean_diff),
            style::diff(Lang::En, m, r.gain.ci_low),
            style::diff(Lang::En, m, r.gain.ci_high),
        );
        out += &format!(
            "  optimiser's curse: {} in the search, {} on the fresh seed (change {})\n",
            style::value(Lang::En, m, r.chosen_search),
            style::value(Lang::En, m, r.chosen.objective),
            style::diff(Lang::En, m, r.chosen.objective - r.chosen_search),
        );
    }
    if !plan.constraints.is_empty() {
        out += &format!(
            "\n{:<36} {:>14} {:>14} {:>10}  {}\n",
            "constraint", "recommended", "scenario", "ruled out", ""
        );
        for (k, r) in plan.constraints.iter().zip(&o.constraints) {
            out += &format!(
                "{:<36} {:>14} {:>14} {:>10}  {}\n",
                k.text(),
                super::sensitivity::number(r.chosen),
                super::sensitivity::number(r.own),
                r.ruled_out,
                if r.binds { "binds" } else { "" }
            );
        }
    }
    out += "\nbest.toml in the folder runs the recommended rule: budgetsim run best.toml\n";
    out
}
