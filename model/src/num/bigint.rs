//! A small unsigned big integer, just enough for exact float conversions.
//!
//! Correctly rounded decimal <-> binary conversion needs exact arithmetic on
//! numbers up to about 10^10000 (a 5119-digit INCRBYFLOAT argument times a
//! power of ten, or `%.17Lf` of the largest long double). The sizes are bounded
//! by the callers, which clamp exponents before they get here.

use std::cmp::Ordering;

/// Little-endian base-2^32 limbs with no zero limb at the top (zero is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Big {
    limbs: Vec<u32>,
}

impl Big {
    pub(crate) fn zero() -> Big {
        Big { limbs: Vec::new() }
    }

    pub(crate) fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    pub(crate) fn from_u64(v: u64) -> Big {
        Big::from_u128(v as u128)
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// Number of significant bits (0 for zero).
    pub(crate) fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 32 - top.leading_zeros() as u64,
        }
    }

    /// `self = self * m + a`.
    pub(crate) fn mul_small_add(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for limb in self.limbs.iter_mut() {
            let t = *limb as u64 * m as u64 + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// `self *= 10^k`.
    pub(crate) fn mul_pow10(&mut self, mut k: u32) {
        while k >= 9 {
            self.mul_small_add(1_000_000_000, 0);
            k -= 9;
        }
        if k > 0 {
            self.mul_small_add(10u32.pow(k), 0);
        }
    }

    /// `self <<= bits`.
    pub(crate) fn shl(&mut self, bits: u64) {
        if self.is_zero() {
            return;
        }
        let words = (bits / 32) as usize;
        let rest = (bits % 32) as u32;
        if rest != 0 {
            let mut carry = 0u32;
            for limb in self.limbs.iter_mut() {
                let v = *limb;
                *limb = (v << rest) | carry;
                carry = v >> (32 - rest);
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if words > 0 {
            let mut shifted = vec![0; words];
            shifted.extend_from_slice(&self.limbs);
            self.limbs = shifted;
        }
    }

    /// `self >>= bits`.
    pub(crate) fn shr(&mut self, bits: u64) {
        let words = (bits / 32).min(self.limbs.len() as u64) as usize;
        self.limbs.drain(..words);
        let rest = (bits % 32) as u32;
        if rest != 0 && !self.limbs.is_empty() {
            for i in 0..self.limbs.len() {
                let hi = self.limbs.get(i + 1).copied().unwrap_or(0);
                self.limbs[i] = (self.limbs[i] >> rest) | (hi << (32 - rest));
            }
        }
        self.trim();
    }

    /// Bit `i` (0 is the least significant).
    pub(crate) fn bit(&self, i: u64) -> bool {
        match self.limbs.get((i / 32) as usize) {
            Some(&limb) => (limb >> (i % 32)) & 1 == 1,
            None => false,
        }
    }

    /// Whether any of the lowest `n` bits is set.
    pub(crate) fn low_bits_nonzero(&self, n: u64) -> bool {
        let words = (n / 32) as usize;
        if self.limbs.iter().take(words).any(|&l| l != 0) {
            return true;
        }
        let rest = (n % 32) as u32;
        rest != 0 && self.limbs.get(words).is_some_and(|&l| l & ((1u32 << rest) - 1) != 0)
    }

    /// The value if it fits in 128 bits.
    pub(crate) fn to_u128(&self) -> Option<u128> {
        if self.limbs.len() > 4 {
            return None;
        }
        Some(self.limbs.iter().rev().fold(0u128, |acc, &l| (acc << 32) | l as u128))
    }

    /// `self -= other`; the caller guarantees `self >= other`.
    pub(crate) fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let o = other.limbs.get(i).copied().unwrap_or(0) as i64;
            let mut t = self.limbs[i] as i64 - o - borrow;
            borrow = 0;
            if t < 0 {
                t += 1 << 32;
                borrow = 1;
            }
            self.limbs[i] = t as u32;
        }
        debug_assert!(borrow == 0 && other.limbs.len() <= self.limbs.len());
        self.trim();
    }

    /// Whether the value is a power of two (and not zero).
    pub(crate) fn is_pow2(&self) -> bool {
        match self.limbs.split_last() {
            None => false,
            Some((top, rest)) => top.is_power_of_two() && rest.iter().all(|&l| l == 0),
        }
    }

    /// Quotient and remainder. The quotient is built bit by bit, which is cheap
    /// for the callers: they divide by a power of two (a shift) or get a quotient
    /// of a few hundred bits at most.
    pub(crate) fn div_rem(&self, den: &Big) -> (Big, Big) {
        debug_assert!(!den.is_zero());
        if den.is_pow2() {
            let shift = den.bit_len() - 1;
            let mut q = self.clone();
            q.shr(shift);
            let mut r = self.clone();
            r.keep_low_bits(shift);
            return (q, r);
        }
        let mut q = Big::zero();
        if self.cmp(den) == Ordering::Less {
            return (q, self.clone());
        }
        // Schoolbook binary division, starting from the top bits that are
        // certainly below `den`, one quotient bit per step.
        let qbits = self.bit_len() - den.bit_len() + 1;
        let mut rem = self.clone();
        rem.shr(qbits);
        q.limbs = vec![0; qbits.div_ceil(32) as usize];
        for i in (0..qbits).rev() {
            rem.shl(1);
            if self.bit(i) {
                match rem.limbs.first_mut() {
                    Some(low) => *low |= 1,
                    None => rem.limbs.push(1),
                }
            }
            if rem.cmp(den) != Ordering::Less {
                rem.sub_assign(den);
                q.limbs[(i / 32) as usize] |= 1 << (i % 32);
            }
        }
        q.trim();
        (q, rem)
    }

    fn keep_low_bits(&mut self, n: u64) {
        let words = (n / 32) as usize;
        let rest = (n % 32) as u32;
        if self.limbs.len() > words {
            self.limbs.truncate(words + 1);
            self.limbs[words] &= if rest == 0 { 0 } else { (1u32 << rest) - 1 };
        }
        self.trim();
    }

    /// Divides in place by a small number, returning the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | *limb as u64;
            *limb = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        self.trim();
        rem as u32
    }

    /// Decimal digits, without leading zeros ("0" for zero).
    pub(crate) fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut chunks = Vec::new();
        let mut v = self.clone();
        while !v.is_zero() {
            chunks.push(v.div_small(1_000_000_000));
        }
        let mut out = String::with_capacity(chunks.len() * 9);
        let mut iter = chunks.iter().rev();
        if let Some(first) = iter.next() {
            out.push_str(&first.to_string());
        }
        for c in iter {
            out.push_str(&format!("{c:09}"));
        }
        out
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_matches_u128() {
        let vals = [0u128, 1, 7, 1 << 31, u64::MAX as u128, 123456789012345678901234567890, u128::MAX >> 3];
        for &a in &vals {
            for &b in &vals {
                let (ba, bb) = (Big::from_u128(a), Big::from_u128(b));
                assert_eq!(ba.cmp(&bb), a.cmp(&b));
                if let (Some(quot), Some(rem)) = (a.checked_div(b), a.checked_rem(b)) {
                    let (q, r) = ba.div_rem(&bb);
                    assert_eq!((q.to_u128(), r.to_u128()), (Some(quot), Some(rem)), "{a} / {b}");
                }
                if a >= b {
                    let mut d = ba.clone();
                    d.sub_assign(&bb);
                    assert_eq!(d.to_u128(), Some(a - b));
                }
            }
            assert_eq!(Big::from_u128(a).to_decimal(), a.to_string());
            for s in [0u64, 1, 5, 31, 32, 33, 64, 70] {
                let mut x = Big::from_u128(a);
                x.shr(s);
                assert_eq!(x.to_u128(), Some(a.checked_shr(s as u32).unwrap_or(0)));
                assert_eq!(Big::from_u128(a).low_bits_nonzero(s), s > 0 && a.trailing_zeros() < s as u32);
            }
        }
        let mut x = Big::from_u64(1);
        x.mul_pow10(30);
        assert_eq!(x.to_decimal(), format!("1{}", "0".repeat(30)));
        x.shl(3);
        assert_eq!(x.to_u128(), Some(8 * 10u128.pow(30)));
        assert!(x.bit(33) && !x.bit(32));
        assert!(x.low_bits_nonzero(34) && !x.low_bits_nonzero(33));
    }
}
