//! Files in the encodings Redis wrote before 7.0 (zipmap, ziplists, the
//! first quicklist, plain lists, text scores, second-precision expire
//! times, no checksum before version 5), assembled by hand here. redsim must
//! load them into the values and encodings Redis 7.0 gives them, and the
//! real server must agree: `redis-check-rdb` accepts each file and a server
//! loading it holds the same keys, digests, encodings and TTLs.

mod rdb_common;
mod support;

use rdb_common::*;
use redsim_model::rdb::{self, crc64::crc64, intset, lzf, ziplist, zipmap, LoadOptions};
use redsim_model::reference::Value;
use redsim_model::EngineConfig;

/// A hand-assembled RDB file.
struct File {
    bytes: Vec<u8>,
    version: u32,
}

impl File {
    fn new(version: u32) -> File {
        File { bytes: format!("REDIS{version:04}").into_bytes(), version }
    }

    fn byte(&mut self, b: u8) -> &mut Self {
        self.bytes.push(b);
        self
    }

    fn len(&mut self, n: u64) -> &mut Self {
        if n < 64 {
            self.bytes.push(n as u8);
        } else if n < 16384 {
            self.bytes.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
        } else {
            self.bytes.push(0x80);
            self.bytes.extend_from_slice(&(n as u32).to_be_bytes());
        }
        self
    }

    /// A string stored verbatim.
    fn str(&mut self, s: &[u8]) -> &mut Self {
        self.len(s.len() as u64);
        self.bytes.extend_from_slice(s);
        self
    }

