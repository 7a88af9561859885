//! The history file format: JSON round trips, readable replies, errors that
//! say what is wrong, and importing Jepsen and Porcupine logs.

mod checker_support;

use bytes::Bytes;
use checker_support::*;
use redsim_model::resp::Protocol;
use redsim_model::Frame;
use redsim_sim::checker::generate::{generate, GenConfig};
use redsim_sim::checker::import::import_events;
use redsim_sim::checker::{Verdict, WorkloadKind};
use redsim_sim::history::{History, Op, Outcome, Reply, Request};

fn every_frame() -> Frame {
    Frame::Array(vec![
        Frame::Simple("OK".into()),
        Frame::Error("WRONGTYPE Operation against a key holding the wrong kind of value".into()),
        Frame::Integer(-7),
        Frame::bulk("text"),
        Frame::Bulk(Bytes::from_static(&[0, 159, 146, 150, 255])),
        Frame::Null,
        Frame::NullArray,
        Frame::Map(vec![(Frame::bulk("f"), Frame::Integer(1))]),
        Frame::Set(vec![Frame::bulk("m")]),
        Frame::Double(1.5),
        Frame::Double(f64::INFINITY),
        Frame::Boolean(true),
        Frame::BigNumber("123456789012345678901234567890".into()),
        Frame::Verbatim { format: *b"txt", text: Bytes::from_static(b"hello") },
        Frame::Push(vec![Frame::bulk("message")]),
        Frame::Attribute(vec![(Frame::bulk("ttl"), Frame::Integer(3))], Box::new(Frame::Integer(4))),
        Frame::Pairs(vec![(Frame::bulk("a"), Frame::Double(0.5))]),
    ])
}

#[test]
fn json_round_trip_keeps_everything() {
    let mut odd_key = ok(3, 4, (9, 10), &["GET", "k"], nil());
    odd_key.key = Bytes::from_static(&[0xff, 0x00]);
    odd_key.request = Request::Command(vec![Bytes::from_static(b"GET"), Bytes::from_static(&[0xff, 0x00])]);
    let mut unrecorded = ok(4, 1, (11, 12), &["APPEND", "k", "x"], nil());
    unrecorded.outcome = Outcome::Ok(Reply::Unrecorded);
    let mut pending = info(5, 2, (13, 0), &["SET", "k", "v"]);
    pending.complete_time = None;
    let mut h = History::new(vec![
        ok(0, 1, (0, 5), &["DEBUG", "k"], every_frame()),
        tx(1, 2, (1, 6), &[&["RPUSH", "l", "a"], &["LRANGE", "l", "0", "-1"]], vec![int(1), arr(&["a"])]),
        fail(2, 3, (2, 7), &["SET", "k", "v"]),
        odd_key,
        unrecorded,
        pending,
    ]);
    h.workload = Some("register".into());
    h.protocol = Protocol::Resp3;
    let text = h.to_json();
    let back = History::from_json(&text).expect("reads its own output");
    assert_eq!(back, h);
    // Also through serde, as another document's field would be.
    let via_serde: History = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
    assert_eq!(via_serde, h);
}

#[test]
fn generated_histories_round_trip() {
    for kind in WorkloadKind::ALL {
        let h = generate(&GenConfig::new(kind, 5, 200));
        assert_eq!(History::from_json(&h.to_json()).unwrap(), h, "{}", kind.name());
    }
}

