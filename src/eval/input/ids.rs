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
        // A comparison sort, in place: a bucket sort was some 20 instructions an event
        // quicker but needed a second array, 16 MB more at the peak for a million ids.
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

    /// Whether any id is on more than one row.
    #[inline]
    pub(super) fn has_repeats(&self) -> bool {
        !self.repeats.is_empty()
    }

    pub(super) fn rows(&self) -> u32 {
        self.rows
    }
}

fn prefix_of(hash: u64, bits: u32) -> u64 {
    if bits == 0 { 0 } else { hash >> (64 - bits) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
