//! RDB files between redsim and a real Redis 7.0, both ways:
//!
//! - redsim writes a seeded dataset of every type and encoding;
//!   `redis-check-rdb` must accept it and a real server loading it must
//!   agree key by key (TYPE, OBJECT ENCODING, DEBUG DIGEST-VALUE, PTTL) and
//!   on DEBUG DIGEST with redsim reading the same file back;
//! - a real server builds the same dataset, reloads and SAVEs it; redsim
//!   reads that file and must agree with the server the same way;
//! - write then read is the identity on a dataset, with compression and the
//!   checksum on and off, and whatever the chunk size;
//! - LRU/LFU opcodes are written under those policies and load into the
//!   `lru` field (checked against the server's OBJECT IDLETIME / FREQ).

mod rdb_common;
mod support;

use rdb_common::*;
use redsim_model::dataset::Dataset;
use redsim_model::rdb::{self, KeyAccess, LoadOptions, RdbAux, RdbOptions, RdbWriter};
use redsim_model::{EngineConfig, Frame};

const SEEDS: [u64; 2] = [1, 2];

fn options(compression: bool, checksum: bool) -> RdbOptions {
    RdbOptions {
        compression,
        checksum,
        aux: RdbAux {
            redis_ver: "7.0.15".into(),
            ctime: 1_700_000_000,
            used_mem: 1_234_567,
            aof_base: false,
            repl: None,
        },
    }
}

fn load_opts(now_ms: i64) -> LoadOptions {
    LoadOptions::from_config(&EngineConfig::default(), 16, now_ms)
}

#[test]
fn redis_loads_what_redsim_writes() {
    for seed in SEEDS {
        for (compression, checksum) in [(true, true), (false, false)] {
            let now = wall_ms();
            let mut model = Runner::new(now);
            apply(&mut model, &seeded_commands(seed, now));
            let original_digest = model.digest();
            let file = rdb::write(&model.model_snapshot(), &options(compression, checksum));

            let dir = TempDir::new("to-redis");
            std::fs::write(dir.path("dump.rdb"), &file).unwrap();
            redis_check_rdb(&dir.path("dump.rdb"));

            // What redsim itself makes of the file is what Redis must hold.
            let (dataset, info) = rdb::read_with(&file, &load_opts(now)).expect("redsim reads its own file");
            assert_eq!(info.version, 10);
            assert_eq!(info.bytes_read, file.len());
            let mut loaded = Runner::with_dataset(dataset, now);
            assert_eq!(loaded.digest(), original_digest, "reading changed the data (seed {seed})");

            assert_all_kinds(&loaded);
            let (_server, mut conn) = server_on(&dir, "dump.rdb", &[]);
            let n = assert_same_as_server(&mut loaded, &mut conn, wall_ms(), 5_000);
            assert!(n > 40, "only {n} keys compared");
        }
    }
}

#[test]
fn redsim_reads_what_redis_writes() {
    for seed in SEEDS {
        let dir = TempDir::new("from-redis");
        let (_server, mut conn) = server_on(&dir, "dump.rdb", &[]);
        let now = wall_ms();
        for (db, argv) in seeded_commands(seed, now) {
            conn.call(&[b("SELECT"), b(db.to_string())]);
            let reply = conn.call(&argv);
            assert!(!matches!(reply, Frame::Error(_)), "{argv:?}: {reply:?}");
        }
        // Save the dataset as built (hashtables shrunk back to small sizes
        // included), then make the server reload it, so that it holds what
        // loading gives (those become compact again): redsim reading the
        // file must come to the same.
        assert_eq!(conn.call(&["SAVE"]), Frame::simple("OK"));
        let file = std::fs::read(dir.path("dump.rdb")).expect("Redis wrote dump.rdb");
        assert_eq!(conn.call(&["DEBUG", "RELOAD"]), Frame::simple("OK"));

        let (dataset, info) = rdb::read_with(&file, &load_opts(now)).expect("redsim reads Redis's file");
        assert_eq!(info.version, 10);
        let aux: Vec<String> = info.aux.iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).collect();
        assert_eq!(aux, ["redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"]);
        assert_eq!(info.aux[0].1, b"7.0.15");
        assert_eq!(info.aux[1].1, b"64");
        let mut loaded = Runner::with_dataset(dataset, now);
        assert_all_kinds(&loaded);
        let n = assert_same_as_server(&mut loaded, &mut conn, wall_ms(), 5_000);
        assert!(n > 40, "only {n} keys compared");

        // And the model that ran the same commands agrees on the data.
        let mut model = Runner::new(now);
        apply(&mut model, &seeded_commands(seed, now));
        assert_eq!(model.digest(), loaded.digest());
    }
}

