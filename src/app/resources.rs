//! What a run may take from the machine: worker threads, and memory checked before
//! any work.

use super::AppError;
use crate::cli::Common;

/// Memory one outcome (a portfolio under a model) takes while its batch is in flight,
/// bytes: metrics, stages and the monthly spend and value series, rounded up.
fn bytes_per_outcome(s: &crate::model::Scenario) -> f64 {
    2048.0 + 100.0 * s.simulation.horizon_months.ceil()
}

/// Memory a run keeps per portfolio and model until the end, bytes: one 8-byte value
/// per metric (see `analysis::tally`).
fn bytes_kept(_s: &crate::model::Scenario) -> f64 {
    (crate::metrics::METRIC_COUNT * 8) as f64
}

/// Memory the system can give now, bytes (Linux `MemAvailable`); None elsewhere.
pub(super) fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Memory one portfolio in flight takes while it is simulated, bytes: what is known of
/// every idea under every model (its track, events and payments). Measured at about
/// 290 bytes per idea and model (a million ideas, three models: 861 MB), rounded up.
fn bytes_in_flight(s: &crate::model::Scenario) -> f64 {
    let ideas = f64::from(s.fund.intake_rounds) * f64::from(s.fund.ideas_per_round);
    400.0 * ideas * s.models.len().max(1) as f64
}

/// Worker threads a run will use (`--threads`, or every core).
fn threads(common: &Common) -> usize {
    common.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    )
}

/// What sets the portfolio count a memory check advises on.
#[derive(Debug, Clone, Copy)]
pub(super) enum Count {
    /// `--portfolios` (or the scenario's count).
    Portfolios,
    /// `--max-portfolios`, the ceiling of `--until-ci`.
    MaxPortfolios,
    /// The shard count: each shard simulates its own range.
    Shards,
}

/// Refuses a run that cannot fit in memory, before any work: every portfolio keeps its
/// metric values for the analysis (portfolios x models x metrics), two batches of
/// outcomes are in flight (one simulated, one written), and each worker thread holds
/// one portfolio being simulated (ideas x models).
pub(super) fn check_memory(
    s: &crate::model::Scenario,
    portfolios: u64,
    common: &Common,
    count: Count,
) -> Result<(), AppError> {
    let Some(have) = available_memory() else {
        return Ok(());
    };
    memory_verdict(s, portfolios, threads(common), have, count).map_err(AppError::Usage)
}

/// [`check_memory`] with the worker count and the bytes available given: why the run
/// does not fit and what to change, if it does not.
fn memory_verdict(
    s: &crate::model::Scenario,
    portfolios: u64,
    workers: usize,
    have: f64,
    count: Count,
) -> Result<(), String> {
    let models = s.models.len().max(1) as f64;
    let per = bytes_kept(s) * models;
    let batches = 2.0 * crate::engine::BATCH.min(portfolios) as f64 * models * bytes_per_outcome(s);
    let flight = bytes_in_flight(s) * workers as f64 + batches;
    let need = per * portfolios as f64 + flight;
    let room = 0.8 * have;
    if need <= room {
        return Ok(());
    }
    let advice = if flight > room / 2.0 {
        let fit = (room / 2.0 / bytes_in_flight(s)).floor().max(1.0);
        if fit >= 1.0 && (fit as usize) < workers {
            format!(
                "use --threads {} or fewer, or fewer ideas per portfolio (each thread simulates one portfolio of {} ideas x {} models at a time)",
                fit as usize,
                f64::from(s.fund.intake_rounds) * f64::from(s.fund.ideas_per_round),
                s.models.len()
            )
        } else {
            "lower fund.intake_rounds or fund.ideas_per_round: one portfolio alone does not fit"
                .into()
        }
    } else {
        let fits = ((room - flight) / per).floor().max(1.0) as u64;
        let why = "each portfolio keeps its metric values for the analysis";
        match count {
            Count::Portfolios => format!("use --portfolios {fits} or fewer ({why})"),
            Count::MaxPortfolios => format!("use --max-portfolios {fits} or fewer ({why})"),
            Count::Shards => format!(
                "split the study into more shards, of at most {fits} portfolios each ({why})"
            ),
        }
    };
    Err(format!(
        "{portfolios} portfolios of {} models over {} months on {workers} threads need about \
         {:.1} GB of memory, and this machine has {:.1} GB available; {advice}",
        s.models.len(),
        s.simulation.horizon_months,
        need / 1e9,
        have / 1e9,
    ))
}

/// The engine's thread pool (`--threads`, default all cores).
pub(super) fn thread_pool(args: &Common) -> Result<rayon::ThreadPool, AppError> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        b = b.num_threads(usize::from(t));
    }
    b.build()
        .map_err(|e| AppError::Runtime(format!("cannot start worker threads: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> crate::model::Scenario {
        match crate::scenario::load_default(&[]) {
            Ok(l) => l.scenario,
            Err(e) => panic!("embedded default scenario: {e}"),
        }
    }

    #[test]
    fn a_run_too_large_names_the_option_that_sets_its_count() {
        let s = default();
        let gb = 1e9;
        assert!(memory_verdict(&s, 10_000, 2, 8.0 * gb, Count::Portfolios).is_ok());
        let too_many = 50_000_000;
        for (count, says) in [
            (Count::Portfolios, "use --portfolios "),
            (Count::MaxPortfolios, "use --max-portfolios "),
            (Count::Shards, "more shards, of at most "),
        ] {
            let Err(e) = memory_verdict(&s, too_many, 2, 2.0 * gb, count) else {
                panic!("{too_many} portfolios cannot fit in 2 GB");
            };
            assert!(e.contains(says), "{count:?}: {e}");
            // The advised count fits.
            let n: u64 = e
                .split(says)
                .nth(1)
                .and_then(|t| t.split_whitespace().next())
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("no count in: {e}"));
            assert!(n > 1000 && n < too_many, "{e}");
            assert!(memory_verdict(&s, n, 2, 2.0 * gb, count).is_ok(), "{e}");
        }
    }
}
