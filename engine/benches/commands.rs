//! What one command costs, per engine: the groundwork for "measure before you
//! optimise". Two layers are measured:
//!
//! - **engine**: pre-parsed [`Command`]s run through [`Engine::execute`] with a
//!   fresh [`Context`], the reply dropped, on a keyspace of about 105k keys
//!   (100k strings, 5k counters, 1k each of lists, hashes, sets and sorted
//!   sets, one list of 1M elements, one hash of 100k fields and one sorted
//!   set of 100k). One group per command family (`strings`, `lists`, `hashes`,
//!   `sets`, `zsets`, `generic`) plus `mixed`, a seeded mix close to
//!   redis-benchmark's default tests, run as it comes and as a pipelined
//!   client's (the engine hinted of each next 16 commands, as the node does).
//!   Parsing, propagation and encoding are not in these numbers.
//! - **node**: RESP request bytes in, reply bytes out, through
//!   [`Node::client_bytes`] and [`Node::take_actions`], one client, pipelines
//!   of 1 and 16 requests: what `redsim-server` pays per command besides the
//!   socket (parsing, table lookup, stats, propagation, encoding).
//!
//! Every engine listed by [`engines`] is measured the same way; adding the
//! optimized engine is one line there. Criterion's time per iteration is the
//! time per command (node benches declare 16 or 1 elements per iteration, so
//! divide by the pipeline depth, or read the elements/s line).
//!
//! Commands that would grow or drain the keyspace (LPUSH, LPOP, SADD, ZADD,
//! APPEND, DEL) carry an undo command run outside the timed section, so
//! every iteration sees the same keyspace however long criterion runs. The
//! commands' own arguments are read into the cache before each timed chunk
//! (see `warm_inputs`): in the server they were parsed just before running.
//!
//! `cargo bench -p redsim-engine --bench commands` (filters work as usual:
//! `-- strings/`, `-- node_P16`). Short runs for a smoke test:
//! `-- --warm-up-time 1 --measurement-time 2`.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_engine::node::{Action, ClientId, Config, ConnInfo, Node, NodeOptions, ProcessInfo};
use redsim_model::command::{Command, ParseEnv};
use redsim_model::dataset::Dataset;
use redsim_model::resp::encode::encode_request;
use redsim_model::{Context, Engine, EngineConfig, Frame, Model, Upcoming};

/// Builds a fresh, empty engine of one kind.
type MakeEngine = Box<dyn Fn() -> Box<dyn Engine>>;

/// The engines under test: the reference model and the optimized engine.
fn engines() -> Vec<(&'static str, MakeEngine)> {
    vec![
        ("model", Box::new(|| Box::new(Model::new(16)))),
        ("engine", Box::new(|| Box::new(redsim_engine::Engine::new(16)))),
    ]
}

/// The shape of the pre-filled keyspace. Sizes follow redis-benchmark's
/// defaults where it has one (3-byte values) and are otherwise "a few of
/// everything a cache holds": small collections stay in Redis's compact
/// encodings (hashes, sets), sorted sets of 200 members do not (past
/// `zset-max-listpack-entries` 128), lists hold more than LRANGE 100 reads.
const STRINGS: usize = 100_000;
const COUNTERS: usize = 5_000;
const LISTS: usize = 1_000;
const LIST_LEN: usize = 200;
/// One long list, for LINDEX in the middle: seeking by position must not
/// cost a walk over every element.
const LONG_LIST_LEN: usize = 1_000_000;
const HASHES: usize = 1_000;
const HASH_FIELDS: usize = 20;
/// Fields of `bighash`, the one large hash (a table, not a listpack).
const BIG_HASH_FIELDS: usize = 100_000;
const SETS: usize = 1_000;
const SET_MEMBERS: usize = 50;
const ZSETS: usize = 1_000;
const ZSET_MEMBERS: usize = 200;
/// Members of `bigzset`, the one large sorted set (a skiplist).
const BIG_ZSET_MEMBERS: usize = 100_000;
/// redis-benchmark's default `-d 3`.
const VALUE: &str = "xxx";
/// Commands per timed chunk: undo and [`warm_inputs`] run between chunks.
/// Small enough that a chunk's warmed inputs stay in the L2 cache.
const CHUNK: usize = 256;
/// Distinct commands drawn per benchmark before the cycle repeats.
const CYCLE: usize = 16 * 1024;
/// A fixed clock: nothing in the keyspace expires during a run.
const NOW_MS: i64 = 1_700_000_000_000;

