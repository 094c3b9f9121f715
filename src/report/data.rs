//! What the charts and reports are drawn from: the analysis tables of a run folder
//! (summary, comparison, stages, timeseries, per-portfolio net value, explain.csv if
//! present), its manifest and its resolved scenario, read back from the files so
//! `budgetsim report DIR` needs no simulation.

use std::collections::HashMap;
use std::path::Path;

use crate::metrics::Metric;
use crate::model::{Lang, Scenario};
use crate::scenario;

/// Statistics of one metric for one model (from summary.csv).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stat {
    /// Mean.
    pub mean: f64,
    /// 95% CI of the mean.
    pub ci: (f64, f64),
    /// p5, p25, p50, p75, p95.
    pub quantiles: [f64; 5],
}

/// Paired comparison A - B (from comparison.csv).
#[derive(Debug, Clone, Copy, Default)]
pub struct Diff {
    /// Mean difference.
    pub mean: f64,
    /// 95% CI of the mean difference.
    pub ci: (f64, f64),
    /// P(A better), ties counting half.
    pub prob_better: f64,
    /// P(A strictly worse) (NaN for folders written before it was recorded).
    pub prob_worse: f64,
    /// p5 and p95 of the difference over portfolios (NaN, as above).
    pub range: (f64, f64),
}

/// One input moved low and high (a row of sensitivity.csv, written by `run
/// --sensitivity`), in the metric's units.
#[derive(Debug, Clone)]
pub struct InputMove {
    /// Dotted path of the input.
    pub path: String,
    /// Its value in the scenario, low and high.
    pub values: [f64; 3],
    /// Challenger minus baseline in the scenario, at low and at high.
    pub diffs: [f64; 3],
    /// The value where the difference changes sign, if a move flips it (the nearer to
    /// the scenario's value when both ends do).
    pub break_even: Option<f64>,
    /// When both ends flip the answer, the break-even at the other end.
    pub other_break_even: Option<f64>,
    /// 95% CI of the difference at low and at high (NaN for older folders).
    pub cis: [(f64, f64); 2],
    /// 95% CI of the difference with every input as in the scenario (NaN for older
    /// folders).
    pub base_ci: (f64, f64),
    /// Policy lever or uncertain assumption.
    pub kind: crate::scenario::fields::Kind,
}

/// Whether a 95% CI is known and reaches zero: the mean it belongs to cannot be told
/// apart from zero.
pub fn reaches_zero(ci: (f64, f64)) -> bool {
    ci.0.is_finite() && ci.1.is_finite() && ci.0 <= 0.0 && ci.1 >= 0.0
}

impl InputMove {
    /// Whether the answer flips only within the noise: the mean difference changes sign
    /// at an end, but at every end where it does, the 95% CI of the difference there
    /// reaches zero. False when the CIs are unknown (older folders).
    pub fn flips_in_noise(&self) -> bool {
        let base = self.diffs[0];
        let flipped = |d: f64| d.is_finite() && (d == 0.0 || (d > 0.0) != (base > 0.0));
        let ends: Vec<usize> = (0..2).filter(|&i| flipped(self.diffs[i + 1])).collect();
        self.break_even.is_some()
            && !ends.is_empty()
            && ends.iter().all(|&i| reaches_zero(self.cis[i]))
    }

    /// Whether the input is a group of fields scaled together (its values are
    /// factors).
    pub fn is_group(&self) -> bool {
        crate::sensitivity::group(&self.path).is_some()
    }

    /// Value `x` of the input as a person reads it: money, a share, or `×1.25` for a
    /// group's factor.
    pub fn value(&self, lang: Lang, x: f64) -> String {
        let text = super::style::parameter(lang, &self.path, x);
        if self.is_group() {
            format!("×{text}")
        } else {
            text
        }
    }
}

/// How one model's funds can go wrong (from risk.csv; NaN for folders written before
/// it existed).
#[derive(Debug, Clone, Copy)]
pub struct RiskRow {
    /// Share of funds spending past the budget.
    pub over_budget: f64,
    /// Share of funds with negative net value.
    pub net_negative: f64,
}

impl Default for RiskRow {
    fn default() -> RiskRow {
        RiskRow {
            over_budget: f64::NAN,
            net_negative: f64::NAN,
        }
    }
}

/// One stage's mean counts (from stages.csv).
#[derive(Debug, Clone)]
pub struct StageRow {
    /// Stage name.
    pub stage: String,
    /// Mean ideas entering.
    pub entering: f64,
    /// Mean ideas killed at the gate after.
    pub killed: f64,
}

