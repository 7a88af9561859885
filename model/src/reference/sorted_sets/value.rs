//! The sorted set value: members with scores, ordered by (score, member).
//!
//! Redis keeps a small sorted set as a "listpack" (a flat sorted sequence of
//! member, score pairs) and converts it, one way, to a "skiplist" (a skip list
//! plus a hashtable) when it grows past `zset-max-listpack-entries` or gets a
//! member longer than `zset-max-listpack-value`. Two things make the
//! encoding observable besides OBJECT ENCODING:
//!
//! - a listpack stores scores as text, and Redis writes a zero score there as
//!   "0", so `-0` becomes `0` in a listpack but stays `-0` in a skiplist;
//! - ZSCAN returns a whole listpack in one call, while a skiplist is scanned
//!   through its hashtable with a cursor (here the [`ScanMap`]).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use bytes::Bytes;

use crate::engine::EngineConfig;
use crate::num::fmt_g17;
use crate::reference::digest::{mix_digest, xor_digest};
use crate::reference::scan_map::ScanMap;

/// How Redis would store the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Listpack,
    Skiplist,
}

/// The thresholds that decide when a listpack becomes a skiplist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl Limits {
    pub fn from_config(config: &EngineConfig) -> Limits {
        Limits { max_entries: config.zset_max_listpack_entries, max_value: config.zset_max_listpack_value }
    }

    /// Whether a set of `len` members, the longest `longest` bytes, fits a listpack.
    pub fn fits(&self, len: usize, longest: usize) -> bool {
        len as u64 <= self.max_entries && longest as u64 <= self.max_value
    }
}

/// A score as the order sees it: never NaN, and `-0 == 0` as in C, so two
/// members scored 0 and -0 are ordered by member alone.
#[derive(Clone, Copy, Debug)]
struct Score(f64);

impl PartialEq for Score {
    fn eq(&self, other: &Score) -> bool {
        self.0 == other.0
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Score) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Score) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// A score as a listpack stores it (Redis's `d2string`): integral values
/// within ±2^62 as integers (so `-0` is "0" and 1.2345678901234568e+17 is
/// "123456789012345680"), everything else as `%.17g`.
fn listpack_text(score: f64) -> String {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // (double)(LLONG_MAX / 2)
    if (-LIMIT..=LIMIT).contains(&score) && score.trunc() == score {
        (score as i64).to_string()
    } else {
        fmt_g17(score)
    }
}

/// A value of the sorted-set type.
#[derive(Clone, Debug)]
pub struct ZSetValue {
    /// member → score, in scan order (the skiplist's hashtable).
    dict: ScanMap<f64>,
    /// (score, member), ascending: the set's order.
    order: BTreeSet<(Score, Bytes)>,
    encoding: Encoding,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::new(Encoding::Listpack)
    }
}

impl PartialEq for ZSetValue {
    /// Same encoding, members and scores (bit for bit, so `-0 != 0`).
    fn eq(&self, other: &ZSetValue) -> bool {
        self.encoding == other.encoding
            && self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((m1, s1), (m2, s2))| m1 == m2 && s1.to_bits() == s2.to_bits())
    }
}

impl ZSetValue {
    /// An empty set in the given encoding.
    pub fn new(encoding: Encoding) -> ZSetValue {
        ZSetValue { dict: ScanMap::new(), order: BTreeSet::new(), encoding }
    }

