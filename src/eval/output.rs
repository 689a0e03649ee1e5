//! The outputs of an evaluation: decisions, the payments ledger and the summary, as CSV,
//! JSON or a table, each carrying the contract's IR hash and the as-of date.
//!
//! Decisions say what each outcome is worth (`amount`: the price after rounding); the ledger
//! says what is paid after caps. Rows come in a fixed order (decisions in input order, then
//! outcome order; the ledger in the order caps were applied), so the same inputs give
//! byte-identical outputs.

use super::cohort::CohortDecision;
use super::day::Day;
use super::decide::{Decision, Evidence, Reason, Status, Words};
use super::run::{DecisionSink, Evaluation};
use crate::ir;
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv | Format::Table => "csv",
        }
    }
}

/// What every output row or document names: the contract that decided it, and when.
#[derive(Clone, Debug, Serialize)]
pub struct Stamp {
    pub contract_hash: String,
    pub as_of: String,
}

/// One decision, as written.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DecisionRow {
    pub participant: String,
    pub outcome: String,
    pub repeat: u32,
    pub status: Status,
    /// Achieved: the date achieved; pending: the date it will be decided by.
    pub date: Option<String>,
    /// Achieved: what the outcome is worth, rounded, before caps.
    pub amount: Option<String>,
    pub claim_by: Option<String>,
    pub reason: Option<String>,
    pub evidence: Vec<String>,
}

pub fn decision_row(
    contract: &ir::Contract,
    files: &[String],
    participant: &str,
    d: &Decision,
) -> DecisionRow {
    DecisionRow {
        participant: participant.to_string(),
        outcome: contract.outcomes[d.outcome].name.clone(),
        repeat: d.repeat,
        status: d.status,
        date: d.date.map(|x| x.to_string()),
        amount: d.amount.map(money),
        claim_by: d.claim_by.map(|x| x.to_string()),
        reason: d.reason.as_ref().map(|r| r.to_string()),
        evidence: d.evidence.iter().map(|e| evidence(files, e)).collect(),
    }
}

/// A record as evidence: its `id`, else `file:line`.
pub fn evidence(files: &[String], e: &Evidence) -> String {
    let mut text = String::new();
    push_evidence(&mut text, files, e);
    text
}

/// [`evidence`] added to `text`.
fn push_evidence(text: &mut String, files: &[String], e: &Evidence) {
    match &e.id {
        Some(id) => text.push_str(id),
        None => {
            use std::fmt::Write as _;
            let file = files.get(e.origin.file as usize).map_or("?", |f| f.as_str());
            let _ = write!(text, "{file}:{}", e.origin.line);
        }
    }
}

/// The decimal digits of `n` in `buffer`, as `Display` writes them, without the formatting
/// machinery: the writers call this once or more per decision row.
pub(crate) fn decimal_digits(n: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    let mut n = n;
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buffer[at..]
}

/// Appends a whole number in decimal (see [`decimal_digits`]).
pub(crate) fn push_digits(out: &mut String, n: u64) {
    out.extend(decimal_digits(n, &mut [0; 20]).iter().map(|&d| char::from(d)));
}

/// Money to two decimal places at least, exactly.
pub fn money(amount: Decimal) -> String {
    let mut text = String::new();
    push_money(&mut text, amount);
    text
}

/// Appends [`money`]'s text.
pub fn push_money(out: &mut String, amount: Decimal) {
    // Nearly every amount is a price in whole pence or pounds: written as cents, digit by
    // digit, without normalizing, rescaling and formatting a `Decimal` (which cost more than
    // the rest of a decision row). Negative amounts, negative zero and finer scales take the
    // general path.
    let scale = amount.scale();
    let mantissa = u64::try_from(amount.mantissa()).ok().filter(|m| *m < 10_000_000_000_000_000);
    if let (Some(mantissa), 0..=2, false) = (mantissa, scale, amount.is_sign_negative()) {
        let cents = mantissa * 10u64.pow(2 - scale);
        let (units, hundredths) = (cents / 100, (cents % 100) as u8);
        push_digits(out, units);
        out.push('.');
        out.push(char::from(b'0' + hundredths / 10));
        out.push(char::from(b'0' + hundredths % 10));
        return;
    }
    use std::fmt::Write as _;
    let _ = write!(out, "{}", at_least_pence(amount));
}

/// The general path of [`push_money`]: the amount normalized, at two decimal places at least.
fn at_least_pence(amount: Decimal) -> Decimal {
    let mut a = amount.normalize();
    if a.scale() < 2 {
        a.rescale(2);
    }
    a
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

/// Writes decisions as they are made, as CSV or as one JSON document.
pub struct DecisionWriter<'w> {
    out: &'w mut dyn Write,
    format: Format,
    contract: &'w ir::Contract,
    first: bool,
    /// `contract_hash,as_of,` for every CSV row.
    prefix: String,
    line: Vec<u8>,
    texts: RowParts,
    rows: RowTexts,
    /// For the table format: rows kept to print at the end (a table needs its widths).
    pub kept: Vec<DecisionRow>,
}

impl<'w> DecisionWriter<'w> {
    pub fn new(
        out: &'w mut dyn Write,
        format: Format,
        contract: &'w ir::Contract,
        files: Vec<String>,
        stamp: Stamp,
    ) -> std::io::Result<DecisionWriter<'w>> {
        match format {
            Format::Csv => out.write_all(
                b"contract_hash,as_of,participant,outcome,repeat,status,date,amount,claim_by,reason,evidence\n",
            )?,
            Format::Json => write!(
                out,
                "{{\"contract_hash\":{},\"as_of\":{},\"decisions\":[",
                serde_json::to_string(&stamp.contract_hash).unwrap_or_default(),
                serde_json::to_string(&stamp.as_of).unwrap_or_default()
            )?,
            Format::Table => {}
        }
        let mut prefix = String::new();
        push_csv(&mut prefix, &stamp.contract_hash);
        prefix.push(',');
        push_csv(&mut prefix, &stamp.as_of);
        prefix.push(',');
        let outcome_names = contract
            .outcomes
            .iter()
            .map(|o| {
                let mut name = String::new();
                push_csv(&mut name, &o.name);
                name.push(',');
                name
            })
            .collect();
        Ok(DecisionWriter {
            out,
            format,
            contract,
            first: true,
            prefix,
            // Never grown (growing copies what it holds), but by a row longer than the margin.
            line: Vec::with_capacity(if format == Format::Csv { Self::WRITE_AT + (64 << 10) } else { 0 }),
            texts: RowParts {
                files,
                outcome_names,
                scratch: String::new(),
                days: DayTexts::new(),
                periods: PeriodReasons::default(),
                amounts: MoneyTexts::default(),
            },
            rows: RowTexts::default(),
            kept: Vec::new(),
        })
    }

    /// The CSV rows kept before they are written: as large as the caller's buffer (see
    /// `cli::eval`), which a write this large passes over instead of copying into.
    const WRITE_AT: usize = 1 << 20;

    pub fn finish(self) -> std::io::Result<Vec<DecisionRow>> {
        self.out.write_all(&self.line)?;
        if self.format == Format::Json {
            self.out.write_all(b"\n]}\n")?;
        }
        Ok(self.kept)
    }
}

