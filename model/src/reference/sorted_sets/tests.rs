//! Edge cases of the sorted-set commands on the model: what they reply, what
//! they propagate, which keys they mark as modified, and when they block.
//! (The differential test against real Redis covers the same ground at random.)

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::command::sorted_sets::{
    at_least_one_key, parse_lex_range, parse_score_range, LexBound, RangeBy, ScoreRange, COUNT_NOT_POSITIVE, GT_LT_NX,
    INCR_SINGLE_PAIR, LIMIT_NEEDS_BY, MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_LEX, NUMKEYS_NOT_POSITIVE, WITHSCORES_BYLEX,
    XX_AND_NX,
};
use crate::command::timeout::parse_timeout;
use crate::command::{Command, ParseEnv, ZSetCommand};
use crate::engine::{BlockOn, Context, EngineConfig};
use crate::errors::{self, RedisResult};
use crate::reference::{Model, Value};
use crate::resp::Frame;
use crate::Engine;

/// One command's reply, effects, modified keys and blocking request.
struct Run {
    reply: Frame,
    effects: Vec<Vec<Bytes>>,
    touched: Vec<Bytes>,
    block: Option<BlockOn>,
}

fn run_with(model: &mut Model, line: &str, may_block: bool) -> Run {
    let argv: Vec<Bytes> = line.split(' ').map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
    let config = EngineConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let cmd = match Command::from_argv(&argv, &ParseEnv::default()) {
        Ok(cmd) => cmd,
        Err(e) => return Run { reply: Frame::from(e), effects: Vec::new(), touched: Vec::new(), block: None },
    };
    let mut cx = Context::new(0, 1_000, &mut rng, &config, &argv);
    cx.may_block = may_block;
    let reply = model.execute(&mut cx, &cmd);
    let touched = cx.touched.iter().map(|(_, k)| k.clone()).collect();
    let block = cx.block.clone();
    let effects = cx.into_effects().into_iter().map(|e| e.argv).collect();
    Run { reply, effects, touched, block }
}

fn run(model: &mut Model, line: &str) -> Run {
    run_with(model, line, true)
}

fn argv(line: &str) -> Vec<Bytes> {
    line.split(' ').map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
}

fn bulk(s: &str) -> Frame {
    Frame::bulk(s)
}

#[test]
fn parse_errors_come_in_redis_order() {
    let err = |line: &str| Command::from_argv(&argv(line), &ParseEnv::default()).unwrap_err();
    assert_eq!(err("zunion 0 a"), at_least_one_key("zunion"));
    assert_eq!(err("zunionstore d 0 a"), at_least_one_key("zunionstore"));
    assert_eq!(err("zunion 2 a"), errors::SYNTAX);
    assert_eq!(err("zunion 9223372036854775807 a"), errors::SYNTAX);
    assert_eq!(err("zmpop 0 a min"), NUMKEYS_NOT_POSITIVE);
    assert_eq!(err("zmpop x a min"), NUMKEYS_NOT_POSITIVE);
    assert_eq!(err("zmpop 2 a min"), errors::SYNTAX);
    assert_eq!(err("zmpop 9223372036854775807 a min"), errors::SYNTAX);
    assert_eq!(err("zmpop 1 a min count 0"), COUNT_NOT_POSITIVE);
    assert_eq!(err("zmpop 1 a min count 1 count 1"), errors::SYNTAX);
    // BZMPOP reads its timeout after everything else.
    assert_eq!(err("bzmpop x 0 a min"), NUMKEYS_NOT_POSITIVE);
    assert_eq!(err("bzmpop -1 1 a foo"), errors::SYNTAX);
    assert_eq!(err("bzmpop -1 1 a min"), errors::TIMEOUT_NEGATIVE);
    assert_eq!(err("bzpopmin a x"), errors::TIMEOUT_NOT_FLOAT);
    assert_eq!(err("zpopmin a x"), crate::command::sorted_sets::POP_COUNT_NOT_POSITIVE);
    assert_eq!(err("zrandmember a -9223372036854775808"), crate::command::sorted_sets::RANDMEMBER_COUNT_RANGE);
    assert_eq!(
        err("zrandmember a -4611686018427387904 withscores"),
        crate::command::sorted_sets::RANDMEMBER_WITHSCORES_RANGE
    );
    assert_eq!(err("zscan a x"), errors::INVALID_CURSOR);
    assert!(Command::from_argv(&argv("zintercard 1 a limit -1"), &ParseEnv::default()).is_ok());
}

