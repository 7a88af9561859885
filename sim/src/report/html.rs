//! The HTML report of one run: one self-contained file (inline CSS and SVG,
//! no script) that a browser opens from disk or a CI artifact.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::timeline_svg::{self, escape};
use super::{
    checker_verdict, partition_counts, replay_command, show_key, OpCounts, RunSummary, MAX_EVENT_ROWS,
    MAX_UNKNOWN_KEYS, MAX_VIOLATIONS,
};
use crate::checker::{PartitionResult, Verdict};
use crate::history::OpId;

const STYLE: &str = r#"
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1140px; color: #222; }
h1 { font-size: 22px; margin-bottom: 6px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 15px; margin-bottom: 6px; }
code, pre { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 10px; overflow-x: auto; white-space: pre; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: bold; }
.badge.pass { background: #2e7d32; }
.badge.fail { background: #c62828; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.sw { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
.sw.ok { background: #59a14f; } .sw.fail { background: #e15759; } .sw.info { background: #f28e2b; }
.sw.min { background: #fff; border: 2px solid #2d0a4e; width: 10px; height: 6px; }
.sw.band { background: rgba(225, 87, 89, 0.18); border-left: 1px dashed #b02a2a; }
.note { color: #666; font-style: italic; font-size: 12px; }
svg.timeline { display: block; margin: 6px 0 14px; border: 1px solid #eee; background: #fff; }
svg rect.ok { fill: #59a14f; }
svg rect.fail { fill: #e15759; }
svg rect.info { fill: #f28e2b; }
svg rect.open { fill-opacity: 0.55; }
svg rect.min { stroke: #2d0a4e; stroke-width: 2.5; }
svg rect.band { fill: #e15759; fill-opacity: 0.10; }
svg rect.stripe { fill: #f5f5f8; }
svg rect.window { fill: none; stroke: #2d0a4e; stroke-width: 1.5; }
svg line.marker { stroke: #b02a2a; stroke-width: 1; stroke-dasharray: 3 2; }
svg line.axis { stroke: #555; }
svg line.tick { stroke: #e3e3e3; }
svg line.hl { stroke: #6a1b9a; stroke-width: 2; }
svg text.tl { fill: #555; }
svg text.el { fill: #b02a2a; }
svg text.ll { fill: #333; }
svg text.op { fill: #222; font-family: Menlo, Consolas, monospace; }
svg text.note { fill: #666; font-style: italic; }
"#;

/// The report of one run as one HTML page.
pub fn html(run: &RunSummary) -> String {
    let report = &run.report;
    let result = if run.passed { "PASS" } else { "FAIL" };
    let class = if run.passed { "pass" } else { "fail" };
    let mut out = String::new();
    let _ = writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">");
    let _ = writeln!(out, "<title>redsim {} seed {}: {result}</title>", escape(&run.scenario), run.seed);
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");

    // Header.
    let _ = writeln!(out, "<h1>redsim run <code>{}</code>, seed {}</h1>", escape(&run.scenario), run.seed);
    let _ = writeln!(
        out,
        "<p><span class=\"badge {class}\">{result}</span> verdict <b>{}</b>, expected <b>{}</b></p>",
        escape(&run.verdict),
        escape(&run.expected)
    );
    let _ = writeln!(out, "<table class=\"facts\">");
    for (k, v) in [
        ("scenario", run.scenario.clone()),
        ("seed", run.seed.to_string()),
        ("engine", run.engine.clone()),
        ("expected", run.expected.clone()),
        ("verdict", run.verdict.clone()),
        ("checker", checker_verdict(report.verdict).to_string()),
    ] {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    let _ = writeln!(out, "</table>");
    let _ = writeln!(out, "<p>Replay:</p>\n<pre>{}</pre>", escape(&replay_command(&run.scenario, run.seed)));

    // Timeline.
    let highlight: BTreeSet<OpId> =
        report.violations().take(MAX_VIOLATIONS).flat_map(|v| v.minimal.iter().map(|o| o.id)).collect();
    let window = timeline_svg::choose_window(&run.history, &run.events, &highlight);
    let _ = writeln!(out, "<h2>Timeline</h2>");
    let _ = writeln!(out, "<p>{}.</p>", escape(&OpCounts::of(&run.history).sentence()));
    let _ = writeln!(
        out,
        "<p class=\"legend\"><span><i class=\"sw ok\"></i>ok</span><span><i class=\"sw fail\"></i>failed</span>\
         <span><i class=\"sw info\"></i>indeterminate</span><span><i class=\"sw min\"></i>in a violation's minimal \
         sub-history</span><span><i class=\"sw band\"></i>fault</span></p>"
    );
    let _ = writeln!(out, "<h3>Whole run</h3>");
    out.push_str(&timeline_svg::overview(&run.history, &run.events, &window, &highlight));
    if window.is_whole() {
        let _ = writeln!(out, "<h3>Operations, one lane per client</h3>");
    } else {
        let what = if highlight.is_empty() { "the window outlined above" } else { "around the violation" };
        let _ = writeln!(out, "<h3>Operations {what}, one lane per client</h3>");
    }
    out.push_str(&timeline_svg::lanes(&run.history, &run.events, &window, &highlight));

    // Checker.
    let _ = writeln!(out, "<h2>Checker</h2>");
    let _ = writeln!(
        out,
        "<p>Verdict: <b>{}</b> ({}).</p>",
        checker_verdict(report.verdict),
        escape(&partition_counts(report))
    );
    if let Some((kind, lost)) = &report.lost_writes {
        let _ = writeln!(out, "<h3>Acknowledged writes lost</h3>");
        let _ = writeln!(out, "<table><tr><th>workload</th><th>acknowledged</th><th>lost</th></tr>");
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr></table>",
            kind.name(),
            lost.acknowledged,
            lost.lost
        );
        if !lost.examples.is_empty() {
            let _ = writeln!(out, "<ul>");
            for e in &lost.examples {
                let _ = writeln!(out, "<li>{}</li>", escape(e));
            }
            let _ = writeln!(out, "</ul>");
        }
    }
    let violations: Vec<_> = report.violations().collect();
    if report.verdict == Verdict::Violation {
        let _ = writeln!(out, "<h3>Violations ({})</h3>", super::plural(violations.len(), "key"));
    }
    for v in violations.iter().take(MAX_VIOLATIONS) {
        let minimality = if v.minimal_is_one_minimal { "1-minimal" } else { "shrink budget ran out" };
        let _ = writeln!(
            out,
            "<h3>key <code>{}</code>: smallest failing sub-history ({}, {minimality})</h3>",
            escape(&show_key(&v.key)),
            super::plural(v.minimal.len(), "operation")
        );
        out.push_str(&timeline_svg::minimal(&v.minimal));
        let _ = writeln!(out, "<pre>{}</pre>", escape(&super::clip_lines(&v.to_string())));
    }
    if violations.len() > MAX_VIOLATIONS {
        let rest: Vec<String> = violations[MAX_VIOLATIONS..].iter().take(20).map(|v| show_key(&v.key)).collect();
        let _ = writeln!(
            out,
            "<p class=\"note\">Not shown: {} more violated keys ({}).</p>",
            violations.len() - MAX_VIOLATIONS,
            escape(&rest.join(", "))
        );
    }
    let unknown: Vec<String> = report
        .partitions
        .iter()
        .filter(|p| matches!(p.result, PartitionResult::Unknown { .. }))
        .map(|p| show_key(&p.key))
        .collect();
    if !unknown.is_empty() {
        let mut listed = unknown.iter().take(MAX_UNKNOWN_KEYS).cloned().collect::<Vec<_>>().join(", ");
        if unknown.len() > MAX_UNKNOWN_KEYS {
            let _ = write!(listed, ", and {} more", unknown.len() - MAX_UNKNOWN_KEYS);
        }
        let _ = writeln!(
            out,
            "<h3>Keys without a verdict</h3>\n<p>The search ran out of budget on {} keys: {}.</p>",
            unknown.len(),
            escape(&listed)
        );
    }

    // Events.
    let _ = writeln!(out, "<h2>Faults and events</h2>");
    if run.events.is_empty() {
        let _ = writeln!(out, "<p>None.</p>");
    } else {
        let _ = writeln!(out, "<table><tr><th>at (ms)</th><th>node</th><th>event</th><th>detail</th></tr>");
        for e in run.events.iter().take(MAX_EVENT_ROWS) {
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e.at_ms,
                escape(e.node.as_deref().unwrap_or("")),
                escape(&e.kind),
                escape(&e.detail)
            );
        }
        let _ = writeln!(out, "</table>");
        if run.events.len() > MAX_EVENT_ROWS {
            let _ =
                writeln!(out, "<p class=\"note\">{} more events not listed.</p>", run.events.len() - MAX_EVENT_ROWS);
        }
    }

    // Stats.
    if !run.stats.is_empty() {
        let _ = writeln!(out, "<h2>Stats</h2>\n<table>");
        for (k, v) in &run.stats {
            let _ = writeln!(out, "<tr><th>{}</th><td class=\"num\">{}</td></tr>", escape(k), escape(v));
        }
        let _ = writeln!(out, "</table>");
    }
    out.push_str("</body>\n</html>\n");
    out
}
