//! Decisions for one participant: every outcome's status as of the date, its amount before
//! caps, and (when explaining) the working behind it.

use super::conditions::{Judge, Verdict};
use super::day::Day;
use super::interpret::{Known, Scope};
use super::output::push_digits;
use super::plan::{CPayment, OutcomePlan, Plan};
use super::value::{EventRecord, Origin, Timeline, Value};
use crate::ir;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::cell::RefCell;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    NotAchieved,
    Pending,
}

impl Status {
    pub fn words(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::NotAchieved => "not achieved",
            Status::Pending => "pending",
        }
    }
}

/// A record that backed a decision: its `id` if the input gave one, else where it was read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    pub id: Option<String>,
    pub origin: Origin,
}

/// Why an outcome was not achieved, or achieved but not paid in full. The reasons most
/// decisions get are kept as their numbers and put in words only when written: a string per
/// decision cost more than the rest of deciding it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    Text(String),
    Fixed(&'static str),
    /// `COUNTED of the NEEDED periods needed counted, and ...`
    TooFewPeriods {
        counted: u32,
        needed: u32,
        left: u32,
    },
    /// `no record in the window LO to LAST changed enough from FROM`
    NoChange {
        lo: Day,
        last: Day,
        from: u64,
    },
}

/// Where a reason is put in words: a `String`, or a line of output bytes (which writes dates
/// from a cache). One wording, [`Reason::words`], serves both.
pub trait Words {
    fn text(&mut self, text: &str);
    fn number(&mut self, n: u64);
    fn day(&mut self, day: Day);
}

impl Words for String {
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }

    fn number(&mut self, n: u64) {
        push_digits(self, n);
    }

    fn day(&mut self, day: Day) {
        day.push_to(self);
    }
}

impl Reason {
    /// Puts the reason in words, as `Display` writes it.
    pub fn words(&self, out: &mut impl Words) {
        match self {
            Reason::Text(text) => out.text(text),
            Reason::Fixed(text) => out.text(text),
            Reason::TooFewPeriods { counted, needed, left } => {
                out.number(u64::from(*counted));
                out.text(" of the ");
                out.number(u64::from(*needed));
                out.text(" periods needed counted, and ");
                if *left == 0 {
                    out.text("none are left to count");
                } else {
                    out.text("only ");
                    out.number(u64::from(*left));
                    out.text(" are left");
                }
            }
            Reason::NoChange { lo, last, from } => {
                out.text("no record in the window ");
                out.day(*lo);
                out.text(" to ");
                out.day(*last);
                out.text(" changed enough from ");
                out.number(*from);
            }
        }
    }

    /// Appends the reason in words.
    pub fn push_to(&self, out: &mut String) {
        self.words(out);
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Text(text) => f.write_str(text),
            Reason::Fixed(text) => f.write_str(text),
            _ => {
                let mut text = String::new();
                self.push_to(&mut text);
                f.write_str(&text)
            }
        }
    }
}

/// One outcome's status for one participant (for a repeating outcome, one per repeat).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Index of the outcome in the IR's `outcomes`.
    pub outcome: usize,
    /// 1 for the first achievement, 2 for the first repeat, ...
    pub repeat: u32,
    pub status: Status,
    /// Achieved: the date achieved. Pending: the date by which it will be decided.
    pub date: Option<Day>,
    /// Achieved: the price, rounded, before caps.
    pub amount: Option<Decimal>,
    /// Not achieved: why; achieved but not paid in full: why.
    pub reason: Option<Reason>,
    pub evidence: Vec<Evidence>,
    /// The last day a claim can be made.
    pub claim_by: Option<Day>,
    /// The working, when explaining.
    pub trace: Vec<String>,
}

/// Decides every outcome for one participant.
pub fn decide(
    plan: &Plan,
    contract: &ir::Contract,
    timeline: &Timeline,
    as_of: Day,
    explain: bool,
) -> Vec<Decision> {
    let known = Known::new(&timeline.participant, &timeline.events, contract.events.len(), as_of);
    decide_known(plan, contract, &known, explain)
}

