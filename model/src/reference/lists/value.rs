//! The list value.
//!
//! Redis 7.0 stores every list as a quicklist (a linked list of listpacks);
//! the node size settings only shape its internals, so nothing about them is
//! observable except OBJECT ENCODING, which is always "quicklist". A deque
//! of byte strings is all the model needs.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::command::lists::End;
use crate::reference::digest::mix_digest;

/// A value of the list type: elements from head (index 0) to tail.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ListValue {
    items: VecDeque<Bytes>,
}

impl ListValue {
    pub fn new() -> ListValue {
        ListValue::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer: listpack-encoded lists came only in Redis 7.2.
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// Mixes this value into a DEBUG DIGEST-VALUE digest, as Redis's
    /// xorObjectDigest: every element in order, head first, so the digest
    /// depends on the order.
    pub fn digest_into(&self, digest: &mut [u8; 20]) {
        for e in &self.items {
            mix_digest(digest, e);
        }
    }

    /// Rough memory use in bytes, for INFO memory: element bytes plus a
    /// few bytes of listpack header per element.
    pub fn approx_bytes(&self) -> usize {
        self.items.iter().map(|e| e.len() + 4).sum::<usize>() + 32
    }

    /// The elements from head to tail.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.items.iter().map(|e| &e[..])
    }

    /// A list holding `elements`, head first (SORT ... STORE builds one).
    pub fn from_elements(elements: Vec<Vec<u8>>) -> ListValue {
        ListValue { items: elements.into_iter().map(Bytes::from).collect() }
    }

    /// Adds `element` at one end.
    pub fn push(&mut self, end: End, element: Bytes) {
        match end {
            End::Head => self.items.push_front(element),
            End::Tail => self.items.push_back(element),
        }
    }

    /// Removes the element at one end.
    pub fn pop(&mut self, end: End) -> Option<Bytes> {
        match end {
            End::Head => self.items.pop_front(),
            End::Tail => self.items.pop_back(),
        }
    }

    /// Redis's index rule: negative counts from the tail (-1 is the last);
    /// `None` when outside the list.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        super::positional::resolve_index(self.len(), index)
    }

    pub fn get(&self, i: usize) -> Option<&Bytes> {
        self.items.get(i)
    }

    /// Replaces the element at `i` (which must be in range).
    pub fn set(&mut self, i: usize, element: Bytes) {
        self.items[i] = element;
    }

    /// Inserts before position `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, element: Bytes) {
        self.items.insert(i, element);
    }

    /// Position of the first element equal to `element`, from the head.
    pub fn position(&self, element: &[u8]) -> Option<usize> {
        self.items.iter().position(|e| e[..] == *element)
    }

    /// Elements `from..=to` (both already clamped into the list).
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = &Bytes> + '_ {
        self.items.range(from..=to)
    }

    /// Drops `head` elements from the head and `tail` from the tail (LTRIM).
    pub fn trim(&mut self, head: usize, tail: usize) {
        let head = head.min(self.len());
        self.items.drain(..head);
        let keep = self.len().saturating_sub(tail);
        self.items.truncate(keep);
    }

    /// Removes up to `limit` elements equal to `element` (`None`: all of
    /// them), scanning from `from`; returns how many were removed.
    pub fn remove_matching(&mut self, element: &[u8], from: End, limit: Option<u64>) -> u64 {
        let mut removed = 0u64;
        let mut keep = |e: &Bytes| {
            if e[..] == *element && limit.is_none_or(|l| removed < l) {
                removed += 1;
                false
            } else {
                true
            }
        };
        let kept: VecDeque<Bytes> = match from {
            End::Head => self.items.iter().filter(|e| keep(e)).cloned().collect(),
            End::Tail => {
                let mut v: VecDeque<Bytes> = self.items.iter().rev().filter(|e| keep(e)).cloned().collect();
                v.make_contiguous().reverse();
                v
            }
        };
        self.items = kept;
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> ListValue {
        ListValue::from_elements(items.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    fn items(l: &ListValue) -> Vec<String> {
        l.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect()
    }

    #[test]
    fn negative_indexes_count_from_the_tail() {
        let l = list(&["a", "b", "c"]);
        assert_eq!(l.resolve_index(-1), Some(2));
        assert_eq!(l.resolve_index(-3), Some(0));
        assert_eq!(l.resolve_index(-4), None);
        assert_eq!(l.resolve_index(3), None);
        assert_eq!(l.resolve_index(i64::MIN), None);
        assert_eq!(l.resolve_index(i64::MAX), None);
    }

    #[test]
    fn remove_from_the_tail_keeps_the_first_matches() {
        let mut l = list(&["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove_matching(b"x", End::Tail, Some(2)), 2);
        assert_eq!(items(&l), ["x", "a", "b"]);
        let mut l = list(&["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove_matching(b"x", End::Head, Some(2)), 2);
        assert_eq!(items(&l), ["a", "b", "x"]);
        assert_eq!(l.remove_matching(b"x", End::Head, None), 1);
        assert_eq!(items(&l), ["a", "b"]);
    }

    #[test]
    fn trim_past_the_ends_empties() {
        let mut l = list(&["a", "b", "c"]);
        l.trim(1, 1);
        assert_eq!(items(&l), ["b"]);
        l.trim(5, 5);
        assert!(l.is_empty());
    }

    #[test]
    fn digest_depends_on_order() {
        let (mut d1, mut d2) = ([0u8; 20], [0u8; 20]);
        list(&["a", "b"]).digest_into(&mut d1);
        list(&["b", "a"]).digest_into(&mut d2);
        assert_ne!(d1, d2);
        assert_eq!(list(&["a"]).encoding_name(), "quicklist");
    }
}
