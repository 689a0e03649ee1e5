//! Positions: byte offsets (what spans hold) to and from the protocol's line and column,
//! whose column counts UTF-16 code units (what editors built on JavaScript count).

use lsp_types::{Position, Range};

/// Where each line of a text starts, to turn offsets into positions and back.
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { line_starts }
    }

    /// The position of a byte offset; an offset inside a character counts as its start, one
    /// past the end as the end.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: character as u32 }
    }

    /// The byte offset of a position. A column past the end of its line is the line's end
    /// (before its newline), and a line past the end of the text is the end of the text, as
    /// the protocol asks.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else { return text.len() };
        let line = &text[start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        if units == position.character as usize {
            return start + line.len();
        }
        start + line.strip_suffix('\r').unwrap_or(line).len()
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range { start: self.position(text, start), end: self.position(text, end) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn columns_count_utf16_code_units() {
        // `é` is two bytes and one UTF-16 unit; `𝄞` is four bytes and two UTF-16 units.
        let text = "let a = 1\n// é𝄞 x\nlet b = 2";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), at(1, 7));
        assert_eq!(index.offset(text, at(1, 7)), x);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(text, b), at(2, 4));
        assert_eq!(index.offset(text, at(2, 4)), b);
    }

    #[test]
    fn offsets_and_positions_round_trip_at_every_character() {
        let text = "enum Größe { klein }\n\n/// 🙂 ok\r\noutcome o {\n}";
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            let position = index.position(text, offset);
            assert_eq!(index.offset(text, position), offset, "at {offset} ({position:?})");
        }
        assert_eq!(index.position(text, text.len()), at(4, 1));
    }

    #[test]
    fn out_of_range_positions_are_clamped_not_a_crash() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, at(0, 99)), 2, "column past the end is the end, before \\r\\n");
        assert_eq!(index.offset(text, at(7, 0)), text.len());
        // Inside `é` (bytes 1..3): counted as its start.
        let text = "xé";
        assert_eq!(LineIndex::new(text).position(text, 2), at(0, 1));
    }
}
