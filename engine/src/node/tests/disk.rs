//! A node on a fake clock with an in-memory disk: storage operations queue
//! up and run when the test says, so tests can interleave commands with a
//! save or a rewrite that is half done, fail operations, or crash the disk.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use redsim_model::resp::encode_request;

use super::START_MS;
use crate::node::persistence::mem_storage::MemStorage;
use crate::node::persistence::{StorageId, StorageOp};
use crate::node::{Action, ClientId, Config, ConnInfo, LogLevel, Node, NodeOptions, ProcessInfo};

pub struct DiskHarness {
    pub node: Node,
    pub disk: MemStorage,
    pub now: i64,
    /// Storage operations emitted and not performed yet, in order.
    pub queue: VecDeque<(StorageId, StorageOp)>,
    /// Bytes received by each client so far and not yet read by the test.
    pub inbox: BTreeMap<ClientId, Vec<u8>>,
    pub closed: Vec<ClientId>,
    pub logs: Vec<(LogLevel, String)>,
    /// Set when the node asked to stop: Some(0) for Shutdown, the code for Exit.
    pub exited: Option<i32>,
    /// Every action, for determinism checks (storage data included).
    pub trace: Vec<Action>,
    next_port: u16,
    pub config_text: String,
}

impl DiskHarness {
    /// A node configured with `text` on an empty disk, started.
    pub fn new(text: &str) -> DiskHarness {
        DiskHarness::on_disk(text, MemStorage::new())
    }

    /// A node on an existing disk (a restart), started and loaded.
    pub fn on_disk(text: &str, disk: MemStorage) -> DiskHarness {
        let mut h = DiskHarness::unstarted(text, disk, START_MS);
        h.node.start(h.now);
        h.collect();
        h.pump();
        h
    }

    pub fn unstarted(text: &str, disk: MemStorage, now: i64) -> DiskHarness {
        let mut config = Config::new();
        config.load_text(&format!("enable-debug-command yes\n{text}")).expect("test config loads");
        let node = Node::new(NodeOptions {
            seed: 11,
            now_ms: now,
            config,
            process: ProcessInfo { process_id: 42, executable: "/bin/redsim-server".into(), os: "Test".into() },
        });
        DiskHarness {
            node,
            disk,
            now,
            queue: VecDeque::new(),
            inbox: BTreeMap::new(),
            closed: Vec::new(),
            logs: Vec::new(),
            exited: None,
            trace: Vec::new(),
            next_port: 40000,
            config_text: text.to_string(),
        }
    }

    /// The same configuration on the disk as it is after a power loss.
    pub fn crash_and_restart(&self) -> DiskHarness {
        let mut disk = self.disk.clone();
        disk.crash();
        DiskHarness::on_disk(&self.config_text, disk)
    }

    /// The same configuration on the disk as it is (a process crash).
    pub fn kill_and_restart(&self) -> DiskHarness {
        DiskHarness::on_disk(&self.config_text, self.disk.clone())
    }

    /// Takes the node's actions into the harness's queues.
    pub fn collect(&mut self) {
        for a in self.node.take_actions() {
            self.trace.push(a.clone());
            match a {
                Action::Send { client, bytes } => self.inbox.entry(client).or_default().extend(bytes),
                Action::Close { client } => self.closed.push(client),
                Action::Storage { id, op } => self.queue.push_back((id, op)),
                Action::Log { level, message } => self.logs.push((level, message)),
                Action::Shutdown => self.exited = Some(0),
                Action::Exit { code } => self.exited = Some(code),
                _ => {}
            }
        }
    }

    /// Performs the oldest queued storage operation, or with none queued
    /// runs the node's timers if they are due (a replay's next step), as
    /// the drivers do; false if there was nothing to do.
    pub fn step(&mut self) -> bool {
        if self.exited.is_some() {
            return false;
        }
        let Some((id, op)) = self.queue.pop_front() else {
            let ran = self.node.run_due_timers(self.now);
            self.collect();
            return ran;
        };
        let result = self.disk.execute(&op);
        self.node.storage_done(id, result, self.now);
        self.collect();
        true
    }

    /// Performs storage operations until none is left.
    pub fn pump(&mut self) {
        let mut guard = 0;
        while self.step() {
            guard += 1;
            assert!(guard < 100_000, "storage operations never stop");
        }
    }

    pub fn connect(&mut self) -> ClientId {
        self.next_port += 1;
        let addr = format!("127.0.0.1:{}", self.next_port);
        let id = self.node.client_connected(ConnInfo::local(&addr, "127.0.0.1:6379"), self.now);
        self.collect();
        id
    }

    /// Sends a command without running the disk.
    pub fn send(&mut self, id: ClientId, words: &[&str]) {
        let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        let mut buf = Vec::new();
        encode_request(&argv, &mut buf);
        self.node.client_bytes(id, &buf, self.now);
        self.collect();
    }

    /// What `id` received since the last call.
    pub fn take(&mut self, id: ClientId) -> String {
        String::from_utf8_lossy(&self.inbox.remove(&id).unwrap_or_default()).into_owned()
    }

    /// Sends a command, runs the disk, returns the reply.
    pub fn cmd(&mut self, id: ClientId, words: &[&str]) -> String {
        self.send(id, words);
        self.pump();
        self.take(id)
    }

    /// Sends a command and returns what came back without running the disk.
    pub fn cmd_no_disk(&mut self, id: ClientId, words: &[&str]) -> String {
        self.send(id, words);
        self.take(id)
    }

    pub fn info_field_no_disk(&mut self, id: ClientId, field: &str) -> String {
        let info = self.cmd_no_disk(id, &["INFO", "persistence"]);
        info.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).unwrap_or("?").to_string()
    }

    /// Advances the clock and ticks, then runs the disk.
    pub fn tick(&mut self, advance_ms: i64) {
        self.now += advance_ms;
        self.node.tick(self.now);
        self.collect();
        self.pump();
    }

    pub fn logged(&self, text: &str) -> bool {
        self.logs.iter().any(|(_, m)| m.contains(text))
    }

    pub fn file(&self, path: &str) -> String {
        String::from_utf8_lossy(self.disk.file(path).unwrap_or_else(|| panic!("no file {path}"))).into_owned()
    }

    /// One field of INFO persistence.
    pub fn info_field(&mut self, id: ClientId, field: &str) -> String {
        let info = self.cmd(id, &["INFO", "persistence"]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in {info}"))
            .to_string()
    }
}
