//! A replica keeps its master's snapshot on disk, as Redis does with
//! `repl-diskless-load disabled` (the default): the same script against
//! redsim-server and the real redis-server. The replica saves nothing of its
//! own (`save ""`), yet after a full sync `dbfilename` holds the master's
//! snapshot; killed with SIGKILL and started again, it loads that file and
//! continues its master's history with a partial resync. With
//! `repl-diskless-load on-empty-db` an empty replica loads from the socket
//! and writes no file. On the master's side, `repl-diskless-sync no` makes
//! the sync's snapshot a BGSAVE of `dbfilename` whose file is then sent.
//! With `repl-diskless-load swapdb` a replica whose partial resync fails
//! loads the full sync beside its dataset and serves that meanwhile.
//! Real `redis-server` must be installed.

mod persistence_support;

use std::path::{Path, PathBuf};

use persistence_support::{digest, fresh_dir, start, wait_for, write_mixed_dataset, Client, Kind, Rng, Server};

/// What the script saw, compared between the servers.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// Log lines of the replica's first sync and of its restart (prefixes
    /// stripped), those that both servers write.
    lines: Vec<String>,
    files_after_sync: Vec<String>,
    sync_full: String,
    sync_partial_ok: String,
}

fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    field_of(&c.cmd(&["INFO", section]).text(), field)
}

/// The value of `field` in an INFO reply's text.
fn field_of(info: &str, field: &str) -> String {
    let prefix = format!("{field}:");
    info.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or("missing").trim().to_string()
}

/// The data files in `dir` (logs left out), sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".log"))
        .collect();
    names.sort();
    names
}

/// The replica is synced once its link is up and its digest is the master's.
fn wait_synced(kind: Kind, master: &mut Client, replica: &Server) {
    wait_for(&format!("{kind:?}: the replica in sync"), || {
        let Ok(mut r) = Client::try_connect(replica.port) else { return false };
        info_field(&mut r, "replication", "master_link_status") == "up" && digest(&mut r) == digest(master)
    });
}

/// The replica's link is up and it applied all the master wrote: cheaper
/// than [`wait_synced`]'s digests where the dataset is large.
fn wait_caught_up(kind: Kind, master: &mut Client, replica: &Server) {
    wait_for(&format!("{kind:?}: the replica caught up"), || {
        let Ok(mut r) = Client::try_connect(replica.port) else { return false };
        info_field(&mut r, "replication", "master_link_status") == "up"
            && info_field(&mut r, "replication", "master_repl_offset")
                == info_field(master, "replication", "master_repl_offset")
    });
}

/// The lines of `log` that contain one of `wanted`, each reduced to the wanted text.
fn lines_of(log: &str, wanted: &[&str]) -> Vec<String> {
    log.lines().filter_map(|l| wanted.iter().find(|w| l.contains(*w)).map(|w| w.to_string())).collect()
}

/// A master holding `keys` keys of the mixed dataset and a replica of it
/// (synced), each in a directory of its own.
/// (Dropping a [`Server`] kills it: bind the master while it must run.)
struct Pair {
    base: PathBuf,
    mdir: PathBuf,
    rdir: PathBuf,
    master: Server,
    m: Client,
    replica: Server,
    /// The replica's `--replicaof` argument.
    replicaof: String,
}

fn pair(kind: Kind, name: &str, master_args: &[&str], replica_args: &[&str], keys: usize) -> Pair {
    let base = fresh_dir(&format!("{name}-{kind:?}"));
    let (mdir, rdir) = (base.join("master"), base.join("replica"));
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::create_dir_all(&rdir).unwrap();
    let master = start(kind, &mdir, master_args);
    let mut m = master.client();
    write_mixed_dataset(&mut m, &mut Rng(7), keys);
    let replicaof = format!("127.0.0.1 {}", master.port);
    let mut args = vec!["--replicaof", replicaof.as_str()];
    args.extend_from_slice(replica_args);
    let replica = start(kind, &rdir, &args);
    wait_synced(kind, &mut m, &replica);
    Pair { base, mdir, rdir, master, m, replica, replicaof }
}

