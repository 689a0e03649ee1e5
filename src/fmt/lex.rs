//! A lexer for what the parser does not keep: comments with their positions, numbers as
//! written, and which brackets the author wrote around an expression.
//!
//! It runs only on text that has parsed, so it can be simple: it never reports an error.

use std::collections::BTreeSet;

/// The reserved words of `grammar/payable.pest` (the `keyword` rule). A word before `(` that
/// is not one of these (or is `min` or `max`) is a call, not a bracketed expression.
const KEYWORDS: &str = "consecutive allow participant significant achieving achieved activity contract \
    counting currency eligible excludes requires rounding between control highest missing outcome \
    present reaches repeats claims cohort expect points within above after bands below claim count \
    event every falls false first given least point rises share tiers total where each else enum \
    from mean most only pays test then true unit when and any cap for let max min not pay per std \
    sum the use at by if in is no of on or to";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Word,
    Number,
    Date,
    Text,
    Punct,
}

/// A token of code (comments are kept apart).
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub kind: Kind,
    pub start: u32,
    pub end: u32,
}

/// A `//` or `///` comment: its text from the slashes to the end of the line, without
/// trailing whitespace.
#[derive(Clone, Debug)]
pub struct Comment {
    pub start: u32,
    pub end: u32,
    pub text: String,
    /// Nothing but whitespace before it on its line.
    pub own_line: bool,
    /// Its column in characters, from zero.
    pub column: usize,
}

pub struct Lexed<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    /// `//` comments, in order.
    pub comments: Vec<Comment>,
    /// `///` doc comments, in order.
    pub docs: Vec<Comment>,
    /// The inside (first token start, last token end) of every pair of brackets written to
    /// group an expression or a condition.
    pub groups: BTreeSet<(u32, u32)>,
}

impl<'a> Lexed<'a> {
    pub fn new(text: &'a str) -> Lexed<'a> {
        let bytes = text.as_bytes();
        let mut tokens = Vec::new();
        let mut comments = Vec::new();
        let mut docs = Vec::new();
        let mut i = 0;
        let mut line_start = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'\n' {
                i += 1;
                line_start = i;
                continue;
            }
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let body = text[i..end].trim_end();
                let comment = Comment {
                    start: i as u32,
                    end: (i + body.len()) as u32,
                    text: body.to_string(),
                    own_line: text[line_start..i].trim().is_empty(),
                    column: text[line_start..i].chars().count(),
                };
                if body.starts_with("///") {
                    docs.push(comment)
                } else {
                    comments.push(comment)
                }
                i = end;
                continue;
            }
            let kind = if c == b'"' {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                }
                Kind::Text
            } else if c.is_ascii_digit() {
                if is_date(&bytes[i..]) {
                    i += 10;
                    Kind::Date
                } else {
                    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                        while i < bytes.len() && bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                    Kind::Number
                }
            } else if c.is_ascii_alphabetic() || c == b'_' {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                Kind::Word
            } else {
                let two = &text.as_bytes()[i..(i + 2).min(bytes.len())];
                if matches!(two, b"==" | b"!=" | b"<=" | b">=" | b"??" | b"..") {
                    i += 2;
                } else {
                    i += text[i..].chars().next().map_or(1, char::len_utf8);
                }
                Kind::Punct
            };
            tokens.push(Token { kind, start: start as u32, end: i as u32 });
        }
        let mut lexed = Lexed { text, tokens, comments, docs, groups: BTreeSet::new() };
        lexed.find_groups();
        lexed
    }

    pub fn token_text(&self, t: Token) -> &'a str {
        &self.text[t.start as usize..t.end as usize]
    }

    pub fn is(&self, index: usize, text: &str) -> bool {
        self.tokens.get(index).is_some_and(|t| self.token_text(*t) == text)
    }

    /// The index of the first token starting at or after `pos`.
    pub fn index_at(&self, pos: u32) -> usize {
        self.tokens.partition_point(|t| t.start < pos)
    }

    /// The tokens that start in `[start, end)`.
    pub fn tokens_in(&self, start: u32, end: u32) -> &[Token] {
        let a = self.index_at(start);
        let b = self.index_at(end);
        &self.tokens[a..b.max(a)]
    }

    /// The first token in `[start, end)` whose text is `word`.
    pub fn find(&self, start: u32, end: u32, word: &str) -> Option<Token> {
        self.tokens_in(start, end).iter().copied().find(|t| self.token_text(*t) == word)
    }

    /// The text of the `n`th number in `[start, end)`, as written.
    pub fn number_in(&self, start: u32, end: u32, n: usize) -> Option<&'a str> {
        self.tokens_in(start, end)
            .iter()
            .filter(|t| t.kind == Kind::Number)
            .nth(n)
            .map(|t| self.token_text(*t))
    }

    /// The words in `[start, end)`, in order.
    pub fn words_in(&self, start: u32, end: u32) -> Vec<&'a str> {
        self.tokens_in(start, end)
            .iter()
            .filter(|t| t.kind == Kind::Word)
            .map(|t| self.token_text(*t))
            .collect()
    }

    /// Whether a blank line separates `from` and `to` in the source.
    pub fn blank_between(&self, from: u32, to: u32) -> bool {
        if from >= to {
            return false;
        }
        let gap = &self.text[from as usize..to as usize];
        let mut lines = gap.split('\n');
        lines.next();
        // The last piece is the start of `to`'s own line: a blank line is a whole line between.
        let mut pieces: Vec<&str> = lines.collect();
        pieces.pop();
        pieces.iter().any(|l| l.trim().is_empty())
    }

    fn find_groups(&mut self) {
        let mut open: Vec<usize> = Vec::new();
        for i in 0..self.tokens.len() {
            let text = self.token_text(self.tokens[i]);
            if text == "(" {
                open.push(i);
            } else if text == ")" {
                let Some(o) = open.pop() else { continue };
                if o + 1 < i && !self.is_call(o) {
                    self.groups.insert((self.tokens[o + 1].start, self.tokens[i - 1].end));
                }
            }
        }
    }

    /// Whether the bracket at token `open` starts the arguments of a call (or parameters, or
    /// an `allow(...)`), rather than grouping.
    fn is_call(&self, open: usize) -> bool {
        let Some(before) = open.checked_sub(1).map(|b| self.tokens[b]) else { return false };
        if before.kind != Kind::Word {
            return false;
        }
        let word = self.token_text(before);
        let after_dot = open >= 2 && self.token_text(self.tokens[open - 2]) == ".";
        after_dot || word == "min" || word == "max" || !KEYWORDS.split_whitespace().any(|k| k == word)
    }
}

/// The reserved words, for the language server's completion and highlighting.
pub(crate) fn keywords() -> impl Iterator<Item = &'static str> {
    KEYWORDS.split_whitespace()
}

fn is_date(b: &[u8]) -> bool {
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && !b.get(10).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[cfg(test)]
mod tests {
    /// The reserved words here are the grammar's `keyword` rule.
    #[test]
    fn keywords_match_the_grammar() {
        let grammar = include_str!("../../grammar/payable.pest");
        let start = grammar.find("keyword = @{").expect("the grammar has a keyword rule");
        let end = start + grammar[start..].find("~ !word_char").expect("the rule ends");
        let mut words: Vec<&str> = grammar[start..end].split('"').skip(1).step_by(2).collect();
        words.sort();
        let mut ours: Vec<&str> = super::KEYWORDS.split_whitespace().collect();
        ours.sort();
        assert_eq!(words, ours);
    }
}
