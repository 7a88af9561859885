//! Parsing of the sorted sets group.
//!
//! Everything Redis checks before it looks at a key happens here, in Redis's
//! order: ZADD's flags and scores, range bounds (ranks, scores, lex items),
//! ZRANGE's options, numkeys of the multi-key commands, ZMPOP's and the
//! blocking pops' arguments, ZRANDMEMBER's count, ZSCAN's cursor. The options
//! of ZUNION/ZINTER/ZDIFF/ZINTERCARD and ZSCAN are read by Redis only after the
//! keys were looked up (a wrong type wins over a bad option), so they stay raw
//! and the engine reads them with [`SetOpOptions::parse`] and [`crate::command::ScanOptions::parse`].

use bytes::Bytes;

use super::timeout::parse_timeout;
use super::{parse_i64, syntax, Args, Command, ParseEnv};
use crate::errors::{self, RedisError, RedisResult};
use crate::num;

// ---- error texts of the sorted sets group ----
// (Kept here rather than in errors.rs, which other groups edit concurrently;
// the lead may move them.)

pub const XX_AND_NX: RedisError = RedisError::fixed("ERR XX and NX options at the same time are not compatible");
pub const GT_LT_NX: RedisError = RedisError::fixed("ERR GT, LT, and/or NX options at the same time are not compatible");
pub const INCR_SINGLE_PAIR: RedisError = RedisError::fixed("ERR INCR option supports a single increment-element pair");
pub const SCORE_NAN: RedisError = RedisError::fixed("ERR resulting score is not a number (NaN)");
pub const MIN_MAX_NOT_FLOAT: RedisError = RedisError::fixed("ERR min or max is not a float");
pub const MIN_MAX_NOT_LEX: RedisError = RedisError::fixed("ERR min or max not valid string range item");
pub const LIMIT_NEEDS_BY: RedisError =
    RedisError::fixed("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
pub const WITHSCORES_BYLEX: RedisError =
    RedisError::fixed("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
pub const WEIGHT_NOT_FLOAT: RedisError = RedisError::fixed("ERR weight value is not a float");
pub const LIMIT_NEGATIVE: RedisError = RedisError::fixed("ERR LIMIT can't be negative");
pub const NUMKEYS_NOT_POSITIVE: RedisError = RedisError::fixed("ERR numkeys should be greater than 0");
pub const COUNT_NOT_POSITIVE: RedisError = RedisError::fixed("ERR count should be greater than 0");
/// ZPOPMIN/ZPOPMAX's count, also when it is not an integer at all.
pub const POP_COUNT_NOT_POSITIVE: RedisError = errors::NOT_POSITIVE;
/// ZRANDMEMBER's count must be in -LONG_MAX..=LONG_MAX.
pub const RANDMEMBER_COUNT_RANGE: RedisError =
    RedisError::fixed("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
/// ZRANDMEMBER ... WITHSCORES: twice the count must still fit.
pub const RANDMEMBER_WITHSCORES_RANGE: RedisError = RedisError::fixed("ERR value is out of range");

/// `ERR at least 1 input key is needed for 'zunionstore' command`.
pub fn at_least_one_key(name: &str) -> RedisError {
    RedisError::owned(format!("ERR at least 1 input key is needed for '{name}' command"))
}

/// ZADD's flags (ZINCRBY is ZADD with `incr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZAddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub ch: bool,
    pub incr: bool,
}

/// A score interval: `(` makes a bound exclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn above_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    pub fn below_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// True when no score can be inside.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every string.
    Min,
    /// `+`: above every string.
    Max,
    /// `[x` (inclusive) or `(x` (exclusive).
    Value { bytes: Bytes, exclusive: bool },
}

impl LexBound {
    /// Where `s` is relative to this bound's string (Redis's `sdscmplex`).
    fn cmp_value(&self, s: &[u8]) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match self {
            LexBound::Min => Greater,
            LexBound::Max => Less,
            LexBound::Value { bytes, .. } => s.cmp(bytes),
        }
    }

    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Value { exclusive: false, .. })
    }

    /// Order of two bounds' strings, the special ones outside every string.
    fn cmp_bound(&self, other: &LexBound) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (self, other) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Greater,
            (LexBound::Value { bytes: a, .. }, LexBound::Value { bytes: b, .. }) => a.cmp(b),
        }
    }
}

