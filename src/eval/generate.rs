//! Synthetic cohorts: participants and event timelines shaped by a contract, for benchmarks
//! and demos.
//!
//! Owns: [`generate`], which writes `participants.csv` and `events.csv` in the evaluator's
//! input format for any compiled contract, deterministically from a seed (same contract, count
//! and seed: byte-identical files, on any machine), and fast enough to make a million
//! participants in seconds. The data are plausible, not realistic statistics: they exist to
//! exercise every code path of the evaluator at scale.
//!
//! The format (the evaluator's input contract):
//!
//! - `participants.csv`: header `id,<field>,...` in the IR's field order; ids `P1`, `P2`, ...
//! - `events.csv`: header `participant,type,id,<field>,...`, the fields being the union of
//!   every event's fields in order of first appearance; a column the row's type does not
//!   declare is empty. Rows are grouped by participant, in participant order (the streaming
//!   order the reader needs); within a participant, by event type in declaration order, then
//!   by date. Event ids are `E1`, `E2`, ... across the file.
//! - Dates `YYYY-MM-DD`; quantities as bare numbers in the field's input unit
//!   (`Field::input_unit`, else the canonical unit); enums by case name; bools `true` or
//!   `false`; a missing optional value is empty.
//!
//! What the values look like, by field:
//!
//! - A participant date field whose name mentions birth (`born`, `birth`, `dob`): uniform
//!   from 30 to 13 years before the achievable period starts (1995 to 2012 for a programme
//!   starting in 2025). The first other date field (referral, release, attachment) is the
//!   participant's *entry*: uniform over the first two-thirds of the achievable period, so
//!   that outcomes have time to happen; later date fields follow the one before by 0 to 28
//!   days (an assessment after a referral).
//! - Enums (and bands) uniformly by case; bools true three times in ten; bounded ints
//!   uniform in range; ints 0 to 20; decimals 1.0 to 10.0; percentages 0 to 100; text a
//!   short random id; quantities by canonical unit (`hour/week` mostly the common contracted
//!   hours 8 to 40, `month` 1 to 24, `day` 1 to 365, money 0 to 5,000, otherwise 1 to 100).
//!   An optional field is empty one time in ten (but for a spell's open end, below).
//! - Events: about [`EVENTS_PER_PARTICIPANT`] per participant, shared evenly between the
//!   declared events (each event's count is uniform around its share). A spell event is a
//!   run of spells, the first starting within two months of entry: each 14 days to about a
//!   year (short spells more likely), with gaps of 0 to 90 days between them (none one time
//!   in five); when the spell may be open, the last one is still open three times in ten.
//!   A point event (a survey, an
//!   assessment, a conviction) comes first within two weeks of entry and then every two to
//!   five months. Bounded scores and decimals on point events drift from one record to the
//!   next (a random walk with a slight upward tendency, clamped to the range), as repeated
//!   assessments do. Any other date on an event is up to 90 days before the event's own
//!   date (the offence before the conviction, the registration before the first session).

use crate::eval::day::Day;
use crate::ir::{Contract, Field, Timing, Type};
use rust_decimal::prelude::ToPrimitive;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The average number of events generated per participant, across all declared events.
pub const EVENTS_PER_PARTICIPANT: f64 = 10.0;

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateSummary {
    pub participants: usize,
    pub events: u64,
    /// Events written per declared event, in declaration order.
    pub events_by_type: Vec<(String, u64)>,
    pub participants_file: PathBuf,
    pub events_file: PathBuf,
    /// Bytes written to both files.
    pub bytes: u64,
}

