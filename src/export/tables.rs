//! Writers for DataFrames, one per format behind one small trait, so the run folder
//! code does not care which formats it writes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use polars::prelude::*;

/// A file format for tables.
pub trait TableWriter {
    /// File extension, without the dot.
    fn extension(&self) -> &'static str;
    /// Writes `df` to `path`.
    fn write(&self, df: &mut DataFrame, path: &Path) -> io::Result<()>;
}

/// Closed set of table formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header; nulls (undefined values) are empty fields.
    Csv,
    /// Apache Parquet (zstd-compressed); nulls stay null.
    Parquet,
}

fn to_io(e: PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

/// `df` with every text cell that a spreadsheet would run as a formula protected
/// ([`super::cell::protect`]); the frame itself when none needs it.
pub(crate) fn protected(df: &DataFrame) -> PolarsResult<DataFrame> {
    let needs = |c: &Column| -> PolarsResult<bool> {
        Ok(c.dtype() == &DataType::String
            && c.str()?
                .iter()
                .flatten()
                .any(|s| matches!(super::cell::protect(s), std::borrow::Cow::Owned(_))))
    };
    let mut any = false;
    for c in df.columns() {
        any |= needs(c)?;
    }
    if !any {
        return Ok(df.clone());
    }
    let cols = df
        .columns()
        .iter()
        .map(|c| {
            if !needs(c)? {
                return Ok(c.clone());
            }
            let v: Vec<Option<String>> = c
                .str()?
                .iter()
                .map(|o| o.map(|s| super::cell::protect(s).into_owned()))
                .collect();
            Ok(Column::new(c.name().clone(), v))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(df.height(), cols)
}

impl TableWriter for Format {
    fn extension(&self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    fn write(&self, df: &mut DataFrame, path: &Path) -> io::Result<()> {
        let mut out = BufWriter::new(File::create(path)?);
        match self {
            Format::Csv => CsvWriter::new(&mut out)
                .include_header(true)
                .finish(&mut protected(df).map_err(to_io)?)
                .map_err(to_io)?,
            Format::Parquet => {
                ParquetWriter::new(&mut out).finish(df).map_err(to_io)?;
            }
        }
        out.flush()
    }
}
