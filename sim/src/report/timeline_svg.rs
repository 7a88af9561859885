//! The timelines of the HTML report, as inline SVG.
//!
//! - [`overview`]: the whole run in a fixed number of columns (operations
//!   invoked per column, stacked by outcome), the faults, and the window the
//!   detailed timeline shows.
//! - [`lanes`]: the detailed timeline, one lane per client, each operation a
//!   bar from invocation to completion coloured by outcome, the violation's
//!   operations outlined, the faults as bands and markers across the lanes.
//!   At most [`MAX_BARS`] operations and [`MAX_LANES`] lanes: a long history
//!   is shown through a window around the violation (or the first fault, or
//!   the start), chosen by [`choose_window`].
//! - [`minimal`]: a violation's minimal sub-history, one row per operation.
//!
//! Sizes are bounded whatever the history: the overview draws a fixed number
//! of columns and at most [`MAX_MARKERS`] events, the lanes at most
//! [`MAX_DRAWN`] bars. Coordinates are printed with one decimal from integer
//! arithmetic on times, so the output is the same on every machine.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::TimelineEvent;
use crate::history::{ClientId, History, Op, OpId, Outcome};

/// Width of every timeline, in pixels.
const WIDTH: u64 = 1100;
/// Room for lane labels on the left.
const LEFT: u64 = 70;
const RIGHT: u64 = 20;
const PLOT: u64 = WIDTH - LEFT - RIGHT;
const LANE: u64 = 18;
/// Room above the lanes for the axis and event labels.
const TOP: u64 = 44;
/// Operations the detailed window aims at.
pub const MAX_BARS: usize = 1200;
/// Operations the detailed window draws at most (the aim, plus the
/// highlighted ones and those already running when the window opens).
pub const MAX_DRAWN: usize = 1500;
/// Client lanes drawn at most.
pub const MAX_LANES: usize = 40;
/// Columns of the overview.
const BUCKETS: u64 = 200;
/// Events drawn at most in one timeline.
pub const MAX_MARKERS: usize = 300;
/// Rows of the minimal sub-history drawn at most.
const MAX_MINIMAL_ROWS: usize = 60;
/// Longest tooltip text.
const MAX_TITLE: usize = 160;

/// Event times are milliseconds, operation times nanoseconds.
const NS_PER_MS: u64 = 1_000_000;

/// The part of the history the detailed timeline shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The time range drawn (history time unit).
    pub start: u64,
    pub end: u64,
    /// Indices into the history's operations, of those drawn.
    pub ops: Vec<usize>,
    /// The clients with a lane, in lane order.
    pub lanes: Vec<ClientId>,
    /// Clients with operations in the range but no lane.
    pub hidden_lanes: usize,
    /// Operations of the history not drawn.
    pub hidden_ops: usize,
}

impl Window {
    pub fn is_whole(&self) -> bool {
        self.hidden_ops == 0
    }
}

