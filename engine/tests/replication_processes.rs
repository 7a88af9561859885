//! Three redsim-server processes replicating: a master, a replica of it and a
//! replica of that replica. Under a steady stream of writes the replicas are
//! killed and restarted and the master's link to its replica is cut; once the
//! writes stop, every process must hold the master's dataset.

mod persistence_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use persistence_support::{digest, free_port, fresh_dir, serves, write_mixed_dataset, Client, Reply, Rng, REDSIM};

/// One redsim-server process on a fixed port (so that its replicas find it
/// again after a restart), killed when dropped.
struct Proc {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    args: Vec<String>,
}

impl Proc {
    fn start(dir: &Path, port: u16, args: &[&str]) -> Proc {
        let mut p =
            Proc { child: None, port, dir: dir.to_path_buf(), args: args.iter().map(|a| a.to_string()).collect() };
        p.spawn();
        p
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path()).unwrap();
        let child = Command::new(REDSIM)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--dir"])
            .arg(&self.dir)
            .args(["--enable-debug-command", "yes", "--save", "", "--repl-diskless-sync-delay", "0"])
            .args(&self.args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("redsim-server starts");
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !serves(self.port, pid) {
            assert!(Instant::now() < deadline, "redsim-server did not start:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join(format!("redsim-{}.log", self.port))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    fn client(&self) -> Client {
        Client::try_connect(self.port).expect("connects")
    }

    fn info(&self, field: &str) -> Option<String> {
        let text = self.client().cmd(&["INFO", "replication"]).text();
        text.lines().find_map(|l| l.strip_prefix(&format!("{field}:")).map(|v| v.trim().to_string()))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Waits until `ok` holds, failing with `what` and the logs after 20 s.
fn eventually(what: &str, procs: &[&Proc], mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        if Instant::now() > deadline {
            let logs: Vec<String> = procs.iter().map(|p| format!("--- port {}\n{}", p.port, p.log())).collect();
            panic!("timed out waiting for {what}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn replicas_converge_on_the_master_through_kills_and_cut_links() {
    let root = fresh_dir("repl-procs");
    let dirs: Vec<PathBuf> = (0..3).map(|i| root.join(format!("n{i}"))).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let master = Proc::start(&dirs[0], ports[0], &[]);
    let mut c = master.client();
    write_mixed_dataset(&mut c, &mut Rng(7), 300);
    let mut replica = Proc::start(&dirs[1], ports[1], &["--replicaof", "127.0.0.1", &ports[0].to_string()]);
    let mut chained = Proc::start(&dirs[2], ports[2], &["--replicaof", "127.0.0.1", &ports[1].to_string()]);
    eventually("both links up", &[&master, &replica, &chained], || {
        replica.info("master_link_status").as_deref() == Some("up")
            && chained.info("master_link_status").as_deref() == Some("up")
    });

    // A writer keeps going while the replicas suffer.
    let stop = Arc::new(AtomicBool::new(false));
    let port = master.port;
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut c = Client::try_connect(port).unwrap();
            let mut rng = Rng(99);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let k = format!("w{}", rng.below(500));
                let r = match n % 4 {
                    0 => c.cmd(&["SET", &k, &n.to_string()]),
                    1 => c.cmd(&["RPUSH", &format!("list{}", rng.below(20)), &n.to_string()]),
                    2 => c.cmd(&["INCR", &format!("ctr{}", rng.below(20))]),
                    _ => c.cmd(&["DEL", &k]),
                };
                assert!(!matches!(r, Reply::Error(_)), "{r:?}");
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    replica.restart();
    std::thread::sleep(Duration::from_millis(300));
    let killed = master.client().cmd(&["CLIENT", "KILL", "TYPE", "replica"]).int();
    assert!(killed <= 1, "one replica at most: {killed}");
    std::thread::sleep(Duration::from_millis(300));
    chained.restart();
    std::thread::sleep(Duration::from_millis(300));
    replica.client().cmd(&["CLIENT", "KILL", "TYPE", "master"]);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().expect("the writer never saw an error");
    assert!(writes > 100, "the writer wrote {writes} commands");

    let want = digest(&mut master.client());
    eventually("every replica holds the master's dataset", &[&master, &replica, &chained], || {
        digest(&mut replica.client()) == want && digest(&mut chained.client()) == want
    });
    let offset = master.info("master_repl_offset");
    eventually("the offsets agree", &[&master, &replica, &chained], || {
        master.info("master_repl_offset") == replica.info("master_repl_offset")
            && replica.info("master_repl_offset") == chained.info("master_repl_offset")
    });
    assert!(offset.is_some());
    assert!(replica.log().contains("MASTER <-> REPLICA sync: Finished with success"));
    let _ = std::fs::remove_dir_all(&root);
}
