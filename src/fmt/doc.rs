//! A small Wadler-style document: text, optional line breaks grouped so that a group is laid
//! out on one line when it fits and broken at every one of its own breaks when it does not.
//!
//! Every piece of text may carry the source range it came from, so that each output line
//! knows which part of the source it holds: that is how comments find their place again.

use super::lex::Comment;

/// The longest line the formatter aims for, in characters (comments may run past it).
pub const WIDTH: usize = 100;

#[derive(Debug)]
pub enum Doc {
    /// Text, with the source range it was printed from, if any.
    Text(String, Option<(u32, u32)>),
    /// A space when its group is flat, a new line when it is broken.
    Line,
    /// Nothing when its group is flat, a new line when it is broken (after an opening
    /// bracket, before a closing one).
    SoftLine,
    /// Always a new line.
    Hard,
    /// Always a new line, which starts a statement: a blank line before it in the source is
    /// kept.
    Stmt,
    Nest(usize, Box<Doc>),
    /// Parts laid out flat or broken together; `true` when it must break (it holds a hard
    /// line, or a comment sits at one of its breaks).
    Group(Vec<Doc>, bool),
    /// Text printed only when the enclosing group is broken (a trailing comma).
    IfBroken(&'static str),
    Seq(Vec<Doc>),
}

pub fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into(), None)
}

pub fn group(parts: Vec<Doc>) -> Doc {
    Doc::Group(parts, false)
}

pub fn nest(n: usize, doc: Doc) -> Doc {
    Doc::Nest(n, Box::new(doc))
}

/// One line of output before comments are placed.
#[derive(Debug, Default)]
pub struct OutLine {
    pub indent: usize,
    pub text: String,
    /// The source range of the positioned text on this line.
    pub source: Option<(u32, u32)>,
    /// The line starts a statement (an item, a clause, a field...).
    pub stmt: bool,
}

/// Marks every group that must break: one holding a hard line, or a break with a comment
/// between the source of the text before and after it (broken there, the comment keeps its
/// place, and formatting the output again makes the same choice).
pub fn mark_forced(doc: &mut Doc, comments: &[Comment]) {
    // First pass: the source positions around every break, in document order.
    let mut events = Vec::new();
    collect(doc, &mut events);
    let mut around = Vec::new();
    let mut last_end: Option<u32> = None;
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::Text(_, end) => last_end = Some(*end),
            Event::Break => {
                let next = events[i + 1..].iter().find_map(|e| match e {
                    Event::Text(start, _) => Some(*start),
                    Event::Break => None,
                });
                let commented = match (last_end, next) {
                    (Some(a), Some(b)) => comments.iter().any(|c| c.start >= a && c.start < b),
                    _ => false,
                };
                around.push(commented);
            }
        }
    }
    let mut index = 0;
    mark(doc, &around, &mut index);
}

enum Event {
    Text(u32, u32),
    Break,
}

fn collect(doc: &Doc, events: &mut Vec<Event>) {
    match doc {
        Doc::Text(_, Some((s, e))) => events.push(Event::Text(*s, *e)),
        Doc::Line | Doc::SoftLine => events.push(Event::Break),
        Doc::Nest(_, d) => collect(d, events),
        Doc::Group(parts, _) | Doc::Seq(parts) => parts.iter().for_each(|p| collect(p, events)),
        _ => {}
    }
}

/// Returns whether `doc` forces its enclosing group to break.
fn mark(doc: &mut Doc, around: &[bool], index: &mut usize) -> bool {
    match doc {
        Doc::Line | Doc::SoftLine => {
            let commented = around.get(*index).copied().unwrap_or(false);
            *index += 1;
            commented
        }
        Doc::Hard | Doc::Stmt => true,
        Doc::Nest(_, d) => mark(d, around, index),
        Doc::Seq(parts) => {
            let mut any = false;
            for p in parts.iter_mut() {
                any |= mark(p, around, index);
            }
            any
        }
        Doc::Group(parts, forced) => {
            for p in parts.iter_mut() {
                *forced |= mark(p, around, index);
            }
            *forced
        }
        Doc::Text(..) | Doc::IfBroken(_) => false,
    }
}