    /// A string stored as an 8/16/32-bit integer.
    fn int_str(&mut self, v: i32) -> &mut Self {
        if let Ok(b) = i8::try_from(v) {
            self.bytes.extend_from_slice(&[0xc0, b as u8]);
        } else if let Ok(h) = i16::try_from(v) {
            self.bytes.push(0xc1);
            self.bytes.extend_from_slice(&h.to_le_bytes());
        } else {
            self.bytes.push(0xc2);
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        self
    }

    /// A string stored LZF-compressed.
    fn lzf_str(&mut self, s: &[u8]) -> &mut Self {
        let z = lzf::compress(s, s.len()).expect("compressible test string");
        self.bytes.push(0xc3);
        self.len(z.len() as u64).len(s.len() as u64);
        self.bytes.extend_from_slice(&z);
        self
    }

    fn key(&mut self, type_byte: u8, key: &str) -> &mut Self {
        self.byte(type_byte).str(key.as_bytes())
    }

    fn finish(&mut self) -> Vec<u8> {
        self.byte(0xff);
        if self.version >= 5 {
            let crc = crc64(0, &self.bytes);
            self.bytes.extend_from_slice(&crc.to_le_bytes());
        }
        self.bytes.clone()
    }
}

fn texts(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// A version 9 file with every pre-7.0 encoding, and what each key loads as.
fn legacy_file(expire_secs: i64) -> (Vec<u8>, Vec<(&'static str, &'static str, &'static str)>) {
    let mut f = File::new(9);
    f.byte(0xfa).str(b"redis-ver").str(b"6.2.14");
    f.byte(0xfa).str(b"redis-bits").int_str(64);
    f.byte(0xfe).len(0).byte(0xfb).len(30).len(1);
    let mut want = Vec::new();

    let small = zipmap::encode(&[(b"f1", b"v1"), (b"n", b"12345"), (b"", b"empty-field")], 2);
    f.key(9, "zipmap-small").str(&small);
    want.push(("zipmap-small", "hash", "listpack"));
    let long = vec![b'L'; 100];
    let wide = zipmap::encode(&[(b"a", b"1"), (b"long", &long)], 0);
    f.key(9, "zipmap-long-value").str(&wide);
    want.push(("zipmap-long-value", "hash", "hashtable"));

    let big = vec![b'B'; 300];
    let items = [&b"a"[..], b"1", b"-300", b"70000", b"9223372036854775807", b"", &big];
    f.key(10, "list-ziplist").lzf_str(&ziplist::encode(items));
    want.push(("list-ziplist", "list", "quicklist"));

    // An intset wider than its values need, as Redis leaves one after removals.
    let mut wide_intset = intset::encode(&[1, 2, 1 << 40]);
    wide_intset.truncate(8 + 16);
    wide_intset[4] = 2;
    f.key(11, "intset-wide").str(&wide_intset);
    want.push(("intset-wide", "set", "intset"));
    let many: Vec<i64> = (0..600).collect();
    f.key(11, "intset-many").str(&intset::encode(&many));
    want.push(("intset-many", "set", "hashtable"));

    let z =
        ziplist::encode(texts(&["m1", "5", "m2", "1.5", "m3", "inf", "m4", "-inf", "m5", "-3"]).iter().map(|v| &v[..]));
    f.key(12, "zset-ziplist").str(&z);
    want.push(("zset-ziplist", "zset", "listpack"));
    let pairs: Vec<Vec<u8>> =
        (0..300).flat_map(|i| [format!("m{i}").into_bytes(), format!("{}", i as f64 / 4.0).into_bytes()]).collect();
    f.key(12, "zset-ziplist-many").lzf_str(&ziplist::encode(pairs.iter().map(|v| &v[..])));
    want.push(("zset-ziplist-many", "zset", "skiplist"));

    let h = ziplist::encode(texts(&["f", "v", "num", "-12", "x", ""]).iter().map(|v| &v[..]));
    f.key(13, "hash-ziplist").str(&h);
    want.push(("hash-ziplist", "hash", "listpack"));
    let fields: Vec<Vec<u8>> =
        (0..600).flat_map(|i| [format!("f{i}").into_bytes(), format!("{i}").into_bytes()]).collect();
    f.key(13, "hash-ziplist-many").lzf_str(&ziplist::encode(fields.iter().map(|v| &v[..])));
    want.push(("hash-ziplist-many", "hash", "hashtable"));

    // Quicklist v1: ziplist nodes, one of them empty (skipped on load).
    let node1 = ziplist::encode(texts(&["q1", "2", "q3"]).iter().map(|v| &v[..]));
    let node2 = ziplist::encode(std::iter::empty());
    let node3 = ziplist::encode(texts(&["-5", "q5"]).iter().map(|v| &v[..]));
    f.key(14, "quicklist-v1").len(3).str(&node1).str(&node2).str(&node3);
    want.push(("quicklist-v1", "list", "quicklist"));

    // Plain types, with integer-encoded and compressed strings inside.
    f.key(1, "plain-list").len(4).str(b"x").int_str(-7).int_str(100_000).lzf_str(&[b'w'; 64]);
    want.push(("plain-list", "list", "quicklist"));
    f.key(2, "plain-set-ints").len(3).int_str(3).str(b"-1").int_str(70000);
    want.push(("plain-set-ints", "set", "intset"));
    f.key(2, "plain-set-strs").len(2).str(b"a").int_str(1);
    want.push(("plain-set-strs", "set", "hashtable"));
    f.key(3, "zset-text-scores").len(4);
    f.str(b"a").byte(4).bytes.extend_from_slice(b"3.25");
    f.str(b"b").byte(254).str(b"c").byte(255).str(b"d").byte(2);
    f.bytes.extend_from_slice(b"-0");
    want.push(("zset-text-scores", "zset", "listpack"));
    f.key(5, "zset-binary").len(2).str(b"m").bytes.extend_from_slice(&(-0.0f64).to_le_bytes());
    f.str(&[b'M'; 80]).bytes.extend_from_slice(&2.5f64.to_le_bytes());
    want.push(("zset-binary", "zset", "skiplist"));
    f.key(4, "plain-hash").len(2).str(b"a").int_str(1).str(b"b").str(b"two");
    want.push(("plain-hash", "hash", "listpack"));
    f.key(0, "string-int").int_str(-129);
    want.push(("string-int", "string", "int"));
    f.key(0, "string-lzf").lzf_str(&[b'z'; 200]);
    want.push(("string-lzf", "string", "raw"));
    f.key(0, "string-short-lzf").lzf_str(b"abcabcabcabcabcabcabcabcabc");
    want.push(("string-short-lzf", "string", "embstr"));
    f.key(0, "string-digits").str(b"123");
    want.push(("string-digits", "string", "int"));

    // Second-precision expire (RDB_OPCODE_EXPIRETIME).
    f.byte(0xfd).bytes.extend_from_slice(&(expire_secs as i32).to_le_bytes());
    f.key(0, "expires").str(b"soon");
    want.push(("expires", "string", "embstr"));

    f.byte(0xfe).len(3).key(0, "db3").str(b"x");
    (f.finish(), want)
}

#[test]
fn old_encodings_load_as_redis_loads_them() {
    let now = wall_ms();
    let expire_secs = now / 1000 + 7200;
    let (file, want) = legacy_file(expire_secs);
    let (dataset, info) = rdb::read_with(&file, &LoadOptions::from_config(&EngineConfig::default(), 16, now))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.version, 9);
    assert_eq!(dataset.dbs[3].len(), 1);
    let db0 = &dataset.dbs[0];
    assert_eq!(db0.len(), want.len());
    for ((key, ty, enc), record) in want.iter().zip(db0) {
        assert_eq!(record.key, key.as_bytes(), "keys out of order");
        assert_eq!((record.value.type_name(), record.value.encoding_name()), (*ty, *enc), "{key}");
    }
    let find = |k: &str| &db0.iter().find(|r| r.key == k.as_bytes()).unwrap().value;
    let Value::List(l) = find("quicklist-v1") else { panic!() };
    assert_eq!(l.iter().collect::<Vec<_>>(), [&b"q1"[..], b"2", b"q3", b"-5", b"q5"]);
    let Value::ZSet(z) = find("zset-text-scores") else { panic!() };
    let scores: Vec<(&[u8], f64)> = z.iter().collect();
    assert_eq!(scores, [(&b"c"[..], f64::NEG_INFINITY), (b"d", 0.0), (b"a", 3.25), (b"b", f64::INFINITY)]);
    let Value::ZSet(z) = find("zset-binary") else { panic!() };
    assert!(z.score(b"m").unwrap().is_sign_negative(), "a skiplist keeps -0");
    let record = db0.iter().find(|r| r.key == "expires".as_bytes()).unwrap();
    assert_eq!(record.expire_at, Some(expire_secs * 1000));

    // The real server agrees on all of it.
    let dir = TempDir::new("legacy");
    std::fs::write(dir.path("old.rdb"), &file).unwrap();
    redis_check_rdb(&dir.path("old.rdb"));
    let (_server, mut conn) = server_on(&dir, "old.rdb", &[]);
    let mut loaded = Runner::with_dataset(dataset, now);
    let n = assert_same_as_server(&mut loaded, &mut conn, wall_ms(), 5_000);
    assert_eq!(n, want.len() + 1);
}

#[test]
fn files_before_version_5_have_no_checksum() {
    let mut f = File::new(4);
    f.byte(0xfe).len(0);
    f.key(0, "k").str(b"v");
    f.key(3, "z").len(1).str(b"m").byte(3);
    f.bytes.extend_from_slice(b"1.5");
    let file = f.finish();
    let (dataset, info) = rdb::read(&file).unwrap();
    assert_eq!((info.version, info.bytes_read), (4, file.len()));
    assert_eq!(dataset.len(), 2);

    let dir = TempDir::new("v4");
    std::fs::write(dir.path("v4.rdb"), &file).unwrap();
    redis_check_rdb(&dir.path("v4.rdb"));
    let (_server, mut conn) = server_on(&dir, "v4.rdb", &[]);
    let mut loaded = Runner::with_dataset(dataset, 0);
    assert_eq!(assert_same_as_server(&mut loaded, &mut conn, wall_ms(), 0), 2);
}

#[test]
fn empty_collections_are_skipped() {
    // Redis skips them on load (redis-check-rdb calls them an error).
    let mut f = File::new(10);
    f.byte(0xfe).len(0);
    f.key(1, "empty-list").len(0);
    f.key(18, "empty-quicklist").len(1).len(2).str(&rdb::listpack::encode(std::iter::empty()));
    f.key(16, "empty-hash").str(&rdb::listpack::encode(std::iter::empty()));
    f.key(2, "empty-set").len(0);
    f.key(0, "k").str(b"v");
    let file = f.finish();
    let (dataset, _) = rdb::read(&file).unwrap();
    assert_eq!(dataset.len(), 1);
    let dir = TempDir::new("empty");
    std::fs::write(dir.path("e.rdb"), &file).unwrap();
    let (_server, mut conn) = server_on(&dir, "e.rdb", &[]);
    let mut loaded = Runner::with_dataset(dataset, 0);
    assert_eq!(assert_same_as_server(&mut loaded, &mut conn, wall_ms(), 0), 1);
}

#[test]
fn newer_versions_and_foreign_types_are_refused() {
    let mut f = File::new(11);
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("version 11"));
    assert!(rdb::read(b"RETIS0010\xff").unwrap_err().message.contains("signature"));
    for (type_byte, what) in
        [(6u8, "module"), (7, "module"), (15, "stream"), (19, "stream"), (8, "unknown"), (20, "unknown")]
    {
        let mut f = File::new(10);
        f.key(type_byte, "k").len(0);
        let err = rdb::read(&f.finish()).unwrap_err();
        assert!(err.message.contains(&format!("type {type_byte}")) && err.message.contains(what), "{err}");
        assert_eq!(err.offset, 9);
    }
    let mut f = File::new(10);
    f.byte(0xf7).len(1);
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("module auxiliary"));
    let mut f = File::new(10);
    f.byte(0xfe).len(16);
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("database index 16"));
    let mut f = File::new(10);
    f.key(0, "k").str(b"1").key(0, "k").str(b"2");
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("duplicated key"));
    let mut f = File::new(10);
    f.key(2, "s").len(2).str(b"a").str(b"a");
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("duplicate set member"));
    let mut f = File::new(10);
    f.key(5, "z").len(1).str(b"m").bytes.extend_from_slice(&f64::NAN.to_le_bytes());
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("NaN"));
}

