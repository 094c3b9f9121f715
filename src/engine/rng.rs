//! Keyed random streams: every random quantity comes from a stream keyed by
//! (seed, portfolio, idea, purpose, index), so draws do not depend on the funding model,
//! the thread count or the order in which portfolios run (common random numbers).

use std::convert::Infallible;

use rand::{SeedableRng, TryRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// How many random numbers of each kind a portfolio draws, all models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawCounts {
    /// Keyed streams created (a seeding each).
    pub streams: u64,
    /// Words drawn from those streams (planned costs and durations).
    pub stream_words: u64,
    /// Counter uniforms (and other counter words used whole).
    pub uniforms: u64,
    /// Counter normals (one word and an inverse normal CDF each).
    pub normals: u64,
}

/// What one portfolio of the default scenario draws, all models (measured by the test
/// `default_portfolio_draw_counts_match_the_constants`, kept within 10%): the
/// random-number floor of the engine bench draws exactly this.
pub const DEFAULT_PORTFOLIO_DRAWS: DrawCounts = DrawCounts {
    streams: 160,
    stream_words: 262,
    uniforms: 2079,
    normals: 850,
};

/// What a stream is used for; each purpose has its own stream per idea.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Fit, log value and business-case error (parameter-free draws only).
    Fundamentals = 1,
    /// The idea-level component of cost overrun shared by all its contracts.
    IdeaRisk = 2,
    /// Signal error of a stage (index: stage number).
    Signal = 3,
    /// Misfit detection of a stage (index: stage number).
    Detection = 4,
    /// Cost, schedule and black-swan draws of a contract (index: contract key).
    Contract = 5,
    /// Bids and award of a contract (index: contract key).
    Bids = 6,
    /// Planned cost (its own stream: samplers with rejection steps would otherwise shift
    /// every later draw when the cost distribution changes).
    Cost = 7,
    /// Planned duration (own stream, as for cost).
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

/// The generator behind every stream: Xoshiro256++, which is specified by its
/// algorithm, so streams reproduce across rand versions (unlike `SmallRng`). A thin
/// wrapper, so that unit tests can count the words drawn.
#[derive(Debug, Clone)]
pub struct Stream(Xoshiro256PlusPlus);

impl TryRng for Stream {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        #[cfg(test)]
        count::word();
        self.0.try_next_u32()
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        #[cfg(test)]
        count::word();
        self.0.try_next_u64()
    }

    #[inline]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        #[cfg(test)]
        for _ in 0..dst.len().div_ceil(8) {
            count::word();
        }
        self.0.try_fill_bytes(dst)
    }
}

/// SplitMix64 finaliser: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Key of idea `idea` in portfolio `portfolio`: the common prefix of its streams' and
/// counters' keys, hashed once per idea.
#[derive(Debug, Clone, Copy)]
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

    /// The stream for (purpose, index) of this idea: `stream(seed, portfolio, idea,
    /// purpose, index)`.
    pub fn stream(self, purpose: Purpose, index: u64) -> Stream {
        #[cfg(test)]
        count::stream();
        Stream(Xoshiro256PlusPlus::seed_from_u64(self.hash(purpose, index)))
    }

    /// The counter for (purpose, index) of this idea: `counter(seed, portfolio, idea,
    /// purpose, index)`.
    pub fn counter(self, purpose: Purpose, index: u64) -> Counter {
        Counter {
            key: self.hash(purpose, index),
            next: 0,
        }
    }
}

/// The stream for (seed, portfolio, idea, purpose, index): a generator for samplers
/// that may consume a variable number of words (planned cost and duration).
pub fn stream(seed: u64, portfolio: u64, idea: u64, purpose: Purpose, index: u64) -> Stream {
    IdeaKey::new(seed, portfolio, idea).stream(purpose, index)
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

/// Per-thread counts of streams created and words drawn (unit tests only).
#[cfg(test)]
pub(crate) mod count {
    use std::cell::Cell;

    use super::DrawCounts;

    thread_local! {
        static COUNTS: Cell<[u64; 4]> = const { Cell::new([0; 4]) };
    }

    fn add(i: usize) {
        COUNTS.with(|c| {
            let mut v = c.get();
            v[i] += 1;
            c.set(v);
        });
    }

    pub(crate) fn stream() {
        add(0);
    }

    /// A word from a keyed stream.
    pub(crate) fn word() {
        add(1);
    }

    pub(crate) fn counter_word() {
        add(2);
    }

    pub(crate) fn normal() {
        add(3);
    }

    /// What was drawn on this thread since the last call, and resets the counts.
    pub(crate) fn take() -> DrawCounts {
        let [streams, stream_words, counter_words, normals] = COUNTS.with(|c| c.replace([0; 4]));
        DrawCounts {
            streams,
            stream_words,
            // Each normal takes one counter word.
            uniforms: counter_words - normals,
            normals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = stream(1, 2, 3, Purpose::Signal, 0).next_u64();
        assert_eq!(a, stream(1, 2, 3, Purpose::Signal, 0).next_u64());
        let others = [
            stream(2, 2, 3, Purpose::Signal, 0).next_u64(),
            stream(1, 3, 3, Purpose::Signal, 0).next_u64(),
            stream(1, 2, 4, Purpose::Signal, 0).next_u64(),
            stream(1, 2, 3, Purpose::Detection, 0).next_u64(),
            stream(1, 2, 3, Purpose::Signal, 1).next_u64(),
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
            let u = counter(3, 0, i, Purpose::Detection, 0).uniform();
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
        let measured = [c.streams, c.stream_words, c.uniforms, c.normals].map(per);
        let d = DEFAULT_PORTFOLIO_DRAWS;
        let constants = [d.streams, d.stream_words, d.uniforms, d.normals];
        eprintln!("per default portfolio (streams, stream words, uniforms, normals): {measured:?}");
        for ((m, k), what) in
            measured
                .iter()
                .zip(constants)
                .zip(["streams", "stream words", "uniforms", "normals"])
        {
            assert!(
                (m - k as f64).abs() <= 0.1 * k as f64,
                "{m} {what} per default portfolio, constant {k}"
            );
        }
    }
}
