//! Histories: what clients asked for, when, and what they were told.
//!
//! A history is the only thing the linearizability checker sees. Each client
//! operation is one [`Op`] holding both of its events: the invocation (when the
//! request left the client) and the completion (when the reply arrived, or when
//! the client gave up). Keeping the pair together, rather than a flat event log,
//! makes histories easy to build, shrink and print.
//!
//! Histories are saved as JSON so that `sim check HISTORY` can check a run long
//! after it happened, and so that a failing history can be attached to a report
//! and read by a person: replies are written as readable frames
//! (`{"bulk": "v1"}`, `{"int": 3}`, `null`), not as raw RESP.

use std::fmt;

use bytes::Bytes;
use redsim_model::resp::Protocol;
use redsim_model::Frame;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};

/// Identifies an operation within its history (unique, not necessarily dense).
pub type OpId = u64;
/// Identifies the client (connection) that issued an operation.
pub type ClientId = u64;

/// What the client sent: one command, or a MULTI/EXEC transaction whose
/// commands run atomically (MULTI and EXEC themselves are not listed).
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Command(Vec<Bytes>),
    Transaction(Vec<Vec<Bytes>>),
}

impl Request {
    /// A command from string arguments, for tests and generators.
    pub fn command<S: AsRef<str>>(args: &[S]) -> Request {
        Request::Command(argv(args))
    }

    /// A transaction from string arguments, for tests and generators.
    pub fn transaction<S: AsRef<str>>(commands: &[&[S]]) -> Request {
        Request::Transaction(commands.iter().map(|args| argv(args)).collect())
    }

    /// The commands in execution order (one for a plain command).
    pub fn commands(&self) -> &[Vec<Bytes>] {
        match self {
            Request::Command(argv) => std::slice::from_ref(argv),
            Request::Transaction(cmds) => cmds,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Command(argv) => f.write_str(&show_argv(argv)),
            Request::Transaction(cmds) => {
                let inner: Vec<String> = cmds.iter().map(|a| show_argv(a)).collect();
                write!(f, "MULTI {} EXEC", inner.join("; "))
            }
        }
    }
}

/// What the client was told when the operation completed successfully.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// The reply to a single command (which may be a Redis error reply such as
    /// WRONGTYPE: that is a legitimate answer the model must also give).
    Single(Frame),
    /// EXEC's array: one reply per queued command.
    Exec(Vec<Frame>),
    /// The operation completed but its reply was not recorded (imported
    /// histories that only log writes as "ok"): any reply is accepted.
    Unrecorded,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Single(frame) => f.write_str(&show_frame(frame)),
            Reply::Exec(frames) => {
                let inner: Vec<String> = frames.iter().map(show_frame).collect();
                write!(f, "EXEC[{}]", inner.join(", "))
            }
            Reply::Unrecorded => f.write_str("(reply not recorded)"),
        }
    }
}

/// How an operation ended, which decides how the checker treats it.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A reply arrived: the operation took effect exactly once, at some instant
    /// between its invocation and completion, and the reply must be explained.
    Ok(Reply),
    /// A definite failure (READONLY, NOREPLICAS, EXECABORT, a WATCH abort, ...):
    /// the operation did not take effect. The checker drops it.
    Fail(String),
    /// Indeterminate (timeout, connection lost, node crashed): the operation may
    /// have taken effect at any instant after its invocation, or never. Its
    /// completion is "at infinity" whatever `complete_time` says.
    Info(String),
}

/// One client operation: invocation, completion and outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub id: OpId,
    pub client: ClientId,
    /// The partition key: operations on different keys are checked
    /// independently (P-compositionality), so every operation that can observe
    /// or change a piece of data must carry the same key.
    pub key: Bytes,
    pub request: Request,
    /// When the request was sent, in the history's time unit (the simulator
    /// records simulated nanoseconds; any monotone unit works).
    pub invoke_time: u64,
    /// When the reply arrived or the client gave up; `None` if the run ended
    /// first. Ignored for `Info` operations.
    pub complete_time: Option<u64>,
    pub outcome: Outcome,
}

