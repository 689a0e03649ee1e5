//! The fast paths for CSV event rows: at open time, each event type of a file is compiled
//! into a plan of which column holds what (`FastPlan`), and a row with no double quote is
//! then read straight from the bytes of its line, with no `Cell`, no lookup of columns by
//! slot and no error bookkeeping.
//!
//! Two paths use the plans. The fused path (`read_fused`), for grouped mode, reads the line
//! at the reader's position without `Rows::next` splitting it first: `CsvLines::peek` finds
//! its LF, commas and quotes with one set of 64-byte masks and keeps the values' bounds in
//! a small array, ids and type names are compared as 16-byte words (`Word`), and only a
//! line read whole is consumed. Measured with callgrind (100k participants, 10 events
//! each), it took the whole evaluation from 1,836 to 1,620 instructions an event. The other
//! (`fill_fast`) reads a row that `Rows::next` has split: the rows the fused path declines,
//! and in-memory mode.
//!
//! Neither may ever decide differently from the general path (`EventSource::fill_event`),
//! only sooner: each reads a row only when every check passes, and hands any other row (a
//! quoted line, a value it does not read itself, any problem) to the general path, which
//! reads it again from the start and words the errors. A test holds them equal on random
//! rows.

use super::fields::{FieldReader, Quick, read_date_in, read_date_word};
use super::lines::{Bounds, PeekWidth, Peeked};
use super::{EventPlan, EventSource, Out, PARTICIPANT, RECORD_ID, TYPE};
use crate::eval::day::Day;
use crate::eval::value::{EventRecord, Origin, Value};
use rust_decimal::Decimal;
use std::borrow::Borrow;
use std::mem::MaybeUninit;

/// The compiled plans of one CSV event file.
pub(super) struct FastRows {
    /// The column of `type`, in a combined file.
    type_column: Option<usize>,
    /// The column of the participant's id.
    participant: Option<usize>,
    /// The number of columns.
    width: usize,
    /// The last column, whose value may end in the CR of a CRLF line.
    last: usize,
    /// By the index of the plan in `EventSource::plans`.
    plans: Vec<FastPlan>,
    /// By the index of the event in the IR: whether none of its fields is text, so that its
    /// values hold no heap memory and a record's old values of it need no dropping.
    heapless: Box<[bool]>,
    /// Whether every event is `heapless`, so that no record's event need be looked up (some
    /// 4 instructions an event).
    all_heapless: bool,
    /// Whether the processor has the features `read_fused_wide` is compiled for.
    wide: bool,
    /// By the length of a type name of up to 16 bytes: the one usable event whose name has
    /// that length. The fused path finds a line's plan with one compare of words, where
    /// trying the last row's plan first and then each in turn cost some 15 instructions an
    /// event more (callgrind; grouped rows change type about every fifth line).
    types: [TypeName; 17],
    /// Whether the participant's id is the first column and the type the second, of more:
    /// a line of the participant and type of the line before then starts with the same bytes
    /// to the second comma (`Prefix`).
    prefixed: bool,
}

/// The bytes to the second comma of the last line the fused path read, in a file whose lines
/// start with the participant's id and the type (`FastRows::prefixed`), and that line's plan:
/// a line starting with the same bytes is the same participant's, of the same event, with no
/// compare of the id and no look-up of the type: one masked compare of 32 bytes (with AVX2 in
/// the x86-64-v3 build) for the 8 lines in 10 that follow one of the same type (callgrind,
/// 100k participants: 985 to 960 instructions an event for the whole evaluation). Only ever
/// of the current participant (made anew at each call of `read_fused`).
struct Prefix {
    bytes: [u8; 32],
    /// 0xFF for each byte of `bytes` that counts (to the second comma).
    mask: [u8; 32],
    /// The plan, `NO_PLAN` while there is no such line.
    plan: usize,
}

impl Prefix {
    const NONE: Prefix = Prefix { bytes: [0; 32], mask: [0; 32], plan: NO_PLAN };

    /// The plan of the last line, when `line` starts as it did. `AVX2` as for `peek_in`.
    #[inline(always)]
    fn find<const AVX2: bool, B: Borrow<Bounds>>(&self, line: &Peeked<'_, B>) -> Option<usize> {
        (self.plan != NO_PLAN && same_masked::<AVX2>(line.head(), &self.bytes, &self.mask))
            .then_some(self.plan)
    }

    /// Remembers the start of `line`, of the current participant and plan `plan`, when it fits.
    #[inline(always)]
    fn remember<B: Borrow<Bounds>>(&mut self, line: &Peeked<'_, B>, plan: usize) {
        // To the comma after the type, inclusive.
        let len = line.end(1) + 1;
        if len > 32 {
            *self = Prefix::NONE;
            return;
        }
        let mut prefix = Prefix { bytes: *line.head(), mask: [0; 32], plan };
        prefix.mask[..len].fill(0xFF);
        for (byte, mask) in prefix.bytes.iter_mut().zip(prefix.mask) {
            *byte &= mask;
        }
        *self = prefix;
    }
}

/// Whether `a` and `b` are equal in the bytes `mask` keeps: with AVX2, one compare of the 32
/// bytes, when `AVX2` (only the fused path's x86-64-v3 build passes true; see `peek_in`).
#[inline(always)]
fn same_masked<const AVX2: bool>(a: &[u8; 32], b: &[u8; 32], mask: &[u8; 32]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: true only from code that runs where the processor has AVX2
        // (`read_fused_wide`).
        return unsafe { same_masked_avx2(a, b, mask) };
    }
    let word = |x: &[u8; 32], i: usize| {
        let mut w = [0; 16];
        w.copy_from_slice(&x[16 * i..16 * i + 16]);
        u128::from_le_bytes(w)
    };
    (0..2).all(|i| (word(a, i) ^ word(b, i)) & word(mask, i) == 0)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn same_masked_avx2(a: &[u8; 32], b: &[u8; 32], mask: &[u8; 32]) -> bool {
    use core::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_testz_si256, _mm256_xor_si256};
    // SAFETY: each pointer is to 32 readable bytes; `loadu` needs no alignment.
    let load = |x: &[u8; 32]| unsafe { _mm256_loadu_si256(x.as_ptr().cast::<__m256i>()) };
    _mm256_testz_si256(_mm256_xor_si256(load(a), load(b)), load(mask)) == 1
}

