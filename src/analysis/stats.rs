//! Statistics over portfolios: summaries per model and metric, and paired differences
//! between models (common random numbers make the pairing meaningful).
//!
//! Conventions: non-finite values (a ratio with nothing to divide) are left out and `n`
//! says how many remain; sd is the sample sd (n - 1); se = sd / sqrt(n); the 95% CI is
//! mean +- 1.96 se; quantiles interpolate linearly between order statistics (type 7).

use serde::Serialize;

use crate::metrics::Better;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Distribution summary of one metric over portfolios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Portfolios with a finite value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// Monte Carlo standard error of the mean.
    pub se: f64,
    /// Lower end of the 95% CI of the mean.
    pub ci_low: f64,
    /// Upper end of the 95% CI of the mean.
    pub ci_high: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// Quantile `q` (0..1) of sorted data, linear interpolation (type 7). NaN when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Mean and sample sd of sorted values, summed in order. Summing sorted values one by
/// one makes the result depend only on the values, never on how they were gathered,
/// so statistics are bit-identical across runs and machines. sd is 0 for one value;
/// both are NaN for none.
pub fn mean_sd(sorted: &[f64]) -> (f64, f64) {
    let n = sorted.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Summarises the finite values of `xs`.
pub fn summarize(xs: &[f64]) -> Summary {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let (mean, sd) = mean_sd(&v);
    let se = if n > 0 {
        sd / (n as f64).sqrt()
    } else {
        f64::NAN
    };
    Summary {
        n,
        mean,
        sd,
        se,
        ci_low: mean - Z95 * se,
        ci_high: mean + Z95 * se,
        p5: quantile_sorted(&v, 0.05),
        p25: quantile_sorted(&v, 0.25),
        p50: quantile_sorted(&v, 0.50),
        p75: quantile_sorted(&v, 0.75),
        p95: quantile_sorted(&v, 0.95),
    }
}

/// Paired difference A - B over portfolios where both are finite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paired {
    /// Portfolios in the comparison.
    pub n: usize,
    /// Mean of A - B.
    pub mean_diff: f64,
    /// Standard error of the mean difference.
    pub se: f64,
    /// Lower end of the 95% CI of the mean difference.
    pub ci_low: f64,
    /// Upper end of the 95% CI of the mean difference.
    pub ci_high: f64,
    /// Share of portfolios where A is better (ties count half); for metrics with no
    /// better direction, the share where A is higher.
    pub prob_a_better: f64,
}

/// Paired comparison of `a` and `b` (same portfolios, same order).
pub fn paired(a: &[f64], b: &[f64], better: Better) -> Paired {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x, *y))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let diffs: Vec<f64> = pairs.iter().map(|(x, y)| x - y).collect();
    let s = summarize(&diffs);
    let wins: f64 = pairs
        .iter()
        .map(|(x, y)| {
            let (x, y) = if better == Better::Lower {
                (-x, -y)
            } else {
                (*x, *y)
            };
            match x.total_cmp(&y) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            }
        })
        .sum();
    Paired {
        n: s.n,
        mean_diff: s.mean,
        se: s.se,
        ci_low: s.ci_low,
        ci_high: s.ci_high,
        prob_a_better: if pairs.is_empty() {
            f64::NAN
        } else {
            wins / pairs.len() as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert!((quantile_sorted(&v, 0.05) - 1.15).abs() < 1e-12);
    }

    #[test]
    fn summary_skips_undefined_values() {
        let s = summarize(&[1.0, f64::NAN, 3.0]);
        assert_eq!(s.n, 2);
        assert_eq!(s.mean, 2.0);
        assert!((s.sd - 2f64.sqrt()).abs() < 1e-12);
        assert!((s.ci_high - (2.0 + Z95)).abs() < 1e-12);
    }

    #[test]
    fn paired_difference_and_direction() {
        let a = [3.0, 5.0, 2.0, 7.0];
        let b = [1.0, 5.0, 4.0, 2.0];
        let p = paired(&a, &b, Better::Higher);
        assert_eq!(p.mean_diff, 1.25);
        assert_eq!(p.prob_a_better, (1.0 + 0.5 + 0.0 + 1.0) / 4.0);
        let q = paired(&a, &b, Better::Lower);
        assert_eq!(q.prob_a_better, (0.0 + 0.5 + 1.0 + 0.0) / 4.0);
    }
}
