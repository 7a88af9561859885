//! SORT and SORT_RO.
//!
//! The algorithm follows Redis step by step: collect the elements, clamp
//! LIMIT, load a score (or comparison string) per element from the element
//! itself or from the BY pattern, sort, then emit each element or its GET
//! patterns. Lists and sorted sets keep their native order under `BY nosort`.

use std::cmp::Ordering;

use bytes::Bytes;

use super::access::Access;
use super::db::Entry;
use super::value::Value;
use super::ListValue;
use super::Model;
use crate::command::SortArgs;
use crate::engine::Context;
use crate::errors::{self, RedisError, RedisResult};
use crate::num;
use crate::resp::Frame;

/// How an element is compared: a number, or a string for ALPHA.
#[derive(Clone, Debug)]
struct SortItem {
    element: Bytes,
    score: f64,
    /// The BY value for ALPHA sorting; `None` when BY found nothing.
    by_text: Option<Bytes>,
}

/// What kind of collection is sorted, which decides the order under `BY nosort`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Lists and sorted sets: elements come in their own order.
    Ordered,
    /// Sets have no order of their own.
    Unordered,
}

impl Model {
    pub(super) fn sort(&mut self, cx: &mut Context<'_>, args: &SortArgs) -> RedisResult<Frame> {
        // Redis converts a listpack sorted set to a skiplist before sorting it
        // (OBJECT ENCODING shows it), SORT_RO included.
        if let Some(Value::ZSet(z)) = self.dbs[cx.db].get_mut_value_quietly(&args.key) {
            if z.is_listpack() && !z.is_empty() {
                z.convert_to_skiplist();
            }
        }
        let bytes = |e: &[u8]| Bytes::copy_from_slice(e);
        let (source, elements): (Source, Vec<Bytes>) = match self.lookup(cx, cx.db, &args.key, Access::Read) {
            // A missing key sorts like an empty list.
            None => (Source::Ordered, Vec::new()),
            Some(Entry { value: Value::List(l), .. }) => (Source::Ordered, l.iter().map(bytes).collect()),
            Some(Entry { value: Value::ZSet(z), .. }) => (Source::Ordered, z.iter().map(|(m, _)| bytes(m)).collect()),
            Some(Entry { value: Value::Set(s), .. }) => (Source::Unordered, s.iter().map(bytes).collect()),
            Some(Entry { value: Value::Str(_) | Value::Hash(_), .. }) => return Err(errors::WRONGTYPE),
        };
        let mut dont_sort = args.by.as_ref().is_some_and(|p| !p.contains(&b'*'));
        let mut alpha = args.alpha;
        let mut by = args.by.clone();
        // An unordered set must still give a reproducible result when stored
        // (replicas and the AOF replay it): Redis forces an ALPHA sort then.
        if dont_sort && source == Source::Unordered && args.store.is_some() {
            dont_sort = false;
            alpha = true;
            by = None;
        }

        let len = elements.len() as i64;
        let (limit_start, limit_count) = args.limit.unwrap_or((0, -1));
        let mut start = limit_start.max(0);
        let mut end = if limit_count < 0 { len - 1 } else { start.saturating_add(limit_count) - 1 };
        if start >= len {
            start = len - 1;
            end = len - 2;
        }
        if end >= len {
            end = len - 1;
        }

        let mut items: Vec<SortItem> = if dont_sort && source == Source::Ordered && args.desc {
            elements.into_iter().rev().map(plain_item).collect()
        } else {
            elements.into_iter().map(plain_item).collect()
        };

        if !dont_sort {
            let mut conversion_error = false;
            for item in items.iter_mut() {
                let by_value = match &by {
                    Some(pattern) => match self.lookup_by_pattern(cx, pattern, &item.element) {
                        Some(v) => v,
                        None => continue,
                    },
                    None => item.element.clone(),
                };
                if alpha {
                    if by.is_some() {
                        item.by_text = Some(by_value);
                    }
                } else {
                    match sort_score(&by_value) {
                        Some(s) => item.score = s,
                        None => conversion_error = true,
                    }
                }
            }
            let by_pattern = by.is_some();
            let store = args.store.is_some();
            items.sort_by(|a, b| {
                let ord = compare(a, b, alpha, by_pattern, store);
                if args.desc {
                    ord.reverse()
                } else {
                    ord
                }
            });
            if conversion_error {
                return Err(RedisError::fixed("ERR One or more scores can't be converted into double"));
            }
        }

        let selected: Vec<Bytes> = if end >= start {
            items[start as usize..=end as usize].iter().map(|i| i.element.clone()).collect()
        } else {
            Vec::new()
        };
        let mut output: Vec<Option<Bytes>> = Vec::new();
        for element in &selected {
            if args.get.is_empty() {
                output.push(Some(element.clone()));
            }
            for pattern in &args.get {
                output.push(self.lookup_by_pattern(cx, pattern, element));
            }
        }

        match &args.store {
            None => Ok(Frame::Array(output.into_iter().map(|v| v.map_or(Frame::Null, Frame::Bulk)).collect())),
            Some(dst) => {
                let n = output.len() as i64;
                if n == 0 {
                    if self.dbs[cx.db].remove(dst).is_some() {
                        cx.dirty += 1;
                    }
                    return Ok(Frame::Integer(0));
                }
                // GET patterns that found nothing store empty strings.
                let elements = output.into_iter().map(|v| v.map_or_else(Vec::new, |b| b.to_vec())).collect();
                self.set_key(cx, cx.db, dst, Value::List(ListValue::from_elements(elements)), false);
                cx.dirty += n as u64;
                Ok(Frame::Integer(n))
            }
        }
    }