/// In `FastRows::types`: the name of a plan, as a `Word` of its length, and the plan's index
/// (`NO_PLAN` when no usable plan's name has that length, `SHARED` when several have).
#[derive(Clone, Copy)]
struct TypeName {
    word: u128,
    mask: u128,
    plan: usize,
}

const NO_PLAN: usize = usize::MAX;
const SHARED: usize = usize::MAX - 1;

/// Whether the processor has every feature `EventSource::read_fused_wide` is compiled with.
#[cfg(target_arch = "x86_64")]
fn wide_features() -> bool {
    #[cfg(test)]
    if NARROW.with(std::cell::Cell::get) {
        return false;
    }
    use std::arch::is_x86_feature_detected as has;
    has!("avx")
        && has!("avx2")
        && has!("bmi1")
        && has!("bmi2")
        && has!("lzcnt")
        && has!("popcnt")
        && has!("movbe")
        && has!("sse3")
        && has!("ssse3")
        && has!("sse4.1")
        && has!("sse4.2")
}

#[cfg(not(target_arch = "x86_64"))]
fn wide_features() -> bool {
    false
}

#[cfg(test)]
thread_local! {
    /// Set by a test to read with the build for every x86-64 processor on one that has more.
    static NARROW: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct FastPlan {
    /// False when the header lacks a column the event needs: only the general path reads it.
    usable: bool,
    /// `EventPlan::event`, and the `start`, `end` and `open_ended` that `timing` reads: the
    /// fused path reads them here, with one bounds check for both plans (some 10
    /// instructions an event).
    event: usize,
    start: usize,
    end: Option<usize>,
    open_ended: bool,
    /// The event's name, for the fused path's compare with the type column; matching nothing
    /// when the plan is not `usable`, so that the fused path need not check that at each line
    /// of a combined file.
    name: Word,
    key: Box<[u8]>,
    /// The event's name, for `type_check`.
    name_bytes: Box<[u8]>,
    /// A file of one event type with a `type` column that is not a field: the column, whose
    /// value must be empty or the event's name.
    type_check: Option<usize>,
    /// The column of the record's id.
    id: Option<usize>,
    /// The columns of other events' fields, which must be empty.
    blank: Vec<usize>,
    /// `blank` as bits, when every such column is among the first 16 (`Peeked::empties`
    /// checks them at once, against a loop of some 10 instructions an event).
    blank_bits: Option<u32>,
    /// Each field, in IR order.
    fields: Vec<FastField>,
}

/// Where a field is and how it is read.
#[derive(Clone, Copy, Debug)]
struct FastField {
    column: usize,
    quick: Quick,
    optional: bool,
}

impl FastRows {
    /// Compiles the plans of a file whose slots are in the columns `column_of` gives; `fixed`
    /// is `EventSource::fixed`.
    pub(super) fn new(
        plans: &[EventPlan],
        fixed: Option<(usize, bool)>,
        column_of: &[Option<usize>],
        width: usize,
        heapless: Box<[bool]>,
    ) -> FastRows {
        let combined = fixed.is_none();
        let plans: Vec<FastPlan> = plans
            .iter()
            .map(|plan| {
                let fields: Vec<Option<FastField>> = plan
                    .fields
                    .iter()
                    .map(|(slot, reader)| {
                        column_of[*slot].map(|column| FastField {
                            column,
                            quick: reader.quick(),
                            optional: reader.optional,
                        })
                    })
                    .collect();
                let type_is_field = plan.fields.iter().any(|(slot, _)| *slot == TYPE);
                let usable = plan.missing.is_empty() && fields.iter().all(Option::is_some);
                let key: &[u8] = if usable { plan.name.as_bytes() } else { b"" };
                FastPlan {
                    usable,
                    event: plan.event,
                    start: plan.start,
                    end: plan.end,
                    open_ended: plan.open_ended,
                    name: Word::new(key),
                    key: key.into(),
                    name_bytes: plan.name.as_bytes().into(),
                    type_check: if combined || type_is_field { None } else { column_of[TYPE] },
                    id: column_of[RECORD_ID],
                    blank: plan.foreign.iter().filter_map(|&slot| column_of[slot]).collect(),
                    blank_bits: plan
                        .foreign
                        .iter()
                        .filter_map(|&slot| column_of[slot])
                        .try_fold(0u32, |bits, column| (column < 16).then(|| bits | 1 << column)),
                    fields: fields.into_iter().flatten().collect(),
                }
            })
            .collect();
        let mut types = [TypeName { word: 0, mask: 0, plan: NO_PLAN }; 17];
        for (i, compiled) in plans.iter().enumerate() {
            if let Some(entry) = types.get_mut(compiled.key.len()).filter(|_| !compiled.key.is_empty()) {
                let plan = if entry.plan == NO_PLAN { i } else { SHARED };
                *entry = TypeName { word: compiled.name.word, mask: compiled.name.mask, plan };
            }
        }
        let (participant, type_column) =
            (column_of[PARTICIPANT], if combined { column_of[TYPE] } else { None });
        FastRows {
            prefixed: participant == Some(0) && type_column == Some(1) && width > 2,
            types,
            type_column,
            participant,
            width,
            last: width.saturating_sub(1),
            plans,
            all_heapless: heapless.iter().all(|&h| h),
            heapless,
            wide: wide_features(),
        }
    }
}

/// Up to 16 bytes as a little-endian number, to compare a value with in a few instructions
/// rather than a call to `memcmp` (ids and type names are nearly always that short).
#[derive(Clone, Copy, Debug)]
pub(super) struct Word {
    /// The length of the bytes, or `usize::MAX` when they are empty (no value then matches:
    /// an empty cell is no id) or longer than 16 (compared as bytes).
    len: usize,
    word: u128,
    /// The low `len` bytes.
    mask: u128,
}

impl Word {
    pub(super) fn new(bytes: &[u8]) -> Word {
        if bytes.is_empty() || bytes.len() > 16 {
            return Word { len: usize::MAX, word: 0, mask: 0 };
        }
        let mut word = [0; 16];
        word[..bytes.len()].copy_from_slice(bytes);
        let mut mask = [0; 16];
        mask[..bytes.len()].fill(0xFF);
        Word { len: bytes.len(), word: u128::from_le_bytes(word), mask: u128::from_le_bytes(mask) }
    }

    /// The word of a value given as `Peeked::word` gives it: as `new` of its bytes, with no
    /// copy of them.
    #[inline(always)]
    pub(super) fn of((len, word): (usize, u128)) -> Word {
        if len == 0 || len > 16 {
            return Word { len: usize::MAX, word: 0, mask: 0 };
        }
        let mask = u128::MAX >> (8 * (16 - len));
        Word { len, word: word & mask, mask }
    }

    /// Whether value `column` of `line` is `bytes`, which this word was made from.
    #[inline(always)]
    fn matches<B: Borrow<Bounds>>(self, line: &Peeked<'_, B>, column: usize, bytes: &[u8]) -> bool {
        self.is(line.word(column), || line.value(column), bytes)
    }

    /// Whether a value, given as `Peeked::word` gives it, is `bytes`, which this word was
    /// made from; `value` gives the value's bytes, needed only when they are long.
    #[inline(always)]
    pub(super) fn is<'a>(
        self,
        (len, word): (usize, u128),
        value: impl FnOnce() -> &'a [u8],
        bytes: &[u8],
    ) -> bool {
        if self.len <= 16 {
            len == self.len && (word ^ self.word) & self.mask == 0
        } else {
            !bytes.is_empty() && value() == bytes
        }
    }
}

