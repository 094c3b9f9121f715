//! The run report leadership reads: a decision page (the question, the answer as
//! evidence, the risk box, the trade-offs, what would change the answer) then an annex
//! (headline table, where the difference comes from, every chart as inline SVG, the
//! assumptions, how to reproduce). One self-contained file per language from the
//! `run.html` template: no scripts, no fonts or images fetched, readable printed.

use askama::Template;

use super::charts::ChartKind;
use super::charts::bridge::signed;
use super::data::ReportData;
use super::i18n::Lang;
use super::page::{Cell, Figure, Layout, Table, range};
use super::style::{self, money, number, percent, signed_number, whole};
use crate::metrics::{Metric, Shown};

/// What would change the answer.
#[derive(Debug, Clone)]
pub struct Change {
    /// Heading.
    pub heading: String,
    /// Whether any input flips the answer.
    pub intro: String,
    /// The three inputs that matter most, one sentence each.
    pub items: Vec<String>,
}

/// Where the difference comes from (explain.csv).
#[derive(Debug, Clone)]
pub struct Explain {
    heading: String,
    paragraphs: Vec<String>,
    figure: Figure,
    table: Table,
}

/// The run report, as the `run.html` template shows it.
#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    layout: Layout,
    question_heading: String,
    question: String,
    answer_heading: String,
    answer: String,
    risk_heading: String,
    risk: Table,
    tradeoffs: Option<(String, Vec<String>)>,
    change: Option<Change>,
    headline_heading: String,
    headline: Table,
    explain: Option<Explain>,
    charts_heading: String,
    figures: Vec<Figure>,
    assumptions_heading: String,
    assumptions: Table,
}

/// The bottom line: which model delivers more net value here, phrased as
/// evidence over the simulated funds, the mean difference with the CI of the mean, and
/// the range of the difference fund by fund; with several baselines, which one the
/// comparison is made against.
pub fn answer(d: &ReportData, lang: Lang) -> Vec<String> {
    let (b, c) = d.pair();
    if b == c {
        return vec![(lang.msg("bottom_single", &[("model", &d.labels[b])]))];
    }
    let net = d.diff(c, b, Metric::NetValue);
    let share = percent(lang, net.prob_better, 0);
    let first = if net.mean == 0.0 {
        // Not a win for either (every fund equal, e.g. nothing is ever delivered).
        lang.msg(
            "bottom_equal",
            &[
                ("challenger", &d.labels[c]),
                ("baseline", &d.labels[b]),
                ("diff", &money(lang, net.mean)),
                ("ci_low", &money(lang, net.ci.0)),
                ("ci_high", &money(lang, net.ci.1)),
            ],
        )
    } else if net.mean > 0.0 {
        lang.msg(
            "bottom_more",
            &[
                ("challenger", &d.labels[c]),
                ("baseline", &d.labels[b]),
                ("share", &share),
                ("diff", &money(lang, net.mean)),
                ("ci_low", &money(lang, net.ci.0)),
                ("ci_high", &money(lang, net.ci.1)),
            ],
        )
    } else {
        lang.msg(
            "bottom_less",
            &[
                ("baseline", &d.labels[b]),
                ("challenger", &d.labels[c]),
                ("share", &share),
                ("diff", &money(lang, -net.mean)),
                ("ci_low", &money(lang, -net.ci.1)),
                ("ci_high", &money(lang, -net.ci.0)),
            ],
        )
    };
    let mut sentences = vec![first];
    if net.range.0.is_finite() && net.mean != 0.0 {
        sentences.push(lang.msg(
            "bottom_range",
            &[
                ("low", &signed(lang, net.range.0)),
                ("high", &signed(lang, net.range.1)),
                ("challenger", &d.labels[c]),
                ("share", &percent(lang, net.prob_worse, 0)),
            ],
        ));
    }
    let baselines: Vec<usize> = (0..d.models.len())
        .filter(|&i| d.scenario.models[i].role == crate::model::Role::Baseline)
        .collect();
    if baselines.len() > 1 {
        let others: Vec<String> = baselines
            .iter()
            .filter(|&&i| i != b)
            .map(|&i| {
                format!(
                    "{} {}",
                    d.labels[i],
                    money(lang, d.stat(i, Metric::NetValue).mean)
                )
            })
            .collect();
        sentences.insert(
            0,
            lang.msg(
                "answer_baseline",
                &[
                    ("count", &number(lang, baselines.len() as f64, 0)),
                    ("baseline", &d.labels[b]),
                    ("mean", &money(lang, d.stat(b, Metric::NetValue).mean)),
                    ("others", &others.join("; ")),
                ],
            ),
        );
    }
    sentences
}

