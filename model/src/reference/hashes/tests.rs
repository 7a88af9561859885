//! Edge cases of the hashes group on the model: replies, encodings, and what
//! each command propagates (checked against Redis 7.0.15 by hand with
//! `redis-cli --replica`).

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::command::{Command, ParseEnv};
use crate::engine::{Context, Engine, EngineConfig};
use crate::reference::Model;
use crate::resp::Frame;

struct Run {
    reply: Frame,
    /// Propagated commands, as text.
    effects: Vec<Vec<String>>,
    touched: Vec<String>,
}

fn run_with(model: &mut Model, config: &EngineConfig, line: &[&str]) -> Run {
    let argv: Vec<Bytes> = line.iter().map(|s| Bytes::from(s.to_string())).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut cx = Context::new(0, 1_700_000_000_000, &mut rng, config, &argv);
    let reply = match Command::from_argv(&argv, &ParseEnv::default()) {
        Ok(cmd) => model.execute(&mut cx, &cmd),
        Err(e) => Frame::from(e),
    };
    let touched = cx.touched.iter().map(|(_, k)| String::from_utf8_lossy(k).into_owned()).collect();
    let effects = cx
        .into_effects()
        .into_iter()
        .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
        .collect();
    Run { reply, effects, touched }
}

fn run(model: &mut Model, line: &[&str]) -> Run {
    run_with(model, &EngineConfig::default(), line)
}

