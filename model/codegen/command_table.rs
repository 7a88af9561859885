//! Generator of `model/src/table/generated.rs` from Redis 7.0's command JSON files.
//!
//! Not part of the library: `model/tests/command_table.rs` includes this file,
//! regenerates the table in memory and compares it with the committed one
//! (`REDSIM_BLESS=1` rewrites it). Only facts are carried over: names, arity,
//! flags, ACL categories, key specs, the argument grammar, tips, groups and
//! versions. Prose (summaries, complexity, history, notes, replaced_by) is
//! dropped on purpose.
//!
//! Besides copying, the generator derives what Redis derives when it loads its
//! table, so the library needs no start-up pass: the implicit ACL categories,
//! the legacy (first, last, step) key range and the `movablekeys` flag.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use redsim_model::table::spec::{AclCategory, ArgType, DocFlag, Flag, GetKeysFn, KeyFlag};
use serde_json::{Map, Value};

/// Where the committed table lives, relative to the model crate.
pub const GENERATED_PATH: &str = "src/table/generated.rs";

/// The spec directory: `$REDSIM_COMMAND_SPECS`, else `shared/redis-7.0-commands`
/// beside the repository.
pub fn spec_dir() -> PathBuf {
    match std::env::var_os("REDSIM_COMMAND_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/redis-7.0-commands"),
    }
}

/// One command or subcommand as read from its JSON file, normalized.
#[derive(Clone, Debug)]
pub struct Cmd {
    /// Lower case.
    pub name: String,
    /// `container|name` for subcommands.
    pub fullname: String,
    pub container: Option<String>,
    /// Redis's reply spelling (`sorted-set`, not the JSON's `sorted_set`).
    pub group: String,
    pub since: String,
    pub arity: i32,
    /// As declared in the JSON.
    pub declared_flags: Vec<Flag>,
    /// As declared in the JSON.
    pub declared_acl: Vec<AclCategory>,
    pub key_specs: Vec<Spec>,
    pub arguments: Vec<ArgDef>,
    /// Lower case.
    pub tips: Vec<String>,
    pub doc_flags: Vec<DocFlag>,
    pub deprecated_since: Option<String>,
    pub get_keys_function: Option<GetKeysFn>,
    /// Sorted by name.
    pub subcommands: Vec<Cmd>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub flags: Vec<KeyFlag>,
    pub begin: Begin,
    pub find: Find,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Begin {
    Index(i32),
    Keyword(String, i32),
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Find {
    Range { lastkey: i32, keystep: i32, limit: i32 },
    Keynum { keynumidx: i32, firstkey: i32, keystep: i32 },
    Unknown,
}

#[derive(Clone, Debug)]
pub struct ArgDef {
    pub name: String,
    pub kind: ArgType,
    pub key_spec_index: Option<u32>,
    /// Upper case, as Redis reports tokens.
    pub token: Option<String>,
    pub since: Option<String>,
    pub deprecated_since: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    pub arguments: Vec<ArgDef>,
}

/// Reads every command file in `dir` (Sentinel-mode files excluded) and
/// returns the top-level commands sorted by name, subcommands attached.
pub fn load(dir: &Path) -> Result<Vec<Cmd>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read the command spec directory {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if file.ends_with(".json") && !file.starts_with("sentinel") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("no command JSON files in {}", dir.display()));
    }

