//! The answers: diagnostics, hover, definition, references, completion, outline, formatting
//! and semantic tokens, each from a document and its last analysis.

use super::index::{SymbolId, SymbolKind, is_keyword};
use super::position::LineIndex;
use super::{Analysed, Document};
use crate::diagnostic::{self, Severity};
use crate::fmt::lex::{self, Kind, Lexed, Token};
use crate::ir;
use crate::source::{FileId, SourceMap, Span};
use lsp_types as lsp;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

// ---------------------------------------------------------------- diagnostics

/// A document's diagnostics, each with the file it belongs to.
#[derive(Default)]
pub(super) struct Diagnostics {
    /// The document's own, with a marker at each `use` that brings in a file with errors.
    pub(super) own: Vec<lsp::Diagnostic>,
    /// Those of the files it uses, directly or not, by URI: shown where they are, as a
    /// file that has never been opened still has a place in the editor's problem list.
    pub(super) elsewhere: BTreeMap<String, (lsp::Uri, Vec<lsp::Diagnostic>)>,
}

pub(super) fn diagnostics(document: &Document, analysis: &crate::Analysis) -> Diagnostics {
    let program = &analysis.program;
    let sources = &program.sources;
    let own = sources.find(&document.name);
    let range_in = |span: Span| range(document, sources, span);
    let uri_of = |file: FileId| super::uri_of(&document.uri, &document.name, &sources.get(file).name);
    let mut out = Diagnostics::default();
    let push = |out: &mut Diagnostics, file: Option<FileId>, diagnostic: lsp::Diagnostic| match file
        .filter(|f| Some(*f) != own)
        .and_then(uri_of)
    {
        Some(uri) => {
            let key = uri.as_str().to_string();
            out.elsewhere.entry(key).or_insert_with(|| (uri, Vec::new())).1.push(diagnostic)
        }
        None => out.own.push(diagnostic),
    };
    for d in &analysis.diagnostics {
        let primary = d.primary_span();
        let mut message = d.message.clone();
        let (range, elsewhere) = match primary {
            Some(span) if Some(span.file) == own || uri_of(span.file).is_some() => (range_in(span), None),
            // A file with no URI: shown at the top of this one, pointing there.
            Some(span) => {
                message = format!("in `{}`: {message}", sources.get(span.file).name);
                (lsp::Range::default(), location(document, sources, span))
            }
            None => (lsp::Range::default(), None),
        };
        for note in &d.notes {
            message.push_str(&format!("\nnote: {note}"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let mut related: Vec<lsp::DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .filter_map(|l| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: location(document, sources, l.span)?,
                    message: l.message.clone(),
                })
            })
            .collect();
        if let Some(location) = elsewhere {
            related.insert(0, lsp::DiagnosticRelatedInformation { location, message: d.message.clone() });
        }
        let diagnostic = lsp::Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.code.id.to_string())),
            code_description: reference_url(d.code).map(|href| lsp::CodeDescription { href }),
            source: Some("payable".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        };
        push(&mut out, primary.map(|s| s.file), diagnostic);
    }

    // Like a crate that does not build, a used file with errors is named once where it is
    // used, so that the file being edited says why it cannot be trusted yet.
    let errors: Vec<Span> =
        analysis.diagnostics.iter().filter(|d| d.is_error()).filter_map(|d| d.primary_span()).collect();
    for module in &program.modules {
        let here = &sources.get(module.file).name;
        for item in &module.ast.items {
            let crate::syntax::ast::ItemKind::Use(decl) = &item.kind else { continue };
            let Some(used) = sources.find(&crate::resolve::used_name(here, decl)) else { continue };
            let reached = reachable(program, used);
            let found: Vec<Span> = errors
                .iter()
                .copied()
                .filter(|s| s.file != module.file && reached.contains(&s.file))
                .collect();
            if found.is_empty() {
                continue;
            }
            let name = match decl {
                crate::syntax::ast::Use::Std { module, .. } => format!("std.{}", module.name),
                crate::syntax::ast::Use::File { path, .. } => path.clone(),
            };
            let count = match found.len() {
                1 => "1 error".to_string(),
                n => format!("{n} errors"),
            };
            let message = if found.iter().all(|s| s.file == used) {
                format!("`{name}` has {count}")
            } else {
                format!("`{name}` and the files it uses have {count}")
            };
            let related: Vec<lsp::DiagnosticRelatedInformation> = found
                .iter()
                .filter_map(|s| {
                    Some(lsp::DiagnosticRelatedInformation {
                        location: location(document, sources, *s)?,
                        message: "error here".to_string(),
                    })
                })
                .collect();
            let marker = lsp::Diagnostic {
                range: range_in(item.span),
                severity: Some(lsp::DiagnosticSeverity::ERROR),
                source: Some("payable".to_string()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..lsp::Diagnostic::default()
            };
            push(&mut out, Some(module.file), marker);
        }
    }
    out
}

