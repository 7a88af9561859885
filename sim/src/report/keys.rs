//! Which keys of a run get a timeline, and in which order.
//!
//! A key is the checker's partition: the operations carrying that key are
//! checked on their own, so each gets its own timeline. A run can touch
//! thousands of keys; the page draws at most [`MAX_KEYS`], the most
//! interesting first: violated keys, then keys without a verdict, then
//! keys that lost acknowledged writes, then the busiest; ties in key order.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use bytes::Bytes;

use crate::checker::{CheckReport, PartitionReport, PartitionResult, Verdict, Violation};
use crate::history::{History, Outcome};

/// Keys drawn at most.
pub const MAX_KEYS: usize = 20;

/// One key of the history, with what the checker said about it.
pub struct Key<'a> {
    pub key: &'a Bytes,
    /// Its operations: indices into the history's operations, in history order.
    pub ops: Vec<usize>,
    pub partition: Option<&'a PartitionReport>,
    pub clients: usize,
    /// Operations that completed ok, failed, or are indeterminate.
    pub ok: usize,
    pub fail: usize,
    pub info: usize,
}

impl Key<'_> {
    pub fn verdict(&self) -> Verdict {
        self.partition.map_or(Verdict::Linearizable, |p| p.result.verdict())
    }

    pub fn violation(&self) -> Option<&Violation> {
        match &self.partition?.result {
            PartitionResult::Violation(v) => Some(&**v),
            _ => None,
        }
    }

    /// Acknowledged writes a later read shows missing.
    pub fn lost_writes(&self) -> u64 {
        self.partition.and_then(|p| p.lost_writes.as_ref()).map_or(0, |l| l.lost)
    }
}

/// Every key of `history`, most interesting first.
pub fn ranked<'a>(history: &'a History, report: &'a CheckReport) -> Vec<Key<'a>> {
    let partitions: BTreeMap<&Bytes, &PartitionReport> = report.partitions.iter().map(|p| (&p.key, p)).collect();
    let mut by_key: BTreeMap<&Bytes, Vec<usize>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        by_key.entry(&op.key).or_default().push(i);
    }
    let mut keys: Vec<Key<'a>> = by_key
        .into_iter()
        .map(|(key, ops)| {
            let count = |f: fn(&Outcome) -> bool| ops.iter().filter(|&&i| f(&history.ops[i].outcome)).count();
            let mut clients: Vec<u64> = ops.iter().map(|&i| history.ops[i].client).collect();
            clients.sort_unstable();
            clients.dedup();
            Key {
                key,
                partition: partitions.get(key).copied(),
                clients: clients.len(),
                ok: count(|o| matches!(o, Outcome::Ok(_))),
                fail: count(|o| matches!(o, Outcome::Fail(_))),
                info: count(|o| matches!(o, Outcome::Info(_))),
                ops,
            }
        })
        .collect();
    // Sorting is stable and the keys come in key order, so ties stay in it.
    keys.sort_by_key(|k| (Reverse(k.verdict()), Reverse(k.lost_writes()), Reverse(k.ops.len())));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{check, CheckConfig};
    use crate::history::{Op, Reply, Request};
    use redsim_model::Frame;

    fn op(id: u64, key: &str, args: &[&str], reply: Frame) -> Op {
        let mut argv = vec![args[0], key];
        argv.extend(&args[1..]);
        Op {
            id,
            client: id % 2,
            key: Bytes::copy_from_slice(key.as_bytes()),
            request: Request::command(&argv),
            invoke_time: id * 10,
            complete_time: Some(id * 10 + 5),
            outcome: Outcome::Ok(Reply::Single(reply)),
        }
    }

    #[test]
    fn violated_keys_come_first_then_the_busiest() {
        let ok = || Frame::Simple("OK".into());
        let history = History::new(vec![
            op(0, "a", &["SET", "1"], ok()),
            op(1, "b", &["SET", "1"], ok()),
            op(2, "b", &["GET"], Frame::bulk("1")),
            op(3, "c", &["SET", "1"], ok()),
            // A read of a value never written: "z" is violated.
            op(4, "z", &["GET"], Frame::bulk("9")),
        ]);
        let report = check(&history, &CheckConfig::default());
        let keys: Vec<&[u8]> = ranked(&history, &report).iter().map(|k| &k.key[..]).collect();
        assert_eq!(keys, [&b"z"[..], b"b", b"a", b"c"]);
    }
}
