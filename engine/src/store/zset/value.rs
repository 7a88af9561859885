//! The native sorted set and its two encodings, with the model's rules
//! (`model/src/reference/sorted_sets/value.rs`): one-way listpack → skiplist
//! conversion, checked before a new member goes in; a listpack writes a zero
//! score as `0`, so `-0` survives only in a skiplist; ZSCAN answers a whole
//! listpack at once, and walks a skiplist's member map by cursor.

use bytes::Bytes;
use redsim_model::engine::EngineConfig;
use redsim_model::num::fmt_g17;
use redsim_model::reference::shared::{mix_digest, value_digest, xor_digest};
use redsim_model::reference::{Value, ZSetValue};

use super::super::hash::table::ScanTable;
use super::packed::Packed;
use super::tree::Tree;
use crate::store::lookahead::MemberHint;

/// `zset-max-listpack-entries` and `zset-max-listpack-value`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl Limits {
    pub fn from_config(config: &EngineConfig) -> Limits {
        Limits { max_entries: config.zset_max_listpack_entries, max_value: config.zset_max_listpack_value }
    }
}

/// The large form ("skiplist"): member → score for lookups and ZSCAN's
/// cursor (the model's scan order, kept by the hashes' and sets' packed
/// table, the score as its 8-byte value), and the ordered tree for ranks.
#[derive(Clone, Debug, Default)]
pub struct Large {
    dict: ScanTable,
    tree: Tree,
}

/// A score as the member table stores it.
fn score_bytes(score: f64) -> [u8; 8] {
    score.to_bits().to_le_bytes()
}

fn score_of(bytes: &[u8]) -> f64 {
    f64::from_bits(u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8])))
}

impl Large {
    fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).map(score_of)
    }
}

/// A sorted set.
#[derive(Clone, Debug)]
pub enum ZSetObj {
    Listpack(Packed),
    Skiplist(Large),
}

impl Default for ZSetObj {
    fn default() -> Self {
        ZSetObj::Listpack(Packed::default())
    }
}

/// A score as a listpack stores it (Redis's `d2string`), as the model's
/// private `listpack_text`: integral values within ±2^62 as integers.
fn listpack_text(score: f64) -> String {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if (-LIMIT..=LIMIT).contains(&score) && score.trunc() == score {
        (score as i64).to_string()
    } else {
        fmt_g17(score)
    }
}

impl ZSetObj {
    /// A result stored by a *STORE command: a listpack if it fits.
    pub fn from_pairs(pairs: Vec<(Bytes, f64)>, limits: Limits) -> ZSetObj {
        let longest = pairs.iter().map(|(m, _)| m.len()).max().unwrap_or(0) as u64;
        let small = pairs.len() as u64 <= limits.max_entries && longest <= limits.max_value;
        let mut z = if small { ZSetObj::default() } else { ZSetObj::Skiplist(Large::default()) };
        for (m, s) in pairs {
            z.put(&m, s);
        }
        z
    }

    /// The model's value, in the same encoding.
    pub fn from_value(v: &ZSetValue) -> ZSetObj {
        let mut z = if v.is_listpack() { ZSetObj::default() } else { ZSetObj::Skiplist(Large::default()) };
        for (m, s) in v.iter() {
            z.put(m, s);
        }
        z
    }