/// A lex interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn above_min(&self, s: &[u8]) -> bool {
        let c = self.min.cmp_value(s);
        if self.min.exclusive() {
            c.is_gt()
        } else {
            c.is_ge()
        }
    }

    pub fn below_max(&self, s: &[u8]) -> bool {
        let c = self.max.cmp_value(s);
        if self.max.exclusive() {
            c.is_lt()
        } else {
            c.is_le()
        }
    }

    /// True when no string can be inside.
    pub fn is_empty(&self) -> bool {
        let c = self.min.cmp_bound(&self.max);
        c.is_gt() || (c.is_eq() && (self.min.exclusive() || self.max.exclusive()))
    }
}

/// What a ZRANGE-family command selects.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeBy {
    /// Indexes as given (negative ones count from the end).
    Rank {
        start: i64,
        end: i64,
    },
    Score(ScoreRange),
    Lex(LexRange),
}

/// ZRANGE, ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX and ZRANGESTORE.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeArgs {
    /// ZRANGESTORE's destination.
    pub dest: Option<Bytes>,
    pub key: Bytes,
    pub by: RangeBy,
    pub rev: bool,
    /// LIMIT offset and count; (0, -1) without LIMIT.
    pub offset: i64,
    pub count: i64,
    pub withscores: bool,
}

/// ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SetOpArgs {
    pub op: SetOp,
    /// The command's name, for errors that quote it.
    pub name: &'static str,
    pub dest: Option<Bytes>,
    /// ZINTERCARD: only the size of the intersection is wanted.
    pub card_only: bool,
    pub keys: Vec<Bytes>,
    /// WEIGHTS, AGGREGATE, WITHSCORES, LIMIT: read after the key lookups.
    pub options: Vec<Bytes>,
}

/// How the scores of an element found in several inputs combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
}

/// The options of [`SetOpArgs`], once the engine has looked the keys up.
#[derive(Clone, Debug, PartialEq)]
pub struct SetOpOptions {
    pub weights: Vec<f64>,
    pub aggregate: Aggregate,
    pub withscores: bool,
    /// ZINTERCARD's LIMIT; 0 means none.
    pub limit: u64,
}

impl SetOpOptions {
    /// Reads the options with Redis's rules: WEIGHTS and AGGREGATE only for
    /// union and intersection, WITHSCORES only without a destination, LIMIT
    /// only for ZINTERCARD; a repeated option overrides the earlier one.
    pub fn parse(args: &SetOpArgs) -> RedisResult<SetOpOptions> {
        let n = args.keys.len();
        let mut o = SetOpOptions { weights: vec![1.0; n], aggregate: Aggregate::Sum, withscores: false, limit: 0 };
        let combining = args.op != SetOp::Diff && !args.card_only;
        let mut a = Args::new(&args.options);
        while let Some(opt) = a.next_opt() {
            let left = a.remaining();
            if combining && left >= n && opt.eq_ignore_ascii_case(b"WEIGHTS") {
                for w in o.weights.iter_mut() {
                    *w = num::parse_f64(&a.next()?).ok_or(WEIGHT_NOT_FLOAT)?;
                }
            } else if combining && left >= 1 && opt.eq_ignore_ascii_case(b"AGGREGATE") {
                let which = a.next()?;
                o.aggregate = if which.eq_ignore_ascii_case(b"SUM") {
                    Aggregate::Sum
                } else if which.eq_ignore_ascii_case(b"MIN") {
                    Aggregate::Min
                } else if which.eq_ignore_ascii_case(b"MAX") {
                    Aggregate::Max
                } else {
                    return syntax();
                };
            } else if args.dest.is_none() && !args.card_only && opt.eq_ignore_ascii_case(b"WITHSCORES") {
                o.withscores = true;
            } else if args.card_only && left >= 1 && opt.eq_ignore_ascii_case(b"LIMIT") {
                let limit = num::parse_i64(&a.next()?).ok_or(LIMIT_NEGATIVE)?;
                o.limit = u64::try_from(limit).map_err(|_| LIMIT_NEGATIVE)?;
            } else {
                return syntax();
            }
        }
        Ok(o)
    }
}

/// Which pop command, which decides the reply's shape and the effect form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopForm {
    /// ZPOPMIN/ZPOPMAX: `count` None is the single-pair form.
    Plain,
    /// ZMPOP: `[key, [[member, score], ...]]`, a null array when nothing was found.
    Multi,
    /// BZPOPMIN/BZPOPMAX: `[key, member, score]`.
    Blocking,
    /// BZMPOP: ZMPOP's reply, blocking.
    BlockingMulti,
}

/// ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
#[derive(Clone, Debug, PartialEq)]
pub struct PopArgs {
    pub form: PopForm,
    pub keys: Vec<Bytes>,
    /// Pop the highest scores instead of the lowest.
    pub max: bool,
    pub count: Option<u64>,
    /// Blocking forms: relative timeout in ms, `None` to wait forever.
    pub timeout_ms: Option<u64>,
}

/// A command of the sorted sets group.
#[derive(Clone, Debug, PartialEq)]
pub enum ZSetCommand {
    /// ZADD, and ZINCRBY as ZADD INCR. Scores are (score, member) in order.
    Add {
        key: Bytes,
        flags: ZAddFlags,
        pairs: Vec<(f64, Bytes)>,
    },
    Card {
        key: Bytes,
    },
    Count {
        key: Bytes,
        range: ScoreRange,
    },
    LexCount {
        key: Bytes,
        range: LexRange,
    },
    Score {
        key: Bytes,
        member: Bytes,
    },
    MScore {
        key: Bytes,
        members: Vec<Bytes>,
    },
    /// ZRANK, ZREVRANK.
    Rank {
        key: Bytes,
        member: Bytes,
        rev: bool,
    },
    Rem {
        key: Bytes,
        members: Vec<Bytes>,
    },
    /// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.
    RemRange {
        key: Bytes,
        by: RangeBy,
    },
    Range(RangeArgs),
    SetOp(SetOpArgs),
    Pop(PopArgs),
    /// ZRANDMEMBER; a negative count allows repeats.
    RandMember {
        key: Bytes,
        count: Option<i64>,
        withscores: bool,
    },
    /// ZSCAN; `options` are validated by the engine after the key lookup.
    Scan {
        key: Bytes,
        cursor: u64,
        options: Vec<Bytes>,
    },
}

pub(super) fn parse(name: &'static str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let _ = env;
    let cmd = match name {
        "zadd" => parse_zadd(a)?,
        "zincrby" => {
            let key = a.next()?;
            let incr = num::parse_f64(&a.next()?).ok_or(errors::NOT_FLOAT)?;
            let flags = ZAddFlags { incr: true, ..ZAddFlags::default() };
            ZSetCommand::Add { key, flags, pairs: vec![(incr, a.next()?)] }
        }
        "zcard" => ZSetCommand::Card { key: a.next()? },
        "zcount" => {
            let key = a.next()?;
            ZSetCommand::Count { key, range: parse_score_range(&a.next()?, &a.next()?)? }
        }
        "zlexcount" => {
            let key = a.next()?;
            ZSetCommand::LexCount { key, range: parse_lex_range(&a.next()?, &a.next()?)? }
        }
        "zscore" => ZSetCommand::Score { key: a.next()?, member: a.next()? },
        "zmscore" => ZSetCommand::MScore { key: a.next()?, members: a.rest().to_vec() },
        "zrank" => ZSetCommand::Rank { key: a.next()?, member: a.next()?, rev: false },
        "zrevrank" => ZSetCommand::Rank { key: a.next()?, member: a.next()?, rev: true },
        "zrem" => ZSetCommand::Rem { key: a.next()?, members: a.rest().to_vec() },
        "zremrangebyrank" => {
            let key = a.next()?;
            let start = a.next_i64()?;
            ZSetCommand::RemRange { key, by: RangeBy::Rank { start, end: a.next_i64()? } }
        }
        "zremrangebyscore" => {
            let key = a.next()?;
            ZSetCommand::RemRange { key, by: RangeBy::Score(parse_score_range(&a.next()?, &a.next()?)?) }
        }
        "zremrangebylex" => {
            let key = a.next()?;
            ZSetCommand::RemRange { key, by: RangeBy::Lex(parse_lex_range(&a.next()?, &a.next()?)?) }
        }
        "zrange" => parse_range(a, None, Kind::Auto, None)?,
        "zrangestore" => {
            let dest = a.next()?;
            parse_range(a, Some(dest), Kind::Auto, None)?
        }
        "zrevrange" => parse_range(a, None, Kind::Rank, Some(true))?,
        "zrangebyscore" => parse_range(a, None, Kind::Score, Some(false))?,
        "zrevrangebyscore" => parse_range(a, None, Kind::Score, Some(true))?,
        "zrangebylex" => parse_range(a, None, Kind::Lex, Some(false))?,
        "zrevrangebylex" => parse_range(a, None, Kind::Lex, Some(true))?,
        "zunion" => parse_setop(a, name, SetOp::Union, false, false)?,
        "zunionstore" => parse_setop(a, name, SetOp::Union, true, false)?,
        "zinter" => parse_setop(a, name, SetOp::Inter, false, false)?,
        "zinterstore" => parse_setop(a, name, SetOp::Inter, true, false)?,
        "zintercard" => parse_setop(a, name, SetOp::Inter, false, true)?,
        "zdiff" => parse_setop(a, name, SetOp::Diff, false, false)?,
        "zdiffstore" => parse_setop(a, name, SetOp::Diff, true, false)?,
        "zpopmin" | "zpopmax" => {
            let key = a.next()?;
            let count = match a.rest() {
                [] => None,
                [count] => {
                    let n = num::parse_i64(count).ok_or(POP_COUNT_NOT_POSITIVE)?;
                    Some(u64::try_from(n).map_err(|_| POP_COUNT_NOT_POSITIVE)?)
                }
                _ => return syntax(),
            };
            let max = name == "zpopmax";
            ZSetCommand::Pop(PopArgs { form: PopForm::Plain, keys: vec![key], max, count, timeout_ms: None })
        }
        "zmpop" => parse_mpop(a, None)?,
        "bzmpop" => {
            // The timeout comes first but is read last.
            let timeout = a.next()?;
            parse_mpop(a, Some(&timeout))?
        }
        "bzpopmin" | "bzpopmax" => {
            let rest = a.rest();
            let (timeout, keys) = match rest.split_last() {
                Some(split) => split,
                None => return syntax(),
            };
            let timeout_ms = parse_timeout(timeout)?;
            ZSetCommand::Pop(PopArgs {
                form: PopForm::Blocking,
                keys: keys.to_vec(),
                max: name == "bzpopmax",
                count: None,
                timeout_ms,
            })
        }
        "zrandmember" => parse_randmember(a)?,
        "zscan" => {
            let key = a.next()?;
            let cursor = num::parse_scan_cursor(&a.next()?).ok_or(errors::INVALID_CURSOR)?;
            ZSetCommand::Scan { key, cursor, options: a.rest().to_vec() }
        }
        _ => return Ok(None),
    };
    Ok(Some(Command::SortedSets(cmd)))
}

