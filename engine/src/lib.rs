//! redsim's server: the node core and its tokio driver.
//!
//! - [`node`]: the sans-IO node core. It owns the engine, the clients, the
//!   configuration and the statistics, and is driven by events (a client
//!   connected, bytes arrived, a timer ticked) carrying the time; it answers
//!   with [`node::Action`]s (bytes to send, connections to close, a sleep,
//!   file operations whose results come back as events).
//!   Nothing in it reads a clock, a socket or OS randomness, so the simulator
//!   can drive it deterministically.
//! - [`store`]: [`Engine`], the optimized keyspace behind the same
//!   `redsim_model::Engine` trait as the reference model (`--engine engine`).
//! - [`server`]: the tokio driver behind the `redsim-server` binary: sockets,
//!   the wall clock, signals, log files and the command line.

pub mod node;
pub mod server;
pub mod store;

pub use node::persistence::mem_storage::MemStorage;
pub use node::persistence::{StorageError, StorageId, StorageOp, StorageResult};
pub use node::{Action, ClientId, Config, ConnInfo, LogLevel, Node, NodeOptions, ProcessInfo};
pub use store::Engine;
