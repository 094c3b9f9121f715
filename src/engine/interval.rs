//! Closed intervals of reals for bounds that must hold exactly: every operation widens
//! its result outward by far more than floating-point rounding (of the operation, or
//! of a library function within a few ulps of the true one), so the interval holds
//! the true value of the expression for every input inside the input intervals. Used
//! to bound a forecast over a range of inputs without evaluating it at each one.

use std::ops::{Add, Div, Mul, Sub};

/// Relative widening after every operation: thousands of ulps, so that rounding in the
/// operation itself, or in a `libm` function accurate to a few ulps, stays inside.
const WIDEN: f64 = 1e-12;

/// The closed interval `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// Every real: what a result whose computation broke down (a NaN end) may be.
    pub const WHOLE: Interval = Interval {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    };

    /// `[lo, hi]` widened outward: by [`WIDEN`] of each end and the smallest normal
    /// number (rounding among subnormals is absolute). A NaN end gives
    /// [`Interval::WHOLE`]; an end that overflowed stays infinite, and an infinite
    /// end on the wrong side becomes the largest finite number (what a value that
    /// overflowed was at least).
    pub fn new(lo: f64, hi: f64) -> Interval {
        if lo.is_nan() || hi.is_nan() {
            return Interval::WHOLE;
        }
        Interval {
            lo: if lo.is_finite() {
                lo - lo.abs() * WIDEN - f64::MIN_POSITIVE
            } else {
                lo.min(f64::MAX)
            },
            hi: if hi.is_finite() {
                hi + hi.abs() * WIDEN + f64::MIN_POSITIVE
            } else {
                hi.max(f64::MIN)
            },
        }
    }

    /// Whether both ends are finite.
    pub fn finite(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }

    /// The part at or above `floor`, for a value known to be there (a duration at or
    /// above 0, which widening may have taken below).
    pub fn at_least(self, floor: f64) -> Interval {
        Interval {
            lo: self.lo.max(floor),
            hi: self.hi.max(floor),
        }
    }

    /// The single value `x`, exactly (a constant, not a computed result).
    pub fn point(x: f64) -> Interval {
        Interval { lo: x, hi: x }
    }

    /// Whether every value is above zero.
    pub fn positive(self) -> bool {
        self.lo > 0.0
    }

    /// The image under a nondecreasing `f`.
    pub fn increasing(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval::new(f(self.lo), f(self.hi))
    }

    /// The image under a nonincreasing `f`.
    pub fn decreasing(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval::new(f(self.hi), f(self.lo))
    }

    /// `self * k` for a constant `k`.
    pub fn scale(self, k: f64) -> Interval {
        self * Interval::point(k)
    }
}

impl Add for Interval {
    type Output = Interval;

    fn add(self, o: Interval) -> Interval {
        Interval::new(self.lo + o.lo, self.hi + o.hi)
    }
}

impl Sub for Interval {
    type Output = Interval;

    fn sub(self, o: Interval) -> Interval {
        Interval::new(self.lo - o.hi, self.hi - o.lo)
    }
}

impl Mul for Interval {
    type Output = Interval;

    fn mul(self, o: Interval) -> Interval {
        let p = [
            self.lo * o.lo,
            self.lo * o.hi,
            self.hi * o.lo,
            self.hi * o.hi,
        ];
        // 0 x infinity: no bound (f64::min and max would skip the NaN).
        if p.iter().any(|x| x.is_nan()) {
            return Interval::WHOLE;
        }
        Interval::new(
            p.iter().copied().fold(f64::INFINITY, f64::min),
            p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    }
}

impl Div for Interval {
    type Output = Interval;

    /// `self / o` for an `o` above zero (callers check [`Interval::positive`]).
    fn div(self, o: Interval) -> Interval {
        debug_assert!(o.positive(), "division by an interval reaching zero");
        self * Interval {
            lo: 1.0 / o.hi,
            hi: 1.0 / o.lo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_hold_every_combination_of_their_inputs() {
        let xs: [f64; 8] = [-3.5, -1.0, -1e-9, 0.0, 2e-7, 0.75, 4.0, 1e12];
        for &a in &xs {
            for &b in &xs {
                for &c in &xs {
                    for &d in &xs {
                        let (x, y) = (
                            Interval::new(a.min(b), a.max(b)),
                            Interval::new(c.min(d), c.max(d)),
                        );
                        for u in [a, b, 0.5 * (a + b)] {
                            for v in [c, d, 0.5 * (c + d)] {
                                let inside = |i: Interval, z: f64| i.lo <= z && z <= i.hi;
                                assert!(inside(x + y, u + v), "{u} + {v}");
                                assert!(inside(x - y, u - v), "{u} - {v}");
                                assert!(inside(x * y, u * v), "{u} * {v}");
                                if y.positive() {
                                    assert!(inside(x / y, u / v), "{u} / {v}");
                                }
                            }
                        }
                    }
                }
            }
        }
        // Broken computations give every real, never a NaN end that tests skip.
        for broken in [
            Interval::new(f64::NAN, 1.0),
            Interval::point(0.0) * Interval::point(f64::INFINITY),
            Interval::new(-1.0, 1.0).increasing(f64::sqrt),
        ] {
            assert_eq!(broken, Interval::WHOLE);
        }
        let overflowed = Interval::new(f64::INFINITY, f64::INFINITY);
        assert_eq!((overflowed.lo, overflowed.hi), (f64::MAX, f64::INFINITY));
        let e = Interval::new(0.5, 2.0).increasing(f64::exp);
        assert!(e.lo < 0.5f64.exp() && e.hi > 2.0f64.exp());
        let e = Interval::new(0.5, 2.0).decreasing(|x| (-x).exp());
        assert!(e.lo < (-2.0f64).exp() && e.hi > (-0.5f64).exp());
    }
}
