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
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = fold_mul(h ^ u64::from_le_bytes(last), K1);
    }
    fold_mul(h ^ (h >> 29), K2)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
