//! Reading and validating evaluation input: participants and their events, streamed as one
//! [`Timeline`] per participant. This module owns the input formats, documented here for
//! users; `TimelineReader` is its one entry point.
//!
//! # Files and formats
//!
//! Every file is CSV (`.csv`) or JSON Lines (`.jsonl` or `.ndjson`), chosen by its extension
//! unless [`Inputs::format`] says. CSV files start with a header naming the columns, in any
//! order; values may be quoted (`"a, b"`, with `""` for a quote inside); lines may end in LF or
//! CRLF; a UTF-8 byte-order mark at the start is ignored. A JSON Lines file holds one object per
//! line, whose keys are the column names and whose values are strings, numbers, `true`, `false`
//! or `null`; blank lines are ignored. Both must be UTF-8.
//!
//! - **Participants**: one row per participant, with `id` and every field of the contract's
//!   participant declaration.
//! - **Events**, either in one combined file whose rows have `participant` (the participant's
//!   id), `type` (the declared event's name), an optional `id` (the record's own id, carried as
//!   evidence) and the event's fields; or in one file per event type
//!   ([`EventFile::event`]), with `participant`, optional `id` and the fields, and optionally a
//!   `type` column, which must then name that event. In a combined CSV file the header is the
//!   union of the columns of the types it holds, and a column that a row's type does not
//!   declare must be empty in that row; in JSON Lines such a key must be absent or `null`.
//!   Several event files, combined or not, may be given together.
//!
//! # Values
//!
//! A value is read by its field's declared type:
//!
//! | type | written |
//! | --- | --- |
//! | `date` | `YYYY-MM-DD`, a day that exists (`2023-02-29` is an error) |
//! | `bool` | `true` or `false` |
//! | `int`, `14..70` | a whole number (`-3`, `+5`), within the bounds if any |
//! | `decimal` | a number: `2.5`, `-0.75`, `1.5e3` |
//! | percentage | a number, `50` meaning 50%; a trailing `%` is allowed (`50%`) |
//! | quantity (`hours per week`, `GBP`) | a bare number in the field's declared unit; a field declared in a non-canonical unit (`hours per day`) is converted exactly (× 7 to hours per week) |
//! | enum | the case's name, as declared (`needs_support`) |
//! | `text` | any text |
//!
//! Numbers are exact decimals, never binary floats, in JSON Lines too (a JSON number is read
//! from its text). In JSON Lines a value may be a JSON string holding what a CSV cell would,
//! and ids may be numbers. A field declared optional (`date?`) may be empty (an empty CSV cell,
//! or `null` or an absent key in JSON Lines): it is then missing. Any other field must have a
//! value. A point event happens on its `on` date; a spell runs from `from` to `to`, both
//! included, and an empty `to` (when declared `to: date?`) is a spell still going on. A spell
//! whose `to` is before its `from` is an error.
//!
//! # Errors
//!
//! Every row is checked, and every problem is an [`InputError`] naming the file, line (CSV:
//! the line the row starts on, the header being line 1; JSON Lines: the line), the field, the
//! value and what was expected. Reading never stops at an error: a bad row is skipped and the
//! next one read, so one run reports every problem (the first [`ERRORS_KEPT`] in full, and a
//! count of all). Header problems (unknown, missing or repeated columns) are reported once per
//! file, by [`TimelineReader::open`]; an unknown JSON key, once per file and key.
//!
//! # Streaming and ordering
//!
//! With [`Ordering::Grouped`] (the default) the reader is a merge-join: it walks the
//! participants file and every event file in step, so that memory holds one participant's
//! events, never a file. For that, each event file must list its events grouped by
//! participant, the groups in the order of the participants file (as a database export
//! sorted by participant id gives, when the participants are sorted the same way); a
//! participant may have no events in a file. An event found after its participant's group
//! has passed is an error saying so, as is an event for an id that is not in the participants
//! file; neither stops the run. Events reach the timeline in file order: the event files in
//! the order given, each in its own order.
//!
//! With [`Ordering::InMemory`] the event files may be in any order: they are read whole into
//! memory, grouped by participant, before the first timeline is returned. Memory then grows
//! with the number of events (a few hundred bytes each).
//!
//! In both modes, [`TimelineReader::open`] first reads the participants file's `id` column
//! once, keeping a 64-bit hash and the position of each id (about 17 bytes per participant,
//! not the ids themselves): that is how an event for an unknown participant is told apart
//! from one for a participant still to come, and how duplicate ids are found. Keeping the ids
//! would cost their length plus some 40 bytes each, several times more. Two different ids
//! with the same hash (about one chance in 37 million for a million ids) are reported as an
//! error, never merged. So in grouped mode memory is bounded by about 17 bytes per
//! participant plus one participant's events: some 20 MB for a million participants.

mod fast;
mod fields;
mod ids;
mod json;
mod lines;
mod people;
mod rows;
#[cfg(test)]
mod testing;

use crate::eval::value::{EventRecord, Origin, Participant, Timeline, Value};
use crate::ir;
use fields::{Cell, FieldReader, show};
use ids::IdIndex;
use rows::{Rows, joined, listed};
use std::fmt;
use std::path::{Path, PathBuf};

/// How many errors are kept in full; the rest are only counted.
pub const ERRORS_KEPT: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    JsonLines,
}

/// Whether event files are grouped by participant in the participants file's order (see the
/// module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ordering {
    /// Streamed in step with the participants file: memory holds one participant's events.
    #[default]
    Grouped,
    /// Any order: every event is read into memory first.
    InMemory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFile {
    pub path: PathBuf,
    /// The event every row of the file is (`--events employment=jobs.csv`); `None` for a
    /// combined file whose rows name their event in `type`.
    pub event: Option<String>,
}

