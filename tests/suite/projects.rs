//! `run --projects`: projects.parquet holds one row per portfolio, model and idea
//! started, and adds up to the per-portfolio results.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use polars::prelude::*;

fn run(out: &Path, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args([
            "run",
            "--quiet",
            "--portfolios",
            "300",
            "--lang",
            "en",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(path.into()))
        .unwrap()
        .finish()
        .unwrap()
}

fn f64s(df: &DataFrame, name: &str) -> Vec<f64> {
    let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
    c.f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

fn strs(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect()
}

#[test]
fn projects_add_up_to_each_portfolio_and_are_only_written_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run(&out, &["--projects"]);
    assert!(
        budgetsim::export::run_folder::verify(&out)
            .unwrap()
            .is_empty()
    );
    let p = parquet(&out.join("projects.parquet"));
    let expected = [
        "portfolio",
        "model",
        "idea",
        "arrival_month",
        "stages_entered",
        "outcome",
        "outcome_stage",
        "fit",
        "attempts",
        "vendor_kind",
        "planned_cost",
        "actual_cost",
        "cost_overrun",
        "planned_months",
        "actual_months",
        "schedule_slip",
        "black_swan",
        "spend",
        "value",
    ];
    let names: Vec<String> = p.get_column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(names, expected);

    // Per (portfolio, model): count, spend, value and outcomes from the project rows.
    #[derive(Default)]
    struct Sums {
        started: f64,
        spend: f64,
        value: f64,
        delivered: f64,
        killed: f64,
        cancelled: f64,
    }
    let mut sums: HashMap<(i64, String), Sums> = HashMap::new();
    let (port, model, outcome) = (
        f64s(&p, "portfolio"),
        strs(&p, "model"),
        strs(&p, "outcome"),
    );
    let (spend, value) = (f64s(&p, "spend"), f64s(&p, "value"));
    let (planned, outturn, overrun) = (
        f64s(&p, "planned_cost"),
        f64s(&p, "actual_cost"),
        f64s(&p, "cost_overrun"),
    );
    let kinds = strs(&p, "vendor_kind");
    for i in 0..p.height() {
        let e = sums.entry((port[i] as i64, model[i].clone())).or_default();
        e.started += 1.0;
        e.spend += spend[i];
        e.value += value[i];
        match outcome[i].as_str() {
            "delivered" => e.delivered += 1.0,
            "killed" => e.killed += 1.0,
            "cancelled" => e.cancelled += 1.0,
            "running" | "dropped" => {}
            other => panic!("unknown outcome {other}"),
        }
        assert!(planned[i] > 0.0 && outturn[i] > 0.0);
        assert!((overrun[i] - (outturn[i] / planned[i] - 1.0)).abs() < 1e-9);
        assert!(kinds[i] == "small" || kinds[i] == "large", "{}", kinds[i]);
    }
    let w = csv(&out.join("portfolios.csv"));
    let (wp, wm) = (f64s(&w, "portfolio"), strs(&w, "model"));
    let col = |n: &str| f64s(&w, n);
    let (started, spent, val) = (col("ideas_started"), col("spend"), col("delivered_value"));
    let (deliv, kill, canc) = (
        col("ideas_delivered"),
        col("ideas_killed"),
        col("ideas_cancelled"),
    );
    assert_eq!(w.height(), 900);
    for i in 0..w.height() {
        let none = Sums::default();
        let s = sums.get(&(wp[i] as i64, wm[i].clone())).unwrap_or(&none);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        assert_eq!(s.started, started[i], "row {i}");
        assert!(
            close(s.spend, spent[i]),
            "row {i}: spend {} vs {}",
            s.spend,
            spent[i]
        );
        assert!(close(s.value, val[i]), "row {i}: value");
        assert_eq!(
            (s.delivered, s.killed, s.cancelled),
            (deliv[i], kill[i], canc[i]),
            "row {i}"
        );
    }

    let plain = dir.path().join("plain");
    run(&plain, &[]);
    assert!(!plain.join("projects.parquet").exists());
    // Asking for projects leaves every other file as it was.
    for f in [
        "portfolios.csv",
        "summary.csv",
        "comparison.csv",
        "stages.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(plain.join(f)).unwrap(),
            "{f}"
        );
    }
}
