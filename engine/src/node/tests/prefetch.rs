//! A pipeline's keys reach the engine ahead of the requests (`Engine::prefetch`),
//! sixteen requests at a time, and a lone request's do not.

use std::cell::RefCell;
use std::rc::Rc;

use redsim_model::command::Command;
use redsim_model::dataset::Dataset;
use redsim_model::engine::{DbInfo, KeyspaceStats};
use redsim_model::resp::encode_request;
use redsim_model::{Context, Engine, Frame, KeyState, Model, Upcoming};

use super::Harness;

/// The hints an engine was given: (database, keys) per call.
type Hints = Rc<RefCell<Vec<(usize, Vec<String>)>>>;
/// The arguments after the keys, in the same calls.
type Nexts = Rc<RefCell<Vec<Vec<Option<String>>>>>;

/// The model, recording every prefetch hint it is given.
struct Spy {
    model: Model,
    hints: Hints,
    nexts: Nexts,
}

impl Engine for Spy {
    fn name(&self) -> &'static str {
        self.model.name()
    }
    fn execute(&mut self, cx: &mut Context<'_>, cmd: &Command) -> Frame {
        self.model.execute(cx, cmd)
    }
    fn prefetch(&self, db: usize, upcoming: &[Upcoming<'_>]) {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        self.hints.borrow_mut().push((db, upcoming.iter().map(|(k, _)| text(k)).collect()));
        self.nexts.borrow_mut().push(upcoming.iter().map(|(_, n)| n.map(text)).collect());
    }
    fn active_expire_cycle(&mut self, cx: &mut Context<'_>) {
        self.model.active_expire_cycle(cx)
    }
    fn key_state(&self, db: usize, key: &[u8], now_ms: i64) -> KeyState {
        self.model.key_state(db, key, now_ms)
    }
    fn type_name(&self, db: usize, key: &[u8], now_ms: i64) -> Option<&'static str> {
        self.model.type_name(db, key, now_ms)
    }
    fn dbsize(&self, db: usize) -> u64 {
        self.model.dbsize(db)
    }
    fn db_info(&self, now_ms: i64) -> Vec<DbInfo> {
        self.model.db_info(now_ms)
    }
    fn stats(&self) -> KeyspaceStats {
        self.model.stats()
    }
    fn reset_stats(&mut self) {
        self.model.reset_stats()
    }
    fn used_memory(&self) -> u64 {
        self.model.used_memory()
    }
    fn snapshot(&self) -> Dataset {
        self.model.snapshot()
    }
    fn load(&mut self, data: Dataset) {
        self.model.load(data)
    }
}

fn request(words: &[&str]) -> Vec<u8> {
    let argv: Vec<bytes::Bytes> = words.iter().map(|w| bytes::Bytes::copy_from_slice(w.as_bytes())).collect();
    let mut buf = Vec::new();
    encode_request(&argv, &mut buf);
    buf
}

fn spied() -> (Harness, Hints, Nexts) {
    let (hints, nexts) = (Rc::new(RefCell::new(Vec::new())), Rc::new(RefCell::new(Vec::new())));
    let spy = Spy { model: Model::new(16), hints: Rc::clone(&hints), nexts: Rc::clone(&nexts) };
    (Harness::with_engine(Box::new(spy)), hints, nexts)
}

#[test]
fn a_pipeline_hands_its_keys_over_sixteen_requests_at_a_time() {
    let (mut h, hints, _) = spied();
    let c = h.connect();
    assert_eq!(h.cmd(c, &["SELECT", "3"]), "+OK\r\n");
    let mut pipeline = Vec::new();
    for i in 0..20 {
        pipeline.extend(request(&["INCR", &format!("k{i}")]));
    }
    // An incomplete request at the end is not looked at.
    let tail = request(&["GET", "late"]);
    pipeline.extend(&tail[..tail.len() - 1]);
    hints.borrow_mut().clear();
    let replies = h.raw(c, &pipeline);
    assert_eq!(replies, ":1\r\n".repeat(20));
    let keys = |r: std::ops::Range<usize>| r.map(|i| format!("k{i}")).collect::<Vec<_>>();
    assert_eq!(*hints.borrow(), vec![(3, keys(0..16)), (3, keys(16..20))]);
    // The rest arrives: one request, nothing to overlap, no hint.
    hints.borrow_mut().clear();
    assert_eq!(h.raw(c, &tail[tail.len() - 1..]), "$-1\r\n");
    assert!(hints.borrow().is_empty());
}

