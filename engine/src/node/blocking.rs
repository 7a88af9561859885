//! Clients blocked in BLPOP, BZPOPMIN and friends.
//!
//! An engine that finds nothing to serve sets `Context::block`; the node then
//! parks the client on the keys, in arrival order per key. When a command
//! touches one of those keys, the parked clients are tried again in that
//! order once the command has finished (Redis's `handleClientsBlockedOnKeys`);
//! a client whose retry would block again stays where it is. The timeout is
//! counted from the first attempt; when it passes the client gets the
//! command's timeout reply. Either way the client then goes on with the
//! requests it sent meanwhile.

use bytes::Bytes;
use redsim_model::command::Command;
use redsim_model::engine::BlockOn;
use redsim_model::errors;
use redsim_model::resp::Frame;
use redsim_model::table::CommandSpec;

use super::{ClientId, Node};

/// What a blocked client is waiting to run again.
#[derive(Clone, Debug)]
pub struct Blocked {
    pub spec: &'static CommandSpec,
    pub argv: Vec<Bytes>,
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Unix ms when the timeout passes; None waits forever.
    pub deadline_ms: Option<i64>,
    pub on_timeout: Frame,
}

impl Node {
    /// Parks client `id` on the keys of `block`.
    pub(super) fn block_client(
        &mut self,
        id: ClientId,
        spec: &'static CommandSpec,
        argv: &[Bytes],
        db: usize,
        block: BlockOn,
    ) {
        let deadline_ms = block.timeout_ms.map(|t| self.now_ms.saturating_add(t.min(i64::MAX as u64) as i64));
        for key in &block.keys {
            let queue = self.blocking.entry((db, key.clone())).or_default();
            if !queue.contains(&id) {
                queue.push(id);
            }
        }
        if let Some(c) = self.clients.get_mut(&id) {
            c.blocked = Some(Blocked {
                spec,
                argv: argv.to_vec(),
                db,
                keys: block.keys,
                deadline_ms,
                on_timeout: block.on_timeout,
            });
        }
    }

    /// Takes client `id` off every key it waits on.
    pub(super) fn unblock_client(&mut self, id: ClientId) -> Option<Blocked> {
        let b = self.clients.get_mut(&id)?.blocked.take()?;
        for key in &b.keys {
            let k = (b.db, key.clone());
            if let Some(queue) = self.blocking.get_mut(&k) {
                queue.retain(|c| *c != id);
                if queue.is_empty() {
                    self.blocking.remove(&k);
                }
            }
        }
        Some(b)
    }

    /// A key changed: if someone waits on it, it gets looked at after the command.
    pub(super) fn key_ready(&mut self, db: usize, key: &Bytes) {
        let k = (db, key.clone());
        if self.blocking.contains_key(&k) && !self.ready_keys.contains(&k) {
            self.ready_keys.push(k);
        }
    }

    /// Retries the clients parked on keys that changed, until no key is ready
    /// (a served client may itself make another key ready, as BLMOVE does).
    pub(super) fn handle_ready_keys(&mut self) {
        while !self.ready_keys.is_empty() {
            let keys = std::mem::take(&mut self.ready_keys);
            for k in keys {
                let waiting = self.blocking.get(&k).cloned().unwrap_or_default();
                for id in waiting {
                    self.retry_blocked(id, &k.1);
                }
            }
        }
    }

    /// Serves a blocked client from `key`, the key that became ready, as
    /// Redis does: only if it now holds the type the command pops from (a key
    /// that became a string leaves the client waiting on its other keys), by
    /// running the command restricted to that key. It either blocks again
    /// (and keeps its place) or replies and goes on.
    fn retry_blocked(&mut self, id: ClientId, key: &Bytes) {
        let Some(c) = self.clients.get(&id) else {
            return;
        };
        let Some(b) = c.blocked.clone() else { return };
        if c.close_after_reply || self.touches_migrating(b.spec, &b.argv) {
            // A key it would change is being migrated: it gets another look after.
            return;
        }
        let wanted = if b.spec.name.starts_with("bz") { "zset" } else { "list" };
        if self.engine.type_name(b.db, key, self.now_ms) != Some(wanted) {
            return;
        }
        let argv = argv_for_key(b.spec.name, &b.argv, key);
        let reply = match Command::parse(b.spec, &argv, &self.parse_env) {
            Ok(cmd) => {
                let (reply, again) = self.engine_run(b.db, &argv, &cmd, true);
                if again.is_some() {
                    return;
                }
                reply
            }
            Err(e) => e.into(),
        };
        self.unblock_client(id);
        self.finish_blocked(id, b.spec, &b.argv, reply);
    }

