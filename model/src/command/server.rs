//! Parsing of the server group commands the node core executes (CONFIG,
//! INFO, SLOWLOG, DEBUG ...). DBSIZE, FLUSH*, SWAPDB live in `database`.
//!
//! CONFIG SET keeps its name/value pairs raw: which names exist and what their
//! values may be is the node's configuration registry's business.

use bytes::Bytes;

use super::{parse_i64, Args, Command, ParseEnv};
use crate::errors::{self, RedisResult};

/// A server command executed by the node core.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerCommand {
    /// Section names lower-cased; empty means "default".
    Info {
        sections: Vec<String>,
    },
    Time,
    LastSave,
    Role,
    Monitor,
    /// COMMAND and its subcommands: the arguments after `COMMAND`, subcommand
    /// name first (lower-cased), for `table::introspect::command`.
    Introspect {
        args: Vec<Bytes>,
    },
    ConfigGet {
        patterns: Vec<Bytes>,
    },
    ConfigSet {
        pairs: Vec<(Bytes, Bytes)>,
    },
    ConfigResetStat,
    ConfigRewrite,
    /// `count` -1 means every entry.
    SlowlogGet {
        count: i64,
    },
    SlowlogLen,
    SlowlogReset,
    /// DEBUG SLEEP: microseconds to block the whole server (0 for none).
    DebugSleep {
        micros: u64,
    },
    DebugSetActiveExpire {
        enabled: bool,
    },
    Shutdown(ShutdownArgs),
    /// SAVE.
    Save,
    /// BGSAVE [SCHEDULE].
    Bgsave {
        schedule: bool,
    },
    Bgrewriteaof,
    /// DEBUG RELOAD (without options): save, then load the file back.
    DebugReload,
    /// DEBUG POPULATE count [prefix] [size]: keys `prefix:N` (default
    /// "key") holding "value:N", cut or zero-padded to `size` when given.
    DebugPopulate {
        count: u64,
        prefix: Option<Bytes>,
        size: Option<u64>,
    },
    /// REPLICAOF, REPLCONF, PSYNC, SYNC, WAIT, FAILOVER (see `replication`).
    Replication(super::replication::ReplicationCommand),
}

/// SHUTDOWN's flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownArgs {
    /// Some(true) for SAVE, Some(false) for NOSAVE.
    pub save: Option<bool>,
    pub now: bool,
    pub force: bool,
    pub abort: bool,
}

/// DEBUG subcommands of Redis 7.0 that redsim does not implement; any other
/// word is Redis's "unknown subcommand" error.
const DEBUG_UNIMPLEMENTED: &[&str] = &[
    "segfault",
    "panic",
    "restart",
    "crash-and-recover",
    "assert",
    "log",
    "leak",
    "loadaof",
    "drop-cluster-packet-filter",
    "object",
    "sdslen",
    "ziplist",
    "listpack",
    "quicklist-packed-threshold",
    "protocol",
    "jmap",
    "change-repl-id",
    "stringmatch-len",
    "set-skip-checksum-validation",
    "aof-flush-sleep",
    "replicate",
    "mallctl",
    "mallctl-str",
    "client-eviction",
    "pause-cron",
    "replybuffer",
    "dict-resizing",
    "stringmatch-test",
    "set-disable-deny-scripts",
    "config-rewrite-force-all",
    "script",
];

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = env;
    use ServerCommand as S;
    let cmd = match name {
        "info" => {
            S::Info { sections: a.rest().iter().map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).collect() }
        }
        "time" => S::Time,
        "lastsave" => S::LastSave,
        "role" => S::Role,
        "monitor" => S::Monitor,
        "command" => S::Introspect { args: a.rest().to_vec() },
        "config|get" => S::ConfigGet { patterns: a.rest().to_vec() },
        "config|set" => {
            let rest = a.rest();
            if !rest.len().is_multiple_of(2) {
                return Err(errors::SYNTAX);
            }
            S::ConfigSet { pairs: rest.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect() }
        }
        "config|resetstat" => S::ConfigResetStat,
        "config|rewrite" => S::ConfigRewrite,
        "slowlog|get" => {
            let count = match a.remaining() {
                0 => 10,
                1 => match parse_i64(&a.next()?) {
                    Ok(n) if n >= -1 => n,
                    _ => return Err(errors::SLOWLOG_COUNT),
                },
                _ => return Err(errors::subcommand_syntax("slowlog", b"GET")),
            };
            S::SlowlogGet { count }
        }
        "slowlog|len" => S::SlowlogLen,
        "slowlog|reset" => S::SlowlogReset,
        "debug" => return parse_debug(a),
        "shutdown" => S::Shutdown(parse_shutdown(a)?),
        "save" => S::Save,
        "bgsave" => {
            let schedule = match a.rest() {
                [] => false,
                [w] if w.eq_ignore_ascii_case(b"schedule") => true,
                _ => return Err(errors::SYNTAX),
            };
            S::Bgsave { schedule }
        }
        "bgrewriteaof" => S::Bgrewriteaof,
        _ => match name.strip_prefix("command|") {
            Some(sub) => {
                let mut args = vec![Bytes::copy_from_slice(sub.as_bytes())];
                args.extend_from_slice(a.rest());
                S::Introspect { args }
            }
            None => return Ok(None),
        },
    };
    Ok(Some(Command::Server(cmd)))
}

