//! MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
//! [AUTH password | AUTH2 username password] [KEYS key ...], as Redis 7.0's
//! `migrateCommand` (cluster.c) does it, on the node's links and timers.
//!
//! What goes on the wire is Redis's: on one connection per `host:port`, kept
//! for reuse (Redis's "migrate cached sockets", closed after 10 idle seconds),
//! MIGRATE pipelines `AUTH [username] password` when asked, `SELECT db` unless
//! that connection already has it selected, then one `RESTORE key ttl payload
//! [REPLACE]` per key that exists (`RESTORE-ASKING` with `cluster-enabled`),
//! the payload being DUMP's and the TTL the milliseconds left. It then reads
//! one reply per command sent. Keys the target acknowledged are deleted
//! unless COPY was given, and the deletion is propagated as one
//! `DEL key ...`. Replies and errors are Redis's, word for word:
//!
//! - `+NOKEY` when none of the keys exists (nothing is sent);
//! - `-ERR Target instance replied with error: <its error>`, the AUTH error
//!   first, then SELECT's, then the first RESTORE's; once AUTH or SELECT
//!   failed no key is deleted, even one the target stored;
//! - `-IOERR error or timeout connecting to the client` when the host does
//!   not resolve, `... writing to target instance` when the connection cannot
//!   be made (Redis connects without blocking and finds out when it writes),
//!   `... reading to target instance` when the target closes the connection
//!   or stays silent for `timeout` ms while replies are due. A connection that
//!   broke before the first RESTORE reply is tried once more, on a new
//!   connection, unless the cause was a timeout (Redis's `may_retry`).
//!
//! Unlike Redis, MIGRATE does not block the server while it waits for the
//! target: only the client that sent it waits (its next requests run after
//! the reply), the timeout runs on the node's timers, and every other client
//! goes on. To keep MIGRATE as atomic as Redis makes it, a command of
//! another client that names a key being migrated (in any database), and a
//! write that names no key (FLUSHALL, FLUSHDB, SWAPDB), waits until the
//! migration ends; so do MIGRATEs to a target whose connection is in use,
//! which run one after the other as in Redis. A client that disconnects
//! while its MIGRATE is under way does not stop it: the keys the target
//! acknowledged are still deleted, as Redis, blocked in the command, would.
//!
//! Known differences from Redis 7.0, besides not blocking: inside MULTI/EXEC
//! MIGRATE answers an error (a transaction cannot wait); a target that stops
//! reading is reported as a read timeout, not a write one (the driver does
//! not report write progress); each migrated key counts two keyspace hits
//! (its DUMP and its expire time are two lookups); a key found expired is
//! propagated as a DEL of its own, not in one MULTI with MIGRATE's DEL; and a
//! full cache closes its least recently used connection, not a random one.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use redsim_model::command::Command;
use redsim_model::errors::{self, RedisError};
use redsim_model::num::parse_i64;
use redsim_model::resp::{encode_request, Frame, ReplyReader};
use redsim_model::table::{self, CommandSpec, Flag};

use super::links::{LinkEvent, LinkId, LinkOwner};
use super::{ClientId, Node};

/// Redis's MIGRATE_SOCKET_CACHE_ITEMS: connections kept at most.
const CACHE_ITEMS: usize = 64;
/// Redis's MIGRATE_SOCKET_CACHE_TTL: a connection unused for longer than
/// this many seconds is closed.
const CACHE_TTL_S: i64 = 10;

/// Redis's `last_dbid` of a connection that has no database selected yet.
const UNKNOWN_DB: i64 = -1;

const IOERR_CONNECTING: &str = "IOERR error or timeout connecting to the client";
const IOERR_WRITING: &str = "IOERR error or timeout writing to target instance";
const IOERR_READING: &str = "IOERR error or timeout reading to target instance";
const NOT_IN_EXEC: &str = "ERR MIGRATE is not supported inside MULTI by redsim";

