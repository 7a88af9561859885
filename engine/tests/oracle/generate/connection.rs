//! Connection and server commands.

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::b;
use super::{cmd, Action, Check, Gen};

impl Gen {
    pub(super) fn ping_echo(&mut self, conn: usize, _: i64) -> Action {
        let v = self.value();
        let c = match self.rng.gen_range(0..3) {
            0 => cmd(conn, "PING", vec![self.word("PING")]),
            1 => cmd(conn, "PING", vec![self.word("PING"), v]),
            _ => cmd(conn, "ECHO", vec![self.word("ECHO"), v]),
        };
        Action::Cmd(c)
    }

    pub(super) fn client(&mut self, conn: usize, _: i64) -> Action {
        let (sub, args, check): (&str, Vec<Vec<u8>>, Check) = match self.rng.gen_range(0..100) {
            0..=29 => {
                let n = b(self.pick(&["alpha", "conn-1", "", "x_y.z", "a b", "new\nline", "\u{20ac}", "~!@#"]));
                ("SETNAME", vec![n], Check::Exact)
            }
            30..=59 => ("GETNAME", vec![], Check::Exact),
            60..=74 => ("ID", vec![], Check::Shape),
            75..=82 => ("INFO", vec![], Check::Shape),
            83..=89 => ("LIST", vec![], Check::Shape),
            90..=94 => ("FOO", vec![], Check::Exact),
            _ => ("SETNAME", vec![], Check::Exact),
        };
        let label = if sub == "FOO" { "CLIENT (unknown)".to_string() } else { format!("CLIENT {sub}") };
        let mut c = cmd(conn, &label, vec![self.word("CLIENT"), self.word(sub)]);
        c.args.extend(args);
        c.check = check;
        Action::Cmd(c)
    }

    /// HELLO switches the connection's protocol; from then on its replies
    /// are parsed and compared as RESP3.
    pub(super) fn hello(&mut self, conn: usize, _: i64) -> Action {
        let (args, check): (Vec<&str>, Check) = match self.rng.gen_range(0..100) {
            0..=34 => (vec!["3"], Check::Shape),
            35..=64 => (vec!["2"], Check::Shape),
            65..=74 => (vec![], Check::Shape),
            75..=82 => (vec![*["2", "3"].choose(&mut self.rng).unwrap(), "SETNAME", "via-hello"], Check::Shape),
            83..=88 => (vec![*["4", "1", "0", "-1"].choose(&mut self.rng).unwrap()], Check::Exact),
            89..=93 => (vec![*["abc", "3.0", ""].choose(&mut self.rng).unwrap()], Check::Exact),
            _ => (vec!["3", *["SETNAME", "FOO", "AUTH"].choose(&mut self.rng).unwrap()], Check::Exact),
        };
        let mut c = cmd(conn, "HELLO", vec![self.word("HELLO")]);
        c.args.extend(args.into_iter().map(b));
        c.check = check;
        Action::Cmd(c)
    }

    pub(super) fn time_info(&mut self, conn: usize, _: i64) -> Action {
        let mut c = match self.rng.gen_range(0..4) {
            0 | 1 => cmd(conn, "TIME", vec![self.word("TIME")]),
            2 => cmd(conn, "INFO", vec![self.word("INFO")]),
            _ => cmd(conn, "INFO", vec![self.word("INFO"), b(self.pick(&["server", "keyspace", "clients"]))]),
        };
        c.check = Check::Shape;
        Action::Cmd(c)
    }

    pub(super) fn debug_sleep(&mut self, conn: usize, _: i64) -> Action {
        Action::Cmd(cmd(conn, "DEBUG SLEEP", vec![self.word("DEBUG"), self.word("SLEEP"), b("0")]))
    }

    pub(super) fn sleep(&mut self, _: usize, _: i64) -> Action {
        Action::Sleep(self.rng.gen_range(1..=60))
    }
}