    /// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the
    /// first `*` is replaced by the element and the resulting key is read (a
    /// string, or with `->field` a hash field). A pattern without `*` reads nothing.
    fn lookup_by_pattern(&mut self, cx: &mut Context<'_>, pattern: &[u8], element: &Bytes) -> Option<Bytes> {
        let (key, field) = match pattern_target(pattern, element) {
            PatternTarget::Element => return Some(element.clone()),
            PatternTarget::Nothing => return None,
            PatternTarget::Key { key, field } => (key, field),
        };
        let entry = self.lookup(cx, cx.db, &key, Access::Read)?;
        match (&entry.value, field) {
            (Value::Str(s), None) => Some(Bytes::from(s.bytes.clone())),
            (Value::Hash(h), Some(f)) => h.get(f).map(Bytes::copy_from_slice),
            _ => None,
        }
    }
}

/// What a BY or GET pattern names for one element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternTarget<'p> {
    /// `#`: the element itself.
    Element,
    /// A pattern without `*`: nothing is read.
    Nothing,
    /// The key to read (a string), or with `->field` a field of the hash there.
    Key { key: Vec<u8>, field: Option<&'p [u8]> },
}

/// The first half of Redis's `lookupKeyByPattern`: the first `*` of the
/// pattern is replaced by the element; a `->` followed by at least one byte
/// splits off a hash field. Knowing the keys before the lookup lets an engine
/// gather every key a SORT may read.
pub fn pattern_target<'p>(pattern: &'p [u8], element: &[u8]) -> PatternTarget<'p> {
    if pattern == b"#" {
        return PatternTarget::Element;
    }
    let Some(star) = pattern.iter().position(|&c| c == b'*') else { return PatternTarget::Nothing };
    let after = &pattern[star + 1..];
    let (suffix, field) = match find(after, b"->") {
        Some(arrow) if arrow + 2 < after.len() => (&after[..arrow], Some(&after[arrow + 2..])),
        _ => (after, None),
    };
    let mut key = pattern[..star].to_vec();
    key.extend_from_slice(element);
    key.extend_from_slice(suffix);
    PatternTarget::Key { key, field }
}

fn plain_item(element: Bytes) -> SortItem {
    SortItem { element, score: 0.0, by_text: None }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A SORT score: C's `strtod` over the value, which skips leading whitespace,
/// reads the empty string as 0 and stops at a NUL byte; anything left over,
/// out of range or NaN is a conversion error.
fn sort_score(v: &[u8]) -> Option<f64> {
    let v = match v.iter().position(|&c| c == 0) {
        Some(nul) => &v[..nul],
        None => v,
    };
    if v.is_empty() {
        return Some(0.0);
    }
    let start = v.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))?;
    num::parse_f64(&v[start..])
}

/// Redis's `sortCompare` (before DESC is applied).
fn compare(a: &SortItem, b: &SortItem, alpha: bool, by_pattern: bool, store: bool) -> Ordering {
    if !alpha {
        return a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| a.element.cmp(&b.element));
    }
    if by_pattern {
        return match (&a.by_text, &b.by_text) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) if store => x.cmp(y),
            (Some(x), Some(y)) => collate(x, y),
        };
    }
    if store {
        a.element.cmp(&b.element)
    } else {
        collate(&a.element, &b.element)
    }
}

/// `strcoll` in the C locale, which Redis runs in: byte order up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| -> usize { s.iter().position(|&c| c == 0).unwrap_or(s.len()) };
    a[..cut(a)].cmp(&b[..cut(b)])
}
