//! Charts and the HTML report of a run, drawn from the analysis tables of the run
//! folder (so `budgetsim report DIR` can rebuild them without simulating), in English
//! and French.

pub mod charts;
pub mod choice;
pub mod data;
pub mod html;
pub mod i18n;
pub mod page;
pub mod sensitivity_page;
pub mod style;
pub mod sweep_page;

use std::path::{Path, PathBuf};

pub use data::Provenance;
pub use i18n::Lang;

/// Which languages to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Langs {
    /// English only.
    En,
    /// French only.
    Fr,
    /// Both (default).
    #[default]
    Both,
}

impl Langs {
    /// The languages, English first.
    pub fn list(self) -> Vec<Lang> {
        match self {
            Langs::En => vec![Lang::En],
            Langs::Fr => vec![Lang::Fr],
            Langs::Both => Lang::ALL.to_vec(),
        }
    }
}

/// Chart folder of a language, relative to the run folder.
pub fn chart_dir(lang: Lang) -> PathBuf {
    match lang {
        Lang::En => PathBuf::from("charts"),
        Lang::Fr => PathBuf::from("charts").join("fr"),
    }
}

/// Report file name of a language.
pub fn report_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "report.html",
        Lang::Fr => "report.fr.html",
    }
}

/// Whether file `name` of a run folder (relative, `/`-separated) is drawn by
/// [`build`]: a chart or an HTML report, made again from the data files.
pub fn is_drawn(name: &str) -> bool {
    name.starts_with("charts/") || Lang::ALL.iter().any(|&l| name == report_name(l))
}

/// The report page of a study folder (sweep, explain, sensitivity) in a language;
/// the provenance stands in for the manifest while the folder is being written.
type Page<'a> = &'a dyn Fn(&Path, Lang, Option<&Provenance>) -> Result<String, String>;

/// Writes charts and reports into run folder `dir` from its tables. `provenance`
/// overrides the manifest (used while a run is still writing its folder). Returns the
/// files written, relative to `dir`.
pub fn build(
    dir: &Path,
    langs: &[Lang],
    provenance: Option<Provenance>,
) -> Result<Vec<PathBuf>, String> {
    let summary = dir.join("summary.csv").is_file();
    let p = provenance.as_ref();
    // A study folder: its charts, then the report that embeds them.
    let study: Option<(Vec<PathBuf>, Page)> = if summary {
        None
    } else if dir.join("sweep.csv").is_file() {
        Some((charts::sweep::render_all(dir, langs)?, &sweep_page::page))
    } else if dir.join("explain.csv").is_file() {
        let t = crate::explain::read_csv(&dir.join("explain.csv"))?;
        let bridge = charts::bridge::Bridge::new(&t, &data::resolved_scenario(dir)?);
        Some((
            charts::bridge::render(dir, &bridge, langs)?,
            &html::explain_page,
        ))
    } else if dir.join("sensitivity.csv").is_file() {
        Some((
            sensitivity_page::render(dir, langs)?,
            &sensitivity_page::page,
        ))
    } else {
        None
    };
    if let Some((charts, page)) = study {
        let mut written: Vec<PathBuf> = charts
            .into_iter()
            .map(|f| f.strip_prefix(dir).map(Path::to_path_buf).unwrap_or(f))
            .collect();
        for &lang in langs {
            let path = dir.join(report_name(lang));
            std::fs::write(&path, page(dir, lang, p)?)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            written.push(PathBuf::from(report_name(lang)));
        }
        return Ok(written);
    }
    let mut d = data::read(dir)?;
    if let Some(p) = provenance {
        d.provenance = p;
    }
    // The languages are drawn in parallel, each from its own copy of the data (the
    // labels differ); files are listed in language order whatever finishes first.
    use rayon::prelude::*;
    let per_lang = langs
        .par_iter()
        .map(|&lang| -> Result<Vec<PathBuf>, String> {
            let mut d = d.clone();
            d.set_lang(lang);
            let charts_dir = dir.join(chart_dir(lang));
            let mut files = charts::render_all(&charts_dir, &d, lang)?;
            if let Some(t) = &d.explain {
                let bridge = charts::bridge::Bridge::new(t, &d.scenario);
                files.extend(charts::bridge::render(dir, &bridge, &[lang])?);
            }
            let page = html::page(&d, lang, &charts_dir)?;
            let path = dir.join(report_name(lang));
            std::fs::write(&path, page).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push(path);
            Ok(files)
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(per_lang
        .into_iter()
        .flatten()
        .map(|f| f.strip_prefix(dir).map(Path::to_path_buf).unwrap_or(f))
        .collect())
}
