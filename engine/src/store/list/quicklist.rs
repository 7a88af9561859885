//! The list value: a deque of nodes, each a packed run of entries, as
//! Redis's quicklist (a linked list of listpacks).
//!
//! - Nodes are bounded by `list-max-listpack-size` the way Redis bounds
//!   them: a negative setting caps a node's bytes (-1 .. -5: 4 .. 64 KiB),
//!   a positive one its entries (and its bytes at 8 KiB). An element too
//!   big for any node gets a node of its own. A node also stops at
//!   [`NODE_ENTRIES`] entries, which Redis does not do: a node here costs a
//!   few dozen bytes (a Redis node pays for a listpack header and a linked
//!   list node as well), and the cap keeps a seek inside one node short.
//! - Pushes and pops work on the end nodes and are amortized O(1); a new
//!   node is opened when the end node is full.
//! - A position is found by walking the node counts from the nearer end,
//!   then the entries inside one node. The counts are also kept in a dense
//!   array of their own, read sixteen at a time, so that seeking through
//!   thousands of nodes reads a few kilobytes, not every node.
//! - Inserting into a full node splits it in two; a node left less than a
//!   quarter full by removals is merged with a neighbour it fits into, so
//!   that edits in the middle keep nodes reasonably full.
//!
//! Nothing about the node layout is observable: Redis 7.0 answers
//! "quicklist" to OBJECT ENCODING for every list, and replies, digests and
//! DUMP payloads depend only on the elements.

use std::collections::VecDeque;

use bytes::Bytes;
use redsim_model::command::lists::End;
use redsim_model::resp::BulkArray;

use super::entry::Elem;
use super::node::{Entries, Node};
use crate::store::prefetch::prefetch;

/// Redis's byte limits for `list-max-listpack-size` -1 .. -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Nodes limited by count are still kept under this many bytes (Redis's `SIZE_SAFETY_LIMIT`).
const SAFETY_LIMIT: usize = 8192;
/// Redis clamps a positive fill to this (`FILL_MAX`).
const FILL_MAX: i64 = 32767;
/// Entries per node at most, whatever the fill: finding an entry inside a
/// node walks at most half of them (LINDEX, LSET, LINSERT, LRANGE's start).
const NODE_ENTRIES: u32 = 128;

/// How big a node may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Limits {
    bytes: u32,
    count: u32,
}

impl Limits {
    /// The limits for a `list-max-listpack-size` value, clamped as Redis's
    /// `quicklistSetFill` does (below -5 means -5; 0 allows one entry), and
    /// to [`NODE_ENTRIES`].
    fn from_fill(fill: i64) -> Limits {
        if fill < 0 {
            let level = (fill.unsigned_abs().min(5) - 1) as usize;
            Limits { bytes: SIZE_LEVELS[level] as u32, count: NODE_ENTRIES }
        } else {
            let count = fill.clamp(1, FILL_MAX) as u32;
            Limits { bytes: SAFETY_LIMIT as u32, count: count.min(NODE_ENTRIES) }
        }
    }

    fn max_bytes(self) -> usize {
        self.bytes as usize
    }

    /// Whether `node` takes one more entry of `len` bytes (an empty node
    /// takes anything).
    fn allows(self, node: &Node, len: usize) -> bool {
        node.count() == 0 || (node.bytes() + len <= self.max_bytes() && node.count() < self.count as usize)
    }

    fn over(self, node: &Node) -> bool {
        node.count() > 1 && (node.bytes() > self.max_bytes() || node.count() > self.count as usize)
    }

    /// Less than a quarter full: worth merging into a neighbour.
    fn sparse(self, node: &Node) -> bool {
        node.bytes() * 4 < self.max_bytes() && node.count() * 4 < self.count as usize
    }

    fn fit_together(self, a: &Node, b: &Node) -> bool {
        a.bytes() + b.bytes() <= self.max_bytes() && a.count() + b.count() <= self.count as usize
    }
}

/// At most this much text is reserved ahead for a range reply.
const RANGE_RESERVE: usize = 64 * 1024;
/// Node counts summed at a time while seeking (a width that vectorizes).
const STRIDE: usize = 16;

/// A list: elements from head (index 0) to tail.
#[derive(Clone, Debug)]
pub struct QuickList {
    nodes: VecDeque<Node>,
    /// `nodes[i].count()` for every node, kept in step by [`QuickList::edit`],
    /// [`QuickList::insert_node`] and [`QuickList::remove_node`].
    counts: VecDeque<u32>,
    len: usize,
    /// Bytes allocated by the nodes' buffers, for INFO memory.
    buffers: usize,
    limits: Limits,
}

