//! What a run keeps of its portfolios as they finish, batch by batch: one column per
//! model and metric (8 bytes a value, in portfolio order), exact per-stage totals, and
//! a quantile sketch per model, month and series. Memory grows by 8 bytes per
//! portfolio, model and metric, never with ideas, stages or months.
//!
//! Every statistic is taken from these in one fixed order (portfolio order for the
//! columns, integer counts and sums for the rest), so a run gives the same bytes on
//! any thread count, and shards merged from their files give what one process gives.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::sketch::Sketch;
use super::stats::{self, paired, summarize};
use super::{Analysis, Comparison, MetricSummary, ModelSummary, Risk, StageSummary, role_name};
use crate::engine::{self, Detail, Flow, Results};
use crate::metrics::{METRIC_COUNT, Metric, Outcome};
use crate::model::Scenario;

/// Units of [`Fixed`] per unit (2^16: a 65536th of a dollar or month).
const FIXED_SCALE: f64 = 65_536.0;

/// An exact sum of amounts rounded to 1/65536: integers add the same in any order, so
/// totals gathered by threads, batches or shards agree to the bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fixed(i128);

impl Fixed {
    /// Adds `x` (rounded to 1/65536; non-finite values are left out).
    pub fn add(&mut self, x: f64) {
        if x.is_finite() {
            self.0 += (x * FIXED_SCALE).round() as i128;
        }
    }

    /// The sum.
    pub fn value(self) -> f64 {
        self.0 as f64 / FIXED_SCALE
    }
}

// i128 is written as text: JSON readers (serde_json included) lose integers past 2^64.
impl Serialize for Fixed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Fixed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map(Fixed)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a whole number")))
    }
}

/// Totals over portfolios for one stage of one model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageTotals {
    /// Ideas that entered the stage.
    pub entered: u64,
    /// Ideas that passed it.
    pub passed: u64,
    /// Ideas killed at the gate after it.
    pub killed: u64,
    /// Ideas cancelled in it.
    pub cancelled: u64,
    /// Contracts of the stage finished by the horizon.
    pub finished: u64,
    /// Spend on the stage, dollars.
    pub spend: Fixed,
    /// Actual months of its finished contracts.
    pub months: Fixed,
}

/// The order-free part of a tally (stage totals and monthly sketches): what a shard
/// hands to the merge besides its per-portfolio rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Per model, per stage.
    pub stages: Vec<Vec<StageTotals>>,
    /// Per model, per month: cumulative spend and cumulative value.
    pub months: Vec<Vec<[Sketch; 2]>>,
}

impl Totals {
    /// Checks totals read back from a file against scenario `s`: one entry per model
    /// and stage, the same number of months for every model, sketches within range.
    pub fn check(&self, s: &Scenario) -> Result<(), String> {
        let stages_ok = self.stages.len() == s.models.len()
            && self
                .stages
                .iter()
                .zip(&s.models)
                .all(|(t, m)| t.len() == m.stages.len());
        let months = self.months.first().map_or(0, Vec::len);
        let months_ok = self.months.len() == s.models.len()
            && self.months.iter().all(|m| m.len() == months)
            && self.months.iter().flatten().flatten().all(Sketch::is_valid);
        if stages_ok && months_ok {
            Ok(())
        } else {
            Err("its stage totals or monthly histograms do not fit the scenario".into())
        }
    }

    /// As [`Totals::merge`], refusing sums that would overflow (totals that no run
    /// can have written).
    pub fn try_merge(&mut self, other: &Totals) -> Result<(), String> {
        let fits = |a: u64, b: u64| a.checked_add(b).is_some();
        let counts_fit = self
            .stages
            .iter()
            .flatten()
            .zip(other.stages.iter().flatten())
            .all(|(a, b)| {
                fits(a.entered, b.entered)
                    && fits(a.passed, b.passed)
                    && fits(a.killed, b.killed)
                    && fits(a.cancelled, b.cancelled)
                    && fits(a.finished, b.finished)
                    && a.spend.0.checked_add(b.spend.0).is_some()
                    && a.months.0.checked_add(b.months.0).is_some()
            });
        let sketches_fit = other
            .months
            .iter()
            .flatten()
            .flatten()
            .all(|s| s.len_checked().is_some());
        if !counts_fit || !sketches_fit {
            return Err("its counts are too large for any run".into());
        }
        self.merge(other);
        Ok(())
    }

