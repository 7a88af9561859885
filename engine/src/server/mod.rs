//! The tokio driver of the node core and the entry point of `redsim-server`.
//!
//! This is the only part of redsim that touches sockets, the wall clock,
//! signals, files and OS randomness. It listens on the configured addresses
//! (127.0.0.1 and ::1 by default, not every interface as Redis does: redsim is
//! a test bed), runs a task per connection, and one task that owns the
//! [`Node`] and feeds it events with the current time, ticking it `hz` times a
//! second. The node's seed comes from the OS unless `--seed` is given; it is
//! logged at startup so that a run can be replayed.

mod args;
mod connection;
mod disk;
mod links;
mod listener;
mod log;
mod node_task;

use tokio::sync::mpsc;

pub use args::{parse as parse_args, Startup};
pub use log::{format_time, Logger};

use crate::node::config::Config;
use crate::node::{Node, NodeOptions, ProcessInfo};
use listener::Listeners;

/// `redsim-server`'s main: parses the command line, runs the server, and
/// returns the process exit status.
pub fn main(args: Vec<String>) -> i32 {
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "/".into());
    match args::parse(&args, &cwd, |path| std::fs::read_to_string(path).map_err(|e| e.to_string())) {
        Startup::Exit { stdout, stderr, code } => {
            print!("{stdout}");
            eprint!("{stderr}");
            code
        }
        Startup::Run { config, seed } => {
            // One thread, as Redis's event loop: the node runs one command at a
            // time anyway, and handing every request between worker threads
            // cost CPU and context switches (reports/server-runtime.md).
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return 1;
                }
            };
            runtime.block_on(serve(config, seed))
        }
    }
}

/// Runs a server with `config` until it is shut down.
pub async fn serve(config: Config, seed: Option<u64>) -> i32 {
    let pid = std::process::id();
    let mut logger = Logger::new(pid);
    logger.configure(config.get("loglevel"), config.get("logfile"));
    let seed = seed.unwrap_or_else(rand::random);
    logger.warning("redsim is starting (a Redis 7.0.15 compatible server)");
    logger.warning(&format!("redsim version=7.0.15, bits={}, pid={pid}, seed={seed}, just started", usize::BITS));
    match config.file() {
        Some(_) => logger.warning("Configuration loaded"),
        None => logger.warning("No config file given, running with the default configuration (see --help)"),
    }
    if config.get_bool("daemonize") {
        logger.warning("daemonize is not supported by redsim-server: staying in the foreground");
    }
    let port = config.get_i64("port").clamp(0, 65535) as u16;
    let bind: Vec<String> = config.get("bind").split(' ').filter(|s| !s.is_empty()).map(String::from).collect();
    let pidfile = config.get("pidfile").to_string();
    let engine = config.get("engine").to_string();
    let process = ProcessInfo {
        process_id: pid,
        executable: std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        os: os_description(),
    };
    let node = Node::new(NodeOptions { seed, now_ms: node_task::now_ms(), config, process });
    let (tx, rx) = mpsc::unbounded_channel();
    let listeners = match Listeners::bind(&bind, port, &tx).await {
        Ok(l) => l,
        Err(e) => {
            logger.warning(&e);
            return 1;
        }
    };
    logger.running();
    // A replica by its configuration is one from its first line, as Redis marks it.
    logger.replica(node.is_replica());
    logger.notice(&format!("Running mode=standalone, port={port}, engine={engine}."));
    logger.warning("Server initialized");
    if !pidfile.is_empty() {
        if let Err(e) = std::fs::write(&pidfile, format!("{pid}\n")) {
            logger.warning(&format!("Failed to write PID file: {e}"));
        }
    }
    let code = node_task::run(node, rx, tx, listeners, logger).await;
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    code
}

/// `uname -s -r -m`, as INFO's `os` field shows it.
fn os_description() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string()).unwrap_or_default();
    let kernel = read("/proc/sys/kernel/ostype");
    let release = read("/proc/sys/kernel/osrelease");
    let name = if kernel.is_empty() { std::env::consts::OS.to_string() } else { kernel };
    format!("{name} {release} {}", std::env::consts::ARCH)
}
