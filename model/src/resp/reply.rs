//! The client side: bytes from a server to frames.
//!
//! The parser keeps its own stack of open aggregates instead of recursing, so
//! a reply that arrives in pieces resumes where it stopped rather than being
//! parsed again from the start, and hostile nesting cannot exhaust the call
//! stack. Announced lengths are never used to reserve memory: a `*2147483647`
//! header costs nothing until its elements actually arrive.

use super::Frame;
use bytes::Bytes;

/// Malformed reply bytes; the connection is out of sync and must be dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyError(pub String);

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReplyError {}

fn err<T>(what: impl Into<String>) -> Result<T, ReplyError> {
    Err(ReplyError(what.into()))
}

/// Deepest nesting of aggregates accepted; far beyond anything Redis sends,
/// and shallow enough that dropping the resulting frame cannot overflow the
/// stack.
pub const MAX_DEPTH: usize = 1000;

/// Parses one reply from the front of `buf`: `Ok(Some((frame, consumed)))`,
/// `Ok(None)` when incomplete.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Frame, usize)>, ReplyError> {
    let mut state = Partial::default();
    Ok(state.resume(buf)?.map(|frame| (frame, state.pos)))
}

/// Streaming reply parser: feed socket bytes, take frames as they complete.
#[derive(Debug, Default)]
pub struct ReplyReader {
    buf: Vec<u8>,
    /// Bytes of `buf` already returned as frames.
    start: usize,
    partial: Partial,
    error: Option<ReplyError>,
}

impl ReplyReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the socket.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        // Drop consumed bytes once they are at least half the buffer, so
        // compaction costs amortised O(1) per byte.
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.partial.pos -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed. After an
    /// error every call returns that same error.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ReplyError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.partial.resume(&self.buf) {
            Ok(Some(frame)) => {
                self.start = self.partial.pos;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                    self.partial.pos = 0;
                }
                Ok(Some(frame))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.error = Some(e.clone());
                self.buf = Vec::new();
                self.start = 0;
                self.partial = Partial::default();
                Err(e)
            }
        }
    }

    /// Bytes fed but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }
}

/// What an aggregate becomes when its last element arrives.
#[derive(Debug)]
enum Kind {
    Array,
    Set,
    Push,
    /// Map and attribute elements alternate key, value.
    Map,
    Attribute,
    /// Holds a finished attribute map until the frame it decorates arrives.
    Decorated(Vec<(Frame, Frame)>),
}

/// An aggregate whose elements are still arriving.
#[derive(Debug)]
struct Open {
    kind: Kind,
    /// Elements still expected (for maps, keys and values both count).
    left: u64,
    items: Vec<Frame>,
}

/// A reply parsed up to `pos`: the aggregates opened but not yet complete.
#[derive(Debug, Default)]
struct Partial {
    pos: usize,
    stack: Vec<Open>,
}

/// One element header: either a whole frame or the start of an aggregate.
enum Item {
    Done(Frame),
    Open(Kind, u64),
}

impl Partial {
    /// Continues parsing `buf` from `pos`; on success the state is reset for
    /// the next frame, with `pos` just past the one returned.
    fn resume(&mut self, buf: &[u8]) -> Result<Option<Frame>, ReplyError> {
        loop {
            let Some((item, next)) = parse_item(buf, self.pos)? else {
                return Ok(None);
            };
            self.pos = next;
            let mut frame = match item {
                Item::Done(frame) => frame,
                Item::Open(kind, 0) => match close(kind, Vec::new()) {
                    Ok(frame) => frame,
                    Err(open) => {
                        self.push(open)?;
                        continue;
                    }
                },
                Item::Open(kind, left) => {
                    self.push(Open { kind, left, items: Vec::new() })?;
                    continue;
                }
            };
            // Hand the finished frame to its parents, closing every aggregate
            // it completes.
            loop {
                let Some(top) = self.stack.last_mut() else {
                    return Ok(Some(frame));
                };
                top.items.push(frame);
                top.left -= 1;
                if top.left > 0 {
                    break;
                }
                let Some(done) = self.stack.pop() else {
                    break;
                };
                match close(done.kind, done.items) {
                    Ok(f) => frame = f,
                    Err(open) => {
                        self.push(open)?;
                        break;
                    }
                }
            }
        }
    }

