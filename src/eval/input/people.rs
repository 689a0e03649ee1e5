//! The fast path for rows of a CSV participants file: a plan compiled when the file is opened
//! (the column and the way to read each field), applied to lines with no double quote straight
//! from the read buffer, as `fast` does for events.
//!
//! It only ever reads a row that is wholly good: a date by `read_date`, an enum case by
//! comparing bytes with the case names, a whole number by its digits, a blank optional field
//! as missing, anything else by the field's own `read_text`. On anything else (a quoted line,
//! a blank required field, a value that does not read, an id that is not UTF-8) it declines,
//! and the general path (`TimelineReader::read_participant`) reads the row again and words
//! every error. Measured with callgrind at 100k participants, together with reading each id
//! once instead of three times: 1,836 -> 1,814 instructions an event, some 220 a participant;
//! this path costs about 170 a participant, its two dates included.
//!
//! A plain line of up to 64 bytes is not even split by `Rows::next`: `TimelineReader` peeks
//! at it (`CsvLines::keep_peek`) when it needs the next participant's id, and at the next
//! call reads it from what the peek kept (`read_peeked`). Measured with callgrind at 100k
//! participants: 1,286 -> 1,282 instructions an event (peeking at the line twice instead of
//! keeping the first peek: 1,292). From a peeked line, an id is checked to be ASCII and a
//! case name compared with a value as 16-byte words (`Row`, `Case`).

use super::fast::{Word, digits, short_str};
use super::fields::{FieldReader, read_date};
use super::lines::{Peeked, Plain};
use crate::eval::value::{Participant, Value};
use crate::ir;

