//! The renderers: one function per output format, each a pure function of the
//! [`Document`]. No renderer adds or drops a sentence; they differ only in markup.

use super::document::{Block, Document, Item};

/// Text width for the plain-text format: readable in a terminal and in a diff.
const WIDTH: usize = 92;

/// Plain text, wrapped, with underlined headings and dashed lists.
pub fn text(doc: &Document) -> String {
    let mut out = String::new();
    out.push_str(&doc.title);
    out.push('\n');
    out.push_str(&"=".repeat(doc.title.chars().count()));
    out.push('\n');
    for block in &doc.blocks {
        out.push('\n');
        match block {
            Block::Heading { level, text } => {
                out.push_str(text);
                out.push('\n');
                let rule = if *level <= 1 { "-" } else { "~" };
                out.push_str(&rule.repeat(text.chars().count()));
                out.push('\n');
            }
            Block::Paragraph(text) => out.push_str(&wrap(text, "", "", WIDTH)),
            Block::List(items) => text_items(items, 0, &mut out),
        }
    }
    out
}

fn text_items(items: &[Item], depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let first = format!("{indent}- ");
    let rest = format!("{indent}  ");
    for item in items {
        out.push_str(&wrap(&item.text, &first, &rest, WIDTH));
        text_items(&item.children, depth + 1, out);
    }
}

/// Greedy word wrap; a word longer than the line is left whole rather than broken.
fn wrap(text: &str, first: &str, rest: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// CommonMark. Sentences are escaped so that a name with `_` or `*` in it stays literal.
pub fn markdown(doc: &Document) -> String {
    let mut out = format!("# {}\n", markdown_escape(&doc.title));
    for block in &doc.blocks {
        out.push('\n');
        match block {
            Block::Heading { level, text } => {
                out.push_str(&"#".repeat(usize::from(*level) + 1));
                out.push(' ');
                out.push_str(&markdown_escape(text));
                out.push('\n');
            }
            Block::Paragraph(text) => {
                out.push_str(&markdown_block_start(&markdown_escape(text)));
                out.push('\n');
            }
            Block::List(items) => markdown_items(items, 0, &mut out),
        }
    }
    out
}

fn markdown_items(items: &[Item], depth: usize, out: &mut String) {
    for item in items {
        out.push_str(&"  ".repeat(depth));
        out.push_str("- ");
        out.push_str(&markdown_escape(&item.text));
        out.push('\n');
        markdown_items(&item.children, depth + 1, out);
    }
}

/// Escapes a sentence for Markdown; spans between backticks (declared names) stay code.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push('`');
            out.push_str(part);
            out.push('`');
        } else {
            out.push_str(&markdown_escape_plain(part));
        }
    }
    out
}

/// A paragraph that starts like a list ("- ", "+ ", "1. ") must not become one.
fn markdown_block_start(text: &str) -> String {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let rest = &text[digits..];
    if text.starts_with(['-', '+']) {
        format!("\\{text}")
    } else if digits > 0 && (rest.starts_with(". ") || rest.starts_with(") ")) {
        format!("{}\\{}", &text[..digits], rest)
    } else {
        text.to_string()
    }
}

fn markdown_escape_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A standalone HTML page: no scripts, no external resources, every sentence escaped, and
/// nothing that varies between runs (no dates, no generator version).
pub fn html(doc: &Document) -> String {
    let title = html_escape(&doc.title);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{title}</title>\n"));
    out.push_str(
        "<style>\nbody { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; \
padding: 0 1rem; line-height: 1.5; color: #1b1b1b; }\nh1, h2, h3 { line-height: 1.2; }\n\
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }\n</style>\n",
    );
    out.push_str("</head>\n<body>\n");
    out.push_str(&format!("<h1>{}</h1>\n", html_inline(&doc.title)));
    for block in &doc.blocks {
        match block {
            Block::Heading { level, text } => {
                let tag = format!("h{}", usize::from(*level).clamp(1, 4) + 1);
                out.push_str(&format!("<{tag}>{}</{tag}>\n", html_inline(text)));
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", html_inline(text))),
            Block::List(items) => html_items(items, &mut out),
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn html_items(items: &[Item], out: &mut String) {
    out.push_str("<ul>\n");
    for item in items {
        out.push_str("<li>");
        out.push_str(&html_inline(&item.text));
        if !item.children.is_empty() {
            out.push('\n');
            html_items(&item.children, out);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

/// Escapes a sentence for HTML; spans between backticks (declared names) become `<code>`.
fn html_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", html_escape(part)));
        } else {
            out.push_str(&html_escape(part));
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_sentence() {
        let mut doc = Document::new("A & B <script>");
        doc.paragraph("x < y & \"z\"");
        let page = html(&doc);
        assert!(page.contains("<title>A &amp; B &lt;script&gt;</title>"));
        assert!(page.contains("<p>x &lt; y &amp; &quot;z&quot;</p>"));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn markdown_keeps_names_as_code_and_paragraphs_as_paragraphs() {
        let mut doc = Document::new("T");
        doc.paragraph("1. not a list, `snake_case` stays code, *not* emphasis");
        doc.paragraph("- not a list either");
        let md = markdown(&doc);
        assert!(md.contains("1\\. not a list, `snake_case` stays code, \\*not\\* emphasis"), "{md}");
        assert!(md.contains("\n\\- not a list either"), "{md}");
    }

    #[test]
    fn wrapping_keeps_long_words_whole() {
        let long = "x".repeat(120);
        assert_eq!(wrap(&format!("a {long} b"), "", "", 20), format!("a\n{long}\nb\n"));
    }
}
