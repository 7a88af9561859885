//! Commands as values: argv is resolved against the command table, then parsed
//! into a [`Command`] before it touches any database (as mini-redis does).
//!
//! Parsing checks what Redis checks *before* it looks at the keyspace, in the
//! same order, so the first error a client sees is Redis's first error. Where
//! Redis validates an argument only after looking a key up (GETEX's expire
//! time, INCRBYFLOAT's increment), the command keeps the raw argument and the
//! engine validates it at the same point Redis does.

mod args;
pub mod connection;
pub mod database;
pub mod hashes;
pub mod help;
pub mod keys;
pub mod lists;
pub mod replication;
pub mod scan;
pub mod server;
pub mod sets;
pub mod sorted_sets;
pub mod strings;
pub mod timeout;

pub use args::{parse_i32, parse_i64, token, Args};
pub use hashes::HashCommand;
pub use keys::*;
pub use lists::ListCommand;
pub use scan::ScanOptions;
pub use sets::SetCommand;
pub use sorted_sets::ZSetCommand;
pub use strings::*;

use bytes::Bytes;

use crate::errors::{self, RedisResult};
use crate::table::{self, CommandSpec};

/// One parsed command.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    // ---- string group ----
    Append {
        key: Bytes,
        value: Bytes,
    },
    /// INCR, DECR, INCRBY, DECRBY.
    IncrBy {
        key: Bytes,
        by: i64,
    },
    /// The increment is validated after the key's type, as Redis does.
    IncrByFloat {
        key: Bytes,
        incr: Bytes,
    },
    Get {
        key: Bytes,
    },
    GetDel {
        key: Bytes,
    },
    GetEx {
        key: Bytes,
        option: GetExOption,
    },
    /// GETRANGE and its old name SUBSTR.
    GetRange {
        key: Bytes,
        start: i64,
        end: i64,
    },
    GetSet {
        key: Bytes,
        value: Bytes,
    },
    Lcs(LcsArgs),
    MGet {
        keys: Vec<Bytes>,
    },
    MSet {
        pairs: Vec<(Bytes, Bytes)>,
        nx: bool,
    },
    /// SET, SETNX, SETEX, PSETEX: all are SET with options, as in Redis.
    Set(SetArgs),
    SetRange {
        key: Bytes,
        offset: i64,
        value: Bytes,
    },
    Strlen {
        key: Bytes,
    },

    // ---- the collection types ----
    Lists(lists::ListCommand),
    Hashes(hashes::HashCommand),
    Sets(sets::SetCommand),
    SortedSets(sorted_sets::ZSetCommand),

    // ---- generic group ----
    Copy {
        source: Bytes,
        destination: Bytes,
        db: Option<usize>,
        replace: bool,
    },
    Dump {
        key: Bytes,
    },
    Restore(RestoreArgs),
    /// DEL and UNLINK (they differ only in how memory is freed).
    Del {
        keys: Vec<Bytes>,
        unlink: bool,
    },
    Exists {
        keys: Vec<Bytes>,
    },
    Expire(ExpireArgs),
    /// EXPIRETIME / PEXPIRETIME.
    ExpireTime {
        key: Bytes,
        millis: bool,
    },
    Keys {
        pattern: Bytes,
    },
    Move {
        key: Bytes,
        db: usize,
    },
    Object {
        sub: ObjectSub,
        key: Bytes,
    },
    Persist {
        key: Bytes,
    },
    /// TTL / PTTL.
    Ttl {
        key: Bytes,
        millis: bool,
    },
    RandomKey,
    Rename {
        source: Bytes,
        destination: Bytes,
        nx: bool,
    },
    Scan(ScanArgs),
    Sort(SortArgs),
    Touch {
        keys: Vec<Bytes>,
    },
    Type {
        key: Bytes,
    },

    // ---- server commands that act on the keyspace ----
    DbSize,
    /// FLUSHDB / FLUSHALL; `sync` is None when neither ASYNC nor SYNC was given.
    Flush {
        all: bool,
        sync: Option<bool>,
    },
    SwapDb {
        a: usize,
        b: usize,
    },
    DebugDigest,
    DebugDigestValue {
        keys: Vec<Bytes>,
    },

    // ---- handled by the node core, never by an engine ----
    Connection(connection::ConnectionCommand),
    Server(server::ServerCommand),

    /// `<COMMAND> HELP` of a container command: `command` is the container's name.
    Help {
        command: &'static str,
    },

    /// A command of the Redis 7.0 table that redsim does not implement yet.
    NotImplemented {
        name: &'static str,
    },
}

