//! Values as the engine stores them.
//!
//! Strings come in the shapes Redis's OBJECT ENCODING names, chosen by the same
//! rules as the model's [`StrValue`] (Redis's `tryObjectEncoding` and
//! `createStringObject`), but laid out so that the common cases need no heap
//! allocation at all: an integer is a plain `i64` ("int"), and a short
//! "embstr" lives inside the table entry. Lists (`list/`), hashes (`hash/`),
//! sets (`set/`) and sorted sets (`zset/`) are native.

use std::io::Write;

use bytes::Bytes;
use redsim_model::num;
use redsim_model::reference::shared::{EMBSTR_SIZE_LIMIT, SHARED_INTEGERS, SHARED_REFCOUNT};
use redsim_model::reference::{ListValue, StrEncoding, StrValue, Value};

use super::hash::HashObj;
use super::list::QuickList;
use super::lookahead::MemberHint;
use super::prefetch::{prefetch, prefetch_lines};
use super::set::SetObj;
use super::zset::ZSetObj;

/// The longest string kept inside the entry.
pub const INLINE_STR: usize = 22;

/// Steps of [`Obj::prefetch_step`]: the value's box, then up to three loads
/// behind it (a large hash: its table, the member's slot, then its record).
pub const VALUE_STEPS: usize = 4;

/// Room for the decimal text of any i64 (`-9223372036854775808`).
pub type IntText = [u8; 20];

/// One key's value.
#[derive(Clone, Debug)]
pub enum Obj {
    /// "int": the string is the decimal text of `v`. `shared` marks one of
    /// Redis's shared objects for 0..9999 (OBJECT REFCOUNT shows it).
    Int { v: i64, shared: bool },
    /// "embstr" of at most [`INLINE_STR`] bytes, inside the entry.
    Emb { len: u8, buf: [u8; INLINE_STR] },
    /// A string on the heap at its exact size: "embstr" or, with `raw`, "raw".
    Str { bytes: Box<[u8]>, raw: bool },
    /// "raw" after APPEND or SETRANGE: a growable buffer, so that a string
    /// built by repeated appends costs amortized O(1) per byte, as Redis's sds.
    /// Boxed so that the rare growable string does not widen every entry.
    #[allow(clippy::box_collection)]
    Raw(Box<Vec<u8>>),
    /// A list ("quicklist", as Redis 7.0 encodes every list).
    List(Box<QuickList>),
    /// A hash: "listpack" or "hashtable" (`hash/`).
    Hash(Box<HashObj>),
    /// A set: "intset" or "hashtable" (`set/`).
    Set(Box<SetObj>),
    /// A sorted set: "listpack" or "skiplist" (`zset/`).
    ZSet(Box<ZSetObj>),
}

impl Obj {
    /// A string as SET stores its argument: integers of up to 20 bytes become
    /// "int", the rest as [`Obj::plain`].
    pub fn encoded(bytes: &[u8], share_integers: bool) -> Obj {
        if bytes.len() <= 20 {
            if let Some(v) = num::parse_i64(bytes) {
                return Obj::integer(v, share_integers);
            }
        }
        Obj::plain(bytes)
    }

    /// A string created from bytes without trying the integer encoding:
    /// "embstr" up to 44 bytes, "raw" past that.
    pub fn plain(bytes: &[u8]) -> Obj {
        if bytes.len() <= INLINE_STR {
            let mut buf = [0u8; INLINE_STR];
            buf[..bytes.len()].copy_from_slice(bytes);
            Obj::Emb { len: bytes.len() as u8, buf }
        } else {
            Obj::Str { bytes: bytes.into(), raw: bytes.len() > EMBSTR_SIZE_LIMIT }
        }
    }

    /// A string modified in place (APPEND, SETRANGE): always "raw".
    pub fn raw(bytes: Vec<u8>) -> Obj {
        Obj::Raw(Box::new(bytes))
    }

    /// An integer result (INCR and friends).
    pub fn integer(v: i64, share_integers: bool) -> Obj {
        Obj::Int { v, shared: share_integers && (0..SHARED_INTEGERS).contains(&v) }
    }

    pub fn is_str(&self) -> bool {
        !matches!(self, Obj::List(_) | Obj::Hash(_) | Obj::Set(_) | Obj::ZSet(_))
    }

