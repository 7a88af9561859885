//! Parsing of the connection group (PING, HELLO, AUTH, CLIENT ...) and of the
//! transaction commands, which the node core executes.
//!
//! What can be checked from the arguments alone is checked here, in Redis's
//! order. Checks that need the client's state (whether it is authenticated, the
//! password) stay with the node: HELLO validates its SETNAME only after AUTH,
//! so its name is kept raw.

use bytes::Bytes;

use super::{parse_i64, Args, Command, ParseEnv};
use crate::errors::{self, RedisResult};

/// A connection or transaction command.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectionCommand {
    Ping {
        message: Option<Bytes>,
    },
    Echo {
        message: Bytes,
    },
    /// `protover` is None when HELLO was sent without one (the protocol stays).
    Hello {
        protover: Option<u8>,
        auth: Option<(Bytes, Bytes)>,
        setname: Option<Bytes>,
    },
    /// `user` is None for the one-argument form (the default user).
    Auth {
        user: Option<Bytes>,
        password: Bytes,
    },
    Select {
        db: usize,
    },
    Quit,
    Reset,
    Client(ClientCommand),
    Multi,
    Exec,
    Discard,
    Watch {
        keys: Vec<Bytes>,
    },
    Unwatch,
}

/// A CLIENT subcommand.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientCommand {
    Id,
    Info,
    GetName,
    /// Already validated: an empty name clears it.
    SetName(Bytes),
    List(ClientListFilter),
    Kill(KillFilter),
    Reply(ReplyMode),
    NoEvict(bool),
    /// `timeout_ms` from now; `all` is false for WRITE.
    Pause {
        timeout_ms: i64,
        all: bool,
    },
    Unpause,
    /// `error` is true for the ERROR reason.
    Unblock {
        id: i64,
        error: bool,
    },
    GetRedir,
    TrackingInfo,
    /// CLIENT CACHING yes|no: always refused, since tracking is never on.
    Caching,
}

/// The kinds of client CLIENT LIST / CLIENT KILL can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

impl ClientType {
    /// Redis accepts `slave` as well as `replica`, in any case.
    pub fn from_name(name: &[u8]) -> Option<ClientType> {
        let n = name.to_ascii_lowercase();
        match n.as_slice() {
            b"normal" => Some(ClientType::Normal),
            b"slave" | b"replica" => Some(ClientType::Replica),
            b"pubsub" => Some(ClientType::PubSub),
            b"master" => Some(ClientType::Master),
            _ => None,
        }
    }
}

/// CLIENT LIST's one optional filter.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientListFilter {
    All,
    Type(ClientType),
    /// The IDs in the order given; unknown ones are skipped.
    Ids(Vec<i64>),
}

/// CLIENT KILL's filters. The old form (`CLIENT KILL addr`) is `old_form` with
/// only `addr` set; it may kill the caller and replies +OK or an error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KillFilter {
    pub old_form: bool,
    pub id: Option<i64>,
    pub client_type: Option<ClientType>,
    pub addr: Option<Bytes>,
    pub laddr: Option<Bytes>,
    /// Only the default user exists, so a USER filter names it (or was refused).
    pub user: Option<Bytes>,
    pub skipme: bool,
}

/// CLIENT REPLY's modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    Skip,
}

/// Whether `name` may be a client name: printable ASCII without spaces, since
/// CLIENT LIST prints names unquoted on one line.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    use ConnectionCommand as C;
    let cmd = match name {
        "ping" => match a.remaining() {
            0 => C::Ping { message: None },
            1 => C::Ping { message: Some(a.next()?) },
            _ => return Err(errors::wrong_arity("ping")),
        },
        "echo" => C::Echo { message: a.next()? },
        "hello" => parse_hello(a)?,
        "auth" => match a.remaining() {
            1 => C::Auth { user: None, password: a.next()? },
            2 => C::Auth { user: Some(a.next()?), password: a.next()? },
            _ => return Err(errors::SYNTAX),
        },
        "select" => {
            let arg = a.next()?;
            let id = parse_i64(&arg)?;
            let id = i32::try_from(id).map_err(|_| errors::INT_OUT_OF_RANGE)?;
            if env.cluster_enabled && id != 0 {
                return Err(errors::SELECT_IN_CLUSTER);
            }
            C::Select { db: env.check_db(i64::from(id))? }
        }
        "quit" => C::Quit,
        "reset" => C::Reset,
        _ => match name.strip_prefix("client|") {
            Some(sub) => C::Client(parse_client(sub, a)?),
            None => match parse_transaction(name, a) {
                Some(c) => c,
                None => return Ok(None),
            },
        },
    };
    Ok(Some(Command::Connection(cmd)))
}

