//! `budgetsim sensitivity`: one-at-a-time moves ranked by swing, with the parameters
//! left out listed with a reason, reproducible on any thread count.

use std::path::{Path, PathBuf};

use crate::common::{bin, text};
use budgetsim::scenario;
use budgetsim::sensitivity::{self, Options};

fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml")
}

/// A scenario file extending the default with `body` appended.
fn scenario_file(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("test.toml");
    let text = format!(
        "extends = {:?}\nname = \"sensitivity test\"\n{body}",
        default_path().display().to_string()
    );
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_parameter_the_scenario_makes_dominant_ranks_first() {
    let dir = tempfile::tempdir().unwrap();
    // Gate reviews from $0 to $3M each swamp everything else for the stage-gated model.
    let params = r#"
  { path = "vendors.markup" },
  { path = "ideas.fit_probability" },
  { path = "models.stage_gated.gate_review_cost", low = 0, high = 3_000_000 },"#;
    let table = |extra: &str| {
        format!("[sensitivity]\nportfolios = 150\nparameters = [{params}{extra}\n]\n")
    };
    // An unknown path is an error that names it, found when the scenario loads.
    let path = scenario_file(
        dir.path(),
        &table("\n  { path = \"risk.overrun_log_sd_typo_never_used\", low = 0, high = 1 },"),
    );
    let err = scenario::load_file(&path, &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("risk.overrun_log_sd_typo_never_used"),
        "{err}"
    );

    let path = scenario_file(dir.path(), &table(""));
    let loaded = scenario::load_file(&path, &[]).unwrap();
    let plan = sensitivity::plan(&loaded, &Options::default()).unwrap();
    assert_eq!(plan.moves.len(), 3);
    assert_eq!(plan.portfolios, 150);
    // Everything else numeric is listed as left out, with the reason.
    assert!(
        plan.excluded
            .iter()
            .any(|e| e.path == "fund.budget" && e.reason.contains("not listed"))
    );
    let t = sensitivity::run(&plan, &|_| {});
    assert_eq!(
        t.rows[0].parameter.path,
        "models.stage_gated.gate_review_cost"
    );
    // Costly gates cut the stage-gated model's lead, and at $3M a review they reverse
    // it: the break-even lies between the scenario's cost and $3M, and running there
    // leaves a difference far nearer zero than the scenario's (the difference is far
    // from linear in the cost, so a straight line from $20k to $3M would miss it).
    let gates = &t.rows[0];
    assert!(gates.at_high.mean_diff < gates.at_low.mean_diff);
    assert!(t.base.mean_diff > 0.0 && gates.at_high.mean_diff < 0.0);
    let flip = gates.break_even.expect("costly gates flip the answer");
    assert_eq!(flip.end, sensitivity::End::High);
    assert!(
        flip.value > gates.parameter.base && flip.value < 3e6,
        "{flip:?}"
    );
    let at = scenario::load_file(
        &path,
        &[format!(
            "models.stage_gated.gate_review_cost={}",
            flip.value
        )],
    )
    .unwrap();
    let r = budgetsim::engine::run(&at.scenario, 0..150);
    let net = |m: usize| -> Vec<f64> {
        r.outcomes[m]
            .iter()
            .map(|o| o.get(budgetsim::metrics::Metric::NetValue))
            .collect()
    };
    let (b, c) = (plan.baseline.0, plan.challenger.0);
    let there = budgetsim::analysis::paired(&net(c), &net(b), budgetsim::metrics::Better::Higher);
    assert!(
        there.mean_diff.abs() < 0.1 * t.base.mean_diff.abs(),
        "at the break-even {}: {} (scenario: {})",
        flip.value,
        there.mean_diff,
        t.base.mean_diff
    );
    for w in t.rows.windows(2) {
        assert!(w[0].swing() >= w[1].swing());
    }
    // The spread move is 25% either side of the scenario's value.
    let markup = t
        .rows
        .iter()
        .find(|r| r.parameter.path == "vendors.markup")
        .unwrap();
    assert!(
        (markup.parameter.low - 0.225).abs() < 1e-12
            && (markup.parameter.high - 0.375).abs() < 1e-12
    );
}

#[test]
fn the_command_writes_ranked_csvs_and_tornado_charts_identically_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = bin(&[
            "sensitivity",
            "--portfolios",
            "30",
            "--spread",
            "0.2",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains("rank"), "{}", text(&o.stdout));
        outs.push(out);
    }
    let a = std::fs::read(outs[0].join("sensitivity.csv")).unwrap();
    assert_eq!(a, std::fs::read(outs[1].join("sensitivity.csv")).unwrap());
    assert!(
        budgetsim::export::run_folder::verify(&outs[0])
            .unwrap()
            .is_empty()
    );
    for f in [
        "charts/tornado.png",
        "charts/tornado.svg",
        "charts/fr/tornado.png",
        "charts/fr/tornado.svg",
        "scenario.toml",
        "manifest.json",
    ] {
        assert!(outs[0].join(f).exists(), "{f}");
    }
    // The report: whether any input flips the answer, the tornado, and every input
    // moved by its human label with the field to --set.
    crate::report::study_report_rebuilds(
        &outs[0],
        "tornado",
        &[
            "What would change the answer",
            "Every input moved",
            "Fund budget",
            "<code>fund.budget</code>",
        ],
        &["Ce qui changerait la réponse", "Budget du fonds"],
    );
    let mut r = csv::Reader::from_path(outs[0].join("sensitivity.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let swing = header.iter().position(|h| h == "swing").unwrap();
    let low = header.iter().position(|h| h == "low_value").unwrap();
    let base = header.iter().position(|h| h == "base_value").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert!(rows.len() > 30, "{} parameters moved", rows.len());
    let swings: Vec<f64> = rows.iter().map(|r| r[swing].parse().unwrap()).collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]));
    for row in &rows {
        let (b, l): (f64, f64) = (row[base].parse().unwrap(), row[low].parse().unwrap());
        if row[5].eq("spread") && b > 0.0 && !row[1].ends_with("ideas_per_round") {
            assert!((l - 0.8 * b).abs() <= 1e-9 * b, "{row:?}");
        }
    }
    let excluded = std::fs::read_to_string(outs[0].join("sensitivity_excluded.csv")).unwrap();
    for (path, why) in [
        ("simulation.seed", "Monte Carlo setting"),
        ("models.waterfall.gate_review_cost", "zero"),
        ("models.stage_gated.stages.1.recompete", "on/off switch"),
        ("models.waterfall.commitment", "a choice"),
    ] {
        assert!(
            excluded
                .lines()
                .any(|l| l.starts_with(path) && l.contains(why)),
            "{path}: {excluded}"
        );
    }
}

