//! A small blocking RESP client: requests go out as arrays of bulk strings,
//! replies come back parsed into [`Reply`], RESP2 and RESP3 alike.
//!
//! Self-contained on purpose: the oracle must not trust the codec of the crate
//! it is testing.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One parsed reply. RESP2 and RESP3 null forms stay distinct so that a server
/// answering `_` where Redis answers `$-1` is a mismatch.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reply {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    /// `$-1`
    NilBulk,
    /// `*-1`
    NilArray,
    Array(Vec<Reply>),
    /// RESP3 `_`
    Null,
    /// RESP3 `,`: kept as text, so formatting differences are visible.
    Double(Vec<u8>),
    Bool(bool),
    BigNumber(Vec<u8>),
    BlobError(Vec<u8>),
    /// RESP3 `=`: format tag and payload.
    Verbatim(Vec<u8>, Vec<u8>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
    /// RESP3 `|`: the attribute map and the reply it decorates.
    Attribute(Vec<(Reply, Reply)>, Box<Reply>),
}

/// Longest bulk or aggregate we accept; anything larger means a broken stream.
const MAX_LEN: i64 = 512 * 1024 * 1024;

pub struct Conn {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn connect(port: u16, timeout: Duration) -> io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let reader = BufReader::with_capacity(64 * 1024, stream.try_clone()?);
        Ok(Conn { writer: stream, reader })
    }

    /// Writes one command; does not wait for the reply, so the caller can
    /// send to both servers before reading either.
    pub fn send(&mut self, args: &[Vec<u8>]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
        buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&buf)
    }

    pub fn recv(&mut self) -> io::Result<Reply> {
        read_reply(&mut self.reader)
    }

    pub fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.writer.set_read_timeout(Some(timeout))
    }

    pub fn call(&mut self, args: &[Vec<u8>]) -> io::Result<Reply> {
        self.send(args)?;
        self.recv()
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn read_line<R: BufRead>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    if !line.ends_with(b"\r\n") {
        return Err(bad(format!("line not terminated by CRLF: {:?}", String::from_utf8_lossy(&line))));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn parse_int(s: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| bad(format!("bad integer {:?}", String::from_utf8_lossy(s))))
}

fn read_len(line: &[u8]) -> io::Result<Option<usize>> {
    let n = parse_int(line)?;
    if n == -1 {
        return Ok(None);
    }
    if !(0..=MAX_LEN).contains(&n) {
        return Err(bad(format!("bad length {n}")));
    }
    Ok(Some(n as usize))
}

fn read_blob<R: BufRead>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut data = vec![0u8; n + 2];
    r.read_exact(&mut data)?;
    if &data[n..] != b"\r\n" {
        return Err(bad("blob not terminated by CRLF".into()));
    }
    data.truncate(n);
    Ok(data)
}

fn read_many<R: BufRead>(r: &mut R, n: usize) -> io::Result<Vec<Reply>> {
    (0..n).map(|_| read_reply(r)).collect()
}

fn read_pairs<R: BufRead>(r: &mut R, n: usize) -> io::Result<Vec<(Reply, Reply)>> {
    (0..n).map(|_| Ok((read_reply(r)?, read_reply(r)?))).collect()
}

/// Parses one complete reply of any RESP2 or RESP3 type.
pub fn read_reply<R: BufRead>(r: &mut R) -> io::Result<Reply> {
    let line = read_line(r)?;
    let (&kind, rest) = line.split_first().ok_or_else(|| bad("empty reply line".into()))?;
    Ok(match kind {
        b'+' => Reply::Simple(rest.to_vec()),
        b'-' => Reply::Error(rest.to_vec()),
        b':' => Reply::Int(parse_int(rest)?),
        b'$' => match read_len(rest)? {
            None => Reply::NilBulk,
            Some(n) => Reply::Bulk(read_blob(r, n)?),
        },
        b'*' => match read_len(rest)? {
            None => Reply::NilArray,
            Some(n) => Reply::Array(read_many(r, n)?),
        },
        b'_' if rest.is_empty() => Reply::Null,
        b',' => Reply::Double(rest.to_vec()),
        b'#' if rest == b"t" => Reply::Bool(true),
        b'#' if rest == b"f" => Reply::Bool(false),
        b'(' => Reply::BigNumber(rest.to_vec()),
        b'!' => {
            let n = read_len(rest)?.ok_or_else(|| bad("null blob error".into()))?;
            Reply::BlobError(read_blob(r, n)?)
        }
        b'=' => {
            let n = read_len(rest)?.ok_or_else(|| bad("null verbatim".into()))?;
            let data = read_blob(r, n)?;
            if data.len() < 4 || data[3] != b':' {
                return Err(bad("verbatim string without a format prefix".into()));
            }
            Reply::Verbatim(data[..3].to_vec(), data[4..].to_vec())
        }
        b'%' | b'|' => {
            let n = read_len(rest)?.ok_or_else(|| bad("null map".into()))?;
            let pairs = read_pairs(r, n)?;
            if kind == b'%' {
                Reply::Map(pairs)
            } else {
                Reply::Attribute(pairs, Box::new(read_reply(r)?))
            }
        }
        b'~' | b'>' => {
            let n = read_len(rest)?.ok_or_else(|| bad("null set/push".into()))?;
            let items = read_many(r, n)?;
            if kind == b'~' {
                Reply::Set(items)
            } else {
                Reply::Push(items)
            }
        }
        _ => return Err(bad(format!("unknown reply type in line {:?}", String::from_utf8_lossy(&line)))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Reply {
        read_reply(&mut &s[..]).unwrap()
    }

    #[test]
    fn parses_every_type() {
        assert_eq!(parse(b"+OK\r\n"), Reply::Simple(b"OK".to_vec()));
        assert_eq!(parse(b"$-1\r\n"), Reply::NilBulk);
        assert_eq!(parse(b"*-1\r\n"), Reply::NilArray);
        assert_eq!(parse(b"$3\r\na\r\n\r\n"), Reply::Bulk(b"a\r\n".to_vec()));
        assert_eq!(
            parse(b"%1\r\n+a\r\n*2\r\n:1\r\n_\r\n"),
            Reply::Map(vec![(Reply::Simple(b"a".to_vec()), Reply::Array(vec![Reply::Int(1), Reply::Null]))])
        );
        assert_eq!(parse(b"=7\r\ntxt:abc\r\n"), Reply::Verbatim(b"txt".to_vec(), b"abc".to_vec()));
        assert_eq!(parse(b"#f\r\n"), Reply::Bool(false));
        assert!(read_reply(&mut &b":12x\r\n"[..]).is_err());
        assert!(read_reply(&mut &b"$5\r\nab\r\n"[..]).is_err());
    }
}
