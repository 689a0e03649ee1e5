//! A parser for one line of JSON Lines input: one object whose values are plain (strings,
//! numbers, `true`, `false`, `null`). Written by hand rather than through `serde_json` so that
//! numbers keep their exact text (amounts never pass through a binary float), nothing is
//! allocated for strings without escapes, and a malformed line gets a message with its column.

use std::ops::Range;

/// Where a value of the object is: ranges index the line, except `Escaped`, which indexes the
/// scratch buffer the parser unescaped the string into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum JsonValue {
    Null,
    Bool(bool),
    Number(Range<usize>),
    Str(Range<usize>),
    Escaped(Range<usize>),
    Nested,
}

/// Parses `line` (valid UTF-8, no line terminator) as one flat object, calling `pair` with
/// each key (unescaped) and value in order. `scratch` receives unescaped strings; it is
/// cleared first. Errors are plain words with the one-based column of the problem.
pub(super) fn parse_object(
    line: &[u8],
    scratch: &mut Vec<u8>,
    mut pair: impl FnMut(&[u8], JsonValue),
) -> Result<(), String> {
    scratch.clear();
    let mut key_buffer = Vec::new();
    let mut p = Parser { b: line, i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(p.expected("an object, `{`"));
    }
    p.i += 1;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            if p.peek() != Some(b'"') {
                return Err(p.expected("a key in double quotes"));
            }
            key_buffer.clear();
            let key = p.string(&mut key_buffer)?;
            p.ws();
            if p.peek() != Some(b':') {
                return Err(p.expected("`:` after the key"));
            }
            p.i += 1;
            p.ws();
            let value = p.value(scratch)?;
            let key = match key {
                StrAt::Line(r) => &line[r],
                StrAt::Scratch(r) => &key_buffer[r],
            };
            pair(key, value);
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => return Err(p.expected("`,` or `}`")),
            }
        }
    }
    p.ws();
    if p.i < line.len() {
        return Err(p.expected("the end of the line after the object"));
    }
    Ok(())
}

enum StrAt {
    Line(Range<usize>),
    Scratch(Range<usize>),
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn expected(&self, what: &str) -> String {
        let found = match self.peek() {
            None => "the end of the line".to_string(),
            Some(_) => {
                let rest = String::from_utf8_lossy(&self.b[self.i..]);
                let c: String = rest.chars().take(1).collect();
                format!("`{c}`")
            }
        };
        let column = String::from_utf8_lossy(&self.b[..self.i.min(self.b.len())]).chars().count() + 1;
        format!("malformed JSON at column {column}: expected {what}, found {found}")
    }

    fn value(&mut self, scratch: &mut Vec<u8>) -> Result<JsonValue, String> {
        match self.peek() {
            Some(b'"') => Ok(match self.string(scratch)? {
                StrAt::Line(r) => JsonValue::Str(r),
                StrAt::Scratch(r) => JsonValue::Escaped(r),
            }),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", JsonValue::Bool(true)),
            Some(b'f') => self.literal(b"false", JsonValue::Bool(false)),
            Some(b'n') => self.literal(b"null", JsonValue::Null),
            Some(b'{' | b'[') => {
                self.skip_nested()?;
                Ok(JsonValue::Nested)
            }
            _ => Err(self.expected("a value")),
        }
    }

