//! List commands, blocking ones included (with short timeouts in the
//! stream; inside MULTI they never wait). Every list reply is deterministic,
//! so all are compared exactly.

use rand::Rng;

use super::values::{b, num, LIST_KEYS};
use super::{Action, Cmd, Gen};

const DIRS: &[&str] = &["LEFT", "RIGHT", "left", "Right", "LEFT", "RIGHT", "up"];

impl Gen {
    fn list_key(&mut self) -> Vec<u8> {
        self.home_key(LIST_KEYS)
    }

    pub(super) fn list_push(&mut self, conn: usize, _: i64) -> Action {
        let name = self.pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
        let k = self.list_key();
        let mut args = vec![self.word(name), k.clone()];
        if self.chance(0.03) {
            // A run long enough for several quicklist nodes.
            args.extend((0..self.rng.gen_range(50..300)).map(|i| num(i % 40)));
        } else {
            // Now and then no element at all: an arity error.
            let n = if self.chance(0.03) { 0 } else { self.rng.gen_range(1..=5) };
            args.extend((0..n).map(|_| self.list_elem()));
        }
        let c = self.keyed(conn, name, args, &[&k]);
        self.maybe_encoding(conn, &k);
        Action::Cmd(c)
    }

    pub(super) fn list_pop(&mut self, conn: usize, _: i64) -> Action {
        let k = self.list_key();
        let c = match self.rng.gen_range(0..10) {
            0..=6 => {
                let name = self.pick(&["LPOP", "RPOP"]);
                let mut args = vec![self.word(name), k.clone()];
                if self.chance(0.5) {
                    args.push(self.count());
                }
                self.keyed(conn, name, args, &[&k])
            }
            _ => self.lmpop(conn, false),
        };
        Action::Cmd(c)
    }

    /// LMPOP / BLMPOP: numkeys usually right; COUNT sometimes present,
    /// repeated or broken.
    fn lmpop(&mut self, conn: usize, blocking: bool) -> Cmd {
        let name = if blocking { "BLMPOP" } else { "LMPOP" };
        let mut args = vec![self.word(name)];
        if blocking {
            args.push(self.timeout());
        }
        let keys: Vec<Vec<u8>> = (0..self.rng.gen_range(1..=3)).map(|_| self.list_key()).collect();
        args.push(self.numkeys(keys.len()));
        args.extend(keys.iter().cloned());
        args.push(b(self.pick(DIRS)));
        match self.rng.gen_range(0..10) {
            0..=4 => {}
            5..=8 => {
                args.push(self.word("COUNT"));
                args.push(self.count());
            }
            _ => args.push(b(self.pick(&["COUNT", "FOO"]))),
        }
        if self.chance(0.05) {
            args.extend([b("COUNT"), b("1")]);
        }
        let refs: Vec<&Vec<u8>> = keys.iter().collect();
        self.keyed(conn, name, args, &refs)
    }

    pub(super) fn list_read(&mut self, conn: usize, _: i64) -> Action {
        let k = self.list_key();
        let c = match self.rng.gen_range(0..10) {
            0..=3 => {
                let args = vec![self.word("LRANGE"), k.clone(), self.index(), self.index()];
                self.keyed(conn, "LRANGE", args, &[&k])
            }
            4..=5 => {
                let args = vec![self.word("LINDEX"), k.clone(), self.index()];
                self.keyed(conn, "LINDEX", args, &[&k])
            }
            6 => {
                let args = vec![self.word("LLEN"), k.clone()];
                let mut c = self.keyed(conn, "LLEN", args, &[&k]);
                c.lookups = true;
                c
            }
            _ => self.lpos(conn, k),
        };
        Action::Cmd(c)
    }

