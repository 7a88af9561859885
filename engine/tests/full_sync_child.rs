//! A full sync's snapshot is a child, as Redis's is: the same script against
//! redsim-server and the real redis-server. A replica that asks for a
//! diskless sync and then reads nothing keeps the transfer under way (the
//! snapshot is larger than the socket buffers); meanwhile BGSAVE and SAVE
//! are refused, BGREWRITEAOF is scheduled, INFO shows a save in progress
//! and a second replica is told to wait for the next one. Once the first
//! goes away the scheduled rewrite runs. Real `redis-server` must be
//! installed.

mod persistence_support;

use std::time::{Duration, Instant};

use persistence_support::{fresh_dir, start, wait_for, Kind};

/// What the script saw, compared between the servers.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    replies: Vec<(String, String)>,
    info: Vec<String>,
    second_replica_waits: bool,
}

fn script(kind: Kind) -> Seen {
    let dir = fresh_dir(&format!("full-sync-child-{kind:?}"));
    let master = start(kind, &dir, &["--repl-diskless-sync-delay", "0", "--rdbcompression", "no"]);
    let mut c = master.client();
    // 40 MB of snapshot: more than a socket that is not read takes.
    let value = "v".repeat(100_000);
    for i in 0..400 {
        c.cmd(&["SET", &format!("k{i}"), &value]);
    }
    let mut replica = master.client();
    replica.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
    replica.send_only(&["PSYNC", "?", "-1"]).unwrap();
    wait_for(&format!("{kind:?}: the transfer"), || master.log_text().contains("Starting BGSAVE for SYNC"));

    let mut replies = Vec::new();
    for words in [&["BGSAVE"][..], &["BGSAVE", "SCHEDULE"], &["SAVE"], &["BGREWRITEAOF"]] {
        replies.push((words.join(" "), c.cmd(words).text()));
    }
    let persistence = c.cmd(&["INFO", "persistence"]).text();
    let info = ["rdb_bgsave_in_progress:", "aof_rewrite_in_progress:", "aof_rewrite_scheduled:"]
        .iter()
        .map(|field| persistence.lines().find(|l| l.starts_with(field)).unwrap_or("missing").to_string())
        .collect();

    let mut second = master.client();
    second.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
    second.send_only(&["PSYNC", "?", "-1"]).unwrap();
    let waits = "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC";
    let deadline = Instant::now() + Duration::from_secs(5);
    while !master.log_text().contains(waits) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let second_replica_waits = master.log_text().contains(waits);

    drop(replica);
    drop(second);
    wait_for(&format!("{kind:?}: the scheduled rewrite"), || {
        let persistence = c.cmd(&["INFO", "persistence"]).text();
        persistence.contains("aof_rewrite_scheduled:0") && persistence.contains("aof_rewrite_in_progress:0")
    });
    assert!(
        master.log_text().contains("Background AOF rewrite terminated with success"),
        "{kind:?}:\n{}",
        master.log_text()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Seen { replies, info, second_replica_waits }
}

#[test]
fn a_full_sync_under_way_refuses_saves_and_delays_a_rewrite_on_both_servers() {
    let redis = script(Kind::Redis);
    let redsim = script(Kind::Redsim);
    assert_eq!(redsim, redis);
    // What Redis answered, so that a change on both sides is noticed too.
    assert_eq!(redis.replies[0].1, "ERR Background save already in progress");
    assert_eq!(redis.replies[3].1, "Background append only file rewriting scheduled");
    assert!(redis.second_replica_waits);
}
