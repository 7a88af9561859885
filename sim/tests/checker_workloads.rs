//! Hand-written histories for each workload kind: ones that some order
//! explains, and the classic anomalies (stale read, lost write, duplicated
//! element, out-of-order pop, a read from the future) that none does.
//! Times are in ticks; `(a, b)` is an operation's [invoke, complete] interval.

mod checker_support;

use checker_support::*;
use redsim_sim::checker::{PartitionResult, Verdict};

// ---- register: SET / GET --------------------------------------------------

#[test]
fn register_concurrent_read_may_see_old_or_new_value() {
    for seen in [nil(), bulk("1")] {
        let h = history(
            "register",
            vec![
                ok(0, 1, (0, 10), &["SET", "x", "1"], okf()),
                ok(1, 2, (5, 15), &["GET", "x"], seen),
                ok(2, 3, (20, 30), &["GET", "x"], bulk("1")),
            ],
        );
        let report = expect(&h, Verdict::Linearizable);
        let PartitionResult::Linearizable { order } = &report.partitions[0].result else { unreachable!() };
        assert_eq!(order.len(), 3, "the witness order covers every operation");
    }
}

#[test]
fn register_stale_read_is_a_violation_with_its_story() {
    let h = history(
        "register",
        vec![
            ok(0, 1, (0, 10), &["SET", "x", "1"], okf()),
            ok(1, 1, (20, 30), &["SET", "x", "2"], okf()),
            ok(2, 2, (40, 50), &["GET", "x"], bulk("1")),
        ],
    );
    let report = expect(&h, Verdict::Violation);
    let v = the_violation(&report);
    assert_eq!(&v.key[..], b"x");
    let e = &v.explanation;
    assert_eq!(e.prefix.iter().map(|o| o.id).collect::<Vec<_>>(), vec![0, 1], "both writes explain, in order");
    assert_eq!(e.deadline.as_ref().map(|o| o.id), Some(2));
    let read = e.attempts.iter().find(|a| a.op.id == 2).expect("the read is a candidate");
    assert!(!read.explained);
    assert_eq!(read.expected.to_string(), "\"2\"", "the model says the read should see 2");
    // The first write only needs to have maybe happened (within its
    // interval, so before the second): relaxed, it stays as irrelevant. The
    // second write and the read are the core: relax the second write and it
    // may never have happened, which explains the read.
    assert_eq!(minimal_ids(v), vec![1, 2]);
    assert_eq!(v.irrelevant, vec![0]);
    assert!(v.minimal_is_one_minimal);
    let text = report.to_string();
    assert!(text.contains("MISMATCH") && text.contains("NOT LINEARIZABLE"), "report:\n{text}");
}

#[test]
fn register_read_of_a_write_invoked_after_the_read_completed() {
    let h = history(
        "register",
        vec![ok(0, 1, (0, 10), &["GET", "x"], bulk("1")), ok(1, 2, (20, 30), &["SET", "x", "1"], okf())],
    );
    let report = expect(&h, Verdict::Violation);
    let v = the_violation(&report);
    assert!(v.explanation.prefix.is_empty(), "nothing can come first");
    // The read alone is the story: the write started after the read had
    // completed, so it is cut away with everything else that came later.
    assert_eq!(minimal_ids(v), vec![0]);
    assert!(v.irrelevant.is_empty());
}

#[test]
fn register_new_then_old_inversion_across_readers() {
    // The write is slow; one reader sees it, a later reader does not.
    let h = history(
        "register",
        vec![
            ok(0, 1, (0, 100), &["SET", "x", "1"], okf()),
            ok(1, 2, (10, 20), &["GET", "x"], bulk("1")),
            ok(2, 3, (30, 40), &["GET", "x"], nil()),
        ],
    );
    expect(&h, Verdict::Violation);
}

#[test]
fn register_lost_write_is_counted() {
    let h = history(
        "register",
        vec![ok(0, 1, (0, 10), &["SET", "x", "1"], okf()), ok(1, 2, (20, 30), &["GET", "x"], nil())],
    );
    let report = expect(&h, Verdict::Violation);
    let (_, lost) = report.lost_writes.as_ref().expect("register workload");
    assert_eq!((lost.acknowledged, lost.lost), (1, 1));
}

// ---- counter: INCR / GET --------------------------------------------------