    /// LPOS with a random set of options in random order, sometimes broken.
    fn lpos(&mut self, conn: usize, k: Vec<u8>) -> Cmd {
        let mut args = vec![self.word("LPOS"), k.clone(), self.list_elem()];
        for _ in 0..self.rng.gen_range(0..4) {
            let (opt, value) = match self.rng.gen_range(0..10) {
                0..=3 => ("RANK", self.pick(&["1", "2", "-1", "-2", "3", "-3", "0", "-9223372036854775808", "x"])),
                4..=6 => ("COUNT", self.pick(&["0", "1", "2", "3", "0", "-1", "x"])),
                7..=8 => ("MAXLEN", self.pick(&["0", "1", "2", "5", "-1"])),
                _ => ("BOGUS", "1"),
            };
            args.push(self.word(opt));
            args.push(b(value));
        }
        if self.chance(0.04) {
            args.push(b("RANK"));
        }
        self.keyed(conn, "LPOS", args, &[&k])
    }

    pub(super) fn list_write(&mut self, conn: usize, _: i64) -> Action {
        let k = self.list_key();
        let c = match self.rng.gen_range(0..10) {
            0..=2 => {
                let place = self.pick(&["BEFORE", "AFTER", "before", "After", "middle"]);
                let args = vec![self.word("LINSERT"), k.clone(), b(place), self.list_elem(), self.list_elem()];
                self.keyed(conn, "LINSERT", args, &[&k])
            }
            3..=4 => {
                let args = vec![self.word("LREM"), k.clone(), self.count(), self.list_elem()];
                self.keyed(conn, "LREM", args, &[&k])
            }
            5..=7 => {
                let args = vec![self.word("LSET"), k.clone(), self.index(), self.list_elem()];
                self.keyed(conn, "LSET", args, &[&k])
            }
            _ => {
                let args = vec![self.word("LTRIM"), k.clone(), self.index(), self.index()];
                self.keyed(conn, "LTRIM", args, &[&k])
            }
        };
        self.maybe_encoding(conn, &k);
        Action::Cmd(c)
    }

    pub(super) fn list_move(&mut self, conn: usize, _: i64) -> Action {
        let src = self.list_key();
        let dst = if self.chance(0.15) { src.clone() } else { self.list_key() };
        let c = if self.chance(0.7) {
            let args = vec![self.word("LMOVE"), src.clone(), dst.clone(), b(self.pick(DIRS)), b(self.pick(DIRS))];
            self.keyed(conn, "LMOVE", args, &[&src, &dst])
        } else {
            let args = vec![self.word("RPOPLPUSH"), src.clone(), dst.clone()];
            self.keyed(conn, "RPOPLPUSH", args, &[&src, &dst])
        };
        Action::Cmd(c)
    }

    /// A blocking pop or move: served at once when there is data; else, in
    /// the stream, it waits out its short timeout (the null reply kind is
    /// compared), and inside MULTI it answers that null at once.
    pub(super) fn list_blocking(&mut self, conn: usize, _: i64) -> Action {
        let c = match self.rng.gen_range(0..10) {
            0..=3 => {
                let name = self.pick(&["BLPOP", "BRPOP"]);
                let keys: Vec<Vec<u8>> = (0..self.rng.gen_range(1..=3)).map(|_| self.list_key()).collect();
                let mut args = vec![self.word(name)];
                args.extend(keys.iter().cloned());
                args.push(self.timeout());
                let refs: Vec<&Vec<u8>> = keys.iter().collect();
                self.keyed(conn, name, args, &refs)
            }
            4..=5 => {
                let (src, dst) = (self.list_key(), self.list_key());
                let args = vec![
                    self.word("BLMOVE"),
                    src.clone(),
                    dst.clone(),
                    b(self.pick(DIRS)),
                    b(self.pick(DIRS)),
                    self.timeout(),
                ];
                self.keyed(conn, "BLMOVE", args, &[&src, &dst])
            }
            6 => {
                let (src, dst) = (self.list_key(), self.list_key());
                let args = vec![self.word("BRPOPLPUSH"), src.clone(), dst.clone(), self.timeout()];
                self.keyed(conn, "BRPOPLPUSH", args, &[&src, &dst])
            }
            _ => self.lmpop(conn, true),
        };
        Action::Cmd(c)
    }
}
