//! C `long double` as on x86-64 (the x87 80-bit extended format), in software.
//!
//! INCRBYFLOAT and HINCRBYFLOAT parse with `strtold`, add in `long double` and
//! print with `%.17Lf`. The extra 11 bits of precision are visible: `10.5`
//! plus `0.1` prints `10.6` in Redis, where doubles would give
//! `10.59999999999999964`. Everything here is exact integer arithmetic with
//! round-to-nearest-even, as the x87 unit does in its default mode.

use super::bigint::Big;
use super::double::{f64_from_parts, layout_g};
use super::fp::{self, Rounded, Syntax, F64, F80};

/// Redis's MAX_LONG_DOUBLE_CHARS: `string2ld` copies the argument into a
/// buffer of this size with a terminating NUL, so 5119 bytes is the longest
/// accepted argument.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Exponent field of infinities and NaNs.
const EXP_SPECIAL: u16 = 0x7fff;
/// Integer bit and quiet bit of the x87 significand.
const INT_BIT: u64 = 1 << 63;
const QUIET_BIT: u64 = 1 << 62;
/// Value of a normal number is `mant * 2^(exp - EXP_OFFSET)`; subnormals use
/// the exponent of `exp == 1`.
const EXP_OFFSET: i64 = 16383 + 63;

/// An x87 extended-precision value: sign, 15-bit biased exponent, and 64-bit
/// significand with an explicit integer bit.
///
/// Equality compares representations, so `-0 != +0` and a NaN equals the same
/// NaN; that is what tests against C's bit patterns want.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    exp: u16,
    mant: u64,
}

/// A value taken apart: `m * 2^e` for finite numbers.
enum Class {
    Zero,
    Finite { m: u64, e: i64 },
    Inf,
    Nan,
}

impl LongDouble {
    /// Positive zero.
    pub const ZERO: LongDouble = LongDouble { negative: false, exp: 0, mant: 0 };
    /// The NaN the x87 unit makes for invalid operations such as inf - inf.
    const DEFAULT_NAN: LongDouble = LongDouble { negative: true, exp: EXP_SPECIAL, mant: INT_BIT | QUIET_BIT };

    fn infinity(negative: bool) -> LongDouble {
        LongDouble { negative, exp: EXP_SPECIAL, mant: INT_BIT }
    }

    /// The value from its fields: sign, biased exponent (15 bits), significand.
    /// Encodings the x87 unit rejects as operands (a normal exponent without the
    /// integer bit, or a special exponent without it) become the default NaN;
    /// a pseudo-denormal is read as the normal number it equals.
    pub fn from_bits(negative: bool, exp: u16, mant: u64) -> LongDouble {
        let exp = exp & EXP_SPECIAL;
        if exp == 0 && mant & INT_BIT != 0 {
            return LongDouble { negative, exp: 1, mant };
        }
        if exp != 0 && mant & INT_BIT == 0 {
            return LongDouble::DEFAULT_NAN;
        }
        LongDouble { negative, exp, mant }
    }

    /// Sign, biased exponent and significand, as stored in memory by C.
    pub fn to_bits(self) -> (bool, u16, u64) {
        (self.negative, self.exp, self.mant)
    }

    fn class(self) -> Class {
        match self.exp {
            EXP_SPECIAL if self.mant == INT_BIT => Class::Inf,
            EXP_SPECIAL => Class::Nan,
            0 if self.mant == 0 => Class::Zero,
            0 => Class::Finite { m: self.mant, e: 1 - EXP_OFFSET },
            exp => Class::Finite { m: self.mant, e: exp as i64 - EXP_OFFSET },
        }
    }

    fn from_rounded(negative: bool, r: Rounded) -> LongDouble {
        match r {
            Rounded::Zero => LongDouble { negative, exp: 0, mant: 0 },
            Rounded::Inf => LongDouble::infinity(negative),
            Rounded::Finite { m, e } if m & INT_BIT != 0 => {
                LongDouble { negative, exp: (e + EXP_OFFSET) as u16, mant: m }
            }
            // Subnormal: `e` is the format's minimum.
            Rounded::Finite { m, .. } => LongDouble { negative, exp: 0, mant: m },
        }
    }