/// The files of the module holding `file` and of every module it uses, directly or not.
fn reachable(program: &crate::resolve::Program, file: FileId) -> BTreeSet<FileId> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = program.modules.iter().position(|m| m.file == file).into_iter().collect();
    while let Some(m) = stack.pop() {
        if seen.insert(program.modules[m].file) {
            stack.extend(program.modules[m].imports.values().copied());
        }
    }
    seen
}

/// The language reference, for the anchors of its code headings.
const REFERENCE: &str = include_str!("../../docs/reference.md");

/// Where a code is documented: its heading in `docs/reference.md`, on the package's
/// repository when Cargo.toml names one, else in the source tree payable was built from.
pub(crate) fn reference_url(code: diagnostic::Code) -> Option<lsp::Uri> {
    let heading = REFERENCE.lines().find(|l| {
        l.strip_prefix("### ")
            .is_some_and(|h| h.strip_prefix(code.id).is_some_and(|rest| rest.starts_with(':')))
    })?;
    let anchor = slug(&heading[4..]);
    let repository = env!("CARGO_PKG_REPOSITORY");
    let base = if repository.is_empty() {
        super::file_uri(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md"))?
            .as_str()
            .to_string()
    } else {
        format!("{}/blob/main/docs/reference.md", repository.trim_end_matches('/'))
    };
    lsp::Uri::from_str(&format!("{base}#{anchor}")).ok()
}

/// A heading's anchor as Markdown renderers make it: lower case, punctuation dropped,
/// spaces to hyphens (`E0014: missing case in \`pays by\`` → `e0014-missing-case-in-pays-by`).
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- hover

/// The symbol under a byte offset of the document, and the word that names it there.
fn symbol_at(document: &Document, analysed: &Analysed, offset: usize) -> Option<(SymbolId, Token)> {
    let program = &analysed.analysis.program;
    let file = program.sources.find(&document.name)?;
    let (i, token) = analysed.index().word_at(file, offset)?;
    Some((analysed.index().resolve(program, file, i)?, token))
}

pub(super) fn hover(document: &Document, analysed: &Analysed, offset: usize) -> Option<lsp::Hover> {
    let program = &analysed.analysis.program;
    let (id, token) = symbol_at(document, analysed, offset)?;
    let symbol = analysed.index().symbol(id);
    let ir = analysed.analysis.ir.as_ref();
    let prefix = &program.modules[symbol.module].prefix;
    let mut parts: Vec<String> = Vec::new();
    let owner = symbol.owner.as_deref().unwrap_or_default();
    let heading = match symbol.kind {
        SymbolKind::Outcome => format!("outcome {}", symbol.name),
        SymbolKind::Cohort => format!("cohort outcome {}", symbol.name),
        SymbolKind::Event => format!("event {}", symbol.name),
        SymbolKind::Participant => "participant".to_string(),
        SymbolKind::Enum => format!("enum {}", symbol.name),
        SymbolKind::Bands => format!("bands {}", symbol.name),
        SymbolKind::Unit => format!("unit {}", symbol.name),
        SymbolKind::Case => format!("{owner}.{}", symbol.name),
        SymbolKind::Field => {
            format!("{owner}.{}: {}", symbol.name, symbol.written_type.as_deref().unwrap_or("?"))
        }
        SymbolKind::Param => format!("{}: {}", symbol.name, symbol.written_type.as_deref().unwrap_or("?")),
        SymbolKind::Let => {
            let definition =
                analysed.analysis.definitions.iter().find(|d| d.name == format!("{prefix}{}", symbol.name));
            match (definition, &symbol.written_type) {
                (Some(d), _) => format!("let {}: {}", symbol.name, type_text(&d.ty)),
                (None, Some(written)) => format!("let {}: {written}", symbol.name),
                (None, None) => format!("let {}", symbol.name),
            }
        }
    };
    parts.push(format!("```pay\n{heading}\n```"));
    match symbol.kind {
        SymbolKind::Field => {
            let field = ir.and_then(|c| field_of(c, owner, &symbol.name));
            if let Some(f) = field {
                let mut line = format!("Type: {}.", type_text(&f.ty));
                if let Some(unit) = &f.input_unit {
                    line.push_str(&format!(" Given in {unit}; multiplied by {} when read.", f.input_factor));
                }
                parts.push(line);
            }
        }
        SymbolKind::Outcome | SymbolKind::Cohort => {
            // In plain English, as `payable explain` words it.
            let meaning =
                ir.and_then(|c| crate::explain::outcome_text(c, &format!("{prefix}{}", symbol.name)));
            if let Some(meaning) = meaning {
                parts.push(meaning);
            } else if ir.is_none() {
                parts.push("_Its meaning is shown once the contract has no errors._".to_string());
            }
        }
        SymbolKind::Enum | SymbolKind::Bands => {
            let cases: Vec<String> = analysed
                .index()
                .symbols
                .iter()
                .filter(|s| s.kind == SymbolKind::Case && s.owner.as_deref() == Some(symbol.name.as_str()))
                .map(|s| format!("`{}`", s.name))
                .collect();
            parts.push(format!("Cases: {}.", cases.join(", ")));
        }
        _ => {}
    }
    let docs: Vec<&str> = symbol.docs.iter().map(|d| d.trim()).collect();
    if !docs.is_empty() {
        parts.push(docs.join("\n"));
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: parts.join("\n\n"),
        }),
        range: Some(document.lines.range(&document.text, token.start as usize, token.end as usize)),
    })
}

