//! Units of measure: which words are units, how they combine, and how they convert.
//!
//! A unit is a product of base units with integer exponents (`hours per week` is hour¹·day⁻¹
//! scaled by one seventh). Two quantities can be added or compared only when their
//! dimensions match. Conversions are exact and few: a week is seven days and a year is twelve
//! months, but a month is never a number of days (that is a contract decision, not a unit
//! fact), and no currency converts into another.
//!
//! Each dimension has a canonical unit that every quantity in the IR is expressed in, chosen
//! so that conversion into it is always an exact multiplication: days and months in a
//! numerator, weeks and years in a denominator.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// The base dimensions. Calendar days and calendar months are separate dimensions on purpose.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Base {
    /// Hours of work or activity.
    Hour,
    /// Calendar days (and weeks).
    Day,
    /// Calendar months (and years).
    Month,
    /// Working days: days that are neither weekend days nor the contract's bank holidays.
    WorkingDay,
    /// Money in one currency, by ISO 4217 code.
    Currency(String),
    /// A unit the contract declares (`unit tonne, tonnes`), by its singular name.
    Custom(String),
}

/// A dimension: base units with non-zero exponents.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dimension(pub BTreeMap<Base, i32>);

impl Dimension {
    pub fn of(base: Base) -> Dimension {
        Dimension(BTreeMap::from([(base, 1)]))
    }

    pub fn is_dimensionless(&self) -> bool {
        self.0.is_empty()
    }

    /// What a product (or, with `divide`, a quotient) of values in the canonical units of
    /// `self` and `other` must be multiplied and divided by to be in its own canonical unit.
    /// Days are canonical in a numerator and weeks in a denominator, so `hour/week` times
    /// `day` is hours only once divided by 7: `16 hours per week * 26 weeks` is 16 × 182 / 7
    /// = 416 hours. Likewise months and years, by 12.
    pub fn canonical_rescale(&self, other: &Dimension, divide: bool) -> (i64, i64) {
        let negative = |e: i32| e.min(0);
        let (mut multiply, mut divide_by) = (1i64, 1i64);
        for (base, scale) in [(Base::Day, 7i64), (Base::Month, 12i64)] {
            let a = self.0.get(&base).copied().unwrap_or(0);
            let b = other.0.get(&base).copied().unwrap_or(0);
            // A value whose exponent e is negative is stored per week^|e|: it is scale^e
            // times the value per day. Others are stored as they are.
            let k = if divide {
                negative(a) - negative(b) - negative(a - b)
            } else {
                negative(a) + negative(b) - negative(a + b)
            };
            let factor = scale.pow(k.unsigned_abs());
            if k > 0 {
                multiply *= factor;
            } else if k < 0 {
                divide_by *= factor;
            }
        }
        (multiply, divide_by)
    }

    pub fn mul(&self, other: &Dimension) -> Dimension {
        let mut out = self.0.clone();
        for (base, exp) in &other.0 {
            *out.entry(base.clone()).or_insert(0) += exp;
        }
        out.retain(|_, e| *e != 0);
        Dimension(out)
    }

    pub fn inverse(&self) -> Dimension {
        Dimension(self.0.iter().map(|(b, e)| (b.clone(), -e)).collect())
    }

    pub fn currency(&self) -> Option<&str> {
        match self.0.iter().next() {
            Some((Base::Currency(code), 1)) if self.0.len() == 1 => Some(code),
            _ => None,
        }
    }

    pub fn is_money(&self) -> bool {
        self.currency().is_some()
    }

    pub fn is_duration(&self) -> bool {
        [Base::Day, Base::Month, Base::WorkingDay].into_iter().any(|b| *self == Dimension::of(b))
    }

    /// The canonical unit's name, as the IR writes it: `hour/week`, `GBP`, `day`, `month`,
    /// `GBP/tonne`, `hour*day`.
    pub fn canonical_unit(&self) -> String {
        let mut numerator = Vec::new();
        let mut denominator = Vec::new();
        for (base, exp) in &self.0 {
            let name = base_name(base, *exp > 0);
            let list = if *exp > 0 { &mut numerator } else { &mut denominator };
            for _ in 0..exp.abs() {
                list.push(name.clone());
            }
        }
        let top = if numerator.is_empty() { "1".to_string() } else { numerator.join("*") };
        if denominator.is_empty() { top } else { format!("{top}/{}", denominator.join("*")) }
    }
}

