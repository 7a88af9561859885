//! Server commands: CONFIG, INFO, MONITOR, SLOWLOG, DEBUG, TIME, SHUTDOWN.

use super::{bulk_text, sent_to, Harness, START_MS};
use crate::node::Action;

#[test]
fn config_get_set_round_trips_and_errors() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.cmd(c, &["CONFIG", "GET", "maxmemory"]), "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "maxmemory", "1gb", "slave-read-only", "no"]), "+OK\r\n");
    assert_eq!(
        h.cmd(c, &["CONFIG", "GET", "maxmemory", "replica-read-only"]),
        "*4\r\n$9\r\nmaxmemory\r\n$10\r\n1073741824\r\n$17\r\nreplica-read-only\r\n$2\r\nno\r\n"
    );
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "foo", "bar"]),
        "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    );
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "hz", "abc"]),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n"
    );
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "databases", "5"]),
        "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n"
    );
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "hz", "1", "2"]), "-ERR syntax error\r\n");
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "hz"]), "-ERR wrong number of arguments for 'config|set' command\r\n");
    assert_eq!(h.cmd(c, &["CONFIG", "REWRITE"]), "-ERR The server is running without a config file\r\n");
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "hz", "50"]), "+OK\r\n");
    assert_eq!(h.node.hz(), 50);
    // proto-max-bulk-len reaches the engine and the request parsers.
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "proto-max-bulk-len", "1048576"]), "+OK\r\n");
    let big = "x".repeat(600_000);
    assert_eq!(h.cmd(c, &["SET", "s", &big]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["APPEND", "s", &big]), "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
    let help = h.cmd(c, &["CONFIG", "HELP"]);
    assert!(help.starts_with("*") && help.contains("+RESETSTAT\r\n"), "{help}");
}

#[test]
fn config_rewrite_hands_the_new_file_to_the_driver() {
    let mut h = Harness::with_config("port 7000\nhz 5\n");
    h.node.config.set_file(Some("/etc/r.conf".into()), "port 7000\nhz 5\n".into());
    let c = h.connect();
    assert_eq!(h.cmd(c, &["CONFIG", "SET", "hz", "20"]), "+OK\r\n");
    let actions = h.feed(c, b"CONFIG REWRITE\r\n");
    assert!(actions.contains(&Action::RewriteConfig { path: "/etc/r.conf".into(), text: "port 7000\nhz 20\n".into() }));
}