/// The risk box: per model, the chance of spending past the budget and of losing
/// money, the worst 5% of funds, the range of net value over funds beside the CI of its
/// mean, so the CI of a mean is never the only range shown.
fn risk_box(d: &ReportData, lang: Lang) -> Table {
    let models = 0..d.models.len();
    let net = |m: usize| d.stat(m, Metric::NetValue);
    let rows: [(&str, Vec<Cell>); 5] = [
        (
            "risk_over_budget",
            models
                .clone()
                .map(|m| Cell::text(percent(lang, d.risk(m).over_budget, 0)))
                .collect(),
        ),
        (
            "risk_negative",
            models
                .clone()
                .map(|m| Cell::text(percent(lang, d.risk(m).net_negative, 0)))
                .collect(),
        ),
        (
            "risk_p5",
            models
                .clone()
                .map(|m| Cell::text(money(lang, net(m).quantiles[0])))
                .collect(),
        ),
        (
            "risk_range",
            models
                .clone()
                .map(|m| {
                    let q = net(m).quantiles;
                    Cell::text(format!("{} – {}", money(lang, q[0]), money(lang, q[4])))
                })
                .collect(),
        ),
        (
            "risk_mean",
            models
                .map(|m| {
                    let s = net(m);
                    Cell::with_ci(
                        money(lang, s.mean),
                        range(lang, &money(lang, s.ci.0), &money(lang, s.ci.1)),
                    )
                })
                .collect(),
        ),
    ];
    Table {
        class: Some("risk"),
        head: model_head(d, Cell::default()),
        rows: rows
            .into_iter()
            .map(|(key, cells)| {
                let mut row = vec![Cell::text(lang.t(key))];
                row.extend(cells);
                row
            })
            .collect(),
        row_headers: true,
    }
}

/// Column headings: `first`, then each model with its colour.
fn model_head(d: &ReportData, first: Cell) -> Vec<Cell> {
    let mut head = vec![first];
    head.extend(d.labels.iter().enumerate().map(|(i, l)| Cell::model(i, l)));
    head
}

