//! One seed's run: both servers, their connections, the generator and the
//! expiry bookkeeping; sending a command to both servers and judging the
//! two replies. The other files of the harness add methods to [`SeedRun`]
//! for what needs more than one round trip (scans, state-dependent rules,
//! transactions, blocking scenarios, the end-of-seed check).

use std::collections::BTreeMap;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::client::{Conn, Reply};
use super::compare::{compare, show_args, show_bytes, show_reply, Tolerance};
use super::expiry::Expiries;
use super::generate::{cmd, key_pool, Action, Cmd, DbKey, Gen, Scope, Special, BLOCK_SLOTS, CHECK_CONN, CONNS};
use super::generate::{RESYNC_CONN, STREAM_CONNS};
use super::report::{Mismatch, Report};
use super::servers::{Server, Target};

pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a run is asked to do (from the environment, see oracle.rs).
pub struct Settings {
    pub target: Target,
    pub seeds: Vec<u64>,
    pub commands: usize,
    pub trace: bool,
}

pub fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64
}

pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// The subject failed at the transport level: the rest of the seed is moot.
pub struct Abort;

pub struct SeedRun<'a> {
    pub seed: u64,
    pub settings: &'a Settings,
    pub report: &'a mut Report,
    pub oracle: Server,
    pub subject: Server,
    /// (oracle, subject) connection pairs, indexed as in `generate`.
    pub conns: Vec<(Conn, Conn)>,
    /// Each blocking slot's client id on (oracle, subject).
    pub ids: BTreeMap<usize, (i64, i64)>,
    /// The database the side connection has selected.
    pub side_db: Option<usize>,
    pub expiries: Expiries,
    /// Largest send-to-last-reply window seen so far, in ms.
    pub window_max: i64,
    pub pool: Vec<Vec<u8>>,
    pub index: usize,
}

pub fn connect(server: &Server) -> Conn {
    Conn::connect(server.port, REPLY_TIMEOUT)
        .unwrap_or_else(|e| panic!("connect to {} on port {}: {e}", server.name, server.port))
}

/// A client id from a CLIENT ID reply.
fn client_id(conn: &mut Conn) -> i64 {
    match conn.call(&[b"CLIENT".to_vec(), b"ID".to_vec()]) {
        Ok(Reply::Int(id)) => id,
        other => panic!("CLIENT ID answered {other:?}"),
    }
}

