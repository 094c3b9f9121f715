//! The vendor market: who may bid on a contract, who bids, the markup that competition
//! leaves, sole-source awards, and the incumbent's edge in a re-competition.

use rand::{Rng, RngExt};

use crate::model::Vendors;

/// Result of competing one contract.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Award {
    /// Winning vendor (large vendors first in index order).
    pub vendor: usize,
    /// Markup on planned work cost (0.1 = 10%).
    pub markup: f64,
    /// Number of bids received (0 for a sole-source award).
    pub bids: u32,
    /// No bids: awarded without competition.
    pub sole_source: bool,
}

/// Whether vendor `v` may take a contract of planned cost `cost` dollars.
pub fn eligible(vendors: &Vendors, v: usize, cost: f64) -> bool {
    !vendors.is_small(v) || cost <= vendors.small_contract_cap
}

/// Competes a contract of planned cost `cost`. Each vendor bids with the bid
/// probability, and an incumbent always bids; vendors not eligible for the contract, or
/// in `taken` (already working on the idea in a parallel attempt), do not bid. A bidding
/// `incumbent` wins with probability advantage + (1 - advantage) / bids. Draws two
/// uniforms (the incumbent's edge and the pick) and then jumps from bidder to bidder by
/// geometric skips, one uniform per bidder plus one, so draws scale with bidders rather
/// than vendors; the contract's draws are its own, so models stay aligned. `bidders` is
/// a scratch buffer (its contents are replaced), so that the thousands of competitions
/// in a batch do not each allocate. `skips` must come from `Skips::new(vendors)`.
pub fn compete<R: Rng + ?Sized>(
    vendors: &Vendors,
    skips: &Skips,
    cost: f64,
    incumbent: Option<usize>,
    taken: &[usize],
    bidders: &mut Vec<usize>,
    rng: &mut R,
) -> Award {
    let n = vendors.count();
    bidders.clear();
    let u_edge: f64 = rng.random();
    let u_pick: f64 = rng.random();
    let ok = |v: usize| eligible(vendors, v, cost) && !taken.contains(&v);
    let p = vendors.bid_probability;
    // Large vendors come first, so a contract above the small-vendor cap is bid on by
    // vendors 0..large only: the bidding stops there rather than skipping through the
    // small vendors who may not bid.
    let scan = if cost <= vendors.small_contract_cap {
        n
    } else {
        (vendors.large as usize).min(n)
    };
    if p >= 1.0 {
        bidders.extend((0..scan).filter(|&v| ok(v)));
    } else if p > 0.0 {
        // Gaps between bidders are geometric: P(skip = j) = (1 - p)^j p.
        let mut next = 0;
        loop {
            // The uniform u a 53-bit draw gives (`rng.random::<f64>()`, from the same
            // word), taken as x = 1 - u in whole multiples of 2^-53: 1..=2^53.
            let k = (1u64 << 53) - (rng.next_u64() >> 11);
            // At most `scan`, so the sum cannot overflow.
            next += skips.skip(k, scan);
            if next >= scan {
                break;
            }
            // Every vendor below `scan` is eligible (`scan` stops at the large vendors
            // when small ones may not bid), so only parallel attempts can rule one out.
            debug_assert!(eligible(vendors, next, cost));
            if !taken.contains(&next) {
                bidders.push(next);
            }
            next += 1;
        }
    }
    // An incumbent always bids to keep its work (bidders stay in vendor order).
    if let Some(i) = incumbent.filter(|&i| i < n && ok(i))
        && let Err(at) = bidders.binary_search(&i)
    {
        bidders.insert(at, i);
    }
    let pick = |len: usize| ((u_pick * len as f64) as usize).min(len.saturating_sub(1));
    if bidders.is_empty() {
        // Sole source: the agency negotiates with an eligible vendor not already on the
        // idea; failing that any eligible one; if the rules shut everyone out (no large
        // vendors, contract above the small cap), anyone.
        // (Counted, then picked by index: no vector to build for a rare branch.)
        let free = |v: &usize| eligible(vendors, *v, cost);
        let untaken = |v: &usize| free(v) && !taken.contains(v);
        let nth = |keep: &dyn Fn(&usize) -> bool| {
            let len = (0..n).filter(keep).count();
            (0..n).filter(keep).nth(pick(len))
        };
        let vendor = nth(&untaken)
            .or_else(|| nth(&free))
            .unwrap_or_else(|| pick(n));
        return Award {
            vendor,
            markup: vendors.sole_source_markup,
            bids: 0,
            sole_source: true,
        };
    }
    let bids = bidders.len() as u32;
    let vendor = match incumbent.filter(|i| bidders.contains(i)) {
        Some(i) if u_edge < vendors.incumbent_advantage => i,
        _ => bidders[pick(bidders.len())],
    };
    Award {
        vendor,
        markup: vendors.markup / f64::from(bids),
        bids,
        sole_source: false,
    }
}