fn base_name(base: &Base, numerator: bool) -> String {
    match (base, numerator) {
        (Base::Hour, _) => "hour".into(),
        (Base::Day, true) => "day".into(),
        (Base::Day, false) => "week".into(),
        (Base::Month, true) => "month".into(),
        (Base::Month, false) => "year".into(),
        (Base::WorkingDay, _) => "working_day".into(),
        (Base::Currency(c), _) => c.clone(),
        (Base::Custom(c), _) => c.clone(),
    }
}

impl fmt::Display for Dimension {
    /// How a person would say the dimension: `hours per week`, `GBP`, `days`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "a plain number");
        }
        let say = |base: &Base, numerator: bool| match (base, numerator) {
            (Base::Hour, _) => "hours".to_string(),
            (Base::Day, true) => "days".to_string(),
            (Base::Day, false) => "week".to_string(),
            (Base::Month, true) => "months".to_string(),
            (Base::Month, false) => "year".to_string(),
            (Base::WorkingDay, true) => "working days".to_string(),
            (Base::WorkingDay, false) => "working day".to_string(),
            (Base::Currency(c), _) | (Base::Custom(c), _) => c.clone(),
        };
        let top: Vec<String> =
            self.0.iter().filter(|(_, e)| **e > 0).map(|(b, e)| power(say(b, true), *e)).collect();
        let bottom: Vec<String> =
            self.0.iter().filter(|(_, e)| **e < 0).map(|(b, e)| power(say(b, false), -e)).collect();
        let top = if top.is_empty() { "1".to_string() } else { top.join(" × ") };
        if bottom.is_empty() { write!(f, "{top}") } else { write!(f, "{top} per {}", bottom.join(" per ")) }
    }
}

fn power(word: String, exp: i32) -> String {
    if exp == 1 { word } else { format!("{word}^{exp}") }
}

/// One unit word resolved: its dimension and how many canonical units one of it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitWord {
    pub base: Base,
    /// Factor to the canonical numerator unit (7 for weeks, 12 for years).
    pub to_canonical_numerator: Decimal,
    /// Factor to the canonical denominator unit (7 for `per day`, 12 for `per month`).
    pub to_canonical_denominator: Decimal,
}

/// A contract's declared units, by every spelling.
#[derive(Clone, Debug, Default)]
pub struct UnitTable {
    custom: BTreeMap<String, String>,
}

impl UnitTable {
    pub fn declare(&mut self, singular: &str, plural: Option<&str>) {
        self.custom.insert(singular.to_string(), singular.to_string());
        if let Some(p) = plural {
            self.custom.insert(p.to_string(), singular.to_string());
        }
    }

    /// Resolves one unit word, or `None` if it is not a unit.
    pub fn word(&self, word: &str) -> Option<UnitWord> {
        let one = Decimal::ONE;
        let (base, num, den) = match word {
            "hour" | "hours" => (Base::Hour, one, one),
            "day" | "days" => (Base::Day, one, Decimal::from(7)),
            "week" | "weeks" => (Base::Day, Decimal::from(7), one),
            "month" | "months" => (Base::Month, one, Decimal::from(12)),
            "year" | "years" => (Base::Month, Decimal::from(12), one),
            _ if is_currency_code(word) => (Base::Currency(word.to_string()), one, one),
            _ => match self.custom.get(word) {
                Some(singular) => (Base::Custom(singular.clone()), one, one),
                None => return None,
            },
        };
        Some(UnitWord { base, to_canonical_numerator: num, to_canonical_denominator: den })
    }

    /// `working days`: the only unit `working` can qualify.
    pub fn working_days() -> UnitWord {
        UnitWord {
            base: Base::WorkingDay,
            to_canonical_numerator: Decimal::ONE,
            to_canonical_denominator: Decimal::ONE,
        }
    }

    /// Every unit word known here, for "did you mean" suggestions.
    pub fn known_words(&self) -> Vec<String> {
        let mut words: Vec<String> =
            ["hours", "days", "weeks", "months", "years"].iter().map(|s| s.to_string()).collect();
        words.extend(self.custom.keys().cloned());
        words
    }
}

/// ISO 4217 codes in the INDIGO data and in common use. A code not listed here is not taken
/// as money, so `GPB` is reported as an unknown unit instead of a new currency.
pub const CURRENCIES: &[&str] = &[
    "ARS", "AUD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "DKK", "EUR", "GBP", "HKD", "ILS", "INR", "JPY",
    "KES", "KRW", "MXN", "NGN", "NLG", "NOK", "NZD", "PEN", "PKR", "PTE", "SEK", "SGD", "UGX", "USD", "ZAR",
];