/// MULTI, EXEC, DISCARD, WATCH and UNWATCH (the `transactions` group). Their
/// arity is checked by the table and they take no options.
fn parse_transaction(name: &str, a: &mut Args) -> Option<ConnectionCommand> {
    use ConnectionCommand as C;
    Some(match name {
        "multi" => C::Multi,
        "exec" => C::Exec,
        "discard" => C::Discard,
        "watch" => C::Watch { keys: a.rest().to_vec() },
        "unwatch" => C::Unwatch,
        _ => return None,
    })
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]: the version is checked
/// first, then the options from left to right.
fn parse_hello(a: &mut Args) -> RedisResult<ConnectionCommand> {
    let mut protover = None;
    if let Some(v) = a.next_opt() {
        let v = parse_i64(&v).map_err(|_| errors::HELLO_PROTOVER_NOT_INTEGER)?;
        if !(2..=3).contains(&v) {
            return Err(errors::NOPROTO);
        }
        protover = Some(v as u8);
    }
    let (mut auth, mut setname) = (None, None);
    while let Some(opt) = a.next_opt() {
        if opt.eq_ignore_ascii_case(b"AUTH") && a.remaining() >= 2 {
            auth = Some((a.next()?, a.next()?));
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && a.remaining() >= 1 {
            setname = Some(a.next()?);
        } else {
            return Err(errors::hello_option(&opt));
        }
    }
    Ok(ConnectionCommand::Hello { protover, auth, setname })
}

fn parse_client(sub: &str, a: &mut Args) -> RedisResult<ClientCommand> {
    use ClientCommand as C;
    let argc = a.remaining() + 2;
    let bad = |sub: &str| errors::subcommand_syntax("client", sub.to_ascii_uppercase().as_bytes());
    Ok(match sub {
        "id" => C::Id,
        "info" => C::Info,
        "getname" => C::GetName,
        "getredir" => C::GetRedir,
        "trackinginfo" => C::TrackingInfo,
        "unpause" => C::Unpause,
        "setname" => {
            let name = a.next()?;
            if !valid_client_name(&name) {
                return Err(errors::BAD_CLIENT_NAME);
            }
            C::SetName(name)
        }
        "list" => C::List(parse_list(a, argc)?),
        "kill" => C::Kill(parse_kill(a, argc)?),
        "reply" => {
            let mode = a.next()?;
            C::Reply(match token_of(&mode).as_str() {
                "ON" => ReplyMode::On,
                "OFF" => ReplyMode::Off,
                "SKIP" => ReplyMode::Skip,
                _ => return Err(errors::SYNTAX),
            })
        }
        "no-evict" => {
            let v = a.next()?;
            match token_of(&v).as_str() {
                "ON" => C::NoEvict(true),
                "OFF" => C::NoEvict(false),
                _ => return Err(errors::SYNTAX),
            }
        }
        "pause" => {
            if argc > 4 {
                return Err(bad(sub));
            }
            let timeout = parse_i64(&a.next()?).map_err(|_| errors::TIMEOUT_NOT_INTEGER)?;
            let all = match a.next_opt() {
                None => true,
                Some(m) if m.eq_ignore_ascii_case(b"ALL") => true,
                Some(m) if m.eq_ignore_ascii_case(b"WRITE") => false,
                Some(_) => return Err(errors::PAUSE_MODE),
            };
            if timeout < 0 {
                return Err(errors::TIMEOUT_NEGATIVE);
            }
            C::Pause { timeout_ms: timeout, all }
        }
        "unblock" => {
            if argc > 4 {
                return Err(bad(sub));
            }
            let id = parse_i64(&a.next()?)?;
            let error = match a.next_opt() {
                None => false,
                Some(r) if r.eq_ignore_ascii_case(b"TIMEOUT") => false,
                Some(r) if r.eq_ignore_ascii_case(b"ERROR") => true,
                Some(_) => return Err(errors::UNBLOCK_REASON),
            };
            C::Unblock { id, error }
        }
        // Redis checks the tracking mode before the argument.
        "caching" => C::Caching,
        _ => return Err(errors::not_implemented(&format!("client|{sub}"))),
    })
}

fn token_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_uppercase()
}

