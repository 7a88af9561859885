//! Same seed, same events: byte-identical actions and propagation.

use redsim_model::resp::encode_request;

use super::Harness;
use crate::node::Action;

/// A scripted session touching randomness (RANDOMKEY, the run id in INFO),
/// time (TTL, expiry), several clients and the propagation stream.
fn run_session() -> (Vec<Action>, Vec<String>) {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    let mut all = Vec::new();
    let script: &[(&[&str], bool)] = &[
        (&["SET", "k1", "v", "PX", "150"], true),
        (&["MSET", "k2", "a", "k3", "b", "k4", "c"], false),
        (&["RANDOMKEY"], true),
        (&["RANDOMKEY"], false),
        (&["INFO", "server"], true),
        (&["CLIENT", "LIST"], false),
        (&["SCAN", "0"], true),
    ];
    for (i, (words, first)) in script.iter().enumerate() {
        let id = if *first { a } else { b };
        let argv: Vec<bytes::Bytes> = words.iter().map(|w| bytes::Bytes::copy_from_slice(w.as_bytes())).collect();
        let mut buf = Vec::new();
        encode_request(&argv, &mut buf);
        all.extend(h.feed(id, &buf));
        all.extend(h.tick(37 * (i as i64 + 1)));
    }
    let stream = h.node.take_propagated().iter().map(|e| format!("{} {:?}", e.db, e.argv)).collect();
    (all, stream)
}

#[test]
fn same_seed_same_events_same_bytes() {
    let (a1, s1) = run_session();
    let (a2, s2) = run_session();
    assert_eq!(a1, a2);
    assert_eq!(s1, s2);
    assert!(s1.iter().any(|e| e.contains("\"DEL\"") && e.contains("\"k1\"")), "k1 expired actively: {s1:?}");
}

#[test]
fn different_seeds_give_different_run_ids() {
    let h1 = Harness::new();
    let mut config = crate::node::Config::new();
    config.load_text("").unwrap();
    let other = crate::node::Node::new(crate::node::NodeOptions {
        seed: 8,
        now_ms: super::START_MS,
        config,
        process: Default::default(),
    });
    assert_ne!(h1.node.run_id(), other.run_id());
}

/// A session with a disk: AOF, BGSAVE, a rewrite and a failed write. The
/// storage results are events too; the same ones give the same actions.
fn run_disk_session() -> Vec<super::super::Action> {
    use super::disk::DiskHarness;
    use crate::node::persistence::mem_storage::OpKind;
    use crate::node::persistence::StorageError;
    let mut h = DiskHarness::new("appendonly yes\nappendfsync everysec\nsave 1 1");
    let c = h.connect();
    for i in 0..30 {
        h.send(c, &["SET", &format!("k{i}"), "v", "PX", "700"]);
        if i % 7 == 0 {
            h.step();
        }
        if i == 10 {
            h.send(c, &["BGSAVE"]);
        }
        if i == 15 {
            h.disk.fail(OpKind::Write, "incr", StorageError::NoSpace, Some(1));
        }
        if i == 20 {
            h.send(c, &["BGREWRITEAOF"]);
        }
        h.tick(150);
    }
    h.pump();
    h.trace
}

#[test]
fn same_storage_results_same_actions() {
    let a = run_disk_session();
    let b = run_disk_session();
    assert!(a.iter().any(|x| matches!(x, super::super::Action::Storage { .. })));
    assert_eq!(a, b);
}
