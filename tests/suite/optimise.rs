//! `budgetsim optimise`: the rule search on common random numbers, constraints judged
//! as feasible or not (never folded into the objective), the finalists re-run on a fresh
//! seed, robust choice across worlds, and refusals that say what to change.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{bin, text};
use budgetsim::optimise::{self, Options, search};
use budgetsim::scenario;

/// `budgetsim optimise SCENARIO EXTRA.. --quiet --out OUT`, which must succeed.
fn optimise_into(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["optimise", scenario.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(["--quiet", "--out", out.to_str().unwrap()]);
    let o = bin(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    o
}

/// A small search: two levers of the stage-gated model, few portfolios.
const SMALL: &str = r#"
[optimise]
model = "stage_gated"
portfolios = 30
candidates = 8
finalists = 2
final_portfolios = 90
constraints = []
levers = [
  { path = "models.stage_gated.hurdle", low = 0.8, high = 2.5 },
  { path = "models.stage_gated.reserve", values = ["none", "next_stage", "plan"] },
]
"#;

/// A scenario file `name` extending the default with `body` appended.
fn scenario_file(dir: &Path, name: &str, body: &str) -> PathBuf {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let p = dir.join(name);
    let text = format!(
        "extends = {:?}\nname = \"optimise test\"\n{body}",
        default.display().to_string()
    );
    std::fs::write(&p, text).unwrap();
    p
}

fn plan_of(path: &Path, worlds: Vec<optimise::World>) -> optimise::Plan {
    let loaded = scenario::load_file(path, &[]).unwrap();
    optimise::plan(&loaded, worlds, &Options::default()).unwrap()
}

fn search(plan: &optimise::Plan) -> search::Outcome {
    search::run(plan, &|_| {}, &|_| {}).unwrap()
}

/// Same scenario and seed: the same files, byte for byte, on one thread or two.
#[test]
fn the_search_is_deterministic_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "small.toml", SMALL);
    let mut folders = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("out{threads}"));
        let o = bin(&[
            "optimise",
            path.to_str().unwrap(),
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        folders.push(out);
    }
    for f in [
        "optimise.csv",
        "optimise_constraints.csv",
        "optimise_result.csv",
        "best.toml",
    ] {
        let a = std::fs::read(folders[0].join(f)).unwrap();
        let b = std::fs::read(folders[1].join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
}

/// Every candidate runs on the same seed, so a constraint changes which candidates are
/// acceptable, never their figures: the objective of each candidate at the first rung is
/// the same with and without the constraint, the unconstrained winner breaking it is
/// marked infeasible (not penalised), and the rule chosen under it meets it.
#[test]
fn a_constraint_makes_rules_infeasible_without_touching_their_objective() {
    let dir = tempfile::tempdir().unwrap();
    let free = plan_of(&scenario_file(dir.path(), "free.toml", SMALL), Vec::new());
    let free_out = search(&free);
    let winner = free_out.chosen;
    let objective = |o: &search::Outcome, c: usize| {
        o.evals
            .iter()
            .find(|e| e.candidate == c && e.rung == Some(0))
            .map(|e| e.objective)
            .unwrap()
    };
    // A cap on waste just below the free winner's own at the first rung: it breaks it.
    let winner_waste = {
        let s = free.scenario(winner, 0, 30, free.search_seed).unwrap();
        let r = budgetsim::engine::run(&s, 0..30);
        let v: Vec<f64> = r.outcomes[0]
            .iter()
            .map(|o| o.get(budgetsim::metrics::Metric::WasteShare))
            .filter(|x| x.is_finite())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let body = SMALL.replace(
        "constraints = []",
        &format!(
            "constraints = [{{ figure = \"waste_share\", max = {} }}]",
            winner_waste * 0.999
        ),
    );
    let capped = plan_of(&scenario_file(dir.path(), "capped.toml", &body), Vec::new());
    let capped_out = search(&capped);
    for c in 0..free.candidates.len() {
        assert_eq!(
            objective(&free_out, c),
            objective(&capped_out, c),
            "candidate {c}'s objective moved with a constraint"
        );
    }
    let row = capped_out
        .evals
        .iter()
        .find(|e| e.candidate == winner && e.rung == Some(0))
        .unwrap();
    assert!(!row.feasible(), "the free winner breaks the cap");
    assert_eq!(row.violated, [0]);
    if capped_out.feasible_found {
        assert_ne!(capped_out.chosen, winner);
        let fresh = &capped_out.worlds[0].chosen;
        assert!(fresh.figures[0] <= winner_waste * 0.999);
    }
}

/// A constraint no rule can meet: nothing is feasible, the study says so (in the CSVs
/// and the terminal) and still names the closest rule, exit 0.
#[test]
fn an_impossible_constraint_is_reported_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let body = SMALL.replace(
        "constraints = []",
        "constraints = [{ figure = \"net_value_p5\", min = 1e12 }]",
    );
    let path = scenario_file(dir.path(), "impossible.toml", &body);
    let out = dir.path().join("out");
    let o = optimise_into(&path, &out, &[]);
    assert!(
        text(&o.stdout).contains("NO RULE SEARCHED MEETS EVERY CONSTRAINT"),
        "{}",
        text(&o.stdout)
    );
    let csv = std::fs::read_to_string(out.join("optimise.csv")).unwrap();
    let mut rows = csv.lines();
    let head: Vec<&str> = rows.next().unwrap().split(',').collect();
    let feasible = head.iter().position(|h| *h == "feasible").unwrap();
    for r in rows {
        assert_eq!(r.split(',').nth(feasible), Some("false"), "{r}");
    }
    let result = std::fs::read_to_string(out.join("optimise_result.csv")).unwrap();
    assert!(result.contains(",false,"), "{result}");
    let best = std::fs::read_to_string(out.join("best.toml")).unwrap();
    assert!(best.contains("No rule searched met every constraint"));
}

/// The optimiser's curse: the finalists and the scenario's own rule are re-run on a
/// fresh seed with more portfolios; the figures reported are those, the gain is paired
/// on the fresh seed, and the shrinkage is the search estimate minus the fresh one. The
/// fresh figure of the chosen rule is what an independent run of its scenario on the
/// fresh seed gives.
#[test]
fn the_finalists_are_judged_on_a_fresh_seed() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(&scenario_file(dir.path(), "fresh.toml", SMALL), Vec::new());
    let o = search(&plan);
    assert_ne!(plan.fresh_seed, plan.search_seed);
    let fresh: Vec<_> = o
        .evals
        .iter()
        .filter(|e| e.phase == search::Phase::Fresh)
        .collect();
    // The finalists plus the scenario's own rule (when it is not a finalist).
    assert!(fresh.len() == plan.finalists || fresh.len() == plan.finalists + 1);
    assert!(fresh.iter().any(|e| e.candidate == 0));
    assert!(fresh.iter().any(|e| e.candidate == o.chosen));
    for e in &fresh {
        assert_eq!((e.seed, e.portfolios), (plan.fresh_seed, 90));
    }
    let w = &o.worlds[0];
    assert_eq!(w.chosen.seed, plan.fresh_seed);
    // An independent run of the chosen rule on the fresh seed.
    let s = plan.scenario(o.chosen, 0, 90, plan.fresh_seed).unwrap();
    let r = budgetsim::engine::run(&s, 0..90);
    let net: Vec<f64> = r.outcomes[0]
        .iter()
        .map(|x| x.get(budgetsim::metrics::Metric::NetValue))
        .collect();
    let mean = net.iter().sum::<f64>() / net.len() as f64;
    assert!((mean - w.chosen.objective).abs() <= 1e-9 * mean.abs().max(1.0));
    // The gain is the paired difference: its mean is the difference of the means.
    let diff = w.chosen.objective - w.own.objective;
    assert!((w.gain.mean_diff - diff).abs() <= 1e-6 * diff.abs().max(1.0));
    assert!(w.gain.ci_low <= w.gain.mean_diff && w.gain.mean_diff <= w.gain.ci_high);
    // The search figure is the chosen rule's at the last rung it reached.
    let last = o
        .evals
        .iter()
        .rev()
        .find(|e| e.candidate == o.chosen && e.phase == search::Phase::Search)
        .unwrap();
    assert_eq!(w.chosen_search, last.objective);
}

/// Robust rules across worlds: every candidate is run in each world, regrets are
/// measured per world against that world's best, and the choice has the least
/// worst-case regret among the finalists on the fresh seed.
#[test]
fn across_worlds_the_choice_minimises_the_worst_regret() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "here.toml", SMALL);
    let risky = scenario_file(
        dir.path(),
        "risky.toml",
        &format!("{SMALL}\n[risk]\nblack_swan_probability = 0.15\n"),
    );
    let world = |p: &Path| {
        let l = scenario::load_file(p, &[]).unwrap();
        optimise::World {
            label: l.slug(),
            loaded: l,
        }
    };
    let plan = plan_of(&path, vec![world(&risky)]);
    assert_eq!(plan.worlds.len(), 2);
    let o = search(&plan);
    let fresh: Vec<_> = o
        .evals
        .iter()
        .filter(|e| e.phase == search::Phase::Fresh)
        .collect();
    let worst = |c: usize| {
        fresh
            .iter()
            .filter(|e| e.candidate == c)
            .map(|e| e.regret)
            .fold(0.0, f64::max)
    };
    for e in &fresh {
        assert!(e.regret >= 0.0, "regret {e:?}");
        if o.status[e.candidate] == search::Status::Finalist {
            assert!(worst(o.chosen) <= worst(e.candidate));
        }
    }
    // Each world's best finalist has no regret there.
    for w in 0..2 {
        assert!(fresh.iter().any(|e| e.world == w && e.regret == 0.0));
    }
}

