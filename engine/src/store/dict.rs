//! One database's hash table, rehashed incrementally, as Redis's `dict`.
//!
//! Keys hash into buckets of singly linked chains. When the table fills up
//! (as many keys as buckets) a second table of twice the size is allocated
//! and the chains move over a bucket at a time: one bucket with every write
//! or lookup that can afford it and [`CRON_REHASH_BUCKETS`] per cron tick, so
//! no single command ever pays for moving the whole table. Lookups consult
//! both tables while a rehash is under way, and new keys go to the new one.
//! The cron also shrinks a table that fell below 10% fill.
//!
//! Entries live in slabs ([`Slab`]) and chains link them by index, so moving
//! a chain never copies an entry. There are two slabs: keys without an
//! expire time take a [`Node`] and nothing more, keys with one a
//! [`Node`] plus their deadline. A link's top bit says which slab, so a
//! persistent key pays nothing for the expire machinery.
//!
//! SCAN walks the buckets with Redis's reverse-binary cursor (`dictScan`):
//! the cursor's bits are incremented from the top, so the buckets a bucket
//! splits into when the table doubles (or merges into when it halves) are
//! visited next to each other, and a key present for the whole iteration is
//! returned at least once, even across resizes and rehash steps.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::hasher::hash_key;
use super::key::Key;
use super::object::Obj;
use super::prefetch::prefetch;
use super::slab::Slab;

/// The end of a chain / an empty bucket.
pub const NIL: u32 = 0;
/// Set in links to entries of the volatile slab.
const VOLATILE: u32 = 1 << 31;
/// Redis's DICT_HT_INITIAL_SIZE.
const INITIAL_SIZE: usize = 4;
/// Redis's HASHTABLE_MIN_FILL: below this percentage the cron shrinks the table.
const MIN_FILL_PERCENT: usize = 10;
/// Buckets moved per operation while a rehash is under way (Redis: 1).
const OP_REHASH_BUCKETS: usize = 1;
/// Buckets moved per cron tick (Redis moves 100-bucket batches for up to 1 ms;
/// a fixed amount of work is the deterministic analogue).
pub const CRON_REHASH_BUCKETS: usize = 1000;

/// A key with its value and access data, as stored.
pub struct Node {
    pub key: Key,
    pub obj: Obj,
    /// Redis's 24-bit `lru` field (LRU clock or LFU data) below
    /// [`SNAPSHOT_MARK`], which lives in the spare top bits rather than
    /// making every entry 8 bytes larger.
    access: u32,
    next: u32,
}

/// The bits of [`Node::lru`].
const LRU_BITS: u32 = (1 << 24) - 1;
/// An entry's snapshot mark (see `snapshot.rs`).
const SNAPSHOT_MARK: u32 = 1 << 31;

impl Node {
    pub fn new(key: Key, obj: Obj, lru: u32) -> Node {
        Node { key, obj, access: lru & LRU_BITS, next: NIL }
    }

    /// Redis's 24-bit `lru` field (LRU clock or LFU data).
    #[inline]
    pub fn lru(&self) -> u32 {
        self.access & LRU_BITS
    }

    #[inline]
    pub fn set_lru(&mut self, lru: u32) {
        self.access = (self.access & !LRU_BITS) | (lru & LRU_BITS);
    }

    /// The entry's snapshot mark: whether it matches its database's
    /// current mark says whether a snapshot under way still has to copy it.
    #[inline]
    pub fn mark(&self) -> bool {
        self.access & SNAPSHOT_MARK != 0
    }

    #[inline]
    pub fn set_mark(&mut self, mark: bool) {
        self.access = (self.access & !SNAPSHOT_MARK) | if mark { SNAPSHOT_MARK } else { 0 };
    }
}

/// A node of a key with an expire time.
struct VolatileNode {
    node: Node,
    deadline: i64,
}

/// The entries of a table given up by [`Dict::into_teardown`], still in
/// their slab chunks: dropping millions of entries (each possibly owning a
/// key and a value on the heap) at once would stall the server, so they are
/// taken out a few at a time, and each chunk is freed once emptied.
pub struct Teardown {
    plain: Vec<Box<[Option<Node>]>>,
    volatile: Vec<Box<[Option<VolatileNode>]>>,
    /// Cells of the last chunk already visited (of `volatile` while it has
    /// chunks, then of `plain`).
    visited: usize,
}

