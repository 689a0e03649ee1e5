//! Rows of one input file, CSV or JSON Lines, behind one interface: the file is opened with
//! the names of the columns it may have (its "slots"), and each row's cells are then read by
//! slot. Structural problems (a CSV row of the wrong width, a line that is not a JSON object)
//! are recorded and the row is skipped; everything about values is left to the caller.

use super::fields::{Cell, show};
use super::json::{self, JsonValue};
use super::lines::CsvLines;
use super::{Errors, InputError, InputFormat};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";
const BUFFER: usize = 1 << 16;

pub(super) struct Rows {
    /// The file's name as the user gave it, for messages.
    pub name: String,
    /// The names of the slots, in slot order.
    pub columns: Vec<String>,
    /// Line of the current row: its first line in CSV, its line in JSON Lines.
    pub line: u64,
    /// At the end of the file (or past a read error): `next` stays false.
    done: bool,
    inner: Inner,
}

enum Inner {
    Csv(CsvRows),
    Json(JsonRows),
}

struct CsvRows {
    /// The records; the last one read stays there at the end of the file.
    record: CsvLines,
    /// The file again, to look at its end (see `unclosed_quote`).
    tail: Option<File>,
    width: usize,
    /// The column of each slot, if the header has it.
    column_of: Vec<Option<usize>>,
}

struct JsonRows {
    reader: BufReader<File>,
    text: Vec<u8>,
    scratch: Vec<u8>,
    /// The value of each slot in the current row.
    cells: Vec<Option<JsonValue>>,
    /// Line number of the last line read.
    line_no: u64,
    bytes: u64,
    unknown_reported: BTreeSet<Vec<u8>>,
}

