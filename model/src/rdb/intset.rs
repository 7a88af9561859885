//! Intset: the encoding of small all-integer sets, stored in RDB as one
//! opaque string.
//!
//! Layout: element width in bytes (u32 LE: 2, 4 or 8), element count (u32 LE),
//! then the elements ascending, little endian, all of that width. Redis only
//! ever widens an intset, so a dump may use a wider width than its values
//! need; the writer here picks the narrowest, which loads the same.

use super::BlobError;

const HEADER: usize = 8;

/// The intset holding `values` (any order, no duplicates expected).
pub fn encode(values: &[i64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let width: usize = if sorted.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if sorted.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(HEADER + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Decodes and validates an intset: known width, size matching the count,
/// not empty, strictly ascending (what Redis's deep check demands).
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, BlobError> {
    let err = |offset: usize, message: String| BlobError { offset, message };
    if blob.len() < HEADER {
        return Err(err(0, "intset shorter than its header".into()));
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(err(0, format!("invalid intset encoding {width}")));
    }
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if (blob.len() - HEADER) / width != count || !(blob.len() - HEADER).is_multiple_of(width) {
        return Err(err(4, format!("intset of {count} elements of {width} bytes cannot be {} bytes", blob.len())));
    }
    if count == 0 {
        return Err(err(4, "empty intset".into()));
    }
    let mut out: Vec<i64> = Vec::with_capacity(count);
    for (i, chunk) in blob[HEADER..].chunks_exact(width).enumerate() {
        let v = match width {
            2 => i16::from_le_bytes([chunk[0], chunk[1]]) as i64,
            4 => i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as i64,
            _ => {
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                i64::from_le_bytes(w)
            }
        };
        if out.last().is_some_and(|&prev| prev >= v) {
            return Err(err(HEADER + i * width, "intset not strictly ascending".into()));
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_layout() {
        // SADD si 1 2 300, as in a Redis 7.0 dump.
        assert_eq!(encode(&[300, 1, 2]), [2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 0x2c, 0x01]);
    }

    #[test]
    fn widths_round_trip() {
        for values in [vec![-5, 7], vec![40000, -1], vec![i64::MIN, 0, i64::MAX], vec![i32::MIN as i64]] {
            let blob = encode(&values);
            let mut sorted = values.clone();
            sorted.sort();
            assert_eq!(decode(&blob).unwrap(), sorted);
        }
        assert_eq!(encode(&[40000])[0], 4);
        assert_eq!(encode(&[1 << 40])[0], 8);
    }

    #[test]
    fn invalid_blobs_are_rejected() {
        assert!(decode(&[2, 0, 0, 0]).is_err());
        assert!(decode(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 4, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 5, 0]).is_err());
    }
}
