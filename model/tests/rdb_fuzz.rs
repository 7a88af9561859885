//! The reader never panics, hangs or over-allocates, whatever the bytes:
//! mutated real dumps (every truncation, flipped bytes, special bytes at
//! every position, huge lengths spliced in), mutated DUMP payloads, and
//! random input (proptest), for the file reader, RESTORE and the blob
//! decoders. Also a golden check of a dump written by Redis 7.0.15.
//!
//! `data/rdb/redis-7.0.15-all-types.rdb` was written by `redis-server` 7.0.15
//! (`maxmemory-policy allkeys-lru`, so keys carry IDLE opcodes) after: SET
//! str:int 42, str:big-int 1234567890123, str:embstr "hello world", str:raw
//! (the quick brown fox sentence five times), str:bin "a\tb\x01c"; RPUSH
//! list:short a 1 300 -5 70000 ""; RPUSH list:long item-00000-... (700
//! items); SADD set:intset 1 2 3 -100 100000, set:hashtable a b c 1; HSET
//! hash:listpack f 1 g two h -3, hash:hashtable short 1 long <70 v>; ZADD
//! zset:listpack -0 z 1.5 a inf b -inf c 3 d, zset:skiplist 1 <70 m> -0 n 2.5
//! o; PEXPIREAT on str:embstr, list:short and (in db 5) other:db; FUNCTION
//! LOAD of library fixlib; SAVE.
//!
//! `data/rdb/redis-7.0.15-small.rdb` is the same without str:bin and
//! list:long, with list:nodes (RPUSH of 5000 x's, 5000 y's, 12, 5000 z's:
//! three quicklist nodes, LZF-compressed) and without the TTL on list:short
//! and other:db; it is small enough to mutate at every byte.

mod rdb_common;
mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};

use proptest::prelude::*;
use redsim_model::rdb::{self, crc64::crc64, LoadOptions};
use redsim_model::reference::Value;

const FIXTURE: &[u8] = include_bytes!("data/rdb/redis-7.0.15-all-types.rdb");
const SMALL: &[u8] = include_bytes!("data/rdb/redis-7.0.15-small.rdb");

fn lenient() -> LoadOptions {
    LoadOptions { verify_checksum: false, ..LoadOptions::default() }
}

/// Reads `bytes` with and without checksum verification; a panic is
/// reported with the mutation that caused it. A dataset accepted with the
/// checksum verified must write and read back.
fn must_not_panic(bytes: &[u8], what: &dyn Fn() -> String) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Ok((dataset, _)) = rdb::read(bytes) {
            let opts = rdb::RdbOptions { compression: true, checksum: true, aux: Default::default() };
            rdb::read(&rdb::write(&dataset, &opts)).expect("a file redsim wrote reads back");
        }
        let _ = rdb::read_with(bytes, &lenient());
    }));
    assert!(outcome.is_ok(), "reader panicked on {}", what());
}

fn payload_must_not_panic(bytes: &[u8], what: &dyn Fn() -> String) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _ = rdb::restore_payload_with(bytes, &lenient());
        let _ = rdb::restore_payload(bytes);
    }));
    assert!(outcome.is_ok(), "restore_payload panicked on {}", what());
}

/// What to run on each mutated input; the closure describes the mutation.
type Check<'a> = &'a dyn Fn(&[u8], &dyn Fn() -> String);

/// Truncations, three flips and eight special values, and huge lengths
/// spliced in or written over, at every `stride`-th byte.
fn mutate_everywhere(base: &[u8], stride: usize, check: Check<'_>) {
    for cut in (0..base.len()).step_by(stride) {
        check(&base[..cut], &|| format!("truncation to {cut} bytes"));
    }
    let mut m = base.to_vec();
    for i in (0..base.len()).step_by(stride) {
        for x in [0x01u8, 0x80, 0xff] {
            m[i] = base[i] ^ x;
            check(&m, &|| format!("byte {i} xor {x:#04x}"));
        }
        for v in [0x00u8, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc3, 0xfe] {
            m[i] = v;
            check(&m, &|| format!("byte {i} set to {v:#04x}"));
        }
        m[i] = base[i];
    }
    let huge: [&[u8]; 4] = [
        &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x80, 0xff, 0xff, 0xff, 0xff],
        &[0xc3, 0x01, 0x80, 0x7f, 0xff, 0xff, 0xff, 0x00],
        &[0xc3, 0x80, 0xff, 0xff, 0xff, 0xff, 0x80, 0xff, 0xff, 0xff, 0xff],
    ];
    for i in (0..base.len()).step_by(stride * 3) {
        for h in huge {
            let mut m = base[..i].to_vec();
            m.extend_from_slice(h);
            m.extend_from_slice(&base[i..]);
            check(&m, &|| format!("{h:02x?} spliced in at {i}"));
            let mut m = base.to_vec();
            let end = (i + h.len()).min(m.len());
            m[i..end].copy_from_slice(&h[..end - i]);
            check(&m, &|| format!("{h:02x?} written over byte {i}"));
        }
    }
}