impl DecisionSink for DecisionWriter<'_> {
    fn participant(&mut self, id: &str, decisions: &[Decision]) -> std::io::Result<()> {
        // Every row of a participant starts the same: made once, copied for the next rows.
        // The rows of many participants are kept and written out together: a write per
        // participant cost ~85 instructions, a participant's rows cost ~8 to copy.
        let (mut start, mut head) = (0, 0);
        if self.format == Format::Csv {
            start = self.line.len();
            self.line.extend_from_slice(self.prefix.as_bytes());
            if !push_plain(&mut self.line, id) {
                push_quoted(&mut self.line, id);
            }
            self.line.push(b',');
            head = self.line.len();
        }
        for d in decisions {
            match self.format {
                // The hot path of a national run: one reused buffer of bytes, no row value, no
                // allocation.
                Format::Csv => {
                    let line = &mut self.line;
                    if line.len() > head {
                        line.extend_from_within(start..head);
                    }
                    self.rows.push(line, d, &mut self.texts);
                }
                Format::Json => {
                    let row = decision_row(self.contract, &self.texts.files, id, d);
                    self.out.write_all(if self.first { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut *self.out, &row)?;
                }
                Format::Table => self.kept.push(decision_row(self.contract, &self.texts.files, id, d)),
            }
            self.first = false;
        }
        if self.format == Format::Csv {
            if self.line.len() == head {
                self.line.truncate(start);
            } else if self.line.len() >= Self::WRITE_AT {
                self.out.write_all(&self.line)?;
                self.line.clear();
            }
        }
        Ok(())
    }
}

/// What writes the rest of a CSV decision row, after the participant.
struct RowParts {
    files: Vec<String>,
    /// Each outcome's name as a CSV value and the comma after it, written on every row of
    /// its decisions.
    outcome_names: Vec<String>,
    scratch: String,
    days: DayTexts,
    periods: PeriodReasons,
    amounts: MoneyTexts,
}

impl RowParts {
    /// The row from the outcome's name to the end of the line.
    fn push_rest(&mut self, line: &mut Vec<u8>, d: &Decision) {
        self.push_fields(line, d);
        self.push_evidence(line, d);
        line.push(b'\n');
    }

    /// The row from the outcome's name to the comma before the evidence.
    fn push_fields(&mut self, line: &mut Vec<u8>, d: &Decision) {
        // The outcome's name, the repeat and the status with the commas after
        // them, in as few copies as they can be.
        line.extend_from_slice(self.outcome_names[d.outcome].as_bytes());
        if d.repeat == 1 {
            line.extend_from_slice(b"1,");
        } else {
            push_digit_bytes(line, u64::from(d.repeat));
            line.push(b',');
        }
        line.extend_from_slice(match d.status {
            Status::Achieved => b"achieved,",
            Status::NotAchieved => b"not_achieved,",
            Status::Pending => b"pending,",
        });
        if let Some(date) = d.date {
            self.days.push(line, date);
        }
        line.push(b',');
        if let Some(amount) = d.amount {
            self.amounts.push(line, amount);
        }
        line.push(b',');
        if let Some(claim_by) = d.claim_by {
            self.days.push(line, claim_by);
        }
        line.push(b',');
        if let Some(reason) = &d.reason {
            match reason {
                Reason::TooFewPeriods { counted, needed, left } => {
                    self.periods.push(line, [*counted, *needed, *left], reason, &mut self.days)
                }
                _ => push_reason(line, reason, &mut self.days),
            }
        }
        line.push(b',');
    }

    /// The evidence, joined by spaces, without a string per record. Most decisions have
    /// none: an empty value needs no quoting scan. Records' ids that need no quotes need none
    /// joined by spaces either: they are copied straight in.
    #[inline]
    fn push_evidence(&mut self, line: &mut Vec<u8>, d: &Decision) {
        if !d.evidence.is_empty() {
            self.push_evidence_list(line, d);
        }
    }

    /// [`RowParts::push_evidence`] of some evidence.
    #[inline(never)]
    fn push_evidence_list(&mut self, line: &mut Vec<u8>, d: &Decision) {
        let at = line.len();
        for (i, e) in d.evidence.iter().enumerate() {
            if i > 0 {
                line.push(b' ');
            }
            match &e.id {
                Some(id) if push_plain(line, id) => {}
                _ => {
                    line.truncate(at);
                    let text = &mut self.scratch;
                    text.clear();
                    for (i, e) in d.evidence.iter().enumerate() {
                        if i > 0 {
                            text.push(' ');
                        }
                        push_evidence(text, &self.files, e);
                    }
                    push_csv_bytes(line, text);
                    return;
                }
            }
        }
    }
}

/// What a decision's row says after the participant, when it says only what these hold:
/// the outcome, the repeat, the status, the date and no reason or a reason of numbers (no
/// amount, no claim date, no evidence). Most rows are of a few dozen of these (an outcome
/// not achieved with so many periods counted, pending until a date), so their texts are
/// remembered, made once and copied (~100 instructions a row fewer). Rows with an amount
/// have their own [`PaidKey`].
///
/// Packed into 128 bits (16 each for the outcome, the repeat and the three numbers, which a
/// run's rows fit), compared and hashed as two words: as a struct, making, hashing and
/// comparing a key cost ~30 instructions a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RowKey(u128);

/// What a row that [`RowKey`] does not cover says after the participant and before its
/// evidence, when it is an achieved row or one not achieved for want of a change in a window: the
/// outcome, the repeat, the status, the date, the amount (by its representation, as
/// [`MoneyTexts`]), the claim date and the window (`NoChange`'s text up to its number). A
/// run's payments are of a few outcomes and prices over a few hundred dates, and its
/// windows a few hundred, so these texts are remembered too (~300 instructions an achieved
/// row fewer, ~130 a `NoChange` row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PaidKey {
    outcome: u32,
    repeat: u32,
    date: i32,
    claim_by: i32,
    /// `NoChange`'s `lo` and `last`; `i32::MIN` twice for no reason.
    window: [i32; 2],
    status: Status,
    /// All ones for none (which no amount serializes to).
    amount: [u8; 16],
}

impl PaidKey {
    fn of(d: &Decision) -> Option<PaidKey> {
        let window = match d.reason {
            None => [i32::MIN; 2],
            Some(Reason::NoChange { lo, last, .. }) => [lo.0, last.0],
            Some(_) => return None,
        };
        Some(PaidKey {
            outcome: u32::try_from(d.outcome).ok()?,
            repeat: d.repeat,
            date: d.date.map_or(i32::MIN, |day| day.0),
            claim_by: d.claim_by.map_or(i32::MIN, |day| day.0),
            window,
            status: d.status,
            amount: d.amount.map_or([0xFF; 16], |a| a.serialize()),
        })
    }

