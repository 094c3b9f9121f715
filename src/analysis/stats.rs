//! Statistics over portfolios: summaries per model and metric, and paired differences
//! between models (common random numbers make the pairing meaningful).
//!
//! Conventions: non-finite values (a ratio with nothing to divide) are left out and `n`
//! says how many remain; sd is the sample sd (n - 1); se = sd / sqrt(n); the 95% CI is
//! mean +- 1.96 se (undefined for a single value); quantiles interpolate linearly between order statistics (type 7).

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

/// Mean and sample sd of `values`, summed in the order given. Callers pass values in
/// portfolio order, which depends only on the scenario and seed, so statistics are
/// bit-identical across runs, thread counts and machines. sd is 0 for one value; both
/// are NaN for none.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Quantiles `qs` (ascending, 0..1) of `v` by selection, type 7 as
/// [`quantile_sorted`], without sorting all of `v` (which it reorders). Each quantile
/// needs the order statistics at ranks floor(h) and floor(h) + 1; they are selected in
/// rank order, each from the part of `v` not yet placed.
pub fn quantiles_unsorted<const K: usize>(v: &mut [f64], qs: [f64; K]) -> [f64; K] {
    let n = v.len();
    if n == 0 {
        return [f64::NAN; K];
    }
    // Ranks are asked in ascending order. A selection only reorders v[placed..], so a
    // rank below `placed` that is asked again was selected before and is still there.
    let mut placed = 0;
    let mut rank_value = |r: usize, v: &mut [f64]| -> f64 {
        if r >= placed {
            let (_, x, _) = v[placed..].select_nth_unstable_by(r - placed, f64::total_cmp);
            let x = *x;
            placed = r + 1;
            x
        } else {
            v[r]
        }
    };
    qs.map(|q| {
        let h = (n - 1) as f64 * q;
        let lo = h.floor() as usize;
        let a = rank_value(lo, v);
        if lo + 1 >= n {
            return a;
        }
        let b = rank_value(lo + 1, v);
        a + (h - lo as f64) * (b - a)
    })
}

/// Mean of the finite values of `xs` (NaN when there are none): a metric undefined in
/// some portfolios (value per dollar without spend) is averaged where it is defined.
pub fn finite_mean(xs: &[f64]) -> f64 {
    let (n, sum) = xs
        .iter()
        .filter(|x| x.is_finite())
        .fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Share of the finite values of `xs` for which `pred` holds (NaN when none is finite).
pub fn share(xs: &[f64], pred: impl Fn(f64) -> bool) -> f64 {
    let (mut n, mut hits) = (0usize, 0usize);
    for &x in xs.iter().filter(|x| x.is_finite()) {
        n += 1;
        hits += usize::from(pred(x));
    }
    if n == 0 {
        f64::NAN
    } else {
        hits as f64 / n as f64
    }
}

/// Summarises the finite values of `xs` (mean and sd in the order given).
pub fn summarize(xs: &[f64]) -> Summary {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    let (mean, sd) = mean_sd(&v);
    // One value says nothing of the spread: its mean has no standard error or CI.
    let se = if n > 1 {
        sd / (n as f64).sqrt()
    } else {
        f64::NAN
    };
    let [p5, p25, p50, p75, p95] = quantiles_unsorted(&mut v, [0.05, 0.25, 0.5, 0.75, 0.95]);
    Summary {
        n,
        mean,
        sd,
        se,
        ci_low: mean - Z95 * se,
        ci_high: mean + Z95 * se,
        p5,
        p25,
        p50,
        p75,
        p95,
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
    /// Share of portfolios where A is strictly worse (ties excluded); for metrics with
    /// no better direction, the share where A is lower.
    pub prob_a_worse: f64,
    /// 5th percentile of A - B over portfolios: the range of outcomes, not of the mean.
    pub p5: f64,
    /// 95th percentile of A - B over portfolios.
    pub p95: f64,
}

/// Paired comparison of `a` and `b` (same portfolios, same order): the moments from
/// [`paired_moments`], then the percentiles of the differences (one copy of them).
pub fn paired(a: &[f64], b: &[f64], better: Better) -> Paired {
    let mut p = paired_moments(a, b, better);
    if p.n > 0 {
        let mut diffs: Vec<f64> = finite_pairs(a, b).map(|(x, y)| x - y).collect();
        [p.p5, p.p95] = quantiles_unsorted(&mut diffs, [0.05, 0.95]);
    }
    p
}

/// The pairs of `a` and `b` where both are defined.
fn finite_pairs<'a>(a: &'a [f64], b: &'a [f64]) -> impl Iterator<Item = (&'a f64, &'a f64)> {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
}

/// [`paired`] without the percentiles (`p5` and `p95` NaN), in two passes over the
/// columns and no copies: for checks repeated as batches arrive (`run --until-ci`).
pub fn paired_moments(a: &[f64], b: &[f64], better: Better) -> Paired {
    let (mut n, mut sum, mut wins, mut losses) = (0usize, 0.0, 0.0, 0usize);
    for (x, y) in finite_pairs(a, b) {
        n += 1;
        sum += x - y;
        let (x, y) = if better == Better::Lower {
            (-x, -y)
        } else {
            (*x, *y)
        };
        match x.total_cmp(&y) {
            std::cmp::Ordering::Greater => wins += 1.0,
            std::cmp::Ordering::Equal => wins += 0.5,
            std::cmp::Ordering::Less => losses += 1,
        }
    }
    let undefined = Paired {
        n,
        mean_diff: f64::NAN,
        se: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        prob_a_better: f64::NAN,
        prob_a_worse: f64::NAN,
        p5: f64::NAN,
        p95: f64::NAN,
    };
    if n == 0 {
        return undefined;
    }
    let mean = sum / n as f64;
    let sd = if n > 1 {
        let ss: f64 = finite_pairs(a, b)
            .map(|(x, y)| (x - y - mean).powi(2))
            .sum();
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    // One pair says nothing of the spread: no standard error or CI.
    let se = if n > 1 {
        sd / (n as f64).sqrt()
    } else {
        f64::NAN
    };
    Paired {
        mean_diff: mean,
        se,
        ci_low: mean - Z95 * se,
        ci_high: mean + Z95 * se,
        prob_a_better: wins / n as f64,
        prob_a_worse: losses as f64 / n as f64,
        ..undefined
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

    /// A single portfolio gives a mean but no interval: "[$5M, $5M]" would claim a
    /// certainty one draw cannot give.
    #[test]
    fn one_value_has_no_confidence_interval() {
        let s = summarize(&[5.0, f64::NAN]);
        assert_eq!((s.n, s.mean), (1, 5.0));
        assert!(s.se.is_nan() && s.ci_low.is_nan() && s.ci_high.is_nan());
        let p = paired(&[5.0], &[3.0], Better::Higher);
        assert_eq!(p.mean_diff, 2.0);
        assert!(p.ci_low.is_nan() && p.ci_high.is_nan());
        assert!(summarize(&[1.0, 2.0]).ci_low.is_finite());
    }

    #[test]
    fn selection_matches_sorting() {
        let mut v: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1009) as f64 * 0.5)
            .collect();
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let qs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];
        let got = quantiles_unsorted(&mut v, qs);
        for (q, g) in qs.iter().zip(got) {
            assert_eq!(g, quantile_sorted(&sorted, *q), "q {q}");
        }
        assert!(quantiles_unsorted(&mut [], [0.5])[0].is_nan());
        assert_eq!(quantiles_unsorted(&mut [3.0], [0.05, 0.95]), [3.0, 3.0]);
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
