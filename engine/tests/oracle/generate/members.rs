//! Element, field, member and score pools of the collection groups, and the
//! argument helpers built on them. Small pools, so that commands on one key
//! meet each other's elements; edge spellings (integer-like strings that are
//! not canonical, empty, non-ASCII, long) mixed in, as the model tests do.

use rand::Rng;

use super::values::{b, num};
use super::Gen;

/// List elements and set members that SORT finds weights for (see
/// `sort.rs`): integers, decimals and words, so numeric and ALPHA sorts
/// both have material.
pub(super) const SORTABLE: &[&str] =
    &["a", "b", "c", "d", "x y", "\u{e9}", "1", "2", "3", "10", "-3", "42", "007", "1.5", "-2.5", "0"];

/// Further list elements: no weights, integer-like, empty, binary, huge.
const LIST_EXTRA: &[&str] = &["", "e", "9223372036854775807", "-9223372036854775808", "+1", "1e3", "a\u{0}b"];

/// Set members: Redis's strict integers (intsets hold those) and strings
/// that only look like integers.
const SET_INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "7",
    "10",
    "13",
    "-1",
    "-3",
    "100",
    "65536",
    "9223372036854775807",
    "-9223372036854775808",
];
const SET_OTHER: &[&str] = &["a", "b", "c", "d", "e", "B", "", "007", "+1", "1.5", "-0", " 1", "x y", "\u{e9}"];

/// Hash values that HINCRBY/HINCRBYFLOAT accept, reject or overflow on.
const HASH_VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "42",
    "007",
    "-0",
    " 1",
    "1.5",
    "1e3",
    "0x10",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "inf",
    "nan",
    "abc",
    "",
    "3.0",
];

const ZSET_MEMBERS: &[&str] =
    &["a", "b", "c", "d", "e", "f", "A", "B", "aa", "ab", "ba", "", "0", "1", "-1", "1.5", "x y", "\u{e9}", "zz"];

const SCORES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "-2",
    "1.5",
    "-2.5",
    "10",
    "100",
    "-0",
    "+0",
    "inf",
    "-inf",
    "+inf",
    "1e308",
    "-1e308",
    "0.1",
    "3.0000000000000004",
    "1e-310",
    "0x10",
    "1e2",
    "5e-324",
    "4503599627370496",
    "123456789012345678",
];
const BAD_SCORES: &[&str] = &["nan", "abc", "", " 1", "1e400", "1 ", "--1", "(1"];

const SCORE_BOUNDS: &[&str] = &[
    "0", "1", "2", "3", "5", "-1", "1.5", "(0", "(1", "(2", "(5", "(-1", "-inf", "+inf", "inf", "(inf", "(-inf", "(",
    "", " 2", "1e400", "-1e400", "-0", "(-0", "nan", "x", "(x",
];
const LEX_BOUNDS: &[&str] =
    &["-", "+", "[a", "(a", "[b", "(b", "[c", "[", "(", "[m5", "(zz", "[ab", "[\u{e9}", "(B", "[0", "a", "", "+x"];

/// Indexes: mostly small, sometimes at the i64 edges or not numbers.
const INDEXES: &[&str] = &["0", "1", "2", "3", "-1", "-2", "-3", "5", "-5", "10", "-10", "100", "-100"];
const BAD_INDEXES: &[&str] =
    &["9223372036854775807", "-9223372036854775808", "9223372036854775808", "abc", "", "1.5", "+1", "-0"];

/// Valid timeouts that return at once inside MULTI but would block outside.
const TX_TIMEOUTS: &[&str] = &["0", "0", "0.5", "1", "2.5", "0.001", "-0", "9223372036854775"];
/// Timeouts that a blocking command may wait for in the stream: short.
const SHORT_TIMEOUTS: &[&str] = &["0.01", "0.02", "0.05", ".03", "5e-2"];
/// Timeouts Redis refuses ("inf" and 1e30 overflow the conversion).
const BAD_TIMEOUTS: &[&str] = &["-1", "abc", "", "1e30", "inf", "-inf", "nan", " 1", "1 ", "-0.0001x"];

