//! Words for values: dates, money, counts, ordinals, durations and names, in British English
//! (the contracts are British; dates are written "15 March 2016", which no reader misreads).

use crate::eval::day::Day;
use crate::units::is_currency_code;
use rust_decimal::Decimal;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The name of a month, counting January as 0.
pub fn month_name(index: i64) -> &'static str {
    usize::try_from(index).ok().and_then(|i| MONTHS.get(i)).copied().unwrap_or("")
}

/// `2016-03-15` as "15 March 2016"; anything that is not an ISO date is returned as is.
pub fn date(iso: &str) -> String {
    match Day::parse(iso) {
        Some(day) => {
            let (year, month, day) = day.ymd();
            format!("{day} {} {year}", month_name(i64::from(month) - 1))
        }
        None => iso.to_string(),
    }
}

const SMALL: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
];

/// A count as a reader would write it: words up to twelve, figures after.
pub fn count(n: u64) -> String {
    match usize::try_from(n).ok().and_then(|i| SMALL.get(i)) {
        Some(word) => (*word).to_string(),
        None => n.to_string(),
    }
}

const ORDINALS: [&str; 21] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
];

/// "first", "sixteenth", then "21st", "22nd", "103rd".
pub fn ordinal(n: u64) -> String {
    if let Some(word) = usize::try_from(n).ok().and_then(|i| ORDINALS.get(i)) {
        return (*word).to_string();
    }
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "1 time" / "13 times" style agreement: `n` and the noun, plural unless one.
pub fn counted(n: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", count(n), if n == 1 { singular } else { plural })
}

/// A decimal with thousands separators and without trailing zeros: 1500000 as "1,500,000".
pub fn number(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An amount in `currency`, to the minor unit: "£2,400.00", "€1,000.50", "1,000.00 CHF".
/// An amount finer than the minor unit (a rate of £0.125) is shown whole, never rounded:
/// the explanation must not change a figure.
pub fn money(value: Decimal, currency: &str) -> String {
    let minor = if value.normalize().scale() > 2 { value.normalize() } else { value.round_dp(2) };
    let mut text = number(minor);
    if minor.fract().is_zero() {
        text.push_str(".00");
    } else if minor.normalize().scale() == 1 {
        text.push('0');
    }
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("minus ", rest.to_string()),
        None => ("", text),
    };
    match currency_symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{text}"),
        None => format!("{sign}{text} {currency}"),
    }
}

fn currency_symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "GBP" => Some("£"),
        "EUR" => Some("€"),
        "USD" => Some("US$"),
        _ => None,
    }
}

/// The full name of a currency, for the one sentence that introduces it.
pub fn currency_name(currency: &str) -> String {
    match currency {
        "GBP" => "pounds sterling (GBP)".to_string(),
        "EUR" => "euros (EUR)".to_string(),
        "USD" => "US dollars (USD)".to_string(),
        other => other.to_string(),
    }
}

/// A quantity in its canonical unit, in words: "16 hours per week", "182 days (26 weeks)",
/// "16 years" (two or more whole years are said as years: the IR keeps them as months).
pub fn quantity(value: Decimal, unit: &str, currency: &str) -> String {
    let is_money = |u: &str| is_money(u, currency);
    if is_money(unit) {
        return money(value, unit);
    }
    // A rate of money: "£40.00 per tonne".
    if let Some((top, per)) = unit.split_once('/').filter(|(top, _)| is_money(top)) {
        let per: Vec<String> = per.split('/').map(humanise).collect();
        return format!("{} per {}", money(value, top), per.join(" per "));
    }
    let n = number(value);
    let one = value == Decimal::ONE;
    let plural = |s: &str, p: &str| if one { s.to_string() } else { p.to_string() };
    match unit {
        "month" => {
            let twelve = Decimal::from(12);
            // Contracts say "12 months" and "18 months" but "16 years": years from two on.
            if value >= Decimal::from(24) && (value % twelve).is_zero() {
                let years = value / twelve;
                let word = if years == Decimal::ONE { "year" } else { "years" };
                format!("{} {word}", number(years))
            } else {
                format!("{n} {}", plural("month", "months"))
            }
        }
        "day" => {
            let seven = Decimal::from(7);
            let weeks = value / seven;
            if value > seven && (value % seven).is_zero() {
                let word = if weeks == Decimal::ONE { "week" } else { "weeks" };
                format!("{n} days ({} {word})", number(weeks))
            } else {
                format!("{n} {}", plural("day", "days"))
            }
        }
        "working_day" => format!("{n} {}", plural("working day", "working days")),
        other => format!("{n} {}", unit_words(other, one)),
    }
}

