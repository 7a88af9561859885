//! One key's timeline, as inline SVG: one lane per client that touched the
//! key, each operation a bar from invocation to completion coloured by
//! outcome (an indeterminate one trails a dashed line to the end: it may
//! take effect any time after its invocation), a tooltip with the command,
//! the reply and the times; the faults as bands and markers across the
//! lanes; and, for a violated key, the [`Marks`]: the minimal sub-history
//! outlined, its longest explainable order as linearization points joined
//! by a line, and the illegal linearization point (the operation that could
//! not be placed, and a red line at the instant the search got stuck).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::faults_layer::Layer;
use super::svg::{
    axis, bar_end, escape, op_bar, op_title, open_svg, outcome_class, px, show_ms, Scale, LANE, LEFT, PLOT, WIDTH,
};
use super::violation_marks::{linearization_path, Marks, Point};
use super::window::Window;
use super::TimelineEvent;
use crate::history::{ClientId, History, OpId, Outcome};

/// Rows of fault labels above the lanes.
const LABEL_ROWS: usize = 3;
/// Room above the lanes: the label rows and the axis.
const TOP: u64 = 12 * LABEL_ROWS as u64 + 10;
/// Faults drawn at most in one key's timeline (the overview and the table
/// of events have them all).
pub const MAX_MARKERS: usize = 60;