    let mut top: BTreeMap<String, Cmd> = BTreeMap::new();
    let mut subs: BTreeMap<String, Vec<Cmd>> = BTreeMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let obj = doc.as_object().ok_or_else(|| format!("{}: not an object", path.display()))?;
        for (name, body) in obj {
            let cmd = parse_command(name, body).map_err(|e| format!("{}: {e}", path.display()))?;
            match &cmd.container {
                Some(c) => subs.entry(c.clone()).or_default().push(cmd),
                None => {
                    if top.insert(cmd.name.clone(), cmd).is_some() {
                        return Err(format!("{}: duplicate command {name}", path.display()));
                    }
                }
            }
        }
    }
    for (container, mut list) in subs {
        let parent = top.get_mut(&container).ok_or_else(|| format!("subcommands of unknown container {container}"))?;
        list.sort_by(|a, b| a.name.cmp(&b.name));
        if list.windows(2).any(|w| w[0].name == w[1].name) {
            return Err(format!("duplicate subcommand of {container}"));
        }
        parent.subcommands = list;
    }
    Ok(top.into_values().collect())
}

fn parse_command(json_name: &str, body: &Value) -> Result<Cmd, String> {
    let o = body.as_object().ok_or_else(|| format!("{json_name}: not an object"))?;
    const KNOWN: &[&str] = &[
        "summary",
        "complexity",
        "group",
        "since",
        "arity",
        "function",
        "command_flags",
        "acl_categories",
        "key_specs",
        "arguments",
        "container",
        "command_tips",
        "history",
        "get_keys_function",
        "doc_flags",
        "deprecated_since",
        "replaced_by",
    ];
    if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("{json_name}: unexpected field {k}"));
    }
    let name = json_name.to_ascii_lowercase();
    let container = o.get("container").map(|c| str_of(c, "container")).transpose()?;
    let container = container.map(|c| c.to_ascii_lowercase());
    let fullname = match &container {
        Some(c) => format!("{c}|{name}"),
        None => name.clone(),
    };
    let group = str_of(req(o, "group")?, "group")?.replace('_', "-");
    let since = str_of(req(o, "since")?, "since")?;
    let arity = int_of(req(o, "arity")?, "arity")?;

    let declared_flags = names(o, "command_flags")?
        .iter()
        .map(|f| Flag::from_spec_name(f).ok_or_else(|| format!("{json_name}: unknown flag {f}")))
        .collect::<Result<Vec<_>, _>>()?;
    let declared_acl = names(o, "acl_categories")?
        .iter()
        .map(|c| AclCategory::from_spec_name(c).ok_or_else(|| format!("{json_name}: unknown ACL category {c}")))
        .collect::<Result<Vec<_>, _>>()?;
    let doc_flags = names(o, "doc_flags")?
        .iter()
        .map(|f| DocFlag::from_spec_name(f).ok_or_else(|| format!("{json_name}: unknown doc flag {f}")))
        .collect::<Result<Vec<_>, _>>()?;
    let tips = names(o, "command_tips")?.iter().map(|t| t.to_ascii_lowercase()).collect();
    let key_specs = match o.get("key_specs") {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .ok_or("key_specs: not an array")?
            .iter()
            .map(parse_key_spec)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{json_name}: {e}"))?,
    };
    let arguments = match o.get("arguments") {
        None => Vec::new(),
        Some(v) => parse_args(v).map_err(|e| format!("{json_name}: {e}"))?,
    };
    check_key_spec_refs(&arguments, key_specs.len()).map_err(|e| format!("{json_name}: {e}"))?;
    let get_keys_function = match o.get("get_keys_function") {
        None => None,
        Some(v) => {
            let f = str_of(v, "get_keys_function")?;
            Some(GetKeysFn::from_spec_name(&f).ok_or_else(|| format!("{json_name}: unknown get_keys_function {f}"))?)
        }
    };
    let deprecated_since = o.get("deprecated_since").map(|v| str_of(v, "deprecated_since")).transpose()?;
    Ok(Cmd {
        name,
        fullname,
        container,
        group,
        since,
        arity,
        declared_flags,
        declared_acl,
        key_specs,
        arguments,
        tips,
        doc_flags,
        deprecated_since,
        get_keys_function,
        subcommands: Vec::new(),
    })
}