    /// Parses like Redis 7.0's `string2ld`: at most 5119 bytes, no leading
    /// whitespace, and `strtold` must consume everything (decimal with an
    /// optional exponent, `0x` hex floats, `inf`/`infinity`). NaN is rejected,
    /// as is overflow and a nonzero number that rounds to zero (glibc's ERANGE);
    /// subnormal results are accepted. "inf" itself parses: Redis refuses it
    /// later, after the addition ("increment would produce NaN or Infinity").
    pub fn parse(b: &[u8]) -> Option<LongDouble> {
        if b.is_empty() || b.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        match fp::scan(b)? {
            Syntax::Inf { negative } => Some(LongDouble::infinity(negative)),
            Syntax::Num { negative, hex, int, frac, exp } => {
                let r = if hex {
                    fp::hex_to_binary(int, frac, exp, &F80)
                } else {
                    fp::decimal_to_binary(int, frac, exp, &F80)
                };
                match r {
                    Rounded::Inf => None,
                    Rounded::Zero if fp::any_nonzero(int, frac) => None,
                    r => Some(LongDouble::from_rounded(negative, r)),
                }
            }
        }
    }

    /// The exact value of an integer (64 significand bits hold any i64).
    pub fn from_i64(v: i64) -> LongDouble {
        LongDouble::from_rounded(v < 0, fp::round(v.unsigned_abs() as u128, 0, false, &F80))
    }

    /// The exact value of a double, as C's conversion gives it.
    pub fn from_f64(v: f64) -> LongDouble {
        let bits = v.to_bits();
        let negative = bits >> 63 == 1;
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1 << 52) - 1);
        match exp {
            0x7ff if frac == 0 => LongDouble::infinity(negative),
            0x7ff => LongDouble { negative, exp: EXP_SPECIAL, mant: INT_BIT | QUIET_BIT | (frac << 11) },
            0 => LongDouble::from_rounded(negative, fp::round(frac as u128, -1074, false, &F80)),
            _ => LongDouble::from_rounded(negative, fp::round((frac | 1 << 52) as u128, exp - 1075, false, &F80)),
        }
    }

    /// The nearest double (ties to even), as C's conversion gives it.
    pub fn to_f64(self) -> f64 {
        let magnitude = match self.class() {
            Class::Zero => 0.0,
            Class::Inf => f64::INFINITY,
            Class::Nan => {
                return f64::from_bits(
                    (self.negative as u64) << 63 | 0x7ff8_0000_0000_0000 | ((self.mant & !INT_BIT) >> 11),
                )
            }
            Class::Finite { m, e } => match fp::round(m as u128, e, false, &F64) {
                Rounded::Zero => 0.0,
                Rounded::Inf => f64::INFINITY,
                Rounded::Finite { m, e } => f64_from_parts(m, e),
            },
        };
        if self.negative {
            -magnitude
        } else {
            magnitude
        }
    }

    pub fn is_nan(self) -> bool {
        matches!(self.class(), Class::Nan)
    }

    pub fn is_infinite(self) -> bool {
        matches!(self.class(), Class::Inf)
    }

    /// Neither infinite nor NaN: INCRBYFLOAT refuses to store anything else.
    pub fn is_finite(self) -> bool {
        self.exp != EXP_SPECIAL
    }

    pub fn is_sign_negative(self) -> bool {
        self.negative
    }

    /// `self + other`, correctly rounded to 64 bits (x87 extended precision
    /// control, round to nearest even), subnormals included. Same as `+`.
    #[allow(clippy::should_implement_trait)] // it is implemented too; this needs no import
    pub fn add(self, other: LongDouble) -> LongDouble {
        match (self.class(), other.class()) {
            (Class::Nan, _) => self.quieted(),
            (_, Class::Nan) => other.quieted(),
            (Class::Inf, Class::Inf) if self.negative != other.negative => LongDouble::DEFAULT_NAN,
            (Class::Inf, _) => self,
            (_, Class::Inf) => other,
            // -0 + -0 is -0; any other sum of zeros is +0.
            (Class::Zero, Class::Zero) => LongDouble { negative: self.negative && other.negative, exp: 0, mant: 0 },
            (Class::Zero, _) => other,
            (_, Class::Zero) => self,
            (Class::Finite { m: ma, e: ea }, Class::Finite { m: mb, e: eb }) => {
                add_finite((self.negative, ma, ea), (other.negative, mb, eb))
            }
        }
    }

    fn quieted(self) -> LongDouble {
        LongDouble { mant: self.mant | QUIET_BIT, ..self }
    }

    /// Redis's `ld2string` in LD_STR_HUMAN mode (INCRBYFLOAT's reply and stored
    /// value): glibc's `%.17Lf` (all integer digits, 17 decimals, exact value
    /// rounded half to even), then trailing zeros and a bare '.' removed, and
    /// "-0" turned into "0". Infinities print as "inf"/"-inf". The longest
    /// output (about 4950 bytes for the largest finite value) always fits
    /// Redis's 5120-byte buffer, so there is no failure case.
    pub fn to_human_string(&self) -> String {
        let (m, e) = match self.class() {
            Class::Inf | Class::Nan => return self.special_string(),
            Class::Zero => (0, 0),
            Class::Finite { m, e } => (m, e),
        };
        let digits = scaled_round(m, e, 17).to_decimal();
        let padded = format!("{digits:0>18}");
        let (int, frac) = padded.split_at(padded.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut out = String::with_capacity(padded.len() + 2);
        if self.negative {
            out.push('-');
        }
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" {
            out.remove(0);
        }
        out
    }

    /// Redis's `ld2string` in LD_STR_AUTO mode: glibc's `%.17Lg`, with
    /// infinities as "inf"/"-inf".
    pub fn to_auto_string(&self) -> String {
        const P: usize = 17;
        let (m, e) = match self.class() {
            Class::Inf | Class::Nan => return self.special_string(),
            Class::Zero => return if self.negative { "-0" } else { "0" }.to_string(),
            Class::Finite { m, e } => (m, e),
        };
        let low = pow10(P as u32 - 1);
        let high = pow10(P as u32);
        // Decimal exponent of the leading digit: estimated from the binary
        // exponent (log10(2) ~ 0.30103), then corrected by at most one step
        // each way.
        let top_bit = e + 63 - m.leading_zeros() as i64;
        let mut x = (top_bit * 30103).div_euclid(100_000);
        let mut digits = Big::zero();
        for _ in 0..4 {
            digits = scaled_round(m, e, P as i64 - 1 - x);
            if digits >= high {
                x += 1;
            } else if digits < low {
                x -= 1;
            } else {
                break;
            }
        }
        layout_g(self.negative, digits.to_decimal().as_bytes(), x, P)
    }

    /// "inf", "-inf", and glibc's "nan"/"-nan".
    fn special_string(&self) -> String {
        let body = if self.is_nan() { "nan" } else { "inf" };
        if self.negative {
            format!("-{body}")
        } else {
            body.to_string()
        }
    }
}

