//! Helpers shared by the RDB tests: scratch directories, the Redis tools,
//! a model driven by command lines, a seeded dataset of every type and
//! encoding, and key-by-key comparison with a real server.

#![allow(dead_code)] // each test crate uses a different part

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::dataset::Dataset;
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

use crate::support::{RealConn, RealRedis};

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("redsim-rdb-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Unix time in ms now: keys given TTLs must still be alive when a real
/// server loads them (a master drops expired keys while loading).
pub fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as i64
}

/// Runs `redis-check-rdb` on `path`; panics with its output unless it says the file is fine.
pub fn redis_check_rdb(path: &Path) {
    let out = Process::new("redis-check-rdb")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run redis-check-rdb (Redis 7.0 must be installed for this test): {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("RDB looks OK"), "redis-check-rdb rejected {path:?}:\n{text}");
}

/// A real server loading `dir/file` at startup, with DEBUG enabled; waits until loading is over.
pub fn server_on(dir: &TempDir, file: &str, extra: &[&str]) -> (RealRedis, RealConn) {
    let dir_s = dir.0.to_str().expect("utf-8 temp path").to_string();
    let mut args = vec!["--dir", &dir_s, "--dbfilename", file, "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    let server = RealRedis::start_with(&args);
    let mut conn = server.connect();
    for _ in 0..500 {
        match conn.call(&["PING"]) {
            Frame::Simple(s) if s == "PONG" => return (server, conn),
            Frame::Error(e) if e.starts_with("LOADING") => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => panic!("redis-server failed to load {file}: {other:?}"),
        }
    }
    panic!("redis-server still loading {file}");
}

pub fn b(s: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(s.as_ref())
}

/// A model fed command lines, with a fixed clock.
pub struct Runner {
    pub model: Model,
    pub config: EngineConfig,
    pub rng: ChaCha8Rng,
    pub now_ms: i64,
}

impl Runner {
    pub fn new(now_ms: i64) -> Runner {
        Runner { model: Model::new(16), config: EngineConfig::default(), rng: ChaCha8Rng::seed_from_u64(7), now_ms }
    }

    pub fn run(&mut self, db: usize, argv: &[Bytes]) -> Frame {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        let cmd = match name.as_str() {
            "DEBUG" if argv.len() == 2 => Command::DebugDigest,
            "DEBUG" => Command::DebugDigestValue { keys: argv[2..].to_vec() },
            _ => Command::from_argv(argv, &ParseEnv::default()).expect("valid command"),
        };
        let mut cx = Context::new(db, self.now_ms, &mut self.rng, &self.config, argv);
        self.model.execute(&mut cx, &cmd)
    }

    pub fn model_snapshot(&self) -> Dataset {
        self.model.snapshot()
    }

    pub fn digest(&mut self) -> Frame {
        self.run(0, &[b("DEBUG"), b("DIGEST")])
    }

    /// A model holding `dataset`.
    pub fn with_dataset(dataset: Dataset, now_ms: i64) -> Runner {
        let mut r = Runner::new(now_ms);
        r.model.load(dataset);
        r
    }
}

/// A value a little compressible: words from a small vocabulary.
fn wordy(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    const WORDS: [&str; 8] = ["alpha ", "beta ", "gamma ", "delta ", "x", "yy", "0", "42 "];
    let mut s = Vec::new();
    while s.len() < len {
        s.extend_from_slice(WORDS[rng.gen_range(0..WORDS.len())].as_bytes());
    }
    s.truncate(len);
    s
}

fn random_bytes(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.gen()).collect()
}

