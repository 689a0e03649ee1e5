//! The payments ledger: every payment due, with caps applied in one documented order.
//!
//! Caps apply payment by payment in a deterministic order: by date achieved, then by the
//! participant's position in the input, then by the outcome's position in the contract,
//! then by repeat. For each payment the caps are tried narrowest first, as the IR's
//! `cap_order` states: the outcome's limit on payments, its limit on the amount, the cap per
//! participant, the contract's total. A payment that crosses a cap is paid up to it and
//! recorded as capped by the first cap that cut it; later payments against a spent cap pay
//! nothing and are recorded the same way.

use super::day::Day;
use crate::ir;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    /// The participant's position in the input (0 for the first).
    pub participant: u32,
    /// Where the participant's id is in [`Evaluation::payment_ids`](super::run::Evaluation):
    /// one text for every payment's id, not a string each (an allocation, a copy and a free a
    /// payment, ~3 instructions an event).
    pub id_at: usize,
    pub id_len: u32,
    /// Index of the outcome in the IR's `outcomes`.
    pub outcome: usize,
    pub repeat: u32,
    pub achieved: Day,
    pub claim_by: Day,
    /// The price after rounding, before caps.
    pub due: Decimal,
    /// What is paid after caps.
    pub paid: Decimal,
    pub capped_by: Option<ir::CapKind>,
}

/// How much of each cap was used, for the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapUse {
    /// Per outcome: payments made, amount paid.
    pub outcomes: Vec<(u32, Decimal)>,
    pub contract: Decimal,
    /// Participants who reached their cap (exactly, or cut by it).
    pub participants_capped: u64,
}

/// Applies every cap; returns the payments in ledger order (the order caps were applied).
pub fn apply_caps(contract: &ir::Contract, mut payments: Vec<Payment>) -> (Vec<Payment>, CapUse) {
    // No two payments have the same participant, outcome and repeat: the order is total, and
    // an unstable sort (which moves fewer payments) deterministic. In place: sorting keys and
    // then moving the payments was 1% quicker but held them three times over at the peak
    // (25 MB more for a million participants).
    sort_for_caps(&mut payments);
    let mut used =
        CapUse { outcomes: vec![(0, Decimal::ZERO); contract.outcomes.len()], ..CapUse::default() };
    let mut per_participant: BTreeMap<u32, Decimal> = BTreeMap::new();
    let mut capped_participants: std::collections::BTreeSet<u32> = Default::default();
    let mut contract_spent = false;
    for p in &mut payments {
        let mut amount = p.due;
        let mut capped_by = None;
        let outcome = &contract.outcomes[p.outcome].caps;
        let (count, outcome_paid) = used.outcomes[p.outcome];
        for kind in &contract.cap_order {
            let room = match kind {
                ir::CapKind::OutcomePayments => match outcome.payments {
                    Some(limit) if count >= limit => Some(Decimal::ZERO),
                    _ => None,
                },
                ir::CapKind::OutcomeAmount => {
                    outcome.amount.map(|cap| (cap - outcome_paid).max(Decimal::ZERO))
                }
                ir::CapKind::Participant => contract.caps.per_participant.map(|cap| {
                    (cap - per_participant.get(&p.participant).copied().unwrap_or_default())
                        .max(Decimal::ZERO)
                }),
                // Once the contract's total is spent, it stays spent while no payment is
                // negative: no room, without working it out again for every later payment.
                ir::CapKind::Contract => contract.caps.total.map(|cap| {
                    if contract_spent {
                        return Decimal::ZERO;
                    }
                    let room = (cap - used.contract).max(Decimal::ZERO);
                    contract_spent = room.is_zero();
                    room
                }),
            };
            if let Some(room) = room {
                if amount > room {
                    amount = room;
                    capped_by.get_or_insert(*kind);
                    if *kind == ir::CapKind::Participant {
                        capped_participants.insert(p.participant);
                    }
                }
            }
        }
        p.paid = amount;
        p.capped_by = capped_by;
        if amount > Decimal::ZERO || capped_by.is_none() {
            used.outcomes[p.outcome].0 += 1;
        }
        add(&mut used.outcomes[p.outcome].1, amount);
        // Kept only for a cap per participant: a map entry per payment cost more than the
        // rest of applying the caps.
        if contract.caps.per_participant.is_some() {
            *per_participant.entry(p.participant).or_default() += amount;
        }
        add(&mut used.contract, amount);
        if amount.is_sign_negative() && !amount.is_zero() {
            contract_spent = false;
        }
    }
    // Reaching the cap exactly counts as much as being cut by it.
    if let Some(cap) = contract.caps.per_participant {
        capped_participants.extend(per_participant.iter().filter(|(_, paid)| **paid >= cap).map(|(p, _)| *p));
    }
    used.participants_capped = capped_participants.len() as u64;
    (payments, used)
}