#[test]
fn counter_concurrent_increments_in_either_order() {
    let h = history(
        "counter",
        vec![
            ok(0, 1, (0, 10), &["INCR", "c"], int(2)),
            ok(1, 2, (0, 10), &["INCR", "c"], int(1)),
            ok(2, 3, (20, 30), &["GET", "c"], bulk("2")),
        ],
    );
    let report = expect(&h, Verdict::Linearizable);
    let PartitionResult::Linearizable { order } = &report.partitions[0].result else { unreachable!() };
    assert_eq!(order, &vec![1, 0, 2], "the replies fix the order of the increments");
    assert_eq!(report.lost_writes.as_ref().unwrap().1.lost, 0);
}

#[test]
fn counter_duplicated_reply_is_a_violation() {
    let h =
        history("counter", vec![ok(0, 1, (0, 10), &["INCR", "c"], int(1)), ok(1, 2, (0, 10), &["INCR", "c"], int(1))]);
    expect(&h, Verdict::Violation);
}

#[test]
fn counter_lost_increment_is_a_violation_and_counted() {
    let h = history(
        "counter",
        vec![
            ok(0, 1, (0, 10), &["INCR", "c"], int(1)),
            ok(1, 2, (12, 20), &["INCR", "c"], int(2)),
            ok(2, 3, (30, 40), &["GET", "c"], bulk("1")),
        ],
    );
    let report = expect(&h, Verdict::Violation);
    let (_, lost) = report.lost_writes.as_ref().unwrap();
    assert_eq!((lost.acknowledged, lost.lost), (2, 1));
}

// ---- set: SADD / SMEMBERS -------------------------------------------------

#[test]
fn set_members_compare_as_sets() {
    let h = history(
        "set",
        vec![
            ok(0, 1, (0, 10), &["SADD", "s", "a"], int(1)),
            ok(1, 1, (11, 20), &["SADD", "s", "b"], int(1)),
            // Any order: Redis does not promise one.
            ok(2, 2, (30, 40), &["SMEMBERS", "s"], arr(&["b", "a"])),
            ok(3, 2, (41, 50), &["SMEMBERS", "s"], arr(&["a", "b"])),
        ],
    );
    expect(&h, Verdict::Linearizable);
}

#[test]
fn set_duplicated_member_is_a_violation() {
    let h = history(
        "set",
        vec![ok(0, 1, (0, 10), &["SADD", "s", "a"], int(1)), ok(1, 2, (20, 30), &["SMEMBERS", "s"], arr(&["a", "a"]))],
    );
    expect(&h, Verdict::Violation);
}

#[test]
fn set_lost_member_is_a_violation_and_counted() {
    let h = history(
        "set",
        vec![
            ok(0, 1, (0, 10), &["SADD", "s", "a"], int(1)),
            ok(1, 1, (11, 20), &["SADD", "s", "b"], int(1)),
            ok(2, 2, (30, 40), &["SMEMBERS", "s"], arr(&["b"])),
        ],
    );
    let report = expect(&h, Verdict::Violation);
    let (_, lost) = report.lost_writes.as_ref().unwrap();
    assert_eq!((lost.acknowledged, lost.lost), (2, 1));
    assert!(lost.examples[0].contains("\"a\""), "{:?}", lost.examples);
}

// ---- list-append: MULTI RPUSH... EXEC / LRANGE 0 -1 -----------------------

fn append(id: u64, client: u64, t: (u64, u64), elements: &[&str], lengths: &[i64]) -> redsim_sim::history::Op {
    let cmds: Vec<Vec<&str>> = elements.iter().map(|e| vec!["RPUSH", "l", e]).collect();
    let cmds: Vec<&[&str]> = cmds.iter().map(|c| &c[..]).collect();
    tx(id, client, t, &cmds, lengths.iter().map(|&n| int(n)).collect())
}

fn read_list(id: u64, client: u64, t: (u64, u64), seen: &[&str]) -> redsim_sim::history::Op {
    ok(id, client, t, &["LRANGE", "l", "0", "-1"], arr(seen))
}

