//! An array (or RESP3 set, or map) of bulk strings held as one buffer and
//! the strings' ends.
//!
//! LRANGE, SMEMBERS, HKEYS and friends reply with many short strings. As a
//! `Frame::Array` of `Frame::Bulk`s each string is a `Bytes`: a reference
//! count bumped when the reply is built and again when it is dropped, and a
//! 40-byte frame each. Built here instead, the strings are copied once into
//! one buffer and the reply costs three allocations whatever its length.
//!
//! It is a representation only: a `Frame::Bulks` encodes, and compares
//! equal, exactly as the plain array (set, map) of the same bulk strings.
//! Parsing never produces one.

use std::fmt;

use bytes::Bytes;

use super::Frame;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct BulkArray {
    text: Vec<u8>,
    /// Where each string ends in `text`; string `i` starts where `i - 1` ends.
    ends: Vec<usize>,
    kind: Kind,
}

/// Which plain frame a [`BulkArray`] stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Array,
    /// RESP3 `~` (SMEMBERS); RESP2 sends an array.
    Set,
    /// RESP3 `%` of the strings taken two by two (HGETALL); RESP2 sends the
    /// flat array.
    Map,
}

impl BulkArray {
    /// Room for `strings` strings of `bytes` bytes in all (a guess is fine).
    pub fn with_capacity(strings: usize, bytes: usize) -> BulkArray {
        BulkArray { text: Vec::with_capacity(bytes), ends: Vec::with_capacity(strings), kind: Kind::Array }
    }

    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        self.text.extend_from_slice(s);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The strings in the order they were pushed.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.ends.iter().enumerate().map(|(i, &end)| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.text[start..end]
        })
    }

    /// The reply: an array of the strings.
    pub fn into_frame(self) -> Frame {
        Frame::Bulks(Box::new(self))
    }

    /// The reply as a RESP3 set (an array in RESP2), as SMEMBERS sends.
    pub fn into_set_frame(mut self) -> Frame {
        self.kind = Kind::Set;
        self.into_frame()
    }

    /// The reply as a map of the strings taken two by two (a flat array in
    /// RESP2), as HGETALL sends. An odd string out is dropped, as
    /// [`BulkArray::into_pairs`] does.
    pub fn into_map_frame(mut self) -> Frame {
        if self.len() % 2 == 1 {
            self.ends.pop();
            self.text.truncate(self.ends.last().copied().unwrap_or(0));
        }
        self.kind = Kind::Map;
        self.into_frame()
    }

    /// The same reply as a plain frame: an `Array`, `Set` or `Map` of `Bulk`s.
    pub fn to_plain(&self) -> Frame {
        match self.kind {
            Kind::Array => Frame::Array(self.iter().map(Frame::bulk).collect()),
            Kind::Set => Frame::Set(self.iter().map(Frame::bulk).collect()),
            Kind::Map => Frame::Map(self.clone().into_pairs()),
        }
    }

    /// True if `frame` is the plain form of this reply.
    pub fn same_as_plain(&self, frame: &Frame) -> bool {
        let is = |f: &Frame, s: &[u8]| matches!(f, Frame::Bulk(b) if b == s);
        match (frame, self.kind) {
            (Frame::Array(items), Kind::Array) | (Frame::Set(items), Kind::Set) => {
                items.len() == self.len() && items.iter().zip(self.iter()).all(|(f, s)| is(f, s))
            }
            (Frame::Map(pairs), Kind::Map) => {
                let mut strings = self.iter();
                pairs.len() * 2 == self.len()
                    && pairs.iter().all(|(k, v)| {
                        strings.next().is_some_and(|s| is(k, s)) && strings.next().is_some_and(|s| is(v, s))
                    })
            }
            _ => false,
        }
    }

    /// The strings, each made into a `T` by `make` (each a slice of one
    /// shared buffer), for replies that mix them with other frames.
    pub fn map<T>(self, mut make: impl FnMut(Bytes) -> T) -> Vec<T> {
        let all = Bytes::from(self.text);
        let mut start = 0;
        self.ends
            .into_iter()
            .map(|end| {
                let b = all.slice(start..end);
                start = end;
                make(b)
            })
            .collect()
    }

    /// The strings as bulk replies.
    pub fn into_bulks(self) -> Vec<Frame> {
        self.map(Frame::Bulk)
    }

    /// The strings taken two by two (field, value), as map or pair replies.
    pub fn into_pairs(self) -> Vec<(Frame, Frame)> {
        let mut bulks = self.into_bulks().into_iter();
        let mut out = Vec::with_capacity(bulks.len() / 2);
        while let (Some(a), Some(b)) = (bulks.next(), bulks.next()) {
            out.push((a, b));
        }
        out
    }
}