#[test]
fn options_read_after_the_keys() {
    let mut m = Model::new(1);
    run(&mut m, "set s x");
    // A wrong type wins over a bad option.
    assert_eq!(run(&mut m, "zunion 1 s weights x").reply, Frame::from(errors::WRONGTYPE));
    assert_eq!(run(&mut m, "zunion 1 nokey weights x").reply, Frame::error("ERR weight value is not a float"));
    assert_eq!(run(&mut m, "zintercard 1 nokey limit -1").reply, Frame::error("ERR LIMIT can't be negative"));
    assert_eq!(run(&mut m, "zscan s 0 count 0").reply, Frame::from(errors::WRONGTYPE));
    let empty_scan = Frame::Array(vec![bulk("0"), Frame::Array(Vec::new())]);
    assert_eq!(run(&mut m, "zscan nokey 0 count x").reply, empty_scan);
}

#[test]
fn no_op_writes_neither_propagate_nor_modify() {
    let mut m = Model::new(1);
    let r = run(&mut m, "zadd z 1 a 2 b");
    assert_eq!(r.reply, Frame::Integer(2));
    assert_eq!(r.effects, vec![argv("zadd z 1 a 2 b")]);
    assert_eq!(r.touched, vec![Bytes::from_static(b"z")]);
    for line in [
        "zadd z 1 a",
        "zadd z xx 5 c",
        "zadd z nx 5 a",
        "zadd z gt 0 a",
        "zrem z c",
        "zpopmin z 0",
        "zremrangebyrank z 5 9",
    ] {
        let r = run(&mut m, line);
        assert!(r.effects.is_empty() && r.touched.is_empty(), "{line}: {:?} {:?}", r.effects, r.touched);
    }
    // XX on a missing key creates nothing.
    let r = run(&mut m, "zadd nokey xx incr 1 a");
    assert_eq!((r.reply, r.effects.len()), (Frame::Null, 0));
    // 0 and -0 are the same score: no update.
    assert_eq!(run(&mut m, "zadd z ch 0 c").reply, Frame::Integer(1));
    assert!(run(&mut m, "zadd z -0 c").effects.is_empty());
}

#[test]
fn nan_increments_are_refused() {
    let mut m = Model::new(1);
    run(&mut m, "zadd z inf a");
    let nan = Frame::error("ERR resulting score is not a number (NaN)");
    for line in ["zincrby z -inf a", "zadd z incr -inf a", "zadd z xx ch incr -inf a"] {
        let r = run(&mut m, line);
        assert_eq!((r.reply, r.effects.len(), r.touched.len()), (nan.clone(), 0, 0), "{line}");
    }
    // NX stops before the addition, so no NaN.
    assert_eq!(run(&mut m, "zadd z nx incr -inf a").reply, Frame::Null);
}

#[test]
fn negative_zero_survives_only_in_a_skiplist() {
    let mut m = Model::new(1);
    // INCR replies with the computed score, the listpack stores "0".
    assert_eq!(run(&mut m, "zadd lp incr -0 a").reply, Frame::Double(-0.0));
    let Frame::Double(d) = run(&mut m, "zscore lp a").reply else { panic!() };
    assert!(d.is_sign_positive());
    let long = "x".repeat(65);
    run(&mut m, &format!("zadd sk 1 {long} -0 a"));
    let Frame::Double(d) = run(&mut m, "zscore sk a").reply else { panic!() };
    assert!(d.is_sign_negative());
    let encoding = |m: &Model, k: &[u8]| match &m.dbs()[0].get(k).unwrap().value {
        Value::ZSet(z) => z.encoding_name(),
        _ => "",
    };
    assert_eq!((encoding(&m, b"lp"), encoding(&m, b"sk")), ("listpack", "skiplist"));
    // A stored result becomes a listpack again when it fits.
    run(&mut m, "zunionstore d 1 sk weights 1");
    assert_eq!(encoding(&m, b"d"), "skiplist");
    run(&mut m, "zrangestore d sk 0 0");
    assert_eq!(encoding(&m, b"d"), "listpack");
}

