//! Garbage on the disk and in RESTORE never takes the node down the wrong
//! way: whatever the bytes of the manifest, a base (AOF or RDB preamble) or
//! an incremental file, the node either loads or refuses to start with a
//! logged reason (Redis's `exit(1)`), never panics, loops or allocates from
//! a length it read; and a bad RESTORE payload gets an error and leaves the
//! dataset as it was. The RDB reader and DUMP decoder have their own byte
//! level fuzzing in `model/tests/rdb_fuzz.rs`; this is the same through the
//! node's loading path.

use proptest::prelude::*;

use super::disk::DiskHarness;
use crate::node::persistence::mem_storage::MemStorage;

fn conf(preamble: bool, truncated: bool) -> String {
    format!(
        "appendonly yes\nsave \"\"\naof-use-rdb-preamble {}\naof-load-truncated {}\n",
        if preamble { "yes" } else { "no" },
        if truncated { "yes" } else { "no" }
    )
}

/// A disk holding a rewritten AOF (base of every type, with TTLs) and an
/// incremental file written after the rewrite.
fn seeded_disk(preamble: bool) -> MemStorage {
    let mut h = DiskHarness::new(&conf(preamble, true));
    let c = h.connect();
    for i in 0..12 {
        let n = i.to_string();
        h.cmd(c, &["SET", &format!("s{i}"), &n]);
        h.cmd(c, &["RPUSH", "list", &n, "x"]);
        h.cmd(c, &["HSET", "hash", &format!("f{i}"), &n]);
        h.cmd(c, &["SADD", "set", &n]);
        h.cmd(c, &["ZADD", "zset", &n, &format!("m{i}")]);
    }
    h.cmd(c, &["PEXPIRE", "s1", "100000000"]);
    assert_eq!(h.cmd(c, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    for _ in 0..50 {
        h.tick(100);
    }
    assert_eq!(h.info_field(c, "aof_rewrite_in_progress"), "0");
    for words in
        [&["SET", "after", "1"][..], &["INCR", "n"], &["MULTI"], &["LPUSH", "q", "a"], &["EXEC"], &["DEL", "s2"]]
    {
        h.cmd(c, words);
    }
    h.disk.clone()
}

/// The files a mutation may hit: the manifest and every AOF file.
fn aof_files(disk: &MemStorage) -> Vec<String> {
    disk.paths().into_iter().filter(|p| p.starts_with("appendonlydir/")).collect()
}

/// How one file is damaged.
#[derive(Clone, Debug)]
enum Damage {
    Truncate(usize),
    Flip(usize, u8),
    /// Bytes written over the file at a position (huge lengths, CRLFs ...).
    Splice(usize, Vec<u8>),
    Replace(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let special = prop_oneof![
        Just(b"*2147483648\r\n".to_vec()),
        Just(b"$9223372036854775807\r\n".to_vec()),
        Just(b"*-1\r\n".to_vec()),
        Just(b"$-5\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"file x seq 99999999999999999999 type b\n".to_vec()),
        Just(vec![0xff; 8]),
        Just(vec![0; 3]),
        prop::collection::vec(any::<u8>(), 1..16),
    ];
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), 1u8..=255).prop_map(|(at, x)| Damage::Flip(at, x)),
        (any::<usize>(), special).prop_map(|(at, b)| Damage::Splice(at, b)),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Damage::Replace),
    ]
}

fn apply(bytes: &[u8], d: &Damage) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let len = v.len().max(1);
    match d {
        Damage::Truncate(at) => v.truncate(at % len),
        Damage::Flip(at, x) if !v.is_empty() => v[at % len] ^= x,
        Damage::Flip(..) => {}
        Damage::Splice(at, b) => {
            let at = at % len;
            for (i, byte) in b.iter().enumerate() {
                match v.get_mut(at + i) {
                    Some(slot) => *slot = *byte,
                    None => v.push(*byte),
                }
            }
        }
        Damage::Replace(b) => v = b.clone(),
    }
    v
}

