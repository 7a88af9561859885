//! Replication between nodes wired by hand: node `i` listens on port
//! 7000 + i; a link one node opens to that port becomes a client of the
//! other, and bytes cross at once. Links can be cut and nodes silenced to
//! exercise reconnection, partial and full resynchronization.

use std::collections::BTreeMap;

use bytes::Bytes;
use redsim_model::resp::encode_request;

use super::START_MS;
use crate::node::persistence::mem_storage::MemStorage;
use crate::node::{Action, ClientId, Config, ConnInfo, LinkEvent, LinkId, Node, NodeOptions, ProcessInfo};

const BASE_PORT: u16 = 7000;

struct Net {
    nodes: Vec<Node>,
    now: i64,
    /// (node, link) → (node, client) and back.
    links: BTreeMap<(usize, LinkId), (usize, ClientId)>,
    peers: BTreeMap<(usize, ClientId), (usize, LinkId)>,
    /// Replies to the test's own clients.
    out: BTreeMap<(usize, ClientId), Vec<u8>>,
    /// Nodes that refuse connections.
    down: Vec<bool>,
    /// Nodes cut off by [`Net::cut`] until the clock moves: a replica's
    /// immediate reconnection is refused, its cron's next attempt is not.
    isolated: Vec<bool>,
    logs: Vec<(usize, String)>,
    /// Each node's disk, when the nodes were started on disks.
    disks: Vec<Option<MemStorage>>,
    /// Storage operations issued while the disks are held (see
    /// [`Net::hold_disks`]), in order: a save that stays under way.
    held_ops: Option<Vec<(usize, Action)>>,
    configs: Vec<String>,
    /// Bytes a node's link receives per read, when not all at once: TCP
    /// cuts a stream where it likes.
    read_size: Option<usize>,
    /// Whether [`Net::pump`] runs the timers that fall due, as the drivers
    /// do (off: the test runs them itself).
    timers: bool,
    /// The next snapshot a node sends arrives with its signature broken, and
    /// that node then refuses connections (`down`) until the test says.
    break_next_snapshot: bool,
}

fn make_node(text: &str, seed: u64, now_ms: i64) -> Node {
    let mut config = Config::new();
    config.load_text(text).expect("test config loads");
    Node::new(NodeOptions { seed, now_ms, config, process: ProcessInfo::default() })
}

fn request(words: &[&str]) -> Vec<u8> {
    let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
    let mut buf = Vec::new();
    encode_request(&argv, &mut buf);
    buf
}

impl Net {
    /// `n` nodes, each with `extra` configuration.
    fn new(n: usize, extra: &str) -> Net {
        let configs: Vec<String> = (0..n)
            .map(|i| {
                format!("port {}\nrepl-diskless-sync-delay 0\nenable-debug-command yes\n{extra}", BASE_PORT + i as u16)
            })
            .collect();
        let nodes = configs.iter().enumerate().map(|(i, text)| make_node(text, 100 + i as u64, START_MS)).collect();
        Net {
            nodes,
            now: START_MS,
            links: BTreeMap::new(),
            peers: BTreeMap::new(),
            out: BTreeMap::new(),
            down: vec![false; n],
            isolated: vec![false; n],
            logs: Vec::new(),
            disks: vec![None; n],
            held_ops: None,
            configs,
            read_size: None,
            timers: true,
            break_next_snapshot: false,
        }
    }

    /// The same, each node started on an empty disk of its own.
    fn on_disks(n: usize, extra: &str) -> Net {
        let mut net = Net::new(n, extra);
        for i in 0..n {
            net.disks[i] = Some(MemStorage::new());
            net.nodes[i].start(net.now);
        }
        net.pump();
        net
    }

    /// Node `i`'s process dies and starts again on its disk as it is (the
    /// page cache survives), with `extra` configuration added.
    fn restart(&mut self, i: usize, extra: &str) {
        self.cut(i);
        self.configs[i].push_str(extra);
        self.nodes[i] = make_node(&self.configs[i], 200 + i as u64, self.now);
        self.nodes[i].start(self.now);
        self.pump();
    }

    fn client(&mut self, i: usize) -> ClientId {
        let id = self.nodes[i].client_connected(ConnInfo::local("127.0.0.1:50000", "127.0.0.1:7000"), self.now);
        self.pump();
        id
    }

    /// Runs a command on node `i` through a fresh client and returns the reply.
    fn cmd(&mut self, i: usize, words: &[&str]) -> String {
        let c = self.client(i);
        let reply = self.send(i, c, words);
        self.nodes[i].client_closed(c, self.now);
        self.pump();
        reply
    }

    fn send(&mut self, i: usize, c: ClientId, words: &[&str]) -> String {
        self.nodes[i].client_bytes(c, &request(words), self.now);
        self.pump();
        self.take(i, c)
    }

    fn take(&mut self, i: usize, c: ClientId) -> String {
        String::from_utf8_lossy(&self.out.remove(&(i, c)).unwrap_or_default()).into_owned()
    }

    /// Moves every node's clock on, a tick at a time.
    fn advance(&mut self, ms: i64) {
        self.isolated.fill(false);
        let end = self.now + ms;
        while self.now < end {
            self.now = (self.now + 100).min(end);
            for i in 0..self.nodes.len() {
                self.nodes[i].tick(self.now);
            }
            self.pump();
        }
    }

    /// Carries actions between nodes until all are quiet.
    fn pump(&mut self) {
        for _ in 0..100_000 {
            let mut busy = false;
            for i in 0..self.nodes.len() {
                if self.timers {
                    self.nodes[i].run_due_timers(self.now);
                }
                for a in self.nodes[i].take_actions() {
                    busy = true;
                    self.act(i, a);
                }
            }
            if !busy {
                return;
            }
        }
        panic!("the nodes never go quiet");
    }

    fn act(&mut self, i: usize, action: Action) {
        let now = self.now;
        match action {
            Action::Send { client, mut bytes } => match self.peers.get(&(i, client)) {
                Some(&(j, link)) => {
                    if let Some(at) = find_bytes(&bytes, b"REDIS0").filter(|_| self.break_next_snapshot) {
                        bytes[at + 1] = b'X';
                        self.break_next_snapshot = false;
                        self.down[i] = true;
                    }
                    for read in bytes.chunks(self.read_size.unwrap_or(bytes.len()).max(1)) {
                        self.nodes[j].link_event(link, LinkEvent::Bytes(read.to_vec()), now);
                    }
                }
                None => self.out.entry((i, client)).or_default().extend_from_slice(&bytes),
            },
            Action::Close { client } | Action::Abort { client } => {
                if let Some((j, link)) = self.peers.remove(&(i, client)) {
                    self.links.remove(&(j, link));
                    self.nodes[j].link_event(link, LinkEvent::Closed, now);
                }
            }
            Action::Connect { link, port, .. } => {
                let j = port
                    .checked_sub(BASE_PORT)
                    .map(usize::from)
                    .filter(|&j| j < self.nodes.len() && !self.down[j] && !self.isolated[j] && !self.isolated[i]);
                match j {
                    Some(j) => {
                        let addr = format!("127.0.0.1:{}", 40000 + link);
                        let c = self.nodes[j].client_connected(ConnInfo::local(&addr, "127.0.0.1:7000"), now);
                        self.links.insert((i, link), (j, c));
                        self.peers.insert((j, c), (i, link));
                        self.nodes[i].link_event(link, LinkEvent::Connected, now);
                    }
                    None => self.nodes[i].link_event(link, LinkEvent::Failed("Connection refused".into()), now),
                }
            }
            Action::LinkSend { link, bytes } => {
                if let Some(&(j, c)) = self.links.get(&(i, link)) {
                    self.nodes[j].client_bytes(c, &bytes, now);
                }
            }
            Action::LinkClose { link } => {
                if let Some((j, c)) = self.links.remove(&(i, link)) {
                    self.peers.remove(&(j, c));
                    self.nodes[j].client_closed(c, now);
                }
            }
            Action::Log { message, .. } => self.logs.push((i, message)),
            Action::Storage { .. } if self.held_ops.is_some() => {
                self.held_ops.as_mut().expect("checked").push((i, action));
            }
            Action::Storage { id, op } => {
                if let Some(disk) = &mut self.disks[i] {
                    let result = disk.execute(&op);
                    self.nodes[i].storage_done(id, result, now);
                }
            }
            _ => {}
        }
    }

    /// Disks stop completing operations until [`Net::release_disks`].
    fn hold_disks(&mut self) {
        self.held_ops.get_or_insert_with(Vec::new);
    }

    /// Completes what the disks held, in order, and whatever follows.
    fn release_disks(&mut self) {
        for (i, action) in self.held_ops.take().unwrap_or_default() {
            self.act(i, action);
        }
        self.pump();
    }

    /// Node 0's driver says its first replica's socket is a window behind
    /// (or no longer): the transfer under way waits, however long the
    /// test advances the clock.
    fn replica_behind(&mut self, behind: bool) {
        let replica = self.replica_client(0);
        self.nodes[0].client_output_pending(replica, if behind { 600_000 } else { 0 }, self.now);
        self.pump();
    }

    /// Runs only node 0's timers (the transfer's steps) until node 1, its
    /// replica, has the whole snapshot and loads it: the load's steps are
    /// the test's. (A snapshot for the socket counts as loading from its
    /// first byte, as in Redis; its steps begin once it is all in.)
    fn until_replica_loads(&mut self) {
        for _ in 0..1000 {
            if self.nodes[1].snapshot_load_timer().is_some() {
                return;
            }
            self.nodes[0].timers(self.now);
            self.pump();
        }
        panic!("the replica never loads the snapshot");
    }

    /// Node 1 is cut off while node 0 takes more writes than its 1 MB
    /// backlog holds, then reconnects at `at_ms` with the timers off: a
    /// full sync, held where the replica starts loading.
    fn full_sync_to_loading(&mut self, at_ms: i64) {
        self.cut(1);
        fill_incompressible(self, 0);
        self.timers = false;
        self.now = at_ms;
        self.isolated.fill(false);
        self.nodes[1].tick(self.now);
        self.pump();
        self.until_replica_loads();
    }