#[test]
fn pops_propagate_as_redis_does() {
    let mut m = Model::new(1);
    run(&mut m, "zadd z 1 a 2 b 3 c");
    let r = run(&mut m, "zmpop 2 nokey z max count 10");
    assert_eq!(
        r.reply,
        Frame::Array(vec![
            bulk("z"),
            Frame::Array(vec![
                Frame::Array(vec![bulk("c"), Frame::Double(3.0)]),
                Frame::Array(vec![bulk("b"), Frame::Double(2.0)]),
                Frame::Array(vec![bulk("a"), Frame::Double(1.0)]),
            ]),
        ])
    );
    assert_eq!(r.effects, vec![argv("ZPOPMAX z 3")]);
    assert!(m.dbs()[0].get(b"z").is_none(), "an emptied set is deleted");
    assert_eq!(run(&mut m, "zmpop 1 z min").reply, Frame::NullArray);
    assert_eq!(run(&mut m, "zpopmin z").reply, Frame::Array(Vec::new()));

    run(&mut m, "zadd z 1 a 2 b");
    let r = run(&mut m, "bzpopmin nokey z 0");
    assert_eq!(r.reply, Frame::Array(vec![bulk("z"), bulk("a"), Frame::Double(1.0)]));
    assert_eq!(r.effects, vec![argv("ZPOPMIN z")]);
    let r = run(&mut m, "bzmpop 1 1 z max");
    assert_eq!(r.effects, vec![argv("ZPOPMAX z 1")]);
    let r = run(&mut m, "zpopmax nokey 2");
    assert_eq!((r.reply, r.effects.len()), (Frame::Array(Vec::new()), 0));
}

#[test]
fn blocking_pops_wait_or_time_out_at_once() {
    let mut m = Model::new(1);
    run(&mut m, "set s x");
    let r = run(&mut m, "bzpopmax k1 k2 1.5");
    let keys = vec![Bytes::from_static(b"k1"), Bytes::from_static(b"k2")];
    assert_eq!(r.block, Some(BlockOn { keys, timeout_ms: Some(1500), on_timeout: Frame::NullArray }));
    assert!(r.effects.is_empty());
    assert_eq!(run(&mut m, "bzmpop 0 1 k1 min count 2").block.map(|b| b.timeout_ms), Some(None));
    // Inside MULTI: the timeout reply at once, no waiting.
    let r = run_with(&mut m, "bzpopmin k1 0", false);
    assert_eq!((r.reply, r.block), (Frame::NullArray, None));
    // A wrong type before any data is an error, not a wait.
    let r = run(&mut m, "bzpopmin k1 s 0");
    assert_eq!((r.reply, r.block), (Frame::from(errors::WRONGTYPE), None));
}

#[test]
fn stores_replace_or_delete_the_destination() {
    let mut m = Model::new(1);
    run(&mut m, "zadd a 1 x 2 y");
    run(&mut m, "set d text");
    run(&mut m, "expire d 100");
    assert_eq!(run(&mut m, "zinterstore d 2 a a").reply, Frame::Integer(2));
    let e = m.dbs()[0].get(b"d").unwrap();
    assert!(e.expire_at.is_none() && matches!(e.value, Value::ZSet(_)));
    let r = run(&mut m, "zdiffstore d 2 a a");
    assert_eq!((r.reply, r.effects.len()), (Frame::Integer(0), 1));
    assert!(m.dbs()[0].get(b"d").is_none());
    // Nothing to delete: nothing changed, nothing propagated.
    assert!(run(&mut m, "zrangestore d nokey 0 -1").effects.is_empty());
}

#[test]
fn randmember_counts() {
    let mut m = Model::new(1);
    run(&mut m, "zadd z 1 a 2 b 3 c");
    let len = |f: Frame| match f {
        Frame::Array(v) => v.len(),
        Frame::Pairs(v) => v.len(),
        _ => usize::MAX,
    };
    assert_eq!(len(run(&mut m, "zrandmember z 2").reply), 2);
    assert_eq!(len(run(&mut m, "zrandmember z 10").reply), 3);
    assert_eq!(len(run(&mut m, "zrandmember z -7").reply), 7);
    assert_eq!(len(run(&mut m, "zrandmember z -2 withscores").reply), 2);
    assert_eq!(len(run(&mut m, "zrandmember z 0").reply), 0);
    assert_eq!(run(&mut m, "zrandmember nokey").reply, Frame::Null);
    assert_eq!(len(run(&mut m, "zrandmember nokey -5").reply), 0);
}

// ---- parsing ----

