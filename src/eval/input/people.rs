//! The fast path for rows of a CSV participants file: a plan compiled when the file is opened
//! (the column and the way to read each field), applied to lines with no double quote straight
//! from the read buffer, as `fast` does for events.
//!
//! It only ever reads a row that is wholly good: a date by `read_date`, an enum case by
//! comparing bytes with the case names, a whole number by its digits, a blank optional field
//! as missing, anything else by the field's own `read_text`. On anything else (a quoted line,
//! a blank required field, a value that does not read, an id that is not UTF-8) it declines,
//! and the general path (`TimelineReader::read_participant`) reads the row again and words
//! every error. Measured with callgrind at 100k participants: the general path's cells and
//! readers cost some 900 instructions a participant, this about 150.

use super::fields::{FieldReader, read_date};
use super::lines::Plain;
use crate::eval::value::{Participant, Value};
use crate::ir;

/// How each field of a participant row is read by the fast path.
pub(super) struct FastPeople {
    /// The column of `id`.
    id: usize,
    /// The last column, whose value may end in the CR of a CRLF line.
    last: usize,
    /// The column of each field and how it is read, in the order of `ParticipantSource::fields`.
    fields: Vec<(usize, Read)>,
}

enum Read {
    Date,
    /// A whole number within these bounds; digits only here, signs by `read_text`.
    Whole {
        min: i64,
        max: i64,
    },
    /// An enum's case names, as bytes.
    Case(Vec<Box<[u8]>>),
    /// Anything else, by `read_text`.
    Other,
}

impl FastPeople {
    /// The plan for a file whose slots are in the columns `column_of` gives (slot 0 is `id`),
    /// with `readers` (slot and reader) made from `declared`; `None` when a column is missing
    /// (the general path then reads, and reports, every row).
    pub(super) fn new(
        declared: &[ir::Field],
        enums: &[ir::Enum],
        readers: &[(usize, FieldReader)],
        column_of: &[Option<usize>],
        width: usize,
    ) -> Option<FastPeople> {
        let id = (*column_of.first()?)?;
        let mut fields = Vec::with_capacity(readers.len());
        for (slot, _) in readers {
            let column = (*column_of.get(*slot)?)?;
            let field = declared.get(slot.checked_sub(1)?)?;
            let ty = match &field.ty {
                ir::Type::Optional { of } => of.as_ref(),
                ty => ty,
            };
            let read = match ty {
                ir::Type::Date => Read::Date,
                ir::Type::Int => Read::Whole { min: i64::MIN, max: i64::MAX },
                ir::Type::Bounded { min, max } => Read::Whole { min: *min, max: *max },
                ir::Type::Enum { name } => match enums.iter().find(|e| &e.name == name) {
                    Some(e) => Read::Case(e.cases.iter().map(|c| c.as_bytes().into()).collect()),
                    None => return None,
                },
                _ => Read::Other,
            };
            fields.push((column, read));
        }
        Some(FastPeople { id, last: width.saturating_sub(1), fields })
    }

    /// Reads a row into `participant` (its id and fields); false when the row is for the
    /// general path, which then reads it whole.
    #[inline]
    pub(super) fn read(
        &self,
        plain: &Plain<'_>,
        readers: &[(usize, FieldReader)],
        participant: &mut Participant,
    ) -> bool {
        let last = self.last;
        let cell = |column: usize| -> Option<&[u8]> {
            let value = plain.get(column)?;
            if column == last { Some(value.strip_suffix(b"\r").unwrap_or(value)) } else { Some(value) }
        };
        let Some(id) = cell(self.id).filter(|id| !id.is_empty()) else { return false };
        let Some(id) = super::fast::short_str(id) else { return false };
        let values = &mut participant.fields;
        values.clear();
        for ((column, read), (_, reader)) in self.fields.iter().zip(readers) {
            let Some(bytes) = cell(*column) else { return false };
            let value = if bytes.is_empty() {
                if !reader.optional {
                    return false;
                }
                Value::Missing
            } else {
                match read {
                    Read::Date => match read_date(bytes) {
                        Ok(day) => Value::Day(day),
                        Err(_) => return false,
                    },
                    Read::Case(cases) => match cases.iter().position(|c| same(c, bytes)) {
                        Some(i) => Value::Case(i as u32),
                        None => return false,
                    },
                    Read::Whole { min, max } => match digits(bytes) {
                        Some(n) if n < *min || n > *max => return false,
                        Some(n) => Value::Int(n),
                        None => match reader.read_text(bytes) {
                            Ok(value) => value,
                            Err(_) => return false,
                        },
                    },
                    Read::Other => match reader.read_text(bytes) {
                        Ok(value) => value,
                        Err(_) => return false,
                    },
                }
            };
            values.push(value);
        }
        participant.id.clear();
        participant.id.push_str(id);
        true
    }
}

/// Whether two short byte strings are equal, a byte at a time: a case name is a few bytes,
/// for which a call to `memcmp` costs more than the comparison.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
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
