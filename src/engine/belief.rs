//! The decision maker's Bayesian belief about an idea: a normal posterior on log value
//! (conjugate, closed form) and the probability of fit given no misfit detected so far.

/// Posterior state, updated signal by signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Belief {
    /// Sum of precisions (1 / variance) of prior and signals, per ln(dollars)^2.
    precision: f64,
    /// Sum of precision-weighted means.
    weighted: f64,
    /// Log value known exactly (a signal with zero noise, or a prior with zero spread).
    exact: Option<f64>,
    /// Prior probability of fit.
    p_fit: f64,
    /// Product of (1 - detection probability) over stages that found no misfit.
    miss: f64,
    /// A stage has revealed a misfit.
    misfit_found: bool,
}

impl Belief {
    /// Prior N(mean, sd^2) on log value and prior fit probability.
    pub fn prior(mean: f64, sd: f64, p_fit: f64) -> Belief {
        let mut b = Belief {
            precision: 0.0,
            weighted: 0.0,
            exact: None,
            p_fit,
            miss: 1.0,
            misfit_found: false,
        };
        b.observe(mean, sd);
        b
    }

    /// Adds a signal on log value with noise sd `noise` (0: exact, inf: uninformative).
    pub fn observe(&mut self, signal: f64, noise: f64) {
        if noise == 0.0 {
            self.exact.get_or_insert(signal);
        } else if noise.is_finite() {
            let p = 1.0 / (noise * noise);
            self.precision += p;
            self.weighted += p * signal;
        }
    }

    /// Records a stage's misfit check: `found` if it revealed a misfit, else it missed with
    /// probability `1 - detection` had the idea been a misfit.
    pub fn check_fit(&mut self, detection: f64, found: bool) {
        if found {
            self.misfit_found = true;
        } else {
            self.miss *= 1.0 - detection;
        }
    }

    /// Posterior mean and variance of log value.
    pub fn log_value(&self) -> (f64, f64) {
        match self.exact {
            Some(x) => (x, 0.0),
            None => (self.weighted / self.precision, 1.0 / self.precision),
        }
    }

    /// P(fit | no misfit found so far).
    pub fn fit_probability(&self) -> f64 {
        if self.misfit_found || self.p_fit == 0.0 {
            return 0.0;
        }
        self.p_fit / (self.p_fit + (1.0 - self.p_fit) * self.miss)
    }

    /// E[V | signals] = P(fit | .) exp(mean + var / 2), dollars.
    pub fn expected_value(&self) -> f64 {
        let (m, v) = self.log_value();
        self.fit_probability() * (m + v / 2.0).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posterior_matches_conjugate_formula() {
        let mut b = Belief::prior(1.0, 2.0, 1.0);
        b.observe(3.0, 1.0);
        let (m, v) = b.log_value();
        // precision 1/4 + 1 = 1.25; mean (1/4 * 1 + 3) / 1.25 = 2.6
        assert!((v - 0.8).abs() < 1e-12);
        assert!((m - 2.6).abs() < 1e-12);
        b.observe(100.0, f64::INFINITY);
        assert_eq!(b.log_value(), (m, v));
        b.observe(5.0, 0.0);
        assert_eq!(b.log_value(), (5.0, 0.0));
    }

    #[test]
    fn fit_probability_rises_as_checks_pass() {
        let mut b = Belief::prior(0.0, 1.0, 0.5);
        assert!((b.fit_probability() - 0.5).abs() < 1e-12);
        b.check_fit(0.6, false);
        assert!((b.fit_probability() - 0.5 / (0.5 + 0.5 * 0.4)).abs() < 1e-12);
        b.check_fit(0.6, true);
        assert_eq!(b.expected_value(), 0.0);
    }
}