/// Writes `participants` synthetic participants of `contract`, and their events, to
/// `out_dir/participants.csv` and `out_dir/events.csv` (see the module docs for the format
/// and the shape of the data). The same contract, count and seed always give the same bytes.
pub fn generate(
    contract: &Contract,
    participants: usize,
    seed: u64,
    out_dir: &Path,
) -> io::Result<GenerateSummary> {
    let plan = Plan::new(contract)?;
    let participants_file = out_dir.join("participants.csv");
    let events_file = out_dir.join("events.csv");
    let mut people = Out::create(&participants_file)?;
    let mut events = Out::create(&events_file)?;
    let mut rng = Xoshiro256pp::new(seed);

    people.push(b"id");
    for field in &plan.participant {
        people.push(b",");
        people.push(field.name.as_bytes());
    }
    people.push(b"\n");
    events.push(b"participant,type,id");
    for column in &plan.columns {
        events.push(b",");
        events.push(column.as_bytes());
    }
    events.push(b"\n");

    let mut counts = vec![0u64; plan.events.len()];
    let mut next_event_id = 1u64;
    let mut cells: Vec<Cell> = Vec::new();
    let mut walks: Vec<i64> = Vec::new();
    for person in 1..=participants as u64 {
        let anchor = plan.write_participant(person, &mut rng, &mut people);
        for (index, event) in plan.events.iter().enumerate() {
            let n = event_count(&mut rng, plan.share);
            if n == 0 {
                continue;
            }
            event.start_walks(&mut rng, &mut walks);
            let mut date = anchor.plus_days(rng.below(if event.spell.is_some() { 61 } else { 15 }) as i32);
            for k in 0..n {
                cells.clear();
                let next = event.fill(&mut rng, date, k + 1 == n, &mut walks, &mut cells);
                event.write_row(person, next_event_id, &cells, &mut events);
                next_event_id += 1;
                date = next;
            }
            counts[index] += n;
        }
        people.flush_if_full()?;
        events.flush_if_full()?;
    }
    let bytes = people.finish()? + events.finish()?;
    Ok(GenerateSummary {
        participants,
        events: counts.iter().sum(),
        events_by_type: plan.events.iter().map(|e| e.name.clone()).zip(counts).collect(),
        participants_file,
        events_file,
        bytes,
    })
}

/// How many records of one event a participant gets: uniform around `mean` (rounding a
/// uniform draw on `0..2 mean`), so the average is `mean` and the spread is wide.
fn event_count(rng: &mut Xoshiro256pp, mean: f64) -> u64 {
    (rng.unit() * 2.0 * mean + 0.5).floor() as u64
}

/// A generated value, before it is written.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Empty,
    Date(Day),
    Int(i64),
    /// Hundredths: `3750` is written `37.5`.
    Hundredths(i64),
    /// Index into the field's cases.
    Case(usize),
    Text(u64),
    Bool(bool),
}

#[derive(Clone, Debug)]
enum DateRole {
    Birth,
    Entry,
    AfterPrevious,
    /// On an event: the spell's start or the point's day.
    EventDate,
    /// On a spell: its end.
    SpellEnd,
    /// Any other date on an event: before the event's own date.
    BeforeEventDate,
}

#[derive(Clone, Debug)]
enum Kind {
    Date(DateRole),
    Bool,
    /// Whole numbers from `min` to `max`; `walk` on point events.
    Int {
        min: i64,
        max: i64,
        walk: bool,
    },
    /// Hundredths from `min` to `max`; `walk` on point events.
    Decimal {
        min: i64,
        max: i64,
        walk: bool,
    },
    /// Hundredths of the canonical unit; written divided by `divide_by` when the input unit
    /// differs from the canonical one.
    Quantity {
        typical: &'static [i64],
        min: i64,
        max: i64,
        divide_by: Option<f64>,
    },
    Case(Vec<String>),
    Text,
}

#[derive(Clone, Debug)]
struct FieldPlan {
    name: String,
    kind: Kind,
    optional: bool,
    /// Index into the participant's random-walk state, for drifting values.
    walk: Option<usize>,
}

#[derive(Clone, Debug)]
struct EventPlan {
    name: String,
    fields: Vec<FieldPlan>,
    /// For spells: whether the end may be missing (an open spell).
    spell: Option<bool>,
    /// For each column of the events file: the field of this event written there.
    column_fields: Vec<Option<usize>>,
}

struct Plan {
    participant: Vec<FieldPlan>,
    events: Vec<EventPlan>,
    columns: Vec<String>,
    /// Each event's share of the events per participant.
    share: f64,
    birth: (Day, Day),
    entry: (Day, Day),
}

/// Contracted hours a week people commonly work, in hundredths.
const COMMON_HOURS: &[i64] = &[800, 1200, 1600, 1650, 2000, 2400, 3000, 3500, 3750, 4000];

impl Plan {
    fn new(contract: &Contract) -> io::Result<Plan> {
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_string());
        let from =
            Day::parse(&contract.achievable.from).ok_or_else(|| invalid("achievable start is not a date"))?;
        let to =
            Day::parse(&contract.achievable.to).ok_or_else(|| invalid("achievable end is not a date"))?;
        let span = (to.0 - from.0).max(0);
        let birth = (from.plus_months(-30 * 12), from.plus_months(-13 * 12));
        let entry = (from, from.plus_days(span * 2 / 3));

