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
//! - `REDSIM_ORACLE_COMMANDS`: stream actions per seed (default 2000).
//! - `REDSIM_ORACLE_TRACE=1`: print every command and both replies.
//! - `REDSIM_ORACLE_SHOWN`: how many mismatches are printed in full (25).
//! - `REDSIM_ORACLE_REDIS_BIN`: the redis-server binary (default from PATH).
//! - `REDSIM_ORACLE_ENGINE=engine`: redsim runs the optimized engine
//!   (`--engine engine`) instead of its default.
//!
//! The stream (`oracle/generate/`) covers the string, generic, list, hash,
//! set and sorted-set groups, SORT/SORT_RO with BY/GET/LIMIT/ALPHA/STORE,
//! CONFIG SET of the encoding thresholds, connection and server commands,
//! error forms, MULTI/EXEC/WATCH transactions and blocking scenarios on
//! connections of their own, over one key pool so that types collide.
//!
//! Comparison rules (`oracle/compare.rs`, `oracle/special.rs`,
//! `oracle/random.rs`, `oracle/expiry.rs`): exact equality of the parsed
//! replies, RESP type included, except KEYS, SINTER, SUNION, SDIFF
//! (multisets); CONFIG GET of a pattern (multiset of pairs); HGETALL, HKEYS,
//! HVALS, SMEMBERS (multisets when Redis holds a hashtable); SCAN and
//! H/S/ZSCAN from 0 (iterated to completion on each server, compared as
//! sets), their pages from other cursors (shape only on a hashtable or
//! skiplist); SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER (properties against
//! the contents read just before; after an SPOP that popped differently,
//! the key is rebuilt on both servers from Redis's contents); lex ranges on
//! a skiplist whose scores differ (not sent: Redis's own answer depends on
//! its random levels); SORT of a hashtable set where the order is free
//! (multiset, or length with LIMIT; a STORE destination compared as a
//! multiset then rebuilt); EXEC (element by element, each by its command's
//! rule); TTL/PTTL/EXPIRETIME/PEXPIRETIME (tolerance derived from the
//! measured send/reply window, negatives exact), OBJECT IDLETIME (±2 s),
//! CLIENT ID/INFO/LIST, HELLO, INFO, TIME (shape), RANDOMKEY (nil-ness, and
//! the key must come from the pool). Replies that may have raced an expiry
//! are counted as "racy", not as mismatches, and their keys are deleted on
//! both servers to resynchronise. Before DBSIZE, keys that have certainly
//! expired are looked up on both servers (eviction timing is not part of the
//! contract); DEBUG DIGEST-VALUE and DEBUG DIGEST read keys without
//! expiring them and are treated alike. After the stream, every database's
//! keys, types, PTTLs, encodings and DEBUG DIGEST-VALUEs and the whole DEBUG
//! DIGEST are compared, and QUIT must answer OK and close the connection.
//! After a mismatch, the keys the command touched are rebuilt on both
//! servers from Redis's contents, so that one divergence is reported once
//! rather than by every later command on the key.
//!
//! Two harness settings make Redis deterministic where it is not by itself:
//! it runs with `hz 100`, so that blocked clients time out within 10 ms of
//! their deadline; and before each SORT its `errno` is cleared (numeric SORT
//! reads a stale ERANGE left by an earlier float parse and then refuses valid
//! scores; see `special.rs`).

mod oracle {
    pub mod blocking;
    pub mod client;
    pub mod compare;
    pub mod expiry;
    pub mod final_state;
    pub mod generate;
    pub mod random;
    pub mod report;
    pub mod scan;
    pub mod seed;
    pub mod servers;
    pub mod special;
    pub mod state;
    pub mod transactions;
}

use std::time::Instant;

use oracle::report::Report;
use oracle::seed::{SeedRun, Settings};
use oracle::servers::{check_redis_installed, Target};

fn settings_from_env() -> Settings {
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

#[test]
fn redsim_matches_redis() {
    check_redis_installed();
    let settings = settings_from_env();
    let mut report = Report::default();
    let started = Instant::now();
    for &seed in &settings.seeds {
        let before = report.mismatched;
        SeedRun::new(seed, &settings, &mut report).run();
        if report.mismatched > before {
            println!("seed {seed}: {} mismatches", report.mismatched - before);
        }
    }
    let title = format!(
        "oracle: redis-server (oracle) vs {:?} (subject), {} seeds x {} actions",
        settings.target,
        settings.seeds.len(),
        settings.commands
    );
    report.print(&title, started.elapsed());
    assert!(report.total > 0, "no command was compared");
    // A run of the default size must reach every command and state the
    // rules are there for (smaller runs, for reproducing, need not).
    if settings.seeds.len() * settings.commands >= 20 * 2000 {
        let missing = report.uncovered();
        assert!(missing.is_empty(), "the stream did not exercise: {missing:?}");
    }
    assert_eq!(
        report.mismatched, 0,
        "{} replies differ from Redis 7.0 (see the tables and the mismatches printed above)",
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
