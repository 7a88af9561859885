//! The stream of effects a node sends to replicas and the AOF.
//!
//! Effects arrive tagged with their database; like Redis, the stream carries a
//! `SELECT` whenever the database differs from the previous effect's (and
//! before the very first one), so a consumer can replay it from the start.

use bytes::Bytes;
use redsim_model::Effect;

/// The size of `argv` as a RESP multibulk request, computed rather than
/// encoded: this runs for every propagated effect.
fn request_len(argv: &[Bytes]) -> u64 {
    fn header(n: usize) -> u64 {
        // One type byte, the decimal count, CRLF.
        let digits = n.checked_ilog10().map_or(1, |d| d + 1);
        1 + u64::from(digits) + 2
    }
    header(argv.len()) + argv.iter().map(|a| header(a.len()) + a.len() as u64 + 2).sum::<u64>()
}

/// Propagated effects not yet taken, and totals since startup.
#[derive(Clone, Debug, Default)]
pub struct Propagation {
    stream: Vec<Effect>,
    last_db: Option<usize>,
    /// Commands propagated since startup, SELECTs included.
    total_commands: u64,
    /// Their size in RESP, as a replica would receive them.
    total_bytes: u64,
    /// Effects (without the stream's SELECTs) waiting for the AOF, while it is on:
    /// the AOF tracks its own database, since each new file starts with a SELECT.
    aof_feed: Option<Vec<Effect>>,
    /// Whether `stream` keeps effects for [`Propagation::take`]. Off unless a
    /// consumer asked: a server nobody takes the stream from must not grow it
    /// for ever (replication will keep its own bounded backlog).
    capture: bool,
    /// The stream in RESP for replication, while this node is a master
    /// with a backlog (see `replication`); drained before each sleep.
    repl_feed: Option<Vec<u8>>,
}

impl Propagation {
    /// Appends effects in order, inserting SELECT where the database changes.
    pub fn append(&mut self, effects: Vec<Effect>) {
        if let Some(feed) = &mut self.aof_feed {
            feed.extend(effects.iter().cloned());
        }
        for e in effects {
            if self.last_db != Some(e.db) {
                self.push(Effect { db: e.db, argv: select(e.db) });
                self.last_db = Some(e.db);
            }
            self.push(e);
        }
    }

    /// Counts one effect when nobody consumes the stream (see
    /// [`Propagation::is_consumed`]): the totals and the SELECT state move on
    /// exactly as [`Propagation::append`] would move them.
    pub fn count(&mut self, db: usize, argv: &[Bytes]) {
        if self.last_db != Some(db) {
            self.tally(&select(db));
            self.last_db = Some(db);
        }
        self.tally(argv);
    }

    /// Whether anything takes the stream: the AOF, replication or a capture.
    pub fn is_consumed(&self) -> bool {
        self.capture || self.aof_feed.is_some() || self.repl_feed.is_some()
    }

    fn tally(&mut self, argv: &[Bytes]) {
        self.total_bytes += request_len(argv);
        self.total_commands += 1;
    }

    fn push(&mut self, e: Effect) {
        self.tally(&e.argv);
        if let Some(feed) = &mut self.repl_feed {
            redsim_model::resp::encode_request(&e.argv, feed);
        }
        if self.capture {
            self.stream.push(e);
        }
    }

    /// Starts or stops keeping the stream for [`Propagation::take`].
    pub fn set_capture(&mut self, on: bool) {
        self.capture = on;
        if !on {
            self.stream.clear();
        }
    }

    /// Starts or stops encoding the stream for replication. Starting makes
    /// the next effect carry a SELECT, as a new replica needs one.
    pub fn set_repl_feed(&mut self, on: bool) {
        match (on, self.repl_feed.is_some()) {
            (true, false) => {
                self.repl_feed = Some(Vec::new());
                self.last_db = None;
            }
            (false, true) => self.repl_feed = None,
            _ => {}
        }
    }

    /// The next effect carries a SELECT (a replica starts from a snapshot
    /// and does not know the stream's database).
    pub fn force_select(&mut self) {
        self.last_db = None;
    }

    /// Bytes for replicas outside the effect stream (PING, GETACK): they
    /// carry no database and change none.
    pub fn feed_raw(&mut self, bytes: &[u8]) {
        if let Some(feed) = &mut self.repl_feed {
            feed.extend_from_slice(bytes);
        }
    }

    /// Replication bytes produced since the last [`Propagation::take_repl_feed`].
    pub fn repl_feed_len(&self) -> usize {
        self.repl_feed.as_ref().map_or(0, Vec::len)
    }

    pub fn take_repl_feed(&mut self) -> Vec<u8> {
        self.repl_feed.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Starts or stops collecting effects for the AOF.
    pub fn set_aof_feed(&mut self, on: bool) {
        match (on, self.aof_feed.is_some()) {
            (true, false) => self.aof_feed = Some(Vec::new()),
            (false, true) => self.aof_feed = None,
            _ => {}
        }
    }

    /// The effects collected for the AOF since the last call.
    pub fn take_aof_feed(&mut self) -> Option<Vec<Effect>> {
        self.aof_feed.as_mut().filter(|f| !f.is_empty()).map(std::mem::take)
    }

    /// The effects not yet taken.
    pub fn effects(&self) -> &[Effect] {
        &self.stream
    }

    /// Takes the effects accumulated so far (while capturing); the SELECT
    /// state carries on.
    pub fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.stream)
    }

    pub fn total_commands(&self) -> u64 {
        self.total_commands
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }
}