fn field_of<'c>(contract: &'c ir::Contract, owner: &str, name: &str) -> Option<&'c ir::Field> {
    let fields = if owner == "participant" {
        &contract.participant.fields
    } else {
        &contract.events.iter().find(|e| e.name == owner)?.fields
    };
    fields.iter().find(|f| f.name == name)
}

/// A type in the words of the reference.
fn type_text(ty: &ir::Type) -> String {
    match ty {
        ir::Type::Bool => "yes or no".to_string(),
        ir::Type::Int => "a whole number".to_string(),
        ir::Type::Bounded { min, max } => format!("a whole number from {min} to {max}"),
        ir::Type::Decimal => "a number".to_string(),
        ir::Type::Text => "text".to_string(),
        ir::Type::Date => "a date".to_string(),
        ir::Type::Percent => "a percentage".to_string(),
        ir::Type::Quantity { unit } => format!("a quantity in {unit}"),
        ir::Type::Enum { name } => format!("one of `{name}`"),
        ir::Type::Optional { of } => format!("{}, or missing", type_text(of)),
    }
}

// ---------------------------------------------------------------- definition and references

/// A span's range: by the document's line index when the span is in the document's text,
/// else by one made for the text it is in.
fn range(document: &Document, sources: &SourceMap, span: Span) -> lsp::Range {
    let file = sources.get(span.file);
    let (start, end) = (span.start as usize, span.end as usize);
    if file.name == document.name && file.text == document.text {
        document.lines.range(&file.text, start, end)
    } else {
        LineIndex::new(&file.text).range(&file.text, start, end)
    }
}

fn location(document: &Document, sources: &SourceMap, span: Span) -> Option<lsp::Location> {
    let uri = super::uri_of(&document.uri, &document.name, &sources.get(span.file).name)?;
    Some(lsp::Location { uri, range: range(document, sources, span) })
}

