//! The configuration registry: the value of every parameter, CONFIG GET and
//! CONFIG SET with Redis's matching and errors, and the typed views the rest
//! of the node reads (`hz`, `requirepass`, the engine's settings ...).
//!
//! Values are kept in the normalized text form CONFIG GET shows; the few the
//! node reads on every command are cheap to parse, and keeping one form means
//! CONFIG GET can never disagree with what the node uses.

mod file;
pub mod params;
mod rewrite;
mod values;

pub use file::{args_to_config_text, FileError};
pub use values::parse_memory;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bytes::Bytes;
use redsim_model::engine::MaxmemoryPolicy;
use redsim_model::errors::{self, RedisResult};
use redsim_model::glob::glob_match;
use redsim_model::EngineConfig;

use params::{Kind, Mode, Param, PARAMS};

/// The node's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Normalized values, by index in [`PARAMS`].
    values: Vec<String>,
    /// The file the configuration was loaded from, for INFO and CONFIG REWRITE.
    file: Option<String>,
    /// That file's text as loaded, which CONFIG REWRITE edits.
    file_text: String,
    /// Values the node reads for every command, parsed once per change.
    hot: Hot,
}

/// Parsed copies of the parameters read on every command.
#[derive(Clone, Debug, Default)]
struct Hot {
    slowlog_slower_than: i64,
    slowlog_max_len: usize,
    query_buffer_limit: u64,
    requirepass: Option<String>,
    debug_mode: String,
    /// `min-replicas-to-write` and `min-replicas-max-lag`, checked before every write.
    min_replicas: (i64, i64),
    /// `client-output-buffer-limit` per class, checked whenever output grows.
    output_limits: [OutputLimit; 3],
}

/// One class's `client-output-buffer-limit`: bytes (0: none) and seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

