//! The large form's order: a B+tree of (score, member) entries whose inner
//! nodes count the entries under each child, so that rank, the entry at a
//! rank, insert and remove are O(log n) and a range of k entries costs
//! O(log n + k).
//!
//! Why a B+tree rather than a skiplist or a treap: every step down a binary
//! structure is a cache miss, while a leaf here holds up to 64 entries side
//! by side (in one buffer) and an inner node up to 32 children, so a set of
//! 100k members is three nodes deep. The shape is a pure function of the
//! operations.
//!
//! An inner node keeps, for each child but the first, a separator: a key
//! above every entry of the child before it and at or below every entry of
//! the child itself (the classic B+tree rule; the first slot is unused).
//! Deleting a child's smallest entry leaves its separator valid, so removal
//! only touches separators when nodes merge or share entries. A separator
//! may thus name a member since removed: at most one per leaf.
//!
//! Members are stored as [`Key`]s: the short members most sets hold (up to
//! 22 bytes) sit inside the entry itself, with no allocation of their own,
//! and a separator is a copy of one.

use std::cmp::Ordering;

use super::range::partition;
use crate::store::key::Key;
use crate::store::prefetch::{prefetch, prefetch_lines};

/// Entries per leaf at most. Unit tests use tiny nodes, so that a few dozen
/// entries already build a tree several levels deep.
#[cfg(not(test))]
const LEAF_CAP: usize = 64;
#[cfg(test)]
const LEAF_CAP: usize = 6;
/// Children per inner node at most.
#[cfg(not(test))]
const INNER_CAP: usize = 32;
#[cfg(test)]
const INNER_CAP: usize = 6;
/// Below this a node that is not the root borrows from or merges with a
/// sibling (leaves split at the right edge of the tree may start smaller).
const LEAF_MIN: usize = LEAF_CAP / 3;
const INNER_MIN: usize = INNER_CAP / 3;

/// (score, member) order: scores as C compares them (`-0 == 0`), then bytes.
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2).unwrap_or(Ordering::Equal).then_with(|| m1.cmp(m2))
}

/// One entry of a leaf.
#[derive(Clone, Debug)]
struct Entry {
    score: f64,
    member: Key,
}

/// Entries in order, in one buffer. A leaf made by a split has room for
/// `LEAF_CAP + 1` entries (the spare slot takes the entry that makes a full
/// leaf split); only a lone root leaf grows from small, so that a small set
/// costs little.
#[derive(Debug, Default)]
struct Leaf {
    entries: Vec<Entry>,
}

impl Clone for Leaf {
    /// Keeps the room: the memory count takes every leaf but a lone root
    /// at its split size.
    fn clone(&self) -> Leaf {
        let mut entries = Vec::with_capacity(self.entries.capacity());
        entries.extend(self.entries.iter().cloned());
        Leaf { entries }
    }
}

/// Children with their separators and entry counts. (Cloning does not keep
/// the room, so a cloned tree's memory count errs high until it changes.)
#[derive(Clone, Debug)]
struct Inner {
    /// Separators, parallel to `children`; slot 0 is unused.
    sep_scores: Vec<f64>,
    sep_members: Vec<Key>,
    /// Entries under each child.
    counts: Vec<usize>,
    children: Vec<Node>,
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(Leaf),
    Inner(Box<Inner>),
}

/// Index of the first of `n` entries, read by `at`, that is not below the
/// key (`strict`) or is above it (not `strict`). Scores decide, members only
/// break ties, so a search reads few members.
fn search<'a>(n: usize, at: impl Fn(usize) -> (f64, &'a [u8]), score: f64, member: &[u8], strict: bool) -> usize {
    partition(0, n, |i| {
        let (s, m) = at(i);
        match cmp_entry(s, m, score, member) {
            Ordering::Less => false,
            Ordering::Equal => strict,
            Ordering::Greater => true,
        }
    })
}

