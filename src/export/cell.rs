//! Spreadsheet-safe CSV cells. Text a user wrote (model keys, labels, stage names,
//! swept values) can begin with `=`, `+`, `-` or `@`, which spreadsheets run as a
//! formula when the CSV is opened. Such a cell is written with a leading apostrophe, the
//! spreadsheet convention for "text, not a formula"; budgetsim removes it on reading, so
//! the round trip is exact. Numbers (`-0.5`, `+3`) are left as they are.

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::path::Path;

/// First characters that make a spreadsheet read a cell as a formula (tab and carriage
/// return too: some spreadsheets strip them and read what follows).
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `s` as a CSV cell that no spreadsheet runs: `'` before text that starts with a
/// formula character (or with `'` itself, so [`unprotect`] is exact).
pub fn protect(s: &str) -> Cow<'_, str> {
    let risky = s.starts_with(TRIGGERS) && !plain_number(s);
    if risky || s.starts_with('\'') {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Whether `s` is a number as a spreadsheet reads one: digits with an optional sign,
/// point and exponent. Not `inf`, `NaN` or `-Infinity`, which Rust parses but a
/// spreadsheet reads as a formula naming something.
fn plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let mantissa_ok = digits > 0
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.matches('.').count() <= 1;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// A statistic as a CSV cell: full precision, empty when undefined (NaN or infinite).
pub fn number_cell(x: f64) -> String {
    if x.is_finite() {
        x.to_string()
    } else {
        String::new()
    }
}

/// The text [`protect`] was given.
pub fn unprotect(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) || rest.starts_with('\'') => rest,
        _ => s,
    }
}

/// A CSV file whose every cell goes through [`protect`].
pub struct SafeCsv(csv::Writer<File>);

impl SafeCsv {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> io::Result<SafeCsv> {
        Ok(SafeCsv(csv::Writer::from_path(path)?))
    }

    /// Writes one record.
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> io::Result<()> {
        let cells: Vec<Cow<'_, str>> = cells
            .into_iter()
            .map(|c| Cow::Owned(protect(c.as_ref()).into_owned()))
            .collect();
        self.0
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(io::Error::from)
    }

    /// Flushes the file.
    pub fn finish(mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Columns of the tables a run folder holds that hold words, not numbers.
const TEXT_COLUMNS: &[&str] = &[
    "model",
    "model_a",
    "model_b",
    "metric",
    "stage",
    "role",
    "label",
    "unit",
    "parameter",
    "range",
    "baseline",
    "challenger",
    "flips_at",
    "kind",
    "value",
    "reason",
    "paired",
    "standing",
    "mechanism",
    // optimise.csv and its companions (`objective` names a metric in
    // optimise_result.csv; the report's reader checks optimise.csv's numbers itself).
    "world",
    "objective",
    "direction",
    "feasible_found",
    "robust",
    "constraint",
    "figure",
    "bound",
    "binds",
    "phase",
    "status",
    "feasible",
    "violated",
];

/// Number columns that may hold an infinite value: a parameter's setting, where `inf`
/// switches a mechanism off. Statistics (means, differences, CIs) never are infinite.
const INFINITE_ALLOWED: &[&str] = &[
    "base_value",
    "low_value",
    "high_value",
    "break_even",
    "other_break_even",
];

/// Refuses a number column of a table read back from a run folder holding something
/// that is not a number, or an infinite statistic (a file edited by hand and
/// resealed): a report would otherwise show it as undefined, or fail to scale a chart
/// to it. Text columns are the ones named in [`TEXT_COLUMNS`] and swept fields
/// (dotted paths, which may hold words or `inf`).
pub fn check_numbers(
    path: &Path,
    header: &[String],
    rows: &[csv::StringRecord],
) -> Result<(), String> {
    let numeric = number_columns(header, rows.iter());
    check_rows(path, header, &numeric, rows)
}

/// Which columns of `header` hold numbers: not named as text, not a swept field, and
/// with at least one number among `rows` when there is more than one row (a column of
/// words only is text under a name no run writes, renamed or from another version:
/// the reader's own check names the column it then misses).
fn number_columns<'a>(
    header: &[String],
    rows: impl Iterator<Item = &'a csv::StringRecord> + Clone,
) -> Vec<bool> {
    let many = rows.clone().nth(1).is_some();
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let named = named_number(h);
            let is_number =
                |r: &csv::StringRecord| r.get(i).is_some_and(|v| v.parse::<f64>().is_ok());
            named && (!many || rows.clone().any(is_number))
        })
        .collect()
}