#[test]
fn bad_options_exit_2_and_say_what_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o_dir = out.to_str().unwrap();
    for (args, expect) in [
        (vec!["--metric", "net_valeu"], "unknown metric `net_valeu`"),
        (vec!["--models", "waterfall"], "two model keys"),
        (
            vec!["--models", "waterfall,agile"],
            "no funding model `agile`",
        ),
        (vec!["--spread", "1.5"], "between 0 and 1"),
    ] {
        let mut all = vec![
            "sensitivity",
            "--portfolios",
            "5",
            "--quiet",
            "--out",
            o_dir,
        ];
        all.extend(args);
        let o = bin(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(expect),
            "{all:?}: {}",
            text(&o.stderr)
        );
        assert!(!out.exists(), "no folder after an error");
    }
    // [sensitivity] problems are located in the file.
    let path = scenario_file(
        dir.path(),
        "[sensitivity]\nmetric = \"wastes\"\nspread = 2\n",
    );
    let o = bin(&[
        "sensitivity",
        path.to_str().unwrap(),
        "--quiet",
        "--out",
        o_dir,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("sensitivity.metric") && err.contains("`waste`"),
        "{err}"
    );
    assert!(err.contains("sensitivity.spread"), "{err}");
    assert!(err.contains("test.toml:"), "{err}");
}