fn parse_key_spec(v: &Value) -> Result<Spec, String> {
    let o = v.as_object().ok_or("key spec: not an object")?;
    let flags = names(o, "flags")?
        .iter()
        .map(|f| KeyFlag::from_spec_name(f).ok_or_else(|| format!("unknown key spec flag {f}")))
        .collect::<Result<Vec<_>, _>>()?;
    let bs = req(o, "begin_search")?.as_object().ok_or("begin_search: not an object")?;
    let begin = if let Some(i) = bs.get("index") {
        Begin::Index(int_of(field(i, "pos")?, "pos")?)
    } else if let Some(k) = bs.get("keyword") {
        Begin::Keyword(str_of(field(k, "keyword")?, "keyword")?, int_of(field(k, "startfrom")?, "startfrom")?)
    } else if bs.contains_key("unknown") {
        Begin::Unknown
    } else {
        return Err("begin_search: unknown type".into());
    };
    let fk = req(o, "find_keys")?.as_object().ok_or("find_keys: not an object")?;
    let find = if let Some(r) = fk.get("range") {
        Find::Range {
            lastkey: int_of(field(r, "lastkey")?, "lastkey")?,
            keystep: int_of(field(r, "step")?, "step")?,
            limit: int_of(field(r, "limit")?, "limit")?,
        }
    } else if let Some(k) = fk.get("keynum") {
        Find::Keynum {
            keynumidx: int_of(field(k, "keynumidx")?, "keynumidx")?,
            firstkey: int_of(field(k, "firstkey")?, "firstkey")?,
            keystep: int_of(field(k, "step")?, "step")?,
        }
    } else if fk.contains_key("unknown") {
        Find::Unknown
    } else {
        return Err("find_keys: unknown type".into());
    };
    Ok(Spec { flags, begin, find })
}

fn parse_args(v: &Value) -> Result<Vec<ArgDef>, String> {
    let list = v.as_array().ok_or("arguments: not an array")?;
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let o = a.as_object().ok_or("argument: not an object")?;
        const KNOWN: &[&str] = &[
            "name",
            "type",
            "key_spec_index",
            "token",
            "optional",
            "multiple",
            "multiple_token",
            "since",
            "deprecated_since",
            "arguments",
            "summary",
            "display",
        ];
        if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("argument: unexpected field {k}"));
        }
        // Redis reports argument names in lower case (`id`, not the JSON's `ID`).
        let name = str_of(req(o, "name")?, "name")?.to_ascii_lowercase();
        let type_name = str_of(req(o, "type")?, "type")?;
        let kind =
            ArgType::from_name(&type_name).ok_or_else(|| format!("argument {name}: unknown type {type_name}"))?;
        let key_spec_index = match o.get("key_spec_index") {
            None => None,
            Some(v) => Some(
                u32::try_from(int_of(v, "key_spec_index")?)
                    .map_err(|_| format!("argument {name}: negative key_spec_index"))?,
            ),
        };
        let token = o.get("token").map(|t| str_of(t, "token")).transpose()?;
        // Redis's own generator pastes the token between C quotes and upper-cases
        // it, so MIGRATE's token `""` (two quote characters) becomes the empty string.
        let token = token.map(|t| if t == "\"\"" { String::new() } else { t.to_ascii_uppercase() });
        let flag = |k: &str| -> Result<bool, String> {
            match o.get(k) {
                None => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(format!("argument {name}: {k} is not a boolean")),
            }
        };
        let arguments = match o.get("arguments") {
            None => Vec::new(),
            Some(v) => parse_args(v)?,
        };
        let has_children = matches!(kind, ArgType::Oneof | ArgType::Block);
        if has_children == arguments.is_empty() {
            return Err(format!("argument {name}: sub-arguments do not fit its type"));
        }
        if kind == ArgType::PureToken && token.is_none() {
            return Err(format!("argument {name}: pure-token without token"));
        }
        if kind == ArgType::Key && key_spec_index.is_none() {
            return Err(format!("argument {name}: key without key_spec_index"));
        }
        out.push(ArgDef {
            name: name.clone(),
            kind,
            key_spec_index,
            token,
            since: o.get("since").map(|v| str_of(v, "since")).transpose()?,
            deprecated_since: o.get("deprecated_since").map(|v| str_of(v, "deprecated_since")).transpose()?,
            optional: flag("optional")?,
            multiple: flag("multiple")?,
            multiple_token: flag("multiple_token")?,
            arguments,
        });
    }
    Ok(out)
}

