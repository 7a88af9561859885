//! What `strtod` and `strtold` share: the accepted syntax, and exact rounding of
//! a decimal or hexadecimal significand to a binary format of given precision.
//!
//! Redis only accepts a float argument when libc's parser consumed every byte,
//! so a partial parse never matters: the syntax here is the full-match grammar,
//! and anything else is rejected by the callers.

use super::bigint::Big;
use std::cmp::Ordering;

/// A binary floating-point format, described by its significand width and the
/// exponents of its least significant bit (value = m * 2^e).
pub(crate) struct Format {
    /// Significand bits, including the leading one.
    pub(crate) prec: u32,
    /// `e` of the subnormals (and of the smallest normals).
    pub(crate) emin: i64,
    /// Largest `e` of a finite value.
    pub(crate) emax: i64,
}

/// IEEE binary64.
pub(crate) const F64: Format = Format { prec: 53, emin: -1074, emax: 971 };
/// x87 80-bit extended precision (C `long double` on x86).
pub(crate) const F80: Format = Format { prec: 64, emin: -16445, emax: 16320 };

/// A magnitude rounded to nearest, ties to even.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounded {
    Zero,
    /// `m * 2^e` with `m < 2^prec`; `m >= 2^(prec-1)` unless `e == emin`.
    Finite {
        m: u64,
        e: i64,
    },
    Inf,
}

/// Rounds `(n + s) * 2^e` to `f`, where `s` is an unknown amount in (0, 1) when
/// `sticky` is set and 0 otherwise. With `sticky`, `n` must carry at least
/// `prec + 2` bits so the rounding point lies above the unknown part.
pub(crate) fn round(n: u128, e: i64, sticky: bool, f: &Format) -> Rounded {
    if n == 0 {
        return Rounded::Zero;
    }
    let len = 128 - n.leading_zeros() as i64;
    // Far outside the range: avoids overflow in the exponent arithmetic below.
    if e + len > f.emax + f.prec as i64 + 2 {
        return Rounded::Inf;
    }
    if e + len < f.emin - 2 {
        return Rounded::Zero;
    }
    let mut target = (e + len - f.prec as i64).max(f.emin);
    let shift = target - e;
    let mut m = if shift <= 0 {
        n << (-shift) as u32
    } else {
        // The bits shifted out, compared with half a unit of the last place kept.
        let (kept, dir) = if shift > 128 {
            (0, Ordering::Less)
        } else if shift == 128 {
            (0, cmp_half(n, 1 << 127, sticky))
        } else {
            (n >> shift, cmp_half(n & ((1u128 << shift) - 1), 1u128 << (shift - 1), sticky))
        };
        match dir {
            Ordering::Greater => kept + 1,
            Ordering::Equal if kept & 1 == 1 => kept + 1,
            _ => kept,
        }
    };
    if m >> f.prec != 0 {
        m >>= 1;
        target += 1;
    }
    if m == 0 {
        Rounded::Zero
    } else if target > f.emax {
        Rounded::Inf
    } else {
        Rounded::Finite { m: m as u64, e: target }
    }
}

/// Compares `below + s` with `half`, `s` being the unknown part in (0, 1).
fn cmp_half(below: u128, half: u128, sticky: bool) -> Ordering {
    match below.cmp(&half) {
        Ordering::Equal if sticky => Ordering::Greater,
        o => o,
    }
}

/// [`round`] for a big `n` (with no unknown part below it).
pub(crate) fn round_big(n: &Big, e: i64, f: &Format) -> Rounded {
    let len = n.bit_len();
    if len <= 128 {
        return round(n.to_u128().unwrap_or(0), e, false, f);
    }
    let drop = len - 128;
    let mut top = n.clone();
    top.shr(drop);
    round(top.to_u128().unwrap_or(0), e + drop as i64, n.low_bits_nonzero(drop), f)
}

/// The parts of a number as written.
pub(crate) enum Syntax<'a> {
    /// `inf` or `infinity`, any case.
    Inf { negative: bool },
    /// A finite number: digits `int` '.' `frac`, times `base`^exp (10 for
    /// decimal; for hex the exponent is binary, so `int`/`frac` are hex digits
    /// and `exp` is a power of two).
    Num { negative: bool, hex: bool, int: &'a [u8], frac: &'a [u8], exp: i64 },
}

/// Whether any digit is nonzero: a nonzero number that rounds to zero is an
/// underflow, which Redis rejects, while "0e-400" is a plain zero.
pub(crate) fn any_nonzero(int: &[u8], frac: &[u8]) -> bool {
    int.iter().chain(frac).any(|&c| c != b'0')
}

/// Exponents beyond this are clamped: every format here overflows or
/// underflows long before, and clamping keeps the arithmetic in range.
const EXP_CLAMP: i64 = 1 << 40;

