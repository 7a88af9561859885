//! The hashes group on the model against a real Redis 7.0: the same seeded
//! random command stream goes to both, and every reply, every propagated
//! command (read from the server's replication stream), every key's
//! OBJECT ENCODING and DEBUG DIGEST-VALUE must agree.
//!
//! Replies are compared exactly, except where Redis's output is not
//! determined: HGETALL/HKEYS/HVALS of a hashtable compare as multisets,
//! HSCAN of a hashtable compares the union of a full iteration, HRANDFIELD
//! compares properties (length, distinctness, membership; the exact order
//! when the reply is a whole listpack).

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::reference::{HashValue, Value};
use redsim_model::resp::{encode_to_vec, parse_reply, Protocol};
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

const RESP2_SEEDS: u64 = 20;
const RESP3_SEEDS: u64 = 4;
const COMMANDS_PER_SEED: usize = 2000;
const NOW_MS: i64 = 1_700_000_000_000;
const KEYS: [&str; 5] = ["k0", "k1", "k2", "k3", "k4"];
/// (hash-max-listpack-entries, hash-max-listpack-value) per seed, in turn.
const LIMITS: [(u64, u64); 5] = [(512, 64), (16, 16), (4, 64), (0, 0), (128, 8)];

fn b(s: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(s.as_ref())
}

fn show(argv: &[Bytes]) -> String {
    argv.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect::<Vec<_>>().join(" ")
}

/// The frame as a client of `proto` parses it off the wire.
fn wire(frame: &Frame, proto: Protocol) -> Frame {
    let bytes = encode_to_vec(frame, proto);
    parse_reply(&bytes).expect("valid encoding").expect("complete frame").0
}

fn sort_frames(mut v: Vec<Frame>) -> Vec<Frame> {
    v.sort_by_key(|f| encode_to_vec(f, Protocol::Resp3));
    v
}

/// Reads the command stream a master sends to its replicas.
struct ReplicaStream {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl ReplicaStream {
    /// Connects as a diskless replica (`REPLCONF capa eof`, then `SYNC`) and
    /// skips the RDB payload.
    fn attach(port: u16) -> ReplicaStream {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect replica");
        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let mut r = ReplicaStream { stream, buf: Vec::new() };
        r.send(&[b"REPLCONF", b"capa", b"eof"]);
        assert_eq!(r.next_frame(), Frame::simple("OK"));
        r.send(&[b"SYNC"]);
        // Newlines are keepalives while the master prepares the payload.
        r.fill_until(|buf| buf.iter().skip_while(|&&c| c == b'\n').any(|&c| c == b'\n'));
        let start = r.buf.iter().position(|&c| c != b'\n').expect("header");
        let end = r.buf[start..].iter().position(|&c| c == b'\n').expect("line") + start;
        let header = String::from_utf8_lossy(&r.buf[start..end]).trim_end().to_string();
        r.buf.drain(..=end);
        let mark = header.strip_prefix("$EOF:").expect("diskless payload").as_bytes().to_vec();
        r.fill_until(|buf| buf.windows(mark.len()).any(|w| w == mark));
        let at = r.buf.windows(mark.len()).position(|w| w == mark).expect("mark");
        r.buf.drain(..at + mark.len());
        r
    }

    fn send(&mut self, argv: &[&[u8]]) {
        let argv: Vec<Bytes> = argv.iter().map(b).collect();
        let mut out = Vec::new();
        redsim_model::resp::encode_request(&argv, &mut out);
        self.stream.write_all(&out).expect("write replica");
    }

