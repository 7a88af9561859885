//! The HTML report of one run: one self-contained file (inline CSS and SVG,
//! no script) that a browser opens from disk or a CI artifact.
//!
//! The page: the run's facts and replay command; the timeline (an overview
//! of the whole run, an index of the keys, then one timeline per key, see
//! [`key_sections`](super::key_sections)); the checker's verdict and lost
//! writes; the faults and events; the run's statistics.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::overview::overview;
use super::svg::escape;
use super::{
    checker_verdict, key_sections, partition_counts, replay_command, show_key, OpCounts, RunSummary, MAX_EVENT_ROWS,
    MAX_UNKNOWN_KEYS, MAX_VIOLATIONS,
};
use crate::checker::PartitionResult;
use crate::history::OpId;

const STYLE: &str = r#"
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1140px; color: #222; }
h1 { font-size: 22px; margin-bottom: 6px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 15px; margin-bottom: 6px; }
h4 { font-size: 13px; margin-bottom: 4px; }
code, pre { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 10px; overflow-x: auto; white-space: pre; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: bold; }
.badge.pass { background: #2e7d32; }
.badge.fail { background: #c62828; }
.verdict { font-size: 11px; padding: 1px 6px; border-radius: 3px; color: #fff; vertical-align: middle; }
.verdict.v-ok { background: #2e7d32; } .verdict.v-unknown { background: #8a6d00; } .verdict.v-bad { background: #c62828; }
td.v-bad { color: #c62828; font-weight: bold; } td.v-unknown { color: #8a6d00; }
a.up { font-size: 11px; font-weight: normal; margin-left: 8px; }
section.key { margin-top: 18px; border-top: 1px solid #eee; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.sw { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; box-sizing: border-box; }
.sw.ok { background: #59a14f; } .sw.fail { background: #e15759; } .sw.info { background: #f28e2b; }
.sw.tail { width: 16px; height: 0; border-top: 1px dashed #f28e2b; }
.sw.open { background: #59a14f; opacity: 0.45; }
.sw.min { background: #fff; border: 2.5px solid #2d0a4e; }
.sw.hl { width: 2px; background: #6a1b9a; }
.sw.band { background: rgba(225, 87, 89, 0.15); }
.sw.fault { width: 2px; border-left: 1px dashed #b02a2a; }
.sw.milestone { width: 2px; border-left: 1px dashed #999; }
.sw.lp { width: 9px; height: 9px; border-radius: 50%; background: #fff; border: 1.5px solid #6a1b9a; }
.sw.stuck { background: #fff; border: 3px solid #d00000; }
.sw.stuckline { width: 2px; background: #d00000; }
.sw.refused { background: #fff; border: 2px dashed #d00000; }
.note { color: #666; font-style: italic; font-size: 12px; }
svg.timeline { display: block; margin: 6px 0 14px; border: 1px solid #eee; background: #fff; }
svg rect.ok { fill: #59a14f; }
svg rect.fail { fill: #e15759; }
svg rect.info { fill: #f28e2b; }
svg rect.open { fill-opacity: 0.45; }
svg rect.min { stroke: #2d0a4e; stroke-width: 2.5; }
svg rect.refused { stroke: #d00000; stroke-width: 2; stroke-dasharray: 4 2; }
svg rect.stuck { stroke: #d00000; stroke-width: 3; stroke-dasharray: none; }
svg rect.band { fill: #e15759; fill-opacity: 0.10; }
svg rect.stripe { fill: #f5f5f8; }
svg line.marker { stroke: #b02a2a; stroke-width: 1; stroke-dasharray: 3 2; }
svg g.milestone line.marker { stroke: #999; }
svg g.milestone text.el { fill: #777; }
svg line.tail { stroke: #f28e2b; stroke-width: 1; stroke-dasharray: 3 3; }
svg line.axis { stroke: #555; }
svg line.tick { stroke: #e3e3e3; }
svg line.hl { stroke: #6a1b9a; stroke-width: 2; }
svg polyline.lin, svg line.lin { fill: none; stroke: #6a1b9a; stroke-width: 1.5; }
svg line.lin.next { stroke: #d00000; stroke-dasharray: 4 3; }
svg circle.lp { fill: #fff; stroke: #6a1b9a; stroke-width: 1.5; }
svg line.stuck { stroke: #d00000; stroke-width: 2; }
svg path.cross { stroke: #d00000; stroke-width: 2.5; }
svg text.stuck { fill: #d00000; font-weight: bold; }
svg text.tl { fill: #555; }
svg text.el { fill: #b02a2a; }
svg text.ll { fill: #333; }
svg text.op { fill: #222; font-family: Menlo, Consolas, monospace; }
svg text.note { fill: #666; font-style: italic; }
"#;

/// Violated keys listed by name in the checker's section.
const MAX_LISTED_VIOLATIONS: usize = 20;

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
    let _ =
        writeln!(out, "<p>Replay:</p>\n<pre>{}</pre>", escape(&replay_command(&run.scenario, run.seed, &run.engine)));

    // Timeline.
    let highlight: BTreeSet<OpId> =
        report.violations().take(MAX_VIOLATIONS).flat_map(|v| v.minimal.iter().map(|o| o.id)).collect();
    let _ = writeln!(out, "<h2>Timeline</h2>");
    let _ = writeln!(out, "<p>{}.</p>", escape(&OpCounts::of(&run.history).sentence()));
    let _ = writeln!(out, "<h3>Whole run</h3>");
    let ticks = if highlight.is_empty() { "" } else { "<span><i class=\"sw hl\"></i>a violation's operation</span>" };
    let _ = writeln!(
        out,
        "<p class=\"legend\"><span>operations invoked per moment, all keys:</span>\
         <span><i class=\"sw ok\"></i>ok</span><span><i class=\"sw fail\"></i>failed</span>\
         <span><i class=\"sw info\"></i>indeterminate</span>{ticks}\
         <span><i class=\"sw band\"></i><i class=\"sw fault\"></i>fault</span>\
         <span><i class=\"sw milestone\"></i>milestone</span></p>"
    );
    out.push_str(&overview(&run.history, &run.events, &highlight));
    let anchors = key_sections::write(&mut out, run);

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
    if !violations.is_empty() {
        // Each drawn key's section tells its violation's story; link to them.
        let links: Vec<String> = violations
            .iter()
            .take(MAX_LISTED_VIOLATIONS)
            .map(|v| {
                let key = escape(&show_key(&v.key));
                match anchors.get(&v.key) {
                    Some(a) => format!("<a href=\"#{a}\"><code>{key}</code></a>"),
                    None => format!("<code>{key}</code>"),
                }
            })
            .collect();
        let more = violations.len().saturating_sub(MAX_LISTED_VIOLATIONS);
        let more = if more > 0 { format!(", and {more} more") } else { String::new() };
        let _ = writeln!(
            out,
            "<h3>Violations ({})</h3>\n<p>Not linearizable: {}{more}. Each key's timeline above marks its minimal \
             sub-history and where the search got stuck, then tells the story.</p>",
            super::plural(violations.len(), "key"),
            links.join(", ")
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
