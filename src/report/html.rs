//! The one-page HTML report leadership reads: the question and the answer in three
//! sentences, a table of headline metrics, every chart (inline SVG) with a caption, the
//! assumptions and how to reproduce. One self-contained file per language: no scripts,
//! no fonts or images fetched, readable printed. All scenario text is HTML-escaped.

use super::charts::bridge::signed;
use super::charts::{ChartKind, render_svg};
use super::data::ReportData;
use super::i18n::{Lang, fill};
use super::style::{self, css_colour, money, number, percent, whole};
use crate::metrics::{Metric, Shown};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The report's style sheet (inlined in every page).
pub const CSS: &str = include_str!("report.css");

/// The bottom line (escaped HTML): which model delivers more net value here, phrased as
/// evidence over the simulated funds, the mean difference with the CI of the mean, and
/// the range of the difference fund by fund; with several baselines, which one the
/// comparison is made against.
pub fn answer(d: &ReportData, lang: Lang) -> Vec<String> {
    let (b, c) = d.pair();
    if b == c {
        return vec![escape(&fill(lang.t("bottom_single"), &[&d.labels[b]]))];
    }
    let net = d.diff(c, b, Metric::NetValue);
    let share = percent(lang, net.prob_better, 0);
    let first = if net.mean == 0.0 {
        // Not a win for either (every fund equal, e.g. nothing is ever delivered).
        fill(
            lang.t("bottom_equal"),
            &[
                &d.labels[c],
                &d.labels[b],
                &money(lang, net.mean),
                &money(lang, net.ci.0),
                &money(lang, net.ci.1),
            ],
        )
    } else if net.mean > 0.0 {
        fill(
            lang.t("bottom_more"),
            &[
                &d.labels[c],
                &d.labels[b],
                &share,
                &money(lang, net.mean),
                &money(lang, net.ci.0),
                &money(lang, net.ci.1),
            ],
        )
    } else {
        fill(
            lang.t("bottom_less"),
            &[
                &d.labels[b],
                &d.labels[c],
                &share,
                &money(lang, -net.mean),
                // The CI of the shortfall, as positive amounts like the shortfall.
                &money(lang, -net.ci.1),
                &money(lang, -net.ci.0),
            ],
        )
    };
    let mut sentences = vec![first];
    if net.range.0.is_finite() && net.mean != 0.0 {
        sentences.push(fill(
            lang.t("bottom_range"),
            &[
                &signed(lang, net.range.0),
                &signed(lang, net.range.1),
                &d.labels[c],
                &percent(lang, net.prob_worse, 0),
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
            fill(
                lang.t("answer_baseline"),
                &[
                    &number(lang, baselines.len() as f64, 0),
                    &d.labels[b],
                    &money(lang, d.stat(b, Metric::NetValue).mean),
                    &others.join("; "),
                ],
            ),
        );
    }
    sentences.iter().map(|s| escape(s)).collect()
}

/// The risk box (HTML): per model, the chance of spending past the budget and of
/// losing money, the worst 5% of funds, the range of net value over funds beside the
/// CI of its mean, so the CI of a mean is never the only range shown.
fn risk_box(d: &ReportData, lang: Lang) -> String {
    let mut h = format!(
        "<section class=\"risk\">\n<h2>{}</h2>\n<table>\n<thead><tr><th></th>",
        escape(lang.t("risk_heading"))
    );
    for (i, l) in d.labels.iter().enumerate() {
        h += &format!(
            "<th><span class=\"swatch\" style=\"background:{}\"></span>{}</th>",
            css_colour(i),
            escape(l)
        );
    }
    h += "</tr></thead>\n<tbody>\n";
    let models = 0..d.models.len();
    let net = |m: usize| d.stat(m, Metric::NetValue);
    let rows: [(&str, Vec<String>); 5] = [
        (
            "risk_over_budget",
            models
                .clone()
                .map(|m| percent(lang, d.risk(m).over_budget, 0))
                .collect(),
        ),
        (
            "risk_negative",
            models
                .clone()
                .map(|m| percent(lang, d.risk(m).net_negative, 0))
                .collect(),
        ),
        (
            "risk_p5",
            models
                .clone()
                .map(|m| money(lang, net(m).quantiles[0]))
                .collect(),
        ),
        (
            "risk_range",
            models
                .clone()
                .map(|m| {
                    let q = net(m).quantiles;
                    format!("{} – {}", money(lang, q[0]), money(lang, q[4]))
                })
                .collect(),
        ),
        (
            "risk_mean",
            models
                .map(|m| {
                    let s = net(m);
                    format!(
                        "{} [{} ; {}]",
                        money(lang, s.mean),
                        money(lang, s.ci.0),
                        money(lang, s.ci.1)
                    )
                })
                .collect(),
        ),
    ];
    for (key, cells) in rows {
        h += &format!("<tr><th scope=\"row\">{}</th>", escape(lang.t(key)));
        for cell in cells {
            h += &format!("<td>{}</td>", escape(&cell));
        }
        h += "</tr>\n";
    }
    h + "</tbody>\n</table>\n</section>\n"
}

/// "What would change the answer" (HTML): from sensitivity.csv, whether any input moved
/// within its plausible range flips the sign of the headline difference (with the
/// break-even), and the three inputs that move it most; or how to measure it.
fn what_would_change(d: &ReportData, lang: Lang) -> String {
    let mut h = format!(
        "<section class=\"change\">\n<h2>{}</h2>\n",
        escape(lang.t("change_heading"))
    );
    if d.inputs.is_empty() {
        return h + &format!("<p>{}</p>\n</section>\n", escape(lang.t("change_missing")));
    }
    let flips = d.inputs.iter().filter(|r| r.break_even.is_some()).count();
    let intro = if flips == 0 {
        lang.t("change_none").to_string()
    } else {
        fill(
            lang.t("change_flips"),
            &[
                &whole(lang, flips as u64),
                &whole(lang, d.inputs.len() as u64),
            ],
        )
    };
    h += &format!("<p>{}</p>\n<ul>\n", escape(&intro));
    // The flips first (they change the answer), then the largest swings.
    let mut shown: Vec<&super::data::InputMove> =
        d.inputs.iter().filter(|r| r.break_even.is_some()).collect();
    shown.extend(d.inputs.iter().filter(|r| r.break_even.is_none()));
    for r in shown.into_iter().take(3) {
        let value = |x: f64| style::parameter(lang, &r.path, x);
        let mut item = fill(
            lang.t("change_row"),
            &[
                &r.path,
                &value(r.values[1]),
                &value(r.values[2]),
                &signed(lang, r.diffs[1]),
                &signed(lang, r.diffs[2]),
            ],
        );
        if let Some(b) = r.break_even {
            item += &fill(lang.t("change_flip"), &[&value(b), &value(r.values[0])]);
        }
        h += &format!("<li>{}</li>\n", escape(&(item + ".")));
    }
    h + "</ul>\n</section>\n"
}

/// The trade-offs a minister asks first (escaped HTML): services delivered, how the
/// net-value difference splits into value delivered and money not spent, waste and
/// access, time to first value and the largest contract.
fn tradeoffs(d: &ReportData, lang: Lang) -> Vec<String> {
    let (b, c) = d.pair();
    if b == c {
        return Vec::new();
    }
    let mean = |m: usize, metric: Metric| d.stat(m, metric).mean;
    let services = fill(
        lang.t("tradeoff_services"),
        &[
            &number(lang, mean(c, Metric::IdeasDelivered), 1),
            &d.labels[c],
            &number(lang, mean(b, Metric::IdeasDelivered), 1),
            &d.labels[b],
        ],
    );
    // net value = delivered value - spend, so the difference splits exactly.
    let net = signed(lang, d.diff(c, b, Metric::NetValue).mean);
    let value = signed(lang, d.diff(c, b, Metric::DeliveredValue).mean);
    let spend = d.diff(c, b, Metric::Spend).mean;
    let split = if spend > 0.0 {
        fill(
            lang.t("tradeoff_split_spend"),
            &[&net, &value, &money(lang, spend)],
        )
    } else {
        fill(
            lang.t("tradeoff_split"),
            &[&net, &value, &signed(lang, -spend)],
        )
    };
    let waste = d.diff(c, b, Metric::WasteShare);
    let waste = fill(
        lang.t("answer_waste"),
        &[
            &percent(lang, mean(c, Metric::WasteShare), 0),
            &percent(lang, mean(b, Metric::WasteShare), 0),
            &number(lang, 100.0 * waste.mean, 1),
            &number(lang, 100.0 * waste.ci.0, 1),
            &number(lang, 100.0 * waste.ci.1, 1),
            &percent(lang, mean(c, Metric::SmallVendorShare), 0),
            &percent(lang, mean(b, Metric::SmallVendorShare), 0),
        ],
    );
    let time = fill(
        lang.t("answer_time"),
        &[
            &number(lang, mean(c, Metric::MonthsToFirstValue), 1),
            &number(lang, mean(b, Metric::MonthsToFirstValue), 1),
            &percent(lang, mean(c, Metric::LargestContractShare), 1),
            &percent(lang, mean(b, Metric::LargestContractShare), 1),
        ],
    );
    [services, split, waste, time]
        .iter()
        .map(|s| escape(s))
        .collect()
}

fn assumptions(d: &ReportData, lang: Lang) -> Vec<(String, String, String)> {
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
    rows
}

/// "Where the difference comes from": what was done, the two ends of the bridge, the
/// bridge chart and one row per mechanism (from explain.csv).
fn explain_section(
    d: &ReportData,
    t: &crate::explain::Table,
    lang: Lang,
) -> Result<String, String> {
    use super::charts::bridge::{self, Bridge};
    use crate::explain::Part;
    let b = Bridge::new(t, &d.scenario);
    let count = t.mechanisms().count();
    let portfolios = t.rows.first().map_or(0, |r| r.portfolios);
    let text = fill(
        lang.t("explain_text"),
        &[
            &whole(lang, count as u64),
            &whole(lang, 1u64 << count),
            &whole(lang, portfolios as u64),
            b.challenger.get(lang),
            b.baseline.get(lang),
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
    let result = fill(
        lang.t("explain_result"),
        &[
            &signed(lang, off.0),
            &signed(lang, full.0),
            &signed(lang, full.1),
            &signed(lang, full.2),
            top,
            &signed(lang, top_at.0),
            &signed(lang, top_at.1),
            &signed(lang, top_at.2),
        ],
    );
    let mut h = format!(
        "<section id=\"explain\">\n<h2>{}</h2>\n<p>{}</p>\n<p>{}</p>\n<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(lang.t("explain_heading")),
        escape(&text),
        escape(&result),
        bridge::STEM,
        bridge::svg(&b, lang)?,
        escape(lang.t("c_bridge")),
    );
    h.push_str(&format!(
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        escape(lang.t("explain_mechanism")),
        escape(lang.t("explain_contribution")),
        escape(lang.t("explain_share")),
        escape(lang.t("explain_off")),
    ));
    for r in &t.rows {
        let off = match r.part {
            Part::Mechanism(m) => format!("<code>{}</code>", escape(m.off_setting())),
            _ => String::new(),
        };
        h.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{} <span class=\"ci\">[{} ; {}]</span></td><td>{}</td><td>{}</td></tr>\n",
            escape(r.part.label(lang)),
            escape(&signed(lang, r.contribution)),
            escape(&signed(lang, r.ci_low)),
            escape(&signed(lang, r.ci_high)),
            escape(&percent(lang, r.share_of_full, 0)),
            off,
        ));
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
    Ok(h)
}

/// The whole page in `lang`.
pub fn page(d: &ReportData, lang: Lang) -> Result<String, String> {
    let name = escape(d.scenario.name.get(lang));
    let mut h = String::new();
    let push = |h: &mut String, s: &str| h.push_str(s);
    push(
        &mut h,
        &format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} – {}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n<div class=\"decision\">\n",
            lang.code(),
            escape(lang.t("report_title")),
            name,
            CSS
        ),
    );
    // The classification line heads the page, as on any Government of Canada document.
    push(
        &mut h,
        &format!(
            "<p class=\"classification\">{}</p>\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n",
            escape(d.scenario.classification.get(lang)),
            escape(lang.t("report_title")),
            name
        ),
    );
    if !d.provenance.started.is_empty() {
        // One line of its own: folders of one study written on other days (a merge
        // and a single run) differ only here and in the manifest.
        push(
            &mut h,
            &format!(
                "<p class=\"run-date\">{}</p>\n",
                escape(&fill(
                    lang.t("run_date"),
                    &[&style::date(lang, &d.provenance.started)]
                ))
            ),
        );
    }
    if !d.scenario.description.is_empty() {
        push(
            &mut h,
            &format!(
                "<p class=\"description\">{}</p>\n",
                escape(d.scenario.description.get(lang))
            ),
        );
    }
    push(
        &mut h,
        &format!(
            "<section class=\"answer\">\n<h2>{}</h2>\n<p>{}</p>\n<h2>{}</h2>\n<p>{}</p>\n</section>\n",
            escape(lang.t("question")),
            escape(&fill(lang.t("question_text"), &[d.scenario.name.get(lang)])),
            escape(lang.t("bottom_line")),
            answer(d, lang).join(" ")
        ),
    );
    push(&mut h, &risk_box(d, lang));
    // Trade-offs and what would change the answer compare two models.
    if d.models.len() > 1 {
        push(
            &mut h,
            &format!(
                "<section class=\"tradeoffs\">\n<h2>{}</h2>\n<ul>\n{}</ul>\n</section>\n",
                escape(lang.t("tradeoffs")),
                tradeoffs(d, lang)
                    .iter()
                    .map(|s| format!("<li>{s}</li>\n"))
                    .collect::<String>()
            ),
        );
        push(&mut h, &what_would_change(d, lang));
    }
    // Everything after the decision page is an annex: it starts on a page of its own
    // when printed, so the decision page prints on one sheet.
    push(&mut h, "</div>\n<div class=\"annex\">\n");
    // Headline table.
    push(
        &mut h,
        &format!(
            "<h2>{}</h2>\n<table>\n<thead><tr><th>{}</th>",
            escape(lang.t("headline_table")),
            escape(lang.t("metric"))
        ),
    );
    for (i, l) in d.labels.iter().enumerate() {
        push(
            &mut h,
            &format!(
                "<th><span class=\"swatch\" style=\"background:{}\"></span>{}</th>",
                css_colour(i),
                escape(l)
            ),
        );
    }
    push(&mut h, "</tr></thead>\n<tbody>\n");
    for metric in Shown::Table.metrics() {
        push(
            &mut h,
            &format!("<tr><th scope=\"row\">{}</th>", escape(lang.metric(metric))),
        );
        for m in 0..d.models.len() {
            let s = d.stat(m, metric);
            push(
                &mut h,
                &format!(
                    "<td>{} <span class=\"ci\">[{} ; {}]</span></td>",
                    escape(&style::value(lang, metric, s.mean)),
                    escape(&style::value(lang, metric, s.ci.0)),
                    escape(&style::value(lang, metric, s.ci.1))
                ),
            );
        }
        push(&mut h, "</tr>\n");
    }
    push(&mut h, "</tbody>\n</table>\n");
    if let Some(t) = &d.explain {
        push(&mut h, &explain_section(d, t, lang)?);
    }
    // Charts.
    push(&mut h, &format!("<h2>{}</h2>\n", escape(lang.t("charts"))));
    for kind in ChartKind::ALL {
        let svg = render_svg(kind, d, lang)?;
        push(
            &mut h,
            &format!(
                "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                kind.name(),
                svg,
                escape(lang.t(kind.caption_key()))
            ),
        );
    }
    // Assumptions.
    push(
        &mut h,
        &format!(
            "<h2>{}</h2>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            escape(lang.t("assumptions")),
            escape(lang.t("parameter")),
            escape(lang.t("value")),
            escape(lang.t("source"))
        ),
    );
    for (k, v, src) in assumptions(d, lang) {
        push(
            &mut h,
            &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&k),
                escape(&v),
                escape(&src)
            ),
        );
    }
    push(&mut h, "</tbody>\n</table>\n");
    // Reproduce.
    let p = &d.provenance;
    push(&mut h, &reproduce(lang, "reproduce_text", p));
    push(&mut h, "</div>\n</main>\n</body>\n</html>\n");
    Ok(h)
}

/// The "how to reproduce" section: `intro_key` (filled with the version), the command,
/// then seed, portfolios, resolved-scenario hash and version.
pub fn reproduce(lang: Lang, intro_key: &'static str, p: &super::data::Provenance) -> String {
    format!(
        "<h2>{}</h2>\n<p>{}</p>\n<pre>{}</pre>\n<dl>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd><code>{}</code></dd>\n<dt>{}</dt><dd>{}</dd>\n</dl>\n",
        escape(lang.t("reproduce")),
        escape(&fill(lang.t(intro_key), &[&p.version])),
        escape(&p.reproduce),
        escape(lang.t("seed")),
        p.seed,
        escape(lang.t("portfolios")),
        p.portfolios,
        escape(lang.t("scenario_hash")),
        escape(&p.resolved_sha256),
        escape(lang.t("version")),
        escape(&p.version)
    )
}