    /// Node `i` logged each of `lines` (the first time after the log's
    /// position `from`) in this order.
    fn assert_logged_in_order(&self, i: usize, from: usize, lines: &[&str]) {
        let at: Vec<usize> = lines
            .iter()
            .map(|l| {
                let found = self.logs[from..].iter().position(|(n, m)| *n == i && m.contains(l));
                from + found.unwrap_or_else(|| panic!("{l} not logged after {from}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{lines:?} in order: {at:?}");
    }

    /// Where node `i` logged `text` first, in the order of all logs.
    fn log_position(&self, i: usize, text: &str) -> usize {
        self.logs.iter().position(|(n, m)| *n == i && m.contains(text)).unwrap_or_else(|| panic!("{text} not logged"))
    }

    /// Breaks every connection node `i` has with another node; new ones are
    /// refused until the clock moves on (see `isolated`).
    fn cut(&mut self, i: usize) {
        self.isolated[i] = true;
        let now = self.now;
        let involved: Vec<((usize, LinkId), (usize, ClientId))> =
            self.links.iter().filter(|((a, _), (b, _))| *a == i || *b == i).map(|(k, v)| (*k, *v)).collect();
        for ((a, link), (b, c)) in involved {
            self.links.remove(&(a, link));
            self.peers.remove(&(b, c));
            self.nodes[a].link_event(link, LinkEvent::Closed, now);
            self.nodes[b].client_closed(c, now);
        }
        self.pump();
    }

    /// Every link between nodes stops carrying bytes, without closing:
    /// replicas go silent (no ACK) but stay connected.
    fn silence(&mut self) {
        self.links.clear();
    }

    fn info(&mut self, i: usize, field: &str) -> String {
        let text = self.cmd(i, &["INFO", "replication"]) + &self.cmd(i, &["INFO", "stats"]);
        let prefix = format!("{field}:");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {field} in {text}"))
            .trim()
            .to_string()
    }

    fn digest(&mut self, i: usize) -> String {
        self.cmd(i, &["DEBUG", "DIGEST"])
    }

    /// Node `i`'s client that is another node's replica link.
    fn replica_client(&self, i: usize) -> ClientId {
        self.peers.keys().find(|(n, _)| *n == i).map(|(_, c)| *c).expect("a replica's client")
    }

    fn logged(&self, i: usize, text: &str) -> bool {
        self.logs.iter().any(|(n, m)| *n == i && m.contains(text))
    }
}

/// A varied write workload on node `i`, marked with `tag`.
fn writes(net: &mut Net, i: usize, tag: &str) {
    let k = |s: &str| format!("{tag}:{s}");
    for w in [
        vec!["SET".to_string(), k("s"), "v".into()],
        vec!["SET".into(), k("ttl"), "v".into(), "EX".into(), "100".into()],
        vec!["INCR".into(), k("n")],
        vec!["RPUSH".into(), k("l"), "a".into(), "b".into(), "c".into()],
        vec!["HSET".into(), k("h"), "f".into(), "1".into()],
        vec!["SADD".into(), k("set"), "x".into(), "y".into()],
        vec!["ZADD".into(), k("z"), "1".into(), "m".into()],
        vec!["SPOP".into(), k("set")],
    ] {
        let words: Vec<&str> = w.iter().map(String::as_str).collect();
        let reply = net.cmd(i, &words);
        assert!(!reply.starts_with('-'), "{words:?}: {reply}");
    }
    let c = net.client(i);
    for w in [vec!["SELECT", "3"], vec!["MULTI"], vec!["SET", "in-db3", tag], vec!["INCR", "ctr3"], vec!["EXEC"]] {
        net.send(i, c, &w);
    }
    net.nodes[i].client_closed(c, net.now);
    net.pump();
}

#[test]
fn a_replica_loads_the_snapshot_then_follows_the_stream() {
    let mut net = Net::new(2, "");
    writes(&mut net, 0, "before");
    assert_eq!(net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]), "+OK\r\n");
    assert_eq!(net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]), "+OK Already connected to specified master\r\n");
    net.advance(1000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.digest(1), net.digest(0));
    writes(&mut net, 0, "after");
    assert_eq!(net.digest(1), net.digest(0), "the stream reached the replica");
    assert_ne!(net.digest(0), "+0000000000000000000000000000000000000000\r\n");
    assert!(net.logged(1, "MASTER <-> REPLICA sync: Finished with success"));
    assert!(net.logged(0, "Starting BGSAVE for SYNC with target: replicas sockets"), "the EOF form");
    // Offsets agree once the replica has acknowledged.
    net.advance(2000);
    let offset = net.info(0, "master_repl_offset");
    assert_eq!(net.info(1, "master_repl_offset"), offset);
    assert_eq!(net.info(0, "connected_slaves"), "1");
    let slave0 = net.info(0, "slave0");
    assert_eq!(slave0, format!("ip=127.0.0.1,port=7001,state=online,offset={offset},lag=0"));
    assert_eq!(net.info(0, "sync_full"), "1");
    assert_eq!(net.info(1, "role"), "slave");
    assert_eq!(net.info(0, "master_replid"), net.info(1, "master_replid"));
    // ROLE on both sides.
    let role = net.cmd(0, &["ROLE"]);
    let want = format!(
        "*3\r\n$6\r\nmaster\r\n:{offset}\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n7001\r\n${}\r\n{offset}\r\n",
        offset.len()
    );
    assert_eq!(role, want);
    let role = net.cmd(1, &["ROLE"]);
    assert_eq!(role, format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:7000\r\n$9\r\nconnected\r\n:{offset}\r\n"));
}

/// A streamed (EOF-marked) snapshot arriving in small reads, its mark cut
/// across two of them, still ends where the mark is; each read is searched
/// only where it could complete the mark, not from the start of the buffer.
#[test]
fn a_snapshot_in_small_reads_finds_its_end_mark_across_reads() {
    let mut net = Net::new(2, "");
    writes(&mut net, 0, "before");
    let mut fill = vec!["MSET".to_string()];
    for i in 0..500 {
        fill.extend([format!("key:{i}"), format!("value:{i}")]);
    }
    let words: Vec<&str> = fill.iter().map(String::as_str).collect();
    assert_eq!(net.cmd(0, &words), "+OK\r\n");
    // 7 does not divide the 40-byte mark: some read ends inside it.
    net.read_size = Some(7);
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    assert!(net.logged(0, "Starting BGSAVE for SYNC with target: replicas sockets"), "the EOF form");
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.digest(1), net.digest(0));
    writes(&mut net, 0, "after");
    assert_eq!(net.digest(1), net.digest(0), "the stream follows in small reads too");
}

/// A snapshot larger than a transfer step is made over several timer
/// turns, in either form; the master serves and changes keys between them,
/// and the replica ends up with the master's dataset (snapshot, then the
/// stream held meanwhile).
#[test]
fn a_full_sync_goes_out_in_steps_while_the_master_serves_and_changes_keys() {
    for (extra, target) in [("", "replicas sockets"), ("repl-diskless-sync no\n", "disk")] {
        full_sync_in_steps(extra, target);
    }
}

fn full_sync_in_steps(extra: &str, target: &str) {
    let mut net = Net::new(2, extra);
    start_sync_by_hand(&mut net);
    assert!(net.logged(0, &format!("Starting BGSAVE for SYNC with target: {target}")));
    let mut steps = 0;
    while net.nodes[0].next_timer_ms() == Some(net.now) {
        assert!(net.info(0, "slave0").contains("state=wait_bgsave"), "{}", net.info(0, "slave0"));
        for j in 0..20 {
            // From the last key down: the snapshot reads from the first up.
            let k = format!("key:{}", 3999 - (steps * 20 + j) * 7 % 4000);
            // Not idempotent: a snapshot that caught a change and the
            // stream that repeats it would differ from the master.
            net.cmd(0, &["APPEND", &k, "+"]);
            net.cmd(0, &["DEL", &format!("key:{}", 3998 - (steps * 20 + j) * 13 % 3998)]);
            net.cmd(0, &["SET", &format!("new:{steps}:{j}"), "v"]);
        }
        net.nodes[0].timers(net.now);
        net.pump();
        steps += 1;
    }
    assert!(steps > 5, "the snapshot went out in {steps} steps");
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert!(net.info(0, "slave0").contains("state=online"));
    assert_eq!(net.digest(1), net.digest(0));
    assert!(net.logged(0, "Synchronization with replica 127.0.0.1:7001 succeeded"));
}

/// A replica whose output passes `client-output-buffer-limit replica` is
/// dropped and syncs again, as in Redis: here first the stream held for it
/// while its snapshot goes out, then what the driver reports unwritten.
#[test]
fn a_replica_past_its_output_limit_is_dropped_and_syncs_again() {
    let mut net = Net::new(2, "client-output-buffer-limit replica 64kb 32kb 60\n");
    start_sync_by_hand(&mut net);
    let value = "v".repeat(1000);
    for i in 0..70 {
        net.cmd(0, &["SET", &format!("during:{i}"), &value]);
    }
    net.nodes[0].timers(net.now);
    net.pump();
    assert!(net.logged(0, "flags=S "), "{:?}", net.logs);
    assert!(net.logged(0, "scheduled to be closed ASAP for overcoming of output buffer limits."));
    assert!(net.logged(0, "Connection with replica 127.0.0.1:7001 lost."));
    // Nothing more to hold: the next sync completes.
    net.timers = true;
    net.advance(3000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.digest(1), net.digest(0));
    // Online, the replica's socket backs up: the driver says so.
    let replica = net.replica_client(0);
    net.logs.clear();
    net.nodes[0].client_output_pending(replica, 100_000, net.now);
    net.pump();
    assert!(net.logged(0, "Connection with replica 127.0.0.1:7001 lost."));
    net.advance(3000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.digest(1), net.digest(0));
}

