//! The one interface both engines implement: the reference `Model` here and the
//! optimized `Engine` in the `engine` crate.
//!
//! An engine owns the keyspace (16 databases of keys, values and expire times)
//! and nothing else: clients, configuration, replication and persistence live in
//! the node core. Everything an engine needs from the outside world comes in
//! through [`Context`]: the time, a seeded random generator, and the settings
//! that change command behaviour. That is what makes every run replayable.

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;

use crate::command::Command;
use crate::resp::Frame;

/// What one command needs from the world while it runs, and what it tells the
/// world besides its reply.
pub struct Context<'a> {
    /// The client's selected database.
    pub db: usize,
    /// Unix time in milliseconds. Fixed for the duration of one command, as in
    /// Redis, so that a key cannot expire half-way through a command.
    pub now_ms: i64,
    /// The node's seeded generator: RANDOMKEY, SPOP and friends draw from it.
    pub rng: &'a mut ChaCha8Rng,
    /// Settings that change what commands do.
    pub config: &'a EngineConfig,
    /// The command as the client sent it: what is propagated when the command
    /// changed the dataset and did not rewrite itself.
    pub argv: &'a [Bytes],
    /// Effects propagated during the command, before the command itself
    /// (Redis's `alsoPropagate`): DELs of keys found expired on access.
    pub effects: Vec<Effect>,
    /// The command's own effect form when it differs from argv
    /// (Redis's `rewriteClientCommandVector`: `SET k v EX 10` → `SET k v PXAT t`).
    pub rewritten: Option<Vec<Bytes>>,
    /// Changes made (Redis's `server.dirty`). A command is propagated only if
    /// it changed something; lazy expiry alone does not count.
    pub dirty: u64,
    /// Propagate the command even if it changed nothing (FLUSHALL on an empty
    /// dataset must still reach replicas).
    pub force_propagation: bool,
    /// Keys the command changed, as (db, key), in order (Redis's
    /// `signalModifiedKey`): WATCH is invalidated by them, and clients blocked
    /// on them get another chance.
    pub touched: Vec<(usize, Bytes)>,
    /// The keys of a database somebody waits on (WATCHed keys, keys clients
    /// are blocked on). A command that replaces whole databases (FLUSHDB,
    /// FLUSHALL, SWAPDB) logs in `touched` only those of them it changes, as
    /// Redis's `touchAllWatchedKeysInDb` and `scanDatabaseForReadyKeys` visit
    /// only watched and blocking keys: listing every key of a large database
    /// would stall the server where FLUSHALL ASYNC must not. `None` (a driver
    /// that tracks nobody) logs every key.
    pub interest: Option<&'a dyn Fn(usize) -> Vec<Bytes>>,
    /// False where a blocking command must not block (inside MULTI/EXEC): it
    /// then replies at once as if its timeout had passed.
    pub may_block: bool,
    /// Set by a blocking command (BLPOP, BZPOPMIN, ...) that found nothing to
    /// serve; its reply is then ignored. The node parks the client on these
    /// keys, runs the command again when one of them is touched, and replies
    /// `on_timeout` when the timeout passes.
    pub block: Option<BlockOn>,
}

/// What a blocked client waits for.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockOn {
    pub keys: Vec<Bytes>,
    /// Relative timeout in ms from the first attempt; `None` waits forever.
    pub timeout_ms: Option<u64>,
    /// The reply when the timeout passes (a null of the command's kind).
    pub on_timeout: Frame,
}

