//! Drawing primitives shared by the report's SVG timelines: the geometry,
//! the time scale and axis, how times and text are written, and an
//! operation's bar and tooltip.
//!
//! Coordinates are printed with one decimal from integer arithmetic on
//! times, so the output is the same on every machine.

use std::fmt::Write;

use super::TimelineEvent;
use crate::history::{History, Op, Outcome};

/// Width of every timeline, in pixels.
pub const WIDTH: u64 = 1100;
/// Room for lane labels on the left.
pub const LEFT: u64 = 70;
pub const RIGHT: u64 = 20;
pub const PLOT: u64 = WIDTH - LEFT - RIGHT;
/// Height of one lane; a bar leaves 3 pixels above and below.
pub const LANE: u64 = 18;
/// Longest tooltip line.
pub const MAX_TITLE: usize = 160;

/// Event times are milliseconds, operation times nanoseconds.
pub const NS_PER_MS: u64 = 1_000_000;

/// An event's time on the operations' axis.
pub fn event_ns(e: &TimelineEvent) -> u64 {
    e.at_ms.saturating_mul(NS_PER_MS)
}

/// The time range of the whole run: operations and events.
pub fn full_range(history: &History, events: &[TimelineEvent]) -> (u64, u64) {
    let times = history.ops.iter().flat_map(|o| [Some(o.invoke_time), o.complete_time]).flatten();
    let (mut lo, mut hi) = (u64::MAX, 0);
    for t in times.chain(events.iter().map(event_ns)) {
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
pub fn bar_end(op: &Op, open_end: u64) -> u64 {
    op.complete_time.unwrap_or(open_end).max(op.invoke_time)
}

/// Maps times in `[start, end]` to x pixels.
pub struct Scale {
    pub start: u64,
    pub end: u64,
    pub left: u64,
    pub width: u64,
}

impl Scale {
    /// x in tenths of a pixel, clamped to the plot.
    pub fn tenths(&self, t: u64) -> u64 {
        let t = t.clamp(self.start, self.end);
        let span = (self.end - self.start).max(1) as u128;
        self.left * 10 + ((t - self.start) as u128 * self.width as u128 * 10 / span) as u64
    }

    pub fn x(&self, t: u64) -> String {
        px(self.tenths(t))
    }
}

/// Tenths of a pixel as "12.3".
/// One operation's bar in its lane at `y`, from `x1` to `x2` (tenths of a
/// pixel, at least 1.5 px wide), with its tooltip.
pub fn op_bar(out: &mut String, class: &str, x1: u64, x2: u64, y: u64, title: &str) {
    let _ = writeln!(
        out,
        r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"><title>{title}</title></rect>"#,
        px(x1),
        y + 3,
        px((x2 - x1).max(15)),
        LANE - 6,
    );
}

pub fn px(tenths: u64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The opening tag of a timeline `height` pixels high.
pub fn open_svg(out: &mut String, height: u64, label: &str) {
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="10" role="img" aria-label="{}">"#,
        escape(label)
    );
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

/// A time of the history in milliseconds, for tooltips and captions.
pub fn show_ms(t: u64) -> String {
    show_time(t, ("ms", NS_PER_MS))
}

/// Text for SVG and HTML: markup characters as entities, control characters
/// (and the two that XML forbids outright) as spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push(' '),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The CSS class of an operation's outcome.
pub fn outcome_class(op: &Op) -> &'static str {
    match op.outcome {
        Outcome::Ok(_) => "ok",
        Outcome::Fail(_) => "fail",
        Outcome::Info(_) => "info",
    }
}

/// An operation's tooltip (escaped): who sent what, what came back, when;
/// then `notes` (what the checker says about it), one per line.
pub fn op_title(op: &Op, notes: &[String]) -> String {
    let outcome = match &op.outcome {
        Outcome::Ok(r) => format!("→ {r}"),
        Outcome::Fail(e) => format!("→ failed: {e}"),
        Outcome::Info(e) => format!("→ unknown ({e}): may take effect any time after invocation, or never"),
    };
    let times = match op.complete_time {
        Some(c) => format!(
            "invoked {}, completed {} (took {})",
            show_ms(op.invoke_time),
            show_ms(c),
            show_ms(c.saturating_sub(op.invoke_time))
        ),
        None => format!("invoked {}, never completed", show_ms(op.invoke_time)),
    };
    let mut lines = vec![
        format!("#{} client {}: {}", op.id, op.client, shorten(&op.request.to_string(), MAX_TITLE)),
        shorten(&outcome, MAX_TITLE),
        times,
    ];
    lines.extend(notes.iter().map(|n| shorten(n, MAX_TITLE)));
    escape(&lines.join("\n"))
}

/// The axis: a line along the top of the plot, six ticks across it, their
/// labels under it at `label_y` (event labels take the room above).
pub fn axis(out: &mut String, scale: &Scale, y: u64, bottom: u64, label_y: u64) {
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
            r#"<line class="tick" x1="{x}" y1="{y}" x2="{x}" y2="{bottom}"/><text class="tl" x="{x}" y="{label_y}" text-anchor="{anchor}">{}</text>"#,
            escape(&show_time(t, u))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_with_up_to_three_decimals() {
        assert_eq!(show_ms(20 * NS_PER_MS), "20 ms");
        assert_eq!(show_ms(20 * NS_PER_MS + 500_000), "20.5 ms");
        assert_eq!(show_time(1234, unit(1234)), "1234 ns");
    }

    #[test]
    fn escape_leaves_no_markup_and_no_control_characters() {
        assert_eq!(escape("<a href='x'>&\"\u{1}\u{FFFF}"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;  ");
    }
}
