//! Running a blocking scenario (see `generate/blocking.rs`): blocking
//! commands are sent without reading; the harness polls INFO clients until
//! both servers report them blocked, acts, then reads each reply with a
//! deadline. A subject that does not answer in time is a mismatch, and its
//! connection is replaced so the seed can go on.

use std::collections::BTreeMap;
use std::io;
use std::time::{Duration, Instant};

use super::client::Reply;
use super::compare::{compare, show_args, show_reply, Check};
use super::generate::{cmd, Cmd, Scenario, Step, BLOCK_SLOTS, PUSHER_CONN};
use super::seed::{connect, now_ms, Abort, SeedRun, REPLY_TIMEOUT};

/// How long both servers get to report a client blocked (or gone).
const BLOCK_WAIT: Duration = Duration::from_secs(3);

fn blocked_clients(info: &Reply) -> Option<usize> {
    let text = match info {
        Reply::Bulk(t) | Reply::Verbatim(_, t) => t,
        _ => return None,
    };
    String::from_utf8_lossy(text)
        .lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
}

impl SeedRun<'_> {
    pub fn run_scenario(&mut self, s: Scenario) -> Result<(), Abort> {
        // The blocking command each connection waits on, and when it was sent.
        let mut pending: BTreeMap<usize, (Cmd, i64)> = BTreeMap::new();
        for step in s.steps {
            match step {
                Step::Run(c) => {
                    self.run_cmd(&c)?;
                }
                Step::Block(c) => {
                    if self.settings.trace {
                        eprintln!(
                            "[{} #{} c{}] {}  (blocking, reply read later)",
                            self.seed,
                            self.index,
                            c.conn,
                            show_args(&c.args)
                        );
                    }
                    let t0 = now_ms();
                    let (a, b) = &mut self.conns[c.conn];
                    let (sa, sb) = (a.send(&c.args), b.send(&c.args));
                    if let Err(e) = sa {
                        self.fail_oracle(&show_args(&c.args), e);
                    }
                    if let Err(e) = sb {
                        return Err(self.fail_subject(&c.label, c.conn, show_args(&c.args), e));
                    }
                    pending.insert(c.conn, (c, t0));
                }
                Step::Blocked(n) => self.wait_blocked(n, s.name)?,
                Step::Expect { conn, ms } => {
                    if let Some((c, t0)) = pending.remove(&conn) {
                        self.expect(&c, t0, ms)?;
                    }
                }
                Step::Unblock { conn, mode } => self.unblock(conn, mode)?,
                Step::Disconnect(conn) => {
                    if pending.remove(&conn).is_some() {
                        self.report.cover("blocked client disconnected");
                    }
                    self.reset_conn(conn);
                }
            }
        }
        // A script that left a client blocked: start that slot afresh.
        for conn in pending.into_keys() {
            self.reset_conn(conn);
        }
        Ok(())
    }

    /// Replaces a slot's connections on both servers (closing the old ones).
    pub fn reset_conn(&mut self, conn: usize) {
        self.conns[conn] = (connect(&self.oracle), connect(&self.subject));
        if BLOCK_SLOTS.contains(&conn) {
            self.learn_ids(conn);
        }
    }

    /// Polls INFO clients until both servers report `n` blocked clients.
    fn wait_blocked(&mut self, n: usize, scenario: &str) -> Result<(), Abort> {
        let info = vec![b"INFO".to_vec(), b"clients".to_vec()];
        let deadline = Instant::now() + BLOCK_WAIT;
        loop {
            let (a, b, _, _) = self.exchange(PUSHER_CONN, &info, "(blocking) INFO")?;
            let (na, nb) = (blocked_clients(&a), blocked_clients(&b));
            if na == Some(n) && nb == Some(n) {
                return Ok(());
            }
            if Instant::now() > deadline {
                if na != Some(n) {
                    // The script predicted wrong; not the subject's fault.
                    eprintln!(
                        "seed {} #{}: scenario {scenario:?}: redis has {na:?} blocked clients, the script expected {n}",
                        self.seed, self.index
                    );
                } else {
                    let why = format!("blocked_clients after {BLOCK_WAIT:?} in scenario {scenario:?}");
                    self.note(
                        "(blocking) blocked clients",
                        PUSHER_CONN,
                        format!("wait for {n} blocked clients"),
                        format!("{na:?}"),
                        format!("{nb:?}"),
                        why,
                    );
                }
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Reads the reply of a blocked command on both servers, waiting at most `ms`.
    fn expect(&mut self, c: &Cmd, t0: i64, ms: u64) -> Result<(), Abort> {
        let wait = Duration::from_millis(ms);
        let (a, b) = &mut self.conns[c.conn];
        let _ = a.set_read_timeout(wait);
        let _ = b.set_read_timeout(wait);
        let (ra, rb) = (a.recv(), b.recv());
        let _ = a.set_read_timeout(REPLY_TIMEOUT);
        let _ = b.set_read_timeout(REPLY_TIMEOUT);
        let t1 = now_ms() + 1;
        let ra = match ra {
            Ok(r) => r,
            Err(e) => self.fail_oracle(&format!("{} (blocked)", show_args(&c.args)), e),
        };
        let rb = match rb {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                let why = format!("no reply within {ms} ms");
                self.note(&c.label, c.conn, show_args(&c.args), show_reply(&ra), "(no reply)".into(), why);
                self.reset_conn(c.conn);
                return Ok(());
            }
            Err(e) => return Err(self.fail_subject(&c.label, c.conn, show_args(&c.args), e)),
        };
        let outcome = match &ra {
            Reply::NilArray | Reply::NilBulk | Reply::Null => "blocked client timed out",
            Reply::Error(e) if e.starts_with(b"UNBLOCKED") => "blocked client unblocked with an error",
            Reply::Error(_) => "blocked client refused",
            _ => "blocked client served",
        };
        self.report.cover(outcome);
        let verdict = compare(c.check, &ra, &rb, self.tolerance(), &self.pool);
        self.judge(c, t0, t1, verdict, show_reply(&ra), show_reply(&rb)).map(|_| ())
    }

    /// CLIENT UNBLOCK of a slot, with each server's own id for it.
    fn unblock(&mut self, conn: usize, mode: Option<&str>) -> Result<(), Abort> {
        let (ia, ib) = self.ids[&conn];
        let args = |id: i64| {
            let mut v = vec![b"CLIENT".to_vec(), b"UNBLOCK".to_vec(), id.to_string().into_bytes()];
            v.extend(mode.map(|m| m.as_bytes().to_vec()));
            v
        };
        let label = "(blocking) CLIENT UNBLOCK";
        let (a, b, t0, t1) = self.exchange_split(PUSHER_CONN, &args(ia), &args(ib), label)?;
        let mut shown = vec![b"CLIENT".to_vec(), b"UNBLOCK".to_vec(), format!("<id of conn {conn}>").into_bytes()];
        shown.extend(mode.map(|m| m.as_bytes().to_vec()));
        let c = cmd(PUSHER_CONN, label, shown);
        let verdict = compare(Check::Exact, &a, &b, self.tolerance(), &self.pool);
        self.judge(&c, t0, t1, verdict, show_reply(&a), show_reply(&b)).map(|_| ())
    }
}
