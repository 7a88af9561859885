//! Doubles: Redis's `string2d` (libc `strtod`) and libc's `%.17g`.

use super::fp::{self, Rounded, Syntax, F64};

/// Parses a command argument as a double the way Redis 7.0's `string2d` does
/// with glibc's `strtod` (ZADD scores, ZRANGEBYSCORE bounds, INCRBYFLOAT-free
/// paths): the whole input must be a number; no leading whitespace; decimal
/// with optional exponent, `0x` hex floats, `inf`/`infinity` in any case with
/// an optional sign. NaN, overflow, and a nonzero number that rounds to zero
/// are rejected (glibc reports those with ERANGE); a result that is merely
/// subnormal is accepted, as in Redis (`ZADD z 1e-310 m` works).
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    let (negative, magnitude) = match fp::scan(b)? {
        Syntax::Inf { negative } => (negative, f64::INFINITY),
        Syntax::Num { negative, hex: true, int, frac, exp } => {
            let m = match fp::hex_to_binary(int, frac, exp, &F64) {
                Rounded::Inf => return None,
                Rounded::Zero if fp::any_nonzero(int, frac) => return None,
                Rounded::Zero => 0.0,
                Rounded::Finite { m, e } => f64_from_parts(m, e),
            };
            (negative, m)
        }
        Syntax::Num { hex: false, int, frac, .. } => {
            // std's parser is correctly rounded and accepts this grammar
            // (sign included); the text is ASCII since `scan` accepted it.
            let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
            if v.is_infinite() || (v == 0.0 && fp::any_nonzero(int, frac)) {
                return None;
            }
            return Some(v);
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The double `m * 2^e`, for `m`, `e` as produced by rounding to [`F64`].
pub(crate) fn f64_from_parts(m: u64, e: i64) -> f64 {
    if m >> 52 == 0 {
        f64::from_bits(m)
    } else {
        f64::from_bits((((e + 1075) as u64) << 52) | (m & ((1 << 52) - 1)))
    }
}

/// C's `printf("%.17g", v)` as glibc prints it: how Redis 7.0 writes doubles
/// in replies (ZSCORE, RESP2 bulk and RESP3 doubles). 17 significant digits
/// round-trip every double.
pub fn fmt_g17(v: f64) -> String {
    fmt_g(v, 17)
}

/// C's `printf("%.{precision}g", v)` as glibc prints it (precision 0 means 1).
pub fn fmt_g(v: f64, precision: usize) -> String {
    // More digits than any double's exact decimal expansion (767 significant
    // digits, exponents up to 308) change nothing, so the cap only bounds work.
    let p = precision.clamp(1, 1100);
    let negative = v.is_sign_negative();
    if v.is_nan() {
        return if negative { "-nan" } else { "nan" }.to_string();
    }
    if v.is_infinite() {
        return if negative { "-inf" } else { "inf" }.to_string();
    }
    if v == 0.0 {
        return if negative { "-0" } else { "0" }.to_string();
    }
    // std's exponent formatting is exact and rounds ties to even, like glibc.
    let e_form = format!("{:.*e}", p - 1, v.abs());
    let (mantissa, exp) = match e_form.split_once('e') {
        Some(parts) => parts,
        None => return e_form,
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    layout_g(negative, &digits, exp, p)
}

/// Lays out `%g` from the `p` significant digits and the decimal exponent of
/// the first one (both after rounding): exponent form when the exponent is
/// below -4 or at least `p`, fixed otherwise, then trailing zeros and a bare
/// '.' dropped, as C's `%g` does without the `#` flag.
pub(crate) fn layout_g(negative: bool, digits: &[u8], exp: i64, p: usize) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    let push_frac = |out: &mut String, frac: &[u8]| {
        let keep = frac.len() - frac.iter().rev().take_while(|&&c| c == b'0').count();
        if keep > 0 {
            out.push('.');
            out.extend(frac[..keep].iter().map(|&c| c as char));
        }
    };
    if exp < -4 || exp >= p as i64 {
        out.push(digits.first().map_or('0', |&c| c as char));
        push_frac(&mut out, digits.get(1..).unwrap_or(&[]));
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else if exp >= 0 {
        let split = (exp as usize + 1).min(digits.len());
        out.extend(digits[..split].iter().map(|&c| c as char));
        push_frac(&mut out, &digits[split..]);
    } else {
        out.push('0');
        let mut frac = vec![b'0'; (-exp - 1) as usize];
        frac.extend_from_slice(digits);
        push_frac(&mut out, &frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// std's decimal parser and the exact big-integer path used for long
        /// doubles must agree on doubles, subnormals and limits included.
        #[test]
        fn std_parse_agrees_with_exact_path(
            int in "[0-9]{0,25}", frac in "[0-9]{0,25}", e in -400i64..400
        ) {
            let text = format!("{int}.{frac}e{e}");
            let exact = match fp::scan(text.as_bytes()) {
                Some(Syntax::Num { int, frac, exp, .. }) => match fp::decimal_to_binary(int, frac, exp, &F64) {
                    Rounded::Inf => None,
                    Rounded::Zero if fp::any_nonzero(int, frac) => None,
                    Rounded::Zero => Some(0.0),
                    Rounded::Finite { m, e } => Some(f64_from_parts(m, e)),
                },
                _ => None,
            };
            prop_assert_eq!(parse_f64(text.as_bytes()), exact);
        }
    }

    #[test]
    fn parses_like_redis_7_0_15() {
        // Checked against redis-server 7.0.15 with `ZADD z <x> m` / `ZSCORE z m`.
        let ok: &[(&str, f64)] = &[
            ("1.", 1.0),
            (".5", 0.5),
            ("+.5", 0.5),
            ("00012", 12.0),
            ("1e+5", 1e5),
            ("1E5", 1e5),
            ("0e-400", 0.0),
            ("1e-310", 1e-310),
            ("3e-324", 5e-324),
            ("0x1.8p3", 12.0),
            ("0x.8", 0.5),
            ("0X1P3", 8.0),
            ("0x1p-1074", 5e-324),
            ("inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("Infinity", f64::INFINITY),
            ("INF", f64::INFINITY),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_f64(s.as_bytes()), Some(v), "{s}");
        }
        assert!(parse_f64(b"-0").unwrap().is_sign_negative());
        for bad in [
            "",
            "1e-400",
            "2e-324",
            "1e309",
            "nan",
            "0x1p-1075",
            "0x1p1024",
            " 1",
            "1 ",
            "1e",
            ".",
            "0x",
            "0x1p",
            "infinit",
            "1_0",
            "1\x002",
            "-nan",
            "nan(1)",
            "+-1",
            "0x1p+",
        ] {
            assert_eq!(parse_f64(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_like_printf() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.10000000000000001"),
            (1e17, "1e+17"),
            (1e16, "10000000000000000"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1.5, "1.5"),
            (-2.5e-300, "-2.5e-300"),
        ];
        for &(v, s) in cases {
            assert_eq!(fmt_g17(v), s, "{v:e}");
        }
        assert_eq!(fmt_g(f64::NAN, 17), "nan");
        assert_eq!(fmt_g(-f64::NAN, 17), "-nan");
        assert_eq!(fmt_g(1234567.0, 6), "1.23457e+06");
        assert_eq!(fmt_g(0.5, 0), "0.5");
        assert_eq!(fmt_g(2.5, 1), "2");
    }
}
