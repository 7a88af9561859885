//! Reports for people: Markdown and HTML of a run with and without a
//! violation (snapshots), a sweep table, determinism, and a bound on the
//! size of the HTML of a 100k-operation history.

use bytes::Bytes;
use redsim_model::Frame;
use redsim_sim::checker::generate::{corrupt, generate, GenConfig};
use redsim_sim::checker::{self, CheckConfig, Verdict, WorkloadKind};
use redsim_sim::history::{History, Op, Outcome, Reply, Request};
use redsim_sim::report::{self, RunSummary, SweepRow, TimelineEvent};

const MS: u64 = 1_000_000;

fn op(id: u64, client: u64, (invoke_ms, complete_ms): (u64, u64), args: &[&str], outcome: Outcome) -> Op {
    Op {
        id,
        client,
        key: Bytes::copy_from_slice(args[1].as_bytes()),
        request: Request::command(args),
        invoke_time: invoke_ms * MS,
        complete_time: Some(complete_ms * MS),
        outcome,
    }
}

fn ok(reply: Frame) -> Outcome {
    Outcome::Ok(Reply::Single(reply))
}

fn events() -> Vec<TimelineEvent> {
    let e = |at_ms, node: Option<&str>, kind: &str, detail: &str| TimelineEvent {
        at_ms,
        node: node.map(str::to_string),
        kind: kind.into(),
        detail: detail.into(),
    };
    vec![
        e(12, None, "partition", "{n1} | {n2, n3}"),
        e(25, Some("n1"), "kill", "SIGKILL"),
        e(31, Some("n1"), "power loss", "appendonly.aof.1.incr.aof: lost all 41 unsynced bytes"),
        e(35, Some("n1"), "restart", ""),
        e(40, None, "heal", ""),
    ]
}

/// A register history: on key "x", with `with_violation`, a read returns
/// a value overwritten before the read began (a stale read); key "y" is
/// fine; one timeout, one definite failure.
fn history(with_violation: bool) -> History {
    let read_x = if with_violation { Frame::bulk("1") } else { Frame::bulk("2") };
    let set_ok = || ok(Frame::Simple("OK".into()));
    let mut h = History::new(vec![
        op(0, 1, (0, 10), &["SET", "x", "1"], set_ok()),
        op(1, 2, (2, 8), &["SET", "y", "a"], set_ok()),
        op(2, 3, (11, 14), &["GET", "y"], ok(Frame::bulk("a"))),
        op(3, 3, (15, 18), &["SET", "x", "2"], set_ok()),
        op(4, 2, (20, 30), &["GET", "x"], ok(read_x)),
        op(5, 1, (21, 45), &["SET", "y", "b"], Outcome::Info("timeout".into())),
        op(
            6,
            3,
            (26, 28),
            &["SET", "x", "3"],
            Outcome::Fail("READONLY You can't write against a read only replica.".into()),
        ),
        op(7, 3, (33, 38), &["GET", "x"], ok(Frame::bulk("2"))),
    ]);
    h.workload = Some("register".into());
    h
}

fn run(with_violation: bool) -> RunSummary {
    let history = history(with_violation);
    let report = checker::check(&history, &CheckConfig::default());
    let verdict = if report.verdict == Verdict::Violation { "violation" } else { "linearizable" };
    RunSummary {
        scenario: "register-partition".into(),
        seed: 42,
        engine: "model".into(),
        expected: "linearizable".into(),
        verdict: verdict.into(),
        passed: report.verdict == Verdict::Linearizable,
        history,
        report,
        events: events(),
        stats: vec![
            ("simulated time".into(), "45 ms".into()),
            ("client operations".into(), "8".into()),
            ("disk fsyncs".into(), "12".into()),
        ],
    }
}

#[test]
fn markdown_of_a_violation() {
    let r = run(true);
    assert_eq!(r.report.verdict, Verdict::Violation);
    let md = report::markdown(&r);
    assert!(md.contains("cargo run -p redsim-sim --bin sim -- run scenarios/register-partition.toml --seed 42"));
    insta::assert_snapshot!("markdown_violation", md);
}

#[test]
fn markdown_of_a_linearizable_run() {
    let r = run(false);
    assert_eq!(r.report.verdict, Verdict::Linearizable);
    insta::assert_snapshot!("markdown_linearizable", report::markdown(&r));
}

#[test]
fn html_of_a_violation() {
    let r = run(true);
    let page = report::html(&r);
    // The violation's minimal operations are outlined in the lanes.
    assert!(page.contains("class=\"ok min\""), "minimal ops highlighted");
    assert!(page.contains("class=\"band\""), "faults drawn as bands");
    assert!(!page.contains("<script"), "no script needed");
    insta::assert_snapshot!("html_violation", page);
}

#[test]
fn html_of_a_linearizable_run() {
    let r = run(false);
    let page = report::html(&r);
    for class in ["ok", "fail", "info"] {
        assert!(!page.contains(&format!("<rect class=\"{class} min")), "nothing highlighted without a violation");
    }
    insta::assert_snapshot!("html_linearizable", page);
}

