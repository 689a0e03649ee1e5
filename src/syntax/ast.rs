//! The untyped syntax tree: what the contract says, as written, with a span on every node.
//!
//! Nothing here is resolved or checked: a name is only a name, a unit only a word. Sugar is
//! kept as written (the formatter and the language server need it); `lower` removes it.

// A file has few nodes of each kind: their size is not worth boxing for.
#![allow(clippy::large_enum_variant)]

use crate::source::Span;
use rust_decimal::Decimal;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed file: a contract, or a module of shared definitions.
#[derive(Clone, Debug, Default)]
pub struct Module {
    pub items: Vec<Item>,
    /// Items that did not parse (already reported), so that later stages do not also report
    /// them as missing or their names as unknown.
    pub broken: Vec<BrokenItem>,
}

/// What can be read of an item that did not parse: its keyword and, if any, its name.
#[derive(Clone, Debug)]
pub struct BrokenItem {
    pub keyword: String,
    pub name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub docs: Vec<String>,
    /// Lints allowed on this item, each with its reason.
    pub allows: Vec<Allow>,
    pub span: Span,
    pub kind: ItemKind,
}

/// `allow(cliff_edge, reason = "the commissioner accepts the risk")`
#[derive(Clone, Debug)]
pub struct Allow {
    pub lint: Ident,
    pub reason: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Use(Use),
    Contract(ContractHeader),
    Enum(EnumDecl),
    Unit(UnitDecl),
    Bands(BandsDecl),
    Participant(ParticipantDecl),
    Event(EventDecl),
    Let(LetDecl),
    Outcome(OutcomeDecl),
    Cohort(CohortDecl),
    Highest(HighestDecl),
    Test(TestDecl),
}

impl ItemKind {
    /// The words a user would use for this kind of item, with its article, for messages.
    pub fn noun(&self) -> &'static str {
        match self {
            ItemKind::Use(_) => "a `use`",
            ItemKind::Contract(_) => "a contract header",
            ItemKind::Enum(_) => "an enum",
            ItemKind::Unit(_) => "a unit",
            ItemKind::Bands(_) => "bands",
            ItemKind::Participant(_) => "a participant declaration",
            ItemKind::Event(_) => "an event declaration",
            ItemKind::Let(_) => "a definition",
            ItemKind::Outcome(_) => "an outcome",
            ItemKind::Cohort(_) => "a cohort outcome",
            ItemKind::Highest(_) => "a `pay only the highest of`",
            ItemKind::Test(_) => "a test",
        }
    }
}

#[derive(Clone, Debug)]
pub enum Use {
    /// `use std.calendar`: a module embedded in the binary; `as dates` names it otherwise
    /// (a contract with an event called `employment` uses `std.employment as work`).
    Std { module: Ident, alias: Option<Ident> },
    /// `use "shared/anchors.pay" as anchors`: a file relative to the one that uses it.
    File { path: String, path_span: Span, alias: Option<Ident> },
}

#[derive(Clone, Debug)]
pub struct ContractHeader {
    pub name: String,
    pub entries: Vec<ContractEntry>,
}

#[derive(Clone, Debug)]
pub struct ContractEntry {
    pub span: Span,
    pub kind: ContractEntryKind,
}

#[derive(Clone, Debug)]
pub enum ContractEntryKind {
    Currency(Ident),
    Achievable {
        from: DateLit,
        to: DateLit,
    },
    ClaimsClose(DateLit),
    TotalCap(Quantity),
    ParticipantCap(Quantity),
    Rounding {
        mode: RoundingMode,
        increment: Quantity,
    },
    /// `working days exclude england_and_wales`: whose bank holidays are not working days.
    Holidays(Ident),
}