impl Leaf {
    /// A leaf with room for a full leaf and the entry that splits it.
    fn full_size() -> Leaf {
        Leaf { entries: Vec::with_capacity(LEAF_CAP + 1) }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn entry(&self, i: usize) -> (&[u8], f64) {
        let e = &self.entries[i];
        (e.member.as_bytes(), e.score)
    }

    fn search(&self, score: f64, member: &[u8], strict: bool) -> usize {
        let e = &self.entries;
        search(e.len(), |i| (e[i].score, e[i].member.as_bytes()), score, member, strict)
    }

    fn insert(&mut self, at: usize, score: f64, member: Key) {
        let e = &mut self.entries;
        if e.len() == e.capacity() {
            // Doubling, up to the split size: only a lone root leaf is ever
            // below it.
            let want = (e.capacity() * 2).clamp(4, LEAF_CAP + 1);
            e.reserve_exact(want - e.len());
        }
        e.insert(at, Entry { score, member });
    }

    /// Moves the entries from `at` on into a new leaf.
    fn split_off(&mut self, at: usize) -> Leaf {
        let mut right = Leaf::full_size();
        right.entries.extend(self.entries.drain(at..));
        right
    }

    /// The first entry as a separator.
    fn first(&self) -> (f64, Key) {
        (self.entries[0].score, self.entries[0].member.clone())
    }
}

impl Inner {
    fn new() -> Box<Inner> {
        Box::new(Inner {
            sep_scores: Vec::with_capacity(INNER_CAP + 1),
            sep_members: Vec::with_capacity(INNER_CAP + 1),
            counts: Vec::with_capacity(INNER_CAP + 1),
            children: Vec::with_capacity(INNER_CAP + 1),
        })
    }

    /// The child whose range holds the key: the number of separators at or
    /// below it.
    fn child_for(&self, score: f64, member: &[u8]) -> usize {
        let (scores, members) = (&self.sep_scores[1..], &self.sep_members[1..]);
        search(scores.len(), |i| (scores[i], members[i].as_bytes()), score, member, false)
    }

    fn push(&mut self, sep: (f64, Key), count: usize, child: Node) {
        self.insert(self.children.len(), sep, count, child);
    }

    fn insert(&mut self, at: usize, sep: (f64, Key), count: usize, child: Node) {
        self.sep_scores.insert(at, sep.0);
        self.sep_members.insert(at, sep.1);
        self.counts.insert(at, count);
        self.children.insert(at, child);
    }

    fn remove(&mut self, at: usize) -> ((f64, Key), usize, Node) {
        let sep = (self.sep_scores.remove(at), self.sep_members.remove(at));
        (sep, self.counts.remove(at), self.children.remove(at))
    }

    /// Moves the children from `at` on into a new node; the separator of
    /// child `at` becomes the parent's separator for it.
    fn split_off(&mut self, at: usize) -> Box<Inner> {
        let mut right = Inner::new();
        right.sep_scores.extend(self.sep_scores.drain(at..));
        right.sep_members.extend(self.sep_members.drain(at..));
        right.counts.extend(self.counts.drain(at..));
        right.children.extend(self.children.drain(at..));
        right
    }
}

impl Node {
    fn count(&self) -> usize {
        match self {
            Node::Leaf(l) => l.len(),
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    /// Entries of a leaf, children of an inner node.
    fn width(&self) -> usize {
        match self {
            Node::Leaf(l) => l.len(),
            Node::Inner(n) => n.children.len(),
        }
    }

    fn min_width(&self) -> usize {
        match self {
            Node::Leaf(_) => LEAF_MIN,
            Node::Inner(_) => INNER_MIN,
        }
    }

    fn cap(&self) -> usize {
        match self {
            Node::Leaf(_) => LEAF_CAP,
            Node::Inner(_) => INNER_CAP,
        }
    }
}

/// Nodes allocated, for memory accounting in O(1). Every leaf but a lone
/// root has room for `LEAF_CAP + 1` entries.
#[derive(Clone, Debug, Default)]
struct Shape {
    leaves: usize,
    inners: usize,
}

/// An order-statistic B+tree.
#[derive(Clone, Debug)]
pub struct Tree {
    root: Node,
    shape: Shape,
    /// Heap bytes of the members too long to be stored inline, so that
    /// memory accounting stays O(1).
    member_heap: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree { root: Node::Leaf(Leaf::default()), shape: Shape { leaves: 1, inners: 0 }, member_heap: 0 }
    }
}

impl Tree {
    /// Starts loading the root, where every search starts.
    pub fn prefetch_root(&self) {
        match &self.root {
            Node::Inner(inner) => prefetch(&**inner),
            Node::Leaf(leaf) => prefetch_lines(&leaf.entries, 1),
        }
    }

    /// Starts loading the root's first separators; best once
    /// [`Tree::prefetch_root`] had time to bring the root in.
    pub fn prefetch_separators(&self) {
        if let Node::Inner(inner) = &self.root {
            prefetch_lines(&inner.sep_scores, 2);
        }
    }

    /// The root's count: a leaf's length, or the sum of at most
    /// `INNER_CAP` counts.
    pub fn len(&self) -> usize {
        self.root.count()
    }

