//! From a request to its reply: Redis's `processCommand` checks in Redis's
//! order, then `call` (run, count, slow log, MONITOR), and the hand-off of
//! keyspace commands to the engine.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use redsim_model::command::{help, Command};
use redsim_model::engine::BlockOn;
use redsim_model::errors::{self, RedisError};
use redsim_model::resp::{encode, Frame};
use redsim_model::table::{self, CommandSpec, Flag};
use redsim_model::{Context, Engine, Upcoming};

use super::client::Client;
use super::{monitor, redact, Action, ClientId, LogLevel, Node};
use crate::store::TOUCHED_KEPT;

/// Whether a client's request loop may go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    /// The client waits: its request is held by CLIENT PAUSE, or it blocked.
    Held,
}

/// Whether the client's queued transaction has a command that may write.
fn c_queued_write(c: Option<&super::client::Client>) -> bool {
    c.and_then(|c| c.multi.as_ref()).is_some_and(|m| m.queued.iter().any(|(s, _)| s.has(Flag::Write)))
}

/// Requests looked ahead at by [`prefetch_upcoming`] at a time.
const LOOKAHEAD: usize = 16;
/// Windows of [`LOOKAHEAD`] requests a client's pipeline runs without hints
/// after the engine said a hint could not help (LPUSH mylist ... sixteen
/// times: the peek alone cost 6–8% of the server's CPU there).
const HINT_BACKOFF: u8 = 7;

/// Hands the engine the keys (and the arguments after them) of the next
/// requests buffered for a client, so that a pipeline's cache misses overlap
/// instead of coming one per command (most of a pipelined GET or SADD is
/// waiting for the key's entry and the member's slot). The second argument
/// is the key of nearly every keyed command; for any other the loads are
/// wasted but harmless. A lone request gains nothing from it. When the
/// engine says such hints cannot help, the client's next [`HINT_BACKOFF`]
/// windows go without.
fn prefetch_upcoming(engine: &dyn Engine, c: &mut Client) {
    if c.hint_backoff > 0 {
        c.hint_backoff -= 1;
        return;
    }
    let mut upcoming = [Upcoming::default(); LOOKAHEAD];
    let mut n = 0;
    c.parser.peek_args(LOOKAHEAD, |u| {
        upcoming[n] = u;
        n += 1;
    });
    if n > 1 && !engine.prefetch(c.db, &upcoming[..n]) {
        c.hint_backoff = HINT_BACKOFF;
    }
}

/// The keys of `db` somebody waits on: WATCHed by a client or blocked on
/// (`Context::interest`). A FLUSHALL or SWAPDB then costs the engine these
/// keys, not every key it holds.
pub(super) fn waited_on<W, B>(
    watchers: &BTreeMap<(usize, Bytes), W>,
    blocking: &BTreeMap<(usize, Bytes), B>,
    db: usize,
) -> Vec<Bytes> {
    let range = (db, Bytes::new())..(db + 1, Bytes::new());
    let watched = watchers.range(range.clone()).map(|((_, k), _)| k);
    let keys: BTreeSet<&Bytes> = watched.chain(blocking.range(range).map(|((_, k), _)| k)).collect();
    keys.into_iter().cloned().collect()
}

/// Commands a client in MULTI runs at once instead of queueing.
const RUN_IN_MULTI: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

impl Node {
    /// Runs the requests buffered for client `id`.
    pub(super) fn process_input(&mut self, id: ClientId) {
        let mut run_since_prefetch = 0;
        loop {
            if self.sleep_micros > 0 || self.shutting_down {
                self.pending.insert(id);
                return;
            }
            let paused = self.pause.is_some();
            let migrating = self.migrate_waiting(id);
            let Some(c) = self.clients.get_mut(&id) else {
                return;
            };
            let waiting = c.blocked.is_some() || c.waiting_disk || c.waiting_repl.is_some() || migrating;
            if c.close_after_reply || waiting || (paused && c.held.is_some()) {
                return;
            }
            if c.held.is_none() {
                if run_since_prefetch % LOOKAHEAD == 0 {
                    prefetch_upcoming(&*self.engine, c);
                }
                run_since_prefetch += 1;
            }
            let argv = match c.held.take() {
                Some(argv) => argv,
                None => match c.parser.next_request() {
                    Ok(Some(argv)) => argv,
                    Ok(None) => return,
                    Err(e) => {
                        let message =
                            format!("Closing client id={id} addr={} after a protocol error: {}", c.conn.addr, e.0);
                        c.close_after_reply = true;
                        self.actions.push(Action::Log { level: LogLevel::Verbose, message });
                        self.stats.error_reply(&e.0);
                        self.emit(id, &e.to_frame());
                        return;
                    }
                },
            };
            if self.process_request(id, argv) == Flow::Held {
                return;
            }
        }
    }