impl Op {
    /// True when the operation definitely finished with a reply.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok(_))
    }

    /// The recorded reply of an `Ok` operation.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.outcome {
            Outcome::Ok(r) => Some(r),
            _ => None,
        }
    }

    /// When the operation ended for real-time ordering: `None` (infinity) for
    /// indeterminate and unfinished operations.
    pub fn effective_complete(&self) -> Option<u64> {
        match self.outcome {
            Outcome::Info(_) => None,
            _ => self.complete_time,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.complete_time.map_or_else(|| "∞".to_string(), |t| t.to_string());
        write!(f, "#{} c{} [{}..{}] {} -> ", self.id, self.client, self.invoke_time, end, self.request)?;
        match &self.outcome {
            Outcome::Ok(r) => write!(f, "{r}"),
            Outcome::Fail(e) => write!(f, "fail({e})"),
            Outcome::Info(e) => write!(f, "info({e})"),
        }
    }
}

/// A whole run's operations, with what is needed to interpret them.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The workload kind (`register`, `counter`, `set`, `list-append`, `queue`),
    /// which selects the "acknowledged writes lost" count; `None` skips it.
    pub workload: Option<String>,
    /// The protocol the clients spoke: replies are compared as that protocol
    /// would carry them (a RESP2 client sees a set as an array).
    pub protocol: Protocol,
    pub ops: Vec<Op>,
}

impl History {
    pub fn new(ops: Vec<Op>) -> History {
        History { workload: None, protocol: Protocol::Resp2, ops }
    }

    /// The history as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("JSON values always serialize")
    }

    /// Reads a history written by [`History::to_json`] (or by hand).
    pub fn from_json(text: &str) -> Result<History, HistoryError> {
        let value: Value = serde_json::from_str(text).map_err(|e| HistoryError(format!("invalid JSON: {e}")))?;
        History::from_value(&value)
    }

    pub fn to_value(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("format".into(), json!(FORMAT));
        doc.insert("version".into(), json!(VERSION));
        if let Some(w) = &self.workload {
            doc.insert("workload".into(), json!(w));
        }
        doc.insert("protocol".into(), json!(if self.protocol == Protocol::Resp3 { 3 } else { 2 }));
        doc.insert("ops".into(), Value::Array(self.ops.iter().map(op_to_json).collect()));
        Value::Object(doc)
    }

    pub fn from_value(v: &Value) -> Result<History, HistoryError> {
        let doc = v.as_object().ok_or_else(|| err("a history is a JSON object"))?;
        if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(err(format!("not a history: \"format\" must be \"{FORMAT}\"")));
        }
        match doc.get("version").and_then(Value::as_u64) {
            Some(VERSION) => {}
            other => return Err(err(format!("unsupported history version {other:?} (this build reads {VERSION})"))),
        }
        let workload = doc.get("workload").and_then(Value::as_str).map(str::to_string);
        let protocol = match doc.get("protocol").and_then(Value::as_u64) {
            None | Some(2) => Protocol::Resp2,
            Some(3) => Protocol::Resp3,
            Some(p) => return Err(err(format!("protocol must be 2 or 3, not {p}"))),
        };
        let ops = doc.get("ops").and_then(Value::as_array).ok_or_else(|| err("\"ops\" must be an array"))?;
        let ops = ops
            .iter()
            .enumerate()
            .map(|(i, o)| op_from_json(o).map_err(|e| err(format!("op {i}: {}", e.0))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(History { workload, protocol, ops })
    }
}

