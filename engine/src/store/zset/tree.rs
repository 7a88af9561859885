//! The large form's order: a treap of (score, member) with subtree sizes, so
//! that rank, the element at a rank and insert/remove are all O(log n).
//!
//! Nodes live in one arena (`Vec`) linked by index, with a free list. Heap
//! priorities come from a fixed-seed xorshift generator owned by the tree:
//! the shape is a pure function of the operations, never of OS randomness.

use std::cmp::Ordering;

use bytes::Bytes;

/// No node.
const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    member: Bytes,
    score: f64,
    prio: u64,
    left: u32,
    right: u32,
    /// Nodes in this subtree, itself included.
    size: u32,
}

/// (score, member) order: scores as C compares them (`-0 == 0`), then bytes.
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2).unwrap_or(Ordering::Equal).then_with(|| m1.cmp(m2))
}

/// An order-statistic treap.
#[derive(Clone, Debug)]
pub struct Tree {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    seed: u64,
    /// Bytes of all members, so that memory accounting stays O(1).
    member_bytes: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree { nodes: Vec::new(), free: Vec::new(), root: NIL, seed: 0x9E37_79B9_7F4A_7C15, member_bytes: 0 }
    }
}

impl Tree {
    pub fn len(&self) -> usize {
        self.size(self.root) as usize
    }

    fn size(&self, n: u32) -> u32 {
        if n == NIL {
            0
        } else {
            self.nodes[n as usize].size
        }
    }

    fn fix(&mut self, n: u32) {
        let (l, r) = (self.nodes[n as usize].left, self.nodes[n as usize].right);
        self.nodes[n as usize].size = 1 + self.size(l) + self.size(r);
    }

    fn next_prio(&mut self) -> u64 {
        // xorshift64: deterministic, cheap, good enough for balance.
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        x
    }

    fn cmp_node(&self, n: u32, score: f64, member: &[u8]) -> Ordering {
        let node = &self.nodes[n as usize];
        cmp_entry(node.score, &node.member, score, member)
    }

    /// Splits `t` into (entries < key, entries >= key).
    fn split(&mut self, t: u32, score: f64, member: &[u8]) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.cmp_node(t, score, member) == Ordering::Less {
            let right = self.nodes[t as usize].right;
            let (a, b) = self.split(right, score, member);
            self.nodes[t as usize].right = a;
            self.fix(t);
            (t, b)
        } else {
            let left = self.nodes[t as usize].left;
            let (a, b) = self.split(left, score, member);
            self.nodes[t as usize].left = b;
            self.fix(t);
            (a, t)
        }
    }

    /// Joins two trees where every entry of `a` is below every entry of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let ar = self.nodes[a as usize].right;
            let m = self.merge(ar, b);
            self.nodes[a as usize].right = m;
            self.fix(a);
            a
        } else {
            let bl = self.nodes[b as usize].left;
            let m = self.merge(a, bl);
            self.nodes[b as usize].left = m;
            self.fix(b);
            b
        }
    }

    /// Adds an entry; the caller guarantees the member is not in the tree.
    pub fn insert(&mut self, member: Bytes, score: f64) {
        let prio = self.next_prio();
        self.member_bytes += member.len();
        let node = Node { member, score, prio, left: NIL, right: NIL, size: 1 };
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        let (score, member) = (self.nodes[id as usize].score, self.nodes[id as usize].member.clone());
        let (a, b) = self.split(self.root, score, &member);
        let left = self.merge(a, id);
        self.root = self.merge(left, b);
    }

    /// Removes the entry (score, member) if present.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let (removed, root) = self.remove_in(self.root, score, member);
        self.root = root;
        removed
    }

    fn remove_in(&mut self, t: u32, score: f64, member: &[u8]) -> (bool, u32) {
        if t == NIL {
            return (false, NIL);
        }
        match self.cmp_node(t, score, member) {
            Ordering::Equal => {
                let (l, r) = (self.nodes[t as usize].left, self.nodes[t as usize].right);
                self.member_bytes -= self.nodes[t as usize].member.len();
                self.nodes[t as usize].member = Bytes::new();
                self.free.push(t);
                (true, self.merge(l, r))
            }
            Ordering::Greater => {
                let l = self.nodes[t as usize].left;
                let (removed, nl) = self.remove_in(l, score, member);
                self.nodes[t as usize].left = nl;
                self.fix(t);
                (removed, t)
            }
            Ordering::Less => {
                let r = self.nodes[t as usize].right;
                let (removed, nr) = self.remove_in(r, score, member);
                self.nodes[t as usize].right = nr;
                self.fix(t);
                (removed, t)
            }
        }
    }

    /// Number of entries strictly below (score, member).
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let (mut t, mut below) = (self.root, 0usize);
        while t != NIL {
            let n = &self.nodes[t as usize];
            if self.cmp_node(t, score, member) == Ordering::Less {
                below += self.size(n.left) as usize + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        below
    }

    /// The entry at 0-based rank `i`.
    pub fn at(&self, mut i: usize) -> Option<(&[u8], f64)> {
        let mut t = self.root;
        while t != NIL {
            let n = &self.nodes[t as usize];
            let left = self.size(n.left) as usize;
            match i.cmp(&left) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return Some((&n.member, n.score)),
                Ordering::Greater => {
                    i -= left + 1;
                    t = n.right;
                }
            }
        }
        None
    }

    /// Entries from rank `from` on, ascending (or descending when `rev`,
    /// from rank `from` down to rank 0): O(log n) to find the start, then
    /// O(1) amortized per entry, so a range of k costs O(log n + k).
    pub fn walk_from(&self, from: usize, rev: bool) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        // The stack holds the nodes still to visit, the next one on top.
        let mut stack = Vec::new();
        let (mut t, mut i) = (self.root, from);
        while t != NIL {
            let n = &self.nodes[t as usize];
            let left = self.size(n.left) as usize;
            match (i.cmp(&left), rev) {
                (Ordering::Equal, _) => {
                    stack.push(t);
                    break;
                }
                (Ordering::Less, false) => {
                    stack.push(t);
                    t = n.left;
                }
                (Ordering::Less, true) => t = n.left,
                (Ordering::Greater, false) => {
                    i -= left + 1;
                    t = n.right;
                }
                (Ordering::Greater, true) => {
                    stack.push(t);
                    i -= left + 1;
                    t = n.right;
                }
            }
        }
        std::iter::from_fn(move || {
            let top = stack.pop()?;
            let node = &self.nodes[top as usize];
            // The next ones: the subtree on the walk's side, down its near edge.
            let mut t = if rev { node.left } else { node.right };
            while t != NIL {
                stack.push(t);
                let n = &self.nodes[t as usize];
                t = if rev { n.right } else { n.left };
            }
            Some((&node.member[..], node.score))
        })
    }

    /// Entries in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut stack = Vec::new();
        let mut t = self.root;
        std::iter::from_fn(move || {
            while t != NIL {
                stack.push(t);
                t = self.nodes[t as usize].left;
            }
            let n = stack.pop()?;
            t = self.nodes[n as usize].right;
            let node = &self.nodes[n as usize];
            Some((&node.member[..], node.score))
        })
    }

    /// Bytes allocated for the arena and the members, in O(1).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>() + self.free.capacity() * 4 + self.member_bytes
    }
}