/// MIGRATE's arguments, checked in Redis's order: the options (syntax errors,
/// the KEYS rule), then the timeout, then the database index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrateArgs {
    pub host: Bytes,
    pub port: Bytes,
    /// Not range-checked here: a bad index is the target's error to give.
    pub db: i64,
    /// In milliseconds; 0 or less means 1000, as in Redis.
    pub timeout_ms: i64,
    pub copy: bool,
    pub replace: bool,
    /// AUTH2's user name; AUTH2 then AUTH keeps the user and takes the last password.
    pub username: Option<Bytes>,
    pub password: Option<Bytes>,
    /// The keys asked for, duplicates kept (Redis migrates a repeated key twice).
    pub keys: Vec<Bytes>,
}

impl MigrateArgs {
    /// Parses a MIGRATE command line (argv[0] is MIGRATE; the table has
    /// checked that there are at least six words).
    pub fn parse(argv: &[Bytes]) -> Result<MigrateArgs, RedisError> {
        let mut a = MigrateArgs {
            host: argv[1].clone(),
            port: argv[2].clone(),
            db: 0,
            timeout_ms: 0,
            copy: false,
            replace: false,
            username: None,
            password: None,
            keys: vec![argv[3].clone()],
        };
        let mut j = 6;
        while j < argv.len() {
            let more = argv.len() - 1 - j;
            let word = c_str(&argv[j]);
            if word.eq_ignore_ascii_case(b"copy") {
                a.copy = true;
            } else if word.eq_ignore_ascii_case(b"replace") {
                a.replace = true;
            } else if word.eq_ignore_ascii_case(b"auth") {
                if more < 1 {
                    return Err(errors::SYNTAX);
                }
                a.password = Some(argv[j + 1].clone());
                j += 1;
            } else if word.eq_ignore_ascii_case(b"auth2") {
                if more < 2 {
                    return Err(errors::SYNTAX);
                }
                a.username = Some(argv[j + 1].clone());
                a.password = Some(argv[j + 2].clone());
                j += 2;
            } else if word.eq_ignore_ascii_case(b"keys") {
                if !argv[3].is_empty() {
                    return Err(RedisError::fixed(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                    ));
                }
                a.keys = argv[j + 1..].to_vec();
                break;
            } else {
                return Err(errors::SYNTAX);
            }
            j += 1;
        }
        let timeout = parse_i64(&argv[5]).ok_or(errors::NOT_INTEGER)?;
        a.db = parse_i64(&argv[4]).ok_or(errors::NOT_INTEGER)?;
        a.timeout_ms = if timeout <= 0 { 1000 } else { timeout };
        Ok(a)
    }

    /// The cache's name for the target: `host:port` as written, so that
    /// `localhost` and `127.0.0.1` get connections of their own, as in Redis.
    fn target_name(&self) -> Vec<u8> {
        let mut name = self.host.to_vec();
        name.push(b':');
        name.extend_from_slice(&self.port);
        name
    }
}

/// An argument as C's string functions see it: up to its first NUL byte.
fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

/// The port as Redis reads it, `atoi(port)`: blanks, a sign and digits,
/// stopping at anything else ("abc" is port 0), the value wrapping to a C int.
fn atoi(b: &[u8]) -> i32 {
    let b = c_str(b);
    let mut i = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut v: i64 = 0;
    for &c in b[i..].iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    let v = if negative { -v } else { v };
    // atoi is (int)strtol: the long saturates, then keeps its low 32 bits.
    v as i32
}

/// One key read for migration: DUMP's payload and the absolute expire time.
#[derive(Clone, Debug)]
struct Item {
    key: Bytes,
    payload: Bytes,
    expire_at: Option<i64>,
}

/// What the next reply on the connection answers.
#[derive(Clone, Debug)]
enum Expect {
    Auth,
    Select,
    Restore(Bytes),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the target's connection to be free.
    Queued,
    /// The connection is being made.
    Connecting,
    /// The commands are sent; replies are due.
    Waiting,
}

type JobId = u64;