/// One command ready to run: its argv (the Context needs it) and its parse.
struct Prepared {
    argv: Vec<Bytes>,
    cmd: Command,
}

fn prepare(words: &[&str]) -> Prepared {
    let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
    let cmd = Command::from_argv(&argv, &ParseEnv::default())
        .unwrap_or_else(|e| panic!("bench command {words:?} does not parse: {e:?}"));
    Prepared { argv, cmd }
}

/// A measured command and, if it changes the keyspace's size, the command
/// that puts it back (run untimed after its chunk, latest first).
struct Step {
    run: Prepared,
    undo: Option<Prepared>,
}

fn step(words: &[&str]) -> Step {
    Step { run: prepare(words), undo: None }
}

fn step_undo(words: &[&str], undo: &[&str]) -> Step {
    Step { run: prepare(words), undo: Some(prepare(undo)) }
}

/// An engine with its world: the node's generator and config, as the node
/// would pass them in.
struct Subject {
    engine: Box<dyn Engine>,
    rng: ChaCha8Rng,
    config: EngineConfig,
    /// Whether timed commands are announced [`LOOKAHEAD`] at a time first.
    pipelined: bool,
}

impl Subject {
    fn new(make: &MakeEngine) -> Subject {
        Subject { engine: make(), rng: ChaCha8Rng::seed_from_u64(7), config: EngineConfig::default(), pipelined: false }
    }

    /// Announces the next commands, as the node does with a pipeline.
    fn hint(&self, group: &[Step]) {
        let mut upcoming = [Upcoming::default(); LOOKAHEAD];
        for (slot, st) in upcoming.iter_mut().zip(group) {
            let arg = |i: usize| st.run.argv.get(i).map(|a| &a[..]);
            *slot = Upcoming { name: &st.run.argv[0], key: &st.run.argv[1], after: [arg(2), arg(3)] };
        }
        if group.len() > 1 {
            self.engine.prefetch(0, &upcoming[..group.len()]);
        }
    }

    fn exec(&mut self, p: &Prepared) -> Frame {
        let mut cx = Context::new(0, NOW_MS, &mut self.rng, &self.config, &p.argv);
        self.engine.execute(&mut cx, &p.cmd)
    }

    fn run_words(&mut self, words: &[&str]) -> Frame {
        let p = prepare(words);
        let reply = self.exec(&p);
        assert!(!matches!(reply, Frame::Error(_)), "{words:?} failed: {reply:?}");
        reply
    }
}

/// Fills `s` with the keyspace described by the constants above.
fn fill(s: &mut Subject) {
    for i in 0..STRINGS {
        s.run_words(&["SET", &format!("key:{i}"), VALUE]);
    }
    for i in 0..COUNTERS {
        s.run_words(&["SET", &format!("counter:{i}"), &i.to_string()]);
    }
    let elements: Vec<String> = (0..LIST_LEN).map(|j| format!("element:{j}")).collect();
    for i in 0..LISTS {
        let key = format!("list:{i}");
        let mut words = vec!["RPUSH", key.as_str()];
        words.extend(elements.iter().map(String::as_str));
        s.run_words(&words);
    }
    for chunk in 0..LONG_LIST_LEN / 1000 {
        let elements: Vec<String> = (0..1000).map(|j| format!("element:{}", chunk * 1000 + j)).collect();
        let mut words = vec!["RPUSH", "longlist"];
        words.extend(elements.iter().map(String::as_str));
        s.run_words(&words);
    }
    let hash_pairs: Vec<String> = (0..HASH_FIELDS).flat_map(|j| [format!("field:{j}"), VALUE.to_string()]).collect();
    for i in 0..HASHES {
        let key = format!("hash:{i}");
        let mut words = vec!["HSET", key.as_str()];
        words.extend(hash_pairs.iter().map(String::as_str));
        s.run_words(&words);
    }
    for chunk in 0..BIG_HASH_FIELDS / 1000 {
        let pairs: Vec<String> =
            (chunk * 1000..(chunk + 1) * 1000).flat_map(|j| [format!("field:{j}"), VALUE.to_string()]).collect();
        let mut words = vec!["HSET", "bighash"];
        words.extend(pairs.iter().map(String::as_str));
        s.run_words(&words);
    }
    // Members overlap between neighbouring sets so SINTER finds something.
    for i in 0..SETS {
        let key = format!("set:{i}");
        let members: Vec<String> = (0..SET_MEMBERS).map(|j| format!("member:{}", (i + j * 3) % 500)).collect();
        let mut words = vec!["SADD", key.as_str()];
        words.extend(members.iter().map(String::as_str));
        s.run_words(&words);
    }
    let zset_pairs: Vec<String> = (0..ZSET_MEMBERS).flat_map(|j| [j.to_string(), format!("member:{j}")]).collect();
    for i in 0..ZSETS {
        let key = format!("zset:{i}");
        let mut words = vec!["ZADD", key.as_str()];
        words.extend(zset_pairs.iter().map(String::as_str));
        s.run_words(&words);
    }
    for chunk in 0..BIG_ZSET_MEMBERS / 1000 {
        let pairs: Vec<String> =
            (chunk * 1000..(chunk + 1) * 1000).flat_map(|j| [(j % 5000).to_string(), format!("member:{j}")]).collect();
        let mut words = vec!["ZADD", "bigzset"];
        words.extend(pairs.iter().map(String::as_str));
        s.run_words(&words);
    }
}

