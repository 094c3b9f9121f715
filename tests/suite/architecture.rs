//! Data flows one way: scenario -> engine -> analysis -> export and report -> app. A
//! module that reaches back up (export calling the report, the engine reading the
//! analysis) makes a cycle that every later change has to work around.

use std::path::Path;

/// Every `crate::` path used below `src/<module>` (file or folder).
fn uses(module: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let file = root.join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut stack = vec![root.join(module)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    assert!(!files.is_empty(), "no source for module {module}");
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((f.display().to_string(), name));
        }
    }
    out
}

#[test]
fn no_module_reaches_back_up_the_data_flow() {
    let rules: &[(&str, &[&str])] = &[
        (
            "model",
            &[
                "scenario", "engine", "analysis", "export", "report", "app", "cli",
            ],
        ),
        (
            "scenario",
            &["engine", "analysis", "export", "report", "app", "cli"],
        ),
        ("engine", &["analysis", "export", "report", "app", "cli"]),
        ("analysis", &["export", "report", "app", "cli"]),
        ("export", &["report", "app", "cli"]),
        ("report", &["app", "cli"]),
    ];
    let mut wrong = Vec::new();
    for (module, forbidden) in rules {
        for (file, used) in uses(module) {
            if forbidden.contains(&used.as_str()) {
                wrong.push(format!("{file} uses crate::{used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
