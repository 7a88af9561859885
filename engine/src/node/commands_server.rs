//! The server commands the node runs: INFO, TIME, LASTSAVE, ROLE, MONITOR,
//! COMMAND, CONFIG, SLOWLOG, DEBUG SLEEP / SET-ACTIVE-EXPIRE / RELOAD, SHUTDOWN,
//! SAVE, BGSAVE and BGREWRITEAOF (the last ones in `persistence`).

use bytes::Bytes;
use redsim_model::command::server::{ServerCommand, ShutdownArgs};
use redsim_model::command::strings::{Expiry, SetArgs, SetCondition, SetReply};
use redsim_model::command::Command;
use redsim_model::errors;
use redsim_model::resp::Frame;
use redsim_model::table;
use redsim_model::Context;

use super::commands_connection::verbatim;
use super::{Action, ClientId, Node};

/// The most keys DEBUG POPULATE adds in one go (2^32).
const MAX_POPULATE: u64 = 1 << 32;

impl Node {
    pub(super) fn server_command(&mut self, id: ClientId, cmd: ServerCommand) -> Option<Frame> {
        use ServerCommand as S;
        let now = self.now_ms;
        Some(match cmd {
            S::Info { sections } => verbatim(self.info(&sections)),
            S::Time => {
                let us = now.saturating_mul(1000);
                Frame::Array(vec![
                    Frame::bulk(us.div_euclid(1_000_000).to_string()),
                    Frame::bulk(us.rem_euclid(1_000_000).to_string()),
                ])
            }
            S::LastSave => Frame::Integer(self.last_save_ms.div_euclid(1000)),
            S::Role => self.role_reply(),
            S::Replication(r) => return self.replication_command(id, r),
            S::Monitor => return self.monitor(id),
            S::Introspect { args } => table::introspect::command(&args),
            S::ConfigGet { patterns } => Frame::Map(
                self.config.config_get(&patterns).into_iter().map(|(k, v)| (Frame::bulk(k), Frame::bulk(v))).collect(),
            ),
            S::ConfigSet { pairs } => {
                let local = self.clients.get(&id).is_some_and(|c| c.conn.local);
                match self.config.config_set(&pairs, local) {
                    Ok(changed) => {
                        self.config_changed(&changed);
                        Frame::ok()
                    }
                    Err(e) => e.into(),
                }
            }
            S::ConfigResetStat => {
                self.stats.reset(now);
                self.engine.reset_stats();
                Frame::ok()
            }
            S::ConfigRewrite => match self.config.file() {
                None => errors::NO_CONFIG_FILE.into(),
                Some(path) => {
                    let path = path.to_string();
                    let text = self.config.rewrite_text();
                    self.actions.push(Action::RewriteConfig { path, text });
                    Frame::ok()
                }
            },
            S::SlowlogGet { count } => self.slowlog.get(count),
            S::SlowlogLen => Frame::Integer(self.slowlog.len() as i64),
            S::SlowlogReset => {
                self.slowlog.reset();
                Frame::ok()
            }
            S::DebugSleep { micros } => {
                self.sleep_micros = self.sleep_micros.saturating_add(micros);
                Frame::ok()
            }
            S::DebugSetActiveExpire { enabled } => {
                self.active_expire = enabled;
                Frame::ok()
            }
            S::Shutdown(args) => return self.shutdown(id, args),
            S::Save => return self.save_command(id),
            S::Bgsave { schedule } => self.bgsave_command(schedule),
            S::Bgrewriteaof => self.bgrewriteaof_command(),
            S::DebugReload => return self.debug_reload(id),
            S::DebugPopulate { count, prefix, size } => self.debug_populate(id, count, prefix, size),
        })
    }

