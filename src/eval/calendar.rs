//! Working days: Monday to Friday less the bank holidays of one of the UK's calendars.
//!
//! Bank holidays follow the rules of the Banking and Financial Dealings Act 1971 and the
//! annual proclamations: fixed days move to the next free weekday when they fall at a
//! weekend, and the one-off holidays proclaimed since 2011 are listed. A contract names the
//! calendar (`working days exclude england_and_wales`); `none` means weekends only.

use super::day::Day;

/// `day` moved by `n` working days (backwards for negative `n`).
pub fn plus_working_days(day: Day, n: i32, calendar: &str) -> Day {
    let step = if n < 0 { -1 } else { 1 };
    let mut left = n.abs();
    let mut current = day;
    while left > 0 {
        current = current.plus_days(step);
        if is_working_day(current, calendar) {
            left -= 1;
        }
    }
    current
}

pub fn is_working_day(day: Day, calendar: &str) -> bool {
    day.weekday() < 5 && !bank_holidays(day.ymd().0, calendar).contains(&day)
}

/// The bank holidays of a year in one calendar, in date order.
pub fn bank_holidays(year: i32, calendar: &str) -> Vec<Day> {
    let date = |m: u32, d: u32| Day::from_ymd(year, m, d);
    let mut fixed: Vec<Day> = Vec::new();
    let mut moving: Vec<Day> = Vec::new();
    let easter = easter_sunday(year);
    match calendar {
        "england_and_wales" | "northern_ireland" => {
            fixed.extend(date(1, 1));
            moving.push(easter.plus_days(-2));
            moving.push(easter.plus_days(1));
            moving.extend(early_may(year));
            moving.extend(spring(year));
            moving.extend(last_monday(year, 8));
            if calendar == "northern_ireland" {
                fixed.extend(date(3, 17));
                fixed.extend(date(7, 12));
            }
        }
        "scotland" => {
            fixed.extend(date(1, 1));
            fixed.extend(date(1, 2));
            moving.push(easter.plus_days(-2));
            moving.extend(early_may(year));
            moving.extend(spring(year));
            moving.extend(first_monday(year, 8));
            fixed.extend(date(11, 30));
        }
        _ => return Vec::new(),
    }
    fixed.extend(date(12, 25));
    fixed.extend(date(12, 26));
    moving.extend(
        ONE_OFF.iter().filter(|(y, _, _)| *y == year).filter_map(|(y, m, d)| Day::from_ymd(*y, *m, *d)),
    );
    let mut holidays = moving;
    for day in fixed {
        let mut substitute = day;
        while substitute.weekday() >= 5 || holidays.contains(&substitute) {
            substitute = substitute.plus_days(1);
        }
        holidays.push(substitute);
    }
    holidays.sort();
    holidays.dedup();
    holidays
}

/// One-off bank holidays proclaimed in all three calendars.
const ONE_OFF: &[(i32, u32, u32)] = &[
    (2011, 4, 29), // royal wedding
    (2012, 6, 5),  // Diamond Jubilee
    (2022, 6, 3),  // Platinum Jubilee
    (2022, 9, 19), // state funeral of Queen Elizabeth II
    (2023, 5, 8),  // coronation of King Charles III
];

fn first_monday(year: i32, month: u32) -> Option<Day> {
    let first = Day::from_ymd(year, month, 1)?;
    Some(first.plus_days(((7 - first.weekday()) % 7) as i32))
}

fn last_monday(year: i32, month: u32) -> Option<Day> {
    let last = Day::from_ymd(year, month, 1)?.last_of_month();
    Some(last.plus_days(-(last.weekday() as i32)))
}

/// The early May bank holiday; moved to VE Day in 2020.
fn early_may(year: i32) -> Option<Day> {
    if year == 2020 { Day::from_ymd(2020, 5, 8) } else { first_monday(year, 5) }
}

/// The spring bank holiday; moved for the jubilees of 2012 and 2022.
fn spring(year: i32) -> Option<Day> {
    match year {
        2012 => Day::from_ymd(2012, 6, 4),
        2022 => Day::from_ymd(2022, 6, 2),
        _ => last_monday(year, 5),
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
fn easter_sunday(year: i32) -> Day {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Day::from_ymd(year, month as u32, day as u32).unwrap_or(Day(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[&str]) -> Vec<Day> {
        list.iter().map(|d| Day::parse(d).unwrap()).collect()
    }

    #[test]
    fn england_and_wales_2022_as_published_by_gov_uk() {
        assert_eq!(
            bank_holidays(2022, "england_and_wales"),
            days(&[
                "2022-01-03",
                "2022-04-15",
                "2022-04-18",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-29",
                "2022-09-19",
                "2022-12-26",
                "2022-12-27",
            ])
        );
    }

    #[test]
    fn scotland_2023_as_published_by_gov_uk() {
        assert_eq!(
            bank_holidays(2023, "scotland"),
            days(&[
                "2023-01-02",
                "2023-01-03",
                "2023-04-07",
                "2023-05-01",
                "2023-05-08",
                "2023-05-29",
                "2023-08-07",
                "2023-11-30",
                "2023-12-25",
                "2023-12-26",
            ])
        );
    }

    #[test]
    fn northern_ireland_2021_as_published_by_gov_uk() {
        assert_eq!(
            bank_holidays(2021, "northern_ireland"),
            days(&[
                "2021-01-01",
                "2021-03-17",
                "2021-04-02",
                "2021-04-05",
                "2021-05-03",
                "2021-05-31",
                "2021-07-12",
                "2021-08-30",
                "2021-12-27",
                "2021-12-28",
            ])
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let thursday = Day::parse("2022-12-22").unwrap();
        // Fri 23, then Mon 26 and Tue 27 are holidays: the second working day is Wed 28.
        assert_eq!(plus_working_days(thursday, 2, "england_and_wales"), Day::parse("2022-12-28").unwrap());
        assert_eq!(plus_working_days(thursday, 2, "none"), Day::parse("2022-12-26").unwrap());
        assert_eq!(plus_working_days(thursday, -1, "none"), Day::parse("2022-12-21").unwrap());
    }
}
