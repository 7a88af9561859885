//! Connection handling: pipelining, partial reads, protocol errors, HELLO,
//! AUTH, SELECT, CLIENT.

use super::{bulk_text, closed, sent_to, Harness};
use crate::node::Action;

#[test]
fn pipelined_requests_are_answered_in_one_batch_in_order() {
    let mut h = Harness::new();
    let c = h.connect();
    let actions = h.feed(c, b"PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\nECHO hi\r\n");
    let sends: Vec<_> = actions.iter().filter(|a| matches!(a, Action::Send { .. })).collect();
    assert_eq!(sends.len(), 1, "one batch: {actions:?}");
    assert_eq!(sent_to(&actions, c), "+PONG\r\n+OK\r\n$1\r\nv\r\n$2\r\nhi\r\n");
}

#[test]
fn partial_reads_wait_for_the_rest() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.raw(c, b"*2\r\n$4\r\nEC"), "");
    assert_eq!(h.raw(c, b"HO\r\n$5\r\nhel"), "");
    assert_eq!(h.raw(c, b"lo\r\n*1\r\n$4\r\nPI"), "$5\r\nhello\r\n");
    assert_eq!(h.raw(c, b"NG\r\n"), "+PONG\r\n");
}

#[test]
fn protocol_errors_reply_then_close_after_earlier_requests() {
    let mut h = Harness::new();
    let c = h.connect();
    let other = h.connect();
    let actions = h.feed(c, b"PING\r\n*abc\r\nPING\r\n");
    assert_eq!(sent_to(&actions, c), "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n");
    assert!(closed(&actions, c));
    // The node forgot the client; others keep working.
    assert_eq!(h.raw(c, b"PING\r\n"), "");
    assert_eq!(h.cmd(other, &["PING"]), "+PONG\r\n");
    let c2 = h.connect();
    // Without a leading '*' this is an inline command, as in Redis.
    assert_eq!(h.raw(c2, b"$999999999999\r\n"), "-ERR unknown command '$999999999999', with args beginning with: \r\n");
    let actions = h.feed(c2, b"*1\r\n$999999999999\r\n");
    assert_eq!(sent_to(&actions, c2), "-ERR Protocol error: invalid bulk length\r\n");
    assert!(closed(&actions, c2));
    let info = h.cmd(other, &["INFO", "errorstats"]);
    assert!(info.contains("errorstat_ERR:count=3"), "{info}");
}