fn check_key_spec_refs(args: &[ArgDef], n: usize) -> Result<(), String> {
    for a in args {
        if let Some(i) = a.key_spec_index {
            if i as usize >= n {
                return Err(format!("argument {} points at missing key spec {i}", a.name));
            }
        }
        check_key_spec_refs(&a.arguments, n)?;
    }
    Ok(())
}

fn req<'a>(o: &'a Map<String, Value>, k: &str) -> Result<&'a Value, String> {
    o.get(k).ok_or_else(|| format!("missing field {k}"))
}

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a Value, String> {
    v.get(k).ok_or_else(|| format!("missing field {k}"))
}

fn str_of(v: &Value, what: &str) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| format!("{what}: not a string"))
}

fn int_of(v: &Value, what: &str) -> Result<i32, String> {
    v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(|| format!("{what}: not a 32-bit integer"))
}

fn names(o: &Map<String, Value>, k: &str) -> Result<Vec<String>, String> {
    match o.get(k) {
        None => Ok(Vec::new()),
        Some(v) => v.as_array().ok_or_else(|| format!("{k}: not an array"))?.iter().map(|x| str_of(x, k)).collect(),
    }
}

// ---- what Redis derives when it loads the table ----

/// Redis adds categories implied by the flags: `@write`, `@read` (except for
/// scripting commands), `@admin`+`@dangerous`, `@pubsub`, `@fast`,
/// `@blocking`, and `@slow` for whatever is not `@fast`.
pub fn effective_acl(cmd: &Cmd) -> Vec<AclCategory> {
    let mut set: Vec<AclCategory> = cmd.declared_acl.clone();
    let has = |f: Flag| cmd.declared_flags.contains(&f);
    let add = |c: AclCategory, set: &mut Vec<AclCategory>| {
        if !set.contains(&c) {
            set.push(c);
        }
    };
    if has(Flag::Write) {
        add(AclCategory::Write, &mut set);
    }
    if has(Flag::Readonly) && !set.contains(&AclCategory::Scripting) {
        add(AclCategory::Read, &mut set);
    }
    if has(Flag::Admin) {
        add(AclCategory::Admin, &mut set);
        add(AclCategory::Dangerous, &mut set);
    }
    if has(Flag::Pubsub) {
        add(AclCategory::Pubsub, &mut set);
    }
    if has(Flag::Fast) {
        add(AclCategory::Fast, &mut set);
    }
    if has(Flag::Blocking) {
        add(AclCategory::Blocking, &mut set);
    }
    if !set.contains(&AclCategory::Fast) {
        add(AclCategory::Slow, &mut set);
    }
    set.sort();
    set
}

