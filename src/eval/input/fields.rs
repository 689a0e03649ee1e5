//! Reading one value of a declared field from the bytes of a cell: the type rules of the input
//! formats, and the plain-words description of what each type expects.

use crate::eval::day::Day;
use crate::eval::value::Value;
use crate::ir;
use rust_decimal::Decimal;

/// What a cell holds, before the field's type is applied. CSV gives `Empty` or `Text`; JSON
/// Lines gives every variant.
#[derive(Clone, Copy, Debug)]
pub(super) enum Cell<'a> {
    /// No such column in the file, or no such key in the object.
    Absent,
    /// An empty CSV cell or a JSON `null`.
    Empty,
    /// A CSV cell, or a JSON string (unescaped).
    Text(&'a [u8]),
    /// A JSON number, as written.
    Number(&'a [u8]),
    Bool(bool),
    /// A JSON object or array.
    Nested,
}

impl<'a> Cell<'a> {
    /// Absent or empty: the cell says nothing.
    pub(super) fn is_blank(&self) -> bool {
        matches!(self, Cell::Absent | Cell::Empty)
    }

    /// The cell's text as written, for messages.
    pub(super) fn shown(&self) -> String {
        match self {
            Cell::Absent | Cell::Empty => String::new(),
            Cell::Text(b) | Cell::Number(b) => show(b),
            Cell::Bool(b) => b.to_string(),
            Cell::Nested => "{...}".to_string(),
        }
    }

    /// The text of an id-like cell (`id`, `participant`, `type`): a string, or a JSON number.
    pub(super) fn key_bytes(self) -> Option<&'a [u8]> {
        match self {
            Cell::Text(b) | Cell::Number(b) if !b.is_empty() => Some(b),
            _ => None,
        }
    }
}

/// A value for a message: lossy UTF-8, cut short when long.
pub(super) fn show(bytes: &[u8]) -> String {
    const MAX: usize = 60;
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() <= MAX {
        return text.into_owned();
    }
    let mut cut: String = text.chars().take(MAX).collect();
    cut.push('…');
    cut
}

#[derive(Clone, Debug)]
enum Kind {
    Bool,
    Int,
    Bounded { min: i64, max: i64 },
    Decimal,
    Percent,
    Quantity,
    Enum { name: String, cases: Vec<String> },
    Text,
    Date,
}

/// How to read one declared field.
#[derive(Clone, Debug)]
pub(super) struct FieldReader {
    pub name: String,
    kind: Kind,
    pub optional: bool,
    /// `input_factor`, when it is not 1.
    factor: Option<Decimal>,
    /// What a value must look like, in plain words: "a number of hours per week".
    expected: String,
}

/// The kinds of field that the CSV fast path reads without `read_text`, when the text is
/// plain: a date, or a whole number of at most 18 digits with no sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Quick {
    Date,
    /// An `int`, within these bounds.
    Whole {
        min: i64,
        max: i64,
    },
    /// A decimal or a quantity in its canonical unit.
    Number,
    /// Anything else, read by `read_text`.
    Other,
}

/// Why a cell is not a value of its field; rendered by [`FieldReader::explain`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Problem {
    Blank,
    NotUtf8,
    Nested,
    Malformed,
    NoSuchDay,
    OutOfRange,
    TooLarge,
}

