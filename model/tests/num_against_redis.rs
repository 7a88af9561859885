//! Checks number formats and glob matching against a real redis-server 7.0,
//! which each test starts on a free port (see `support`).

mod support;

use redsim_model::glob::glob_match;
use redsim_model::num::{fmt_g17, parse_f64, LongDouble};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

#[derive(Debug, PartialEq)]
enum Reply {
    Ok(Vec<u8>),
    Err(String),
    Int(i64),
    Nil,
    Array(Vec<Reply>),
}

struct Conn {
    out: TcpStream,
    inp: BufReader<TcpStream>,
}

impl Conn {
    fn open(server: &support::RealRedis) -> Conn {
        let out = TcpStream::connect(("127.0.0.1", server.port)).expect("connect to redis-server");
        let inp = BufReader::new(out.try_clone().expect("clone"));
        Conn { out, inp }
    }

    fn cmd(&mut self, args: &[&[u8]]) -> Reply {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.out.write_all(&buf).expect("write");
        self.read()
    }

    fn line(&mut self) -> Vec<u8> {
        let mut l = Vec::new();
        self.inp.read_until(b'\n', &mut l).expect("read");
        l.truncate(l.len().saturating_sub(2));
        l
    }

    fn read(&mut self) -> Reply {
        let l = self.line();
        let rest = String::from_utf8_lossy(&l[1..]).to_string();
        match l[0] {
            b'+' => Reply::Ok(l[1..].to_vec()),
            b'-' => Reply::Err(rest),
            b':' => Reply::Int(rest.parse().expect("int")),
            b'$' => {
                let n: i64 = rest.parse().expect("len");
                if n < 0 {
                    return Reply::Nil;
                }
                let mut body = vec![0; n as usize + 2];
                self.inp.read_exact(&mut body).expect("body");
                body.truncate(n as usize);
                Reply::Ok(body)
            }
            b'*' => {
                let n: i64 = rest.parse().expect("len");
                Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
            }
            other => panic!("unexpected reply type {other}"),
        }
    }
}

/// splitmix64: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick(&mut self, set: &[u8], max_len: u64) -> Vec<u8> {
        let n = self.below(max_len + 1);
        (0..n).map(|_| set[self.below(set.len() as u64) as usize]).collect()
    }

    fn decimal(&mut self) -> String {
        let mut s = String::new();
        match self.below(4) {
            0 => s.push('-'),
            1 if self.below(4) == 0 => s.push('+'),
            _ => {}
        }
        let int = self.below(12);
        for _ in 0..int {
            s.push((b'0' + self.below(10) as u8) as char);
        }
        let frac = self.below(20);
        if frac > 0 || int == 0 {
            s.push('.');
            for _ in 0..frac.max(1) {
                s.push((b'0' + self.below(10) as u8) as char);
            }
        }
        if self.below(4) == 0 {
            let e = self.below(60) as i64 - 30;
            s.push_str(&format!("e{e}"));
        }
        s
    }
}

