//! `budgetsim sensitivity`: move each parameter low and high, one at a time, and
//! measure the paired difference of a metric between two models (same seeds); or, with
//! `--method sobol`, vary every uncertain assumption at once and split the variance of
//! that difference into each assumption's share (Sobol indices).

use super::explain::models_flag;
use super::folder::{Output, Study};
use super::resources::{Count, check_memory, thread_pool};
use super::terminal::{Results, begin, progress_bar};
use super::{AppError, load};
use crate::cli::{Method, SensitivityArgs};
use crate::report::i18n::Lang;
use crate::report::style;

/// One-at-a-time sensitivity of a paired difference: sensitivity.csv,
/// sensitivity_excluded.csv and the tornado chart.
pub(super) fn sensitivity(args: &SensitivityArgs) -> Result<(), AppError> {
    use crate::sensitivity::{self as sens, Options};
    let common = &args.common;
    let (started, clock, status) = begin(common);
    let loaded = load(common)?;
    let models = models_flag(args.models.as_deref())?;
    if args.samples.is_some() && args.method != Method::Sobol {
        return Err(AppError::Usage(
            "--samples sets the rows of a Sobol design: add --method sobol".into(),
        ));
    }
    // Before the plan: without --models it runs every model to pick the pair.
    let portfolios = common
        .portfolios
        .or(loaded.sensitivity.as_ref().and_then(|s| s.portfolios))
        .unwrap_or(loaded.scenario.simulation.portfolios);
    check_memory(&loaded.scenario, portfolios, common, Count::Portfolios)?;
    let plan = sens::plan(
        &loaded,
        &Options {
            metric: args.metric.clone(),
            models,
            spread: args.spread,
            portfolios: common.portfolios,
        },
    )?;
    if plan.moves.is_empty() {
        // Say why each parameter was left out: a declared range the scenario's other
        // fields refuse is the usual reason, and only this message can tell.
        let why: Vec<String> = plan
            .excluded
            .iter()
            .filter(|e| !e.reason.contains("not listed"))
            .take(10)
            .map(|e| format!("  {}: {}", e.path, e.reason))
            .collect();
        return Err(AppError::Usage(format!(
            "no parameter can be moved; list some in [sensitivity.parameters] with a low and \
             high the scenario accepts{}{}",
            if why.is_empty() { "" } else { ":\n" },
            why.join("\n")
        )));
    }
    check_memory(&loaded.scenario, plan.portfolios, common, Count::Portfolios)?;
    if args.method == Method::Sobol {
        return sobol(args, &loaded, &plan, (started, clock, status));
    }
    let folder = Output::open(common, &format!("{}-sensitivity", loaded.slug()))?;
    let dest = folder.dest().to_path_buf();
    let pool = thread_pool(common)?;
    status.say(&format!(
        "{} moved one at a time: {} of {}",
        super::terminal::count(plan.moves.len() as u64, "parameter"),
        super::terminal::count(plan.runs(), "run"),
        super::terminal::count(plan.portfolios, "portfolio")
    ));
    let bar = progress_bar(common, plan.runs() * plan.portfolios, "portfolios");
    let table = pool.install(|| sens::run(&plan, &|k| bar.inc(k)));
    bar.finish_and_clear();
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&render_sensitivity(&plan, &table));

    let study = Study {
        loaded: &loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: plan.portfolios,
        kind: crate::export::manifest::FolderKind::Sensitivity,
        options: reproduce_options(&plan, args.spread),
        langs: common.lang.list(),
    };
    study.write(folder, &status, |staging| {
        sens::write_csv(&plan, &table, &staging.path("sensitivity.csv"))?;
        sens::write_excluded(&plan, &staging.path("sensitivity_excluded.csv"))
    })?;
    out.finish(&dest)
}

