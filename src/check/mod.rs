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

mod conditions;
mod declarations;
mod expressions;
mod outcomes;
mod test_blocks;

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