impl Teardown {
    /// Visits up to `max_cells` slab cells, handing each entry found to
    /// `each`, which owns it from then on; a chunk is freed once visited.
    /// Returns the cells visited, 0 once every chunk is gone.
    pub fn pop_entries(&mut self, max_cells: usize, mut each: impl FnMut(Node)) -> usize {
        let mut cells = 0;
        while cells < max_cells {
            if let Some(chunk) = self.volatile.last_mut() {
                cells += take_cells(chunk, &mut self.visited, max_cells - cells, |v| each(v.node));
                if self.visited == chunk.len() {
                    self.volatile.pop();
                    self.visited = 0;
                }
            } else if let Some(chunk) = self.plain.last_mut() {
                cells += take_cells(chunk, &mut self.visited, max_cells - cells, &mut each);
                if self.visited == chunk.len() {
                    self.plain.pop();
                    self.visited = 0;
                }
            } else {
                break;
            }
        }
        cells
    }
}

/// Visits up to `max` cells of `chunk` from cell `visited` on, handing the
/// entries to `each`; returns the cells visited.
fn take_cells<T>(chunk: &mut [Option<T>], visited: &mut usize, max: usize, mut each: impl FnMut(T)) -> usize {
    let end = chunk.len().min(*visited + max);
    for cell in &mut chunk[*visited..end] {
        if let Some(v) = cell.take() {
            each(v);
        }
    }
    let n = end - *visited;
    *visited = end;
    n
}

/// A place in a walk over a table's entries ([`Dict::walk`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkPos {
    volatile: bool,
    index: u32,
}

/// Where a link to an entry is stored: a bucket head or a predecessor's `next`.
enum LinkSlot {
    Bucket(usize, usize),
    After(u32),
}

#[derive(Default)]
pub struct Dict {
    /// Table 0, and table 1 while rehashing. Sizes are powers of two; an
    /// empty vector is a table not allocated.
    tables: [Vec<u32>; 2],
    used: [usize; 2],
    /// The next bucket of table 0 to move; `None` when not rehashing.
    rehash_idx: Option<usize>,
    plain: Slab<Node>,
    volatile: Slab<VolatileNode>,
}

#[inline]
fn index_of(link: u32) -> u32 {
    (link & !VOLATILE) - 1
}

#[inline]
pub fn is_volatile(link: u32) -> bool {
    link & VOLATILE != 0
}

#[inline]
fn bucket(hash: u64, table: &[u32]) -> usize {
    hash as usize & (table.len() - 1)
}

impl Dict {
    pub fn len(&self) -> usize {
        self.used[0] + self.used[1]
    }

    #[cfg(test)]
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Bucket counts of both tables (0 for a table not allocated).
    #[cfg(test)]
    pub fn sizes(&self) -> (usize, usize) {
        (self.tables[0].len(), self.tables[1].len())
    }

    #[inline]
    pub fn node(&self, link: u32) -> &Node {
        if is_volatile(link) {
            &self.volatile.get(index_of(link)).node
        } else {
            self.plain.get(index_of(link))
        }
    }

    #[inline]
    pub fn node_mut(&mut self, link: u32) -> &mut Node {
        if is_volatile(link) {
            &mut self.volatile.get_mut(index_of(link)).node
        } else {
            self.plain.get_mut(index_of(link))
        }
    }

    /// The expire time of the entry at `link`, if it has one.
    #[inline]
    pub fn deadline(&self, link: u32) -> Option<i64> {
        is_volatile(link).then(|| self.volatile.get(index_of(link)).deadline)
    }

    /// Starts loading the buckets `hash` falls in (see `prefetch.rs`).
    #[inline]
    pub fn prefetch_buckets(&self, hash: u64) {
        for table in self.tables.iter().filter(|t| !t.is_empty()) {
            prefetch(&table[bucket(hash, table)]);
        }
    }

    /// Starts loading the first entry of the chains `hash` falls in; best
    /// after [`Dict::prefetch_buckets`] had time to bring the buckets in.
    #[inline]
    pub fn prefetch_heads(&self, hash: u64) {
        for table in self.tables.iter().filter(|t| !t.is_empty()) {
            let link = table[bucket(hash, table)];
            if link == NIL {
                continue;
            }
            if is_volatile(link) {
                prefetch(self.volatile.cell(index_of(link)));
            } else {
                prefetch(self.plain.cell(index_of(link)));
            }
        }
    }