    /// DEBUG POPULATE: adds `prefix:N` = "value:N" for N below `count`,
    /// leaving keys that exist alone. Like Redis it neither propagates nor
    /// counts as a change (only expired keys it replaces are deleted as
    /// usual); WATCHes on the keys it adds fail.
    fn debug_populate(&mut self, id: ClientId, count: u64, prefix: Option<Bytes>, size: Option<u64>) -> Frame {
        // Redis first grows the table to `count`; past what any machine
        // holds that allocation fails, and so does this.
        if count > MAX_POPULATE {
            return Frame::Error("ERR OOM in dictTryExpand".into());
        }
        let db = self.clients.get(&id).map_or(0, |c| c.db);
        let prefix = prefix.unwrap_or_else(|| Bytes::from_static(b"key"));
        for n in 0..count {
            let mut key = prefix.to_vec();
            key.extend_from_slice(format!(":{n}").as_bytes());
            let mut value = format!("value:{n}").into_bytes();
            if let Some(size) = size {
                value.resize(size as usize, 0);
            }
            let argv = [Bytes::from_static(b"SET"), Bytes::from(key), Bytes::from(value)];
            let cmd = Command::Set(SetArgs {
                key: argv[1].clone(),
                value: argv[2].clone(),
                condition: SetCondition::IfMissing,
                get: false,
                expiry: Expiry::None,
                reply: SetReply::OkOrNull,
            });
            let mut cx = Context::new(db, self.now_ms, &mut self.rng, &self.engine_config, &argv);
            self.engine.execute(&mut cx, &cmd);
            let touched = std::mem::take(&mut cx.touched);
            let effects = cx.into_effects();
            self.keys_touched(&touched);
            // An expired key SET NX replaced is deleted (and propagated) as on
            // any access; the SET itself stays local, as in Redis.
            let dels: Vec<_> = effects.into_iter().filter(|e| e.argv[0].eq_ignore_ascii_case(b"DEL")).collect();
            self.propagate(dels);
        }
        Frame::ok()
    }

    /// MONITOR: from now on the client receives a line per command run.
    /// Inside EXEC it is refused, as Redis refuses clients that cannot block.
    fn monitor(&mut self, id: ClientId) -> Option<Frame> {
        if self.exec_effects.is_some() {
            return Some(errors::MONITOR_DENY_BLOCKING.into());
        }
        let c = self.clients.get_mut(&id)?;
        if c.monitor {
            return None;
        }
        c.monitor = true;
        self.monitors.insert(id);
        Some(Frame::ok())
    }

    /// SHUTDOWN: no reply when it succeeds; the driver closes everything and
    /// exits once the AOF is flushed and the final save (if any) is done.
    fn shutdown(&mut self, id: ClientId, args: ShutdownArgs) -> Option<Frame> {
        if args.abort {
            return Some(self.abort_shutdown_wait().unwrap_or_else(|| errors::NO_SHUTDOWN_IN_PROGRESS.into()));
        }
        if self.shutdown_waits_for_replicas(Some(id), args) {
            return None;
        }
        self.begin_shutdown(Some(id), args)
    }

    /// Applies what CONFIG SET changed to the running node.
    fn config_changed(&mut self, names: &[&'static str]) {
        self.engine_config = self.config.engine_config();
        for name in names {
            match *name {
                "repl-backlog-size" => self.repl_backlog_resized(),
                "proto-max-bulk-len" => {
                    let max = self.config.get_u64("proto-max-bulk-len");
                    self.clients.values_mut().for_each(|c| c.parser.set_max_bulk_len(max));
                }
                "slowlog-max-len" => {
                    let max = self.config.get_i64("slowlog-max-len").max(0) as usize;
                    self.slowlog.trim(max);
                }
                "port" | "bind" => {
                    let port = self.config.get_i64("port").clamp(0, 65535) as u16;
                    let bind = self.config.get("bind").split(' ').filter(|s| !s.is_empty()).map(String::from).collect();
                    if !self.actions.iter().any(|a| matches!(a, Action::Listen { .. })) {
                        self.actions.push(Action::Listen { port, bind });
                    }
                }
                "appendonly" | "appendfsync" => self.persistence_config_changed(name),
                _ => {}
            }
        }
    }
}
