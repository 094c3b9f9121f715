//! Every word the charts and reports show, in English and French, read from one
//! Fluent message file per language (`locales/<code>.ftl`, embedded in the binary) with
//! named arguments. The files have the same keys and, per key, the same arguments (a
//! test checks). A key missing from a file is a bug: debug builds (every test) panic
//! on it, release builds show the key.

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub use crate::model::Lang;

/// One language's messages: the Fluent bundle (for messages with arguments) and every
/// message without arguments formatted once (so lookups hand out `&'static str`).
struct Catalog {
    bundle: FluentBundle<FluentResource>,
    /// Keys in file order.
    keys: Vec<String>,
    plain: HashMap<String, String>,
}

/// The message file of a language.
fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("locales/en.ftl"),
        Lang::Fr => include_str!("locales/fr.ftl"),
    }
}

/// The keys of a message file in order: every line `key = ...` (the files hold one
/// message per line; comments start with `#`).
fn file_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, _)| k.trim())
        .filter(|k| {
            k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .map(str::to_string)
        .collect()
}

fn catalog(lang: Lang) -> &'static Catalog {
    static CATALOGS: [OnceLock<Catalog>; Lang::ALL.len()] = [OnceLock::new(), OnceLock::new()];
    let index = Lang::ALL.iter().position(|&l| l == lang).unwrap_or(0);
    CATALOGS[index].get_or_init(|| build(lang))
}

fn build(lang: Lang) -> Catalog {
    let text = source(lang);
    // The files are part of the binary and parsed by a test, so an error here is a
    // build mistake: keep what parsed (release) rather than stop a finished run.
    let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(r, errors)| {
        debug_assert!(errors.is_empty(), "{}.ftl: {errors:?}", lang.code());
        r
    });
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: the pages and charts are
    // left-to-right and the marks would show as boxes in PNG text.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        debug_assert!(errors.is_empty(), "{}.ftl: {errors:?}", lang.code());
    }
    let keys = file_keys(text);
    let mut plain = HashMap::new();
    for k in &keys {
        if let Some(pattern) = bundle.get_message(k).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            let s = bundle.format_pattern(pattern, None, &mut errors);
            // Messages with arguments report them missing here; only plain ones stay.
            if errors.is_empty() {
                plain.insert(k.clone(), s.into_owned());
            }
        }
    }
    Catalog {
        bundle,
        keys,
        plain,
    }
}

/// A key the message files lack: a bug, caught by any test that renders it.
fn missing(lang: Lang, key: &str) {
    if cfg!(debug_assertions) {
        panic!("message `{key}` is missing from {}.ftl", lang.code());
    }
}

