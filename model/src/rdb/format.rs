//! RDB's building blocks: opcodes, type bytes, and the length, string and
//! number encodings every part of a file is made of.
//!
//! A length is 6 bits (top bits 00), 14 bits (01, big endian), or a marker
//! byte 0x80/0x81 followed by a 32/64-bit big-endian number. Top bits 11 mark
//! a "special" string: an 8/16/32-bit little-endian integer, or LZF data.

use super::lzf::{self, Compressor};
use super::RdbError;

pub const RDB_VERSION: u32 = 10;

/// Value type bytes.
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// Opcodes that may appear where a type byte is expected.
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION_PRE_GA: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

/// Quicklist node containers (RDB type 18).
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Writes a length in the shortest form.
pub fn put_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Writes `v` as an integer-encoded string if it fits 32 bits.
fn put_small_int(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.extend_from_slice(&[0xc0 | ENC_INT8, b as u8]);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xc0 | ENC_INT16);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xc0 | ENC_INT32);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Writes a string as Redis's `rdbSaveRawString`: short canonical integers
/// integer-encoded, strings over 20 bytes LZF-compressed when a compressor is
/// given and it saves at least 4 bytes, anything else verbatim.
pub fn put_string(out: &mut Vec<u8>, s: &[u8], lzf: Option<&mut Compressor>) {
    if s.len() <= 11 {
        if let Some(v) = crate::num::parse_i64(s) {
            if put_small_int(out, v) {
                return;
            }
        }
    }
    if let Some(c) = lzf {
        if s.len() > 20 {
            if let Some(z) = c.compress(s, s.len() - 4) {
                out.push(0xc0 | ENC_LZF);
                put_len(out, z.len() as u64);
                put_len(out, s.len() as u64);
                out.extend_from_slice(&z);
                return;
            }
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Writes an integer string value (Redis's `rdbSaveLongLongAsStringObject`).
pub fn put_integer(out: &mut Vec<u8>, v: i64) {
    if !put_small_int(out, v) {
        let text = v.to_string();
        put_len(out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
}

/// A length field: a plain number or a special string encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Special(u8),
}

/// Reads a file or payload front to back, remembering where it is, so every
/// error names the byte offset it happened at.
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    /// A cursor at `pos` of `buf` (a read resumed where it stopped).
    pub fn at(buf: &'a [u8], pos: usize) -> Cursor<'a> {
        Cursor { buf, pos }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> RdbError {
        RdbError { offset, message: message.into() }
    }

    pub fn error(&self, message: impl Into<String>) -> RdbError {
        self.error_at(self.pos, message)
    }

    /// The next `n` bytes, refusing (before any allocation) to read past the end.
    pub fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() as u64 {
            return Err(self
                .error(format!("unexpected end of data reading {what}: {n} bytes needed, {} left", self.remaining())));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, RdbError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], RdbError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64, what)?);
        Ok(a)
    }

    pub fn len(&mut self, what: &str) -> Result<Len, RdbError> {
        let b = self.u8(what)?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3f) as u64),
            1 => Len::Plain((((b & 0x3f) as u64) << 8) | self.u8(what)? as u64),
            3 => Len::Special(b & 0x3f),
            _ if b == 0x80 => Len::Plain(u32::from_be_bytes(self.array(what)?) as u64),
            _ if b == 0x81 => Len::Plain(u64::from_be_bytes(self.array(what)?)),
            _ => return Err(self.error_at(self.pos - 1, format!("unknown length encoding 0x{b:02x} in {what}"))),
        })
    }

    /// A length that must be a plain number.
    pub fn plain_len(&mut self, what: &str) -> Result<u64, RdbError> {
        let at = self.pos;
        match self.len(what)? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => Err(self.error_at(at, format!("{what}: expected a length, found a string encoding"))),
        }
    }

    /// A string in any of its encodings, integers as their decimal text.
    pub fn string(&mut self, what: &str) -> Result<Vec<u8>, RdbError> {
        let at = self.pos;
        match self.len(what)? {
            Len::Plain(n) => Ok(self.take(n, what)?.to_vec()),
            Len::Special(ENC_INT8) => Ok((self.u8(what)? as i8).to_string().into_bytes()),
            Len::Special(ENC_INT16) => Ok(i16::from_le_bytes(self.array(what)?).to_string().into_bytes()),
            Len::Special(ENC_INT32) => Ok(i32::from_le_bytes(self.array(what)?).to_string().into_bytes()),
            Len::Special(ENC_LZF) => {
                let clen = self.plain_len(what)?;
                let len = self.plain_len(what)?;
                let data = self.take(clen, what)?;
                let len =
                    usize::try_from(len).map_err(|_| self.error_at(at, format!("{what}: LZF length too large")))?;
                lzf::decompress(data, len).map_err(|e| self.error_at(at, format!("{what}: invalid LZF data: {e}")))
            }
            Len::Special(e) => Err(self.error_at(at, format!("unknown string encoding {e} in {what}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_at_the_boundaries() {
        for n in [0u64, 63, 64, 16383, 16384, u32::MAX as u64, u32::MAX as u64 + 1, u64::MAX] {
            let mut out = Vec::new();
            put_len(&mut out, n);
            let expected_size = match n {
                0..=63 => 1,
                64..=16383 => 2,
                16384..=0xffff_ffff => 5,
                _ => 9,
            };
            assert_eq!(out.len(), expected_size, "{n}");
            assert_eq!(Cursor::new(&out).plain_len("n").unwrap(), n);
        }
        // 14-bit lengths are big endian: 300 = 0x12c.
        let mut out = Vec::new();
        put_len(&mut out, 300);
        assert_eq!(out, [0x41, 0x2c]);
    }

    #[test]
    fn strings_pick_redis_encodings() {
        let enc = |s: &[u8], lzf: bool| {
            let mut out = Vec::new();
            let mut c = Compressor::new();
            put_string(&mut out, s, if lzf { Some(&mut c) } else { None });
            out
        };
        assert_eq!(enc(b"12", true), [0xc0, 12]);
        assert_eq!(enc(b"-129", true), [0xc1, 0x7f, 0xff]);
        assert_eq!(enc(b"2147483647", true), [0xc2, 0xff, 0xff, 0xff, 0x7f]);
        // Too big for 32 bits, or not canonical: verbatim.
        assert_eq!(enc(b"2147483648", true)[0], 10);
        assert_eq!(enc(b"012", true), [3, b'0', b'1', b'2']);
        assert_eq!(enc(b"-0", true), [2, b'-', b'0']);
        let long = vec![b'a'; 64];
        assert_eq!(enc(&long, true)[..4], [0xc3, 9, 0x40, 0x40]);
        assert_eq!(enc(&long, false)[..2], [0x40, 0x40]);
        let mut with_int = Vec::new();
        put_integer(&mut with_int, 1 << 40);
        assert_eq!(with_int, b"\x0d1099511627776");
        for s in [&b"12"[..], b"-129", b"2147483648", b"012", &long, b""] {
            for lzf in [true, false] {
                assert_eq!(Cursor::new(&enc(s, lzf)).string("s").unwrap(), s);
            }
        }
    }

    #[test]
    fn bad_encodings_are_errors_with_offsets() {
        let e = Cursor::new(&[0x82]).len("x").unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(Cursor::new(&[0xc4]).string("x").is_err());
        assert!(Cursor::new(&[0x05, b'a']).string("x").is_err());
        // A 64-bit length far past the data is refused without allocating.
        let e = Cursor::new(&[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).string("x").unwrap_err();
        assert!(e.message.contains("unexpected end"), "{}", e.message);
        assert!(Cursor::new(&[0xc3, 0x02, 0x40, 0xff, 0x00, b'a']).string("x").is_err());
    }
}