#[test]
fn shares_move_within_their_meaning() {
    // Every model's stage shares, moved 25% either way by default.
    let loaded = scenario::load_default(&[]).unwrap();
    let plan = sensitivity::plan(
        &loaded,
        &Options {
            models: Some(("waterfall".into(), "stage_gated".into())),
            portfolios: Some(5),
            ..Options::default()
        },
    )
    .unwrap();
    let moved = |p: &str| plan.moves.iter().find(|m| m.parameter.path == p);
    // A stage's scope share moves with the other stages' shares rescaled (they must
    // still add up to 1, or the variant would not validate).
    let alpha = moved("models.stage_gated.stages.1.scope_share").expect("alpha's share moves");
    assert!(alpha.parameter.low < 0.1 && alpha.parameter.high > 0.1);
    // A share of 1 moves down only: a stage cannot take more than the whole duration.
    let d = moved("models.waterfall.stages.0.duration_share").expect("duration share moves");
    assert!(d.parameter.low < 1.0 && d.parameter.high == 1.0);
    // The only stage of a model holds the whole scope: nothing to move, and said why.
    let why = plan
        .excluded
        .iter()
        .find(|e| e.path == "models.waterfall.stages.0.scope_share")
        .expect("the waterfall's scope share is listed as left out");
    assert!(why.reason.contains("only stage"), "{}", why.reason);
}

/// Every shipped scenario: scenarios/*.toml (the presets among them) and the embedded
/// default.
fn shipped() -> Vec<scenario::Loaded> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut all: Vec<scenario::Loaded> = files
        .iter()
        .map(|f| scenario::load_file(f, &[]).unwrap())
        .collect();
    all.push(scenario::load_default(&[]).unwrap());
    all
}

/// The plan of `loaded` for its first two models (the plan moves every model's fields).
fn plan_of(loaded: &scenario::Loaded) -> sensitivity::Plan {
    let m = &loaded.scenario.models;
    sensitivity::plan(
        loaded,
        &Options {
            models: Some((m[0].name.clone(), m[1].name.clone())),
            portfolios: Some(2),
            ..Options::default()
        },
    )
    .unwrap()
}

#[test]
fn every_parameter_moved_in_a_shipped_scenario_has_a_human_label_in_both_languages() {
    use budgetsim::model::Lang;
    for loaded in shipped() {
        let plan = plan_of(&loaded);
        assert!(plan.moves.len() > 10, "{}", loaded.origin);
        for mv in &plan.moves {
            let p = &mv.parameter;
            for lang in [Lang::En, Lang::Fr] {
                let label = plan.label(p, lang);
                assert!(
                    label != p.path && !label.contains("{}") && !label.contains(&p.path),
                    "{}: {lang:?} label of {}: {label}",
                    loaded.origin,
                    p.path
                );
            }
        }
    }
}