    fn fill_until(&mut self, done: impl Fn(&[u8]) -> bool) {
        while !done(&self.buf) {
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read replication stream");
            assert!(n > 0, "master closed the replication link");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn next_frame(&mut self) -> Frame {
        loop {
            if let Some((frame, used)) = parse_reply(&self.buf).expect("valid stream") {
                self.buf.drain(..used);
                return frame;
            }
            let len = self.buf.len();
            self.fill_until(|buf| buf.len() > len);
        }
    }

    /// The commands propagated until `PUBLISH <marker>`, without the pings,
    /// SELECTs and FLUSHALLs around them.
    fn commands_until(&mut self, marker: &[u8]) -> Vec<Vec<Bytes>> {
        let mut out = Vec::new();
        loop {
            let Frame::Array(items) = self.next_frame() else { panic!("unexpected stream frame") };
            let argv: Vec<Bytes> = items
                .into_iter()
                .map(|f| match f {
                    Frame::Bulk(x) => x,
                    other => panic!("unexpected stream item {other:?}"),
                })
                .collect();
            let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
            match name.as_str() {
                "PUBLISH" if argv.get(1).is_some_and(|m| m == marker) => return out,
                "PING" | "SELECT" | "FLUSHALL" => {}
                _ => out.push(argv),
            }
        }
    }
}

/// Per-command counts of comparisons and mismatches, and the first few
/// mismatches in full.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<String, (u64, u64)>,
    details: Vec<String>,
    /// Commands by the encoding of their key, and listpack → hashtable
    /// conversions by cause, to prove the stream covers both encodings.
    coverage: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn record(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        let e = self.counts.entry(what.to_string()).or_default();
        e.0 += 1;
        if !ok {
            e.1 += 1;
            if self.details.len() < 30 {
                self.details.push(detail());
            }
        }
    }

    fn mismatches(&self) -> u64 {
        self.counts.values().map(|c| c.1).sum()
    }
}

/// One model and one real server fed the same commands.
struct Pair {
    redis: support::RealConn,
    model: Model,
    config: EngineConfig,
    node_rng: ChaCha8Rng,
    proto: Protocol,
    /// What the model propagated since the last check.
    effects: Vec<Vec<Bytes>>,
}

impl Pair {
    fn model_run(&mut self, argv: &[Bytes]) -> Frame {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let cmd = if name == "DEBUG" {
            Ok(Command::DebugDigestValue { keys: argv[2..].to_vec() })
        } else {
            Command::from_argv(argv, &ParseEnv::default())
        };
        let mut cx = Context::new(0, NOW_MS, &mut self.node_rng, &self.config, argv);
        let reply = match cmd {
            Ok(cmd) => self.model.execute(&mut cx, &cmd),
            Err(e) => Frame::from(e),
        };
        self.effects.extend(cx.into_effects().into_iter().map(|e| e.argv));
        wire(&reply, self.proto)
    }

    fn both(&mut self, argv: &[Bytes]) -> (Frame, Frame) {
        let theirs = self.redis.call(argv);
        (self.model_run(argv), theirs)
    }

    fn hash(&self, key: &[u8]) -> Option<&HashValue> {
        match self.model.dbs()[0].get(key).map(|e| &e.value) {
            Some(Value::Hash(h)) => Some(h),
            _ => None,
        }
    }

    /// Pairs (or fields) of an HRANDFIELD reply; `nested` is RESP3's shape
    /// for pairs. `None` if the reply is not shaped as expected.
    fn rand_items(frame: &Frame, with_values: bool, nested: bool) -> Option<Vec<(Bytes, Option<Bytes>)>> {
        let Frame::Array(items) = frame else {
            return None;
        };
        let bulk = |f: &Frame| match f {
            Frame::Bulk(x) => Some(x.clone()),
            _ => None,
        };
        if !with_values {
            return items.iter().map(|f| Some((bulk(f)?, None))).collect();
        }
        if nested {
            items
                .iter()
                .map(|p| match p {
                    Frame::Array(kv) if kv.len() == 2 => Some((bulk(&kv[0])?, Some(bulk(&kv[1])?))),
                    _ => None,
                })
                .collect()
        } else {
            if items.len() % 2 != 0 {
                return None;
            }
            items.chunks(2).map(|kv| Some((bulk(&kv[0])?, Some(bulk(&kv[1])?)))).collect()
        }
    }