/// One month of a model's time series (from timeseries.csv): spend and value p10/p50/p90.
#[derive(Debug, Clone, Copy)]
pub struct MonthRow {
    /// Month.
    pub month: f64,
    /// Cumulative spend p10, p50, p90.
    pub spend: [f64; 3],
    /// Cumulative value p10, p50, p90.
    pub value: [f64; 3],
}

/// Provenance (from manifest.json).
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// budgetsim version.
    pub version: String,
    /// Seed.
    pub seed: u64,
    /// Portfolios.
    pub portfolios: u64,
    /// SHA-256 of the resolved scenario.
    pub resolved_sha256: String,
    /// Scenario path as given.
    pub scenario_path: String,
    /// The command that writes the folder's data files again, run in its parent
    /// directory ([`crate::export::reproduce`]).
    pub reproduce: String,
    /// When the run started (UTC, RFC 3339; empty if unknown).
    pub started: String,
    /// What the folder holds (None for folders written before manifests said).
    pub kind: Option<crate::export::manifest::FolderKind>,
}

impl Provenance {
    /// The provenance a manifest records.
    pub fn from_manifest(m: &crate::export::manifest::Manifest) -> Provenance {
        Provenance {
            version: m.budgetsim_version.clone(),
            seed: m.seed,
            portfolios: m.portfolios,
            resolved_sha256: m.scenario.resolved_sha256.clone(),
            scenario_path: m.scenario.path.clone(),
            reproduce: m.reproduce.clone().unwrap_or_default(),
            started: m.started.clone(),
            kind: m.kind,
        }
    }
}

/// Everything a report needs.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The resolved scenario (names, labels, assumptions).
    pub scenario: Scenario,
    /// Model names in scenario order.
    pub models: Vec<String>,
    /// Display labels, same order.
    pub labels: Vec<String>,
    /// (model, metric) -> statistics.
    pub summary: HashMap<(String, String), Stat>,
    /// (model_a, model_b, metric) -> paired difference.
    pub comparison: HashMap<(String, String, String), Diff>,
    /// model -> stages in order.
    pub stages: HashMap<String, Vec<StageRow>>,
    /// model -> months in order.
    pub timeseries: HashMap<String, Vec<MonthRow>>,
    /// model -> how its funds can go wrong.
    pub risk: HashMap<String, RiskRow>,
    /// Inputs moved one at a time, largest swing first (empty without sensitivity.csv).
    pub inputs: Vec<InputMove>,
    /// model -> net value per portfolio, in portfolio order.
    pub net_value: HashMap<String, Vec<f64>>,
    /// Where the run came from.
    pub provenance: Provenance,
    /// explain.csv, when the run was explained (`run --explain`).
    pub explain: Option<crate::explain::Table>,
}

/// A CSV file of a run folder as header plus rows (shared by the chart readers).
pub(crate) struct Csv {
    /// File name in its folder (for messages).
    pub(crate) name: String,
    /// Column names.
    pub(crate) header: Vec<String>,
    /// Records.
    pub(crate) rows: Vec<csv::StringRecord>,
}

impl Csv {
    pub(crate) fn read(dir: &Path, name: &str) -> Result<Csv, String> {
        let path = dir.join(name);
        let mut r =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let header = r
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let rows = r
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let t = Csv {
            name: name.to_string(),
            header,
            rows,
        };
        crate::export::cell::check_numbers(&path, &t.header, &t.rows)?;
        Ok(t)
    }

    /// Column `name` if the file has it (columns added in later versions).
    pub(crate) fn col_opt(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Float at (row, column `col` if present), NaN otherwise.
    pub(crate) fn f_opt(&self, row: &csv::StringRecord, col: Option<usize>) -> f64 {
        col.map_or(f64::NAN, |c| self.f(row, c))
    }

    pub(crate) fn col(&self, name: &str) -> Result<usize, String> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            format!(
                "{}: column `{name}` missing; the file was edited or written by another \
                     version: run the study again",
                self.name
            )
        })
    }

    /// Float at (row, column); empty fields (undefined values) are NaN.
    pub(crate) fn f(&self, row: &csv::StringRecord, col: usize) -> f64 {
        row.get(col)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// Text at (row, column), as the run wrote it (see [`crate::export::cell`]).
    pub(crate) fn s(&self, row: &csv::StringRecord, col: usize) -> String {
        crate::export::cell::unprotect(row.get(col).unwrap_or_default()).to_string()
    }
}