/// The client classes `client-output-buffer-limit` names (pubsub has no
/// commands yet, but keeps its setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientClass {
    Normal = 0,
    Replica = 1,
    Pubsub = 2,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// Every parameter at its default.
    pub fn new() -> Config {
        let mut c = Config {
            values: PARAMS.iter().map(|p| p.default.to_string()).collect(),
            file: None,
            file_text: String::new(),
            hot: Hot::default(),
        };
        c.refresh();
        c
    }

    /// Recomputes the parsed copies after a change.
    fn refresh(&mut self) {
        self.hot = Hot {
            slowlog_slower_than: self.get_i64("slowlog-log-slower-than"),
            slowlog_max_len: self.get_i64("slowlog-max-len").max(0) as usize,
            query_buffer_limit: self.get_u64("client-query-buffer-limit"),
            requirepass: Some(self.get("requirepass").to_string()).filter(|p| !p.is_empty()),
            debug_mode: self.get("enable-debug-command").to_string(),
            min_replicas: (self.get_i64("min-replicas-to-write"), self.get_i64("min-replicas-max-lag")),
            output_limits: values::BUFFER_CLASSES.map(|class| {
                // The stored form is canonical: "normal H S T slave H S T pubsub H S T".
                let text = self.get("client-output-buffer-limit");
                let words: Vec<&str> = text.split(' ').collect();
                let at = words.iter().position(|w| *w == class).unwrap_or(words.len());
                let num = |i: usize| words.get(at + i).and_then(|w| w.parse::<u64>().ok()).unwrap_or(0);
                OutputLimit { hard: num(1), soft: num(2), soft_seconds: num(3) as i64 }
            }),
        };
    }

    /// `client-output-buffer-limit` for `class`.
    pub fn output_limit(&self, class: ClientClass) -> OutputLimit {
        self.hot.output_limits[class as usize]
    }

    /// `min-replicas-to-write` and `min-replicas-max-lag`.
    pub fn min_replicas(&self) -> (i64, i64) {
        self.hot.min_replicas
    }

    /// `slowlog-log-slower-than` in microseconds (-1: log nothing).
    pub fn slowlog_slower_than(&self) -> i64 {
        self.hot.slowlog_slower_than
    }

    pub fn slowlog_max_len(&self) -> usize {
        self.hot.slowlog_max_len
    }

    /// `client-query-buffer-limit` in bytes.
    pub fn query_buffer_limit(&self) -> u64 {
        self.hot.query_buffer_limit
    }

    /// The parameter called `name` (or its alias), case-insensitively.
    pub fn lookup(name: &[u8]) -> Option<(usize, &'static Param)> {
        static INDEX: OnceLock<BTreeMap<&'static [u8], usize>> = OnceLock::new();
        let index = INDEX.get_or_init(|| {
            let mut m = BTreeMap::new();
            for (i, p) in PARAMS.iter().enumerate() {
                m.insert(p.name.as_bytes(), i);
                if let Some(a) = p.alias {
                    m.insert(a.as_bytes(), i);
                }
            }
            m
        });
        // The code asks with lower-case names: no copy for those.
        let found = if name.iter().any(u8::is_ascii_uppercase) {
            index.get(name.to_ascii_lowercase().as_slice()).copied()
        } else {
            index.get(name).copied()
        };
        found.map(|i| (i, &PARAMS[i]))
    }

    /// The value of `name` as CONFIG GET shows it ("" for unknown names).
    pub fn get(&self, name: &str) -> &str {
        Config::lookup(name.as_bytes()).map(|(i, _)| self.values[i].as_str()).unwrap_or("")
    }

    /// An integer parameter (0 if it does not parse, which the registry prevents).
    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    /// A memory parameter in bytes.
    pub fn get_u64(&self, name: &str) -> u64 {
        self.get(name).parse().unwrap_or(0)
    }

    /// A yes/no parameter.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == "yes"
    }

    /// The config file path, if the server was started with one.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// Records the config file the server was started with and its text.
    pub fn set_file(&mut self, path: Option<String>, text: String) {
        self.file = path;
        self.file_text = text;
    }

    /// Sets a parameter from a config file line or the command line: no
    /// mode checks. `args` are the line's arguments after the name.
    pub fn set_startup(&mut self, name: &[u8], args: &[Bytes]) -> Result<(), String> {
        let Some((i, p)) = Config::lookup(name) else {
            return Err("Bad directive or wrong number of arguments".into());
        };
        let value = self.checked(i, p, args)?;
        self.values[i] = value;
        self.refresh();
        Ok(())
    }

    /// Appends save points (`save` lines after the first one in a file add up).
    pub fn append_save(&mut self, args: &[Bytes]) -> Result<(), String> {
        let (i, p) = Config::lookup(b"save").expect("save is registered");
        let extra = self.checked(i, p, args)?;
        let v = &mut self.values[i];
        if !extra.is_empty() {
            if !v.is_empty() {
                v.push(' ');
            }
            v.push_str(&extra);
        } else {
            v.clear();
        }
        self.refresh();
        Ok(())
    }

    /// The new normalized value of parameter `i`, or why `args` are refused.
    fn checked(&self, i: usize, p: &Param, args: &[Bytes]) -> Result<String, String> {
        let value = match p.kind {
            Kind::OutputBufferLimit => values::output_buffer_limit(&self.values[i], args)?,
            kind => values::check(kind, args)?,
        };
        // Redis clamps hz into 1..=500 rather than refusing.
        if p.name == "hz" {
            let hz: i64 = value.parse().unwrap_or(10);
            return Ok(hz.clamp(1, 500).to_string());
        }
        Ok(value)
    }

    /// CONFIG GET: name/value pairs for every pattern. A pattern without glob
    /// characters is looked up directly and answered under the name as given;
    /// the others match names and aliases, case-insensitively.
    pub fn config_get(&self, patterns: &[Bytes]) -> Vec<(String, String)> {
        let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
        for pat in patterns {
            if !pat.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                if let Some((i, _)) = Config::lookup(pat) {
                    let key = String::from_utf8_lossy(pat).to_ascii_lowercase();
                    out.entry(key)
                        .or_insert_with(|| (String::from_utf8_lossy(pat).into_owned(), self.values[i].clone()));
                }
                continue;
            }
            for (i, p) in PARAMS.iter().enumerate() {
                for name in std::iter::once(p.name).chain(p.alias) {
                    if glob_match(pat, name.as_bytes(), true) {
                        out.entry(name.to_string()).or_insert_with(|| (name.to_string(), self.values[i].clone()));
                    }
                }
            }
        }
        out.into_values().collect()
    }

    /// CONFIG SET: all pairs or none. Names are checked first (unknown,
    /// immutable, protected, repeated), then values in order; a bad value
    /// restores every parameter already changed. Returns the canonical names
    /// that changed. `local` tells whether the caller is on a loopback
    /// connection, for `enable-protected-configs local`.
    pub fn config_set(&mut self, pairs: &[(Bytes, Bytes)], local: bool) -> RedisResult<Vec<&'static str>> {
        let mut targets = Vec::with_capacity(pairs.len());
        for (n, (name, _)) in pairs.iter().enumerate() {
            let Some((i, p)) = Config::lookup(name) else {
                return Err(errors::config_set_unknown(name));
            };
            match p.mode {
                Mode::Immutable => return Err(errors::config_set_failed(name, "can't set immutable config")),
                Mode::Protected if !self.protected_allowed(local) => {
                    return Err(errors::config_set_failed(name, "can't set protected config"))
                }
                _ => {}
            }
            if pairs[..n].iter().any(|(other, _)| other.eq_ignore_ascii_case(name)) {
                return Err(errors::config_set_failed(name, "duplicate parameter"));
            }
            targets.push((i, p));
        }
        let saved = self.values.clone();
        for ((i, p), (name, value)) in targets.iter().zip(pairs) {
            let args: Vec<Bytes> = if p.multi_arg() {
                value.split(|&b| b == b' ').map(Bytes::copy_from_slice).collect()
            } else {
                vec![value.clone()]
            };
            match self.checked(*i, p, &args) {
                Ok(v) => self.values[*i] = v,
                Err(why) => {
                    self.values = saved;
                    return Err(errors::config_set_failed(name, &why));
                }
            }
        }
        self.refresh();
        Ok(targets.iter().map(|(_, p)| p.name).collect())
    }

    fn protected_allowed(&self, local: bool) -> bool {
        match self.get("enable-protected-configs") {
            "yes" => true,
            "local" => local,
            _ => false,
        }
    }

    /// `hz` as the node runs it.
    pub fn hz(&self) -> u32 {
        self.get_i64("hz").clamp(1, 500) as u32
    }

    /// The default user's password; None when none is required.
    pub fn requirepass(&self) -> Option<&str> {
        self.hot.requirepass.as_deref()
    }

    pub fn databases(&self) -> usize {
        self.get_i64("databases").max(1) as usize
    }

    /// Whether DEBUG may run for a client (`local`: on a loopback connection).
    pub fn debug_allowed(&self, local: bool) -> bool {
        match self.hot.debug_mode.as_str() {
            "yes" => true,
            "local" => local,
            _ => false,
        }
    }

    /// The settings engines read, from the current values.
    pub fn engine_config(&self) -> EngineConfig {
        let policy_name = self.get("maxmemory-policy");
        let maxmemory_policy = MaxmemoryPolicy::ALL
            .iter()
            .find(|(n, _)| *n == policy_name)
            .map(|(_, p)| *p)
            .unwrap_or(MaxmemoryPolicy::NoEviction);
        EngineConfig {
            proto_max_bulk_len: self.get_u64("proto-max-bulk-len"),
            maxmemory_policy,
            lazyfree_lazy_expire: self.get_bool("lazyfree-lazy-expire"),
            lazyfree_lazy_user_del: self.get_bool("lazyfree-lazy-user-del"),
            lazyfree_lazy_user_flush: self.get_bool("lazyfree-lazy-user-flush"),
            lazyfree_lazy_server_del: self.get_bool("lazyfree-lazy-server-del"),
            maxmemory: self.get_u64("maxmemory"),
            lfu_log_factor: self.get_i64("lfu-log-factor").clamp(0, i64::from(u32::MAX)) as u32,
            lfu_decay_time: self.get_i64("lfu-decay-time").clamp(0, i64::from(u32::MAX)) as u32,
            rdb_compression: self.get_bool("rdbcompression"),
            databases: self.databases(),
            replaying: false,
            cluster_enabled: self.get_bool("cluster-enabled"),
            hash_max_listpack_entries: self.get_u64("hash-max-listpack-entries"),
            hash_max_listpack_value: self.get_u64("hash-max-listpack-value"),
            set_max_intset_entries: self.get_u64("set-max-intset-entries"),
            zset_max_listpack_entries: self.get_u64("zset-max-listpack-entries"),
            zset_max_listpack_value: self.get_u64("zset-max-listpack-value"),
            list_max_listpack_size: self.get_i64("list-max-listpack-size"),
            list_compress_depth: self.get_u64("list-compress-depth"),
            is_master: self.get("replicaof").is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn pairs(words: &[&str]) -> Vec<(Bytes, Bytes)> {
        words.chunks(2).map(|p| (b(p[0]), b(p[1]))).collect()
    }

    fn set_err(c: &mut Config, words: &[&str]) -> String {
        c.config_set(&pairs(words), true).unwrap_err().text().to_string()
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::new();
        assert_eq!(c.get("hz"), "10");
        assert_eq!(c.get("slave-read-only"), "yes");
        assert_eq!(c.get("maxmemory-policy"), "noeviction");
        assert_eq!(
            c.get("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(c.get("proto-max-bulk-len"), "536870912");
        assert_eq!(c.hz(), 10);
        assert_eq!(c.databases(), 16);
        assert!(!c.debug_allowed(true));
    }

    #[test]
    fn config_get_patterns_and_exact_names() {
        let c = Config::new();
        let got = c.config_get(&[b("HZ")]);
        assert_eq!(got, vec![("HZ".to_string(), "10".to_string())]);
        let got = c.config_get(&[b("*max-*-entries*")]);
        let names: Vec<_> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "hash-max-listpack-entries",
                "hash-max-ziplist-entries",
                "set-max-intset-entries",
                "zset-max-listpack-entries",
                "zset-max-ziplist-entries"
            ]
        );
        assert_eq!(c.config_get(&[b("hz"), b("h?")]).len(), 1);
        assert!(c.config_get(&[b("nosuch")]).is_empty());
        assert!(c.config_get(&[b("*")]).len() > 190);
    }

    #[test]
    fn config_set_errors_in_redis_words() {
        let mut c = Config::new();
        assert_eq!(
            set_err(&mut c, &["hz", "abc", "foo", "bar"]),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set_err(&mut c, &["hz", "abc"]),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set_err(&mut c, &["hz", "10", "hz", "20"]),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter"
        );
        assert_eq!(
            set_err(&mut c, &["databases", "5"]),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
        );
        assert_eq!(
            set_err(&mut c, &["dir", "/x"]),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            set_err(&mut c, &["maxmemory-policy", "foo"]),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
        );
        // Atomic: the good maxmemory is rolled back when hz fails.
        assert!(c.config_set(&pairs(&["maxmemory", "10mb", "hz", "x"]), true).is_err());
        assert_eq!(c.get("maxmemory"), "0");
    }

    #[test]
    fn config_set_normalizes_and_syncs_engine_config() {
        let mut c = Config::new();
        let changed =
            c.config_set(&pairs(&["maxmemory", "1GB", "hz", "100000", "slave-read-only", "NO"]), true).unwrap();
        assert_eq!(changed, ["maxmemory", "hz", "replica-read-only"]);
        assert_eq!(c.get("maxmemory"), "1073741824");
        assert_eq!(c.get("hz"), "500");
        assert_eq!(c.get("replica-read-only"), "no");
        c.config_set(&pairs(&["hz", "0", "maxmemory-policy", "ALLKEYS-LFU", "save", "900 1 300 10"]), true).unwrap();
        assert_eq!(c.get("hz"), "1");
        assert_eq!(c.get("save"), "900 1 300 10");
        let ec = c.engine_config();
        assert_eq!(ec.maxmemory, 1 << 30);
        assert_eq!(ec.maxmemory_policy, MaxmemoryPolicy::AllkeysLfu);
    }
}
