//! The CSV record reader: a fast path for the common line, and the `csv_core` state machine
//! for the rest.
//!
//! Almost every line of a data export has no double quote: its values are the bytes between
//! commas, and the line ends at the next LF. Those lines are split here, in place in the read
//! buffer, with nothing copied: one pass finds the LF, the commas and any quote sixteen bytes
//! at a time with SSE2 (`split_line`; every x86_64 processor has it, and other processors
//! take the same path a byte at a time, `split_bytes`, which a test holds equal), and only
//! where each value ends is kept. (Measured with callgrind on a million events: `memchr` for
//! the LF and then the commas eight bytes at a time in a `u64` took about 300 instructions a
//! line with its ranges pushed; this, about 200.)
//!
//! A line with a double quote anywhere in it (a quoted value, which may hold commas or run
//! over several lines) is handed from its start to `csv_core`, the parser inside the `csv`
//! crate, configured as the crate was before this fast path existed: only LF ends a record (a
//! CR before it stays in the last value, for the caller to take off), `""` is a quote inside a
//! quoted value, no comments, no escapes.
//!
//! Both paths give what `csv::Reader::read_byte_record` gave, byte for byte, including its
//! numbering of lines: a record's line is the line the reader stood on when asked for it, so
//! empty lines skipped before a record do not move its number (a test in this module holds
//! the two readers equal on awkward input).

use std::borrow::Borrow;
use std::fs::File;
use std::io::{self, Read};

const BUFFER: usize = 1 << 16;

pub(super) struct CsvLines {
    file: File,
    buf: Vec<u8>,
    /// Unread data is `buf[pos..len]`.
    pos: usize,
    len: usize,
    /// The file has no more bytes.
    eof: bool,
    /// Bytes of the file that came before `buf[0]`.
    base: u64,
    /// The line the reader stands on (one-based): LFs consumed, plus one.
    line: u64,
    /// The line of the current record.
    pub record_line: u64,
    /// Where the current record's values end, in `buf`, or in `quoted` when `in_quoted`. Value
    /// `i` starts where value `i - 1` ends, after its comma in `buf` (`gap` is 1) and right
    /// there in `quoted` (`gap` is 0); the first starts at `start`. Only the ends are kept, as
    /// storing a range per comma cost more than finding the comma.
    fields: Vec<usize>,
    start: usize,
    gap: usize,
    in_quoted: bool,
    quoted: Vec<u8>,
    ends: Vec<usize>,
    /// Boxed: its tables are most of this struct's size, and it is touched only on quoted lines.
    core: Box<csv_core::Reader>,
    /// Nothing read yet.
    first: bool,
    /// The line `keep_peek` found, while the reader is still at its start (`pos`, else
    /// `usize::MAX`) and the buffer unmoved.
    kept: Kept,
}

/// What `peek` found of a line, without the borrow of the buffer.
#[derive(Clone, Copy)]
pub(super) struct Kept {
    pos: usize,
    bounds: [u8; PEEK_VALUES + 2],
    len: usize,
    non_ascii: u64,
}

impl CsvLines {
    /// Starts reading `file` from its current position; `skip` leading bytes (a byte-order
    /// mark already seen) are consumed first.
    pub(super) fn new(file: File, mut start: Vec<u8>, skip: usize) -> CsvLines {
        let len = start.len();
        if start.len() < BUFFER {
            start.resize(BUFFER, 0);
        }
        let mut core = csv_core::ReaderBuilder::new().terminator(csv_core::Terminator::Any(b'\n')).build();
        // `csv_core` takes a byte-order mark off the first bytes it is given. Here it first
        // sees data in the middle of the file (the first line with a quote), where a BOM is
        // data, so it is told it has read already: an empty line is skipped and changes
        // nothing else.
        let _ = core.read_record(b"\n", &mut [0; 1], &mut [0; 1]);
        let core = Box::new(core);
        CsvLines {
            file,
            buf: start,
            pos: skip.min(len),
            len,
            eof: false,
            base: 0,
            line: 1,
            record_line: 1,
            fields: Vec::new(),
            start: 0,
            gap: 1,
            in_quoted: false,
            quoted: Vec::new(),
            ends: Vec::new(),
            core,
            first: true,
            kept: Kept { pos: usize::MAX, bounds: [0; PEEK_VALUES + 2], len: 0, non_ascii: 0 },
        }
    }

    /// Bytes consumed so far.
    pub(super) fn position(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(super) fn len(&self) -> usize {
        self.fields.len()
    }

    /// The value at `i` of the current record.
    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = self.range(i)?;
        Some(if self.in_quoted { &self.quoted[start..end] } else { &self.buf[start..end] })
    }

    /// The range of value `i`.
    #[inline(always)]
    fn range(&self, i: usize) -> Option<(usize, usize)> {
        let end = *self.fields.get(i)?;
        let start = match i.checked_sub(1) {
            None => self.start,
            Some(before) => self.fields[before] + self.gap,
        };
        Some((start, end))
    }

