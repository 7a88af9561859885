//! The set value, with Redis 7.0's two encodings.
//!
//! A set is "intset" while every member is an integer in Redis's strict
//! `string2ll` form and there are at most `set-max-intset-entries` of them;
//! past either limit it becomes "hashtable", and it never goes back (only a
//! command that builds a new set, such as a *STORE or SPOP's rebuild, starts
//! over). The encoding is visible through OBJECT ENCODING, and an intset's
//! ascending order through SMEMBERS and SSCAN, so both are modelled.

use std::collections::BTreeMap;

use bytes::Bytes;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::num;
use crate::reference::digest::xor_digest;
use crate::reference::scan_map::ScanMap;

/// Redis never lets an intset grow past 2^30 entries, whatever the setting.
const INTSET_HARD_LIMIT: u64 = 1 << 30;

#[derive(Clone, Debug)]
enum Repr {
    /// Integer members in ascending order; the text form is kept next to the
    /// number so iteration can lend out bytes.
    IntSet(BTreeMap<i64, Bytes>),
    /// Any members, in scan order (so SSCAN cursors never skip a survivor).
    Table(ScanMap<()>),
}

/// A value of the set type.
#[derive(Clone, Debug)]
pub struct SetValue {
    repr: Repr,
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::new()
    }
}

/// Equal when both the members and the encoding are equal (the encoding is
/// observable, so two sets differing only in it are not interchangeable).
impl PartialEq for SetValue {
    fn eq(&self, other: &SetValue) -> bool {
        self.encoding_name() == other.encoding_name()
            && self.len() == other.len()
            && self.iter().all(|m| other.contains(m))
    }
}

impl SetValue {
    /// An empty set as Redis starts every new one: an intset, which the first
    /// non-integer member turns into a hashtable.
    pub fn new() -> SetValue {
        SetValue { repr: Repr::IntSet(BTreeMap::new()) }
    }

    /// An empty set that has already become a hashtable (it never goes
    /// back): what a converted set holds once its last member is removed.
    pub fn new_table() -> SetValue {
        SetValue { repr: Repr::Table(ScanMap::default()) }
    }

