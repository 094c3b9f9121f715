//! The pieces every HTML report shares, as plain data for the askama templates in
//! `templates/` (which escape every value by default): the base layout (classification,
//! title, run date, description, how to reproduce), tables, cells and figures.

use super::data::Provenance;
use super::i18n::Lang;
use crate::model::Text;

/// The report's style sheet (inlined in every page).
pub const CSS: &str = include_str!("report.css");

/// What the base layout (`base.html`) shows on every page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Language code of the page (`en`, `fr`).
    pub lang: &'static str,
    /// Page title (the kind of report).
    pub title: String,
    /// Scenario name.
    pub name: String,
    /// The classification line a Government of Canada document carries.
    pub classification: String,
    /// "Simulated on ..." (None when the folder has no start time).
    pub run_date: Option<String>,
    /// Scenario description (None when empty).
    pub description: Option<String>,
    /// How to reproduce the folder.
    pub reproduce: Reproduce,
    /// The style sheet.
    pub css: &'static str,
}

impl Layout {
    /// The layout of a report titled by message `title_key` on a scenario with `name`,
    /// `description` and `classification`; `intro_key` introduces the reproduce
    /// command (filled with the version).
    pub fn new(
        lang: Lang,
        title_key: &str,
        scenario: (&Text, &Text, &Text),
        p: &Provenance,
        intro_key: &str,
    ) -> Layout {
        let (name, description, classification) = scenario;
        Layout {
            lang: lang.code(),
            title: lang.t(title_key).to_string(),
            name: name.get(lang).to_string(),
            classification: classification.get(lang).to_string(),
            // One line of its own: folders of one study written on other days (a merge
            // and a single run) differ only there and in the manifest.
            run_date: (!p.started.is_empty()).then(|| {
                lang.msg(
                    "run_date",
                    &[("date", &super::style::date(lang, &p.started))],
                )
            }),
            description: (!description.is_empty()).then(|| description.get(lang).to_string()),
            reproduce: Reproduce::new(lang, intro_key, p),
            css: CSS,
        }
    }
}

/// The "how to reproduce" section.
#[derive(Debug, Clone)]
pub struct Reproduce {
    /// Heading.
    pub heading: String,
    /// What the command does.
    pub intro: String,
    /// The shell command.
    pub command: String,
    /// Seed, portfolios, resolved-scenario hash and version, each with its label.
    pub facts: Vec<(String, String)>,
}

impl Reproduce {
    fn new(lang: Lang, intro_key: &str, p: &Provenance) -> Reproduce {
        Reproduce {
            heading: lang.t("reproduce").to_string(),
            intro: lang.msg(intro_key, &[("version", &p.version)]),
            command: p.reproduce.clone(),
            facts: vec![
                (lang.t("seed").to_string(), p.seed.to_string()),
                (lang.t("portfolios").to_string(), p.portfolios.to_string()),
                (
                    lang.t("scenario_hash").to_string(),
                    p.resolved_sha256.clone(),
                ),
                (lang.t("version").to_string(), p.version.clone()),
            ],
        }
    }
}

/// One table cell: text, an optional colour swatch before it and CI after it.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// CSS colour of a swatch drawn before the text (a model's colour).
    pub swatch: Option<String>,
    /// A range shown after the text in grey (e.g. "[a ; b]").
    pub ci: Option<String>,
    /// Whether the text is code (a scenario field path, a setting).
    pub code: bool,
}

impl Cell {
    /// A plain cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A cell with a range after the text.
    pub fn with_ci(text: impl Into<String>, ci: String) -> Cell {
        Cell {
            text: text.into(),
            ci: Some(ci),
            ..Cell::default()
        }
    }

    /// A code cell.
    pub fn code(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            code: true,
            ..Cell::default()
        }
    }

    /// A model's column heading: its colour swatch, then its label.
    pub fn model(index: usize, label: &str) -> Cell {
        Cell {
            text: label.to_string(),
            swatch: Some(super::style::css_colour(index)),
            ..Cell::default()
        }
    }
}

/// A table; wrapped so that it scrolls sideways on a phone instead of overflowing.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// CSS class of the table.
    pub class: Option<&'static str>,
    /// Column headings.
    pub head: Vec<Cell>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// Whether each row's first cell heads the row.
    pub row_headers: bool,
}

/// A chart: inline SVG (drawn by `charts`, with `role="img"` and a title) and caption.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Element id (the chart's file stem).
    pub id: String,
    /// The SVG document.
    pub svg: String,
    /// Caption.
    pub caption: String,
}

impl Figure {
    /// The chart `stem` of study folder `dir` in `lang` (its SVG from the language's
    /// chart directory), captioned by message `caption`; none when it was not drawn.
    pub fn read(dir: &std::path::Path, lang: Lang, stem: &str, caption: &str) -> Vec<Figure> {
        let svg = dir.join(super::chart_dir(lang)).join(format!("{stem}.svg"));
        std::fs::read_to_string(svg)
            .ok()
            .map(|svg| Figure {
                id: stem.into(),
                svg,
                caption: lang.t(caption).to_string(),
            })
            .into_iter()
            .collect()
    }
}

/// A range of money or numbers as the reports show it, "[low; high]" (French: a
/// narrow no-break space before the semicolon).
pub fn range(lang: Lang, low: &str, high: &str) -> String {
    match lang {
        Lang::En => format!("[{low}; {high}]"),
        Lang::Fr => format!("[{low}\u{202f}; {high}]"),
    }
}
