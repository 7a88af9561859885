//! Differential test against real Redis 7.0 (the oracle).
//!
//! For each seed, a fresh `redis-server` and a fresh server under test are
//! started, the same seeded random command stream is sent to both, and every
//! pair of replies is compared. Any mismatch fails the test.
//!
//! Run: `cargo test -p redsim-engine --test oracle -- --nocapture`
//!
//! Environment:
//! - `REDSIM_ORACLE_TARGET=redis` runs real Redis on both sides, to validate
//!   the harness itself (must report 0 mismatches); default `redsim`.
//! - `REDSIM_ORACLE_SEEDS`: a count `N` (seeds 0..N, default 20), a list
//!   `3,17` or a range `5..9`.
//! - `REDSIM_ORACLE_COMMANDS`: commands per seed (default 2000).
//! - `REDSIM_ORACLE_TRACE=1`: print every command and both replies.
//! - `REDSIM_ORACLE_REDIS_BIN`: the redis-server binary (default from PATH).
//!
//! Comparison rules (see `oracle/compare.rs` and `oracle/expiry.rs`):
//! exact equality of the parsed replies, RESP type included, except
//! KEYS (multiset), SCAN (iterated to completion on each server, compared as
//! the set of keys), TTL/PTTL/EXPIRETIME/PEXPIRETIME (tolerance derived from
//! the measured send/reply window, negatives exact), OBJECT IDLETIME (±2 s),
//! CLIENT ID/INFO/LIST, HELLO, INFO, TIME (shape), RANDOMKEY (nil-ness, and
//! the key must come from the pool). Replies that may have raced an expiry
//! are counted as "racy", not as mismatches, and their keys are deleted on
//! both servers to resynchronise. Before DBSIZE, keys that have certainly
//! expired are looked up on both servers (eviction timing is not part of the
//! contract). After the stream, every database's keys, values, PTTLs and
//! encodings are compared, and QUIT must answer OK and close the connection.

mod oracle {
    pub mod client;
    pub mod compare;
    pub mod expiry;
    pub mod generate;
    pub mod servers;
}

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oracle::client::{Conn, Reply};
use oracle::compare::{compare, show_args, show_reply, Check, TimeUnit, Tolerance};
use oracle::expiry::Expiries;
use oracle::generate::{cmd, key_pool, Action, Cmd, DbKey, Gen, Scope, DBS, STREAM_CONNS};
use oracle::servers::{check_redis_installed, Server, Target};

/// Connection used for the end-of-seed state comparison.
const CHECK_CONN: usize = STREAM_CONNS;
/// Connection used to delete keys after a race.
const RESYNC_CONN: usize = STREAM_CONNS + 1;
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many mismatches are printed in full.
const SHOWN: usize = 20;
/// Guard against a SCAN that never returns cursor 0.
const MAX_SCAN_CALLS: usize = 10_000;

struct Settings {
    target: Target,
    seeds: Vec<u64>,
    commands: usize,
    trace: bool,
}

impl Settings {
    fn from_env() -> Settings {
        let target = match std::env::var("REDSIM_ORACLE_TARGET").as_deref() {
            Err(_) | Ok("") | Ok("redsim") => Target::Redsim,
            Ok("redis") => Target::Redis,
            Ok(other) => panic!("REDSIM_ORACLE_TARGET must be `redis` or `redsim`, not {other:?}"),
        };
        let seeds = match std::env::var("REDSIM_ORACLE_SEEDS") {
            Err(_) => (0..20).collect(),
            Ok(s) => parse_seeds(&s).unwrap_or_else(|| panic!("bad REDSIM_ORACLE_SEEDS {s:?}: use N, a,b,c or a..b")),
        };
        let commands = match std::env::var("REDSIM_ORACLE_COMMANDS") {
            Err(_) => 2000,
            Ok(s) => s.trim().parse().unwrap_or_else(|_| panic!("bad REDSIM_ORACLE_COMMANDS {s:?}")),
        };
        let trace = std::env::var("REDSIM_ORACLE_TRACE").is_ok_and(|v| !v.is_empty() && v != "0");
        Settings { target, seeds, commands, trace }
    }
}

