//! A real redis-server for tests that compare with it: started on a free
//! loopback port, killed on drop. A missing redis-server fails the test (CI
//! installs Redis 7.0; skipping would hide the comparison).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RealRedis {
    child: Child,
    pub port: u16,
}

impl RealRedis {
    pub fn start() -> RealRedis {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free local port");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server (Redis 7.0 must be installed for this test): {e}")
            });
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
