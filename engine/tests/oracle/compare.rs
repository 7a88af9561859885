//! Reply comparison rules and human-readable rendering.
//!
//! Equality is exact (parsed reply, byte for byte, RESP type included) unless
//! the command's output is legitimately free to differ: see [`Check`].

use super::client::Reply;

/// How two replies to the same command are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Same type, same bytes, same order.
    Exact,
    /// Order is unspecified (KEYS): an array compared as a multiset.
    Multiset,
    /// Pairs in the server's own order (CONFIG GET of a pattern, HGETALL of
    /// a hashtable): a flat RESP2 array, a RESP3 map or an array of pairs,
    /// compared as a multiset of pairs; the RESP type must match.
    Pairs,
    /// A duration or deadline that depends on when each server ran the
    /// command: non-negative integers may differ by the tolerance, negative
    /// ones (-1 no expiry, -2 no key) must match exactly.
    Time(TimeUnit),
    /// OBJECT IDLETIME: the LRU clock has one-second resolution and Redis
    /// refreshes its cached copy only every 100 ms, so each of the two
    /// readings that make up the idle time can be a second stale.
    IdleTime,
    /// Values that are per-process (ids, timestamps, INFO text): same RESP
    /// types and aggregate sizes; errors and simple strings still exact.
    Shape,
    /// RANDOMKEY: both nil or both a bulk string naming a pool key.
    RandomKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Millis,
}

/// Tolerances derived from how far apart in time the two servers can have
/// executed the same command (see `Tolerance::from_window`).
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub millis: i64,
    pub seconds: i64,
    pub idle_seconds: i64,
}

impl Tolerance {
    /// `window_ms` bounds how far apart the two servers executed any one
    /// command so far: a deadline set by one command and read by another can
    /// thus drift by two windows, plus 2 ms for millisecond truncation.
    pub fn from_window(window_ms: i64) -> Tolerance {
        let millis = 2 * window_ms + 2;
        // Seconds are rounded by the server, so a tiny drift can still flip
        // one rounding boundary.
        let seconds = 1 + millis / 1000;
        Tolerance { millis, seconds, idle_seconds: 2 + millis / 1000 }
    }
}

/// Returns why the replies differ, or None if they agree under `check`.
pub fn compare(check: Check, a: &Reply, b: &Reply, tol: Tolerance, pool: &[Vec<u8>]) -> Option<String> {
    match check {
        Check::Exact => (a != b).then(|| "replies differ".to_string()),
        Check::Multiset => match (as_elements(a), as_elements(b)) {
            (Some(x), Some(y)) => {
                let (mut x, mut y) = (x.to_vec(), y.to_vec());
                x.sort();
                y.sort();
                (x != y || std::mem::discriminant(a) != std::mem::discriminant(b))
                    .then(|| "different multisets".to_string())
            }
            _ => (a != b).then(|| "replies differ".to_string()),
        },
        Check::Pairs => match (pairs_of(a), pairs_of(b)) {
            (Some(mut x), Some(mut y)) => {
                x.sort();
                y.sort();
                (x != y || std::mem::discriminant(a) != std::mem::discriminant(b))
                    .then(|| "different multisets of pairs".to_string())
            }
            _ => (a != b).then(|| "replies differ".to_string()),
        },
        Check::Time(unit) => {
            let t = match unit {
                TimeUnit::Seconds => tol.seconds,
                TimeUnit::Millis => tol.millis,
            };
            within(a, b, t)
        }
        Check::IdleTime => within(a, b, tol.idle_seconds),
        Check::Shape => (!same_shape(a, b)).then(|| "different shape".to_string()),
        Check::RandomKey => {
            let ok = |r: &Reply| match r {
                Reply::Bulk(k) => pool.contains(k),
                _ => true,
            };
            if !same_shape(a, b) {
                Some("one nil, one key".to_string())
            } else if !ok(a) || !ok(b) {
                Some("returned a key that was never created".to_string())
            } else {
                None
            }
        }
    }
}

fn within(a: &Reply, b: &Reply, tol: i64) -> Option<String> {
    match (a, b) {
        (Reply::Int(x), Reply::Int(y)) if *x >= 0 && *y >= 0 => {
            ((x - y).abs() > tol).then(|| format!("differ by {} (tolerance {tol})", (x - y).abs()))
        }
        _ => (a != b).then(|| "replies differ".to_string()),
    }
}

/// The pairs of a RESP3 map, of an array of two-element arrays (RESP3's
/// form of pairs in an array), or of a flat array of even length.
pub fn pairs_of(r: &Reply) -> Option<Vec<(Reply, Reply)>> {
    match r {
        Reply::Map(m) => Some(m.clone()),
        Reply::Array(v) if !v.is_empty() && v.iter().all(|p| matches!(p, Reply::Array(x) if x.len() == 2)) => Some(
            v.iter()
                .map(|p| match p {
                    Reply::Array(x) => (x[0].clone(), x[1].clone()),
                    _ => unreachable!(),
                })
                .collect(),
        ),
        Reply::Array(v) if v.len() % 2 == 0 => Some(v.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect()),
        _ => None,
    }
}

/// Same RESP type and the same elements in any order.
pub fn same_multiset(a: &Reply, b: &Reply) -> bool {
    match (as_elements(a), as_elements(b)) {
        (Some(x), Some(y)) => {
            let (mut x, mut y) = (x.to_vec(), y.to_vec());
            x.sort();
            y.sort();
            x == y && std::mem::discriminant(a) == std::mem::discriminant(b)
        }
        _ => a == b,
    }
}

pub fn as_elements(r: &Reply) -> Option<&[Reply]> {
    match r {
        Reply::Array(v) | Reply::Set(v) => Some(v),
        _ => None,
    }
}