fn parse_seeds(s: &str) -> Option<Vec<u64>> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once("..") {
        return Some((a.trim().parse().ok()?..b.trim().parse().ok()?).collect());
    }
    if s.contains(',') {
        return s.split(',').filter(|p| !p.trim().is_empty()).map(|p| p.trim().parse().ok()).collect();
    }
    Some((0..s.parse().ok()?).collect())
}

fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64
}

#[derive(Default)]
struct Stat {
    sent: u64,
    mismatched: u64,
    racy: u64,
    racy_differed: u64,
}

struct Mismatch {
    seed: u64,
    index: usize,
    conn: usize,
    command: String,
    oracle: String,
    subject: String,
    why: String,
}

#[derive(Default)]
struct Report {
    stats: BTreeMap<String, Stat>,
    mismatches: Vec<Mismatch>,
    total: u64,
    mismatched: u64,
    racy: u64,
    resyncs: u64,
}

impl Report {
    fn stat(&mut self, label: &str) -> &mut Stat {
        self.stats.entry(label.to_string()).or_default()
    }

    fn mismatch(&mut self, m: Mismatch, label: &str) {
        self.stat(label).mismatched += 1;
        self.mismatched += 1;
        if self.mismatches.len() < SHOWN {
            self.mismatches.push(m);
        }
    }

    fn print(&self, settings: &Settings, elapsed: Duration) {
        println!();
        println!(
            "oracle: redis-server (oracle) vs {:?} (subject), {} seeds x {} commands, {:.1}s",
            settings.target,
            settings.seeds.len(),
            settings.commands,
            elapsed.as_secs_f64()
        );
        println!("{:<24} {:>8} {:>10} {:>8} {:>14}", "command", "sent", "mismatch", "racy", "racy-differed");
        for (label, s) in &self.stats {
            println!("{:<24} {:>8} {:>10} {:>8} {:>14}", label, s.sent, s.mismatched, s.racy, s.racy_differed);
        }
        println!(
            "total: {} commands, {} mismatches, {} racy (not counted), {} resyncs",
            self.total, self.mismatched, self.racy, self.resyncs
        );
        for m in &self.mismatches {
            println!();
            println!("MISMATCH seed {} #{} conn {}: {}", m.seed, m.index, m.conn, m.command);
            println!("  redis:   {}", m.oracle);
            println!("  subject: {}", m.subject);
            println!("  why:     {}", m.why);
        }
        if self.mismatched as usize > self.mismatches.len() {
            println!("... and {} more mismatches", self.mismatched as usize - self.mismatches.len());
        }
    }
}

/// The subject failed at the transport level: the rest of the seed is moot.
struct Abort;

/// One seed's run: both servers, their connections, the generator and the
/// expiry bookkeeping.
struct SeedRun<'a> {
    seed: u64,
    settings: &'a Settings,
    report: &'a mut Report,
    oracle: Server,
    subject: Server,
    /// (oracle, subject) connection pairs.
    conns: Vec<(Conn, Conn)>,
    expiries: Expiries,
    /// Largest send-to-last-reply window seen so far, in ms.
    window_max: i64,
    pool: Vec<Vec<u8>>,
    index: usize,
}

fn connect(server: &Server) -> Conn {
    Conn::connect(server.port, REPLY_TIMEOUT)
        .unwrap_or_else(|e| panic!("connect to {} on port {}: {e}", server.name, server.port))
}