impl FieldReader {
    pub(super) fn new(field: &ir::Field, enums: &[ir::Enum]) -> Result<FieldReader, String> {
        let (ty, optional) = match &field.ty {
            ir::Type::Optional { of } => (of.as_ref(), true),
            ty => (ty, false),
        };
        let kind = match ty {
            ir::Type::Bool => Kind::Bool,
            ir::Type::Int => Kind::Int,
            ir::Type::Bounded { min, max } => Kind::Bounded { min: *min, max: *max },
            ir::Type::Decimal => Kind::Decimal,
            ir::Type::Percent => Kind::Percent,
            ir::Type::Quantity { .. } => Kind::Quantity,
            ir::Type::Text => Kind::Text,
            ir::Type::Date => Kind::Date,
            ir::Type::Enum { name } => match enums.iter().find(|e| &e.name == name) {
                Some(e) => Kind::Enum { name: name.clone(), cases: e.cases.clone() },
                None => {
                    return Err(format!(
                        "field `{}` has enum type `{name}`, which the contract does not declare",
                        field.name
                    ));
                }
            },
            ir::Type::Optional { .. } => {
                return Err(format!("field `{}` has an optional of an optional type", field.name));
            }
        };
        let expected = match (&kind, ty) {
            (Kind::Bool, _) => "`true` or `false`".to_string(),
            (Kind::Int, _) => "a whole number".to_string(),
            (Kind::Bounded { min, max }, _) => format!("a whole number from {min} to {max}"),
            (Kind::Decimal, _) => "a number".to_string(),
            (Kind::Percent, _) => "a percentage, such as 50 or 50%".to_string(),
            (Kind::Quantity, ir::Type::Quantity { unit }) => {
                quantity_words(field.input_unit.as_deref().unwrap_or(unit))
            }
            (Kind::Quantity, _) => "a number".to_string(),
            (Kind::Enum { cases, .. }, _) => {
                let listed: Vec<String> = cases.iter().map(|c| format!("`{c}`")).collect();
                format!("one of {}", listed.join(", "))
            }
            (Kind::Text, _) => "text".to_string(),
            (Kind::Date, _) => "a date as YYYY-MM-DD".to_string(),
        };
        let factor = (field.input_factor != Decimal::ONE).then_some(field.input_factor);
        Ok(FieldReader { name: field.name.clone(), kind, optional, factor, expected })
    }

    /// How the CSV fast path reads this field (see `fast`).
    pub(super) fn quick(&self) -> Quick {
        match (&self.kind, self.factor) {
            (Kind::Date, _) => Quick::Date,
            (Kind::Int, _) => Quick::Whole { min: i64::MIN, max: i64::MAX },
            (Kind::Bounded { min, max }, _) => Quick::Whole { min: *min, max: *max },
            (Kind::Quantity | Kind::Decimal, None) => Quick::Number,
            _ => Quick::Other,
        }
    }

    /// The value of a cell. A blank cell is `Missing` for an optional field.
    #[inline]
    pub(super) fn read(&self, cell: Cell<'_>) -> Result<Value, Problem> {
        match cell {
            Cell::Absent | Cell::Empty => {
                if self.optional {
                    Ok(Value::Missing)
                } else {
                    Err(Problem::Blank)
                }
            }
            Cell::Text(b) => self.read_text(b),
            Cell::Number(b) => match self.kind {
                Kind::Int
                | Kind::Bounded { .. }
                | Kind::Decimal
                | Kind::Percent
                | Kind::Quantity
                | Kind::Text => self.read_text(b),
                _ => Err(Problem::Malformed),
            },
            Cell::Bool(b) => match self.kind {
                Kind::Bool => Ok(Value::Bool(b)),
                Kind::Text => Ok(Value::Text(if b { "true" } else { "false" }.into())),
                _ => Err(Problem::Malformed),
            },
            Cell::Nested => Err(Problem::Nested),
        }
    }