/// The time range of the whole run: operations and events.
pub fn full_range(history: &History, events: &[TimelineEvent]) -> (u64, u64) {
    let times = history
        .ops
        .iter()
        .flat_map(|o| [Some(o.invoke_time), o.complete_time])
        .flatten()
        .chain(events.iter().map(|e| e.at_ms.saturating_mul(NS_PER_MS)));
    let (mut lo, mut hi) = (u64::MAX, 0);
    for t in times {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if lo == u64::MAX {
        return (0, 1);
    }
    (lo, hi.max(lo + 1))
}

/// Where an operation's bar ends: its completion, or `open_end` when it has
/// none (it was still running when the run ended).
fn bar_end(op: &Op, open_end: u64) -> u64 {
    op.complete_time.unwrap_or(open_end).max(op.invoke_time)
}

/// Picks what the detailed timeline shows: everything when it fits, else
/// about [`MAX_BARS`] operations around the first highlighted operation (or
/// the first event, or the start), extended to cover every highlighted one.
pub fn choose_window(history: &History, events: &[TimelineEvent], highlight: &BTreeSet<OpId>) -> Window {
    let (full_start, full_end) = full_range(history, events);
    let mut sorted: Vec<usize> = (0..history.ops.len()).collect();
    sorted.sort_by_key(|&i| (history.ops[i].invoke_time, history.ops[i].id));
    let n = sorted.len();
    let is_hl = |i: usize| highlight.contains(&history.ops[i].id);

    let (start, end) = if n <= MAX_BARS {
        (full_start, full_end)
    } else {
        let anchor_time = history
            .ops
            .iter()
            .filter(|o| highlight.contains(&o.id))
            .map(|o| o.invoke_time)
            .min()
            .or_else(|| events.first().map(|e| e.at_ms.saturating_mul(NS_PER_MS)))
            .unwrap_or(full_start);
        let anchor = sorted.partition_point(|&i| history.ops[i].invoke_time < anchor_time);
        let hi = (anchor.saturating_sub(MAX_BARS / 3) + MAX_BARS).min(n);
        let lo = hi.saturating_sub(MAX_BARS);
        let mut start = history.ops[sorted[lo]].invoke_time;
        let mut end = if hi == n { full_end } else { history.ops[sorted[hi]].invoke_time.max(start + 1) };
        for &i in &sorted {
            if is_hl(i) {
                start = start.min(history.ops[i].invoke_time);
                end = end.max(bar_end(&history.ops[i], full_end));
            }
        }
        if lo == 0 {
            start = full_start;
        }
        (start, end.max(start + 1))
    };

    // Operations overlapping the range, highlighted ones first in line.
    let overlapping: Vec<usize> = sorted
        .iter()
        .copied()
        .filter(|&i| {
            let op = &history.ops[i];
            op.invoke_time <= end && bar_end(op, full_end) >= start
        })
        .collect();
    // Lanes: clients of highlighted operations, then the busiest others.
    let mut per_client: BTreeMap<ClientId, usize> = BTreeMap::new();
    for &i in &overlapping {
        *per_client.entry(history.ops[i].client).or_default() += 1;
    }
    let mut lanes: BTreeSet<ClientId> =
        overlapping.iter().filter(|&&i| is_hl(i)).map(|&i| history.ops[i].client).collect();
    let mut others: Vec<(usize, ClientId)> =
        per_client.iter().filter(|(c, _)| !lanes.contains(c)).map(|(c, n)| (*n, *c)).collect();
    others.sort_by_key(|&(n, c)| (std::cmp::Reverse(n), c));
    for (_, c) in others {
        if lanes.len() >= MAX_LANES {
            break;
        }
        lanes.insert(c);
    }
    let hidden_lanes = per_client.len() - lanes.len();

    let mut drawn: Vec<usize> = overlapping.iter().copied().filter(|&i| is_hl(i)).collect();
    for &i in &overlapping {
        if drawn.len() >= MAX_DRAWN {
            break;
        }
        if !is_hl(i) && lanes.contains(&history.ops[i].client) {
            drawn.push(i);
        }
    }
    drawn.sort_by_key(|&i| (history.ops[i].invoke_time, history.ops[i].id));
    Window { start, end, hidden_ops: n - drawn.len(), ops: drawn, lanes: lanes.into_iter().collect(), hidden_lanes }
}

/// Maps times in `[start, end]` to x pixels.
struct Scale {
    start: u64,
    end: u64,
    left: u64,
    width: u64,
}

impl Scale {
    /// x in tenths of a pixel, clamped to the plot.
    fn tenths(&self, t: u64) -> u64 {
        let t = t.clamp(self.start, self.end);
        let span = (self.end - self.start).max(1) as u128;
        self.left * 10 + ((t - self.start) as u128 * self.width as u128 * 10 / span) as u64
    }

    fn x(&self, t: u64) -> String {
        px(self.tenths(t))
    }
}

/// Tenths of a pixel as "12.3".
fn px(tenths: u64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The unit the axis of a span is labelled in: (name, nanoseconds).
fn unit(span: u64) -> (&'static str, u64) {
    match span {
        s if s >= 10_000_000_000 => ("s", 1_000_000_000),
        s if s >= 10_000_000 => ("ms", 1_000_000),
        s if s >= 10_000 => ("µs", 1_000),
        _ => ("ns", 1),
    }
}

/// A time in `unit`, with up to three decimals.
fn show_time(t: u64, (name, per): (&str, u64)) -> String {
    if per == 1 {
        return format!("{t} {name}");
    }
    let milli = (t as u128 * 1000 / per as u128) as u64;
    let mut s = format!("{}.{:03}", milli / 1000, milli % 1000);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("{s} {name}")
}

/// Text for SVG and HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

fn outcome_class(op: &Op) -> &'static str {
    match op.outcome {
        Outcome::Ok(_) => "ok",
        Outcome::Fail(_) => "fail",
        Outcome::Info(_) => "info",
    }
}

/// The axis: a line along the top of the plot, six ticks across it, their
/// labels under it at `label_y` (event labels take the room above).
fn axis(out: &mut String, scale: &Scale, y: u64, bottom: u64, label_y: u64) {
    let u = unit(scale.end - scale.start);
    let _ = writeln!(
        out,
        r#"<line class="axis" x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
        px(scale.left * 10),
        px((scale.left + scale.width) * 10)
    );
    for k in 0..=5u64 {
        let t = scale.start + ((scale.end - scale.start) as u128 * k as u128 / 5) as u64;
        let x = scale.x(t);
        let anchor = match k {
            0 => "start",
            5 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            out,
            r#"<line class="tick" x1="{x}" y1="{y}" x2="{x}" y2="{bottom}"/><text class="tl" x="{x}" y="{}" text-anchor="{anchor}">{}</text>"#,
            label_y,
            escape(&show_time(t, u))
        );
    }
}

/// An event's short label: "kill n1".
fn event_label(e: &TimelineEvent) -> String {
    match &e.node {
        Some(n) => shorten(&format!("{} {n}", e.kind), 24),
        None => shorten(&e.kind, 24),
    }
}

fn event_title(e: &TimelineEvent) -> String {
    let node = e.node.as_ref().map(|n| format!(" {n}")).unwrap_or_default();
    let detail = if e.detail.is_empty() { String::new() } else { format!(": {}", e.detail) };
    escape(&shorten(&format!("{} ms: {}{node}{detail}", e.at_ms, e.kind), MAX_TITLE))
}

/// A fault that lasts: from an event to the one that ends it.
struct Band {
    from: usize,
    until: Option<usize>,
}

/// Pairs events into bands ("partition" .. "heal", "kill n1" .. "restart
/// n1"); every event also gets a marker.
fn bands(events: &[TimelineEvent]) -> Vec<Band> {
    const PAIRS: [(&str, &[&str]); 5] = [
        ("partition", &["heal"]),
        ("kill", &["restart", "start"]),
        ("power loss", &["restart", "start"]),
        ("crash", &["restart", "start"]),
        ("pause", &["resume", "restart"]),
    ];
    let kind = |e: &TimelineEvent| e.kind.to_ascii_lowercase();
    let mut bands = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let k = kind(e);
        let Some((_, enders)) = PAIRS.iter().find(|(begin, _)| k.starts_with(begin)) else { continue };
        let until = events.iter().enumerate().skip(i + 1).find_map(|(j, f)| {
            let fk = kind(f);
            let node_ok = k.starts_with("partition") || f.node.is_none() || f.node == e.node;
            (enders.iter().any(|end| fk.starts_with(end)) && node_ok).then_some(j)
        });
        bands.push(Band { from: i, until });
    }
    bands
}