/// `sensitivity --method sobol`: the Sobol study of `plan`'s assumptions, written as
/// sobol.csv, sobol_points.csv and sensitivity_excluded.csv with its chart and report.
fn sobol(
    args: &SensitivityArgs,
    loaded: &crate::scenario::Loaded,
    plan: &crate::sensitivity::Plan,
    (started, clock, status): (
        std::time::SystemTime,
        std::time::Instant,
        super::terminal::Status,
    ),
) -> Result<(), AppError> {
    use crate::sensitivity::global;
    let common = &args.common;
    let samples = args.samples.unwrap_or(global::DEFAULT_SAMPLES);
    let g = global::global(plan, samples).map_err(AppError::Usage)?;
    let folder = Output::open(common, &format!("{}-sobol", loaded.slug()))?;
    let dest = folder.dest().to_path_buf();
    let pool = thread_pool(common)?;
    status.say(&format!(
        "{} varied together on a Sobol design of {}: {} of {}",
        super::terminal::count(g.inputs.len() as u64, "assumption"),
        super::terminal::count(g.design.n() as u64, "row"),
        super::terminal::count(g.runs(), "run"),
        super::terminal::count(plan.portfolios, "portfolio")
    ));
    let bar = progress_bar(common, g.runs() * plan.portfolios, "portfolios");
    let results = pool.install(|| global::run(&g, &|k| bar.inc(k)));
    bar.finish_and_clear();
    let results = results.map_err(AppError::Usage)?;
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&render_sobol(&g, &results));
    let mut options = reproduce_options(plan, args.spread);
    options.push(format!("--method sobol --samples {}", g.design.n()));
    let study = Study {
        loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: plan.portfolios,
        kind: crate::export::manifest::FolderKind::Sobol,
        options,
        langs: common.lang.list(),
    };
    study.write(folder, &status, |staging| {
        global::write_csv(&g, &results, &staging.path("sobol.csv"))?;
        global::write_points(&g, &results, &staging.path("sobol_points.csv"))?;
        crate::sensitivity::write_excluded(plan, &staging.path("sensitivity_excluded.csv"))
    })?;
    out.finish(&dest)
}

/// The terminal table of a Sobol study: the difference's indices, largest total
/// order first, with their 95% bootstrap CIs.
fn render_sobol(
    g: &crate::sensitivity::global::Global,
    r: &crate::sensitivity::global::Results,
) -> String {
    let plan = g.plan;
    let m = plan.metric;
    let mut out = format!(
        "Sobol indices of the difference in {} ({} minus {}): {} of {}, same seed throughout\n",
        m.name(),
        plan.challenger.1,
        plan.baseline.1,
        super::terminal::count(g.runs(), "run"),
        super::terminal::count(plan.portfolios, "portfolio"),
    );
    let Some(split) = r.splits.first() else {
        return out;
    };
    let ix = match &split.indices {
        Ok(ix) => ix,
        Err(why) => {
            out += &format!("no indices: {}\n", why.text());
            return out;
        }
    };
    out += &format!(
        "mean over the design {}, standard deviation {}\n\n",
        style::diff(Lang::En, m, ix.mean),
        style::value(Lang::En, m, ix.variance.sqrt()),
    );
    out += &format!(
        "{:>4}  {:<46} {:>22} {:>22}  {}\n",
        "rank", "assumption", "alone (first order)", "with interactions", "path"
    );
    let order = crate::sensitivity::global::ranking(split, g.inputs.len());
    let pct = |e: &crate::analysis::sobol::Estimate| {
        format!(
            "{:.0}% [{:.0}, {:.0}]",
            100.0 * e.estimate,
            100.0 * e.low,
            100.0 * e.high
        )
    };
    for (rank, &i) in order.iter().take(20).enumerate() {
        let p = &g.inputs[i];
        out += &format!(
            "{:>4}  {:<46} {:>22} {:>22}  {}\n",
            rank + 1,
            cut(&plan.label(p, Lang::En), 46),
            pct(&ix.first_order[i]),
            pct(&ix.total_order[i]),
            p.path
        );
    }
    if order.len() > 20 {
        out += &format!("  ... {} more in sobol.csv\n", order.len() - 20);
    }
    out += "\nShares of the variance of the difference over the assumptions' ranges (95% \
            bootstrap CIs); each model's own mean is split in sobol.csv too.\n";
    out
}

