//! An in-memory disk that executes [`StorageOp`]s deterministically, for
//! node tests and for the simulator's faulty disk.
//!
//! Each file keeps what was written and what was last made durable by an
//! fsync; [`MemStorage::crash`] throws away everything not durable, as a
//! power loss would. Directory operations (create, rename, remove) count as
//! durable at once. Faults are injected per operation kind and path, once or
//! for good, and a capacity makes writes past it fail with ENOSPC.

use std::collections::{BTreeMap, BTreeSet};

use super::storage::{StorageError, StorageOp, StorageResult};

/// Which operations a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Create,
    Write,
    Truncate,
    Fsync,
    Rename,
    Remove,
    Read,
    MakeDir,
    ListDir,
    Size,
    Any,
}

impl OpKind {
    fn of(op: &StorageOp) -> OpKind {
        match op {
            StorageOp::Create { .. } => OpKind::Create,
            StorageOp::Write { .. } => OpKind::Write,
            StorageOp::Truncate { .. } => OpKind::Truncate,
            StorageOp::Fsync { .. } => OpKind::Fsync,
            StorageOp::Rename { .. } => OpKind::Rename,
            StorageOp::Remove { .. } => OpKind::Remove,
            StorageOp::Read { .. } => OpKind::Read,
            StorageOp::MakeDir { .. } => OpKind::MakeDir,
            StorageOp::ListDir { .. } => OpKind::ListDir,
            StorageOp::Size { .. } => OpKind::Size,
        }
    }
}

/// An injected failure.
#[derive(Clone, Debug)]
pub struct Fault {
    pub kind: OpKind,
    /// Applies to paths containing this text ("" for every path).
    pub path_contains: String,
    pub error: StorageError,
    /// Fails this many matching operations, then goes away; `None` for good.
    pub remaining: Option<u32>,
    /// For writes: bytes that still reach the file before the failure.
    pub partial: usize,
}

#[derive(Clone, Debug, Default)]
struct MemFile {
    data: Vec<u8>,
    durable: Vec<u8>,
}

/// The in-memory disk.
#[derive(Clone, Debug, Default)]
pub struct MemStorage {
    files: BTreeMap<String, MemFile>,
    dirs: BTreeSet<String>,
    faults: Vec<Fault>,
    /// Total bytes of file data allowed; `None` for unlimited.
    capacity: Option<usize>,
    /// Operations executed, for tests that count fsyncs and writes.
    pub log: Vec<(OpKind, String)>,
}

impl MemStorage {
    pub fn new() -> MemStorage {
        MemStorage::default()
    }

    /// Fails the next `times` operations of `kind` on matching paths.
    pub fn fail(&mut self, kind: OpKind, path_contains: &str, error: StorageError, times: Option<u32>) {
        self.faults.push(Fault { kind, path_contains: path_contains.into(), error, remaining: times, partial: 0 });
    }

    /// Like [`MemStorage::fail`] for one write that still lands `partial` bytes.
    pub fn fail_write_partially(&mut self, path_contains: &str, partial: usize, error: StorageError) {
        self.faults.push(Fault {
            kind: OpKind::Write,
            path_contains: path_contains.into(),
            error,
            remaining: Some(1),
            partial,
        });
    }

    /// Removes every injected fault.
    pub fn heal(&mut self) {
        self.faults.clear();
    }

    /// Writes past this many bytes of file data in total fail with ENOSPC.
    pub fn set_capacity(&mut self, bytes: Option<usize>) {
        self.capacity = bytes;
    }

    /// Power loss: every file goes back to its last fsynced contents.
    pub fn crash(&mut self) {
        for f in self.files.values_mut() {
            f.data = f.durable.clone();
        }
    }