fn parse_zadd(a: &mut Args) -> RedisResult<ZSetCommand> {
    let key = a.next()?;
    let mut f = ZAddFlags::default();
    // Flags come first; the first argument that is not one starts the pairs.
    while let Some(tok) = a.peek() {
        let flag = match &tok.to_ascii_uppercase()[..] {
            b"NX" => &mut f.nx,
            b"XX" => &mut f.xx,
            b"GT" => &mut f.gt,
            b"LT" => &mut f.lt,
            b"CH" => &mut f.ch,
            b"INCR" => &mut f.incr,
            _ => break,
        };
        *flag = true;
        a.next()?;
    }
    let rest = a.rest();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return syntax();
    }
    if f.nx && f.xx {
        return Err(XX_AND_NX);
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(GT_LT_NX);
    }
    if f.incr && rest.len() > 2 {
        return Err(INCR_SINGLE_PAIR);
    }
    let mut pairs = Vec::new();
    for p in rest.chunks(2) {
        let score = num::parse_f64(&p[0]).ok_or(errors::NOT_FLOAT)?;
        pairs.push((score, p[1].clone()));
    }
    Ok(ZSetCommand::Add { key, flags: f, pairs })
}

/// The range kind a ZRANGE-family command starts with; ZRANGE and
/// ZRANGESTORE take it from BYSCORE/BYLEX.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Redis's `zrangeGenericCommand` argument handling: options after the key
/// and both bounds, then the conflicts, then the bounds themselves (read as
/// max, min for the reversed score and lex forms).
fn parse_range(a: &mut Args, dest: Option<Bytes>, mut kind: Kind, mut rev: Option<bool>) -> RedisResult<ZSetCommand> {
    let key = a.next()?;
    let first = a.next()?;
    let second = a.next()?;
    let store = dest.is_some();
    let (mut withscores, mut offset, mut count) = (false, 0i64, -1i64);
    while let Some(opt) = a.next_opt() {
        let left = a.remaining();
        if !store && opt.eq_ignore_ascii_case(b"WITHSCORES") {
            withscores = true;
        } else if opt.eq_ignore_ascii_case(b"LIMIT") && left >= 2 {
            offset = a.next_i64()?;
            count = a.next_i64()?;
        } else if rev.is_none() && opt.eq_ignore_ascii_case(b"REV") {
            rev = Some(true);
        } else if kind == Kind::Auto && opt.eq_ignore_ascii_case(b"BYLEX") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && opt.eq_ignore_ascii_case(b"BYSCORE") {
            kind = Kind::Score;
        } else {
            return syntax();
        }
    }
    let rev = rev.unwrap_or(false);
    if count != -1 && matches!(kind, Kind::Auto | Kind::Rank) {
        return Err(LIMIT_NEEDS_BY);
    }
    if withscores && kind == Kind::Lex {
        return Err(WITHSCORES_BYLEX);
    }
    // Reversed score and lex ranges are written max first.
    let (min, max) = if rev && matches!(kind, Kind::Score | Kind::Lex) { (second, first) } else { (first, second) };
    let by = match kind {
        Kind::Auto | Kind::Rank => {
            let start = parse_i64(&min)?;
            RangeBy::Rank { start, end: parse_i64(&max)? }
        }
        Kind::Score => RangeBy::Score(parse_score_range(&min, &max)?),
        Kind::Lex => RangeBy::Lex(parse_lex_range(&min, &max)?),
    };
    Ok(ZSetCommand::Range(RangeArgs { dest, key, by, rev, offset, count, withscores }))
}

