//! The "hashtable" encoding of hashes (and, with empty values, of sets):
//! a hash table whose slots stay sorted by the key's scan hash.
//!
//! Clients can see the order of a large hash or set (HGETALL, SMEMBERS,
//! HSCAN/SSCAN cursors, which element the i-th random draw names), and the
//! model orders them by `(scan_hash(key), key)` (its `ScanMap`). This table
//! keeps exactly that order with ordered linear probing (Amble and Knuth):
//! a key's home slot is its scan hash scaled to the number of home slots
//! (so the homes follow the hashes' order), and a run of slots
//! is kept sorted, so the slot array read from start to end *is* the
//! model's order. That gives, without a tree:
//!
//! - lookups that start at the home slot and stop at the first larger hash;
//! - SCAN cursors that are hash values, as the model's: a cursor is "the
//!   next hash to visit" whatever the table's size or changes in between;
//! - the i-th entry in O(log n) with [`Ranks`] over blocks of slots.
//!
//! The table never wraps around: a run that reaches the end of the array
//! grows the array by a slot, so the order holds from slot 0 to the end.
//!
//! Entries are stored compactly: each slot is 16 bytes (the hash and the
//! offset of the entry's record), and the records — key and value, each
//! behind a varint length — are packed one after another in one buffer.
//! Removing or resizing a value leaves a dead record behind; the buffer is
//! compacted when more than half of it is dead.

use redsim_model::reference::scan_map::scan_hash;

use super::ranks::{Ranks, BLOCK};
use crate::store::lookahead::MemberHint;
use crate::store::prefetch::prefetch;

/// A field (or member) and its value, as stored.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// The offset of a free slot.
const FREE: u64 = u64::MAX;
/// The smallest table, in home slots.
const MIN_HOMES: usize = 8;
/// Below this many dead record bytes, compacting is not worth its while.
/// Kept small: a small set or hash under SADD/SREM churn carries this much
/// garbage for ever, which at 4 KiB was several times a 50-member set.
const MIN_COMPACT: usize = 256;

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// `scan_hash` of the key.
    hash: u64,
    /// Where the record starts in `records`, or [`FREE`].
    at: u64,
}

impl Slot {
    const EMPTY: Slot = Slot { hash: 0, at: FREE };

    fn is_free(&self) -> bool {
        self.at == FREE
    }
}

/// Byte-string keys to byte-string values, in the model's scan order.
#[derive(Clone, Debug)]
pub struct ScanTable {
    /// At least `homes` slots, sorted by (hash, key) over the used ones.
    slots: Vec<Slot>,
    /// The number of home slots: between 1/4 and 7/8 of them are used (any
    /// number will do, not only powers of two, so growth can be by half).
    homes: usize,
    len: usize,
    /// Records: varint key length, key, varint value length, value.
    records: Vec<u8>,
    /// Bytes of `records` no slot points to any more.
    dead: usize,
    /// Used slots per block of slots.
    ranks: Ranks,
}

impl Default for ScanTable {
    fn default() -> Self {
        ScanTable::with_capacity(0)
    }
}

/// Where a key is, or where it would go.
enum Probe {
    Found(usize),
    Vacant(usize),
}

impl ScanTable {
    /// An empty table sized for `n` entries.
    pub fn with_capacity(n: usize) -> ScanTable {
        let homes = homes_for(n);
        let slots = empty_slots(homes);
        let ranks = Ranks::build(std::iter::repeat_n(0, slots.len().div_ceil(BLOCK)));
        ScanTable { slots, homes, len: 0, records: Vec::new(), dead: 0, ranks }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        match self.probe(scan_hash(key), key) {
            Probe::Found(i) => Some(self.record(self.slots[i].at).1),
            Probe::Vacant(_) => None,
        }
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        matches!(self.probe(scan_hash(key), key), Probe::Found(_))
    }