/// True when `unit` is money: the contract's currency or, in a module, which has no currency
/// of its own, any currency code the unit checker accepts.
pub fn is_money(unit: &str, currency: &str) -> bool {
    unit == currency || is_currency_code(unit)
}

/// A length of time as a contract states a deadline or a window: a whole number of weeks
/// in weeks ("8 weeks"), months as months ("12 months", never "1 year"), else as
/// [`quantity`].
pub fn span_of_time(value: Decimal, unit: &str, currency: &str) -> String {
    let seven = Decimal::from(7);
    match unit {
        "day" if value > Decimal::ZERO && (value % seven).is_zero() => {
            let weeks = value / seven;
            format!("{} {}", number(weeks), if weeks == Decimal::ONE { "week" } else { "weeks" })
        }
        "month" => format!("{} {}", number(value), if value == Decimal::ONE { "month" } else { "months" }),
        _ => quantity(value, unit, currency),
    }
}

/// A canonical unit (`hour/week`) in words ("hours per week").
pub fn unit_words(unit: &str, singular: bool) -> String {
    let mut parts = unit.split('/');
    let top = parts.next().unwrap_or(unit);
    let top = if singular { humanise(top) } else { plural(&humanise(top)) };
    let rest: Vec<String> = parts.map(humanise).collect();
    if rest.is_empty() { top } else { format!("{top} per {}", rest.join(" per ")) }
}

fn plural(word: &str) -> String {
    if word.ends_with('s') || word.is_empty() {
        word.to_string()
    } else if let Some(stem) = word.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'o', 'u'])) {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

/// A declared name as words: `needs_support` as "needs support", `calendar.birthday` as
/// "birthday".
pub fn humanise(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.replace('_', " ").trim().to_string()
}

/// Joins phrases as a list in a sentence: "a", "a and b", "a, b and c".
pub fn join(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// The first letter in upper case, for a phrase that starts a sentence.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn dates_are_unambiguous() {
        assert_eq!(date("2016-03-15"), "15 March 2016");
        assert_eq!(date("2028-09-01"), "1 September 2028");
        assert_eq!(date("not a date"), "not a date");
    }

    #[test]
    fn money_is_formatted_for_its_currency() {
        assert_eq!(money(dec("2400"), "GBP"), "£2,400.00");
        assert_eq!(money(dec("1500000"), "GBP"), "£1,500,000.00");
        assert_eq!(money(dec("0.5"), "EUR"), "€0.50");
        assert_eq!(money(dec("999.999"), "GBP"), "£999.999");
        assert_eq!(money(dec("2400.000"), "GBP"), "£2,400.00");
        assert_eq!(money(dec("12.3"), "CHF"), "12.30 CHF");
        assert_eq!(money(dec("-5"), "GBP"), "minus £5.00");
        assert_eq!(quantity(dec("768"), "GBP", ""), "£768.00");
        assert_eq!(quantity(dec("40"), "GBP/tonne", "GBP"), "£40.00 per tonne");
    }

    #[test]
    fn quantities_read_as_a_contract_would_write_them() {
        assert_eq!(quantity(dec("16"), "hour/week", "GBP"), "16 hours per week");
        assert_eq!(quantity(dec("192"), "month", "GBP"), "16 years");
        assert_eq!(quantity(dec("12"), "month", "GBP"), "12 months");
        assert_eq!(quantity(dec("24"), "month", "GBP"), "2 years");
        assert_eq!(quantity(dec("3"), "month", "GBP"), "3 months");
        assert_eq!(quantity(dec("182"), "day", "GBP"), "182 days (26 weeks)");
        assert_eq!(quantity(dec("1"), "day", "GBP"), "1 day");
        assert_eq!(quantity(dec("15"), "working_day", "GBP"), "15 working days");
        assert_eq!(span_of_time(dec("56"), "day", "GBP"), "8 weeks");
        assert_eq!(span_of_time(dec("12"), "month", "GBP"), "12 months");
        assert_eq!(span_of_time(dec("10"), "day", "GBP"), "10 days");
    }

    #[test]
    fn counts_and_ordinals() {
        assert_eq!(count(3), "three");
        assert_eq!(count(13), "13");
        assert_eq!(ordinal(16), "sixteenth");
        assert_eq!(ordinal(21), "21st");
        assert_eq!(ordinal(112), "112th");
        assert_eq!(counted(1, "time", "times"), "one time");
    }
}
