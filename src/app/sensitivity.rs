//! `budgetsim sensitivity`: move each parameter low and high, one at a time, and
//! measure the paired difference of a metric between two models (same seeds).

use super::explain::models_flag;
use super::folder::{Output, Study};
use super::resources::{Count, check_memory, thread_pool};
use super::terminal::{Results, begin, progress_bar};
use super::{AppError, load};
use crate::cli::SensitivityArgs;
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
    let folder = Output::open(common, &format!("{}-sensitivity", loaded.slug()))?;
    let dest = folder.dest().to_path_buf();
    let pool = thread_pool(common)?;
    status.say(&format!(
        "{} parameters moved one at a time: {} runs of {} portfolios",
        plan.moves.len(),
        plan.runs(),
        plan.portfolios
    ));
    let bar = progress_bar(common, plan.runs() * plan.portfolios, "portfolios");
    let table = pool.install(|| sens::run(&plan, &|k| bar.inc(k)));
    bar.finish_and_clear();
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&render_sensitivity(&plan, &table));

    let tornado = crate::report::charts::tornado::Tornado {
        metric: plan.metric,
        baseline: plan.baseline.2.clone(),
        challenger: plan.challenger.2.clone(),
        base: table.base.mean_diff,
        rows: table
            .rows
            .iter()
            .map(|r| {
                (
                    r.parameter.path.clone(),
                    r.parameter.low,
                    r.parameter.high,
                    r.at_low.mean_diff,
                    r.at_high.mean_diff,
                )
            })
            .collect(),
    };
    let study = Study {
        loaded: &loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: plan.portfolios,
        verb: "sensitivity",
        options: reproduce_options(&plan, args.spread),
        langs: common.lang.list(),
    };
    study.write(folder, &status, |staging| {
        sens::write_csv(&plan, &table, &staging.path("sensitivity.csv"))?;
        sens::write_excluded(&plan, &staging.path("sensitivity_excluded.csv"))?;
        crate::report::charts::tornado::render(staging.root(), &tornado, &common.lang.list())
            .map(|_| ())
            .map_err(std::io::Error::other)
    })?;
    out.finish(&dest)
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
        "Sensitivity of {} ({} minus {}), {} portfolios per run, same seed throughout\n\
         with every parameter as in the scenario: {} [{}, {}]\n\n",
        m.name(),
        plan.challenger.1,
        plan.baseline.1,
        plan.portfolios,
        style::diff(Lang::En, m, t.base.mean_diff),
        style::diff(Lang::En, m, t.base.ci_low),
        style::diff(Lang::En, m, t.base.ci_high),
    );
    out += &format!(
        "{:>4}  {:<46} {:>22} {:>14} {:>14} {:>14}\n",
        "rank", "parameter", "low -> high", "at low", "at high", "swing"
    );
    let shown = 20;
    for (i, r) in t.rows.iter().take(shown).enumerate() {
        let range = format!("{} -> {}", short(r.parameter.low), short(r.parameter.high));
        out += &format!(
            "{:>4}  {:<46} {:>22} {:>14} {:>14} {:>14}\n",
            i + 1,
            r.parameter.path,
            range,
            style::diff(Lang::En, m, r.at_low.mean_diff),
            style::diff(Lang::En, m, r.at_high.mean_diff),
            style::diff(Lang::En, m, r.swing()).trim_start_matches('+'),
        );
    }
    if t.rows.len() > shown {
        out += &format!("  ... {} more in sensitivity.csv\n", t.rows.len() - shown);
    }
    // Whether any move changes who wins, and where.
    let flips: Vec<String> = t
        .rows
        .iter()
        .filter_map(|r| {
            r.break_even.map(|b| {
                format!(
                    "  {}: the difference crosses zero near {} (scenario {}, {} end {})",
                    r.parameter.path,
                    short(b.value),
                    short(r.parameter.base),
                    b.end.name(),
                    short(match b.end {
                        crate::sensitivity::End::Low => r.parameter.low,
                        crate::sensitivity::End::High => r.parameter.high,
                    })
                )
            })
        })
        .collect();
    if flips.is_empty() {
        out += &format!(
            "\nNo move flips the answer: at every low and high value the mean difference keeps the sign it has in the scenario ({}).\n",
            style::diff(Lang::En, m, t.base.mean_diff)
        );
    } else {
        out += &format!(
            "\n{} of {} moves flip the answer (break-even found by bisection, in sensitivity.csv):\n{}\n",
            flips.len(),
            t.rows.len(),
            flips.join("\n")
        );
    }
    out += &format!(
        "\n{} parameters left out, with the reason, in sensitivity_excluded.csv\n",
        plan.excluded.len()
    );
    out
}

/// A parameter value in few characters.
pub(super) fn short(x: f64) -> String {
    if x.abs() >= 1e5 {
        style::money(Lang::En, x)
    } else {
        let t = format!("{x:.4}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