/// A command generator: one benchmark draws `CYCLE` steps from it.
type Gen = fn(&mut ChaCha8Rng, &Scan) -> Step;

/// SCAN cursors seen on a real iteration of the filled keyspace, so SCAN is
/// measured from the middle of the keyspace, not only from cursor 0.
struct Scan {
    cursors: Vec<String>,
}

impl Scan {
    fn collect(s: &mut Subject) -> Scan {
        let mut cursors = vec!["0".to_string()];
        loop {
            let last = cursors.last().expect("starts with 0").clone();
            let reply = s.run_words(&["SCAN", &last, "COUNT", "10"]);
            let next = match reply {
                Frame::Array(mut parts) if parts.len() == 2 => match parts.swap_remove(0) {
                    Frame::Bulk(b) => String::from_utf8(b.to_vec()).expect("cursor is digits"),
                    other => panic!("SCAN cursor: {other:?}"),
                },
                other => panic!("SCAN reply: {other:?}"),
            };
            if next == "0" || cursors.len() >= 4096 {
                return Scan { cursors };
            }
            cursors.push(next);
        }
    }
}

fn key(r: &mut ChaCha8Rng) -> String {
    format!("key:{}", r.gen_range(0..STRINGS))
}

fn list(r: &mut ChaCha8Rng) -> String {
    format!("list:{}", r.gen_range(0..LISTS))
}

fn hash(r: &mut ChaCha8Rng) -> String {
    format!("hash:{}", r.gen_range(0..HASHES))
}

fn set(r: &mut ChaCha8Rng) -> String {
    format!("set:{}", r.gen_range(0..SETS))
}

fn zset(r: &mut ChaCha8Rng) -> String {
    format!("zset:{}", r.gen_range(0..ZSETS))
}

fn g_set(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["SET", &key(r), VALUE])
}

fn g_get(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["GET", &key(r)])
}

fn g_incr(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["INCR", &format!("counter:{}", r.gen_range(0..COUNTERS))])
}

fn g_append(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let k = key(r);
    step_undo(&["APPEND", &k, VALUE], &["SET", &k, VALUE])
}

fn g_mget(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    // redis-benchmark's MSET test uses 10 keys.
    let keys: Vec<String> = (0..10).map(|_| key(r)).collect();
    let mut words = vec!["MGET"];
    words.extend(keys.iter().map(String::as_str));
    step(&words)
}

fn g_lpush(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let k = list(r);
    step_undo(&["LPUSH", &k, VALUE], &["LPOP", &k])
}

fn g_lpop(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let k = list(r);
    step_undo(&["LPOP", &k], &["LPUSH", &k, "element:0"])
}

fn g_rpush(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let k = list(r);
    step_undo(&["RPUSH", &k, VALUE], &["RPOP", &k])
}

fn g_rpop(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let k = list(r);
    step_undo(&["RPOP", &k], &["RPUSH", &k, "element:199"])
}

fn g_lrange_100(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["LRANGE", &list(r), "0", "99"])
}

fn g_lindex(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["LINDEX", &list(r), &r.gen_range(0..LIST_LEN).to_string()])
}

fn g_lindex_long(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let mid = LONG_LIST_LEN / 2;
    let i = r.gen_range(mid - 1000..mid + 1000);
    step(&["LINDEX", "longlist", &i.to_string()])
}

