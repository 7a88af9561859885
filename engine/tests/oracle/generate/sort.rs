//! SORT and SORT_RO on lists, sets and sorted sets, and the keys their BY
//! and GET patterns read: a string `w_<element>` and a hash `h_<element>`
//! (fields `f`, numeric, and `g`, text) for most sortable elements, created
//! in every database when the seed starts and changed now and then.

use rand::seq::SliceRandom;
use rand::Rng;

use super::members::SORTABLE;
use super::values::{b, num, LIST_KEYS, SET_KEYS, ZSET_KEYS};
use super::{cmd, Action, Cmd, Gen, Special, DBS};

/// Elements without a `w_` string or without an `h_` hash, so that BY and
/// GET also miss.
const NO_WEIGHT: &[&str] = &["-2.5", "0"];
const NO_HASH: &[&str] = &["x y", "42"];

const BY: &[&str] = &["w_*", "w_*", "h_*->f", "h_*->g", "nosort", "w_", "nosuch_*", "h_*->", "h_*->nofield"];
const GET: &[&str] = &["#", "w_*", "h_*->f", "h_*->g", "nosuch_*", "w_", "#"];

/// Every key the patterns can name.
pub(super) fn data_keys() -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    for e in SORTABLE {
        keys.push(format!("w_{e}").into_bytes());
        keys.push(format!("h_{e}").into_bytes());
    }
    keys
}

impl Gen {
    /// A weight: small integers (so ties happen), decimals, and values that
    /// numeric sorts refuse or read oddly (strtod: "" is 0, " 3" is 3).
    fn weight(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=74 => num(self.rng.gen_range(-5..=5)),
            75..=86 => b(self.pick(&["1.5", "-0.5", "1e2", "2.25", "-1e-3", "inf"])),
            87..=91 => b(self.pick(&["abc", "3 ", "nan", "1x"])),
            _ => b(self.pick(&["", " 3", "-0", "007"])),
        }
    }

    fn text_weight(&mut self) -> Vec<u8> {
        b(self.pick(&["apple", "Banana", "cherry", "apple", "", "10", "9", "\u{e9}t\u{e9}", "zed"]))
    }

    /// HSET of `h_<e>` in database `db`.
    fn weight_hash(&mut self, conn: usize, db: usize, e: &str) -> Cmd {
        let k = format!("h_{e}").into_bytes();
        let args = vec![b("HSET"), k.clone(), b("f"), self.weight(), b("g"), self.text_weight()];
        let mut c = cmd(conn, "HSET", args);
        c.touches.push((db, k));
        c
    }

    /// The BY/GET keys, in every database, on connection `conn`; leaves it
    /// in database 0.
    pub(super) fn sort_setup(&mut self, conn: usize) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for db in DBS.iter().rev() {
            cmds.push(cmd(conn, "SELECT", vec![b("SELECT"), num(*db as i64)]));
            let mut mset = cmd(conn, "MSET", vec![b("MSET")]);
            for e in SORTABLE.iter().filter(|e| !NO_WEIGHT.contains(e)) {
                let k = format!("w_{e}").into_bytes();
                mset.touches.push((*db, k.clone()));
                mset.args.push(k);
                mset.args.push(self.weight());
            }
            cmds.push(mset);
            for e in SORTABLE.iter().filter(|e| !NO_HASH.contains(e)) {
                let c = self.weight_hash(conn, *db, e);
                cmds.push(c);
            }
        }
        cmds
    }

    /// Changes one weight in the connection's database.
    pub(super) fn sort_data(&mut self, conn: usize, _: i64) -> Action {
        let e = self.pick(SORTABLE);
        let w = format!("w_{e}").into_bytes();
        let c = match self.rng.gen_range(0..10) {
            0..=4 => {
                let args = vec![self.word("SET"), w.clone(), self.weight()];
                self.keyed(conn, "SET", args, &[&w])
            }
            5..=7 => self.weight_hash(conn, self.db[conn], e),
            8 => {
                let args = vec![self.word("DEL"), w.clone()];
                self.keyed(conn, "DEL", args, &[&w])
            }
            _ => {
                let h = format!("h_{e}").into_bytes();
                let args = vec![self.word("HDEL"), h.clone(), b(self.pick(&["f", "g"]))];
                self.keyed(conn, "HDEL", args, &[&h])
            }
        };
        Action::Cmd(c)
    }

    /// A key that mostly holds a list, set or sorted set.
    fn sortable_key(&mut self) -> Vec<u8> {
        let home = *[LIST_KEYS, LIST_KEYS, SET_KEYS, ZSET_KEYS].choose(&mut self.rng).unwrap();
        self.home_key(home)
    }

    pub(super) fn sort(&mut self, conn: usize, _: i64) -> Action {
        let name = if self.chance(0.75) { "SORT" } else { "SORT_RO" };
        let k = self.sortable_key();
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut by = None;
        if self.chance(0.4) {
            let p = self.pick(BY);
            by = Some(p);
            opts.push(vec![self.word("BY"), b(p)]);
        }
        let limited = self.chance(0.25);
        if limited {
            let offset = self.pick(&["0", "0", "1", "2", "-1", "5", "100", "x"]);
            let count = self.pick(&["0", "1", "2", "3", "-1", "10", "1"]);
            opts.push(vec![self.word("LIMIT"), b(offset), b(count)]);
        }
        for _ in 0..[0, 0, 0, 1, 1, 2, 3][self.rng.gen_range(0..7)] {
            opts.push(vec![self.word("GET"), b(self.pick(GET))]);
        }
        if self.chance(0.3) {
            let order = self.pick(&["ASC", "DESC"]);
            opts.push(vec![self.word(order)]);
        }
        let alpha = self.chance(0.45);
        if alpha {
            opts.push(vec![self.word("ALPHA")]);
        }
        let mut store = None;
        if self.chance(if name == "SORT" { 0.15 } else { 0.03 }) {
            let dst = if self.chance(0.6) { self.home_key(LIST_KEYS) } else { self.key() };
            store = Some(self.dk(conn, &dst));
            opts.push(vec![self.word("STORE"), dst.clone()]);
            self.maybe_encoding(conn, &dst);
        }
        if self.chance(0.04) {
            opts.push(vec![b(self.pick(&["LIMIT", "FOO", "BY", "GET", "LIMIT 0 1"]))]);
        }
        opts.shuffle(&mut self.rng);
        let mut args = vec![self.word(name), k.clone()];
        args.extend(opts.into_iter().flatten());
        let mut c = self.keyed(conn, name, args, &[&k]);
        if let Some(dst) = &store {
            c.touches.push(dst.clone());
        }
        let by_star = by.is_some_and(|p| p.contains('*'));
        let dont_sort = by.is_some() && !by_star;
        c.special = Special::Sort { key: self.dk(conn, &k), dont_sort, ties: alpha && by_star, store, limited };
        Action::Cmd(c)
    }
}