impl Command {
    /// Parses a resolved command. `spec` comes from [`table::resolve`], so the
    /// arity has been checked and `argv[0]` (and `argv[1]` for a subcommand)
    /// name the command.
    pub fn parse(spec: &'static CommandSpec, argv: &[Bytes], env: &ParseEnv) -> RedisResult<Command> {
        let skip = if spec.fullname.contains('|') { 2 } else { 1 };
        if spec.fullname.ends_with("|help") {
            return Ok(Command::Help { command: spec.fullname.split('|').next().unwrap_or("") });
        }
        let mut a = Args::new(&argv[skip..]);
        if let Some(r) = replication::parse(spec.fullname, &mut a)? {
            return Ok(Command::Server(server::ServerCommand::Replication(r)));
        }
        let parsed = match spec.group {
            "string" => strings::parse(spec.fullname, &mut a)?,
            "generic" => keys::parse(spec.fullname, &mut a, env)?,
            "list" => lists::parse(spec.fullname, &mut a, env)?,
            "hash" => hashes::parse(spec.fullname, &mut a, env)?,
            "set" => sets::parse(spec.fullname, &mut a, env)?,
            "sorted-set" => sorted_sets::parse(spec.fullname, &mut a, env)?,
            "connection" | "transactions" => connection::parse(spec.fullname, &mut a, env)?,
            "server" => match database::parse(spec.fullname, &mut a, env)? {
                Some(cmd) => Some(cmd),
                None => server::parse(spec.fullname, &mut a, env)?,
            },
            _ => None,
        };
        Ok(parsed.unwrap_or(Command::NotImplemented { name: spec.fullname }))
    }

    /// Resolves and parses argv in one step (tests, the simulator's checker).
    pub fn from_argv(argv: &[Bytes], env: &ParseEnv) -> RedisResult<Command> {
        let spec = table::resolve(argv)?;
        Command::parse(spec, argv, env)
    }
}

/// Server facts fixed at startup that decide some parse errors: Redis checks
/// database indexes and cluster mode while it reads the arguments of MOVE,
/// COPY, SWAPDB and SELECT, before it reads the keyspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseEnv {
    /// `databases` (16 by default).
    pub databases: usize,
    /// `cluster-enabled`.
    pub cluster_enabled: bool,
}

impl Default for ParseEnv {
    fn default() -> Self {
        ParseEnv { databases: 16, cluster_enabled: false }
    }
}

impl ParseEnv {
    /// A database index argument: `ERR value is not an integer or out of range`
    /// unless it fits an int, then `ERR DB index is out of range` unless it
    /// names one of the databases.
    pub fn db_index(&self, arg: &[u8]) -> RedisResult<usize> {
        let id = parse_i32(arg)?;
        self.check_db(id as i64)
    }

    /// `ERR DB index is out of range` unless `id` names a database.
    pub fn check_db(&self, id: i64) -> RedisResult<usize> {
        if id < 0 || id >= self.databases as i64 {
            Err(errors::DB_INDEX_OUT_OF_RANGE)
        } else {
            Ok(id as usize)
        }
    }
}

/// The syntax error Redis gives for anything it did not expect.
pub(crate) fn syntax<T>() -> RedisResult<T> {
    Err(errors::SYNTAX)
}