/// LPUSH and LPOP at the head of the 1M-element list, as redis-benchmark's
/// LPUSH/LPOP tests on their one `mylist`.
fn g_lpush_long(_: &mut ChaCha8Rng, _: &Scan) -> Step {
    step_undo(&["LPUSH", "longlist", VALUE], &["LPOP", "longlist"])
}

fn g_lpop_long(_: &mut ChaCha8Rng, _: &Scan) -> Step {
    step_undo(&["LPOP", "longlist"], &["LPUSH", "longlist", "element:0"])
}

/// A new field into the 100k-field hash, as redis-benchmark's HSET test
/// grows its one `myhash`.
fn g_hset_big(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let f = format!("element:{}", r.gen_range(0..1_000_000));
    step_undo(&["HSET", "bighash", &f, VALUE], &["HDEL", "bighash", &f])
}

fn g_hset(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["HSET", &hash(r), &format!("field:{}", r.gen_range(0..HASH_FIELDS)), "yyy"])
}

fn g_hget(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["HGET", &hash(r), &format!("field:{}", r.gen_range(0..HASH_FIELDS))])
}

fn g_hgetall(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["HGETALL", &hash(r)])
}

fn g_sadd(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    // Mostly new members, as redis-benchmark's `SADD myset element:__rand_int__`.
    let (k, m) = (set(r), format!("element:{}", r.gen_range(0..1_000_000)));
    step_undo(&["SADD", &k, &m], &["SREM", &k, &m])
}

fn g_sismember(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["SISMEMBER", &set(r), &format!("member:{}", r.gen_range(0..500))])
}

fn g_smembers(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["SMEMBERS", &set(r)])
}

fn g_sinter(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["SINTER", &set(r), &set(r)])
}

fn g_zadd(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let (k, m) = (zset(r), format!("element:{}", r.gen_range(0..1_000_000)));
    step_undo(&["ZADD", &k, &r.gen_range(0..1000).to_string(), &m], &["ZREM", &k, &m])
}

fn g_zrange_byscore(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let lo = r.gen_range(0..ZSET_MEMBERS - 10);
    step(&["ZRANGE", &zset(r), &lo.to_string(), &(lo + 9).to_string(), "BYSCORE"])
}

fn g_zrank(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["ZRANK", &zset(r), &format!("member:{}", r.gen_range(0..ZSET_MEMBERS))])
}

fn g_zincrby(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["ZINCRBY", &zset(r), "1", &format!("member:{}", r.gen_range(0..ZSET_MEMBERS))])
}

fn g_zadd_big(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let m = format!("element:{}", r.gen_range(0..1_000_000));
    step_undo(&["ZADD", "bigzset", &r.gen_range(0..5000).to_string(), &m], &["ZREM", "bigzset", &m])
}

fn g_zscore_big(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["ZSCORE", "bigzset", &format!("member:{}", r.gen_range(0..BIG_ZSET_MEMBERS))])
}

fn g_zrank_big(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["ZRANK", "bigzset", &format!("member:{}", r.gen_range(0..BIG_ZSET_MEMBERS))])
}

fn g_zrange_big(_: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["ZRANGE", "bigzset", "0", "99"])
}

fn g_exists(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    // About one in ten misses.
    step(&["EXISTS", &format!("key:{}", r.gen_range(0..STRINGS + STRINGS / 10))])
}

fn g_expire(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    step(&["EXPIRE", &key(r), "3600"])
}

fn g_del(r: &mut ChaCha8Rng, _: &Scan) -> Step {
    let k = key(r);
    step_undo(&["DEL", &k], &["SET", &k, VALUE])
}

fn g_scan(r: &mut ChaCha8Rng, scan: &Scan) -> Step {
    step(&["SCAN", &scan.cursors[r.gen_range(0..scan.cursors.len())], "COUNT", "10"])
}

/// Roughly redis-benchmark's default test list, weighted by how many of its
/// tests touch each command (PING never reaches an engine; its LRANGE_300..600
/// are folded into LRANGE 100; MSET's reads as MGET).
fn g_mixed(r: &mut ChaCha8Rng, scan: &Scan) -> Step {
    const MIX: &[(u32, Gen)] = &[
        (20, g_set),
        (20, g_get),
        (8, g_incr),
        (8, g_lpush),
        (8, g_lpop),
        (8, g_sadd),
        (8, g_hset),
        (8, g_zadd),
        (8, g_lrange_100),
        (4, g_mget),
    ];
    let total: u32 = MIX.iter().map(|(w, _)| w).sum();
    let mut pick = r.gen_range(0..total);
    for (w, g) in MIX {
        if pick < *w {
            return g(r, scan);
        }
        pick -= w;
    }
    unreachable!("pick < total")
}

