//! An ordered map that SCAN can walk with a numeric cursor.
//!
//! Redis's SCAN guarantees that an element present for the whole iteration is
//! returned at least once, however the map changes in between. This map keeps
//! its entries ordered by a fixed 64-bit hash of the key; a cursor is "the
//! next hash to visit", so inserts and deletes never make the walk skip a
//! survivor. The hash is fixed (not seeded per process) so that runs replay.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The position of a key in scan order: its hash first, the key to break ties.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    hash: u64,
    key: Bytes,
}

/// A map from byte-string keys to `V`, in scan order.
#[derive(Clone, Debug)]
pub struct ScanMap<V> {
    entries: BTreeMap<Slot, V>,
}

impl<V> Default for ScanMap<V> {
    fn default() -> Self {
        ScanMap { entries: BTreeMap::new() }
    }
}

/// The fixed hash that orders keys: FNV-1a, then a 64-bit finalizer so that
/// similar keys spread over the cursor space.
pub fn scan_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn slot(key: &[u8]) -> Slot {
    Slot { hash: scan_hash(key), key: Bytes::copy_from_slice(key) }
}

impl<V> ScanMap<V> {
    pub fn new() -> Self {
        ScanMap { entries: BTreeMap::new() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.entries.get(&slot(key))
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.entries.get_mut(&slot(key))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.entries.contains_key(&slot(key))
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: Bytes, value: V) -> Option<V> {
        self.entries.insert(Slot { hash: scan_hash(&key), key }, value)
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.entries.remove(&slot(key))
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries in scan order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &V)> {
        self.entries.iter().map(|(s, v)| (&s.key, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Bytes> {
        self.entries.keys().map(|s| &s.key)
    }

    /// One SCAN step: up to `count` keys from `cursor` on (more when keys share
    /// a hash, so that a cursor never splits them), and the cursor to continue
    /// from, 0 when the walk is complete.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Bytes>) {
        let start = Slot { hash: cursor, key: Bytes::new() };
        let mut out = Vec::new();
        let mut last_hash = None;
        for (s, _) in self.entries.range((Bound::Included(start), Bound::Unbounded)) {
            if out.len() >= count && last_hash != Some(s.hash) {
                // There is more to visit: continue right after the last hash.
                let next = last_hash.map_or(cursor, |h: u64| h.wrapping_add(1));
                return (next, out);
            }
            last_hash = Some(s.hash);
            out.push(s.key.clone());
        }
        (0, out)
    }

    /// A uniformly chosen key, drawn from the node's seeded generator.
    pub fn random_key(&self, rng: &mut ChaCha8Rng) -> Option<&Bytes> {
        if self.entries.is_empty() {
            return None;
        }
        let n = rng.gen_range(0..self.entries.len());
        self.entries.keys().nth(n).map(|s| &s.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_returns_every_survivor_despite_changes() {
        let mut m = ScanMap::new();
        for i in 0..500u32 {
            m.insert(Bytes::from(format!("key:{i}")), i);
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor = 0;
        let mut round = 0u32;
        loop {
            let (next, keys) = m.scan(cursor, 7);
            seen.extend(keys);
            // Churn between steps: remove some, add others.
            m.remove(format!("key:{}", round * 3 % 250).as_bytes());
            m.insert(Bytes::from(format!("new:{round}")), round);
            round += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        for i in 250..500u32 {
            assert!(seen.contains(format!("key:{i}").as_bytes()), "key:{i} missed");
        }
    }

    #[test]
    fn scan_cursor_zero_only_at_the_end() {
        let mut m = ScanMap::new();
        for i in 0..30u32 {
            m.insert(Bytes::from(format!("k{i}")), ());
        }
        let (next, keys) = m.scan(0, 10);
        assert_ne!(next, 0);
        assert_eq!(keys.len(), 10);
        let (_, all) = m.scan(0, 1000);
        assert_eq!(all.len(), 30);
    }
}
