//! Both reports of a run, a sweep, an explain and a sensitivity folder open in
//! headless Chromium with no console errors, page errors or
//! network requests, and render a page that is not blank. Needs Debian's chromium and
//! playwright-core (`npm ci --prefix .ci/browser`); `.ci/run` installs both and sets
//! BUDGETSIM_REQUIRE_BROWSER=1, so there the test cannot be skipped.

use std::path::Path;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// Share of pixels that are not near-white, and number of distinct colours.
fn ink(png_path: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let mut inked = 0usize;
    let n = px.len() / channels;
    for p in px.chunks(channels) {
        if p[..3].iter().any(|&c| c < 235) {
            inked += 1;
        }
        colours.insert((p[0] >> 3, p[1] >> 3, p[2] >> 3));
    }
    (inked as f64 / n as f64, colours.len())
}

#[test]
fn reports_load_in_headless_chromium_and_are_not_blank() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/browser");
    let ready = chromium().is_some() && dir.join("node_modules/playwright-core").is_dir();
    if !ready {
        assert!(
            std::env::var_os("BUDGETSIM_REQUIRE_BROWSER").is_none(),
            "chromium and .ci/browser/node_modules are required here (see .ci/run)"
        );
        eprintln!("skipped: needs /usr/bin/chromium and `npm ci --prefix .ci/browser`");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args([
            "run",
            "--quiet",
            "--portfolios",
            "200",
            "--sensitivity",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sweep = tmp.path().join("sweep");
    let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args([
            "run",
            "--quiet",
            "--portfolios",
            "100",
            "--sweep",
            "models.stage_gated.hurdle=0.8,1.2",
            "--sweep",
            "vendors.markup=0.2,0.4",
            "--out",
            sweep.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The study folders: explain and sensitivity.
    let (explained, studied) = (tmp.path().join("explain"), tmp.path().join("sensitivity"));
    for (verb, folder, n) in [
        ("explain", &explained, "5"),
        ("sensitivity", &studied, "10"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_budgetsim"))
            .args([
                verb,
                "--quiet",
                "--portfolios",
                n,
                "--out",
                folder.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{verb}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let reports: Vec<std::path::PathBuf> = [&out, &sweep, &explained, &studied]
        .iter()
        .flat_map(|d| [d.join("report.html"), d.join("report.fr.html")])
        .collect();
    let o = Command::new("node")
        .arg(dir.join("check.mjs"))
        .arg(tmp.path())
        .args(&reports)
        .output()
        .expect("node must be installed to run the browser check");
    assert!(
        o.status.success(),
        "browser check failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), reports.len());
    for line in lines {
        let file = line["file"].as_str().unwrap();
        let problems = line["problems"].as_array().unwrap();
        assert!(problems.is_empty(), "{file}: {problems:?}");
        // The decision page of a run report prints on one sheet of A4 and of Letter,
        // in both languages.
        if file.contains("/run/") {
            for format in ["a4", "letter"] {
                assert_eq!(
                    line["decision_pages"][format].as_u64(),
                    Some(1),
                    "{file}: the decision page takes more than one {format} sheet"
                );
            }
        }
        // Nothing pushes the page sideways on a 375 px phone screen.
        assert_eq!(
            line["phone_overflow"].as_i64(),
            Some(0),
            "{file}: wider than a phone screen"
        );
        let shot = Path::new(line["screenshot"].as_str().unwrap());
        let (share, colours) = ink(shot);
        assert!(
            share > 0.05 && colours > 20,
            "{file}: screenshot looks blank ({share:.3} inked, {colours} colours)"
        );
        // Kept for people to look at after a CI run.
        let keep = std::env::temp_dir().join(format!(
            "budgetsim-{}",
            shot.file_name().unwrap().to_string_lossy()
        ));
        std::fs::copy(shot, keep).ok();
    }
}
