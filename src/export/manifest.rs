//! `manifest.json`: what produced a run folder (version, scenario and its hashes, seed,
//! command line, timings) and a SHA-256 of every file in it, so a result can be traced
//! and checked.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hex SHA-256 of a file's contents, read in blocks (a million portfolios make a
/// gigabyte of CSV, which must not be read into memory whole to be hashed).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut block) {
            Ok(0) => break,
            Ok(n) => hasher.update(&block[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// UTC time as RFC 3339 (`2026-11-28T15:37:00.123Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// One output file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name within the run folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Hex SHA-256 of its contents.
    pub sha256: String,
}

/// Where the scenario came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioSource {
    /// Path as given, or the embedded default's label.
    pub path: String,
    /// SHA-256 of that file's text (before `extends` and `--set`).
    pub sha256: String,
    /// SHA-256 of the fully resolved scenario (scenario.toml in the folder).
    pub resolved_sha256: String,
}

/// Seconds spent in each phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phases {
    /// Simulating portfolios.
    pub simulate_seconds: f64,
    /// Statistics in polars.
    pub analyse_seconds: f64,
    /// Writing files.
    pub write_seconds: f64,
}

/// What a folder holds, and so how its report is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderKind {
    /// `budgetsim run`: summary.csv and the per-run tables.
    Run,
    /// `budgetsim run` with sweep axes: sweep.csv and its companions.
    Sweep,
    /// `budgetsim sensitivity`: sensitivity.csv.
    Sensitivity,
    /// `budgetsim explain`: explain.csv.
    Explain,
    /// `budgetsim sensitivity --method sobol`: sobol.csv.
    Sobol,
    /// `budgetsim optimise`: optimise.csv and its companions.
    Optimise,
}

impl FolderKind {
    /// Every kind.
    pub const ALL: [FolderKind; 6] = [
        FolderKind::Run,
        FolderKind::Sweep,
        FolderKind::Sensitivity,
        FolderKind::Explain,
        FolderKind::Sobol,
        FolderKind::Optimise,
    ];

    /// The table a folder of this kind cannot do without.
    pub fn table(self) -> &'static str {
        match self {
            FolderKind::Run => "summary.csv",
            FolderKind::Sweep => "sweep.csv",
            FolderKind::Sensitivity => "sensitivity.csv",
            FolderKind::Explain => "explain.csv",
            FolderKind::Sobol => "sobol.csv",
            FolderKind::Optimise => "optimise.csv",
        }
    }

    /// The command that writes such a folder.
    pub fn verb(self) -> &'static str {
        match self {
            FolderKind::Run | FolderKind::Sweep => "run",
            FolderKind::Sensitivity | FolderKind::Sobol => "sensitivity",
            FolderKind::Explain => "explain",
            FolderKind::Optimise => "optimise",
        }
    }

    /// The kind of a folder written before manifests recorded it, from its tables
    /// (a run with `--sensitivity` has both summary.csv and sensitivity.csv: a run).
    pub fn guess(dir: &std::path::Path) -> Option<FolderKind> {
        FolderKind::ALL
            .into_iter()
            .find(|k| dir.join(k.table()).is_file())
    }
}

/// The manifest of one run folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// budgetsim version that wrote the folder.
    pub budgetsim_version: String,
    /// What the folder holds (absent in folders written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FolderKind>,
    /// Scenario name.
    pub scenario_name: String,
    /// Scenario file and hashes.
    pub scenario: ScenarioSource,
    /// The resolved scenario (after `extends` and `--set`) as TOML text.
    pub resolved_scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Portfolios simulated.
    pub portfolios: u64,
    /// Worker threads used for the simulation.
    pub threads: usize,
    /// The command line, argument by argument.
    pub command_line: Vec<String>,
    /// Start time (UTC, RFC 3339).
    pub started: String,
    /// End time (UTC, RFC 3339).
    pub finished: String,
    /// Wall time of the whole run, seconds.
    pub wall_seconds: f64,
    /// Time per phase.
    pub phases: Phases,
    /// Every other file of the folder with its hash.
    pub files: Vec<FileEntry>,
    /// For a shard folder (`run --shard K/N`): which part of the portfolios it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// For a run with `--until-ci`: the precision asked for and whether it was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ci: Option<UntilCi>,
    /// For a run, sweep or shard folder: the command that, pasted into a shell in the
    /// folder's parent directory, writes its data files again byte for byte
    /// ([`crate::export::reproduce`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
}

/// The part of a study one shard folder holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Shard number, 1 to `count`.
    pub index: u64,
    /// Shards in the study.
    pub count: u64,
    /// First portfolio of the shard.
    pub first: u64,
    /// One past its last portfolio.
    pub end: u64,
}

/// What `run --until-ci` asked for and got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UntilCi {
    /// Metric whose paired difference was watched.
    pub metric: String,
    /// Challenger and baseline model keys (difference challenger - baseline).
    pub models: [String; 2],
    /// Target 95% CI half-width, in the metric's unit.
    pub target_half_width: f64,
    /// Half-width reached.
    pub half_width: f64,
    /// Most portfolios allowed.
    pub max_portfolios: u64,
    /// Whether the target was reached within the maximum.
    pub reached: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_881_420_250);
        assert_eq!(rfc3339(t), "2026-11-28T15:57:00.250Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn a_file_hashes_as_its_bytes_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        // Longer than one block, so the blocks are chained.
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha256_hex(&bytes));
    }

    #[test]
    fn hashes_match_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
