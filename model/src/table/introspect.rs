//! The COMMAND command: COMMAND, COUNT, INFO, DOCS, LIST, GETKEYS,
//! GETKEYSANDFLAGS and HELP, built from the table.
//!
//! Replies have Redis 7.0's shape in both protocols: the frames use Map and
//! Set exactly where Redis sends a RESP3 map or set, and the encoder flattens
//! them for RESP2 clients. Redis lists commands in hash-table order, which
//! changes from run to run; redsim lists them sorted by name, deterministically.
//! COMMAND DOCS leaves out Redis's prose (summary, complexity, history,
//! replaced_by); everything else matches.

use bytes::Bytes;

use super::keys::{c_eq, c_str, key_positions, KeyRef};
use super::spec::{AclCategory, Arg, ArgType, BeginSearch, CommandSpec, FindKeys, Flag, KeySpec, KeySpecFlags};
use super::{all, lookup, lookup_argv, lookup_fullname, lookup_sub};
use crate::errors;
use crate::resp::Frame;

/// COMMAND with `args` = the arguments after `COMMAND` (the subcommand first).
/// Unknown subcommands and wrong argument counts get Redis's errors here too,
/// so the function is complete on its own.
pub fn command(args: &[Bytes]) -> Frame {
    let Some(sub_name) = args.first() else {
        return Frame::Array(all().iter().map(info).collect());
    };
    let Some(container) = lookup(b"command") else {
        return errors::unknown_command(&[Bytes::from_static(b"command")]).into();
    };
    let Some(sub) = lookup_sub(container, sub_name) else {
        return errors::unknown_subcommand("command", sub_name).into();
    };
    if !sub.arity_ok(args.len() + 1) {
        return errors::wrong_arity(sub.fullname).into();
    }
    let rest = &args[1..];
    match sub.name {
        "count" => Frame::Integer(all().len() as i64),
        "info" => info_reply(rest),
        "docs" => docs_reply(rest),
        "list" => list_reply(rest),
        "getkeys" => getkeys_reply(rest, false),
        "getkeysandflags" => getkeys_reply(rest, true),
        "help" => help_reply(),
        _ => errors::unknown_subcommand("command", sub_name).into(),
    }
}

/// COMMAND INFO entry of one command: the 10-element array.
pub fn info(spec: &'static CommandSpec) -> Frame {
    let r = spec.legacy_range;
    Frame::Array(vec![
        bulk(spec.fullname),
        Frame::Integer(i64::from(spec.arity)),
        Frame::Set(Flag::REPLY_ORDER.iter().filter(|(f, _)| spec.has(*f)).map(|(_, name)| simple(name)).collect()),
        Frame::Integer(i64::from(r.first)),
        Frame::Integer(i64::from(r.last)),
        Frame::Integer(i64::from(r.step)),
        Frame::Set(spec.acl_categories.iter().map(|c: AclCategory| Frame::Simple(format!("@{}", c.name()))).collect()),
        Frame::Set(spec.tips.iter().map(|t| bulk(t)).collect()),
        Frame::Set(spec.key_specs.iter().map(key_spec).collect()),
        if spec.is_container() {
            Frame::Array(spec.subcommands.iter().map(info).collect())
        } else {
            Frame::Set(Vec::new())
        },
    ])
}

/// COMMAND DOCS entry of one command (the value of the map; the key is the fullname).
pub fn docs(spec: &'static CommandSpec) -> Frame {
    let mut m = vec![(bulk("since"), bulk(spec.since)), (bulk("group"), bulk(spec.group))];
    if !spec.doc_flags.is_empty() {
        let flags = spec.doc_flags.iter().map(|f| simple(f.reply_name())).collect();
        m.push((bulk("doc_flags"), Frame::Set(flags)));
    }
    if let Some(v) = spec.deprecated_since {
        m.push((bulk("deprecated_since"), bulk(v)));
    }
    if !spec.arguments.is_empty() {
        m.push((bulk("arguments"), args_frame(spec.arguments)));
    }
    if spec.is_container() {
        let subs = spec.subcommands.iter().map(|s| (bulk(s.fullname), docs(s))).collect();
        m.push((bulk("subcommands"), Frame::Map(subs)));
    }
    Frame::Map(m)
}

fn info_reply(names: &[Bytes]) -> Frame {
    if names.is_empty() {
        return Frame::Array(all().iter().map(info).collect());
    }
    Frame::Array(
        names
            .iter()
            .map(|n| match lookup_fullname(n) {
                Some(spec) => info(spec),
                None => Frame::Null,
            })
            .collect(),
    )
}

fn docs_reply(names: &[Bytes]) -> Frame {
    let entry = |s: &'static CommandSpec| (bulk(s.fullname), docs(s));
    if names.is_empty() {
        return Frame::Map(all().iter().map(entry).collect());
    }
    // Unknown names are skipped, not answered with a null.
    Frame::Map(names.iter().filter_map(|n| lookup_fullname(n)).map(entry).collect())
}

