//! Hash commands. Whole-hash replies of a hashtable are unordered, HRANDFIELD
//! is judged by its properties, HSCAN by full iterations (see `Special`).

use rand::Rng;

use super::values::{b, num, HASH_KEYS};
use super::{Action, Gen, RandomKind, Special};

const MATCHES: &[&str] = &["f*", "*", "w1*", "[a-f]?", "", "*0", "n?", "\\*"];

impl Gen {
    fn hash_key(&mut self) -> Vec<u8> {
        self.home_key(HASH_KEYS)
    }

    fn field_value_pairs(&mut self) -> Vec<Vec<u8>> {
        if self.chance(0.03) {
            // A run of distinct fields that crosses the entry limits.
            let start = self.rng.gen_range(0..300);
            let n = self.rng.gen_range(20..200);
            return (start..start + n).flat_map(|i| [format!("w{i}").into_bytes(), num(i % 7)]).collect();
        }
        (0..self.rng.gen_range(1..=4)).flat_map(|_| [self.field(), self.hash_value()]).collect()
    }

    pub(super) fn hash_write(&mut self, conn: usize, _: i64) -> Action {
        let k = self.hash_key();
        let (name, rest): (&str, Vec<Vec<u8>>) = match self.rng.gen_range(0..100) {
            0..=34 => ("HSET", self.field_value_pairs()),
            35..=44 => ("HMSET", self.field_value_pairs()),
            45..=54 => ("HSETNX", vec![self.field(), self.hash_value()]),
            55..=69 => {
                let n = if self.chance(0.05) { self.rng.gen_range(20..80) } else { self.rng.gen_range(1..=3) };
                ("HDEL", (0..n).map(|_| self.field()).collect())
            }
            70..=84 => {
                let by = match self.rng.gen_range(0..10) {
                    0..=5 => num(self.rng.gen_range(-1000..1000)),
                    _ => b(self.pick(&["9223372036854775807", "-9223372036854775808", "1.5", "abc", "", "007"])),
                };
                ("HINCRBY", vec![self.field(), by])
            }
            85..=96 => {
                let by = b(self.pick(&[
                    "1.5", "-0.25", "3", "1e3", "0.1", "1e308", "-1e308", "inf", "nan", "abc", "", "0x10", "1e-310",
                    "5.0e3", "-0",
                ]));
                ("HINCRBYFLOAT", vec![self.field(), by])
            }
            // Odd field/value counts and missing arguments.
            _ => match self.rng.gen_range(0..4) {
                0 => ("HSET", vec![self.field(), self.hash_value(), self.field()]),
                1 => ("HMSET", vec![self.field()]),
                2 => ("HSETNX", vec![self.field()]),
                _ => ("HINCRBY", vec![self.field()]),
            },
        };
        let mut args = vec![self.word(name), k.clone()];
        args.extend(rest);
        let c = self.keyed(conn, name, args, &[&k]);
        self.maybe_encoding(conn, &k);
        Action::Cmd(c)
    }

    pub(super) fn hash_read(&mut self, conn: usize, _: i64) -> Action {
        let k = self.hash_key();
        let (name, rest): (&str, Vec<Vec<u8>>) = match self.rng.gen_range(0..10) {
            0..=2 => ("HGET", vec![self.field()]),
            3..=4 => ("HMGET", (0..self.rng.gen_range(1..=4)).map(|_| self.field()).collect()),
            5..=6 => ("HEXISTS", vec![self.field()]),
            7..=8 => ("HSTRLEN", vec![self.field()]),
            _ => ("HLEN", vec![]),
        };
        let mut args = vec![self.word(name), k.clone()];
        args.extend(rest);
        let mut c = self.keyed(conn, name, args, &[&k]);
        c.lookups = true;
        Action::Cmd(c)
    }

    /// HGETALL, HKEYS, HVALS: in listpack order, or unordered on a hashtable.
    pub(super) fn hash_whole(&mut self, conn: usize, _: i64) -> Action {
        let k = self.hash_key();
        let name = self.pick(&["HGETALL", "HGETALL", "HKEYS", "HVALS"]);
        let args = vec![self.word(name), k.clone()];
        let mut c = self.keyed(conn, name, args, &[&k]);
        c.special = Special::Unordered { key: self.dk(conn, &k), pairs: name == "HGETALL" };
        Action::Cmd(c)
    }

    /// HRANDFIELD with counts that Redis serves or refuses before drawing;
    /// never a huge negative count that it would serve (it would allocate
    /// that many replies).
    pub(super) fn hash_random(&mut self, conn: usize, _: i64) -> Action {
        let k = self.hash_key();
        let rest: Vec<&str> = match self.rng.gen_range(0..20) {
            0..=2 => vec![],
            3 => vec!["9223372036854775807"],
            4 => vec![self.pick(&["-9223372036854775808", "x", "1.0", ""])],
            5 => {
                vec![self.pick(&["-9223372036854775807", "-4611686018427387904", "4611686018427387904"]), "WITHVALUES"]
            }
            6 => vec!["2", self.pick(&["foo", "withvalues"]), "x"],
            7 => vec!["3", "bar"],
            n => {
                let count = self.pick(&["0", "1", "2", "3", "5", "10", "30", "-1", "-2", "-5", "-30"]);
                if n % 2 == 0 {
                    vec![count, self.pick(&["WITHVALUES", "withvalues"])]
                } else {
                    vec![count]
                }
            }
        };
        let mut args = vec![self.word("HRANDFIELD"), k.clone()];
        args.extend(rest.into_iter().map(b));
        let mut c = self.keyed(conn, "HRANDFIELD", args, &[&k]);
        c.special = Special::Random { key: self.dk(conn, &k), kind: RandomKind::HRandField };
        Action::Cmd(c)
    }

    pub(super) fn hash_scan(&mut self, conn: usize, _: i64) -> Action {
        let k = self.hash_key();
        self.collection_scan(conn, "HSCAN", k, true, MATCHES)
    }

    /// HSCAN, SSCAN, ZSCAN: from cursor 0 iterated to completion; from an
    /// invalid cursor an error; from another cursor one page.
    pub(super) fn collection_scan(
        &mut self,
        conn: usize,
        name: &str,
        k: Vec<u8>,
        pairs: bool,
        matches: &[&str],
    ) -> Action {
        let cursor = match self.rng.gen_range(0..10) {
            0..=6 => "0",
            7..=8 => self.pick(&["abc", "-1", "", "18446744073709551616", " 1", "1.5"]),
            _ => self.pick(&["7", "1", "18446744073709551615", "1024"]),
        };
        let mut args = vec![self.word(name), k.clone(), b(cursor)];
        for _ in 0..self.rng.gen_range(0..3) {
            match self.rng.gen_range(0..12) {
                0..=4 => {
                    args.push(self.word("COUNT"));
                    args.push(b(self.pick(&["1", "2", "3", "10", "1000", "0", "-1", "x"])));
                }
                5..=9 => {
                    args.push(self.word("MATCH"));
                    args.push(b(self.pick(matches)));
                }
                10 => args.extend([b("TYPE"), b("hash")]),
                _ => args.push(b(self.pick(&["COUNT", "NOVALUES", "MATCH"]))),
            }
        }
        let mut c = self.keyed(conn, name, args, &[&k]);
        if cursor == "0" {
            c.special = Special::FullScan { at: 2, pairs };
            return Action::Scan(c);
        }
        c.special = Special::ScanPage(self.dk(conn, &k));
        Action::Cmd(c)
    }
}
