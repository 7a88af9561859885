//! One value in RDB form, chosen by the value's current encoding as Redis
//! 7.0's `rdbSaveObjectType`/`rdbSaveObject` do: strings as strings, lists as
//! quicklists of listpack nodes, sets as intsets or plain member lists,
//! hashes as listpacks or plain pairs, sorted sets as listpacks or
//! (member, binary double) pairs from the highest score down.

use super::format::{
    put_integer, put_len, put_string, CONTAINER_PACKED, CONTAINER_PLAIN, TYPE_HASH, TYPE_HASH_LISTPACK,
    TYPE_LIST_QUICKLIST_2, TYPE_SET, TYPE_SET_INTSET, TYPE_STRING, TYPE_ZSET_2, TYPE_ZSET_LISTPACK,
};
use super::listpack::ListpackBuilder;
use super::lzf::Compressor;
use super::{intset, listpack};
use crate::num;
use crate::reference::{ListValue, StrEncoding, Value};

/// Elements this large get a quicklist node of their own, stored plain
/// (Redis's `packed_threshold`, 1 GiB).
const PACKED_THRESHOLD: usize = 1 << 30;
/// Node sizes for `list-max-listpack-size` -1 .. -5.
const NODE_SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Redis's estimate of an entry's overhead when deciding whether it fits a node.
const ENTRY_OVERHEAD_ESTIMATE: usize = 8;
/// Nodes limited by count are still kept under this many bytes.
const NODE_SAFETY_LIMIT: usize = 8192;

/// How values are serialized: LZF on or off, and the quicklist node limit.
pub struct ValueEncoder {
    pub lzf: Option<Compressor>,
    /// `list-max-listpack-size`: negative for a byte limit, positive for a count.
    pub list_fill: i64,
}

impl ValueEncoder {
    pub fn new(compression: bool, list_fill: i64) -> ValueEncoder {
        ValueEncoder { lzf: compression.then(Compressor::new), list_fill }
    }

    /// A string as `rdbSaveRawString` writes it.
    pub fn string(&mut self, out: &mut Vec<u8>, s: &[u8]) {
        put_string(out, s, self.lzf.as_mut());
    }

    /// The type byte of `value` in its current encoding.
    pub fn type_byte(value: &Value) -> u8 {
        match value {
            Value::Str(_) => TYPE_STRING,
            Value::List(_) => TYPE_LIST_QUICKLIST_2,
            Value::Set(s) if s.is_intset() => TYPE_SET_INTSET,
            Value::Set(_) => TYPE_SET,
            Value::ZSet(z) if z.is_listpack() => TYPE_ZSET_LISTPACK,
            Value::ZSet(_) => TYPE_ZSET_2,
            Value::Hash(h) if h.is_listpack() => TYPE_HASH_LISTPACK,
            Value::Hash(_) => TYPE_HASH,
        }
    }

    /// The value's body (everything after the type byte and key).
    pub fn value(&mut self, out: &mut Vec<u8>, value: &Value) {
        match value {
            Value::Str(s) => match (s.encoding, num::parse_i64(&s.bytes)) {
                (StrEncoding::Int { .. }, Some(v)) => put_integer(out, v),
                _ => self.string(out, &s.bytes),
            },
            Value::List(l) => self.list(out, l),
            Value::Set(s) if s.is_intset() => {
                let ints: Vec<i64> = s.iter().filter_map(num::parse_i64).collect();
                let blob = intset::encode(&ints);
                self.string(out, &blob);
            }
            Value::Set(s) => {
                put_len(out, s.len() as u64);
                for m in s.iter() {
                    self.string(out, m);
                }
            }
            Value::ZSet(z) if z.is_listpack() => {
                let mut lp = ListpackBuilder::new();
                for (member, score) in z.iter() {
                    lp.push(member);
                    lp.push(listpack_score(score).as_bytes());
                }
                let blob = lp.finish();
                self.string(out, &blob);
            }
            Value::ZSet(z) => {
                put_len(out, z.len() as u64);
                for (member, score) in z.entries().rev() {
                    self.string(out, member);
                    out.extend_from_slice(&score.to_le_bytes());
                }
            }
            Value::Hash(h) if h.is_listpack() => {
                let blob = listpack::encode(h.iter().flat_map(|(f, v)| [f, v]));
                self.string(out, &blob);
            }
            Value::Hash(h) => {
                put_len(out, h.len() as u64);
                for (f, v) in h.iter() {
                    self.string(out, f);
                    self.string(out, v);
                }
            }
        }
    }

