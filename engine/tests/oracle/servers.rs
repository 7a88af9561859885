//! Spawning and stopping the two servers under comparison.
//!
//! Each [`Server`] owns its child process and a scratch directory; dropping it
//! (also while unwinding from a panic) kills the process and removes the
//! directory, so a failed run leaves nothing behind.

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::client::{Conn, Reply};

/// What to run as the server under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The real Redis: used as the oracle, and as the subject when validating
    /// the harness itself (`REDSIM_ORACLE_TARGET=redis`).
    Redis,
    /// redsim's own binary, built by cargo for this test.
    Redsim,
}

pub struct Server {
    pub name: &'static str,
    pub port: u16,
    child: Child,
    dir: PathBuf,
    log: PathBuf,
}

/// The Redis binary; overridable so a different install can be tried.
fn redis_bin() -> String {
    std::env::var("REDSIM_ORACLE_REDIS_BIN").unwrap_or_else(|_| "redis-server".to_string())
}

/// Fails the test, clearly, unless a Redis 7.0.x server is installed: every
/// comparison rule here assumes 7.0 behaviour.
pub fn check_redis_installed() {
    let bin = redis_bin();
    let out = match Command::new(&bin).arg("--version").output() {
        Ok(out) => out,
        Err(e) => panic!(
            "the oracle test needs a real Redis 7.0 server, but `{bin} --version` could not run ({e}). \
             Install it (Debian: `apt-get install redis-server`) or point REDSIM_ORACLE_REDIS_BIN at it."
        ),
    };
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains(" v=7.0."), "the oracle test needs Redis 7.0.x, but `{bin} --version` says: {text:?}");
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    l.local_addr().unwrap().port()
}

fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!(
        "redsim-oracle-{}-{}-{}-{}",
        std::process::id(),
        tag,
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    ));
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

impl Server {
    /// Starts a server on a fresh loopback port and waits until it answers
    /// PING. Retries a few times because the port found free may be taken
    /// again before the child binds it.
    pub fn start(target: Target, name: &'static str) -> Server {
        let mut last_err = String::new();
        for _ in 0..3 {
            match Server::try_start(target, name) {
                Ok(s) => return s,
                Err(e) => last_err = e,
            }
        }
        panic!("could not start {name} ({target:?}): {last_err}");
    }

    fn try_start(target: Target, name: &'static str) -> Result<Server, String> {
        let port = free_port();
        let dir = scratch_dir(name);
        let log = dir.join("server.log");
        let mut cmd = match target {
            Target::Redis => {
                let mut c = Command::new(redis_bin());
                c.arg("--port").arg(port.to_string());
                c.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
                c.args(["--enable-debug-command", "yes", "--daemonize", "no"]);
                // Blocked clients time out on the server's timer: 10 ms
                // ticks instead of 100 keep blocking tests fast.
                c.args(["--hz", "100"]);
                c.arg("--dir").arg(&dir).arg("--logfile").arg(&log);
                c.stdout(Stdio::null()).stderr(Stdio::null());
                c
            }
            Target::Redsim => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_redsim-server"));
                // The same directives as the oracle, so both accept DEBUG.
                c.arg("--port")
                    .arg(port.to_string())
                    .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                    .args(["--enable-debug-command", "yes", "--daemonize", "no"])
                    .arg("--dir")
                    .arg(&dir);
                // REDSIM_ORACLE_ENGINE=engine puts the optimized engine under test.
                if let Ok(engine) = std::env::var("REDSIM_ORACLE_ENGINE") {
                    c.arg("--engine").arg(engine);
                }
                c.current_dir(&dir);
                let out = fs::File::create(&log).map_err(|e| e.to_string())?;
                let err = out.try_clone().map_err(|e| e.to_string())?;
                c.stdout(out).stderr(err);
                c
            }
        };
        let child = cmd.stdin(Stdio::null()).spawn().map_err(|e| {
            let _ = fs::remove_dir_all(&dir);
            format!("spawn failed: {e}")
        })?;
        let mut server = Server { name, port, child, dir, log };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited during startup with {status}; log:\n{}", self.log_tail()));
            }
            // The port may be another test's server (taken again before the
            // child bound it) or this very socket (a connect to a port nobody
            // listens on can connect to itself): INFO must name the child.
            if let Ok(mut c) = Conn::connect(self.port, Duration::from_secs(2)) {
                let pid_line = format!("process_id:{}\r\n", self.child.id());
                let ours = matches!(c.call(&[b"INFO".to_vec(), b"server".to_vec()]),
                    Ok(Reply::Bulk(info)) if String::from_utf8_lossy(&info).contains(&pid_line));
                if ours && matches!(c.call(&[b"PING".to_vec()]), Ok(Reply::Simple(s)) if s == b"PONG") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("no PONG within 15s; log:\n{}", self.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The last lines the server logged, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Whether the process is still running (a crash shows up here).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
