//! Which point of a sweep to choose, as `sweep_choice.csv` records it (the grid's best
//! point for the challenger's paired net-value difference against the baseline, and
//! each point's gap to it), put into words for the sweep report and chart titles.

use std::path::Path;

use super::data::Csv;
use super::i18n::Lang;
use super::style::parameter_text;
use crate::analysis::Standing;
use crate::model::Scenario;

/// Tied points named in a sentence before the rest are counted ("and 4 other points").
const NAMED: usize = 5;

/// One point of the grid against the best one.
#[derive(Debug, Clone, PartialEq)]
pub struct PointGap {
    /// Swept values as written in the folder's tables, in axis order.
    pub values: Vec<String>,
    /// Best minus this point's mean difference (0 for the best point).
    pub gap: f64,
    /// 95% CI of the gap (NaN for the best point).
    pub ci: (f64, f64),
    /// Where the point stands.
    pub standing: Standing,
}

/// The choice for one pair of models over a whole sweep grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Swept fields (paths), in axis order.
    pub axes: Vec<String>,
    /// Every point, in the grid's order.
    pub points: Vec<PointGap>,
    /// Position of the best point in `points`.
    pub best: usize,
}

impl Choice {
    /// Reads the choice of `challenger` against `baseline` from the folder's
    /// `sweep_choice.csv`. None when the folder has no such file (written before it
    /// existed), when no point is the best (no defined difference, or the same at every
    /// point), or when a Monte Carlo setting (seed, portfolio count) is swept: those
    /// are not rules to choose, and their points are not the same funds. An error when
    /// the file names more than one best point for the pair.
    pub fn read(dir: &Path, challenger: &str, baseline: &str) -> Result<Option<Choice>, String> {
        if !dir.join("sweep_choice.csv").is_file() {
            return Ok(None);
        }
        let t = Csv::read(dir, "sweep_choice.csv")?;
        let settings = ["simulation.seed", "simulation.portfolios"];
        if t.header.iter().any(|h| settings.contains(&h.as_str())) {
            return Ok(None);
        }
        let (ca, cb, cg, clo, chi, cs) = (
            t.col("model_a")?,
            t.col("model_b")?,
            t.col("gap_to_best")?,
            t.col("gap_ci_low")?,
            t.col("gap_ci_high")?,
            t.col("standing")?,
        );
        let axes = t.header[..ca].to_vec();
        let mut points = Vec::new();
        let mut best_line = None;
        for r in t
            .rows
            .iter()
            .filter(|r| &r[ca] == challenger && &r[cb] == baseline)
        {
            let line = r.position().map_or(0, |p| p.line());
            let standing = Standing::parse(&r[cs]).ok_or_else(|| {
                format!(
                    "sweep_choice.csv, line {line}: column `standing` holds `{}`, not one of best, cannot_be_told_apart, behind or undefined: run the sweep again",
                    crate::scenario::fields::shortened(&r[cs])
                )
            })?;
            if standing == Standing::Best {
                if let Some(first) = best_line {
                    return Err(format!(
                        "sweep_choice.csv, lines {first} and {line}: two points are `best` for {challenger} against {baseline}; there is one best point: run the sweep again"
                    ));
                }
                best_line = Some(line);
            }
            points.push(PointGap {
                values: (0..ca).map(|i| r[i].to_string()).collect(),
                gap: t.f(r, cg),
                ci: (t.f(r, clo), t.f(r, chi)),
                standing,
            });
        }
        let best = points.iter().position(|p| p.standing == Standing::Best);
        Ok(best.map(|best| Choice { axes, points, best }))
    }

    /// The best point's swept values.
    pub fn best_values(&self) -> &[String] {
        &self.points[self.best].values
    }

    /// The points that cannot be told apart from the best, in grid order.
    pub fn tied(&self) -> impl Iterator<Item = &PointGap> {
        self.points.iter().filter(|p| p.standing == Standing::Tied)
    }