pub(super) fn definition(document: &Document, analysed: &Analysed, offset: usize) -> Option<lsp::Location> {
    let (id, _) = symbol_at(document, analysed, offset)?;
    location(document, &analysed.analysis.program.sources, analysed.index().symbol(id).name_span)
}

pub(super) fn references(
    document: &Document,
    analysed: &Analysed,
    offset: usize,
    include_declaration: bool,
) -> Vec<lsp::Location> {
    let Some((id, _)) = symbol_at(document, analysed, offset) else { return Vec::new() };
    let program = &analysed.analysis.program;
    let declaration = analysed.index().symbol(id).name_span;
    analysed
        .index()
        .references(program, id)
        .into_iter()
        .filter(|s| include_declaration || *s != declaration)
        .filter_map(|s| location(document, &program.sources, s))
        .collect()
}

// ---------------------------------------------------------------- completion

pub(super) fn completion(document: &Document, offset: usize) -> Vec<lsp::CompletionItem> {
    let Some(analysed) = &document.analysis else { return Vec::new() };
    let index = analysed.index();
    let before = &document.text[..offset.min(document.text.len())];
    let word_start = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    let item = |id: SymbolId| {
        let s = index.symbol(id);
        let (kind, detail) = match s.kind {
            SymbolKind::Outcome => (lsp::CompletionItemKind::FUNCTION, "outcome".to_string()),
            SymbolKind::Cohort => (lsp::CompletionItemKind::FUNCTION, "cohort outcome".to_string()),
            SymbolKind::Event => (lsp::CompletionItemKind::STRUCT, "event".to_string()),
            SymbolKind::Participant => (lsp::CompletionItemKind::STRUCT, "participant".to_string()),
            SymbolKind::Field => (lsp::CompletionItemKind::FIELD, s.written_type.clone().unwrap_or_default()),
            SymbolKind::Enum | SymbolKind::Bands => (lsp::CompletionItemKind::ENUM, "enum".to_string()),
            SymbolKind::Case => (lsp::CompletionItemKind::ENUM_MEMBER, s.owner.clone().unwrap_or_default()),
            SymbolKind::Let => (lsp::CompletionItemKind::VARIABLE, "definition".to_string()),
            SymbolKind::Param => (lsp::CompletionItemKind::VARIABLE, "parameter".to_string()),
            SymbolKind::Unit => (lsp::CompletionItemKind::UNIT, "unit".to_string()),
        };
        lsp::CompletionItem {
            label: s.name.clone(),
            kind: Some(kind),
            detail: Some(detail),
            documentation: (!s.docs.is_empty()).then(|| lsp::Documentation::String(s.docs.join("\n"))),
            ..lsp::CompletionItem::default()
        }
    };
    if let Some(qualifier) = before[..word_start].strip_suffix('.') {
        let start = qualifier.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
        let members = index.members(0, &qualifier[start..]);
        return members.into_iter().map(item).collect();
    }
    let mut items: Vec<lsp::CompletionItem> = lex::keywords()
        .map(|k| lsp::CompletionItem {
            label: k.to_string(),
            kind: Some(lsp::CompletionItemKind::KEYWORD),
            ..lsp::CompletionItem::default()
        })
        .collect();
    items.extend(
        (0..index.symbols.len())
            .filter(|&id| {
                let s = index.symbol(id);
                s.module == 0
                    && !matches!(s.kind, SymbolKind::Field | SymbolKind::Param | SymbolKind::Participant)
            })
            .map(item),
    );
    items.extend(index.import_names(0).map(|name| lsp::CompletionItem {
        label: name.to_string(),
        kind: Some(lsp::CompletionItemKind::MODULE),
        ..lsp::CompletionItem::default()
    }));
    items
}

// ---------------------------------------------------------------- outline

