//! Parsing of the lists group.
//!
//! As everywhere, only what Redis checks before it looks at the keyspace is
//! checked here: LINDEX's and LSET's index are read after the key lookup in
//! Redis (a missing key answers nil / "no such key" whatever the index), so
//! they stay raw until the engine runs.

use bytes::Bytes;

use super::timeout::parse_timeout;
use super::{syntax, Args, Command, ParseEnv};
use crate::errors::{self, RedisError, RedisResult};

// ---- errors of the lists group ----
pub const RANK_ZERO: RedisError = RedisError::fixed(
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
pub const COUNT_NEGATIVE: RedisError = RedisError::fixed("ERR COUNT can't be negative");
pub const MAXLEN_NEGATIVE: RedisError = RedisError::fixed("ERR MAXLEN can't be negative");
/// LPOP/RPOP's count (Redis's getPositiveLongFromObjectOrReply message).
pub const POP_COUNT_RANGE: RedisError = errors::NOT_POSITIVE;
pub const NUMKEYS_NOT_POSITIVE: RedisError = RedisError::fixed("ERR numkeys should be greater than 0");
pub const MPOP_COUNT_NOT_POSITIVE: RedisError = RedisError::fixed("ERR count should be greater than 0");

/// An end of a list: LEFT is the head, RIGHT the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl End {
    /// The pop command that removes from this end, as replicas receive it.
    pub fn pop_name(self) -> &'static [u8] {
        match self {
            End::Head => b"LPOP",
            End::Tail => b"RPOP",
        }
    }
}

/// A blocking form's wait: the parsed timeout in ms, `None` for "forever" (0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub timeout_ms: Option<u64>,
}

/// Which command a list move came from: it decides what replicas receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveForm {
    Lmove,
    RpopLpush,
}

/// A command of the lists group.
#[derive(Clone, Debug, PartialEq)]
pub enum ListCommand {
    /// LPUSH, RPUSH, and with `only_existing` LPUSHX, RPUSHX.
    Push {
        key: Bytes,
        end: End,
        elements: Vec<Bytes>,
        only_existing: bool,
    },
    /// LPOP and RPOP; `count` is None without the argument (the reply is then
    /// one element instead of an array).
    Pop {
        key: Bytes,
        end: End,
        count: Option<u64>,
    },
    /// BLPOP and BRPOP.
    BlockingPop {
        keys: Vec<Bytes>,
        end: End,
        block: Block,
    },
    /// LMPOP, and BLMPOP when `block` is set.
    MPop {
        keys: Vec<Bytes>,
        end: End,
        count: u64,
        block: Option<Block>,
    },
    /// LMOVE and RPOPLPUSH, and BLMOVE and BRPOPLPUSH when `block` is set.
    Move {
        source: Bytes,
        destination: Bytes,
        from: End,
        to: End,
        form: MoveForm,
        block: Option<Block>,
    },
    /// The index is read after the key lookup, as Redis does.
    Index {
        key: Bytes,
        index: Bytes,
    },
    Insert {
        key: Bytes,
        after: bool,
        pivot: Bytes,
        element: Bytes,
    },
    Len {
        key: Bytes,
    },
    Pos(PosArgs),
    Range {
        key: Bytes,
        start: i64,
        stop: i64,
    },
    Rem {
        key: Bytes,
        count: i64,
        element: Bytes,
    },
    /// The index is read after the key lookup, as Redis does.
    Set {
        key: Bytes,
        index: Bytes,
        element: Bytes,
    },
    Trim {
        key: Bytes,
        start: i64,
        stop: i64,
    },
}

