//! Malformed commands: wrong arity, unknown names.

use rand::seq::SliceRandom;
use rand::Rng;

use super::strings::LCS_MAX_LEN;
use super::values::{b, HASH_KEYS, LIST_KEYS, SET_KEYS, ZSET_KEYS};
use super::{cmd, Action, Gen, Scope};

impl Gen {
    pub(super) fn wrong_arity(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let forms: Vec<Vec<Vec<u8>>> = vec![
            vec![b("GET")],
            vec![b("GET"), k.clone(), v.clone()],
            vec![b("SET"), k.clone()],
            vec![b("SET")],
            vec![b("APPEND"), k.clone()],
            vec![b("INCR")],
            vec![b("INCRBY"), k.clone()],
            vec![b("DECRBY"), k.clone(), b("1"), b("2")],
            vec![b("INCRBYFLOAT"), k.clone()],
            vec![b("GETRANGE"), k.clone(), b("0")],
            vec![b("SUBSTR"), k.clone()],
            vec![b("SETRANGE"), k.clone(), b("0")],
            vec![b("GETEX")],
            vec![b("GETDEL"), k.clone(), k.clone()],
            vec![b("GETSET"), k.clone()],
            vec![b("LCS"), k.clone()],
            vec![b("MGET")],
            vec![b("MSET")],
            vec![b("MSETNX"), k.clone()],
            vec![b("SETEX"), k.clone(), b("10")],
            vec![b("PSETEX"), k.clone()],
            vec![b("SETNX"), k.clone()],
            vec![b("STRLEN")],
            vec![b("DEL")],
            vec![b("UNLINK")],
            vec![b("EXISTS")],
            vec![b("TYPE")],
            vec![b("TYPE"), k.clone(), k.clone()],
            vec![b("RENAME"), k.clone()],
            vec![b("RENAMENX"), k.clone(), k.clone(), k.clone()],
            vec![b("COPY"), k.clone()],
            vec![b("MOVE"), k.clone()],
            vec![b("KEYS")],
            vec![b("KEYS"), b("*"), b("*")],
            vec![b("SCAN")],
            vec![b("RANDOMKEY"), k.clone()],
            vec![b("TOUCH")],
            vec![b("OBJECT")],
            vec![b("OBJECT"), b("ENCODING")],
            vec![b("OBJECT"), b("REFCOUNT"), k.clone(), k.clone()],
            vec![b("EXPIRE"), k.clone()],
            vec![b("PEXPIREAT")],
            vec![b("TTL")],
            vec![b("PTTL"), k.clone(), k.clone()],
            vec![b("EXPIRETIME")],
            vec![b("PERSIST")],
            vec![b("SORT")],
            vec![b("SORT_RO")],
            vec![b("DBSIZE"), k.clone()],
            vec![b("SELECT")],
            vec![b("SELECT"), b("0"), b("1")],
            vec![b("SWAPDB"), b("0")],
            vec![b("PING"), v.clone(), v.clone()],
            vec![b("ECHO")],
            vec![b("ECHO"), v.clone(), v],
            vec![b("CLIENT")],
            vec![b("CLIENT"), b("GETNAME"), b("x")],
            vec![b("CLIENT"), b("ID"), b("x")],
            vec![b("TIME"), b("x")],
            vec![b("DEBUG")],
            // collections, transactions, CONFIG
            vec![b("LPUSH"), k.clone()],
            vec![b("LRANGE"), k.clone(), b("0")],
            vec![b("LINSERT"), k.clone(), b("BEFORE"), b("x")],
            vec![b("LPOS"), k.clone()],
            vec![b("BLPOP"), k.clone()],
            vec![b("BLMOVE"), k.clone(), k.clone(), b("LEFT"), b("RIGHT")],
            vec![b("LMPOP"), b("1")],
            vec![b("HSET"), k.clone(), b("f")],
            vec![b("HGET"), k.clone()],
            vec![b("HMGET"), k.clone()],
            vec![b("HINCRBYFLOAT"), k.clone(), b("f")],
            vec![b("HRANDFIELD")],
            vec![b("HSCAN"), k.clone()],
            vec![b("SADD"), k.clone()],
            vec![b("SMOVE"), k.clone(), k.clone()],
            vec![b("SRANDMEMBER")],
            vec![b("SINTERCARD"), b("1")],
            vec![b("ZADD"), k.clone(), b("1")],
            vec![b("ZRANGE"), k.clone(), b("0")],
            vec![b("ZRANGESTORE"), k.clone(), k.clone(), b("0")],
            vec![b("ZUNION"), b("1")],
            vec![b("ZMPOP"), b("1"), k.clone()],
            vec![b("BZPOPMIN"), k.clone()],
            vec![b("ZSCAN"), k.clone()],
            vec![b("MULTI"), b("x")],
            vec![b("EXEC"), b("x")],
            vec![b("DISCARD"), b("x")],
            vec![b("WATCH")],
            vec![b("UNWATCH"), k.clone()],
            vec![b("CLIENT"), b("UNBLOCK")],
            vec![b("CONFIG"), b("SET"), b("set-max-intset-entries")],
            vec![b("CONFIG"), b("GET")],
        ];
        let args = forms.choose(&mut self.rng).unwrap().clone();
        let mut c = cmd(conn, "(arity)", args);
        for a in c.args.clone().iter().skip(1) {
            if self.keys.contains(a) {
                c.touches.push(self.dk(conn, a));
            }
        }
        Action::Cmd(c)
    }