    /// Sets `key` to `value`; true if the key is new.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> bool {
        self.upsert(key, value, |_| ()).is_none()
    }

    /// Sets `key` to `value`. If the key was there, its old value is first
    /// handed to `old`, whose result is returned: one probe where a lookup
    /// and an insert would take two.
    pub fn upsert<T>(&mut self, key: &[u8], value: &[u8], old: impl FnOnce(&[u8]) -> T) -> Option<T> {
        let hash = scan_hash(key);
        let mut at = match self.probe(hash, key) {
            Probe::Found(i) => {
                let seen = old(self.record(self.slots[i].at).1);
                self.replace_value(i, value);
                return Some(seen);
            }
            Probe::Vacant(i) => i,
        };
        if (self.len + 1) * 8 > self.homes * 7 {
            self.rebuild(self.homes + self.homes / 2);
            at = match self.probe(hash, key) {
                Probe::Vacant(i) => i,
                Probe::Found(_) => unreachable!("the key was absent before the resize"),
            };
        }
        let record = self.append_record(key, value);
        // Shift the run from `at` up to the next free slot one place right.
        let free = match self.slots[at..].iter().position(Slot::is_free) {
            Some(n) => at + n,
            None => {
                self.slots.push(Slot::EMPTY);
                self.slots.len() - 1
            }
        };
        self.slots.copy_within(at..free, at + 1);
        self.slots[at] = Slot { hash, at: record };
        self.len += 1;
        if free / BLOCK >= self.ranks.blocks() {
            self.ranks = ranks_of(&self.slots);
        } else {
            self.ranks.change(free / BLOCK, true);
        }
        None
    }

    /// Removes `key`; true if it was there.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.remove_with(key, |_| ()).is_some()
    }

    /// Removes `key`, handing its value to `old` first, whose result is
    /// returned (`None` if the key was not there).
    pub fn remove_with<T>(&mut self, key: &[u8], old: impl FnOnce(&[u8]) -> T) -> Option<T> {
        let Probe::Found(mut hole) = self.probe(scan_hash(key), key) else {
            return None;
        };
        let seen = old(self.record(self.slots[hole].at).1);
        self.dead += self.record_len(self.slots[hole].at);
        // Backward shift: displaced followers move one slot nearer home.
        loop {
            let next = hole + 1;
            match self.slots.get(next) {
                Some(s) if !s.is_free() && self.home(s.hash) < next => {
                    self.slots[hole] = *s;
                    hole = next;
                }
                _ => break,
            }
        }
        self.slots[hole] = Slot::EMPTY;
        self.ranks.change(hole / BLOCK, false);
        self.len -= 1;
        if self.homes > MIN_HOMES && self.len * 4 < self.homes {
            self.rebuild(homes_for(self.len));
        } else if self.dead > MIN_COMPACT && self.dead * 2 > self.records.len() {
            self.rebuild(self.homes);
        }
        Some(seen)
    }

    /// Entries in the model's order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { slots: self.slots.iter(), table: self, left: self.len }
    }

    /// The entry at position `i` of [`ScanTable::iter`]'s order.
    pub fn nth(&self, i: usize) -> Option<Pair<'_>> {
        if i >= self.len {
            return None;
        }
        let (block, mut rank) = self.ranks.find(i);
        for s in self.slots.iter().skip(block * BLOCK) {
            if s.is_free() {
                continue;
            }
            if rank == 0 {
                return Some(self.record(s.at));
            }
            rank -= 1;
        }
        None
    }

    /// One SCAN step, as the model's `ScanMap::scan`: from the first key
    /// whose hash is at least `cursor`, `count` entries (more when keys share
    /// a hash, so that a cursor never splits them), and the cursor to go on
    /// from (0 once the end is reached).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Pair<'_>>) {
        // Keys before the cursor's home slot all hash below the cursor.
        let start = self.home(cursor);
        let mut out = Vec::new();
        let mut last_hash = None;
        for s in self.slots.iter().skip(start).filter(|s| !s.is_free() && s.hash >= cursor) {
            if out.len() >= count && last_hash != Some(s.hash) {
                let next = last_hash.map_or(cursor, |h: u64| h.wrapping_add(1));
                return (next, out);
            }
            last_hash = Some(s.hash);
            out.push(self.record(s.at));
        }
        (0, out)
    }

    /// Heap bytes owned, for INFO memory.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>() + self.records.capacity() + self.ranks.heap_bytes()
    }

    // ---- inside the table ----

    fn home(&self, hash: u64) -> usize {
        home(hash, self.homes)
    }

    /// Step `step` of a lookup of `member`, started ahead (see
    /// `store/lookahead.rs`): 0 loads the slot where the probe begins, 1
    /// the record that slot points to, where most lookups end (best once
    /// step 0 had time to bring the slot in).
    pub fn prefetch_member(&self, step: usize, member: &mut MemberHint<'_>) {
        let Some(hash) = member.hash() else { return };
        let Some(slot) = self.slots.get(self.home(hash)) else { return };
        match step {
            0 => prefetch(slot),
            1 => {
                if let Some(record) = self.records.get(slot.at as usize) {
                    prefetch(record);
                }
            }
            _ => {}
        }
    }

    /// Finds `key`: its slot, or the slot where it belongs in the order.
    fn probe(&self, hash: u64, key: &[u8]) -> Probe {
        let mut i = self.home(hash);
        while let Some(s) = self.slots.get(i) {
            if s.is_free() || s.hash > hash {
                return Probe::Vacant(i);
            }
            if s.hash == hash {
                match self.record(s.at).0.cmp(key) {
                    std::cmp::Ordering::Equal => return Probe::Found(i),
                    std::cmp::Ordering::Greater => return Probe::Vacant(i),
                    std::cmp::Ordering::Less => {}
                }
            }
            i += 1;
        }
        Probe::Vacant(i)
    }

    /// The key and value of the record at `at`.
    fn record(&self, at: u64) -> Pair<'_> {
        let (key, rest) = split_prefixed(&self.records[at as usize..]);
        let (value, _) = split_prefixed(rest);
        (key, value)
    }

    fn record_len(&self, at: u64) -> usize {
        let (key, value) = self.record(at);
        varint_len(key.len()) + key.len() + varint_len(value.len()) + value.len()
    }

    fn append_record(&mut self, key: &[u8], value: &[u8]) -> u64 {
        let at = self.records.len() as u64;
        put_prefixed(&mut self.records, key);
        put_prefixed(&mut self.records, value);
        at
    }

    /// A new value for the key in slot `i`: written over the old one when
    /// it has the same length, else in a new record.
    fn replace_value(&mut self, i: usize, value: &[u8]) {
        let at = self.slots[i].at;
        let (key, old) = self.record(at);
        if old.len() == value.len() {
            let start = at as usize + varint_len(key.len()) + key.len() + varint_len(old.len());
            self.records[start..start + value.len()].copy_from_slice(value);
            return;
        }
        let key = key.to_vec();
        self.dead += self.record_len(at);
        self.slots[i].at = self.append_record(&key, value);
        if self.dead > MIN_COMPACT && self.dead * 2 > self.records.len() {
            self.rebuild(self.homes);
        }
    }

    /// Lays the entries out again in a table of `homes` home slots,
    /// with their records packed anew. The slots are already in order, so
    /// each one goes to its new home or right after the previous entry.
    fn rebuild(&mut self, homes: usize) {
        let homes = homes.max(MIN_HOMES);
        let mut slots = empty_slots(homes);
        let mut records = Vec::with_capacity(self.records.len() - self.dead);
        let mut next = 0;
        for s in self.slots.iter().filter(|s| !s.is_free()) {
            let (key, value) = self.record(s.at);
            let at = records.len() as u64;
            put_prefixed(&mut records, key);
            put_prefixed(&mut records, value);
            let i = next.max(home(s.hash, homes));
            if i >= slots.len() {
                slots.push(Slot::EMPTY);
            }
            slots[i] = Slot { hash: s.hash, at };
            next = i + 1;
        }
        self.slots = slots;
        self.homes = homes;
        self.records = records;
        self.dead = 0;
        self.ranks = ranks_of(&self.slots);
    }
}