impl Lang {
    /// The message `key`, which takes no arguments.
    pub fn t(self, key: &str) -> &'static str {
        match catalog(self).plain.get(key) {
            Some(s) => s,
            None => {
                missing(self, key);
                // Release builds show the key rather than stop a finished run (the
                // leak happens only for this bug).
                Box::leak(key.to_string().into_boxed_str())
            }
        }
    }

    /// The message `key` with its named arguments, each already formatted for the
    /// language (`("model", "Waterfall")` fills `{ $model }`).
    pub fn msg(self, key: &str, args: &[(&str, &str)]) -> String {
        let c = catalog(self);
        let Some(pattern) = c.bundle.get_message(key).and_then(|m| m.value()) else {
            missing(self, key);
            return key.to_string();
        };
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, FluentValue::from(*value));
        }
        let mut errors = Vec::new();
        let s = c.bundle.format_pattern(pattern, Some(&fluent), &mut errors);
        if cfg!(debug_assertions) && !errors.is_empty() {
            panic!("message `{key}` of {}.ftl: {errors:?}", self.code());
        }
        s.into_owned()
    }

    /// Display name of a metric (`m_<name>` in the files; a test checks that every
    /// metric has one in every language).
    pub fn metric(self, m: crate::metrics::Metric) -> &'static str {
        self.t(&format!("m_{}", m.name()))
    }

    /// The metric's name inside a sentence ("the difference in net value"): the
    /// name with its first letter in lower case.
    pub fn metric_in_sentence(self, m: crate::metrics::Metric) -> String {
        let name = self.metric(m);
        let mut c = name.chars();
        c.next()
            .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
    }

    /// Keys of this language's message file, in file order.
    pub fn keys(self) -> Vec<&'static str> {
        catalog(self).keys.iter().map(String::as_str).collect()
    }

    /// Human label of the scenario field at dotted `path` (`field-<path with '.' as
    /// '-'>` in the files; in a model's fields the model key and a stage index are
    /// `any` there and fill `{ $model }` and `{ $stage }`, the stage as "stage 3"); the
    /// path itself if there is none.
    pub fn field(self, path: &str) -> String {
        self.field_in(path, None)
    }

    /// As [`Lang::field`], with stages named as in `scenario` ("beta", not "stage 3").
    pub fn field_in(self, path: &str, scenario: Option<&crate::model::Scenario>) -> String {
        self.field_label(path, scenario)
            .unwrap_or_else(|| path.to_string())
    }

    /// The label of `path`, if the files have one.
    fn field_label(self, path: &str, scenario: Option<&crate::model::Scenario>) -> Option<String> {
        let key = |path: &str| format!("field-{}", path.replace('.', "-"));
        let direct = key(path);
        if self.has(&direct) {
            return Some(self.t(&direct).to_string());
        }
        let parts: Vec<&str> = path.split('.').collect();
        // A model by its label in this language, as everywhere else people read it (the
        // key when there is no scenario to look it up in).
        let model_name = |key: &str| {
            scenario
                .and_then(|s| s.models.iter().find(|m| m.name == key))
                .map_or_else(|| key.to_string(), |m| m.label.get(self).to_string())
        };
        match parts.as_slice() {
            ["models", model, "stages", j, field] => {
                let k = key(&format!("models.any.stages.any.{field}"));
                let index: usize = j.parse().ok()?;
                if !self.has(&k) {
                    return None;
                }
                let named = scenario
                    .and_then(|s| s.models.iter().find(|m| m.name == *model))
                    .and_then(|m| m.stages.get(index))
                    .map(|st| st.name.get(self).to_string());
                let stage = named.unwrap_or_else(|| {
                    self.msg("field-stage", &[("number", &(index + 1).to_string())])
                });
                Some(self.msg(&k, &[("model", &model_name(model)), ("stage", &stage)]))
            }
            ["models", model, field] => {
                let k = key(&format!("models.any.{field}"));
                self.has(&k)
                    .then(|| self.msg(&k, &[("model", &model_name(model))]))
            }
            [.., param] if parts.len() > 1 => {
                // A distribution's parameter: "Value of an idea: median".
                let parent = &path[..path.len() - param.len() - 1];
                let param_key = format!("field-dist-{param}");
                if !crate::scenario::fields::is_distribution(parent) || !self.has(&param_key) {
                    return None;
                }
                let whole = self.field_label(parent, scenario)?;
                Some(self.msg(
                    "field-dist",
                    &[("field", &whole), ("param", self.t(&param_key))],
                ))
            }
            _ => None,
        }
    }

    /// Whether the message file has `key`.
    pub fn has(self, key: &str) -> bool {
        catalog(self).keys.iter().any(|k| k == key)
    }
}

