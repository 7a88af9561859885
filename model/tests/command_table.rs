//! The command table: generated from Redis's JSON specs, kept fresh, and checked
//! against a real Redis 7.0 server (COMMAND INFO, DOCS, LIST, GETKEYS...).
//!
//! The spec directory is `$REDSIM_COMMAND_SPECS` or `../shared/redis-7.0-commands`
//! next to the repository; the real-server tests need `redis-server` on PATH.
//! Both are hard requirements: a missing one fails the test, it never skips.

mod support;

#[path = "../codegen/command_table.rs"]
mod codegen;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use redsim_model::resp::{encode, Protocol};
use redsim_model::table::introspect::command;
use redsim_model::table::{self, Arg, BeginSearch, CommandSpec, FindKeys, Flag, KeyFlag};

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

fn spec_dir_or_fail() -> std::path::PathBuf {
    let dir = codegen::spec_dir();
    assert!(
        dir.is_dir(),
        "command spec directory {} is missing: set REDSIM_COMMAND_SPECS to the directory \
         holding Redis 7.0's command JSON files (shared/redis-7.0-commands)",
        dir.display()
    );
    dir
}

#[test]
fn generated_table_is_fresh() {
    let dir = spec_dir_or_fail();
    let fresh = codegen::generate(&dir).unwrap_or_else(|e| panic!("generator failed: {e}"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(codegen::GENERATED_PATH);
    if std::env::var_os("REDSIM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == fresh {
        return;
    }
    let (line, old, new) = committed
        .lines()
        .zip(fresh.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a.to_string(), b.to_string()))
        .unwrap_or_else(|| {
            let n = committed.lines().count().min(fresh.lines().count());
            (n + 1, "<end or length differs>".into(), "<end or length differs>".into())
        });
    panic!(
        "{} is out of date with the command specs (first difference at line {line}:\n  \
         committed: {old}\n  generated: {new})\nregenerate with: \
         REDSIM_BLESS=1 cargo test -p redsim-model --test command_table generated_table_is_fresh",
        path.display()
    );
}

#[test]
fn table_has_redis_7_0_commands() {
    assert_eq!(table::all().len(), 240);
    let get = table::lookup(b"get").unwrap();
    assert_eq!((get.name, get.fullname, get.group, get.since, get.arity), ("get", "get", "string", "1.0.0", 2));
    assert!(get.has(Flag::Readonly) && get.has(Flag::Fast) && !get.has(Flag::Write));
    assert_eq!(get.key_specs.len(), 1);
    assert_eq!(get.key_specs[0].begin_search, BeginSearch::Index(1));
    assert_eq!((get.legacy_range.first, get.legacy_range.last, get.legacy_range.step), (1, 1, 1));
    let set = table::lookup(b"SET").unwrap();
    assert_eq!(set.arity, -3);
    assert!(set.has(Flag::Write) && set.has(Flag::Denyoom));
    let kill = table::lookup_fullname(b"client|kill").unwrap();
    assert_eq!((kill.name, kill.fullname, kill.container, kill.arity), ("kill", "client|kill", Some("client"), -3));
    let client = table::lookup(b"client").unwrap();
    assert!(client.is_container() && client.arity == -2);
    // Derived at generation time, as Redis derives them at start-up.
    assert!(table::lookup(b"eval").unwrap().has(Flag::MovableKeys));
    assert!(!get.has(Flag::MovableKeys));
    assert!(table::lookup(b"zrangebylex").unwrap().doc_flags.contains(redsim_model::table::DocFlag::Deprecated));
}

/// Every JSON command is in the table with the same facts, read independently
/// of the generator's Rust output.
#[test]
fn table_matches_the_json_specs() {
    let dir = spec_dir_or_fail();
    let cmds = codegen::load(&dir).unwrap_or_else(|e| panic!("loading specs: {e}"));
    assert_eq!(cmds.len(), 240, "top-level commands in the specs");
    let mut seen = 0;
    for c in &cmds {
        check_spec(c, table::lookup(c.name.as_bytes()));
        seen += 1;
        for s in &c.subcommands {
            check_spec(s, table::lookup_fullname(s.fullname.as_bytes()));
            seen += 1;
        }
    }
    let in_table: usize = table::all().iter().map(|c| 1 + c.subcommands.len()).sum();
    assert_eq!(seen, in_table, "commands and subcommands in specs vs table");
}

fn check_spec(c: &codegen::Cmd, t: Option<&'static CommandSpec>) {
    let t = t.unwrap_or_else(|| panic!("{} missing from the table", c.fullname));
    let n = &c.fullname;
    assert_eq!(t.name, c.name, "{n}");
    assert_eq!(t.fullname, c.fullname, "{n}");
    assert_eq!(t.container, c.container.as_deref(), "{n}");
    assert_eq!(t.group, c.group, "{n}");
    assert_eq!(t.since, c.since, "{n}");
    assert_eq!(t.arity, c.arity, "{n}");
    for f in &c.declared_flags {
        assert!(t.has(*f), "{n} lacks {f:?}");
    }
    for f in t.flags.iter() {
        assert!(c.declared_flags.contains(&f) || f == Flag::MovableKeys, "{n} has extra {f:?}");
    }
    for a in &c.declared_acl {
        assert!(t.acl_categories.contains(*a), "{n} lacks @{}", a.name());
    }
    assert_eq!(t.tips, c.tips.iter().map(String::as_str).collect::<Vec<_>>().as_slice(), "{n}");
    let mut doc_flags = c.doc_flags.clone();
    doc_flags.sort();
    assert_eq!(t.doc_flags.iter().collect::<Vec<_>>(), doc_flags, "{n}");
    assert_eq!(t.deprecated_since, c.deprecated_since.as_deref(), "{n}");
    assert_eq!(t.get_keys_function, c.get_keys_function, "{n}");
    assert_eq!(t.subcommands.len(), c.subcommands.len(), "{n}");
    assert_eq!(t.key_specs.len(), c.key_specs.len(), "{n}");
    for (ts, js) in t.key_specs.iter().zip(&c.key_specs) {
        let mut jflags = js.flags.clone();
        jflags.sort();
        assert_eq!(ts.flags.iter().collect::<Vec<_>>(), jflags, "{n}");
        match (&js.begin, ts.begin_search) {
            (codegen::Begin::Index(p), BeginSearch::Index(q)) => assert_eq!(*p, q, "{n}"),
            (codegen::Begin::Keyword(k, s), BeginSearch::Keyword { keyword, startfrom }) => {
                assert_eq!((k.as_str(), *s), (keyword, startfrom), "{n}")
            }
            (codegen::Begin::Unknown, BeginSearch::Unknown) => {}
            (j, t) => panic!("{n}: begin_search {j:?} vs {t:?}"),
        }
        let find = match js.find {
            codegen::Find::Range { lastkey, keystep, limit } => FindKeys::Range { lastkey, keystep, limit },
            codegen::Find::Keynum { keynumidx, firstkey, keystep } => FindKeys::Keynum { keynumidx, firstkey, keystep },
            codegen::Find::Unknown => FindKeys::Unknown,
        };
        assert_eq!(ts.find_keys, find, "{n}");
    }
    check_args(n, t.arguments, &c.arguments);
}

fn check_args(n: &str, t: &[Arg], j: &[codegen::ArgDef]) {
    assert_eq!(t.len(), j.len(), "{n}: argument count");
    for (ta, ja) in t.iter().zip(j) {
        let what = format!("{n}: argument {}", ja.name);
        assert_eq!(ta.name, ja.name, "{what}");
        assert_eq!(ta.kind, ja.kind, "{what}");
        assert_eq!(ta.key_spec_index, ja.key_spec_index, "{what}");
        assert_eq!(ta.token, ja.token.as_deref(), "{what}");
        assert_eq!(ta.since, ja.since.as_deref(), "{what}");
        assert_eq!(ta.deprecated_since, ja.deprecated_since.as_deref(), "{what}");
        assert_eq!(
            (ta.optional, ta.multiple, ta.multiple_token),
            (ja.optional, ja.multiple, ja.multiple_token),
            "{what}"
        );
        check_args(n, ta.arguments, &ja.arguments);
    }
}

#[test]
fn generator_derives_legacy_ranges_like_redis() {
    use codegen::{legacy_range, Begin, Find, Spec};
    let range = |pos, lastkey, keystep, flags: Vec<KeyFlag>| Spec {
        flags,
        begin: Begin::Index(pos),
        find: Find::Range { lastkey, keystep, limit: 0 },
    };
    // One plain spec: taken as is, step included (MSET).
    assert_eq!(legacy_range(&[range(1, -1, 2, vec![])]), ((1, -1, 2), false));
    // Two contiguous specs glue (SMOVE).
    assert_eq!(legacy_range(&[range(1, 0, 1, vec![]), range(2, 0, 1, vec![])]), ((1, 2, 1), false));
    // A gap makes the keys movable and keeps the first range only.
    assert_eq!(legacy_range(&[range(1, 0, 1, vec![]), range(3, 0, 1, vec![])]), ((1, 1, 1), true));
    // A keyword spec is movable.
    let kw = Spec {
        flags: vec![],
        begin: Begin::Keyword("STORE".into(), 6),
        find: Find::Range { lastkey: 0, keystep: 1, limit: 0 },
    };
    assert_eq!(legacy_range(&[range(1, 0, 1, vec![]), kw.clone()]), ((1, 1, 1), true));
    assert_eq!(legacy_range(&[kw]), ((0, 0, 0), true));
    // Incomplete single spec: usable but movable.
    assert_eq!(legacy_range(&[range(1, 0, 1, vec![KeyFlag::Incomplete])]), ((1, 1, 1), true));
    assert_eq!(legacy_range(&[]), ((0, 0, 0), false));
}

// ---------------------------------------------------------------------------
// A real Redis to compare with
// ---------------------------------------------------------------------------

/// A redis-server child process on a free port, killed on drop.
struct Server(support::RealRedis);

impl Server {
    fn start() -> Server {
        Server(support::RealRedis::start())
    }

    fn client(&self, proto: Protocol) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", self.0.port)).expect("connect to redis-server");
        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let mut c = Client { stream, buf: Vec::new(), proto };
        let version = c.call(&["INFO", "server"]);
        let V::Bulk(text) = version else { panic!("INFO: {version:?}") };
        assert!(text.contains("redis_version:7.0."), "the comparison needs Redis 7.0.x");
        if proto == Protocol::Resp3 {
            let hello = c.call(&["HELLO", "3"]);
            assert!(matches!(hello, V::Map(_)), "HELLO 3: {hello:?}");
        }
        c
    }
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    proto: Protocol,
}

