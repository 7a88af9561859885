//! Parsing of the sets group.

use super::{Args, Command, ParseEnv};
use crate::errors::RedisResult;

/// A command of the sets group.
#[derive(Clone, Debug, PartialEq)]
pub enum SetCommand {}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = (name, a, env);
    Ok(None)
}
