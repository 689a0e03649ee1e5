//! One evaluation run: participants stream through in one pass, each decided for every
//! outcome at once; decisions go straight to their output while payments and cohort values,
//! a few numbers per participant, are kept for the caps and the cohort outcomes.

use super::cohort::{self, CohortDecision, Tally};
use super::day::Day;
use super::decide::{Decision, Scratch, Status, decide_into};
use super::interpret::{Known, KnownBuffers};
use super::ledger::{CapUse, Payment, apply_caps};
use super::plan::Plan;
use super::value::Timeline;
use crate::ir;
use rust_decimal::Decimal;

/// Receives each participant's decisions as they are made.
pub trait DecisionSink {
    fn participant(&mut self, id: &str, decisions: &[Decision]) -> std::io::Result<()>;
}

/// Counts per outcome, for the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutcomeCounts {
    pub achieved: u64,
    pub pending: u64,
    pub not_achieved: u64,
    /// Worth of the achievements, before caps.
    pub due: Decimal,
}

/// Everything a run produces besides the decisions already written.
#[derive(Debug)]
pub struct Evaluation {
    pub participants: u64,
    pub events: u64,
    pub counts: Vec<OutcomeCounts>,
    /// In the order caps were applied.
    pub ledger: Vec<Payment>,
    /// The ids of the participants paid, each once, end to end (see [`Evaluation::participant_id`]).
    pub payment_ids: String,
    pub cap_use: CapUse,
    pub cohorts: Vec<CohortDecision>,
    /// What each cohort outcome pays after caps, and the cap that cut it.
    pub cohort_paid: Vec<(Decimal, Option<ir::CapKind>)>,
    /// The explained participant's decisions, with their working.
    pub explained: Option<(Timeline, Vec<Decision>)>,
}

impl Evaluation {
    /// The id of the participant a payment is for.
    pub fn participant_id(&self, p: &Payment) -> &str {
        self.payment_ids.get(p.id_at..p.id_at + p.id_len as usize).unwrap_or_default()
    }
}

pub struct Options<'a> {
    pub as_of: Day,
    pub explain: Option<&'a str>,
}

/// Fills a timeline with the next participant's; false when there are no more. One timeline is
/// refilled participant after participant, its buffers reused (see
/// `TimelineReader::next_timeline_into`).
pub type Timelines<'a> = dyn FnMut(&mut Timeline) -> bool + 'a;

/// Evaluates every timeline. Control-group timelines, if any, feed only the cohort outcomes.
pub fn evaluate(
    plan: &Plan,
    contract: &ir::Contract,
    timelines: &mut Timelines,
    control: Option<&mut Timelines>,
    options: &Options,
    sink: &mut dyn DecisionSink,
) -> std::io::Result<Evaluation> {
    let events = contract.events.len();
    let mut counts = vec![OutcomeCounts::default(); contract.outcomes.len()];
    let mut payments = Vec::new();
    let mut payment_ids = String::new();
    let mut tallies: Vec<Tally> = vec![Tally::default(); plan.cohorts.len()];
    let mut explained = None;
    let mut participants = 0u64;
    let mut event_count = 0u64;
    let mut timeline = Timeline::default();
    // Buffers kept from participant to participant: in the steady state, deciding allocates
    // only what a decision keeps.
    let mut buffers = KnownBuffers::default();
    let mut scratch = Scratch::default();
    let mut decisions = Vec::new();
    while timelines(&mut timeline) {
        let explaining = options.explain == Some(timeline.participant.id.as_str());
        let known = Known::refill(buffers, &timeline.participant, &timeline.events, events, options.as_of);
        decide_into(plan, contract, &known, explaining, &mut scratch, &mut decisions);
        sink.participant(&timeline.participant.id, &decisions)?;
        for d in &decisions {
            let c = &mut counts[d.outcome];
            match d.status {
                Status::Achieved => {
                    c.achieved += 1;
                    c.due += d.amount.unwrap_or_default();
                }
                Status::Pending => c.pending += 1,
                Status::NotAchieved => c.not_achieved += 1,
            }
            if let (Status::Achieved, Some(date), Some(amount), Some(claim_by)) =
                (d.status, d.date, d.amount, d.claim_by)
            {
                let participant = u32::try_from(participants).unwrap_or(u32::MAX);
                let id = &timeline.participant.id;
                // A participant paid twice has their id kept once.
                let (id_at, id_len) = match payments.last() {
                    Some(last @ &Payment { participant: p, .. })
                        if p == participant && participants < u64::from(u32::MAX) =>
                    {
                        (last.id_at, last.id_len)
                    }
                    _ => {
                        payment_ids.push_str(id);
                        (payment_ids.len() - id.len(), u32::try_from(id.len()).unwrap_or(u32::MAX))
                    }
                };
                payments.push(Payment {
                    participant,
                    id_at,
                    id_len,
                    outcome: d.outcome,
                    repeat: d.repeat,
                    achieved: date,
                    claim_by,
                    due: amount,
                    paid: Decimal::ZERO,
                    capped_by: None,
                });
            }
        }
        for (cohort, tally) in plan.cohorts.iter().zip(&mut tallies) {
            tally.observe(cohort, plan, &known, &decisions, &mut scratch);
        }
        buffers = known.buffers();
        participants += 1;
        event_count += timeline.events.len() as u64;
        if explaining {
            explained = Some((timeline.clone(), decisions.clone()));
        }
    }
    let control_tallies = control.map(|control| {
        let mut tallies: Vec<Tally> = vec![Tally::default(); plan.cohorts.len()];
        while control(&mut timeline) {
            let known =
                Known::refill(buffers, &timeline.participant, &timeline.events, events, options.as_of);
            decide_into(plan, contract, &known, false, &mut scratch, &mut decisions);
            for (cohort, tally) in plan.cohorts.iter().zip(&mut tallies) {
                tally.observe(cohort, plan, &known, &decisions, &mut scratch);
            }
            buffers = known.buffers();
        }
        tallies
    });
    let cohorts: Vec<CohortDecision> = plan
        .cohorts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cohort::decide(i, c, plan, contract, &tallies[i], control_tallies.as_ref().map(|t| &t[i]))
        })
        .collect();
    let (ledger, mut cap_use) = apply_caps(contract, payments);
    // Cohort outcomes are paid after every individual payment, within their own cap and
    // what is left of the contract's total.
    let mut cohort_paid = Vec::new();
    for decision in &cohorts {
        let due = decision.amount.unwrap_or_default();
        let mut paid = due;
        let mut capped_by = None;
        if let Some(cap) = contract.cohort_outcomes[decision.outcome].caps.amount {
            if paid > cap {
                paid = cap;
                capped_by = Some(ir::CapKind::OutcomeAmount);
            }
        }
        if let Some(total) = contract.caps.total {
            let room = (total - cap_use.contract).max(Decimal::ZERO);
            if paid > room {
                paid = room;
                capped_by.get_or_insert(ir::CapKind::Contract);
            }
        }
        cap_use.contract += paid;
        cohort_paid.push((paid, capped_by));
    }
    Ok(Evaluation {
        participants,
        events: event_count,
        counts,
        ledger,
        payment_ids,
        cap_use,
        cohorts,
        cohort_paid,
        explained,
    })
}
