//! Zipmap: the small-hash encoding of Redis 2.x (RDB type 9), which 7.0
//! still loads, converting it to a listpack hash.
//!
//! Layout: a count byte (254 = "count them"), then pairs of `len key len free
//! value <free bytes>`, and a 0xFF terminator. A length is one byte below 254,
//! or 254 followed by a u32 (little endian, as written on x86). `free` is the
//! number of unused bytes after the value.
//!
//! The encoder exists so tests can build old dumps.

use super::BlobError;

const BIG_LEN: u8 = 254;
const EOF: u8 = 0xff;

/// Field/value pairs in zipmap order.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn err(offset: usize, message: impl Into<String>) -> BlobError {
    BlobError { offset, message: message.into() }
}

/// Reads a zipmap length at `*p`.
fn read_len(zm: &[u8], p: &mut usize) -> Result<usize, BlobError> {
    let b = *zm.get(*p).ok_or_else(|| err(*p, "zipmap entry past the end of the blob"))?;
    if b < BIG_LEN {
        *p += 1;
        return Ok(b as usize);
    }
    if b == EOF {
        return Err(err(*p, "zipmap terminator where a value was expected"));
    }
    let w = zm.get(*p + 1..*p + 5).ok_or_else(|| err(*p, "zipmap length past the end of the blob"))?;
    *p += 5;
    Ok(u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize)
}

fn take<'a>(zm: &'a [u8], p: &mut usize, n: usize) -> Result<&'a [u8], BlobError> {
    let end =
        p.checked_add(n).filter(|&e| e <= zm.len()).ok_or_else(|| err(*p, "zipmap data past the end of the blob"))?;
    let s = &zm[*p..end];
    *p = end;
    Ok(s)
}

/// Decodes and validates a zipmap into its pairs, in order.
pub fn decode(zm: &[u8]) -> Result<Pairs, BlobError> {
    let Some(&count) = zm.first() else {
        return Err(err(0, "empty zipmap blob"));
    };
    let mut p = 1;
    let mut out = Vec::new();
    loop {
        match zm.get(p) {
            None => return Err(err(p, "zipmap has no terminator")),
            Some(&EOF) => {
                if p != zm.len() - 1 {
                    return Err(err(p, "zipmap terminator before the end of the blob"));
                }
                break;
            }
            Some(_) => {}
        }
        let klen = read_len(zm, &mut p)?;
        let key = take(zm, &mut p, klen)?.to_vec();
        let vlen = read_len(zm, &mut p)?;
        let free = *zm.get(p).ok_or_else(|| err(p, "zipmap free byte past the end of the blob"))? as usize;
        p += 1;
        let value = take(zm, &mut p, vlen)?.to_vec();
        take(zm, &mut p, free)?;
        out.push((key, value));
    }
    if count < BIG_LEN && count as usize != out.len() {
        return Err(err(0, format!("zipmap header counts {count} pairs, found {}", out.len())));
    }
    Ok(out)
}

/// The zipmap of `pairs`, with `free` spare bytes after every value.
pub fn encode(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
    let mut out = vec![if pairs.len() < BIG_LEN as usize { pairs.len() as u8 } else { BIG_LEN }];
    let put_len = |out: &mut Vec<u8>, n: usize| {
        if n < BIG_LEN as usize {
            out.push(n as u8);
        } else {
            out.push(BIG_LEN);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    for (k, v) in pairs {
        put_len(&mut out, k.len());
        out.extend_from_slice(k);
        put_len(&mut out, v.len());
        out.push(free);
        out.extend_from_slice(v);
        out.extend(std::iter::repeat_n(0u8, free as usize));
    }
    out.push(EOF);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let big = vec![b'v'; 400];
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"a", b"1"), (b"field", &big), (b"", b"")];
        for free in [0, 3] {
            let zm = encode(&pairs, free);
            let got = decode(&zm).unwrap();
            let want: Vec<(Vec<u8>, Vec<u8>)> = pairs.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
            assert_eq!(got, want);
        }
        // The documented example: "foo" => "bar", "hello" => "world".
        let zm = encode(&[(b"foo", b"bar"), (b"hello", b"world")], 0);
        assert_eq!(zm, b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff");
    }

    #[test]
    fn corruption_is_detected() {
        let zm = encode(&[(b"k", b"v")], 0);
        assert!(decode(&zm[..zm.len() - 1]).is_err());
        assert!(decode(&[]).is_err());
        let mut bad = zm.clone();
        bad[0] = 2;
        assert!(decode(&bad).is_err());
        let mut bad = zm;
        bad[1] = 200;
        assert!(decode(&bad).is_err());
    }
}
