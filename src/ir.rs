//! The intermediate representation: the contract after every name is resolved, every unit
//! normalised, every default made explicit and every sugar lowered to a small core.
//!
//! This is a public compatibility boundary: the evaluator, the SQL backend and a validator's
//! own scripts read nothing else. Its JSON Schema is `docs/ir.schema.json` (kept current by
//! `tests/ir_schema.rs`); bump [`IR_VERSION`] on any change a reader could notice.
//!
//! Conventions: dates are `YYYY-MM-DD` strings; exact decimals are strings (`"2400"`), never
//! binary floats; quantities carry their canonical unit (see `units`), e.g. `hour/week`,
//! `day`, `month`, `GBP`. Spans say where in the source a construct came from; they are
//! excluded from the content hash, so reformatting a contract never changes its hash.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const IR_VERSION: &str = "1";

/// A compiled contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub ir_version: String,
    /// SHA-256 (hex) of the canonical JSON of this contract with `hash`, `sources` and
    /// every `span` removed. See [`Contract::content_hash`].
    pub hash: String,
    /// Source files, indexed by `Span::file`.
    pub sources: Vec<String>,
    pub name: String,
    pub currency: String,
    pub achievable: DateRange,
    /// Last date on which any claim can be made.
    pub claims_close: String,
    pub rounding: Rounding,
    pub working_days: WorkingDays,
    pub caps: ContractCaps,
    /// The order in which caps apply to each payment: always the same, stated here so that
    /// every reader applies them alike.
    pub cap_order: Vec<CapKind>,
    pub participant: Participant,
    pub enums: Vec<Enum>,
    pub events: Vec<Event>,
    pub definitions: Vec<Definition>,
    pub outcomes: Vec<Outcome>,
    pub cohort_outcomes: Vec<CohortOutcome>,
    /// Groups of outcomes of which only one is paid per participant.
    pub exclusions: Vec<Exclusion>,
    pub tests: Vec<Test>,
    /// Lints allowed on the contract header (contract-wide lints such as `no_total_cap`),
    /// each with its written reason.
    #[serde(default)]
    pub allows: Vec<Allowed>,
}

/// A lint knowingly accepted on one item: `allow(cliff_edge, reason = "...")`. Kept in the IR
/// so that every explanation of the item can say which risk was accepted, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    /// The lint's name, e.g. `cliff_edge` (see `docs/reference.md`, W codes).
    pub lint: String,
    /// Why the risk is accepted, as written in the contract.
    pub reason: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Span {
    pub file: u32,
    pub start: u32,
    pub end: u32,
    /// One-based line of `start`.
    pub line: u32,
    /// One-based column of `start`.
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    pub from: String,
    /// Inclusive.
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    pub mode: RoundingMode,
    /// Amounts are rounded to a multiple of this, in the contract currency.
    #[schemars(with = "String")]
    pub increment: Decimal,
    /// Rounding applies to each payment after prices and before caps.
    pub applies_to: String,
    /// True when the contract did not say: `half_up` to `0.01`.
    pub defaulted: bool,
}

/// What a working day is, for durations in `working_day`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingDays {
    /// Monday to Friday, less the bank holidays of this calendar: `england_and_wales`,
    /// `scotland`, `northern_ireland`, or `none`.
    pub holidays: String,
    /// True when the contract did not say, and `none` (weekends only) applies.
    pub defaulted: bool,
}