/// The dataset after one write/read cycle, so that every value is in the
/// encoding loading gives it (the identity then holds exactly).
fn settled_dataset(seed: u64, now: i64) -> Dataset {
    let mut model = Runner::new(now);
    apply(&mut model, &seeded_commands(seed, now));
    let file = rdb::write(&model.model_snapshot(), &options(true, true));
    rdb::read_with(&file, &load_opts(now)).unwrap().0
}

#[test]
fn write_then_read_is_the_identity() {
    let now = 1_700_000_000_000;
    for seed in SEEDS {
        let dataset = settled_dataset(seed, now);
        assert!(dataset.len() > 40);
        for (compression, checksum) in [(true, true), (true, false), (false, true), (false, false)] {
            let opts = options(compression, checksum);
            let whole = rdb::write(&dataset, &opts);
            if !checksum {
                assert_eq!(&whole[whole.len() - 8..], &[0; 8]);
            }
            // Chunked writing gives the same bytes, in pieces near the target size.
            for chunk in [1usize, 1000, 64 * 1024] {
                let chunks: Vec<Vec<u8>> = RdbWriter::new(&dataset, &opts).chunk_size(chunk).collect();
                assert_eq!(chunks.concat(), whole, "chunk size {chunk}");
                let biggest_key = 100_100;
                assert!(chunks.iter().all(|c| !c.is_empty() && c.len() < chunk + biggest_key));
            }
            // Access data: with IDLE written and read at the same clock the
            // `lru` fields survive too, so the datasets are equal outright.
            let with_idle = RdbWriter::new(&dataset, &opts).key_access(KeyAccess::Idle { now_ms: now }).finish();
            let (back, _) = rdb::read_with(&with_idle, &load_opts(now)).unwrap();
            assert_eq!(back, dataset, "compression {compression} checksum {checksum}");
            // Without it, everything but `lru` survives.
            let (back, info) = rdb::read_with(&whole, &load_opts(now)).unwrap();
            assert_eq!(info.functions.len(), 0);
            for (a, b) in back.dbs.iter().flatten().zip(dataset.dbs.iter().flatten()) {
                assert_eq!((&a.key, &a.value, a.expire_at), (&b.key, &b.value, b.expire_at));
            }
            assert_eq!(back.len(), dataset.len());
        }
    }
}

#[test]
fn compression_and_checksum_settings_show_in_the_bytes() {
    let dataset = settled_dataset(1, 1_700_000_000_000);
    let packed = rdb::write(&dataset, &options(true, true));
    let plain = rdb::write(&dataset, &options(false, true));
    assert!(packed.len() * 2 < plain.len(), "LZF saved too little: {} vs {}", packed.len(), plain.len());
    // A flipped bit in a string's content is caught by the checksum alone.
    let needle = b"hello";
    let at = plain.windows(needle.len()).position(|w| w == needle).expect("plain file holds the string");
    let mut bad = plain.clone();
    bad[at] ^= 1;
    let err = rdb::read(&bad).unwrap_err();
    assert!(err.message.contains("Wrong RDB checksum"), "{err}");
    assert_eq!(err.offset, plain.len() - 8);
    // Unless the loader does not verify, or the file has no checksum.
    let lenient = LoadOptions { verify_checksum: false, ..LoadOptions::default() };
    assert!(rdb::read_with(&bad, &lenient).is_ok());
    let mut unchecked = rdb::write(&dataset, &options(false, false));
    unchecked[at] ^= 1;
    assert!(rdb::read(&unchecked).is_ok());
}

