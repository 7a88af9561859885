//! The AOF on an in-memory disk: creation, appending, fsync policies, held
//! replies, write errors, replay after a crash, truncation and corruption.

use super::disk::DiskHarness;
use crate::node::persistence::mem_storage::{MemStorage, OpKind};
use crate::node::persistence::StorageError;

const AOF: &str = "appendonly yes\naof-use-rdb-preamble no\nsave \"\"\n";
const MANIFEST: &str = "appendonlydir/appendonly.aof.manifest";
const INCR1: &str = "appendonlydir/appendonly.aof.1.incr.aof";

fn conf(extra: &str) -> String {
    format!("{AOF}{extra}\n")
}

/// A file's commands without redsim's checkpoint lines: what Redis would
/// have written.
fn plain(file: &str) -> String {
    file.split_inclusive('\n').filter(|line| !line.starts_with("#crc64:")).collect()
}

fn resp(words: &[&str]) -> String {
    let mut s = format!("*{}\r\n", words.len());
    for w in words {
        s.push_str(&format!("${}\r\n{w}\r\n", w.len()));
    }
    s
}

#[test]
fn aof_is_created_on_start_like_redis() {
    let h = DiskHarness::new(&conf(""));
    assert_eq!(
        h.file(MANIFEST),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(h.file("appendonlydir/appendonly.aof.1.base.aof"), "");
    assert_eq!(h.file(INCR1), "");
    assert!(h.logged("Creating AOF base file appendonly.aof.1.base.aof on server start"));
    assert!(h.logged("Creating AOF incr file appendonly.aof.1.incr.aof on server start"));
    assert!(!h.node.is_loading());
    assert_eq!(h.disk.paths().iter().filter(|p| p.contains("temp")).count(), 0, "{:?}", h.disk.paths());
}

#[test]
fn writes_are_appended_with_select_as_redis_writes_them() {
    let mut h = DiskHarness::new(&conf(""));
    let c = h.connect();
    assert_eq!(h.cmd(c, &["set", "a", "1"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["GET", "a"]), "$1\r\n1\r\n");
    assert_eq!(h.cmd(c, &["SELECT", "2"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["INCR", "c"]), ":1\r\n");
    assert_eq!(h.cmd(c, &["SET", "e", "v", "EX", "100"]), "+OK\r\n");
    let at = (h.now + 100_000).to_string();
    let want = [
        resp(&["SELECT", "0"]),
        resp(&["set", "a", "1"]),
        resp(&["SELECT", "2"]),
        resp(&["INCR", "c"]),
        resp(&["SET", "e", "v", "PXAT", &at]),
    ]
    .concat();
    assert_eq!(plain(&h.file(INCR1)), want);
    // Each of the three writes ends with its checkpoint.
    assert_eq!(h.file(INCR1).matches("#crc64:").count(), 3, "{}", h.file(INCR1));
    assert_eq!(h.info_field(c, "aof_current_size"), h.file(INCR1).len().to_string());
    assert_eq!(h.info_field(c, "aof_enabled"), "1");
    assert_eq!(h.info_field(c, "aof_last_write_status"), "ok");
}

#[test]
fn always_holds_replies_until_the_fsync_and_everysec_until_the_write() {
    let mut h = DiskHarness::new(&conf("appendfsync always"));
    let c = h.connect();
    h.send(c, &["SET", "k", "v"]);
    assert_eq!(h.take(c), "", "no reply before the AOF is written");
    assert!(h.step(), "the write");
    assert_eq!(h.take(c), "", "no reply before the fsync");
    assert!(matches!(h.queue.front(), Some((_, crate::node::persistence::StorageOp::Fsync { .. }))));
    assert!(h.step(), "the fsync");
    assert_eq!(h.take(c), "+OK\r\n");
    // Reads queue behind a held write on the same connection, in order.
    h.send(c, &["INCR", "n"]);
    h.send(c, &["GET", "k"]);
    assert_eq!(h.take(c), "");
    h.pump();
    assert_eq!(h.take(c), ":1\r\n$1\r\nv\r\n");
    let fsyncs = h.disk.count(OpKind::Fsync, "incr");
    assert_eq!(fsyncs, 2, "one fsync per write batch");

    let mut e = DiskHarness::new(&conf("appendfsync everysec"));
    let c = e.connect();
    e.send(c, &["SET", "k", "v"]);
    assert_eq!(e.take(c), "");
    assert!(e.step(), "the write");
    assert_eq!(e.take(c), "+OK\r\n", "everysec replies once written");
    assert!(e.queue.is_empty(), "no fsync yet");
}

#[test]
fn fsync_accounting_per_policy() {
    for (policy, expected) in [("always", 20), ("everysec", 3), ("no", 0)] {
        let mut h = DiskHarness::new(&conf(&format!("appendfsync {policy}")));
        let c = h.connect();
        let before = h.disk.count(OpKind::Fsync, "incr");
        for i in 0..20 {
            assert_eq!(h.cmd(c, &["SET", &format!("k{i}"), "v"]), "+OK\r\n");
            // 20 writes over 3.2 seconds of ticks at 10 Hz.
            for _ in 0..2 {
                h.tick(80);
            }
        }
        let fsyncs = h.disk.count(OpKind::Fsync, "incr") - before;
        assert_eq!(fsyncs, expected, "appendfsync {policy}");
    }
}

#[test]
fn replay_after_a_power_loss_keeps_every_acknowledged_write() {
    let mut h = DiskHarness::new(&conf("appendfsync always"));
    let c = h.connect();
    let script: &[&[&str]] = &[
        &["SET", "s", "1"],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f", "v", "g", "w"],
        &["SADD", "set", "x", "y"],
        &["ZADD", "z", "1.5", "m", "-2", "n"],
        &["SELECT", "3"],
        &["SET", "other", "db3"],
        &["EXPIRE", "other", "1000"],
        &["MULTI"],
        &["INCR", "ctr"],
        &["LPUSH", "l3", "q"],
        &["EXEC"],
        &["SELECT", "0"],
        &["DEL", "s"],
        &["INCRBYFLOAT", "f", "1.25"],
    ];
    for words in script {
        let reply = h.cmd(c, words);
        assert!(!reply.starts_with('-'), "{words:?}: {reply}");
    }
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    let mut r = h.crash_and_restart();
    assert!(r.logged("DB loaded from append only file"), "{:?}", r.logs);
    assert!(r.logged("Opening AOF incr file appendonly.aof.1.incr.aof on server start"));
    let c = r.connect();
    assert_eq!(r.cmd(c, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(r.cmd(c, &["GET", "f"]), "$4\r\n1.25\r\n");
    // Appends continue in the same incremental file, after what was there.
    let size = r.file(INCR1).len();
    assert_eq!(r.cmd(c, &["SET", "after", "1"]), "+OK\r\n");
    assert!(r.file(INCR1).len() > size);
    assert!(plain(&r.file(INCR1)).ends_with(&resp(&["SET", "after", "1"])));
}

#[test]
fn everysec_loses_at_most_what_was_not_yet_fsynced() {
    let mut h = DiskHarness::new(&conf("appendfsync everysec"));
    let c = h.connect();
    for i in 0..5 {
        h.cmd(c, &["SET", &format!("early{i}"), "v"]);
    }
    h.tick(1100);
    for i in 0..5 {
        h.cmd(c, &["SET", &format!("late{i}"), "v"]);
    }
    let mut r = h.crash_and_restart();
    let c = r.connect();
    assert_eq!(r.cmd(c, &["EXISTS", "early0", "early4"]), ":2\r\n");
    assert_eq!(r.cmd(c, &["EXISTS", "late0", "late4"]), ":0\r\n", "not fsynced: lost in a power loss");
    // A process crash (no power loss) keeps what was written.
    let mut k = h.kill_and_restart();
    let c = k.connect();
    assert_eq!(k.cmd(c, &["EXISTS", "late0", "late4"]), ":2\r\n");
}

#[test]
fn write_errors_with_everysec_refuse_writes_until_solved() {
    let mut h = DiskHarness::new(&conf("appendfsync everysec"));
    let c = h.connect();
    h.disk.fail(OpKind::Write, "incr", StorageError::NoSpace, None);
    assert_eq!(h.cmd(c, &["SET", "a", "1"]), "+OK\r\n", "replies keep flowing, as in Redis");
    assert!(h.logged("Error writing to the AOF file: No space left on device"));
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), "-MISCONF Errors writing to the AOF file: No space left on device\r\n");
    assert_eq!(h.cmd(c, &["PING"]), "-MISCONF Errors writing to the AOF file: No space left on device\r\n");
    assert_eq!(h.cmd(c, &["GET", "a"]), "$1\r\n1\r\n", "reads are served");
    assert_eq!(h.info_field(c, "aof_last_write_status"), "err");
    h.tick(1000);
    assert_eq!(h.info_field(c, "aof_last_write_status"), "err", "retried and failed again");
    h.disk.heal();
    h.tick(1000);
    assert!(h.logged("AOF write error looks solved, Redis can write again."));
    assert_eq!(h.info_field(c, "aof_last_write_status"), "ok");
    assert_eq!(h.cmd(c, &["SET", "b", "2"]), "+OK\r\n");
    let mut r = h.kill_and_restart();
    let c = r.connect();
    assert_eq!(r.cmd(c, &["MGET", "a", "b"]), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "the failed write was retried");
}

#[test]
fn a_partial_write_is_overwritten_by_the_retry() {
    let mut h = DiskHarness::new(&conf("appendfsync everysec"));
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    let at = (h.now + 300).to_string();
    h.cmd(c, &["SET", "t", "x", "PX", "300"]);
    h.disk.fail_write_partially("incr", 7, StorageError::NoSpace);
    h.cmd(c, &["SET", "b", "2"]);
    let good = [resp(&["SELECT", "0"]), resp(&["SET", "a", "1"]), resp(&["SET", "t", "x", "PXAT", &at])].concat();
    assert_eq!(plain(&h.file(INCR1)), good, "the partial write is cut off at once");
    // Writes are refused (MISCONF) until the retry succeeds ...
    assert!(h.cmd(c, &["SET", "c", "3"]).starts_with("-MISCONF"));
    // ... but an expiry still appends its DEL behind the write waiting for
    // its retry, which already carries its checkpoint.
    h.tick(500);
    assert_eq!(h.cmd(c, &["GET", "t"]), "$-1\r\n");
    h.tick(1000);
    assert_eq!(h.info_field(c, "aof_last_write_status"), "ok");
    assert_eq!(h.cmd(c, &["SET", "c", "3"]), "+OK\r\n");
    let want = [good, resp(&["SET", "b", "2"]), resp(&["DEL", "t"]), resp(&["SET", "c", "3"])];
    assert_eq!(plain(&h.file(INCR1)), want.concat());
    // Every checkpoint chains on: the file loads.
    let mut r = h.kill_and_restart();
    assert_eq!(r.exited, None, "{:?}", r.logs);
    let c = r.connect();
    assert_eq!(r.cmd(c, &["MGET", "a", "b", "c", "t"]), "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n");
}

#[test]
fn always_exits_on_write_or_fsync_errors() {
    let mut h = DiskHarness::new(&conf("appendfsync always"));
    let c = h.connect();
    h.disk.fail(OpKind::Write, "incr", StorageError::NoSpace, Some(1));
    h.send(c, &["SET", "a", "1"]);
    h.pump();
    assert_eq!(h.exited, Some(1));
    assert_eq!(h.take(c), "", "the write was never acknowledged");
    assert!(h.logged("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."));

    let mut h = DiskHarness::new(&conf("appendfsync always"));
    let c = h.connect();
    h.disk.fail(OpKind::Fsync, "incr", StorageError::Io("Input/output error".into()), Some(1));
    h.send(c, &["SET", "a", "1"]);
    h.pump();
    assert_eq!(h.exited, Some(1));
    assert_eq!(h.take(c), "", "{:#?}", h.trace);
    assert!(h.logged(
        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': Input/output error. Exiting..."
    ));
}

/// The sweep's seed 128 of crash-restart-always: a write whose fsync failed
/// stays in the page cache, the restarted node reads it back and serves it;
/// it must be durable before it is served, or a power loss takes back what a
/// client has already read.
#[test]
fn what_loading_read_is_made_durable_before_it_is_served() {
    let mut h = DiskHarness::new(&conf("appendfsync always"));
    let c = h.connect();
    assert_eq!(h.cmd(c, &["SET", "acked", "1"]), "+OK\r\n");
    h.disk.fail(OpKind::Fsync, "incr", StorageError::Io("Input/output error".into()), Some(1));
    h.send(c, &["SET", "unacked", "1"]);
    h.pump();
    assert_eq!(h.exited, Some(1));
    assert_eq!(h.take(c), "", "never acknowledged");

    let mut r = h.kill_and_restart();
    let c = r.connect();
    assert_eq!(r.cmd(c, &["GET", "unacked"]), "$1\r\n1\r\n", "read back from the page cache");
    // The read above was served, so the write must survive a power loss now.
    let mut after = r.crash_and_restart();
    let c = after.connect();
    assert_eq!(after.cmd(c, &["GET", "unacked"]), "$1\r\n1\r\n");
    assert_eq!(after.cmd(c, &["GET", "acked"]), "$1\r\n1\r\n");
}

#[test]
fn a_failing_fsync_of_what_was_loaded_refuses_to_start() {
    let mut h = DiskHarness::new(&conf("appendfsync always"));
    let c = h.connect();
    assert_eq!(h.cmd(c, &["SET", "a", "1"]), "+OK\r\n");
    let mut disk = h.disk.clone();
    disk.fail(OpKind::Fsync, "incr", StorageError::Io("Input/output error".into()), Some(1));
    let r = DiskHarness::on_disk(&conf("appendfsync always"), disk);
    assert_eq!(r.exited, Some(1));
    assert!(
        r.logged("Fatal error: can't fsync the loaded file appendonlydir/appendonly.aof.1.incr.aof"),
        "{:?}",
        r.logs
    );

    // The RDB is made durable the same way when it is what was loaded.
    let rdb_conf = "save \"\"\n";
    let mut h = DiskHarness::new(rdb_conf);
    let c = h.connect();
    assert_eq!(h.cmd(c, &["SET", "a", "1"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["SAVE"]), "+OK\r\n");
    let r = h.kill_and_restart();
    let tail = &r.disk.log[r.disk.log.len() - 2..];
    assert_eq!(tail, [(OpKind::Read, "dump.rdb".to_string()), (OpKind::Fsync, "dump.rdb".to_string())]);
    let mut disk = h.disk.clone();
    disk.fail(OpKind::Fsync, "dump.rdb", StorageError::Io("Input/output error".into()), Some(1));
    let r = DiskHarness::on_disk(rdb_conf, disk);
    assert_eq!(r.exited, Some(1));
    assert!(
        r.logged("Fatal error: can't fsync the loaded file dump.rdb: Input/output error. Exiting."),
        "{:?}",
        r.logs
    );
}

#[test]
fn fsync_errors_with_everysec_are_reported_and_retried() {
    let mut h = DiskHarness::new(&conf("appendfsync everysec"));
    let c = h.connect();
    h.disk.fail(OpKind::Fsync, "incr", StorageError::Io("Input/output error".into()), Some(1));
    h.cmd(c, &["SET", "a", "1"]);
    h.tick(1000);
    assert_eq!(h.info_field(c, "aof_last_write_status"), "err");
    assert_eq!(h.cmd(c, &["SET", "b", "1"]), "-MISCONF Errors writing to the AOF file: Input/output error\r\n");
    h.tick(1000);
    assert_eq!(h.info_field(c, "aof_last_write_status"), "ok");
}

/// A disk holding an AOF whose incremental file is `incr`.
fn disk_with_incr(incr: &[u8]) -> MemStorage {
    let mut d = MemStorage::new();
    d.execute(&crate::node::persistence::StorageOp::MakeDir { path: "appendonlydir".into() });
    d.put(MANIFEST, b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    d.put("appendonlydir/appendonly.aof.1.base.aof", resp(&["SET", "base", "1"]).as_bytes());
    d.put(INCR1, incr);
    d
}

#[test]
fn truncated_aof_is_cut_back_when_allowed() {
    let good = [resp(&["SELECT", "0"]), resp(&["SET", "a", "1"])].concat();
    let mut bad = good.clone().into_bytes();
    bad.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$2\r\n1");
    let mut h = DiskHarness::on_disk(&conf("aof-load-truncated yes"), disk_with_incr(&bad));
    assert_eq!(h.exited, None);
    assert!(h.logged("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"));
    assert!(h.logged(&format!("!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {} !!!", good.len())));
    assert!(h.logged("AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"));
    assert_eq!(plain(&h.file(INCR1)), good, "cut back to the last complete command");
    assert!(h.file(INCR1).starts_with(&good), "then sealed with a checkpoint: {:?}", h.file(INCR1));
    let c = h.connect();
    assert_eq!(h.cmd(c, &["MGET", "base", "a", "z"]), "*3\r\n$1\r\n1\r\n$1\r\n1\r\n$-1\r\n");
    h.cmd(c, &["SET", "b", "2"]);
    assert!(h.file(INCR1).starts_with(&good) && plain(&h.file(INCR1)).ends_with(&resp(&["SET", "b", "2"])));

    // An unfinished MULTI counts as a truncation too.
    let mut multi = good.clone();
    multi.push_str(&resp(&["MULTI"]));
    multi.push_str(&resp(&["SET", "m", "1"]));
    let mut h = DiskHarness::on_disk(&conf(""), disk_with_incr(multi.as_bytes()));
    assert!(h.logged("Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"));
    let c = h.connect();
    assert_eq!(h.cmd(c, &["EXISTS", "m"]), ":0\r\n");
    assert_eq!(plain(&h.file(INCR1)), good);

    let h = DiskHarness::on_disk(&conf("aof-load-truncated no"), disk_with_incr(&bad));
    assert_eq!(h.exited, Some(1));
    assert!(h.logged(
        "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup"
    ));
}

/// The disk of `h` with one bit of `path` flipped where `needle` first occurs.
fn flipped(h: &DiskHarness, path: &str, needle: &str) -> MemStorage {
    let mut disk = h.disk.clone();
    let mut bytes = disk.file(path).expect("file exists").to_vec();
    let at = bytes.windows(needle.len()).position(|w| w == needle.as_bytes()).expect("needle in file");
    bytes[at] ^= 0x01;
    disk.put(path, &bytes);
    disk
}

#[test]
fn a_bit_flip_inside_a_value_is_refused_not_replayed() {
    // Redis would load "hellp" here: well-formed, wrong. The checkpoints catch it.
    for base_rewritten in [false, true] {
        let mut h = DiskHarness::new(&conf(""));
        let c = h.connect();
        h.cmd(c, &["SET", "k", "hello"]);
        h.cmd(c, &["SET", "other", "1"]);
        let path = if base_rewritten {
            // The value now lives in an AOF-format base written by a rewrite.
            assert_eq!(h.cmd(c, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
            h.tick(1000);
            "appendonlydir/appendonly.aof.2.base.aof"
        } else {
            INCR1
        };
        let r = DiskHarness::on_disk(&h.config_text, flipped(&h, path, "hello"));
        assert_eq!(r.exited, Some(1), "{:?}", r.logs);
        assert!(r.logged("checksum mismatch"), "{:?}", r.logs);
        assert!(r.logged("is damaged (its checksums do not match): refusing to load it"), "{:?}", r.logs);
        // Untouched, the same disk loads.
        let mut r = h.kill_and_restart();
        let c = r.connect();
        assert_eq!(r.cmd(c, &["GET", "k"]), "$5\r\nhello\r\n");
    }
}

#[test]
fn a_torn_checksummed_write_loads_like_redis_and_is_sealed_at_once() {
    let mut h = DiskHarness::new(&conf("appendfsync everysec"));
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    let good = h.file(INCR1);
    h.cmd(c, &["SET", "b", "2"]);
    let whole = h.file(INCR1);
    let with_b = good.len() + resp(&["SET", "b", "2"]).len();
    // Every cut inside the second write (its command or its checkpoint line).
    for cut in good.len() + 1..whole.len() {
        let mut disk = h.disk.clone();
        disk.put(INCR1, &whole.as_bytes()[..cut]);
        let mut r = DiskHarness::on_disk(&h.config_text, disk);
        assert_eq!(r.exited, None, "cut at {cut}: {:?}", r.logs);
        // As Redis: complete commands stay, a partial one is cut off.
        let b = if cut >= with_b { "$1\r\n2\r\n" } else { "$-1\r\n" };
        let c = r.connect();
        assert_eq!(r.cmd(c, &["MGET", "a", "b"]), format!("*2\r\n$1\r\n1\r\n{b}"), "cut at {cut}");
        // What was kept got a checkpoint of its own right after loading, so
        // damage to it is found from now on, and appends chain on.
        assert!(r.file(INCR1).ends_with("\r\n"), "cut at {cut}: {:?}", r.file(INCR1));
        r.cmd(c, &["SET", "c", "3"]);
        let mut again = r.kill_and_restart();
        assert_eq!(again.exited, None, "cut at {cut}: {:?}", again.logs);
        let c = again.connect();
        assert_eq!(again.cmd(c, &["MGET", "a", "b", "c"]), format!("*3\r\n$1\r\n1\r\n{b}$1\r\n3\r\n"));
        if cut >= with_b {
            let damaged = flipped(&r, INCR1, "$1\r\n2");
            let bad = DiskHarness::on_disk(&h.config_text, damaged);
            assert_eq!(bad.exited, Some(1), "cut at {cut}: a flip in the sealed tail is found");
        }
    }
}

#[test]
fn redis_bytes_appended_to_a_checksummed_file_are_sealed_on_load() {
    // redsim wrote the file, then real Redis appended a command to it.
    let mut h = DiskHarness::new(&conf(""));
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    let mut disk = h.disk.clone();
    let mut bytes = h.file(INCR1).into_bytes();
    bytes.extend_from_slice(resp(&["SET", "redis", "wrote-this"]).as_bytes());
    disk.put(INCR1, &bytes);
    let mut r = DiskHarness::on_disk(&h.config_text, disk);
    assert_eq!(r.exited, None, "{:?}", r.logs);
    let c = r.connect();
    assert_eq!(r.cmd(c, &["GET", "redis"]), "$10\r\nwrote-this\r\n");
    assert!(r.file(INCR1).starts_with(std::str::from_utf8(&bytes).unwrap()));
    assert!(r.file(INCR1).len() > bytes.len(), "a checkpoint now covers Redis's bytes");
    let bad = DiskHarness::on_disk(&h.config_text, flipped(&r, INCR1, "wrote-this"));
    assert_eq!(bad.exited, Some(1));
}

#[test]
fn corruption_in_the_middle_refuses_to_start() {
    let mut bad = [resp(&["SELECT", "0"]), resp(&["SET", "a", "1"])].concat();
    let offset = bad.len();
    bad.push_str("garbage\r\n");
    bad.push_str(&resp(&["SET", "b", "1"]));
    let h = DiskHarness::on_disk(&conf(""), disk_with_incr(bad.as_bytes()));
    assert_eq!(h.exited, Some(1));
    assert!(h.logged(&format!("AOF appendonly.aof.1.incr.aof is not valid at offset {offset}")), "{:?}", h.logs);
    assert!(h.logged("Bad file format reading the append only file appendonly.aof.1.incr.aof"));

    // A truncated file that is not the last one is fatal whatever the setting.
    let mut d = disk_with_incr(b"*1\r\n$4\r\nPI");
    d.put(MANIFEST, b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
    d.put("appendonlydir/appendonly.aof.2.incr.aof", b"");
    let h = DiskHarness::on_disk(&conf(""), d);
    assert_eq!(h.exited, Some(1));
    assert!(h.logged("is not the last file"));

    let h = DiskHarness::on_disk(&conf(""), disk_with_incr(&resp(&["NOSUCHCMD", "x"]).into_bytes()));
    assert_eq!(h.exited, Some(1));
    assert!(h.logged("Unknown command 'NOSUCHCMD' reading the append only file appendonly.aof.1.incr.aof"));
}

#[test]
fn manifest_problems_refuse_to_start() {
    let mut d = disk_with_incr(b"");
    d.put(MANIFEST, b"file appendonly.aof.1.base.aof seq 1 type x\n");
    let h = DiskHarness::on_disk(&conf(""), d);
    assert_eq!(h.exited, Some(1));
    assert!(h.logged("Invalid AOF manifest file format"));

    let mut d = disk_with_incr(b"");
    d.execute(&crate::node::persistence::StorageOp::Remove { path: INCR1.into() });
    let h = DiskHarness::on_disk(&conf(""), d);
    assert_eq!(h.exited, Some(1));
    assert!(h.logged("The AOF file appendonly.aof.1.incr.aof doesn't exist"));

    // A base without incremental files gets a new one, recorded in the manifest.
    let mut d = disk_with_incr(b"");
    d.put(MANIFEST, b"file appendonly.aof.1.base.aof seq 1 type b\n");
    let mut h = DiskHarness::on_disk(&conf(""), d);
    assert_eq!(h.exited, None);
    assert_eq!(
        h.file(MANIFEST),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let c = h.connect();
    assert_eq!(h.cmd(c, &["GET", "base"]), "$1\r\n1\r\n");
}

#[test]
fn commands_get_loading_errors_until_the_aof_is_loaded() {
    let mut h = DiskHarness::unstarted(&conf(""), disk_with_incr(resp(&["SET", "a", "1"]).as_bytes()), super::START_MS);
    h.node.start(h.now);
    h.collect();
    let c = h.connect();
    h.send(c, &["GET", "a"]);
    assert_eq!(h.take(c), "-LOADING Redis is loading the dataset in memory\r\n");
    h.send(c, &["INFO", "persistence"]);
    assert!(h.take(c).contains("loading:1"));
    assert!(h.node.is_loading());
    h.pump();
    assert!(!h.node.is_loading());
    assert_eq!(h.cmd(c, &["GET", "a"]), "$1\r\n1\r\n");
}

/// A large AOF is replayed a step at a time, each a timer turn: clients
/// get `-LOADING` between the steps instead of waiting for the whole file,
/// and a truncated last command is still cut back at the end.
#[test]
fn a_large_aof_replays_in_steps_and_clients_are_answered_between_them() {
    let mut incr = String::new();
    for i in 0..40_000 {
        incr.push_str(&resp(&["RPUSH", &format!("list{}", i % 7), &format!("element-{i:0>40}")]));
    }
    let whole = incr.len();
    incr.push_str("*3\r\n$3\r\nSET\r\n$1\r\nx");
    let mut h =
        DiskHarness::unstarted(&conf("aof-load-truncated yes"), disk_with_incr(incr.as_bytes()), super::START_MS);
    h.node.start(h.now);
    h.collect();
    let c = h.connect();
    let mut steps = 0;
    let mut loading_replies = 0;
    while h.step() {
        // The cron ticks meanwhile (and may run a step itself).
        h.node.tick(h.now);
        h.collect();
        if h.node.next_timer_ms() == Some(h.now) {
            // Between two replay steps.
            steps += 1;
            h.send(c, &["LLEN", "list0"]);
            if h.take(c) == "-LOADING Redis is loading the dataset in memory\r\n" {
                loading_replies += 1;
            }
        }
    }
    assert!(steps > 3, "the file was replayed in {steps} steps");
    assert_eq!(loading_replies, steps);
    assert!(!h.node.is_loading());
    assert_eq!(h.cmd(c, &["LLEN", "list0"]), ":5715\r\n");
    assert!(h.logged(&format!("!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {whole} !!!")));
    // Cut back, then sealed with a checkpoint line.
    let file = String::from_utf8_lossy(h.disk.file(INCR1).expect("kept")).into_owned();
    assert!(file.starts_with(&incr[..whole]) && file[whole..].starts_with("#crc64:"), "{}", &file[whole - 20..]);
}

#[test]
fn everysec_fsyncs_even_when_writes_never_stop() {
    let mut h = DiskHarness::new(&conf("appendfsync everysec"));
    let c = h.connect();
    let before = h.disk.count(OpKind::Fsync, "incr");
    // A new write arrives before every storage result: the writer is never idle at a tick.
    for i in 0..400 {
        h.send(c, &["SET", &format!("k{i}"), "v"]);
        h.step();
        h.now += 10;
        h.node.tick(h.now);
        h.collect();
    }
    let fsyncs = h.disk.count(OpKind::Fsync, "incr") - before;
    assert!((3..=5).contains(&fsyncs), "4 seconds of writes, {fsyncs} fsyncs");
}