/// A transfer step waits while the driver says the replica's socket holds
/// a window of snapshot unwritten, and goes on once it drained; in the
/// length form too, whose gathered payload goes out a step at a time.
#[test]
fn a_transfer_waits_for_a_replica_socket_that_is_behind() {
    let mut eof_steps = 0;
    for extra in ["", "repl-diskless-sync no\n"] {
        let mut net = Net::new(2, extra);
        start_sync_by_hand(&mut net);
        let replica = net.replica_client(0);
        let (mut waits, mut steps) = (0, 0);
        while net.nodes[0].next_timer_ms().is_some_and(|at| at <= net.now + 1) {
            // Behind on every other turn.
            let behind = (waits + steps) % 2 == 0;
            net.nodes[0].client_output_pending(replica, if behind { 600_000 } else { 0 }, net.now);
            net.pump();
            let at = net.nodes[0].next_timer_ms();
            if behind {
                assert_eq!(at, Some(net.now + 1), "{extra:?}: a step while behind");
                waits += 1;
                net.now += 1;
            } else {
                assert_eq!(at, Some(net.now), "{extra:?}");
                steps += 1;
            }
            net.nodes[0].timers(net.now);
            net.pump();
        }
        assert!(steps > 5 && waits > 5, "{extra:?}: {steps} steps, {waits} waits");
        if extra.is_empty() {
            eof_steps = steps;
        } else {
            // Made in as many steps as the EOF form, then sent in as many.
            assert!(steps > eof_steps + 3, "length form: {steps} steps, EOF form {eof_steps}");
        }
        net.timers = true;
        net.advance(2000);
        assert_eq!(net.info(1, "master_link_status"), "up", "{extra:?}");
        assert_eq!(net.digest(1), net.digest(0), "{extra:?}");
    }
}

/// Node 1 starts a full sync from node 0, which holds 1.2 MB, with the
/// timers run by hand: the transfer steps when the test says.
fn start_sync_by_hand(net: &mut Net) {
    fill_incompressible(net, 0);
    net.timers = false;
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    // The replica connects from its cron.
    net.advance(100);
}

/// key:0..3999 on node `i`, about 1.2 MB that LZF cannot shrink: a
/// snapshot of several transfer steps.
fn fill_incompressible(net: &mut Net, i: usize) {
    let mut x: u64 = 1;
    for batch in 0..40 {
        let mut words = vec!["MSET".to_string()];
        for j in 0..100 {
            let value: String = (0..300)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    char::from(b'!' + ((x >> 33) % 90) as u8)
                })
                .collect();
            words.extend([format!("key:{}", batch * 100 + j), value]);
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(net.cmd(i, &words), "+OK\r\n");
    }
}

/// A full sync's snapshot is Redis's RDB child: BGSAVE (even SCHEDULE)
/// and SAVE are refused while it goes out, BGREWRITEAOF is scheduled
/// behind it and INFO counts it as a save in progress; the rewrite starts
/// once the transfer is done.
#[test]
fn a_full_sync_is_a_child_that_saves_and_rewrites_wait_for() {
    let mut net = Net::on_disks(2, "");
    start_sync_by_hand(&mut net);
    assert!(net.info(0, "slave0").contains("state=wait_bgsave"), "the transfer is under way");
    for words in [&["BGSAVE"][..], &["BGSAVE", "SCHEDULE"], &["SAVE"]] {
        assert_eq!(net.cmd(0, words), "-ERR Background save already in progress\r\n", "{words:?}");
    }
    assert_eq!(net.cmd(0, &["BGREWRITEAOF"]), "+Background append only file rewriting scheduled\r\n");
    let persistence = net.cmd(0, &["INFO", "persistence"]);
    for line in ["rdb_bgsave_in_progress:1\r\n", "rdb_current_bgsave_time_sec:0\r\n", "aof_rewrite_scheduled:1\r\n"] {
        assert!(persistence.contains(line), "{line} in {persistence}");
    }
    net.cmd(0, &["APPEND", "key:3999", "+"]);
    net.replica_behind(true);
    net.advance(2000);
    assert!(!net.logged(0, "rewriting started"), "the rewrite waits for the transfer");
    net.replica_behind(false);
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.digest(1), net.digest(0));
    let persistence = net.cmd(0, &["INFO", "persistence"]);
    for line in ["rdb_bgsave_in_progress:0\r\n", "rdb_last_bgsave_time_sec:2\r\n", "aof_rewrite_scheduled:0\r\n"] {
        assert!(persistence.contains(line), "{line} in {persistence}");
    }
    let done = net.log_position(0, "Background RDB transfer terminated with success");
    assert!(net.log_position(0, "Background RDB transfer started by pid") < done);
    assert!(net.log_position(0, "Diskless rdb transfer, done reading from pipe, 1 replicas still up.") < done);
    assert!(done < net.log_position(0, "Streamed RDB transfer with replica 127.0.0.1:7001 succeeded (socket)"));
    assert!(done < net.log_position(0, "Background append only file rewriting started"));
}

/// The other way round: a replica asking while a BGSAVE runs waits for it
/// to end, then gets a snapshot of its own (Redis's replicas wait for the
/// next child); so does a save point that falls due during a transfer.
#[test]
fn a_full_sync_waits_for_a_bgsave_and_a_save_point_for_the_full_sync() {
    let mut net = Net::on_disks(2, "save 1 1\n");
    fill_incompressible(&mut net, 0);
    net.hold_disks();
    assert_eq!(net.cmd(0, &["BGSAVE"]), "+Background saving started\r\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(500);
    assert!(net.logged(0, "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"));
    assert!(!net.logged(0, "Starting BGSAVE for SYNC"));
    net.timers = false;
    net.release_disks();
    net.advance(100);
    assert!(net.logged(0, "Starting BGSAVE for SYNC"), "the sync starts once the save is done");
    assert!(net.log_position(0, "Background saving terminated with success") < net.log_position(0, "Starting BGSAVE"));
    // The transfer is under way (its steps are timers); a write makes the save point due.
    net.cmd(0, &["SET", "during", "sync"]);
    net.replica_behind(true);
    net.advance(2000);
    assert!(!net.logged(0, "changes in 1 seconds. Saving..."), "the save point waits for the transfer");
    net.replica_behind(false);
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.digest(1), net.digest(0));
    let saving = net.log_position(0, "changes in 1 seconds. Saving...");
    assert!(net.log_position(0, "Synchronization with replica 127.0.0.1:7001 succeeded") < saving);
}

/// Without diskless sync, a replica asking while another's snapshot is
/// still being made joins that transfer with the stream held since (Redis
/// attaches it to the BGSAVE under way); in the EOF form it waits for the
/// next one.
#[test]
fn a_replica_joins_a_length_form_transfer_under_way() {
    for (extra, joins) in [("repl-diskless-sync no\n", true), ("", false)] {
        let mut net = Net::new(3, extra);
        fill_incompressible(&mut net, 0);
        net.timers = false;
        net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
        net.advance(100);
        net.replica_behind(true);
        net.cmd(0, &["APPEND", "key:1", "+"]);
        net.cmd(2, &["REPLICAOF", "127.0.0.1", "7000"]);
        net.advance(1000);
        net.replica_behind(false);
        net.cmd(0, &["APPEND", "key:2", "+"]);
        net.timers = true;
        net.advance(2000);
        assert_eq!(net.digest(1), net.digest(0), "{extra}");
        assert_eq!(net.digest(2), net.digest(0), "{extra}");
        let starts = net.logs.iter().filter(|(n, m)| *n == 0 && m.starts_with("Starting BGSAVE for SYNC")).count();
        assert_eq!(starts, if joins { 1 } else { 2 }, "{extra}");
        let waiting = if joins {
            "Waiting for end of BGSAVE for SYNC"
        } else {
            "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC"
        };
        assert!(net.logged(0, waiting), "{extra}");
        assert_eq!(net.info(0, "sync_full"), "2");
    }
}

#[test]
fn the_length_form_serves_replicas_without_diskless_sync() {
    let mut net = Net::new(2, "repl-diskless-sync no\n");
    writes(&mut net, 0, "a");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    assert_eq!(net.digest(1), net.digest(0));
    assert!(net.logged(0, "Starting BGSAVE for SYNC with target: disk"));
    writes(&mut net, 0, "b");
    assert_eq!(net.digest(1), net.digest(0));
}

