//! The persistence commands and checks: SAVE, BGSAVE, BGREWRITEAOF,
//! SHUTDOWN's saving, FLUSHALL's save, DEBUG RELOAD, `-MISCONF` and
//! `-LOADING`, and replies that wait for the disk.

use redsim_model::command::server::ShutdownArgs;
use redsim_model::errors::{self, RedisError};
use redsim_model::resp::Frame;
use redsim_model::table::{CommandSpec, Flag};

use super::aof_rewrite::RewriteKind;
use super::rdb_save::SavePurpose;
use super::{LogLevel, Node};
use crate::node::child::Child;
use crate::node::{Action, ClientId};

/// A SHUTDOWN finishing its persistence work.
#[derive(Debug)]
pub struct ShutdownJob {
    client: Option<ClientId>,
    save: bool,
    force: bool,
    stage: Stage,
}

#[derive(Debug, PartialEq, Eq)]
enum Stage {
    /// Writing and fsyncing what the AOF still buffers; `tried` once a
    /// failed attempt has been made (errors do not stop the shutdown).
    FlushAof {
        tried: bool,
    },
    Saving,
}

/// A node that was never started has no disk to save to (tests, simulations without one).
fn not_started() -> Frame {
    Frame::Error("ERR this node has no disk (it was never started)".into())
}

impl Node {
    /// SAVE: a snapshot now; the reply comes when the file is in place.
    pub(in crate::node) fn save_command(&mut self, id: ClientId) -> Option<Frame> {
        if !self.persist.started {
            return Some(not_started());
        }
        if self.save_in_progress() {
            return Some(errors::BGSAVE_IN_PROGRESS.into());
        }
        self.persist.rdb.saves += 1;
        self.start_save(SavePurpose::Save(id));
        self.wait_for_disk(id);
        None
    }

    /// What refuses SAVE and BGSAVE ("Background save already in
    /// progress"): a save of ours, or Redis's RDB child, which a full
    /// sync's snapshot is too.
    fn save_in_progress(&self) -> bool {
        self.persist.rdb.job.is_some() || self.child().is_some_and(Child::is_rdb)
    }

    /// BGSAVE [SCHEDULE].
    pub(in crate::node) fn bgsave_command(&mut self, schedule: bool) -> Frame {
        if !self.persist.started {
            return not_started();
        }
        // Even SCHEDULE is refused: Redis schedules only behind other children.
        if self.save_in_progress() {
            return errors::BGSAVE_IN_PROGRESS.into();
        }
        let in_exec = self.exec_effects.is_some();
        if self.aof_rewrite_running() || in_exec {
            if schedule || in_exec {
                self.persist.rdb.bgsave_scheduled = true;
                return Frame::simple("Background saving scheduled");
            }
            return errors::BGSAVE_CHILD_ACTIVE.into();
        }
        self.persist.rdb.saves += 1;
        self.start_save(SavePurpose::Background);
        Frame::simple("Background saving started")
    }

    /// BGREWRITEAOF.
    pub(in crate::node) fn bgrewriteaof_command(&mut self) -> Frame {
        if !self.persist.started {
            return not_started();
        }
        if self.aof_rewrite_running() {
            return errors::BGREWRITEAOF_IN_PROGRESS.into();
        }
        if self.child().is_some() || self.exec_effects.is_some() {
            self.persist.rewrite_scheduled = true;
            self.persist.rewrite_stats.consecutive_failures = 0;
            return Frame::simple("Background append only file rewriting scheduled");
        }
        let kind = if self.persist.aof.is_some() { RewriteKind::Background } else { RewriteKind::Enable };
        self.start_rewrite(kind);
        Frame::simple("Background append only file rewriting started")
    }

    /// A rewrite the user can see (INFO `aof_rewrite_in_progress`).
    pub(in crate::node) fn aof_rewrite_running(&self) -> bool {
        self.persist.rewrite.as_ref().is_some_and(|r| matches!(r.kind, RewriteKind::Background | RewriteKind::Enable))
    }

    /// FLUSHALL ran, a client's (`id`) or the master's in the replication
    /// stream (None): Redis kills its RDB child, whichever it is (what it
    /// writes is the data just flushed), and with save points saves the
    /// empty dataset at once, a client's reply waiting for it. Returns true
    /// when the reply is deferred.
    pub(in crate::node) fn flushall_save(&mut self, id: Option<ClientId>) -> bool {
        self.kill_background_save();
        self.kill_transfer();
        if !self.persist.started || !self.has_save_points() {
            return false;
        }
        if self.persist.rdb.job.is_some() {
            return false;
        }
        let waiter = id.filter(|_| self.exec_effects.is_none());
        self.start_save(SavePurpose::Flushall(waiter));
        if let Some(id) = waiter {
            self.wait_for_disk(id);
        }
        waiter.is_some()
    }

