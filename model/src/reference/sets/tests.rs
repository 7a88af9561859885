//! The sets group on the model: effects (what replicas and the AOF receive,
//! checked against `redis-cli --replica` on Redis 7.0.15), touched keys,
//! and edge cases of single commands.

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::command::{Command, ParseEnv};
use crate::engine::{Context, Effect, Engine, EngineConfig};
use crate::reference::Model;
use crate::resp::Frame;

const NOW: i64 = 1_700_000_000_000;

struct Run {
    reply: Frame,
    effects: Vec<Vec<String>>,
    touched: Vec<String>,
    dirty: u64,
}

fn argv(line: &str) -> Vec<Bytes> {
    line.split(' ').map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
}

fn run_with(model: &mut Model, config: &EngineConfig, line: &str) -> Run {
    let args = argv(line);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let cmd = match Command::from_argv(&args, &ParseEnv::default()) {
        Ok(c) => c,
        Err(e) => return Run { reply: e.into(), effects: vec![], touched: vec![], dirty: 0 },
    };
    let mut cx = Context::new(0, NOW, &mut rng, config, &args);
    let reply = model.execute(&mut cx, &cmd);
    let touched = cx.touched.iter().map(|(_, k)| String::from_utf8_lossy(k).into_owned()).collect();
    let dirty = cx.dirty;
    let effects = cx
        .into_effects()
        .into_iter()
        .map(|Effect { argv, .. }| argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
        .collect();
    Run { reply, effects, touched, dirty }
}

fn run(model: &mut Model, line: &str) -> Run {
    run_with(model, &EngineConfig::default(), line)
}

fn encoding(model: &mut Model, key: &str) -> Frame {
    run(model, &format!("OBJECT ENCODING {key}")).reply
}

fn words(line: &str) -> Vec<String> {
    line.split(' ').map(String::from).collect()
}

#[test]
fn spop_propagates_as_srem() {
    let mut m = Model::new(16);
    run(&mut m, "SADD s 1 2 3");
    let r = run(&mut m, "SPOP s");
    let Frame::Bulk(popped) = &r.reply else { panic!("{:?}", r.reply) };
    assert_eq!(r.effects, vec![words(&format!("SREM s {}", String::from_utf8_lossy(popped)))]);
    assert_eq!(r.dirty, 1);
}

#[test]
fn spop_count_propagates_srems_in_a_transaction() {
    let mut m = Model::new(16);
    run(&mut m, "SADD s 1 2 3 4 5 6 7 8 9 10");
    let r = run(&mut m, "SPOP s 3");
    let Frame::Set(popped) = &r.reply else { panic!("{:?}", r.reply) };
    assert_eq!(popped.len(), 3);
    assert_eq!(r.effects.len(), 5);
    assert_eq!(r.effects[0], words("MULTI"));
    assert_eq!(r.effects[4], words("EXEC"));
    for (e, p) in r.effects[1..4].iter().zip(popped) {
        let Frame::Bulk(p) = p else { panic!() };
        assert_eq!(e, &words(&format!("SREM s {}", String::from_utf8_lossy(p))));
    }
    assert_eq!(r.dirty, 3);
    // A single popped member is one SREM, without MULTI.
    let r = run(&mut m, "SPOP s 1");
    assert_eq!(r.effects.len(), 1);
    assert_eq!(r.effects[0][0], "SREM");
}

#[test]
fn spop_of_the_whole_set_propagates_del() {
    let mut m = Model::new(16);
    run(&mut m, "SADD s a b");
    let r = run(&mut m, "SPOP s 5");
    assert!(matches!(&r.reply, Frame::Set(v) if v.len() == 2));
    assert_eq!(r.effects, vec![words("DEL s")]);
    // One change per member actually popped, not per member asked for.
    assert_eq!(r.dirty, 2);
    assert_eq!(run(&mut m, "EXISTS s").reply, Frame::Integer(0));
    // Nothing to pop: nothing propagated.
    assert!(run(&mut m, "SPOP s 5").effects.is_empty());
    assert!(run(&mut m, "SPOP s").effects.is_empty());
}

#[test]
fn spop_leaving_few_members_rebuilds_the_set_and_keeps_the_ttl() {
    let mut m = Model::new(16);
    let members: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
    run(&mut m, &format!("SADD s x {}", members.join(" ")));
    run(&mut m, "SREM s x");
    run(&mut m, "EXPIRE s 1000");
    assert_eq!(encoding(&mut m, "s"), Frame::bulk("hashtable"));
    // 5 kept of 30: Redis builds a new set from the survivors.
    run(&mut m, "SPOP s 25");
    assert_eq!(encoding(&mut m, "s"), Frame::bulk("intset"));
    assert_eq!(run(&mut m, "TTL s").reply, Frame::Integer(1000));
    // Popping few leaves the set in place, encoding included.
    run(&mut m, "SADD s x");
    run(&mut m, "SREM s x");
    run(&mut m, "SPOP s 1");
    assert_eq!(encoding(&mut m, "s"), Frame::bulk("hashtable"));
}

#[test]
fn writes_that_change_nothing_are_not_propagated_nor_touch() {
    let mut m = Model::new(16);
    run(&mut m, "SADD s a");
    for line in ["SADD s a", "SREM s b", "SREM nokey a", "SMOVE s d b", "SMOVE s s a", "SINTERSTORE d nokey"] {
        let r = run(&mut m, line);
        assert!(r.effects.is_empty(), "{line}: {:?}", r.effects);
        assert!(r.touched.is_empty(), "{line}: {:?}", r.touched);
    }
}

#[test]
fn writes_propagate_as_sent() {
    let mut m = Model::new(16);
    for line in ["SADD s a b", "SREM s a x", "SMOVE s d b", "SUNIONSTORE u d", "SDIFFSTORE u nokey"] {
        let r = run(&mut m, line);
        assert_eq!(r.effects, vec![words(line)], "{line}");
    }
    // The store emptied the destination: SDIFFSTORE u nokey deleted u.
    assert_eq!(run(&mut m, "EXISTS u").reply, Frame::Integer(0));
}

#[test]
fn smove_checks_the_source_before_the_destination() {
    let mut m = Model::new(16);
    run(&mut m, "SET str x");
    run(&mut m, "SADD s 1");
    assert_eq!(run(&mut m, "SMOVE nokey str 1").reply, Frame::Integer(0));
    assert!(run(&mut m, "SMOVE s str 1").reply.is_error());
    assert!(run(&mut m, "SMOVE str s 1").reply.is_error());
    assert_eq!(run(&mut m, "SMOVE s s 1").reply, Frame::Integer(1));
    assert_eq!(run(&mut m, "SMOVE s s 2").reply, Frame::Integer(0));
    let r = run(&mut m, "SMOVE s d 1");
    assert_eq!(r.reply, Frame::Integer(1));
    assert_eq!(r.dirty, 2);
    assert_eq!(run(&mut m, "EXISTS s").reply, Frame::Integer(0));
    assert_eq!(encoding(&mut m, "d"), Frame::bulk("intset"));
}

#[test]
fn combining_checks_every_key_type_even_after_a_missing_one() {
    let mut m = Model::new(16);
    run(&mut m, "SET str x");
    run(&mut m, "SADD s 1");
    for line in [
        "SINTER nokey str",
        "SUNION s nokey str",
        "SDIFF nokey str",
        "SINTERCARD 2 nokey str",
        "SINTERSTORE d nokey str",
    ] {
        assert!(run(&mut m, line).reply.is_error(), "{line}");
    }
}

#[test]
fn stored_results_take_the_encoding_redis_builds() {
    let mut m = Model::new(16);
    run(&mut m, "SADD e x 1");
    run(&mut m, "SREM e x");
    assert_eq!(encoding(&mut m, "e"), Frame::bulk("hashtable"));
    run(&mut m, "SINTERSTORE d e");
    assert_eq!(encoding(&mut m, "d"), Frame::bulk("intset"));
    run(&mut m, "SADD b x");
    run(&mut m, "SUNIONSTORE d e b");
    assert_eq!(encoding(&mut m, "d"), Frame::bulk("hashtable"));
    // A store replaces a key of any type and drops its TTL.
    run(&mut m, "SET d foo EX 100");
    assert_eq!(run(&mut m, "SUNIONSTORE d e").reply, Frame::Integer(1));
    assert_eq!(run(&mut m, "TTL d").reply, Frame::Integer(-1));
}

#[test]
fn intset_limit_follows_the_configuration() {
    let mut m = Model::new(16);
    let config = EngineConfig { set_max_intset_entries: 3, ..EngineConfig::default() };
    run_with(&mut m, &config, "SADD s 1 2 3");
    assert_eq!(encoding(&mut m, "s"), Frame::bulk("intset"));
    run_with(&mut m, &config, "SADD s 4");
    assert_eq!(encoding(&mut m, "s"), Frame::bulk("hashtable"));
}

#[test]
fn srandmember_counts() {
    let mut m = Model::new(16);
    run(&mut m, "SADD s a b c");
    let len = |f: &Frame| match f {
        Frame::Array(v) => v.len(),
        other => panic!("{other:?}"),
    };
    assert_eq!(len(&run(&mut m, "SRANDMEMBER s 2").reply), 2);
    assert_eq!(len(&run(&mut m, "SRANDMEMBER s 10").reply), 3);
    assert_eq!(len(&run(&mut m, "SRANDMEMBER s -10").reply), 10);
    assert_eq!(len(&run(&mut m, "SRANDMEMBER s 0").reply), 0);
    // A missing key answers at once, whatever the count.
    assert_eq!(run(&mut m, "SRANDMEMBER nokey -9223372036854775807").reply, Frame::Array(vec![]));
    assert_eq!(run(&mut m, "SRANDMEMBER nokey").reply, Frame::Null);
}

#[test]
fn sscan_options_are_checked_only_for_an_existing_set() {
    let mut m = Model::new(16);
    let empty = Frame::Array(vec![Frame::bulk("0"), Frame::Array(vec![])]);
    assert_eq!(run(&mut m, "SSCAN nokey 0 COUNT 0").reply, empty);
    run(&mut m, "SET str x");
    assert!(run(&mut m, "SSCAN str 0 COUNT 0").reply.text_starts_with("WRONGTYPE"));
    run(&mut m, "SADD s 3 1 2");
    assert!(run(&mut m, "SSCAN s 0 COUNT 0").reply.text_starts_with("ERR syntax"));
    let r = run(&mut m, "SSCAN s 99 MATCH [12]").reply;
    assert_eq!(r, Frame::Array(vec![Frame::bulk("0"), Frame::Array(vec![Frame::bulk("1"), Frame::bulk("2")])]));
}

trait ErrorText {
    fn text_starts_with(&self, prefix: &str) -> bool;
}

impl ErrorText for Frame {
    fn text_starts_with(&self, prefix: &str) -> bool {
        matches!(self, Frame::Error(e) if e.starts_with(prefix))
    }
}
