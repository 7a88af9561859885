//! The storage interface: every file operation persistence needs, as data.
//!
//! The node never touches a file. It emits [`StorageOp`]s inside
//! `Action::Storage` with an id, and the driver (real files, an in-memory
//! disk, the simulator's faulty disk) answers with `Node::storage_done(id,
//! result, now_ms)`. Operations on one path must be performed in the order
//! they were emitted; the node never counts on one having succeeded before
//! its result has arrived.

/// Names one storage operation; results are matched to operations by it.
pub type StorageId = u64;

/// One file operation. Paths are as the node builds them from `dir`
/// (absolute in the real server, relative names in tests).
#[derive(Clone, PartialEq, Eq)]
pub enum StorageOp {
    /// Create the file empty, truncating it if it exists.
    Create { path: String },
    /// Write `data` at byte `offset` of an existing file, extending it as needed.
    Write { path: String, offset: u64, data: Vec<u8> },
    /// Cut an existing file to `len` bytes.
    Truncate { path: String, len: u64 },
    /// Make what was written to the file (or the entries of a directory) durable.
    Fsync { path: String },
    /// Atomically replace `to` with `from`.
    Rename { from: String, to: String },
    /// Delete a file; deleting a missing file fails with NotFound.
    Remove { path: String },
    /// The whole file; fails with TooLarge when it has more than `limit` bytes.
    Read { path: String, limit: u64 },
    /// Create a directory (and its parents); an existing one is fine.
    MakeDir { path: String },
    /// The names in a directory, sorted.
    ListDir { path: String },
    /// The file's size in bytes.
    Size { path: String },
}

impl std::fmt::Debug for StorageOp {
    /// Data is summarized: an AOF write or an RDB chunk would flood logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageOp::Create { path } => write!(f, "Create({path})"),
            StorageOp::Write { path, offset, data } => write!(f, "Write({path} @{offset}, {} bytes)", data.len()),
            StorageOp::Truncate { path, len } => write!(f, "Truncate({path} to {len})"),
            StorageOp::Fsync { path } => write!(f, "Fsync({path})"),
            StorageOp::Rename { from, to } => write!(f, "Rename({from} -> {to})"),
            StorageOp::Remove { path } => write!(f, "Remove({path})"),
            StorageOp::Read { path, limit } => write!(f, "Read({path}, limit {limit})"),
            StorageOp::MakeDir { path } => write!(f, "MakeDir({path})"),
            StorageOp::ListDir { path } => write!(f, "ListDir({path})"),
            StorageOp::Size { path } => write!(f, "Size({path})"),
        }
    }
}

impl StorageOp {
    /// The path the operation is about (for renames, the source).
    pub fn path(&self) -> &str {
        match self {
            StorageOp::Create { path }
            | StorageOp::Write { path, .. }
            | StorageOp::Truncate { path, .. }
            | StorageOp::Fsync { path }
            | StorageOp::Remove { path }
            | StorageOp::Read { path, .. }
            | StorageOp::MakeDir { path }
            | StorageOp::ListDir { path }
            | StorageOp::Size { path } => path,
            StorageOp::Rename { from, .. } => from,
        }
    }
}

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    NotFound,
    NoSpace,
    /// A read found more than its limit.
    TooLarge,
    /// Anything else, with the system's text.
    Io(String),
}

impl StorageError {
    /// The text Redis would print for the error (`strerror`).
    pub fn text(&self) -> String {
        match self {
            StorageError::NotFound => "No such file or directory".into(),
            StorageError::NoSpace => "No space left on device".into(),
            StorageError::TooLarge => "File too large".into(),
            StorageError::Io(t) => t.clone(),
        }
    }
}

/// What an operation produced.
#[derive(Clone, PartialEq, Eq)]
pub enum StorageResult {
    /// Create, Write, Truncate, Fsync, Rename, Remove, MakeDir.
    Done,
    /// Read.
    Data(Vec<u8>),
    /// Size.
    Size(u64),
    /// ListDir.
    Names(Vec<String>),
    Failed(StorageError),
}

impl std::fmt::Debug for StorageResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageResult::Done => write!(f, "Done"),
            StorageResult::Data(d) => write!(f, "Data({} bytes)", d.len()),
            StorageResult::Size(n) => write!(f, "Size({n})"),
            StorageResult::Names(n) => write!(f, "Names({n:?})"),
            StorageResult::Failed(e) => write!(f, "Failed({e:?})"),
        }
    }
}

impl StorageResult {
    /// The error, if the operation failed.
    pub fn error(&self) -> Option<&StorageError> {
        match self {
            StorageResult::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// `dir/name`, or `name` alone when `dir` is empty (the process's directory).
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}