const FAMILIES: &[(&str, &[(&str, Gen)])] = &[
    ("strings", &[("SET", g_set), ("GET", g_get), ("INCR", g_incr), ("APPEND", g_append), ("MGET_10", g_mget)]),
    (
        "lists",
        &[
            ("LPUSH", g_lpush),
            ("RPUSH", g_rpush),
            ("LPOP", g_lpop),
            ("RPOP", g_rpop),
            ("LRANGE_100", g_lrange_100),
            ("LINDEX", g_lindex),
            ("LINDEX_MID_1M", g_lindex_long),
            ("LPUSH_1M", g_lpush_long),
            ("LPOP_1M", g_lpop_long),
        ],
    ),
    ("hashes", &[("HSET", g_hset), ("HGET", g_hget), ("HGETALL_20", g_hgetall), ("HSET_100K", g_hset_big)]),
    ("sets", &[("SADD", g_sadd), ("SISMEMBER", g_sismember), ("SMEMBERS_50", g_smembers), ("SINTER_2x50", g_sinter)]),
    (
        "zsets",
        &[
            ("ZADD", g_zadd),
            ("ZRANGE_BYSCORE_10", g_zrange_byscore),
            ("ZRANK", g_zrank),
            ("ZINCRBY", g_zincrby),
            ("ZADD_100K", g_zadd_big),
            ("ZSCORE_100K", g_zscore_big),
            ("ZRANK_100K", g_zrank_big),
            ("ZRANGE_0_99_100K", g_zrange_big),
        ],
    ),
    ("generic", &[("EXISTS", g_exists), ("EXPIRE", g_expire), ("DEL", g_del), ("SCAN_10", g_scan)]),
    ("mixed", &[("redis-benchmark-like", g_mixed), (PIPELINED_MIX, g_mixed)]),
];

/// The mix again, with the engine told of each next 16 commands before they
/// run ([`Engine::prefetch`]), as the node does for a client's pipelined
/// requests (`redis-benchmark -P 16`). The hint's own cost is timed. The
/// model ignores hints, so its side of this row is the plain mix.
const PIPELINED_MIX: &str = "redis-benchmark-like-P16";

/// Commands hinted at a time in [`PIPELINED_MIX`] (the node's `LOOKAHEAD`).
const LOOKAHEAD: usize = 16;

/// Reads a chunk's prepared commands (argv bytes and parse) into the cache,
/// untimed. In the server a command runs right after its request was read
/// and parsed, so its arguments are in the cache; the 16k prepared commands
/// of a cycle are not, and without this each command's first touch of its
/// own arguments (the key bytes, the parse) is a miss that neither engine
/// would pay in the server. The keyspace itself is left as cold as it is.
fn warm_inputs(chunk: &[Step]) {
    let mut sum = 0u8;
    for st in chunk {
        for arg in &st.run.argv {
            sum = arg.iter().fold(sum, |a, b| a.wrapping_add(*b));
        }
        drop(std::hint::black_box(st.run.cmd.clone()));
    }
    std::hint::black_box(sum);
}

/// Time and count per command name (argv[0]), for [`ratio_report`]'s breakdown.
type PerCommand = BTreeMap<Vec<u8>, (Duration, u64)>;

/// Runs `iters` steps from `cycle` starting at `*pos`, timing only the
/// measured commands; undo and input warming run between chunks, outside
/// the clock.
fn run_steps(s: &mut Subject, cycle: &[Step], pos: &mut usize, iters: u64) -> Duration {
    run_steps_with(s, cycle, pos, iters, None)
}