/// The sum of two nonzero finite values `(negative, m, e)` meaning `m * 2^e`.
fn add_finite(x: (bool, u64, i64), y: (bool, u64, i64)) -> LongDouble {
    // Normalize so the exponents order the magnitudes.
    let norm = |(neg, m, e): (bool, u64, i64)| (neg, m << m.leading_zeros(), e - m.leading_zeros() as i64);
    let (x, y) = (norm(x), norm(y));
    let (big, small) = if x.2 >= y.2 { (x, y) } else { (y, x) };
    // 62 guard bits below the larger significand: the exact sum then needs at
    // most 127 bits, and whatever of the smaller operand falls below them only
    // matters as a sticky bit.
    let n_big = (big.1 as u128) << 62;
    let d = (big.2 - small.2) as u64;
    let (n_small, sticky) = if d <= 62 {
        ((small.1 as u128) << (62 - d), false)
    } else if d - 62 < 64 {
        let s = d - 62;
        ((small.1 >> s) as u128, small.1 & ((1u64 << s) - 1) != 0)
    } else {
        (0, true)
    };
    let e = big.2 - 62;
    if big.0 == small.0 {
        LongDouble::from_rounded(big.0, fp::round(n_big + n_small, e, sticky, &F80))
    } else if n_big == n_small && !sticky {
        LongDouble::ZERO
    } else if n_big > n_small {
        // With a sticky part the true difference is just below
        // n_big - n_small: one less, plus something in (0, 1).
        let diff = n_big - n_small - sticky as u128;
        LongDouble::from_rounded(big.0, fp::round(diff, e, sticky, &F80))
    } else {
        // Only possible with no bits lost (equal exponents).
        LongDouble::from_rounded(small.0, fp::round(n_small - n_big, e, false, &F80))
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    fn add(self, other: LongDouble) -> LongDouble {
        LongDouble::add(self, other)
    }
}

fn pow10(k: u32) -> Big {
    let mut p = Big::from_u64(1);
    p.mul_pow10(k);
    p
}

/// `m * 2^e * 10^k` rounded to an integer, ties to even: the digits printf
/// prints, `k` being the number of decimals wanted.
fn scaled_round(m: u64, e: i64, k: i64) -> Big {
    let mut num = Big::from_u64(m);
    let mut den = Big::from_u64(1);
    if e >= 0 {
        num.shl(e as u64);
    } else {
        den.shl((-e) as u64);
    }
    if k >= 0 {
        num.mul_pow10(k as u32);
    } else {
        den.mul_pow10((-k) as u32);
    }
    let (mut q, mut rem) = num.div_rem(&den);
    rem.shl(1);
    match rem.cmp(&den) {
        std::cmp::Ordering::Greater => q.mul_small_add(1, 1),
        std::cmp::Ordering::Equal if q.bit(0) => q.mul_small_add(1, 1),
        _ => {}
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn incrbyfloat_examples_from_redis() {
        // Observed with redis-server 7.0.15: SET k a; INCRBYFLOAT k b.
        for (a, b, want) in [
            ("10.5", "0.1", "10.6"),
            ("0.1", "0.2", "0.3"),
            ("1e17", "1", "100000000000000001"),
            ("-1", "1", "0"),
            ("0", "-1e-17", "-0.00000000000000001"),
            ("0", "5e-18", "0"),
            ("0", "5.000001e-18", "0.00000000000000001"),
            ("0", "1.5e-17", "0.00000000000000002"),
            ("0", "2.5e-17", "0.00000000000000002"),
            ("1", "1e-4950", "1"),
            ("1", "0x1p3", "9"),
            ("5", "-5", "0"),
            ("1", "-1e-20", "1"),
        ] {
            assert_eq!(ld(a).add(ld(b)).to_human_string(), want, "{a} + {b}");
        }
    }

    #[test]
    fn parse_rejections() {
        for bad in
            ["", " 1", "1 ", "nan", "1e5000", "1e-5000", "1e-4952", "1.18973149535723176508e+4932", "0x", "1\x00"]
        {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert!(ld("inf").is_infinite());
        assert!(ld("-0").is_sign_negative());
        let long_ok = format!("{}1", "0".repeat(MAX_LONG_DOUBLE_CHARS - 2));
        assert_eq!(LongDouble::parse(long_ok.as_bytes()), Some(LongDouble::from_i64(1)));
        let too_long = format!("0{long_ok}");
        assert_eq!(LongDouble::parse(too_long.as_bytes()), None);
    }

    #[test]
    fn specials() {
        let inf = ld("inf");
        let ninf = ld("-inf");
        assert!(inf.add(ninf).is_nan());
        assert_eq!(inf.add(ninf).to_human_string(), "-nan");
        assert_eq!(inf.to_human_string(), "inf");
        assert_eq!(ninf.to_auto_string(), "-inf");
        assert_eq!(ld("-0").to_auto_string(), "-0");
        assert_eq!(ld("-0").to_human_string(), "0");
        assert_eq!(ld("-0").add(ld("-0")).to_bits(), (true, 0, 0));
        assert_eq!(ld("-0").add(ld("0")).to_bits(), (false, 0, 0));
        assert_eq!(ld("1").add(ld("-1")).to_bits(), (false, 0, 0));
        assert_eq!(LongDouble::from_f64(0.1).to_f64(), 0.1);
        assert_eq!(LongDouble::from_i64(i64::MIN).to_human_string(), "-9223372036854775808");
        assert_eq!(ld("0.1").to_auto_string(), "0.1");
        assert_eq!(ld("1e300").to_auto_string(), "1e+300");
    }
}