#[test]
fn reports_are_deterministic() {
    assert_eq!(report::html(&run(true)), report::html(&run(true)));
    assert_eq!(report::markdown(&run(true)), report::markdown(&run(true)));
}

#[test]
fn text_from_the_history_is_escaped() {
    let mut r = run(true);
    r.scenario = "<script>alert(1)</script>".into();
    r.events[0].detail = "a | b <b>".into();
    let page = report::html(&r);
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;"));
    let md = report::markdown(&r);
    assert!(md.contains("a \\| b <b>"), "pipes in table cells are escaped");
}

#[test]
fn sweep_table() {
    let rows = vec![
        SweepRow {
            scenario: "register-partition".into(),
            engine: "model".into(),
            seeds_run: 100,
            passed: 98,
            failed: 2,
            verdicts: vec![("violation".into(), 2), ("linearizable".into(), 98)],
            first_failing_seed: Some(17),
            ops: 2_500_000,
            wall_ms: 41_500,
        },
        SweepRow {
            scenario: "aof-power-loss".into(),
            engine: "model".into(),
            seeds_run: 50,
            passed: 50,
            failed: 0,
            verdicts: vec![("linearizable".into(), 50)],
            first_failing_seed: None,
            ops: 400_000,
            wall_ms: 125_000,
        },
    ];
    insta::assert_snapshot!("sweep", report::sweep_markdown(&rows));
}

/// A 100k-operation history with a violation: the HTML stays under a fixed
/// size, and still outlines the violation.
#[test]
fn html_of_a_100k_operation_history_is_bounded() {
    const BOUND: usize = 1_500_000;
    // Many keys keep each key's search short (this is about the report).
    let history = generate(&GenConfig { keys: 2000, ..GenConfig::new(WorkloadKind::Register, 5, 100_000) });
    let (bad, changed) = corrupt(&history, 5).expect("something to corrupt");
    let config = CheckConfig { max_steps_per_partition: 2_000_000, shrink_steps: 200_000 };
    for (mut h, violation) in [(history, false), (bad, true)] {
        // Generated ticks taken as microseconds: the run lasts about 1.3 s,
        // with 5000 faults spread over it.
        for op in &mut h.ops {
            op.invoke_time *= 1000;
            op.complete_time = op.complete_time.map(|t| t * 1000);
        }
        let last_ms = h.ops.iter().filter_map(|o| o.complete_time).max().unwrap() / MS;
        let report = checker::check(&h, &config);
        assert_eq!(report.verdict == Verdict::Violation, violation);
        let events: Vec<TimelineEvent> = (0..5000)
            .map(|i| TimelineEvent {
                at_ms: i * last_ms / 5000,
                node: Some(format!("n{}", i % 3 + 1)),
                kind: if i % 2 == 0 { "kill".into() } else { "restart".into() },
                detail: String::new(),
            })
            .collect();
        let run = RunSummary {
            scenario: "generated".into(),
            seed: 5,
            engine: "model".into(),
            expected: "linearizable".into(),
            verdict: format!("{:?}", report.verdict),
            passed: !violation,
            history: h,
            report,
            events,
            stats: Vec::new(),
        };
        let page = report::html(&run);
        assert!(page.len() < BOUND, "{} bytes (violation: {violation})", page.len());
        let md = report::markdown(&run);
        assert!(md.len() < 200_000, "markdown {} bytes", md.len());
        if violation {
            assert!(page.contains("<rect class=\"ok min"), "the violation is highlighted");
            assert!(page.contains(&format!("#{changed} ")), "the corrupted op #{changed} is shown");
        }
    }
}

/// When shrinking runs out of budget the minimal sub-history can be a whole
/// key's operations: the reports clip its story instead of growing with it.
#[test]
fn an_unshrunk_violation_is_clipped() {
    let history = generate(&GenConfig { keys: 2, ..GenConfig::new(WorkloadKind::Register, 8, 3000) });
    let (bad, _) = corrupt(&history, 8).expect("something to corrupt");
    let report = checker::check(&bad, &CheckConfig { shrink_steps: 0, ..CheckConfig::default() });
    let v = report.violations().next().expect("a violation");
    assert!(v.to_string().lines().count() > 300, "the story is long: {} lines", v.to_string().lines().count());
    let run = RunSummary {
        scenario: "generated".into(),
        seed: 8,
        engine: "model".into(),
        expected: "linearizable".into(),
        verdict: "violation".into(),
        passed: false,
        history: bad,
        report,
        events: Vec::new(),
        stats: Vec::new(),
    };
    let md = report::markdown(&run);
    assert!(md.contains("more lines not shown"));
    assert!(md.len() < 60_000, "markdown {} bytes", md.len());
    assert!(report::html(&run).contains("more lines not shown"));
}