/// Decides every outcome for one participant, from what is known of them.
pub fn decide_known(plan: &Plan, contract: &ir::Contract, known: &Known, explain: bool) -> Vec<Decision> {
    let mut decisions = Vec::new();
    decide_into(plan, contract, known, explain, &mut Scratch::default(), &mut decisions);
    decisions
}

/// The buffers deciding needs, kept for a whole run: deciding a participant allocates
/// nothing but what the decisions keep.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Participant-level definitions, computed once per participant.
    pub cache: RefCell<Vec<Option<Value>>>,
    /// Achievement dates by outcome.
    pub achieved: Vec<Option<Day>>,
    first_status: Vec<Option<(Status, Option<Day>)>>,
    dates: Vec<Option<Day>>,
    rounded: Rounded,
    /// The evidence lists of the last participant's decisions, their ids' strings kept to be
    /// overwritten: an achieved decision's evidence otherwise allocated a list and a string
    /// per record, and freed them with the decision.
    evidence: Vec<Vec<Evidence>>,
}

/// The last price rounded, and what it rounded to: most prices are a few constants, and
/// rounding divides, rounds and multiplies decimals.
#[derive(Debug, Default)]
struct Rounded(Option<([u8; 16], Decimal)>);

impl Rounded {
    fn round(&mut self, amount: Decimal, rounding: &ir::Rounding) -> Decimal {
        // The same representation, not only the same value: `1` and `1.0` are equal.
        let key = amount.serialize();
        match self.0 {
            Some((last, rounded)) if last == key => rounded,
            _ => {
                let rounded = round(amount, rounding);
                self.0 = Some((key, rounded));
                rounded
            }
        }
    }
}

impl Scratch {
    /// Forgets the last participant's cached definitions. Through `&mut self`, without the
    /// `RefCell`'s run-time check; a slot already empty is not written (most definitions are
    /// read through compiled anchors, never cached).
    #[inline]
    pub fn clear_cache(&mut self, definitions: usize) {
        let cache = self.cache.get_mut();
        if cache.len() == definitions {
            for slot in cache.iter_mut().filter(|slot| slot.is_some()) {
                *slot = None;
            }
        } else {
            cache.clear();
            cache.resize(definitions, None);
        }
    }
}

/// [`decide_known`] into `decisions` (cleared first), with a run's buffers.
///
/// The loop is what every outcome of every participant goes through; what only some do (an
/// eligibility test, requirements, an achievement's evidence and price) is in functions of
/// its own, so that the loop keeps its values in registers (~80 instructions an outcome
/// fewer than one function doing it all).
pub fn decide_into(
    plan: &Plan,
    contract: &ir::Contract,
    known: &Known,
    explain: bool,
    scratch: &mut Scratch,
    decisions: &mut Vec<Decision>,
) {
    scratch.clear_cache(plan.definitions.len());
    let Scratch { cache, achieved, first_status, dates, rounded, evidence: kept_evidence } = scratch;
    // The last participant's decisions are overwritten, not dropped and made anew (~50
    // instructions a participant); those left over are dropped at the end.
    let mut slots = Slots { decisions, used: 0 };
    reset(achieved, plan.outcomes.len());
    reset(first_status, plan.outcomes.len());
    for &index in &plan.order {
        let outcome = &plan.outcomes[index];
        let scope = Scope::participant(plan, known, achieved, cache);
        if !outcome.always_eligible || !outcome.requires.is_empty() {
            if let Some((status, date, reason)) = held(plan, outcome, &scope, first_status) {
                first_status[index] = Some((status, date));
                let decision = slots.next(index, 1, Vec::new(), kept_evidence);
                (decision.status, decision.date, decision.reason) = (status, date, Some(reason));
                continue;
            }
        }
        // An outcome is achieved no earlier than those it requires.
        let required_by = if outcome.requires.is_empty() { None } else { required_by(outcome, first_status) };
        let mut not_before: Option<Day> = None;
        let mut first_achieved = None;
        // The dates of the outcomes decided so far, copied when this one is priced.
        let mut dates_copied = false;
        // Counted from 0 (an inclusive range's iterator cost ~15 instructions an outcome).
        for k in 0..outcome.max_times {
            let repeat = k + 1;
            let mut judge = Judge { scope: &scope, not_before, trace: explain.then(Vec::new) };
            let verdict = judge.judge(&outcome.condition);
            // Not explaining, no trace was kept: none is taken (the take and its drop of the
            // judge's `None`).
            let trace = if explain { judge.trace.take().unwrap_or_default() } else { Vec::new() };
            let decision = slots.next(index, repeat, trace, kept_evidence);
            match verdict {
                Verdict::Achieved { on, evidence } => {
                    let on = required_by.map_or(on, |r| on.max(r));
                    let mut achieving = Achieving { plan, contract, dates, rounded, kept_evidence };
                    if achieving.achieve(decision, outcome, &scope, on, &evidence, &mut dates_copied) {
                        not_before = Some(on.plus_days(1));
                    }
                }
                Verdict::Pending { until } => {
                    decision.status = Status::Pending;
                    decision.date = Some(until);
                }
                Verdict::NotAchieved { reason } => decision.reason = Some(reason),
                Verdict::Holds => decision.reason = Some(Reason::Fixed("the condition sets no date")),
            }
            if k == 0 {
                first_status[index] = Some((decision.status, decision.date));
                if decision.status == Status::Achieved {
                    first_achieved = decision.date;
                }
            }
            if decision.status != Status::Achieved {
                break;
            }
        }
        achieved[index] = first_achieved;
    }
    let used = slots.used;
    decisions.truncate(used);
    apply_exclusions(contract, decisions);
    // Decided in dependency order, which is usually the contract's order already: the
    // decisions are then in order (each outcome's repeats counted up), unchecked (~24
    // instructions a participant).
    if !plan.order_is_declared && !decisions.is_sorted_by_key(|d| (d.outcome, d.repeat)) {
        decisions.sort_by_key(|d| (d.outcome, d.repeat));
    }
}

