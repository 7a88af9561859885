//! Parsing of the replication commands the node core executes: REPLICAOF
//! (and its old name SLAVEOF), REPLCONF, PSYNC, SYNC, WAIT and FAILOVER.
//!
//! Only the shape of the arguments is checked here; whether the command is
//! allowed now (a replica refusing WAIT, a master refusing FAILOVER without
//! replicas) is the node's business, since it depends on the server's role.

use bytes::Bytes;

use super::{parse_i64, Args};
use crate::errors::{self, RedisError, RedisResult};

/// A replication command, as parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplicationCommand {
    /// REPLICAOF host port, or NO ONE (`None`). The port is any long, as
    /// Redis takes it; a port no socket can use fails at connection time.
    ReplicaOf { master: Option<(String, i64)> },
    /// REPLCONF option value [option value ...], options lower-cased.
    ReplConf { options: Vec<(String, Bytes)> },
    /// PSYNC replid offset [FAILOVER]: FAILOVER is a master handing over
    /// to this replica (see FAILOVER).
    Psync { replid: Bytes, offset: i64, failover: bool },
    /// SYNC: the pre-2.8 full synchronization.
    Sync,
    /// WAIT numreplicas timeout (milliseconds, 0 for ever).
    Wait { replicas: i64, timeout_ms: i64 },
    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
    Failover(FailoverArgs),
}

/// FAILOVER's options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailoverArgs {
    pub to: Option<(String, i64)>,
    pub force: bool,
    pub abort: bool,
    /// Milliseconds; `None` waits for ever.
    pub timeout_ms: Option<i64>,
}

/// The replication command `name` names, or `None` for any other command.
pub(super) fn parse(name: &str, a: &mut Args) -> RedisResult<Option<ReplicationCommand>> {
    use ReplicationCommand as R;
    let cmd = match name {
        "replicaof" | "slaveof" => {
            let host = a.next()?;
            let port = a.next()?;
            if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
                R::ReplicaOf { master: None }
            } else {
                let port = parse_i64(&port)?;
                R::ReplicaOf { master: Some((String::from_utf8_lossy(&host).into_owned(), port)) }
            }
        }
        "replconf" => {
            let rest = a.rest();
            if !rest.len().is_multiple_of(2) {
                return Err(errors::SYNTAX);
            }
            let options = rest.chunks(2).map(|p| (String::from_utf8_lossy(&p[0]).to_ascii_lowercase(), p[1].clone()));
            R::ReplConf { options: options.collect() }
        }
        "psync" => {
            let replid = a.next()?;
            // Redis reads the offset with getLongLongFromObjectOrReply.
            let offset = parse_i64(&a.next()?)?;
            let failover = a.next_opt().is_some_and(|w| w.eq_ignore_ascii_case(b"failover"));
            R::Psync { replid, offset, failover }
        }
        "sync" => R::Sync,
        "wait" => {
            let replicas = parse_i64(&a.next()?)?;
            let timeout_ms = parse_i64(&a.next()?).map_err(|_| errors::TIMEOUT_NOT_INTEGER)?;
            if timeout_ms < 0 {
                return Err(errors::TIMEOUT_NEGATIVE);
            }
            R::Wait { replicas, timeout_ms }
        }
        "failover" => R::Failover(parse_failover(a)?),
        _ => return Ok(None),
    };
    Ok(Some(cmd))
}

