//! The set group on the model against a real Redis 7.0: the same seeded
//! random command stream goes to both, and the replies must be equal.
//!
//! Replies are compared exactly, except where Redis's output is not
//! determined: SMEMBERS/SINTER/SUNION/SDIFF of hashtable sets are compared
//! as multisets, a hashtable SSCAN by the full iteration it yields, and the
//! random commands (SPOP, SRANDMEMBER) by their properties. After an SPOP
//! the model is brought to the members Redis kept, the way Redis keeps them
//! (in place, or rebuilt when few survive), so encodings must still agree.
//! After every write the encodings of its keys are compared, and what it
//! propagated: Redis's replication stream against the model's effects (for
//! SPOP, each side against the members it popped). Every few hundred
//! commands: DEBUG DIGEST, each key's DEBUG DIGEST-VALUE, OBJECT ENCODING,
//! TYPE and TTL presence, keyspace hits/misses and Redis's dirty counter.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::num::parse_i64;
use redsim_model::reference::{SetValue, Value};
use redsim_model::resp::{encode_request, encode_to_vec, parse_reply, Protocol};
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

const NOW_MS: i64 = 1_700_000_000_000;
const KEYS: [&str; 6] = ["s0", "s1", "s2", "s3", "s4", "str"];
const COMMANDS_PER_SEED: usize = 2000;

/// What the generator picks members from: integers in Redis's strict form,
/// and strings that only look like integers, so intsets meet both.
#[rustfmt::skip]
const INT_MEMBERS: [&str; 22] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "-1", "-3", "100",
    "65536", "9223372036854775807", "-9223372036854775808",
];
const OTHER_MEMBERS: [&str; 15] =
    ["a", "b", "c", "d", "e", "B", "", "007", "+1", "1.5", "-0", " 1", "9223372036854775808", "x y", "é"];
/// Counts for SPOP and SRANDMEMBER, valid and not.
#[rustfmt::skip]
const COUNTS: [&str; 20] = [
    "0", "1", "1", "2", "3", "5", "8", "20", "1000", "-1", "-2", "-5", "-30", "abc", "", "1.5",
    "9223372036854775807", "9223372036854775808", "-9223372036854775807", "-9223372036854775808",
];

type Argv = Vec<String>;

/// An argv from words.
fn words(w: &[&str]) -> Argv {
    w.iter().map(|s| s.to_string()).collect()
}

fn text(b: &Bytes) -> String {
    String::from_utf8(b.to_vec()).expect("utf-8 members")
}

fn bulk_text(f: &Frame) -> Option<Bytes> {
    match f {
        Frame::Bulk(b) => Some(b.clone()),
        _ => None,
    }
}

/// The elements of an array or set reply.
fn elements(f: &Frame) -> Option<&[Frame]> {
    match f {
        Frame::Array(v) | Frame::Set(v) => Some(v),
        _ => None,
    }
}

fn sorted(items: &[Frame]) -> Vec<Frame> {
    let mut v = items.to_vec();
    v.sort_by_key(|f| format!("{f:?}"));
    v
}

/// Same RESP type, content aside.
fn same_kind(a: &Frame, b: &Frame) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// TTL's answer with the seconds left blurred: the model's clock is fixed.
fn ttl_class(f: &Frame) -> Frame {
    match f {
        Frame::Integer(n) if *n > 0 => Frame::Integer(1),
        other => other.clone(),
    }
}

/// A numeric field of an INFO reply.
fn info_field(info: &Frame, name: &str) -> Option<i64> {
    let (Frame::Bulk(t) | Frame::Verbatim { text: t, .. }) = info else { panic!("INFO: {info:?}") };
    String::from_utf8_lossy(t).lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
}

/// What Redis propagates for an SPOP that popped `popped` of `size` members:
/// SREMs (in a transaction when more than one), or DEL when it took them all.
fn spop_effects(argv: &[String], popped: &[Bytes], size: usize) -> Vec<Vec<Bytes>> {
    let key = Bytes::from(argv[1].clone());
    let srem = |m: &Bytes| vec![Bytes::from_static(b"SREM"), key.clone(), m.clone()];
    match popped {
        [] => vec![],
        [m] if argv.len() == 2 || size > 1 => vec![srem(m)],
        _ if popped.len() == size => vec![vec![Bytes::from_static(b"DEL"), key.clone()]],
        _ => {
            let mut out = vec![vec![Bytes::from_static(b"MULTI")]];
            out.extend(popped.iter().map(srem));
            out.push(vec![Bytes::from_static(b"EXEC")]);
            out
        }
    }
}

