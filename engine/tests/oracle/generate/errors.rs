//! Malformed commands: wrong arity, unknown names.

use rand::seq::SliceRandom;

use super::values::b;
use super::{cmd, Action, Gen};

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

    /// Hook for WRONGTYPE errors: once redsim implements lists, hashes, sets
    /// or sorted sets, create one here on a pool key and apply a string
    /// command to it. Weighted 0 until then, so it never runs.
    pub(super) fn wrong_type(&mut self, conn: usize, now: i64) -> Action {
        self.get(conn, now)
    }
}
