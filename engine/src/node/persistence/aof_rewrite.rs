//! AOF rewrites: BGREWRITEAOF, automatic rewrites, turning the AOF on at
//! runtime, and creating the AOF at startup.
//!
//! A rewrite snapshots the dataset and at that very moment points the writer
//! at a new incremental file, so the new base plus the new incremental file
//! hold everything. Steps, each waiting for the disk:
//! 1. open: create the new incremental file and (when an AOF already exists)
//!    record it in the manifest, so a crash keeps every write;
//! 2. base: write the snapshot to a temp file a piece at a time as the
//!    writes complete (`rewrite_base.rs`), fsync, rename it into the AOF
//!    directory as the new base;
//! 3. once the writer has moved to the new incremental file: commit the new
//!    manifest (temp, fsync, rename, fsync the directory);
//! 4. remove the files the new manifest no longer lists (history).

use super::aof::{AofWriter, FsyncPolicy, OpenFile};
use super::aof_manifest::{base_name, incr_name, manifest_name, AofFile, FileKind, Manifest};
use super::rewrite_base::BaseSource;
use super::snapshot_records::SnapshotRecords;
use super::storage::{StorageError, StorageOp, StorageResult};
use super::{LogLevel, Node, Owner, Script};

/// Why a rewrite runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewriteKind {
    /// BGREWRITEAOF or an automatic rewrite of a running AOF.
    Background,
    /// `CONFIG SET appendonly yes` (or BGREWRITEAOF while the AOF is off).
    Enable,
    /// No AOF at startup: create base, incremental file and manifest.
    OnStart,
    /// A base without incremental files at startup: just open one.
    IncrOnStart,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    ReadManifest,
    Open,
    Base,
    WaitSwitch,
    Commit,
}

/// A rewrite in progress.
#[derive(Debug)]
pub struct Rewrite {
    gen: u64,
    pub kind: RewriteKind,
    phases: Vec<Phase>,
    script: Script,
    /// The new base's bytes, made as they are written.
    base: Option<BaseSource>,
    /// Bytes of the new base written so far.
    base_size: u64,
    /// The temp file the base is written to and its final path, once the
    /// base phase has started; cleared when its fsync and rename are queued.
    base_paths: Option<(String, String)>,
    new_base: Option<AofFile>,
    new_incr: AofFile,
    /// The manifest the rewrite started from (what is on disk).
    old: Manifest,
    pub start_ms: i64,
}

/// INFO's rewrite counters.
#[derive(Debug)]
pub struct RewriteStats {
    /// When the last failed rewrite ended: automatic rewrites back off.
    pub last_failure_ms: i64,
    pub last_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    pub last_time_sec: i64,
}

impl Default for RewriteStats {
    fn default() -> Self {
        RewriteStats { last_failure_ms: 0, last_ok: true, rewrites: 0, consecutive_failures: 0, last_time_sec: -1 }
    }
}

impl Node {
    /// The source of a base file of the dataset as it is now: an RDB
    /// preamble or commands.
    fn base_source(&mut self, rdb: bool) -> BaseSource {
        if rdb {
            let opts = self.rdb_options(true);
            return BaseSource::Rdb(self.rdb_source(&opts));
        }
        let (records, _) = SnapshotRecords::start(self.engine.as_mut());
        BaseSource::Commands { records, now_ms: self.now_ms, db: None, crc: 0, len: 0, finished: false }
    }