    /// A set built by adding `members` one by one to a new set, as every
    /// command that creates a set does (so the encoding comes out as Redis's).
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>, max_intset: u64) -> SetValue {
        let mut set = SetValue::new();
        for m in members {
            set.add(m, max_intset);
        }
        set
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::IntSet(m) => m.len(),
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::IntSet(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn is_intset(&self) -> bool {
        matches!(self.repr, Repr::IntSet(_))
    }

    /// Mixes this value into a DEBUG DIGEST-VALUE digest, as Redis's
    /// xorObjectDigest: each member is XORed in, so order does not matter.
    pub fn digest_into(&self, digest: &mut [u8; 20]) {
        for m in self.iter() {
            xor_digest(digest, m);
        }
    }

    /// Rough memory use in bytes, for INFO memory.
    pub fn approx_bytes(&self) -> usize {
        match &self.repr {
            Repr::IntSet(m) => 8 * m.len(),
            Repr::Table(t) => t.keys().map(|k| k.len() + 24).sum(),
        }
    }

    /// The members, in the set's own order: ascending for an intset.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let (ints, table) = match &self.repr {
            Repr::IntSet(m) => (Some(m.values()), None),
            Repr::Table(t) => (None, Some(t.keys())),
        };
        ints.into_iter().flatten().chain(table.into_iter().flatten()).map(|b| &b[..])
    }

    /// The members as owned bytes, in the set's own order.
    pub fn members(&self) -> Vec<Bytes> {
        match &self.repr {
            Repr::IntSet(m) => m.values().cloned().collect(),
            Repr::Table(t) => t.keys().cloned().collect(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            // A member that is not in string2ll form cannot be in an intset.
            Repr::IntSet(m) => num::parse_i64(member).is_some_and(|v| m.contains_key(&v)),
            Repr::Table(t) => t.contains_key(member),
        }
    }

    /// Adds `member`; false if it was already there. An intset converts when
    /// the member is not an integer, or when it grew past `max_intset`.
    pub fn add(&mut self, member: &[u8], max_intset: u64) -> bool {
        if let Repr::IntSet(m) = &mut self.repr {
            if let Some(v) = num::parse_i64(member) {
                if m.contains_key(&v) {
                    return false;
                }
                m.insert(v, Bytes::copy_from_slice(member));
                if m.len() as u64 > max_intset.min(INTSET_HARD_LIMIT) {
                    self.convert_to_table();
                }
                return true;
            }
            self.convert_to_table();
        }
        match &mut self.repr {
            Repr::Table(t) => t.insert(Bytes::copy_from_slice(member), ()).is_none(),
            Repr::IntSet(_) => unreachable!("converted above"),
        }
    }

    /// Removes `member`; false if it was not there. The encoding stays.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::IntSet(m) => num::parse_i64(member).is_some_and(|v| m.remove(&v).is_some()),
            Repr::Table(t) => t.remove(member).is_some(),
        }
    }

    fn convert_to_table(&mut self) {
        if let Repr::IntSet(m) = &self.repr {
            let mut t = ScanMap::new();
            for b in m.values() {
                t.insert(b.clone(), ());
            }
            self.repr = Repr::Table(t);
        }
    }

    /// A uniformly chosen member, drawn from the node's generator.
    pub fn random_member(&self, rng: &mut ChaCha8Rng) -> Option<Bytes> {
        match &self.repr {
            Repr::IntSet(m) => {
                if m.is_empty() {
                    return None;
                }
                let i = rng.gen_range(0..m.len());
                m.values().nth(i).cloned()
            }
            Repr::Table(t) => t.random_key(rng).cloned(),
        }
    }

    /// One SSCAN step before MATCH filtering: an intset is small enough that
    /// Redis returns all of it at once with cursor 0, whatever the cursor.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Bytes>) {
        match &self.repr {
            Repr::IntSet(m) => (0, m.values().cloned().collect()),
            Repr::Table(t) => t.scan(cursor, count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn set_of(members: &[&str], max: u64) -> SetValue {
        SetValue::from_members(members.iter().map(|m| m.as_bytes()), max)
    }

    #[test]
    fn intset_only_for_strict_integers() {
        assert_eq!(set_of(&["3", "-1", "20"], 512).encoding_name(), "intset");
        for odd in ["007", "+1", " 1", "1.0", "-0", "9223372036854775808", "a"] {
            assert_eq!(set_of(&["1", odd], 512).encoding_name(), "hashtable", "{odd}");
        }
        assert_eq!(set_of(&["-9223372036854775808"], 512).encoding_name(), "intset");
    }

    #[test]
    fn intset_iterates_ascending_and_converts_past_the_limit() {
        let s = set_of(&["10", "-5", "3"], 3);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![&b"-5"[..], b"3", b"10"]);
        let mut s = s;
        assert!(!s.add(b"3", 3));
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding_name(), "hashtable");
        // One way: shrinking does not go back.
        s.remove(b"4");
        s.remove(b"10");
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(set_of(&["1"], 0).encoding_name(), "hashtable");
    }

    #[test]
    fn membership_is_by_bytes() {
        let s = set_of(&["1", "2"], 512);
        assert!(s.contains(b"1"));
        assert!(!s.contains(b"01"));
        assert!(!s.contains(b"x"));
        let t = set_of(&["x", "1"], 512);
        assert!(t.contains(b"1"));
        assert!(!t.contains(b"+1"));
    }

    #[test]
    fn equality_includes_the_encoding() {
        let mut a = set_of(&["1", "x"], 512);
        a.remove(b"x");
        assert_ne!(a, set_of(&["1"], 512));
        assert_eq!(set_of(&["b", "a"], 512), set_of(&["a", "b"], 512));
    }

    #[test]
    fn intset_scan_returns_everything_with_cursor_zero() {
        let s = set_of(&["5", "1"], 512);
        assert_eq!(s.scan(12345, 1), (0, vec![Bytes::from("1"), Bytes::from("5")]));
        let t = SetValue::from_members(
            (0..100).map(|i| format!("m{i}")).collect::<Vec<_>>().iter().map(|m| m.as_bytes()),
            512,
        );
        let (cursor, first) = t.scan(0, 10);
        assert_ne!(cursor, 0);
        assert!(first.len() >= 10 && first.len() < 100);
    }

    #[test]
    fn random_member_is_a_member() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let s = set_of(&["1", "2", "3"], 512);
        for _ in 0..20 {
            assert!(s.contains(&s.random_member(&mut rng).unwrap()));
        }
        assert_eq!(SetValue::new().random_member(&mut rng), None);
    }
}