    /// Adds `other` (same scenario) to these totals.
    pub fn merge(&mut self, other: &Totals) {
        for (mine, theirs) in self.stages.iter_mut().zip(&other.stages) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.entered += b.entered;
                a.passed += b.passed;
                a.killed += b.killed;
                a.cancelled += b.cancelled;
                a.finished += b.finished;
                a.spend.0 += b.spend.0;
                a.months.0 += b.months.0;
            }
        }
        if self.months.iter().all(Vec::is_empty) {
            self.months = other.months.clone();
            return;
        }
        for (mine, theirs) in self.months.iter_mut().zip(&other.months) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a[0].merge(&b[0]);
                a[1].merge(&b[1]);
            }
        }
    }

    fn absorb(&mut self, m: usize, o: &Outcome) {
        for (t, st) in self.stages[m].iter_mut().zip(&o.stages) {
            t.entered += u64::from(st.entered);
            t.passed += u64::from(st.passed);
            t.killed += u64::from(st.killed);
            t.cancelled += u64::from(st.cancelled);
            t.finished += u64::from(st.finished);
            t.spend.add(st.spend);
            t.months.add(st.months);
        }
        let months = &mut self.months[m];
        if months.len() < o.spend_by_month.len() {
            months.resize_with(o.spend_by_month.len(), Default::default);
        }
        for (cell, (sp, v)) in months
            .iter_mut()
            .zip(o.spend_by_month.iter().zip(&o.value_by_month))
        {
            cell[0].add(*sp);
            cell[1].add(*v);
        }
    }
}

/// The 10th, 50th and 90th percentiles of cumulative spend and value in one month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthBand {
    /// Month (0 = the fund's start).
    pub month: u32,
    /// Cumulative spend p10, p50, p90, dollars.
    pub spend: [f64; 3],
    /// Cumulative discounted value p10, p50, p90, dollars.
    pub value: [f64; 3],
}

/// Percentiles of the monthly bands.
pub const BAND_QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// Everything a run keeps of portfolios `first..first + count`.
#[derive(Debug, Clone)]
pub struct Tally {
    /// First portfolio.
    pub first: u64,
    /// Portfolios absorbed so far.
    pub count: u64,
    /// Model names, in scenario order.
    pub models: Vec<String>,
    /// `columns[model][metric]`: one value per portfolio, in order (NaN: undefined).
    columns: Vec<Vec<Vec<f64>>>,
    /// Stage totals and monthly sketches.
    pub totals: Totals,
}

impl Tally {
    /// An empty tally for scenario `s`, starting at portfolio `first`.
    pub fn new(s: &Scenario, first: u64) -> Tally {
        Tally {
            first,
            count: 0,
            models: s.models.iter().map(|m| m.name.clone()).collect(),
            columns: s
                .models
                .iter()
                .map(|_| vec![Vec::new(); METRIC_COUNT])
                .collect(),
            totals: Totals {
                stages: s
                    .models
                    .iter()
                    .map(|m| vec![StageTotals::default(); m.stages.len()])
                    .collect(),
                months: s.models.iter().map(|_| Vec::new()).collect(),
            },
        }
    }

    /// Makes room for `n` more portfolios in every column.
    pub fn reserve(&mut self, n: usize) {
        for col in self.columns.iter_mut().flatten() {
            col.reserve_exact(n);
        }
    }

    /// Portfolio after the last absorbed (where the next batch must start).
    pub fn end(&self) -> u64 {
        self.first + self.count
    }

    /// Absorbs the next batch of portfolios (which must start at [`Tally::end`]).
    pub fn absorb(&mut self, r: &Results) {
        assert_eq!(
            r.first,
            self.end(),
            "batches must arrive in portfolio order"
        );
        let n = r.outcomes.first().map_or(0, Vec::len);
        for (m, outs) in r.outcomes.iter().enumerate() {
            for (k, col) in self.columns[m].iter_mut().enumerate() {
                col.extend(outs.iter().map(|o| o.values[k]));
            }
            for o in outs {
                self.totals.absorb(m, o);
            }
        }
        self.count += n as u64;
    }

    /// Absorbs per-portfolio rows as [`super::frames::portfolios`] lays them out (each
    /// portfolio's models in scenario order), as read back from shards. Undefined
    /// values come back as NaN, which every statistic leaves out as before.
    pub fn absorb_rows(
        &mut self,
        df: &polars::prelude::DataFrame,
    ) -> polars::prelude::PolarsResult<()> {
        let models = super::frames::strings(df, "model")?;
        let k = self.models.len();
        if models.len() % k.max(1) != 0
            || models
                .iter()
                .enumerate()
                .any(|(i, m)| *m != self.models[i % k])
        {
            polars::prelude::polars_bail!(ComputeError: "rows are not one per model, in scenario order");
        }
        for &metric in Metric::ALL {
            let values = super::frames::f64s(df, metric.name())?;
            for (i, x) in values.into_iter().enumerate() {
                self.columns[i % k][metric as usize].push(x);
            }
        }
        self.count += (models.len() / k.max(1)) as u64;
        Ok(())
    }