#[test]
fn redis_fixture_reads_as_written() {
    let (dataset, info) = rdb::read(FIXTURE).unwrap();
    assert_eq!(info.version, 10);
    assert_eq!(info.bytes_read, FIXTURE.len());
    assert_eq!(info.functions.len(), 1);
    assert!(info.functions[0].starts_with(b"#!lua name=fixlib\n"));
    assert_eq!(dataset.dbs[0].len(), 13);
    assert_eq!(dataset.dbs[5].len(), 1);
    let get = |k: &str| &dataset.dbs[0].iter().find(|r| r.key == k.as_bytes()).unwrap_or_else(|| panic!("{k}")).value;
    let kinds = [
        ("str:int", "int"),
        ("str:big-int", "int"),
        ("str:embstr", "embstr"),
        ("str:raw", "raw"),
        ("str:bin", "embstr"),
        ("list:short", "quicklist"),
        ("list:long", "quicklist"),
        ("set:intset", "intset"),
        ("set:hashtable", "hashtable"),
        ("hash:listpack", "listpack"),
        ("hash:hashtable", "hashtable"),
        ("zset:listpack", "listpack"),
        ("zset:skiplist", "skiplist"),
    ];
    for (k, enc) in kinds {
        assert_eq!(get(k).encoding_name(), enc, "{k}");
    }
    let Value::Str(s) = get("str:raw") else { panic!() };
    assert_eq!(s.bytes, b"the quick brown fox jumps over the lazy dog ".repeat(5));
    let Value::List(l) = get("list:long") else { panic!() };
    assert_eq!(l.len(), 700);
    assert_eq!(l.get(699).unwrap()[..], *format!("item-00699-{}", "x".repeat(699 % 20)).as_bytes());
    let Value::ZSet(z) = get("zset:listpack") else { panic!() };
    let scores: Vec<f64> = z.iter().map(|(_, s)| s).collect();
    assert_eq!(scores, [f64::NEG_INFINITY, 0.0, 1.5, 3.0, f64::INFINITY]);
    let expiring = dataset.dbs.iter().flatten().filter(|r| r.expire_at.is_some()).count();
    assert_eq!(expiring, 3);
    assert_eq!(dataset.dbs[5][0].expire_at, Some(4_102_444_800_999));
    // The IDLE opcodes (0 to 2 s in this file) set the keys' `lru` from the loader's clock.
    let now = 1_800_000_000_000i64;
    let (timed, _) = rdb::read_with(FIXTURE, &LoadOptions { now_ms: now, ..LoadOptions::default() }).unwrap();
    let clock = ((now / 1000) & 0xff_ffff) as u32;
    let idles: Vec<u32> = timed.dbs[0].iter().map(|r| clock - r.lru).collect();
    assert!(idles.iter().all(|&i| i <= 2) && idles.contains(&2), "IDLE opcodes not applied: {idles:?}");
    // Written by redsim and read again, nothing but `lru` changes.
    let opts = rdb::RdbOptions { compression: true, checksum: true, aux: Default::default() };
    let (again, _) = rdb::read(&rdb::write(&dataset, &opts)).unwrap();
    let strip = |d: &redsim_model::dataset::Dataset| -> Vec<_> {
        d.dbs.iter().flatten().map(|r| (r.key.clone(), r.value.clone(), r.expire_at)).collect()
    };
    assert!(strip(&again) == strip(&dataset), "the dataset changed through redsim's writer");
}

#[test]
fn mutated_redis_dumps_never_panic() {
    mutate_everywhere(SMALL, 1, &|b, what| must_not_panic(b, what));
    mutate_everywhere(FIXTURE, 61, &|b, what| must_not_panic(b, what));
}

#[test]
fn mutated_dump_payloads_never_panic() {
    let (dataset, _) = rdb::read(FIXTURE).unwrap();
    for record in dataset.dbs.iter().flatten() {
        let payload = rdb::dump_payload(&record.value);
        if payload.len() > 2000 {
            continue; // the long list: same structures as list:short, 10x the time
        }
        mutate_everywhere(&payload, 1, &|b, what| {
            payload_must_not_panic(b, what);
            // With the footer fixed up, so the body is really parsed.
            if b.len() >= 10 {
                let mut fixed = b.to_vec();
                let n = fixed.len();
                fixed[n - 10..n - 8].copy_from_slice(&10u16.to_le_bytes());
                let crc = crc64(0, &fixed[..n - 8]);
                fixed[n - 8..].copy_from_slice(&crc.to_le_bytes());
                payload_must_not_panic(&fixed, what);
            }
        });
    }
}

fn with_footer(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_files_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200), version in 1u32..=10) {
        let mut file = format!("REDIS{version:04}").into_bytes();
        file.extend_from_slice(&body);
        must_not_panic(&file, &|| format!("{file:02x?}"));
    }

    #[test]
    fn random_payloads_never_panic(type_byte in 0u8..25, body in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut b = vec![type_byte];
        b.extend_from_slice(&body);
        let p = with_footer(&b);
        payload_must_not_panic(&p, &|| format!("{p:02x?}"));
    }

    #[test]
    fn random_blobs_never_panic(blob in proptest::collection::vec(any::<u8>(), 0..80), len in 0usize..10_000) {
        let _ = rdb::listpack::decode(&blob);
        let _ = rdb::ziplist::decode(&blob);
        let _ = rdb::intset::decode(&blob);
        let _ = rdb::zipmap::decode(&blob);
        let _ = rdb::lzf::decompress(&blob, len);
        // Every blob type inside a payload, so the loaders around them run too.
        for type_byte in [9u8, 10, 11, 12, 13, 16, 17] {
            let mut b = vec![type_byte, 0x80];
            b.extend_from_slice(&(blob.len() as u32).to_be_bytes());
            b.extend_from_slice(&blob);
            let _ = rdb::restore_payload(&with_footer(&b));
        }
    }

    #[test]
    fn lzf_round_trips(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
        if let Some(z) = rdb::lzf::compress(&data, data.len() + 64) {
            prop_assert_eq!(rdb::lzf::decompress(&z, data.len()).unwrap(), data);
        }
    }
}