/// One set of input files: the treated cohort, or a control group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inputs {
    pub participants: PathBuf,
    pub events: Vec<EventFile>,
    /// The format of every file; `None` to tell each by its extension.
    pub format: Option<InputFormat>,
    pub ordering: Ordering,
}

/// A problem with the input. `message` is the complete sentence, quoting the value if there is
/// one; `Display` prefixes it with the file, line and field:
/// ``jobs.csv:14: field `hours`: `twenty` is not a number: expected a number of hours per week``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// One-based; 0 for a problem with the whole file (it cannot be opened or read).
    pub line: u64,
    pub field: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl InputError {
    fn file(file: &str, message: String) -> InputError {
        InputError { file: file.to_string(), line: 0, field: None, value: None, message }
    }

    fn row(rows: &Rows, field: Option<&str>, value: Option<String>, message: String) -> InputError {
        InputError {
            file: rows.name.clone(),
            line: rows.line,
            field: field.map(str::to_string),
            value,
            message,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// Errors so far: the first `ERRORS_KEPT` in full, and a count of all.
#[derive(Default)]
struct Errors {
    kept: Vec<InputError>,
    count: u64,
}

impl Errors {
    /// Records an error, building it only if it is to be kept.
    fn add(&mut self, error: impl FnOnce() -> InputError) {
        self.count += 1;
        if self.kept.len() < ERRORS_KEPT {
            self.kept.push(error());
        }
    }
}

/// How one event type is read from one file.
struct EventPlan {
    /// Index in the IR's `events`.
    event: usize,
    name: String,
    /// The slot and reader of each field, in IR order.
    fields: Vec<(usize, FieldReader)>,
    /// Slots of other events' fields, which must be blank in this event's rows.
    foreign: Vec<usize>,
    /// Columns this event needs that a CSV file's header lacks (combined files only; reported
    /// at the first row of this type).
    missing: Vec<String>,
    missing_reported: bool,
    /// Field indices of `on`/`from`, and of `to` for a spell.
    start: usize,
    end: Option<usize>,
    open_ended: bool,
}

/// Where an event file stands in the merge-join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No row read ahead.
    Empty,
    /// A row is read ahead and not yet matched to a participant.
    Unread,
    /// The row read ahead belongs to the participant with this ordinal, still to come.
    Waiting(u32),
    Exhausted,
}

const PARTICIPANT: usize = 0;
const TYPE: usize = 1;
const RECORD_ID: usize = 2;

struct EventSource {
    /// Index in `files`.
    file: u32,
    rows: Rows,
    plans: Vec<EventPlan>,
    /// For a file of one event type: its plan, and whether slot `TYPE` is that event's own
    /// field named `type` rather than the type column.
    fixed: Option<(usize, bool)>,
    /// The plan of the last row, tried first for the next.
    last: usize,
    state: State,
    /// The compiled plans of a CSV file (see `fast`).
    fast: Option<fast::FastRows>,
}

/// Where a row's participant stands relative to the current one.
enum Placement {
    Unknown,
    Passed,
    Ahead(u32),
    Collision,
}

impl EventSource {
    /// The event of the current row, or `None` after recording why it is not one. The record
    /// is one of `spare`'s when there is one: its vectors and strings are reused, which saves
    /// several allocations per event.
    fn read_event(&mut self, errors: &mut Errors, spare: &mut Vec<EventRecord>) -> Option<EventRecord> {
        let mut record = spare.pop().unwrap_or_default();
        if self.fill_event(errors, &mut record) {
            Some(record)
        } else {
            spare.push(record);
            None
        }
    }

    /// Reads the current row into `record`; false after recording why it is not an event.
    fn fill_event(&mut self, errors: &mut Errors, record: &mut EventRecord) -> bool {
        self.fill_fast(record) || self.fill_general(errors, record)
    }

    /// `fill_event` for the rows the fast path leaves (see `fast`), and for JSON Lines: kept out
    /// of line, as inlined its size slowed the fast path down (measured with callgrind).
    #[inline(never)]
    fn fill_general(&mut self, errors: &mut Errors, record: &mut EventRecord) -> bool {
        let rows = &self.rows;
        let index = match self.fixed {
            Some((plan, type_is_field)) => {
                let name = &self.plans[plan].name;
                if !type_is_field {
                    if let Some(t) = rows.cell(TYPE).key_bytes().filter(|t| *t != name.as_bytes()) {
                        errors.add(|| {
                            let value = show(t);
                            let message =
                                format!("`{value}` is not `{name}`: this file holds only `{name}` events");
                            InputError::row(rows, Some("type"), Some(value), message)
                        });
                        return false;
                    }
                }
                plan
            }
            None => {
                let cell = rows.cell(TYPE);
                let Some(t) = cell.key_bytes() else {
                    errors.add(|| {
                        let names: Vec<String> = self.plans.iter().map(|p| p.name.clone()).collect();
                        let message = format!("no event type: expected {}", listed(&names));
                        InputError::row(rows, Some("type"), None, message)
                    });
                    return false;
                };
                if self.plans[self.last].name.as_bytes() == t {
                    self.last
                } else if let Some(i) = self.plans.iter().position(|p| p.name.as_bytes() == t) {
                    self.last = i;
                    i
                } else {
                    errors.add(|| {
                        let names: Vec<String> = self.plans.iter().map(|p| p.name.clone()).collect();
                        let value = show(t);
                        let message =
                            format!("`{value}` is not a declared event: expected {}", listed(&names));
                        InputError::row(rows, Some("type"), Some(value), message)
                    });
                    return false;
                }
            }
        };
        let plan = &mut self.plans[index];
        if !plan.missing.is_empty() {
            if !plan.missing_reported {
                plan.missing_reported = true;
                let (name, missing) = (&plan.name, &plan.missing);
                errors.add(|| {
                    let message = format!(
                        "no {} {} in the header, which `{name}` events need (reported once for this file)",
                        if missing.len() == 1 { "column" } else { "columns" },
                        joined(missing, "and")
                    );
                    InputError::row(rows, None, None, message)
                });
            }
            return false;
        }
        let mut good = true;
        for &slot in &plan.foreign {
            let cell = rows.cell(slot);
            if !cell.is_blank() {
                good = false;
                errors.add(|| {
                    let column = &rows.columns[slot];
                    let value = cell.shown();
                    let (word, blank) = match rows.column_word() {
                        "column" => ("column", "empty"),
                        word => (word, "absent or null"),
                    };
                    let message = format!(
                        "{word} `{column}` is not a field of `{}` events, so it must be {blank} in this row, \
                         not `{value}`",
                        plan.name
                    );
                    InputError::row(rows, Some(column), Some(value), message)
                });
            }
        }
        // Set before the values, for `fast::fill_line`'s sake (see there).
        record.event = plan.event;
        let values = &mut record.fields;
        values.clear();
        for (slot, reader) in &plan.fields {
            let cell = rows.cell(*slot);
            match reader.read(cell) {
                Ok(v) => values.push(v),
                Err(problem) => {
                    good = false;
                    values.push(Value::Missing);
                    errors.add(|| {
                        let message = reader.explain(cell, problem);
                        InputError::row(rows, Some(&reader.name), Some(cell.shown()), message)
                    });
                }
            }
        }
        match rows.cell(RECORD_ID).key_bytes().map(std::str::from_utf8) {
            None => record.id = None,
            Some(Ok(id)) => match &mut record.id {
                Some(kept) => {
                    kept.clear();
                    kept.push_str(id);
                }
                None => record.id = Some(id.to_string()),
            },
            Some(Err(_)) => {
                errors.add(|| {
                    let value = rows.cell(RECORD_ID).shown();
                    let message = format!("`{value}` is not valid UTF-8 text: expected a record id");
                    InputError::row(rows, Some("id"), Some(value), message)
                });
                return false;
            }
        }
        if !good {
            return false;
        }
        let day = |i: usize| match values[i] {
            Value::Day(d) => Some(d),
            _ => None,
        };
        let Some(start) = day(plan.start) else {
            // A non-optional date field has a day by now; only a broken IR gets here.
            errors.add(|| {
                let field = &plan.fields[plan.start].1.name;
                InputError::row(rows, Some(field), None, "no date: expected a date as YYYY-MM-DD".into())
            });
            return false;
        };
        let end = match plan.end {
            None => Some(start),
            Some(i) => match day(i) {
                Some(end) if end < start => {
                    errors.add(|| {
                        let from = &plan.fields[plan.start].1.name;
                        let to = &plan.fields[i].1.name;
                        let message = format!(
                            "the spell ends on {end} (`{to}`), before it starts on {start} (`{from}`)"
                        );
                        InputError::row(rows, Some(to), Some(end.to_string()), message)
                    });
                    return false;
                }
                Some(end) => Some(end),
                None if plan.open_ended => None,
                None => {
                    errors.add(|| {
                        let to = &plan.fields[i].1.name;
                        InputError::row(rows, Some(to), None, "no date: expected a date as YYYY-MM-DD".into())
                    });
                    return false;
                }
            },
        };
        record.event = plan.event;
        record.start = start;
        record.end = end;
        record.origin = Origin { file: self.file, line: rows.line };
        true
    }

    /// Reads the current row only to report its problems, after reporting where it stands.
    fn reject(
        &mut self,
        placement: Placement,
        participants: &str,
        current: &[u8],
        errors: &mut Errors,
        scratch: &mut EventRecord,
    ) {
        let rows = &self.rows;
        let cell = rows.cell(PARTICIPANT);
        let value = cell.shown();
        errors.add(|| {
            let message = match (placement, cell.key_bytes()) {
                (_, None) => "no participant id: every event needs the id of its participant".to_string(),
                (Placement::Unknown, _) => format!("there is no participant `{value}` in {participants}"),
                (Placement::Passed, _) => format!(
                    "the event of participant `{value}` is out of order: events must be grouped by \
                     participant in the order of {participants}, and `{value}`'s turn has passed (sort the \
                     events that way, or use the in-memory mode, which takes events in any order but holds \
                     them all in memory)"
                ),
                (Placement::Collision | Placement::Ahead(_), _) => format!(
                    "participant ids `{value}` and `{}` have the same 64-bit hash, which this reader cannot \
                     tell apart: rename one of them",
                    show(current)
                ),
            };
            InputError::row(rows, Some("participant"), Some(value.clone()), message)
        });
        self.fill_event(errors, scratch);
    }

    fn place(&self, index: &IdIndex, ordinal: u32) -> Placement {
        let Some(id) = self.rows.cell(PARTICIPANT).key_bytes() else { return Placement::Unknown };
        match index.find(id) {
            None => Placement::Unknown,
            Some(k) if k > ordinal => Placement::Ahead(k),
            Some(k) if k < ordinal => Placement::Passed,
            Some(_) => Placement::Collision,
        }
    }

    /// Grouped mode: reads this file's events for the participant at `ordinal` into `out`,
    /// stopping at the first row of a later participant. `words` are the participant's id and
    /// the next participant's (empty when none), for the index's sake: most rows are one or
    /// the other, and comparing bytes is much cheaper than a lookup.
    fn pull(
        &mut self,
        ordinal: u32,
        words: &fast::Ids<'_>,
        ctx: (&IdIndex, &str),
        out: &mut Out<'_>,
        errors: &mut Errors,
    ) {
        let (id, next) = (words.id, words.next);
        loop {
            match self.state {
                State::Exhausted => return,
                State::Waiting(k) if k > ordinal => return,
                State::Waiting(_) => self.state = State::Unread,
                State::Empty => {
                    // Most rows are read straight from the buffer (see `fast`); a row of the
                    // next participant is left unread, where the next call finds it.
                    match self.read_fused(words, out) {
                        fast::Fused::Read => continue,
                        fast::Fused::Next => return,
                        fast::Fused::Declined => {}
                    }
                    self.state = if self.rows.next(errors) { State::Unread } else { State::Exhausted };
                }
                State::Unread => {
                    let participant = self.rows.cell(PARTICIPANT).key_bytes();
                    if !id.is_empty() && participant == Some(id) {
                        if self.fill_event(errors, out.slot()) {
                            out.keep();
                        }
                        self.state = State::Empty;
                        continue;
                    }
                    if !next.is_empty() && participant == Some(next) {
                        self.state = State::Waiting(ordinal.saturating_add(1));
                        return;
                    }
                    match self.place(ctx.0, ordinal) {
                        Placement::Ahead(k) => {
                            self.state = State::Waiting(k);
                            return;
                        }
                        placement => {
                            self.reject(placement, ctx.1, id, errors, out.slot());
                            self.state = State::Empty;
                        }
                    }
                }
            }
        }
    }
}

/// Where grouped mode reads a timeline's events: `events[..filled]` are its events so far,
/// and the records after them an earlier timeline's, refilled in place. Each record keeps its
/// place from timeline to timeline, its id's `String` and its values' `Vec` with it: moving
/// the 88-byte records out to a spare list and back, one at a time, cost some 55
/// instructions an event (callgrind, 100k participants).
pub(super) struct Out<'a> {
    events: &'a mut Vec<EventRecord>,
    filled: usize,
    /// Records left over when a timeline has fewer events than the one before.
    spare: &'a mut Vec<EventRecord>,
}

impl Out<'_> {
    /// The record to fill next, which is one of the timeline's events only once `keep` is
    /// called; else it is refilled for the next row.
    #[inline(always)]
    pub(super) fn slot(&mut self) -> &mut EventRecord {
        // Indexed in the branch that compared, so that the index is not checked again.
        if self.filled < self.events.len() {
            return &mut self.events[self.filled];
        }
        self.grow();
        let filled = self.filled;
        &mut self.events[filled]
    }

    /// Takes up to `GROW` spare records at once (those not filled go back at `finish`), or
    /// a new one: one at a time, a timeline a few events longer than the one before called
    /// this for each (some 2.3 calls a participant, 8.6 instructions an event; callgrind).
    /// Four at a time, not eight: fewer records then go back at `finish` (callgrind at 100k
    /// participants: 919.1M -> 918.4M instructions; two and five cost more than four).
    #[inline(never)]
    fn grow(&mut self) {
        const GROW: usize = 4;
        match self.spare.len() {
            0 => self.events.push(EventRecord::default()),
            n => move_tail(self.spare, n.saturating_sub(GROW), self.events),
        }
    }

    /// Keeps the record `slot` gave as the timeline's next event.
    #[inline(always)]
    pub(super) fn keep(&mut self) {
        self.filled += 1;
    }

    /// Ends the timeline: the records past its events go back to the spares.
    fn finish(self) {
        if self.filled < self.events.len() {
            move_tail(self.events, self.filled, self.spare);
        }
    }
}

