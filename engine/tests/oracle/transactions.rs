//! Running a generated transaction: WATCH, a meddling connection, MULTI,
//! the queued commands (their QUEUED or error replies compared exactly),
//! then EXEC, whose array is compared element by element with each queued
//! command's own rule, or DISCARD.

use super::client::Reply;
use super::compare::{compare, show_args, show_reply, Check};
use super::generate::{cmd, Cmd, Tx, TxStep};
use super::seed::{is_error, now_ms, Abort, SeedRun};

/// The label queued commands are counted under.
const QUEUED: &str = "(queued)";

impl SeedRun<'_> {
    pub fn run_tx(&mut self, tx: Tx) -> Result<(), Abort> {
        // Commands both servers queued, in order; None once the two sides
        // disagreed about one (EXEC is then compared exactly).
        let mut queued: Option<Vec<Cmd>> = Some(Vec::new());
        let mut watched: Vec<Cmd> = Vec::new();
        let mut since: Option<i64> = None;
        for step in tx.steps {
            match step {
                TxStep::Run(c) => {
                    if c.label == "WATCH" && c.conn == tx.conn {
                        since.get_or_insert(now_ms());
                        watched.push(c.clone());
                    }
                    self.run_cmd(&c)?;
                }
                TxStep::Queue(c) => {
                    let (a, b, _, _) = self.exchange(c.conn, &c.args, QUEUED)?;
                    self.report.total += 1;
                    self.report.stat(QUEUED).sent += 1;
                    let queued_here = a == Reply::Simple(b"QUEUED".to_vec());
                    if a != b {
                        let why = "queueing replies differ".to_string();
                        self.note(QUEUED, c.conn, show_args(&c.args), show_reply(&a), show_reply(&b), why);
                        queued = None;
                    } else if queued_here {
                        if let Some(q) = queued.as_mut() {
                            q.push(c);
                        }
                    }
                }
                TxStep::End(c) => self.run_exec(&c, queued.take(), &watched, since)?,
            }
        }
        Ok(())
    }

    fn run_exec(
        &mut self,
        end: &Cmd,
        queued: Option<Vec<Cmd>>,
        watched: &[Cmd],
        since: Option<i64>,
    ) -> Result<(), Abort> {
        let (a, b, t0, t1) = self.exchange(end.conn, &end.args, &end.label)?;
        let outcome = match &a {
            _ if end.label == "DISCARD" => "DISCARD",
            Reply::Array(_) => "EXEC ran",
            Reply::NilArray | Reply::Null => "EXEC aborted by a touched WATCH",
            Reply::Error(e) if e.starts_with(b"EXECABORT") => "EXECABORT",
            _ => "EXEC refused",
        };
        self.report.cover(outcome);
        let tol = self.tolerance();
        let verdict = match (&queued, &a, &b) {
            (Some(q), Reply::Array(x), Reply::Array(y)) if x.len() == q.len() && y.len() == q.len() => {
                let mut why = None;
                for (i, c) in q.iter().enumerate() {
                    if let Some(w) = compare(c.check, &x[i], &y[i], tol, &self.pool) {
                        why = Some(format!("element {i} ({}): {w}", show_args(&c.args)));
                        break;
                    }
                }
                why
            }
            _ => compare(Check::Exact, &a, &b, tol, &self.pool),
        };
        // One command for the expiry bookkeeping: everything queued and
        // watched, over the time since the first WATCH (a watched key that
        // expires in between makes EXEC fail).
        let mut all = cmd(end.conn, &end.label, end.args.clone());
        for (i, c) in queued.iter().flatten().chain(watched).enumerate() {
            all.touches.extend(c.touches.iter().cloned());
            all.ttl_sets.extend(c.ttl_sets.iter().cloned());
            all.ttl_copies.extend(c.ttl_copies.iter().cloned());
            // Expiries are certainly cleared only by commands that ran.
            let ran = |r: &Reply| matches!(r, Reply::Array(v) if v.get(i).is_some_and(|x| !is_error(x)));
            if ran(&a) && ran(&b) {
                all.clears.extend(c.clears.iter().cloned());
            }
        }
        let t0 = since.unwrap_or(t0).min(t0);
        self.judge(&all, t0, t1, verdict, show_reply(&a), show_reply(&b)).map(|_| ())
    }
}