/// Event bands and markers over a plot from `top` to `bottom`.
fn events_layer(out: &mut String, events: &[TimelineEvent], scale: &Scale, top: u64, bottom: u64, labels: bool) {
    let ns = |e: &TimelineEvent| e.at_ms.saturating_mul(NS_PER_MS);
    let mut drawn = 0;
    for b in &bands(events) {
        let from = ns(&events[b.from]);
        let until = b.until.map_or(scale.end, |j| ns(&events[j]));
        if until < scale.start || from > scale.end || drawn >= MAX_MARKERS {
            continue;
        }
        drawn += 1;
        let (x1, x2) = (scale.tenths(from), scale.tenths(until));
        let _ = writeln!(
            out,
            r#"<rect class="band" x="{}" y="{top}" width="{}" height="{}"><title>{}</title></rect>"#,
            px(x1),
            px((x2 - x1).max(10)),
            bottom - top,
            event_title(&events[b.from])
        );
    }
    let visible: Vec<usize> =
        (0..events.len()).filter(|&i| (scale.start..=scale.end).contains(&ns(&events[i]))).collect();
    for (n, &i) in visible.iter().take(MAX_MARKERS).enumerate() {
        let e = &events[i];
        let x = scale.x(ns(e));
        let _ = write!(
            out,
            r#"<g class="event"><title>{}</title><line class="marker" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"/>"#,
            event_title(e)
        );
        if labels {
            // Labels alternate between two rows so neighbours overlap less.
            let y = top - 22 + 10 * (n as u64 % 2);
            let _ = write!(out, r#"<text class="el" x="{x}" y="{y}">{}</text>"#, escape(&event_label(e)));
        }
        let _ = writeln!(out, "</g>");
    }
    if visible.len() > MAX_MARKERS {
        let _ = writeln!(
            out,
            r#"<text class="note" x="{LEFT}" y="{}">{} more events not drawn</text>"#,
            bottom + 30,
            visible.len() - MAX_MARKERS
        );
    }
}

/// The overview of the whole run: operations per column, faults, the window.
pub fn overview(history: &History, events: &[TimelineEvent], window: &Window, highlight: &BTreeSet<OpId>) -> String {
    let (start, end) = full_range(history, events);
    let scale = Scale { start, end, left: LEFT, width: PLOT };
    let (top, plot_h) = (14, 60u64);
    let bottom = top + plot_h;
    let height = bottom + 36;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="10">"#
    );
    axis(&mut out, &scale, top - 2, bottom, bottom + 19);
    let _ = writeln!(out, r#"<text class="ll" x="4" y="{}">ops</text>"#, top + plot_h / 2);

    // Operations invoked per column, by outcome.
    let span = (end - start).max(1) as u128;
    let mut columns = vec![[0u64; 3]; BUCKETS as usize];
    for op in &history.ops {
        let b = ((op.invoke_time.clamp(start, end) - start) as u128 * BUCKETS as u128 / span).min(BUCKETS as u128 - 1);
        let kind = match op.outcome {
            Outcome::Ok(_) => 0,
            Outcome::Fail(_) => 1,
            Outcome::Info(_) => 2,
        };
        columns[b as usize][kind] += 1;
    }
    let tallest = columns.iter().map(|c| c.iter().sum::<u64>()).max().unwrap_or(0).max(1);
    for (b, counts) in columns.iter().enumerate() {
        let x1 = LEFT * 10 + b as u64 * PLOT * 10 / BUCKETS;
        let x2 = LEFT * 10 + (b as u64 + 1) * PLOT * 10 / BUCKETS;
        let mut y = bottom * 10;
        for (kind, class) in ["ok", "fail", "info"].iter().enumerate() {
            if counts[kind] == 0 {
                continue;
            }
            let h = (counts[kind] * plot_h * 10 / tallest).max(5);
            y -= h;
            let _ = writeln!(
                out,
                r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"/>"#,
                px(x1),
                px(y),
                px(x2 - x1),
                px(h)
            );
        }
    }
    events_layer(&mut out, events, &scale, top, bottom, false);
    // Highlighted operations as ticks under the columns.
    for op in history.ops.iter().filter(|o| highlight.contains(&o.id)).take(MAX_MARKERS) {
        let x = scale.x(op.invoke_time);
        let _ = writeln!(out, r#"<line class="hl" x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#, bottom + 1, bottom + 7);
    }
    if !window.is_whole() {
        let (x1, x2) = (scale.tenths(window.start), scale.tenths(window.end));
        let _ = writeln!(
            out,
            r#"<rect class="window" x="{}" y="{}" width="{}" height="{}"><title>the detailed timeline below</title></rect>"#,
            px(x1),
            top - 2,
            px((x2 - x1).max(10)),
            plot_h + 4
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The detailed timeline: one lane per client.
pub fn lanes(history: &History, events: &[TimelineEvent], window: &Window, highlight: &BTreeSet<OpId>) -> String {
    let scale = Scale { start: window.start, end: window.end, left: LEFT, width: PLOT };
    let lane_of: BTreeMap<ClientId, u64> = window.lanes.iter().enumerate().map(|(i, c)| (*c, i as u64)).collect();
    let bottom = TOP + LANE * window.lanes.len().max(1) as u64;
    let height = bottom + 36;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="10">"#
    );
    for (i, c) in window.lanes.iter().enumerate() {
        let y = TOP + LANE * i as u64;
        if i % 2 == 1 {
            let _ = writeln!(out, r#"<rect class="stripe" x="{LEFT}" y="{y}" width="{PLOT}" height="{LANE}"/>"#);
        }
        let _ = writeln!(out, r#"<text class="ll" x="4" y="{}">client {c}</text>"#, y + LANE - 5);
    }
    axis(&mut out, &scale, TOP - 2, bottom, bottom + 12);
    events_layer(&mut out, events, &scale, TOP, bottom, true);
    // Highlighted operations last, so they are drawn on top.
    let (plain, marked): (Vec<usize>, Vec<usize>) =
        window.ops.iter().partition(|&&i| !highlight.contains(&history.ops[i].id));
    for i in plain.into_iter().chain(marked) {
        let op = &history.ops[i];
        let Some(&lane) = lane_of.get(&op.client) else { continue };
        let x1 = scale.tenths(op.invoke_time);
        let x2 = scale.tenths(bar_end(op, window.end));
        let y = TOP + LANE * lane + 3;
        let mut class = outcome_class(op).to_string();
        if highlight.contains(&op.id) {
            class.push_str(" min");
        }
        if op.complete_time.is_none() {
            class.push_str(" open");
        }
        let _ = writeln!(
            out,
            r#"<rect class="{class}" x="{}" y="{y}" width="{}" height="{}"><title>{}</title></rect>"#,
            px(x1),
            px((x2 - x1).max(15)),
            LANE - 6,
            escape(&shorten(&op.to_string(), MAX_TITLE))
        );
    }
    let mut notes = Vec::new();
    if window.hidden_ops > 0 {
        notes.push(format!(
            "{} of {} operations drawn; the overview above shows the rest",
            history.ops.len() - window.hidden_ops,
            history.ops.len()
        ));
    }
    if window.hidden_lanes > 0 {
        notes.push(format!("{} clients without a lane", window.hidden_lanes));
    }
    if !notes.is_empty() {
        let _ = writeln!(
            out,
            r#"<text class="note" x="{}" y="{}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            bottom + 30,
            escape(&notes.join("; "))
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A violation's minimal sub-history: one row per operation in invocation
/// order, its interval as a bar (indeterminate ones running off to the
/// right), the operation written beside it.
pub fn minimal(ops: &[Op]) -> String {
    let mut rows: Vec<&Op> = ops.iter().collect();
    rows.sort_by_key(|o| (o.invoke_time, o.id));
    let hidden = rows.len().saturating_sub(MAX_MINIMAL_ROWS);
    rows.truncate(MAX_MINIMAL_ROWS);
    let start = rows.iter().map(|o| o.invoke_time).min().unwrap_or(0);
    let end = rows.iter().flat_map(|o| [Some(o.invoke_time), o.complete_time]).flatten().max().unwrap_or(start);
    // A tenth of the span past the last completion, for what never completed.
    let open_end = end + ((end - start) / 10).max(1);
    let (bar_left, bar_width) = (LEFT, 440u64);
    let scale = Scale { start, end: open_end, left: bar_left, width: bar_width };
    let text_x = bar_left + bar_width + 12;
    let bottom = TOP + LANE * rows.len().max(1) as u64;
    let height = bottom + if hidden > 0 { 34 } else { 18 };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="10">"#
    );
    axis(&mut out, &scale, TOP - 2, bottom, bottom + 12);
    for (i, op) in rows.iter().enumerate() {
        let y = TOP + LANE * i as u64;
        if i % 2 == 1 {
            let _ = writeln!(out, r#"<rect class="stripe" x="0" y="{y}" width="{WIDTH}" height="{LANE}"/>"#);
        }
        let _ = writeln!(out, r#"<text class="ll" x="4" y="{}">#{} c{}</text>"#, y + LANE - 5, op.id, op.client);
        let open = matches!(op.outcome, Outcome::Info(_)) || op.complete_time.is_none();
        let x1 = scale.tenths(op.invoke_time);
        let x2 = scale.tenths(if open { open_end } else { bar_end(op, open_end) });
        let class = if open { format!("{} open", outcome_class(op)) } else { outcome_class(op).to_string() };
        let _ = writeln!(
            out,
            r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
            px(x1),
            y + 3,
            px((x2 - x1).max(15)),
            LANE - 6,
            escape(&shorten(&op.to_string(), MAX_TITLE))
        );
        let what = match &op.outcome {
            Outcome::Ok(r) => format!("{} → {r}", op.request),
            Outcome::Fail(e) => format!("{} → failed: {e}", op.request),
            Outcome::Info(e) => format!("{} → unknown ({e})", op.request),
        };
        let _ = writeln!(
            out,
            r#"<text class="op" x="{text_x}" y="{}">{}</text>"#,
            y + LANE - 5,
            escape(&shorten(&what, 90))
        );
    }
    if hidden > 0 {
        let _ =
            writeln!(out, r#"<text class="note" x="4" y="{}">{hidden} more operations not drawn</text>"#, bottom + 28);
    }
    out.push_str("</svg>\n");
    out
}
