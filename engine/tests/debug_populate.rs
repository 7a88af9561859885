//! DEBUG POPULATE, run the same way on real Redis and on redsim (both
//! engines): replies, the dataset's digest, encodings, statistics, WATCH and
//! what reaches the AOF must all agree. The bench script needs it for its
//! 1M-key memory row.

mod persistence_support;

use persistence_support::{digest, fresh_dir, Server};

/// Runs the script on `s` and returns everything observed, line by line.
fn observe(s: &Server) -> Vec<String> {
    let mut c = s.client();
    let mut watcher = s.client();
    let mut out = Vec::new();
    let mut run = |c: &mut persistence_support::Client, words: &[&str]| {
        let reply = c.cmd(words);
        out.push(format!("{words:?} -> {reply:?}"));
    };
    run(&mut c, &["SET", "key:1", "mine"]);
    run(&mut c, &["SET", "key:4", "soon-gone", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    run(&mut watcher, &["WATCH", "key:7"]);
    run(&mut watcher, &["WATCH", "key:1"]);
    for words in [
        &["DEBUG", "POPULATE", "10"][..],
        &["DEBUG", "POPULATE", "3", "p", "12"],
        &["DEBUG", "POPULATE", "2", "big", "100"],
        &["DEBUG", "POPULATE", "2", "cut", "3"],
        &["DEBUG", "POPULATE", "2", "zero", "0"],
        &["DEBUG", "POPULATE", "0"],
        &["DEBUG", "POPULATE", "abc"],
        &["DEBUG", "POPULATE", "-1"],
        &["DEBUG", "POPULATE", "1", "x", "-5"],
        &["DEBUG", "POPULATE"],
        &["DEBUG", "POPULATE", "1", "x", "2", "extra"],
        &["GET", "key:1"],
        &["GET", "key:4"],
        &["GET", "p:2"],
        &["GET", "cut:1"],
        &["GET", "zero:1"],
        &["STRLEN", "big:0"],
        &["OBJECT", "ENCODING", "key:0"],
        &["OBJECT", "ENCODING", "big:1"],
        &["DBSIZE"],
    ] {
        run(&mut c, words);
    }
    run(&mut watcher, &["MULTI"]);
    run(&mut watcher, &["PING"]);
    run(&mut watcher, &["EXEC"]);
    run(&mut c, &["SELECT", "3"]);
    run(&mut c, &["DEBUG", "POPULATE", "2"]);
    run(&mut c, &["DBSIZE"]);
    out.push(format!("digest {}", digest(&mut c)));
    let info = c.cmd(&["INFO"]).text();
    for field in ["keyspace_hits", "keyspace_misses", "rdb_changes_since_last_save", "expired_keys", "db0", "db3"] {
        let line = info.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap_or("(missing)");
        out.push(line.trim().to_string());
    }
    out
}

#[test]
fn debug_populate_matches_redis() {
    let dir = fresh_dir("debug-populate");
    let redis = observe(&Server::redis(&dir, &["--save", ""]));
    for engine in ["model", "engine"] {
        let redsim = observe(&Server::redsim(&dir, &["--save", "", "--engine", engine]));
        for (r, s) in redis.iter().zip(&redsim) {
            assert_eq!(s, r, "redsim ({engine}) differs from Redis");
        }
        assert_eq!(redsim.len(), redis.len());
    }
}

/// The keys stay out of the AOF, as in Redis: after a crash they are gone.
#[test]
fn debug_populate_is_not_propagated() {
    for redis in [true, false] {
        let dir = fresh_dir(&format!("debug-populate-aof-{redis}"));
        let args = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];
        let start = |dir: &std::path::Path| if redis { Server::redis(dir, &args) } else { Server::redsim(dir, &args) };
        let mut s = start(&dir);
        let mut c = s.client();
        assert_eq!(c.cmd(&["SET", "kept", "1"]).text(), "OK");
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100"]).text(), "OK");
        assert_eq!(c.cmd(&["DBSIZE"]).int(), 101);
        s.kill9();
        let s = start(&dir);
        let mut c = s.client();
        assert_eq!(c.cmd(&["DBSIZE"]).int(), 1, "redis: {redis}");
    }
}
