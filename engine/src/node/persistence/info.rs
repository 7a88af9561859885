//! INFO persistence, from the jobs' real state.

use super::{LoadProgress, Node};

impl Node {
    pub(in crate::node) fn persistence_info(&self) -> Vec<(String, String)> {
        let p = &self.persist;
        let now = self.now_ms;
        let rdb_job = p.rdb.job.as_ref();
        // Redis's RDB child: a background save or a full sync's snapshot.
        let bg = rdb_job.filter(|j| j.background()).map(|j| j.start_ms).or(self.transfer_start_ms());
        let rewrite = p.rewrite.as_ref().filter(|_| self.aof_rewrite_running());
        let secs = |start: i64| ((now - start).max(0) / 1000).to_string();
        let mut v: Vec<(&str, String)> = vec![
            ("loading", u8::from(p.loading || (self.snapshot_loading() && !self.async_loading())).to_string()),
            ("async_loading", u8::from(self.async_loading()).to_string()),
            ("current_cow_peak", "0".into()),
            ("current_cow_size", "0".into()),
            ("current_cow_size_age", "0".into()),
            ("current_fork_perc", "0.00".into()),
            ("current_save_keys_processed", "0".into()),
            ("current_save_keys_total", "0".into()),
            ("rdb_changes_since_last_save", self.dirty.to_string()),
            ("rdb_bgsave_in_progress", u8::from(bg.is_some()).to_string()),
            ("rdb_last_save_time", self.last_save_ms.div_euclid(1000).to_string()),
            ("rdb_last_bgsave_status", if p.rdb.last_bgsave_ok { "ok" } else { "err" }.into()),
            ("rdb_last_bgsave_time_sec", p.rdb.last_bgsave_secs.to_string()),
            ("rdb_current_bgsave_time_sec", bg.map_or("-1".into(), secs)),
            ("rdb_saves", p.rdb.saves.to_string()),
            ("rdb_last_cow_size", "0".into()),
            ("rdb_last_load_keys_expired", p.last_load.1.to_string()),
            ("rdb_last_load_keys_loaded", p.last_load.0.to_string()),
            ("aof_enabled", u8::from(p.aof.is_some() || self.config.get_bool("appendonly")).to_string()),
            ("aof_rewrite_in_progress", u8::from(rewrite.is_some()).to_string()),
            ("aof_rewrite_scheduled", u8::from(p.rewrite_scheduled).to_string()),
            ("aof_last_rewrite_time_sec", p.rewrite_stats.last_time_sec.to_string()),
            ("aof_current_rewrite_time_sec", rewrite.map_or("-1".into(), |r| secs(r.start_ms))),
            ("aof_last_bgrewrite_status", if p.rewrite_stats.last_ok { "ok" } else { "err" }.into()),
            ("aof_rewrites", p.rewrite_stats.rewrites.to_string()),
            ("aof_rewrites_consecutive_failures", p.rewrite_stats.consecutive_failures.to_string()),
            ("aof_last_write_status", if self.aof_error().is_some() { "err" } else { "ok" }.into()),
            ("aof_last_cow_size", "0".into()),
            ("module_fork_in_progress", "0".into()),
            ("module_fork_last_cow_size", "0".into()),
        ];
        if let Some(w) = &p.aof {
            v.extend([
                ("aof_current_size", w.current_size().to_string()),
                ("aof_base_size", w.base_size.to_string()),
                ("aof_pending_rewrite", u8::from(p.rewrite_scheduled).to_string()),
                ("aof_buffer_length", w.buffered().to_string()),
                ("aof_pending_bio_fsync", "0".into()),
                ("aof_delayed_fsync", "0".into()),
            ]);
        }
        let progress = if p.loading {
            let nothing_yet = LoadProgress { start_ms: now, total_bytes: 0, loaded_bytes: 0, rdb_used_mem: 0 };
            Some(p.loader.as_ref().map_or(nothing_yet, |l| l.progress()))
        } else {
            self.snapshot_load_progress()
        };
        if let Some(pr) = progress {
            // Redis's figures: whole seconds of Unix time, a fake second of
            // ETA until one has passed.
            let elapsed = now.div_euclid(1000) - pr.start_ms.div_euclid(1000);
            let (perc, remaining) = match pr.total_bytes {
                0 => (0.0, 1),
                total => (pr.loaded_bytes as f64 * 100.0 / total as f64, total.saturating_sub(pr.loaded_bytes)),
            };
            let eta = if elapsed <= 0 { 1 } else { (elapsed as u64).saturating_mul(remaining) / (pr.loaded_bytes + 1) };
            v.extend([
                ("loading_start_time", pr.start_ms.div_euclid(1000).to_string()),
                ("loading_total_bytes", pr.total_bytes.to_string()),
                ("loading_rdb_used_mem", pr.rdb_used_mem.to_string()),
                ("loading_loaded_bytes", pr.loaded_bytes.to_string()),
                ("loading_loaded_perc", format!("{perc:.2}")),
                ("loading_eta_seconds", eta.to_string()),
            ]);
        }
        v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}