/// "What would change the answer": from sensitivity.csv, whether any input moved within
/// its plausible range flips the sign of the headline difference (with the break-even),
/// and the three inputs that move it most; or how to measure it.
pub fn what_would_change(
    inputs: &[super::data::InputMove],
    scenario: &crate::model::Scenario,
    metric: Metric,
    lang: Lang,
) -> Change {
    let heading = lang.t("change_heading").to_string();
    if inputs.is_empty() {
        return Change {
            heading,
            intro: lang.t("change_missing").to_string(),
            items: Vec::new(),
        };
    }
    let flips = inputs.iter().filter(|r| r.break_even.is_some()).count();
    // Every row carries the difference with every input as in the scenario.
    let tie = inputs.first().is_some_and(|r| r.diffs[0] == 0.0);
    let uncertain = inputs
        .first()
        .is_some_and(|r| super::data::reaches_zero(r.base_ci));
    let intro = if tie {
        lang.t("change_tie").to_string()
    } else if uncertain {
        lang.t("change_uncertain").to_string()
    } else if flips == 0 {
        lang.t("change_none").to_string()
    } else {
        lang.msg(
            "change_flips",
            &[
                ("flips", &whole(lang, flips as u64)),
                ("moved", &whole(lang, inputs.len() as u64)),
            ],
        )
    };
    // The flips first (they change the answer), then the largest swings.
    let mut shown: Vec<&super::data::InputMove> =
        inputs.iter().filter(|r| r.break_even.is_some()).collect();
    shown.extend(inputs.iter().filter(|r| r.break_even.is_none()));
    let items = shown
        .into_iter()
        .take(3)
        .map(|r| {
            let label = lang.field_in(&r.path, Some(scenario));
            let (low, high) = (r.value(lang, r.values[1]), r.value(lang, r.values[2]));
            let diff = |x: f64| style::diff(lang, metric, x);
            let (diff_low, diff_high) = (diff(r.diffs[1]), diff(r.diffs[2]));
            let mut args = vec![
                ("input", label.as_str()),
                ("low", low.as_str()),
                ("high", high.as_str()),
                ("diff_low", diff_low.as_str()),
                ("diff_high", diff_high.as_str()),
            ];
            let (break_even, at) = r
                .break_even
                .map(|b| {
                    // An estimate: three significant figures.
                    let b = style::rounded(b, 3);
                    (r.value(lang, b), r.value(lang, r.values[0]))
                })
                .unwrap_or_default();
            let key = if r.break_even.is_some() {
                args.push(("break_even", &break_even));
                args.push(("scenario", &at));
                if r.flips_in_noise() {
                    "change_row_flip_noise"
                } else {
                    "change_row_flip"
                }
            } else {
                "change_row"
            };
            lang.msg(key, &args) + "."
        })
        .collect();
    Change {
        heading,
        intro,
        items,
    }
}

/// The trade-offs a minister asks first : services delivered, how the
/// net-value difference splits into value delivered and money not spent, waste and
/// access, time to first value and the largest contract.
fn tradeoffs(d: &ReportData, lang: Lang) -> Vec<String> {
    let (b, c) = d.pair();
    if b == c {
        return Vec::new();
    }
    let mean = |m: usize, metric: Metric| d.stat(m, metric).mean;
    let services = lang.msg(
        "tradeoff_services",
        &[
            (
                "challenger_count",
                &number(lang, mean(c, Metric::IdeasDelivered), 1),
            ),
            ("challenger", &d.labels[c]),
            (
                "baseline_count",
                &number(lang, mean(b, Metric::IdeasDelivered), 1),
            ),
            ("baseline", &d.labels[b]),
        ],
    );
    // net value = delivered value - spend, so the difference splits exactly.
    let net = signed(lang, d.diff(c, b, Metric::NetValue).mean);
    let value = signed(lang, d.diff(c, b, Metric::DeliveredValue).mean);
    let spend = d.diff(c, b, Metric::Spend).mean;
    let split = if spend > 0.0 {
        lang.msg(
            "tradeoff_split_spend",
            &[
                ("net", &net),
                ("value", &value),
                ("extra_spend", &money(lang, spend)),
            ],
        )
    } else {
        lang.msg(
            "tradeoff_split",
            &[
                ("net", &net),
                ("value", &value),
                ("unspent", &signed(lang, -spend)),
            ],
        )
    };
    let waste = d.diff(c, b, Metric::WasteShare);
    let waste = lang.msg(
        "answer_waste",
        &[
            (
                "challenger_waste",
                &percent(lang, mean(c, Metric::WasteShare), 0),
            ),
            (
                "baseline_waste",
                &percent(lang, mean(b, Metric::WasteShare), 0),
            ),
            ("points", &signed_number(lang, 100.0 * waste.mean, 1)),
            ("ci_low", &signed_number(lang, 100.0 * waste.ci.0, 1)),
            ("ci_high", &signed_number(lang, 100.0 * waste.ci.1, 1)),
            (
                "challenger_small",
                &percent(lang, mean(c, Metric::SmallVendorShare), 0),
            ),
            (
                "baseline_small",
                &percent(lang, mean(b, Metric::SmallVendorShare), 0),
            ),
        ],
    );
    // A model that delivers nothing in any fund has no first value: its months are
    // the horizon (censored), which would read as a late delivery.
    let first_value = |m: usize| {
        if mean(m, Metric::IdeasDelivered) > 0.0 {
            let months = number(lang, mean(m, Metric::MonthsToFirstValue), 1);
            lang.msg("months_count", &[("months", &months)])
        } else {
            let horizon = number(lang, d.scenario.simulation.horizon_months, 0);
            lang.msg("months_none", &[("horizon", &horizon)])
        }
    };
    let time = lang.msg(
        "answer_time",
        &[
            ("challenger_months", &first_value(c)),
            ("baseline_months", &first_value(b)),
            (
                "challenger_largest",
                &percent(lang, mean(c, Metric::LargestContractShare), 1),
            ),
            (
                "baseline_largest",
                &percent(lang, mean(b, Metric::LargestContractShare), 1),
            ),
        ],
    );
    vec![services, split, waste, time]
}