    /// The amount by the low 32 bits of its mantissa (its bytes 4 to 7), with the rest.
    #[inline]
    fn hash(&self) -> u32 {
        let amount = u32::from_le_bytes([self.amount[4], self.amount[5], self.amount[6], self.amount[7]]);
        (self.date as u32).wrapping_mul(0x9E37_79B9)
            ^ self.outcome.wrapping_mul(0x85EB_CA6B)
            ^ self.repeat.wrapping_mul(0xC2B2_AE35)
            ^ (self.claim_by as u32).wrapping_mul(0x27D4_EB2F)
            ^ amount.wrapping_mul(0x1656_67B1)
            ^ (self.window[0] as u32).wrapping_mul(0xD3A2_646C)
            ^ (self.window[1] as u32).wrapping_mul(0xFD70_46C5)
            ^ (self.status as u32).wrapping_mul(0x2545_F491)
    }
}

impl RowKey {
    /// No key is all ones (its top bits are zeros).
    const NONE: RowKey = RowKey(u128::MAX);

    #[inline]
    fn of(d: &Decision) -> Option<RowKey> {
        if d.amount.is_some() || d.claim_by.is_some() || !d.evidence.is_empty() {
            return None;
        }
        let (reason, numbers) = match d.reason {
            None => (0u128, [0; 3]),
            Some(Reason::TooFewPeriods { counted, needed, left }) => (1, [counted, needed, left]),
            Some(_) => return None,
        };
        let [a, b, c] = numbers;
        let outcome = u32::try_from(d.outcome).ok()?;
        if (outcome | d.repeat | a | b | c) >> 16 != 0 {
            return None;
        }
        let (dated, date) = d.date.map_or((0u128, 0), |day| (1, day.0 as u32));
        Some(RowKey(
            u128::from(date)
                | u128::from(outcome) << 32
                | u128::from(d.repeat) << 48
                | u128::from(a) << 64
                | u128::from(b) << 80
                | u128::from(c) << 96
                | (d.status as u128) << 112
                | dated << 120
                | reason << 121,
        ))
    }

