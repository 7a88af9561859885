//! The AOF writer: the effect stream, with a SELECT wherever the database
//! changes, appended to the current incremental file after each event batch
//! (Redis's beforeSleep), fsynced as `appendfsync` says.
//!
//! One write or fsync is in flight at a time; what arrives meanwhile waits in
//! the buffer and goes out with the next write (group commit). Offsets are
//! counted over the node's life: `appended` ≥ `written` ≥ `durable`. Replies
//! are held until the AOF has what they acknowledge: written (everysec, no)
//! or fsynced (always), as Redis writes before it replies.

use bytes::Bytes;
use redsim_model::Effect;

use super::aof_checkpoint::checkpoint_line;
use super::aof_format::encode_command;
use super::aof_manifest::Manifest;
use super::storage::{StorageOp, StorageResult};
use super::{LogLevel, Node, Owner};

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    Always,
    Everysec,
    No,
}

impl FsyncPolicy {
    pub fn from_config(v: &str) -> FsyncPolicy {
        match v {
            "always" => FsyncPolicy::Always,
            "no" => FsyncPolicy::No,
            _ => FsyncPolicy::Everysec,
        }
    }
}

/// A file being appended to.
#[derive(Clone, Debug)]
pub struct OpenFile {
    pub name: String,
    pub path: String,
    pub size: u64,
}

/// The incremental file a rewrite switches to, with what is already meant for it.
#[derive(Debug)]
pub struct NextFile {
    pub file: OpenFile,
    buf: Vec<u8>,
    last_db: Option<usize>,
    /// Created and recorded in the manifest: writes may go there.
    pub ready: bool,
}

#[derive(Debug)]
enum Inflight {
    Write { data: Vec<u8> },
    Fsync { covers: u64 },
}

/// The AOF writer's state.
#[derive(Debug)]
pub struct AofWriter {
    pub policy: FsyncPolicy,
    /// The incremental file being appended to (None until one is open).
    pub cur: Option<OpenFile>,
    buf: Vec<u8>,
    /// How many leading bytes of `buf` already end in a checkpoint (a failed
    /// write put back for a retry keeps its own).
    sealed: usize,
    /// CRC64 and length of bytes already in the current file after its last
    /// checkpoint (found on load); the next checkpoint covers them too.
    pub unsealed: (u64, u64),
    last_db: Option<usize>,
    pub next: Option<NextFile>,
    inflight: Option<Inflight>,
    pub appended: u64,
    pub written: u64,
    pub durable: u64,
    last_fsync_ms: i64,
    last_retry_ms: i64,
    pub write_error: Option<String>,
    pub fsync_error: Option<String>,
    /// The files of the AOF as the manifest on disk lists them.
    pub manifest: Manifest,
    pub base_size: u64,
    /// Sizes of the incremental files before the current one.
    pub older_incr_size: u64,
    /// aof_current_size after the last load or rewrite (auto rewrite growth).
    pub rewrite_base_size: u64,
}

impl AofWriter {
    pub fn new(policy: FsyncPolicy, now_ms: i64) -> AofWriter {
        AofWriter {
            policy,
            cur: None,
            buf: Vec::new(),
            sealed: 0,
            unsealed: (0, 0),
            last_db: None,
            next: None,
            inflight: None,
            appended: 0,
            written: 0,
            durable: 0,
            last_fsync_ms: now_ms,
            last_retry_ms: now_ms,
            write_error: None,
            fsync_error: None,
            manifest: Manifest::default(),
            base_size: 0,
            older_incr_size: 0,
            rewrite_base_size: 0,
        }
    }

    /// Encodes effects into the buffer of the file they belong to: the next
    /// file once a rewrite has begun, else the current one.
    pub fn append(&mut self, effects: &[Effect]) {
        let (buf, last_db) = match &mut self.next {
            Some(n) => (&mut n.buf, &mut n.last_db),
            None => (&mut self.buf, &mut self.last_db),
        };
        let before = buf.len();
        for e in effects {
            if *last_db != Some(e.db) {
                let select = [Bytes::from_static(b"SELECT"), Bytes::from(e.db.to_string())];
                encode_command(&select, buf);
                *last_db = Some(e.db);
            }
            encode_command(&e.argv, buf);
        }
        self.appended += (buf.len() - before) as u64;
    }