#[test]
fn access_opcodes_follow_the_eviction_policy() {
    for (policy, opcode) in [("allkeys-lru", 0xf8u8), ("volatile-lru", 0xf8), ("allkeys-lfu", 0xf9), ("noeviction", 0)]
    {
        let dir = TempDir::new("policy");
        let (_server, mut conn) = server_on(&dir, "dump.rdb", &["--maxmemory-policy", policy]);
        conn.call(&["SET", "k", "v"]);
        conn.call(&["SAVE"]);
        let file = std::fs::read(dir.path("dump.rdb")).unwrap();
        // The key record: [opcode, arg,] type 0, "k", "v" just before EOF and checksum.
        let record = &file[file.len() - 9 - 5 - 2..file.len() - 9];
        match opcode {
            0 => assert_eq!(&record[2..], b"\x00\x01k\x01v"),
            op => assert_eq!(record[0], op, "{policy}: {record:?}"),
        }
        let maxmemory_policy =
            redsim_model::engine::MaxmemoryPolicy::ALL.iter().find(|(n, _)| *n == policy).map(|(_, p)| *p).unwrap();
        let config = EngineConfig { maxmemory_policy, ..EngineConfig::default() };
        let now = wall_ms();
        let (mut dataset, _) = rdb::read_with(&file, &LoadOptions::from_config(&config, 16, now)).unwrap();
        let ours =
            RdbWriter::new(&dataset, &options(true, true)).key_access(KeyAccess::from_config(&config, now)).finish();
        assert_eq!(&ours[ours.len() - 9 - 5 - 2..ours.len() - 9], record, "{policy}");
        if config.maxmemory_policy.is_lfu() {
            assert_eq!(dataset.dbs[0][0].lru & 255, 5, "a new key's LFU counter");
        }
        // A key idle for 1000 s is written as such and loads as such.
        if opcode == 0xf8 {
            dataset.dbs[0][0].lru = ((now / 1000 - 1000) & 0xff_ffff) as u32;
            let file =
                RdbWriter::new(&dataset, &options(true, true)).key_access(KeyAccess::Idle { now_ms: now }).finish();
            std::fs::write(dir.path("idle.rdb"), &file).unwrap();
            let (_s2, mut c2) = server_on(&dir, "idle.rdb", &["--maxmemory-policy", policy]);
            let Frame::Integer(idle) = c2.call(&["OBJECT", "IDLETIME", "k"]) else { panic!("IDLETIME") };
            assert!((1000..1010).contains(&idle), "server idle time {idle}");
        }
    }
}

#[test]
fn redis_files_with_functions_and_replication_info_load() {
    let dir = TempDir::new("functions");
    let (_server, mut conn) = server_on(&dir, "dump.rdb", &[]);
    let code = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    assert_eq!(conn.call(&["FUNCTION", "LOAD", code]), Frame::Bulk(b("mylib")));
    conn.call(&["SET", "k", "1"]);
    conn.call(&["SAVE"]);
    let file = std::fs::read(dir.path("dump.rdb")).unwrap();
    let (dataset, info) = rdb::read(&file).unwrap();
    assert_eq!(info.functions, vec![code.as_bytes().to_vec()]);
    assert_eq!(dataset.len(), 1);
    // redsim writes them back where Redis expects them, with replication info.
    let mut opts = options(true, true);
    opts.aux.repl = Some((0, "0123456789abcdef0123456789abcdef01234567".into(), 12345));
    opts.aux.aof_base = true;
    let ours = RdbWriter::new(&dataset, &opts).functions(info.functions.clone()).finish();
    std::fs::write(dir.path("ours.rdb"), &ours).unwrap();
    redis_check_rdb(&dir.path("ours.rdb"));
    let (_s2, mut c2) = server_on(&dir, "ours.rdb", &[]);
    assert_eq!(c2.call(&["FCALL", "f", "0"]), Frame::Integer(1));
    let (_, info) = rdb::read(&ours).unwrap();
    let keys: Vec<&[u8]> = info.aux.iter().map(|(k, _)| &k[..]).collect();
    let want: Vec<&[u8]> = vec![
        b"redis-ver",
        b"redis-bits",
        b"ctime",
        b"used-mem",
        b"repl-stream-db",
        b"repl-id",
        b"repl-offset",
        b"aof-base",
    ];
    assert_eq!(keys, want);
    assert_eq!(info.aux[7].1, b"1");
}