/// Whether column `h` is, by its name, a number column: not text, not a swept field.
fn named_number(h: &str) -> bool {
    !(h.contains('.') || TEXT_COLUMNS.contains(&h))
}

/// [`check_numbers`] with the number columns already known.
fn check_rows(
    path: &Path,
    header: &[String],
    numeric: &[bool],
    rows: &[csv::StringRecord],
) -> Result<(), String> {
    for (i, h) in header.iter().enumerate() {
        if !numeric[i] {
            continue;
        }
        for r in rows {
            let v = r.get(i).unwrap_or_default();
            let what = match v.parse::<f64>() {
                _ if v.is_empty() => continue,
                Err(_) => "not a number",
                Ok(x) if x.is_infinite() && !INFINITE_ALLOWED.contains(&h.as_str()) => {
                    "an infinite value, which no run writes there"
                }
                Ok(_) => continue,
            };
            let line = r.position().map_or(0, |p| p.line());
            return Err(format!(
                "{}, line {line}: column `{h}` holds `{}`, {what}; the file was edited after \
                 the run: put the number back, or run the study again",
                path.display(),
                crate::scenario::fields::shortened(v)
            ));
        }
    }
    Ok(())
}

/// [`check_numbers`] on CSV file `path` as a whole (a data table the reports do not
/// read, such as portfolios.csv, checked before it is resealed).
pub fn check_file(path: &Path) -> Result<(), String> {
    let fail = |e: csv::Error| format!("{}: {e}", path.display());
    let mut r = csv::Reader::from_path(path).map_err(fail)?;
    let header: Vec<String> = r
        .headers()
        .map_err(fail)?
        .iter()
        .map(str::to_string)
        .collect();
    // Two passes, row by row (portfolios.csv can hold millions of rows): which columns
    // hold numbers, then every cell of those.
    let mut numeric: Vec<bool> = header.iter().map(|h| named_number(h)).collect();
    let mut seen_number = vec![false; header.len()];
    let mut rec = csv::StringRecord::new();
    let mut rows = 0usize;
    while r.read_record(&mut rec).map_err(fail)? {
        rows += 1;
        for (i, v) in rec.iter().enumerate().take(header.len()) {
            seen_number[i] |= v.parse::<f64>().is_ok();
        }
    }
    if rows > 1 {
        for (n, seen) in numeric.iter_mut().zip(&seen_number) {
            *n &= *seen;
        }
    }
    let mut r = csv::Reader::from_path(path).map_err(fail)?;
    while r.read_record(&mut rec).map_err(fail)? {
        check_rows(path, &header, &numeric, std::slice::from_ref(&rec))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_read_back_exactly() {
        for s in [
            "=HYPERLINK(\"http://x\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "'quoted",
            "''",
            "'=x",
            "waterfall",
            "-0.5",
            "+3",
            "",
            "-Infinity",
            "-nan",
            "-inf",
            "\t-1",
            "-1e5",
            "-.5",
            "-1e",
            "--1",
        ] {
            let p = protect(s);
            assert!(
                !p.starts_with(TRIGGERS) || plain_number(&p),
                "{s:?} -> {p:?}"
            );
            assert_eq!(unprotect(&p), s);
        }
        assert_eq!(protect("-0.5"), "-0.5");
        assert_eq!(protect("-1.5e-3"), "-1.5e-3");
        assert_eq!(protect("-Infinity"), "'-Infinity");
        assert_eq!(protect("\t-1"), "'\t-1");
        assert_eq!(protect("stage_gated"), "stage_gated");
    }
}