impl Serialize for History {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for History {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<History, D::Error> {
        let v = Value::deserialize(d)?;
        History::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// Why a JSON document is not a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryError(pub String);

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HistoryError {}

const FORMAT: &str = "redsim-history";
const VERSION: u64 = 1;

fn err(s: impl Into<String>) -> HistoryError {
    HistoryError(s.into())
}

fn argv<S: AsRef<str>>(args: &[S]) -> Vec<Bytes> {
    args.iter().map(|a| Bytes::copy_from_slice(a.as_ref().as_bytes())).collect()
}

/// Arguments as a person would type them: quoted only when needed.
pub fn show_argv(argv: &[Bytes]) -> String {
    argv.iter().map(|a| show_bytes(a)).collect::<Vec<_>>().join(" ")
}

fn show_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c == '"' || c.is_control()) => s.into(),
        _ => format!("{:?}", String::from_utf8_lossy(b)),
    }
}

/// A frame in one short line, the way redis-cli would hint at it.
pub fn show_frame(frame: &Frame) -> String {
    let list = |items: &[Frame]| items.iter().map(show_frame).collect::<Vec<_>>().join(", ");
    let pairs = |ps: &[(Frame, Frame)]| {
        ps.iter().map(|(k, v)| format!("{}: {}", show_frame(k), show_frame(v))).collect::<Vec<_>>().join(", ")
    };
    match frame {
        Frame::Simple(s) => s.clone(),
        Frame::Error(e) => format!("(error) {e}"),
        Frame::Integer(n) => format!("(integer) {n}"),
        Frame::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Frame::Array(items) | Frame::Push(items) => format!("[{}]", list(items)),
        Frame::Set(items) => format!("{{{}}}", list(items)),
        Frame::Null | Frame::NullArray => "(nil)".into(),
        Frame::Map(ps) | Frame::Pairs(ps) => format!("{{{}}}", pairs(ps)),
        Frame::Double(d) => format!("(double) {d}"),
        Frame::Boolean(b) => format!("(boolean) {b}"),
        Frame::BigNumber(n) => format!("(big number) {n}"),
        Frame::Verbatim { text, .. } => format!("{:?}", String::from_utf8_lossy(text)),
        Frame::Attribute(_, inner) => show_frame(inner),
        Frame::Bulks(strings) => show_frame(&strings.to_plain()),
    }
}

// ---- JSON codec -----------------------------------------------------------

fn op_to_json(op: &Op) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(op.id));
    o.insert("client".into(), json!(op.client));
    o.insert("key".into(), bytes_to_json(&op.key));
    match &op.request {
        Request::Command(argv) => o.insert("command".into(), argv_to_json(argv)),
        Request::Transaction(cmds) => {
            o.insert("transaction".into(), Value::Array(cmds.iter().map(|a| argv_to_json(a)).collect()))
        }
    };
    o.insert("invoke".into(), json!(op.invoke_time));
    o.insert("complete".into(), json!(op.complete_time));
    match &op.outcome {
        Outcome::Ok(reply) => o.insert("ok".into(), reply_to_json(reply)),
        Outcome::Fail(e) => o.insert("fail".into(), json!(e)),
        Outcome::Info(e) => o.insert("info".into(), json!(e)),
    };
    Value::Object(o)
}

fn op_from_json(v: &Value) -> Result<Op, HistoryError> {
    let o = v.as_object().ok_or_else(|| err("an op is a JSON object"))?;
    let num =
        |name: &str| o.get(name).and_then(Value::as_u64).ok_or_else(|| err(format!("\"{name}\" must be a number")));
    let request = match (o.get("command"), o.get("transaction")) {
        (Some(c), None) => Request::Command(argv_from_json(c)?),
        (None, Some(Value::Array(cmds))) => {
            Request::Transaction(cmds.iter().map(argv_from_json).collect::<Result<_, _>>()?)
        }
        _ => return Err(err("an op has exactly one of \"command\" or \"transaction\" (an array of commands)")),
    };
    let complete_time = match o.get("complete") {
        None | Some(Value::Null) => None,
        Some(t) => Some(t.as_u64().ok_or_else(|| err("\"complete\" must be a number or null"))?),
    };
    let outcome = match (o.get("ok"), o.get("fail"), o.get("info")) {
        (Some(r), None, None) => Outcome::Ok(reply_from_json(r)?),
        (None, Some(Value::String(e)), None) => Outcome::Fail(e.clone()),
        (None, None, Some(Value::String(e))) => Outcome::Info(e.clone()),
        _ => return Err(err("an op has exactly one of \"ok\" (a reply), \"fail\" or \"info\" (a text)")),
    };
    Ok(Op {
        id: num("id")?,
        client: num("client")?,
        key: bytes_from_json(o.get("key").ok_or_else(|| err("missing \"key\""))?)?,
        request,
        invoke_time: num("invoke")?,
        complete_time,
        outcome,
    })
}

