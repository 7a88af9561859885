//! MIGRATE between two nodes wired by hand: the source's `LinkSend` bytes are
//! the target's client bytes and the target's replies come back as link
//! events. Replies and error texts are Redis 7.0.15's (checked against a real
//! server, see `engine/tests/migrate.rs` for the process-level comparison).

use std::collections::BTreeMap;

use bytes::Bytes;
use redsim_model::resp::encode_request;

use super::Harness;
use crate::node::{Action, ClientId, LinkEvent, LinkId};

/// The port the target listens on; other ports refuse connections.
const TARGET_PORT: u16 = 7002;

/// How the network between the two nodes behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Net {
    #[default]
    Normal,
    /// Connections are never answered (neither established nor refused).
    ConnectHangs,
    /// The target receives nothing: no reply ever comes.
    Deaf,
    /// The next write is lost and the connection breaks instead.
    BreakNextWrite,
}

/// A source node, a target node, and the wire between them.
struct Pair {
    src: Harness,
    dst: Harness,
    net: Net,
    /// Source link → the target's client for it.
    conns: BTreeMap<LinkId, ClientId>,
    /// Every Connect the source asked for, as (host, port).
    connects: Vec<(String, u16)>,
    /// Every write on a link, in order.
    writes: Vec<Vec<u8>>,
    closes: usize,
    /// Replies received by the source's clients, not yet looked at.
    out: BTreeMap<ClientId, Vec<u8>>,
}

fn words(w: &[&str]) -> Vec<u8> {
    let argv: Vec<Bytes> = w.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
    let mut buf = Vec::new();
    encode_request(&argv, &mut buf);
    buf
}

impl Pair {
    fn new() -> Pair {
        Pair::with_target_config("")
    }

    fn with_target_config(text: &str) -> Pair {
        Pair {
            src: Harness::new(),
            dst: Harness::with_config(text),
            net: Net::Normal,
            conns: BTreeMap::new(),
            connects: Vec::new(),
            writes: Vec::new(),
            closes: 0,
            out: BTreeMap::new(),
        }
    }

    /// Sends a command from a source client and returns what it received.
    fn cmd(&mut self, id: ClientId, w: &[&str]) -> String {
        self.raw(id, &words(w))
    }

    fn raw(&mut self, id: ClientId, bytes: &[u8]) -> String {
        self.src.node.client_bytes(id, bytes, self.src.now);
        self.pump();
        self.take(id)
    }

    /// What source client `id` received since last asked.
    fn take(&mut self, id: ClientId) -> String {
        String::from_utf8_lossy(&self.out.remove(&id).unwrap_or_default()).into_owned()
    }

    /// Moves time forward on both nodes and runs the source's timers.
    fn advance(&mut self, ms: i64) {
        self.src.now += ms;
        self.dst.now += ms;
        self.src.node.timers(self.src.now);
        self.pump();
    }

    /// Carries actions across until both nodes are quiet.
    fn pump(&mut self) {
        loop {
            let actions = self.src.node.take_actions();
            if actions.is_empty() {
                return;
            }
            for a in actions {
                self.src_action(a);
            }
        }
    }