impl QuickList {
    /// The loads behind the list's header, one step at a time (see
    /// `Obj::prefetch_step`): the end nodes and their counts, then the
    /// entries at both ends.
    pub fn prefetch_step(&self, step: usize) {
        let ends = [self.nodes.front(), self.nodes.back()];
        match step {
            0 => {
                ends.into_iter().flatten().for_each(prefetch);
                [self.counts.front(), self.counts.back()].into_iter().flatten().for_each(prefetch);
            }
            1 => ends.into_iter().flatten().for_each(Node::prefetch_ends),
            _ => {}
        }
    }

    /// An empty list whose nodes follow `list-max-listpack-size` = `fill`.
    pub fn new(fill: i64) -> QuickList {
        QuickList {
            nodes: VecDeque::new(),
            counts: VecDeque::new(),
            len: 0,
            buffers: 0,
            limits: Limits::from_fill(fill),
        }
    }

    /// A list of `elements`, head first.
    pub fn from_elements<'a>(fill: i64, elements: impl IntoIterator<Item = &'a [u8]>) -> QuickList {
        let mut l = QuickList::new(fill);
        for e in elements {
            l.push(End::Tail, e);
        }
        l
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes: Redis's `quicklist->len`, the effort of freeing the list.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Heap bytes owned, for INFO memory.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<QuickList>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.counts.capacity() * std::mem::size_of::<u32>()
            + self.buffers
    }

    /// Runs `f` on node `i`, keeping the buffer total up to date.
    fn edit<R>(&mut self, i: usize, f: impl FnOnce(&mut Node, usize) -> R) -> R {
        let limit = self.limits.max_bytes();
        let node = &mut self.nodes[i];
        let before = node.capacity();
        let r = f(node, limit);
        self.buffers = self.buffers + node.capacity() - before;
        self.counts[i] = node.count() as u32;
        r
    }

    fn insert_node(&mut self, i: usize, node: Node) {
        self.buffers += node.capacity();
        self.counts.insert(i, node.count() as u32);
        self.nodes.insert(i, node);
    }

    fn remove_node(&mut self, i: usize) -> Node {
        let node = self.nodes.remove(i).unwrap_or_default();
        self.counts.remove(i);
        self.buffers -= node.capacity();
        node
    }

    /// Adds `element` at one end.
    pub fn push(&mut self, end: End, element: &[u8]) {
        let e = Elem::of(element);
        let len = e.encoded_len();
        let i = match end {
            End::Head => 0,
            End::Tail => self.nodes.len().saturating_sub(1),
        };
        let room = self.nodes.get(i).is_some_and(|n| self.limits.allows(n, len));
        let i = if room {
            i
        } else {
            // The old end node is done growing: give back its spare room.
            if !self.nodes.is_empty() {
                self.edit(i, |n, _| n.shrink_to_fit());
            }
            let at = if end == End::Head { 0 } else { self.nodes.len() };
            self.insert_node(at, Node::default());
            at
        };
        self.edit(i, |n, limit| match end {
            End::Head => n.push_front(&e, limit),
            End::Tail => n.push_back(&e, limit),
        });
        self.len += 1;
    }

    /// Removes the element at one end.
    pub fn pop(&mut self, end: End) -> Option<Bytes> {
        let mut out = None;
        self.pop_with(end, 1, |e| out = Some(e.to_bytes()));
        out
    }

    /// Removes up to `n` elements from one end, in the order they come off.
    pub fn pop_many(&mut self, end: End, n: usize) -> BulkArray {
        let mut out = BulkArray::with_capacity(n.min(self.len), 0);
        self.pop_with(end, n, |e| out.push(e.text(&mut [0u8; 20])));
        out
    }

    /// Removes up to `n` elements from one end, showing each to `take`.
    fn pop_with(&mut self, end: End, mut n: usize, mut take: impl FnMut(Elem<'_>)) {
        while n > 0 && !self.nodes.is_empty() {
            let i = if end == End::Head { 0 } else { self.nodes.len() - 1 };
            let node = &self.nodes[i];
            let k = n.min(node.count());
            match end {
                End::Head => node.iter().take(k).for_each(&mut take),
                End::Tail => node.iter().rev().take(k).for_each(&mut take),
            }
            if k == node.count() {
                self.remove_node(i);
            } else {
                self.edit(i, |node, _| match end {
                    End::Head => node.remove_front(k),
                    End::Tail => node.remove_back(k),
                });
            }
            self.len -= k;
            n -= k;
        }
    }

    /// Node and entry index of position `index` (< len), walking the
    /// counts from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        debug_assert!(index < self.len);
        let (a, b) = self.counts.as_slices();
        if index < self.len / 2 {
            let mut left = index;
            let mut base = 0;
            for part in [a, b] {
                let mut at = 0;
                while at + STRIDE <= part.len() {
                    let sum = sum(&part[at..at + STRIDE]);
                    if left < sum {
                        break;
                    }
                    left -= sum;
                    at += STRIDE;
                }
                for (k, &c) in part.iter().enumerate().skip(at) {
                    if left < c as usize {
                        return (base + k, left);
                    }
                    left -= c as usize;
                }
                base += part.len();
            }
        } else {
            // Counted from the tail, 1 being the last element.
            let mut from_tail = self.len - index;
            let mut base = self.counts.len();
            for part in [b, a] {
                base -= part.len();
                let mut at = part.len();
                while at >= STRIDE {
                    let sum = sum(&part[at - STRIDE..at]);
                    if from_tail <= sum {
                        break;
                    }
                    from_tail -= sum;
                    at -= STRIDE;
                }
                for (k, &c) in part[..at].iter().enumerate().rev() {
                    if from_tail <= c as usize {
                        return (base + k, c as usize - from_tail);
                    }
                    from_tail -= c as usize;
                }
            }
        }
        unreachable!("index {index} within a list of {} elements", self.len)
    }

    /// The element at `index`, if in range.
    pub fn get(&self, index: usize) -> Option<Bytes> {
        if index >= self.len {
            return None;
        }
        let (i, j) = self.locate(index);
        let node = &self.nodes[i];
        Some(node.entry_at(node.offset_of(j)).0.to_bytes())
    }

    /// Replaces the element at `index` (which must be in range).
    pub fn set(&mut self, index: usize, element: &[u8]) {
        let (i, j) = self.locate(index);
        let e = Elem::of(element);
        self.edit(i, |node, limit| {
            let offset = node.offset_of(j);
            let old_len = node.entry_at(offset).1;
            node.replace(offset, old_len, &e, limit);
        });
        self.split_if_over(i);
    }

    /// Inserts `element` before position `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, element: &[u8]) {
        if index == 0 || index == self.len {
            let end = if index == 0 { End::Head } else { End::Tail };
            return self.push(end, element);
        }
        let (mut i, mut j) = self.locate(index);
        let e = Elem::of(element);
        // At the start of a node, the previous node may have room.
        if j == 0 && self.limits.allows(&self.nodes[i - 1], e.encoded_len()) {
            i -= 1;
            j = self.nodes[i].count();
        }
        self.edit(i, |node, limit| {
            let offset = node.offset_of(j);
            node.insert(offset, &e, limit);
        });
        self.len += 1;
        self.split_if_over(i);
    }

    /// Cuts node `i` in halves (and those again) while it is over its limits.
    fn split_if_over(&mut self, i: usize) {
        if !self.limits.over(&self.nodes[i]) {
            return;
        }
        let half = self.nodes[i].count() / 2;
        let right = self.edit(i, |node, _| {
            let offset = node.offset_of(half);
            node.split_off(offset, half)
        });
        self.insert_node(i + 1, right);
        self.split_if_over(i + 1);
        self.split_if_over(i);
    }

    /// Removes node `i` if empty, or merges it into a neighbour when it has
    /// become sparse and fits.
    fn tidy(&mut self, i: usize) {
        let node = &self.nodes[i];
        if node.count() == 0 {
            self.remove_node(i);
            return;
        }
        if !self.limits.sparse(node) {
            return;
        }
        // Into the smaller neighbour that can take it.
        let left = i.checked_sub(1).filter(|&l| self.limits.fit_together(&self.nodes[l], node));
        let right = Some(i + 1).filter(|&r| r < self.nodes.len() && self.limits.fit_together(node, &self.nodes[r]));
        let (keep, gone) = match (left, right) {
            (Some(l), Some(r)) if self.nodes[r].bytes() < self.nodes[l].bytes() => (i, r),
            (Some(l), _) => (l, i),
            (None, Some(r)) => (i, r),
            (None, None) => return,
        };
        // Neighbours, `keep` first: removing `gone` leaves `keep` in place.
        let absorbed = self.remove_node(gone);
        self.edit(keep, |node, limit| node.append(&absorbed, limit));
    }

    /// Elements `from..=to` (both within the list), head first: node by
    /// node, each walked in one tight loop.
    pub fn range(&self, from: usize, to: usize) -> BulkArray {
        let mut left = to + 1 - from;
        let (i, j) = self.locate(from);
        let first = &self.nodes[i];
        // Room for the text, guessed from the first node's mean entry (a
        // guess only: capped, since that node may hold one huge element).
        let guess = left.saturating_mul(first.bytes() / first.count()).min(RANGE_RESERVE);
        let mut out = BulkArray::with_capacity(left, guess);
        let (mut skip, mut offset) = (j, first.offset_of(j));
        // Integers are written out as text in this scratch space.
        let mut digits = [0u8; 20];
        for node in self.nodes.range(i..) {
            let take = (node.count() - skip).min(left);
            for e in node.iter_from(offset).take(take) {
                out.push(e.text(&mut digits));
            }
            left -= take;
            (skip, offset) = (0, 0);
            if left == 0 {
                break;
            }
        }
        out
    }

    /// The elements from head to tail.
    pub fn iter(&self) -> Iter<'_> {
        Iter { nodes: self.nodes.iter(), front: None, back: None, left: self.len }
    }

    /// Drops `head` elements from the head and `tail` from the tail (LTRIM).
    pub fn trim(&mut self, head: usize, tail: usize) {
        let head = head.min(self.len);
        self.pop_with(End::Head, head, |_| {});
        let tail = tail.min(self.len);
        self.pop_with(End::Tail, tail, |_| {});
    }

    /// Position of the first element equal to `element`, from the head.
    pub fn position(&self, element: &[u8]) -> Option<usize> {
        let needle = Elem::of(element);
        self.iter().position(|e| e == needle)
    }

    /// Removes up to `limit` elements equal to `element` (`None`: all of
    /// them), the first ones met scanning from `from`; returns how many
    /// were removed.
    pub fn remove_matching(&mut self, element: &[u8], from: End, limit: Option<u64>) -> u64 {
        let needle = Elem::of(element);
        // From the tail with a limit, the last `limit` matches go: scanning
        // from the head, skip the others first.
        let mut skip = match (from, limit) {
            (End::Tail, Some(l)) => (self.iter().filter(|&e| e == needle).count() as u64).saturating_sub(l),
            _ => 0,
        };
        let mut budget = limit.unwrap_or(u64::MAX);
        let mut removed = 0u64;
        let mut edited = Vec::new();
        for i in 0..self.nodes.len() {
            if budget == 0 {
                break;
            }
            let matches = self.nodes[i].iter().filter(|&e| e == needle).count() as u64;
            if matches <= skip {
                skip -= matches;
                continue;
            }
            let gone = self.edit(i, |node, _| {
                node.retain(|e| {
                    if e != needle || budget == 0 {
                        return true;
                    }
                    if skip > 0 {
                        skip -= 1;
                        return true;
                    }
                    budget -= 1;
                    false
                })
            });
            removed += gone as u64;
            self.len -= gone;
            edited.push(i);
        }
        // Tidied last to first, so that the indexes still to visit stay put.
        for &i in edited.iter().rev() {
            self.tidy(i);
        }
        removed
    }

    /// Every node's entries and count agree, nodes respect the limits
    /// unless alone with one entry, no node is empty (tests).
    #[cfg(test)]
    pub fn check(&self) {
        let mut total = 0;
        let mut buffers = 0;
        for node in &self.nodes {
            assert!(node.count() > 0, "empty node");
            assert_eq!(node.iter().count(), node.count());
            assert_eq!(node.iter().rev().count(), node.count());
            assert!(!self.limits.over(node), "node over its limits: {} entries, {} bytes", node.count(), node.bytes());
            total += node.count();
            buffers += node.capacity();
        }
        assert!(self.counts.iter().map(|&c| c as usize).eq(self.nodes.iter().map(Node::count)));
        assert_eq!(total, self.len);
        assert_eq!(buffers, self.buffers);
    }

    #[cfg(test)]
    pub fn node_counts(&self) -> Vec<usize> {
        self.nodes.iter().map(Node::count).collect()
    }
}

/// The sum of a few node counts.
fn sum(counts: &[u32]) -> usize {
    counts.iter().map(|&c| c as usize).sum()
}

/// The elements of a list, from either end.
pub struct Iter<'a> {
    nodes: std::collections::vec_deque::Iter<'a, Node>,
    front: Option<Entries<'a>>,
    back: Option<Entries<'a>>,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        if self.left == 0 {
            return None;
        }
        loop {
            if let Some(e) = self.front.as_mut().and_then(Iterator::next) {
                self.left -= 1;
                return Some(e);
            }
            match self.nodes.next() {
                Some(node) => self.front = Some(node.iter()),
                None => {
                    let e = self.back.as_mut().and_then(Iterator::next);
                    self.left -= e.is_some() as usize;
                    return e;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        loop {
            if let Some(e) = self.back.as_mut().and_then(DoubleEndedIterator::next_back) {
                self.left -= 1;
                return Some(e);
            }
            match self.nodes.next_back() {
                Some(node) => self.back = Some(node.iter()),
                None => {
                    let e = self.front.as_mut().and_then(DoubleEndedIterator::next_back);
                    self.left -= e.is_some() as usize;
                    return e;
                }
            }
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}