/// A participant's decisions, made in the places of the last participant's.
struct Slots<'d> {
    decisions: &'d mut Vec<Decision>,
    used: usize,
}

impl Slots<'_> {
    /// The next decision, not achieved and with nothing else said yet. An evidence list it
    /// held is kept in `kept_evidence`, its ids' strings to be overwritten.
    #[inline(always)]
    fn next(
        &mut self,
        outcome: usize,
        repeat: u32,
        trace: Vec<String>,
        kept_evidence: &mut Vec<Vec<Evidence>>,
    ) -> &mut Decision {
        let at = self.used;
        self.used += 1;
        if at == self.decisions.len() {
            self.decisions.push(Decision {
                outcome,
                repeat,
                status: Status::NotAchieved,
                date: None,
                amount: None,
                reason: None,
                evidence: Vec::new(),
                claim_by: None,
                trace,
            });
        } else {
            let d = &mut self.decisions[at];
            if d.evidence.capacity() > 0 {
                kept_evidence.push(std::mem::take(&mut d.evidence));
            }
            d.outcome = outcome;
            d.repeat = repeat;
            d.status = Status::NotAchieved;
            d.date = None;
            d.amount = None;
            d.reason = None;
            d.claim_by = None;
            // An empty trace (not explaining) over an empty one is left alone: the drop of
            // the old and the move of the new cost ~12 instructions a decision.
            if trace.capacity() > 0 || !d.trace.is_empty() {
                d.trace = trace;
            }
        }
        &mut self.decisions[at]
    }
}

/// The latest date of the achieved outcomes an outcome requires.
fn required_by(outcome: &OutcomePlan, first_status: &[Option<(Status, Option<Day>)>]) -> Option<Day> {
    let mut required_by: Option<Day> = None;
    for &r in &outcome.requires {
        if let Some((Status::Achieved, on)) = first_status[r] {
            required_by = required_by.max(on);
        }
    }
    required_by
}