    #[inline]
    pub(super) fn read_text(&self, b: &[u8]) -> Result<Value, Problem> {
        match &self.kind {
            Kind::Date => read_date(b).map(Value::Day),
            Kind::Quantity => {
                let n = parse_decimal(b).ok_or(Problem::Malformed)?;
                match self.factor {
                    None => Ok(Value::Decimal(n)),
                    Some(f) => n.checked_mul(f).map(Value::Decimal).ok_or(Problem::TooLarge),
                }
            }
            Kind::Int => parse_int(b).map(Value::Int),
            Kind::Bounded { min, max } => {
                let n = parse_int(b)?;
                if n < *min || n > *max { Err(Problem::OutOfRange) } else { Ok(Value::Int(n)) }
            }
            Kind::Decimal => parse_decimal(b).map(Value::Decimal).ok_or(Problem::Malformed),
            Kind::Percent => {
                let number = match b.strip_suffix(b"%") {
                    Some(rest) => rest.strip_suffix(b" ").unwrap_or(rest),
                    None => b,
                };
                parse_decimal(number).map(Value::Decimal).ok_or(Problem::Malformed)
            }
            Kind::Bool => match b {
                b"true" => Ok(Value::Bool(true)),
                b"false" => Ok(Value::Bool(false)),
                _ => Err(Problem::Malformed),
            },
            Kind::Enum { cases, .. } => match cases.iter().position(|c| c.as_bytes() == b) {
                Some(i) => Ok(Value::Case(i as u32)),
                None => Err(Problem::Malformed),
            },
            Kind::Text => match std::str::from_utf8(b) {
                Ok(s) => Ok(Value::Text(s.into())),
                Err(_) => Err(Problem::NotUtf8),
            },
        }
    }

    /// The message for a cell this field could not read: the value, what is wrong with it,
    /// and what was expected.
    pub(super) fn explain(&self, cell: Cell<'_>, problem: Problem) -> String {
        let expected = &self.expected;
        let value = match cell {
            Cell::Absent => return format!("is missing: expected {expected}"),
            Cell::Empty => return format!("has no value: expected {expected}"),
            Cell::Nested => return format!("is a JSON object or array: expected {expected}"),
            Cell::Text(b"") => return format!("is an empty string: expected {expected}"),
            cell => cell.shown(),
        };
        let bytes = match cell {
            Cell::Text(b) | Cell::Number(b) => b,
            _ => &[][..],
        };
        if problem == Problem::NotUtf8 || std::str::from_utf8(bytes).is_err() {
            return format!("`{value}` is not valid UTF-8 text: expected {expected}");
        }
        let what = match (&self.kind, problem) {
            (_, Problem::TooLarge) => "is too large",
            (Kind::Date, Problem::NoSuchDay) => "is not a day that exists",
            (Kind::Date, _) => "is not a date",
            (Kind::Bool, _) => "is not a yes/no value",
            (Kind::Bounded { .. }, Problem::OutOfRange) => "is out of range",
            (Kind::Int | Kind::Bounded { .. }, _) if parse_decimal(bytes).is_some() => {
                "is not a whole number"
            }
            (Kind::Int | Kind::Bounded { .. }, _) => "is not a number",
            (Kind::Enum { name, .. }, _) => {
                return format!("`{value}` is not a case of `{name}`: expected {expected}");
            }
            (Kind::Text, _) => "is not text",
            _ => "is not a number",
        };
        format!("`{value}` {what}: expected {expected}")
    }
}

/// "a number of hours per week" for the IR's canonical `hour/week`, or the declared input
/// unit when there is one ("hours per day").
fn quantity_words(unit: &str) -> String {
    if unit.contains(' ') || !unit.contains(['/', '*']) && unit.chars().any(|c| c.is_ascii_lowercase()) {
        // Already words (an input unit as the contract wrote it), or one plain word.
        return match unit {
            "hour" => "a number of hours".into(),
            "day" => "a number of days".into(),
            "month" => "a number of months".into(),
            "working_day" => "a number of working days".into(),
            _ => format!("a number of {unit}"),
        };
    }
    let (top, bottom) = match unit.split_once('/') {
        Some((t, b)) => (t, Some(b)),
        None => (unit, None),
    };
    let money = crate::units::is_currency_code(top);
    let plural = |w: &str| match w {
        "hour" => "hours".to_string(),
        "day" => "days".to_string(),
        "month" => "months".to_string(),
        "working_day" => "working days".to_string(),
        other => other.to_string(),
    };
    let top_words: Vec<String> = top.split('*').map(plural).collect();
    let mut words = match top {
        "1" => "a number".to_string(),
        _ if money => format!("an amount in {top}"),
        _ => format!("a number of {}", top_words.join(" ")),
    };
    if let Some(bottom) = bottom {
        let bottom: Vec<&str> =
            bottom.split('*').map(|w| if w == "working_day" { "working day" } else { w }).collect();
        words.push_str(" per ");
        words.push_str(&bottom.join(" per "));
    }
    words
}