/// A world without the model searched, or where a lever is not a field, is refused
/// before anything runs (exit 2), naming the world and what is missing.
#[test]
fn a_world_that_does_not_fit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "main.toml", SMALL);
    // The default world with its stage-gated model under another key.
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml"),
    )
    .unwrap();
    let cut = default.find("[optimise]").unwrap();
    let end = default
        .find("# Optional settings of `budgetsim sensitivity`")
        .unwrap();
    let world = format!("{}{}", &default[..cut], &default[end..])
        .replace("models.stage_gated", "models.phases");
    let other = dir.path().join("other-world.toml");
    std::fs::write(&other, world).unwrap();
    let o = bin(&[
        "optimise",
        path.to_str().unwrap(),
        "--across",
        other.to_str().unwrap(),
        "--quiet",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("stage_gated") && err.contains("other-world"),
        "{err}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "no folder for a refused study"
    );
}

/// Bad input in [optimise] or in the flags: exit 2 naming the field (with the file
/// and line) or the flag, and what to write instead.
#[test]
fn bad_optimise_input_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let body = SMALL.replace(
        "constraints = []",
        "constraints = [{ figure = \"wast_share\", max = 0.2 }]",
    );
    let path = scenario_file(dir.path(), "bad.toml", &body);
    let o = bin(&["optimise", path.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("optimise.constraints.0.figure"), "{err}");
    assert!(err.contains("waste_share"), "a suggestion: {err}");
    let good = scenario_file(dir.path(), "good.toml", SMALL);
    for (flag, expect) in [
        ("--lever=models.stage_gated.hurdle", "PATH=LOW..HIGH"),
        ("--lever=models.stage_gated.hurdle=3..1", "low < high"),
        ("--lever=ideas.value=1..2", "assumption"),
        ("--constraint=waste_share<0.2", "FIGURE<=LIMIT"),
    ] {
        let o = bin(&["optimise", good.to_str().unwrap(), flag, "--quiet"]);
        assert_eq!(o.status.code(), Some(2), "{flag}");
        let err = text(&o.stderr);
        assert!(err.contains(expect), "{flag}: {err}");
    }
}