/// DEBUG is a plain command (not a container) whose first argument picks what
/// to do; wrong argument counts get the container-style error.
fn parse_debug(a: &mut Args) -> RedisResult<Option<Command>> {
    let sub = a.next()?;
    let lower = String::from_utf8_lossy(&sub).to_ascii_lowercase();
    let argc = a.remaining() + 2;
    let cmd = match (lower.as_str(), argc) {
        ("help", 2) => Command::Help { command: "debug" },
        ("sleep", 3) => {
            let secs = strtod_prefix(&a.next()?);
            let micros = secs * 1_000_000.0;
            // Negative or NaN durations do not sleep, as nanosleep refuses them.
            let micros = if micros.is_nan() || micros <= 0.0 { 0 } else { micros.min(u64::MAX as f64) as u64 };
            Command::Server(ServerCommand::DebugSleep { micros })
        }
        ("set-active-expire", 3) => {
            Command::Server(ServerCommand::DebugSetActiveExpire { enabled: atoi_prefix(&a.next()?) != 0 })
        }
        ("digest", 2) => Command::DebugDigest,
        ("populate", 3..=5) => {
            let count = positive(&a.next()?)?;
            let prefix = if a.remaining() > 0 { Some(a.next()?) } else { None };
            // Redis treats a size of 0 as no size.
            let size = if a.remaining() > 0 { Some(positive(&a.next()?)?).filter(|&n| n > 0) } else { None };
            Command::Server(ServerCommand::DebugPopulate { count, prefix, size })
        }
        ("reload", 2) => Command::Server(ServerCommand::DebugReload),
        // RELOAD's options (NOSAVE, NOFLUSH, MERGE) are not implemented.
        ("reload", _) => return Err(errors::not_implemented("debug reload with options")),
        ("digest-value", _) => Command::DebugDigestValue { keys: a.rest().to_vec() },
        (other, _) if DEBUG_UNIMPLEMENTED.contains(&other) => {
            return Err(errors::not_implemented(&format!("debug {other}")));
        }
        _ => return Err(errors::subcommand_syntax("debug", &sub)),
    };
    Ok(Some(cmd))
}

/// A count DEBUG takes: anything but a non-negative integer gets one error.
fn positive(word: &[u8]) -> RedisResult<u64> {
    match crate::num::parse_i64(word) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(errors::NOT_POSITIVE),
    }
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: flags may repeat; ABORT
/// stands alone and SAVE excludes NOSAVE.
fn parse_shutdown(a: &mut Args) -> RedisResult<ShutdownArgs> {
    let mut s = ShutdownArgs::default();
    let (mut save, mut nosave) = (false, false);
    while let Some(opt) = a.next_opt() {
        match String::from_utf8_lossy(&opt).to_ascii_uppercase().as_str() {
            "NOSAVE" => nosave = true,
            "SAVE" => save = true,
            "NOW" => s.now = true,
            "FORCE" => s.force = true,
            "ABORT" => s.abort = true,
            _ => return Err(errors::SYNTAX),
        }
    }
    let flagged = save || nosave || s.now || s.force;
    if (s.abort && flagged) || (save && nosave) {
        return Err(errors::SYNTAX);
    }
    s.save = if save {
        Some(true)
    } else if nosave {
        Some(false)
    } else {
        None
    };
    Ok(s)
}

