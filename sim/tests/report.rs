//! Reports for people: Markdown and HTML of a run with and without a
//! violation (snapshots), the HTML's timeline per key (the violated key
//! first, its minimal sub-history and illegal linearization point marked,
//! faults across it, a cap on the keys drawn), escaping, a sweep table,
//! determinism, and a bound on the size of the HTML of a 100k-operation
//! history.

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

/// The per-key sections of a page, in order.
fn key_sections(page: &str) -> Vec<&str> {
    page.split("<section class=\"key\"").skip(1).map(|s| &s[..s.find("</section>").expect("closed")]).collect()
}

/// The first SVG of a section: the key's timeline.
fn timeline(section: &str) -> &str {
    let start = section.find("<svg").expect("a timeline");
    &section[start..start + section[start..].find("</svg>").expect("closed")]
}

/// The tooltips of the operation bars of a timeline, in drawing order.
fn bar_titles(svg: &str) -> Vec<&str> {
    svg.split("<rect class=\"")
        .skip(1)
        .filter_map(|r| r.split_once("<title>").map(|(_, t)| &t[..t.find("</title>").expect("closed")]))
        .collect()
}

#[test]
fn html_of_a_violation() {
    let r = run(true);
    let page = report::html(&r);
    assert!(!page.contains("<script"), "no script needed");
    // An index with anchors, then one section per key, the violated one first.
    let index = page.find("<table class=\"index\">").expect("an index of keys");
    assert!(page.contains("<a href=\"#key-0\"><code>&quot;x&quot;</code></a>"));
    assert!(page.contains("<a href=\"#key-1\"><code>&quot;y&quot;</code></a>"));
    let sections = key_sections(&page);
    assert_eq!(sections.len(), 2, "one timeline per key");
    assert!(index < page.find("id=\"key-0\"").unwrap());
    assert!(sections[0].starts_with(" id=\"key-0\""));
    let heading = |s: &str| s[..s.find("</h3>").unwrap()].to_string();
    assert!(heading(sections[0]).contains("&quot;x&quot;") && heading(sections[0]).contains("NOT LINEARIZABLE"));
    assert!(heading(sections[1]).contains("&quot;y&quot;") && !heading(sections[1]).contains("NOT"));

    // Key x: its five operations, one lane per client that touched it.
    let x = timeline(sections[0]);
    let titles = bar_titles(x);
    assert_eq!(titles.iter().filter(|t| t.starts_with('#')).count(), 5, "{titles:?}");
    for c in ["client 1", "client 2", "client 3"] {
        assert!(x.contains(&format!(">{c}</text>")), "a lane for {c}");
    }
    // The minimal sub-history (SET x 2 and the stale GET: SET x 1 may take
    // effect or not, the read stays stale) outlined; the stale read is where
    // the search got stuck: a red line at its completion (30 ms), a cross,
    // and the write's linearization point before it.
    assert_eq!(x.matches("<rect class=\"ok min").count(), 2, "the minimal sub-history is outlined");
    let stuck: Vec<&str> =
        x.split("<rect class=\"").skip(1).filter(|r| r.split('"').next().unwrap().contains("stuck")).collect();
    assert_eq!(stuck.len(), 1, "one operation could not be placed");
    assert!(
        stuck[0].contains("<title>#4 client 2: GET x\n→ &quot;1&quot;\ninvoked 20 ms, completed 30 ms"),
        "{}",
        stuck[0]
    );
    assert!(x.contains("<line class=\"stuck\""), "the stuck point is marked");
    assert!(x.contains("search stuck: #4"));
    assert!(x.contains("<path class=\"cross\""));
    assert_eq!(x.matches("<circle class=\"lp\"").count(), 1, "SET x 2 took effect first");
    assert!(x.contains("<line class=\"lin next\""), "a step from it to the stuck point");
    assert!(sections[0].contains("got stuck at 30 ms: #4 (client 2, GET x → &quot;1&quot;)"), "the caption says so");
    // Faults across the timeline, with labels.
    assert!(x.contains("class=\"band\""), "faults drawn as bands");
    for label in ["partition", "kill n1", "power loss n1", "restart n1", "heal"] {
        assert!(x.contains(&format!(">{label}</text>")), "fault {label} labelled");
    }
    // The story, zoomed in, in the violated key's section.
    assert!(sections[0].contains("Smallest failing sub-history (2 operations, 1-minimal)"));

    // Key y: nothing marked; the timeout drawn as indeterminate.
    let y = timeline(sections[1]);
    assert!(!y.contains(" min") && !y.contains("stuck") && !y.contains("class=\"lp\""));
    assert!(y.contains("<rect class=\"info\""));
    assert!(bar_titles(y).iter().any(|t| t.contains("→ unknown (timeout)")));
    insta::assert_snapshot!("html_violation", page);
}

#[test]
fn html_of_a_linearizable_run() {
    let r = run(false);
    let page = report::html(&r);
    assert_eq!(key_sections(&page).len(), 2);
    for class in ["ok", "fail", "info"] {
        assert!(!page.contains(&format!("<rect class=\"{class} min")), "nothing highlighted without a violation");
    }
    assert!(!page.contains("class=\"stuck\"") && !page.contains("class=\"cross\""));
    insta::assert_snapshot!("html_linearizable", page);
}