impl<'a> SeedRun<'a> {
    fn new(seed: u64, settings: &'a Settings, report: &'a mut Report) -> SeedRun<'a> {
        let oracle = Server::start(Target::Redis, "redis");
        let subject = Server::start(settings.target, "subject");
        let conns = (0..STREAM_CONNS + 2).map(|_| (connect(&oracle), connect(&subject))).collect();
        SeedRun {
            seed,
            settings,
            report,
            oracle,
            subject,
            conns,
            expiries: Expiries::default(),
            window_max: 1,
            pool: key_pool(),
            index: 0,
        }
    }

    fn tolerance(&self) -> Tolerance {
        Tolerance::from_window(self.window_max)
    }

    fn fail_oracle(&mut self, what: &str, e: io::Error) -> ! {
        panic!(
            "seed {} #{}: the oracle redis-server failed on {what}: {e}\nlog:\n{}",
            self.seed,
            self.index,
            self.oracle.log_tail()
        )
    }

    /// Records a transport failure of the subject and aborts the seed.
    fn fail_subject(&mut self, label: &str, conn: usize, command: String, e: io::Error) -> Abort {
        let alive = self.subject.alive();
        let why = format!(
            "subject transport error: {e}{}\n  subject log:\n{}",
            if alive { "" } else { " (process has exited)" },
            self.subject.log_tail()
        );
        let m = Mismatch {
            seed: self.seed,
            index: self.index,
            conn,
            command,
            oracle: "(reply)".into(),
            subject: "(none)".into(),
            why,
        };
        self.report.mismatch(m, label);
        Abort
    }

    /// Sends `args` to both servers on connection pair `conn` and returns
    /// both replies with the time window [t0, t1] (ms) enclosing execution.
    fn exchange(&mut self, conn: usize, args: &[Vec<u8>], label: &str) -> Result<(Reply, Reply, i64, i64), Abort> {
        let t0 = now_us() / 1000;
        let (a, b) = &mut self.conns[conn];
        let sent_a = a.send(args);
        let sent_b = b.send(args);
        let ra = sent_a.and_then(|_| a.recv());
        let rb = sent_b.and_then(|_| b.recv());
        let t1 = now_us() / 1000 + 1;
        let ra = match ra {
            Ok(r) => r,
            Err(e) => self.fail_oracle(&show_args(args), e),
        };
        let rb = match rb {
            Ok(r) => r,
            Err(e) => return Err(self.fail_subject(label, conn, show_args(args), e)),
        };
        self.window_max = self.window_max.max(t1 - t0);
        Ok((ra, rb, t0, t1))
    }

    /// Runs one command on both servers and judges the replies.
    fn run_cmd(&mut self, cmd: &Cmd) -> Result<(), Abort> {
        if let Scope::DbSize(db) = cmd.scope {
            self.settle(db)?;
        }
        let (ra, rb, t0, t1) = self.exchange(cmd.conn, &cmd.args, &cmd.label)?;
        let verdict = compare(cmd.check, &ra, &rb, self.tolerance(), &self.pool);
        self.judge(cmd, t0, t1, verdict, show_reply(&ra), show_reply(&rb))
    }

    /// Counts the outcome, treating expiry races leniently, then updates the
    /// expiry bookkeeping and resynchronises raced keys.
    fn judge(
        &mut self,
        cmd: &Cmd,
        t0: i64,
        t1: i64,
        verdict: Option<String>,
        a: String,
        b: String,
    ) -> Result<(), Abort> {
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
        if racy.is_some() {
            stat.racy += 1;
            self.report.racy += 1;
            if verdict.is_some() {
                self.report.stat(&cmd.label).racy_differed += 1;
            }
        } else if let Some(why) = verdict {
            let m = Mismatch {
                seed: self.seed,
                index: self.index,
                conn: cmd.conn,
                command: show_args(&cmd.args),
                oracle: a,
                subject: b,
                why: format!("{why} (rule {:?})", cmd.check),
            };
            self.report.mismatch(m, &cmd.label);
        }
        self.expiries.apply(cmd, t0, t1);
        if let Some(keys) = racy {
            self.resync(&keys)?;
        }
        Ok(())
    }

    /// Deletes `keys` on both servers so that an expiry race cannot leave
    /// them diverged. Replies may legitimately differ (one side had already
    /// expired the key); only errors count.
    fn resync(&mut self, keys: &[DbKey]) -> Result<(), Abort> {
        self.report.resyncs += 1;
        let mut by_db: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
        for (db, k) in keys {
            by_db.entry(*db).or_default().push(k.clone());
        }
        for (db, ks) in by_db {
            let select = vec![b"SELECT".to_vec(), db.to_string().into_bytes()];
            let mut del = vec![b"DEL".to_vec()];
            del.extend(ks.iter().cloned());
            for args in [select, del] {
                let (ra, rb, _, _) = self.exchange(RESYNC_CONN, &args, "(resync)")?;
                if matches!(ra, Reply::Error(_)) || matches!(rb, Reply::Error(_)) {
                    let m = Mismatch {
                        seed: self.seed,
                        index: self.index,
                        conn: RESYNC_CONN,
                        command: show_args(&args),
                        oracle: show_reply(&ra),
                        subject: show_reply(&rb),
                        why: "error while resynchronising after a race".into(),
                    };
                    self.report.mismatch(m, "(resync)");
                }
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
    fn settle(&mut self, db: usize) -> Result<(), Abort> {
        let keys = self.expiries.settleable(db, now_us() / 1000);
        if keys.is_empty() {
            return Ok(());
        }
        let select = vec![b"SELECT".to_vec(), db.to_string().into_bytes()];
        self.exchange(RESYNC_CONN, &select, "(settle)")?;
        let mut exists = cmd(RESYNC_CONN, "(settle) EXISTS", vec![b"EXISTS".to_vec()]);
        exists.lookups = true;
        for k in keys {
            exists.args.push(k.clone());
            exists.touches.push((db, k));
        }
        self.run_cmd(&exists)
    }

    /// Iterates SCAN to completion on one side; the keys seen, or the first
    /// error reply.
    fn scan_all(conn: &mut Conn, args: &[Vec<u8>]) -> io::Result<Result<BTreeSet<Vec<u8>>, Reply>> {
        let mut args = args.to_vec();
        let mut keys = BTreeSet::new();
        for _ in 0..MAX_SCAN_CALLS {
            let reply = conn.call(&args)?;
            let (cursor, page) = match &reply {
                Reply::Array(v) if v.len() == 2 => match (&v[0], &v[1]) {
                    (Reply::Bulk(c), Reply::Array(page)) => (c.clone(), page),
                    _ => return Ok(Err(reply)),
                },
                _ => return Ok(Err(reply)),
            };
            for k in page {
                match k {
                    Reply::Bulk(k) => {
                        keys.insert(k.clone());
                    }
                    _ => return Ok(Err(reply.clone())),
                }
            }
            if cursor == b"0" {
                return Ok(Ok(keys));
            }
            args[1] = cursor;
        }
        Ok(Err(Reply::Error(b"(harness) SCAN did not finish".to_vec())))
    }

    fn run_scan(&mut self, cmd: &Cmd) -> Result<(), Abort> {
        let t0 = now_us() / 1000;
        let (a, b) = &mut self.conns[cmd.conn];
        let ra = Self::scan_all(a, &cmd.args);
        let rb = Self::scan_all(b, &cmd.args);
        let t1 = now_us() / 1000 + 1;
        let ra = match ra {
            Ok(r) => r,
            Err(e) => self.fail_oracle(&show_args(&cmd.args), e),
        };
        let rb = match rb {
            Ok(r) => r,
            Err(e) => return Err(self.fail_subject(&cmd.label, cmd.conn, show_args(&cmd.args), e)),
        };
        let show = |r: &Result<BTreeSet<Vec<u8>>, Reply>| match r {
            Ok(keys) => show_reply(&Reply::Set(keys.iter().cloned().map(Reply::Bulk).collect())),
            Err(reply) => format!("stopped at {}", show_reply(reply)),
        };
        let verdict = (ra != rb).then(|| "SCAN iterations returned different key sets".to_string());
        let (sa, sb) = (show(&ra), show(&rb));
        self.judge(cmd, t0, t1, verdict, sa, sb)
    }

    fn run_stream(&mut self) -> Result<(), Abort> {
        let mut gen = Gen::new(self.seed);
        for i in 0..self.settings.commands {
            self.index = i;
            match gen.next(now_us() / 1000) {
                Action::Sleep(ms) => std::thread::sleep(Duration::from_millis(ms)),
                Action::Cmd(c) => self.run_cmd(&c)?,
                Action::Scan(c) => self.run_scan(&c)?,
            }
        }
        Ok(())
    }

    /// Compares the whole keyspace at the end of the seed, so that a
    /// divergence no reply happened to reveal is still caught.
    fn check_final_state(&mut self) -> Result<(), Abort> {
        self.index = self.settings.commands;
        let check_cmd = |label: &str, args: Vec<Vec<u8>>, check: Check| Cmd {
            check,
            ..cmd(CHECK_CONN, &format!("(final) {label}"), args)
        };
        for db in DBS {
            self.run_cmd(&check_cmd("SELECT", vec![b"SELECT".to_vec(), db.to_string().into_bytes()], Check::Exact))?;
            let mut keys = check_cmd("KEYS", vec![b"KEYS".to_vec(), b"*".to_vec()], Check::Multiset);
            keys.scope = Scope::Keys(db);
            self.run_cmd(&keys)?;
            for k in self.pool.clone() {
                for (name, check) in
                    [("GET", Check::Exact), ("PTTL", Check::Time(TimeUnit::Millis)), ("OBJECT ENCODING", Check::Exact)]
                {
                    let mut args: Vec<Vec<u8>> = name.split(' ').map(|w| w.as_bytes().to_vec()).collect();
                    args.push(k.clone());
                    let mut c = check_cmd(name, args, check);
                    c.touches.push((db, k.clone()));
                    c.lookups = true;
                    self.run_cmd(&c)?;
                }
            }
            let mut size = check_cmd("DBSIZE", vec![b"DBSIZE".to_vec()], Check::Exact);
            size.scope = Scope::DbSize(db);
            self.run_cmd(&size)?;
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
                let m = Mismatch {
                    seed: self.seed,
                    index: self.index,
                    conn,
                    command: "QUIT".into(),
                    oracle: "(connection closed)".into(),
                    subject: "(connection still open or sent more data)".into(),
                    why: "the connection must be closed after QUIT".into(),
                };
                self.report.mismatch(m, "QUIT");
            }
        }
        Ok(())
    }

    fn run(&mut self) {
        let _ = self.run_stream().and_then(|_| self.check_final_state()).and_then(|_| self.quit_all());
    }
}

#[test]
fn redsim_matches_redis() {
    check_redis_installed();
    let settings = Settings::from_env();
    let mut report = Report::default();
    let started = Instant::now();
    for &seed in &settings.seeds {
        let before = report.mismatched;
        SeedRun::new(seed, &settings, &mut report).run();
        if report.mismatched > before {
            println!("seed {seed}: {} mismatches", report.mismatched - before);
        }
    }
    report.print(&settings, started.elapsed());
    assert!(report.total > 0, "no command was compared");
    assert_eq!(
        report.mismatched, 0,
        "{} replies differ from Redis 7.0 (see the table and the first {SHOWN} mismatches above)",
        report.mismatched
    );
}

#[test]
fn seed_lists_parse() {
    assert_eq!(parse_seeds("3"), Some(vec![0, 1, 2]));
    assert_eq!(parse_seeds("4,9"), Some(vec![4, 9]));
    assert_eq!(parse_seeds("7,"), Some(vec![7]));
    assert_eq!(parse_seeds("5..8"), Some(vec![5, 6, 7]));
    assert_eq!(parse_seeds("x"), None);
}