/// Reads the command stream a master sends to a replica.
struct ReplicaStream {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl ReplicaStream {
    /// Attaches as a diskless replica and skips the initial snapshot.
    fn attach(port: u16) -> ReplicaStream {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect as replica");
        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let mut r = ReplicaStream { stream, buf: Vec::new() };
        r.send(&["REPLCONF", "capa", "eof"]);
        assert_eq!(r.next_frame(), Frame::ok());
        r.send(&["SYNC"]);
        // Empty lines keep the link alive until the `$EOF:<mark>` header.
        r.fill_until(|b| b.iter().skip_while(|&&c| c == b'\n').any(|&c| c == b'\n'));
        let start = r.buf.iter().position(|&c| c != b'\n').expect("payload header");
        let end = start + r.buf[start..].iter().position(|&c| c == b'\n').expect("header line");
        let header = String::from_utf8_lossy(&r.buf[start..end]).trim_end().to_string();
        r.buf.drain(..=end);
        let mark = header.strip_prefix("$EOF:").expect("diskless snapshot").as_bytes().to_vec();
        r.fill_until(|b| b.windows(mark.len()).any(|w| w == mark));
        let at = r.buf.windows(mark.len()).position(|w| w == mark).expect("end mark");
        r.buf.drain(..at + mark.len());
        r
    }

    fn send(&mut self, argv: &[&str]) {
        let mut out = Vec::new();
        encode_request(&argv.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect::<Vec<_>>(), &mut out);
        self.stream.write_all(&out).expect("write to master");
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
            self.fill_until(|b| b.len() > len);
        }
    }

    /// The commands propagated before `PUBLISH <marker>`, without PINGs,
    /// SELECTs and FLUSHALLs.
    fn commands_until(&mut self, marker: &str) -> Vec<Vec<Bytes>> {
        let mut out = Vec::new();
        loop {
            let Frame::Array(items) = self.next_frame() else { panic!("unexpected frame in the stream") };
            let argv: Vec<Bytes> = items.iter().map(|f| bulk_text(f).expect("bulk arguments")).collect();
            match argv[0].to_ascii_uppercase().as_slice() {
                b"PUBLISH" if argv[1] == marker.as_bytes() => return out,
                b"PING" | b"SELECT" | b"FLUSHALL" => {}
                _ => out.push(argv),
            }
        }
    }
}

/// A real server and the model, fed the same commands.
struct Harness {
    redis: support::RealConn,
    replica: ReplicaStream,
    markers: u64,
    model: Model,
    config: EngineConfig,
    node_rng: ChaCha8Rng,
    proto: Protocol,
    /// What the model propagated during the current step.
    effects: Vec<Vec<Bytes>>,
    /// Redis's dirty counter when the seed started, and the model's changes since.
    dirty: (i64, i64),
    /// Keyspace hits of the extra steps of full SSCAN iterations, which
    /// differ between the sides (Redis, model).
    extra_hits: (u64, u64),
    seed: u64,
    runs: BTreeMap<String, usize>,
    mismatches: BTreeMap<String, usize>,
    samples: Vec<String>,
    /// How often interesting states came up, to prove the stream reaches them.
    coverage: BTreeMap<&'static str, usize>,
}

impl Harness {
    fn new(server: &support::RealRedis, proto: Protocol) -> Harness {
        let mut redis = server.connect();
        if proto == Protocol::Resp3 {
            assert!(matches!(redis.call(&["HELLO", "3"]), Frame::Map(_)));
        }
        let mut replica = ReplicaStream::attach(server.port);
        // A diskless master streams once the link is online and acknowledged.
        let online = (0..1000).any(|_| {
            let info = redis.call(&["INFO", "replication"]);
            let up = matches!(&info, Frame::Bulk(t) | Frame::Verbatim { text: t, .. }
                if t.windows(12).any(|w| w == b"state=online"));
            if !up {
                std::thread::sleep(Duration::from_millis(10));
            }
            up
        });
        assert!(online, "the replication link did not come up");
        replica.send(&["REPLCONF", "ACK", "0"]);
        Harness {
            redis,
            replica,
            markers: 0,
            model: Model::new(16),
            config: EngineConfig::default(),
            node_rng: ChaCha8Rng::seed_from_u64(0),
            proto,
            effects: Vec::new(),
            dirty: (0, 0),
            extra_hits: (0, 0),
            seed: 0,
            runs: BTreeMap::new(),
            mismatches: BTreeMap::new(),
            samples: Vec::new(),
            coverage: BTreeMap::new(),
        }
    }

