//! The index of participant ids: where each id stands in the participants file, and which ids
//! are duplicated, from one quick pass over the file's `id` column before anything else.
//!
//! It holds a 64-bit hash of each id, never the id: 16 bytes per participant and a directory
//! of about 1 byte (17 MB for a million), instead of the ids themselves. Two different ids with the same hash cannot be told
//! apart by the index; the chance with a million ids is about one in 37 million (n²/2⁶⁵), and
//! such a pair is caught and reported as an error rather than merged (see `TimelineReader`).

use super::Errors;
use super::lines::masks64;
use super::rows::Rows;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub(super) struct IdIndex {
    /// (hash, ordinal) for the first row of each hash, sorted by hash.
    sorted: Vec<(u64, u32)>,
    /// Where in `sorted` the hashes starting with each `bits`-bit prefix begin: a lookup is
    /// then one short search in a few neighbouring entries instead of a binary search over
    /// the whole (a cache miss per step, microseconds for a million participants).
    directory: Vec<u32>,
    bits: u32,
    /// Rows whose id hash was seen on an earlier row: ordinal → the earlier row's ordinal.
    pub repeats: BTreeMap<u32, u32>,
    /// Ordinals of rows whose id is repeated later.
    pub repeated: BTreeSet<u32>,
    /// How many rows the file has.
    rows: u32,
}

/// A 64-bit hash of an id: each eight bytes are mixed in by a folded multiply (the 128-bit
/// product's halves XORed, as wyhash and foldhash do), which spreads a change in any bit of
/// the input over all 64 bits, so that ids that look alike (`P0000001`, `P0000002`) collide no
/// more often than any others. Fixed constants: the same in every run. A few times quicker
/// than SipHash on short ids, which matters as every participant's id is hashed.
pub(super) fn hash(id: &[u8]) -> u64 {
    const K0: u64 = 0x243F_6A88_85A3_08D3;
    const K1: u64 = 0x1319_8A2E_0370_7345;
    const K2: u64 = 0xA409_3822_299F_31D1;
    let mix = |a: u64, b: u64| {
        let product = u128::from(a) * u128::from(b);
        (product as u64) ^ ((product >> 64) as u64)
    };
    let mut h = K0 ^ id.len() as u64;
    let mut chunks = id.chunks_exact(8);
    for chunk in &mut chunks {
        h = mix(h ^ u64::from_le_bytes(chunk.try_into().unwrap_or_default()), K1);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = mix(h ^ u64::from_le_bytes(tail), K1);
    mix(h, K2)
}

impl IdIndex {
    /// Reads every row of the participants file (`rows`, just past its header, slot 0 = `id`;
    /// `path` is the file's). Rows are numbered (ordinals) exactly as the main pass will
    /// number them; rows without an id get no entry. A CSV file with no double quote after
    /// its header is scanned for its ids alone (`scan_ids`); any other file is read by `rows`.
    pub(super) fn build(mut rows: Rows, path: &Path) -> IdIndex {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let scanned = match rows.csv_columns() {
            Some((column_of, width)) => match column_of.first().copied().flatten() {
                Some(id) => scan_ids(path, rows.bytes_read(), id, width, &mut pairs),
                None => None,
            },
            None => None,
        };
        let ordinal = match scanned {
            Some(ordinal) => ordinal,
            None => {
                pairs.clear();
                read_ids(&mut rows, &mut pairs)
            }
        };
        // In place: a bucket sort into a second array was quicker still but needed 16 MB
        // more at the peak for a million ids.
        radix_sort(&mut pairs, 56);
        let mut repeats = BTreeMap::new();
        let mut repeated = BTreeSet::new();
        // Most files repeat no id: a look for two equal neighbours is then all (a `retain`
        // that kept every pair cost some 7 instructions an id more, callgrind).
        if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
            let mut first: Option<(u64, u32)> = None;
            pairs.retain(|&(h, ord)| match first {
                Some((fh, ford)) if fh == h => {
                    repeats.insert(ord, ford);
                    repeated.insert(ford);
                    false
                }
                _ => {
                    first = Some((h, ord));
                    true
                }
            });
        }
        pairs.shrink_to_fit();
        // About four entries per prefix: 1 byte per participant.
        let bits = (usize::BITS - (pairs.len() / 4).leading_zeros()).min(28);
        let mut directory = Vec::with_capacity((1 << bits) + 1);
        let mut at = 0usize;
        for prefix in 0..(1u64 << bits) {
            while at < pairs.len() && prefix_of(pairs[at].0, bits) < prefix {
                at += 1;
            }
            directory.push(at as u32);
        }
        directory.push(pairs.len() as u32);
        IdIndex { sorted: pairs, directory, bits, repeats, repeated, rows: ordinal }
    }

    /// The ordinal of the first participant row with this id (by hash).
    pub(super) fn find(&self, id: &[u8]) -> Option<u32> {
        let h = hash(id);
        let prefix = prefix_of(h, self.bits) as usize;
        let (from, to) = (self.directory[prefix] as usize, self.directory[prefix + 1] as usize);
        let bucket = &self.sorted[from..to];
        bucket.binary_search_by_key(&h, |&(h, _)| h).ok().map(|i| bucket[i].1)
    }

    /// Whether any id is on more than one row.
    #[inline]
    pub(super) fn has_repeats(&self) -> bool {
        !self.repeats.is_empty()
    }

    pub(super) fn rows(&self) -> u32 {
        self.rows
    }
}