/// Moves the records of `from` past `keep` to the end of `to`, in one copy. A timeline has a
/// few records more or less than the one before, each moved between it and the spares: by
/// `pop` and `push`, or `drain` and `extend`, each cost about twice as much (callgrind).
#[inline(always)]
fn move_tail(from: &mut Vec<EventRecord>, keep: usize, to: &mut Vec<EventRecord>) {
    let Some(count) = from.len().checked_sub(keep) else { return };
    to.reserve(count);
    // SAFETY: `from[keep..]` are `count` records, copied past the end of `to`, which has room
    // for them (reserved just above); `from` is then shortened to `keep` and `to` lengthened
    // by `count`, so that each record is owned by exactly one vector again. The two are
    // different vectors (two `&mut`), so the copy does not overlap.
    unsafe {
        let source = from.as_ptr().add(keep);
        let target = to.as_mut_ptr().add(to.len());
        std::ptr::copy_nonoverlapping(source, target, count);
        from.set_len(keep);
        to.set_len(to.len() + count);
    }
}

struct ParticipantSource {
    rows: Rows,
    /// Slot and reader of each field (slot 0 is `id`).
    fields: Vec<(usize, FieldReader)>,
    /// The CSV fast path (see `people`).
    fast: Option<people::FastPeople>,
}