/// One MIGRATE under way.
#[derive(Debug)]
struct Job {
    /// The client to answer; None once it has disconnected.
    client: Option<ClientId>,
    spec: &'static CommandSpec,
    argv: Vec<Bytes>,
    start_ms: i64,
    /// The client's database, where the keys are read and deleted.
    db: usize,
    args: MigrateArgs,
    target: Vec<u8>,
    phase: Phase,
    items: Vec<Item>,
    /// The one new connection after a broken one has been tried.
    retried: bool,
    /// When the connection attempt or the wait for a reply times out.
    deadline_ms: i64,
    expect: VecDeque<Expect>,
    auth_error: Option<String>,
    select_error: Option<String>,
    /// The first error the target gave; it becomes MIGRATE's reply.
    target_error: Option<String>,
    restore_replies: usize,
    /// Keys the target stored (and so to delete here unless COPY).
    acked: Vec<Bytes>,
}

/// A cached connection to one target.
#[derive(Debug)]
struct Target {
    link: LinkId,
    /// The database selected on it, -1 when unknown (a new connection, or
    /// after an error). As in Redis, -1 doubles as a database index: a
    /// MIGRATE to database -1 then sends no SELECT and restores wherever
    /// the connection happens to be.
    last_db: i64,
    last_use_ms: i64,
    /// The MIGRATE using it, if any.
    job: Option<JobId>,
    replies: ReplyReader,
}

/// MIGRATE's state in the node: cached connections and migrations under way.
#[derive(Debug, Default)]
pub(super) struct Migrations {
    targets: BTreeMap<Vec<u8>, Target>,
    jobs: BTreeMap<JobId, Job>,
    last_job: JobId,
    /// The migration started by the command being run, and its reply if it
    /// ended at once (the command then replies like any other).
    in_command: Option<JobId>,
    sync_reply: Option<Frame>,
}

impl Migrations {
    /// INFO's `migrate_cached_sockets`.
    pub fn cached_sockets(&self) -> usize {
        self.targets.len()
    }

    /// Whether a migration under way holds `key` (in whatever database).
    fn is_locked(&self, key: &[u8]) -> bool {
        self.jobs.values().filter(|j| j.phase != Phase::Queued).any(|j| j.items.iter().any(|i| i.key == key))
    }

    fn target_of_link(&self, link: LinkId) -> Option<Vec<u8>> {
        self.targets.iter().find(|(_, t)| t.link == link).map(|(name, _)| name.clone())
    }
}

impl Node {
    /// MIGRATE for client `id`. Some(reply) when it is over at once (an
    /// argument error, NOKEY, a host that does not resolve); None when the
    /// client waits for the target.
    pub(super) fn migrate_command(
        &mut self,
        id: ClientId,
        spec: &'static CommandSpec,
        argv: &[Bytes],
    ) -> Option<Frame> {
        let args = match MigrateArgs::parse(argv) {
            Ok(a) => a,
            Err(e) => return Some(e.into()),
        };
        if self.exec_effects.is_some() {
            // Its reply would have to come before those of the commands queued behind it.
            return Some(Frame::Error(NOT_IN_EXEC.into()));
        }
        let db = self.clients.get(&id).map_or(0, |c| c.db);
        self.migrate.last_job += 1;
        let job_id = self.migrate.last_job;
        let target = args.target_name();
        let job = Job {
            client: Some(id),
            spec,
            argv: argv.to_vec(),
            start_ms: self.now_ms,
            db,
            args,
            target: target.clone(),
            phase: Phase::Queued,
            items: Vec::new(),
            retried: false,
            deadline_ms: 0,
            expect: VecDeque::new(),
            auth_error: None,
            select_error: None,
            target_error: None,
            restore_replies: 0,
            acked: Vec::new(),
        };
        self.migrate.jobs.insert(job_id, job);
        self.migrate.in_command = Some(job_id);
        self.migrate_advance(&target);
        self.migrate.in_command = None;
        self.migrate.sync_reply.take()
    }

    /// Whether client `id` waits for its MIGRATE to end.
    pub(super) fn migrate_waiting(&self, id: ClientId) -> bool {
        !self.migrate.jobs.is_empty() && self.migrate.jobs.values().any(|j| j.client == Some(id))
    }

    /// Whether the request of client `id` must wait for a migration to end:
    /// it names a key being migrated, or writes without naming keys, or it is
    /// an EXEC whose transaction does either.
    pub(super) fn migration_holds(&self, id: ClientId, spec: &CommandSpec, argv: &[Bytes]) -> bool {
        if self.migrate.jobs.is_empty() {
            return false;
        }
        if spec.name == "exec" {
            let queued = self.clients.get(&id).and_then(|c| c.multi.as_ref()).map(|m| m.queued.as_slice());
            return queued.unwrap_or(&[]).iter().any(|(s, a)| self.touches_migrating(s, a));
        }
        self.touches_migrating(spec, argv)
    }

