//! The optimized engine behind the node: `engine engine` in the
//! configuration (`redsim-server --engine engine`) selects it, and a session
//! through the node's whole path (RESP in, replies and propagated effects
//! out, MULTI/EXEC, WATCH, blocking pops, the cron) reads the same on both
//! engines.

use bytes::Bytes;
use redsim_engine::node::{Action, Config, ConnInfo, Node, NodeOptions, ProcessInfo};
use redsim_model::resp::encode::encode_request;

const NOW_MS: i64 = 1_700_000_000_000;

fn node(engine: &str) -> Node {
    let mut config = Config::new();
    config.load_text(&format!("save \"\"\nenable-debug-command yes\nengine {engine}\n")).expect("config loads");
    Node::new(NodeOptions { seed: 11, now_ms: NOW_MS, config, process: ProcessInfo::default() })
}

/// Sends each command from its own client turn and collects every byte sent
/// back to either client, in order.
fn session(engine: &str) -> (Vec<u8>, String) {
    let mut n = node(engine);
    n.capture_propagation(true);
    let a = n.client_connected(ConnInfo::local("127.0.0.1:50000", "127.0.0.1:6379"), NOW_MS);
    let b = n.client_connected(ConnInfo::local("127.0.0.1:50001", "127.0.0.1:6379"), NOW_MS);
    let script: &[(u8, i64, &[&str])] = &[
        (b'a', 0, &["SET", "counter", "41"]),
        (b'a', 0, &["INCR", "counter"]),
        (b'a', 0, &["OBJECT", "ENCODING", "counter"]),
        (b'a', 0, &["SET", "greeting", "hello", "PX", "500"]),
        (b'a', 0, &["APPEND", "note", "abc"]),
        (b'a', 0, &["APPEND", "note", "def"]),
        (b'a', 0, &["OBJECT", "ENCODING", "note"]),
        (b'a', 0, &["WATCH", "counter"]),
        (b'b', 0, &["INCRBY", "counter", "10"]),
        (b'a', 0, &["MULTI"]),
        (b'a', 0, &["GET", "counter"]),
        (b'a', 0, &["EXEC"]),
        (b'b', 0, &["BLPOP", "queue", "0"]),
        (b'a', 0, &["RPUSH", "queue", "job"]),
        (b'a', 0, &["LPUSH", "counter", "x"]),
        (b'a', 1000, &["GET", "greeting"]),
        (b'a', 0, &["DBSIZE"]),
        (b'a', 0, &["SCAN", "0", "COUNT", "100"]),
        (b'a', 0, &["RENAME", "note", "memo"]),
        (b'a', 0, &["COPY", "memo", "copy", "DB", "3"]),
        (b'a', 0, &["SELECT", "3"]),
        (b'a', 0, &["GET", "copy"]),
        (b'a', 0, &["FLUSHALL"]),
        (b'a', 0, &["DEBUG", "DIGEST"]),
        (b'a', 0, &["INFO", "keyspace"]),
    ];
    let mut now = NOW_MS;
    let mut out = Vec::new();
    for (client, advance, words) in script {
        now += advance;
        n.tick(now);
        let mut req = Vec::new();
        encode_request(&words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect::<Vec<_>>(), &mut req);
        n.client_bytes(if *client == b'a' { a } else { b }, &req, now);
        for action in n.take_actions() {
            if let Action::Send { bytes, .. } = action {
                out.extend(bytes);
            }
        }
    }
    let info = {
        let mut req = Vec::new();
        encode_request(&[Bytes::from_static(b"INFO"), Bytes::from_static(b"server")], &mut req);
        n.client_bytes(a, &req, now);
        n.take_actions()
            .into_iter()
            .filter_map(|a| if let Action::Send { bytes, .. } = a { Some(bytes) } else { None })
            .flatten()
            .collect::<Vec<u8>>()
    };
    let effects = format!("{:?}", n.take_propagated());
    out.extend(effects.into_bytes());
    (out, String::from_utf8_lossy(&info).into_owned())
}

#[test]
fn the_configuration_selects_the_engine() {
    let (_, info) = session("engine");
    assert!(info.contains("redsim_engine:engine"), "{info}");
    let (_, info) = session("model");
    assert!(info.contains("redsim_engine:model"), "{info}");
    let mut config = Config::new();
    assert!(config.load_text("engine turbo\n").is_err(), "an unknown engine is refused");
}

#[test]
fn a_session_reads_the_same_on_both_engines() {
    let (model, _) = session("model");
    let (engine, _) = session("engine");
    assert_eq!(String::from_utf8_lossy(&engine), String::from_utf8_lossy(&model));
    let text = String::from_utf8_lossy(&engine);
    for expected in [":42\r\n", "$3\r\nint\r\n", "$3\r\nraw\r\n", "*-1\r\n", "$3\r\njob\r\n", "PXAT", "DEL"] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
}