#[test]
fn the_overrun_parameters_move_together_and_every_moved_scenario_validates() {
    for loaded in shipped() {
        let plan = plan_of(&loaded);
        for group in sensitivity::GROUPS {
            let mv = plan
                .moves
                .iter()
                .find(|m| m.parameter.path == group.id)
                .unwrap_or_else(|| panic!("{}: {} is not moved", loaded.origin, group.id));
            assert_eq!(mv.parameter.members, group.members);
            assert_eq!(mv.parameter.kind, scenario::fields::Kind::Assumption);
            // Its members are neither moved alone nor left out.
            for m in group.members {
                assert!(plan.moves.iter().all(|x| x.parameter.path != *m), "{m}");
                assert!(plan.excluded.iter().all(|x| x.path != *m), "{m}");
            }
        }
        // Every move gives a scenario that validates: written back as --set values, the
        // low and high load (a refused value would be an error).
        let r = &loaded.scenario.risk;
        let leaf = |p: &str| -> f64 {
            let v = &loaded.resolved["risk"][p];
            v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap()
        };
        for f in [0.75, 1.25] {
            let sets: Vec<(String, toml::Value)> = [
                (
                    "risk.overrun_median",
                    1.0 + f * (leaf("overrun_median") - 1.0),
                ),
                ("risk.overrun_p90", 1.0 + f * (leaf("overrun_p90") - 1.0)),
                ("risk.tail_min", f * leaf("tail_min")),
                ("risk.tail_max", f * leaf("tail_max")),
            ]
            .iter()
            .map(|(p, v)| (p.to_string(), toml::Value::Float(*v)))
            .collect();
            scenario::variant(&loaded, &sets, "test").unwrap();
        }
        for mv in &plan.moves {
            let [low, high] = mv.scenarios();
            if mv.parameter.path == "risk.cost_overruns" {
                let (l, h) = (&low.risk, &high.risk);
                assert!(l.tail_min < r.tail_min && r.tail_min < h.tail_min);
                assert!(l.tail_max < h.tail_max);
            }
            assert_eq!(low.models.len(), 2);
            assert_eq!(high.models.len(), 2);
        }
    }
}

#[test]
fn the_csv_says_whether_each_parameter_is_a_lever_or_an_assumption() {
    let loaded = scenario::load_default(&[]).unwrap();
    let plan = plan_of(&loaded);
    let kind = |p: &str| {
        plan.moves
            .iter()
            .find(|m| m.parameter.path == p)
            .map(|m| m.parameter.kind.name())
    };
    assert_eq!(kind("models.stage_gated.hurdle"), Some("lever"));
    assert_eq!(kind("fund.budget"), Some("lever"));
    assert_eq!(kind("ideas.fit_probability"), Some("assumption"));
    assert_eq!(kind("vendors.markup"), Some("assumption"));
    let dir = tempfile::tempdir().unwrap();
    let t = sensitivity::run(&plan, &|_| {});
    let path = dir.path().join("sensitivity.csv");
    sensitivity::write_csv(&plan, &t, &path).unwrap();
    let mut r = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let (k, p) = (
        header.iter().position(|h| h == "kind").unwrap(),
        header.iter().position(|h| h == "parameter").unwrap(),
    );
    for row in r.records().map(Result::unwrap) {
        assert_eq!(Some(&row[k]), kind(&row[p]), "{row:?}");
    }
}

#[test]
fn the_terminal_says_whether_any_move_flips_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let run = |params: &str| {
        let path = scenario_file(
            dir.path(),
            &format!("[sensitivity]\nportfolios = 60\nparameters = [{params}\n]\n"),
        );
        let out = dir.path().join(format!("out{}", params.len()));
        let o = bin(&[
            "sensitivity",
            path.to_str().unwrap(),
            "--models",
            "waterfall,stage_gated",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    let calm = run("\n  { path = \"vendors.markup\" },\n  { path = \"ideas.fit_probability\" },");
    assert!(
        calm.contains(
            "No move flips the answer: Stage-gated (GOV.UK phases) stays ahead of Waterfall \
             (business case as written) at every low and high value."
        ),
        "{calm}"
    );
    // Gate reviews of $3M each reverse the answer; the label is human, the path kept.
    let flipped = run(
        "\n  { path = \"vendors.markup\" },\n  { path = \"models.stage_gated.gate_review_cost\", low = 0, high = 3_000_000 },",
    );
    assert!(
        flipped.contains(
            "1 of the 2 inputs moved flip the answer: Stage-gated (GOV.UK phases): cost of a \
             gate review at $3M (break-even $"
        ),
        "{flipped}"
    );
    assert!(
        flipped.contains("models.stage_gated.gate_review_cost"),
        "{flipped}"
    );
}