/// The named arguments (`{ $name }`) of a message, sorted, from its file text.
#[cfg(test)]
fn arguments(lang: Lang, key: &str) -> Vec<String> {
    let line = source(lang)
        .lines()
        .find(|l| l.split_once(" = ").is_some_and(|(k, _)| k.trim() == key))
        .unwrap_or_default();
    let mut names: Vec<String> = line
        .split("{ $")
        .skip(1)
        .filter_map(|s| s.split_once(' ').map(|(n, _)| n.to_string()))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_label_in_every_language() {
        // A metric added or renamed without a label would show its column name (or,
        // read by name, nothing) in the leadership report.
        for lang in Lang::ALL {
            for &m in crate::metrics::Metric::ALL {
                let key = format!("m_{}", m.name());
                assert!(
                    lang.has(&key),
                    "{lang:?} has no label {key} for metric {}",
                    m.name()
                );
            }
        }
    }

    #[test]
    fn every_file_parses_and_has_the_same_keys_and_arguments() {
        let en = Lang::En.keys();
        for lang in Lang::ALL {
            let errors = match FluentResource::try_new(source(lang).to_string()) {
                Ok(_) => Vec::new(),
                Err((_, e)) => e,
            };
            assert!(errors.is_empty(), "{}.ftl: {errors:?}", lang.code());
            assert_eq!(
                lang.keys(),
                en,
                "{}.ftl must list the keys of en.ftl in the same order",
                lang.code()
            );
            for k in &en {
                assert_eq!(
                    arguments(lang, k),
                    arguments(Lang::En, k),
                    "{}.ftl: `{k}` takes other arguments than in en.ftl",
                    lang.code()
                );
            }
        }
        let mut sorted = en.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), en.len(), "duplicate keys");
        // The line-by-line reading of the files sees every message Fluent sees: one
        // message per line, nothing else but comments and blank lines.
        for lang in Lang::ALL {
            for (n, line) in source(lang).lines().enumerate() {
                let kept = line.is_empty() || line.starts_with('#') || !file_keys(line).is_empty();
                assert!(
                    kept,
                    "{}.ftl line {}: not `key = text`: {line}",
                    lang.code(),
                    n + 1
                );
            }
            for k in lang.keys() {
                assert!(catalog(lang).bundle.has_message(k), "{k}");
            }
        }
    }

    #[test]
    fn every_field_of_the_fund_has_a_label_in_both_languages() {
        // Every lever and assumption, with a model key and a stage index filled in.
        for f in &crate::scenario::fields::fields().numeric {
            if f.kind.is_none() {
                continue;
            }
            let path = f.path.replacen('*', "m", 1).replace('*', "0");
            for lang in Lang::ALL {
                let label = lang.field(&path);
                assert_ne!(label, path, "{lang:?} has no label for {}", f.path);
            }
        }
        assert_eq!(
            Lang::En.field("models.stage_gated.stages.2.hurdle"),
            "stage_gated, stage 3: entry hurdle (value / cost)"
        );
        assert_eq!(
            Lang::Fr.field("ideas.value.median"),
            "Valeur d’une idée\u{202f}: médiane"
        );
        assert_eq!(Lang::Fr.field("no.such.field"), "no.such.field");
    }

    #[test]
    fn named_arguments_fill_their_places_in_any_order() {
        let s = Lang::En.msg("bottom_single", &[("unused", "x"), ("model", "Waterfall")]);
        assert!(s.contains("one funding model, Waterfall:"), "{s}");
        assert!(!s.contains('\u{2068}'), "no isolation marks: {s:?}");
    }

    #[test]
    #[should_panic(expected = "missing")]
    fn a_missing_key_fails_in_tests() {
        let _ = Lang::Fr.t("no_such_message");
    }

    #[test]
    #[should_panic(expected = "model")]
    fn a_missing_argument_fails_in_tests() {
        let _ = Lang::En.msg("bottom_single", &[]);
    }

    #[test]
    fn french_follows_french_typography() {
        // A narrow no-break space before : ; ? ! and », and after «; a no-break space
        // before %; one apostrophe (’). A plain space there lets a browser break the
        // line before the colon.
        for k in Lang::Fr.keys() {
            let v = source(Lang::Fr)
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k} = ")))
                .unwrap_or_default();
            let chars: Vec<char> = v.chars().collect();
            for (i, w) in chars.windows(2).enumerate() {
                let bad_before = matches!(w[1], ':' | ';' | '?' | '!' | '»') && w[0] != '\u{202f}';
                let bad_after = w[0] == '«' && w[1] != '\u{202f}';
                let bad_percent = w[1] == '%' && matches!(w[0], ' ' | '\u{202f}');
                assert!(
                    !(bad_before || bad_after || bad_percent),
                    "{k}: `{}` at character {i} of {v:?}",
                    w.iter().collect::<String>()
                );
            }
            assert!(!v.contains('\''), "{k}: write ’, not ', in {v:?}");
        }
    }
}
