//! `client-output-buffer-limit` between real processes, the same script
//! against redsim-server and the real redis-server: a pipeline whose replies
//! pass the limit and a replica that stops (SIGSTOP) get their connection
//! dropped, with Redis's log line, and the replica syncs again once it runs.
//! Each command the master propagates stays far under the limit, so what
//! passes it is the stream the stopped replica's socket could not take: the
//! tokio driver's reports of unwritten output are what that case tests.
//! Real `redis-server` must be installed.

mod persistence_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use persistence_support::{digest, fresh_dir, start, wait_for, Client, Kind, Reply, Server};

const SYNCED: &str = "Synchronization with replica 127.0.0.1:";
const DROPPED: &str = "scheduled to be closed ASAP for overcoming of output buffer limits.";

fn request(words: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", words.len()).into_bytes();
    for w in words {
        out.extend_from_slice(format!("${}\r\n{w}\r\n", w.len()).as_bytes());
    }
    out
}

fn a_pipeline_whose_replies_pass_the_limit_drops_its_client(kind: Kind) {
    let dir = fresh_dir(&format!("obuf-client-{kind:?}"));
    let server = start(kind, &dir, &["--client-output-buffer-limit", "normal 2mb 0 0"]);
    let mut admin = server.client();
    admin.cmd(&["SET", "big", &"x".repeat(100_000)]);
    let mut reader = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // 30 requests in one write: 3 MB of replies to one read.
    reader.write_all(&request(&["GET", "big"]).repeat(30)).unwrap();
    let mut got = 0;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(got < 3_000_000, "{kind:?}: {got} bytes of replies came before the close");
    wait_for(&format!("{kind:?}: the log line"), || server.log_text().contains(DROPPED));
    let Reply::Bulk(Some(list)) = admin.cmd(&["CLIENT", "LIST"]) else { panic!("CLIENT LIST") };
    assert_eq!(String::from_utf8_lossy(&list).lines().count(), 1, "{kind:?}: only the admin is left");
    let _ = std::fs::remove_dir_all(&dir);
}

fn replica_link_up(replica: &Server) -> bool {
    Client::try_connect(replica.port)
        .and_then(|mut c| c.try_cmd(&["INFO", "replication"]))
        .is_ok_and(|r| r.text().contains("master_link_status:up"))
}

fn a_stopped_replica_is_dropped_and_syncs_again(kind: Kind) {
    let dir = fresh_dir(&format!("obuf-replica-{kind:?}"));
    let (mdir, rdir) = (dir.join("master"), dir.join("replica"));
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::create_dir_all(&rdir).unwrap();
    let master =
        start(kind, &mdir, &["--client-output-buffer-limit", "replica 2mb 1mb 60", "--repl-diskless-sync-delay", "0"]);
    let port = master.port.to_string();
    let mut replica = start(kind, &rdir, &["--replicaof", "127.0.0.1", &port]);
    wait_for("the first sync", || replica_link_up(&replica) && master.log_text().contains(SYNCED));
    let pid = replica.child.as_ref().unwrap().id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let mut writer = master.client();
    let value = "v".repeat(100_000);
    // Up to 50 MB of stream while the replica reads nothing.
    for i in 0..500 {
        writer.cmd(&["SET", &format!("k{}", i % 50), &value]);
        if i % 20 == 19 && master.log_text().contains(DROPPED) {
            break;
        }
    }
    wait_for(&format!("{kind:?}: the replica's drop"), || {
        let log = master.log_text();
        log.contains(DROPPED) && log.contains("Connection with replica 127.0.0.1:")
    });
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    wait_for(&format!("{kind:?}: the sync after the drop"), || {
        replica_link_up(&replica)
            && master.log_text().split(DROPPED).nth(1).is_some_and(|after| after.contains(SYNCED))
            && digest(&mut master.client()) == digest(&mut replica.client())
    });
    replica.kill9();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The snapshot itself does not count against the replica's limit, in
/// either form, however far the replica's socket is behind it.
fn a_snapshot_larger_than_the_limit_syncs(kind: Kind, diskless: &str) {
    let dir = fresh_dir(&format!("obuf-snapshot-{kind:?}-{diskless}"));
    let (mdir, rdir) = (dir.join("master"), dir.join("replica"));
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::create_dir_all(&rdir).unwrap();
    let master = start(
        kind,
        &mdir,
        &[
            "--client-output-buffer-limit",
            "replica 1mb 512kb 60",
            "--repl-diskless-sync",
            diskless,
            "--repl-diskless-sync-delay",
            "0",
            "--rdbcompression",
            "no",
        ],
    );
    let mut writer = master.client();
    let value = "v".repeat(100_000);
    for i in 0..60 {
        writer.cmd(&["SET", &format!("k{i}"), &value]);
    }
    let port = master.port.to_string();
    let replica = start(kind, &rdir, &["--replicaof", "127.0.0.1", &port]);
    wait_for(&format!("{kind:?}: a 6 MB snapshot, diskless {diskless}"), || {
        replica_link_up(&replica) && digest(&mut master.client()) == digest(&mut replica.client())
    });
    assert!(!master.log_text().contains(DROPPED), "{kind:?}, diskless {diskless}:\n{}", master.log_text());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_snapshot_larger_than_the_replica_limit_syncs_on_both_servers() {
    for diskless in ["yes", "no"] {
        a_snapshot_larger_than_the_limit_syncs(Kind::Redis, diskless);
        a_snapshot_larger_than_the_limit_syncs(Kind::Redsim, diskless);
    }
}

#[test]
fn a_pipeline_whose_replies_pass_the_limit_is_dropped_by_both_servers() {
    a_pipeline_whose_replies_pass_the_limit_drops_its_client(Kind::Redis);
    a_pipeline_whose_replies_pass_the_limit_drops_its_client(Kind::Redsim);
}

#[test]
fn a_stopped_replica_is_dropped_and_syncs_again_on_both_servers() {
    a_stopped_replica_is_dropped_and_syncs_again(Kind::Redis);
    a_stopped_replica_is_dropped_and_syncs_again(Kind::Redsim);
}
