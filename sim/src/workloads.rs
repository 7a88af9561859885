//! The workloads' operations: what a simulated client sends next.
//!
//! Each workload kind reads and writes its keys the way the checker's
//! [`WorkloadKind`] expects (the same request shapes as
//! [`crate::checker::generate`]), so that both the linearizability search
//! and the "acknowledged writes lost" count understand the history:
//!
//! | kind          | write                            | read              |
//! |---------------|----------------------------------|-------------------|
//! | `register`    | `SET k v`                        | `GET k`           |
//! | `counter`     | `INCR k`                         | `GET k`           |
//! | `set`         | `SADD k v`                       | `SMEMBERS k`      |
//! | `list-append` | `MULTI`, `RPUSH k v`..., `EXEC`  | `LRANGE k 0 -1`   |
//! | `queue`       | `LPUSH k v`                      | `RPOP k`          |
//!
//! Every written value is unique in the run (`c<client>.<n>`), so a value
//! seen by a read names the one write that produced it, and nothing deletes.

use bytes::Bytes;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::checker::WorkloadKind;
use crate::history::Request;

/// A client's source of operations: its kind, keys, and the counter that
/// makes its values unique.
#[derive(Clone, Debug)]
pub struct OpGenerator {
    kind: WorkloadKind,
    keys: usize,
    client: usize,
    written: u64,
}

/// One operation to send: the key it is about and the request.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedOp {
    pub key: Bytes,
    pub request: Request,
}

impl OpGenerator {
    pub fn new(kind: WorkloadKind, keys: usize, client: usize) -> OpGenerator {
        OpGenerator { kind, keys: keys.max(1), client, written: 0 }
    }

    /// The name of key number `i`, as the checker's generator names them.
    pub fn key_name(kind: WorkloadKind, i: usize) -> String {
        format!("{}{}", kind.name(), i)
    }

    /// Every key the workload uses, in order.
    pub fn all_keys(&self) -> Vec<String> {
        (0..self.keys).map(|i| Self::key_name(self.kind, i)).collect()
    }

    /// A fresh value no other operation of the run writes.
    fn value(&mut self) -> String {
        self.written += 1;
        format!("c{}.{}", self.client, self.written)
    }

    /// The next operation, drawn from `rng` (the client's workload stream).
    pub fn next(&mut self, rng: &mut ChaCha8Rng) -> PlannedOp {
        let key = Self::key_name(self.kind, rng.gen_range(0..self.keys));
        let request = match self.kind {
            WorkloadKind::Register if rng.gen_bool(0.5) => {
                let v = self.value();
                Request::command(&["SET", &key, &v])
            }
            WorkloadKind::Register => Request::command(&["GET", &key]),
            WorkloadKind::Counter if rng.gen_bool(0.6) => Request::command(&["INCR", &key]),
            WorkloadKind::Counter => Request::command(&["GET", &key]),
            WorkloadKind::Set if rng.gen_bool(0.6) => {
                let v = self.value();
                Request::command(&["SADD", &key, &v])
            }
            WorkloadKind::Set => Request::command(&["SMEMBERS", &key]),
            WorkloadKind::ListAppend if rng.gen_bool(0.6) => {
                let n = rng.gen_range(1..=3);
                let cmds: Vec<Vec<Bytes>> = (0..n)
                    .map(|_| {
                        let v = self.value();
                        vec![Bytes::from_static(b"RPUSH"), Bytes::from(key.clone()), Bytes::from(v)]
                    })
                    .collect();
                Request::Transaction(cmds)
            }
            WorkloadKind::ListAppend => Request::command(&["LRANGE", &key, "0", "-1"]),
            WorkloadKind::Queue if rng.gen_bool(0.55) => {
                let v = self.value();
                Request::command(&["LPUSH", &key, &v])
            }
            WorkloadKind::Queue => Request::command(&["RPOP", &key]),
        };
        PlannedOp { key: Bytes::from(key), request }
    }

    /// The read that shows a key's whole final state (for a queue, one pop:
    /// the final reader pops until the queue is empty).
    pub fn final_read(kind: WorkloadKind, key: &str) -> PlannedOp {
        let request = match kind {
            WorkloadKind::Register | WorkloadKind::Counter => Request::command(&["GET", key]),
            WorkloadKind::Set => Request::command(&["SMEMBERS", key]),
            WorkloadKind::ListAppend => Request::command(&["LRANGE", key, "0", "-1"]),
            WorkloadKind::Queue => Request::command(&["RPOP", key]),
        };
        PlannedOp { key: Bytes::copy_from_slice(key.as_bytes()), request }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn values_are_unique_and_shapes_match_the_checker() {
        for kind in WorkloadKind::ALL {
            let mut g = OpGenerator::new(kind, 3, 7);
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..200 {
                let op = g.next(&mut rng);
                for argv in op.request.commands() {
                    assert_eq!(argv[1], op.key, "{kind:?}: every command is about the op's key");
                    if matches!(&argv[0][..], b"SET" | b"SADD" | b"RPUSH" | b"LPUSH") {
                        assert!(seen.insert(argv[2].clone()), "{kind:?}: value written twice");
                    }
                }
            }
            assert!(!seen.is_empty() || kind == WorkloadKind::Counter);
        }
    }
}
