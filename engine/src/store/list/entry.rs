//! One list element as a node stores it: a header, the payload, and a
//! trailing length so that a node can be walked from either end (the shape
//! of Redis's listpack entries, with a simpler header).
//!
//! ```text
//! header          payload            meaning
//! 0xxxxxxx        -                  integer 0..=127
//! 10llllll        l bytes            string of 0..=63 bytes
//! 11000nnn        n+1 bytes (LE)     integer, two's complement
//! 11001000        u8 len, bytes      string of 64..=255 bytes
//! 11001001        u16 len, bytes     string up to 64 KiB
//! 11001010        u32 len, bytes     string up to 4 GiB
//! 11001011        u64 len, bytes     anything longer
//! ```
//!
//! The trailing length (header + payload, not itself) is written in 7-bit
//! groups, most significant first; every group but the leftmost has its top
//! bit set, so reading right to left stops at the first byte without it.
//! An element of up to 125 bytes costs two bytes besides its own.
//!
//! Only canonical decimal integers (Redis's `string2ll` rules, the model's
//! [`parse_i64`]) are stored as integers, so an entry's text is always the
//! element's exact bytes: `"007"` stays a string.

use bytes::Bytes;
use redsim_model::num::parse_i64;

use crate::store::object::{int_text, IntText};

const STR_TINY: u8 = 0x80;
const INT_N: u8 = 0xC0;
const STR_U8: u8 = 0xC8;
const STR_U16: u8 = 0xC9;
const STR_U32: u8 = 0xCA;
const STR_U64: u8 = 0xCB;

/// An element, decoded from a node or classified from a command's argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Elem<'a> {
    /// How `bytes` is stored: as an integer when it is one's canonical text.
    pub fn of(bytes: &'a [u8]) -> Elem<'a> {
        match parse_i64(bytes) {
            Some(v) => Elem::Int(v),
            None => Elem::Str(bytes),
        }
    }

    /// Header plus payload.
    fn body_len(&self) -> usize {
        match *self {
            Elem::Int(v) if (0..=127).contains(&v) => 1,
            Elem::Int(v) => 1 + int_width(v),
            Elem::Str(s) => 1 + len_width(s.len()) + s.len(),
        }
    }

    /// Bytes the entry takes in a node.
    pub fn encoded_len(&self) -> usize {
        let body = self.body_len();
        body + backlen_width(body)
    }

    /// Writes the entry into `out`, which is exactly [`Elem::encoded_len`] long.
    pub fn write(&self, out: &mut [u8]) {
        let body = self.body_len();
        match *self {
            Elem::Int(v) if (0..=127).contains(&v) => out[0] = v as u8,
            Elem::Int(v) => {
                let n = int_width(v);
                out[0] = INT_N | (n as u8 - 1);
                out[1..1 + n].copy_from_slice(&v.to_le_bytes()[..n]);
            }
            Elem::Str(s) => {
                let w = len_width(s.len());
                let len = s.len() as u64;
                out[0] = match w {
                    0 => STR_TINY | len as u8,
                    1 => STR_U8,
                    2 => STR_U16,
                    4 => STR_U32,
                    _ => STR_U64,
                };
                out[1..1 + w].copy_from_slice(&len.to_le_bytes()[..w]);
                out[1 + w..body].copy_from_slice(s);
            }
        }
        write_backlen(body, &mut out[body..]);
    }

    /// The element's bytes, integers written into `text`.
    pub fn text<'t>(&'t self, text: &'t mut IntText) -> &'t [u8] {
        match *self {
            Elem::Int(v) => int_text(v, text),
            Elem::Str(s) => s,
        }
    }

    /// The element as an owned reply.
    pub fn to_bytes(self) -> Bytes {
        Bytes::copy_from_slice(self.text(&mut [0u8; 20]))
    }
}

/// Bytes of an integer payload: the fewest that hold `v` in two's complement.
fn int_width(v: i64) -> usize {
    let bits = if v < 0 { 64 - v.leading_ones() } else { 64 - v.leading_zeros() } + 1;
    (bits as usize).div_ceil(8).clamp(1, 8)
}

/// Bytes of a string's length field (0: the length is in the header).
fn len_width(len: usize) -> usize {
    match len {
        0..=63 => 0,
        64..=0xFF => 1,
        0x100..=0xFFFF => 2,
        _ if len as u64 <= u32::MAX as u64 => 4,
        _ => 8,
    }
}

