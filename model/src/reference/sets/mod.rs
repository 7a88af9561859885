//! The sets group on the model.

mod value;
pub use value::SetValue;

use super::Model;
use crate::command::SetCommand;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::resp::Frame;

impl Model {
    pub(super) fn run_sets(&mut self, cx: &mut Context<'_>, cmd: &SetCommand) -> RedisResult<Frame> {
        let _ = cx;
        match *cmd {}
    }
}