impl Rows {
    /// Opens a file. For CSV, reads and checks the header: unknown, duplicate and unnamed
    /// columns are errors (the caller decides which missing columns are).
    pub(super) fn open(
        path: &Path,
        format: InputFormat,
        columns: Vec<String>,
    ) -> Result<(Rows, Vec<InputError>), InputError> {
        let name = path.display().to_string();
        let fail = |message: String| InputError::file(&name, message);
        let file = File::open(path).map_err(|e| fail(format!("cannot open the file: {e}")))?;
        let tail = file.try_clone().ok();
        let mut errors = Vec::new();
        let inner = match format {
            InputFormat::JsonLines => {
                let mut reader = BufReader::with_capacity(BUFFER, file);
                let bom = reader
                    .fill_buf()
                    .map_err(|e| fail(format!("cannot read the file: {e}")))?
                    .starts_with(BOM);
                if bom {
                    reader.consume(BOM.len());
                }
                let bom = if bom { BOM.len() as u64 } else { 0 };
                Inner::Json(JsonRows {
                    reader,
                    text: Vec::new(),
                    scratch: Vec::new(),
                    cells: vec![None; columns.len()],
                    line_no: 0,
                    bytes: bom,
                    unknown_reported: BTreeSet::new(),
                })
            }
            InputFormat::Csv => {
                // The first bytes, for a byte-order mark.
                let mut file = file;
                let mut start = vec![0; BUFFER];
                let mut len = 0;
                while len < BOM.len() {
                    match file.read(&mut start[len..]) {
                        Ok(0) => break,
                        Ok(n) => len += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(fail(format!("cannot read the file: {e}"))),
                    }
                }
                start.truncate(len);
                let bom = if start.starts_with(BOM) { BOM.len() } else { 0 };
                // Only LF ends a row, and a CR before it is taken off the last value (`cell`):
                // ending rows at CR too would number every row of a CRLF file a line early.
                let mut header = CsvLines::new(file, start, bom);
                match header.next_record() {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(fail(format!(
                            "the file is empty: expected a header line naming the columns ({})",
                            listed(&columns)
                        )));
                    }
                    Err(e) => return Err(fail(format!("cannot read the file: {e}"))),
                }
                let line = header.record_line;
                let width = header.len();
                let mut column_of = vec![None; columns.len()];
                for (i, cell) in (0..width).filter_map(|i| header.get(i)).enumerate() {
                    let cell = if i + 1 == width { cell.strip_suffix(b"\r").unwrap_or(cell) } else { cell };
                    let header_error = |field: String, message: String| InputError {
                        file: name.clone(),
                        line,
                        field: Some(field),
                        value: None,
                        message,
                    };
                    let Ok(text) = std::str::from_utf8(cell) else {
                        errors.push(header_error(
                            show(cell),
                            format!("the name of column {} is not valid UTF-8 text", i + 1),
                        ));
                        continue;
                    };
                    if text.is_empty() {
                        errors.push(InputError {
                            file: name.clone(),
                            line,
                            field: None,
                            value: None,
                            message: format!("column {} has no name in the header", i + 1),
                        });
                        continue;
                    }
                    match columns.iter().position(|c| c == text) {
                        Some(slot) if column_of[slot].is_some() => errors.push(header_error(
                            text.to_string(),
                            format!("column `{text}` appears twice in the header"),
                        )),
                        Some(slot) => column_of[slot] = Some(i),
                        None => errors
                            .push(header_error(text.to_string(), unknown_name("column", text, &columns))),
                    }
                }
                Inner::Csv(CsvRows { record: header, tail, width, column_of })
            }
        };
        Ok((Rows { name, columns, line: 0, done: false, inner }, errors))
    }

    /// "column" or "key", for messages.
    pub(super) fn column_word(&self) -> &'static str {
        match self.inner {
            Inner::Csv(_) => "column",
            Inner::Json(_) => "key",
        }
    }

    /// Whether the file can have this slot at all: a CSV file has it when its header does.
    pub(super) fn has_column(&self, slot: usize) -> bool {
        match &self.inner {
            Inner::Csv(csv) => csv.column_of[slot].is_some(),
            Inner::Json(_) => true,
        }
    }

    pub(super) fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Csv(csv) => csv.record.position(),
            Inner::Json(json) => json.bytes,
        }
    }

    /// Moves to the next well-formed row; false at the end of the file (or on a read error,
    /// which is recorded).
    /// The common case, a CSV row of the header's width, is inlined into the caller and the
    /// rest (blank lines, wrong widths, the end, JSON Lines) is out of line: a call that saves
    /// and restores registers for those paths cost about 16 instructions a row (callgrind).
    #[inline]
    pub(super) fn next(&mut self, errors: &mut Errors) -> bool {
        if self.done {
            return false;
        }
        let mut read = None;
        if let Inner::Csv(csv) = &mut self.inner {
            let result = csv.record.next_record();
            if matches!(result, Ok(true)) && csv.record.len() == csv.width {
                self.line = csv.record.record_line;
                return true;
            }
            read = Some(result);
        }
        let more = self.read_next(errors, read);
        self.done = !more;
        more
    }

    /// `next` past its common case: `read` is what `next_record` gave already, if it was called.
    #[inline(never)]
    fn read_next(&mut self, errors: &mut Errors, mut read: Option<std::io::Result<bool>>) -> bool {
        match &mut self.inner {
            Inner::Csv(csv) => loop {
                let result = match read.take() {
                    Some(result) => result,
                    None => csv.record.next_record(),
                };
                match result {
                    Ok(true) => {}
                    Ok(false) => {
                        if csv.unclosed_quote() {
                            errors.add(|| InputError {
                                file: self.name.clone(),
                                line: self.line,
                                field: None,
                                value: None,
                                message:
                                    "the last value of this row runs on to the end of the file: a double \
                                          quote is never closed"
                                        .into(),
                            });
                        }
                        return false;
                    }
                    Err(e) => {
                        errors.add(|| InputError::file(&self.name, format!("cannot read the file: {e}")));
                        return false;
                    }
                }
                self.line = csv.record.record_line;
                if csv.record.len() == csv.width {
                    return true;
                }
                if csv.record.len() == 1 && csv.record.get(0) == Some(b"\r") {
                    // A blank line of a CRLF file.
                    continue;
                }
                let (len, width) = (csv.record.len(), csv.width);
                errors.add(|| InputError {
                    file: self.name.clone(),
                    line: self.line,
                    field: None,
                    value: None,
                    message: format!(
                        "the row has {len} {} but the header has {width}{}",
                        if len == 1 { "value" } else { "values" },
                        if len > width {
                            " (a value with a comma in it must be in double quotes)"
                        } else if csv.record.was_quoted()
                            && (0..len).filter_map(|i| csv.record.get(i)).any(|v| v.contains(&b'\n'))
                        {
                            " (a double quote that is never closed runs on over the lines after it)"
                        } else {
                            ""
                        }
                    ),
                });
            },
            Inner::Json(json) => loop {
                json.text.clear();
                match json.reader.read_until(b'\n', &mut json.text) {
                    Ok(0) => return false,
                    Ok(n) => json.bytes += n as u64,
                    Err(e) => {
                        errors.add(|| InputError::file(&self.name, format!("cannot read the file: {e}")));
                        return false;
                    }
                }
                json.line_no += 1;
                self.line = json.line_no;
                if json.text.iter().all(|c| c.is_ascii_whitespace()) {
                    continue;
                }
                match json.parse(&self.columns) {
                    Ok(unknown) => {
                        for key in unknown {
                            if json.unknown_reported.insert(key.clone()) {
                                let text = show(&key);
                                errors.add(|| InputError {
                                    file: self.name.clone(),
                                    line: self.line,
                                    field: Some(text.clone()),
                                    value: None,
                                    message: format!(
                                        "{} (reported once for this file)",
                                        unknown_name("key", &text, &self.columns)
                                    ),
                                });
                            }
                        }
                        return true;
                    }
                    Err(message) => errors.add(|| InputError {
                        file: self.name.clone(),
                        line: self.line,
                        field: None,
                        value: None,
                        message,
                    }),
                }
            },
        }
    }

    /// A CSV file's column of each slot, and its number of columns.
    pub(super) fn csv_columns(&self) -> Option<(&[Option<usize>], usize)> {
        match &self.inner {
            Inner::Csv(csv) => Some((&csv.column_of, csv.width)),
            Inner::Json(_) => None,
        }
    }

    /// The current CSV row when it has no double quote, its values straight from the read
    /// buffer (the last one with the line's CR, if any).
    #[inline(always)]
    pub(super) fn plain_csv(&self) -> Option<super::lines::Plain<'_>> {
        match &self.inner {
            Inner::Csv(csv) => csv.record.plain(),
            Inner::Json(_) => None,
        }
    }

    /// The CSV reader, while rows remain, for the fused path of event rows (`fast`), which
    /// reads a plain line straight from its buffer and then sets `line` itself.
    #[inline(always)]
    pub(super) fn csv_lines(&mut self) -> Option<&mut CsvLines> {
        match &mut self.inner {
            Inner::Csv(csv) if !self.done => Some(&mut csv.record),
            _ => None,
        }
    }

    /// The CSV reader, while rows remain, to peek at the next line (see `csv_lines`).
    #[inline(always)]
    pub(super) fn csv_lines_ref(&self) -> Option<&CsvLines> {
        match &self.inner {
            Inner::Csv(csv) if !self.done => Some(&csv.record),
            _ => None,
        }
    }

    /// The current row's cell for a slot.
    #[inline(always)]
    pub(super) fn cell(&self, slot: usize) -> Cell<'_> {
        match &self.inner {
            Inner::Csv(csv) => csv.cell(slot),
            Inner::Json(json) => json.cell(slot),
        }
    }
}

