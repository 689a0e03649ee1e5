//! Parsing: source text to the untyped syntax tree ([`ast::Module`]).
//!
//! pest is confined to this module: the grammar binding, one converter per rule, and the
//! translation of pest's errors into words a contract lawyer would use. Parsing never fails
//! outright: a file with errors yields the items that did parse, plus one diagnostic per
//! broken item, so the checker and the language server still see the rest of the file.

pub mod ast;
mod convert;
mod expected;

use crate::diagnostic::{Diagnostic, E_SYNTAX};
use crate::source::{FileId, Span};
use pest::Parser;
use std::collections::BTreeMap;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/payable.pest"]
struct PayableParser;

/// Parses one file. Always returns a module (possibly partial) and the syntax errors found.
pub fn parse(file: FileId, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    match parse_file(text, false) {
        Ok(mut pairs) => {
            let file_pair = pairs.next().expect("the file rule always produces one pair");
            convert::module(file, file_pair, 0)
        }
        Err(_) => parse_item_by_item(file, text),
    }
}

/// The parses of one file's items, by where each starts and its text, kept from one version
/// of the file to the next.
#[derive(Default)]
pub struct ParseCache {
    items: BTreeMap<(FileId, usize, String), Piece>,
}

/// What one piece of a file parsed to: its items, or the diagnostic and what can be read of
/// an item that did not parse.
#[derive(Clone)]
struct Piece {
    items: Vec<ast::Item>,
    diagnostics: Vec<Diagnostic>,
    broken: Option<ast::BrokenItem>,
}

/// [`parse`], item by item, reusing from `cache` each item whose text and position have not
/// changed: a keystroke re-parses its own item and the items after it, whose spans moved.
/// The result is [`parse`]'s: if an item does not parse alone but the whole file does, the
/// whole file's parse.
pub fn parse_cached(file: FileId, text: &str, cache: &mut ParseCache) -> (ast::Module, Vec<Diagnostic>) {
    let mut kept = BTreeMap::new();
    let mut module = ast::Module::default();
    let mut diagnostics = Vec::new();
    let mut whole_file_fails = false;
    for (start, end) in pieces(text) {
        let key = (file, start, text[start..end].to_string());
        let piece = cache.items.remove(&key).unwrap_or_else(|| parse_piece(file, text, start, end));
        // A broken piece, new or from the cache: the whole file may parse (now that others
        // changed, or because the piece is not a whole item).
        if piece.broken.is_some() && !whole_file_fails {
            if parse_file(text, false).is_ok() {
                return parse(file, text);
            }
            whole_file_fails = true;
        }
        module.items.extend(piece.items.iter().cloned());
        module.broken.extend(piece.broken.iter().cloned());
        diagnostics.extend(piece.diagnostics.iter().cloned());
        kept.insert(key, piece);
    }
    cache.items = kept;
    (module, diagnostics)
}

/// Parses a whole file, recording what was tried at each position (`detail`) or not.
/// pest keeps that choice in a global flag, read when a parse starts: the lock makes each
/// parse see its own choice when several threads parse at once.
fn parse_file(
    text: &str,
    detail: bool,
) -> Result<pest::iterators::Pairs<'_, Rule>, pest::error::Error<Rule>> {
    static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = DETAIL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(detail);
    PayableParser::parse(Rule::file, text)
}

/// Recovery: cut the file at the start of each top-level item (a keyword at the start of a
/// line) and parse each piece alone, so one broken item costs one diagnostic, not the file.
fn parse_item_by_item(file: FileId, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    let mut module = ast::Module::default();
    let mut diagnostics = Vec::new();
    for (start, end) in pieces(text) {
        let piece = parse_piece(file, text, start, end);
        module.items.extend(piece.items);
        module.broken.extend(piece.broken);
        diagnostics.extend(piece.diagnostics);
    }
    (module, diagnostics)
}

/// The pieces recovery parses alone: from each item start to the next.
fn pieces(text: &str) -> impl Iterator<Item = (usize, usize)> {
    let starts = item_starts(text);
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    starts.into_iter().zip(ends)
}

/// Parses the piece of `text` from `start` to `end` alone.
fn parse_piece(file: FileId, text: &str, start: usize, end: usize) -> Piece {
    let piece = &text[start..end];
    match parse_file(piece, false) {
        Ok(mut pairs) => {
            let pair = pairs.next().expect("the file rule always produces one pair");
            let (part, diagnostics) = convert::module(file, pair, start);
            Piece { items: part.items, diagnostics, broken: None }
        }
        Err(quick) => {
            // The words of the message come from what pest tried, which it records only
            // when asked: worth its cost (half the parse) only for the piece that failed.
            let error = parse_file(piece, true).err().unwrap_or(quick);
            Piece {
                items: Vec::new(),
                diagnostics: vec![syntax_error(file, text, start, &error)],
                broken: Some(broken_item(piece)),
            }
        }
    }
}

