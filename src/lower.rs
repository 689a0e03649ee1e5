//! Lowering: the checked contract to the IR, with every default made explicit, then verified.
//!
//! Owns: the defaults (rounding, titles, eligibility, repeats, test dates, the order caps
//! apply in), turning pairwise `excludes` into exclusion groups, and [`verify`], which checks
//! the IR's own invariants so that a reader of IR JSON (not only of `.pay` files) can trust
//! it.

use crate::check::Checked;
use crate::ir;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// Builds the IR. Returns `None` when the contract is not complete enough to have one (no
/// header or no participant declaration; `check` has reported why).
pub fn lower(checked: Checked, sources: Vec<String>) -> Option<ir::Contract> {
    let header = checked.header?;
    let participant = checked.participant?;
    let claims_close = header.claims_close.to_string();
    let (mode, increment, defaulted) = match header.rounding {
        Some((mode, increment)) => (mode, increment, false),
        None => (ir::RoundingMode::HalfUp, Decimal::new(1, 2), true),
    };
    let mut exclusions = checked.highest_of;
    let mut outcomes = Vec::new();
    for o in checked.outcomes {
        for (other, span) in &o.excludes {
            let pair: BTreeSet<String> = [o.name.clone(), other.clone()].into();
            let seen = exclusions.iter().any(|e| {
                e.rule == ir::ExclusionRule::FirstAchieved
                    && e.outcomes.iter().cloned().collect::<BTreeSet<_>>() == pair
            });
            if !seen {
                exclusions.push(ir::Exclusion {
                    outcomes: pair.into_iter().collect(),
                    rule: ir::ExclusionRule::FirstAchieved,
                    span: *span,
                });
            }
        }
        outcomes.push(ir::Outcome {
            title: o.title.unwrap_or_else(|| o.name.clone()),
            name: o.name,
            docs: o.docs,
            eligible: o.eligible.unwrap_or(ir::Expr::Bool { value: true }),
            condition: o.condition,
            payment: o.payment,
            requires: o.requires,
            max_times: o.repeats.unwrap_or(1),
            caps: o.caps,
            claim_within: o.claim_within,
            // Filled in by `lint`, which reads the `allow(...)` lines of the source.
            allows: Vec::new(),
            span: o.span,
        });
    }
    let tests = checked
        .tests
        .into_iter()
        .map(|t| ir::Test {
            name: t.name,
            as_of: t.as_of.unwrap_or_else(|| claims_close.clone()),
            participant: t.participant,
            events: t.events,
            expects: t.expects,
            span: t.span,
        })
        .collect();
    let mut contract = ir::Contract {
        ir_version: ir::IR_VERSION.to_string(),
        hash: String::new(),
        sources,
        name: header.name,
        currency: header.currency,
        achievable: ir::DateRange {
            from: header.achievable.0.to_string(),
            to: header.achievable.1.to_string(),
        },
        claims_close,
        rounding: ir::Rounding {
            mode,
            increment: increment.normalize(),
            applies_to: "each payment, after prices and before caps".to_string(),
            defaulted,
        },
        working_days: ir::WorkingDays {
            defaulted: header.holidays.is_none(),
            holidays: header.holidays.unwrap_or_else(|| "none".to_string()),
        },
        caps: ir::ContractCaps {
            total: header.total_cap,
            per_participant: header.participant_cap,
            span: Some(header.span),
        },
        cap_order: ir::CAP_ORDER.to_vec(),
        participant,
        enums: checked.enums,
        events: checked.events,
        definitions: checked.definitions,
        outcomes,
        cohort_outcomes: checked.cohort_outcomes,
        exclusions,
        tests,
        allows: Vec::new(),
    };
    contract.hash = contract.content_hash();
    Some(contract)
}

/// Checks the IR's invariants: every name it uses is declared, every hash matches. Returns
/// one line per violation; empty means the IR can be trusted.
pub fn verify(contract: &ir::Contract) -> Vec<String> {
    let mut problems = Vec::new();
    if contract.ir_version != ir::IR_VERSION {
        problems.push(format!(
            "IR version {} is not {}, the version this payable reads",
            contract.ir_version,
            ir::IR_VERSION
        ));
    }
    if contract.hash != contract.content_hash() {
        problems.push("the hash does not match the content: the IR was changed after compiling".to_string());
    }
    let outcomes: BTreeSet<&str> = contract.outcomes.iter().map(|o| o.name.as_str()).collect();
    let definitions: BTreeSet<&str> = contract.definitions.iter().map(|d| d.name.as_str()).collect();
    let events: BTreeSet<&str> = contract.events.iter().map(|e| e.name.as_str()).collect();
    let enums: BTreeSet<&str> = contract.enums.iter().map(|e| e.name.as_str()).collect();
    for o in &contract.outcomes {
        for r in &o.requires {
            if !outcomes.contains(r.as_str()) {
                problems.push(format!("outcome `{}` requires unknown outcome `{r}`", o.name));
            }
        }
    }
    for e in &contract.exclusions {
        for o in &e.outcomes {
            if !outcomes.contains(o.as_str()) {
                problems.push(format!("an exclusion names unknown outcome `{o}`"));
            }
        }
    }
    let mut names = Vec::new();
    let value = serde_json::to_value(contract).unwrap_or_default();
    collect_references(&value, &mut names);
    for (kind, name) in names {
        let known = match kind {
            "ref" | "call" => definitions.contains(name.as_str()),
            "event" => events.contains(name.as_str()),
            "enum" => enums.contains(name.as_str()),
            _ => outcomes.contains(name.as_str()),
        };
        if !known {
            problems.push(format!("the IR refers to an unknown {kind} `{name}`"));
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Every name an expression uses, from the IR's JSON (so no construct is missed when the
/// IR grows).
fn collect_references(value: &serde_json::Value, out: &mut Vec<(&'static str, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            let text = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_string);
            match map.get("op").and_then(|v| v.as_str()) {
                Some("ref") => out.extend(text("name").map(|n| ("ref", n))),
                Some("call") => out.extend(text("function").map(|n| ("call", n))),
                Some("event_field") | Some("aggregate") => out.extend(text("event").map(|n| ("event", n))),
                Some("case") => out.extend(text("enum_name").map(|n| ("enum", n))),
                Some("classify") => out.extend(text("bands").map(|n| ("enum", n))),
                Some("achieved_on") => out.extend(text("outcome").map(|n| ("outcome", n))),
                _ => {}
            }
            if map.contains_key("predicate") {
                out.extend(text("event").map(|n| ("event", n)));
            }
            map.values().for_each(|v| collect_references(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}
