//! Listpack: the flat encoding of small hashes, small sorted sets and
//! quicklist nodes, stored in RDB as one opaque string.
//!
//! Layout: total size (u32 LE), element count (u16 LE, 65535 = "count
//! them"), entries, and a 0xFF terminator. Each entry is an encoding byte
//! (with any payload) followed by its own length written backwards ("backlen")
//! so the list can be walked from either end. Strings that are canonical
//! integers are stored as integers, in the smallest form that fits, because
//! Redis does so and its loader checks nothing else.

use super::BlobError;
use crate::num;

const HEADER: usize = 6;
const EOF: u8 = 0xff;
/// Count value meaning "too many to record".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One decoded element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LpValue {
    Int(i64),
    Str(Vec<u8>),
}

impl LpValue {
    /// The element as Redis hands it out: integers in decimal.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            LpValue::Int(v) => v.to_string().into_bytes(),
            LpValue::Str(s) => s,
        }
    }
}

/// Builds a listpack by appending elements, as `lpAppend` does.
#[derive(Clone, Debug)]
pub struct ListpackBuilder {
    bytes: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        ListpackBuilder::new()
    }
}

impl ListpackBuilder {
    pub fn new() -> ListpackBuilder {
        ListpackBuilder { bytes: vec![0; HEADER], count: 0 }
    }