/// The assumptions table: parameter, value, source.
fn assumptions(d: &ReportData, lang: Lang) -> Table {
    let s = &d.scenario;
    let months = lang.t("months");
    let mut rows = vec![
        ("a_budget", money(lang, s.fund.budget), "src_scenario"),
        (
            "a_horizon",
            format!("{} {months}", number(lang, s.simulation.horizon_months, 0)),
            "src_scenario",
        ),
        (
            "a_ideas",
            number(
                lang,
                f64::from(s.fund.intake_rounds * s.fund.ideas_per_round),
                0,
            ),
            "src_scenario",
        ),
        (
            "a_fit",
            percent(lang, s.ideas.fit_probability, 0),
            "src_10x",
        ),
        (
            "a_noise",
            number(lang, s.ideas.business_case_noise, 2),
            "src_assumption",
        ),
        (
            "a_overrun",
            percent(lang, s.risk.black_swan_probability, 1),
            "src_hbr",
        ),
        (
            "a_drift",
            if s.risk.requirements_half_life_months.is_finite() {
                format!(
                    "{} {months}",
                    number(lang, s.risk.requirements_half_life_months, 0)
                )
            } else {
                "∞".into()
            },
            "src_assumption",
        ),
        (
            "a_cap",
            if s.risk.escalation_cap.is_finite() {
                number(lang, s.risk.escalation_cap, 1)
            } else {
                "∞".into()
            },
            "src_assumption",
        ),
        (
            "a_switching",
            percent(lang, s.vendors.switching_cost_share, 0),
            "src_peukert",
        ),
        (
            "a_small_cap",
            money(lang, s.vendors.small_contract_cap),
            "src_scenario",
        ),
    ]
    .into_iter()
    .map(|(k, v, src)| (lang.t(k).to_string(), v, lang.t(src).to_string()))
    .collect::<Vec<_>>();
    for m in &s.models {
        rows.push((
            format!("{} – {}", m.label.get(lang), lang.t("a_gates")),
            format!(
                "{} / {} {months}",
                money(lang, m.gate_review_cost),
                number(lang, m.gate_delay_months, 1)
            ),
            lang.t("src_assumption").to_string(),
        ));
    }
    Table {
        head: ["parameter", "value", "source"]
            .map(|k| Cell::text(lang.t(k)))
            .to_vec(),
        rows: rows
            .into_iter()
            .map(|(k, v, src)| vec![Cell::text(k), Cell::text(v), Cell::text(src)])
            .collect(),
        ..Table::default()
    }
}