    /// A point's values as people read them: "1.25" for a one-field sweep, "(1.25,
    /// $50M)" for a grid.
    fn values_text(&self, values: &[String], lang: Lang) -> String {
        let parts: Vec<String> = self
            .axes
            .iter()
            .zip(values)
            .map(|(a, v)| parameter_text(lang, a, v))
            .collect();
        match parts.as_slice() {
            [one] => one.clone(),
            _ => format!("({})", parts.join(lang.t("list_sep"))),
        }
    }

    /// The sentence for a chart title: as [`Choice::sentence`], but when more than two
    /// points cannot be told apart from the best it counts them instead of naming them.
    pub fn short_sentence(&self, s: &Scenario, lang: Lang) -> String {
        let tied = self.tied().count();
        if tied <= 2 || self.undecided() {
            return self.sentence(s, lang);
        }
        lang.msg(
            "sweep_best_count",
            &[
                ("point", &self.best_text(s, lang)),
                ("count", &tied.to_string()),
            ],
        )
    }

    /// Whether no gap has a CI (a single portfolio per point): nothing can be told
    /// apart, for want of spread rather than because points are close.
    fn undecided(&self) -> bool {
        self.points
            .iter()
            .filter(|p| p.standing == Standing::Tied)
            .all(|p| !p.ci.0.is_finite())
            && self.tied().count() > 0
    }

    /// The best point with every swept field named.
    fn best_text(&self, s: &Scenario, lang: Lang) -> String {
        point_text(lang, s, &self.axes, self.best_values())
    }

    /// "best at hurdle = 1.25; 1, 1.5 cannot be told apart from it (...)", or for a
    /// grid "best at hurdle = 1.25, budget = $50M; the points (hurdle, budget) = (1,
    /// $50M), ... cannot be told apart from it", naming at most [`NAMED`] tied points
    /// and counting the rest.
    pub fn sentence(&self, s: &Scenario, lang: Lang) -> String {
        let fields: Vec<String> = self
            .axes
            .iter()
            .map(|a| lang.field_in(a, Some(s)))
            .collect();
        let point = self.best_text(s, lang);
        if self.undecided() {
            return lang.msg("sweep_best_unknown", &[("point", &point)]);
        }
        let tied: Vec<String> = self
            .tied()
            .map(|p| self.values_text(&p.values, lang))
            .collect();
        if tied.is_empty() {
            return lang.msg("sweep_best_alone", &[("point", &point)]);
        }
        let sep = if self.axes.len() == 1 {
            lang.t("list_sep")
        } else {
            lang.t("point_sep")
        };
        let mut named = tied[..tied.len().min(NAMED)].join(sep);
        if tied.len() > NAMED {
            let more = (tied.len() - NAMED).to_string();
            named = lang.msg("sweep_more", &[("named", &named), ("count", &more)]);
        }
        if self.axes.len() == 1 {
            lang.msg("sweep_best", &[("point", &point), ("tied", &named)])
        } else {
            let fields = fields.join(lang.t("list_sep"));
            lang.msg(
                "sweep_best_grid",
                &[("point", &point), ("fields", &fields), ("tied", &named)],
            )
        }
    }

    /// The best point's values of the swept fields after the first ("fund.budget =
    /// $50M"): where a chart along the first field is drawn. None for a one-field sweep.
    pub fn held(&self, s: &Scenario, lang: Lang) -> Option<String> {
        held_text(&self.axes, self.best_values(), s, lang)
    }
}

/// A point of a grid as people read it: each swept field by its label with its value
/// ("Vendor markup with one bid = 20%, Fund budget = $50M").
pub fn point_text(lang: Lang, s: &Scenario, axes: &[String], values: &[String]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| {
            format!(
                "{} = {}",
                lang.field_in(a, Some(s)),
                parameter_text(lang, a, v)
            )
        })
        .collect::<Vec<_>>()
        .join(lang.t("list_sep"))
}

/// The values of the swept fields after the first, as people read them ("fund.budget
/// = $50M"); None for a one-field sweep.
pub fn held_text(axes: &[String], values: &[String], s: &Scenario, lang: Lang) -> Option<String> {
    (axes.len() >= 2).then(|| point_text(lang, s, &axes[1..], &values[1..]))
}