    /// HRANDFIELD's properties: length, distinctness for positive counts,
    /// every field (and value) in the hash; and the whole listpack in
    /// order when the count covers it.
    fn check_randfield(&self, argv: &[Bytes], ours: &Frame, theirs: &Frame) -> bool {
        if ours.is_error() || theirs.is_error() || matches!(theirs, Frame::Null) || argv.len() < 2 {
            return ours == theirs;
        }
        let Some(h) = self.hash(&argv[1]) else {
            return ours == theirs;
        };
        if argv.len() == 2 {
            let member = |f: &Frame| matches!(f, Frame::Bulk(x) if h.contains(x));
            return member(ours) && member(theirs);
        }
        let count: i64 = String::from_utf8_lossy(&argv[2]).parse().expect("count checked by both");
        let with_values = argv.len() == 4;
        let resp3 = self.proto == Protocol::Resp3;
        let Some(a) = Self::rand_items(ours, with_values, resp3) else {
            return false;
        };
        let Some(r) = Self::rand_items(theirs, with_values, resp3) else {
            return false;
        };
        let expected = if count >= 0 { (count as u64).min(h.len() as u64) } else { count.unsigned_abs() };
        let fits = |items: &[(Bytes, Option<Bytes>)]| {
            let members = items.iter().all(|(f, v)| match (h.get(f), v) {
                (Some(stored), Some(v)) => stored == &v[..],
                (Some(_), None) => true,
                (None, _) => false,
            });
            let mut fields: Vec<&Bytes> = items.iter().map(|(f, _)| f).collect();
            fields.sort();
            fields.dedup();
            let distinct = count < 0 || fields.len() == items.len();
            members && distinct && items.len() as u64 == expected
        };
        let whole_listpack = count as u64 >= h.len() as u64 && count > 0 && h.is_listpack();
        fits(&a) && fits(&r) && (!whole_listpack || a == r)
    }