/// "Where the difference comes from": what was done, the two ends of the bridge, the
/// bridge chart and one row per mechanism (from explain.csv).
pub fn explain_section(
    t: &crate::explain::Table,
    scenario: &crate::model::Scenario,
    lang: Lang,
) -> Result<Explain, String> {
    use super::charts::bridge::{self, Bridge};
    use crate::explain::Part;
    let b = Bridge::new(t, scenario);
    let count = t.mechanisms().count();
    let portfolios = t.rows.first().map_or(0, |r| r.portfolios);
    let text = lang.msg(
        "explain_text",
        &[
            ("mechanisms", &whole(lang, count as u64)),
            ("combinations", &whole(lang, 1u64 << count)),
            ("funds", &whole(lang, portfolios as u64)),
            ("challenger", b.challenger.get(lang)),
            ("baseline", b.baseline.get(lang)),
        ],
    );
    let at = |p: Part| {
        t.get(p).map_or((f64::NAN, f64::NAN, f64::NAN), |r| {
            (r.contribution, r.ci_low, r.ci_high)
        })
    };
    let (off, full) = (at(Part::AllOff), at(Part::Full));
    let (top, top_at) = t
        .mechanisms()
        .next()
        .map_or(("–", (f64::NAN, f64::NAN, f64::NAN)), |r| {
            (r.part.label(lang), (r.contribution, r.ci_low, r.ci_high))
        });
    let result = lang.msg(
        "explain_result",
        &[
            ("off", &signed(lang, off.0)),
            ("full", &signed(lang, full.0)),
            ("ci_low", &signed(lang, full.1)),
            ("ci_high", &signed(lang, full.2)),
            ("top", top),
            ("top_value", &signed(lang, top_at.0)),
            ("top_low", &signed(lang, top_at.1)),
            ("top_high", &signed(lang, top_at.2)),
        ],
    );
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let off = match r.part {
                Part::Mechanism(m) => Cell::code(m.off_setting()),
                _ => Cell::default(),
            };
            vec![
                Cell::text(r.part.label(lang)),
                Cell::with_ci(
                    signed(lang, r.contribution),
                    range(lang, &signed(lang, r.ci_low), &signed(lang, r.ci_high)),
                ),
                Cell::text(percent(lang, r.share_of_full, 0)),
                off,
            ]
        })
        .collect();
    Ok(Explain {
        heading: lang.t("explain_heading").to_string(),
        paragraphs: vec![text, result],
        figure: Figure {
            id: bridge::STEM.to_string(),
            svg: bridge::svg(&b, lang)?,
            caption: lang.t("c_bridge").to_string(),
        },
        table: Table {
            head: [
                "explain_mechanism",
                "explain_contribution",
                "explain_share",
                "explain_off",
            ]
            .map(|k| Cell::text(lang.t(k)))
            .to_vec(),
            rows,
            row_headers: true,
            ..Table::default()
        },
    })
}

/// The headline table: each table metric's mean and the CI of the mean, per model.
fn headline(d: &ReportData, lang: Lang) -> Table {
    Table {
        head: model_head(d, Cell::text(lang.t("metric"))),
        rows: Shown::Table
            .metrics()
            .map(|metric| {
                let mut row = vec![Cell::text(lang.metric(metric))];
                row.extend((0..d.models.len()).map(|m| {
                    let s = d.stat(m, metric);
                    let v = |x: f64| style::value(lang, metric, x);
                    Cell::with_ci(v(s.mean), range(lang, &v(s.ci.0), &v(s.ci.1)))
                }));
                row
            })
            .collect(),
        row_headers: true,
        ..Table::default()
    }
}

