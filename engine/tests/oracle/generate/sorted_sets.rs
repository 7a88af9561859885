//! Sorted-set commands. Replies are deterministic except ZRANDMEMBER
//! (properties), a skiplist's ZSCAN (full iterations) and lex ranges over a
//! skiplist with differing scores (not sent; see `Special::LexRange`).

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::{b, ZSET_KEYS};
use super::{Action, Cmd, Gen, RandomKind, Special};

/// Home keys whose ZADDs mostly use score 0, so lex ranges mean something.
const FLAT_KEYS: &[&str] = &["{t}c", "user:2"];
const WEIGHTS: &[&str] = &["1", "2", "-1", "0", "0.5", "inf", "-inf", "3", "1", "x"];
const MATCHES: &[&str] = &["*", "a*", "m1?", "[a-c]*", "*b*", "L*"];

impl Gen {
    fn zkey(&mut self) -> Vec<u8> {
        self.home_key(ZSET_KEYS)
    }

    fn flat_key(&mut self) -> Vec<u8> {
        if self.chance(0.7) {
            b(self.pick(FLAT_KEYS))
        } else {
            self.zkey()
        }
    }

    fn zscore_for(&mut self, k: &[u8]) -> Vec<u8> {
        let flat = FLAT_KEYS.iter().any(|f| f.as_bytes() == k);
        self.score(flat)
    }

    fn limit(&mut self) -> Vec<Vec<u8>> {
        let offset = self.pick(&["0", "0", "1", "2", "5", "-1", "200", "x"]);
        let count = self.pick(&["-1", "0", "1", "2", "3", "10", "-5", "x"]);
        vec![self.word("LIMIT"), b(offset), b(count)]
    }

    pub(super) fn zset_write(&mut self, conn: usize, _: i64) -> Action {
        let k = self.zkey();
        let c = match self.rng.gen_range(0..100) {
            0..=54 => {
                let mut args = vec![self.word("ZADD"), k.clone()];
                let mut flags: Vec<&str> =
                    ["NX", "XX", "GT", "LT", "CH", "INCR"].into_iter().filter(|_| self.rng.gen_bool(0.08)).collect();
                flags.shuffle(&mut self.rng);
                args.extend(flags.iter().map(|f| self.word(f)));
                let pairs = if flags.contains(&"INCR") && self.chance(0.9) {
                    1
                } else if self.chance(0.03) {
                    self.rng.gen_range(20..150)
                } else {
                    self.rng.gen_range(1..=5)
                };
                for _ in 0..pairs {
                    args.push(self.zscore_for(&k));
                    args.push(self.zmember());
                }
                if self.chance(0.02) {
                    args.pop();
                }
                self.keyed(conn, "ZADD", args, &[&k])
            }
            55..=69 => {
                let args = vec![self.word("ZINCRBY"), k.clone(), self.zscore_for(&k), self.zmember()];
                self.keyed(conn, "ZINCRBY", args, &[&k])
            }
            70..=84 => {
                let mut args = vec![self.word("ZREM"), k.clone()];
                args.extend((0..self.rng.gen_range(1..=4)).map(|_| self.zmember()));
                self.keyed(conn, "ZREM", args, &[&k])
            }
            85..=92 => {
                let args = vec![self.word("ZREMRANGEBYRANK"), k.clone(), self.index(), self.index()];
                self.keyed(conn, "ZREMRANGEBYRANK", args, &[&k])
            }
            _ => {
                let args = vec![self.word("ZREMRANGEBYSCORE"), k.clone(), self.score_bound(), self.score_bound()];
                self.keyed(conn, "ZREMRANGEBYSCORE", args, &[&k])
            }
        };
        self.maybe_encoding(conn, &k);
        Action::Cmd(c)
    }

    pub(super) fn zset_read(&mut self, conn: usize, _: i64) -> Action {
        let k = self.zkey();
        let (name, rest): (&str, Vec<Vec<u8>>) = match self.rng.gen_range(0..12) {
            0..=1 => ("ZCARD", vec![]),
            2..=3 => ("ZSCORE", vec![self.zmember()]),
            4..=5 => ("ZMSCORE", (0..self.rng.gen_range(1..=4)).map(|_| self.zmember()).collect()),
            6..=7 => ("ZRANK", vec![self.zmember()]),
            8 => ("ZREVRANK", vec![self.zmember()]),
            _ => ("ZCOUNT", vec![self.score_bound(), self.score_bound()]),
        };
        let mut args = vec![self.word(name), k.clone()];
        args.extend(rest);
        Action::Cmd(self.keyed(conn, name, args, &[&k]))
    }

