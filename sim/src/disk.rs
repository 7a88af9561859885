//! The simulated disk: one per node, outliving the node's process, with a
//! fault model of its own.
//!
//! The node core performs every file operation as a [`StorageOp`]; the
//! runtime hands each one to the node's [`SimDisk`] and the result back to
//! the node. The disk is deterministic: every fault, latency and crash
//! outcome is drawn from ChaCha streams split from the disk's seed — one for
//! operation faults, one for latencies, one for crashes and bit flips — so
//! asking for a latency never changes which write fails.
//!
//! # What is durable
//!
//! The model is the one a journaling file system (ext4 `data=ordered`, xfs)
//! gives a program that follows the rules, and no more:
//!
//! - **File data.** Each file (an inode: it keeps its data across renames)
//!   has its current bytes, as every reader sees them, and its durable bytes,
//!   as of its last successful fsync. The changes since (writes and
//!   truncations) are kept in order. A successful fsync of the file makes its
//!   current bytes durable.
//! - **Directory entries.** Creating a name, renaming and removing are
//!   metadata operations kept in one ordered log, as a journal keeps them. An
//!   fsync of a directory commits the log up to the last operation that
//!   touched a name in that directory (for a rename, either end), and every
//!   operation before it: journals commit in order, so a later operation is
//!   never durable while an earlier one is not. An fsync of a file does not
//!   make its name durable (POSIX does not promise it, so Redis fsyncs the
//!   directory after a rename, and so must the node).
//! - **Directories themselves** ([`StorageOp::MakeDir`]) are durable at once;
//!   Redis makes its `appendonlydir` again at every start anyway.
//!
//! # Faults
//!
//! - [`SimDisk::process_crash`]: the process died, the machine did not. The
//!   page cache keeps every completed operation: nothing is lost.
//! - [`SimDisk::power_loss`]: first the directory log: a prefix of the
//!   operations not yet committed survives (its length drawn uniformly, from
//!   none to all), the rest is undone. Then, for every file still named,
//!   drawn per file: the changes since its last fsync are lost entirely (one
//!   time in two), or a torn prefix of them survives: they are replayed in
//!   order on the durable bytes until a number of changed bytes drawn
//!   uniformly is used up, so the last write kept is usually cut in the
//!   middle, mid-page included. A file whose creation survives but none of
//!   its data is there, empty: the classic zero-length file after a crash.
//! - Per-operation faults ([`DiskFaults`]): a failed write (EIO) lands
//!   nothing, or one time in two a strict prefix of its bytes; a failed fsync
//!   (EIO) leaves what was unsynced unsynced (kinder than Linux, which may
//!   drop the dirty pages: a retried fsync that succeeds makes them durable);
//!   a failed read (EIO) returns nothing. Past the capacity, a write lands the
//!   bytes that fit (a short write) and fails with ENOSPC.
//! - [`SimDisk::flip_bit`]: latent corruption of the medium: one bit of a
//!   file's durable bytes flips. Readers see it too unless the byte was
//!   rewritten since the last fsync (the page cache holds the newer byte).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_engine::node::persistence::{StorageError, StorageOp, StorageResult};

/// The per-operation fault rates of a disk (all zero: a perfect disk).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct DiskFaults {
    /// Per-mille of writes that fail with EIO (nothing written), and of those a torn prefix may land.
    pub write_error_per_mille: u32,
    /// Per-mille of fsyncs that fail (EIO); what was unsynced stays unsynced.
    pub fsync_error_per_mille: u32,
    /// Per-mille of reads that fail with EIO.
    pub read_error_per_mille: u32,
    /// Bytes of file data the disk holds before writes fail with ENOSPC; None = unlimited.
    pub capacity: Option<u64>,
}

/// Counts of what the disk did and what went wrong, for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    pub operations: u64,
    pub writes: u64,
    pub bytes_written: u64,
    pub fsyncs: u64,
    pub reads: u64,
    /// Writes failed with EIO, and of those how many landed a torn prefix.
    pub write_errors: u64,
    pub torn_writes: u64,
    pub fsync_errors: u64,
    pub read_errors: u64,
    /// Writes refused (in whole or in part) for lack of space.
    pub no_space: u64,
    pub process_crashes: u64,
    pub power_losses: u64,
    pub bit_flips: u64,
}

