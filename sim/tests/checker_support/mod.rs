//! Small builders for hand-written histories: one line per operation.

#![allow(dead_code)]

use bytes::Bytes;
use redsim_model::Frame;
use redsim_sim::checker::{self, CheckConfig, CheckReport, PartitionResult, Verdict, Violation};
use redsim_sim::history::{History, Op, Outcome, Reply, Request};

/// A command that completed with `reply` between `invoke` and `complete`; the
/// partition key is the command's first argument.
pub fn ok(id: u64, client: u64, (invoke, complete): (u64, u64), args: &[&str], reply: Frame) -> Op {
    Op {
        id,
        client,
        key: Bytes::copy_from_slice(args[1].as_bytes()),
        request: Request::command(args),
        invoke_time: invoke,
        complete_time: Some(complete),
        outcome: Outcome::Ok(Reply::Single(reply)),
    }
}

/// A command whose outcome is unknown (timeout after `gave_up`).
pub fn info(id: u64, client: u64, (invoke, gave_up): (u64, u64), args: &[&str]) -> Op {
    Op { outcome: Outcome::Info("timeout".into()), ..ok(id, client, (invoke, gave_up), args, Frame::Null) }
}

/// A command that definitely failed.
pub fn fail(id: u64, client: u64, (invoke, complete): (u64, u64), args: &[&str]) -> Op {
    Op {
        outcome: Outcome::Fail("READONLY You can't write against a read only replica.".into()),
        ..ok(id, client, (invoke, complete), args, Frame::Null)
    }
}

/// A MULTI/EXEC transaction that completed with one reply per command.
pub fn tx(id: u64, client: u64, (invoke, complete): (u64, u64), cmds: &[&[&str]], replies: Vec<Frame>) -> Op {
    Op {
        id,
        client,
        key: Bytes::copy_from_slice(cmds[0][1].as_bytes()),
        request: Request::transaction(cmds),
        invoke_time: invoke,
        complete_time: Some(complete),
        outcome: Outcome::Ok(Reply::Exec(replies)),
    }
}

pub fn bulk(s: &str) -> Frame {
    Frame::bulk(s)
}

pub fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

pub fn nil() -> Frame {
    Frame::Null
}

pub fn okf() -> Frame {
    Frame::ok()
}

pub fn arr(items: &[&str]) -> Frame {
    Frame::bulks(items.iter())
}

pub fn history(kind: &str, ops: Vec<Op>) -> History {
    let mut h = History::new(ops);
    h.workload = Some(kind.to_string());
    h
}

pub fn check(h: &History) -> CheckReport {
    checker::check(h, &CheckConfig::default())
}

/// Checks and asserts the verdict, printing the report if it is not the expected one.
pub fn expect(h: &History, verdict: Verdict) -> CheckReport {
    let report = check(h);
    assert_eq!(report.verdict, verdict, "unexpected verdict; report:\n{report}");
    report
}

/// The single violation of a report.
pub fn the_violation(report: &CheckReport) -> &Violation {
    let vs: Vec<&Violation> = report.violations().collect();
    assert_eq!(vs.len(), 1, "expected exactly one violated key; report:\n{report}");
    vs[0]
}

/// Ids of the minimal sub-history's operations, sorted.
pub fn minimal_ids(v: &Violation) -> Vec<u64> {
    let mut ids: Vec<u64> = v.minimal.iter().map(|o| o.id).collect();
    ids.sort_unstable();
    ids
}

pub fn is_linearizable(result: &PartitionResult) -> bool {
    matches!(result, PartitionResult::Linearizable { .. })
}
