//! Lints: warnings about contracts that compile but pay for the wrong thing.
//!
//! Owns the `W` codes, the lint names used in `allow(name, reason = "...")`, and the checks
//! themselves: the perverse incentives outcome contracts are known for (cliff edges, payment
//! by number, creaming and parking, gaming) and the gaps that make them likely (no total cap,
//! periods counted by default, declarations nothing reads). Each lint is documented, with
//! the risk it guards against and its fix, in `docs/reference.md`.
//!
//! Lints run on the verified IR, after `lower`: they see the contract as the evaluator
//! will, with every default explicit. The AST is read only for what the IR does not keep:
//! spans of clauses, and the `allow(...)` lines written before each item. [`lint`] also
//! copies those allows into the IR (so that explanations can show them) and re-hashes it.
//!
//! Warnings never stop a contract from compiling. Calendar arithmetic (period grids, adding
//! months) is the evaluator's, so that what a lint says about dates is what evaluation does.

use crate::check::suggest;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::eval::conditions::grid;
use crate::eval::day::Day;
use crate::ir;
use crate::resolve::Program;
use crate::source::{FileId, Span};
use crate::syntax::ast;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A lint: its code, and the name an `allow(...)` line gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lint {
    pub code: Code,
    pub name: &'static str,
}

pub const W_CLIFF_EDGE: Code = Code { id: "W0001", title: "cohort payment is all or nothing at a threshold" };
pub const W_PAYMENT_BY_NUMBER: Code =
    Code { id: "W0002", title: "outcome paid for activity, not for a result" };
pub const W_SAME_PRICE_FOR_ALL: Code =
    Code { id: "W0003", title: "same price for every participant, though the contract groups them" };
pub const W_NO_TOTAL_CAP: Code = Code { id: "W0004", title: "no contract-wide cap" };
pub const W_OUT_OF_TIME: Code =
    Code { id: "W0005", title: "outcome cannot be achieved inside the achievable period" };
pub const W_DEFAULT_COUNTING: Code =
    Code { id: "W0006", title: "how a period counts is left to the default" };
pub const W_SELF_REPORTED_ONLY: Code =
    Code { id: "W0007", title: "outcome paid on self-reported evidence alone" };
pub const W_DOUBLE_PAYMENT: Code =
    Code { id: "W0008", title: "one outcome implies another, and both are paid" };
pub const W_SINGLE_DAY: Code = Code { id: "W0009", title: "outcome measured on a single day" };
pub const W_UNUSED: Code = Code { id: "W0010", title: "declaration never used" };
pub const W_UNKNOWN_LINT: Code = Code { id: "W0011", title: "unknown lint in `allow`" };
pub const W_ALLOW_WITHOUT_REASON: Code = Code { id: "W0012", title: "`allow` without a reason" };

/// The lints an `allow(...)` can name, in code order.
pub const LINTS: &[Lint] = &[
    Lint { code: W_CLIFF_EDGE, name: "cliff_edge" },
    Lint { code: W_PAYMENT_BY_NUMBER, name: "payment_by_number" },
    Lint { code: W_SAME_PRICE_FOR_ALL, name: "same_price_for_all" },
    Lint { code: W_NO_TOTAL_CAP, name: "no_total_cap" },
    Lint { code: W_OUT_OF_TIME, name: "out_of_time" },
    Lint { code: W_DEFAULT_COUNTING, name: "default_counting" },
    Lint { code: W_SELF_REPORTED_ONLY, name: "self_reported_only" },
    Lint { code: W_DOUBLE_PAYMENT, name: "double_payment" },
    Lint { code: W_SINGLE_DAY, name: "single_day" },
    Lint { code: W_UNUSED, name: "unused_declaration" },
];

/// Every warning code, in order. Unlike the lints above, W0011 and W0012 are about `allow`
/// lines themselves and cannot be allowed. `tests/codes.rs` checks each has a case under
/// `tests/cases/lints/` and an entry in `docs/reference.md`.
pub const CODES: &[Code] = &[
    W_CLIFF_EDGE,
    W_PAYMENT_BY_NUMBER,
    W_SAME_PRICE_FOR_ALL,
    W_NO_TOTAL_CAP,
    W_OUT_OF_TIME,
    W_DEFAULT_COUNTING,
    W_SELF_REPORTED_ONLY,
    W_DOUBLE_PAYMENT,
    W_SINGLE_DAY,
    W_UNUSED,
    W_UNKNOWN_LINT,
    W_ALLOW_WITHOUT_REASON,
];

/// The `allow(...)` name of a lint code, if it has one.
pub fn name_of(code: Code) -> Option<&'static str> {
    LINTS.iter().find(|l| l.code == code).map(|l| l.name)
}

fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
    Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
}

fn allows_lint(item: &ast::Item, lint: &str) -> bool {
    item.allows.iter().any(|a| a.lint.name == lint && !a.reason.trim().is_empty())
}

/// Checks every `allow(...)` line in the program: the lint must exist (W0011) and the reason
/// must be written (W0012). Runs whether or not the contract compiles.
pub fn check_allows(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for module in &program.modules {
        for item in &module.ast.items {
            for allow in &item.allows {
                let known = LINTS.iter().any(|l| l.name == allow.lint.name);
                if !known {
                    let mut d = warning(W_UNKNOWN_LINT, format!("unknown lint `{}`", allow.lint.name))
                        .at(allow.lint.span, "not a lint payable knows")
                        .note("an `allow` for an unknown lint silences nothing");
                    d = match suggest(&allow.lint.name, LINTS.iter().map(|l| l.name)) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!(
                            "the lints are: {}",
                            LINTS.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
                        )),
                    };
                    out.push(d);
                } else if allow.reason.trim().is_empty() {
                    out.push(
                        warning(
                            W_ALLOW_WITHOUT_REASON,
                            format!("`allow({})` gives no reason, so it allows nothing", allow.lint.name),
                        )
                        .at(allow.span, "the reason is empty")
                        .note("a risk is accepted only with a written reason: it is kept in the IR and shown wherever the outcome is explained")
                        .help(format!(
                            "say why the risk is accepted: `allow({}, reason = \"...\")`",
                            allow.lint.name
                        )),
                    );
                }
            }
        }
    }
    out
}

/// Runs every lint on a compiled contract and returns the warnings not allowed on their
/// item. First copies the contract's `allow(...)` lines into the IR (outcomes, cohort
/// outcomes, the header) and recomputes its hash.
pub fn lint(program: &Program, contract: &mut ir::Contract) -> Vec<Diagnostic> {
    let Some(root) = program.modules.first() else { return Vec::new() };
    let linter = Linter { program, items: &root.ast.items };
    linter.attach_allows(contract);
    let contract: &ir::Contract = contract;
    let mut findings = Vec::new();
    linter.cliff_edges(contract, &mut findings);
    linter.payment_by_number(contract, &mut findings);
    linter.same_price_for_all(contract, &mut findings);
    linter.no_total_cap(contract, &mut findings);
    linter.out_of_time(contract, &mut findings);
    linter.default_counting(contract, &mut findings);
    linter.self_reported_only(contract, &mut findings);
    linter.double_payment(contract, &mut findings);
    linter.single_day(contract, &mut findings);
    linter.unused(contract, &mut findings);
    findings
        .into_iter()
        .filter(|f| !allows_lint(&linter.items[f.item], f.lint))
        .map(|f| f.diagnostic)
        .collect()
}