    /// HSCAN of a hashtable: the replies' shapes and members, then a full
    /// iteration on each side must give the same set of pairs.
    fn check_scan(&mut self, argv: &[Bytes], ours: &Frame, theirs: &Frame) -> bool {
        let Some(h) = self.hash(&argv[1]) else {
            return ours == theirs;
        };
        if h.is_listpack() || ours.is_error() || theirs.is_error() {
            return ours == theirs;
        }
        let pairs = |f: &Frame| -> Option<(Bytes, Vec<(Bytes, Bytes)>)> {
            let Frame::Array(parts) = f else { return None };
            let (Some(Frame::Bulk(cursor)), Some(Frame::Array(items))) = (parts.first(), parts.get(1)) else {
                return None;
            };
            if parts.len() != 2 || items.len() % 2 != 0 {
                return None;
            }
            let items = items
                .chunks(2)
                .map(|kv| match kv {
                    [Frame::Bulk(k), Frame::Bulk(v)] => Some((k.clone(), v.clone())),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some((cursor.clone(), items))
        };
        let members =
            |f: &Frame| pairs(f).is_some_and(|(_, items)| items.iter().all(|(k, v)| h.get(k) == Some(&v[..])));
        if !members(ours) || !members(theirs) {
            return false;
        }
        let full = |pair: &mut Pair, redis: bool| -> Option<Vec<(Bytes, Bytes)>> {
            let mut seen = Vec::new();
            let mut cursor = b("0");
            for _ in 0..100_000 {
                let mut line = argv.to_vec();
                line[2] = cursor.clone();
                let reply = if redis { pair.redis.call(&line) } else { pair.model_run(&line) };
                let (next, items) = pairs(&reply)?;
                seen.extend(items);
                if &next[..] == b"0" {
                    seen.sort();
                    seen.dedup();
                    return Some(seen);
                }
                cursor = next;
            }
            None
        };
        let a = full(self, false);
        let r = full(self, true);
        a.is_some() && a == r
    }

    /// HGETALL/HKEYS/HVALS: exact for a listpack, as multisets otherwise.
    fn check_getall(&self, argv: &[Bytes], ours: &Frame, theirs: &Frame) -> bool {
        let listpack = argv.len() < 2 || self.hash(&argv[1]).is_none_or(|h| h.is_listpack());
        if listpack || ours.is_error() {
            return ours == theirs;
        }
        let items = |f: &Frame| -> Option<Vec<Frame>> {
            match f {
                Frame::Map(pairs) => {
                    Some(pairs.iter().map(|(k, v)| Frame::Array(vec![k.clone(), v.clone()])).collect())
                }
                Frame::Array(xs) if argv[0].eq_ignore_ascii_case(b"HGETALL") => {
                    Some(xs.chunks(2).map(|c| Frame::Array(c.to_vec())).collect())
                }
                Frame::Array(xs) => Some(xs.clone()),
                _ => None,
            }
        };
        match (items(ours), items(theirs)) {
            (Some(a), Some(r)) => sort_frames(a) == sort_frames(r),
            _ => false,
        }
    }

    fn compare(&mut self, argv: &[Bytes], tally: &mut Tally) {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let encoding = |p: &Pair| argv.get(1).and_then(|k| p.hash(k)).map(|h| h.encoding_name());
        let before = encoding(self);
        let (ours, theirs) = self.both(argv);
        *tally.coverage.entry(before.unwrap_or("no hash")).or_default() += 1;
        if before == Some("listpack") && encoding(self) == Some("hashtable") {
            let len = self.hash(&argv[1]).map_or(0, |h| h.len() as u64);
            let cause = if len > self.config.hash_max_listpack_entries {
                "converted by entries"
            } else {
                "converted by length"
            };
            *tally.coverage.entry(cause).or_default() += 1;
        }
        let ok = match name.as_str() {
            "HGETALL" | "HKEYS" | "HVALS" => self.check_getall(argv, &ours, &theirs),
            "HRANDFIELD" => self.check_randfield(argv, &ours, &theirs),
            "HSCAN" if argv.len() >= 3 => self.check_scan(argv, &ours, &theirs),
            _ => ours == theirs,
        };
        tally.record(&name, ok, || format!("{}\n   model: {ours:?}\n   redis: {theirs:?}", show(argv)));
        let writes = ["HSET", "HMSET", "HSETNX", "HDEL", "HINCRBY", "HINCRBYFLOAT"];
        if writes.contains(&name.as_str()) && argv.len() >= 2 {
            self.compare_plain(&[b("OBJECT"), b("ENCODING"), argv[1].clone()], "OBJECT ENCODING", tally);
        }
    }

    fn compare_plain(&mut self, argv: &[Bytes], what: &str, tally: &mut Tally) {
        let (ours, theirs) = self.both(argv);
        tally.record(what, ours == theirs, || format!("{}\n   model: {ours:?}\n   redis: {theirs:?}", show(argv)));
    }
}

/// Random command lines over a small key pool, so that commands interact.
struct Gen {
    rng: ChaCha8Rng,
    max_entries: u64,
    max_value: u64,
}

impl Gen {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.gen_range(0..items.len())]
    }

    fn key(&mut self) -> Bytes {
        if self.rng.gen_bool(0.05) {
            return b("nokey");
        }
        b(KEYS[self.rng.gen_range(0..KEYS.len())])
    }

    /// Strings right at and past the listpack value limit.
    fn sized(&mut self, fill: u8) -> Bytes {
        let n = self.max_value as usize + self.rng.gen_range(0..2);
        Bytes::from(vec![fill; n])
    }

    fn field(&mut self) -> Bytes {
        match self.rng.gen_range(0..100) {
            0..=73 => b(format!("f{}", self.rng.gen_range(0..12))),
            74..=83 => b(format!("n{}", self.rng.gen_range(0..3))),
            84..=87 => b(""),
            88..=89 => self.sized(b'F'),
            90..=92 => b(b"\x00\xff\r\n"),
            _ => self.wide_field(),
        }
    }

