//! A set as the engine stores it: an [`IntSet`] while every member is an
//! integer (Redis's strict `string2ll` form) and there are at most
//! `set-max-intset-entries` of them, a [`SetTable`] past either limit —
//! converted where the model's `SetValue` converts, and never back.

use bytes::Bytes;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use redsim_model::num;
use redsim_model::reference::shared::{value_digest, xor_digest};
use redsim_model::reference::{SetValue, Value};

use super::super::object::{int_text, IntText};
use super::intset::IntSet;
use super::table::{self, SetTable};
use crate::store::lookahead::MemberHint;
use crate::store::prefetch::prefetch;

/// Redis never lets an intset grow past 2^30 entries, whatever the setting.
const INTSET_HARD_LIMIT: u64 = 1 << 30;

#[derive(Clone, Debug)]
pub enum SetObj {
    IntSet(IntSet),
    /// Boxed: the table is larger than an intset, and rarer.
    Table(Box<SetTable>),
}

impl Default for SetObj {
    /// An empty set as Redis starts every new one: an intset, which the
    /// first non-integer member turns into a table.
    fn default() -> Self {
        SetObj::IntSet(IntSet::default())
    }
}

/// One member as stored: an intset's integer or a table's bytes.
#[derive(Clone, Copy, Debug)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's bytes; an integer is written into `text`.
    pub fn text<'b>(&'b self, text: &'b mut IntText) -> &'b [u8] {
        match self {
            Member::Int(v) => int_text(*v, text),
            Member::Bytes(b) => b,
        }
    }

    pub fn to_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self.text(&mut [0u8; 20]))
    }
}