    fn src_action(&mut self, action: Action) {
        let now = self.src.now;
        match action {
            Action::Send { client, bytes } => self.out.entry(client).or_default().extend_from_slice(&bytes),
            Action::Connect { link, host, port } => {
                self.connects.push((host.clone(), port));
                if self.net == Net::ConnectHangs {
                    return;
                }
                let event = if host == "nonexistent.invalid" {
                    LinkEvent::Unresolved("Name or service not known".into())
                } else if port != TARGET_PORT {
                    LinkEvent::Failed("Connection refused".into())
                } else {
                    self.conns.insert(link, self.dst.connect());
                    LinkEvent::Connected
                };
                self.src.node.link_event(link, event, now);
            }
            Action::LinkSend { link, bytes } => {
                self.writes.push(bytes.clone());
                match self.net {
                    Net::Deaf | Net::ConnectHangs => {}
                    Net::BreakNextWrite => {
                        self.net = Net::Normal;
                        if let Some(c) = self.conns.remove(&link) {
                            self.dst.node.client_closed(c, self.dst.now);
                        }
                        self.src.node.link_event(link, LinkEvent::Closed, now);
                    }
                    Net::Normal => {
                        let Some(&c) = self.conns.get(&link) else { return };
                        let replies = super::sent_to(&self.dst.feed(c, &bytes), c);
                        if !replies.is_empty() {
                            self.src.node.link_event(link, LinkEvent::Bytes(replies.into_bytes()), now);
                        }
                    }
                }
            }
            Action::LinkClose { link } => {
                self.closes += 1;
                if let Some(c) = self.conns.remove(&link) {
                    self.dst.node.client_closed(c, self.dst.now);
                    self.dst.node.take_actions();
                }
            }
            _ => {}
        }
    }

    /// Runs a command on the target through a client of its own.
    fn dst_cmd(&mut self, w: &[&str]) -> String {
        let c = self.dst.connect();
        let reply = self.dst.cmd(c, w);
        self.dst.node.client_closed(c, self.dst.now);
        self.dst.node.take_actions();
        reply
    }

    /// The source's propagated effects, as text lines.
    fn propagated(&mut self) -> Vec<String> {
        self.src
            .node
            .take_propagated()
            .into_iter()
            .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// Every write on the links so far, concatenated, as lossy text.
    fn wire(&self) -> String {
        String::from_utf8_lossy(&self.writes.concat()).into_owned()
    }
}

fn port() -> String {
    TARGET_PORT.to_string()
}

#[test]
fn moves_a_key_with_its_ttl_and_propagates_del() {
    let mut p = Pair::new();
    let c = p.src.connect();
    assert_eq!(p.cmd(c, &["SET", "k", "v", "PX", "100000"]), "+OK\r\n");
    assert_eq!(p.cmd(c, &["RPUSH", "l", "a", "b"]), ":2\r\n");
    p.propagated();
    p.src.now += 1000;
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "5000"]), "+OK\r\n");
    assert_eq!(p.connects, vec![("127.0.0.1".to_string(), TARGET_PORT)]);
    // One write: SELECT (the connection is new), then RESTORE with the TTL left.
    let dump = p.dst_cmd(&["DUMP", "k"]);
    let payload_header = dump.split("\r\n").next().unwrap();
    let mut want = words(&["SELECT", "0"]);
    want.extend_from_slice(b"*4\r\n$7\r\nRESTORE\r\n$1\r\nk\r\n$5\r\n99000\r\n");
    want.extend_from_slice(format!("{payload_header}\r\n").as_bytes());
    assert!(p.wire().as_bytes().starts_with(&want), "{:?}", p.wire());
    assert_eq!(p.writes.len(), 1);
    assert_eq!(p.cmd(c, &["EXISTS", "k"]), ":0\r\n");
    assert_eq!(p.dst_cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(p.dst_cmd(&["PTTL", "k"]), ":99000\r\n");
    assert_eq!(p.propagated(), vec!["DEL k"]);
    // The connection is cached: the next MIGRATE to the same database sends no SELECT.
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "l", "0", "5000"]), "+OK\r\n");
    assert_eq!(p.connects.len(), 1);
    assert!(p.writes[1].starts_with(b"*4\r\n$7\r\nRESTORE\r\n$1\r\nl\r\n$1\r\n0\r\n"), "{:?}", p.wire());
    assert_eq!(p.dst_cmd(&["LRANGE", "l", "0", "-1"]), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(p.dst_cmd(&["PTTL", "l"]), ":-1\r\n");
    assert!(p.cmd(c, &["INFO", "stats"]).contains("migrate_cached_sockets:1\r\n"));
    assert!(p.cmd(c, &["INFO", "commandstats"]).contains("cmdstat_migrate:calls=2,"));
}

