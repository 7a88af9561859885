//! Cursor iterations (SCAN, HSCAN, SSCAN, ZSCAN) run to completion on each
//! server and compared as the sets of what they returned: cursors, page
//! sizes and order are each server's own business, the union is not.

use std::collections::BTreeSet;
use std::io;

use super::client::{Conn, Reply};
use super::compare::{show_args, show_reply};
use super::generate::{Cmd, Special};
use super::seed::{now_ms, Abort, SeedRun};

/// Guard against a cursor that never comes back to 0.
const MAX_SCAN_CALLS: usize = 10_000;

/// What a full iteration returned: elements (or pairs flattened as
/// two-element arrays), or the first reply that was not a page.
type Iteration = Result<BTreeSet<Reply>, Reply>;

/// Iterates on one side; `at` is the cursor's argument index.
fn scan_all(conn: &mut Conn, args: &[Vec<u8>], at: usize, pairs: bool) -> io::Result<Iteration> {
    let mut args = args.to_vec();
    let mut seen = BTreeSet::new();
    for _ in 0..MAX_SCAN_CALLS {
        let reply = conn.call(&args)?;
        let (cursor, page) = match &reply {
            Reply::Array(v) if v.len() == 2 => match (&v[0], &v[1]) {
                (Reply::Bulk(c), Reply::Array(page)) => (c.clone(), page),
                _ => return Ok(Err(reply)),
            },
            _ => return Ok(Err(reply)),
        };
        if page.iter().any(|r| !matches!(r, Reply::Bulk(_))) || (pairs && page.len() % 2 != 0) {
            return Ok(Err(reply.clone()));
        }
        if pairs {
            seen.extend(page.chunks(2).map(|p| Reply::Array(p.to_vec())));
        } else {
            seen.extend(page.iter().cloned());
        }
        if cursor == b"0" {
            return Ok(Ok(seen));
        }
        args[at] = cursor;
    }
    Ok(Err(Reply::Error(b"(harness) the scan did not finish".to_vec())))
}

impl SeedRun<'_> {
    pub fn run_scan(&mut self, cmd: &Cmd) -> Result<(), Abort> {
        let (at, pairs) = match cmd.special {
            Special::FullScan { at, pairs } => (at, pairs),
            _ => (1, false),
        };
        let t0 = now_ms();
        let (a, b) = &mut self.conns[cmd.conn];
        let ra = scan_all(a, &cmd.args, at, pairs);
        let rb = scan_all(b, &cmd.args, at, pairs);
        let t1 = now_ms() + 1;
        let ra = match ra {
            Ok(r) => r,
            Err(e) => self.fail_oracle(&show_args(&cmd.args), e),
        };
        let rb = match rb {
            Ok(r) => r,
            Err(e) => return Err(self.fail_subject(&cmd.label, cmd.conn, show_args(&cmd.args), e)),
        };
        let show = |r: &Iteration| match r {
            Ok(items) => show_reply(&Reply::Set(items.iter().cloned().collect())),
            Err(reply) => format!("stopped at {}", show_reply(reply)),
        };
        let verdict = (ra != rb).then(|| "full iterations returned different sets".to_string());
        let (sa, sb) = (show(&ra), show(&rb));
        // The iteration is judged as a plain command (not a special one).
        let mut plain = cmd.clone();
        plain.special = Special::None;
        self.judge(&plain, t0, t1, verdict, sa, sb).map(|_| ())
    }
}
