//! Charts and the HTML report of a run, drawn from the analysis tables of the run
//! folder (so `budgetsim report DIR` can rebuild them without simulating), in English
//! and French.

pub mod charts;
pub mod choice;
pub mod data;
pub mod html;
pub mod i18n;
pub mod optimise_page;
pub mod page;
pub mod sensitivity_page;
pub mod sobol_page;
pub mod style;
pub mod sweep_page;

use std::path::{Path, PathBuf};

pub use data::Provenance;

use crate::export::manifest::FolderKind;
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
    drawn_in(name, &Lang::ALL)
}

/// Whether file `name` of a run folder is drawn by [`build`] in one of `langs`: that
/// language's report or a chart of its chart folder.
pub fn drawn_in(name: &str, langs: &[Lang]) -> bool {
    let french = name.starts_with("charts/fr/");
    langs.iter().any(|&l| {
        name == report_name(l)
            || match l {
                Lang::En => name.starts_with("charts/") && !french,
                Lang::Fr => french,
            }
    })
}

/// The report page of a study folder (sweep, explain, sensitivity) in a language;
/// the provenance stands in for the manifest while the folder is being written.
type Page<'a> = &'a dyn Fn(&Path, Lang, Option<&Provenance>) -> Result<String, String>;

/// What folder `dir` holds: as its manifest (or `given`, while it is being written)
/// records, or, for folders written before manifests said, as its tables show; an
/// error when the table that kind of folder needs is missing.
pub fn folder_kind(dir: &Path, given: Option<&Provenance>) -> Result<FolderKind, String> {
    let recorded = match given {
        Some(p) => p.kind,
        None => data::provenance(dir, 0)?.kind,
    };
    let kind = recorded.or_else(|| FolderKind::guess(dir)).ok_or_else(|| {
        "it has none of summary.csv, sweep.csv, sensitivity.csv, explain.csv or sobol.csv"
            .to_string()
    })?;
    if !dir.join(kind.table()).is_file() {
        return Err(format!(
            "its manifest says it was written by `budgetsim {}`, but its {} is missing: \
             run the study again",
            kind.verb(),
            kind.table()
        ));
    }
    Ok(kind)
}

/// Writes charts and reports into run folder `dir` from its tables. `provenance`
/// overrides the manifest (used while a run is still writing its folder). Returns the
/// files written, relative to `dir`.
pub fn build(
    dir: &Path,
    langs: &[Lang],
    provenance: Option<Provenance>,
) -> Result<Vec<PathBuf>, String> {
    let p = provenance.as_ref();
    let kind = folder_kind(dir, p)?;
    // A study folder: its charts, then the report that embeds them.
    let study: Option<(Vec<PathBuf>, Page)> = match kind {
        FolderKind::Run => None,
        FolderKind::Sweep => Some((charts::sweep::render_all(dir, langs)?, &sweep_page::page)),
        FolderKind::Explain => {
            let t = crate::explain::read_csv(&dir.join("explain.csv"))?;
            let bridge = charts::bridge::Bridge::new(&t, &data::resolved_scenario(dir)?);
            Some((
                charts::bridge::render(dir, &bridge, langs)?,
                &html::explain_page,
            ))
        }
        FolderKind::Sensitivity => Some((
            sensitivity_page::render(dir, langs)?,
            &sensitivity_page::page,
        )),
        FolderKind::Sobol => Some((sobol_page::render(dir, langs)?, &sobol_page::page)),
        FolderKind::Optimise => Some((optimise_page::render(dir, langs)?, &optimise_page::page)),
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
