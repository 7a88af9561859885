//! Running both engines side by side and comparing what the node could
//! observe: replies, effects, touched keys, dirty counts, blocking,
//! statistics, INFO keyspace, key states, and at the end the datasets.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use redsim_engine::Engine as Optimized;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::dataset::Dataset;
use redsim_model::engine::{Effect, KeyspaceStats};
use redsim_model::{BlockOn, Context, Engine, EngineConfig, Frame, Model};

use super::ops::{Op, Setting, Words, KEYS, START_MS};
use crate::tally;

pub const DATABASES: usize = 16;

/// Keys "somebody waits on" where a command runs with `Context::interest`:
/// two of the generated keys and one never generated.
const INTEREST: &[&str] = &["k1", "w_a", "never-generated"];

/// What one command did, as the node sees it.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub reply: Frame,
    pub effects: Vec<Effect>,
    pub touched: Vec<(usize, Bytes)>,
    pub dirty: u64,
    pub block: Option<BlockOn>,
}

pub fn run_on(
    engine: &mut dyn Engine,
    config: &EngineConfig,
    (db, now, seed): (usize, i64, u64),
    argv: &[Bytes],
    cmd: &Command,
    may_block: bool,
) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cx = Context::new(db, now, &mut rng, config, argv);
    cx.may_block = may_block;
    // Every other command runs as under a node where some keys are watched
    // (FLUSHALL and SWAPDB then log only those), the rest as without one.
    let watched = |_db: usize| INTEREST.iter().map(|k| Bytes::from_static(k.as_bytes())).collect();
    if seed % 2 == 1 {
        cx.interest = Some(&watched);
    }
    let reply = engine.execute(&mut cx, cmd);
    let touched = std::mem::take(&mut cx.touched);
    let block = cx.block.take();
    let dirty = cx.dirty;
    Outcome { reply, effects: cx.into_effects(), touched, dirty, block }
}

pub fn cycle_on(engine: &mut dyn Engine, config: &EngineConfig, now: i64, seed: u64) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cx = Context::new(0, now, &mut rng, config, &[]);
    engine.active_expire_cycle(&mut cx);
    // The node's tick follows expiry with the upkeep (rehashing, lazy freeing).
    engine.upkeep();
    Outcome {
        reply: Frame::Null,
        effects: std::mem::take(&mut cx.effects),
        touched: std::mem::take(&mut cx.touched),
        dirty: cx.dirty,
        block: None,
    }
}

/// What a replica's `swapdb` load does, with the engine's own dataset as
/// the snapshot: loaded into an empty engine of its kind, then swapped in.
fn swap_in_a_copy(engine: &mut dyn Engine) {
    let data = engine.snapshot();
    let mut temp = engine.empty_like();
    for (db, records) in data.dbs.into_iter().enumerate() {
        temp.reserve(db, records.len());
        let loaded = temp.load_records(records.into_iter().map(|r| (db, r)).collect());
        assert!(loaded.is_ok(), "a snapshot holds each key once");
    }
    engine.swap_in(temp);
}

