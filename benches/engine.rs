//! Engine throughput on the embedded default scenario: one portfolio under every model,
//! and a batch of portfolios on 1 and 2 threads (portfolios per second = batch / time);
//! beside them the random-number floor: the words one default portfolio draws, drawn
//! from a single stream.

use std::hint::black_box;

use budgetsim::engine::rng::{Purpose, WORDS_PER_DEFAULT_PORTFOLIO, stream};
use budgetsim::{engine, scenario};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::RngExt;

const BATCH: u64 = 500;

fn bench(c: &mut Criterion) {
    let loaded = match scenario::load_default(&[]) {
        Ok(l) => l,
        Err(e) => panic!("embedded default scenario is invalid: {e}"),
    };
    let s = loaded.scenario;
    c.bench_function("one portfolio, all models", |b| {
        let mut p = 0;
        b.iter(|| {
            p += 1;
            black_box(engine::run_portfolio(&s, p))
        })
    });
    // What the engine could not go below: as many uniforms as one default portfolio
    // draws words (rng.rs), from one stream created once.
    c.bench_function("random-number floor, one default portfolio", |b| {
        let mut rng = stream(1, 0, 0, Purpose::Fundamentals, 0);
        b.iter(|| {
            let mut sum = 0.0f64;
            for _ in 0..WORDS_PER_DEFAULT_PORTFOLIO {
                sum += rng.random::<f64>();
            }
            black_box(sum)
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