/// A register run on 26 keys: `k00` .. `k24` fine, the last key, `zz`,
/// with a stale read.
fn many_keys_run() -> RunSummary {
    let set_ok = || ok(Frame::Simple("OK".into()));
    let mut ops = Vec::new();
    for k in 0..25u64 {
        let key = format!("k{k:02}");
        let t = k * 4;
        ops.push(op(ops.len() as u64, k % 3, (t, t + 2), &["SET", &key, "1"], set_ok()));
        // Busier keys have more operations: k24 the most.
        for i in 0..k / 5 {
            ops.push(op(ops.len() as u64, k % 3 + 1, (t + 2 + i, t + 3 + i), &["GET", &key], ok(Frame::bulk("1"))));
        }
    }
    ops.push(op(ops.len() as u64, 7, (200, 201), &["SET", "zz", "1"], set_ok()));
    ops.push(op(ops.len() as u64, 8, (202, 203), &["SET", "zz", "2"], set_ok()));
    ops.push(op(ops.len() as u64, 9, (204, 205), &["GET", "zz"], ok(Frame::bulk("1"))));
    let mut history = History::new(ops);
    history.workload = Some("register".into());
    let report = checker::check(&history, &CheckConfig::default());
    RunSummary {
        scenario: "many-keys".into(),
        seed: 1,
        engine: "model".into(),
        expected: "linearizable".into(),
        verdict: "violation".into(),
        passed: false,
        history,
        report,
        events: events(),
        stats: Vec::new(),
    }
}

#[test]
fn the_violated_key_comes_first_and_keys_drawn_are_capped() {
    let r = many_keys_run();
    assert_eq!(r.report.verdict, Verdict::Violation);
    let page = report::html(&r);
    let sections = key_sections(&page);
    assert_eq!(sections.len(), 20, "at most 20 keys drawn");
    assert!(sections[0].contains("<h3>key <code>&quot;zz&quot;</code>"), "the violated key first");
    assert!(sections[0].contains("<rect class=\"ok min"));
    // Its timeline spans the run (0 to 205 ms); the violation, at the end, is
    // also drawn zoomed in, with the same marks.
    assert!(sections[0].contains("<h4>Around the violation, from 201.7 ms to 205 ms</h4>"), "{}", sections[0]);
    assert_eq!(sections[0].matches("<path class=\"cross\"").count(), 3, "key timeline, zoom, minimal sub-history");
    assert!(!sections[1].contains("Around the violation"));
    // Then the busiest: k20..k24 have 5 operations each; ties go in key
    // order, so k20.
    assert!(sections[1].contains("<h3>key <code>&quot;k20&quot;</code>"), "{}", &sections[1][..200]);
    assert!(page.contains("Not drawn: 6 more keys (7 operations; 6 linearizable, 0 without a verdict, 0 violated)"));
    for (n, s) in sections.iter().enumerate() {
        assert!(s.starts_with(&format!(" id=\"key-{n}\"")));
        assert!(page.contains(&format!("<a href=\"#key-{n}\">")), "key {n} is in the index");
    }
    // The checker's section links to the violated key's timeline.
    let checker = &page[page.find("<h2>Checker</h2>").unwrap()..];
    assert!(checker.contains("<a href=\"#key-0\"><code>&quot;zz&quot;</code></a>"));
    assert_eq!(page, report::html(&many_keys_run()), "deterministic");
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
    r.events[1].node = Some("<i>n1".into());
    // A key and a value of arbitrary bytes, markup and not UTF-8 included.
    let key = Bytes::from_static(b"<img src=x onerror=alert(1)>&\"\xff\x00");
    r.history.ops.push(Op {
        id: 99,
        client: 4,
        key: key.clone(),
        request: Request::Command(vec![Bytes::from_static(b"SET"), key, Bytes::from_static(b"</svg><b>\xfe")]),
        invoke_time: 5 * MS,
        complete_time: Some(6 * MS),
        outcome: ok(Frame::Simple("OK".into())),
    });
    r.report = checker::check(&r.history, &CheckConfig::default());
    let page = report::html(&r);
    assert_eq!(key_sections(&page).len(), 3);
    for raw in ["<script>", "<img", "</svg><b>", "<i>"] {
        assert!(!page.contains(raw), "{raw} is escaped");
    }
    assert!(page.contains("&lt;script&gt;"));
    assert!(page.contains("<code>&quot;&lt;img src=x onerror=alert(1)&gt;&amp;\\&quot;\\xff\\x00&quot;</code>"));
    assert!(page.contains("&lt;i&gt;n1"));
    assert!(!page.contains('\0'));
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
            lost_writes: 0,
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
            lost_writes: 1_234,
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
        assert_eq!(key_sections(&page).len(), 20, "2000 keys, 20 drawn");
        assert!(page.contains("Not drawn: 1980 more keys"));
        if violation {
            assert!(key_sections(&page)[0].contains("<rect class=\"ok min"), "the violation is highlighted first");
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
