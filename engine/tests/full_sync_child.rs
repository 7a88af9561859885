//! A full sync's snapshot is a child, as Redis's is: the same script against
//! redsim-server and the real redis-server. A replica that asks for a
//! diskless sync and then reads nothing keeps the transfer under way (the
//! snapshot is larger than the socket buffers); meanwhile BGSAVE and SAVE
//! are refused, BGREWRITEAOF is scheduled, INFO shows a save in progress
//! and a second replica is told to wait for the next one. Once the first
//! goes away the scheduled rewrite runs. FLUSHALL kills the transfer, as
//! Redis kills its child: the replica's sync fails and its connection is
//! closed. Real `redis-server` must be installed.

mod persistence_support;

use std::io::Read;
use std::time::{Duration, Instant};

use persistence_support::{fresh_dir, start, wait_for, Client, Kind, Server};

/// What the script saw, compared between the servers.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    replies: Vec<(String, String)>,
    info: Vec<String>,
    second_replica_waits: bool,
}

/// A master holding 40 MB of values (more than a socket that is not read
/// takes), and a replica that asked for a diskless sync and reads nothing:
/// the transfer stays under way.
fn master_with_a_transfer_under_way(kind: Kind, name: &str) -> (Server, Client, Client) {
    let dir = fresh_dir(&format!("{name}-{kind:?}"));
    // No PING into the stream while the test runs (a slow machine may take
    // ten seconds, Redis's default period): the replicas' offsets stay put.
    let args = ["--repl-diskless-sync-delay", "0", "--rdbcompression", "no", "--repl-ping-replica-period", "3600"];
    let master = start(kind, &dir, &args);
    let mut c = master.client();
    let value = "v".repeat(100_000);
    for i in 0..400 {
        c.cmd(&["SET", &format!("k{i}"), &value]);
    }
    let mut replica = master.client();
    replica.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
    replica.send_only(&["PSYNC", "?", "-1"]).unwrap();
    wait_for(&format!("{kind:?}: the transfer"), || master.log_text().contains("Starting BGSAVE for SYNC"));
    (master, c, replica)
}

fn script(kind: Kind) -> Seen {
    let (master, mut c, replica) = master_with_a_transfer_under_way(kind, "full-sync-child");
    let dir = master.log.parent().unwrap().to_path_buf();

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

/// FLUSHALL during the transfer: both servers end it with the same log
/// lines and close the replica's connection (its sync failed).
#[test]
fn flushall_during_a_full_sync_fails_it_on_both_servers() {
    for kind in [Kind::Redis, Kind::Redsim] {
        let (master, mut c, replica) = master_with_a_transfer_under_way(kind, "full-sync-flushall");
        assert_eq!(c.cmd(&["FLUSHALL"]).text(), "OK");
        for line in ["Background transfer terminated by signal 10", "SYNC failed. BGSAVE child returned an error"] {
            wait_for(&format!("{kind:?}: {line}"), || master.log_text().contains(line));
        }
        // The replica reads what was sent, then the end of the connection.
        let mut stream = replica.into_stream();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut rest = Vec::new();
        assert!(stream.read_to_end(&mut rest).is_ok(), "{kind:?}: the connection ends");
        let _ = std::fs::remove_dir_all(master.log.parent().unwrap());
    }
}

/// The log lines of `log` from "User requested shutdown..." on, without
/// their pid/role/time prefix (the text after the level mark).
fn shutdown_lines(log: &str) -> Vec<String> {
    let lines: Vec<String> = log
        .lines()
        .filter_map(|l| l.split_once(" # ").or_else(|| l.split_once(" * ")).map(|(_, text)| text.to_string()))
        .collect();
    let from = lines.iter().position(|l| l == "User requested shutdown...").unwrap_or(lines.len());
    lines[from..].to_vec()
}

#[test]
fn shutdown_during_a_full_sync_accounts_for_the_replica_and_kills_the_child_on_both_servers() {
    let mut seen = Vec::new();
    for kind in [Kind::Redis, Kind::Redsim] {
        let (mut master, mut c, _replica) = master_with_a_transfer_under_way(kind, "full-sync-shutdown");
        c.send_only(&["SHUTDOWN", "NOSAVE"]).unwrap();
        let mut child = master.child.take().expect("running");
        wait_for(&format!("{kind:?}: the exit"), || child.try_wait().unwrap().is_some());
        seen.push(shutdown_lines(&master.log_text()));
        let _ = std::fs::remove_dir_all(master.log.parent().unwrap());
    }
    assert_eq!(seen[1], seen[0]);
    assert!(seen[0].contains(&"There is a child saving an .rdb. Killing it!".to_string()), "{:?}", seen[0]);
}
