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

    /// Starts a server with extra command-line directives, on a port found
    /// free. The port can be taken again before the child binds it, and a
    /// connect to a port nobody listens on can connect to itself (TCP
    /// simultaneous open), so the server counts as started only once INFO on
    /// the port reports the child's own process id.
    pub fn start_with(extra: &[&str]) -> RealRedis {
        for _ in 0..5 {
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
                .unwrap_or_else(|e| {
                    panic!("cannot start redis-server (Redis 7.0 must be installed for this test): {e}")
                });
            let mut server = RealRedis { child, port };
            if server.wait_until_serving() {
                return server;
            }
        }
        panic!("redis-server did not start: five ports in a row were taken or it exited at once");
    }

    /// True once the child answers on its port; false if it exited (its
    /// port was taken).
    fn wait_until_serving(&mut self) -> bool {
        let pid_line = format!("process_id:{}\r\n", self.child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let mut conn = RealConn { stream, buf: Vec::new() };
                if let Ok(redsim_model::Frame::Bulk(info)) = conn.try_call(&["INFO", "server"]) {
                    if String::from_utf8_lossy(&info).contains(&pid_line) {
                        return true;
                    }
                }
            }
            assert!(Instant::now() < deadline, "redis-server did not start listening on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
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
        self.try_call(argv).unwrap_or_else(|e| panic!("redis-server did not answer: {e}"))
    }

    /// One command and its reply; an error if the peer went away or did not
    /// answer in RESP.
    fn try_call<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<redsim_model::Frame> {
        use std::io::{Error, ErrorKind, Read, Write};
        let argv: Vec<bytes::Bytes> = argv.iter().map(|a| bytes::Bytes::copy_from_slice(a.as_ref())).collect();
        let mut out = Vec::new();
        redsim_model::resp::encode_request(&argv, &mut out);
        self.stream.write_all(&out)?;
        loop {
            let parsed = redsim_model::resp::parse_reply(&self.buf)
                .map_err(|e| Error::new(ErrorKind::InvalidData, format!("not a RESP reply: {e:?}")))?;
            if let Some((frame, used)) = parsed {
                self.buf.drain(..used);
                return Ok(frame);
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
