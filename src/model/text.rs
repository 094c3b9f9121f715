//! Text people read, in both official languages: the output languages, and scenario
//! text (names, descriptions, labels, stage names, the classification line) given in
//! English and optionally in French.

use std::fmt;

/// A language budgetsim writes reports and charts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// Scenario text in English, and in French when the scenario gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    en: String,
    fr: Option<String>,
}

impl Text {
    /// The same text in every language (a plain string in a scenario file).
    pub fn plain(s: impl Into<String>) -> Text {
        Text {
            en: s.into(),
            fr: None,
        }
    }

    /// English and French.
    pub fn both(en: impl Into<String>, fr: Option<String>) -> Text {
        Text { en: en.into(), fr }
    }

    /// The English text (also the identifier where one is needed, e.g. stage names
    /// in stages.csv).
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The text in `lang`; French falls back to the English when none was given
    /// ([`Text::lacks`] says when).
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Fr => self.fr.as_deref().unwrap_or(&self.en),
        }
    }

    /// Whether the text has no version of its own in `lang` (so a French report would
    /// show the English). Empty text needs no translation.
    pub fn lacks(&self, lang: Lang) -> bool {
        match lang {
            Lang::En => false,
            Lang::Fr => self.fr.is_none() && !self.en.is_empty(),
        }
    }

    /// Whether there is no text at all.
    pub fn is_empty(&self) -> bool {
        self.en.is_empty()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::plain(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::plain(s)
    }
}

impl fmt::Display for Text {
    /// The English text (terminal output and logs are in English).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_falls_back_to_english_and_says_so() {
        let label = Text::both("Stage-gated", Some("Par étapes".into()));
        assert_eq!(label.get(Lang::Fr), "Par étapes");
        assert!(!label.lacks(Lang::Fr));
        let plain = Text::plain("Waterfall");
        assert_eq!(plain.get(Lang::Fr), "Waterfall");
        assert!(plain.lacks(Lang::Fr) && !plain.lacks(Lang::En));
        assert!(!Text::plain("").lacks(Lang::Fr));
        assert_eq!(plain.to_string(), "Waterfall");
    }
}