/// Same RESP types, recursively, with the same aggregate sizes. Errors and
/// simple strings must still match exactly: they are never per-process.
pub fn same_shape(a: &Reply, b: &Reply) -> bool {
    use Reply::*;
    match (a, b) {
        (Error(x), Error(y)) | (Simple(x), Simple(y)) => x == y,
        (Array(x), Array(y)) | (Set(x), Set(y)) | (Push(x), Push(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        (Map(x), Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, v1), (k2, v2))| same_shape(k1, k2) && same_shape(v1, v2))
        }
        (Verbatim(f1, _), Verbatim(f2, _)) => f1 == f2,
        (Attribute(_, x), Attribute(_, y)) => same_shape(x, y),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Quoted, escaped and shortened bytes, for reports.
pub fn show_bytes(b: &[u8]) -> String {
    const MAX: usize = 80;
    let mut s = String::from("\"");
    for &c in b.iter().take(MAX) {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    if b.len() > MAX {
        s.push_str(&format!("…({} bytes)", b.len()));
    }
    s
}

pub fn show_args(args: &[Vec<u8>]) -> String {
    args.iter().map(|a| show_bytes(a)).collect::<Vec<_>>().join(" ")
}

/// A compact one-line rendering of a reply; long aggregates are cut.
pub fn show_reply(r: &Reply) -> String {
    fn many(open: &str, items: &[Reply]) -> String {
        let mut parts: Vec<String> = items.iter().take(12).map(show_reply).collect();
        if items.len() > 12 {
            parts.push(format!("…({} items)", items.len()));
        }
        format!("{open}{}]", parts.join(", "))
    }
    match r {
        Reply::Simple(s) => format!("+{}", String::from_utf8_lossy(s)),
        Reply::Error(s) => format!("-{}", String::from_utf8_lossy(s)),
        Reply::Int(i) => format!(":{i}"),
        Reply::Bulk(b) => show_bytes(b),
        Reply::NilBulk => "$-1".into(),
        Reply::NilArray => "*-1".into(),
        Reply::Array(v) => many("[", v),
        Reply::Null => "_".into(),
        Reply::Double(d) => format!(",{}", String::from_utf8_lossy(d)),
        Reply::Bool(b) => format!("#{}", if *b { 't' } else { 'f' }),
        Reply::BigNumber(n) => format!("({}", String::from_utf8_lossy(n)),
        Reply::BlobError(e) => format!("!{}", show_bytes(e)),
        Reply::Verbatim(f, t) => format!("={}:{}", String::from_utf8_lossy(f), show_bytes(t)),
        Reply::Map(m) => {
            let parts: Vec<String> =
                m.iter().take(12).map(|(k, v)| format!("{} => {}", show_reply(k), show_reply(v))).collect();
            format!("%{{{}{}}}", parts.join(", "), if m.len() > 12 { ", …" } else { "" })
        }
        Reply::Set(v) => many("~[", v),
        Reply::Push(v) => many(">[", v),
        Reply::Attribute(_, inner) => format!("|attr| {}", show_reply(inner)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn rules_accept_and_reject() {
        let tol = Tolerance::from_window(1);
        let pool = vec![b"a".to_vec()];
        let ab = Reply::Array(vec![bulk("a"), bulk("b")]);
        let ba = Reply::Array(vec![bulk("b"), bulk("a")]);
        assert!(compare(Check::Exact, &ab, &ba, tol, &pool).is_some());
        assert!(compare(Check::Multiset, &ab, &ba, tol, &pool).is_none());
        assert!(compare(Check::Multiset, &ab, &Reply::Array(vec![bulk("a"), bulk("a")]), tol, &pool).is_some());
        let map = |kv: &[(&str, &str)]| Reply::Map(kv.iter().map(|(k, v)| (bulk(k), bulk(v))).collect());
        assert!(compare(Check::Pairs, &map(&[("a", "1"), ("b", "2")]), &map(&[("b", "2"), ("a", "1")]), tol, &pool)
            .is_none());
        assert!(compare(Check::Pairs, &map(&[("a", "1"), ("b", "2")]), &map(&[("a", "2"), ("b", "1")]), tol, &pool)
            .is_some());
        let flat = |xs: &[&str]| Reply::Array(xs.iter().map(|x| bulk(x)).collect());
        assert!(compare(Check::Pairs, &flat(&["a", "1", "b", "2"]), &flat(&["b", "2", "a", "1"]), tol, &pool).is_none());
        assert!(compare(Check::Pairs, &flat(&["a", "1", "b", "2"]), &flat(&["1", "a", "b", "2"]), tol, &pool).is_some());
        assert!(compare(Check::Time(TimeUnit::Millis), &Reply::Int(1000), &Reply::Int(998), tol, &pool).is_none());
        assert!(compare(Check::Time(TimeUnit::Millis), &Reply::Int(1000), &Reply::Int(900), tol, &pool).is_some());
        assert!(compare(Check::Time(TimeUnit::Seconds), &Reply::Int(-1), &Reply::Int(0), tol, &pool).is_some());
        assert!(compare(Check::Shape, &Reply::Int(5), &Reply::Int(7), tol, &pool).is_none());
        assert!(compare(Check::Shape, &Reply::Int(5), &bulk("5"), tol, &pool).is_some());
        assert!(compare(Check::Shape, &Reply::NilBulk, &Reply::Null, tol, &pool).is_some());
        assert!(compare(Check::RandomKey, &bulk("a"), &bulk("a"), tol, &pool).is_none());
        assert!(compare(Check::RandomKey, &bulk("a"), &bulk("zz"), tol, &pool).is_some());
        assert!(compare(Check::RandomKey, &bulk("a"), &Reply::NilBulk, tol, &pool).is_some());
    }
}
