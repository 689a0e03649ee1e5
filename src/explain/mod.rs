//! `explain`: a contract, or a module, as plain English, for the people who sign, fund and
//! audit it rather than the people who write it.
//!
//! Owns the English: every outcome, payment, cap and cohort rule, with each default the IR
//! makes explicit stated in words (how a period counts, what an open spell means, the order
//! caps apply in, rounding, claim deadlines, the achievable period). It reads only the IR
//! (`ir::Contract`, or a module's checked declarations) and never the source text, so what
//! it says is what the compiler understood. It does no I/O.
//!
//! Shape: [`document`] is a small model (headings, paragraphs, nested lists) built by
//! `contract` (sections), `conditions` (achievement conditions) and `phrases` (expressions);
//! `render` turns it into text, Markdown or a standalone HTML page.

mod conditions;
mod contract;
pub mod document;
mod phrases;
mod render;
mod words;

use crate::ir;
pub use document::{Block, Document, Item};

/// The output formats of `payable explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
}

/// The declarations of a module: a file of definitions with no contract, such as
/// `stdlib/calendar.pay`. Modules have no IR of their own; these are their checked items.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The file's name, for the title.
    pub name: String,
    pub enums: Vec<ir::Enum>,
    pub events: Vec<ir::Event>,
    pub definitions: Vec<ir::Definition>,
}

/// The whole contract, as a document.
pub fn contract(contract: &ir::Contract) -> Document {
    contract::document(contract)
}

/// One outcome or cohort outcome of the contract, as a document, followed by the contract's
/// terms that bind every payment (caps, rounding, claims): a validator reading one outcome
/// must see those too. `None` if there is no such outcome.
pub fn outcome(contract: &ir::Contract, outcome: &str) -> Option<Document> {
    let mut doc = outcome_alone(contract, outcome)?;
    contract::terms(
        &contract::context(contract),
        contract,
        "Terms of the contract that apply to it",
        &mut doc,
    );
    Some(doc)
}

/// One outcome alone, without the contract's terms.
fn outcome_alone(contract: &ir::Contract, outcome: &str) -> Option<Document> {
    let cx = contract::context(contract);
    let mut doc = Document::new(contract.name.clone());
    if let Some(o) = contract.outcomes.iter().find(|o| o.name == outcome) {
        contract::outcome(&cx, contract, o, &mut doc);
    } else if let Some(o) = contract.cohort_outcomes.iter().find(|o| o.name == outcome) {
        contract::cohort_outcome(&cx, contract, o, &mut doc);
    } else {
        return None;
    }
    Some(doc)
}

/// Plain-text English of one outcome (or cohort outcome), headed by its title; `None` if the
/// contract has no outcome of that name. For hovers in the language server.
pub fn outcome_text(contract: &ir::Contract, outcome: &str) -> Option<String> {
    let doc = outcome_alone(contract, outcome)?;
    let mut blocks = doc.blocks.into_iter();
    // The outcome's own heading becomes the title: a hover needs no contract name above it.
    let title = match blocks.next() {
        Some(Block::Heading { text, .. }) => text,
        _ => return None,
    };
    Some(render::text(&Document { title, blocks: blocks.collect() }))
}

/// A module's definitions, documented, in English.
pub fn module(module: &Module) -> Document {
    let cx = phrases::Context {
        currency: "",
        fields: &[],
        events: &module.events,
        enums: &module.enums,
        definitions: &module.definitions,
        outcomes: &[],
        params: &[],
        achievable_end: None,
        noun: "participant",
        record: None,
        records_shown: false,
    };
    let mut doc = Document::new(format!("Module {}", module.name));
    let mut intro =
        "This file is a module: it has no contract of its own, only definitions that contracts can use. \
This is what the payable compiler understood of each."
            .to_string();
    let moves_dates =
        module.definitions.iter().any(|d| d.body.any(&mut |e| matches!(e, ir::Expr::ShiftDate { .. })));
    if moves_dates {
        intro.push_str(
            " Dates move by calendar arithmetic: adding months or years keeps the day of the month, and a day the target \
month does not have becomes its last day (31 January plus 1 month is 28 or 29 February).",
        );
    }
    let path = std::path::Path::new(&module.name);
    let in_stdlib = path.parent().and_then(|p| p.file_name()).is_some_and(|d| d == "stdlib");
    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()).filter(|_| in_stdlib) {
        intro.push_str(&format!(
            " It is part of the standard library: a contract uses it with `use std.{stem}`, and names its definitions `{stem}.NAME`."
        ));
    }
    doc.paragraph(intro);
    if module.definitions.is_empty() && module.enums.is_empty() {
        doc.paragraph("It defines nothing.");
    }
    contract::definitions(&cx, &module.definitions, true, &mut doc);
    doc
}

/// A document in one format.
pub fn render(doc: &Document, format: Format) -> String {
    match format {
        Format::Text => render::text(doc),
        Format::Markdown => render::markdown(doc),
        Format::Html => render::html(doc),
    }
}