    /// The buffer and the ranges of the current record's values, when it did not come
    /// through `csv_core`.
    #[inline(always)]
    pub(super) fn plain(&self) -> Option<Plain<'_>> {
        if self.in_quoted {
            None
        } else {
            Some(Plain { buf: &self.buf, start: self.start, ends: &self.fields })
        }
    }

    /// Whether the current record came through `csv_core` (only such a record can hold a
    /// line break).
    pub(super) fn was_quoted(&self) -> bool {
        self.in_quoted
    }

    /// Moves past the bytes consumed and reads more; false at the end of the file.
    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.kept.pos = usize::MAX;
            self.buf.copy_within(self.pos..self.len, 0);
            self.base += self.pos as u64;
            self.len -= self.pos;
            self.pos = 0;
            self.clear_tail();
        }
        if self.len == self.buf.len() {
            // A line longer than the buffer.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    self.clear_tail();
                    return Ok(false);
                }
                Ok(n) => {
                    self.len += n;
                    self.clear_tail();
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Zeroes the bytes `peek` may look at past the data, so that it finds no LF there (see
    /// `peek`): data left from earlier reads would have some.
    fn clear_tail(&mut self) {
        let end = (self.len + PEEK + 16).min(self.buf.len());
        self.buf[self.len..end].fill(0);
    }

    /// Reads the next record; false at the end of the file.
    pub(super) fn next_record(&mut self) -> io::Result<bool> {
        self.record_line = self.line;
        if self.first {
            // The `csv` crate took a byte-order mark off the start of what it read (so a
            // second one, after the one the caller skipped).
            self.first = false;
            let bom = super::rows::BOM;
            while self.len - self.pos < bom.len() && self.refill()? {}
            if self.buf[self.pos..self.len].starts_with(bom) {
                self.pos += bom.len();
            }
        }
        loop {
            let rest = &self.buf[self.pos..self.len];
            if rest.is_empty() {
                // The last record stays until there is another (`Rows` looks at it at the end).
                if self.eof || !self.refill()? {
                    return Ok(false);
                }
                continue;
            }
            if rest[0] == b'\n' {
                // An empty line is no record, as `csv_core` skips it.
                self.pos += 1;
                self.line += 1;
                continue;
            }
            self.fields.clear();
            self.start = self.pos;
            match split_line(rest, self.pos, &mut self.fields) {
                Split::Line(n) => {
                    self.in_quoted = false;
                    self.gap = 1;
                    self.pos += n + 1;
                    self.line += 1;
                    return Ok(true);
                }
                // A double quote in the line: all of it is `csv_core`'s.
                Split::Quote => return self.next_quoted(),
                Split::Unended if !self.eof => {
                    self.refill()?;
                }
                // The last line, with no LF after it.
                Split::Unended => {
                    self.in_quoted = false;
                    self.gap = 1;
                    self.pos = self.len;
                    return Ok(true);
                }
            }
        }
    }

    /// Reads the record starting at `pos` with `csv_core`.
    #[cold]
    fn next_quoted(&mut self) -> io::Result<bool> {
        use csv_core::ReadRecordResult::*;
        self.in_quoted = true;
        self.fields.clear();
        if self.quoted.len() < 1024 {
            self.quoted.resize(1024, 0);
        }
        if self.ends.len() < 64 {
            self.ends.resize(64, 0);
        }
        let (mut out, mut ends) = (0, 0);
        loop {
            let input = &self.buf[self.pos..self.len];
            let (result, nin, nout, nend) =
                self.core.read_record(input, &mut self.quoted[out..], &mut self.ends[ends..]);
            self.line += memchr::memchr_iter(b'\n', &input[..nin]).count() as u64;
            self.pos += nin;
            out += nout;
            ends += nend;
            match result {
                InputEmpty => {
                    // At the end of the file, an empty input tells `csv_core` so.
                    self.refill()?;
                }
                OutputFull => self.quoted.resize(self.quoted.len() * 2, 0),
                OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                Record => {
                    self.start = 0;
                    self.gap = 0;
                    self.fields.extend_from_slice(&self.ends[..ends]);
                    return Ok(true);
                }
                End => return Ok(false),
            }
        }
    }
}

/// Bytes [`CsvLines::peek`] looks at for a line: a line ends within them or is declined.
const PEEK: usize = 64;

/// The most values a line read by [`CsvLines::peek`] may have (a 64-byte line has room for
/// more, but no event file's header is that wide).
pub(super) const PEEK_VALUES: usize = 32;

/// A width of line that [`CsvLines::peek_in`] may be given, from
/// [`CsvLines::peek_width`]: from 1 to `PEEK_VALUES`, for a reader that has read its first
/// record (which stays so). Checked once for the lines of a participant rather than at each
/// (some 4 instructions a line, callgrind).
#[derive(Clone, Copy)]
pub(super) struct PeekWidth(usize);

/// Where the values of a line [`CsvLines::peek`] read begin and end (see `Peeked::bounds`).
pub(super) type Bounds = [u8; PEEK_VALUES + 2];

/// A plain line at the reader's position, split, as [`CsvLines::peek`] found it: what
/// `next_record` would read there, without reading it. Its bounds are its own (`B` is
/// `Bounds`), or the caller's (`&Bounds`, from [`CsvLines::peek_in`]).
pub(super) struct Peeked<'a, B: Borrow<Bounds> = Bounds> {
    /// The buffer from the line's start: the line, and at least 16 bytes more, so that any
    /// value's first 16 bytes can be loaded at once (`word`).
    bytes: &'a [u8; PEEK + 16],
    /// Value `i` is `bytes[bounds[i] + 1..bounds[i + 1]]` (`bounds[0]` is 255, so that its
    /// `+ 1` wraps to 0): each comma's place, then where the last value ends (without the CR
    /// of a CRLF line, as `Rows::cell` gives it). One store a comma.
    bounds: B,
    /// The line's length with its LF.
    len: usize,
    /// A bit for each byte of 0x80 or more.
    non_ascii: u64,
}

