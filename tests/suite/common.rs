//! Helpers shared by the integration tests: scenarios built from the embedded default,
//! mechanisms switched off, and small statistics.
#![allow(dead_code)]

use budgetsim::engine;
use budgetsim::metrics::Metric;
use budgetsim::model::{Scenario, Stage, StageDuration, StageScope};
use budgetsim::scenario;

/// The embedded default scenario, validated.
pub fn default_scenario() -> Scenario {
    match scenario::load_default(&[]) {
        Ok(l) => l.scenario,
        Err(e) => panic!("default scenario must load: {e}"),
    }
}

/// A shipped scenario file, validated.
pub fn shipped(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    match scenario::load_file(&path, &[]) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{name} must load: {e}"),
    }
}

/// Turns off overruns, black swans, slips, the duration effect, drift and escalation.
pub fn no_delivery_risk(s: &mut Scenario) {
    let r = &mut s.risk;
    r.overrun_median = 1.0;
    r.overrun_log_sd = 0.0;
    r.black_swan_probability = 0.0;
    r.schedule_median = 1.0;
    r.schedule_log_sd = 0.0;
    r.duration_exponent = 0.0;
    r.requirements_half_life_months = f64::INFINITY;
    r.escalation_cap = f64::INFINITY;
}

/// Makes every gate and competition free and instant.
pub fn free_gates(s: &mut Scenario) {
    for m in &mut s.models {
        m.gate_review_cost = 0.0;
        m.gate_delay_months = 0.0;
        m.procurement_cost = 0.0;
        m.procurement_delay_months = 0.0;
    }
    s.vendors.switching_cost_share = 0.0;
}

/// A stage with the given shares of cost and duration.
pub fn stage(name: &str, scope: f64, duration: f64, noise: f64, hurdle: f64) -> Stage {
    Stage {
        name: name.into(),
        scope: StageScope::Share(scope),
        duration: StageDuration::Share(duration),
        signal_noise: noise,
        misfit_detection: 0.0,
        value_share: 0.0,
        recompete: false,
        hurdle,
        attempts: 1,
    }
}

/// Per-portfolio values of `metric` for model index `m`.
pub fn column(r: &engine::Results, m: usize, metric: Metric) -> Vec<f64> {
    r.outcomes[m].iter().map(|o| o.get(metric)).collect()
}

/// Per-portfolio difference of `metric` between models `a` and `b`.
pub fn diffs(r: &engine::Results, a: usize, b: usize, metric: Metric) -> Vec<f64> {
    column(r, a, metric)
        .iter()
        .zip(column(r, b, metric))
        .map(|(x, y)| x - y)
        .collect()
}

/// Mean and standard error.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Standard normal CDF (erfc by W. J. Cody's rational approximations via a continued
/// fraction would be overkill: this uses the Numerical Recipes erfc, |error| < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = -x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z.abs());
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    let erfc = if z >= 0.0 { erfc } else { 2.0 - erfc };
    0.5 * erfc
}

/// Keeps only the named models, in the order given (tests written for one pair).
pub fn keep(mut s: Scenario, names: &[&str]) -> Scenario {
    s.models = names
        .iter()
        .map(|n| match s.models.iter().find(|m| m.name == *n) {
            Some(m) => m.clone(),
            None => panic!("no model {n}"),
        })
        .collect();
    s
}

/// The default scenario with two models: the baseline named and the stage-gated model
/// (index 0 and 1).
pub fn default_pair(baseline: &str) -> Scenario {
    keep(default_scenario(), &[baseline, "stage_gated"])
}

/// Every shipped scenario that runs as one comparison (the sweep file is the default
/// with a sweep).
pub const PRESETS: &[&str] = &[
    "default.toml",
    "cds-accelerator.toml",
    "us-10x.toml",
    "uk-govtech-catalyst.toml",
    "waterfall-baseline.toml",
    "low-uncertainty.toml",
];

/// Runs the budgetsim binary with `args`.
pub fn bin(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the budgetsim binary with `args` in the folder `cwd`.
pub fn bin_in(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_budgetsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// A command's output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