/// Rows read by the fused path, for the tests to see that it is taken.
#[cfg(test)]
static FUSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What [`EventSource::read_fused`] did with the line at the reader's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fused {
    /// Read an event of the current participant into `out`, and moved past the line.
    Read,
    /// The line is the next participant's: left for them.
    Next,
    /// Left for `Rows::next` and the general path.
    Declined,
}

/// The participant ids `read_fused` compares lines with: the current participant's and the
/// next one's, each with its `Word`.
pub(super) struct Ids<'a> {
    pub id: &'a [u8],
    pub id_word: Word,
    pub next: &'a [u8],
    pub next_word: Word,
}

impl EventSource {
    /// Grouped mode, with no row read ahead: reads the lines at the reader's position while
    /// each is a plain line of the current participant that the plans read whole, each into
    /// the next record of `out`, moving past them; then leaves the line it stops at, saying
    /// whether it is the next participant's (the caller's merge-join would find that too,
    /// after splitting it). Never `Fused::Read`.
    ///
    /// Not inlined, and looping itself: inlined into `next_timeline_into`, the reading of a
    /// line kept few of its values in registers, and the loop here is called once a
    /// participant rather than once a line (callgrind, 100k participants: 1,255 to 1,215
    /// instructions an event for the whole evaluation).
    ///
    /// Compiled twice: for the x86-64 every processor has, and for the features of the last
    /// decade's (x86-64-v3: BMI's one-instruction bit scans and clears for the commas, POPCNT,
    /// AVX's three-operand forms), taken when the processor has them (`FastRows::wide`). The
    /// second took 29 instructions an event off (callgrind, 100k participants) without
    /// building the whole program for processors some users do not have.
    #[inline(never)]
    pub(super) fn read_fused(&mut self, ids: &Ids<'_>, out: &mut Out<'_>) -> Fused {
        #[cfg(target_arch = "x86_64")]
        if self.fast.as_ref().is_some_and(|fast| fast.wide) {
            // SAFETY: `wide` is true only when the processor has every feature
            // `read_fused_wide` is compiled with (`wide_features`).
            return unsafe { self.read_fused_wide(ids, out) };
        }
        self.read_fused_lines::<false>(ids, out)
    }

    /// `read_fused_lines` compiled for x86-64-v3 (see `read_fused`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx,avx2,bmi1,bmi2,lzcnt,popcnt,movbe,sse3,ssse3,sse4.1,sse4.2")]
    fn read_fused_wide(&mut self, ids: &Ids<'_>, out: &mut Out<'_>) -> Fused {
        self.read_fused_lines::<true>(ids, out)
    }

    /// The loop of `read_fused`. `AVX2`: true only in `read_fused_wide` (see
    /// `CsvLines::peek_in`).
    #[inline(always)]
    fn read_fused_lines<const AVX2: bool>(&mut self, ids: &Ids<'_>, out: &mut Out<'_>) -> Fused {
        // Zeroed once: `peek_in` writes each line's bounds over the last's (see there).
        let mut bounds = [0; super::lines::PEEK_VALUES + 2];
        // Lines read so far: the reader's line numbers, and `Rows::line` (the current
        // record's line, as `Rows::next` sets it), are set once a call rather than at each
        // line (see `CsvLines::skip_peeked`).
        let mut read = 0;
        // Checked once here: `peek_in` would decline every line otherwise.
        let width = self.fast.as_ref().and_then(|fast| self.rows.csv_lines_ref()?.peek_width(fast.width));
        let Some(width) = width else { return Fused::Declined };
        let mut prefix = Prefix::NONE;
        loop {
            match self.read_fused_line::<AVX2>(ids, out, &mut bounds, read, width, &mut prefix) {
                Fused::Read => read += 1,
                other => {
                    if read > 0
                        && let Some(number) = self.rows.csv_lines().map(|lines| {
                            lines.end_skipped(read);
                            lines.record_line
                        })
                    {
                        self.rows.line = number;
                    }
                    return other;
                }
            }
        }
    }