/// A warning, and the item whose `allow(...)` lines may silence it.
struct Finding {
    item: usize,
    lint: &'static str,
    diagnostic: Diagnostic,
}

struct Linter<'a> {
    program: &'a Program,
    items: &'a [ast::Item],
}

fn span(s: ir::Span) -> Span {
    Span { file: FileId(s.file), start: s.start, end: s.end }
}

impl<'a> Linter<'a> {
    fn find(&self, code: Code, item: usize, diagnostic: Diagnostic) -> Finding {
        Finding { item, lint: name_of(code).unwrap_or_default(), diagnostic }
    }

    fn ir_span(&self, s: Span) -> ir::Span {
        let (line, column) = self.program.sources.get(s.file).line_col(s.start as usize);
        ir::Span { file: s.file.0, start: s.start, end: s.end, line: line as u32, column: column as u32 }
    }

    fn allowed_in_ir(&self, item: &ast::Item) -> Vec<ir::Allowed> {
        item.allows
            .iter()
            .filter(|a| LINTS.iter().any(|l| l.name == a.lint.name) && !a.reason.trim().is_empty())
            .map(|a| ir::Allowed {
                lint: a.lint.name.clone(),
                reason: a.reason.clone(),
                span: self.ir_span(a.span),
            })
            .collect()
    }

    fn attach_allows(&self, contract: &mut ir::Contract) {
        for o in &mut contract.outcomes {
            if let Some((i, _)) = self.outcome(&o.name) {
                o.allows = self.allowed_in_ir(&self.items[i]);
            }
        }
        for c in &mut contract.cohort_outcomes {
            if let Some((i, _)) = self.cohort(&c.name) {
                c.allows = self.allowed_in_ir(&self.items[i]);
            }
        }
        if let Some(i) = self.header() {
            contract.allows = self.allowed_in_ir(&self.items[i]);
        }
        contract.hash = contract.content_hash();
    }

    // ------------------------------------------------------------ finding items

    fn header(&self) -> Option<usize> {
        self.items.iter().position(|i| matches!(i.kind, ast::ItemKind::Contract(_)))
    }

    fn participant(&self) -> Option<(usize, &'a ast::ParticipantDecl)> {
        self.items.iter().enumerate().find_map(|(n, i)| match &i.kind {
            ast::ItemKind::Participant(p) => Some((n, p)),
            _ => None,
        })
    }

    fn outcome(&self, name: &str) -> Option<(usize, &'a ast::OutcomeDecl)> {
        self.items.iter().enumerate().find_map(|(n, i)| match &i.kind {
            ast::ItemKind::Outcome(o) if o.name.name == name => Some((n, o)),
            _ => None,
        })
    }

    fn cohort(&self, name: &str) -> Option<(usize, &'a ast::CohortDecl)> {
        self.items.iter().enumerate().find_map(|(n, i)| match &i.kind {
            ast::ItemKind::Cohort(c) if c.name.name == name => Some((n, c)),
            _ => None,
        })
    }

    fn event(&self, name: &str) -> Option<(usize, &'a ast::EventDecl)> {
        self.items.iter().enumerate().find_map(|(n, i)| match &i.kind {
            ast::ItemKind::Event(e) if e.name.name == name => Some((n, e)),
            _ => None,
        })
    }

    /// An enum, bands or definition declared in the contract file: its item and name.
    fn declaration(&self, name: &str) -> Option<(usize, &'a ast::Ident)> {
        self.items.iter().enumerate().find_map(|(n, i)| match &i.kind {
            ast::ItemKind::Enum(e) if e.name.name == name => Some((n, &e.name)),
            ast::ItemKind::Bands(b) if b.name.name == name => Some((n, &b.name)),
            ast::ItemKind::Let(l) if l.name.name == name => Some((n, &l.name)),
            _ => None,
        })
    }

    /// An outcome or cohort outcome, by name: its item and the span of its name.
    fn any_outcome(&self, name: &str) -> Option<(usize, Span)> {
        self.outcome(name)
            .map(|(i, o)| (i, o.name.span))
            .or_else(|| self.cohort(name).map(|(i, c)| (i, c.name.span)))
    }

    /// Where an outcome is decided: its condition, or for a cohort outcome its `achieved
    /// when` clause (the IR keeps no span for a cohort's measure).
    fn decided_at(&self, name: &str, condition: ir::Span) -> Span {
        self.cohort(name)
            .and_then(|(_, c)| self.cohort_clause(c, |k| matches!(k, ast::CohortClauseKind::Achieved(_))))
            .unwrap_or(span(condition))
    }

    fn cohort_clause(&self, c: &ast::CohortDecl, which: fn(&ast::CohortClauseKind) -> bool) -> Option<Span> {
        c.clauses.iter().find(|cl| which(&cl.kind)).map(|cl| cl.span)
    }

    fn achievable_entry(&self) -> Option<Span> {
        let i = self.header()?;
        let ast::ItemKind::Contract(h) = &self.items[i].kind else { return None };
        h.entries.iter().find(|e| matches!(e.kind, ast::ContractEntryKind::Achievable { .. })).map(|e| e.span)
    }

    // ------------------------------------------------------------ the lints

    /// W0001: a cohort outcome that pays one fixed amount (or a single tier) once its target
    /// is reached, and nothing below it.
    fn cliff_edges(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        for c in &contract.cohort_outcomes {
            let single = match &c.payment {
                ir::Payment::Amount { span, .. } => Some(*span),
                ir::Payment::Tiers { tiers, span } if tiers.len() == 1 => Some(*span),
                _ => None,
            };
            let (Some(pay_span), Some((item, decl))) = (single, self.cohort(&c.name)) else { continue };
            let target = self.cohort_clause(decl, |k| matches!(k, ast::CohortClauseKind::Achieved(_)));
            let (at, short) = match &c.target {
                ir::CohortTarget::Threshold { value, .. } => {
                    (format!("at {}", show_expr(value)), "a cohort just short of this target earns nothing")
                }
                ir::CohortTarget::AgainstControl { effect, points, .. } => (
                    format!(
                        "at an effect of {}{}",
                        effect.normalize(),
                        if *points { " points" } else { "%" }
                    ),
                    "an effect just short of this earns nothing",
                ),
            };
            let mut d = warning(W_CLIFF_EDGE, format!("`{}` pays all or nothing {at}", c.name))
                .at(span(pay_span), "the whole amount once the target is met, nothing below it");
            if let Some(t) = target {
                d = d.also(t, short);
            }
            d = d
                .note("a cliff edge: a cohort just below the target earns nothing and one just above earns everything, so the provider gains most from pushing participants over the line, and nothing from helping anyone once the target is met or out of reach")
                .help(if matches!(c.target, ir::CohortTarget::Threshold { value: ir::Expr::Percent { .. }, .. }) {
                    "pay on a graduated scale: `pays tiers { from 40%: ..., from 50%: ... }`, or `pays 5_000 GBP per point above 40%`"
                } else {
                    "pay on a graduated scale: `pays tiers { ... }` with several steps, or an amount `per point above` a floor"
                });
            out.push(self.find(W_CLIFF_EDGE, item, d));
        }
    }