/// A table's entries in order.
pub struct Iter<'a> {
    slots: std::slice::Iter<'a, Slot>,
    table: &'a ScanTable,
    /// Entries not yet returned.
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.slots.find(|s| !s.is_free())?;
        self.left -= 1;
        Some(self.table.record(s.at))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// The home slot of `hash` among `homes`: the hash scaled down, so that
/// larger hashes never have earlier homes.
fn home(hash: u64, homes: usize) -> usize {
    ((hash as u128 * homes as u128) >> 64) as usize
}

/// `homes` free slots, with room for a few more past the last home: a run
/// that reaches the end adds a slot, which should not double the array.
fn empty_slots(homes: usize) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(homes + BLOCK);
    slots.resize(homes, Slot::EMPTY);
    slots
}

/// The number of home slots for `n` entries: two thirds full.
fn homes_for(n: usize) -> usize {
    n.saturating_add(n / 2).max(MIN_HOMES)
}

fn ranks_of(slots: &[Slot]) -> Ranks {
    Ranks::build(slots.chunks(BLOCK).map(|c| c.iter().filter(|s| !s.is_free()).count() as u32))
}

/// Appends `bytes` behind its length as a LEB128 varint.
pub fn put_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut n = bytes.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(bytes);
}

/// Splits a varint-prefixed string off the front of `buf`: (string, rest).
/// The buffers are only ever written by [`put_prefixed`].
pub fn split_prefixed(buf: &[u8]) -> (&[u8], &[u8]) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = 0;
    while let Some(&b) = buf.get(i) {
        if shift < usize::BITS {
            n |= ((b & 0x7f) as usize) << shift;
        }
        i += 1;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let end = (i + n).min(buf.len());
    (&buf[i..end], &buf[end..])
}

/// Bytes taken by the varint of `n`.
pub fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs near the last home slot spill past it: the array grows by a
    /// slot instead of wrapping, and the order still holds from the start.
    #[test]
    fn runs_spill_past_the_last_home_without_wrapping() {
        let mut t = ScanTable::default();
        let mut spilled = false;
        for i in 0..5000u32 {
            t.insert(format!("k{i}").as_bytes(), b"");
            spilled |= t.slots.len() > t.homes;
        }
        assert!(spilled, "no run reached the end of the array");
        let hashes: Vec<u64> = t.slots.iter().filter(|s| !s.is_free()).map(|s| s.hash).collect();
        assert!(hashes.windows(2).all(|w| w[0] <= w[1]));
        for i in 0..5000u32 {
            assert!(t.remove(format!("k{i}").as_bytes()), "k{i}");
        }
        assert_eq!((t.len(), t.iter().count()), (0, 0));
    }
}
