//! Keyed random numbers: every random quantity comes from a counter keyed by
//! (seed, portfolio, idea, purpose, index), so draws do not depend on the funding model,
//! the thread count or the order in which portfolios run (common random numbers).

use std::convert::Infallible;

use rand::TryRng;

/// How many random numbers of each kind a portfolio draws, all models. A draw of a
/// distribution (a planned cost, a planned duration, a contract's risk) counts as one
/// of its kind; the words and normals it takes inside are not counted again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawCounts {
    /// Counter keys created (a hash each).
    pub keys: u64,
    /// Uniforms (and other counter words used whole).
    pub uniforms: u64,
    /// Standard normals (one word and an inverse normal CDF each).
    pub normals: u64,
    /// Planned costs, from the scenario's cost distribution.
    pub planned_costs: u64,
    /// Planned durations, from the scenario's duration distribution.
    pub planned_durations: u64,
    /// Contract risk draws: cost multiplier and schedule slip (risk.rs).
    pub risk_draws: u64,
}

/// What one portfolio of the default scenario draws, all models (measured by the test
/// `default_portfolio_draw_counts_match_the_constants`, kept within 10%): the
/// random-number floor of the engine bench draws exactly this.
pub const DEFAULT_PORTFOLIO_DRAWS: DrawCounts = DrawCounts {
    keys: 361,
    uniforms: 1603,
    normals: 560,
    planned_costs: 80,
    planned_durations: 80,
    risk_draws: 147,
};

/// What a counter key is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Everything drawn once per idea, in a fixed order: fit, log value, business-case
    /// error, the idea-level risk normal, then per stage its signal error and misfit
    /// detection (a prefix that does not depend on how many stages are drawn).
    Fundamentals = 1,
    /// Signal error of a parallel attempt (index: [`attempt_key`]; slot 0 uses the
    /// idea's stage signal).
    Signal = 3,
    /// Cost, schedule and black-swan draws of a contract (index: contract key).
    Contract = 5,
    /// Bids and award of a contract (index: contract key).
    Bids = 6,
    /// Planned cost (its own key: samplers with rejection steps would otherwise shift
    /// every later draw when the cost distribution changes).
    Cost = 7,
    /// Planned duration (own key, as for cost).
    Duration = 8,
    /// Solution quality of a vendor's attempt (index: attempt slot).
    Quality = 9,
}

/// Stream index of attempt `slot` in stage `k` (signal, contract and bids streams):
/// slot 0 is keyed by the stage alone, so single-vendor models draw exactly as they
/// would without parallel attempts.
pub fn attempt_key(k: usize, slot: u32) -> u64 {
    k as u64 | (u64::from(slot) << 32)
}

/// SplitMix64 finaliser: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Key of idea `idea` in portfolio `portfolio`: the common prefix of its counters' keys,
/// hashed once per idea.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdeaKey(u64);

impl IdeaKey {
    /// The key of (seed, portfolio, idea).
    pub fn new(seed: u64, portfolio: u64, idea: u64) -> IdeaKey {
        let mut h = mix(seed ^ 0x6275_6467_6574_7369); // "budgetsi"
        for part in [portfolio, idea] {
            h = mix(h ^ part);
        }
        IdeaKey(h)
    }

    fn hash(self, purpose: Purpose, index: u64) -> u64 {
        mix(mix(self.0 ^ purpose as u64) ^ index)
    }

    /// The counter for (purpose, index) of this idea: `counter(seed, portfolio, idea,
    /// purpose, index)`.
    pub fn counter(self, purpose: Purpose, index: u64) -> Counter {
        #[cfg(test)]
        count::key();
        Counter {
            key: self.hash(purpose, index),
            next: 0,
        }
    }
}

/// The counter for (seed, portfolio, idea, purpose, index).
pub fn counter(seed: u64, portfolio: u64, idea: u64, purpose: Purpose, index: u64) -> Counter {
    IdeaKey::new(seed, portfolio, idea).counter(purpose, index)
}

/// Counter-based draws: word `i` of a key is one hash of (key, i) (SplitMix64 from the
/// key), so creating one costs a hash, and each uniform or normal takes exactly one
/// word: no draw can shift another. Also a [`rand::Rng`] for generic samplers.
#[derive(Debug, Clone)]
pub struct Counter {
    key: u64,
    next: u64,
}