    fn wide_field(&mut self) -> Bytes {
        let pool = (2 * self.max_entries).max(800);
        b(format!("w{}", self.rng.gen_range(0..pool)))
    }

    fn value(&mut self) -> Bytes {
        const V: &[&str] = &[
            "0",
            "1",
            "-1",
            "42",
            "007",
            "-0",
            " 1",
            "1.5",
            "1e3",
            "0x10",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "inf",
            "nan",
            "abc",
            "",
            "1.1e4932",
            "3.0",
        ];
        match self.rng.gen_range(0..50) {
            0..=24 => b(self.pick(V)),
            25 => self.sized(b'v'),
            _ => b(format!("v{}", self.rng.gen_range(0..100))),
        }
    }

    fn int_incr(&mut self) -> Bytes {
        const I: &[&str] = &[
            "1",
            "-1",
            "0",
            "100",
            "-100",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "1.5",
            "abc",
            "",
            "007",
            "-0",
            " 1",
        ];
        if self.rng.gen_bool(0.5) {
            b(self.rng.gen_range(-1000i64..1000).to_string())
        } else {
            b(self.pick(I))
        }
    }

    fn float_incr(&mut self) -> Bytes {
        const F: &[&str] = &[
            "1.5",
            "-0.25",
            "3",
            "1e3",
            "-1e3",
            "0.1",
            "1e308",
            "-1e308",
            "1.1e4932",
            "-1.1e4932",
            "inf",
            "-inf",
            "nan",
            "abc",
            "",
            "0x10",
            "1e-310",
            " 1",
            "5.0e3",
            "1e4933",
            "100000000000000000000",
            "-0",
        ];
        b(self.pick(F))
    }

    /// Counts, including the extremes that Redis refuses before the lookup;
    /// never a huge negative count that it would actually serve.
    fn rand_args(&mut self) -> Vec<Bytes> {
        match self.rng.gen_range(0..20) {
            0..=2 => vec![],
            3 => vec![b("9223372036854775807")],
            4 => vec![b(self.pick(&["-9223372036854775808", "x", "1.0", ""]))],
            5 => vec![
                b(self.pick(&["-9223372036854775807", "-4611686018427387904", "4611686018427387904"])),
                b("WITHVALUES"),
            ],
            6 => vec![b("2"), b(self.pick(&["foo", "withvalues"])), b("x")],
            7 => vec![b("3"), b("bar")],
            n => {
                let mut v = vec![b(self.rng.gen_range(-25i64..25).to_string())];
                if n % 2 == 0 {
                    v.push(b(self.pick(&["WITHVALUES", "withvalues"])));
                }
                v
            }
        }
    }

    fn scan_args(&mut self) -> Vec<Bytes> {
        let cursor = match self.rng.gen_range(0..10) {
            0..=5 => "0".to_string(),
            6 => self.pick(&["-1", "abc", "18446744073709551616", "18446744073709551615"]).to_string(),
            _ => self.rng.gen_range(1u64..1_000_000).to_string(),
        };
        let mut v = vec![b(cursor)];
        for _ in 0..self.rng.gen_range(0..3) {
            match self.rng.gen_range(0..12) {
                0..=4 => v.extend([b("COUNT"), b(self.rng.gen_range(1..30).to_string())]),
                5 => v.extend([b("count"), b(self.pick(&["0", "-1", "x"]))]),
                6..=9 => v.extend([b("MATCH"), b(self.pick(&["f*", "*", "w1*", "[a-f]?", "", "*0", "n?"]))]),
                10 => v.push(b(self.pick(&["TYPE", "NOVALUES", "COUNT"]))),
                _ => v.extend([b("TYPE"), b("hash")]),
            }
        }
        v
    }

    fn name(&mut self, upper: &str) -> Bytes {
        match self.rng.gen_range(0..10) {
            0 => b(upper.to_ascii_lowercase()),
            _ => b(upper),
        }
    }