    /// DEBUG RELOAD: save, then load the saved file back.
    pub(in crate::node) fn debug_reload(&mut self, id: ClientId) -> Option<Frame> {
        if !self.persist.started {
            return Some(not_started());
        }
        if self.exec_effects.is_some() {
            // Its reply would come after those of the commands queued behind it.
            return Some(Frame::Error("ERR DEBUG RELOAD is not supported inside MULTI by redsim".into()));
        }
        if self.persist.rdb.job.is_some() {
            return Some(errors::BGSAVE_IN_PROGRESS.into());
        }
        self.start_save(SavePurpose::Reload(id));
        self.wait_for_disk(id);
        None
    }

    /// A replica loaded its master's snapshot: the AOF starts over from it,
    /// as Redis stops and restarts it (what was logged before describes
    /// data that is gone).
    pub(in crate::node) fn restart_aof_after_sync(&mut self) {
        if !self.persist.started || self.persist.aof.is_none() {
            return;
        }
        self.stop_aof();
        self.start_rewrite(RewriteKind::Enable);
    }

    /// `appendonly` or `appendfsync` changed.
    pub(in crate::node) fn persistence_config_changed(&mut self, name: &str) {
        if !self.persist.started || self.persist.loading {
            return;
        }
        match name {
            "appendonly" => {
                let on = self.config.get_bool("appendonly");
                if on && self.persist.aof.is_none() {
                    self.start_rewrite(RewriteKind::Enable);
                } else if !on && self.persist.aof.is_some() {
                    self.stop_aof();
                }
            }
            "appendfsync" => {
                let policy = super::aof::FsyncPolicy::from_config(self.config.get("appendfsync"));
                if let Some(w) = self.persist.aof.as_mut() {
                    w.policy = policy;
                }
            }
            _ => {}
        }
    }

    /// Why `spec` may not run now because of the disk, if it may not:
    /// `-LOADING` while loading, `-MISCONF` after a failed background save
    /// (with `stop-writes-on-bgsave-error`) or while the AOF cannot be written.
    pub(in crate::node) fn disk_denies(&self, spec: &CommandSpec, queued_write: bool) -> Option<RedisError> {
        if !self.persist.started {
            return None;
        }
        let write = spec.has(Flag::Write) || spec.name == "ping" || queued_write;
        if write {
            // The cheap test first: this runs before every write.
            if !self.persist.rdb.last_bgsave_ok
                && self.config.get_bool("stop-writes-on-bgsave-error")
                && self.has_save_points()
            {
                return Some(errors::MISCONF_RDB);
            }
            if let Some(e) = self.aof_error() {
                return Some(errors::misconf_aof(e));
            }
        }
        if self.persist.loading && !spec.has(Flag::Loading) {
            return Some(errors::LOADING);
        }
        None
    }

