//! The effect stream is enough to rebuild the dataset.
//!
//! A seeded random stream of commands of every implemented group runs on one model
//! (the master); everything it propagates is applied, in order, to a second
//! model running as a replica. The two datasets must then hold the same keys,
//! values and expire times. This is what AOF and replication rely on: EXPIRE
//! must become PEXPIREAT, SET EX must become SET PXAT, INCRBYFLOAT a SET,
//! SPOP an SREM, LMPOP an LPOP, and every key removed by expiry a DEL.

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::{Context, Effect, Engine, EngineConfig, Model};

const KEYS: &[&str] = &["a", "b", "c", "n", "f", "{t}x", "{t}y"];
const VALUES: &[&str] = &["", "1", "-7", "10.5", "hello", "0", "9999", "10000", "3.0e2"];

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

/// One random command line; some are invalid on purpose (errors propagate nothing).
fn random_command(rng: &mut ChaCha8Rng, now_ms: i64) -> Vec<String> {
    let k = pick(rng, KEYS).to_string();
    let k2 = pick(rng, KEYS).to_string();
    let v = pick(rng, VALUES).to_string();
    let small = rng.gen_range(1..200).to_string();
    let at_ms = (now_ms + rng.gen_range(-100..300)).to_string();
    let m = pick(rng, VALUES).to_string();
    let count = rng.gen_range(1..4).to_string();
    let line: Vec<&str> = match rng.gen_range(0..60) {
        0 => vec!["SET", &k, &v],
        1 => vec!["SET", &k, &v, "PX", &small],
        2 => vec!["SET", &k, &v, "EX", "1", "GET"],
        3 => vec!["SET", &k, &v, "NX", "KEEPTTL"],
        4 => vec!["SET", &k, &v, "XX", "PXAT", &at_ms],
        5 => vec!["SETEX", &k, "1", &v],
        6 => vec!["PSETEX", &k, &small, &v],
        7 => vec!["SETNX", &k, &v],
        8 => vec!["GETSET", &k, &v],
        9 => vec!["GETDEL", &k],
        10 => vec!["GETEX", &k, "PX", &small],
        11 => vec!["GETEX", &k, "PERSIST"],
        12 => vec!["GETEX", &k, "PXAT", &at_ms],
        13 => vec!["APPEND", &k, &v],
        14 => vec!["SETRANGE", &k, "3", &v],
        15 => vec!["INCR", &k],
        16 => vec!["DECRBY", &k, "5"],
        17 => vec!["INCRBYFLOAT", &k, "1.5"],
        18 => vec!["MSET", &k, &v, &k2, "2"],
        19 => vec!["MSETNX", &k, &v, &k2, "x"],
        20 => vec!["DEL", &k, &k2],
        21 => vec!["EXPIRE", &k, "1"],
        22 => vec!["PEXPIRE", &k, &small, "GT"],
        23 => vec!["PEXPIREAT", &k, &at_ms],
        24 => vec!["PERSIST", &k],
        25 => vec!["RENAME", &k, &k2],
        26 => vec!["COPY", &k, &k2, "REPLACE"],
        27 => vec!["MOVE", &k, "1"],
        28 => vec!["GET", &k],
        29 => vec!["EXISTS", &k, &k2],
        30 => vec!["RPUSH", &k, &v, &m],
        31 => vec!["LPOP", &k, &count],
        32 => vec!["LMOVE", &k, &k2, "LEFT", "RIGHT"],
        33 => vec!["LMPOP", "2", &k, &k2, "RIGHT", "COUNT", &count],
        34 => vec!["BLPOP", &k, &k2, "0.01"],
        35 => vec!["LTRIM", &k, "1", "-2"],
        36 => vec!["LREM", &k, "-1", &v],
        37 => vec!["HSET", &k, &v, &m, "f", &small],
        38 => vec!["HDEL", &k, &v, "f"],
        39 => vec!["HINCRBYFLOAT", &k, "f", "0.25"],
        40 => vec!["HINCRBY", &k, "g", "-3"],
        41 => vec!["SADD", &k, &v, &m, "7"],
        42 => vec!["SPOP", &k],
        43 => vec!["SPOP", &k, &count],
        44 => vec!["SREM", &k, &v],
        45 => vec!["SMOVE", &k, &k2, &m],
        46 => vec!["SINTERSTORE", &k2, &k, &k2],
        47 => vec!["SUNIONSTORE", &k, &k, &k2],
        48 => vec!["ZADD", &k, &small, &v, "1.5", &m],
        49 => vec!["ZADD", &k, "INCR", "2", &v],
        50 => vec!["ZINCRBY", &k, "-1", &m],
        51 => vec!["ZPOPMIN", &k, &count],
        52 => vec!["ZMPOP", "2", &k, &k2, "MAX"],
        53 => vec!["BZPOPMAX", &k, "0.01"],
        54 => vec!["ZUNIONSTORE", &k2, "2", &k, &k2, "WEIGHTS", "2", "1"],
        55 => vec!["ZRANGESTORE", &k2, &k, "0", "1"],
        56 => vec!["ZREMRANGEBYSCORE", &k, "-inf", "(2"],
        57 => vec!["SORT", &k, "ALPHA", "STORE", &k2],
        58 => vec!["LSET", &k, "0", &v],
        _ => vec!["LINSERT", &k, "BEFORE", &v, &m],
    };
    line.into_iter().map(String::from).collect()
}

/// A client session on the replica: applies effects, following SELECT.
struct Replica {
    model: Model,
    config: EngineConfig,
    db: usize,
    rng: ChaCha8Rng,
}

