//! Parsing of the string group.

use bytes::Bytes;

use super::{syntax, Args, Command};
use crate::errors::{self, RedisResult};

/// When a SET-family command makes the key expire. The value is kept raw:
/// Redis turns it into an absolute time (and checks for overflow) only when the
/// command runs, against that command's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// No expire option: the key loses its TTL.
    None,
    /// KEEPTTL: the key keeps its TTL.
    KeepTtl,
    /// EX/PX/EXAT/PXAT (and SETEX, PSETEX) with the argument as typed.
    At(ExpiryArg),
}

/// An EX/PX/EXAT/PXAT argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryArg {
    pub unit: TimeUnit,
    /// EXAT/PXAT: the value is a Unix time, not a duration.
    pub absolute: bool,
    pub value: Bytes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Millis,
}

/// SET's condition on the key's existence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetCondition {
    Always,
    /// NX: only if the key does not exist.
    IfMissing,
    /// XX: only if the key exists.
    IfExists,
}

/// Which reply SET sends on success and when the condition fails; SETNX
/// answers 1/0 instead of OK/nil.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetReply {
    OkOrNull,
    OneOrZero,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetArgs {
    pub key: Bytes,
    pub value: Bytes,
    pub condition: SetCondition,
    /// GET: reply with the old value.
    pub get: bool,
    pub expiry: Expiry,
    pub reply: SetReply,
}

/// GETEX's option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GetExOption {
    None,
    Persist,
    At(ExpiryArg),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LcsArgs {
    pub key1: Bytes,
    pub key2: Bytes,
    /// Options are parsed after the keys are read (Redis reports a wrong type
    /// before a syntax error), so they stay raw here.
    pub options: Vec<Bytes>,
}

pub(super) fn parse(name: &str, a: &mut Args) -> RedisResult<Option<Command>> {
    let cmd = match name {
        "append" => Command::Append { key: a.next()?, value: a.next()? },
        "incr" => Command::IncrBy { key: a.next()?, by: 1 },
        "decr" => Command::IncrBy { key: a.next()?, by: -1 },
        "incrby" => Command::IncrBy { key: a.next()?, by: a.next_i64()? },
        "decrby" => {
            let key = a.next()?;
            let by = a.next_i64()?;
            if by == i64::MIN {
                return Err(errors::RedisError::fixed("ERR decrement would overflow"));
            }
            Command::IncrBy { key, by: -by }
        }
        "incrbyfloat" => Command::IncrByFloat { key: a.next()?, incr: a.next()? },
        "get" => Command::Get { key: a.next()? },
        "getdel" => Command::GetDel { key: a.next()? },
        "getex" => parse_getex(a)?,
        "getrange" | "substr" => {
            let key = a.next()?;
            Command::GetRange { key, start: a.next_i64()?, end: a.next_i64()? }
        }
        "getset" => Command::GetSet { key: a.next()?, value: a.next()? },
        "lcs" => Command::Lcs(LcsArgs { key1: a.next()?, key2: a.next()?, options: a.rest().to_vec() }),
        "mget" => Command::MGet { keys: a.rest().to_vec() },
        "mset" | "msetnx" => {
            let rest = a.rest();
            if !rest.len().is_multiple_of(2) {
                return Err(errors::wrong_arity(name));
            }
            let pairs = rest.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
            Command::MSet { pairs, nx: name == "msetnx" }
        }
        "set" => parse_set(a)?,
        "setnx" => Command::Set(SetArgs {
            key: a.next()?,
            value: a.next()?,
            condition: SetCondition::IfMissing,
            get: false,
            expiry: Expiry::None,
            reply: SetReply::OneOrZero,
        }),
        "setex" | "psetex" => {
            let key = a.next()?;
            let value = a.next()?;
            let unit = if name == "setex" { TimeUnit::Seconds } else { TimeUnit::Millis };
            let expiry = Expiry::At(ExpiryArg { unit, absolute: false, value });
            let value = a.next()?;
            Command::Set(SetArgs {
                key,
                value,
                condition: SetCondition::Always,
                get: false,
                expiry,
                reply: SetReply::OkOrNull,
            })
        }
        "setrange" => {
            let key = a.next()?;
            Command::SetRange { key, offset: a.next_i64()?, value: a.next()? }
        }
        "strlen" => Command::Strlen { key: a.next()? },
        _ => return Ok(None),
    };
    Ok(Some(cmd))
}