#[test]
fn nokey_when_no_key_exists_and_nothing_is_sent() {
    let mut p = Pair::new();
    let c = p.src.connect();
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "nosuch", "0", "1000"]), "+NOKEY\r\n");
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "", "0", "1000", "KEYS", "a", "b"]), "+NOKEY\r\n");
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "", "0", "1000", "KEYS"]), "+NOKEY\r\n");
    assert!(p.connects.is_empty());
}

#[test]
fn argument_errors_in_redis_order() {
    let mut p = Pair::new();
    let c = p.src.connect();
    let port = port();
    let m = |rest: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["MIGRATE".into(), "127.0.0.1".into(), port.clone()];
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    };
    let cases: &[(&[&str], &str)] = &[
        (
            &["k", "0", "1000", "KEYS", "a"],
            "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n",
        ),
        (&["k", "x", "y", "bogus"], "-ERR syntax error\r\n"),
        (&["k", "0", "1000", "AUTH"], "-ERR syntax error\r\n"),
        (&["k", "0", "1000", "AUTH2", "u"], "-ERR syntax error\r\n"),
        (&["k", "x", "1000"], "-ERR value is not an integer or out of range\r\n"),
        (&["k", "0", "1.5"], "-ERR value is not an integer or out of range\r\n"),
        (&["k"], "-ERR wrong number of arguments for 'migrate' command\r\n"),
    ];
    for (rest, want) in cases {
        let argv = m(rest);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        assert_eq!(p.cmd(c, &argv), *want, "{argv:?}");
    }
    assert!(p.connects.is_empty());
    let stats = p.cmd(c, &["INFO", "commandstats"]);
    assert!(
        stats.contains("cmdstat_migrate:calls=6,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=6"),
        "{stats}"
    );
}

#[test]
fn copy_replace_and_target_errors() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v1"]);
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "COPY"]), "+OK\r\n");
    assert_eq!(p.cmd(c, &["GET", "k"]), "$2\r\nv1\r\n");
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "COPY"]),
        "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
    );
    assert_eq!(p.wire().matches("SELECT").count(), 1, "db 0 was selected by the first MIGRATE");
    p.cmd(c, &["SET", "k", "v2"]);
    p.propagated();
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "COPY", "REPLACE"]), "+OK\r\n");
    assert!(p.writes.last().unwrap().ends_with(b"$7\r\nREPLACE\r\n"));
    // After an error the selected database is forgotten: SELECT went again.
    assert_eq!(p.wire().matches("SELECT").count(), 2);
    assert_eq!(p.dst_cmd(&["GET", "k"]), "$2\r\nv2\r\n");
    assert_eq!(p.cmd(c, &["GET", "k"]), "$2\r\nv2\r\n");
    assert!(p.propagated().is_empty(), "COPY changes nothing here");
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "REPLACE"]), "+OK\r\n");
    assert_eq!(p.wire().matches("SELECT").count(), 2);
    assert_eq!(p.cmd(c, &["EXISTS", "k"]), ":0\r\n");
    // A database the target does not have: SELECT's error, nothing deleted.
    p.cmd(c, &["SET", "k", "v3"]);
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "-1", "1000"]),
        "-ERR Target instance replied with error: ERR DB index is out of range\r\n"
    );
    assert_eq!(p.cmd(c, &["GET", "k"]), "$2\r\nv3\r\n");
    // Redis's quirk: after an error the connection's database is "-1", so a
    // MIGRATE to database -1 sends no SELECT and restores in the current one.
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "-1", "1000", "REPLACE"]), "+OK\r\n");
    assert!(p.writes.last().unwrap().starts_with(b"*5\r\n$7\r\nRESTORE\r\n"), "no SELECT");
    assert_eq!(p.dst_cmd(&["GET", "k"]), "$2\r\nv3\r\n");
    let stats = p.cmd(c, &["INFO", "errorstats"]);
    assert!(stats.contains("errorstat_ERR:count=2\r\n"), "{stats}");
}