        let mut seen_entry = false;
        let participant = contract
            .participant
            .fields
            .iter()
            .map(|field| {
                let (ty, optional) = unwrap_optional(&field.ty);
                let kind = if *ty == Type::Date {
                    let name = field.name.to_ascii_lowercase();
                    if name.contains("born") || name.contains("birth") || name.contains("dob") {
                        Kind::Date(DateRole::Birth)
                    } else if seen_entry {
                        Kind::Date(DateRole::AfterPrevious)
                    } else {
                        seen_entry = true;
                        Kind::Date(DateRole::Entry)
                    }
                } else {
                    value_kind(contract, field, ty, false)
                };
                FieldPlan { name: field.name.clone(), kind, optional, walk: None }
            })
            .collect();

        let mut columns: Vec<String> = Vec::new();
        for event in &contract.events {
            for field in &event.fields {
                if !columns.contains(&field.name) {
                    columns.push(field.name.clone());
                }
            }
        }
        let events = contract
            .events
            .iter()
            .map(|event| {
                let (date_field, end_field, spell) = match &event.timing {
                    Timing::Point { on } => (on.as_str(), None, None),
                    Timing::Spell { from, to, open_ended } => {
                        (from.as_str(), Some(to.as_str()), Some(*open_ended))
                    }
                };
                let point = spell.is_none();
                let mut walks = 0;
                let fields = event
                    .fields
                    .iter()
                    .map(|field| {
                        let (ty, optional) = unwrap_optional(&field.ty);
                        let kind = if field.name == date_field {
                            Kind::Date(DateRole::EventDate)
                        } else if Some(field.name.as_str()) == end_field {
                            Kind::Date(DateRole::SpellEnd)
                        } else if *ty == Type::Date {
                            Kind::Date(DateRole::BeforeEventDate)
                        } else {
                            value_kind(contract, field, ty, point)
                        };
                        let walk = match kind {
                            Kind::Int { walk: true, .. } | Kind::Decimal { walk: true, .. } => {
                                walks += 1;
                                Some(walks - 1)
                            }
                            _ => None,
                        };
                        FieldPlan { name: field.name.clone(), kind, optional, walk }
                    })
                    .collect::<Vec<_>>();
                let column_fields =
                    columns.iter().map(|c| fields.iter().position(|f: &FieldPlan| &f.name == c)).collect();
                EventPlan { name: event.name.clone(), fields, spell, column_fields }
            })
            .collect::<Vec<_>>();
        let share = if events.is_empty() { 0.0 } else { EVENTS_PER_PARTICIPANT / events.len() as f64 };
        Ok(Plan { participant, events, columns, share, birth, entry })
    }

    /// Writes one participant's row; returns the day their events start from (their entry
    /// date, or a day in the entry range when they have none).
    fn write_participant(&self, person: u64, rng: &mut Xoshiro256pp, out: &mut Out) -> Day {
        out.push(b"P");
        out.int(person as i64);
        let mut last: Option<Day> = None;
        let mut entry: Option<Day> = None;
        for field in &self.participant {
            out.push(b",");
            if field.optional && rng.below(10) == 0 {
                continue;
            }
            let cell = match &field.kind {
                Kind::Date(role) => {
                    let day = match role {
                        DateRole::Birth => rng.day_between(self.birth),
                        DateRole::Entry => {
                            let day = rng.day_between(self.entry);
                            entry = Some(day);
                            day
                        }
                        _ => last.unwrap_or(self.entry.0).plus_days(rng.below(29) as i32),
                    };
                    if !matches!(role, DateRole::Birth) {
                        last = Some(day);
                    }
                    Cell::Date(day)
                }
                kind => uniform_value(rng, kind),
            };
            out.cell(cell, field);
        }
        out.push(b"\n");
        entry.unwrap_or_else(|| rng.day_between(self.entry))
    }
}

impl EventPlan {
    /// A participant's starting point for each drifting value: the middle half of its range.
    fn start_walks(&self, rng: &mut Xoshiro256pp, walks: &mut Vec<i64>) {
        walks.clear();
        for field in &self.fields {
            if field.walk.is_some() {
                // Decimals move in tenths, so they start on a tenth.
                let (min, max, unit) = match field.kind {
                    Kind::Int { min, max, .. } => (min, max, 1),
                    Kind::Decimal { min, max, .. } => (min, max, 10),
                    _ => (0, 0, 1),
                };
                let quarter = (max - min) / 4;
                walks.push(rng.between((min + quarter) / unit, (max - quarter) / unit) * unit);
            }
        }
    }