/// Events read whole in in-memory mode, by participant ordinal: the id they were given for
/// (to catch a hash collision), and the events.
type Buckets = Vec<(Option<Box<[u8]>>, Vec<EventRecord>)>;

/// In-memory mode: the events of the participant at `ordinal` (whose id is `current`, on
/// `line` of the participants file `file`) into `events`, reporting an id whose hash the
/// bucket's first id has too. Out of line, as are `load` and `finish`: inlined, this cost the
/// grouped loop of `next_timeline_into` registers (spilled on every call).
#[inline(never)]
fn take_bucket(
    buckets: &mut Buckets,
    file: &str,
    errors: &mut Errors,
    (ordinal, line, current): (u32, u64, &[u8]),
    events: &mut Vec<EventRecord>,
) {
    let Some((id, bucket)) = buckets.get_mut(ordinal as usize) else { return };
    *events = std::mem::take(bucket);
    if let Some(id) = id.take().filter(|id| **id != *current) {
        errors.add(|| InputError {
            file: file.to_string(),
            line,
            field: Some("id".into()),
            value: Some(show(current)),
            message: format!(
                "participant ids `{}` and `{}` have the same 64-bit hash, which this \
                 reader cannot tell apart: rename one of them",
                show(current),
                show(&id)
            ),
        });
    }
}