/// [`run_steps`], and with `each` also each command timed on its own and
/// added up by name (the clock read per command is in those times).
fn run_steps_with(
    s: &mut Subject,
    cycle: &[Step],
    pos: &mut usize,
    iters: u64,
    mut each: Option<&mut PerCommand>,
) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut left = iters as usize;
    while left > 0 {
        let start_at = *pos;
        let n = left.min(CHUNK).min(cycle.len() - start_at);
        let chunk = &cycle[start_at..start_at + n];
        warm_inputs(chunk);
        let group_len = if s.pipelined { LOOKAHEAD } else { chunk.len() };
        let t = Instant::now();
        for group in chunk.chunks(group_len) {
            match each.as_deref_mut() {
                None => {
                    if s.pipelined {
                        s.hint(group);
                    }
                    for st in group {
                        std::hint::black_box(s.exec(&st.run));
                    }
                }
                Some(each) => {
                    if s.pipelined {
                        let one = Instant::now();
                        s.hint(group);
                        add_time(each, b"(prefetch hint)", one.elapsed(), 0);
                    }
                    for st in group {
                        let one = Instant::now();
                        std::hint::black_box(s.exec(&st.run));
                        add_time(each, &st.run.argv[0], one.elapsed(), 1);
                    }
                }
            }
        }
        elapsed += t.elapsed();
        for st in chunk.iter().rev() {
            if let Some(u) = &st.undo {
                s.exec(u);
            }
        }
        left -= n;
        *pos = (start_at + n) % cycle.len();
    }
    elapsed
}

fn add_time(each: &mut PerCommand, name: &[u8], took: Duration, count: u64) {
    match each.get_mut(name) {
        Some(e) => *e = (e.0 + took, e.1 + count),
        None => drop(each.insert(name.to_vec(), (took, count))),
    }
}

/// The filled keyspace of one engine and the SCAN cursors seen on it, built
/// on first use so that a filtered run (`-- strings/GET`) fills only once and
/// only if something selected needs it.
struct Base<'a> {
    make: &'a MakeEngine,
    cell: OnceCell<(Dataset, Scan)>,
}

impl Base<'_> {
    fn get(&self) -> &(Dataset, Scan) {
        self.cell.get_or_init(|| {
            let mut s = Subject::new(self.make);
            fill(&mut s);
            let scan = Scan::collect(&mut s);
            (s.engine.snapshot(), scan)
        })
    }

    /// A fresh engine holding the filled keyspace: each benchmark gets its
    /// own, so none sees another's leftovers (EXPIRE's TTLs, APPEND's growth).
    fn engine(&self) -> Box<dyn Engine> {
        let mut engine = (self.make)();
        engine.load(self.get().0.clone());
        engine
    }
}

/// One benchmark's state, made when criterion first runs it (criterion skips
/// the closures of benchmarks its filter leaves out).
struct EngineCase {
    subject: Subject,
    cycle: Vec<Step>,
    pos: usize,
}

impl EngineCase {
    fn new(base: &Base, case: &str, gen: Gen) -> EngineCase {
        let mut subject = Subject::new(base.make);
        subject.engine = base.engine();
        subject.pipelined = case == PIPELINED_MIX;
        let mut r = ChaCha8Rng::seed_from_u64(2024);
        let cycle: Vec<Step> = (0..CYCLE).map(|_| gen(&mut r, &base.get().1)).collect();
        // The first chunk runs once untimed, checked for errors.
        for st in &cycle[..CHUNK] {
            let reply = subject.exec(&st.run);
            assert!(!matches!(reply, Frame::Error(_)), "{case}: {:?} -> {reply:?}", st.run.argv);
        }
        for st in cycle[..CHUNK].iter().rev() {
            if let Some(u) = &st.undo {
                subject.exec(u);
            }
        }
        EngineCase { subject, cycle, pos: 0 }
    }
}

fn bench_engine(c: &mut Criterion, engine_name: &str, base: &Base) {
    for (family, cases) in FAMILIES {
        let mut group = c.benchmark_group(*family);
        group.throughput(Throughput::Elements(1));
        for (case, gen) in cases.iter() {
            let mut state: Option<EngineCase> = None;
            group.bench_function(BenchmarkId::new(*case, engine_name), |b| {
                let st = state.get_or_insert_with(|| EngineCase::new(base, case, *gen));
                b.iter_custom(|iters| run_steps(&mut st.subject, &st.cycle, &mut st.pos, iters))
            });
        }
        group.finish();
    }
}

/// A node around `engine`, configured as `redsim-server --save ''` is, and
/// never started: no disk, no AOF, as with `--appendonly no`.
fn node_with(engine: Box<dyn Engine>) -> Node {
    let mut config = Config::new();
    config.load_text("save \"\"\n").expect("bench config loads");
    let opts = NodeOptions { seed: 7, now_ms: NOW_MS, config, process: ProcessInfo::default() };
    Node::with_engine(opts, engine)
}