/// Sorts `pairs` by hash, and pairs of one hash by ordinal, in place: by the byte of the
/// hash at `shift` (and then the lower bytes) with an American flag sort, which moves each
/// pair into its byte's bucket by swaps, needing no second array; a small bucket by insertion.
/// The hashes are uniform, so a bucket shrinks 256-fold at each byte: a million pairs take two
/// passes and then a few insertions each. Measured with callgrind at 100k ids: about 90
/// instructions a pair, where `sort_unstable` took about 250.
fn radix_sort(pairs: &mut [(u64, u32)], shift: u32) {
    if pairs.len() <= 32 {
        // The standard library sorts a few elements with a network of compares that does not
        // branch on the data: the insertion sort it replaced mispredicted about every other
        // compare of these random hashes (the index's build went from 6% to 4.7% of the
        // samples of the 1M benchmark's run).
        pairs.sort_unstable();
        return;
    }
    let byte = |pair: &(u64, u32)| ((pair.0 >> shift) & 0xFF) as usize;
    let mut counts = [0usize; 256];
    for pair in pairs.iter() {
        counts[byte(pair)] += 1;
    }
    let (mut heads, mut tails) = ([0usize; 256], [0usize; 256]);
    let mut at = 0;
    for b in 0..256 {
        heads[b] = at;
        at += counts[b];
        tails[b] = at;
    }
    for b in 0..256 {
        while heads[b] < tails[b] {
            // Carry the pair at the head of `b` to its own bucket, and the one found there to
            // its own, until one belongs in `b`.
            let mut pair = pairs[heads[b]];
            loop {
                let d = byte(&pair);
                if d == b {
                    break;
                }
                std::mem::swap(&mut pair, &mut pairs[heads[d]]);
                heads[d] += 1;
            }
            pairs[heads[b]] = pair;
            heads[b] += 1;
        }
    }
    let mut start = 0;
    for &count in &counts {
        let bucket = &mut pairs[start..start + count];
        start += count;
        match bucket {
            [] | [_] => {}
            // Two or three pairs, the commonest cases below the first byte (some 80% of the
            // buckets of more than one), ordered in place: a call to `sort_unstable` for them
            // cost about 80 instructions (callgrind).
            [a, b] => order(a, b),
            [a, b, c] => {
                order(a, b);
                order(b, c);
                order(a, b);
            }
            _ => match shift.checked_sub(8) {
                Some(lower) => radix_sort(bucket, lower),
                // One hash: by ordinal.
                None => bucket.sort_unstable(),
            },
        }
    }
}