impl<'a> Context<'a> {
    /// A context for running `argv` in `db` at `now_ms`.
    pub fn new(
        db: usize,
        now_ms: i64,
        rng: &'a mut ChaCha8Rng,
        config: &'a EngineConfig,
        argv: &'a [Bytes],
    ) -> Context<'a> {
        Context {
            db,
            now_ms,
            rng,
            config,
            argv,
            effects: Vec::new(),
            rewritten: None,
            dirty: 0,
            force_propagation: false,
            touched: Vec::new(),
            interest: None,
            may_block: true,
            block: None,
        }
    }

    /// The keys of `db` somebody waits on, or `None` if every key counts
    /// (see [`Context::interest`]).
    pub fn interest_in(&self, db: usize) -> Option<Vec<Bytes>> {
        self.interest.map(|keys| keys(db))
    }

    /// Queues `argv` for propagation in database `db`, ahead of the command itself.
    pub fn also_propagate(&mut self, db: usize, argv: Vec<Bytes>) {
        self.effects.push(Effect { db, argv });
    }

    /// Replaces what will be propagated for this command.
    pub fn rewrite(&mut self, argv: Vec<Bytes>) {
        self.rewritten = Some(argv);
    }

    /// What this command sends to the AOF and replicas, in order: the effects
    /// queued during execution, then the command itself (rewritten or as sent)
    /// if it changed the dataset. More than one effect is wrapped in
    /// MULTI/EXEC so replicas apply them atomically, as Redis 7.0 does.
    pub fn into_effects(self) -> Vec<Effect> {
        let mut out = Vec::new();
        self.visit_effects(|db, argv| out.push(Effect { db, argv: argv.to_vec() }));
        out
    }

    /// The effects [`Context::into_effects`] returns, borrowed and in the same
    /// order: a node whose stream nobody consumes only counts them, and need
    /// not copy every write's argv for that.
    pub fn visit_effects(&self, mut f: impl FnMut(usize, &[Bytes])) {
        let own = (self.dirty > 0 || self.force_propagation).then(|| self.rewritten.as_deref().unwrap_or(self.argv));
        let count = self.effects.len() + usize::from(own.is_some());
        let wrap = count > 1;
        if wrap {
            f(self.effects[0].db, &[Bytes::from_static(b"MULTI")]);
        }
        for e in &self.effects {
            f(e.db, &e.argv);
        }
        if let Some(own) = own {
            f(self.db, own);
        }
        if wrap {
            let last_db = if own.is_some() { self.db } else { self.effects[self.effects.len() - 1].db };
            f(last_db, &[Bytes::from_static(b"EXEC")]);
        }
    }
}

/// One command to propagate, with the database it applies to. The node core
/// inserts `SELECT` when the database changes, as Redis does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub db: usize,
    pub argv: Vec<Bytes>,
}