#[test]
fn json_is_readable() {
    let h = History::new(vec![
        ok(0, 1, (0, 5), &["GET", "k"], bulk("v1")),
        ok(1, 1, (6, 9), &["GET", "k"], nil()),
        info(2, 2, (1, 20), &["SET", "k", "v2"]),
    ]);
    let text = h.to_json();
    for expected in
        [r#""format": "redsim-history""#, r#""command": ["#, r#""bulk": "v1""#, r#""ok": null"#, r#""info": "timeout""#]
    {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

#[test]
fn hand_written_json_is_checked() {
    let text = r#"{
      "format": "redsim-history", "version": 1, "workload": "counter",
      "ops": [
        {"id": 1, "client": 1, "key": "c", "command": ["INCR", "c"], "invoke": 0, "complete": 10, "ok": {"int": 1}},
        {"id": 2, "client": 2, "key": "c", "command": ["INCR", "c"], "invoke": 0, "complete": 10, "ok": {"int": 1}}
      ]
    }"#;
    let h = History::from_json(text).unwrap();
    expect(&h, Verdict::Violation);
}

#[test]
fn bad_documents_are_refused_with_a_reason() {
    let cases = [
        (r#"[]"#, "JSON object"),
        (r#"{"format": "other", "version": 1, "ops": []}"#, "format"),
        (r#"{"format": "redsim-history", "version": 9, "ops": []}"#, "version"),
        (r#"{"format": "redsim-history", "version": 1, "ops": [{"id": 1}]}"#, "op 0"),
        (
            r#"{"format": "redsim-history", "version": 1, "ops": [{"id": 1, "client": 1, "key": "k",
                "command": ["GET", "k"], "invoke": 0, "complete": 1, "ok": {"bogus": 1}}]}"#,
            "unknown frame type",
        ),
        (
            r#"{"format": "redsim-history", "version": 1, "ops": [{"id": 1, "client": 1, "key": "k",
                "command": ["GET", "k"], "invoke": 0, "complete": 1, "ok": null, "fail": "x"}]}"#,
            "exactly one of",
        ),
    ];
    for (doc, reason) in cases {
        let err = History::from_json(doc).expect_err(doc);
        assert!(err.0.contains(reason), "{doc}: {err}");
    }
}

const JEPSEN_OK: &str = "\
INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - 1\t:ok\t:read\t1
INFO  jepsen.util - 2\t:invoke\t:write\t2
INFO  jepsen.util - 2\t:info\t:write\t:timed-out
INFO  jepsen.util - 3\t:invoke\t:read\tnil
INFO  jepsen.util - 3\t:ok\t:read\t2
INFO  jepsen.util - 4\t:invoke\t:write\t3
INFO  jepsen.util - 4\t:fail\t:write\t3
";

#[test]
fn jepsen_register_log_imports_and_checks() {
    let h = import_events(JEPSEN_OK).unwrap();
    assert_eq!(h.ops.len(), 5);
    assert_eq!(h.workload.as_deref(), Some("register"));
    assert!(matches!(h.ops[2].outcome, Outcome::Info(_)));
    assert!(matches!(h.ops[4].outcome, Outcome::Fail(_)));
    expect(&h, Verdict::Linearizable);
    // Reading the failed write's value cannot be explained.
    let bad = format!("{JEPSEN_OK}INFO  jepsen.util - 5\t:invoke\t:read\tnil\nINFO  jepsen.util - 5\t:ok\t:read\t3\n");
    expect(&import_events(&bad).unwrap(), Verdict::Violation);
}

#[test]
fn porcupine_kv_log_imports_and_checks() {
    let log = r#"
{:process 0, :type :invoke, :f :put, :key "1", :value "x"}
{:process 1, :type :invoke, :f :append, :key "1", :value "y"}
{:process 0, :type :ok, :f :put, :key "1", :value "x"}
{:process 1, :type :ok, :f :append, :key "1", :value "y"}
{:process 2, :type :invoke, :f :get, :key "1", :value nil}
{:process 2, :type :ok, :f :get, :key "1", :value "xy"}
{:process 2, :type :invoke, :f :get, :key "2", :value nil}
{:process 2, :type :ok, :f :get, :key "2", :value ""}
"#;
    let h = import_events(log).unwrap();
    assert_eq!(h.ops.len(), 4);
    assert!(matches!(&h.ops[1].outcome, Outcome::Ok(Reply::Unrecorded)));
    assert_eq!(h.ops[3].reply(), Some(&Reply::Single(Frame::Null)), "Porcupine's \"\" for a missing key is nil");
    assert_eq!(expect(&h, Verdict::Linearizable).partitions.len(), 2);
    let bad = log.replace(r#":value "xy"}"#, r#":value "yx"}"#);
    expect(&import_events(&bad).unwrap(), Verdict::Violation);
}

#[test]
fn imports_refuse_what_they_cannot_express() {
    let cas = "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\n";
    assert!(import_events(cas).unwrap_err().0.contains("compare-and-set"));
    let orphan = "{:process 0, :type :ok, :f :get, :key \"1\", :value nil}\n";
    assert!(import_events(orphan).unwrap_err().0.contains("never invoked"));
    // Unfinished invocations are indeterminate.
    let open = "{:process 0, :type :invoke, :f :put, :key \"1\", :value \"x\"}\n";
    let h = import_events(open).unwrap();
    assert!(matches!(h.ops[0].outcome, Outcome::Info(_)));
    let _: &Op = &h.ops[0];
}