impl Replica {
    fn apply(&mut self, effect: &Effect, now_ms: i64) {
        let name = effect.argv[0].to_ascii_uppercase();
        if name == b"MULTI" || name == b"EXEC" {
            return;
        }
        self.db = effect.db;
        let cmd = Command::from_argv(&effect.argv, &ParseEnv::default())
            .unwrap_or_else(|e| panic!("propagated command does not parse: {:?}: {e}", effect.argv));
        let mut cx = Context::new(self.db, now_ms, &mut self.rng, &self.config, &effect.argv);
        let reply = self.model.execute(&mut cx, &cmd);
        assert!(!reply.is_error(), "replica rejected {:?}: {reply:?}", effect.argv);
    }
}

/// Keys, value digests and expire times of every database (digests, not
/// encodings: a replica may encode a value differently, as in Redis).
fn dataset(model: &Model) -> Vec<(usize, Bytes, String, Option<i64>)> {
    let mut out = Vec::new();
    for (i, db) in model.dbs().iter().enumerate() {
        for (k, e) in db.iter() {
            out.push((i, k.clone(), model.value_digest(i, k), e.expire_at));
        }
    }
    out.sort();
    out
}

/// Runs one seed; returns the number of keys left, so the caller can check the
/// runs did not trivially end empty, and adds the propagated command names to `seen`.
fn run(seed: u64, commands: usize, seen: &mut std::collections::BTreeSet<String>) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut master = Model::new(16);
    let master_config = EngineConfig::default();
    let mut master_rng = ChaCha8Rng::seed_from_u64(seed ^ 1);
    let mut replica = Replica {
        model: Model::new(16),
        config: EngineConfig { is_master: false, ..EngineConfig::default() },
        db: 0,
        rng: ChaCha8Rng::seed_from_u64(seed ^ 2),
    };
    let mut now_ms: i64 = 1_700_000_000_000;
    let mut propagated = 0;
    for i in 0..commands {
        now_ms += rng.gen_range(0..40);
        let db = if rng.gen_bool(0.9) { 0 } else { 1 };
        let line = random_command(&mut rng, now_ms);
        let argv: Vec<Bytes> = line.iter().map(|s| Bytes::from(s.clone())).collect();
        let effects = match Command::from_argv(&argv, &ParseEnv::default()) {
            Ok(cmd) => {
                let mut cx = Context::new(db, now_ms, &mut master_rng, &master_config, &argv);
                // One client and nobody to wake it: blocking commands answer at once.
                cx.may_block = false;
                master.execute(&mut cx, &cmd);
                cx.into_effects()
            }
            Err(_) => Vec::new(),
        };
        let mut effects = effects;
        if i % 10 == 0 {
            let mut cx = Context::new(0, now_ms, &mut master_rng, &master_config, &[]);
            master.active_expire_cycle(&mut cx);
            effects.extend(cx.effects);
        }
        for e in &effects {
            seen.insert(String::from_utf8_lossy(&e.argv[0]).to_ascii_uppercase());
            replica.apply(e, now_ms);
            propagated += 1;
        }
    }
    assert!(propagated > commands / 4, "seed {seed}: too few effects ({propagated}) to mean anything");
    assert_eq!(dataset(&master), dataset(&replica.model), "seed {seed}: replica diverged from master");
    dataset(&master).len()
}

#[test]
fn effect_stream_rebuilds_the_dataset() {
    let mut seen = std::collections::BTreeSet::new();
    let non_empty = (0..40).filter(|&seed| run(seed, 3000, &mut seen) > 0).count();
    assert!(non_empty >= 30, "only {non_empty} of 40 runs ended with keys: the comparison proves little");
    // The rewritten forms must actually have been exercised.
    for name in ["PEXPIREAT", "DEL", "MULTI", "SREM", "LPOP", "RPOP", "ZPOPMAX", "HSET", "SET", "SORT", "ZUNIONSTORE"] {
        assert!(seen.contains(name), "no {name} was ever propagated; seen: {seen:?}");
    }
}

#[test]
fn expire_propagates_as_pexpireat_and_set_ex_as_pxat() {
    let mut m = Model::new(16);
    let config = EngineConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let now = 1_000_000;
    let mut exec = |line: &[&str]| -> Vec<Vec<Bytes>> {
        let argv: Vec<Bytes> = line.iter().map(|s| Bytes::from(s.to_string())).collect();
        let cmd = Command::from_argv(&argv, &ParseEnv::default()).unwrap();
        let mut cx = Context::new(0, now, &mut rng, &config, &argv);
        m.execute(&mut cx, &cmd);
        cx.into_effects().into_iter().map(|e| e.argv).collect()
    };
    let b = |xs: &[&str]| -> Vec<Bytes> { xs.iter().map(|s| Bytes::from(s.to_string())).collect() };
    assert_eq!(exec(&["SET", "k", "v", "EX", "10"]), vec![b(&["SET", "k", "v", "PXAT", "1010000"])]);
    assert_eq!(exec(&["expire", "k", "5", "GT"]), Vec::<Vec<Bytes>>::new(), "GT refuses a shorter TTL");
    assert_eq!(exec(&["expire", "k", "20"]), vec![b(&["PEXPIREAT", "k", "1020000"])]);
    assert_eq!(exec(&["INCRBYFLOAT", "n", "1.5"]).len(), 1);
    assert_eq!(exec(&["GETEX", "k", "PERSIST"]), vec![b(&["PERSIST", "k"])]);
    assert_eq!(exec(&["GETSET", "k", "w"]), vec![b(&["SET", "k", "w"])]);
    assert_eq!(exec(&["PEXPIREAT", "k", "1"]), vec![b(&["DEL", "k"])]);
    assert_eq!(exec(&["GET", "k"]), Vec::<Vec<Bytes>>::new(), "reads propagate nothing");
}