    /// Appends a string, stored as an integer when it is one in Redis's strict sense.
    pub fn push(&mut self, s: &[u8]) {
        match num::parse_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Appends an integer in the smallest encoding that holds it.
    pub fn push_int(&mut self, v: i64) {
        let start = self.bytes.len();
        let b = &mut self.bytes;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            b.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            b.push(0xf1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            b.push(0xf2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            b.push(0xf3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xf4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    /// Appends a string as a string, whatever it holds.
    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.bytes.len();
        let b = &mut self.bytes;
        if s.len() < 64 {
            b.push(0x80 | s.len() as u8);
        } else if s.len() < 4096 {
            b.extend_from_slice(&[0xe0 | (s.len() >> 8) as u8, s.len() as u8]);
        } else {
            b.push(0xf0);
            b.extend_from_slice(&(s.len() as u32).to_le_bytes());
        }
        b.extend_from_slice(s);
        self.finish_entry(start);
    }

    fn finish_entry(&mut self, start: usize) {
        let len = self.bytes.len() - start;
        self.bytes.extend_from_slice(&encode_backlen(len));
        self.count += 1;
    }

    /// Size of the listpack if finished now.
    pub fn len_bytes(&self) -> usize {
        self.bytes.len() + 1
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The finished listpack: header filled in, terminator appended.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.push(EOF);
        let total = self.bytes.len() as u32;
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
        let count = if self.count < COUNT_UNKNOWN as usize { self.count as u16 } else { COUNT_UNKNOWN };
        self.bytes[4..6].copy_from_slice(&count.to_le_bytes());
        self.bytes
    }
}

/// The backwards length of an entry of `len` bytes: 7 bits per byte, the
/// last byte holding the low bits, every byte but the first flagged with 0x80.
fn encode_backlen(len: usize) -> Vec<u8> {
    let l = len as u64;
    if l <= 127 {
        vec![l as u8]
    } else if l < 16383 {
        vec![(l >> 7) as u8, (l & 127) as u8 | 128]
    } else if l < 2_097_151 {
        vec![(l >> 14) as u8, ((l >> 7) & 127) as u8 | 128, (l & 127) as u8 | 128]
    } else if l < 268_435_455 {
        vec![(l >> 21) as u8, ((l >> 14) & 127) as u8 | 128, ((l >> 7) & 127) as u8 | 128, (l & 127) as u8 | 128]
    } else {
        vec![
            (l >> 28) as u8,
            ((l >> 21) & 127) as u8 | 128,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]
    }
}

/// A listpack of `items`, each pushed with [`ListpackBuilder::push`].
pub fn encode<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut b = ListpackBuilder::new();
    for item in items {
        b.push(item);
    }
    b.finish()
}

fn err(offset: usize, message: impl Into<String>) -> BlobError {
    BlobError { offset, message: message.into() }
}

/// Decodes and fully validates a listpack: header size and count, every
/// entry inside the blob with a consistent backlen, the terminator last.
pub fn decode(lp: &[u8]) -> Result<Vec<LpValue>, BlobError> {
    if lp.len() < HEADER + 1 {
        return Err(err(0, "listpack shorter than its header"));
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return Err(err(0, format!("listpack header says {total} bytes, blob has {}", lp.len())));
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    let mut out = Vec::new();
    let mut p = HEADER;
    loop {
        let Some(&first) = lp.get(p) else {
            return Err(err(p, "listpack has no terminator"));
        };
        if first == EOF {
            if p != lp.len() - 1 {
                return Err(err(p, "listpack terminator before the end of the blob"));
            }
            break;
        }
        let (value, entry_len) = decode_entry(lp, p)?;
        let back = encode_backlen(entry_len);
        let back_at = p + entry_len;
        if lp.get(back_at..back_at + back.len()) != Some(&back[..]) {
            return Err(err(back_at, "listpack entry has a wrong backlen"));
        }
        out.push(value);
        p = back_at + back.len();
    }
    if count != COUNT_UNKNOWN && count as usize != out.len() {
        return Err(err(4, format!("listpack header counts {count} entries, found {}", out.len())));
    }
    Ok(out)
}

/// One entry at `p`: its value and its length without the backlen.
fn decode_entry(lp: &[u8], p: usize) -> Result<(LpValue, usize), BlobError> {
    let need = |n: usize| -> Result<&[u8], BlobError> {
        lp.get(p..p.checked_add(n).ok_or_else(|| err(p, "listpack entry too long"))?)
            .ok_or_else(|| err(p, "listpack entry past the end of the blob"))
    };
    let b = lp[p];
    let sign_extend = |u: u64, bits: u32| -> i64 { ((u << (64 - bits)) as i64) >> (64 - bits) };
    let string = |header: usize, len: usize| -> Result<(LpValue, usize), BlobError> {
        let total = header.checked_add(len).ok_or_else(|| err(p, "listpack entry too long"))?;
        let bytes = need(total)?;
        Ok((LpValue::Str(bytes[header..].to_vec()), total))
    };
    match b {
        0x00..=0x7f => Ok((LpValue::Int(b as i64), 1)),
        0x80..=0xbf => string(1, (b & 0x3f) as usize),
        0xc0..=0xdf => {
            let e = need(2)?;
            let u = (((e[0] & 0x1f) as u64) << 8) | e[1] as u64;
            Ok((LpValue::Int(sign_extend(u, 13)), 2))
        }
        0xe0..=0xef => {
            let e = need(2)?;
            string(2, (((e[0] & 0x0f) as usize) << 8) | e[1] as usize)
        }
        0xf0 => {
            let e = need(5)?;
            string(5, u32::from_le_bytes([e[1], e[2], e[3], e[4]]) as usize)
        }
        0xf1 => {
            let e = need(3)?;
            Ok((LpValue::Int(i16::from_le_bytes([e[1], e[2]]) as i64), 3))
        }
        0xf2 => {
            let e = need(4)?;
            let u = e[1] as u64 | (e[2] as u64) << 8 | (e[3] as u64) << 16;
            Ok((LpValue::Int(sign_extend(u, 24)), 4))
        }
        0xf3 => {
            let e = need(5)?;
            Ok((LpValue::Int(i32::from_le_bytes([e[1], e[2], e[3], e[4]]) as i64), 5))
        }
        0xf4 => {
            let e = need(9)?;
            let mut w = [0u8; 8];
            w.copy_from_slice(&e[1..9]);
            Ok((LpValue::Int(i64::from_le_bytes(w)), 9))
        }
        _ => Err(err(p, format!("invalid listpack entry encoding 0x{b:02x}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(items: &[&[u8]]) -> Vec<Vec<u8>> {
        let lp = encode(items.iter().copied());
        decode(&lp).unwrap().into_iter().map(LpValue::into_bytes).collect()
    }

    #[test]
    fn every_encoding_round_trips() {
        let long12 = vec![b'x'; 100];
        let long32 = vec![b'y'; 5000];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"127",
            b"128",
            b"-1",
            b"-4096",
            b"4095",
            b"-4097",
            b"32767",
            b"-32768",
            b"8388607",
            b"-8388608",
            b"2147483647",
            b"-2147483648",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"",
            b"007",
            b"-0",
            b"a",
            &long12,
            &long32,
        ];
        assert_eq!(round_trip(&items), items.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn integers_take_the_smallest_form() {
        // The node Redis 7.0 writes for RPUSH l a 1 300 -5 70000 (from its dump).
        let lp = encode([&b"a"[..], b"1", b"300", b"-5", b"70000"]);
        let redis = [
            0x17, 0, 0, 0, 5, 0, 0x81, b'a', 2, 0x01, 1, 0xc1, 0x2c, 2, 0xdf, 0xfb, 2, 0xf2, 0x70, 0x11, 0x01, 4, 0xff,
        ];
        assert_eq!(lp, redis);
    }

    #[test]
    fn backlen_boundaries() {
        for len in [127usize, 128, 16382, 16383, 2_097_150, 2_097_151] {
            let b = encode_backlen(len);
            // Walk back from the last byte as a reader of the list would.
            let mut v = 0u64;
            let mut shift = 0;
            for &x in b.iter().rev() {
                v |= ((x & 127) as u64) << shift;
                shift += 7;
                if x & 128 == 0 {
                    break;
                }
            }
            assert_eq!(v, len as u64, "{len}");
        }
        assert_eq!(encode_backlen(127).len(), 1);
        assert_eq!(encode_backlen(16382).len(), 2);
        assert_eq!(encode_backlen(16383).len(), 3);
    }

    #[test]
    fn many_entries_record_unknown_count() {
        let items: Vec<Vec<u8>> = (0..70000).map(|i| (i % 100).to_string().into_bytes()).collect();
        let lp = encode(items.iter().map(|v| &v[..]));
        assert_eq!(&lp[4..6], &[0xff, 0xff]);
        assert_eq!(decode(&lp).unwrap().len(), 70000);
    }

    #[test]
    fn corruption_is_detected() {
        let lp = encode([&b"abc"[..], b"5"]);
        assert!(decode(&lp[..lp.len() - 1]).is_err());
        let mut bad = lp.clone();
        bad[4] = 3; // count
        assert!(decode(&bad).is_err());
        let mut bad = lp.clone();
        bad[10] = 9; // backlen of "abc"
        assert!(decode(&bad).is_err());
        let mut bad = lp.clone();
        bad[6] = 0x8f; // string longer than the blob
        assert!(decode(&bad).is_err());
        let mut bad = lp.clone();
        bad[6] = 0xf5; // no such encoding
        assert!(decode(&bad).is_err());
        let mut bad = lp;
        bad[0] += 1;
        assert!(decode(&bad).is_err());
    }
}
