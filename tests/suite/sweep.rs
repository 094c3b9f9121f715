//! Sweeps: grids expand to every combination, every point runs the same portfolios
//! (common random numbers across points), and bad sweep entries are clear errors.

use std::path::Path;
use std::process::Command;

use budgetsim::engine;
use budgetsim::metrics::Shown;
use budgetsim::scenario::{self, SweepAxis};

fn repo(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `budgetsim run --quiet --portfolios N --out OUT ARGS...`, asserting success; returns
/// stdout.
fn run_sweep(portfolios: &str, out: &Path, args: &[&std::ffi::OsStr]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(["run", "--quiet", "--portfolios", portfolios, "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_two_by_three_grid_gives_six_points_in_order() {
    let mut loaded = scenario::load_default(&[]).unwrap();
    scenario::add_sweeps(
        &mut loaded,
        &[
            "ideas.business_case_noise=0.5,1.5".into(),
            "models.stage_gated.hurdle=0.8,1,1.2".into(),
        ],
    )
    .unwrap();
    let points = scenario::sweep_points(&loaded).unwrap();
    assert_eq!(points.len(), 6);
    let first: Vec<String> = points
        .iter()
        .map(|p| scenario::value_text(&p.settings[0].1))
        .collect();
    assert_eq!(first, ["0.5", "0.5", "0.5", "1.5", "1.5", "1.5"]);
    assert_eq!(points[4].scenario.ideas.business_case_noise, 1.5);
    assert_eq!(points[4].scenario.models[2].stages[2].hurdle, 1.0);
}

#[test]
fn sweep_points_are_paired() {
    // Sweeping the stage-gated hurdle must leave the waterfall models' results exactly
    // as they were at every point: same ideas, same risks, same portfolios.
    let mut loaded = scenario::load_default(&["simulation.portfolios=60".into()]).unwrap();
    loaded.sweep.push(SweepAxis {
        path: "models.stage_gated.hurdle".into(),
        values: vec![toml::Value::Float(0.7), toml::Value::Float(1.6)],
    });
    let points = scenario::sweep_points(&loaded).unwrap();
    let a = engine::run(&points[0].scenario, 0..60);
    let b = engine::run(&points[1].scenario, 0..60);
    for m in [0, 1] {
        assert_eq!(
            a.outcomes[m], b.outcomes[m],
            "{} changed between sweep points",
            points[0].scenario.models[m].name
        );
    }
    assert_ne!(
        a.outcomes[2], b.outcomes[2],
        "the swept model did not change"
    );
    for p in 0..60 {
        let ideas = |s| engine::IdeaSet::draw(s, p, 4).ideas;
        assert_eq!(ideas(&points[0].scenario), ideas(&points[1].scenario));
    }
}

#[test]
fn ranges_expand_evenly_and_bad_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = repo("scenarios/default.toml");
    let write = |name: &str, sweep: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!("extends = {:?}\n{sweep}", base.to_str().unwrap()),
        )
        .unwrap();
        p
    };
    let ok = write(
        "range.toml",
        "[[sweep]]\npath = \"fund.budget\"\nfrom = 1e7\nto = 3e7\nsteps = 3\n",
    );
    let loaded = scenario::load_file(&ok, &[]).unwrap();
    assert_eq!(
        loaded.sweep[0].values,
        [1e7, 2e7, 3e7].map(toml::Value::Float)
    );
    let empty = write(
        "empty.toml",
        "[[sweep]]\npath = \"fund.budget\"\nvalues = []\n",
    );
    let e = scenario::load_file(&empty, &[]).unwrap_err().to_string();
    assert!(e.contains("sweep.0") && e.contains("values"), "{e}");
    let bad = write(
        "bad.toml",
        "[[sweep]]\npath = \"fund.budget\"\nvalues = [1e7, -5]\n",
    );
    let loaded = scenario::load_file(&bad, &[]).unwrap();
    let e = scenario::sweep_points(&loaded).unwrap_err().to_string();
    assert!(
        e.contains("sweep point fund.budget=-5") && e.contains("fund.budget"),
        "{e}"
    );
}