    /// W0002: an outcome whose condition reads only `activity event`s.
    fn payment_by_number(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        for (name, condition_span, events) in outcome_events(contract) {
            if events.is_empty() {
                continue;
            }
            let activity = events.iter().all(|e| contract.events.iter().any(|d| &d.name == e && d.activity));
            let Some((item, _)) = self.any_outcome(&name) else { continue };
            if !activity {
                continue;
            }
            let list = names(&events);
            let mut d =
                warning(W_PAYMENT_BY_NUMBER, format!("`{name}` is paid for activity, not for a result"))
                    .at(self.decided_at(&name, condition_span), format!("reads only {list}"));
            if let Some((_, e)) = events.iter().next().and_then(|e| self.event(e)) {
                d = d.also(
                    e.name.span,
                    "declared as an `activity event`: a record of activity, not of an outcome",
                );
            }
            d = d
                .note("payment by number: paying for sessions attended or people processed rewards volume, whether or not anyone's situation improves")
                .help("pay for the result the activity is meant to lead to (a job, a qualification, a tenancy), or pay for the activity as a fee outside the payable outcomes");
            out.push(self.find(W_PAYMENT_BY_NUMBER, item, d));
        }
    }

    /// W0003: participants are grouped by an enum field that no payment reads, and an
    /// outcome pays the same to everyone (its price reads no such field, and its
    /// eligibility does not single out one group).
    fn same_price_for_all(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        let groups: Vec<&ir::Field> =
            contract.participant.fields.iter().filter(|f| enum_name(&f.ty).is_some()).collect();
        if groups.is_empty() {
            return;
        }
        let mut priced = BTreeSet::new();
        for o in &contract.outcomes {
            priced.extend(reads(contract, [json(&o.payment)]).fields);
        }
        for c in &contract.cohort_outcomes {
            priced.extend(reads(contract, [json(&c.payment)]).fields);
        }
        let unpriced: Vec<&&ir::Field> = groups.iter().filter(|f| !priced.contains(&f.name)).collect();
        if unpriced.is_empty() {
            return;
        }
        for o in &contract.outcomes {
            let price = reads(contract, [json(&o.payment)]).fields;
            if groups.iter().any(|g| price.contains(&g.name)) {
                continue;
            }
            let eligible = reads(contract, [json(&o.eligible)]).fields;
            let flat_for: Vec<&&&ir::Field> =
                unpriced.iter().filter(|f| !eligible.contains(&f.name)).collect();
            let Some(first) = flat_for.first() else { continue };
            let Some((item, _)) = self.outcome(&o.name) else { continue };
            let fields = flat_for.iter().map(|f| format!("`{}`", f.name)).collect::<Vec<_>>().join(" and ");
            let d = warning(
                W_SAME_PRICE_FOR_ALL,
                format!("`{}` pays the same for every participant, though participants are grouped by {fields}", o.name),
            )
            .at(span(payment_span(&o.payment)), format!("the same price whatever the participant's `{}`", first.name))
            .also(span(first.span), format!("`{}` groups participants, but no price reads it", first.name))
            .note("creaming and parking: when every participant earns the same, a provider does best by helping those easiest to help and leaving the hardest with little support")
            .help(format!(
                "price by group, paying more for those harder to help: `pays by participant.{} {{ ... }}`",
                first.name
            ));
            out.push(self.find(W_SAME_PRICE_FOR_ALL, item, d));
        }
    }

    /// W0004: the header has no `total cap`.
    fn no_total_cap(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        if contract.caps.total.is_some() {
            return;
        }
        let Some(item) = self.header() else { return };
        let d = warning(W_NO_TOTAL_CAP, "the contract sets no total cap")
            .at(self.items[item].span, "no `total cap` in this header")
            .note("without a total cap the commissioner's liability is unbounded: it grows with every participant referred and every outcome achieved, whatever the budget")
            .help("add `total cap AMOUNT` to the header: the most the contract pays in all");
        out.push(self.find(W_NO_TOTAL_CAP, item, d));
    }