#[test]
fn a_cut_link_resumes_from_the_backlog_and_an_overflowed_backlog_resyncs_fully() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    writes(&mut net, 0, "one");
    net.cut(1);
    assert_eq!(net.info(1, "master_link_status"), "down");
    writes(&mut net, 0, "two");
    assert_ne!(net.digest(1), net.digest(0), "the replica missed writes");
    net.advance(1500);
    assert_eq!(net.digest(1), net.digest(0));
    assert_eq!(net.info(0, "sync_partial_ok"), "1");
    assert_eq!(net.info(0, "sync_full"), "1");
    assert!(net.logged(1, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."));

    // More than the backlog holds while the link is down: a full resync.
    net.cmd(0, &["CONFIG", "SET", "repl-backlog-size", "16384"]);
    net.cut(1);
    let big = "x".repeat(1000);
    for n in 0..40 {
        net.cmd(0, &["SET", &format!("big{n}"), &big]);
    }
    net.advance(1500);
    assert_eq!(net.digest(1), net.digest(0));
    assert_eq!(net.info(0, "sync_full"), "2");
    assert!(net.logged(0, "for lack of backlog"));
}

#[test]
fn chained_replicas_share_the_masters_history() {
    let mut net = Net::new(3, "");
    writes(&mut net, 0, "a");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.cmd(2, &["REPLICAOF", "127.0.0.1", "7001"]);
    net.advance(1000);
    writes(&mut net, 0, "b");
    let d = net.digest(0);
    assert_eq!(net.digest(1), d);
    assert_eq!(net.digest(2), d);
    net.advance(12_000);
    let offset = net.info(0, "master_repl_offset");
    assert_eq!(net.info(1, "master_repl_offset"), offset);
    assert_eq!(net.info(2, "master_repl_offset"), offset, "the chain passes the stream on byte for byte");
    assert_eq!(net.info(2, "master_replid"), net.info(0, "master_replid"));

    // Promotion: the middle replica becomes a master; its own replica
    // continues with it partially, under the new history.
    net.cmd(1, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(net.info(1, "role"), "master");
    assert_eq!(net.info(1, "master_replid2"), net.info(0, "master_replid"));
    net.advance(1500);
    assert_eq!(net.info(1, "sync_partial_ok"), "1");
    assert_eq!(net.info(2, "master_replid"), net.info(1, "master_replid"));
    assert_eq!(net.cmd(1, &["SET", "promoted", "1"]), "+OK\r\n");
    assert_eq!(net.digest(2), net.digest(1));
}

#[test]
fn replicas_refuse_writes_and_wait_counts_acknowledgements() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    assert_eq!(net.cmd(1, &["SET", "k", "v"]), "-READONLY You can't write against a read only replica.\r\n");
    assert_eq!(net.cmd(1, &["GET", "k"]), "$-1\r\n");
    assert!(net.cmd(1, &["WAIT", "1", "0"]).starts_with("-ERR WAIT cannot be used with replica instances."));

    let c = net.client(0);
    assert_eq!(net.send(0, c, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(net.send(0, c, &["WAIT", "1", "0"]), ":1\r\n", "the GETACK is answered at once here");
    assert_eq!(net.send(0, c, &["WAIT", "2", "500"]), "", "blocked: only one replica");
    net.advance(400);
    assert_eq!(net.take(0, c), "");
    net.advance(200);
    assert_eq!(net.take(0, c), ":1\r\n");
    // A replica that cannot answer holds WAIT until its timeout.
    net.down[1] = true;
    net.cut(1);
    assert_eq!(net.send(0, c, &["SET", "k", "w"]), "+OK\r\n");
    assert_eq!(net.send(0, c, &["WAIT", "1", "300"]), "");
    net.advance(300);
    assert_eq!(net.take(0, c), ":0\r\n");

    // min-replicas-to-write refuses writes without enough good replicas.
    net.cmd(0, &["CONFIG", "SET", "min-replicas-to-write", "1"]);
    assert_eq!(net.cmd(0, &["SET", "k", "x"]), "-NOREPLICAS Not enough good replicas to write.\r\n");
    assert_eq!(net.cmd(0, &["GET", "k"]), "$1\r\nw\r\n");
    net.down[1] = false;
    net.advance(1500);
    assert_eq!(net.cmd(0, &["SET", "k", "x"]), "+OK\r\n");
}

#[test]
fn replicas_do_not_expire_keys_but_hide_them() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.cmd(0, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    net.cmd(0, &["SET", "e", "v", "PX", "500"]);
    net.advance(1000);
    assert_eq!(net.cmd(1, &["GET", "e"]), "$-1\r\n", "logically expired on the replica");
    assert_eq!(net.cmd(1, &["DBSIZE"]), ":1\r\n", "but still there: only the master deletes");
    assert_eq!(net.cmd(0, &["GET", "e"]), "$-1\r\n", "the master expires it on access and sends DEL");
    assert_eq!(net.cmd(1, &["DBSIZE"]), ":0\r\n");
}

#[test]
fn a_replica_reconnects_after_its_master_comes_back() {
    let mut net = Net::new(2, "repl-timeout 5\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.down[0] = true;
    net.cut(0);
    net.advance(3000);
    assert_eq!(net.info(1, "master_link_status"), "down");
    assert!(net.logged(1, "Error condition on socket for SYNC: Connection refused"));
    let attempts = net.logs.iter().filter(|(n, m)| *n == 1 && m == "Connecting to MASTER 127.0.0.1:7000").count();
    assert!(attempts >= 3, "each attempt of the cron is logged as Redis's: {attempts}");
    net.down[0] = false;
    writes(&mut net, 0, "later");
    net.advance(1500);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.digest(1), net.digest(0));
}

#[test]
fn failover_hands_the_role_to_a_synced_replica_without_losing_a_write() {
    let mut net = Net::new(3, "");
    assert_eq!(net.cmd(0, &["FAILOVER"]), "-ERR FAILOVER requires connected replicas.\r\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.cmd(2, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    writes(&mut net, 0, "before");
    assert_eq!(
        net.cmd(0, &["FAILOVER", "TO", "127.0.0.1", "7009"]),
        "-ERR FAILOVER target HOST and PORT is not a replica.\r\n"
    );
    assert_eq!(
        net.cmd(0, &["FAILOVER", "FORCE"]),
        "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n"
    );
    assert_eq!(net.cmd(1, &["FAILOVER"]), "-ERR FAILOVER is not valid when server is a replica.\r\n");
    assert_eq!(net.cmd(0, &["FAILOVER", "ABORT"]), "-ERR No failover in progress.\r\n");

    assert_eq!(net.cmd(0, &["FAILOVER", "TO", "127.0.0.1", "7002", "TIMEOUT", "5000"]), "+OK\r\n");
    assert_eq!(net.cmd(0, &["FAILOVER"]), "-ERR FAILOVER already in progress.\r\n");
    // A write during the failover waits, then runs on the old master now a
    // replica... which refuses it: the client must go to the new master.
    let c = net.client(0);
    assert_eq!(net.send(0, c, &["SET", "during", "1"]), "", "writes are paused");
    net.advance(1500);
    assert_eq!(net.info(2, "role"), "master");
    assert_eq!(net.info(0, "role"), "slave");
    assert_eq!(net.info(0, "master_link_status"), "up");
    assert_eq!(net.info(0, "master_failover_state"), "no-failover");
    assert_eq!(net.take(0, c), "-READONLY You can't write against a read only replica.\r\n");
    assert!(net.logged(0, "Failover target 127.0.0.1:7002 is synced, failing over."));
    assert!(net.logged(2, "MASTER MODE enabled (failover request from"));
    assert!(net.logged(0, "Successful partial resynchronization with master."), "no snapshot was needed");
    // Every node ends with the same data, and the new master takes writes.
    assert_eq!(net.cmd(2, &["SET", "after", "1"]), "+OK\r\n");
    net.advance(1500);
    let d = net.digest(2);
    assert_eq!(net.digest(0), d);
    assert_eq!(net.digest(1), d, "the other replica follows the old master, now a replica");
}

#[test]
fn a_failover_that_cannot_catch_up_is_aborted_and_writes_resume() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    // The replica stops acknowledging: its link is silent, not closed.
    net.down[1] = true;
    net.silence();
    assert_eq!(net.cmd(0, &["SET", "k", "1"]), "+OK\r\n", "a write before the failover");
    assert_eq!(net.cmd(0, &["FAILOVER", "TIMEOUT", "500"]), "+OK\r\n");
    assert_eq!(net.info(0, "master_failover_state"), "waiting-for-sync");
    let c = net.client(0);
    assert_eq!(net.send(0, c, &["SET", "k", "2"]), "");
    net.advance(600);
    assert!(net.logged(0, "FAILOVER to any replica aborted: Replica never caught up before timeout"));
    assert_eq!(net.take(0, c), "+OK\r\n", "the paused write ran once the failover was aborted");
    assert_eq!(net.info(0, "role"), "master");
}

#[test]
fn client_list_and_kill_know_replicas_and_the_master_link() {
    let mut net = Net::new(2, "");
    let blocked = net.client(1);
    assert_eq!(net.send(1, blocked, &["BLPOP", "q", "0"]), "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    assert_eq!(
        net.take(1, blocked),
        "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
    );
    net.advance(1000);
    let list = net.cmd(0, &["CLIENT", "LIST", "TYPE", "replica"]);
    assert_eq!(list.matches("flags=S ").count(), 1, "{list}");
    assert_eq!(net.cmd(1, &["CLIENT", "KILL", "TYPE", "master"]), ":1\r\n");
    // As Redis's, the replica reconnects at once and continues from the backlog.
    let lost = net.log_position(1, "Connection with master lost.");
    assert!(lost < net.log_position(1, "Reconnecting to MASTER 127.0.0.1:7000"));
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.info(0, "sync_partial_ok"), "1");
    // Killed from the master's side: the replica finds its link gone and
    // is back at once.
    assert_eq!(net.cmd(0, &["CLIENT", "KILL", "TYPE", "slave"]), ":1\r\n");
    assert_eq!(net.info(0, "connected_slaves"), "1");
    assert_eq!(net.info(0, "sync_partial_ok"), "2", "both reconnections continued from the backlog");
}

#[test]
fn a_restarted_replica_continues_from_the_history_its_rdb_file_recorded() {
    let mut net = Net::on_disks(2, "save \"\"\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    writes(&mut net, 0, "a");
    assert_eq!(net.cmd(1, &["SAVE"]), "+OK\r\n");
    writes(&mut net, 0, "b");
    restart_and_continue(&mut net);
    // As Redis logs it at startup: after the load (and once before, at REPLICAOF on a master).
    let last = |text: &str| net.logs.iter().rposition(|(n, m)| *n == 1 && m.contains(text)).expect(text);
    assert!(last("DB loaded from disk") < last("Before turning into a replica, using my own master parameters"));
}

/// Node 1 dies and starts again as node 0's replica: it must come back with
/// node 0's history from its dump.rdb and continue it with a partial resync
/// (node 0 served it one full sync before).
fn restart_and_continue(net: &mut Net) {
    net.restart(1, "replicaof 127.0.0.1 7000\n");
    assert_eq!(net.info(1, "master_replid"), net.info(0, "master_replid"), "the history came back from dump.rdb");
    net.advance(1500);
    assert_eq!(net.info(0, "sync_partial_ok"), "1", "it continued from the file's offset");
    assert_eq!(net.info(0, "sync_full"), "1");
    assert_eq!(net.digest(1), net.digest(0));
}

#[test]
fn a_replica_with_an_aof_rewrites_it_from_the_masters_snapshot() {
    let mut net = Net::on_disks(2, "appendonly yes\nsave \"\"\n");
    net.cmd(1, &["SET", "stale", "replica's own"]);
    writes(&mut net, 0, "a");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    writes(&mut net, 0, "b");
    let digest = net.digest(0);
    assert_eq!(net.digest(1), digest);
    // What the replica's AOF holds after a restart is the master's data.
    net.restart(1, "");
    assert_eq!(net.digest(1), digest);
    assert_eq!(net.cmd(1, &["EXISTS", "stale"]), ":0\r\n");
}

#[test]
fn shutdown_waits_for_lagging_replicas_up_to_its_timeout() {
    let mut net = Net::new(2, "shutdown-timeout 2\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    // The replica goes silent: the master's writes reach it no more.
    net.silence();
    net.cmd(0, &["SET", "k", "v"]);
    let c = net.client(0);
    assert_eq!(net.send(0, c, &["SHUTDOWN", "NOSAVE"]), "", "waits for the replica");
    assert!(net.logged(0, "Waiting for replicas before shutting down."));
    assert_eq!(net.cmd(0, &["SHUTDOWN", "ABORT"]), "+OK\r\n");
    assert_eq!(net.take(0, c), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    assert!(!net.nodes[0].is_shutting_down());

    assert_eq!(net.send(0, c, &["SHUTDOWN", "NOSAVE"]), "");
    net.advance(1500);
    assert!(!net.nodes[0].is_shutting_down(), "still within shutdown-timeout");
    net.advance(1000);
    assert!(net.logged(0, "Lagging replica 127.0.0.1:7001 reported offset"));
    assert!(net.nodes[0].is_shutting_down());
}

#[test]
fn shutdown_with_caught_up_replicas_or_now_does_not_wait() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.cmd(0, &["SET", "k", "v"]);
    net.advance(2000);
    let c = net.client(0);
    net.send(0, c, &["SHUTDOWN", "NOSAVE"]);
    assert!(net.nodes[0].is_shutting_down());
    assert!(!net.logged(0, "Waiting for replicas before shutting down."));

    // NOW never waits, even for a lagging replica.
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.silence();
    net.cmd(0, &["SET", "k", "v"]);
    assert_eq!(net.info(0, "connected_slaves"), "1", "a lagging replica is still connected");
    let c = net.client(0);
    net.send(0, c, &["SHUTDOWN", "NOW", "NOSAVE"]);
    assert!(net.nodes[0].is_shutting_down());
}

#[test]
fn a_transaction_that_selects_inside_runs_each_command_in_its_database() {
    let mut net = Net::on_disks(2, "appendonly yes\nsave \"\"\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    let c = net.client(0);
    for w in [
        vec!["SELECT", "1"],
        vec!["MULTI"],
        vec!["INCR", "n"],
        vec!["HSET", "h", "f", "v"],
        vec!["SELECT", "5"],
        vec!["SADD", "s", "x"],
        vec!["EXEC"],
    ] {
        net.send(0, c, &w);
    }
    let d = net.digest(0);
    assert_eq!(net.digest(1), d);
    let r = net.client(1);
    net.send(1, r, &["SELECT", "1"]);
    assert_eq!(net.send(1, r, &["EXISTS", "n", "h", "s"]), ":2\r\n");
    // The replica's AOF records the same databases.
    net.restart(1, "");
    assert_eq!(net.digest(1), d);
}

#[test]
fn the_stream_database_survives_a_partial_resync_and_a_chained_snapshot() {
    let mut net = Net::new(3, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    let c = net.client(0);
    net.send(0, c, &["SELECT", "3"]);
    net.send(0, c, &["SET", "a", "1"]);
    // The link breaks; the master's stream stays in db 3 and sends no SELECT.
    net.cut(1);
    net.send(0, c, &["SET", "b", "2"]);
    net.advance(1500);
    assert_eq!(net.info(0, "sync_partial_ok"), "1");
    net.send(0, c, &["SET", "c", "3"]);
    assert_eq!(net.digest(1), net.digest(0));
    // A replica of the replica gets a snapshot while the stream is in db 3.
    net.cmd(2, &["REPLICAOF", "127.0.0.1", "7001"]);
    net.advance(1000);
    net.send(0, c, &["SET", "d", "4"]);
    let d = net.digest(0);
    assert_eq!(net.digest(1), d);
    assert_eq!(net.digest(2), d);
}

/// The cron's upkeep that is not expiry (freeing what UNLINK and FLUSHALL
/// ASYNC handed over, rehashing and shrinking tables) runs on replicas and
/// with active expiry switched off, as Redis's lazyfree thread and
/// databasesCron do: an idle replica gives the memory back too.
#[test]
fn replicas_and_masters_without_active_expiry_still_free_lazily_deleted_values() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.cmd(0, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    // A table too large to free within one command's share: left to the cron.
    let mut hset = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..20_000 {
        hset.extend([format!("f{i}"), "v".to_string()]);
    }
    let words: Vec<&str> = hset.iter().map(String::as_str).collect();
    assert_eq!(net.cmd(0, &words), ":20000\r\n");
    net.advance(100);
    assert_eq!(net.cmd(1, &["HLEN", "big"]), ":20000\r\n");
    let pending = |net: &mut Net, i: usize| {
        let text = net.cmd(i, &["INFO", "memory"]);
        text.lines().find_map(|l| l.strip_prefix("lazyfree_pending_objects:")).expect("INFO memory").trim().to_string()
    };
    assert_eq!(net.cmd(0, &["UNLINK", "big"]), ":1\r\n");
    assert_eq!(pending(&mut net, 0), "1", "queued on the master");
    net.advance(1000);
    assert_eq!(net.cmd(1, &["EXISTS", "big"]), ":0\r\n");
    assert_eq!(pending(&mut net, 0), "0", "freed by the master's cron");
    assert_eq!(pending(&mut net, 1), "0", "freed by the replica's cron");
}

/// PSYNC behind a reply not yet written (here: pipelined after REPLCONF in
/// one read) is refused as Redis refuses it: the replica's output must
/// start with the snapshot. Read in turn, the same requests sync.
#[test]
fn psync_with_replies_pending_is_refused() {
    let mut net = Net::new(1, "");
    let c = net.client(0);
    let mut both = request(&["REPLCONF", "capa", "eof"]);
    both.extend(request(&["PSYNC", "?", "-1"]));
    net.nodes[0].client_bytes(c, &both, net.now);
    net.pump();
    assert_eq!(net.take(0, c), "+OK\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n");
    assert_eq!(net.send(0, c, &["PSYNC", "?", "-1"]).split(' ').next(), Some("+FULLRESYNC"));
}

/// A replica loads its master's snapshot a step at a time and answers
/// `-LOADING` meanwhile, as Redis does between chunks of its load; commands
/// flagged `loading` (INFO) still answer. Writes the master takes during
/// the load reach the replica after it.
#[test]
fn a_replica_answers_loading_while_it_loads_the_snapshot() {
    let mut net = Net::new(2, "");
    start_sync_by_hand(&mut net);
    net.until_replica_loads();
    assert_eq!(net.cmd(1, &["GET", "key:1"]), "-LOADING Redis is loading the dataset in memory\r\n");
    let info = net.cmd(1, &["INFO", "persistence"]);
    let total = info.lines().find_map(|l| l.strip_prefix("loading_total_bytes:")).map(str::to_string);
    assert!(total.is_some_and(|t| t.parse::<u64>().unwrap() > 1_000_000), "{info}");
    assert_eq!(net.info(1, "master_sync_in_progress"), "1");
    assert_eq!(net.cmd(1, &["ROLE"]).split("\r\n").nth(7), Some("sync"));
    net.cmd(0, &["SET", "during", "load"]);
    let steps = (0..100)
        .take_while(|_| {
            net.nodes[1].run_due_timers(net.now) && {
                net.pump();
                true
            }
        })
        .count();
    assert!(steps >= 2, "read, then insert: {steps} steps");
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.cmd(1, &["GET", "during"]), "$4\r\nload\r\n");
    assert_eq!(net.digest(1), net.digest(0));
}

/// A link cut while the replica loads its (complete) snapshot: as Redis,
/// which does not read the link while it loads, the load finishes, then the
/// replica finds the link gone and continues the new history with a
/// partial resync.
#[test]
fn a_link_cut_during_the_load_is_found_once_the_load_is_done() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.full_sync_to_loading(net.now + 1000);
    assert_eq!(net.info(0, "sync_full"), "2");
    net.nodes[1].timers(net.now);
    net.pump();
    net.cut(1);
    assert!(net.cmd(1, &["INFO", "persistence"]).contains("loading:1"), "the load goes on");
    net.timers = true;
    net.advance(3000);
    let done = net.log_position(1, "MASTER <-> REPLICA sync: Finished with success");
    let lost = net.logs.iter().rposition(|(n, m)| *n == 1 && m == "Connection with master lost.").expect("lost");
    assert!(done < lost, "the link is found gone once loaded");
    assert_eq!(net.info(0, "sync_full"), "2");
    assert_eq!(net.info(0, "sync_partial_ok"), "1", "it continues the history it loaded");
    assert_eq!(net.digest(1), net.digest(0));
}

/// While a replica loads its master's snapshot, its save points wait (a
/// file of a half-replaced dataset would name the old history) and
/// SHUTDOWN does not save, as Redis neither saves nor runs its cron while
/// it loads. The save point runs once the load is done.
#[test]
fn a_replica_saves_nothing_while_it_loads_a_snapshot() {
    let mut net = Net::on_disks(2, "save 5 1\n");
    let t0 = net.now;
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    writes(&mut net, 0, "a");
    assert_eq!(net.digest(1), net.digest(0), "the replica has changes it did not save");
    net.full_sync_to_loading(t0 + 1500);
    // The save point is due: one load step, then the cron.
    net.now = t0 + 7000;
    net.nodes[1].tick(net.now);
    net.pump();
    assert!(net.cmd(1, &["INFO", "persistence"]).contains("loading:1"), "still loading");
    assert!(!net.logged(1, "Saving..."), "no save while loading");
    net.timers = true;
    net.advance(2000);
    assert!(net.log_position(1, "MASTER <-> REPLICA sync: Finished with success") < net.log_position(1, "Saving..."));
    assert_eq!(net.digest(1), net.digest(0));

    // A SHUTDOWN in the middle of the next load exits without saving.
    net.full_sync_to_loading(net.now + 1000);
    // Decided when SHUTDOWN arrives; the timers only let it finish.
    net.timers = true;
    net.cmd(1, &["SHUTDOWN"]);
    net.advance(500);
    assert!(net.nodes[1].is_shutting_down());
    assert!(!net.logged(1, "Saving the final RDB snapshot before exiting."));
}

/// FLUSHALL kills Redis's RDB child: a transfer under way stops, its
/// replica's sync fails and it comes back for the emptied dataset; a
/// BGSAVE under way stops too, with or without save points.
#[test]
fn flushall_kills_the_transfer_or_bgsave_under_way() {
    let mut net = Net::new(2, "");
    start_sync_by_hand(&mut net);
    net.replica_behind(true);
    assert_eq!(net.cmd(0, &["FLUSHALL"]), "+OK\r\n");
    assert!(net.logged(0, "Background transfer terminated by signal 10"));
    assert!(net.logged(0, "SYNC failed. BGSAVE child returned an error"));
    net.timers = true;
    net.advance(3000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.cmd(1, &["DBSIZE"]), ":0\r\n");
    assert_eq!(net.info(0, "sync_full"), "2");

    let mut net = Net::on_disks(1, "save \"\"\n");
    fill_incompressible(&mut net, 0);
    net.hold_disks();
    assert_eq!(net.cmd(0, &["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(net.cmd(0, &["FLUSHALL"]), "+OK\r\n");
    assert!(net.logged(0, "Background saving terminated by signal 10"));
    net.release_disks();
    assert!(!net.logged(0, "DB saved on disk"), "the flushed data is not saved");
}

/// A length-form payload already made is only being sent: as when Redis's
/// parent sends the file its child wrote, no child runs, so a BGSAVE
/// starts and FLUSHALL leaves the sending alone (the replica then gets
/// the FLUSHALL in the stream).
#[test]
fn a_length_form_payload_being_sent_is_no_child() {
    let mut net = Net::on_disks(2, "repl-diskless-sync no\nsave \"\"\n");
    start_sync_by_hand(&mut net);
    let mut turns = 0;
    while net.cmd(0, &["INFO", "persistence"]).contains("rdb_bgsave_in_progress:1") {
        net.nodes[0].timers(net.now);
        net.pump();
        turns += 1;
        assert!(turns < 1000, "the payload is never made");
    }
    assert!(net.info(0, "slave0").contains("state=wait_bgsave"), "still sending");
    net.replica_behind(true);
    net.hold_disks();
    assert_eq!(net.cmd(0, &["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(net.cmd(0, &["FLUSHALL"]), "+OK\r\n");
    assert!(net.logged(0, "Background saving terminated by signal 10"), "the BGSAVE is the child");
    assert!(!net.logged(0, "SYNC failed"), "the sending goes on");
    net.release_disks();
    net.replica_behind(false);
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    assert_eq!(net.cmd(1, &["DBSIZE"]), ":0\r\n");
    assert_eq!(net.info(0, "sync_full"), "1");
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_snapshot_that_does_not_load_leaves_the_replica_empty_until_the_next_sync() {
    for (disks, source) in [(true, "disk"), (false, "socket")] {
        let mut net = if disks { Net::on_disks(2, "save \"\"\n") } else { Net::new(2, "") };
        writes(&mut net, 0, "a");
        net.cmd(1, &["SET", "mine", "1"]);
        net.break_next_snapshot = true;
        net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
        let expected = format!("Failed trying to load the MASTER synchronization DB from {source}: ");
        for _ in 0..20 {
            if net.logged(1, &expected) {
                break;
            }
            net.advance(10);
        }
        assert!(net.logged(1, &expected), "{:?}", net.logs);
        assert!(
            net.log_position(1, &expected) < net.log_position(1, "Reconnecting to MASTER 127.0.0.1:7000 after failure")
        );
        // Redis flushed its old data before the load that failed.
        assert_eq!(net.cmd(1, &["DBSIZE"]), ":0\r\n", "{source}");
        net.down[0] = false;
        net.advance(2000);
        assert_eq!(net.digest(1), net.digest(0), "{source}: the next sync succeeds");
    }
}

/// `replica-lazy-flush yes`: the dataset a full sync replaces is freed in
/// the background (INFO `lazyfree_pending_objects` counts its keys), as
/// Redis's replica empties it with EMPTYDB_ASYNC; by default at once.
#[test]
fn replica_lazy_flush_frees_the_old_dataset_in_the_background() {
    for lazy in [true, false] {
        let mut net = Net::new(2, if lazy { "replica-lazy-flush yes\n" } else { "" });
        for i in 0..100 {
            net.cmd(1, &["SET", &format!("mine:{i}"), "v"]);
        }
        start_sync_by_hand(&mut net);
        net.until_replica_loads();
        net.nodes[1].timers(net.now);
        net.pump();
        assert!(net.logged(1, "MASTER <-> REPLICA sync: Flushing old data"));
        let info = net.cmd(1, &["INFO", "memory"]);
        let pending = if lazy { "lazyfree_pending_objects:100\r\n" } else { "lazyfree_pending_objects:0\r\n" };
        assert!(info.contains(pending), "lazy {lazy}: {info}");
        net.timers = true;
        net.advance(2000);
        assert!(net.cmd(1, &["INFO", "memory"]).contains("lazyfree_pending_objects:0\r\n"));
        assert_eq!(net.digest(1), net.digest(0));
    }
}

/// A snapshot for the socket (no sync file) is a load from its first byte
/// in Redis, whose parser reads the socket: while it arrives the replica
/// answers `-LOADING` and says `loading:1`, although redsim gathers the
/// bytes before its load steps begin.
#[test]
fn a_replica_loads_from_the_first_byte_of_a_snapshot_for_the_socket() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["SET", "mine", "1"]);
    start_sync_by_hand(&mut net);
    let mut arriving = false;
    for _ in 0..100 {
        net.nodes[0].timers(net.now);
        net.pump();
        if net.cmd(1, &["INFO", "persistence"]).contains("\r\nloading:1\r\n") {
            arriving = true;
            break;
        }
    }
    assert!(arriving, "the replica never said it loads");
    assert!(net.nodes[1].snapshot_load_timer().is_none(), "still arriving: no load step yet");
    assert!(net.cmd(1, &["GET", "mine"]).starts_with("-LOADING"));
    assert_eq!(net.info(1, "master_sync_in_progress"), "1");
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.digest(1), net.digest(0));
}

/// `repl-diskless-load swapdb` and a full sync of the history the replica
/// already follows (its partial resync failed: same replication ID): the
/// snapshot loads beside the dataset, which clients go on reading (INFO
/// `async_loading:1`; only `no-async-loading` commands such as BGSAVE get
/// `-LOADING`), and is swapped in at the end with Redis 7's lines.
#[test]
fn a_swapdb_load_of_the_same_history_serves_the_old_dataset_meanwhile() {
    let mut net = Net::new(2, "repl-diskless-load swapdb\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.cmd(0, &["SET", "marker", "old"]);
    net.advance(200);
    assert_eq!(net.cmd(1, &["GET", "marker"]), "$3\r\nold\r\n");
    let from = net.logs.len();
    net.cut(1);
    fill_incompressible(&mut net, 0);
    net.cmd(0, &["SET", "marker", "new"]);
    net.timers = false;
    net.now += 1000;
    net.isolated.fill(false);
    net.nodes[1].tick(net.now);
    net.pump();
    net.until_replica_loads();
    assert_eq!(net.info(0, "sync_full"), "2", "the partial resync failed");
    let info = net.cmd(1, &["INFO", "persistence"]);
    assert!(info.contains("\r\nloading:0\r\n") && info.contains("\r\nasync_loading:1\r\n"), "{info}");
    assert!(info.contains("loading_total_bytes:"), "the load's progress is shown: {info}");
    assert_eq!(net.cmd(1, &["GET", "marker"]), "$3\r\nold\r\n", "the old dataset is served");
    assert_eq!(net.cmd(1, &["DBSIZE"]), ":1\r\n");
    assert!(net.cmd(1, &["BGSAVE"]).starts_with("-LOADING"));
    assert!(net.cmd(1, &["REPLICAOF", "NO", "ONE"]).starts_with("-LOADING"));
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.cmd(1, &["GET", "marker"]), "$3\r\nnew\r\n");
    assert!(net.cmd(1, &["INFO", "persistence"]).contains("\r\nasync_loading:0\r\n"));
    assert_eq!(net.digest(1), net.digest(0));
    net.assert_logged_in_order(
        1,
        from,
        &[
            "MASTER <-> REPLICA sync: Loading DB in memory",
            "Done loading RDB, keys loaded: 4001",
            "Discarding previously cached master state.",
            "MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
            "MASTER <-> REPLICA sync: Discarding old DB in background",
            "MASTER <-> REPLICA sync: Finished with success",
        ],
    );
    assert!(!net.logs[from..].iter().any(|(n, m)| *n == 1 && m.contains("Flushing old data")));
}

/// `swapdb` with a snapshot of another history (a node that was a master
/// turns replica): its own data is no earlier point of the master's, so
/// clients get `-LOADING` as with the other settings; but a snapshot that
/// does not load leaves that data in place (the load went to a second
/// dataset), where the other settings leave the replica empty.
#[test]
fn a_swapdb_load_of_another_history_answers_loading_and_keeps_the_data_if_it_fails() {
    let mut net = Net::new(2, "repl-diskless-load swapdb\n");
    writes(&mut net, 0, "a");
    net.cmd(1, &["SET", "mine", "1"]);
    net.break_next_snapshot = true;
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    let failed = "Failed trying to load the MASTER synchronization DB from socket: ";
    for _ in 0..20 {
        if net.logged(1, failed) {
            break;
        }
        net.advance(10);
    }
    net.assert_logged_in_order(
        1,
        0,
        &[failed, "Reconnecting to MASTER 127.0.0.1:7000 after failure", "Discarding temporary DB in background"],
    );
    assert_eq!(net.cmd(1, &["GET", "mine"]), "$1\r\n1\r\n", "the replica's own data stays");
    assert!(!net.logged(1, "Flushing old data"));

    net.down[0] = false;
    net.timers = false;
    net.now += 1000;
    net.nodes[1].tick(net.now);
    net.pump();
    net.until_replica_loads();
    let info = net.cmd(1, &["INFO", "persistence"]);
    assert!(info.contains("\r\nloading:1\r\n") && info.contains("\r\nasync_loading:0\r\n"), "{info}");
    assert!(net.cmd(1, &["GET", "mine"]).starts_with("-LOADING"));
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.cmd(1, &["GET", "mine"]), "$-1\r\n", "the master's dataset took its place");
    assert_eq!(net.digest(1), net.digest(0));
}

/// INFO's `master_sync_*` figures while a replica loads its master's
/// snapshot, as Redis's: loaded from a file, the bytes written to it (the
/// EOF mark included) against a size of 0 for an EOF-marked snapshot, so
/// that `left` goes negative; loaded from the socket, none read that way.
#[test]
fn the_sync_figures_while_loading_count_what_went_to_the_file() {
    for disks in [true, false] {
        let mut net = if disks { Net::on_disks(2, "save \"\"\n") } else { Net::new(2, "") };
        net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
        net.advance(1000);
        net.full_sync_to_loading(net.now + 1000);
        let read: i64 = net.info(1, "master_sync_read_bytes").parse().unwrap();
        assert_eq!(net.info(1, "master_sync_total_bytes"), "0");
        assert_eq!(net.info(1, "master_sync_left_bytes"), (-read).to_string());
        assert_eq!(net.info(1, "master_sync_perc"), "0.00");
        assert_eq!(read > 1_000_000, disks, "{read} bytes read into the file");
    }
}

/// `REPLCONF rdb-filter-only ""` (what `redis-cli --replica` sends) asks
/// for a snapshot without the keys, as Redis 7 makes it: the header's
/// fields only, for the socket. Filters other than `functions` are refused,
/// and so is a filtered SYNC without the EOF capability.
#[test]
fn a_filtered_replica_gets_a_snapshot_without_keys() {
    let mut net = Net::new(1, "");
    net.cmd(0, &["SET", "the-key", "the-value"]);
    let snapshot = |net: &mut Net, filter: bool| {
        let c = net.client(0);
        if filter {
            let refused = net.send(0, c, &["REPLCONF", "rdb-filter-only", "functions x"]);
            assert_eq!(refused, "-ERR Unsupported rdb-filter-only option: x\r\n");
            assert_eq!(net.send(0, c, &["REPLCONF", "rdb-filter-only", ""]), "+OK\r\n");
            assert_eq!(net.send(0, c, &["SYNC"]), "-ERR Filtered replica requires EOF capability\r\n");
        }
        assert_eq!(net.send(0, c, &["REPLCONF", "capa", "eof"]), "+OK\r\n");
        let mut out = net.send(0, c, &["SYNC"]);
        net.advance(200);
        out.push_str(&net.take(0, c));
        assert!(out.starts_with("$EOF:") && out.contains("REDIS0010"), "{out:?}");
        net.nodes[0].client_closed(c, net.now);
        net.pump();
        out
    };
    let whole = snapshot(&mut net, false);
    let filtered = snapshot(&mut net, true);
    assert!(whole.contains("the-key"));
    assert!(!filtered.contains("the-key") && filtered.contains("repl-id"), "{filtered:?}");
}

/// CLIENT KILL frees a replica at once, as Redis frees a killed client:
/// the writes that follow it in the same transaction are not sent on the
/// dead link, and the replica asks for them when it comes back.
#[test]
fn a_replica_killed_inside_a_transaction_misses_its_writes() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    let from = net.logs.len();
    let c = net.client(0);
    for words in [&["MULTI"][..], &["CLIENT", "KILL", "TYPE", "replica"], &["SET", "k", "v"]] {
        net.send(0, c, words);
    }
    assert_eq!(net.send(0, c, &["EXEC"]), "*2\r\n:1\r\n+OK\r\n");
    net.advance(1000);
    let resync = net.logs[from..]
        .iter()
        .find(|(n, m)| *n == 0 && m.starts_with("Partial resynchronization request from"))
        .map(|(_, m)| m.clone())
        .expect("the replica came back");
    assert!(!resync.contains("Sending 0 bytes"), "the SET was not sent before the kill: {resync}");
    assert_eq!(net.cmd(1, &["GET", "k"]), "$1\r\nv\r\n");
}

/// The disk of node `i` in a [`Net::on_disks`] network.
fn disk(net: &mut Net, i: usize) -> &mut MemStorage {
    net.disks[i].as_mut().expect("the nodes run on disks")
}

#[test]
fn a_replica_keeps_its_masters_snapshot_on_disk_and_continues_from_it_after_a_crash() {
    let mut net = Net::on_disks(2, "save \"\"\n");
    writes(&mut net, 0, "a");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    assert!(net.logged(1, "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"));
    assert!(net.logged(1, "Loading RDB produced by version 7.0.15"));
    assert!(net.logged(1, "Done loading RDB, keys loaded: 9, keys expired: 0."));
    // Written to a temp file, made durable, renamed over dbfilename, the
    // directory made durable: Redis's order, before the load.
    let ops: Vec<String> = disk(&mut net, 1).log.iter().map(|(k, p)| format!("{k:?} {p}")).collect();
    let at =
        |prefix: &str| ops.iter().position(|o| o.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {ops:?}"));
    assert!(ops[at("Create temp-")].ends_with(".0.rdb"), "temp-<unixtime>.<pid>.rdb: {ops:?}");
    assert!(at("Create temp-") < at("Write temp-"));
    assert!(at("Write temp-") < at("Fsync temp-"));
    assert!(at("Fsync temp-") < at("Rename temp-"));
    assert!(at("Rename temp-") < at("Fsync ."));
    assert!(disk(&mut net, 1).paths().iter().all(|p| !p.starts_with("temp-")), "{:?}", disk(&mut net, 1).paths());
    assert_eq!(net.digest(1), net.digest(0));

    // The replica never saves (no save points); it dies losing what it had
    // not fsynced, and comes back with the synced file and its history.
    writes(&mut net, 0, "b");
    disk(&mut net, 1).crash();
    restart_and_continue(&mut net);
}

#[test]
fn on_empty_db_loads_from_disk_only_a_replica_with_data() {
    for (own_key, to) in [(false, "to parser"), (true, "to disk")] {
        let mut net = Net::on_disks(2, "save \"\"\nrepl-diskless-load on-empty-db\n");
        writes(&mut net, 0, "a");
        if own_key {
            net.cmd(1, &["SET", "mine", "1"]);
        }
        net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
        net.advance(1000);
        assert!(net.logged(1, &format!("receiving streamed RDB from master with EOF {to}")), "{own_key}");
        assert_eq!(disk(&mut net, 1).file("dump.rdb").is_some(), own_key);
        assert_eq!(net.digest(1), net.digest(0));
    }
}

#[test]
fn a_sync_file_the_disk_refuses_cancels_the_sync_and_the_next_one_succeeds() {
    use crate::node::persistence::mem_storage::OpKind;
    use crate::node::persistence::StorageError;
    let cases = [
        (
            OpKind::Create,
            "Opening the temp file needed for MASTER <-> REPLICA synchronization: No space left on device",
        ),
        (
            OpKind::Write,
            "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: \
             No space left on device",
        ),
        (
            OpKind::Fsync,
            "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: No space left on device",
        ),
        (
            OpKind::Rename,
            "Failed trying to rename the temp DB into dump.rdb in MASTER <-> REPLICA synchronization: No space left \
             on device",
        ),
    ];
    for (kind, message) in cases {
        let mut net = Net::on_disks(2, "save \"\"\n");
        writes(&mut net, 0, "a");
        net.cmd(1, &["SET", "mine", "1"]);
        disk(&mut net, 1).fail(kind, "temp-", StorageError::NoSpace, Some(1));
        net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
        net.advance(2000);
        let done = "MASTER <-> REPLICA sync: Finished with success";
        assert!(net.log_position(1, message) < net.log_position(1, done), "{kind:?}: failed, then synced");
        assert_eq!(net.logs.iter().filter(|(n, m)| *n == 1 && m.contains("sync started")).count(), 2, "{kind:?}");
        assert_eq!(net.digest(1), net.digest(0), "{kind:?}");
        assert_eq!(net.cmd(1, &["EXISTS", "mine"]), ":0\r\n");
        let paths = disk(&mut net, 1).paths();
        assert!(paths.iter().all(|p| !p.starts_with("temp-")), "{kind:?}: the temp files are removed: {paths:?}");
    }
}

#[test]
fn a_bgsave_of_the_replica_is_killed_when_the_snapshot_load_begins() {
    let mut net = Net::on_disks(2, "save \"\"\n");
    writes(&mut net, 0, "a");
    net.cmd(1, &["SET", "mine", "1"]);
    net.hold_disks();
    assert_eq!(net.cmd(1, &["BGSAVE"]), "+Background saving started\r\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(200);
    assert!(net.logged(
        1,
        "Replica is about to load the RDB file received from the master, but there is a pending RDB child running. \
         Killing process 0 and removing its temp file to avoid any race"
    ));
    assert!(net.logged(1, "Background saving terminated by signal 10"));
    net.release_disks();
    net.advance(1000);
    assert_eq!(net.digest(1), net.digest(0));
    assert!(disk(&mut net, 1).file("temp-0.rdb").is_none(), "the save's temp file is gone");
    // What dump.rdb holds is the master's snapshot, not the killed save's.
    net.restart(1, "");
    assert_eq!(net.cmd(1, &["EXISTS", "mine"]), ":0\r\n");
    assert_eq!(net.digest(1), net.digest(0));
}

/// SHUTDOWN as Redis's `finishShutdown`: the replicas are accounted for
/// (one mid-sync has acknowledged nothing: lag 0, its state named), then
/// the full sync's child is killed.
#[test]
fn shutdown_accounts_for_the_replicas_and_kills_a_full_syncs_child() {
    let mut net = Net::on_disks(2, "");
    start_sync_by_hand(&mut net);
    assert!(net.info(0, "slave0").contains("state=wait_bgsave"), "the transfer is under way");
    let behind = net.info(0, "master_repl_offset");
    assert_ne!(behind, "0", "the master pinged its replica");
    let c = net.client(0);
    net.send(0, c, &["SHUTDOWN", "NOW", "NOSAVE"]);
    assert!(net.nodes[0].is_shutting_down());
    let requested = net.log_position(0, "User requested shutdown...");
    let lagging =
        format!("Lagging replica 127.0.0.1:7001 reported offset {behind} behind master, lag=0, state=wait_bgsave.");
    let lagging = net.log_position(0, &lagging);
    let in_sync = net.log_position(0, "0 of 1 replicas are in sync when shutting down.");
    let killed = net.log_position(0, "There is a child saving an .rdb. Killing it!");
    assert!(requested < lagging && lagging < in_sync && in_sync < killed);
    assert!(!net.logged(0, "terminated by signal"), "the process exits before it would reap the child");

    // A lagging online replica: Redis's line says how far behind, and for how long.
    let mut net = Net::new(2, "shutdown-timeout 1\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.silence();
    net.cmd(0, &["SET", "k", "v"]);
    let behind = net.info(0, "master_repl_offset").parse::<u64>().unwrap()
        - net.info(0, "slave0").split("offset=").nth(1).unwrap().split(',').next().unwrap().parse::<u64>().unwrap();
    let c = net.client(0);
    net.send(0, c, &["SHUTDOWN", "NOSAVE"]);
    net.advance(1500);
    assert!(net.log_position(0, "User requested shutdown...") < net.log_position(0, "Waiting for replicas"));
    // The shutdown sent a REPLCONF GETACK * (37 bytes) the replica never
    // acknowledged; its last ACK came two clock seconds before the end.
    let behind = behind + "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".len() as u64;
    let lagging =
        format!("Lagging replica 127.0.0.1:7001 reported offset {behind} behind master, lag=2, state=online.");
    assert!(net.logged(0, &lagging), "{lagging}: {:?}", net.logs);
    assert!(net.logged(0, "0 of 1 replicas are in sync when shutting down."));
}

/// A replica runs its master's FLUSHALL as Redis's does a client's: the
/// full sync it is giving its own replica is killed (that one comes back
/// for the emptied data), and with save points the empty dataset is saved.
#[test]
fn flushall_from_the_master_kills_the_replicas_own_transfer_and_saves() {
    let mut net = Net::on_disks(3, "save \"3600 1\"\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    fill_incompressible(&mut net, 0);
    net.advance(500);
    assert_eq!(net.digest(1), net.digest(0));
    net.timers = false;
    net.cmd(2, &["REPLICAOF", "127.0.0.1", "7001"]);
    net.advance(100);
    assert!(net.info(1, "slave0").contains("state=wait_bgsave"), "node 1's transfer is under way");
    let saves_before = net.logs.iter().filter(|(n, m)| *n == 1 && m == "DB saved on disk").count();

    assert_eq!(net.cmd(0, &["FLUSHALL"]), "+OK\r\n");
    assert!(net.logged(1, "Background transfer terminated by signal 10"));
    assert!(net.logged(1, "SYNC failed. BGSAVE child returned an error"));
    let saves = net.logs.iter().filter(|(n, m)| *n == 1 && m == "DB saved on disk").count();
    assert_eq!(saves, saves_before + 1, "the replica saved the flushed dataset");

    net.timers = true;
    net.advance(3000);
    assert_eq!(net.cmd(2, &["DBSIZE"]), ":0\r\n");
    assert_eq!(net.digest(2), net.digest(0));
}

/// `repl-diskless-sync no` as Redis's disk target: the sync's snapshot is
/// a BGSAVE of `dbfilename` (the master's persistence from then on, even
/// with `save ""`), whose file is then sent.
#[test]
fn a_sync_to_disk_is_a_bgsave_whose_file_goes_to_the_replica() {
    let mut net = Net::on_disks(2, "save \"\"\nrepl-diskless-sync no\n");
    writes(&mut net, 0, "a");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    assert_eq!(net.digest(1), net.digest(0));
    net.assert_logged_in_order(
        0,
        0,
        &[
            "Starting BGSAVE for SYNC with target: disk",
            "Background saving started by pid",
            "DB saved on disk",
            "Background saving terminated with success",
            "Synchronization with replica 127.0.0.1:7001 succeeded",
        ],
    );
    let persistence = net.cmd(0, &["INFO", "persistence"]);
    for line in ["rdb_changes_since_last_save:0\r\n", "rdb_saves:1\r\n", "rdb_last_bgsave_status:ok\r\n"] {
        assert!(persistence.contains(line), "{line} in {persistence}");
    }
    // The master dies and comes back with what its sync saved.
    let digest = net.digest(0);
    disk(&mut net, 0).crash();
    net.restart(0, "");
    assert_eq!(net.digest(0), digest);
}

#[test]
fn a_sync_to_disk_that_fails_to_save_fails_the_sync_and_the_next_one_succeeds() {
    use crate::node::persistence::mem_storage::OpKind;
    use crate::node::persistence::StorageError;
    let mut net = Net::on_disks(2, "save \"\"\nrepl-diskless-sync no\n");
    writes(&mut net, 0, "a");
    disk(&mut net, 0).fail(OpKind::Write, "temp-", StorageError::NoSpace, Some(1));
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(3000);
    net.assert_logged_in_order(
        0,
        0,
        &[
            "Write error saving DB on disk: No space left on device",
            "Background saving error",
            "SYNC failed. BGSAVE child returned an error",
            "Synchronization with replica 127.0.0.1:7001 succeeded",
        ],
    );
    assert_eq!(net.digest(1), net.digest(0));
}

#[test]
fn flushall_kills_a_sync_to_disk_and_its_replica_comes_back() {
    let mut net = Net::on_disks(2, "save \"\"\nrepl-diskless-sync no\n");
    writes(&mut net, 0, "a");
    net.hold_disks();
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(100);
    assert!(net.cmd(0, &["INFO", "persistence"]).contains("rdb_bgsave_in_progress:1\r\n"), "the sync's BGSAVE");
    assert_eq!(net.cmd(0, &["BGSAVE"]), "-ERR Background save already in progress\r\n");
    assert_eq!(net.cmd(0, &["FLUSHALL"]), "+OK\r\n");
    let killed = net.log_position(0, "Background saving terminated by signal 10");
    assert!(killed < net.log_position(0, "SYNC failed. BGSAVE child returned an error"));
    net.release_disks();
    net.advance(2000);
    assert_eq!(net.cmd(1, &["DBSIZE"]), ":0\r\n");
    assert_eq!(net.digest(1), net.digest(0));
}

/// `rdb-del-sync-files yes` without persistence (no save points, no AOF):
/// the master removes the file its sync's BGSAVE wrote once no replica
/// waits, the replica the file it loaded; with save points both stay.
#[test]
fn rdb_del_sync_files_removes_the_sync_files_of_nodes_without_persistence() {
    for (save, kept) in [("save \"\"\n", false), ("save \"3600 1\"\n", true)] {
        let mut net = Net::on_disks(2, &format!("{save}repl-diskless-sync no\nrdb-del-sync-files yes\n"));
        writes(&mut net, 0, "a");
        net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
        net.advance(2000);
        assert_eq!(net.digest(1), net.digest(0));
        let lines = [
            "Removing the RDB file used to feed replicas in a persistence-less instance",
            "Removing the RDB file obtained from the master. This replica has persistence disabled",
        ];
        for (node, line) in lines.iter().enumerate() {
            assert_eq!(disk(&mut net, node).file("dump.rdb").is_some(), kept, "n{node}: {save}");
            assert_eq!(net.logged(node, line), !kept, "n{node}: {save}");
        }
    }
}

/// A link that ends is reported as Redis reports it where it was: during
/// the transfer ("I/O error"), or after the sync ("Connection with master
/// lost.", the history cached for a partial resync).
#[test]
fn a_link_that_ends_is_logged_where_it_was() {
    let mut net = Net::new(2, "");
    start_sync_by_hand(&mut net);
    net.replica_behind(true);
    net.cut(1);
    assert!(net.logged(1, "I/O error trying to sync with MASTER: connection lost"), "{:?}", net.logs);
    net.timers = true;
    net.advance(2000);
    assert_eq!(net.info(1, "master_link_status"), "up");
    net.cut(1);
    let lost = net.log_position(1, "Connection with master lost.");
    assert!(lost < net.log_position(1, "Caching the disconnected master state."));
}

/// The master state a replica keeps to continue with PSYNC is given up, as
/// Redis logs it, when a full sync replaces it and at REPLICAOF NO ONE.
#[test]
fn a_replica_discards_its_cached_master_as_redis_logs_it() {
    let mut net = Net::new(2, "");
    net.cmd(1, &["SET", "mine", "1"]);
    // A master turning replica offers its own history: refused, a full sync.
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    net.assert_logged_in_order(
        1,
        0,
        &[
            "receiving streamed RDB from master",
            "Discarding previously cached master state.",
            "MASTER <-> REPLICA sync: Flushing old data",
        ],
    );
    let before = net.logs.len();
    assert_eq!(net.cmd(1, &["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    net.assert_logged_in_order(
        1,
        before,
        &[
            "Connection with master lost.",
            "Caching the disconnected master state.",
            "Discarding previously cached master state.",
            "Setting secondary replication ID to",
            "MASTER MODE enabled",
        ],
    );
    // The client is described as CLIENT INFO describes it, as in Redis.
    let enabled = &net.logs[net.log_position(1, "MASTER MODE enabled")].1;
    assert!(
        enabled.contains("laddr=") && enabled.ends_with("cmd=replicaof user=default redir=-1 resp=2')"),
        "{enabled}"
    );
}

/// A load that outlasts the master's `repl-timeout`: the replica sends a
/// newline a second while it loads, which the master takes for a sign of
/// life as Redis's does, so the replica is not dropped in a loop of syncs.
#[test]
fn a_replica_loading_longer_than_repl_timeout_is_kept() {
    let mut net = Net::new(2, "repl-timeout 1\n");
    net.cmd(1, &["REPLICAOF", "127.0.0.1", "7000"]);
    net.advance(1000);
    // 60k more keys: a load of a dozen steps each way, one step per tick.
    for batch in 0..60 {
        let mut words = vec!["MSET".to_string()];
        for j in 0..1000 {
            words.extend([format!("many:{batch}:{j}"), "v".to_string()]);
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        net.cmd(0, &words);
    }
    net.full_sync_to_loading(net.now + 1000);
    net.advance(4000);
    let loads = net.logs.iter().filter(|(n, m)| *n == 1 && m.starts_with("Done loading RDB")).count();
    assert_eq!(loads, 2, "the first sync's load and this one");
    assert!(!net.logged(0, "Disconnecting timedout replica"), "{:?}", net.logs);
    assert_eq!(net.info(0, "sync_full"), "2");
    assert_eq!(net.digest(1), net.digest(0));
}
