//! Variance-based global sensitivity analysis: Sobol first-order and total-order
//! indices with the Saltelli (2010) sampling scheme and bootstrap confidence intervals.
//!
//! # How to use it
//!
//! 1. [`design`]`(k, n, seed)` builds the `n × (k + 2)` points to evaluate, each a
//!    point of the unit hypercube `(0, 1)^k`. The caller maps each coordinate to its
//!    parameter (a range, or an inverse CDF); coordinates are never exactly 0 or 1,
//!    so inverse CDFs of unbounded distributions stay finite.
//! 2. The caller evaluates the model at every point, in the order of
//!    [`Design::point_into`], serially ([`evaluate`]) or in parallel (rayon over
//!    `0..design.len()`, see the example below).
//! 3. [`indices`] (or [`indices_with`] to choose the bootstrap) turns the outputs into
//!    [`Indices`]: a point estimate and a percentile bootstrap interval for each
//!    first-order index `S_i` and total-order index `ST_i`.
//!
//! [`analyze`] does all three for a plain closure.
//!
//! ```
//! use rayon::prelude::*;
//! use budgetsim::analysis::sobol::{design, indices};
//!
//! let d = design(3, 1024, 42).unwrap();
//! let model = |u: &[f64]| u[0] + 2.0 * u[1]; // u[2] is ignored
//! let outputs: Vec<f64> = (0..d.len())
//!     .into_par_iter()
//!     .map_init(
//!         || vec![0.0; d.k()],
//!         |buf, j| {
//!             d.point_into(j, buf).unwrap();
//!             model(buf)
//!         },
//!     )
//!     .collect();
//! let ix = indices(&d, &outputs).unwrap();
//! assert!((ix.total_order[1].estimate - 0.8).abs() < 0.05);
//! assert_eq!(ix.total_order[2].estimate, 0.0);
//! ```
//!
//! # Sampling scheme (Saltelli 2010)
//!
//! Row `r` of the matrices `A` and `B` (each `n × k`) is point `r` of one
//! `2k`-dimensional Owen-scrambled Sobol sequence: `A` takes dimensions `0..k`, `B`
//! dimensions `k..2k`. `AB_i` is `A` with column `i` taken from `B`. The model is
//! evaluated at `A`, `B` and every `AB_i`: `n (k + 2)` runs in all. Use a power of two
//! for `n` (1024, 8192, ...): the first `2^m` points of a Sobol sequence are a net,
//! which is where quasi-Monte Carlo beats plain random sampling.
//!
//! # Estimators
//!
//! With `V` the variance of the pooled `2n` outputs of `A` and `B` (divisor `2n`,
//! as SALib does) and `f` centred on the pooled mean of those outputs (this leaves
//! the estimators unbiased and reduces their noise when the outputs have a large mean):
//!
//! * first order, Saltelli et al. (2010): `S_i = mean_r[f(B)_r (f(AB_i)_r − f(A)_r)] / V`
//! * total order, Jansen (1999): `ST_i = mean_r[(f(A)_r − f(AB_i)_r)²] / 2 / V`
//!
//! `S_i` is the share of the output variance explained by input `i` alone; `ST_i`
//! the share explained by input `i` including all its interactions. For an additive
//! model `S_i = ST_i` and `Σ S_i = 1`. Estimates are not clamped: a small negative
//! `S_i` is sampling noise around 0.
//!
//! When `V` is 0 (a constant model) or indistinguishable from rounding error,
//! `V ≤ (16 ε max|f|)²`, every index, point estimate and interval bound is `NaN`:
//! a share of zero variance is undefined. This is not an error.
//!
//! # Bootstrap
//!
//! The `n` rows (a row is the `k + 2` outputs of `A_r`, `B_r`, `AB_1,r .. AB_k,r`) are
//! resampled with replacement, [`Bootstrap::resamples`] times (default 500), and all
//! indices recomputed on each resample, `V` included. The interval is the
//! percentile interval (linear interpolation between order statistics) at
//! [`Bootstrap::confidence`] (default 0.95). Resampling rows of a Sobol design as if
//! they were independent ignores the stratification of the sequence, so these
//! intervals are conservative (wider than the true QMC error). The generator is
//! `rand::rngs::Xoshiro256PlusPlus` seeded with [`Bootstrap::seed`], and the index
//! draw is done here (Lemire's unbiased multiply-and-reject), so the result depends
//! only on the seed, never on the clock or on rand's range-sampling algorithm.
//!
//! # Choice of low-discrepancy crate
//!
//! `sobol_burley` 0.5.0 (MIT OR Apache-2.0; releases 2021-05 .. 2023-07, no runtime
//! dependencies, `no_std`, no `unsafe` without its `simd` feature, which we turn off).
//! Why it over the alternatives examined on crates.io:
//!
//! * It is the only candidate with Owen scrambling and a seed: independent
//!   randomised sequences per seed, points uniform on the cube, and the first point
//!   is not the origin. Scrambling is hash-based (Burley 2020, "Practical Hash-based
//!   Owen Scrambling", with Vegh's improved LK hash), a close approximation of a
//!   nested uniform scramble. The seed also shuffles the sequence's index with the
//!   same scramble, which keeps power-of-two prefixes nets.
//! * 256 dimensions (Joe & Kuo direction numbers), so `k ≤ 128` inputs: the brief's
//!   ~40 inputs × 2 matrices = 80 dimensions fit with room to spare.
//! * Random access `sample(index, dimension, seed)`, pure and deterministic: the
//!   same `(index, dimension, seed)` gives the same value on every platform.
//!
//! Its limits, and how this module deals with them: at most 2^16 points (so
//! `n ≤ 65 536` rows, checked: [`SobolError::TooManyRows`]); `f32` output (23
//! bits): each value `u` is returned as `u + 2^-24`, the midpoint of its `2^-23`
//! cell, which keeps it in the open interval `(0, 1)`; and it is maintained rather
//! than active (last release July 2023), which is acceptable for a small, finished
//! algorithm with a stable API and no dependencies.
//!
//! Rejected: `sobol` 1.0.2 (BSD-3-Clause, last release 2020-12, unscrambled Joe–Kuo
//! sequence, no seed, build-time `libflate`); `sobol-qmc` 2.5.1 (its BSD-3-Clause fork,
//! 2025-10, ~21 000 dimensions but unscrambled and pulls in `statrs`);
//! `quasirandom` 0.3.0 (MIT, 2022-01) is the additive R-sequence, not Sobol, and
//! seeds it with an `f64` offset; `lowdisc` 0.1.2 (MIT OR Apache-2.0, 2026-10) has an
//! Owen-scrambled Sobol sequence but its direction numbers only cover 8 dimensions,
//! and its scrambled output changed in its latest patch release.

