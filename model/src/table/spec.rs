//! The shape of one command table entry.
//!
//! Everything here is plain `'static` data so that the generated table
//! (`generated.rs`) is a single constant expression: no start-up work, no
//! allocation, and lookups hand out `&'static CommandSpec`.

/// One command or subcommand of the table.
///
/// `flags` and `acl_categories` hold what Redis holds at run time, not only what
/// the JSON declares: the generator adds `movablekeys` (derived from the key
/// specs) and the implicit ACL categories (`@write` for write commands, `@slow`
/// for everything not `@fast`, ...), because COMMAND INFO and ACL rules see those.
#[derive(Debug)]
pub struct CommandSpec {
    /// Position in the whole table (commands, then subcommands), below
    /// [`super::SPEC_COUNT`]: per-command counters live in a plain array.
    pub id: u16,
    /// Lower-case name as Redis reports it: `get`, or `kill` for `CLIENT KILL`.
    pub name: &'static str,
    /// `client|kill` for subcommands, else the name.
    pub fullname: &'static str,
    /// The lower-case container name for subcommands (`client`), else None.
    pub container: Option<&'static str>,
    /// Redis's group: `string`, `generic`, `connection`, `server`, `sorted-set`, ...
    pub group: &'static str,
    /// The Redis version that introduced the command.
    pub since: &'static str,
    /// Positive: exact argc (name included). Negative: at least `-arity` arguments.
    pub arity: i32,
    pub flags: Flags,
    pub acl_categories: AclCategories,
    /// The legacy (first key, last key, step) triple of COMMAND INFO.
    pub legacy_range: LegacyRange,
    pub key_specs: &'static [KeySpec],
    pub arguments: &'static [Arg],
    /// Reply tips, lower case as COMMAND INFO prints them (`nondeterministic_output`).
    pub tips: &'static [&'static str],
    pub doc_flags: DocFlags,
    pub deprecated_since: Option<&'static str>,
    /// Set when Redis also has a hand-written key extractor for this command.
    pub get_keys_function: Option<GetKeysFn>,
    /// Sorted by name; empty for plain commands.
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// The defaults the generator leaves out, so the table only spells what is set.
    pub const BASE: CommandSpec = CommandSpec {
        id: 0,
        name: "",
        fullname: "",
        container: None,
        group: "",
        since: "",
        arity: 0,
        flags: Flags::EMPTY,
        acl_categories: AclCategories::EMPTY,
        legacy_range: LegacyRange::NONE,
        key_specs: &[],
        arguments: &[],
        tips: &[],
        doc_flags: DocFlags::EMPTY,
        deprecated_since: None,
        get_keys_function: None,
        subcommands: &[],
    };

    /// Whether the command carries `flag`.
    pub const fn has(&self, flag: Flag) -> bool {
        self.flags.contains(flag)
    }

    /// Whether argv[1] names a subcommand (CLIENT, CONFIG, OBJECT, ...).
    pub const fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// Redis's arity rule, with `argc` counting the command name (and subcommand name).
    pub const fn arity_ok(&self, argc: usize) -> bool {
        let argc = if argc > i32::MAX as usize { i32::MAX as i64 } else { argc as i64 };
        let arity = self.arity as i64;
        if arity > 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }
}

/// The first/last/step key positions COMMAND INFO reports; all zero when the
/// key specs cannot be glued into one plain range. `last` is absolute when
/// non-negative and counts from the end (`-1` = last argument) when negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyRange {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

impl LegacyRange {
    pub const NONE: LegacyRange = LegacyRange { first: 0, last: 0, step: 0 };
}

