//! Parsing of the hashes group.
//!
//! As everywhere, only what Redis checks before it looks the key up is
//! checked here: HINCRBY's and HINCRBYFLOAT's increments, HRANDFIELD's count
//! and options, HSCAN's cursor, HSET's pairing. HSCAN's options are read by
//! Redis only after the type check, so they stay raw ([`HScanOptions::parse`]).

use bytes::Bytes;

use super::{parse_i64, syntax, Args, Command, ParseEnv};
use crate::errors::{self, RedisError, RedisResult};
use crate::num::{self, LongDouble};

// ---- the hashes group's own error texts ----
pub const HASH_NOT_INTEGER: RedisError = RedisError::fixed("ERR hash value is not an integer");
pub const HASH_NOT_FLOAT: RedisError = RedisError::fixed("ERR hash value is not a float");
pub const INCR_NAN_OR_INFINITY: RedisError = RedisError::fixed("ERR value is NaN or Infinity");
/// HRANDFIELD's count must lie in -LONG_MAX..=LONG_MAX.
pub const RANDFIELD_COUNT_RANGE: RedisError =
    RedisError::fixed("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
/// With WITHVALUES the count must also be within ±LONG_MAX/2 (twice as many replies).
pub const VALUE_OUT_OF_RANGE: RedisError = RedisError::fixed("ERR value is out of range");

/// What HGETALL, HKEYS and HVALS reply with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashPart {
    /// HGETALL: a map of fields to values.
    Both,
    Fields,
    Values,
}

/// A command of the hashes group.
#[derive(Clone, Debug, PartialEq)]
pub enum HashCommand {
    HDel {
        key: Bytes,
        fields: Vec<Bytes>,
    },
    HExists {
        key: Bytes,
        field: Bytes,
    },
    HGet {
        key: Bytes,
        field: Bytes,
    },
    /// HGETALL, HKEYS, HVALS.
    HGetAll {
        key: Bytes,
        part: HashPart,
    },
    HIncrBy {
        key: Bytes,
        field: Bytes,
        by: i64,
    },
    /// The increment is finite (Redis refuses infinities before the lookup).
    HIncrByFloat {
        key: Bytes,
        field: Bytes,
        incr: LongDouble,
    },
    HLen {
        key: Bytes,
    },
    HMGet {
        key: Bytes,
        fields: Vec<Bytes>,
    },
    HRandField {
        key: Bytes,
        count: Option<RandCount>,
    },
    HScan {
        key: Bytes,
        cursor: u64,
        options: Vec<Bytes>,
    },
    /// HSET and HMSET; `ok_reply` is HMSET's `+OK` instead of a count.
    HSet {
        key: Bytes,
        pairs: Vec<(Bytes, Bytes)>,
        ok_reply: bool,
    },
    HSetNx {
        key: Bytes,
        field: Bytes,
        value: Bytes,
    },
    HStrLen {
        key: Bytes,
        field: Bytes,
    },
}

/// HRANDFIELD's count form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandCount {
    /// Positive: distinct fields, at most the hash's size. Negative: exactly
    /// |count| draws with repeats. Never i64::MIN.
    pub count: i64,
    pub with_values: bool,
}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = env;
    use HashCommand::*;
    let cmd = match name {
        "hdel" => HDel { key: a.next()?, fields: a.rest().to_vec() },
        "hexists" => HExists { key: a.next()?, field: a.next()? },
        "hget" => HGet { key: a.next()?, field: a.next()? },
        "hgetall" => HGetAll { key: a.next()?, part: HashPart::Both },
        "hkeys" => HGetAll { key: a.next()?, part: HashPart::Fields },
        "hvals" => HGetAll { key: a.next()?, part: HashPart::Values },
        "hincrby" => HIncrBy { key: a.next()?, field: a.next()?, by: a.next_i64()? },
        "hincrbyfloat" => {
            let key = a.next()?;
            let field = a.next()?;
            let incr = LongDouble::parse(&a.next()?).ok_or(errors::NOT_FLOAT)?;
            if !incr.is_finite() {
                return Err(INCR_NAN_OR_INFINITY);
            }
            HIncrByFloat { key, field, incr }
        }
        "hlen" => HLen { key: a.next()? },
        "hmget" => HMGet { key: a.next()?, fields: a.rest().to_vec() },
        "hrandfield" => parse_hrandfield(a)?,
        "hscan" => {
            let key = a.next()?;
            let cursor = num::parse_scan_cursor(&a.next()?).ok_or(errors::INVALID_CURSOR)?;
            HScan { key, cursor, options: a.rest().to_vec() }
        }
        "hset" | "hmset" => {
            let key = a.next()?;
            let rest = a.rest();
            if !rest.len().is_multiple_of(2) {
                return Err(errors::wrong_arity(name));
            }
            let pairs = rest.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
            HSet { key, pairs, ok_reply: name == "hmset" }
        }
        "hsetnx" => HSetNx { key: a.next()?, field: a.next()?, value: a.next()? },
        "hstrlen" => HStrLen { key: a.next()?, field: a.next()? },
        _ => return Ok(None),
    };
    Ok(Some(Command::Hashes(cmd)))
}