    /// Adds an entry; the caller guarantees the member is not in the tree.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let member = Key::new(member);
        self.member_heap += member.heap_bytes();
        if let Some((sep, right)) = insert_in(&mut self.root, score, member, true, &mut self.shape) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Leaf::default()));
            let mut root = Inner::new();
            let (lc, rc) = (left.count(), right.count());
            root.push((sep.0, sep.1.clone()), lc, left);
            root.push(sep, rc, right);
            self.root = Node::Inner(root);
            self.shape.inners += 1;
        }
    }

    /// Removes the entry (score, member) if present.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        if !remove_in(&mut self.root, score, member, &mut self.shape) {
            return false;
        }
        self.member_heap -= Key::heap_len(member);
        // A root left with one child hands the tree to it.
        while let Node::Inner(n) = &mut self.root {
            if n.children.len() != 1 {
                break;
            }
            let child = n.children.pop().expect("one child");
            self.root = child;
            self.shape.inners -= 1;
        }
        true
    }

    /// Number of entries strictly below (score, member).
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let (mut t, mut below) = (&self.root, 0);
        loop {
            match t {
                Node::Leaf(l) => return below + l.search(score, member, true),
                Node::Inner(n) => {
                    let i = n.child_for(score, member);
                    below += n.counts[..i].iter().sum::<usize>();
                    t = &n.children[i];
                }
            }
        }
    }

    /// The first rank whose entry satisfies `pred`, for a predicate that is
    /// false and then true along the order, separators included (a score
    /// bound; a lex bound over equal scores, where every separator has that
    /// score too). O(log n), where a binary search over ranks is O(log² n).
    pub fn first_where(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        let (mut t, mut base) = (&self.root, 0);
        loop {
            match t {
                Node::Leaf(l) => return base + l.entries.partition_point(|e| !pred(e.member.as_bytes(), e.score)),
                Node::Inner(n) => {
                    // From the first child whose separator holds, every entry
                    // holds: the turn is in the child before it.
                    let c = partition(1, n.children.len(), |c| pred(n.sep_members[c].as_bytes(), n.sep_scores[c])) - 1;
                    base += n.counts[..c].iter().sum::<usize>();
                    t = &n.children[c];
                }
            }
        }
    }

    /// The entry at 0-based rank `i`.
    pub fn at(&self, i: usize) -> Option<(&[u8], f64)> {
        let (leaf, at) = self.descend(i, &mut Vec::new())?;
        Some(leaf.entry(at))
    }

    /// The leaf holding rank `i` and the index in it, with the path down to
    /// it (each inner node and the child taken) pushed on `path`.
    fn descend<'a>(&'a self, mut i: usize, path: &mut Vec<(&'a Inner, usize)>) -> Option<(&'a Leaf, usize)> {
        if i >= self.len() {
            return None;
        }
        let mut t = &self.root;
        loop {
            match t {
                Node::Leaf(l) => return (i < l.len()).then_some((l, i)),
                Node::Inner(n) => {
                    let mut c = 0;
                    while c + 1 < n.counts.len() && i >= n.counts[c] {
                        i -= n.counts[c];
                        c += 1;
                    }
                    path.push((n, c));
                    t = &n.children[c];
                }
            }
        }
    }

    /// Entries from rank `from` on, ascending (or descending when `rev`,
    /// from rank `from` down to rank 0).
    pub fn walk_from(&self, from: usize, rev: bool) -> Walk<'_> {
        let mut path = Vec::new();
        match self.descend(from, &mut path) {
            Some((leaf, at)) => {
                let left = if rev { from + 1 } else { self.len() - from };
                Walk { path, leaf: Some(leaf), at, left, rev }
            }
            None => Walk { path, leaf: None, at: 0, left: 0, rev },
        }
    }

    /// Entries in ascending order.
    pub fn iter(&self) -> Walk<'_> {
        self.walk_from(0, false)
    }

    /// Bytes allocated for the nodes and the members, in O(1). (Separators
    /// copied from members too long to be inline are not counted: at most
    /// one per leaf.)
    pub fn heap_bytes(&self) -> usize {
        let leaves = match &self.root {
            Node::Leaf(l) => l.entries.capacity(),
            Node::Inner(_) => self.shape.leaves * (LEAF_CAP + 1),
        } * std::mem::size_of::<Entry>();
        let inner = std::mem::size_of::<Inner>()
            + (INNER_CAP + 1)
                * (std::mem::size_of::<f64>()
                    + std::mem::size_of::<Key>()
                    + std::mem::size_of::<usize>()
                    + std::mem::size_of::<Node>());
        leaves + self.shape.inners * inner + self.member_heap
    }

    /// Checks the tree's invariants (order, counts, separators, fill),
    /// panicking with what is wrong.
    #[cfg(test)]
    pub fn check(&self) {
        fn walk(t: &Node, lo: Option<(f64, &[u8])>, hi: Option<(f64, &[u8])>, root: bool) -> usize {
            let below = |s: f64, m: &[u8], (hs, hm): (f64, &[u8])| cmp_entry(s, m, hs, hm) == Ordering::Less;
            if !root {
                assert!(t.width() >= 1, "empty node");
            }
            match t {
                Node::Leaf(l) => {
                    assert!(root || l.entries.capacity() == LEAF_CAP + 1, "a leaf of another size");
                    for i in 0..l.len() {
                        let (m, s) = l.entry(i);
                        assert!(lo.is_none_or(|lo| !below(s, m, lo)), "entry below its separator");
                        assert!(hi.is_none_or(|hi| below(s, m, hi)), "entry at or above the next separator");
                        if i > 0 {
                            let (pm, ps) = l.entry(i - 1);
                            assert!(below(ps, pm, (s, m)), "leaf out of order");
                        }
                    }
                    l.len()
                }
                Node::Inner(n) => {
                    assert!(root || n.children.len() >= INNER_MIN, "inner node under its minimum");
                    assert!(n.children.len() <= INNER_CAP && (!root || n.children.len() >= 2));
                    let mut total = 0;
                    for c in 0..n.children.len() {
                        let l = if c == 0 { lo } else { Some((n.sep_scores[c], n.sep_members[c].as_bytes())) };
                        let h = if c + 1 == n.children.len() {
                            hi
                        } else {
                            Some((n.sep_scores[c + 1], n.sep_members[c + 1].as_bytes()))
                        };
                        let count = walk(&n.children[c], l, h, false);
                        assert_eq!(count, n.counts[c], "child count");
                        total += count;
                    }
                    total
                }
            }
        }
        assert_eq!(walk(&self.root, None, None, true), self.len());
    }
}