    fn push(&mut self, open: Open) -> Result<(), ReplyError> {
        if self.stack.len() >= MAX_DEPTH {
            return err("Protocol error: reply nested too deeply");
        }
        self.stack.push(open);
        Ok(())
    }
}

/// Builds the frame of a complete aggregate, or, for a finished attribute map,
/// the slot waiting for the frame it decorates.
fn close(kind: Kind, mut items: Vec<Frame>) -> Result<Frame, Open> {
    Ok(match kind {
        Kind::Array => Frame::Array(items),
        Kind::Set => Frame::Set(items),
        Kind::Push => Frame::Push(items),
        Kind::Map => Frame::Map(pairs(items)),
        Kind::Attribute => {
            return Err(Open { kind: Kind::Decorated(pairs(items)), left: 1, items: Vec::new() });
        }
        Kind::Decorated(attrs) => match items.pop() {
            Some(inner) => Frame::Attribute(attrs, Box::new(inner)),
            // Unreachable: a decorated slot closes only after its one frame.
            None => Frame::Attribute(attrs, Box::new(Frame::Null)),
        },
    })
}

fn pairs(items: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

/// The line starting at `from` (without its CRLF) and the index after it.
fn line(buf: &[u8], from: usize) -> Result<Option<(&[u8], usize)>, ReplyError> {
    let rest = buf.get(from..).unwrap_or_default();
    let Some(cr) = rest.iter().position(|&c| c == b'\r') else {
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some((&rest[..cr], from + cr + 2))),
        Some(_) => err("Protocol error: expected CRLF"),
    }
}

fn int(text: &[u8], what: &str) -> Result<i64, ReplyError> {
    crate::num::parse_i64(text).ok_or_else(|| ReplyError(format!("Protocol error: invalid {what}")))
}

/// An aggregate length: `None` for -1 (the RESP2 null array, which only `*`
/// may use); nothing else below zero is valid.
fn count(text: &[u8]) -> Result<Option<u64>, ReplyError> {
    match int(text, "aggregate length")? {
        -1 => Ok(None),
        n if n < 0 => err("Protocol error: invalid aggregate length"),
        n => Ok(Some(n as u64)),
    }
}

/// A length-prefixed payload starting at `from`; `Ok(None)` until it and its
/// CRLF have arrived.
fn payload(buf: &[u8], from: usize, len: i64) -> Result<Option<(&[u8], usize)>, ReplyError> {
    let end = usize::try_from(len).ok().and_then(|n| from.checked_add(n)).filter(|e| e.checked_add(2).is_some());
    let Some(end) = end else {
        return err("Protocol error: invalid bulk length");
    };
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return err("Protocol error: bulk payload not followed by CRLF");
    }
    Ok(Some((&buf[from..end], end + 2)))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses the element header at `from`: a scalar frame, or the opening of an
