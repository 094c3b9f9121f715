//! Quantiles of one month's cumulative spend or value over portfolios without keeping
//! every value: a histogram whose bins are the top bits of each value's `f32` pattern.
//!
//! A bin holds the values that share sign, exponent and the first [`MANTISSA_BITS`]
//! mantissa bits, so each bin spans at most 2^-8 of its values (256 bins per doubling)
//! and an estimate taken at a bin's middle is within 0.2% of a value of the right rank.
//! Keeping every value instead would cost 4 bytes per portfolio, model, series and
//! month: 1.5 GB for a million default portfolios. Counts are integers, so sketches
//! filled in any order and merged in any order (threads, batches, shards) are equal,
//! and so are the quantiles read off them.

use serde::{Deserialize, Serialize};

/// Mantissa bits kept in a bin key (of 23).
pub const MANTISSA_BITS: u32 = 8;
const SHIFT: u32 = 23 - MANTISSA_BITS;

/// Bin key of a finite `x`: its bits mapped to an unsigned order (negatives below
/// positives), then truncated. Monotone: `a <= b` implies `key(a) <= key(b)`.
fn key(x: f32) -> u32 {
    let b = x.to_bits();
    let ordered = if b >> 31 == 1 { !b } else { b | 0x8000_0000 };
    ordered >> SHIFT
}

/// The float whose ordered bit pattern is `ordered` (inverse of the map in [`key`]).
fn from_ordered(ordered: u32) -> f64 {
    let bits = if ordered & 0x8000_0000 != 0 {
        ordered & 0x7fff_ffff
    } else {
        !ordered
    };
    f64::from(f32::from_bits(bits))
}

/// The value standing for every value of bin `k`: the middle of the bin, or zero for
/// the bins that touch zero (which hold only zero and values below 1e-38).
fn middle(k: u32) -> f64 {
    let lo = from_ordered(k << SHIFT);
    let hi = from_ordered(((k + 1) << SHIFT).wrapping_sub(1));
    if lo == 0.0 || hi == 0.0 {
        0.0
    } else {
        0.5 * (lo + hi)
    }
}

/// Histogram of finite values over bins of relative width 2^-8, with zeros counted
/// apart: in key order, zero is some 32,000 bins away from a dollar, and a window
/// spanning both would cost 300 kB a sketch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    /// Values equal to zero.
    zeros: u64,
    /// Key of `counts[0]`.
    offset: u32,
    /// Values per bin, for keys `offset..offset + counts.len()`.
    counts: Vec<u64>,
    /// Smallest value seen (estimates never leave [min, max]).
    min: f32,
    /// Largest value seen.
    max: f32,
}

impl Sketch {
    /// Number of values counted.
    pub fn len(&self) -> u64 {
        self.zeros + self.counts.iter().sum::<u64>()
    }

    /// Number of values counted, or None if the counts overflow (a sketch read back
    /// from a file that no run wrote).
    pub fn len_checked(&self) -> Option<u64> {
        self.counts
            .iter()
            .try_fold(self.zeros, |acc, c| acc.checked_add(*c))
    }

    /// Whether the sketch is one budgetsim could have filled: bins within the key space
    /// of `f32` values (so adding sketches cannot overflow a key), counts that add up,
    /// and a finite, ordered [min, max] (estimates are clamped to it).
    pub fn is_valid(&self) -> bool {
        const KEYS: u64 = 1 << (32 - SHIFT);
        u64::from(self.offset) + self.counts.len() as u64 <= KEYS
            && self.len_checked().is_some()
            && (self.is_empty()
                || (self.min.is_finite() && self.max.is_finite() && self.min <= self.max))
    }

    /// Whether nothing was counted. O(1): called on every value added (a window of bins
    /// exists only once a non-zero value was counted).
    pub fn is_empty(&self) -> bool {
        self.zeros == 0 && self.counts.is_empty()
    }

    /// Widens the window of bins to hold `lo..=hi`.
    fn cover(&mut self, lo: u32, hi: u32) {
        if self.counts.is_empty() {
            self.offset = lo;
            self.counts = vec![0; (hi - lo) as usize + 1];
            return;
        }
        let end = self.offset + self.counts.len() as u32 - 1;
        if lo < self.offset {
            let mut grown = vec![0; (self.offset - lo) as usize];
            grown.extend_from_slice(&self.counts);
            self.counts = grown;
            self.offset = lo;
        }
        if hi > end {
            self.counts
                .resize(self.counts.len() + (hi - end) as usize, 0);
        }
    }

    /// Counts `x`; NaN and infinities are left out.
    pub fn add(&mut self, x: f32) {
        if !x.is_finite() {
            return;
        }
        if self.is_empty() {
            (self.min, self.max) = (x, x);
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        if x == 0.0 {
            self.zeros += 1;
            return;
        }
        let k = key(x);
        self.cover(k, k);
        self.counts[(k - self.offset) as usize] += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Sketch) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other.clone();
            return;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.zeros += other.zeros;
        if other.counts.is_empty() {
            return;
        }
        let end = other.offset + other.counts.len() as u32 - 1;
        self.cover(other.offset, end);
        let at = (other.offset - self.offset) as usize;
        for (c, o) in self.counts[at..].iter_mut().zip(&other.counts) {
            *c += o;
        }
    }

