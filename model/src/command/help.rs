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
        "client" => &[
            ("CACHING (YES|NO)", "Refused: client-side caching (tracking) is never enabled in redsim."),
            ("GETNAME", "The name this connection was given, or null."),
            ("GETREDIR", "Where tracking notifications go: always -1, tracking being off."),
            ("ID", "The unique number of this connection."),
            ("INFO", "One CLIENT LIST line describing this connection."),
            ("KILL <ip:port>", "Close the connection coming from <ip:port>."),
            (
                "KILL <option> <value> [<option> <value> [...]]",
                "Close every connection matching all filters: ID, TYPE, USER, ADDR, LADDR; SKIPME yes|no decides about the caller.",
            ),
            ("LIST [TYPE <type>|ID <id> [<id> ...]]", "One line per connection, optionally only of a type or with given IDs."),
            ("NO-EVICT (ON|OFF)", "Exempt this connection from client eviction, or not."),
            ("PAUSE <timeout> [WRITE|ALL]", "Hold commands of all clients (or only writes) for <timeout> milliseconds."),
            ("REPLY (ON|OFF|SKIP)", "Turn replies to this connection on or off, or drop only the next one."),
            ("SETNAME <name>", "Name this connection (no spaces); an empty name removes it."),
            ("TRACKINGINFO", "The tracking state of this connection."),
            ("UNBLOCK <clientid> [TIMEOUT|ERROR]", "Wake a client blocked in a blocking command."),
            ("UNPAUSE", "End a CLIENT PAUSE early."),
        ],
        "config" => &[
            ("GET <pattern> [<pattern> ...]", "Parameters whose names match a glob pattern, with their values."),
            ("SET <directive> <value> [<directive> <value> ...]", "Change parameters at run time, all or none."),
            ("RESETSTAT", "Zero the statistics INFO reports."),
            ("REWRITE", "Write the running configuration back to the configuration file."),
        ],
        "slowlog" => &[
            ("GET [<count>]", "The newest <count> entries (10 by default, -1 for all)."),
            ("LEN", "How many entries the slow log holds."),
            ("RESET", "Empty the slow log."),
        ],
        "debug" => &[
            ("DIGEST", "A hash of the whole dataset; all zeros when it is empty."),
            ("DIGEST-VALUE <key> [<key> ...]", "A hash of each key's value."),
            ("SET-ACTIVE-EXPIRE <0|1>", "Switch off (0) or on the periodic deletion of expired keys."),
            ("SLEEP <seconds>", "Stop the whole server for <seconds> (a decimal number)."),
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
