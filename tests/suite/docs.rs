//! The documentation keeps up with the code: every metric is defined in docs/model.md,
//! and the README gives the two commands a newcomer needs.

use budgetsim::metrics::Metric;

fn read(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_metric_is_defined_in_the_model_doc() {
    let doc = read("docs/model.md");
    for m in Metric::ALL {
        assert!(
            doc.contains(&format!("| {} |", m.name())),
            "docs/model.md lacks a row for {}",
            m.name()
        );
    }
}

#[test]
fn readme_gives_the_run_and_test_commands() {
    let readme = read("README.md");
    assert!(readme.contains("cargo run --release"));
    assert!(readme.contains("cargo test"));
    let ci = read(".ci/run");
    assert!(ci.contains("cargo test") && ci.contains("cargo fmt --check") && ci.contains("clippy"));
}

#[test]
fn readme_shows_the_committed_headline_chart() {
    let readme = read("README.md");
    assert!(readme.contains("](docs/headline.png)"));
    let png = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/headline.png");
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "docs/headline.png is not a PNG"
    );
}
