//! The fund's ledger: money booked as spent, money committed to running contracts and
//! reserves, and every payment made (the base of the spend metrics and time series).

/// One payment: a contract paid evenly over [start, end], or an overhead paid at `start`.
#[derive(Debug, Clone, Copy)]
pub struct Payment {
    /// Idea paid for.
    pub idea: usize,
    /// Stage of the idea.
    pub stage: usize,
    /// Vendor paid (None for the fund's own gate reviews and procurement).
    pub vendor: Option<usize>,
    /// Dollars.
    pub amount: f64,
    /// Month payment starts.
    pub start: f64,
    /// Month payment ends.
    pub end: f64,
    /// Gate review, procurement or switching cost.
    pub overhead: bool,
    /// Awarded without bids (contracts only).
    pub sole_source: bool,
    /// For contracts: planned price, planned months and actual months.
    pub contract: Option<ContractTerms>,
}

/// What a contract was planned to be and what it turned out to be.
#[derive(Debug, Clone, Copy)]
pub struct ContractTerms {
    /// Awarded price (work plus markup), dollars.
    pub price: f64,
    /// Planned months.
    pub planned_months: f64,
    /// Months it runs (to completion or cancellation).
    pub actual_months: f64,
}

impl Payment {
    /// Amount paid by month `h`.
    pub fn paid_by(&self, h: f64) -> f64 {
        if self.start >= h {
            0.0
        } else if self.end <= h || self.end <= self.start {
            self.amount
        } else {
            self.amount * (h - self.start) / (self.end - self.start)
        }
    }
}

/// The fund's money. Available = budget - booked - open; `open` holds commitments of
/// running contracts (price plus contingency), gate reviews committed with their stage,
/// and ideas' reserves for later stages.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The fund's budget, dollars.
    pub budget: f64,
    /// Spend booked: finished contracts' costs and overheads paid, dollars.
    pub booked: f64,
    /// Commitments and reserves not yet booked, dollars.
    pub open: f64,
    /// Escalation beyond commitments, dollars (how far spend can pass the budget).
    pub excess: f64,
    /// Prices (without contingency) of contracts still running, dollars: what running
    /// work will cost at least, whatever comes back.
    pub running_prices: f64,
    /// Every payment, in the order made.
    pub payments: Vec<Payment>,
    /// Largest awarded price, dollars.
    pub largest_price: f64,
}

impl Ledger {
    /// A ledger for a fund of `budget` dollars, recording payments in `payments`
    /// (emptied first: a reused buffer).
    pub fn new(budget: f64, mut payments: Vec<Payment>) -> Ledger {
        payments.clear();
        Ledger {
            budget,
            payments,
            ..Ledger::default()
        }
    }

    /// Money neither spent nor committed, dollars.
    pub fn available(&self) -> f64 {
        self.budget - self.booked - self.open
    }

    /// Money not yet spent nor owed to running contracts at their price, dollars: the
    /// most a waiting idea could ever get, were every contingency and every other
    /// idea's reserve to come back.
    pub fn ever_available(&self) -> f64 {
        self.budget - self.booked - self.running_prices
    }

    /// A contract ends: its commitment is released and its cost booked; whatever
    /// passed the commitment is escalation excess.
    pub fn close_contract(&mut self, commit: f64, cost: f64, price: f64) {
        self.open -= commit;
        self.booked += cost;
        self.excess += (cost - commit).max(0.0);
        self.running_prices -= price;
    }

    /// Records an overhead paid at once (procurement, switching, gate review).
    pub fn overhead(
        &mut self,
        idea: usize,
        stage: usize,
        vendor: Option<usize>,
        amount: f64,
        t: f64,
    ) {
        self.payments.push(Payment {
            idea,
            stage,
            vendor,
            amount,
            start: t,
            end: t,
            overhead: true,
            sole_source: false,
            contract: None,
        });
    }
}