/// Rows read straight from a peeked line (`TimelineReader::read_participant_line`), for the
/// tests to see that it is taken.
#[cfg(test)]
pub(super) static FUSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How each field of a participant row is read by the fast path.
pub(super) struct FastPeople {
    /// The column of `id`.
    id: usize,
    /// The last column, whose value may end in the CR of a CRLF line.
    last: usize,
    /// The number of columns.
    width: usize,
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
    /// An enum's case names.
    Case(Vec<Case>),
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
                    Some(e) => Read::Case(e.cases.iter().map(|c| Case::new(c.as_bytes())).collect()),
                    None => return None,
                },
                _ => Read::Other,
            };
            fields.push((column, read));
        }
        Some(FastPeople { id, last: width.saturating_sub(1), width, fields })
    }

    /// The number of columns, which a line `CsvLines::peek` gives must have.
    #[inline(always)]
    pub(super) fn width(&self) -> usize {
        self.width
    }

    /// The column of `id`.
    #[inline(always)]
    pub(super) fn id_column(&self) -> usize {
        self.id
    }

    /// `read` for a line `CsvLines::peek` gave (with `width` values; its last has no CR).
    #[inline]
    pub(super) fn read_peeked(
        &self,
        line: &Peeked<'_>,
        readers: &[(usize, FieldReader)],
        participant: &mut Participant,
    ) -> bool {
        self.read_with(line, readers, participant)
    }

    /// Reads a row into `participant` (its id and fields); false when the row is for the
    /// general path, which then reads it whole. Out of line: most rows are read from a peeked
    /// line (`read_peeked`), and inlined this cost the reader's loop some 7 instructions an
    /// event (callgrind).
    #[inline(never)]
    pub(super) fn read(
        &self,
        plain: &Plain<'_>,
        readers: &[(usize, FieldReader)],
        participant: &mut Participant,
    ) -> bool {
        self.read_with(&(plain, self.last), readers, participant)
    }

    /// `read` with the row's values given by `row`.
    #[inline(always)]
    fn read_with<'a>(
        &self,
        row: &impl Row<'a>,
        readers: &[(usize, FieldReader)],
        participant: &mut Participant,
    ) -> bool {
        let Some(id) = row.text(self.id).filter(|id| !id.is_empty()) else { return false };
        let values = &mut participant.fields;
        values.clear();
        for ((column, read), (_, reader)) in self.fields.iter().zip(readers) {
            let Some(bytes) = row.value(*column) else { return false };
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
                    Read::Case(cases) => match row.case(*column, bytes, cases) {
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

/// An enum's case name, with its `Word` to compare with a value of a peeked line in a few
/// instructions (`Peeked::word`; a byte at a time cost some 50 instructions a participant).
struct Case {
    name: Box<[u8]>,
    word: Word,
}

impl Case {
    fn new(name: &[u8]) -> Case {
        Case { name: name.into(), word: Word::new(name) }
    }

    /// Whether a value given as `Peeked::word` gives it (`value` its bytes) is this case.
    #[inline(always)]
    fn is(&self, word: (usize, u128), value: &[u8]) -> bool {
        self.word.is(word, || value, &self.name)
    }
}

/// Whether two short byte strings are equal, a byte at a time: a case name is a few bytes,
/// for which a call to `memcmp` costs more than the comparison.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The values of a row, as the fast path reads them: a peeked line, or a plain row (with its
/// last column, whose value is without the CR of a CRLF line).
trait Row<'a> {
    /// Value `column`, or `None` when the row has no such value.
    fn value(&self, column: usize) -> Option<&'a [u8]>;
    /// Value `column` as text, or `None` when it is not UTF-8 (or no value).
    fn text(&self, column: usize) -> Option<&'a str>;
    /// Which of `cases` value `column` (its `bytes`) is.
    fn case(&self, column: usize, bytes: &[u8], cases: &[Case]) -> Option<usize>;
}

impl<'a> Row<'a> for Peeked<'a> {
    #[inline(always)]
    fn value(&self, column: usize) -> Option<&'a [u8]> {
        Some(Peeked::value(self, column))
    }

    #[inline(always)]
    fn text(&self, column: usize) -> Option<&'a str> {
        let bytes = Peeked::value(self, column);
        if self.is_ascii(column) {
            // SAFETY: every byte of the value is below 0x80 (`is_ascii`), and ASCII is UTF-8.
            Some(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            std::str::from_utf8(bytes).ok()
        }
    }

    #[inline(always)]
    fn case(&self, column: usize, bytes: &[u8], cases: &[Case]) -> Option<usize> {
        let word = self.word(column);
        cases.iter().position(|case| case.is(word, bytes))
    }
}

