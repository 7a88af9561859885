//! The AOF's byte format: commands as RESP arrays of bulk strings, read back
//! with Redis's rules (a partial command at the end is a truncation, anything
//! that is not `*N` / `$len` framing is corruption), and a dataset written as
//! commands for a base file without an RDB preamble.

use bytes::Bytes;
use redsim_model::dataset::{Dataset, Record};
use redsim_model::num::fmt_g17;
use redsim_model::reference::Value;
use redsim_model::resp::encode_request;

/// Redis's loader reads count and length lines into a 128-byte buffer.
const MAX_HEADER_LINE: usize = 128;
/// Redis's rewrite puts at most this many elements in one command.
const ITEMS_PER_COMMAND: usize = 64;

/// How reading a file's commands ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseEnd {
    /// Every byte belonged to a complete command.
    Complete,
    /// The file ends inside a command; the commands before `valid_len` are good.
    Truncated { valid_len: usize },
    /// Bytes at `offset` are not AOF framing.
    Corrupt { offset: usize, reason: String },
}

/// One command read from an AOF, with the offset just past it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofCommand {
    pub argv: Vec<Bytes>,
    pub end: usize,
}

/// What reading a file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub commands: Vec<AofCommand>,
    pub end: ParseEnd,
    /// The `#` annotation lines met, as (start, end) offsets: timestamps and
    /// redsim's checkpoints (`aof_checkpoint.rs`).
    pub annotations: Vec<(usize, usize)>,
}

impl Parsed {
    /// Where reading stopped: the end of the data unless it was cut or bad.
    pub fn stopped_at(&self, data_len: usize) -> usize {
        match &self.end {
            ParseEnd::Complete => data_len,
            ParseEnd::Truncated { valid_len } => *valid_len,
            ParseEnd::Corrupt { offset, .. } => *offset,
        }
    }
}

/// Reads every complete command in `data`.
pub fn parse_commands(data: &[u8]) -> Parsed {
    let mut out = Parsed { commands: Vec::new(), end: ParseEnd::Complete, annotations: Vec::new() };
    let mut pos = 0;
    while pos < data.len() {
        // Annotations (aof-timestamp-enabled, checkpoints) are lines starting with '#'.
        if data[pos] == b'#' {
            match find_line(data, pos) {
                Some(next) => {
                    out.annotations.push((pos, next));
                    pos = next;
                    continue;
                }
                None => {
                    out.end = ParseEnd::Truncated { valid_len: pos };
                    return out;
                }
            }
        }
        match parse_one(data, pos) {
            Step::Command(argv, end) => {
                out.commands.push(AofCommand { argv, end });
                pos = end;
            }
            Step::Eof => {
                out.end = ParseEnd::Truncated { valid_len: pos };
                return out;
            }
            Step::Bad(offset, reason) => {
                out.end = ParseEnd::Corrupt { offset, reason };
                return out;
            }
        }
    }
    out
}

enum Step {
    Command(Vec<Bytes>, usize),
    Eof,
    Bad(usize, String),
}

/// The offset after the `\n` ending the line that starts at `pos`.
fn find_line(data: &[u8], pos: usize) -> Option<usize> {
    data[pos..].iter().position(|&b| b == b'\n').map(|i| pos + i + 1)
}

/// A `<mark><number>\r\n` header line at `pos`.
fn header(data: &[u8], pos: usize, mark: u8) -> Result<(i64, usize), Step> {
    let Some(next) = find_line(data, pos) else {
        // A header line can never be this long: no need to wait for more.
        if data.len() - pos > MAX_HEADER_LINE {
            return Err(Step::Bad(pos, "header line too long".into()));
        }
        return Err(Step::Eof);
    };
    let line = &data[pos..next];
    if line[0] != mark {
        return Err(Step::Bad(pos, format!("expected '{}'", mark as char)));
    }
    let digits = line[1..].strip_suffix(b"\r\n").unwrap_or(&line[1..]);
    match std::str::from_utf8(digits).ok().and_then(|s| s.trim().parse::<i64>().ok()) {
        Some(n) => Ok((n, next)),
        None => Err(Step::Bad(pos, "bad number".into())),
    }
}

fn parse_one(data: &[u8], start: usize) -> Step {
    let (argc, mut pos) = match header(data, start, b'*') {
        Ok(v) => v,
        Err(s) => return s,
    };
    if argc < 1 {
        return Step::Bad(start, "command with no arguments".into());
    }
    let mut argv = Vec::new();
    for _ in 0..argc {
        if pos >= data.len() {
            return Step::Eof;
        }
        let (len, body) = match header(data, pos, b'$') {
            Ok(v) => v,
            Err(s) => return s,
        };
        if len < 0 {
            return Step::Bad(pos, "negative length".into());
        }
        let len = len as usize;
        let Some(end) = body.checked_add(len).and_then(|e| e.checked_add(2)) else {
            return Step::Bad(pos, "length out of range".into());
        };
        if end > data.len() {
            return Step::Eof;
        }
        if &data[body + len..end] != b"\r\n" {
            return Step::Bad(body + len, "bulk string not followed by CRLF".into());
        }
        argv.push(Bytes::copy_from_slice(&data[body..body + len]));
        pos = end;
    }
    Step::Command(argv, pos)
}