use std::fmt;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

/// Largest number of rows `n` of `A` and `B`: `sobol_burley` gives 2^16 points.
pub const MAX_ROWS: usize = 1 << 16;

/// Largest number of inputs `k`: the sequence has 256 dimensions, `A` and `B` each
/// use `k` of them.
pub const MAX_INPUTS: usize = sobol_burley::NUM_DIMENSIONS as usize / 2;

/// Bootstrap resamples used by [`indices`] and [`Bootstrap::default`].
pub const DEFAULT_RESAMPLES: usize = 500;

/// Confidence level of the intervals of [`indices`] and [`Bootstrap::default`].
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// Half the spacing of the `f32` grid of `sobol_burley` (values are multiples of
/// `2^-23`): added to each value to put it mid-cell, strictly inside `(0, 1)`.
const HALF_CELL: f64 = 1.0 / (1u64 << 24) as f64;

/// What went wrong, for inputs that make the analysis impossible.
#[derive(Debug, Clone, PartialEq)]
pub enum SobolError {
    /// `k = 0`: there is no input to rank.
    NoInputs,
    /// `k` exceeds [`MAX_INPUTS`].
    TooManyInputs {
        /// The `k` asked for.
        k: usize,
        /// [`MAX_INPUTS`].
        max: usize,
    },
    /// `n = 0`: no rows, so nothing to estimate.
    NoRows,
    /// `n` exceeds [`MAX_ROWS`].
    TooManyRows {
        /// The `n` asked for.
        n: usize,
        /// [`MAX_ROWS`].
        max: usize,
    },
    /// A point index at or past [`Design::len`].
    PointOutOfRange {
        /// The index asked for.
        index: usize,
        /// [`Design::len`].
        len: usize,
    },
    /// A buffer handed to [`Design::point_into`] whose length is not `k`.
    BufferLength {
        /// `k`.
        expected: usize,
        /// The buffer's length.
        got: usize,
    },
    /// The outputs do not have one value per design point.
    OutputLength {
        /// [`Design::len`].
        expected: usize,
        /// The number of outputs given.
        got: usize,
    },
    /// An output is NaN or infinite; its position in the design order is given.
    NonFiniteOutput {
        /// Position of the first non-finite output.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// [`Bootstrap::resamples`] is 0.
    NoResamples,
    /// [`Bootstrap::confidence`] is not strictly between 0 and 1.
    InvalidConfidence(f64),
}

impl fmt::Display for SobolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoInputs => write!(f, "Sobol analysis needs at least one input (k = 0)"),
            Self::TooManyInputs { k, max } => {
                write!(
                    f,
                    "Sobol analysis supports at most {max} inputs, got k = {k}"
                )
            }
            Self::NoRows => write!(f, "Sobol analysis needs at least one row (n = 0)"),
            Self::TooManyRows { n, max } => {
                write!(f, "Sobol analysis supports at most {max} rows, got n = {n}")
            }
            Self::PointOutOfRange { index, len } => {
                write!(f, "design point {index} out of range: the design has {len}")
            }
            Self::BufferLength { expected, got } => {
                write!(f, "point buffer has length {got}, expected k = {expected}")
            }
            Self::OutputLength { expected, got } => write!(
                f,
                "expected one output per design point ({expected}), got {got}"
            ),
            Self::NonFiniteOutput { index, value } => {
                write!(f, "model output {index} is not finite: {value}")
            }
            Self::NoResamples => write!(f, "the bootstrap needs at least one resample"),
            Self::InvalidConfidence(c) => {
                write!(
                    f,
                    "confidence level must be strictly between 0 and 1, got {c}"
                )
            }
        }
    }
}