    #[inline]
    fn hash(self) -> usize {
        let (low, high) = (self.0 as u64, (self.0 >> 64) as u64);
        ((low ^ high.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize
    }
}

/// Rows' texts by [`RowKey`], direct-mapped, each in its slot: a list allocated per slot
/// made the peak memory 6 MB larger (measured at 100,000 participants); in place, the slots
/// are 0.6 MB, and the achieved and `NoChange` rows' 0.75 MB (the 100k run's peak: 21.7 MB).
#[derive(Default)]
struct RowTexts {
    slots: Vec<RowSlot>,
    /// Achieved rows' texts by [`PaidKey`], as `slots`.
    paid: Vec<PaidSlot>,
    /// A row being worded.
    new: Vec<u8>,
}

#[derive(Clone, Copy)]
struct RowSlot {
    key: RowKey,
    len: u8,
    text: [u8; RowTexts::LONGEST],
}

impl RowTexts {
    /// Pending dates are a year or two of days per outcome: this many slots hold them.
    const SLOTS: usize = 4096;
    /// Longer rows are not remembered.
    const LONGEST: usize = 128;
    /// Achieved rows' dates are a year or two of days per outcome and price.
    const PAID_SLOTS: usize = 4096;

    /// [`RowParts::push_rest`], from the remembered text when the row has one.
    #[inline]
    fn push(&mut self, line: &mut Vec<u8>, d: &Decision, parts: &mut RowParts) {
        let Some(key) = RowKey::of(d) else { return self.push_paid(line, d, parts) };
        if self.slots.is_empty() {
            self.slots = vec![RowSlot { key: RowKey::NONE, len: 0, text: [0; Self::LONGEST] }; Self::SLOTS];
        }
        let slot = &mut self.slots[key.hash() % Self::SLOTS];
        if slot.key == key {
            line.extend_from_slice(&slot.text[..usize::from(slot.len)]);
            return;
        }
        self.new.clear();
        parts.push_rest(&mut self.new, d);
        line.extend_from_slice(&self.new);
        if let Some(text) = slot.text.get_mut(..self.new.len()) {
            text.copy_from_slice(&self.new);
            slot.len = self.new.len() as u8;
            slot.key = key;
        }
    }

    /// A row [`RowKey`] does not cover: an achieved row's text up to its evidence from the
    /// remembered text when it has one, its evidence after; any other as it comes.
    #[inline(never)]
    fn push_paid(&mut self, line: &mut Vec<u8>, d: &Decision, parts: &mut RowParts) {
        let Some(key) = PaidKey::of(d) else { return parts.push_rest(line, d) };
        if self.paid.is_empty() {
            self.paid = vec![PaidSlot { key: None, len: 0, text: [0; Self::LONGEST] }; Self::PAID_SLOTS];
        }
        // Two ways a set: a run's thousand or so keys in direct-mapped slots shared a slot one
        // time in three, and rows of the two keys took turns.
        let set = (key.hash() >> 16) as usize % (Self::PAID_SLOTS / 2) * 2;
        // `NoChange`'s number and the comma after it are written after the text.
        let from = match d.reason {
            Some(Reason::NoChange { from, .. }) => Some(from),
            _ => None,
        };
        let hit = if self.paid[set].key == Some(key) {
            Some(set)
        } else if self.paid[set + 1].key == Some(key) {
            Some(set + 1)
        } else {
            None
        };
        if let Some(at) = hit {
            let slot = &self.paid[at];
            line.extend_from_slice(&slot.text[..usize::from(slot.len)]);
            if let Some(from) = from {
                push_digit_bytes(line, from);
                line.push(b',');
            }
        } else {
            // The newest key takes the set's first way, the one it held moves to the second.
            self.paid[set + 1] = self.paid[set];
            let slot = &mut self.paid[set];
            slot.key = None;
            let at = line.len();
            parts.push_fields(line, d);
            let end = line.len() - from.map_or(0, |from| decimal_digits(from, &mut [0; 20]).len() + 1);
            if let Some(text) = slot.text.get_mut(..end - at) {
                text.copy_from_slice(&line[at..end]);
                slot.len = text.len() as u8;
                slot.key = Some(key);
            }
        }
        parts.push_evidence(line, d);
        line.push(b'\n');
    }
}

#[derive(Clone, Copy)]
struct PaidSlot {
    key: Option<PaidKey>,
    len: u8,
    text: [u8; RowTexts::LONGEST],
}

/// Days as `YYYY-MM-DD`, remembered: a run writes the same few hundred dates millions of
/// times, and working one out costs a calendar conversion and ten divisions.
struct DayTexts {
    /// Direct-mapped by the day's number: `(day, text)`.
    slots: Vec<(i32, [u8; 10])>,
}

impl DayTexts {
    /// Days within this many of each other never share a slot.
    const SLOTS: usize = 4096;

    fn new() -> DayTexts {
        DayTexts { slots: vec![(i32::MIN, [0; 10]); Self::SLOTS] }
    }

    /// Inlined but for a day not remembered: a call cost half as much as the copy.
    #[inline]
    fn push(&mut self, line: &mut Vec<u8>, day: Day) {
        let slot = &self.slots[day.0 as usize % Self::SLOTS];
        if slot.0 == day.0 {
            line.extend_from_slice(&slot.1);
        } else {
            self.push_new(line, day);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_new(&mut self, line: &mut Vec<u8>, day: Day) {
        match day.ascii() {
            Some(text) => {
                self.slots[day.0 as usize % Self::SLOTS] = (day.0, text);
                line.extend_from_slice(&text);
            }
            // Years outside 0 to 9999 are written as `Display` writes them.
            None => line.extend_from_slice(day.to_string().as_bytes()),
        }
    }
}

/// [`push_digits`], for a line of bytes.
fn push_digit_bytes(out: &mut Vec<u8>, n: u64) {
    // Repeats, and most numbers in reasons, are one digit or two.
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    if n < 100 {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
        return;
    }
    out.extend_from_slice(decimal_digits(n, &mut [0; 20]));
}

/// [`push_csv`], for a line of bytes. The plain value is copied here, where it is written;
/// quoting is a call of its own (made every time, the copy cost ~40 instructions more).
#[inline]
fn push_csv_bytes(line: &mut Vec<u8>, text: &str) {
    if !needs_quotes(text.as_bytes()) {
        line.extend_from_slice(text.as_bytes());
        return;
    }
    push_quoted(line, text);
}

/// Appends a value that needs no quotes and says so; says not, writing nothing, when it
/// needs them. Ids (participants', records') are values of a few bytes, nearly all plain:
/// one of up to 8 bytes is read in overlapping loads, looked at for a byte below `-` (the
/// four that need quotes are) and written as one 8-byte copy, cut to its length (~40
/// instructions an id fewer than the scan and `memcpy` of [`push_csv_bytes`]).
#[inline(always)]
fn push_plain(line: &mut Vec<u8>, text: &str) -> bool {
    let b = text.as_bytes();
    let n = b.len();
    if n.wrapping_sub(1) >= 8 {
        return push_plain_long(line, text);
    }
    // The value's bytes in order, zeros after (bytes read twice land on themselves).
    let value = if n >= 4 {
        let first = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let last = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
        u64::from(first) | (u64::from(last) << (8 * (n - 4)))
    } else {
        u64::from(b[0]) | (u64::from(b[n / 2]) << (8 * (n / 2))) | (u64::from(b[n - 1]) << (8 * (n - 1)))
    };
    const ONES: u64 = u64::MAX / 255;
    // The high bit of each byte below `-`, exact up to the first (a borrow runs only upwards),
    // and the zeros after the value are above it.
    let low = value.wrapping_sub(ONES * u64::from(b'-')) & !value & (ONES << 7);
    if low & (u64::MAX >> (64 - 8 * n)) != 0 {
        return push_plain_long(line, text);
    }
    let at = line.len();
    line.extend_from_slice(&value.to_le_bytes());
    line.truncate(at + n);
    true
}

/// [`push_plain`] for values it does not read in words.
#[cold]
#[inline(never)]
fn push_plain_long(line: &mut Vec<u8>, text: &str) -> bool {
    if needs_quotes(text.as_bytes()) {
        return false;
    }
    line.extend_from_slice(text.as_bytes());
    true
}

/// A value that needs quotes, quoted.
#[cold]
#[inline(never)]
fn push_quoted(line: &mut Vec<u8>, text: &str) {
    let mut rest = text.as_bytes();
    line.push(b'"');
    while let Some(at) = memchr::memchr(b'"', rest) {
        line.extend_from_slice(&rest[..=at]);
        line.push(b'"');
        rest = &rest[at + 1..];
    }
    line.extend_from_slice(rest);
    line.push(b'"');
}

/// A line of output as a place to put reasons in words.
struct LineWords<'a> {
    line: &'a mut Vec<u8>,
    days: &'a mut DayTexts,
}

impl Words for LineWords<'_> {
    fn text(&mut self, text: &str) {
        self.line.extend_from_slice(text.as_bytes());
    }

    fn number(&mut self, n: u64) {
        push_digit_bytes(self.line, n);
    }

    fn day(&mut self, day: Day) {
        self.days.push(self.line, day);
    }
}

/// Amounts as [`push_money`] writes them, remembered by their representation (`1` and
/// `1.0` are written alike, but the key is the representation, not the value): a run's
/// prices and payments are a few amounts, and writing one cost ~200 instructions where
/// copying it costs a tenth of that.
#[derive(Default)]
struct MoneyTexts {
    /// Direct-mapped by the representation: `(representation, text)`.
    slots: Vec<([u8; 16], Vec<u8>)>,
}

impl MoneyTexts {
    const SLOTS: usize = 64;

    /// Inlined but for an amount not remembered (as [`DayTexts::push`]).
    #[inline]
    fn push(&mut self, line: &mut Vec<u8>, amount: Decimal) {
        let key = amount.serialize();
        let [a, b, c, d, e, f, g, h, ..] = key;
        let word = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
        let at = (word.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % Self::SLOTS;
        match self.slots.get(at) {
            Some(slot) if slot.0 == key => line.extend_from_slice(&slot.1),
            _ => self.push_new(line, amount, key, at),
        }
    }

    #[cold]
    #[inline(never)]
    fn push_new(&mut self, line: &mut Vec<u8>, amount: Decimal, key: [u8; 16], at: usize) {
        if self.slots.is_empty() {
            // No amount serializes to all ones (its flags would be invalid).
            self.slots = vec![([0xFF; 16], Vec::new()); Self::SLOTS];
        }
        let mut text = String::new();
        push_money(&mut text, amount);
        line.extend_from_slice(text.as_bytes());
        self.slots[at] = (key, text.into_bytes());
    }
}

/// The reasons `TooFewPeriods` as written (quoted), remembered by their three numbers: most
/// decisions not achieved in a run have one of a few dozen of them, and wording one cost
/// ~160 instructions where copying it costs a tenth of that.
#[derive(Default)]
struct PeriodReasons {
    /// Direct-mapped by the numbers: `(numbers, text)`.
    slots: Vec<([u32; 3], Vec<u8>)>,
}

impl PeriodReasons {
    const SLOTS: usize = 256;

    fn push(&mut self, line: &mut Vec<u8>, numbers: [u32; 3], reason: &Reason, days: &mut DayTexts) {
        if self.slots.is_empty() {
            self.slots = vec![([u32::MAX; 3], Vec::new()); Self::SLOTS];
        }
        let [a, b, c] = numbers;
        let hash = a.wrapping_mul(0x9E37_79B9) ^ b.wrapping_mul(0x85EB_CA6B) ^ c.wrapping_mul(0xC2B2_AE35);
        let slot = &mut self.slots[(hash >> 24) as usize % Self::SLOTS];
        if slot.0 != numbers {
            slot.1.clear();
            push_reason(&mut slot.1, reason, days);
            slot.0 = numbers;
        }
        line.extend_from_slice(&slot.1);
    }
}

/// A reason as a CSV value: what [`Reason::push_to`] then [`push_csv`] write, but the
/// reasons most decisions get are worded straight into the line, their quoting known.
fn push_reason(line: &mut Vec<u8>, reason: &Reason, days: &mut DayTexts) {
    match reason {
        // Its comma makes it quoted; it has no double quote.
        Reason::TooFewPeriods { .. } => {
            line.push(b'"');
            reason.words(&mut LineWords { line, days });
            line.push(b'"');
        }
        // Neither a comma nor a double quote: never quoted. Worded here as `Reason::words`
        // words it, its texts copied at lengths the compiler knows rather than through
        // `Words::text` (~35 instructions a reason fewer; one decision in seven has one).
        Reason::NoChange { lo, last, from } => {
            line.extend_from_slice(b"no record in the window ");
            days.push(line, *lo);
            line.extend_from_slice(b" to ");
            days.push(line, *last);
            line.extend_from_slice(b" changed enough from ");
            push_digit_bytes(line, *from);
        }
        Reason::Fixed(text) => push_csv_bytes(line, text),
        Reason::Text(text) => push_csv_bytes(line, text),
    }
}

/// A CSV field, quoted only when it must be.
fn push_csv(line: &mut String, text: &str) {
    if !needs_quotes(text.as_bytes()) {
        line.push_str(text);
        return;
    }
    line.push('"');
    for (i, part) in text.split('"').enumerate() {
        if i > 0 {
            line.push_str("\"\"");
        }
        line.push_str(part);
    }
    line.push('"');
}

/// Whether a value holds a comma, a double quote, a CR or an LF. Every decision writes
/// several values, nearly all plain, so they are looked at eight bytes at a time, as
/// `input::lines` splits lines (byte by byte cost three times as much; the `char` patterns of
/// `str::contains`, several times more).
fn needs_quotes(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    // The high bit of each byte of `word` that equals `byte`, and no other bit (exact: adding
    // 0x7F to a byte's low seven bits cannot carry into the next byte).
    let matching = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        !(((x & LOW7) + LOW7) | x | LOW7)
    };
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if matching(word, b',') | matching(word, b'"') | matching(word, b'\n') | matching(word, b'\r') != 0 {
            return true;
        }
    }
    // The last bytes as a word too: most values (ids, short reasons) are shorter than a word,
    // and byte by byte cost three times as much. The word is made of loads that overlap
    // (bytes tested twice are tested alike) and zeros (which match none of the four), not
    // copied into a zeroed word, which called memcpy (~40 instructions a participant id).
    let rest = chunks.remainder();
    let n = rest.len();
    let word = if n >= 4 {
        let first = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let last = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
        u64::from(first) | (u64::from(last) << 32)
    } else if n > 0 {
        u64::from(rest[0]) | (u64::from(rest[n / 2]) << 8) | (u64::from(rest[n - 1]) << 16)
    } else {
        return false;
    };
    matching(word, b',') | matching(word, b'"') | matching(word, b'\n') | matching(word, b'\r') != 0
}

#[derive(Serialize)]
struct LedgerRow {
    date: String,
    participant: String,
    outcome: String,
    repeat: u32,
    due: String,
    paid: String,
    capped_by: Option<ir::CapKind>,
    claim_by: Option<String>,
}

/// Ledger rows, made one at a time: a national ledger is never held as text in memory.
fn ledger_rows<'a>(
    contract: &'a ir::Contract,
    evaluation: &'a Evaluation,
) -> impl Iterator<Item = LedgerRow> + 'a {
    individual_ledger_rows(contract, evaluation).chain(cohort_ledger_rows(contract, evaluation))
}