    /// [`read_fused`](Self::read_fused) for one line: `Fused::Read` when it read it.
    #[inline(always)]
    fn read_fused_line<const AVX2: bool>(
        &mut self,
        ids: &Ids<'_>,
        out: &mut Out<'_>,
        bounds: &mut Bounds,
        read: u64,
        width: PeekWidth,
        prefix: &mut Prefix,
    ) -> Fused {
        let Some(fast) = &self.fast else { return Fused::Declined };
        let Some(participant) = fast.participant else { return Fused::Declined };
        let Some(lines) = self.rows.csv_lines() else { return Fused::Declined };
        // The first line of a participant's events was peeked already, when the participant
        // before was read (see below).
        let line =
            if lines.has_kept() { lines.kept_in(bounds) } else { lines.peek_in::<AVX2>(width, bounds) };
        let Some(line) = line else { return Fused::Declined };
        let (index, compiled) =
            match prefix.find::<AVX2, _>(&line).and_then(|i| Some((i, fast.plans.get(i)?))) {
                Some(found) => found,
                None => {
                    if !ids.id_word.matches(&line, participant, ids.id) {
                        return if ids.next_word.matches(&line, participant, ids.next) {
                            // Kept for the next participant's call, which would peek at it again.
                            let kept = line.to_kept();
                            lines.keep(kept);
                            Fused::Next
                        } else {
                            Fused::Declined
                        };
                    }
                    let found = match fast.type_column {
                        Some(column) => {
                            let t = line.word(column);
                            let named = |c: &FastPlan| c.name.is(t, || line.value(column), &c.key);
                            match fast.types.get(t.0).copied() {
                                Some(TypeName { plan: NO_PLAN, .. }) => return Fused::Declined,
                                // The one plan whose name is as long as the value: the same bytes or none.
                                Some(TypeName { word, mask, plan }) if plan != SHARED => {
                                    match fast.plans.get(plan) {
                                        Some(c) if (t.1 ^ word) & mask == 0 => (plan, c),
                                        _ => return Fused::Declined,
                                    }
                                }
                                _ => match fast.plans.iter().enumerate().find(|(_, c)| named(c)) {
                                    Some(found) => found,
                                    None => return Fused::Declined,
                                },
                            }
                        }
                        None => match self.fixed.and_then(|(plan, _)| Some((plan, fast.plans.get(plan)?))) {
                            // `type_check` is only ever a single file's, so checked here rather than at
                            // each line of a combined file.
                            Some((i, c)) if c.usable => {
                                if let Some(column) = c.type_check {
                                    let t = line.value(column);
                                    if !(t.is_empty() || *t == *c.name_bytes) {
                                        return Fused::Declined;
                                    }
                                }
                                (i, c)
                            }
                            _ => return Fused::Declined,
                        },
                    };
                    if fast.prefixed {
                        prefix.remember(&line, found.0);
                    }
                    found
                }
            };
        let plans = &self.plans;
        // The `Vec`, not its slice: a slice's pointer and length were loaded at each line.
        let reader = |i: usize| field_reader(plans, index, i);
        let record = out.slot();
        let Some((start, end)) = fill_line(compiled, fast, &line, record, reader) else {
            return Fused::Declined;
        };
        let len = line.len_with_lf();
        record.start = start;
        record.end = end;
        let number = lines.skip_peeked(len, read);
        #[cfg(test)]
        FUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        record.origin = Origin { file: self.file, line: number };
        out.keep();
        Fused::Read
    }

    /// Reads the current row into `record` by the fast path; false when the row is for the
    /// general path (which then reads it whole, `record` included).
    #[inline]
    pub(super) fn fill_fast(&mut self, record: &mut EventRecord) -> bool {
        let Some(fast) = &self.fast else { return false };
        let Some(plain) = self.rows.plain_csv() else { return false };
        let last = fast.last;
        let cell = |column: usize| plain.cell(column, last);
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
        // As `fill_line`.
        record.event = plan.event;
        let values = &mut record.fields;
        values.clear();
        for (i, field) in compiled.fields.iter().enumerate() {
            let Some(bytes) = cell(field.column) else { return false };
            let Some(value) = read_value(bytes, field, || plan.fields.get(i).map(|(_, r)| r)) else {
                return false;
            };
            values.push(value);
        }
        match compiled.id.map(cell) {
            None | Some(Some(b"")) => record.id = None,
            Some(Some(bytes)) => {
                let Some(id) = short_str(bytes) else { return false };
                let kept = record.id.get_or_insert_with(String::new);
                kept.clear();
                kept.push_str(id);
            }
            Some(None) => return false,
        }
        let Some((start, end)) = timing(compiled, values) else { return false };
        record.start = start;
        record.end = end;
        record.origin = Origin { file: self.file, line: self.rows.line };
        true
    }
}

/// The reader of field `i` of plan `index`, for a value the fast paths hand to `read_text`.
/// Not inlined: inlined, the fused path worked out where the plan is at each line, needed or
/// not (some 4 instructions an event, callgrind).
#[cold]
#[inline(never)]
#[allow(clippy::ptr_arg)]
fn field_reader(plans: &Vec<EventPlan>, index: usize, i: usize) -> Option<&FieldReader> {
    plans.get(index).and_then(|plan| plan.fields.get(i)).map(|(_, reader)| reader)
}

