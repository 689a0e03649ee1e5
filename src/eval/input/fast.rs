//! The fast path for CSV event rows: at open time, each event type of a file is compiled
//! into a plan of which column holds what (`FastPlan`), and a row with no double quote is
//! then read straight from the bytes of its line, with no `Cell`, no lookup of columns by
//! slot and no error bookkeeping.
//!
//! It must never decide differently from the general path (`EventSource::fill_event`), only
//! sooner: it reads a row only when every check passes, and hands any other row (a quoted
//! line, a value it does not read itself, any problem) to the general path, which reads it
//! again from the start and words the errors. A test holds the two equal on random rows.

use super::fields::{Quick, read_date};
use super::{EventPlan, EventSource, RECORD_ID, TYPE};
use crate::eval::value::{EventRecord, Origin, Value};
use rust_decimal::Decimal;

/// The compiled plans of one CSV event file.
pub(super) struct FastRows {
    /// The column of `type`, in a combined file.
    type_column: Option<usize>,
    /// The last column, whose value may end in the CR of a CRLF line.
    last: usize,
    /// By the index of the plan in `EventSource::plans`.
    plans: Vec<FastPlan>,
}

struct FastPlan {
    /// False when the header lacks a column the event needs: only the general path reads it.
    usable: bool,
    /// A file of one event type with a `type` column that is not a field: the column, whose
    /// value must be empty or the event's name.
    type_check: Option<usize>,
    /// The column of the record's id.
    id: Option<usize>,
    /// The columns of other events' fields, which must be empty.
    blank: Vec<usize>,
    /// The column of each field and how it is read, in IR order.
    fields: Vec<(usize, Quick)>,
}

impl FastRows {
    /// Compiles the plans of a file whose slots are in the columns `column_of` gives; `fixed`
    /// is `EventSource::fixed`.
    pub(super) fn new(
        plans: &[EventPlan],
        fixed: Option<(usize, bool)>,
        column_of: &[Option<usize>],
        width: usize,
    ) -> FastRows {
        let combined = fixed.is_none();
        let plans = plans
            .iter()
            .map(|plan| {
                let fields: Vec<Option<(usize, Quick)>> = plan
                    .fields
                    .iter()
                    .map(|(slot, reader)| column_of[*slot].map(|c| (c, reader.quick())))
                    .collect();
                let type_is_field = plan.fields.iter().any(|(slot, _)| *slot == TYPE);
                FastPlan {
                    usable: plan.missing.is_empty() && fields.iter().all(Option::is_some),
                    type_check: if combined || type_is_field { None } else { column_of[TYPE] },
                    id: column_of[RECORD_ID],
                    blank: plan.foreign.iter().filter_map(|&slot| column_of[slot]).collect(),
                    fields: fields.into_iter().flatten().collect(),
                }
            })
            .collect();
        FastRows {
            type_column: if combined { column_of[TYPE] } else { None },
            last: width.saturating_sub(1),
            plans,
        }
    }
}

impl EventSource {
    /// Reads the current row into `record` by the fast path; false when the row is for the
    /// general path (which then reads it whole, `record` included).
    #[inline]
    pub(super) fn fill_fast(&mut self, record: &mut EventRecord) -> bool {
        let Some(fast) = &self.fast else { return false };
        let Some((buf, columns)) = self.rows.plain_csv() else { return false };
        let last = fast.last;
        let cell = |column: usize| -> Option<&[u8]> {
            let &(start, mut end) = columns.get(column)?;
            if column == last && end > start && buf[end - 1] == b'\r' {
                end -= 1;
            }
            buf.get(start..end)
        };
        let index = match fast.type_column {
            Some(column) => {
                let Some(t) = cell(column) else { return false };
                if self.plans[self.last].name.as_bytes() == t {
                    self.last
                } else if let Some(i) = self.plans.iter().position(|p| p.name.as_bytes() == t) {
                    self.last = i;
                    i
                } else {
                    return false;
                }
            }
            None => match self.fixed {
                Some((plan, _)) => plan,
                None => return false,
            },
        };
        let (Some(plan), Some(compiled)) = (self.plans.get(index), fast.plans.get(index)) else {
            return false;
        };
        if !compiled.usable {
            return false;
        }
        if let Some(column) = compiled.type_check {
            match cell(column) {
                Some(t) if t.is_empty() || t == plan.name.as_bytes() => {}
                _ => return false,
            }
        }
        for &column in &compiled.blank {
            if cell(column).is_none_or(|b| !b.is_empty()) {
                return false;
            }
        }
        let values = &mut record.fields;
        values.clear();
        for (&(column, quick), (_, reader)) in compiled.fields.iter().zip(&plan.fields) {
            let Some(bytes) = cell(column) else { return false };
            let value = if bytes.is_empty() {
                if !reader.optional {
                    return false;
                }
                Value::Missing
            } else {
                let quick = match quick {
                    Quick::Date => read_date(bytes).ok().map(Value::Day),
                    // Out of range is an error; any other text is for `read_text`.
                    Quick::Whole { min, max } => match digits(bytes) {
                        Some(n) if n < min || n > max => return false,
                        n => n.map(Value::Int),
                    },
                    // As `parse_decimal` reads plain digits.
                    Quick::Number => digits(bytes).map(|n| Value::Decimal(Decimal::new(n, 0))),
                    Quick::Other => None,
                };
                match quick {
                    Some(value) => value,
                    None => match reader.read_text(bytes) {
                        Ok(value) => value,
                        Err(_) => return false,
                    },
                }
            };
            values.push(value);
        }
        match compiled.id.map(cell) {
            None | Some(Some(b"")) => record.id = None,
            Some(Some(bytes)) => {
                let Ok(id) = std::str::from_utf8(bytes) else { return false };
                let kept = record.id.get_or_insert_with(String::new);
                kept.clear();
                kept.push_str(id);
            }
            Some(None) => return false,
        }
        let day = |i: usize| match values.get(i) {
            Some(Value::Day(d)) => Some(*d),
            _ => None,
        };
        let Some(start) = day(plan.start) else { return false };
        let end = match plan.end {
            None => Some(start),
            Some(i) => match day(i) {
                Some(end) if end < start => return false,
                Some(end) => Some(end),
                None if plan.open_ended => None,
                None => return false,
            },
        };
        record.event = plan.event;
        record.start = start;
        record.end = end;
        record.origin = Origin { file: self.file, line: self.rows.line };
        true
    }
}

/// The number written as 1 to 18 decimal digits and nothing else (so it fits an `i64`).
#[inline]
fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 18 {
        return None;
    }
    let mut n = 0i64;
    for &c in bytes {
        let digit = c.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + i64::from(digit);
    }
    Some(n)
}
