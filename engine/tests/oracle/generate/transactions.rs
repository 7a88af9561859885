//! MULTI/EXEC/DISCARD with WATCH/UNWATCH: commands queued from the other
//! forms (those that are single, plain commands), errors that abort the
//! transaction while queueing (EXECABORT), and another connection touching
//! a watched key (EXEC then answers nil) or not.

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::b;
use super::{cmd, Action, Cmd, Gen, Scope, Special, STREAM_CONNS};

/// One step of a transaction, in order.
pub enum TxStep {
    /// An ordinary command, compared as usual: WATCH, MULTI, a nested MULTI
    /// or WATCH (refused at once), or another connection's command.
    Run(Cmd),
    /// Sent inside MULTI: the reply (QUEUED, or an error that aborts the
    /// transaction) is compared; the command runs at EXEC, if at all.
    Queue(Cmd),
    /// EXEC (its reply compared element by element with each queued
    /// command's rule) or DISCARD.
    End(Cmd),
}

pub struct Tx {
    pub conn: usize,
    pub steps: Vec<TxStep>,
}

impl Gen {
    /// A command another connection sends to a watched key: a write that
    /// aborts the transaction, or a read that does not.
    fn meddle(&mut self, other: usize, k: &[u8]) -> Cmd {
        let k = k.to_vec();
        let (label, rest): (&str, Vec<&str>) = match self.rng.gen_range(0..10) {
            0 => ("SET", vec!["v"]),
            1 => ("DEL", vec![]),
            2 => ("LPUSH", vec!["x"]),
            3 => ("HSET", vec!["f", "1"]),
            4 => ("SADD", vec!["m"]),
            5 => ("ZADD", vec!["1", "m"]),
            6 => ("EXPIRE", vec!["100000"]),
            7 => ("EXISTS", vec![]),
            8 => ("GET", vec![]),
            _ => ("PERSIST", vec![]),
        };
        let mut args = vec![b(label), k.clone()];
        args.extend(rest.into_iter().map(b));
        let mut c = self.keyed(other, label, args, &[&k]);
        match label {
            "SET" => self.set_len(c.touches[0].clone(), 1),
            "DEL" | "PERSIST" => c.clears = c.touches.clone(),
            _ => {}
        }
        c
    }

    /// A command for the queue: from the forms that may be queued, a single
    /// plain command (no special rule, no keyspace-wide scope).
    fn queueable(&mut self, conn: usize, now: i64) -> Cmd {
        loop {
            if let Action::Cmd(c) = self.draw(now, Some(conn)) {
                if c.special == Special::None && c.scope == Scope::None {
                    return c;
                }
            }
        }
    }

    pub(super) fn transaction(&mut self, conn: usize, now: i64) -> Action {
        let other = (conn + self.rng.gen_range(1..STREAM_CONNS)) % STREAM_CONNS;
        let mut steps = Vec::new();
        if self.chance(0.05) {
            // EXEC or DISCARD without MULTI, or a lone UNWATCH.
            let w = self.pick(&["EXEC", "DISCARD", "UNWATCH"]);
            steps.push(TxStep::Run(cmd(conn, w, vec![self.word(w)])));
            return Action::Tx(Tx { conn, steps });
        }
        let pending = self.pending.len();
        let mut watched = Vec::new();
        if self.chance(0.6) {
            let mut c = cmd(conn, "WATCH", vec![self.word("WATCH")]);
            for _ in 0..self.rng.gen_range(1..=3) {
                let k = self.key();
                c.touches.push(self.dk(conn, &k));
                c.args.push(k.clone());
                watched.push(k);
            }
            steps.push(TxStep::Run(c));
            if self.chance(0.1) {
                steps.push(TxStep::Run(cmd(conn, "UNWATCH", vec![self.word("UNWATCH")])));
            }
        }
        let meddle_at = if !watched.is_empty() && self.chance(0.6) { Some(self.rng.gen_range(0..3)) } else { None };
        if meddle_at == Some(0) {
            let k = watched.choose(&mut self.rng).unwrap().clone();
            steps.push(TxStep::Run(self.meddle(other, &k)));
        }
        steps.push(TxStep::Run(cmd(conn, "MULTI", vec![self.word("MULTI")])));
        self.tentative = true;
        for i in 0..self.rng.gen_range(1..=6) {
            if meddle_at == Some(i + 1) {
                let k = watched.choose(&mut self.rng).unwrap().clone();
                steps.push(TxStep::Run(self.meddle(other, &k)));
            }
            match self.rng.gen_range(0..100) {
                // Refused while queueing: EXEC will answer EXECABORT.
                0..=3 => {
                    let c = if self.chance(0.5) { self.wrong_arity(conn, now) } else { self.unknown(conn, now) };
                    // A refused EXEC ends the transaction at once (Redis
                    // answers EXECABORT): what follows would not be queued.
                    if let Action::Cmd(c) = c {
                        if !c.args[0].eq_ignore_ascii_case(b"EXEC") {
                            steps.push(TxStep::Queue(c));
                        }
                    }
                }
                // Not queued but refused at once, without aborting.
                4 => steps.push(TxStep::Run(cmd(conn, "MULTI", vec![b("MULTI")]))),
                5 => {
                    let k = self.key();
                    steps.push(TxStep::Run(cmd(conn, "WATCH", vec![b("WATCH"), k])));
                }
                _ => {
                    let c = self.queueable(conn, now);
                    steps.push(TxStep::Queue(c));
                }
            }
        }
        self.tentative = false;
        // Follow-ups of queued forms would run outside the transaction.
        self.pending.truncate(pending);
        let end = if self.chance(0.9) { "EXEC" } else { "DISCARD" };
        steps.push(TxStep::End(cmd(conn, end, vec![self.word(end)])));
        Action::Tx(Tx { conn, steps })
    }
}
