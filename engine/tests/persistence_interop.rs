//! redsim's files and real Redis 7.0's are interchangeable: an AOF directory
//! or a dump.rdb written by one loads in the other with the same DEBUG
//! DIGEST, and redis-check-aof / redis-check-rdb accept redsim's files.
//! Real redis-server, redis-check-aof and redis-check-rdb must be installed.

mod persistence_support;

use std::process::Command;

use persistence_support::{digest, fresh_dir, write_mixed_dataset, Rng, Server};

fn check_aof(dir: &std::path::Path) {
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let out = Command::new("redis-check-aof").arg(&manifest).output().expect("redis-check-aof must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "redis-check-aof refused redsim's AOF:\n{text}");
    assert!(text.contains("All AOF files and manifest are valid"), "{text}");
}

/// redsim writes an AOF (base + incremental), real Redis loads it and goes on.
fn redsim_aof_to_redis(preamble: &str) {
    let dir = fresh_dir(&format!("aof-to-redis-{preamble}"));
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--save", ""];
    let mut s = Server::redsim(&dir, &args);
    let mut c = s.client();
    let mut rng = Rng(7);
    write_mixed_dataset(&mut c, &mut rng, 200);
    assert_eq!(c.cmd(&["BGREWRITEAOF"]).text(), "Background append only file rewriting started");
    write_mixed_dataset(&mut c, &mut rng, 100);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "in-multi"]);
    c.cmd(&["SELECT", "4"]);
    c.cmd(&["LPUSH", "in-multi-list", "x"]);
    c.cmd(&["EXEC"]);
    let want = digest(&mut c);
    // Wait for the rewrite to finish, then crash: the files are all there is.
    for _ in 0..200 {
        if c.cmd(&["INFO", "persistence"]).text().contains("aof_rewrite_in_progress:0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.kill9();
    check_aof(&dir);
    let mut r = Server::redis(&dir, &["--appendonly", "yes", "--save", ""]);
    let mut rc = r.client();
    assert_eq!(digest(&mut rc), want, "real Redis loaded a different dataset; log:\n{}", r.log_text());
    assert!(r.log_text().contains("DB loaded from append only file"));
    // Redis appends to redsim's incremental file, and redsim reads it back.
    rc.cmd(&["SET", "written-by-redis", "1"]);
    let want = digest(&mut rc);
    r.shutdown(&["NOSAVE"]);
    let s = Server::redsim(&dir, &args);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want, "log:\n{}", s.log_text());
}

#[test]
fn redsim_aof_loads_in_real_redis_with_rdb_preamble() {
    redsim_aof_to_redis("yes");
}

#[test]
fn redsim_aof_loads_in_real_redis_without_rdb_preamble() {
    redsim_aof_to_redis("no");
}

#[test]
fn real_redis_aof_loads_in_redsim() {
    for preamble in ["yes", "no"] {
        let dir = fresh_dir(&format!("redis-aof-{preamble}"));
        let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--save", ""];
        let mut r = Server::redis(&dir, &args);
        let mut rc = r.client();
        let mut rng = Rng(11);
        write_mixed_dataset(&mut rc, &mut rng, 200);
        rc.cmd(&["BGREWRITEAOF"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        write_mixed_dataset(&mut rc, &mut rng, 50);
        rc.cmd(&["SET", "px", "v", "PX", "100000000"]);
        let want = digest(&mut rc);
        r.kill9();
        let mut s = Server::redsim(&dir, &args);
        let mut c = s.client();
        assert_eq!(digest(&mut c), want, "preamble {preamble}; log:\n{}", s.log_text());
        // redsim goes on appending to Redis's files; Redis still reads them.
        c.cmd(&["SET", "written-by-redsim", "1"]);
        c.cmd(&["BGREWRITEAOF"]);
        c.cmd(&["SADD", "after-rewrite", "x"]);
        let want = digest(&mut c);
        std::thread::sleep(std::time::Duration::from_millis(300));
        s.shutdown(&["NOSAVE"]);
        check_aof(&dir);
        let r = Server::redis(&dir, &args);
        assert_eq!(digest(&mut r.client()), want, "log:\n{}", r.log_text());
    }
}

#[test]
fn dump_rdb_both_ways() {
    // redsim saves, real Redis loads.
    let dir = fresh_dir("rdb-redsim-to-redis");
    let mut s = Server::redsim(&dir, &["--save", ""]);
    let mut c = s.client();
    write_mixed_dataset(&mut c, &mut Rng(3), 300);
    assert_eq!(c.cmd(&["SAVE"]).text(), "OK");
    let want = digest(&mut c);
    s.kill9();
    let out = Command::new("redis-check-rdb").arg(dir.join("dump.rdb")).output().expect("redis-check-rdb installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let mut r = Server::redis(&dir, &["--save", ""]);
    assert_eq!(digest(&mut r.client()), want, "log:\n{}", r.log_text());
    // Real Redis saves (BGSAVE), redsim loads.
    let mut rc = r.client();
    rc.cmd(&["SET", "from-redis", "1"]);
    rc.cmd(&["BGSAVE"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let want = digest(&mut rc);
    r.kill9();
    let s = Server::redsim(&dir, &["--save", ""]);
    assert_eq!(digest(&mut s.client()), want, "log:\n{}", s.log_text());
    assert!(s.log_text().contains("DB loaded from disk"));
}

#[test]
fn bgsave_serves_commands_and_shutdown_saves() {
    let dir = fresh_dir("bgsave-proc");
    let mut s = Server::redsim(&dir, &[]);
    let mut c = s.client();
    write_mixed_dataset(&mut c, &mut Rng(5), 500);
    let want = digest(&mut c);
    assert_eq!(c.cmd(&["BGSAVE"]).text(), "Background saving started");
    c.cmd(&["SET", "after-bgsave", "1"]);
    let mut saved = false;
    for _ in 0..200 {
        let info = c.cmd(&["INFO", "persistence"]).text();
        if info.contains("rdb_bgsave_in_progress:0") {
            assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
            saved = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(saved);
    s.kill9();
    let mut s = Server::redsim(&dir, &[]);
    let mut c = s.client();
    assert_eq!(digest(&mut c), want, "BGSAVE's snapshot is the dataset when it started");
    c.cmd(&["SET", "before-shutdown", "1"]);
    let want = digest(&mut c);
    s.shutdown(&[]);
    let s = Server::redsim(&dir, &[]);
    assert_eq!(digest(&mut s.client()), want, "SHUTDOWN saved with the default save points");
}

/// INFO persistence has Redis's fields, in Redis's order, with and without the AOF.
#[test]
fn info_persistence_fields_match_redis() {
    for aof in ["no", "yes"] {
        let names = |s: &Server| -> Vec<String> {
            let info = s.client().cmd(&["INFO", "persistence"]).text();
            info.lines().filter(|l| l.contains(':')).map(|l| l.split(':').next().unwrap().to_string()).collect()
        };
        let dir = fresh_dir(&format!("info-redis-{aof}"));
        let r = Server::redis(&dir, &["--appendonly", aof]);
        let dir = fresh_dir(&format!("info-redsim-{aof}"));
        let s = Server::redsim(&dir, &["--appendonly", aof]);
        assert_eq!(names(&s), names(&r), "appendonly {aof}");
    }
}