#[test]
fn list_append_transaction_is_seen_whole_or_not_at_all() {
    for seen in [&[][..], &["1", "2"][..]] {
        let h =
            history("list-append", vec![append(0, 1, (0, 10), &["1", "2"], &[1, 2]), read_list(1, 2, (2, 8), seen)]);
        expect(&h, Verdict::Linearizable);
    }
    // Half a transaction: EXEC was not atomic.
    let h = history("list-append", vec![append(0, 1, (0, 10), &["1", "2"], &[1, 2]), read_list(1, 2, (2, 8), &["1"])]);
    let report = expect(&h, Verdict::Violation);
    // Whatever the transaction did (all of it, at any time, or nothing), the
    // read of half of it cannot be explained.
    let v = the_violation(&report);
    assert_eq!(minimal_ids(v), vec![1]);
    assert_eq!(v.irrelevant, vec![0]);
}

#[test]
fn list_append_duplicated_element_is_a_violation() {
    let h = history(
        "list-append",
        vec![
            append(0, 1, (0, 10), &["1"], &[1]),
            append(1, 1, (11, 20), &["2"], &[2]),
            read_list(2, 2, (30, 40), &["1", "1", "2"]),
        ],
    );
    expect(&h, Verdict::Violation);
}

#[test]
fn list_append_concurrent_appends_in_the_order_the_lengths_say() {
    let h = history(
        "list-append",
        vec![
            append(0, 1, (0, 10), &["a"], &[2]),
            append(1, 2, (0, 10), &["b"], &[1]),
            read_list(2, 3, (5, 30), &["b", "a"]),
        ],
    );
    expect(&h, Verdict::Linearizable);
    let h = history(
        "list-append",
        vec![
            append(0, 1, (0, 10), &["a"], &[2]),
            append(1, 2, (0, 10), &["b"], &[1]),
            read_list(2, 3, (5, 30), &["a", "b"]),
        ],
    );
    expect(&h, Verdict::Violation);
}

#[test]
fn list_append_lost_element_is_counted() {
    let h = history(
        "list-append",
        vec![
            append(0, 1, (0, 10), &["1", "2"], &[1, 2]),
            append(1, 1, (11, 20), &["3"], &[3]),
            read_list(2, 2, (30, 40), &["1", "2"]),
        ],
    );
    let report = expect(&h, Verdict::Violation);
    let (_, lost) = report.lost_writes.as_ref().unwrap();
    assert_eq!((lost.acknowledged, lost.lost), (3, 1));
}

// ---- queue: LPUSH / RPOP --------------------------------------------------

#[test]
fn queue_pops_in_push_order() {
    let h = history(
        "queue",
        vec![
            ok(0, 1, (0, 10), &["LPUSH", "q", "a"], int(1)),
            ok(1, 1, (20, 30), &["LPUSH", "q", "b"], int(2)),
            ok(2, 2, (40, 50), &["RPOP", "q"], bulk("a")),
            ok(3, 2, (60, 70), &["RPOP", "q"], bulk("b")),
            ok(4, 2, (80, 90), &["RPOP", "q"], nil()),
        ],
    );
    expect(&h, Verdict::Linearizable);
}

#[test]
fn queue_out_of_order_pop_is_a_violation() {
    let h = history(
        "queue",
        vec![
            ok(0, 1, (0, 10), &["LPUSH", "q", "a"], int(1)),
            ok(1, 1, (20, 30), &["LPUSH", "q", "b"], int(2)),
            ok(2, 2, (40, 50), &["RPOP", "q"], bulk("b")),
        ],
    );
    let report = expect(&h, Verdict::Violation);
    let v = the_violation(&report);
    let pop = v.explanation.attempts.iter().find(|a| a.op.id == 2).expect("the pop is a candidate");
    assert_eq!(pop.expected.to_string(), "\"a\"");
}

#[test]
fn queue_element_popped_twice_is_a_violation() {
    let h = history(
        "queue",
        vec![
            ok(0, 1, (0, 10), &["LPUSH", "q", "a"], int(1)),
            ok(1, 2, (20, 30), &["RPOP", "q"], bulk("a")),
            ok(2, 3, (20, 30), &["RPOP", "q"], bulk("a")),
        ],
    );
    expect(&h, Verdict::Violation);
}

#[test]
fn queue_lost_element_is_counted() {
    let h = history(
        "queue",
        vec![ok(0, 1, (0, 10), &["LPUSH", "q", "a"], int(1)), ok(1, 2, (20, 30), &["RPOP", "q"], nil())],
    );
    let report = expect(&h, Verdict::Violation);
    let (_, lost) = report.lost_writes.as_ref().unwrap();
    assert_eq!((lost.acknowledged, lost.lost), (1, 1));
}