    /// A set built in one go from a computation's result (the *STORE
    /// commands): a listpack if the result fits the limits, else a skiplist,
    /// as Redis decides for a destination key.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Bytes, f64)>, limits: Limits) -> ZSetValue {
        let pairs: Vec<(Bytes, f64)> = pairs.into_iter().collect();
        let longest = pairs.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let encoding = if limits.fits(pairs.len(), longest) { Encoding::Listpack } else { Encoding::Skiplist };
        let mut z = ZSetValue::new(encoding);
        for (m, s) in pairs {
            z.put(m, s);
        }
        z
    }

    /// A set in the given encoding holding `pairs` (members must be
    /// distinct), for RDB loading, where Redis picks the encoding from the
    /// file. A listpack stores a zero score as 0, as always.
    pub fn from_distinct_pairs(pairs: impl IntoIterator<Item = (Bytes, f64)>, listpack: bool) -> ZSetValue {
        let mut z = ZSetValue::new(if listpack { Encoding::Listpack } else { Encoding::Skiplist });
        for (m, s) in pairs {
            z.put(m, s);
        }
        z
    }

    /// The one-way listpack → skiplist conversion (SORT does it before
    /// sorting, as Redis 7.0's `zsetConvert`).
    pub fn convert_to_skiplist(&mut self) {
        self.encoding = Encoding::Skiplist;
    }

    /// True while the set is a listpack.
    pub fn is_listpack(&self) -> bool {
        self.encoding == Encoding::Listpack
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self.encoding {
            Encoding::Listpack => "listpack",
            Encoding::Skiplist => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).copied()
    }

    /// Adds `member` or changes its score. A new member may first convert a
    /// listpack to a skiplist (Redis checks before inserting).
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) {
        if self.encoding == Encoding::Listpack && self.score(member).is_none() {
            let too_many = self.len() as u64 + 1 > limits.max_entries;
            if too_many || member.len() as u64 > limits.max_value {
                self.encoding = Encoding::Skiplist;
            }
        }
        self.put(Bytes::copy_from_slice(member), score);
    }

    /// Stores a score without any conversion check.
    fn put(&mut self, member: Bytes, score: f64) {
        // A listpack holds the score as text, where Redis writes zero as "0".
        let score = if self.encoding == Encoding::Listpack && score == 0.0 { 0.0 } else { score };
        if let Some(old) = self.dict.insert(member.clone(), score) {
            self.order.remove(&(Score(old), member.clone()));
        }
        self.order.insert((Score(score), member));
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.dict.remove(member)?;
        self.order.remove(&(Score(score), Bytes::copy_from_slice(member)));
        Some(score)
    }

    /// 0-based position of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.order.range(..(Score(score), Bytes::copy_from_slice(member))).count())
    }

    /// Members and scores in ascending (score, member) order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        self.entries()
    }

    /// Members and scores in ascending order, walkable from either end.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> + ExactSizeIterator + '_ {
        self.order.iter().map(|(s, m)| (&m[..], s.0))
    }

    /// Removes and returns the lowest (or, with `max`, highest) element.
    pub fn pop(&mut self, max: bool) -> Option<(Bytes, f64)> {
        let (s, m) = if max { self.order.pop_last()? } else { self.order.pop_first()? };
        self.dict.remove(&m);
        Some((m, s.0))
    }

    /// One ZSCAN step, with each score as the text Redis sends: a listpack
    /// answers everything at once with cursor 0 and its scores as stored;
    /// a skiplist walks its hashtable from `cursor`, scores as `%.17g`.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(Bytes, String)>) {
        match self.encoding {
            Encoding::Listpack => (0, self.order.iter().map(|(s, m)| (m.clone(), listpack_text(s.0))).collect()),
            Encoding::Skiplist => {
                let (next, members) = self.dict.scan(cursor, count);
                let pairs = members.into_iter().filter_map(|m| self.score(&m).map(|s| (m, fmt_g17(s)))).collect();
                (next, pairs)
            }
        }
    }

    /// Mixes this value into a DEBUG DIGEST-VALUE digest, as Redis's
    /// xorObjectDigest: each member's digest (member, then score as `%.17g`)
    /// is XORed in, so the order does not matter.
    pub fn digest_into(&self, digest: &mut [u8; 20]) {
        for (member, score) in self.iter() {
            let mut ele = [0u8; 20];
            mix_digest(&mut ele, member);
            mix_digest(&mut ele, fmt_g17(score).as_bytes());
            xor_digest(digest, &ele);
        }
    }

    /// Rough memory use in bytes, for INFO memory.
    pub fn approx_bytes(&self) -> usize {
        let per_element = match self.encoding {
            Encoding::Listpack => 12,
            Encoding::Skiplist => 80,
        };
        self.order.iter().map(|(_, m)| m.len() + per_element).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_entries: 3, max_value: 5 };

    #[test]
    fn converts_one_way_at_the_limits() {
        let mut z = ZSetValue::default();
        for (i, m) in ["a", "b", "c"].iter().enumerate() {
            z.insert(m.as_bytes(), i as f64, LIMITS);
        }
        assert_eq!(z.encoding_name(), "listpack");
        // Updating an existing member never converts.
        z.insert(b"a", 10.0, LIMITS);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(b"d", 1.0, LIMITS);
        assert_eq!(z.encoding_name(), "skiplist");
        z.remove(b"d");
        z.remove(b"c");
        assert_eq!(z.encoding_name(), "skiplist");

        let mut long = ZSetValue::default();
        long.insert(b"123456", 1.0, LIMITS);
        assert_eq!(long.encoding_name(), "skiplist");
    }

    #[test]
    fn listpack_writes_negative_zero_as_zero() {
        let mut lp = ZSetValue::default();
        lp.insert(b"a", -0.0, LIMITS);
        assert!(lp.score(b"a").unwrap().is_sign_positive());
        let mut sk = ZSetValue::new(Encoding::Skiplist);
        sk.insert(b"a", -0.0, LIMITS);
        assert!(sk.score(b"a").unwrap().is_sign_negative());
    }

    #[test]
    fn order_is_score_then_member_and_zeroes_tie() {
        let mut z = ZSetValue::new(Encoding::Skiplist);
        z.insert(b"b", 0.0, LIMITS);
        z.insert(b"a", -0.0, LIMITS);
        z.insert(b"c", -1.0, LIMITS);
        z.insert(b"d", f64::INFINITY, LIMITS);
        let members: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(members, vec![&b"c"[..], b"a", b"b", b"d"]);
        assert_eq!(z.rank(b"b"), Some(2));
        assert_eq!(z.remove(b"a"), Some(-0.0));
        assert_eq!(z.rank(b"b"), Some(1));
        assert_eq!(z.pop(true), Some((Bytes::from_static(b"d"), f64::INFINITY)));
        assert_eq!(z.pop(false), Some((Bytes::from_static(b"c"), -1.0)));
        assert_eq!(z.len(), 1);
    }

    #[test]
    fn stored_results_pick_their_encoding() {
        let small = ZSetValue::from_pairs([(Bytes::from_static(b"a"), -0.0)], LIMITS);
        assert_eq!(small.encoding_name(), "listpack");
        assert!(small.score(b"a").unwrap().is_sign_positive());
        let long = ZSetValue::from_pairs([(Bytes::from_static(b"abcdef"), 1.0)], LIMITS);
        assert_eq!(long.encoding_name(), "skiplist");
        let many = ZSetValue::from_pairs((0..4).map(|i| (Bytes::from(format!("{i}")), 0.0)), LIMITS);
        assert_eq!(many.encoding_name(), "skiplist");
    }

    #[test]
    fn listpack_scan_is_one_call() {
        let mut z = ZSetValue::default();
        z.insert(b"x", 2.0, LIMITS);
        z.insert(b"y", 1.0, LIMITS);
        z.insert(b"w", 123456789012345678.0, LIMITS);
        let (cursor, pairs) = z.scan(12345, 1);
        assert_eq!(cursor, 0);
        let text: Vec<(&[u8], &str)> = pairs.iter().map(|(m, s)| (&m[..], s.as_str())).collect();
        assert_eq!(text, vec![(&b"y"[..], "1"), (b"x", "2"), (b"w", "123456789012345680")]);
        assert_eq!(listpack_text(1.5), "1.5");
        assert_eq!(listpack_text(-0.0), "0");
        assert_eq!(listpack_text(1e20), "1e+20");
        assert_eq!(listpack_text(-4611686018427387904.0), "-4611686018427387904");
    }
}
