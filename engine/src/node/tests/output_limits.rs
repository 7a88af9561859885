//! `client-output-buffer-limit`: clients whose output piles up are dropped
//! with it, as Redis 7.0 drops them (the log line is Redis's).

use super::*;

fn pipeline(words: &[&str], times: usize) -> Vec<u8> {
    let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
    let mut one = Vec::new();
    encode_request(&argv, &mut one);
    one.repeat(times)
}

fn aborted(actions: &[Action], id: ClientId) -> bool {
    actions.contains(&Action::Abort { client: id })
}

fn logged_limit(actions: &[Action], id: ClientId) -> bool {
    actions.iter().any(|a| {
        matches!(a, Action::Log { message, .. } if message.starts_with(&format!("Client id={id} "))
            && message.ends_with("scheduled to be closed ASAP for overcoming of output buffer limits."))
    })
}

/// A harness with a 100 kB string under `big`.
fn with_big_value(config: &str) -> (Harness, ClientId) {
    let mut h = Harness::with_config(config);
    let admin = h.connect();
    let value = "x".repeat(100_000);
    assert_eq!(h.cmd(admin, &["SET", "big", &value]), "+OK\r\n");
    (h, admin)
}

#[test]
fn replies_past_the_hard_limit_drop_the_client_without_them() {
    let (mut h, admin) = with_big_value("client-output-buffer-limit normal 1mb 0 0");
    let c = h.connect();
    // 900 kB of replies in one batch: under the limit, all sent.
    let actions = h.feed(c, &pipeline(&["GET", "big"], 9));
    assert!(!aborted(&actions, c));
    assert_eq!(sent_to(&actions, c).len(), 9 * (100_000 + 11));
    // 1.1 MB: dropped, nothing of it sent, and logged as Redis logs it.
    let actions = h.feed(c, &pipeline(&["GET", "big"], 11));
    assert!(aborted(&actions, c), "{actions:?}");
    assert!(logged_limit(&actions, c), "{actions:?}");
    assert_eq!(sent_to(&actions, c), "");
    assert!(!h.cmd(admin, &["CLIENT", "LIST"]).contains(&format!("id={c} ")));
    // The class's limit is CONFIG SET like any: without it, anything goes.
    assert_eq!(h.cmd(admin, &["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"]), "+OK\r\n");
    let c = h.connect();
    let actions = h.feed(c, &pipeline(&["GET", "big"], 30));
    assert!(!aborted(&actions, c));
}

#[test]
fn unwritten_output_the_driver_reports_counts_and_the_soft_limit_waits_its_seconds() {
    let (mut h, admin) = with_big_value("client-output-buffer-limit normal 0 256kb 2");
    let c = h.connect();
    // The driver still holds 300 kB for `c`: over the soft limit, first seen.
    h.node.client_output_pending(c, 300_000, h.now);
    assert!(!aborted(&h.node.take_actions(), c));
    assert!(h.cmd(admin, &["CLIENT", "LIST"]).contains("omem=300000 "));
    let info = h.cmd(admin, &["INFO", "memory"]);
    let normal: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("mem_clients_normal:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("mem_clients_normal");
    assert!(normal >= 300_000 + 2 * 20_000, "{normal}");
    h.now += 2_000;
    h.node.client_output_pending(c, 310_000, h.now);
    assert!(!aborted(&h.node.take_actions(), c), "2 s over it: not more than the soft seconds");
    // It drained; over the limit again later, the count starts again.
    h.now += 500;
    h.node.client_output_pending(c, 0, h.now);
    h.now += 500;
    h.node.client_output_pending(c, 300_000, h.now);
    h.now += 2_500;
    h.node.client_output_pending(c, 300_000, h.now);
    assert!(!aborted(&h.node.take_actions(), c));
    // Its next reply finds it over the soft limit for 3 s: dropped.
    h.now += 500;
    let actions = h.feed(c, &pipeline(&["GET", "big"], 1));
    assert!(aborted(&actions, c) && logged_limit(&actions, c), "{actions:?}");
    assert_eq!(sent_to(&actions, c), "");
}

#[test]
fn monitor_clients_are_normal_ones_and_replica_limits_spare_them() {
    let (mut h, admin) = with_big_value("client-output-buffer-limit replica 1kb 0 0");
    let m = h.connect();
    assert_eq!(h.cmd(m, &["MONITOR"]), "+OK\r\n");
    h.node.client_output_pending(m, 1 << 20, h.now);
    assert!(!aborted(&h.node.take_actions(), m));
    h.cmd(admin, &["CONFIG", "SET", "client-output-buffer-limit", "normal 1kb 0 0"]);
    h.node.client_output_pending(m, 1 << 20, h.now);
    assert!(aborted(&h.node.take_actions(), m));
}
