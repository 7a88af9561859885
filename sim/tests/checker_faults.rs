//! Operations whose outcome faults made uncertain or negative, the step
//! budget, partitioning by key, and how small the shown failure is.

mod checker_support;

use checker_support::*;
use redsim_sim::checker::generate::{generate, GenConfig};
use redsim_sim::checker::{self, CheckConfig, PartitionResult, Verdict, WorkloadKind};
use redsim_sim::history::{History, Op};

#[test]
fn indeterminate_write_may_have_taken_effect() {
    let took_effect = history(
        "register",
        vec![
            ok(0, 1, (0, 5), &["SET", "x", "1"], okf()),
            info(1, 2, (10, 20), &["SET", "x", "2"]),
            ok(2, 3, (50, 60), &["GET", "x"], bulk("2")),
        ],
    );
    expect(&took_effect, Verdict::Linearizable);
}

#[test]
fn indeterminate_write_may_never_take_effect() {
    let never = history(
        "register",
        vec![
            ok(0, 1, (0, 5), &["SET", "x", "1"], okf()),
            info(1, 2, (10, 20), &["SET", "x", "2"]),
            ok(2, 3, (50, 60), &["GET", "x"], bulk("1")),
        ],
    );
    let report = expect(&never, Verdict::Linearizable);
    let PartitionResult::Linearizable { order } = &report.partitions[0].result else { unreachable!() };
    assert_eq!(order, &vec![0, 2], "the timed-out write is left out of the witness");
}

#[test]
fn indeterminate_write_may_take_effect_late_but_only_once() {
    // The client gave up at 20; the write lands between the two reads.
    let mut ops = vec![
        ok(0, 1, (0, 5), &["SET", "x", "1"], okf()),
        info(1, 2, (10, 20), &["SET", "x", "2"]),
        ok(2, 3, (50, 60), &["GET", "x"], bulk("1")),
        ok(3, 3, (70, 80), &["GET", "x"], bulk("2")),
    ];
    expect(&history("register", ops.clone()), Verdict::Linearizable);
    // ... but it cannot be undone afterwards.
    ops.push(ok(4, 3, (90, 100), &["GET", "x"], bulk("1")));
    expect(&history("register", ops), Verdict::Violation);
}

#[test]
fn indeterminate_write_may_take_effect_long_after_the_client_gave_up() {
    // The search first assumes timed-out writes landed soon (within the
    // longest operation's duration, then four times that); this one landed
    // long after, and only the unbounded last stage finds it.
    let mut ops = vec![
        ok(0, 1, (0, 5), &["SET", "x", "1"], okf()),
        info(1, 2, (10, 20), &["SET", "x", "2"]),
        ok(2, 3, (30, 40), &["GET", "x"], bulk("1")),
        ok(3, 3, (1_000, 1_010), &["GET", "x"], bulk("1")),
        ok(4, 3, (5_000, 5_010), &["GET", "x"], bulk("2")),
    ];
    let report = expect(&history("register", ops.clone()), Verdict::Linearizable);
    let PartitionResult::Linearizable { order } = &report.partitions[0].result else { unreachable!() };
    assert_eq!(order, &vec![0, 2, 3, 1, 4]);
    // Still only once.
    ops.push(ok(5, 3, (6_000, 6_010), &["GET", "x"], bulk("1")));
    expect(&history("register", ops), Verdict::Violation);
}