#[test]
fn hello_switches_protocol_and_replies_with_a_map() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd(c, &["HELLO", "3"]),
        format!(
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:{c}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
        )
    );
    // RESP3 from now on: nulls and maps change shape.
    assert_eq!(h.cmd(c, &["GET", "nokey"]), "_\r\n");
    assert_eq!(h.cmd(c, &["CONFIG", "GET", "hz"]), "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    assert!(h.cmd(c, &["HELLO", "2"]).starts_with("*14\r\n"));
    assert_eq!(h.cmd(c, &["GET", "nokey"]), "$-1\r\n");
    assert_eq!(h.cmd(c, &["HELLO", "4"]), "-NOPROTO unsupported protocol version\r\n");
    assert_eq!(
        h.cmd(c, &["HELLO", "2", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert!(h.cmd(c, &["HELLO", "2", "SETNAME", "me"]).starts_with("*14"));
    assert_eq!(h.cmd(c, &["CLIENT", "GETNAME"]), "$2\r\nme\r\n");
}

#[test]
fn auth_flow_with_requirepass() {
    let mut h = Harness::with_config("requirepass sekret");
    let c = h.connect();
    assert_eq!(h.cmd(c, &["GET", "a"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(h.cmd(c, &["FOO"]), "-ERR unknown command 'FOO', with args beginning with: \r\n");
    assert!(h.cmd(c, &["HELLO", "3"]).starts_with("-NOAUTH HELLO must be called"));
    assert_eq!(h.cmd(c, &["AUTH", "bad"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    assert_eq!(
        h.cmd(c, &["AUTH", "other", "sekret"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    // Unauthenticated clients get the small request limits.
    let d = h.connect();
    let actions = h.feed(d, b"*100\r\n");
    assert_eq!(sent_to(&actions, d), "-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert_eq!(h.cmd(c, &["AUTH", "sekret"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["GET", "a"]), "$-1\r\n");
    assert_eq!(h.cmd(c, &["RESET"]), "+RESET\r\n");
    assert_eq!(h.cmd(c, &["GET", "a"]), "-NOAUTH Authentication required.\r\n");
    assert!(h.cmd(c, &["HELLO", "3", "AUTH", "default", "sekret"]).starts_with("%7"));
    assert_eq!(h.cmd(c, &["GET", "a"]), "_\r\n");

    let mut open = Harness::new();
    let c = open.connect();
    assert!(open.cmd(c, &["AUTH", "x"]).starts_with("-ERR AUTH <password> called without any password configured"));
    assert_eq!(open.cmd(c, &["AUTH", "default", "anything"]), "+OK\r\n");
    assert_eq!(open.cmd(c, &["AUTH", "a", "b", "c"]), "-ERR syntax error\r\n");
}

#[test]
fn select_changes_the_database() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.cmd(c, &["SET", "k", "v0"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["SELECT", "5"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["GET", "k"]), "$-1\r\n");
    assert_eq!(h.cmd(c, &["SELECT", "16"]), "-ERR DB index is out of range\r\n");
    assert_eq!(h.cmd(c, &["SELECT", "abc"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(
        h.cmd(c, &["SELECT", "99999999999"]),
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    );
    assert_eq!(h.cmd(c, &["SELECT", "0"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["GET", "k"]), "$2\r\nv0\r\n");
}

#[test]
fn client_setname_list_and_kill() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    assert_eq!(h.cmd(a, &["CLIENT", "SETNAME", "alpha"]), "+OK\r\n");
    assert_eq!(h.cmd(a, &["CLIENT", "ID"]), format!(":{a}\r\n"));
    assert_eq!(h.cmd(b, &["CLIENT", "GETNAME"]), "$-1\r\n");
    h.now += 3000;
    let list = bulk_text(&h.cmd(b, &["CLIENT", "LIST"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(&format!(
            "id={a} addr=127.0.0.1:50001 laddr=127.0.0.1:6379 fd=-1 name=alpha age=3 idle=3 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs="
        )),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("events=r cmd=client|id user=default redir=-1 resp=2"), "{}", lines[0]);
    assert!(lines[1].contains("name= age=3 idle=0"), "{}", lines[1]);
    assert!(lines[1].contains("qbuf=26 qbuf-free=20448 argv-mem=10"), "{}", lines[1]);
    assert!(lines[1].ends_with("cmd=client|list user=default redir=-1 resp=2"), "{}", lines[1]);
    let only_a = bulk_text(&h.cmd(b, &["CLIENT", "LIST", "ID", &a.to_string(), "999"]));
    assert!(only_a.starts_with(&format!("id={a} ")) && only_a.lines().count() == 1);
    assert_eq!(h.cmd(b, &["CLIENT", "LIST", "TYPE", "foo"]), "-ERR Unknown client type 'foo'\r\n");
    assert_eq!(bulk_text(&h.cmd(b, &["CLIENT", "LIST", "TYPE", "master"])), "");
    assert!(bulk_text(&h.cmd(b, &["CLIENT", "INFO"])).starts_with(&format!("id={b} ")));

    assert_eq!(h.cmd(b, &["CLIENT", "KILL", "1.2.3.4:5"]), "-ERR No such client\r\n");
    assert_eq!(h.cmd(b, &["CLIENT", "KILL", "ID", &b.to_string()]), ":0\r\n", "SKIPME yes by default");
    let actions = h.feed(b, format!("CLIENT KILL ID {a}\r\n").as_bytes());
    assert_eq!(sent_to(&actions, b), ":1\r\n");
    assert!(closed(&actions, a));
    let actions = h.feed(b, b"CLIENT KILL 127.0.0.1:50002\r\nPING\r\n");
    assert_eq!(sent_to(&actions, b), "+OK\r\n", "killing oneself stops the pipeline");
    assert!(closed(&actions, b));
    assert!(h.node.client_ids().is_empty());
}

#[test]
fn client_reply_modes() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.raw(
        c,
        b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nPING 1\r\nPING 2\r\n",
    );
    assert_eq!(out, "+OK\r\n+PONG\r\n$1\r\n2\r\n");
    assert_eq!(h.cmd(c, &["CLIENT", "REPLY", "maybe"]), "-ERR syntax error\r\n");
}

#[test]
fn quit_replies_then_closes() {
    let mut h = Harness::new();
    let c = h.connect();
    let actions = h.feed(c, b"QUIT\r\nPING\r\n");
    assert_eq!(sent_to(&actions, c), "+OK\r\n");
    assert!(closed(&actions, c));
}

#[test]
fn maxclients_refuses_extra_connections() {
    let mut h = Harness::with_config("maxclients 1");
    let a = h.connect();
    let b = h.connect();
    let actions = h.node.take_actions();
    assert_eq!(sent_to(&actions, b), "-ERR max number of clients reached\r\n");
    assert!(closed(&actions, b));
    assert_eq!(h.cmd(a, &["PING"]), "+PONG\r\n");
}

#[test]
fn client_pause_holds_writes_until_it_ends() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    assert_eq!(h.cmd(a, &["CLIENT", "PAUSE", "1000", "WRITE"]), "+OK\r\n");
    assert_eq!(h.cmd(b, &["GET", "k"]), "$-1\r\n");
    assert_eq!(h.cmd(b, &["SET", "k", "v"]), "", "held");
    assert_eq!(h.cmd(b, &["GET", "k"]), "", "queued behind the held write");
    let actions = h.tick(1000);
    assert_eq!(sent_to(&actions, b), "+OK\r\n$1\r\nv\r\n");
}

#[test]
fn query_buffer_limit_closes_without_reply() {
    let mut h = Harness::with_config("client-query-buffer-limit 1mb");
    let c = h.connect();
    let mut big = b"*2\r\n$4\r\nECHO\r\n$2000000\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 1_100_000));
    let actions = h.feed(c, &big);
    assert_eq!(sent_to(&actions, c), "");
    assert!(closed(&actions, c));
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::Log { message, .. } if message.contains("client-query-buffer-limit"))));
}
