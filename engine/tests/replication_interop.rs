//! Replication between redsim and a real Redis 7.0: a real replica follows a
//! redsim master (both snapshot forms: `$EOF:` diskless and `$<length>`), a
//! redsim replica follows a real master (started with `--replicaof` and with
//! REPLICAOF at runtime), both survive a broken link with a partial resync,
//! and ROLE, INFO replication, WAIT and the READONLY error look like Redis's.
//! Also: transactions that SELECT inside MULTI, full syncs while another
//! client keeps writing, a chain real -> redsim -> real with the middle node
//! promoted (PSYNC2 continuation), and unlinked nodes' INFO and ROLE.
//! The datasets of both sides are compared with DEBUG DIGEST (and, on a
//! mismatch, key by key with TYPE, PEXPIRETIME and DEBUG DIGEST-VALUE).
//!
//! The real redis-server must be installed: its absence fails the tests.

mod persistence_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use persistence_support::{digest, fresh_dir, write_mixed_dataset, Client, Reply, Rng, Server};

/// How long any one condition may take to become true.
const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `probe` until it returns `Some`, or fails with `what` and the
/// description `context` gives at that moment (logs, INFO).
fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>, context: impl Fn() -> String) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {PATIENCE:?} waiting for {what}\n{}", context());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// INFO `section` as ordered `(field, value)` pairs.
fn info_fields(c: &mut Client, section: &str) -> Vec<(String, String)> {
    let text = c.cmd(&["INFO", section]).text();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn info(c: &mut Client, section: &str) -> BTreeMap<String, String> {
    info_fields(c, section).into_iter().collect()
}

fn field(c: &mut Client, section: &str, name: &str) -> String {
    info(c, section).get(name).cloned().unwrap_or_else(|| panic!("INFO {section} has no {name}"))
}

/// Everything useful when a replication check fails.
fn describe(master: &Server, replica: &Server) -> String {
    let repl = |s: &Server| match Client::try_connect(s.port) {
        Ok(mut c) => c.try_cmd(&["INFO", "replication"]).map(|r| r.text()).unwrap_or_else(|e| e.to_string()),
        Err(e) => e.to_string(),
    };
    format!(
        "--- master INFO replication:\n{}\n--- replica INFO replication:\n{}\n--- master log:\n{}\n--- replica log:\n{}",
        repl(master),
        repl(replica),
        tail(&master.log_text()),
        tail(&replica.log_text())
    )
}

/// The last lines of a log.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// Waits until the replica's INFO replication says the link is up.
fn wait_link_up(master: &Server, replica: &Server) {
    let mut rc = replica.client();
    wait_for(
        "master_link_status:up on the replica",
        || (field(&mut rc, "replication", "master_link_status") == "up").then_some(()),
        || describe(master, replica),
    );
}

/// Waits until the replica applied everything the master produced (the
/// same master_repl_offset on both, the link up); returns that offset.
fn wait_in_sync(master: &Server, replica: &Server) -> u64 {
    let (mut mc, mut rc) = (master.client(), replica.client());
    wait_for(
        "the replica's offset to reach the master's",
        || {
            let m = info(&mut mc, "replication");
            let r = info(&mut rc, "replication");
            let up = r.get("master_link_status").is_some_and(|s| s == "up");
            let (mo, ro) = (m.get("master_repl_offset")?, r.get("master_repl_offset")?);
            (up && mo == ro).then(|| mo.parse().unwrap())
        },
        || describe(master, replica),
    )
}

/// One key as both sides can describe it: TYPE, PEXPIRETIME, DEBUG DIGEST-VALUE.
fn key_summaries(c: &mut Client) -> BTreeMap<(u32, Vec<u8>), String> {
    let mut out = BTreeMap::new();
    for db in 0..16u32 {
        c.cmd(&["SELECT", &db.to_string()]);
        let Reply::Array(Some(keys)) = c.cmd(&["KEYS", "*"]) else { panic!("KEYS") };
        for k in keys {
            let Reply::Bulk(Some(k)) = k else { panic!("key {k:?}") };
            let name = String::from_utf8_lossy(&k).into_owned();
            let t = c.cmd(&["TYPE", &name]).text();
            let ttl = c.cmd(&["PEXPIRETIME", &name]);
            let d = c.cmd(&["DEBUG", "DIGEST-VALUE", &name]);
            out.insert((db, k), format!("{t} pexpiretime={ttl:?} digest={d:?}"));
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

/// Same DEBUG DIGEST on both sides; on a mismatch, the keys that differ.
fn assert_same_dataset(master: &Server, replica: &Server, when: &str) {
    let (mut mc, mut rc) = (master.client(), replica.client());
    let (dm, dr) = (digest(&mut mc), digest(&mut rc));
    assert_ne!(dm, "0".repeat(40), "{when}: the master's dataset is empty, nothing is tested");
    if dm == dr {
        return;
    }
    let (km, kr) = (key_summaries(&mut mc), key_summaries(&mut rc));
    let mut diffs = Vec::new();
    for key in km.keys().chain(kr.keys().filter(|k| !km.contains_key(*k))) {
        let (a, b) = (km.get(key), kr.get(key));
        if a != b {
            diffs.push(format!("db {} key {:?}: master {a:?} replica {b:?}", key.0, String::from_utf8_lossy(&key.1)));
        }
    }
    let shown = diffs.iter().take(25).cloned().collect::<Vec<_>>().join("\n");
    panic!(
        "{when}: DEBUG DIGEST differs: master {dm}, replica {dr}; {} keys on the master, {} on the replica, {} \
         differ:\n{shown}\n{}",
        km.len(),
        kr.len(),
        diffs.len(),
        describe(master, replica)
    );
}

fn ok(r: Reply, what: &str) {
    assert!(!matches!(r, Reply::Error(_)), "{what}: {r:?}");
}

/// A seeded mix of writes over a few databases: strings with and without
/// expire times, lists, hashes, sets, sorted sets, counters, DEL, EXPIRE,
/// PERSIST, removals, transactions (which SELECT another database inside
/// MULTI, so that the stream carries a SELECT between MULTI and EXEC). Keys
/// carry `tag`, so rounds add up.
fn churn(c: &mut Client, rng: &mut Rng, tag: &str, n: usize) {
    churn_with(c, rng, tag, n, true);
}

/// `churn`, with or without a SELECT inside its transactions.
fn churn_with(c: &mut Client, rng: &mut Rng, tag: &str, n: usize, select_in_multi: bool) {
    for _ in 0..n {
        let db = rng.below(4).to_string();
        ok(c.cmd(&["SELECT", &db]), "SELECT");
        let i = rng.below(12);
        let v = format!("{}{}", "x".repeat(rng.below(40) as usize), rng.next());
        let (s, l, h, st, z, n, f) = (
            format!("{tag}:s{i}"),
            format!("{tag}:l{i}"),
            format!("{tag}:h{i}"),
            format!("{tag}:set{i}"),
            format!("{tag}:z{i}"),
            format!("{tag}:n{i}"),
            format!("{tag}:f{i}"),
        );
        let any = [&s, &l, &h, &st, &z, &n, &f][rng.below(7) as usize].clone();
        let r = match rng.below(22) {
            0 | 1 => c.cmd(&["SET", &s, &v]),
            2 => c.cmd(&["SET", &s, &v, "EX", &(1000 + rng.below(100000)).to_string()]),
            3 => c.cmd(&["SETEX", &s, &(5000 + rng.below(1000)).to_string(), &v]),
            4 => c.cmd(&["APPEND", &s, "-tail"]),
            5 => c.cmd(&["RPUSH", &l, &v, "b", &i.to_string()]),
            6 => c.cmd(&["LPUSH", &l, &v]),
            7 => c.cmd(&["LPOP", &l]),
            8 => c.cmd(&["HSET", &h, &format!("f{}", rng.below(6)), &v]),
            9 => c.cmd(&["HDEL", &h, &format!("f{}", rng.below(6))]),
            10 => c.cmd(&["SADD", &st, &format!("m{}", rng.below(20)), &rng.below(1000).to_string()]),
            11 => c.cmd(&["SREM", &st, &format!("m{}", rng.below(20))]),
            12 => c.cmd(&["ZADD", &z, &rng.below(100).to_string(), &format!("m{}", rng.below(20))]),
            13 => c.cmd(&["ZINCRBY", &z, "2.5", &format!("m{}", rng.below(20))]),
            14 => c.cmd(&["INCR", &n]),
            15 => c.cmd(&["INCRBY", &n, &rng.below(1000).to_string()]),
            16 => c.cmd(&["INCRBYFLOAT", &f, "1.25"]),
            17 => c.cmd(&["DEL", &any]),
            18 => c.cmd(&["EXPIRE", &any, &(1000 + rng.below(5000)).to_string()]),
            19 => c.cmd(&["PEXPIRE", &any, &(2_000_000 + rng.below(5000)).to_string()]),
            20 => c.cmd(&["PERSIST", &any]),
            _ => {
                ok(c.cmd(&["MULTI"]), "MULTI");
                c.cmd(&["INCR", &n]);
                c.cmd(&["HSET", &h, "in-multi", &v]);
                if select_in_multi {
                    c.cmd(&["SELECT", "5"]);
                }
                c.cmd(&["SADD", &st, &v]);
                c.cmd(&["EXEC"])
            }
        };
        ok(r, "churn");
    }
    ok(c.cmd(&["SELECT", "0"]), "SELECT");
}

/// The writes made once the replica is online: churn, plus what only the
/// stream carries: keys that expire (the master's DEL), FLUSHDB, SWAPDB.
fn writes_after_sync(c: &mut Client, rng: &mut Rng, tag: &str) {
    churn(c, rng, tag, 300);
    for j in 0..10 {
        ok(c.cmd(&["SET", &format!("{tag}:short{j}"), "v", "PX", "30"]), "SET PX");
    }
    c.cmd(&["SELECT", "6"]);
    for j in 0..20 {
        c.cmd(&["SET", &format!("{tag}:doomed{j}"), "v"]);
    }
    ok(c.cmd(&["FLUSHDB"]), "FLUSHDB");
    c.cmd(&["SET", &format!("{tag}:after-flush"), "1"]);
    c.cmd(&["SELECT", "0"]);
    ok(c.cmd(&["SWAPDB", "1", "2"]), "SWAPDB");
    // The short keys expire; reading them makes the master delete them now.
    std::thread::sleep(Duration::from_millis(60));
    for j in 0..10 {
        assert_eq!(c.cmd(&["GET", &format!("{tag}:short{j}")]), Reply::Bulk(None));
    }
}

fn role(c: &mut Client) -> Vec<Reply> {
    match c.cmd(&["ROLE"]) {
        Reply::Array(Some(v)) => v,
        other => panic!("ROLE: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// 1. A real replica of a redsim master.

fn redis_replica_of_redsim(diskless: bool) {
    let started = Instant::now();
    let name = if diskless { "diskless" } else { "disk" };
    let sync = if diskless { "yes" } else { "no" };
    let master_args =
        ["--save", "", "--appendonly", "no", "--repl-diskless-sync", sync, "--repl-diskless-sync-delay", "0"];
    let master = Server::redsim(&fresh_dir(&format!("repl-m-{name}")), &master_args);
    let mut mc = master.client();
    let mut rng = Rng(0x5eed + diskless as u64);
    write_mixed_dataset(&mut mc, &mut rng, 150);
    churn(&mut mc, &mut rng, "before", 300);

    let port = master.port.to_string();
    let replica_args = ["--replicaof", "127.0.0.1", &port, "--save", "", "--repl-diskless-load", "disabled"];
    let replica = Server::redis(&fresh_dir(&format!("repl-r-{name}")), &replica_args);
    wait_link_up(&master, &replica);
    let form = if diskless { "receiving streamed RDB from master with EOF" } else { "bytes from master to disk" };
    assert!(
        replica.log_text().contains(form),
        "expected '{form}' in the replica's log\n{}",
        describe(&master, &replica)
    );
    wait_in_sync(&master, &replica);
    assert_same_dataset(&master, &replica, "after the full sync");

    writes_after_sync(&mut mc, &mut rng, "online");
    wait_in_sync(&master, &replica);
    assert_same_dataset(&master, &replica, "after streaming");

    // The replica drops its master, then the master drops its replica: each
    // time the replica comes back with PSYNC and continues.
    cut_and_resume(&master, &master, &replica, &replica, "master", &mut rng, 1, "0", true);
    cut_and_resume(&master, &master, &replica, &master, "replica", &mut rng, 2, "0", true);
    eprintln!("redis replica of redsim master ({name}): {:?}", started.elapsed());
}

#[test]
fn redis_replica_syncs_from_redsim_master_diskless() {
    redis_replica_of_redsim(true);
}

#[test]
fn redis_replica_syncs_from_redsim_master_disk() {
    redis_replica_of_redsim(false);
}

// ---------------------------------------------------------------------------
// 2. A redsim replica of a real master.

/// After the first sync: streaming, then a link the master cuts and a
/// partial resync. `partial_errs`: the master's sync_partial_err in the end
/// (a node that was a master asks its first PSYNC with its own history, which
/// the master refuses and counts, as Redis's replicationCacheMasterUsingMyself;
/// a fresh node started with `--replicaof` asks `PSYNC ? -1`, not counted).
fn redsim_replica_follows(master: &Server, replica: &Server, rng: &mut Rng, partial_errs: &str) {
    let mut mc = master.client();
    wait_link_up(master, replica);
    wait_in_sync(master, replica);
    assert_same_dataset(master, replica, "after the full sync");

    writes_after_sync(&mut mc, rng, "online");
    wait_in_sync(master, replica);
    assert_same_dataset(master, replica, "after streaming");

    cut_and_resume(master, master, replica, master, "replica", rng, 1, partial_errs, true);
    cut_and_resume(master, master, replica, replica, "master", rng, 2, partial_errs, true);
}

/// `CLIENT KILL TYPE <kind>` on `killer` cuts the link; writes go on on
/// `origin` (the master, or the top of a chain) meanwhile; the replica must come back with a partial resync (the
/// master's `partial_ok`-th) and have the master's dataset.
// The servers' roles differ from test to test (a chain, either side killing):
// naming each one at the call reads better than a struct built for one use.
#[allow(clippy::too_many_arguments)]
fn cut_and_resume(
    origin: &Server,
    master: &Server,
    replica: &Server,
    killer: &Server,
    kind: &str,
    rng: &mut Rng,
    partial_ok: u32,
    partial_errs: &str,
    select_in_multi: bool,
) {
    let (mut oc, mut mc) = (origin.client(), master.client());
    let when = format!(
        "after CLIENT KILL TYPE {kind} on the {}",
        if killer.port == master.port { "master" } else { "replica" }
    );
    let killed = killer.client().cmd(&["CLIENT", "KILL", "TYPE", kind]);
    assert_eq!(killed, Reply::Int(1), "{when}\n{}", describe(master, replica));
    churn_with(&mut oc, rng, &format!("link-down-{partial_ok}"), 100, select_in_multi);
    let partial_ok = partial_ok.to_string();
    wait_for(
        &format!("the master's sync_partial_ok to reach {partial_ok} {when}"),
        || (field(&mut mc, "stats", "sync_partial_ok") == partial_ok).then_some(()),
        || describe(master, replica),
    );
    wait_link_up(master, replica);
    wait_in_sync(master, replica);
    let stats = info(&mut mc, "stats");
    assert_eq!(
        (stats["sync_full"].as_str(), stats["sync_partial_ok"].as_str(), stats["sync_partial_err"].as_str()),
        ("1", partial_ok.as_str(), partial_errs),
        "{when}: one full sync, then partial ones\n{}",
        describe(master, replica)
    );
    let log = replica.log_text();
    let continued = log.matches("Successful partial resynchronization with master.").count().to_string();
    assert_eq!(continued, partial_ok, "{when}: the replica's log\n{}", describe(master, replica));
    assert_same_dataset(master, replica, &format!("{when} and the partial resync"));
}

#[test]
fn redsim_replica_syncs_from_redis_master_at_startup() {
    let started = Instant::now();
    // A PING in the stream every second, too.
    let master_args = ["--save", "", "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"];
    let master = Server::redis(&fresh_dir("repl-redis-m"), &master_args);
    let mut mc = master.client();
    let mut rng = Rng(0xfeed);
    write_mixed_dataset(&mut mc, &mut rng, 150);
    churn(&mut mc, &mut rng, "before", 300);
    let port = master.port.to_string();
    let replica_args = ["--replicaof", "127.0.0.1", &port, "--save", "", "--appendonly", "no"];
    let replica = Server::redsim(&fresh_dir("repl-redsim-r"), &replica_args);
    redsim_replica_follows(&master, &replica, &mut rng, "0");
    eprintln!("redsim replica of redis master (--replicaof): {:?}", started.elapsed());
}

/// REPLICAOF at runtime, against a master that sends `$<length>` snapshots;
/// the replica's own data is replaced; REPLICAOF NO ONE makes it a master.
#[test]
fn redsim_replicaof_command_at_runtime() {
    let started = Instant::now();
    let master_args = ["--save", "", "--repl-diskless-sync", "no", "--repl-diskless-sync-delay", "0"];
    let master = Server::redis(&fresh_dir("repl-redis-m-rt"), &master_args);
    let mut mc = master.client();
    let mut rng = Rng(0xbeef);
    write_mixed_dataset(&mut mc, &mut rng, 150);
    churn(&mut mc, &mut rng, "before", 300);

    let replica = Server::redsim(&fresh_dir("repl-redsim-r-rt"), &["--save", "", "--appendonly", "no"]);
    let mut rc = replica.client();
    rc.cmd(&["SET", "replica-only", "gone after the sync"]);
    let port = master.port.to_string();
    assert_eq!(rc.cmd(&["REPLICAOF", "127.0.0.1", &port]), Reply::Status("OK".into()));
    redsim_replica_follows(&master, &replica, &mut rng, "1");
    assert_eq!(rc.cmd(&["EXISTS", "replica-only"]), Reply::Int(0));
    assert_eq!(
        rc.cmd(&["REPLICAOF", "127.0.0.1", &port]),
        Reply::Status("OK Already connected to specified master".into())
    );

    // A master again: writes are accepted, and ROLE says so.
    assert_eq!(rc.cmd(&["REPLICAOF", "NO", "ONE"]), Reply::Status("OK".into()));
    assert_eq!(role(&mut rc)[0], Reply::Bulk(Some(b"master".to_vec())));
    assert_eq!(rc.cmd(&["SET", "written-on-the-promoted-node", "1"]), Reply::Status("OK".into()));
    wait_for(
        "the master to see its replica go",
        || (field(&mut mc, "replication", "connected_slaves") == "0").then_some(()),
        || describe(&master, &replica),
    );

    // Following the master again resyncs and drops the promoted node's write.
    mc.cmd(&["SET", "while-apart", "1"]);
    assert_eq!(rc.cmd(&["REPLICAOF", "127.0.0.1", &port]), Reply::Status("OK".into()));
    wait_link_up(&master, &replica);
    wait_in_sync(&master, &replica);
    assert_same_dataset(&master, &replica, "after following the master again");
    assert_eq!(rc.cmd(&["EXISTS", "written-on-the-promoted-node"]), Reply::Int(0));

    // Another master, with other data: a full sync replaces everything.
    let other = Server::redis(&fresh_dir("repl-redis-m-rt2"), &master_args);
    let mut oc = other.client();
    write_mixed_dataset(&mut oc, &mut Rng(0xabc), 60);
    churn(&mut oc, &mut Rng(0xabd), "other", 100);
    let other_port = other.port.to_string();
    assert_eq!(rc.cmd(&["REPLICAOF", "127.0.0.1", &other_port]), Reply::Status("OK".into()));
    wait_for(
        "the replica to follow the other master",
        || (field(&mut rc, "replication", "master_port") == other_port).then_some(()),
        || describe(&other, &replica),
    );
    wait_link_up(&other, &replica);
    wait_in_sync(&other, &replica);
    assert_same_dataset(&other, &replica, "after switching to another master");
    eprintln!("redsim replica of redis master (REPLICAOF): {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------
// 3 and 4. ROLE, INFO replication, WAIT and READONLY, next to Redis's own.

/// A redsim master with a real replica, and a real master with a redsim
/// replica, both synchronized and idle.
struct Pairs {
    redsim_master: Server,
    redis_replica: Server,
    redis_master: Server,
    redsim_replica: Server,
}

fn pairs(name: &str) -> Pairs {
    // No PINGs in the stream while the offsets are compared.
    let m_args = ["--save", "", "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600"];
    let redsim_master = Server::redsim(&fresh_dir(&format!("{name}-sm")), &m_args);
    let redis_master = Server::redis(&fresh_dir(&format!("{name}-rm")), &m_args);
    for m in [&redsim_master, &redis_master] {
        let mut c = m.client();
        churn(&mut c, &mut Rng(99), "seed", 100);
    }
    let r_args = |port: &str| {
        ["--replicaof", "127.0.0.1", port, "--save", "", "--repl-diskless-load", "disabled"].map(String::from)
    };
    let p = redsim_master.port.to_string();
    let a = r_args(&p);
    let redis_replica = Server::redis(&fresh_dir(&format!("{name}-rr")), &a.each_ref().map(|s| s.as_str()));
    let p = redis_master.port.to_string();
    let a = r_args(&p);
    let redsim_replica = Server::redsim(&fresh_dir(&format!("{name}-sr")), &a.each_ref().map(|s| s.as_str()));
    wait_link_up(&redsim_master, &redis_replica);
    wait_link_up(&redis_master, &redsim_replica);
    // Some stream too, so that the offsets compared are not all 0.
    for m in [&redsim_master, &redis_master] {
        churn(&mut m.client(), &mut Rng(7), "streamed", 50);
    }
    wait_in_sync(&redsim_master, &redis_replica);
    wait_in_sync(&redis_master, &redsim_replica);
    Pairs { redsim_master, redis_replica, redis_master, redsim_replica }
}

fn names(fields: &[(String, String)]) -> Vec<String> {
    fields.iter().map(|(k, _)| k.clone()).collect()
}

/// `slave0:ip=...,port=...,state=...,offset=...,lag=...` as a map.
fn slave0(fields: &[(String, String)]) -> BTreeMap<String, String> {
    let line = fields.iter().find(|(k, _)| k == "slave0").map(|(_, v)| v.clone()).expect("a slave0 line");
    line.split(',').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Both sides of a link at rest, seen at one moment: INFO replication and
/// ROLE of the master and of the replica, and the offset they all agree on.
struct Settled {
    master_info: Vec<(String, String)>,
    replica_info: Vec<(String, String)>,
    master_role: Vec<Reply>,
    replica_role: Vec<Reply>,
    offset: u64,
}

/// Waits until the master's slave0 line shows the replica online (a real
/// master says so only once its snapshot child is done) and acknowledging the
/// master's whole offset, the replica applied it, and nothing moved while
/// both sides were asked.
fn settle(master: &Server, replica: &Server) -> Settled {
    let (mut mc, mut rc) = (master.client(), replica.client());
    wait_for(
        "both sides at rest, the master's whole offset applied and acknowledged",
        || {
            let master_info = info_fields(&mut mc, "replication");
            let replica_info = info_fields(&mut rc, "replication");
            let master_role = role(&mut mc);
            let replica_role = role(&mut rc);
            let again = info(&mut mc, "replication");
            let get = |f: &[(String, String)], k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let offset = get(&master_info, "master_repl_offset")?;
            let s0 = master_info.iter().any(|(k, _)| k == "slave0").then(|| slave0(&master_info))?;
            let agreed = s0.get("state").is_some_and(|st| st == "online")
                && s0.get("offset") == Some(&offset)
                && get(&replica_info, "master_repl_offset").as_ref() == Some(&offset)
                && get(&replica_info, "slave_repl_offset").as_ref() == Some(&offset)
                && again.get("master_repl_offset") == Some(&offset);
            let offset: u64 = offset.parse().ok()?;
            agreed.then_some(Settled { master_info, replica_info, master_role, replica_role, offset })
        },
        || describe(master, replica),
    )
}

#[test]
fn role_and_info_replication_look_like_redis() {
    let p = pairs("role");
    let ctx = || {
        format!(
            "redsim master / redis replica:\n{}\nredis master / redsim replica:\n{}",
            describe(&p.redsim_master, &p.redis_replica),
            describe(&p.redis_master, &p.redsim_replica)
        )
    };
    let redsim_master = settle(&p.redsim_master, &p.redis_replica);
    let redis_master = settle(&p.redis_master, &p.redsim_replica);
    // INFO replication: the same fields in the same order, per role.
    assert_eq!(
        names(&redsim_master.master_info),
        names(&redis_master.master_info),
        "INFO replication of a master with one replica\n{}",
        ctx()
    );
    assert_eq!(
        names(&redis_master.replica_info),
        names(&redsim_master.replica_info),
        "INFO replication of a replica\n{}",
        ctx()
    );

    for (master, replica, st) in
        [(&p.redsim_master, &p.redis_replica, &redsim_master), (&p.redis_master, &p.redsim_replica, &redis_master)]
    {
        let m: BTreeMap<_, _> = st.master_info.iter().cloned().collect();
        let r: BTreeMap<_, _> = st.replica_info.iter().cloned().collect();
        let off = st.offset;
        assert_ne!(off, 0, "some stream went through");
        let why = || describe(master, replica);
        assert_eq!(m["role"], "master", "{}", why());
        assert_eq!(m["connected_slaves"], "1", "{}", why());
        assert_eq!(r["role"], "slave", "{}", why());
        assert_eq!(r["master_link_status"], "up", "{}", why());
        assert_eq!(r["master_host"], "127.0.0.1", "{}", why());
        assert_eq!(r["master_port"], master.port.to_string(), "{}", why());
        assert_eq!(r["master_sync_in_progress"], "0", "{}", why());
        assert_eq!(r["connected_slaves"], "0", "{}", why());
        assert_eq!(r["slave_read_repl_offset"], off.to_string(), "{}", why());
        assert_eq!(r["master_replid"], m["master_replid"], "one history on both sides\n{}", why());
        let s0 = slave0(&st.master_info);
        assert_eq!(s0["ip"], "127.0.0.1", "{}", why());
        assert_eq!(s0["port"], replica.port.to_string(), "{}", why());
        assert!(s0["lag"].parse::<u64>().is_ok_and(|l| l <= 1), "{}", why());
        assert_eq!(m["repl_backlog_active"], "1", "{}", why());
        assert_eq!(m["repl_backlog_first_byte_offset"], "1", "a backlog created by the first sync\n{}", why());
        assert_eq!(m["repl_backlog_histlen"], off.to_string(), "{}", why());

        // ROLE: master offset [[ip port ack]], and slave host port state offset.
        let want_master = vec![
            Reply::Bulk(Some(b"master".to_vec())),
            Reply::Int(off as i64),
            Reply::Array(Some(vec![Reply::Array(Some(vec![
                Reply::Bulk(Some(b"127.0.0.1".to_vec())),
                Reply::Bulk(Some(replica.port.to_string().into_bytes())),
                Reply::Bulk(Some(off.to_string().into_bytes())),
            ]))])),
        ];
        assert_eq!(st.master_role, want_master, "{}", why());
        let want_replica = vec![
            Reply::Bulk(Some(b"slave".to_vec())),
            Reply::Bulk(Some(b"127.0.0.1".to_vec())),
            Reply::Int(master.port as i64),
            Reply::Bulk(Some(b"connected".to_vec())),
            Reply::Int(off as i64),
        ];
        assert_eq!(st.replica_role, want_replica, "{}", why());
    }
}

#[test]
fn wait_counts_replicas_and_replicas_refuse_writes() {
    let p = pairs("wait");
    for (master, replica) in [(&p.redsim_master, &p.redis_replica), (&p.redis_master, &p.redsim_replica)] {
        let mut mc = master.client();
        let why = || describe(master, replica);
        ok(mc.cmd(&["SET", "waited", "1"]), "SET");
        ok(mc.cmd(&["LPUSH", "waited-list", "a", "b"]), "LPUSH");
        let t = Instant::now();
        assert_eq!(mc.cmd(&["WAIT", "1", "5000"]), Reply::Int(1), "WAIT 1 on a master with one replica\n{}", why());
        assert!(t.elapsed() < Duration::from_secs(3), "WAIT 1 took {:?}\n{}", t.elapsed(), why());
        // The write WAIT waited for is on the replica.
        let mut rc = replica.client();
        assert_eq!(rc.cmd(&["GET", "waited"]), Reply::Bulk(Some(b"1".to_vec())), "{}", why());
        // More replicas than there are: the timeout, and the count reached.
        ok(mc.cmd(&["SET", "waited", "2"]), "SET");
        let t = Instant::now();
        assert_eq!(mc.cmd(&["WAIT", "2", "300"]), Reply::Int(1), "{}", why());
        assert!(t.elapsed() >= Duration::from_millis(290), "WAIT 2 300 returned after {:?}", t.elapsed());
        // Nothing written since: WAIT 0 answers at once with the replicas in sync.
        assert_eq!(mc.cmd(&["WAIT", "0", "0"]), Reply::Int(1), "{}", why());
    }
    // A replica refuses writes with Redis's words; both sides agree.
    let refusal = Reply::Error("READONLY You can't write against a read only replica.".into());
    for replica in [&p.redis_replica, &p.redsim_replica] {
        let mut rc = replica.client();
        assert_eq!(rc.cmd(&["SET", "k", "v"]), refusal, "SET on a replica");
        assert_eq!(rc.cmd(&["INCR", "waited"]), refusal, "INCR on a replica");
        ok(rc.cmd(&["MULTI"]), "MULTI");
        let queued = rc.cmd(&["SET", "k", "v"]);
        assert_eq!(queued, refusal, "SET queued in MULTI on a replica");
        let exec = rc.cmd(&["EXEC"]);
        assert!(exec.text().starts_with("EXECABORT"), "EXEC after a refused write: {exec:?}");
        assert_eq!(rc.cmd(&["GET", "waited"]), Reply::Bulk(Some(b"2".to_vec())), "reads are served");
    }
}

// ---------------------------------------------------------------------------
// Transactions across databases, and writes while the snapshot is made.

/// A master's transaction that SELECTs inside MULTI reaches the replica as
/// `SELECT a, MULTI, cmd.., SELECT b, cmd.., EXEC` (Redis 7.0 and redsim alike);
/// each command must run in the database selected before it.
#[test]
fn replica_applies_transactions_that_select_inside_multi() {
    let redis_m = Server::redis(&fresh_dir("multi-rm"), &["--save", "", "--repl-diskless-sync-delay", "0"]);
    let redsim_m = Server::redsim(&fresh_dir("multi-sm"), &["--save", "", "--repl-diskless-sync-delay", "0"]);
    let args = |m: &Server| ["--replicaof", "127.0.0.1", &m.port.to_string(), "--save", ""].map(String::from);
    let a = args(&redis_m);
    let redsim_r = Server::redsim(&fresh_dir("multi-sr"), &a.each_ref().map(|s| s.as_str()));
    let a = args(&redsim_m);
    let redis_r = Server::redis(&fresh_dir("multi-rr"), &a.each_ref().map(|s| s.as_str()));
    let redsim_m2 = Server::redsim(&fresh_dir("multi-sm2"), &["--save", "", "--repl-diskless-sync-delay", "0"]);
    let a = args(&redsim_m2);
    let redsim_r2 = Server::redsim(&fresh_dir("multi-sr2"), &a.each_ref().map(|s| s.as_str()));
    let mut failures = Vec::new();
    for (master, replica, who) in [
        (&redis_m, &redsim_r, "redsim replica of a real master"),
        (&redsim_m, &redis_r, "real replica of redsim"),
        (&redsim_m2, &redsim_r2, "redsim replica of redsim"),
    ] {
        wait_link_up(master, replica);
        let mut mc = master.client();
        for w in [&["SELECT", "1"][..], &["MULTI"], &["INCR", "n"], &["HSET", "h", "f", "v"], &["SELECT", "5"]] {
            ok(mc.cmd(w), "transaction");
        }
        ok(mc.cmd(&["SADD", "s", "x"]), "SADD");
        ok(mc.cmd(&["EXEC"]), "EXEC");
        wait_in_sync(master, replica);
        let mut rc = replica.client();
        let where_ = |c: &mut Client| -> Vec<String> {
            (0..16)
                .flat_map(|db| {
                    c.cmd(&["SELECT", &db.to_string()]);
                    let Reply::Array(Some(keys)) = c.cmd(&["KEYS", "*"]) else { panic!("KEYS") };
                    let mut keys: Vec<String> = keys.iter().map(|k| format!("db{db}:{}", k.text())).collect();
                    keys.sort();
                    keys
                })
                .collect()
        };
        let (want, got) = (where_(&mut mc), where_(&mut rc));
        if want != got {
            failures.push(format!("{who}: master has {want:?}, replica has {got:?}\n{}", describe(master, replica)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sets `stop` when dropped, also when a test panics (the writer thread ends).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Starts the replica while another connection keeps writing on the master
/// (before, during and after the snapshot), then compares the datasets.
fn sync_under_writes(master: &Server, start_replica: impl FnOnce() -> Server) {
    let stop = AtomicBool::new(false);
    let port = master.port;
    let (replica, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut c = Client::try_connect(port).expect("connects");
            let mut rng = Rng(0xd0d0);
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                churn_with(&mut c, &mut rng, "during", 20, false);
                n += 20;
            }
            n
        });
        let guard = StopOnDrop(&stop);
        let replica = start_replica();
        wait_link_up(master, &replica);
        std::thread::sleep(Duration::from_millis(300));
        drop(guard);
        (replica, writer.join().expect("the writer"))
    });
    assert!(written > 0);
    wait_in_sync(master, &replica);
    assert_same_dataset(master, &replica, &format!("after a sync under {written} concurrent writes"));
}

#[test]
fn full_sync_under_concurrent_writes() {
    for diskless in ["yes", "no"] {
        let m_args = ["--save", "", "--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0"];
        // A real replica of redsim.
        let master = Server::redsim(&fresh_dir(&format!("busy-sm-{diskless}")), &m_args);
        write_mixed_dataset(&mut master.client(), &mut Rng(1), 300);
        big_values(&mut master.client());
        let port = master.port.to_string();
        sync_under_writes(&master, || {
            let args = ["--replicaof", "127.0.0.1", &port, "--save", "", "--repl-diskless-load", "disabled"];
            Server::redis(&fresh_dir(&format!("busy-rr-{diskless}")), &args)
        });
        // A redsim replica of a real master.
        let master = Server::redis(&fresh_dir(&format!("busy-rm-{diskless}")), &m_args);
        write_mixed_dataset(&mut master.client(), &mut Rng(2), 300);
        big_values(&mut master.client());
        let port = master.port.to_string();
        sync_under_writes(&master, || {
            Server::redsim(
                &fresh_dir(&format!("busy-sr-{diskless}")),
                &["--replicaof", "127.0.0.1", &port, "--save", ""],
            )
        });
    }
}

/// A few megabytes, so that a snapshot takes many reads (and the EOF mark
/// may straddle two).
fn big_values(c: &mut Client) {
    for i in 0..64 {
        let v = format!("{i:08}").repeat(4096);
        ok(c.cmd(&["SET", &format!("big{i}"), &v]), "SET big");
    }
    c.cmd(&["SELECT", "3"]);
    for i in 0..20 {
        let items: Vec<String> = (0..500).map(|j| format!("item-{i}-{j}-{}", "z".repeat(30))).collect();
        let mut words = vec!["RPUSH".to_string(), format!("biglist{i}")];
        words.extend(items);
        let words: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
        ok(c.cmd(&words), "RPUSH big");
    }
    c.cmd(&["SELECT", "0"]);
}

// ---------------------------------------------------------------------------
// A chain through redsim, and a promotion.

/// A real master A, a redsim replica B of it, a real replica C of B: one
/// history and one offset along the chain (B passes the stream on byte for
/// byte); C resumes from B's backlog; then B is promoted (REPLICAOF NO ONE)
/// and C continues with it by a partial resync on B's previous id (PSYNC2).
#[test]
fn chain_through_a_redsim_replica_and_its_promotion() {
    let started = Instant::now();
    let a = Server::redis(&fresh_dir("chain-a"), &["--save", "", "--repl-diskless-sync-delay", "0"]);
    let mut ac = a.client();
    let mut rng = Rng(0xc4a1);
    write_mixed_dataset(&mut ac, &mut rng, 150);
    let port = a.port.to_string();
    let b_args = ["--replicaof", "127.0.0.1", &port, "--save", "", "--repl-diskless-sync-delay", "0"];
    let b = Server::redsim(&fresh_dir("chain-b"), &b_args);
    wait_link_up(&a, &b);
    let port = b.port.to_string();
    let c_args = ["--replicaof", "127.0.0.1", &port, "--save", "", "--repl-diskless-load", "disabled"];
    let c = Server::redis(&fresh_dir("chain-c"), &c_args);
    wait_link_up(&b, &c);
    churn_with(&mut ac, &mut rng, "chain", 300, false);
    let everyone = || format!("A-B:\n{}\nB-C:\n{}", describe(&a, &b), describe(&b, &c));
    let all = [&a, &b, &c];
    let offsets = wait_for(
        "the same replication id and offset on A, B and C",
        || {
            let v: Vec<(String, String)> = all
                .iter()
                .map(|s| {
                    let i = info(&mut s.client(), "replication");
                    (i["master_replid"].clone(), i["master_repl_offset"].clone())
                })
                .collect();
            v.iter().all(|x| *x == v[0]).then_some(v)
        },
        everyone,
    );
    assert_ne!(offsets[0].1, "0");
    assert_same_dataset(&a, &b, "A and B");
    assert_same_dataset(&b, &c, "B and C");

    // B cuts C: C resumes from B's backlog while A writes.
    cut_and_resume(&a, &b, &c, &b, "replica", &mut rng, 1, "0", false);
    assert_same_dataset(&a, &c, "A and C after C resumed from B");

    // B becomes a master: C must continue with it without a full sync.
    let mut bc = b.client();
    let before = info(&mut bc, "replication");
    assert_eq!(bc.cmd(&["REPLICAOF", "NO", "ONE"]), Reply::Status("OK".into()));
    let after = info(&mut bc, "replication");
    assert_eq!(after["role"], "master");
    assert_ne!(after["master_replid"], before["master_replid"], "a new history");
    assert_eq!(after["master_replid2"], before["master_replid"], "the old one remembered\n{}", everyone());
    let second: u64 = after["second_repl_offset"].parse().unwrap();
    assert_eq!(second, before["master_repl_offset"].parse::<u64>().unwrap() + 1, "{}", everyone());
    ok(bc.cmd(&["SET", "written-on-promoted-b", "1"]), "SET on B");
    let mut cc = c.client();
    wait_for(
        "C to follow B's new history",
        || {
            let i = info(&mut cc, "replication");
            (i["master_link_status"] == "up" && i["master_replid"] == after["master_replid"]).then_some(())
        },
        everyone,
    );
    wait_for(
        "B's sync_partial_ok to reach 2 (C's PSYNC on B's previous id)",
        || (field(&mut bc, "stats", "sync_partial_ok") == "2").then_some(()),
        everyone,
    );
    assert_eq!(field(&mut bc, "stats", "sync_full"), "1", "no full sync for C after the promotion\n{}", everyone());
    wait_in_sync(&b, &c);
    assert_same_dataset(&b, &c, "B promoted and C");
    assert_eq!(cc.cmd(&["GET", "written-on-promoted-b"]), Reply::Bulk(Some(b"1".to_vec())));
    assert_eq!(field(&mut cc, "replication", "master_replid2"), before["master_replid"], "{}", everyone());
    eprintln!("chain through redsim and promotion: {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------
// Without a link: a fresh master, and a replica whose master is unreachable.

/// INFO replication's values, replication ids left out (random on both).
fn without_ids(fields: Vec<(String, String)>) -> Vec<(String, String)> {
    fields.into_iter().filter(|(k, _)| k != "master_replid").collect()
}

#[test]
fn unlinked_nodes_look_like_redis() {
    // A fresh master: the same fields and values (no backlog yet).
    let redis = Server::redis(&fresh_dir("alone-r"), &["--save", ""]);
    let redsim = Server::redsim(&fresh_dir("alone-s"), &["--save", ""]);
    let (mut rc, mut sc) = (redis.client(), redsim.client());
    assert_eq!(
        without_ids(info_fields(&mut sc, "replication")),
        without_ids(info_fields(&mut rc, "replication")),
        "INFO replication of a master without replicas"
    );
    assert_eq!(role(&mut sc), role(&mut rc), "ROLE of a master without replicas");

    // A replica of a port nobody listens on: link down, never up.
    let dead = persistence_support::free_port().to_string();
    for c in [&mut rc, &mut sc] {
        assert_eq!(c.cmd(&["REPLICAOF", "127.0.0.1", &dead]), Reply::Status("OK".into()));
    }
    std::thread::sleep(Duration::from_millis(1500)); // A connection attempt or two (once a second).
    let r = without_ids(info_fields(&mut rc, "replication"));
    let s = without_ids(info_fields(&mut sc, "replication"));
    assert_eq!(names(&s), names(&r), "INFO replication of a replica whose master is down");
    for name in
        ["role", "master_link_status", "master_last_io_seconds_ago", "master_sync_in_progress", "slave_repl_offset"]
    {
        let get = |f: &[(String, String)]| f.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(get(&s), get(&r), "{name}");
    }
    let (rr, sr) = (role(&mut rc), role(&mut sc));
    assert_eq!(sr.len(), 5, "{sr:?}");
    assert_eq!((&sr[0], &sr[1], &sr[2], &sr[4]), (&rr[0], &rr[1], &rr[2], &rr[4]), "ROLE");
    let state = |r: &Reply| r.text();
    assert!(["connect", "connecting"].contains(&state(&sr[3]).as_str()), "ROLE state {:?} (Redis: {:?})", sr[3], rr[3]);
    // WAIT is refused on a replica, with Redis's words.
    assert_eq!(sc.cmd(&["WAIT", "0", "0"]), rc.cmd(&["WAIT", "0", "0"]), "WAIT on a replica");
    // Back to master.
    for c in [&mut rc, &mut sc] {
        assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), Reply::Status("OK".into()));
    }
    assert_eq!(role(&mut sc)[0], role(&mut rc)[0]);
    assert_eq!(sc.cmd(&["SET", "k", "v"]), Reply::Status("OK".into()));
}