fn parse_setop(a: &mut Args, name: &'static str, op: SetOp, store: bool, card_only: bool) -> RedisResult<ZSetCommand> {
    let dest = if store { Some(a.next()?) } else { None };
    let numkeys = a.next_i64()?;
    if numkeys < 1 {
        return Err(at_least_one_key(name));
    }
    if numkeys as u64 > a.remaining() as u64 {
        return syntax();
    }
    let rest = a.rest();
    let (keys, options) = rest.split_at(numkeys as usize);
    Ok(ZSetCommand::SetOp(SetOpArgs { op, name, dest, card_only, keys: keys.to_vec(), options: options.to_vec() }))
}

/// ZMPOP and BZMPOP: numkeys, the keys, MIN|MAX, COUNT, then BZMPOP's
/// timeout (which Redis reads after everything else).
fn parse_mpop(a: &mut Args, timeout: Option<&[u8]>) -> RedisResult<ZSetCommand> {
    let numkeys = num::parse_i64(&a.next()?).ok_or(NUMKEYS_NOT_POSITIVE)?;
    if numkeys < 1 {
        return Err(NUMKEYS_NOT_POSITIVE);
    }
    // MIN|MAX must follow the keys.
    if numkeys as u64 >= a.remaining() as u64 {
        return syntax();
    }
    let mut keys = Vec::new();
    for _ in 0..numkeys {
        keys.push(a.next()?);
    }
    let where_ = a.next()?;
    let max = if where_.eq_ignore_ascii_case(b"MIN") {
        false
    } else if where_.eq_ignore_ascii_case(b"MAX") {
        true
    } else {
        return syntax();
    };
    let mut count = None;
    while let Some(opt) = a.next_opt() {
        if count.is_none() && opt.eq_ignore_ascii_case(b"COUNT") && !a.is_empty() {
            let n = num::parse_i64(&a.next()?).ok_or(COUNT_NOT_POSITIVE)?;
            if n < 1 {
                return Err(COUNT_NOT_POSITIVE);
            }
            count = Some(n as u64);
        } else {
            return syntax();
        }
    }
    let (form, timeout_ms) = match timeout {
        Some(t) => (PopForm::BlockingMulti, parse_timeout(t)?),
        None => (PopForm::Multi, None),
    };
    Ok(ZSetCommand::Pop(PopArgs { form, keys, max, count: Some(count.unwrap_or(1)), timeout_ms }))
}

fn parse_randmember(a: &mut Args) -> RedisResult<ZSetCommand> {
    let key = a.next()?;
    let Some(count) = a.next_opt() else {
        return Ok(ZSetCommand::RandMember { key, count: None, withscores: false });
    };
    let count = parse_i64(&count)?;
    // The negation of a negative count must fit, so i64::MIN is refused.
    if count == i64::MIN {
        return Err(RANDMEMBER_COUNT_RANGE);
    }
    let withscores = match a.rest() {
        [] => false,
        [w] if w.eq_ignore_ascii_case(b"WITHSCORES") => true,
        _ => return syntax(),
    };
    // Twice the count (member and score) must still fit in a long.
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(RANDMEMBER_WITHSCORES_RANGE);
    }
    Ok(ZSetCommand::RandMember { key, count: Some(count), withscores })
}

