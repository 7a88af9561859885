//! RDB snapshots on an in-memory disk: SAVE, BGSAVE while commands run,
//! save points, MISCONF after a failed save, SHUTDOWN, FLUSHALL, DEBUG
//! RELOAD and loading at startup.

use super::disk::DiskHarness;
use crate::node::persistence::mem_storage::{MemStorage, OpKind};
use crate::node::persistence::{StorageError, StorageOp};

const MISCONF: &str = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to \
                       disk. Commands that may modify the data set are disabled, because this instance is configured \
                       to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). \
                       Please check the Redis logs for details about the RDB error.\r\n";

/// Values LZF cannot shrink much, so that the file has some size.
fn noise(seed: usize, len: usize) -> String {
    let mut x = seed as u64 * 2_654_435_761 + 1;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            char::from(b'!' + ((x >> 33) % 90) as u8)
        })
        .collect()
}

fn fill(h: &mut DiskHarness, c: u64, n: usize) {
    for i in 0..n {
        assert_eq!(h.cmd(c, &["SET", &format!("key:{i}"), &noise(i, i % 300)]), "+OK\r\n");
    }
    h.cmd(c, &["RPUSH", "list", "a", "b", "c"]);
    h.cmd(c, &["HSET", "hash", "f", "1"]);
    h.cmd(c, &["ZADD", "z", "2.5", "m"]);
    h.cmd(c, &["SADD", "s", "1", "2", "3"]);
    h.cmd(c, &["SET", "ttl", "v", "EX", "1000"]);
}