/// The timeline of the operations `window` picked, with `marks`.
pub fn draw(history: &History, events: &[TimelineEvent], window: &Window, marks: &Marks, label: &str) -> String {
    let scale = Scale { start: window.start, end: window.end, left: LEFT, width: PLOT };
    let lane_of: BTreeMap<ClientId, u64> = window.lanes.iter().enumerate().map(|(i, c)| (*c, i as u64)).collect();
    let lane_y = |client: ClientId| lane_of.get(&client).map(|lane| TOP + LANE * lane);
    let bottom = TOP + LANE * window.lanes.len().max(1) as u64;
    // Under the lanes: the axis labels, a line for the stuck point, notes.
    let stuck = marks.stuck.as_ref().filter(|s| window.ops.iter().any(|&i| history.ops[i].id == s.op));
    let stuck_y = bottom + 26;
    let notes_y = if stuck.is_some() { bottom + 40 } else { bottom + 26 };
    let mut out = String::new();
    open_svg(&mut out, notes_y + 8, label);
    for (i, c) in window.lanes.iter().enumerate() {
        let y = TOP + LANE * i as u64;
        if i % 2 == 1 {
            let _ = writeln!(out, r#"<rect class="stripe" x="{LEFT}" y="{y}" width="{PLOT}" height="{LANE}"/>"#);
        }
        let _ = writeln!(out, r#"<text class="ll" x="4" y="{}">client {c}</text>"#, y + LANE - 5);
    }
    axis(&mut out, &scale, TOP - 2, bottom, bottom + 12);
    let layer = Layer { events, top: TOP, bottom, label_rows: LABEL_ROWS, max: MAX_MARKERS };
    let hidden_events = layer.draw(&mut out, &scale);

    // Indeterminate operations' tails first, so that bars cover them.
    for &i in &window.ops {
        let op = &history.ops[i];
        let (Outcome::Info(_), Some(y)) = (&op.outcome, lane_y(op.client)) else { continue };
        let from = scale.tenths(bar_end(op, window.end));
        let to = scale.tenths(window.end);
        if to > from {
            let mid = y + LANE / 2;
            let _ = writeln!(out, r#"<line class="tail" x1="{}" y1="{mid}" x2="{}" y2="{mid}"/>"#, px(from), px(to));
        }
    }
    // Marked operations last, so that they are drawn on top.
    let (plain, marked): (Vec<usize>, Vec<usize>) =
        window.ops.iter().partition(|&&i| !marks.stands_out(history.ops[i].id));
    for i in plain.into_iter().chain(marked) {
        let op = &history.ops[i];
        let Some(y) = lane_y(op.client) else { continue };
        let x1 = scale.tenths(op.invoke_time);
        let x2 = scale.tenths(bar_end(op, window.end));
        let mut class = format!("{}{}", outcome_class(op), marks.classes(op.id));
        if op.complete_time.is_none() {
            class.push_str(" open");
        }
        op_bar(&mut out, &class, x1, x2, y, &op_title(op, marks.notes_of(op.id)));
    }
    // Where an operation's linearization point at `t` goes, if it is drawn.
    let drawn: BTreeMap<OpId, ClientId> =
        window.ops.iter().map(|&i| (history.ops[i].id, history.ops[i].client)).collect();
    let point =
        |id: OpId, t: u64| Some(Point { id, x: scale.tenths(t), y: (lane_y(*drawn.get(&id)?)? + LANE / 2) * 10 });
    let points: Vec<Point> = marks.points.iter().filter_map(|&(id, t)| point(id, t)).collect();
    let stuck_at = stuck.and_then(|s| Some((point(s.op, s.at)?, s)));
    linearization_path(&mut out, &points, stuck_at.as_ref().map(|(p, _)| p));
    if let Some((Point { x, .. }, s)) = stuck_at {
        let (anchor, text) = if x > WIDTH * 10 / 2 {
            ("end", format!("search stuck: #{} could not take effect in time ✗", s.op))
        } else {
            ("start", format!("✗ search stuck: #{} could not take effect in time", s.op))
        };
        let _ = writeln!(
            out,
            r#"<g class="stuck"><title>{}</title><line class="stuck" x1="{x}" y1="{}" x2="{x}" y2="{}"/><text class="stuck" x="{x}" y="{stuck_y}" text-anchor="{anchor}">{}</text></g>"#,
            escape(&format!(
                "The illegal linearization point, at {}: #{} completed here, and no order of the operations before \
                 it explains every reply.",
                show_ms(s.at),
                s.op
            )),
            TOP - 2,
            stuck_y - 10,
            escape(&text),
            x = px(x)
        );
    }

    let mut notes = Vec::new();
    if window.hidden_ops > 0 {
        notes.push(format!(
            "{} of {} operations on this key drawn, from {} to {}",
            window.ops.len(),
            window.ops.len() + window.hidden_ops,
            show_ms(window.start),
            show_ms(window.end)
        ));
    }
    if window.hidden_lanes > 0 {
        notes.push(format!("{} clients without a lane", window.hidden_lanes));
    }
    if hidden_events > 0 {
        notes.push(format!("{hidden_events} more events not drawn (the table of events lists them)"));
    }
    if !notes.is_empty() {
        let _ = writeln!(out, r#"<text class="note" x="{LEFT}" y="{notes_y}">{}</text>"#, escape(&notes.join("; ")));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::history::{Op, Reply, Request};
    use crate::report::window::Choice;

    #[test]
    fn indeterminate_operations_trail_to_the_end_and_unfinished_ones_are_open() {
        let op = |id, invoke_time, complete_time, outcome| Op {
            id,
            client: id,
            key: "k".into(),
            request: Request::command(&["SET", "k", "v"]),
            invoke_time,
            complete_time,
            outcome,
        };
        let history = History::new(vec![
            op(0, 0, Some(10), Outcome::Info("timeout".into())),
            op(1, 20, None, Outcome::Ok(Reply::Unrecorded)),
            op(2, 30, Some(100), Outcome::Ok(Reply::Unrecorded)),
        ]);
        let ops = [0, 1, 2];
        let marked = BTreeSet::new();
        let window = Choice {
            history: &history,
            ops: &ops,
            run: (0, 100),
            marked: &marked,
            fallback_anchor: None,
            range: None,
            aim: 10,
        }
        .choose();
        let svg = draw(&history, &[], &window, &Marks::default(), "k");
        // The timeout's bar ends at 10 (x = 70 + 101), its tail runs on to 100.
        assert!(svg.contains(r#"<line class="tail" x1="171.0" y1="55" x2="1080.0" y2="55"/>"#), "{svg}");
        assert!(svg.contains(r#"<rect class="ok open" x="272.0""#), "{svg}");
        assert_eq!(svg.matches("<line class=\"tail\"").count(), 1);
    }
}
