//! Every configuration parameter of Redis 7.0 with its kind, bounds, default
//! and whether CONFIG SET may change it.
//!
//! The names, defaults and bounds were read off a running Redis 7.0.15
//! (`CONFIG GET *` and the errors CONFIG SET gives for out-of-range values),
//! so CONFIG GET/SET behave the same for clients that probe them. Two defaults
//! differ on purpose: `bind` is loopback only (redsim is a test bed and should
//! not listen on every interface unless asked) and `save` keeps Redis's default
//! points although redsim does not persist yet.

/// What values a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// yes / no.
    Bool,
    /// A strict decimal integer within bounds.
    Int(i64, i64),
    /// Bytes with an optional unit (k, kb, m, mb, g, gb); bounds in bytes.
    Mem(u64, u64),
    /// One of the words, case-insensitively.
    Enum(&'static [&'static str]),
    /// Any string.
    Str,
    /// An octal number (unixsocketperm).
    Octal,
    /// `save`: pairs of seconds and changes.
    Save,
    /// `bind`: up to 16 addresses.
    Bind,
    /// `client-output-buffer-limit`: class hard soft seconds, repeated.
    OutputBufferLimit,
    /// `notify-keyspace-events`: event class letters.
    KeyspaceEvents,
    /// `oom-score-adj-values`: three integers.
    OomScoreAdjValues,
    /// `latency-tracking-info-percentiles`: numbers between 0 and 100.
    Percentiles,
    /// `maxmemory-clients`: bytes or a percentage.
    MemOrPercent,
    /// `replicaof host port` (config file only; the REPLICAOF command changes it).
    ReplicaOf,
}

/// Whether CONFIG SET may change a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Mutable,
    /// Only from the config file or the command line.
    Immutable,
    /// Refused by CONFIG SET unless enable-protected-configs allows it.
    Protected,
}

/// One parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    /// The old name Redis still accepts (slave-read-only for replica-read-only).
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub mode: Mode,
    pub default: &'static str,
}