fn reply_to_json(reply: &Reply) -> Value {
    match reply {
        Reply::Single(f) => frame_to_json(f),
        Reply::Exec(frames) => json!({ "exec": frames.iter().map(frame_to_json).collect::<Vec<_>>() }),
        Reply::Unrecorded => json!("unrecorded"),
    }
}

fn reply_from_json(v: &Value) -> Result<Reply, HistoryError> {
    match v {
        Value::String(s) if s == "unrecorded" => Ok(Reply::Unrecorded),
        Value::Object(o) if o.len() == 1 && o.contains_key("exec") => {
            let items = o["exec"].as_array().ok_or_else(|| err("\"exec\" must be an array of replies"))?;
            Ok(Reply::Exec(items.iter().map(frame_from_json).collect::<Result<_, _>>()?))
        }
        _ => Ok(Reply::Single(frame_from_json(v)?)),
    }
}

/// Bytes as a JSON string when they are UTF-8 (the usual case, readable), else
/// as `{"hex": "..."}` so that any byte string survives a round trip.
pub fn bytes_to_json(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => json!({ "hex": b.iter().map(|x| format!("{x:02x}")).collect::<String>() }),
    }
}

pub fn bytes_from_json(v: &Value) -> Result<Bytes, HistoryError> {
    match v {
        Value::String(s) => Ok(Bytes::copy_from_slice(s.as_bytes())),
        Value::Object(o) if o.len() == 1 => {
            let hex =
                o.get("hex").and_then(Value::as_str).ok_or_else(|| err("bytes are a string or {\"hex\": ...}"))?;
            if hex.len() % 2 != 0 || !hex.is_ascii() {
                return Err(err(format!("bad hex bytes {hex:?}")));
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| err(format!("bad hex bytes {hex:?}"))))
                .collect::<Result<Vec<u8>, _>>()
                .map(Bytes::from)
        }
        _ => Err(err("bytes are a string or {\"hex\": ...}")),
    }
}

fn argv_to_json(argv: &[Bytes]) -> Value {
    Value::Array(argv.iter().map(|a| bytes_to_json(a)).collect())
}

fn argv_from_json(v: &Value) -> Result<Vec<Bytes>, HistoryError> {
    let items = v.as_array().ok_or_else(|| err("a command is an array of arguments"))?;
    if items.is_empty() {
        return Err(err("a command needs at least its name"));
    }
    items.iter().map(bytes_from_json).collect()
}

fn pairs_to_json(pairs: &[(Frame, Frame)]) -> Value {
    Value::Array(pairs.iter().map(|(k, v)| json!([frame_to_json(k), frame_to_json(v)])).collect())
}

fn pairs_from_json(v: &Value) -> Result<Vec<(Frame, Frame)>, HistoryError> {
    let items = v.as_array().ok_or_else(|| err("pairs are an array of [key, value]"))?;
    items
        .iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([k, v]) => Ok((frame_from_json(k)?, frame_from_json(v)?)),
            _ => Err(err("pairs are an array of [key, value]")),
        })
        .collect()
}

fn frames_to_json(items: &[Frame]) -> Value {
    Value::Array(items.iter().map(frame_to_json).collect())
}

fn frames_from_json(v: &Value) -> Result<Vec<Frame>, HistoryError> {
    v.as_array().ok_or_else(|| err("expected an array of frames"))?.iter().map(frame_from_json).collect()
}

