//! Ziplist: the flat encoding Redis used before listpacks (up to RDB 9,
//! Redis 6.2), still loaded by 7.0 and converted to listpacks on the way in.
//!
//! Layout: total size (u32 LE), offset of the last entry (u32 LE), count
//! (u16 LE, 65535 = "count them"), entries, and a 0xFF terminator. Each entry
//! starts with the size of the previous entry (1 byte, or 0xFE and a u32 LE),
//! then an encoding: a string length in 6, 14 (big endian) or 32 bits (big
//! endian), or an integer of 8, 16, 24, 32 or 64 bits (little endian), or an
//! immediate 0..=12 in the encoding byte itself.
//!
//! The encoder exists so tests can build old dumps; it follows Redis's
//! choices (strings shorter than 32 bytes that are integers become integers).

use super::listpack::LpValue;
use super::BlobError;
use crate::num;

const HEADER: usize = 10;
const EOF: u8 = 0xff;
const BIG_PREVLEN: u8 = 0xfe;

fn err(offset: usize, message: impl Into<String>) -> BlobError {
    BlobError { offset, message: message.into() }
}

/// Decodes and validates a ziplist: sizes, the tail offset, every entry's
/// previous-length field, the count, and the terminator.
pub fn decode(zl: &[u8]) -> Result<Vec<LpValue>, BlobError> {
    if zl.len() < HEADER + 1 {
        return Err(err(0, "ziplist shorter than its header"));
    }
    let total = u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]]) as usize;
    if total != zl.len() {
        return Err(err(0, format!("ziplist header says {total} bytes, blob has {}", zl.len())));
    }
    let tail = u32::from_le_bytes([zl[4], zl[5], zl[6], zl[7]]) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let mut out = Vec::new();
    let mut p = HEADER;
    let mut prev_len = 0usize;
    let mut last_start = HEADER;
    loop {
        let Some(&first) = zl.get(p) else {
            return Err(err(p, "ziplist has no terminator"));
        };
        if first == EOF {
            if p != zl.len() - 1 {
                return Err(err(p, "ziplist terminator before the end of the blob"));
            }
            break;
        }
        let start = p;
        let (stored_prev, header) = if first == BIG_PREVLEN {
            let b = zl.get(p + 1..p + 5).ok_or_else(|| err(p, "ziplist entry past the end of the blob"))?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
        } else {
            (first as usize, 1)
        };
        if stored_prev != prev_len {
            return Err(err(
                p,
                format!("ziplist entry says the previous one is {stored_prev} bytes, it is {prev_len}"),
            ));
        }
        p += header;
        let (value, len) = decode_payload(zl, p)?;
        p += len;
        prev_len = p - start;
        last_start = start;
        out.push(value);
    }
    if tail != last_start {
        return Err(err(4, format!("ziplist tail offset {tail} is not the last entry ({last_start})")));
    }
    if count != u16::MAX && count as usize != out.len() {
        return Err(err(8, format!("ziplist header counts {count} entries, found {}", out.len())));
    }
    Ok(out)
}