/// The bank-holiday calendars a contract can name.
pub const HOLIDAY_CALENDARS: &[&str] = &["england_and_wales", "scotland", "northern_ireland", "none"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    HalfUp,
    HalfEven,
    Down,
    Up,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractCaps {
    /// Most the contract pays in all; `null` when uncapped.
    #[schemars(with = "Option<String>")]
    pub total: Option<Decimal>,
    /// Most one participant can earn the provider; `null` when uncapped.
    #[schemars(with = "Option<String>")]
    pub per_participant: Option<Decimal>,
    pub span: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapKind {
    /// An outcome's limit on the number of payments.
    OutcomePayments,
    /// An outcome's limit on the amount paid.
    OutcomeAmount,
    /// The limit per participant across outcomes.
    Participant,
    /// The contract's total.
    Contract,
}

/// The standard order caps apply in: narrowest first.
pub const CAP_ORDER: [CapKind; 4] =
    [CapKind::OutcomePayments, CapKind::OutcomeAmount, CapKind::Participant, CapKind::Contract];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// What one participant is: `participant`, or `family`, `school`, ...
    pub noun: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// The unit input data is given in, when it differs from the canonical unit of `type`:
    /// multiply an input value by `input_factor` to get the canonical value.
    pub input_unit: Option<String>,
    #[schemars(with = "String")]
    pub input_factor: Decimal,
    pub docs: Vec<String>,
    pub span: Span,
}

/// A value's type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Type {
    Bool,
    Int,
    /// A whole number from `min` to `max` inclusive.
    Bounded {
        min: i64,
        max: i64,
    },
    Decimal,
    Text,
    Date,
    /// A percentage: `50` means 50%.
    Percent,
    /// A number in a unit; money is a quantity whose unit is a currency.
    Quantity {
        unit: String,
    },
    Enum {
        name: String,
    },
    Optional {
        of: Box<Type>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enum {
    pub name: String,
    pub cases: Vec<String>,
    /// For enums declared as `bands`: the interval of each case, in order.
    pub bands: Option<Bands>,
    pub docs: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    #[serde(rename = "type")]
    pub of: Type,
    pub bands: Vec<Band>,
}

/// `from <= value < to`; a missing bound is unbounded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub case: String,
    #[schemars(with = "Option<String>")]
    pub from: Option<Decimal>,
    #[schemars(with = "Option<String>")]
    pub to: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub name: String,
    pub timing: Timing,
    pub fields: Vec<Field>,
    /// What backs a record: `self_reported`, `validated`, an administrative source...
    /// Empty when the declaration does not say.
    pub evidence: Vec<String>,
    /// Records of activity (attendance, sessions) rather than of outcomes.
    pub activity: bool,
    pub docs: Vec<String>,
    pub span: Span,
}

/// When an event happens: on a day, or over a spell of days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Timing {
    /// One day, in the field `on`.
    Point { on: String },
    /// From `from` to `to`, both inclusive. When `open_ended`, a missing `to` means the
    /// spell was still going on at the as-of date, and says nothing of the days after it.
    Spell { from: String, to: String, open_ended: bool },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Qualified for definitions from modules: `calendar.birthday`.
    pub name: String,
    pub params: Vec<Param>,
    #[serde(rename = "type")]
    pub ty: Type,
    /// The event whose fields the body reads, if any: such a definition is a condition on
    /// one record of that event.
    pub event: Option<String>,
    pub body: Expr,
    pub docs: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub name: String,
    pub title: String,
    pub docs: Vec<String>,
    /// Who can achieve it; `true` when the contract does not restrict it.
    pub eligible: Expr,
    pub condition: Condition,
    pub payment: Payment,
    /// Outcomes that must be achieved first (directly required only).
    pub requires: Vec<String>,
    /// How many times it can be achieved and paid: `1` unless it `repeats`. Each repeat is
    /// measured again from the day after the previous achievement.
    pub max_times: u32,
    pub caps: OutcomeCaps,
    /// How long after achievement a claim may be made; `null` means until `claims_close`.
    pub claim_within: Option<Quantity>,
    /// Lints allowed on this outcome, each with its written reason.
    #[serde(default)]
    pub allows: Vec<Allowed>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeCaps {
    /// Most payments of this outcome across all participants.
    pub payments: Option<u32>,
    /// Most paid for this outcome across all participants.
    #[schemars(with = "Option<String>")]
    pub amount: Option<Decimal>,
}

/// A number in a canonical unit (see module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    #[schemars(with = "String")]
    pub value: Decimal,
    pub unit: String,
}