    fn command(&mut self) -> Vec<Bytes> {
        let key = self.key();
        let roll = self.rng.gen_range(0..1000);
        let (name, mut args): (&str, Vec<Bytes>) = match roll {
            0..=139 => ("HSET", self.pairs()),
            140..=179 => ("HMSET", self.pairs()),
            180..=239 => ("HSETNX", vec![self.field(), self.value()]),
            240..=319 => ("HGET", vec![self.field()]),
            320..=369 => ("HMGET", (0..self.rng.gen_range(1..5)).map(|_| self.field()).collect()),
            370..=409 => ("HEXISTS", vec![self.field()]),
            410..=449 => ("HSTRLEN", vec![self.field()]),
            450..=479 => ("HLEN", vec![]),
            480..=559 => ("HDEL", self.del_fields()),
            560..=629 => ("HINCRBY", vec![self.field(), self.int_incr()]),
            630..=699 => ("HINCRBYFLOAT", vec![self.field(), self.float_incr()]),
            700..=729 => ("HGETALL", vec![]),
            730..=749 => ("HKEYS", vec![]),
            750..=769 => ("HVALS", vec![]),
            770..=839 => ("HRANDFIELD", self.rand_args()),
            840..=899 => ("HSCAN", self.scan_args()),
            900..=904 => ("SET", vec![self.value()]),
            905..=929 => ("DEL", vec![]),
            930..=969 => ("HSET", self.pairs()),
            _ => {
                // Wrong arities, including HSET's and HMSET's odd pairs.
                let (n, args) = match self.rng.gen_range(0..8) {
                    0 => ("HSET", vec![self.field(), self.value(), self.field()]),
                    1 => ("HMSET", vec![self.field()]),
                    2 => ("HGET", vec![]),
                    3 => ("HINCRBY", vec![self.field()]),
                    4 => ("HSETNX", vec![self.field(), self.value(), self.value()]),
                    5 => ("HGETALL", vec![self.field()]),
                    6 => ("HDEL", vec![]),
                    _ => ("HSTRLEN", vec![]),
                };
                (n, args)
            }
        };
        let mut argv = vec![self.name(name), key];
        argv.append(&mut args);
        argv
    }

    fn pairs(&mut self) -> Vec<Bytes> {
        if self.rng.gen_bool(0.04) {
            return self.bulk_pairs();
        }
        let mut v = Vec::new();
        for _ in 0..self.rng.gen_range(1..5) {
            v.push(self.field());
            v.push(self.value());
        }
        v
    }

    /// A run of distinct short wide fields with short values, sized so that
    /// one or two calls cross the entry limit without any length conversion.
    fn bulk_pairs(&mut self) -> Vec<Bytes> {
        let hi = (self.max_entries as usize + 10).clamp(60, 600);
        let n = self.rng.gen_range(hi / 2..hi);
        let start = self.rng.gen_range(0..self.max_entries.max(100));
        let mut v = Vec::new();
        for i in 0..n as u64 {
            v.push(b(format!("w{}", start + i)));
            v.push(b(format!("{}", self.rng.gen_range(0..100))));
        }
        v
    }