/// `sum += amount`, but not for a zero added to a sum that is not zero, which leaves the
/// sum as it is, representation and all (`rust_decimal` returns the sum itself; the tests
/// check it): once a cap is spent, every later payment adds zero, and a decimal addition is
/// ~45 instructions.
#[inline]
pub(crate) fn add(sum: &mut Decimal, amount: Decimal) {
    if !amount.is_zero() || sum.is_zero() {
        *sum += amount;
    }
}

/// Sorts payments into the order caps apply (date achieved, participant, outcome, repeat).
/// A run gathers them in input order (participant, outcome, repeat), so they need only be
/// sorted by date, stably: counted by day, then moved into place, each once, along the
/// cycles of the permutation. In place, as the sort it stands for was (the moves need 4
/// bytes a payment); a sort by comparisons cost ~700 instructions a payment, this ~60. Any
/// other order, or dates too spread out to count by day, is sorted by comparisons.
fn sort_for_caps(payments: &mut [Payment]) {
    let input_order = payments.is_sorted_by_key(|p| (p.participant, p.outcome, p.repeat));
    let first = payments.iter().map(|p| p.achieved).min().unwrap_or_default();
    let last = payments.iter().map(|p| p.achieved).max().unwrap_or_default();
    let days = usize::try_from(i64::from(last.0) - i64::from(first.0) + 1).unwrap_or(usize::MAX);
    if !input_order || payments.len() > u32::MAX as usize || days > payments.len().saturating_mul(4) + 4096 {
        payments.sort_unstable_by_key(|p| (p.achieved, p.participant, p.outcome, p.repeat));
        return;
    }
    let day = |p: &Payment| (p.achieved.0 - first.0) as usize;
    // Where each day's payments start, then (as they are placed) where the next one goes.
    let mut next = vec![0u32; days + 1];
    for p in payments.iter() {
        next[day(p) + 1] += 1;
    }
    for d in 1..next.len() {
        next[d] += next[d - 1];
    }
    let mut to: Vec<u32> = payments
        .iter()
        .map(|p| {
            let slot = &mut next[day(p)];
            *slot += 1;
            *slot - 1
        })
        .collect();
    for i in 0..payments.len() {
        while to[i] as usize != i {
            let j = to[i] as usize;
            payments.swap(i, j);
            to.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_zero_skipped_is_adding_zero() {
        let numbers =
            ["0", "0.00", "-0", "1", "1.0", "300.00", "-2.5", "1500000", "79228162514264337593543950335"];
        for a in numbers {
            for b in ["0", "0.00", "-0.0", "0.000000"].iter().chain(&numbers) {
                let (a, b): (Decimal, Decimal) = (a.parse().unwrap(), b.parse().unwrap());
                let Some(sum) = a.checked_add(b) else { continue };
                let mut skipped = a;
                add(&mut skipped, b);
                assert_eq!(skipped.serialize(), sum.serialize(), "{a} + {b}");
            }
        }
    }

    fn contract(
        total: Option<i64>,
        per_participant: Option<i64>,
        outcome_payments: Option<u32>,
        outcome_amount: Option<i64>,
    ) -> ir::Contract {
        let text = "contract \"Caps\" {\n  currency GBP\n  outcomes achievable from 2025-01-01 to 2026-12-31\n  claims close 2027-06-30\n}\nparticipant { referred: date }\nevent job { on: date }\noutcome a \"A\" {\n  achieved when job within 12 months after participant.referred\n  pays 100 GBP\n}\noutcome b \"B\" {\n  achieved when job within 12 months after participant.referred\n  pays 100 GBP\n}\n";
        let mut ir = crate::compile("caps.pay", text, &crate::resolve::NoFiles).ir.expect("compiles");
        ir.caps.total = total.map(Decimal::from);
        ir.caps.per_participant = per_participant.map(Decimal::from);
        ir.outcomes[0].caps.payments = outcome_payments;
        ir.outcomes[0].caps.amount = outcome_amount.map(Decimal::from);
        ir
    }

    fn payment(participant: u32, outcome: usize, day: &str, due: i64) -> Payment {
        Payment {
            participant,
            id_at: 0,
            id_len: 0,
            outcome,
            repeat: 1,
            achieved: Day::parse(day).unwrap(),
            claim_by: Day::parse("2027-06-30").unwrap(),
            due: Decimal::from(due),
            paid: Decimal::ZERO,
            capped_by: None,
        }
    }

    fn paid(payments: &[Payment]) -> Vec<(u32, i64, Option<ir::CapKind>)> {
        payments.iter().map(|p| (p.participant, i64::try_from(p.paid).unwrap(), p.capped_by)).collect()
    }

    #[test]
    fn payments_in_input_order_are_sorted_as_by_comparisons() {
        let mut seed = 7u64;
        let mut random = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for (count, spread) in [(0, 10), (1, 10), (2, 1), (50, 3), (500, 400), (3_000, 1_100), (300, 100_000)]
        {
            let mut payments = Vec::new();
            for participant in 0..count {
                for outcome in 0..1 + random(3) as usize {
                    let day = Day::parse("2025-04-01").unwrap().plus_days(random(spread) as i32);
                    let mut p = payment(participant, outcome, "2025-04-01", 100);
                    p.achieved = day;
                    p.repeat = 1 + random(2) as u32;
                    payments.push(p);
                }
            }
            let mut expected = payments.clone();
            expected.sort_unstable_by_key(|p| (p.achieved, p.participant, p.outcome, p.repeat));
            sort_for_caps(&mut payments);
            assert_eq!(payments, expected, "{count} participants, dates over {spread} days");
        }
    }

    #[test]
    fn the_contract_total_pays_up_to_the_cap_then_nothing_in_date_order() {
        let ir = contract(Some(250), None, None, None);
        let (ledger, used) = apply_caps(
            &ir,
            vec![
                payment(2, 0, "2025-03-01", 100),
                payment(0, 0, "2025-02-01", 100),
                payment(1, 0, "2025-02-01", 100),
                payment(3, 1, "2025-04-01", 100),
            ],
        );
        assert_eq!(
            paid(&ledger),
            vec![
                (0, 100, None),
                (1, 100, None),
                (2, 50, Some(ir::CapKind::Contract)),
                (3, 0, Some(ir::CapKind::Contract))
            ]
        );
        assert_eq!(used.contract, Decimal::from(250));
    }

    #[test]
    fn an_outcomes_volume_cap_stops_payments_after_the_limit() {
        let ir = contract(None, None, Some(2), None);
        let (ledger, _) = apply_caps(
            &ir,
            vec![
                payment(0, 0, "2025-02-01", 100),
                payment(1, 0, "2025-02-02", 100),
                payment(2, 0, "2025-02-03", 100),
                payment(3, 1, "2025-02-04", 100),
            ],
        );
        assert_eq!(
            paid(&ledger),
            vec![(0, 100, None), (1, 100, None), (2, 0, Some(ir::CapKind::OutcomePayments)), (3, 100, None)]
        );
    }

    #[test]
    fn an_outcomes_amount_cap_and_a_participant_cap_each_bite() {
        let ir = contract(None, Some(150), None, Some(180));
        let (ledger, used) = apply_caps(
            &ir,
            vec![
                payment(0, 0, "2025-02-01", 100),
                payment(0, 1, "2025-02-02", 100),
                payment(1, 0, "2025-02-03", 100),
            ],
        );
        assert_eq!(
            paid(&ledger),
            vec![
                (0, 100, None),
                (0, 50, Some(ir::CapKind::Participant)),
                (1, 80, Some(ir::CapKind::OutcomeAmount))
            ]
        );
        assert_eq!(used.participants_capped, 1);
    }
}