#[test]
fn plain_quicklist_nodes_load() {
    // Redis 7.0 stores elements of 1 GiB and more in PLAIN nodes; any size loads.
    let mut f = File::new(10);
    f.byte(0xfe).len(0);
    let packed = rdb::listpack::encode([&b"a"[..], b"2"]);
    let tail = rdb::listpack::encode([&b"c"[..]]);
    f.key(18, "list").len(3).len(2).str(&packed).len(1).str(b"a plain element").len(2).str(&tail);
    let file = f.finish();
    let (dataset, _) = rdb::read(&file).unwrap();
    let Value::List(l) = &dataset.dbs[0][0].value else { panic!("not a list") };
    assert_eq!(l.iter().collect::<Vec<_>>(), [&b"a"[..], b"2", b"a plain element", b"c"]);
    let dir = TempDir::new("plain");
    std::fs::write(dir.path("p.rdb"), &file).unwrap();
    redis_check_rdb(&dir.path("p.rdb"));
    let (_server, mut conn) = server_on(&dir, "p.rdb", &[]);
    let mut loaded = Runner::with_dataset(dataset, 0);
    assert_eq!(assert_same_as_server(&mut loaded, &mut conn, wall_ms(), 0), 1);
    // A container that is neither is refused.
    let mut f = File::new(10);
    f.key(18, "list").len(1).len(3).str(&tail);
    assert!(rdb::read(&f.finish()).unwrap_err().message.contains("container 3"));
}
