//! Engine throughput on the embedded default scenario: one portfolio under every model,
//! each model alone (with the ideas it draws) and the ideas alone, and a batch of
//! portfolios on 1 and 2 threads (portfolios per second = batch / time);
//! beside them the random-number floor: the random numbers one default portfolio draws,
//! of each kind and in the same counts, with no model logic around them.

use std::hint::black_box;

use budgetsim::engine::Detail;
use budgetsim::{engine, scenario};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "shared/floor.rs"]
mod floor;

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
    // What the engine could not go below (shared/floor.rs).
    c.bench_function("random-number floor, one default portfolio", |b| {
        let risk = engine::risk::Prepared::new(&s.risk);
        let mut durations = Vec::new();
        let mut p = 0;
        b.iter(|| {
            p += 1;
            black_box(floor::draw(&s, &risk, p, &mut durations))
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