#[test]
fn long_keys_with_timeouts_take_steps_in_proportion_to_their_operations() {
    // Timed-out writes that never took effect stay candidates forever, and
    // where order shows in the state each position they could take is a new
    // state: before the search first bounded when they may take effect, such
    // a key was not decided in 50 steps per operation (and the 100k-operation
    // benchmark, 1,000 per key, never ended). Two clients: a busy key among many.
    for kind in [WorkloadKind::ListAppend, WorkloadKind::Set] {
        let cfg = GenConfig { keys: 1, clients: 2, info_per_mille: 40, ..GenConfig::new(kind, 5, 1_000) };
        let h = generate(&cfg);
        let timeouts = h.ops.iter().filter(|o| matches!(o.outcome, redsim_sim::history::Outcome::Info(_))).count();
        assert!(timeouts >= 20, "{timeouts} timeouts");
        let config = CheckConfig { max_steps_per_partition: 20_000, ..CheckConfig::default() };
        let report = checker::check(&h, &config);
        assert_eq!(report.verdict, Verdict::Linearizable, "{}: report:\n{report}", kind.name());
        assert!(report.steps <= 5 * h.ops.len() as u64, "{}: {} steps", kind.name(), report.steps);
    }
}

#[test]
fn indeterminate_write_cannot_take_effect_before_it_was_sent() {
    let h = history(
        "register",
        vec![info(0, 1, (30, 40), &["SET", "x", "2"]), ok(1, 2, (0, 10), &["GET", "x"], bulk("2"))],
    );
    expect(&h, Verdict::Violation);
}

#[test]
fn indeterminate_reads_are_left_out() {
    let h = history(
        "register",
        vec![
            ok(0, 1, (0, 5), &["SET", "x", "1"], okf()),
            info(1, 2, (10, 20), &["GET", "x"]),
            info(2, 3, (10, 20), &["SET", "x", "2"]),
        ],
    );
    let report = expect(&h, Verdict::Linearizable);
    assert_eq!((report.partitions[0].ops, report.partitions[0].checked_ops), (3, 2));
}

#[test]
fn failed_operations_took_no_effect() {
    let ok_read =
        history("register", vec![fail(0, 1, (0, 10), &["SET", "x", "9"]), ok(1, 2, (20, 30), &["GET", "x"], nil())]);
    expect(&ok_read, Verdict::Linearizable);
    let sees_failed = history(
        "register",
        vec![fail(0, 1, (0, 10), &["SET", "x", "9"]), ok(1, 2, (20, 30), &["GET", "x"], bulk("9"))],
    );
    expect(&sees_failed, Verdict::Violation);
}

#[test]
fn indeterminate_transaction_is_all_or_nothing() {
    let cmds: &[&[&str]] = &[&["RPUSH", "l", "a"], &["RPUSH", "l", "b"]];
    let mut t = tx(0, 1, (0, 10), cmds, vec![]);
    t.outcome = redsim_sim::history::Outcome::Info("connection lost".into());
    for (seen, verdict) in
        [(&[][..], Verdict::Linearizable), (&["a", "b"][..], Verdict::Linearizable), (&["a"][..], Verdict::Violation)]
    {
        let h = history("list-append", vec![t.clone(), ok(1, 2, (20, 30), &["LRANGE", "l", "0", "-1"], arr(seen))]);
        expect(&h, verdict);
    }
}

/// Writes that all overlap, each of which may or may not have happened, then
/// a read of a value none of them wrote.
fn many_maybe_writes(n: u64) -> History {
    let mut ops: Vec<Op> = (0..n).map(|i| info(i, i, (0, 10), &["INCR", "c"])).collect();
    ops.push(ok(n, n, (100, 110), &["GET", "c"], bulk("-1")));
    history("counter", ops)
}

#[test]
fn budget_exhaustion_gives_unknown_not_a_guess() {
    let h = many_maybe_writes(40);
    let config = CheckConfig { max_steps_per_partition: 2_000, ..CheckConfig::default() };
    let report = checker::check(&h, &config);
    assert_eq!(report.verdict, Verdict::Unknown, "report:\n{report}");
    assert!(report.steps <= 2_000, "the budget is a hard limit: {} steps", report.steps);
    assert!(report.to_string().contains("unknown after"));
    // With room to search, the same shape is decided.
    let small = many_maybe_writes(8);
    let report = checker::check(&small, &CheckConfig::default());
    assert_eq!(report.verdict, Verdict::Violation, "report:\n{report}");
}