    /// The entry holding `key`, or [`NIL`].
    #[inline]
    pub fn find(&self, hash: u64, key: &[u8]) -> u32 {
        for t in 0..2 {
            let table = &self.tables[t];
            if table.is_empty() {
                break;
            }
            let mut link = table[bucket(hash, table)];
            while link != NIL {
                let node = self.node(link);
                if node.key.as_bytes() == key {
                    return link;
                }
                link = node.next;
            }
            if self.rehash_idx.is_none() {
                break;
            }
        }
        NIL
    }

    /// One bounded rehash step, if a rehash is under way (Redis's `_dictRehashStep`).
    #[inline]
    pub fn rehash_step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(OP_REHASH_BUCKETS);
        }
    }

    /// Moves up to `n` buckets from table 0 to table 1, visiting at most
    /// `10 n` empty buckets; true while there is more to move.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else { return false };
        let mut empty_visits = n * 10;
        let mut n = n;
        while n > 0 && self.used[0] != 0 {
            n -= 1;
            while self.tables[0][idx] == NIL {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut link = std::mem::replace(&mut self.tables[0][idx], NIL);
            while link != NIL {
                let node = self.node(link);
                let next = node.next;
                let b = bucket(hash_key(node.key.as_bytes()), &self.tables[1]);
                let head = self.tables[1][b];
                self.node_mut(link).next = head;
                self.tables[1][b] = link;
                self.used[0] -= 1;
                self.used[1] += 1;
                link = next;
            }
            idx += 1;
        }
        if self.used[0] == 0 {
            self.tables[0] = std::mem::take(&mut self.tables[1]);
            self.used = [self.used[1], 0];
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Starts a resize to the smallest power of two holding `min_size`
    /// (Redis's `dictExpand` / `dictResize`).
    fn resize(&mut self, min_size: usize) {
        let size = min_size.max(INITIAL_SIZE).next_power_of_two();
        if self.rehash_idx.is_some() || size == self.tables[0].len() {
            return;
        }
        // Zeroed memory: a large table costs no more than its page mappings.
        let table = vec![NIL; size];
        if self.tables[0].is_empty() {
            self.tables[0] = table;
        } else {
            self.tables[1] = table;
            self.rehash_idx = Some(0);
        }
    }

    /// Sizes an empty table for `n` keys at once, so that filling it never
    /// rehashes (loading, as Redis sizes its tables from RESIZEDB).
    pub fn reserve(&mut self, n: usize) {
        if self.len() == 0 && self.rehash_idx.is_none() && self.tables[0].len() < n {
            self.tables[0] = vec![NIL; n.max(INITIAL_SIZE).next_power_of_two()];
        }
    }

    /// Grows when there are as many keys as buckets (Redis's `_dictExpandIfNeeded`).
    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        if self.tables[0].is_empty() {
            self.resize(INITIAL_SIZE);
        } else if self.used[0] >= self.tables[0].len() {
            self.resize(self.used[0] + 1);
        }
    }

    /// Shrinks a table below 10% fill (Redis's `htNeedsResize` + `dictResize`, from the cron).
    pub fn shrink_if_needed(&mut self) {
        let size = self.tables[0].len();
        if self.rehash_idx.is_none() && size > INITIAL_SIZE && self.used[0] * 100 / size < MIN_FILL_PERCENT {
            self.resize(self.used[0]);
        }
    }

    /// Adds an entry for a key that is not in the table; returns its link.
    pub fn insert(&mut self, hash: u64, node: Node, deadline: Option<i64>) -> u32 {
        self.rehash_step();
        self.expand_if_needed();
        let t = if self.rehash_idx.is_some() { 1 } else { 0 };
        let link = match deadline {
            None => self.plain.insert(node) + 1,
            Some(deadline) => (self.volatile.insert(VolatileNode { node, deadline }) + 1) | VOLATILE,
        };
        let b = bucket(hash, &self.tables[t]);
        self.node_mut(link).next = self.tables[t][b];
        self.tables[t][b] = link;
        self.used[t] += 1;
        link
    }

    /// Where the link to `link`'s entry is stored.
    fn slot_of(&self, hash: u64, link: u32) -> (usize, LinkSlot) {
        for t in 0..2 {
            let table = &self.tables[t];
            if table.is_empty() {
                break;
            }
            let b = bucket(hash, table);
            if table[b] == link {
                return (t, LinkSlot::Bucket(t, b));
            }
            let mut prev = table[b];
            while prev != NIL {
                let next = self.node(prev).next;
                if next == link {
                    return (t, LinkSlot::After(prev));
                }
                prev = next;
            }
        }
        unreachable!("an entry in use is linked from its bucket")
    }

    fn set_slot(&mut self, slot: LinkSlot, link: u32) {
        match slot {
            LinkSlot::Bucket(t, b) => self.tables[t][b] = link,
            LinkSlot::After(prev) => self.node_mut(prev).next = link,
        }
    }

    /// Takes the entry at `link` (of a key hashing to `hash`) out of the table.
    pub fn remove(&mut self, hash: u64, link: u32) -> (Node, Option<i64>) {
        let (t, slot) = self.slot_of(hash, link);
        let next = self.node(link).next;
        self.set_slot(slot, next);
        self.used[t] -= 1;
        let (mut node, deadline) = if is_volatile(link) {
            let v = self.volatile.remove(index_of(link));
            (v.node, Some(v.deadline))
        } else {
            (self.plain.remove(index_of(link)), None)
        };
        node.next = NIL;
        (node, deadline)
    }

    /// Gives the entry at `link` a new expire time (or none); returns its
    /// link, which changes when the entry moves between the slabs.
    pub fn set_deadline(&mut self, hash: u64, link: u32, deadline: Option<i64>) -> u32 {
        match (is_volatile(link), deadline) {
            (true, Some(d)) => {
                self.volatile.get_mut(index_of(link)).deadline = d;
                link
            }
            (false, None) => link,
            (true, None) => {
                let (_, slot) = self.slot_of(hash, link);
                let node = self.volatile.remove(index_of(link)).node;
                let moved = self.plain.insert(node) + 1;
                self.set_slot(slot, moved);
                moved
            }
            (false, Some(d)) => {
                let (_, slot) = self.slot_of(hash, link);
                let node = self.plain.remove(index_of(link));
                let moved = (self.volatile.insert(VolatileNode { node, deadline: d }) + 1) | VOLATILE;
                self.set_slot(slot, moved);
                moved
            }
        }
    }

    fn emit_bucket(&self, t: usize, b: u64, out: &mut Vec<u32>) {
        let mut link = self.tables[t][b as usize];
        while link != NIL {
            out.push(link);
            link = self.node(link).next;
        }
    }

    /// One step of Redis's `dictScan`: appends the entries of the bucket(s)
    /// at `cursor` to `out` and returns the next cursor, 0 when done.
    pub fn scan(&self, cursor: u64, out: &mut Vec<u32>) -> u64 {
        if self.len() == 0 {
            return 0;
        }
        let mut v = cursor;
        if self.rehash_idx.is_none() {
            let m0 = (self.tables[0].len() - 1) as u64;
            self.emit_bucket(0, v & m0, out);
            // Set the bits above the mask so that the increment of the
            // reversed cursor carries into the masked bits.
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, big) = if self.tables[0].len() <= self.tables[1].len() { (0, 1) } else { (1, 0) };
            let m0 = (self.tables[small].len() - 1) as u64;
            let m1 = (self.tables[big].len() - 1) as u64;
            self.emit_bucket(small, v & m0, out);
            // Every bucket of the larger table that the small bucket expands to.
            loop {
                self.emit_bucket(big, v & m1, out);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// A random entry (Redis's `dictGetRandomKey`): a random non-empty
    /// bucket, then a random entry of its chain. [`NIL`] when empty.
    pub fn random_link(&self, rng: &mut ChaCha8Rng) -> u32 {
        if self.len() == 0 {
            return NIL;
        }
        let head = loop {
            let (t, b) = match self.rehash_idx {
                // Buckets of table 0 below rehash_idx are empty.
                Some(idx) => {
                    let (s0, s1) = (self.tables[0].len(), self.tables[1].len());
                    let h = idx + rng.gen_range(0..s0 + s1 - idx);
                    if h >= s0 {
                        (1, h - s0)
                    } else {
                        (0, h)
                    }
                }
                None => (0, rng.gen_range(0..self.tables[0].len())),
            };
            let head = self.tables[t][b];
            if head != NIL {
                break head;
            }
        };
        let mut len = 0;
        let mut link = head;
        while link != NIL {
            len += 1;
            link = self.node(link).next;
        }
        let mut link = head;
        for _ in 0..rng.gen_range(0..len) {
            link = self.node(link).next;
        }
        link
    }

    /// Appends the links of up to `max` slab cells from `pos` on to `out`
    /// (persistent keys first, in slab order, as [`Dict::links`]) and moves
    /// `pos` past them; false once the walk has passed the last cell.
    /// Entries that move between the slabs (an expire time set or removed)
    /// or are added while a walk is under way may be passed over; the
    /// snapshot that walks copies those before they change.
    pub fn walk(&self, pos: &mut WalkPos, max: usize, out: &mut Vec<u32>) -> bool {
        for _ in 0..max {
            let end = if pos.volatile { self.volatile.fresh() } else { self.plain.fresh() };
            if pos.index >= end {
                if pos.volatile {
                    return false;
                }
                *pos = WalkPos { volatile: true, index: 0 };
                continue;
            }
            let in_use = if pos.volatile {
                self.volatile.cell(pos.index).is_some()
            } else {
                self.plain.cell(pos.index).is_some()
            };
            if in_use {
                out.push(if pos.volatile { (pos.index + 1) | VOLATILE } else { pos.index + 1 });
            }
            pos.index += 1;
        }
        true
    }

    /// Every entry, persistent keys first, in slab order.
    pub fn links(&self) -> impl Iterator<Item = u32> + '_ {
        self.plain.indexes().map(|i| i + 1).chain(self.volatile.indexes().map(|i| (i + 1) | VOLATILE))
    }

    /// Gives the table up for freeing in bounded steps (FLUSHALL ASYNC): the
    /// bucket arrays go at once (one allocation each), the entries stay in
    /// their slab chunks for [`Teardown::pop_entries`].
    pub fn into_teardown(self) -> Teardown {
        Teardown { plain: self.plain.into_chunks(), volatile: self.volatile.into_chunks(), visited: 0 }
    }

    /// Bytes of tables and slabs, for INFO memory.
    pub fn reserved_bytes(&self) -> usize {
        (self.tables[0].len() + self.tables[1].len()) * 4 + self.plain.reserved_bytes() + self.volatile.reserved_bytes()
    }

    /// Checks the table's invariants (tests): every entry is reachable from
    /// the bucket its hash picks, counts match, no bucket below the rehash
    /// index is used.
    #[cfg(test)]
    pub fn check(&self) {
        let mut seen = 0;
        for t in 0..2 {
            let table = &self.tables[t];
            let mut used = 0;
            for (b, &head) in table.iter().enumerate() {
                if t == 0 {
                    if let Some(idx) = self.rehash_idx {
                        assert!(b >= idx || head == NIL, "bucket {b} below rehash index {idx} in use");
                    }
                }
                let mut link = head;
                while link != NIL {
                    let node = self.node(link);
                    assert_eq!(bucket(hash_key(node.key.as_bytes()), table), b);
                    used += 1;
                    link = node.next;
                }
            }
            assert_eq!(used, self.used[t]);
            seen += used;
        }
        assert_eq!(seen, self.plain.len() + self.volatile.len());
        assert_eq!(self.rehash_idx.is_some(), !self.tables[1].is_empty());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rand::SeedableRng;

    use super::*;

    fn add(d: &mut Dict, key: &str, deadline: Option<i64>) -> u32 {
        let h = hash_key(key.as_bytes());
        assert_eq!(d.find(h, key.as_bytes()), NIL);
        d.insert(h, Node::new(Key::new(key.as_bytes()), Obj::plain(b"v"), 0), deadline)
    }

    fn del(d: &mut Dict, key: &str) -> bool {
        let h = hash_key(key.as_bytes());
        d.rehash_step();
        let link = d.find(h, key.as_bytes());
        if link == NIL {
            return false;
        }
        d.remove(h, link);
        true
    }

    fn scan_all(d: &Dict) -> Vec<String> {
        let mut out = Vec::new();
        let mut links = Vec::new();
        let mut cursor = 0;
        loop {
            links.clear();
            cursor = d.scan(cursor, &mut links);
            out.extend(links.iter().map(|&l| String::from_utf8(d.node(l).key.as_bytes().to_vec()).unwrap()));
            if cursor == 0 {
                return out;
            }
        }
    }

    #[test]
    fn grows_incrementally_and_keeps_every_key() {
        let mut d = Dict::default();
        let mut max_moved_per_insert = 0;
        for i in 0..20_000 {
            let before = d.sizes();
            add(&mut d, &format!("key:{i}"), if i % 3 == 0 { Some(i) } else { None });
            // A resize only allocates; moving happens a bucket at a time.
            if before.1 == 0 && d.sizes().1 != 0 {
                max_moved_per_insert = max_moved_per_insert.max(d.used[1]);
            }
        }
        assert!(max_moved_per_insert <= 8, "an expansion moved {max_moved_per_insert} keys at once");
        d.check();
        for i in 0..20_000 {
            let key = format!("key:{i}");
            let link = d.find(hash_key(key.as_bytes()), key.as_bytes());
            assert_ne!(link, NIL, "{key}");
            assert_eq!(d.deadline(link), if i % 3 == 0 { Some(i) } else { None });
        }
        let mut scanned = scan_all(&d);
        scanned.sort();
        scanned.dedup();
        assert_eq!(scanned.len(), 20_000);
    }

    #[test]
    fn shrinks_from_the_cron() {
        let mut d = Dict::default();
        for i in 0..4096 {
            add(&mut d, &format!("k{i}"), None);
        }
        while d.rehash(1000) {}
        for i in 0..4000 {
            assert!(del(&mut d, &format!("k{i}")));
        }
        d.shrink_if_needed();
        assert!(d.is_rehashing());
        while d.rehash(100) {}
        assert_eq!(d.sizes(), (128, 0));
        d.check();
    }

    #[test]
    fn deadlines_move_entries_between_slabs() {
        let mut d = Dict::default();
        let links: Vec<u32> = (0..50).map(|i| add(&mut d, &format!("k{i}"), None)).collect();
        for (i, &link) in links.iter().enumerate() {
            let key = format!("k{i}");
            let h = hash_key(key.as_bytes());
            let v = d.set_deadline(h, link, Some(i as i64));
            assert!(is_volatile(v));
            assert_eq!(d.find(h, key.as_bytes()), v);
            if i % 2 == 0 {
                let p = d.set_deadline(h, v, None);
                assert_eq!(d.deadline(p), None);
                assert_eq!(d.find(h, key.as_bytes()), p);
            }
        }
        d.check();
    }

    /// Redis's guarantee: a key present for the whole iteration is returned,
    /// however the table grows, shrinks or rehashes between calls.
    #[test]
    fn scan_returns_survivors_across_resizes() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for round in 0..20 {
            let mut d = Dict::default();
            let survivors: Vec<String> = (0..300).map(|i| format!("s{round}:{i}")).collect();
            for k in &survivors {
                add(&mut d, k, None);
            }
            let mut extra = 0;
            let mut live_extra = Vec::new();
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            let mut links = Vec::new();
            loop {
                links.clear();
                cursor = d.scan(cursor, &mut links);
                seen.extend(links.iter().map(|&l| d.node(l).key.as_bytes().to_vec()));
                // Churn: bursts of inserts (growth) or deletes (then a shrink).
                match rng.gen_range(0..4) {
                    0 => {
                        for _ in 0..rng.gen_range(0..400) {
                            let k = format!("x{round}:{extra}");
                            add(&mut d, &k, None);
                            live_extra.push(k);
                            extra += 1;
                        }
                    }
                    1 => {
                        for k in live_extra.drain(..) {
                            assert!(del(&mut d, &k));
                        }
                        d.shrink_if_needed();
                    }
                    2 => {
                        d.rehash(rng.gen_range(1..50));
                    }
                    _ => {}
                }
                if cursor == 0 {
                    break;
                }
            }
            d.check();
            for k in &survivors {
                assert!(seen.contains(k.as_bytes()), "round {round}: {k} missed");
            }
        }
    }

    #[test]
    fn random_links_cover_the_table() {
        let mut d = Dict::default();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        assert_eq!(d.random_link(&mut rng), NIL);
        for i in 0..40 {
            add(&mut d, &format!("r{i}"), None);
        }
        let mut seen = BTreeSet::new();
        for _ in 0..2000 {
            seen.insert(d.random_link(&mut rng));
        }
        assert_eq!(seen.len(), 40);
    }
}
