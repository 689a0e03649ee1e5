//! `payable fmt`: the one canonical layout of a `.pay` file.
//!
//! [`format`] parses the file, prints its syntax tree in the canonical layout, puts every
//! comment back, and then checks its own work: the output must parse to the same tree (spans
//! aside) with the same comments, or the file is reported and left as it is. The output is a
//! fixed point: formatting it again changes nothing.
//!
//! # The layout
//!
//! - Two spaces of indentation per level; no tabs; no trailing spaces; the file ends with one
//!   newline. Lines are kept within 100 columns where a break is allowed (comments may run
//!   past).
//! - One item, clause, field, contract entry, band, test entry per line, in the order written
//!   (clause order is never changed). `{` ends the header line; `}` is alone on its line.
//! - Blank lines between items and between statements are kept, at most one; none after `{`
//!   or before `}`; none added. Doc comments and `allow(...)` lines sit directly above what
//!   they document.
//! - Spacing is normalised: one space between words, around binary operators and after `:` and
//!   `,`; none inside brackets or before `:` and `,`.
//! - Numbers, dates, units and text are kept exactly as written (`1_500_000` stays, `1500000`
//!   stays): a lawyer copies them from a schedule. So are singular or plural period words
//!   (`1 calendar month`), `after achievement`, and brackets the author wrote; brackets that
//!   the grammar needs are added.
//! - `{ a, b }` lists (`pays by` cases, `tiers`, enum cases, test records) stay on one line if
//!   it fits; otherwise one entry per line, each with a trailing comma. An enum whose cases
//!   have doc comments is always one case per line. Bands are always one per line, without
//!   commas.
//! - A condition too long for its line is broken before each of its parts: `in at least ...`,
//!   `for ...`, the window (`within`, `between`, `after`), `counting ...`, `excluding ...`, one
//!   per line, indented two more than the clause. Conditions joined by `and` / `or` put each
//!   operand on a line starting with the word, indented two more than the clause; the parts
//!   of a broken operand four more.
//! - An expression too long for its line is broken before its top-level operators (`and`,
//!   `or`, comparisons, `+`, `??`...), each continuation indented two more; an aggregate
//!   before `where` and before its window. An `if` that does not fit goes on lines of its
//!   own: `if C then A`, `else if ...`, `else B`. A call whose arguments do not fit puts
//!   each argument on a line of its own, indented two more, and `)` on the next line, so
//!   that no argument is split while the list could be.
//! - A comparison with the control group that does not fit puts `significant at ...` on the
//!   next line, then `is at least ...` too if need be.
//!
//! The printer is a Wadler-style pretty printer ([`doc`]): a group is laid out flat if it fits
//! and otherwise broken at each of its own breaks, outer groups first.
//!
//! # Comments
//!
//! The parser drops `//` comments, so they are found again in the source text and placed by
//! position. A comment on a line of its own goes before the first output line that holds code
//! written after it, at that line's indentation (inside a block before its `}`, at the
//! block's). A comment after code goes at the end of the output line holding the code before
//! it; when two would land on one line, the second moves to a line of its own below. An
//! end-of-line comment keeps the column it was written at (so comments aligned by hand stay
//! aligned), moved right if need be to stand at least two spaces after the code. Where the
//! layout may break a line, a comment there forces the break, so it keeps its place between
//! the same two pieces of code (and the choice is the same when the output is formatted
//! again); where no break is allowed, it goes to the end of the line, or above it.

mod doc;
pub(crate) mod lex;
mod print;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax;
use doc::OutLine;
use lex::{Comment, Lexed};

/// The canonical layout of `text`, or the syntax errors that stop it being formatted (the
/// file must not be rewritten then).
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let file = FileId(0);
    let (module, diagnostics) = syntax::parse(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let lexed = Lexed::new(text);
    let lines = if module.items.is_empty() {
        Vec::new()
    } else {
        let mut printer = print::Printer::new(&lexed);
        let mut document = printer.module(&module);
        doc::mark_forced(&mut document, &lexed.comments);
        doc::render(&document)
    };
    let out = place_comments(&lexed, lines);
    check_unchanged(&module, &lexed, &out).map_err(|what| {
        vec![Diagnostic::bug(
            format!("`payable fmt` would have {what}; the file was left as it is"),
            Span::new(file, 0, 0),
        )]
    })?;
    Ok(out)
}