/// The keyword and name of an item that failed to parse: `event employment {` gives
/// (`event`, `employment`); `cohort outcome half {` gives (`cohort`, `half`).
fn broken_item(piece: &str) -> ast::BrokenItem {
    let code =
        piece.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//")).unwrap_or("");
    let mut words = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && *w != "activity");
    let keyword = words.next().unwrap_or("").to_string();
    if keyword == "cohort" {
        words.next();
    }
    let named =
        matches!(keyword.as_str(), "event" | "let" | "enum" | "bands" | "unit" | "cohort" | "outcome");
    let name = if named { words.next().map(str::to_string) } else { None };
    ast::BrokenItem { keyword, name }
}

pub(crate) const ITEM_KEYWORDS: &[&str] = &[
    "use",
    "contract",
    "enum",
    "unit",
    "bands",
    "participant",
    "event",
    "activity",
    "let",
    "outcome",
    "cohort",
    "pay",
    "test",
];

/// Byte offsets where a top-level item may start: the first line, and every line that starts
/// (in column one) with an item keyword or a doc comment preceding one.
fn item_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut offset = 0;
    let mut pending_docs: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let first_word: String =
            line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if line.starts_with("///") || line.starts_with("allow(") {
            pending_docs.get_or_insert(offset);
        } else if ITEM_KEYWORDS.contains(&first_word.as_str()) {
            let start = pending_docs.take().unwrap_or(offset);
            if start != 0 {
                starts.push(start);
            }
        } else if !line.trim().is_empty() {
            pending_docs = None;
        }
        offset += line.len();
    }
    starts
}

fn syntax_error(file: FileId, text: &str, base: usize, error: &pest::error::Error<Rule>) -> Diagnostic {
    let position = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // pest places the error where the last rule failed; a literal token such as `:` may have
    // been expected further on, and then that is where the mistake is.
    let token_position = error.parse_attempts().map_or(0, |a| a.max_position);
    let skip_space = |at: usize| {
        let rest = &text[at.min(text.len())..];
        at + (rest.len() - rest.trim_start().len())
    };
    let further = skip_space(base + token_position);
    let token_expected = (token_position > position && further > skip_space(base + position))
        .then(|| expected::describe(error, previous_word(text, further), true))
        .filter(|words| words != expected::NOTHING_NAMED);
    let (offset, expected) = match token_expected {
        Some(words) => (further, words),
        None => {
            let offset = skip_space(base + position);
            (offset, expected::describe(error, previous_word(text, offset), false))
        }
    };
    let found = found_at(text, offset);
    let span = Span::new(file, offset, offset + found.len().max(if offset < text.len() { 1 } else { 0 }));
    let found_text = if found.is_empty() {
        if offset >= text.len() { "the end of the file".to_string() } else { "this".to_string() }
    } else {
        format!("`{found}`")
    };
    let mut diagnostic = Diagnostic::error(E_SYNTAX, format!("expected {expected}, found {found_text}")).at(
        span,
        if expected.len() > 40 { "not expected here".to_string() } else { format!("expected {expected}") },
    );
    let rest_of_line = text[offset.min(text.len())..].lines().next().unwrap_or("");
    let at_line_start = text[..offset.min(text.len())].rsplit('\n').next().is_some_and(|l| l.is_empty());
    let keywords = expected::expected_keywords(error);
    if let Some(help) = expected::help_for(&found, rest_of_line, at_line_start, &keywords) {
        diagnostic = diagnostic.help(help);
    }
    diagnostic
}

/// The last word before an offset: the context that says what a generic "value" must be
/// (after `within`, a duration; after `after`, a date).
fn previous_word(text: &str, offset: usize) -> &str {
    let before = text[..offset.min(text.len())].trim_end();
    let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    &before[start..]
}

/// The token at an offset, for "found `...`": a word, a number, or one character.
fn found_at(text: &str, offset: usize) -> String {
    let rest = &text[offset.min(text.len())..];
    let mut chars = rest.chars();
    match chars.next() {
        None => String::new(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '-')
            .collect(),
        Some('\n') | Some('\r') => String::new(),
        Some(c) => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_with_a_cache_gives_the_parse_of_the_whole_file_before_and_after_edits() {
        let mut texts: Vec<String> = std::fs::read_dir("examples")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pay"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        texts.push(crate::stdlib::source("calendar").unwrap().to_string());
        assert!(texts.len() > 3);
        let file = FileId(0);
        for text in texts {
            let mut cache = ParseCache::default();
            let edits = [
                text.clone(),
                text.replacen("outcome ", "outcome  ", 1),
                text.replacen("GBP", "GBP +", 1),
                text.replacen("outcome ", "outcome\n", 1),
                text.replacen("pays ", "pays pays ", 1),
                text.replacen("pays ", "pays pays ", 1).replacen("achieved when", "achieved when when", 1),
                text.replacen("achieved when", "achieved when when", 1),
                text.clone(),
            ];
            for edited in edits {
                let (expected, expected_errors) = parse(file, &edited);
                let (got, errors) = parse_cached(file, &edited, &mut cache);
                assert_eq!(format!("{got:?}"), format!("{expected:?}"));
                assert_eq!(errors, expected_errors);
            }
        }
    }

    #[test]
    fn recovery_finds_item_starts_and_keeps_doc_comments_with_their_item() {
        let text = "enum A { x }\n/// doc\noutcome o {\n}\n  let inner = 1\nlet y = 2\n";
        let starts = item_starts(text);
        assert_eq!(starts, vec![0, 13, text.find("let y").unwrap()]);
    }
}
