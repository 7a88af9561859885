//! Argument pools and value generators shared by every command group.

use rand::seq::SliceRandom;
use rand::Rng;

use super::{Deadline, Gen};

/// The keys the stream draws from: small so commands interact; includes
/// hash tags, glob metacharacters, an empty name, binary and non-ASCII
/// bytes, a long name.
pub fn stream_keys() -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = (0..8).map(|i| format!("k{i}").into_bytes()).collect();
    for k in ["{t}a", "{t}b", "{t}c", "user:1", "user:2", "", "a b", "*", "k?"] {
        keys.push(k.as_bytes().to_vec());
    }
    keys.push(b"bin\x00\xff".to_vec());
    keys.push("\u{20ac}".as_bytes().to_vec());
    keys.push(vec![b'x'; 100]);
    keys
}

/// Every key that can exist: the stream's keys and the strings and hashes
/// that SORT's BY and GET patterns read (see `sort.rs`).
pub fn key_pool() -> Vec<Vec<u8>> {
    let mut keys = stream_keys();
    keys.extend(super::sort::data_keys());
    keys
}

/// Home keys of each collection group: one in four pool keys, disjoint, so
/// each group's values build up while every other group still meets them.
pub(super) const LIST_KEYS: &[&str] = &["k0", "k1", "{t}a", "a b"];
pub(super) const HASH_KEYS: &[&str] = &["k2", "k3", "user:1", "*"];
pub(super) const SET_KEYS: &[&str] = &["k4", "k5", "{t}b", ""];
pub(super) const ZSET_KEYS: &[&str] = &["k6", "k7", "{t}c", "user:2"];

pub(super) const PATTERNS: &[&str] = &[
    "*",
    "*",
    "k*",
    "k?",
    "k[0-3]",
    "k[^0-3]",
    "k[!13]",
    "{t}*",
    "\\*",
    "*a*",
    "[",
    "k[a-",
    "user:?",
    "*\\?",
    "",
    "?",
    "??",
    "*:*",
    "k[3-1]",
    "\\",
    "*b*",
    "bin*",
    "[\\]]",
    "x*",
    "*\u{20ac}*",
    "K*",
    "k[0-9]*",
    "*[",
];

pub(super) const INT_LIKE: &[&str] = &[
    "0",
    "1",
    "-1",
    "10",
    "42",
    "9999",
    "10000",
    "-100",
    "-0",
    "007",
    " 1",
    "1 ",
    "+1",
    "1e3",
    "0x1A",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "123456789012345678901234567890",
];

pub(super) const FLOAT_LIKE: &[&str] = &[
    "3.14",
    "-2.5",
    "1.0",
    "0.1",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "1.5e-5",
    ".5",
    "5.",
    "1e3",
    "-0.0",
    "0.30000000000000004",
    "2.5e10",
    "1e-320",
];

pub(super) const WEIRD_INT: &[&str] = &[
    "-0",
    "007",
    " 1",
    "1 ",
    "+1",
    "1e3",
    "1.5",
    "abc",
    "",
    "0x10",
    "inf",
    "nan",
    "99999999999999999999",
    "1-",
    "--1",
    "\u{0661}",
];

pub(super) const FLOAT_ARGS: &[&str] = &[
    "1", "-1", "0.5", "-0.5", "1.5e2", "1e308", "-1e308", "1e-5", "3.0", "0", "-0", "inf", "-inf", "nan", "abc", "",
    " 1", "1 ", "0x10", "1e", "5.", ".5", "+1.5", "1e309", "10", "-10.25", "1e-400",
];

pub(super) fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

pub(super) fn num(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// Redis's strict integer syntax (string2ll): optional '-', no leading zeros,
/// no '+', no spaces, fits an i64.
pub fn strict_int(s: &[u8]) -> Option<i64> {
    let t = std::str::from_utf8(s).ok()?;
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') || t == "-0" {
        return None;
    }
    t.parse().ok()
}