/// Commands building a dataset with every type and encoding: strings int
/// (shared, 32-bit, 64-bit), embstr, raw, long, binary; short and long lists
/// (several quicklist nodes, big elements); intset and hashtable sets;
/// listpack and hashtable hashes; listpack and skiplist sorted sets with
/// ±inf and -0; TTLs; several databases; and values whose encoding changes
/// on reload (hashtables shrunk back to small sizes). TTLs are absolute,
/// an hour or more after `now_ms`.
pub fn seeded_commands(seed: u64, now_ms: i64) -> Vec<(usize, Vec<Bytes>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out: Vec<(usize, Vec<Bytes>)> = Vec::new();
    let mut cmd = |db: usize, parts: Vec<Vec<u8>>| out.push((db, parts.into_iter().map(Bytes::from).collect()));
    let v = |s: &str| s.as_bytes().to_vec();
    let k = |prefix: &str, i: usize| format!("{prefix}:{seed}:{i}").into_bytes();

    // Strings.
    let strings: Vec<Vec<u8>> = vec![
        v("7"),
        v("9999"),
        v("10000"),
        v("-1"),
        v("-129"),
        v("40000"),
        v("-2147483648"),
        v("2147483648"),
        v("9223372036854775807"),
        v("007"),
        v("-0"),
        v("12345678901234567890123"),
        v(""),
        v("hello"),
        wordy(&mut rng, 44),
        wordy(&mut rng, 45),
        wordy(&mut rng, 3000),
        random_bytes(&mut rng, 300),
        vec![0, 255, 13, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        vec![b'a'; 100_000],
    ];
    for (i, s) in strings.into_iter().enumerate() {
        cmd(0, vec![v("SET"), k("str", i), s]);
    }
    cmd(0, vec![v("APPEND"), k("str-appended", 0), v("abc")]);
    cmd(0, vec![v("SETRANGE"), k("str-appended", 1), v("5"), v("xyz")]);
    cmd(0, vec![v("INCRBY"), k("str-counter", 0), v("77")]);

    // Lists.
    cmd(0, vec![v("RPUSH"), k("list", 0), v("a"), v("1"), v("300"), v("-5"), v("70000"), v("")]);
    let mut long = vec![v("RPUSH"), k("list", 1)];
    for _ in 0..3000 {
        let len = rng.gen_range(0..40);
        long.push(if rng.gen_bool(0.3) {
            rng.gen_range(-100_000i64..100_000).to_string().into_bytes()
        } else {
            wordy(&mut rng, len)
        });
    }
    cmd(0, long);
    let mut big = vec![v("LPUSH"), k("list", 2)];
    for i in 0..20 {
        big.push(if i % 5 == 0 { wordy(&mut rng, 9000) } else { wordy(&mut rng, 500) });
    }
    cmd(0, big);
    let mut ints = vec![v("RPUSH"), k("list", 3)];
    for e in [0i64, 127, 128, -4096, 4095, 32767, -32769, 8388607, 8388608, i32::MIN as i64, i64::MAX, i64::MIN] {
        ints.push(e.to_string().into_bytes());
    }
    cmd(0, ints);

    // Sets.
    cmd(0, vec![v("SADD"), k("set", 0), v("1"), v("2"), v("300"), v("-70000")]);
    cmd(0, vec![v("SADD"), k("set", 1), v("9223372036854775807"), v("-9223372036854775808"), v("0")]);
    cmd(0, vec![v("SADD"), k("set", 2), v("apple"), v("1"), wordy(&mut rng, 80)]);
    let mut many = vec![v("SADD"), k("set", 3)];
    many.extend((0..600).map(|i| (i * 3).to_string().into_bytes()));
    cmd(0, many);
    // A hashtable set shrunk back to integers: an intset again after reload.
    cmd(0, vec![v("SADD"), k("set", 4), v("5"), v("x"), v("6")]);
    cmd(0, vec![v("SREM"), k("set", 4), v("x")]);

    // Hashes.
    cmd(1, vec![v("HSET"), k("hash", 0), v("f"), v("1"), v("g"), v("xyz"), v("n"), v("-123456789")]);
    let mut wide = vec![v("HSET"), k("hash", 1)];
    for i in 0..600 {
        wide.push(format!("field{i}").into_bytes());
        wide.push(wordy(&mut rng, i % 30));
    }
    cmd(1, wide);
    cmd(1, vec![v("HSET"), k("hash", 2), v("short"), v("1"), v("long"), wordy(&mut rng, 65)]);
    // A hashtable hash back under the limits: a listpack again after reload.
    cmd(1, vec![v("HSET"), k("hash", 3), v("a"), v("1"), v("big"), wordy(&mut rng, 200)]);
    cmd(1, vec![v("HDEL"), k("hash", 3), v("big")]);

    // Sorted sets.
    cmd(
        2,
        vec![
            v("ZADD"),
            k("zset", 0),
            v("-0"),
            v("negzero"),
            v("1.5"),
            v("half"),
            v("inf"),
            v("top"),
            v("-inf"),
            v("bottom"),
            v("1e20"),
            v("huge"),
            v("3"),
            v("three"),
            v("0.1"),
            v("tenth"),
        ],
    );
    cmd(2, vec![v("ZADD"), k("zset", 1), v("-0"), wordy(&mut rng, 70), v("2.5"), v("b"), v("-inf"), v("c")]);
    let mut zmany = vec![v("ZADD"), k("zset", 2)];
    for i in 0..200 {
        let score = match i % 4 {
            0 => format!("{}", rng.gen_range(-1000..1000)),
            1 => format!("{}", rng.gen::<f64>() * 1e6 - 5e5),
            2 => "-0".to_string(),
            _ => format!("{}", i),
        };
        zmany.push(score.into_bytes());
        zmany.push(format!("member-{i}").into_bytes());
    }
    zmany.extend([v("inf"), v("plus-inf"), v("-inf"), v("minus-inf")]);
    cmd(2, zmany);
    // A skiplist back under the limits: a listpack again after reload.
    cmd(2, vec![v("ZADD"), k("zset", 3), v("1"), v("a"), v("2"), wordy(&mut rng, 100)]);
    cmd(2, vec![v("ZREMRANGEBYRANK"), k("zset", 3), v("1"), v("1")]);

    // Expire times (absolute, well in the future) and a key in a high database.
    let ttl_base = now_ms + 3_600_000;
    for (i, key) in [k("str", 13), k("list", 0), k("set", 0), k("str", 16)].into_iter().enumerate() {
        cmd(0, vec![v("PEXPIREAT"), key, (ttl_base + i as i64 * 1_000_003).to_string().into_bytes()]);
    }
    cmd(1, vec![v("PEXPIREAT"), k("hash", 1), (ttl_base + 77).to_string().into_bytes()]);
    cmd(15, vec![v("SET"), k("last-db", 0), v("bye")]);
    cmd(15, vec![v("PEXPIREAT"), k("last-db", 0), (ttl_base + 5).to_string().into_bytes()]);
    out
}

/// Every (type, encoding) a Redis 7.0 value can have.
pub const ALL_KINDS: [(&str, &str); 10] = [
    ("string", "int"),
    ("string", "embstr"),
    ("string", "raw"),
    ("list", "quicklist"),
    ("set", "intset"),
    ("set", "hashtable"),
    ("hash", "listpack"),
    ("hash", "hashtable"),
    ("zset", "listpack"),
    ("zset", "skiplist"),
];

/// Panics unless the runner holds a value of every kind in [`ALL_KINDS`].
pub fn assert_all_kinds(runner: &Runner) {
    let seen: std::collections::BTreeSet<(&str, &str)> = runner
        .model
        .dbs()
        .iter()
        .flat_map(|d| d.iter().map(|(_, e)| (e.value.type_name(), e.value.encoding_name())))
        .collect();
    for kind in ALL_KINDS {
        assert!(seen.contains(&kind), "the dataset has no {kind:?} value");
    }
}

/// Applies `commands` to a runner.
pub fn apply(runner: &mut Runner, commands: &[(usize, Vec<Bytes>)]) {
    for (db, argv) in commands {
        let reply = runner.run(*db, argv);
        assert!(!matches!(reply, Frame::Error(_)), "{argv:?} failed on the model: {reply:?}");
    }
}

/// Checks every key of `runner` against the server: TYPE, OBJECT ENCODING,
/// DEBUG DIGEST-VALUE, PTTL (within `ttl_slack_ms`), key counts per
/// database, and DEBUG DIGEST of everything. Returns the number of keys.
pub fn assert_same_as_server(runner: &mut Runner, conn: &mut RealConn, wall_now: i64, ttl_slack_ms: i64) -> usize {
    let mut checked = 0;
    for db in 0..16 {
        assert_eq!(conn.call(&[b("SELECT"), b(db.to_string())]), Frame::simple("OK"));
        let expected_size = runner.model.dbs()[db].len() as i64;
        assert_eq!(conn.call(&["DBSIZE"]), Frame::Integer(expected_size), "DBSIZE of db {db}");
        let keys: Vec<(Bytes, redsim_model::reference::Entry)> =
            runner.model.dbs()[db].iter().map(|(k, e)| (k.clone(), e.clone())).collect();
        for (key, entry) in keys {
            let ctx = format!("db {db} key {:?}", String::from_utf8_lossy(&key));
            assert_eq!(conn.call(&[b("TYPE"), key.clone()]), Frame::simple(entry.value.type_name()), "TYPE of {ctx}");
            assert_eq!(
                conn.call(&[b("OBJECT"), b("ENCODING"), key.clone()]),
                Frame::Bulk(b(entry.value.encoding_name())),
                "OBJECT ENCODING of {ctx}"
            );
            let ours = runner.model.value_digest(db, &key);
            assert_eq!(
                conn.call(&[b("DEBUG"), b("DIGEST-VALUE"), key.clone()]),
                Frame::Array(vec![Frame::simple(ours.clone())]),
                "DEBUG DIGEST-VALUE of {ctx}"
            );
            let Frame::Integer(pttl) = conn.call(&[b("PTTL"), key.clone()]) else { panic!("PTTL of {ctx}") };
            match entry.expire_at {
                None => assert_eq!(pttl, -1, "PTTL of {ctx}"),
                Some(at) => {
                    let want = at - wall_now;
                    assert!((pttl - want).abs() <= ttl_slack_ms, "PTTL of {ctx}: server {pttl}, expected ~{want}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(conn.call(&["DEBUG", "DIGEST"]), runner.digest(), "DEBUG DIGEST of the dataset");
    checked
}
