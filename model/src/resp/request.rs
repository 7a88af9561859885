//! The server side: bytes from a client to argv.
//!
//! This follows Redis 7.0's query-buffer parsing (`processMultibulkBuffer` and
//! `processInlineBuffer`) rule for rule, including its quirks, because a client
//! that is accepted or rejected by Redis must be treated the same way here:
//!
//! - header lines end at the first `\r`, and the byte after it is skipped
//!   without being checked; the two bytes after a bulk payload are skipped too;
//! - inline lines end at the first `\n` (a `\r` before it is dropped);
//! - Redis finds line ends with `strchr`, so a NUL byte before the terminator
//!   hides it: the request waits until the size limit below rejects it;
//! - a header or inline line still unterminated once more than 64 KiB are
//!   buffered is an error. Like Redis, this is judged on what has arrived when
//!   the parser runs, so it depends on how the stream was cut into reads.

use super::Frame;
use crate::engine::Upcoming;
use bytes::{Bytes, BytesMut};

/// A protocol violation; the server replies with it and closes the connection.
///
/// Holds the full error line without the leading `-`, e.g.
/// `"ERR Protocol error: invalid bulk length"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(what: &str) -> Self {
        ProtocolError(format!("ERR Protocol error: {what}"))
    }

    /// The error reply the server sends before closing.
    pub fn to_frame(&self) -> Frame {
        Frame::Error(self.0.clone())
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// Redis's `PROTO_INLINE_MAX_SIZE`: the most bytes a header or inline line may
/// occupy in the buffer while its terminator has not been seen.
pub const MAX_LINE: usize = 64 * 1024;
/// Redis's default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;
/// Redis rejects multibulk counts above `INT_MAX` (checked against 7.0.15).
const MAX_MULTIBULK: i64 = i32::MAX as i64;
/// Limits for clients that still have to authenticate (CVE-2021-32675): they
/// must not make the server buffer much before proving who they are.
const UNAUTH_MAX_MULTIBULK: i64 = 10;
const UNAUTH_MAX_BULK: i64 = 16 * 1024;
/// Argument slots reserved up front, whatever count the client announced.
const ARGV_PREALLOC: usize = 1024;

/// Where the parser is inside the current request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between requests: the next byte decides multibulk or inline.
    Idle,
    /// Inside a multibulk request: `left` arguments still to come, and the
    /// length of the one being read once its `$` line has been parsed.
    Multibulk { left: u64, bulk: Option<usize> },
}

/// How far the search for the current line's terminator got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// This many bytes after the line start hold no terminator (resumes the
    /// search instead of rescanning when bytes trickle in).
    Clean(usize),
    /// A NUL came first: like `strchr`, Redis will never see the terminator.
    Blocked,
}

/// Incremental parser of client requests (multibulk and inline).
///
/// Feed it whatever the socket delivered, then call [`next_request`] until it
/// returns `Ok(None)`. Multibulk arguments are zero-copy slices of the buffer.
///
/// [`next_request`]: RequestParser::next_request
#[derive(Debug)]
pub struct RequestParser {
    /// Bytes of the current (incomplete) request and everything after it.
    buf: BytesMut,
    /// Parse position in `buf`; `buf[..pos]` belongs to the current request.
    pos: usize,
    state: State,
    /// `(start, len)` in `buf` of the multibulk arguments parsed so far.
    args: Vec<(usize, usize)>,
    scan: Scan,
    error: Option<ProtocolError>,
    max_bulk_len: u64,
    authenticated: bool,
    /// For `buffered_len`: bytes of requests handed out since the last time
    /// the parser ran dry, and how much of `buf` Redis would have trimmed.
    done_since_dry: usize,
    trimmed: usize,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    pub fn new() -> Self {
        RequestParser {
            buf: BytesMut::new(),
            pos: 0,
            state: State::Idle,
            args: Vec::new(),
            scan: Scan::Clean(0),
            error: None,
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            authenticated: true,
            done_since_dry: 0,
            trimmed: 0,
        }
    }

    /// Redis's `proto-max-bulk-len`: longer bulk arguments are protocol errors.
    pub fn set_max_bulk_len(&mut self, max: u64) {
        self.max_bulk_len = max;
    }

    pub fn max_bulk_len(&self) -> u64 {
        self.max_bulk_len
    }

    /// Whether the client has authenticated (or needs not); until then Redis
    /// caps multibulk counts at 10 and bulk lengths at 16384.
    pub fn set_authenticated(&mut self, authenticated: bool) {
        self.authenticated = authenticated;
    }

    pub fn authenticated(&self) -> bool {
        self.authenticated
    }