#[test]
fn requests_without_a_second_argument_are_skipped_and_replies_are_unchanged() {
    let (mut h, hints, nexts) = spied();
    let c = h.connect();
    let mut pipeline = request(&["PING"]);
    pipeline.extend(request(&["SET", "a", "1"]));
    pipeline.extend(b"GET a\r\n");
    pipeline.extend(request(&["GET", "a"]));
    assert_eq!(h.raw(c, &pipeline), "+PONG\r\n+OK\r\n$1\r\n1\r\n$1\r\n1\r\n");
    // PING has no key; the look stops at the inline request and resumes
    // sixteen requests later, so only "a" of the SET was seen: no hint.
    assert!(hints.borrow().is_empty(), "{:?}", hints.borrow());
    let mut pipeline = request(&["GET", "a"]);
    pipeline.extend(request(&["PING"]));
    pipeline.extend(request(&["GET", "b"]));
    assert_eq!(h.raw(c, &pipeline), "$1\r\n1\r\n+PONG\r\n$-1\r\n");
    assert_eq!(*hints.borrow(), vec![(0, vec!["a".to_string(), "b".to_string()])]);
    assert_eq!(*nexts.borrow(), vec![vec![None, None]]);
}

#[test]
fn the_argument_after_the_key_comes_along() {
    let (mut h, _, nexts) = spied();
    let c = h.connect();
    let mut pipeline = request(&["SADD", "s", "m1", "m2"]);
    pipeline.extend(request(&["HGET", "h", "f"]));
    assert_eq!(h.raw(c, &pipeline), ":2\r\n$-1\r\n");
    assert_eq!(*nexts.borrow(), vec![vec![Some("m1".to_string()), Some("f".to_string())]]);
}

/// The optimized engine follows the hints into large sets, hashes and
/// sorted sets (their member tables) and into small ones, missing keys and
/// keys of other types; replies are what the same requests get one by one.
#[test]
fn the_engine_follows_hints_into_collections_without_changing_replies() {
    let mut h = Harness::new();
    let c = h.connect();
    let mut fill = Vec::new();
    for i in 0..600 {
        fill.extend(request(&["SADD", "bigset", &format!("m{i}")]));
        fill.extend(request(&["HSET", "bighash", &format!("f{i}"), "v"]));
        fill.extend(request(&["ZADD", "bigzset", &i.to_string(), &format!("m{i}")]));
    }
    fill.extend(request(&["SADD", "smallset", "m1"]));
    fill.extend(request(&["SET", "str", "x"]));
    h.raw(c, &fill);
    for (key, encoding) in [("bigset", "hashtable"), ("bighash", "hashtable"), ("bigzset", "skiplist")] {
        assert_eq!(super::bulk_text(&h.cmd(c, &["OBJECT", "ENCODING", key])), encoding, "{key}");
    }
    let requests: Vec<Vec<&str>> = vec![
        vec!["SISMEMBER", "bigset", "m7"],
        vec!["SISMEMBER", "bigset", "nope"],
        vec!["HGET", "bighash", "f9"],
        vec!["ZSCORE", "bigzset", "m11"],
        vec!["SISMEMBER", "smallset", "m1"],
        vec!["SISMEMBER", "missing", "m1"],
        vec!["SISMEMBER", "str", "m1"],
        vec!["GET", "str"],
    ];
    let one_by_one: String = requests.iter().map(|r| h.cmd(c, r)).collect();
    let pipeline: Vec<u8> = requests.iter().flat_map(|r| request(r)).collect();
    assert_eq!(h.raw(c, &pipeline), one_by_one);
    assert!(one_by_one.starts_with(":1\r\n:0\r\n$1\r\nv\r\n$2\r\n11\r\n:1\r\n:0\r\n-WRONGTYPE"));
}