/// The whole page in `lang`, embedding the SVG charts already written to `charts`
/// (the chart folder of `lang`).
pub fn page(d: &ReportData, lang: Lang, charts: &std::path::Path) -> Result<String, String> {
    let s = &d.scenario;
    let layout = Layout::new(
        lang,
        "report_title",
        (&s.name, &s.description, &s.classification),
        &d.provenance,
        "reproduce_text",
    );
    // Trade-offs and what would change the answer compare two models.
    let compared = d.models.len() > 1;
    let figures = ChartKind::ALL
        .iter()
        .map(|&kind| {
            let path = charts.join(format!("{}.svg", kind.name()));
            Ok(Figure {
                id: kind.name().to_string(),
                svg: std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
                caption: lang.t(kind.caption_key()).to_string(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let page = RunPage {
        layout,
        question_heading: lang.t("question").to_string(),
        question: lang.msg("question_text", &[("scenario", s.name.get(lang))]),
        answer_heading: lang.t("bottom_line").to_string(),
        answer: answer(d, lang).join(" "),
        risk_heading: lang.t("risk_heading").to_string(),
        risk: risk_box(d, lang),
        tradeoffs: compared.then(|| (lang.t("tradeoffs").to_string(), tradeoffs(d, lang))),
        change: compared.then(|| what_would_change(&d.inputs, s, Metric::NetValue, lang)),
        headline_heading: lang.t("headline_table").to_string(),
        headline: headline(d, lang),
        explain: d
            .explain
            .as_ref()
            .map(|t| explain_section(t, s, lang))
            .transpose()?,
        charts_heading: lang.t("charts").to_string(),
        figures,
        assumptions_heading: lang.t("assumptions").to_string(),
        assumptions: assumptions(d, lang),
    };
    page.render().map_err(|e| format!("report template: {e}"))
}

/// The report of an explain folder (`budgetsim explain`), as `explain.html` shows it.
#[derive(Template)]
#[template(path = "explain.html")]
struct ExplainPage {
    layout: Layout,
    ex: Explain,
    table_heading: String,
}

/// The report of explain folder `dir` in `lang`, from its explain.csv, scenario.toml
/// and manifest (`prov` stands in for the manifest while the folder is being written).
pub fn explain_page(
    dir: &std::path::Path,
    lang: Lang,
    prov: Option<&super::data::Provenance>,
) -> Result<String, String> {
    let scenario = super::data::resolved_scenario(dir)?;
    let p = super::data::provenance_or(dir, scenario.simulation.seed, prov)?;
    let t = crate::explain::read_csv(&dir.join("explain.csv"))?;
    let s = &scenario;
    let page = ExplainPage {
        layout: Layout::new(
            lang,
            "explain_report_title",
            (&s.name, &s.description, &s.classification),
            &p,
            "study_reproduce",
        ),
        ex: explain_section(&t, s, lang)?,
        table_heading: lang.t("explain_table").to_string(),
    };
    page.render()
        .map_err(|e| format!("explain report template: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::InputMove;
    use crate::scenario::fields::Kind;

    fn input(path: &str, diffs: [f64; 3], break_even: Option<f64>) -> InputMove {
        InputMove {
            path: path.into(),
            values: [1.0, 0.5, 1.5],
            diffs,
            break_even,
            other_break_even: None,
            cis: [(f64::NAN, f64::NAN); 2],
            base_ci: (f64::NAN, f64::NAN),
            kind: Kind::Assumption,
        }
    }

    #[test]
    fn what_would_change_never_claims_a_sign_for_a_tie() {
        let s = crate::scenario::load_default(&[]).unwrap().scenario;
        // A tie at the scenario's values: there is no answer to flip, whatever the ends.
        let tie = [input("vendors.markup", [0.0, 12.5e6, -3.9e6], None)];
        let c = what_would_change(&tie, &s, Metric::NetValue, Lang::En);
        assert!(c.intro.starts_with("No answer to flip"), "{}", c.intro);
        // A flip is named first and said to flip; the intro does not call it the largest.
        let moves = [
            input("ideas.fit_probability", [5e6, 9e6, 1e6], None),
            input("vendors.markup", [5e6, 6e6, -1e6], Some(1.3)),
        ];
        let c = what_would_change(&moves, &s, Metric::NetValue, Lang::En);
        assert!(c.intro.contains("1 of the 2 moved"), "{}", c.intro);
        assert!(
            c.items[0].starts_with("Vendor markup with one bid"),
            "{:?}",
            c.items
        );
        assert!(c.items[0].contains("the answer flips at"), "{:?}", c.items);
        assert!(!c.items[1].contains("flips"), "{:?}", c.items);
    }
}