/// Redis's `zslParseRange`: each bound is C's `strtod` over the argument, with
/// a leading `(` for an exclusive bound. Unlike ZADD's scores this accepts
/// leading whitespace, the empty string (as 0), and out-of-range values (as
/// ±inf or 0); only NaN and text left after the number are refused.
pub fn parse_score_range(min: &[u8], max: &[u8]) -> RedisResult<ScoreRange> {
    let bound = |b: &[u8]| -> RedisResult<(f64, bool)> {
        let (text, exclusive) = match b.first() {
            Some(b'(') => (&b[1..], true),
            _ => (b, false),
        };
        strtod_whole(text).map(|v| (v, exclusive)).ok_or(MIN_MAX_NOT_FLOAT)
    };
    let (min, minex) = bound(min)?;
    let (max, maxex) = bound(max)?;
    Ok(ScoreRange { min, max, minex, maxex })
}

/// `strtod(s, &end)` accepted only if `*end == '\0'` and the value is not NaN.
fn strtod_whole(s: &[u8]) -> Option<f64> {
    // C sees the argument up to its first NUL byte.
    let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
    if s.is_empty() {
        // Nothing parsed: `end` stays at the start, which is the terminator.
        return Some(0.0);
    }
    let start = s.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let text = &s[start..];
    if let Some(v) = num::parse_f64(text) {
        return Some(v);
    }
    // parse_f64 also refuses overflow and underflow, which strtod accepts.
    out_of_range_value(text)
}

/// The value strtod gives a syntactically valid number that does not fit a
/// double: ±inf on overflow, ±0 on underflow. `None` if not a number.
fn out_of_range_value(text: &[u8]) -> Option<f64> {
    let (negative, body) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = |v: f64| if negative { -v } else { v };
    if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        return hex_out_of_range(&body[2..]).map(sign);
    }
    // Decimal syntax: std's parser gives inf and 0 for these; it also knows
    // "nan", which Redis refuses.
    let v: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
    if v.is_nan() || body.first().is_some_and(|c| !(c.is_ascii_digit() || *c == b'.')) {
        return None;
    }
    Some(sign(v))
}

/// A hex float (after `0x`) that parse_f64 refused: overflow or underflow,
/// told apart by the binary exponent of its leading digit.
fn hex_out_of_range(s: &[u8]) -> Option<f64> {
    let (mantissa, exp) = match s.iter().position(|&c| c == b'p' || c == b'P') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.iter().position(|&c| c == b'.') {
        Some(d) => (&mantissa[..d], &mantissa[d + 1..]),
        None => (mantissa, &[][..]),
    };
    if int.is_empty() && frac.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_hexdigit) {
        return None;
    }
    let exp: i64 = match exp {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(b"-").or_else(|| e.strip_prefix(b"+")).unwrap_or(e);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mag = digits.iter().fold(0i64, |acc, &c| acc.saturating_mul(10).saturating_add((c - b'0') as i64));
            if e.first() == Some(&b'-') {
                -mag
            } else {
                mag
            }
        }
    };
    let lead = match int.iter().position(|&c| c != b'0') {
        Some(i) => 4 * (int.len() - i) as i64,
        None => match frac.iter().position(|&c| c != b'0') {
            Some(i) => -4 * i as i64,
            None => return Some(0.0),
        },
    };
    Some(if lead.saturating_add(exp) > 0 { f64::INFINITY } else { 0.0 })
}

/// Redis's `zslParseLexRange`.
pub fn parse_lex_range(min: &[u8], max: &[u8]) -> RedisResult<LexRange> {
    Ok(LexRange { min: parse_lex_bound(min)?, max: parse_lex_bound(max)? })
}

fn parse_lex_bound(b: &[u8]) -> RedisResult<LexBound> {
    // `+` and `-` must stand alone (as C strings: a NUL may follow).
    let alone = b.len() == 1 || b.get(1) == Some(&0);
    match b.first() {
        Some(b'+') if alone => Ok(LexBound::Max),
        Some(b'-') if alone => Ok(LexBound::Min),
        Some(b'(') => Ok(LexBound::Value { bytes: Bytes::copy_from_slice(&b[1..]), exclusive: true }),
        Some(b'[') => Ok(LexBound::Value { bytes: Bytes::copy_from_slice(&b[1..]), exclusive: false }),
        _ => Err(MIN_MAX_NOT_LEX),
    }
}
