//! MIGRATE between real processes, checked against real Redis 7.0: the same
//! script runs with every pairing of source and target — redsim→redsim,
//! redsim→Redis, Redis→redsim — and must give the replies, the statistics
//! and the datasets (keys, types, values, TTLs) that Redis→Redis gives. Every
//! option is used: COPY, REPLACE, AUTH, AUTH2, KEYS, another database, and
//! the failures: target errors, refused connections, unknown hosts, timeouts.
//! Real `redis-server` must be installed: without it the test fails.

mod persistence_support;

use std::time::{Duration, Instant};

use persistence_support::{free_port, fresh_dir, start, Client, Kind, Reply};

/// One key as seen through commands: db, name, TYPE, DEBUG DIGEST-VALUE, PTTL.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyView {
    db: usize,
    key: String,
    kind: String,
    digest: String,
    pttl: i64,
}

/// Every key of databases 0 to 3.
fn snapshot(c: &mut Client) -> Vec<KeyView> {
    let mut out = Vec::new();
    for db in 0..4 {
        c.cmd(&["SELECT", &db.to_string()]);
        let Reply::Array(Some(keys)) = c.cmd(&["KEYS", "*"]) else { panic!("KEYS") };
        let mut keys: Vec<String> = keys.iter().map(Reply::text).collect();
        keys.sort();
        for key in keys {
            let kind = c.cmd(&["TYPE", &key]).text();
            let digest = match c.cmd(&["DEBUG", "DIGEST-VALUE", &key]) {
                Reply::Array(Some(v)) => v[0].text(),
                other => panic!("DEBUG DIGEST-VALUE: {other:?}"),
            };
            let pttl = c.cmd(&["PTTL", &key]).int();
            out.push(KeyView { db, key, kind, digest, pttl });
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

/// What a run produced, to compare with Redis→Redis.
#[derive(Debug)]
struct Outcome {
    /// (what was sent, the reply), in order.
    replies: Vec<(String, Reply)>,
    source: Vec<KeyView>,
    target: Vec<KeyView>,
    protected_target: Vec<KeyView>,
    /// The source's INFO lines about MIGRATE: commandstats, errorstats, cached sockets.
    stats: Vec<String>,
}

fn info_lines(c: &mut Client, section: &str, wanted: &[&str]) -> Vec<String> {
    let text = c.cmd(&["INFO", section]).text();
    text.lines()
        .filter(|l| wanted.iter().any(|w| l.starts_with(w)))
        .map(|l| {
            // usec figures are timings: keep the counts only.
            l.split(',').filter(|f| !f.starts_with("usec")).collect::<Vec<_>>().join(",")
        })
        .collect()
}

/// The script: every option and failure of MIGRATE, from `source` to a
/// target without a password and one with `requirepass pw`.
fn run(source: Kind, target: Kind) -> Outcome {
    let dir = fresh_dir(&format!("migrate-{source:?}-{target:?}"));
    let s = start(source, &dir, &[]);
    let t = start(target, &dir, &[]);
    let p = start(target, &dir, &[]);
    // Started without a password: the helper's readiness PING must get PONG.
    assert_eq!(p.client().cmd(&["CONFIG", "SET", "requirepass", "pw"]).text(), "OK");
    let (mut c, mut tc) = (s.client(), t.client());
    let (tport, pport) = (t.port.to_string(), p.port.to_string());
    let refused = free_port().to_string();

    // The source's dataset: every type, TTLs, a big list, another database.
    let setup: &[&[&str]] = &[
        &["SET", "s1", "v1"],
        &["SET", "s2", "v2", "PX", "100000"],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f", "v", "g", "w"],
        &["SADD", "st", "m1", "m2", "3"],
        &["ZADD", "z", "1", "a", "2.5", "b"],
        &["SET", "n", "12345"],
        &["SET", "busy", "mine", "EX", "5000"],
        &["SET", "n2", "x"],
        &["SET", "neg", "x"],
        &["SET", "s3", "x"],
        &["SET", "dup", "x"],
        &["SET", "tm", "x"],
        &["SET", "a1", "x"],
        &["SELECT", "1"],
        &["SET", "d1", "in-db-1"],
        &["SELECT", "0"],
    ];
    for cmd in setup {
        assert!(!matches!(c.cmd(cmd), Reply::Error(_)), "{cmd:?}");
    }
    let big: Vec<String> = (0..300).map(|i| format!("element-{i}")).collect();
    let mut rpush = vec!["RPUSH", "big"];
    rpush.extend(big.iter().map(String::as_str));
    c.cmd(&rpush);
    tc.cmd(&["SET", "busy", "theirs"]);

    let h = "127.0.0.1";
    let script: Vec<Vec<&str>> = vec![
        vec!["MIGRATE", h, &tport, "s1", "0", "5000"],
        vec!["MIGRATE", h, &tport, "s2", "0", "5000"],
        vec!["MIGRATE", h, &tport, "nosuch", "0", "5000"],
        vec!["MIGRATE", h, &tport, "", "0", "5000", "KEYS", "l", "h", "nosuch", "st"],
        vec!["MIGRATE", h, &tport, "", "0", "5000", "KEYS"],
        vec!["MIGRATE", h, &tport, "z", "3", "5000", "COPY"],
        vec!["MIGRATE", h, &tport, "z", "3", "5000", "COPY"],
        vec!["MIGRATE", h, &tport, "z", "3", "5000", "copy", "replace"],
        vec!["MIGRATE", h, &tport, "busy", "0", "5000"],
        vec!["MIGRATE", h, &tport, "busy", "0", "5000", "REPLACE"],
        vec!["MIGRATE", h, &tport, "", "0", "5000", "KEYS", "n", "big"],
        vec!["MIGRATE", h, &tport, "", "0", "5000", "KEYS", "dup", "dup"],
        // After an error the connection's database is unknown (-1): a
        // MIGRATE to database -1 then sends no SELECT and lands in db 0.
        vec!["MIGRATE", h, &tport, "neg", "-1", "5000"],
        vec!["MIGRATE", h, &tport, "s3", "0", "5000"],
        vec!["MIGRATE", h, &tport, "n2", "-1", "5000"],
        vec!["MIGRATE", h, &tport, "n2", "16", "5000"],
        // Argument errors, in Redis's order.
        vec!["MIGRATE", h, &tport, "k", "0", "5000", "KEYS", "a"],
        vec!["MIGRATE", h, &tport, "k", "x", "y", "bogus"],
        vec!["MIGRATE", h, &tport, "k", "0", "5000", "AUTH"],
        vec!["MIGRATE", h, &tport, "k", "0", "5000", "AUTH2", "default"],
        vec!["MIGRATE", h, &tport, "k", "zero", "5000"],
        vec!["MIGRATE", h, &tport, "k", "0", "5s"],
        vec!["MIGRATE", h, &tport, "k"],
        // AUTH and AUTH2.
        vec!["MIGRATE", h, &pport, "a1", "0", "5000"],
        vec!["MIGRATE", h, &pport, "a1", "0", "5000", "AUTH", "wrong"],
        vec!["MIGRATE", h, &pport, "a1", "0", "5000", "COPY", "AUTH", "pw"],
        vec!["MIGRATE", h, &pport, "a1", "2", "5000", "AUTH2", "default", "pw"],
        vec!["MIGRATE", h, &tport, "n2", "0", "5000", "COPY", "AUTH", "pw"],
        // Connections that cannot be made.
        vec!["MIGRATE", h, &refused, "n2", "0", "1000"],
        vec!["MIGRATE", "nonexistent.invalid", &tport, "n2", "0", "1000"],
        vec!["MIGRATE", h, "-5", "n2", "0", "1000"],
        vec!["MIGRATE", "localhost", &tport, "n2", "1", "5000"],
    ];
    let mut replies = Vec::new();
    for cmd in &script {
        replies.push((cmd.join(" "), c.cmd(cmd)));
    }
    // From another database of the source.
    c.cmd(&["SELECT", "1"]);
    replies.push(("SELECT 1; MIGRATE d1".into(), c.cmd(&["MIGRATE", h, &tport, "d1", "0", "5000"])));
    c.cmd(&["SELECT", "0"]);
    // A key that expired is not there to migrate.
    c.cmd(&["SET", "e", "x", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(10));
    replies.push(("MIGRATE e (expired)".into(), c.cmd(&["MIGRATE", h, &tport, "e", "0", "5000"])));
    // A target that does not answer in time.
    assert_eq!(tc.cmd(&["CLIENT", "PAUSE", "1500", "ALL"]).text(), "OK");
    replies.push(("MIGRATE tm (paused target)".into(), c.cmd(&["MIGRATE", h, &tport, "tm", "0", "300"])));
    std::thread::sleep(Duration::from_millis(1600));
    // After the timeout the connection is new: SELECT is sent again.
    replies.push(("MIGRATE tm again".into(), c.cmd(&["MIGRATE", h, &tport, "tm", "0", "5000", "COPY"])));

    let stats = [
        info_lines(&mut c, "commandstats", &["cmdstat_migrate"]),
        info_lines(&mut c, "errorstats", &["errorstat_"]),
        info_lines(&mut c, "stats", &["migrate_cached_sockets"]),
    ]
    .concat();
    let source = snapshot(&mut c);
    let target = snapshot(&mut tc);
    let mut pc = p.client();
    pc.cmd(&["AUTH", "pw"]);
    let protected_target = snapshot(&mut pc);
    Outcome { replies, source, target, protected_target, stats }
}

/// Same keys, types and values; TTLs alike (none on both, or within a few
/// seconds of each other: the runs are not simultaneous).
fn same_keys(what: &str, got: &[KeyView], want: &[KeyView]) {
    let strip = |v: &[KeyView]| -> Vec<(usize, String, String, String)> {
        v.iter().map(|k| (k.db, k.key.clone(), k.kind.clone(), k.digest.clone())).collect()
    };
    assert_eq!(strip(got), strip(want), "{what}: keys, types or values differ");
    for (g, w) in got.iter().zip(want) {
        let alike = (g.pttl == w.pttl) || (g.pttl > 0 && w.pttl > 0 && (g.pttl - w.pttl).abs() < 5000);
        assert!(alike, "{what}: TTL of {} is {} here, {} with Redis", g.key, g.pttl, w.pttl);
    }
}

fn compare(label: &str, got: &Outcome, want: &Outcome) {
    assert_eq!(got.replies.len(), want.replies.len());
    for ((cmd, g), (_, w)) in got.replies.iter().zip(&want.replies) {
        assert_eq!(g, w, "{label}: `{cmd}` answered differently from Redis→Redis");
    }
    assert_eq!(got.stats, want.stats, "{label}: INFO about MIGRATE differs");
    same_keys(&format!("{label} source"), &got.source, &want.source);
    same_keys(&format!("{label} target"), &got.target, &want.target);
    same_keys(&format!("{label} protected target"), &got.protected_target, &want.protected_target);
}

#[test]
fn migrate_matches_real_redis_in_every_direction() {
    let want = run(Kind::Redis, Kind::Redis);
    // The reference itself must show what the script is about.
    let replies: Vec<String> = want.replies.iter().map(|(_, r)| r.text()).collect();
    assert_eq!(replies[0], "OK");
    assert_eq!(replies[2], "NOKEY");
    assert!(replies.iter().any(|r| r.starts_with("ERR Target instance replied with error: BUSYKEY")));
    for text in [
        "IOERR error or timeout reading to target instance",
        "IOERR error or timeout writing to target instance",
        "IOERR error or timeout connecting to the client",
        "ERR Target instance replied with error: ERR DB index is out of range",
        "ERR Target instance replied with error: NOAUTH Authentication required.",
    ] {
        assert!(replies.iter().any(|r| r == text), "the script no longer shows {text:?}: {replies:?}");
    }
    assert_eq!(replies.iter().filter(|r| r.starts_with("IOERR")).count(), 4, "{replies:?}");
    assert!(want.target.iter().any(|k| k.key == "s2" && k.pttl > 90_000), "{:?}", want.target);
    for (source, target) in [(Kind::Redsim, Kind::Redsim), (Kind::Redsim, Kind::Redis), (Kind::Redis, Kind::Redsim)] {
        let got = run(source, target);
        compare(&format!("{source:?}→{target:?}"), &got, &want);
    }
}

/// redsim's own improvement: while MIGRATE waits for a silent target, other
/// clients are served (Redis would block them all), and a command on the
/// key being migrated waits for the migration to end.
#[test]
fn redsim_serves_other_clients_while_migrate_waits() {
    let dir = fresh_dir("migrate-nonblocking");
    let s = start(Kind::Redsim, &dir, &[]);
    let t = start(Kind::Redis, &dir, &[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["SET", "other", "x"]);
    let mut tc = t.client();
    assert_eq!(tc.cmd(&["CLIENT", "PAUSE", "3000", "ALL"]).text(), "OK");
    let port = t.port.to_string();
    let started = Instant::now();
    let waiter = std::thread::spawn(move || c.cmd(&["MIGRATE", "127.0.0.1", &port, "k", "0", "1000"]));
    std::thread::sleep(Duration::from_millis(200));
    let mut other = s.client();
    let t0 = Instant::now();
    assert_eq!(other.cmd(&["GET", "other"]).text(), "x");
    assert!(t0.elapsed() < Duration::from_millis(500), "another client waited {:?}", t0.elapsed());
    // The migrating key is held until MIGRATE is over (here: times out).
    assert_eq!(other.cmd(&["GET", "k"]).text(), "v");
    assert!(started.elapsed() >= Duration::from_millis(1000));
    let reply = waiter.join().unwrap();
    assert_eq!(reply.text(), "IOERR error or timeout reading to target instance");
}
