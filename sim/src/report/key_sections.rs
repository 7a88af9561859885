//! The per-key part of the HTML report: an index of the keys drawn (with
//! anchors), the legend, then one section per key with its timeline; a
//! violated key's section also zooms in on the violation (the same lanes
//! over a narrower time range, when the key's timeline is much wider), draws
//! its minimal sub-history one operation a row, and tells the checker's
//! story.
//!
//! Sizes stay bounded whatever the run: at most [`MAX_KEYS`] keys, each
//! timeline a window of at most a few hundred operations (more for a
//! violated key), [`PAGE_BARS`] for the whole page.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use bytes::Bytes;

use super::faults_layer::is_milestone;
use super::keys::{self, Key, MAX_KEYS};
use super::minimal_svg::minimal;
use super::svg::{bar_end, escape, event_ns, full_range, shorten, show_ms};
use super::violation_marks::{Marks, Stuck};
use super::window::{Choice, Window};
use super::{checker_verdict, key_timeline, plural, show_key, RunSummary, MAX_VIOLATIONS};
use crate::checker::Verdict;
use crate::history::{History, OpId, Outcome};

/// Operations a violated key's timeline aims at.
const VIOLATED_KEY_BARS: usize = 1200;
/// Operations any other key's timeline aims at.
const KEY_BARS: usize = 300;
/// Operations all the key timelines of a page aim at together; each still
/// gets at least [`MIN_KEY_BARS`].
const PAGE_BARS: usize = 5000;
const MIN_KEY_BARS: usize = 40;
/// Longest key shown in headings and the index.
const MAX_KEY_CHARS: usize = 100;

/// The legend of the key timelines; the marks of a violation only when
/// one is drawn.
const LEGEND: &str = "<p class=\"legend\">\
<span><i class=\"sw ok\"></i>ok</span>\
<span><i class=\"sw fail\"></i>failed</span>\
<span><i class=\"sw info\"></i><i class=\"sw tail\"></i>indeterminate (may take effect any time after it was invoked)</span>\
<span><i class=\"sw open\"></i>never completed</span>\
<span><i class=\"sw band\"></i><i class=\"sw fault\"></i>fault</span>\
<span><i class=\"sw milestone\"></i>milestone</span>";
const VIOLATION_LEGEND: &str = "<br>\
<span><i class=\"sw min\"></i>in the violation's minimal sub-history</span>\
<span><i class=\"sw lp\"></i>linearization points of the longest order the checker could explain \
(each at the earliest instant that order allows)</span><br>\
<span><i class=\"sw stuck\"></i><i class=\"sw stuckline\"></i>the illegal linearization point: the operation the \
search could not place, and its completion, by which it had to have taken effect</span>\
<span><i class=\"sw refused\"></i>a reply the model could not give at that step</span>";

/// The anchor of the `n`th key drawn.
pub fn anchor(n: usize) -> String {
    format!("key-{n}")
}