    /// W0005: an outcome whose earliest possible achievement is after the achievable period,
    /// or whose window closes before it begins; and cohort members who join too late to
    /// achieve the outcome their cohort is measured on.
    fn out_of_time(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        let (Some(from), Some(to)) =
            (Day::parse(&contract.achievable.from), Day::parse(&contract.achievable.to))
        else {
            return;
        };
        let period = self.achievable_entry();
        for o in &contract.outcomes {
            let Some((item, _)) = self.outcome(&o.name) else { continue };
            let cond_span = span(condition_span(&o.condition));
            let mut dates = Dates::new(contract, BTreeMap::new(), Some(from));
            if let Some(earliest) = dates.earliest(&o.condition).filter(|e| *e > to) {
                let mut d = warning(
                    W_OUT_OF_TIME,
                    format!("`{}` cannot be achieved before the achievable period ends", o.name),
                )
                .at(cond_span, format!("achieved on {earliest} at the earliest"));
                if let Some(p) = period {
                    d = d.also(p, format!("outcomes are achievable until {to}"));
                }
                d = if dates.assumed_start {
                    d.note(format!("even when its window starts on the first day of the achievable period ({from}), this outcome cannot be achieved before {earliest}: no participant whose window starts inside the period can achieve it inside it, and outcomes achieved after {to} are not paid"))
                } else {
                    d.note(format!("its window is fixed by dates, and the earliest it can be achieved is {earliest}; outcomes achieved after {to} are not paid"))
                };
                d = d.help("shorten the window or lower the count, or extend the achievable period (and `claims close`) to cover it");
                out.push(self.find(W_OUT_OF_TIME, item, d));
                continue;
            }
            let latest = Dates::new(contract, BTreeMap::new(), None).latest(&o.condition);
            if let Some(latest) = latest.filter(|l| *l < from) {
                let mut d = warning(
                    W_OUT_OF_TIME,
                    format!("`{}` can only be achieved before the achievable period begins", o.name),
                )
                .at(cond_span, format!("its window closes on {latest}"));
                if let Some(p) = period {
                    d = d.also(p, format!("outcomes are achievable from {from}"));
                }
                d = d
                    .note(format!("outcomes achieved before {from} are not paid, so this outcome never pays"))
                    .help("move the window's dates inside the achievable period");
                out.push(self.find(W_OUT_OF_TIME, item, d));
            }
        }
        for c in &contract.cohort_outcomes {
            let outcome = match &c.measure {
                ir::Measure::ShareAchieving { outcome } | ir::Measure::CountAchieving { outcome } => outcome,
                _ => continue,
            };
            let Some(o) = contract.outcomes.iter().find(|o| &o.name == outcome) else { continue };
            let Some((item, decl)) = self.cohort(&c.name) else { continue };
            for (field, (first, last)) in date_bounds(&c.members) {
                let earliest = |day: Day| {
                    Dates::new(contract, BTreeMap::from([(field.clone(), day)]), None).earliest(&o.condition)
                };
                let Some(late) = earliest(last).filter(|e| *e > to) else { continue };
                // The earliest achievement only moves later as the member joins later, so the
                // last member date that can still make it is found by bisection.
                let cutoff = if earliest(first).is_none_or(|e| e > to) {
                    None
                } else {
                    let (mut lo, mut hi) = (first.0, last.0);
                    while hi - lo > 1 {
                        let mid = lo + (hi - lo) / 2;
                        if earliest(Day(mid)).is_some_and(|e| e <= to) {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    Some(Day(lo))
                };
                let message = match cutoff {
                    Some(cutoff) => format!(
                        "members of `{}` whose `{field}` is after {cutoff} cannot achieve `{outcome}` in time",
                        c.name
                    ),
                    None => format!("no member of `{}` can achieve `{outcome}` in time", c.name),
                };
                let members = self.cohort_clause(decl, |k| matches!(k, ast::CohortClauseKind::Members(_)));
                let mut d = warning(W_OUT_OF_TIME, message);
                if let Some(m) = members {
                    d = d.at(m, format!("members join until {last}"));
                }
                d = d
                    .also(span(condition_span(&o.condition)), format!("for a member who joins on {last}, achieved on {late} at the earliest"))
                    .note(format!("outcomes achieved after the achievable period ends ({to}) are not paid, yet these members still count in the cohort's measure: the target is harder than it looks, and a provider is better off not taking on late referrals"))
                    .help("end the cohort earlier, shorten the outcome's window, or extend the achievable period (and `claims close`)");
                out.push(self.find(W_OUT_OF_TIME, item, d));
            }
        }
    }

    /// W0006: a period condition whose counting rule was not written.
    fn default_counting(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        for o in &contract.outcomes {
            let Some((item, _)) = self.outcome(&o.name) else { continue };
            let mut conditions = Vec::new();
            leaves(&o.condition, &mut conditions);
            for c in conditions {
                let (period, counting, s) = match c {
                    ir::Condition::Periods { period, counting, span, .. }
                    | ir::Condition::Consecutive { period, counting, span, .. } => (*period, counting, *span),
                    _ => continue,
                };
                if !counting.defaulted || period == ir::PeriodKind::Day {
                    continue;
                }
                let word = period_word(period);
                let d = warning(W_DEFAULT_COUNTING, format!("how a {word} counts in `{}` is left to the default", o.name))
                    .at(span(s), format!("a {word} counts here if this holds on any one of its days"))
                    .note(format!("by default a {word} counts when the condition holds on a single day of it: one day's work makes a month \"in work\", which is easy to reach and may not be what the parties agreed"))
                    .help("say it: `counting any day` to keep the default, `counting every day`, or `counting at least 15 days`");
                out.push(self.find(W_DEFAULT_COUNTING, item, d));
            }
        }
    }

    /// W0007: every event an outcome's condition reads is backed by `self_reported` alone.
    fn self_reported_only(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        for (name, condition_span, events) in outcome_events(contract) {
            if events.is_empty() {
                continue;
            }
            let self_reported = events.iter().all(|e| {
                contract
                    .events
                    .iter()
                    .any(|d| &d.name == e && d.evidence.len() == 1 && d.evidence[0] == "self_reported")
            });
            let Some((item, _)) = self.any_outcome(&name) else { continue };
            if !self_reported {
                continue;
            }
            let mut d =
                warning(W_SELF_REPORTED_ONLY, format!("`{name}` is paid on self-reported evidence alone"))
                    .at(self.decided_at(&name, condition_span), format!("reads only {}", names(&events)));
            if let Some(s) =
                events.iter().next().and_then(|e| self.event(e)).and_then(|(_, e)| e.evidence_span)
            {
                d = d.also(s, "backed only by what participants report");
            }
            d = d
                .note("a soft outcome measured only by what participants say, often on surveys the paid provider administers, is easy to inflate and hard to audit")
                .help("back the record with independent evidence (`evidence: self_reported or validated`, an assessor's record), or pay it only with a harder outcome it `requires`");
            out.push(self.find(W_SELF_REPORTED_ONLY, item, d));
        }
    }

    /// W0008: whenever one outcome is achieved, another is too (same kind of condition on
    /// the same event and window, the first stricter), and neither `requires` nor
    /// `excludes` the other: both are paid for one result.
    fn double_payment(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        // Every pair of outcomes is compared: what does not depend on the pair is worked out
        // once per outcome, so a contract of hundreds of outcomes is linted as fast as typed.
        let closures: Vec<BTreeSet<String>> =
            contract.outcomes.iter().map(|o| requires_closure(contract, &o.name)).collect();
        let eligibility: Vec<Value> = contract.outcomes.iter().map(|o| strip(&json(&o.eligible))).collect();
        let conditions: Vec<Value> = contract.outcomes.iter().map(|o| strip(&json(&o.condition))).collect();
        let implies = |i: usize, j: usize| {
            conditions[i] == conditions[j]
                || implies_unless_equal(&contract.outcomes[i].condition, &contract.outcomes[j].condition)
        };
        let together = |a: &str, b: &str| {
            contract
                .exclusions
                .iter()
                .any(|e| e.outcomes.iter().any(|o| o == a) && e.outcomes.iter().any(|o| o == b))
        };
        for (i, a) in contract.outcomes.iter().enumerate() {
            for (j, b) in contract.outcomes.iter().enumerate() {
                if i == j
                    || closures[i].contains(&b.name)
                    || closures[j].contains(&a.name)
                    || together(&a.name, &b.name)
                {
                    continue;
                }
                let eligible =
                    matches!(b.eligible, ir::Expr::Bool { value: true }) || eligibility[i] == eligibility[j];
                if !eligible || !implies(i, j) {
                    continue;
                }
                // Two outcomes with the same condition imply each other: report the pair once.
                if j < i && implies(j, i) {
                    continue;
                }
                let Some((item, _)) = self.outcome(&a.name) else { continue };
                let d = warning(
                    W_DOUBLE_PAYMENT,
                    format!("whenever `{}` is achieved, `{}` is achieved too, and both are paid", a.name, b.name),
                )
                .at(span(condition_span(&a.condition)), format!("meeting this meets `{}` as well", b.name))
                .also(span(condition_span(&b.condition)), format!("`{}`'s condition", b.name))
                .note("double payment: one result is paid twice, once as each outcome, unless the contract says how the two relate")
                .help(format!(
                    "if both are meant to be paid, as steps of a ladder, add `requires {}` to `{}`; if only one, add `excludes {}` or `pay only the highest of {}, {}`",
                    b.name, a.name, b.name, a.name, b.name
                ));
                out.push(self.find(W_DOUBLE_PAYMENT, item, d));
            }
        }
    }

    /// W0009: a window of one day (`within 1 day`, `between X and X`), or a count over a
    /// single `days` period.
    fn single_day(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        let mut check = |name: &str, value: Value, leaves_of: Vec<&ir::Condition>| {
            let Some((item, _)) = self.any_outcome(name) else { return };
            let mut found: Vec<ir::Span> = Vec::new();
            for c in leaves_of {
                if let ir::Condition::Periods { period: ir::PeriodKind::Day, of: 1, span, .. } = c {
                    found.push(*span);
                }
            }
            let mut windows = Vec::new();
            collect_windows(&value, &mut windows);
            for w in windows {
                let one_day = match &w.end {
                    ir::WindowEnd::Length { length } => length.unit == "day" && length.value == Decimal::ONE,
                    ir::WindowEnd::Date { date } => {
                        w.start.starts == ir::AnchorStart::SameDay
                            && strip(&json(date)) == strip(&json(&w.start.date))
                    }
                    ir::WindowEnd::AchievableEnd => false,
                };
                if one_day {
                    found.push(w.span);
                }
            }
            found.sort_by_key(|s| (s.start, s.end));
            found.dedup();
            for s in found {
                let d = warning(W_SINGLE_DAY, format!("`{name}` is measured on a single day"))
                    .at(span(s), "a window of one day")
                    .note("a status checked on one day is easy to arrange for that day (a job started the day before and left the day after) and says little about the months around it")
                    .help("measure over a period: `in at least 4 of the 6 calendar months after ...`, or `for 13 consecutive weeks within ...`");
                out.push(self.find(W_SINGLE_DAY, item, d));
            }
        };
        for o in &contract.outcomes {
            let mut ls = Vec::new();
            leaves(&o.condition, &mut ls);
            check(&o.name, json(&o.condition), ls);
        }
        for c in &contract.cohort_outcomes {
            check(&c.name, json(&c.measure), Vec::new());
        }
    }

    /// W0010: events, enums, bands, definitions and participant fields of the contract file
    /// that no outcome or cohort outcome reads, directly or through definitions. Modules
    /// are libraries: their unused definitions are not reported.
    fn unused(&self, contract: &ir::Contract, out: &mut Vec<Finding>) {
        let roots: Vec<Value> =
            contract.outcomes.iter().map(json).chain(contract.cohort_outcomes.iter().map(json)).collect();
        let used = reads(contract, roots);
        let mut enums = used.enums.clone();
        for f in contract.participant.fields.iter().chain(contract.events.iter().flat_map(|e| &e.fields)) {
            enums.extend(enum_name(&f.ty));
        }
        let mut report = |item: usize, at: Span, what: String| {
            let d = warning(W_UNUSED, format!("{what} is never used"))
                .at(at, "declared here, but no outcome reads it")
                .note("a declaration nothing reads is dead weight, or a sign that an outcome reads the wrong thing: an eligibility rule or a price meant to use it")
                .help("remove it, or use it; if the data must still carry it, allow this lint on the declaration with the reason");
            out.push(self.find(W_UNUSED, item, d));
        };
        for def in &contract.definitions {
            if def.name.contains('.') || used.definitions.contains(&def.name) {
                continue;
            }
            if let Some((item, ident)) = self.declaration(&def.name) {
                report(item, ident.span, format!("definition `{}`", def.name));
            }
        }
        for e in &contract.events {
            if used.events.contains(&e.name) || used.excluded.contains(&e.name) {
                continue;
            }
            if let Some((item, decl)) = self.event(&e.name) {
                report(item, decl.name.span, format!("event `{}`", e.name));
            }
        }
        for e in &contract.enums {
            if enums.contains(&e.name) {
                continue;
            }
            if let Some((item, ident)) = self.declaration(&e.name) {
                let kind = if e.bands.is_some() { "bands" } else { "enum" };
                report(item, ident.span, format!("{kind} `{}`", e.name));
            }
        }
        if let Some((item, decl)) = self.participant() {
            for f in &decl.fields {
                if !used.fields.contains(&f.name.name) {
                    report(item, f.name.span, format!("participant field `{}`", f.name.name));
                }
            }
        }
    }
}

// ---------------------------------------------------------------- reading the IR

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The value without its spans: two constructs written in different places compare equal.
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(k, _)| *k != "span").map(|(k, v)| (k.clone(), strip(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
        other => other.clone(),
    }
}

fn names(set: &BTreeSet<String>) -> String {
    set.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
}

fn enum_name(t: &ir::Type) -> Option<String> {
    match t {
        ir::Type::Enum { name } => Some(name.clone()),
        ir::Type::Optional { of } => enum_name(of),
        _ => None,
    }
}

fn period_word(p: ir::PeriodKind) -> &'static str {
    match p {
        ir::PeriodKind::CalendarMonth | ir::PeriodKind::Month => "month",
        ir::PeriodKind::CalendarWeek | ir::PeriodKind::Week => "week",
        ir::PeriodKind::Day => "day",
    }
}

fn show_expr(e: &ir::Expr) -> String {
    match e {
        ir::Expr::Percent { value } => format!("{}%", value.normalize()),
        ir::Expr::Int { value } => value.to_string(),
        ir::Expr::Decimal { value } => value.normalize().to_string(),
        ir::Expr::Quantity { value, unit } => format!("{} {unit}", value.normalize()),
        _ => "its target".to_string(),
    }
}

fn condition_span(c: &ir::Condition) -> ir::Span {
    match c {
        ir::Condition::All { span, .. }
        | ir::Condition::Any { span, .. }
        | ir::Condition::Periods { span, .. }
        | ir::Condition::Consecutive { span, .. }
        | ir::Condition::Cumulative { span, .. }
        | ir::Condition::Occurrence { span, .. }
        | ir::Condition::Absence { span, .. }
        | ir::Condition::Reaches { span, .. }
        | ir::Condition::Change { span, .. }
        | ir::Condition::Holds { span, .. } => *span,
    }
}

fn payment_span(p: &ir::Payment) -> ir::Span {
    match p {
        ir::Payment::Amount { span, .. }
        | ir::Payment::ByCase { span, .. }
        | ir::Payment::Tiers { span, .. }
        | ir::Payment::PerPoint { span, .. } => *span,
    }
}

/// The conditions that are not `all` or `any`.
fn leaves<'c>(c: &'c ir::Condition, out: &mut Vec<&'c ir::Condition>) {
    match c {
        ir::Condition::All { conditions, .. } | ir::Condition::Any { conditions, .. } => {
            conditions.iter().for_each(|c| leaves(c, out))
        }
        other => out.push(other),
    }
}

