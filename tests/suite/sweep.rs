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

/// The sweep charts say which value to choose: the difference chart's title names the
/// point with the highest paired net-value difference and those whose 95% CI overlaps
/// its CI, and `best_difference` says the same for the report; a two-field grid's
/// charts say where the second field is held, in both languages.
#[test]
fn sweep_charts_name_the_best_point_and_the_held_field() {
    use budgetsim::report::Lang;
    use budgetsim::report::charts::sweep::best_difference;
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
    // The expected answer, from sweep_comparison.csv (challenger stage_gated against
    // the strongest baseline waterfall_rc, budget at its first value).
    let mut r = csv::Reader::from_path(out.join("sweep_comparison.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let points: Vec<(String, f64, f64, f64)> = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| {
            &x[1] == "50000000"
                && &x[col("model_a")] == "stage_gated"
                && &x[col("model_b")] == "waterfall_rc"
                && &x[col("metric")] == "net_value"
        })
        .map(|x| {
            let f = |n: &str| x[col(n)].parse::<f64>().unwrap();
            // As people read it (`1`, not the CSV's `1.0`).
            let label = budgetsim::report::style::parameter_text(Lang::En, &h[0], &x[0]);
            (label, f("mean_diff"), f("ci_low"), f("ci_high"))
        })
        .collect();
    assert_eq!(points.len(), 4);
    let best = points
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .clone();
    let tied: Vec<String> = points
        .iter()
        .filter(|p| p.0 != best.0 && p.2 <= best.3 && best.2 <= p.3)
        .map(|p| p.0.clone())
        .collect();
    let choice = best_difference(&out, Lang::En).unwrap().unwrap();
    assert_eq!(choice.field, "models.stage_gated.hurdle");
    assert_eq!(choice.best, best.0);
    assert_eq!(choice.tied, tied);
    assert_eq!(choice.held.as_deref(), Some("Fund budget = $50M"));
    let svg = std::fs::read_to_string(out.join("charts/sweep-difference.svg")).unwrap();
    assert!(svg.contains(&choice.sentence), "{}", choice.sentence);
    assert!(
        choice.sentence.starts_with(&format!(
            "Best at Stage-gated (GOV.UK phases): hurdle (value / cost) = {}",
            best.0
        )),
        "{}",
        choice.sentence
    );
    assert!(svg.contains(
        "against Stage-gated (GOV.UK phases): hurdle (value / cost) at Fund budget = $50M"
    ));
    // The sweep report says which value to choose, as the chart does.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Which value to choose"));
    assert!(html.contains(&format!("{}, with Fund budget = $50M", choice.sentence)));
    // Every per-model chart names the held field and the challenger's best point.
    for metric in Shown::Key.metrics() {
        let stem = format!("sweep-{}", metric.name().replace('_', "-"));
        let en = std::fs::read_to_string(out.join(format!("charts/{stem}.svg"))).unwrap();
        assert!(en.contains("at Fund budget = $50M"), "{stem}");
        assert!(
            en.contains("Stage-gated (GOV.UK phases): best at"),
            "{stem}"
        );
        let fr = std::fs::read_to_string(out.join(format!("charts/fr/{stem}.svg"))).unwrap();
        assert!(fr.contains("pour Budget du fonds = 50\u{a0}M$"), "{stem}");
        assert!(fr.contains("meilleur point\u{202f}:"), "{stem}");
    }
    let fr = best_difference(&out, Lang::Fr).unwrap().unwrap();
    assert!(
        fr.sentence.starts_with("Meilleur point\u{202f}: "),
        "{}",
        fr.sentence
    );
    assert_eq!(fr.held.as_deref(), Some("Budget du fonds = 50\u{a0}M$"));
    let svg = std::fs::read_to_string(out.join("charts/fr/sweep-difference.svg")).unwrap();
    assert!(svg.contains(&fr.sentence), "{}", fr.sentence);
    // A one-field sweep holds nothing.
    let one = tmp.path().join("one");
    run_sweep(
        "30",
        &one,
        &[
            "--sweep".as_ref(),
            "models.stage_gated.hurdle=0.8,1.2".as_ref(),
        ],
    );
    let choice = best_difference(&one, Lang::En).unwrap().unwrap();
    assert_eq!(choice.held, None);
    let svg = std::fs::read_to_string(one.join("charts/sweep-difference.svg")).unwrap();
    assert!(!svg.contains(" at fund.budget"));
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
}
