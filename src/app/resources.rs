//! What a run may take from the machine: worker threads, and memory checked before
//! any work.

use super::AppError;
use crate::cli::Common;

/// Memory a run keeps per portfolio and model, bytes: the outcome (metrics, stages) and
/// its monthly spend and value series, plus their copies in the analysis tables. An
/// estimate from measured runs (the default scenario, 60 months, keeps about 7.8 kB),
/// rounded up.
pub(super) fn bytes_per_run(s: &crate::model::Scenario) -> f64 {
    2048.0 + 100.0 * s.simulation.horizon_months.ceil()
}

/// Memory the system can give now, bytes (Linux `MemAvailable`); None elsewhere.
pub(super) fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Refuses a run whose outcomes cannot fit in memory, before any work: every
/// portfolio's outcome is kept for the analysis, so memory grows with portfolios x
/// models x months.
pub(super) fn check_memory(s: &crate::model::Scenario, portfolios: u64) -> Result<(), AppError> {
    let per = bytes_per_run(s) * s.models.len().max(1) as f64;
    let need = per * portfolios as f64;
    let Some(have) = available_memory() else {
        return Ok(());
    };
    if need <= 0.8 * have {
        return Ok(());
    }
    let fits = (0.8 * have / per).floor().max(1.0);
    Err(AppError::Usage(format!(
        "{portfolios} portfolios of {} models over {} months need about {:.1} GB of memory, \
         and this machine has {:.1} GB available; use --portfolios {} or fewer (each \
         portfolio's outcome is kept for the analysis)",
        s.models.len(),
        s.simulation.horizon_months,
        need / 1e9,
        have / 1e9,
        fits as u64
    )))
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