fn backlen_width(body: usize) -> usize {
    let bits = usize::BITS - body.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

fn write_backlen(body: usize, out: &mut [u8]) {
    let n = out.len();
    for (i, b) in out.iter_mut().enumerate() {
        let group = ((body >> (7 * (n - 1 - i))) & 0x7F) as u8;
        *b = if i == 0 { group } else { group | 0x80 };
    }
}

/// The entry starting at `data[at..]`: the element and the entry's length.
#[inline]
pub fn decode(data: &[u8], at: usize) -> (Elem<'_>, usize) {
    // The common shapes first: their trailing length is one byte.
    let h = data[at];
    if h & 0xC0 == 0x80 {
        let len = (h & 0x3F) as usize;
        return (Elem::Str(&data[at + 1..at + 1 + len]), len + 2);
    }
    if h < 0x80 {
        return (Elem::Int(h as i64), 2);
    }
    decode_wide(data, at)
}

fn decode_wide(data: &[u8], at: usize) -> (Elem<'_>, usize) {
    let h = data[at];
    let (elem, body) = match h {
        0x00..=0x7F => (Elem::Int(h as i64), 1),
        0x80..=0xBF => {
            let len = (h & 0x3F) as usize;
            (Elem::Str(&data[at + 1..at + 1 + len]), 1 + len)
        }
        0xC0..=0xC7 => {
            let n = (h & 7) as usize + 1;
            let mut raw = [0u8; 8];
            raw[..n].copy_from_slice(&data[at + 1..at + 1 + n]);
            // Sign-extend from the top bit of the last payload byte.
            let shift = 64 - 8 * n as u32;
            let v = (i64::from_le_bytes(raw) << shift) >> shift;
            (Elem::Int(v), 1 + n)
        }
        _ => {
            let w = match h {
                STR_U8 => 1,
                STR_U16 => 2,
                STR_U32 => 4,
                _ => 8,
            };
            let mut raw = [0u8; 8];
            raw[..w].copy_from_slice(&data[at + 1..at + 1 + w]);
            let len = u64::from_le_bytes(raw) as usize;
            let start = at + 1 + w;
            (Elem::Str(&data[start..start + len]), 1 + w + len)
        }
    };
    (elem, body + backlen_width(body))
}

/// The length of the entry starting at `data[at..]` (a walk that only
/// needs to skip entries).
#[inline]
pub fn entry_len(data: &[u8], at: usize) -> usize {
    let h = data[at];
    if h & 0xC0 == 0x80 {
        (h & 0x3F) as usize + 2
    } else if h < 0x80 {
        2
    } else {
        decode_wide(data, at).1
    }
}

/// Where the entry that ends at `data[..end]` starts.
pub fn start_before(data: &[u8], end: usize) -> usize {
    let mut body = 0usize;
    let mut at = end;
    let mut shift = 0;
    loop {
        at -= 1;
        let b = data[at];
        body |= ((b & 0x7F) as usize) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    at - body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) {
        let e = Elem::of(bytes);
        let mut buf = vec![0xEEu8; e.encoded_len() + 3];
        e.write(&mut buf[2..2 + e.encoded_len()]);
        let (back, len) = decode(&buf, 2);
        assert_eq!(len, e.encoded_len(), "{bytes:?}");
        assert_eq!(back, e);
        assert_eq!(&back.to_bytes()[..], bytes);
        assert_eq!(start_before(&buf, 2 + len), 2, "{bytes:?}");
        assert_eq!(entry_len(&buf, 2), len, "{bytes:?}");
    }

    #[test]
    fn every_shape_round_trips() {
        for s in ["0", "1", "127", "128", "-1", "-128", "-129", "255", "32767", "-32768", "65536"] {
            round_trip(s.as_bytes());
        }
        for s in ["9223372036854775807", "-9223372036854775808", "4294967296", "-4294967297"] {
            round_trip(s.as_bytes());
        }
        for s in ["", "007", "-0", "+1", " 1", "1 ", "9223372036854775808", "abc", "1e3"] {
            round_trip(s.as_bytes());
        }
        for len in [62, 63, 64, 120, 125, 126, 127, 255, 256, 16_380, 16_384, 65_535, 65_536, 70_000] {
            round_trip(&vec![b'x'; len]);
        }
    }

    #[test]
    fn small_elements_are_compact() {
        assert_eq!(Elem::of(b"5").encoded_len(), 2);
        assert_eq!(Elem::of(b"1000").encoded_len(), 4);
        assert_eq!(Elem::of(b"element:1").encoded_len(), 11);
        assert_eq!(Elem::of(b"007").encoded_len(), 5);
    }

    #[test]
    fn integer_widths() {
        assert_eq!(int_width(127), 1);
        assert_eq!(int_width(128), 2);
        assert_eq!(int_width(-128), 1);
        assert_eq!(int_width(-129), 2);
        assert_eq!(int_width(i64::MAX), 8);
        assert_eq!(int_width(i64::MIN), 8);
    }
}