    /// The client's next request waits until its reply is ready.
    fn wait_for_disk(&mut self, id: ClientId) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.waiting_disk = true;
        }
    }

    /// A deferred reply is ready: the client goes on with its requests.
    pub(super) fn reply_later(&mut self, id: ClientId, reply: &Frame) {
        if let Frame::Error(text) = reply {
            self.stats.error_reply(text);
        }
        self.emit(id, reply);
        if let Some(c) = self.clients.get_mut(&id) {
            c.waiting_disk = false;
            self.pending.insert(id);
        }
    }

    /// The offset up to which held replies may go out.
    pub(in crate::node) fn reply_ack(&self) -> (u64, u64) {
        match &self.persist.aof {
            Some(w) => (w.appended, w.ack_offset()),
            None => (0, u64::MAX),
        }
    }

    /// Hands out (or holds) a client's output at the end of a batch.
    pub(in crate::node) fn send_or_hold(&mut self, id: ClientId, bytes: Vec<u8>) {
        let (tag, ack) = self.reply_ack();
        if self.persist.gate.must_hold(id, tag, ack) {
            self.persist.gate.hold(id, tag, bytes, false);
        } else {
            self.actions.push(Action::Send { client: id, bytes });
        }
    }

    /// Closes a connection after whatever is held for it.
    pub(in crate::node) fn close_after_held(&mut self, id: ClientId) {
        if !self.persist.gate.hold_close(id) {
            self.actions.push(Action::Close { client: id });
        }
    }

    /// Drops the replies held for `id` (it is dropped with its unsent output).
    pub(in crate::node) fn drop_held_output(&mut self, id: ClientId) {
        self.persist.gate.forget(id);
    }

    /// Sends the held replies the AOF now covers.
    pub(in crate::node) fn release_replies(&mut self) {
        if self.persist.gate.is_empty() {
            return;
        }
        let (_, ack) = self.reply_ack();
        for (client, bytes, close) in self.persist.gate.release(ack) {
            if !bytes.is_empty() {
                self.actions.push(Action::Send { client, bytes });
            }
            if close {
                self.actions.push(Action::Close { client });
            }
        }
    }

    /// SHUTDOWN (or SIGTERM when `client` is None): kill background jobs,
    /// flush the AOF, save if asked or if save points exist, then exit.
    pub(in crate::node) fn begin_shutdown(&mut self, client: Option<ClientId>, args: ShutdownArgs) -> Option<Frame> {
        self.log_replicas_at_shutdown();
        if !self.persist.started {
            self.shutting_down = true;
            return None;
        }
        // Redis's RDB child: a BGSAVE's or a full sync's. The process
        // exits before it would reap it, so nothing more is logged.
        if self.persist.background_save_running() || self.transfer_making_snapshot() {
            self.log(LogLevel::Warning, "There is a child saving an .rdb. Killing it!".into());
            self.drop_background_save();
            self.drop_transfer();
        }
        if self.aof_rewrite_running() {
            self.log(LogLevel::Warning, "There is a child rewriting the AOF. Killing it!".into());
            if let Some(w) = self.persist.aof.as_mut() {
                if w.next.as_ref().is_some_and(|n| !n.ready) {
                    w.abort_switch();
                }
            }
            self.take_rewrite();
        }
        if self.persist.aof.is_some() {
            self.log(LogLevel::Notice, "Calling fsync() on the AOF file.".into());
        }
        // Never save a half-loaded dataset over the files it comes from
        // (nor a replica's, half replaced by its master's snapshot).
        let loading = self.persist.loading || self.snapshot_loading();
        let save = !loading && (args.save == Some(true) || (args.save.is_none() && self.has_save_points()));
        self.persist.shutdown =
            Some(ShutdownJob { client, save, force: args.force, stage: Stage::FlushAof { tried: false } });
        if let Some(id) = client {
            self.wait_for_disk(id);
        }
        self.shutdown_progress();
        None
    }

    /// A termination request from outside (SIGTERM): a SHUTDOWN without flags.
    pub fn request_shutdown(&mut self, now_ms: i64) {
        self.signal_shutdown("SIGTERM", now_ms);
    }

    /// SIGTERM or SIGINT (`signal`): a SHUTDOWN with the flags of
    /// `shutdown-on-sigterm` / `shutdown-on-sigint` (`default` means none).
    pub fn signal_shutdown(&mut self, signal: &str, now_ms: i64) {
        self.now_ms = now_ms;
        let param = if signal == "SIGINT" { "shutdown-on-sigint" } else { "shutdown-on-sigterm" };
        let mut args = ShutdownArgs::default();
        for flag in self.config.get(param).split_whitespace() {
            match flag {
                "save" => args.save = Some(true),
                "nosave" => args.save = Some(false),
                "now" => args.now = true,
                "force" => args.force = true,
                _ => {}
            }
        }
        if self.persist.shutdown.is_none() && !self.shutting_down {
            self.persist.shutdown_signal = Some(signal.to_string());
            if !self.shutdown_waits_for_replicas(None, args) {
                self.begin_shutdown(None, args);
            }
        }
        self.finish();
    }

    /// Moves a pending shutdown along.
    pub(super) fn shutdown_progress(&mut self) {
        let Some(job) = self.persist.shutdown.as_mut() else { return };
        if let Stage::FlushAof { tried } = job.stage {
            if let Some(w) = self.persist.aof.as_ref() {
                let failed = w.write_error.is_some() || w.fsync_error.is_some();
                // Done when everything is on disk, or when a retry failed too:
                // Redis does not let a disk error keep it from exiting.
                // (An AOF still being turned on has no file yet: nothing to flush.)
                let done = w.is_drained() || w.cur.is_none() || (tried && failed && w.is_idle());
                if !done {
                    if w.is_idle() {
                        job.stage = Stage::FlushAof { tried: true };
                        self.aof_flush_with(true);
                        self.aof_sync_now();
                    }
                    return;
                }
            }
            if self.persist.rdb.job.is_some() {
                // A SAVE or FLUSHALL save still running goes first.
                return;
            }
            let Some(job) = self.persist.shutdown.as_mut() else { return };
            job.stage = Stage::Saving;
            if job.save {
                self.log(LogLevel::Notice, "Saving the final RDB snapshot before exiting.".into());
                self.start_save(SavePurpose::Shutdown);
                return;
            }
            self.shutdown_exit();
        }
    }

    /// The final save ended.
    pub(super) fn shutdown_saved(&mut self, ok: bool) {
        let Some(job) = self.persist.shutdown.take() else { return };
        if ok || job.force {
            self.persist.shutdown = Some(job);
            self.shutdown_exit();
            return;
        }
        self.log(LogLevel::Warning, "Error trying to save the DB, can't exit.".into());
        self.log(
            LogLevel::Warning,
            "Errors trying to shut down the server. Check the logs for more information.".into(),
        );
        match job.client {
            Some(id) => self.reply_later(id, &errors::SHUTDOWN_FAILED.into()),
            None => {
                let signal = self.persist.shutdown_signal.take().unwrap_or_else(|| "SIGTERM".into());
                self.log(
                    LogLevel::Warning,
                    format!("{signal} received but errors trying to shut down the server, check the logs for more information"),
                );
            }
        }
    }

    fn shutdown_exit(&mut self) {
        self.persist.shutdown = None;
        self.shutting_down = true;
    }
}