/// Puts `a` and `b` in order.
#[inline(always)]
fn order(a: &mut (u64, u32), b: &mut (u64, u32)) {
    if *b < *a {
        std::mem::swap(a, b);
    }
}

/// The ids of the rows of `rows` into `pairs`, as `scan_ids` but for any file; the number of
/// rows.
fn read_ids(rows: &mut Rows, pairs: &mut Vec<(u64, u32)>) -> u32 {
    let mut ignored = Errors::default();
    let mut ordinal: u32 = 0;
    while rows.next(&mut ignored) {
        if let Some(id) = rows.cell(0).key_bytes() {
            pairs.push((hash(id), ordinal));
        }
        ordinal = ordinal.saturating_add(1);
    }
    ordinal
}

fn prefix_of(hash: u64, bits: u32) -> u64 {
    if bits == 0 { 0 } else { hash >> (64 - bits) }
}

/// The ids of a CSV file from byte `from` (just past the header) on, as `(hash, ordinal)`
/// into `pairs`, numbered as `Rows` numbers rows; the number of rows, or `None` (with `pairs`
/// to be thrown away) at the first double quote or a read error, for `Rows` to read the
/// file instead. `id` is the column of ids, of `width`.
///
/// Without quotes a row is a line: an empty line is none, and a line with other than `width`
/// values is an error the main pass reports and skips (a lone CR, a blank line of a CRLF
/// file, among them). Only where lines and values end matters here, so the file is scanned
/// 64 bytes at a time for LFs, commas and quotes (`lines::masks64`, as `CsvLines::peek`
/// does), without keeping where each value ends. Measured with callgrind at 100k participants: reading the
/// rows through `Rows` cost about 380 instructions a participant, this about 130.
fn scan_ids(path: &Path, from: u64, id: usize, width: usize, pairs: &mut Vec<(u64, u32)>) -> Option<u32> {
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::Start(from)).ok()?;
    // The index is sized once, from the lines in the first block and the file's length:
    // grown by doubling instead, it copied what it held at each step into memory touched for
    // the first time (for a million ids, 16 MB copied and 4,000 page faults more, some 2% of
    // the benchmark's run).
    let rest_of_file = file.metadata().map_or(0, |m| m.len().saturating_sub(from));
    let mut sized = false;
    let mut line = Line { start: 0, commas: 0, id_start: 0, id_end: None };
    let (mut ordinal, mut buf, mut len, mut at, mut eof) = (0u32, vec![0u8; 1 << 16], 0usize, 0usize, false);
    loop {
        // Whole blocks of 64 bytes (most lines fit one), then (at the end of the file) the
        // last few.
        while at + 64 <= len || eof && at < len {
            let n = (len - at).min(64);
            let (mut lfs, quotes, commas, _) =
                match buf[..len].get(at..at + 64).and_then(|b| b.try_into().ok()) {
                    Some(block) => masks64(block),
                    None => {
                        let mut block = [0u8; 64];
                        block[..n].copy_from_slice(&buf[at..at + n]);
                        masks64(&block)
                    }
                };
            if quotes != 0 {
                return None;
            }
            // Each line ending in this block, with its commas, then the start of the next.
            let mut rest = commas;
            while lfs != 0 {
                let lf = lfs & lfs.wrapping_neg();
                let before = rest & (lf - 1);
                line.commas_at(before, at, id);
                line.end(&buf, at + lf.trailing_zeros() as usize, id, width, &mut ordinal, pairs);
                rest ^= before;
                lfs ^= lf;
            }
            line.commas_at(rest, at, id);
            at += n;
        }
        if eof {
            if line.start < len {
                line.end(&buf, len, id, width, &mut ordinal, pairs);
            }
            return Some(ordinal);
        }
        // Keep the unfinished line, and read on.
        let keep = line.start;
        buf.copy_within(keep..len, 0);
        (len, at) = (len - keep, at - keep);
        line.shift(keep);
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        loop {
            match file.read(&mut buf[len..]) {
                Ok(0) => eof = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
            break;
        }
        if !sized && len > 0 {
            sized = true;
            let lines = memchr::memchr_iter(b'\n', &buf[..len]).count().max(1) as u64;
            // A tenth more than the first block's line length makes of the file, and never
            // more entries than the file has bytes.
            let expected = rest_of_file.saturating_mul(lines) / len as u64;
            let expected = (expected + expected / 10 + 16).min(rest_of_file);
            pairs.reserve(usize::try_from(expected).unwrap_or(0).saturating_sub(pairs.len()));
        }
    }
}