/// best.toml runs as is: it extends the scenario searched and sets the chosen rule.
#[test]
fn best_toml_is_the_chosen_rule_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "base.toml", SMALL);
    let out = dir.path().join("out");
    optimise_into(&path, &out, &[]);
    let best = out.join("best.toml");
    let loaded = scenario::load_file(&best, &[]).unwrap();
    let plan = plan_of(&path, Vec::new());
    let outcome = search(&plan);
    let chosen = plan.scenario(outcome.chosen, 0, 1, 1).unwrap();
    let m = |s: &budgetsim::model::Scenario| {
        s.models
            .iter()
            .find(|m| m.name == "stage_gated")
            .map(|m| (m.stages[0].hurdle, m.reserve))
            .unwrap()
    };
    assert_eq!(m(&loaded.scenario), m(&chosen));
    assert!(
        std::fs::read_to_string(&best)
            .unwrap()
            .contains("extends = ")
    );
}

/// Levers are the fund's rules for the model searched: an assumption about the world,
/// a rule of another model, the same field twice or a count range holding one whole
/// number are refused, naming the lever.
#[test]
fn levers_that_are_not_rules_of_the_model_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = scenario_file(dir.path(), "good.toml", SMALL);
    for (flags, expect) in [
        (vec!["--lever=ideas.fit_probability=0.3..0.9"], "assumption"),
        (vec!["--lever=simulation.seed=1..100"], "not a rule"),
        (vec!["--lever=models.stage_gated.label=a,b"], "not a rule"),
        (
            vec!["--lever=models.waterfall.hurdle=1..2"],
            "model `waterfall`",
        ),
        (
            vec![
                "--lever=models.stage_gated.hurdle=1..2",
                "--lever=models.stage_gated.hurdle=1.5..3",
            ],
            "twice",
        ),
        (
            vec!["--lever=models.stage_gated.stages.0.attempts=1.5..2.5"],
            "only one",
        ),
    ] {
        let mut args = vec!["optimise", good.to_str().unwrap(), "--quiet"];
        args.extend(flags.iter().copied());
        let o = bin(&args);
        assert_eq!(o.status.code(), Some(2), "{flags:?}");
        let err = text(&o.stderr);
        assert!(err.contains(expect), "{flags:?}: {err}");
    }
}

