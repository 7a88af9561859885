//! Parsing of the server group commands the node core executes (CONFIG,
//! INFO, SLOWLOG, DEBUG ...). DBSIZE, FLUSH*, SWAPDB live in `database`.

use super::{Args, Command, ParseEnv};
use crate::errors::RedisResult;

/// A server command executed by the node core.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerCommand {}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = (name, a, env);
    Ok(None)
}
