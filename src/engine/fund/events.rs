//! The portfolio's event queue: intake rounds, contract ends and gate decisions in time
//! order, with a fixed order for events at the same time.

/// What happens at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    // Order matters at equal times: money comes back before it is handed out again.
    /// A contract ends (target: idea, slot: attempt).
    ContractEnd = 0,
    /// An idea's gate decision (target: idea).
    Gate = 1,
    /// An intake round (target: round number).
    Intake = 2,
}

/// One scheduled event, in 24 bytes (the heap moves events on every step).
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Month it happens, as [`total_order_bits`]: compared as a plain integer on every
    /// heap step, and turned back into the month only when the event is handled.
    time_bits: u64,
    /// The kind above the creation order (which breaks ties within a kind): with the
    /// time, the order of events.
    order: u64,
    /// Idea id, or round number for intakes.
    pub target: u32,
    /// Attempt slot, for contract ends.
    pub slot: u32,
}

impl Event {
    /// Month it happens.
    pub fn time(&self) -> f64 {
        from_total_order_bits(self.time_bits)
    }

    /// What happens.
    pub fn kind(&self) -> EventKind {
        match self.order >> 62 {
            0 => EventKind::ContractEnd,
            1 => EventKind::Gate,
            _ => EventKind::Intake,
        }
    }

    /// The order as one number, two words compared in turn: the time's bits mapped so that unsigned
    /// order is `f64::total_cmp` order, then kind and creation order.
    fn key(&self) -> u128 {
        u128::from(self.time_bits) << 64 | u128::from(self.order)
    }
}

/// Whether `a` happens before `b` (keys are unique: creation order breaks every tie).
fn before(a: &Event, b: &Event) -> bool {
    a.key() < b.key()
}

/// The bits of `t` as an unsigned number in `f64::total_cmp` order: negative numbers
/// have every bit flipped (larger magnitudes come first), others the sign bit.
fn total_order_bits(t: f64) -> u64 {
    let bits = t.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`total_order_bits`].
fn from_total_order_bits(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key ^ 1 << 63 } else { !key })
}

/// Events waiting to happen, earliest first.
#[derive(Debug, Default)]
pub struct Queue {
    /// A binary min-heap by [`before`]: each event comes before its two children. (Kept
    /// by hand rather than with `BinaryHeap`, whose push writes the event and reads it
    /// back at once, a store the processor cannot forward.)
    heap: Vec<Event>,
    seq: u64,
}

impl Queue {
    /// Empties the queue for a new run, keeping its memory.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.seq = 0;
    }

    /// Schedules an event. `target` is an idea id or a round number (validation keeps
    /// both far below 2^32).
    pub fn push(&mut self, time: f64, kind: EventKind, target: usize, slot: u32) {
        self.seq += 1;
        // Creation order fits below the kind: 2^62 events are never scheduled.
        debug_assert!(self.seq < 1 << 62);
        debug_assert!(u32::try_from(target).is_ok());
        let e = Event {
            time_bits: total_order_bits(time),
            order: (kind as u64) << 62 | self.seq,
            target: target as u32,
            slot,
        };
        let leaf = self.heap.len();
        self.heap.push(e);
        self.sift_up(leaf, e);
    }

    /// Puts `e` into the heap from the hole at `hole` upward: parents that come after
    /// it move down into the hole. (`e` stays in registers, never written and read
    /// back.)
    fn sift_up(&mut self, mut hole: usize, e: Event) {
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if !before(&e, &self.heap[parent]) {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = e;
    }

    /// The next event, if any.
    pub fn pop(&mut self) -> Option<Event> {
        let last = self.heap.pop()?;
        let Some(&first) = self.heap.first() else {
            return Some(last);
        };
        // The hole left at the root goes down to a leaf, the earlier child moving up at
        // each level (one comparison a level, its outcome taken without a branch), and
        // `last` goes into it from below: it belongs near the bottom, so this makes
        // fewer comparisons than stopping on the way down.
        let n = self.heap.len();
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < n {
            child += usize::from(before(&self.heap[child + 1], &self.heap[child]));
            self.heap[hole] = self.heap[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child < n {
            self.heap[hole] = self.heap[child];
            hole = child;
        }
        self.sift_up(hole, last);
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_kind_then_creation() {
        let mut q = Queue::default();
        q.push(5.0, EventKind::Intake, 1, 0);
        q.push(5.0, EventKind::Gate, 2, 0);
        q.push(5.0, EventKind::ContractEnd, 3, 1);
        q.push(5.0, EventKind::ContractEnd, 4, 2);
        q.push(1.5, EventKind::Intake, 5, 0);
        let order: Vec<_> = std::iter::from_fn(|| q.pop())
            .map(|e| (e.time(), e.kind(), e.target, e.slot))
            .collect();
        assert_eq!(
            order,
            [
                (1.5, EventKind::Intake, 5, 0),
                (5.0, EventKind::ContractEnd, 3, 1),
                (5.0, EventKind::ContractEnd, 4, 2),
                (5.0, EventKind::Gate, 2, 0),
                (5.0, EventKind::Intake, 1, 0),
            ]
        );
    }

    #[test]
    fn pushes_and_pops_interleaved_come_out_as_a_sorted_list() {
        // Against a plain reference: every pop gives the earliest pending event by
        // (time, kind, creation), through a run's pattern of pushes between pops, with
        // many equal times.
        use crate::engine::rng::{Purpose, counter};
        let mut rng = counter(3, 0, 0, Purpose::Bids, 0);
        let kinds = [EventKind::ContractEnd, EventKind::Gate, EventKind::Intake];
        let mut q = Queue::default();
        let mut reference: Vec<(f64, u8, u64, usize)> = Vec::new();
        let mut seq = 0;
        let mut now = 0.0;
        for step in 0..5_000usize {
            for _ in 0..(rng.uniform() * 3.0) as usize {
                // Quarter months, so that ties are common.
                let time = now + (rng.uniform() * 40.0).floor() / 4.0;
                let kind = kinds[(rng.uniform() * 3.0) as usize];
                seq += 1;
                q.push(time, kind, step, 0);
                reference.push((time, kind as u8, seq, step));
            }
            if rng.uniform() < 0.6 {
                reference.sort_by(|a, b| {
                    (b.0.total_cmp(&a.0))
                        .then(b.1.cmp(&a.1))
                        .then(b.2.cmp(&a.2))
                });
                let expected = reference.pop();
                let got = q.pop();
                assert_eq!(
                    got.map(|e| (e.time(), e.kind() as u8, e.target as usize)),
                    expected.map(|(t, k, _, target)| (t, k, target)),
                    "step {step}"
                );
                if let Some(e) = got {
                    now = e.time();
                }
            }
        }
    }

    #[test]
    fn time_bits_order_as_total_cmp() {
        let times = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            0.5,
            12.0,
            12.000000000000002,
            f64::INFINITY,
            f64::NAN,
        ];
        for a in times {
            // Each event gives back the month it was scheduled for, bit for bit.
            assert_eq!(
                from_total_order_bits(total_order_bits(a)).to_bits(),
                a.to_bits()
            );
            for b in times {
                let bits = total_order_bits(a).cmp(&total_order_bits(b));
                assert_eq!(bits, a.total_cmp(&b), "{a} vs {b}");
            }
        }
    }
}