/// The legacy (first, last, step) triple and whether the command has movable
/// keys, following Redis 7.0's gluing of consecutive plain range specs: a
/// single index+range spec is taken as is; otherwise only ascending,
/// contiguous, step-1 index+range specs are glued, and anything else
/// (keyword or keynum specs, gaps, incomplete specs) makes the keys movable.
pub fn legacy_range(specs: &[Spec]) -> ((i32, i32, i32), bool) {
    if specs.is_empty() {
        return ((0, 0, 0), false);
    }
    let incomplete = |s: &Spec| s.flags.contains(&KeyFlag::Incomplete);
    if let [s] = specs {
        if let (Begin::Index(pos), Find::Range { lastkey, keystep, .. }) = (&s.begin, &s.find) {
            let last = if *lastkey >= 0 { pos + lastkey } else { *lastkey };
            return ((*pos, last, *keystep), incomplete(s));
        }
    }
    let mut movable = false;
    let mut first = i32::MAX;
    // Redis compares lastkey as unsigned so that a negative (from-the-end)
    // lastkey wins over any positive one.
    let mut last: i32 = 0;
    let mut prev_last: i32 = 0;
    for s in specs {
        let (pos, lastkey, keystep) = match (&s.begin, &s.find) {
            (Begin::Index(pos), Find::Range { lastkey, keystep, .. }) => (*pos, *lastkey, *keystep),
            _ => {
                movable = true;
                continue;
            }
        };
        if keystep != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        if incomplete(s) {
            movable = true;
        }
        first = first.min(pos);
        let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
        last = if (last as u32) >= (abs as u32) { last } else { abs };
        prev_last = last;
    }
    if first == i32::MAX {
        return ((0, 0, 0), true);
    }
    ((first, last, 1), movable)
}

/// The flags Redis holds at run time: declared ones plus `movablekeys`.
pub fn effective_flags(cmd: &Cmd) -> Vec<Flag> {
    let mut flags = cmd.declared_flags.clone();
    let (_, movable) = legacy_range(&cmd.key_specs);
    if movable && !flags.contains(&Flag::MovableKeys) {
        flags.push(Flag::MovableKeys);
    }
    flags.sort();
    flags
}

// ---- emitting Rust ----

const WIDTH: usize = 100;

/// The complete text of `generated.rs`.
pub fn generate(dir: &Path) -> Result<String, String> {
    let cmds = load(dir)?;
    let mut out = String::new();
    out.push_str(
        "// @generated by model/codegen/command_table.rs from the Redis 7.0 command\n\
         // specifications (shared/redis-7.0-commands). Do not edit by hand.\n\
         // Regenerate: REDSIM_BLESS=1 cargo test -p redsim-model --test command_table\n\
         //\n\
         // Facts only: prose from the specifications (summaries, complexity,\n\
         // history, notes) is left out. Flags and ACL categories include what Redis\n\
         // derives at start-up (movablekeys, implicit categories).\n\n\
         use super::spec::*;\n\n",
    );
    let _ = writeln!(out, "/// Every top-level command, sorted by name.");
    let _ = writeln!(out, "pub(super) static COMMANDS: [CommandSpec; {}] = [", cmds.len());
    // Ids number top-level commands first, then each container's subcommands.
    let mut id = 0;
    for c in &cmds {
        emit_command(&mut out, c, 1, &mut id);
    }
    out.push_str("];\n");
    for c in &cmds {
        if c.subcommands.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n/// The subcommands of {}, sorted by name.", c.name.to_ascii_uppercase());
        let _ = writeln!(out, "static {}: [CommandSpec; {}] = [", subcommands_static(&c.name), c.subcommands.len());
        for s in &c.subcommands {
            emit_command(&mut out, s, 1, &mut id);
        }
        out.push_str("];\n");
    }
    let _ = writeln!(out, "\n/// How many commands and subcommands there are: one more than the largest id.");
    let _ = writeln!(out, "pub const SPEC_COUNT: usize = {id};");
    Ok(out)
}

