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
    /// `[lo, hi]` widened outward (NaN ends stay NaN, and make every later test fail).
    pub fn new(lo: f64, hi: f64) -> Interval {
        Interval {
            lo: lo - lo.abs() * WIDEN - f64::MIN_POSITIVE,
            hi: hi + hi.abs() * WIDEN + f64::MIN_POSITIVE,
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
        let e = Interval::new(0.5, 2.0).increasing(f64::exp);
        assert!(e.lo < 0.5f64.exp() && e.hi > 2.0f64.exp());
        let e = Interval::new(0.5, 2.0).decreasing(|x| (-x).exp());
        assert!(e.lo < (-2.0f64).exp() && e.hi > (-0.5f64).exp());
    }
}
