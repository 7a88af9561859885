//! Blocking commands' timeouts (BLPOP, BZPOPMIN, ...), shared by the list and
//! sorted-set groups.

use crate::errors::{self, RedisResult};
use crate::num::LongDouble;

/// A blocking command's timeout in seconds, as Redis 7.0 reads it: a long
/// double (`string2ld` rules), times 1000 in 80-bit arithmetic, truncated to
/// a 64-bit integer the way x86 does (values out of range, infinities
/// included, become i64::MIN and so count as negative). 0 waits forever.
pub fn parse_timeout(arg: &[u8]) -> RedisResult<Option<u64>> {
    let v = LongDouble::parse(arg).ok_or(errors::TIMEOUT_NOT_FLOAT)?;
    let ms = long_double_millis(v);
    if ms < 0 {
        return Err(errors::TIMEOUT_NEGATIVE);
    }
    Ok(if ms == 0 { None } else { Some(ms as u64) })
}

/// `(long long)(v * 1000.0)` for an x87 long double `v`.
fn long_double_millis(v: LongDouble) -> i64 {
    let (negative, exp, mant) = v.to_bits();
    if exp == 0x7fff {
        return i64::MIN;
    }
    // v = mant * 2^e, subnormals sharing the smallest normal exponent.
    let mut e = if exp == 0 { 1 } else { exp as i64 } - (16383 + 63);
    let mut p = mant as u128 * 1000;
    if p == 0 {
        return 0;
    }
    // Round the product to 64 significant bits, ties to even, as the FPU does.
    let bits = 128 - p.leading_zeros() as i64;
    if bits > 64 {
        let shift = (bits - 64) as u32;
        let rest = p & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        p >>= shift;
        if rest > half || (rest == half && p & 1 == 1) {
            p += 1;
        }
        e += shift as i64;
    }
    // Truncate toward zero.
    let magnitude: u128 = if e >= 0 {
        if e >= 64 || p.leading_zeros() < e as u32 + 64 {
            return i64::MIN;
        }
        p << e
    } else if e <= -128 {
        0
    } else {
        p >> (-e) as u32
    };
    if magnitude > i64::MAX as u128 {
        return i64::MIN;
    }
    if negative {
        -(magnitude as i64)
    } else {
        magnitude as i64
    }
}