impl DiskStats {
    /// Adds another node's counts (a run's table sums every node's disk).
    pub fn add(&mut self, o: &DiskStats) {
        let DiskStats {
            operations,
            writes,
            bytes_written,
            fsyncs,
            reads,
            write_errors,
            torn_writes,
            fsync_errors,
            read_errors,
            no_space,
            process_crashes,
            power_losses,
            bit_flips,
        } = self;
        *operations += o.operations;
        *writes += o.writes;
        *bytes_written += o.bytes_written;
        *fsyncs += o.fsyncs;
        *reads += o.reads;
        *write_errors += o.write_errors;
        *torn_writes += o.torn_writes;
        *fsync_errors += o.fsync_errors;
        *read_errors += o.read_errors;
        *no_space += o.no_space;
        *process_crashes += o.process_crashes;
        *power_losses += o.power_losses;
        *bit_flips += o.bit_flips;
    }

    /// Name and value pairs, in a fixed order, for a report's stats table.
    pub fn rows(&self) -> Vec<(String, String)> {
        let rows: [(&str, u64); 13] = [
            ("disk operations", self.operations),
            ("disk writes", self.writes),
            ("disk bytes written", self.bytes_written),
            ("disk fsyncs", self.fsyncs),
            ("disk reads", self.reads),
            ("disk write errors (EIO)", self.write_errors),
            ("disk torn failed writes", self.torn_writes),
            ("disk fsync errors (EIO)", self.fsync_errors),
            ("disk read errors (EIO)", self.read_errors),
            ("disk writes out of space (ENOSPC)", self.no_space),
            ("disk process crashes", self.process_crashes),
            ("disk power losses", self.power_losses),
            ("disk bit flips", self.bit_flips),
        ];
        rows.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
}

type InodeId = u64;

/// A change to a file's bytes not yet made durable.
#[derive(Clone, Debug)]
enum Change {
    Write { offset: u64, data: Vec<u8> },
    Truncate { len: u64 },
}

impl Change {
    /// Its weight when a torn prefix of the changes is drawn: written bytes,
    /// or one for a truncation.
    fn weight(&self) -> u64 {
        match self {
            Change::Write { data, .. } => data.len() as u64,
            Change::Truncate { .. } => 1,
        }
    }
}

/// A file's contents, whatever names it goes by.
#[derive(Clone, Debug, Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// The changes since the last fsync, in order: `durable` with all of
    /// them applied is `data`.
    unsynced: Vec<Change>,
}

impl Inode {
    fn apply(&mut self, change: Change) {
        apply_change(&mut self.data, &change);
        self.unsynced.push(change);
    }
}

fn apply_change(bytes: &mut Vec<u8>, change: &Change) {
    match change {
        Change::Write { offset, data } => {
            let start = *offset as usize;
            let end = start + data.len();
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            bytes[start..end].copy_from_slice(data);
        }
        Change::Truncate { len } => bytes.resize(*len as usize, 0),
    }
}

/// A metadata operation not yet committed by a directory fsync.
#[derive(Clone, Debug)]
enum DirOp {
    Link { path: String, inode: InodeId },
    Rename { from: String, to: String, inode: InodeId },
    Unlink { path: String },
}

impl DirOp {
    fn touches(&self, dir: &str) -> bool {
        match self {
            DirOp::Link { path, .. } | DirOp::Unlink { path } => parent(path) == dir,
            DirOp::Rename { from, to, .. } => parent(from) == dir || parent(to) == dir,
        }
    }

    fn apply(&self, names: &mut BTreeMap<String, InodeId>) {
        match self {
            DirOp::Link { path, inode } => {
                names.insert(path.clone(), *inode);
            }
            DirOp::Rename { from, to, inode } => {
                names.remove(from);
                names.insert(to.clone(), *inode);
            }
            DirOp::Unlink { path } => {
                names.remove(path);
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            DirOp::Link { path, .. } => format!("create {path}"),
            DirOp::Rename { from, to, .. } => format!("rename {from} -> {to}"),
            DirOp::Unlink { path } => format!("remove {path}"),
        }
    }
}

/// The directory a path is in ("." for a bare name).
fn parent(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((dir, _)) => dir,
        None => ".",
    }
}