/// The options shared by SET and GETEX, with Redis's rule that an option
/// conflicting with one already seen is a syntax error (so `EX 1 EX 2` is fine
/// but `EX 1 PX 2` is not).
#[derive(Default)]
struct ExtendedOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expiry: Option<ExpiryArg>,
}

impl ExtendedOptions {
    fn parse(a: &mut Args, for_set: bool) -> RedisResult<ExtendedOptions> {
        let mut o = ExtendedOptions::default();
        while let Some(opt) = a.next_opt() {
            let up = opt.to_ascii_uppercase();
            let has_next = !a.is_empty();
            // An expiry of a different kind already chosen blocks this one.
            let other_expiry = |unit: TimeUnit, absolute: bool| {
                o.expiry.as_ref().is_some_and(|e| e.unit != unit || e.absolute != absolute)
            };
            match &up[..] {
                b"NX" if for_set && !o.xx => o.nx = true,
                b"XX" if for_set && !o.nx => o.xx = true,
                b"GET" if for_set => o.get = true,
                b"KEEPTTL" if for_set && !o.persist && o.expiry.is_none() => o.keepttl = true,
                b"PERSIST" if !for_set && !o.keepttl && o.expiry.is_none() => o.persist = true,
                b"EX" | b"PX" | b"EXAT" | b"PXAT" => {
                    let unit = if up[0] == b'E' { TimeUnit::Seconds } else { TimeUnit::Millis };
                    let absolute = up.len() == 4;
                    if o.keepttl || o.persist || other_expiry(unit, absolute) || !has_next {
                        return syntax();
                    }
                    o.expiry = Some(ExpiryArg { unit, absolute, value: a.next()? });
                }
                _ => return syntax(),
            }
        }
        Ok(o)
    }
}

fn parse_set(a: &mut Args) -> RedisResult<Command> {
    let key = a.next()?;
    let value = a.next()?;
    let o = ExtendedOptions::parse(a, true)?;
    let condition = if o.nx {
        SetCondition::IfMissing
    } else if o.xx {
        SetCondition::IfExists
    } else {
        SetCondition::Always
    };
    let expiry = match (o.expiry, o.keepttl) {
        (Some(e), _) => Expiry::At(e),
        (None, true) => Expiry::KeepTtl,
        (None, false) => Expiry::None,
    };
    Ok(Command::Set(SetArgs { key, value, condition, get: o.get, expiry, reply: SetReply::OkOrNull }))
}

fn parse_getex(a: &mut Args) -> RedisResult<Command> {
    let key = a.next()?;
    let o = ExtendedOptions::parse(a, false)?;
    let option = match (o.expiry, o.persist) {
        (Some(e), _) => GetExOption::At(e),
        (None, true) => GetExOption::Persist,
        (None, false) => GetExOption::None,
    };
    Ok(Command::GetEx { key, option })
}

/// LCS's options, read after both keys were checked (as Redis does).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LcsOptions {
    pub len: bool,
    pub idx: bool,
    pub with_match_len: bool,
    pub min_match_len: u64,
}

impl LcsOptions {
    pub fn parse(options: &[Bytes]) -> RedisResult<LcsOptions> {
        let mut o = LcsOptions::default();
        let mut a = Args::new(options);
        while let Some(opt) = a.next_opt() {
            match &opt.to_ascii_uppercase()[..] {
                b"IDX" => o.idx = true,
                b"LEN" => o.len = true,
                b"WITHMATCHLEN" => o.with_match_len = true,
                b"MINMATCHLEN" if !a.is_empty() => {
                    o.min_match_len = a.next_i64()?.max(0) as u64;
                }
                _ => return syntax(),
            }
        }
        if o.idx && o.len {
            return Err(errors::RedisError::fixed("ERR If you want both the length and indexes, please just use IDX."));
        }
        Ok(o)
    }
}