/// Reads one set of inputs as a stream of timelines. See the module documentation.
///
/// ```no_run
/// # fn run(contract: &payable::ir::Contract, inputs: &payable::eval::input::Inputs) {
/// use payable::eval::input::TimelineReader;
/// let mut reader = match TimelineReader::open(contract, inputs) {
///     Ok(reader) => reader,
///     Err(errors) => return, // report them
/// };
/// while let Some(timeline) = reader.next_timeline() {
///     // evaluate it
/// }
/// if reader.error_count() > 0 { /* report reader.errors(); write nothing */ }
/// # }
/// ```
pub struct TimelineReader {
    files: Vec<String>,
    participants: ParticipantSource,
    sources: Vec<EventSource>,
    index: IdIndex,
    ordering: Ordering,
    /// In-memory mode: every event, once read.
    buckets: Option<Buckets>,
    /// Ordinal of the next participant row.
    ordinal: u32,
    /// The id bytes of the current participant when they are not its `Participant::id`, which
    /// holds them otherwise (an id that is not UTF-8: `raw`); one copy of each id, not three.
    current: Vec<u8>,
    raw: bool,
    /// Whether the participants file is on the next participant's row already.
    peeked: bool,
    /// The `Word` of the next participant's id, as `EventSource::pull` was last given it, when
    /// that id was read from a line peeked at (`CsvLines::keep_peek`); else that of no id.
    next_word: fast::Word,
    /// Ids that are repeated later, by ordinal: the id and its line.
    firsts: std::collections::BTreeMap<u32, (String, u64)>,
    errors: Errors,
    total_bytes: u64,
    finished: bool,
    /// Records of earlier timelines, to be refilled (grouped mode).
    spare: Vec<EventRecord>,
}

impl TimelineReader {
    /// Opens every file and checks the headers, then reads the participants' ids (see the
    /// module documentation). Errors here are about whole files: nothing can be read.
    pub fn open(contract: &ir::Contract, inputs: &Inputs) -> Result<TimelineReader, Vec<InputError>> {
        let mut errors = Vec::new();
        let format_of = |path: &Path, errors: &mut Vec<InputError>| {
            let format = inputs.format.or_else(|| rows::format_of(path));
            if format.is_none() {
                errors.push(InputError::file(
                    &path.display().to_string(),
                    "cannot tell the file's format from its name: expected a name ending in `.csv`, \
                     `.jsonl` or `.ndjson`, or the format given"
                        .to_string(),
                ));
            }
            format
        };
        let mut files = vec![inputs.participants.display().to_string()];
        files.extend(inputs.events.iter().map(|e| e.path.display().to_string()));

        // Participants.
        let fields = &contract.participant.fields;
        let mut columns = vec!["id".to_string()];
        columns.extend(fields.iter().map(|f| f.name.clone()));
        let mut readers = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            if field.name == "id" {
                errors.push(InputError::file(
                    &files[0],
                    "the contract's participant declaration has a field named `id`, which is the column \
                     of participant ids: rename the field"
                        .to_string(),
                ));
            }
            match FieldReader::new(field, &contract.enums) {
                Ok(r) => readers.push((i + 1, r)),
                Err(e) => errors.push(InputError::file(&files[0], format!("the contract is broken: {e}"))),
            }
        }
        let participants_format = format_of(&inputs.participants, &mut errors);
        let mut required = vec![(0, false)];
        required.extend(readers.iter().map(|(slot, r)| (*slot, r.optional)));
        let participants = participants_format.and_then(|format| {
            open_rows(&inputs.participants, format, columns.clone(), &required, &mut errors).map(|rows| {
                let fast = rows.csv_columns().and_then(|(column_of, width)| {
                    people::FastPeople::new(fields, &contract.enums, &readers, column_of, width)
                });
                ParticipantSource { rows, fields: readers, fast }
            })
        });