    /// The string's bytes (`None` for a collection); an integer is written
    /// into `text`.
    #[inline]
    pub fn str_bytes<'a>(&'a self, text: &'a mut IntText) -> Option<&'a [u8]> {
        match self {
            Obj::Int { v, .. } => Some(int_text(*v, text)),
            Obj::Emb { len, buf } => Some(&buf[..*len as usize]),
            Obj::Str { bytes, .. } => Some(bytes),
            Obj::Raw(v) => Some(v),
            Obj::List(_) | Obj::Hash(_) | Obj::Set(_) | Obj::ZSet(_) => None,
        }
    }

    /// The string as a reply (`None` for a collection).
    pub fn bulk(&self) -> Option<Bytes> {
        let mut text = [0u8; 20];
        self.str_bytes(&mut text).map(Bytes::copy_from_slice)
    }

    /// The string's bytes as an owned buffer, for in-place edits.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Obj::Raw(v) => Some(*v),
            Obj::Str { bytes, .. } => Some(bytes.into_vec()),
            Obj::List(_) | Obj::Hash(_) | Obj::Set(_) | Obj::ZSet(_) => None,
            other => other.bulk().map(|b| b.to_vec()),
        }
    }

    /// TYPE's answer.
    pub fn type_name(&self) -> &'static str {
        match self {
            Obj::List(_) => "list",
            Obj::Hash(_) => "hash",
            Obj::Set(_) => "set",
            Obj::ZSet(_) => "zset",
            _ => "string",
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Obj::Int { .. } => "int",
            Obj::Emb { .. } | Obj::Str { raw: false, .. } => "embstr",
            Obj::Str { raw: true, .. } | Obj::Raw(_) => "raw",
            Obj::List(_) => "quicklist",
            Obj::Hash(h) => h.encoding_name(),
            Obj::Set(s) => s.encoding_name(),
            Obj::ZSet(z) => z.encoding_name(),
        }
    }

    /// OBJECT REFCOUNT's answer.
    pub fn refcount(&self) -> i64 {
        match self {
            Obj::Int { shared: true, .. } => SHARED_REFCOUNT,
            _ => 1,
        }
    }

    /// The same value as a new object: never one of the shared integers (COPY).
    pub fn duplicate(&self) -> Obj {
        match self {
            Obj::Int { v, .. } => Obj::Int { v: *v, shared: false },
            other => other.clone(),
        }
    }

    /// The model's form of the value (snapshots, DUMP, digests).
    pub fn to_value(&self) -> Value {
        match self {
            Obj::List(l) => Value::List(list_value(l)),
            Obj::Hash(h) => Value::Hash(h.to_value()),
            Obj::Set(s) => Value::Set(s.to_value()),
            Obj::ZSet(z) => Value::ZSet(z.to_value()),
            s => Value::Str(StrValue { bytes: s.bulk().unwrap_or_default().to_vec(), encoding: s.str_encoding() }),
        }
    }

    /// Like [`Obj::to_value`], without copying a collection.
    pub fn into_value(self) -> Value {
        match self {
            Obj::List(l) => Value::List(list_value(&l)),
            Obj::Hash(h) => Value::Hash(h.to_value()),
            Obj::Set(s) => Value::Set(s.to_value()),
            Obj::ZSet(z) => Value::ZSet(z.to_value()),
            s => {
                let encoding = s.str_encoding();
                Value::Str(StrValue { bytes: s.into_bytes().unwrap_or_default(), encoding })
            }
        }
    }

    /// A value in the model's form, stored with the same encoding. Lists
    /// get the default node size (`list-max-listpack-size` -2): loading has
    /// no configuration at hand, and the node size is not observable.
    pub fn from_value(value: Value) -> Obj {
        match value {
            Value::Str(StrValue { bytes, encoding }) => match encoding {
                StrEncoding::Int { shared } => match num::parse_i64(&bytes) {
                    Some(v) => Obj::Int { v, shared },
                    None => {
                        // The model only makes "int" strings of canonical digits.
                        debug_assert!(false, "int-encoded string that is not an integer: {bytes:?}");
                        Obj::Str { bytes: bytes.into(), raw: true }
                    }
                },
                StrEncoding::Embstr if bytes.len() <= INLINE_STR => Obj::plain(&bytes),
                StrEncoding::Embstr => Obj::Str { bytes: bytes.into(), raw: false },
                StrEncoding::Raw => Obj::Str { bytes: bytes.into(), raw: true },
            },
            Value::List(l) => Obj::List(Box::new(QuickList::from_elements(DEFAULT_LIST_FILL, l.iter()))),
            Value::Hash(h) => Obj::Hash(Box::new(HashObj::from_value(&h))),
            Value::Set(s) => Obj::Set(Box::new(SetObj::from_value(&s))),
            Value::ZSet(z) => Obj::ZSet(Box::new(ZSetObj::from_value(&z))),
        }
    }

    fn str_encoding(&self) -> StrEncoding {
        match self {
            Obj::Int { shared, .. } => StrEncoding::Int { shared: *shared },
            Obj::Emb { .. } | Obj::Str { raw: false, .. } => StrEncoding::Embstr,
            _ => StrEncoding::Raw,
        }
    }

    /// Whether commands on this value look members up in a table, each
    /// member a chain of loads of its own (see [`super::lookahead`]).
    pub fn has_member_table(&self) -> bool {
        match self {
            Obj::Hash(h) => h.has_member_table(),
            Obj::Set(s) => s.has_member_table(),
            Obj::ZSet(z) => z.has_member_table(),
            _ => false,
        }
    }

    /// Starts step `step` (0 to [`VALUE_STEPS`] - 1) of the loads a command
    /// on this value makes, each step reading what the one before loaded
    /// (see [`super::lookahead`]): the value behind its box first, then,
    /// per kind, its bytes, end nodes, or the slot and record of `member`.
    pub fn prefetch_step(&self, step: usize, member: &mut MemberHint<'_>) {
        match (self, step) {
            (Obj::Str { bytes, .. }, 0) => prefetch_lines(bytes, 1),
            (Obj::Raw(v), 0) => prefetch(&**v),
            (Obj::Raw(v), 1) => prefetch_lines(v, 1),
            (Obj::List(q), 0) => prefetch(&**q),
            (Obj::List(q), step) => q.prefetch_step(step - 1),
            (Obj::Hash(h), 0) => prefetch(&**h),
            (Obj::Hash(h), step) => h.prefetch_step(step - 1, member),
            (Obj::Set(x), 0) => prefetch(&**x),
            (Obj::Set(x), step) => x.prefetch_step(step - 1, member),
            (Obj::ZSet(z), 0) => prefetch(&**z),
            (Obj::ZSet(z), step) => z.prefetch_step(step - 1, member),
            _ => {}
        }
    }

    /// Heap bytes owned besides the entry, for INFO memory: what each
    /// value allocated, in O(1) (it is asked before and after every change).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Obj::Int { .. } | Obj::Emb { .. } => 0,
            Obj::Str { bytes, .. } => bytes.len(),
            Obj::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Obj::List(l) => l.heap_bytes(),
            Obj::Hash(h) => h.heap_bytes(),
            Obj::Set(s) => s.heap_bytes(),
            Obj::ZSet(z) => z.heap_bytes(),
        }
    }
}

