//! The engine against its random-number floor as a ratio, from alternating runs: one
//! default portfolio under every model (as a run simulates it: outcomes only), then
//! the floor's draws (shared/floor.rs), batch after batch, so that both meet the
//! machine in the same state; prints the median ratio of the batches and its
//! quartiles. (Criterion times each bench in turn, and a ratio of two separate runs
//! moves with whatever else the machine does in between.)

use std::hint::black_box;
use std::time::Instant;

use budgetsim::engine::Detail;
use budgetsim::{engine, scenario};

#[path = "shared/floor.rs"]
mod floor;

/// Portfolios per batch, and batches (odd, for a median).
const BATCH: u64 = 1000;
const ROUNDS: usize = 31;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let loaded = match scenario::load_default(&[]) {
        Ok(l) => l,
        Err(e) => panic!("embedded default scenario is invalid: {e}"),
    };
    let s = loaded.scenario;
    let risk = engine::risk::Prepared::new(&s.risk);
    let mut durations = Vec::new();
    let (batch, rounds) = if quick { (10, 3) } else { (BATCH, ROUNDS) };
    // Warm both up before timing.
    for p in 0..batch {
        black_box(engine::run_portfolio_detail(&s, p, Detail::Outcomes));
        black_box(floor::draw(&s, &risk, p, &mut durations));
    }
    let (mut p, mut q) = (0, 0);
    let mut rows: Vec<(f64, f64, f64)> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                p += 1;
                black_box(engine::run_portfolio_detail(&s, p, Detail::Outcomes));
            }
            let e = t.elapsed().as_secs_f64() / batch as f64;
            let t = Instant::now();
            for _ in 0..batch {
                q += 1;
                black_box(floor::draw(&s, &risk, q, &mut durations));
            }
            let f = t.elapsed().as_secs_f64() / batch as f64;
            (e / f, e, f)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (ratio, e, f) = rows[rows.len() / 2];
    println!(
        "engine / floor, one default portfolio: median {ratio:.2} (engine {:.1} µs, floor {:.1} µs), quartiles {:.2} to {:.2}, {rounds} alternating batches of {batch}",
        e * 1e6,
        f * 1e6,
        rows[rows.len() / 4].0,
        rows[3 * rows.len() / 4].0,
    );
}