/// One frame as readable JSON: a one-field object naming the RESP type
/// (`{"simple": "OK"}`, `{"int": 1}`, `{"bulk": "v"}`, `{"array": [...]}`), and
/// plain `null` for the null bulk string, the most common reply after OK.
pub fn frame_to_json(frame: &Frame) -> Value {
    match frame {
        Frame::Simple(s) => json!({ "simple": s }),
        Frame::Error(e) => json!({ "error": e }),
        Frame::Integer(n) => json!({ "int": n }),
        Frame::Bulk(b) => json!({ "bulk": bytes_to_json(b) }),
        Frame::Array(items) => json!({ "array": frames_to_json(items) }),
        Frame::Null => Value::Null,
        Frame::NullArray => json!({ "null_array": true }),
        Frame::Map(pairs) => json!({ "map": pairs_to_json(pairs) }),
        Frame::Set(items) => json!({ "set": frames_to_json(items) }),
        Frame::Double(d) if d.is_finite() => json!({ "double": d }),
        Frame::Double(d) => json!({ "double": d.to_string() }),
        Frame::Boolean(b) => json!({ "bool": b }),
        Frame::BigNumber(n) => json!({ "big_number": n }),
        Frame::Verbatim { format, text } => {
            json!({ "verbatim": { "format": bytes_to_json(format), "text": bytes_to_json(text) } })
        }
        Frame::Push(items) => json!({ "push": frames_to_json(items) }),
        Frame::Attribute(attrs, inner) => {
            json!({ "attribute": { "attrs": pairs_to_json(attrs), "frame": frame_to_json(inner) } })
        }
        Frame::Pairs(pairs) => json!({ "pairs": pairs_to_json(pairs) }),
        // Recorded as what it stands for: a reader sees one form only.
        Frame::Bulks(strings) => frame_to_json(&strings.to_plain()),
    }
}

/// The inverse of [`frame_to_json`].
pub fn frame_from_json(v: &Value) -> Result<Frame, HistoryError> {
    let o = match v {
        Value::Null => return Ok(Frame::Null),
        Value::Object(o) if o.len() == 1 => o,
        _ => return Err(err(format!("a frame is null or a one-field object, not {v}"))),
    };
    let (tag, x) = o.iter().next().expect("one field");
    let text = || x.as_str().map(str::to_string).ok_or_else(|| err(format!("\"{tag}\" takes a string")));
    Ok(match tag.as_str() {
        "simple" => Frame::Simple(text()?),
        "error" => Frame::Error(text()?),
        "int" => Frame::Integer(x.as_i64().ok_or_else(|| err("\"int\" takes an integer"))?),
        "bulk" => Frame::Bulk(bytes_from_json(x)?),
        "array" => Frame::Array(frames_from_json(x)?),
        "null_array" => Frame::NullArray,
        "map" => Frame::Map(pairs_from_json(x)?),
        "set" => Frame::Set(frames_from_json(x)?),
        "double" => match x {
            Value::String(s) => Frame::Double(s.parse().map_err(|_| err(format!("bad double {s:?}")))?),
            _ => Frame::Double(x.as_f64().ok_or_else(|| err("\"double\" takes a number"))?),
        },
        "bool" => Frame::Boolean(x.as_bool().ok_or_else(|| err("\"bool\" takes true or false"))?),
        "big_number" => Frame::BigNumber(text()?),
        "verbatim" => {
            let format = bytes_from_json(&x["format"])?;
            let format: [u8; 3] = format[..].try_into().map_err(|_| err("a verbatim format is 3 bytes"))?;
            Frame::Verbatim { format, text: bytes_from_json(&x["text"])? }
        }
        "push" => Frame::Push(frames_from_json(x)?),
        "attribute" => Frame::Attribute(pairs_from_json(&x["attrs"])?, Box::new(frame_from_json(&x["frame"])?)),
        "pairs" => Frame::Pairs(pairs_from_json(x)?),
        other => return Err(err(format!("unknown frame type \"{other}\""))),
    })
}
