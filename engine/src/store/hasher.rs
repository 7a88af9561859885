//! The keyspace's hash function.
//!
//! Redis seeds SipHash randomly at startup; redsim must replay every run from
//! its seed, so the hash is fixed: bucket order, and with it SCAN cursors,
//! KEYS order and RANDOMKEY draws, are the same in every run. It is a
//! folded-multiply hash (the construction of wyhash and foldhash): eight bytes
//! at a time, each word folded into the state with a 64×64→128-bit multiply
//! whose halves are XORed. The low bits, which pick the bucket, depend on every
//! input bit.

const SEED: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xbf58_476d_1ce4_e5b9;

/// The 128-bit product of `a` and `b`, halves folded together.
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

/// The hash of a key (or any byte string).
#[inline]
pub fn hash_key(key: &[u8]) -> u64 {
    let mut h = SEED ^ (key.len() as u64).wrapping_mul(K2);
    let mut words = key.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = fold_mul(h ^ w, K1);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        h = fold_mul(h ^ tail_word(rest), K1);
    }
    fold_mul(h ^ (h >> 29), K2)
}

/// The 1 to 7 bytes of `rest` as a little-endian word, zero-padded. Built
/// from overlapping loads rather than a copy into a padded buffer: a
/// variable-length copy is a call to `memcpy`, which showed up in profiles
/// of every keyed command (most keys' lengths are not multiples of eight).
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    debug_assert!((1..8).contains(&n));
    if n >= 4 {
        let lo = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as u64;
        let hi = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]) as u64;
        lo | hi << ((n - 4) * 8)
    } else {
        rest[0] as u64 | (rest[n / 2] as u64) << (n / 2 * 8) | (rest[n - 1] as u64) << ((n - 1) * 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hash_key(b"key:1")`, as computed before `tail_word` existed.
    const FIXED_KEY_1: u64 = 0x5628_8847_b285_fe31;

    #[test]
    fn fixed_and_spread() {
        // Fixed: the same value in every run and on every machine.
        assert_eq!(hash_key(b"key:1"), hash_key(b"key:1"));
        assert_ne!(hash_key(b""), hash_key(b"\0"));
        assert_ne!(hash_key(b"a"), hash_key(b"a\0"));
        // Similar keys land in different buckets of a small table.
        let mut buckets = [0u32; 64];
        for i in 0..6400u32 {
            buckets[(hash_key(format!("key:{i}").as_bytes()) & 63) as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| (50..=150).contains(&n)), "{buckets:?}");
    }

    /// The tail word is the zero-padded little-endian word of the last
    /// bytes, for every tail length: the hash (and with it bucket order,
    /// SCAN cursors and replays) does not depend on how it is loaded.
    #[test]
    fn tail_word_is_the_padded_word() {
        let bytes = [0x11u8, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
        for n in 1..8 {
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(tail_word(&bytes[..n]), u64::from_le_bytes(padded), "{n} bytes");
        }
        // A value fixed before this loading was written, to catch a change.
        assert_eq!(hash_key(b"key:1"), FIXED_KEY_1);
    }
}
