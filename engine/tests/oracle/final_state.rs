//! The end-of-seed keyspace check: a divergence that no reply happened to
//! reveal is still caught. Per database: KEYS, then for every key that can
//! exist its TYPE, PTTL, OBJECT ENCODING and DEBUG DIGEST-VALUE (contents
//! in order, type and expiry flag, Redis's exact hash), DBSIZE; then DEBUG
//! DIGEST of the whole dataset, which is comparable once every key has been
//! looked up (so both servers evicted what had expired) unless a deadline
//! is still near.

use super::compare::{Check, TimeUnit};
use super::generate::{cmd, Cmd, Scope, CHECK_CONN, DBS};
use super::seed::{Abort, SeedRun};

fn final_cmd(label: &str, words: &[&[u8]], check: Check) -> Cmd {
    let args = words.iter().map(|w| w.to_vec()).collect();
    Cmd { check, ..cmd(CHECK_CONN, &format!("(final) {label}"), args) }
}

impl SeedRun<'_> {
    pub fn check_final_state(&mut self) -> Result<(), Abort> {
        self.index = self.settings.commands;
        for db in DBS {
            let n = db.to_string().into_bytes();
            self.run_cmd(&final_cmd("SELECT", &[b"SELECT", &n], Check::Exact))?;
            let mut keys = final_cmd("KEYS", &[b"KEYS", b"*"], Check::Multiset);
            keys.scope = Scope::Keys(db);
            self.run_cmd(&keys)?;
            for k in self.pool.clone() {
                let probes: [(&str, &[&[u8]], Check); 4] = [
                    ("TYPE", &[b"TYPE"], Check::Exact),
                    ("PTTL", &[b"PTTL"], Check::Time(TimeUnit::Millis)),
                    ("OBJECT ENCODING", &[b"OBJECT", b"ENCODING"], Check::Exact),
                    ("DEBUG DIGEST-VALUE", &[b"DEBUG", b"DIGEST-VALUE"], Check::Exact),
                ];
                for (label, words, check) in probes {
                    let mut c = final_cmd(label, words, check);
                    c.args.push(k.clone());
                    c.touches.push((db, k.clone()));
                    if label == "DEBUG DIGEST-VALUE" {
                        c.scope = Scope::Raw;
                    } else {
                        c.lookups = true;
                    }
                    self.run_cmd(&c)?;
                }
            }
            let mut size = final_cmd("DBSIZE", &[b"DBSIZE"], Check::Exact);
            size.scope = Scope::DbSize(db);
            self.run_cmd(&size)?;
        }
        let mut digest = final_cmd("DEBUG DIGEST", &[b"DEBUG", b"DIGEST"], Check::Exact);
        for db in DBS {
            digest.touches.extend(self.pool.iter().map(|k| (db, k.clone())));
        }
        digest.scope = Scope::Raw;
        self.run_cmd(&digest).map(|_| ())
    }
}