    /// A fresh dataset on both sides, with this intset limit.
    fn start_seed(&mut self, seed: u64, max_intset: u64) {
        for argv in [words(&["FLUSHALL"]), words(&["CONFIG", "RESETSTAT"])] {
            assert_eq!(self.redis_call(&argv), Frame::ok());
        }
        self.set_limit(max_intset);
        let info = self.redis_call(&words(&["INFO", "persistence"]));
        self.dirty = (info_field(&info, "rdb_changes_since_last_save").expect("dirty counter"), 0);
        self.model = Model::new(16);
        self.node_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e75);
        self.extra_hits = (0, 0);
        self.seed = seed;
        self.propagated();
        self.effects.clear();
    }

    /// set-max-intset-entries on both sides: it affects only later additions.
    fn set_limit(&mut self, max: u64) {
        let argv = words(&["CONFIG", "SET", "set-max-intset-entries", &max.to_string()]);
        assert_eq!(self.redis_call(&argv), Frame::ok());
        self.config = EngineConfig { set_max_intset_entries: max, ..EngineConfig::default() };
    }

    /// What Redis propagated since the last call, delimited by a PUBLISH.
    fn propagated(&mut self) -> Vec<Vec<Bytes>> {
        self.markers += 1;
        let marker = format!("marker-{}", self.markers);
        self.redis.call(&["PUBLISH", &marker, "x"]);
        self.replica.commands_until(&marker)
    }

    /// Runs argv on the model and returns the reply as a client of this
    /// protocol parses it (RESP2 has no sets, only arrays...).
    fn model_call(&mut self, argv: &[String]) -> Frame {
        let args: Vec<Bytes> = argv.iter().map(|s| Bytes::from(s.clone())).collect();
        let cmd = match argv[0].as_str() {
            "DEBUG" if argv[1] == "DIGEST" => Ok(Command::DebugDigest),
            "DEBUG" => Ok(Command::DebugDigestValue { keys: args[2..].to_vec() }),
            _ => Command::from_argv(&args, &ParseEnv::default()),
        };
        let frame = match cmd {
            Ok(cmd) => {
                let mut cx = Context::new(0, NOW_MS, &mut self.node_rng, &self.config, &args);
                let reply = self.model.execute(&mut cx, &cmd);
                // Redis's counter is a long long.
                self.dirty.1 = self.dirty.1.wrapping_add(cx.dirty as i64);
                self.effects.extend(cx.into_effects().into_iter().map(|e| e.argv));
                reply
            }
            Err(e) => Frame::from(e),
        };
        parse_reply(&encode_to_vec(&frame, self.proto)).expect("valid encoding").expect("complete frame").0
    }

    fn redis_call(&mut self, argv: &[String]) -> Frame {
        self.redis.call(argv)
    }

    fn both(&mut self, argv: &[String]) -> (Frame, Frame) {
        (self.redis_call(argv), self.model_call(argv))
    }

    fn mismatch(&mut self, what: &str, detail: String) {
        *self.mismatches.entry(what.to_string()).or_default() += 1;
        if self.samples.len() < 25 {
            self.samples.push(format!("seed {}: [{what}] {detail}", self.seed));
        }
    }

    fn differ(&mut self, what: &str, argv: &[String], redis: &impl std::fmt::Debug, model: &impl std::fmt::Debug) {
        self.mismatch(what, format!("{argv:?}\n    redis: {redis:?}\n    model: {model:?}"));
    }

    fn check_equal(&mut self, what: &str, argv: &[String], redis: &Frame, model: &Frame) {
        if redis != model {
            self.differ(what, argv, redis, model);
        }
    }

    /// Runs a probe on both sides and compares the answers, through `view`.
    fn probe(&mut self, what: &str, argv: &[&str], view: fn(&Frame) -> Frame) {
        let argv = words(argv);
        let (redis, model) = self.both(&argv);
        self.check_equal(what, &argv, &view(&redis), &view(&model));
    }

    fn cover(&mut self, what: &'static str) {
        *self.coverage.entry(what).or_default() += 1;
    }

    /// The model's set at `key`, if it holds one.
    fn model_set(&self, key: &str) -> Option<SetValue> {
        match self.model.dbs()[0].get(key.as_bytes()).map(|e| &e.value) {
            Some(Value::Set(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// Sends one generated command to both sides and compares.
    fn step(&mut self, mut argv: Argv) {
        if argv[0] == "SRANDMEMBER" && argv.get(2).is_some_and(|c| c == "-9223372036854775807") {
            // On an existing set Redis would send 10^18 members: ask it first
            // (the model alone may have drifted after a mismatch).
            let (on_redis, on_model) = self.both(&words(&["TYPE", &argv[1]]));
            if on_redis != Frame::simple("none") || on_model != Frame::simple("none") {
                argv[2] = "-7".into();
            }
        }
        let name = argv[0].clone();
        *self.runs.entry(name.clone()).or_default() += 1;
        let key = argv.get(1).cloned().unwrap_or_default();
        let before = self.model_set(&key);
        let had_ttl = self.model.dbs()[0].get(key.as_bytes()).is_some_and(|e| e.expire_at.is_some());
        if let Some(s) = &before {
            self.cover(if s.is_intset() { "on an intset" } else { "on a hashtable" });
        }
        let (redis, model) = self.both(&argv);
        let mut spop = None;
        match name.as_str() {
            _ if redis.is_error() || model.is_error() => self.check_equal(&name, &argv, &redis, &model),
            // An intset's order is ascending in Redis too.
            "SMEMBERS" if before.as_ref().is_some_and(|s| s.is_intset()) => {
                self.check_equal(&name, &argv, &redis, &model)
            }
            "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" => {
                if !same_kind(&redis, &model) || elements(&redis).map(sorted) != elements(&model).map(sorted) {
                    self.differ(&name, &argv, &redis, &model);
                }
            }
            "SSCAN" => self.check_sscan(&argv, before.as_ref(), &redis, &model),
            "SRANDMEMBER" => self.check_srandmember(&argv, before.as_ref(), &redis, &model),
            "SPOP" => spop = self.check_spop(&argv, before.as_ref(), had_ttl, &redis, &model),
            _ => self.check_equal(&name, &argv, &redis, &model),
        }
        let after = self.model_set(&key);
        if before.as_ref().is_some_and(|s| s.is_intset()) && after.as_ref().is_some_and(|s| !s.is_intset()) {
            self.cover("intset converted");
        }
        let all_ints = |s: &SetValue| s.iter().all(|m| parse_i64(m).is_some());
        if name.ends_with("STORE") && after.is_some_and(|s| !s.is_intset() && all_ints(&s)) {
            self.cover("stored hashtable of integers");
        }
        // The keys a write may have created or converted: their encodings.
        let written = match name.as_str() {
            _ if redis.is_error() => &[][..],
            "SADD" | "SREM" | "SINTERSTORE" | "SUNIONSTORE" | "SDIFFSTORE" => &argv[1..2],
            "SMOVE" => &argv[1..3],
            _ => &[],
        };
        for k in written {
            self.probe(&format!("{name}(encoding)"), &["OBJECT", "ENCODING", k], Frame::clone);
        }
        self.compare_propagation(&name, &argv, spop);
    }

    /// What the step propagated. Timestamps differ (the model's clock is
    /// fixed), and so do the members SPOP drew: each side's SPOP effects are
    /// checked against the members it popped.
    fn compare_propagation(&mut self, name: &str, argv: &[String], spop: Option<(Vec<Bytes>, Vec<Bytes>, usize)>) {
        let untimed = |mut effects: Vec<Vec<Bytes>>| {
            for e in effects.iter_mut().filter(|e| e[0].eq_ignore_ascii_case(b"PEXPIREAT")) {
                e[2] = Bytes::from_static(b"<time>");
            }
            effects
        };
        let theirs = untimed(self.propagated());
        let ours = untimed(std::mem::take(&mut self.effects));
        let ok = match &spop {
            Some((by_redis, by_model, size)) => {
                theirs == spop_effects(argv, by_redis, *size) && ours == spop_effects(argv, by_model, *size)
            }
            None => theirs == ours,
        };
        if !ok {
            let show = |e: &[Vec<Bytes>]| e.iter().map(|a| a.iter().map(text).collect::<Vec<_>>()).collect::<Vec<_>>();
            self.differ(&format!("{name}(propagation)"), argv, &show(&theirs), &show(&ours));
        }
    }

    /// A hashtable's cursors are Redis's own: a scan from 0 is compared by
    /// everything the full iteration returns; other cursors by shape.
    fn check_sscan(&mut self, argv: &[String], before: Option<&SetValue>, redis: &Frame, model: &Frame) {
        let Some(set) = before.filter(|s| !s.is_intset()) else {
            return self.check_equal("SSCAN", argv, redis, model);
        };
        let shape_ok = |f: &Frame| match f {
            Frame::Array(v) if v.len() == 2 => {
                matches!(&v[0], Frame::Bulk(_))
                    && elements(&v[1]).is_some_and(|e| e.iter().all(|m| bulk_text(m).is_some_and(|b| set.contains(&b))))
            }
            _ => false,
        };
        if !shape_ok(redis) || !shape_ok(model) {
            return self.differ("SSCAN", argv, redis, model);
        }
        if argv[2] == "0" {
            self.cover("full sscan of a hashtable");
            let full_redis = self.full_scan(argv, redis.clone(), true);
            let full_model = self.full_scan(argv, model.clone(), false);
            if full_redis != full_model {
                self.differ("SSCAN(full iteration)", argv, &full_redis, &full_model);
            }
        }
    }

    /// Continues a scan from its first reply until the cursor comes back to 0.
    fn full_scan(&mut self, argv: &[String], first: Frame, on_redis: bool) -> Option<BTreeSet<Bytes>> {
        let mut seen = BTreeSet::new();
        let mut reply = first;
        for _ in 0..10_000 {
            let Frame::Array(v) = &reply else { return None };
            let cursor = bulk_text(&v[0])?;
            seen.extend(elements(&v[1])?.iter().filter_map(bulk_text));
            if &cursor[..] == b"0" {
                return Some(seen);
            }
            let mut next = argv.to_vec();
            next[2] = text(&cursor);
            reply = if on_redis { self.redis_call(&next) } else { self.model_call(&next) };
            // Each extra step reads the key once: one keyspace hit, on one side.
            *if on_redis { &mut self.extra_hits.0 } else { &mut self.extra_hits.1 } += 1;
        }
        None
    }

    /// SRANDMEMBER: the length, distinct members for a positive count, all members.
    fn check_srandmember(&mut self, argv: &[String], before: Option<&SetValue>, redis: &Frame, model: &Frame) {
        let members: BTreeSet<Bytes> = before.map(|s| s.members().into_iter().collect()).unwrap_or_default();
        let ok = |f: &Frame| match (argv.len(), f) {
            (2, Frame::Null) => members.is_empty(),
            (2, Frame::Bulk(b)) => members.contains(b),
            (3, Frame::Array(v)) => {
                let count: i64 = argv[2].parse().expect("errors handled before");
                let got: Vec<Bytes> = v.iter().filter_map(bulk_text).collect();
                let distinct = got.iter().collect::<BTreeSet<_>>().len() == got.len();
                let len_ok = match count {
                    _ if members.is_empty() || count == 0 => got.is_empty(),
                    ..0 => got.len() as u64 == count.unsigned_abs(),
                    _ => got.len() == (count as usize).min(members.len()) && distinct,
                };
                len_ok && got.len() == v.len() && got.iter().all(|m| members.contains(m))
            }
            _ => false,
        };
        if !same_kind(redis, model) || !ok(redis) || !ok(model) {
            self.differ("SRANDMEMBER", argv, redis, model);
        }
    }

    /// Checks an SPOP reply's properties, then makes the model hold what Redis
    /// kept, the way Redis keeps it, and compares encodings and TTLs. Returns
    /// the members popped by Redis and by the model, and the size before.
    fn check_spop(
        &mut self,
        argv: &[String],
        before: Option<&SetValue>,
        had_ttl: bool,
        redis: &Frame,
        model: &Frame,
    ) -> Option<(Vec<Bytes>, Vec<Bytes>, usize)> {
        let key = argv[1].clone();
        let members: BTreeSet<Bytes> = before.map(|s| s.members().into_iter().collect()).unwrap_or_default();
        let popped = |f: &Frame| match f {
            Frame::Null if argv.len() == 2 => Some(Vec::new()),
            Frame::Bulk(b) if argv.len() == 2 => Some(vec![b.clone()]),
            Frame::Array(v) | Frame::Set(v) if argv.len() == 3 => v.iter().map(bulk_text).collect(),
            _ => None,
        };
        let expected = match argv.get(2) {
            None => members.len().min(1),
            Some(c) => c.parse::<u64>().expect("errors handled before").min(members.len() as u64) as usize,
        };
        let valid = |p: &Vec<Bytes>| {
            p.len() == expected
                && p.iter().collect::<BTreeSet<_>>().len() == p.len()
                && p.iter().all(|m| members.contains(m))
        };
        let (Some(by_redis), Some(by_model)) = (popped(redis), popped(model)) else {
            self.differ("SPOP", argv, redis, model);
            return None;
        };
        if !same_kind(redis, model) || !valid(&by_redis) || !valid(&by_model) {
            self.differ("SPOP", argv, redis, model);
            return None;
        }
        // Before resyncing: the TTL survives any pop, and the encoding does
        // not depend on which members were drawn when the set is kept in
        // place, or when it is rebuilt from members all of one kind.
        let (size, count) = (members.len(), by_redis.len());
        let rebuilt = argv.len() == 3 && count < size && (size - count) * 5 <= count;
        let ints = members.iter().filter(|m| parse_i64(m).is_some()).count();
        self.probe("SPOP(before resync)", &["TTL", &key], ttl_class);
        if !rebuilt || ints == 0 || ints == size {
            self.probe("SPOP(before resync)", &["OBJECT", "ENCODING", &key], Frame::clone);
        }
        if count == 0 || count == size {
            // Nothing popped, or everything (both deleted the key): no drift.
            self.cover(if count == 0 { "spop of nothing" } else { "spop of everything" });
        } else {
            self.cover(if rebuilt { "spop rebuilding the set" } else { "spop in place" });
            let mut fix: Vec<Argv> = Vec::new();
            let limit = self.config.set_max_intset_entries;
            if rebuilt {
                // Redis built a new set from its survivors.
                let kept = members.iter().filter(|m| !by_redis.contains(m)).map(text);
                fix.push(words(&["DEL", &key]));
                fix.push(words(&["SADD", &key]).into_iter().chain(kept).collect());
                if had_ttl {
                    fix.push(words(&["EXPIRE", &key, "100000"]));
                }
            } else {
                // Redis removed in place: put back what only the model popped,
                // then take out what only Redis popped. Adding first keeps the
                // key alive; no limit while doing so keeps the encoding.
                self.config.set_max_intset_entries = u64::MAX;
                let back: Argv = by_model.iter().filter(|m| !by_redis.contains(m)).map(text).collect();
                let out: Argv = by_redis.iter().filter(|m| !by_model.contains(m)).map(text).collect();
                for (verb, list) in [("SADD", back), ("SREM", out)] {
                    if !list.is_empty() {
                        fix.push(words(&[verb, &key]).into_iter().chain(list).collect());
                    }
                }
            }
            // Changes made only to resync the model are not Redis's changes.
            let (dirty, effects) = (self.dirty.1, self.effects.len());
            for f in fix {
                self.model_call(&f);
            }
            self.dirty.1 = dirty;
            self.effects.truncate(effects);
            self.config.set_max_intset_entries = limit;
        }
        self.compare_key(&key, "SPOP(after)");
        Some((by_redis, by_model, size))
    }

    /// Digest (contents, type and expire flag), encoding, type and TTL presence of one key.
    fn compare_key(&mut self, key: &str, what: &str) {
        self.probe(what, &["DEBUG", "DIGEST-VALUE", key], Frame::clone);
        self.probe(what, &["OBJECT", "ENCODING", key], Frame::clone);
        self.probe(what, &["TYPE", key], Frame::clone);
        self.probe(what, &["TTL", key], ttl_class);
    }

    /// Every key, the whole dataset, keyspace hits/misses (which lookups
    /// count as reads) and the dirty counter (which decides propagation).
    fn compare_all(&mut self, what: &str) {
        for k in KEYS {
            self.compare_key(k, what);
        }
        self.probe(what, &["DEBUG", "DIGEST"], Frame::clone);
        let info = self.redis_call(&words(&["INFO", "stats", "persistence"]));
        let field = |name: &str| info_field(&info, name).expect("INFO field");
        let stats = self.model.stats();
        let redis = (field("keyspace_hits") as u64 - self.extra_hits.0, field("keyspace_misses") as u64);
        let model = (stats.keyspace_hits - self.extra_hits.1, stats.keyspace_misses);
        if redis != model {
            self.differ(what, &words(&["keyspace (hits, misses)"]), &redis, &model);
        }
        let redis_dirty = field("rdb_changes_since_last_save").wrapping_sub(self.dirty.0);
        let model_dirty = self.dirty.1;
        if redis_dirty != model_dirty {
            self.differ(what, &words(&["dirty"]), &redis_dirty, &model_dirty);
            // Count each difference once.
            self.dirty.1 = redis_dirty;
        }
    }
}

/// The random command stream.
struct Gen {
    rng: ChaCha8Rng,
    /// Chance that a member is an integer: varies per seed so that some seeds
    /// keep many intsets and others many hashtables.
    int_bias: f64,
    /// The rest of a scripted scenario, last step first.
    pending: Vec<Argv>,
}

impl Gen {
    fn pick(&mut self, from: &[&str]) -> String {
        from.choose(&mut self.rng).unwrap().to_string()
    }

    fn key(&mut self) -> String {
        if self.rng.gen_bool(0.04) {
            return "nokey".into();
        }
        self.pick(&KEYS)
    }

    /// Mostly a set key.
    fn set_key(&mut self) -> String {
        if self.rng.gen_bool(0.08) {
            return self.key();
        }
        self.pick(&KEYS[..5])
    }

    fn keys(&mut self, max: usize) -> Argv {
        (0..self.rng.gen_range(1..=max)).map(|_| self.key()).collect()
    }

    fn member(&mut self) -> String {
        if self.rng.gen_bool(self.int_bias) {
            self.pick(&INT_MEMBERS)
        } else {
            self.pick(&OTHER_MEMBERS)
        }
    }

    fn members(&mut self, max: usize) -> Argv {
        (0..self.rng.gen_range(1..=max)).map(|_| self.member()).collect()
    }

    /// `head` followed by `rest`.
    fn cmd(head: &[&str], rest: Argv) -> Argv {
        words(head).into_iter().chain(rest).collect()
    }

    /// A run of integers from `start`, and a string with probability `string`.
    fn int_run(&mut self, start: i64, max: usize, string: f64) -> Argv {
        let n = self.rng.gen_range(1..=max) as i64;
        let mut v: Argv = (start..start + n).map(|i| i.to_string()).collect();
        if self.rng.gen_bool(string) {
            v.push(self.pick(&OTHER_MEMBERS));
        }
        v
    }

    /// Short scripted sequences, with random sizes, for states the random
    /// stream rarely reaches: SDIFFSTORE's copy-then-remove algorithm (a
    /// large first set) and SPOP's rebuild of a hashtable that holds only
    /// integers.
    fn scenario(&mut self) -> Vec<Argv> {
        let mut keys = words(&KEYS[..5]);
        keys.shuffle(&mut self.rng);
        let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|i| keys[i].as_str());
        let start = self.rng.gen_range(-20..50);
        if self.rng.gen_bool(0.5) {
            let big = self.int_run(start, 40, 0.7);
            let mut small = vec![big.last().unwrap().clone()];
            if self.rng.gen_bool(0.5) {
                small.push(big[0].clone());
            }
            let mut diff = match self.rng.gen_bool(0.8) {
                true => words(&["SDIFFSTORE", if self.rng.gen_bool(0.8) { d } else { a }, a, b, c]),
                false => words(&["SDIFF", a, b, c]),
            };
            if self.rng.gen_bool(0.3) {
                diff.push(e.to_string());
            }
            let other = vec![self.member()];
            let mut steps = vec![words(&["DEL", a, b, c])];
            steps.extend([
                Self::cmd(&["SADD", a], big),
                Self::cmd(&["SADD", b], small),
                Self::cmd(&["SADD", c], other),
            ]);
            steps.push(diff);
            steps
        } else {
            let big = self.int_run(start, 40, 1.0);
            let count = self.rng.gen_range(1..=big.len() + 1).to_string();
            let mut steps = vec![words(&["DEL", a]), words(&["SREM", a, big.last().unwrap()])];
            steps.insert(1, Self::cmd(&["SADD", a], big));
            if self.rng.gen_bool(0.5) {
                steps.push(words(&["EXPIRE", a, "100000"]));
            }
            steps.push(words(&["SPOP", a, &count]));
            steps
        }
    }

    /// One command; `max_intset` sizes the runs of integers.
    fn command(&mut self, max_intset: u64) -> Argv {
        if let Some(next) = self.pending.pop() {
            return next;
        }
        match self.rng.gen_range(0..1000) {
            0..=14 => {
                self.pending = self.scenario();
                self.pending.reverse();
                self.pending.pop().unwrap()
            }
            15..=139 => Self::cmd(&["SADD", &self.set_key()], self.members(5)),
            140..=149 => {
                // A run of integers, to cross the intset limit.
                let (k, start) = (self.set_key(), self.rng.gen_range(-50..1000));
                Self::cmd(&["SADD", &k], self.int_run(start, (max_intset as usize + 10).min(700), 0.0))
            }
            150..=229 => Self::cmd(&["SREM", &self.set_key()], self.members(4)),
            230..=259 => words(&["SCARD", &self.key()]),
            260..=289 => words(&["SISMEMBER", &self.key(), &self.member()]),
            290..=319 => Self::cmd(&["SMISMEMBER", &self.key()], self.members(4)),
            320..=359 => words(&["SMEMBERS", &self.key()]),
            360..=419 => {
                let src = self.set_key();
                let dst = if self.rng.gen_bool(0.15) { src.clone() } else { self.key() };
                words(&["SMOVE", &src, &dst, &self.member()])
            }
            420..=459 => words(&["SPOP", &self.set_key()]),
            460..=519 => words(&["SPOP", &self.set_key(), &self.pick(&COUNTS)]),
            520..=549 => words(&["SRANDMEMBER", &self.key()]),
            550..=609 => words(&["SRANDMEMBER", &self.key(), &self.pick(&COUNTS)]),
            610..=639 => Self::cmd(&["SINTER"], self.keys(4)),
            640..=669 => Self::cmd(&["SUNION"], self.keys(4)),
            670..=709 => Self::cmd(&["SDIFF"], self.keys(5)),
            710..=739 => Self::cmd(&["SINTERSTORE", &self.key()], self.keys(3)),
            740..=769 => Self::cmd(&["SUNIONSTORE", &self.key()], self.keys(3)),
            770..=809 => Self::cmd(&["SDIFFSTORE", &self.key()], self.keys(5)),
            810..=859 => self.sintercard(),
            860..=909 => self.sscan(),
            910..=939 => self.wrong_arity(),
            940..=954 => words(&["SET", &self.key(), &self.member()]),
            955..=969 => words(&["DEL", &self.key()]),
            970..=984 => words(&["EXPIRE", &self.key(), "100000"]),
            985..=994 => words(&["PERSIST", &self.key()]),
            _ => words(&["SET", "str", "text"]),
        }
    }

    fn sintercard(&mut self) -> Argv {
        let keys = self.keys(4);
        let numkeys = match self.rng.gen_range(0..10) {
            0..=2 => self.pick(&["0", "-1", "x"]),
            3 => (keys.len() + 1).to_string(),
            _ => keys.len().to_string(),
        };
        let mut argv = Self::cmd(&["SINTERCARD", &numkeys], keys);
        match self.rng.gen_range(0..10) {
            0..=3 => argv.extend(["LIMIT".into(), self.pick(&["0", "1", "2", "5", "-1", "x", "9223372036854775807"])]),
            4 => argv.push("LIMIT".into()),
            5 => argv.extend(words(&["limit", "1", "LIMIT", "0"])),
            6 => argv.push("BOGUS".into()),
            _ => {}
        }
        argv
    }

    fn sscan(&mut self) -> Argv {
        let cursor = match self.rng.gen_bool(0.8) {
            true => "0".to_string(),
            false => self.pick(&["abc", "-1", "7", "", "18446744073709551615", "18446744073709551616", " 1"]),
        };
        let mut argv = words(&["SSCAN", &self.key(), &cursor]);
        for _ in 0..self.rng.gen_range(0..3) {
            match self.rng.gen_range(0..10) {
                0..=3 => argv.extend(["COUNT".into(), self.pick(&["1", "2", "3", "10", "1000", "0", "-1", "x"])]),
                4..=7 => {
                    argv.extend(["MATCH".into(), self.pick(&["*", "1*", "[a-c]", "?", "*0", "-*", "[^1]*", "[A-C]*"])])
                }
                8 => argv.extend(words(&["TYPE", "set"])),
                _ => argv.push("COUNT".into()),
            }
        }
        argv
    }

    fn wrong_arity(&mut self) -> Argv {
        let k = self.key();
        #[rustfmt::skip]
        let cases: [&[&str]; 18] = [
            &["SADD", &k], &["SREM", &k], &["SCARD"], &["SCARD", &k, "x"], &["SISMEMBER", &k], &["SMISMEMBER", &k],
            &["SMEMBERS", &k, "x"], &["SMOVE", &k, "s1"], &["SPOP"], &["SPOP", &k, "1", "2"],
            &["SRANDMEMBER", &k, "1", "x"], &["SINTERSTORE", &k], &["SINTERCARD", "1"], &["SSCAN", &k],
            &["SINTER"], &["SUNION"], &["SDIFF"], &["SDIFFSTORE"],
        ];
        words(cases.choose(&mut self.rng).unwrap())
    }
}

/// One seed: a fresh dataset on both sides, `COMMANDS_PER_SEED` commands.
fn run_seed(h: &mut Harness, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let max_intset = match seed % 4 {
        0 => 512,
        1 => rng.gen_range(0..4),
        _ => rng.gen_range(4..24),
    };
    h.start_seed(seed, max_intset);
    let mut g = Gen { rng, int_bias: [0.6, 0.8, 0.95][(seed % 3) as usize], pending: Vec::new() };
    h.step(words(&["SET", "str", "text"]));
    for i in 0..COMMANDS_PER_SEED {
        if g.rng.gen_bool(0.002) {
            h.set_limit(g.rng.gen_range(0..30));
        }
        let argv = g.command(h.config.set_max_intset_entries);
        h.step(argv);
        if i % 250 == 249 {
            h.compare_all("checkpoint");
        }
    }
    h.compare_all("end of seed");
}

fn run_seeds(seeds: std::ops::Range<u64>, proto: Protocol) {
    let server = support::RealRedis::start_with(&["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]);
    let mut h = Harness::new(&server, proto);
    for seed in seeds {
        run_seed(&mut h, seed);
    }
    println!("{proto:?}: command runs and mismatches");
    for (name, n) in &h.runs {
        println!("  {name:<12} {n:>6} runs {:>4} mismatches", h.mismatches.get(name).copied().unwrap_or(0));
    }
    for (name, n) in h.mismatches.iter().filter(|(k, _)| !h.runs.contains_key(*k)) {
        println!("  {name:<24} {n:>4} mismatches");
    }
    for s in &h.samples {
        println!("{s}");
    }
    println!("coverage: {:?}", h.coverage);
    let total: usize = h.mismatches.values().sum();
    assert_eq!(total, 0, "{total} mismatches with real Redis ({proto:?}): {:?}", h.mismatches);
    // The stream must reach the states it is meant to compare.
    #[rustfmt::skip]
    let states = [
        "on an intset", "on a hashtable", "intset converted", "stored hashtable of integers",
        "full sscan of a hashtable", "spop of nothing", "spop in place", "spop rebuilding the set",
        "spop of everything",
    ];
    for what in states {
        let n = h.coverage.get(what).copied().unwrap_or(0);
        assert!(n >= 5, "only {n} times {what}");
    }
}

#[test]
fn sets_match_redis_resp2() {
    run_seeds(0..20, Protocol::Resp2);
}

#[test]
fn sets_match_redis_resp3() {
    run_seeds(100..104, Protocol::Resp3);
}