    /// Estimate of the value of rank `r` (0-based) in sorted order.
    fn at_rank(&self, r: u64) -> f64 {
        // Zeros rank after every bin of negative values and before the positive ones.
        let zero_key = key(0.0);
        let mut seen = 0;
        let mut zeros_counted = false;
        for (i, c) in self.counts.iter().enumerate() {
            let k = self.offset + i as u32;
            if !zeros_counted && k >= zero_key {
                zeros_counted = true;
                seen += self.zeros;
                if seen > r {
                    return 0.0;
                }
            }
            seen += c;
            if seen > r {
                return middle(k).clamp(f64::from(self.min), f64::from(self.max));
            }
        }
        if !zeros_counted && seen + self.zeros > r {
            return 0.0;
        }
        f64::from(self.max)
    }

    /// Quantile `q` (0..1), interpolating linearly between the estimates of the two
    /// neighbouring ranks as an exact type-7 quantile does; NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.len();
        if n == 0 {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * q;
        let lo = h.floor() as u64;
        let a = self.at_rank(lo);
        if lo + 1 >= n {
            return a;
        }
        a + (h - lo as f64) * (self.at_rank(lo + 1) - a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_order_of_values() {
        let xs = [
            -3.5e9f32, -2.0, -1e-30, -0.0, 0.0, 1e-30, 0.5, 1.0, 1.001, 7e12,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) <= key(w[1]), "{} then {}", w[0], w[1]);
        }
    }

    #[test]
    fn estimates_are_within_a_bin_of_the_exact_quantile() {
        let mut s = Sketch::default();
        let mut exact: Vec<f64> = Vec::new();
        for i in 0..5000u32 {
            let x = (i as f32 * 7919.0) % 1.0e6 + 0.25 * i as f32;
            s.add(x);
            exact.push(f64::from(x));
        }
        exact.sort_by(f64::total_cmp);
        for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let want = crate::analysis::stats::quantile_sorted(&exact, q);
            let got = s.quantile(q);
            assert!(
                (got - want).abs() <= 0.004 * want.abs() + 1e-9,
                "q {q}: sketch {got}, exact {want}"
            );
        }
    }

    #[test]
    fn zeros_rank_between_negative_and_positive_values() {
        let mut s = Sketch::default();
        for x in [-2.0f32, -1.0, 0.0, 0.0, 0.0, 5.0, 6.0] {
            s.add(x);
        }
        assert_eq!(s.len(), 7);
        assert!((s.quantile(0.0) + 2.0).abs() < 0.01);
        assert_eq!(s.quantile(0.5), 0.0);
        assert!((s.quantile(1.0) - 6.0).abs() < 0.03);
        // A sketch of zeros and dollars stays small.
        let mut m = Sketch::default();
        m.add(0.0);
        m.add(1.0);
        m.add(5.0e7);
        assert!(m.counts.len() < 256 * 27, "{} bins", m.counts.len());
    }

    #[test]
    fn sketches_no_run_fills_are_invalid() {
        let mut s = Sketch::default();
        s.add(3.0);
        assert!(s.is_valid());
        let mut swapped = s.clone();
        (swapped.min, swapped.max) = (5.0, 1.0);
        assert!(!swapped.is_valid());
        let mut nan = s.clone();
        nan.max = f32::NAN;
        assert!(!nan.is_valid());
        let mut far = s;
        far.offset = u32::MAX;
        assert!(!far.is_valid());
    }

    #[test]
    fn zeros_and_single_values_are_exact() {
        let mut s = Sketch::default();
        for _ in 0..10 {
            s.add(0.0);
        }
        assert_eq!(s.quantile(0.5), 0.0);
        let mut one = Sketch::default();
        one.add(123_456.7);
        assert_eq!(one.quantile(0.1), f64::from(123_456.7f32));
        assert!(Sketch::default().quantile(0.5).is_nan());
    }

    #[test]
    fn merging_in_any_order_gives_the_same_sketch() {
        let values: Vec<f32> = (0..900).map(|i| (i as f32).powf(1.7) - 300.0).collect();
        let mut whole = Sketch::default();
        values.iter().for_each(|&x| whole.add(x));
        let mut parts: Vec<Sketch> = values
            .chunks(250)
            .map(|c| {
                let mut s = Sketch::default();
                c.iter().for_each(|&x| s.add(x));
                s
            })
            .collect();
        parts.reverse();
        let mut merged = Sketch::default();
        parts.iter().for_each(|p| merged.merge(p));
        assert_eq!(merged, whole);
    }
}