#[test]
fn keys_option_deletes_what_the_target_acknowledged() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SELECT", "2"]);
    for k in ["a", "b", "c"] {
        p.cmd(c, &["SET", k, k]);
    }
    let dc = p.dst.connect();
    p.dst.cmd(dc, &["SELECT", "5"]);
    p.dst.cmd(dc, &["SET", "b", "theirs"]);
    p.propagated();
    let reply = p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "", "5", "1000", "KEYS", "a", "nosuch", "b", "c"]);
    assert_eq!(reply, "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n");
    assert_eq!(p.wire().matches("RESTORE").count(), 3, "the missing key is not sent");
    assert_eq!(p.cmd(c, &["KEYS", "*"]), "*1\r\n$1\r\nb\r\n");
    assert_eq!(p.propagated(), vec!["DEL a c"]);
    assert_eq!(p.dst.cmd(dc, &["MGET", "a", "b", "c"]), "*3\r\n$1\r\na\r\n$6\r\ntheirs\r\n$1\r\nc\r\n");
    // A key named twice is sent twice, as Redis does: the second RESTORE fails.
    p.cmd(c, &["SET", "d", "d"]);
    p.propagated();
    let reply = p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "", "5", "1000", "KEYS", "d", "d"]);
    assert_eq!(reply, "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n");
    assert_eq!(p.cmd(c, &["EXISTS", "d"]), ":0\r\n");
    assert_eq!(p.propagated(), vec!["DEL d"]);
}

#[test]
fn auth_and_auth2() {
    let mut p = Pair::with_target_config("requirepass pw\n");
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000"]),
        "-ERR Target instance replied with error: NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "AUTH", "bad"]),
        "-ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(p.cmd(c, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "COPY", "AUTH", "pw"]), "+OK\r\n");
    assert!(p.writes.last().unwrap().starts_with(&words(&["AUTH", "pw"])));
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "REPLACE", "AUTH2", "default", "pw"]),
        "+OK\r\n"
    );
    assert!(p.writes.last().unwrap().starts_with(&words(&["AUTH", "default", "pw"])));
    assert_eq!(p.cmd(c, &["EXISTS", "k"]), ":0\r\n");
    // The password never shows in SLOWLOG or MONITOR.
    p.cmd(c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "AUTH", "secret"]);
    let log = p.cmd(c, &["SLOWLOG", "GET", "1"]);
    assert!(log.contains("(redacted)") && !log.contains("secret"), "{log}");
}

