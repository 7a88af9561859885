//! Parsing of the server commands that act on whole databases.

use super::{Args, Command, ParseEnv};
use crate::errors::{RedisError, RedisResult};

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let cmd = match name {
        "dbsize" => Command::DbSize,
        "flushdb" | "flushall" => {
            let sync = match a.next_opt() {
                None => None,
                Some(o) if o.eq_ignore_ascii_case(b"ASYNC") && a.is_empty() => Some(false),
                Some(o) if o.eq_ignore_ascii_case(b"SYNC") && a.is_empty() => Some(true),
                Some(_) => return Err(crate::errors::SYNTAX),
            };
            Command::Flush { all: name == "flushall", sync }
        }
        "swapdb" => {
            if env.cluster_enabled {
                return Err(RedisError::fixed("ERR SWAPDB is not allowed in cluster mode"));
            }
            let first = super::parse_i32(&a.next()?).map_err(|_| RedisError::fixed("ERR invalid first DB index"))?;
            let second = super::parse_i32(&a.next()?).map_err(|_| RedisError::fixed("ERR invalid second DB index"))?;
            Command::SwapDb { a: env.check_db(first as i64)?, b: env.check_db(second as i64)? }
        }
        _ => return Ok(None),
    };
    Ok(Some(cmd))
}