    /// Fills the cells of one record dated `date`; returns the date the next record of this
    /// event starts from.
    fn fill(
        &self,
        rng: &mut Xoshiro256pp,
        date: Day,
        last: bool,
        walks: &mut [i64],
        cells: &mut Vec<Cell>,
    ) -> Day {
        let next = match self.spell {
            Some(_) => {
                // Short spells are more likely than long ones: 14 days to a year, skewed.
                let u = rng.unit();
                let length = 14 + (u * u * 352.0) as i32;
                let end = date.plus_days(length - 1);
                let gap = if rng.below(5) == 0 { 0 } else { rng.below(91) as i32 };
                (end, end.plus_days(1 + gap))
            }
            None => (date, date.plus_days(60 + rng.below(91) as i32)),
        };
        let (end, following) = next;
        for field in &self.fields {
            let cell = match &field.kind {
                Kind::Date(DateRole::EventDate) => Cell::Date(date),
                Kind::Date(DateRole::SpellEnd) => {
                    if self.spell == Some(true) && last && rng.below(10) < 3 {
                        Cell::Empty
                    } else {
                        Cell::Date(end)
                    }
                }
                Kind::Date(_) => Cell::Date(date.plus_days(-(rng.below(91) as i32))),
                _ if field.optional && rng.below(10) == 0 => Cell::Empty,
                kind @ (Kind::Int { min, max, .. } | Kind::Decimal { min, max, .. }) => match field.walk {
                    Some(w) => {
                        // A drift of -2..=+3 steps a record: a slight upward tendency.
                        let step = if matches!(kind, Kind::Int { .. }) { 1 } else { 10 };
                        walks[w] = (walks[w] + step * (rng.below(6) as i64 - 2)).clamp(*min, *max);
                        if matches!(kind, Kind::Int { .. }) {
                            Cell::Int(walks[w])
                        } else {
                            Cell::Hundredths(walks[w])
                        }
                    }
                    None => uniform_value(rng, kind),
                },
                kind => uniform_value(rng, kind),
            };
            cells.push(cell);
        }
        following
    }

    fn write_row(&self, person: u64, id: u64, cells: &[Cell], out: &mut Out) {
        out.push(b"P");
        out.int(person as i64);
        out.push(b",");
        out.push(self.name.as_bytes());
        out.push(b",E");
        out.int(id as i64);
        for field in &self.column_fields {
            out.push(b",");
            if let Some(index) = *field {
                out.cell(cells[index], &self.fields[index]);
            }
        }
        out.push(b"\n");
    }
}

fn unwrap_optional(ty: &Type) -> (&Type, bool) {
    match ty {
        Type::Optional { of } => (of, true),
        other => (other, false),
    }
}

/// How to generate a value of a type that is not a date. `drifts`: on a point event, scores
/// and decimals drift from record to record.
fn value_kind(contract: &Contract, field: &Field, ty: &Type, drifts: bool) -> Kind {
    match ty {
        Type::Bool => Kind::Bool,
        Type::Int => Kind::Int { min: 0, max: 20, walk: false },
        Type::Bounded { min, max } => Kind::Int { min: *min, max: *max, walk: drifts },
        Type::Decimal => Kind::Decimal { min: 100, max: 1000, walk: drifts },
        Type::Percent => Kind::Int { min: 0, max: 100, walk: false },
        Type::Text => Kind::Text,
        Type::Date => Kind::Date(DateRole::BeforeEventDate),
        Type::Enum { name } => Kind::Case(
            contract.enums.iter().find(|e| &e.name == name).map(|e| e.cases.clone()).unwrap_or_default(),
        ),
        Type::Optional { of } => value_kind(contract, field, of, drifts),
        Type::Quantity { unit } => {
            let money = unit == &contract.currency
                || (unit.len() == 3 && unit.bytes().all(|b| b.is_ascii_uppercase()));
            let (typical, min, max): (&'static [i64], i64, i64) = match unit.as_str() {
                "hour/week" => (COMMON_HOURS, 400, 4500),
                "hour" => (&[], 100, 4000),
                "day" => (&[], 100, 36500),
                "month" => (&[], 100, 2400),
                "working_day" => (&[], 100, 6000),
                _ if money => (&[], 0, 500_000),
                _ => (&[], 100, 10_000),
            };
            let factor = field.input_factor.to_f64().filter(|f| *f > 0.0 && *f != 1.0);
            Kind::Quantity { typical, min, max, divide_by: factor }
        }
    }
}