pub fn show(words: &[Vec<u8>]) -> String {
    words
        .iter()
        .map(|w| {
            let s = String::from_utf8_lossy(w);
            if w.is_empty() || s.contains(' ') || s.contains('\u{fffd}') {
                format!("{:?}", s)
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

pub fn keys_of(reply: &Frame) -> Vec<Bytes> {
    match reply {
        Frame::Array(items) => {
            items.iter().map(|f| if let Frame::Bulk(b) = f { b.clone() } else { panic!("not a key: {f:?}") }).collect()
        }
        Frame::Bulks(strings) => strings.iter().map(Bytes::copy_from_slice).collect(),
        other => panic!("not an array of keys: {other:?}"),
    }
}

pub struct Pair {
    pub model: Model,
    pub engine: Optimized,
    pub config: EngineConfig,
    pub now: i64,
    pub seed: u64,
    pub step: u64,
    pub trace: String,
}

impl Pair {
    pub fn new(seed: u64) -> Pair {
        Pair {
            model: Model::new(DATABASES),
            engine: Optimized::new(DATABASES),
            config: EngineConfig::default(),
            now: START_MS + (seed % 1_000_000) as i64,
            seed,
            step: 0,
            trace: String::new(),
        }
    }

    pub fn fail(&self, what: String) -> String {
        format!("{what}\n--- sequence (seed {}) ---\n{}", self.seed, self.trace)
    }

    pub fn step_seed(&self) -> u64 {
        self.seed ^ self.step.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    pub fn parse(words: &[Vec<u8>]) -> Option<(Vec<Bytes>, Command)> {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w)).collect();
        // Parse errors never reach an engine.
        let cmd = Command::from_argv(&argv, &ParseEnv::default()).ok()?;
        Some((argv, cmd))
    }

    /// Runs a command on both engines; the outcomes, compared.
    pub fn both(
        &mut self,
        db: usize,
        words: &[Vec<u8>],
        may_block: bool,
    ) -> Result<Option<(Outcome, Outcome)>, String> {
        let Some((argv, cmd)) = Self::parse(words) else { return Ok(None) };
        let at = (db, self.now, self.step_seed());
        let m = run_on(&mut self.model, &self.config, at, &argv, &cmd, may_block);
        let e = run_on(&mut self.engine, &self.config, at, &argv, &cmd, may_block);
        tally(words, &m.reply);
        let name = String::from_utf8_lossy(&words[0]).to_ascii_uppercase();
        let unordered = matches!(name.as_str(), "FLUSHDB" | "FLUSHALL" | "SWAPDB");
        let (mr, er) =
            if name == "KEYS" { (sorted(&keys_of(&m.reply)), sorted(&keys_of(&e.reply))) } else { (vec![], vec![]) };
        if name == "KEYS" {
            if mr != er {
                return Err(format!("KEYS differ:\nmodel  {mr:?}\nengine {er:?}"));
            }
        } else if m.reply != e.reply {
            return Err(format!("replies differ:\nmodel  {:?}\nengine {:?}", m.reply, e.reply));
        }
        if m.effects != e.effects {
            return Err(format!("effects differ:\nmodel  {:?}\nengine {:?}", m.effects, e.effects));
        }
        let touched_equal = if unordered { sorted(&m.touched) == sorted(&e.touched) } else { m.touched == e.touched };
        if !touched_equal {
            return Err(format!("touched keys differ:\nmodel  {:?}\nengine {:?}", m.touched, e.touched));
        }
        if (m.dirty, &m.block) != (e.dirty, &e.block) {
            return Err(format!(
                "dirty/block differ: model {} {:?}, engine {} {:?}",
                m.dirty, m.block, e.dirty, e.block
            ));
        }
        Ok(Some((m, e)))
    }

    pub fn apply(&mut self, op: &Op) -> Result<(), String> {
        self.step += 1;
        match op {
            Op::Cmd { db, words, may_block } => {
                let _ = writeln!(self.trace, "[db{db}{}] {}", if *may_block { "" } else { " no-block" }, show(words));
                self.both(*db, words, *may_block)?;
            }
            Op::Advance(ms) => {
                let _ = writeln!(self.trace, "(clock +{ms} ms)");
                self.now += ms;
            }
            Op::ActiveExpire => {
                let _ = writeln!(self.trace, "(active expire cycle)");
                self.apply_cycle()?;
            }
            Op::Set(s) => {
                let _ = writeln!(self.trace, "(config {s:?})");
                let c = &mut self.config;
                match *s {
                    Setting::Policy(p) => c.maxmemory_policy = p,
                    Setting::Maxmemory(m) => c.maxmemory = m,
                    Setting::LazyExpire(b) => c.lazyfree_lazy_expire = b,
                    Setting::LazyUserDel(b) => c.lazyfree_lazy_user_del = b,
                    Setting::Master(b) => c.is_master = b,
                    Setting::Replaying(b) => c.replaying = b,
                    Setting::ProtoMaxBulkLen(n) => c.proto_max_bulk_len = n,
                    Setting::SmallEncodings(small) => {
                        let d = EngineConfig::default();
                        let pick = |a: u64, b: u64| if small { a } else { b };
                        c.hash_max_listpack_entries = pick(2, d.hash_max_listpack_entries);
                        c.set_max_intset_entries = pick(2, d.set_max_intset_entries);
                        c.zset_max_listpack_entries = pick(2, d.zset_max_listpack_entries);
                        c.hash_max_listpack_value = pick(3, d.hash_max_listpack_value);
                    }
                    Setting::Compression(b) => c.rdb_compression = b,
                    Setting::ListFill(n) => c.list_max_listpack_size = n,
                    Setting::HashLimits(entries, value) => {
                        c.hash_max_listpack_entries = entries;
                        c.hash_max_listpack_value = value;
                    }
                    Setting::IntsetLimit(n) => c.set_max_intset_entries = n,
                    Setting::ZSetLimits(entries, value) => {
                        c.zset_max_listpack_entries = entries;
                        c.zset_max_listpack_value = value;
                    }
                }
            }
            Op::ScanAll { db, options } => {
                let _ = writeln!(self.trace, "[db{db}] SCAN to completion {}", show(options));
                self.scan_all(*db, options)?;
            }
            Op::ScanChurn { db, count, churn } => {
                let _ = writeln!(self.trace, "[db{db}] SCAN COUNT {count} with {} changes between steps", churn.len());
                self.scan_churn(*db, *count, churn)?;
            }
            Op::RandomKey { db } => {
                let _ = writeln!(self.trace, "[db{db}] RANDOMKEY");
                self.randomkey(*db)?;
            }
            Op::SwapIn => {
                let _ = writeln!(self.trace, "(dataset reloaded beside itself and swapped in)");
                swap_in_a_copy(&mut self.model);
                swap_in_a_copy(&mut self.engine);
            }
        }
        self.check_state()
    }

    /// One engine's SCAN from 0 to completion: the keys, effects, touched
    /// keys and dirty count of all its steps.
    pub fn scan_one(
        engine: &mut dyn Engine,
        config: &EngineConfig,
        at: (usize, i64, u64),
        options: &[Vec<u8>],
    ) -> Result<(Vec<Bytes>, Outcome), String> {
        let mut all = Outcome { reply: Frame::Null, effects: vec![], touched: vec![], dirty: 0, block: None };
        let mut keys = Vec::new();
        let mut cursor = b"0".to_vec();
        for _ in 0..100_000 {
            let mut words = vec![b"SCAN".to_vec(), cursor.clone()];
            words.extend(options.iter().cloned());
            let Some((argv, cmd)) = Pair::parse(&words) else { return Ok((keys, all)) };
            let o = run_on(engine, config, at, &argv, &cmd, true);
            let Frame::Array(parts) = &o.reply else { return Err(format!("SCAN replied {:?}", o.reply)) };
            let Frame::Bulk(next) = &parts[0] else { return Err(format!("SCAN cursor {:?}", parts[0])) };
            keys.extend(keys_of(&parts[1]));
            all.effects.extend(o.effects);
            all.touched.extend(o.touched);
            all.dirty += o.dirty;
            if &next[..] == b"0" {
                return Ok((keys, all));
            }
            cursor = next.to_vec();
        }
        Err("SCAN did not finish".into())
    }

    pub fn scan_all(&mut self, db: usize, options: &[Vec<u8>]) -> Result<(), String> {
        let at = (db, self.now, self.step_seed());
        let (mk, mo) = Self::scan_one(&mut self.model, &self.config, at, options)?;
        let (ek, eo) = Self::scan_one(&mut self.engine, &self.config, at, options)?;
        if sorted(&mk) != sorted(&ek) {
            return Err(format!("SCAN keys differ:\nmodel  {:?}\nengine {:?}", sorted(&mk), sorted(&ek)));
        }
        // The two tables yield keys in different orders, so the expired keys
        // a SCAN deletes fall into different calls, each call's DELs wrapped
        // in MULTI/EXEC when there are several: compare the DELs alone.
        let deletions = |o: &Outcome| {
            let dels =
                o.effects.iter().filter(|e| !matches!(&e.argv[..], [w] if &w[..] == b"MULTI" || &w[..] == b"EXEC"));
            sorted(&dels.map(|e| format!("{e:?}")).collect::<Vec<_>>())
        };
        if deletions(&mo) != deletions(&eo) || sorted(&mo.touched) != sorted(&eo.touched) || mo.dirty != eo.dirty {
            return Err(format!("SCAN side effects differ:\nmodel  {mo:?}\nengine {eo:?}"));
        }
        Ok(())
    }

    /// SCAN with changes between its steps, on each engine separately (their
    /// cursors differ); the changes are compared as usual. Each engine must
    /// return every key present from the first step to the last, and
    /// nothing that was never there.
    pub fn scan_churn(&mut self, db: usize, count: u64, churn: &[Words]) -> Result<(), String> {
        // Each SCAN deletes the expired keys it meets, and the two walks
        // meet them at different times: collect them first so that the
        // changes between steps find the same keys on both.
        self.collect_expired(db)?;
        // Keys already expired are not "present": SCAN deletes them as it meets them.
        let live_keys =
            |this: &Pair| -> BTreeSet<Bytes> { this.peek_keys(db).into_iter().filter(|k| this.live(db, k)).collect() };
        let mut ever: BTreeSet<Bytes> = self.peek_keys(db).into_iter().collect();
        let mut survivors = live_keys(self);
        let mut cursors = [b"0".to_vec(), b"0".to_vec()];
        let mut returned: [BTreeSet<Bytes>; 2] = [BTreeSet::new(), BTreeSet::new()];
        let mut done = [false, false];
        // One change after each of the first steps, so that they land while
        // the walk is under way.
        let mut changes = churn.iter();
        for _ in 0..100_000 {
            let at = (db, self.now, self.step_seed());
            for (i, engine) in [&mut self.model as &mut dyn Engine, &mut self.engine].into_iter().enumerate() {
                if done[i] {
                    continue;
                }
                let words =
                    vec![b"SCAN".to_vec(), cursors[i].clone(), b"COUNT".to_vec(), count.to_string().into_bytes()];
                let (argv, cmd) = Self::parse(&words).expect("SCAN parses");
                let o = run_on(engine, &self.config, at, &argv, &cmd, true);
                let Frame::Array(parts) = &o.reply else { return Err(format!("SCAN replied {:?}", o.reply)) };
                let Frame::Bulk(next) = &parts[0] else { return Err(format!("SCAN cursor {:?}", parts[0])) };
                returned[i].extend(keys_of(&parts[1]));
                cursors[i] = next.to_vec();
                done[i] = &next[..] == b"0";
            }
            if done == [true, true] {
                break;
            }
            if let Some(words) = changes.next() {
                self.both(db, words, true)?;
                let now_live = live_keys(self);
                survivors = survivors.intersection(&now_live).cloned().collect();
                ever.extend(self.peek_keys(db));
            }
        }
        for (i, name) in ["model", "engine"].iter().enumerate() {
            if let Some(k) = survivors.iter().find(|k| !returned[i].contains(*k)) {
                return Err(format!("{name}'s SCAN missed {k:?}, present throughout"));
            }
            if let Some(k) = returned[i].iter().find(|k| !ever.contains(*k)) {
                return Err(format!("{name}'s SCAN returned {k:?}, never there"));
            }
        }
        Ok(())
    }

    /// Runs active expire cycles until `db` holds no expired key.
    pub fn collect_expired(&mut self, db: usize) -> Result<(), String> {
        if !self.config.is_master || self.config.replaying {
            return Ok(());
        }
        while self.peek_keys(db).iter().any(|k| !self.live(db, k)) {
            let _ = writeln!(self.trace, "(active expire cycle)");
            self.apply_cycle()?;
        }
        Ok(())
    }

    pub fn apply_cycle(&mut self) -> Result<(), String> {
        let seed = self.step_seed();
        let m = cycle_on(&mut self.model, &self.config, self.now, seed);
        let e = cycle_on(&mut self.engine, &self.config, self.now, seed);
        if m != e {
            return Err(format!("active expire differs:\nmodel  {m:?}\nengine {e:?}"));
        }
        Ok(())
    }

    /// The keys stored in `db` (expired ones included), from the model.
    pub fn peek_keys(&self, db: usize) -> Vec<Bytes> {
        self.model.dbs()[db].keys().cloned().collect()
    }

    pub fn randomkey(&mut self, db: usize) -> Result<(), String> {
        // RANDOMKEY deletes the expired keys it draws, and the two engines
        // draw differently: collect expired keys first so both start alike.
        self.collect_expired(db)?;
        let words = vec![b"RANDOMKEY".to_vec()];
        let (argv, cmd) = Self::parse(&words).expect("RANDOMKEY parses");
        let at = (db, self.now, self.step_seed());
        let live: BTreeSet<Bytes> = self.peek_keys(db).into_iter().filter(|k| self.live(db, k)).collect();
        let stored: BTreeSet<Bytes> = self.peek_keys(db).into_iter().collect();
        // Replaying, nothing expires; a replica may answer an expired key
        // after 100 tries.
        let lenient = self.config.replaying || !self.config.is_master;
        for (name, engine) in [("model", &mut self.model as &mut dyn Engine), ("engine", &mut self.engine)] {
            let o = run_on(engine, &self.config, at, &argv, &cmd, true);
            match &o.reply {
                Frame::Null if stored.is_empty() => {}
                Frame::Bulk(k) if live.contains(k) || (lenient && stored.contains(k)) => {}
                other => return Err(format!("{name}'s RANDOMKEY answered {other:?}; live keys {live:?}")),
            }
        }
        Ok(())
    }

    pub fn live(&self, db: usize, key: &[u8]) -> bool {
        self.model.key_state(db, key, self.now) == redsim_model::KeyState::Live
    }

    /// What the node can read without running a command must agree too.
    pub fn check_state(&self) -> Result<(), String> {
        // The lazyfree counters depend on when each engine frees, not on the dataset.
        let compared =
            |e: &dyn Engine| KeyspaceStats { lazyfree_pending_objects: 0, lazyfreed_objects: 0, ..e.stats() };
        if compared(&self.model) != compared(&self.engine) {
            return Err(format!("stats differ:\nmodel  {:?}\nengine {:?}", self.model.stats(), self.engine.stats()));
        }
        if self.model.db_info(self.now) != self.engine.db_info(self.now) {
            return Err(format!(
                "INFO keyspace differs:\nmodel  {:?}\nengine {:?}",
                self.model.db_info(self.now),
                self.engine.db_info(self.now)
            ));
        }
        for db in 0..3 {
            for key in KEYS {
                let k = key.as_bytes();
                let (ms, es) = (self.model.key_state(db, k, self.now), self.engine.key_state(db, k, self.now));
                let (mt, et) = (self.model.type_name(db, k, self.now), self.engine.type_name(db, k, self.now));
                if (ms, mt) != (es, et) {
                    return Err(format!("db{db} {key}: model {ms:?} {mt:?}, engine {es:?} {et:?}"));
                }
            }
        }
        Ok(())
    }

    /// The datasets, record by record, and DEBUG DIGEST.
    pub fn check_datasets(&mut self) -> Result<(), String> {
        let canonical = |d: Dataset| -> Vec<Vec<String>> {
            d.dbs
                .into_iter()
                .map(|records| {
                    let mut rs: Vec<String> = records
                        .into_iter()
                        .map(|r| format!("{:?} {:?} expire_at={:?} lru={}", r.key, r.value, r.expire_at, r.lru))
                        .collect();
                    rs.sort();
                    rs
                })
                .collect()
        };
        let (m, e) = (canonical(self.model.snapshot()), canonical(self.engine.snapshot()));
        if m != e {
            for (db, (mr, er)) in m.iter().zip(&e).enumerate() {
                if mr != er {
                    return Err(format!("datasets differ in db{db}:\nmodel  {mr:#?}\nengine {er:#?}"));
                }
            }
        }
        let digest = vec![b"DEBUG".to_vec(), b"DIGEST".to_vec()];
        self.both(0, &digest, true)?;
        Ok(())
    }
}