/// How a participant's achievement, and its date, is decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// All hold; achieved on the latest of their dates.
    All { conditions: Vec<Condition>, span: Span },
    /// One holds; achieved on the earliest of their dates.
    Any { conditions: Vec<Condition>, span: Span },
    /// At least `at_least` of the `of` consecutive periods starting at `window_start` count.
    /// Achieved on the last day of the period that completes the count.
    Periods {
        filter: EventFilter,
        at_least: u32,
        of: u32,
        period: PeriodKind,
        window_start: Anchor,
        counting: Counting,
        excluding: Vec<String>,
        span: Span,
    },
    /// `periods` periods in a row, each counting, all inside `window`.
    Consecutive {
        filter: EventFilter,
        periods: u32,
        period: PeriodKind,
        window: Window,
        counting: Counting,
        excluding: Vec<String>,
        span: Span,
    },
    /// Days on which the filter holds, added up across spells, reach `at_least` inside the
    /// window. Achieved on the day the total is reached.
    Cumulative { filter: EventFilter, at_least: Quantity, window: Window, excluding: Vec<String>, span: Span },
    /// The first day inside the window on which the filter holds.
    Occurrence { filter: EventFilter, window: Window, span: Span },
    /// At most `max_occurrences` matching events inside the window (0: none at all).
    /// Achieved on the window's last day; pending until then.
    Absence { filter: EventFilter, max_occurrences: u32, window: Window, excluding: Vec<String>, span: Span },
    /// The running total (sum of `field`, or count) of matching records inside the window
    /// first reaches `threshold`. Achieved on the date of the record that reaches it.
    Reaches {
        function: AggregateFn,
        filter: EventFilter,
        field: Option<String>,
        threshold: Expr,
        window: Window,
        span: Span,
    },
    /// The value of a later event differs from the baseline by at least `by`, in `direction`.
    /// Achieved on the date of the first such event inside the window.
    Change {
        event: String,
        value: Expr,
        direction: ChangeDirection,
        by: Expr,
        baseline: Baseline,
        window: Window,
        span: Span,
    },
    /// A participant-level boolean. If it reads a windowed aggregate (a threshold on a total),
    /// achieved on the last day of the latest window it reads, once that day has passed. If
    /// it reads no window, it is a guard inside `all`: it must hold, and the date comes from
    /// the conditions beside it.
    Holds { expr: Expr, span: Span },
}

/// Which records a condition looks at: records of `event` for which `predicate` holds.
/// Inside a period, an aggregate without a window (`sum of employment.hours`) ranges over
/// the records in effect on each day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    pub event: String,
    pub predicate: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Whole calendar months (1st to last day); the first is the first whole month starting
    /// on or after the window start.
    CalendarMonth,
    /// Whole Monday-to-Sunday weeks; the first starts on or after the window start.
    CalendarWeek,
    /// Months counted from the window start's day of the month (anniversary months).
    Month,
    /// Seven-day periods from the window start.
    Week,
    Day,
}

/// Where a window or a run of periods starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// A date-valued, participant-level expression.
    pub date: Expr,
    pub starts: AnchorStart,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnchorStart {
    /// `after X`: the day after X.
    DayAfter,
    /// `from X`: X itself.
    SameDay,
}

/// How a period counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Counting {
    pub rule: CountingRule,
    /// With `at_least_days`: how many days of the period must hold.
    pub min_days: Option<u32>,
    /// True when the contract did not say, and the documented default (`any_day`) applies.
    pub defaulted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountingRule {
    AnyDay,
    EveryDay,
    AtLeastDays,
}

