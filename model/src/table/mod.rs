//! The Redis 7.0 command table, generated from `../shared/redis-7.0-commands`
//! by `model/codegen/command_table.rs` (see `generated.rs` for how to regenerate).
//!
//! - [`resolve`]: argv to command, with Redis's unknown-command and arity errors.
//! - [`keys`]: which arguments are keys (COMMAND GETKEYS, cluster slots).
//! - [`introspect`]: the COMMAND command.

pub mod introspect;
pub mod keys;
pub mod spec;

// Generated and compared byte for byte by a test: rustfmt must not touch it.
#[rustfmt::skip]
mod generated;

pub use spec::{
    AclCategories, AclCategory, Arg, ArgType, BeginSearch, CommandSpec, DocFlag, DocFlags, FindKeys, Flag, Flags,
    GetKeysFn, KeyFlag, KeySpec, KeySpecFlags, LegacyRange,
};

use crate::errors::{self, RedisResult};
use bytes::Bytes;
use std::sync::OnceLock;

pub use generated::SPEC_COUNT;

/// Longer than any command or subcommand name; longer inputs cannot match, so
/// lookups can lower-case into a stack buffer instead of allocating.
const MAX_NAME: usize = 32;

/// Every top-level command, sorted by name (240 of them).
pub fn all() -> &'static [CommandSpec] {
    &generated::COMMANDS
}

/// The top-level command called `name`, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; MAX_NAME];
    let lower = lowercase(name, &mut buf)?;
    name_index().find(lower)
}

/// The subcommand `sub` of `container`, case-insensitively (None for plain commands).
pub fn lookup_sub(container: &'static CommandSpec, sub: &[u8]) -> Option<&'static CommandSpec> {
    find_in(container.subcommands, sub)
}

/// A command by the name COMMAND INFO and COMMAND DOCS accept: `get`, `client`
/// or `client|kill`. As in Redis the lookup is strict: `get|x` and
/// `client|kill|x` name nothing.
pub fn lookup_fullname(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut parts = name.splitn(3, |&b| b == b'|');
    let base = lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) => lookup_sub(base, sub),
        (Some(_), Some(_)) => None,
    }
}

/// The command argv names, without checking arity: argv[1] is looked up as a
/// subcommand when argv[0] is a container and there is an argv[1].
pub fn lookup_argv(argv: &[Bytes]) -> Option<&'static CommandSpec> {
    let base = lookup(argv.first()?)?;
    match argv.get(1) {
        Some(sub) if base.is_container() => lookup_sub(base, sub),
        _ => Some(base),
    }
}

/// Finds the command (or subcommand) `argv` names and checks its arity, with
/// Redis's errors: unknown command, unknown subcommand, wrong number of arguments.
///
/// The order is Redis 7.0's processCommand: existence first, then arity. A
/// container alone (`CLIENT`) resolves to the container, whose arity then fails.
pub fn resolve(argv: &[Bytes]) -> RedisResult<&'static CommandSpec> {
    let Some(spec) = lookup_argv(argv) else {
        return Err(match (argv.first(), argv.get(1)) {
            (Some(name), Some(sub)) if lookup(name).is_some_and(CommandSpec::is_container) => {
                errors::unknown_subcommand(&String::from_utf8_lossy(name), sub)
            }
            _ => errors::unknown_command(argv),
        });
    };
    if spec.arity_ok(argv.len()) {
        Ok(spec)
    } else {
        Err(errors::wrong_arity(spec.fullname))
    }
}

/// Binary search on the lower-cased name; the tables are sorted by byte order.
fn find_in(table: &'static [CommandSpec], name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; MAX_NAME];
    let lower = lowercase(name, &mut buf)?;
    table.binary_search_by(|c| c.name.as_bytes().cmp(lower)).ok().map(|i| &table[i])
}

/// `name` lower-cased into `buf`; None when it is too long to name anything.
fn lowercase<'a>(name: &[u8], buf: &'a mut [u8; MAX_NAME]) -> Option<&'a [u8]> {
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    Some(lower)
}

/// The top-level names in an open-addressing hash table, built on first use.
/// Every request looks its command up here: a binary search over 240 names
/// costs eight string comparisons, this one hash and usually one comparison.
/// The hash is FNV-1a, so the table is the same on every run.
struct NameIndex {
    /// Index into [`all`] plus one; 0 is an empty slot.
    slots: [u16; NAME_SLOTS],
}

/// A power of two, about four times the number of commands.
const NAME_SLOTS: usize = 1024;

fn name_index() -> &'static NameIndex {
    static INDEX: OnceLock<NameIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut slots = [0u16; NAME_SLOTS];
        for (i, spec) in all().iter().enumerate() {
            let mut at = name_hash(spec.name.as_bytes());
            while slots[at] != 0 {
                at = (at + 1) % NAME_SLOTS;
            }
            slots[at] = (i + 1) as u16;
        }
        NameIndex { slots }
    })
}