    /// A list as a quicklist: node count, then per node its container and
    /// its listpack (or, for a huge element, the element itself).
    fn list(&mut self, out: &mut Vec<u8>, list: &ListValue) {
        let nodes = split_into_nodes(list, self.list_fill);
        put_len(out, nodes.len() as u64);
        for node in nodes {
            match node {
                Node::Plain(e) => {
                    put_len(out, CONTAINER_PLAIN);
                    self.string(out, e);
                }
                Node::Packed(lp) => {
                    put_len(out, CONTAINER_PACKED);
                    self.string(out, &lp);
                }
            }
        }
    }
}

/// A sorted-set score as a listpack holds it (Redis 7.0's `d2string` path):
/// integral values within ±2^62 as integers (so -0 is "0"), others as `%.17g`.
fn listpack_score(score: f64) -> String {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if (-LIMIT..=LIMIT).contains(&score) && score.trunc() == score {
        (score as i64).to_string()
    } else {
        num::fmt_g17(score)
    }
}

enum Node<'a> {
    Plain(&'a [u8]),
    Packed(Vec<u8>),
}

/// Cuts a list into quicklist nodes as pushing its elements one by one to
/// the tail would (Redis's `_quicklistNodeAllowInsert`).
fn split_into_nodes(list: &ListValue, fill: i64) -> Vec<Node<'_>> {
    let mut nodes = Vec::new();
    let mut current: Option<ListpackBuilder> = None;
    for e in list.iter() {
        if e.len() >= PACKED_THRESHOLD {
            if let Some(lp) = current.take() {
                nodes.push(Node::Packed(lp.finish()));
            }
            nodes.push(Node::Plain(e));
            continue;
        }
        let fits = current.as_ref().is_some_and(|lp| node_allows(lp.len_bytes(), lp.count(), fill, e.len()));
        if !fits {
            if let Some(lp) = current.take() {
                nodes.push(Node::Packed(lp.finish()));
            }
        }
        current.get_or_insert_with(ListpackBuilder::new).push(e);
    }
    if let Some(lp) = current {
        nodes.push(Node::Packed(lp.finish()));
    }
    nodes
}

fn node_allows(node_bytes: usize, count: usize, fill: i64, element_len: usize) -> bool {
    let new_size = node_bytes + element_len + ENTRY_OVERHEAD_ESTIMATE;
    if fill < 0 {
        if let Some(&limit) = NODE_SIZE_LEVELS.get((-(fill + 1)) as usize) {
            return new_size <= limit;
        }
    }
    new_size <= NODE_SAFETY_LIMIT && (count as i64) < fill
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_in_listpacks_follow_d2string() {
        assert_eq!(listpack_score(-0.0), "0");
        assert_eq!(listpack_score(3.0), "3");
        assert_eq!(listpack_score(1.5), "1.5");
        assert_eq!(listpack_score(f64::INFINITY), "inf");
        assert_eq!(listpack_score(f64::NEG_INFINITY), "-inf");
        assert_eq!(listpack_score(1e20), "1e+20");
    }

    #[test]
    fn nodes_respect_the_fill() {
        let elements: Vec<Vec<u8>> = (0..2000).map(|i| format!("element-{i:05}").into_bytes()).collect();
        let list = ListValue::from_elements(elements.clone());
        for fill in [-1i64, -2, -5, 1, 128] {
            let nodes = split_into_nodes(&list, fill);
            let mut all = Vec::new();
            for n in &nodes {
                let Node::Packed(lp) = n else { panic!("no plain nodes expected") };
                let limit = if fill < 0 { NODE_SIZE_LEVELS[(-fill - 1) as usize] } else { NODE_SAFETY_LIMIT };
                assert!(lp.len() <= limit, "fill {fill}: node of {} bytes", lp.len());
                let items = listpack::decode(lp).unwrap();
                if fill > 0 {
                    assert!(items.len() as i64 <= fill);
                }
                all.extend(items.into_iter().map(listpack::LpValue::into_bytes));
            }
            assert_eq!(all, elements, "fill {fill}");
        }
        assert_eq!(split_into_nodes(&ListValue::from_elements(elements.clone()), 1).len(), 2000);
        assert!(split_into_nodes(&list, -2).len() > 2);
    }
}
