//! The portfolio's event queue: intake rounds, contract ends and gate decisions in time
//! order, with a fixed order for events at the same time.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

/// One scheduled event.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Month it happens.
    pub time: f64,
    /// What happens.
    pub kind: EventKind,
    /// Creation order, breaking ties within a kind.
    seq: u64,
    /// Idea id, or round number for intakes.
    pub target: usize,
    /// Attempt slot, for contract ends.
    pub slot: u32,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    // Reversed: BinaryHeap is a max-heap and we want the earliest event first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.time
            .total_cmp(&self.time)
            .then((o.kind as u8).cmp(&(self.kind as u8)))
            .then(o.seq.cmp(&self.seq))
    }
}

/// Events waiting to happen, earliest first.
#[derive(Debug, Default)]
pub struct Queue {
    heap: BinaryHeap<Event>,
    seq: u64,
}

impl Queue {
    /// An empty queue with room for `n` events.
    pub fn with_capacity(n: usize) -> Queue {
        Queue {
            heap: BinaryHeap::with_capacity(n),
            seq: 0,
        }
    }

    /// Schedules an event.
    pub fn push(&mut self, time: f64, kind: EventKind, target: usize, slot: u32) {
        self.seq += 1;
        self.heap.push(Event {
            time,
            kind,
            seq: self.seq,
            target,
            slot,
        });
    }

    /// The next event, if any.
    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }
}