#[test]
fn one_bad_key_among_many_is_found_and_named() {
    let mut h = generate(&GenConfig { keys: 50, clients: 8, ..GenConfig::new(WorkloadKind::Register, 7, 3000) });
    let t = h.ops.iter().filter_map(|o| o.complete_time).max().unwrap() + 1000;
    let next = h.ops.len() as u64;
    h.ops.push(ok(next, 100, (t, t + 10), &["SET", "odd-key", "1"], okf()));
    h.ops.push(ok(next + 1, 100, (t + 20, t + 30), &["SET", "odd-key", "2"], okf()));
    h.ops.push(ok(next + 2, 101, (t + 40, t + 50), &["GET", "odd-key"], bulk("1")));
    let report = expect(&h, Verdict::Violation);
    assert_eq!(report.partitions.len(), 51);
    let v = the_violation(&report);
    assert_eq!(&v.key[..], b"odd-key");
    assert_eq!(report.partitions.iter().filter(|p| is_linearizable(&p.result)).count(), 50);
}

#[test]
fn minimal_sub_history_of_a_long_key_is_small() {
    // A busy key (as long as one key of a 10k-operation run over 100 keys),
    // then a stale read among concurrent traffic.
    let mut h = generate(&GenConfig { keys: 1, clients: 6, ..GenConfig::new(WorkloadKind::Register, 11, 150) });
    let key = std::str::from_utf8(&h.ops[0].key).unwrap().to_string();
    let t = h.ops.iter().filter_map(|o| o.complete_time).max().unwrap() + 100;
    let next = h.ops.len() as u64;
    h.ops.push(ok(next, 100, (t, t + 10), &["SET", &key, "old"], okf()));
    h.ops.push(ok(next + 1, 100, (t + 20, t + 30), &["SET", &key, "new"], okf()));
    h.ops.push(ok(next + 2, 101, (t + 40, t + 50), &["GET", &key], bulk("old")));
    // Overlapping noise: a slow reader and a slow writer of other values.
    h.ops.push(ok(next + 3, 102, (t + 5, t + 60), &["GET", &key], bulk("new")));
    h.ops.push(ok(next + 4, 103, (t + 45, t + 70), &["SET", &key, "later"], okf()));
    h.ops.push(ok(next + 5, 104, (t + 80, t + 90), &["GET", &key], bulk("later")));
    let report = expect(&h, Verdict::Violation);
    let v = the_violation(&report);
    // The new write and the stale read must be as recorded; the old write may
    // stay only relaxed (it cannot explain the read within its interval).
    let ids = minimal_ids(v);
    assert!(ids == [next + 1, next + 2] || ids == [next, next + 1, next + 2], "report:\n{report}");
    assert!(v.minimal_is_one_minimal, "report:\n{report}");
    let text = report.to_string();
    println!("{text}");
    assert!(text.contains(&format!("smallest failing sub-history found ({} operations, 1-minimal)", ids.len())));
}

#[test]
fn report_shows_a_timeline_and_the_unexplained_step() {
    let h = history(
        "register",
        vec![
            ok(0, 1, (0, 10), &["SET", "x", "1"], okf()),
            ok(1, 1, (20, 30), &["SET", "x", "2"], okf()),
            ok(2, 2, (15, 50), &["GET", "x"], bulk("2")),
            ok(3, 3, (40, 50), &["GET", "x"], bulk("1")),
        ],
    );
    let report = expect(&h, Verdict::Violation);
    let text = report.to_string();
    println!("{text}");
    assert!(text.contains("c1   [==============]    "), "a bar per operation:\n{text}");
    // SET x 1 can only have taken effect before SET x 2: whatever it did, the
    // last read is unexplained, so the story needs only the newer write.
    let v = the_violation(&report);
    assert_eq!(minimal_ids(v), vec![1, 3]);
    assert_eq!(v.irrelevant, vec![0]);
    assert!(text.contains("model says \"2\", client was told \"1\": MISMATCH"), "{text}");
    assert!(text.contains("acknowledged writes lost (register): 1 of 2"), "{text}");
}
