//! Which arguments of a command line are keys, as Redis 7.0 finds them.
//!
//! Redis prefers the key specs of the table; when a spec cannot locate its
//! keys (unknown or incomplete specs, counts that do not parse) or when the
//! flags depend on the arguments (SET's GET, BITFIELD's subcommands), it falls
//! back to a hand-written extractor per command. Both paths are reproduced here,
//! quirks included, because COMMAND GETKEYS and cluster routing expose them.
//!
//! Comparisons of option words use C-string semantics (an argument ends at its
//! first NUL byte), as Redis's `strcasecmp` and `atoi` do.

use bytes::Bytes;

use super::spec::{BeginSearch, CommandSpec, FindKeys, Flag, GetKeysFn, KeyFlag, KeySpecFlags};
use crate::errors::{self, RedisError};
use crate::num::parse_i64;

/// One key of a command line: its argv index (0 is the command name) and how
/// the command accesses it. The flags are empty where Redis's fallback
/// extractors leave them empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub pos: usize,
    pub flags: KeySpecFlags,
}

/// Whether the command can have keys at all (COMMAND GETKEYS refuses the others):
/// an extractor, or a key spec that finds real keys rather than channels.
pub fn has_keys(spec: &CommandSpec) -> bool {
    spec.get_keys_function.is_some() || spec.key_specs.iter().any(|k| !k.flags.contains(KeyFlag::NotKey))
}

/// The keys of `argv` (argv[0] is the command name, argv[1] the subcommand for
/// subcommands), like Redis's getKeysFromCommandWithSpecs. Never fails: a
/// command line whose keys cannot be found has none, and the command itself
/// reports the syntax error. Cluster routing uses this.
pub fn keys_of(spec: &CommandSpec, argv: &[Bytes]) -> Vec<KeyRef> {
    let real_keys = spec.key_specs.iter().any(|k| !k.flags.contains(KeyFlag::NotKey));
    let variable_flags = spec.key_specs.iter().any(|k| k.flags.contains(KeyFlag::VariableFlags));
    if real_keys && !variable_flags {
        if let Some(keys) = from_specs(spec, argv) {
            return keys;
        }
    }
    match spec.get_keys_function {
        Some(f) => from_function(f, argv),
        None => Vec::new(),
    }
}

/// The keys as COMMAND GETKEYS / GETKEYSANDFLAGS compute them, with their
/// errors: no key arguments, wrong argument count, and no keys found (unless
/// the command's keys are optional, as EVAL's are).
pub fn key_positions(spec: &CommandSpec, argv: &[Bytes]) -> Result<Vec<KeyRef>, RedisError> {
    if !has_keys(spec) {
        return Err(errors::NO_KEY_ARGUMENTS);
    }
    if !spec.arity_ok(argv.len()) {
        return Err(errors::INVALID_NUMBER_OF_ARGUMENTS);
    }
    let keys = keys_of(spec, argv);
    if keys.is_empty() && !spec.has(Flag::NoMandatoryKeys) {
        return Err(errors::INVALID_ARGUMENTS);
    }
    Ok(keys)
}

