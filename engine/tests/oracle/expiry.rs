//! Tracking of expiry deadlines, to tell real mismatches from races.
//!
//! The two servers run each command a fraction of a millisecond apart, so a
//! key whose expiry falls inside that gap can legitimately be alive on one and
//! gone on the other. For every key the harness keeps the deadlines that the
//! commands sent so far *may* have given it, each as an interval [lo, hi] of
//! unix milliseconds that certainly contains the deadline on both servers:
//! a relative TTL of `d` set by a command sent at t0 and answered by both at
//! t1 lands in [t0 + d, t1 + d]. A command is "racy" when one of the keys it
//! reads has a deadline interval that comes within [`MARGIN_MS`] of the
//! command's own [t0, t1] window. Racy replies are not counted as mismatches;
//! the keys involved are then deleted on both servers to resynchronise.
//!
//! The tracking is conservative: a deadline is recorded whether or not the
//! command could apply it (NX, GT, syntax errors...), so it can only cause
//! spurious "racy" verdicts, never hide a real expiry race.

use std::collections::HashMap;

use super::generate::{Cmd, DbKey, Deadline, Scope};

/// Slack around each deadline interval, for millisecond truncation and clock
/// reads that lag the actual execution slightly. The intervals themselves
/// already cover the transport delay.
pub const MARGIN_MS: i64 = 10;

#[derive(Default)]
pub struct Expiries {
    deadlines: HashMap<DbKey, Vec<(i64, i64)>>,
}

fn near(list: &[(i64, i64)], t0: i64, t1: i64) -> bool {
    list.iter().any(|&(lo, hi)| lo - MARGIN_MS <= t1 && hi + MARGIN_MS >= t0)
}

impl Expiries {
    /// If `cmd`, executed between t0 and t1, may have seen an expiry race,
    /// the keys to resynchronise.
    pub fn racy(&self, cmd: &Cmd, t0: i64, t1: i64) -> Option<Vec<DbKey>> {
        let hit = |dk: &DbKey| self.deadlines.get(dk).is_some_and(|l| near(l, t0, t1));
        let mut keys = Vec::new();
        if cmd.touches.iter().any(hit) {
            keys.extend(cmd.touches.iter().cloned());
        }
        match cmd.scope {
            Scope::None => {}
            Scope::Keys(db) => {
                keys.extend(
                    self.deadlines.iter().filter(|(dk, l)| dk.0 == db && near(l, t0, t1)).map(|(dk, _)| dk.clone()),
                );
            }
            // DBSIZE counts keys that expired but were not evicted yet, and
            // eviction timing is each server's own business: any deadline that
            // may have passed and was not settled by a lookup since is a race.
            Scope::DbSize(db) => keys.extend(
                self.deadlines
                    .iter()
                    .filter(|(dk, l)| dk.0 == db && l.iter().any(|&(lo, _)| lo - MARGIN_MS <= t1))
                    .map(|(dk, _)| dk.clone()),
            ),
            // The same for the touched keys only.
            Scope::Raw => keys.extend(
                cmd.touches
                    .iter()
                    .filter(|dk| self.deadlines.get(*dk).is_some_and(|l| l.iter().any(|&(lo, _)| lo - MARGIN_MS <= t1)))
                    .cloned(),
            ),
        }
        if keys.is_empty() {
            return None;
        }
        keys.sort();
        keys.dedup();
        Some(keys)
    }

    /// Updates the deadlines after `cmd` ran between t0 and t1.
    pub fn apply(&mut self, cmd: &Cmd, t0: i64, t1: i64) {
        if let Some(db) = cmd.flush {
            self.deadlines.retain(|dk, _| dk.0 != db);
        }
        if let Some((x, y)) = cmd.swap {
            let old = std::mem::take(&mut self.deadlines);
            self.deadlines = old
                .into_iter()
                .map(|((d, k), l)| {
                    (
                        (
                            if d == x {
                                y
                            } else if d == y {
                                x
                            } else {
                                d
                            },
                            k,
                        ),
                        l,
                    )
                })
                .collect();
        }
        if cmd.lookups {
            // Both servers looked the key up after these deadlines had
            // certainly passed, so both deleted it lazily: settled.
            for dk in &cmd.touches {
                if let Some(l) = self.deadlines.get_mut(dk) {
                    l.retain(|&(_, hi)| hi + MARGIN_MS >= t0);
                }
            }
        }
        for dk in &cmd.clears {
            self.deadlines.remove(dk);
        }
        for (from, to) in &cmd.ttl_copies {
            if let Some(l) = self.deadlines.get(from).cloned() {
                self.deadlines.entry(to.clone()).or_default().extend(l);
            }
        }
        for (dk, d) in &cmd.ttl_sets {
            let interval = match *d {
                Deadline::In(ms) => (t0.saturating_add(ms), t1.saturating_add(ms)),
                Deadline::At(ms) => (ms, ms),
            };
            self.deadlines.entry(dk.clone()).or_default().push(interval);
        }
        self.deadlines.retain(|_, l| !l.is_empty());
    }

    /// Keys of `db` with a recorded deadline that has certainly passed by
    /// `now`: after a lookup on both servers, such a key is either deleted
    /// on both or (if that deadline never applied) alive on both.
    pub fn settleable(&self, db: usize, now: i64) -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = self
            .deadlines
            .iter()
            .filter(|(dk, l)| dk.0 == db && l.iter().any(|&(_, hi)| hi + MARGIN_MS < now))
            .map(|(dk, _)| dk.1.clone())
            .collect();
        keys.sort();
        keys
    }

    /// The key was deleted on both servers.
    pub fn forget(&mut self, dk: &DbKey) {
        self.deadlines.remove(dk);
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate::cmd;
    use super::*;

    fn cmd_on(key: &[u8]) -> Cmd {
        let mut c = cmd(0, "test", vec![]);
        c.touches.push((0, key.to_vec()));
        c.lookups = true;
        c
    }

    #[test]
    fn reads_near_a_deadline_are_racy() {
        let mut e = Expiries::default();
        let mut set = cmd_on(b"k");
        set.ttl_sets.push(((0, b"k".to_vec()), Deadline::In(20)));
        e.apply(&set, 1000, 1001);
        assert!(e.racy(&cmd_on(b"k"), 1015, 1016).is_some());
        assert!(e.racy(&cmd_on(b"other"), 1015, 1016).is_none());
        assert!(e.racy(&cmd_on(b"k"), 1002, 1003).is_none());
        let mut size = cmd_on(b"x");
        size.touches.clear();
        size.scope = Scope::DbSize(0);
        assert!(e.racy(&size, 1100, 1101).is_some());
        // A lookup long after the deadline settles it.
        e.apply(&cmd_on(b"k"), 1100, 1101);
        assert!(e.racy(&size, 1200, 1201).is_none());
    }
}
