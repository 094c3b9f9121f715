//! The per-portfolio tables (portfolios.csv, portfolios.parquet) and the per-idea
//! table (projects.parquet), written batch by batch while the simulation runs, so a
//! run never holds more than a batch of rows.
//!
//! Each batch becomes one Parquet row group, and batches are cut at fixed portfolio
//! indexes, so a run and a merge of its shards write the same bytes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use polars::io::csv::write::BatchedWriter as CsvBatches;
use polars::io::parquet::write::BatchedWriter as ParquetBatches;
use polars::prelude::*;

fn to_io(e: PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

/// A buffered file shared with the polars writer, so that its last bytes can be
/// flushed, and a failure seen, after the writer has finished with it (polars' batched
/// writers keep their output to themselves).
#[derive(Clone)]
struct Shared(Arc<Mutex<BufWriter<File>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock()?.flush()
    }
}

impl Shared {
    fn lock(&self) -> io::Result<std::sync::MutexGuard<'_, BufWriter<File>>> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("a table writer failed part way"))
    }
}

/// One table written batch by batch, as CSV or Parquet.
enum Batches {
    Csv(CsvBatches<Shared>),
    Parquet(Box<ParquetBatches<Shared>>),
}

/// A table file being written in batches.
pub struct TableStream {
    out: Batches,
    file: Shared,
}

impl TableStream {
    /// Creates `path` for rows with the columns of `schema` (the header of a CSV is
    /// written with the first batch, or at [`TableStream::finish`] if none came).
    pub fn create(path: &Path, format: super::tables::Format, schema: &Schema) -> io::Result<Self> {
        let file = Shared(Arc::new(Mutex::new(BufWriter::new(File::create(path)?))));
        let out = match format {
            super::tables::Format::Csv => Batches::Csv(
                CsvWriter::new(file.clone())
                    .include_header(true)
                    .batched(schema)
                    .map_err(to_io)?,
            ),
            super::tables::Format::Parquet => Batches::Parquet(Box::new(
                ParquetWriter::new(file.clone())
                    .batched(schema)
                    .map_err(to_io)?,
            )),
        };
        Ok(TableStream { out, file })
    }

    /// Appends `df` (same columns as the schema); one Parquet row group per call.
    pub fn write(&mut self, df: &DataFrame) -> io::Result<()> {
        match &mut self.out {
            Batches::Csv(w) => w
                .write_batch(&super::tables::protected(df).map_err(to_io)?)
                .map_err(to_io),
            Batches::Parquet(w) => {
                // One chunk, so one row group, whatever chunks the batch was built from.
                let mut df = df.clone();
                df.rechunk_mut();
                w.write_batch(&df).map_err(to_io)
            }
        }
    }

    /// Writes the footer (Parquet) or the header if no batch came (CSV) and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        match &mut self.out {
            Batches::Csv(w) => w.finish().map_err(to_io)?,
            Batches::Parquet(w) => {
                w.finish().map_err(to_io)?;
            }
        }
        drop(self.out);
        self.file.flush()
    }
}

/// The row files of a run folder (portfolios.csv, portfolios.parquet and, when kept,
/// projects.parquet), filled batch by batch. A write failure is kept, not returned at
/// once: the simulation goes on, its numbers are printed, and the failure is reported
/// when the folder is finished.
pub struct RunRows {
    portfolios: Vec<TableStream>,
    projects: Option<TableStream>,
    failed: Option<io::Error>,
    scenario: crate::model::Scenario,
}

/// Names of the row files, as [`RunRows`] writes them.
pub const ROW_FILES: [&str; 2] = ["portfolios.csv", "portfolios.parquet"];

/// A shard folder's order-free totals (stage sums, monthly sketches), as JSON.
pub const TOTALS: &str = "totals.json";

impl RunRows {
    /// Creates the row files in `dir` for scenario `s`; `projects` adds projects.parquet.
    pub fn create(dir: &Path, s: &crate::model::Scenario, projects: bool) -> io::Result<RunRows> {
        RunRows::open(dir, s, projects, &ROW_FILES)
    }

    /// As [`RunRows::create`] for a shard folder: Parquet only (the merge writes CSV).
    pub fn create_shard(
        dir: &Path,
        s: &crate::model::Scenario,
        projects: bool,
    ) -> io::Result<RunRows> {
        RunRows::open(dir, s, projects, &ROW_FILES[1..])
    }

    fn open(
        dir: &Path,
        s: &crate::model::Scenario,
        projects: bool,
        files: &[&str],
    ) -> io::Result<RunRows> {
        use super::tables::Format;
        let empty = crate::engine::Results {
            first: 0,
            models: s.models.iter().map(|m| m.name.clone()).collect(),
            outcomes: s.models.iter().map(|_| Vec::new()).collect(),
            projects: Vec::new(),
        };
        let schema = crate::analysis::frames::portfolios(&empty)
            .map_err(to_io)?
            .schema()
            .as_ref()
            .clone();
        let portfolios = files
            .iter()
            .map(|name| {
                let format = if name.ends_with(".csv") {
                    Format::Csv
                } else {
                    Format::Parquet
                };
                TableStream::create(&dir.join(name), format, &schema)
            })
            .collect::<io::Result<Vec<_>>>()?;
        let projects = if projects {
            let schema = crate::analysis::frames::projects(s, &empty)
                .map_err(to_io)?
                .schema()
                .as_ref()
                .clone();
            Some(TableStream::create(
                &dir.join("projects.parquet"),
                Format::Parquet,
                &schema,
            )?)
        } else {
            None
        };
        Ok(RunRows {
            portfolios,
            projects,
            failed: None,
            scenario: s.clone(),
        })
    }

    /// Appends a batch; after a failure, batches are dropped.
    pub fn write(&mut self, r: &crate::engine::Results) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.try_write(r) {
            self.failed = Some(e);
        }
    }

    fn try_write(&mut self, r: &crate::engine::Results) -> io::Result<()> {
        let df = crate::analysis::frames::portfolios(r).map_err(to_io)?;
        let projects = match self.projects {
            Some(_) => Some(crate::analysis::frames::projects(&self.scenario, r).map_err(to_io)?),
            None => None,
        };
        self.write_frames(&df, projects.as_ref())
    }

    /// Appends a batch given as tables (as the merge reads them from shards).
    pub fn write_frames(
        &mut self,
        portfolios: &DataFrame,
        projects: Option<&DataFrame>,
    ) -> io::Result<()> {
        for t in &mut self.portfolios {
            t.write(portfolios)?;
        }
        if let (Some(t), Some(df)) = (&mut self.projects, projects) {
            t.write(df)?;
        }
        Ok(())
    }

    /// Finishes every file; the first failure, if any, is the error.
    pub fn finish(self) -> io::Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        for t in self.portfolios.into_iter().chain(self.projects) {
            t.finish()?;
        }
        Ok(())
    }
}

/// Columns `columns` of Parquet file `path`, rows `slice` (offset, length) or all.
pub fn read_parquet(
    path: &Path,
    columns: Option<&[&str]>,
    slice: Option<(usize, usize)>,
) -> io::Result<DataFrame> {
    ParquetReader::new(File::open(path)?)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
        .with_slice(slice)
        .finish()
        .map_err(to_io)
}

/// Rows in Parquet file `path` (from its footer).
pub fn parquet_rows(path: &Path) -> io::Result<usize> {
    ParquetReader::new(File::open(path)?)
        .num_rows()
        .map_err(to_io)
}