/// The AUX facts of a file Redis wrote, to write redsim's file with the same.
fn aux_of(file: &[u8]) -> RdbAux {
    let (_, info) = rdb::read(file).unwrap();
    let get = |name: &str| {
        let v = &info.aux.iter().find(|(k, _)| k == name.as_bytes()).unwrap().1;
        String::from_utf8(v.clone()).unwrap()
    };
    RdbAux {
        redis_ver: get("redis-ver"),
        ctime: get("ctime").parse().unwrap(),
        used_mem: get("used-mem").parse().unwrap(),
        aof_base: get("aof-base") == "1",
        repl: None,
    }
}

#[test]
fn single_key_files_are_byte_identical_to_redis() {
    let dir = TempDir::new("identical");
    let (_server, mut conn) = server_on(&dir, "dump.rdb", &[]);
    let now = wall_ms();
    let words = "lorem ipsum dolor sit amet ".repeat(40);
    let words = words.as_str();
    let long_member = "x".repeat(100);
    let cmd = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<String>>();
    let mut long_list = cmd(&["RPUSH", "k"]);
    long_list.extend((0..2000).map(|i| format!("e{i}")));
    let cases: Vec<(usize, Vec<Vec<String>>)> = vec![
        (0, vec![cmd(&["SET", "k", "12345"])]),
        (0, vec![cmd(&["SET", "k", words])]),
        (3, vec![cmd(&["SET", "k", "v"]), cmd(&["PEXPIREAT", "k", &(now + 999_999).to_string()])]),
        (0, vec![cmd(&["RPUSH", "k", "a", "1", "-300", "70000", ""])]),
        (0, vec![long_list]),
        (1, vec![cmd(&["SADD", "k", "5", "-3", "100000"])]),
        (0, vec![cmd(&["HSET", "k", "f", "1", "g", "two", "n", "-3"])]),
        // Hashtables of one element, whose order cannot differ.
        (0, vec![cmd(&["HSET", "k", "w", words])]),
        (0, vec![cmd(&["SADD", "k", "member"])]),
        (0, vec![cmd(&["ZADD", "k", "-0", "a", "1.5", "b", "inf", "c", "-inf", "d"])]),
        (0, vec![cmd(&["ZADD", "k", "2", &long_member, "-0", "y"])]),
    ];
    for (db, commands) in cases {
        conn.call(&["FLUSHALL"]);
        conn.call(&[b("SELECT"), b(db.to_string())]);
        let mut model = Runner::new(now);
        for argv in &commands {
            let argv: Vec<_> = argv.iter().map(b).collect();
            conn.call(&argv);
            model.run(db, &argv);
        }
        conn.call(&["SAVE"]);
        let theirs = std::fs::read(dir.path("dump.rdb")).unwrap();
        let opts = RdbOptions { compression: true, checksum: true, aux: aux_of(&theirs) };
        let ours = rdb::write(&model.model_snapshot(), &opts);
        assert!(ours == theirs, "{commands:?}:\n ours   {ours:02x?}\n theirs {theirs:02x?}");
    }
}
