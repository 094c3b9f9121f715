//! Engine throughput on the embedded default scenario: one portfolio under every model,
//! and a batch of portfolios on 1 and 2 threads (portfolios per second = batch / time);
//! beside them the random-number floor: the random numbers one default portfolio draws,
//! of each kind and in the same counts, with no model logic around them.

use std::hint::black_box;

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
    c.bench_function("one portfolio, all models", |b| {
        let mut p = 0;
        b.iter(|| {
            p += 1;
            black_box(engine::run_portfolio(&s, p))
        })
    });
    // What the engine could not go below: the keyed streams one default portfolio
    // creates and the words it draws from them, then its counter uniforms and normals
    // (counts in rng.rs, measured by a unit test).
    c.bench_function("random-number floor, one default portfolio", |b| {
        let d = DEFAULT_PORTFOLIO_DRAWS;
        let per_stream = d.stream_words / d.streams.max(1);
        let mut p = 0;
        b.iter(|| {
            p += 1;
            let key = IdeaKey::new(1, p, 0);
            let mut bits = 0u64;
            for i in 0..d.streams {
                let mut s = key.stream(Purpose::Cost, i);
                let words = if i == 0 {
                    d.stream_words - per_stream * (d.streams - 1)
                } else {
                    per_stream
                };
                for _ in 0..words {
                    bits ^= s.next_u64();
                }
            }
            let mut c = key.counter(Purpose::Signal, 0);
            let mut sum = 0.0f64;
            for _ in 0..d.uniforms {
                sum += c.uniform();
            }
            for _ in 0..d.normals {
                sum += c.normal();
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