impl std::error::Error for SobolError {}

/// The points at which to evaluate the model, for `k` inputs and `n` rows.
///
/// Point `j` (for `j` in `0..len()`) is, with `r = j % n`:
///
/// * `j / n == 0`: row `r` of `A`;
/// * `j / n == 1`: row `r` of `B`;
/// * `j / n == 2 + i`: row `r` of `AB_i`, i.e. `A_r` with coordinate `i` from `B_r`.
///
/// Every coordinate lies in the open interval `(0, 1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    k: usize,
    n: usize,
    seed: u64,
    /// `A`, row-major, `n × k`.
    a: Vec<f64>,
    /// `B`, row-major, `n × k`.
    b: Vec<f64>,
}

impl Design {
    /// Number of inputs `k` (coordinates of each point).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of rows `n` of `A` and `B` (the base sample size).
    pub fn n(&self) -> usize {
        self.n
    }

    /// The seed the design was built with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of points to evaluate: `n × (k + 2)`.
    pub fn len(&self) -> usize {
        self.n * (self.k + 2)
    }

    /// Always false: a design has at least `3` points (`k ≥ 1`, `n ≥ 1`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Matrix `A`, row-major (`n` rows of `k`).
    pub fn a(&self) -> &[f64] {
        &self.a
    }

    /// Matrix `B`, row-major (`n` rows of `k`).
    pub fn b(&self) -> &[f64] {
        &self.b
    }

    /// Writes point `j` (see [`Design`] for the order) into `out`, which must hold
    /// exactly `k` values.
    pub fn point_into(&self, j: usize, out: &mut [f64]) -> Result<(), SobolError> {
        if out.len() != self.k {
            return Err(SobolError::BufferLength {
                expected: self.k,
                got: out.len(),
            });
        }
        if j >= self.len() {
            return Err(SobolError::PointOutOfRange {
                index: j,
                len: self.len(),
            });
        }
        let (block, r) = (j / self.n, j % self.n);
        let row = r * self.k..(r + 1) * self.k;
        match block {
            0 => out.copy_from_slice(&self.a[row]),
            1 => out.copy_from_slice(&self.b[row]),
            _ => {
                let i = block - 2;
                out.copy_from_slice(&self.a[row]);
                out[i] = self.b[r * self.k + i];
            }
        }
        Ok(())
    }

    /// Point `j` as a new vector (see [`Design`] for the order).
    pub fn point(&self, j: usize) -> Result<Vec<f64>, SobolError> {
        let mut out = vec![0.0; self.k];
        self.point_into(j, &mut out)?;
        Ok(out)
    }
}

/// Builds the Saltelli design for `k` inputs and `n` rows from an Owen-scrambled
/// Sobol sequence scrambled by `seed`. The same `(k, n, seed)` always gives the
/// same points.
///
/// `sobol_burley` takes a 32-bit seed: the two halves of `seed` are XORed
/// together, so seeds that differ only that way give the same design.
///
/// Errors: `k = 0`, `k > MAX_INPUTS`, `n = 0`, `n > MAX_ROWS`.
pub fn design(k: usize, n: usize, seed: u64) -> Result<Design, SobolError> {
    if k == 0 {
        return Err(SobolError::NoInputs);
    }
    if k > MAX_INPUTS {
        return Err(SobolError::TooManyInputs { k, max: MAX_INPUTS });
    }
    if n == 0 {
        return Err(SobolError::NoRows);
    }
    if n > MAX_ROWS {
        return Err(SobolError::TooManyRows { n, max: MAX_ROWS });
    }
    let seed32 = (seed as u32) ^ ((seed >> 32) as u32);
    let mut a = Vec::with_capacity(n * k);
    let mut b = Vec::with_capacity(n * k);
    // Both bounds were checked above: r < 2^16 and dimensions < 256 fit in u32.
    for r in 0..n as u32 {
        for d in 0..k as u32 {
            a.push(unit(r, d, seed32));
        }
        for d in 0..k as u32 {
            b.push(unit(r, k as u32 + d, seed32));
        }
    }
    Ok(Design { k, n, seed, a, b })
}

/// One scrambled Sobol coordinate, moved to the middle of its `2^-23` cell.
fn unit(index: u32, dimension: u32, seed: u32) -> f64 {
    f64::from(sobol_burley::sample(index, dimension, seed)) + HALF_CELL
}