macro_rules! bitset_enum {
    (
        $(#[$emeta:meta])* enum $enum:ident;
        $(#[$smeta:meta])* set $set:ident($repr:ty);
        $( $variant:ident = $spec:literal, )*
    ) => {
        $(#[$emeta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $enum {
            $( $variant, )*
        }

        impl $enum {
            /// Every variant, in declaration (bit) order.
            pub const ALL: &'static [$enum] = &[ $( $enum::$variant, )* ];

            /// The single bit of this variant in the set type.
            pub const fn bit(self) -> $repr {
                1 << (self as u32)
            }

            /// The spelling in Redis's JSON command specifications.
            pub const fn spec_name(self) -> &'static str {
                match self {
                    $( $enum::$variant => $spec, )*
                }
            }

            /// Looks a variant up by its JSON spelling (exact, upper case).
            pub fn from_spec_name(name: &str) -> Option<$enum> {
                Self::ALL.iter().copied().find(|v| v.spec_name() == name)
            }
        }

        $(#[$smeta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub struct $set(pub $repr);

        impl $set {
            pub const EMPTY: $set = $set(0);

            /// A set from a list; a `const fn` so the generated table can use it.
            pub const fn of(items: &[$enum]) -> $set {
                let mut bits: $repr = 0;
                let mut i = 0;
                while i < items.len() {
                    bits |= items[i].bit();
                    i += 1;
                }
                $set(bits)
            }

            pub const fn contains(self, item: $enum) -> bool {
                self.0 & item.bit() != 0
            }

            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            pub const fn union(self, other: $set) -> $set {
                $set(self.0 | other.0)
            }

            pub const fn with(self, item: $enum) -> $set {
                $set(self.0 | item.bit())
            }

            /// The members in declaration (bit) order.
            pub fn iter(self) -> impl Iterator<Item = $enum> {
                $enum::ALL.iter().copied().filter(move |v| self.contains(*v))
            }
        }
    };
}

bitset_enum! {
    /// A command flag (Redis's `CMD_*`).
    enum Flag;
    /// A set of [`Flag`]s.
    set Flags(u64);
    Write = "WRITE",
    Readonly = "READONLY",
    Denyoom = "DENYOOM",
    Module = "MODULE",
    Admin = "ADMIN",
    Pubsub = "PUBSUB",
    Noscript = "NOSCRIPT",
    Blocking = "BLOCKING",
    Loading = "LOADING",
    Stale = "STALE",
    SkipMonitor = "SKIP_MONITOR",
    SkipSlowlog = "SKIP_SLOWLOG",
    Asking = "ASKING",
    Fast = "FAST",
    NoAuth = "NO_AUTH",
    MayReplicate = "MAY_REPLICATE",
    Sentinel = "SENTINEL",
    OnlySentinel = "ONLY_SENTINEL",
    NoMandatoryKeys = "NO_MANDATORY_KEYS",
    Protected = "PROTECTED",
    ModuleGetkeys = "MODULE_GETKEYS",
    ModuleNoCluster = "MODULE_NO_CLUSTER",
    NoAsyncLoading = "NO_ASYNC_LOADING",
    NoMulti = "NO_MULTI",
    MovableKeys = "MOVABLE_KEYS",
    AllowBusy = "ALLOW_BUSY",
    ModuleGetchannels = "MODULE_GETCHANNELS",
    TouchesArbitraryKeys = "TOUCHES_ARBITRARY_KEYS",
}

impl Flag {
    /// The flags COMMAND INFO shows, in the order Redis 7.0 prints them, with
    /// their reply spelling. Flags missing here (sentinel, protected,
    /// may_replicate, ...) exist in the table but Redis 7.0 does not report them.
    pub const REPLY_ORDER: &'static [(Flag, &'static str)] = &[
        (Flag::Write, "write"),
        (Flag::Readonly, "readonly"),
        (Flag::Denyoom, "denyoom"),
        (Flag::Module, "module"),
        (Flag::Admin, "admin"),
        (Flag::Pubsub, "pubsub"),
        (Flag::Noscript, "noscript"),
        (Flag::Blocking, "blocking"),
        (Flag::Loading, "loading"),
        (Flag::Stale, "stale"),
        (Flag::SkipMonitor, "skip_monitor"),
        (Flag::SkipSlowlog, "skip_slowlog"),
        (Flag::Asking, "asking"),
        (Flag::Fast, "fast"),
        (Flag::NoAuth, "no_auth"),
        (Flag::NoMandatoryKeys, "no_mandatory_keys"),
        (Flag::NoAsyncLoading, "no_async_loading"),
        (Flag::NoMulti, "no_multi"),
        (Flag::MovableKeys, "movablekeys"),
        (Flag::AllowBusy, "allow_busy"),
    ];
}

bitset_enum! {
    /// An ACL command category (`@read`, `@write`, ...).
    enum AclCategory;
    /// A set of [`AclCategory`]s.
    set AclCategories(u32);
    Keyspace = "KEYSPACE",
    Read = "READ",
    Write = "WRITE",
    Set = "SET",
    SortedSet = "SORTEDSET",
    List = "LIST",
    Hash = "HASH",
    String = "STRING",
    Bitmap = "BITMAP",
    Hyperloglog = "HYPERLOGLOG",
    Geo = "GEO",
    Stream = "STREAM",
    Pubsub = "PUBSUB",
    Admin = "ADMIN",
    Fast = "FAST",
    Slow = "SLOW",
    Blocking = "BLOCKING",
    Dangerous = "DANGEROUS",
    Connection = "CONNECTION",
    Transaction = "TRANSACTION",
    Scripting = "SCRIPTING",
}