pub(super) fn outline(document: &Document) -> Vec<lsp::DocumentSymbol> {
    let Some(analysed) = &document.analysis else { return Vec::new() };
    let program = &analysed.analysis.program;
    let Some(file) = program.sources.find(&document.name) else { return Vec::new() };
    let range = |span: Span| document.lines.range(&document.text, span.start as usize, span.end as usize);
    let symbols = &analysed.index().symbols;
    let top = |s: &super::index::Symbol| {
        s.module == 0
            && s.span.file == file
            && !matches!(s.kind, SymbolKind::Field | SymbolKind::Case | SymbolKind::Param)
    };
    symbols
        .iter()
        .filter(|s| top(s))
        .map(|s| {
            let children: Vec<lsp::DocumentSymbol> = symbols
                .iter()
                .filter(|c| {
                    matches!(c.kind, SymbolKind::Field | SymbolKind::Case)
                        && c.module == 0
                        && c.owner.as_deref() == Some(s.name.as_str())
                })
                .map(|c| {
                    document_symbol(c.name.clone(), kind_of(c.kind), range(c.span), range(c.name_span), None)
                })
                .collect();
            document_symbol(
                s.name.clone(),
                kind_of(s.kind),
                range(s.span),
                range(s.name_span),
                (!children.is_empty()).then_some(children),
            )
        })
        .collect()
}

#[allow(deprecated)] // `deprecated` is a required field of the struct, deprecated by the protocol.
fn document_symbol(
    name: String,
    kind: lsp::SymbolKind,
    range: lsp::Range,
    selection_range: lsp::Range,
    children: Option<Vec<lsp::DocumentSymbol>>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name,
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}

fn kind_of(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Outcome | SymbolKind::Cohort => lsp::SymbolKind::FUNCTION,
        SymbolKind::Event | SymbolKind::Participant => lsp::SymbolKind::STRUCT,
        SymbolKind::Field => lsp::SymbolKind::FIELD,
        SymbolKind::Enum | SymbolKind::Bands => lsp::SymbolKind::ENUM,
        SymbolKind::Case => lsp::SymbolKind::ENUM_MEMBER,
        SymbolKind::Let | SymbolKind::Param => lsp::SymbolKind::VARIABLE,
        SymbolKind::Unit => lsp::SymbolKind::CONSTANT,
    }
}

// ---------------------------------------------------------------- formatting

/// The `payable fmt` layout as one edit covering only what changed; no edits for a file
/// that does not parse (its diagnostics say why).
pub(super) fn formatting(document: &Document) -> Option<Vec<lsp::TextEdit>> {
    let text = &document.text;
    let formatted = crate::fmt::format(text).ok()?;
    if &formatted == text {
        return Some(Vec::new());
    }
    let mut start = text.bytes().zip(formatted.bytes()).take_while(|(a, b)| a == b).count();
    while !text.is_char_boundary(start) || !formatted.is_char_boundary(start) {
        start -= 1;
    }
    let longest = (text.len() - start).min(formatted.len() - start);
    let mut common =
        text.bytes().rev().zip(formatted.bytes().rev()).take(longest).take_while(|(a, b)| a == b).count();
    while !text.is_char_boundary(text.len() - common) || !formatted.is_char_boundary(formatted.len() - common)
    {
        common -= 1;
    }
    Some(vec![lsp::TextEdit {
        range: document.lines.range(text, start, text.len() - common),
        new_text: formatted[start..formatted.len() - common].to_string(),
    }])
}

// ---------------------------------------------------------------- semantic tokens

const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::STRUCT,
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::ENUM,
    lsp::SemanticTokenType::ENUM_MEMBER,
    lsp::SemanticTokenType::VARIABLE,
    lsp::SemanticTokenType::PARAMETER,
    lsp::SemanticTokenType::TYPE,
    lsp::SemanticTokenType::NAMESPACE,
];

const DECLARATION: u32 = 1;

pub(super) fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TOKEN_TYPES.to_vec(),
        token_modifiers: vec![
            lsp::SemanticTokenModifier::DECLARATION,
            lsp::SemanticTokenModifier::DOCUMENTATION,
        ],
    }
}

