//! The lines MONITOR clients receive for every command the server runs.

use bytes::Bytes;

/// `+1700000000.123456 [0 127.0.0.1:5000] "SET" "k" "v"\r\n`: the time the
/// command ran, its database after it ran, the client's address, and the
/// arguments quoted as Redis's `sdscatrepr` quotes them.
pub fn line(now_us: i64, db: usize, addr: &str, argv: &[Bytes]) -> Vec<u8> {
    let mut out =
        format!("+{}.{:06} [{} {}]", now_us.div_euclid(1_000_000), now_us.rem_euclid(1_000_000), db, addr).into_bytes();
    for a in argv {
        out.push(b' ');
        repr(a, &mut out);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A quoted, escaped copy of `s`: printable bytes as they are, the usual C
/// escapes, `\xNN` for the rest.
pub fn repr(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if (0x20..0x7f).contains(&c) => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_escape_like_redis() {
        let argv = [Bytes::from("SET"), Bytes::from("k"), Bytes::from(&b"a\"b\x01\n c"[..])];
        let l = line(1_795_625_497_989_652, 0, "127.0.0.1:52226", &argv);
        assert_eq!(
            String::from_utf8(l).unwrap(),
            "+1795625497.989652 [0 127.0.0.1:52226] \"SET\" \"k\" \"a\\\"b\\x01\\n c\"\r\n"
        );
        assert!(line(5_000_007, 3, "x", &[]).starts_with(b"+5.000007 [3 x]"));
    }
}