/// The `Debug` text of a syntax tree without its spans (`0:12..40`), for comparing the
/// meaning of two layouts of one file.
pub fn without_spans(debug: &str) -> String {
    let b = debug.as_bytes();
    let mut out = String::with_capacity(debug.len());
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = span_at(b, i) {
            i = end;
            continue;
        }
        let ch = debug[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The end of a `digits:digits..digits` span starting at `i`, if one does.
fn span_at(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && b[i - 1].is_ascii_digit() {
        return None;
    }
    let digits = |mut j: usize| {
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        (j > start).then_some(j)
    };
    let j = digits(i)?;
    if b.get(j) != Some(&b':') {
        return None;
    }
    let j = digits(j + 1)?;
    if b.get(j..j + 2) != Some(b"..") {
        return None;
    }
    digits(j + 2)
}

fn check_unchanged(module: &syntax::ast::Module, lexed: &Lexed, out: &str) -> Result<(), String> {
    let (again, diagnostics) = syntax::parse(FileId(0), out);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err("written a file that does not parse".to_string());
    }
    if without_spans(&format!("{:?}", module.items)) != without_spans(&format!("{:?}", again.items)) {
        return Err("changed the meaning of the file".to_string());
    }
    let relexed = Lexed::new(out);
    let texts = |comments: &[Comment]| {
        let mut t: Vec<String> = comments.iter().map(|c| c.text.clone()).collect();
        t.sort();
        t
    };
    if texts(&lexed.comments) != texts(&relexed.comments) || texts(&lexed.docs) != texts(&relexed.docs) {
        return Err("lost or changed a comment".to_string());
    }
    Ok(())
}

/// One line of the final output.
struct Row {
    blank_before: bool,
    indent: usize,
    code: String,
    /// An end-of-line comment, and the column it was written at.
    comment: Option<(String, usize)>,
}

/// Puts every `//` comment back among the laid-out lines, and keeps blank lines (at most one)
/// where the source had them.
fn place_comments(lexed: &Lexed, lines: Vec<OutLine>) -> String {
    let n = lines.len();
    let mut leading: Vec<Vec<&Comment>> = vec![Vec::new(); n];
    let mut trailing: Vec<Option<&Comment>> = vec![None; n];
    let mut at_end: Vec<&Comment> = Vec::new();
    for c in &lexed.comments {
        if c.own_line {
            match lines.iter().position(|l| l.source.is_some_and(|(_, end)| end > c.start)) {
                Some(i) => leading[i].push(c),
                None => at_end.push(c),
            }
        } else {
            match lines.iter().rposition(|l| l.source.is_some_and(|(start, _)| start < c.start)) {
                Some(i) if trailing[i].is_none() => trailing[i] = Some(c),
                Some(i) if i + 1 < n => leading[i + 1].push(c),
                Some(_) => at_end.push(c),
                None if n > 0 => leading[0].push(c),
                None => at_end.push(c),
            }
        }
    }

    let mut rows: Vec<Row> = Vec::new();
    let mut last_end: Option<u32> = None;
    let mut after_opener = false;
    let blank = |last_end: Option<u32>, start: u32, after_opener: bool| {
        !after_opener && last_end.is_some_and(|end| lexed.blank_between(end, start))
    };
    for (i, line) in lines.iter().enumerate() {
        let closer = line.text.starts_with('}');
        for c in &leading[i] {
            rows.push(Row {
                blank_before: blank(last_end, c.start, after_opener),
                indent: line.indent + if closer { 2 } else { 0 },
                code: c.text.clone(),
                comment: None,
            });
            last_end = Some(c.end);
            after_opener = false;
        }
        let blank_before = (line.stmt || i == 0)
            && !closer
            && line.source.is_some_and(|(start, _)| blank(last_end, start, after_opener));
        rows.push(Row {
            blank_before,
            indent: line.indent,
            code: line.text.clone(),
            comment: trailing[i].map(|c| (c.text.clone(), c.column)),
        });
        if let Some((_, end)) = line.source {
            last_end = Some(last_end.map_or(end, |e| e.max(end)));
        }
        if let Some(c) = trailing[i] {
            last_end = Some(last_end.map_or(c.end, |e| e.max(c.end)));
        }
        after_opener = line.text.ends_with('{');
    }
    for c in at_end {
        rows.push(Row {
            blank_before: blank(last_end, c.start, after_opener),
            indent: 0,
            code: c.text.clone(),
            comment: None,
        });
        last_end = Some(c.end);
        after_opener = false;
    }

    let mut out = String::new();
    for row in &rows {
        if row.blank_before && !out.is_empty() {
            out.push('\n');
        }
        let mut line = format!("{}{}", " ".repeat(row.indent), row.code);
        if let Some((comment, column)) = &row.comment {
            let width = line.chars().count();
            line.push_str(&" ".repeat(column.saturating_sub(width).max(2)));
            line.push_str(comment);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
