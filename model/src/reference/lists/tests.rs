//! The lists group on the model: effects (what replicas and the AOF receive,
//! checked against `redis-cli --replica` on Redis 7.0.15), blocking, touched
//! keys, and edge cases of single commands.

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::command::{Command, ParseEnv};
use crate::engine::{BlockOn, Context, Effect, Engine, EngineConfig};
use crate::reference::Model;
use crate::resp::Frame;

const NOW: i64 = 1_700_000_000_000;

struct Run {
    reply: Frame,
    effects: Vec<Vec<String>>,
    touched: Vec<String>,
    dirty: u64,
    block: Option<BlockOn>,
}

fn argv(line: &str) -> Vec<Bytes> {
    line.split(' ').map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
}

fn run_opts(model: &mut Model, line: &str, may_block: bool) -> Run {
    run_at(model, line, may_block, NOW)
}

fn run_at(model: &mut Model, line: &str, may_block: bool, now_ms: i64) -> Run {
    let args = argv(line);
    let config = EngineConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let cmd = match Command::from_argv(&args, &ParseEnv::default()) {
        Ok(c) => c,
        Err(e) => return Run { reply: e.into(), effects: vec![], touched: vec![], dirty: 0, block: None },
    };
    let mut cx = Context::new(0, now_ms, &mut rng, &config, &args);
    cx.may_block = may_block;
    let reply = model.execute(&mut cx, &cmd);
    let touched = cx.touched.iter().map(|(_, k)| String::from_utf8_lossy(k).into_owned()).collect();
    let dirty = cx.dirty;
    let block = cx.block.take();
    let effects = cx
        .into_effects()
        .into_iter()
        .map(|Effect { argv, .. }| argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
        .collect();
    Run { reply, effects, touched, dirty, block }
}

fn run(model: &mut Model, line: &str) -> Run {
    run_opts(model, line, true)
}

fn reply(model: &mut Model, line: &str) -> Frame {
    run(model, line).reply
}

fn words(line: &str) -> Vec<String> {
    line.split(' ').map(String::from).collect()
}

fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(Frame::bulk).collect())
}

fn error(text: &str) -> Frame {
    Frame::Error(text.to_string())
}

#[test]
fn pushes_and_pops_propagate_as_sent() {
    let mut m = Model::new(16);
    for line in ["RPUSH l a b c d e", "LPUSH l z", "LPUSHX l y", "LPOP l", "RPOP l 2", "LTRIM l 0 0"] {
        assert_eq!(run(&mut m, line).effects, vec![words(line)], "{line}");
    }
    // Nothing changed, nothing propagated.
    for line in
        ["LPOP l 0", "RPUSHX nokey a", "LTRIM l 0 -1", "LREM l 0 nothere", "LINSERT l BEFORE nothere x", "LPOP nokey"]
    {
        let r = run(&mut m, line);
        assert!(r.effects.is_empty(), "{line}: {:?}", r.effects);
        assert_eq!(r.dirty, 0, "{line}");
    }
}

#[test]
fn mpop_propagates_the_number_popped() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH p a b c");
    let r = run(&mut m, "LMPOP 2 nokey p RIGHT COUNT 5");
    assert_eq!(r.reply, Frame::Array(vec![Frame::bulk("p"), bulks(&["c", "b", "a"])]));
    assert_eq!(r.effects, vec![words("RPOP p 3")]);
    assert_eq!(reply(&mut m, "EXISTS p"), Frame::Integer(0));
    run(&mut m, "RPUSH p a b c");
    assert_eq!(run(&mut m, "BLMPOP 0 1 p left").effects, vec![words("LPOP p 1")]);
}

#[test]
fn served_blocking_commands_propagate_their_plain_form() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH q 1 2 3 4 5");
    let r = run(&mut m, "BLPOP nokey q 0");
    assert_eq!(r.reply, bulks(&["q", "1"]));
    assert_eq!(r.effects, vec![words("LPOP q")]);
    assert_eq!(run(&mut m, "BRPOP q 1.5").effects, vec![words("RPOP q")]);
    assert_eq!(run(&mut m, "BLMOVE q r LeFt right 0").effects, vec![words("LMOVE q r LeFt right")]);
    assert_eq!(run(&mut m, "BRPOPLPUSH q r 0").effects, vec![words("RPOPLPUSH q r")]);
    assert_eq!(run(&mut m, "LMOVE r r left right").effects, vec![words("LMOVE r r left right")]);
}