fn individual_ledger_rows<'a>(
    contract: &'a ir::Contract,
    evaluation: &'a Evaluation,
) -> impl Iterator<Item = LedgerRow> + 'a {
    evaluation.ledger.iter().map(|p| LedgerRow {
        date: p.achieved.to_string(),
        participant: evaluation.participant_id(p).to_string(),
        outcome: contract.outcomes[p.outcome].name.clone(),
        repeat: p.repeat,
        due: money(p.due),
        paid: money(p.paid),
        capped_by: p.capped_by,
        claim_by: Some(p.claim_by.to_string()),
    })
}

fn cohort_ledger_rows<'a>(
    contract: &'a ir::Contract,
    evaluation: &'a Evaluation,
) -> impl Iterator<Item = LedgerRow> + 'a {
    evaluation.cohorts.iter().zip(&evaluation.cohort_paid).filter(|(d, _)| d.status == Status::Achieved).map(
        move |(d, (paid, capped_by))| LedgerRow {
            date: d.date.map(|x| x.to_string()).unwrap_or_default(),
            participant: "(cohort)".into(),
            outcome: contract.cohort_outcomes[d.outcome].name.clone(),
            repeat: 1,
            due: money(d.amount.unwrap_or_default()),
            paid: money(*paid),
            capped_by: *capped_by,
            claim_by: d.claim_by.map(|c| c.to_string()),
        },
    )
}

#[derive(Serialize)]
struct SummaryRow {
    outcome: String,
    kind: &'static str,
    achieved: u64,
    pending: u64,
    not_achieved: u64,
    due: String,
    paid: String,
    /// The outcome's own cap on the amount, if any, and how much of it is used.
    cap: Option<String>,
    cap_used_percent: Option<String>,
    /// Cohort outcomes: members, the measure, the control group's, the effect, the test.
    members: Option<u64>,
    measure: Option<String>,
    control_members: Option<u64>,
    control_measure: Option<String>,
    effect: Option<String>,
    test: Option<String>,
    p_value: Option<String>,
}

fn summary_rows(contract: &ir::Contract, evaluation: &Evaluation) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for (i, o) in contract.outcomes.iter().enumerate() {
        let c = &evaluation.counts[i];
        let paid = evaluation.cap_use.outcomes.get(i).map(|x| x.1).unwrap_or_default();
        rows.push(SummaryRow {
            outcome: o.name.clone(),
            kind: "individual",
            achieved: c.achieved,
            pending: c.pending,
            not_achieved: c.not_achieved,
            due: money(c.due),
            paid: money(paid),
            cap: o.caps.amount.map(money),
            cap_used_percent: o.caps.amount.filter(|c| !c.is_zero()).map(|cap| percent(paid, cap)),
            members: None,
            measure: None,
            control_members: None,
            control_measure: None,
            effect: None,
            test: None,
            p_value: None,
        });
    }
    for (d, (paid, _)) in evaluation.cohorts.iter().zip(&evaluation.cohort_paid) {
        let o = &contract.cohort_outcomes[d.outcome];
        rows.push(SummaryRow {
            outcome: o.name.clone(),
            kind: "cohort",
            achieved: u64::from(d.status == Status::Achieved),
            pending: u64::from(d.status == Status::Pending),
            not_achieved: u64::from(d.status == Status::NotAchieved),
            due: money(d.amount.unwrap_or_default()),
            paid: money(*paid),
            cap: o.caps.amount.map(money),
            cap_used_percent: o.caps.amount.filter(|c| !c.is_zero()).map(|cap| percent(*paid, cap)),
            members: Some(d.members),
            measure: d.measure.map(figure),
            control_members: d.control_members,
            control_measure: d.control_measure.map(figure),
            effect: d.effect.map(figure),
            test: d.test.as_ref().map(|t| t.test.to_string()),
            p_value: d.test.as_ref().map(|t| format!("{:.6}", t.p_value)),
        });
    }
    rows
}