fn uniform_value(rng: &mut Xoshiro256pp, kind: &Kind) -> Cell {
    match kind {
        Kind::Bool => Cell::Bool(rng.below(10) < 3),
        Kind::Int { min, max, .. } => Cell::Int(rng.between(*min, *max)),
        Kind::Decimal { min, max, .. } => Cell::Hundredths(rng.between(*min / 10, *max / 10) * 10),
        Kind::Quantity { typical, min, max, divide_by } => {
            let canonical = if !typical.is_empty() && rng.below(10) < 7 {
                typical[rng.below(typical.len() as u64) as usize]
            } else {
                // Whole units: hours, days, months, whole pounds.
                rng.between(*min / 100, *max / 100) * 100
            };
            match divide_by {
                Some(factor) => Cell::Hundredths((canonical as f64 / factor).round() as i64),
                None => Cell::Hundredths(canonical),
            }
        }
        Kind::Case(cases) if !cases.is_empty() => Cell::Case(rng.below(cases.len() as u64) as usize),
        Kind::Text => Cell::Text(rng.next_u64()),
        Kind::Case(_) | Kind::Date(_) => Cell::Empty,
    }
}

/// A file written through one large buffer: rows are pushed without a fallible call per
/// value, and the buffer goes to the file in large blocks.
struct Out {
    file: File,
    buffer: Vec<u8>,
    written: u64,
}

const BLOCK: usize = 1 << 20;

impl Out {
    fn create(path: &Path) -> io::Result<Out> {
        Ok(Out { file: File::create(path)?, buffer: Vec::with_capacity(BLOCK + 4096), written: 0 })
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buffer.len() >= BLOCK {
            self.file.write_all(&self.buffer)?;
            self.written += self.buffer.len() as u64;
            self.buffer.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<u64> {
        self.file.write_all(&self.buffer)?;
        self.file.flush()?;
        Ok(self.written + self.buffer.len() as u64)
    }

    /// A signed whole number, without going through `format!`.
    fn int(&mut self, value: i64) {
        if value < 0 {
            self.buffer.push(b'-');
        }
        self.buffer.extend_from_slice(super::output::decimal_digits(value.unsigned_abs(), &mut [0; 20]));
    }

    /// Hundredths as a bare decimal: `3750` is `37.5`, `2000` is `20`.
    fn hundredths(&mut self, value: i64) {
        if value < 0 {
            self.buffer.push(b'-');
        }
        let magnitude = value.unsigned_abs();
        self.int((magnitude / 100) as i64);
        let cents = magnitude % 100;
        if cents != 0 {
            self.buffer.push(b'.');
            self.buffer.push(b'0' + (cents / 10) as u8);
            if cents % 10 != 0 {
                self.buffer.push(b'0' + (cents % 10) as u8);
            }
        }
    }

    fn date(&mut self, day: Day) {
        let (y, m, d) = day.ymd();
        let y = y.clamp(0, 9999) as u32;
        self.buffer.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
        ]);
    }

    fn cell(&mut self, cell: Cell, field: &FieldPlan) {
        match cell {
            Cell::Empty => {}
            Cell::Date(day) => self.date(day),
            Cell::Int(n) => self.int(n),
            Cell::Hundredths(n) => self.hundredths(n),
            Cell::Case(i) => {
                if let Kind::Case(cases) = &field.kind {
                    self.buffer.extend_from_slice(cases[i].as_bytes());
                }
            }
            Cell::Text(bits) => {
                // Six base-36 characters after a letter: short, readable, and comma-free.
                const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
                self.buffer.push(b'T');
                let mut n = bits;
                for _ in 0..6 {
                    self.buffer.push(ALPHABET[(n % 36) as usize]);
                    n /= 36;
                }
            }
            Cell::Bool(b) => self.push(if b { b"true" } else { b"false" }),
        }
    }
}

/// xoshiro256++ (Blackman & Vigna, 2019), seeded by expanding the seed with SplitMix64 as
/// its authors recommend: fast, small, and fully specified here, so that a seed names the
/// same data set forever (no dependency whose algorithm could change under it).
struct Xoshiro256pp {
    s: [u64; 4],
}

impl Xoshiro256pp {
    fn new(seed: u64) -> Xoshiro256pp {
        let mut sm = crate::eval::stats::SplitMix64::new(seed);
        Xoshiro256pp { s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()] }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`, from the top 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..bound`; 0 when `bound` is 0. Lemire's multiply-and-shift: the bias is
    /// below 2^-40 for the small bounds used here, which synthetic data can ignore.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `min..=max` (`min` when `max < min`).
    fn between(&mut self, min: i64, max: i64) -> i64 {
        if max <= min {
            return min;
        }
        min + self.below((max - min) as u64 + 1) as i64
    }

    fn day_between(&mut self, (from, to): (Day, Day)) -> Day {
        Day(self.between(i64::from(from.0), i64::from(to.0)) as i32)
    }
}