#[test]
fn empty_keys_block_or_time_out_at_once() {
    let mut m = Model::new(16);
    let r = run(&mut m, "BLPOP a b a 2.5");
    let expected = BlockOn {
        keys: vec![Bytes::from("a"), Bytes::from("b")],
        timeout_ms: Some(2500),
        on_timeout: Frame::NullArray,
    };
    assert_eq!(r.block, Some(expected));
    assert!(r.effects.is_empty());
    // 0, and anything under a millisecond, waits forever.
    assert_eq!(run(&mut m, "BLMOVE a b LEFT LEFT 0.0009").block.map(|b| b.timeout_ms), Some(None));
    // A deadline that would overflow the clock never fires in Redis.
    let r = run(&mut m, "BLMPOP 9223372036854775 1 a LEFT");
    assert_eq!(r.block.map(|b| (b.timeout_ms, b.on_timeout)), Some((None, Frame::NullArray)));
    assert_eq!(run(&mut m, "BRPOPLPUSH a b 1").block.map(|b| b.on_timeout), Some(Frame::NullArray));

    // Inside MULTI: the timeout reply, nothing parked.
    for (line, want) in [
        ("BLPOP a 0", Frame::NullArray),
        ("BRPOP a b 0", Frame::NullArray),
        ("BLMPOP 0 1 a LEFT", Frame::NullArray),
        ("BLMOVE a b LEFT RIGHT 0", Frame::Null),
        ("BRPOPLPUSH a b 0", Frame::Null),
    ] {
        let r = run_opts(&mut m, line, false);
        assert_eq!((r.reply, r.block), (want, None), "{line}");
    }
}

#[test]
fn blocking_commands_check_types_on_the_way() {
    let mut m = Model::new(16);
    run(&mut m, "SET s v");
    run(&mut m, "RPUSH l x");
    let wrongtype = error("WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_eq!(run(&mut m, "BLPOP nokey s 0").reply, wrongtype);
    assert!(run(&mut m, "BLPOP nokey s 0").block.is_none());
    // A list met first is served without looking further.
    assert_eq!(reply(&mut m, "BLPOP l s 0"), bulks(&["l", "x"]));
    run(&mut m, "RPUSH l x");
    assert_eq!(reply(&mut m, "BLMOVE l s LEFT LEFT 0"), wrongtype);
    assert_eq!(reply(&mut m, "LRANGE l 0 -1"), bulks(&["x"]));
}

#[test]
fn timeouts_are_read_like_redis() {
    let mut m = Model::new(16);
    let not_float = error("ERR timeout is not a float or out of range");
    let negative = error("ERR timeout is negative");
    for (t, want) in [
        ("x", &not_float),
        ("1s", &not_float),
        ("nan", &not_float),
        ("-1", &negative),
        ("inf", &negative),
        ("1e30", &negative),
    ] {
        assert_eq!(&reply(&mut m, &format!("BLPOP k {t}")), want, "{t}");
    }
    // BLMPOP reads numkeys and the options before the timeout.
    assert_eq!(reply(&mut m, "BLMPOP -1 0 k LEFT"), error("ERR numkeys should be greater than 0"));
    assert_eq!(reply(&mut m, "BLMPOP x 1 k MIDDLE"), error("ERR syntax error"));
    assert_eq!(reply(&mut m, "BLMPOP x 1 k LEFT"), not_float);
    assert_eq!(reply(&mut m, "BLMOVE a b UP LEFT x"), error("ERR syntax error"));
}

#[test]
fn pop_counts_and_nulls() {
    let mut m = Model::new(16);
    assert_eq!(reply(&mut m, "LPOP nokey 2"), Frame::NullArray);
    assert_eq!(reply(&mut m, "LPOP nokey"), Frame::Null);
    assert_eq!(reply(&mut m, "LPOP nokey -1"), error("ERR value is out of range, must be positive"));
    assert_eq!(reply(&mut m, "LPOP nokey 1 2"), error("ERR wrong number of arguments for 'lpop' command"));
    run(&mut m, "RPUSH l a b c");
    assert_eq!(reply(&mut m, "LPOP l 0"), Frame::Array(vec![]));
    assert_eq!(reply(&mut m, "RPOP l 9223372036854775807"), bulks(&["c", "b", "a"]));
    assert_eq!(reply(&mut m, "EXISTS l"), Frame::Integer(0));
}

#[test]
fn lpos_follows_redis_arithmetic() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH l a b c a b c 1 2");
    assert_eq!(reply(&mut m, "LPOS l a RANK -1 COUNT 0"), Frame::Array(vec![Frame::Integer(3), Frame::Integer(0)]));
    assert_eq!(reply(&mut m, "LPOS l a RANK 2 COUNT 1"), Frame::Array(vec![Frame::Integer(3)]));
    assert_eq!(reply(&mut m, "LPOS l a RANK -2 MAXLEN 3"), Frame::Null);
    // Negating i64::MIN leaves it negative: the first match from the tail.
    assert_eq!(reply(&mut m, "LPOS l a RANK -9223372036854775808"), Frame::Integer(3));
    assert_eq!(
        reply(&mut m, "LPOS l a RANK -9223372036854775808 COUNT 1"),
        Frame::Array(vec![Frame::Integer(3), Frame::Integer(0)])
    );
    assert_eq!(reply(&mut m, "LPOS l a COUNT -1 RANK 0"), error("ERR COUNT can't be negative"));
    assert!(matches!(reply(&mut m, "LPOS nokey a RANK 0"), Frame::Error(e) if e.starts_with("ERR RANK can't be zero")));
    assert_eq!(reply(&mut m, "LPOS nokey a COUNT 0"), Frame::Array(vec![]));
}

