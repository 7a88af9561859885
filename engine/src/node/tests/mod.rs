//! Node tests: bytes in, bytes out, with expectations taken from Redis 7.0.15.

mod aof;
mod aof_rewrite;
mod blocking;
mod connection;
mod crash;
mod determinism;
mod disk;
mod load_fuzz;
mod migrate;
mod output_limits;
mod prefetch;
mod rdb;
mod replication;
mod server;
mod transactions;

use bytes::Bytes;
use redsim_model::resp::encode_request;
use redsim_model::Engine;

use super::{Action, ClientId, Config, ConnInfo, Node, NodeOptions, ProcessInfo};

/// A node on a fake clock with helpers to talk to it.
pub struct Harness {
    pub node: Node,
    pub now: i64,
    next_port: u16,
}

pub const START_MS: i64 = 1_700_000_000_000;

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config("")
    }

    /// A node configured with config-file `text`.
    pub fn with_config(text: &str) -> Harness {
        Harness::around(Node::new(options(text)))
    }

    /// A node of the default configuration around `engine`.
    pub fn with_engine(engine: Box<dyn Engine>) -> Harness {
        Harness::around(Node::with_engine(options(""), engine))
    }

    fn around(mut node: Node) -> Harness {
        // Tests read the propagated stream.
        node.capture_propagation(true);
        Harness { node, now: START_MS, next_port: 50000 }
    }

    pub fn connect(&mut self) -> ClientId {
        self.next_port += 1;
        let addr = format!("127.0.0.1:{}", self.next_port);
        self.node.client_connected(ConnInfo::local(&addr, "127.0.0.1:6379"), self.now)
    }

    /// Feeds raw bytes and returns every action.
    pub fn feed(&mut self, id: ClientId, bytes: &[u8]) -> Vec<Action> {
        self.node.client_bytes(id, bytes, self.now);
        self.node.take_actions()
    }

    /// Sends raw bytes and returns what client `id` received.
    pub fn raw(&mut self, id: ClientId, bytes: &[u8]) -> String {
        let actions = self.feed(id, bytes);
        sent_to(&actions, id)
    }

    /// Sends one command and returns the reply bytes as a string.
    pub fn cmd(&mut self, id: ClientId, words: &[&str]) -> String {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        let mut buf = Vec::new();
        encode_request(&argv, &mut buf);
        self.raw(id, &buf)
    }

    pub fn tick(&mut self, advance_ms: i64) -> Vec<Action> {
        self.now += advance_ms;
        self.node.tick(self.now);
        self.node.take_actions()
    }
}

fn options(config_text: &str) -> NodeOptions {
    let mut config = Config::new();
    config.load_text(config_text).expect("test config loads");
    NodeOptions {
        seed: 7,
        now_ms: START_MS,
        config,
        process: ProcessInfo { process_id: 42, executable: "/bin/redsim-server".into(), os: "Test 1.0 x86_64".into() },
    }
}

/// Everything sent to `id` in `actions`, as (lossy) text.
pub fn sent_to(actions: &[Action], id: ClientId) -> String {
    let mut out = Vec::new();
    for a in actions {
        if let Action::Send { client, bytes } = a {
            if *client == id {
                out.extend_from_slice(bytes);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn closed(actions: &[Action], id: ClientId) -> bool {
    actions.contains(&Action::Close { client: id })
}

/// A bulk string reply's payload (panics on anything else).
pub fn bulk_text(reply: &str) -> String {
    let (header, rest) = reply.split_once("\r\n").expect("a bulk reply");
    assert!(header.starts_with('$') || header.starts_with('='), "not a bulk: {reply:?}");
    let len: usize = header[1..].parse().unwrap();
    rest[..len].to_string()
}