/// CLIENT LIST [TYPE type | ID id [id ...]]: exactly one filter or none.
fn parse_list(a: &mut Args, argc: usize) -> RedisResult<ClientListFilter> {
    if argc == 2 {
        return Ok(ClientListFilter::All);
    }
    let opt = a.next()?;
    if argc == 4 && opt.eq_ignore_ascii_case(b"TYPE") {
        let name = a.next()?;
        let t = ClientType::from_name(&name).ok_or_else(|| errors::unknown_client_type(&name))?;
        return Ok(ClientListFilter::Type(t));
    }
    if argc > 3 && opt.eq_ignore_ascii_case(b"ID") {
        let ids = a
            .rest()
            .iter()
            .map(|id| parse_i64(id).map_err(|_| errors::INVALID_CLIENT_ID))
            .collect::<RedisResult<Vec<i64>>>()?;
        return Ok(ClientListFilter::Ids(ids));
    }
    Err(errors::SYNTAX)
}

/// CLIENT KILL addr | CLIENT KILL <filter value> ...: options are checked one
/// pair at a time and the first bad one is reported.
fn parse_kill(a: &mut Args, argc: usize) -> RedisResult<KillFilter> {
    if argc == 3 {
        return Ok(KillFilter { old_form: true, addr: Some(a.next()?), ..KillFilter::default() });
    }
    let mut f = KillFilter { skipme: true, ..KillFilter::default() };
    while let Some(opt) = a.next_opt() {
        let Some(value) = a.next_opt() else {
            return Err(errors::SYNTAX);
        };
        match token_of(&opt).as_str() {
            "ID" => match parse_i64(&value) {
                Ok(id) if id >= 1 => f.id = Some(id),
                _ => return Err(errors::CLIENT_ID_NOT_POSITIVE),
            },
            "TYPE" => {
                let t = ClientType::from_name(&value).ok_or_else(|| errors::unknown_client_type(&value))?;
                f.client_type = Some(t);
            }
            "ADDR" => f.addr = Some(value),
            "LADDR" => f.laddr = Some(value),
            "USER" => {
                if value.as_ref() != b"default" {
                    return Err(errors::no_such_user(&value));
                }
                f.user = Some(value);
            }
            "SKIPME" => match token_of(&value).as_str() {
                "YES" => f.skipme = true,
                "NO" => f.skipme = false,
                _ => return Err(errors::SYNTAX),
            },
            _ => return Err(errors::SYNTAX),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command, String> {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        Command::from_argv(&argv, &ParseEnv::default()).map_err(|e| e.text().to_string())
    }

    fn client(words: &[&str]) -> Result<ClientCommand, String> {
        match parse_words(words)? {
            Command::Connection(ConnectionCommand::Client(c)) => Ok(c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hello_checks_version_then_options() {
        assert_eq!(parse_words(&["hello", "4"]).unwrap_err(), "NOPROTO unsupported protocol version");
        assert_eq!(parse_words(&["hello", "x"]).unwrap_err(), "ERR Protocol version is not an integer or out of range");
        assert_eq!(
            parse_words(&["hello", "2", "setname", "a", "b"]).unwrap_err(),
            "ERR Syntax error in HELLO option 'b'"
        );
        assert_eq!(parse_words(&["hello", "3", "AUTH", "u"]).unwrap_err(), "ERR Syntax error in HELLO option 'AUTH'");
        let Command::Connection(ConnectionCommand::Hello { protover, auth, setname }) =
            parse_words(&["HELLO", "3", "auth", "u", "p", "SETNAME", "n"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(protover, Some(3));
        assert_eq!(auth, Some((Bytes::from("u"), Bytes::from("p"))));
        assert_eq!(setname, Some(Bytes::from("n")));
    }

    #[test]
    fn select_errors_match_redis() {
        assert_eq!(parse_words(&["select", "abc"]).unwrap_err(), errors::NOT_INTEGER.text());
        assert_eq!(parse_words(&["select", "99999999999"]).unwrap_err(), errors::INT_OUT_OF_RANGE.text());
        assert_eq!(parse_words(&["select", "16"]).unwrap_err(), "ERR DB index is out of range");
        assert_eq!(parse_words(&["select", "-1"]).unwrap_err(), "ERR DB index is out of range");
        assert_eq!(parse_words(&["select", "3"]).unwrap(), Command::Connection(ConnectionCommand::Select { db: 3 }));
    }

    #[test]
    fn ping_and_auth_argument_counts() {
        assert_eq!(parse_words(&["ping", "a", "b"]).unwrap_err(), "ERR wrong number of arguments for 'ping' command");
        assert_eq!(parse_words(&["auth", "a", "b", "c"]).unwrap_err(), "ERR syntax error");
    }

    #[test]
    fn client_kill_filters() {
        assert_eq!(client(&["client", "kill", "ID", "abc"]).unwrap_err(), "ERR client-id should be greater than 0");
        assert_eq!(client(&["client", "kill", "TYPE", "foo"]).unwrap_err(), "ERR Unknown client type 'foo'");
        assert_eq!(client(&["client", "kill", "USER", "bob"]).unwrap_err(), "ERR No such user 'bob'");
        assert_eq!(client(&["client", "kill", "ID", "1", "TYPE"]).unwrap_err(), "ERR syntax error");
        assert_eq!(client(&["client", "kill", "skipme", "maybe", "id"]).unwrap_err(), "ERR syntax error");
        let ClientCommand::Kill(f) = client(&["client", "kill", "1.2.3.4:5"]).unwrap() else { panic!() };
        assert!(f.old_form && !f.skipme);
        let ClientCommand::Kill(f) = client(&["client", "kill", "id", "7", "skipme", "NO"]).unwrap() else { panic!() };
        assert_eq!((f.id, f.skipme, f.old_form), (Some(7), false, false));
    }

    #[test]
    fn client_list_and_misc() {
        assert_eq!(client(&["client", "list", "TYPE", "normal", "ID", "1"]).unwrap_err(), "ERR syntax error");
        assert_eq!(client(&["client", "list", "id", "x"]).unwrap_err(), "ERR Invalid client ID");
        assert_eq!(
            client(&["client", "list", "id", "3", "1"]).unwrap(),
            ClientCommand::List(ClientListFilter::Ids(vec![3, 1]))
        );
        assert_eq!(client(&["client", "setname", "a b"]).unwrap_err(), errors::BAD_CLIENT_NAME.text());
        assert_eq!(client(&["client", "setname", ""]).unwrap(), ClientCommand::SetName(Bytes::new()));
        assert_eq!(client(&["client", "reply", "maybe"]).unwrap_err(), "ERR syntax error");
        assert_eq!(client(&["client", "pause", "x"]).unwrap_err(), "ERR timeout is not an integer or out of range");
        assert_eq!(
            client(&["client", "pause", "10", "foo"]).unwrap_err(),
            "ERR CLIENT PAUSE mode must be WRITE or ALL"
        );
        assert_eq!(client(&["client", "pause", "-1"]).unwrap_err(), "ERR timeout is negative");
        assert_eq!(
            client(&["client", "pause", "10", "ALL", "x"]).unwrap_err(),
            "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."
        );
        assert_eq!(client(&["client", "unblock", "1", "x"]).unwrap_err(), errors::UNBLOCK_REASON.text());
    }
}