fn vector_inputs(name: &str) -> Vec<String> {
    let path = format!("{}/tests/data/num/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines().map(|l| l.split('\t').next().unwrap_or("").to_string()).collect()
}

/// What redsim should reply to `SET k a` + `INCRBYFLOAT k b`.
fn model_incrbyfloat(a: &str, b: &str) -> Reply {
    let (Some(x), Some(y)) = (LongDouble::parse(a.as_bytes()), LongDouble::parse(b.as_bytes())) else {
        return Reply::Err("ERR value is not a valid float".to_string());
    };
    let sum = x.add(y);
    if !sum.is_finite() {
        return Reply::Err("ERR increment would produce NaN or Infinity".to_string());
    }
    Reply::Ok(sum.to_human_string().into_bytes())
}

#[test]
fn incrbyfloat_matches_redis() {
    let server = support::RealRedis::start();
    let mut c = Conn::open(&server);
    c.cmd(&[b"FLUSHALL"]);
    let mut rng = Rng(7);
    let mut pairs: Vec<(String, String)> = (0..1500).map(|_| (rng.decimal(), rng.decimal())).collect();
    let adds = format!("{}/tests/data/num/ld_add.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(adds).expect("ld_add.txt");
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        pairs.push((f[0].to_string(), f[1].to_string()));
    }
    let mut failures = Vec::new();
    for (a, b) in &pairs {
        c.cmd(&[b"SET", b"k", a.as_bytes()]);
        let got = c.cmd(&[b"INCRBYFLOAT", b"k", b.as_bytes()]);
        let want = model_incrbyfloat(a, b);
        if got != want {
            failures.push(format!("{a} + {b}: redis {got:?}, model {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        pairs.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn zadd_zscore_match_redis() {
    let server = support::RealRedis::start();
    let mut c = Conn::open(&server);
    c.cmd(&[b"FLUSHALL"]);
    // The skiplist encoding keeps the double itself (a listpack would store
    // "-0" as 0).
    c.cmd(&[b"CONFIG", b"SET", b"zset-max-listpack-entries", b"0"]);
    let mut inputs = vector_inputs("f64_parse.txt");
    let mut rng = Rng(11);
    inputs.extend((0..2000).map(|_| rng.decimal()));
    let mut failures = Vec::new();
    for x in &inputs {
        c.cmd(&[b"DEL", b"z"]);
        let added = c.cmd(&[b"ZADD", b"z", x.as_bytes(), b"m"]);
        let got = match added {
            Reply::Int(1) => c.cmd(&[b"ZSCORE", b"z", b"m"]),
            other => other,
        };
        let want = match parse_f64(x.as_bytes()) {
            None => Reply::Err("ERR value is not a valid float".to_string()),
            Some(v) => Reply::Ok(fmt_g17(v).into_bytes()),
        };
        if got != want {
            failures.push(format!("{x:?}: redis {got:?}, model {want:?}"));
        }
    }
    c.cmd(&[b"CONFIG", b"SET", b"zset-max-listpack-entries", b"128"]);
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        inputs.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

const PATTERN_BYTES: &[u8] = b"ab*?[]^-\\A\xe9z";
const KEY_BYTES: &[u8] = b"abA-]\\*z\xe9[";

#[test]
fn keys_match_redis() {
    let server = support::RealRedis::start();
    let mut c = Conn::open(&server);
    c.cmd(&[b"FLUSHALL"]);
    let mut rng = Rng(3);
    let mut keys: Vec<Vec<u8>> = (0..400).map(|_| rng.pick(KEY_BYTES, 6)).collect();
    keys.push(b"".to_vec());
    keys.sort();
    keys.dedup();
    for k in &keys {
        c.cmd(&[b"SET", k, b"v"]);
    }
    let mut patterns: Vec<Vec<u8>> = (0..3000).map(|_| rng.pick(PATTERN_BYTES, 8)).collect();
    // Star nesting around Redis's limit of 1000.
    for n in [999usize, 1000, 1001, 1002] {
        patterns.push(format!("{}b", "*a".repeat(n)).into_bytes());
        patterns.push(format!("{}*", "a*".repeat(n)).into_bytes());
    }
    let long_key = "ab".repeat(1100).into_bytes();
    c.cmd(&[b"SET", &long_key, b"v"]);
    keys.push(long_key);
    let mut failures = Vec::new();
    for p in &patterns {
        // KEYS treats the one-byte pattern "*" as "everything" without
        // matching (so it also returns the empty key); glob_match does not.
        if p == b"*" {
            continue;
        }
        let Reply::Array(items) = c.cmd(&[b"KEYS", p]) else { panic!("KEYS reply") };
        let mut got: Vec<Vec<u8>> = items
            .into_iter()
            .map(|r| match r {
                Reply::Ok(b) => b,
                other => panic!("{other:?}"),
            })
            .collect();
        got.sort();
        let mut want: Vec<Vec<u8>> = keys.iter().filter(|k| glob_match(p, k, false)).cloned().collect();
        want.sort();
        if got != want {
            failures.push(format!(
                "{:?}: redis {:?}, model {:?}",
                String::from_utf8_lossy(p),
                got.iter().map(|k| String::from_utf8_lossy(k).to_string()).collect::<Vec<_>>(),
                want.iter().map(|k| String::from_utf8_lossy(k).to_string()).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        patterns.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

/// CONFIG GET matches parameter names case-insensitively.
#[test]
fn config_get_nocase_matches_redis() {
    let server = support::RealRedis::start();
    let mut c = Conn::open(&server);
    let names = |r: Reply| -> Vec<Vec<u8>> {
        let Reply::Array(items) = r else { panic!("CONFIG GET reply") };
        let mut v: Vec<Vec<u8>> = items
            .into_iter()
            .step_by(2)
            .map(|r| match r {
                Reply::Ok(b) => b,
                other => panic!("{other:?}"),
            })
            .collect();
        v.sort();
        v
    };
    let all = names(c.cmd(&[b"CONFIG", b"GET", b"*"]));
    assert!(all.len() > 100);
    let mut rng = Rng(5);
    let alphabet = b"MmAaXx-*?[]^\\Z_e";
    let mut patterns: Vec<Vec<u8>> = (0..2000).map(|_| rng.pick(alphabet, 7)).collect();
    for p in ["*MAX*", "[A-Z]*", "[a-Z]*", "[^M]*", "*[_-]*", "\\M*", "[\\M]*", "[\\m]*", "MAXMEMORY", "*-[A-C]*"] {
        patterns.push(p.as_bytes().to_vec());
    }
    let mut failures = Vec::new();
    for p in &patterns {
        // Without any of `[*?` CONFIG GET looks the name up instead of matching.
        if !p.iter().any(|c| b"[*?".contains(c)) {
            continue;
        }
        let got = names(c.cmd(&[b"CONFIG", b"GET", p]));
        let want: Vec<Vec<u8>> = all.iter().filter(|n| glob_match(p, n, true)).cloned().collect();
        if got != want {
            failures.push(format!("{:?}: redis {} names, model {}", String::from_utf8_lossy(p), got.len(), want.len()));
        }
    }
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures[..failures.len().min(10)].join("\n"));
}