/// Inserts into the subtree at `t`; `rightmost` says whether `t` is the
/// tree's right edge. Returns the new right sibling when `t` split, with its
/// separator.
fn insert_in(t: &mut Node, score: f64, member: Key, rightmost: bool, shape: &mut Shape) -> Option<((f64, Key), Node)> {
    match t {
        Node::Leaf(l) => {
            let at = l.search(score, member.as_bytes(), true);
            l.insert(at, score, member);
            if l.len() <= LEAF_CAP {
                return None;
            }
            // Appends at the tree's right edge (rising scores, the common
            // case of timestamps) leave full leaves behind them.
            let mid = if rightmost && at == LEAF_CAP { LEAF_CAP } else { l.len() / 2 };
            let right = l.split_off(mid);
            shape.leaves += 1;
            Some((right.first(), Node::Leaf(right)))
        }
        Node::Inner(n) => {
            let i = n.child_for(score, member.as_bytes());
            n.counts[i] += 1;
            let last = i + 1 == n.children.len();
            let (sep, right) = insert_in(&mut n.children[i], score, member, rightmost && last, shape)?;
            let moved = right.count();
            n.counts[i] -= moved;
            n.insert(i + 1, sep, moved, right);
            if n.children.len() <= INNER_CAP {
                return None;
            }
            let right = n.split_off(n.children.len() / 2);
            shape.inners += 1;
            let sep = (right.sep_scores[0], right.sep_members[0].clone());
            Some((sep, Node::Inner(right)))
        }
    }
}

/// Removes the entry from the subtree at `t`; whether it was there.
fn remove_in(t: &mut Node, score: f64, member: &[u8], shape: &mut Shape) -> bool {
    match t {
        Node::Leaf(l) => {
            let at = l.search(score, member, true);
            if at == l.len()
                || cmp_entry(l.entries[at].score, l.entries[at].member.as_bytes(), score, member) != Ordering::Equal
            {
                return false;
            }
            l.entries.remove(at);
            true
        }
        Node::Inner(n) => {
            let i = n.child_for(score, member);
            if !remove_in(&mut n.children[i], score, member, shape) {
                return false;
            }
            n.counts[i] -= 1;
            if n.children[i].width() < n.children[i].min_width() {
                rebalance(n, i, shape);
            }
            true
        }
    }
}