/// Net value per portfolio for each model, in portfolio order: two columns of
/// portfolios.parquet, read a slice of rows at a time (a million portfolios' whole
/// table would not fit in memory, and even two whole columns cost more than needed).
fn net_values(dir: &Path) -> Result<HashMap<String, Vec<f64>>, String> {
    use crate::export::rows::{parquet_rows, read_parquet};
    let path = dir.join("portfolios.parquet");
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let total = parquet_rows(&path).map_err(|e| fail(&e))?;
    let mut net_value: HashMap<String, Vec<f64>> = HashMap::new();
    const SLICE: usize = 1 << 16;
    for offset in (0..total).step_by(SLICE) {
        let df = read_parquet(
            &path,
            Some(&["model", Metric::NetValue.name()]),
            Some((offset, SLICE)),
        )
        .map_err(|e| fail(&e))?;
        let models = crate::analysis::frames::strings(&df, "model").map_err(|e| fail(&e))?;
        let values =
            crate::analysis::frames::f64s(&df, Metric::NetValue.name()).map_err(|e| fail(&e))?;
        for (m, v) in models.into_iter().zip(values) {
            net_value.entry(m).or_default().push(v);
        }
    }
    Ok(net_value)
}

/// Reads the report data of run folder `dir`.
pub fn read(dir: &Path) -> Result<ReportData, String> {
    let scenario = resolved_scenario(dir)?;
    let models: Vec<String> = scenario.models.iter().map(|m| m.name.clone()).collect();
    let labels = scenario
        .models
        .iter()
        .map(|m| m.label.en().to_string())
        .collect();

    let sm = Csv::read(dir, "summary.csv")?;
    let c = |n| sm.col(n);
    let (cm, cmet, cmean, clo, chi) = (
        c("model")?,
        c("metric")?,
        c("mean")?,
        c("ci_low")?,
        c("ci_high")?,
    );
    let cq = [c("p5")?, c("p25")?, c("p50")?, c("p75")?, c("p95")?];
    let mut summary = HashMap::new();
    for r in &sm.rows {
        summary.insert(
            (sm.s(r, cm), sm.s(r, cmet)),
            Stat {
                mean: sm.f(r, cmean),
                ci: (sm.f(r, clo), sm.f(r, chi)),
                quantiles: cq.map(|q| sm.f(r, q)),
            },
        );
    }

    let cp = Csv::read(dir, "comparison.csv")?;
    let c = |n| cp.col(n);
    let (ca, cb, cmet, cd, clo, chi, cpb) = (
        c("model_a")?,
        c("model_b")?,
        c("metric")?,
        c("mean_diff")?,
        c("ci_low")?,
        c("ci_high")?,
        c("prob_a_better")?,
    );
    let (cw, c5, c95) = (
        cp.col_opt("prob_a_worse"),
        cp.col_opt("p5"),
        cp.col_opt("p95"),
    );
    let mut comparison = HashMap::new();
    for r in &cp.rows {
        comparison.insert(
            (cp.s(r, ca), cp.s(r, cb), cp.s(r, cmet)),
            Diff {
                mean: cp.f(r, cd),
                ci: (cp.f(r, clo), cp.f(r, chi)),
                prob_better: cp.f(r, cpb),
                prob_worse: cp.f_opt(r, cw),
                range: (cp.f_opt(r, c5), cp.f_opt(r, c95)),
            },
        );
    }

    let inputs = read_inputs(dir)?;

    let mut risk = HashMap::new();
    if dir.join("risk.csv").is_file() {
        let rk = Csv::read(dir, "risk.csv")?;
        let (cm, co, cn) = (
            rk.col("model")?,
            rk.col("prob_over_budget")?,
            rk.col("prob_net_value_negative")?,
        );
        for r in &rk.rows {
            risk.insert(
                rk.s(r, cm),
                RiskRow {
                    over_budget: rk.f(r, co),
                    net_negative: rk.f(r, cn),
                },
            );
        }
    }

    let st = Csv::read(dir, "stages.csv")?;
    let (cm, cs, ce, ck) = (
        st.col("model")?,
        st.col("stage")?,
        st.col("entering")?,
        st.col("killed")?,
    );
    let mut stages: HashMap<String, Vec<StageRow>> = HashMap::new();
    for r in &st.rows {
        stages.entry(st.s(r, cm)).or_default().push(StageRow {
            stage: st.s(r, cs),
            entering: st.f(r, ce),
            killed: st.f(r, ck),
        });
    }

    let ts = Csv::read(dir, "timeseries.csv")?;
    let cm = ts.col("model")?;
    let cmo = ts.col("month")?;
    let sp = [
        ts.col("spend_p10")?,
        ts.col("spend_p50")?,
        ts.col("spend_p90")?,
    ];
    let va = [
        ts.col("value_p10")?,
        ts.col("value_p50")?,
        ts.col("value_p90")?,
    ];
    let mut timeseries: HashMap<String, Vec<MonthRow>> = HashMap::new();
    for r in &ts.rows {
        timeseries.entry(ts.s(r, cm)).or_default().push(MonthRow {
            month: ts.f(r, cmo),
            spend: sp.map(|c| ts.f(r, c)),
            value: va.map(|c| ts.f(r, c)),
        });
    }

    let net_value = net_values(dir)?;

    let provenance = provenance(dir, scenario.simulation.seed)?;
    let explain_path = dir.join("explain.csv");
    let explain = if explain_path.is_file() {
        Some(crate::explain::read_csv(&explain_path)?)
    } else {
        None
    };
    Ok(ReportData {
        scenario,
        models,
        labels,
        summary,
        comparison,
        stages,
        timeseries,
        risk,
        inputs,
        net_value,
        provenance,
        explain,
    })
}

