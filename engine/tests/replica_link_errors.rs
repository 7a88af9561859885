//! A replica whose master misbehaves: the same fake master (a thread here
//! that answers the handshake up to a point, then closes the connection)
//! against redis-server and redsim-server as replicas, and the replica's log
//! lines compared. Where the link ends says what Redis logs and whether it
//! reconnects at once ("Reconnecting to MASTER ... after failure") or at its
//! next once-a-second cron ("Connecting to MASTER"). Real `redis-server`
//! must be installed.

mod persistence_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use persistence_support::{fresh_dir, start, wait_for, Kind};

/// How far the fake master goes before it closes the connection.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Reads PING, closes.
    AfterPing,
    /// Answers the handshake, reads PSYNC, closes.
    AfterPsync,
    /// Answers `+FULLRESYNC` and 9 bytes of a 100-byte payload, closes.
    InTransfer,
}

/// Reads whatever arrives within a short while (the replica's next commands).
fn read_some(c: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    matches!(c.read(&mut buf), Ok(n) if n > 0)
}

fn serve(c: &mut TcpStream, mode: Mode) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(2)))?;
    if !read_some(c) {
        return Ok(());
    }
    if let Mode::AfterPing = mode {
        return Ok(());
    }
    c.write_all(b"+PONG\r\n")?;
    // REPLCONF listening-port and capa come pipelined, one read or two.
    let mut answered = 0;
    while answered < 2 && read_some(c) {
        c.write_all(b"+OK\r\n+OK\r\n")?;
        answered = 2;
    }
    if !read_some(c) {
        return Ok(());
    }
    if let Mode::AfterPsync = mode {
        return Ok(());
    }
    c.write_all(b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n$100\r\nREDIS0010")?;
    Ok(())
}

/// A fake master on a free port, serving every connection as `mode` until
/// `stop` is set. Returns its port.
fn fake_master(mode: Mode, stop: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((mut c, _)) => {
                    c.set_nonblocking(false).unwrap();
                    let _ = serve(&mut c, mode);
                    // Whatever is still unread would make the close a reset
                    // ("Connection reset by peer"): read it first.
                    let _ = c.set_read_timeout(Some(Duration::from_millis(100)));
                    while read_some(&mut c) {}
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    port
}

/// The replica's log lines about its master, from its first connection,
/// the first `n` of them, the fake master's port written as PORT.
fn replica_lines(kind: Kind, mode: Mode, n: usize) -> Vec<String> {
    let stop = Arc::new(AtomicBool::new(false));
    let port = fake_master(mode, stop.clone());
    let dir = fresh_dir(&format!("replica-link-{mode:?}-{kind:?}"));
    let replicaof = format!("127.0.0.1 {port}");
    let replica = start(kind, &dir, &["--replicaof", &replicaof]);
    let lines = || -> Vec<String> {
        replica
            .log_text()
            .lines()
            .filter_map(|l| l.split_once(" # ").or_else(|| l.split_once(" * ")).map(|(_, t)| t.to_string()))
            .skip_while(|t| !t.starts_with("Connecting to MASTER"))
            .map(|t| t.replace(&port.to_string(), "PORT"))
            .collect()
    };
    wait_for(&format!("{kind:?} {mode:?}: {n} lines"), || lines().len() >= n);
    stop.store(true, Ordering::Relaxed);
    let seen = lines().into_iter().take(n).collect();
    let _ = std::fs::remove_dir_all(&dir);
    seen
}

fn compare(mode: Mode, n: usize, expected_retry: &str) {
    let redis = replica_lines(Kind::Redis, mode, n);
    let redsim = replica_lines(Kind::Redsim, mode, n);
    assert_eq!(redsim, redis, "{mode:?}");
    assert!(redis.iter().any(|l| l.starts_with(expected_retry)), "{mode:?}: {redis:?}");
}

#[test]
fn a_master_that_closes_after_ping_is_retried_by_the_cron_on_both_servers() {
    compare(Mode::AfterPing, 7, "Connecting to MASTER");
}

#[test]
fn a_master_that_closes_after_psync_is_retried_by_the_cron_on_both_servers() {
    compare(Mode::AfterPsync, 9, "Connecting to MASTER");
}

#[test]
fn a_master_that_closes_during_the_transfer_is_reconnected_at_once_on_both_servers() {
    compare(Mode::InTransfer, 10, "Reconnecting to MASTER 127.0.0.1:PORT after failure");
}