/// Parses the whole of `b` with strtod's grammar in the C locale. NaN forms
/// and anything not consumed to the end give `None`: Redis rejects both.
pub(crate) fn scan(b: &[u8]) -> Option<Syntax<'_>> {
    let (negative, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(Syntax::Inf { negative });
    }
    let (hex, body) = match rest {
        [b'0', b'x' | b'X', tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let is_digit = |c: &u8| {
        if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
    let int_len = body.iter().take_while(|c| is_digit(c)).count();
    let int = &body[..int_len];
    let mut pos = int_len;
    let mut frac: &[u8] = &[];
    if body.get(pos) == Some(&b'.') {
        let n = body[pos + 1..].iter().take_while(|c| is_digit(c)).count();
        frac = &body[pos + 1..pos + 1 + n];
        pos += 1 + n;
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exp = 0i64;
    if pos < body.len() {
        let marker = body[pos].to_ascii_lowercase();
        if marker != if hex { b'p' } else { b'e' } {
            return None;
        }
        let e = &body[pos + 1..];
        let (eneg, edigits) = match e.first() {
            Some(b'-') => (true, &e[1..]),
            Some(b'+') => (false, &e[1..]),
            _ => (false, e),
        };
        if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for &c in edigits {
            exp = (exp * 10 + (c - b'0') as i64).min(EXP_CLAMP);
        }
        if eneg {
            exp = -exp;
        }
    }
    Some(Syntax::Num { negative, hex, int, frac, exp })
}

/// Exactly rounds the decimal `int.frac * 10^exp` to `f`. The digit strings
/// are bounded by the caller (Redis caps arguments at 5119 bytes for long
/// doubles); the exponent may be anything.
pub(crate) fn decimal_to_binary(int: &[u8], frac: &[u8], exp: i64, f: &Format) -> Rounded {
    let all = int.iter().chain(frac.iter());
    // Significant digits: without leading zeros, and with trailing zeros moved
    // into the exponent.
    let lead = all.clone().take_while(|&&c| c == b'0').count();
    let total = int.len() + frac.len();
    if lead == total {
        return Rounded::Zero;
    }
    let trail = all.clone().rev().take_while(|&&c| c == b'0').count();
    let ndigits = (total - lead - trail) as i64;
    // The value is D * 10^q with D of `ndigits` digits.
    let q = exp - frac.len() as i64 + trail as i64;
    // 10^(ndigits + q - 1) <= value < 10^(ndigits + q): decide the far cases
    // without arithmetic. 2^(emax+prec) < 10^(0.302 * (emax+prec)) + 1 and the
    // smallest subnormal 2^emin > 10^(0.302 * emin - 1).
    let top = ndigits + q;
    let max_dec = ((f.emax + f.prec as i64) * 30103) / 100_000 + 1;
    let min_dec = (f.emin * 30103) / 100_000 - 2;
    if top - 1 > max_dec {
        return Rounded::Inf;
    }
    if top < min_dec {
        return Rounded::Zero;
    }
    let mut d = Big::zero();
    let mut chunk = 0u32;
    let mut chunk_len = 0u32;
    for &c in all.skip(lead).take(ndigits as usize) {
        chunk = chunk * 10 + (c - b'0') as u32;
        chunk_len += 1;
        if chunk_len == 9 {
            d.mul_small_add(1_000_000_000, chunk);
            chunk = 0;
            chunk_len = 0;
        }
    }
    if chunk_len > 0 {
        d.mul_small_add(10u32.pow(chunk_len), chunk);
    }
    if q >= 0 {
        d.mul_pow10(q as u32);
        return round_big(&d, 0, f);
    }
    // value = D / 10^-q: take a quotient of about 126 bits, which is more than
    // prec + 2, and let the remainder decide the sticky bit.
    let mut den = Big::from_u64(1);
    den.mul_pow10((-q) as u32);
    let s = 126 + den.bit_len() as i64 - d.bit_len() as i64;
    if s >= 0 {
        d.shl(s as u64);
    } else {
        den.shl((-s) as u64);
    }
    let (quot, rem) = d.div_rem(&den);
    round(quot.to_u128().unwrap_or(u128::MAX), -s, !rem.is_zero(), f)
}

/// Exactly rounds the hexadecimal `int.frac * 2^exp` to `f`.
pub(crate) fn hex_to_binary(int: &[u8], frac: &[u8], exp: i64, f: &Format) -> Rounded {
    let mut n = 0u128;
    let mut sticky = false;
    // Binary exponent of the last digit kept in `n`.
    let mut e = exp.saturating_sub(4 * frac.len() as i64);
    let mut seen = 0usize;
    for &c in int.iter().chain(frac.iter()) {
        let v = (c as char).to_digit(16).unwrap_or(0) as u128;
        if n == 0 && v == 0 {
            continue;
        }
        // 30 hex digits give at least 117 bits, comfortably over prec + 2.
        if seen < 30 {
            n = (n << 4) | v;
            seen += 1;
        } else {
            sticky |= v != 0;
            // This digit was not kept, so `n` counts in units 16 times larger.
            e += 4;
        }
    }
    round(n, e, sticky, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64_of(r: Rounded) -> f64 {
        match r {
            Rounded::Zero => 0.0,
            Rounded::Inf => f64::INFINITY,
            Rounded::Finite { m, e } => crate::num::double::f64_from_parts(m, e),
        }
    }

    #[test]
    fn rounding_is_half_even() {
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: goes to the even one.
        assert_eq!(f64_of(round((1 << 53) + 1, 0, false, &F64)), 9007199254740992.0);
        assert_eq!(f64_of(round((1 << 53) + 1, 0, true, &F64)), 9007199254740994.0);
        assert_eq!(f64_of(round((1 << 53) + 3, 0, false, &F64)), 9007199254740996.0);
        // Half of the smallest subnormal rounds to zero, a bit more rounds up.
        assert_eq!(round(1, -1075, false, &F64), Rounded::Zero);
        assert_eq!(round(3, -1076, false, &F64), Rounded::Finite { m: 1, e: -1074 });
        assert_eq!(round(u128::MAX, 2000, false, &F64), Rounded::Inf);
    }

    #[test]
    fn decimal_matches_std_parse() {
        for s in
            ["1", "0.1", "123.456", "1e-310", "2.2250738585072011e-308", "9007199254740993", "1.7976931348623157e308"]
        {
            let Some(Syntax::Num { int, frac, exp, .. }) = scan(s.as_bytes()) else { panic!("{s}") };
            assert_eq!(f64_of(decimal_to_binary(int, frac, exp, &F64)), s.parse::<f64>().unwrap(), "{s}");
        }
    }
}