/// The options that chose what a sensitivity run studied, for its reproduce command.
fn reproduce_options(plan: &crate::sensitivity::Plan, spread: Option<f64>) -> Vec<String> {
    use crate::export::reproduce::shell_word;
    let mut options = vec![
        format!(
            "--models {}",
            shell_word(&format!("{},{}", plan.baseline.1, plan.challenger.1))
        ),
        format!("--metric {}", plan.metric.name()),
    ];
    if let Some(s) = spread {
        options.push(format!("--spread {s}"));
    }
    options.push(format!("--portfolios {}", plan.portfolios));
    options
}

/// The terminal table of a sensitivity run: the largest swings first.
pub(super) fn render_sensitivity(
    plan: &crate::sensitivity::Plan,
    t: &crate::sensitivity::Table,
) -> String {
    let m = plan.metric;
    let mut out = format!(
        "Sensitivity of {} ({} minus {}), {} per run, same seed throughout\n\
         with every parameter as in the scenario: {} [{}, {}]\n\n",
        m.name(),
        plan.challenger.1,
        plan.baseline.1,
        super::terminal::count(plan.portfolios, "portfolio"),
        style::diff(Lang::En, m, t.base.mean_diff),
        style::diff(Lang::En, m, t.base.ci_low),
        style::diff(Lang::En, m, t.base.ci_high),
    );
    out += &format!(
        "{:>4}  {:<46} {:<10} {:>22} {:>14} {:>14} {:>14}  {}\n",
        "rank", "parameter", "kind", "low -> high", "at low", "at high", "swing", "path (--set)"
    );
    let shown = 20;
    for (i, r) in t.rows.iter().take(shown).enumerate() {
        let p = &r.parameter;
        let range = format!("{} -> {}", short(p, p.low), short(p, p.high));
        let path = if p.members.is_empty() {
            p.path.clone()
        } else {
            format!("{} scaled together", p.members.join(", "))
        };
        out += &format!(
            "{:>4}  {:<46} {:<10} {:>22} {:>14} {:>14} {:>14}  {}\n",
            i + 1,
            cut(&plan.label(p, Lang::En), 46),
            p.kind.name(),
            range,
            style::diff(Lang::En, m, r.at_low.mean_diff),
            style::diff(Lang::En, m, r.at_high.mean_diff),
            style::diff(Lang::En, m, r.swing()).trim_start_matches('+'),
            path,
        );
    }
    if t.rows.len() > shown {
        out += &format!("  ... {} more in sensitivity.csv\n", t.rows.len() - shown);
    }
    // Whether any move changes who wins, and where.
    out += &format!(
        "\n{}\n",
        crate::sensitivity::flip_summary(plan, t, Lang::En)
    );
    for (p, b) in t
        .rows
        .iter()
        .filter_map(|r| r.break_even.map(|b| (&r.parameter, b)))
    {
        out += &format!(
            "  {}: the difference crosses zero near {} (scenario {}, {} end {})\n",
            p.path,
            short(p, b.value),
            short(p, p.base),
            b.end.name(),
            short(
                p,
                match b.end {
                    crate::sensitivity::End::Low => p.low,
                    crate::sensitivity::End::High => p.high,
                }
            )
        );
    }
    out += &format!(
        "\n{} parameters left out, with the reason, in sensitivity_excluded.csv\n",
        plan.excluded.len()
    );
    out
}

/// `text` cut to `n` characters, with an ellipsis when cut.
fn cut(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        return text.to_string();
    }
    let mut t: String = text.chars().take(n - 1).collect();
    t.push('…');
    t
}

/// A value of parameter `p` in few characters (a group's factor as `x1.25`).
fn short(p: &crate::sensitivity::Parameter, x: f64) -> String {
    if p.members.is_empty() {
        number(x)
    } else {
        format!("x{}", number(x))
    }
}

/// A number in few characters.
pub(super) fn number(x: f64) -> String {
    if x.abs() >= 1e5 {
        style::money(Lang::En, x)
    } else {
        let t = format!("{x:.4}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