/// Child `i` of `n` fell under its minimum: merge it with a neighbour when
/// both fit in one node, else even the two out.
fn rebalance(n: &mut Inner, i: usize, shape: &mut Shape) {
    let l = if i + 1 < n.children.len() { i } else { i - 1 };
    let r = l + 1;
    let sep = (n.sep_scores[r], n.sep_members[r].clone());
    let total = n.children[l].width() + n.children[r].width();
    if total <= n.children[l].cap() {
        let (_, moved, right) = n.remove(r);
        n.counts[l] += moved;
        match (&mut n.children[l], right) {
            (Node::Leaf(a), Node::Leaf(mut b)) => {
                a.entries.append(&mut b.entries);
                shape.leaves -= 1;
            }
            (Node::Inner(a), Node::Inner(mut b)) => {
                // The parent's separator comes down to the first moved child.
                b.sep_scores[0] = sep.0;
                b.sep_members[0] = sep.1;
                a.sep_scores.append(&mut b.sep_scores);
                a.sep_members.append(&mut b.sep_members);
                a.counts.append(&mut b.counts);
                a.children.append(&mut b.children);
                shape.inners -= 1;
            }
            _ => unreachable!("siblings are at the same depth"),
        }
        return;
    }
    let want_left = total / 2;
    let (head, tail) = n.children.split_at_mut(r);
    let new_sep = match (&mut head[l], &mut tail[0]) {
        (Node::Leaf(a), Node::Leaf(b)) => {
            if a.len() < want_left {
                let k = want_left - a.len();
                a.entries.extend(b.entries.drain(..k));
            } else {
                b.entries.splice(0..0, a.entries.drain(want_left..));
            }
            b.first()
        }
        (Node::Inner(a), Node::Inner(b)) => {
            // Children cross through the parent: the separator between the
            // two nodes moves down, and the new first child's comes up.
            b.sep_scores[0] = sep.0;
            b.sep_members[0] = sep.1;
            if a.children.len() < want_left {
                let k = want_left - a.children.len();
                a.sep_scores.extend(b.sep_scores.drain(..k));
                a.sep_members.extend(b.sep_members.drain(..k));
                a.counts.extend(b.counts.drain(..k));
                a.children.extend(b.children.drain(..k));
            } else {
                let moved = a.split_off(want_left);
                b.sep_scores.splice(0..0, moved.sep_scores);
                b.sep_members.splice(0..0, moved.sep_members);
                b.counts.splice(0..0, moved.counts);
                b.children.splice(0..0, moved.children);
            }
            (b.sep_scores[0], b.sep_members[0].clone())
        }
        _ => unreachable!("siblings are at the same depth"),
    };
    n.counts[l] = n.children[l].count();
    n.counts[r] = n.children[r].count();
    n.sep_scores[r] = new_sep.0;
    n.sep_members[r] = new_sep.1;
}

/// A walk over the entries by rank, up or down, from one leaf to the next
/// through the path of inner nodes above it.
pub struct Walk<'a> {
    path: Vec<(&'a Inner, usize)>,
    leaf: Option<&'a Leaf>,
    /// The next entry's index in `leaf`.
    at: usize,
    /// Entries still to give.
    left: usize,
    rev: bool,
}

impl<'a> Walk<'a> {
    /// Moves to the next leaf in the walk's direction.
    fn next_leaf(&mut self) -> Option<&'a Leaf> {
        loop {
            let (node, c) = self.path.last_mut()?;
            if !self.rev && *c + 1 < node.children.len() {
                *c += 1;
                break;
            }
            if self.rev && *c > 0 {
                *c -= 1;
                break;
            }
            self.path.pop();
        }
        let &(node, c) = self.path.last()?;
        let mut t = &node.children[c];
        loop {
            match t {
                Node::Leaf(l) => return Some(l),
                Node::Inner(n) => {
                    let c = if self.rev { n.children.len() - 1 } else { 0 };
                    self.path.push((n, c));
                    t = &n.children[c];
                }
            }
        }
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let leaf = self.leaf?;
        let item = leaf.entry(self.at);
        self.left -= 1;
        if self.left > 0 {
            if self.rev && self.at == 0 {
                self.leaf = self.next_leaf();
                self.at = self.leaf.map_or(0, |l| l.len() - 1);
            } else if self.rev {
                self.at -= 1;
            } else if self.at + 1 == leaf.len() {
                self.leaf = self.next_leaf();
                self.at = 0;
            } else {
                self.at += 1;
            }
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}