impl Gen {
    pub(super) fn list_elem(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=74 => b(self.pick(SORTABLE)),
            75..=91 => b(self.pick(LIST_EXTRA)),
            92..=96 => num(self.rng.gen_range(-50..50)),
            _ => self.long_text(b'L'),
        }
    }

    /// Around the default 64-byte listpack value limit.
    pub(super) fn long_text(&mut self, fill: u8) -> Vec<u8> {
        let mut v = vec![fill; self.rng.gen_range(60..70)];
        v.push(b'0' + self.rng.gen_range(0..3));
        v
    }

    /// A set member; `ints` is the chance of an integer.
    pub(super) fn set_member(&mut self, ints: f64) -> Vec<u8> {
        if self.chance(0.04) {
            return self.long_text(b'S');
        }
        if self.chance(ints) {
            if self.chance(0.7) {
                b(self.pick(SET_INTS))
            } else {
                num(self.rng.gen_range(-20..200))
            }
        } else if self.chance(0.6) {
            b(self.pick(SORTABLE))
        } else {
            b(self.pick(SET_OTHER))
        }
    }

    pub(super) fn field(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=69 => format!("f{}", self.rng.gen_range(0..10)).into_bytes(),
            70..=81 => format!("n{}", self.rng.gen_range(0..3)).into_bytes(),
            82..=85 => Vec::new(),
            86..=89 => self.long_text(b'F'),
            90..=92 => b"\x00\xff\r\n".to_vec(),
            _ => format!("w{}", self.rng.gen_range(0..300)).into_bytes(),
        }
    }

    pub(super) fn hash_value(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=44 => b(self.pick(HASH_VALUES)),
            45..=48 => self.long_text(b'V'),
            _ => format!("v{}", self.rng.gen_range(0..100)).into_bytes(),
        }
    }

    pub(super) fn zmember(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=64 => b(self.pick(ZSET_MEMBERS)),
            65..=74 => b(self.pick(SORTABLE)),
            75..=94 => format!("m{}", self.rng.gen_range(0..200)).into_bytes(),
            _ => self.long_text(b'M'),
        }
    }

    /// A score; `flat` makes most scores 0 so that lex ranges mean something.
    pub(super) fn score(&mut self, flat: bool) -> Vec<u8> {
        if flat && self.chance(0.85) {
            return b("0");
        }
        match self.rng.gen_range(0..100) {
            0..=2 => b(self.pick(BAD_SCORES)),
            3..=32 => num(self.rng.gen_range(-20..20)),
            _ => b(self.pick(SCORES)),
        }
    }

    pub(super) fn score_bound(&mut self) -> Vec<u8> {
        if self.chance(0.3) {
            let v = self.rng.gen_range(-10..12).to_string();
            return b(&if self.chance(0.3) { format!("({v}") } else { v });
        }
        b(self.pick(SCORE_BOUNDS))
    }

    pub(super) fn lex_bound(&mut self) -> Vec<u8> {
        if self.chance(0.2) {
            let mut v = b(if self.chance(0.5) { "[" } else { "(" });
            v.extend(self.zmember());
            return v;
        }
        b(self.pick(LEX_BOUNDS))
    }

    pub(super) fn index(&mut self) -> Vec<u8> {
        if self.chance(0.07) {
            b(self.pick(BAD_INDEXES))
        } else {
            b(self.pick(INDEXES))
        }
    }

    /// A count for pops and LREM: mostly small, sometimes zero, negative,
    /// huge or not a number.
    pub(super) fn count(&mut self) -> Vec<u8> {
        b(self.pick(&["0", "1", "1", "2", "3", "5", "10", "-1", "-2", "abc", "", "9223372036854775807", "1.0"]))
    }

    /// A timeout for a blocking command: inside MULTI any valid one (it
    /// never waits there), outside only short ones; now and then invalid.
    pub(super) fn timeout(&mut self) -> Vec<u8> {
        if self.chance(0.1) {
            return b(self.pick(BAD_TIMEOUTS));
        }
        if self.tentative {
            b(self.pick(TX_TIMEOUTS))
        } else {
            b(self.pick(SHORT_TIMEOUTS))
        }
    }

    /// `numkeys` for the *MPOP / *INTER* families: usually right.
    pub(super) fn numkeys(&mut self, n: usize) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=1 => b("0"),
            2..=3 => b("x"),
            4..=5 => num(n as i64 + 1),
            6 => b("-1"),
            _ => num(n as i64),
        }
    }
}
