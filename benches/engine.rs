//! Engine throughput on the embedded default scenario: one portfolio under every model,
//! each model alone (with the ideas it draws) and the ideas alone, and a batch of
//! portfolios on 1 and 2 threads (portfolios per second = batch / time);
//! beside them the random-number floor: the random numbers one default portfolio draws,
//! of each kind and in the same counts, with no model logic around them.

use std::hint::black_box;

use budgetsim::engine::Detail;
use budgetsim::engine::rng::{DEFAULT_PORTFOLIO_DRAWS, IdeaKey, Purpose};
use budgetsim::{engine, scenario};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;

const BATCH: u64 = 500;

fn bench(c: &mut Criterion) {
    let loaded = match scenario::load_default(&[]) {
        Ok(l) => l,
        Err(e) => panic!("embedded default scenario is invalid: {e}"),
    };
    let s = loaded.scenario;
    // Where the time goes: each model alone, its portfolio's ideas drawn as a run
    // draws them; subtract "ideas only" for the model's own share.
    let stages = s.models.iter().map(|m| m.stages.len()).max().unwrap_or(0);
    for m in &s.models {
        c.bench_function(&format!("model {}", m.name), |b| {
            let mut p = 0;
            b.iter(|| {
                p += 1;
                let ideas = engine::IdeaSet::draw(&s, p, stages);
                black_box(engine::fund::simulate_detail(
                    &s,
                    m,
                    &ideas,
                    p,
                    Detail::Outcomes,
                ))
            })
        });
    }
    c.bench_function("ideas only", |b| {
        let mut p = 0;
        b.iter(|| {
            p += 1;
            black_box(engine::IdeaSet::draw(&s, p, stages))
        })
    });
    // As a run simulates it: outcomes only, no per-idea records.
    c.bench_function("one portfolio, all models", |b| {
        let mut p = 0;
        b.iter(|| {
            p += 1;
            black_box(engine::run_portfolio_detail(&s, p, Detail::Outcomes))
        })
    });
    // What the engine could not go below: the counter keys one default portfolio
    // creates, then its uniforms and normals, its planned costs and durations from the
    // scenario's distributions, and its contracts' risk draws, each kind in the counts
    // the engine draws (rng.rs, measured by a unit test), with no model logic around.
    c.bench_function("random-number floor, one default portfolio", |b| {
        let d = DEFAULT_PORTFOLIO_DRAWS;
        let risk = engine::risk::Prepared::new(&s.risk);
        let mut durations = Vec::with_capacity(d.planned_durations as usize);
        let mut p = 0;
        b.iter(|| {
            p += 1;
            let key = IdeaKey::new(1, p, 0);
            let mut bits = 0u64;
            for i in 0..d.keys {
                bits ^= key.counter(Purpose::Cost, i).next_u64();
            }
            let mut c = key.counter(Purpose::Signal, 0);
            let mut sum = 0.0f64;
            for _ in 0..d.uniforms {
                sum += c.uniform();
            }
            for _ in 0..d.normals {
                sum += c.normal();
            }
            for _ in 0..d.planned_costs {
                sum += s.ideas.planned_cost.sample(&mut c);
            }
            durations.clear();
            for _ in 0..d.planned_durations {
                durations.push(s.ideas.planned_duration_months.sample(&mut c));
            }
            for i in 0..d.risk_draws as usize {
                let months = durations[i % durations.len()];
                let draw = risk.draw(months, 0.0, &mut c);
                sum += draw.cost + draw.schedule;
            }
            black_box((bits, sum))
        })
    });
    let mut g = c.benchmark_group("default scenario batch");
    g.throughput(Throughput::Elements(BATCH));
    g.sample_size(20);
    for threads in [1, 2] {
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => panic!("cannot build thread pool: {e}"),
        };
        g.bench_function(format!("{BATCH} portfolios, {threads} threads"), |b| {
            b.iter(|| pool.install(|| black_box(engine::run(&s, 0..BATCH))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