#[test]
fn the_shipped_sweep_runs_and_writes_sweep_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let shipped = repo("scenarios/sweep-gate-hurdle.toml");
    let stdout = run_sweep("40", &out, &[shipped.as_os_str()]);
    assert!(stdout.contains("sweep of 6 points"));
    let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    assert_eq!(&r.headers().unwrap()[0], "models.stage_gated.hurdle");
    let rows = r.records().count();
    assert_eq!(rows, 6 * 3 * budgetsim::metrics::Metric::ALL.len());
    assert!(out.join("sweep_comparison.csv").is_file());
    // Each headline metric against the swept hurdle, in both languages.
    for dir in ["charts", "charts/fr"] {
        for metric in Shown::Key.metrics() {
            let metric = metric.name().replace('_', "-");
            for ext in ["png", "svg"] {
                let f = out.join(dir).join(format!("sweep-{metric}.{ext}"));
                assert!(f.is_file(), "missing {}", f.display());
            }
        }
    }
    let svg = std::fs::read_to_string(out.join("charts/sweep-net-value.svg")).unwrap();
    assert!(svg.contains("Net value against Stage-gated (GOV.UK phases): hurdle (value / cost)"));
    // The paired difference along the hurdle, in both languages, one point per hurdle.
    for dir in ["charts", "charts/fr"] {
        let svg = std::fs::read_to_string(out.join(dir).join("sweep-difference.svg")).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let circles: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .collect();
        let ring = |n: &roxmltree::Node| n.attribute("fill") == Some("none");
        assert_eq!(circles.iter().filter(|n| !ring(n)).count(), 6, "{dir}");
        // And a ring around the best point.
        assert_eq!(circles.iter().filter(|n| ring(n)).count(), 1, "{dir}");
    }
    assert!(
        budgetsim::export::run_folder::verify(&out)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_two_field_grid_gets_a_heatmap_of_the_paired_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("grid");
    let axes = [
        "--sweep",
        "models.stage_gated.hurdle=0.8,1.2",
        "--sweep",
        "ideas.business_case_noise=0.3,1,1.5",
    ];
    let axes: Vec<&std::ffi::OsStr> = axes.iter().map(std::ffi::OsStr::new).collect();
    run_sweep("30", &out, &axes);
    for dir in ["charts", "charts/fr"] {
        let svg = std::fs::read_to_string(out.join(dir).join("sweep-heatmap.svg")).unwrap();
        assert!(roxmltree::Document::parse(&svg).is_ok());
        assert!(out.join(dir).join("sweep-heatmap.png").is_file());
    }
    // One cell per point: the six differences appear as cell labels.
    let mut r = csv::Reader::from_path(out.join("sweep_comparison.csv")).unwrap();
    let cells = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| &x[2] == "stage_gated" && &x[3] == "waterfall_rc" && &x[4] == "net_value")
        .count();
    assert_eq!(cells, 6);
}

