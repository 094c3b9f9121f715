//! Shared look of charts and reports: the colour-blind-safe palette (one colour per
//! funding model everywhere), sizes, the embedded font, and numbers written for people
//! in each language.

use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor, register_font};

use super::i18n::Lang;

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

fn decimal(lang: Lang, s: String) -> String {
    match lang {
        Lang::En => s,
        Lang::Fr => s.replace('.', ","),
    }
}

/// Money for people: $1.2M, 350k$ ... (`1,2 M$` in French).
pub fn money(lang: Lang, x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let (num, unit) = if a >= 1e9 {
        (format!("{:.1}", a / 1e9), ["B", " G"])
    } else if a >= 1e6 {
        (format!("{:.1}", a / 1e6), ["M", " M"])
    } else if a >= 1e3 {
        (format!("{:.0}", a / 1e3), ["k", " k"])
    } else {
        (format!("{a:.0}"), ["", " "])
    };
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

/// A scenario parameter's value as a person writes it: money from $100k up (every
/// scenario field that large is in dollars), otherwise the number with at most four
/// decimals and no trailing zeros (`250000.0` becomes `$250k`, `1.0` becomes `1`).
pub fn parameter(lang: Lang, x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.abs() >= 1e5 {
        return money(lang, x);
    }
    let t = format!("{x:.4}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    decimal(lang, if t == "-0" { "0".into() } else { t.into() })
}

/// A swept value read back from a CSV field: numbers through [`parameter`], text
/// (a choice such as `rank`) as it is.
pub fn parameter_text(lang: Lang, v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) => parameter(lang, x),
        Err(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_as_written_with_money_from_100k() {
        assert_eq!(parameter(Lang::En, 1.0), "1");
        assert_eq!(parameter(Lang::Fr, 0.625), "0,625");
        assert_eq!(parameter(Lang::En, 0.41254), "0.4125");
        assert_eq!(parameter(Lang::En, 36.0), "36");
        assert_eq!(parameter(Lang::En, 250_000.0), "$250k");
        assert_eq!(parameter(Lang::Fr, 4e7), "40,0\u{a0}M$");
        assert_eq!(parameter_text(Lang::En, "40000000"), "$40.0M");
        assert_eq!(parameter_text(Lang::En, "rank"), "rank");
        assert_eq!(parameter(Lang::En, -0.00001), "0");
    }

    #[test]
    fn numbers_read_naturally_in_both_languages() {
        assert_eq!(money(Lang::En, 1_234_000.0), "$1.2M");
        assert_eq!(money(Lang::Fr, 1_234_000.0), "1,2\u{a0}M$");
        assert_eq!(money(Lang::En, -350_400.0), "-$350k");
        assert_eq!(percent(Lang::En, 0.413, 0), "41%");
        assert_eq!(percent(Lang::Fr, 0.4138, 1), "41,4\u{a0}%");
        assert!(register());
    }
}