/// Pipelines of `depth` requests drawn from `gen`, RESP-encoded as a client
/// library sends them. The node path has no undo, so only commands that keep
/// the keyspace's size are used here.
fn node_batches(gen: Gen, depth: usize, scan: &Scan) -> Vec<Vec<u8>> {
    let mut r = ChaCha8Rng::seed_from_u64(2024);
    (0..CYCLE / depth)
        .map(|_| {
            let mut out = Vec::new();
            for _ in 0..depth {
                let st = gen(&mut r, scan);
                assert!(st.undo.is_none(), "node benches use commands without undo");
                encode_request(&st.run.argv, &mut out);
            }
            out
        })
        .collect()
}

/// One node benchmark's state, made on first use like [`EngineCase`].
struct NodeCase {
    node: Node,
    client: ClientId,
    batches: Vec<Vec<u8>>,
    next: usize,
}

impl NodeCase {
    fn new(base: &Base, case: &str, gen: Gen, depth: usize) -> NodeCase {
        let mut node = node_with(base.engine());
        let client = node.client_connected(ConnInfo::local("127.0.0.1:50000", "127.0.0.1:6379"), NOW_MS);
        let batches = node_batches(gen, depth, &base.get().1);
        // Check once that requests get replies and the first is no error.
        node.client_bytes(client, &batches[0], NOW_MS);
        let replies: Vec<u8> = node
            .take_actions()
            .into_iter()
            .flat_map(|a| match a {
                Action::Send { bytes, .. } => bytes,
                _ => Vec::new(),
            })
            .collect();
        assert!(!replies.is_empty() && !replies.starts_with(b"-"), "{case}: {:?}", String::from_utf8_lossy(&replies));
        NodeCase { node, client, batches, next: 1 }
    }

    /// One pipeline in, its replies out: what a server's read event costs.
    fn round(&mut self) -> Vec<Action> {
        let batch = &self.batches[self.next];
        self.next = (self.next + 1) % self.batches.len();
        self.node.client_bytes(self.client, batch, NOW_MS);
        // redsim-server leaves the propagation stream to grow (nothing
        // consumes it before replication exists); here it is emptied so a
        // long run does not fill memory.
        drop(self.node.take_propagated());
        self.node.take_actions()
    }
}

fn bench_node(c: &mut Criterion, engine_name: &str, base: &Base) {
    const CASES: &[(&str, Gen)] = &[
        ("SET", g_set),
        ("GET", g_get),
        ("INCR", g_incr),
        ("HSET", g_hset),
        ("LRANGE_100", g_lrange_100),
        ("MGET_10", g_mget),
    ];
    for depth in [1usize, 16] {
        let mut group = c.benchmark_group(format!("node_P{depth}"));
        group.throughput(Throughput::Elements(depth as u64));
        for (case, gen) in CASES {
            let mut state: Option<NodeCase> = None;
            group.bench_function(BenchmarkId::new(*case, engine_name), |b| {
                let st = state.get_or_insert_with(|| NodeCase::new(base, case, *gen, depth));
                b.iter(|| st.round())
            });
        }
        group.finish();
    }
}

fn bench(c: &mut Criterion) {
    for (engine_name, make) in engines() {
        let base = Base { make: &make, cell: OnceCell::new() };
        bench_engine(c, engine_name, &base);
        bench_node(c, engine_name, &base);
    }
}

