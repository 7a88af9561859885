//! Importing histories recorded by other tools, so the checker can be tried
//! on well-known data and compared with other checkers.
//!
//! Two line formats are understood, both describing events of processes
//! (a process issues one operation at a time; its next completion event closes
//! its open invocation):
//!
//! - Jepsen's logged register histories, one event per line:
//!   `... 3<TAB>:invoke<TAB>:write<TAB>4`, with `:read`, `:write` and types
//!   `:invoke`, `:ok`, `:fail`, `:info`. They become `GET`/`SET` on one key.
//! - EDN maps, one per line, as in Porcupine's key-value test data:
//!   `{:process 0, :type :ok, :f :get, :key "5", :value "x"}`, with `:get`,
//!   `:put` and `:append`, which become `GET`, `SET` and `APPEND`.
//!
//! Lines that are neither are skipped. Times are line numbers: only the order
//! of events matters for linearizability. Compare-and-set has no single Redis
//! command and is refused.

use bytes::Bytes;
use redsim_model::Frame;

use crate::history::{History, HistoryError, Op, Outcome, Reply, Request};

/// An atom of the small EDN subset these logs use.
#[derive(Clone, Debug, PartialEq)]
enum Edn {
    Nil,
    Keyword(String),
    Str(String),
    Int(i64),
    Vector(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
    Symbol(String),
}

impl Edn {
    /// The value as a Redis argument: strings as they are, numbers in decimal.
    fn arg(&self) -> Option<String> {
        match self {
            Edn::Str(s) | Edn::Symbol(s) => Some(s.clone()),
            Edn::Int(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_whitespace() || self.s[self.pos] == b',') {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Edn, String> {
        self.skip_space();
        let Some(&c) = self.s.get(self.pos) else { return Err("unexpected end of line".into()) };
        match c {
            b'{' | b'[' => {
                self.pos += 1;
                let close = if c == b'{' { b'}' } else { b']' };
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.s.get(self.pos) == Some(&close) {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value()?);
                }
                if c == b'[' {
                    return Ok(Edn::Vector(items));
                }
                if items.len() % 2 != 0 {
                    return Err("a map needs an even number of forms".into());
                }
                let mut it = items.into_iter();
                let mut pairs = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Ok(Edn::Map(pairs))
            }
            b'"' => {
                self.pos += 1;
                let mut out = Vec::new();
                while let Some(&b) = self.s.get(self.pos) {
                    self.pos += 1;
                    match b {
                        b'"' => return Ok(Edn::Str(String::from_utf8_lossy(&out).into_owned())),
                        b'\\' => {
                            let e = *self.s.get(self.pos).ok_or("unfinished escape")?;
                            self.pos += 1;
                            out.push(match e {
                                b'n' => b'\n',
                                b't' => b'\t',
                                b'r' => b'\r',
                                other => other,
                            });
                        }
                        other => out.push(other),
                    }
                }
                Err("unterminated string".into())
            }
            _ => {
                let start = self.pos;
                while self.pos < self.s.len()
                    && !self.s[self.pos].is_ascii_whitespace()
                    && !b",{}[]\"".contains(&self.s[self.pos])
                {
                    self.pos += 1;
                }
                let word = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                Ok(if word == "nil" {
                    Edn::Nil
                } else if let Some(k) = word.strip_prefix(':') {
                    Edn::Keyword(k.to_string())
                } else if let Ok(n) = word.parse() {
                    Edn::Int(n)
                } else {
                    Edn::Symbol(word)
                })
            }
        }
    }
}

fn parse(text: &str) -> Result<Edn, String> {
    Parser { s: text.as_bytes(), pos: 0 }.value()
}

/// One event of a process.
struct Event {
    process: u64,
    kind: String,
    f: String,
    key: Option<String>,
    value: Edn,
}

/// Reads one line in either format; `None` for lines that are neither.
fn event(line: &str) -> Option<Result<Event, String>> {
    let trimmed = line.trim();
    if trimmed.starts_with('{') {
        return Some(edn_event(trimmed));
    }
    let fields: Vec<&str> = line.split('\t').collect();
    if fields.len() < 4 || !fields[1].starts_with(':') {
        return None;
    }
    let process = fields[0].rsplit(' ').next()?.trim().parse().ok()?;
    let value = parse(fields[3..].join("\t").trim()).ok()?;
    Some(Ok(Event {
        process,
        kind: fields[1].trim_start_matches(':').to_string(),
        f: fields[2].trim_start_matches(':').to_string(),
        key: None,
        value,
    }))
}

fn edn_event(line: &str) -> Result<Event, String> {
    let Edn::Map(pairs) = parse(line)? else { return Err("expected a map".into()) };
    let get = |name: &str| pairs.iter().find(|(k, _)| *k == Edn::Keyword(name.into())).map(|(_, v)| v.clone());
    let keyword = |name: &str| match get(name) {
        Some(Edn::Keyword(k)) => Ok(k),
        _ => Err(format!(":{name} must be a keyword")),
    };
    let process = match get("process") {
        Some(Edn::Int(p)) if p >= 0 => p as u64,
        _ => return Err(":process must be a non-negative integer".into()),
    };
    Ok(Event {
        process,
        kind: keyword("type")?,
        f: keyword("f")?,
        key: get("key").and_then(|k| k.arg()),
        value: get("value").unwrap_or(Edn::Nil),
    })
}

/// The Redis request for an invocation.
fn request(f: &str, key: &str, value: &Edn) -> Result<Request, String> {
    let arg = || value.arg().ok_or_else(|| format!(":{f} needs a string or number value"));
    Ok(match f {
        "read" | "get" => Request::command(&["GET", key]),
        "write" | "put" => Request::command(&["SET", key, &arg()?]),
        "append" => Request::command(&["APPEND", key, &arg()?]),
        "cas" => return Err("compare-and-set has no single Redis command; such histories cannot be imported".into()),
        other => return Err(format!("unknown operation :{other}")),
    })
}

/// The reply a successful completion stands for.
fn reply(f: &str, value: &Edn) -> Reply {
    match f {
        // Porcupine's key-value model reads a missing key as "": Redis says nil.
        "read" | "get" => match value.arg() {
            Some(v) if !v.is_empty() => Reply::Single(Frame::bulk(v)),
            _ => Reply::Single(Frame::Null),
        },
        "write" | "put" => Reply::Single(Frame::ok()),
        // APPEND answers the new length, which these logs do not keep.
        _ => Reply::Unrecorded,
    }
}

/// Imports a Jepsen register log or Porcupine key-value log.
pub fn import_events(text: &str) -> Result<History, HistoryError> {
    let mut open: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    let mut ops: Vec<Op> = Vec::new();
    let mut only_registers = true;
    for (n, line) in text.lines().enumerate() {
        let time = n as u64;
        let e = match event(line) {
            None => continue,
            Some(r) => r.map_err(|e| HistoryError(format!("line {}: {e}", n + 1)))?,
        };
        let fail = |e: String| HistoryError(format!("line {}: {e}", n + 1));
        if e.kind == "invoke" {
            if open.contains_key(&e.process) {
                return Err(fail(format!("process {} invoked twice without completing", e.process)));
            }
            only_registers &= e.key.is_none() && matches!(e.f.as_str(), "read" | "write");
            let key = e.key.clone().unwrap_or_else(|| "register".into());
            let request = request(&e.f, &key, &e.value).map_err(fail)?;
            open.insert(e.process, ops.len());
            ops.push(Op {
                id: ops.len() as u64,
                client: e.process,
                key: Bytes::from(key),
                request,
                invoke_time: time,
                complete_time: None,
                outcome: Outcome::Info("no completion in the log".into()),
            });
            continue;
        }
        let Some(i) = open.remove(&e.process) else {
            return Err(fail(format!("process {} completed an operation it never invoked", e.process)));
        };
        let op = &mut ops[i];
        op.complete_time = Some(time);
        op.outcome = match e.kind.as_str() {
            "ok" => Outcome::Ok(reply(&e.f, &e.value)),
            "fail" => Outcome::Fail(format!("{:?}", e.value)),
            "info" => Outcome::Info(e.value.arg().unwrap_or_else(|| format!("{:?}", e.value))),
            other => return Err(fail(format!("unknown event type :{other}"))),
        };
    }
    let mut history = History::new(ops);
    if only_registers {
        history.workload = Some("register".into());
    }
    Ok(history)
}