/// `LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]`.
fn list_reply(args: &[Bytes]) -> Frame {
    enum Filter<'a> {
        All,
        Module,
        AclCat(Option<AclCategory>),
        Pattern(&'a [u8]),
    }
    let filter = match args {
        [] => Filter::All,
        [by, kind, arg] if c_eq(by, "filterby") => {
            if c_eq(kind, "module") {
                Filter::Module
            } else if c_eq(kind, "aclcat") {
                Filter::AclCat(AclCategory::from_name(c_str(arg)))
            } else if c_eq(kind, "pattern") {
                Filter::Pattern(arg)
            } else {
                return errors::SYNTAX.into();
            }
        }
        _ => return errors::SYNTAX.into(),
    };
    let keep = |s: &CommandSpec| match &filter {
        Filter::All => true,
        // No modules are ever loaded.
        Filter::Module => false,
        Filter::AclCat(cat) => cat.is_some_and(|c| s.acl_categories.contains(c)),
        Filter::Pattern(p) => crate::glob::glob_match(p, s.fullname.as_bytes(), true),
    };
    let mut out = Vec::new();
    for c in all() {
        if keep(c) {
            out.push(bulk(c.fullname));
        }
        out.extend(c.subcommands.iter().filter(|s| keep(s)).map(|s| bulk(s.fullname)));
    }
    Frame::Array(out)
}

/// GETKEYS / GETKEYSANDFLAGS `argv`: the command line whose keys are wanted.
fn getkeys_reply(argv: &[Bytes], with_flags: bool) -> Frame {
    let Some(spec) = lookup_argv(argv) else {
        return errors::INVALID_COMMAND_SPECIFIED.into();
    };
    match key_positions(spec, argv) {
        Err(e) => e.into(),
        Ok(keys) => Frame::Array(keys.iter().map(|k| key_frame(argv, k, with_flags)).collect()),
    }
}

fn key_frame(argv: &[Bytes], k: &KeyRef, with_flags: bool) -> Frame {
    let name = Frame::Bulk(argv.get(k.pos).cloned().unwrap_or_default());
    if with_flags {
        Frame::Array(vec![name, key_flags(k.flags)])
    } else {
        name
    }
}

fn help_reply() -> Frame {
    const LINES: &[&str] = &[
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Reply with information on every command.",
        "COUNT",
        "    Reply with the number of commands this server knows.",
        "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
        "    Reply with the names of all commands, or of those matching the filter.",
        "INFO [<command-name> ...]",
        "    Reply with information on the named commands (all commands when none",
        "    is named).",
        "DOCS [<command-name> ...]",
        "    Reply with the documentation of the named commands (all commands when",
        "    none is named).",
        "GETKEYS <full-command>",
        "    Reply with the key names found in a complete command line.",
        "GETKEYSANDFLAGS <full-command>",
        "    Reply with the key names found in a complete command line, each with",
        "    its access flags.",
        "HELP",
        "    Prints this help.",
    ];
    Frame::Array(LINES.iter().map(|l| simple(l)).collect())
}

fn key_spec(ks: &KeySpec) -> Frame {
    let begin = match ks.begin_search {
        BeginSearch::Index(pos) => typed("index", vec![(bulk("index"), int(pos))]),
        BeginSearch::Keyword { keyword, startfrom } => {
            typed("keyword", vec![(bulk("keyword"), bulk(keyword)), (bulk("startfrom"), int(startfrom))])
        }
        BeginSearch::Unknown => typed("unknown", Vec::new()),
    };
    let find = match ks.find_keys {
        FindKeys::Range { lastkey, keystep, limit } => typed(
            "range",
            vec![(bulk("lastkey"), int(lastkey)), (bulk("keystep"), int(keystep)), (bulk("limit"), int(limit))],
        ),
        FindKeys::Keynum { keynumidx, firstkey, keystep } => typed(
            "keynum",
            vec![
                (bulk("keynumidx"), int(keynumidx)),
                (bulk("firstkey"), int(firstkey)),
                (bulk("keystep"), int(keystep)),
            ],
        ),
        FindKeys::Unknown => typed("unknown", Vec::new()),
    };
    Frame::Map(vec![(bulk("flags"), key_flags(ks.flags)), (bulk("begin_search"), begin), (bulk("find_keys"), find)])
}

/// `{type: <kind>, spec: {...}}`, the shape of begin_search and find_keys.
fn typed(kind: &'static str, spec: Vec<(Frame, Frame)>) -> Frame {
    Frame::Map(vec![(bulk("type"), bulk(kind)), (bulk("spec"), Frame::Map(spec))])
}

fn key_flags(flags: KeySpecFlags) -> Frame {
    Frame::Set(flags.iter().map(|f| simple(f.reply_name())).collect())
}

fn args_frame(args: &'static [Arg]) -> Frame {
    Frame::Array(args.iter().map(arg_frame).collect())
}

