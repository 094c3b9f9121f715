//! Shared look of charts and reports: the colour-blind-safe palette (one colour per
//! funding model everywhere), sizes, the embedded font, and numbers written for people
//! in each language.

use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor, register_font};

use super::i18n::Lang;
use crate::metrics::{Metric, Unit};

/// Okabe-Ito palette, safe for the common colour-vision deficiencies.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(240, 228, 66),  // yellow
];

/// Colour of model `i` (models keep their colour in every chart).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// CSS hex of model `i`'s colour.
pub fn css_colour(i: usize) -> String {
    let RGBColor(r, g, b) = colour(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Chart width and height, pixels.
pub const SIZE: (u32, u32) = (1000, 560);
/// Title font size, pixels.
pub const TITLE: u32 = 24;
/// Axis label font size, pixels.
pub const LABEL: u32 = 15;

/// Registers the embedded DejaVu Sans as "sans-serif" once, so text renders on machines
/// with no fonts installed. Returns false if the font could not be registered.
pub fn register() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| {
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).is_ok()
    })
}

/// A number written in ASCII (`-1.5`) as `lang` writes it: French uses a decimal comma
/// and the minus sign U+2212 (`−1,5`).
fn decimal(lang: Lang, s: String) -> String {
    match lang {
        Lang::En => s,
        Lang::Fr => s.replace('.', ",").replace('-', "\u{2212}"),
    }
}

/// The minus sign of `lang`.
fn minus(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "-",
        Lang::Fr => "\u{2212}",
    }
}

/// Money for people, to three significant figures with trailing zeros dropped: $1.23M,
/// $40M, $350k, -$920 (`1,23 M$`, `40 M$` in French). The one money format of the
/// terminal, charts and reports.
pub fn money(lang: Lang, x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let sign = if x < 0.0 { minus(lang) } else { "" };
    let a = x.abs();
    let (scaled, unit) = if a >= 999.5e6 {
        (a / 1e9, ["B", " G"])
    } else if a >= 999.5e3 {
        (a / 1e6, ["M", " M"])
    } else if a >= 999.5 {
        (a / 1e3, ["k", " k"])
    } else {
        (a, ["", " "])
    };
    let num = significant(scaled);
    match lang {
        Lang::En => format!("{sign}${num}{}", unit[0]),
        // French keeps number and unit together with a no-break space.
        Lang::Fr => format!(
            "{sign}{}{}$",
            decimal(lang, num),
            unit[1].replace(' ', "\u{a0}")
        ),
    }
}

/// `x` (0 <= x < 1000) to three significant figures, trailing zeros dropped; whole
/// numbers below 1000 are written whole.
fn significant(x: f64) -> String {
    let digits = if x < 9.995 {
        2
    } else if x < 99.95 {
        1
    } else {
        0
    };
    let t = format!("{x:.digits$}");
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}

/// A metric value in its unit: money, a percentage, months or a count.
pub fn value(lang: Lang, metric: Metric, x: f64) -> String {
    match metric.kind() {
        Unit::Share => percent(lang, x, 1),
        Unit::Months | Unit::Count => number(lang, x, 1),
        Unit::Ratio => number(lang, x, 2),
        Unit::Index => number(lang, x, 0),
        Unit::Dollars => money(lang, x),
    }
}

/// A signed difference in the metric's unit (shares in percentage points): +$1.2M,
/// -3.1 pts, +0.4 (`+3,1 pts` in French).
pub fn diff(lang: Lang, metric: Metric, x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let sign = if x >= 0.0 { "+" } else { "" };
    if metric.kind() == Unit::Share {
        let n = decimal(lang, format!("{:.1}", 100.0 * x));
        let pts = match lang {
            Lang::En => " pts",
            Lang::Fr => "\u{a0}pts",
        };
        format!("{sign}{n}{pts}")
    } else {
        format!("{sign}{}", value(lang, metric, x))
    }
}

/// The day of an RFC 3339 time as people write it: December 2, 2026 (2 décembre
/// 2026; 1er for the first of a month). The text as given if it is not such a time.
pub fn date(lang: Lang, rfc3339: &str) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let parts: Vec<u32> = rfc3339
        .get(..10)
        .map(|d| d.split('-').filter_map(|p| p.parse().ok()).collect())
        .unwrap_or_default();
    let [year, month, day] = parts[..] else {
        return rfc3339.to_string();
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return rfc3339.to_string();
    }
    let m = (month - 1) as usize;
    match lang {
        Lang::En => format!("{} {day}, {year}", EN[m]),
        Lang::Fr if day == 1 => format!("1er {} {year}", FR[m]),
        Lang::Fr => format!("{day} {} {year}", FR[m]),
    }
}

/// A share as a percentage: 41% (41 % in French).
pub fn percent(lang: Lang, x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let n = decimal(lang, format!("{:.*}", digits, 100.0 * x));
    match lang {
        Lang::En => format!("{n}%"),
        Lang::Fr => format!("{n}\u{a0}%"),
    }
}

