//! Type checking: binds every name in every expression, gives every value a type and a unit,
//! and elaborates the checked contract into IR fragments.
//!
//! Owns: the type and unit rules (hours are not hours per week, GBP is not EUR, a date plus
//! a bare number means nothing, a month is not a number of days), exhaustiveness of
//! `pays by`, optional values, which event a condition is about, cycles between definitions,
//! and the well-formedness of contract dates, bands, periods and tests.
//!
//! It never stops at the first error: a bad expression gets the type `Error`, which is
//! compatible with everything, so one mistake produces one diagnostic.

use crate::diagnostic::*;
use crate::ir;
use crate::resolve::{Declared, Names, Program};
use crate::source::Span;
use crate::syntax::ast;
use crate::units::{Base, Dimension, Unit, UnitTable};
use jiff::civil::Date;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The type of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int,
    Bounded(i64, i64),
    Decimal,
    Text,
    Date,
    Percent,
    Quantity(Dimension),
    Enum(String),
    Optional(Box<Ty>),
    /// An event named on its own (`offence`): "any record of this event".
    Event(String),
    /// The type of an expression that already has an error: compatible with everything.
    Error,
}

impl Ty {
    fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Bounded(..) | Ty::Decimal | Ty::Error)
    }

    fn is_integer(&self) -> bool {
        matches!(self, Ty::Int | Ty::Bounded(..))
    }

    fn is_date(&self) -> bool {
        matches!(self, Ty::Date | Ty::Error)
    }

    fn to_ir(&self) -> ir::Type {
        match self {
            Ty::Bool | Ty::Event(_) | Ty::Error => ir::Type::Bool,
            Ty::Int => ir::Type::Int,
            Ty::Bounded(lo, hi) => ir::Type::Bounded { min: *lo, max: *hi },
            Ty::Decimal => ir::Type::Decimal,
            Ty::Text => ir::Type::Text,
            Ty::Date => ir::Type::Date,
            Ty::Percent => ir::Type::Percent,
            Ty::Quantity(d) => ir::Type::Quantity { unit: d.canonical_unit() },
            Ty::Enum(name) => ir::Type::Enum { name: name.clone() },
            Ty::Optional(inner) => ir::Type::Optional { of: Box::new(inner.to_ir()) },
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => write!(f, "a yes/no value"),
            Ty::Int => write!(f, "a whole number"),
            Ty::Bounded(lo, hi) => write!(f, "a whole number from {lo} to {hi}"),
            Ty::Decimal => write!(f, "a number"),
            Ty::Text => write!(f, "text"),
            Ty::Date => write!(f, "a date"),
            Ty::Percent => write!(f, "a percentage"),
            Ty::Quantity(d) if d.is_money() => write!(f, "an amount in {d}"),
            Ty::Quantity(d) => write!(f, "{d}"),
            Ty::Enum(name) => write!(f, "a `{name}`"),
            Ty::Optional(inner) => write!(f, "{inner}, or nothing"),
            Ty::Event(name) => write!(f, "records of `{name}`"),
            Ty::Error => write!(f, "an unknown type"),
        }
    }
}

/// The checked contract: IR fragments, with the defaults not yet filled in (`lower` does).
#[derive(Debug, Default)]
pub struct Checked {
    pub header: Option<Header>,
    pub participant: Option<ir::Participant>,
    pub enums: Vec<ir::Enum>,
    pub events: Vec<ir::Event>,
    pub definitions: Vec<ir::Definition>,
    pub outcomes: Vec<CheckedOutcome>,
    pub cohort_outcomes: Vec<ir::CohortOutcome>,
    pub highest_of: Vec<ir::Exclusion>,
    pub tests: Vec<CheckedTest>,
}

#[derive(Debug)]
pub struct Header {
    pub name: String,
    pub currency: String,
    pub achievable: (Date, Date),
    pub claims_close: Date,
    pub total_cap: Option<Decimal>,
    pub participant_cap: Option<Decimal>,
    pub rounding: Option<(ir::RoundingMode, Decimal)>,
    pub holidays: Option<String>,
    pub span: ir::Span,
}

#[derive(Debug)]
pub struct CheckedOutcome {
    pub name: String,
    pub title: Option<String>,
    pub docs: Vec<String>,
    pub eligible: Option<ir::Expr>,
    pub condition: ir::Condition,
    pub payment: ir::Payment,
    pub requires: Vec<String>,
    pub excludes: Vec<(String, ir::Span)>,
    pub repeats: Option<u32>,
    pub caps: ir::OutcomeCaps,
    pub claim_within: Option<ir::Quantity>,
    pub span: ir::Span,
}

#[derive(Debug)]
pub struct CheckedTest {
    pub name: String,
    pub as_of: Option<String>,
    pub participant: Vec<ir::TestValue>,
    pub events: Vec<ir::TestEvent>,
    pub expects: Vec<ir::TestExpectation>,
    pub span: ir::Span,
}

/// Checks a loaded program. Returns what could be checked, and every diagnostic.
pub fn check(program: &Program, names: &Names) -> (Checked, Vec<Diagnostic>) {
    let mut checker = Checker::new(program, names);
    checker.run();
    (checker.out, checker.diagnostics)
}

const BUILTINS: &[(&str, usize)] =
    &[("age", 2), ("start_of_month", 1), ("end_of_month", 1), ("start_of_year", 1)];

const BUILTIN_SIGNATURES: &[(&str, &str)] = &[
    ("age", "age(born, on)"),
    ("start_of_month", "start_of_month(date)"),
    ("end_of_month", "end_of_month(date)"),
    ("start_of_year", "start_of_year(date)"),
];

pub const SIGNIFICANCE_TESTS: &[&str] = &[
    "two_proportion_z_test",
    "welch_t_test",
    "mann_whitney_u_test",
    "fisher_exact_test",
    "permutation_test",
];

#[derive(Clone, Debug)]
struct FieldInfo {
    ty: Ty,
    span: Span,
}

#[derive(Clone, Debug)]
struct EventInfo {
    fields: BTreeMap<String, FieldInfo>,
    order: Vec<String>,
    span: Span,
    spell: bool,
}

#[derive(Clone, Debug)]
struct EnumInfo {
    cases: Vec<String>,
    span: Span,
    /// For bands: the type of value classified.
    bands_of: Option<Ty>,
}

#[derive(Clone, Debug)]
enum LetState {
    Pending,
    InProgress,
    Done { ty: Ty, params: Vec<Ty>, events: BTreeSet<String> },
}

/// Where an expression is checked: in which module, with which parameters, for which
/// outcome.
#[derive(Clone, Default)]
struct Scope {
    module: usize,
    params: Vec<(String, Ty)>,
    /// The outcomes the current outcome requires, transitively: their dates may be read.
    requires: Option<BTreeSet<String>>,
    /// An aggregate may leave out its window (inside a period condition).
    unwindowed_aggregates: bool,
    /// In a payment: the outcome being paid, whose own date may be read (prices by period).
    paying_for: Option<String>,
}

struct Checker<'a> {
    program: &'a Program,
    names: &'a Names,
    diagnostics: Vec<Diagnostic>,
    out: Checked,
    units: UnitTable,
    currency: Option<String>,
    participant: Option<BTreeMap<String, FieldInfo>>,
    participant_order: Vec<String>,
    events: BTreeMap<String, EventInfo>,
    enums: BTreeMap<String, EnumInfo>,
    lets: BTreeMap<String, LetState>,
    /// Events whose fields the expression being checked reads.
    events_read: BTreeSet<String>,
    /// While pricing a cohort outcome: what its tiers are compared with.
    tier_type: Option<Ty>,
    /// The type of the cohort measure last checked.
    measure_type: Option<Ty>,
    /// Errors not reported because a syntax error already explains them (a name declared by
    /// an item that did not parse): counted so that checks that follow stay quiet too.
    quiet_errors: usize,
    individual_outcomes: BTreeMap<String, Vec<String>>,
    cohort_outcomes: BTreeSet<String>,
}

impl<'a> Checker<'a> {
    fn new(program: &'a Program, names: &'a Names) -> Checker<'a> {
        Checker {
            program,
            names,
            diagnostics: Vec::new(),
            out: Checked::default(),
            units: UnitTable::default(),
            currency: None,
            participant: None,
            participant_order: Vec::new(),
            events: BTreeMap::new(),
            enums: BTreeMap::new(),
            lets: BTreeMap::new(),
            events_read: BTreeSet::new(),
            tier_type: None,
            measure_type: None,
            quiet_errors: 0,
            individual_outcomes: BTreeMap::new(),
            cohort_outcomes: BTreeSet::new(),
        }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Whether an item that failed to parse declared this name (or, for a keyword such as
    /// `contract`, was of this kind): its absence is already explained by the syntax error.
    fn broken(&self, name_or_keyword: &str) -> bool {
        self.program.modules.iter().flat_map(|m| &m.ast.broken).any(|b| {
            b.name.as_deref() == Some(name_or_keyword) || (b.name.is_none() && b.keyword == name_or_keyword)
        })
    }

    fn ir_span(&self, span: Span) -> ir::Span {
        let (line, column) = self.program.sources.get(span.file).line_col(span.start as usize);
        ir::Span {
            file: span.file.0,
            start: span.start,
            end: span.end,
            line: line as u32,
            column: column as u32,
        }
    }

    fn items(&self, module: usize) -> &'a [ast::Item] {
        &self.program.modules[module].ast.items
    }

    fn qualified(&self, module: usize, name: &str) -> String {
        format!("{}{name}", self.program.modules[module].prefix)
    }

    fn run(&mut self) {
        // Declarations first, in dependency order: units, enums and bands, then the header,
        // participant and events, then definitions, then what uses them.
        for m in 0..self.program.modules.len() {
            for item in self.items(m) {
                if let ast::ItemKind::Unit(u) = &item.kind {
                    self.units.declare(&u.singular.name, u.plural.as_ref().map(|p| p.name.as_str()));
                }
            }
        }
        for m in 0..self.program.modules.len() {
            for item in self.items(m) {
                match &item.kind {
                    ast::ItemKind::Enum(e) => self.enum_decl(m, item, e),
                    ast::ItemKind::Bands(b) => self.bands_decl(m, item, b),
                    _ => {}
                }
            }
        }
        self.header();
        self.participant_decl();
        for item in self.items(0) {
            if let ast::ItemKind::Event(e) = &item.kind {
                self.event_decl(item, e);
            }
        }
        for m in 0..self.program.modules.len() {
            for item in self.items(m) {
                if let ast::ItemKind::Let(l) = &item.kind {
                    self.lets.insert(self.qualified(m, &l.name.name), LetState::Pending);
                }
            }
        }
        for item in self.items(0) {
            match &item.kind {
                ast::ItemKind::Outcome(o) => {
                    let requires = o
                        .clauses
                        .iter()
                        .filter_map(|c| match &c.kind {
                            ast::OutcomeClauseKind::Requires(list) => {
                                Some(list.iter().map(|i| i.name.clone()))
                            }
                            _ => None,
                        })
                        .flatten()
                        .collect();
                    self.individual_outcomes.insert(o.name.name.clone(), requires);
                }
                ast::ItemKind::Cohort(c) => {
                    self.cohort_outcomes.insert(c.name.name.clone());
                }
                _ => {}
            }
        }
        for m in 0..self.program.modules.len() {
            for item in self.items(m) {
                if let ast::ItemKind::Let(l) = &item.kind {
                    self.ensure_let(m, l, None);
                }
            }
        }
        for item in self.items(0) {
            match &item.kind {
                ast::ItemKind::Outcome(o) => self.outcome(item, o),
                ast::ItemKind::Cohort(c) => self.cohort(item, c),
                ast::ItemKind::Highest(h) => self.highest(item, h),
                ast::ItemKind::Test(t) => self.test(item, t),
                _ => {}
            }
        }
    }

    // ------------------------------------------------------------ declarations

    fn enum_decl(&mut self, m: usize, item: &ast::Item, e: &ast::EnumDecl) {
        let mut cases: Vec<String> = Vec::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for case in &e.cases {
            if let Some(first) = seen.get(case.name.name.as_str()) {
                self.error(
                    Diagnostic::error(E_DUPLICATE, format!("case `{}` is listed twice", case.name.name))
                        .at(case.name.span, "listed again here")
                        .also(*first, "first listed here"),
                );
                continue;
            }
            seen.insert(&case.name.name, case.name.span);
            cases.push(case.name.name.clone());
        }
        let name = self.qualified(m, &e.name.name);
        self.enums.insert(name.clone(), EnumInfo { cases: cases.clone(), span: e.name.span, bands_of: None });
        self.out.enums.push(ir::Enum {
            name,
            cases,
            bands: None,
            docs: item.docs.clone(),
            span: self.ir_span(item.span),
        });
    }

    fn bands_decl(&mut self, m: usize, item: &ast::Item, b: &ast::BandsDecl) {
        let (of, _) = self.type_expr(m, &b.of);
        if !matches!(of, Ty::Quantity(_) | Ty::Int | Ty::Decimal | Ty::Error) {
            self.error(
                Diagnostic::error(E_TYPE_MISMATCH, format!("bands classify numbers, not {of}"))
                    .at(b.of.span, "expected a number or a quantity such as `hours per week`"),
            );
        }
        let mut ir_bands = Vec::new();
        let mut previous: Option<&ast::Band> = None;
        for (i, band) in b.bands.iter().enumerate() {
            if let (Some(from), Some(to)) = (band.from, band.to) {
                if from >= to {
                    self.error(
                        Diagnostic::error(
                            E_BANDS,
                            format!("band `{}` is empty: {from} is not below {to}", band.name.name),
                        )
                        .at(band.span, "the lower bound must be below the upper bound")
                        .note("a band includes its lower bound and excludes its upper bound"),
                    );
                }
            }
            if band.from.is_none() && i > 0 {
                self.error(
                    Diagnostic::error(
                        E_BANDS,
                        format!("band `{}` has no lower bound but is not the first", band.name.name),
                    )
                    .at(band.span, "only the first band can be `below` a value"),
                );
            }
            if band.to.is_none() && i + 1 < b.bands.len() {
                self.error(
                    Diagnostic::error(
                        E_BANDS,
                        format!("band `{}` has no upper bound but is not the last", band.name.name),
                    )
                    .at(band.span, "only the last band can be open-ended"),
                );
            }
            if let Some(prev) = previous {
                if let (Some(prev_to), Some(from)) = (prev.to, band.from) {
                    if from != prev_to {
                        let (what, help) = if from > prev_to {
                            ("leave a gap", format!("values from {prev_to} up to {from} fall in no band"))
                        } else {
                            ("overlap", format!("values from {from} up to {prev_to} fall in both bands"))
                        };
                        self.error(
                            Diagnostic::error(E_BANDS, format!("bands `{}` and `{}` {what}", prev.name.name, band.name.name))
                                .at(band.span, format!("this band starts at {from}"))
                                .also(prev.span, format!("the band before ends at {prev_to}"))
                                .note(help)
                                .help(format!(
                                    "end `{}` at {from}, or start `{}` at {prev_to}: a band includes its lower bound and excludes its upper bound",
                                    prev.name.name, band.name.name
                                )),
                        );
                    }
                }
            }
            previous = Some(band);
            ir_bands.push(ir::Band { case: band.name.name.clone(), from: band.from, to: band.to });
        }
        let name = self.qualified(m, &b.name.name);
        let cases: Vec<String> = b.bands.iter().map(|x| x.name.name.clone()).collect();
        self.enums.insert(
            name.clone(),
            EnumInfo { cases: cases.clone(), span: b.name.span, bands_of: Some(of.clone()) },
        );
        self.out.enums.push(ir::Enum {
            name,
            cases,
            bands: Some(ir::Bands { of: of.to_ir(), bands: ir_bands }),
            docs: item.docs.clone(),
            span: self.ir_span(item.span),
        });
    }