impl AclCategory {
    /// The name without `@`, as ACL rules and `COMMAND LIST FILTERBY ACLCAT` spell it.
    pub const fn name(self) -> &'static str {
        match self {
            AclCategory::Keyspace => "keyspace",
            AclCategory::Read => "read",
            AclCategory::Write => "write",
            AclCategory::Set => "set",
            AclCategory::SortedSet => "sortedset",
            AclCategory::List => "list",
            AclCategory::Hash => "hash",
            AclCategory::String => "string",
            AclCategory::Bitmap => "bitmap",
            AclCategory::Hyperloglog => "hyperloglog",
            AclCategory::Geo => "geo",
            AclCategory::Stream => "stream",
            AclCategory::Pubsub => "pubsub",
            AclCategory::Admin => "admin",
            AclCategory::Fast => "fast",
            AclCategory::Slow => "slow",
            AclCategory::Blocking => "blocking",
            AclCategory::Dangerous => "dangerous",
            AclCategory::Connection => "connection",
            AclCategory::Transaction => "transaction",
            AclCategory::Scripting => "scripting",
        }
    }

    /// Looks a category up by name, case-insensitively, as Redis's ACL code does.
    pub fn from_name(name: &[u8]) -> Option<AclCategory> {
        Self::ALL.iter().copied().find(|c| c.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

bitset_enum! {
    /// A key-spec flag: how a command touches the keys one spec finds.
    enum KeyFlag;
    /// A set of [`KeyFlag`]s.
    set KeySpecFlags(u32);
    Ro = "RO",
    Rw = "RW",
    Ow = "OW",
    Rm = "RM",
    Access = "ACCESS",
    Update = "UPDATE",
    Insert = "INSERT",
    Delete = "DELETE",
    NotKey = "NOT_KEY",
    Incomplete = "INCOMPLETE",
    VariableFlags = "VARIABLE_FLAGS",
}

impl KeyFlag {
    /// The spelling in COMMAND INFO and GETKEYSANDFLAGS replies.
    pub const fn reply_name(self) -> &'static str {
        match self {
            KeyFlag::Ro => "RO",
            KeyFlag::Rw => "RW",
            KeyFlag::Ow => "OW",
            KeyFlag::Rm => "RM",
            KeyFlag::Access => "access",
            KeyFlag::Update => "update",
            KeyFlag::Insert => "insert",
            KeyFlag::Delete => "delete",
            KeyFlag::NotKey => "not_key",
            KeyFlag::Incomplete => "incomplete",
            KeyFlag::VariableFlags => "variable_flags",
        }
    }
}

bitset_enum! {
    /// A documentation flag of COMMAND DOCS.
    enum DocFlag;
    /// A set of [`DocFlag`]s.
    set DocFlags(u8);
    Deprecated = "DEPRECATED",
    Syscmd = "SYSCMD",
}

impl DocFlag {
    /// The spelling in COMMAND DOCS replies.
    pub const fn reply_name(self) -> &'static str {
        match self {
            DocFlag::Deprecated => "deprecated",
            DocFlag::Syscmd => "syscmd",
        }
    }
}

/// One key spec: where the keys start and how to find the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: KeySpecFlags,
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

/// Where a key spec starts looking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// A fixed argv index.
    Index(i32),
    /// Just after `keyword`, searched from `startfrom` (negative: from the end, backwards).
    Keyword { keyword: &'static str, startfrom: i32 },
    /// The keys cannot be located from the spec alone.
    Unknown,
}

/// How a key spec finds its keys once the start is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// `lastkey` relative to the start (negative: from the end); `limit` > 1
    /// means only the first 1/limit of the remaining arguments.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The key count is at `keynumidx` (relative to the start), the first key at `firstkey`.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    Unknown,
}

/// Which of Redis's hand-written key extractors a command has (the JSON's
/// `get_keys_function`); [`super::keys`] implements each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetKeysFn {
    Sort,
    SortRo,
    Migrate,
    Georadius,
    Xread,
    Set,
    Bitfield,
    /// ZUNION, ZINTER, ZDIFF, ZINTERCARD: `numkeys key...` from argv[1].
    ZunionInterDiff,
    /// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: `dest numkeys key...`.
    ZunionInterDiffStore,
    Eval,
    Function,
    Lmpop,
    Blmpop,
    Zmpop,
    Sintercard,
}