/// aggregate with its announced element count.
fn parse_item(buf: &[u8], from: usize) -> Result<Option<(Item, usize)>, ReplyError> {
    let Some(&tag) = buf.get(from) else {
        return Ok(None);
    };
    let Some((body, next)) = line(buf, from + 1)? else {
        return Ok(None);
    };
    let done = |f: Frame, at: usize| Ok(Some((Item::Done(f), at)));
    let open = |kind: Kind, n: u64| Ok(Some((Item::Open(kind, n), next)));
    match tag {
        b'+' => done(Frame::Simple(text(body)), next),
        b'-' => done(Frame::Error(text(body)), next),
        b':' => done(Frame::Integer(int(body, "integer")?), next),
        b'_' if body.is_empty() => done(Frame::Null, next),
        b'#' => match body {
            b"t" => done(Frame::Boolean(true), next),
            b"f" => done(Frame::Boolean(false), next),
            _ => err("Protocol error: invalid boolean"),
        },
        b',' => match std::str::from_utf8(body).ok().and_then(|s| s.parse::<f64>().ok()) {
            Some(d) => done(Frame::Double(d), next),
            None => err("Protocol error: invalid double"),
        },
        b'(' => {
            let digits = body.strip_prefix(b"-").unwrap_or(body);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return err("Protocol error: invalid big number");
            }
            done(Frame::BigNumber(text(body)), next)
        }
        b'$' | b'=' | b'!' => {
            let len = int(body, "bulk length")?;
            if len == -1 && tag == b'$' {
                return done(Frame::Null, next);
            }
            if len < 0 {
                return err("Protocol error: invalid bulk length");
            }
            let Some((data, after)) = payload(buf, next, len)? else {
                return Ok(None);
            };
            match tag {
                b'$' => done(Frame::Bulk(Bytes::copy_from_slice(data)), after),
                b'!' => done(Frame::Error(text(data)), after),
                _ => match data {
                    [a, b, c, b':', rest @ ..] => {
                        let text = Bytes::copy_from_slice(rest);
                        done(Frame::Verbatim { format: [*a, *b, *c], text }, after)
                    }
                    _ => err("Protocol error: verbatim string without format"),
                },
            }
        }
        b'*' => match count(body)? {
            None => done(Frame::NullArray, next),
            Some(n) => open(Kind::Array, n),
        },
        b'~' | b'>' | b'%' | b'|' => {
            let Some(n) = count(body)? else {
                return err("Protocol error: invalid aggregate length");
            };
            match tag {
                b'~' => open(Kind::Set, n),
                b'>' => open(Kind::Push, n),
                // Keys and values are counted separately; n < 2^63 so no overflow.
                b'%' => open(Kind::Map, n * 2),
                _ => open(Kind::Attribute, n * 2),
            }
        }
        other => err(format!("Protocol error: unexpected type byte {:?}", char::from(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &[u8]) -> Frame {
        let (f, used) = parse_reply(input).unwrap().unwrap();
        assert_eq!(used, input.len(), "{input:?}");
        f
    }

    #[test]
    fn scalars() {
        assert_eq!(one(b"+OK\r\n"), Frame::ok());
        assert_eq!(one(b"-ERR no\r\n"), Frame::error("ERR no"));
        assert_eq!(one(b":-7\r\n"), Frame::Integer(-7));
        assert_eq!(one(b"$3\r\na\r\n\r\n"), Frame::bulk("a\r\n"));
        assert_eq!(one(b"$0\r\n\r\n"), Frame::bulk(""));
        assert_eq!(one(b"$-1\r\n"), Frame::Null);
        assert_eq!(one(b"*-1\r\n"), Frame::NullArray);
        assert_eq!(one(b"_\r\n"), Frame::Null);
        assert_eq!(one(b",1.5\r\n"), Frame::Double(1.5));
        assert_eq!(one(b",inf\r\n"), Frame::Double(f64::INFINITY));
        assert_eq!(one(b",-inf\r\n"), Frame::Double(f64::NEG_INFINITY));
        assert!(matches!(one(b",nan\r\n"), Frame::Double(d) if d.is_nan()));
        assert_eq!(one(b"#t\r\n"), Frame::Boolean(true));
        assert_eq!(one(b"#f\r\n"), Frame::Boolean(false));
        assert_eq!(one(b"(-123\r\n"), Frame::BigNumber("-123".into()));
        assert_eq!(one(b"=6\r\ntxt:hi\r\n"), Frame::Verbatim { format: *b"txt", text: Bytes::from_static(b"hi") });
        assert_eq!(one(b"!3\r\nERR\r\n"), Frame::error("ERR"));
    }

    #[test]
    fn aggregates() {
        assert_eq!(one(b"*0\r\n"), Frame::Array(vec![]));
        assert_eq!(
            one(b"*2\r\n:1\r\n*1\r\n+a\r\n"),
            Frame::Array(vec![Frame::Integer(1), Frame::Array(vec![Frame::simple("a")])])
        );
        assert_eq!(one(b"%1\r\n+k\r\n:1\r\n"), Frame::Map(vec![(Frame::simple("k"), Frame::Integer(1))]));
        assert_eq!(one(b"~1\r\n_\r\n"), Frame::Set(vec![Frame::Null]));
        assert_eq!(one(b">1\r\n:1\r\n"), Frame::Push(vec![Frame::Integer(1)]));
        assert_eq!(one(b"%0\r\n"), Frame::Map(vec![]));
    }

    #[test]
    fn attributes_decorate_the_next_frame() {
        let attr = vec![(Frame::simple("ttl"), Frame::Integer(3))];
        assert_eq!(one(b"|1\r\n+ttl\r\n:3\r\n:5\r\n"), Frame::Attribute(attr.clone(), Box::new(Frame::Integer(5))));
        // Inside an aggregate the attribute does not count as an element.
        assert_eq!(
            one(b"*2\r\n|1\r\n+ttl\r\n:3\r\n*0\r\n:9\r\n"),
            Frame::Array(vec![Frame::Attribute(attr, Box::new(Frame::Array(vec![]))), Frame::Integer(9)])
        );
        assert_eq!(one(b"|0\r\n_\r\n"), Frame::Attribute(vec![], Box::new(Frame::Null)));
    }

    #[test]
    fn incomplete_input_waits() {
        let full: &[u8] = b"*3\r\n$3\r\nfoo\r\n%1\r\n+k\r\n,2.5\r\n|1\r\n+a\r\n:1\r\n#t\r\n";
        for cut in 0..full.len() {
            assert_eq!(parse_reply(&full[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse_reply(full).unwrap().is_some());
    }

    #[test]
    fn consumed_stops_at_the_first_frame() {
        assert_eq!(parse_reply(b":1\r\n:2\r\n"), Ok(Some((Frame::Integer(1), 4))));
    }

    #[test]
    fn malformed_replies_are_errors() {
        for bad in [
            &b"?x\r\n"[..],
            b":1x\r\n",
            b":01\r\n",
            b"$-2\r\n",
            b"$3\r\nabcd\r\n",
            b"*-2\r\n",
            b"%-1\r\n",
            b"#x\r\n",
            b",abc\r\n",
            b"(1.5\r\n",
            b"=2\r\nab\r\n",
            b"_x\r\n",
            b"+a\rb\r\n",
        ] {
            assert!(parse_reply(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let deep = b"*1\r\n".repeat(MAX_DEPTH + 1);
        assert!(parse_reply(&deep).is_err());
        let mut ok = b"*1\r\n".repeat(MAX_DEPTH - 1);
        ok.extend_from_slice(b":1\r\n");
        assert!(parse_reply(&ok).unwrap().is_some());
    }

    #[test]
    fn reader_streams_frames_across_feeds() {
        let stream: &[u8] = b"+OK\r\n*2\r\n$5\r\nhello\r\n%1\r\n:1\r\n_\r\n:42\r\n";
        let want = vec![
            Frame::ok(),
            Frame::Array(vec![Frame::bulk("hello"), Frame::Map(vec![(Frame::Integer(1), Frame::Null)])]),
            Frame::Integer(42),
        ];
        for chunk in 1..=stream.len() {
            let mut r = ReplyReader::new();
            let mut got = Vec::new();
            for part in stream.chunks(chunk) {
                r.feed(part);
                while let Some(f) = r.next_frame().unwrap() {
                    got.push(f);
                }
            }
            assert_eq!(got, want, "chunk size {chunk}");
            assert_eq!(r.buffered_len(), 0);
        }
    }

    #[test]
    fn reader_errors_stick() {
        let mut r = ReplyReader::new();
        r.feed(b":1\r\n?\r\n");
        assert_eq!(r.next_frame(), Ok(Some(Frame::Integer(1))));
        let e = r.next_frame().unwrap_err();
        r.feed(b":2\r\n");
        assert_eq!(r.next_frame(), Err(e));
    }

    #[test]
    fn huge_headers_do_not_allocate() {
        let mut r = ReplyReader::new();
        r.feed(b"*9223372036854775807\r\n%4611686018427387903\r\n$9223372036854775800\r\nab");
        assert_eq!(r.next_frame(), Ok(None));
        assert!(r.partial.stack.iter().all(|o| o.items.capacity() == 0));
        assert_eq!(parse_reply(b"$9223372036854775807\r\n"), Ok(None));
    }
}