#[test]
fn the_sweep_report_answers_from_the_points_and_its_folder_reproduces_the_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("grid");
    let run = |dir: &Path, scenario: &Path, extra: &[&str]| {
        let mut args = vec![scenario.as_os_str()];
        args.extend(
            ["--lang", "en"]
                .iter()
                .chain(extra)
                .map(std::ffi::OsStr::new),
        );
        run_sweep("30", dir, &args);
    };
    // Axes from the file (6 hurdles) and from the command line (2 markups).
    run(
        &out,
        &repo("scenarios/sweep-gate-hurdle.toml"),
        &["--sweep", "vendors.markup=0.2,0.4"],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(
        "across the swept values of Stage-gated (GOV.UK phases): hurdle (value / cost), Vendor markup with one bid"
    ));
    // One table row per point, and the answer counts all twelve.
    let body_rows = html
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tbody>")
        .next()
        .unwrap();
    assert_eq!(body_rows.matches("<tr>").count(), 12);
    assert!(
        html.contains("of the 12 points"),
        "answer must count the points"
    );
    for id in [
        "sweep-difference",
        "sweep-net-value",
        "sweep-waste",
        "sweep-heatmap",
    ] {
        assert!(html.contains(&format!("<figure id=\"{id}\">")), "{id}");
    }
    // The folder's scenario.toml holds both axes: running it again gives the same sweep.
    let again = tmp.path().join("again");
    run(&again, &out.join("scenario.toml"), &[]);
    for f in ["sweep.csv", "sweep_comparison.csv"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // `report DIR` rebuilds the page from the folder's files alone.
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(["report", "--lang", "en"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        html
    );
}

#[test]
fn dollar_axes_read_as_money_and_whole_numbers_stay_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("budget");
    let args = ["--lang", "both", "--sweep", "fund.budget=4e7,6e7"];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let stdout = run_sweep("20", &out, &args);
    assert!(stdout.contains("fund.budget=40000000 "), "{stdout}");
    // The CSV keeps the exact number, without a decimal point.
    let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let first: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
    assert_eq!(first.first().map(String::as_str), Some("40000000"));
    assert_eq!(first.last().map(String::as_str), Some("60000000"));
    // People read money: in the report's table and answer, and on the chart's axis.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<td>$40M</td>") && html.contains("Fund budget = $60M"));
    let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
    assert!(
        fr.contains("<td>40\u{a0}M$</td>"),
        "French money in the table"
    );
    let svg = std::fs::read_to_string(out.join("charts/sweep-net-value.svg")).unwrap();
    assert!(svg.contains("$40M") && !svg.contains("40000000"));

    // Large numbers that are not money stay numbers, and close ones stay distinct.
    let seeds = tmp.path().join("seeds");
    let args = ["--lang", "en", "--sweep", "simulation.seed=1000001,1000002"];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    run_sweep("20", &seeds, &args);
    let html = std::fs::read_to_string(seeds.join("report.html")).unwrap();
    assert!(html.contains("<td>1000001</td>") && html.contains("<td>1000002</td>"));
    assert!(!html.contains("simulation.seed = $"), "a seed is not money");
}

#[test]
fn a_sweep_to_inf_finishes_and_keeps_the_point_in_its_tables() {
    // `inf` switches a mechanism off; a sweep to it once hung while drawing an axis
    // from a finite value to infinity.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("off");
    let axis = std::ffi::OsStr::new("--sweep");
    let values = std::ffi::OsStr::new("risk.requirements_half_life_months=48,inf");
    let done = std::sync::mpsc::channel();
    let (tx, rx) = done;
    let o = out.clone();
    std::thread::spawn(move || {
        run_sweep("20", &o, &[axis, values]);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_secs(120)).is_ok(),
        "the sweep did not finish"
    );
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(text.lines().any(|l| l.starts_with("inf,")), "{text}");
    assert!(out.join("charts/sweep-net-value.png").is_file());
}