/// The geometric skips between bidders, `floor(ln(x) / ln(1 - p))` for `x = 1 - u`, found
/// by comparing `x` with the powers (1 - p)^j instead of taking a logarithm and dividing
/// for every bidder: the skip is at least j exactly when x <= (1 - p)^j, so the skip is
/// the count of powers at or above `x`. (The powers are products, within a few ulps of
/// the exact ones: a skip can differ from the logarithm's only for an `x` that close to
/// a power, which has no bearing on the geometric law.)
#[derive(Debug, Clone)]
pub struct Skips {
    /// The bid probability and vendor count the skips were built for.
    built_for: (f64, usize),
    /// For each power (1 - p)^j, j = 1..=vendors (a skip past the last vendor ends the
    /// bidding), the largest whole number of 2^-53 at or below it: a draw x = k 2^-53 is
    /// at or below the power exactly when k is at or below this. Then `window` zeros,
    /// which no draw is at or below.
    thresholds: Vec<u64>,
    /// For each binary octave `o` of a draw, [2^-o, 2^-(o-1)) for o = 0..=53 (the draws
    /// lie in [2^-53, 1]): how many powers lie above the octave, all of them at or above
    /// any draw in it.
    above: [usize; OCTAVES],
    /// The most powers one octave holds: the comparisons a skip makes.
    window: usize,
}

/// Octaves a draw in [2^-53, 1] can fall in.
const OCTAVES: usize = 54;

/// The binary octave of `x` in (0, 1]: `o` with 2^-o <= x < 2^-(o-1) (0 for x = 1).
/// Past the table for anything smaller, such as the powers below every draw.
fn octave(x: f64) -> usize {
    let biased = ((x.to_bits() >> 52) & 0x7ff) as usize;
    1023usize.saturating_sub(biased)
}

/// 2^53, the draws' scale.
const SCALE: f64 = (1u64 << 53) as f64;

impl Skips {
    /// The skips of `vendors`' market.
    pub fn new(vendors: &Vendors) -> Skips {
        let mut skips = Skips {
            built_for: (f64::NAN, 0),
            thresholds: Vec::new(),
            above: [0; OCTAVES],
            window: 0,
        };
        skips.rebuild(vendors);
        skips
    }

    /// Makes these the skips of `vendors`' market, unless they already are (a run
    /// reuses the skips of the run before on its thread: the market is the scenario's).
    pub fn rebuild(&mut self, vendors: &Vendors) {
        let key = (vendors.bid_probability, vendors.count());
        if self.built_for.0.to_bits() == key.0.to_bits() && self.built_for.1 == key.1 {
            return;
        }
        let q = 1.0 - vendors.bid_probability;
        let powers = std::iter::successors(Some(q), |x| Some(x * q)).take(vendors.count());
        // Products of q < 1 never grow, so the powers of an octave are contiguous and
        // those above it come first: count the powers in each octave, then add up.
        let mut count = [0usize; OCTAVES];
        self.thresholds.clear();
        for power in powers {
            if let Some(c) = count.get_mut(octave(power)) {
                *c += 1;
            }
            // Scaling by a power of two is exact; so is the floor, below 2^53.
            self.thresholds.push((power * SCALE).floor() as u64);
        }
        let mut above = 0;
        for (o, &c) in count.iter().enumerate() {
            self.above[o] = above;
            above += c;
        }
        self.window = count.into_iter().max().unwrap_or(0);
        self.thresholds
            .resize(self.thresholds.len() + self.window, 0);
        self.built_for = key;
    }