impl Counter {
    /// The next word.
    #[inline]
    pub fn word(&mut self) -> u64 {
        #[cfg(test)]
        count::counter_word();
        self.next += 1;
        mix(self
            .key
            .wrapping_add(self.next.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    /// A uniform in [0, 1) from the next word.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.word() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal from the next word, by inverse CDF of a uniform in (0, 1).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        #[cfg(test)]
        count::normal();
        let u = ((self.word() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        super::risk::normal_quantile(u)
    }
}

impl TryRng for Counter {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.word() >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.word())
    }

    #[inline]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// Draws of a distribution, counted whole ([`DrawCounts`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    PlannedCost = 4,
    PlannedDuration = 5,
    Risk = 6,
}

/// Runs `f`, one draw of kind `kind`. Unit tests count it once, and nothing it draws
/// inside; otherwise it is just `f()`.
#[inline(always)]
pub(crate) fn whole<T>(kind: Kind, f: impl FnOnce() -> T) -> T {
    #[cfg(test)]
    count::enter(kind);
    #[cfg(not(test))]
    let _ = kind;
    let out = f();
    #[cfg(test)]
    count::leave();
    out
}

/// Per-thread counts of keys created and numbers drawn, by kind (unit tests only).
/// Inside a distribution's draw ([`count::Kind`]) the words and normals it takes are
/// not counted: the draw counts once, as its kind.
#[cfg(test)]
pub(crate) mod count {
    use std::cell::Cell;

    use super::{DrawCounts, Kind};

    thread_local! {
        static COUNTS: Cell<[u64; 7]> = const { Cell::new([0; 7]) };
        static INSIDE: Cell<u32> = const { Cell::new(0) };
    }

    fn add(i: usize) {
        if INSIDE.with(Cell::get) > 0 {
            return;
        }
        COUNTS.with(|c| {
            let mut v = c.get();
            v[i] += 1;
            c.set(v);
        });
    }

    pub(crate) fn key() {
        add(0);
    }

    pub(crate) fn counter_word() {
        add(1);
    }

    pub(crate) fn normal() {
        add(2);
    }

    /// Counts a draw of kind `kind` once and nothing inside it until [`leave`].
    pub(crate) fn enter(kind: Kind) {
        add(kind as usize);
        INSIDE.with(|c| c.set(c.get() + 1));
    }

    pub(crate) fn leave() {
        INSIDE.with(|c| c.set(c.get() - 1));
    }

    /// What was drawn on this thread since the last call, and resets the counts.
    pub(crate) fn take() -> DrawCounts {
        let [keys, words, normals, _, costs, durations, risks] = COUNTS.with(|c| c.replace([0; 7]));
        DrawCounts {
            keys,
            // Each normal takes one counter word.
            uniforms: words - normals,
            normals,
            planned_costs: costs,
            planned_durations: durations,
            risk_draws: risks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn counters_are_reproducible_and_distinct() {
        let a = counter(1, 2, 3, Purpose::Signal, 0).next_u64();
        assert_eq!(a, counter(1, 2, 3, Purpose::Signal, 0).next_u64());
        let others = [
            counter(2, 2, 3, Purpose::Signal, 0).next_u64(),
            counter(1, 3, 3, Purpose::Signal, 0).next_u64(),
            counter(1, 2, 4, Purpose::Signal, 0).next_u64(),
            counter(1, 2, 3, Purpose::Fundamentals, 0).next_u64(),
            counter(1, 2, 3, Purpose::Signal, 1).next_u64(),
        ];
        assert!(others.iter().all(|&o| o != a));
    }

    #[test]
    fn counter_draws_are_uniform_and_normal_across_keys() {
        // One draw per key, as the engine takes them: keys next to each other must not
        // give related numbers.
        let n = 200_000u64;
        let (mut mean, mut sq, mut swans, mut first_half) = (0.0, 0.0, 0u32, 0u32);
        for i in 0..n {
            let z = counter(3, 0, i, Purpose::Signal, 0).normal();
            mean += z;
            sq += z * z;
            let u = counter(3, 0, i, Purpose::Quality, 0).uniform();
            swans += u32::from(u < 1.0 / 6.0);
            let mut c = counter(3, i, 0, Purpose::Contract, 1);
            first_half += u32::from((c.uniform() < 0.5) == (c.uniform() < 0.5));
        }
        let n = n as f64;
        // Standard errors: 0.0022 for the mean, 0.0032 for the variance, 0.0008 for the
        // share of 1/6 and 0.0011 for the share of 1/2.
        assert!((mean / n).abs() < 0.01, "mean {}", mean / n);
        assert!((sq / n - 1.0).abs() < 0.015, "variance {}", sq / n);
        assert!((f64::from(swans) / n - 1.0 / 6.0).abs() < 0.004);
        assert!((f64::from(first_half) / n - 0.5).abs() < 0.005);
    }

    #[test]
    fn default_portfolio_draw_counts_match_the_constants() {
        let s = match crate::scenario::load_default(&[]) {
            Ok(l) => l.scenario,
            Err(e) => panic!("embedded default scenario is invalid: {e}"),
        };
        let n = 200;
        count::take();
        for p in 0..n {
            std::hint::black_box(crate::engine::run_portfolio(&s, p));
        }
        let c = count::take();
        let per = |x: u64| x as f64 / n as f64;
        let fields = |d: DrawCounts| {
            [
                d.keys,
                d.uniforms,
                d.normals,
                d.planned_costs,
                d.planned_durations,
                d.risk_draws,
            ]
        };
        let measured = fields(c).map(per);
        let names = [
            "keys",
            "uniforms",
            "normals",
            "planned costs",
            "planned durations",
            "risk draws",
        ];
        eprintln!("per default portfolio ({names:?}): {measured:?}");
        for ((m, k), what) in measured
            .iter()
            .zip(fields(DEFAULT_PORTFOLIO_DRAWS))
            .zip(names)
        {
            assert!(
                (m - k as f64).abs() <= 0.1 * k as f64,
                "{m} {what} per default portfolio, constant {k}"
            );
        }
    }
}
