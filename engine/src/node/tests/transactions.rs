//! MULTI/EXEC/WATCH and the propagation stream.

use super::Harness;

fn stream(h: &mut Harness) -> Vec<String> {
    h.node
        .take_propagated()
        .into_iter()
        .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn multi_exec_queues_and_runs() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.raw(c, b"EXEC\r\nDISCARD\r\nMULTI\r\nMULTI\r\nSET a b\r\nINCR a\r\nGET a\r\nEXEC\r\n");
    assert_eq!(
        out,
        "-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n+OK\r\n-ERR MULTI calls can not be nested\r\n\
         +QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nb\r\n"
    );
    let out = h.raw(c, b"MULTI\r\nSET a\r\nGET a\r\nEXEC\r\nMULTI\r\nWATCH x\r\nSAVE\r\nDISCARD\r\n");
    assert_eq!(
        out,
        "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n+QUEUED\r\n\
         -EXECABORT Transaction discarded because of previous errors.\r\n\
         +OK\r\n-ERR WATCH inside MULTI is not allowed\r\n-ERR Command not allowed inside a transaction\r\n+OK\r\n"
    );
    // Arguments are checked when EXEC runs them, as in Redis.
    let out = h.raw(c, b"MULTI\r\nSET k v EX abc\r\nSELECT 2\r\nSET k2 v\r\nEXEC\r\nGET k2\r\n");
    assert_eq!(out, "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n-ERR value is not an integer or out of range\r\n+OK\r\n+OK\r\n$1\r\nv\r\n");
}

#[test]
fn watch_fails_exec_after_another_client_writes() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    assert_eq!(h.cmd(a, &["WATCH", "k"]), "+OK\r\n");
    h.cmd(b, &["SET", "other", "1"]);
    h.cmd(b, &["SET", "k", "1", "NX"]);
    h.cmd(b, &["SET", "k", "2", "NX"]); // fails: changes nothing
    assert_eq!(h.raw(a, b"MULTI\r\nGET k\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");
    // WATCH is forgotten after EXEC.
    h.cmd(b, &["SET", "k", "3"]);
    assert_eq!(h.raw(a, b"MULTI\r\nGET k\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n$1\r\n3\r\n");
    // Untouched watched keys let EXEC through; a write in another db does not touch.
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SELECT", "1"]);
    h.cmd(b, &["SET", "k", "x"]);
    assert_eq!(h.raw(a, b"MULTI\r\nGET k\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n$1\r\n3\r\n");
    // FLUSHALL touches every watched key; UNWATCH forgets.
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["FLUSHALL"]);
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SET", "k", "again"]);
    h.cmd(a, &["UNWATCH"]);
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
}

#[test]
fn watch_sees_expiry_and_moves() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    h.cmd(b, &["SET", "t", "v", "PX", "10"]);
    h.cmd(a, &["WATCH", "t"]);
    h.tick(100); // the active expire cycle deletes t
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");
    h.cmd(b, &["SET", "m", "v"]);
    h.cmd(a, &["SELECT", "4"]);
    h.cmd(a, &["WATCH", "m"]);
    h.cmd(b, &["MOVE", "m", "4"]);
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");
}

#[test]
fn propagation_inserts_select_and_wraps_transactions() {
    let mut h = Harness::new();
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.cmd(c, &["GET", "a"]);
    h.cmd(c, &["SET", "b", "1", "NX"]);
    h.cmd(c, &["SET", "b", "2", "NX"]);
    h.cmd(c, &["SELECT", "2"]);
    h.cmd(c, &["SET", "c", "1", "EX", "100"]);
    assert_eq!(
        stream(&mut h),
        ["SELECT 0", "SET a 1", "SET b 1 NX", "SELECT 2", &format!("SET c 1 PXAT {}", super::START_MS + 100_000),]
    );
    h.raw(c, b"MULTI\r\nSET x 1\r\nSELECT 0\r\nINCR y\r\nGET x\r\nEXEC\r\n");
    assert_eq!(stream(&mut h), ["MULTI", "SET x 1", "SELECT 0", "INCR y", "EXEC"]);
    // One write in a transaction is not wrapped.
    h.raw(c, b"MULTI\r\nSET z 1\r\nGET z\r\nEXEC\r\n");
    assert_eq!(stream(&mut h), ["SET z 1"]);
    assert_eq!(h.node.propagation().total_commands(), 11);
    let info = h.cmd(c, &["INFO", "stats"]);
    assert!(info.contains("propagated_commands:11\r\n"), "{info}");
}

/// Redis 7.0.15, checked with two connections and active expiry off: a key
/// watched while alive that expires unseen fails EXEC; a key already expired
/// when watched may be deleted (nothing changed logically) but not recreated.
#[test]
fn watch_and_expiry_follow_redis_7_0() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    h.cmd(a, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    h.cmd(a, &["SET", "k", "v", "PX", "300"]);
    h.cmd(a, &["WATCH", "k"]);
    h.now += 500;
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");

    h.cmd(a, &["SET", "k", "v", "PX", "10"]);
    h.now += 50;
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["GET", "k"]); // deletes the expired key
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");

    h.cmd(a, &["SET", "k", "v", "PX", "10"]);
    h.now += 50;
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SET", "k", "x"]);
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");
}

/// FLUSHALL, FLUSHDB and SWAPDB touch only keys they change, as Redis 7.0
/// does (checked against redis-server 7.0.15): a watched key neither
/// database holds stays untouched, one that either side of a SWAPDB holds
/// is touched, and a client blocked on a key SWAPDB brings in is served.
#[test]
fn whole_database_commands_touch_the_watched_keys_they_change() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(), h.connect(), h.connect());
    h.cmd(b, &["SET", "other", "1"]);
    for flush in [&["FLUSHALL"][..], &["FLUSHALL", "ASYNC"], &["FLUSHDB"], &["FLUSHDB", "ASYNC"]] {
        h.cmd(b, &["SET", "present", "1"]);
        h.cmd(a, &["WATCH", "missing"]);
        h.cmd(b, flush);
        assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n", "{flush:?}");
        h.cmd(b, &["SET", "present", "1"]);
        h.cmd(a, &["WATCH", "present"]);
        h.cmd(b, flush);
        assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n", "{flush:?}");
    }
    // SWAPDB: k only in db 1 touches a watcher of k in db 0; then in neither.
    h.cmd(b, &["SELECT", "1"]);
    h.cmd(b, &["SET", "k", "x"]);
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SWAPDB", "0", "1"]);
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*-1\r\n");
    h.cmd(b, &["FLUSHALL"]);
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SWAPDB", "0", "1"]);
    assert_eq!(h.raw(a, b"MULTI\r\nPING\r\nEXEC\r\n"), "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    // A client blocked on l in db 0 is served when SWAPDB brings db 1's l in.
    h.cmd(b, &["RPUSH", "l", "v"]);
    assert_eq!(h.raw(c, b"BLPOP l 0\r\n"), "");
    let actions = h.feed(b, b"SWAPDB 0 1\r\n");
    assert_eq!(super::sent_to(&actions, b), "+OK\r\n");
    assert_eq!(super::sent_to(&actions, c), "*2\r\n$1\r\nl\r\n$1\r\nv\r\n");
}