impl SetObj {
    /// A set built by adding `members` one by one to a new set, as every
    /// command that creates a set does (so the encoding comes out as Redis's).
    pub fn from_members<'a>(members: impl IntoIterator<Item = Member<'a>>, max_intset: u64) -> SetObj {
        let mut set = SetObj::default();
        for m in members {
            set.add_member(m, max_intset);
        }
        set
    }

    pub fn len(&self) -> usize {
        match self {
            SetObj::IntSet(s) => s.len(),
            SetObj::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            SetObj::IntSet(_) => "intset",
            SetObj::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            // A member that is not in string2ll form cannot be in an intset.
            SetObj::IntSet(s) => num::parse_i64(member).is_some_and(|v| s.contains(v)),
            SetObj::Table(t) => t.contains(member),
        }
    }

    /// [`SetObj::contains`] for a member of another set.
    pub fn contains_member(&self, m: Member<'_>) -> bool {
        match (self, m) {
            (SetObj::IntSet(s), Member::Int(v)) => s.contains(v),
            (SetObj::Table(t), Member::Int(v)) => t.contains(int_text(v, &mut [0u8; 20])),
            (_, Member::Bytes(b)) => self.contains(b),
        }
    }

    /// Adds `member`; false if it was there. An intset converts when the
    /// member is not an integer, or when it grew past `max_intset`.
    pub fn add(&mut self, member: &[u8], max_intset: u64) -> bool {
        self.add_member(Member::Bytes(member), max_intset)
    }

    /// [`SetObj::add`] for a member of another set (an intset's integer is
    /// in canonical form, so it is what its text would parse to).
    pub fn add_member(&mut self, m: Member<'_>, max_intset: u64) -> bool {
        if let SetObj::IntSet(s) = self {
            let int = match m {
                Member::Int(v) => Some(v),
                Member::Bytes(b) => num::parse_i64(b),
            };
            if let Some(v) = int {
                if !s.insert(v) {
                    return false;
                }
                if s.len() as u64 > max_intset.min(INTSET_HARD_LIMIT) {
                    self.convert_to_table();
                }
                return true;
            }
            self.convert_to_table();
        }
        match self {
            SetObj::Table(t) => t.insert(m.text(&mut [0u8; 20])),
            SetObj::IntSet(_) => unreachable!("converted above"),
        }
    }

    /// Removes `member`; false if it was not there. The encoding stays.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetObj::IntSet(s) => num::parse_i64(member).is_some_and(|v| s.remove(v)),
            SetObj::Table(t) => t.remove(member),
        }
    }

    /// The members in the set's order: ascending for an intset, scan order
    /// for a table.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            SetObj::IntSet(s) => Iter::IntSet(s, 0),
            SetObj::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// The member at position `i` of [`SetObj::iter`]'s order.
    pub fn nth(&self, i: usize) -> Option<Member<'_>> {
        match self {
            SetObj::IntSet(s) => (i < s.len()).then(|| Member::Int(s.get(i))),
            SetObj::Table(t) => t.nth(i).map(Member::Bytes),
        }
    }

    /// The members at `positions` of [`SetObj::iter`]'s order.
    pub fn pick(&self, positions: &[usize]) -> Vec<Member<'_>> {
        match self {
            // Many draws from a table: one walk is cheaper than a search each.
            SetObj::Table(t) if positions.len() * 16 >= t.len() => {
                let all: Vec<&[u8]> = t.iter().collect();
                positions.iter().filter_map(|&i| all.get(i).map(|m| Member::Bytes(m))).collect()
            }
            _ => positions.iter().filter_map(|&i| self.nth(i)).collect(),
        }
    }

    /// A uniformly drawn member, as the model draws it: one number below
    /// the size from the generator, then that position.
    pub fn random_member(&self, rng: &mut ChaCha8Rng) -> Option<Member<'_>> {
        if self.is_empty() {
            return None;
        }
        self.nth(rng.gen_range(0..self.len()))
    }

    /// One SSCAN step before MATCH: an intset is small enough that Redis
    /// returns all of it at once with cursor 0, whatever the cursor.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Member<'_>>) {
        match self {
            SetObj::IntSet(_) => (0, self.iter().collect()),
            SetObj::Table(t) => {
                let (next, members) = t.scan(cursor, count);
                (next, members.into_iter().map(Member::Bytes).collect())
            }
        }
    }

    /// Whether members are looked up in a table (see `Obj::prefetch_step`).
    pub fn has_member_table(&self) -> bool {
        matches!(self, SetObj::Table(_))
    }

    /// The loads behind the set's header, one step at a time: an intset's
    /// bytes; a table's own struct, then the member's slot, then its record.
    pub fn prefetch_step(&self, step: usize, member: &mut MemberHint<'_>) {
        match (self, step) {
            (SetObj::IntSet(i), 0) => i.prefetch(),
            (SetObj::Table(t), 0) => prefetch(&**t),
            (SetObj::Table(t), step) => t.table().prefetch_member(step - 1, member),
            _ => {}
        }
    }

    /// Heap bytes owned, for INFO memory.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<SetObj>()
            + match self {
                SetObj::IntSet(s) => s.heap_bytes(),
                SetObj::Table(t) => std::mem::size_of::<SetTable>() + t.heap_bytes(),
            }
    }

    fn convert_to_table(&mut self) {
        if let SetObj::IntSet(s) = self {
            let mut t = SetTable::with_capacity(s.len());
            let mut text = [0u8; 20];
            for v in s.iter() {
                t.insert(int_text(v, &mut text));
            }
            *self = SetObj::Table(Box::new(t));
        }
    }

    /// The model's form, in the same encoding.
    pub fn to_value(&self) -> SetValue {
        let members: Vec<Bytes> = self.iter().map(Member::to_bytes).collect();
        let members = members.iter().map(|m| &m[..]);
        // The model's own rule picks the encoding: no limit keeps an
        // intset's integers one; a table stays one, even empty.
        match self {
            SetObj::IntSet(_) => SetValue::from_members(members, u64::MAX),
            SetObj::Table(_) => {
                let mut v = SetValue::new_table();
                for m in members {
                    v.add(m, 0);
                }
                v
            }
        }
    }

    /// A model set in the same encoding (RDB loading, RESTORE, the bridge).
    pub fn from_value(s: &SetValue) -> SetObj {
        if s.is_intset() {
            let mut ints = IntSet::default();
            for v in s.iter().filter_map(num::parse_i64) {
                ints.insert(v);
            }
            SetObj::IntSet(ints)
        } else {
            let mut t = SetTable::with_capacity(s.len());
            for m in s.iter() {
                t.insert(m);
            }
            SetObj::Table(Box::new(t))
        }
    }

    /// DEBUG DIGEST-VALUE, as the model's for its `SetValue` (Redis's
    /// xorObjectDigest): the type, then every member XORed in, then the
    /// expire flag.
    pub fn digest_into(&self, digest: &mut [u8; 20], has_expire: bool) {
        // The model's digest of an empty set is the type code alone.
        value_digest(digest, &Value::Set(SetValue::new()), false);
        let mut text = [0u8; 20];
        for m in self.iter() {
            xor_digest(digest, m.text(&mut text));
        }
        if has_expire {
            xor_digest(digest, b"!!expire!!");
        }
    }
}

/// A set's members in order.
pub enum Iter<'a> {
    IntSet(&'a IntSet, usize),
    Table(table::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::IntSet(s, i) => {
                let v = (*i < s.len()).then(|| s.get(*i))?;
                *i += 1;
                Some(Member::Int(v))
            }
            Iter::Table(t) => t.next().map(Member::Bytes),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::IntSet(s, i) => (s.len() - *i, Some(s.len() - *i)),
            Iter::Table(t) => t.size_hint(),
        }
    }
}