/// The sweep says which point to choose over the whole grid: the point with the
/// highest paired net-value difference (challenger against the strongest baseline),
/// and each other point's gap to it with a paired 95% CI (every point runs the same
/// portfolios), in sweep_choice.csv, the difference chart's title and the report; the
/// charts along the first field hold the second at the best point's value, and say so,
/// in both languages.
#[test]
fn sweep_choice_names_the_best_point_of_the_whole_grid_with_paired_gaps() {
    use budgetsim::report::Lang;
    use budgetsim::report::choice::Choice;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    run_sweep(
        "60",
        &out,
        &[
            "--sweep".as_ref(),
            "models.stage_gated.hurdle=0.6,1,1.5,2".as_ref(),
            "--sweep".as_ref(),
            "fund.budget=5e7,1.2e8".as_ref(),
        ],
    );
    let read = |name: &str| -> (csv::StringRecord, Vec<csv::StringRecord>) {
        let mut r = csv::Reader::from_path(out.join(name)).unwrap();
        let h = r.headers().unwrap().clone();
        let rows = r
            .records()
            .map(|x| x.unwrap())
            .filter(|x| {
                let c = |n: &str| h.iter().position(|x| x == n).unwrap();
                &x[c("model_a")] == "stage_gated"
                    && &x[c("model_b")] == "waterfall_rc"
                    && &x[c("metric")] == "net_value"
            })
            .collect();
        (h, rows)
    };
    let (hc, comparison) = read("sweep_comparison.csv");
    let (hg, choice) = read("sweep_choice.csv");
    assert_eq!(comparison.len(), 8);
    assert_eq!(choice.len(), 8);
    let f = |h: &csv::StringRecord, r: &csv::StringRecord, n: &str| -> f64 {
        let c = h.iter().position(|x| x == n).unwrap();
        r[c].parse().unwrap_or(f64::NAN)
    };
    let g = |r: &csv::StringRecord, n: &str| -> String {
        r[hg.iter().position(|x| x == n).unwrap()].to_string()
    };
    // The best point is the highest mean difference anywhere on the grid.
    let best = (0..8)
        .max_by(|&i, &j| {
            f(&hc, &comparison[i], "mean_diff").total_cmp(&f(&hc, &comparison[j], "mean_diff"))
        })
        .unwrap();
    let best_diff = f(&hc, &comparison[best], "mean_diff");
    let mut behind = 0;
    for (i, (c, r)) in comparison.iter().zip(&choice).enumerate() {
        assert_eq!((&c[0], &c[1]), (&r[0], &r[1]), "same points, same order");
        let standing = g(r, "standing");
        if i == best {
            assert_eq!(standing, "best");
            continue;
        }
        let gap = f(&hg, r, "gap_to_best");
        let (lo, hi) = (f(&hg, r, "gap_ci_low"), f(&hg, r, "gap_ci_high"));
        assert!(
            (gap - (best_diff - f(&hc, c, "mean_diff"))).abs() <= 1e-6 * best_diff.abs().max(1.0)
        );
        assert!(lo <= gap && gap <= hi);
        assert_eq!(g(r, "paired"), "true");
        assert_eq!(
            standing,
            if lo > 0.0 {
                "behind"
            } else {
                "cannot_be_told_apart"
            }
        );
        behind += usize::from(standing == "behind");
        // Pairing removes the chance the two points share: the gap's CI is narrower
        // than one built from the two points' own standard errors.
        let se = |c: &csv::StringRecord| f(&hc, c, "se");
        let unpaired = 1.96 * (se(c).powi(2) + se(&comparison[best]).powi(2)).sqrt();
        assert!(
            (hi - lo) / 2.0 < unpaired,
            "point {i}: paired CI no narrower"
        );
    }
    assert!(behind > 0, "60 portfolios tell no point apart");
    // The report's reading of the file.
    let read_choice = Choice::read(&out, "stage_gated", "waterfall_rc")
        .unwrap()
        .unwrap();
    assert_eq!(read_choice.best, best);
    let budget =
        budgetsim::report::style::parameter_text(Lang::En, "fund.budget", &comparison[best][1]);
    let hurdle = budgetsim::report::style::parameter_text(
        Lang::En,
        "models.stage_gated.hurdle",
        &comparison[best][0],
    );
    let scenario = budgetsim::scenario::load_file(&out.join("scenario.toml"), &[])
        .unwrap()
        .scenario;
    let sentence = read_choice.sentence(&scenario, Lang::En);
    assert!(
        sentence.starts_with(&format!(
            "best at Stage-gated (GOV.UK phases): hurdle (value / cost) = {hurdle}, Fund budget = {budget}"
        )),
        "{sentence}"
    );
    let svg = std::fs::read_to_string(out.join("charts/sweep-difference.svg")).unwrap();
    let capital = format!("B{}", &sentence[1..]);
    // The chart's title counts tied points beyond two; the report names them.
    let short = read_choice.short_sentence(&scenario, Lang::En);
    assert!(svg.contains(&format!("B{}", &short[1..])), "{short}");
    assert!(svg.contains(&format!("hurdle (value / cost) at Fund budget = {budget}")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Which value to choose"));
    assert!(html.contains(&format!("{capital}.")));
    assert!(html.contains("Behind the best point"));
    // Every per-model chart says where the second field is held, and claims no best
    // point of its own.
    let budget_fr =
        budgetsim::report::style::parameter_text(Lang::Fr, "fund.budget", &comparison[best][1]);
    for metric in Shown::Key.metrics() {
        let stem = format!("sweep-{}", metric.name().replace('_', "-"));
        let en = std::fs::read_to_string(out.join(format!("charts/{stem}.svg"))).unwrap();
        assert!(en.contains(&format!("at Fund budget = {budget}")), "{stem}");
        assert!(!en.contains("best at"), "{stem}");
        let fr = std::fs::read_to_string(out.join(format!("charts/fr/{stem}.svg"))).unwrap();
        assert!(
            fr.contains(&format!("pour Budget du fonds = {budget_fr}")),
            "{stem}"
        );
    }
    let fr = read_choice.sentence(&scenario, Lang::Fr);
    assert!(fr.starts_with("meilleur point\u{202f}: "), "{fr}");
    let svg = std::fs::read_to_string(out.join("charts/fr/sweep-difference.svg")).unwrap();
    let fr = read_choice.short_sentence(&scenario, Lang::Fr);
    assert!(svg.contains(&format!("M{}", &fr[1..])), "{fr}");
    // A one-field sweep holds nothing and names its points by value.
    let one = tmp.path().join("one");
    run_sweep(
        "30",
        &one,
        &[
            "--sweep".as_ref(),
            "models.stage_gated.hurdle=0.8,1.2".as_ref(),
        ],
    );
    let c = Choice::read(&one, "stage_gated", "waterfall_rc")
        .unwrap()
        .unwrap();
    assert_eq!(c.held(&scenario, Lang::En), None);
    let svg = std::fs::read_to_string(one.join("charts/sweep-difference.svg")).unwrap();
    assert!(!svg.contains(" at Fund budget"));
}

#[test]
fn a_sweep_that_does_not_touch_the_compared_pair_names_no_best_value() {
    // The business-case waterfall is neither the strongest baseline nor the challenger:
    // its hurdle leaves the compared difference the same at every point.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("flat");
    run_sweep(
        "20",
        &out,
        &[
            "--sweep".as_ref(),
            "models.waterfall.hurdle=0.8,1,1.2".as_ref(),
        ],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("The swept values do not change the net-value difference"),
        "the report claims a range"
    );
    assert!(!html.contains("Which value to choose"));
    let fr = std::fs::read_to_string(out.join("report.fr.html")).unwrap();
    assert!(fr.contains("Les valeurs balayées ne changent pas"));
    // Nor does the table: no point is the best where every point is level.
    let choice = std::fs::read_to_string(out.join("sweep_choice.csv")).unwrap();
    let level: Vec<&str> = choice
        .lines()
        .filter(|l| l.contains(",stage_gated,waterfall_rc,"))
        .collect();
    assert_eq!(level.len(), 3);
    assert!(
        level.iter().all(|l| l.ends_with(",cannot_be_told_apart")),
        "{level:?}"
    );
}

/// Sweeping a Monte Carlo setting (the seed) runs different funds at each point: the
/// gaps are unpaired, the report does not say the points share their funds, and it
/// recommends no seed.
#[test]
fn a_swept_seed_is_not_paired_and_no_seed_is_recommended() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("seeds");
    run_sweep(
        "30",
        &out,
        &["--sweep".as_ref(), "simulation.seed=1,2,3".as_ref()],
    );
    let choice = std::fs::read_to_string(out.join("sweep_choice.csv")).unwrap();
    assert!(
        choice
            .lines()
            .skip(1)
            .all(|l| l.contains(",false,") || l.ends_with(",best") || l.ends_with(",undefined")),
        "{choice}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("points do not run the same funds"));
    assert!(!html.contains("Every point uses the same seed"));
    assert!(!html.contains("Which value to choose"));
    let svg = std::fs::read_to_string(out.join("charts/sweep-difference.svg")).unwrap();
    assert!(!svg.contains("Best at"));
}