impl Param {
    /// Parameters whose value is a list that CONFIG SET passes as one
    /// space-separated argument.
    pub fn multi_arg(&self) -> bool {
        matches!(
            self.kind,
            Kind::Save | Kind::Bind | Kind::OutputBufferLimit | Kind::OomScoreAdjValues | Kind::Percentiles
        )
    }
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LLONG_MAX: i64 = i64::MAX;
const ULLONG_MAX: u64 = u64::MAX;
const PROTECTED_MODES: &[&str] = &["no", "yes", "local"];

const fn p(name: &'static str, alias: Option<&'static str>, kind: Kind, mode: Mode, default: &'static str) -> Param {
    Param { name, alias, kind, mode, default }
}

#[allow(non_snake_case)]
const fn Int(min: i64, max: i64) -> Kind {
    Kind::Int(min, max)
}

#[allow(non_snake_case)]
const fn Mem(min: i64, max: u64) -> Kind {
    Kind::Mem(min as u64, max)
}

use Kind::{
    Bind, Bool, Enum, KeyspaceEvents, MemOrPercent, Octal, OomScoreAdjValues, OutputBufferLimit, Percentiles,
    ReplicaOf, Save, Str,
};
use Mode::{Immutable, Mutable, Protected};

/// The registry, sorted by name.
pub static PARAMS: &[Param] = &[
    p("acl-pubsub-default", None, Enum(&["allchannels", "resetchannels"]), Mutable, "resetchannels"),
    p("aclfile", None, Str, Immutable, ""),
    p("acllog-max-len", None, Int(0, LLONG_MAX), Mutable, "128"),
    p("active-defrag-cycle-max", None, Int(1, 99), Mutable, "25"),
    p("active-defrag-cycle-min", None, Int(1, 99), Mutable, "1"),
    p("active-defrag-ignore-bytes", None, Mem(0, LLONG_MAX as u64), Mutable, "104857600"),
    p("active-defrag-max-scan-fields", None, Int(1, LLONG_MAX), Mutable, "1000"),
    p("active-defrag-threshold-lower", None, Int(0, 1000), Mutable, "10"),
    p("active-defrag-threshold-upper", None, Int(0, 1000), Mutable, "100"),
    p("active-expire-effort", None, Int(1, 10), Mutable, "1"),
    p("activedefrag", None, Bool, Mutable, "no"),
    p("activerehashing", None, Bool, Mutable, "yes"),
    p("always-show-logo", None, Bool, Immutable, "no"),
    p("aof-disable-auto-gc", None, Bool, Mutable, "no"),
    p("aof-load-truncated", None, Bool, Mutable, "yes"),
    p("aof-rewrite-incremental-fsync", None, Bool, Mutable, "yes"),
    p("aof-timestamp-enabled", None, Bool, Mutable, "no"),
    p("aof-use-rdb-preamble", None, Bool, Mutable, "yes"),
    p("aof_rewrite_cpulist", None, Str, Immutable, ""),
    p("appenddirname", None, Str, Immutable, "appendonlydir"),
    p("appendfilename", None, Str, Immutable, "appendonly.aof"),
    p("appendfsync", None, Enum(&["everysec", "always", "no"]), Mutable, "everysec"),
    p("appendonly", None, Bool, Mutable, "no"),
    p("auto-aof-rewrite-min-size", None, Mem(0, LLONG_MAX as u64), Mutable, "67108864"),
    p("auto-aof-rewrite-percentage", None, Int(0, INT_MAX), Mutable, "100"),
    p("bgsave_cpulist", None, Str, Immutable, ""),
    p("bind", None, Bind, Mutable, "127.0.0.1 -::1"),
    p("bind-source-addr", None, Str, Mutable, ""),
    p("bio_cpulist", None, Str, Immutable, ""),
    p("busy-reply-threshold", None, Int(0, LLONG_MAX), Mutable, "5000"),
    p(
        "client-output-buffer-limit",
        None,
        OutputBufferLimit,
        Mutable,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    p("client-query-buffer-limit", None, Mem(1048576, LLONG_MAX as u64), Mutable, "1073741824"),
    p("cluster-allow-pubsubshard-when-down", None, Bool, Mutable, "yes"),
    p("cluster-allow-reads-when-down", None, Bool, Mutable, "no"),
    p("cluster-allow-replica-migration", None, Bool, Mutable, "yes"),
    p("cluster-announce-bus-port", None, Int(0, 65535), Mutable, "0"),
    p("cluster-announce-hostname", None, Str, Mutable, ""),
    p("cluster-announce-ip", None, Str, Mutable, ""),
    p("cluster-announce-port", None, Int(0, 65535), Mutable, "0"),
    p("cluster-announce-tls-port", None, Int(0, 65535), Mutable, "0"),
    p("cluster-config-file", None, Str, Immutable, "nodes.conf"),
    p("cluster-enabled", None, Bool, Immutable, "no"),
    p("cluster-link-sendbuf-limit", None, Mem(0, LLONG_MAX as u64), Mutable, "0"),
    p("cluster-migration-barrier", None, Int(0, INT_MAX), Mutable, "1"),
    p("cluster-node-timeout", None, Int(0, LLONG_MAX), Mutable, "15000"),
    p("cluster-port", None, Int(0, 65535), Immutable, "0"),
    p("cluster-preferred-endpoint-type", None, Enum(&["ip", "hostname", "unknown-endpoint"]), Mutable, "ip"),
    p("cluster-replica-no-failover", Some("cluster-slave-no-failover"), Bool, Mutable, "no"),
    p("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), Int(0, INT_MAX), Mutable, "10"),
    p("cluster-require-full-coverage", None, Bool, Mutable, "yes"),
    p("crash-log-enabled", None, Bool, Mutable, "yes"),
    p("crash-memcheck-enabled", None, Bool, Mutable, "yes"),
    p("daemonize", None, Bool, Immutable, "no"),
    p("databases", None, Int(1, INT_MAX), Immutable, "16"),
    p("dbfilename", None, Str, Protected, "dump.rdb"),
    p("dir", None, Str, Protected, ""),
    p("disable-thp", None, Bool, Immutable, "yes"),
    p("dynamic-hz", None, Bool, Mutable, "yes"),
    p("enable-debug-command", None, Enum(PROTECTED_MODES), Immutable, "no"),
    p("enable-module-command", None, Enum(PROTECTED_MODES), Immutable, "no"),
    p("enable-protected-configs", None, Enum(PROTECTED_MODES), Immutable, "no"),
    // redsim's own: which engine holds the keyspace ("model", the reference,
    // or "engine", the optimized one).
    p("engine", None, Enum(&["model", "engine"]), Immutable, "engine"),
    p("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), Int(0, LLONG_MAX), Mutable, "512"),
    p("hash-max-listpack-value", Some("hash-max-ziplist-value"), Mem(0, LLONG_MAX as u64), Mutable, "64"),
    p("hll-sparse-max-bytes", None, Mem(0, LLONG_MAX as u64), Mutable, "3000"),
    p("hz", None, Int(0, INT_MAX), Mutable, "10"),
    p("ignore-warnings", None, Str, Mutable, ""),
    p("io-threads", None, Int(1, 128), Immutable, "1"),
    p("io-threads-do-reads", None, Bool, Immutable, "no"),
    p("jemalloc-bg-thread", None, Bool, Mutable, "yes"),
    p("latency-monitor-threshold", None, Int(0, LLONG_MAX), Mutable, "0"),
    p("latency-tracking", None, Bool, Mutable, "yes"),
    p("latency-tracking-info-percentiles", None, Percentiles, Mutable, "50 99 99.9"),
    p("lazyfree-lazy-eviction", None, Bool, Mutable, "no"),
    p("lazyfree-lazy-expire", None, Bool, Mutable, "no"),
    p("lazyfree-lazy-server-del", None, Bool, Mutable, "no"),
    p("lazyfree-lazy-user-del", None, Bool, Mutable, "no"),
    p("lazyfree-lazy-user-flush", None, Bool, Mutable, "no"),
    p("lfu-decay-time", None, Int(0, INT_MAX), Mutable, "1"),
    p("lfu-log-factor", None, Int(0, INT_MAX), Mutable, "10"),
    p("list-compress-depth", None, Int(0, INT_MAX), Mutable, "0"),
    p("list-max-listpack-size", Some("list-max-ziplist-size"), Int(INT_MIN, INT_MAX), Mutable, "-2"),
    p("logfile", None, Str, Immutable, ""),
    p("loglevel", None, Enum(&["debug", "verbose", "notice", "warning"]), Mutable, "notice"),
    p("lua-time-limit", None, Int(0, LLONG_MAX), Mutable, "5000"),
    p("masterauth", None, Str, Mutable, ""),
    p("masteruser", None, Str, Mutable, ""),
    p("maxclients", None, Int(1, UINT_MAX), Mutable, "10000"),
    p("maxmemory", None, Mem(0, ULLONG_MAX), Mutable, "0"),
    p("maxmemory-clients", None, MemOrPercent, Mutable, "0"),
    p("maxmemory-eviction-tenacity", None, Int(0, 100), Mutable, "10"),
    p(
        "maxmemory-policy",
        None,
        Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
        Mutable,
        "noeviction",
    ),
    p("maxmemory-samples", None, Int(1, INT_MAX), Mutable, "5"),
    p("min-replicas-max-lag", Some("min-slaves-max-lag"), Int(0, INT_MAX), Mutable, "10"),
    p("min-replicas-to-write", Some("min-slaves-to-write"), Int(0, INT_MAX), Mutable, "0"),
    p("no-appendfsync-on-rewrite", None, Bool, Mutable, "no"),
    p("notify-keyspace-events", None, KeyspaceEvents, Mutable, ""),
    p("oom-score-adj", None, Enum(&["no", "yes", "relative", "absolute"]), Mutable, "no"),
    p("oom-score-adj-values", None, OomScoreAdjValues, Mutable, "0 200 800"),
    p("pidfile", None, Str, Immutable, ""),
    p("port", None, Int(0, 65535), Mutable, "6379"),
    p("proc-title-template", None, Str, Mutable, "{title} {listen-addr} {server-mode}"),
    p("propagation-error-behavior", None, Enum(&["ignore", "panic", "panic-on-replicas"]), Mutable, "ignore"),
    p("protected-mode", None, Bool, Mutable, "yes"),
    p("proto-max-bulk-len", None, Mem(1048576, LLONG_MAX as u64), Mutable, "536870912"),
    p("rdb-del-sync-files", None, Bool, Mutable, "no"),
    p("rdb-save-incremental-fsync", None, Bool, Mutable, "yes"),
    p("rdbchecksum", None, Bool, Immutable, "yes"),
    p("rdbcompression", None, Bool, Mutable, "yes"),
    p("repl-backlog-size", None, Mem(0, LLONG_MAX as u64), Mutable, "1048576"),
    p("repl-backlog-ttl", None, Int(0, LLONG_MAX), Mutable, "3600"),
    p("repl-disable-tcp-nodelay", None, Bool, Mutable, "no"),
    p("repl-diskless-load", None, Enum(&["disabled", "on-empty-db", "swapdb"]), Mutable, "disabled"),
    p("repl-diskless-sync", None, Bool, Mutable, "yes"),
    p("repl-diskless-sync-delay", None, Int(0, INT_MAX), Mutable, "5"),
    p("repl-diskless-sync-max-replicas", None, Int(0, INT_MAX), Mutable, "0"),
    p("repl-ping-replica-period", Some("repl-ping-slave-period"), Int(1, INT_MAX), Mutable, "10"),
    p("repl-timeout", None, Int(1, INT_MAX), Mutable, "60"),
    p("replica-announce-ip", Some("slave-announce-ip"), Str, Mutable, ""),
    p("replica-announce-port", Some("slave-announce-port"), Int(0, 65535), Mutable, "0"),
    p("replica-announced", None, Bool, Mutable, "yes"),
    p("replica-ignore-disk-write-errors", None, Bool, Mutable, "no"),
    p("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), Bool, Mutable, "yes"),
    p("replica-lazy-flush", Some("slave-lazy-flush"), Bool, Mutable, "no"),
    p("replica-priority", Some("slave-priority"), Int(0, INT_MAX), Mutable, "100"),
    p("replica-read-only", Some("slave-read-only"), Bool, Mutable, "yes"),
    p("replica-serve-stale-data", Some("slave-serve-stale-data"), Bool, Mutable, "yes"),
    p("replicaof", Some("slaveof"), ReplicaOf, Immutable, ""),
    p("requirepass", None, Str, Mutable, ""),
    p("sanitize-dump-payload", None, Enum(&["no", "yes", "clients"]), Mutable, "no"),
    p("save", None, Save, Mutable, "3600 1 300 100 60 10000"),
    p("server_cpulist", None, Str, Immutable, ""),
    p("set-max-intset-entries", None, Int(0, LLONG_MAX), Mutable, "512"),
    p("set-proc-title", None, Bool, Immutable, "yes"),
    p("shutdown-on-sigint", None, Enum(&["default", "save", "nosave", "now", "force"]), Mutable, "default"),
    p("shutdown-on-sigterm", None, Enum(&["default", "save", "nosave", "now", "force"]), Mutable, "default"),
    p("shutdown-timeout", None, Int(0, INT_MAX), Mutable, "10"),
    p("slowlog-log-slower-than", None, Int(-1, LLONG_MAX), Mutable, "10000"),
    p("slowlog-max-len", None, Int(0, LLONG_MAX), Mutable, "128"),
    p("socket-mark-id", None, Int(0, UINT_MAX), Immutable, "0"),
    p("stop-writes-on-bgsave-error", None, Bool, Mutable, "yes"),
    p("stream-node-max-bytes", None, Mem(0, LLONG_MAX as u64), Mutable, "4096"),
    p("stream-node-max-entries", None, Int(0, LLONG_MAX), Mutable, "100"),
    p("supervised", None, Enum(&["upstart", "systemd", "auto", "no"]), Immutable, "no"),
    p("syslog-enabled", None, Bool, Immutable, "no"),
    p(
        "syslog-facility",
        None,
        Enum(&["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]),
        Immutable,
        "local0",
    ),
    p("syslog-ident", None, Str, Immutable, "redis"),
    p("tcp-backlog", None, Int(0, INT_MAX), Immutable, "511"),
    p("tcp-keepalive", None, Int(0, INT_MAX), Mutable, "300"),
    p("timeout", None, Int(0, INT_MAX), Mutable, "0"),
    p("tls-auth-clients", None, Enum(&["no", "yes", "optional"]), Mutable, "yes"),
    p("tls-ca-cert-dir", None, Str, Mutable, ""),
    p("tls-ca-cert-file", None, Str, Mutable, ""),
    p("tls-cert-file", None, Str, Mutable, ""),
    p("tls-ciphers", None, Str, Mutable, ""),
    p("tls-ciphersuites", None, Str, Mutable, ""),
    p("tls-client-cert-file", None, Str, Mutable, ""),
    p("tls-client-key-file", None, Str, Mutable, ""),
    p("tls-client-key-file-pass", None, Str, Mutable, ""),
    p("tls-cluster", None, Bool, Mutable, "no"),
    p("tls-dh-params-file", None, Str, Mutable, ""),
    p("tls-key-file", None, Str, Mutable, ""),
    p("tls-key-file-pass", None, Str, Mutable, ""),
    p("tls-port", None, Int(0, 65535), Mutable, "0"),
    p("tls-prefer-server-ciphers", None, Bool, Mutable, "no"),
    p("tls-protocols", None, Str, Mutable, ""),
    p("tls-replication", None, Bool, Mutable, "no"),
    p("tls-session-cache-size", None, Int(0, INT_MAX), Mutable, "20480"),
    p("tls-session-cache-timeout", None, Int(0, INT_MAX), Mutable, "300"),
    p("tls-session-caching", None, Bool, Mutable, "yes"),
    p("tracking-table-max-keys", None, Int(0, LLONG_MAX), Mutable, "1000000"),
    p("unixsocket", None, Str, Immutable, ""),
    p("unixsocketperm", None, Octal, Immutable, "0"),
    p("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), Int(0, LLONG_MAX), Mutable, "128"),
    p("zset-max-listpack-value", Some("zset-max-ziplist-value"), Mem(0, LLONG_MAX as u64), Mutable, "64"),
];
