//! CONFIG SET/GET of the encoding thresholds, sent to both servers: each
//! seed starts with its own limits (so conversions happen early or never)
//! and the stream changes them now and then; later writes then convert (or
//! not) on both servers alike, which OBJECT ENCODING shows.

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::{b, num};
use super::Check;
use super::{cmd, Action, Cmd, Gen};

/// The thresholds and a value range each; 7.0 also answers to the old
/// `ziplist` names.
const LIMITS: &[(&str, i64, i64)] = &[
    ("hash-max-listpack-entries", 0, 20),
    ("hash-max-listpack-value", 0, 70),
    ("hash-max-ziplist-entries", 0, 20),
    ("zset-max-listpack-entries", 0, 20),
    ("zset-max-listpack-value", 0, 70),
    ("zset-max-ziplist-value", 0, 70),
    ("set-max-intset-entries", 0, 30),
    ("list-max-listpack-size", -5, 8),
    ("list-max-ziplist-size", -5, 8),
];

const GET_PATTERNS: &[&str] =
    &["*-max-*", "*listpack*", "*ziplist*", "set-max-intset-entries", "hash-max-listpack-*", "zset-*", "nosuch"];

impl Gen {
    /// Per-seed thresholds, as the model tests choose them: defaults, tiny
    /// limits, or zero (everything converts at once).
    pub(super) fn config_setup(&mut self, conn: usize) -> Vec<Cmd> {
        let hash = *[(512, 64), (16, 16), (4, 64), (0, 0), (128, 8)].choose(&mut self.rng).unwrap();
        let zset = *[(128, 64), (8, 64), (16, 8), (4, 64), (0, 64), (32, 16)].choose(&mut self.rng).unwrap();
        let intset = *[512, 0, 2, 5, 12, 20].choose(&mut self.rng).unwrap();
        let list = *[-2, -1, 1, 3, -5].choose(&mut self.rng).unwrap();
        let pairs: [(&str, i64); 6] = [
            ("hash-max-listpack-entries", hash.0),
            ("hash-max-listpack-value", hash.1),
            ("zset-max-listpack-entries", zset.0),
            ("zset-max-listpack-value", zset.1),
            ("set-max-intset-entries", intset),
            ("list-max-listpack-size", list),
        ];
        let mut args = vec![b("CONFIG"), b("SET")];
        for (name, v) in pairs {
            args.push(b(name));
            args.push(num(v));
        }
        vec![cmd(conn, "CONFIG SET", args)]
    }

    pub(super) fn config(&mut self, conn: usize, _: i64) -> Action {
        let c = match self.rng.gen_range(0..10) {
            0..=5 => {
                let mut args = vec![self.word("CONFIG"), self.word("SET")];
                for _ in 0..if self.chance(0.2) { 2 } else { 1 } {
                    let (name, lo, hi) = *LIMITS.choose(&mut self.rng).unwrap();
                    args.push(b(name));
                    args.push(match self.rng.gen_range(0..20) {
                        0 => b(self.pick(&["-1", "abc", "", "1.5", "99999999999999999999"])),
                        1 => num(if hi > 20 { 64 } else { 512 }),
                        _ => num(self.rng.gen_range(lo..=hi)),
                    });
                }
                if self.chance(0.05) {
                    args.extend([b("set-max-listpack-entries"), b("3")]);
                }
                cmd(conn, "CONFIG SET", args)
            }
            6..=8 => {
                let mut c = cmd(conn, "CONFIG GET", vec![self.word("CONFIG"), self.word("GET")]);
                c.args.push(b(self.pick(GET_PATTERNS)));
                // A pattern's matches come in the server's own order.
                c.check = Check::Pairs;
                c
            }
            _ => {
                let (name, _, _) = *LIMITS.choose(&mut self.rng).unwrap();
                cmd(conn, "CONFIG GET", vec![self.word("CONFIG"), self.word("GET"), b(name)])
            }
        };
        Action::Cmd(c)
    }
}