/// A directory path as the disk keeps it: no trailing slash, "." for the
/// process's directory.
fn normalize_dir(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed {
        "" if path.starts_with('/') => "/".into(),
        "" => ".".into(),
        t => t.to_string(),
    }
}

const EIO: &str = "Input/output error";

/// One node's disk. See the module documentation for the model.
#[derive(Clone, Debug)]
pub struct SimDisk {
    faults: DiskFaults,
    /// Per-operation faults.
    fault_rng: ChaCha8Rng,
    /// Latencies.
    latency_rng: ChaCha8Rng,
    /// Power-loss outcomes and bit flips.
    crash_rng: ChaCha8Rng,
    inodes: BTreeMap<InodeId, Inode>,
    next_inode: InodeId,
    /// Names as the running system sees them.
    names: BTreeMap<String, InodeId>,
    /// Names as they would be after a power loss with nothing pending kept.
    durable_names: BTreeMap<String, InodeId>,
    /// Metadata operations after `durable_names`, in order.
    pending: Vec<DirOp>,
    dirs: BTreeSet<String>,
    stats: DiskStats,
}

impl SimDisk {
    /// An empty disk whose faults and latencies derive from `seed`.
    pub fn new(seed: u64) -> SimDisk {
        let stream = |n: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(n);
            rng
        };
        SimDisk {
            faults: DiskFaults::default(),
            fault_rng: stream(1),
            latency_rng: stream(2),
            crash_rng: stream(3),
            inodes: BTreeMap::new(),
            next_inode: 1,
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            pending: Vec::new(),
            dirs: [".".to_string(), "/".to_string()].into_iter().collect(),
            stats: DiskStats::default(),
        }
    }

    pub fn set_faults(&mut self, faults: DiskFaults) {
        self.faults = faults;
    }

    pub fn faults(&self) -> &DiskFaults {
        &self.faults
    }

    pub fn stats(&self) -> &DiskStats {
        &self.stats
    }

    /// Puts a durable file in place, as if it had been there before the run
    /// (its directory is made too).
    pub fn put(&mut self, path: &str, data: &[u8]) {
        self.make_dirs(parent(path));
        let inode = self.new_inode();
        let node = self.inodes.get_mut(&inode).expect("just made");
        node.data = data.to_vec();
        node.durable = data.to_vec();
        self.names.insert(path.to_string(), inode);
        self.durable_names.insert(path.to_string(), inode);
        self.collect_garbage();
    }

    /// Performs one operation (faults drawn from the disk's own ChaCha stream).
    pub fn execute(&mut self, op: &StorageOp) -> StorageResult {
        self.stats.operations += 1;
        match op {
            StorageOp::Create { path } => self.create(path),
            StorageOp::Write { path, offset, data } => self.write(path, *offset, data),
            StorageOp::Truncate { path, len } => match self.names.get(path) {
                Some(inode) => {
                    let inode = *inode;
                    self.inode_mut(inode).apply(Change::Truncate { len: *len });
                    StorageResult::Done
                }
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::Fsync { path } => self.fsync(path),
            StorageOp::Rename { from, to } => self.rename(from, to),
            StorageOp::Remove { path } => match self.names.remove(path) {
                Some(_) => {
                    self.pending.push(DirOp::Unlink { path: path.clone() });
                    self.collect_garbage();
                    StorageResult::Done
                }
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::Read { path, limit } => self.read(path, *limit),
            StorageOp::MakeDir { path } => {
                self.make_dirs(&normalize_dir(path));
                StorageResult::Done
            }
            StorageOp::ListDir { path } => {
                let dir = normalize_dir(path);
                if !self.dirs.contains(&dir) {
                    return StorageResult::Failed(StorageError::NotFound);
                }
                let files = self.names.keys().filter(|p| parent(p) == dir);
                let subdirs = self.dirs.iter().filter(|d| *d != "." && *d != "/" && parent(d) == dir);
                let names: BTreeSet<String> =
                    files.chain(subdirs).map(|p| p.rsplit('/').next().unwrap_or(p).to_string()).collect();
                StorageResult::Names(names.into_iter().collect())
            }
            StorageOp::Size { path } => match self.names.get(path) {
                Some(inode) => StorageResult::Size(self.inodes[inode].data.len() as u64),
                None => StorageResult::Failed(StorageError::NotFound),
            },
        }
    }

    /// A seeded latency for `op` in microseconds, which the runtime may sleep
    /// for before delivering the result: metadata operations are quick,
    /// writes land in the page cache, fsyncs wait for the device (now and
    /// then much longer), reads take time in proportion to the file's size.
    pub fn latency_us(&mut self, op: &StorageOp) -> u64 {
        let rng = &mut self.latency_rng;
        match op {
            StorageOp::Write { data, .. } => rng.gen_range(5..=30) + data.len() as u64 / 2048,
            StorageOp::Fsync { .. } => {
                if rng.gen_range(0..100) < 2 {
                    rng.gen_range(10_000..=50_000)
                } else {
                    rng.gen_range(500..=3_000)
                }
            }
            StorageOp::Read { path, .. } => {
                let size = self.names.get(path).map_or(0, |i| self.inodes[i].data.len() as u64);
                self.latency_rng.gen_range(50..=200) + size / 512
            }
            StorageOp::Create { .. }
            | StorageOp::Rename { .. }
            | StorageOp::Remove { .. }
            | StorageOp::MakeDir { .. } => rng.gen_range(20..=100),
            StorageOp::Truncate { .. } | StorageOp::ListDir { .. } | StorageOp::Size { .. } => rng.gen_range(5..=30),
        }
    }

    /// The process died but the machine did not: the OS page cache keeps
    /// every completed write. Nothing is lost (kept as a method for symmetry
    /// and the trace).
    pub fn process_crash(&mut self) {
        self.stats.process_crashes += 1;
    }

    /// Power loss (see the module documentation): uncommitted directory
    /// operations after a drawn prefix are undone, and each file loses its
    /// unsynced changes or keeps a torn prefix of them. Returns what was lost.
    pub fn power_loss(&mut self) -> String {
        self.stats.power_losses += 1;
        let mut parts = Vec::new();

        // Directory entries first: which names exist decides which files matter.
        let keep = self.crash_rng.gen_range(0..=self.pending.len());
        let pending = std::mem::take(&mut self.pending);
        for op in &pending[..keep] {
            op.apply(&mut self.durable_names);
        }
        if !pending.is_empty() {
            let undone: Vec<String> = pending[keep..].iter().map(DirOp::describe).collect();
            let mut s = format!("directory: kept {keep} of {} uncommitted operations", pending.len());
            if !undone.is_empty() {
                let _ = write!(s, ", undid {}", list(&undone, 6));
            }
            parts.push(s);
        }
        let before = std::mem::replace(&mut self.names, self.durable_names.clone());

        // Then every surviving file's data, in inode order.
        let mut live: BTreeMap<InodeId, String> = BTreeMap::new();
        for (path, inode) in &self.names {
            live.entry(*inode).or_insert_with(|| path.clone());
        }
        for (inode, path) in live {
            let node = self.inodes.get_mut(&inode).expect("named inodes exist");
            let changes = std::mem::take(&mut node.unsynced);
            if changes.is_empty() {
                node.data = node.durable.clone();
                continue;
            }
            let total: u64 = changes.iter().map(Change::weight).sum();
            let mut budget = if self.crash_rng.gen_bool(0.5) { 0 } else { self.crash_rng.gen_range(1..=total) };
            let kept = budget;
            let mut bytes = node.durable.clone();
            for change in &changes {
                if budget == 0 {
                    break;
                }
                match change {
                    Change::Write { offset, data } if (data.len() as u64) > budget => {
                        let part = Change::Write { offset: *offset, data: data[..budget as usize].to_vec() };
                        apply_change(&mut bytes, &part);
                        budget = 0;
                    }
                    other => {
                        apply_change(&mut bytes, other);
                        budget -= other.weight();
                    }
                }
            }
            node.data = bytes.clone();
            node.durable = bytes;
            let outcome = if kept == 0 {
                format!("lost all {total} unsynced bytes")
            } else if kept == total {
                format!("kept all {total} unsynced bytes")
            } else {
                format!("kept a torn prefix: {kept} of {total} unsynced bytes")
            };
            parts.push(format!("{path}: {outcome} (now {} bytes)", node.data.len()));
        }
        let vanished: Vec<String> = before.keys().filter(|p| !self.names.contains_key(*p)).cloned().collect();
        if !vanished.is_empty() {
            parts.push(format!("gone: {}", list(&vanished, 6)));
        }
        self.collect_garbage();
        if parts.is_empty() {
            "power loss: nothing was unsynced".into()
        } else {
            format!("power loss: {}", parts.join("; "))
        }
    }

    /// Latent corruption: flips one random bit in the stored (durable) bytes
    /// of a random non-empty file; returns (path, byte offset, bit) or None
    /// when the disk is empty.
    pub fn flip_bit(&mut self) -> Option<(String, u64, u8)> {
        let candidates: Vec<(&String, InodeId)> =
            self.names.iter().filter(|(_, i)| !self.inodes[*i].durable.is_empty()).map(|(p, i)| (p, *i)).collect();
        if candidates.is_empty() {
            return None;
        }
        let (path, inode) = candidates[self.crash_rng.gen_range(0..candidates.len())];
        let path = path.clone();
        let node = self.inodes.get_mut(&inode).expect("named inodes exist");
        let offset = self.crash_rng.gen_range(0..node.durable.len());
        let bit = self.crash_rng.gen_range(0..8u8);
        let old = node.durable[offset];
        node.durable[offset] ^= 1 << bit;
        if node.data.get(offset) == Some(&old) {
            node.data[offset] ^= 1 << bit;
        }
        self.stats.bit_flips += 1;
        Some((path, offset as u64, bit))
    }

    /// Paths and sizes, sorted (for reports and tests).
    pub fn files(&self) -> Vec<(String, u64)> {
        self.names.iter().map(|(p, i)| (p.clone(), self.inodes[i].data.len() as u64)).collect()
    }

    /// The current bytes of a file (tests).
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.names.get(path).map(|i| self.inodes[i].data.as_slice())
    }

    /// The bytes of a file that are durable now: what a power loss that
    /// keeps nothing unsynced would leave (None if the name itself is not
    /// durable).
    pub fn durable_file(&self, path: &str) -> Option<&[u8]> {
        self.durable_names.get(path).map(|i| self.inodes[i].durable.as_slice())
    }

    /// Bytes of file data on the disk (what the capacity limits).
    pub fn used(&self) -> u64 {
        let live: BTreeSet<InodeId> = self.names.values().copied().collect();
        live.iter().map(|i| self.inodes[i].data.len() as u64).sum()
    }

    fn new_inode(&mut self) -> InodeId {
        let id = self.next_inode;
        self.next_inode += 1;
        self.inodes.insert(id, Inode::default());
        id
    }

    fn inode_mut(&mut self, inode: InodeId) -> &mut Inode {
        self.inodes.get_mut(&inode).expect("named inodes exist")
    }

    /// Drops inodes no name, current or durable, and no pending operation refers to.
    fn collect_garbage(&mut self) {
        let mut used: BTreeSet<InodeId> = self.names.values().chain(self.durable_names.values()).copied().collect();
        for op in &self.pending {
            if let DirOp::Link { inode, .. } | DirOp::Rename { inode, .. } = op {
                used.insert(*inode);
            }
        }
        self.inodes.retain(|i, _| used.contains(i));
    }

    fn make_dirs(&mut self, dir: &str) {
        let mut d = dir.to_string();
        while !self.dirs.contains(&d) {
            self.dirs.insert(d.clone());
            d = parent(&d).to_string();
        }
    }

    fn create(&mut self, path: &str) -> StorageResult {
        if !self.dirs.contains(parent(path)) {
            return StorageResult::Failed(StorageError::NotFound);
        }
        match self.names.get(path) {
            // O_TRUNC on an existing file: a change to its data, not a new name.
            Some(&inode) => self.inode_mut(inode).apply(Change::Truncate { len: 0 }),
            None => {
                let inode = self.new_inode();
                self.names.insert(path.to_string(), inode);
                self.pending.push(DirOp::Link { path: path.to_string(), inode });
            }
        }
        StorageResult::Done
    }

    fn write(&mut self, path: &str, offset: u64, data: &[u8]) -> StorageResult {
        self.stats.writes += 1;
        let failed = self.roll(self.faults.write_error_per_mille);
        let torn = failed && self.fault_rng.gen_bool(0.5) && data.len() > 1;
        let torn_len = if torn { self.fault_rng.gen_range(1..data.len()) } else { 0 };
        let Some(&inode) = self.names.get(path) else {
            return StorageResult::Failed(StorageError::NotFound);
        };
        let (landing, error) = if failed {
            self.stats.write_errors += 1;
            (torn_len, Some(StorageError::Io(EIO.into())))
        } else {
            (data.len(), None)
        };
        // Capacity: the file may grow by what is left; a write that does not
        // fit lands what does (a short write) and fails with ENOSPC.
        let (landing, error) = match self.faults.capacity {
            Some(cap) => {
                let current = self.inodes[&inode].data.len() as u64;
                let room = cap.saturating_sub(self.used());
                let allowed_end = current + room;
                let fits = allowed_end.saturating_sub(offset).min(landing as u64) as usize;
                if fits < landing {
                    self.stats.no_space += 1;
                    (fits, Some(StorageError::NoSpace))
                } else {
                    (landing, error)
                }
            }
            None => (landing, error),
        };
        if error.is_some() && landing > 0 && failed {
            self.stats.torn_writes += 1;
        }
        if landing > 0 {
            self.stats.bytes_written += landing as u64;
            self.inode_mut(inode).apply(Change::Write { offset, data: data[..landing].to_vec() });
        }
        match error {
            Some(e) => StorageResult::Failed(e),
            None => StorageResult::Done,
        }
    }

    fn fsync(&mut self, path: &str) -> StorageResult {
        self.stats.fsyncs += 1;
        let failed = self.roll(self.faults.fsync_error_per_mille);
        let dir = normalize_dir(path);
        let target_is_file = self.names.contains_key(path);
        if !target_is_file && !self.dirs.contains(&dir) {
            return StorageResult::Failed(StorageError::NotFound);
        }
        if failed {
            self.stats.fsync_errors += 1;
            return StorageResult::Failed(StorageError::Io(EIO.into()));
        }
        if target_is_file {
            let inode = self.names[path];
            let node = self.inode_mut(inode);
            node.durable = node.data.clone();
            node.unsynced.clear();
        } else if let Some(last) = self.pending.iter().rposition(|op| op.touches(&dir)) {
            for op in self.pending.drain(..=last) {
                op.apply(&mut self.durable_names);
            }
            self.collect_garbage();
        }
        StorageResult::Done
    }

    fn rename(&mut self, from: &str, to: &str) -> StorageResult {
        let Some(&inode) = self.names.get(from) else {
            return StorageResult::Failed(StorageError::NotFound);
        };
        if !self.dirs.contains(parent(to)) {
            return StorageResult::Failed(StorageError::NotFound);
        }
        if from == to {
            return StorageResult::Done;
        }
        self.names.remove(from);
        self.names.insert(to.to_string(), inode);
        self.pending.push(DirOp::Rename { from: from.to_string(), to: to.to_string(), inode });
        self.collect_garbage();
        StorageResult::Done
    }

    fn read(&mut self, path: &str, limit: u64) -> StorageResult {
        self.stats.reads += 1;
        let failed = self.roll(self.faults.read_error_per_mille);
        let Some(inode) = self.names.get(path) else {
            return StorageResult::Failed(StorageError::NotFound);
        };
        if failed {
            self.stats.read_errors += 1;
            return StorageResult::Failed(StorageError::Io(EIO.into()));
        }
        let data = &self.inodes[inode].data;
        if data.len() as u64 > limit {
            return StorageResult::Failed(StorageError::TooLarge);
        }
        StorageResult::Data(data.clone())
    }

    /// True with probability `per_mille`/1000 (always draws, so the stream
    /// does not depend on the rates).
    fn roll(&mut self, per_mille: u32) -> bool {
        self.fault_rng.gen_range(0..1000) < per_mille
    }
}

/// Up to `max` items joined, with a count of the rest.
fn list(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        let _ = write!(s, " and {} more", items.len() - max);
    }
    s
}
