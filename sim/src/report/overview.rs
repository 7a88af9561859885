//! The overview of a whole run, as inline SVG: operations invoked per
//! column of time (a fixed number of columns, stacked by outcome, all keys
//! together), the faults across them, and ticks under the columns where the
//! violations' operations are.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::faults_layer::Layer;
use super::svg::{axis, full_range, open_svg, px, Scale, LEFT, PLOT};
use super::TimelineEvent;
use crate::history::{History, OpId, Outcome};

/// Columns of the overview.
const BUCKETS: u64 = 200;
/// Events drawn at most.
pub const MAX_MARKERS: usize = 300;

/// The overview of `history`, with the `highlight`ed operations ticked.
pub fn overview(history: &History, events: &[TimelineEvent], highlight: &BTreeSet<OpId>) -> String {
    let (start, end) = full_range(history, events);
    let scale = Scale { start, end, left: LEFT, width: PLOT };
    let (top, plot_h) = (14, 60u64);
    let bottom = top + plot_h;
    let mut out = String::new();
    open_svg(&mut out, bottom + 36, "operations per moment of the whole run, and its faults");
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
    let hidden = Layer { events, top, bottom, label_rows: 0, max: MAX_MARKERS }.draw(&mut out, &scale);
    // Highlighted operations as ticks under the columns.
    for op in history.ops.iter().filter(|o| highlight.contains(&o.id)).take(MAX_MARKERS) {
        let x = scale.x(op.invoke_time);
        let _ = writeln!(out, r#"<line class="hl" x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#, bottom + 1, bottom + 7);
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            r#"<text class="note" x="{LEFT}" y="{}">{hidden} more events not drawn (the table of events lists them)</text>"#,
            bottom + 32
        );
    }
    out.push_str("</svg>\n");
    out
}