#[test]
fn info_has_redis_sections() {
    let mut h = Harness::new();
    let c = h.connect();
    h.cmd(c, &["SET", "k", "v"]);
    h.cmd(c, &["GET", "k"]);
    h.cmd(c, &["GET", "nokey"]);
    h.cmd(c, &["INCR", "k"]);
    let info = bulk_text(&h.cmd(c, &["INFO"]));
    let headers: Vec<&str> = info.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    for field in [
        "redis_version:7.0.15\r\n",
        "redis_mode:standalone\r\n",
        "process_id:42\r\n",
        "tcp_port:6379\r\n",
        "connected_clients:1\r\n",
        "rdb_changes_since_last_save:1\r\n",
        "keyspace_hits:1\r\n",
        "keyspace_misses:1\r\n",
        "total_error_replies:1\r\n",
        "role:master\r\n",
        "errorstat_ERR:count=1\r\n",
        "cluster_enabled:0\r\n",
        "db0:keys=1,expires=0,avg_ttl=0\r\n",
        &format!("server_time_usec:{}\r\n", START_MS * 1000),
    ] {
        assert!(info.contains(field), "missing {field:?} in\n{info}");
    }
    let run_id = info.lines().find_map(|l| l.strip_prefix("run_id:")).unwrap();
    assert_eq!(run_id.len(), 40);
    assert!(info.ends_with("avg_ttl=0\r\n"));
    let all = bulk_text(&h.cmd(c, &["INFO", "all"]));
    assert!(all.contains("# Commandstats\r\ncmdstat_"), "{all}");
    assert!(all.contains("cmdstat_get:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n"));
    assert!(all.contains("cmdstat_incr:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1\r\n"));
    assert!(all.contains("# Latencystats\r\nlatency_percentiles_usec_"));
    assert_eq!(
        bulk_text(&h.cmd(c, &["INFO", "CLUSTER", "keyspace"])),
        "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
    );
    assert_eq!(h.cmd(c, &["INFO", "nosuch"]), "$0\r\n\r\n");
    h.cmd(c, &["HELLO", "3"]);
    assert_eq!(h.cmd(c, &["INFO", "cluster"]), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
}

#[test]
fn monitor_shows_commands_with_db_and_address() {
    let mut h = Harness::new();
    let m = h.connect();
    let c = h.connect();
    assert_eq!(h.cmd(m, &["MONITOR"]), "+OK\r\n");
    let actions = h
        .feed(c, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\na\"b\x01\n c\r\nSELECT 3\r\nAUTH x\r\nCONFIG GET hz\r\nGET\r\n");
    let ts = format!("{}.000000", START_MS / 1000);
    assert_eq!(
        sent_to(&actions, m),
        format!(
            "+{ts} [0 127.0.0.1:50002] \"SET\" \"k\" \"a\\\"b\\x01\\n c\"\r\n+{ts} [3 127.0.0.1:50002] \"SELECT\" \"3\"\r\n+{ts} [3 127.0.0.1:50002] \"AUTH\" \"(redacted)\"\r\n"
        )
    );
    // Transactions: the queued commands, then EXEC.
    let actions = h.feed(c, b"MULTI\r\nSET a b\r\nEXEC\r\n");
    assert_eq!(
        sent_to(&actions, m),
        format!("+{ts} [3 127.0.0.1:50002] \"MULTI\"\r\n+{ts} [3 127.0.0.1:50002] \"SET\" \"a\" \"b\"\r\n+{ts} [3 127.0.0.1:50002] \"EXEC\"\r\n")
    );
}

#[test]
fn slowlog_records_commands_with_the_injected_clock() {
    let mut h = Harness::with_config("slowlog-log-slower-than 0\nslowlog-max-len 3");
    let c = h.connect();
    h.cmd(c, &["CLIENT", "SETNAME", "nm"]);
    let big = "x".repeat(200);
    h.cmd(c, &["SET", "big", &big]);
    let mut words = vec!["DEL"];
    let nums: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
    words.extend(nums.iter().map(String::as_str));
    h.cmd(c, &words);
    let got = h.cmd(c, &["SLOWLOG", "GET", "2"]);
    let secs = START_MS / 1000;
    let mut want = format!("*2\r\n*6\r\n:2\r\n:{secs}\r\n:0\r\n*32\r\n$3\r\nDEL\r\n");
    for i in 1..=30 {
        want.push_str(&format!("${}\r\n{i}\r\n", i.to_string().len()));
    }
    want.push_str("$23\r\n... (10 more arguments)\r\n$15\r\n127.0.0.1:50001\r\n$2\r\nnm\r\n");
    want.push_str(&format!("*6\r\n:1\r\n:{secs}\r\n:0\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$147\r\n{}... (72 more bytes)\r\n$15\r\n127.0.0.1:50001\r\n$2\r\nnm\r\n", "x".repeat(128)));
    assert_eq!(got, want);
    assert_eq!(h.cmd(c, &["SLOWLOG", "LEN"]), ":3\r\n");
    assert_eq!(h.cmd(c, &["SLOWLOG", "RESET"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["SLOWLOG", "LEN"]), ":1\r\n", "the RESET itself is logged");
    assert_eq!(h.cmd(c, &["SLOWLOG", "GET", "-2"]), "-ERR count should be greater than or equal to -1\r\n");
    h.cmd(c, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    h.cmd(c, &["SLOWLOG", "RESET"]);
    h.cmd(c, &["PING"]);
    assert_eq!(h.cmd(c, &["SLOWLOG", "LEN"]), ":0\r\n");
}

#[test]
fn debug_is_refused_unless_enabled_and_sleep_blocks() {
    let mut h = Harness::new();
    let c = h.connect();
    assert!(h
        .cmd(c, &["DEBUG", "SLEEP", "0"])
        .starts_with("-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\""));
    let mut h = Harness::with_config("enable-debug-command local");
    let c = h.connect();
    let actions = h.feed(c, b"DEBUG SLEEP 0.25\r\nPING\r\n");
    assert_eq!(actions[0], Action::Sleep { micros: 250_000 });
    assert_eq!(sent_to(&actions, c), "+OK\r\n", "PING waits for the sleep");
    h.now += 250;
    h.node.resume(h.now);
    assert_eq!(sent_to(&h.node.take_actions(), c), "+PONG\r\n");
    assert_eq!(h.cmd(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    assert_eq!(h.cmd(c, &["DEBUG", "DIGEST"]), "+0000000000000000000000000000000000000000\r\n");
    assert_eq!(h.cmd(c, &["DEBUG", "JMAP"]), "-ERR command 'debug jmap' is not implemented by redsim yet\r\n");
    assert_eq!(
        h.cmd(c, &["DEBUG", "nope"]),
        "-ERR unknown subcommand or wrong number of arguments for 'nope'. Try DEBUG HELP.\r\n"
    );
}

#[test]
fn active_expiry_follows_debug_set_active_expire() {
    let mut h = Harness::with_config("enable-debug-command yes");
    let c = h.connect();
    h.cmd(c, &["SET", "k", "v", "PX", "50"]);
    h.cmd(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    h.tick(200);
    assert_eq!(h.cmd(c, &["DBSIZE"]), ":1\r\n");
    h.cmd(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    h.tick(100);
    assert_eq!(h.cmd(c, &["DBSIZE"]), ":0\r\n");
}

#[test]
fn time_lastsave_role_command_and_shutdown() {
    let mut h = Harness::new();
    let c = h.connect();
    h.now += 1234;
    let secs = (START_MS + 1234) / 1000;
    assert_eq!(h.cmd(c, &["TIME"]), format!("*2\r\n$10\r\n{secs}\r\n$6\r\n234000\r\n"));
    assert_eq!(h.cmd(c, &["LASTSAVE"]), format!(":{}\r\n", START_MS / 1000));
    assert_eq!(h.cmd(c, &["ROLE"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    assert!(h.cmd(c, &["COMMAND", "COUNT"]).starts_with(':'));
    assert!(h.cmd(c, &["COMMAND", "INFO", "get"]).starts_with("*1\r\n*10\r\n$3\r\nget\r\n"));
    assert_eq!(h.cmd(c, &["SHUTDOWN", "ABORT"]), "-ERR No shutdown in progress.\r\n");
    let actions = h.feed(c, b"SHUTDOWN NOSAVE\r\nPING\r\n");
    assert_eq!(sent_to(&actions, c), "");
    assert!(actions.contains(&Action::Shutdown));
    assert!(h.node.is_shutting_down());
}

#[test]
fn timeout_closes_idle_clients() {
    let mut h = Harness::with_config("timeout 1");
    let idle = h.connect();
    let busy = h.connect();
    h.tick(1500);
    h.cmd(busy, &["PING"]);
    let actions = h.tick(1000);
    assert!(actions.contains(&Action::Close { client: idle }));
    assert!(!actions.contains(&Action::Close { client: busy }));
}

/// `lazyfree-lazy-server-del`: a large value a command replaces or a
/// destination it deletes goes to lazy freeing, counted in INFO as Redis
/// 7.0.15 counts it (checked against redis-server: SET, RENAME, SUNIONSTORE
/// over a key and with an empty result, ZUNIONSTORE, COPY REPLACE count;
/// DEL, EXPIRE in the past and small values do not).
#[test]
fn lazyfree_lazy_server_del_frees_replaced_values_lazily() {
    let lazyfreed = |h: &mut Harness, c| {
        h.tick(100);
        let text = h.cmd(c, &["INFO", "memory"]);
        text.lines()
            .find_map(|l| l.strip_prefix("lazyfreed_objects:"))
            .expect("INFO memory")
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let big_hash = |h: &mut Harness, c, key: &str| {
        h.cmd(c, &["DEL", key]);
        let mut words = vec!["HSET".to_string(), key.to_string()];
        for i in 0..1000 {
            words.extend([format!("f{i}"), "v".to_string()]);
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(h.cmd(c, &words), ":1000\r\n");
    };
    for (lazy, counts) in [(false, [0, 0, 0, 0, 0, 0, 0, 0, 0]), (true, [1, 2, 3, 4, 5, 6, 6, 6, 6])] {
        let mut h = Harness::new();
        let c = h.connect();
        assert_eq!(
            h.cmd(c, &["CONFIG", "SET", "lazyfree-lazy-server-del", if lazy { "yes" } else { "no" }]),
            "+OK\r\n"
        );
        h.cmd(c, &["SADD", "a", "1", "2"]);
        h.cmd(c, &["ZADD", "z", "1", "m"]);
        h.cmd(c, &["SET", "src", "v"]);
        let steps: [&[&str]; 9] = [
            &["SET", "h", "x"],
            &["RENAME", "src", "h"],
            &["SUNIONSTORE", "h", "a"],
            &["SUNIONSTORE", "h", "nosuch"],
            &["ZUNIONSTORE", "h", "1", "z"],
            &["COPY", "a", "h", "REPLACE"],
            &["DEL", "h"],
            &["EXPIRE", "h", "0"],
            &["SET", "small", "v"],
        ];
        for (step, expected) in steps.iter().zip(counts) {
            big_hash(&mut h, c, "h");
            h.cmd(c, &["SET", "src", "v"]);
            let reply = h.cmd(c, step);
            assert!(!reply.starts_with('-'), "{step:?}: {reply}");
            assert_eq!(lazyfreed(&mut h, c), expected, "{step:?} with lazyfree-lazy-server-del {lazy}");
        }
    }
}
