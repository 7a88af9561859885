//! A real redis-server for tests that compare with it: started on a free
//! loopback port, killed on drop. A missing redis-server fails the test (CI
//! installs Redis 7.0; skipping would hide the comparison).

#![allow(dead_code)] // each test crate uses a different part

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RealRedis {
    child: Child,
    pub port: u16,
}

impl RealRedis {
    pub fn start() -> RealRedis {
        RealRedis::start_with(&[])
    }

    /// Starts a server with extra command-line directives.
    pub fn start_with(extra: &[&str]) -> RealRedis {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free local port");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server (Redis 7.0 must be installed for this test): {e}"));
        let server = RealRedis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking connection to the real server, speaking RESP2 through the
/// model's own codec.
pub struct RealConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RealRedis {
    pub fn connect(&self) -> RealConn {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis-server");
        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
        RealConn { stream, buf: Vec::new() }
    }
}

impl RealConn {
    pub fn call<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> redsim_model::Frame {
        use std::io::{Read, Write};
        let argv: Vec<bytes::Bytes> = argv.iter().map(|a| bytes::Bytes::copy_from_slice(a.as_ref())).collect();
        let mut out = Vec::new();
        redsim_model::resp::encode_request(&argv, &mut out);
        self.stream.write_all(&out).expect("write to redis-server");
        loop {
            if let Some((frame, used)) = redsim_model::resp::parse_reply(&self.buf).expect("valid reply") {
                self.buf.drain(..used);
                return frame;
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read from redis-server");
            assert!(n > 0, "redis-server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
