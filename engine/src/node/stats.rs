//! Counters behind INFO stats, commandstats, errorstats and latencystats.
//!
//! Ordered maps keep INFO's listing deterministic (Redis prints commandstats
//! in hash-table order, which no client relies on).

use std::collections::BTreeMap;

use redsim_model::table::{CommandSpec, SPEC_COUNT};

/// Redis stops tracking new error codes after this many (a flood of distinct
/// error prefixes must not grow the table without bound).
const MAX_ERROR_CODES: usize = 128;
/// Samples behind instantaneous_ops_per_sec, one per 100 ms as in Redis.
const OPS_SAMPLES: usize = 16;

/// One command's counters.
#[derive(Clone, Debug, Default)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Durations in microseconds with their counts, for latency percentiles.
    pub latencies: BTreeMap<u64, u64>,
}

impl CommandStat {
    /// The smallest recorded duration that at least `pct` percent of calls
    /// did not exceed.
    pub fn percentile(&self, pct: f64) -> u64 {
        let total: u64 = self.latencies.values().sum();
        let wanted = ((pct / 100.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (usec, n) in &self.latencies {
            seen += n;
            if seen >= wanted {
                return *usec;
            }
        }
        0
    }
}

/// Per-command counters in an array indexed by the command table's ids:
/// every call updates one, and a string-keyed map cost a comparison of names
/// per level on each of them.
#[derive(Clone, Debug)]
pub struct CommandStats {
    by_id: Vec<Option<(&'static str, CommandStat)>>,
}

impl Default for CommandStats {
    fn default() -> Self {
        CommandStats { by_id: vec![None; SPEC_COUNT] }
    }
}

impl CommandStats {
    /// The commands counted so far, by full name (`client|list`), in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &CommandStat)> {
        let mut used: Vec<(&'static str, &CommandStat)> =
            self.by_id.iter().flatten().map(|(name, stat)| (*name, stat)).collect();
        used.sort_unstable_by_key(|(name, _)| *name);
        used.into_iter()
    }
}

/// The node's counters (what CONFIG RESETSTAT clears).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    /// Full resyncs served, partial resyncs accepted and refused (INFO stats).
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub commands: CommandStats,
    pub errors: BTreeMap<String, u64>,
    pub client_recent_max_input_buffer: u64,
    /// Reads handed to the node and reply batches handed to the driver.
    pub reads_processed: u64,
    pub writes_processed: u64,
    ops: [u64; OPS_SAMPLES],
    ops_idx: usize,
    last_sample_ms: i64,
    last_sample_cmds: u64,
}

impl Stats {
    /// Counts an error reply under its code (the first word: `ERR`, `WRONGTYPE` ...).
    pub fn error_reply(&mut self, text: &str) {
        self.total_error_replies += 1;
        let code = text.split(' ').next().unwrap_or("ERR");
        if let Some(n) = self.errors.get_mut(code) {
            *n += 1;
        } else if self.errors.len() < MAX_ERROR_CODES {
            self.errors.insert(code.to_string(), 1);
        }
    }

    pub fn command(&mut self, spec: &'static CommandSpec) -> &mut CommandStat {
        let slot = &mut self.commands.by_id[usize::from(spec.id)];
        &mut slot.get_or_insert_with(|| (spec.fullname, CommandStat::default())).1
    }

    /// Records a call of `spec` that took `usec` and failed or not.
    pub fn call(&mut self, spec: &'static CommandSpec, usec: u64, failed: bool) {
        self.total_commands_processed += 1;
        let s = self.command(spec);
        s.calls += 1;
        s.usec += usec;
        *s.latencies.entry(usec).or_default() += 1;
        if failed {
            s.failed_calls += 1;
        }
    }

    /// Takes an ops/sec sample when 100 ms have passed since the last one.
    pub fn sample(&mut self, now_ms: i64) {
        let elapsed = now_ms - self.last_sample_ms;
        if elapsed < 100 {
            return;
        }
        let ops = self.total_commands_processed.saturating_sub(self.last_sample_cmds);
        self.ops[self.ops_idx] = ops * 1000 / elapsed.max(1) as u64;
        self.ops_idx = (self.ops_idx + 1) % OPS_SAMPLES;
        self.last_sample_ms = now_ms;
        self.last_sample_cmds = self.total_commands_processed;
    }

    pub fn instantaneous_ops_per_sec(&self) -> u64 {
        self.ops.iter().sum::<u64>() / OPS_SAMPLES as u64
    }

    /// CONFIG RESETSTAT: everything but the sampling clock starts over.
    pub fn reset(&mut self, now_ms: i64) {
        *self = Stats { last_sample_ms: now_ms, ..Stats::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_code() {
        let mut s = Stats::default();
        s.error_reply("ERR syntax error");
        s.error_reply("WRONGTYPE Operation against a key");
        s.error_reply("ERR other");
        assert_eq!(s.total_error_replies, 3);
        assert_eq!(s.errors.get("ERR"), Some(&2));
        assert_eq!(s.errors.get("WRONGTYPE"), Some(&1));
    }

    #[test]
    fn percentiles_and_ops() {
        let mut s = Stats::default();
        let get = redsim_model::table::lookup(b"get").unwrap();
        for usec in [1, 2, 3, 4, 100] {
            s.call(get, usec, false);
        }
        let g = s.commands.iter().find(|(name, _)| *name == "get").unwrap().1;
        assert_eq!((g.calls, g.usec), (5, 110));
        assert_eq!(g.percentile(50.0), 3);
        assert_eq!(g.percentile(99.0), 100);
        s.sample(1000);
        assert_eq!(s.instantaneous_ops_per_sec(), 5 * 1000 / 1000 / 16);
    }
}