/// Evaluates `model` at every point of `design`, in design order, on this thread.
/// For a parallel evaluation, see the module example.
pub fn evaluate<F: FnMut(&[f64]) -> f64>(design: &Design, mut model: F) -> Vec<f64> {
    let k = design.k;
    let mut out = Vec::with_capacity(design.len());
    let mut buf = vec![0.0; k];
    for block in 0..k + 2 {
        for r in 0..design.n {
            let row = r * k..(r + 1) * k;
            match block {
                0 => buf.copy_from_slice(&design.a[row]),
                1 => buf.copy_from_slice(&design.b[row]),
                _ => {
                    buf.copy_from_slice(&design.a[row]);
                    buf[block - 2] = design.b[r * k + block - 2];
                }
            }
            out.push(model(&buf));
        }
    }
    out
}

/// How the confidence intervals are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    /// Number of resamples of the `n` rows (at least 1; 500 by default). Cost is
    /// `resamples × n × k` multiply-adds, single-threaded: about 0.5 s in release for
    /// `k = 40`, `n = 8192`, 500 resamples on this project's machine.
    pub resamples: usize,
    /// Coverage of the percentile interval, strictly between 0 and 1 (0.95 by
    /// default): the bounds are the `(1 − c)/2` and `(1 + c)/2` quantiles.
    pub confidence: f64,
    /// Seed of the resampling generator; same seed, same intervals.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self {
            resamples: DEFAULT_RESAMPLES,
            confidence: DEFAULT_CONFIDENCE,
            seed: 0,
        }
    }
}

/// One sensitivity index: its estimate and bootstrap interval. All three are `NaN`
/// when the output variance is zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate from all `n` rows: a share of the output variance, nominally in
    /// `[0, 1]` (sampling noise can push it slightly outside).
    pub estimate: f64,
    /// Lower bound of the percentile bootstrap interval.
    pub low: f64,
    /// Upper bound of the percentile bootstrap interval.
    pub high: f64,
}

/// The result of an analysis: one [`Estimate`] per input for each kind of index.
#[derive(Debug, Clone, PartialEq)]
pub struct Indices {
    /// `S_i`, in input order: share of the output variance due to input `i` alone.
    pub first_order: Vec<Estimate>,
    /// `ST_i`, in input order: share of the output variance due to input `i` and all
    /// its interactions with other inputs.
    pub total_order: Vec<Estimate>,
    /// Mean of the pooled `A` and `B` outputs (an estimate of `E[f]`).
    pub mean: f64,
    /// Variance of the pooled `A` and `B` outputs (divisor `2n`): the `V` that the
    /// indices are shares of. Exactly 0 when it is indistinguishable from rounding
    /// error (then every index is `NaN`).
    pub variance: f64,
    /// Rows `n` used.
    pub n: usize,
    /// The bootstrap settings used.
    pub bootstrap: Bootstrap,
}

/// Computes the indices from the outputs of `design`, in design order, with the
/// default bootstrap (500 resamples, 95 %) seeded with the design's seed.
///
/// Errors: wrong number of outputs, or a non-finite output.
pub fn indices(design: &Design, outputs: &[f64]) -> Result<Indices, SobolError> {
    let bootstrap = Bootstrap {
        seed: design.seed,
        ..Bootstrap::default()
    };
    indices_with(design, outputs, &bootstrap)
}

