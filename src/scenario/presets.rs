//! The shipped scenarios, embedded in the binary so that `budgetsim run us-10x` works
//! wherever budgetsim is installed: each is addressable by its name (the file stem), a
//! file of that name on disk wins, and an embedded preset's `extends` reaches the
//! embedded parent.

use std::path::Path;

/// One shipped scenario.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// Its name: the file stem in scenarios/.
    pub name: &'static str,
    /// The file's text.
    pub text: &'static str,
}

/// A shipped scenario named by its file stem in scenarios/.
macro_rules! preset {
    ($name:literal) => {
        Preset {
            name: $name,
            text: include_str!(concat!("../../scenarios/", $name, ".toml")),
        }
    };
}

/// Every shipped scenario, the default first.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "default",
        text: super::DEFAULT_SCENARIO,
    },
    preset!("cds-accelerator"),
    preset!("low-uncertainty"),
    preset!("sweep-gate-hurdle"),
    preset!("uk-govtech-catalyst"),
    preset!("us-10x"),
    preset!("waterfall-baseline"),
];

/// Marks the label of an embedded scenario (`scenarios/us-10x.toml (embedded)`).
const EMBEDDED: &str = " (embedded)";

impl Preset {
    /// The label its diagnostics and manifests carry.
    pub fn label(&self) -> String {
        format!("scenarios/{}.toml{EMBEDDED}", self.name)
    }
}

/// The preset called `name` (with or without `.toml`, with or without a `scenarios/`
/// folder in front).
pub fn find(name: &str) -> Option<&'static Preset> {
    let stem = Path::new(name).file_stem()?.to_str()?;
    let folder = Path::new(name)
        .parent()
        .and_then(Path::to_str)
        .unwrap_or("");
    if !(folder.is_empty() || folder == "scenarios") {
        return None;
    }
    PRESETS.iter().find(|p| p.name == stem)
}

/// Whether `label` names an embedded scenario.
pub fn is_embedded(label: &str) -> bool {
    label.ends_with(EMBEDDED)
}

/// The names of the presets, for messages.
pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first line of a preset's English description (or its name), for `presets`.
pub fn summary(p: &Preset) -> String {
    let table: toml::Table = match toml::from_str(p.text) {
        Ok(t) => t,
        Err(_) => return String::new(),
    };
    let text = |key: &str| {
        table.get(key).and_then(|v| match v {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Table(t) => t.get("en").and_then(|s| s.as_str()).map(str::to_string),
            _ => None,
        })
    };
    text("description")
        .filter(|d| !d.is_empty())
        .or_else(|| text("name"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_is_embedded_as_it_is_on_disk() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                if p.extension()? != "toml" {
                    return None;
                }
                Some(p.file_stem()?.to_string_lossy().into_owned())
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = PRESETS.iter().map(|p| p.name.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "scenarios/ and PRESETS differ");
        for p in PRESETS {
            let text = std::fs::read_to_string(dir.join(format!("{}.toml", p.name))).unwrap();
            assert_eq!(text, p.text, "{} differs from its file", p.name);
        }
    }

    #[test]
    fn presets_are_found_by_name_with_or_without_extension() {
        assert_eq!(find("us-10x").map(|p| p.name), Some("us-10x"));
        assert_eq!(find("us-10x.toml").map(|p| p.name), Some("us-10x"));
        assert_eq!(
            find("scenarios/us-10x.toml").map(|p| p.name),
            Some("us-10x")
        );
        assert!(find("elsewhere/us-10x.toml").is_none());
        assert!(find("nope").is_none());
    }
}