    /// A declared type; also returns the input unit and factor for quantities not in their
    /// canonical unit.
    fn type_expr(&mut self, m: usize, t: &ast::TypeExpr) -> (Ty, Option<(String, Decimal)>) {
        let (ty, input) = match &t.kind {
            ast::TypeExprKind::Bounded { lo, hi } => {
                if lo > hi {
                    self.error(
                        Diagnostic::error(E_EMPTY_RANGE, format!("the range {lo}..{hi} holds no value"))
                            .at(t.span, "the lower bound is above the upper bound")
                            .help(format!("write `{hi}..{lo}`")),
                    );
                }
                (Ty::Bounded(*lo, *hi), None)
            }
            ast::TypeExprKind::Named(u) => {
                if u.denominator.is_none() {
                    let word = u.numerator.name.as_str();
                    let builtin = match word {
                        "date" => Some(Ty::Date),
                        "int" => Some(Ty::Int),
                        "decimal" => Some(Ty::Decimal),
                        "text" => Some(Ty::Text),
                        "bool" => Some(Ty::Bool),
                        "percent" => Some(Ty::Percent),
                        _ => None,
                    };
                    if let Some(ty) = builtin {
                        return (self.optional(ty, t), None);
                    }
                    if let Some(name) = self.enum_named(m, word) {
                        return (self.optional(Ty::Enum(name), t), None);
                    }
                }
                match self.unit(u) {
                    Some(unit) => {
                        let input = (unit.factor != Decimal::ONE).then(|| (u.text(), unit.factor));
                        (Ty::Quantity(unit.dimension), input)
                    }
                    None => (Ty::Error, None),
                }
            }
        };
        (self.optional(ty, t), input)
    }

    fn optional(&self, ty: Ty, t: &ast::TypeExpr) -> Ty {
        if t.optional && !matches!(ty, Ty::Optional(_)) { Ty::Optional(Box::new(ty)) } else { ty }
    }

    fn enum_named(&self, m: usize, word: &str) -> Option<String> {
        let q = self.qualified(m, word);
        if self.enums.contains_key(&q) {
            return Some(q);
        }
        None
    }

    /// Resolves a unit expression, reporting unknown words.
    fn unit(&mut self, u: &ast::UnitExpr) -> Option<Unit> {
        let numerator = if u.working {
            if !matches!(u.numerator.name.as_str(), "day" | "days") {
                self.error(
                    Diagnostic::error(
                        E_UNKNOWN_UNIT,
                        format!("`working {}` is not a unit", u.numerator.name),
                    )
                    .at(u.span, "only days can be working days")
                    .help("write `working days`"),
                );
                return None;
            }
            UnitTable::working_days()
        } else {
            self.unit_word(&u.numerator)?
        };
        let denominator = match &u.denominator {
            Some(d) => Some(self.unit_word(d)?),
            None => None,
        };
        Some(Unit::new(&numerator, denominator.as_ref()))
    }

    fn unit_word(&mut self, word: &ast::Ident) -> Option<crate::units::UnitWord> {
        if let Some(w) = self.units.word(&word.name) {
            return Some(w);
        }
        let mut candidates = self.units.known_words();
        candidates.extend(["date", "int", "decimal", "text", "bool", "percent"].map(String::from));
        candidates.extend(crate::units::CURRENCIES.iter().map(|c| c.to_string()));
        candidates.extend(self.enums.keys().cloned());
        let mut d = Diagnostic::error(E_UNKNOWN_UNIT, format!("unknown unit or type `{}`", word.name))
            .at(word.span, "not a unit, a type or an enum known here");
        let abbreviation = match word.name.as_str() {
            "h" | "hr" | "hrs" => Some("hours"),
            "d" => Some("days"),
            "wk" | "wks" | "w" => Some("weeks"),
            "m" | "mo" | "mos" | "mth" | "mths" => Some("months"),
            "y" | "yr" | "yrs" => Some("years"),
            "pw" => Some("per week"),
            _ => None,
        };
        if let Some(full) = abbreviation
            .map(str::to_string)
            .or_else(|| suggest(&word.name, candidates.iter().map(|s| s.as_str())))
        {
            d = d.help(format!("did you mean `{full}`?"));
        } else {
            d = d.help(format!(
                "use hours, days, weeks, months, years or a currency code, or declare a unit of the contract's own with `unit {}`",
                word.name
            ));
        }
        self.error(d);
        None
    }