impl<'a> SeedRun<'a> {
    pub fn new(seed: u64, settings: &'a Settings, report: &'a mut Report) -> SeedRun<'a> {
        let oracle = Server::start(Target::Redis, "redis");
        let subject = Server::start(settings.target, "subject");
        let conns = (0..CONNS).map(|_| (connect(&oracle), connect(&subject))).collect();
        let mut run = SeedRun {
            seed,
            settings,
            report,
            oracle,
            subject,
            conns,
            ids: BTreeMap::new(),
            side_db: None,
            expiries: Expiries::default(),
            window_max: 1,
            pool: key_pool(),
            index: 0,
        };
        for slot in BLOCK_SLOTS {
            run.learn_ids(slot);
        }
        run
    }

    /// Records the client ids of a blocking slot's connections.
    pub fn learn_ids(&mut self, slot: usize) {
        let (a, b) = &mut self.conns[slot];
        let ids = (client_id(a), client_id(b));
        self.ids.insert(slot, ids);
    }

    pub fn tolerance(&self) -> Tolerance {
        Tolerance::from_window(self.window_max)
    }

    pub fn fail_oracle(&mut self, what: &str, e: io::Error) -> ! {
        panic!(
            "seed {} #{}: the oracle redis-server failed on {what}: {e}\nlog:\n{}",
            self.seed,
            self.index,
            self.oracle.log_tail()
        )
    }

    /// Records a transport failure of the subject and aborts the seed.
    pub fn fail_subject(&mut self, label: &str, conn: usize, command: String, e: io::Error) -> Abort {
        let alive = self.subject.alive();
        let why = format!(
            "subject transport error: {e}{}\n  subject log:\n{}",
            if alive { "" } else { " (process has exited)" },
            self.subject.log_tail()
        );
        self.note(label, conn, command, "(reply)".into(), "(none)".into(), why);
        Abort
    }

    /// Counts a mismatch that is not one command's reply.
    pub fn note(&mut self, label: &str, conn: usize, command: String, oracle: String, subject: String, why: String) {
        let m = Mismatch { seed: self.seed, index: self.index, conn, command, oracle, subject, why };
        self.report.mismatch(m, label);
    }

    /// Sends `args` to both servers on connection pair `conn` and returns
    /// both replies with the time window [t0, t1] (ms) enclosing execution.
    pub fn exchange(&mut self, conn: usize, args: &[Vec<u8>], label: &str) -> Result<(Reply, Reply, i64, i64), Abort> {
        self.exchange_split(conn, args, args, label)
    }

    /// Like `exchange`, with different arguments for each server (client
    /// ids differ between them).
    pub fn exchange_split(
        &mut self,
        conn: usize,
        args_a: &[Vec<u8>],
        args_b: &[Vec<u8>],
        label: &str,
    ) -> Result<(Reply, Reply, i64, i64), Abort> {
        let t0 = now_ms();
        let (a, b) = &mut self.conns[conn];
        let sent_a = a.send(args_a);
        let sent_b = b.send(args_b);
        let ra = sent_a.and_then(|_| a.recv());
        let rb = sent_b.and_then(|_| b.recv());
        let t1 = now_ms() + 1;
        let ra = match ra {
            Ok(r) => r,
            Err(e) => self.fail_oracle(&show_args(args_a), e),
        };
        let rb = match rb {
            Ok(r) => r,
            Err(e) => return Err(self.fail_subject(label, conn, show_args(args_b), e)),
        };
        self.window_max = self.window_max.max(t1 - t0);
        Ok((ra, rb, t0, t1))
    }

    /// Runs one command on both servers and judges the replies; true if
    /// they agreed (or raced an expiry).
    pub fn run_cmd(&mut self, cmd: &Cmd) -> Result<bool, Abort> {
        if let Scope::DbSize(db) = cmd.scope {
            self.settle(db)?;
        }
        if cmd.special != Special::None {
            return self.run_special(cmd);
        }
        let (ra, rb, t0, t1) = self.exchange(cmd.conn, &cmd.args, &cmd.label)?;
        if let (true, Reply::Bulk(e)) = (cmd.label.ends_with("OBJECT ENCODING"), &ra) {
            self.report.cover(&format!("encoding {}", String::from_utf8_lossy(e)));
        }
        let verdict = compare(cmd.check, &ra, &rb, self.tolerance(), &self.pool);
        if is_error(&ra) || is_error(&rb) {
            // Refused (WRONGTYPE, syntax...): the expiries it would clear stay.
            let mut refused = cmd.clone();
            refused.clears.clear();
            return self.judge(&refused, t0, t1, verdict, show_reply(&ra), show_reply(&rb));
        }
        self.judge(cmd, t0, t1, verdict, show_reply(&ra), show_reply(&rb))
    }

    /// Counts the outcome, treating expiry races leniently, then updates the
    /// expiry bookkeeping and resynchronises raced keys. True unless a
    /// mismatch was counted.
    pub fn judge(
        &mut self,
        cmd: &Cmd,
        t0: i64,
        t1: i64,
        verdict: Option<String>,
        a: String,
        b: String,
    ) -> Result<bool, Abort> {
        let racy = self.expiries.racy(cmd, t0, t1);
        if self.settings.trace {
            let tag = match (&verdict, &racy) {
                (None, _) => "",
                (Some(_), None) => "  <-- MISMATCH",
                (Some(_), Some(_)) => "  <-- racy",
            };
            eprintln!(
                "[{} #{} c{}] {}\n    redis: {a}\n    other: {b}{tag}",
                self.seed,
                self.index,
                cmd.conn,
                show_args(&cmd.args)
            );
        }
        self.report.total += 1;
        let stat = self.report.stat(&cmd.label);
        stat.sent += 1;
        let mut agreed = true;
        let mut stored = false;
        if racy.is_some() {
            stat.racy += 1;
            self.report.racy += 1;
            if verdict.is_some() {
                self.report.stat(&cmd.label).racy_differed += 1;
            }
        } else if let Some(why) = verdict {
            agreed = false;
            stored = self.report.mismatches.len() < super::report::shown();
            let why = format!("{why} (rule {:?}{})", cmd.check, special_note(&cmd.special));
            self.note(&cmd.label, cmd.conn, show_args(&cmd.args), a, b, why);
        }
        self.expiries.apply(cmd, t0, t1);
        if let Some(keys) = racy {
            self.resync(&keys)?;
        }
        if !agreed {
            let shown = self.report.mismatches.len().checked_sub(1).filter(|_| stored);
            self.repair(cmd, shown)?;
        }
        Ok(agreed)
    }

    /// After a mismatch, makes the keys the command could have touched
    /// equal again (Redis's contents on both servers), so that one
    /// divergence is reported once instead of by every later command. What
    /// differed is added to the printed mismatch, if it is printed (index
    /// `shown`).
    fn repair(&mut self, cmd: &Cmd, shown: Option<usize>) -> Result<(), Abort> {
        let mut keys = cmd.touches.clone();
        if let Scope::Keys(db) | Scope::DbSize(db) = cmd.scope {
            keys.extend(self.pool.iter().map(|k| (db, k.clone())));
        }
        keys.sort();
        keys.dedup();
        for dk in keys {
            let (a, b) = self.contents(&dk)?;
            if !a.same_as(&b) {
                if let Some(m) = shown.and_then(|i| self.report.mismatches.get_mut(i)) {
                    let key = show_bytes(&dk.1);
                    m.why = format!("{}\n  key {key} in db {}: redis {} / subject {}", m.why, dk.0, a.show(), b.show());
                }
                self.report.repairs += 1;
                self.rebuild(&dk, &a)?;
            }
        }
        Ok(())
    }

    /// Selects `db` on the side connection, unless it already is.
    pub fn side_select(&mut self, db: usize) -> Result<(), Abort> {
        if self.side_db != Some(db) {
            let select = vec![b"SELECT".to_vec(), db.to_string().into_bytes()];
            self.exchange(RESYNC_CONN, &select, "(resync)")?;
            self.side_db = Some(db);
        }
        Ok(())
    }

    /// Deletes `keys` on both servers so that an expiry race cannot leave
    /// them diverged. Replies may legitimately differ (one side had already
    /// expired the key); only errors count.
    pub fn resync(&mut self, keys: &[DbKey]) -> Result<(), Abort> {
        self.report.resyncs += 1;
        let mut by_db: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
        for (db, k) in keys {
            by_db.entry(*db).or_default().push(k.clone());
        }
        for (db, ks) in by_db {
            self.side_select(db)?;
            let mut del = vec![b"DEL".to_vec()];
            del.extend(ks.iter().cloned());
            let (ra, rb, _, _) = self.exchange(RESYNC_CONN, &del, "(resync)")?;
            if matches!(ra, Reply::Error(_)) || matches!(rb, Reply::Error(_)) {
                let why = "error while resynchronising after a race".to_string();
                self.note("(resync)", RESYNC_CONN, show_args(&del), show_reply(&ra), show_reply(&rb), why);
            }
            for k in ks {
                self.expiries.forget(&(db, k));
            }
        }
        Ok(())
    }

    /// Makes both servers evict keys of `db` that have certainly expired, by
    /// looking them up: when an expired key is actually evicted is each
    /// server's own business, and DBSIZE would otherwise expose it.
    pub fn settle(&mut self, db: usize) -> Result<(), Abort> {
        let keys = self.expiries.settleable(db, now_ms());
        if keys.is_empty() {
            return Ok(());
        }
        self.side_select(db)?;
        let mut exists = cmd(RESYNC_CONN, "(settle) EXISTS", vec![b"EXISTS".to_vec()]);
        exists.lookups = true;
        for k in keys {
            exists.args.push(k.clone());
            exists.touches.push((db, k));
        }
        self.run_cmd(&exists).map(|_| ())
    }

    /// The commands that prepare the seed: thresholds and SORT's data.
    fn setup(&mut self, gen: &mut Gen) -> Result<(), Abort> {
        for c in gen.setup(CHECK_CONN) {
            self.run_cmd(&c)?;
        }
        Ok(())
    }

    fn run_stream(&mut self) -> Result<(), Abort> {
        let mut gen = Gen::new(self.seed);
        self.setup(&mut gen)?;
        for i in 0..self.settings.commands {
            self.index = i;
            match gen.next(now_ms()) {
                Action::Sleep(ms) => std::thread::sleep(Duration::from_millis(ms)),
                Action::Cmd(c) => {
                    self.run_cmd(&c)?;
                }
                Action::Scan(c) => self.run_scan(&c)?,
                Action::Tx(t) => self.run_tx(t)?,
                Action::Scenario(s) => self.run_scenario(s)?,
            }
        }
        Ok(())
    }

    /// QUIT on every stream connection: both must answer OK and close.
    fn quit_all(&mut self) -> Result<(), Abort> {
        for conn in 0..STREAM_CONNS {
            self.run_cmd(&cmd(conn, "QUIT", vec![b"QUIT".to_vec()]))?;
            let (_, b) = &mut self.conns[conn];
            let _ = b.set_read_timeout(Duration::from_secs(2));
            if !matches!(b.recv(), Err(e) if e.kind() == io::ErrorKind::UnexpectedEof) {
                let why = "the connection must be closed after QUIT".to_string();
                let closed = "(connection closed)".to_string();
                self.note("QUIT", conn, "QUIT".into(), closed, "(still open or sent more data)".into(), why);
            }
        }
        Ok(())
    }

    pub fn run(&mut self) {
        let _ = self.run_stream().and_then(|_| self.check_final_state()).and_then(|_| self.quit_all());
    }
}

pub fn is_error(r: &Reply) -> bool {
    matches!(r, Reply::Error(_) | Reply::BlobError(_))
}

fn special_note(s: &Special) -> String {
    let name = match s {
        Special::None => return String::new(),
        Special::FullScan { .. } => "full scan",
        Special::ScanPage(_) => "scan page",
        Special::Unordered { .. } => "unordered on a hashtable",
        Special::Random { .. } => "random, by properties",
        Special::LexRange(_) => "lex range",
        Special::Sort { .. } => "sort",
    };
    format!(", {name}")
}
