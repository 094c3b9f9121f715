//! Validated probability distributions for scenario quantities (costs, durations, values).
//!
//! Scenario files describe distributions the way analysts do (a lognormal by its median
//! and 90th percentile, a PERT by min / mode / max); [`Dist`] holds the parameters the
//! sampler needs. Constructors validate and return `Err` with a message saying what to fix.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, StandardNormal};

/// z-score of the 90th percentile of the standard normal.
pub const Z90: f64 = 1.281_551_565_544_600_4;

/// A univariate distribution over non-negative or real quantities.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Constant {
        /// The value returned by every draw.
        value: f64,
    },
    /// exp(N(mu, sigma^2)); `mu` and `sigma` are on the log scale.
    LogNormal {
        /// Mean of the log.
        mu: f64,
        /// Standard deviation of the log (>= 0).
        sigma: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (>= 0).
        sd: f64,
    },
    /// Uniform on [min, max].
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular on [min, max] with the given mode.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Beta-PERT on [min, max] with the given mode (shape 4).
    Pert {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
        /// Beta(alpha, beta) on [0, 1], precomputed from min/mode/max.
        beta: Option<Beta<f64>>,
    },
}

fn finite(name: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{name} must be a finite number, got {v}"))
    }
}

impl Dist {
    /// Constant distribution.
    pub fn constant(value: f64) -> Result<Dist, String> {
        Ok(Dist::Constant {
            value: finite("value", value)?,
        })
    }

    /// Lognormal from its median and 90th percentile (p90 >= median > 0).
    pub fn lognormal_median_p90(median: f64, p90: f64) -> Result<Dist, String> {
        let (median, p90) = (finite("median", median)?, finite("p90", p90)?);
        if median <= 0.0 {
            return Err(format!("median must be > 0, got {median}"));
        }
        if p90 < median {
            return Err(format!(
                "p90 ({p90}) must be at least the median ({median}); set p90 = median for no spread"
            ));
        }
        Ok(Dist::LogNormal {
            mu: median.ln(),
            sigma: (p90 / median).ln() / Z90,
        })
    }

    /// Lognormal from its mean (> 0) and coefficient of variation (>= 0).
    pub fn lognormal_mean_cv(mean: f64, cv: f64) -> Result<Dist, String> {
        let (mean, cv) = (finite("mean", mean)?, finite("cv", cv)?);
        if mean <= 0.0 {
            return Err(format!("mean must be > 0, got {mean}"));
        }
        if cv < 0.0 {
            return Err(format!("cv must be >= 0, got {cv}"));
        }
        let s2 = (1.0 + cv * cv).ln();
        Ok(Dist::LogNormal {
            mu: mean.ln() - s2 / 2.0,
            sigma: s2.sqrt(),
        })
    }

    /// Normal from mean and standard deviation (>= 0).
    pub fn normal(mean: f64, sd: f64) -> Result<Dist, String> {
        let (mean, sd) = (finite("mean", mean)?, finite("sd", sd)?);
        if sd < 0.0 {
            return Err(format!("sd must be >= 0, got {sd}"));
        }
        Ok(Dist::Normal { mean, sd })
    }

    /// Uniform on [min, max], min <= max.
    pub fn uniform(min: f64, max: f64) -> Result<Dist, String> {
        let (min, max) = (finite("min", min)?, finite("max", max)?);
        if min > max {
            return Err(format!("min ({min}) must not exceed max ({max})"));
        }
        Ok(Dist::Uniform { min, max })
    }

    fn check_three(min: f64, mode: f64, max: f64) -> Result<(), String> {
        finite("min", min)?;
        finite("mode", mode)?;
        finite("max", max)?;
        if !(min <= mode && mode <= max) {
            return Err(format!(
                "need min <= mode <= max, got min = {min}, mode = {mode}, max = {max}"
            ));
        }
        Ok(())
    }

    /// Triangular on [min, max] with mode; min <= mode <= max.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, String> {
        Self::check_three(min, mode, max)?;
        Ok(Dist::Triangular { min, mode, max })
    }

    /// Beta-PERT on [min, max] with mode; min <= mode <= max.
    pub fn pert(min: f64, mode: f64, max: f64) -> Result<Dist, String> {
        Self::check_three(min, mode, max)?;
        let beta = if max > min {
            // Standard PERT: shape 4, alpha = 1 + 4 (mode - min) / range.
            let a = 1.0 + 4.0 * (mode - min) / (max - min);
            let b = 1.0 + 4.0 * (max - mode) / (max - min);
            Some(Beta::new(a, b).map_err(|e| format!("invalid PERT shape: {e}"))?)
        } else {
            None
        };
        Ok(Dist::Pert {
            min,
            mode,
            max,
            beta,
        })
    }

    /// Smallest value the distribution can produce (`-inf` when unbounded below).
    pub fn lower_bound(&self) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::LogNormal { .. } => 0.0,
            Dist::Normal { sd, mean } => {
                if *sd == 0.0 {
                    *mean
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Uniform { min, .. } | Dist::Triangular { min, .. } | Dist::Pert { min, .. } => {
                *min
            }
        }
    }

    /// Expected value.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Normal { mean, .. } => *mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert { min, mode, max, .. } => (min + 4.0 * mode + max) / 6.0,
        }
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Normal { mean, sd } => {
                let z: f64 = StandardNormal.sample(rng);
                mean + sd * z
            }
            Dist::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Dist::Triangular { min, mode, max } => {
                let u: f64 = rng.random();
                let range = max - min;
                if range == 0.0 {
                    return *min;
                }
                let c = (mode - min) / range;
                // Inverse CDF keeps one uniform per draw, so draws stay paired across
                // parameter changes.
                if u < c {
                    min + (u * range * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * range * (max - mode)).sqrt()
                }
            }
            Dist::Pert { min, max, beta, .. } => match beta {
                Some(b) => min + (max - min) * b.sample(rng),
                None => *min,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn lognormal_median_p90_hits_its_quantiles() {
        let d = Dist::lognormal_median_p90(100.0, 300.0).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut xs: Vec<f64> = (0..200_000).map(|_| d.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        let med = xs[100_000];
        let p90 = xs[180_000];
        assert!((med / 100.0 - 1.0).abs() < 0.02, "median {med}");
        assert!((p90 / 300.0 - 1.0).abs() < 0.03, "p90 {p90}");
    }

    #[test]
    fn sample_means_match_closed_forms() {
        let cases = [
            Dist::lognormal_mean_cv(50.0, 0.8).unwrap(),
            Dist::pert(2.0, 5.0, 20.0).unwrap(),
            Dist::triangular(1.0, 2.0, 9.0).unwrap(),
            Dist::uniform(3.0, 4.0).unwrap(),
            Dist::normal(-2.0, 3.0).unwrap(),
        ];
        for d in &cases {
            let m = sample_mean(d, 200_000);
            let tol = 0.02 * d.mean().abs().max(1.0);
            assert!((m - d.mean()).abs() < tol, "{d:?}: {m} vs {}", d.mean());
        }
    }

    #[test]
    fn constructors_reject_bad_parameters() {
        assert!(Dist::lognormal_median_p90(10.0, 5.0).is_err());
        assert!(Dist::lognormal_median_p90(0.0, 5.0).is_err());
        assert!(Dist::pert(5.0, 1.0, 9.0).is_err());
        assert!(Dist::triangular(1.0, 2.0, f64::NAN).is_err());
        assert!(Dist::uniform(2.0, 1.0).is_err());
        assert!(Dist::normal(0.0, -1.0).is_err());
        assert!(Dist::lognormal_mean_cv(1.0, -0.1).is_err());
    }
}