    /// A file's current contents.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|f| f.data.as_slice())
    }

    /// Puts a file in place (durable), as if it had been there before start.
    pub fn put(&mut self, path: &str, data: &[u8]) {
        self.files.insert(path.into(), MemFile { data: data.to_vec(), durable: data.to_vec() });
    }

    /// Every file path, sorted.
    pub fn paths(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// Number of executed operations of `kind` on paths containing `path_contains`.
    pub fn count(&self, kind: OpKind, path_contains: &str) -> usize {
        self.log.iter().filter(|(k, p)| (kind == OpKind::Any || *k == kind) && p.contains(path_contains)).count()
    }

    fn used(&self) -> usize {
        self.files.values().map(|f| f.data.len()).sum()
    }

    /// The injected fault for `op`, if one applies (consuming one use).
    fn fault_for(&mut self, op: &StorageOp) -> Option<(StorageError, usize)> {
        let kind = OpKind::of(op);
        let path = op.path();
        let i = self.faults.iter().position(|f| {
            (f.kind == OpKind::Any || f.kind == kind) && path.contains(&f.path_contains) && f.remaining != Some(0)
        })?;
        let f = &mut self.faults[i];
        if let Some(n) = &mut f.remaining {
            *n -= 1;
        }
        Some((f.error.clone(), f.partial))
    }

    /// Performs one operation.
    pub fn execute(&mut self, op: &StorageOp) -> StorageResult {
        self.log.push((OpKind::of(op), op.path().to_string()));
        if let Some((error, partial)) = self.fault_for(op) {
            if let (StorageOp::Write { path, offset, data }, true) = (op, partial > 0) {
                let landed = data[..partial.min(data.len())].to_vec();
                let _ = self.write(path, *offset, &landed);
            }
            return StorageResult::Failed(error);
        }
        match op {
            StorageOp::Create { path } => {
                if !self.parent_exists(path) {
                    return StorageResult::Failed(StorageError::NotFound);
                }
                self.files.entry(path.clone()).or_default().data.clear();
                StorageResult::Done
            }
            StorageOp::Write { path, offset, data } => self.write(path, *offset, data),
            StorageOp::Truncate { path, len } => match self.files.get_mut(path) {
                Some(f) => {
                    f.data.truncate(*len as usize);
                    StorageResult::Done
                }
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::Fsync { path } => match self.files.get_mut(path) {
                Some(f) => {
                    f.durable = f.data.clone();
                    StorageResult::Done
                }
                None if path == "." || self.dirs.contains(path.trim_end_matches('/')) => StorageResult::Done,
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::Rename { from, to } => match self.files.remove(from) {
                Some(f) => {
                    // The rename is durable, and so is what it carries once fsynced.
                    self.files.insert(to.clone(), f);
                    StorageResult::Done
                }
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::Remove { path } => match self.files.remove(path) {
                Some(_) => StorageResult::Done,
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::Read { path, limit } => match self.files.get(path) {
                Some(f) if f.data.len() as u64 > *limit => StorageResult::Failed(StorageError::TooLarge),
                Some(f) => StorageResult::Data(f.data.clone()),
                None => StorageResult::Failed(StorageError::NotFound),
            },
            StorageOp::MakeDir { path } => {
                self.dirs.insert(path.trim_end_matches('/').to_string());
                StorageResult::Done
            }
            StorageOp::ListDir { path } => {
                let prefix = format!("{}/", path.trim_end_matches('/'));
                let names = self
                    .files
                    .keys()
                    .filter_map(|p| p.strip_prefix(&prefix))
                    .filter(|rest| !rest.contains('/'))
                    .map(String::from)
                    .collect();
                StorageResult::Names(names)
            }
            StorageOp::Size { path } => match self.files.get(path) {
                Some(f) => StorageResult::Size(f.data.len() as u64),
                None => StorageResult::Failed(StorageError::NotFound),
            },
        }
    }

    /// A file in a directory needs the directory (made with MakeDir); a bare
    /// name lives in the current directory, which always exists.
    fn parent_exists(&self, path: &str) -> bool {
        match path.rsplit_once('/') {
            Some((dir, _)) => dir.is_empty() || dir == "." || self.dirs.contains(dir),
            None => true,
        }
    }

    fn write(&mut self, path: &str, offset: u64, data: &[u8]) -> StorageResult {
        let Some(current) = self.files.get(path).map(|f| f.data.len()) else {
            return StorageResult::Failed(StorageError::NotFound);
        };
        let end = offset as usize + data.len();
        let growth = end.saturating_sub(current);
        if let Some(cap) = self.capacity {
            if self.used() + growth > cap {
                return StorageResult::Failed(StorageError::NoSpace);
            }
        }
        let f = self.files.get_mut(path).expect("checked above");
        if f.data.len() < end {
            f.data.resize(end, 0);
        }
        f.data[offset as usize..end].copy_from_slice(data);
        StorageResult::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(path: &str, offset: u64, data: &[u8]) -> StorageOp {
        StorageOp::Write { path: path.into(), offset, data: data.to_vec() }
    }

    #[test]
    fn crash_keeps_only_fsynced_data() {
        let mut m = MemStorage::new();
        assert_eq!(m.execute(&StorageOp::Create { path: "f".into() }), StorageResult::Done);
        m.execute(&w("f", 0, b"abc"));
        m.execute(&StorageOp::Fsync { path: "f".into() });
        m.execute(&w("f", 3, b"def"));
        assert_eq!(m.file("f"), Some(&b"abcdef"[..]));
        m.crash();
        assert_eq!(m.file("f"), Some(&b"abc"[..]));
    }

    #[test]
    fn faults_capacity_and_dirs() {
        let mut m = MemStorage::new();
        assert_eq!(
            m.execute(&StorageOp::Create { path: "d/f".into() }),
            StorageResult::Failed(StorageError::NotFound),
            "no such directory"
        );
        m.execute(&StorageOp::MakeDir { path: "d".into() });
        m.execute(&StorageOp::Create { path: "d/f".into() });
        m.fail(OpKind::Fsync, "d/", StorageError::Io("Input/output error".into()), Some(1));
        assert!(m.execute(&StorageOp::Fsync { path: "d/f".into() }).error().is_some());
        assert_eq!(m.execute(&StorageOp::Fsync { path: "d/f".into() }), StorageResult::Done, "fault used up");
        m.set_capacity(Some(4));
        assert_eq!(m.execute(&w("d/f", 0, b"12345")), StorageResult::Failed(StorageError::NoSpace));
        m.fail_write_partially("f", 2, StorageError::NoSpace);
        assert!(m.execute(&w("d/f", 0, b"1234")).error().is_some());
        assert_eq!(m.file("d/f"), Some(&b"12"[..]));
        assert_eq!(m.execute(&StorageOp::ListDir { path: "d".into() }), StorageResult::Names(vec!["f".into()]));
        assert_eq!(m.count(OpKind::Fsync, "d/f"), 2);
    }
}
