//! The value of one RESP reply (or request), independent of protocol version.
//!
//! Commands build replies as RESP3-rich frames (maps, sets, doubles, booleans);
//! the encoder downgrades them for RESP2 clients the way Redis does, so a command
//! never needs to know which protocol its client speaks.

use bytes::Bytes;

pub use super::bulk_array::BulkArray;

/// One RESP value.
///
/// Redis distinguishes two nulls in RESP2 (`$-1` from `addReplyNull`, `*-1` from
/// `addReplyNullArray`); both are `_` in RESP3, so both exist here.
#[derive(Clone, Debug)]
pub enum Frame {
    /// `+OK`: a status line; never contains CR or LF.
    Simple(String),
    /// `-ERR ...`: the whole line after `-`, including the error code.
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// `*2\r\n...`
    Array(Vec<Frame>),
    /// RESP2 `$-1`, RESP3 `_`.
    Null,
    /// RESP2 `*-1`, RESP3 `_`.
    NullArray,
    /// RESP3 `%`; RESP2 flattens it into an array of key, value, key, value...
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~`; RESP2 sends it as an array.
    Set(Vec<Frame>),
    /// RESP3 `,`; RESP2 sends it as a bulk string. Formatted as Redis's `%.17g`.
    Double(f64),
    /// RESP3 `#t`/`#f`; RESP2 sends `:1`/`:0`.
    Boolean(bool),
    /// RESP3 `(`; RESP2 sends the digits as a bulk string.
    BigNumber(String),
    /// RESP3 `=`; RESP2 sends only the text as a bulk string.
    Verbatim { format: [u8; 3], text: Bytes },
    /// RESP3 `>` (out-of-band data such as pub/sub messages); RESP2 sends an array.
    Push(Vec<Frame>),
    /// RESP3 `|`: attributes that decorate the frame that follows; RESP2 drops them.
    Attribute(Vec<(Frame, Frame)>, Box<Frame>),
    /// An array of pairs, as Redis sends WITHSCORES/WITHVALUES results: RESP3
    /// nests each pair in a two-element array, RESP2 flattens them. Only
    /// replies are built this way; parsing gives back plain arrays.
    Pairs(Vec<(Frame, Frame)>),
    /// An array (or RESP3 set) of bulk strings in one buffer: how the engine
    /// builds long replies of short strings. Equal to, and encoded as, the
    /// plain `Array` (or `Set`) of `Bulk`s; parsing never produces it.
    Bulks(Box<BulkArray>),
}

/// Structural equality, except that a `Bulks` equals the plain array (or
/// set) it stands for: which of the two forms an engine builds is not part
/// of the reply.
impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        use Frame::*;
        match (self, other) {
            (Bulks(a), Bulks(b)) => a == b,
            (Bulks(a), plain) | (plain, Bulks(a)) => a.same_as_plain(plain),
            (Simple(a), Simple(b)) | (Error(a), Error(b)) | (BigNumber(a), BigNumber(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (Bulk(a), Bulk(b)) => a == b,
            (Array(a), Array(b)) | (Set(a), Set(b)) | (Push(a), Push(b)) => a == b,
            (Null, Null) | (NullArray, NullArray) => true,
            (Map(a), Map(b)) | (Pairs(a), Pairs(b)) => a == b,
            (Double(a), Double(b)) => a == b,
            (Boolean(a), Boolean(b)) => a == b,
            (Verbatim { format: f, text: t }, Verbatim { format: g, text: u }) => f == g && t == u,
            (Attribute(a, x), Attribute(b, y)) => a == b && x == y,
            _ => false,
        }
    }
}

impl Frame {
    /// `+OK`, the most common reply.
    pub fn ok() -> Frame {
        Frame::Simple("OK".to_string())
    }

    /// A simple status reply.
    pub fn simple(s: impl Into<String>) -> Frame {
        Frame::Simple(s.into())
    }

    /// An error reply; `text` includes the code (`ERR ...`, `WRONGTYPE ...`).
    pub fn error(text: impl Into<String>) -> Frame {
        Frame::Error(text.into())
    }

    /// A bulk string copied from any byte-like value.
    pub fn bulk(b: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }

    /// An array of bulk strings.
    pub fn bulks<I, B>(items: I) -> Frame
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Frame::Array(items.into_iter().map(Frame::bulk).collect())
    }

    /// True for error replies; the server counts them and the slowlog ignores nothing else.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }
}