fn script(kind: Kind) -> Seen {
    let Pair { base, rdir, master: _master, mut m, mut replica, replicaof, .. } =
        pair(kind, "sync-file", &["--repl-diskless-sync-delay", "0"], &[], 2000);
    let files_after_sync = files(&rdir);
    let first_log = replica.log_text();

    // More writes reach the replica; then it dies without saving anything.
    write_mixed_dataset(&mut m, &mut Rng(8), 500);
    wait_synced(kind, &mut m, &replica);
    replica.kill9();
    let replica = start(kind, &rdir, &["--replicaof", &replicaof]);
    wait_synced(kind, &mut m, &replica);

    let wanted_first = [
        "Server initialized",
        "Connecting to MASTER 127.0.0.1:",
        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk",
        "MASTER <-> REPLICA sync: Flushing old data",
        "MASTER <-> REPLICA sync: Loading DB in memory",
        "Loading RDB produced by version 7.0.15",
        "Done loading RDB, keys loaded: 2004, keys expired: 0.",
        "MASTER <-> REPLICA sync: Finished with success",
    ];
    let wanted_restart = [
        "Done loading RDB, keys loaded: 2004, keys expired: 0.",
        "DB loaded from disk",
        "Before turning into a replica, using my own master parameters to synthesize a cached master",
        "Connecting to MASTER 127.0.0.1:",
        "Successful partial resynchronization with master.",
    ];
    let mut lines = lines_of(&first_log, &wanted_first);
    lines.push("-- restart --".into());
    let second_log = replica.log_text();
    lines.extend(lines_of(&second_log, &wanted_restart));
    let seen = Seen {
        lines,
        files_after_sync,
        sync_full: info_field(&mut m, "stats", "sync_full"),
        sync_partial_ok: info_field(&mut m, "stats", "sync_partial_ok"),
    };
    let _ = std::fs::remove_dir_all(&base);
    seen
}

#[test]
fn a_killed_replica_continues_from_the_snapshot_it_kept_on_both_servers() {
    let redis = script(Kind::Redis);
    let redsim = script(Kind::Redsim);
    assert_eq!(redsim, redis);
    assert_eq!(redis.files_after_sync, vec!["dump.rdb".to_string()]);
    assert_eq!((redis.sync_full.as_str(), redis.sync_partial_ok.as_str()), ("1", "1"));
}

/// An empty replica under `on-empty-db` loads from the socket: no file.
fn on_empty_db(kind: Kind) -> (bool, Vec<String>) {
    let master_args = ["--repl-diskless-sync-delay", "0"];
    let Pair { base, rdir, master: _master, replica, .. } =
        pair(kind, "sync-file-empty", &master_args, &["--repl-diskless-load", "on-empty-db"], 200);
    let to_parser = replica.log_text().contains("receiving streamed RDB from master with EOF to parser");
    let seen = (to_parser, files(&rdir));
    let _ = std::fs::remove_dir_all(&base);
    seen
}

#[test]
fn an_empty_replica_under_on_empty_db_loads_from_the_socket_on_both_servers() {
    let redis = on_empty_db(Kind::Redis);
    assert_eq!(on_empty_db(Kind::Redsim), redis);
    assert_eq!(redis, (true, Vec::<String>::new()));
}

/// A master with `save ""` and `repl-diskless-sync no` serves a replica:
/// what its directory, INFO and log show.
fn sync_to_disk(kind: Kind) -> (Vec<String>, Vec<String>, Vec<String>) {
    let Pair { base, mdir, master, mut m, .. } =
        pair(kind, "sync-file-disk", &["--repl-diskless-sync", "no"], &[], 300);
    let fields = ["rdb_changes_since_last_save", "rdb_saves", "rdb_last_bgsave_status", "rdb_bgsave_in_progress"];
    let info = fields.iter().map(|f| format!("{f}:{}", info_field(&mut m, "persistence", f))).collect();
    let wanted = [
        "Starting BGSAVE for SYNC with target: disk",
        "Background saving started by pid",
        "DB saved on disk",
        "Background saving terminated with success",
        "Synchronization with replica",
    ];
    let seen = (files(&mdir), info, lines_of(&master.log_text(), &wanted));
    let _ = std::fs::remove_dir_all(&base);
    seen
}