/// `fill_fast` for a line `peek` found: the fields and id of `record`, and the event's first
/// and last days; `None` when the line is for the general path.
#[inline(always)]
fn fill_line<'a>(
    compiled: &FastPlan,
    fast: &FastRows,
    line: &Peeked<'_, &Bounds>,
    record: &mut EventRecord,
    reader: impl Fn(usize) -> Option<&'a FieldReader>,
) -> Option<(Day, Option<Day>)> {
    // `compiled.usable` and `compiled.type_check`: see `FastPlan::name`, and the look-up of
    // a single file's plan.
    match compiled.blank_bits {
        Some(bits) => {
            if line.empties() & bits != bits {
                return None;
            }
        }
        None => {
            for &column in &compiled.blank {
                if !line.is_empty(column) {
                    return None;
                }
            }
        }
    }
    let values = &mut record.fields;
    // A record's values are of the fields of its `event`, which every path sets before
    // filling them: when none of those is text, they hold no heap memory and are forgotten
    // rather than dropped one by one (`drop_in_place` cost some 20 instructions an event).
    if fast.all_heapless || fast.heapless.get(record.event).copied().unwrap_or(false) {
        // SAFETY: 0 is within the capacity, and the values given up need no drop (no heap
        // memory: see above).
        unsafe { values.set_len(0) };
    } else {
        values.clear();
    }
    record.event = compiled.event;
    // Each value is written straight to its place, with one check of the capacity for all:
    // pushed, each cost a check, a store of the length, and a copy through the stack (this
    // and `peek_in` took the evaluation from 1,215 to 1,190 instructions an event).
    let fields = &compiled.fields;
    values.reserve(fields.len());
    let mut filled = 0;
    for (i, (place, field)) in values.spare_capacity_mut().iter_mut().zip(fields).enumerate() {
        // A date (most values) is read from the word of its bytes, which needs no slice of
        // them: some 6 instructions a date fewer (callgrind). Any other, as `read_into` reads
        // it.
        if let Quick::Date = field.quick {
            let (len, word) = line.word(field.column);
            if len == 10
                && let Ok(day) = read_date_word(word as u64, (word >> 64) as u16)
            {
                place.write(Value::Day(day));
                filled += 1;
                continue;
            }
        }
        if !read_into(place, line.value(field.column), field, || reader(i)) {
            break;
        }
        filled += 1;
    }
    // SAFETY: the first `filled` places after the length were written just above.
    unsafe { values.set_len(filled) };
    if filled != fields.len() {
        return None;
    }
    match compiled.id {
        None => record.id = None,
        Some(column) => {
            let (len, word) = line.word(column);
            if len == 0 {
                record.id = None;
            } else {
                // Not ASCII: the general path checks it is UTF-8.
                if !line.all_ascii() && !line.is_ascii(column) {
                    return None;
                }
                match &mut record.id {
                    Some(kept) if len <= 16 && kept.capacity() >= 16 => {
                        // An id of up to 16 bytes is stored as the 16 bytes from its start,
                        // one store rather than a call to `memcpy` (some 15 instructions an
                        // event).
                        // SAFETY: the 16 bytes fit the capacity (checked just above); the
                        // first `len` are the id, all ASCII (checked above), so UTF-8; those
                        // after are past the string's length, where anything may be.
                        unsafe {
                            let bytes = kept.as_mut_vec();
                            bytes.as_mut_ptr().cast::<[u8; 16]>().write_unaligned(word.to_le_bytes());
                            bytes.set_len(len);
                        }
                    }
                    // SAFETY: every byte is below 0x80 (checked above), and ASCII is UTF-8.
                    _ => set_id(&mut record.id, unsafe { std::str::from_utf8_unchecked(line.value(column)) }),
                }
            }
        }
    }
    timing(compiled, values)
}

/// `read_value` writing the value to `place`: true when it wrote it, false (`place` left as it
/// was) when the general path is to read it.
#[inline(always)]
fn read_into<'a>(
    place: &mut MaybeUninit<Value>,
    bytes: &[u8],
    field: &FastField,
    reader: impl FnOnce() -> Option<&'a FieldReader>,
) -> bool {
    if bytes.is_empty() {
        if field.optional {
            place.write(Value::Missing);
        }
        return field.optional;
    }
    // Each kind writes its own variant: a `Value` returned from the match was copied whole,
    // padding included.
    match field.quick {
        Quick::Date => {
            if let Ok(day) = read_date_in(bytes) {
                place.write(Value::Day(day));
                return true;
            }
        }
        // Out of range is an error; any other text is for `read_text`.
        Quick::Whole { min, max } => match digits(bytes) {
            Some(n) if n < min || n > max => return false,
            Some(n) => {
                place.write(Value::Int(n));
                return true;
            }
            None => {}
        },
        // As `parse_decimal` reads plain digits: at most 18 of them, so below 2^60, positive,
        // scale 0 (the parts `Decimal::from` gives, without its handling of a sign, some 8
        // instructions).
        Quick::Number => {
            if let Some((n, scale)) = digits(bytes).map(|n| (n as u64, 0)).or_else(|| point_digits(bytes)) {
                place.write(Value::Decimal(Decimal::from_parts(n as u32, (n >> 32) as u32, 0, false, scale)));
                return true;
            }
        }
        Quick::Other => {}
    }
    match reader().and_then(|reader| reader.read_text(bytes).ok()) {
        Some(value) => {
            place.write(value);
            true
        }
        None => false,
    }
}

/// Copies `id` into a record's id, with room for the 16-byte store of `fill_line` next time.
#[inline(never)]
fn set_id(kept: &mut Option<String>, id: &str) {
    let kept = kept.get_or_insert_with(|| String::with_capacity(16));
    kept.clear();
    kept.push_str(id);
    if kept.capacity() < 16 {
        kept.reserve(16 - kept.len());
    }
}