#[test]
fn a_failed_auth_keeps_every_key_even_one_the_target_stored() {
    // The target has no password: AUTH fails but RESTORE works, as with Redis.
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    let reply = p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "AUTH", "pw"]);
    assert!(
        reply.starts_with("-ERR Target instance replied with error: ERR AUTH <password> called without"),
        "{reply}"
    );
    assert_eq!(p.cmd(c, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(p.dst_cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn the_client_waits_but_the_server_does_not() {
    let mut p = Pair::new();
    p.net = Net::Deaf;
    let (a, b) = (p.src.connect(), p.src.connect());
    p.cmd(a, &["SET", "k", "v"]);
    p.cmd(a, &["SET", "other", "x"]);
    let mut pipeline = words(&["MIGRATE", "127.0.0.1", &port(), "k", "0", "500"]);
    pipeline.extend_from_slice(&words(&["PING"]));
    assert_eq!(p.raw(a, &pipeline), "", "MIGRATE waits for its target; PING waits behind it");
    assert_eq!(p.src.node.next_timer_ms(), Some(p.src.now + 500));
    // Other clients go on, except with the key being migrated.
    assert_eq!(p.cmd(b, &["GET", "other"]), "$1\r\nx\r\n");
    assert_eq!(p.cmd(b, &["APPEND", "k", "more"]), "");
    assert_eq!(p.cmd(b, &["FLUSHALL"]), "", "held too: FLUSHALL would touch the key");
    p.advance(499);
    assert_eq!(p.take(a), "");
    p.advance(1);
    assert_eq!(p.take(a), "-IOERR error or timeout reading to target instance\r\n+PONG\r\n");
    // The held commands ran once the migration was over, in order.
    assert_eq!(p.take(b), ":5\r\n+OK\r\n");
    assert_eq!(p.closes, 1, "a connection that timed out is not kept");
    assert!(p.cmd(b, &["INFO", "stats"]).contains("migrate_cached_sockets:0\r\n"));
    let stats = p.cmd(b, &["INFO", "commandstats"]);
    assert!(
        stats.contains("cmdstat_migrate:calls=1,usec=500000,usec_per_call=500000.00,rejected_calls=0,failed_calls=1"),
        "{stats}"
    );
}

#[test]
fn connection_failures() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    // Refused: Redis finds out when writing, and tries a second connection.
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", "7199", "k", "0", "1000"]),
        "-IOERR error or timeout writing to target instance\r\n"
    );
    assert_eq!(p.connects.len(), 2);
    // A name that does not resolve, or a negative port: nothing to connect to.
    assert_eq!(
        p.cmd(c, &["MIGRATE", "nonexistent.invalid", &port(), "k", "0", "1000"]),
        "-IOERR error or timeout connecting to the client\r\n"
    );
    assert_eq!(p.connects.len(), 3);
    assert_eq!(
        p.cmd(c, &["MIGRATE", "127.0.0.1", "-5", "k", "0", "1000"]),
        "-IOERR error or timeout connecting to the client\r\n"
    );
    assert_eq!(p.connects.len(), 3);
    // A port read as atoi: "abc" is port 0.
    p.cmd(c, &["MIGRATE", "127.0.0.1", "abc", "k", "0", "1000"]);
    assert_eq!(p.connects.last().unwrap().1, 0);
    // A connection that never completes: Redis's connect gives up after the
    // timeout, then its write times out too.
    p.net = Net::ConnectHangs;
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "300"]), "");
    p.advance(599);
    assert_eq!(p.take(c), "");
    p.advance(1);
    assert_eq!(p.take(c), "-IOERR error or timeout writing to target instance\r\n");
    assert_eq!(p.cmd(c, &["GET", "k"]), "$1\r\nv\r\n");
    let stats = p.cmd(c, &["INFO", "errorstats"]);
    assert!(stats.contains("errorstat_IOERR:count=5\r\n"), "{stats}");
}

#[test]
fn a_broken_connection_is_retried_once() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    p.cmd(c, &["SET", "k2", "v"]);
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000"]), "+OK\r\n");
    // The cached connection breaks: MIGRATE reconnects, SELECTs again, succeeds.
    p.net = Net::BreakNextWrite;
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k2", "0", "1000"]), "+OK\r\n");
    assert_eq!(p.connects.len(), 2);
    assert!(p.writes.last().unwrap().starts_with(&words(&["SELECT", "0"])));
    assert_eq!(p.dst_cmd(&["MGET", "k", "k2"]), "*2\r\n$1\r\nv\r\n$1\r\nv\r\n");
}

#[test]
fn a_partial_answer_then_silence_deletes_what_was_acknowledged() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "a", "1"]);
    p.cmd(c, &["SET", "b", "2"]);
    p.propagated();
    p.net = Net::Deaf;
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "", "0", "1000", "KEYS", "a", "b"]), "");
    // The target answers SELECT and the first RESTORE only.
    let link = *p.conns.keys().next().unwrap();
    p.advance(900);
    p.src.node.link_event(link, LinkEvent::Bytes(b"+OK\r\n+OK".to_vec()), p.src.now);
    p.pump();
    p.advance(900);
    assert_eq!(p.take(c), "", "any byte restarts the timeout");
    p.src.node.link_event(link, LinkEvent::Bytes(b"\r\n".to_vec()), p.src.now);
    p.pump();
    p.advance(1000);
    assert_eq!(p.take(c), "-IOERR error or timeout reading to target instance\r\n");
    assert_eq!(p.cmd(c, &["KEYS", "*"]), "*1\r\n$1\r\nb\r\n");
    assert_eq!(p.propagated(), vec!["DEL a"]);
}

