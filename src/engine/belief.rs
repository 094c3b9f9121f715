//! The decision maker's Bayesian belief about an idea: a normal posterior on log value
//! (conjugate, closed form) and the probability of fit given no misfit detected so far.
//! With parallel attempts, each attempt's results are [`Evidence`] on its own log value
//! ln V + ln q; the joint normal model gives the posterior of V and of each attempt's
//! worth V q in closed form.

/// Posterior state, updated signal by signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Belief {
    /// The prior and every signal on log value, as conjugate sums.
    log_value: Evidence,
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
            log_value: Evidence::default(),
            p_fit,
            miss: 1.0,
            misfit_found: false,
        };
        b.observe(mean, sd);
        b
    }

    /// Adds a signal on log value with noise sd `noise` (0: exact, inf: uninformative).
    pub fn observe(&mut self, signal: f64, noise: f64) {
        self.log_value.observe(signal, noise);
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

    /// Posterior mean and variance of log value (an improper flat belief, only possible
    /// with an infinite prior spread and no signal, has infinite variance).
    pub fn log_value(&self) -> (f64, f64) {
        self.log_value.summary().unwrap_or((0.0, f64::INFINITY))
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

    /// Folds an attempt's evidence into the belief on log value when the attempt drops
    /// out: its quality no longer matters, but what its results said about the idea
    /// does. Given V, the attempt's mean signal is ln V + ln q + noise, so it observes
    /// ln V (shifted by E[ln q] = -sd_q^2 / 2) with variance sd_q^2 + its own.
    pub fn absorb(&mut self, e: &Evidence, quality_sd: f64) {
        if let Some((m, v)) = e.summary() {
            let q2 = quality_sd * quality_sd;
            self.observe(m + q2 / 2.0, (q2 + v).sqrt());
        }
    }

    /// Posterior mean and variance of log value given the belief and the evidence of
    /// attempts still alive (not yet absorbed). Attempts are independent given V.
    pub fn log_value_with<'e>(
        &self,
        live: impl Iterator<Item = &'e Evidence>,
        quality_sd: f64,
    ) -> (f64, f64) {
        let mut b = *self;
        for e in live {
            b.absorb(e, quality_sd);
        }
        b.log_value()
    }

    /// Expected worth of each live attempt's solution, E[V q_a | all signals] (dollars,
    /// fit probability included), in the order given. `(mean, var)` is
    /// [`Belief::log_value_with`] over the same attempts.
    ///
    /// Given V and the attempt's own mean signal m (variance v), ln q_a has posterior
    /// mean -sd_q^2/2 + b (m - ln V + sd_q^2/2) and variance sd_q^2 (1 - b), with
    /// b = sd_q^2 / (sd_q^2 + v); hence ln(V q_a) has mean
    /// (1 - b) mean + b m - (1 - b) sd_q^2 / 2 and variance (1 - b)^2 var + sd_q^2 (1 - b).
    /// The attempt with the best results is worth more than the average attempt: this
    /// is the gain from funding several and keeping the best.
    pub fn attempt_worth(&self, post: (f64, f64), e: &Evidence, quality_sd: f64) -> f64 {
        self.fit_probability() * Belief::attempt_log_worth(post, e, quality_sd).exp()
    }

    /// ln E[V q_a | all signals, fit]: [`Belief::attempt_worth`] without the fit
    /// probability, which is common to an idea's attempts (so this ranks them even when
    /// a misfit has been found).
    pub fn attempt_log_worth((mean, var): (f64, f64), e: &Evidence, quality_sd: f64) -> f64 {
        let q2 = quality_sd * quality_sd;
        let (lm, lv) = match e.summary() {
            Some((m, v)) if q2 > 0.0 => {
                let b = q2 / (q2 + v);
                (
                    (1.0 - b) * mean + b * m - (1.0 - b) * q2 / 2.0,
                    (1.0 - b) * (1.0 - b) * var + q2 * (1.0 - b),
                )
            }
            // No result yet (or no quality spread): E[q] = 1, so its worth is E[V].
            _ => (mean - q2 / 2.0, var + q2),
        };
        lm + lv / 2.0
    }
}

/// Signals on one log value as conjugate sums: the belief's on ln V (prior included), or
/// what one attempt's stage results say about its own log value, ln V + ln q.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Sum of signal precisions, per ln(dollars)^2.
    precision: f64,
    /// Sum of precision-weighted signals.
    weighted: f64,
    /// A signal with zero noise: the attempt's log value exactly.
    exact: Option<f64>,
}

impl Evidence {
    /// Adds a stage signal with noise sd `noise` (0: exact, inf: uninformative).
    pub fn observe(&mut self, signal: f64, noise: f64) {
        if noise == 0.0 {
            self.exact.get_or_insert(signal);
        } else if noise.is_finite() {
            let p = 1.0 / (noise * noise);
            self.precision += p;
            self.weighted += p * signal;
        }
    }