/// Every shipped preset inherits the default's [optimise] table: each must plan, and
/// every candidate of its search must be a valid scenario.
#[test]
fn every_preset_can_be_optimised() {
    for p in scenario::presets::PRESETS {
        let loaded = scenario::load_text(&p.label(), p.text, None, &[]).unwrap();
        let plan = optimise::plan(&loaded, Vec::new(), &Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
        for c in 0..plan.candidates.len() {
            plan.scenario(c, 0, 1, plan.search_seed)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
    }
}

/// best.toml is the world searched: --set overrides are in it, so running it gives the
/// figures the search reported.
#[test]
fn best_toml_keeps_the_overrides_of_the_search() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "set.toml", SMALL);
    let out = dir.path().join("out");
    optimise_into(&path, &out, &["--set", "fund.budget=30000000"]);
    let best = scenario::load_file(&out.join("best.toml"), &[]).unwrap();
    assert_eq!(best.scenario.fund.budget, 30_000_000.0);
}

/// An infeasible candidate has no regret (it is not a choice) unless no candidate of
/// its world is feasible; a feasible one's regret is its gap to the best feasible one.
#[test]
fn only_acceptable_rules_carry_a_regret() {
    let dir = tempfile::tempdir().unwrap();
    let body = SMALL.replace(
        "constraints = []",
        "constraints = [{ figure = \"small_vendor_share\", min = 0.45 }]",
    );
    let plan = plan_of(&scenario_file(dir.path(), "r.toml", &body), Vec::new());
    let o = search(&plan);
    let first: Vec<_> = o.evals.iter().filter(|e| e.rung == Some(0)).collect();
    let any_feasible = first.iter().any(|e| e.feasible());
    for e in &first {
        if any_feasible && !e.feasible() {
            assert!(e.regret.is_nan(), "{e:?}");
        } else {
            assert!(e.regret >= 0.0, "{e:?}");
        }
    }
}
