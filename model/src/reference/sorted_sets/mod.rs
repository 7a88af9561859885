//! The sorted sets group on the model.

mod value;
pub use value::ZSetValue;

use super::Model;
use crate::command::ZSetCommand;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::resp::Frame;

impl Model {
    pub(super) fn run_sorted_sets(&mut self, cx: &mut Context<'_>, cmd: &ZSetCommand) -> RedisResult<Frame> {
        let _ = cx;
        match *cmd {}
    }
}