    fn literal(&mut self, word: &[u8], value: JsonValue) -> Result<JsonValue, String> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(self.expected("a value (`true`, `false`, `null`, a number or a string)"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<JsonValue, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.expected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.expected("a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        Ok(JsonValue::Number(start..self.i))
    }

    /// A string starting at the opening quote. Without escapes it is a range of the line;
    /// with them, it is unescaped onto the end of `out`.
    fn string(&mut self, out: &mut Vec<u8>) -> Result<StrAt, String> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek() {
                None => return Err(self.expected("the closing `\"` of a string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(StrAt::Line(start..self.i - 1));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.expected("no control character inside a string")),
                Some(_) => self.i += 1,
            }
        }
        let from = out.len();
        out.extend_from_slice(&self.b[start..self.i]);
        loop {
            match self.peek() {
                None => return Err(self.expected("the closing `\"` of a string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(StrAt::Scratch(from..out.len()));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'b') => 0x08,
                        Some(b'f') => 0x0c,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'u') => {
                            self.i += 1;
                            let c = self.unicode_escape()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return Err(self.expected("an escape (one of `\\\"`, `\\\\`, `\\n`, `\\u` ...)")),
                    };
                    out.push(escaped);
                    self.i += 1;
                }
                Some(c) if c < 0x20 => return Err(self.expected("no control character inside a string")),
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.expected("four hexadecimal digits after `\\u`")),
            };
            n = n * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(n)
    }

    /// After `\u`: one code point, joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.b[self.i..].starts_with(b"\\u") {
                    return Err(self.expected("the second half of a surrogate pair (`\\uDC00` to `\\uDFFF`)"));
                }
                self.i += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.expected("the second half of a surrogate pair (`\\uDC00` to `\\uDFFF`)"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.expected("a code point, not half a surrogate pair")),
            c => c,
        };
        char::from_u32(code).ok_or_else(|| self.expected("a valid code point"))
    }

    /// Skips an object or array; values inside need not be plain, as the row is rejected.
    /// Iterative, so that deep nesting cannot exhaust the stack.
    fn skip_nested(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(self.expected("the end of the nested object or array")),
                Some(b'{' | b'[') => depth += 1,
                Some(b'}' | b']') => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Ok(());
                    }
                }
                Some(b'"') => {
                    let mut ignored = Vec::new();
                    self.string(&mut ignored)?;
                    continue;
                }
                Some(_) => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> Result<Vec<(String, String)>, String> {
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        parse_object(line.as_bytes(), &mut scratch, |k, v| {
            out.push((String::from_utf8_lossy(k).into_owned(), format!("{v:?}")))
        })?;
        // Resolve ranges now that the scratch buffer is final.
        Ok(out
            .into_iter()
            .map(|(k, v)| {
                let text = if let Some(r) = v.strip_prefix("Escaped(").and_then(|r| r.strip_suffix(')')) {
                    let (a, b) = r.split_once("..").unwrap();
                    format!(
                        "esc:{}",
                        String::from_utf8_lossy(&scratch[a.parse().unwrap()..b.parse().unwrap()])
                    )
                } else {
                    v
                };
                (k, text)
            })
            .collect())
    }

    #[test]
    fn plain_objects_parse() {
        let got = pairs(
            r#" {"a": 1.5e3, "b":"x", "c" : null, "d":true, "e":[1,{"f":"]"}], "g\u00e9":"\"\ud83d\ude00"} "#,
        )
        .unwrap();
        let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e", "gé"]);
        assert_eq!(got[0].1, "Number(7..12)");
        assert_eq!(got[2].1, "Null");
        assert_eq!(got[4].1, "Nested");
        assert_eq!(got[5].1, "esc:\"😀");
        assert!(pairs("{}").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_say_where() {
        for (line, column) in [
            ("", 1),
            ("[1]", 1),
            ("{\"a\" 1}", 6),
            ("{\"a\":}", 6),
            ("{\"a\":1,}", 8),
            ("{\"a\":01}", 7),
            ("{\"a\":1} x", 9),
            ("{\"a\":\"\\ud800\"}", 13),
            ("{\"a\":\"abc", 10),
            ("{\"a\":[[[[", 10),
            ("{\"a\":tru}", 6),
            ("{\"a\":-}", 7),
            ("{\"a\":1.}", 8),
        ] {
            let err = pairs(line).unwrap_err();
            assert!(err.contains(&format!("column {column}:")), "{line}: {err}");
        }
    }
}
