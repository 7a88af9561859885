//! ROLE and INFO replication, with Redis 7.0's fields and words.

use redsim_model::resp::Frame;

use super::super::Node;
use super::master::host_of;

impl Node {
    /// ROLE: `master offset [[ip port ack]...]` or
    /// `slave host port state offset`.
    pub(in crate::node) fn role_reply(&self) -> Frame {
        match &self.repl.master {
            None => {
                let replicas = self
                    .repl
                    .peers
                    .iter()
                    .filter(|(_, p)| p.online())
                    .map(|(id, p)| {
                        let ip = self.peer_host(*id);
                        Frame::Array(vec![
                            Frame::bulk(ip),
                            Frame::bulk(p.port.to_string()),
                            Frame::bulk(p.ack_offset.to_string()),
                        ])
                    })
                    .collect();
                Frame::Array(vec![
                    Frame::bulk("master"),
                    Frame::Integer(self.repl.offset as i64),
                    Frame::Array(replicas),
                ])
            }
            Some(m) => {
                let offset = if m.is_connected() { self.repl.offset as i64 } else { -1 };
                Frame::Array(vec![
                    Frame::bulk("slave"),
                    Frame::bulk(m.host.clone()),
                    Frame::Integer(m.port),
                    Frame::bulk(m.state_name()),
                    Frame::Integer(offset),
                ])
            }
        }
    }

    /// A replica's address as INFO and ROLE show it.
    pub(super) fn peer_host(&self, id: crate::node::ClientId) -> String {
        let announced = self.repl.peers.get(&id).and_then(|p| p.ip.clone());
        announced.unwrap_or_else(|| self.clients.get(&id).map(|c| host_of(&c.conn.addr)).unwrap_or_default())
    }

    /// INFO replication.
    pub(in crate::node) fn replication_info(&self) -> Vec<(String, String)> {
        let now = self.now_ms;
        let secs = |ms: i64| ((now - ms) / 1000).to_string();
        let mut v: Vec<(&str, String)> = Vec::new();
        match &self.repl.master {
            None => v.push(("role", "master".into())),
            Some(m) => {
                v.push(("role", "slave".into()));
                v.push(("master_host", m.host.clone()));
                v.push(("master_port", m.port.to_string()));
                v.push(("master_link_status", if m.is_connected() { "up" } else { "down" }.into()));
                let last_io = if m.is_connected() { secs(m.last_io_ms) } else { "-1".into() };
                v.push(("master_last_io_seconds_ago", last_io));
                v.push(("master_sync_in_progress", u8::from(m.in_transfer()).to_string()));
                v.push(("slave_read_repl_offset", m.read_offset.max(self.repl.offset).to_string()));
                v.push(("slave_repl_offset", self.repl.offset.to_string()));
                if let Some((read, total)) = self.sync_progress() {
                    v.push(("master_sync_total_bytes", total.to_string()));
                    v.push(("master_sync_read_bytes", read.to_string()));
                    v.push(("master_sync_left_bytes", (total - read).to_string()));
                    let perc = if total != 0 { read as f64 * 100.0 / total as f64 } else { 0.0 };
                    v.push(("master_sync_perc", format!("{perc:.2}")));
                    v.push(("master_sync_last_io_seconds_ago", secs(m.last_io_ms)));
                }
                if !m.is_connected() {
                    v.push(("master_link_down_since_seconds", m.down_since_ms.map_or("-1".into(), secs)));
                }
                v.push(("slave_priority", self.config.get("replica-priority").to_string()));
                v.push(("slave_read_only", u8::from(self.config.get_bool("replica-read-only")).to_string()));
                v.push(("replica_announced", u8::from(self.config.get_bool("replica-announced")).to_string()));
            }
        }
        let counted: Vec<_> = self.repl.peers.iter().filter(|(_, p)| p.counts()).collect();
        v.push(("connected_slaves", counted.len().to_string()));
        if self.config.get_i64("min-replicas-to-write") > 0 && self.config.get_i64("min-replicas-max-lag") > 0 {
            v.push(("min_slaves_good_slaves", self.good_replicas().to_string()));
        }
        let mut lines = Vec::new();
        for (n, (id, p)) in counted.iter().enumerate() {
            let line = format!(
                "ip={},port={},state={},offset={},lag={}",
                self.peer_host(**id),
                p.port,
                p.state_name(),
                p.ack_offset,
                (now - p.ack_ms) / 1000
            );
            lines.push((format!("slave{n}"), line));
        }
        let mut out: Vec<(String, String)> = v.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        out.extend(lines);
        let (replid2, second) = match &self.repl.replid2 {
            Some((id, upto)) => (id.clone(), upto.to_string()),
            None => ("0".repeat(40), "-1".into()),
        };
        let backlog = self.repl.backlog.as_ref();
        let size = backlog.map_or(self.config.get_u64("repl-backlog-size"), |b| b.capacity() as u64);
        let tail = [
            (
                "master_failover_state",
                self.repl.failover.as_ref().map_or("no-failover", |f| f.state_name()).to_string(),
            ),
            ("master_replid", self.replid.clone()),
            ("master_replid2", replid2),
            ("master_repl_offset", self.repl.offset.to_string()),
            ("second_repl_offset", second),
            ("repl_backlog_active", u8::from(backlog.is_some()).to_string()),
            ("repl_backlog_size", size.to_string()),
            ("repl_backlog_first_byte_offset", backlog.map_or(0, |b| b.first_byte_offset()).to_string()),
            ("repl_backlog_histlen", backlog.map_or(0, |b| b.histlen()).to_string()),
        ];
        out.extend(tail.into_iter().map(|(k, v)| (k.to_string(), v)));
        out
    }
}