    pub(super) fn unknown(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let long = vec![b'z'; 200];
        let forms: Vec<Vec<Vec<u8>>> = vec![
            vec![b("FOO")],
            vec![b("GETT"), k.clone()],
            vec![b("set2"), k.clone(), b("v")],
            vec![Vec::new()],
            vec![b"\x00bin\xff".to_vec(), k.clone()],
            vec![long.clone(), long.clone(), b("a b"), Vec::new()],
            vec![b("OBJECT"), b("NOPE"), k.clone()],
            vec![b("CLIENT"), b("NOPE")],
            vec![b("OBJECT"), Vec::new()],
            vec![b("LCSS"), k.clone(), k],
        ];
        let args = forms.choose(&mut self.rng).unwrap().clone();
        Action::Cmd(cmd(conn, "(unknown)", args))
    }

    /// A command of another type, or a string or generic command, on a key
    /// that mostly holds a collection: WRONGTYPE, or what each command does
    /// with a type it does not check (TYPE, RENAME, COPY, MOVE, OBJECT...).
    pub(super) fn wrong_type(&mut self, conn: usize, _: i64) -> Action {
        let home = *[LIST_KEYS, HASH_KEYS, SET_KEYS, ZSET_KEYS].choose(&mut self.rng).unwrap();
        let k = self.home_key(home);
        let other = self.key();
        let (db_arg, db) = self.db_arg();
        let (label, rest, grow): (&str, Vec<Vec<u8>>, usize) = match self.rng.gen_range(0..33) {
            0 => ("GET", vec![], 0),
            1 => ("APPEND", vec![b("x")], 1),
            2 => ("INCR", vec![], 21),
            3 => ("DECRBY", vec![b("2")], 21),
            4 => ("INCRBYFLOAT", vec![b("1.5")], 400),
            5 => ("SETRANGE", vec![b("1"), b("x")], 2),
            6 => ("GETRANGE", vec![b("0"), b("-1")], 0),
            7 => ("STRLEN", vec![], 0),
            8 => ("GETEX", vec![b("PERSIST")], 0),
            9 => ("GETDEL", vec![], 0),
            10 => ("GETSET", vec![b("v")], 1),
            11 => ("SET", vec![b("v"), b("GET")], 1),
            // LCS builds a quadratic table: only with short strings.
            12 if self.len(&self.dk(conn, &k)).max(self.len(&self.dk(conn, &other))) <= LCS_MAX_LEN => {
                ("LCS", vec![other.clone()], 0)
            }
            12 => ("STRLEN", vec![], 0),
            13 => ("SETNX", vec![b("v")], 1),
            14 => ("LPUSH", vec![b("x")], 0),
            15 => ("LLEN", vec![], 0),
            16 => ("LRANGE", vec![b("0"), b("-1")], 0),
            17 => ("HSET", vec![b("f"), b("v")], 0),
            18 => ("HGET", vec![b("f")], 0),
            19 => ("HINCRBY", vec![b("n0"), b("1")], 0),
            20 => ("SADD", vec![b("m")], 0),
            21 => ("SCARD", vec![], 0),
            22 => ("SISMEMBER", vec![b("m")], 0),
            23 => ("ZADD", vec![b("1"), b("m")], 0),
            24 => ("ZCARD", vec![], 0),
            25 => ("ZRANGE", vec![b("0"), b("-1"), b("WITHSCORES")], 0),
            26 => ("SORT", vec![b("ALPHA")], 0),
            27 => ("TYPE", vec![], 0),
            28 => ("OBJECT ENCODING", vec![], 0),
            29 => ("DEBUG DIGEST-VALUE", vec![], 0),
            30 => ("RENAME", vec![other.clone()], 0),
            31 => ("COPY", vec![other.clone(), b("REPLACE")], 0),
            _ => ("MOVE", vec![db_arg], 0),
        };
        let mut args: Vec<Vec<u8>> = label.split(' ').map(|w| self.word(w)).collect();
        args.push(k.clone());
        args.extend(rest);
        let mut c = cmd(conn, label, args);
        if label == "DEBUG DIGEST-VALUE" {
            c.scope = Scope::Raw;
        }
        let src = self.dk(conn, &k);
        c.touches.push(src.clone());
        if grow > 0 {
            let n = self.len(&src) + grow;
            self.grow(src.clone(), n);
        }
        let dst = match label {
            "RENAME" | "COPY" | "LCS" => Some(self.dk(conn, &other)),
            "MOVE" => db.map(|d| (d, k.clone())),
            _ => None,
        };
        if let Some(dst) = dst {
            c.touches.push(dst.clone());
            if label != "LCS" {
                let n = self.len(&src).max(self.len(&dst));
                self.grow(dst.clone(), n);
                c.ttl_copies.push((src, dst));
            }
        }
        Action::Cmd(c)
    }
}