/// Appends `argv` as the AOF stores it.
pub fn encode_command(argv: &[Bytes], out: &mut Vec<u8>) {
    encode_request(argv, out);
}

fn push(out: &mut Vec<u8>, words: Vec<Bytes>) {
    encode_command(&words, out);
}

/// The dataset as commands that rebuild it: Redis's AOF rewrite without an
/// RDB preamble (SELECT per database, SET / RPUSH / SADD / ZADD / HMSET in
/// batches, PEXPIREAT for keys with a time to live).
pub fn dataset_commands(data: &Dataset) -> Vec<u8> {
    let mut out = Vec::new();
    for (db, records) in data.dbs.iter().enumerate() {
        if records.is_empty() {
            continue;
        }
        select_command(db, &mut out);
        for r in records {
            record_commands(r, &mut out);
        }
    }
    out
}

/// `SELECT db`, before the first key of each database.
pub fn select_command(db: usize, out: &mut Vec<u8>) {
    push(out, vec![Bytes::from_static(b"SELECT"), Bytes::copy_from_slice(db.to_string().as_bytes())]);
}

/// The commands that rebuild one key (see [`dataset_commands`]).
pub fn record_commands(r: &Record, out: &mut Vec<u8>) {
    let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
    let raw = |s: &[u8]| Bytes::copy_from_slice(s);
    let key = r.key.clone();
    match &r.value {
        Value::Str(s) => push(out, vec![b("SET"), key.clone(), raw(&s.bytes)]),
        Value::List(l) => batched(out, "RPUSH", &key, l.iter().map(|e| vec![raw(e)])),
        Value::Set(s) => batched(out, "SADD", &key, s.iter().map(|m| vec![raw(m)])),
        Value::ZSet(z) => batched(out, "ZADD", &key, z.iter().map(|(m, score)| vec![b(&fmt_g17(score)), raw(m)])),
        Value::Hash(h) => batched(out, "HMSET", &key, h.iter().map(|(f, v)| vec![raw(f), raw(v)])),
    }
    if let Some(at) = r.expire_at {
        push(out, vec![b("PEXPIREAT"), key, b(&at.to_string())]);
    }
}

/// `cmd key items...` with at most [`ITEMS_PER_COMMAND`] items per command.
fn batched(out: &mut Vec<u8>, cmd: &str, key: &Bytes, items: impl Iterator<Item = Vec<Bytes>>) {
    let mut argv: Vec<Bytes> = Vec::new();
    let mut n = 0;
    for item in items {
        if n == 0 {
            argv = vec![Bytes::copy_from_slice(cmd.as_bytes()), key.clone()];
        }
        argv.extend(item);
        n += 1;
        if n == ITEMS_PER_COMMAND {
            encode_command(&argv, out);
            n = 0;
        }
    }
    if n > 0 {
        encode_command(&argv, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(words: &[&str]) -> Vec<u8> {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        let mut out = Vec::new();
        encode_command(&argv, &mut out);
        out
    }

    #[test]
    fn complete_truncated_and_corrupt() {
        let mut data = cmd(&["SELECT", "0"]);
        data.extend(cmd(&["SET", "a", "1"]));
        let good = data.len();
        let Parsed { commands: cmds, end, .. } = parse_commands(&data);
        assert_eq!((cmds.len(), end.clone()), (2, ParseEnd::Complete));
        assert_eq!(cmds[1].end, good);
        // Every proper prefix of a command is a truncation at the last good command.
        let next = cmd(&["SET", "b", "22"]);
        for cut in 1..next.len() {
            let mut d = data.clone();
            d.extend_from_slice(&next[..cut]);
            let Parsed { commands: cmds, end, .. } = parse_commands(&d);
            assert_eq!(cmds.len(), 2);
            assert_eq!(end, ParseEnd::Truncated { valid_len: good }, "cut at {cut}");
        }
        let mut bad = data.clone();
        bad.extend_from_slice(b"garbage\r\n");
        bad.extend(cmd(&["PING"]));
        assert!(matches!(parse_commands(&bad).end, ParseEnd::Corrupt { offset, .. } if offset == good));
        assert!(matches!(parse_commands(b"*0\r\n").end, ParseEnd::Corrupt { .. }));
        assert!(matches!(parse_commands(b"*1\r\n$3\r\nabcXY").end, ParseEnd::Corrupt { .. }));
        // A huge declared count or length costs nothing until the bytes exist.
        assert_eq!(parse_commands(b"*999999999999\r\n$99999999999\r\nab").end, ParseEnd::Truncated { valid_len: 0 });
        assert!(matches!(parse_commands(&[b'*'; 300]).end, ParseEnd::Corrupt { .. }));
        let p = parse_commands(b"#TS:1700000000\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!((p.commands.len(), p.end, p.annotations), (1, ParseEnd::Complete, vec![(0, 16)]));
    }
}