    /// Appends bytes read from the socket. Ignored once the parser has failed:
    /// the connection is closing and nothing more will be parsed.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The query buffer size as Redis reports it in CLIENT LIST `qbuf`: bytes
    /// not yet consumed when the parser last ran dry (parsed arguments of an
    /// incomplete request excluded) plus everything fed since. While a
    /// pipelined batch is being served this still counts the requests already
    /// returned, as Redis 7.0 trims its buffer only after the whole batch
    /// (a client running `CLIENT LIST` sees its own command in `qbuf`).
    pub fn buffered_len(&self) -> usize {
        self.done_since_dry + (self.buf.len() - self.trimmed)
    }

    /// Bytes fed but not yet part of a request returned: a replica's offset
    /// is what it was fed minus this.
    pub fn unparsed_len(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The protocol error that stopped the parser, if any.
    pub fn error(&self) -> Option<&ProtocolError> {
        self.error.as_ref()
    }

    /// The next complete request, `Ok(None)` when more bytes are needed. Empty
    /// requests (`*0`, `*-1`, blank inline lines) are skipped as Redis does.
    /// After an error every call returns that same error.
    pub fn next_request(&mut self) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        loop {
            let step = match self.state {
                State::Idle if self.pos >= self.buf.len() => Ok(None),
                State::Idle if self.buf[self.pos] == b'*' => self.multibulk_count(),
                State::Idle => self.inline(),
                State::Multibulk { .. } => self.multibulk_args(),
            };
            match step {
                Err(e) => {
                    self.error = Some(e.clone());
                    // Nothing more will be parsed; release the memory.
                    self.buf = BytesMut::new();
                    self.args = Vec::new();
                    self.pos = 0;
                    self.trimmed = 0;
                    self.done_since_dry = 0;
                    return Err(e);
                }
                Ok(None) => {
                    self.trimmed = self.pos;
                    self.done_since_dry = 0;
                    return Ok(None);
                }
                Ok(Some(argv)) if argv.is_empty() => continue,
                Ok(Some(argv)) => return Ok(Some(argv)),
            }
        }
    }

    /// Calls `each` with the name, the second argument and the two after it
    /// (for most keyed commands the key and the member or field it names)
    /// of each of the next `max` complete multibulk requests buffered that
    /// have a second argument, without consuming anything: the node hands
    /// them to the engine so that a pipeline's cache misses overlap. Stops
    /// at the first request that is inline, incomplete or malformed; parsing
    /// proper judges those.
    pub fn peek_args<'a>(&'a self, max: usize, mut each: impl FnMut(Upcoming<'a>)) {
        if self.error.is_some() || self.state != State::Idle {
            return;
        }
        let buf = &self.buf[..];
        let mut at = self.pos;
        for _ in 0..max {
            let Some((count, mut next)) = peek_header(buf, at, b'*') else { return };
            let mut first = [None; 4];
            for i in 0..count {
                let Some((len, payload)) = peek_header(buf, next, b'$') else { return };
                let end = match payload.checked_add(len) {
                    Some(end) if end.saturating_add(2) <= buf.len() => end,
                    _ => return,
                };
                if let Some(slot) = first.get_mut(i) {
                    *slot = Some(&buf[payload..end]);
                }
                next = end + 2;
            }
            if let [Some(name), Some(key), a, b] = first {
                each(Upcoming { name, key, after: [a, b] });
            }
            at = next;
        }
    }

    /// Finds the end of the line starting at `self.pos`: the index of the
    /// first `term` byte, unless a NUL comes first (see the module docs).
    fn find_terminator(&mut self, term: u8) -> Option<usize> {
        let Scan::Clean(clean) = self.scan else {
            return None;
        };
        let from = self.pos + clean;
        let rest = &self.buf[from..];
        match rest.iter().position(|&c| c == term || c == 0) {
            Some(i) if rest[i] == term => Some(from + i),
            Some(_) => {
                self.scan = Scan::Blocked;
                None
            }
            None => {
                self.scan = Scan::Clean(self.buf.len() - self.pos);
                None
            }
        }
    }

    /// Too much buffered without the terminator of the current line?
    fn line_too_long(&self) -> bool {
        self.buf.len() - self.pos > MAX_LINE
    }

    /// Moves past a parsed line or payload to `to`.
    fn advance(&mut self, to: usize) {
        self.pos = to;
        self.scan = Scan::Clean(0);
    }

    /// Cuts the finished request (`buf[..pos]`) off the buffer and resets for
    /// the next one.
    fn take_request(&mut self) -> Bytes {
        self.done_since_dry += self.pos - self.trimmed;
        let chunk = self.buf.split_to(self.pos).freeze();
        self.pos = 0;
        self.trimmed = 0;
        self.scan = Scan::Clean(0);
        self.state = State::Idle;
        chunk
    }