        // Events.
        let heapless: Box<[bool]> = contract
            .events
            .iter()
            .map(|e| {
                !e.fields.iter().any(|f| match &f.ty {
                    ir::Type::Optional { of } => matches!(of.as_ref(), ir::Type::Text),
                    ty => matches!(ty, ir::Type::Text),
                })
            })
            .collect();
        let mut sources = Vec::new();
        for (n, file) in inputs.events.iter().enumerate() {
            let name = &files[n + 1];
            let events: Vec<usize> = match &file.event {
                Some(event) => match contract.events.iter().position(|e| &e.name == event) {
                    Some(i) => vec![i],
                    None => {
                        let declared: Vec<String> = contract.events.iter().map(|e| e.name.clone()).collect();
                        errors.push(InputError::file(
                            name,
                            format!(
                                "the contract declares no event `{event}`: expected {}",
                                listed(&declared)
                            ),
                        ));
                        continue;
                    }
                },
                None => (0..contract.events.len()).collect(),
            };
            let combined = file.event.is_none();
            let mut columns = vec!["participant".to_string(), "type".to_string(), "id".to_string()];
            for &e in &events {
                for field in &contract.events[e].fields {
                    let reserved = field.name == "participant" || combined && field.name == "type";
                    if reserved {
                        errors.push(InputError::file(
                            name,
                            format!(
                                "event `{}` has a field named `{}`, which is the column of the {}: rename the \
                                 field{}",
                                contract.events[e].name,
                                field.name,
                                if field.name == "type" { "event type" } else { "participant id" },
                                if field.name == "type" { ", or give this event a file of its own" } else { "" }
                            ),
                        ));
                    }
                    if !columns.contains(&field.name) {
                        columns.push(field.name.clone());
                    }
                }
            }
            let mut plans = Vec::new();
            for &e in &events {
                match plan(contract, e, &columns) {
                    Ok(p) => plans.push(p),
                    Err(message) => {
                        errors.push(InputError::file(name, format!("the contract is broken: {message}")))
                    }
                }
            }
            let Some(format) = format_of(&file.path, &mut errors) else { continue };
            let mut required = vec![(PARTICIPANT, false)];
            if combined {
                required.push((TYPE, false));
            } else {
                required
                    .extend(plans.iter().flat_map(|p| p.fields.iter().map(|(slot, r)| (*slot, r.optional))));
            }
            let Some(rows) = open_rows(&file.path, format, columns, &required, &mut errors) else { continue };
            for plan in &mut plans {
                plan.missing = plan
                    .fields
                    .iter()
                    .filter(|(slot, _)| !rows.has_column(*slot))
                    .map(|(_, r)| r.name.clone())
                    .collect();
            }
            let fixed = file.event.as_ref().map(|_| {
                let type_is_field =
                    plans.first().is_some_and(|p| p.fields.iter().any(|(slot, _)| *slot == TYPE));
                (0, type_is_field)
            });
            if plans.is_empty() {
                if contract.events.is_empty() {
                    errors.push(InputError::file(
                        name,
                        "the contract declares no events, so there is nothing to read in this file".into(),
                    ));
                }
                continue;
            }
            let fast = rows.csv_columns().map(|(column_of, width)| {
                fast::FastRows::new(&plans, fixed, column_of, width, heapless.clone())
            });
            sources.push(EventSource {
                file: (n + 1) as u32,
                rows,
                plans,
                fixed,
                last: 0,
                state: State::Empty,
                fast,
            });
        }
        let Some(participants) = participants else { return Err(errors) };
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(format) = participants_format else { return Err(errors) };
        let index = match Rows::open(&inputs.participants, format, columns) {
            Ok((rows, _)) => IdIndex::build(rows, &inputs.participants),
            Err(e) => return Err(vec![e]),
        };
        let total_bytes = rows::size_of(&inputs.participants)
            + inputs.events.iter().map(|e| rows::size_of(&e.path)).sum::<u64>();
        Ok(TimelineReader {
            files,
            participants,
            sources,
            index,
            ordering: inputs.ordering,
            buckets: None,
            ordinal: 0,
            current: Vec::new(),
            raw: false,
            peeked: false,
            next_word: fast::Word::new(&[]),
            firsts: Default::default(),
            errors: Errors::default(),
            total_bytes,
            finished: false,
            spare: Vec::new(),
        })
    }

    /// The next participant's timeline, or `None` when every file has been read. A participant
    /// whose row has an error gets no timeline; its events are still read and checked.
    pub fn next_timeline(&mut self) -> Option<Timeline> {
        let mut timeline = Timeline::default();
        self.next_timeline_into(&mut timeline).then_some(timeline)
    }

    /// Reads the next participant's timeline into `timeline`, reusing its vectors and strings
    /// (a fresh timeline per participant cost a few allocations per event); false when every
    /// file has been read. As [`next_timeline`](Self::next_timeline), it skips a participant
    /// whose row has an error.
    pub fn next_timeline_into(&mut self, timeline: &mut Timeline) -> bool {
        if self.finished {
            return false;
        }
        if self.ordering == Ordering::InMemory && self.buckets.is_none() {
            self.load();
        }
        loop {
            // In grouped mode, the last timeline's records are refilled with this one's (see
            // `Out`).
            if self.buckets.is_some() {
                timeline.events.clear();
            }
            // A plain line is read straight from the buffer (see `people`), any other row by
            // `Rows::next` and `read_participant`.
            let fused = !self.peeked && self.read_participant_line(&mut timeline.participant);
            if !fused && !self.peeked && !self.participants.rows.next(&mut self.errors) {
                self.spare.append(&mut timeline.events);
                self.finish();
                return false;
            }
            let ordinal = self.ordinal;
            self.ordinal = self.ordinal.saturating_add(1);
            let good = self.read_participant(ordinal, &mut timeline.participant, fused);
            let line = self.participants.rows.line;
            let current = if self.raw { self.current.as_slice() } else { timeline.participant.id.as_bytes() };
            // The next participant's id is needed now (see `EventSource::pull`): where it lies
            // in the read buffer when its line is plain, left unread for the next call; else
            // that row is read now, and its id stays in the buffer until the row after it is.
            let source = &mut self.participants;
            let ahead = match (&source.fast, source.rows.csv_lines()) {
                (Some(fast), Some(lines)) => lines.keep_peek(fast.width()),
                _ => false,
            };
            self.peeked = !ahead && self.participants.rows.next(&mut self.errors);
            match &mut self.buckets {
                None => {
                    let source = &self.participants;
                    let (next, peeked_word) = match (ahead, self.peeked) {
                        (true, _) => match (&source.fast, source.rows.csv_lines_ref().and_then(|l| l.kept()))
                        {
                            (Some(fast), Some(line)) => {
                                (line.value(fast.id_column()), Some(line.word(fast.id_column())))
                            }
                            _ => (&[][..], None),
                        },
                        (false, true) => (source.rows.cell(0).key_bytes().unwrap_or_default(), None),
                        (false, false) => (&[][..], None),
                    };
                    // A row read from the line peeked at the last call (`fused`, after `ahead`
                    // then) has the id that was the next one then: its word is kept from then.
                    // (Else it is the word of no id, which `Word` compares as bytes: never
                    // wrong, only slower.)
                    let id_word = if fused { self.next_word } else { fast::Word::new(current) };
                    let next_word = match peeked_word {
                        Some(word) => fast::Word::of(word),
                        None => fast::Word::new(next),
                    };
                    self.next_word = if ahead { next_word } else { fast::Word::new(&[]) };
                    let words = fast::Ids { id: current, id_word, next, next_word };
                    let participants_file = &self.files[0];
                    let mut out = Out { events: &mut timeline.events, filled: 0, spare: &mut self.spare };
                    for source in &mut self.sources {
                        let ctx = (&self.index, participants_file.as_str());
                        source.pull(ordinal, &words, ctx, &mut out, &mut self.errors);
                    }
                    out.finish();
                }
                Some(buckets) => take_bucket(
                    buckets,
                    &self.files[0],
                    &mut self.errors,
                    (ordinal, line, current),
                    &mut timeline.events,
                ),
            }
            if good {
                return true;
            }
        }
    }

    /// Reads the current participant row into `participant` (and its id into `current` when
    /// it is not UTF-8, setting `raw`); false when the row has an error.
    /// `fused` says that `read_participant_line` has read it already.
    #[inline]
    fn read_participant(&mut self, ordinal: u32, participant: &mut Participant, fused: bool) -> bool {
        let source = &self.participants;
        self.raw = false;
        let fast = fused
            || match (&source.fast, source.rows.plain_csv()) {
                (Some(fast), Some(plain)) => fast.read(&plain, &source.fields, participant),
                _ => false,
            };
        if !fast {
            return self.read_participant_general(ordinal, participant);
        }
        participant.origin = Origin { file: 0, line: source.rows.line };
        // Most files repeat no id: then there is nothing to look up.
        !self.index.has_repeats() || self.first_of_its_id(ordinal, &participant.id)
    }

    /// Reads the line at the participants file's position into `participant`, and moves past
    /// it, when it is a plain line that the fast path reads whole (`CsvLines::peek`, then
    /// `FastPeople::read_peeked`): no `Rows::next`, which splits the line into a `Vec`. Else
    /// nothing is read and false returned.
    #[inline]
    fn read_participant_line(&mut self, participant: &mut Participant) -> bool {
        let source = &mut self.participants;
        let Some(fast) = &source.fast else { return false };
        let Some(lines) = source.rows.csv_lines() else { return false };
        let Some(line) = lines.kept().or_else(|| lines.peek(fast.width())) else { return false };
        if !fast.read_peeked(&line, &source.fields, participant) {
            return false;
        }
        let len = line.len_with_lf();
        source.rows.line = lines.take_peeked(len);
        #[cfg(test)]
        people::FUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        true
    }

    /// Whether the row at `ordinal`, whose id is `id`, is the first with its id: remembers the
    /// id if it is repeated later, and reports it if it came earlier.
    fn first_of_its_id(&mut self, ordinal: u32, id: &str) -> bool {
        let rows = &self.participants.rows;
        if self.index.repeated.contains(&ordinal) {
            self.firsts.insert(ordinal, (id.to_string(), rows.line));
        }
        let Some(first) = self.index.repeats.get(&ordinal) else { return true };
        let first = self.firsts.get(first);
        self.errors.add(|| {
            let message = match first {
                Some((first_id, line)) if first_id != id => format!(
                    "participant ids `{id}` and `{first_id}` (line {line}) have the same 64-bit \
                     hash, which this reader cannot tell apart: rename one of them"
                ),
                Some((_, line)) => format!("duplicate participant id `{id}`: it is also on line {line}"),
                None => format!("duplicate participant id `{id}`"),
            };
            InputError::row(rows, Some("id"), Some(id.to_string()), message)
        });
        false
    }

    /// `read_participant` for the rows the fast path leaves, and for JSON Lines: it words
    /// every error. Out of line, as it is seldom taken.
    #[inline(never)]
    fn read_participant_general(&mut self, ordinal: u32, participant: &mut Participant) -> bool {
        let mut id = std::mem::take(&mut participant.id);
        id.clear();
        let mut good = self.read_id(&mut id);
        if good {
            good = self.first_of_its_id(ordinal, &id);
        }
        participant.id = id;
        let source = &self.participants;
        let rows = &source.rows;
        let errors = &mut self.errors;
        let values = &mut participant.fields;
        values.clear();
        for (slot, reader) in &source.fields {
            let cell = rows.cell(*slot);
            match reader.read(cell) {
                Ok(v) => values.push(v),
                Err(problem) => {
                    good = false;
                    errors.add(|| {
                        let message = reader.explain(cell, problem);
                        InputError::row(rows, Some(&reader.name), Some(cell.shown()), message)
                    });
                }
            }
        }
        participant.origin = Origin { file: 0, line: rows.line };
        good
    }

    /// Reads the current row's id into `id`, or into `current` (setting `raw`) when it is not
    /// UTF-8; false after reporting a problem.
    fn read_id(&mut self, id: &mut String) -> bool {
        let rows = &self.participants.rows;
        let errors = &mut self.errors;
        let id_cell = rows.cell(0);
        match id_cell.key_bytes() {
            None => {
                errors.add(|| {
                    let message = match id_cell {
                        Cell::Nested | Cell::Bool(_) => format!("`{}` is not an id", id_cell.shown()),
                        _ => "no id: every participant needs one".to_string(),
                    };
                    InputError::row(rows, Some("id"), None, message)
                });
                false
            }
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => {
                    id.push_str(text);
                    true
                }
                Err(_) => {
                    self.current.clear();
                    self.current.extend_from_slice(bytes);
                    self.raw = true;
                    errors.add(|| {
                        let value = show(bytes);
                        let message = format!("`{value}` is not valid UTF-8 text: expected an id");
                        InputError::row(rows, Some("id"), Some(value), message)
                    });
                    false
                }
            },
        }
    }

    /// In-memory mode: reads every event file whole, by participant. Out of line (see
    /// `take_bucket`).
    #[inline(never)]
    fn load(&mut self) {
        let participants_file = self.files[0].clone();
        let mut buckets: Buckets = Vec::new();
        let mut spare = Vec::new();
        let mut scratch = EventRecord::default();
        buckets.resize_with(self.index.rows() as usize, Default::default);
        for source in &mut self.sources {
            while source.rows.next(&mut self.errors) {
                let id = source.rows.cell(PARTICIPANT).key_bytes();
                let Some((id, k)) = id.and_then(|id| Some((id, self.index.find(id)?))) else {
                    source.reject(
                        Placement::Unknown,
                        &participants_file,
                        &[],
                        &mut self.errors,
                        &mut scratch,
                    );
                    continue;
                };
                let Some((first, bucket)) = buckets.get_mut(k as usize) else { continue };
                match first {
                    Some(first) if **first != *id => {
                        let first = first.clone();
                        source.reject(
                            Placement::Collision,
                            &participants_file,
                            &first,
                            &mut self.errors,
                            &mut scratch,
                        );
                        continue;
                    }
                    Some(_) => {}
                    None => *first = Some(id.into()),
                }
                if let Some(event) = source.read_event(&mut self.errors, &mut spare) {
                    bucket.push(event);
                }
            }
            source.state = State::Exhausted;
        }
        self.buckets = Some(buckets);
    }

    /// After the last participant: every event row still unread belongs to no one.
    #[inline(never)]
    fn finish(&mut self) {
        self.finished = true;
        let participants_file = self.files[0].clone();
        let mut scratch = EventRecord::default();
        for source in &mut self.sources {
            loop {
                match source.state {
                    State::Exhausted => break,
                    State::Empty => {
                        if !source.rows.next(&mut self.errors) {
                            source.state = State::Exhausted;
                            break;
                        }
                    }
                    State::Unread | State::Waiting(_) => {}
                }
                let placement = match source.place(&self.index, u32::MAX) {
                    Placement::Unknown => Placement::Unknown,
                    _ => Placement::Passed,
                };
                source.reject(placement, &participants_file, &[], &mut self.errors, &mut scratch);
                source.state = State::Empty;
            }
        }
        self.buckets = None;
    }

    /// Errors found so far: the first [`ERRORS_KEPT`] (see [`error_count`](Self::error_count)).
    pub fn errors(&self) -> &[InputError] {
        &self.errors.kept
    }

    /// How many errors have been found so far, kept or not.
    pub fn error_count(&self) -> u64 {
        self.errors.count
    }

    /// The input files, participants first: `Origin::file` indexes this list.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Bytes read so far, of [`total_bytes`](Self::total_bytes), for a progress bar.
    pub fn bytes_read(&self) -> u64 {
        self.participants.rows.bytes_read() + self.sources.iter().map(|s| s.rows.bytes_read()).sum::<u64>()
    }

    /// The size of every input file together.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The same reader with the CSV fast path off, for tests that hold the two paths equal.
    #[cfg(test)]
    fn without_fast_path(mut self) -> TimelineReader {
        self.sources.iter_mut().for_each(|s| s.fast = None);
        self.participants.fast = None;
        self
    }
}

