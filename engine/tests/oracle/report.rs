//! Counting and printing outcomes: per command (label), per command group,
//! and the first mismatches in full, so a failure says what to look at.

use std::collections::BTreeMap;
use std::time::Duration;

/// How many mismatches are printed in full, unless REDSIM_ORACLE_SHOWN says.
pub const SHOWN: usize = 25;

pub fn shown() -> usize {
    std::env::var("REDSIM_ORACLE_SHOWN").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(SHOWN)
}

#[derive(Default, Clone)]
pub struct Stat {
    pub sent: u64,
    pub mismatched: u64,
    pub racy: u64,
    pub racy_differed: u64,
    /// Not sent: a comparison Redis itself cannot make deterministic.
    pub skipped: u64,
}

pub struct Mismatch {
    pub seed: u64,
    pub index: usize,
    pub conn: usize,
    pub command: String,
    pub oracle: String,
    pub subject: String,
    pub why: String,
}

#[derive(Default)]
pub struct Report {
    pub stats: BTreeMap<String, Stat>,
    pub mismatches: Vec<Mismatch>,
    pub total: u64,
    pub mismatched: u64,
    pub racy: u64,
    pub resyncs: u64,
    /// Keys rebuilt on both servers after a random command or an unordered
    /// store (not expiry races).
    pub rebuilds: u64,
    /// Keys rebuilt after a mismatch, so that it is not reported again.
    pub repairs: u64,
    /// How often the states and paths the rules exist for came up.
    pub coverage: BTreeMap<String, u64>,
}

const STRINGS: &[&str] = &[
    "SET",
    "GET",
    "APPEND",
    "INCR",
    "DECR",
    "INCRBY",
    "DECRBY",
    "INCRBYFLOAT",
    "GETDEL",
    "GETEX",
    "GETRANGE",
    "SUBSTR",
    "GETSET",
    "LCS",
    "MGET",
    "MSET",
    "MSETNX",
    "SETEX",
    "PSETEX",
    "SETNX",
    "SETRANGE",
    "STRLEN",
];
const GENERIC: &[&str] = &[
    "DEL",
    "UNLINK",
    "EXISTS",
    "TYPE",
    "RENAME",
    "RENAMENX",
    "COPY",
    "MOVE",
    "KEYS",
    "SCAN",
    "RANDOMKEY",
    "TOUCH",
    "OBJECT",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "PERSIST",
    "SORT",
    "SORT_RO",
    "DBSIZE",
    "FLUSHDB",
    "SELECT",
    "SWAPDB",
];
const LISTS: &[&str] = &[
    "LPUSH",
    "RPUSH",
    "LPUSHX",
    "RPUSHX",
    "LPOP",
    "RPOP",
    "LINDEX",
    "LINSERT",
    "LLEN",
    "LMOVE",
    "RPOPLPUSH",
    "LMPOP",
    "LPOS",
    "LRANGE",
    "LREM",
    "LSET",
    "LTRIM",
    "BLPOP",
    "BRPOP",
    "BLMOVE",
    "BRPOPLPUSH",
    "BLMPOP",
];
const HASHES: &[&str] = &[
    "HSET",
    "HMSET",
    "HSETNX",
    "HGET",
    "HMGET",
    "HEXISTS",
    "HSTRLEN",
    "HLEN",
    "HDEL",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HRANDFIELD",
    "HSCAN",
];
const SETS: &[&str] = &[
    "SADD",
    "SREM",
    "SMOVE",
    "SCARD",
    "SISMEMBER",
    "SMISMEMBER",
    "SMEMBERS",
    "SINTER",
    "SUNION",
    "SDIFF",
    "SINTERSTORE",
    "SUNIONSTORE",
    "SDIFFSTORE",
    "SINTERCARD",
    "SPOP",
    "SRANDMEMBER",
    "SSCAN",
];
const SORTED_SETS: &[&str] = &[
    "ZADD",
    "ZINCRBY",
    "ZREM",
    "ZCARD",
    "ZSCORE",
    "ZMSCORE",
    "ZRANK",
    "ZREVRANK",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZRANGE",
    "ZRANGESTORE",
    "ZREVRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGEBYLEX",
    "ZREMRANGEBYRANK",
    "ZREMRANGEBYSCORE",
    "ZREMRANGEBYLEX",
    "ZUNION",
    "ZINTER",
    "ZDIFF",
    "ZUNIONSTORE",
    "ZINTERSTORE",
    "ZDIFFSTORE",
    "ZINTERCARD",
    "ZPOPMIN",
    "ZPOPMAX",
    "ZMPOP",
    "BZPOPMIN",
    "BZPOPMAX",
    "BZMPOP",
    "ZRANDMEMBER",
    "ZSCAN",
];
/// States and paths a full run must reach, or its comparisons prove little.
const MUST_COVER: &[&str] = &[
    "encoding listpack",
    "encoding hashtable",
    "encoding intset",
    "encoding skiplist",
    "encoding quicklist",
    "unordered reply of a hashtable",
    "scan page of a hashtable or skiplist",
    "random reply checked by properties",
    "SPOP rebuilt the key",
    "SORT in dict order",
    "lex range skipped on a skiplist",
    "EXEC ran",
    "EXEC aborted by a touched WATCH",
    "EXECABORT",
    "DISCARD",
    "blocked client served",
    "blocked client timed out",
    "blocked client unblocked with an error",
    "blocked client disconnected",
];