    /// Starts a rewrite of `kind`. The caller has checked none is running.
    pub(super) fn start_rewrite(&mut self, kind: RewriteKind) {
        let prefix = self.config.get("appendfilename").to_string();
        let rdb = self.config.get_bool("aof-use-rdb-preamble");
        let policy = FsyncPolicy::from_config(self.config.get("appendfsync"));
        let now = self.now_ms;
        if self.persist.aof.is_none() {
            self.persist.aof = Some(AofWriter::new(policy, now));
        }
        let old = self.persist.aof.as_ref().map(|w| w.manifest.clone()).unwrap_or_default();
        let (base, phases) = match kind {
            RewriteKind::IncrOnStart => (None, vec![Phase::Open]),
            RewriteKind::OnStart | RewriteKind::Background => {
                (Some(self.base_source(rdb)), vec![Phase::Open, Phase::Base, Phase::WaitSwitch, Phase::Commit])
            }
            RewriteKind::Enable => {
                let phases = vec![Phase::ReadManifest, Phase::Open, Phase::Base, Phase::WaitSwitch, Phase::Commit];
                (Some(self.base_source(rdb)), phases)
            }
        };
        let seq = old.last_incr_seq() + 1;
        let new_incr = AofFile { name: incr_name(&prefix, seq), seq, kind: FileKind::Incr };
        let new_base = (kind != RewriteKind::IncrOnStart).then(|| {
            let seq = old.base_seq() + 1;
            AofFile { name: base_name(&prefix, seq, rdb), seq, kind: FileKind::Base }
        });
        let file = OpenFile { name: new_incr.name.clone(), path: self.aof_path(&new_incr.name), size: 0 };
        if let Some(w) = &mut self.persist.aof {
            w.begin_switch(file);
        }
        self.propagation.set_aof_feed(true);
        self.persist.rewrite_gen += 1;
        let gen = self.persist.rewrite_gen;
        match kind {
            RewriteKind::Background | RewriteKind::Enable => {
                if kind == RewriteKind::Background {
                    self.log(
                        LogLevel::Notice,
                        format!("Creating AOF incr file {} on background rewrite", new_incr.name),
                    );
                }
                let pid = self.process.process_id;
                self.log(LogLevel::Notice, format!("Background append only file rewriting started by pid {pid}"));
            }
            RewriteKind::OnStart => {
                if let Some(b) = &new_base {
                    self.log(LogLevel::Notice, format!("Creating AOF base file {} on server start", b.name));
                }
                self.log(LogLevel::Notice, format!("Creating AOF incr file {} on server start", new_incr.name));
            }
            RewriteKind::IncrOnStart => {}
        }
        self.persist.rewrite = Some(Rewrite {
            gen,
            kind,
            phases,
            script: Script::default(),
            base,
            base_size: 0,
            base_paths: None,
            new_base,
            new_incr,
            old,
            start_ms: now,
        });
        self.rewrite_next_phase();
    }

    /// Builds and starts the operations of the rewrite's next phase.
    fn rewrite_next_phase(&mut self) {
        let dir = self.aof_dir();
        let temp_base = self.data_path(&format!("temp-rewriteaof-bg-{}.aof", self.process.process_id));
        let switched = self.persist.aof.as_ref().is_some_and(|w| w.next.is_none());
        let Some(rw) = self.persist.rewrite.as_mut() else { return };
        let Some(&phase) = rw.phases.first() else {
            self.rewrite_finished(None);
            return;
        };
        let prefix = self.config.get("appendfilename").to_string();
        let manifest_path = storage_join(&dir, &manifest_name(&prefix));
        let temp_manifest = storage_join(&dir, &format!("temp-{}", manifest_name(&prefix)));
        let manifest_ops = |m: &Manifest| {
            vec![
                StorageOp::Create { path: temp_manifest.clone() },
                StorageOp::Write { path: temp_manifest.clone(), offset: 0, data: m.format().into_bytes() },
                StorageOp::Fsync { path: temp_manifest.clone() },
                StorageOp::Rename { from: temp_manifest.clone(), to: manifest_path.clone() },
                StorageOp::Fsync { path: dir.clone() },
            ]
        };
        let ops = match phase {
            Phase::ReadManifest => vec![StorageOp::Read { path: manifest_path.clone(), limit: 1 << 20 }],
            Phase::Open => {
                let incr_path = storage_join(&dir, &rw.new_incr.name);
                let mut ops = vec![StorageOp::MakeDir { path: dir.clone() }, StorageOp::Create { path: incr_path }];
                // With an AOF on disk the new incremental file joins its manifest at
                // once; a new AOF gets its first manifest only at commit.
                if matches!(rw.kind, RewriteKind::Background | RewriteKind::IncrOnStart) {
                    let mut m = rw.old.clone();
                    m.incrs.push(rw.new_incr.clone());
                    ops.extend(manifest_ops(&m));
                }
                ops
            }
            Phase::Base => {
                // The writes follow one by one as the base is made (`rewrite_step`).
                let target = storage_join(&dir, &rw.new_base.as_ref().expect("a base phase has a base").name);
                rw.base_paths = Some((temp_base.clone(), target));
                vec![StorageOp::Create { path: temp_base }]
            }
            Phase::WaitSwitch => {
                if !switched {
                    return;
                }
                rw.phases.remove(0);
                return self.rewrite_next_phase();
            }
            Phase::Commit => {
                let m = Manifest { base: rw.new_base.clone(), incrs: vec![rw.new_incr.clone()], history: Vec::new() };
                manifest_ops(&m)
            }
        };
        rw.script = Script::new(ops);
        let gen = rw.gen;
        rw.script.advance(&mut self.persist.io, Owner::Rewrite(gen));
    }

