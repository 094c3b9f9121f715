//! One Excel workbook of a run folder's tables, for analysts who work in spreadsheets
//! (Crystal Ball, @RISK): summary, comparison, stages and risk, the per-fund results up
//! to a row limit, the resolved scenario and where it came from. Money and shares carry
//! number formats, headers are frozen and columns sized. Every cell is a typed value
//! (a number or a string, never a formula), so a label such as `=1+1` stays text:
//! formula injection is impossible by construction.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::metrics::{Metric, Unit};

/// Per-fund rows written by default (the rest are counted in the `about` sheet).
pub const DEFAULT_MAX_ROWS: usize = 100_000;

/// Most rows a worksheet holds (Excel's limit), less the header.
pub const EXCEL_MAX_ROWS: usize = 1_048_575;

/// The tables of a run folder, in sheet order: (file, sheet).
const TABLES: [(&str, &str); 5] = [
    ("summary.csv", "summary"),
    ("comparison.csv", "comparison"),
    ("stages.csv", "stages"),
    ("risk.csv", "risk"),
    ("portfolios.csv", "portfolios"),
];

/// The number format of a value of `unit`.
fn format_of(unit: Unit) -> &'static str {
    match unit {
        Unit::Dollars => "$#,##0;-$#,##0",
        Unit::Share => "0.0%",
        Unit::Ratio => "0.00",
        Unit::Count => "#,##0.0",
        Unit::Months => "0.0",
        Unit::Index => "#,##0",
    }
}

/// How a column's cells are formatted: by the metric it holds, by the metric named in
/// the row's `metric` column, or as given.
#[derive(Debug, Clone, Copy)]
enum Column {
    /// Format by this unit.
    Fixed(Unit),
    /// Format by the row's metric.
    ByRow,
    /// A probability (written as a percentage).
    Probability,
    /// No number format.
    Plain,
}

/// How column `name` of `file` is formatted.
fn column(file: &str, name: &str) -> Column {
    if let Some(m) = Metric::from_name(name) {
        return Column::Fixed(m.kind());
    }
    match name {
        "prob_a_better" | "prob_a_worse" => Column::Probability,
        "mean" | "sd" | "se" | "ci_low" | "ci_high" | "p5" | "p25" | "p50" | "p75" | "p95"
        | "mean_diff" => Column::ByRow,
        "spend" if file == "stages.csv" => Column::Fixed(Unit::Dollars),
        "entering" | "passing" | "killed" | "cancelled" => Column::Fixed(Unit::Count),
        "mean_months" => Column::Fixed(Unit::Months),
        _ => Column::Plain,
    }
}

/// Writes the workbook of run folder `dir` to `out`, with at most `max_rows` per-fund
/// rows. Errors name the file that could not be read or written.
pub fn write(dir: &Path, out: &Path, max_rows: usize) -> Result<Summary, String> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let formats: Vec<(Unit, Format)> = [
        Unit::Dollars,
        Unit::Share,
        Unit::Ratio,
        Unit::Count,
        Unit::Months,
        Unit::Index,
    ]
    .into_iter()
    .map(|u| (u, Format::new().set_num_format(format_of(u))))
    .collect();
    let format = |u: Unit| formats.iter().find(|(x, _)| *x == u).map(|(_, f)| f);
    let xl = |e: XlsxError| format!("{}: {e}", out.display());
    let mut summary = Summary::default();
    for (file, sheet) in TABLES {
        let path = dir.join(file);
        if !path.is_file() {
            continue;
        }
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let kinds: Vec<Column> = header.iter().map(|h| column(file, h)).collect();
        let metric_col = header.iter().position(|h| h == "metric");
        let ws = book.add_worksheet();
        ws.set_name(sheet).map_err(xl)?;
        write_header(ws, &header, &bold).map_err(xl)?;
        let limit = if file == "portfolios.csv" {
            max_rows
        } else {
            EXCEL_MAX_ROWS
        };
        let mut rows = 0usize;
        let mut total = 0usize;
        for record in reader.records() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            total += 1;
            if rows >= limit.min(EXCEL_MAX_ROWS) {
                continue;
            }
            rows += 1;
            let row = rows as u32;
            let row_unit = metric_col
                .and_then(|c| record.get(c))
                .and_then(Metric::from_name)
                .map(Metric::kind);
            for (c, cell) in record.iter().enumerate() {
                let col = c as u16;
                match cell.parse::<f64>() {
                    Ok(x) if x.is_finite() && !cell.is_empty() => {
                        let unit = match kinds.get(c).copied().unwrap_or(Column::Plain) {
                            Column::Fixed(u) => Some(u),
                            Column::ByRow => row_unit,
                            Column::Probability => Some(Unit::Share),
                            Column::Plain => None,
                        };
                        match unit.and_then(format) {
                            Some(f) => ws.write_number_with_format(row, col, x, f),
                            None => ws.write_number(row, col, x),
                        }
                        .map_err(xl)?;
                    }
                    // Text (and `inf` or empty cells) as strings: never a formula.
                    _ => {
                        ws.write_string(row, col, cell).map_err(xl)?;
                    }
                }
            }
        }
        if file == "portfolios.csv" {
            summary.portfolio_rows = (rows, total);
        }
        size_columns(ws, &header);
    }
    scenario_sheet(&mut book, dir, &bold).map_err(xl)?;
    about_sheet(&mut book, dir, &summary, &bold).map_err(xl)?;
    book.save(out).map_err(xl)?;
    Ok(summary)
}