    /// One request, checked in the order of Redis's processCommand.
    fn process_request(&mut self, id: ClientId, argv: Vec<Bytes>) -> Flow {
        let Some(first) = argv.first() else {
            return Flow::Continue;
        };
        if first.eq_ignore_ascii_case(b"host:") || first.eq_ignore_ascii_case(b"post") {
            // An HTTP request sent to the Redis port: drop the connection silently.
            if let Some(c) = self.clients.get_mut(&id) {
                c.close_after_reply = true;
            }
            let message = "Closed a connection that sent an HTTP request (POST or Host:) to the Redis port: \
                           a browser or proxy may be used to attack this server";
            self.actions.push(Action::Log { level: LogLevel::Warning, message: message.into() });
            return Flow::Continue;
        }
        let spec = match table::resolve(&argv) {
            Ok(spec) => spec,
            Err(e) => {
                let known = table::lookup_argv(&argv);
                if let Some(c) = self.clients.get_mut(&id) {
                    c.last_cmd = known.map(|s| s.fullname);
                }
                if known.is_some_and(|s| s.name == "exec") {
                    // Redis words a refused EXEC's arity error without its code.
                    let text = e.text().strip_prefix("ERR ").unwrap_or(e.text()).to_string();
                    self.exec_abort(id, known, &text);
                } else {
                    self.reject(id, known, e);
                }
                return Flow::Continue;
            }
        };
        let Some(c) = self.clients.get_mut(&id) else {
            return Flow::Continue;
        };
        c.last_cmd = Some(spec.fullname);
        let (local, authenticated, in_multi) = (c.conn.local, c.authenticated, c.multi.is_some());
        if spec.name == "debug" && !self.config.debug_allowed(local) {
            self.reject(id, Some(spec), errors::DEBUG_NOT_ALLOWED);
            return Flow::Continue;
        }
        if !authenticated && self.config.requirepass().is_some() && !spec.has(Flag::NoAuth) {
            if spec.name == "exec" {
                self.exec_abort(id, Some(spec), errors::NOAUTH.text());
            } else {
                self.reject(id, Some(spec), errors::NOAUTH);
            }
            return Flow::Continue;
        }
        if in_multi && spec.has(Flag::NoMulti) {
            self.reject(id, Some(spec), errors::NOT_IN_MULTI);
            return Flow::Continue;
        }
        let queued_write = spec.name == "exec" && c_queued_write(self.clients.get(&id));
        let denied = self.disk_denies(spec, queued_write).or_else(|| self.replication_denies(spec, queued_write));
        if let Some(e) = denied {
            if spec.name == "exec" {
                self.exec_abort(id, Some(spec), e.text());
            } else {
                self.reject(id, Some(spec), e);
            }
            return Flow::Continue;
        }
        if self.paused_for(spec) {
            if let Some(c) = self.clients.get_mut(&id) {
                c.held = Some(argv);
            }
            return Flow::Held;
        }
        if (!in_multi || spec.name == "exec") && self.migration_holds(id, spec, &argv) {
            // It names a key a MIGRATE is moving: it runs once the migration is over.
            if let Some(c) = self.clients.get_mut(&id) {
                c.held = Some(argv);
            }
            return Flow::Held;
        }
        if in_multi && !RUN_IN_MULTI.contains(&spec.fullname) {
            if let Some(m) = self.clients.get_mut(&id).and_then(|c| c.multi.as_mut()) {
                m.queued.push((spec, argv));
            }
            self.emit(id, &Frame::simple("QUEUED"));
            self.command_done(id);
            return Flow::Continue;
        }
        self.call(id, spec, &argv);
        if self.clients.get(&id).is_some_and(|c| c.waiting_disk || c.waiting_repl.is_some()) {
            // The reply comes when the disk is done; so does the next request.
            self.command_done(id);
            return Flow::Held;
        }
        if self.clients.get(&id).is_some_and(|c| c.blocked.is_some()) || self.migrate_waiting(id) {
            // Its reply comes when the block (or the MIGRATE) ends; so does the next request.
            self.handle_ready_keys();
            return Flow::Held;
        }
        self.command_done(id);
        self.handle_ready_keys();
        Flow::Continue
    }

    /// Whether CLIENT PAUSE holds this command back now: every command under
    /// ALL, those that may change data under WRITE.
    fn paused_for(&mut self, spec: &CommandSpec) -> bool {
        match self.pause {
            Some(p) if self.now_ms >= p.until_ms => {
                self.unpause();
                false
            }
            Some(p) => p.all || spec.has(Flag::Write) || spec.has(Flag::MayReplicate),
            None => false,
        }
    }

