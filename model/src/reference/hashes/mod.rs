//! The hashes group on the model.

mod value;
pub use value::HashValue;

use super::Model;
use crate::command::HashCommand;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::resp::Frame;

impl Model {
    pub(super) fn run_hashes(&mut self, cx: &mut Context<'_>, cmd: &HashCommand) -> RedisResult<Frame> {
        let _ = cx;
        match *cmd {}
    }
}