fn arg_frame(a: &'static Arg) -> Frame {
    let mut m = vec![(bulk("name"), bulk(a.name)), (bulk("type"), bulk(a.kind.name()))];
    if let Some(i) = a.key_spec_index {
        m.push((bulk("key_spec_index"), Frame::Integer(i64::from(i))));
    }
    if let Some(t) = a.token {
        m.push((bulk("token"), bulk(t)));
    }
    if let Some(v) = a.since {
        m.push((bulk("since"), bulk(v)));
    }
    if let Some(v) = a.deprecated_since {
        m.push((bulk("deprecated_since"), bulk(v)));
    }
    let flags: Vec<Frame> = [(a.optional, "optional"), (a.multiple, "multiple"), (a.multiple_token, "multiple_token")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| simple(n))
        .collect();
    if !flags.is_empty() {
        m.push((bulk("flags"), Frame::Set(flags)));
    }
    if matches!(a.kind, ArgType::Oneof | ArgType::Block) {
        m.push((bulk("arguments"), args_frame(a.arguments)));
    }
    Frame::Map(m)
}

fn bulk(s: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(s.as_bytes()))
}

fn simple(s: &str) -> Frame {
    Frame::Simple(s.to_string())
}

fn int(v: i32) -> Frame {
    Frame::Integer(i64::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(words: &[&str]) -> Frame {
        let a: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        command(&a)
    }

    fn bulks(f: &Frame) -> Vec<String> {
        match f {
            Frame::Array(v) => v
                .iter()
                .map(|x| match x {
                    Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    other => panic!("not a bulk: {other:?}"),
                })
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn count_and_errors() {
        assert_eq!(cmd(&["count"]), Frame::Integer(240));
        assert_eq!(
            cmd(&["COUNT", "x"]),
            Frame::Error("ERR wrong number of arguments for 'command|count' command".into())
        );
        assert_eq!(cmd(&["nope"]), Frame::Error("ERR unknown subcommand 'nope'. Try COMMAND HELP.".into()));
        assert_eq!(
            cmd(&["getkeys", "get"]),
            Frame::Error("ERR wrong number of arguments for 'command|getkeys' command".into())
        );
        assert_eq!(cmd(&["getkeys", "nope", "x"]), Frame::Error("ERR Invalid command specified".into()));
        assert_eq!(cmd(&["getkeys", "client", "nope", "x"]), Frame::Error("ERR Invalid command specified".into()));
    }

    #[test]
    fn info_of_get() {
        let f = cmd(&["info", "get", "nope", "client|kill"]);
        let Frame::Array(items) = f else { panic!() };
        assert_eq!(items.len(), 3);
        assert_eq!(items[1], Frame::Null);
        let Frame::Array(get) = &items[0] else { panic!() };
        assert_eq!(get[0], bulk("get"));
        assert_eq!(get[1], Frame::Integer(2));
        assert_eq!(get[2], Frame::Set(vec![simple("readonly"), simple("fast")]));
        assert_eq!(&get[3..6], &[Frame::Integer(1), Frame::Integer(1), Frame::Integer(1)]);
        assert_eq!(get[6], Frame::Set(vec![simple("@read"), simple("@string"), simple("@fast")]));
        let Frame::Array(kill) = &items[2] else { panic!() };
        assert_eq!(kill[0], bulk("client|kill"));
    }

    #[test]
    fn list_filters() {
        let every = bulks(&cmd(&["list"]));
        assert!(every.len() > 240 && every.contains(&"client|kill".to_string()));
        let write = bulks(&cmd(&["list", "filterby", "aclcat", "WRITE"]));
        assert!(write.contains(&"set".to_string()) && !write.contains(&"get".to_string()));
        assert_eq!(bulks(&cmd(&["list", "filterby", "aclcat", "nope"])), Vec::<String>::new());
        assert_eq!(bulks(&cmd(&["list", "filterby", "module", "x"])), Vec::<String>::new());
        assert_eq!(cmd(&["list", "filterby", "x", "y"]), Frame::Error("ERR syntax error".into()));
        assert_eq!(cmd(&["list", "filterby", "aclcat"]), Frame::Error("ERR syntax error".into()));
    }

    #[test]
    fn docs_skip_unknown_names_and_prose() {
        let Frame::Map(m) = cmd(&["docs", "nope", "set"]) else { panic!() };
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, bulk("set"));
        let Frame::Map(fields) = &m[0].1 else { panic!() };
        let names: Vec<&Frame> = fields.iter().map(|(k, _)| k).collect();
        assert_eq!(names, vec![&bulk("since"), &bulk("group"), &bulk("arguments")]);
    }

    #[test]
    fn help_frames_the_lines_like_redis() {
        let Frame::Array(lines) = cmd(&["help"]) else { panic!() };
        assert_eq!(lines[0], simple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
        assert_eq!(lines[lines.len() - 2], simple("HELP"));
        assert_eq!(lines[lines.len() - 1], simple("    Prints this help."));
    }
}