impl NameIndex {
    fn find(&self, lower: &[u8]) -> Option<&'static CommandSpec> {
        let mut at = name_hash(lower);
        loop {
            let spec = &all()[usize::from(self.slots[at]).checked_sub(1)?];
            if spec.name.as_bytes() == lower {
                return Some(spec);
            }
            at = (at + 1) % NAME_SLOTS;
        }
    }
}

fn name_hash(name: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for &b in name {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as usize % NAME_SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    fn err(words: &[&str]) -> String {
        match resolve(&argv(words)) {
            Ok(spec) => panic!("{words:?} resolved to {}", spec.fullname),
            Err(e) => e.text().to_string(),
        }
    }

    #[test]
    fn tables_are_sorted_so_binary_search_works() {
        let sorted = |t: &[CommandSpec]| t.windows(2).all(|w| w[0].name < w[1].name);
        assert!(sorted(all()));
        for c in all() {
            assert!(sorted(c.subcommands), "{}", c.name);
            for s in c.subcommands {
                assert_eq!(s.container, Some(c.name));
                assert_eq!(s.fullname, format!("{}|{}", c.name, s.name));
            }
        }
        assert!(all().iter().chain(all().iter().flat_map(|c| c.subcommands)).all(|c| c.name.len() <= MAX_NAME));
    }

    #[test]
    fn ids_number_every_spec_once() {
        let mut seen = vec![false; SPEC_COUNT];
        for spec in all().iter().chain(all().iter().flat_map(|c| c.subcommands)) {
            assert!(!std::mem::replace(&mut seen[usize::from(spec.id)], true), "{} shares its id", spec.fullname);
        }
        assert!(seen.iter().all(|&s| s), "an id below SPEC_COUNT names nothing");
    }

    #[test]
    fn name_index_finds_every_command() {
        for spec in all() {
            let upper = spec.name.to_ascii_uppercase();
            assert_eq!(lookup(upper.as_bytes()).map(|c| c.id), Some(spec.id), "{}", spec.name);
            let mut near = spec.name.as_bytes().to_vec();
            near.push(b'x');
            assert!(lookup(&near).is_none_or(|c| c.name.as_bytes() == near.as_slice()));
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup(b"GeT").map(|c| c.fullname), Some("get"));
        assert_eq!(lookup(b"get_").map(|c| c.name), None);
        assert_eq!(lookup(b"").map(|c| c.name), None);
        assert_eq!(lookup(&[b'a'; 100]).map(|c| c.name), None);
        let client = lookup(b"client").unwrap();
        assert_eq!(lookup_sub(client, b"KILL").map(|c| c.fullname), Some("client|kill"));
        assert_eq!(lookup_fullname(b"CLIENT|Kill").map(|c| c.fullname), Some("client|kill"));
        assert_eq!(lookup_fullname(b"client").map(|c| c.fullname), Some("client"));
        assert!(lookup_fullname(b"get|x").is_none());
        assert!(lookup_fullname(b"client|kill|x").is_none());
        assert!(lookup_fullname(b"").is_none());
        assert!(lookup_fullname(b"client|").is_none());
    }

    #[test]
    fn resolve_finds_commands_and_subcommands() {
        assert_eq!(resolve(&argv(&["get", "k"])).unwrap().fullname, "get");
        assert_eq!(resolve(&argv(&["CLIENT", "kill", "x"])).unwrap().fullname, "client|kill");
        assert_eq!(resolve(&argv(&["object", "ENCODING", "k"])).unwrap().fullname, "object|encoding");
        // Plain commands ignore what argv[1] looks like.
        assert_eq!(resolve(&argv(&["set", "kill", "v"])).unwrap().fullname, "set");
    }

    #[test]
    fn resolve_errors_in_redis_order() {
        assert_eq!(err(&["get"]), "ERR wrong number of arguments for 'get' command");
        assert_eq!(err(&["get", "a", "b"]), "ERR wrong number of arguments for 'get' command");
        assert_eq!(err(&["client"]), "ERR wrong number of arguments for 'client' command");
        assert_eq!(err(&["client", "kill"]), "ERR wrong number of arguments for 'client|kill' command");
        assert_eq!(err(&["Client", "nope"]), "ERR unknown subcommand 'nope'. Try CLIENT HELP.");
        assert_eq!(err(&["nope", "a", "b"]), "ERR unknown command 'nope', with args beginning with: 'a' 'b' ");
        assert_eq!(err(&[]), "ERR unknown command '', with args beginning with: ");
    }
}
