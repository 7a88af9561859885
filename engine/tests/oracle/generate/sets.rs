//! Set commands. SMEMBERS of a hashtable and the results of SINTER, SUNION
//! and SDIFF are unordered; SPOP and SRANDMEMBER are judged by properties.

use rand::Rng;

use super::values::{b, num, SET_KEYS};
use super::Check;
use super::{Action, Gen, RandomKind, Special};

/// SPOP and SRANDMEMBER counts, valid and not; never a huge negative count
/// that SRANDMEMBER would serve (it would send that many members).
const COUNTS: &[&str] = &[
    "0",
    "1",
    "1",
    "2",
    "3",
    "5",
    "8",
    "20",
    "1000",
    "-1",
    "-2",
    "-5",
    "-30",
    "abc",
    "",
    "1.5",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
];

const MATCHES: &[&str] = &["*", "1*", "[a-c]", "?", "*0", "-*", "[^1]*", "[A-C]*"];

impl Gen {
    fn set_key(&mut self) -> Vec<u8> {
        self.home_key(SET_KEYS)
    }

    fn set_members(&mut self, max: usize) -> Vec<Vec<u8>> {
        let ints = self.int_bias;
        (0..self.rng.gen_range(1..=max)).map(|_| self.set_member(ints)).collect()
    }

    pub(super) fn set_write(&mut self, conn: usize, _: i64) -> Action {
        let k = self.set_key();
        let c = match self.rng.gen_range(0..100) {
            0..=44 => {
                let mut args = vec![self.word("SADD"), k.clone()];
                args.extend(self.set_members(5));
                self.keyed(conn, "SADD", args, &[&k])
            }
            45..=54 => {
                // A run of integers, to cross the intset limit.
                let start = self.rng.gen_range(-50..1000);
                let n = self.rng.gen_range(5..40);
                let mut args = vec![self.word("SADD"), k.clone()];
                args.extend((start..start + n).map(num));
                if self.chance(0.2) {
                    args.push(b("x"));
                }
                self.keyed(conn, "SADD", args, &[&k])
            }
            55..=79 => {
                let mut args = vec![self.word("SREM"), k.clone()];
                args.extend(self.set_members(4));
                self.keyed(conn, "SREM", args, &[&k])
            }
            _ => {
                let dst = if self.chance(0.15) { k.clone() } else { self.set_key() };
                let ints = self.int_bias;
                let args = vec![self.word("SMOVE"), k.clone(), dst.clone(), self.set_member(ints)];
                self.maybe_encoding(conn, &dst);
                self.keyed(conn, "SMOVE", args, &[&k, &dst])
            }
        };
        self.maybe_encoding(conn, &k);
        Action::Cmd(c)
    }

    pub(super) fn set_read(&mut self, conn: usize, _: i64) -> Action {
        let k = self.set_key();
        let ints = self.int_bias;
        let (name, rest): (&str, Vec<Vec<u8>>) = match self.rng.gen_range(0..10) {
            0..=1 => ("SCARD", vec![]),
            2..=3 => ("SISMEMBER", vec![self.set_member(ints)]),
            4..=5 => ("SMISMEMBER", self.set_members(4)),
            _ => ("SMEMBERS", vec![]),
        };
        let mut args = vec![self.word(name), k.clone()];
        args.extend(rest);
        let mut c = self.keyed(conn, name, args, &[&k]);
        if name == "SMEMBERS" {
            c.special = Special::Unordered { key: self.dk(conn, &k), pairs: false };
        } else {
            c.lookups = true;
        }
        Action::Cmd(c)
    }

    pub(super) fn set_algebra(&mut self, conn: usize, _: i64) -> Action {
        let keys: Vec<Vec<u8>> = (0..self.rng.gen_range(1..=4)).map(|_| self.set_key()).collect();
        let name = self.pick(&[
            "SINTER",
            "SUNION",
            "SDIFF",
            "SINTERSTORE",
            "SUNIONSTORE",
            "SDIFFSTORE",
            "SINTERCARD",
            "SDIFF",
        ]);
        let mut args = vec![self.word(name)];
        let mut touched = keys.clone();
        if name.ends_with("STORE") {
            let dst = self.set_key();
            args.push(dst.clone());
            self.maybe_encoding(conn, &dst);
            touched.push(dst);
        }
        if name == "SINTERCARD" {
            args.push(self.numkeys(keys.len()));
        }
        args.extend(keys);
        if name == "SINTERCARD" {
            match self.rng.gen_range(0..10) {
                0..=3 => {
                    args.push(self.word("LIMIT"));
                    args.push(b(self.pick(&["0", "1", "2", "5", "-1", "x", "9223372036854775807"])));
                }
                4 => args.push(b("LIMIT")),
                5 => args.extend([b("limit"), b("1"), b("LIMIT"), b("0")]),
                6 => args.push(b("BOGUS")),
                _ => {}
            }
        }
        let refs: Vec<&Vec<u8>> = touched.iter().collect();
        let mut c = self.keyed(conn, name, args, &refs);
        if matches!(name, "SINTER" | "SUNION" | "SDIFF") {
            c.check = Check::Multiset;
        }
        Action::Cmd(c)
    }

    pub(super) fn set_random(&mut self, conn: usize, _: i64) -> Action {
        let k = self.set_key();
        let (name, kind) =
            if self.chance(0.5) { ("SPOP", RandomKind::SPop) } else { ("SRANDMEMBER", RandomKind::SRandMember) };
        let mut args = vec![self.word(name), k.clone()];
        if self.chance(0.65) {
            args.push(b(self.pick(COUNTS)));
        }
        let mut c = self.keyed(conn, name, args, &[&k]);
        c.special = Special::Random { key: self.dk(conn, &k), kind };
        if kind == RandomKind::SPop {
            self.maybe_encoding(conn, &k);
        }
        Action::Cmd(c)
    }

    pub(super) fn set_scan(&mut self, conn: usize, _: i64) -> Action {
        let k = self.set_key();
        self.collection_scan(conn, "SSCAN", k, false, MATCHES)
    }
}