    /// Whether running `argv` could change or see a key being migrated.
    pub(super) fn touches_migrating(&self, spec: &CommandSpec, argv: &[Bytes]) -> bool {
        if !self.migrate.jobs.values().any(|j| j.phase != Phase::Queued) {
            return false;
        }
        let keys = table::keys::keys_of(spec, argv);
        if keys.is_empty() {
            return spec.has(Flag::Write);
        }
        keys.iter().any(|k| argv.get(k.pos).is_some_and(|key| self.migrate.is_locked(key)))
    }

    /// The client is gone: a MIGRATE it had queued is dropped, one under way
    /// goes on without anyone to answer.
    pub(super) fn migrate_client_gone(&mut self, id: ClientId) {
        let queued: Vec<JobId> = self
            .migrate
            .jobs
            .iter()
            .filter(|(_, j)| j.client == Some(id) && j.phase == Phase::Queued)
            .map(|(jid, _)| *jid)
            .collect();
        for jid in queued {
            self.migrate.jobs.remove(&jid);
        }
        for job in self.migrate.jobs.values_mut() {
            if job.client == Some(id) {
                job.client = None;
            }
        }
    }

    /// The earliest MIGRATE timeout, for [`Node::next_timer_ms`].
    pub(super) fn migrate_next_deadline(&self) -> Option<i64> {
        self.migrate.jobs.values().filter(|j| j.phase != Phase::Queued).map(|j| j.deadline_ms).min()
    }

    /// Times out the migrations whose target took too long.
    pub(super) fn migrate_timers(&mut self, now_ms: i64) {
        let due: Vec<JobId> = self
            .migrate
            .jobs
            .iter()
            .filter(|(_, j)| j.phase != Phase::Queued && j.deadline_ms <= now_ms)
            .map(|(jid, _)| *jid)
            .collect();
        for jid in due {
            let Some(job) = self.migrate.jobs.get(&jid) else { continue };
            let (phase, target) = (job.phase, job.target.clone());
            if let Some(t) = self.migrate.targets.remove(&target) {
                self.link_close(t.link);
            }
            match phase {
                // Redis's connect gives up silently after the timeout and lets
                // the write, which times out in turn, report it.
                Phase::Connecting => self.migrate_finish(jid, Frame::Error(IOERR_WRITING.into())),
                _ => self.migrate_socket_error(jid, true),
            }
            self.migrate_advance(&target);
        }
    }

    /// serverCron's migrateCloseTimedoutSockets: connections unused for more
    /// than 10 seconds are closed.
    pub(super) fn migrate_cron(&mut self, now_ms: i64) {
        let now_s = now_ms.div_euclid(1000);
        let idle: Vec<Vec<u8>> = self
            .migrate
            .targets
            .iter()
            .filter(|(_, t)| t.job.is_none() && now_s - t.last_use_ms.div_euclid(1000) > CACHE_TTL_S)
            .map(|(name, _)| name.clone())
            .collect();
        for name in idle {
            if let Some(t) = self.migrate.targets.remove(&name) {
                self.link_close(t.link);
            }
        }
    }

    /// Something happened on one of MIGRATE's connections.
    pub(super) fn migrate_link_event(&mut self, link: LinkId, event: LinkEvent) {
        let Some(name) = self.migrate.target_of_link(link) else {
            return;
        };
        let job = self.migrate.targets.get(&name).and_then(|t| t.job);
        match event {
            LinkEvent::Connected => {
                if let Some(jid) = job {
                    self.migrate_send(jid);
                }
            }
            LinkEvent::Bytes(bytes) => {
                // Nothing is due on an idle connection: whatever came is dropped.
                if let Some(jid) = job {
                    self.migrate_replies(jid, &bytes);
                }
            }
            LinkEvent::Unresolved(_) => {
                self.migrate.targets.remove(&name);
                if let Some(jid) = job {
                    self.migrate_finish(jid, Frame::Error(IOERR_CONNECTING.into()));
                }
            }
            LinkEvent::Failed(_) => {
                self.migrate.targets.remove(&name);
                if let Some(jid) = job {
                    self.migrate_connect_failed(jid);
                }
            }
            LinkEvent::Closed => {
                self.migrate.targets.remove(&name);
                if let Some(jid) = job {
                    match self.migrate.jobs.get(&jid).map(|j| j.phase) {
                        Some(Phase::Waiting) => self.migrate_socket_error(jid, false),
                        Some(_) => self.migrate_connect_failed(jid),
                        None => {}
                    }
                }
            }
        }
        self.migrate_advance(&name);
    }