/// A plain number with `digits` decimals.
pub fn number(lang: Lang, x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    decimal(lang, format!("{x:.digits$}"))
}

/// `x` rounded to `n` significant figures (an estimate such as a break-even, whose
/// further digits are noise): 54.7229 to 54.7, 272_345 to 272_000.
pub fn rounded(x: f64, n: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(n - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// A number with `digits` decimals and its sign: +1.5, −0.3 (U+2212), 0.0.
pub fn signed_number(lang: Lang, x: f64, digits: usize) -> String {
    let n = number(lang, x, digits);
    if x.is_finite() && x > 0.0 && n.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{n}")
    } else {
        n
    }
}

/// A whole number with grouped thousands: 1,024 (1 024 in French, with a narrow
/// no-break space).
pub fn whole(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::En => ',',
        Lang::Fr => '\u{202f}',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A scenario field's value as a person reads it, compactly (chart ticks and labels):
/// money for dollar fields ([`crate::scenario::is_dollars`]: `$250k`, `$40M`), other
/// numbers with at most four decimals and no trailing zeros (`1`, `0.625`, `20190502`).
pub fn parameter(lang: Lang, path: &str, x: f64) -> String {
    // An infinite setting switches a mechanism off (`signal_noise = inf`): it reads
    // as infinity, not as a missing value.
    if x.is_infinite() {
        return if x > 0.0 {
            "∞".into()
        } else {
            format!("{}∞", minus(lang))
        };
    }
    if x.is_nan() {
        return "–".into();
    }
    if crate::scenario::is_dollars(path) {
        return money(lang, x);
    }
    let t = format!("{x:.4}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    decimal(lang, if t == "-0" { "0".into() } else { t.into() })
}

/// As [`parameter`], but exact: a dollar amount that the compact form would round
/// (`$100,400`, not `$100k`) is written in full, so neighbouring sweep points stay
/// distinct. Text (a choice such as `rank`) is kept as it is.
pub fn parameter_text(lang: Lang, path: &str, v: &str) -> String {
    let Ok(x) = v.parse::<f64>() else {
        return choice_text(lang, path, v);
    };
    let compact = parameter(lang, path, x);
    if !crate::scenario::is_dollars(path) || !x.is_finite() {
        return compact;
    }
    let a = x.abs();
    let unit = if a >= 1e9 {
        1e8
    } else if a >= 1e6 {
        1e5
    } else if a >= 1e3 {
        1e3
    } else {
        1.0
    };
    if (x / unit).round() * unit == x {
        return compact;
    }
    // Whole dollars with grouped thousands.
    let grouped = whole(lang, a.round() as u64);
    let sign = if x < 0.0 { minus(lang) } else { "" };
    match lang {
        Lang::En => format!("{sign}${grouped}"),
        Lang::Fr => format!("{sign}{grouped}\u{a0}$"),
    }
}

/// A word-valued field's value as people read it ("best value per dollar first" for
/// `selection = "rank"`, "yes" for `true`), from the message files; the value as
/// written when they have no words for it.
fn choice_text(lang: Lang, path: &str, v: &str) -> String {
    let field = path.rsplit('.').next().unwrap_or(path);
    let key = format!("choice-{field}-{v}");
    if lang.has(&key) {
        return lang.t(&key).to_string();
    }
    let key = format!("choice-{v}");
    if (v == "true" || v == "false") && lang.has(&key) {
        return lang.t(&key).to_string();
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_keep_three_significant_figures() {
        assert_eq!(rounded(54.7229, 3), 54.7);
        assert_eq!(rounded(272_345.0, 3), 272_000.0);
        assert_eq!(rounded(-0.012_345, 3), -0.0123);
        assert_eq!(rounded(0.0, 3), 0.0);
    }

    #[test]
    fn signed_numbers_show_their_sign_in_both_languages() {
        // A waste difference of +1.2 points must not read as a saving of 1.2.
        assert_eq!(signed_number(Lang::En, 1.24, 1), "+1.2");
        assert_eq!(signed_number(Lang::Fr, 1.24, 1), "+1,2");
        assert_eq!(signed_number(Lang::En, -0.5, 1), "-0.5");
        assert_eq!(signed_number(Lang::Fr, -0.5, 1), "\u{2212}0,5");
        assert_eq!(signed_number(Lang::En, 0.01, 1), "0.0");
    }

    #[test]
    fn parameters_read_as_written_with_money_for_dollar_fields() {
        assert_eq!(parameter(Lang::En, "models.x.hurdle", 1.0), "1");
        assert_eq!(parameter(Lang::Fr, "vendors.markup", 0.625), "0,625");
        assert_eq!(
            parameter(Lang::En, "ideas.fit_probability", 0.41254),
            "0.4125"
        );
        assert_eq!(
            parameter(Lang::En, "simulation.seed", 20190502.0),
            "20190502"
        );
        assert_eq!(
            parameter(Lang::En, "models.x.gate_review_cost", 250_000.0),
            "$250k"
        );
        assert_eq!(parameter(Lang::Fr, "fund.budget", 4e7), "40\u{a0}M$");
        assert_eq!(parameter(Lang::En, "x.y", -0.00001), "0");
        // Exact where the compact form would merge neighbouring values.
        assert_eq!(parameter_text(Lang::En, "fund.budget", "40000000"), "$40M");
        assert_eq!(
            parameter_text(Lang::En, "fund.budget", "100400"),
            "$100,400"
        );
        assert_eq!(
            parameter_text(Lang::Fr, "fund.budget", "100400"),
            "100\u{202f}400\u{a0}$"
        );
        assert_eq!(
            parameter_text(Lang::En, "simulation.seed", "1000001"),
            "1000001"
        );
        // A mechanism switched off reads as infinity; an undefined value as a dash.
        assert_eq!(
            parameter_text(Lang::En, "risk.requirements_half_life_months", "inf"),
            "∞"
        );
        assert_eq!(parameter(Lang::Fr, "x", f64::NEG_INFINITY), "\u{2212}∞");
        assert_eq!(parameter(Lang::En, "x", f64::NAN), "–");
        // Words are read as words, in each language; unknown words stay as written.
        assert_eq!(
            parameter_text(Lang::En, "models.x.selection", "rank"),
            "best value per dollar first"
        );
        assert_eq!(
            parameter_text(Lang::Fr, "models.x.reserve", "next_stage"),
            "réserve pour l’étape suivante"
        );
        assert_eq!(
            parameter_text(Lang::Fr, "models.x.stages.1.recompete", "true"),
            "oui"
        );
        assert_eq!(
            parameter_text(Lang::En, "models.x.selection", "lottery"),
            "lottery"
        );
    }

    /// Every word a word-valued field of a scenario accepts has its reading in both
    /// languages, so no sweep over it shows a raw value.
    #[test]
    fn every_word_value_has_a_reading() {
        let mut missing = Vec::new();
        let fields = &crate::scenario::fields::fields().words;
        assert!(fields.iter().any(|(f, _)| f.ends_with(".selection")));
        // Role is how the comparison is set up, never a value to sweep.
        for (field, words) in fields.iter().filter(|(f, _)| !f.ends_with(".role")) {
            for w in words {
                for lang in Lang::ALL {
                    if choice_text(lang, field, w) == *w {
                        missing.push(format!("{lang:?} {field} = {w}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no reading for {missing:?}");
    }

    #[test]
    fn numbers_read_naturally_in_both_languages() {
        assert_eq!(money(Lang::En, 1_234_000.0), "$1.23M");
        assert_eq!(money(Lang::Fr, 1_234_000.0), "1,23\u{a0}M$");
        assert_eq!(money(Lang::En, -350_400.0), "-$350k");
        assert_eq!(money(Lang::En, 40e6), "$40M");
        assert_eq!(money(Lang::En, 12_345.0), "$12.3k");
        assert_eq!(money(Lang::En, 999_999.0), "$1M");
        assert_eq!(money(Lang::En, 2.5e9), "$2.5B");
        assert_eq!(money(Lang::En, 920.4), "$920");
        assert_eq!(money(Lang::En, f64::NAN), "–");
        assert_eq!(diff(Lang::En, Metric::NetValue, 2e6), "+$2M");
        assert_eq!(
            diff(Lang::Fr, Metric::WasteShare, -0.031),
            "\u{2212}3,1\u{a0}pts"
        );
        assert_eq!(money(Lang::Fr, -350_400.0), "\u{2212}350\u{a0}k$");
        assert_eq!(number(Lang::Fr, -2.26, 1), "\u{2212}2,3");
        assert_eq!(value(Lang::En, Metric::MonthsToFirstValue, 7.26), "7.3");
        assert_eq!(percent(Lang::En, 0.413, 0), "41%");
        assert_eq!(percent(Lang::Fr, 0.4138, 1), "41,4\u{a0}%");
        assert_eq!(whole(Lang::En, 1024), "1,024");
        assert_eq!(whole(Lang::Fr, 1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(whole(Lang::En, 500), "500");
        assert_eq!(
            date(Lang::En, "2026-12-02T00:25:58.965Z"),
            "December 2, 2026"
        );
        assert_eq!(
            date(Lang::Fr, "2026-12-02T00:25:58.965Z"),
            "2 décembre 2026"
        );
        assert_eq!(date(Lang::Fr, "2027-01-01T09:00:00Z"), "1er janvier 2027");
        assert_eq!(date(Lang::En, ""), "");
        assert_eq!(date(Lang::En, "2026-13-01"), "2026-13-01");
        assert!(register());
    }
}
