//! INFO: Redis 7.0's sections, in Redis's order and with its field names.
//!
//! Values redsim cannot know (CPU time, RSS, allocator details) are reported
//! as plausible constants or derived from the engine's memory estimate;
//! everything about clients, commands, errors and the keyspace is real.

use std::fmt::Write;

use super::config::ClientClass;
use super::Node;

/// Every section, in the order INFO prints them.
const ORDER: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// The sections INFO prints without arguments (or with "default").
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Redis's `bytesToHuman`: 1023B, 1.00K, 1.50M ...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [(1 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    for (size, unit) in UNITS {
        if n >= size && (unit != "P" || n < size * 1024) {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

impl Node {
    /// The INFO text for the requested sections (lower-cased names).
    pub(super) fn info(&self, requested: &[String]) -> String {
        let mut wanted: Vec<&str> = Vec::new();
        if requested.is_empty() {
            wanted.extend(DEFAULT);
        }
        for r in requested {
            match r.as_str() {
                "default" => wanted.extend(DEFAULT),
                "all" | "everything" => wanted.extend(ORDER),
                s => wanted.extend(ORDER.iter().filter(|o| **o == s)),
            }
        }
        let sections: Vec<String> = ORDER.iter().filter(|s| wanted.contains(s)).map(|s| self.info_section(s)).collect();
        sections.join("\r\n")
    }

    fn info_section(&self, name: &str) -> String {
        let mut out = String::new();
        let title = match name {
            "cpu" => "CPU".to_string(),
            other => {
                let mut t = other.to_string();
                t[..1].make_ascii_uppercase();
                t
            }
        };
        let _ = write!(out, "# {title}\r\n");
        let fields: Vec<(String, String)> = match name {
            "server" => self.info_server(),
            "clients" => self.info_clients(),
            "memory" => self.info_memory(),
            "persistence" => self.info_persistence(),
            "stats" => self.info_stats(),
            "replication" => self.info_replication(),
            "cpu" => [
                "used_cpu_sys",
                "used_cpu_user",
                "used_cpu_sys_children",
                "used_cpu_user_children",
                "used_cpu_sys_main_thread",
                "used_cpu_user_main_thread",
            ]
            .iter()
            .map(|k| (k.to_string(), "0.000000".to_string()))
            .collect(),
            "commandstats" => self.info_commandstats(),
            "errorstats" => {
                self.stats.errors.iter().map(|(code, n)| (format!("errorstat_{code}"), format!("count={n}"))).collect()
            }
            "latencystats" => self.info_latencystats(),
            "cluster" => {
                vec![("cluster_enabled".into(), if self.config.get_bool("cluster-enabled") { "1" } else { "0" }.into())]
            }
            "keyspace" => self.info_keyspace(),
            _ => Vec::new(),
        };
        for (k, v) in fields {
            let _ = write!(out, "{k}:{v}\r\n");
        }
        out
    }

    fn info_server(&self) -> Vec<(String, String)> {
        let uptime = ((self.now_ms - self.start_ms) / 1000).max(0);
        let hz = self.config.hz();
        let lru_clock = (self.now_ms / 1000) & ((1 << 24) - 1);
        let p = &self.process;
        [
            ("redis_version", "7.0.15".to_string()),
            ("redis_git_sha1", "00000000".into()),
            ("redis_git_dirty", "0".into()),
            ("redis_build_id", "0".into()),
            ("redis_mode", "standalone".into()),
            ("os", p.os.clone()),
            ("arch_bits", (usize::BITS).to_string()),
            ("monotonic_clock", "injected".into()),
            ("multiplexing_api", "tokio".into()),
            ("atomicvar_api", "c11-builtin".into()),
            ("gcc_version", "0.0.0".into()),
            ("process_id", p.process_id.to_string()),
            ("process_supervised", "no".into()),
            ("run_id", self.run_id.clone()),
            ("tcp_port", self.config.get("port").to_string()),
            ("server_time_usec", self.now_ms.saturating_mul(1000).to_string()),
            ("uptime_in_seconds", uptime.to_string()),
            ("uptime_in_days", (uptime / 86400).to_string()),
            ("hz", hz.to_string()),
            ("configured_hz", hz.to_string()),
            ("lru_clock", lru_clock.to_string()),
            ("executable", p.executable.clone()),
            ("config_file", self.config.file().unwrap_or("").to_string()),
            ("io_threads_active", "0".into()),
            ("redsim_engine", self.engine.name().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn info_clients(&self) -> Vec<(String, String)> {
        let max_out = self.clients.values().map(|c| c.out.len() as u64 + c.unsent).max().unwrap_or(0);
        [
            ("connected_clients", self.clients.len().to_string()),
            ("cluster_connections", "0".into()),
            ("maxclients", self.config.get("maxclients").to_string()),
            ("client_recent_max_input_buffer", self.stats.client_recent_max_input_buffer.to_string()),
            ("client_recent_max_output_buffer", max_out.to_string()),
            ("blocked_clients", self.clients.values().filter(|c| c.blocked.is_some()).count().to_string()),
            ("tracking_clients", "0".into()),
            ("clients_in_timeout_table", "0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn info_memory(&self) -> Vec<(String, String)> {
        let used = self.used_memory();
        let peak = self.peak_memory.max(used);
        let startup = 870_000u64.min(used);
        let maxmemory = self.config.get_u64("maxmemory");
        let dataset = used.saturating_sub(startup);
        // Each client's fixed cost and its output: this batch's replies and
        // what the driver has not written (a stalled replica shows here).
        let (mut normal_clients, mut replica_clients) = (0u64, 0u64);
        for c in self.clients.values() {
            let bytes = super::PER_CLIENT_BYTES + c.out.len() as u64 + c.unsent;
            match super::output_limits::class_of(c) {
                ClientClass::Replica => replica_clients += bytes,
                _ => normal_clients += bytes,
            }
        }
        let pct = |a: u64, b: u64| {
            if b == 0 {
                0.0
            } else {
                a as f64 * 100.0 / b as f64
            }
        };
        [
            ("used_memory", used.to_string()),
            ("used_memory_human", bytes_to_human(used)),
            ("used_memory_rss", used.to_string()),
            ("used_memory_rss_human", bytes_to_human(used)),
            ("used_memory_peak", peak.to_string()),
            ("used_memory_peak_human", bytes_to_human(peak)),
            ("used_memory_peak_perc", format!("{:.2}%", pct(used, peak))),
            ("used_memory_overhead", startup.to_string()),
            ("used_memory_startup", startup.to_string()),
            ("used_memory_dataset", dataset.to_string()),
            ("used_memory_dataset_perc", format!("{:.2}%", pct(dataset, used))),
            ("allocator_allocated", used.to_string()),
            ("allocator_active", used.to_string()),
            ("allocator_resident", used.to_string()),
            ("total_system_memory", "0".into()),
            ("total_system_memory_human", "0B".into()),
            ("used_memory_lua", "32768".into()),
            ("used_memory_vm_eval", "32768".into()),
            ("used_memory_lua_human", "32.00K".into()),
            ("used_memory_scripts_eval", "0".into()),
            ("number_of_cached_scripts", "0".into()),
            ("number_of_functions", "0".into()),
            ("number_of_libraries", "0".into()),
            ("used_memory_vm_functions", "32768".into()),
            ("used_memory_vm_total", "65536".into()),
            ("used_memory_vm_total_human", "64.00K".into()),
            ("used_memory_functions", "0".into()),
            ("used_memory_scripts", "0".into()),
            ("used_memory_scripts_human", "0B".into()),
            ("maxmemory", maxmemory.to_string()),
            ("maxmemory_human", bytes_to_human(maxmemory)),
            ("maxmemory_policy", self.config.get("maxmemory-policy").to_string()),
            ("allocator_frag_ratio", "1.00".into()),
            ("allocator_frag_bytes", "0".into()),
            ("allocator_rss_ratio", "1.00".into()),
            ("allocator_rss_bytes", "0".into()),
            ("rss_overhead_ratio", "1.00".into()),
            ("rss_overhead_bytes", "0".into()),
            ("mem_fragmentation_ratio", "1.00".into()),
            ("mem_fragmentation_bytes", "0".into()),
            ("mem_not_counted_for_evict", "0".into()),
            ("mem_replication_backlog", "0".into()),
            ("mem_total_replication_buffers", "0".into()),
            ("mem_clients_slaves", replica_clients.to_string()),
            ("mem_clients_normal", normal_clients.to_string()),
            ("mem_aof_buffer", "0".into()),
            ("mem_cluster_links", "0".into()),
            ("mem_allocator", ALLOCATOR.into()),
            ("active_defrag_running", "0".into()),
            ("lazyfree_pending_objects", self.engine.stats().lazyfree_pending_objects.to_string()),
            ("lazyfreed_objects", self.engine.stats().lazyfreed_objects.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn info_persistence(&self) -> Vec<(String, String)> {
        self.persistence_info()
    }

    fn info_stats(&self) -> Vec<(String, String)> {
        let s = &self.stats;
        let ks = self.engine.stats();
        let mut v: Vec<(&str, String)> = vec![
            ("total_connections_received", s.total_connections_received.to_string()),
            ("total_commands_processed", s.total_commands_processed.to_string()),
            ("instantaneous_ops_per_sec", s.instantaneous_ops_per_sec().to_string()),
            ("total_net_input_bytes", s.net_input_bytes.to_string()),
            ("total_net_output_bytes", s.net_output_bytes.to_string()),
            ("total_net_repl_input_bytes", "0".into()),
            ("total_net_repl_output_bytes", "0".into()),
            ("instantaneous_input_kbps", "0.00".into()),
            ("instantaneous_output_kbps", "0.00".into()),
            ("instantaneous_input_repl_kbps", "0.00".into()),
            ("instantaneous_output_repl_kbps", "0.00".into()),
            ("rejected_connections", s.rejected_connections.to_string()),
            ("sync_full", s.sync_full.to_string()),
            ("sync_partial_ok", s.sync_partial_ok.to_string()),
            ("sync_partial_err", s.sync_partial_err.to_string()),
            ("expired_keys", ks.expired_keys.to_string()),
            ("expired_stale_perc", format!("{}.00", ks.expired_stale_perc)),
            ("expired_time_cap_reached_count", ks.expired_time_cap_reached_count.to_string()),
            ("expire_cycle_cpu_milliseconds", "0".into()),
            ("evicted_keys", ks.evicted_keys.to_string()),
            ("evicted_clients", "0".into()),
            ("total_eviction_exceeded_time", "0".into()),
            ("current_eviction_exceeded_time", "0".into()),
            ("keyspace_hits", ks.keyspace_hits.to_string()),
            ("keyspace_misses", ks.keyspace_misses.to_string()),
            ("pubsub_channels", "0".into()),
            ("pubsub_patterns", "0".into()),
            ("pubsubshard_channels", "0".into()),
            ("latest_fork_usec", "0".into()),
            ("total_forks", "0".into()),
            ("migrate_cached_sockets", self.migrate.cached_sockets().to_string()),
            ("slave_expires_tracked_keys", "0".into()),
            ("active_defrag_hits", "0".into()),
            ("active_defrag_misses", "0".into()),
            ("active_defrag_key_hits", "0".into()),
            ("active_defrag_key_misses", "0".into()),
            ("total_active_defrag_time", "0".into()),
            ("current_active_defrag_time", "0".into()),
            ("tracking_total_keys", "0".into()),
            ("tracking_total_items", "0".into()),
            ("tracking_total_prefixes", "0".into()),
            ("unexpected_error_replies", "0".into()),
            ("total_error_replies", s.total_error_replies.to_string()),
            ("dump_payload_sanitizations", "0".into()),
            ("total_reads_processed", s.reads_processed.to_string()),
            ("total_writes_processed", s.writes_processed.to_string()),
            ("io_threaded_reads_processed", "0".into()),
            ("io_threaded_writes_processed", "0".into()),
            ("reply_buffer_shrinks", "0".into()),
            ("reply_buffer_expands", "0".into()),
        ];
        // redsim's own: the commands handed to replication and the AOF.
        v.push(("propagated_commands", self.propagation.total_commands().to_string()));
        v.push(("propagated_bytes", self.propagation.total_bytes().to_string()));
        v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn info_replication(&self) -> Vec<(String, String)> {
        self.replication_info()
    }

    fn info_commandstats(&self) -> Vec<(String, String)> {
        self.stats
            .commands
            .iter()
            .filter(|(_, s)| s.calls > 0 || s.rejected_calls > 0 || s.failed_calls > 0)
            .map(|(name, s)| {
                let per_call = if s.calls == 0 { 0.0 } else { s.usec as f64 / s.calls as f64 };
                (
                    format!("cmdstat_{name}"),
                    format!(
                        "calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                        s.calls, s.usec, per_call, s.rejected_calls, s.failed_calls
                    ),
                )
            })
            .collect()
    }

    fn info_latencystats(&self) -> Vec<(String, String)> {
        let percentiles: Vec<f64> =
            self.config.get("latency-tracking-info-percentiles").split(' ').filter_map(|p| p.parse().ok()).collect();
        if !self.config.get_bool("latency-tracking") {
            return Vec::new();
        }
        self.stats
            .commands
            .iter()
            .filter(|(_, s)| s.calls > 0)
            .map(|(name, s)| {
                let parts: Vec<String> =
                    percentiles.iter().map(|p| format!("p{p}={:.3}", s.percentile(*p) as f64)).collect();
                (format!("latency_percentiles_usec_{name}"), parts.join(","))
            })
            .collect()
    }

    fn info_keyspace(&self) -> Vec<(String, String)> {
        self.engine
            .db_info(self.now_ms)
            .iter()
            .enumerate()
            .filter(|(_, d)| d.keys > 0)
            .map(|(i, d)| (format!("db{i}"), format!("keys={},expires={},avg_ttl={}", d.keys, d.expires, d.avg_ttl)))
            .collect()
    }
}

/// INFO's `mem_allocator`: the allocator redsim-server was built with
/// (features `jemalloc` / `mimalloc`; see reports/allocators.md).
const ALLOCATOR: &str = if cfg!(feature = "jemalloc") {
    "jemalloc-5.3.0"
} else if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "libc"
};

#[cfg(test)]
mod tests {
    use super::bytes_to_human;

    #[test]
    fn human_sizes_like_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1_017_408), "993.56K");
        assert_eq!(bytes_to_human(1_395_240), "1.33M");
        assert_eq!(bytes_to_human(25_276_063_744), "23.54G");
    }
}
