//! Calendar days: the one date type of evaluation.
//!
//! A [`Day`] is a day of the proleptic Gregorian calendar, stored as days since 1970-01-01,
//! so that comparing and stepping days is integer arithmetic on the hot path. Month and year
//! arithmetic is calendar arithmetic: adding months keeps the day of the month and clamps to
//! the target month's last day (31 January + 1 month = 28 or 29 February).

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Day(pub i32);

impl Day {
    /// The day for a year, month (1-12) and day of month, if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Day(days_from_civil(year, month, day)))
    }

    /// The first day of a month; `month` must be 1-12.
    pub fn first_of(year: i32, month: u32) -> Day {
        Day(days_from_civil(year, month, 1))
    }

    /// Year, month (1-12) and day of month.
    pub fn ymd(self) -> (i32, u32, u32) {
        let table = civil_table();
        match table.get(self.0.wrapping_sub(TABLE_FIRST) as u32 as usize) {
            Some(&packed) => ((packed >> 9) as i32, packed >> 5 & 15, packed & 31),
            None => civil_from_days(self.0),
        }
    }

    /// [`Self::ymd`], worked out where it is called: for the one date of a participant
    /// that every month-counting clause reads (a call cost ~10 instructions more).
    #[inline(always)]
    pub fn ymd_here(self) -> (i32, u32, u32) {
        match civil_table().get(self.0.wrapping_sub(TABLE_FIRST) as u32 as usize) {
            Some(&packed) => ((packed >> 9) as i32, packed >> 5 & 15, packed & 31),
            None => self.ymd(),
        }
    }

    /// The month the day falls in, as months since year 0 (`year * 12 + month - 1`).
    #[inline]
    pub fn month_number(self) -> i32 {
        let (year, month, _) = self.ymd();
        year * 12 + month as i32 - 1
    }

    /// Parses exactly `YYYY-MM-DD`; `None` for any other text or a day that does not exist.
    pub fn parse(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let mut n = 0u32;
            for &c in &b[range] {
                if !c.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u32::from(c - b'0');
            }
            Some(n)
        };
        Day::from_ymd(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
    }

    pub fn plus_days(self, n: i32) -> Day {
        Day(self.0 + n)
    }

    /// Calendar months later (or earlier, for negative `n`), clamped to the month's end.
    ///
    /// Inlined, two look-ups (a window's end, once a participant), with the arithmetic out
    /// of line: the call cost ~8 instructions of ~44.
    #[inline]
    pub fn plus_months(self, n: i32) -> Day {
        let (y, m, d) = self.ymd_here();
        let index = y * 12 + (m as i32 - 1) + n;
        // Within the month table, the month's first day and length are two look-ups (half
        // the work of the arithmetic, for every window and anchor of a participant).
        // A month before the table's wraps to a number past its end: one bounds check.
        let at = index.wrapping_sub(MONTH_TABLE_FROM * 12) as u32 as usize;
        if let Some(&[first, next]) = month_starts().get(at..at + 2) {
            return Day(first + (d as i32).min(next - first) - 1);
        }
        Day::plus_months_outside(index, d)
    }

    #[cold]
    #[inline(never)]
    fn plus_months_outside(index: i32, d: u32) -> Day {
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        let day = d.min(days_in_month(year, month));
        Day(days_from_civil(year, month, day))
    }

    /// The first day of a month numbered `year * 12 + month - 1`.
    ///
    /// Inlined, a look-up in the table (the months of a participant's windows, twice a
    /// participant), with the arithmetic out of line: the call cost ~5 instructions of ~15.
    #[inline]
    pub fn month_start(number: i32) -> Day {
        // As in `plus_months`: a month before the table's wraps past its end.
        match month_starts().get(number.wrapping_sub(MONTH_TABLE_FROM * 12) as u32 as usize) {
            Some(&start) => Day(start),
            None => Day::month_start_outside(number),
        }
    }

    #[cold]
    #[inline(never)]
    fn month_start_outside(number: i32) -> Day {
        Day::first_of(number.div_euclid(12), number.rem_euclid(12) as u32 + 1)
    }

    /// Monday is 0, Sunday is 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }

    pub fn first_of_month(self) -> Day {
        let (y, m, _) = self.ymd();
        Day(days_from_civil(y, m, 1))
    }

    pub fn last_of_month(self) -> Day {
        let (y, m, _) = self.ymd();
        Day(days_from_civil(y, m, days_in_month(y, m)))
    }

    pub fn first_of_year(self) -> Day {
        Day(days_from_civil(self.ymd().0, 1, 1))
    }

    /// Whole years from `self` to `on` (an age: a birthday is completed on the day itself;
    /// someone born on 29 February completes a year on 28 February in other years).
    pub fn whole_years_to(self, on: Day) -> i64 {
        let (by, bm, bd) = self.ymd();
        let (oy, _, _) = on.ymd();
        let mut years = i64::from(oy - by);
        let birthday_this_year = Day(days_from_civil(oy, bm, bd.min(days_in_month(oy, bm))));
        if on < birthday_this_year {
            years -= 1;
        }
        years
    }
}