/// A measure or effect, to four decimal places.
fn figure(d: Decimal) -> String {
    d.round_dp(4).normalize().to_string()
}

fn percent(part: Decimal, whole: Decimal) -> String {
    (part * Decimal::from(100) / whole).round_dp(1).normalize().to_string()
}

/// The ledger, in the chosen format.
pub fn write_ledger(
    out: &mut dyn Write,
    format: Format,
    contract: &ir::Contract,
    evaluation: &Evaluation,
    stamp: &Stamp,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let rows = ledger_rows(contract, evaluation);
            write!(
                out,
                "{{\"contract_hash\":{},\"as_of\":{},\"payments\":[",
                serde_json::to_string(&stamp.contract_hash).unwrap_or_default(),
                serde_json::to_string(&stamp.as_of).unwrap_or_default()
            )?;
            for (i, row) in rows.enumerate() {
                out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, &row)?;
            }
            out.write_all(b"\n]}\n")
        }
        _ => {
            out.write_all(
                b"contract_hash,as_of,date,participant,outcome,repeat,due,paid,capped_by,claim_by\n",
            )?;
            // Individual payments, one reused line each, as the decisions are written: the
            // ledger of a national run has a row per payment.
            let mut prefix = String::new();
            push_csv(&mut prefix, &stamp.contract_hash);
            prefix.push(',');
            push_csv(&mut prefix, &stamp.as_of);
            prefix.push(',');
            let outcome_names: Vec<String> = contract
                .outcomes
                .iter()
                .map(|o| {
                    let mut name = String::new();
                    push_csv(&mut name, &o.name);
                    name
                })
                .collect();
            let mut days = DayTexts::new();
            let mut amounts = MoneyTexts::default();
            // A row is its date's head (the prefix and the date), the participant, and a tail
            // that many rows share: the head is made when the date changes (payments are in
            // date order) and the tails are remembered, so most rows are three copies (~440
            // instructions a row were ~12 values written one by one).
            let mut head = Vec::new();
            let mut head_day = None;
            let mut tails = LedgerTails::default();
            // Rows are kept and written a megabyte at a time, as the decisions are.
            let mut line = Vec::with_capacity(DecisionWriter::WRITE_AT + (64 << 10));
            for p in &evaluation.ledger {
                if line.len() >= DecisionWriter::WRITE_AT {
                    out.write_all(&line)?;
                    line.clear();
                }
                if head_day != Some(p.achieved) {
                    head.clear();
                    head.extend_from_slice(prefix.as_bytes());
                    days.push(&mut head, p.achieved);
                    head.push(b',');
                    head_day = Some(p.achieved);
                }
                line.extend_from_slice(&head);
                let id = evaluation.participant_id(p);
                if !push_plain(&mut line, id) {
                    push_quoted(&mut line, id);
                }
                line.push(b',');
                tails.push(&mut line, p, |line| {
                    line.extend_from_slice(outcome_names[p.outcome].as_bytes());
                    line.push(b',');
                    push_digit_bytes(line, u64::from(p.repeat));
                    line.push(b',');
                    amounts.push(line, p.due);
                    line.push(b',');
                    amounts.push(line, p.paid);
                    line.push(b',');
                    line.extend_from_slice(p.capped_by.map(cap_name).unwrap_or_default().as_bytes());
                    line.push(b',');
                    days.push(line, p.claim_by);
                    line.push(b'\n');
                });
            }
            out.write_all(&line)?;
            for r in cohort_ledger_rows(contract, evaluation) {
                let fields = [
                    stamp.contract_hash.clone(),
                    stamp.as_of.clone(),
                    r.date,
                    r.participant,
                    r.outcome,
                    r.repeat.to_string(),
                    r.due,
                    r.paid,
                    r.capped_by.map(cap_name).unwrap_or_default().to_string(),
                    r.claim_by.unwrap_or_default(),
                ];
                out.write_all(csv_line(&fields).as_bytes())?;
            }
            Ok(())
        }
    }
}

/// The ends of ledger rows, from the outcome on, remembered by what they say: a run's
/// payments are of a few outcomes, prices, caps and claim dates.
#[derive(Default)]
struct LedgerTails {
    /// Direct-mapped: `(key, text)`.
    slots: Vec<(Option<TailKey>, Vec<u8>)>,
    /// The last row's slot: rows in date order mostly end as the one before (~94%), which
    /// is looked at before the key is hashed.
    last: usize,
}

/// What a ledger row's end says. Amounts by their representation (as [`MoneyTexts`]).
#[derive(Clone, Copy, PartialEq, Eq)]
struct TailKey {
    outcome: usize,
    repeat: u32,
    claim_by: i32,
    capped_by: Option<ir::CapKind>,
    due: [u8; 16],
    paid: [u8; 16],
}

impl LedgerTails {
    const SLOTS: usize = 64;