    /// Starts the migrations queued for `target` while its connection is free.
    fn migrate_advance(&mut self, target: &[u8]) {
        loop {
            if self.migrate.targets.get(target).is_some_and(|t| t.job.is_some()) {
                return;
            }
            let next = self.migrate.jobs.iter().find(|(_, j)| j.phase == Phase::Queued && j.target == target);
            let Some((&jid, _)) = next else { return };
            match self.migrate_start(jid) {
                Err(reply) => self.migrate_finish(jid, reply),
                // Started: the connection is busy now (or the job is already over).
                Ok(()) if self.migrate.jobs.get(&jid).is_some_and(|j| j.phase == Phase::Queued) => return,
                Ok(()) => {}
            }
        }
    }

    /// Reads the keys (NOKEY if none exists) and takes, or opens, the
    /// connection to the target. Err(reply) when the migration is over already.
    fn migrate_start(&mut self, jid: JobId) -> Result<(), Frame> {
        let Some(job) = self.migrate.jobs.get(&jid) else { return Ok(()) };
        let (db, keys, target) = (job.db, job.args.keys.clone(), job.target.clone());
        let items = self.migrate_read_keys(db, &keys);
        if items.is_empty() {
            return Err(Frame::simple("NOKEY"));
        }
        if let Some(job) = self.migrate.jobs.get_mut(&jid) {
            job.items = items;
        }
        // Lazy expiry may have readied blocked clients; they see the keys locked now.
        self.handle_ready_keys();
        if let Some(t) = self.migrate.targets.get_mut(&target) {
            // A cached connection is free only once established.
            t.last_use_ms = self.now_ms;
            t.job = Some(jid);
            t.replies = ReplyReader::new();
            self.migrate_send(jid);
            return Ok(());
        }
        self.migrate_connect(jid)
    }

    /// DUMP and the expire time of each key that exists, in the order asked,
    /// with the side effects of Redis's lookupKeyRead (lazy expiry, hits and
    /// misses).
    fn migrate_read_keys(&mut self, db: usize, keys: &[Bytes]) -> Vec<Item> {
        let mut items = Vec::new();
        for key in keys {
            let argv = [Bytes::from_static(b"DUMP"), key.clone()];
            let (reply, _) = self.engine_run(db, &argv, &Command::Dump { key: key.clone() }, false);
            let Frame::Bulk(payload) = reply else { continue };
            let argv = [Bytes::from_static(b"PEXPIRETIME"), key.clone()];
            let cmd = Command::ExpireTime { key: key.clone(), millis: true };
            let expire_at = match self.engine_run(db, &argv, &cmd, false).0 {
                Frame::Integer(at) if at >= 0 => Some(at),
                _ => None,
            };
            items.push(Item { key: key.clone(), payload, expire_at });
        }
        items
    }