/// `YYYY-MM-DD`, exactly as `Day::parse` reads it (a test holds them equal), but straight
/// from bytes: the UTF-8 check `Day::parse` would need costs more than the parse itself.
#[inline(always)]
pub(super) fn read_date(b: &[u8]) -> Result<Day, Problem> {
    read_date_in(b)
}

/// The first year of [`MONTHS`].
const MONTHS_FROM: usize = 1900;

/// Each month from 1900 to 2199 as its first day (low 32 bits) and its length (high 32 bits),
/// by `(year - 1900) * 16 + month`; the slots of months 0 and 13 to 15 have length 0. A date
/// is then found with one look-up and one compare of its day (with `day::month_starts`, the
/// year, the month and the day each took their own checks: some 13 instructions a date more,
/// measured with callgrind). Made at compile time (a test holds it equal to
/// `day::month_starts`), so that its address and length are constants: fetched from a
/// `OnceLock` once a file and kept on the stack, they cost the fused path some 6
/// instructions an event (callgrind).
static MONTHS: [u64; (2200 - MONTHS_FROM) * 16] = {
    let mut table = [0; (2200 - MONTHS_FROM) * 16];
    let mut i = 0;
    while i < (2200 - MONTHS_FROM) * 12 {
        let (year, month) = ((MONTHS_FROM + i / 12) as i32, (i % 12 + 1) as u32);
        let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        let first = first_day(year, month);
        let next = first_day(next_year, next_month);
        table[i / 12 * 16 + i % 12 + 1] = first as u32 as u64 | ((next - first) as u64) << 32;
        i += 1;
    }
    table
};

