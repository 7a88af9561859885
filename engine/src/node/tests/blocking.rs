//! Blocking commands: parked clients, wake-ups in order, timeouts, CLIENT UNBLOCK.
//! Expected bytes checked against Redis 7.0.15.

use super::{bulk_text, sent_to, Harness};

#[test]
fn blpop_waits_for_a_push_and_then_serves_the_pipeline() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    assert_eq!(h.raw(a, b"BLPOP l1 l2 0\r\nPING\r\n"), "");
    let list = bulk_text(&h.cmd(b, &["CLIENT", "LIST", "ID", &a.to_string()]));
    assert!(list.contains(" flags=b ") && list.contains(" cmd=blpop "), "{list}");
    assert!(h.cmd(b, &["INFO", "clients"]).contains("blocked_clients:1\r\n"));
    let actions = h.feed(b, b"RPUSH l2 x y\r\n");
    assert_eq!(sent_to(&actions, b), ":2\r\n");
    assert_eq!(sent_to(&actions, a), "*2\r\n$2\r\nl2\r\n$1\r\nx\r\n+PONG\r\n");
    assert_eq!(h.cmd(b, &["LRANGE", "l2", "0", "-1"]), "*1\r\n$1\r\ny\r\n");
}

#[test]
fn first_blocked_is_first_served() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(), h.connect(), h.connect());
    h.raw(a, b"BLPOP q 0\r\n");
    h.raw(b, b"BLPOP q 0\r\n");
    let actions = h.feed(c, b"RPUSH q 1\r\n");
    assert_eq!(sent_to(&actions, a), "*2\r\n$1\r\nq\r\n$1\r\n1\r\n");
    assert_eq!(sent_to(&actions, b), "", "nothing left for the second client: it stays blocked");
    let actions = h.feed(c, b"RPUSH q 2\r\n");
    assert_eq!(sent_to(&actions, b), "*2\r\n$1\r\nq\r\n$1\r\n2\r\n");
}

#[test]
fn timeouts_and_client_unblock() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    assert_eq!(h.raw(a, b"BLPOP nolist 0.2\r\n"), "");
    assert_eq!(h.node.next_timer_ms(), Some(h.now + 200));
    h.now += 200;
    h.node.timers(h.now);
    assert_eq!(sent_to(&h.node.take_actions(), a), "*-1\r\n");
    h.raw(a, b"BLPOP nolist 0\r\nPING\r\n");
    assert_eq!(h.node.next_timer_ms(), None);
    let actions = h.feed(b, format!("CLIENT UNBLOCK {a} ERROR\r\nCLIENT UNBLOCK {a}\r\n").as_bytes());
    assert_eq!(sent_to(&actions, b), ":1\r\n:0\r\n");
    assert_eq!(sent_to(&actions, a), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n+PONG\r\n");
    h.raw(a, b"BLPOP nolist 0\r\n");
    let actions = h.feed(b, format!("CLIENT UNBLOCK {a} TIMEOUT\r\n").as_bytes());
    assert_eq!(sent_to(&actions, a), "*-1\r\n");
    assert!(h.cmd(b, &["INFO", "commandstats"]).contains("cmdstat_blpop:calls=3,"));
}

#[test]
fn blocking_commands_do_not_block_inside_exec() {
    let mut h = Harness::new();
    let a = h.connect();
    assert_eq!(h.raw(a, b"MULTI\r\nBLPOP nolist 0\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n*-1\r\n");
}

#[test]
fn a_closed_blocked_client_is_forgotten() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    h.raw(a, b"BLPOP k 0\r\n");
    h.node.client_closed(a, h.now);
    assert_eq!(h.cmd(b, &["RPUSH", "k", "v"]), ":1\r\n");
    assert_eq!(h.cmd(b, &["LLEN", "k"]), ":1\r\n", "nobody took the element");
}