/// Computes the indices from the outputs of `design`, in design order, with the
/// given bootstrap settings.
///
/// Errors: wrong number of outputs, a non-finite output, `resamples = 0`, or a
/// confidence level outside `(0, 1)`.
pub fn indices_with(
    design: &Design,
    outputs: &[f64],
    bootstrap: &Bootstrap,
) -> Result<Indices, SobolError> {
    if outputs.len() != design.len() {
        return Err(SobolError::OutputLength {
            expected: design.len(),
            got: outputs.len(),
        });
    }
    if let Some((index, &value)) = outputs.iter().enumerate().find(|(_, y)| !y.is_finite()) {
        return Err(SobolError::NonFiniteOutput { index, value });
    }
    if bootstrap.resamples == 0 {
        return Err(SobolError::NoResamples);
    }
    // Written so that NaN fails too.
    if !(bootstrap.confidence > 0.0 && bootstrap.confidence < 1.0) {
        return Err(SobolError::InvalidConfidence(bootstrap.confidence));
    }
    let (k, n) = (design.k, design.n);
    // Row-major copy of the outputs: row r is f(A_r), f(B_r), f(AB_1,r), .., f(AB_k,r).
    let mut table = vec![0.0; outputs.len()];
    for (block, ys) in outputs.chunks_exact(n).enumerate() {
        for (r, &y) in ys.iter().enumerate() {
            table[r * (k + 2) + block] = y;
        }
    }

    let ones = vec![1.0; n];
    let mut first = vec![0.0; k];
    let mut total = vec![0.0; k];
    let (mean, variance) = estimate(&table, &ones, &mut first, &mut total);

    // boot_first[i * resamples + b]: S_i on resample b (same layout for ST_i).
    let m = bootstrap.resamples;
    let mut boot_first = vec![0.0; k * m];
    let mut boot_total = vec![0.0; k * m];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(bootstrap.seed);
    let mut weights = vec![0.0; n];
    let (mut s, mut st) = (vec![0.0; k], vec![0.0; k]);
    for b in 0..m {
        // n draws of a row with replacement, kept as multiplicities.
        weights.fill(0.0);
        for _ in 0..n {
            weights[below(&mut rng, n)] += 1.0;
        }
        estimate(&table, &weights, &mut s, &mut st);
        for i in 0..k {
            boot_first[i * m + b] = s[i];
            boot_total[i * m + b] = st[i];
        }
    }

    let (lo_q, hi_q) = (
        (1.0 - bootstrap.confidence) / 2.0,
        (1.0 + bootstrap.confidence) / 2.0,
    );
    let summarise = |point: &[f64], boot: &mut [f64]| -> Vec<Estimate> {
        point
            .iter()
            .zip(boot.chunks_exact_mut(m))
            .map(|(&estimate, sample)| {
                if estimate.is_nan() {
                    return Estimate {
                        estimate,
                        low: f64::NAN,
                        high: f64::NAN,
                    };
                }
                let (low, high) = percentile_interval(sample, lo_q, hi_q);
                Estimate {
                    estimate,
                    low,
                    high,
                }
            })
            .collect()
    };
    Ok(Indices {
        first_order: summarise(&first, &mut boot_first),
        total_order: summarise(&total, &mut boot_total),
        mean,
        variance,
        n,
        bootstrap: *bootstrap,
    })
}

/// Builds a design, evaluates `model` on it serially and returns the indices with
/// the default bootstrap. `model` takes a point of `(0, 1)^k`.
///
/// Errors: as [`design`] and [`indices`].
pub fn analyze<F: FnMut(&[f64]) -> f64>(
    k: usize,
    n: usize,
    seed: u64,
    model: F,
) -> Result<Indices, SobolError> {
    let d = design(k, n, seed)?;
    let outputs = evaluate(&d, model);
    indices(&d, &outputs)
}

/// Estimates every `S_i` and `ST_i` from weighted rows, writing them into `first`
/// and `total`; returns the pooled mean and variance. `weights[r]` is how many
/// times row `r` is counted (all 1 for the point estimate, the multiplicities of a
/// resample for the bootstrap): a single sequential pass, whatever the resample.
/// `table` holds one row of `k + 2` outputs per design row:
/// `f(A_r), f(B_r), f(AB_1,r), .., f(AB_k,r)`.
fn estimate(table: &[f64], weights: &[f64], first: &mut [f64], total: &mut [f64]) -> (f64, f64) {
    let width = first.len() + 2;
    let used = || {
        table
            .chunks_exact(width)
            .zip(weights)
            .filter(|&(_, &w)| w > 0.0)
    };
    let count: f64 = weights.iter().sum();

    // Work on deviations from one of the outputs: a constant model then has
    // deviations, mean and variance exactly 0, and large offsets lose no precision.
    let shift = used().next().map_or(0.0, |(y, _)| y[0]);
    let mut sum = 0.0;
    let mut max_abs: f64 = 0.0;
    for (y, &w) in used() {
        sum += w * ((y[0] - shift) + (y[1] - shift));
        max_abs = max_abs.max(y[0].abs()).max(y[1].abs());
    }
    let centre = sum / (2.0 * count); // mean − shift
    let mut sq = 0.0;
    for (y, &w) in used() {
        sq += w * ((y[0] - shift - centre).powi(2) + (y[1] - shift - centre).powi(2));
    }
    let variance = sq / (2.0 * count);
    let mean = shift + centre;

    // Zero variance, or one lost in rounding: the shares are undefined.
    let noise = 16.0 * f64::EPSILON * max_abs;
    if variance <= noise * noise {
        first.fill(f64::NAN);
        total.fill(f64::NAN);
        return (mean, 0.0);
    }
    first.fill(0.0);
    total.fill(0.0);
    let k = first.len();
    let (first, total) = (&mut first[..k], &mut total[..k]);
    for (y, &w) in used() {
        let (ya, yb_centred) = (y[0], w * (y[1] - shift - centre));
        for (i, &yab) in y[2..2 + k].iter().enumerate() {
            let diff = yab - ya;
            first[i] += yb_centred * diff;
            total[i] += w * diff * diff;
        }
    }
    for (s, st) in first.iter_mut().zip(total.iter_mut()) {
        *s /= count * variance;
        *st /= 2.0 * count * variance;
    }
    (mean, variance)
}