#[test]
fn score_bounds_follow_strtod() {
    let r = parse_score_range(b"(1.5", b"+inf").unwrap();
    assert!(r.minex && !r.maxex && r.min == 1.5 && r.max == f64::INFINITY);
    assert_eq!(parse_score_range(b"", b"(").unwrap().min, 0.0);
    assert_eq!(parse_score_range(b" 1", b"1e400").unwrap().max, f64::INFINITY);
    assert_eq!(parse_score_range(b"-1e400", b"1e-400").unwrap().min, f64::NEG_INFINITY);
    assert_eq!(parse_score_range(b"0x10", b"0x1p99999").unwrap().max, f64::INFINITY);
    assert_eq!(parse_score_range(b"1\0junk", b"2").unwrap().min, 1.0);
    for bad in [&b"nan"[..], b"1 ", b" ", b"(x", b"1e", b"0x", b"--1"] {
        assert_eq!(parse_score_range(bad, b"1"), Err(MIN_MAX_NOT_FLOAT), "{bad:?}");
    }
}

#[test]
fn lex_bounds() {
    let r = parse_lex_range(b"-", b"+\0x").unwrap();
    assert_eq!((r.min, r.max), (LexBound::Min, LexBound::Max));
    assert_eq!(parse_lex_range(b"+x", b"+"), Err(MIN_MAX_NOT_LEX));
    assert_eq!(parse_lex_range(b"-", b""), Err(MIN_MAX_NOT_LEX));
    let r = parse_lex_range(b"(a", b"[c").unwrap();
    assert!(!r.above_min(b"a") && r.above_min(b"b") && r.below_max(b"c") && !r.below_max(b"d"));
    assert!(parse_lex_range(b"+", b"-").unwrap().is_empty());
    assert!(parse_lex_range(b"[a", b"(a").unwrap().is_empty());
    assert!(!parse_lex_range(b"[a", b"[a").unwrap().is_empty());
}

#[test]
fn timeouts_truncate_like_x87() {
    assert_eq!(parse_timeout(b"0"), Ok(None));
    assert_eq!(parse_timeout(b"1.5"), Ok(Some(1500)));
    assert_eq!(parse_timeout(b"0.0001"), Ok(None));
    assert_eq!(parse_timeout(b"-0.0001"), Ok(None));
    assert_eq!(parse_timeout(b"-1"), Err(errors::TIMEOUT_NEGATIVE));
    assert_eq!(parse_timeout(b"inf"), Err(errors::TIMEOUT_NEGATIVE));
    assert_eq!(parse_timeout(b"9.3e15"), Err(errors::TIMEOUT_NEGATIVE));
    assert_eq!(parse_timeout(b"9.2e15"), Ok(Some(9_200_000_000_000_000_000)));
    assert_eq!(parse_timeout(b"nan"), Err(errors::TIMEOUT_NOT_FLOAT));
    assert_eq!(parse_timeout(b" 1"), Err(errors::TIMEOUT_NOT_FLOAT));
}

fn parse_line(line: &str) -> RedisResult<Command> {
    let argv: Vec<Bytes> = line.split(' ').map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
    Command::from_argv(&argv, &ParseEnv::default())
}

#[test]
fn zadd_checks_in_redis_order() {
    assert_eq!(parse_line("zadd k nx xx 1").unwrap_err(), errors::SYNTAX);
    assert_eq!(parse_line("zadd k nx xx 1 a").unwrap_err(), XX_AND_NX);
    assert_eq!(parse_line("zadd k gt lt 1 a").unwrap_err(), GT_LT_NX);
    assert_eq!(parse_line("zadd k incr 1 a 2 b").unwrap_err(), INCR_SINGLE_PAIR);
    assert_eq!(parse_line("zadd k 1 a nan b").unwrap_err(), errors::NOT_FLOAT);
    assert!(parse_line("zadd k CH gt 1 a").is_ok());
}

#[test]
fn zrange_option_conflicts() {
    assert_eq!(parse_line("zrange k 0 1 limit 0 1").unwrap_err(), LIMIT_NEEDS_BY);
    assert!(parse_line("zrange k 0 1 limit 0 -1").is_ok());
    assert_eq!(parse_line("zrange k a b bylex withscores").unwrap_err(), WITHSCORES_BYLEX);
    assert_eq!(parse_line("zrangebyscore k 0 1 bylex").unwrap_err(), errors::SYNTAX);
    assert_eq!(parse_line("zrangestore d k 0 1 withscores").unwrap_err(), errors::SYNTAX);
    assert_eq!(parse_line("zrange k a b byscore").unwrap_err(), MIN_MAX_NOT_FLOAT);
    match parse_line("zrevrangebyscore k 5 (1").unwrap() {
        Command::SortedSets(ZSetCommand::Range(r)) => {
            assert_eq!(r.by, RangeBy::Score(ScoreRange { min: 1.0, max: 5.0, minex: true, maxex: false }));
            assert!(r.rev);
        }
        other => panic!("{other:?}"),
    }
}