#[derive(Clone, Copy)]
struct Cmd<'d> {
    indent: usize,
    flat: bool,
    doc: &'d Doc,
}

/// Lays the document out in lines of at most [`WIDTH`] characters where it can.
pub fn render(doc: &Doc) -> Vec<OutLine> {
    let mut lines = Vec::new();
    let mut line = OutLine::default();
    let mut column = 0usize;
    let mut stack = vec![Cmd { indent: 0, flat: false, doc }];
    while let Some(cmd) = stack.pop() {
        match cmd.doc {
            Doc::Text(s, source) => {
                line.text.push_str(s);
                column += s.chars().count();
                if let Some((a, b)) = source {
                    line.source = Some(match line.source {
                        Some((x, y)) => (x.min(*a), y.max(*b)),
                        None => (*a, *b),
                    });
                }
            }
            Doc::Line if cmd.flat => {
                line.text.push(' ');
                column += 1;
            }
            Doc::SoftLine if cmd.flat => {}
            Doc::Line | Doc::SoftLine | Doc::Hard | Doc::Stmt => {
                let stmt = matches!(cmd.doc, Doc::Stmt);
                let next = OutLine { indent: cmd.indent, stmt, ..OutLine::default() };
                lines.push(std::mem::replace(&mut line, next));
                column = cmd.indent;
            }
            Doc::Nest(n, d) => stack.push(Cmd { indent: cmd.indent + n, flat: cmd.flat, doc: d }),
            Doc::Seq(parts) => {
                for p in parts.iter().rev() {
                    stack.push(Cmd { indent: cmd.indent, flat: cmd.flat, doc: p });
                }
            }
            Doc::Group(parts, forced) => {
                let flat = cmd.flat
                    || (!forced && fits(WIDTH as isize - column as isize, parts, cmd.indent, &stack));
                for p in parts.iter().rev() {
                    stack.push(Cmd { indent: cmd.indent, flat, doc: p });
                }
            }
            Doc::IfBroken(s) => {
                if !cmd.flat {
                    line.text.push_str(s);
                    column += s.chars().count();
                }
            }
        }
    }
    lines.push(line);
    for line in &mut lines {
        let trimmed = line.text.trim_end().len();
        line.text.truncate(trimmed);
    }
    lines
}

/// Whether `parts`, laid out flat, and what follows them up to the next line break, fit in
/// `width` columns.
fn fits(width: isize, parts: &[Doc], indent: usize, rest: &[Cmd]) -> bool {
    let mut width = width;
    let mut stack: Vec<Cmd> = parts.iter().rev().map(|doc| Cmd { indent, flat: true, doc }).collect();
    let mut rest = rest.iter().rev();
    loop {
        let cmd = match stack.pop() {
            Some(c) => c,
            None => match rest.next() {
                Some(c) => *c,
                None => return width >= 0,
            },
        };
        if width < 0 {
            return false;
        }
        match cmd.doc {
            Doc::Text(s, _) => width -= s.chars().count() as isize,
            Doc::Line if cmd.flat => width -= 1,
            Doc::SoftLine if cmd.flat => {}
            Doc::Line | Doc::SoftLine | Doc::Hard | Doc::Stmt => return width >= 0,
            Doc::Nest(_, d) => stack.push(Cmd { doc: d, ..cmd }),
            Doc::Seq(ps) => stack.extend(ps.iter().rev().map(|doc| Cmd { doc, ..cmd })),
            Doc::Group(ps, forced) => {
                let flat = cmd.flat || !forced;
                stack.extend(ps.iter().rev().map(|doc| Cmd { doc, flat, ..cmd }));
            }
            Doc::IfBroken(s) => {
                if !cmd.flat {
                    width -= s.chars().count() as isize;
                }
            }
        }
    }
}