impl<'a, B: Borrow<Bounds>> Peeked<'a, B> {
    /// What was found of the line, for `CsvLines::keep`.
    #[inline(always)]
    pub(super) fn to_kept(&self) -> Kept {
        Kept { pos: usize::MAX, bounds: *self.bounds.borrow(), len: self.len, non_ascii: self.non_ascii }
    }

    /// The line's length with its LF.
    #[inline(always)]
    pub(super) fn len_with_lf(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn range(&self, i: usize) -> (usize, usize) {
        // `i` is below the width, at most `PEEK_VALUES`, and every bound below 64 (the LF is
        // within `PEEK` bytes): the masks change nothing but spare the bounds checks.
        let i = i % PEEK_VALUES;
        let bounds = self.bounds.borrow();
        (usize::from(bounds[i].wrapping_add(1)) % PEEK, usize::from(bounds[i + 1]) % PEEK)
    }

    /// Whether value `i` is empty.
    #[inline(always)]
    pub(super) fn is_empty(&self, i: usize) -> bool {
        let i = i % PEEK_VALUES;
        let bounds = self.bounds.borrow();
        bounds[i].wrapping_add(1) == bounds[i + 1]
    }

    /// A bit for each of the first 16 values that is empty (bits past the width are 0).
    #[inline(always)]
    pub(super) fn empties(&self) -> u32 {
        let bounds = self.bounds.borrow();
        let mut starts = [0u8; 16];
        starts.copy_from_slice(&bounds[..16]);
        let mut ends = [0u8; 16];
        ends.copy_from_slice(&bounds[1..17]);
        empty_bits(starts, ends)
    }

    /// Value `i` (`i` less than the width `peek` was given).
    #[inline(always)]
    pub(super) fn value(&self, i: usize) -> &'a [u8] {
        let bytes: &'a [u8; PEEK + 16] = self.bytes;
        let (start, end) = self.range(i);
        &bytes[start..end]
    }

    /// The length of value `i`, and the 16 bytes from its start as a little-endian number
    /// (those past its end included: `Word` masks them off). An id or a type name is compared
    /// with that in a few instructions, against a call to `memcmp`.
    #[inline(always)]
    pub(super) fn word(&self, i: usize) -> (usize, u128) {
        let (start, end) = self.range(i);
        let mut word = [0; 16];
        word.copy_from_slice(&self.bytes[start..start + 16]);
        (end.wrapping_sub(start), u128::from_le_bytes(word))
    }

    /// The line's first 32 bytes (those past its end included).
    #[inline(always)]
    pub(super) fn head(&self) -> &'a [u8; 32] {
        let bytes: &'a [u8; PEEK + 16] = self.bytes;
        let (head, _) = bytes.split_first_chunk::<32>().unwrap_or((&[0; 32], &[]));
        head
    }

    /// Where value `i` ends (its comma's place, for a value before the last).
    #[inline(always)]
    pub(super) fn end(&self, i: usize) -> usize {
        self.range(i).1
    }

    /// Whether the whole line is ASCII: one test, where `is_ascii` of a value takes some six.
    #[inline(always)]
    pub(super) fn all_ascii(&self) -> bool {
        self.non_ascii == 0
    }

    /// Whether value `i` is ASCII (so also UTF-8).
    #[inline(always)]
    pub(super) fn is_ascii(&self, i: usize) -> bool {
        let (start, end) = self.range(i);
        // `end` is at most 63 (the line's LF is within `PEEK` bytes), so neither shift
        // overflows.
        let bits = (1u64 << end) - (1u64 << start);
        self.non_ascii & bits == 0
    }
}