/// The decision of an outcome decided before its own condition is judged: not eligible, or
/// held by an outcome it requires (not achieved, or pending).
#[inline(never)]
fn held(
    plan: &Plan,
    outcome: &OutcomePlan,
    scope: &Scope,
    first_status: &[Option<(Status, Option<Day>)>],
) -> Option<(Status, Option<Day>, Reason)> {
    if !outcome.always_eligible && !scope.truthy(&outcome.eligible) {
        return Some((Status::NotAchieved, None, Reason::Fixed("not eligible")));
    }
    // An outcome waits for those it requires.
    let mut blocked = None;
    let mut waiting: Option<(Option<Day>, Reason)> = None;
    for &r in &outcome.requires {
        let name = &plan.outcomes[r].name;
        match first_status[r] {
            Some((Status::Achieved, _)) => {}
            Some((Status::Pending, until)) => {
                let latest = waiting.as_ref().and_then(|w| w.0).max(until);
                waiting = Some((latest, Reason::Text(format!("waits for `{name}`"))));
            }
            _ => {
                blocked = Some((
                    Status::NotAchieved,
                    None,
                    Reason::Text(format!("requires `{name}`, which is not achieved")),
                ))
            }
        }
    }
    // Waiting on a pending requirement: the outcome's own condition may already be
    // impossible (not achieved at once), or decided later than the requirement.
    if blocked.is_none() {
        if let Some((until, reason)) = waiting {
            let reads_pending_date = outcome.requires.iter().any(|r| {
                matches!(first_status[*r], Some((Status::Pending, _))) && outcome.reads_dates_of.contains(r)
            });
            blocked = Some(if reads_pending_date {
                (Status::Pending, until, reason)
            } else {
                let mut judge = Judge { scope, not_before: None, trace: None };
                match judge.judge(&outcome.condition) {
                    Verdict::NotAchieved { reason } => (Status::NotAchieved, None, reason),
                    Verdict::Pending { until: own } => (Status::Pending, until.max(Some(own)), reason),
                    _ => (Status::Pending, until, reason),
                }
            });
        }
    }
    blocked
}

/// What an achievement needs besides the decision: the contract, and the run's buffers.
struct Achieving<'a> {
    plan: &'a Plan,
    contract: &'a ir::Contract,
    dates: &'a mut Vec<Option<Day>>,
    rounded: &'a mut Rounded,
    kept_evidence: &'a mut Vec<Vec<Evidence>>,
}

impl Achieving<'_> {
    /// Fills in a decision whose condition was achieved on `on`: its evidence, and its date,
    /// claim date and price, or why the date does not count. True if it counts.
    #[inline(never)]
    fn achieve(
        &mut self,
        decision: &mut Decision,
        outcome: &OutcomePlan,
        scope: &Scope,
        on: Day,
        evidence: &[&EventRecord],
        dates_copied: &mut bool,
    ) -> bool {
        let plan = self.plan;
        let mut kept = self.kept_evidence.pop().unwrap_or_default();
        kept.truncate(evidence.len());
        for (i, r) in evidence.iter().enumerate() {
            match kept.get_mut(i) {
                Some(e) => {
                    e.origin = r.origin;
                    match (&mut e.id, &r.id) {
                        (Some(text), Some(id)) => text.clone_from(id),
                        (slot, id) => *slot = id.clone(),
                    }
                }
                None => kept.push(Evidence { id: r.id.clone(), origin: r.origin }),
            }
        }
        decision.evidence = kept;
        // Records come in order of their ids as a rule: already sorted and distinct, they
        // need neither the sort nor the pass for duplicates (~80 instructions an achievement).
        if !decision.evidence.is_sorted_by(|a, b| a < b) {
            decision.evidence.sort();
            decision.evidence.dedup();
        }
        if on < plan.achievable.0 {
            decision.reason = Some(Reason::Text(format!(
                "achieved on {on}, before the achievable period starts ({})",
                plan.achievable.0
            )));
            return false;
        }
        if on > plan.achievable.1 {
            decision.reason = Some(Reason::Text(format!(
                "achieved on {on}, after the achievable period ends ({})",
                plan.achievable.1
            )));
            return false;
        }
        decision.status = Status::Achieved;
        decision.date = Some(on);
        decision.claim_by = Some(plan.claim_by(on, outcome.claim_within));
        // The dates of the outcomes decided so far; this outcome's own date is added when it
        // is priced (a price may depend on when it was achieved).
        let dates = &mut *self.dates;
        if !*dates_copied {
            dates.clear();
            dates.extend_from_slice(scope.achieved);
            *dates_copied = true;
        }
        dates[decision.outcome] = Some(on);
        let priced = Scope { achieved: dates, ..scope.reborrow() };
        decision.amount =
            price(&priced, &outcome.payment).map(|a| self.rounded.round(a, &self.contract.rounding));
        if decision.amount.is_none() {
            decision.reason =
                Some(Reason::Fixed("its price could not be worked out (a value it needs is missing)"));
        }
        true
    }
}