impl GetKeysFn {
    /// Maps the C function name the JSON gives to the extractor.
    pub fn from_spec_name(name: &str) -> Option<GetKeysFn> {
        Some(match name {
            "sortGetKeys" => GetKeysFn::Sort,
            "sortROGetKeys" => GetKeysFn::SortRo,
            "migrateGetKeys" => GetKeysFn::Migrate,
            "georadiusGetKeys" => GetKeysFn::Georadius,
            "xreadGetKeys" => GetKeysFn::Xread,
            "setGetKeys" => GetKeysFn::Set,
            "bitfieldGetKeys" => GetKeysFn::Bitfield,
            "zunionInterDiffGetKeys" => GetKeysFn::ZunionInterDiff,
            "zunionInterDiffStoreGetKeys" => GetKeysFn::ZunionInterDiffStore,
            "evalGetKeys" => GetKeysFn::Eval,
            "functionGetKeys" => GetKeysFn::Function,
            "lmpopGetKeys" => GetKeysFn::Lmpop,
            "blmpopGetKeys" => GetKeysFn::Blmpop,
            "zmpopGetKeys" => GetKeysFn::Zmpop,
            "sintercardGetKeys" => GetKeysFn::Sintercard,
            _ => return None,
        })
    }
}

/// The type of one argument in the grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    Oneof,
    Block,
}

impl ArgType {
    /// The spelling in the JSON specs and in COMMAND DOCS.
    pub const fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::Oneof => "oneof",
            ArgType::Block => "block",
        }
    }

    pub fn from_name(name: &str) -> Option<ArgType> {
        [
            ArgType::String,
            ArgType::Integer,
            ArgType::Double,
            ArgType::Key,
            ArgType::Pattern,
            ArgType::UnixTime,
            ArgType::PureToken,
            ArgType::Oneof,
            ArgType::Block,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

/// One node of a command's argument grammar. `oneof` and `block` nodes have
/// children in `arguments`; the builder methods are `const` so the generated
/// table reads like the grammar it encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgType,
    /// Index into the command's key specs (key arguments, and SORT's patterns).
    pub key_spec_index: Option<u32>,
    /// The literal word that introduces the argument, upper case as Redis reports it.
    pub token: Option<&'static str>,
    pub since: Option<&'static str>,
    pub deprecated_since: Option<&'static str>,
    pub optional: bool,
    pub multiple: bool,
    /// With `multiple`: the token is repeated before every value (`GET p GET p`).
    pub multiple_token: bool,
    pub arguments: &'static [Arg],
}

impl Arg {
    const fn new(name: &'static str, kind: ArgType) -> Arg {
        Arg {
            name,
            kind,
            key_spec_index: None,
            token: None,
            since: None,
            deprecated_since: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            arguments: &[],
        }
    }
    pub const fn string(name: &'static str) -> Arg {
        Arg::new(name, ArgType::String)
    }
    pub const fn integer(name: &'static str) -> Arg {
        Arg::new(name, ArgType::Integer)
    }
    pub const fn double(name: &'static str) -> Arg {
        Arg::new(name, ArgType::Double)
    }
    pub const fn key(name: &'static str, key_spec_index: u32) -> Arg {
        Arg::new(name, ArgType::Key).key_spec(key_spec_index)
    }
    pub const fn pattern(name: &'static str) -> Arg {
        Arg::new(name, ArgType::Pattern)
    }
    pub const fn unix_time(name: &'static str) -> Arg {
        Arg::new(name, ArgType::UnixTime)
    }
    pub const fn pure_token(name: &'static str, token: &'static str) -> Arg {
        Arg::new(name, ArgType::PureToken).token(token)
    }
    pub const fn oneof(name: &'static str, arguments: &'static [Arg]) -> Arg {
        let mut a = Arg::new(name, ArgType::Oneof);
        a.arguments = arguments;
        a
    }
    pub const fn block(name: &'static str, arguments: &'static [Arg]) -> Arg {
        let mut a = Arg::new(name, ArgType::Block);
        a.arguments = arguments;
        a
    }
    pub const fn key_spec(mut self, index: u32) -> Arg {
        self.key_spec_index = Some(index);
        self
    }
    pub const fn token(mut self, token: &'static str) -> Arg {
        self.token = Some(token);
        self
    }
    pub const fn since(mut self, version: &'static str) -> Arg {
        self.since = Some(version);
        self
    }
    pub const fn deprecated_since(mut self, version: &'static str) -> Arg {
        self.deprecated_since = Some(version);
        self
    }
    pub const fn optional(mut self) -> Arg {
        self.optional = true;
        self
    }
    pub const fn multiple(mut self) -> Arg {
        self.multiple = true;
        self
    }
    pub const fn multiple_token(mut self) -> Arg {
        self.multiple_token = true;
        self
    }
}
