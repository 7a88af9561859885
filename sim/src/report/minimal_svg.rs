//! A violation's minimal sub-history, zoomed in, as inline SVG: one row per
//! operation in invocation order, its interval as a bar (indeterminate ones
//! running off to the right), the operation written beside it, and the
//! violation's [`Marks`] (linearization points, the illegal one).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::svg::{
    axis, bar_end, escape, op_bar, op_title, open_svg, outcome_class, px, shorten, Scale, LANE, LEFT, WIDTH,
};
use super::violation_marks::{linearization_path, Marks, Point};
use crate::history::{Op, OpId, Outcome};

/// Rows drawn at most.
const MAX_ROWS: usize = 60;
/// Room above the rows for the axis.
const TOP: u64 = 20;

/// The rows of `ops` (the minimal sub-history), with `marks`.
pub fn minimal(ops: &[Op], marks: &Marks) -> String {
    let mut rows: Vec<&Op> = ops.iter().collect();
    rows.sort_by_key(|o| (o.invoke_time, o.id));
    let hidden = rows.len().saturating_sub(MAX_ROWS);
    rows.truncate(MAX_ROWS);
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
    open_svg(&mut out, height, "the smallest failing sub-history");
    axis(&mut out, &scale, TOP - 2, bottom, bottom + 12);
    let row_of: BTreeMap<OpId, u64> = rows.iter().enumerate().map(|(i, o)| (o.id, i as u64)).collect();
    for (i, op) in rows.iter().enumerate() {
        let y = TOP + LANE * i as u64;
        if i % 2 == 1 {
            let _ = writeln!(out, r#"<rect class="stripe" x="0" y="{y}" width="{WIDTH}" height="{LANE}"/>"#);
        }
        let _ = writeln!(out, r#"<text class="ll" x="4" y="{}">#{} c{}</text>"#, y + LANE - 5, op.id, op.client);
        let open = matches!(op.outcome, Outcome::Info(_)) || op.complete_time.is_none();
        let x1 = scale.tenths(op.invoke_time);
        let x2 = scale.tenths(if open { open_end } else { bar_end(op, open_end) });
        let mut class = outcome_class(op).to_string();
        if marks.stuck.as_ref().is_some_and(|s| s.op == op.id) {
            class.push_str(" stuck");
        }
        if marks.refused.contains(&op.id) {
            class.push_str(" refused");
        }
        if open {
            class.push_str(" open");
        }
        op_bar(&mut out, &class, x1, x2, y, &op_title(op, marks.notes_of(op.id)));
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
    let point =
        |id: OpId, t: u64| Some(Point { id, x: scale.tenths(t), y: (TOP + LANE * row_of.get(&id)? + LANE / 2) * 10 });
    let points: Vec<Point> = marks.points.iter().filter_map(|&(id, t)| point(id, t)).collect();
    let stuck = marks.stuck.as_ref().and_then(|s| point(s.op, s.at));
    if let Some(s) = &stuck {
        let _ = writeln!(
            out,
            r#"<line class="stuck" x1="{}" y1="{}" x2="{}" y2="{bottom}"><title>the search got stuck here</title></line>"#,
            px(s.x),
            TOP - 2,
            px(s.x)
        );
    }
    linearization_path(&mut out, &points, stuck.as_ref());
    if hidden > 0 {
        let _ =
            writeln!(out, r#"<text class="note" x="4" y="{}">{hidden} more operations not drawn</text>"#, bottom + 28);
    }
    out.push_str("</svg>\n");
    out
}