const TRANSACTIONS: &[&str] = &["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "(queued)"];

/// The command group a statistics label belongs to.
pub fn group_of(label: &str) -> &'static str {
    let first = label.split(' ').next().unwrap_or("");
    match first {
        "(final)" => "end-of-seed state",
        "(blocking)" => "blocking scenarios",
        "(arity)" | "(unknown)" => "errors",
        "(resync)" | "(settle)" | "(rebuild)" | "(contents)" => "harness side channel",
        "DEBUG" if label == "DEBUG DIGEST-VALUE" => "generic",
        _ if TRANSACTIONS.contains(&first) => "transactions",
        _ if STRINGS.contains(&first) => "strings",
        _ if GENERIC.contains(&first) => "generic",
        _ if LISTS.contains(&first) => "lists",
        _ if HASHES.contains(&first) => "hashes",
        _ if SETS.contains(&first) => "sets",
        _ if first.starts_with('Z') || first.starts_with("BZ") => "sorted sets",
        _ => "connection and server",
    }
}

impl Report {
    pub fn stat(&mut self, label: &str) -> &mut Stat {
        self.stats.entry(label.to_string()).or_default()
    }

    pub fn cover(&mut self, what: &str) {
        *self.coverage.entry(what.to_string()).or_default() += 1;
    }

    /// What a full-size run failed to exercise: commands of the collection
    /// groups never sent, and states never reached.
    pub fn uncovered(&self) -> Vec<String> {
        let mut missing: Vec<String> = [LISTS, HASHES, SETS, SORTED_SETS]
            .concat()
            .into_iter()
            .filter(|c| self.stats.get(*c).is_none_or(|s| s.sent == 0))
            .map(|c| format!("command {c}"))
            .collect();
        missing.extend(MUST_COVER.iter().filter(|w| !self.coverage.contains_key(**w)).map(|w| w.to_string()));
        missing
    }

    pub fn mismatch(&mut self, m: Mismatch, label: &str) {
        self.stat(label).mismatched += 1;
        self.mismatched += 1;
        if self.mismatches.len() < shown() {
            self.mismatches.push(m);
        }
    }

    pub fn print(&self, title: &str, elapsed: Duration) {
        println!();
        println!("{title}, {:.1}s", elapsed.as_secs_f64());
        let header = |what: &str| {
            println!(
                "{:<26} {:>8} {:>9} {:>7} {:>13} {:>8}",
                what, "sent", "mismatch", "racy", "racy-differed", "skipped"
            )
        };
        let row = |label: &str, s: &Stat| {
            println!(
                "{:<26} {:>8} {:>9} {:>7} {:>13} {:>8}",
                label, s.sent, s.mismatched, s.racy, s.racy_differed, s.skipped
            )
        };
        header("command");
        let mut groups: BTreeMap<&str, Stat> = BTreeMap::new();
        for (label, s) in &self.stats {
            row(label, s);
            let g = groups.entry(group_of(label)).or_default();
            g.sent += s.sent;
            g.mismatched += s.mismatched;
            g.racy += s.racy;
            g.racy_differed += s.racy_differed;
            g.skipped += s.skipped;
        }
        println!();
        header("group");
        for (group, s) in &groups {
            row(group, s);
        }
        let covered: Vec<String> = self.coverage.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!("coverage: {}", covered.join(", "));
        println!(
            "total: {} commands, {} mismatches, {} racy (not counted), {} expiry resyncs, {} rebuilt keys ({} after \
             mismatches)",
            self.total, self.mismatched, self.racy, self.resyncs, self.rebuilds, self.repairs
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fall_into_groups() {
        assert_eq!(group_of("LPUSH"), "lists");
        assert_eq!(group_of("BZMPOP"), "sorted sets");
        assert_eq!(group_of("HRANDFIELD"), "hashes");
        assert_eq!(group_of("SINTERCARD"), "sets");
        assert_eq!(group_of("OBJECT ENCODING"), "generic");
        assert_eq!(group_of("(blocking) BLPOP"), "blocking scenarios");
        assert_eq!(group_of("EXEC"), "transactions");
        assert_eq!(group_of("CONFIG SET"), "connection and server");
        assert_eq!(group_of("SETRANGE"), "strings");
    }
}