fn token_type(t: lsp::SemanticTokenType) -> u32 {
    TOKEN_TYPES.iter().position(|x| *x == t).unwrap_or(0) as u32
}

pub(super) fn semantic_tokens(document: &Document) -> lsp::SemanticTokens {
    let text = &document.text;
    let lexed = Lexed::new(text);
    let analysed = document.analysis.as_ref();
    // Words are resolved only by an analysis of this very text, whose token indices agree.
    let current = analysed.and_then(|a| {
        let sources = &a.analysis.program.sources;
        let file = sources.find(&document.name)?;
        (sources.get(file).text == *text).then_some((a, file))
    });
    // (start, end, type, modifiers), in order.
    let mut spans: Vec<(u32, u32, u32, u32)> = Vec::new();
    for (i, t) in lexed.tokens.iter().enumerate() {
        let word = &text[t.start as usize..t.end as usize];
        let classified = match t.kind {
            Kind::Number | Kind::Date => Some((lsp::SemanticTokenType::NUMBER, 0)),
            Kind::Text => Some((lsp::SemanticTokenType::STRING, 0)),
            Kind::Punct => None,
            Kind::Word => {
                let resolved = current.and_then(|(a, file)| {
                    let id = a.index().resolve(&a.analysis.program, file, i)?;
                    Some((a.index().symbol(id), file))
                });
                match resolved {
                    Some((s, file)) => {
                        let kind = match s.kind {
                            SymbolKind::Outcome | SymbolKind::Cohort => lsp::SemanticTokenType::FUNCTION,
                            SymbolKind::Event | SymbolKind::Participant => lsp::SemanticTokenType::STRUCT,
                            SymbolKind::Field => lsp::SemanticTokenType::PROPERTY,
                            SymbolKind::Enum | SymbolKind::Bands => lsp::SemanticTokenType::ENUM,
                            SymbolKind::Case => lsp::SemanticTokenType::ENUM_MEMBER,
                            SymbolKind::Let => lsp::SemanticTokenType::VARIABLE,
                            SymbolKind::Param => lsp::SemanticTokenType::PARAMETER,
                            SymbolKind::Unit => lsp::SemanticTokenType::TYPE,
                        };
                        let declaration = s.name_span.file == file && s.name_span.start == t.start;
                        Some((kind, if declaration { DECLARATION } else { 0 }))
                    }
                    None if is_keyword(word) => Some((lsp::SemanticTokenType::KEYWORD, 0)),
                    None if analysed.is_some_and(|a| a.index().import_names(0).any(|n| n == word)) => {
                        Some((lsp::SemanticTokenType::NAMESPACE, 0))
                    }
                    None => None,
                }
            }
        };
        if let Some((kind, modifiers)) = classified {
            spans.push((t.start, t.end, token_type(kind), modifiers));
        }
    }
    let comment = token_type(lsp::SemanticTokenType::COMMENT);
    spans.extend(lexed.comments.iter().map(|c| (c.start, c.end, comment, 0)));
    spans.extend(lexed.docs.iter().map(|c| (c.start, c.end, comment, 2)));
    spans.sort();
    let mut data = Vec::with_capacity(spans.len());
    let (mut line, mut column) = (0, 0);
    for (start, end, kind, modifiers) in spans {
        let from = document.lines.position(text, start as usize);
        let to = document.lines.position(text, end as usize);
        if to.line != from.line {
            continue; // tokens never span lines; a text without its closing quote may
        }
        let delta_line = from.line - line;
        let delta_start = if delta_line == 0 { from.character - column } else { from.character };
        data.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: to.character - from.character,
            token_type: kind,
            token_modifiers_bitset: modifiers,
        });
        (line, column) = (from.line, from.character);
    }
    lsp::SemanticTokens { result_id: None, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_link_to_their_heading_in_the_reference() {
        let url = reference_url(diagnostic::E_NON_EXHAUSTIVE).unwrap();
        assert!(
            url.as_str().ends_with("docs/reference.md#e0014-missing-case-in-pays-by"),
            "{}",
            url.as_str()
        );
        assert!(reference_url(crate::lint::CODES[0]).is_some());
    }
}
