//! The `redsim-server` binary as a process: started on a free port, spoken to
//! with a tiny std::net client and with the real redis-cli and
//! redis-benchmark (which must be installed: their absence fails the tests).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redsim-server");

/// A running server, killed when dropped.
struct Server {
    child: Option<Child>,
    port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Starts the binary with `args` (a config file path may come first) and
    /// waits until it accepts connections on `port`.
    fn start_with(args: &[String], port: u16) -> Server {
        // Each server runs in a directory of its own: with Redis's default save
        // points a SIGTERM writes dump.rdb there, and a later start would load it.
        let dir = std::env::temp_dir().join(format!("redsim-proc-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(BIN)
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("redsim-server starts");
        let mut server = Server { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(20);
        // Listening comes before loading, as in Redis: wait until PING is
        // answered with PONG (a connect to a port nobody listens on can
        // connect to itself and read its own PING back).
        loop {
            assert!(Instant::now() < deadline, "server did not start serving on {port}");
            if let Some(status) = server.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("redsim-server exited with {status} at startup (port {port} taken?)");
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut buf = [0u8; 64];
                let pong =
                    s.write_all(b"PING\r\n").is_ok() && s.read(&mut buf).is_ok_and(|n| buf[..n].starts_with(b"+PONG"));
                if pong {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn start() -> Server {
        let port = free_port();
        Server::start_with(&["--port".into(), port.to_string()], port)
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// redis-cli against this server; the test fails if redis-cli is missing.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli must be installed for these tests");
        assert!(out.status.success(), "redis-cli {args:?} failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Sends SIGTERM and waits for the process to end.
    fn terminate(mut self) -> Output {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }

    /// Waits for the process to end by itself; returns its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let child = self.child.as_mut().expect("running");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends raw bytes and reads until `expect_len` bytes arrived or the peer closed.
fn exchange(s: &mut TcpStream, send: &[u8], expect: &str) -> String {
    s.write_all(send).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < expect.len() {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Whether the server closed the connection (read returns 0).
fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(0))
}

#[test]
fn std_client_speaks_resp_with_pipelining() {
    let server = Server::start();
    let mut s = server.connect();
    let want = "+OK\r\n$3\r\nbar\r\n:1\r\n";
    assert_eq!(exchange(&mut s, b"SET foo bar\r\n*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\nEXPIRE foo 100\r\n", want), want);
    let want = "+PONG\r\n";
    assert_eq!(exchange(&mut s, b"PING\r\n", want), want);
}

#[test]
fn redis_cli_works_against_the_server() {
    let server = Server::start();
    assert_eq!(server.cli(&["SET", "k1", "v1"]), "OK");
    assert_eq!(server.cli(&["GET", "k1"]), "v1");
    assert_eq!(server.cli(&["EXPIRE", "k1", "100"]), "1");
    let ttl: i64 = server.cli(&["TTL", "k1"]).parse().unwrap();
    assert!((99..=100).contains(&ttl));
    for i in 0..20 {
        server.cli(&["SET", &format!("key:{i}"), "x"]);
    }
    let mut keys: Vec<String> = server.cli(&["--scan", "--pattern", "key:*"]).lines().map(String::from).collect();
    keys.sort();
    assert_eq!(keys.len(), 20);
    let info = server.cli(&["INFO", "server"]);
    assert!(info.contains("redis_version:7.0.15"), "{info}");
    assert!(info.contains(&format!("tcp_port:{}", server.port)));
    assert!(server.cli(&["INFO", "keyspace"]).contains("db0:keys=21,expires=1"));
    let docs = server.cli(&["COMMAND", "DOCS", "get"]);
    assert!(docs.starts_with("get") && docs.contains("arguments"), "{docs}");
    // As redis-cli prints a RESP3 map when not on a terminal (checked against Redis 7.0.15).
    assert_eq!(
        server.cli(&["-3", "HELLO", "3"]).lines().take(2).collect::<Vec<_>>(),
        ["server redis", "version 7.0.15"]
    );
}

#[test]
fn config_file_with_command_line_override() {
    let dir = std::env::temp_dir().join(format!("redsim-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("redis.conf");
    let port = free_port();
    std::fs::write(&file, "# test config\nport 1\nhz 7\nmaxmemory 2mb\n").unwrap();
    let server = Server::start_with(&[file.display().to_string(), "--port".into(), port.to_string()], port);
    assert_eq!(server.cli(&["CONFIG", "GET", "hz"]), "hz\n7");
    assert_eq!(server.cli(&["CONFIG", "GET", "maxmemory"]), "maxmemory\n2097152");
    assert_eq!(server.cli(&["CONFIG", "GET", "port"]), format!("port\n{port}"));
    assert!(server.cli(&["INFO", "server"]).contains(&format!("config_file:{}", file.display())));
    assert_eq!(server.cli(&["CONFIG", "SET", "hz", "15"]), "OK");
    assert_eq!(server.cli(&["CONFIG", "REWRITE"]), "OK");
    std::thread::sleep(Duration::from_millis(200));
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert!(rewritten.contains("# test config\n") && rewritten.contains("hz 15\n"), "{rewritten}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_directives_are_fatal_like_redis() {
    let out = Command::new(BIN).args(["--port", "0", "--nosuch", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"), "{err}");
    assert!(err.contains(">>> 'nosuch \"x\"'\nBad directive or wrong number of arguments"), "{err}");
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Redis server v=7.0.15"));
}

#[test]
fn sigterm_exits_cleanly() {
    let server = Server::start();
    assert_eq!(server.cli(&["PING"]), "PONG");
    let out = server.terminate();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("Ready to accept connections"), "{log}");
    assert!(log.contains("Received SIGTERM scheduling shutdown..."), "{log}");
    assert!(log.contains("Redis is now ready to exit, bye bye..."), "{log}");
    assert!(log.contains("seed="), "the seed is logged: {log}");
}

#[test]
fn shutdown_command_stops_the_server() {
    let mut server = Server::start();
    let mut s = server.connect();
    s.write_all(b"SHUTDOWN NOSAVE\r\n").unwrap();
    assert_eq!(server.wait_exit(), Some(0));
}

#[test]
fn redis_benchmark_runs() {
    let server = Server::start();
    let out = Command::new("redis-benchmark")
        .args(["-p", &server.port.to_string(), "-t", "set,get", "-n", "2000", "-q"])
        .output()
        .expect("redis-benchmark must be installed for these tests");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SET: ") && text.contains("GET: "), "{text}");
    assert!(text.contains("requests per second"), "{text}");
}

#[test]
fn malformed_protocol_gets_an_error_and_the_server_keeps_serving() {
    let server = Server::start();
    let mut other = server.connect();
    let mut bad = server.connect();
    let want = "-ERR Protocol error: invalid multibulk length\r\n";
    assert_eq!(exchange(&mut bad, b"*abc\r\n", want), want);
    assert!(closed_by_peer(&mut bad));
    let mut bad = server.connect();
    let want = "-ERR Protocol error: invalid bulk length\r\n";
    assert_eq!(exchange(&mut bad, b"*1\r\n$999999999999\r\n", want), want);
    assert!(closed_by_peer(&mut bad));
    let mut inline = server.connect();
    let want = "-ERR unknown command '$999999999999', with args beginning with: \r\n";
    assert_eq!(exchange(&mut inline, b"$999999999999\r\n", want), want);
    let want = "+PONG\r\n";
    assert_eq!(exchange(&mut other, b"PING\r\n", want), want);
    assert_eq!(server.cli(&["PING"]), "PONG");
}

#[test]
fn too_many_clients_are_refused() {
    let port = free_port();
    let server = Server::start_with(&["--port".into(), port.to_string(), "--maxclients".into(), "1".into()], port);
    // Let the server notice that the readiness probe's connection closed.
    std::thread::sleep(Duration::from_millis(300));
    let mut first = server.connect();
    let want = "+PONG\r\n";
    assert_eq!(exchange(&mut first, b"PING\r\n", want), want);
    let mut second = server.connect();
    let want = "-ERR max number of clients reached\r\n";
    assert_eq!(exchange(&mut second, b"", want), want);
}