#[test]
fn index_arguments_are_read_after_the_key() {
    let mut m = Model::new(16);
    assert_eq!(reply(&mut m, "LINDEX nokey abc"), Frame::Null);
    assert_eq!(reply(&mut m, "LSET nokey abc x"), error("ERR no such key"));
    run(&mut m, "RPUSH l a");
    assert_eq!(reply(&mut m, "LINDEX l abc"), error("ERR value is not an integer or out of range"));
    assert_eq!(reply(&mut m, "LSET l -2 x"), error("ERR index out of range"));
    assert_eq!(reply(&mut m, "LSET l -1 x"), Frame::ok());
    assert_eq!(reply(&mut m, "LINDEX l -1"), Frame::bulk("x"));
}

#[test]
fn move_onto_itself_keeps_a_single_element_list() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH l only");
    let r = run(&mut m, "RPOPLPUSH l l");
    assert_eq!(r.reply, Frame::bulk("only"));
    assert_eq!(reply(&mut m, "LRANGE l 0 -1"), bulks(&["only"]));
    run(&mut m, "RPUSH l two");
    assert_eq!(reply(&mut m, "LMOVE l l LEFT RIGHT"), Frame::bulk("only"));
    assert_eq!(reply(&mut m, "LRANGE l 0 -1"), bulks(&["two", "only"]));
    assert_eq!(reply(&mut m, "LMOVE l other RIGHT LEFT"), Frame::bulk("only"));
    assert_eq!(reply(&mut m, "LMOVE l other RIGHT LEFT"), Frame::bulk("two"));
    assert_eq!(reply(&mut m, "EXISTS l"), Frame::Integer(0));
    assert_eq!(reply(&mut m, "LRANGE other 0 -1"), bulks(&["two", "only"]));
}

#[test]
fn ltrim_touches_even_without_change_and_deletes_when_empty() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH l a b c");
    let r = run(&mut m, "LTRIM l 0 -1");
    assert_eq!((r.touched, r.dirty), (vec!["l".to_string()], 0));
    let r = run(&mut m, "LTRIM l 2 1");
    assert_eq!(r.dirty, 3);
    assert_eq!(reply(&mut m, "EXISTS l"), Frame::Integer(0));
    assert_eq!(reply(&mut m, "OBJECT ENCODING nokey"), Frame::Null);
    run(&mut m, "RPUSH l a");
    assert_eq!(reply(&mut m, "OBJECT ENCODING l"), Frame::bulk("quicklist"));
}