    /// The reply that ends a block, counted as the command's call.
    fn finish_blocked(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Bytes], reply: Frame) {
        if let Frame::Error(text) = &reply {
            self.stats.error_reply(text);
        }
        self.stats.call(spec, 0, reply.is_error());
        self.emit(id, &reply);
        self.log_slow(id, spec, argv, self.now_ms.saturating_mul(1000), 0);
        if let Some(c) = self.clients.get_mut(&id) {
            c.reply.command_done();
        }
        self.pending.insert(id);
    }

    /// Answers the blocked clients whose timeout has passed.
    pub(super) fn expire_blocked(&mut self, now_ms: i64) {
        let due: Vec<ClientId> = self
            .clients
            .values()
            .filter(|c| c.blocked.as_ref().is_some_and(|b| b.deadline_ms.is_some_and(|d| d <= now_ms)))
            .map(|c| c.id)
            .collect();
        for id in due {
            if let Some(b) = self.unblock_client(id) {
                self.finish_blocked(id, b.spec, &b.argv, b.on_timeout);
            }
        }
    }

    /// CLIENT UNBLOCK: ends a block early with the timeout reply or an error.
    /// False if the client is not blocked.
    pub(super) fn unblock_by_request(&mut self, target: ClientId, error: bool) -> bool {
        let Some(b) = self.unblock_client(target) else {
            return false;
        };
        let reply = if error { errors::UNBLOCKED.into() } else { b.on_timeout };
        self.finish_blocked(target, b.spec, &b.argv, reply);
        true
    }

    /// A master became a replica: every blocked client gets an error, as
    /// what it waits for may never come (Redis's disconnectAllBlockedClients).
    pub(super) fn unblock_all_for_role_change(&mut self) {
        let blocked: Vec<ClientId> = self.clients.values().filter(|c| c.blocked.is_some()).map(|c| c.id).collect();
        for id in blocked {
            if let Some(b) = self.unblock_client(id) {
                let reply = Frame::error(
                    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
                );
                self.finish_blocked(id, b.spec, &b.argv, reply);
            }
        }
    }

    /// The earliest time something is due besides the regular tick: a
    /// blocked client's timeout, the end of a CLIENT PAUSE or a MIGRATE's
    /// timeout. A driver calls [`Node::timers`] then rather than waiting for
    /// the next tick.
    pub fn next_timer_ms(&self) -> Option<i64> {
        let others = self
            .pause
            .map(|p| p.until_ms)
            .into_iter()
            .chain(self.migrate_next_deadline())
            .chain(self.transfer_timer())
            .chain(self.snapshot_load_timer())
            .chain(self.loading_timer())
            .min();
        // Drivers ask after every event: no walk over all clients when none
        // is blocked (a blocked client always waits on some key).
        if self.blocking.is_empty() {
            return others;
        }
        let blocked = self.clients.values().filter_map(|c| c.blocked.as_ref().and_then(|b| b.deadline_ms));
        blocked.chain(others).min()
    }

    /// Blocked-client and MIGRATE timeouts and the end of a CLIENT PAUSE,
    /// without the rest of serverCron.
    pub fn timers(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.run_timers(now_ms);
        self.run_pending();
        self.finish();
    }

    /// [`Node::timers`] if they are due at `now_ms`; whether they ran.
    /// For drivers that step a node by hand (tests).
    pub fn run_due_timers(&mut self, now_ms: i64) -> bool {
        let due = self.next_timer_ms().is_some_and(|at| at <= now_ms);
        if due {
            self.timers(now_ms);
        }
        due
    }

    pub(super) fn run_timers(&mut self, now_ms: i64) {
        if self.pause.is_some_and(|p| now_ms >= p.until_ms) {
            self.unpause();
        }
        self.expire_blocked(now_ms);
        self.migrate_timers(now_ms);
        self.transfer_step();
        self.snapshot_load_step();
        self.loading_step();
    }
}

/// The blocked command with `key` as its only source key, so that serving it
/// pops from the key that became ready and from no other.
fn argv_for_key(name: &str, argv: &[Bytes], key: &Bytes) -> Vec<Bytes> {
    match name {
        // BLPOP key... timeout, and the sorted-set twins.
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" if argv.len() >= 3 => {
            vec![argv[0].clone(), key.clone(), argv[argv.len() - 1].clone()]
        }
        // BLMPOP timeout numkeys key... rest, and BZMPOP.
        "blmpop" | "bzmpop" if argv.len() >= 4 => {
            let numkeys = redsim_model::num::parse_i64(&argv[2]).unwrap_or(0).max(0) as usize;
            let rest = argv.get(3 + numkeys..).unwrap_or(&[]);
            let mut out = vec![argv[0].clone(), argv[1].clone(), Bytes::from_static(b"1"), key.clone()];
            out.extend_from_slice(rest);
            out
        }
        // BLMOVE and BRPOPLPUSH have a single source already.
        _ => argv.to_vec(),
    }
}