impl Day {
    /// `YYYY-MM-DD` as ASCII, for a year from 0 to 9999, digit by digit: every decision and
    /// payment writes dates, and the padded integer formatting of `write!` cost more than the
    /// rest of writing a decision.
    pub(crate) fn ascii(self) -> Option<[u8; 10]> {
        let (y, m, d) = self.ymd();
        let y = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
        let digit = |n: u32| b'0' + (n % 10) as u8;
        Some([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }

    /// Appends the day as `Display` writes it.
    pub fn push_to(self, out: &mut String) {
        match self.ascii().as_ref().map(|a| std::str::from_utf8(a)) {
            Some(Ok(text)) => out.push_str(text),
            _ => out.push_str(&self.to_string()),
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ascii().as_ref().map(|a| std::str::from_utf8(a)) {
            Some(Ok(text)) => f.write_str(text),
            _ => {
                let (y, m, d) = self.ymd();
                write!(f, "{y:04}-{m:02}-{d:02}")
            }
        }
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        _ => 28,
    }
}

/// The first day of [`civil_table`]: 1900-01-01, as days since 1970-01-01.
const TABLE_FIRST: i32 = -25_567;

/// Year, month and day (`year << 9 | month << 5 | day`) of every day from 1900 to 2199, by
/// day from [`TABLE_FIRST`]: evaluation asks a participant's dates for their month again and
/// again (grids of months, months added, dates written), and a look-up is a tenth of the
/// arithmetic of [`civil_from_days`]. Made once per process, in a pass over the calendar.
fn civil_table() -> &'static [u32] {
    static TABLE: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Vec::with_capacity(109_575);
        for year in 1900..2200 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    table.push((year as u32) << 9 | month << 5 | day);
                }
            }
        }
        table
    })
}

/// The first year of [`month_starts`].
pub(crate) const MONTH_TABLE_FROM: i32 = 1900;

/// The first day of every month from 1900 to 2199, and of January 2200 (so that each month's
/// length is the difference of two entries), by `(year - 1900) * 12 + month - 1`, as
/// [`civil_table`] is for days. Reading dates uses it too.
pub(crate) fn month_starts() -> &'static [i32] {
    static TABLE: std::sync::OnceLock<Vec<i32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (MONTH_TABLE_FROM..2200)
            .flat_map(|year| (1..=12).map(move |month| arithmetic_days_from_civil(year, month, 1)))
            .chain([arithmetic_days_from_civil(2200, 1, 1)])
            .collect()
    })
}

fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    if (1900..2200).contains(&year) && (1..=12).contains(&month) {
        return month_starts()[((year - MONTH_TABLE_FROM) * 12) as usize + month as usize - 1] + day as i32
            - 1;
    }
    arithmetic_days_from_civil(year, month, day)
}