    /// A command refused before it ran: counted as rejected, and it spoils a
    /// transaction being queued.
    fn reject(&mut self, id: ClientId, spec: Option<&'static CommandSpec>, e: RedisError) {
        if let Some(spec) = spec {
            self.stats.command(spec).rejected_calls += 1;
        }
        if let Some(m) = self.clients.get_mut(&id).and_then(|c| c.multi.as_mut()) {
            m.aborted = true;
        }
        self.stats.error_reply(e.text());
        self.emit(id, &e.into());
        self.command_done(id);
    }

    /// An EXEC refused before it ran (Redis's `execCommandAbort`): the
    /// transaction is discarded and the watches dropped, in MULTI or not, and
    /// the error says why.
    fn exec_abort(&mut self, id: ClientId, spec: Option<&'static CommandSpec>, why: &str) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.multi = None;
        }
        self.unwatch_all(id);
        let text = format!("EXECABORT Transaction discarded because of: {why}");
        self.reject(id, spec, RedisError::owned(text));
    }

    /// End of a request: CLIENT REPLY SKIP covers exactly one command.
    fn command_done(&mut self, id: ClientId) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.reply.command_done();
        }
    }

    /// Encodes a reply for the client unless CLIENT REPLY suppresses it.
    pub(super) fn emit(&mut self, id: ClientId, frame: &Frame) {
        if let Some(c) = self.clients.get_mut(&id) {
            if !c.reply.suppressed() {
                let before = c.out.len();
                encode(frame, c.protocol, &mut c.out);
                c.reply_peak = c.reply_peak.max(c.out.len() - before);
            }
        }
    }

    /// Runs a resolved command for `id`: parse, execute, reply, then count
    /// it, log it if slow and show it to MONITOR clients (after the reply, so
    /// a client monitoring itself sees its reply first, as in Redis).
    pub(super) fn call(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Bytes]) {
        let start_us = self.now_ms.saturating_mul(1000);
        if let Some(c) = self.clients.get_mut(&id) {
            c.argv_mem = argv.iter().map(Bytes::len).sum();
        }
        let parsed = Command::parse(spec, argv, &self.parse_env);
        let offset_before = self.repl_offset_now();
        let reply = match parsed {
            Ok(cmd) => self.execute(id, spec, argv, cmd),
            Err(e) => Some(e.into()),
        };
        // WAIT waits for the stream offset of the client's last write.
        let offset_after = self.repl_offset_now();
        if offset_after != offset_before {
            if let Some(c) = self.clients.get_mut(&id) {
                c.woff = offset_after;
            }
        }
        let duration_us = (self.now_ms.saturating_mul(1000) - start_us).max(0) as u64;
        if let Some(c) = self.clients.get_mut(&id) {
            c.argv_mem = 0;
        }
        // A command that blocked, or a MIGRATE waiting for its target, is
        // counted and logged when it finally replies.
        if self.clients.get(&id).is_none_or(|c| c.blocked.is_none()) && !self.migrate_waiting(id) {
            let failed = reply.as_ref().is_some_and(Frame::is_error);
            if let Some(Frame::Error(text)) = &reply {
                self.stats.error_reply(text);
            }
            self.stats.call(spec, duration_us, failed);
            if let Some(r) = &reply {
                self.emit(id, r);
            }
            self.log_slow(id, spec, argv, start_us, duration_us);
        }
        self.feed_monitors(id, spec, argv, start_us);
    }

    /// Adds the command to the slow log if it took long enough.
    pub(super) fn log_slow(
        &mut self,
        id: ClientId,
        spec: &'static CommandSpec,
        argv: &[Bytes],
        start_us: i64,
        duration_us: u64,
    ) {
        let threshold = self.config.slowlog_slower_than();
        if spec.has(Flag::SkipSlowlog) || threshold < 0 || duration_us < threshold as u64 {
            return;
        }
        let Some(c) = self.clients.get(&id) else {
            return;
        };
        let (addr, name) = (c.conn.addr.clone(), c.name.clone().unwrap_or_default());
        let shown = redact::redacted(spec.fullname, argv);
        let max_len = self.config.slowlog_max_len();
        self.slowlog.push(&shown, start_us / 1_000_000, duration_us, &addr, &name, max_len);
    }

    /// Shows the command to MONITOR clients (administrative commands excepted).
    fn feed_monitors(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Bytes], start_us: i64) {
        if spec.has(Flag::SkipMonitor) || spec.has(Flag::Admin) || self.monitors.is_empty() {
            return;
        }
        let Some(c) = self.clients.get(&id) else {
            return;
        };
        let line = monitor::line(start_us, c.db, &c.conn.addr, &redact::redacted(spec.fullname, argv));
        for m in &self.monitors {
            if let Some(mc) = self.clients.get_mut(m) {
                mc.out.extend_from_slice(&line);
            }
        }
    }

    /// Executes a parsed command: the node's own commands here, keyspace
    /// commands in the engine.
    fn execute(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Bytes], cmd: Command) -> Option<Frame> {
        match cmd {
            Command::Connection(c) => self.connection_command(id, c),
            Command::Server(s) => self.server_command(id, s),
            // COMMAND HELP is COMMAND's own business.
            Command::Help { command: "command" } => Some(table::introspect::command(&argv[1..])),
            Command::Help { command } => Some(help::reply(command)),
            // MIGRATE talks to another server: the node runs it (migrate.rs).
            Command::NotImplemented { name: "migrate" } => self.migrate_command(id, spec, argv),
            Command::NotImplemented { name } => Some(errors::not_implemented(name).into()),
            Command::Flush { all: true, .. } => {
                let reply = self.run_engine(id, spec, argv, &cmd);
                // With save points FLUSHALL also saves, and its OK waits for that.
                if self.flushall_save(Some(id)) {
                    return None;
                }
                reply
            }
            other => self.run_engine(id, spec, argv, &other),
        }
    }

    /// A keyspace command for client `id`. None when it blocked: the client
    /// is parked and replies later.
    fn run_engine(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Bytes], cmd: &Command) -> Option<Frame> {
        let db = self.clients.get(&id).map_or(0, |c| c.db);
        let may_block = self.exec_effects.is_none();
        let (reply, block) = self.engine_run(db, argv, cmd, may_block);
        match block {
            Some(b) => {
                self.block_client(id, spec, argv, db, b);
                None
            }
            None => Some(reply),
        }
    }

    /// The engine runs a command in `db`; the node propagates its effects,
    /// counts its changes, invalidates WATCHes on the keys it touched and
    /// readies clients blocked on them. Returns the reply and, if the command
    /// wants to block, on what.
    pub(super) fn engine_run(
        &mut self,
        db: usize,
        argv: &[Bytes],
        cmd: &Command,
        may_block: bool,
    ) -> (Frame, Option<BlockOn>) {
        let scratch = std::mem::take(&mut self.touched_scratch);
        let interest = |db| waited_on(&self.watchers, &self.blocking, db);
        let mut cx = Context::new(db, self.now_ms, &mut self.rng, &self.engine_config, argv);
        cx.may_block = may_block;
        cx.touched = scratch;
        cx.interest = Some(&interest);
        let reply = self.engine.execute(&mut cx, cmd);
        let block = cx.block.take();
        let mut touched = std::mem::take(&mut cx.touched);
        let dirty = cx.dirty;
        if self.exec_effects.is_none() && !self.propagation.is_consumed() {
            cx.visit_effects(|db, argv| self.propagation.count(db, argv));
        } else {
            let effects = cx.into_effects();
            self.propagate(effects);
        }
        self.dirty += dirty;
        self.keys_touched(&touched);
        touched.clear();
        touched.shrink_to(TOUCHED_KEPT);
        self.touched_scratch = touched;
        (reply, block)
    }

    /// Keys an engine changed: WATCHes on them fail, blocked clients wake.
    /// A command that replaces whole databases names only the keys of
    /// [`waited_on`] among them.
    pub(super) fn keys_touched(&mut self, touched: &[(usize, Bytes)]) {
        if self.watchers.is_empty() && self.blocking.is_empty() {
            return;
        }
        for (db, key) in touched {
            self.touch_key(*db, key);
            self.key_ready(*db, key);
        }
    }

    /// Effects go to the stream, or to the transaction being executed.
    pub(super) fn propagate(&mut self, effects: Vec<redsim_model::Effect>) {
        if effects.is_empty() {
            return;
        }
        match &mut self.exec_effects {
            Some(buf) => buf.extend(super::propagation::unwrap_multi(effects)),
            None => self.propagation.append(effects),
        }
    }

    /// One active expire cycle; its DELs are propagated as they are.
    pub(super) fn active_expire_cycle(&mut self, now_ms: i64) {
        let mut cx = Context::new(0, now_ms, &mut self.rng, &self.engine_config, &[]);
        self.engine.active_expire_cycle(&mut cx);
        self.dirty += cx.dirty;
        let effects = std::mem::take(&mut cx.effects);
        let touched = std::mem::take(&mut cx.touched);
        self.keys_touched(&touched);
        if !effects.is_empty() {
            self.propagation.append(effects);
        }
    }
}
