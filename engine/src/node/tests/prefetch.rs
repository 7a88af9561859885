//! A pipeline's keys reach the engine ahead of the requests (`Engine::prefetch`),
//! sixteen requests at a time, and a lone request's do not.

use std::cell::RefCell;
use std::rc::Rc;

use redsim_model::command::Command;
use redsim_model::dataset::{Dataset, Record};
use redsim_model::engine::{DbInfo, KeyspaceStats};
use redsim_model::resp::encode_request;
use redsim_model::{Context, Engine, Frame, KeyState, Model, Upcoming};

use super::Harness;

/// The hints an engine was given: (database, keys) per call.
type Hints = Rc<RefCell<Vec<(usize, Vec<String>)>>>;
/// The names and arguments after the keys, in the same calls: (name, [after]).
type Nexts = Rc<RefCell<Vec<Vec<(String, [Option<String>; 2])>>>>;

/// The model, recording every prefetch hint it is given and answering
/// `useful` to each.
struct Spy {
    model: Model,
    hints: Hints,
    nexts: Nexts,
    useful: bool,
}

impl Engine for Spy {
    fn name(&self) -> &'static str {
        self.model.name()
    }
    fn execute(&mut self, cx: &mut Context<'_>, cmd: &Command) -> Frame {
        self.model.execute(cx, cmd)
    }
    fn prefetch(&self, db: usize, upcoming: &[Upcoming<'_>]) -> bool {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        self.hints.borrow_mut().push((db, upcoming.iter().map(|u| text(u.key)).collect()));
        self.nexts.borrow_mut().push(upcoming.iter().map(|u| (text(u.name), u.after.map(|a| a.map(text)))).collect());
        self.useful
    }
    fn active_expire_cycle(&mut self, cx: &mut Context<'_>) {
        self.model.active_expire_cycle(cx)
    }
    fn upkeep(&mut self) {
        self.model.upkeep()
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
    fn start_snapshot(&mut self) -> Vec<(u64, u64)> {
        self.model.start_snapshot()
    }
    fn read_snapshot(&mut self, max: usize, out: &mut Vec<(usize, Record)>) -> bool {
        self.model.read_snapshot(max, out)
    }
    fn cancel_snapshot(&mut self) {
        self.model.cancel_snapshot()
    }
    fn empty_like(&self) -> Box<dyn Engine> {
        self.model.empty_like()
    }
    fn swap_in(&mut self, loaded: Box<dyn Engine>) {
        self.model.swap_in(loaded)
    }
    fn discard(&mut self, other: Box<dyn Engine>) {
        self.model.discard(other)
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
    fn snapshot_running(&self) -> bool {
        self.model.snapshot_running()
    }
    fn load_records(&mut self, records: Vec<(usize, Record)>) -> Result<(), (usize, bytes::Bytes)> {
        self.model.load_records(records)
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
    spied_saying(true)
}

fn spied_saying(useful: bool) -> (Harness, Hints, Nexts) {
    let (hints, nexts) = (Rc::new(RefCell::new(Vec::new())), Rc::new(RefCell::new(Vec::new())));
    let spy = Spy { model: Model::new(16), hints: Rc::clone(&hints), nexts: Rc::clone(&nexts), useful };
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

/// An engine that says a hint could not help gets none for the client's
/// next seven windows of sixteen requests, then one again.
#[test]
fn hints_pause_after_the_engine_says_they_cannot_help() {
    let (mut h, hints, _) = spied_saying(false);
    let c = h.connect();
    let pipeline: Vec<u8> = (0..16 * 10).flat_map(|i| request(&["RPUSH", "mylist", &i.to_string()])).collect();
    let replies = h.raw(c, &pipeline);
    assert_eq!(replies, (1..=160).map(|n| format!(":{n}\r\n")).collect::<String>());
    // Windows 0 and 8 of the ten were hinted.
    assert_eq!(hints.borrow().len(), 2);
    assert!(hints.borrow().iter().all(|(_, keys)| keys.len() == 16));
    // The real engine answers for itself: one list key, no member table.
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.raw(c, &pipeline), replies);
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
    assert_eq!(*nexts.borrow(), vec![vec![("GET".to_string(), [None, None]), ("GET".to_string(), [None, None])]]);
}

#[test]
fn the_name_and_two_arguments_after_the_key_come_along() {
    let (mut h, _, nexts) = spied();
    let c = h.connect();
    let mut pipeline = request(&["SADD", "s", "m1", "m2", "m3"]);
    pipeline.extend(request(&["HGET", "h", "f"]));
    pipeline.extend(request(&["zadd", "z", "1", "m"]));
    assert_eq!(h.raw(c, &pipeline), ":3\r\n$-1\r\n:1\r\n");
    let seen = |name: &str, after: [Option<&str>; 2]| (name.to_string(), after.map(|a| a.map(str::to_string)));
    assert_eq!(
        *nexts.borrow(),
        vec![vec![
            seen("SADD", [Some("m1"), Some("m2")]),
            seen("HGET", [Some("f"), None]),
            seen("zadd", [Some("1"), Some("m")])
        ]]
    );
}

/// The optimized engine follows the hints into values of every kind and
/// encoding (strings inline, on the heap and growable; lists short and of
/// many nodes; packed and table hashes, sets and sorted sets), missing keys
/// and keys of other types: a pipeline gets the replies and leaves the data
/// that the same requests sent one by one get and leave.
#[test]
fn the_engine_follows_hints_into_every_kind_of_value_without_changing_anything() {
    let mut fill = Vec::new();
    for i in 0..600 {
        fill.extend(request(&["SADD", "bigset", &format!("m{i}")]));
        fill.extend(request(&["HSET", "bighash", &format!("f{i}"), "v"]));
        fill.extend(request(&["ZADD", "bigzset", &i.to_string(), &format!("m{i}")]));
    }
    for i in 0..20_000 {
        fill.extend(request(&["RPUSH", "biglist", &format!("e{i}")]));
    }
    for words in [
        &["SADD", "intset", "1", "2", "3"][..],
        &["SADD", "smallset", "m1"],
        &["HSET", "smallhash", "f1", "v1", "f2", "v2"],
        &["ZADD", "smallzset", "1", "m1", "2", "m2"],
        &["RPUSH", "list", "a", "b", "c"],
        &["SET", "str", "x"],
        &["SET", "int", "12345"],
        &["SET", "long", &"y".repeat(100)],
        &["SET", "raw", "r"],
        &["APPEND", "raw", "aw"],
    ] {
        fill.extend(request(words));
    }
    let requests: Vec<Vec<&str>> = vec![
        vec!["SISMEMBER", "bigset", "m7"],
        vec!["SISMEMBER", "bigset", "nope"],
        vec!["HGET", "bighash", "f9"],
        vec!["ZSCORE", "bigzset", "m11"],
        vec!["ZADD", "bigzset", "1.5", "m12"],
        vec!["ZADD", "bigzset", "XX", "CH", "3", "m13"],
        vec!["ZINCRBY", "bigzset", "2", "m14"],
        vec!["LPOP", "biglist"],
        vec!["RPUSH", "biglist", "last"],
        vec!["LRANGE", "biglist", "0", "2"],
        vec!["LINDEX", "biglist", "-1"],
        vec!["SISMEMBER", "intset", "2"],
        vec!["SADD", "intset", "4"],
        vec!["SISMEMBER", "smallset", "m1"],
        vec!["HSET", "smallhash", "f3", "v3"],
        vec!["ZRANK", "smallzset", "m2"],
        vec!["LPUSH", "list", "z"],
        vec!["LRANGE", "list", "0", "-1"],
        vec!["RPOP", "list"],
        vec!["SISMEMBER", "missing", "m1"],
        vec!["SISMEMBER", "str", "m1"],
        vec!["GET", "str"],
        vec!["INCR", "int"],
        vec!["GET", "long"],
        vec!["APPEND", "raw", "!"],
        vec!["MGET", "str", "raw", "missing"],
        vec!["LPOP", "list"],
        vec!["LPOP", "list"],
        vec!["LPOP", "list"],
        vec!["EXISTS", "list"],
    ];
    let mut one = Harness::new();
    let mut piped = Harness::new();
    let (c1, c2) = (one.connect(), piped.connect());
    one.raw(c1, &fill);
    piped.raw(c2, &fill);
    for (key, encoding) in [
        ("bigset", "hashtable"),
        ("bighash", "hashtable"),
        ("bigzset", "skiplist"),
        ("intset", "intset"),
        ("smallhash", "listpack"),
        ("smallzset", "listpack"),
        ("biglist", "quicklist"),
        ("str", "embstr"),
        ("int", "int"),
        ("long", "raw"),
        ("raw", "raw"),
    ] {
        assert_eq!(super::bulk_text(&one.cmd(c1, &["OBJECT", "ENCODING", key])), encoding, "{key}");
    }
    let one_by_one: String = requests.iter().map(|r| one.cmd(c1, r)).collect();
    let pipeline: Vec<u8> = requests.iter().flat_map(|r| request(r)).collect();
    assert_eq!(piped.raw(c2, &pipeline), one_by_one);
    assert!(one_by_one.starts_with(":1\r\n:0\r\n$1\r\nv\r\n$2\r\n11\r\n:0\r\n:1\r\n$2\r\n16\r\n$2\r\ne0\r\n"));
    assert!(one_by_one.contains("-WRONGTYPE"));
    assert_eq!(piped.cmd(c2, &["DEBUG", "DIGEST"]), one.cmd(c1, &["DEBUG", "DIGEST"]));
}