    /// The offset replies may be released up to.
    pub fn ack_offset(&self) -> u64 {
        match self.policy {
            FsyncPolicy::Always => self.durable,
            // Redis keeps replying while it cannot write; the data waits in its buffer.
            _ if self.write_error.is_some() => self.appended,
            _ => self.written,
        }
    }

    /// Nothing buffered, nothing in flight, everything fsynced.
    pub fn is_drained(&self) -> bool {
        self.inflight.is_none()
            && self.buf.is_empty()
            && self.next.as_ref().is_none_or(|n| n.buf.is_empty())
            && self.unsealed.1 == 0
            && self.durable == self.appended
    }

    pub fn is_idle(&self) -> bool {
        self.inflight.is_none()
    }

    /// `aof_current_size`.
    pub fn current_size(&self) -> u64 {
        self.base_size + self.older_incr_size + self.cur.as_ref().map_or(0, |c| c.size)
    }

    /// Bytes waiting to be written (`aof_buffer_length`).
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.next.as_ref().map_or(0, |n| n.buf.len())
    }

    /// A rewrite that never got its new file ready was dropped: what was
    /// meant for that file goes to the current one (it starts with its own SELECT).
    pub fn abort_switch(&mut self) {
        if let Some(n) = self.next.take() {
            if !n.buf.is_empty() {
                self.buf.extend_from_slice(&n.buf);
                self.last_db = n.last_db;
            }
        }
    }

    /// A rewrite began: effects from now on go to `file`.
    pub fn begin_switch(&mut self, file: OpenFile) {
        self.next = Some(NextFile { file, buf: Vec::new(), last_db: None, ready: false });
    }
}

impl Node {
    /// Issues the AOF's next write or fsync, if one is due and none is in flight.
    /// `force` retries a failed write at once (shutdown) instead of once a second.
    pub(super) fn aof_flush_with(&mut self, force: bool) {
        let now = self.now_ms;
        let Some(w) = &mut self.persist.aof else { return };
        if w.inflight.is_some() {
            return;
        }
        loop {
            let Some((path, size)) = w.cur.as_ref().map(|c| (c.path.clone(), c.size)) else {
                // No file yet (AOF being created): only a ready next file helps.
                match w.next.take() {
                    Some(n) if n.ready => {
                        w.cur = Some(n.file);
                        w.buf = n.buf;
                        w.sealed = 0;
                        w.unsealed = (0, 0);
                        w.last_db = n.last_db;
                        continue;
                    }
                    other => {
                        w.next = other;
                        return;
                    }
                }
            };
            // Always: before anything else. Everysec: once a second is due, even
            // if writes keep the writer busy (the cron would never find it idle).
            let everysec_due = w.policy == FsyncPolicy::Everysec && now - w.last_fsync_ms >= 1000;
            if (w.policy == FsyncPolicy::Always || everysec_due) && w.written > w.durable {
                w.inflight = Some(Inflight::Fsync { covers: w.written });
                self.persist.io.issue(Owner::AofFsync, StorageOp::Fsync { path });
                return;
            }
            if !w.buf.is_empty() || w.unsealed.1 > 0 {
                if w.write_error.is_some() && !force && now - w.last_retry_ms < 1000 {
                    return;
                }
                // Every write ends with the checksum of what it adds, so that
                // damage is found when the file is read back.
                if w.sealed < w.buf.len() || w.unsealed.1 > 0 {
                    let line = checkpoint_line(std::mem::take(&mut w.unsealed), &w.buf[w.sealed..]);
                    w.appended += line.len() as u64;
                    w.buf.extend_from_slice(&line);
                }
                w.sealed = 0;
                let data = std::mem::take(&mut w.buf);
                let op = StorageOp::Write { path, offset: size, data: data.clone() };
                w.inflight = Some(Inflight::Write { data });
                self.persist.io.issue(Owner::AofWrite, op);
                return;
            }
            if w.next.as_ref().is_some_and(|n| n.ready) {
                // The old file gets its last fsync before writes move on,
                // whatever the policy (as Redis's aof_background_fsync_and_close):
                // the manifest already names the new file, and a torn old file
                // that is not the last one would refuse to load.
                if w.written > w.durable {
                    w.inflight = Some(Inflight::Fsync { covers: w.written });
                    self.persist.io.issue(Owner::AofFsync, StorageOp::Fsync { path });
                    return;
                }
                let n = w.next.take().expect("checked");
                w.older_incr_size += size;
                w.cur = Some(n.file);
                w.buf = n.buf;
                w.sealed = 0;
                w.unsealed = (0, 0);
                w.last_db = n.last_db;
                continue;
            }
            return;
        }
    }

