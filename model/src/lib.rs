//! redsim's specification of Redis 7.0.
//!
//! - [`resp`]: the wire protocol, RESP2 and RESP3.
//! - [`table`]: the command table generated from Redis's command specifications.
//! - [`command`]: argv turned into typed [`command::Command`] values, with Redis's errors.
//! - [`engine`]: the [`engine::Engine`] trait both engines implement.
//! - [`dataset`]: the dataset as plain records, for persistence and resync.
//! - [`reference`]: [`Model`], the reference engine built on std collections.
//! - [`num`], [`glob`], [`errors`]: Redis's number formats, pattern matching and error texts.

pub mod command;
pub mod dataset;
pub mod engine;
pub mod errors;
pub mod glob;
pub mod num;
pub mod rdb;
pub mod reference;
pub mod resp;
pub mod table;

pub use engine::{BlockOn, Context, Effect, Engine, EngineConfig, KeyState, Upcoming};
pub use reference::Model;
pub use resp::Frame;