// Howard Hinnant's algorithms for converting between civil dates and a day count.
fn arithmetic_days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy as i32;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    #[test]
    fn agrees_with_jiff_on_every_day_of_four_centuries() {
        let mut d = day("1900-01-01");
        let mut j = jiff::civil::date(1900, 1, 1);
        while d < day("2300-01-01") {
            assert_eq!(d.to_string(), j.to_string());
            for months in [1, 12, 13, -1, 192, -200, 2400] {
                let expected = j.checked_add(jiff::Span::new().months(months)).unwrap();
                assert_eq!(d.plus_months(months).to_string(), expected.to_string(), "{d} + {months} months");
            }
            assert_eq!(d.weekday(), j.weekday().to_monday_zero_offset() as u32);
            d = d.plus_days(1);
            j = j.tomorrow().unwrap();
        }
    }

    #[test]
    fn the_civil_table_agrees_with_the_arithmetic_and_ends_where_it_says() {
        assert_eq!(Day(TABLE_FIRST), day("1900-01-01"));
        assert_eq!(civil_table().len() as i32, day("2200-01-01").0 - TABLE_FIRST);
        for d in TABLE_FIRST - 400..day("2200-01-01").0 + 400 {
            assert_eq!(Day(d).ymd(), civil_from_days(d), "day {d}");
        }
        for d in [i32::MIN / 2, -1_000_000, 0, 1_000_000, i32::MAX / 2] {
            assert_eq!(Day(d).ymd(), civil_from_days(d), "day {d}");
        }
        for year in 1890..2210 {
            for month in 1..=12 {
                for day in [1, 15, days_in_month(year, month)] {
                    assert_eq!(
                        days_from_civil(year, month, day),
                        arithmetic_days_from_civil(year, month, day)
                    );
                }
            }
        }
    }

    #[test]
    fn month_starts_by_number_are_the_first_days_of_months() {
        for number in (1850 * 12)..(2250i32 * 12) {
            let (year, month) = (number.div_euclid(12), number.rem_euclid(12) as u32 + 1);
            assert_eq!(Day::month_start(number), Day::first_of(year, month), "{year}-{month}");
        }
    }

    #[test]
    fn month_ends_clamp_and_leap_days_exist_only_in_leap_years() {
        assert_eq!(day("2025-01-31").plus_months(1), day("2025-02-28"));
        assert_eq!(day("2024-01-31").plus_months(1), day("2024-02-29"));
        assert_eq!(day("2008-02-29").plus_months(16 * 12), day("2024-02-29"));
        assert_eq!(day("2009-02-28").plus_months(16 * 12), day("2025-02-28"));
        assert_eq!(day("2008-02-29").plus_months(17 * 12), day("2025-02-28"));
        assert!(Day::parse("2023-02-29").is_none());
        assert!(Day::parse("2024-02-29").is_some());
        assert!(Day::parse("2024-13-01").is_none());
        assert!(Day::parse("2024-1-01").is_none());
        assert!(Day::parse("15/03/2016").is_none());
    }

    #[test]
    fn days_are_written_as_yyyy_mm_dd() {
        assert_eq!(day("0001-02-03").to_string(), "0001-02-03");
        assert_eq!(day("2024-12-31").to_string(), "2024-12-31");
        assert_eq!(Day::from_ymd(-1, 1, 1).map(|d| d.to_string()), Some("-001-01-01".to_string()));
        assert_eq!(Day::from_ymd(12345, 6, 7).map(|d| d.to_string()), Some("12345-06-07".to_string()));
    }

    #[test]
    fn ages_complete_on_the_birthday() {
        assert_eq!(day("2009-03-15").whole_years_to(day("2025-03-14")), 15);
        assert_eq!(day("2009-03-15").whole_years_to(day("2025-03-15")), 16);
        assert_eq!(day("2008-02-29").whole_years_to(day("2025-02-27")), 16);
        assert_eq!(day("2008-02-29").whole_years_to(day("2025-02-28")), 17);
    }
}