impl Gen {
    pub(super) fn alpha(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| b"abcxyz"[self.rng.gen_range(0..6)]).collect()
    }

    /// A value: integers and floats in many spellings, empty, short text for
    /// LCS, binary, lengths around the 44-byte embstr limit, long strings.
    pub(super) fn value(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=24 => b(self.pick(INT_LIKE)),
            25..=34 => b(self.pick(FLOAT_LIKE)),
            35..=39 => Vec::new(),
            40..=64 => {
                let n = self.rng.gen_range(1..=12);
                self.alpha(n)
            }
            65..=71 => {
                let n = self.rng.gen_range(1..=10);
                (0..n).map(|_| self.rng.gen()).collect()
            }
            72..=84 => {
                let n = self.rng.gen_range(40..=48);
                self.alpha(n)
            }
            85..=91 => {
                let n = self.rng.gen_range(50..=300);
                self.alpha(n)
            }
            92..=98 => num(self.rng.gen_range(-1_000_000..=1_000_000)),
            _ => {
                let n = self.rng.gen_range(1000..=100_000);
                let start = self.rng.gen_range(0..26u8);
                (0..n).map(|i| b'a' + ((i as u8).wrapping_mul(7).wrapping_add(start)) % 26).collect()
            }
        }
    }

    /// An integer argument (increments, counts): mostly small, sometimes at
    /// the i64 edges or not an integer at all.
    pub(super) fn int_arg(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=49 => num(self.rng.gen_range(-10..=10)),
            50..=64 => num(self.rng.gen_range(-1_000_000..=1_000_000)),
            65..=79 => b(self.pick(&[
                "9223372036854775807",
                "-9223372036854775808",
                "9223372036854775806",
                "-9223372036854775807",
                "9223372036854775808",
                "-9223372036854775809",
            ])),
            _ => b(self.pick(WEIRD_INT)),
        }
    }

    /// A string offset for GETRANGE and friends.
    pub(super) fn offset_arg(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=64 => num(self.rng.gen_range(-12..=12)),
            65..=84 => b(self.pick(&[
                "100",
                "-100",
                "1000",
                "50000",
                "9223372036854775807",
                "-9223372036854775808",
                "2147483647",
                "-2147483648",
                "4294967296",
            ])),
            _ => b(self.pick(WEIRD_INT)),
        }
    }

    /// Seconds for EX / EXPIRE / SETEX. Returns the argument and, if it is a
    /// plausible positive integer, the relative deadline it sets.
    pub(super) fn secs_arg(&mut self) -> (Vec<u8>, Option<Deadline>) {
        let s: i64 = match self.rng.gen_range(0..100) {
            0..=34 => self.rng.gen_range(1..=3),
            35..=69 => self.rng.gen_range(100..=100_000),
            70..=79 => *[0, -1, -100].choose(&mut self.rng).unwrap(),
            80..=89 => {
                let a = b(self.pick(&[
                    "9223372036854775807",
                    "9223372036854776",
                    "-9223372036854775808",
                    "4611686018427388",
                ]));
                return (a, None);
            }
            _ => return (b(self.pick(WEIRD_INT)), None),
        };
        (num(s), (s > 0).then(|| Deadline::In(s * 1000)))
    }

    /// Milliseconds for PX / PEXPIRE / PSETEX; often tiny so that keys expire
    /// mid-stream.
    pub(super) fn ms_arg(&mut self) -> (Vec<u8>, Option<Deadline>) {
        let ms: i64 = match self.rng.gen_range(0..100) {
            0..=39 => self.rng.gen_range(1..=50),
            40..=59 => self.rng.gen_range(100..=1500),
            60..=79 => self.rng.gen_range(100_000..=10_000_000),
            80..=89 => *[0, -1, -1000].choose(&mut self.rng).unwrap(),
            _ => {
                let a = b(self.pick(&["9223372036854775807", "-9223372036854775808", "abc", "1.5", "", " 5"]));
                return (a, None);
            }
        };
        (num(ms), (ms > 0).then_some(Deadline::In(ms)))
    }

    /// Absolute seconds (EXAT / EXPIREAT): now plus an offset, sometimes in
    /// the past, sometimes a tiny or invalid number.
    pub(super) fn unix_s_arg(&mut self, now_ms: i64) -> (Vec<u8>, Option<Deadline>) {
        let s: i64 = match self.rng.gen_range(0..100) {
            0..=69 => now_ms / 1000 + *[-1000, -1, 0, 1, 2, 3, 1000, 100_000].choose(&mut self.rng).unwrap(),
            70..=79 => *[1, 0, -1].choose(&mut self.rng).unwrap(),
            80..=89 => {
                return (b(self.pick(&["9223372036854775807", "9223372036854776", "-9223372036854775808"])), None)
            }
            _ => return (b(self.pick(WEIRD_INT)), None),
        };
        (num(s), Some(Deadline::At(s.saturating_mul(1000))))
    }

    /// Absolute milliseconds (PXAT / PEXPIREAT).
    pub(super) fn unix_ms_arg(&mut self, now_ms: i64) -> (Vec<u8>, Option<Deadline>) {
        let ms: i64 = match self.rng.gen_range(0..100) {
            0..=19 => now_ms + self.rng.gen_range(1..=50),
            20..=39 => now_ms + self.rng.gen_range(100..=1500),
            40..=69 => now_ms + *[-1000, -5, 0, 1_000_000].choose(&mut self.rng).unwrap(),
            70..=79 => *[1, 0, -1].choose(&mut self.rng).unwrap(),
            80..=89 => return (b(self.pick(&["9223372036854775807", "-9223372036854775808"])), None),
            _ => return (b(self.pick(WEIRD_INT)), None),
        };
        (num(ms), Some(Deadline::At(ms)))
    }

    /// A database index argument and the database it selects, if valid.
    pub(super) fn db_arg(&mut self) -> (Vec<u8>, Option<usize>) {
        if self.chance(0.8) {
            let d = *[0, 0, 1, 1, 2, 15].choose(&mut self.rng).unwrap();
            (num(d as i64), Some(d))
        } else {
            (b(self.pick(&["16", "-1", "abc", "1.5", "", "01", " 1", "9999999999999", "2147483648", "-0"])), None)
        }
    }
}