fn price(scope: &Scope, payment: &CPayment) -> Option<Decimal> {
    let value = match payment {
        CPayment::Amount(e) => scope.eval(e),
        CPayment::ByCase { on, cases } => match scope.eval(on) {
            Value::Case(i) => scope.eval(cases.get(i as usize)?),
            _ => Value::Missing,
        },
        // Tiers and points price cohort outcomes, decided elsewhere.
        CPayment::Tiers(_) | CPayment::PerPoint { .. } => Value::Missing,
    };
    match value {
        Value::Decimal(d) => Some(d),
        Value::Int(n) => Some(Decimal::from(n)),
        _ => None,
    }
}

/// Empties `v` to `n` of `None`, without a reallocation or a resize when it has `n` already.
#[inline]
fn reset<T: Copy>(v: &mut Vec<Option<T>>, n: usize) {
    if v.len() == n {
        v.fill(None);
    } else {
        v.clear();
        v.resize(n, None);
    }
}

/// Rounds to a multiple of the contract's increment.
pub fn round(amount: Decimal, rounding: &ir::Rounding) -> Decimal {
    if rounding.increment <= Decimal::ZERO {
        return amount;
    }
    let strategy = match rounding.mode {
        ir::RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        ir::RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        ir::RoundingMode::Down => RoundingStrategy::ToZero,
        ir::RoundingMode::Up => RoundingStrategy::AwayFromZero,
    };
    ((amount / rounding.increment).round_dp_with_strategy(0, strategy) * rounding.increment).normalize()
}

/// Outcomes that are alternatives: `excludes` keeps the first achieved; `pay only the
/// highest of` pays only the highest amount.
fn apply_exclusions(contract: &ir::Contract, decisions: &mut [Decision]) {
    if contract.exclusions.is_empty() {
        return;
    }
    for group in &contract.exclusions {
        let members: Vec<usize> = group
            .outcomes
            .iter()
            .filter_map(|name| contract.outcomes.iter().position(|o| &o.name == name))
            .collect();
        let achieved: Vec<usize> = decisions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.repeat == 1 && d.status == Status::Achieved && members.contains(&d.outcome))
            .map(|(i, _)| i)
            .collect();
        if achieved.len() < 2 {
            continue;
        }
        let amount = |i: usize| decisions[i].amount.unwrap_or(Decimal::ZERO);
        let winner = match group.rule {
            ir::ExclusionRule::FirstAchieved => achieved.iter().copied().min_by(|&a, &b| {
                decisions[a]
                    .date
                    .cmp(&decisions[b].date)
                    .then(amount(b).cmp(&amount(a)))
                    .then(decisions[a].outcome.cmp(&decisions[b].outcome))
            }),
            ir::ExclusionRule::Highest => achieved.iter().copied().min_by(|&a, &b| {
                amount(b)
                    .cmp(&amount(a))
                    .then(decisions[a].date.cmp(&decisions[b].date))
                    .then(decisions[a].outcome.cmp(&decisions[b].outcome))
            }),
        };
        let Some(winner) = winner else { continue };
        let winner_name = contract.outcomes[decisions[winner].outcome].name.clone();
        let winner_date = decisions[winner].date.map(|d| d.to_string()).unwrap_or_default();
        for i in achieved {
            if i == winner {
                continue;
            }
            let d = &mut decisions[i];
            match group.rule {
                ir::ExclusionRule::FirstAchieved => {
                    d.status = Status::NotAchieved;
                    d.amount = None;
                    d.claim_by = None;
                    d.reason = Some(Reason::Text(format!(
                        "excluded: `{winner_name}` was achieved first, on {winner_date}"
                    )));
                }
                ir::ExclusionRule::Highest => {
                    d.amount = Some(Decimal::ZERO);
                    d.reason =
                        Some(Reason::Text(format!("only the highest of its group is paid: `{winner_name}`")));
                }
            }
        }
    }
}