/// Where the line being scanned starts, and what is known of its values so far.
struct Line {
    start: usize,
    commas: usize,
    /// The id's value: where it starts (when known: once `id` commas are seen), and where it
    /// ends (once `id + 1` are).
    id_start: usize,
    id_end: Option<usize>,
}

impl Line {
    /// Takes in the commas of `mask` (bits of the block at `at`), all in this line.
    #[inline(always)]
    fn commas_at(&mut self, mut mask: u64, at: usize, id: usize) {
        // A line has a few commas: clearing them one by one is quicker than `count_ones`,
        // which without the `popcnt` instruction is a dozen operations.
        let mut count = 0;
        let mut bits = mask;
        while bits != 0 {
            bits &= bits - 1;
            count += 1;
        }
        // Only the commas around the id matter: the one before it (if any) and after it.
        if self.id_end.is_none() && self.commas + count > id {
            let mut seen = self.commas;
            while mask != 0 {
                let i = at + mask.trailing_zeros() as usize;
                if seen + 1 == id {
                    self.id_start = i + 1;
                } else if seen == id {
                    self.id_end = Some(i);
                    break;
                }
                seen += 1;
                mask &= mask - 1;
            }
        } else if count > 0 && self.id_end.is_none() && id > 0 && self.commas + count == id {
            // The comma before the id is the last of these.
            let last = 63 - mask.leading_zeros() as usize;
            self.id_start = at + last + 1;
        }
        self.commas += count;
    }

    /// Ends the line at `end` (its LF, or the end of the file), recording its id if it is a
    /// row; then starts the next line after it.
    #[inline(always)]
    fn end(
        &mut self,
        buf: &[u8],
        end: usize,
        id: usize,
        width: usize,
        ordinal: &mut u32,
        pairs: &mut Vec<(u64, u32)>,
    ) {
        if end > self.start && self.commas + 1 == width {
            let id_end = self.id_end.unwrap_or(end);
            let mut value = &buf[self.id_start.max(self.start)..id_end];
            if id + 1 == width {
                value = value.strip_suffix(b"\r").unwrap_or(value);
            }
            if !value.is_empty() {
                pairs.push((hash(value), *ordinal));
            }
            *ordinal = ordinal.saturating_add(1);
        }
        *self = Line { start: end + 1, commas: 0, id_start: end + 1, id_end: None };
    }

