//! A hash as the engine stores it: a [`Listpack`] while small, a
//! [`ScanTable`] past Redis's limits, converted at exactly the points where
//! the model's `HashValue` converts (and, as there and in Redis, never back).

use bytes::Bytes;
use redsim_model::reference::shared::{mix_digest, value_digest, xor_digest};
use redsim_model::reference::{HashValue, Value};
use redsim_model::EngineConfig;

use super::listpack::{self, Listpack};
use super::table::{self, Pair, ScanTable};
use crate::store::lookahead::MemberHint;
use crate::store::prefetch::prefetch;

/// `hash-max-listpack-entries` and `hash-max-listpack-value`, as in force
/// for the command at hand.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl Limits {
    pub fn from_config(config: &EngineConfig) -> Limits {
        Limits { max_entries: config.hash_max_listpack_entries, max_value: config.hash_max_listpack_value }
    }

    /// True if a string this long may not live in a listpack.
    fn too_long(&self, s: &[u8]) -> bool {
        s.len() as u64 > self.max_value
    }
}

#[derive(Clone, Debug)]
pub enum HashObj {
    Listpack(Listpack),
    /// Boxed: the table is larger than a listpack, and rarer.
    Table(Box<ScanTable>),
}

impl Default for HashObj {
    /// A new hash starts as a listpack, as Redis's `createHashObject`.
    fn default() -> Self {
        HashObj::Listpack(Listpack::default())
    }
}

impl HashObj {
    pub fn len(&self) -> usize {
        match self {
            HashObj::Listpack(l) => l.len(),
            HashObj::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            HashObj::Listpack(_) => "listpack",
            HashObj::Table(_) => "hashtable",
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashObj::Listpack(l) => l.get(field),
            HashObj::Table(t) => t.get(field),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Pairs in the model's order: insertion order for a listpack, scan
    /// order for a table.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            HashObj::Listpack(l) => Iter::Listpack(l.iter()),
            HashObj::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The pairs at `positions` of [`HashObj::iter`]'s order (random draws).
    pub fn pick(&self, positions: &[usize]) -> Vec<Pair<'_>> {
        match self {
            // Few draws from a table: each found by rank.
            HashObj::Table(t) if positions.len() * 16 < t.len() => positions.iter().filter_map(|&i| t.nth(i)).collect(),
            _ => {
                let all: Vec<Pair<'_>> = self.iter().collect();
                positions.iter().filter_map(|&i| all.get(i).copied()).collect()
            }
        }
    }

    /// Redis's `hashTypeTryConversion`: before a write, any argument longer
    /// than `hash-max-listpack-value` turns a listpack into a table, even
    /// if that argument ends up not being stored.
    pub fn convert_for_args<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: Limits) {
        if matches!(self, HashObj::Listpack(_)) && args.into_iter().any(|a| limits.too_long(a)) {
            self.convert_to_table();
        }
    }

    /// Redis's `hashTypeSet`, as the model's `HashValue::set`: a listpack
    /// converts first if either string is too long, and after the write if
    /// it holds more than `hash-max-listpack-entries` pairs (after an update
    /// too, so a limit lowered by CONFIG SET applies on the next write).
    /// True if the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if matches!(self, HashObj::Listpack(_)) && (limits.too_long(field) || limits.too_long(value)) {
            self.convert_to_table();
        }
        match self {
            HashObj::Listpack(l) => {
                let added = l.set(field, value);
                if l.len() as u64 > limits.max_entries {
                    self.convert_to_table();
                }
                added
            }
            HashObj::Table(t) => t.insert(field, value),
        }
    }

    /// Removes `field`; true if it was there. Never converts back.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashObj::Listpack(l) => l.remove(field),
            HashObj::Table(t) => t.remove(field),
        }
    }

    /// One HSCAN step before MATCH: a listpack answers with all its pairs
    /// and cursor 0, whatever the cursor and COUNT.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Pair<'_>>) {
        match self {
            HashObj::Listpack(l) => (0, l.iter().collect()),
            HashObj::Table(t) => t.scan(cursor, count),
        }
    }

    /// Whether fields are looked up in a table (see [`Obj::prefetch_step`]).
    ///
    /// [`Obj::prefetch_step`]: crate::store::object::Obj::prefetch_step
    pub fn has_member_table(&self) -> bool {
        matches!(self, HashObj::Table(_))
    }

    /// The loads behind the hash's header, one step at a time: a listpack's
    /// bytes; a table's own struct, then the field's slot, then its record.
    pub fn prefetch_step(&self, step: usize, field: &mut MemberHint<'_>) {
        match (self, step) {
            (HashObj::Listpack(lp), 0) => lp.prefetch(),
            (HashObj::Table(t), 0) => prefetch(&**t),
            (HashObj::Table(t), step) => t.prefetch_member(step - 1, field),
            _ => {}
        }
    }

    /// Heap bytes owned, for INFO memory.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<HashObj>()
            + match self {
                HashObj::Listpack(l) => l.heap_bytes(),
                HashObj::Table(t) => std::mem::size_of::<ScanTable>() + t.heap_bytes(),
            }
    }

    /// The one-way listpack → table conversion.
    fn convert_to_table(&mut self) {
        if let HashObj::Listpack(l) = self {
            let mut t = ScanTable::with_capacity(l.len());
            for (f, v) in l.iter() {
                t.insert(f, v);
            }
            *self = HashObj::Table(Box::new(t));
        }
    }

    /// The model's form, in the same encoding and order.
    pub fn to_value(&self) -> HashValue {
        let pairs = self.iter().map(|(f, v)| (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))).collect();
        HashValue::from_distinct_pairs(pairs, matches!(self, HashObj::Listpack(_)))
    }

    /// A model hash in the same encoding (RDB loading, RESTORE, the bridge).
    pub fn from_value(h: &HashValue) -> HashObj {
        if h.is_listpack() {
            let mut l = Listpack::default();
            for (f, v) in h.iter() {
                l.push(f, v);
            }
            HashObj::Listpack(l)
        } else {
            let mut t = ScanTable::with_capacity(h.len());
            for (f, v) in h.iter() {
                t.insert(f, v);
            }
            HashObj::Table(Box::new(t))
        }
    }

    /// DEBUG DIGEST-VALUE, as the model's for its `HashValue` (Redis's
    /// xorObjectDigest): the type, then each pair digested on its own and
    /// XORed in, so the order does not matter; then the expire flag.
    pub fn digest_into(&self, digest: &mut [u8; 20], has_expire: bool) {
        // The model's digest of an empty hash is the type code alone.
        value_digest(digest, &Value::Hash(HashValue::default()), false);
        for (field, value) in self.iter() {
            let mut pair = [0u8; 20];
            mix_digest(&mut pair, field);
            mix_digest(&mut pair, value);
            xor_digest(digest, &pair);
        }
        if has_expire {
            xor_digest(digest, b"!!expire!!");
        }
    }
}

/// A hash's pairs in order.
pub enum Iter<'a> {
    Listpack(listpack::Iter<'a>),
    Table(table::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(i) => i.next(),
            Iter::Table(i) => i.next(),
        }
    }
}