    fn parse_date(&mut self, d: &ast::DateLit) -> Option<Date> {
        match d.text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                let mut diag =
                    Diagnostic::error(E_BAD_DATE, format!("{} is not a date in the calendar", d.text))
                        .at(d.span, "this day does not exist");
                if d.text.ends_with("-02-29") {
                    diag = diag.note(format!("{} is not a leap year", &d.text[..4]));
                }
                self.error(diag);
                None
            }
        }
    }

    fn header(&mut self) {
        let headers: Vec<&ast::Item> =
            self.items(0).iter().filter(|i| matches!(i.kind, ast::ItemKind::Contract(_))).collect();
        if headers.len() > 1 {
            self.error(
                Diagnostic::error(
                    E_CONTRACT_HEADER,
                    "a file holds one contract, and this one has two headers",
                )
                .at(headers[1].span, "second contract header")
                .also(headers[0].span, "first contract header")
                .help("put each contract in its own file"),
            );
        }
        let Some(item) = headers.first() else {
            if self.broken("contract") {
                return;
            }
            let is_contract = self.items(0).iter().any(|i| {
                matches!(
                    i.kind,
                    ast::ItemKind::Outcome(_) | ast::ItemKind::Cohort(_) | ast::ItemKind::Participant(_)
                )
            });
            if is_contract {
                let file = self.program.modules[0].file;
                self.error(
                    Diagnostic::error(E_CONTRACT_HEADER, "this contract has no header")
                        .at(Span::new(file, 0, 0), "expected `contract \"...\" { ... }` in this file")
                        .help("add a header: contract \"Name\" { currency GBP  outcomes achievable from 2025-04-01 to 2028-03-31  claims close 2028-09-30 }"),
                );
            }
            return;
        };
        let ast::ItemKind::Contract(h) = &item.kind else { return };
        let mut seen: BTreeMap<&'static str, Span> = BTreeMap::new();
        for entry in &h.entries {
            let what = entry.kind.describe();
            if let Some(first) = seen.get(what) {
                self.error(
                    Diagnostic::error(E_CONTRACT_HEADER, format!("the {what} is given twice"))
                        .at(entry.span, "given again here")
                        .also(*first, "first given here"),
                );
            } else {
                seen.insert(what, entry.span);
            }
        }
        let mut currency = None;
        for entry in &h.entries {
            if let ast::ContractEntryKind::Currency(c) = &entry.kind {
                if crate::units::is_currency_code(&c.name) {
                    currency = Some(c.name.clone());
                } else {
                    let mut d = Diagnostic::error(
                        E_UNKNOWN_UNIT,
                        format!("`{}` is not a currency code payable knows", c.name),
                    )
                    .at(c.span, "expected an ISO 4217 code such as `GBP`");
                    if let Some(s) = suggest(&c.name, crate::units::CURRENCIES.iter().copied()) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                }
            }
        }
        self.currency = currency.clone();
        let mut achievable = None;
        let mut claims_close = None;
        let mut total_cap = None;
        let mut participant_cap = None;
        let mut rounding = None;
        let mut holidays = None;
        let mut achievable_span = None;
        for entry in &h.entries {
            match &entry.kind {
                ast::ContractEntryKind::Currency(_) => {}
                ast::ContractEntryKind::Holidays(calendar) => {
                    if ir::HOLIDAY_CALENDARS.contains(&calendar.name.as_str()) {
                        holidays = Some(calendar.name.clone());
                    } else {
                        let mut d = Diagnostic::error(
                            E_UNKNOWN_NAME,
                            format!("payable has no bank-holiday calendar `{}`", calendar.name),
                        )
                        .at(calendar.span, "not a known calendar")
                        .note(format!("the calendars are: {}", ir::HOLIDAY_CALENDARS.join(", ")));
                        if let Some(x) = suggest(&calendar.name, ir::HOLIDAY_CALENDARS.iter().copied()) {
                            d = d.help(format!("did you mean `{x}`?"));
                        }
                        self.error(d);
                    }
                }
                ast::ContractEntryKind::Achievable { from, to } => {
                    achievable_span = Some(entry.span);
                    if let (Some(a), Some(b)) = (self.parse_date(from), self.parse_date(to)) {
                        if a > b {
                            self.error(
                                Diagnostic::error(
                                    E_BAD_PERIOD,
                                    "the achievable period ends before it starts",
                                )
                                .at(to.span, format!("{b} is before {a}"))
                                .also(from.span, "the period starts here"),
                            );
                        }
                        achievable = Some((a, b));
                    }
                }
                ast::ContractEntryKind::ClaimsClose(d) => {
                    claims_close = self.parse_date(d).map(|x| (x, d.span));
                }
                ast::ContractEntryKind::TotalCap(q) => total_cap = self.money(q, "the total cap"),
                ast::ContractEntryKind::ParticipantCap(q) => {
                    participant_cap = self.money(q, "the cap per participant")
                }
                ast::ContractEntryKind::Rounding { mode, increment } => {
                    let mode = match mode {
                        ast::RoundingMode::HalfUp => ir::RoundingMode::HalfUp,
                        ast::RoundingMode::HalfEven => ir::RoundingMode::HalfEven,
                        ast::RoundingMode::Down => ir::RoundingMode::Down,
                        ast::RoundingMode::Up => ir::RoundingMode::Up,
                    };
                    if let Some(inc) = self.money(increment, "the rounding increment") {
                        if inc <= Decimal::ZERO {
                            self.error(
                                Diagnostic::error(
                                    E_TYPE_MISMATCH,
                                    "payments cannot be rounded to a multiple of zero",
                                )
                                .at(increment.span, "expected a positive amount such as `0.01 GBP`"),
                            );
                        }
                        rounding = Some((mode, inc));
                    }
                }
            }
        }
        if let (Some((_, end)), Some((close, close_span))) = (achievable, claims_close) {
            if close < end {
                let mut d =
                    Diagnostic::error(E_BAD_PERIOD, "claims close before outcomes stop being achievable")
                        .at(close_span, format!("claims close on {close}"))
                        .note(format!(
                            "outcomes achieved from {} to {end} could never be claimed",
                            close.tomorrow().unwrap_or(close)
                        ));
                if let Some(span) = achievable_span {
                    d = d.also(span, format!("outcomes are achievable until {end}"));
                }
                self.error(d);
            }
        }
        let missing: Vec<(&str, &str)> = [
            ("currency", "which currency it pays in", "`currency CODE`, e.g. `currency GBP`"),
            ("achievable period", "when outcomes can be achieved", "`outcomes achievable from DATE to DATE`"),
            ("claims deadline", "when claims close", "`claims close DATE`"),
        ]
        .into_iter()
        .filter(|(key, _, _)| !seen.contains_key(key))
        .map(|(_, what, entry)| (what, entry))
        .collect();
        if !missing.is_empty() {
            let whats: Vec<&str> = missing.iter().map(|(w, _)| *w).collect();
            let entries: Vec<&str> = missing.iter().map(|(_, e)| *e).collect();
            self.error(
                Diagnostic::error(
                    E_CONTRACT_HEADER,
                    format!("the contract header does not say {}", whats.join(", or ")),
                )
                .at(item.span, "in this header")
                .help(format!("add {}", entries.join(" and "))),
            );
        }
        if let (Some(currency), Some(achievable), Some((claims_close, _))) =
            (currency, achievable, claims_close)
        {
            self.out.header = Some(Header {
                name: h.name.clone(),
                currency,
                achievable,
                claims_close,
                total_cap,
                participant_cap,
                rounding,
                holidays,
                span: self.ir_span(item.span),
            });
        }
    }

    /// An amount of money in the contract currency, as written in a header or cap.
    fn money(&mut self, q: &ast::Quantity, what: &str) -> Option<Decimal> {
        let ty = self.quantity_type(q);
        match self.expect_money(&ty, q.span, what) {
            true => Some(q.value.normalize()),
            false => None,
        }
    }

    /// Reports unless `ty` is money in the contract currency.
    fn expect_money(&mut self, ty: &Ty, span: Span, what: &str) -> bool {
        match ty {
            Ty::Error => false,
            Ty::Quantity(d) if d.is_money() => {
                let code = d.currency().unwrap_or_default().to_string();
                match &self.currency {
                    Some(c) if *c != code => {
                        self.error(
                            Diagnostic::error(
                                E_CURRENCY_MISMATCH,
                                format!("{what} is in {code}, but the contract pays in {c}"),
                            )
                            .at(span, format!("an amount in {code}"))
                            .help(format!("write the amount in {c}: payable never converts currencies")),
                        );
                        false
                    }
                    _ => true,
                }
            }
            other => {
                let currency = self.currency.clone().unwrap_or_else(|| "GBP".into());
                self.error(
                    Diagnostic::error(E_NOT_MONEY, format!("{what} must be an amount of money, not {other}"))
                        .at(span, format!("expected an amount such as `1_000 {currency}`"))
                        .help(format!("add the currency: `... {currency}`")),
                );
                false
            }
        }
    }

    fn quantity_type(&mut self, q: &ast::Quantity) -> Ty {
        match &q.unit {
            None if q.value.fract().is_zero() && q.value.scale() == 0 => Ty::Int,
            None => Ty::Decimal,
            Some(u) => match self.unit(u) {
                Some(unit) if unit.dimension.is_dimensionless() => Ty::Decimal,
                Some(unit) => Ty::Quantity(unit.dimension),
                None => Ty::Error,
            },
        }
    }

    fn participant_decl(&mut self) {
        let decls: Vec<&ast::Item> =
            self.items(0).iter().filter(|i| matches!(i.kind, ast::ItemKind::Participant(_))).collect();
        if decls.len() > 1 {
            self.error(
                Diagnostic::error(E_PARTICIPANTS, "participants are declared twice")
                    .at(decls[1].span, "second declaration")
                    .also(decls[0].span, "first declaration")
                    .help("put every participant field in one `participant { ... }`"),
            );
        }
        let Some(item) = decls.first() else {
            if self.broken("participant") {
                return;
            }
            let has_outcomes = self
                .items(0)
                .iter()
                .any(|i| matches!(i.kind, ast::ItemKind::Outcome(_) | ast::ItemKind::Cohort(_)));
            if has_outcomes {
                let file = self.program.modules[0].file;
                self.error(
                    Diagnostic::error(E_PARTICIPANTS, "this contract does not declare its participants")
                        .at(Span::new(file, 0, 0), "expected `participant { ... }` in this file")
                        .help("declare what is known of each participant, e.g. `participant { born: date  referred: date }`"),
                );
            }
            return;
        };
        let ast::ItemKind::Participant(p) = &item.kind else { return };
        let (fields, order, ir_fields) = self.fields(&p.fields);
        self.participant = Some(fields);
        self.participant_order = order;
        self.out.participant = Some(ir::Participant {
            noun: p.noun.clone().unwrap_or_else(|| "participant".to_string()),
            fields: ir_fields,
        });
    }

    fn fields(
        &mut self,
        decls: &[ast::FieldDecl],
    ) -> (BTreeMap<String, FieldInfo>, Vec<String>, Vec<ir::Field>) {
        let mut fields: BTreeMap<String, FieldInfo> = BTreeMap::new();
        let mut order = Vec::new();
        let mut ir_fields = Vec::new();
        for f in decls {
            if let Some(first) = fields.get(&f.name.name) {
                self.error(
                    Diagnostic::error(
                        E_DUPLICATE_FIELD,
                        format!("field `{}` is declared twice", f.name.name),
                    )
                    .at(f.name.span, "declared again here")
                    .also(first.span, "first declared here"),
                );
                continue;
            }
            let (ty, input) = self.type_expr(0, &f.ty);
            fields.insert(f.name.name.clone(), FieldInfo { ty: ty.clone(), span: f.name.span });
            order.push(f.name.name.clone());
            ir_fields.push(ir::Field {
                name: f.name.name.clone(),
                ty: ty.to_ir(),
                input_unit: input.as_ref().map(|(u, _)| u.clone()),
                input_factor: input.map(|(_, f)| f).unwrap_or(Decimal::ONE),
                docs: f.docs.clone(),
                span: self.ir_span(f.span),
            });
        }
        (fields, order, ir_fields)
    }

    fn event_decl(&mut self, item: &ast::Item, e: &ast::EventDecl) {
        let (fields, order, ir_fields) = self.fields(&e.fields);
        let date_field = |name: &str| fields.get(name).map(|f| f.ty.clone());
        let timing = match (date_field("on"), date_field("from"), date_field("to")) {
            (Some(Ty::Date), None, None) => Some((ir::Timing::Point { on: "on".into() }, false)),
            (None, Some(Ty::Date), Some(Ty::Date)) => {
                Some((ir::Timing::Spell { from: "from".into(), to: "to".into(), open_ended: false }, true))
            }
            (None, Some(Ty::Date), Some(Ty::Optional(inner))) if *inner == Ty::Date => {
                Some((ir::Timing::Spell { from: "from".into(), to: "to".into(), open_ended: true }, true))
            }
            _ => None,
        };
        let Some((timing, spell)) = timing else {
            self.error(
                Diagnostic::error(E_EVENT_WITHOUT_DATE, format!("event `{}` does not say when it happens", e.name.name))
                    .at(e.name.span, "expected a field `on: date`, or fields `from: date` and `to: date` (or `to: date?`)")
                    .note("a record happens on one day (`on`) or over a spell of days (`from` and `to`, both included); an optional `to` means the spell may still be going on")
                    .help("add `on: date` for something that happens on a day, or `from: date` and `to: date?` for a spell"),
            );
            self.events
                .insert(e.name.name.clone(), EventInfo { fields, order, span: e.name.span, spell: false });
            return;
        };
        self.events.insert(e.name.name.clone(), EventInfo { fields, order, span: e.name.span, spell });
        self.out.events.push(ir::Event {
            name: e.name.name.clone(),
            timing,
            fields: ir_fields,
            evidence: e.evidence.iter().map(|i| i.name.clone()).collect(),
            activity: e.activity,
            docs: item.docs.clone(),
            span: self.ir_span(item.span),
        });
    }

    // ------------------------------------------------------------ definitions

    /// Checks a definition if it has not been checked yet; reports cycles at `used_at`.
    fn ensure_let(
        &mut self,
        m: usize,
        l: &'a ast::LetDecl,
        used_at: Option<Span>,
    ) -> Option<(Ty, Vec<Ty>, BTreeSet<String>)> {
        let name = self.qualified(m, &l.name.name);
        match self.lets.get(&name) {
            Some(LetState::Done { ty, params, events }) => {
                return Some((ty.clone(), params.clone(), events.clone()));
            }
            Some(LetState::InProgress) => {
                let span = used_at.unwrap_or(l.name.span);
                self.error(
                    Diagnostic::error(
                        E_LET_CYCLE,
                        format!("`{}` is defined in terms of itself", l.name.name),
                    )
                    .at(span, "this use needs the value being defined")
                    .also(l.name.span, "defined here")
                    .help("a definition can only use definitions that do not, in turn, use it"),
                );
                return None;
            }
            _ => {}
        }
        self.lets.insert(name.clone(), LetState::InProgress);
        let mut params = Vec::new();
        let mut ir_params = Vec::new();
        for p in l.params.iter().flatten() {
            let (ty, _) = self.type_expr(m, &p.ty);
            ir_params.push(ir::Param { name: p.name.name.clone(), ty: ty.to_ir() });
            params.push((p.name.name.clone(), ty));
        }
        let scope = Scope { module: m, params: params.clone(), ..Scope::default() };
        let saved = std::mem::take(&mut self.events_read);
        let annotated = l.annotation.as_ref().map(|a| self.type_expr(m, a).0);
        let (mut ty, body) = self.expr(&scope, &l.body, annotated.as_ref());
        let events = std::mem::replace(&mut self.events_read, saved);
        if let Some(expected) = &annotated {
            if self.assignable(&ty, expected) {
                ty = expected.clone();
            } else {
                self.mismatch(l.body.span, expected, &ty, "the declared type");
            }
        }
        if m > 0 && (!events.is_empty() || mentions_participant(&l.body)) {
            self.error(
                Diagnostic::error(
                    E_NOT_IN_MODULE,
                    format!("`{}` reads participant or event data inside a module", l.name.name),
                )
                .at(l.body.span, "modules cannot read a contract's data")
                .help("make it a function and pass the values in: `let f(born: date) = ...`"),
            );
        }
        if events.len() > 1 {
            self.error(
                Diagnostic::error(
                    E_AMBIGUOUS_EVENT,
                    format!("`{}` mixes fields of several events", l.name.name),
                )
                .at(l.body.span, format!("reads {}", list_names(&events)))
                .note("a value about one record can only read that record's fields")
                .help("split it into one definition per event"),
            );
        }
        let params_ty: Vec<Ty> = params.iter().map(|(_, t)| t.clone()).collect();
        self.lets.insert(
            name.clone(),
            LetState::Done { ty: ty.clone(), params: params_ty.clone(), events: events.clone() },
        );
        let item =
            self.items(m).iter().find(|i| matches!(&i.kind, ast::ItemKind::Let(x) if std::ptr::eq(x, l)));
        let (docs, span) = item.map(|i| (i.docs.clone(), i.span)).unwrap_or((Vec::new(), l.name.span));
        self.out.definitions.push(ir::Definition {
            name,
            params: ir_params,
            ty: ty.to_ir(),
            event: events.iter().next().cloned(),
            body,
            docs,
            span: self.ir_span(span),
        });
        Some((ty, params_ty, events))
    }

    // ------------------------------------------------------------ expressions

    fn mismatch(&mut self, span: Span, expected: &Ty, found: &Ty, context: &str) {
        if matches!(found, Ty::Error) || matches!(expected, Ty::Error) {
            return;
        }
        if let Ty::Optional(inner) = found {
            if self.assignable(inner, expected) {
                self.optional_unhandled(span, found);
                return;
            }
        }
        let (code, help) = match (expected, found) {
            (Ty::Quantity(a), Ty::Quantity(b)) => unit_mismatch_help(a, b),
            (Ty::Quantity(d), t) if t.is_numeric() => {
                (E_UNIT_MISMATCH, Some(format!("add the unit: `... {}`", d)))
            }
            _ => (E_TYPE_MISMATCH, None),
        };
        let mut d = Diagnostic::error(code, format!("expected {expected} for {context}, found {found}"))
            .at(span, format!("this is {found}"));
        if let Some(h) = help {
            d = d.help(h);
        }
        self.error(d);
    }

    fn optional_unhandled(&mut self, span: Span, ty: &Ty) {
        self.error(
            Diagnostic::error(
                E_OPTIONAL_UNHANDLED,
                "this value may be missing, and the contract does not say what that means",
            )
            .at(span, format!("this is {ty}"))
            .help("say what a missing value means: `value ?? default`, or test it with `value is present`"),
        );
    }

    /// Whether a value of type `found` can stand where `expected` is wanted.
    fn assignable(&self, found: &Ty, expected: &Ty) -> bool {
        match (found, expected) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Int | Ty::Bounded(..), Ty::Int | Ty::Decimal) => true,
            (Ty::Int | Ty::Bounded(..), Ty::Bounded(..)) => true,
            (Ty::Decimal, Ty::Decimal) => true,
            (a, Ty::Optional(b)) => self.assignable(a, b) || a == expected,
            (a, b) => a == b,
        }
    }

    /// Checks an expression. `expected` guides the reading of bare enum cases.
    fn expr(&mut self, scope: &Scope, e: &ast::Expr, expected: Option<&Ty>) -> (Ty, ir::Expr) {
        use ast::ExprKind as K;
        match &e.kind {
            K::Quantity(q) => {
                let ty = self.quantity_type(q);
                let ir = match &ty {
                    Ty::Int => ir::Expr::Int { value: decimal_to_i64(q.value) },
                    Ty::Quantity(d) => {
                        let factor =
                            q.unit.as_ref().and_then(|u| self.units_factor(u)).unwrap_or(Decimal::ONE);
                        ir::Expr::Quantity { value: (q.value * factor).normalize(), unit: d.canonical_unit() }
                    }
                    _ => ir::Expr::Decimal { value: q.value.normalize() },
                };
                (ty, ir)
            }
            K::Percent(v) => (Ty::Percent, ir::Expr::Percent { value: v.normalize() }),
            K::Date(d) => match self.parse_date(d) {
                Some(date) => (Ty::Date, ir::Expr::Date { value: date.to_string() }),
                None => (Ty::Error, ir::Expr::Date { value: d.text.clone() }),
            },
            K::Text(t) => (Ty::Text, ir::Expr::Text { value: t.clone() }),
            K::Bool(b) => (Ty::Bool, ir::Expr::Bool { value: *b }),
            K::Path(path) => self.path(scope, path, e.span, expected),
            K::Call { callee, args } => self.call(scope, callee, args, e.span),
            K::MinMax { max, args } => {
                let mut ty = Ty::Error;
                let mut ir_args = Vec::new();
                for a in args {
                    let (t, x) = self.expr(scope, a, expected);
                    if matches!(ty, Ty::Error) {
                        ty = t;
                    } else if !self.comparable(&ty, &t) {
                        self.mismatch(a.span, &ty, &t, if *max { "`max`" } else { "`min`" });
                    } else if matches!(t, Ty::Decimal) {
                        ty = Ty::Decimal;
                    }
                    ir_args.push(x);
                }
                let function = if *max { "max" } else { "min" }.to_string();
                (widen(ty), ir::Expr::Builtin { function, args: ir_args })
            }
            K::Unary { op, operand } => {
                let (t, x) = self.expr(scope, operand, None);
                match op {
                    ast::UnaryOp::Not => {
                        self.expect(operand.span, &Ty::Bool, &t, "`not`");
                        (Ty::Bool, ir::Expr::Not { operand: Box::new(x) })
                    }
                    ast::UnaryOp::Neg => {
                        if !(t.is_numeric() || matches!(t, Ty::Quantity(_) | Ty::Percent)) {
                            self.mismatch(operand.span, &Ty::Decimal, &t, "`-`");
                        }
                        (widen(t), ir::Expr::Neg { operand: Box::new(x) })
                    }
                }
            }
            K::Binary { op, lhs, rhs } => self.binary(scope, *op, lhs, rhs, e.span),
            K::Compare { op, lhs, rhs } => {
                let (lt, lx) = self.expr(scope, lhs, None);
                let (rt, rx) = self.expr(scope, rhs, Some(&lt));
                self.compare(*op, (lhs, &lt), (rhs, &rt));
                (Ty::Bool, ir::Expr::Compare { operator: cmp(*op), lhs: Box::new(lx), rhs: Box::new(rx) })
            }
            K::Coalesce { value, default } => {
                let (vt, vx) = self.expr(scope, value, None);
                let inner = match vt {
                    Ty::Optional(inner) => *inner,
                    Ty::Error => Ty::Error,
                    other => {
                        self.error(
                            Diagnostic::error(
                                E_TYPE_MISMATCH,
                                "`??` gives a value for when one is missing, but this one never is",
                            )
                            .at(value.span, format!("this is {other}, always present"))
                            .help("remove `?? ...`"),
                        );
                        other
                    }
                };
                let (dt, dx) = self.expr(scope, default, Some(&inner));
                if !self.assignable(&dt, &inner) {
                    self.mismatch(default.span, &inner, &dt, "the value used when it is missing");
                }
                (inner, ir::Expr::Coalesce { value: Box::new(vx), default: Box::new(dx) })
            }
            K::Presence { value, present } => {
                let (vt, vx) = self.expr(scope, value, None);
                if !matches!(vt, Ty::Optional(_) | Ty::Error) {
                    self.error(
                        Diagnostic::error(E_TYPE_MISMATCH, "this value is never missing")
                            .at(value.span, format!("this is {vt}, always present"))
                            .help("only optional fields (declared with `?`) can be missing"),
                    );
                }
                let test = ir::Expr::IsPresent { value: Box::new(vx) };
                let x = if *present { test } else { ir::Expr::Not { operand: Box::new(test) } };
                (Ty::Bool, x)
            }
            K::If { cond, then, otherwise } => {
                let (ct, cx) = self.expr(scope, cond, Some(&Ty::Bool));
                self.expect(cond.span, &Ty::Bool, &ct, "the condition of `if`");
                let (tt, tx) = self.expr(scope, then, expected);
                let (ot, ox) = self.expr(scope, otherwise, Some(&tt));
                let ty = if self.assignable(&ot, &tt) {
                    tt
                } else if self.assignable(&tt, &ot) {
                    ot
                } else {
                    self.mismatch(
                        otherwise.span,
                        &tt,
                        &ot,
                        "the `else` branch (it must match the `then` branch)",
                    );
                    Ty::Error
                };
                (ty, ir::Expr::If { condition: Box::new(cx), then: Box::new(tx), otherwise: Box::new(ox) })
            }
            K::Aggregate(a) => self.aggregate(scope, a, e.span),
        }
    }

    fn units_factor(&mut self, u: &ast::UnitExpr) -> Option<Decimal> {
        let num = if u.working { UnitTable::working_days() } else { self.units.word(&u.numerator.name)? };
        let den = match &u.denominator {
            Some(d) => Some(self.units.word(&d.name)?),
            None => None,
        };
        Some(Unit::new(&num, den.as_ref()).factor)
    }

    fn expect(&mut self, span: Span, expected: &Ty, found: &Ty, context: &str) -> bool {
        if self.assignable(found, expected) {
            true
        } else {
            self.mismatch(span, expected, found, context);
            false
        }
    }

    fn comparable(&self, a: &Ty, b: &Ty) -> bool {
        match (a, b) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (x, y) if x.is_numeric() && y.is_numeric() => true,
            (x, y) => x == y,
        }
    }

    fn compare(&mut self, op: ast::CmpOp, (le, lt): (&ast::Expr, &Ty), (re, rt): (&ast::Expr, &Ty)) {
        for (e, t) in [(le, lt), (re, rt)] {
            if matches!(t, Ty::Optional(_)) {
                self.optional_unhandled(e.span, t);
                return;
            }
        }
        if !self.comparable(lt, rt) {
            let (code, help) = match (lt, rt) {
                (Ty::Quantity(a), Ty::Quantity(b)) => unit_mismatch_help(a, b),
                (Ty::Quantity(d), n) | (n, Ty::Quantity(d)) if n.is_numeric() => {
                    (E_UNIT_MISMATCH, Some(format!("give the number its unit: `... {d}`")))
                }
                (Ty::Enum(e), Ty::Text) | (Ty::Text, Ty::Enum(e)) => (
                    E_TYPE_MISMATCH,
                    Some(format!(
                        "a case of `{e}` is written without quotes: one of {}",
                        self.enums.get(e).map(|x| x.cases.join(", ")).unwrap_or_default()
                    )),
                ),
                _ => (E_TYPE_MISMATCH, None),
            };
            let mut d = Diagnostic::error(code, format!("cannot compare {lt} with {rt}"))
                .at(re.span, format!("this is {rt}"))
                .also(le.span, format!("this is {lt}"));
            if let Some(h) = help {
                d = d.help(h);
            }
            self.error(d);
            return;
        }
        let ordered = matches!(op, ast::CmpOp::Lt | ast::CmpOp::Le | ast::CmpOp::Gt | ast::CmpOp::Ge);
        if ordered && matches!(lt, Ty::Bool | Ty::Text | Ty::Enum(_) | Ty::Event(_)) {
            self.error(
                Diagnostic::error(
                    E_TYPE_MISMATCH,
                    format!("`{}` needs values with an order, and {lt} has none", op.symbol()),
                )
                .at(le.span.to(re.span), "only `==` and `!=` apply here"),
            );
        }
        // A bound that can never be met is almost always a typo in the contract.
        for (field, literal, literal_on_right) in [(lt, re, true), (rt, le, false)] {
            if let (Ty::Bounded(lo, hi), ast::ExprKind::Quantity(q)) = (field, &literal.kind) {
                if q.unit.is_none() && (q.value < Decimal::from(*lo) || q.value > Decimal::from(*hi)) {
                    let op = if literal_on_right { op } else { flip(op) };
                    let never = match op {
                        ast::CmpOp::Gt | ast::CmpOp::Ge => q.value >= Decimal::from(*hi),
                        ast::CmpOp::Lt | ast::CmpOp::Le => q.value <= Decimal::from(*lo),
                        _ => true,
                    };
                    let always = !never;
                    self.error(
                        Diagnostic::error(
                            E_OUT_OF_RANGE,
                            format!("{} is outside the range {lo}..{hi} of this value", q.value),
                        )
                        .at(literal.span, format!("values run from {lo} to {hi}"))
                        .note(if always {
                            "so this comparison is always true"
                        } else {
                            "so this comparison is never true"
                        })
                        .help(format!("use a value from {lo} to {hi}, or correct the declared range")),
                    );
                }
            }
        }
    }

    fn binary(
        &mut self,
        scope: &Scope,
        op: ast::BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> (Ty, ir::Expr) {
        let text = self.program.sources.get(span.file).slice(span);
        if op == ast::BinaryOp::Div && looks_like_slashed_date(text) {
            self.error(
                Diagnostic::error(E_BAD_DATE, format!("`{text}` reads as a division, not a date"))
                    .at(span, "this divides three numbers")
                    .help("write dates as year-month-day, e.g. `2016-03-15`: day and month order differ between countries"),
            );
            return (Ty::Error, ir::Expr::Bool { value: false });
        }
        let (lt, lx) = self.expr(scope, lhs, None);
        let (rt, rx) = self.expr(
            scope,
            rhs,
            if matches!(op, ast::BinaryOp::And | ast::BinaryOp::Or) { Some(&Ty::Bool) } else { None },
        );
        let operator = match op {
            ast::BinaryOp::And | ast::BinaryOp::Or => {
                self.expect(lhs.span, &Ty::Bool, &lt, "`and`/`or`");
                self.expect(rhs.span, &Ty::Bool, &rt, "`and`/`or`");
                let flatten = |x: ir::Expr, and: bool| -> Vec<ir::Expr> {
                    match (x, and) {
                        (ir::Expr::And { operands }, true) => operands,
                        (ir::Expr::Or { operands }, false) => operands,
                        (x, _) => vec![x],
                    }
                };
                let and = op == ast::BinaryOp::And;
                let mut operands = flatten(lx, and);
                operands.extend(flatten(rx, and));
                let x = if and { ir::Expr::And { operands } } else { ir::Expr::Or { operands } };
                return (Ty::Bool, x);
            }
            ast::BinaryOp::Add => ir::BinaryOp::Add,
            ast::BinaryOp::Sub => ir::BinaryOp::Sub,
            ast::BinaryOp::Mul => ir::BinaryOp::Mul,
            ast::BinaryOp::Div => ir::BinaryOp::Div,
        };
        for (e, t) in [(lhs, &lt), (rhs, &rt)] {
            if matches!(t, Ty::Optional(_)) {
                self.optional_unhandled(e.span, t);
                return (Ty::Error, ir::Expr::Binary { operator, lhs: Box::new(lx), rhs: Box::new(rx) });
            }
        }
        let ty = self.arithmetic(op, (lhs, &lt), (rhs, &rt), span);
        (ty, ir::Expr::Binary { operator, lhs: Box::new(lx), rhs: Box::new(rx) })
    }

    fn arithmetic(
        &mut self,
        op: ast::BinaryOp,
        (le, lt): (&ast::Expr, &Ty),
        (re, rt): (&ast::Expr, &Ty),
        span: Span,
    ) -> Ty {
        use ast::BinaryOp::*;
        if matches!(lt, Ty::Error) || matches!(rt, Ty::Error) {
            return Ty::Error;
        }
        let symbol = match op {
            Add => "+",
            Sub => "-",
            Mul => "*",
            _ => "/",
        };
        let result = match (op, lt, rt) {
            (Add | Sub, a, b) if a.is_numeric() && b.is_numeric() => {
                Some(if a.is_integer() && b.is_integer() { Ty::Int } else { Ty::Decimal })
            }
            (Add | Sub, Ty::Percent, Ty::Percent) => Some(Ty::Percent),
            (Add | Sub, Ty::Quantity(a), Ty::Quantity(b)) if a == b => Some(Ty::Quantity(a.clone())),
            (Add | Sub, Ty::Quantity(a), Ty::Quantity(b)) => {
                let (code, help) = unit_mismatch_help(a, b);
                let mut d = Diagnostic::error(
                    code,
                    format!(
                        "cannot {} {b} {} {a}",
                        if op == Add { "add" } else { "subtract" },
                        if op == Add { "to" } else { "from" }
                    ),
                )
                .at(re.span, format!("this is {b}"))
                .also(le.span, format!("this is {a}"));
                if let Some(h) = help {
                    d = d.help(h);
                }
                self.error(d);
                return Ty::Error;
            }
            (Add | Sub, Ty::Date, Ty::Quantity(d)) if d.is_duration() => Some(Ty::Date),
            (Add, Ty::Quantity(d), Ty::Date) if d.is_duration() => Some(Ty::Date),
            (Sub, Ty::Date, Ty::Date) => Some(Ty::Quantity(Dimension::of(Base::Day))),
            (Add | Sub, Ty::Date, n) | (Add, n, Ty::Date) if n.is_numeric() => {
                let number = if matches!(lt, Ty::Date) { re } else { le };
                let shown = match &number.kind {
                    ast::ExprKind::Quantity(q) => q.value.to_string(),
                    _ => "n".to_string(),
                };
                self.error(
                    Diagnostic::error(
                        E_DATE_PLUS_NUMBER,
                        format!(
                            "cannot {} a bare number and a date",
                            if op == Add { "add" } else { "subtract" }
                        ),
                    )
                    .at(number.span, "a number of what?")
                    .note("days, weeks, months and years are different lengths of calendar time")
                    .help(format!(
                        "say which: `{shown} days`, `{shown} weeks`, `{shown} months` or `{shown} years`"
                    )),
                );
                return Ty::Error;
            }
            (Mul, a, b) if a.is_numeric() && b.is_numeric() => {
                Some(if a.is_integer() && b.is_integer() { Ty::Int } else { Ty::Decimal })
            }
            (Mul, Ty::Quantity(d), n) | (Mul, n, Ty::Quantity(d)) if n.is_numeric() || *n == Ty::Percent => {
                Some(Ty::Quantity(d.clone()))
            }
            (Mul, Ty::Percent, n) | (Mul, n, Ty::Percent) if n.is_numeric() => Some(Ty::Decimal),
            (Mul, Ty::Quantity(a), Ty::Quantity(b)) => {
                let d = a.mul(b);
                Some(if d.is_dimensionless() { Ty::Decimal } else { Ty::Quantity(d) })
            }
            (Div, a, b) if a.is_numeric() && b.is_numeric() => Some(Ty::Decimal),
            (Div, Ty::Quantity(d), n) if n.is_numeric() => Some(Ty::Quantity(d.clone())),
            (Div, Ty::Quantity(a), Ty::Quantity(b)) => {
                let d = a.mul(&b.inverse());
                Some(if d.is_dimensionless() { Ty::Decimal } else { Ty::Quantity(d) })
            }
            (Div, n, Ty::Quantity(d)) if n.is_numeric() => Some(Ty::Quantity(d.inverse())),
            _ => None,
        };
        if op == Div {
            if let ast::ExprKind::Quantity(q) = &re.kind {
                if q.value.is_zero() {
                    self.error(
                        Diagnostic::error(E_DIVISION_BY_ZERO, "division by zero")
                            .at(re.span, "this is zero")
                            .help("a contract cannot divide by zero: check the figure"),
                    );
                    return Ty::Error;
                }
            }
        }
        match result {
            Some(ty) => ty,
            None => {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("cannot apply `{symbol}` to {lt} and {rt}"))
                        .at(span, format!("{lt} {symbol} {rt}"))
                        .also(le.span, format!("this is {lt}"))
                        .also(re.span, format!("this is {rt}")),
                );
                Ty::Error
            }
        }
    }

    fn path(
        &mut self,
        scope: &Scope,
        path: &[ast::Ident],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ty, ir::Expr) {
        let first = &path[0];
        let rest = &path[1..];
        let error = (Ty::Error, ir::Expr::Bool { value: false });
        // Where an enum is expected, a bare name that is one of its cases is that case, even
        // if an outcome or definition has the same name (`== full_time`).
        if rest.is_empty() {
            if let Some(Ty::Enum(enum_name)) = expected.map(strip_optional) {
                if self.enums.get(enum_name).is_some_and(|e| e.cases.contains(&first.name)) {
                    return self.enum_case(&enum_name.clone(), first);
                }
            }
        }
        // Parameters shadow everything else.
        if let Some((_, ty)) = scope.params.iter().find(|(n, _)| *n == first.name) {
            if !rest.is_empty() {
                self.error(
                    Diagnostic::error(E_UNKNOWN_FIELD, format!("`{}` has no fields", first.name))
                        .at(rest[0].span, "not a field"),
                );
                return error;
            }
            return (ty.clone(), ir::Expr::Param { name: first.name.clone() });
        }
        if first.name == "participant" {
            if scope.module > 0 {
                return error;
            }
            let Some(field) = rest.first() else {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, "`participant` on its own is not a value")
                        .at(span, "expected a field, such as `participant.born`"),
                );
                return error;
            };
            let Some(fields) = &self.participant else {
                self.quiet_errors += 1;
                return error;
            };
            match fields.get(&field.name) {
                Some(info) => {
                    return (info.ty.clone(), ir::Expr::ParticipantField { field: field.name.clone() });
                }
                None => {
                    let candidates: Vec<String> = self.participant_order.clone();
                    let span_decl = self
                        .items(0)
                        .iter()
                        .find(|i| matches!(i.kind, ast::ItemKind::Participant(_)))
                        .map(|i| i.span);
                    self.unknown_field("participants", field, &candidates, span_decl);
                    return error;
                }
            }
        }
        if let Some(event) = self.events.get(&first.name).cloned() {
            if scope.module > 0 {
                return error;
            }
            let Some(field) = rest.first() else {
                return (Ty::Event(first.name.clone()), ir::Expr::Bool { value: true });
            };
            match event.fields.get(&field.name) {
                Some(info) => {
                    self.events_read.insert(first.name.clone());
                    return (
                        info.ty.clone(),
                        ir::Expr::EventField { event: first.name.clone(), field: field.name.clone() },
                    );
                }
                None => {
                    self.unknown_field(
                        &format!("`{}` records", first.name),
                        field,
                        &event.order,
                        Some(event.span),
                    );
                    return error;
                }
            }
        }
        // Outcome dates: `job_entry.achieved`.
        if scope.module == 0 && self.individual_outcomes.contains_key(&first.name) {
            if rest.len() == 1 && rest[0].name == "achieved" {
                let own = scope.paying_for.as_deref() == Some(first.name.as_str());
                let allowed = own || scope.requires.as_ref().is_some_and(|r| r.contains(&first.name));
                if !allowed {
                    self.error(
                        Diagnostic::error(
                            E_UNREQUIRED_OUTCOME,
                            format!(
                                "this reads the date `{}` was achieved, but does not require it",
                                first.name
                            ),
                        )
                        .at(span, "this date exists only once that outcome is achieved")
                        .help(format!("add `requires {}` to this outcome", first.name)),
                    );
                }
                return (Ty::Date, ir::Expr::AchievedOn { outcome: first.name.clone() });
            }
            self.error(
                Diagnostic::error(E_TYPE_MISMATCH, format!("`{}` is an outcome, not a value", first.name))
                    .at(span, "an outcome is achieved or not; its date is `.achieved`")
                    .help(format!("write `{}.achieved` for the date it was achieved", first.name)),
            );
            return error;
        }
        // Names in this module, then in modules it uses.
        let (module, name, rest) = match self.program.modules[scope.module].imports.get(&first.name) {
            Some(&m) if !rest.is_empty() => (m, &rest[0], &rest[1..]),
            _ => (scope.module, first, rest),
        };
        match self.names.get(module, &name.name) {
            Some((Declared::Let, i, _)) => {
                let ast::ItemKind::Let(l) = &self.program.modules[module].ast.items[i].kind else {
                    return error;
                };
                let qualified = self.qualified(module, &l.name.name);
                if l.params.is_some() {
                    self.error(
                        Diagnostic::error(E_ARITY, format!("`{}` takes arguments", name.name))
                            .at(span, "used without them")
                            .also(l.name.span, "defined here")
                            .help(format!("call it: `{}(...)`", name.name)),
                    );
                    return error;
                }
                let Some((ty, _, events)) = self.ensure_let(module, l, Some(span)) else { return error };
                if !rest.is_empty() {
                    self.error(
                        Diagnostic::error(E_UNKNOWN_FIELD, format!("`{}` has no fields", name.name))
                            .at(rest[0].span, "not a field"),
                    );
                    return error;
                }
                self.events_read.extend(events);
                return (ty, ir::Expr::Ref { name: qualified });
            }
            Some((Declared::Enum | Declared::Bands, _, _)) => {
                let enum_name = self.qualified(module, &name.name);
                let Some(case) = rest.first() else {
                    self.error(
                        Diagnostic::error(E_TYPE_MISMATCH, format!("`{}` is a type, not a value", name.name))
                            .at(span, "expected one of its cases, such as `Group.ready`"),
                    );
                    return error;
                };
                return self.enum_case(&enum_name, case);
            }
            Some((kind, _, decl_span)) if rest.is_empty() || matches!(kind, Declared::Unit) => {
                self.error(
                    Diagnostic::error(
                        E_TYPE_MISMATCH,
                        format!("`{}` is {}, not a value", name.name, kind.noun()),
                    )
                    .at(span, "used as a value here")
                    .also(decl_span, "declared here"),
                );
                return error;
            }
            _ => {}
        }
        if !rest.is_empty() && module == scope.module {
            // `x.y` where x is nothing known.
        }
        // A bare enum case: by the expected type, or the one enum that has it.
        if rest.is_empty() {
            if let Some(Ty::Enum(enum_name)) = expected.map(strip_optional) {
                if self.enums.get(enum_name).is_some_and(|e| e.cases.contains(&name.name)) {
                    return self.enum_case(&enum_name.clone(), name);
                }
            }
            let owners: Vec<String> = self
                .enums
                .iter()
                .filter(|(_, e)| e.cases.contains(&name.name))
                .map(|(n, _)| n.clone())
                .collect();
            match owners.len() {
                1 => return self.enum_case(&owners[0], name),
                0 => {}
                _ => {
                    let mut d = Diagnostic::error(
                        E_AMBIGUOUS_CASE,
                        format!("`{}` is a case of several enums", name.name),
                    )
                    .at(
                        name.span,
                        format!(
                            "could be {}",
                            owners
                                .iter()
                                .map(|o| format!("`{o}.{}`", name.name))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    );
                    for o in &owners {
                        d = d.also(self.enums[o].span, format!("`{o}` has a case `{}`", name.name));
                    }
                    self.error(d.help(format!("say which: `{}.{}`", owners[0], name.name)));
                    return error;
                }
            }
        }
        if self.broken(&first.name) {
            self.quiet_errors += 1;
            return error;
        }
        let mut candidates: Vec<String> = self.names.modules[scope.module].keys().cloned().collect();
        candidates.extend(self.events.keys().cloned());
        candidates.extend(self.program.modules[scope.module].imports.keys().cloned());
        candidates.extend(scope.params.iter().map(|(n, _)| n.clone()));
        for e in self.enums.values() {
            candidates.extend(e.cases.iter().cloned());
        }
        if scope.module == 0 {
            candidates.push("participant".into());
        }
        let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown name `{}`", first.name))
            .at(first.span, "not defined here");
        if let Some(s) = suggest(&first.name, candidates.iter().map(|s| s.as_str())) {
            d = d.help(format!("did you mean `{s}`?"));
        } else if self.program.modules[scope.module].imports.is_empty() && !rest.is_empty() {
            d = d.help(format!(
                "to use a module, add `use std.{}` or `use \"{}.pay\"` at the top",
                first.name, first.name
            ));
        }
        self.error(d);
        error
    }

    fn unknown_field(&mut self, owner: &str, field: &ast::Ident, candidates: &[String], decl: Option<Span>) {
        let mut d = Diagnostic::error(E_UNKNOWN_FIELD, format!("{owner} have no field `{}`", field.name))
            .at(field.span, "unknown field");
        if let Some(span) = decl {
            d = d.also(span, "declared here");
        }
        d = match suggest(&field.name, candidates.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!(
                "the fields are: {}",
                candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        self.error(d);
    }

    fn enum_case(&mut self, enum_name: &str, case: &ast::Ident) -> (Ty, ir::Expr) {
        let info = &self.enums[enum_name];
        if info.cases.contains(&case.name) {
            return (
                Ty::Enum(enum_name.to_string()),
                ir::Expr::Case { enum_name: enum_name.to_string(), case: case.name.clone() },
            );
        }
        let cases = info.cases.clone();
        let decl = info.span;
        let mut d = Diagnostic::error(E_BAD_CASE, format!("`{enum_name}` has no case `{}`", case.name))
            .at(case.span, "not a case of this enum")
            .also(decl, "declared here");
        d = match suggest(&case.name, cases.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!("the cases are: {}", cases.join(", "))),
        };
        self.error(d);
        (Ty::Error, ir::Expr::Bool { value: false })
    }

    fn call(
        &mut self,
        scope: &Scope,
        callee: &[ast::Ident],
        args: &[ast::Expr],
        span: Span,
    ) -> (Ty, ir::Expr) {
        let error = (Ty::Error, ir::Expr::Bool { value: false });
        let (module, name) = match callee {
            [m, n] => match self.program.modules[scope.module].imports.get(&m.name) {
                Some(&module) => (module, n),
                None => {
                    self.error(
                        Diagnostic::error(E_UNKNOWN_NAME, format!("unknown module `{}`", m.name))
                            .at(m.span, "no module is used under this name")
                            .help(format!(
                                "add `use std.{}` (or `use \"{}.pay\"`) at the top",
                                m.name, m.name
                            )),
                    );
                    return error;
                }
            },
            [n] => (scope.module, n),
            _ => {
                self.error(
                    Diagnostic::error(E_UNKNOWN_NAME, "cannot call this")
                        .at(span, "expected a function name such as `calendar.birthday`"),
                );
                return error;
            }
        };
        match self.names.get(module, &name.name) {
            Some((Declared::Let, i, _)) => {
                let ast::ItemKind::Let(l) = &self.program.modules[module].ast.items[i].kind else {
                    return error;
                };
                let Some(params) = &l.params else {
                    self.error(
                        Diagnostic::error(E_ARITY, format!("`{}` is a value, not a function", name.name))
                            .at(span, "called with arguments")
                            .also(l.name.span, "defined here without parameters")
                            .help(format!("write `{}` without `(...)`", name.name)),
                    );
                    return error;
                };
                let Some((ty, param_tys, _)) = self.ensure_let(module, l, Some(span)) else { return error };
                if params.len() != args.len() {
                    self.arity(name, params.len(), args.len(), span, Some(l.name.span));
                }
                let mut ir_args = Vec::new();
                for (i, a) in args.iter().enumerate() {
                    let expected = param_tys.get(i);
                    let (t, x) = self.expr(scope, a, expected);
                    if let Some(p) = expected {
                        let context = format!("argument `{}`", params[i].name.name);
                        self.expect(a.span, p, &t, &context);
                    }
                    ir_args.push(x);
                }
                (ty, ir::Expr::Call { function: self.qualified(module, &name.name), args: ir_args })
            }
            Some((Declared::Bands, _, _)) => {
                let bands = self.qualified(module, &name.name);
                let of = self.enums[&bands].bands_of.clone().unwrap_or(Ty::Error);
                if args.len() != 1 {
                    self.arity(name, 1, args.len(), span, None);
                    return error;
                }
                let (t, x) = self.expr(scope, &args[0], Some(&of));
                self.expect(args[0].span, &of, &t, "the value to classify");
                (Ty::Enum(bands.clone()), ir::Expr::Classify { bands, value: Box::new(x) })
            }
            Some((kind, _, _)) => {
                self.error(
                    Diagnostic::error(
                        E_TYPE_MISMATCH,
                        format!("`{}` is {}, not a function", name.name, kind.noun()),
                    )
                    .at(span, "cannot be called"),
                );
                error
            }
            None => {
                let Some((_, arity)) = BUILTINS.iter().find(|(n, _)| *n == name.name && callee.len() == 1)
                else {
                    let mut candidates: Vec<String> = BUILTINS.iter().map(|(n, _)| n.to_string()).collect();
                    candidates.extend(self.names.modules[module].keys().cloned());
                    let mut d =
                        Diagnostic::error(E_UNKNOWN_NAME, format!("unknown function `{}`", name.name))
                            .at(name.span, "not defined here");
                    if let Some(s) = suggest(&name.name, candidates.iter().map(|s| s.as_str())) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                    return error;
                };
                if args.len() != *arity {
                    self.arity(name, *arity, args.len(), span, None);
                }
                let mut ir_args = Vec::new();
                for a in args {
                    let (t, x) = self.expr(scope, a, Some(&Ty::Date));
                    self.expect(a.span, &Ty::Date, &t, &format!("`{}`", name.name));
                    ir_args.push(x);
                }
                let ty = if name.name == "age" { Ty::Int } else { Ty::Date };
                (ty, ir::Expr::Builtin { function: name.name.clone(), args: ir_args })
            }
        }
    }

    fn arity(&mut self, name: &ast::Ident, expected: usize, found: usize, span: Span, decl: Option<Span>) {
        let signature = BUILTIN_SIGNATURES.iter().find(|(n, _)| *n == name.name).map(|(_, s)| *s);
        let mut d = Diagnostic::error(
            E_ARITY,
            format!(
                "`{}` takes {expected} argument{}, but {found} {} given",
                name.name,
                plural(expected),
                if found == 1 { "was" } else { "were" }
            ),
        )
        .at(span, format!("{found} argument{} here", plural(found)));
        if let Some(s) = decl {
            d = d.also(s, "defined here");
        }
        if let Some(signature) = signature {
            d = d.help(format!("write `{signature}`"));
        }
        self.error(d);
    }

    fn aggregate(&mut self, scope: &Scope, a: &ast::Aggregate, span: Span) -> (Ty, ir::Expr) {
        let error = (Ty::Error, ir::Expr::Bool { value: false });
        let Some(event) = self.events.get(&a.event.name).cloned() else {
            if self.broken(&a.event.name) {
                return error;
            }
            let candidates: Vec<String> = self.events.keys().cloned().collect();
            let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown event `{}`", a.event.name))
                .at(a.event.span, "not an event declared here");
            if let Some(s) = suggest(&a.event.name, candidates.iter().map(|s| s.as_str())) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return error;
        };
        let field_ty = match &a.field {
            Some(f) => match event.fields.get(&f.name) {
                Some(info) => Some(info.ty.clone()),
                None => {
                    self.unknown_field(
                        &format!("`{}` records", a.event.name),
                        f,
                        &event.order,
                        Some(event.span),
                    );
                    return error;
                }
            },
            None => None,
        };
        let ty = match (a.function, &field_ty) {
            (ast::AggregateFn::Count, _) => Ty::Int,
            (_, None) => {
                self.error(Diagnostic::error(E_TYPE_MISMATCH, "this needs a field to add up or compare").at(
                    span,
                    format!(
                        "expected a field, such as `{}.{}`",
                        a.event.name,
                        event.order.last().cloned().unwrap_or_default()
                    ),
                ));
                return error;
            }
            (_, Some(Ty::Optional(_))) => {
                self.optional_unhandled(span, field_ty.as_ref().unwrap_or(&Ty::Error));
                return error;
            }
            (ast::AggregateFn::Min | ast::AggregateFn::Max, Some(t)) => t.clone(),
            (ast::AggregateFn::Sum | ast::AggregateFn::Mean, Some(t)) if t.is_numeric() => {
                if a.function == ast::AggregateFn::Mean { Ty::Decimal } else { widen(t.clone()) }
            }
            (_, Some(t @ (Ty::Quantity(_) | Ty::Percent))) => t.clone(),
            (_, Some(t)) => {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("cannot add up {t}"))
                        .at(span, "`sum` and `mean` need numbers or quantities"),
                );
                return error;
            }
        };
        // With no records there is no minimum, maximum or mean: the contract must say what
        // then (`?? ...`). A sum or count of nothing is zero.
        let ty = match a.function {
            ast::AggregateFn::Min | ast::AggregateFn::Max | ast::AggregateFn::Mean => {
                Ty::Optional(Box::new(ty))
            }
            _ => ty,
        };
        let saved = std::mem::take(&mut self.events_read);
        let filter = match &a.filter {
            Some(f) => {
                let (t, x) = self.expr(scope, f, Some(&Ty::Bool));
                self.expect(f.span, &Ty::Bool, &t, "the `where` filter");
                x
            }
            None => ir::Expr::Bool { value: true },
        };
        let filter_events = std::mem::replace(&mut self.events_read, saved);
        if let Some(other) = filter_events.iter().find(|e| **e != a.event.name) {
            self.error(
                Diagnostic::error(
                    E_AMBIGUOUS_EVENT,
                    format!("this filter on `{}` records reads `{other}`", a.event.name),
                )
                .at(
                    a.filter.as_ref().map(|f| f.span).unwrap_or(span),
                    format!("reads {}", list_names(&filter_events)),
                )
                .help(format!(
                    "a filter can only read the fields of the records it filters: `{}`",
                    a.event.name
                )),
            );
        }
        let window = match &a.window {
            Some(w) => Some(Box::new(self.window(scope, w))),
            None if scope.unwindowed_aggregates => {
                self.events_read.insert(a.event.name.clone());
                None
            }
            None => {
                self.error(
                    Diagnostic::error(E_AGGREGATE_WITHOUT_WINDOW, format!("over which records of `{}`?", a.event.name))
                        .at(span, "this aggregate has no window")
                        .help("add a window: `within 12 months after participant.referred`, or use it inside `in at least N of the M ...`"),
                );
                None
            }
        };
        let function = match a.function {
            ast::AggregateFn::Sum => ir::AggregateFn::Sum,
            ast::AggregateFn::Count => ir::AggregateFn::Count,
            ast::AggregateFn::Mean => ir::AggregateFn::Mean,
            ast::AggregateFn::Min => ir::AggregateFn::Min,
            ast::AggregateFn::Max => ir::AggregateFn::Max,
        };
        (
            ty,
            ir::Expr::Aggregate {
                function,
                event: a.event.name.clone(),
                field: a.field.as_ref().map(|f| f.name.clone()),
                filter: Box::new(filter),
                window,
            },
        )
    }

    /// A participant-level value: one per participant, reading no event record directly.
    fn participant_value(
        &mut self,
        scope: &Scope,
        e: &ast::Expr,
        expected: Option<&Ty>,
        what: &str,
    ) -> (Ty, ir::Expr) {
        let saved = std::mem::take(&mut self.events_read);
        let (ty, x) = self.expr(scope, e, expected);
        let read = std::mem::replace(&mut self.events_read, saved);
        if !read.is_empty() {
            let event = read.iter().next().cloned().unwrap_or_default();
            let example = if expected == Some(&Ty::Date) {
                format!(
                    "`min of {event}.<date field> within 12 months after participant.referred ?? participant.referred`"
                )
            } else {
                format!("`count of {event} within 12 months after participant.referred`")
            };
            self.error(
                Diagnostic::error(
                    E_EVENT_IN_PARTICIPANT_CONTEXT,
                    format!(
                        "{what} must have one value per participant, but this reads {}",
                        list_names(&read)
                    ),
                )
                .at(e.span, "a participant can have many such records")
                .help(format!(
                    "read a participant field, or summarise the records over a window, e.g. {example}"
                )),
            );
        }
        (ty, x)
    }

    fn anchor_date(&mut self, scope: &Scope, e: &ast::Expr) -> ir::Expr {
        let (ty, x) = self.participant_value(scope, e, Some(&Ty::Date), "a window's start");
        if !ty.is_date() {
            if matches!(ty, Ty::Optional(_)) {
                self.optional_unhandled(e.span, &ty);
            } else {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("a window starts on a date, not {ty}"))
                        .at(e.span, "expected a date such as `participant.referred`"),
                );
            }
        }
        x
    }

    fn duration(&mut self, scope: &Scope, e: &ast::Expr, what: &str) -> Option<(ir::Quantity, Dimension)> {
        let (ty, x) = self.participant_value(scope, e, None, what);
        match (&ty, x) {
            (Ty::Quantity(d), ir::Expr::Quantity { value, unit }) if d.is_duration() => {
                Some((ir::Quantity { value, unit }, d.clone()))
            }
            (Ty::Error, _) => None,
            (Ty::Quantity(d), _) if d.is_duration() => {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("{what} must be written as a fixed length"))
                        .at(e.span, "expected a length such as `26 months`"),
                );
                None
            }
            (t, _) => {
                let mut d = Diagnostic::error(
                    E_TYPE_MISMATCH,
                    format!("{what} must be a length of calendar time, not {t}"),
                )
                .at(e.span, "expected a duration such as `26 months`, `13 weeks` or `90 days`");
                if t.is_numeric() {
                    d = d.help("give the number its unit: `days`, `weeks`, `months` or `years`");
                }
                self.error(d);
                None
            }
        }
    }

    fn window(&mut self, scope: &Scope, w: &ast::Window) -> ir::Window {
        let span = self.ir_span(w.span);
        let inner = Scope { unwindowed_aggregates: false, ..scope.clone() };
        match &w.kind {
            ast::WindowKind::Within { length, anchor, start } => {
                let date = self.anchor_date(&inner, start);
                let length = self
                    .duration(&inner, length, "a window's length")
                    .map(|(q, _)| q)
                    .unwrap_or(ir::Quantity { value: Decimal::ZERO, unit: "day".into() });
                ir::Window {
                    start: ir::Anchor { date, starts: starts(*anchor) },
                    end: ir::WindowEnd::Length { length },
                    span,
                }
            }
            ast::WindowKind::Between { from, to } => {
                let start = self.anchor_date(&inner, from);
                let end = self.anchor_date(&inner, to);
                if let (ast::ExprKind::Date(a), ast::ExprKind::Date(b)) = (&from.kind, &to.kind) {
                    if a.text > b.text {
                        self.error(
                            Diagnostic::error(E_BAD_PERIOD, "this window ends before it starts")
                                .at(to.span, "the end")
                                .also(from.span, "is before the start"),
                        );
                    }
                }
                ir::Window {
                    start: ir::Anchor { date: start, starts: ir::AnchorStart::SameDay },
                    end: ir::WindowEnd::Date { date: end },
                    span,
                }
            }
            ast::WindowKind::After(anchor) => {
                let date = self.anchor_date(&inner, anchor);
                ir::Window {
                    start: ir::Anchor { date, starts: ir::AnchorStart::DayAfter },
                    end: ir::WindowEnd::AchievableEnd,
                    span,
                }
            }
        }
    }

    // ------------------------------------------------------------ conditions

    fn filter(&mut self, scope: &Scope, f: &ast::EventFilter, unwindowed: bool) -> Option<ir::EventFilter> {
        let inner = Scope { unwindowed_aggregates: unwindowed, ..scope.clone() };
        let saved = std::mem::take(&mut self.events_read);
        let errors_before = self.diagnostics.len() + self.quiet_errors;
        let (ty, predicate) = self.expr(&inner, &f.predicate, Some(&Ty::Bool));
        let read = std::mem::replace(&mut self.events_read, saved);
        let had_errors = self.diagnostics.len() + self.quiet_errors > errors_before;
        if let Some(named) = &f.event {
            if !self.events.contains_key(&named.name) {
                self.unknown_event(named);
                return None;
            }
            self.expect(f.predicate.span, &Ty::Bool, &ty, "the `where` condition");
            if let Some(other) = read.iter().find(|e| **e != named.name) {
                self.error(
                    Diagnostic::error(
                        E_AMBIGUOUS_EVENT,
                        format!("this condition on `{}` records reads `{other}`", named.name),
                    )
                    .at(f.predicate.span, format!("reads {}", list_names(&read)))
                    .help(format!(
                        "a condition on one record can only read that record's fields: `{}.…`",
                        named.name
                    )),
                );
            }
            return Some(ir::EventFilter { event: named.name.clone(), predicate });
        }
        if let Ty::Event(name) = &ty {
            return Some(ir::EventFilter { event: name.clone(), predicate: ir::Expr::Bool { value: true } });
        }
        if matches!(ty, Ty::Error) || (had_errors && read.len() != 1) {
            return None;
        }
        self.expect(f.predicate.span, &Ty::Bool, &ty, "a condition");
        match read.len() {
            1 => Some(ir::EventFilter { event: read.into_iter().next().unwrap_or_default(), predicate }),
            0 => {
                self.error(
                    Diagnostic::error(E_NO_EVENT, "this condition does not say which records it is about")
                        .at(f.predicate.span, "reads no event field")
                        .note("a condition over time looks at records of one event, such as `employment.hours > 16 hours per week`")
                        .help("name the event: `employment where ...`, or compare one of its fields"),
                );
                None
            }
            _ => {
                self.error(
                    Diagnostic::error(E_AMBIGUOUS_EVENT, "this condition mixes fields of several events")
                        .at(f.predicate.span, format!("reads {}", list_names(&read)))
                        .note("each day or period is judged on the records of one event")
                        .help("split it into one condition per event, joined with `and`"),
                );
                None
            }
        }
    }

    fn unknown_event(&mut self, named: &ast::Ident) {
        if self.broken(&named.name) {
            return;
        }
        let candidates: Vec<String> = self.events.keys().cloned().collect();
        let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown event `{}`", named.name))
            .at(named.span, "not an event declared here");
        if let Some(s) = suggest(&named.name, candidates.iter().map(|s| s.as_str())) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.error(d);
    }

    fn excluding(&mut self, names: &[ast::Ident]) -> Vec<String> {
        let mut out = Vec::new();
        for n in names {
            match self.events.get(&n.name) {
                Some(e) if e.spell => out.push(n.name.clone()),
                Some(_) => self.error(
                    Diagnostic::error(
                        E_EVENT_WITHOUT_DATE,
                        format!("`{}` records are single days, not spells of time to leave out", n.name),
                    )
                    .at(n.span, "expected an event with `from` and `to`")
                    .help(
                        "days can be excluded only when they are covered by spells, such as time in custody",
                    ),
                ),
                None => self.unknown_event(n),
            }
        }
        out
    }

    fn counting(&mut self, c: Option<&ast::Counting>, kind: ast::PeriodKind) -> ir::Counting {
        match c {
            None => ir::Counting { rule: ir::CountingRule::AnyDay, min_days: None, defaulted: true },
            Some(c) => match c.rule {
                ast::CountingRule::AnyDay => {
                    ir::Counting { rule: ir::CountingRule::AnyDay, min_days: None, defaulted: false }
                }
                ast::CountingRule::EveryDay => {
                    ir::Counting { rule: ir::CountingRule::EveryDay, min_days: None, defaulted: false }
                }
                ast::CountingRule::AtLeastDays(n) => {
                    let (longest, noun) = match kind {
                        ast::PeriodKind::CalendarMonths | ast::PeriodKind::AnniversaryMonths => {
                            (31, "a month")
                        }
                        ast::PeriodKind::CalendarWeeks | ast::PeriodKind::Weeks => (7, "a week"),
                        ast::PeriodKind::Days => (1, "a day"),
                    };
                    if n == 0 || n > longest {
                        self.error(
                            Diagnostic::error(
                                E_IMPOSSIBLE_COUNT,
                                format!("{noun} has at most {longest} day{}", plural(longest as usize)),
                            )
                            .at(
                                c.span,
                                if n == 0 {
                                    "zero days would count every period"
                                } else {
                                    "no period can have this many days"
                                },
                            )
                            .help(format!("use a number from 1 to {longest}, or `counting every day`")),
                        );
                    }
                    ir::Counting { rule: ir::CountingRule::AtLeastDays, min_days: Some(n), defaulted: false }
                }
            },
        }
    }

    fn condition(&mut self, scope: &Scope, c: &ast::Condition) -> Option<ir::Condition> {
        use ast::ConditionKind as K;
        let span = self.ir_span(c.span);
        Some(match &c.kind {
            K::And(parts) | K::Or(parts) => {
                let conditions: Vec<ir::Condition> =
                    parts.iter().filter_map(|p| self.condition(scope, p)).collect();
                if conditions.len() != parts.len() {
                    return None;
                }
                if matches!(c.kind, K::And(_)) {
                    ir::Condition::All { conditions, span }
                } else {
                    ir::Condition::Any { conditions, span }
                }
            }
            K::Absence { filter, window, excluding } => {
                let filter = self.filter(scope, filter, false);
                let window = self.window(scope, window);
                let excluding = self.excluding(excluding);
                ir::Condition::Absence { filter: filter?, max_occurrences: 0, window, excluding, span }
            }
            K::AtMost { times, filter, window, excluding } => {
                let filter = self.filter(scope, filter, false);
                let window = self.window(scope, window);
                let excluding = self.excluding(excluding);
                ir::Condition::Absence { filter: filter?, max_occurrences: *times, window, excluding, span }
            }
            K::Reaches { aggregate, aggregate_span, threshold, window } => {
                let inner = Scope { unwindowed_aggregates: true, ..scope.clone() };
                let saved = std::mem::take(&mut self.events_read);
                let (ty, x) = self.aggregate(&inner, aggregate, *aggregate_span);
                self.events_read = saved;
                let ir::Expr::Aggregate { function, event, field, filter, .. } = x else { return None };
                if !matches!(function, ir::AggregateFn::Sum | ir::AggregateFn::Count) {
                    self.error(
                        Diagnostic::error(E_TYPE_MISMATCH, "only a running `sum` or `count` reaches a value")
                            .at(*aggregate_span, "a mean, minimum or maximum does not add up over time")
                            .help("use a threshold instead: `max of ... within ... >= ...`"),
                    );
                    return None;
                }
                if aggregate.window.is_some() {
                    self.error(
                        Diagnostic::error(
                            E_TYPE_MISMATCH,
                            "the window of a running total goes after the value it reaches",
                        )
                        .at(*aggregate_span, "move the window to the end")
                        .help("write `sum of X reaches 768 GBP within 18 months after ...`"),
                    );
                    return None;
                }
                let (tt, tx) = self.participant_value(scope, threshold, Some(&ty), "the value to reach");
                if !self.comparable(&ty, &tt) {
                    self.mismatch(threshold.span, &ty, &tt, "the value to reach");
                }
                let window = self.window(scope, window);
                ir::Condition::Reaches {
                    function,
                    filter: ir::EventFilter { event, predicate: *filter },
                    field,
                    threshold: tx,
                    window,
                    span,
                }
            }
            K::Change { value, direction, by, baseline, window } => {
                let saved = std::mem::take(&mut self.events_read);
                let (vt, vx) = self.expr(scope, value, None);
                let read = std::mem::replace(&mut self.events_read, saved);
                if !(vt.is_numeric() || matches!(vt, Ty::Quantity(_) | Ty::Percent)) {
                    self.mismatch(value.span, &Ty::Decimal, &vt, "a value that rises or falls");
                }
                let event = match read.len() {
                    1 => read.iter().next().cloned(),
                    0 => {
                        self.error(
                            Diagnostic::error(
                                E_NO_EVENT,
                                "a change is measured between records, and this reads none",
                            )
                            .at(value.span, "expected a field such as `wellbeing_survey.score`"),
                        );
                        None
                    }
                    _ => {
                        self.error(
                            Diagnostic::error(E_AMBIGUOUS_EVENT, "this value mixes fields of several events")
                                .at(value.span, format!("reads {}", list_names(&read))),
                        );
                        None
                    }
                };
                let (bt, bx) = self.participant_value(scope, by, Some(&vt), "the size of the change");
                let by_ok = self.comparable(&vt, &bt) || (vt.is_numeric() && bt.is_numeric());
                if !by_ok {
                    self.mismatch(by.span, &vt, &bt, "the size of the change");
                }
                let baseline = match baseline {
                    ast::Baseline::FirstEvent(name) => {
                        if !self.events.contains_key(&name.name) {
                            self.unknown_event(name);
                        } else if event.as_deref().is_some_and(|e| e != name.name) {
                            self.error(
                                Diagnostic::error(
                                    E_AMBIGUOUS_EVENT,
                                    format!(
                                        "the baseline is a `{}` record, but the value is read from `{}`",
                                        name.name,
                                        event.clone().unwrap_or_default()
                                    ),
                                )
                                .at(name.span, "a different event")
                                .help(format!(
                                    "measure the change from `the first {}`",
                                    event.clone().unwrap_or_default()
                                )),
                            );
                        }
                        ir::Baseline::FirstEvent
                    }
                    ast::Baseline::Value(e) => {
                        let (t, x) = self.participant_value(scope, e, Some(&vt), "a baseline");
                        if !self.comparable(&vt, &t) {
                            self.mismatch(e.span, &vt, &t, "the baseline");
                        }
                        ir::Baseline::Value { value: x }
                    }
                };
                let window = self.window(scope, window);
                let direction = match direction {
                    ast::ChangeDirection::Rises => ir::ChangeDirection::Rises,
                    ast::ChangeDirection::Falls => ir::ChangeDirection::Falls,
                };
                ir::Condition::Change { event: event?, value: vx, direction, by: bx, baseline, window, span }
            }
            K::Periods { filter, count, kind, anchor, start, counting, excluding } => {
                let filter = self.filter(scope, filter, true);
                if count.of == 0 || count.at_least > count.of || count.at_least == 0 {
                    let why = if count.at_least == 0 {
                        "zero periods would always be reached".to_string()
                    } else if count.of == 0 {
                        "there are no periods to count".to_string()
                    } else {
                        format!("{} of {} can never be reached", count.at_least, count.of)
                    };
                    self.error(
                        Diagnostic::error(E_IMPOSSIBLE_COUNT, format!("the count `{} of {}` is impossible", count.at_least, count.of))
                            .at(count.span, why)
                            .help("the number of periods that must count is from 1 up to the number of periods in the window"),
                    );
                }
                let date = self.anchor_date(scope, start);
                let counting = self.counting(counting.as_ref(), *kind);
                ir::Condition::Periods {
                    filter: filter?,
                    at_least: count.at_least,
                    of: count.of,
                    period: period_kind(*kind),
                    window_start: ir::Anchor { date, starts: starts(*anchor) },
                    counting,
                    excluding: self.excluding(excluding),
                    span,
                }
            }
            K::Consecutive { filter, periods, periods_span, kind, window, counting, excluding } => {
                let filter = self.filter(scope, filter, true);
                if *periods == 0 {
                    self.error(
                        Diagnostic::error(
                            E_IMPOSSIBLE_COUNT,
                            "zero consecutive periods is no condition at all",
                        )
                        .at(*periods_span, "expected at least 1"),
                    );
                }
                let window = self.window(scope, window);
                let counting = self.counting(counting.as_ref(), *kind);
                ir::Condition::Consecutive {
                    filter: filter?,
                    periods: *periods,
                    period: period_kind(*kind),
                    window,
                    counting,
                    excluding: self.excluding(excluding),
                    span,
                }
            }
            K::Cumulative { filter, at_least, window, excluding } => {
                let filter = self.filter(scope, filter, true);
                let length = self.duration(scope, at_least, "the total time");
                let at_least = match length {
                    Some((q, d)) if d == Dimension::of(Base::Month) => {
                        self.error(
                            Diagnostic::error(E_CALENDAR_CONVERSION, "time added up across spells is a number of days, and months have no fixed number of days")
                                .at(at_least.span, "months or years cannot be added up across separate spells")
                                .help(format!("say it in days or weeks, e.g. `{} days` if a month counts as 30 days", q.value * Decimal::from(30))),
                        );
                        None
                    }
                    other => other.map(|(q, _)| q),
                };
                let window = self.window(scope, window);
                ir::Condition::Cumulative {
                    filter: filter?,
                    at_least: at_least?,
                    window,
                    excluding: self.excluding(excluding),
                    span,
                }
            }
            K::Occurrence { filter, window } => {
                let filter = self.filter(scope, filter, true);
                let window = self.window(scope, window);
                ir::Condition::Occurrence { filter: filter?, window, span }
            }
            K::Holds(e) => {
                let saved = std::mem::take(&mut self.events_read);
                let (ty, x) = self.expr(scope, e, Some(&Ty::Bool));
                let read = std::mem::replace(&mut self.events_read, saved);
                if !read.is_empty() {
                    self.error(
                        Diagnostic::error(E_AGGREGATE_WITHOUT_WINDOW, format!("when must this hold? It reads {} but has no window", list_names(&read)))
                            .at(e.span, "a condition on records needs a window of time")
                            .note("`and` joins two conditions, and a window applies only to the condition it ends: to judge both on the same day or period, put them in brackets, `(A and B) in at least ...`")
                            .help("add one, e.g. `... within 6 months after participant.referred`, or count periods: `... in at least 13 of the 26 calendar months after ...`"),
                    );
                    return None;
                }
                self.expect(e.span, &Ty::Bool, &ty, "a condition");
                ir::Condition::Holds { expr: x, span }
            }
        })
    }

    /// Whether a condition fixes a date of achievement on its own.
    fn dated(&self, c: &ir::Condition) -> bool {
        match c {
            ir::Condition::Holds { expr, .. } => {
                self.reads_window(&serde_json::to_value(expr).unwrap_or_default())
            }
            ir::Condition::All { conditions, .. } => conditions.iter().any(|c| self.dated(c)),
            ir::Condition::Any { conditions, .. } => conditions.iter().all(|c| self.dated(c)),
            _ => true,
        }
    }

    /// Whether an expression (through the definitions it uses) reads a windowed aggregate.
    fn reads_window(&self, value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => {
                let op = map.get("op").and_then(|v| v.as_str());
                if op == Some("aggregate") && map.get("window").is_some_and(|w| !w.is_null()) {
                    return true;
                }
                if let (Some("ref" | "call"), Some(name)) =
                    (op, map.get("name").or(map.get("function")).and_then(|v| v.as_str()))
                {
                    if let Some(d) = self.out.definitions.iter().find(|d| d.name == name) {
                        if self.reads_window(&serde_json::to_value(&d.body).unwrap_or_default()) {
                            return true;
                        }
                    }
                }
                map.values().any(|v| self.reads_window(v))
            }
            serde_json::Value::Array(items) => items.iter().any(|v| self.reads_window(v)),
            _ => false,
        }
    }

    /// A condition that reads no records and no window has no date: it is allowed only as a
    /// guard, joined by `and` to a condition that has one.
    fn check_dated(&mut self, c: &ir::Condition, guarded: bool) {
        match c {
            ir::Condition::Holds { expr, span }
                if !guarded && !self.reads_window(&serde_json::to_value(expr).unwrap_or_default()) =>
            {
                let span =
                    Span::new(crate::source::FileId(span.file), span.start as usize, span.end as usize);
                self.error(
                    Diagnostic::error(E_NO_EVENT, "this condition has no date: it reads no records and no window")
                        .at(span, "when would it be achieved?")
                        .note("a condition on the participant alone can only narrow another condition, joined with `and`")
                        .help("to say who can achieve the outcome, write `eligible when ...`; to say when, add a condition on records with a window"),
                );
            }
            ir::Condition::All { conditions, .. } => {
                let guarded = guarded || conditions.iter().any(|c| self.dated(c));
                for child in conditions {
                    self.check_dated(child, guarded);
                }
            }
            ir::Condition::Any { conditions, .. } => {
                for child in conditions {
                    self.check_dated(child, guarded);
                }
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------ outcomes

    fn requires_closure(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(n) = stack.pop() {
            for r in self.individual_outcomes.get(&n).into_iter().flatten() {
                if out.insert(r.clone()) {
                    stack.push(r.clone());
                }
            }
        }
        out
    }

    fn outcome_refs(&mut self, list: &[ast::Ident], what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for r in list {
            if self.individual_outcomes.contains_key(&r.name) {
                out.push(r.name.clone());
            } else if self.cohort_outcomes.contains(&r.name) {
                self.error(
                    Diagnostic::error(
                        E_OUTCOME_KIND,
                        format!("`{}` is a cohort outcome; {what} names individual outcomes", r.name),
                    )
                    .at(r.span, "a cohort outcome is not achieved by one participant"),
                );
            } else if !self.broken(&r.name) {
                let candidates: Vec<String> = self.individual_outcomes.keys().cloned().collect();
                let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown outcome `{}`", r.name))
                    .at(r.span, "no outcome has this name");
                if let Some(s) = suggest(&r.name, candidates.iter().map(|s| s.as_str())) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.error(d);
            }
        }
        out
    }

    fn outcome(&mut self, item: &ast::Item, o: &ast::OutcomeDecl) {
        let scope =
            Scope { module: 0, requires: Some(self.requires_closure(&o.name.name)), ..Scope::default() };
        let mut condition = None;
        let mut payment = None;
        let mut eligible = None;
        let mut requires = Vec::new();
        let mut excludes = Vec::new();
        let mut repeats = None;
        let mut caps = ir::OutcomeCaps { payments: None, amount: None };
        let mut claim_within = None;
        let mut seen: BTreeMap<&'static str, Span> = BTreeMap::new();
        for clause in &o.clauses {
            let key = match &clause.kind {
                ast::OutcomeClauseKind::Achieved(_) => "`achieved when`",
                ast::OutcomeClauseKind::Pays(_) => "`pays`",
                ast::OutcomeClauseKind::Eligible(_) => "`eligible when`",
                ast::OutcomeClauseKind::Repeats { .. } => "`repeats`",
                ast::OutcomeClauseKind::VolumeCap { .. } => "cap on payments",
                ast::OutcomeClauseKind::MoneyCap(_) => "cap on the amount",
                ast::OutcomeClauseKind::ClaimWithin(_) => "`claim within`",
                _ => "",
            };
            if !key.is_empty() {
                if let Some(first) = seen.get(key) {
                    self.error(
                        Diagnostic::error(
                            E_INCOMPLETE_OUTCOME,
                            format!("outcome `{}` gives {key} twice", o.name.name),
                        )
                        .at(clause.span, "given again here")
                        .also(*first, "first given here")
                        .help("combine them into one clause (with `and` or `or` for conditions)"),
                    );
                    continue;
                }
                seen.insert(key, clause.span);
            }
            match &clause.kind {
                ast::OutcomeClauseKind::Achieved(c) => {
                    let errors_before = self.diagnostics.len();
                    condition = self.condition(&scope, c);
                    if let Some(checked) =
                        condition.as_ref().filter(|_| self.diagnostics.len() == errors_before)
                    {
                        self.check_dated(checked, false);
                    }
                }
                ast::OutcomeClauseKind::Pays(p) => {
                    let paying = Scope { paying_for: Some(o.name.name.clone()), ..scope.clone() };
                    payment = self.payment(&paying, p, clause.span, false)
                }
                ast::OutcomeClauseKind::Eligible(e) => {
                    let (t, x) = self.participant_value(&scope, e, Some(&Ty::Bool), "eligibility");
                    self.expect(e.span, &Ty::Bool, &t, "eligibility");
                    eligible = Some(x);
                }
                ast::OutcomeClauseKind::Requires(list) => {
                    requires.extend(self.outcome_refs(list, "`requires`"))
                }
                ast::OutcomeClauseKind::Excludes(list) => {
                    let ir_span = self.ir_span(clause.span);
                    for name in self.outcome_refs(list, "`excludes`") {
                        if name == o.name.name {
                            self.error(
                                Diagnostic::error(E_REQUIRES_CYCLE, format!("`{}` excludes itself", name))
                                    .at(clause.span, "an outcome cannot exclude itself"),
                            );
                            continue;
                        }
                        excludes.push((name, ir_span));
                    }
                }
                ast::OutcomeClauseKind::Repeats { times } => {
                    if *times == 0 {
                        self.error(
                            Diagnostic::error(
                                E_IMPOSSIBLE_COUNT,
                                "an outcome that repeats at most 0 times is never paid",
                            )
                            .at(clause.span, "expected 1 or more"),
                        );
                    }
                    repeats = Some(*times);
                }
                ast::OutcomeClauseKind::VolumeCap { payments } => caps.payments = Some(*payments),
                ast::OutcomeClauseKind::MoneyCap(q) => caps.amount = self.money(q, "the outcome's cap"),
                ast::OutcomeClauseKind::ClaimWithin(e) => {
                    claim_within = self.duration(&scope, e, "the claim period").map(|(q, _)| q)
                }
            }
        }
        for (present, what, example) in [
            (seen.contains_key("`achieved when`"), "when it is achieved", "achieved when ..."),
            (seen.contains_key("`pays`"), "what it pays", "pays 1_000 GBP"),
        ] {
            if !present {
                self.error(
                    Diagnostic::error(
                        E_INCOMPLETE_OUTCOME,
                        format!("outcome `{}` does not say {what}", o.name.name),
                    )
                    .at(o.name.span, format!("add `{example}`")),
                );
            }
        }
        let (Some(condition), Some(payment)) = (condition, payment) else { return };
        self.out.outcomes.push(CheckedOutcome {
            name: o.name.name.clone(),
            title: o.title.clone(),
            docs: item.docs.clone(),
            eligible,
            condition,
            payment,
            requires,
            excludes,
            repeats,
            caps,
            claim_within,
            span: self.ir_span(item.span),
        });
    }

    fn amount(&mut self, scope: &Scope, e: &ast::Expr) -> ir::Expr {
        let (t, x) = self.participant_value(scope, e, None, "a payment");
        self.expect_money(&t, e.span, "a payment");
        x
    }

    fn payment(&mut self, scope: &Scope, p: &ast::Pays, span: Span, cohort: bool) -> Option<ir::Payment> {
        let ir_span = self.ir_span(span);
        Some(match p {
            ast::Pays::Amount(e) => ir::Payment::Amount { amount: self.amount(scope, e), span: ir_span },
            ast::Pays::By { on, cases } => {
                if cohort {
                    self.error(
                        Diagnostic::error(E_OUTCOME_KIND, "a cohort outcome pays once for the cohort, so it cannot pay by a participant's case")
                            .at(on.span, "this differs from one participant to the next")
                            .help("pay a fixed amount, `tiers`, or an amount `per point above` a threshold"),
                    );
                    return None;
                }
                let (t, on_x) = self.participant_value(scope, on, None, "the value prices depend on");
                let enum_name = match &t {
                    Ty::Enum(n) => n.clone(),
                    Ty::Error => return None,
                    other => {
                        self.error(
                            Diagnostic::error(
                                E_TYPE_MISMATCH,
                                format!("`pays by` needs a value with named cases, not {other}"),
                            )
                            .at(on.span, "expected an enum or bands, such as `participant.group`"),
                        );
                        return None;
                    }
                };
                let all_cases = self.enums[&enum_name].cases.clone();
                let mut given: BTreeMap<String, Span> = BTreeMap::new();
                let mut ir_cases: Vec<(String, ir::Expr, bool)> = Vec::new();
                let mut otherwise: Option<(ir::Expr, Span)> = None;
                // A misspelt case is reported once, as a misspelling, not again as missing.
                let mut misspelt = false;
                for case in cases {
                    let amount = self.amount(scope, &case.amount);
                    match &case.case {
                        None => {
                            if otherwise.is_some() {
                                self.error(
                                    Diagnostic::error(E_BAD_CASE, "`otherwise` is given twice")
                                        .at(case.span, "given again here"),
                                );
                            }
                            otherwise = Some((amount, case.span));
                        }
                        Some(c) => {
                            if !all_cases.contains(&c.name) {
                                self.enum_case(&enum_name, c);
                                misspelt = true;
                                continue;
                            }
                            if let Some(first) = given.get(&c.name) {
                                self.error(
                                    Diagnostic::error(
                                        E_BAD_CASE,
                                        format!("case `{}` is priced twice", c.name),
                                    )
                                    .at(c.span, "priced again here")
                                    .also(*first, "first priced here"),
                                );
                                continue;
                            }
                            given.insert(c.name.clone(), c.span);
                            ir_cases.push((c.name.clone(), amount, false));
                        }
                    }
                }
                let missing: Vec<String> =
                    all_cases.iter().filter(|c| !given.contains_key(*c)).cloned().collect();
                match (&otherwise, missing.is_empty()) {
                    (None, false) if !misspelt => {
                        let currency = self.currency.clone().unwrap_or_else(|| "GBP".into());
                        self.error(
                            Diagnostic::error(E_NON_EXHAUSTIVE, format!("no price for {}", missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")))
                                .at(on.span, format!("participants in {} would be paid nothing, silently", if missing.len() == 1 { "this case" } else { "these cases" }))
                                .also(self.enums[&enum_name].span, format!("`{enum_name}` declared here"))
                                .help(format!("price every case, e.g. `{}: 0 {currency}` if it really pays nothing, or add `otherwise: ...`", missing[0])),
                        );
                    }
                    (Some((_, s)), true) => {
                        self.error(
                            Diagnostic::error(
                                E_BAD_CASE,
                                "`otherwise` can never apply: every case is priced",
                            )
                            .at(*s, "unreachable")
                            .help("remove it"),
                        );
                    }
                    _ => {}
                }
                // Cases in declaration order, so that the IR does not depend on how the
                // source ordered them.
                let mut ordered = Vec::new();
                for c in &all_cases {
                    if let Some((_, amount, _)) = ir_cases.iter().find(|(n, _, _)| n == c) {
                        ordered.push(ir::PaymentCase {
                            case: c.clone(),
                            amount: amount.clone(),
                            from_otherwise: false,
                        });
                    } else if let Some((amount, _)) = &otherwise {
                        ordered.push(ir::PaymentCase {
                            case: c.clone(),
                            amount: amount.clone(),
                            from_otherwise: true,
                        });
                    }
                }
                ir::Payment::ByCase { on: on_x, cases: ordered, span: ir_span }
            }
            ast::Pays::Tiers(tiers) => {
                if !cohort {
                    self.error(
                        Diagnostic::error(
                            E_OUTCOME_KIND,
                            "tiers pay by how far a cohort's measure goes, so they belong to cohort outcomes",
                        )
                        .at(span, "in an individual outcome")
                        .help("price an individual outcome with an amount or `pays by`"),
                    );
                    return None;
                }
                let mut out = Vec::new();
                let expected = self.tier_type.clone();
                let mut previous: Option<(Decimal, Span)> = None;
                for t in tiers {
                    let (ty, from) =
                        self.participant_value(scope, &t.from, expected.as_ref(), "a tier's threshold");
                    if let Some(expected) = &expected {
                        if !self.comparable(expected, &ty) {
                            self.mismatch(
                                t.from.span,
                                expected,
                                &ty,
                                "a tier (tiers are compared with what the cohort achieves)",
                            );
                        }
                    }
                    let value = match &from {
                        ir::Expr::Percent { value }
                        | ir::Expr::Decimal { value }
                        | ir::Expr::Quantity { value, .. } => Some(*value),
                        ir::Expr::Int { value } => Some(Decimal::from(*value)),
                        _ => None,
                    };
                    if let (Some(value), Some((before, before_span))) = (value, previous) {
                        if value <= before {
                            let sources = &self.program.sources;
                            let this = sources.get(t.from.span.file).slice(t.from.span).to_string();
                            let that = sources.get(before_span.file).slice(before_span).to_string();
                            self.error(
                                Diagnostic::error(E_TIERS_ORDER, format!("this tier starts at {this}, not above the tier before ({that})"))
                                    .at(t.from.span, "not above the tier before")
                                    .also(before_span, "the tier before")
                                    .note("the highest tier reached is paid, so tiers are listed from the lowest threshold up")
                                    .help("list the tiers in increasing order, each threshold above the last"),
                            );
                        }
                    }
                    if let Some(value) = value {
                        previous = Some((value, t.from.span));
                    }
                    out.push(ir::Tier { from, amount: self.amount(scope, &t.amount) });
                }
                ir::Payment::Tiers { tiers: out, span: ir_span }
            }
            ast::Pays::PerPoint { rate, above } => {
                if !cohort {
                    self.error(
                        Diagnostic::error(
                            E_OUTCOME_KIND,
                            "paying per point above a threshold is for cohort outcomes",
                        )
                        .at(span, "in an individual outcome"),
                    );
                    return None;
                }
                let value = self.money(rate, "the rate per point")?;
                let (_, above) = self.participant_value(scope, above, None, "the threshold");
                let unit = self.currency.clone().unwrap_or_default();
                ir::Payment::PerPoint { rate: ir::Quantity { value, unit }, above, span: ir_span }
            }
        })
    }

    fn cohort(&mut self, item: &ast::Item, c: &ast::CohortDecl) {
        let scope = Scope::default();
        let mut members = None;
        let mut target = None;
        let mut measure = None;
        let mut payment = None;
        let mut caps = ir::OutcomeCaps { payments: None, amount: None };
        let mut claim_within = None;
        for clause in &c.clauses {
            match &clause.kind {
                ast::CohortClauseKind::Members(m) => {
                    members = Some(match m {
                        ast::CohortMembers::All => ir::Expr::Bool { value: true },
                        ast::CohortMembers::Where(e) => {
                            let (t, x) =
                                self.participant_value(&scope, e, Some(&Ty::Bool), "cohort membership");
                            self.expect(e.span, &Ty::Bool, &t, "cohort membership");
                            x
                        }
                        ast::CohortMembers::DateRange { field, from, to } => {
                            let path = vec![
                                ast::Ident { name: "participant".into(), span: field.span },
                                field.clone(),
                            ];
                            let (t, x) = self.path(&scope, &path, field.span, None);
                            self.expect(field.span, &Ty::Date, &t, "a cohort by dates");
                            let (a, b) = (self.parse_date(from), self.parse_date(to));
                            if let (Some(a), Some(b)) = (a, b) {
                                if a > b {
                                    self.error(
                                        Diagnostic::error(
                                            E_BAD_PERIOD,
                                            "this cohort's dates are in the wrong order",
                                        )
                                        .at(to.span, format!("{b} is before {a}")),
                                    );
                                }
                            }
                            ir::Expr::And {
                                operands: vec![
                                    ir::Expr::Compare {
                                        operator: ir::CmpOp::Ge,
                                        lhs: Box::new(x.clone()),
                                        rhs: Box::new(ir::Expr::Date { value: from.text.clone() }),
                                    },
                                    ir::Expr::Compare {
                                        operator: ir::CmpOp::Le,
                                        lhs: Box::new(x),
                                        rhs: Box::new(ir::Expr::Date { value: to.text.clone() }),
                                    },
                                ],
                            }
                        }
                    })
                }
                ast::CohortClauseKind::Achieved(cond) => {
                    let (m, t) = self.cohort_condition(&scope, cond);
                    measure = m;
                    target = t;
                }
                // Priced after the loop: tiers are checked against the measure.
                ast::CohortClauseKind::Pays(_) => {}
                ast::CohortClauseKind::MoneyCap(q) => caps.amount = self.money(q, "the outcome's cap"),
                ast::CohortClauseKind::VolumeCap { payments } => caps.payments = Some(*payments),
                ast::CohortClauseKind::ClaimWithin(e) => {
                    claim_within = self.duration(&scope, e, "the claim period").map(|(q, _)| q)
                }
            }
        }
        self.tier_type = match &target {
            Some(ir::CohortTarget::AgainstControl { .. }) => Some(Ty::Percent),
            Some(ir::CohortTarget::Threshold { .. }) => self.measure_type.clone(),
            None => None,
        };
        for clause in &c.clauses {
            if let ast::CohortClauseKind::Pays(p) = &clause.kind {
                payment = self.payment(&scope, p, clause.span, true);
            }
        }
        self.tier_type = None;
        let has = |f: fn(&ast::CohortClauseKind) -> bool| c.clauses.iter().any(|x| f(&x.kind));
        for (present, what, example) in [
            (
                has(|k| matches!(k, ast::CohortClauseKind::Members(_))),
                "who is in the cohort",
                "cohort participants referred from 2025-04-01 to 2025-09-30",
            ),
            (
                has(|k| matches!(k, ast::CohortClauseKind::Achieved(_))),
                "when it is achieved",
                "achieved when share achieving ... >= 50%",
            ),
            (has(|k| matches!(k, ast::CohortClauseKind::Pays(_))), "what it pays", "pays 75_000 GBP"),
        ] {
            if !present {
                self.error(
                    Diagnostic::error(
                        E_INCOMPLETE_OUTCOME,
                        format!("cohort outcome `{}` does not say {what}", c.name.name),
                    )
                    .at(c.name.span, format!("add `{example}`")),
                );
            }
        }
        let (Some(members), Some(measure), Some(target), Some(payment)) = (members, measure, target, payment)
        else {
            return;
        };
        self.out.cohort_outcomes.push(ir::CohortOutcome {
            name: c.name.name.clone(),
            title: c.title.clone().unwrap_or_else(|| c.name.name.clone()),
            docs: item.docs.clone(),
            members,
            measure,
            target,
            payment,
            caps,
            claim_within,
            span: self.ir_span(item.span),
        });
    }

    fn percent_in_range(&mut self, e: &ast::Expr, what: &str) {
        if let ast::ExprKind::Percent(v) = &e.kind {
            if *v < Decimal::ZERO || *v > Decimal::from(100) {
                self.error(
                    Diagnostic::error(E_BAD_PERCENT, format!("{what} of {v}% is impossible"))
                        .at(e.span, "a share runs from 0% to 100%"),
                );
            }
        }
    }

    fn cohort_condition(
        &mut self,
        scope: &Scope,
        c: &ast::CohortCondition,
    ) -> (Option<ir::Measure>, Option<ir::CohortTarget>) {
        let measure_of = |c: &ast::CohortCondition| match c {
            ast::CohortCondition::Threshold { measure, .. }
            | ast::CohortCondition::AgainstControl { measure, .. } => measure.clone(),
        };
        let m = measure_of(c);
        let (measure, mty) = match &m.kind {
            ast::MeasureKind::ShareAchieving(o) | ast::MeasureKind::CountAchieving(o) => {
                let found = self.outcome_refs(std::slice::from_ref(o), "a cohort measure");
                let share = matches!(m.kind, ast::MeasureKind::ShareAchieving(_));
                match found.into_iter().next() {
                    Some(outcome) if share => (Some(ir::Measure::ShareAchieving { outcome }), Ty::Percent),
                    Some(outcome) => (Some(ir::Measure::CountAchieving { outcome }), Ty::Int),
                    None => (None, Ty::Error),
                }
            }
            ast::MeasureKind::ShareWhere(e) => {
                let (t, x) = self.participant_value(scope, e, Some(&Ty::Bool), "a cohort measure");
                self.expect(e.span, &Ty::Bool, &t, "the share's condition");
                (Some(ir::Measure::ShareWhere { expr: x }), Ty::Percent)
            }
            ast::MeasureKind::Mean(e) => {
                let (t, x) = self.participant_value(scope, e, None, "a cohort measure");
                if !(t.is_numeric() || matches!(t, Ty::Quantity(_) | Ty::Percent)) {
                    self.mismatch(e.span, &Ty::Decimal, &t, "a mean");
                }
                (Some(ir::Measure::Mean { expr: x }), if t.is_numeric() { Ty::Decimal } else { t })
            }
        };
        self.measure_type = Some(mty.clone());
        let target = match c {
            ast::CohortCondition::Threshold { op, value, .. } => {
                let (t, x) = self.participant_value(scope, value, Some(&mty), "a cohort threshold");
                if !self.comparable(&mty, &t) {
                    self.mismatch(value.span, &mty, &t, "the threshold");
                }
                self.percent_in_range(value, "a threshold");
                Some(ir::CohortTarget::Threshold { op: cmp(*op), value: x })
            }
            ast::CohortCondition::AgainstControl { effect, direction, significance, .. } => {
                if effect.value <= Decimal::ZERO || (effect.points && effect.value > Decimal::from(100)) {
                    self.error(
                        Diagnostic::error(
                            E_BAD_PERCENT,
                            format!("an effect of {} is impossible", effect.value),
                        )
                        .at(effect.span, "expected a difference above zero"),
                    );
                }
                let significance = significance.as_ref().and_then(|s| {
                    if s.level <= Decimal::ZERO || s.level >= Decimal::from(50) {
                        self.error(
                            Diagnostic::error(
                                E_BAD_PERCENT,
                                format!("a significance level of {}% makes no sense", s.level),
                            )
                            .at(s.level_span, "expected a level such as `5%` or `10%`")
                            .note("the level is the chance of paying for a difference that is only noise"),
                        );
                    }
                    let proportion = matches!(
                        m.kind,
                        ast::MeasureKind::ShareAchieving(_) | ast::MeasureKind::ShareWhere(_)
                    );
                    let fits = match s.test.name.as_str() {
                        "two_proportion_z_test" | "fisher_exact_test" => Some(proportion),
                        "welch_t_test" | "mann_whitney_u_test" => Some(!proportion),
                        _ => None,
                    };
                    if fits == Some(false) {
                        let (what, use_instead) = if proportion {
                            ("a share (a proportion)", "two_proportion_z_test or fisher_exact_test")
                        } else {
                            ("a count or a mean", "welch_t_test or mann_whitney_u_test")
                        };
                        self.error(
                            Diagnostic::error(
                                E_UNKNOWN_TEST,
                                format!("`{}` does not fit this measure, which is {what}", s.test.name),
                            )
                            .at(s.test.span, "the wrong test for this measure")
                            .also(m.span, format!("this is {what}"))
                            .help(format!("use {use_instead} (or permutation_test)")),
                        );
                        return None;
                    }
                    if !SIGNIFICANCE_TESTS.contains(&s.test.name.as_str()) {
                        let mut d = Diagnostic::error(
                            E_UNKNOWN_TEST,
                            format!("payable does not know the test `{}`", s.test.name),
                        )
                        .at(s.test.span, "not a test payable can run")
                        .note(format!("the tests are: {}", SIGNIFICANCE_TESTS.join(", ")));
                        if let Some(x) = suggest(&s.test.name, SIGNIFICANCE_TESTS.iter().copied()) {
                            d = d.help(format!("did you mean `{x}`?"));
                        }
                        self.error(d);
                        return None;
                    }
                    Some(ir::SignificanceTest { test: s.test.name.clone(), level: s.level.normalize() })
                });
                Some(ir::CohortTarget::AgainstControl {
                    effect: effect.value.normalize(),
                    points: effect.points,
                    direction: match direction {
                        ast::Direction::Above => ir::Direction::Above,
                        ast::Direction::Below => ir::Direction::Below,
                    },
                    significance,
                })
            }
        };
        (measure, target)
    }

    fn highest(&mut self, item: &ast::Item, h: &ast::HighestDecl) {
        let outcomes = self.outcome_refs(&h.outcomes, "`pay only the highest of`");
        if outcomes.len() == h.outcomes.len() {
            let span = self.ir_span(item.span);
            self.out.highest_of.push(ir::Exclusion { outcomes, rule: ir::ExclusionRule::Highest, span });
        }
    }

    // ------------------------------------------------------------ tests

    fn record(
        &mut self,
        fields: &BTreeMap<String, FieldInfo>,
        order: &[String],
        given: &ast::Given,
        owner: &str,
    ) -> Vec<ir::TestValue> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        // A misspelt field is reported once, as a misspelling, not again as left out.
        let mut suggested = BTreeSet::new();
        let scope = Scope::default();
        for f in &given.fields {
            let Some(info) = fields.get(&f.name.name) else {
                let mut d =
                    Diagnostic::error(E_TEST_RECORD, format!("{owner} have no field `{}`", f.name.name))
                        .at(f.name.span, "unknown field");
                d = match suggest(&f.name.name, order.iter().map(|s| s.as_str())) {
                    Some(s) => {
                        let help = format!("did you mean `{s}`?");
                        suggested.insert(s);
                        d.help(help)
                    }
                    None => d.note(format!("the fields are: {}", order.join(", "))),
                };
                self.error(d);
                continue;
            };
            if !seen.insert(f.name.name.clone()) {
                self.error(
                    Diagnostic::error(E_TEST_RECORD, format!("`{}` is given twice", f.name.name))
                        .at(f.name.span, "given again here"),
                );
                continue;
            }
            let expected = strip_optional(&info.ty).clone();
            let saved = std::mem::take(&mut self.events_read);
            let (t, x) = self.expr(&scope, &f.value, Some(&expected));
            let read = std::mem::replace(&mut self.events_read, saved);
            if !read.is_empty() || mentions_participant(&f.value) {
                self.error(
                    Diagnostic::error(E_TEST_RECORD, "a test gives values, not references to other data")
                        .at(f.value.span, "expected a value such as `2025-04-01` or `20 hours per week`"),
                );
                continue;
            }
            if self.expect(f.value.span, &expected, &t, &format!("field `{}`", f.name.name)) {
                if let (Ty::Bounded(lo, hi), ir::Expr::Int { value }) = (&expected, &x) {
                    if value < lo || value > hi {
                        self.error(
                            Diagnostic::error(
                                E_OUT_OF_RANGE,
                                format!("{value} is outside the range {lo}..{hi} of `{}`", f.name.name),
                            )
                            .at(f.value.span, format!("expected a whole number from {lo} to {hi}"))
                            .also(info.span, "declared here"),
                        );
                    }
                }
            }
            out.push(ir::TestValue { field: f.name.name.clone(), value: x });
        }
        let missing: Vec<&String> = order
            .iter()
            .filter(|name| {
                !seen.contains(*name)
                    && !suggested.contains(*name)
                    && !matches!(fields[*name].ty, Ty::Optional(_))
            })
            .collect();
        if !missing.is_empty() {
            self.error(
                Diagnostic::error(
                    E_TEST_RECORD,
                    format!(
                        "this record leaves out {}",
                        missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at(given.span, "incomplete record")
                .help("every field not declared optional (`?`) needs a value"),
            );
        }
        // Fields in declaration order, whatever order the test wrote them in.
        out.sort_by_key(|v| order.iter().position(|n| *n == v.field));
        out
    }

    fn test(&mut self, item: &ast::Item, t: &ast::TestDecl) {
        let mut participant = Vec::new();
        let mut events = Vec::new();
        let mut participants_given = 0;
        for g in &t.givens {
            match &g.event {
                None => {
                    participants_given += 1;
                    if participants_given == 2 {
                        self.error(
                            Diagnostic::error(
                                E_TEST_RECORD,
                                "a test is about one participant, and this one gives two",
                            )
                            .at(g.span, "second participant")
                            .help("write a test per participant"),
                        );
                    }
                    if let Some(fields) = self.participant.clone() {
                        let order = self.participant_order.clone();
                        participant = self.record(&fields, &order, g, "participants");
                    }
                }
                Some(name) => match self.events.get(&name.name).cloned() {
                    Some(info) => {
                        let fields =
                            self.record(&info.fields, &info.order, g, &format!("`{}` records", name.name));
                        if info.spell {
                            self.spell_order(&fields, g.span);
                        }
                        events.push(ir::TestEvent {
                            event: name.name.clone(),
                            fields,
                            span: self.ir_span(g.span),
                        });
                    }
                    None => self.unknown_event(name),
                },
            }
        }
        if participants_given == 0 {
            self.error(
                Diagnostic::error(E_TEST_RECORD, format!("test \"{}\" gives no participant", t.name))
                    .at(item.span, "expected `given participant { ... }`"),
            );
        }
        let mut expects = Vec::new();
        let mut expected: BTreeMap<String, Span> = BTreeMap::new();
        for e in &t.expects {
            let found = self.outcome_refs(std::slice::from_ref(&e.outcome), "`expect`");
            let Some(outcome) = found.into_iter().next() else { continue };
            if let Some(first) = expected.get(&outcome) {
                self.error(
                    Diagnostic::error(E_TEST_RECORD, format!("the test expects `{outcome}` twice"))
                        .at(e.span, "second expectation")
                        .also(*first, "first expectation")
                        .help("an outcome has one status at the test's date: keep one expectation, or write a second test with another `as of`"),
                );
                continue;
            }
            expected.insert(outcome.clone(), e.span);
            let span = self.ir_span(e.span);
            let exp = match &e.status {
                ast::ExpectStatus::Achieved { on, paying } => ir::TestExpectation {
                    outcome,
                    status: ir::ExpectedStatus::Achieved,
                    on: on.as_ref().and_then(|d| self.parse_date(d)).map(|d| d.to_string()),
                    amount: paying.as_ref().and_then(|q| self.money(q, "the expected amount")),
                    until: None,
                    span,
                },
                ast::ExpectStatus::Pending { until } => ir::TestExpectation {
                    outcome,
                    status: ir::ExpectedStatus::Pending,
                    on: None,
                    amount: None,
                    until: until.as_ref().and_then(|d| self.parse_date(d)).map(|d| d.to_string()),
                    span,
                },
                ast::ExpectStatus::NotAchieved => ir::TestExpectation {
                    outcome,
                    status: ir::ExpectedStatus::NotAchieved,
                    on: None,
                    amount: None,
                    until: None,
                    span,
                },
            };
            expects.push(exp);
        }
        let as_of = t.as_of.as_ref().and_then(|d| self.parse_date(d)).map(|d| d.to_string());
        self.out.tests.push(CheckedTest {
            name: t.name.clone(),
            as_of,
            participant,
            events,
            expects,
            span: self.ir_span(item.span),
        });
    }

    fn spell_order(&mut self, fields: &[ir::TestValue], span: Span) {
        let get = |name: &str| {
            fields.iter().find(|f| f.field == name).and_then(|f| match &f.value {
                ir::Expr::Date { value } => Some(value.clone()),
                _ => None,
            })
        };
        if let (Some(from), Some(to)) = (get("from"), get("to")) {
            if to < from {
                self.error(
                    Diagnostic::error(
                        E_TEST_RECORD,
                        format!("this spell ends ({to}) before it starts ({from})"),
                    )
                    .at(span, "`to` is before `from`"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- helpers

fn mentions_participant(e: &ast::Expr) -> bool {
    use ast::ExprKind as K;
    match &e.kind {
        K::Path(p) => p[0].name == "participant",
        K::Call { args, .. } | K::MinMax { args, .. } => args.iter().any(mentions_participant),
        K::Unary { operand, .. } => mentions_participant(operand),
        K::Binary { lhs, rhs, .. } | K::Compare { lhs, rhs, .. } => {
            mentions_participant(lhs) || mentions_participant(rhs)
        }
        K::Coalesce { value, default } => mentions_participant(value) || mentions_participant(default),
        K::Presence { value, .. } => mentions_participant(value),
        K::If { cond, then, otherwise } => {
            mentions_participant(cond) || mentions_participant(then) || mentions_participant(otherwise)
        }
        _ => false,
    }
}

/// `15/03/2016` or `3/15/2016`: numbers that only make sense as a date.
fn looks_like_slashed_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').map(str::trim).collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts[2].len() == 4
        && parts[0].len() <= 2
        && parts[1].len() <= 2
}

fn strip_optional(t: &Ty) -> &Ty {
    match t {
        Ty::Optional(inner) => inner,
        other => other,
    }
}

/// Bounded ints widen to plain ints once computed with.
fn widen(t: Ty) -> Ty {
    match t {
        Ty::Bounded(..) => Ty::Int,
        other => other,
    }
}

fn unit_mismatch_help(a: &Dimension, b: &Dimension) -> (Code, Option<String>) {
    if a.is_money() && b.is_money() {
        return (
            E_CURRENCY_MISMATCH,
            Some("payable never converts currencies: write both amounts in the same currency".into()),
        );
    }
    let month = Dimension::of(Base::Month);
    let day = Dimension::of(Base::Day);
    if (*a == month && *b == day) || (*a == day && *b == month) {
        return (
            E_CALENDAR_CONVERSION,
            Some("months and years have no fixed number of days: say the length in days or weeks, or in months, on both sides".into()),
        );
    }
    let hour = Dimension::of(Base::Hour);
    let rate = hour.mul(&day.inverse());
    let help = if (*a == hour && *b == rate) || (*a == rate && *b == hour) {
        Some("hours in total are not hours per week: compare like with like, e.g. `employment.hours > 16 hours per week`".to_string())
    } else {
        Some(format!("both sides must be in {a}, or both in {b}"))
    };
    (E_UNIT_MISMATCH, help)
}

fn flip(op: ast::CmpOp) -> ast::CmpOp {
    match op {
        ast::CmpOp::Lt => ast::CmpOp::Gt,
        ast::CmpOp::Le => ast::CmpOp::Ge,
        ast::CmpOp::Gt => ast::CmpOp::Lt,
        ast::CmpOp::Ge => ast::CmpOp::Le,
        other => other,
    }
}

fn cmp(op: ast::CmpOp) -> ir::CmpOp {
    match op {
        ast::CmpOp::Eq => ir::CmpOp::Eq,
        ast::CmpOp::Ne => ir::CmpOp::Ne,
        ast::CmpOp::Lt => ir::CmpOp::Lt,
        ast::CmpOp::Le => ir::CmpOp::Le,
        ast::CmpOp::Gt => ir::CmpOp::Gt,
        ast::CmpOp::Ge => ir::CmpOp::Ge,
    }
}

fn starts(a: ast::AnchorWord) -> ir::AnchorStart {
    match a {
        ast::AnchorWord::After => ir::AnchorStart::DayAfter,
        ast::AnchorWord::From => ir::AnchorStart::SameDay,
    }
}

fn period_kind(k: ast::PeriodKind) -> ir::PeriodKind {
    match k {
        ast::PeriodKind::CalendarMonths => ir::PeriodKind::CalendarMonth,
        ast::PeriodKind::CalendarWeeks => ir::PeriodKind::CalendarWeek,
        ast::PeriodKind::AnniversaryMonths => ir::PeriodKind::Month,
        ast::PeriodKind::Weeks => ir::PeriodKind::Week,
        ast::PeriodKind::Days => ir::PeriodKind::Day,
    }
}

fn decimal_to_i64(d: Decimal) -> i64 {
    i64::try_from(d).unwrap_or(i64::MAX)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn list_names(names: &BTreeSet<String>) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
}

/// The closest known name, if one is close enough to be a likely typo.
pub fn suggest<'s>(word: &str, candidates: impl Iterator<Item = &'s str>) -> Option<String> {
    candidates
        .filter(|c| *c != word)
        .map(|c| {
            // `survey` for `wellbeing_survey`: a word of a longer name is a likely meaning.
            let part_of = c.split('_').any(|part| part == word) && word.len() >= 3;
            (if part_of { 0.9 } else { strsim::jaro_winkler(word, c) }, c)
        })
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c.to_string())
}
