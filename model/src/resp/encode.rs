//! Frames to bytes, with Redis's RESP2 downgrade rules.
//!
//! Commands always build the richest (RESP3) frame; whether a map goes out as
//! `%` or as a flat `*` array is decided here, once, by the client's protocol.

use super::bulk_array::Kind;
use super::{Frame, Protocol};
use bytes::Bytes;

/// Appends the encoding of `frame` for a client speaking `proto` to `out`.
pub fn encode(frame: &Frame, proto: Protocol, out: &mut Vec<u8>) {
    let resp3 = proto == Protocol::Resp3;
    match frame {
        Frame::Simple(s) => push_line(out, b'+', s.as_bytes()),
        Frame::Error(s) => push_line(out, b'-', s.as_bytes()),
        Frame::Integer(n) => push_header(out, b':', *n),
        Frame::Bulk(b) => push_bulk(out, b),
        Frame::Array(items) => push_seq(out, b'*', items, proto),
        Frame::Null if resp3 => out.extend_from_slice(b"_\r\n"),
        Frame::Null => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray if resp3 => out.extend_from_slice(b"_\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Map(pairs) => {
            // RESP2 has no map type: the pairs become one flat array of 2n items.
            if resp3 {
                push_header(out, b'%', len_i64(pairs.len()));
            } else {
                push_header(out, b'*', len_i64(pairs.len()).saturating_mul(2));
            }
            push_pairs(out, pairs, proto);
        }
        Frame::Set(items) => push_seq(out, if resp3 { b'~' } else { b'*' }, items, proto),
        Frame::Pairs(pairs) if resp3 => {
            push_header(out, b'*', len_i64(pairs.len()));
            for (a, b) in pairs {
                out.extend_from_slice(b"*2\r\n");
                encode(a, proto, out);
                encode(b, proto, out);
            }
        }
        Frame::Pairs(pairs) => {
            push_header(out, b'*', len_i64(pairs.len()).saturating_mul(2));
            push_pairs(out, pairs, proto);
        }
        Frame::Double(d) => {
            let text = fmt_double(*d);
            if resp3 {
                push_line(out, b',', text.as_bytes());
            } else {
                push_bulk(out, text.as_bytes());
            }
        }
        Frame::Boolean(b) if resp3 => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Boolean(b) => push_header(out, b':', i64::from(*b)),
        Frame::BigNumber(s) if resp3 => push_line(out, b'(', s.as_bytes()),
        Frame::BigNumber(s) => push_bulk(out, s.as_bytes()),
        Frame::Verbatim { format, text } if resp3 => {
            // The length covers the `fmt:` prefix as well as the text.
            push_header(out, b'=', len_i64(text.len()).saturating_add(4));
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Verbatim { text, .. } => push_bulk(out, text),
        Frame::Push(items) => push_seq(out, if resp3 { b'>' } else { b'*' }, items, proto),
        Frame::Bulks(strings) => {
            match strings.kind() {
                Kind::Set if resp3 => push_header(out, b'~', len_i64(strings.len())),
                Kind::Map if resp3 => push_header(out, b'%', len_i64(strings.len() / 2)),
                _ => push_header(out, b'*', len_i64(strings.len())),
            }
            for s in strings.iter() {
                push_bulk(out, s);
            }
        }
        Frame::Attribute(attrs, inner) => {
            // RESP2 clients cannot represent attributes; they only see the value.
            if resp3 {
                push_header(out, b'|', len_i64(attrs.len()));
                push_pairs(out, attrs, proto);
            }
            encode(inner, proto, out);
        }
    }
}

/// The encoding of `frame` as a fresh buffer; convenient in tests and clients.
pub fn encode_to_vec(frame: &Frame, proto: Protocol) -> Vec<u8> {
    let mut out = Vec::new();
    encode(frame, proto, &mut out);
    out
}

/// Appends a request (an array of bulk strings) to `out`, as clients send commands.
pub fn encode_request(argv: &[Bytes], out: &mut Vec<u8>) {
    push_header(out, b'*', len_i64(argv.len()));
    for arg in argv {
        push_bulk(out, arg);
    }
}

/// Collection lengths always fit; saturating keeps the encoder total anyway.
fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn push_seq(out: &mut Vec<u8>, tag: u8, items: &[Frame], proto: Protocol) {
    push_header(out, tag, len_i64(items.len()));
    for item in items {
        encode(item, proto, out);
    }
}

fn push_pairs(out: &mut Vec<u8>, pairs: &[(Frame, Frame)], proto: Protocol) {
    for (k, v) in pairs {
        encode(k, proto, out);
        encode(v, proto, out);
    }
}

fn push_bulk(out: &mut Vec<u8>, payload: &[u8]) {
    push_header(out, b'$', len_i64(payload.len()));
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// A one-line frame. A CR or LF inside would end the line early and desync the
/// client, so both become spaces (what Redis does to error texts).
fn push_line(out: &mut Vec<u8>, tag: u8, text: &[u8]) {
    out.push(tag);
    out.extend(text.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
    out.extend_from_slice(b"\r\n");
}

/// `<tag><n>\r\n` without going through a temporary String.
fn push_header(out: &mut Vec<u8>, tag: u8, n: i64) {
    // Tag, sign, 19 digits, CRLF: one capacity check instead of five.
    out.reserve(23);
    out.push(tag);
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// C's `%.17g`, the way Redis prints doubles in replies.
fn fmt_double(x: f64) -> String {
    crate::num::fmt_g17(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: &Frame, p: Protocol) -> Vec<u8> {
        encode_to_vec(f, p)
    }

    #[test]
    fn double_formatting_matches_printf_g17() {
        // Expected values produced by C printf("%.17g").
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (100.0, "100"),
            (2.5, "2.5"),
            (0.1, "0.10000000000000001"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (1e21, "1e+21"),
            // An exact tie at 17 digits: glibc and Rust both round half to even.
            (1234567890123456.0 + 0.25, "1234567890123456.2"),
            (5e-324, "4.9406564584124654e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-3.5e-7, "-3.4999999999999998e-07"),
            (123.456, "123.456"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(x, want) in cases {
            assert_eq!(fmt_double(x), want, "{x:e}");
        }
    }

    #[test]
    fn pairs_nest_in_resp3_and_flatten_in_resp2() {
        let f = Frame::Pairs(vec![(Frame::bulk("a"), Frame::Double(1.5))]);
        assert_eq!(enc(&f, Protocol::Resp3), b"*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n");
        assert_eq!(enc(&f, Protocol::Resp2), b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
    }

    #[test]
    fn resp3_scalars() {
        let p = Protocol::Resp3;
        assert_eq!(enc(&Frame::ok(), p), b"+OK\r\n");
        assert_eq!(enc(&Frame::error("ERR x"), p), b"-ERR x\r\n");
        assert_eq!(enc(&Frame::Integer(-42), p), b":-42\r\n");
        assert_eq!(enc(&Frame::Integer(i64::MIN), p), b":-9223372036854775808\r\n");
        assert_eq!(enc(&Frame::bulk("foo"), p), b"$3\r\nfoo\r\n");
        assert_eq!(enc(&Frame::bulk(""), p), b"$0\r\n\r\n");
        assert_eq!(enc(&Frame::Null, p), b"_\r\n");
        assert_eq!(enc(&Frame::NullArray, p), b"_\r\n");
        assert_eq!(enc(&Frame::Double(1.5), p), b",1.5\r\n");
        assert_eq!(enc(&Frame::Double(f64::INFINITY), p), b",inf\r\n");
        assert_eq!(enc(&Frame::Double(f64::NEG_INFINITY), p), b",-inf\r\n");
        assert_eq!(enc(&Frame::Double(f64::NAN), p), b",nan\r\n");
        assert_eq!(enc(&Frame::Boolean(true), p), b"#t\r\n");
        assert_eq!(enc(&Frame::Boolean(false), p), b"#f\r\n");
        assert_eq!(enc(&Frame::BigNumber("-123".into()), p), b"(-123\r\n");
        let v = Frame::Verbatim { format: *b"txt", text: Bytes::from_static(b"hi") };
        assert_eq!(enc(&v, p), b"=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn resp3_aggregates() {
        let p = Protocol::Resp3;
        let m = Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))]);
        assert_eq!(enc(&m, p), b"%1\r\n$1\r\na\r\n:1\r\n");
        let s = Frame::Set(vec![Frame::bulk("x")]);
        assert_eq!(enc(&s, p), b"~1\r\n$1\r\nx\r\n");
        let push = Frame::Push(vec![Frame::bulk("message")]);
        assert_eq!(enc(&push, p), b">1\r\n$7\r\nmessage\r\n");
        let a = Frame::Attribute(vec![(Frame::simple("ttl"), Frame::Integer(3))], Box::new(Frame::Array(vec![])));
        assert_eq!(enc(&a, p), b"|1\r\n+ttl\r\n:3\r\n*0\r\n");
    }

    #[test]
    fn resp2_downgrades() {
        let p = Protocol::Resp2;
        assert_eq!(enc(&Frame::Null, p), b"$-1\r\n");
        assert_eq!(enc(&Frame::NullArray, p), b"*-1\r\n");
        let m = Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1)), (Frame::bulk("b"), Frame::Null)]);
        assert_eq!(enc(&m, p), b"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n");
        assert_eq!(enc(&Frame::Set(vec![Frame::Integer(1)]), p), b"*1\r\n:1\r\n");
        assert_eq!(enc(&Frame::Double(0.1), p), b"$19\r\n0.10000000000000001\r\n");
        assert_eq!(enc(&Frame::Double(f64::INFINITY), p), b"$3\r\ninf\r\n");
        assert_eq!(enc(&Frame::Double(f64::NEG_INFINITY), p), b"$4\r\n-inf\r\n");
        assert_eq!(enc(&Frame::Boolean(true), p), b":1\r\n");
        assert_eq!(enc(&Frame::Boolean(false), p), b":0\r\n");
        assert_eq!(enc(&Frame::BigNumber("12345678901234567890".into()), p), b"$20\r\n12345678901234567890\r\n");
        let v = Frame::Verbatim { format: *b"txt", text: Bytes::from_static(b"hi") };
        assert_eq!(enc(&v, p), b"$2\r\nhi\r\n");
        assert_eq!(enc(&Frame::Push(vec![Frame::Integer(7)]), p), b"*1\r\n:7\r\n");
        let a = Frame::Attribute(vec![(Frame::simple("ttl"), Frame::Integer(3))], Box::new(Frame::Integer(5)));
        assert_eq!(enc(&a, p), b":5\r\n");
        // Downgrades apply at every nesting level.
        let nested = Frame::Array(vec![Frame::Set(vec![Frame::Boolean(true), Frame::Null])]);
        assert_eq!(enc(&nested, p), b"*1\r\n*2\r\n:1\r\n$-1\r\n");
    }

    #[test]
    fn line_frames_never_carry_cr_or_lf() {
        for p in [Protocol::Resp2, Protocol::Resp3] {
            assert_eq!(enc(&Frame::error("ERR a\r\nb\nc"), p), b"-ERR a  b c\r\n");
            assert_eq!(enc(&Frame::simple("x\ry"), p), b"+x y\r\n");
        }
        assert_eq!(enc(&Frame::BigNumber("1\r\n2".into()), Protocol::Resp3), b"(1  2\r\n");
    }

    #[test]
    fn requests_are_arrays_of_bulks() {
        let mut out = Vec::new();
        encode_request(&[Bytes::from_static(b"SET"), Bytes::from_static(b"k"), Bytes::new()], &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        out.clear();
        encode_request(&[], &mut out);
        assert_eq!(out, b"*0\r\n");
    }
}