    /// Opens a new connection for the job and caches it, making room if the
    /// cache is full (the least recently used idle connection goes; Redis
    /// drops a random one).
    fn migrate_connect(&mut self, jid: JobId) -> Result<(), Frame> {
        let Some(job) = self.migrate.jobs.get(&jid) else { return Ok(()) };
        let (name, timeout) = (job.target.clone(), job.args.timeout_ms);
        let host = String::from_utf8_lossy(c_str(&job.args.host)).into_owned();
        let port = atoi(&job.args.port);
        if port < 0 {
            // No address has a negative port: the name lookup fails.
            return Err(Frame::Error(IOERR_CONNECTING.into()));
        }
        if self.migrate.targets.len() >= CACHE_ITEMS {
            let oldest = self
                .migrate
                .targets
                .iter()
                .filter(|(_, t)| t.job.is_none())
                .min_by_key(|(_, t)| t.last_use_ms)
                .map(|(n, _)| n.clone());
            if let Some(t) = oldest.and_then(|n| self.migrate.targets.remove(&n)) {
                self.link_close(t.link);
            }
        }
        // getaddrinfo reads the port as a number and keeps its low 16 bits.
        let link = self.link_open(LinkOwner::Migrate, &host, port as u16);
        let target =
            Target { link, last_db: UNKNOWN_DB, last_use_ms: self.now_ms, job: Some(jid), replies: ReplyReader::new() };
        self.migrate.targets.insert(name, target);
        let now = self.now_ms;
        if let Some(job) = self.migrate.jobs.get_mut(&jid) {
            job.phase = Phase::Connecting;
            // Redis waits `timeout` for the connection, then (a quirk of its
            // blocking connect) writes anyway, with `timeout` again to do it.
            job.deadline_ms = now.saturating_add(timeout.saturating_mul(2));
        }
        Ok(())
    }

    /// The connection could not be made. Redis only finds out when it
    /// writes: it tries a new connection once, then answers with the write error.
    fn migrate_connect_failed(&mut self, jid: JobId) {
        let Some(job) = self.migrate.jobs.get_mut(&jid) else { return };
        if job.retried {
            self.migrate_finish(jid, Frame::Error(IOERR_WRITING.into()));
            return;
        }
        job.retried = true;
        if let Err(reply) = self.migrate_connect(jid) {
            self.migrate_finish(jid, reply);
        }
    }

    /// Sends AUTH, SELECT and the RESTOREs in one write. The TTLs are
    /// computed now, as Redis computes them when it writes; a key that
    /// expired in the meantime is left out.
    fn migrate_send(&mut self, jid: JobId) {
        let cluster = self.parse_env.cluster_enabled;
        let now = self.now_ms;
        let Some(job) = self.migrate.jobs.get_mut(&jid) else { return };
        let Some(target) = self.migrate.targets.get_mut(&job.target) else { return };
        let mut out = Vec::new();
        let mut expect = VecDeque::new();
        if let Some(password) = &job.args.password {
            let mut argv = vec![Bytes::from_static(b"AUTH")];
            argv.extend(job.args.username.iter().cloned());
            argv.push(password.clone());
            encode_request(&argv, &mut out);
            expect.push_back(Expect::Auth);
        }
        if target.last_db != job.args.db {
            encode_request(&[Bytes::from_static(b"SELECT"), Bytes::from(job.args.db.to_string())], &mut out);
            expect.push_back(Expect::Select);
        }
        let name: &'static [u8] = if cluster { b"RESTORE-ASKING" } else { b"RESTORE" };
        for item in &job.items {
            let ttl = match item.expire_at {
                None => 0,
                Some(at) if at < now => continue,
                Some(at) => (at - now).max(1),
            };
            let mut argv = vec![Bytes::from_static(name), item.key.clone(), Bytes::from(ttl.to_string())];
            argv.push(item.payload.clone());
            if job.args.replace {
                argv.push(Bytes::from_static(b"REPLACE"));
            }
            encode_request(&argv, &mut out);
            expect.push_back(Expect::Restore(item.key.clone()));
        }
        let link = target.link;
        job.phase = Phase::Waiting;
        job.deadline_ms = now.saturating_add(job.args.timeout_ms);
        job.expect = expect;
        job.auth_error = None;
        job.select_error = None;
        if job.expect.is_empty() {
            // Every key expired while connecting, and nothing else to say.
            self.migrate_complete(jid);
            return;
        }
        self.link_send(link, out);
    }

