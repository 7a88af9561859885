//! Shared by the persistence tests: redsim-server and real redis-server as
//! processes in a directory of their own, and a tiny RESP client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REDSIM: &str = env!("CARGO_BIN_EXE_redsim-server");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether the process `pid` serves on `port`, done loading (PING answers
/// PONG). A connect to a port nobody listens on can connect to itself (TCP
/// simultaneous open) and another test's server may hold the port, so an
/// answer is not enough: INFO must report the process id.
pub fn serves(port: u16, pid: u32) -> bool {
    let Ok(mut c) = Client::try_connect(port) else { return false };
    let _ = c.writer.set_read_timeout(Some(Duration::from_secs(2)));
    let ours = match c.try_cmd(&["INFO", "server"]) {
        Ok(Reply::Bulk(Some(info))) => String::from_utf8_lossy(&info).contains(&format!("process_id:{pid}\r\n")),
        _ => false,
    };
    ours && matches!(c.try_cmd(&["PING"]), Ok(Reply::Status(s)) if s == "PONG")
}

/// A fresh, empty directory under the system's temp dir.
/// Polls `done` every 50 ms; fails the test after 30 s.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Which server a test runs: the same script against both compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Redsim,
    Redis,
}

/// A server of `kind` in `dir` with `args`, saving nothing on its own.
pub fn start(kind: Kind, dir: &Path, args: &[&str]) -> Server {
    let mut all = vec!["--save", ""];
    all.extend_from_slice(args);
    match kind {
        Kind::Redsim => Server::redsim(dir, &all),
        Kind::Redis => Server::redis(dir, &all),
    }
}

/// A server process, killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Server {
    /// redsim-server in `dir` with `args`, once it accepts connections and answers PING.
    pub fn redsim(dir: &Path, args: &[&str]) -> Server {
        Server::spawn(REDSIM, dir, args)
    }

    /// The real redis-server (must be installed: its absence fails the test).
    pub fn redis(dir: &Path, args: &[&str]) -> Server {
        Server::spawn("redis-server", dir, args)
    }

    /// Starts `bin` on a port found free. That port can be taken again
    /// before the child binds it: a child that exits at startup saying so is
    /// started again on another port.
    fn spawn(bin: &str, dir: &Path, args: &[&str]) -> Server {
        for _ in 0..5 {
            let port = free_port();
            let log = dir.join(format!("{}-{port}.log", if bin == REDSIM { "redsim" } else { "redis" }));
            let logfile = std::fs::File::create(&log).unwrap();
            let child = Command::new(bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
                .arg(dir)
                .args(["--enable-debug-command", "yes"])
                .args(args)
                .current_dir(dir)
                .stdout(logfile.try_clone().unwrap())
                .stderr(logfile)
                .stdin(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{bin} must be installed for this test: {e}"));
            let mut s = Server { child: Some(child), port, log };
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let child = s.child.as_mut().unwrap();
                if serves(port, child.id()) {
                    return s;
                }
                if let Some(status) = child.try_wait().unwrap() {
                    let log = s.log_text();
                    if log.contains("in use") {
                        break;
                    }
                    panic!("{bin} exited with {status} at startup; log:\n{log}");
                }
                assert!(Instant::now() < deadline, "{bin} did not start; log:\n{}", s.log_text());
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("{bin}: five ports in a row were taken before it could bind them");
    }

    pub fn client(&self) -> Client {
        Client::try_connect(self.port).expect("connects")
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, as a crash: nothing is flushed.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SHUTDOWN with `flags`, then waits for the process to exit.
    pub fn shutdown(&mut self, flags: &[&str]) {
        let mut words = vec!["SHUTDOWN"];
        words.extend_from_slice(flags);
        let mut c = self.client();
        let _ = c.send_only(&words);
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "server did not exit after SHUTDOWN");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A RESP reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Reply::Status(s) | Reply::Error(s) => s.clone(),
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        }
    }
}

pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    pub fn try_connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Client { reader: BufReader::new(s.try_clone()?), writer: s })
    }

    /// The connection itself, for a test that reads raw bytes.
    pub fn into_stream(self) -> TcpStream {
        self.writer
    }

    pub fn send_only(&mut self, words: &[&str]) -> std::io::Result<()> {
        let mut buf = format!("*{}\r\n", words.len()).into_bytes();
        for w in words {
            buf.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
            buf.extend_from_slice(w.as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&buf)
    }

    /// One command and its reply; an I/O error if the server went away.
    pub fn try_cmd(&mut self, words: &[&str]) -> std::io::Result<Reply> {
        self.send_only(words)?;
        self.read_reply()
    }

    pub fn cmd(&mut self, words: &[&str]) -> Reply {
        match self.try_cmd(words) {
            Ok(r) => r,
            Err(e) => panic!("{words:?}: the server did not answer: {e}"),
        }
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        }
        Ok(line.trim_end_matches("\r\n").to_string())
    }

    pub fn read_reply(&mut self) -> std::io::Result<Reply> {
        let line = self.line()?;
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad reply");
        let (kind, rest) = line.split_at(1);
        Ok(match kind {
            "+" => Reply::Status(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().map_err(|_| bad())?),
            "$" => {
                let n: i64 = rest.parse().map_err(|_| bad())?;
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut b = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut b)?;
                    b.truncate(n as usize);
                    Reply::Bulk(Some(b))
                }
            }
            "*" => {
                let n: i64 = rest.parse().map_err(|_| bad())?;
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let mut v = Vec::new();
                    for _ in 0..n {
                        v.push(self.read_reply()?);
                    }
                    Reply::Array(Some(v))
                }
            }
            _ => return Err(bad()),
        })
    }
}

/// A small deterministic generator (xorshift), so the tests replay from their seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Fills the server with every type, several databases and expire times.
pub fn write_mixed_dataset(c: &mut Client, rng: &mut Rng, n: usize) {
    for i in 0..n {
        let db = (i % 3).to_string();
        c.cmd(&["SELECT", &db]);
        let k = format!("k{i}");
        let v = format!("{}-{}", "v".repeat((rng.below(80)) as usize), rng.next());
        let r = match i % 7 {
            0 => c.cmd(&["SET", &k, &v]),
            1 => c.cmd(&["RPUSH", &k, &v, "b", "c", &i.to_string()]),
            2 => c.cmd(&["HSET", &k, "f1", &v, "f2", "2"]),
            3 => c.cmd(&["SADD", &k, "m1", &v, &i.to_string()]),
            4 => c.cmd(&["ZADD", &k, "1.5", "a", &format!("{}", rng.below(1000)), &v]),
            5 => c.cmd(&["SET", &k, &i.to_string(), "EX", "100000"]),
            _ => c.cmd(&["INCRBY", &k, &rng.below(1000).to_string()]),
        };
        assert!(!matches!(r, Reply::Error(_)), "{r:?}");
    }
    c.cmd(&["SELECT", "0"]);
    // Big collections take the non-listpack encodings.
    for j in 0..300 {
        c.cmd(&["HSET", "bighash", &format!("field{j}"), &j.to_string()]);
        c.cmd(&["ZADD", "bigzset", &j.to_string(), &format!("m{j}")]);
        c.cmd(&["SADD", "bigset", &format!("s{j}")]);
        c.cmd(&["SADD", "intset", &j.to_string()]);
    }
}

pub fn digest(c: &mut Client) -> String {
    c.cmd(&["DEBUG", "DIGEST"]).text()
}