/// Redis's default `list-max-listpack-size`.
const DEFAULT_LIST_FILL: i64 = -2;

/// A native list in the model's form.
fn list_value(l: &QuickList) -> ListValue {
    let mut text = [0u8; 20];
    ListValue::from_elements(l.iter().map(|e| e.text(&mut text).to_vec()).collect())
}

/// The decimal text of `v`, written into `text`.
#[inline]
pub fn int_text(v: i64, text: &mut IntText) -> &[u8] {
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    write!(cursor, "{v}").expect("an i64 fits in 20 bytes");
    let n = cursor.position() as usize;
    &text[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_layout() {
        assert_eq!(std::mem::size_of::<Obj>(), 24);
    }

    #[test]
    fn encodings_as_the_model_chooses_them() {
        for (bytes, share) in [
            (&b"0"[..], true),
            (b"9999", true),
            (b"10000", true),
            (b"-1", true),
            (b"7", false),
            (b"007", true),
            (b"", true),
            (b"hello", true),
            (&[b'x'; 22][..], true),
            (&[b'x'; 23][..], true),
            (&[b'x'; 44][..], true),
            (&[b'x'; 45][..], true),
            (b"-9223372036854775808", true),
            (b"9223372036854775808", true),
        ] {
            let ours = Obj::encoded(bytes, share);
            let model = StrValue::encoded(bytes.to_vec(), share);
            assert_eq!(ours.to_value(), Value::Str(model.clone()), "{bytes:?}");
            assert_eq!(Obj::from_value(Value::Str(model.clone())).to_value(), Value::Str(model), "{bytes:?}");
        }
        assert_eq!(Obj::raw(b"ab".to_vec()).encoding_name(), "raw");
        assert_eq!(Obj::integer(5, true).refcount(), SHARED_REFCOUNT);
        assert_eq!(Obj::integer(5, true).duplicate().refcount(), 1);
    }

    #[test]
    fn integer_text() {
        let mut t = [0u8; 20];
        assert_eq!(int_text(i64::MIN, &mut t), b"-9223372036854775808");
        assert_eq!(int_text(0, &mut t), b"0");
    }
}
