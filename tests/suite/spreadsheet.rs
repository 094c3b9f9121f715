//! `budgetsim export xlsx DIR`: one workbook of the run folder's tables, read back with
//! a spreadsheet reader (calamine) and checked against the CSVs: sheets, types, values,
//! number formats kept out of the values, the row limit, and text that looks like a
//! formula staying text.

use std::path::Path;

use crate::common::bin;
use calamine::{Data, Reader, Xlsx, open_workbook};

/// A small run of a scenario whose model label starts with `=`: a formula if the
/// workbook wrote text as formulas.
fn run(dir: &Path) -> std::path::PathBuf {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let scenario = dir.join("s.toml");
    std::fs::write(
        &scenario,
        format!(
            "extends = {:?}\nname = \"=1+1\"\n[models.stage_gated]\nlabel = \"=HYPERLINK(\\\"x\\\")\"\n",
            default.display().to_string()
        ),
    )
    .unwrap();
    let out = dir.join("run");
    let o = bin(&[
        "run",
        scenario.to_str().unwrap(),
        "--portfolios",
        "40",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut rows = vec![r.headers().unwrap().iter().map(str::to_string).collect()];
    rows.extend(
        r.records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect()),
    );
    rows
}

#[test]
fn the_workbook_holds_the_csv_tables_as_typed_values() {
    let dir = tempfile::tempdir().unwrap();
    let folder = run(dir.path());
    let book = dir.path().join("book.xlsx");
    let o = bin(&[
        "export",
        "xlsx",
        folder.to_str().unwrap(),
        "--out",
        book.to_str().unwrap(),
        "--max-rows",
        "50",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut wb: Xlsx<_> = open_workbook(&book).unwrap();
    let names = wb.sheet_names();
    for s in [
        "summary",
        "comparison",
        "stages",
        "risk",
        "portfolios",
        "scenario",
        "about",
    ] {
        assert!(names.iter().any(|n| n == s), "sheet {s} missing: {names:?}");
    }
    for (file, sheet, limit) in [
        ("summary.csv", "summary", usize::MAX),
        ("comparison.csv", "comparison", usize::MAX),
        ("stages.csv", "stages", usize::MAX),
        ("portfolios.csv", "portfolios", 50),
    ] {
        let csv = csv_rows(&folder.join(file));
        let range = wb.worksheet_range(sheet).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        assert_eq!(
            rows.len(),
            csv.len().min(limit.saturating_add(1)),
            "{sheet}: row count"
        );
        for (r, (xl, text)) in rows.iter().zip(&csv).enumerate() {
            for (c, cell) in text.iter().enumerate() {
                let got = xl.get(c).cloned().unwrap_or(Data::Empty);
                match (cell.parse::<f64>(), &got) {
                    (Ok(x), Data::Float(y)) if r > 0 && x.is_finite() => {
                        assert_eq!(x, *y, "{sheet} row {r} col {c}")
                    }
                    (Ok(x), other) if r > 0 && x.is_finite() => {
                        panic!("{sheet} row {r} col {c}: number {x} read back as {other:?}")
                    }
                    (_, Data::String(s)) => assert_eq!(s, cell, "{sheet} row {r} col {c}"),
                    (_, Data::Empty) => assert!(cell.is_empty(), "{sheet} row {r} col {c}"),
                    (_, other) => {
                        panic!("{sheet} row {r} col {c}: {cell:?} read back as {other:?}")
                    }
                }
            }
        }
    }
    // No cell is a formula: text that looks like one stays text.
    for s in wb.sheet_names() {
        let formulas = wb.worksheet_formula(&s).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "sheet {s} holds a formula"
        );
    }
    let scenario = wb.worksheet_range("scenario").unwrap();
    assert!(
        scenario
            .rows()
            .any(|r| r.first() == Some(&Data::String("name".into()))
                && r.get(1) == Some(&Data::String("=1+1".into()))),
        "the scenario's name, as text"
    );
}

#[test]
fn exporting_what_is_not_a_run_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin(&["export", "xlsx", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a run folder"));
    assert!(!dir.path().with_extension("xlsx").exists());
}