    /// Bytes from the target: each complete reply answers the next command
    /// sent. Any byte restarts the timeout (it bounds idle time, as Redis's
    /// byte-by-byte reads do).
    fn migrate_replies(&mut self, jid: JobId, bytes: &[u8]) {
        let now = self.now_ms;
        let Some(job) = self.migrate.jobs.get_mut(&jid) else { return };
        if job.phase != Phase::Waiting {
            return;
        }
        job.deadline_ms = now.saturating_add(job.args.timeout_ms);
        let Some(target) = self.migrate.targets.get_mut(&job.target) else { return };
        target.replies.feed(bytes);
        loop {
            let frame = match target.replies.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(_) => {
                    // Out of sync with the target: the connection is useless.
                    let link = target.link;
                    let name = job.target.clone();
                    self.migrate.targets.remove(&name);
                    self.link_close(link);
                    self.migrate_socket_error(jid, false);
                    return;
                }
            };
            let error = match frame {
                Frame::Error(text) => Some(text),
                _ => None,
            };
            match job.expect.pop_front() {
                Some(Expect::Auth) => job.auth_error = error,
                Some(Expect::Select) => job.select_error = error,
                Some(Expect::Restore(key)) => {
                    job.restore_replies += 1;
                    let failed = job.auth_error.as_ref().or(job.select_error.as_ref()).or(error.as_ref());
                    match failed {
                        Some(text) => {
                            if job.target_error.is_none() {
                                job.target_error = Some(text.clone());
                            }
                        }
                        None => job.acked.push(key),
                    }
                }
                // More replies than commands: dropped, as on an idle connection.
                None => {}
            }
            if job.expect.is_empty() {
                self.migrate_complete(jid);
                return;
            }
        }
    }

    /// Every reply is in: OK, or the target's first error. The connection
    /// stays cached, with the database selected if all went well.
    fn migrate_complete(&mut self, jid: JobId) {
        let Some(job) = self.migrate.jobs.get(&jid) else { return };
        let (db, error) = (job.args.db, job.target_error.clone());
        if let Some(t) = self.migrate.targets.get_mut(&job.target) {
            t.last_db = if error.is_none() { db } else { UNKNOWN_DB };
        }
        let reply = match error {
            None => Frame::ok(),
            Some(text) => target_replied(&text),
        };
        self.migrate_finish(jid, reply);
    }

    /// The connection broke or timed out while replies were due. Before the
    /// first RESTORE reply, and unless it timed out, Redis tries once more on
    /// a new connection; otherwise the keys acknowledged so far are deleted
    /// and the reply is the target's error if it gave one, else IOERR.
    fn migrate_socket_error(&mut self, jid: JobId, timed_out: bool) {
        let Some(job) = self.migrate.jobs.get_mut(&jid) else { return };
        if let Some(t) = self.migrate.targets.remove(&job.target) {
            self.link_close(t.link);
        }
        let Some(job) = self.migrate.jobs.get_mut(&jid) else { return };
        if job.restore_replies == 0 && !timed_out && !job.retried {
            job.retried = true;
            job.expect.clear();
            if let Err(reply) = self.migrate_connect(jid) {
                self.migrate_finish(jid, reply);
            }
            return;
        }
        let reply = match &job.target_error {
            Some(text) => target_replied(text),
            None => Frame::Error(IOERR_READING.into()),
        };
        self.migrate_finish(jid, reply);
    }

    /// Ends a migration: deletes the acknowledged keys (unless COPY),
    /// answers the client, frees the connection and lets the clients that
    /// waited for these keys go on.
    fn migrate_finish(&mut self, jid: JobId, reply: Frame) {
        let Some(job) = self.migrate.jobs.remove(&jid) else { return };
        if let Some(t) = self.migrate.targets.get_mut(&job.target) {
            if t.job == Some(jid) {
                t.job = None;
            }
        }
        if !job.args.copy && !job.acked.is_empty() {
            let mut argv = vec![Bytes::from_static(b"DEL")];
            argv.extend(job.acked.iter().cloned());
            let cmd = Command::Del { keys: job.acked.clone(), unlink: false };
            self.engine_run(job.db, &argv, &cmd, false);
        }
        if self.migrate.in_command == Some(jid) {
            self.migrate.sync_reply = Some(reply);
        } else if let Some(id) = job.client.filter(|id| self.clients.contains_key(id)) {
            let duration_us = (self.now_ms - job.start_ms).max(0) as u64 * 1000;
            if let Frame::Error(text) = &reply {
                self.stats.error_reply(text);
            }
            self.stats.call(job.spec, duration_us, reply.is_error());
            self.emit(id, &reply);
            self.log_slow(id, job.spec, &job.argv, job.start_ms.saturating_mul(1000), duration_us);
            if let Some(c) = self.clients.get_mut(&id) {
                c.reply.command_done();
            }
            self.pending.insert(id);
        }
        self.migrate_release(&job);
    }

    /// The job's keys are free again: held requests run again (they are
    /// checked anew), and clients blocked on a command that names one of them
    /// get another look.
    fn migrate_release(&mut self, job: &Job) {
        let held: Vec<ClientId> = self.clients.values().filter(|c| c.held.is_some()).map(|c| c.id).collect();
        self.pending.extend(held);
        let mut ready = Vec::new();
        for c in self.clients.values() {
            if let Some(b) = &c.blocked {
                let names_one = table::keys::keys_of(b.spec, &b.argv)
                    .iter()
                    .filter_map(|k| b.argv.get(k.pos))
                    .any(|key| job.items.iter().any(|i| i.key == key));
                if names_one {
                    ready.extend(b.keys.iter().map(|k| (b.db, k.clone())));
                }
            }
        }
        for (db, key) in ready {
            self.key_ready(db, &key);
        }
        self.handle_ready_keys();
    }
}