    /// This set in the model's form.
    pub fn to_value(&self) -> ZSetValue {
        let pairs = self.iter().map(|(m, s)| (Bytes::copy_from_slice(m), s));
        ZSetValue::from_distinct_pairs(pairs, self.is_listpack())
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSetObj::Listpack(_))
    }

    pub fn encoding_name(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "skiplist"
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSetObj::Listpack(p) => p.len(),
            ZSetObj::Skiplist(l) => l.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetObj::Listpack(p) => p.score(member),
            ZSetObj::Skiplist(l) => l.score(member),
        }
    }

    /// Adds `member` or changes its score; a new member may first convert
    /// the listpack (Redis checks before inserting).
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) {
        if let ZSetObj::Listpack(p) = self {
            if p.score(member).is_none()
                && (p.len() as u64 + 1 > limits.max_entries || member.len() as u64 > limits.max_value)
            {
                self.convert();
            }
        }
        self.put(member, score);
    }

    /// The one-way listpack → skiplist conversion.
    pub fn convert(&mut self) {
        if let ZSetObj::Listpack(p) = self {
            let mut large = Large::default();
            for (m, s) in p.iter() {
                large.put(m, s);
            }
            *self = ZSetObj::Skiplist(large);
        }
    }

    /// Stores a score without any conversion check.
    fn put(&mut self, member: &[u8], score: f64) {
        match self {
            // A listpack holds the score as text, where zero is "0".
            ZSetObj::Listpack(p) => p.put(member, if score == 0.0 { 0.0 } else { score }),
            ZSetObj::Skiplist(l) => l.put(member, score),
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetObj::Listpack(p) => p.remove(member),
            ZSetObj::Skiplist(l) => {
                let s = l.dict.remove_with(member, score_of)?;
                l.tree.remove(s, member);
                Some(s)
            }
        }
    }

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSetObj::Listpack(p) => p.iter().position(|(m, _)| m == member),
            ZSetObj::Skiplist(l) => l.score(member).map(|s| l.tree.rank(s, member)),
        }
    }

    /// Ascending entries.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSetObj::Listpack(p) => Box::new(p.iter()),
            ZSetObj::Skiplist(l) => Box::new(l.tree.iter()),
        }
    }

    /// Random access for range walks: the listpack is copied into a list
    /// of slices (it is small), the tree answers by rank.
    pub fn view(&self) -> View<'_> {
        match self {
            ZSetObj::Listpack(p) => View::Flat(p.iter().collect()),
            ZSetObj::Skiplist(l) => View::Tree(&l.tree),
        }
    }

    /// Removes and returns the lowest (or, with `max`, highest) entry.
    pub fn pop(&mut self, max: bool) -> Option<(Bytes, f64)> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let (m, s) = self.view().at(if max { n - 1 } else { 0 });
        let m = Bytes::copy_from_slice(m);
        self.remove(&m);
        Some((m, s))
    }

    /// One ZSCAN step, scores as the text Redis sends.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(Bytes, String)>) {
        match self {
            ZSetObj::Listpack(p) => (0, p.iter().map(|(m, s)| (Bytes::copy_from_slice(m), listpack_text(s))).collect()),
            ZSetObj::Skiplist(l) => {
                let (next, pairs) = l.dict.scan(cursor, count);
                let pairs = pairs.into_iter().map(|(m, s)| (Bytes::copy_from_slice(m), fmt_g17(score_of(s)))).collect();
                (next, pairs)
            }
        }
    }

    /// DEBUG DIGEST-VALUE as the model computes it for its `ZSetValue`.
    pub fn digest_into(&self, digest: &mut [u8; 20], has_expire: bool) {
        // The type code alone: the digest of an empty set.
        value_digest(digest, &Value::ZSet(ZSetValue::default()), false);
        for (member, score) in self.iter() {
            let mut ele = [0u8; 20];
            mix_digest(&mut ele, member);
            mix_digest(&mut ele, fmt_g17(score).as_bytes());
            xor_digest(digest, &ele);
        }
        if has_expire {
            xor_digest(digest, b"!!expire!!");
        }
    }

    /// Whether members are looked up in a table (see `Obj::prefetch_step`).
    pub fn has_member_table(&self) -> bool {
        matches!(self, ZSetObj::Skiplist(_))
    }

    /// The loads behind the sorted set's header, one step at a time: a
    /// listpack's bytes; the member's slot and the tree's root, then the
    /// member's record and the root's separators.
    pub fn prefetch_step(&self, step: usize, member: &mut MemberHint<'_>) {
        match (self, step) {
            (ZSetObj::Listpack(p), 0) => p.prefetch(),
            (ZSetObj::Skiplist(l), 0) => {
                l.dict.prefetch_member(0, member);
                l.tree.prefetch_root();
            }
            (ZSetObj::Skiplist(l), 1) => {
                l.dict.prefetch_member(1, member);
                l.tree.prefetch_separators();
            }
            _ => {}
        }
    }

    /// Bytes allocated, for INFO memory.
    pub fn heap_bytes(&self) -> usize {
        match self {
            ZSetObj::Listpack(p) => p.heap_bytes(),
            ZSetObj::Skiplist(l) => l.tree.heap_bytes() + l.dict.heap_bytes(),
        }
    }
}

impl Large {
    fn put(&mut self, member: &[u8], score: f64) {
        match self.dict.upsert(member, &score_bytes(score), score_of) {
            Some(old) if old.to_bits() == score.to_bits() => return,
            Some(old) => {
                self.tree.remove(old, member);
            }
            None => {}
        }
        self.tree.insert(member, score);
    }
}

/// Entries by rank.
pub enum View<'a> {
    Flat(Vec<(&'a [u8], f64)>),
    Tree(&'a Tree),
}

impl<'a> View<'a> {
    pub fn len(&self) -> usize {
        match self {
            View::Flat(v) => v.len(),
            View::Tree(t) => t.len(),
        }
    }

    /// The entry at rank `i` (< len).
    pub fn at(&self, i: usize) -> (&'a [u8], f64) {
        match self {
            View::Flat(v) => v[i],
            View::Tree(t) => t.at(i).unwrap_or((&[], 0.0)),
        }
    }

    /// The first rank whose entry satisfies `pred`, for a predicate that is
    /// false and then true along the order (see [`Tree::first_where`]).
    pub fn first_where(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        match self {
            View::Flat(v) => v.partition_point(|&(m, s)| !pred(m, s)),
            View::Tree(t) => t.first_where(pred),
        }
    }

    /// Entries from rank `i` (< len) upward, or downward to rank 0 when `rev`.
    pub fn walk_from(&self, i: usize, rev: bool) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + '_> {
        match self {
            View::Flat(v) if rev => Box::new(v[..=i].iter().rev().copied()),
            View::Flat(v) => Box::new(v[i..].iter().copied()),
            View::Tree(t) => Box::new(t.walk_from(i, rev)),
        }
    }
}