impl CsvRows {
    // Inlined into every caller: this is the innermost step of reading CSV.
    #[inline(always)]
    fn cell(&self, slot: usize) -> Cell<'_> {
        let Some(column) = self.column_of[slot] else { return Cell::Absent };
        let text = match self.record.get(column) {
            None => return Cell::Absent,
            Some(text) if column + 1 == self.width => text.strip_suffix(b"\r").unwrap_or(text),
            Some(text) => text,
        };
        if text.is_empty() { Cell::Empty } else { Cell::Text(text) }
    }

    /// At the end of the file: whether the last row's last value holds a line break and the
    /// file does not end with a double quote, which is what a quote never closed looks like
    /// (the reader takes the rest of the file into the value, and the row can look whole).
    fn unclosed_quote(&mut self) -> bool {
        // Only a record read by `csv_core` can hold a line break; the others' values are gone
        // from the buffer by now.
        if !self.record.was_quoted() {
            return false;
        }
        let last = self.record.get(self.width.wrapping_sub(1)).unwrap_or_default();
        if self.record.len() != self.width || !last.contains(&b'\n') {
            return false;
        }
        let Some(file) = &mut self.tail else { return false };
        let mut end = Vec::new();
        let read = file
            .seek(SeekFrom::End(0))
            .and_then(|len| file.seek(SeekFrom::Start(len.saturating_sub(4096))))
            .and_then(|_| file.read_to_end(&mut end));
        if read.is_err() {
            return false;
        }
        end.iter().rev().find(|c| !matches!(c, b'\r' | b'\n')) != Some(&b'"')
    }
}

