//! Parsing of the connection group (PING, HELLO, AUTH, CLIENT ...), which the
//! node core executes.

use super::{Args, Command, ParseEnv};
use crate::errors::RedisResult;

/// A connection command.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectionCommand {}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = (name, a, env);
    Ok(None)
}