/// `SELECT db`.
fn select(db: usize) -> Vec<Bytes> {
    vec![Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())]
}

fn is_word(e: &Effect, word: &[u8]) -> bool {
    e.argv.len() == 1 && e.argv[0].eq_ignore_ascii_case(word)
}

/// One command's effects without the MULTI/EXEC that `Context::into_effects`
/// wraps around several: inside a transaction they join the transaction's own.
pub fn unwrap_multi(mut effects: Vec<Effect>) -> Vec<Effect> {
    if effects.len() >= 2 && is_word(&effects[0], b"MULTI") && is_word(&effects[effects.len() - 1], b"EXEC") {
        effects.pop();
        effects.remove(0);
    }
    effects
}

/// A transaction's effects, wrapped in MULTI/EXEC when there is more than one
/// (one command is atomic on its own, and Redis 7.0 does not wrap it).
pub fn wrap_multi(mut effects: Vec<Effect>) -> Vec<Effect> {
    if effects.len() > 1 {
        let first = effects[0].db;
        let last = effects[effects.len() - 1].db;
        effects.insert(0, Effect { db: first, argv: vec![Bytes::from_static(b"MULTI")] });
        effects.push(Effect { db: last, argv: vec![Bytes::from_static(b"EXEC")] });
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(db: usize, words: &[&str]) -> Effect {
        Effect { db, argv: words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect() }
    }

    #[test]
    fn select_is_inserted_when_the_db_changes() {
        let mut p = Propagation::default();
        p.set_capture(true);
        p.append(vec![e(0, &["SET", "a", "1"]), e(0, &["SET", "b", "1"])]);
        p.append(vec![e(3, &["DEL", "a"])]);
        p.append(vec![e(3, &["DEL", "b"])]);
        let got: Vec<Vec<Bytes>> = p.take().into_iter().map(|e| e.argv).collect();
        let want: Vec<Vec<Bytes>> = [
            e(0, &["SELECT", "0"]),
            e(0, &["SET", "a", "1"]),
            e(0, &["SET", "b", "1"]),
            e(3, &["SELECT", "3"]),
            e(3, &["DEL", "a"]),
            e(3, &["DEL", "b"]),
        ]
        .into_iter()
        .map(|e| e.argv)
        .collect();
        assert_eq!(got, want);
        assert_eq!(p.total_commands(), 6);
        p.append(vec![e(3, &["DEL", "c"])]);
        assert_eq!(p.effects().len(), 1, "no SELECT while the db stays the same after a take");
    }

    #[test]
    fn multi_wrapping() {
        let wrapped = wrap_multi(vec![e(0, &["SET", "a", "1"]), e(1, &["SET", "b", "1"])]);
        assert_eq!(wrapped.len(), 4);
        assert_eq!(wrapped[3].db, 1);
        assert_eq!(unwrap_multi(wrapped.clone()).len(), 2);
        assert_eq!(wrap_multi(vec![e(0, &["SET", "a", "1"])]).len(), 1);
    }

    #[test]
    fn nothing_accumulates_without_a_consumer() {
        let mut p = Propagation::default();
        for i in 0..1000 {
            p.append(vec![Effect { db: 0, argv: vec![Bytes::from_static(b"SET"), Bytes::from(format!("k{i}"))] }]);
        }
        assert!(p.effects().is_empty(), "a server nobody takes the stream from keeps nothing");
        assert_eq!(p.total_commands(), 1001, "but counts everything, the SELECT included");
    }

    #[test]
    fn counting_moves_the_totals_as_appending_does() {
        let effects = vec![e(0, &["SET", "a", "1"]), e(3, &["DEL", "b"]), e(3, &["INCR", "c"]), e(0, &["DEL", "a"])];
        let mut appended = Propagation::default();
        appended.set_capture(true);
        appended.append(effects.clone());
        let mut counted = Propagation::default();
        assert!(!counted.is_consumed());
        for x in &effects {
            counted.count(x.db, &x.argv);
        }
        assert_eq!((counted.total_commands(), counted.total_bytes()), (7, appended.total_bytes()));
        assert_eq!(appended.total_commands(), 7);
        // The SELECT state carried on too: the next append starts without one.
        counted.set_capture(true);
        counted.append(vec![e(0, &["GET", "x"])]);
        assert_eq!(counted.take(), vec![e(0, &["GET", "x"])]);
    }

    #[test]
    fn counted_bytes_are_the_encoded_bytes() {
        for argv in [vec![], vec![Bytes::new()], vec![Bytes::from_static(b"SET"), Bytes::from(vec![b'x'; 1234])]] {
            let mut buf = Vec::new();
            redsim_model::resp::encode_request(&argv, &mut buf);
            assert_eq!(request_len(&argv), buf.len() as u64);
        }
    }
}