/// `REDSIM_BENCH_RATIO=1 cargo bench -p redsim-engine --bench commands [-- FILTER]`:
/// for each engine-level benchmark whose `family/case` name contains
/// FILTER (default `mixed/`), the model and the engine run the same
/// commands in alternating rounds, and the median of the rounds' speed-ups is
/// printed. On a shared machine whose speed drifts by ±25% between criterion
/// runs, rounds of a few milliseconds side by side see the same machine, so
/// the ratio holds still where two separate criterion means do not.
///
/// With `REDSIM_BENCH_BREAKDOWN=1` as well, each command of the rounds is
/// also timed on its own and a table per bench says where each engine's
/// time goes by command name (what the mix's ratio is made of); those
/// rounds carry two clock reads per command, so their totals run higher.
fn ratio_report(filter: &str, breakdown: bool) {
    const ROUNDS: usize = 41;
    let [model, engine]: [(&str, MakeEngine); 2] = engines().try_into().ok().expect("two engines");
    let bases = [Base { make: &model.1, cell: OnceCell::new() }, Base { make: &engine.1, cell: OnceCell::new() }];
    println!("| bench | {} | {} | speed-up (median of {ROUNDS} rounds) | lowest, highest |", model.0, engine.0);
    println!("| --- | ---: | ---: | ---: | --- |");
    for (family, cases) in FAMILIES {
        for (case, gen) in cases.iter() {
            let name = format!("{family}/{case}");
            if !name.contains(filter) {
                continue;
            }
            let mut subjects = bases.each_ref().map(|b| EngineCase::new(b, case, *gen));
            // Rounds of about 10 ms on the slower engine (the model, where
            // one ZRANGE over 100k members takes milliseconds).
            let st = &mut subjects[0];
            let probe = run_steps(&mut st.subject, &st.cycle, &mut st.pos, 64).as_nanos() as u64 / 64;
            let per_round = (10_000_000 / probe.max(1)).clamp(16, CYCLE as u64);
            let mut per_cmd = [Vec::new(), Vec::new()];
            let mut by_name = [PerCommand::new(), PerCommand::new()];
            for round in 0..ROUNDS {
                // Alternate which engine goes first, so neither always follows the other.
                for i in [round % 2, 1 - round % 2] {
                    let st = &mut subjects[i];
                    // Untimed, so the round starts from this engine's own steady state
                    // (its hot structures back in the cache after the other's round),
                    // as in criterion, where one engine runs alone for seconds.
                    run_steps(&mut st.subject, &st.cycle, &mut st.pos, per_round / 2);
                    let each = breakdown.then_some(&mut by_name[i]);
                    let took = run_steps_with(&mut st.subject, &st.cycle, &mut st.pos, per_round, each);
                    per_cmd[i].push(took.as_nanos() as f64 / per_round as f64);
                }
            }
            let mut ratios: Vec<f64> = per_cmd[0].iter().zip(&per_cmd[1]).map(|(m, e)| m / e).collect();
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (lo, hi) =
                (ratios.iter().copied().fold(f64::MAX, f64::min), ratios.iter().copied().fold(0.0, f64::max));
            let (m, e) = (median(&mut per_cmd[0]), median(&mut per_cmd[1]));
            println!("| {name} | {m:.0} ns | {e:.0} ns | {:.2}× | {lo:.2}–{hi:.2}× |", median(&mut ratios));
            if breakdown {
                print_breakdown(&name, [model.0, engine.0], &by_name);
            }
        }
    }
}

/// The per-command table of one bench for [`ratio_report`]: each command's
/// share of the commands run, its mean time on each engine, the speed-up, and
/// its share of each engine's time. A pipelined bench's hints get a row of
/// their own (engine time only: they are no command, and the model ignores them).
fn print_breakdown(bench: &str, names: [&str; 2], by_name: &[PerCommand; 2]) {
    let total = |m: &PerCommand| m.values().map(|(t, _)| t.as_nanos() as f64).sum::<f64>();
    let totals = [total(&by_name[0]), total(&by_name[1])];
    let count: u64 = by_name[1].values().map(|(_, n)| n).sum();
    let mean = |e: Option<&(Duration, u64)>| e.filter(|(_, n)| *n > 0).map(|(t, n)| t.as_nanos() as f64 / *n as f64);
    let ns = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.0} ns"));
    let share = |i: usize, e: Option<&(Duration, u64)>| {
        e.map_or("–".to_string(), |(t, _)| format!("{:.0}%", 100.0 * t.as_nanos() as f64 / totals[i]))
    };
    println!();
    println!("{bench}, by command (each timed on its own):");
    println!();
    println!(
        "| command | share of commands | {0} | {1} | speed-up | share of {0} time | share of {1} time |",
        names[0], names[1]
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (cmd, engine_entry) in &by_name[1] {
        let model_entry = by_name[0].get(cmd);
        let (m, e) = (mean(model_entry), mean(Some(engine_entry)));
        let speedup = m.zip(e).map_or("–".to_string(), |(m, e)| format!("{:.2}×", m / e));
        println!(
            "| {} | {:.0}% | {} | {} | {speedup} | {} | {} |",
            String::from_utf8_lossy(cmd),
            100.0 * engine_entry.1 as f64 / count as f64,
            ns(m),
            ns(e),
            share(0, model_entry),
            share(1, Some(engine_entry)),
        );
    }
    println!();
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("REDSIM_BENCH_RATIO").is_some() {
        // The filter is the first argument that is not a flag (cargo bench passes `--bench`).
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "mixed/".into());
        ratio_report(&filter, std::env::var_os("REDSIM_BENCH_BREAKDOWN").is_some());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