#[test]
fn save_writes_a_temp_file_then_renames_and_the_reply_waits() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    fill(&mut h, c, 10);
    h.send(c, &["SAVE"]);
    assert_eq!(h.take(c), "", "SAVE replies once the file is in place");
    h.send(c, &["PING"]);
    assert_eq!(h.take(c), "", "the client's next request waits behind SAVE");
    let ops: Vec<String> = h.queue.iter().map(|(_, op)| format!("{op:?}")).collect();
    assert_eq!(ops, vec!["Create(temp-42.rdb)"]);
    h.pump();
    assert_eq!(h.take(c), "+OK\r\n+PONG\r\n");
    assert!(h.disk.file("temp-42.rdb").is_none());
    assert!(h.disk.file("dump.rdb").is_some_and(|f| f.starts_with(b"REDIS0010")));
    assert!(h.logged("DB saved on disk"));
    assert_eq!(h.info_field(c, "rdb_changes_since_last_save"), "0");
    assert_eq!(h.cmd(c, &["LASTSAVE"]), format!(":{}\r\n", h.now / 1000));
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    // Restart on the file: the same dataset.
    let mut r = h.kill_and_restart();
    assert!(r.logged("Loading RDB produced by version 7.0.15"));
    assert!(r.logged("Done loading RDB, keys loaded: 15, keys expired: 0."));
    assert!(r.logged("DB loaded from disk: 0.000 seconds"));
    let c = r.connect();
    assert_eq!(r.cmd(c, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(r.info_field(c, "rdb_last_load_keys_loaded"), "15");
}

#[test]
fn bgsave_runs_in_chunks_while_commands_are_served() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    fill(&mut h, c, 2000);
    let digest_at_start = h.cmd(c, &["DEBUG", "DIGEST"]);
    h.send(c, &["BGSAVE"]);
    assert_eq!(h.take(c), "+Background saving started\r\n");
    assert_eq!(h.cmd_no_disk(c, &["BGSAVE"]), "-ERR Background save already in progress\r\n");
    assert_eq!(h.cmd_no_disk(c, &["SAVE"]), "-ERR Background save already in progress\r\n");
    assert_eq!(h.info_field_no_disk(c, "rdb_bgsave_in_progress"), "1");
    let mut writes = 0;
    // Interleave: one storage step, one write command.
    let mut i = 0;
    while h.step() {
        writes += 1;
        i += 1;
        assert_eq!(h.cmd_no_disk(c, &["SET", &format!("during:{i}"), "v"]), "+OK\r\n");
    }
    assert!(h.disk.count(OpKind::Write, "temp-42.rdb") > 3, "written in several chunks");
    assert!(writes > 5);
    assert!(h.logged("Background saving terminated with success"));
    assert_eq!(h.info_field(c, "rdb_bgsave_in_progress"), "0");
    assert_eq!(h.info_field(c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(h.info_field(c, "rdb_changes_since_last_save"), i.to_string(), "changes during the save remain");
    // The file is the dataset as it was when BGSAVE started.
    let mut r = h.kill_and_restart();
    let c = r.connect();
    assert_eq!(r.cmd(c, &["DEBUG", "DIGEST"]), digest_at_start);
}

/// The file holds the dataset of the moment BGSAVE started, whatever the
/// commands served meanwhile do to the keys it has not written yet:
/// overwrite, delete, expire, rename, move them, swap or flush databases.
#[test]
fn bgsave_keeps_the_dataset_of_its_start_while_commands_change_it() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    fill(&mut h, c, 2000);
    h.cmd(c, &["SELECT", "1"]);
    for i in 0..300 {
        h.cmd(c, &["HSET", &format!("h:{i}"), "f", &noise(i, 40)]);
    }
    h.cmd(c, &["SELECT", "2"]);
    h.cmd(c, &["SET", "in2", "x"]);
    h.cmd(c, &["SELECT", "0"]);
    let digest_at_start = h.cmd(c, &["DEBUG", "DIGEST"]);
    h.send(c, &["BGSAVE"]);
    assert_eq!(h.take(c), "+Background saving started\r\n");
    let mut i = 0;
    let mut steps = 0;
    while h.step() {
        steps += 1;
        // Enough changes per storage step that most keys change before
        // the walk reaches them.
        for _ in 0..150 {
            i += 1;
            let k = format!("key:{}", (i * 7) % 2000);
            let changes: &[&[&str]] = match i % 9 {
                0 => &[&["SET", &k, "changed"]],
                1 => &[&["DEL", &k]],
                2 => &[&["EXPIRE", &k, "1"]],
                3 => &[&["APPEND", &k, "more"]],
                4 => &[&["RENAME", &k, &format!("renamed:{i}")]],
                5 => &[&["MOVE", &k, "3"]],
                6 => &[&["RPUSH", "list", "d"], &["GET", &k]],
                7 if i % 2 == 0 => &[&["SWAPDB", "0", "1"]],
                7 => &[&["SELECT", "2"], &["FLUSHDB"], &["SELECT", "0"]],
                _ => &[&["HSET", "h:5", "g", "2"], &["SADD", "s", "4"]],
            };
            for words in changes {
                let reply = h.cmd_no_disk(c, words);
                assert!(!reply.starts_with('-') || reply.starts_with("-ERR no such key"), "{words:?}: {reply}");
            }
        }
    }
    assert!(steps > 5, "the save took {steps} steps");
    assert!(h.logged("Background saving terminated with success"));
    assert_ne!(h.cmd(c, &["DEBUG", "DIGEST"]), digest_at_start);
    let mut r = h.kill_and_restart();
    let c = r.connect();
    assert_eq!(r.cmd(c, &["DEBUG", "DIGEST"]), digest_at_start);
}

#[test]
fn failed_bgsave_stops_writes_until_a_save_succeeds() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.disk.fail(OpKind::Write, "temp", StorageError::NoSpace, Some(1));
    assert_eq!(h.cmd(c, &["BGSAVE"]), "+Background saving started\r\n");
    assert!(h.logged("Write error saving DB on disk: No space left on device"));
    assert!(h.logged("Background saving error"));
    assert!(h.disk.file("temp-42.rdb").is_none(), "the temp file is removed");
    assert_eq!(h.info_field(c, "rdb_last_bgsave_status"), "err");
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), MISCONF);
    assert_eq!(h.cmd(c, &["PING"]), MISCONF);
    assert_eq!(h.cmd(c, &["GET", "a"]), "$1\r\n1\r\n");
    h.cmd(c, &["MULTI"]);
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), MISCONF);
    assert!(h.cmd(c, &["EXEC"]).starts_with("-EXECABORT"));
    // Without save points, or with the option off, writes go on.
    h.cmd(c, &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), "+OK\r\n");
    h.cmd(c, &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]);
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), MISCONF);
    assert_eq!(h.cmd(c, &["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), "+OK\r\n");

    // SAVE failing answers a bare -ERR and leaves the BGSAVE status alone.
    h.disk.fail(OpKind::Create, "temp", StorageError::NoSpace, Some(1));
    assert_eq!(h.cmd(c, &["SAVE"]), "-ERR\r\n");
    assert!(h.logged("Failed opening the temp RDB file temp-42.rdb (in server root dir ) for saving"));
    assert_eq!(h.info_field(c, "rdb_last_bgsave_status"), "ok");
}

#[test]
fn save_points_trigger_background_saves_from_the_cron() {
    let mut h = DiskHarness::new("save 5 3");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.cmd(c, &["SET", "b", "1"]);
    h.tick(6000);
    assert!(!h.logged("Saving..."), "2 changes are not enough");
    h.cmd(c, &["SET", "c", "1"]);
    h.tick(100);
    assert!(h.logged("3 changes in 5 seconds. Saving..."));
    assert!(h.logged("Background saving terminated with success"));
    assert_eq!(h.info_field(c, "rdb_changes_since_last_save"), "0");
    // After a failure the next attempt waits 5 seconds.
    h.disk.fail(OpKind::Create, "temp", StorageError::NoSpace, Some(1));
    for k in ["d", "e", "f"] {
        h.cmd(c, &["SET", k, "1"]);
    }
    h.tick(6000);
    assert_eq!(h.info_field(c, "rdb_last_bgsave_status"), "err");
    let saves = h.disk.count(OpKind::Create, "temp");
    h.tick(1000);
    assert_eq!(h.disk.count(OpKind::Create, "temp"), saves, "no retry within 5 seconds");
    h.tick(4500);
    assert_eq!(h.info_field(c, "rdb_last_bgsave_status"), "ok");
}

#[test]
fn shutdown_saves_when_save_points_exist_unless_nosave() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.send(c, &["SHUTDOWN"]);
    h.pump();
    assert_eq!(h.exited, Some(0));
    assert!(h.logged("Saving the final RDB snapshot before exiting."));
    assert!(h.disk.file("dump.rdb").is_some());

    let mut h = DiskHarness::new("");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.send(c, &["SHUTDOWN", "NOSAVE"]);
    h.pump();
    assert_eq!(h.exited, Some(0));
    assert!(h.disk.file("dump.rdb").is_none());

    // SIGTERM follows shutdown-on-sigterm; a failed save keeps the server up.
    let mut h = DiskHarness::new("shutdown-on-sigterm nosave");
    h.node.signal_shutdown("SIGTERM", h.now);
    h.collect();
    h.pump();
    assert_eq!(h.exited, Some(0));
    assert!(h.disk.file("dump.rdb").is_none());
    let mut h = DiskHarness::new("");
    h.disk.fail(OpKind::Create, "temp", StorageError::NoSpace, None);
    h.node.signal_shutdown("SIGINT", h.now);
    h.collect();
    h.pump();
    assert_eq!(h.exited, None);
    assert!(h.logged("SIGINT received but errors trying to shut down the server, check the logs for more information"));

    let mut h = DiskHarness::new("save \"\"");
    let c = h.connect();
    h.send(c, &["SHUTDOWN", "SAVE"]);
    h.pump();
    assert!(h.disk.file("dump.rdb").is_some(), "SAVE forces the save");

    // A failed final save keeps the server up, unless FORCE.
    let mut h = DiskHarness::new("");
    let c = h.connect();
    h.disk.fail(OpKind::Create, "temp", StorageError::NoSpace, None);
    assert_eq!(h.cmd(c, &["SHUTDOWN"]), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    assert_eq!(h.exited, None);
    assert!(h.logged("Error trying to save the DB, can't exit."));
    assert_eq!(h.cmd(c, &["PING"]), "+PONG\r\n");
    h.send(c, &["SHUTDOWN", "FORCE"]);
    h.pump();
    assert_eq!(h.exited, Some(0));
}

#[test]
fn sigterm_flushes_the_aof_and_saves() {
    let mut h = DiskHarness::new("appendonly yes\naof-use-rdb-preamble no\nappendfsync no");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    let fsyncs = h.disk.count(OpKind::Fsync, "incr");
    h.node.request_shutdown(h.now);
    h.collect();
    h.pump();
    assert_eq!(h.exited, Some(0));
    assert!(h.logged("Calling fsync() on the AOF file."));
    assert_eq!(h.disk.count(OpKind::Fsync, "incr"), fsyncs + 1);
    assert!(h.disk.file("dump.rdb").is_some());
}

#[test]
fn flushall_saves_with_save_points_and_debug_reload_keeps_the_digest() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    fill(&mut h, c, 20);
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    assert_eq!(h.cmd(c, &["DEBUG", "RELOAD"]), "+OK\r\n");
    assert!(h.logged("DB reloaded by DEBUG RELOAD"));
    assert_eq!(h.cmd(c, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(h.cmd(c, &["DBSIZE"]), ":25\r\n");
    h.send(c, &["FLUSHALL"]);
    assert_eq!(h.take(c), "", "FLUSHALL's OK waits for its save");
    h.pump();
    assert_eq!(h.take(c), "+OK\r\n");
    assert_eq!(h.info_field(c, "rdb_changes_since_last_save"), "0");
    let mut r = h.kill_and_restart();
    let c = r.connect();
    assert_eq!(r.cmd(c, &["DBSIZE"]), ":0\r\n");

    let mut h = DiskHarness::new("save \"\"");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.send(c, &["FLUSHALL"]);
    assert_eq!(h.take(c), "+OK\r\n", "no save points: no save");
    assert!(h.queue.is_empty());
}

#[test]
fn loading_drops_expired_keys_and_refuses_a_corrupt_file() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    h.cmd(c, &["SET", "short", "v", "PX", "500"]);
    h.cmd(c, &["SET", "long", "v", "EX", "100"]);
    h.cmd(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    assert_eq!(h.cmd(c, &["SAVE"]), "+OK\r\n");
    let mut disk = h.disk.clone();
    let mut r = DiskHarness::unstarted("", disk.clone(), h.now + 1000);
    r.node.start(r.now);
    r.collect();
    r.pump();
    assert!(r.logged("Done loading RDB, keys loaded: 1, keys expired: 1."), "{:?}", r.logs);

    let mut bytes = disk.file("dump.rdb").unwrap().to_vec();
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    bytes.truncate(n - 3);
    disk.put("dump.rdb", &bytes);
    let r = DiskHarness::on_disk("", disk);
    assert_eq!(r.exited, Some(1));
    assert!(r.logged("Bad RDB file dump.rdb"), "{:?}", r.logs);
}

#[test]
fn read_errors_at_startup_are_fatal_but_a_missing_file_is_not() {
    let mut d = MemStorage::new();
    d.fail(OpKind::Read, "dump.rdb", StorageError::Io("Input/output error".into()), None);
    let h = DiskHarness::on_disk("", d);
    assert_eq!(h.exited, Some(1));
    assert!(h.logged("Input/output error"));
    let h = DiskHarness::on_disk("", MemStorage::new());
    assert_eq!(h.exited, None);
    assert!(!h.node.is_loading());
    let _ = StorageOp::Size { path: String::new() };
}

#[test]
fn shutdown_while_loading_does_not_save() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.cmd(c, &["SAVE"]);
    let saved = h.disk.file("dump.rdb").unwrap().to_vec();
    let mut r = DiskHarness::unstarted("", h.disk.clone(), h.now);
    let creates = r.disk.count(OpKind::Create, "temp");
    r.node.start(r.now);
    r.collect();
    let c = r.connect();
    r.send(c, &["SHUTDOWN", "SAVE"]);
    r.pump();
    assert_eq!(r.exited, Some(0));
    assert_eq!(r.disk.file("dump.rdb").unwrap(), &saved[..], "the file was not replaced");
    assert_eq!(r.disk.count(OpKind::Create, "temp"), creates);
}

/// A large dump.rdb loads a batch of keys per timer turn: clients get
/// `-LOADING` between the batches, and the dataset is whole at the end.
#[test]
fn a_large_rdb_loads_in_steps_and_clients_are_answered_between_them() {
    let mut h = DiskHarness::new("");
    let c = h.connect();
    for i in 0..240 {
        let mut words = vec!["MSET".to_string()];
        for j in 0..100 {
            words.extend([format!("key:{}", i * 100 + j), noise(j, 20)]);
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        h.cmd(c, &words);
    }
    h.cmd(c, &["SET", "gone", "v", "PX", "10"]);
    h.cmd(c, &["SAVE"]);
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    let mut r = DiskHarness::unstarted("", h.disk.clone(), h.now + 1000);
    let started = (r.now / 1000).to_string();
    r.node.start(r.now);
    r.collect();
    let c = r.connect();
    let (mut steps, mut loading_replies) = (0, 0);
    let size = h.disk.file("dump.rdb").unwrap().len().to_string();
    let (mut loaded, mut used_mem) = (Vec::new(), String::new());
    while r.step() {
        if r.node.next_timer_ms() == Some(r.now) {
            steps += 1;
            r.send(c, &["DBSIZE"]);
            if r.take(c) == "-LOADING Redis is loading the dataset in memory\r\n" {
                loading_replies += 1;
            }
            // INFO tells how far the load is, as Redis's does.
            r.send(c, &["INFO", "persistence"]);
            let info = r.take(c);
            let field = |name: &str| {
                info.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_else(|| panic!("{name} in {info}"))
                    .to_string()
            };
            assert_eq!(field("loading_total_bytes:"), size);
            assert_eq!(field("loading_start_time:"), started);
            // Known once the AUX fields at the file's start are read.
            used_mem = field("loading_rdb_used_mem:");
            loaded.push(field("loading_loaded_bytes:").parse::<usize>().unwrap());
        }
    }
    assert!(loaded.windows(2).all(|w| w[0] < w[1]), "{loaded:?}");
    assert!(used_mem.parse::<u64>().unwrap() > 0, "{used_mem}");
    assert!(loaded.last().is_some_and(|&l| l < size.parse().unwrap()), "{loaded:?} of {size}");
    assert!(steps > 2, "the file was loaded in {steps} steps");
    assert_eq!(loading_replies, steps);
    assert!(r.logged("Done loading RDB, keys loaded: 24000, keys expired: 1."));
    assert_eq!(r.cmd(c, &["DBSIZE"]), ":24000\r\n");
    h.cmd(c, &["DEL", "gone"]);
    assert_eq!(r.cmd(c, &["DEBUG", "DIGEST"]), h.cmd(c, &["DEBUG", "DIGEST"]));
    assert_ne!(digest, h.cmd(c, &["DEBUG", "DIGEST"]), "the expired key counted in the saved digest");
}

/// A key twice in a database is a damaged file: the engine finds it as it
/// inserts (the reader does not keep a set of every key for that).
#[test]
fn a_key_twice_in_the_file_stops_the_load() {
    use redsim_model::dataset::{Dataset, Record};
    use redsim_model::rdb::{self, RdbOptions};
    use redsim_model::reference::{StrValue, Value};
    let record = |k: &str| Record {
        key: bytes::Bytes::copy_from_slice(k.as_bytes()),
        value: Value::Str(StrValue::plain(b"v".to_vec())),
        expire_at: None,
        lru: 0,
    };
    for engine in ["engine", "model"] {
        let mut data = Dataset::empty(16);
        data.dbs[3] = (0..7000).map(|i| record(&format!("k{i}"))).collect();
        data.dbs[3].push(record("k6000"));
        let bytes = rdb::write(&data, &RdbOptions { compression: false, checksum: true, aux: Default::default() });
        let mut disk = MemStorage::new();
        disk.put("dump.rdb", &bytes);
        let mut r = DiskHarness::on_disk(&format!("engine {engine}\n"), disk);
        assert_eq!(r.exited, Some(1), "{engine}");
        let message =
            "Bad RDB file dump.rdb: duplicated key \"k6000\" in database 3. Fatal error loading the DB, exiting.";
        assert!(r.logged(message), "{engine}: {:?}", r.logs);
        // A whole file at once (a replica's snapshot, DEBUG RELOAD): the same check.
        let found = r.node.replace_dataset_from_rdb(bytes).unwrap_err();
        assert_eq!(found, "duplicated key \"k6000\" in database 3", "{engine}");
    }
}
