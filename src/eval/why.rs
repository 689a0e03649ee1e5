//! `--explain PARTICIPANT`: why each outcome got its status, in words, with the working:
//! the window, each period and whether it counted, the records behind it, where a cap bit.

use super::decide::{Decision, Status};
use super::output::{cap_name, evidence, money};
use super::run::Evaluation;
use crate::ir;

pub fn explain(
    contract: &ir::Contract,
    files: &[String],
    evaluation: &Evaluation,
    participant: &str,
    decisions: &[Decision],
) -> String {
    let mut out = format!(
        "Participant {participant}, as evaluated against \"{}\" (contract {})\n",
        contract.name,
        &contract.hash[..12.min(contract.hash.len())]
    );
    for d in decisions {
        let outcome = &contract.outcomes[d.outcome];
        let repeat = if d.repeat > 1 { format!(" (repeat {})", d.repeat) } else { String::new() };
        out.push('\n');
        let headline = match d.status {
            Status::Achieved => format!(
                "achieved on {}, worth {} {}",
                d.date.map(|x| x.to_string()).unwrap_or_default(),
                d.amount.map(money).unwrap_or_else(|| "nothing".into()),
                contract.currency
            ),
            Status::Pending => {
                format!("pending: decided by {}", d.date.map(|x| x.to_string()).unwrap_or_default())
            }
            Status::NotAchieved => "not achieved".to_string(),
        };
        out.push_str(&format!("{} \"{}\"{repeat}: {headline}\n", outcome.name, outcome.title));
        if d.repeat == 1 {
            for allowed in &outcome.allows {
                out.push_str(&format!(
                    "  a risk knowingly accepted ({}): {}\n",
                    allowed.lint, allowed.reason
                ));
            }
        }
        if let Some(reason) = &d.reason {
            out.push_str(&format!("  because {reason}\n"));
        }
        for line in &d.trace {
            out.push_str(&format!("  - {line}\n"));
        }
        if !d.evidence.is_empty() {
            let list: Vec<String> = d.evidence.iter().map(|e| evidence(files, e)).collect();
            out.push_str(&format!("  evidence: {}\n", list.join(", ")));
        }
        if d.status == Status::Achieved {
            let payment = evaluation.ledger.iter().find(|p| {
                evaluation.participant_id(p) == participant && p.outcome == d.outcome && p.repeat == d.repeat
            });
            if let Some(p) = payment {
                match p.capped_by {
                    Some(cap) => out.push_str(&format!(
                        "  paid {} of {} {}: the {} cap bit\n",
                        money(p.paid),
                        money(p.due),
                        contract.currency,
                        cap_name(cap).replace('_', " ")
                    )),
                    None => {
                        out.push_str(&format!("  paid {} {} in full\n", money(p.paid), contract.currency))
                    }
                }
                out.push_str(&format!("  claim by {}\n", p.claim_by));
            }
        }
    }
    out
}