    pub(super) fn aof_flush(&mut self) {
        self.aof_flush_with(false);
    }

    pub(super) fn aof_write_done(&mut self, result: StorageResult) {
        let now = self.now_ms;
        let Some(w) = &mut self.persist.aof else { return };
        let Some(Inflight::Write { data }) = w.inflight.take() else { return };
        match result.error() {
            None => {
                let len = data.len() as u64;
                if let Some(c) = &mut w.cur {
                    c.size += len;
                }
                w.written += len;
                if w.write_error.take().is_some() {
                    self.log(LogLevel::Warning, "AOF write error looks solved, Redis can write again.".into());
                }
            }
            Some(e) => {
                let text = e.text();
                let always = w.policy == FsyncPolicy::Always;
                // The data goes back in front of what arrived since, to be retried.
                let mut again = data;
                w.sealed = again.len();
                again.extend_from_slice(&w.buf);
                w.buf = again;
                w.last_retry_ms = now;
                let first = w.write_error.replace(text.clone()).is_none();
                if first || always {
                    self.log(LogLevel::Warning, format!("Error writing to the AOF file: {text}"));
                }
                // Whatever part of the write landed is cut off again, so the
                // file ends on a complete command even if no retry succeeds,
                // and even when the server exits right after (as Redis's
                // ftruncate before exit under `always`).
                if let Some(c) = self.persist.aof.as_ref().and_then(|w| w.cur.as_ref()) {
                    let op = StorageOp::Truncate { path: c.path.clone(), len: c.size };
                    self.persist.io.issue(Owner::Cleanup, op);
                }
                if always {
                    self.fatal(
                        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...".into(),
                    );
                    return;
                }
            }
        }
        self.aof_flush();
    }

    pub(super) fn aof_fsync_done(&mut self, result: StorageResult) {
        let now = self.now_ms;
        let Some(w) = &mut self.persist.aof else { return };
        let Some(Inflight::Fsync { covers }) = w.inflight.take() else { return };
        w.last_fsync_ms = now;
        match result.error() {
            None => {
                w.durable = w.durable.max(covers);
                w.fsync_error = None;
            }
            Some(e) => {
                let text = e.text();
                if w.policy == FsyncPolicy::Always {
                    self.fatal(format!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {text}. Exiting..."
                    ));
                    return;
                }
                if w.fsync_error.replace(text.clone()).is_none() {
                    self.log(LogLevel::Warning, format!("Fail to fsync the AOF file: {text}"));
                }
            }
        }
        self.aof_flush();
    }

    /// Once a second: fsync under `everysec`, and retry failed writes and fsyncs.
    pub(super) fn aof_cron(&mut self, now_ms: i64) {
        let Some(w) = &mut self.persist.aof else { return };
        if w.inflight.is_none() && w.write_error.is_some() && now_ms - w.last_retry_ms >= 1000 {
            self.aof_flush_with(true);
            return;
        }
        let due = w.policy == FsyncPolicy::Everysec || w.fsync_error.is_some();
        if due && w.inflight.is_none() && w.written > w.durable && now_ms - w.last_fsync_ms >= 1000 {
            if let Some(cur) = &w.cur {
                let op = StorageOp::Fsync { path: cur.path.clone() };
                w.inflight = Some(Inflight::Fsync { covers: w.written });
                self.persist.io.issue(Owner::AofFsync, op);
                return;
            }
        }
        self.aof_flush();
    }

    /// Issues an fsync of what was written, if any is missing and nothing is in flight.
    pub(super) fn aof_sync_now(&mut self) {
        let Some(w) = &mut self.persist.aof else { return };
        if w.inflight.is_none() && w.written > w.durable {
            if let Some(cur) = &w.cur {
                let op = StorageOp::Fsync { path: cur.path.clone() };
                w.inflight = Some(Inflight::Fsync { covers: w.written });
                self.persist.io.issue(Owner::AofFsync, op);
            }
        }
    }

    /// The error that makes writes fail with `-MISCONF`, if any.
    pub(super) fn aof_error(&self) -> Option<&str> {
        let w = self.persist.aof.as_ref()?;
        w.write_error.as_deref().or(w.fsync_error.as_deref())
    }
}