    /// Reads `*<count>\r`: the header of a multibulk request.
    fn multibulk_count(&mut self) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(cr) = self.find_terminator(b'\r') else {
            if self.line_too_long() {
                return Err(ProtocolError::new("too big mbulk count string"));
            }
            return Ok(None);
        };
        // Redis needs one more byte after the `\r` (meant to be `\n`) but does
        // not look at it.
        if cr + 1 >= self.buf.len() {
            return Ok(None);
        }
        let count = match crate::num::parse_i64(&self.buf[self.pos + 1..cr]) {
            Some(n) if n <= MAX_MULTIBULK => n,
            _ => return Err(ProtocolError::new("invalid multibulk length")),
        };
        if count > UNAUTH_MAX_MULTIBULK && !self.authenticated {
            return Err(ProtocolError::new("unauthenticated multibulk length"));
        }
        self.advance(cr + 2);
        if count <= 0 {
            // An empty request; the caller skips it.
            self.take_request();
            return Ok(Some(Vec::new()));
        }
        self.args.clear();
        self.args.reserve(ARGV_PREALLOC.min(count as usize));
        self.state = State::Multibulk { left: count as u64, bulk: None };
        self.multibulk_args()
    }

    /// Reads `$<len>\r` lines and payloads until the request is complete.
    fn multibulk_args(&mut self) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        while let State::Multibulk { left, bulk } = self.state {
            let len = match bulk {
                Some(len) => len,
                None => match self.bulk_len()? {
                    Some(len) => len,
                    None => return Ok(None),
                },
            };
            // The payload plus two bytes (meant to be CRLF, skipped unchecked).
            if self.buf.len() - self.pos < len + 2 {
                self.state = State::Multibulk { left, bulk: Some(len) };
                return Ok(None);
            }
            self.args.push((self.pos, len));
            self.advance(self.pos + len + 2);
            if left > 1 {
                self.state = State::Multibulk { left: left - 1, bulk: None };
            } else {
                let chunk = self.take_request();
                let argv = self.args.drain(..).map(|(s, n)| chunk.slice(s..s + n)).collect();
                return Ok(Some(argv));
            }
        }
        Ok(None)
    }

    /// Reads one `$<len>\r` line; `Ok(None)` if it has not fully arrived.
    fn bulk_len(&mut self) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = self.find_terminator(b'\r') else {
            if self.line_too_long() {
                return Err(ProtocolError::new("too big bulk count string"));
            }
            return Ok(None);
        };
        if cr + 1 >= self.buf.len() {
            return Ok(None);
        }
        let first = self.buf[self.pos];
        if first != b'$' {
            return Err(ProtocolError::new(&format!("expected '$', got '{}'", byte_for_error(first))));
        }
        let len = match crate::num::parse_i64(&self.buf[self.pos + 1..cr]) {
            Some(n) if n >= 0 && (n as u64) <= self.max_bulk_len => n,
            _ => return Err(ProtocolError::new("invalid bulk length")),
        };
        if len > UNAUTH_MAX_BULK && !self.authenticated {
            return Err(ProtocolError::new("unauthenticated bulk length"));
        }
        // Cannot fail on 64-bit targets; on smaller ones such a bulk could
        // never be buffered anyway.
        let Ok(len) = usize::try_from(len) else {
            return Err(ProtocolError::new("invalid bulk length"));
        };
        if len.checked_add(2).is_none() {
            return Err(ProtocolError::new("invalid bulk length"));
        }
        self.advance(cr + 2);
        Ok(Some(len))
    }

    /// Reads one inline request: a line split like `sdssplitargs`.
    fn inline(&mut self) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(nl) = self.find_terminator(b'\n') else {
            if self.line_too_long() {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(None);
        };
        let mut end = nl;
        if end > self.pos && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        let argv =
            split_args(&self.buf[self.pos..end]).ok_or_else(|| ProtocolError::new("unbalanced quotes in request"))?;
        self.advance(nl + 1);
        self.take_request();
        Ok(Some(argv))
    }
}

/// A complete `<marker><n>\r?` header line at `at` in `buf` with `n` ≥ 0:
/// `(n, where the next line starts)`. Headers longer than any valid count
/// are not complete headers here.
fn peek_header(buf: &[u8], at: usize, marker: u8) -> Option<(usize, usize)> {
    if buf.get(at) != Some(&marker) {
        return None;
    }
    let digits = buf.get(at + 1..)?;
    let cr = digits.iter().take(21).position(|&c| c == b'\r')?;
    if at + 1 + cr + 1 >= buf.len() {
        return None;
    }
    let n = crate::num::parse_i64(&digits[..cr]).filter(|&n| n >= 0)?;
    Some((usize::try_from(n).ok()?, at + 1 + cr + 2))
}

/// How Redis's `%c` byte reads in an error line: CR and LF become spaces (as
/// Redis sanitises formatted errors). Bytes above 0x7f cannot be carried raw
/// in a `String`; they appear as the Latin-1 character of the same value.
fn byte_for_error(b: u8) -> char {
    match b {
        b'\r' | b'\n' => ' ',
        _ => char::from(b),
    }
}