impl CsvLines {
    /// The line at the reader's position when `next_record` would read it as a plain record
    /// of exactly `width` values, ending within the next 64 bytes of the buffer; `None`
    /// (nothing consumed, nothing changed) for any other: a quote before its LF, another
    /// number of values, an empty line, a line longer than 64 bytes or crossing the end of
    /// what is buffered, the first line of the file. The caller reads it from the returned
    /// bytes and then calls [`take_peeked`](Self::take_peeked), or leaves it to
    /// `next_record`.
    ///
    /// This is the fused path of event rows (see `fast`): one set of masks for the whole line
    /// finds its LF, commas and quotes, and the values' bounds go to a small array rather
    /// than a `Vec`, then read in place.
    #[inline(always)]
    pub(super) fn peek(&self, width: usize) -> Option<Peeked<'_>> {
        let mut bounds = [0; PEEK_VALUES + 2];
        let (bytes, len, non_ascii) = self.split_peeked::<false, false>(width, &mut bounds)?;
        Some(Peeked { bytes, bounds, len, non_ascii })
    }

    /// [`peek`](Self::peek) with the values' bounds written to `bounds`, which the caller
    /// keeps: returned in the `Peeked`, they were copied from one place on the stack to
    /// another (some 10 instructions a line, measured with callgrind). `bounds` must be
    /// zeroed before its first line and given only lines of one `width` (as `kept_in` fills
    /// it too): the bounds past the line's are then as `peek` leaves them.
    ///
    /// `AVX2`: finds the line's masks 32 bytes a compare ([`masks64_avx2`]); only for code
    /// compiled with AVX2 and run where the processor has it (the fused path's x86-64-v3
    /// build), which must say so by passing true.
    #[inline(always)]
    pub(super) fn peek_in<'a, const AVX2: bool>(
        &'a self,
        width: PeekWidth,
        bounds: &'a mut Bounds,
    ) -> Option<Peeked<'a, &'a Bounds>> {
        let (bytes, len, non_ascii) = self.split_peeked::<AVX2, true>(width.0, bounds)?;
        Some(Peeked { bytes, bounds, len, non_ascii })
    }

    /// What `peek` finds of a line: its bytes, its length with its LF and its bytes of 0x80 or
    /// more, its bounds written to `bounds`. `PAST_FIRST`: `width` came from
    /// [`peek_width`](Self::peek_width), which checked it and that the first record was read,
    /// once for many lines.
    #[inline(always)]
    fn split_peeked<const AVX2: bool, const PAST_FIRST: bool>(
        &self,
        width: usize,
        bounds: &mut Bounds,
    ) -> Option<(&[u8; PEEK + 16], usize, u64)> {
        if (!PAST_FIRST && self.first) || width == 0 || width > PEEK_VALUES {
            return None;
        }
        let bytes: &[u8; PEEK + 16] = self.buf.get(self.pos..self.pos + PEEK + 16)?.try_into().ok()?;
        let (lfs, quotes, commas, non_ascii) = masks64_for::<AVX2>(bytes.first_chunk()?);
        // Bytes past `len` hold no LF (`refill` zeroes them), so the LF found is the data's.
        if lfs == 0 {
            return None;
        }
        let end = lfs.trailing_zeros();
        let before = (1u64 << end) - 1;
        let mut commas = commas & before;
        // An empty line is no record (`next_record` skips it).
        if end == 0 || quotes & before != 0 {
            return None;
        }
        // Bounds past `width + 1` are left as they are: no caller reads them (`empties` gives
        // bits past the width that callers mask off), and zeroing them cost some 3
        // instructions a line.
        bounds[0] = u8::MAX;
        // The commas' places eight at a time, at least `width` of them: a fixed eight is
        // unrolled into five instructions a comma, where a loop to `width - 1` cost some 60
        // instructions a line (callgrind). Each is at most 64 (when no comma is left), so it
        // fits a byte.
        for chunk in bounds[1..=PEEK_VALUES].chunks_exact_mut(8).take(width.div_ceil(8)) {
            for bound in chunk {
                *bound = commas.trailing_zeros() as u8;
                commas &= commas.wrapping_sub(1);
            }
        }
        // Exactly `width - 1` commas: no `width`-th, and none missing (a missing one left 64,
        // past the LF, as the last bound; `bounds[0]` is 255, which wraps to 0). Cheaper
        // than counting them first.
        if bounds[width] != PEEK as u8 || bounds[width - 1].wrapping_add(1) > PEEK as u8 {
            return None;
        }
        let mut last = end as u8;
        if last > bounds[width - 1].wrapping_add(1) && bytes[usize::from(last) - 1] == b'\r' {
            last -= 1;
        }
        bounds[width] = last;
        // A bound after the last that `empties` could take for the end of an empty value
        // (64, one past a last bound of 63).
        bounds[width + 1] = 0;
        Some((bytes, end as usize + 1, non_ascii))
    }

    /// `width` for [`peek_in`](Self::peek_in), when `peek` could read lines that wide.
    #[inline(always)]
    pub(super) fn peek_width(&self, width: usize) -> Option<PeekWidth> {
        (!self.first && (1..=PEEK_VALUES).contains(&width)).then_some(PeekWidth(width))
    }

    /// Peeks at the line at the reader's position as `peek` does, keeping what it found for
    /// [`kept`](Self::kept); false when `peek` gives nothing. The participants' lines are
    /// peeked at one call ahead, for the next participant's id, and read at the next call:
    /// peeking twice cost more than splitting the line with `next_record` (callgrind).
    #[inline(always)]
    pub(super) fn keep_peek(&mut self, width: usize) -> bool {
        let Some(line) = self.peek(width) else { return false };
        let kept = line.to_kept();
        self.keep(kept);
        true
    }

    /// Keeps what `peek` found of the line at the reader's position (`Peeked::to_kept`) for
    /// [`kept`](Self::kept).
    #[inline(always)]
    pub(super) fn keep(&mut self, kept: Kept) {
        self.kept = Kept { pos: self.pos, ..kept };
    }

    /// The line `keep_peek` found, when the reader is still at its start.
    #[inline(always)]
    pub(super) fn kept(&self) -> Option<Peeked<'_>> {
        let (bytes, kept) = self.kept_line()?;
        Some(Peeked { bytes, bounds: kept.bounds, len: kept.len, non_ascii: kept.non_ascii })
    }

    /// [`kept`](Self::kept) with the bounds copied to `bounds`, as [`peek_in`](Self::peek_in)
    /// gives them.
    #[inline(always)]
    pub(super) fn kept_in<'a>(&'a self, bounds: &'a mut Bounds) -> Option<Peeked<'a, &'a Bounds>> {
        let (bytes, kept) = self.kept_line()?;
        *bounds = kept.bounds;
        Some(Peeked { bytes, bounds, len: kept.len, non_ascii: kept.non_ascii })
    }

    /// The bytes at the reader's position and what `keep` kept of their line, when it is that
    /// line.
    #[inline(always)]
    fn kept_line(&self) -> Option<(&[u8; PEEK + 16], &Kept)> {
        if !self.has_kept() {
            return None;
        }
        let bytes = self.buf.get(self.pos..self.pos + PEEK + 16)?.try_into().ok()?;
        Some((bytes, &self.kept))
    }

    /// Whether [`kept`](Self::kept) has the line at the reader's position.
    #[inline(always)]
    pub(super) fn has_kept(&self) -> bool {
        self.kept.pos == self.pos
    }

    /// Moves past the line `peek` gave, as `next_record` would have read it: the current
    /// record is then that line (with no values kept, as the caller has read them), and its
    /// line number is returned.
    #[inline(always)]
    pub(super) fn take_peeked(&mut self, len: usize) -> u64 {
        let number = self.skip_peeked(len, 0);
        self.end_skipped(1);
        number
    }

    /// The first half of [`take_peeked`](Self::take_peeked), for a run of lines: moves past
    /// the line `peek` gave, the `skipped`-th since the last `end_skipped`, and returns its
    /// line number; the line numbers and the current record are left to
    /// [`end_skipped`](Self::end_skipped), once for the run (some 6 instructions a line).
    /// Until then, only `peek`, `peek_in` and this may be called.
    #[inline(always)]
    pub(super) fn skip_peeked(&mut self, len: usize, skipped: u64) -> u64 {
        self.pos += len;
        self.line + skipped
    }

    /// Ends a run of `skipped` lines moved past by `skip_peeked` (at least one): the current
    /// record is then the last, as `take_peeked` leaves it.
    #[inline(always)]
    pub(super) fn end_skipped(&mut self, skipped: u64) {
        self.record_line = self.line + skipped - 1;
        self.line += skipped;
        self.in_quoted = false;
        self.fields.clear();
    }
}

