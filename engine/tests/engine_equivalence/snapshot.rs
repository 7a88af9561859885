//! A snapshot read out in pieces while a case's commands run
//! ([`redsim_model::Engine::start_snapshot`]): the model copies everything
//! when it starts, the optimized engine copies each key before it changes,
//! and both must hand out the same records, whatever ran meanwhile
//! (SWAPDB, FLUSHDB, MOVE, expiry, access-time updates...).

use redsim_model::dataset::Record;
use redsim_model::Engine;

use super::ops::P;
use super::pair::Pair;

/// When a case starts, restarts and reads its snapshot.
pub struct SnapshotRun {
    /// Before which operation the snapshot starts.
    start_at: usize,
    /// Before which operation it is cancelled and a new one started (a
    /// cancelled snapshot must leave nothing behind).
    restart_at: Option<usize>,
    /// Records read from each engine before each operation once started.
    per_op: usize,
    started: bool,
    shape: Option<Vec<(u64, u64)>>,
    model: Vec<(usize, Record)>,
    engine: Vec<(usize, Record)>,
}

impl SnapshotRun {
    /// A run for a case of `ops` operations, or `None` (half the cases).
    pub fn draw(p: &mut P<'_>, ops: usize) -> Option<SnapshotRun> {
        if !p.chance(50) {
            return None;
        }
        let start_at = p.below(ops + 1);
        let restart_at = p.chance(25).then(|| start_at + p.below(ops + 1 - start_at));
        let per_op = p.below(4);
        Some(SnapshotRun {
            start_at,
            restart_at,
            per_op,
            started: false,
            shape: None,
            model: Vec::new(),
            engine: Vec::new(),
        })
    }

    /// Runs before operation `i` (and with `i` = the number of operations
    /// after the last).
    pub fn before(&mut self, i: usize, pair: &mut Pair) -> Result<(), String> {
        if i == self.start_at || (self.started && Some(i) == self.restart_at) {
            if self.started {
                pair.trace.push_str("-- snapshot cancelled and started again\n");
            } else {
                pair.trace.push_str("-- snapshot started\n");
            }
            self.start(pair)?;
        }
        if self.started {
            self.read(pair, self.per_op)?;
        }
        Ok(())
    }

    fn start(&mut self, pair: &mut Pair) -> Result<(), String> {
        let (m, e) = (pair.model.start_snapshot(), pair.engine.start_snapshot());
        if m != e {
            return Err(format!("snapshot shapes differ:\nmodel  {m:?}\nengine {e:?}"));
        }
        self.shape = Some(m);
        self.model.clear();
        self.engine.clear();
        self.started = true;
        Ok(())
    }

    fn read(&mut self, pair: &mut Pair, max: usize) -> Result<bool, String> {
        let (before_m, before_e) = (self.model.len(), self.engine.len());
        let m_done = pair.model.read_snapshot(max, &mut self.model);
        let e_done = pair.engine.read_snapshot(max, &mut self.engine);
        if self.model.len() - before_m > max || self.engine.len() - before_e > max {
            return Err(format!("a read of at most {max} records gave more"));
        }
        if pair.engine.snapshot_running() == e_done {
            return Err(format!("the engine's snapshot_running says {} after a read that says done={e_done}", !e_done));
        }
        Ok(m_done && e_done)
    }

    /// Reads both snapshots out and compares them.
    pub fn finish(mut self, pair: &mut Pair) -> Result<(), String> {
        if !self.started {
            return Ok(());
        }
        let mut rounds = 0;
        while !self.read(pair, 7)? {
            rounds += 1;
            if rounds > 100_000 {
                return Err("a snapshot never finished".into());
            }
        }
        for (name, records) in [("model", &self.model), ("engine", &self.engine)] {
            if records.windows(2).any(|w| w[0].0 > w[1].0) {
                return Err(format!("the {name}'s snapshot gave databases out of order"));
            }
        }
        let (m, e) = (canonical(&self.model), canonical(&self.engine));
        if m != e {
            return Err(format!("snapshots differ:\nmodel  {m:#?}\nengine {e:#?}"));
        }
        let counts: Vec<(u64, u64)> = (0..self.shape.as_ref().map_or(0, Vec::len))
            .map(|db| {
                let records = self.engine.iter().filter(|(d, _)| *d == db);
                (records.clone().count() as u64, records.filter(|(_, r)| r.expire_at.is_some()).count() as u64)
            })
            .collect();
        if Some(&counts) != self.shape.as_ref() {
            return Err(format!("the snapshot's records do not match its shape {:?}: {counts:?}", self.shape));
        }
        Ok(())
    }
}

/// Records as sorted text, database by database, with their database.
fn canonical(records: &[(usize, Record)]) -> Vec<String> {
    let mut out: Vec<String> = records
        .iter()
        .map(|(db, r)| format!("db{db} {:?} {:?} expire_at={:?} lru={}", r.key, r.value, r.expire_at, r.lru))
        .collect();
    out.sort();
    out
}