/// Printed as the plain frame, so a failed comparison reads the same
/// whichever form either side has.
impl fmt::Debug for BulkArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_plain().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::{encode_to_vec, Protocol};

    fn of(strings: &[&str]) -> BulkArray {
        let mut a = BulkArray::with_capacity(0, 0);
        for s in strings {
            a.push(s.as_bytes());
        }
        a
    }

    #[test]
    fn encodes_and_compares_as_the_plain_frame() {
        for strings in [&[][..], &[""], &["a", "", "bcd", "a"]] {
            for kind in [Kind::Array, Kind::Set, Kind::Map] {
                let a = of(strings);
                let bulks = || strings.iter().map(Frame::bulk).collect::<Vec<_>>();
                let (frame, plain) = match kind {
                    Kind::Array => (a.clone().into_frame(), Frame::Array(bulks())),
                    Kind::Set => (a.clone().into_set_frame(), Frame::Set(bulks())),
                    Kind::Map => (a.clone().into_map_frame(), Frame::Map(a.clone().into_pairs())),
                };
                for proto in [Protocol::Resp2, Protocol::Resp3] {
                    assert_eq!(
                        encode_to_vec(&frame, proto),
                        encode_to_vec(&plain, proto),
                        "{strings:?} {kind:?} {proto:?}"
                    );
                }
                assert_eq!(frame, plain);
                assert_eq!(plain, frame);
                assert_eq!(frame, frame.clone());
                assert_eq!(format!("{frame:?}"), format!("Bulks({plain:?})"));
                assert_eq!(a.into_bulks(), strings.iter().map(Frame::bulk).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn differs_from_other_strings_or_kinds() {
        let a = of(&["a", "b"]);
        assert_ne!(a.clone().into_frame(), Frame::bulks(["a", "c"]));
        assert_ne!(a.clone().into_frame(), Frame::bulks(["a"]));
        assert_ne!(a.clone().into_frame(), Frame::bulks(["a", "b", ""]));
        assert_ne!(a.clone().into_frame(), Frame::Set(vec![Frame::bulk("a"), Frame::bulk("b")]));
        assert_ne!(a.clone().into_set_frame(), Frame::bulks(["a", "b"]));
        let pair = |k: &str, v: &str| (Frame::bulk(k), Frame::bulk(v));
        assert_eq!(a.clone().into_map_frame(), Frame::Map(vec![pair("a", "b")]));
        assert_ne!(a.clone().into_map_frame(), Frame::Map(vec![pair("a", "c")]));
        assert_ne!(a.clone().into_map_frame(), Frame::bulks(["a", "b"]));
        assert_ne!(of(&["a", "b", "c", "d"]).into_map_frame(), Frame::Map(vec![pair("a", "b")]));
        assert_eq!(of(&["a", "b", "c"]).into_map_frame(), Frame::Map(vec![pair("a", "b")]));
        assert_ne!(a.clone().into_frame(), Frame::Array(vec![Frame::bulk("a"), Frame::simple("b")]));
        assert_ne!(a.clone().into_frame(), of(&["ab"]).into_frame());
        assert_ne!(a.into_frame(), Frame::Null);
    }
}
