//! DUMP and RESTORE against a real Redis: payloads travel both ways, and
//! RESTORE's options, errors and effects match.

mod support;

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

const NOW_MS: i64 = 1_700_000_000_000;

struct Pair {
    model: Model,
    redis: support::RealConn,
    config: EngineConfig,
    rng: ChaCha8Rng,
    effects: Vec<Vec<Bytes>>,
}

impl Pair {
    fn model(&mut self, argv: &[Bytes]) -> Frame {
        let cmd = match Command::from_argv(argv, &ParseEnv::default()) {
            Ok(c) => c,
            Err(e) => return e.into(),
        };
        let mut cx = Context::new(0, NOW_MS, &mut self.rng, &self.config, argv);
        let reply = self.model.execute(&mut cx, &cmd);
        self.effects.extend(cx.into_effects().into_iter().map(|e| e.argv));
        reply
    }

    fn both(&mut self, argv: &[Bytes]) -> (Frame, Frame) {
        (self.model(argv), self.redis.call(argv))
    }

    fn same(&mut self, words: &[&[u8]]) -> Frame {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w)).collect();
        let (ours, theirs) = self.both(&argv);
        assert_eq!(ours, theirs, "{:?}", words.iter().map(|w| String::from_utf8_lossy(w)).collect::<Vec<_>>());
        ours
    }
}

fn bulk(f: Frame) -> Vec<u8> {
    match f {
        Frame::Bulk(b) => b.to_vec(),
        other => panic!("expected a bulk payload, got {other:?}"),
    }
}

#[test]
fn dump_and_restore_match_redis() {
    let server = support::RealRedis::start_with(&["--enable-debug-command", "yes"]);
    let mut p = Pair {
        model: Model::new(16),
        redis: server.connect(),
        config: EngineConfig::default(),
        rng: ChaCha8Rng::seed_from_u64(9),
        effects: Vec::new(),
    };
    // One key of each type and encoding, built on both sides.
    let long = "x".repeat(300);
    let setup: Vec<Vec<&[u8]>> = vec![
        vec![b"SET", b"s:int", b"12345"],
        vec![b"SET", b"s:raw", long.as_bytes()],
        vec![b"RPUSH", b"l", b"a", b"b", b"3"],
        vec![b"SADD", b"si", b"1", b"2", b"3"],
        vec![b"SADD", b"sh", b"a", b"b"],
        vec![b"HSET", b"h", b"f", b"v", b"g", b"7"],
        vec![b"ZADD", b"z", b"1.5", b"a", b"-2", b"b"],
    ];
    for line in &setup {
        p.same(line);
    }
    let keys: [&[u8]; 7] = [b"s:int", b"s:raw", b"l", b"si", b"sh", b"h", b"z"];
    for key in keys {
        let ours = bulk(p.model(&[Bytes::from_static(b"DUMP"), Bytes::copy_from_slice(key)]));
        let theirs = bulk(p.redis.call(&[&b"DUMP"[..], key]));
        // Each side restores the other's payload under a new name.
        let copy = [b"copy:".as_slice(), key].concat();
        let restore_theirs =
            [Bytes::from_static(b"RESTORE"), Bytes::from(copy.clone()), Bytes::from_static(b"0"), Bytes::from(theirs)];
        assert_eq!(p.model(&restore_theirs), Frame::ok(), "redsim restoring Redis's DUMP of {key:?}");
        let restore_ours = [&b"RESTORE"[..], &copy, b"0", &ours];
        assert_eq!(p.redis.call(&restore_ours), Frame::ok(), "Redis restoring redsim's DUMP of {key:?}");
        p.same(&[b"DEBUG", b"DIGEST-VALUE", &copy]);
        p.same(&[b"OBJECT", b"ENCODING", &copy]);
    }
    let payload = bulk(p.same(&[b"DUMP", b"h"]));
    // Errors, in Redis's order.
    p.same(&[b"RESTORE", b"h", b"0", &payload]);
    p.same(&[b"RESTORE", b"new", b"x", &payload]);
    p.same(&[b"RESTORE", b"new", b"-1", &payload]);
    p.same(&[b"RESTORE", b"new", b"0", b"garbage"]);
    let mut bad_body = payload.clone();
    bad_body[1] ^= 0xff;
    p.same(&[b"RESTORE", b"new", b"0", &bad_body]);
    p.same(&[b"RESTORE", b"new", b"0", &payload, b"IDLETIME", b"-1"]);
    p.same(&[b"RESTORE", b"new", b"0", &payload, b"FREQ", b"256"]);
    p.same(&[b"RESTORE", b"new", b"0", &payload, b"IDLETIME", b"1", b"FREQ", b"1"]);
    p.same(&[b"RESTORE", b"new", b"0", &payload, b"BOGUS"]);
    p.same(&[b"DUMP", b"missing"]);
    // Options that succeed.
    p.same(&[b"RESTORE", b"h", b"0", &payload, b"REPLACE"]);
    p.same(&[b"RESTORE", b"idle", b"0", &payload, b"IDLETIME", b"1000"]);
    p.same(&[b"OBJECT", b"IDLETIME", b"idle"]);
    p.same(&[b"RESTORE", b"gone", b"1000", &payload, b"ABSTTL"]);
    p.same(&[b"EXISTS", b"gone"]);
    p.same(&[b"RESTORE", b"h", b"1000", &payload, b"ABSTTL", b"REPLACE"]);
    p.same(&[b"EXISTS", b"h"]);
    p.same(&[b"DEBUG", b"DIGEST"]);
    // Effects: a relative TTL reaches replicas as an absolute one.
    p.effects.clear();
    p.model(&[
        Bytes::from_static(b"RESTORE"),
        Bytes::from_static(b"t"),
        Bytes::from_static(b"5000"),
        Bytes::from(payload.clone()),
    ]);
    assert_eq!(
        p.effects,
        vec![vec![
            Bytes::from_static(b"RESTORE"),
            Bytes::from_static(b"t"),
            Bytes::from((NOW_MS + 5000).to_string()),
            Bytes::from(payload),
            Bytes::from_static(b"ABSTTL"),
        ]]
    );
}