    /// The rewrite's next operation after the result of operation `id`.
    pub(super) fn rewrite_step(&mut self, gen: u64, id: u64, result: StorageResult) {
        let prefix = self.config.get("appendfilename").to_string();
        let aof_dir = self.aof_dir();
        let Some(rw) = self.persist.rewrite.as_mut().filter(|r| r.gen == gen && r.script.inflight == Some(id)) else {
            return;
        };
        let phase = rw.phases[0];
        match (&result, phase) {
            (StorageResult::Failed(StorageError::NotFound), Phase::ReadManifest) => {}
            (StorageResult::Data(text), Phase::ReadManifest) => {
                // An AOF left from an earlier life: new files get the next numbers.
                if let Ok(m) = Manifest::parse(text) {
                    let rdb = rw.new_base.as_ref().is_some_and(|b| b.name.ends_with(".rdb"));
                    rw.new_incr.seq = m.last_incr_seq() + 1;
                    rw.new_incr.name = incr_name(&prefix, rw.new_incr.seq);
                    if let Some(b) = &mut rw.new_base {
                        b.seq = m.base_seq() + 1;
                        b.name = base_name(&prefix, b.seq, rdb);
                    }
                    rw.old = m;
                    let (name, path) = (rw.new_incr.name.clone(), storage_join(&aof_dir, &rw.new_incr.name));
                    if let Some(n) = self.persist.aof.as_mut().and_then(|w| w.next.as_mut()) {
                        n.file.name = name;
                        n.file.path = path;
                    }
                }
            }
            (StorageResult::Failed(e), _) => {
                let text = e.text();
                self.rewrite_finished(Some(text));
                return;
            }
            _ => {}
        }
        let Some(rw) = self.persist.rewrite.as_mut() else { return };
        if phase == Phase::Base && rw.script.ops.is_empty() {
            // The base's next piece, or once it is all written its fsync and rename.
            let piece = rw.base.as_mut().and_then(|b| b.next_piece(self.engine.as_mut()));
            match (piece, rw.base_paths.take()) {
                (Some(data), Some((temp, target))) => {
                    let offset = rw.base_size;
                    rw.base_size += data.len() as u64;
                    rw.script.ops.push_back(StorageOp::Write { path: temp.clone(), offset, data });
                    rw.base_paths = Some((temp, target));
                }
                (None, Some((temp, target))) => {
                    rw.script.ops.push_back(StorageOp::Fsync { path: temp.clone() });
                    rw.script.ops.push_back(StorageOp::Rename { from: temp, to: target });
                }
                (_, None) => {}
            }
        }
        if rw.script.advance(&mut self.persist.io, Owner::Rewrite(gen)) {
            return;
        }
        rw.phases.remove(0);
        if phase == Phase::Open {
            // The new incremental file exists (and is in the manifest): writes may go there.
            let incr = rw.new_incr.clone();
            if let Some(w) = self.persist.aof.as_mut() {
                if matches!(rw.kind, RewriteKind::Background | RewriteKind::IncrOnStart) {
                    w.manifest.incrs.push(incr);
                }
                if let Some(n) = &mut w.next {
                    n.ready = true;
                }
            }
            self.aof_flush();
        }
        self.rewrite_next_phase();
    }

    /// Called after any event: a rewrite waiting for the writer's switch goes on.
    pub(super) fn rewrite_progress(&mut self) {
        let waiting = self.persist.rewrite.as_ref().is_some_and(|r| r.phases.first() == Some(&Phase::WaitSwitch));
        if waiting {
            self.rewrite_next_phase();
        }
    }