/// The key specs applied in order; None when one of them is unusable, which
/// sends Redis to the command's extractor.
fn from_specs(spec: &CommandSpec, argv: &[Bytes]) -> Option<Vec<KeyRef>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for ks in spec.key_specs {
        if ks.flags.contains(KeyFlag::NotKey) {
            continue;
        }
        let mut first: i64 = match ks.begin_search {
            BeginSearch::Index(pos) => i64::from(pos),
            BeginSearch::Keyword { keyword, startfrom } => {
                // A keyword that is absent just means this spec has no keys.
                match find_keyword(argv, keyword, i64::from(startfrom)) {
                    Some(after) => after,
                    None => continue,
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (last, step) = match ks.find_keys {
            FindKeys::Range { lastkey, keystep, limit } => {
                let (lastkey, limit) = (i64::from(lastkey), i64::from(limit));
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    // Only the first 1/limit of the remaining arguments are keys
                    // (XREAD's STREAMS k1 k2 id1 id2).
                    first + ((argc - first) / limit + lastkey)
                };
                (last, i64::from(keystep))
            }
            FindKeys::Keynum { keynumidx, firstkey, keystep } => {
                // Redis bounds-checks the relative index only; an absolute index
                // past argv (which Redis would read out of bounds) is unusable here.
                let idx = first + i64::from(keynumidx);
                if i64::from(keynumidx) >= argc || idx < 0 || idx >= argc {
                    return None;
                }
                let numkeys = parse_i64(&argv[idx as usize])?;
                if numkeys < 0 {
                    return None;
                }
                first += i64::from(firstkey);
                // Redis narrows the count to a C int, so 2^32+1 counts as 1.
                (first + i64::from(numkeys as i32) - 1, i64::from(keystep))
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || first < 0 || step <= 0 {
            return None;
        }
        let mut i = first;
        while i <= last {
            keys.push(KeyRef { pos: i as usize, flags: ks.flags });
            i += step;
        }
        if ks.flags.contains(KeyFlag::Incomplete) {
            return None;
        }
    }
    Some(keys)
}

/// The argv index just after `keyword`, searched forwards from `startfrom`
/// (or backwards from `argc + startfrom` when negative). As in Redis the
/// search stops before the last argument (forwards) or argv[1] (backwards).
fn find_keyword(argv: &[Bytes], keyword: &str, startfrom: i64) -> Option<i64> {
    let argc = argv.len() as i64;
    let (start, end) = if startfrom > 0 { (startfrom, argc - 1) } else { (argc + startfrom, 1) };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if c_eq(&argv[i as usize], keyword) {
            return Some(i + 1);
        }
        i = if start <= end { i + 1 } else { i - 1 };
    }
    None
}

const RO_ACCESS: KeySpecFlags = KeySpecFlags::of(&[KeyFlag::Ro, KeyFlag::Access]);
const OW_UPDATE: KeySpecFlags = KeySpecFlags::of(&[KeyFlag::Ow, KeyFlag::Update]);
const RW_ACCESS_UPDATE: KeySpecFlags = KeySpecFlags::of(&[KeyFlag::Rw, KeyFlag::Access, KeyFlag::Update]);
const RW_ACCESS_DELETE: KeySpecFlags = KeySpecFlags::of(&[KeyFlag::Rw, KeyFlag::Access, KeyFlag::Delete]);

fn key(pos: usize, flags: KeySpecFlags) -> KeyRef {
    KeyRef { pos, flags }
}

/// Redis's per-command extractors. Each one tolerates any argv (the table's
/// arity normally guarantees the positions they read).
fn from_function(f: GetKeysFn, argv: &[Bytes]) -> Vec<KeyRef> {
    match f {
        GetKeysFn::Sintercard | GetKeysFn::ZunionInterDiff | GetKeysFn::Lmpop | GetKeysFn::Zmpop => {
            counted_keys(None, 1, 2, argv)
        }
        GetKeysFn::ZunionInterDiffStore => counted_keys(Some(1), 2, 3, argv),
        GetKeysFn::Eval | GetKeysFn::Function | GetKeysFn::Blmpop => counted_keys(None, 2, 3, argv),
        GetKeysFn::SortRo if argv.len() > 1 => vec![key(1, RO_ACCESS)],
        GetKeysFn::SortRo => Vec::new(),
        GetKeysFn::Sort => sort_keys(argv),
        GetKeysFn::Migrate => migrate_keys(argv),
        GetKeysFn::Georadius => georadius_keys(argv),
        GetKeysFn::Xread => xread_keys(argv),
        GetKeysFn::Set => set_keys(argv),
        GetKeysFn::Bitfield => bitfield_keys(argv),
    }
}

/// `[dest] numkeys key...`: the count is read with C's lenient `atoi`, and a
/// count below 1 or beyond the arguments gives no keys. The destination comes
/// after the sources, and no flags are reported.
fn counted_keys(store: Option<usize>, count_at: usize, first: usize, argv: &[Bytes]) -> Vec<KeyRef> {
    let Some(count) = argv.get(count_at) else {
        return Vec::new();
    };
    let num = i64::from(c_atoi(count));
    let available = argv.len() as i64 - first as i64;
    if num < 1 || num > available {
        return Vec::new();
    }
    let mut keys: Vec<KeyRef> = (0..num as usize).map(|i| key(first + i, KeySpecFlags::EMPTY)).collect();
    if let Some(dest) = store {
        keys.push(key(dest, KeySpecFlags::EMPTY));
    }
    keys
}

/// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dest]:
/// the sorted key, plus the last STORE destination. Option arguments are
/// skipped so that a value spelled "store" is not taken for the option.
fn sort_keys(argv: &[Bytes]) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    let mut keys = vec![key(1, RO_ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if c_eq(a, "limit") {
            i += 2;
        } else if c_eq(a, "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        } else if c_eq(a, "get") || c_eq(a, "by") {
            i += 1;
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push(key(pos, OW_UPDATE));
    }
    keys
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 u pw] [KEYS k...]:
/// argv[3], or everything after KEYS when argv[3] is empty (KEYS with a
/// non-empty key is a syntax error, so no keys).
fn migrate_keys(argv: &[Bytes]) -> Vec<KeyRef> {
    let argc = argv.len();
    let (mut first, mut num) = (3usize, 1usize);
    if argc > 6 {
        let mut i = 6;
        while i < argc {
            let a = &argv[i];
            if c_eq(a, "keys") {
                if !argv[3].is_empty() {
                    num = 0;
                } else {
                    first = i + 1;
                    num = argc - first;
                }
                break;
            }
            if c_eq(a, "auth") {
                i += 1;
            } else if c_eq(a, "auth2") {
                i += 2;
            }
            i += 1;
        }
    }
    (first..first + num).filter(|&p| p < argc).map(|p| key(p, RW_ACCESS_DELETE)).collect()
}

/// GEORADIUS / GEORADIUSBYMEMBER: the source key and the last STORE or
/// STOREDIST destination, without flags.
fn georadius_keys(argv: &[Bytes]) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    let mut stored = None;
    let mut i = 5;
    while i < argv.len() {
        let a = &argv[i];
        if (c_eq(a, "store") || c_eq(a, "storedist")) && i + 1 < argv.len() {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![key(1, KeySpecFlags::EMPTY)];
    if let Some(pos) = stored {
        keys.push(key(pos, KeySpecFlags::EMPTY));
    }
    keys
}

/// XREAD / XREADGROUP: the first half of the arguments after the STREAMS
/// option (not just any word "streams": a group or consumer may be named so).
fn xread_keys(argv: &[Bytes]) -> Vec<KeyRef> {
    let argc = argv.len();
    let mut streams = None;
    let mut i = 1;
    while i < argc {
        let a = &argv[i];
        if c_eq(a, "block") || c_eq(a, "count") {
            i += 1;
        } else if c_eq(a, "group") {
            i += 2;
        } else if c_eq(a, "noack") {
        } else if c_eq(a, "streams") {
            streams = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(at) = streams else {
        return Vec::new();
    };
    let rest = argc - at - 1;
    if rest == 0 || rest & 1 == 1 {
        return Vec::new();
    }
    (at + 1..at + 1 + rest / 2).map(|p| key(p, KeySpecFlags::EMPTY)).collect()
}

/// SET reads the old value only with GET.
fn set_keys(argv: &[Bytes]) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    let get = argv.iter().skip(3).any(|a| c_eq(a, "get"));
    vec![key(1, if get { RW_ACCESS_UPDATE } else { OW_UPDATE })]
}

/// BITFIELD is read-only when it has only GET (and OVERFLOW) operations;
/// anything unexpected counts as a write, the safe side.
fn bitfield_keys(argv: &[Bytes]) -> Vec<KeyRef> {
    let argc = argv.len();
    if argc < 2 {
        return Vec::new();
    }
    let mut readonly = true;
    let mut i = 2;
    while i < argc {
        let remaining = argc - i - 1;
        let a = &argv[i];
        if c_eq(a, "get") && remaining >= 2 {
            i += 2;
        } else if (c_eq(a, "set") || c_eq(a, "incrby")) && remaining >= 3 {
            readonly = false;
            break;
        } else if c_eq(a, "overflow") && remaining >= 1 {
            i += 1;
        } else {
            readonly = false;
            break;
        }
        i += 1;
    }
    let flags = if readonly { RO_ACCESS } else { RW_ACCESS_UPDATE };
    vec![key(1, flags)]
}

/// The bytes C sees: up to the first NUL.
pub(crate) fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// `strcasecmp(arg, word) == 0` on a C string.
pub(crate) fn c_eq(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// C's `atoi` as glibc implements it (`(int) strtol(s, NULL, 10)`): leading
/// white space, an optional sign, digits up to the first non-digit; the long
/// saturates on overflow and is then narrowed to an int.
fn c_atoi(b: &[u8]) -> i32 {
    let s = c_str(b);
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    let mut saturated = false;
    while let Some(d) = s.get(i).filter(|d| d.is_ascii_digit()) {
        let digit = i64::from(d - b'0');
        if !saturated {
            let next =
                v.checked_mul(10).and_then(|x| if negative { x.checked_sub(digit) } else { x.checked_add(digit) });
            match next {
                Some(n) => v = n,
                None => {
                    v = if negative { i64::MIN } else { i64::MAX };
                    saturated = true;
                }
            }
        }
        i += 1;
    }
    v as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::lookup_argv;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    /// (position, flag names) for a command line, through the GETKEYS checks.
    fn keys(words: &[&str]) -> Result<Vec<(usize, Vec<&'static str>)>, String> {
        let a = argv(words);
        let spec = lookup_argv(&a).expect("known command");
        key_positions(spec, &a)
            .map(|ks| ks.iter().map(|k| (k.pos, k.flags.iter().map(KeyFlag::reply_name).collect())).collect())
            .map_err(|e| e.text().to_string())
    }

    #[test]
    fn atoi_is_lenient_like_c() {
        assert_eq!(c_atoi(b"12abc"), 12);
        assert_eq!(c_atoi(b"  -3"), -3);
        assert_eq!(c_atoi(b"+7"), 7);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b""), 0);
        assert_eq!(c_atoi(b"4294967297"), 1);
        assert_eq!(c_atoi(b"99999999999999999999999"), -1);
        assert_eq!(c_atoi(b"-99999999999999999999999"), 0);
        assert_eq!(c_atoi(b"5\x009"), 5);
    }

    #[test]
    fn range_specs() {
        assert_eq!(keys(&["get", "k"]), Ok(vec![(1, vec!["RO", "access"])]));
        assert_eq!(keys(&["mset", "a", "1", "b", "2"]).map(|v| v.len()), Ok(2));
        assert_eq!(keys(&["mset", "a", "1", "b", "2"]).unwrap()[1].0, 3);
        let smove = keys(&["smove", "s", "d", "m"]).unwrap();
        assert_eq!(smove[0], (1, vec!["RW", "access", "delete"]));
        assert_eq!(smove[1], (2, vec!["RW", "insert"]));
        // XREAD: only the first half after STREAMS are keys.
        assert_eq!(keys(&["xread", "streams", "a", "b", "1", "2"]).unwrap().len(), 2);
    }

    #[test]
    fn keynum_specs_and_fallbacks() {
        assert_eq!(keys(&["eval", "s", "0"]), Ok(vec![]));
        assert_eq!(keys(&["eval", "s", "2", "a"]), Ok(vec![]));
        assert_eq!(keys(&["eval", "s", "4294967297", "a"]), Ok(vec![(3, vec!["RW", "access", "update"])]));
        assert_eq!(keys(&["zunionstore", "d", "0", "a"]), Err("ERR Invalid arguments specified for command".into()));
        // "01" is not an integer to the key spec, but atoi reads it: flags vanish
        // and the destination moves to the end.
        assert_eq!(keys(&["zunionstore", "d", "01", "a"]), Ok(vec![(3, vec![]), (1, vec![])]));
    }

    #[test]
    fn extractor_commands() {
        assert_eq!(keys(&["set", "k", "v", "GET"]), Ok(vec![(1, vec!["RW", "access", "update"])]));
        assert_eq!(keys(&["set", "k", "v", "EX", "1"]), Ok(vec![(1, vec!["OW", "update"])]));
        assert_eq!(keys(&["bitfield", "k", "get", "u8", "0"]), Ok(vec![(1, vec!["RO", "access"])]));
        assert_eq!(keys(&["bitfield", "k", "set", "u8", "0", "1"]).unwrap()[0].1, vec!["RW", "access", "update"]);
        assert_eq!(
            keys(&["sort", "k", "by", "store", "store", "d"]),
            Ok(vec![(1, vec!["RO", "access"]), (5, vec!["OW", "update"])])
        );
        assert_eq!(
            keys(&["migrate", "h", "1", "", "0", "5", "auth", "keys", "keys", "a"]),
            Ok(vec![(9, vec!["RW", "access", "delete"])])
        );
        assert_eq!(
            keys(&["migrate", "h", "1", "k", "0", "5", "keys", "a"]),
            Err("ERR Invalid arguments specified for command".into())
        );
    }

    #[test]
    fn getkeys_errors() {
        assert_eq!(keys(&["ping"]), Err("ERR The command has no key arguments".into()));
        assert_eq!(keys(&["spublish", "c", "m"]), Err("ERR The command has no key arguments".into()));
        assert_eq!(keys(&["get", "a", "b"]), Err("ERR Invalid number of arguments specified for command".into()));
    }

    #[test]
    fn extractors_never_panic_on_short_argv() {
        let fns = [
            GetKeysFn::Sort,
            GetKeysFn::SortRo,
            GetKeysFn::Migrate,
            GetKeysFn::Georadius,
            GetKeysFn::Xread,
            GetKeysFn::Set,
            GetKeysFn::Bitfield,
            GetKeysFn::ZunionInterDiff,
            GetKeysFn::ZunionInterDiffStore,
            GetKeysFn::Eval,
            GetKeysFn::Function,
            GetKeysFn::Lmpop,
            GetKeysFn::Blmpop,
            GetKeysFn::Zmpop,
            GetKeysFn::Sintercard,
        ];
        let words = ["x", "keys", "", "streams", "3", "store", "get", "limit", "auth2"];
        for f in fns {
            for n in 0..8 {
                for w in words {
                    let a: Vec<Bytes> = (0..n).map(|_| Bytes::copy_from_slice(w.as_bytes())).collect();
                    for k in from_function(f, &a) {
                        assert!(k.pos < a.len(), "{f:?} {n} {w}");
                    }
                }
            }
        }
        for c in crate::table::all().iter().chain(crate::table::all().iter().flat_map(|c| c.subcommands)) {
            for n in 0..6 {
                let a: Vec<Bytes> = (0..n).map(|_| Bytes::from_static(b"1")).collect();
                for k in keys_of(c, &a) {
                    assert!(k.pos < a.len());
                }
            }
        }
    }
}