/// `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits an inline request line the way Redis's `sdssplitargs` does; `None`
/// for unbalanced quotes.
///
/// - Tokens are separated by C whitespace, but inside an unquoted token only
///   space, tab, CR and LF end it (a vertical tab or form feed is kept).
/// - A quote may open anywhere in a token (`ab"c d"` is `abc d`); the closing
///   quote must be followed by whitespace or the end of the line.
/// - In double quotes: `\xHH`, `\n \r \t \b \a`, and `\` before any other byte
///   yields that byte. In single quotes only `\'` is an escape.
pub fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    #[derive(PartialEq)]
    enum Mode {
        Plain,
        Double,
        Single,
    }
    let at = |i: usize| line.get(i).copied();
    let closes_ok = |i: usize| at(i + 1).is_none_or(is_c_space);
    let mut argv = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_c_space) {
            i += 1;
        }
        if i >= line.len() {
            return Some(argv);
        }
        let mut token = Vec::new();
        let mut mode = Mode::Plain;
        loop {
            match mode {
                Mode::Plain => match at(i) {
                    None => break,
                    Some(b' ' | b'\t' | b'\r' | b'\n') => {
                        i += 1;
                        break;
                    }
                    Some(b'"') => {
                        mode = Mode::Double;
                        i += 1;
                    }
                    Some(b'\'') => {
                        mode = Mode::Single;
                        i += 1;
                    }
                    Some(c) => {
                        token.push(c);
                        i += 1;
                    }
                },
                Mode::Double => match at(i)? {
                    b'\\' => {
                        let hex = at(i + 2).and_then(hex_value).zip(at(i + 3).and_then(hex_value));
                        match (at(i + 1), hex) {
                            (Some(b'x'), Some((hi, lo))) => {
                                token.push(hi * 16 + lo);
                                i += 4;
                            }
                            (Some(c), _) => {
                                token.push(match c {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 0x08,
                                    b'a' => 0x07,
                                    other => other,
                                });
                                i += 2;
                            }
                            // A lone backslash at the end: the quote is unclosed.
                            (None, _) => return None,
                        }
                    }
                    b'"' => {
                        if !closes_ok(i) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    c => {
                        token.push(c);
                        i += 1;
                    }
                },
                Mode::Single => match at(i)? {
                    b'\\' if at(i + 1) == Some(b'\'') => {
                        token.push(b'\'');
                        i += 2;
                    }
                    b'\'' => {
                        if !closes_ok(i) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    c => {
                        token.push(c);
                        i += 1;
                    }
                },
            }
        }
        argv.push(Bytes::from(token));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn argv(items: &[&str]) -> Vec<Bytes> {
        items.iter().map(|s| b(s)).collect()
    }

    /// All requests in `input`, or the error that ended the stream.
    fn parse_all(input: &[u8]) -> (Vec<Vec<Bytes>>, Option<String>) {
        let mut p = RequestParser::new();
        p.feed(input);
        collect(&mut p)
    }

    fn collect(p: &mut RequestParser) -> (Vec<Vec<Bytes>>, Option<String>) {
        let mut out = Vec::new();
        loop {
            match p.next_request() {
                Ok(Some(a)) => out.push(a),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e.0)),
            }
        }
    }

    fn err_of(input: &[u8]) -> String {
        parse_all(input).1.unwrap_or_else(|| "no error".to_string())
    }

    fn unauth_err_of(input: &[u8]) -> Option<String> {
        let mut p = RequestParser::new();
        p.set_authenticated(false);
        p.feed(input);
        collect(&mut p).1
    }

    #[test]
    fn multibulk_basic_and_pipelined() {
        let (reqs, err) = parse_all(b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        assert_eq!(err, None);
        assert_eq!(reqs, vec![argv(&["PING"]), argv(&["SET", "k", ""])]);
    }

    #[test]
    fn binary_payloads_are_kept_verbatim() {
        let (reqs, _) = parse_all(b"*1\r\n$4\r\n\r\n\0*\r\n");
        assert_eq!(reqs, vec![vec![Bytes::from_static(b"\r\n\0*")]]);
    }

    #[test]
    fn empty_requests_are_skipped() {
        let (reqs, err) = parse_all(b"*0\r\n*-1\r\n*-20\r\n\r\n\n   \t \r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(reqs, vec![argv(&["PING"])]);
    }

    #[test]
    fn byte_after_cr_and_after_payload_is_not_checked() {
        // Redis skips two bytes blindly in both places.
        let (reqs, err) = parse_all(b"*1\rX$4\r\nPINGxy*1\r\n$4\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(reqs, vec![argv(&["PING"]), argv(&["PING"])]);
    }

    #[test]
    fn multibulk_count_errors() {
        let invalid = "ERR Protocol error: invalid multibulk length";
        for bad in ["*2147483648\r\n", "*-0\r\n", "*+1\r\n", "*01\r\n", "*\r\n", "*1x\r\n", "* 1\r\n"] {
            assert_eq!(err_of(bad.as_bytes()), invalid, "{bad:?}");
        }
        // INT_MAX itself is accepted: the parser waits for the arguments.
        assert_eq!(parse_all(b"*2147483647\r\n"), (vec![], None));
        assert_eq!(parse_all(b"*1048577\r\n"), (vec![], None));
    }

    #[test]
    fn too_big_count_strings() {
        let mut long = b"*".to_vec();
        long.extend(std::iter::repeat_n(b'1', MAX_LINE - 1));
        assert_eq!(parse_all(&long), (vec![], None), "exactly 64 KiB buffered waits");
        long.push(b'1');
        assert_eq!(err_of(&long), "ERR Protocol error: too big mbulk count string");

        let mut long = b"*1\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'A', MAX_LINE));
        assert_eq!(parse_all(&long), (vec![], None));
        long.push(b'A');
        assert_eq!(err_of(&long), "ERR Protocol error: too big bulk count string");
    }

    #[test]
    fn cr_as_last_byte_waits_without_size_check() {
        let mut long = b"*".to_vec();
        long.extend(std::iter::repeat_n(b'1', MAX_LINE + 10));
        long.push(b'\r');
        let mut p = RequestParser::new();
        p.feed(&long);
        assert_eq!(p.next_request(), Ok(None));
        p.feed(b"\n");
        assert_eq!(p.next_request().unwrap_err().0, "ERR Protocol error: invalid multibulk length");
    }

    #[test]
    fn nul_hides_the_line_end() {
        // As with strchr: the request never completes, then is too big.
        let mut p = RequestParser::new();
        p.feed(b"*1\0\r\n");
        assert_eq!(p.next_request(), Ok(None));
        p.feed(&vec![b'A'; MAX_LINE]);
        assert_eq!(p.next_request().unwrap_err().0, "ERR Protocol error: too big mbulk count string");

        let mut p = RequestParser::new();
        p.feed(b"PING a\0b\r\n");
        assert_eq!(p.next_request(), Ok(None));
        p.feed(&vec![b'x'; MAX_LINE]);
        assert_eq!(p.next_request().unwrap_err().0, "ERR Protocol error: too big inline request");

        let (reqs, err) = parse_all(b"*1\r\n$4\0\r\nPING\r\n");
        assert_eq!((reqs.len(), err), (0, None));
    }

    #[test]
    fn expected_dollar_errors() {
        assert_eq!(err_of(b"*1\r\nX\r\n"), "ERR Protocol error: expected '$', got 'X'");
        assert_eq!(err_of(b"*1\r\n\r\n"), "ERR Protocol error: expected '$', got ' '");
        assert_eq!(err_of(b"*1\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'");
        assert_eq!(err_of(b"*1\r\n\xe9\r\n"), "ERR Protocol error: expected '$', got '\u{e9}'");
        // The check waits for a complete line, like Redis.
        assert_eq!(parse_all(b"*1\r\nX"), (vec![], None));
    }

    #[test]
    fn bulk_length_errors() {
        let invalid = "ERR Protocol error: invalid bulk length";
        for bad in ["$-1", "$01", "$", "$+1", "$1x", "$536870913", "$99999999999999999999"] {
            assert_eq!(err_of(format!("*1\r\n{bad}\r\n").as_bytes()), invalid, "{bad:?}");
        }
        assert_eq!(parse_all(b"*1\r\n$536870912\r\n"), (vec![], None));
        let mut p = RequestParser::new();
        p.set_max_bulk_len(3);
        p.feed(b"*2\r\n$3\r\nabc\r\n$4\r\n");
        assert_eq!(p.next_request().unwrap_err().0, invalid);
    }

    #[test]
    fn unauthenticated_limits() {
        assert_eq!(unauth_err_of(b"*10\r\n"), None);
        assert_eq!(unauth_err_of(b"*11\r\n").unwrap(), "ERR Protocol error: unauthenticated multibulk length");
        assert_eq!(unauth_err_of(b"*-20\r\n"), None);
        assert_eq!(unauth_err_of(b"*1\r\n$16384\r\n"), None);
        assert_eq!(unauth_err_of(b"*1\r\n$16385\r\n").unwrap(), "ERR Protocol error: unauthenticated bulk length");
        // Validity is checked first.
        assert_eq!(unauth_err_of(b"*2147483648\r\n").unwrap(), "ERR Protocol error: invalid multibulk length");
        assert_eq!(unauth_err_of(b"*1\r\n$16385x\r\n").unwrap(), "ERR Protocol error: invalid bulk length");
        // Authenticating lifts the limits for what follows.
        let mut p = RequestParser::new();
        p.set_authenticated(false);
        p.feed(b"*2\r\n$4\r\nAUTH\r\n$1\r\np\r\n");
        assert_eq!(p.next_request().unwrap().unwrap(), argv(&["AUTH", "p"]));
        p.set_authenticated(true);
        p.feed(b"*11\r\n");
        assert_eq!(p.next_request(), Ok(None));
    }

    #[test]
    fn errors_poison_the_parser() {
        let mut p = RequestParser::new();
        p.feed(b"*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(p.next_request().unwrap().unwrap(), argv(&["PING"]));
        let e = p.next_request().unwrap_err();
        assert_eq!(e.0, "ERR Protocol error: invalid multibulk length");
        p.feed(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(p.next_request(), Err(e.clone()));
        assert_eq!(p.error(), Some(&e));
        assert_eq!(e.to_frame(), Frame::Error(e.0.clone()));
    }

    #[test]
    fn inline_requests() {
        let (reqs, err) = parse_all(b"SET k v\r\nGET   k\n\tPING\r\r\nECHO a\rb\r\n$3\r\n");
        assert_eq!(err, None);
        assert_eq!(
            reqs,
            vec![
                argv(&["SET", "k", "v"]),
                argv(&["GET", "k"]),
                argv(&["PING"]),
                argv(&["ECHO", "a", "b"]),
                argv(&["$3"])
            ]
        );
        // A vertical tab separates tokens only where blanks are skipped.
        let (reqs, _) = parse_all(b"\x0b\x0cECHO a\x0bb\x0b\r\n");
        assert_eq!(reqs, vec![vec![b("ECHO"), b("a\x0bb\x0b")]]);
        // Bytes above 0x7f are never whitespace.
        let (reqs, _) = parse_all(b"ECHO \xa0a\r\n");
        assert_eq!(reqs, vec![vec![b("ECHO"), Bytes::from_static(b"\xa0a")]]);
    }

    #[test]
    fn inline_quotes_and_escapes() {
        let (reqs, err) = parse_all(b"ECHO \"a\\x41\\n\\r\\t\\b\\a\\\\\\\"\\z\\xZZ\"\r\n");
        assert_eq!(err, None);
        assert_eq!(reqs[0][1], Bytes::from_static(b"aA\n\r\t\x08\x07\\\"zxZZ"));
        let cases: &[(&[u8], &[u8])] = &[
            (b"ECHO 'a\\'b\\n'", b"a'b\\n"),
            (b"ECHO \"\\x4g\"", b"x4g"),
            (b"ECHO \"\\xfF\"", b"\xff"),
            (b"ECHO \"\"", b""),
            (b"ECHO ''", b""),
            (b"ECHO ab\"c d\"", b"abc d"),
            (b"ECHO ab'c d'", b"abc d"),
            (b"ECHO \"a\"\x0b", b"a"),
            (b"ECHO \"a\r\"", b"a\r"),
        ];
        for (line, want) in cases {
            let mut input = line.to_vec();
            input.push(b'\n');
            let (reqs, err) = parse_all(&input);
            assert_eq!(err, None, "{line:?}");
            assert_eq!(reqs, vec![vec![b("ECHO"), Bytes::copy_from_slice(want)]], "{line:?}");
        }
    }

    #[test]
    fn inline_unbalanced_quotes() {
        let unbalanced = "ERR Protocol error: unbalanced quotes in request";
        for bad in [
            "ECHO \"a\"b",
            "ECHO 'a'b",
            "ECHO \"abc",
            "ECHO ab\"c d\"ef",
            "ECHO \"x\\",
            "ECHO \"\\\"",
            "ECHO \"a\"\"b\"",
            "ECHO 'abc",
        ] {
            assert_eq!(err_of(format!("{bad}\r\n").as_bytes()), unbalanced, "{bad:?}");
        }
    }

    #[test]
    fn too_big_inline() {
        let mut p = RequestParser::new();
        p.feed(&vec![b'A'; MAX_LINE]);
        assert_eq!(p.next_request(), Ok(None));
        p.feed(b"A");
        assert_eq!(p.next_request().unwrap_err().0, "ERR Protocol error: too big inline request");
        // A long line whose newline is already buffered is fine.
        let mut line = b"ECHO ".to_vec();
        line.extend(std::iter::repeat_n(b'A', 70_000));
        line.extend_from_slice(b"\r\n");
        let (reqs, err) = parse_all(&line);
        assert_eq!((reqs[0][1].len(), err), (70_000, None));
    }

    const PIPELINE: &[u8] = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\nab\r\ncd\0efg\r\n\
        PING\r\n*0\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nECHO \"x y\" 'z'\n\r\n\
        *1\r\n$4\r\nQUIT\r\n";

    fn pipeline_argv() -> Vec<Vec<Bytes>> {
        vec![
            vec![b("SET"), b("key"), Bytes::from_static(b"ab\r\ncd\0efg")],
            argv(&["PING"]),
            argv(&["ECHO", ""]),
            argv(&["ECHO", "x y", "z"]),
            argv(&["QUIT"]),
        ]
    }

    #[test]
    fn byte_by_byte_matches_one_feed() {
        let mut p = RequestParser::new();
        let mut got = Vec::new();
        for &byte in PIPELINE {
            p.feed(&[byte]);
            let (reqs, err) = collect(&mut p);
            assert_eq!(err, None);
            got.extend(reqs);
        }
        assert_eq!(got, pipeline_argv());
        assert_eq!(p.buffered_len(), 0);
    }

    #[test]
    fn every_split_point_matches_one_feed() {
        for a in 0..=PIPELINE.len() {
            for b2 in a..=PIPELINE.len() {
                let mut p = RequestParser::new();
                let mut got = Vec::new();
                for part in [&PIPELINE[..a], &PIPELINE[a..b2], &PIPELINE[b2..]] {
                    p.feed(part);
                    got.extend(collect(&mut p).0);
                }
                assert_eq!(got, pipeline_argv(), "split at {a}, {b2}");
            }
        }
    }

    #[test]
    fn buffered_len_follows_redis_qbuf() {
        let mut p = RequestParser::new();
        let cmd = b"*2\r\n$6\r\nclient\r\n$4\r\nlist\r\n";
        p.feed(cmd);
        p.feed(b"*1\r\n$4\r\nPI");
        assert_eq!(p.buffered_len(), cmd.len() + 10);
        assert!(p.next_request().unwrap().is_some());
        // While the first command runs, the whole read still counts.
        assert_eq!(p.buffered_len(), cmd.len() + 10);
        assert_eq!(p.next_request(), Ok(None));
        // Dry: what remains is the unparsed tail after the `$4` header.
        assert_eq!(p.buffered_len(), 2);
        p.feed(b"NG\r\n");
        assert_eq!(p.buffered_len(), 6);
        assert_eq!(p.next_request().unwrap().unwrap(), argv(&["PING"]));
        assert_eq!(p.next_request(), Ok(None));
        assert_eq!(p.buffered_len(), 0);
    }

    /// The second arguments `peek_args` reports on `p` (up to `max` requests).
    fn peeked(p: &RequestParser, max: usize) -> Vec<Vec<u8>> {
        peeked_heads(p, max).into_iter().map(|head| head[1].clone()).collect()
    }

    /// The first (up to) four arguments `peek_args` reports on `p`, per request.
    fn peeked_heads(p: &RequestParser, max: usize) -> Vec<Vec<Vec<u8>>> {
        let mut seen = Vec::new();
        p.peek_args(max, |u| {
            let rest = u.after.iter().map_while(|a| a.map(<[u8]>::to_vec));
            seen.push([u.name.to_vec(), u.key.to_vec()].into_iter().chain(rest).collect());
        });
        seen
    }

    #[test]
    fn peeking_sees_the_second_arguments_of_complete_multibulk_requests() {
        let pipeline = b"*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*1\r\n$4\r\nPING\r\n*0\r\n\
            *3\r\n$3\r\nSET\r\n$4\r\nk\r\n2\r\n$1\r\nv\r\nGET k3\r\n*2\r\n$3\r\nGET\r\n$2\r\nk4\r\n";
        // Up to the inline request: k1, PING has none, *0 is empty, then "k\r\n2".
        let upto_inline = vec![b"k1".to_vec(), b"k\r\n2".to_vec()];
        for cut in 0..=pipeline.len() {
            let mut p = RequestParser::new();
            p.feed(&pipeline[..cut]);
            // Exactly the complete requests' second arguments, in order,
            // and nothing is consumed.
            let before = p.buffered_len();
            let seen = peeked(&p, 16);
            assert_eq!(p.buffered_len(), before);
            let complete: Vec<Vec<u8>> = {
                let mut q = RequestParser::new();
                q.feed(&pipeline[..cut]);
                let mut out = Vec::new();
                while let Ok(Some(argv)) = q.next_request() {
                    if argv[0].as_ref() == b"GET" && argv.len() == 2 && argv[1].as_ref() == b"k3" {
                        break;
                    }
                    out.extend(argv.get(1).map(|a| a.to_vec()));
                }
                out
            };
            assert_eq!(seen, complete, "cut at {cut}");
            assert!(seen.len() <= upto_inline.len());
        }
        let mut p = RequestParser::new();
        p.feed(pipeline);
        assert_eq!(peeked(&p, 1), vec![b"k1".to_vec()]);
        // The name and the arguments after the key come along.
        let head = |words: &[&[u8]]| words.iter().map(|w| w.to_vec()).collect::<Vec<_>>();
        assert_eq!(peeked_heads(&p, 16), vec![head(&[b"GET", b"k1"]), head(&[b"SET", b"k\r\n2", b"v"])]);
        assert_eq!(peeked(&p, 16), upto_inline);
        // After the first request is taken, peeking starts at the next one.
        p.next_request().unwrap();
        assert!(peeked(&p, 2).is_empty(), "PING and the empty request count");
        assert_eq!(peeked(&p, 3), vec![b"k\r\n2".to_vec()]);
    }

    #[test]
    fn peeking_at_garbage_or_a_failed_parser_sees_nothing_and_never_panics() {
        for junk in [
            &b"*-1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"[..],
            b"*2\r\n$3\r\nGET\r\n$-1\r\n",
            b"*2\r\n$3\r\nGET\r\n$99999999999999999999999\r\nk\r\n",
            b"*2\r\n$3\r\nGET\r\n$18446744073709551615\r\nk\r\n",
            b"*2\r\n$3\r\nGET\r\n$9223372036854775807\r\nk\r\n",
            b"*9223372036854775807\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"*2\r\nx3\r\nGET\r\n$1\r\nk\r\n",
            b"*2\r",
            b"*",
            b"$2\r\nab\r\n",
        ] {
            let mut p = RequestParser::new();
            p.feed(junk);
            assert!(peeked(&p, 16).is_empty(), "{junk:?}");
        }
        let mut p = RequestParser::new();
        p.feed(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        p.feed(b"*1\r\n$3\r\n");
        assert_eq!(peeked(&p, 16), vec![b"k".to_vec()]);
        // Mid-request (the parser has consumed a header), nothing is peeked.
        p.next_request().unwrap();
        assert_eq!(p.next_request(), Ok(None));
        p.feed(b"PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nz\r\n");
        assert!(peeked(&p, 16).is_empty());
        let mut p = RequestParser::new();
        p.feed(b"*1\r\nxx\r\n");
        assert!(p.next_request().is_err());
        p.feed(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert!(peeked(&p, 16).is_empty());
    }

    /// One piece of a generated client stream: a well-formed multibulk
    /// request, or something peeking must stop at (an inline line, junk).
    fn fragment(multibulk_only: bool) -> impl Strategy<Value = Vec<u8>> {
        let arg =
            proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'k'), Just(b'\r'), Just(b'\n'), Just(0u8)], 0..4);
        let request = proptest::collection::vec(arg, 0..6).prop_map(|argv| {
            let mut out = format!("*{}\r\n", argv.len()).into_bytes();
            for a in argv {
                out.extend(format!("${}\r\n", a.len()).bytes());
                out.extend(a);
                out.extend(b"\r\n");
            }
            out
        });
        let other = prop_oneof![
            Just(b"GET k\r\n".to_vec()),
            Just(b"*-1\r\n".to_vec()),
            Just(b"*1\r\n$x\r\n".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..6),
        ];
        if multibulk_only {
            request.boxed()
        } else {
            prop_oneof![4 => request, 1 => other].boxed()
        }
    }

    /// The first (up to) four arguments of each request of two or more the
    /// parser itself returns, until it needs more bytes or fails.
    fn parsed_heads(stream: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut q = RequestParser::new();
        q.feed(stream);
        let mut out = Vec::new();
        while let Ok(Some(argv)) = q.next_request() {
            if argv.len() >= 2 {
                out.push(argv.iter().take(4).map(|a| a.to_vec()).collect());
            }
        }
        out
    }

    /// The generated stream cut at `cut`: what peeking a parser fed with it
    /// reports, and what parsing it returns.
    fn peeked_and_parsed(parts: &[Vec<u8>], cut: usize) -> PeekedAndParsed {
        let stream: Vec<u8> = parts.concat();
        let stream = &stream[..cut.min(stream.len())];
        let mut p = RequestParser::new();
        p.feed(stream);
        (peeked_heads(&p, 64), parsed_heads(stream))
    }

    type PeekedAndParsed = (Vec<Vec<Vec<u8>>>, Vec<Vec<Vec<u8>>>);

    proptest! {
        /// Whatever the stream, peeking never panics and names only keys the
        /// parser then returns, in the same order.
        #[test]
        fn peeking_is_a_prefix_of_what_parsing_returns(
            parts in proptest::collection::vec(fragment(false), 0..12),
            cut in 0usize..200,
        ) {
            let (seen, parsed) = peeked_and_parsed(&parts, cut);
            prop_assert!(parsed.starts_with(&seen), "peeked {:?}, parsed {:?}", seen, parsed);
        }

        /// On a stream of well-formed multibulk requests, peeking sees every
        /// complete one.
        #[test]
        fn peeking_sees_every_complete_multibulk_request(
            parts in proptest::collection::vec(fragment(true), 0..12),
            cut in 0usize..200,
        ) {
            let (seen, parsed) = peeked_and_parsed(&parts, cut);
            prop_assert_eq!(seen, parsed);
        }
    }

    #[test]
    fn huge_announced_sizes_do_not_allocate() {
        let mut p = RequestParser::new();
        p.feed(b"*2147483647\r\n$536870912\r\nabc");
        assert_eq!(p.next_request(), Ok(None));
        assert!(p.args.capacity() <= ARGV_PREALLOC);
        assert!(p.buf.capacity() < 1024 * 1024);
    }
}