/// FAILOVER's options in any order, each at most once, as Redis reads
/// them; ABORT only alone. The checks that need the server's state (a
/// replica, no replicas, FORCE without TO and TIMEOUT) are the node's.
fn parse_failover(a: &mut Args) -> RedisResult<FailoverArgs> {
    let mut f = FailoverArgs::default();
    if a.remaining() == 1 && a.peek().is_some_and(|w| w.eq_ignore_ascii_case(b"abort")) {
        f.abort = true;
        return Ok(f);
    }
    while let Some(word) = a.next_opt() {
        let w = word.to_ascii_lowercase();
        match w.as_slice() {
            b"timeout" if a.remaining() >= 1 && f.timeout_ms.is_none() => {
                let ms = parse_i64(&a.next()?)?;
                if ms <= 0 {
                    return Err(RedisError::fixed("ERR FAILOVER timeout must be greater than 0"));
                }
                f.timeout_ms = Some(ms);
            }
            b"to" if a.remaining() >= 2 && f.to.is_none() => {
                let host = String::from_utf8_lossy(&a.next()?).into_owned();
                let port = parse_i64(&a.next()?)?;
                f.to = Some((host, port));
            }
            b"force" if !f.force => f.force = true,
            _ => return Err(errors::SYNTAX),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::server::ServerCommand;
    use crate::command::{Command, ParseEnv};

    fn parse(words: &[&str]) -> RedisResult<Command> {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        Command::from_argv(&argv, &ParseEnv::default())
    }

    fn repl(words: &[&str]) -> RedisResult<ReplicationCommand> {
        match parse(words)? {
            Command::Server(ServerCommand::Replication(r)) => Ok(r),
            other => panic!("{words:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn replicaof_takes_a_master_or_no_one() {
        assert_eq!(
            repl(&["REPLICAOF", "127.0.0.1", "6380"]).unwrap(),
            ReplicationCommand::ReplicaOf { master: Some(("127.0.0.1".into(), 6380)) }
        );
        assert_eq!(repl(&["slaveof", "NO", "one"]).unwrap(), ReplicationCommand::ReplicaOf { master: None });
        assert_eq!(repl(&["replicaof", "h", "x"]).unwrap_err().text(), "ERR value is not an integer or out of range");
        assert_eq!(
            parse(&["replicaof", "h"]).unwrap_err().text(),
            "ERR wrong number of arguments for 'replicaof' command"
        );
    }

    #[test]
    fn replconf_takes_pairs() {
        assert_eq!(
            repl(&["REPLCONF", "Listening-Port", "6380", "capa", "eof"]).unwrap(),
            ReplicationCommand::ReplConf {
                options: vec![("listening-port".into(), "6380".into()), ("capa".into(), "eof".into())]
            }
        );
        assert_eq!(repl(&["REPLCONF", "ack"]).unwrap_err().text(), "ERR syntax error");
    }

    #[test]
    fn wait_checks_its_numbers_as_redis() {
        assert_eq!(repl(&["WAIT", "1", "100"]).unwrap(), ReplicationCommand::Wait { replicas: 1, timeout_ms: 100 });
        assert_eq!(repl(&["WAIT", "x", "100"]).unwrap_err().text(), "ERR value is not an integer or out of range");
        assert_eq!(repl(&["WAIT", "1", "1.5"]).unwrap_err().text(), "ERR timeout is not an integer or out of range");
        assert_eq!(repl(&["WAIT", "1", "-1"]).unwrap_err().text(), "ERR timeout is negative");
    }

    #[test]
    fn psync_and_failover() {
        assert_eq!(
            repl(&["PSYNC", "?", "-1"]).unwrap(),
            ReplicationCommand::Psync { replid: "?".into(), offset: -1, failover: false }
        );
        assert_eq!(
            repl(&["PSYNC", "id", "5", "failover"]).unwrap(),
            ReplicationCommand::Psync { replid: "id".into(), offset: 5, failover: true }
        );
        assert_eq!(repl(&["SYNC"]).unwrap(), ReplicationCommand::Sync);
        assert_eq!(repl(&["FAILOVER"]).unwrap(), ReplicationCommand::Failover(FailoverArgs::default()));
        let f = repl(&["FAILOVER", "TO", "h", "1", "FORCE", "TIMEOUT", "50"]).unwrap();
        let want = FailoverArgs { to: Some(("h".into(), 1)), force: true, abort: false, timeout_ms: Some(50) };
        assert_eq!(f, ReplicationCommand::Failover(want));
        let abort = FailoverArgs { abort: true, ..FailoverArgs::default() };
        assert_eq!(repl(&["FAILOVER", "abort"]).unwrap(), ReplicationCommand::Failover(abort));
        assert_eq!(repl(&["FAILOVER", "ABORT", "TIMEOUT", "5"]).unwrap_err().text(), "ERR syntax error");
        assert_eq!(
            repl(&["FAILOVER", "TIMEOUT", "0"]).unwrap_err().text(),
            "ERR FAILOVER timeout must be greater than 0"
        );
        assert_eq!(repl(&["FAILOVER", "TO"]).unwrap_err().text(), "ERR syntax error");
    }
}