/// C's `strtod` on a NUL-free string: the longest prefix that is a number, 0
/// when there is none (DEBUG SLEEP accepts anything).
fn strtod_prefix(b: &[u8]) -> f64 {
    // No number needs more than a few hundred characters; bounding the
    // prefix keeps this linear whatever the argument's size.
    let s = String::from_utf8_lossy(&b[..b.len().min(400)]);
    let s = s.trim_start();
    (1..=s.len())
        .rev()
        .filter(|&end| s.is_char_boundary(end))
        .find_map(|end| s[..end].parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// C's `atoi`: optional sign and leading digits, 0 when there are none.
fn atoi_prefix(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n: i64 = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, d| acc.wrapping_mul(10).wrapping_add(i64::from(d - b'0')));
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command, String> {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        Command::from_argv(&argv, &ParseEnv::default()).map_err(|e| e.text().to_string())
    }

    fn server(words: &[&str]) -> ServerCommand {
        match parse_words(words) {
            Ok(Command::Server(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_subcommands() {
        assert_eq!(server(&["debug", "sleep", "0.5"]), ServerCommand::DebugSleep { micros: 500_000 });
        assert_eq!(server(&["debug", "sleep", "abc"]), ServerCommand::DebugSleep { micros: 0 });
        assert_eq!(server(&["debug", "sleep", "-1"]), ServerCommand::DebugSleep { micros: 0 });
        assert_eq!(server(&["debug", "sleep", "2x"]), ServerCommand::DebugSleep { micros: 2_000_000 });
        assert_eq!(
            server(&["DEBUG", "set-active-expire", "abc"]),
            ServerCommand::DebugSetActiveExpire { enabled: false }
        );
        assert_eq!(server(&["DEBUG", "set-active-expire", "5"]), ServerCommand::DebugSetActiveExpire { enabled: true });
        assert_eq!(parse_words(&["debug", "digest"]).unwrap(), Command::DebugDigest);
        assert_eq!(
            parse_words(&["debug", "digest-value", "a"]).unwrap(),
            Command::DebugDigestValue { keys: vec![Bytes::from("a")] }
        );
        assert_eq!(parse_words(&["debug", "help"]).unwrap(), Command::Help { command: "debug" });
        assert_eq!(
            parse_words(&["debug", "Foo"]).unwrap_err(),
            "ERR unknown subcommand or wrong number of arguments for 'Foo'. Try DEBUG HELP."
        );
        assert_eq!(
            parse_words(&["debug", "sleep"]).unwrap_err(),
            "ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP."
        );
        assert_eq!(server(&["debug", "reload"]), ServerCommand::DebugReload);
        assert_eq!(
            server(&["debug", "populate", "3"]),
            ServerCommand::DebugPopulate { count: 3, prefix: None, size: None }
        );
        assert_eq!(
            server(&["debug", "POPULATE", "0", "p", "0"]),
            ServerCommand::DebugPopulate { count: 0, prefix: Some(Bytes::from_static(b"p")), size: None }
        );
        for bad in
            [&["debug", "populate", "abc"][..], &["debug", "populate", "-1"], &["debug", "populate", "1", "p", "-5"]]
        {
            assert_eq!(parse_words(bad).unwrap_err(), "ERR value is out of range, must be positive");
        }
        for bad in [&["debug", "populate"][..], &["debug", "populate", "1", "p", "2", "x"]] {
            assert!(parse_words(bad).unwrap_err().contains("wrong number of arguments for 'populate'"), "{bad:?}");
        }
        assert!(parse_words(&["debug", "reload", "nosave"]).unwrap_err().contains("not implemented"));
        assert!(parse_words(&["debug", "loadaof"]).unwrap_err().contains("not implemented"));
    }

    #[test]
    fn slowlog_and_config() {
        assert_eq!(server(&["slowlog", "get"]), ServerCommand::SlowlogGet { count: 10 });
        assert_eq!(server(&["slowlog", "get", "-1"]), ServerCommand::SlowlogGet { count: -1 });
        assert_eq!(parse_words(&["slowlog", "get", "-2"]).unwrap_err(), errors::SLOWLOG_COUNT.text());
        assert_eq!(parse_words(&["slowlog", "get", "x"]).unwrap_err(), errors::SLOWLOG_COUNT.text());
        assert_eq!(
            parse_words(&["slowlog", "get", "1", "2"]).unwrap_err(),
            "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."
        );
        assert_eq!(parse_words(&["config", "set", "hz", "1", "2"]).unwrap_err(), "ERR syntax error");
        assert_eq!(
            server(&["config", "set", "hz", "1", "maxmemory", "2"]),
            ServerCommand::ConfigSet {
                pairs: vec![(Bytes::from("hz"), Bytes::from("1")), (Bytes::from("maxmemory"), Bytes::from("2"))]
            }
        );
        assert_eq!(
            server(&["command", "docs", "get"]),
            ServerCommand::Introspect { args: vec![Bytes::from("docs"), Bytes::from("get")] }
        );
        assert_eq!(server(&["command"]), ServerCommand::Introspect { args: vec![] });
        assert_eq!(
            server(&["INFO", "Server", "CPU"]),
            ServerCommand::Info { sections: vec!["server".into(), "cpu".into()] }
        );
    }

    #[test]
    fn save_commands() {
        assert_eq!(server(&["save"]), ServerCommand::Save);
        assert_eq!(server(&["bgsave"]), ServerCommand::Bgsave { schedule: false });
        assert_eq!(server(&["BGSAVE", "Schedule"]), ServerCommand::Bgsave { schedule: true });
        assert_eq!(parse_words(&["bgsave", "now"]).unwrap_err(), "ERR syntax error");
        assert_eq!(parse_words(&["bgsave", "schedule", "x"]).unwrap_err(), "ERR syntax error");
        assert_eq!(server(&["bgrewriteaof"]), ServerCommand::Bgrewriteaof);
    }

    #[test]
    fn shutdown_flags() {
        assert_eq!(parse_words(&["shutdown", "foo"]).unwrap_err(), "ERR syntax error");
        assert_eq!(parse_words(&["shutdown", "abort", "now"]).unwrap_err(), "ERR syntax error");
        assert_eq!(parse_words(&["shutdown", "save", "nosave"]).unwrap_err(), "ERR syntax error");
        assert_eq!(
            server(&["shutdown", "now", "NOW", "nosave"]),
            ServerCommand::Shutdown(ShutdownArgs { save: Some(false), now: true, force: false, abort: false })
        );
    }
}