fn encoding(model: &mut Model, key: &str) -> Frame {
    run(model, &["OBJECT", "ENCODING", key]).reply
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn hset_counts_new_fields_and_propagates_as_sent() {
    let mut m = Model::new(16);
    let r = run(&mut m, &["HSET", "h", "a", "1", "b", "2", "a", "3"]);
    assert_eq!(r.reply, Frame::Integer(2));
    assert_eq!(r.effects, [strs(&["HSET", "h", "a", "1", "b", "2", "a", "3"])]);
    // Rewriting a field with the same value is still a change to propagate.
    let r = run(&mut m, &["hset", "h", "a", "3"]);
    assert_eq!(r.reply, Frame::Integer(0));
    assert_eq!(r.effects, [strs(&["hset", "h", "a", "3"])]);
    assert_eq!(run(&mut m, &["HMSET", "h", "c", "4"]).reply, Frame::ok());
    assert_eq!(
        run(&mut m, &["HGETALL", "h"]).reply,
        Frame::Map(vec![
            (Frame::bulk("a"), Frame::bulk("3")),
            (Frame::bulk("b"), Frame::bulk("2")),
            (Frame::bulk("c"), Frame::bulk("4")),
        ])
    );
}

#[test]
fn wrong_type_and_missing_keys() {
    let mut m = Model::new(16);
    run(&mut m, &["SET", "s", "x"]);
    let wrongtype = Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value");
    for line in [
        &["HSET", "s", "a", "1"][..],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HSCAN", "s", "0", "TYPE", "x"],
        &["HRANDFIELD", "s", "0"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HDEL", "s", "a"],
    ] {
        assert_eq!(run(&mut m, line).reply, wrongtype, "{line:?}");
    }
    assert_eq!(run(&mut m, &["HGET", "no", "a"]).reply, Frame::Null);
    assert_eq!(run(&mut m, &["HMGET", "no", "a", "b"]).reply, Frame::Array(vec![Frame::Null, Frame::Null]));
    assert_eq!(run(&mut m, &["HGETALL", "no"]).reply, Frame::Map(vec![]));
    assert_eq!(run(&mut m, &["HKEYS", "no"]).reply, Frame::Array(vec![]));
    assert_eq!(run(&mut m, &["HRANDFIELD", "no"]).reply, Frame::Null);
    assert_eq!(run(&mut m, &["HRANDFIELD", "no", "-5", "WITHVALUES"]).reply, Frame::Array(vec![]));
    // A missing key is an empty scan even with options that would be refused.
    assert_eq!(
        run(&mut m, &["HSCAN", "no", "7", "COUNT", "0"]).reply,
        Frame::Array(vec![Frame::bulk("0"), Frame::Array(vec![])])
    );
    assert_eq!(run(&mut m, &["HDEL", "no", "a"]).effects, Vec::<Vec<String>>::new());
}

#[test]
fn hdel_deletes_the_emptied_key_and_propagates_hdel() {
    let mut m = Model::new(16);
    run(&mut m, &["HSET", "h", "a", "1", "b", "2"]);
    let r = run(&mut m, &["HDEL", "h", "zz"]);
    assert_eq!(r.reply, Frame::Integer(0));
    assert!(r.effects.is_empty());
    assert!(r.touched.is_empty(), "nothing deleted, nothing touched");
    let r = run(&mut m, &["HDEL", "h", "a", "a", "b", "c"]);
    assert_eq!(r.reply, Frame::Integer(2));
    assert_eq!(r.effects, [strs(&["HDEL", "h", "a", "a", "b", "c"])]);
    assert_eq!(run(&mut m, &["EXISTS", "h"]).reply, Frame::Integer(0));
}

#[test]
fn hsetnx_leaves_existing_fields_alone() {
    let mut m = Model::new(16);
    assert_eq!(run(&mut m, &["HSETNX", "h", "a", "1"]).reply, Frame::Integer(1));
    let long = "x".repeat(65);
    let r = run(&mut m, &["HSETNX", "h", "a", &long]);
    assert_eq!(r.reply, Frame::Integer(0));
    assert!(r.effects.is_empty());
    assert!(r.touched.is_empty());
    assert_eq!(encoding(&mut m, "h"), Frame::bulk("listpack"));
    assert_eq!(run(&mut m, &["HSETNX", "h", "b", &long]).reply, Frame::Integer(1));
    assert_eq!(encoding(&mut m, "h"), Frame::bulk("hashtable"));
}

#[test]
fn long_argument_converts_even_when_overwritten_in_the_same_call() {
    let mut m = Model::new(16);
    let long = "x".repeat(65);
    run(&mut m, &["HSET", "h", "a", &long, "a", "1"]);
    assert_eq!(encoding(&mut m, "h"), Frame::bulk("hashtable"));
    // HINCRBY with a long field converts too (the check inside hashTypeSet).
    run(&mut m, &["HINCRBY", "g", &long, "1"]);
    assert_eq!(encoding(&mut m, "g"), Frame::bulk("hashtable"));
}

#[test]
fn entry_limit_from_config() {
    let mut m = Model::new(16);
    let config = EngineConfig { hash_max_listpack_entries: 2, ..EngineConfig::default() };
    run_with(&mut m, &config, &["HSET", "h", "a", "1", "b", "2", "a", "3"]);
    assert_eq!(encoding(&mut m, "h"), Frame::bulk("listpack"));
    run_with(&mut m, &config, &["HSET", "h", "c", "1"]);
    assert_eq!(encoding(&mut m, "h"), Frame::bulk("hashtable"));
}

#[test]
fn hincrby_rules() {
    let mut m = Model::new(16);
    assert_eq!(run(&mut m, &["HINCRBY", "h", "n", "5"]).reply, Frame::Integer(5));
    run(&mut m, &["HSET", "h", "s", "abc", "big", "9223372036854775807", "sp", " 1"]);
    assert_eq!(run(&mut m, &["HINCRBY", "h", "s", "1"]).reply, Frame::error("ERR hash value is not an integer"));
    assert_eq!(run(&mut m, &["HINCRBY", "h", "sp", "1"]).reply, Frame::error("ERR hash value is not an integer"));
    let r = run(&mut m, &["HINCRBY", "h", "big", "1"]);
    assert_eq!(r.reply, Frame::error("ERR increment or decrement would overflow"));
    assert!(r.effects.is_empty());
    assert_eq!(run(&mut m, &["HINCRBY", "h", "big", "-1"]).reply, Frame::Integer(i64::MAX - 1));
    let r = run(&mut m, &["HINCRBY", "h", "n", "-7"]);
    assert_eq!(r.reply, Frame::Integer(-2));
    assert_eq!(r.effects, [strs(&["HINCRBY", "h", "n", "-7"])]);
}

#[test]
fn hincrbyfloat_formats_like_incrbyfloat_and_propagates_hset() {
    let mut m = Model::new(16);
    let r = run(&mut m, &["HINCRBYFLOAT", "h", "f", "10.5"]);
    assert_eq!(r.reply, Frame::bulk("10.5"));
    assert_eq!(r.effects, [strs(&["HSET", "h", "f", "10.5"])]);
    assert_eq!(run(&mut m, &["HINCRBYFLOAT", "h", "f", "0.1"]).reply, Frame::bulk("10.6"));
    assert_eq!(run(&mut m, &["HINCRBYFLOAT", "h", "f", "5.0e3"]).reply, Frame::bulk("5010.60000000000000009"));
    assert_eq!(run(&mut m, &["HINCRBYFLOAT", "h", "g", "2e3"]).effects, [strs(&["HSET", "h", "g", "2000"])]);
    run(&mut m, &["HSET", "h", "s", "x"]);
    assert_eq!(run(&mut m, &["HINCRBYFLOAT", "h", "s", "1"]).reply, Frame::error("ERR hash value is not a float"));
    run(&mut m, &["HSET", "h", "max", "1.1e4932"]);
    let r = run(&mut m, &["HINCRBYFLOAT", "h", "max", "1.1e4932"]);
    assert_eq!(r.reply, Frame::error("ERR increment would produce NaN or Infinity"));
    assert!(r.effects.is_empty());
    assert_eq!(run(&mut m, &["HINCRBYFLOAT", "h", "f", "inf"]).reply, Frame::error("ERR value is NaN or Infinity"));
}

#[test]
fn hstrlen_hexists_hlen() {
    let mut m = Model::new(16);
    run(&mut m, &["HSET", "h", "a", "hello", "n", "-123", "e", ""]);
    assert_eq!(run(&mut m, &["HSTRLEN", "h", "a"]).reply, Frame::Integer(5));
    assert_eq!(run(&mut m, &["HSTRLEN", "h", "n"]).reply, Frame::Integer(4));
    assert_eq!(run(&mut m, &["HSTRLEN", "h", "e"]).reply, Frame::Integer(0));
    assert_eq!(run(&mut m, &["HSTRLEN", "h", "zz"]).reply, Frame::Integer(0));
    assert_eq!(run(&mut m, &["HEXISTS", "h", "e"]).reply, Frame::Integer(1));
    assert_eq!(run(&mut m, &["HEXISTS", "h", "zz"]).reply, Frame::Integer(0));
    assert_eq!(run(&mut m, &["HLEN", "h"]).reply, Frame::Integer(3));
    assert_eq!(run(&mut m, &["HLEN", "zz"]).reply, Frame::Integer(0));
}

/// The bulk strings of an array reply, pairs flattened as a RESP2 client sees them.
fn bulks(f: &Frame) -> Vec<Bytes> {
    let bulk = |i: &Frame| match i {
        Frame::Bulk(b) => b.clone(),
        other => panic!("not a bulk: {other:?}"),
    };
    match f {
        Frame::Array(items) => items.iter().map(bulk).collect(),
        Frame::Pairs(pairs) => pairs.iter().flat_map(|(a, b)| [bulk(a), bulk(b)]).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn hrandfield_counts() {
    let mut m = Model::new(16);
    run(&mut m, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let one = run(&mut m, &["HRANDFIELD", "h"]).reply;
    assert!(matches!(&one, Frame::Bulk(b) if [&b"a"[..], b"b", b"c"].contains(&&b[..])));
    assert_eq!(run(&mut m, &["HRANDFIELD", "h", "0"]).reply, Frame::Array(vec![]));
    // At least the size: the whole hash in listpack order.
    assert_eq!(run(&mut m, &["HRANDFIELD", "h", "9223372036854775807"]).reply, Frame::bulks(["a", "b", "c"]));
    assert_eq!(
        run(&mut m, &["HRANDFIELD", "h", "3", "WITHVALUES"]).reply,
        Frame::Pairs(vec![
            (Frame::bulk("a"), Frame::bulk("1")),
            (Frame::bulk("b"), Frame::bulk("2")),
            (Frame::bulk("c"), Frame::bulk("3")),
        ])
    );
    let two = bulks(&run(&mut m, &["HRANDFIELD", "h", "2"]).reply);
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    let many = bulks(&run(&mut m, &["HRANDFIELD", "h", "-50", "WITHVALUES"]).reply);
    assert_eq!(many.len(), 100);
    for p in many.chunks(2) {
        let expected: &[u8] = match &p[0][..] {
            b"a" => b"1",
            b"b" => b"2",
            b"c" => b"3",
            other => panic!("unknown field {other:?}"),
        };
        assert_eq!(&p[1][..], expected);
    }
    assert!(run(&mut m, &["HRANDFIELD", "h", "-5"]).effects.is_empty());
}

#[test]
fn hscan_listpack_and_hashtable() {
    let mut m = Model::new(16);
    run(&mut m, &["HSET", "h", "b", "1", "a", "2", "", "3"]);
    assert_eq!(
        run(&mut m, &["HSCAN", "h", "99", "COUNT", "1"]).reply,
        Frame::Array(vec![Frame::bulk("0"), Frame::bulks(["b", "1", "a", "2", "", "3"])])
    );
    // `*` lists the empty field; other patterns cannot match it.
    assert_eq!(
        run(&mut m, &["HSCAN", "h", "0", "MATCH", "*"]).reply,
        Frame::Array(vec![Frame::bulk("0"), Frame::bulks(["b", "1", "a", "2", "", "3"])])
    );
    assert_eq!(
        run(&mut m, &["HSCAN", "h", "0", "MATCH", "*", "MATCH", "[a-b]*"]).reply,
        Frame::Array(vec![Frame::bulk("0"), Frame::bulks(["b", "1", "a", "2"])])
    );
    assert_eq!(run(&mut m, &["HSCAN", "h", "0", "COUNT", "0"]).reply, Frame::error("ERR syntax error"));
    assert_eq!(run(&mut m, &["HSCAN", "h", "0", "NOVALUES"]).reply, Frame::error("ERR syntax error"));
    assert_eq!(run(&mut m, &["HSCAN", "h", "x"]).reply, Frame::error("ERR invalid cursor"));

    let config = EngineConfig { hash_max_listpack_entries: 4, ..EngineConfig::default() };
    for i in 0..40 {
        run_with(&mut m, &config, &["HSET", "t", &format!("f{i}"), &i.to_string()]);
    }
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let reply = run(&mut m, &["HSCAN", "t", &cursor, "COUNT", "5"]).reply;
        let Frame::Array(parts) = reply else { panic!("bad reply") };
        let Frame::Bulk(next) = &parts[0] else { panic!("bad cursor") };
        seen.extend(bulks(&parts[1]).chunks(2).map(|p| (p[0].clone(), p[1].clone())));
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 40);
    assert!(seen.iter().all(|(f, v)| f[1..] == v[..]));
}

#[test]
fn digest_of_a_hash_is_order_independent() {
    let mut a = Model::new(16);
    let mut b = Model::new(16);
    run(&mut a, &["HSET", "h", "x", "1", "y", "2"]);
    run(&mut b, &["HSET", "h", "y", "2", "x", "1"]);
    assert_eq!(a.value_digest(0, b"h"), b.value_digest(0, b"h"));
    run(&mut b, &["HSET", "h", "y", "3"]);
    assert_ne!(a.value_digest(0, b"h"), b.value_digest(0, b"h"));
}
