//! Seeded crash runs on the in-memory disk: commands and storage results
//! interleave at random, rewrites start at random, then the disk loses
//! everything not fsynced (power loss) or the process dies (nothing lost
//! that was written). After the restart every acknowledged write is there
//! and nothing that was never sent exists.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::disk::DiskHarness;

const COUNTERS: usize = 4;

struct Run {
    h: DiskHarness,
    /// Replies still expected, in order: Some(key n) for SET unique:n, None for INCR counter.
    expecting: Vec<(Option<u64>, usize)>,
    acked_uniques: BTreeSet<u64>,
    sent_uniques: BTreeSet<u64>,
    incr_sent: BTreeMap<usize, i64>,
    incr_acked: BTreeMap<usize, i64>,
}

impl Run {
    /// Reads the replies that arrived and records what they acknowledge.
    fn absorb(&mut self, client: u64) {
        let text = self.h.take(client);
        for line in text.split("\r\n").filter(|l| !l.is_empty()) {
            let (what, counter) = self.expecting.remove(0);
            match what {
                Some(n) => {
                    assert_eq!(line, "+OK");
                    self.acked_uniques.insert(n);
                }
                None => {
                    let v: i64 = line.strip_prefix(':').expect("an integer").parse().unwrap();
                    let e = self.incr_acked.entry(counter).or_default();
                    *e = (*e).max(v);
                }
            }
        }
    }
}

fn run(seed: u64, config: &str, power_loss: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut r = Run {
        h: DiskHarness::new(config),
        expecting: Vec::new(),
        acked_uniques: BTreeSet::new(),
        sent_uniques: BTreeSet::new(),
        incr_sent: BTreeMap::new(),
        incr_acked: BTreeMap::new(),
    };
    let c = r.h.connect();
    let events = rng.gen_range(20..200);
    for i in 0..events {
        match rng.gen_range(0..10) {
            0..=3 => {
                let n = i as u64;
                r.sent_uniques.insert(n);
                r.expecting.push((Some(n), 0));
                r.h.send(c, &["SET", &format!("unique:{n}"), "v"]);
            }
            4..=6 => {
                let k = rng.gen_range(0..COUNTERS);
                *r.incr_sent.entry(k).or_default() += 1;
                r.expecting.push((None, k));
                r.h.send(c, &["INCR", &format!("counter:{k}")]);
            }
            7 => {
                let other = r.h.connect();
                r.h.send(other, &["BGREWRITEAOF"]);
            }
            8 => r.h.tick(rng.gen_range(10..700)),
            _ => {
                for _ in 0..rng.gen_range(1..6) {
                    r.h.step();
                }
            }
        }
        r.absorb(c);
        assert_eq!(r.h.exited, None, "seed {seed}");
    }
    let mut restarted = if power_loss { r.h.crash_and_restart() } else { r.h.kill_and_restart() };
    assert_eq!(restarted.exited, None, "seed {seed}: {:?}", restarted.logs);
    let rc = restarted.connect();
    let keys = restarted.cmd(rc, &["KEYS", "unique:*"]);
    let present: BTreeSet<u64> =
        keys.split("\r\n").filter_map(|l| l.strip_prefix("unique:")).map(|n| n.parse().unwrap()).collect();
    for n in &r.acked_uniques {
        assert!(present.contains(n), "seed {seed}: acknowledged unique:{n} lost");
    }
    for n in &present {
        assert!(r.sent_uniques.contains(n), "seed {seed}: unique:{n} was never sent");
    }
    for k in 0..COUNTERS {
        let reply = restarted.cmd(rc, &["GET", &format!("counter:{k}")]);
        let v: i64 = reply.split("\r\n").nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let acked = r.incr_acked.get(&k).copied().unwrap_or(0);
        let sent = r.incr_sent.get(&k).copied().unwrap_or(0);
        assert!(v >= acked && v <= sent, "seed {seed}: counter:{k} is {v}, acknowledged {acked}, sent {sent}");
    }
}

#[test]
fn always_survives_power_loss_at_any_point() {
    for seed in 0..40 {
        run(seed, "appendonly yes\nappendfsync always\nsave \"\"", true);
        run(seed, "appendonly yes\nappendfsync always\nsave \"\"\naof-use-rdb-preamble no", true);
    }
}

#[test]
fn everysec_and_no_survive_a_process_crash_at_any_point() {
    for seed in 100..140 {
        run(seed, "appendonly yes\nappendfsync everysec\nsave \"\"", false);
        run(seed, "appendonly yes\nappendfsync no\nsave \"\"", false);
    }
}