/// Writes the index, the legend and one section per key drawn; returns the
/// anchors of the keys drawn.
pub fn write<'a>(out: &mut String, run: &'a RunSummary) -> BTreeMap<&'a Bytes, String> {
    let keys = keys::ranked(&run.history, &run.report);
    let drawn = &keys[..keys.len().min(MAX_KEYS)];
    let anchors: BTreeMap<&Bytes, String> = drawn.iter().enumerate().map(|(n, k)| (k.key, anchor(n))).collect();
    index(out, &keys, drawn.len());
    out.push_str(LEGEND);
    if drawn.iter().any(|k| k.violation().is_some()) {
        out.push_str(VIOLATION_LEGEND);
    }
    out.push_str("</p>\n");

    let run_range = full_range(&run.history, &run.events);
    let first_fault = run.events.iter().find(|e| !is_milestone(e)).map(event_ns);
    let mut budget = PAGE_BARS;
    let mut stories = 0;
    for (n, k) in drawn.iter().enumerate() {
        let marks = k.violation().map_or_else(Marks::default, Marks::of);
        let must_draw: BTreeSet<OpId> =
            marks.core.iter().chain(&marks.refused).chain(marks.stuck.as_ref().map(|s| &s.op)).copied().collect();
        let aim = if k.verdict() == Verdict::Violation { VIOLATED_KEY_BARS } else { KEY_BARS };
        let mut choice = Choice {
            history: &run.history,
            ops: &k.ops,
            run: run_range,
            marked: &must_draw,
            fallback_anchor: first_fault,
            range: None,
            aim: aim.min(budget).max(MIN_KEY_BARS),
        };
        let window = choice.choose();
        budget = budget.saturating_sub(window.ops.len());

        let _ = writeln!(out, "<section class=\"key\" id=\"{}\">", anchor(n));
        let _ = writeln!(
            out,
            "<h3>key <code>{}</code> <span class=\"verdict {}\">{}</span> <a class=\"up\" href=\"#keys\">↑ keys</a></h3>",
            escape(&shorten(&show_key(k.key), MAX_KEY_CHARS)),
            verdict_class(k.verdict()),
            checker_verdict(k.verdict())
        );
        let _ = writeln!(out, "<p>{}</p>", caption(run, k, &marks));
        let label = format!("timeline of key {}", shorten(&show_key(k.key), MAX_KEY_CHARS));
        out.push_str(&key_timeline::draw(&run.history, &run.events, &window, &marks, &label));
        if let Some(v) = k.violation() {
            if stories < MAX_VIOLATIONS {
                stories += 1;
                if let Some((start, end)) = zoom(&run.history, &k.ops, &must_draw, marks.stuck.as_ref(), &window) {
                    choice.range = Some((start, end));
                    choice.aim = choice.aim.min(budget).max(MIN_KEY_BARS);
                    let zoomed = choice.choose();
                    budget = budget.saturating_sub(zoomed.ops.len());
                    let _ = writeln!(
                        out,
                        "<h4>Around the violation, from {} to {}</h4>",
                        show_ms(zoomed.start),
                        show_ms(zoomed.end)
                    );
                    out.push_str(&key_timeline::draw(&run.history, &run.events, &zoomed, &marks, &label));
                }
                let minimality = if v.minimal_is_one_minimal { "1-minimal" } else { "shrink budget ran out" };
                let _ = writeln!(
                    out,
                    "<h4>Smallest failing sub-history ({}, {minimality}), one operation a row</h4>",
                    plural(v.minimal.len(), "operation")
                );
                out.push_str(&minimal(&v.minimal, &marks));
                let _ = writeln!(out, "<pre>{}</pre>", escape(&super::clip_lines(&v.to_string())));
            } else {
                let _ = writeln!(
                    out,
                    "<p class=\"note\">The story of this violation is left out: the first {MAX_VIOLATIONS} \
                     violated keys have theirs (the replay command prints every one).</p>"
                );
            }
        }
        let _ = writeln!(out, "</section>");
    }
    anchors
}

/// The index of the keys drawn, and a line for those left out.
fn index(out: &mut String, keys: &[Key<'_>], drawn: usize) {
    let _ = writeln!(
        out,
        "<h3 id=\"keys\">Keys</h3>\n<p>One timeline per key (the checker checks each key's operations on their own), \
         violated keys first{}.</p>",
        if keys.len() > drawn { ", then those without a verdict, then the busiest" } else { "" }
    );
    if keys.is_empty() {
        let _ = writeln!(out, "<p>No operations.</p>");
        return;
    }
    let lost = keys.iter().any(|k| k.partition.is_some_and(|p| p.lost_writes.is_some()));
    let _ = write!(
        out,
        "<table class=\"index\"><tr><th>key</th><th>checker</th><th>operations</th><th>ok</th><th>failed</th>\
         <th>indeterminate</th><th>clients</th>"
    );
    if lost {
        let _ = write!(out, "<th>acknowledged writes lost</th>");
    }
    let _ = writeln!(out, "</tr>");
    for (n, k) in keys[..drawn].iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td><a href=\"#{}\"><code>{}</code></a></td><td class=\"{}\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            anchor(n),
            escape(&shorten(&show_key(k.key), MAX_KEY_CHARS)),
            verdict_class(k.verdict()),
            checker_verdict(k.verdict()),
            k.ops.len(),
            k.ok,
            k.fail,
            k.info,
            k.clients
        );
        if lost {
            let _ = write!(out, "<td class=\"num\">{}</td>", k.lost_writes());
        }
        let _ = writeln!(out, "</tr>");
    }
    let _ = writeln!(out, "</table>");
    let rest = &keys[drawn..];
    if !rest.is_empty() {
        let count = |v: Verdict| rest.iter().filter(|k| k.verdict() == v).count();
        let _ = writeln!(
            out,
            "<p class=\"note\">Not drawn: {} more {} ({} operations; {} linearizable, {} without a verdict, {} \
             violated): the page draws at most {MAX_KEYS} keys. The overview above counts their operations.</p>",
            rest.len(),
            if rest.len() == 1 { "key" } else { "keys" },
            rest.iter().map(|k| k.ops.len()).sum::<usize>(),
            count(Verdict::Linearizable),
            count(Verdict::Unknown),
            count(Verdict::Violation)
        );
    }
}