impl<'a> Row<'a> for (&Plain<'a>, usize) {
    #[inline(always)]
    fn value(&self, column: usize) -> Option<&'a [u8]> {
        self.0.cell(column, self.1)
    }

    #[inline(always)]
    fn text(&self, column: usize) -> Option<&'a str> {
        short_str(self.value(column)?)
    }

    #[inline(always)]
    fn case(&self, _: usize, bytes: &[u8], cases: &[Case]) -> Option<usize> {
        cases.iter().position(|case| same(&case.name, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Random, read};
    use super::super::{EventFile, Inputs, Ordering};

    const CONTRACT: &str = r#"
contract "Participants" {
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
}

enum Group { ready, needs_support, complex }

participant {
  born: date
  left: date?
  group: Group
  score: 14..70
  count: int?
  note: text?
  rate: decimal?
}

event survey {
  on: date
  mark: int
}

outcome surveyed "Surveyed" {
  achieved when survey.mark > 3 in at least 1 of the 2 calendar months after participant.born
  pays 10 GBP
}
"#;

    #[test]
    fn the_fast_path_reads_random_participants_as_the_general_path_does() {
        let contract =
            crate::compile("participants.pay", CONTRACT, &crate::resolve::NoFiles).ir.expect("compiles");
        let dir = tempfile::tempdir().unwrap();
        let mut random = Random(3);
        let columns = ["id", "born", "left", "group", "score", "count", "note", "rate"];
        // DEL stands for a byte that is not UTF-8 (0xFF), written after formatting.
        let ids = ["P1", "P2", "", "P\u{7f}", "P\u{e9}", "\"P3\"", "\"P,4\""];
        let dates = ["2008-09-28", "2023-02-29", "2024-13-01", "", "28/09/2008", "\"2009-01-31\""];
        let groups = ["ready", "needs_support", "complex", "Ready", "", "ready ", "\"complex\""];
        let scores = ["14", "70", "071", "+20", "-3", "71", "", "1e1", "20.0", "99999999999999999999"];
        let counts = ["", "5", "-5", "007", "99999999999999999999", "x", "1.5"];
        let notes = ["", "plain", "\"a, b\"", "\u{7f}", "\u{e9}t\u{e9}"];
        let rates = ["", "1.5", "-0.25", "x", "1e3"];
        let (mut read_rows, mut bad_rows) = (0, 0);
        let fused_before = super::FUSED.load(std::sync::atomic::Ordering::Relaxed);
        for round in 0..60 {
            // The columns in any order, now and then after a byte-order mark.
            let mut order: Vec<usize> = (0..columns.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, random.below(i + 1));
            }
            let mut text = if random.below(4) == 0 { "\u{feff}".to_string() } else { String::new() };
            text.push_str(&order.iter().map(|&c| columns[c]).collect::<Vec<_>>().join(","));
            text.push('\n');
            let mut events = String::from("participant,type,id,on,mark\n");
            for n in 0..16 {
                // Mostly the next id; now and then an earlier one, a blank or an odd one.
                let id = match random.below(10) {
                    0 => ids[random.below(ids.len())].to_string(),
                    _ => format!("P{}", n + 1),
                };
                let id = id.as_str();
                let values = [
                    id,
                    random.mostly(&dates),
                    if random.below(2) == 0 { "" } else { random.mostly(&dates) },
                    random.mostly(&groups),
                    random.mostly(&scores),
                    random.mostly(&counts),
                    random.mostly(&notes),
                    random.mostly(&rates),
                ];
                let mut row: Vec<&str> = order.iter().map(|&c| values[c]).collect();
                match random.below(12) {
                    0 => row.push("extra"),
                    1 => {
                        row.pop();
                    }
                    _ => {}
                }
                text.push_str(&row.join(","));
                text.push_str(match random.below(6) {
                    0 => "\r\n",
                    1 => "\n\n",
                    2 => "\n\r\n",
                    _ => "\n",
                });
                for _ in 0..random.below(3) {
                    let mark = random.mostly(&["4", "1", "x"]);
                    events.push_str(&format!("{id},survey,,{},{mark}\n", random.mostly(&dates)));
                }
            }
            let not_utf8 =
                |text: &str| -> Vec<u8> { text.bytes().map(|b| if b == 0x7F { 0xFF } else { b }).collect() };
            let participants = dir.path().join(format!("participants{round}.csv"));
            let events_file = dir.path().join(format!("events{round}.csv"));
            std::fs::write(&participants, not_utf8(&text)).unwrap();
            std::fs::write(&events_file, not_utf8(&events)).unwrap();
            for ordering in [Ordering::Grouped, Ordering::InMemory] {
                let inputs = Inputs {
                    participants: participants.clone(),
                    events: vec![EventFile { path: events_file.clone(), event: None }],
                    format: None,
                    ordering,
                };
                let fast = read(&contract, &inputs, true);
                read_rows += fast.0.len();
                bad_rows += fast.2;
                assert_eq!(fast, read(&contract, &inputs, false), "round {round}, {ordering:?}");
            }
        }
        assert!(read_rows > 600 && bad_rows > 1_000, "{read_rows} participants read, {bad_rows} errors");
        // Most rows are read from a peeked line (other tests may add to the count meanwhile).
        let fused = super::FUSED.load(std::sync::atomic::Ordering::Relaxed) - fused_before;
        assert!(fused > 300, "{fused} rows read from a peeked line");
    }
}
