//! `budgetsim explain` (and `run --explain`): the paired net-value difference of two
//! models attributed to the model's mechanisms by exact Shapley values.

use super::folder::{Output, Study};
use super::resources::{Count, check_memory, thread_pool};
use super::terminal::{Results, Status, begin, progress_bar};
use super::{AppError, load};
use crate::cli::{Common, ExplainArgs};
use crate::report::i18n::Lang;
use crate::report::style;

/// The `--models A,B` option: a baseline and a challenger key.
pub(super) fn models_flag(text: Option<&str>) -> Result<Option<(String, String)>, AppError> {
    let Some(text) = text else {
        return Ok(None);
    };
    match text.split_once(',') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() && !b.contains(',') => {
            Ok(Some((a.trim().to_string(), b.trim().to_string())))
        }
        _ => Err(AppError::Usage(format!(
            "--models takes two model keys, baseline then challenger, e.g. --models waterfall,stage_gated (got `{text}`)"
        ))),
    }
}

/// Portfolios per combination of mechanisms: `--portfolios`, else the scenario's, at
/// most [`crate::explain::DEFAULT_PORTFOLIOS`].
pub(super) fn explain_portfolios(flag: Option<u64>, scenario: u64) -> Result<u64, AppError> {
    match flag.unwrap_or(scenario.min(crate::explain::DEFAULT_PORTFOLIOS)) {
        0 => Err(AppError::Usage("--portfolios must be at least 1".into())),
        n => Ok(n),
    }
}

/// Runs every combination of the plan's mechanisms with a progress bar over
/// combinations x portfolios.
pub(super) fn run_explain(
    common: &Common,
    pool: &rayon::ThreadPool,
    plan: &crate::explain::Plan,
    status: &Status,
) -> crate::explain::Explanation {
    status.say(&format!(
        "explaining {} minus {}: {} mechanisms, {} on/off combinations of {}",
        plan.challenger.1,
        plan.baseline.1,
        plan.mechanisms.len(),
        plan.subsets(),
        super::terminal::count(plan.portfolios, "portfolio")
    ));
    let bar = progress_bar(common, plan.subsets() * plan.portfolios, "portfolios");
    let explanation = pool.install(|| crate::explain::run(plan, &|k| bar.inc(k)));
    bar.finish_and_clear();
    explanation
}

/// `budgetsim explain`: the paired net-value difference of two models attributed to
/// the model's mechanisms; explain.csv and the bridge chart.
pub(super) fn explain(args: &ExplainArgs) -> Result<(), AppError> {
    use crate::explain::{self as ex, Mechanism, Plan};
    let common = &args.common;
    let (started, clock, status) = begin(common);
    let models = models_flag(args.models.as_deref())?;
    let loaded = load(common)?;
    let s = &loaded.scenario;
    let n = explain_portfolios(common.portfolios, s.simulation.portfolios)?;
    check_memory(s, n, common, Count::Portfolios)?;
    let pool = thread_pool(common)?;
    if models.is_none() && s.models.len() > 1 {
        status.say(&format!(
            "choosing the models to compare: {} models on {n} portfolios",
            s.models.len()
        ));
    }
    let pair = pool.install(|| ex::pick_models(s, models.as_ref(), n, &|_| {}))?;
    let folder = Output::open(common, &format!("{}-explain", loaded.slug()))?;
    let dest = folder.dest().to_path_buf();
    let plan = Plan::new(s, pair, n, &Mechanism::ALL);
    let explanation = run_explain(common, &pool, &plan, &status);
    let table = explanation.table();
    let simulate_seconds = clock.elapsed().as_secs_f64();
    let mut out = Results::default();
    out.print(&render_explain(&plan, &table));

    let study = Study {
        loaded: &loaded,
        threads: pool.current_num_threads(),
        started,
        clock,
        simulate_seconds,
        portfolios: n,
        kind: crate::export::manifest::FolderKind::Explain,
        options: vec![
            format!(
                "--models {}",
                crate::export::reproduce::shell_word(&format!(
                    "{},{}",
                    plan.baseline.0, plan.challenger.0
                ))
            ),
            format!("--portfolios {n}"),
        ],
        langs: common.lang.list(),
    };
    study.write(folder, &status, |staging| {
        ex::write_csv(&table, &staging.path("explain.csv"))
    })?;
    out.finish(&dest)
}

/// The terminal table of an explanation: mechanisms by size, then both ends.
pub(super) fn render_explain(plan: &crate::explain::Plan, t: &crate::explain::Table) -> String {
    use crate::explain::Part;
    use crate::metrics::Metric;
    let m = Metric::NetValue;
    let mut out = format!(
        "Where the net-value difference comes from: {} minus {}\n\
         Shapley values over all {} on/off combinations of {} mechanisms, {} each, same seed throughout\n\n",
        plan.challenger.1,
        plan.baseline.1,
        plan.subsets(),
        plan.mechanisms.len(),
        super::terminal::count(plan.portfolios, "portfolio"),
    );
    out += &format!(
        "{:<38} {:>13} {:>26} {:>7}\n",
        "mechanism", "contribution", "95% CI", "share"
    );
    let line = |label: &str, r: &crate::explain::Row| {
        format!(
            "{:<38} {:>13} {:>26} {:>7}\n",
            label,
            style::diff(Lang::En, m, r.contribution),
            format!(
                "[{}, {}]",
                style::diff(Lang::En, m, r.ci_low),
                style::diff(Lang::En, m, r.ci_high)
            ),
            if r.share_of_full.is_finite() {
                format!("{:.0}%", 100.0 * r.share_of_full)
            } else {
                "n/a".into()
            },
        )
    };
    let en = crate::report::Lang::En;
    for r in t.mechanisms() {
        out += &line(r.part.label(en), r);
    }
    out.push('\n');
    for r in [Part::AllOff, Part::Full]
        .into_iter()
        .filter_map(|p| t.get(p))
    {
        out += &line(r.part.label(en), r);
    }
    out
}