/// Starts a node on the damaged disk and checks it loaded or refused
/// cleanly; returns the harness when it loaded.
fn start_on(disk: MemStorage, preamble: bool, truncated: bool) -> Option<DiskHarness> {
    let mut h = DiskHarness::on_disk(&conf(preamble, truncated), disk);
    match h.exited {
        Some(code) => {
            assert_ne!(code, 0, "a refused load exits with a failure status");
            assert!(
                h.logs.iter().any(|(level, _)| *level == crate::node::LogLevel::Warning),
                "a refused load says why: {:?}",
                h.logs
            );
            None
        }
        None => {
            assert!(!h.node.is_loading(), "loading finished");
            let c = h.connect();
            assert_eq!(h.cmd(c, &["PING"]), "+PONG\r\n");
            assert!(h.cmd(c, &["DBSIZE"]).starts_with(':'));
            Some(h)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn damaged_aof_files_load_or_refuse_cleanly(
        preamble in any::<bool>(),
        truncated in any::<bool>(),
        pick in any::<usize>(),
        d in damage(),
    ) {
        let mut disk = seeded_disk(preamble);
        let files = aof_files(&disk);
        let path = &files[pick % files.len()];
        let bytes = disk.file(path).unwrap().to_vec();
        disk.put(path, &apply(&bytes, &d));
        start_on(disk, preamble, truncated);
    }

    /// Cutting the last incremental file anywhere loads a prefix of what
    /// was written when truncation is allowed: never a key that was not
    /// written, never a refusal.
    #[test]
    fn a_cut_tail_loads_a_prefix(preamble in any::<bool>(), at in any::<usize>()) {
        let mut disk = seeded_disk(preamble);
        let incr = aof_files(&disk).into_iter().rfind(|p| p.ends_with(".incr.aof")).unwrap();
        let bytes = disk.file(&incr).unwrap().to_vec();
        disk.put(&incr, &bytes[..at % (bytes.len() + 1)]);
        let mut h = start_on(disk, preamble, true).expect("a cut tail loads with aof-load-truncated yes");
        let c = h.connect();
        // The base is whole: every key written before the rewrite is there.
        prop_assert_eq!(h.cmd(c, &["GET", "s11"]), "$2\r\n11\r\n");
        prop_assert_eq!(h.cmd(c, &["ZCARD", "zset"]), ":12\r\n");
        // The transaction is all or nothing.
        let q = h.cmd(c, &["LLEN", "q"]);
        prop_assert!(q == ":0\r\n" || q == ":1\r\n");
    }

    #[test]
    fn restore_of_garbage_is_an_error_and_changes_nothing(
        flips in prop::collection::vec((any::<usize>(), 1u8..=255), 0..4),
        cut in any::<usize>(),
        replace in any::<bool>(),
    ) {
        let mut h = DiskHarness::new("save \"\"\n");
        let c = h.connect();
        h.cmd(c, &["RPUSH", "src", "a", "b", "1", "2"]);
        h.cmd(c, &["SET", "keep", "v"]);
        let dump = h.cmd(c, &["DUMP", "src"]);
        // "$<len>\r\n<payload>\r\n"
        let start = dump.find("\r\n").unwrap() + 2;
        let mut payload = dump.as_bytes()[start..dump.len() - 2].to_vec();
        for (at, x) in &flips {
            let n = payload.len();
            payload[at % n] ^= x;
        }
        payload.truncate(cut % (payload.len() + 1) + if flips.is_empty() { 0 } else { payload.len() });
        let digest = h.cmd(c, &["DEBUG", "DIGEST"]);
        let mut argv = b"*5\r\n$7\r\nRESTORE\r\n$3\r\ndst\r\n$1\r\n0\r\n".to_vec();
        argv.extend_from_slice(format!("${}\r\n", payload.len()).as_bytes());
        argv.extend_from_slice(&payload);
        argv.extend_from_slice(b"\r\n");
        let option: &[u8] = if replace { b"$7\r\nREPLACE\r\n" } else { b"$6\r\nABSTTL\r\n" };
        argv.extend_from_slice(option);
        h.node.client_bytes(c, &argv, h.now);
        h.collect();
        h.pump();
        let reply = h.take(c);
        if reply == "+OK\r\n" {
            prop_assert!(h.cmd(c, &["TYPE", "dst"]) != "+none\r\n");
        } else {
            prop_assert!(reply.starts_with("-ERR ") || reply.starts_with("-BUSYKEY "), "{}", reply);
            prop_assert_eq!(h.cmd(c, &["DEBUG", "DIGEST"]), digest);
        }
        prop_assert_eq!(h.cmd(c, &["GET", "keep"]), "$1\r\nv\r\n");
    }
}

#[test]
fn the_seeded_disk_has_what_the_fuzzing_damages() {
    for preamble in [false, true] {
        let disk = seeded_disk(preamble);
        let files = aof_files(&disk);
        let base = if preamble { ".2.base.rdb" } else { ".2.base.aof" };
        assert!(files.iter().any(|p| p.ends_with(base)), "{files:?}");
        assert!(files.iter().any(|p| p.ends_with(".manifest")), "{files:?}");
        let incr = files.iter().find(|p| p.ends_with(".incr.aof")).unwrap();
        assert!(String::from_utf8_lossy(disk.file(incr).unwrap()).contains("LPUSH"), "{files:?}");
        // Undamaged, it loads everything.
        let mut h = start_on(disk, preamble, false).expect("loads");
        let c = h.connect();
        assert_eq!(h.cmd(c, &["MGET", "after", "n", "s2", "s11"]), "*4\r\n$1\r\n1\r\n$1\r\n1\r\n$-1\r\n$2\r\n11\r\n");
    }
}
