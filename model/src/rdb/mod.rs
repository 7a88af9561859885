//! RDB version 10, as Redis 7.0 writes and reads it, and the DUMP payload.
//!
//! - [`write`] / [`RdbWriter`]: a dataset as an RDB file (whole, or in chunks);
//!   [`RdbStream`]: one written from records as they come.
//! - [`read`] / [`read_with`]: a file back into a dataset, with the encodings
//!   Redis gives values on load, including the pre-7.0 encodings.
//! - [`dump_payload`] / [`restore_payload`]: one value, for DUMP and RESTORE.
//!
//! The binary building blocks ([`crc64`], [`lzf`], [`listpack`], [`intset`],
//! [`ziplist`], [`zipmap`]) are public so tests can assemble files by hand.

pub mod crc64;
mod decode_value;
mod dump;
mod encode_value;
mod format;
pub mod intset;
mod key_access;
pub mod listpack;
pub mod lzf;
mod reader;
mod writer;
pub mod ziplist;
pub mod zipmap;

use std::fmt;

use crate::dataset::Dataset;
use crate::engine::EngineConfig;
use crate::reference::Value;

pub use format::RDB_VERSION;
pub use key_access::KeyAccess;
pub use reader::{duplicated_key, RdbReader};
pub use writer::{RdbStream, RdbWriter, DEFAULT_CHUNK};

/// The message of a payload whose version or checksum RESTORE refuses
/// (Redis replies `ERR DUMP payload version or checksum are wrong`).
pub const PAYLOAD_VERSION_OR_CHECKSUM: &str = "DUMP payload version or checksum are wrong";
/// The start of the message of a payload whose body is malformed (Redis
/// replies `ERR Bad data format`); details follow after a colon.
pub const PAYLOAD_BAD_FORMAT: &str = "Bad data format";

/// The settings and AUX facts an RDB file is written with.
#[derive(Clone, Debug, PartialEq)]
pub struct RdbOptions {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes when it saves space.
    pub compression: bool,
    /// `rdbchecksum`: a CRC64 trailer; when off, eight zero bytes.
    pub checksum: bool,
    /// AUX fields Redis writes.
    pub aux: RdbAux,
}

/// AUX fields: the facts Redis records about the server that saved the file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RdbAux {
    pub redis_ver: String,
    /// Unix time in seconds of the save.
    pub ctime: i64,
    pub used_mem: u64,
    /// True when the file is the base of a multi-part AOF (`aof-base` 1).
    pub aof_base: bool,
    /// Replication info (`repl-stream-db`, `repl-id`, `repl-offset`), written
    /// by a master that has a replication id.
    pub repl: Option<(u32, String, i64)>,
}

/// What loading learnt besides the data.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RdbInfo {
    pub version: u32,
    /// Every AUX field in file order, as raw key/value pairs.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Function libraries (FUNCTION2 opcodes), their code in file order.
    pub functions: Vec<Vec<u8>>,
    /// Where the RDB data ended (after the checksum): anything after it is
    /// not RDB (an AOF tail after an RDB preamble, say) and was not read.
    pub bytes_read: usize,
}

impl RdbInfo {
    /// The value of AUX field `name` as text (lossy), if the file has it.
    pub fn aux_text(&self, name: &str) -> Option<String> {
        let (_, v) = self.aux.iter().find(|(k, _)| k == name.as_bytes())?;
        Some(String::from_utf8_lossy(v).into_owned())
    }
}

/// Why a file or payload could not be loaded, with the byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for RdbError {}

/// A problem inside one encoded blob (listpack, intset, ziplist, zipmap), at
/// an offset within the blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobError {
    pub offset: usize,
    pub message: String,
}

/// The server settings loading depends on: the conversion thresholds values
/// are checked against, whether integers are shared, and the clock and
/// policy the keys' LRU/LFU fields are set from.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// `databases`: a file selecting a database past it is refused.
    pub databases: usize,
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    /// Integer strings 0..9999 become shared objects (no memory limit with an
    /// LRU/LFU policy).
    pub share_integers: bool,
    /// An LFU policy: FREQ opcodes are used and IDLE ignored (else the reverse).
    pub lfu: bool,
    /// The loader's clock, in Unix ms, for the keys' `lru` fields.
    pub now_ms: i64,
    /// `rdbchecksum`: when off, the CRC is not verified (nor is a DUMP payload's).
    pub verify_checksum: bool,
    /// A key twice in a database is refused. Off where the records go
    /// straight into an engine, which refuses them itself
    /// ([`crate::Engine::load_records`]) at no extra cost per key.
    pub check_duplicates: bool,
}

impl Default for LoadOptions {
    /// Redis 7.0's defaults, at time 0.
    fn default() -> Self {
        LoadOptions::from_config(&EngineConfig::default(), 16, 0)
    }
}

impl LoadOptions {
    /// The options a node with `config` and `databases` databases loads with at `now_ms`.
    pub fn from_config(config: &EngineConfig, databases: usize, now_ms: i64) -> LoadOptions {
        LoadOptions {
            databases,
            hash_max_listpack_entries: config.hash_max_listpack_entries,
            hash_max_listpack_value: config.hash_max_listpack_value,
            set_max_intset_entries: config.set_max_intset_entries,
            zset_max_listpack_entries: config.zset_max_listpack_entries,
            zset_max_listpack_value: config.zset_max_listpack_value,
            share_integers: config.shares_integers(),
            lfu: config.maxmemory_policy.is_lfu(),
            now_ms,
            verify_checksum: true,
            check_duplicates: true,
        }
    }
}

/// Serializes `dataset` into a complete RDB file.
pub fn write(dataset: &Dataset, opts: &RdbOptions) -> Vec<u8> {
    RdbWriter::new(dataset, opts).finish()
}

/// Parses a complete RDB file with Redis's default settings. Keys whose
/// expire time has passed are kept: the caller decides (a master drops them
/// on load, a replica keeps them).
pub fn read(bytes: &[u8]) -> Result<(Dataset, RdbInfo), RdbError> {
    read_with(bytes, &LoadOptions::default())
}

/// Parses a complete RDB file as a server with `opts` would load it.
pub fn read_with(bytes: &[u8], opts: &LoadOptions) -> Result<(Dataset, RdbInfo), RdbError> {
    reader::read_with(bytes, opts)
}

/// DUMP's payload: the serialized value, the RDB version (2 bytes LE) and a
/// CRC64, with LZF compression on (Redis's default `rdbcompression yes`).
pub fn dump_payload(value: &Value) -> Vec<u8> {
    dump::dump_payload_with(value, true)
}

/// DUMP's payload with `rdbcompression` as given.
pub fn dump_payload_with(value: &Value, compression: bool) -> Vec<u8> {
    dump::dump_payload_with(value, compression)
}

/// RESTORE's side: the value in a DUMP payload, with Redis's default
/// settings. A wrong version (newer than 10) or checksum gives the message
/// [`PAYLOAD_VERSION_OR_CHECKSUM`]; a malformed body a message starting
/// with [`PAYLOAD_BAD_FORMAT`].
pub fn restore_payload(payload: &[u8]) -> Result<Value, RdbError> {
    dump::restore_payload_with(payload, &LoadOptions::default())
}

/// [`restore_payload`] for a server with `opts`.
pub fn restore_payload_with(payload: &[u8], opts: &LoadOptions) -> Result<Value, RdbError> {
    dump::restore_payload_with(payload, opts)
}