/// The day number of the first of a month, as `Day::first_of` gives it (Howard Hinnant's
/// `days_from_civil`, as `day.rs` has it, but `const`).
const fn first_day(year: i32, month: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy as i32;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` read with [`MONTHS`] (see `read_date`).
#[inline(always)]
pub(super) fn read_date_in(b: &[u8]) -> Result<Day, Problem> {
    let Ok(b) = <&[u8; 10]>::try_from(b) else {
        return Err(Problem::Malformed);
    };
    // `YYYY-MM-` and `DD` as two loads (gathering the eight digits byte by byte cost about 13
    // instructions a date, measured with callgrind; naming the ten bytes first, some 6).
    let (Some(head), &[.., b8, b9]) = (b.first_chunk::<8>(), b) else {
        return Err(Problem::Malformed);
    };
    read_date_word(u64::from_le_bytes(*head), u16::from_le_bytes([b8, b9]))
}

/// [`read_date_in`] of the ten bytes of a date given as its first eight, `head`, and its last
/// two, `tail`, each little-endian: the fused path has them in registers already (`Peeked::word`).
#[inline(always)]
pub(super) fn read_date_word(head: u64, tail: u16) -> Result<Day, Problem> {
    if (head >> 32) as u8 != b'-' || (head >> 56) as u8 != b'-' {
        return Err(Problem::Malformed);
    }
    let digits = head & 0xFFFF_FFFF | (head >> 40 & 0xFFFF) << 32 | u64::from(tail) << 48;
    // The eight digits at once: XOR maps exactly the bytes `0`..=`9` to 0..=9, and a byte
    // of 10 or more then gets its high bit from the addition (0x76 + 10 = 0x80), one of
    // 0x80 or more from the OR. A carry out of a byte, or out of the word (so the sum
    // wraps), comes only from a byte that fails.
    let n = digits ^ 0x3030_3030_3030_3030;
    if (n.wrapping_add(0x7676_7676_7676_7676) | n) & 0x8080_8080_8080_8080 != 0 {
        return Err(Problem::Malformed);
    }
    // Pairs of digits at once: each 16-bit lane's low byte becomes ten times its first digit
    // plus its second (at most 99, so no byte carries into the next).
    let pairs = (n * 10 + (n >> 8)) & 0x00FF_00FF_00FF_00FF;
    let pair = |i: u32| ((pairs >> (16 * i)) & 0xFF) as u32;
    let year = pair(0) * 100 + pair(1);
    let (month, day) = (pair(2), pair(3));
    // A month past 15 would index a later year's slots; a year before 1900 wraps past the
    // table's end.
    let at = (year as usize).wrapping_sub(MONTHS_FROM).wrapping_mul(16).wrapping_add(month as usize);
    match MONTHS.get(at) {
        Some(&entry) if month < 16 && day.wrapping_sub(1) < (entry >> 32) as u32 => {
            Ok(Day(entry as u32 as i32 + day as i32 - 1))
        }
        _ => Day::from_ymd(year as i32, month, day).ok_or(Problem::NoSuchDay),
    }
}

/// A whole number: an optional sign and decimal digits, nothing else.
#[inline]
pub(super) fn parse_int(b: &[u8]) -> Result<i64, Problem> {
    let (negative, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err(Problem::Malformed);
    }
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(Problem::Malformed);
        }
        // Accumulating negatively reaches i64::MIN too.
        n = n.checked_mul(10).and_then(|n| n.checked_sub(i64::from(c - b'0'))).ok_or(Problem::TooLarge)?;
    }
    if negative { Ok(n) } else { n.checked_neg().ok_or(Problem::TooLarge) }
}

/// An exact decimal: an optional sign, digits with at most one `.`, and an optional exponent
/// (`1.5e3`, as JSON writes numbers). Never goes through binary floating point.
#[inline]
pub(super) fn parse_decimal(b: &[u8]) -> Option<Decimal> {
    let (negative, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    // Up to 18 digits fit an i64 whatever they are: the common case, with no allocation.
    if rest.len() <= 18 {
        let mut mantissa: i64 = 0;
        let mut scale = 0u32;
        let mut digits = 0;
        let mut dot = false;
        let mut plain = true;
        for &c in rest {
            if c.is_ascii_digit() {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                digits += 1;
                scale += u32::from(dot);
            } else if c == b'.' && !dot {
                dot = true;
            } else {
                plain = false;
                break;
            }
        }
        if plain {
            if digits == 0 {
                return None;
            }
            let mantissa = if negative { -mantissa } else { mantissa };
            return Decimal::try_new(mantissa, scale).ok();
        }
    }
    parse_decimal_slow(negative, rest)
}

fn parse_decimal_slow(negative: bool, rest: &[u8]) -> Option<Decimal> {
    let (number, exponent) = match rest.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let digits = number.iter().filter(|c| c.is_ascii_digit()).count();
    let dots = number.iter().filter(|&&c| c == b'.').count();
    if digits == 0 || dots > 1 || digits + dots != number.len() {
        return None;
    }
    let text = std::str::from_utf8(number).ok()?;
    let mut value = Decimal::from_str_exact(text).ok()?;
    if let Some(exponent) = exponent {
        let exponent = parse_int(exponent).ok()?;
        if exponent < 0 {
            let scale = value.scale().checked_add(u32::try_from(exponent.checked_neg()?).ok()?)?;
            if scale > Decimal::MAX_SCALE {
                return None;
            }
            value.set_scale(scale).ok()?;
        } else {
            for _ in 0..exponent.min(40) {
                value = value.checked_mul(Decimal::TEN)?;
            }
            if exponent > 40 && !value.is_zero() {
                return None;
            }
        }
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Option<String> {
        parse_decimal(s.as_bytes()).map(|d| d.to_string())
    }

    #[test]
    fn the_months_table_is_month_starts() {
        let starts = crate::eval::day::month_starts();
        for (i, pair) in starts.windows(2).enumerate() {
            let entry = super::MONTHS[i / 12 * 16 + i % 12 + 1];
            assert_eq!(entry as u32 as i32, pair[0], "month {i}");
            assert_eq!((entry >> 32) as i32, pair[1] - pair[0], "month {i}");
        }
        let used = starts.len() - 1;
        let filled = super::MONTHS.iter().filter(|&&entry| entry != 0).count();
        assert_eq!(filled, used);
    }

    #[test]
    fn decimals_are_exact_and_strict() {
        assert_eq!(dec("20"), Some("20".into()));
        assert_eq!(dec("-2.50"), Some("-2.50".into()));
        assert_eq!(dec("+0.1"), Some("0.1".into()));
        assert_eq!(dec("123456789012345678.9"), Some("123456789012345678.9".into()));
        assert_eq!(dec("12345678901234567890123"), Some("12345678901234567890123".into()));
        assert_eq!(dec("1.5e3"), Some("1500.0".into()));
        assert_eq!(dec("15E-1"), Some("1.5".into()));
        assert_eq!(dec("1e99999999999"), None);
        assert_eq!(dec("0e99999999999"), Some("0".into()));
        for bad in ["", "-", ".", "1.2.3", "1_000", "twenty", "1,5", " 1", "1e", "NaN", "0x10", "1e-40"] {
            assert_eq!(dec(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_read_from_bytes_as_day_parse_reads_them() {
        for text in [
            "2024-02-29",
            "2023-02-29",
            "0000-01-01",
            "9999-12-31",
            "2024-13-01",
            "2024-1-01",
            "2024/01/01",
            "2024-01-0x",
        ] {
            assert_eq!(read_date(text.as_bytes()).ok(), Day::parse(text), "{text}");
        }
        assert_eq!(read_date(b"2023-02-29"), Err(Problem::NoSuchDay));
        let mut d = Day::parse("1898-01-01").unwrap();
        while d < Day::parse("2202-01-01").unwrap() {
            let (y, m, day) = d.ymd();
            for text in [d.to_string(), format!("{y:04}-{m:02}-{:02}", day + 1), format!("{y:04}-{m:02}-00")]
            {
                assert_eq!(read_date(text.as_bytes()).ok(), Day::parse(&text), "{text}");
            }
            d = d.plus_days(1);
        }
        for text in [
            "1900-00-01",
            "2199-13-01",
            "2000-02-30",
            "1900-02-29",
            "2000-02-29",
            "2024-16-01",
            "2024-17-01",
            "2023-29-01",
            "2024-99-31",
            "1899-12-31",
            "1899-28-01",
            "2199-12-31",
            "2199-17-01",
            "2200-01-01",
        ] {
            assert_eq!(read_date(text.as_bytes()).ok(), Day::parse(text), "{text}");
        }
        assert_eq!(read_date("2023-02-2\u{e9}".as_bytes()), Err(Problem::Malformed));
    }

    #[test]
    fn integers_cover_the_whole_range_and_no_more() {
        assert_eq!(parse_int(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_int(b"9223372036854775808"), Err(Problem::TooLarge));
        assert_eq!(parse_int(b"2.5"), Err(Problem::Malformed));
        assert_eq!(parse_int(b"+"), Err(Problem::Malformed));
    }

    #[test]
    fn units_read_as_words() {
        assert_eq!(quantity_words("hour/week"), "a number of hours per week");
        assert_eq!(quantity_words("hours per day"), "a number of hours per day");
        assert_eq!(quantity_words("GBP"), "an amount in GBP");
        assert_eq!(quantity_words("GBP/tonne"), "an amount in GBP per tonne");
        assert_eq!(quantity_words("day"), "a number of days");
        assert_eq!(quantity_words("1/week"), "a number per week");
    }
}