    /// The row's end, from its slot or as `write` writes it.
    fn push(&mut self, line: &mut Vec<u8>, p: &super::ledger::Payment, write: impl FnOnce(&mut Vec<u8>)) {
        if self.slots.is_empty() {
            self.slots = vec![(None, Vec::new()); Self::SLOTS];
        }
        let key = TailKey {
            outcome: p.outcome,
            repeat: p.repeat,
            claim_by: p.claim_by.0,
            capped_by: p.capped_by,
            due: p.due.serialize(),
            paid: p.paid.serialize(),
        };
        if self.slots[self.last].0 == Some(key) {
            line.extend_from_slice(&self.slots[self.last].1);
            return;
        }
        let word = |b: [u8; 16]| u64::from_le_bytes([b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]]);
        let hash = (key.outcome as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(u64::from(key.claim_by as u32).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
            .wrapping_add(word(key.due).wrapping_mul(0x1656_67B1_9E37_79F9))
            .wrapping_add(word(key.paid).wrapping_mul(0x85EB_CA77_C2B2_AE63))
            .wrapping_add(u64::from(key.repeat) ^ (key.capped_by.map_or(0, |c| c as u64 + 1) << 32));
        self.last = (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % Self::SLOTS;
        let slot = &mut self.slots[self.last];
        if slot.0 != Some(key) {
            slot.1.clear();
            write(&mut slot.1);
            slot.0 = Some(key);
        }
        line.extend_from_slice(&slot.1);
    }
}

pub fn cap_name(kind: ir::CapKind) -> &'static str {
    match kind {
        ir::CapKind::OutcomePayments => "outcome_payments",
        ir::CapKind::OutcomeAmount => "outcome_amount",
        ir::CapKind::Participant => "participant",
        ir::CapKind::Contract => "contract",
    }
}

/// The summary, in the chosen format.
pub fn write_summary(
    out: &mut dyn Write,
    format: Format,
    contract: &ir::Contract,
    evaluation: &Evaluation,
    stamp: &Stamp,
) -> std::io::Result<()> {
    let rows = summary_rows(contract, evaluation);
    let totals = serde_json::json!({
        "participants": evaluation.participants,
        "events": evaluation.events,
        "paid": money(evaluation.cap_use.contract),
        "total_cap": contract.caps.total.map(money),
        "participants_at_their_cap": evaluation.cap_use.participants_capped,
    });
    match format {
        Format::Json => {
            let cohorts: Vec<serde_json::Value> =
                evaluation.cohorts.iter().map(|d| cohort_json(contract, d)).collect();
            let doc = serde_json::json!({
                "contract_hash": stamp.contract_hash,
                "as_of": stamp.as_of,
                "totals": totals,
                "outcomes": rows,
                "cohorts": cohorts,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            out.write_all(b"\n")
        }
        Format::Csv => {
            out.write_all(
                b"contract_hash,as_of,outcome,kind,achieved,pending,not_achieved,due,paid,cap,cap_used_percent,\
members,measure,control_members,control_measure,effect,test,p_value\n",
            )?;
            let opt = |x: Option<u64>| x.map(|n| n.to_string()).unwrap_or_default();
            for r in rows {
                let fields = [
                    stamp.contract_hash.clone(),
                    stamp.as_of.clone(),
                    r.outcome,
                    r.kind.to_string(),
                    r.achieved.to_string(),
                    r.pending.to_string(),
                    r.not_achieved.to_string(),
                    r.due,
                    r.paid,
                    r.cap.unwrap_or_default(),
                    r.cap_used_percent.unwrap_or_default(),
                    opt(r.members),
                    r.measure.unwrap_or_default(),
                    opt(r.control_members),
                    r.control_measure.unwrap_or_default(),
                    r.effect.unwrap_or_default(),
                    r.test.unwrap_or_default(),
                    r.p_value.unwrap_or_default(),
                ];
                out.write_all(csv_line(&fields).as_bytes())?;
            }
            // The totals, as the last row: every participant, every payment, the total cap.
            let fields = [
                stamp.contract_hash.clone(),
                stamp.as_of.clone(),
                "(all)".to_string(),
                "total".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                money(evaluation.cap_use.contract),
                contract.caps.total.map(money).unwrap_or_default(),
                contract
                    .caps
                    .total
                    .filter(|c| !c.is_zero())
                    .map(|cap| percent(evaluation.cap_use.contract, cap))
                    .unwrap_or_default(),
                evaluation.participants.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ];
            out.write_all(csv_line(&fields).as_bytes())?;
            Ok(())
        }
        Format::Table => {
            let mut table = vec![vec![
                "outcome".to_string(),
                "achieved".into(),
                "pending".into(),
                "not achieved".into(),
                "worth".into(),
                "paid".into(),
                "cap used".into(),
            ]];
            for r in rows {
                table.push(vec![
                    r.outcome,
                    r.achieved.to_string(),
                    r.pending.to_string(),
                    r.not_achieved.to_string(),
                    r.due,
                    r.paid,
                    r.cap_used_percent.map(|p| format!("{p}%")).unwrap_or_else(|| "-".into()),
                ]);
            }
            writeln!(
                out,
                "contract {} as of {}",
                &stamp.contract_hash[..12.min(stamp.contract_hash.len())],
                stamp.as_of
            )?;
            writeln!(
                out,
                "{} participants, {} events; paid {} {}{}",
                evaluation.participants,
                evaluation.events,
                money(evaluation.cap_use.contract),
                contract.currency,
                contract
                    .caps
                    .total
                    .map(|t| format!(" of a total cap of {} {}", money(t), contract.currency))
                    .unwrap_or_default()
            )?;
            out.write_all(render_table(&table).as_bytes())
        }
    }
}

fn cohort_json(contract: &ir::Contract, d: &CohortDecision) -> serde_json::Value {
    serde_json::json!({
        "outcome": contract.cohort_outcomes[d.outcome].name,
        "status": d.status,
        "date": d.date.map(|x| x.to_string()),
        "amount": d.amount.map(money),
        "members": d.members,
        "measure": d.measure.map(|m| m.round_dp(4).normalize().to_string()),
        "control_members": d.control_members,
        "control_measure": d.control_measure.map(|m| m.round_dp(4).normalize().to_string()),
        "effect": d.effect.map(|m| m.round_dp(4).normalize().to_string()),
        "test": d.test,
        "reason": d.reason,
    })
}

/// Columns padded to their widest cell; numbers right-aligned.
pub fn render_table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let numeric = i > 0 && !cell.is_empty() && cell.parse::<f64>().is_ok();
                if numeric {
                    format!("{cell:>w$}", w = widths[c])
                } else {
                    format!("{cell:<w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// Decisions as a table, for people.
pub fn decisions_table(rows: &[DecisionRow]) -> String {
    let mut table = vec![vec![
        "participant".to_string(),
        "outcome".into(),
        "status".into(),
        "date".into(),
        "amount".into(),
        "reason".into(),
    ]];
    for r in rows {
        let outcome = if r.repeat > 1 { format!("{} #{}", r.outcome, r.repeat) } else { r.outcome.clone() };
        let date = match (&r.status, &r.date) {
            (Status::Pending, Some(d)) => format!("until {d}"),
            (_, Some(d)) => d.clone(),
            _ => String::new(),
        };
        table.push(vec![
            r.participant.clone(),
            outcome,
            r.status.words().to_string(),
            date,
            r.amount.clone().unwrap_or_default(),
            r.reason.clone().unwrap_or_default(),
        ]);
    }
    render_table(&table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::value::Origin;

    #[test]
    fn reasons_and_days_are_written_as_their_words_are() {
        let day = |t: &str| Day::parse(t).unwrap();
        let reasons = [
            Reason::TooFewPeriods { counted: 0, needed: 13, left: 0 },
            Reason::TooFewPeriods { counted: 12, needed: 130, left: 7 },
            Reason::NoChange { lo: day("2025-01-31"), last: day("2026-01-30"), from: 40 },
            Reason::NoChange { lo: day("0001-01-01"), last: Day::from_ymd(12345, 1, 1).unwrap(), from: 0 },
            Reason::Fixed("not eligible"),
            Reason::Text("waits for `a`, \"b\"\n".into()),
        ];
        let mut days = DayTexts::new();
        for reason in &reasons {
            let mut expected = String::new();
            push_csv(&mut expected, &reason.to_string());
            let mut line = Vec::new();
            push_reason(&mut line, reason, &mut days);
            assert_eq!(String::from_utf8(line).unwrap(), expected, "{reason:?}");
        }
        // Days sharing a slot, and days outside the years written by digits.
        for d in [day("2025-01-01"), day("2025-01-01").plus_days(4096), Day(-800_000), day("2025-01-01")] {
            let mut line = Vec::new();
            days.push(&mut line, d);
            assert_eq!(String::from_utf8(line).unwrap(), d.to_string());
        }
    }

    #[test]
    fn remembered_rows_are_the_rows_written() {
        let parts = || RowParts {
            files: vec!["events.csv".into()],
            outcome_names: vec!["a,".into(), "\"b,c\",".into()],
            scratch: String::new(),
            days: DayTexts::new(),
            periods: PeriodReasons::default(),
            amounts: MoneyTexts::default(),
        };
        let (mut remembered, mut rows, mut written) = (parts(), RowTexts::default(), parts());
        let first = Day::parse("2026-01-01").unwrap();
        let reasons = |k: u32| match k % 4 {
            0 => None,
            // Numbers beyond a key's 16 bits now and then.
            1 => Some(Reason::TooFewPeriods {
                counted: k % 13,
                needed: if k % 29 == 1 { 70_000 } else { 13 },
                left: k % 5,
            }),
            2 => Some(Reason::Fixed("not eligible")),
            _ => Some(Reason::NoChange { lo: first, last: first.plus_days(k as i32), from: 40 }),
        };
        // Enough rows, coming back to each, that slots are shared and texts reused.
        for round in 0..3u32 {
            for k in 0..9_000u32 {
                let d = Decision {
                    outcome: (k % 2) as usize,
                    repeat: 1 + (k / 2) % 3,
                    status: [Status::Achieved, Status::NotAchieved, Status::Pending][(k % 3) as usize],
                    date: (k % 5 != 0).then(|| first.plus_days(((k * 7 + round) % 900) as i32)),
                    amount: (k % 11 == 0 || k % 6 == 0).then(|| Decimal::new(30_000 + i64::from(k % 4), 2)),
                    // Achieved rows (a third) have no reason half the time, as most do.
                    reason: if k % 6 == 0 { None } else { reasons(k / 7) },
                    // Records named by ids (some needing quotes, some long) or by file and line.
                    evidence: (0..(k % 13) % 4)
                        .map(|i| Evidence {
                            id: match (k + i) % 7 {
                                0 => None,
                                1 => Some(format!("E,{k}")),
                                2 => Some(format!("record-number-{k}")),
                                _ => Some(format!("E{}", k + i)),
                            },
                            origin: Origin { file: 0, line: u64::from(k) },
                        })
                        .collect(),
                    claim_by: (k % 17 == 0 || k % 6 == 0).then(|| first.plus_days((k % 3) as i32)),
                    trace: Vec::new(),
                };
                let (mut line, mut expected) = (b"head,".to_vec(), Vec::new());
                rows.push(&mut line, &d, &mut remembered);
                // The evidence as it was written before ids were copied straight in.
                written.push_fields(&mut expected, &d);
                let joined: Vec<String> = d.evidence.iter().map(|e| evidence(&written.files, e)).collect();
                push_csv_bytes(&mut expected, &joined.join(" "));
                expected.push(b'\n');
                assert_eq!(line[5..], expected[..], "{d:?}");
            }
        }
    }

    #[test]
    fn remembered_period_reasons_are_the_reasons_worded() {
        let mut periods = PeriodReasons::default();
        let mut days = DayTexts::new();
        // Enough triples, in an order that comes back to each, that slots are shared.
        for round in 0..3u32 {
            for k in 0..4_000u32 {
                let numbers = [(k * 7 + round) % 40, 1 + k % 30, (k / 3) % 27];
                let [counted, needed, left] = numbers;
                let reason = Reason::TooFewPeriods { counted, needed, left };
                let mut expected = Vec::new();
                push_reason(&mut expected, &reason, &mut days);
                let mut line = b"head,".to_vec();
                periods.push(&mut line, numbers, &reason, &mut days);
                assert_eq!(line[5..], expected[..], "{reason:?}");
            }
        }
    }

    #[test]
    fn remembered_amounts_are_written_as_push_money_writes_them() {
        let mut amounts = MoneyTexts::default();
        let mut values = vec![Decimal::ZERO, -Decimal::ZERO, Decimal::MAX, Decimal::MIN];
        for mantissa in [0i64, 1, -1, 5, 100, 1_000, 1_600, 2_400, 240_000, 9_999_999_999_999_999, i64::MAX] {
            for scale in [0, 1, 2, 3, 8] {
                values.push(Decimal::new(mantissa, scale));
            }
        }
        // Twice over, and in reverse, so that every amount is both written and remembered.
        let order: Vec<&Decimal> = values.iter().chain(values.iter().rev()).chain(&values).collect();
        for amount in order {
            let mut expected = String::new();
            push_money(&mut expected, *amount);
            let mut line = b"x,".to_vec();
            amounts.push(&mut line, *amount);
            assert_eq!(line[2..], *expected.as_bytes(), "{amount:?}");
        }
    }

    #[test]
    fn values_need_quotes_wherever_their_special_bytes_are() {
        for len in 0..20 {
            let plain = "abcdefghijklmnopqrstu"[..len].to_string();
            assert!(!needs_quotes(plain.as_bytes()), "{plain:?}");
            for at in 0..len {
                for special in [b',', b'"', b'\n', b'\r'] {
                    let mut text = plain.clone().into_bytes();
                    text[at] = special;
                    assert!(needs_quotes(&text), "{:?}", String::from_utf8_lossy(&text));
                }
            }
        }
    }

    #[test]
    fn plain_values_are_written_as_push_csv_bytes_writes_them() {
        // Every length across the word sizes, every byte below and around `-` (the bytes
        // that need quotes and the ones the word test flags but that need none) everywhere.
        let bytes: Vec<u8> = (0u8..=0x2F).chain([b'P', b'9', b'z', 0x7F, 0xC3, 0xA9]).collect();
        for len in 0..20 {
            let base: Vec<u8> = (0..len).map(|i| b'A' + i as u8).collect();
            let mut texts = vec![base.clone()];
            for at in 0..len {
                for &byte in &bytes {
                    let mut text = base.clone();
                    text[at] = byte;
                    texts.push(text);
                }
            }
            for text in texts {
                let Ok(text) = String::from_utf8(text) else { continue };
                let mut expected = b"x,".to_vec();
                push_csv_bytes(&mut expected, &text);
                let mut line = b"x,".to_vec();
                if !push_plain(&mut line, &text) {
                    assert_eq!(line, b"x,", "{text:?} written though it needs quotes");
                    push_quoted(&mut line, &text);
                }
                assert_eq!(line, expected, "{text:?}");
            }
        }
    }

    #[test]
    fn csv_values_are_quoted_as_before() {
        for text in ["", "plain", "a,b", "say \"hi\"", "\"", "\"\"", "x\ny", "a\r", "\"a\",\"b\""] {
            let old = csv_field(text);
            let mut line = Vec::new();
            push_csv_bytes(&mut line, text);
            assert_eq!(String::from_utf8(line).unwrap(), old, "{text:?}");
        }
    }

    #[test]
    fn money_fast_path_writes_what_the_general_path_does() {
        let mut amounts = vec![Decimal::ZERO, -Decimal::ZERO, Decimal::MAX, Decimal::MIN];
        for mantissa in [0i64, 1, 5, 9, 10, 99, 100, 101, 250, 1_600, 240_000, 9_999_999_999_999_999] {
            for scale in 0..=5 {
                amounts.push(Decimal::new(mantissa, scale));
                amounts.push(Decimal::new(-mantissa, scale));
            }
        }
        amounts.push(Decimal::new(10_000_000_000_000_000, 0));
        for amount in amounts {
            assert_eq!(money(amount), at_least_pence(amount).to_string(), "{amount:?}");
        }
    }
}
