//! Faults and milestones across a timeline: a shaded band for a fault that
//! lasts (from a partition to the heal that ends it, from a node's kill or
//! power loss to its restart), a dashed vertical marker for every event,
//! and, when asked, a short label above each marker on one of a few rows so
//! that neighbours do not overlap.
//!
//! Milestones ("ready", "workload", "end", ...) are not faults: they are
//! drawn in grey so that the red is left for what went wrong.

use std::fmt::Write;

use super::svg::{escape, event_ns, px, shorten, Scale, MAX_TITLE, WIDTH};
use super::TimelineEvent;

/// Events that mark the run's progress rather than a fault.
const MILESTONES: [&str; 7] = ["ready", "workload", "workload done", "end", "not ready", "shutdown", "start"];

/// Faults that last, and the events that end them. An ender with a node
/// ends only that node's fault; one without (a heal) ends any.
const LASTING: [(&[&str], &[&str]); 5] = [
    (&["partition", "isolate", "one way", "packet loss", "latency", "backlog overflow"], &["heal", "heal all"]),
    (&["kill", "power loss", "crash", "exit"], &["restart", "start", "heal all"]),
    (&["pause"], &["resume", "restart", "heal all"]),
    (&["clock skew"], &["clock skew", "heal all"]),
    (&["disk faults"], &["disk faults", "heal all"]),
];

/// An event's kind in one spelling: lower case, words split by spaces
/// ("power-loss" and "Power loss" are the same fault).
fn kind_of(e: &TimelineEvent) -> String {
    e.kind.to_ascii_lowercase().replace(['-', '_'], " ")
}

/// Whether an event is a milestone rather than a fault.
pub fn is_milestone(e: &TimelineEvent) -> bool {
    MILESTONES.contains(&kind_of(e).as_str())
}

/// A fault that lasts: from an event to the one that ends it (or the end of
/// the plot).
struct Band {
    from: usize,
    until: Option<usize>,
}

/// Pairs events into bands.
fn bands(events: &[TimelineEvent]) -> Vec<Band> {
    let mut bands = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let k = kind_of(e);
        let Some((_, enders)) = LASTING.iter().find(|(begins, _)| begins.contains(&k.as_str())) else { continue };
        let network =
            matches!(k.as_str(), "partition" | "isolate" | "one way" | "packet loss" | "latency" | "backlog overflow");
        let until = events.iter().enumerate().skip(i + 1).find_map(|(j, f)| {
            let node_ok = network || f.node.is_none() || f.node == e.node;
            (enders.contains(&kind_of(f).as_str()) && node_ok).then_some(j)
        });
        bands.push(Band { from: i, until });
    }
    bands
}

/// An event's short label: "kill n1".
fn label(e: &TimelineEvent) -> String {
    match &e.node {
        Some(n) => shorten(&format!("{} {n}", e.kind), 24),
        None => shorten(&e.kind, 24),
    }
}

/// An event's tooltip (escaped): "1040 ms: power-loss n1: ...".
fn title(e: &TimelineEvent) -> String {
    let node = e.node.as_ref().map(|n| format!(" {n}")).unwrap_or_default();
    let detail = if e.detail.is_empty() { String::new() } else { format!(": {}", e.detail) };
    escape(&shorten(&format!("{} ms: {}{node}{detail}", e.at_ms, e.kind), MAX_TITLE))
}

/// Rows of labels above the plot, each remembering where its last label
/// ends, so that a label goes on the first row with room for it.
struct LabelRows {
    ends: Vec<u64>,
}

impl LabelRows {
    /// The row for a label `chars` long at `x` (tenths of a pixel), and
    /// whether it must end at `x` (near the right edge); `None` when no row
    /// has room (the marker's tooltip still says what it is).
    fn place(&mut self, x: u64, chars: usize) -> Option<(usize, bool)> {
        // About 6 pixels a character at font size 10, and a gap.
        let w = (chars as u64 * 6 + 6) * 10;
        let flush_right = x + w > WIDTH * 10;
        let (from, to) = if flush_right { (x.saturating_sub(w), x) } else { (x, x + w) };
        let row = self.ends.iter().position(|&end| end <= from)?;
        self.ends[row] = to;
        Some((row, flush_right))
    }
}