/// The encoding and data at `p`, and their size.
fn decode_payload(zl: &[u8], p: usize) -> Result<(LpValue, usize), BlobError> {
    let need = |n: usize| -> Result<&[u8], BlobError> {
        zl.get(p..p.saturating_add(n)).ok_or_else(|| err(p, "ziplist entry past the end of the blob"))
    };
    let string = |header: usize, len: usize| -> Result<(LpValue, usize), BlobError> {
        let b = need(header.saturating_add(len))?;
        Ok((LpValue::Str(b[header..].to_vec()), header + len))
    };
    let b = zl[p];
    match b {
        0x00..=0x3f => string(1, (b & 0x3f) as usize),
        0x40..=0x7f => {
            let e = need(2)?;
            string(2, (((e[0] & 0x3f) as usize) << 8) | e[1] as usize)
        }
        0x80..=0xbf => {
            let e = need(5)?;
            string(5, u32::from_be_bytes([e[1], e[2], e[3], e[4]]) as usize)
        }
        0xc0 => {
            let e = need(3)?;
            Ok((LpValue::Int(i16::from_le_bytes([e[1], e[2]]) as i64), 3))
        }
        0xd0 => {
            let e = need(5)?;
            Ok((LpValue::Int(i32::from_le_bytes([e[1], e[2], e[3], e[4]]) as i64), 5))
        }
        0xe0 => {
            let e = need(9)?;
            let mut w = [0u8; 8];
            w.copy_from_slice(&e[1..9]);
            Ok((LpValue::Int(i64::from_le_bytes(w)), 9))
        }
        0xf0 => {
            let e = need(4)?;
            let v = i32::from_le_bytes([0, e[1], e[2], e[3]]) >> 8;
            Ok((LpValue::Int(v as i64), 4))
        }
        0xfe => {
            let e = need(2)?;
            Ok((LpValue::Int(e[1] as i8 as i64), 2))
        }
        0xf1..=0xfd => Ok((LpValue::Int((b & 0x0f) as i64 - 1), 1)),
        _ => Err(err(p, format!("invalid ziplist entry encoding 0x{b:02x}"))),
    }
}

/// The ziplist of `items`, encoded the way Redis would have.
pub fn encode<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![0u8; HEADER];
    let mut count = 0usize;
    let mut prev_len = 0usize;
    let mut last_start = HEADER;
    for item in items {
        let start = out.len();
        if prev_len < BIG_PREVLEN as usize {
            out.push(prev_len as u8);
        } else {
            out.push(BIG_PREVLEN);
            out.extend_from_slice(&(prev_len as u32).to_le_bytes());
        }
        let as_int = if item.len() < 32 { num::parse_i64(item) } else { None };
        match as_int {
            Some(v @ 0..=12) => out.push(0xf1 + v as u8),
            Some(v) if i8::try_from(v).is_ok() => out.extend_from_slice(&[0xfe, v as u8]),
            Some(v) if i16::try_from(v).is_ok() => {
                out.push(0xc0);
                out.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v) if (-8_388_608..=8_388_607).contains(&v) => {
                out.push(0xf0);
                out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                out.push(0xd0);
                out.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                out.push(0xe0);
                out.extend_from_slice(&v.to_le_bytes());
            }
            None => {
                let n = item.len();
                if n <= 0x3f {
                    out.push(n as u8);
                } else if n <= 0x3fff {
                    out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
                } else {
                    out.push(0x80);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                out.extend_from_slice(item);
            }
        }
        prev_len = out.len() - start;
        last_start = start;
        count += 1;
    }
    out.push(EOF);
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    out[4..8].copy_from_slice(&(last_start as u32).to_le_bytes());
    out[8..10].copy_from_slice(&(count.min(u16::MAX as usize) as u16).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let long = vec![b'q'; 300];
        let huge = vec![b'z'; 17000];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"12",
            b"13",
            b"-128",
            b"127",
            b"-32768",
            b"8388607",
            b"-8388608",
            b"2147483647",
            b"-9223372036854775808",
            b"hello",
            b"",
            b"007",
            &long,
            &huge,
            b"after",
        ];
        let zl = encode(items.iter().copied());
        let got: Vec<Vec<u8>> = decode(&zl).unwrap().into_iter().map(LpValue::into_bytes).collect();
        assert_eq!(got, items.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn empty_ziplist_is_valid() {
        let zl = encode(std::iter::empty());
        assert_eq!(zl, [11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xff]);
        assert!(decode(&zl).unwrap().is_empty());
    }

    #[test]
    fn corruption_is_detected() {
        let zl = encode([&b"abc"[..], b"7", b"xyz"]);
        for i in 0..zl.len() {
            let mut bad = zl.clone();
            bad[i] ^= 0x40;
            // Flipping a string's content byte is not detectable; anything else is.
            let content = [12usize, 13, 14, 19, 20, 21];
            if !content.contains(&i) {
                assert!(decode(&bad).is_err(), "flip at {i} went unnoticed");
            }
        }
        assert!(decode(&zl[..zl.len() - 1]).is_err());
    }
}