/// The LFs, double quotes, commas and bytes of 0x80 or more of the first 64 bytes, one bit per
/// byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn masks64(bytes: &[u8; PEEK]) -> (u64, u64, u64, u64) {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is enabled on every x86_64 target, and the 16 bytes at `16 * i` are
    // within `bytes` (at most 48 + 16 of its 64); `_mm_loadu_si128` needs no alignment.
    let v: [__m128i; 4] =
        std::array::from_fn(|i| unsafe { _mm_loadu_si128(bytes.as_ptr().add(16 * i).cast::<__m128i>()) });
    // SAFETY (this block and the three after): SSE2 arithmetic on values already loaded,
    // which every x86_64 processor has.
    let equal = |byte: u8| v.map(|v| unsafe { _mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8)) });
    let bits = |m: [__m128i; 4]| {
        m.iter()
            .enumerate()
            .fold(0u64, |bits, (i, m)| bits | u64::from(unsafe { _mm_movemask_epi8(*m) } as u32) << (16 * i))
    };
    // Quotes and bytes of 0x80 or more are rare: whether there is any in the 64 bytes is
    // found with one movemask, and their bits only when there is (saving some 20
    // instructions a line, measured with callgrind).
    let any = |m: [__m128i; 4]| unsafe {
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(m[0], m[1]), _mm_or_si128(m[2], m[3]))) != 0
    };
    let quotes = equal(b'"');
    // SAFETY: SSE2 arithmetic on values already loaded.
    let either = std::array::from_fn(|i| unsafe { _mm_or_si128(quotes[i], v[i]) });
    let (quotes, high) = if any(either) { (bits(quotes), bits(v)) } else { (0, 0) };
    (bits(equal(b'\n')), quotes, bits(equal(b',')), high)
}

/// [`masks64`], or [`masks64_avx2`] when `AVX2` (see [`CsvLines::peek_in`]).
#[inline(always)]
fn masks64_for<const AVX2: bool>(bytes: &[u8; PEEK]) -> (u64, u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: true only from code that runs where the processor has AVX2 (`peek_in`).
        return unsafe { masks64_avx2(bytes) };
    }
    masks64(bytes)
}

/// [`masks64`] with AVX2, 32 bytes a compare: half the loads, compares and mask moves.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn masks64_avx2(bytes: &[u8; PEEK]) -> (u64, u64, u64, u64) {
    use core::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    // SAFETY: the 32 bytes at `32 * i` are within `bytes` (at most 32 + 32 of its 64);
    // `_mm256_loadu_si256` needs no alignment.
    let v: [__m256i; 2] =
        std::array::from_fn(|i| unsafe { _mm256_loadu_si256(bytes.as_ptr().add(32 * i).cast::<__m256i>()) });
    let equal = |byte: u8| v.map(|v| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(byte as i8)));
    let bits = |m: [__m256i; 2]| {
        u64::from(_mm256_movemask_epi8(m[0]) as u32) | u64::from(_mm256_movemask_epi8(m[1]) as u32) << 32
    };
    // As in `masks64`: quotes and high bytes, rare, only when there is any.
    let quotes = equal(b'"');
    let either = _mm256_or_si256(_mm256_or_si256(quotes[0], v[0]), _mm256_or_si256(quotes[1], v[1]));
    let (quotes, high) = if _mm256_movemask_epi8(either) != 0 { (bits(quotes), bits(v)) } else { (0, 0) };
    (bits(equal(b'\n')), quotes, bits(equal(b',')), high)
}