pub fn is_currency_code(word: &str) -> bool {
    CURRENCIES.contains(&word)
}

/// A resolved unit expression (`hours per week`): its dimension and the factor that turns a
/// number in this unit into the canonical unit of the dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub dimension: Dimension,
    pub factor: Decimal,
}

impl Unit {
    pub fn new(numerator: &UnitWord, denominator: Option<&UnitWord>) -> Unit {
        let mut dimension = Dimension::of(numerator.base.clone());
        let mut factor = numerator.to_canonical_numerator;
        if let Some(d) = denominator {
            dimension = dimension.mul(&Dimension::of(d.base.clone()).inverse());
            factor *= d.to_canonical_denominator;
        }
        Unit { dimension, factor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(table: &UnitTable, num: &str, den: Option<&str>) -> Unit {
        Unit::new(&table.word(num).unwrap(), den.map(|d| table.word(d).unwrap()).as_ref())
    }

    #[test]
    fn hours_per_week_is_not_hours_and_reads_back_in_words() {
        let t = UnitTable::default();
        let rate = unit(&t, "hours", Some("week"));
        let hours = unit(&t, "hours", None);
        assert_ne!(rate.dimension, hours.dimension);
        assert_eq!(rate.dimension.to_string(), "hours per week");
        assert_eq!(rate.dimension.canonical_unit(), "hour/week");
        assert_eq!(rate.factor, Decimal::ONE);
    }

    #[test]
    fn conversions_into_canonical_units_are_exact_multiplications() {
        let t = UnitTable::default();
        assert_eq!(unit(&t, "weeks", None).factor, Decimal::from(7));
        assert_eq!(unit(&t, "years", None).factor, Decimal::from(12));
        assert_eq!(unit(&t, "hours", Some("day")).factor, Decimal::from(7));
        assert_eq!(unit(&t, "GBP", Some("month")).factor, Decimal::from(12));
        assert_eq!(unit(&t, "years", None).dimension, unit(&t, "months", None).dimension);
        assert_ne!(unit(&t, "months", None).dimension, unit(&t, "days", None).dimension);
    }

    #[test]
    fn rate_times_duration_cancels_to_the_numerator() {
        let t = UnitTable::default();
        let rate = unit(&t, "hours", Some("week"));
        let weeks = unit(&t, "weeks", None);
        assert_eq!(rate.dimension.mul(&weeks.dimension), Dimension::of(Base::Hour));
    }

    #[test]
    fn currencies_are_known_codes_and_custom_units_need_declaring() {
        let mut t = UnitTable::default();
        assert!(t.word("GBP").is_some());
        assert!(t.word("GPB").is_none());
        assert!(t.word("tonnes").is_none());
        t.declare("tonne", Some("tonnes"));
        assert_eq!(t.word("tonnes").unwrap().base, Base::Custom("tonne".into()));
    }

    #[test]
    fn products_of_rates_and_durations_stay_in_canonical_units() {
        let t = UnitTable::default();
        let rate = unit(&t, "hours", Some("week")).dimension;
        let days = unit(&t, "days", None).dimension;
        let hours = unit(&t, "hours", None).dimension;
        let none = Dimension::default();
        // 16 hour/week × 182 day = 2912, which is 416 hours once divided by 7.
        assert_eq!(rate.canonical_rescale(&days, false), (1, 7));
        assert_eq!(days.canonical_rescale(&rate, false), (1, 7));
        // 80 hours / 28 days is 2 6/7 hours a day: 20 hours a week.
        assert_eq!(hours.canonical_rescale(&days, true), (7, 1));
        // A number over days is per day: times 7 to be per week.
        assert_eq!(none.canonical_rescale(&days, true), (7, 1));
        // 80 hours / 20 hours per week is 4 weeks: 28 days.
        assert_eq!(hours.canonical_rescale(&rate, true), (7, 1));
        // Rates times numbers, and money per hour times hours, need nothing.
        assert_eq!(rate.canonical_rescale(&none, false), (1, 1));
        let money_per_hour = unit(&t, "GBP", Some("hour")).dimension;
        assert_eq!(money_per_hour.canonical_rescale(&hours, false), (1, 1));
        let money_per_year = unit(&t, "GBP", Some("year")).dimension;
        let months = unit(&t, "months", None).dimension;
        assert_eq!(money_per_year.canonical_rescale(&months, false), (1, 12));
    }
}