#[test]
fn lrem_and_linsert() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH l x a x b x");
    assert_eq!(reply(&mut m, "LREM l -2 x"), Frame::Integer(2));
    assert_eq!(reply(&mut m, "LRANGE l 0 -1"), bulks(&["x", "a", "b"]));
    assert_eq!(reply(&mut m, "LINSERT l AFTER b y"), Frame::Integer(4));
    assert_eq!(reply(&mut m, "LINSERT l before x w"), Frame::Integer(5));
    assert_eq!(reply(&mut m, "LINSERT l middle x w"), error("ERR syntax error"));
    assert_eq!(reply(&mut m, "LREM l -9223372036854775808 x"), Frame::Integer(1));
    assert_eq!(reply(&mut m, "LRANGE l 0 -1"), bulks(&["w", "a", "b", "y"]));
    assert_eq!(reply(&mut m, "LRANGE l -100 -3"), bulks(&["w", "a"]));
    assert_eq!(reply(&mut m, "LRANGE l -9223372036854775808 9223372036854775807"), bulks(&["w", "a", "b", "y"]));
}

#[test]
fn lmpop_argument_errors() {
    let mut m = Model::new(16);
    assert_eq!(reply(&mut m, "LMPOP 0 l LEFT"), error("ERR numkeys should be greater than 0"));
    assert_eq!(reply(&mut m, "LMPOP 2 l LEFT"), error("ERR syntax error"));
    assert_eq!(reply(&mut m, "LMPOP 9223372036854775807 l LEFT"), error("ERR syntax error"));
    assert_eq!(reply(&mut m, "LMPOP 1 l LEFT COUNT 0 foo"), error("ERR count should be greater than 0"));
    assert_eq!(reply(&mut m, "LMPOP 1 l LEFT COUNT 1 COUNT 1"), error("ERR syntax error"));
    assert_eq!(reply(&mut m, "LMPOP 1 l LEFT"), Frame::NullArray);
}

#[test]
fn expired_keys_met_on_the_way_are_deleted_first() {
    let mut m = Model::new(16);
    run(&mut m, "RPUSH src a b");
    run(&mut m, "RPUSH dst x");
    run(&mut m, "RPUSH e1 z");
    run_at(&mut m, "PEXPIRE dst 1", true, NOW - 10);
    run_at(&mut m, "PEXPIRE e1 1", true, NOW - 10);
    // Redis 7.0 sends the DEL of the expired key and the command in one MULTI.
    let r = run(&mut m, "LMOVE src dst left left");
    assert_eq!(r.reply, Frame::bulk("a"));
    assert_eq!(r.effects, vec![words("MULTI"), words("DEL dst"), words("LMOVE src dst left left"), words("EXEC")]);
    // The destination is a new list, without the old TTL.
    assert_eq!(reply(&mut m, "PTTL dst"), Frame::Integer(-1));
    assert_eq!(reply(&mut m, "LRANGE dst 0 -1"), bulks(&["a"]));
    let r = run(&mut m, "BLPOP e1 src 0");
    assert_eq!(r.reply, bulks(&["src", "b"]));
    assert_eq!(r.effects, vec![words("MULTI"), words("DEL e1"), words("LPOP src"), words("EXEC")]);
}

#[test]
fn only_real_changes_touch_keys() {
    // As WATCH sees it in Redis 7.0.15 (LTRIM touches even without a change).
    let mut m = Model::new(16);
    for (line, touched) in [
        ("LTRIM l 0 -1", true),
        ("LPOP l 0", false),
        ("LREM l 0 zz", false),
        ("LINSERT l BEFORE zz q", false),
        ("LSET l 0 a", true),
        ("LPUSHX nokey a", false),
        ("LRANGE l 0 -1", false),
        ("LMOVE nokey l LEFT LEFT", false),
        ("LPOS l a", false),
        ("LTRIM nokey 0 1", false),
        ("RPOPLPUSH l l", true),
    ] {
        run(&mut m, "DEL l");
        run(&mut m, "RPUSH l a b");
        assert_eq!(!run(&mut m, line).touched.is_empty(), touched, "{line}");
    }
}