#[test]
fn a_sync_to_disk_leaves_the_masters_dump_on_both_servers() {
    let redis = sync_to_disk(Kind::Redis);
    assert_eq!(sync_to_disk(Kind::Redsim), redis);
    assert_eq!(redis.0, vec!["dump.rdb".to_string()]);
}

/// What a client of a `swapdb` replica sees while its full sync loads.
#[derive(Debug, PartialEq, Eq)]
struct DuringLoad {
    /// Replies read while INFO said `async_loading:1` before and after them.
    replies: Vec<String>,
    /// The replica's log lines from the resync on (reduced to what both write).
    lines: Vec<String>,
    /// The key written on the master meanwhile, once the replica is synced.
    marker_after: String,
}

/// A synced `swapdb` replica of a master with 300 000 keys loses its
/// link while the master takes more writes than its 16 KB backlog holds:
/// the full sync that follows continues the replica's history (same
/// replication ID), so the replica is read while it loads.
fn swapdb_load(kind: Kind) -> DuringLoad {
    let base = fresh_dir(&format!("swapdb-load-{kind:?}"));
    let (mdir, rdir) = (base.join("master"), base.join("replica"));
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::create_dir_all(&rdir).unwrap();
    let master = start(kind, &mdir, &["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "16kb"]);
    let mut m = master.client();
    // DEBUG POPULATE is not replicated: the replica gets these keys by its first sync.
    m.cmd(&["DEBUG", "POPULATE", "300000", "pop", "20"]);
    m.cmd(&["SET", "marker", "old"]);
    let replicaof = format!("127.0.0.1 {}", master.port);
    let replica = start(kind, &rdir, &["--replicaof", &replicaof, "--repl-diskless-load", "swapdb"]);
    wait_caught_up(kind, &mut m, &replica);
    let log_from = replica.log_text().len();
    // The link ends and the backlog overflows in one transaction, before
    // the replica can come back and ask for a partial resync.
    let big = "x".repeat(100_000);
    m.cmd(&["MULTI"]);
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    m.cmd(&["SET", "marker", "new"]);
    m.cmd(&["SET", "big", &big]);
    m.cmd(&["EXEC"]);
    let mut r = replica.client();
    // Pipelined, so that Redis answers them all between two chunks of its
    // load: the INFOs around the others say whether they ran during it.
    let requests: [&[&str]; 4] = [&["INFO", "persistence"], &["GET", "marker"], &["DBSIZE"], &["INFO", "persistence"]];
    let mut replies = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while replies.is_none() && std::time::Instant::now() < deadline {
        for words in requests {
            r.send_only(words).unwrap();
        }
        let got: Vec<String> = requests.iter().map(|_| r.read_reply().unwrap().text()).collect();
        if field_of(&got[0], "async_loading") == "1" && field_of(&got[3], "async_loading") == "1" {
            replies = Some(vec![
                format!("loading:{}", field_of(&got[0], "loading")),
                format!("GET marker: {}", got[1]),
                format!("DBSIZE: {}", got[2]),
            ]);
        }
    }
    let replies = replies.unwrap_or_else(|| panic!("{kind:?}: the replica never loaded asynchronously"));
    wait_caught_up(kind, &mut m, &replica);
    assert_eq!(digest(&mut r), digest(&mut m), "{kind:?}: the replica holds the master's dataset");
    let wanted = [
        "Full resync from master",
        "MASTER <-> REPLICA sync: Flushing old data",
        "MASTER <-> REPLICA sync: Loading DB in memory",
        "Done loading RDB, keys loaded: 300002, keys expired: 0.",
        "Discarding previously cached master state.",
        "MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
        "MASTER <-> REPLICA sync: Discarding old DB in background",
        "MASTER <-> REPLICA sync: Finished with success",
    ];
    let lines = lines_of(&replica.log_text()[log_from..], &wanted);
    let seen = DuringLoad { replies, lines, marker_after: r.cmd(&["GET", "marker"]).text() };
    let _ = std::fs::remove_dir_all(&base);
    seen
}

#[test]
fn a_swapdb_replica_serves_its_old_dataset_while_it_loads_on_both_servers() {
    let redis = swapdb_load(Kind::Redis);
    assert_eq!(swapdb_load(Kind::Redsim), redis);
    assert_eq!(redis.replies[1], "GET marker: old");
    assert_eq!(redis.marker_after, "new");
}
