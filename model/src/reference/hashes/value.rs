//! The hash value: field → value, stored the way OBJECT ENCODING says Redis
//! would store it.
//!
//! A small hash is a "listpack" in Redis: a flat sequence in insertion order,
//! which HGETALL, HKEYS, HVALS and HSCAN expose, so the model keeps the same
//! order in a `Vec`. Past the configured limits Redis converts it to a
//! "hashtable" (never back); the model then keeps a [`ScanMap`] so that HSCAN
//! cursors behave like Redis's (no survivor is skipped).

use bytes::Bytes;

use crate::reference::digest::{mix_digest, xor_digest};
use crate::reference::scan_map::ScanMap;

/// The thresholds that decide when a listpack becomes a hashtable
/// (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl Limits {
    pub fn from_config(config: &crate::engine::EngineConfig) -> Limits {
        Limits { max_entries: config.hash_max_listpack_entries, max_value: config.hash_max_listpack_value }
    }

    /// True if a string this long may not live in a listpack.
    fn too_long(&self, s: &[u8]) -> bool {
        s.len() as u64 > self.max_value
    }
}

#[derive(Clone, Debug)]
enum Repr {
    /// Pairs in insertion order (a replaced value keeps its field's place).
    Listpack(Vec<(Bytes, Bytes)>),
    /// Field → value in scan order.
    Table(ScanMap<Bytes>),
}

/// A value of the hash type.
#[derive(Clone, Debug)]
pub struct HashValue {
    repr: Repr,
}

impl Default for HashValue {
    /// A new hash starts as a listpack, as Redis's `createHashObject`.
    fn default() -> Self {
        HashValue { repr: Repr::Listpack(Vec::new()) }
    }
}

impl PartialEq for HashValue {
    /// Equal contents in the same encoding (ScanMap's order is a function of
    /// its contents, so comparing iterations is enough).
    fn eq(&self, other: &Self) -> bool {
        self.encoding_name() == other.encoding_name() && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl HashValue {
    /// A hash in the given encoding holding `pairs` (fields must be
    /// distinct), in their order when a listpack. RDB loading uses it: there
    /// Redis decides the encoding from the file, not from the commands'
    /// conversion rules.
    pub fn from_distinct_pairs(pairs: Vec<(Bytes, Bytes)>, listpack: bool) -> HashValue {
        if listpack {
            return HashValue { repr: Repr::Listpack(pairs) };
        }
        let mut m = ScanMap::new();
        for (f, v) in pairs {
            m.insert(f, v);
        }
        HashValue { repr: Repr::Table(m) }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(v) => v.len(),
            Repr::Table(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// True while the hash is a listpack, whose order clients can observe.
    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack(_))
    }

    /// Mixes this value into a DEBUG DIGEST-VALUE digest, as Redis's
    /// xorObjectDigest: each pair is digested on its own (field, then value,
    /// chained) and the pair digests are XORed, so the order does not matter.
    pub fn digest_into(&self, digest: &mut [u8; 20]) {
        for (field, value) in self.iter() {
            let mut pair = [0u8; 20];
            mix_digest(&mut pair, field);
            mix_digest(&mut pair, value);
            xor_digest(digest, &pair);
        }
    }

    /// Rough memory use in bytes, for INFO memory.
    pub fn approx_bytes(&self) -> usize {
        let per_entry = if self.is_listpack() { 4 } else { 48 };
        self.iter().map(|(f, v)| f.len() + v.len() + per_entry).sum()
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(v) => v.iter().find(|(f, _)| f[..] == *field).map(|(_, v)| &v[..]),
            Repr::Table(m) => m.get(field).map(|v| &v[..]),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Pairs in the order Redis iterates them: insertion order for a
    /// listpack, scan order for a hashtable.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(v) => Box::new(v.iter().map(|(f, v)| (&f[..], &v[..]))),
            Repr::Table(m) => Box::new(m.iter().map(|(f, v)| (&f[..], &v[..]))),
        }
    }

    /// The pair at position `i` of [`HashValue::iter`]'s order (HRANDFIELD's draws).
    pub fn nth(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.iter().nth(i)
    }

    /// Redis's `hashTypeTryConversion`: before a write, any argument longer
    /// than `hash-max-listpack-value` turns a listpack into a hashtable, even
    /// if that argument ends up not being stored.
    pub fn convert_for_args<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: Limits) {
        if self.is_listpack() && args.into_iter().any(|a| limits.too_long(a)) {
            self.convert_to_table();
        }
    }