/// A bit for each `i` where `starts[i] + 1` (wrapping) is `ends[i]`: the empty values of a
/// `Peeked`'s bounds, sixteen at once with SSE2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn empty_bits(starts: [u8; 16], ends: [u8; 16]) -> u32 {
    use core::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is enabled on every x86_64 target, and each load reads the 16 bytes of an
    // array; `_mm_loadu_si128` needs no alignment.
    unsafe {
        let s = _mm_loadu_si128(starts.as_ptr().cast::<__m128i>());
        let e = _mm_loadu_si128(ends.as_ptr().cast::<__m128i>());
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_add_epi8(s, _mm_set1_epi8(1)), e)) as u32
    }
}

/// [`empty_bits`] a byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn empty_bits_bytes(starts: [u8; 16], ends: [u8; 16]) -> u32 {
    (0..16).filter(|&i| starts[i].wrapping_add(1) == ends[i]).fold(0, |bits, i| bits | 1 << i)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn empty_bits(starts: [u8; 16], ends: [u8; 16]) -> u32 {
    empty_bits_bytes(starts, ends)
}

/// [`masks64`] a byte at a time: for other processors, and the reference the SSE2 version
/// is tested against.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn masks64_bytes(bytes: &[u8; PEEK]) -> (u64, u64, u64, u64) {
    let (mut lfs, mut quotes, mut commas, mut high) = (0u64, 0u64, 0u64, 0u64);
    for (i, &b) in bytes.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'\n' => lfs |= bit,
            b'"' => quotes |= bit,
            b',' => commas |= bit,
            _ => {}
        }
        if b >= 0x80 {
            high |= bit;
        }
    }
    (lfs, quotes, commas, high)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(super) fn masks64(bytes: &[u8; PEEK]) -> (u64, u64, u64, u64) {
    masks64_bytes(bytes)
}

/// What [`split_line`] found at the start of the bytes it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Split {
    /// A line of this many bytes (LF excluded) with no double quote: its values are in
    /// `fields`.
    Line(usize),
    /// A double quote before the first LF: the line is `csv_core`'s.
    Quote,
    /// No LF and no double quote in the bytes: `fields` holds their values, which are the
    /// whole line only at the end of the file.
    Unended,
}

/// Splits the line at the start of `rest` at its commas, into `fields` as the ends of its
/// values offset by `base` (unfinished when a quote is found). One pass finds the LF, the commas and any
/// double quote, sixteen bytes at a time with SSE2, which every x86_64 processor has.
#[cfg(target_arch = "x86_64")]
#[inline]
fn split_line(rest: &[u8], base: usize, fields: &mut Vec<usize>) -> Split {
    let mut at = 0;
    while let Some(block) = rest.get(at..at + 16) {
        let Ok(block) = <&[u8; 16]>::try_from(block) else { break };
        let (lfs, quotes, commas) = masks(block);
        // The bits of the bytes before the first LF (all 16 when there is none).
        let before = lfs.wrapping_sub(1) & !lfs & 0xFFFF;
        if quotes & before != 0 {
            return Split::Quote;
        }
        let mut commas = commas & before;
        while commas != 0 {
            let i = at + commas.trailing_zeros() as usize;
            fields.push(base + i);
            commas &= commas - 1;
        }
        if lfs != 0 {
            let end = at + lfs.trailing_zeros() as usize;
            fields.push(base + end);
            return Split::Line(end);
        }
        at += 16;
    }
    split_bytes(rest, at, base, fields)
}

/// The LFs, double quotes and commas of 16 bytes, one bit per byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(block: &[u8; 16]) -> (u32, u32, u32) {
    use core::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is enabled on every x86_64 target, and `block` is 16 readable bytes by its
    // type; `_mm_loadu_si128` needs no alignment.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let mask = |byte: u8| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8))) as u32;
        (mask(b'\n'), mask(b'"'), mask(b','))
    }
}

/// [`split_line`] for other processors.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn split_line(rest: &[u8], base: usize, fields: &mut Vec<usize>) -> Split {
    split_bytes(rest, 0, base, fields)
}

/// [`split_line`] a byte at a time, from `at`: for the
/// last few bytes of a buffer, for processors without SSE2, and as the reference the fast
/// version is tested against.
fn split_bytes(rest: &[u8], at: usize, base: usize, fields: &mut Vec<usize>) -> Split {
    for (i, &byte) in rest.iter().enumerate().skip(at) {
        match byte {
            b',' => fields.push(base + i),
            b'"' => return Split::Quote,
            b'\n' => {
                fields.push(base + i);
                return Split::Line(i);
            }
            _ => {}
        }
    }
    fields.push(base + rest.len());
    Split::Unended
}

/// The values of a record read without `csv_core`, straight from the read buffer.
pub(super) struct Plain<'a> {
    buf: &'a [u8],
    start: usize,
    ends: &'a [usize],
}