/// A span of dates: from `start` to `end`, inclusive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: Anchor,
    pub end: WindowEnd,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WindowEnd {
    /// The window lasts `length` (calendar arithmetic: 12 months from 31 January ends on
    /// 30 January); its last day is the day before start + length.
    Length { length: Quantity },
    /// Ends on a date (inclusive).
    Date { date: Expr },
    /// Ends with the contract's achievable period.
    AchievableEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDirection {
    Rises,
    Falls,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Baseline {
    /// The value in the first record of the event inside the window.
    FirstEvent,
    /// A participant-level value.
    Value { value: Expr },
}

/// What an achievement pays, before rounding and caps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payment {
    Amount {
        amount: Expr,
        span: Span,
    },
    /// One amount per case of `on` (every case listed).
    ByCase {
        on: Expr,
        cases: Vec<PaymentCase>,
        span: Span,
    },
    /// The amount of the highest tier whose `from` is reached; nothing below the first.
    /// Against a threshold the measure is tiered; against a control group, the effect.
    Tiers {
        tiers: Vec<Tier>,
        span: Span,
    },
    /// `rate` for each percentage point (or unit) above `above`: of the measure against a
    /// threshold, of the effect against a control group.
    PerPoint {
        rate: Quantity,
        above: Expr,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentCase {
    pub case: String,
    pub amount: Expr,
    /// True when the case was covered by `otherwise`.
    pub from_otherwise: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub from: Expr,
    pub amount: Expr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortOutcome {
    pub name: String,
    pub title: String,
    pub docs: Vec<String>,
    /// Which participants are in the cohort; `true` for all.
    pub members: Expr,
    pub measure: Measure,
    pub target: CohortTarget,
    pub payment: Payment,
    pub caps: OutcomeCaps,
    pub claim_within: Option<Quantity>,
    /// Lints allowed on this cohort outcome, each with its written reason.
    #[serde(default)]
    pub allows: Vec<Allowed>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// Percentage of members who achieve the outcome.
    ShareAchieving { outcome: String },
    /// Number of members who achieve the outcome.
    CountAchieving { outcome: String },
    /// Percentage of members for whom the expression holds.
    ShareWhere { expr: Expr },
    /// Mean over members of a participant-level number.
    Mean { expr: Expr },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CohortTarget {
    Threshold {
        op: CmpOp,
        value: Expr,
    },
    /// The measure differs from the control group's by at least `effect`: percentage points
    /// when `points`, else relative to the control's value.
    AgainstControl {
        #[schemars(with = "String")]
        effect: Decimal,
        points: bool,
        direction: Direction,
        significance: Option<SignificanceTest>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Above,
    Below,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignificanceTest {
    pub test: String,
    /// Significance level in percent (`5` for p < 0.05).
    #[schemars(with = "String")]
    pub level: Decimal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub outcomes: Vec<String>,
    pub rule: ExclusionRule,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionRule {
    /// `excludes`: whichever is achieved first is paid (ties: the higher amount, then the
    /// first declared); the others are not achieved.
    FirstAchieved,
    /// `pay only the highest of`: all may be achieved; only the highest amount is paid.
    Highest,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Test {
    pub name: String,
    /// The as-of date; `claims_close` when the test does not say.
    pub as_of: String,
    pub participant: Vec<TestValue>,
    pub events: Vec<TestEvent>,
    pub expects: Vec<TestExpectation>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestValue {
    pub field: String,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestEvent {
    pub event: String,
    pub fields: Vec<TestValue>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestExpectation {
    pub outcome: String,
    pub status: ExpectedStatus,
    /// For `achieved`: the date, if the test gives one.
    pub on: Option<String>,
    /// For `achieved`: the amount, if the test gives one.
    #[schemars(with = "Option<String>")]
    pub amount: Option<Decimal>,
    /// For `pending`: the date it will be decided by, if the test gives one.
    pub until: Option<String>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedStatus {
    Achieved,
    Pending,
    NotAchieved,
}

/// A participant-level or record-level value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Expr {
    Bool {
        value: bool,
    },
    Int {
        value: i64,
    },
    Decimal {
        #[schemars(with = "String")]
        value: Decimal,
    },
    Text {
        value: String,
    },
    Date {
        value: String,
    },
    /// `50` means 50%.
    Percent {
        #[schemars(with = "String")]
        value: Decimal,
    },
    Quantity {
        #[schemars(with = "String")]
        value: Decimal,
        unit: String,
    },
    Case {
        enum_name: String,
        case: String,
    },
    ParticipantField {
        field: String,
    },
    /// A field of the record under consideration.
    EventField {
        event: String,
        field: String,
    },
    Param {
        name: String,
    },
    /// A definition without parameters.
    Ref {
        name: String,
    },
    Call {
        function: String,
        args: Vec<Expr>,
    },
    /// `age`, `start_of_month`, `end_of_month`, `start_of_year`, `min`, `max`.
    Builtin {
        function: String,
        args: Vec<Expr>,
    },
    /// The case of a `bands` enum the value falls in.
    Classify {
        bands: String,
        value: Box<Expr>,
    },
    Neg {
        operand: Box<Expr>,
    },
    Not {
        operand: Box<Expr>,
    },
    /// Arithmetic on numbers and quantities (in canonical units). Percentages taking part in
    /// `*` or `/` are already divided by 100.
    Binary {
        operator: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A date moved by `by` units of calendar time (`day`, `month` or `working_day`),
    /// backwards when `backwards`. Months clamp to the month's last day: 31 January + 1 month
    /// is 28 or 29 February.
    ShiftDate {
        date: Box<Expr>,
        by: Box<Expr>,
        unit: String,
        backwards: bool,
    },
    /// The number of days from `from` to `to` (negative when `to` is earlier).
    DaysBetween {
        from: Box<Expr>,
        to: Box<Expr>,
    },
    And {
        operands: Vec<Expr>,
    },
    Or {
        operands: Vec<Expr>,
    },
    Compare {
        operator: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `value` if present, else `default`.
    Coalesce {
        value: Box<Expr>,
        default: Box<Expr>,
    },
    IsPresent {
        value: Box<Expr>,
    },
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Aggregate {
        function: AggregateFn,
        event: String,
        field: Option<String>,
        filter: Box<Expr>,
        /// `null` only inside a period condition: then the records in effect on each day.
        window: Option<Box<Window>>,
    },
    /// The date an outcome was achieved: one the current outcome requires, or, in its
    /// payment, the outcome itself.
    AchievedOn {
        outcome: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AggregateFn {
    Sum,
    Count,
    Mean,
    Min,
    Max,
}

impl Expr {
    /// Calls `f` on each expression directly inside this one, in the order written, the
    /// anchors and end dates of an aggregate's window included. Definitions named by `Ref`
    /// and `Call` are not followed: their bodies live in the contract's `definitions`.
    pub fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            Expr::Bool { .. }
            | Expr::Int { .. }
            | Expr::Decimal { .. }
            | Expr::Text { .. }
            | Expr::Date { .. }
            | Expr::Percent { .. }
            | Expr::Quantity { .. }
            | Expr::Case { .. }
            | Expr::ParticipantField { .. }
            | Expr::EventField { .. }
            | Expr::Param { .. }
            | Expr::Ref { .. }
            | Expr::AchievedOn { .. } => {}
            Expr::Call { args, .. } | Expr::Builtin { args, .. } => args.iter().for_each(f),
            Expr::And { operands } | Expr::Or { operands } => operands.iter().for_each(f),
            Expr::Classify { value: e, .. }
            | Expr::Neg { operand: e }
            | Expr::Not { operand: e }
            | Expr::IsPresent { value: e } => f(e),
            Expr::Binary { lhs, rhs, .. } | Expr::Compare { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            Expr::ShiftDate { date, by, .. } => {
                f(date);
                f(by);
            }
            Expr::DaysBetween { from, to } => {
                f(from);
                f(to);
            }
            Expr::Coalesce { value, default } => {
                f(value);
                f(default);
            }
            Expr::If { condition, then, otherwise } => {
                f(condition);
                f(then);
                f(otherwise);
            }
            Expr::Aggregate { filter, window, .. } => {
                f(filter);
                if let Some(window) = window {
                    f(&window.start.date);
                    if let WindowEnd::Date { date } = &window.end {
                        f(date);
                    }
                }
            }
        }
    }

    /// True when `test` holds of this expression or of any expression inside it (see
    /// [`for_each_child`](Self::for_each_child)), looked at outside in.
    pub fn any(&self, test: &mut dyn FnMut(&Expr) -> bool) -> bool {
        if test(self) {
            return true;
        }
        let mut found = false;
        self.for_each_child(&mut |child| found = found || child.any(test));
        found
    }
}

impl Contract {
    /// SHA-256 of the canonical JSON (sorted keys, no whitespace) of the contract's meaning:
    /// everything but `hash`, `sources` and spans.
    pub fn content_hash(&self) -> String {
        let mut value = serde_json::to_value(self).expect("the IR always serialises");
        if let serde_json::Value::Object(map) = &mut value {
            map.remove("hash");
            map.remove("sources");
        }
        strip_spans(&mut value);
        let mut canonical = String::new();
        write_canonical(&value, &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The IR as people and tools read it: pretty JSON, keys in declaration order.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the IR always serialises");
        text.push('\n');
        text
    }
}

/// Compact JSON with object keys sorted, whatever map type serde_json was built with.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn strip_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(strip_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

/// The JSON Schema of the IR, as published in `docs/ir.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Contract);
    let mut text = serde_json::to_string_pretty(&schema).expect("the schema always serialises");
    text.push('\n');
    text
}

impl Condition {
    /// Where in the source the condition is written.
    pub fn span(&self) -> &Span {
        match self {
            Condition::All { span, .. }
            | Condition::Any { span, .. }
            | Condition::Periods { span, .. }
            | Condition::Consecutive { span, .. }
            | Condition::Cumulative { span, .. }
            | Condition::Occurrence { span, .. }
            | Condition::Absence { span, .. }
            | Condition::Reaches { span, .. }
            | Condition::Change { span, .. }
            | Condition::Holds { span, .. } => span,
        }
    }
}
