//! What the tests of the input readers share: a seeded generator of random rows, and reading
//! a whole input by the fast paths or by the general path alone (the pair every fast path is
//! held equal to).

use super::{Inputs, TimelineReader};
use crate::eval::value::Timeline;

/// A small random number generator, so that each test is the same on every run.
pub(super) struct Random(pub u64);

impl Random {
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    pub(super) fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.below(choices.len())]
    }

    /// The first choice seven times in eight, else any.
    pub(super) fn mostly<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        if self.below(8) == 0 { self.pick(choices) } else { choices[0] }
    }
}

/// Every timeline of `inputs`, the errors kept and their count, read with the fast paths
/// (`fast`) or by the general path alone.
pub(super) fn read(
    contract: &crate::ir::Contract,
    inputs: &Inputs,
    fast: bool,
) -> (Vec<Timeline>, Vec<String>, u64) {
    let reader = TimelineReader::open(contract, inputs).expect("opens");
    let mut reader = if fast { reader } else { reader.without_fast_path() };
    let mut timelines = Vec::new();
    while let Some(timeline) = reader.next_timeline() {
        timelines.push(timeline);
    }
    let errors = reader.errors().iter().map(|e| e.to_string()).collect();
    (timelines, errors, reader.error_count())
}