impl JsonRows {
    #[inline(never)]
    fn cell(&self, slot: usize) -> Cell<'_> {
        match &self.cells[slot] {
            None => Cell::Absent,
            Some(JsonValue::Null) => Cell::Empty,
            Some(JsonValue::Bool(b)) => Cell::Bool(*b),
            Some(JsonValue::Number(r)) => Cell::Number(&self.text[r.clone()]),
            Some(JsonValue::Str(r)) => Cell::Text(&self.text[r.clone()]),
            Some(JsonValue::Escaped(r)) => Cell::Text(&self.scratch[r.clone()]),
            Some(JsonValue::Nested) => Cell::Nested,
        }
    }

    /// Parses the current line into `cells`; returns the keys that are not slots.
    fn parse(&mut self, columns: &[String]) -> Result<Vec<Vec<u8>>, String> {
        let mut end = self.text.len();
        while end > 0 && matches!(self.text[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        self.text.truncate(end);
        if let Err(e) = std::str::from_utf8(&self.text) {
            return Err(format!("the line is not valid UTF-8 text (at byte {})", e.valid_up_to() + 1));
        }
        self.cells.iter_mut().for_each(|c| *c = None);
        let mut unknown = Vec::new();
        let mut twice: Option<String> = None;
        let cells = &mut self.cells;
        json::parse_object(&self.text, &mut self.scratch, |key, value| {
            match columns.iter().position(|c| c.as_bytes() == key) {
                Some(slot) if cells[slot].is_some() => {
                    twice.get_or_insert_with(|| show(key));
                }
                Some(slot) => cells[slot] = Some(value),
                None => unknown.push(key.to_vec()),
            }
        })?;
        if let Some(key) = twice {
            return Err(format!("key `{key}` appears twice in the object"));
        }
        Ok(unknown)
    }
}

/// "unknown column `hour`: did you mean `hours`?", or the list of expected names.
pub(super) fn unknown_name(word: &str, name: &str, expected: &[String]) -> String {
    let close = expected
        .iter()
        .map(|e| (strsim::levenshtein(e, name), e))
        .filter(|(d, e)| *d <= e.chars().count().div_ceil(3))
        .min_by_key(|(d, _)| *d);
    match close {
        Some((_, e)) => format!("unknown {word} `{name}`: did you mean `{e}`?"),
        None => format!("unknown {word} `{name}`: expected {}", listed(expected)),
    }
}

/// "`a`, `b` or `c`": names to choose from.
pub(super) fn listed(names: &[String]) -> String {
    joined(names, "or")
}

/// "`a`, `b` and `c`" (with `and`), or with `or`.
pub(super) fn joined(names: &[String], conjunction: &str) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => "nothing".to_string(),
        1 => names[0].clone(),
        n => format!("{} {conjunction} {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// The format of a file from its extension.
pub(super) fn format_of(path: &Path) -> Option<InputFormat> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".csv") {
        Some(InputFormat::Csv)
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Some(InputFormat::JsonLines)
    } else {
        None
    }
}

/// The size of a file, for progress; 0 when unknown.
pub(super) fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}