impl<'a> Plain<'a> {
    /// Value `i`, as `CsvLines::get` gives it.
    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            None => self.start,
            Some(before) => self.ends[before] + 1,
        };
        self.buf.get(start..end)
    }

    /// Value `i` as `Rows::cell` gives it: when it is the row's `last`, without the CR of a
    /// CRLF line.
    #[inline(always)]
    pub(super) fn cell(&self, i: usize, last: usize) -> Option<&'a [u8]> {
        let value = self.get(i)?;
        Some(if i == last { value.strip_suffix(b"\r").unwrap_or(value) } else { value })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Random;
    use super::*;
    use std::io::Write;

    /// Every record with its line, as this reader reads it and as the `csv` crate does.
    /// Each record's line and values.
    type Records = Vec<(u64, Vec<Vec<u8>>)>;

    fn both(data: &[u8]) -> (Records, Records) {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(data).unwrap();
        let mut ours = Vec::new();
        for buffer in [BUFFER, 1, 3, 7] {
            let mut f = file.try_clone().unwrap();
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0)).unwrap();
            let mut start = vec![0; buffer];
            let n = f.read(&mut start).unwrap();
            start.truncate(n);
            let mut lines = CsvLines::new(f, start, 0);
            lines.buf.truncate(buffer.max(lines.len));
            let mut records = Vec::new();
            while lines.next_record().unwrap() {
                let values = (0..lines.len()).map(|i| lines.get(i).unwrap().to_vec()).collect();
                records.push((lines.record_line, values));
            }
            if buffer == BUFFER {
                ours = records;
            } else {
                assert_eq!(records, ours, "buffer of {buffer}");
            }
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(data);
        let mut theirs = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let line = record.position().map_or(0, |p| p.line());
            theirs.push((line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        (ours, theirs)
    }

    #[test]
    fn lines_split_sixteen_bytes_at_a_time_as_byte_by_byte() {
        let bytes: Vec<u8> =
            (0..=255u8).chain(b",,\",-,-.\n\n,a\n\"".iter().copied()).chain((0..=255u8).rev()).collect();
        for len in 0..70 {
            for offset in (0..bytes.len() - len).step_by(5) {
                let rest = &bytes[offset..offset + len];
                let (mut fast, mut slow) = (Vec::new(), Vec::new());
                let split = split_line(rest, 5, &mut fast);
                assert_eq!(split, split_bytes(rest, 0, 5, &mut slow), "{rest:?}");
                let line = match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => &rest[..i],
                    None => rest,
                };
                if line.contains(&b'"') {
                    assert_eq!(split, Split::Quote, "{rest:?}");
                    continue;
                }
                assert_eq!(fast, slow, "{rest:?}");
                let expected: Vec<&[u8]> = line.split(|b| *b == b',').collect();
                let starts = std::iter::once(5).chain(fast.iter().map(|end| end + 1));
                let got: Vec<&[u8]> = starts.zip(&fast).map(|(a, &b)| &rest[a - 5..b - 5]).collect();
                assert_eq!(got, expected, "{rest:?}");
                let ended = if line.len() < rest.len() { Split::Line(line.len()) } else { Split::Unended };
                assert_eq!(split, ended, "{rest:?}");
            }
        }
    }

    #[test]
    fn masks_of_64_bytes_are_as_byte_by_byte() {
        let bytes: Vec<u8> = (0..=255u8).chain(b",,\",-,-.\n\n,a\n\"\xff\x80\x7f".iter().copied()).collect();
        for offset in 0..bytes.len() - PEEK - 16 {
            let window: &[u8; PEEK] = bytes[offset..offset + PEEK].try_into().unwrap();
            assert_eq!(masks64(window), masks64_bytes(window), "at {offset}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2 (just checked).
                assert_eq!(unsafe { super::masks64_avx2(window) }, masks64_bytes(window), "at {offset}");
            }
        }
    }

    #[test]
    fn empty_bits_are_as_byte_by_byte() {
        let mut random = Random(3);
        for _ in 0..2000 {
            let mut bytes = [0u8; 32];
            for b in &mut bytes {
                // Small values, so that neighbours are often one apart; 255 wraps to 0.
                *b = match random.below(5) {
                    0 => 255,
                    n => (random.below(4) + n) as u8,
                };
            }
            let (starts, ends): ([u8; 16], [u8; 16]) =
                (bytes[..16].try_into().unwrap(), bytes[16..].try_into().unwrap());
            assert_eq!(empty_bits(starts, ends), empty_bits_bytes(starts, ends), "{bytes:?}");
        }
    }

    /// Reads `data` twice, once with `peek` wherever it reads a line and once with
    /// `next_record` alone, and holds the two equal: values (the last without the CR
    /// `Rows::cell` takes off), line numbers and position. Returns how many lines `peek` read.
    fn peek_as_next_record(data: &[u8], width: usize) -> usize {
        // Two opens, not clones: a clone shares the file's position.
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(data).unwrap();
        let open = || CsvLines::new(File::open(file.path()).unwrap(), Vec::new(), 0);
        let (mut peeking, mut plain) = (open(), open());
        // The header, as `Rows::open` reads it.
        assert_eq!(peeking.next_record().unwrap(), plain.next_record().unwrap());
        let mut peeked = 0;
        loop {
            let expected = plain.next_record().unwrap();
            let values: Vec<Vec<u8>> = (0..plain.len())
                .map(|i| {
                    let value = plain.get(i).unwrap();
                    if i + 1 == width { value.strip_suffix(b"\r").unwrap_or(value) } else { value }.to_vec()
                })
                .collect();
            let got = match peeking.peek(width) {
                Some(line) => {
                    assert!(expected, "peeked past the end");
                    let got: Vec<Vec<u8>> = (0..width).map(|i| line.value(i).to_vec()).collect();
                    for (i, value) in got.iter().enumerate() {
                        let (len, word) = line.word(i);
                        assert_eq!(len, value.len());
                        let mut bytes = word.to_le_bytes().to_vec();
                        bytes.truncate(len.min(16));
                        assert_eq!(bytes, value[..len.min(16)]);
                        assert_eq!(line.is_ascii(i), value.is_ascii());
                        assert_eq!(line.is_empty(i), value.is_empty());
                        assert_eq!(line.empties() >> i & 1 == 1, value.is_empty() && i < 16);
                    }
                    assert_eq!(u64::from(line.empties()) >> width, 0);
                    let len = line.len_with_lf();
                    assert_eq!(peeking.take_peeked(len), plain.record_line);
                    peeked += 1;
                    got
                }
                None => {
                    assert_eq!(peeking.next_record().unwrap(), expected);
                    if !expected {
                        break;
                    }
                    assert_eq!(peeking.record_line, plain.record_line);
                    (0..peeking.len())
                        .map(|i| {
                            let value = peeking.get(i).unwrap();
                            if i + 1 == width { value.strip_suffix(b"\r").unwrap_or(value) } else { value }
                                .to_vec()
                        })
                        .collect()
                }
            };
            assert_eq!(got, values, "line {}", plain.record_line);
            assert_eq!(peeking.position(), plain.position());
        }
        assert_eq!(peeking.position(), plain.position());
        peeked
    }

    #[test]
    fn peek_reads_a_line_as_next_record_does() {
        for (data, width) in [
            (&b"a,b,c\n1,2,3\n"[..], 3),
            (b"a,b,c\n1,2,3", 3),
            (b"a,b,c\r\n1,2,\r\n\r\n,,\r\n4,5,6\r", 3),
            (b"a,b\n\n\n1,2\n\n3,4\n\n", 2),
            (b"a,b\n1,\"two\nlines\"\n3,4\n", 2),
            (b"a,b\n1,2,3\n4\n5,6\n", 2),
            (b"a\n\n1\n\r\n\r\r\n", 1),
        ] {
            peek_as_next_record(data, width);
        }
        // Random lines, over several buffers' worth, so that lines cross its refills.
        let mut random = Random(7);
        let mut below = |n: u64| random.below(n as usize) as u64;
        let values = [
            "",
            "P12",
            "employment",
            "2026-11-14",
            "\r",
            "\"q,\"",
            "x\"y",
            "\u{e9}t\u{e9}",
            "0123456789abcdef0123",
        ];
        // Widths around the eight commas `peek` finds at a time, and the most it reads.
        for width in [4u64, 7, 8, 9, 16, 17, 32] {
            let header: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
            let mut data = format!("{}\n", header.join(",")).into_bytes();
            while data.len() < 3 * BUFFER {
                let n = if below(20) == 0 { width - 1 + below(3) } else { width };
                // Short values mostly, so that wide lines still fit the 64 bytes peeked.
                let pick = |v: u64| if width > 4 && v % (width / 4).max(2) != 0 { 0 } else { v as usize };
                let line: Vec<&str> = (0..n).map(|_| values[pick(below(values.len() as u64))]).collect();
                data.extend(line.join(",").as_bytes());
                data.extend(if below(3) == 0 { &b"\r\n"[..] } else { b"\n" });
                if below(30) == 0 {
                    data.push(b'\n');
                }
            }
            let width = width as usize;
            let peeked = peek_as_next_record(&data, width);
            assert!(peeked > 200, "{peeked} lines of {width} values peeked");
            data.truncate(data.len() - 1);
            peek_as_next_record(&data, width);
        }
    }

    #[test]
    fn reads_as_the_csv_crate_does() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n\n\n",
            b"a,b,c\n1,2,3\n",
            b"a,b,c\n1,2,3",
            b"a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n",
            b"a,b\n\n\n1,2\n\n3,4\n\n",
            b"a,b\n1,\"two\nlines\"\n3,4\n",
            b"a,b\n\"x\"\"y\",z\n,\n,,\n",
            b"a,b\n1,\"open\n2,3\n",
            b"a,b\nx\"y,z\n\"q\"r,s\n",
            b"\xEF\xBB\xBFa,b\n1,2\n",
            b"a,b\n\xEF\xBB\xBF\"1\",2\n",
            b"a\n\"\"\n\"\n\"\n",
            b"a,b\n1,2\n\"3\",4",
            b"a,b\r\n\"1\r\n\",2\r\n",
            b"participant,type,id,from,to,hours,on,score\nP1,employment,E1,2026-11-14,,-14,,\n",
            b",,,,,,,,,,,,,,,,,\n,-,.,+,\x2d,\xac,\xff,\x00,\x01,\x2c\x2c\n",
            b"0123456,89abcdef,0123456\"89abcdef\n01234567,\n0123456789abcdef0123\"\n",
            b"abcdefghijklmno,,,,,,,,,,,,,,,,pqrstuvwxyz\"\n\"",
        ];
        for case in cases {
            let (ours, theirs) = both(case);
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(case));
        }
    }
}