/// Opens a file and checks its header: header errors, and the `required` slots (with whether
/// their field is optional) that the header lacks, go to `errors`.
fn open_rows(
    path: &Path,
    format: InputFormat,
    columns: Vec<String>,
    required: &[(usize, bool)],
    errors: &mut Vec<InputError>,
) -> Option<Rows> {
    match Rows::open(path, format, columns) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok((rows, header_errors)) => {
            errors.extend(header_errors);
            let mut reported = Vec::new();
            for &(slot, optional) in required {
                if !rows.has_column(slot) && !reported.contains(&slot) {
                    reported.push(slot);
                    let column = &rows.columns[slot];
                    errors.push(InputError {
                        file: rows.name.clone(),
                        line: 1,
                        field: Some(column.clone()),
                        value: None,
                        message: format!(
                            "no column `{column}` in the header{}",
                            if optional {
                                " (the field is optional, but its column must be there: leave its cells empty)"
                            } else {
                                ""
                            }
                        ),
                    });
                }
            }
            Some(rows)
        }
    }
}

/// How to read one event from a file with these slots.
fn plan(contract: &ir::Contract, event: usize, columns: &[String]) -> Result<EventPlan, String> {
    let e = &contract.events[event];
    let slot = |name: &str| columns.iter().position(|c| c == name);
    let mut fields = Vec::new();
    for field in &e.fields {
        let s = slot(&field.name).ok_or_else(|| format!("no slot for `{}`", field.name))?;
        fields.push((s, FieldReader::new(field, &contract.enums)?));
    }
    let index = |name: &str| {
        e.fields.iter().position(|f| f.name == name).ok_or_else(|| {
            format!("event `{}` is timed by a field `{name}` that it does not declare", e.name)
        })
    };
    let (start, end, open_ended) = match &e.timing {
        ir::Timing::Point { on } => (index(on)?, None, false),
        ir::Timing::Spell { from, to, open_ended } => (index(from)?, Some(index(to)?), *open_ended),
    };
    let own: Vec<usize> = fields.iter().map(|(s, _)| *s).collect();
    let foreign = (RECORD_ID + 1..columns.len()).filter(|s| !own.contains(s)).collect();
    Ok(EventPlan {
        event,
        name: e.name.clone(),
        fields,
        foreign,
        missing: Vec::new(),
        missing_reported: false,
        start,
        end,
        open_ended,
    })
}