/// LPOS's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosArgs {
    pub key: Bytes,
    pub element: Bytes,
    /// Never 0; negative searches from the tail. i64::MIN is kept as Redis
    /// keeps it (its negation overflows back to itself).
    pub rank: i64,
    /// COUNT: `Some(0)` means every match; given or not decides the reply's shape.
    pub count: Option<i64>,
    /// MAXLEN: 0 means no limit.
    pub maxlen: i64,
}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = env;
    let cmd = match name {
        "lpush" | "rpush" | "lpushx" | "rpushx" => ListCommand::Push {
            key: a.next()?,
            end: if name.starts_with('l') { End::Head } else { End::Tail },
            elements: a.rest().to_vec(),
            only_existing: name.ends_with('x'),
        },
        "lpop" | "rpop" => {
            // Redis refuses extra arguments before it reads the count.
            if a.remaining() > 2 {
                return Err(errors::wrong_arity(name));
            }
            let key = a.next()?;
            let count = match a.next_opt() {
                None => None,
                Some(c) => Some(non_negative(&c, POP_COUNT_RANGE)?),
            };
            let end = if name == "lpop" { End::Head } else { End::Tail };
            ListCommand::Pop { key, end, count }
        }
        "blpop" | "brpop" => {
            let rest = a.rest();
            let (timeout, keys) = rest.split_last().ok_or(errors::SYNTAX)?;
            let block = Block { timeout_ms: parse_timeout(timeout)? };
            let end = if name == "blpop" { End::Head } else { End::Tail };
            ListCommand::BlockingPop { keys: keys.to_vec(), end, block }
        }
        "lmpop" => parse_mpop(a, false)?,
        "blmpop" => {
            // BLMPOP reads numkeys, the keys and the options before its timeout.
            let timeout = a.next()?;
            let mut cmd = parse_mpop(a, true)?;
            if let ListCommand::MPop { block, .. } = &mut cmd {
                *block = Some(Block { timeout_ms: parse_timeout(&timeout)? });
            }
            cmd
        }
        "lmove" | "blmove" => {
            let source = a.next()?;
            let destination = a.next()?;
            let from = parse_end(&a.next()?)?;
            let to = parse_end(&a.next()?)?;
            let block = if name == "blmove" { Some(Block { timeout_ms: parse_timeout(&a.next()?)? }) } else { None };
            ListCommand::Move { source, destination, from, to, form: MoveForm::Lmove, block }
        }
        "rpoplpush" | "brpoplpush" => {
            let source = a.next()?;
            let destination = a.next()?;
            let block =
                if name == "brpoplpush" { Some(Block { timeout_ms: parse_timeout(&a.next()?)? }) } else { None };
            ListCommand::Move { source, destination, from: End::Tail, to: End::Head, form: MoveForm::RpopLpush, block }
        }
        "lindex" => ListCommand::Index { key: a.next()?, index: a.next()? },
        "linsert" => {
            let key = a.next()?;
            let after = match &a.next()?.to_ascii_uppercase()[..] {
                b"AFTER" => true,
                b"BEFORE" => false,
                _ => return syntax(),
            };
            ListCommand::Insert { key, after, pivot: a.next()?, element: a.next()? }
        }
        "llen" => ListCommand::Len { key: a.next()? },
        "lpos" => parse_lpos(a)?,
        "lrange" => {
            let key = a.next()?;
            ListCommand::Range { key, start: a.next_i64()?, stop: a.next_i64()? }
        }
        "lrem" => {
            let key = a.next()?;
            ListCommand::Rem { key, count: a.next_i64()?, element: a.next()? }
        }
        "lset" => ListCommand::Set { key: a.next()?, index: a.next()?, element: a.next()? },
        "ltrim" => {
            let key = a.next()?;
            ListCommand::Trim { key, start: a.next_i64()?, stop: a.next_i64()? }
        }
        _ => return Ok(None),
    };
    Ok(Some(Command::Lists(cmd)))
}

/// LEFT or RIGHT, any case.
fn parse_end(arg: &[u8]) -> RedisResult<End> {
    match &arg.to_ascii_uppercase()[..] {
        b"LEFT" => Ok(End::Head),
        b"RIGHT" => Ok(End::Tail),
        _ => syntax(),
    }
}

/// An integer that must be >= 0; anything else (not a number included) gets
/// the command's own message, as Redis's getPositiveLongFromObjectOrReply.
fn non_negative(arg: &[u8], err: RedisError) -> RedisResult<u64> {
    match crate::num::parse_i64(arg) {
        Some(v) if v >= 0 => Ok(v as u64),
        _ => Err(err),
    }
}

/// An integer that must be >= 1 (Redis's getRangeLong with 1..LONG_MAX).
fn positive(arg: &[u8], err: RedisError) -> RedisResult<u64> {
    match crate::num::parse_i64(arg) {
        Some(v) if v >= 1 => Ok(v as u64),
        _ => Err(err),
    }
}

/// `numkeys key... LEFT|RIGHT [COUNT count]`, in Redis's order; a COUNT given
/// twice is a syntax error.
fn parse_mpop(a: &mut Args, blocking: bool) -> RedisResult<ListCommand> {
    let numkeys = positive(&a.next()?, NUMKEYS_NOT_POSITIVE)?;
    // The keys must leave room for LEFT|RIGHT; checked before anything is
    // sized from numkeys.
    if numkeys >= a.remaining() as u64 {
        return syntax();
    }
    let keys: Vec<Bytes> = (0..numkeys).map(|_| a.next()).collect::<RedisResult<_>>()?;
    let end = parse_end(&a.next()?)?;
    let mut count = None;
    while let Some(opt) = a.next_opt() {
        if opt.eq_ignore_ascii_case(b"COUNT") && count.is_none() && !a.is_empty() {
            count = Some(positive(&a.next()?, MPOP_COUNT_NOT_POSITIVE)?);
        } else {
            return syntax();
        }
    }
    let block = if blocking { Some(Block { timeout_ms: None }) } else { None };
    Ok(ListCommand::MPop { keys, end, count: count.unwrap_or(1), block })
}

/// `key element [RANK rank] [COUNT num] [MAXLEN len]`, options in any order,
/// each checked as it is read; a repeated option takes its last value.
fn parse_lpos(a: &mut Args) -> RedisResult<ListCommand> {
    let key = a.next()?;
    let element = a.next()?;
    let (mut rank, mut count, mut maxlen) = (1, None, 0);
    while let Some(opt) = a.next_opt() {
        let has_value = !a.is_empty();
        match &opt.to_ascii_uppercase()[..] {
            b"RANK" if has_value => {
                rank = a.next_i64()?;
                if rank == 0 {
                    return Err(RANK_ZERO);
                }
            }
            b"COUNT" if has_value => count = Some(non_negative(&a.next()?, COUNT_NEGATIVE)? as i64),
            b"MAXLEN" if has_value => maxlen = non_negative(&a.next()?, MAXLEN_NEGATIVE)? as i64,
            _ => return syntax(),
        }
    }
    Ok(ListCommand::Pos(PosArgs { key, element, rank, count, maxlen }))
}