    /// The buffer has moved `by` bytes down.
    fn shift(&mut self, by: usize) {
        self.start -= by;
        self.id_start -= by;
        self.id_end = self.id_end.map(|e| e - by);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Random;
    use super::*;
    use crate::eval::input::InputFormat;

    /// The `(hash, ordinal)` pairs of a file, and its number of rows.
    type Ids = (Vec<(u64, u32)>, u32);

    /// The ids of a participants file with `header`, by the scan (`None` when it declines)
    /// and through `Rows`.
    fn both(dir: &Path, header: &str, body: &[u8]) -> (Option<Ids>, Ids) {
        let path = dir.join("participants.csv");
        let mut text = header.as_bytes().to_vec();
        text.extend_from_slice(body);
        std::fs::write(&path, text).unwrap();
        let columns = vec!["id".to_string(), "born".to_string(), "group".to_string()];
        let (mut rows, _) = Rows::open(&path, InputFormat::Csv, columns).unwrap();
        let (column_of, width) = rows.csv_columns().unwrap();
        let id = column_of[0].unwrap();
        let mut scanned = Vec::new();
        let scan = scan_ids(&path, rows.bytes_read(), id, width, &mut scanned).map(|n| (scanned, n));
        let mut read = Vec::new();
        let n = read_ids(&mut rows, &mut read);
        (scan, (read, n))
    }

    #[test]
    fn the_radix_sort_sorts_as_sort_unstable_does() {
        let mut random = Random(5);
        for len in [0, 1, 2, 31, 32, 33, 300, 5_000, 70_000] {
            // Full hashes, and hashes with few distinct values (long runs, deep buckets).
            for mask in [u64::MAX, 0xFF00_0000_0000_00FF, 0x0000_0000_0000_0003, 0] {
                let mut pairs: Vec<(u64, u32)> = (0..len as u32)
                    .map(|i| {
                        let h = (random.below(1 << 30) as u64) << 34 ^ (random.below(1 << 30) as u64) << 4;
                        (h.rotate_left(i % 64) & mask, i)
                    })
                    .collect();
                let mut expected = pairs.clone();
                expected.sort_unstable();
                radix_sort(&mut pairs, 56);
                assert_eq!(pairs, expected, "{len} pairs, mask {mask:x}");
            }
        }
    }

    #[test]
    fn the_id_scan_numbers_rows_as_the_reader_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut random = Random(11);
        let headers = [
            "id,born,group\n",
            "born,group,id\r\n",
            "born,id,group\n",
            "id\n",
            "\u{feff}id,born\n",
            "\u{feff}\u{feff}group,id\n",
            "\"born\",id\n",
        ];
        let cells =
            ["P1", "P2", "p3", "", "\r", "2008-09-28", "P\u{e9}", "x\ry", "ready", "P12345678901234567"];
        let (mut scanned, mut declined) = (0, 0);
        for round in 0..400 {
            let header = headers[random.below(headers.len())];
            let width = header.matches(',').count() + 1;
            let quotes = round % 4 == 0;
            let mut body = Vec::new();
            for _ in 0..random.below(60) {
                match random.below(12) {
                    0 => body.extend_from_slice(b"\n"),
                    1 => body.extend_from_slice(b"\r\n"),
                    2 => body.extend_from_slice(b"\r"),
                    3 if quotes => body.extend_from_slice(b"\"P,4\",x,y\n"),
                    _ => {
                        // Mostly the header's width, now and then one more or less.
                        let n = match random.below(10) {
                            0 => width + 1,
                            1 => width.saturating_sub(1).max(1),
                            _ => width,
                        };
                        let row: Vec<&str> = (0..n).map(|_| cells[random.below(cells.len())]).collect();
                        body.extend_from_slice(row.join(",").as_bytes());
                        if random.below(9) == 0 {
                            // A long value, across reads.
                            body.extend(std::iter::repeat_n(b'z', 70_000));
                        }
                        body.extend_from_slice(if random.below(3) == 0 { b"\r\n" } else { b"\n" });
                    }
                }
            }
            if random.below(3) == 0 {
                // The last line without its LF.
                while body.last() == Some(&b'\n') {
                    body.pop();
                }
            }
            let (scan, read) = both(dir.path(), header, &body);
            match scan {
                Some(scan) => {
                    scanned += 1;
                    assert_eq!(scan, read, "round {round}");
                }
                None => {
                    declined += 1;
                    assert!(body.contains(&b'"'), "round {round}: declined a file without quotes");
                }
            }
        }
        assert!(scanned > 250 && declined > 50, "{scanned} scanned, {declined} declined");
    }

    #[test]
    fn ids_that_look_alike_do_not_collide_and_spread_evenly() {
        let mut hashes: Vec<u64> = (0..2_000_000u32)
            .flat_map(|i| [format!("P{i}"), format!("p{i:08}"), format!("participant-{i:012}")])
            .map(|id| hash(id.as_bytes()))
            .collect();
        let n = hashes.len();
        // Each of 64 leading-bit buckets gets its share, within a few percent.
        let mut counts = [0usize; 64];
        hashes.iter().for_each(|h| counts[(h >> 58) as usize] += 1);
        assert!(counts.iter().all(|&c| c.abs_diff(n / 64) < n / 64 / 20), "{counts:?}");
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), n);
    }
}