fn subcommands_static(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    s.push_str("_SUBCOMMANDS");
    s
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn emit_command(out: &mut String, c: &Cmd, level: usize, id: &mut usize) {
    let ind = "    ".repeat(level);
    let f = format!("{ind}    ");
    let _ = writeln!(out, "{ind}CommandSpec {{");
    let _ = writeln!(out, "{f}id: {id},");
    *id += 1;
    let _ = writeln!(out, "{f}name: {},", quote(&c.name));
    let _ = writeln!(out, "{f}fullname: {},", quote(&c.fullname));
    if let Some(ct) = &c.container {
        let _ = writeln!(out, "{f}container: Some({}),", quote(ct));
    }
    let _ = writeln!(out, "{f}group: {},", quote(&c.group));
    let _ = writeln!(out, "{f}since: {},", quote(&c.since));
    let _ = writeln!(out, "{f}arity: {},", c.arity);
    let flags = effective_flags(c);
    if !flags.is_empty() {
        let items: Vec<String> = flags.iter().map(|x| format!("Flag::{x:?}")).collect();
        emit_list_field(out, &f, "flags", "Flags::of(&[", &items, "])");
    }
    let acl: Vec<String> = effective_acl(c).iter().map(|x| format!("AclCategory::{x:?}")).collect();
    emit_list_field(out, &f, "acl_categories", "AclCategories::of(&[", &acl, "])");
    let ((first, last, step), _) = legacy_range(&c.key_specs);
    if (first, last, step) != (0, 0, 0) {
        let _ = writeln!(out, "{f}legacy_range: LegacyRange {{ first: {first}, last: {last}, step: {step} }},");
    }
    if !c.key_specs.is_empty() {
        let _ = writeln!(out, "{f}key_specs: &[");
        for s in &c.key_specs {
            emit_key_spec(out, s, level + 2);
        }
        let _ = writeln!(out, "{f}],");
    }
    if !c.arguments.is_empty() {
        let _ = writeln!(out, "{f}arguments: &[");
        for a in &c.arguments {
            emit_arg(out, a, level + 2);
        }
        let _ = writeln!(out, "{f}],");
    }
    if !c.tips.is_empty() {
        let items: Vec<String> = c.tips.iter().map(|t| quote(t)).collect();
        emit_list_field(out, &f, "tips", "&[", &items, "]");
    }
    if !c.doc_flags.is_empty() {
        let items: Vec<String> = c.doc_flags.iter().map(|x| format!("DocFlag::{x:?}")).collect();
        emit_list_field(out, &f, "doc_flags", "DocFlags::of(&[", &items, "])");
    }
    if let Some(d) = &c.deprecated_since {
        let _ = writeln!(out, "{f}deprecated_since: Some({}),", quote(d));
    }
    if let Some(g) = c.get_keys_function {
        let _ = writeln!(out, "{f}get_keys_function: Some(GetKeysFn::{g:?}),");
    }
    if !c.subcommands.is_empty() {
        let _ = writeln!(out, "{f}subcommands: &{},", subcommands_static(&c.name));
    }
    let _ = writeln!(out, "{f}..CommandSpec::BASE");
    let _ = writeln!(out, "{ind}}},");
}

/// `field: open a, b, c close,` on one line when it fits, else one item a line.
fn emit_list_field(out: &mut String, ind: &str, field: &str, open: &str, items: &[String], close: &str) {
    let one_line = format!("{ind}{field}: {open}{}{close},", items.join(", "));
    if one_line.len() <= WIDTH {
        out.push_str(&one_line);
        out.push('\n');
        return;
    }
    let _ = writeln!(out, "{ind}{field}: {open}");
    for i in items {
        let _ = writeln!(out, "{ind}    {i},");
    }
    let _ = writeln!(out, "{ind}{close},");
}

fn emit_key_spec(out: &mut String, s: &Spec, level: usize) {
    let ind = "    ".repeat(level);
    let f = format!("{ind}    ");
    let _ = writeln!(out, "{ind}KeySpec {{");
    let items: Vec<String> = s.flags.iter().map(|x| format!("KeyFlag::{x:?}")).collect();
    emit_list_field(out, &f, "flags", "KeySpecFlags::of(&[", &items, "])");
    let begin = match &s.begin {
        Begin::Index(p) => format!("BeginSearch::Index({p})"),
        Begin::Keyword(k, from) => {
            format!("BeginSearch::Keyword {{ keyword: {}, startfrom: {from} }}", quote(k))
        }
        Begin::Unknown => "BeginSearch::Unknown".to_string(),
    };
    let _ = writeln!(out, "{f}begin_search: {begin},");
    let find = match &s.find {
        Find::Range { lastkey, keystep, limit } => {
            format!("FindKeys::Range {{ lastkey: {lastkey}, keystep: {keystep}, limit: {limit} }}")
        }
        Find::Keynum { keynumidx, firstkey, keystep } => {
            format!("FindKeys::Keynum {{ keynumidx: {keynumidx}, firstkey: {firstkey}, keystep: {keystep} }}")
        }
        Find::Unknown => "FindKeys::Unknown".to_string(),
    };
    let _ = writeln!(out, "{f}find_keys: {find},");
    let _ = writeln!(out, "{ind}}},");
}

/// The builder chain after the constructor: `.optional().since("6.2.0")`.
fn arg_modifiers(a: &ArgDef) -> String {
    let mut m = String::new();
    if a.kind != ArgType::Key {
        if let Some(i) = a.key_spec_index {
            let _ = write!(m, ".key_spec({i})");
        }
    }
    if a.kind != ArgType::PureToken {
        if let Some(t) = &a.token {
            let _ = write!(m, ".token({})", quote(t));
        }
    }
    if a.optional {
        m.push_str(".optional()");
    }
    if a.multiple {
        m.push_str(".multiple()");
    }
    if a.multiple_token {
        m.push_str(".multiple_token()");
    }
    if let Some(s) = &a.since {
        let _ = write!(m, ".since({})", quote(s));
    }
    if let Some(s) = &a.deprecated_since {
        let _ = write!(m, ".deprecated_since({})", quote(s));
    }
    m
}

/// One argument as a single-line expression, if it has no children.
fn arg_leaf(a: &ArgDef) -> String {
    let n = quote(&a.name);
    let ctor = match a.kind {
        ArgType::String => format!("Arg::string({n})"),
        ArgType::Integer => format!("Arg::integer({n})"),
        ArgType::Double => format!("Arg::double({n})"),
        ArgType::Key => format!("Arg::key({n}, {})", a.key_spec_index.unwrap_or(0)),
        ArgType::Pattern => format!("Arg::pattern({n})"),
        ArgType::UnixTime => format!("Arg::unix_time({n})"),
        ArgType::PureToken => {
            format!("Arg::pure_token({n}, {})", quote(a.token.as_deref().unwrap_or("")))
        }
        ArgType::Oneof | ArgType::Block => unreachable!("containers are emitted by emit_arg"),
    };
    format!("{ctor}{}", arg_modifiers(a))
}

/// A whole argument on one line, if that is possible at all.
fn arg_inline(a: &ArgDef) -> String {
    match a.kind {
        ArgType::Oneof | ArgType::Block => {
            let ctor = if a.kind == ArgType::Oneof { "oneof" } else { "block" };
            let kids: Vec<String> = a.arguments.iter().map(arg_inline).collect();
            format!("Arg::{ctor}({}, &[{}]){}", quote(&a.name), kids.join(", "), arg_modifiers(a))
        }
        _ => arg_leaf(a),
    }
}

fn emit_arg(out: &mut String, a: &ArgDef, level: usize) {
    let ind = "    ".repeat(level);
    let inline = arg_inline(a);
    if ind.len() + inline.len() < WIDTH || a.arguments.is_empty() {
        let _ = writeln!(out, "{ind}{inline},");
        return;
    }
    let ctor = if a.kind == ArgType::Oneof { "oneof" } else { "block" };
    let _ = writeln!(out, "{ind}Arg::{ctor}(");
    let _ = writeln!(out, "{ind}    {},", quote(&a.name));
    let _ = writeln!(out, "{ind}    &[");
    for k in &a.arguments {
        emit_arg(out, k, level + 2);
    }
    let _ = writeln!(out, "{ind}    ],");
    let _ = writeln!(out, "{ind}){},", arg_modifiers(a));
}