    fn del_fields(&mut self) -> Vec<Bytes> {
        if self.rng.gen_bool(0.05) {
            return (0..self.rng.gen_range(30..120)).map(|_| self.wide_field()).collect();
        }
        (0..self.rng.gen_range(1..4)).map(|_| self.field()).collect()
    }
}

fn run_seed(pair: &mut Pair, replica: &mut ReplicaStream, seed: u64, tally: &mut Tally) {
    let (entries, value) = LIMITS[seed as usize % LIMITS.len()];
    pair.redis.call(&["FLUSHALL"]);
    pair.redis.call(&["CONFIG", "SET", "hash-max-listpack-entries", &entries.to_string()]);
    pair.redis.call(&["CONFIG", "SET", "hash-max-listpack-value", &value.to_string()]);
    pair.model = Model::new(16);
    pair.config =
        EngineConfig { hash_max_listpack_entries: entries, hash_max_listpack_value: value, ..EngineConfig::default() };
    pair.node_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    pair.effects.clear();
    let mut gen = Gen { max_entries: entries, rng: ChaCha8Rng::seed_from_u64(seed), max_value: value };
    for _ in 0..COMMANDS_PER_SEED {
        let argv = gen.command();
        pair.compare(&argv, tally);
    }
    for key in KEYS {
        pair.compare_plain(&[b("OBJECT"), b("ENCODING"), b(key)], "OBJECT ENCODING", tally);
        pair.compare_plain(&[b("DEBUG"), b("DIGEST-VALUE"), b(key)], "DEBUG DIGEST-VALUE", tally);
    }
    let marker = format!("end-of-seed-{seed}");
    pair.redis.call(&["PUBLISH", &marker, "x"]);
    let theirs = replica.commands_until(marker.as_bytes());
    let ours = std::mem::take(&mut pair.effects);
    let first_diff = ours.iter().zip(&theirs).position(|(a, r)| a != r).unwrap_or(ours.len().min(theirs.len()));
    tally.record("propagation", ours == theirs, || {
        format!(
            "seed {seed}: {} vs {} propagated commands; first difference at {first_diff}:\n   model: {}\n   redis: {}",
            ours.len(),
            theirs.len(),
            ours.get(first_diff).map_or("(end)".into(), |a| show(a)),
            theirs.get(first_diff).map_or("(end)".into(), |a| show(a)),
        )
    });
}

#[test]
fn hashes_match_redis() {
    let server = support::RealRedis::start_with(&["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]);
    let mut replica = ReplicaStream::attach(server.port);
    let mut pair = Pair {
        redis: server.connect(),
        model: Model::new(16),
        config: EngineConfig::default(),
        node_rng: ChaCha8Rng::seed_from_u64(0),
        proto: Protocol::Resp2,
        effects: Vec::new(),
    };
    // FLUSHALL would kill a snapshot still being sent: wait until the link is up.
    let online = (0..1000).any(|_| {
        let info = pair.redis.call(&["INFO", "replication"]);
        let up = matches!(&info, Frame::Bulk(t) if t.windows(12).any(|w| w == b"state=online"));
        if !up {
            std::thread::sleep(Duration::from_millis(10));
        }
        up
    });
    assert!(online, "the replication link did not come up");
    // A diskless master streams only after an ACK that comes once it is online.
    replica.send(&[b"REPLCONF", b"ACK", b"0"]);
    let mut tally = Tally::default();
    for seed in 0..RESP2_SEEDS {
        run_seed(&mut pair, &mut replica, seed, &mut tally);
    }
    pair.redis.call(&["HELLO", "3"]);
    pair.proto = Protocol::Resp3;
    for seed in RESP2_SEEDS..RESP2_SEEDS + RESP3_SEEDS {
        run_seed(&mut pair, &mut replica, seed, &mut tally);
    }
    println!("{:<20} {:>8} {:>10}", "command", "compared", "mismatches");
    for (name, (total, bad)) in &tally.counts {
        println!("{name:<20} {total:>8} {bad:>10}");
    }
    for d in &tally.details {
        println!("MISMATCH {d}");
    }
    assert_eq!(tally.mismatches(), 0, "the model differs from Redis (details above)");
    println!("coverage: {:?}", tally.coverage);
    // The stream must have exercised what it claims to.
    for what in ["listpack", "hashtable", "converted by entries", "converted by length"] {
        let n = tally.coverage.get(what).copied().unwrap_or(0);
        assert!(n >= 20, "only {n} commands with {what}");
    }
    for name in ["HSET", "HRANDFIELD", "HSCAN", "HINCRBYFLOAT", "propagation"] {
        assert!(tally.counts.get(name).is_some_and(|c| c.0 > 0), "{name} never ran");
    }
}
