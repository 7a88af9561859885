//! The Markdown report of one run, and the table of a sweep.

use std::fmt::Write;

use super::{
    checker_verdict, partition_counts, replay_command, show_key, OpCounts, RunSummary, SweepRow, MAX_EVENT_ROWS,
    MAX_UNKNOWN_KEYS, MAX_VIOLATIONS,
};
use crate::checker::PartitionResult;

/// A table cell: pipes escaped, one line.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// A fenced block that no backticks inside can close.
fn fenced(info: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body = text.trim_end_matches('\n');
    format!("{fence}{info}\n{body}\n{fence}\n")
}

/// The report of one run as Markdown.
pub fn markdown(run: &RunSummary) -> String {
    let mut out = String::new();
    let result = if run.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "# redsim run: {}, seed {}\n", run.scenario, run.seed);
    let _ = writeln!(out, "**{result}**: verdict `{}`, expected `{}`.\n", cell(&run.verdict), cell(&run.expected));
    let _ = writeln!(out, "| scenario | seed | engine | expected | verdict | result |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {result} |\n",
        cell(&run.scenario),
        run.seed,
        cell(&run.engine),
        cell(&run.expected),
        cell(&run.verdict)
    );
    let _ = writeln!(out, "Replay:\n");
    out.push_str(&fenced("sh", &replay_command(&run.scenario, run.seed, &run.engine)));

    let report = &run.report;
    let _ = writeln!(out, "\n## Checker\n");
    let _ = writeln!(out, "{}.\n", OpCounts::of(&run.history).sentence());
    let _ = writeln!(out, "Verdict: **{}** ({}).", checker_verdict(report.verdict), partition_counts(report));

    if let Some((kind, lost)) = &report.lost_writes {
        let _ = writeln!(out, "\n### Acknowledged writes lost\n");
        let _ = writeln!(out, "| workload | acknowledged | lost |");
        let _ = writeln!(out, "| --- | --- | --- |");
        let _ = writeln!(out, "| {} | {} | {} |", kind.name(), lost.acknowledged, lost.lost);
        if !lost.examples.is_empty() {
            out.push('\n');
            for e in &lost.examples {
                let _ = writeln!(out, "- {}", cell(e));
            }
        }
    }

    let violations: Vec<_> = report.violations().collect();
    if !violations.is_empty() {
        let _ = writeln!(out, "\n### Violations ({})\n", super::plural(violations.len(), "key"));
        for v in violations.iter().take(MAX_VIOLATIONS) {
            let _ = writeln!(out, "#### key {}\n", cell(&show_key(&v.key)));
            out.push_str(&fenced("text", &super::clip_lines(&v.to_string())));
            out.push('\n');
        }
        if violations.len() > MAX_VIOLATIONS {
            let rest: Vec<String> = violations[MAX_VIOLATIONS..].iter().map(|v| show_key(&v.key)).collect();
            let _ = writeln!(out, "Not shown: {} more violated keys ({}).\n", rest.len(), cell(&short_list(&rest)));
        }
    }

    let unknown: Vec<String> = report
        .partitions
        .iter()
        .filter(|p| matches!(p.result, PartitionResult::Unknown { .. }))
        .map(|p| show_key(&p.key))
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "\n### Keys without a verdict\n");
        let _ = writeln!(
            out,
            "The search ran out of budget on {} keys: {}.",
            unknown.len(),
            cell(&short_list_of(&unknown, MAX_UNKNOWN_KEYS))
        );
    }

    let _ = writeln!(out, "\n## Faults and events\n");
    if run.events.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(out, "| at (ms) | node | event | detail |");
        let _ = writeln!(out, "| ---: | --- | --- | --- |");
        for e in run.events.iter().take(MAX_EVENT_ROWS) {
            let node = e.node.as_deref().unwrap_or("");
            let _ = writeln!(out, "| {} | {} | {} | {} |", e.at_ms, cell(node), cell(&e.kind), cell(&e.detail));
        }
        if run.events.len() > MAX_EVENT_ROWS {
            let _ = writeln!(out, "\n{} more events not listed.", run.events.len() - MAX_EVENT_ROWS);
        }
    }

    if !run.stats.is_empty() {
        let _ = writeln!(out, "\n## Stats\n");
        let _ = writeln!(out, "| stat | value |");
        let _ = writeln!(out, "| --- | ---: |");
        for (k, v) in &run.stats {
            let _ = writeln!(out, "| {} | {} |", cell(k), cell(v));
        }
    }
    out
}

fn short_list(items: &[String]) -> String {
    short_list_of(items, 12)
}

fn short_list_of(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        let _ = write!(s, ", and {} more", items.len() - max);
    }
    s
}

/// A sweep as one Markdown table, rows in the order given.
pub fn sweep_markdown(rows: &[SweepRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scenario | engine | seeds | passed | failed | verdicts | lost acked writes / 1k ops | first failing seed \
         | ops/s simulated | wall time |"
    );
    let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
    let mut total = SweepRow::default();
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.scenario),
            cell(&r.engine),
            r.seeds_run,
            r.passed,
            r.failed,
            cell(&verdict_counts(&r.verdicts)),
            r.lost_per_1k_ops().unwrap_or_else(|| "-".to_string()),
            r.first_failing_seed.map_or_else(|| "-".to_string(), |s| s.to_string()),
            r.ops_per_sec().map_or_else(|| "-".to_string(), thousands),
            wall(r.wall_ms)
        );
        total.seeds_run += r.seeds_run;
        total.passed += r.passed;
        total.failed += r.failed;
        total.ops += r.ops;
        total.lost_writes += r.lost_writes;
        total.wall_ms += r.wall_ms;
    }
    if rows.len() > 1 {
        let _ = writeln!(
            out,
            "| **total** | | {} | {} | {} | | {} | | {} | {} |",
            total.seeds_run,
            total.passed,
            total.failed,
            total.lost_per_1k_ops().unwrap_or_else(|| "-".to_string()),
            total.ops_per_sec().map_or_else(|| "-".to_string(), thousands),
            wall(total.wall_ms)
        );
    }
    out
}

/// "linearizable 98, violation 2", sorted by verdict.
fn verdict_counts(verdicts: &[(String, u64)]) -> String {
    let mut v: Vec<&(String, u64)> = verdicts.iter().filter(|(_, n)| *n > 0).collect();
    v.sort();
    v.iter().map(|(name, n)| format!("{name} {n}")).collect::<Vec<_>>().join(", ")
}

/// 1234567 as "1 234 567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Milliseconds as "850 ms", "12.3 s", "4 min 05 s".
fn wall(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{}.{} s", ms / 1000, ms % 1000 / 100),
        _ => format!("{} min {:02} s", ms / 60_000, ms % 60_000 / 1000),
    }
}