/// What the workbook holds beyond the tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Per-fund rows written, and in portfolios.csv.
    pub portfolio_rows: (usize, usize),
}

fn write_header(ws: &mut Worksheet, header: &[String], bold: &Format) -> Result<(), XlsxError> {
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Columns wide enough for their header and a formatted number.
fn size_columns(ws: &mut Worksheet, header: &[String]) {
    for (c, h) in header.iter().enumerate() {
        let width = (h.chars().count() + 2).clamp(10, 40) as f64;
        // Only an out-of-range column errs, and the header bounds them.
        let _ = ws.set_column_width(c as u16, width);
    }
}

/// The resolved scenario as (field, value) rows, one per leaf.
fn scenario_sheet(book: &mut Workbook, dir: &Path, bold: &Format) -> Result<(), XlsxError> {
    let Ok(text) = std::fs::read_to_string(dir.join("scenario.toml")) else {
        return Ok(());
    };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return Ok(());
    };
    let ws = book.add_worksheet();
    ws.set_name("scenario")?;
    write_header(ws, &["field".to_string(), "value".to_string()], bold)?;
    for (i, (path, value)) in crate::scenario::leaves(&table).iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_string(row, 0, path)?;
        match value {
            toml::Value::Integer(n) => ws.write_number(row, 1, *n as f64)?,
            toml::Value::Float(x) if x.is_finite() => ws.write_number(row, 1, *x)?,
            other => ws.write_string(row, 1, crate::scenario::value_text(other))?,
        };
    }
    ws.set_column_width(0, 48)?;
    ws.set_column_width(1, 24)?;
    Ok(())
}

/// Where the workbook came from: the manifest's scenario, seed, portfolios, version.
fn about_sheet(
    book: &mut Workbook,
    dir: &Path,
    summary: &Summary,
    bold: &Format,
) -> Result<(), XlsxError> {
    let manifest: Option<serde_json::Value> = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let ws = book.add_worksheet();
    ws.set_name("about")?;
    write_header(ws, &["item".to_string(), "value".to_string()], bold)?;
    let get = |k: &str| {
        manifest
            .as_ref()
            .and_then(|m| m.get(k))
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let (written, total) = summary.portfolio_rows;
    let rows = [
        ("run folder", dir.display().to_string()),
        ("scenario", get("scenario_name")),
        ("seed", get("seed")),
        ("portfolios", get("portfolios")),
        ("budgetsim version", get("budgetsim_version")),
        ("finished", get("finished")),
        (
            "per-fund rows",
            format!("{written} of {total} in portfolios.csv (the rest: --max-rows or the CSV)"),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string((i + 1) as u32, 0, *k)?;
        ws.write_string((i + 1) as u32, 1, v)?;
    }
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 60)?;
    Ok(())
}
