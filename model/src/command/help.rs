//! Replies to `<CONTAINER> HELP`.
//!
//! The layout is Redis's (a header line naming the container, then each
//! subcommand with its arguments and an indented description, ending with
//! HELP); the descriptions are redsim's own words.

use crate::resp::Frame;

/// Subcommand usage lines and their descriptions, per container.
fn entries(command: &str) -> &'static [(&'static str, &'static str)] {
    match command {
        "object" => &[
            ("ENCODING <key>", "How the value at <key> is stored internally."),
            ("FREQ <key>", "The logarithmic access counter of <key> (needs an LFU maxmemory-policy)."),
            ("IDLETIME <key>", "Seconds since <key> was last read or written (not with an LFU policy)."),
            ("REFCOUNT <key>", "How many references the value at <key> has."),
        ],
        _ => &[],
    }
}

/// The help reply of `command` (a container name such as "object").
pub fn reply(command: &str) -> Frame {
    lines(command, entries(command))
}

/// A help reply from a container name and its (usage, description) pairs.
pub fn lines(command: &str, entries: &[(&str, &str)]) -> Frame {
    let mut out = vec![Frame::simple(format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        command.to_ascii_uppercase()
    ))];
    for (usage, text) in entries {
        out.push(Frame::simple(*usage));
        out.push(Frame::simple(format!("    {text}")));
    }
    out.push(Frame::simple("HELP"));
    out.push(Frame::simple("    Prints this help."));
    Frame::Array(out)
}