/// Settings that change command behaviour; the node core keeps them in sync
/// with `CONFIG SET`.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// `proto-max-bulk-len`: the largest string SETRANGE/APPEND may build.
    pub proto_max_bulk_len: u64,
    /// `maxmemory-policy`: OBJECT FREQ needs an LFU policy, OBJECT IDLETIME a non-LFU one.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `lazyfree-lazy-expire`: expired keys propagate as UNLINK instead of DEL.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-user-del`: DEL behaves as UNLINK (only the effect name changes here).
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`: FLUSHALL/FLUSHDB without a flag default to ASYNC.
    pub lazyfree_lazy_user_flush: bool,
    /// `lazyfree-lazy-server-del`: a value a command overwrites (SET, RENAME,
    /// COPY, the *STORE commands) or a destination it deletes is freed
    /// lazily, as under UNLINK (INFO's lazyfree counters; the model frees at once).
    pub lazyfree_lazy_server_del: bool,
    /// `maxmemory`: with a limit and an LRU/LFU policy, integers are not shared.
    pub maxmemory: u64,
    /// `lfu-log-factor` and `lfu-decay-time`, for OBJECT FREQ.
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// `rdbcompression`: DUMP payloads compress strings with LZF, as RDB files do.
    pub rdb_compression: bool,
    /// `databases`, for loading payloads and files.
    pub databases: usize,
    /// `cluster-enabled`: SORT refuses BY/GET patterns in cluster mode.
    pub cluster_enabled: bool,
    /// `hash-max-listpack-entries` / `hash-max-listpack-value`: past either, a
    /// hash converts from listpack to hashtable (and never back).
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    /// `set-max-intset-entries`: past it, an all-integer set becomes a hashtable.
    pub set_max_intset_entries: u64,
    /// `zset-max-listpack-entries` / `zset-max-listpack-value`: past either, a
    /// sorted set converts from listpack to skiplist.
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    /// `list-max-listpack-size` and `list-compress-depth` (lists are always
    /// "quicklist" in Redis 7.0; these only shape its nodes).
    pub list_max_listpack_size: i64,
    pub list_compress_depth: u64,
    /// Commands are being replayed from the AOF or received from this node's
    /// master: no key counts as expired (Redis's `server.loading` and
    /// master-client rules), so the replay sees the dataset the writer saw.
    pub replaying: bool,
    /// When false the node is a replica: keys are not deleted on expiry, only
    /// reported as missing (replicas wait for the master's DEL).
    pub is_master: bool,
}

impl EngineConfig {
    /// Whether new integer values 0..9999 share one object, as Redis does unless
    /// a memory limit with an LRU/LFU policy needs per-key access data
    /// (OBJECT REFCOUNT shows the difference).
    pub fn shares_integers(&self) -> bool {
        self.maxmemory == 0 || !self.maxmemory_policy.tracks_access()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            proto_max_bulk_len: 512 * 1024 * 1024,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory: 0,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            lazyfree_lazy_server_del: false,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            rdb_compression: true,
            databases: 16,
            cluster_enabled: false,
            replaying: false,
            is_master: true,
        }
    }
}

/// Redis's `maxmemory-policy` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl MaxmemoryPolicy {
    pub const ALL: [(&'static str, MaxmemoryPolicy); 8] = [
        ("volatile-lru", MaxmemoryPolicy::VolatileLru),
        ("volatile-lfu", MaxmemoryPolicy::VolatileLfu),
        ("volatile-random", MaxmemoryPolicy::VolatileRandom),
        ("volatile-ttl", MaxmemoryPolicy::VolatileTtl),
        ("allkeys-lru", MaxmemoryPolicy::AllkeysLru),
        ("allkeys-lfu", MaxmemoryPolicy::AllkeysLfu),
        ("allkeys-random", MaxmemoryPolicy::AllkeysRandom),
        ("noeviction", MaxmemoryPolicy::NoEviction),
    ];

    pub fn is_lfu(self) -> bool {
        matches!(self, MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu)
    }

    /// LRU/LFU policies need per-key access data.
    pub fn tracks_access(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::AllkeysLfu
        )
    }

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, p)| *p == self).map(|(n, _)| *n).unwrap()
    }
}

/// Per-database counts for INFO's keyspace section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbInfo {
    pub keys: u64,
    pub expires: u64,
    /// Average TTL in ms of the keys with an expire, as Redis estimates it
    /// (Redis samples; engines may compute it exactly).
    pub avg_ttl: u64,
}

/// Counters an engine keeps for INFO stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: u64,
    pub expired_time_cap_reached_count: u64,
    pub evicted_keys: u64,
    /// INFO memory's `lazyfree_pending_objects`: deleted objects (a flushed
    /// database counts its keys) queued to be freed later. An engine that
    /// frees at once, as the model, reports 0; this and the next are not
    /// part of what both engines must agree on.
    pub lazyfree_pending_objects: u64,
    /// `lazyfreed_objects`: objects freed from that queue since the last
    /// CONFIG RESETSTAT.
    pub lazyfreed_objects: u64,
}

/// Whether a key is stored and alive, without the side effects of a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Missing,
    Live,
    /// Stored, but its expire time has passed (Redis's `keyIsExpired`).
    Expired,
}

/// An upcoming request as [`Engine::prefetch`] sees it: its name, its
/// second argument (the key, for nearly every keyed command) and the two
/// after that where present (one of them is the member or field of most
/// commands on a collection: SADD's third argument, ZADD's fourth).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Upcoming<'a> {
    pub name: &'a [u8],
    pub key: &'a [u8],
    pub after: [Option<&'a [u8]>; 2],
}

/// The keyspace of one node.
pub trait Engine {
    /// Which engine this is ("model" or "engine"), for INFO and reports.
    fn name(&self) -> &'static str;

    /// Runs one keyspace command and returns its reply. Connection and server
    /// commands (CLIENT, CONFIG, INFO ...) never reach an engine.
    fn execute(&mut self, cx: &mut Context<'_>, cmd: &Command) -> Frame;

    /// A hint that commands on these keys of `db` come next (a pipeline's
    /// requests, not yet run): an engine may start loading their entries,
    /// and the entries of the members or fields named after them, so that
    /// the cache misses overlap instead of coming one per command. Changes
    /// nothing observable. Returns whether hints like this one can help:
    /// false when, after the first of these commands, nothing they load
    /// would be a miss (one key, no member tables), and the caller may stop
    /// hinting for a while. By default it does nothing and says no.
    fn prefetch(&self, _db: usize, _upcoming: &[Upcoming<'_>]) -> bool {
        false
    }

    /// One run of the active expire cycle: deletes keys whose time has come,
    /// propagating a DEL for each, as Redis's `activeExpireCycle` does every
    /// 100 ms. `cx.db` is ignored: every database is visited. The caller takes
    /// `cx.effects` as they are: Redis does not wrap these DELs in MULTI/EXEC.
    fn active_expire_cycle(&mut self, cx: &mut Context<'_>);

    /// The cron's upkeep besides expiry, every tick on every node (master or
    /// replica, active expiry on or off): what Redis's `databasesCron` does
    /// to its tables (shrinking, incremental rehashing) and what its lazyfree
    /// thread does with values UNLINK and FLUSHALL ASYNC handed over.
    /// Changes nothing observable but memory; by default it does nothing.
    fn upkeep(&mut self) {}

    /// The state of `key` at `now_ms`, with no lookup side effects (WATCH
    /// needs it: a key that expires while watched fails the transaction).
    fn key_state(&self, db: usize, key: &[u8], now_ms: i64) -> KeyState;

    /// TYPE of a live key ("string", "list", ...), `None` if missing or
    /// expired; no lookup side effects (the node checks what a blocked client
    /// could be served from).
    fn type_name(&self, db: usize, key: &[u8], now_ms: i64) -> Option<&'static str>;

    /// Number of keys in `db`, expired-but-not-yet-collected ones included (as DBSIZE).
    fn dbsize(&self, db: usize) -> u64;

    /// Keyspace counts of every database, for INFO keyspace.
    fn db_info(&self, now_ms: i64) -> Vec<DbInfo>;

    /// Hit/miss/expiry counters, for INFO stats.
    fn stats(&self) -> KeyspaceStats;

    /// Clears the counters (CONFIG RESETSTAT).
    fn reset_stats(&mut self);

    /// Bytes of memory the dataset is estimated to use, for INFO memory.
    fn used_memory(&self) -> u64;

    /// A frozen copy of every key, for SAVE, BGSAVE (serialized while the
    /// engine keeps serving), AOF rewrite and full resynchronisation. Keys
    /// whose time has passed are included, as Redis's fork would see them.
    fn snapshot(&self) -> crate::dataset::Dataset;

    /// Starts a snapshot read out in pieces ([`Engine::read_snapshot`])
    /// while commands keep running: what it yields is the dataset as it is
    /// now, whatever commands do meanwhile. A snapshot under way is
    /// cancelled first. Returns each database's key count and count of keys
    /// with an expire time now (RDB's RESIZEDB).
    fn start_snapshot(&mut self) -> Vec<(u64, u64)>;

    /// Appends up to `max` records of the snapshot under way to `out`, each
    /// with its database; databases come in order. True once the snapshot
    /// is all out (none is under way then, or none was).
    fn read_snapshot(&mut self, max: usize, out: &mut Vec<(usize, crate::dataset::Record)>) -> bool;

    /// Drops the snapshot under way, if any.
    fn cancel_snapshot(&mut self);

    /// Whether a snapshot is under way.
    fn snapshot_running(&self) -> bool;

    /// Replaces the whole dataset (loading RDB or an AOF base, DEBUG RELOAD,
    /// a replica's full sync). Statistics are kept.
    fn load(&mut self, data: crate::dataset::Dataset);

    /// Adds records, each with its database: a file loaded a batch at a
    /// time after `load` of an empty dataset. A key already there stops the
    /// load (a damaged file, as Redis refuses it): it is returned with its
    /// database, and what follows it is not loaded.
    fn load_records(&mut self, records: Vec<(usize, crate::dataset::Record)>) -> Result<(), (usize, Bytes)>;

    /// `keys` records are coming for the empty database `db` (an RDB file's
    /// RESIZEDB): room for them may be made at once. Only a hint.
    fn reserve(&mut self, _db: usize, _keys: usize) {}

    /// An empty engine of the same kind with as many databases: Redis's
    /// temporary databases for `repl-diskless-load swapdb`, where a
    /// replica loads its master's snapshot while this one keeps serving.
    fn empty_like(&self) -> Box<dyn Engine>;

    /// Takes the databases of `loaded` (made by [`Engine::empty_like`] on
    /// this engine) in place of its own, which are freed as FLUSHALL ASYNC
    /// frees them; statistics stay. The swap at the end of a `swapdb` load.
    fn swap_in(&mut self, loaded: Box<dyn Engine>);

    /// Frees the databases of `other` (made by [`Engine::empty_like`] on
    /// this engine) as FLUSHALL ASYNC frees its own: a `swapdb` load given
    /// up must not stall the server for the keys it had loaded.
    fn discard(&mut self, other: Box<dyn Engine>);

    /// The engine as [`std::any::Any`], so that [`Engine::swap_in`] and
    /// [`Engine::discard`] can take their own kind's databases.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}