    /// The mean signal and its variance, or None before any informative signal.
    pub fn summary(&self) -> Option<(f64, f64)> {
        match self.exact {
            Some(x) => Some((x, 0.0)),
            None if self.precision > 0.0 => {
                Some((self.weighted / self.precision, 1.0 / self.precision))
            }
            None => None,
        }
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

    /// Solves `a x = b` by Gaussian elimination with partial pivoting (small systems).
    fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for c in 0..n {
            let p = (c..n)
                .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
                .unwrap();
            a.swap(c, p);
            b.swap(c, p);
            let pivot = a[c].clone();
            for r in c + 1..n {
                let f = a[r][c] / pivot[c];
                for (x, p) in a[r][c..].iter_mut().zip(&pivot[c..]) {
                    *x -= f * p;
                }
                b[r] -= f * b[c];
            }
        }
        let mut x = vec![0.0; n];
        for r in (0..n).rev() {
            let t: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
            x[r] = (b[r] - t) / a[r][r];
        }
        x
    }

    /// The closed form agrees with brute-force conditioning of the joint normal of
    /// (ln V, ln q_1, ln q_2) on three signals, two of them from attempt 1.
    #[test]
    fn attempt_worth_matches_joint_normal_conditioning() {
        let (mu0, tau, sd) = (1.0, 0.7, 0.5);
        // (attempt, signal, noise)
        let obs = [(1usize, 1.9, 0.8), (1, 1.4, 0.4), (2, 0.6, 0.8)];
        // Information form: prior precision and shift, plus H^T R^-1 H and H^T R^-1 y.
        let q2 = sd * sd;
        let mut lam = vec![vec![0.0; 3]; 3];
        let mut eta = vec![0.0; 3];
        lam[0][0] = 1.0 / (tau * tau);
        eta[0] = mu0 / (tau * tau);
        for j in 1..3 {
            lam[j][j] = 1.0 / q2;
            eta[j] = -0.5;
        }
        let mut b = Belief::prior(mu0, tau, 1.0);
        let mut ev = [Evidence::default(); 2];
        for &(a, y, s) in &obs {
            let w = 1.0 / (s * s);
            for (i, j) in [(0, 0), (0, a), (a, 0), (a, a)] {
                lam[i][j] += w;
            }
            eta[0] += w * y;
            eta[a] += w * y;
            ev[a - 1].observe(y, s);
        }
        let mean = solve(lam.clone(), eta.clone());
        let unit = |i: usize| (0..3).map(|k| f64::from(u8::from(k == i))).collect();
        let cov: Vec<Vec<f64>> = (0..3).map(|i| solve(lam.clone(), unit(i))).collect();
        let post = b.log_value_with(ev.iter(), sd);
        assert!((post.0 - mean[0]).abs() < 1e-12, "{post:?} vs {}", mean[0]);
        assert!((post.1 - cov[0][0]).abs() < 1e-12);
        for a in 1..3 {
            let m = mean[0] + mean[a];
            let v = cov[0][0] + cov[a][a] + 2.0 * cov[0][a];
            let worth = b.attempt_worth(post, &ev[a - 1], sd);
            assert!(
                ((worth - (m + v / 2.0).exp()) / worth).abs() < 1e-12,
                "attempt {a}"
            );
        }
        // Absorbing attempt 2 when it drops out leaves attempt 1's worth unchanged.
        let before = b.attempt_worth(post, &ev[0], sd);
        b.absorb(&ev[1], sd);
        let after = b.attempt_worth(b.log_value_with(ev[..1].iter(), sd), &ev[0], sd);
        assert!(((before - after) / before).abs() < 1e-12);
    }

    /// Keeping the attempt with the best results: its predicted worth is, on average,
    /// what it turns out to be worth, whereas E[V] alone falls short by the selection
    /// gain. Ideas are drawn from the model itself, so the posterior must be calibrated.
    #[test]
    fn the_best_of_five_is_worth_what_the_posterior_says() {
        use crate::engine::rng::{Purpose, counter};
        use rand::RngExt;
        use rand_distr::StandardNormal;
        let (mu0, tau, sd, s, n) = (0.0, 0.5, 0.5, 0.8, 100_000);
        let mut rng = counter(7, 0, 0, Purpose::Quality, 0);
        let mut z = || -> f64 { rng.sample(StandardNormal) };
        let (mut predicted, mut naive, mut realised) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = mu0 + tau * z();
            let mut b = Belief::prior(mu0, tau, 1.0);
            let attempts: Vec<(f64, Evidence)> = (0..5)
                .map(|_| {
                    let lq = -sd * sd / 2.0 + sd * z();
                    let mut e = Evidence::default();
                    e.observe(x + lq + s * z(), s);
                    (lq, e)
                })
                .collect();
            let post = b.log_value_with(attempts.iter().map(|a| &a.1), sd);
            let (best, worth) = attempts
                .iter()
                .map(|a| (a.0, b.attempt_worth(post, &a.1, sd)))
                .max_by(|p, q| p.1.total_cmp(&q.1))
                .unwrap();
            predicted += worth;
            realised += (x + best).exp();
            for a in &attempts {
                b.absorb(&a.1, sd);
            }
            naive += b.expected_value();
        }
        let rel = (predicted - realised) / realised;
        assert!(
            rel.abs() < 0.01,
            "predicted {predicted}, realised {realised}"
        );
        assert!(
            naive < 0.95 * realised,
            "E[V] alone misses the selection gain"
        );
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