    /// Values of `metric` for model `m`, in portfolio order.
    pub fn column(&self, m: usize, metric: Metric) -> &[f64] {
        &self.columns[m][metric as usize]
    }

    /// Mean of `metric` for model `m` over the finite values (NaN if none).
    pub fn mean(&self, m: usize, metric: Metric) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for x in self.column(m, metric).iter().filter(|x| x.is_finite()) {
            sum += x;
            n += 1;
        }
        if n == 0 { f64::NAN } else { sum / n as f64 }
    }

    /// The monthly bands of model `m`.
    pub fn bands(&self, m: usize) -> Vec<MonthBand> {
        self.totals.months[m]
            .iter()
            .enumerate()
            .map(|(t, cell)| MonthBand {
                month: t as u32,
                spend: BAND_QUANTILES.map(|q| cell[0].quantile(q)),
                value: BAND_QUANTILES.map(|q| cell[1].quantile(q)),
            })
            .collect()
    }

    /// The analysis of everything absorbed. Columns are summarised in parallel, each
    /// in portfolio order, so the result does not depend on the thread count.
    pub fn analysis(&self, s: &Scenario) -> Analysis {
        let k = Metric::ALL.len();
        let summaries: Vec<MetricSummary> = (0..self.models.len() * k)
            .into_par_iter()
            .map(|i| {
                let metric = Metric::ALL[i % k];
                MetricSummary {
                    metric: metric.name(),
                    unit: metric.unit(),
                    summary: summarize(self.column(i / k, metric)),
                }
            })
            .collect();
        let mut summaries = summaries.into_iter();
        let n = self.count.max(1) as f64;
        let models = s
            .models
            .iter()
            .enumerate()
            .map(|(m, model)| ModelSummary {
                model: model.name.clone(),
                label: model.label.en().to_string(),
                role: role_name(model.role),
                metrics: summaries.by_ref().take(k).collect(),
                stages: model
                    .stages
                    .iter()
                    .zip(&self.totals.stages[m])
                    .map(|(st, t)| StageSummary {
                        stage: st.name.en().to_string(),
                        entered_mean: t.entered as f64 / n,
                        passed_mean: t.passed as f64 / n,
                        killed_mean: t.killed as f64 / n,
                        cancelled_mean: t.cancelled as f64 / n,
                        spend_mean: t.spend.value() / n,
                        months_mean: if t.finished > 0 {
                            t.months.value() / t.finished as f64
                        } else {
                            f64::NAN
                        },
                    })
                    .collect(),
                risk: Risk {
                    prob_over_budget: stats::share(self.column(m, Metric::Spend), |x| {
                        x > s.fund.budget * (1.0 + 1e-9)
                    }),
                    prob_net_value_negative: stats::share(self.column(m, Metric::NetValue), |x| {
                        x < 0.0
                    }),
                },
            })
            .collect();
        let pairs: Vec<(usize, usize, Metric)> = (0..self.models.len())
            .flat_map(|a| (0..self.models.len()).map(move |b| (a, b)))
            .filter(|(a, b)| a != b)
            .flat_map(|(a, b)| Metric::ALL.iter().map(move |&m| (a, b, m)))
            .collect();
        let comparisons = pairs
            .into_par_iter()
            .map(|(a, b, m)| Comparison {
                model_a: self.models[a].clone(),
                model_b: self.models[b].clone(),
                metric: m.name(),
                paired: paired(self.column(a, m), self.column(b, m), m.better()),
            })
            .collect();
        Analysis {
            scenario: s.name.en().to_string(),
            portfolios: self.count,
            seed: s.simulation.seed,
            models,
            comparisons,
        }
    }
}

/// Simulates portfolios `range` on the current rayon pool, batch by batch, into a
/// tally. After each batch is absorbed, `then` sees the tally and the batch (to write
/// its rows, or to stop once the result is precise enough).
pub fn simulate(
    s: &Scenario,
    range: std::ops::Range<u64>,
    detail: Detail,
    progress: &(dyn Fn(u64) + Sync),
    then: &mut (dyn FnMut(&Tally, &Results) -> Flow + Send),
) -> Tally {
    let mut tally = Tally::new(s, range.start);
    // Columns sized once rather than doubled as they grow (a doubling holds the old and
    // the new copy at once); capped so a far limit (`--until-ci`) reserves nothing huge.
    tally.reserve((range.end - range.start).min(1 << 22) as usize);
    let mut sink = |batch: Results| {
        tally.absorb(&batch);
        Ok::<_, std::convert::Infallible>(then(&tally, &batch))
    };
    if let Err(never) = engine::stream(s, range, detail, progress, &mut sink) {
        match never {}
    }
    tally
}