/// The `lo` and `hi` quantiles of the finite values of `sample` (sorted in place),
/// by linear interpolation between order statistics; `NaN` if none is finite.
fn percentile_interval(sample: &mut [f64], lo: f64, hi: f64) -> (f64, f64) {
    sample.sort_unstable_by(f64::total_cmp);
    // total_cmp puts positive NaN last and negative NaN first: keep the finite middle.
    let start = sample.iter().position(|x| x.is_finite());
    let end = sample.iter().rposition(|x| x.is_finite());
    match (start, end) {
        (Some(s), Some(e)) => {
            let finite = &sample[s..=e];
            (quantile(finite, lo), quantile(finite, hi))
        }
        _ => (f64::NAN, f64::NAN),
    }
}

/// Quantile `q` of a sorted, non-empty slice (type 7 of Hyndman & Fan, as R and numpy).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let i = h.floor() as usize;
    match sorted.get(i + 1) {
        Some(&next) => sorted[i] + (h - i as f64) * (next - sorted[i]),
        None => sorted[i],
    }
}

/// A uniform integer in `0..n` (`n ≥ 1`): Lemire's multiply-and-reject, unbiased.
fn below(rng: &mut impl Rng, n: usize) -> usize {
    let n = n as u64;
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (m >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Ishigami with a = 7, b = 0.1 on a point of (0, 1)^3 mapped to [-π, π]^3.
    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|&v| -PI + 2.0 * PI * v).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    const ISHIGAMI_S: [f64; 3] = [0.3139, 0.4424, 0.0];
    const ISHIGAMI_ST: [f64; 3] = [0.5576, 0.4424, 0.2437];

    fn ishigami_indices(seed: u64) -> Indices {
        analyze(3, 8192, seed, ishigami).unwrap()
    }

    #[test]
    fn ishigami_matches_analytic_indices() {
        let ix = ishigami_indices(2024);
        for i in 0..3 {
            let (s, st) = (ix.first_order[i], ix.total_order[i]);
            println!(
                "x{}: S = {:.4} [{:.4}, {:.4}] (true {:.4}); ST = {:.4} [{:.4}, {:.4}] (true {:.4})",
                i + 1,
                s.estimate,
                s.low,
                s.high,
                ISHIGAMI_S[i],
                st.estimate,
                st.low,
                st.high,
                ISHIGAMI_ST[i]
            );
            assert!(
                (s.estimate - ISHIGAMI_S[i]).abs() < 0.02,
                "S{}: {s:?}",
                i + 1
            );
            assert!(
                (st.estimate - ISHIGAMI_ST[i]).abs() < 0.02,
                "ST{}: {st:?}",
                i + 1
            );
            // The analytic value lies in the interval (0.005 of slack for the
            // 4-digit rounding of the reference values).
            assert!(s.low - 0.005 <= ISHIGAMI_S[i] && ISHIGAMI_S[i] <= s.high + 0.005);
            assert!(st.low - 0.005 <= ISHIGAMI_ST[i] && ISHIGAMI_ST[i] <= st.high + 0.005);
            assert!(s.low <= s.estimate && s.estimate <= s.high, "{s:?}");
            assert!(st.low <= st.estimate && st.estimate <= st.high, "{st:?}");
        }
        // Var f = a²/8 + b π⁴/5 + b² π⁸/18 + 1/2.
        let var = 49.0 / 8.0 + 0.1 * PI.powi(4) / 5.0 + 0.01 * PI.powi(8) / 18.0 + 0.5;
        assert!(
            (ix.variance - var).abs() / var < 0.02,
            "{} vs {var}",
            ix.variance
        );
        assert!((ix.mean - 3.5).abs() < 0.05, "{}", ix.mean);
    }

    #[test]
    fn ishigami_is_accurate_for_other_seeds() {
        for seed in [1, 7, 123_456_789] {
            let ix = ishigami_indices(seed);
            for i in 0..3 {
                let (s, st) = (ix.first_order[i], ix.total_order[i]);
                assert!(
                    (s.estimate - ISHIGAMI_S[i]).abs() < 0.02,
                    "seed {seed}: {s:?}"
                );
                assert!(
                    (st.estimate - ISHIGAMI_ST[i]).abs() < 0.02,
                    "seed {seed}: {st:?}"
                );
                assert!(s.low - 0.005 <= ISHIGAMI_S[i] && ISHIGAMI_S[i] <= s.high + 0.005);
                assert!(st.low - 0.005 <= ISHIGAMI_ST[i] && ISHIGAMI_ST[i] <= st.high + 0.005);
            }
        }
    }

    #[test]
    fn linear_model_has_squared_coefficient_shares() {
        let c = [1.0, 2.0, -3.0, 0.5];
        let total: f64 = c.iter().map(|c| c * c).sum();
        let ix = analyze(4, 4096, 9, |u| c.iter().zip(u).map(|(c, u)| c * u).sum()).unwrap();
        for (i, c_i) in c.iter().enumerate() {
            let expected = c_i * c_i / total;
            let (s, st) = (ix.first_order[i], ix.total_order[i]);
            assert!(
                (s.estimate - expected).abs() < 0.01,
                "S{i}: {s:?} vs {expected}"
            );
            assert!(
                (st.estimate - expected).abs() < 0.01,
                "ST{i}: {st:?} vs {expected}"
            );
            assert!(
                s.low - 0.005 <= expected && expected <= s.high + 0.005,
                "{s:?}"
            );
            assert!(
                st.low - 0.005 <= expected && expected <= st.high + 0.005,
                "{st:?}"
            );
        }
        let sum: f64 = ix.first_order.iter().map(|e| e.estimate).sum();
        assert!((sum - 1.0).abs() < 0.02, "Σ S_i = {sum}");
        // Var of Σ c_i U_i is Σ c_i² / 12.
        assert!((ix.variance - total / 12.0).abs() / (total / 12.0) < 0.01);
    }

    #[test]
    fn ignored_input_gets_zero_indices() {
        // x1 interacts with x0; x2 is never read.
        let ix = analyze(3, 1024, 5, |u| u[0] * (1.0 + u[1]) + u[1].powi(2)).unwrap();
        let (s, st) = (ix.first_order[2], ix.total_order[2]);
        // f(AB_2) == f(A) exactly, so both estimators are exactly 0, on every resample.
        assert_eq!(
            s,
            Estimate {
                estimate: 0.0,
                low: 0.0,
                high: 0.0
            }
        );
        assert_eq!(
            st,
            Estimate {
                estimate: 0.0,
                low: 0.0,
                high: 0.0
            }
        );
        for i in 0..2 {
            assert!(ix.first_order[i].estimate > 0.1);
            assert!(ix.total_order[i].estimate > 0.1);
        }
    }

    #[test]
    fn same_seed_gives_identical_results() {
        let a = ishigami_indices(77);
        let b = ishigami_indices(77);
        assert_eq!(a, b);
        assert_eq!(design(5, 256, 3).unwrap(), design(5, 256, 3).unwrap());
        // A different design seed gives different points, and a different
        // bootstrap seed different intervals but the same point estimates.
        assert_ne!(
            design(5, 256, 3).unwrap().a(),
            design(5, 256, 4).unwrap().a()
        );
        let d = design(3, 512, 1).unwrap();
        let y = evaluate(&d, ishigami);
        let one = indices_with(
            &d,
            &y,
            &Bootstrap {
                seed: 1,
                ..Bootstrap::default()
            },
        )
        .unwrap();
        let two = indices_with(
            &d,
            &y,
            &Bootstrap {
                seed: 2,
                ..Bootstrap::default()
            },
        )
        .unwrap();
        assert_eq!(one.first_order[0].estimate, two.first_order[0].estimate);
        assert_ne!(one.first_order[0].low, two.first_order[0].low);
    }

    #[test]
    fn large_output_offset_does_not_lose_precision() {
        let plain = analyze(2, 1024, 4, |u| u[0] + 0.5 * u[1]).unwrap();
        let offset = analyze(2, 1024, 4, |u| 1e9 + u[0] + 0.5 * u[1]).unwrap();
        for i in 0..2 {
            let (a, b) = (plain.first_order[i], offset.first_order[i]);
            assert!((a.estimate - b.estimate).abs() < 1e-5, "{a:?} vs {b:?}");
            let (a, b) = (plain.total_order[i], offset.total_order[i]);
            assert!((a.estimate - b.estimate).abs() < 1e-5, "{a:?} vs {b:?}");
        }
        assert!((offset.first_order[0].estimate - 0.8).abs() < 0.01);
    }

    #[test]
    fn constant_model_gives_nan_without_panicking() {
        for c in [0.0, 0.1, -3.7e9] {
            let ix = analyze(4, 256, 1, |_| c).unwrap();
            assert_eq!(ix.variance, 0.0);
            for e in ix.first_order.iter().chain(&ix.total_order) {
                assert!(
                    e.estimate.is_nan() && e.low.is_nan() && e.high.is_nan(),
                    "{e:?}"
                );
            }
        }
    }

    #[test]
    fn invalid_arguments_are_errors() {
        assert_eq!(design(0, 8, 0), Err(SobolError::NoInputs));
        assert_eq!(design(3, 0, 0), Err(SobolError::NoRows));
        assert_eq!(
            design(MAX_INPUTS + 1, 8, 0),
            Err(SobolError::TooManyInputs { k: 129, max: 128 })
        );
        assert_eq!(
            design(2, MAX_ROWS + 1, 0),
            Err(SobolError::TooManyRows {
                n: 65537,
                max: 65536
            })
        );
        assert_eq!(analyze(0, 8, 0, |_| 1.0), Err(SobolError::NoInputs));

        let d = design(2, 8, 0).unwrap();
        assert_eq!(
            indices(&d, &[1.0; 31]),
            Err(SobolError::OutputLength {
                expected: 32,
                got: 31
            })
        );
        let mut y = evaluate(&d, |u| u[0]);
        y[9] = f64::INFINITY;
        assert!(matches!(
            indices(&d, &y),
            Err(SobolError::NonFiniteOutput { index: 9, .. })
        ));
        y[9] = 0.5;
        let bad = |resamples, confidence| Bootstrap {
            resamples,
            confidence,
            seed: 0,
        };
        assert_eq!(
            indices_with(&d, &y, &bad(0, 0.9)),
            Err(SobolError::NoResamples)
        );
        for c in [0.0, 1.0, f64::NAN, 95.0] {
            assert!(matches!(
                indices_with(&d, &y, &bad(10, c)),
                Err(SobolError::InvalidConfidence(_))
            ));
        }
        assert_eq!(
            d.point(32),
            Err(SobolError::PointOutOfRange { index: 32, len: 32 })
        );
        assert_eq!(
            d.point_into(0, &mut [0.0; 3]),
            Err(SobolError::BufferLength {
                expected: 2,
                got: 3
            })
        );
        // Errors print a readable message.
        assert!(SobolError::NoRows.to_string().contains("n = 0"));
    }

    #[test]
    fn design_follows_the_saltelli_layout() {
        let (k, n) = (4, 64);
        let d = design(k, n, 11).unwrap();
        assert_eq!((d.k(), d.n(), d.len(), d.seed()), (k, n, n * (k + 2), 11));
        assert!(!d.is_empty());
        let mut visited = Vec::new();
        let y = evaluate(&d, |u| {
            visited.push(u.to_vec());
            visited.len() as f64
        });
        assert_eq!(y.len(), d.len());
        for (j, seen) in visited.iter().enumerate() {
            let p = d.point(j).unwrap();
            let r = j % n;
            let a = &d.a()[r * k..(r + 1) * k];
            let b = &d.b()[r * k..(r + 1) * k];
            match j / n {
                0 => assert_eq!(p, a),
                1 => assert_eq!(p, b),
                block => {
                    let i = block - 2;
                    for c in 0..k {
                        assert_eq!(p[c], if c == i { b[c] } else { a[c] });
                    }
                }
            }
            // evaluate() walks the points in the same order.
            assert_eq!(&p, seen);
            assert!(p.iter().all(|&v| v > 0.0 && v < 1.0));
        }
    }

    #[test]
    fn columns_are_stratified_for_power_of_two_n() {
        // The first 2^m points of a (scrambled) Sobol sequence put exactly one point
        // in each interval [j/2^m, (j+1)/2^m) of every coordinate.
        let (k, n) = (40, 256);
        let d = design(k, n, 99).unwrap();
        for m in [d.a(), d.b()] {
            for c in 0..k {
                let mut seen = vec![false; n];
                for r in 0..n {
                    let cell = (m[r * k + c] * n as f64) as usize;
                    assert!(!seen[cell], "column {c}: two points in cell {cell}");
                    seen[cell] = true;
                }
            }
        }
    }

    #[test]
    fn parallel_evaluation_matches_serial() {
        use rayon::prelude::*;
        let d = design(3, 2048, 8).unwrap();
        let serial = evaluate(&d, ishigami);
        let parallel: Vec<f64> = (0..d.len())
            .into_par_iter()
            .map(|j| ishigami(&d.point(j).unwrap()))
            .collect();
        assert_eq!(serial, parallel);
        assert_eq!(indices(&d, &serial), indices(&d, &parallel));
    }

    #[test]
    fn many_inputs_work_up_to_the_limit() {
        // 40 inputs (80 dimensions), only a few of which matter.
        let ix = analyze(40, 1024, 3, |u| u[0] + 2.0 * u[17] + 3.0 * u[39]).unwrap();
        let shares = [1.0 / 14.0, 4.0 / 14.0, 9.0 / 14.0];
        for (i, share) in [0, 17, 39].into_iter().zip(shares) {
            assert!((ix.first_order[i].estimate - share).abs() < 0.03);
            assert!((ix.total_order[i].estimate - share).abs() < 0.03);
        }
        assert_eq!(ix.total_order[5].estimate, 0.0);
        assert!(design(MAX_INPUTS, 2, 0).is_ok());
    }

    #[test]
    fn quantile_interpolates_between_order_statistics() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&sorted, 0.0), 1.0);
        assert_eq!(quantile(&sorted, 1.0), 5.0);
        assert_eq!(quantile(&sorted, 0.5), 3.0);
        assert!((quantile(&sorted, 0.1) - 1.4).abs() < 1e-12);
        let mut with_nan = [f64::NAN, 3.0, 1.0, 2.0];
        assert_eq!(percentile_interval(&mut with_nan, 0.0, 1.0), (1.0, 3.0));
        let (lo, hi) = percentile_interval(&mut [f64::NAN; 3], 0.025, 0.975);
        assert!(lo.is_nan() && hi.is_nan());
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[below(&mut rng, 7)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(below(&mut rng, 1), 0);
    }
}
