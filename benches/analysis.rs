//! What happens after the simulation, per portfolio: absorbing a batch into the tally
//! (columns, exact stage totals, monthly sketches) and the analysis read off it
//! (summaries by selection, paired differences, bands). Throughput in portfolios.

use std::hint::black_box;

use budgetsim::analysis::Tally;
use budgetsim::{engine, scenario};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Portfolios per measurement: several batches, so the per-batch costs show.
const PORTFOLIOS: u64 = 20_000;

fn bench(c: &mut Criterion) {
    let s = match scenario::load_default(&[]) {
        Ok(l) => l.scenario,
        Err(e) => panic!("embedded default scenario is invalid: {e}"),
    };
    // Simulated once; the benchmarks only absorb and analyse.
    let batches: Vec<engine::Results> = engine::batches(0..PORTFOLIOS)
        .map(|r| engine::run(&s, r))
        .collect();
    let mut g = c.benchmark_group("analysis");
    g.throughput(Throughput::Elements(PORTFOLIOS));
    g.sample_size(10);
    g.bench_function(format!("absorb {PORTFOLIOS} portfolios"), |b| {
        b.iter(|| {
            let mut t = Tally::new(&s, 0);
            for r in &batches {
                t.absorb(r);
            }
            black_box(t.count)
        })
    });
    let mut full = Tally::new(&s, 0);
    for r in &batches {
        full.absorb(r);
    }
    g.bench_function(format!("analyse {PORTFOLIOS} portfolios"), |b| {
        b.iter(|| black_box(full.analysis(&s)))
    });
    g.bench_function(format!("row tables of {PORTFOLIOS} portfolios"), |b| {
        b.iter(|| {
            for r in &batches {
                black_box(
                    budgetsim::analysis::frames::portfolios(r)
                        .map(|df| df.height())
                        .ok(),
                );
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