    /// Redis's `hashTypeSet`: sets `field` to `value`, returning true if the
    /// field is new. A listpack converts first if either string is too long
    /// (HINCRBY* reach here without the argument check), and after the insert
    /// if it holds more than `hash-max-listpack-entries` fields (also after an
    /// update, so a limit lowered by CONFIG SET applies on the next write).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if self.is_listpack() && (limits.too_long(field) || limits.too_long(value)) {
            self.convert_to_table();
        }
        let value = Bytes::copy_from_slice(value);
        match &mut self.repr {
            Repr::Listpack(pairs) => {
                let added = match pairs.iter_mut().find(|(f, _)| f[..] == *field) {
                    Some(slot) => {
                        slot.1 = value;
                        false
                    }
                    None => {
                        pairs.push((Bytes::copy_from_slice(field), value));
                        true
                    }
                };
                // Checked after updates too: a lowered limit converts on the next write.
                if pairs.len() as u64 > limits.max_entries {
                    self.convert_to_table();
                }
                added
            }
            Repr::Table(m) => m.insert(Bytes::copy_from_slice(field), value).is_none(),
        }
    }

    /// Removes `field`; true if it was there. Never converts back.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(pairs) => match pairs.iter().position(|(f, _)| f[..] == *field) {
                Some(i) => {
                    pairs.remove(i);
                    true
                }
                None => false,
            },
            Repr::Table(m) => m.remove(field).is_some(),
        }
    }

    /// One HSCAN step before MATCH filtering: a listpack answers with all
    /// its pairs and cursor 0 whatever the cursor and COUNT; a hashtable
    /// walks its scan order from `cursor`.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(Bytes, Bytes)>) {
        match &self.repr {
            Repr::Listpack(pairs) => (0, pairs.clone()),
            Repr::Table(m) => {
                let (next, fields) = m.scan(cursor, count);
                let pairs = fields
                    .into_iter()
                    .filter_map(|f| {
                        let v = m.get(&f)?.clone();
                        Some((f, v))
                    })
                    .collect();
                (next, pairs)
            }
        }
    }

    /// The one-way listpack → hashtable conversion.
    fn convert_to_table(&mut self) {
        if let Repr::Listpack(pairs) = &mut self.repr {
            let mut m = ScanMap::new();
            for (f, v) in std::mem::take(pairs) {
                m.insert(f, v);
            }
            self.repr = Repr::Table(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits { max_entries: 3, max_value: 5 };

    fn pairs(h: &HashValue) -> Vec<(String, String)> {
        h.iter()
            .map(|(f, v)| (String::from_utf8_lossy(f).into_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    #[test]
    fn listpack_keeps_insertion_order_and_replaces_in_place() {
        let mut h = HashValue::default();
        assert!(h.set(b"b", b"1", SMALL));
        assert!(h.set(b"a", b"2", SMALL));
        assert!(!h.set(b"b", b"3", SMALL));
        assert_eq!(pairs(&h), [("b".into(), "3".into()), ("a".into(), "2".into())]);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert!(h.set(b"b", b"4", SMALL));
        assert_eq!(pairs(&h), [("a".into(), "2".into()), ("b".into(), "4".into())]);
        assert_eq!(h.encoding_name(), "listpack");
    }

    #[test]
    fn converts_past_entry_limit_and_never_back() {
        let mut h = HashValue::default();
        for f in [b"a", b"b", b"c"] {
            h.set(f, b"v", SMALL);
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"d", b"v", SMALL);
        assert_eq!(h.encoding_name(), "hashtable");
        h.remove(b"d");
        h.remove(b"c");
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"a"), Some(&b"v"[..]));
    }

    #[test]
    fn converts_on_long_field_or_value_even_when_updating() {
        let mut h = HashValue::default();
        h.set(b"a", b"12345", SMALL);
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"a", b"123456", SMALL);
        assert_eq!(h.encoding_name(), "hashtable");
        let mut h = HashValue::default();
        h.convert_for_args([&b"x"[..], &b"toolong"[..]], SMALL);
        assert_eq!(h.encoding_name(), "hashtable");
        assert!(h.is_empty());
    }

    #[test]
    fn zero_entry_limit_converts_on_first_insert() {
        let mut h = HashValue::default();
        h.set(b"", b"", Limits { max_entries: 0, max_value: 0 });
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn listpack_scan_returns_everything_with_cursor_zero() {
        let mut h = HashValue::default();
        for f in [b"x", b"y"] {
            h.set(f, b"1", SMALL);
        }
        let (cursor, got) = h.scan(12345, 1);
        assert_eq!(cursor, 0);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn table_scan_walks_all_fields() {
        let mut h = HashValue::default();
        for i in 0..50 {
            h.set(format!("f{i}").as_bytes(), b"v", SMALL);
        }
        let mut cursor = 0;
        let mut seen = std::collections::BTreeSet::new();
        loop {
            let (next, got) = h.scan(cursor, 7);
            assert!(got.len() <= 8);
            seen.extend(got.into_iter().map(|(f, _)| f));
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 50);
    }

    #[test]
    fn equality_depends_on_encoding_and_contents() {
        let mut a = HashValue::default();
        let mut b = HashValue::default();
        a.set(b"f", b"1", SMALL);
        b.set(b"f", b"1", SMALL);
        assert_eq!(a, b);
        b.set(b"f", b"1234567", SMALL);
        b.set(b"f", b"1", SMALL);
        assert_ne!(a, b);
    }
}