impl ContractEntryKind {
    pub fn describe(&self) -> &'static str {
        match self {
            ContractEntryKind::Currency(_) => "currency",
            ContractEntryKind::Achievable { .. } => "achievable period",
            ContractEntryKind::ClaimsClose(_) => "claims deadline",
            ContractEntryKind::TotalCap(_) => "total cap",
            ContractEntryKind::ParticipantCap(_) => "cap per participant",
            ContractEntryKind::Rounding { .. } => "rounding rule",
            ContractEntryKind::Holidays(_) => "working-day calendar",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundingMode {
    HalfUp,
    HalfEven,
    Down,
    Up,
}

/// A date as written: the text is kept so that a date that does not exist (2023-02-29) can
/// be reported by the checker with its span.
#[derive(Clone, Debug)]
pub struct DateLit {
    pub text: String,
    pub span: Span,
}

/// A number with an optional unit, as written: `1_000 GBP`, `16 hours per week`, `3`.
#[derive(Clone, Debug)]
pub struct Quantity {
    pub value: Decimal,
    pub unit: Option<UnitExpr>,
    pub span: Span,
}

/// `hours per week`: a unit word, optionally divided by another. `working days` sets
/// `working`.
#[derive(Clone, Debug)]
pub struct UnitExpr {
    pub working: bool,
    pub numerator: Ident,
    pub denominator: Option<Ident>,
    pub span: Span,
}

impl UnitExpr {
    pub fn text(&self) -> String {
        let working = if self.working { "working " } else { "" };
        match &self.denominator {
            Some(d) => format!("{working}{} per {}", self.numerator.name, d.name),
            None => format!("{working}{}", self.numerator.name),
        }
    }
}

#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: Ident,
    pub cases: Vec<EnumCase>,
}

#[derive(Clone, Debug)]
pub struct EnumCase {
    pub docs: Vec<String>,
    pub name: Ident,
}

/// `unit tonne, tonnes`: a unit of the contract's own, singular and optional plural.
#[derive(Clone, Debug)]
pub struct UnitDecl {
    pub singular: Ident,
    pub plural: Option<Ident>,
}

#[derive(Clone, Debug)]
pub struct BandsDecl {
    pub name: Ident,
    pub of: TypeExpr,
    pub bands: Vec<Band>,
}

#[derive(Clone, Debug)]
pub struct Band {
    pub docs: Vec<String>,
    pub name: Ident,
    /// Inclusive lower bound; `None` for `below X`.
    pub from: Option<Decimal>,
    /// Exclusive upper bound; `None` for `from X` with no end.
    pub to: Option<Decimal>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ParticipantDecl {
    /// What one participant is, if not a person: `participant "family" { ... }`.
    pub noun: Option<String>,
    pub fields: Vec<FieldDecl>,
}

#[derive(Clone, Debug)]
pub struct EventDecl {
    pub name: Ident,
    pub activity: bool,
    pub fields: Vec<FieldDecl>,
    pub evidence: Vec<Ident>,
    pub evidence_span: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct FieldDecl {
    pub docs: Vec<String>,
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeExprKind {
    /// `14..70`
    Bounded { lo: i64, hi: i64 },
    /// `date`, `Group`, `hours per week`: which it is, the checker decides.
    Named(UnitExpr),
    /// `education.Level`: an enum declared in a module this file uses.
    Qualified { module: Ident, name: Ident },
}

#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: Ident,
    pub params: Option<Vec<Param>>,
    pub annotation: Option<TypeExpr>,
    pub body: Expr,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct OutcomeDecl {
    pub name: Ident,
    pub title: Option<String>,
    pub clauses: Vec<OutcomeClause>,
}

#[derive(Clone, Debug)]
pub struct OutcomeClause {
    pub span: Span,
    pub kind: OutcomeClauseKind,
}

#[derive(Clone, Debug)]
pub enum OutcomeClauseKind {
    Achieved(Condition),
    Eligible(Expr),
    Pays(Pays),
    Requires(Vec<Ident>),
    Excludes(Vec<Ident>),
    Repeats { times: u32 },
    VolumeCap { payments: u32 },
    MoneyCap(Quantity),
    ClaimWithin(Expr),
}

#[derive(Clone, Debug)]
pub enum Pays {
    Amount(Expr),
    By { on: Expr, cases: Vec<PaysCase> },
    Tiers(Vec<Tier>),
    PerPoint { rate: Quantity, above: Expr },
}

#[derive(Clone, Debug)]
pub struct PaysCase {
    /// `None` for `otherwise`.
    pub case: Option<Ident>,
    pub amount: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Tier {
    pub from: Expr,
    pub amount: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct CohortDecl {
    pub name: Ident,
    pub title: Option<String>,
    pub clauses: Vec<CohortClause>,
}

#[derive(Clone, Debug)]
pub struct CohortClause {
    pub span: Span,
    pub kind: CohortClauseKind,
}

#[derive(Clone, Debug)]
pub enum CohortClauseKind {
    Members(CohortMembers),
    Achieved(CohortCondition),
    Pays(Pays),
    MoneyCap(Quantity),
    VolumeCap { payments: u32 },
    ClaimWithin(Expr),
}

#[derive(Clone, Debug)]
pub enum CohortMembers {
    All,
    Where(Expr),
    /// `participants referred from 2025-04-01 to 2025-09-30`
    DateRange {
        field: Ident,
        from: DateLit,
        to: DateLit,
    },
}

#[derive(Clone, Debug)]
pub enum CohortCondition {
    Threshold {
        measure: Measure,
        op: CmpOp,
        value: Expr,
    },
    AgainstControl {
        measure: Measure,
        effect: Effect,
        direction: Direction,
        significance: Option<Significance>,
    },
}

#[derive(Clone, Debug)]
pub struct Measure {
    pub span: Span,
    pub kind: MeasureKind,
}

#[derive(Clone, Debug)]
pub enum MeasureKind {
    ShareAchieving(Ident),
    CountAchieving(Ident),
    ShareWhere(Expr),
    Mean(Expr),
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub value: Decimal,
    /// `10 points` (absolute difference) rather than `10%` (relative to the control).
    pub points: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Above,
    Below,
}

#[derive(Clone, Debug)]
pub struct Significance {
    pub level: Decimal,
    pub level_span: Span,
    pub test: Ident,
}

#[derive(Clone, Debug)]
pub struct HighestDecl {
    pub outcomes: Vec<Ident>,
}

#[derive(Clone, Debug)]
pub struct TestDecl {
    pub name: String,
    pub as_of: Option<DateLit>,
    pub givens: Vec<Given>,
    pub expects: Vec<Expect>,
}

#[derive(Clone, Debug)]
pub struct Given {
    /// `None` for `given participant { ... }`, else the event name.
    pub event: Option<Ident>,
    pub fields: Vec<RecordField>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RecordField {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub struct Expect {
    pub outcome: Ident,
    pub status: ExpectStatus,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExpectStatus {
    Achieved { on: Option<DateLit>, paying: Option<Quantity> },
    Pending { until: Option<DateLit> },
    NotAchieved,
}

// ---------------------------------------------------------------- conditions

/// When an individual outcome is achieved.
#[derive(Clone, Debug)]
pub struct Condition {
    pub span: Span,
    pub kind: ConditionKind,
}

#[derive(Clone, Debug)]
pub enum ConditionKind {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    /// `no offence within 12 months after participant.released`
    Absence {
        filter: EventFilter,
        window: Window,
        excluding: Vec<Ident>,
    },
    /// `at most 2 rough_sleeping within 12 months after ...`
    AtMost {
        times: u32,
        filter: EventFilter,
        window: Window,
        excluding: Vec<Ident>,
    },
    /// `sum of earnings.amount reaches 768 GBP within 18 months after ...`: the day a running
    /// total first reaches a value.
    Reaches {
        aggregate: Aggregate,
        aggregate_span: Span,
        threshold: Expr,
        window: Window,
    },
    /// `wellbeing_survey.score rises by at least 3 from the first wellbeing_survey within ...`
    Change {
        value: Expr,
        direction: ChangeDirection,
        by: Expr,
        baseline: Baseline,
        window: Window,
    },
    /// `employment.hours > 16 hours per week in at least 13 of the 26 calendar months after X`
    Periods {
        filter: EventFilter,
        count: PeriodCount,
        kind: PeriodKind,
        anchor: AnchorWord,
        start: Expr,
        counting: Option<Counting>,
        excluding: Vec<Ident>,
    },
    /// `employment for 26 consecutive weeks within 18 months after ...`
    Consecutive {
        filter: EventFilter,
        periods: u32,
        periods_span: Span,
        kind: PeriodKind,
        window: Window,
        counting: Option<Counting>,
        excluding: Vec<Ident>,
    },
    /// `accommodation for at least 182 days in total within 12 months after ...`
    Cumulative {
        filter: EventFilter,
        at_least: Expr,
        window: Window,
        excluding: Vec<Ident>,
    },
    /// `qualification.level >= 2 within 18 months after ...`: the first time it holds.
    Occurrence {
        filter: EventFilter,
        window: Window,
    },
    /// A boolean expression, e.g. a threshold on an aggregate.
    Holds(Expr),
}

/// Which events a condition looks at: `employment.hours > 16 hours per week`, `offence`, or
/// `employment where employment.hours > 16 hours per week`.
#[derive(Clone, Debug)]
pub struct EventFilter {
    pub event: Option<Ident>,
    pub predicate: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeDirection {
    Rises,
    Falls,
}

#[derive(Clone, Debug)]
pub enum Baseline {
    FirstEvent(Ident),
    Value(Expr),
}

#[derive(Clone, Debug)]
pub struct PeriodCount {
    pub at_least: u32,
    pub of: u32,
    /// `in each of the 6 ...` rather than `in at least 6 of the 6 ...`.
    pub each: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    CalendarMonths,
    CalendarWeeks,
    AnniversaryMonths,
    Weeks,
    Days,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorWord {
    /// The window starts the day after the anchor.
    After,
    /// The window starts on the anchor.
    From,
}

#[derive(Clone, Debug)]
pub struct Counting {
    pub rule: CountingRule,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountingRule {
    AnyDay,
    EveryDay,
    AtLeastDays(u32),
}

#[derive(Clone, Debug)]
pub struct Window {
    pub span: Span,
    pub kind: WindowKind,
}

#[derive(Clone, Debug)]
pub enum WindowKind {
    Within { length: Expr, anchor: AnchorWord, start: Expr },
    Between { from: Expr, to: Expr },
    After(Expr),
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Debug)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Quantity(Quantity),
    Percent(Decimal),
    Date(DateLit),
    Text(String),
    Bool(bool),
    /// `participant.born`, `employment.hours`, `sixteenth_birthday`, `Group.ready`,
    /// `calendar.tax_year_start`: what it names, the checker decides.
    Path(Vec<Ident>),
    Call {
        callee: Vec<Ident>,
        args: Vec<Expr>,
    },
    MinMax {
        max: bool,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Coalesce {
        value: Box<Expr>,
        default: Box<Expr>,
    },
    Presence {
        value: Box<Expr>,
        present: bool,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Aggregate(Box<Aggregate>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFn {
    Sum,
    Count,
    Mean,
    Min,
    Max,
}

/// `sum of earnings.amount where earnings.source == payslip within 12 months after X`
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub function: AggregateFn,
    pub event: Ident,
    pub field: Option<Ident>,
    pub filter: Option<Expr>,
    pub window: Option<Window>,
}
