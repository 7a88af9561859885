//! Redis's error replies, word for word, in one place.
//!
//! Clients match on these strings (and the differential test compares them with
//! real Redis byte for byte), so both engines, the parser and the node core take
//! their texts from here instead of spelling them inline.

use std::borrow::Cow;
use std::fmt;

use crate::resp::Frame;

/// An error reply: the full text after `-`, code included (`ERR ...`, `WRONGTYPE ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisError(pub Cow<'static, str>);

impl RedisError {
    /// An error with a text known at compile time.
    pub const fn fixed(text: &'static str) -> RedisError {
        RedisError(Cow::Borrowed(text))
    }

    /// An error with a text built at run time.
    pub fn owned(text: String) -> RedisError {
        RedisError(Cow::Owned(text))
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisError {}

impl From<RedisError> for Frame {
    fn from(e: RedisError) -> Frame {
        Frame::Error(e.0.into_owned())
    }
}

/// Result of parsing or executing a command.
pub type RedisResult<T> = Result<T, RedisError>;

// ---- generic argument errors (shared by every command) ----
pub const SYNTAX: RedisError = RedisError::fixed("ERR syntax error");
pub const NOT_INTEGER: RedisError = RedisError::fixed("ERR value is not an integer or out of range");
pub const NOT_POSITIVE: RedisError = RedisError::fixed("ERR value is out of range, must be positive");
pub const NOT_FLOAT: RedisError = RedisError::fixed("ERR value is not a valid float");
pub const WRONGTYPE: RedisError =
    RedisError::fixed("WRONGTYPE Operation against a key holding the wrong kind of value");
pub const OVERFLOW: RedisError = RedisError::fixed("ERR increment or decrement would overflow");
pub const NO_SUCH_KEY: RedisError = RedisError::fixed("ERR no such key");
pub const OUT_OF_RANGE: RedisError = RedisError::fixed("ERR index out of range");
pub const DB_INDEX_OUT_OF_RANGE: RedisError = RedisError::fixed("ERR DB index is out of range");
pub const INVALID_DB_INDEX: RedisError = RedisError::fixed("ERR invalid DB index");
pub const STRING_TOO_LONG: RedisError =
    RedisError::fixed("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
pub const OFFSET_OUT_OF_RANGE: RedisError = RedisError::fixed("ERR offset is out of range");
pub const INVALID_CURSOR: RedisError = RedisError::fixed("ERR invalid cursor");
pub const INCR_NAN_OR_INF: RedisError = RedisError::fixed("ERR increment would produce NaN or Infinity");
pub const SAME_OBJECT: RedisError = RedisError::fixed("ERR source and destination objects are the same");
pub const TIMEOUT_NOT_FLOAT: RedisError = RedisError::fixed("ERR timeout is not a float or out of range");
pub const TIMEOUT_NEGATIVE: RedisError = RedisError::fixed("ERR timeout is negative");

// ---- keyspace commands whose texts both engines share ----
pub const BUSYKEY: RedisError = RedisError::fixed("BUSYKEY Target key name already exists.");
pub const INVALID_TTL: RedisError = RedisError::fixed("ERR Invalid TTL value, must be >= 0");
pub const BAD_DATA_FORMAT: RedisError = RedisError::fixed("ERR Bad data format");
pub const LCS_NOT_STRINGS: RedisError = RedisError::fixed("ERR The specified keys must contain string values");
pub const OBJECT_IDLETIME_UNDER_LFU: RedisError = RedisError::fixed(
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);
pub const OBJECT_FREQ_WITHOUT_LFU: RedisError = RedisError::fixed(
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);
/// A connection or server command handed to an engine by mistake.
pub const NOT_A_KEYSPACE_COMMAND: RedisError =
    RedisError::fixed("ERR this command is executed by the node, not the keyspace");

// ---- connection and server ----
pub const NOAUTH: RedisError = RedisError::fixed("NOAUTH Authentication required.");
pub const WRONGPASS: RedisError = RedisError::fixed("WRONGPASS invalid username-password pair or user is disabled.");
pub const AUTH_NOT_CONFIGURED: RedisError = RedisError::fixed(
    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
);

/// `ERR wrong number of arguments for 'get' command`; `name` is as the table spells it
/// (lower case, `client|kill` for subcommands).
pub fn wrong_arity(name: &str) -> RedisError {
    RedisError::owned(format!("ERR wrong number of arguments for '{name}' command"))
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
///
/// Redis cuts the name and each argument to 128 bytes and lists the arguments
/// until 128 bytes of them have been shown; it also replaces CR/LF with spaces so
/// the reply stays one line.
pub fn unknown_command(argv: &[bytes::Bytes]) -> RedisError {
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let remaining = 128 - args.len();
        let a = c_string(a);
        args.push('\'');
        args.push_str(&printable(&a[..a.len().min(remaining)]));
        args.push_str("' ");
    }
    let name = argv.first().map(|n| c_string(n)).unwrap_or(&[]);
    let name = &name[..name.len().min(128)];
    RedisError::owned(format!("ERR unknown command '{}', with args beginning with: {}", printable(name), args))
}

/// `ERR unknown subcommand 'foo'. Try CLIENT HELP.`
pub fn unknown_subcommand(container: &str, sub: &[u8]) -> RedisError {
    let sub = c_string(sub);
    let sub = &sub[..sub.len().min(128)];
    RedisError::owned(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        printable(sub),
        container.to_ascii_uppercase()
    ))
}

/// The text of a command that exists in Redis 7.0 but not (yet) in redsim.
pub fn not_implemented(name: &str) -> RedisError {
    RedisError::owned(format!("ERR command '{name}' is not implemented by redsim yet"))
}

/// The bytes before the first NUL: Redis formats arguments into errors with
/// `%s`, which stops there.
pub fn c_string(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(nul) => &b[..nul],
        None => b,
    }
}

/// Bytes as Redis prints them inside an error: lossy UTF-8 with CR and LF turned
/// into spaces, so that the error line cannot break the protocol.
pub fn printable(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect()
}

// ---- command table: COMMAND GETKEYS / GETKEYSANDFLAGS (owned by table/) ----
pub const INVALID_COMMAND_SPECIFIED: RedisError = RedisError::fixed("ERR Invalid command specified");
pub const NO_KEY_ARGUMENTS: RedisError = RedisError::fixed("ERR The command has no key arguments");
pub const INVALID_NUMBER_OF_ARGUMENTS: RedisError =
    RedisError::fixed("ERR Invalid number of arguments specified for command");
pub const INVALID_ARGUMENTS: RedisError = RedisError::fixed("ERR Invalid arguments specified for command");

// ---- node core: connection, server and transaction commands (owned by the node) ----
pub const INT_OUT_OF_RANGE: RedisError =
    RedisError::fixed("ERR value is out of range, value must between -2147483648 and 2147483647");
pub const SELECT_IN_CLUSTER: RedisError = RedisError::fixed("ERR SELECT is not allowed in cluster mode");
pub const HELLO_PROTOVER_NOT_INTEGER: RedisError =
    RedisError::fixed("ERR Protocol version is not an integer or out of range");
pub const NOPROTO: RedisError = RedisError::fixed("NOPROTO unsupported protocol version");
pub const HELLO_NOAUTH: RedisError = RedisError::fixed(
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
);
pub const BAD_CLIENT_NAME: RedisError =
    RedisError::fixed("ERR Client names cannot contain spaces, newlines or special characters.");
pub const NO_SUCH_CLIENT: RedisError = RedisError::fixed("ERR No such client");
pub const CLIENT_ID_NOT_POSITIVE: RedisError = RedisError::fixed("ERR client-id should be greater than 0");
pub const INVALID_CLIENT_ID: RedisError = RedisError::fixed("ERR Invalid client ID");
pub const TIMEOUT_NOT_INTEGER: RedisError = RedisError::fixed("ERR timeout is not an integer or out of range");
pub const PAUSE_MODE: RedisError = RedisError::fixed("ERR CLIENT PAUSE mode must be WRITE or ALL");
pub const UNBLOCK_REASON: RedisError = RedisError::fixed("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
pub const CACHING_WITHOUT_TRACKING: RedisError = RedisError::fixed(
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
);
pub const MULTI_NESTED: RedisError = RedisError::fixed("ERR MULTI calls can not be nested");
pub const EXEC_WITHOUT_MULTI: RedisError = RedisError::fixed("ERR EXEC without MULTI");
pub const DISCARD_WITHOUT_MULTI: RedisError = RedisError::fixed("ERR DISCARD without MULTI");
pub const WATCH_IN_MULTI: RedisError = RedisError::fixed("ERR WATCH inside MULTI is not allowed");
pub const EXECABORT: RedisError = RedisError::fixed("EXECABORT Transaction discarded because of previous errors.");
pub const NOT_IN_MULTI: RedisError = RedisError::fixed("ERR Command not allowed inside a transaction");
pub const MONITOR_DENY_BLOCKING: RedisError = RedisError::fixed("ERR MONITOR isn't allowed for DENY BLOCKING client");
pub const DEBUG_NOT_ALLOWED: RedisError = RedisError::fixed(
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
);
pub const SLOWLOG_COUNT: RedisError = RedisError::fixed("ERR count should be greater than or equal to -1");
pub const NO_CONFIG_FILE: RedisError = RedisError::fixed("ERR The server is running without a config file");
pub const NO_SHUTDOWN_IN_PROGRESS: RedisError = RedisError::fixed("ERR No shutdown in progress.");
pub const MAX_CLIENTS: RedisError = RedisError::fixed("ERR max number of clients reached");

/// `ERR Unknown client type 'x'` (CLIENT LIST / CLIENT KILL TYPE).
pub fn unknown_client_type(name: &[u8]) -> RedisError {
    RedisError::owned(format!("ERR Unknown client type '{}'", printable(name)))
}

/// `ERR No such user 'x'` (CLIENT KILL USER).
pub fn no_such_user(name: &[u8]) -> RedisError {
    RedisError::owned(format!("ERR No such user '{}'", printable(name)))
}

/// `ERR Syntax error in HELLO option 'x'`.
pub fn hello_option(opt: &[u8]) -> RedisError {
    RedisError::owned(format!("ERR Syntax error in HELLO option '{}'", printable(opt)))
}

/// The error a container gives when a known subcommand gets arguments it does
/// not accept: `ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.`
pub fn subcommand_syntax(container: &str, sub: &[u8]) -> RedisError {
    let sub = &sub[..sub.len().min(128)];
    RedisError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        printable(sub),
        container.to_ascii_uppercase()
    ))
}