    /// The rewrite ended, successfully when `error` is None.
    fn rewrite_finished(&mut self, error: Option<String>) {
        let Some(rw) = self.take_rewrite() else { return };
        let now = self.now_ms;
        let background = matches!(rw.kind, RewriteKind::Background | RewriteKind::Enable);
        match error {
            None => {
                let base_size = rw.base_size;
                if let Some(w) = self.persist.aof.as_mut() {
                    if let Some(base) = rw.new_base.clone() {
                        w.manifest = Manifest { base: Some(base), incrs: vec![rw.new_incr.clone()], history: vec![] };
                        w.base_size = base_size;
                        w.older_incr_size = 0;
                    }
                    w.rewrite_base_size = w.current_size();
                }
                if background {
                    self.persist.rewrite_stats.last_ok = true;
                    self.persist.rewrite_stats.rewrites += 1;
                    self.persist.rewrite_stats.consecutive_failures = 0;
                    self.persist.rewrite_stats.last_time_sec = (now - rw.start_ms).max(0) / 1000;
                    self.log(LogLevel::Notice, "Background AOF rewrite terminated with success".into());
                    if let Some(b) = &rw.new_base {
                        let temp = format!("temp-rewriteaof-bg-{}.aof", self.process.process_id);
                        let msg = format!("Successfully renamed the temporary AOF base file {temp} into {}", b.name);
                        self.log(LogLevel::Notice, msg);
                    }
                }
                if rw.new_base.is_some() {
                    let keep = [rw.new_base.as_ref().map(|b| b.name.clone()), Some(rw.new_incr.name.clone())];
                    let old = &rw.old;
                    let stale = old.base.iter().chain(old.incrs.iter()).chain(old.history.iter());
                    for f in stale.filter(|f| !keep.contains(&Some(f.name.clone()))) {
                        self.log(LogLevel::Notice, format!("Removing the history file {} in the background", f.name));
                        let path = self.aof_path(&f.name);
                        self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path });
                    }
                }
                if background {
                    self.log(LogLevel::Notice, "Background AOF rewrite finished successfully".into());
                }
                match rw.kind {
                    RewriteKind::OnStart | RewriteKind::IncrOnStart => self.loading_done(),
                    RewriteKind::Enable if !self.config.get_bool("appendonly") => self.stop_aof(),
                    _ => {}
                }
            }
            Some(text) => {
                let temp = self.data_path(&format!("temp-rewriteaof-bg-{}.aof", self.process.process_id));
                self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path: temp });
                // Effects meant for a file that never made it go to the current one.
                if let Some(w) = self.persist.aof.as_mut() {
                    if w.next.as_ref().is_some_and(|n| !n.ready) {
                        w.abort_switch();
                    }
                }
                match rw.kind {
                    RewriteKind::OnStart | RewriteKind::IncrOnStart => {
                        self.fatal(format!("Can't create the AOF on server start: {text}. Exiting."));
                    }
                    _ => {
                        self.persist.rewrite_stats.last_ok = false;
                        self.persist.rewrite_stats.consecutive_failures += 1;
                        self.persist.rewrite_stats.last_failure_ms = now;
                        self.log(LogLevel::Warning, format!("Background AOF rewrite failed: {text}"));
                        self.log(LogLevel::Warning, "Background AOF rewrite terminated with error".into());
                        if rw.kind == RewriteKind::Enable {
                            // The AOF could not be turned on: it stays off, like Redis.
                            self.stop_aof();
                        }
                    }
                }
            }
        }
        self.aof_flush();
    }

    /// Ends the rewrite under way, if any, giving back the engine's
    /// snapshot its base was being made from.
    pub(super) fn take_rewrite(&mut self) -> Option<Rewrite> {
        let rw = self.persist.rewrite.take()?;
        if let Some(base) = &rw.base {
            base.cancel(self.engine.as_mut());
        }
        Some(rw)
    }

    /// No AOF on disk at startup: create it from the (empty) dataset.
    pub(super) fn create_aof_on_start(&mut self) {
        self.start_rewrite(RewriteKind::OnStart);
    }

    /// Turns the AOF off (CONFIG SET appendonly no, or turning it on failed).
    pub(super) fn stop_aof(&mut self) {
        if self.take_rewrite().is_some() {
            let temp = self.data_path(&format!("temp-rewriteaof-bg-{}.aof", self.process.process_id));
            self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path: temp });
        }
        if let Some(w) = self.persist.aof.take() {
            if let Some(cur) = &w.cur {
                self.persist.io.issue(Owner::Cleanup, StorageOp::Fsync { path: cur.path.clone() });
            }
        }
        self.propagation.set_aof_feed(false);
        self.release_replies();
    }

    /// BGREWRITEAOF scheduled behind a child, and automatic rewrites on
    /// growth, when no child runs.
    pub(super) fn rewrite_cron(&mut self) {
        self.rewrite_progress();
        if self.child().is_some() {
            return;
        }
        if self.persist.rewrite_scheduled {
            self.persist.rewrite_scheduled = false;
            let kind = if self.persist.aof.is_some() { RewriteKind::Background } else { RewriteKind::Enable };
            self.start_rewrite(kind);
            return;
        }
        let Some(w) = &self.persist.aof else { return };
        // After failures, automatic rewrites wait a minute per failure (an hour at most)
        // rather than retrying on every tick of a full disk.
        let failures = self.persist.rewrite_stats.consecutive_failures.min(60) as i64;
        if failures > 0 && self.now_ms - self.persist.rewrite_stats.last_failure_ms < failures * 60_000 {
            return;
        }
        let perc = self.config.get_i64("auto-aof-rewrite-percentage");
        let min = self.config.get_u64("auto-aof-rewrite-min-size");
        let size = w.current_size();
        if perc > 0 && size > min {
            let base = w.rewrite_base_size.max(1);
            let growth = (size.saturating_sub(base) * 100 / base) as i64;
            if growth >= perc {
                self.log(LogLevel::Notice, format!("Starting automatic rewriting of AOF on {growth}% growth"));
                self.start_rewrite(RewriteKind::Background);
            }
        }
    }
}

fn storage_join(dir: &str, name: &str) -> String {
    super::storage::join(dir, name)
}