/// The value of a field's cell as the general path reads it, or `None` when the general path
/// is to read it (and report why it is not one): `read_into`, for a value wanted on its own.
#[inline(always)]
fn read_value<'a>(
    bytes: &[u8],
    field: &FastField,
    reader: impl FnOnce() -> Option<&'a FieldReader>,
) -> Option<Value> {
    let mut place = MaybeUninit::uninit();
    // SAFETY: `read_into` writes `place` whenever it returns true.
    read_into(&mut place, bytes, field, reader).then(|| unsafe { place.assume_init() })
}

/// The first and last days of an event whose fields are `values`; `None` when they are not
/// (a spell ending before it starts, or a missing date), which the general path reports.
#[inline(always)]
fn timing(plan: &FastPlan, values: &[Value]) -> Option<(Day, Option<Day>)> {
    let day = |i: usize| match values.get(i) {
        Some(Value::Day(d)) => Some(*d),
        _ => None,
    };
    let start = day(plan.start)?;
    let end = match plan.end {
        None => Some(start),
        Some(i) => match day(i) {
            Some(end) if end < start => return None,
            Some(end) => Some(end),
            None if plan.open_ended => None,
            None => return None,
        },
    };
    Some((start, end))
}

/// The number written as 1 to 18 decimal digits and nothing else (so it fits an `i64`).
#[inline]
pub(super) fn digits(bytes: &[u8]) -> Option<i64> {
    // One or two digits (most hours and scores) without the loop, which cost some 10
    // instructions more a number (callgrind).
    match *bytes {
        [a] => {
            let a = a.wrapping_sub(b'0');
            return (a <= 9).then_some(i64::from(a));
        }
        [a, b] => {
            let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
            return (a <= 9 && b <= 9).then(|| i64::from(a) * 10 + i64::from(b));
        }
        _ => {}
    }
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

/// A number written as digits with one decimal point, as `parse_decimal` reads it: its
/// digits as one number and how many follow the point. At most 18 bytes, so it fits.
/// Without this, a number such as `16.5` (7% of the example's hours) went to `read_text`,
/// some 150 instructions (callgrind).
#[inline(never)]
fn point_digits(bytes: &[u8]) -> Option<(u64, u32)> {
    if bytes.len() > 18 {
        return None;
    }
    let (mut n, mut scale, mut count, mut dot) = (0u64, 0u32, 0, false);
    for &c in bytes {
        let digit = c.wrapping_sub(b'0');
        if digit <= 9 {
            n = n * 10 + u64::from(digit);
            count += 1;
            scale += u32::from(dot);
        } else if c == b'.' && !dot {
            dot = true;
        } else {
            return None;
        }
    }
    (count > 0).then_some((n, scale))
}

/// The text of a short value, or `None` when it is not valid UTF-8. Ids are almost always
/// ASCII, and checking a few bytes is far cheaper than a UTF-8 decoder (`Utf8Chunks`
/// cost about 70 instructions an id, measured with callgrind); any other bytes take
/// `from_utf8`. A plain loop: a fold of the bytes was vectorised, whose setup cost more than
/// the few bytes of an id.
#[inline(always)]
pub(super) fn short_str(bytes: &[u8]) -> Option<&str> {
    if bytes.iter().all(|&b| b < 0x80) {
        // SAFETY: every byte is below 0x80 (checked just above), and ASCII is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Random, read};
    use super::super::{EventFile, Inputs, Ordering};
    use super::{FUSED, NARROW, Word};
    use std::io::Write;

    /// `inputs` read with the fast paths, held equal to the general path's reading and to the
    /// reading by the fused path as built for every x86-64 processor (where this one has
    /// more); `what` names the case in a failure.
    fn read_both_builds(
        contract: &crate::ir::Contract,
        inputs: &Inputs,
        what: &str,
    ) -> (Vec<crate::eval::value::Timeline>, Vec<String>, u64) {
        let fast = read(contract, inputs, true);
        assert_eq!(fast, read(contract, inputs, false), "{what}");
        NARROW.with(|narrow| narrow.set(true));
        let narrow = read(contract, inputs, true);
        NARROW.with(|narrow| narrow.set(false));
        assert_eq!(fast, narrow, "{what}, narrow");
        fast
    }

    #[test]
    fn the_word_of_a_peeked_value_is_the_word_of_its_bytes() {
        let text = b"P1234567890123456789";
        for len in 0..=text.len() {
            // The 16 bytes from the value's start, those past its end included.
            let mut sixteen = [b'x'; 16];
            let n = len.min(16);
            sixteen[..n].copy_from_slice(&text[..n]);
            let of = Word::of((len, u128::from_le_bytes(sixteen)));
            assert_eq!(format!("{of:?}"), format!("{:?}", Word::new(&text[..len])), "{len} bytes");
        }
    }

    #[test]
    fn masked_compares_are_as_byte_by_byte() {
        use super::same_masked;
        let mut random = Random(3);
        for _ in 0..2000 {
            let mut a = [0u8; 32];
            a.iter_mut().for_each(|b| *b = b"P1,ex"[random.below(5)]);
            let mut b = a;
            // Mostly one byte changed, or none.
            if random.below(3) > 0 {
                b[random.below(32)] ^= 1 << random.below(8);
            }
            let len = random.below(33);
            let mut mask = [0u8; 32];
            mask[..len].fill(0xFF);
            let plain = a[..len] == b[..len];
            assert_eq!(same_masked::<false>(&a, &b, &mask), plain);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                assert_eq!(same_masked::<true>(&a, &b, &mask), plain);
            }
        }
    }

    #[test]
    fn short_str_takes_ascii_and_other_utf8_and_refuses_the_rest() {
        use super::short_str;
        assert_eq!(short_str(b""), Some(""));
        assert_eq!(short_str(b"E12"), Some("E12"));
        assert_eq!(short_str(b"\x7f"), Some("\u{7f}"));
        assert_eq!(short_str("E\u{e9}".as_bytes()), Some("E\u{e9}"));
        assert_eq!(short_str(b"E\xff"), None);
        assert_eq!(short_str(b"\xc3"), None);
    }

    #[test]
    fn digits_are_read_as_the_plain_loop_reads_them() {
        use super::digits;
        let alphabet = b"0129/:+- a";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=3 {
            for i in 0..alphabet.len().pow(len) {
                texts.push((0..len).map(|k| alphabet[i / alphabet.len().pow(k) % alphabet.len()]).collect());
            }
        }
        texts.extend([&b"123456789012345678"[..], b"1234567890123456789"].map(<[u8]>::to_vec));
        for text in texts {
            let plain = (!text.is_empty() && text.len() <= 18 && text.iter().all(u8::is_ascii_digit))
                .then(|| text.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')));
            assert_eq!(digits(&text), plain, "{}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn plain_numbers_are_the_decimals_parse_decimal_gives_bit_for_bit() {
        use super::super::fields::parse_decimal;
        use super::{FastField, Quick, Value, read_into};
        use std::mem::MaybeUninit;
        let field = FastField { column: 0, quick: Quick::Number, optional: false };
        for text in [
            "0",
            "7",
            "14",
            "007",
            "4294967295",
            "4294967296",
            "123456789012345678",
            "999999999999999999",
            "16.5",
            "0.0",
            "0.00",
            ".5",
            "5.",
            "007.250",
            "1234567890123456.7",
            "12345678901234.567",
            "4294967296.5",
        ] {
            let mut place = MaybeUninit::uninit();
            assert!(read_into(&mut place, text.as_bytes(), &field, || None), "{text}");
            // SAFETY: `read_into` wrote it (asserted just above).
            let Value::Decimal(fast) = (unsafe { place.assume_init() }) else { panic!("{text}") };
            let general = parse_decimal(text.as_bytes()).unwrap();
            assert_eq!(fast, general, "{text}");
            // Equal as numbers is not enough: the scale shows in what is written.
            assert_eq!(fast.serialize(), general.serialize(), "{text}");
        }
        // Left to `read_text` (no reader here, so refused).
        for text in ["1.2.3", ".", "-1.5", "+2", "1e3", "1.23456789012345678", "1,5", " 1.5"] {
            let mut place = MaybeUninit::uninit();
            assert!(!read_into(&mut place, text.as_bytes(), &field, || None), "{text}");
        }
    }

    /// Two events whose names have one length (`FastRows::types` then tries the plans in
    /// turn), one of another, and type values of those lengths that name none of them.
    #[test]
    fn the_fast_path_finds_plans_of_names_of_one_length_as_the_general_path_does() {
        let text = r#"
contract "Two events of one name length" {
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
  total cap 100_000 GBP
}
participant { born: date }
event visit { on: date }
event phone {
  on: date
  minutes: 0..600
}
event consultation { on: date }
outcome seen "Seen" {
  achieved when phone.minutes > 10 in at least 1 of the 2 calendar months after participant.born
  pays 100 GBP
}
"#;
        let contract = crate::compile("types.pay", text, &crate::resolve::NoFiles).ir.expect("compiles");
        let dir = tempfile::tempdir().unwrap();
        let participants = dir.path().join("participants.csv");
        let mut file = std::fs::File::create(&participants).unwrap();
        file.write_all(b"id,born\n").unwrap();
        // Every third id so long that a line's start to its second comma passes 32 bytes (no
        // `Prefix` then), or nearly.
        let id = |p: usize| if p % 3 == 0 { format!("P{p}-0123456789-012345") } else { format!("P{p}") };
        for p in 1..=40 {
            writeln!(file, "{},2008-09-28", id(p)).unwrap();
        }
        let events = dir.path().join("events.csv");
        let mut file = std::fs::File::create(&events).unwrap();
        file.write_all(b"participant,type,id,on,minutes\n").unwrap();
        let mut random = Random(11);
        let types = [
            "visit",
            "phone",
            "consultation",
            "phone",
            "visit",
            "Phone",
            "vis1t",
            "phones",
            "",
            "consultatioN",
        ];
        for p in 1..=40 {
            for e in 0..random.below(12) {
                let kind = random.pick(&types);
                // Mostly what each event's row holds (minutes for a call, none for the others).
                let minutes = if kind == "phone" { ["15", "", "700", "x"] } else { ["", "15", "700", "x"] };
                let minute = random.mostly(&minutes);
                let (month, day) = (1 + random.below(9), random.below(10));
                writeln!(file, "{},{kind},E{p}-{e},2026-0{month}-1{day},{minute}", id(p)).unwrap();
            }
        }
        drop(file);
        let fused_before = FUSED.load(std::sync::atomic::Ordering::Relaxed);
        for ordering in [Ordering::Grouped, Ordering::InMemory] {
            let inputs = Inputs {
                participants: participants.clone(),
                events: vec![EventFile { path: events.clone(), event: None }],
                format: None,
                ordering,
            };
            let fast = read_both_builds(&contract, &inputs, &format!("{ordering:?}"));
            assert!(fast.2 > 10, "{} errors", fast.2);
        }
        let fused = FUSED.load(std::sync::atomic::Ordering::Relaxed) - fused_before;
        assert!(fused > 100, "{fused} rows by the fused path");
    }

    #[test]
    fn the_fast_path_reads_random_rows_as_the_general_path_does() {
        let text = include_str!("../../../examples/youth_employment.pay");
        let contract =
            crate::compile("youth_employment.pay", text, &crate::resolve::NoFiles).ir.expect("compiles");
        let dir = tempfile::tempdir().unwrap();
        let mut random = Random(7);
        let dates = [
            "2026-11-14",
            "2027-03-15",
            "2024-02-29",
            "2023-02-29",
            "2027-12-31",
            "",
            "2024-13-01",
            "20240101",
            "2024-1-01",
            " 2024-01-01",
            "2024-00-10",
            "1899-12-31",
            "2200-01-01",
            "\"2025-05-05\"",
            "2025-06-3\u{7f}",
        ];
        let hours = [
            "14",
            "007",
            "+5",
            "-3",
            "14.5",
            "",
            "x",
            "1e3",
            "99999999999999999999",
            "0",
            "123456789012345678",
        ];
        let scores = ["14", "70", "71", "13", "", "50.0", "+20", "-0", "030", "2e1"];
        // The long id makes a line longer than the 64 bytes the fused path looks at.
        let ids = [
            "E1",
            "",
            "E\u{e9}",
            "\"E,2\"",
            "E\u{7f}",
            "x",
            "E1234567890123456",
            "E-long-0123456789-0123456789",
        ];
        let types = ["employment", "wellbeing_survey", "", "bogus", "Employment"];
        let (mut read_rows, mut bad_rows) = (0, 0);
        let fused_before = FUSED.load(std::sync::atomic::Ordering::Relaxed);
        for round in 0..40 {
            // Every tenth round is larger than the read buffer (64 KiB), so that lines
            // straddle its refills; a third of the files end with no LF.
            let (people, rows) = if round % 10 == 3 { (300, 2000) } else { (4, 60) };
            let participants = dir.path().join(format!("participants{round}.csv"));
            let mut file = std::fs::File::create(&participants).unwrap();
            file.write_all(b"id,born,referred,group\n").unwrap();
            for p in 1..=people {
                let group = random.pick(&["ready", "complex", "needs_support", "bogus"]);
                writeln!(file, "P{p},2008-09-28,{},{group}", random.pick(&dates[..6])).unwrap();
            }
            let combined = dir.path().join(format!("events{round}.csv"));
            let mut file = std::fs::File::create(&combined).unwrap();
            // Every fifth round, the wellbeing survey's score has no column: its plan is not
            // usable, and only the general path reads (and rejects) its rows.
            let mut data = b"participant,type,id,from,to,hours,on,score\n".to_vec();
            let single = dir.path().join(format!("surveys{round}.csv"));
            let mut survey_data = b"participant,id,on,score,type\r\n".to_vec();
            let mut p = 1;
            for _ in 0..rows {
                if random.below(5) == 0 {
                    p += 1;
                }
                let participant =
                    if random.below(30) == 0 { "P999".to_string() } else { format!("P{}", p.min(people)) };
                let end = if random.below(4) == 0 { "\r\n" } else { "\n" };
                let row = match random.below(3) {
                    0 => format!(
                        "{participant},{},{},{},{},{},{},{}{end}",
                        random.pick(&types),
                        random.pick(&ids),
                        random.pick(&dates),
                        random.pick(&dates),
                        random.pick(&hours),
                        if random.below(8) == 0 { "2025-01-01" } else { "" },
                        if random.below(8) == 0 { "20" } else { "" },
                    ),
                    1 => format!(
                        "{participant},wellbeing_survey,{},,{},,{},{}{end}",
                        random.mostly(&ids),
                        if random.below(8) == 0 { "3" } else { "" },
                        random.mostly(&dates),
                        random.mostly(&scores),
                    ),
                    _ => format!(
                        "{participant},employment,{},{},{},{},,{end}",
                        random.mostly(&ids),
                        random.mostly(&dates),
                        random.mostly(&dates[1..]),
                        random.mostly(&hours),
                    ),
                };
                let row = match random.below(40) {
                    // An empty line, a row with a value too many, one with a value too few.
                    0 => end.to_string(),
                    1 => row.replacen(',', ",,", 1),
                    2 => row.replacen(',', "", 1),
                    _ => row,
                };
                data.extend(row.as_bytes());
                let survey = format!(
                    "{participant},{},{},{},{}\r\n",
                    random.mostly(&ids),
                    random.mostly(&dates),
                    random.mostly(&scores),
                    random.pick(&["", "wellbeing_survey", "employment"]),
                );
                survey_data.extend(survey.as_bytes());
            }
            if round % 5 == 2 {
                // The last value of each line dropped (its CR kept).
                let lines: Vec<Vec<u8>> = data
                    .split(|&b| b == b'\n')
                    .map(|line| {
                        let cr = line.ends_with(b"\r");
                        let mut kept = match line.iter().rposition(|&b| b == b',') {
                            Some(i) => line[..i].to_vec(),
                            None => line.to_vec(),
                        };
                        if cr && !kept.ends_with(b"\r") {
                            kept.push(b'\r');
                        }
                        kept
                    })
                    .collect();
                data = lines.join(&b'\n');
            }
            if round % 3 == 0 {
                while data.last().is_some_and(|b| b.is_ascii_whitespace()) {
                    data.pop();
                }
            }
            // DEL stands for a byte that is not UTF-8.
            let not_utf8 = |data: Vec<u8>| -> Vec<u8> {
                data.into_iter().map(|b| if b == 0x7F { 0xFF } else { b }).collect()
            };
            file.write_all(&not_utf8(data)).unwrap();
            std::fs::write(&single, not_utf8(survey_data)).unwrap();
            for ordering in [Ordering::Grouped, Ordering::InMemory] {
                let inputs = Inputs {
                    participants: participants.clone(),
                    events: vec![
                        EventFile { path: combined.clone(), event: None },
                        EventFile { path: single.clone(), event: Some("wellbeing_survey".into()) },
                    ],
                    format: None,
                    ordering,
                };
                let fast = read_both_builds(&contract, &inputs, &format!("round {round}"));
                read_rows += fast.0.iter().map(|t| t.events.len()).sum::<usize>();
                bad_rows += fast.2;
            }
        }
        assert!(read_rows > 5000 && bad_rows > 1000, "{read_rows} rows read, {bad_rows} errors");
        let fused = FUSED.load(std::sync::atomic::Ordering::Relaxed) - fused_before;
        assert!(fused > 3000, "{fused} rows by the fused path");
    }
}