impl Client {
    fn call(&mut self, argv: &[&str]) -> V {
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        self.call_bytes(&args)
    }

    fn call_bytes(&mut self, argv: &[Bytes]) -> V {
        let mut req = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&req).expect("write to redis-server");
        loop {
            let mut pos = 0;
            if let Some(v) = parse(&self.buf, &mut pos) {
                self.buf.drain(..pos);
                return v;
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read from redis-server");
            assert!(n > 0, "redis-server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// A parsed reply. Simple strings, errors and the aggregate kinds stay
/// distinct so that the comparison checks the reply's shape, not only its text.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum V {
    Simple(String),
    Error(String),
    Int(i64),
    /// Lossy UTF-8: every text compared here is ASCII, and diffs stay readable.
    Bulk(String),
    Null,
    NullArray,
    Array(Vec<V>),
    Set(Vec<V>),
    Map(Vec<(V, V)>),
    Other(u8, Vec<u8>),
}

/// Parses one RESP2/RESP3 reply at `*pos`; None if incomplete.
fn parse(buf: &[u8], pos: &mut usize) -> Option<V> {
    let line_end = buf[*pos..].windows(2).position(|w| w == b"\r\n")? + *pos;
    let tag = buf[*pos];
    let line = buf[*pos + 1..line_end].to_vec();
    let text = String::from_utf8_lossy(&line).into_owned();
    *pos = line_end + 2;
    let num = || text.parse::<i64>().expect("length");
    Some(match tag {
        b'+' => V::Simple(text),
        b'-' => V::Error(text),
        b':' => V::Int(num()),
        b'_' => V::Null,
        b'$' | b'=' => {
            let n = num();
            if n < 0 {
                return Some(V::Null);
            }
            let n = n as usize;
            if buf.len() < *pos + n + 2 {
                return None;
            }
            let data = String::from_utf8_lossy(&buf[*pos..*pos + n]).into_owned();
            *pos += n + 2;
            V::Bulk(data)
        }
        b'*' | b'~' | b'>' => {
            let n = num();
            if n < 0 {
                return Some(V::NullArray);
            }
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(parse(buf, pos)?);
            }
            if tag == b'~' {
                V::Set(items)
            } else {
                V::Array(items)
            }
        }
        b'%' => {
            let mut pairs = Vec::new();
            for _ in 0..num() {
                let k = parse(buf, pos)?;
                let v = parse(buf, pos)?;
                pairs.push((k, v));
            }
            V::Map(pairs)
        }
        other => V::Other(other, line),
    })
}

/// Our reply for `COMMAND <args>`, through the real encoder and the same parser.
fn ours(args: &[Bytes], proto: Protocol) -> V {
    let mut out = Vec::new();
    encode(&command(args), proto, &mut out);
    let mut pos = 0;
    let v = parse(&out, &mut pos).expect("our reply parses");
    assert_eq!(pos, out.len(), "trailing bytes in our reply");
    v
}

fn words(line: &[&str]) -> Vec<Bytes> {
    line.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
}

fn both(server: &Server) -> [Client; 2] {
    [server.client(Protocol::Resp2), server.client(Protocol::Resp3)]
}

fn name_of(v: &V) -> String {
    match v {
        V::Bulk(b) => b.clone(),
        other => format!("{other:?}"),
    }
}

/// A COMMAND INFO entry without the prose `notes` of key specs, subcommand
/// lists sorted (Redis emits them in hash-table order).
fn norm_info(v: &V) -> V {
    match v {
        V::Array(items) if items.len() == 10 => {
            let mut items = items.clone();
            let strip_notes = |ks: &V| {
                let kept = pairs(ks).into_iter().filter(|(k, _)| name_of(k) != "notes").collect();
                rebuild(ks, kept)
            };
            items[8] = match &items[8] {
                V::Set(specs) => V::Set(specs.iter().map(strip_notes).collect()),
                V::Array(specs) => V::Array(specs.iter().map(strip_notes).collect()),
                other => other.clone(),
            };
            if let V::Array(subs) = &items[9] {
                let mut subs: Vec<V> = subs.iter().map(norm_info).collect();
                subs.sort_by_key(|s| match s {
                    V::Array(x) => name_of(&x[0]),
                    other => format!("{other:?}"),
                });
                items[9] = V::Array(subs);
            }
            V::Array(items)
        }
        other => other.clone(),
    }
}

/// Key/value pairs of a map, in either protocol (RESP2 flattens maps).
fn pairs(v: &V) -> Vec<(V, V)> {
    match v {
        V::Map(p) => p.clone(),
        V::Array(items) if items.len() % 2 == 0 => items.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

fn rebuild(like: &V, p: Vec<(V, V)>) -> V {
    match like {
        V::Map(_) => V::Map(p),
        _ => V::Array(p.into_iter().flat_map(|(k, v)| [k, v]).collect()),
    }
}

/// A COMMAND DOCS entry without Redis's prose, subcommands sorted.
fn norm_doc(v: &V) -> V {
    const PROSE: &[&str] = &["summary", "complexity", "history", "replaced_by"];
    let p = pairs(v)
        .into_iter()
        .filter(|(k, _)| !PROSE.contains(&name_of(k).as_str()))
        .map(|(k, val)| {
            if name_of(&k) == "subcommands" {
                let mut subs: Vec<(V, V)> = pairs(&val).iter().map(|(n, d)| (n.clone(), norm_doc(d))).collect();
                subs.sort_by_key(|(n, _)| name_of(n));
                (k, rebuild(&val, subs))
            } else {
                (k, val)
            }
        })
        .collect();
    rebuild(v, p)
}

fn sorted_names(v: &V) -> Vec<String> {
    let V::Array(items) = v else { panic!("not an array: {v:?}") };
    let mut names: Vec<String> = items.iter().map(name_of).collect();
    names.sort();
    names
}

/// Compares two maps name → entry and fails listing the first differences.
fn compare_entries(what: &str, theirs: BTreeMap<String, V>, ours: BTreeMap<String, V>) {
    let mut problems = Vec::new();
    for (name, t) in &theirs {
        match ours.get(name) {
            None => problems.push(format!("{name}: missing in redsim")),
            Some(o) if o != t => problems.push(format!("{name}:\n  redis:   {t:?}\n  redsim:  {o:?}")),
            Some(_) => {}
        }
    }
    for name in ours.keys().filter(|n| !theirs.contains_key(*n)) {
        problems.push(format!("{name}: not in redis"));
    }
    assert!(
        problems.is_empty(),
        "{what}: {} differences; first ones:\n{}",
        problems.len(),
        problems.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

fn info_by_name(v: &V) -> BTreeMap<String, V> {
    let V::Array(items) = v else { panic!("COMMAND INFO: {v:?}") };
    items
        .iter()
        .map(|e| match e {
            V::Array(x) => (name_of(&x[0]), norm_info(e)),
            other => panic!("COMMAND INFO entry: {other:?}"),
        })
        .collect()
}

#[test]
fn command_info_matches_redis_for_every_command() {
    let server = Server::start();
    for mut c in both(&server) {
        let proto = c.proto;
        for args in [vec!["INFO"], vec![]] {
            let mut full = vec!["COMMAND"];
            full.extend(&args);
            let theirs = info_by_name(&c.call(&full));
            assert_eq!(theirs.len(), 240);
            compare_entries(&format!("COMMAND {args:?} {proto:?}"), theirs, info_by_name(&ours(&words(&args), proto)));
        }
        // Named lookups, subcommands and unknown names (null entries) in one call.
        let names =
            ["get", "CLIENT|KILL", "nope", "", "get|x", "client|", "client|kill|x", "config", "xinfo|stream", "|kill"];
        let mut full = vec!["COMMAND", "INFO"];
        full.extend(names);
        let theirs = c.call(&full);
        let mut args = vec!["INFO"];
        args.extend(names);
        let mine = ours(&words(&args), proto);
        let norm = |v: &V| match v {
            V::Array(items) => V::Array(items.iter().map(norm_info).collect()),
            other => other.clone(),
        };
        assert_eq!(norm(&mine), norm(&theirs), "COMMAND INFO {names:?} {proto:?}");
    }
}

#[test]
fn command_docs_matches_redis_for_every_command() {
    let server = Server::start();
    for mut c in both(&server) {
        let proto = c.proto;
        let by_name =
            |v: &V| -> BTreeMap<String, V> { pairs(v).iter().map(|(k, d)| (name_of(k), norm_doc(d))).collect() };
        let theirs = by_name(&c.call(&["COMMAND", "DOCS"]));
        assert_eq!(theirs.len(), 240);
        compare_entries(&format!("COMMAND DOCS {proto:?}"), theirs, by_name(&ours(&words(&["DOCS"]), proto)));
        let names = ["nope", "set", "client|kill", "CONFIG", "get|x"];
        let mut full = vec!["COMMAND", "DOCS"];
        full.extend(names);
        let mut args = vec!["DOCS"];
        args.extend(names);
        assert_eq!(by_name(&ours(&words(&args), proto)), by_name(&c.call(&full)), "COMMAND DOCS {names:?} {proto:?}");
    }
}

#[test]
fn command_list_count_help_and_errors_match_redis() {
    let server = Server::start();
    let mut cats: Vec<String> = table::AclCategory::ALL.iter().map(|c| c.name().to_string()).collect();
    cats.push("WRITE".into());
    cats.push("nope".into());
    for mut c in both(&server) {
        let proto = c.proto;
        let mut lists: Vec<Vec<String>> =
            vec![vec!["LIST".into()], vec!["LIST".into(), "FILTERBY".into(), "module".into(), "x".into()]];
        for cat in &cats {
            lists.push(vec!["LIST".into(), "filterby".into(), "ACLCAT".into(), cat.clone()]);
        }
        for args in &lists {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut full = vec!["COMMAND"];
            full.extend(&a);
            assert_eq!(sorted_names(&ours(&words(&a), proto)), sorted_names(&c.call(&full)), "COMMAND {a:?}");
        }
        // Replies compared exactly.
        let exact: &[&[&str]] = &[
            &["COUNT"],
            &["COUNT", "x"],
            &["nope"],
            &["LIST", "FILTERBY", "nope", "x"],
            &["LIST", "FILTERBY", "aclcat"],
            &["LIST", "x"],
            &["LIST", "FILTERBY", "aclcat", "read", "x"],
            &["GETKEYS"],
            &["GETKEYS", "get"],
            &["GETKEYSANDFLAGS", "get"],
            &["DOCS", "nope"],
            &["HELP", "x"],
        ];
        for args in exact {
            let mut full = vec!["COMMAND"];
            full.extend(args.iter());
            let theirs = c.call(&full);
            assert_eq!(ours(&words(args), proto), theirs, "COMMAND {args:?} {proto:?}");
        }
        // HELP: the same framing lines (the body is worded by redsim).
        let V::Array(theirs) = c.call(&["COMMAND", "HELP"]) else { panic!() };
        let V::Array(mine) = ours(&words(&["HELP"]), proto) else { panic!() };
        assert_eq!(mine[0], theirs[0]);
        assert_eq!(mine[mine.len() - 2..], theirs[theirs.len() - 2..]);
        assert!(mine.iter().all(|l| matches!(l, V::Simple(_))));
    }
}

#[test]
fn command_list_pattern_matches_redis() {
    let server = Server::start();
    let mut c = server.client(Protocol::Resp2);
    for pat in ["*", "client|*", "GET*", "*|k?ll", "x[a-c]*", "nothing", "*\\|*"] {
        let theirs = sorted_names(&c.call(&["COMMAND", "LIST", "FILTERBY", "PATTERN", pat]));
        let mine = sorted_names(&ours(&words(&["LIST", "FILTERBY", "PATTERN", pat]), Protocol::Resp2));
        assert_eq!(mine, theirs, "PATTERN {pat}");
    }
}

/// Command lines for GETKEYS: every extractor, every kind of key spec, and
/// the error paths.
const GETKEYS_LINES: &[&[&str]] = &[
    &["get", "k"],
    &["get", "k", "x"],
    &["set", "k", "v"],
    &["set", "k", "v", "nx", "GET"],
    &["set", "k", "v", "get", "ex", "10"],
    &["set", "k", "get"],
    &["mset", "a", "1", "b", "2"],
    &["mset", "a", "1", "b"],
    &["mget", "a", "b", "c"],
    &["del", "a", "b"],
    &["smove", "s", "d", "m"],
    &["rename", "a", "b"],
    &["lmove", "a", "b", "left", "right"],
    &["blmove", "a", "b", "left", "right", "0"],
    &["bitop", "and", "d", "a", "b"],
    &["copy", "a", "b", "db", "1"],
    &["eval", "s", "0"],
    &["eval", "s", "2", "a", "b", "c"],
    &["eval", "s", "3", "a"],
    &["eval", "s", "x", "a"],
    &["eval", "s", "-1", "a"],
    &["eval", "s", "01", "a"],
    &["eval", "s", "4294967297", "a"],
    &["evalsha_ro", "s", "1", "a"],
    &["fcall", "f", "1", "a", "b"],
    &["fcall_ro", "f", "0"],
    &["zunionstore", "d", "2", "a", "b", "weights", "1", "2"],
    &["zunionstore", "d", "0", "a"],
    &["zunionstore", "d", "3", "a"],
    &["zunionstore", "d", "01", "a"],
    &["zunionstore", "d", " 1", "a"],
    &["zinterstore", "d", "1", "a"],
    &["zdiffstore", "d", "2", "a", "b"],
    &["zunion", "2", "a", "b", "withscores"],
    &["zinter", "1", "a"],
    &["zdiff", "1", "a"],
    &["zintercard", "2", "a", "b", "limit", "1"],
    &["zintercard", "02", "a", "b"],
    &["sintercard", "2", "a", "b"],
    &["sintercard", "1x", "a"],
    &["lmpop", "2", "a", "b", "left"],
    &["lmpop", "2x", "a", "b", "left"],
    &["blmpop", "0", "2", "a", "b", "left"],
    &["zmpop", "1", "a", "min"],
    &["bzmpop", "0", "1", "a", "min"],
    &["sort", "k"],
    &["sort", "k", "by", "p", "limit", "0", "1", "get", "#", "store", "d"],
    &["sort", "k", "store", "d1", "store", "d2"],
    &["sort", "k", "get", "store", "store", "d"],
    &["sort", "k", "store"],
    &["sort_ro", "k", "by", "x", "store", "d"],
    &["migrate", "h", "6379", "k", "0", "1000"],
    &["migrate", "h", "6379", "", "0", "1000", "copy", "replace", "keys", "a", "b"],
    &["migrate", "h", "6379", "k", "0", "1000", "keys", "a", "b"],
    &["migrate", "h", "6379", "", "0", "1000", "auth", "keys", "keys", "a"],
    &["migrate", "h", "6379", "", "0", "1000", "auth2", "u", "keys", "keys", "a"],
    &["migrate", "h", "6379", "", "0", "1000"],
    &["georadius", "k", "1", "2", "3", "m"],
    &["georadius", "k", "1", "2", "3", "m", "store", "a"],
    &["georadius", "k", "1", "2", "3", "m", "store", "a", "storedist", "b"],
    &["georadius", "k", "1", "2", "3", "m", "withdist", "store"],
    &["georadiusbymember", "k", "m", "3", "km", "storedist", "d"],
    &["georadius_ro", "k", "1", "2", "3", "m", "store", "a"],
    &["geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "m"],
    &["xread", "streams", "a", "1"],
    &["xread", "count", "1", "block", "0", "streams", "a", "b", "1", "2"],
    &["xread", "streams", "a", "b", "1"],
    &["xread", "count", "1", "streams"],
    &["xread", "streams", "streams", "a", "1", "2"],
    &["xreadgroup", "group", "g", "c", "streams", "a", "1"],
    &["xreadgroup", "group", "streams", "c", "count", "1", "streams", "a", "1"],
    &["xreadgroup", "group", "g", "c", "noack", "streams", "a", "b", "1", "2"],
    &["bitfield", "k", "get", "u8", "0"],
    &["bitfield", "k", "get", "u8", "0", "overflow", "sat", "get", "i4", "1"],
    &["bitfield", "k", "set", "u8", "0", "1"],
    &["bitfield", "k", "incrby", "u8", "0"],
    &["bitfield", "k", "nope"],
    &["bitfield", "k"],
    &["bitfield_ro", "k", "get", "u8", "0"],
    &["object", "encoding", "k"],
    &["OBJECT", "FREQ", "k"],
    &["xgroup", "create", "s", "g", "$"],
    &["xinfo", "stream", "s", "full"],
    &["memory", "usage", "k"],
    &["pfcount", "a", "b"],
    &["pfmerge", "d", "a"],
    &["restore", "k", "0", "x"],
    &["watch", "a", "b"],
    &["lcs", "a", "b"],
    &["ping"],
    &["client", "kill", "x"],
    &["client", "nope", "x"],
    &["nope", "x"],
    &["publish", "c", "m"],
    &["spublish", "c", "m"],
    &["ssubscribe", "a", "b"],
    &["subscribe", "a"],
    &["config", "get", "x"],
    &["keys", "*"],
    &["scan", "0"],
    &["get"],
    &["hset", "k", "f"],
];

#[test]
fn command_getkeys_matches_redis() {
    let server = Server::start();
    for mut c in both(&server) {
        let proto = c.proto;
        for line in GETKEYS_LINES {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let mut full = vec!["COMMAND", sub];
                full.extend(line.iter());
                let theirs = c.call(&full);
                assert_eq!(ours(&words(&full[1..]), proto), theirs, "COMMAND {sub} {line:?} {proto:?}");
            }
        }
    }
}

/// `resolve` gives Redis's errors for unknown commands, unknown subcommands
/// and wrong arity; lines it accepts are not refused by Redis for those reasons.
#[test]
fn resolve_errors_match_redis() {
    let server = Server::start();
    let mut c = server.client(Protocol::Resp2);
    let long = "x".repeat(200);
    let many: Vec<String> = (0..60).map(|i| format!("arg{i}")).collect();
    let mut lines: Vec<Vec<String>> = [
        &["nope"][..],
        &["nope", "a", "b"],
        &["GET"],
        &["get", "a", "b"],
        &["client"],
        &["CLIENT", "nope"],
        &["Client", "NOPE", "x"],
        &["client", "kill"],
        &["config", "get"],
        &["object"],
        &["object", "nope", "x"],
        &["xgroup", "x"],
        &["command", "getkeys"],
        &["command", "nope"],
        &["memory", "x", "y"],
        &["cluster", "nope"],
        &["acl"],
        &["get\r\nx", "a\rb\nc"],
        &["client", "x\r\ny"],
        &["", ""],
        &["get_"],
    ]
    .iter()
    .map(|l| l.iter().map(|s| s.to_string()).collect())
    .collect();
    lines.push(vec![long.clone(), long.clone(), "b".into()]);
    lines.push(vec!["client".into(), long.clone()]);
    lines.push(std::iter::once("nope".to_string()).chain(many.iter().cloned()).collect());
    for line in &lines {
        let argv: Vec<Bytes> = line.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        let theirs = c.call_bytes(&argv);
        match table::resolve(&argv) {
            Err(e) => assert_eq!(V::Error(e.text().to_string()), theirs, "{line:?}"),
            Ok(spec) => panic!("{line:?} resolved to {} but Redis said {theirs:?}", spec.fullname),
        }
    }
    let fine: &[&[&str]] = &[
        &["get", "k"],
        &["GET", "k"],
        &["client", "id"],
        &["CLIENT", "GETNAME"],
        &["object", "encoding", "nokey"],
        &["config", "get", "maxmemory"],
        &["command", "count"],
        &["echo", "x"],
        &["exists", "a", "b", "c"],
    ];
    for line in fine {
        let argv = words(line);
        assert!(table::resolve(&argv).is_ok(), "{line:?}");
        let theirs = c.call(line);
        if let V::Error(e) = &theirs {
            assert!(!e.starts_with("ERR unknown") && !e.starts_with("ERR wrong number"), "{line:?}: {e}");
        }
    }
}

/// Random command lines (seeded, so reproducible) built from every command
/// name and words that steer the extractors: GETKEYS and GETKEYSANDFLAGS must
/// agree with Redis on all of them, errors included.
#[test]
fn command_getkeys_matches_redis_on_random_lines() {
    use rand::{Rng, SeedableRng};
    let server = Server::start();
    let mut c = server.client(Protocol::Resp3);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut names: Vec<Vec<&str>> = Vec::new();
    for cmd in table::all() {
        names.push(vec![cmd.name]);
        for s in cmd.subcommands {
            names.push(vec![cmd.name, s.name]);
        }
    }
    let pool = [
        "k",
        "0",
        "1",
        "2",
        "3",
        "-1",
        "01",
        " 2",
        "4294967297",
        "store",
        "STORE",
        "storedist",
        "keys",
        "KEYS",
        "streams",
        "STREAMS",
        "get",
        "set",
        "by",
        "limit",
        "count",
        "block",
        "group",
        "noack",
        "",
        "auth",
        "auth2",
        "copy",
        "replace",
        "withdist",
        "x",
        "overflow",
        "incrby",
        "u8",
        "weights",
    ];
    for _ in 0..3000 {
        let mut line: Vec<&str> = names[rng.gen_range(0..names.len())].clone();
        for _ in 0..rng.gen_range(0..9) {
            line.push(pool[rng.gen_range(0..pool.len())]);
        }
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let mut full = vec!["COMMAND", sub];
            full.extend(line.iter());
            let theirs = c.call(&full);
            assert_eq!(ours(&words(&full[1..]), Protocol::Resp3), theirs, "COMMAND {sub} {line:?}");
        }
    }
}

/// Random command lines checked inside MULTI, where Redis rejects unknown
/// commands and wrong arity exactly as outside but only queues the rest (never
/// runs it): `resolve` must give Redis's error, or accept what Redis queues.
#[test]
fn resolve_matches_redis_on_random_lines() {
    use rand::{Rng, SeedableRng};
    let server = Server::start();
    let mut c = server.client(Protocol::Resp2);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // These act immediately even inside MULTI.
    let immediate = ["exec", "discard", "multi", "watch", "quit", "reset"];
    let mut names: Vec<String> = vec!["nope".into(), "get_".into(), "".into(), "client|kill".into()];
    for cmd in table::all().iter().filter(|c| !immediate.contains(&c.name)) {
        names.push(cmd.name.to_string());
        names.extend(cmd.subcommands.iter().map(|s| format!("{} {}", cmd.name, s.name)));
        if cmd.is_container() {
            names.push(format!("{} nope", cmd.name));
        }
    }
    assert_eq!(c.call(&["MULTI"]), V::Simple("OK".into()));
    for _ in 0..3000 {
        let name = &names[rng.gen_range(0..names.len())];
        let mut line: Vec<String> = name
            .split(' ')
            .map(|w| w.chars().map(|ch| if rng.gen_bool(0.5) { ch.to_ascii_uppercase() } else { ch }).collect())
            .collect();
        for _ in 0..rng.gen_range(0..6) {
            line.push(["a", "1", "x y", ""][rng.gen_range(0..4)].to_string());
        }
        let argv: Vec<Bytes> = line.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        let theirs = c.call_bytes(&argv);
        match table::resolve(&argv) {
            Err(e) => assert_eq!(V::Error(e.text().to_string()), theirs, "{line:?}"),
            Ok(spec) => match &theirs {
                V::Simple(q) if q == "QUEUED" => {}
                V::Error(e) if !e.starts_with("ERR unknown") && !e.starts_with("ERR wrong number") => {}
                other => panic!("{line:?} resolved to {} but Redis said {other:?}", spec.fullname),
            },
        }
    }
    assert!(matches!(c.call(&["DISCARD"]), V::Simple(_)));
}