/// How the faults layer is drawn.
pub struct Layer<'a> {
    pub events: &'a [TimelineEvent],
    /// The plot's top and bottom (pixels).
    pub top: u64,
    pub bottom: u64,
    /// Label rows above the plot, 12 pixels each, the first just above it
    /// (0 for no labels).
    pub label_rows: usize,
    /// Markers (and bands) drawn at most, spread over the plot; the caller
    /// counts the rest in a note.
    pub max: usize,
}

impl Layer<'_> {
    /// Draws bands, then markers (with labels); returns how many events in
    /// the plot's range were not drawn, for the caller's note.
    pub fn draw(&self, out: &mut String, scale: &Scale) -> usize {
        let (events, top, bottom) = (self.events, self.top, self.bottom);
        let in_range: Vec<Band> = bands(events)
            .into_iter()
            .filter(|b| {
                let until = b.until.map_or(scale.end, |j| event_ns(&events[j]));
                until >= scale.start && event_ns(&events[b.from]) <= scale.end
            })
            .collect();
        for b in spread(&in_range, self.max) {
            let from = event_ns(&events[b.from]);
            let until = b.until.map_or(scale.end, |j| event_ns(&events[j]));
            let (x1, x2) = (scale.tenths(from), scale.tenths(until));
            let _ = writeln!(
                out,
                r#"<rect class="band" x="{}" y="{top}" width="{}" height="{}"><title>{}</title></rect>"#,
                px(x1),
                px((x2 - x1).max(10)),
                bottom - top,
                title(&events[b.from])
            );
        }
        let visible: Vec<&TimelineEvent> =
            events.iter().filter(|e| (scale.start..=scale.end).contains(&event_ns(e))).collect();
        let drawn = spread(&visible, self.max);
        let mut rows = LabelRows { ends: vec![0; self.label_rows] };
        for e in &drawn {
            let class = if is_milestone(e) { "milestone" } else { "fault" };
            let x = scale.tenths(event_ns(e));
            let _ = write!(
                out,
                r#"<g class="{class}"><title>{}</title><line class="marker" x1="{}" y1="{top}" x2="{}" y2="{bottom}"/>"#,
                title(e),
                px(x),
                px(x)
            );
            let text = label(e);
            if let Some((row, flush_right)) = rows.place(x, text.chars().count()) {
                let y = top - 6 - 12 * row as u64;
                let anchor = if flush_right { r#" text-anchor="end""# } else { "" };
                let _ = write!(out, r#"<text class="el" x="{}" y="{y}"{anchor}>{}</text>"#, px(x), escape(&text));
            }
            let _ = writeln!(out, "</g>");
        }
        visible.len() - drawn.len()
    }
}

/// At most `max` of `items`, spread evenly over them (every k-th), so that
/// a run with thousands of faults still shows them across the whole plot.
fn spread<T>(items: &[T], max: usize) -> Vec<&T> {
    if items.len() <= max {
        return items.iter().collect();
    }
    let step = items.len().div_ceil(max.max(1));
    items.iter().step_by(step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(at_ms: u64, node: Option<&str>, kind: &str) -> TimelineEvent {
        TimelineEvent { at_ms, node: node.map(str::to_string), kind: kind.into(), detail: String::new() }
    }

    #[test]
    fn lasting_faults_end_at_their_own_ender() {
        let events = [
            e(1, Some("n1"), "power-loss"),
            e(2, Some("n2"), "restart"),
            e(3, None, "partition"),
            e(4, Some("n1"), "restart"),
            e(5, None, "heal-all"),
            e(6, Some("n1"), "bit-flip"),
        ];
        let pairs: Vec<(usize, Option<usize>)> = bands(&events).iter().map(|b| (b.from, b.until)).collect();
        assert_eq!(pairs, [(0, Some(3)), (2, Some(4))]);
        assert!(is_milestone(&e(0, None, "workload-done")));
        assert!(!is_milestone(&e(0, Some("n1"), "kill")));
    }

    #[test]
    fn too_many_events_are_spread_over_the_plot() {
        let items: Vec<u32> = (0..10).collect();
        assert_eq!(spread(&items, 4), [&0, &3, &6, &9]);
        assert_eq!(spread(&items, 10).len(), 10);
    }

    #[test]
    fn labels_take_the_first_row_with_room() {
        let mut rows = LabelRows { ends: vec![0; 2] };
        assert_eq!(rows.place(1000, 5), Some((0, false)));
        assert_eq!(rows.place(1010, 5), Some((1, false)));
        assert_eq!(rows.place(1020, 5), None);
        assert_eq!(rows.place(WIDTH * 10 - 10, 5), Some((0, true)));
    }
}