/// `HRANDFIELD key [count [WITHVALUES]]`: the count's range, then the syntax,
/// then WITHVALUES's tighter range, all before the key is read.
fn parse_hrandfield(a: &mut Args) -> RedisResult<HashCommand> {
    let key = a.next()?;
    let Some(count) = a.next_opt() else {
        return Ok(HashCommand::HRandField { key, count: None });
    };
    let count = parse_i64(&count)?;
    if count == i64::MIN {
        return Err(RANDFIELD_COUNT_RANGE);
    }
    let with_values = match a.next_opt() {
        None => false,
        Some(opt) if a.is_empty() && opt.eq_ignore_ascii_case(b"WITHVALUES") => true,
        Some(_) => return syntax(),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(VALUE_OUT_OF_RANGE);
    }
    Ok(HashCommand::HRandField { key, count: Some(RandCount { count, with_values }) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &[&str]) -> RedisResult<Command> {
        let argv: Vec<Bytes> = line.iter().map(|s| Bytes::from(s.to_string())).collect();
        Command::from_argv(&argv, &ParseEnv::default())
    }

    fn err(line: &[&str]) -> String {
        parse_line(line).unwrap_err().text().to_string()
    }

    #[test]
    fn hset_pairs_must_be_complete() {
        assert_eq!(err(&["HSET", "k", "f", "v", "g"]), "ERR wrong number of arguments for 'hset' command");
        assert_eq!(err(&["HMSET", "k", "f", "v", "g"]), "ERR wrong number of arguments for 'hmset' command");
        assert!(matches!(
            parse_line(&["hmset", "k", "f", "v"]),
            Ok(Command::Hashes(HashCommand::HSet { ok_reply: true, .. }))
        ));
    }

    #[test]
    fn hrandfield_count_checks_in_redis_order() {
        assert_eq!(err(&["HRANDFIELD", "k", "x"]), errors::NOT_INTEGER.text());
        assert_eq!(err(&["HRANDFIELD", "k", "-9223372036854775808", "bad"]), RANDFIELD_COUNT_RANGE.text());
        assert_eq!(err(&["HRANDFIELD", "k", "1", "WITHVALUES", "x"]), "ERR syntax error");
        assert_eq!(err(&["HRANDFIELD", "k", "1", "foo"]), "ERR syntax error");
        assert_eq!(err(&["HRANDFIELD", "k", "-4611686018427387904", "withvalues"]), VALUE_OUT_OF_RANGE.text());
        assert!(parse_line(&["HRANDFIELD", "k", "-4611686018427387903", "withvalues"]).is_ok());
        assert!(parse_line(&["HRANDFIELD", "k", "-9223372036854775807"]).is_ok());
    }

    #[test]
    fn hincrbyfloat_refuses_bad_and_infinite_increments() {
        assert_eq!(err(&["HINCRBYFLOAT", "k", "f", "nan"]), errors::NOT_FLOAT.text());
        assert_eq!(err(&["HINCRBYFLOAT", "k", "f", "1x"]), errors::NOT_FLOAT.text());
        assert_eq!(err(&["HINCRBYFLOAT", "k", "f", "-inf"]), INCR_NAN_OR_INFINITY.text());
        assert_eq!(err(&["HINCRBY", "k", "f", "1.5"]), errors::NOT_INTEGER.text());
    }

    #[test]
    fn hscan_cursor_now_options_later() {
        assert_eq!(err(&["HSCAN", "k", "18446744073709551616"]), errors::INVALID_CURSOR.text());
        assert!(parse_line(&["HSCAN", "k", "-1"]).is_ok());
        assert!(parse_line(&["HSCAN", "k", "0", "COUNT", "0"]).is_ok());
    }
}
