//! Runtime values and the records evaluation reads.

use super::day::Day;
use rust_decimal::Decimal;

/// A value of a field or an expression. Quantities and money are `Decimal` in their
/// canonical unit (see `units`); percentages are `Decimal` with 50 meaning 50%; an enum case
/// is its index in the enum's declaration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Missing,
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    Text(Box<str>),
    Day(Day),
    Case(u32),
}

/// Where a record came from, for error messages and explanations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Origin {
    /// Index into the list of input files.
    pub file: u32,
    /// One-based line (CSV) or record number (JSON Lines) in that file.
    pub line: u64,
}

/// One participant's row: `fields` in the order the IR's participant declaration lists them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Participant {
    pub id: String,
    pub fields: Vec<Value>,
    pub origin: Origin,
}

/// One event record.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EventRecord {
    /// Index of the event in the IR's `events`.
    pub event: usize,
    /// The record's own `id`, if the input gives one (for evidence in decisions).
    pub id: Option<String>,
    /// Values in the order the IR's event declaration lists its fields (dates included).
    pub fields: Vec<Value>,
    /// The day it happened (`on`), or the first day of a spell (`from`).
    pub start: Day,
    /// The last day of a spell (`to`, inclusive); `None` for an open spell. For a point event,
    /// equal to `start`.
    pub end: Option<Day>,
    pub origin: Origin,
}

/// A participant and all of their event records, in input order. The reader refills one
/// `Timeline` participant after participant (`TimelineReader::next_timeline_into`), reusing
/// its vectors and strings.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Timeline {
    pub participant: Participant,
    pub events: Vec<EventRecord>,
}