    /// ZRANGE by rank or score (lex ranges are in `zset_lex`), ZREVRANGE,
    /// Z[REV]RANGEBYSCORE, ZRANGESTORE.
    pub(super) fn zset_range(&mut self, conn: usize, _: i64) -> Action {
        let k = self.zkey();
        let c = match self.rng.gen_range(0..10) {
            0..=5 => {
                let store = self.chance(0.25);
                self.zrange(conn, k, store, false)
            }
            6..=7 => {
                let mut args = vec![self.word("ZREVRANGE"), k.clone(), self.index(), self.index()];
                if self.chance(0.4) {
                    args.push(self.word("WITHSCORES"));
                }
                self.keyed(conn, "ZREVRANGE", args, &[&k])
            }
            _ => {
                let name = self.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]);
                let mut args = vec![self.word(name), k.clone(), self.score_bound(), self.score_bound()];
                if self.chance(0.4) {
                    args.push(self.word("WITHSCORES"));
                }
                if self.chance(0.3) {
                    args.extend(self.limit());
                }
                self.keyed(conn, name, args, &[&k])
            }
        };
        Action::Cmd(c)
    }

    /// ZRANGE or ZRANGESTORE with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES.
    fn zrange(&mut self, conn: usize, src: Vec<u8>, store: bool, lex: bool) -> Cmd {
        let name = if store { "ZRANGESTORE" } else { "ZRANGE" };
        let mut args = vec![self.word(name)];
        let mut keys = vec![src.clone()];
        if store {
            let dst = self.zkey();
            args.push(dst.clone());
            self.maybe_encoding(conn, &dst);
            keys.push(dst);
        }
        args.push(src);
        let by_score = !lex && self.chance(0.4);
        let (lo, hi) = if lex {
            (self.lex_bound(), self.lex_bound())
        } else if by_score {
            (self.score_bound(), self.score_bound())
        } else {
            (self.index(), self.index())
        };
        args.extend([lo, hi]);
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        if lex && self.chance(0.95) {
            opts.push(vec![self.word("BYLEX")]);
        } else if by_score && self.chance(0.95) {
            opts.push(vec![self.word("BYSCORE")]);
        } else if self.chance(0.03) {
            opts.push(vec![b(self.pick(&["BYSCORE", "BYLEX"]))]);
        }
        if self.chance(0.3) {
            opts.push(vec![self.word("REV")]);
        }
        if self.chance(if lex || by_score { 0.3 } else { 0.05 }) {
            opts.push(self.limit());
        }
        if (!store || self.chance(0.05)) && self.chance(if lex { 0.05 } else { 0.35 }) {
            opts.push(vec![self.word("WITHSCORES")]);
        }
        opts.shuffle(&mut self.rng);
        args.extend(opts.into_iter().flatten());
        let refs: Vec<&Vec<u8>> = keys.iter().collect();
        self.keyed(conn, name, args, &refs)
    }

    /// Lex ranges, on keys that mostly hold equal scores.
    pub(super) fn zset_lex(&mut self, conn: usize, _: i64) -> Action {
        let k = self.flat_key();
        let mut c = match self.rng.gen_range(0..10) {
            0..=3 => {
                let name = self.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]);
                let mut args = vec![self.word(name), k.clone(), self.lex_bound(), self.lex_bound()];
                if self.chance(0.3) {
                    args.extend(self.limit());
                }
                self.keyed(conn, name, args, &[&k])
            }
            4..=5 => {
                let args = vec![self.word("ZLEXCOUNT"), k.clone(), self.lex_bound(), self.lex_bound()];
                self.keyed(conn, "ZLEXCOUNT", args, &[&k])
            }
            6 => {
                let args = vec![self.word("ZREMRANGEBYLEX"), k.clone(), self.lex_bound(), self.lex_bound()];
                self.keyed(conn, "ZREMRANGEBYLEX", args, &[&k])
            }
            _ => {
                let store = self.chance(0.3);
                self.zrange(conn, k.clone(), store, true)
            }
        };
        c.special = Special::LexRange(self.dk(conn, &k));
        Action::Cmd(c)
    }

    pub(super) fn zset_algebra(&mut self, conn: usize, _: i64) -> Action {
        let name = self.pick(&[
            "ZUNION",
            "ZINTER",
            "ZDIFF",
            "ZUNIONSTORE",
            "ZINTERSTORE",
            "ZDIFFSTORE",
            "ZINTERCARD",
            "ZUNION",
            "ZINTER",
        ]);
        let store = name.ends_with("STORE");
        let mut args = vec![self.word(name)];
        let mut keys: Vec<Vec<u8>> = Vec::new();
        if store {
            let dst = self.zkey();
            args.push(dst.clone());
            self.maybe_encoding(conn, &dst);
            keys.push(dst);
        }
        // Sets take part as members of score 1.
        let inputs: Vec<Vec<u8>> =
            (0..self.rng.gen_range(1..=3)).map(|_| if self.chance(0.85) { self.zkey() } else { self.key() }).collect();
        args.push(self.numkeys(inputs.len()));
        args.extend(inputs.iter().cloned());
        keys.extend(inputs.iter().cloned());
        let combining = !name.starts_with("ZDIFF") && name != "ZINTERCARD";
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        if (combining || self.chance(0.05)) && self.chance(0.4) {
            let n = if self.chance(0.9) { inputs.len() } else { inputs.len() + 1 };
            let mut w = vec![self.word("WEIGHTS")];
            w.extend((0..n).map(|_| b(self.pick(WEIGHTS))));
            opts.push(w);
        }
        if (combining || self.chance(0.05)) && self.chance(0.4) {
            let how = self.pick(&["SUM", "MIN", "MAX", "min", "foo"]);
            opts.push(vec![self.word("AGGREGATE"), b(how)]);
        }
        if (!store || self.chance(0.05)) && name != "ZINTERCARD" && self.chance(0.5) {
            opts.push(vec![self.word("WITHSCORES")]);
        }
        if name == "ZINTERCARD" && self.chance(0.5) {
            opts.push(vec![self.word("LIMIT"), b(self.pick(&["0", "1", "2", "5", "-1", "x"]))]);
        }
        opts.shuffle(&mut self.rng);
        args.extend(opts.into_iter().flatten());
        let refs: Vec<&Vec<u8>> = keys.iter().collect();
        Action::Cmd(self.keyed(conn, name, args, &refs))
    }

    /// ZPOPMIN/MAX, ZMPOP and the blocking BZPOPMIN/MAX, BZMPOP.
    pub(super) fn zset_pop(&mut self, conn: usize, _: i64) -> Action {
        let c = match self.rng.gen_range(0..10) {
            0..=4 => {
                let k = self.zkey();
                let name = self.pick(&["ZPOPMIN", "ZPOPMAX"]);
                let mut args = vec![self.word(name), k.clone()];
                if self.chance(0.6) {
                    args.push(self.count());
                }
                self.keyed(conn, name, args, &[&k])
            }
            5..=6 => self.zmpop(conn, false),
            7..=8 => {
                let name = self.pick(&["BZPOPMIN", "BZPOPMAX"]);
                let keys: Vec<Vec<u8>> = (0..self.rng.gen_range(1..=3)).map(|_| self.zkey()).collect();
                let mut args = vec![self.word(name)];
                args.extend(keys.iter().cloned());
                args.push(self.timeout());
                let refs: Vec<&Vec<u8>> = keys.iter().collect();
                self.keyed(conn, name, args, &refs)
            }
            _ => self.zmpop(conn, true),
        };
        Action::Cmd(c)
    }

    fn zmpop(&mut self, conn: usize, blocking: bool) -> Cmd {
        let name = if blocking { "BZMPOP" } else { "ZMPOP" };
        let mut args = vec![self.word(name)];
        if blocking {
            args.push(self.timeout());
        }
        let keys: Vec<Vec<u8>> = (0..self.rng.gen_range(1..=3)).map(|_| self.zkey()).collect();
        args.push(self.numkeys(keys.len()));
        args.extend(keys.iter().cloned());
        args.push(b(self.pick(&["MIN", "MAX", "min", "max", "foo"])));
        if self.chance(0.5) {
            args.push(self.word("COUNT"));
            args.push(b(self.pick(&["1", "2", "3", "10", "0", "-1", "x"])));
        }
        let refs: Vec<&Vec<u8>> = keys.iter().collect();
        self.keyed(conn, name, args, &refs)
    }

    /// ZRANDMEMBER; a huge negative count only where Redis refuses it
    /// (doubled for WITHSCORES it overflows), never where it would draw.
    pub(super) fn zset_random(&mut self, conn: usize, _: i64) -> Action {
        let k = self.zkey();
        let mut args = vec![self.word("ZRANDMEMBER"), k.clone()];
        if self.chance(0.7) {
            let count = self.pick(&[
                "0",
                "1",
                "2",
                "3",
                "5",
                "-1",
                "-3",
                "-10",
                "20",
                "1000",
                "x",
                "9223372036854775807",
                "-9223372036854775808",
            ]);
            args.push(b(count));
            if self.chance(0.4) {
                args.push(self.word("WITHSCORES"));
            } else if self.chance(0.03) {
                args[2] = b("-9223372036854775807");
                args.push(b("WITHSCORES"));
            } else if self.chance(0.03) {
                args.push(b("FOO"));
            }
        }
        let mut c = self.keyed(conn, "ZRANDMEMBER", args, &[&k]);
        c.special = Special::Random { key: self.dk(conn, &k), kind: RandomKind::ZRandMember };
        Action::Cmd(c)
    }

    pub(super) fn zset_scan(&mut self, conn: usize, _: i64) -> Action {
        let k = self.zkey();
        self.collection_scan(conn, "ZSCAN", k, true, MATCHES)
    }
}
