//! The lists group on the model.

mod value;
pub use value::ListValue;

use super::Model;
use crate::command::ListCommand;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::resp::Frame;

impl Model {
    pub(super) fn run_lists(&mut self, cx: &mut Context<'_>, cmd: &ListCommand) -> RedisResult<Frame> {
        let _ = cx;
        match *cmd {}
    }
}