/// The CSS class of a verdict.
fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "v-ok",
        Verdict::Unknown => "v-unknown",
        Verdict::Violation => "v-bad",
    }
}

/// What a key's timeline shows, in a sentence or three (escaped).
fn caption(run: &RunSummary, k: &Key<'_>, marks: &Marks) -> String {
    let mut text = format!(
        "{} by {}: {} ok, {} failed, {} indeterminate.",
        plural(k.ops.len(), "operation"),
        plural(k.clients, "client"),
        k.ok,
        k.fail,
        k.info
    );
    if k.lost_writes() > 0 {
        let _ = write!(text, " {} lost.", plural(k.lost_writes() as usize, "acknowledged write"));
    }
    let Some(v) = k.violation() else { return escape(&text) };
    let _ = write!(
        text,
        " The smallest failing sub-history ({}) is outlined. Searching it, the checker ",
        plural(v.minimal.len(), "operation")
    );
    if marks.points.is_empty() {
        text.push_str("could not place even a first operation");
    } else {
        let _ = write!(
            text,
            "could explain {} (the dots, joined in the order they took effect)",
            plural(marks.points.len(), "operation")
        );
    }
    match &marks.stuck {
        Some(s) => {
            let op = run.history.ops.iter().find(|o| o.id == s.op).or(v.minimal_explanation.deadline.as_ref());
            let what = op.map_or(String::new(), |o| {
                let reply = match &o.outcome {
                    Outcome::Ok(r) => format!(" → {r}"),
                    Outcome::Fail(e) => format!(" → failed: {e}"),
                    Outcome::Info(e) => format!(" → unknown ({e})"),
                };
                format!(" (client {}, {}{reply})", o.client, shorten(&o.request.to_string(), 80))
            });
            let _ = write!(
                text,
                ", then got stuck at {}: #{}{what} had completed by then, but no order of the operations before it \
                 explains every reply. The red cross and line mark this illegal linearization point.",
                show_ms(s.at),
                s.op
            );
        }
        None => {
            let _ = write!(
                text,
                ", and names no operation that had to take effect next; the operations whose replies the model \
                 could not give next are outlined in dashed red."
            );
        }
    }
    escape(&text)
}

/// A time range around a violation's marked operations and stuck point,
/// when it is much narrower than the key's `window` (else `None`: the key's
/// timeline shows it well enough).
fn zoom(
    history: &History,
    ops: &[usize],
    marked: &BTreeSet<OpId>,
    stuck: Option<&Stuck>,
    window: &Window,
) -> Option<(u64, u64)> {
    let marked_ops = ops.iter().map(|&i| &history.ops[i]).filter(|o| marked.contains(&o.id));
    // An indeterminate operation's bar ends where the client gave up.
    let times = marked_ops.flat_map(|o| [o.invoke_time, bar_end(o, o.invoke_time)]).chain(stuck.map(|s| s.at));
    let (lo, hi) = times.fold((u64::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
    if lo > hi {
        return None;
    }
    let pad = ((hi - lo) / 10).max(1);
    let (start, end) = (lo.saturating_sub(pad).max(window.start), (hi + pad).min(window.end));
    (end.saturating_sub(start) * 3 < window.end - window.start).then_some((start, end))
}