    /// The skip for the draw x = `k` 2^-53, `k` in 1..=2^53: the count of powers at or
    /// above x, and skips of `limit` or more come back as at most `limit` (any of them
    /// ends a bidding that scans `limit` vendors). The powers above x's octave all
    /// count; only those inside it are compared (at most `window`, two when vendors bid
    /// three times in ten), without branches: which power x passes is as random as the
    /// draw. In whole numbers throughout.
    fn skip(&self, k: u64, limit: usize) -> usize {
        // x = k 2^-53 lies in octave 53 - floor(log2 k).
        let o = (k.leading_zeros() as usize)
            .saturating_sub(10)
            .min(OCTAVES - 1);
        let first = self.above[o];
        let inside = &self.thresholds[first..first + self.window];
        let n = first + inside.iter().map(|&t| usize::from(k <= t)).sum::<usize>();
        n.min(limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Purpose, counter};

    fn market() -> Vendors {
        Vendors {
            large: 3,
            small: 10,
            small_contract_cap: 500_000.0,
            bid_probability: 0.3,
            markup: 0.3,
            sole_source_markup: 0.5,
            overrun_markup: 0.5,
            incumbent_advantage: 0.5,
            switching_cost_share: 0.33,
        }
    }

    /// (1 - p)^j for j = 1..=vendors, as the skips compute them.
    fn powers(m: &Vendors) -> Vec<f64> {
        let q = 1.0 - m.bid_probability;
        std::iter::successors(Some(q), |x| Some(x * q))
            .take(m.count())
            .collect()
    }

    /// The draw x = 1 - u of `rng.random::<f64>()`, as `compete` takes it: k with
    /// x = k 2^-53.
    fn draw_k(rng: &mut impl Rng) -> u64 {
        let x = 1.0 - rng.random::<f64>();
        let k = (x * SCALE) as u64;
        assert_eq!(k as f64 / SCALE, x);
        k
    }

    #[test]
    fn skips_count_every_power_at_or_above_the_draw() {
        // The octave table and whole-number thresholds must give the plain count of
        // powers at or above x = k 2^-53 for any bid probability: at each power's
        // threshold and either side of it, at octave edges and either side, and between.
        let mut m = market();
        for p in [0.3, 0.05, 0.5, 0.9, 0.999, 1e-12, 1e-17] {
            m.bid_probability = p;
            let skips = Skips::new(&m);
            let n = m.count();
            let powers = powers(&m);
            let plain = |k: u64| {
                let x = k as f64 / SCALE;
                powers.iter().filter(|&&power| x <= power).count()
            };
            let top = 1u64 << 53;
            let mut ks: Vec<u64> = powers
                .iter()
                .map(|&w| (w * SCALE) as u64)
                .chain((0..=53).map(|o| 1u64 << o))
                .flat_map(|k| [k.saturating_sub(1), k, k + 1])
                .filter(|k| (1..=top).contains(k))
                .collect();
            let mut rng = counter(8, 0, 0, Purpose::Bids, 0);
            ks.extend((0..20_000).map(|_| draw_k(&mut rng)));
            for k in ks {
                let count = plain(k);
                for limit in [n, 3, 0] {
                    assert_eq!(skips.skip(k, limit), count.min(limit), "p {p}, k {k}");
                }
            }
        }
    }

    #[test]
    fn skips_match_the_logarithm() {
        // Random draws (none within a few ulps of a power of 1 - p) give the
        // logarithm's skip, for common and extreme bid probabilities.
        let mut m = market();
        for p in [0.3, 0.05, 0.9, 1e-12] {
            m.bid_probability = p;
            let skips = Skips::new(&m);
            let log_q = (-p).ln_1p();
            let exact = |x: f64| ((x.ln() / log_q).floor()).min(m.count() as f64);
            let mut rng = counter(7, 0, 0, Purpose::Bids, 0);
            for _ in 0..20_000 {
                let k = draw_k(&mut rng);
                let x = k as f64 / SCALE;
                assert_eq!(skips.skip(k, m.count()) as f64, exact(x), "p {p}, x {x}");
                // A shorter scan caps the skip where it ends the bidding anyway.
                assert_eq!(skips.skip(k, 3) as f64, exact(x).min(3.0), "p {p}, x {x}");
            }
        }
    }

    #[test]
    fn big_contracts_shut_small_vendors_out() {
        let m = market();
        for i in 0..2000 {
            let a = compete(
                &m,
                &Skips::new(&m),
                2e6,
                None,
                &[],
                &mut Vec::new(),
                &mut counter(1, 0, i, Purpose::Bids, 0),
            );
            assert!(!m.is_small(a.vendor));
        }
    }

    #[test]
    fn more_bids_mean_lower_markup_and_none_means_sole_source() {
        let m = market();
        for i in 0..2000 {
            let a = compete(
                &m,
                &Skips::new(&m),
                1e5,
                None,
                &[],
                &mut Vec::new(),
                &mut counter(2, 0, i, Purpose::Bids, 0),
            );
            if a.sole_source {
                assert_eq!(a.markup, 0.5);
            } else {
                assert!((a.markup - 0.3 / f64::from(a.bids)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn incumbent_wins_with_its_advantage() {
        let m = market();
        let n = 20_000;
        let (mut wins, mut expected) = (0.0, 0.0);
        for i in 0..n {
            let a = compete(
                &m,
                &Skips::new(&m),
                1e5,
                Some(4),
                &[],
                &mut Vec::new(),
                &mut counter(5, 0, i, Purpose::Bids, 0),
            );
            wins += f64::from(u8::from(a.vendor == 4));
            expected += 0.5 + 0.5 / f64::from(a.bids);
        }
        assert!(
            (wins - expected).abs() / (n as f64) < 0.015,
            "{wins} vs {expected}"
        );
    }

    #[test]
    fn each_vendor_bids_with_the_bid_probability() {
        // Geometric skips must give every vendor, first or last, the same chance.
        let mut m = market();
        let n = 40_000;
        let mut bids = vec![0u32; m.count()];
        for i in 0..n {
            let mut bidders = Vec::new();
            compete(
                &m,
                &Skips::new(&m),
                1e5,
                None,
                &[],
                &mut bidders,
                &mut counter(6, 0, i, Purpose::Bids, 0),
            );
            assert!(bidders.windows(2).all(|w| w[0] < w[1]));
            for v in bidders {
                bids[v] += 1;
            }
        }
        for (v, &b) in bids.iter().enumerate() {
            let share = f64::from(b) / n as f64;
            // sd of a share near 0.3 over 40k draws is about 0.0023.
            assert!((share - 0.3).abs() < 0.012, "vendor {v} bids {share}");
        }
        // Above the small-vendor cap the bidding stops after the large vendors, who
        // still bid with the bid probability each.
        let mut large_bids = vec![0u32; m.count()];
        for i in 0..n {
            let mut bidders = Vec::new();
            compete(
                &m,
                &Skips::new(&m),
                2e6,
                None,
                &[],
                &mut bidders,
                &mut counter(8, 0, i, Purpose::Bids, 0),
            );
            for v in bidders {
                large_bids[v] += 1;
            }
        }
        for (v, &b) in large_bids.iter().enumerate() {
            let share = f64::from(b) / n as f64;
            if m.is_small(v) {
                assert_eq!(b, 0, "small vendor {v} bid above the cap");
            } else {
                assert!((share - 0.3).abs() < 0.012, "large vendor {v} bids {share}");
            }
        }
        // No chance: nobody bids, so sole source; certainty: every eligible vendor bids.
        m.bid_probability = 0.0;
        let a = compete(
            &m,
            &Skips::new(&m),
            1e5,
            None,
            &[],
            &mut Vec::new(),
            &mut counter(6, 1, 0, Purpose::Bids, 0),
        );
        assert!(a.sole_source);
        m.bid_probability = 1.0;
        let mut bidders = Vec::new();
        compete(
            &m,
            &Skips::new(&m),
            1e5,
            None,
            &[2],
            &mut bidders,
            &mut counter(6, 1, 0, Purpose::Bids, 0),
        );
        assert_eq!(bidders.len(), m.count() - 1);
        assert!(!bidders.contains(&2));
    }
}
