//! AOF rewrites on an in-memory disk: BGREWRITEAOF while commands run, the
//! manifest at each step, history clean-up, crashes in the middle, automatic
//! rewrites, turning the AOF on at runtime, and the RDB preamble.

use super::disk::DiskHarness;
use crate::node::persistence::mem_storage::OpKind;
use crate::node::persistence::StorageError;

const AOF: &str = "appendonly yes\naof-use-rdb-preamble no\nsave \"\"\nappendfsync always\n";
const MANIFEST: &str = "appendonlydir/appendonly.aof.manifest";

fn dataset(h: &mut DiskHarness, c: u64) {
    for i in 0..50 {
        h.cmd(c, &["SET", &format!("s{i}"), &i.to_string()]);
        h.cmd(c, &["RPUSH", "list", &i.to_string()]);
        h.cmd(c, &["HSET", "h", &format!("f{i}"), "v"]);
        h.cmd(c, &["ZADD", "z", &format!("{i}.5"), &format!("m{i}")]);
        h.cmd(c, &["SADD", "set", &format!("x{i}")]);
    }
    h.cmd(c, &["SELECT", "5"]);
    h.cmd(c, &["SET", "in5", "v", "EX", "1000"]);
    h.cmd(c, &["SELECT", "0"]);
}

#[test]
fn bgrewriteaof_with_writes_during_the_rewrite() {
    let mut h = DiskHarness::new(AOF);
    let c = h.connect();
    dataset(&mut h, c);
    h.send(c, &["BGREWRITEAOF"]);
    assert_eq!(h.take(c), "+Background append only file rewriting started\r\n");
    assert!(h.logged("Creating AOF incr file appendonly.aof.2.incr.aof on background rewrite"));
    assert_eq!(
        h.cmd_no_disk(c, &["BGREWRITEAOF"]),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    assert_eq!(h.cmd_no_disk(c, &["BGSAVE"]), "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n");
    assert_eq!(h.cmd_no_disk(c, &["BGSAVE", "SCHEDULE"]), "+Background saving scheduled\r\n");
    let mut seen_middle_manifest = false;
    let mut n = 0;
    while h.step() {
        if n < 60 {
            n += 1;
            h.send(c, &["INCR", "during"]);
        }
        let m = h.disk.file(MANIFEST).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        if m.contains("appendonly.aof.1.base.aof") && m.contains("appendonly.aof.2.incr.aof") {
            seen_middle_manifest = true;
            // A crash now keeps everything: old base, old incr and the new incr.
            let mut r = h.crash_and_restart();
            let rc = r.connect();
            assert_eq!(r.cmd(rc, &["LLEN", "list"]), ":50\r\n");
        }
    }
    h.pump();
    assert!(seen_middle_manifest, "the new incr file is recorded before the base is written");
    assert_eq!(
        h.file(MANIFEST),
        "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let mut files = h.disk.paths();
    files.sort();
    assert_eq!(
        files,
        vec![
            "appendonlydir/appendonly.aof.2.base.aof",
            "appendonlydir/appendonly.aof.2.incr.aof",
            "appendonlydir/appendonly.aof.manifest"
        ],
        "history removed, no temp files"
    );
    assert!(h.logged("Background AOF rewrite finished successfully"));
    assert!(h.logged("Removing the history file appendonly.aof.1.incr.aof in the background"));
    assert_eq!(h.info_field(c, "aof_rewrites"), "1");
    assert_eq!(h.info_field(c, "aof_last_bgrewrite_status"), "ok");
    assert_eq!(h.info_field(c, "aof_base_size"), h.file("appendonlydir/appendonly.aof.2.base.aof").len().to_string());
    // The scheduled BGSAVE runs once the rewrite is over.
    h.tick(100);
    assert!(h.disk.file("dump.rdb").is_some());
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    assert_eq!(h.cmd(c, &["GET", "during"]), format!("${}\r\n{}\r\n", n.to_string().len(), n));
    let mut r = h.crash_and_restart();
    let rc = r.connect();
    assert_eq!(r.cmd(rc, &["DEBUG", "DIGEST"]), digest);
}

#[test]
fn a_failed_rewrite_keeps_the_old_files_and_every_write() {
    let mut h = DiskHarness::new(AOF);
    let c = h.connect();
    dataset(&mut h, c);
    h.disk.fail(OpKind::Write, "temp-rewriteaof", StorageError::NoSpace, Some(1));
    assert_eq!(h.cmd(c, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    assert!(h.logged("Background AOF rewrite terminated with error"));
    assert_eq!(h.info_field(c, "aof_last_bgrewrite_status"), "err");
    assert_eq!(h.info_field(c, "aof_rewrites_consecutive_failures"), "1");
    assert_eq!(h.cmd(c, &["SET", "after", "1"]), "+OK\r\n");
    assert!(h.disk.paths().iter().all(|p| !p.contains("temp")), "{:?}", h.disk.paths());
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    let mut r = h.crash_and_restart();
    let rc = r.connect();
    assert_eq!(r.cmd(rc, &["DEBUG", "DIGEST"]), digest);
    // The next rewrite succeeds and numbers its files after the failed one's.
    assert_eq!(r.cmd(rc, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    assert_eq!(
        r.file(MANIFEST),
        "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
    );
}

#[test]
fn automatic_rewrite_on_growth() {
    let mut h = DiskHarness::new(&format!("{AOF}auto-aof-rewrite-min-size 1kb\nauto-aof-rewrite-percentage 100\n"));
    let c = h.connect();
    for i in 0..20 {
        h.cmd(c, &["SET", "k", &format!("{i:0>100}")]);
    }
    h.tick(100);
    assert!(h.logged("Starting automatic rewriting of AOF on"), "{:?}", h.logs);
    assert!(h.logged("Background AOF rewrite finished successfully"));
    assert!(h.file("appendonlydir/appendonly.aof.2.base.aof").len() < 300, "one key left");
    h.tick(100);
    assert_eq!(h.info_field(c, "aof_rewrites"), "1", "no growth since: no second rewrite");
}

#[test]
fn config_set_appendonly_turns_the_aof_on_and_off() {
    let mut h = DiskHarness::new("save \"\"\naof-use-rdb-preamble no");
    let c = h.connect();
    h.cmd(c, &["SET", "before", "1"]);
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "appendonly", "yes"]), "+OK\r\n");
    assert_eq!(
        h.file(MANIFEST),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    h.cmd(c, &["SET", "after", "1"]);
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    // Restart with appendonly on: the AOF has everything.
    let mut r = DiskHarness::on_disk("save \"\"\nappendonly yes", h.disk.clone());
    let rc = r.connect();
    assert_eq!(r.cmd(rc, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "appendonly", "no"]), "+OK\r\n");
    let size = h.file("appendonlydir/appendonly.aof.1.incr.aof").len();
    h.cmd(c, &["SET", "off", "1"]);
    assert_eq!(h.file("appendonlydir/appendonly.aof.1.incr.aof").len(), size);
    assert_eq!(h.info_field(c, "aof_enabled"), "0");
    // On again: a new generation of files replaces the old ones.
    h.cmd(c, &["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(
        h.file(MANIFEST),
        "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert!(h.disk.file("appendonlydir/appendonly.aof.1.base.aof").is_none());
}

#[test]
fn rdb_preamble_base() {
    let mut h = DiskHarness::new("appendonly yes\nsave \"\"\nappendfsync always");
    assert!(h.file("appendonlydir/appendonly.aof.1.base.rdb").starts_with("REDIS"));
    let c = h.connect();
    dataset(&mut h, c);
    assert_eq!(h.cmd(c, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    h.cmd(c, &["SET", "tail", "1"]);
    assert!(h.file("appendonlydir/appendonly.aof.2.base.rdb").starts_with("REDIS0010"));
    let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
    let mut r = h.crash_and_restart();
    assert!(r.logged("Reading RDB base file on AOF loading..."));
    assert!(r.logged("RDB is base AOF"));
    let rc = r.connect();
    assert_eq!(r.cmd(rc, &["DEBUG", "DIGEST"]), digest);
}

/// The new base is the dataset of the moment BGREWRITEAOF started, made as
/// its writes complete, and the new incremental file holds what came after:
/// commands that change keys the base has not reached yet (not idempotent:
/// APPEND, INCR, RPUSH, DEL) must not land in both, in either base form.
#[test]
fn a_rewrite_base_is_the_dataset_of_its_start_while_commands_change_it() {
    for preamble in ["no", "yes"] {
        let mut h = DiskHarness::new(&format!(
            "appendonly yes\nappendfsync always\naof-use-rdb-preamble {preamble}\nsave \"\"\n"
        ));
        let c = h.connect();
        for i in 0..3000 {
            h.cmd(c, &["SET", &format!("k{i}"), &format!("{i:0>200}")]);
        }
        h.cmd(c, &["RPUSH", "list", "a"]);
        h.send(c, &["BGREWRITEAOF"]);
        assert_eq!(h.take(c), "+Background append only file rewriting started\r\n");
        let w = h.connect();
        let mut i = 0;
        let mut steps = 0;
        // The disk takes one operation per step: the rewrite's and the
        // AOF's writes of the commands sent meanwhile, in order.
        while !h.logged("Background AOF rewrite finished successfully") {
            assert!(h.step() && steps < 100_000, "the rewrite never finishes");
            steps += 1;
            for _ in 0..20 {
                // From the last key down: the base is read from the first up.
                let k = format!("k{}", 2999 - i % 3000);
                let words: &[&str] = match i % 4 {
                    0 => &["APPEND", &k, "+"],
                    1 => &["DEL", &k],
                    2 => &["SET", &k, "7"],
                    _ => &["RPUSH", "list", "b"],
                };
                // Their replies wait for the AOF; INFO on `c` does not.
                h.send(w, words);
                i += 1;
            }
        }
        assert!(steps > 10, "the base went out in {steps} steps");
        h.pump();
        let replies = h.take(w);
        assert!(!replies.contains('-'), "{replies}");
        assert_eq!(h.cmd(c, &["LLEN", "list"]), format!(":{}\r\n", 1 + i / 4));
        assert!(h.logged("Background AOF rewrite finished successfully"));
        let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
        let mut r = h.crash_and_restart();
        let rc = r.connect();
        assert_eq!(r.cmd(rc, &["DEBUG", "DIGEST"]), digest, "aof-use-rdb-preamble {preamble}");
    }
}