#[test]
fn a_client_that_leaves_does_not_stop_its_migrate() {
    let mut p = Pair::new();
    p.net = Net::Deaf;
    let (a, b) = (p.src.connect(), p.src.connect());
    p.cmd(a, &["SET", "k", "v"]);
    assert_eq!(p.cmd(a, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000"]), "");
    p.src.node.client_closed(a, p.src.now);
    p.pump();
    let link = *p.conns.keys().next().unwrap();
    p.src.node.link_event(link, LinkEvent::Bytes(b"+OK\r\n+OK\r\n".to_vec()), p.src.now);
    p.pump();
    assert_eq!(p.cmd(b, &["EXISTS", "k"]), ":0\r\n");
    assert!(!p.out.contains_key(&a));
}

#[test]
fn migrates_to_one_target_run_one_after_the_other() {
    let mut p = Pair::new();
    p.net = Net::Deaf;
    let (a, b) = (p.src.connect(), p.src.connect());
    p.cmd(a, &["SET", "x", "1"]);
    p.cmd(a, &["SET", "y", "2"]);
    assert_eq!(p.cmd(a, &["MIGRATE", "127.0.0.1", &port(), "x", "0", "1000"]), "");
    assert_eq!(p.cmd(b, &["MIGRATE", "127.0.0.1", &port(), "y", "0", "1000"]), "");
    assert_eq!(p.writes.len(), 1, "the second waits for the connection");
    let link = *p.conns.keys().next().unwrap();
    p.src.node.link_event(link, LinkEvent::Bytes(b"+OK\r\n+OK\r\n".to_vec()), p.src.now);
    p.pump();
    assert_eq!(p.take(a), "+OK\r\n");
    assert_eq!(p.writes.len(), 2);
    assert!(p.writes[1].starts_with(b"*4\r\n$7\r\nRESTORE\r\n$1\r\ny\r\n"), "no SELECT: db 0 is selected");
    p.src.node.link_event(link, LinkEvent::Bytes(b"+OK\r\n".to_vec()), p.src.now);
    p.pump();
    assert_eq!(p.take(b), "+OK\r\n");
    assert_eq!(p.cmd(a, &["DBSIZE"]), ":0\r\n");
}

#[test]
fn cached_connections_close_after_ten_idle_seconds() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000", "COPY"]);
    p.src.tick(10_000);
    assert_eq!(p.closes, 0);
    p.src.now += 1000;
    p.src.node.tick(p.src.now);
    p.pump();
    assert_eq!(p.closes, 1);
    assert!(p.cmd(c, &["INFO", "stats"]).contains("migrate_cached_sockets:0\r\n"));
    assert_eq!(p.dst.node.client_ids().len(), 0, "the target saw the connection close");
}

#[test]
fn expired_keys_are_not_migrated() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v", "PX", "100"]);
    p.propagated();
    p.src.now += 101;
    assert_eq!(p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000"]), "+NOKEY\r\n");
    assert_eq!(p.propagated(), vec!["DEL k"], "lazy expiry, as lookupKeyRead");
}

#[test]
fn inside_exec_it_is_refused() {
    let mut p = Pair::new();
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    let mut pipeline = words(&["MULTI"]);
    pipeline.extend_from_slice(&words(&["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000"]));
    pipeline.extend_from_slice(&words(&["EXEC"]));
    assert_eq!(p.raw(c, &pipeline), "+OK\r\n+QUEUED\r\n*1\r\n-ERR MIGRATE is not supported inside MULTI by redsim\r\n");
}

#[test]
fn cluster_mode_sends_restore_asking() {
    let mut p = Pair::new();
    p.src = Harness::with_config("cluster-enabled yes\n");
    p.net = Net::Deaf;
    let c = p.src.connect();
    p.cmd(c, &["SET", "k", "v"]);
    p.cmd(c, &["MIGRATE", "127.0.0.1", &port(), "k", "0", "1000"]);
    assert!(p.wire().contains("RESTORE-ASKING"), "{}", p.wire());
}