impl ReportData {
    /// Statistics of `metric` for model index `m` (zeros if absent).
    pub fn stat(&self, m: usize, metric: Metric) -> Stat {
        self.summary
            .get(&(self.models[m].clone(), metric.name().to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// Paired difference model `a` minus model `b` on `metric`.
    pub fn diff(&self, a: usize, b: usize, metric: Metric) -> Diff {
        self.comparison
            .get(&(
                self.models[a].clone(),
                self.models[b].clone(),
                metric.name().to_string(),
            ))
            .copied()
            .unwrap_or_default()
    }

    /// Writes the models' labels in `lang` (charts and pages are drawn one language at a
    /// time; the rest of the data is the same in every language).
    pub fn set_lang(&mut self, lang: Lang) {
        self.labels = self
            .scenario
            .models
            .iter()
            .map(|m| m.label.get(lang).to_string())
            .collect();
    }

    /// The name in `lang` of model `m`'s stage `id` (its English name, as in
    /// stages.csv); `id` itself if the scenario has no such stage.
    pub fn stage_name(&self, m: usize, id: &str, lang: Lang) -> String {
        self.scenario.models[m]
            .stages
            .iter()
            .find(|s| s.name.en() == id)
            .map_or_else(|| id.to_string(), |s| s.name.get(lang).to_string())
    }

    /// How model `m`'s funds can go wrong (NaN if the folder does not say).
    pub fn risk(&self, m: usize) -> RiskRow {
        self.risk.get(&self.models[m]).copied().unwrap_or_default()
    }

    /// Index of the model with the highest mean of `metric`.
    pub fn best(&self, metric: Metric) -> usize {
        (0..self.models.len())
            .max_by(|&a, &b| {
                self.stat(a, metric)
                    .mean
                    .total_cmp(&self.stat(b, metric).mean)
            })
            .unwrap_or(0)
    }

    /// The comparison the report leads with: (strongest baseline, best challenger) by
    /// mean net value (see [`crate::model::headline_pair`]).
    pub fn pair(&self) -> (usize, usize) {
        crate::model::headline_pair(&self.scenario.models, |i| {
            self.stat(i, Metric::NetValue).mean
        })
    }
}

/// Model indexes of a sweep in report order: the strongest baseline first, the best
/// challenger second (both by mean net value averaged over the sweep's points, from
/// sweep.csv), then the others in scenario order.
pub(crate) fn sweep_order(summaries: &Csv, s: &Scenario) -> Result<Vec<usize>, String> {
    let (cm, cmet, cmean) = (
        summaries.col("model")?,
        summaries.col("metric")?,
        summaries.col("mean")?,
    );
    let mut sums = vec![(0.0, 0usize); s.models.len()];
    for r in summaries
        .rows
        .iter()
        .filter(|r| &r[cmet] == Metric::NetValue.name())
    {
        if let Some(i) = s.models.iter().position(|m| m.name == r[cm]) {
            let x = summaries.f(r, cmean);
            if x.is_finite() {
                sums[i].0 += x;
                sums[i].1 += 1;
            }
        }
    }
    let (b, c) = crate::model::headline_pair(&s.models, |i| sums[i].0 / sums[i].1.max(1) as f64);
    let mut order = vec![b, c];
    order.extend((0..s.models.len()).filter(|i| *i != b && *i != c));
    Ok(order)
}

/// The inputs moved in sensitivity.csv, in its order (largest swing first); empty
/// without the file.
pub fn read_inputs(dir: &Path) -> Result<Vec<InputMove>, String> {
    let mut inputs = Vec::new();
    if !dir.join("sensitivity.csv").is_file() {
        return Ok(inputs);
    }
    let sv = Csv::read(dir, "sensitivity.csv")?;
    let c = |n| sv.col(n);
    let (cp, cv, cl, ch, cd, cdl, cdh, cb) = (
        c("parameter")?,
        c("base_value")?,
        c("low_value")?,
        c("high_value")?,
        c("diff_base")?,
        c("diff_low")?,
        c("diff_high")?,
        c("break_even")?,
    );
    // Folders written before the column existed: every input an assumption.
    let ck = sv.col("kind").ok();
    let opt = |n| sv.col_opt(n);
    let base_ci = (opt("diff_base_ci_low"), opt("diff_base_ci_high"));
    let (cob, cis) = (
        opt("other_break_even"),
        [
            opt("diff_low_ci_low"),
            opt("diff_low_ci_high"),
            opt("diff_high_ci_low"),
            opt("diff_high_ci_high"),
        ],
    );
    for r in &sv.rows {
        let b = sv.f(r, cb);
        let other = sv.f_opt(r, cob);
        let ci = |i: usize| (sv.f_opt(r, cis[2 * i]), sv.f_opt(r, cis[2 * i + 1]));
        inputs.push(InputMove {
            path: sv.s(r, cp),
            values: [sv.f(r, cv), sv.f(r, cl), sv.f(r, ch)],
            diffs: [sv.f(r, cd), sv.f(r, cdl), sv.f(r, cdh)],
            break_even: b.is_finite().then_some(b),
            other_break_even: other.is_finite().then_some(other),
            cis: [ci(0), ci(1)],
            base_ci: (sv.f_opt(r, base_ci.0), sv.f_opt(r, base_ci.1)),
            kind: match ck {
                None => crate::scenario::fields::Kind::Assumption,
                Some(k) => crate::scenario::fields::Kind::parse(&sv.s(r, k)).ok_or_else(|| {
                    format!(
                        "sensitivity.csv, line {}: column `kind` holds `{}`, not `lever` or \
                         `assumption`: put the kind back, or run the study again",
                        r.position().map_or(0, |p| p.line()),
                        crate::scenario::fields::shortened(&sv.s(r, k))
                    )
                })?,
            },
        });
    }
    Ok(inputs)
}

/// The resolved scenario of run folder `dir` (its scenario.toml).
pub fn resolved_scenario(dir: &Path) -> Result<Scenario, String> {
    let resolved_path = dir.join("scenario.toml");
    let text = std::fs::read_to_string(&resolved_path)
        .map_err(|e| format!("{}: {e}", resolved_path.display()))?;
    Ok(
        scenario::load_text(&resolved_path.display().to_string(), &text, None, &[])
            .map_err(|e| e.to_string())?
            .scenario,
    )
}

/// `given` (the provenance of a folder still being written), else the one its
/// manifest records.
pub fn provenance_or(
    dir: &Path,
    seed: u64,
    given: Option<&Provenance>,
) -> Result<Provenance, String> {
    match given {
        Some(p) => Ok(p.clone()),
        None => provenance(dir, seed),
    }
}

/// Provenance from the folder's manifest.json; empty while a run is still being
/// written (the manifest comes last and the caller fills it in).
pub fn provenance(dir: &Path, seed: u64) -> Result<Provenance, String> {
    let manifest_path = dir.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&manifest_path) else {
        return Ok(Provenance::default());
    };
    let m: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let text_of = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    Ok(Provenance {
        version: text_of(&m["budgetsim_version"]),
        seed: m["seed"].as_u64().unwrap_or(seed),
        portfolios: m["portfolios"].as_u64().unwrap_or(0),
        resolved_sha256: text_of(&m["scenario"]["resolved_sha256"]),
        scenario_path: text_of(&m["scenario"]["path"]),
        started: text_of(&m["started"]),
        // Absent in folders written before it was recorded; anything else must be a kind.
        kind: match m.get("kind") {
            None => None,
            Some(k) => Some(serde_json::from_value(k.clone()).map_err(|_| {
                format!(
                    "{}: `kind` is {k}, not one of \"run\", \"sweep\", \"sensitivity\" or \"explain\": \
                     put back the kind the folder was written as, or run the study again",
                    manifest_path.display()
                )
            })?),
        },
        // Folders written before manifests recorded the command: the same command,
        // from the folder as it is now.
        reproduce: match m["reproduce"].as_str() {
            Some(c) => c.to_string(),
            None => crate::export::reproduce::command(dir, dir, None),
        },
    })
}
