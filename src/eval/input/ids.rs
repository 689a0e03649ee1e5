//! The index of participant ids: where each id stands in the participants file, and which ids
//! are duplicated, from one quick pass over the file's `id` column before anything else.
//!
//! It holds a 64-bit hash of each id, never the id: 16 bytes per participant and a directory
//! of about 1 byte (17 MB for a million), instead of the ids themselves. Two different ids with the same hash cannot be told
//! apart by the index; the chance with a million ids is about one in 37 million (n²/2⁶⁵), and
//! such a pair is caught and reported as an error rather than merged (see `TimelineReader`).

use super::Errors;
use super::rows::Rows;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;

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

/// SipHash with fixed keys (`DefaultHasher::new`): the same in every run, and a real
/// pseudo-random function, so that ids that look alike (`P0000001`, `P0000002`) collide no
/// more often than any others.
pub(super) fn hash(id: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(id);
    hasher.finish()
}

impl IdIndex {
    /// Reads every row of the participants file (`rows`, slot 0 = `id`). Rows are numbered
    /// (ordinals) exactly as the main pass will number them; rows without an id get no entry.
    pub(super) fn build(mut rows: Rows) -> IdIndex {
        let mut ignored = Errors::default();
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut ordinal: u32 = 0;
        while rows.next(&mut ignored) {
            if let Some(id) = rows.cell(0).key_bytes() {
                pairs.push((hash(id), ordinal));
            }
            ordinal = ordinal.saturating_add(1);
        }
        pairs.sort_unstable();
        let mut repeats = BTreeMap::new();
        let mut repeated = BTreeSet::new();
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

    pub(super) fn rows(&self) -> u32 {
        self.rows
    }
}

fn prefix_of(hash: u64, bits: u32) -> u64 {
    if bits == 0 { 0 } else { hash >> (64 - bits) }
}