/// What some IR reads: events, participant fields, definitions and enums, following the
/// definitions it uses (transitively).
#[derive(Default)]
struct Reads {
    events: BTreeSet<String>,
    /// Spell events left out with `excluding`: used, but not read as evidence.
    excluded: BTreeSet<String>,
    fields: BTreeSet<String>,
    definitions: BTreeSet<String>,
    enums: BTreeSet<String>,
}

fn reads(contract: &ir::Contract, roots: impl IntoIterator<Item = Value>) -> Reads {
    let mut out = Reads::default();
    for root in roots {
        collect(&root, &mut out);
    }
    let mut done = BTreeSet::new();
    while let Some(name) = out.definitions.iter().find(|d| !done.contains(*d)).cloned() {
        done.insert(name.clone());
        if let Some(def) = contract.definitions.iter().find(|d| d.name == name) {
            collect(&json(def), &mut out);
        }
    }
    out
}

fn collect(value: &Value, out: &mut Reads) {
    match value {
        Value::Object(map) => {
            let text = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_string);
            match map.get("op").and_then(|v| v.as_str()) {
                Some("participant_field") => out.fields.extend(text("field")),
                Some("event_field") | Some("aggregate") => out.events.extend(text("event")),
                Some("ref") => out.definitions.extend(text("name")),
                Some("call") => out.definitions.extend(text("function")),
                Some("case") => out.enums.extend(text("enum_name")),
                Some("classify") => out.enums.extend(text("bands")),
                _ => {}
            }
            match map.get("kind").and_then(|v| v.as_str()) {
                Some("change") => out.events.extend(text("event")),
                Some("enum") => out.enums.extend(text("name")),
                _ => {}
            }
            if map.contains_key("predicate") {
                out.events.extend(text("event"));
            }
            // A definition about one record of an event reads that event.
            if map.contains_key("params") && map.contains_key("body") {
                out.events.extend(text("event"));
            }
            if let Some(Value::Array(excluded)) = map.get("excluding") {
                out.excluded.extend(excluded.iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
            map.values().for_each(|v| collect(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// For each individual outcome, and each cohort outcome whose measure reads events itself:
/// its name, the span of what decides it, and the events that decide it. An outcome that
/// `requires` another is left out: it is paid only after that outcome, whose own evidence
/// is judged on its own.
fn outcome_events(contract: &ir::Contract) -> Vec<(String, ir::Span, BTreeSet<String>)> {
    let mut out = Vec::new();
    for o in contract.outcomes.iter().filter(|o| o.requires.is_empty()) {
        out.push((
            o.name.clone(),
            condition_span(&o.condition),
            reads(contract, [json(&o.condition)]).events,
        ));
    }
    for c in &contract.cohort_outcomes {
        if matches!(c.measure, ir::Measure::ShareWhere { .. } | ir::Measure::Mean { .. }) {
            out.push((c.name.clone(), c.span, reads(contract, [json(&c.measure)]).events));
        }
    }
    out
}

fn collect_windows(value: &Value, out: &mut Vec<ir::Window>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("start") && map.contains_key("end") && map.contains_key("span") {
                if let Ok(w) = serde_json::from_value::<ir::Window>(value.clone()) {
                    out.push(w);
                }
            }
            map.values().for_each(|v| collect_windows(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_windows(v, out)),
        _ => {}
    }
}

fn requires_closure(contract: &ir::Contract, name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![name.to_string()];
    while let Some(n) = stack.pop() {
        for o in contract.outcomes.iter().filter(|o| o.name == n) {
            for r in &o.requires {
                if out.insert(r.clone()) {
                    stack.push(r.clone());
                }
            }
        }
    }
    out
}

/// The dates the members of a cohort join: for each participant date field the membership
/// bounds from below and above by literal dates, the first and last day allowed.
fn date_bounds(members: &ir::Expr) -> BTreeMap<String, (Day, Day)> {
    let mut lower: BTreeMap<String, Day> = BTreeMap::new();
    let mut upper: BTreeMap<String, Day> = BTreeMap::new();
    let parts: Vec<&ir::Expr> = match members {
        ir::Expr::And { operands } => operands.iter().collect(),
        other => vec![other],
    };
    for p in parts {
        let ir::Expr::Compare { operator, lhs, rhs } = p else { continue };
        let (ir::Expr::ParticipantField { field }, ir::Expr::Date { value }) = (lhs.as_ref(), rhs.as_ref())
        else {
            continue;
        };
        let Some(day) = Day::parse(value) else { continue };
        match operator {
            ir::CmpOp::Ge => _ = lower.insert(field.clone(), day),
            ir::CmpOp::Gt => _ = lower.insert(field.clone(), day.plus_days(1)),
            ir::CmpOp::Le => _ = upper.insert(field.clone(), day),
            ir::CmpOp::Lt => _ = upper.insert(field.clone(), day.plus_days(-1)),
            _ => {}
        }
    }
    lower
        .into_iter()
        .filter_map(|(f, lo)| upper.get(&f).filter(|hi| **hi >= lo).map(|hi| (f, (lo, *hi))))
        .collect()
}

// ---------------------------------------------------------------- dates

/// A value worked out without data: a date or a number.
#[derive(Clone, Copy)]
enum Known {
    Day(Day),
    Number(Decimal),
}

/// Works out, without data, the earliest and latest dates a condition can be achieved.
///
/// An anchor is known when it is made of literal dates, or of participant fields given in
/// `fields` (a cohort's last joining date). Any other anchor (a birthday, a referral date,
/// another outcome's achievement) is taken to start its window on `assumed`, when given:
/// the first day of the achievable period, the earliest start that a window measured
/// inside the period can have. Every earliest date is then a lower bound: periods end no
/// sooner than the evaluator's own period grid says, and later starts only move them later.
struct Dates<'c> {
    contract: &'c ir::Contract,
    fields: BTreeMap<String, Day>,
    assumed: Option<Day>,
    /// Whether an unknown anchor was replaced by `assumed`.
    assumed_start: bool,
}

impl<'c> Dates<'c> {
    fn new(contract: &'c ir::Contract, fields: BTreeMap<String, Day>, assumed: Option<Day>) -> Dates<'c> {
        Dates { contract, fields, assumed, assumed_start: false }
    }

    fn value(&self, e: &ir::Expr, params: &BTreeMap<String, Known>, depth: u32) -> Option<Known> {
        if depth > 64 {
            return None;
        }
        let number = |e: &ir::Expr| match self.value(e, params, depth + 1) {
            Some(Known::Number(n)) => Some(n),
            _ => None,
        };
        let day = |e: &ir::Expr| match self.value(e, params, depth + 1) {
            Some(Known::Day(d)) => Some(d),
            _ => None,
        };
        Some(match e {
            ir::Expr::Date { value } => Known::Day(Day::parse(value)?),
            ir::Expr::Int { value } => Known::Number(Decimal::from(*value)),
            ir::Expr::Decimal { value } | ir::Expr::Quantity { value, .. } => Known::Number(*value),
            ir::Expr::ParticipantField { field } => Known::Day(*self.fields.get(field)?),
            ir::Expr::Param { name } => *params.get(name)?,
            ir::Expr::Ref { name } => {
                let def = self.contract.definitions.iter().find(|d| &d.name == name)?;
                self.value(&def.body, &BTreeMap::new(), depth + 1)?
            }
            ir::Expr::Call { function, args } => {
                let def = self.contract.definitions.iter().find(|d| &d.name == function)?;
                let mut bound = BTreeMap::new();
                for (p, a) in def.params.iter().zip(args) {
                    bound.insert(p.name.clone(), self.value(a, params, depth + 1)?);
                }
                self.value(&def.body, &bound, depth + 1)?
            }
            ir::Expr::Neg { operand } => Known::Number(-number(operand)?),
            ir::Expr::Binary { operator, lhs, rhs } => {
                let (a, b) = (number(lhs)?, number(rhs)?);
                Known::Number(match operator {
                    ir::BinaryOp::Add => a.checked_add(b)?,
                    ir::BinaryOp::Sub => a.checked_sub(b)?,
                    ir::BinaryOp::Mul => a.checked_mul(b)?,
                    ir::BinaryOp::Div => a.checked_div(b)?,
                })
            }
            ir::Expr::ShiftDate { date, by, unit, backwards } => {
                let n = i32::try_from(number(by)?.trunc()).ok()?;
                let n = if *backwards { -n } else { n };
                Known::Day(shift(day(date)?, n, unit)?)
            }
            _ => return None,
        })
    }

    fn anchor(&mut self, a: &ir::Anchor) -> Option<(Day, bool)> {
        match self.value(&a.date, &BTreeMap::new(), 0) {
            Some(Known::Day(d)) => {
                Some((if a.starts == ir::AnchorStart::DayAfter { d.plus_days(1) } else { d }, true))
            }
            _ => {
                let assumed = self.assumed?;
                self.assumed_start = true;
                Some((assumed, false))
            }
        }
    }

    fn window_end(&self, w: &ir::Window, start: Day) -> Option<Day> {
        match &w.end {
            ir::WindowEnd::Length { length } => {
                let n = i32::try_from(length.value.trunc()).ok()?;
                Some(shift(start, n, &length.unit)?.plus_days(-1))
            }
            ir::WindowEnd::Date { date } => match self.value(date, &BTreeMap::new(), 0) {
                Some(Known::Day(d)) => Some(d),
                _ => None,
            },
            ir::WindowEnd::AchievableEnd => Day::parse(&self.contract.achievable.to),
        }
    }

    /// The first day the condition could be achieved, if it can be bounded.
    fn earliest(&mut self, c: &ir::Condition) -> Option<Day> {
        let end_of_periods =
            |kind, start, count: u32| grid(kind, start, count as usize, None).last().map(|p| p.1);
        match c {
            ir::Condition::All { conditions, .. } => conditions.iter().filter_map(|c| self.earliest(c)).max(),
            ir::Condition::Any { conditions, .. } => {
                let mut all = Vec::new();
                for c in conditions {
                    all.push(self.earliest(c)?);
                }
                all.into_iter().min()
            }
            ir::Condition::Periods { at_least, period, window_start, .. } => {
                let (start, _) = self.anchor(window_start)?;
                end_of_periods(*period, start, *at_least)
            }
            ir::Condition::Consecutive { periods, period, window, .. } => {
                let (start, _) = self.anchor(&window.start)?;
                end_of_periods(*period, start, *periods)
            }
            ir::Condition::Cumulative { at_least, window, .. } => {
                let (start, _) = self.anchor(&window.start)?;
                if at_least.unit != "day" {
                    return None;
                }
                Some(start.plus_days(i32::try_from(at_least.value.trunc()).ok()? - 1))
            }
            ir::Condition::Occurrence { window, .. }
            | ir::Condition::Reaches { window, .. }
            | ir::Condition::Change { window, .. } => Some(self.anchor(&window.start)?.0),
            ir::Condition::Absence { window, .. } => {
                let (start, _) = self.anchor(&window.start)?;
                self.window_end(window, start)
            }
            ir::Condition::Holds { expr, .. } => {
                let mut windows = Vec::new();
                collect_windows(&json(expr), &mut windows);
                let used = reads(self.contract, [json(expr)]);
                for d in &used.definitions {
                    if let Some(def) = self.contract.definitions.iter().find(|x| &x.name == d) {
                        collect_windows(&json(&def.body), &mut windows);
                    }
                }
                let mut ends = Vec::new();
                for w in &windows {
                    let (start, _) = self.anchor(&w.start)?;
                    ends.push(self.window_end(w, start)?);
                }
                ends.into_iter().max()
            }
        }
    }

    /// The last day the condition could be achieved, when every window it reads is fixed
    /// by dates.
    fn latest(&mut self, c: &ir::Condition) -> Option<Day> {
        let fixed =
            |this: &mut Self, a: &ir::Anchor| this.anchor(a).filter(|(_, known)| *known).map(|(d, _)| d);
        match c {
            ir::Condition::All { conditions, .. } | ir::Condition::Any { conditions, .. } => {
                let mut all = Vec::new();
                for c in conditions {
                    all.push(self.latest(c)?);
                }
                all.into_iter().max()
            }
            ir::Condition::Periods { of, period, window_start, .. } => {
                let start = fixed(self, window_start)?;
                grid(*period, start, *of as usize, None).last().map(|p| p.1)
            }
            ir::Condition::Consecutive { window, .. }
            | ir::Condition::Cumulative { window, .. }
            | ir::Condition::Occurrence { window, .. }
            | ir::Condition::Absence { window, .. }
            | ir::Condition::Reaches { window, .. }
            | ir::Condition::Change { window, .. } => {
                let start = fixed(self, &window.start)?;
                self.window_end(window, start)
            }
            ir::Condition::Holds { .. } => None,
        }
    }
}

fn shift(day: Day, n: i32, unit: &str) -> Option<Day> {
    match unit {
        "day" => Some(day.plus_days(n)),
        "month" => Some(day.plus_months(n)),
        _ => None,
    }
}

// ---------------------------------------------------------------- implication

/// Whether `a` being achieved means `b` is achieved (a sound approximation: `false` when
/// unsure). Leaves imply each other only when they are the same kind of condition on the
/// same event, window and counting rule, with `a`'s filter implying `b`'s and `a`'s count,
/// total or threshold at least `b`'s.
fn implies(a: &ir::Condition, b: &ir::Condition) -> bool {
    strip(&json(a)) == strip(&json(b)) || implies_unless_equal(a, b)
}

/// [`implies`], for two conditions already known to differ.
fn implies_unless_equal(a: &ir::Condition, b: &ir::Condition) -> bool {
    use ir::Condition as C;
    if let C::All { conditions, .. } = b {
        return conditions.iter().all(|bj| implies(a, bj));
    }
    if let C::Any { conditions, .. } = a {
        return conditions.iter().all(|ai| implies(ai, b));
    }
    if let C::All { conditions, .. } = a {
        if conditions.iter().any(|ai| implies(ai, b)) {
            return true;
        }
    }
    if let C::Any { conditions, .. } = b {
        if conditions.iter().any(|bj| implies(a, bj)) {
            return true;
        }
    }
    // The cheap test first: conditions on different events never imply each other, and
    // comparing windows (below) costs far more than comparing names.
    if let (Some(ea), Some(eb)) = (event_of(a), event_of(b)) {
        if ea != eb {
            return false;
        }
    }
    match (a, b) {
        (
            C::Periods {
                filter: fa,
                at_least: na,
                of: ma,
                period: pa,
                window_start: wa,
                counting: ca,
                excluding: xa,
                ..
            },
            C::Periods {
                filter: fb,
                at_least: nb,
                of: mb,
                period: pb,
                window_start: wb,
                counting: cb,
                excluding: xb,
                ..
            },
        ) => {
            pa == pb
                && same(wa, wb)
                && same(ca, cb)
                && xa == xb
                && na >= nb
                && ma <= mb
                && filter_implies(fa, fb)
        }
        (
            C::Consecutive {
                filter: fa,
                periods: na,
                period: pa,
                window: wa,
                counting: ca,
                excluding: xa,
                ..
            },
            C::Consecutive {
                filter: fb,
                periods: nb,
                period: pb,
                window: wb,
                counting: cb,
                excluding: xb,
                ..
            },
        ) => pa == pb && same(wa, wb) && same(ca, cb) && xa == xb && na >= nb && filter_implies(fa, fb),
        (
            C::Cumulative { filter: fa, at_least: na, window: wa, excluding: xa, .. },
            C::Cumulative { filter: fb, at_least: nb, window: wb, excluding: xb, .. },
        ) => same(wa, wb) && xa == xb && na.unit == nb.unit && na.value >= nb.value && filter_implies(fa, fb),
        (C::Occurrence { filter: fa, window: wa, .. }, C::Occurrence { filter: fb, window: wb, .. }) => {
            same(wa, wb) && filter_implies(fa, fb)
        }
        (
            C::Reaches { function: ga, filter: fa, field: da, threshold: ta, window: wa, .. },
            C::Reaches { function: gb, filter: fb, field: db, threshold: tb, window: wb, .. },
        ) => {
            // More records can only raise a count; a sum may fall if values can be negative,
            // so sums need the same records.
            let records = match ga {
                ir::AggregateFn::Count => filter_implies(fa, fb),
                _ => same(fa, fb),
            };
            ga == gb && da == db && same(wa, wb) && records && at_least(ta, tb)
        }
        (
            C::Absence { filter: fa, max_occurrences: na, window: wa, excluding: xa, .. },
            C::Absence { filter: fb, max_occurrences: nb, window: wb, excluding: xb, .. },
        ) => same(wa, wb) && xa == xb && na <= nb && filter_implies(fb, fa),
        (
            C::Change { event: ea, value: va, direction: da, by: ba, baseline: la, window: wa, .. },
            C::Change { event: eb, value: vb, direction: db, by: bb, baseline: lb, window: wb, .. },
        ) => ea == eb && da == db && same(va, vb) && same(la, lb) && same(wa, wb) && at_least(ba, bb),
        _ => false,
    }
}

/// The event a leaf condition is about; `None` for conditions that combine others.
fn event_of(c: &ir::Condition) -> Option<&str> {
    use ir::Condition as C;
    match c {
        C::Periods { filter, .. }
        | C::Consecutive { filter, .. }
        | C::Cumulative { filter, .. }
        | C::Occurrence { filter, .. }
        | C::Absence { filter, .. }
        | C::Reaches { filter, .. } => Some(&filter.event),
        C::Change { event, .. } => Some(event),
        _ => None,
    }
}

/// Whether two IR values are the same, wherever they were written.
fn same<T: serde::Serialize>(a: &T, b: &T) -> bool {
    strip(&json(a)) == strip(&json(b))
}

/// Whether every record `a` selects is selected by `b`.
fn filter_implies(a: &ir::EventFilter, b: &ir::EventFilter) -> bool {
    a.event == b.event && predicate_implies(&a.predicate, &b.predicate)
}

fn predicate_implies(a: &ir::Expr, b: &ir::Expr) -> bool {
    if matches!(b, ir::Expr::Bool { value: true }) || strip(&json(a)) == strip(&json(b)) {
        return true;
    }
    if let ir::Expr::And { operands } = b {
        return operands.iter().all(|bj| predicate_implies(a, bj));
    }
    if let ir::Expr::And { operands } = a {
        return operands.iter().any(|ai| predicate_implies(ai, b));
    }
    let (
        ir::Expr::Compare { operator: oa, lhs: la, rhs: ra },
        ir::Expr::Compare { operator: ob, lhs: lb, rhs: rb },
    ) = (a, b)
    else {
        return false;
    };
    if strip(&json(la)) != strip(&json(lb)) {
        return false;
    }
    let (Some(x), Some(y)) = (literal(ra), literal(rb)) else { return false };
    if x.1 != y.1 {
        return false;
    }
    use ir::CmpOp::*;
    match (oa, ob) {
        // Lower bounds: `> 30` implies `>= 30` and `> 16`.
        (Gt | Ge, Gt | Ge) => x.0 > y.0 || (x.0 == y.0 && (*oa == Gt || *ob == Ge)),
        // Upper bounds, likewise.
        (Lt | Le, Lt | Le) => x.0 < y.0 || (x.0 == y.0 && (*oa == Lt || *ob == Le)),
        (Eq, Ge) | (Eq, Le) => (*ob == Ge && x.0 >= y.0) || (*ob == Le && x.0 <= y.0),
        _ => false,
    }
}

/// A literal number and its unit.
fn literal(e: &ir::Expr) -> Option<(Decimal, String)> {
    match e {
        ir::Expr::Int { value } => Some((Decimal::from(*value), String::new())),
        ir::Expr::Decimal { value } => Some((*value, String::new())),
        ir::Expr::Percent { value } => Some((*value, "%".into())),
        ir::Expr::Quantity { value, unit } => Some((*value, unit.clone())),
        _ => None,
    }
}

/// Whether literal `a` is at least literal `b` (same unit).
fn at_least(a: &ir::Expr, b: &ir::Expr) -> bool {
    match (literal(a), literal(b)) {
        (Some(x), Some(y)) => x.1 == y.1 && x.0 >= y.0,
        _ => strip(&json(a)) == strip(&json(b)),
    }
}
