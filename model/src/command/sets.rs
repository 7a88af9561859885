//! Parsing of the sets group.
//!
//! Only what Redis checks before it looks at a key happens here: SPOP's and
//! SRANDMEMBER's counts, SINTERCARD's numkeys and LIMIT, SSCAN's cursor.
//! SSCAN's options are read by Redis after the key lookup (a missing key
//! answers an empty scan whatever the options), so they stay raw.

use bytes::Bytes;

use super::{parse_i64, syntax, Args, Command, ParseEnv};
use crate::errors::{self, RedisError, RedisResult};
use crate::num;

// ---- error texts of the sets group ----
// (Kept here rather than in errors.rs, which other groups edit concurrently;
// the lead may move them.)

/// SPOP's count (Redis's getPositiveLongFromObjectOrReply without a message):
/// also the reply for a count that is not an integer at all.
pub const COUNT_NOT_POSITIVE: RedisError = errors::NOT_POSITIVE;
/// SRANDMEMBER's count must be in -LONG_MAX..=LONG_MAX (so its negation fits).
pub const RANDMEMBER_COUNT_RANGE: RedisError =
    RedisError::fixed("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
/// SINTERCARD's numkeys, also when it is not an integer.
pub const NUMKEYS_NOT_POSITIVE: RedisError = RedisError::fixed("ERR numkeys should be greater than 0");
pub const NUMKEYS_TOO_MANY: RedisError = RedisError::fixed("ERR Number of keys can't be greater than number of args");
/// SINTERCARD's LIMIT, also when it is not an integer.
pub const LIMIT_NEGATIVE: RedisError = RedisError::fixed("ERR LIMIT can't be negative");

/// Which combination SINTER/SUNION/SDIFF (and their STORE forms) compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Inter,
    Union,
    Diff,
}

/// A command of the sets group.
#[derive(Clone, Debug, PartialEq)]
pub enum SetCommand {
    Add {
        key: Bytes,
        members: Vec<Bytes>,
    },
    Card {
        key: Bytes,
    },
    /// SINTER, SUNION, SDIFF; with `store`, SINTERSTORE, SUNIONSTORE, SDIFFSTORE.
    Combine {
        op: SetOp,
        keys: Vec<Bytes>,
        store: Option<Bytes>,
    },
    /// SINTERCARD; `limit` 0 means no limit.
    InterCard {
        keys: Vec<Bytes>,
        limit: u64,
    },
    IsMember {
        key: Bytes,
        member: Bytes,
    },
    Members {
        key: Bytes,
    },
    MIsMember {
        key: Bytes,
        members: Vec<Bytes>,
    },
    Move {
        source: Bytes,
        destination: Bytes,
        member: Bytes,
    },
    /// SPOP; `count` None is the one-member form (a bulk reply, not a set).
    Pop {
        key: Bytes,
        count: Option<u64>,
    },
    /// SRANDMEMBER; a negative count allows repeats.
    RandMember {
        key: Bytes,
        count: Option<i64>,
    },
    Rem {
        key: Bytes,
        members: Vec<Bytes>,
    },
    /// SSCAN; `options` are validated by the engine after the key lookup.
    Scan {
        key: Bytes,
        cursor: u64,
        options: Vec<Bytes>,
    },
}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = env;
    let combine = |a: &mut Args, op: SetOp, store: bool| -> RedisResult<SetCommand> {
        let store = if store { Some(a.next()?) } else { None };
        Ok(SetCommand::Combine { op, keys: a.rest().to_vec(), store })
    };
    let cmd = match name {
        "sadd" => SetCommand::Add { key: a.next()?, members: a.rest().to_vec() },
        "scard" => SetCommand::Card { key: a.next()? },
        "sdiff" => combine(a, SetOp::Diff, false)?,
        "sdiffstore" => combine(a, SetOp::Diff, true)?,
        "sinter" => combine(a, SetOp::Inter, false)?,
        "sinterstore" => combine(a, SetOp::Inter, true)?,
        "sunion" => combine(a, SetOp::Union, false)?,
        "sunionstore" => combine(a, SetOp::Union, true)?,
        "sintercard" => parse_intercard(a)?,
        "sismember" => SetCommand::IsMember { key: a.next()?, member: a.next()? },
        "smembers" => SetCommand::Members { key: a.next()? },
        "smismember" => SetCommand::MIsMember { key: a.next()?, members: a.rest().to_vec() },
        "smove" => SetCommand::Move { source: a.next()?, destination: a.next()?, member: a.next()? },
        "spop" => {
            let key = a.next()?;
            let count = match a.rest() {
                [] => None,
                [count] => Some(parse_positive(count, COUNT_NOT_POSITIVE)?),
                _ => return syntax(),
            };
            SetCommand::Pop { key, count }
        }
        "srandmember" => {
            let key = a.next()?;
            let count = match a.rest() {
                [] => None,
                [count] => {
                    let n = parse_i64(count)?;
                    // The negation of a negative count must fit, so i64::MIN is refused.
                    if n == i64::MIN {
                        return Err(RANDMEMBER_COUNT_RANGE);
                    }
                    Some(n)
                }
                _ => return syntax(),
            };
            SetCommand::RandMember { key, count }
        }
        "srem" => SetCommand::Rem { key: a.next()?, members: a.rest().to_vec() },
        "sscan" => {
            let key = a.next()?;
            let cursor = num::parse_scan_cursor(&a.next()?).ok_or(errors::INVALID_CURSOR)?;
            SetCommand::Scan { key, cursor, options: a.rest().to_vec() }
        }
        _ => return Ok(None),
    };
    Ok(Some(Command::Sets(cmd)))
}