/// `ERR Unknown option or number of arguments for CONFIG SET - 'x'`.
pub fn config_set_unknown(name: &[u8]) -> RedisError {
    RedisError::owned(format!("ERR Unknown option or number of arguments for CONFIG SET - '{}'", printable(name)))
}

/// `ERR CONFIG SET failed (possibly related to argument 'x') - why`.
pub fn config_set_failed(name: &[u8], why: &str) -> RedisError {
    RedisError::owned(format!("ERR CONFIG SET failed (possibly related to argument '{}') - {}", printable(name), why))
}
pub const UNBLOCKED: RedisError = RedisError::fixed("UNBLOCKED client unblocked via CLIENT UNBLOCK");

// Persistence (SAVE, BGSAVE, BGREWRITEAOF, loading, disk errors).
pub const LOADING: RedisError = RedisError::fixed("LOADING Redis is loading the dataset in memory");
pub const MISCONF_RDB: RedisError = RedisError::fixed(
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that \
     may modify the data set are disabled, because this instance is configured to report errors during writes if RDB \
     snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB \
     error.",
);
/// SAVE that failed: Redis's bare `-ERR`.
pub const SAVE_FAILED: RedisError = RedisError::fixed("ERR");
pub const BGSAVE_IN_PROGRESS: RedisError = RedisError::fixed("ERR Background save already in progress");
pub const BGSAVE_CHILD_ACTIVE: RedisError = RedisError::fixed(
    "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a \
     BGSAVE whenever possible.",
);
pub const BGREWRITEAOF_IN_PROGRESS: RedisError =
    RedisError::fixed("ERR Background append only file rewriting already in progress");
pub const SHUTDOWN_FAILED: RedisError = RedisError::fixed("ERR Errors trying to SHUTDOWN. Check logs.");

/// `MISCONF Errors writing to the AOF file: <strerror>`.
pub fn misconf_aof(why: &str) -> RedisError {
    RedisError::owned(format!("MISCONF Errors writing to the AOF file: {why}"))
}
