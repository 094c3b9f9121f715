//! Number formatting for people: money as $1.2M or $350k, shares as percentages.

use crate::metrics::{Metric, Unit};

/// Money in compact form: $1.2B, $3.4M, $350k, $920.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let body = if a >= 1e9 {
        format!("{:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", a / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", a / 1e3)
    } else {
        format!("{a:.0}")
    };
    format!("{sign}${body}")
}

/// A metric value in its unit.
pub fn value(m: Metric, x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    match m.kind() {
        Unit::Dollars => money(x),
        Unit::Share => format!("{:.1}%", 100.0 * x),
        Unit::Months => format!("{x:.1} mo"),
        Unit::Count => format!("{x:.1}"),
        Unit::Index => format!("{x:.0}"),
        Unit::Ratio => format!("{x:.2}"),
    }
}

/// A signed difference in the metric's unit (shares in percentage points).
pub fn diff(m: Metric, x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let sign = if x >= 0.0 { "+" } else { "" };
    if m.kind() == Unit::Share {
        format!("{sign}{:.1} pts", 100.0 * x)
    } else {
        format!("{sign}{}", value(m, x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_like_a_briefing() {
        assert_eq!(money(1_234_000.0), "$1.23M");
        assert_eq!(money(350_400.0), "$350k");
        assert_eq!(money(-2.5e9), "-$2.50B");
        assert_eq!(money(12.0), "$12");
        assert_eq!(value(Metric::WasteShare, 0.413), "41.3%");
        assert_eq!(diff(Metric::WasteShare, -0.05), "-5.0 pts");
        assert_eq!(diff(Metric::NetValue, 2e6), "+$2.00M");
    }
}