/// MIGRATE's reply when the target refused something.
fn target_replied(text: &str) -> Frame {
    Frame::Error(format!("ERR Target instance replied with error: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    fn parse(words: &[&str]) -> Result<MigrateArgs, String> {
        MigrateArgs::parse(&argv(words)).map_err(|e| e.text().to_string())
    }

    #[test]
    fn options_in_redis_order() {
        let a = parse(&["MIGRATE", "h", "1", "", "3", "0", "copy", "REPLACE", "keys", "a", "b", "a"]).unwrap();
        assert!(a.copy && a.replace);
        assert_eq!((a.db, a.timeout_ms), (3, 1000));
        assert_eq!(a.keys, argv(&["a", "b", "a"]));
        // The options are checked before the numbers.
        assert_eq!(parse(&["MIGRATE", "h", "1", "k", "x", "y", "bogus"]).unwrap_err(), "ERR syntax error");
        assert_eq!(
            parse(&["MIGRATE", "h", "1", "k", "x", "y", "keys", "a"]).unwrap_err(),
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
        );
        assert_eq!(parse(&["MIGRATE", "h", "1", "k", "0", "y"]).unwrap_err(), errors::NOT_INTEGER.text());
        assert_eq!(parse(&["MIGRATE", "h", "1", "k", "x", "5"]).unwrap_err(), errors::NOT_INTEGER.text());
        assert_eq!(parse(&["MIGRATE", "h", "1", "k", "0", "5", "auth"]).unwrap_err(), "ERR syntax error");
        assert_eq!(parse(&["MIGRATE", "h", "1", "k", "0", "5", "auth2", "u"]).unwrap_err(), "ERR syntax error");
        // KEYS takes everything after it, option words included; none is NOKEY's business.
        let a = parse(&["MIGRATE", "h", "1", "", "0", "5", "keys", "copy"]).unwrap();
        assert!(!a.copy);
        assert_eq!(a.keys, argv(&["copy"]));
        assert!(parse(&["MIGRATE", "h", "1", "", "0", "5", "keys"]).unwrap().keys.is_empty());
        // AUTH2 then AUTH: the user stays, the last password wins.
        let a = parse(&["MIGRATE", "h", "1", "k", "-1", "-5", "auth2", "u", "p", "auth", "q"]).unwrap();
        assert_eq!((a.username, a.password), (Some(Bytes::from("u")), Some(Bytes::from("q"))));
        assert_eq!((a.db, a.timeout_ms), (-1, 1000));
    }

    #[test]
    fn ports_read_as_atoi() {
        assert_eq!(atoi(b"6379"), 6379);
        assert_eq!(atoi(b" 12x"), 12);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b""), 0);
        assert_eq!(atoi(b"-5"), -5);
        assert_eq!(atoi(b"+7"), 7);
        assert_eq!(atoi(b"70000"), 70000);
        assert_eq!(atoi(b"99999999999999999999"), -1);
    }
}