/// A count in 0..=i64::MAX; anything else, non-integers included, is `err`
/// (Redis's getPositiveLongFromObjectOrReply).
fn parse_positive(arg: &[u8], err: RedisError) -> RedisResult<u64> {
    match num::parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(err),
    }
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: numkeys first, then that
/// it does not exceed the arguments, then the options left to right.
fn parse_intercard(a: &mut Args) -> RedisResult<SetCommand> {
    let numkeys = match num::parse_i64(&a.next()?) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(NUMKEYS_NOT_POSITIVE),
    };
    if numkeys > a.remaining() as u64 {
        return Err(NUMKEYS_TOO_MANY);
    }
    let rest = a.rest();
    let (keys, options) = rest.split_at(numkeys as usize);
    let mut limit = 0;
    let mut opts = Args::new(options);
    while let Some(opt) = opts.next_opt() {
        if opt.eq_ignore_ascii_case(b"LIMIT") && !opts.is_empty() {
            limit = parse_positive(&opts.next()?, LIMIT_NEGATIVE)?;
        } else {
            return syntax();
        }
    }
    Ok(SetCommand::InterCard { keys: keys.to_vec(), limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> RedisResult<Command> {
        let argv: Vec<Bytes> = line.split(' ').map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
        Command::from_argv(&argv, &ParseEnv::default())
    }

    fn set_cmd(line: &str) -> SetCommand {
        match parse_line(line) {
            Ok(Command::Sets(c)) => c,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn spop_count_errors_come_before_the_key() {
        assert_eq!(parse_line("SPOP k -1"), Err(COUNT_NOT_POSITIVE));
        assert_eq!(parse_line("SPOP k abc"), Err(COUNT_NOT_POSITIVE));
        assert_eq!(parse_line("SPOP k 1 2"), Err(errors::SYNTAX));
        assert_eq!(set_cmd("SPOP k 0"), SetCommand::Pop { key: "k".into(), count: Some(0) });
        assert_eq!(set_cmd("SPOP k"), SetCommand::Pop { key: "k".into(), count: None });
    }

    #[test]
    fn srandmember_count_range() {
        assert_eq!(parse_line("SRANDMEMBER k -9223372036854775808"), Err(RANDMEMBER_COUNT_RANGE));
        assert_eq!(parse_line("SRANDMEMBER k 9223372036854775808"), Err(errors::NOT_INTEGER));
        assert_eq!(
            set_cmd("SRANDMEMBER k -9223372036854775807"),
            SetCommand::RandMember { key: "k".into(), count: Some(-i64::MAX) }
        );
        assert_eq!(parse_line("SRANDMEMBER k 1 2"), Err(errors::SYNTAX));
    }

    #[test]
    fn sintercard_checks_in_redis_order() {
        assert_eq!(parse_line("SINTERCARD 0 a"), Err(NUMKEYS_NOT_POSITIVE));
        assert_eq!(parse_line("SINTERCARD x a"), Err(NUMKEYS_NOT_POSITIVE));
        assert_eq!(parse_line("SINTERCARD 3 a b"), Err(NUMKEYS_TOO_MANY));
        assert_eq!(parse_line("SINTERCARD 1 a LIMIT -1"), Err(LIMIT_NEGATIVE));
        assert_eq!(parse_line("SINTERCARD 1 a LIMIT x"), Err(LIMIT_NEGATIVE));
        assert_eq!(parse_line("SINTERCARD 1 a LIMIT"), Err(errors::SYNTAX));
        assert_eq!(parse_line("SINTERCARD 1 a b"), Err(errors::SYNTAX));
        assert_eq!(
            set_cmd("SINTERCARD 2 a b LIMIT 3 limit 0"),
            SetCommand::InterCard { keys: vec!["a".into(), "b".into()], limit: 0 }
        );
    }

    #[test]
    fn sscan_reads_only_the_cursor_early() {
        assert_eq!(parse_line("SSCAN k x COUNT 0"), Err(errors::INVALID_CURSOR));
        assert_eq!(
            set_cmd("SSCAN k 0 COUNT 0"),
            SetCommand::Scan { key: "k".into(), cursor: 0, options: vec!["COUNT".into(), "0".into()] }
        );
    }

    #[test]
    fn store_forms_take_the_destination_first() {
        assert_eq!(
            set_cmd("SDIFFSTORE d a b"),
            SetCommand::Combine { op: SetOp::Diff, keys: vec!["a".into(), "b".into()], store: Some("d".into()) }
        );
        assert_eq!(set_cmd("SUNION a"), SetCommand::Combine { op: SetOp::Union, keys: vec!["a".into()], store: None });
    }
}
