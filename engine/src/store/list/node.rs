//! One quicklist node: a run of entries (see `entry.rs`) in one buffer.
//!
//! The entries sit in `buf[head..tail]` with free room on both sides, so a
//! push at either end writes in place (amortized O(1), like a deque) where
//! Redis's listpack moves the whole node for every push at its head. An
//! insertion or removal inside the node moves the shorter side only. The
//! buffer grows by doubling up to the node's size limit, so that a full node
//! wastes little, and shrinks when most of it is free.

use super::entry::{decode, entry_len, start_before, Elem};
use crate::store::prefetch::{prefetch, prefetch_lines};

#[derive(Clone, Debug, Default)]
pub struct Node {
    buf: Box<[u8]>,
    head: usize,
    tail: usize,
    count: usize,
}

impl Node {
    /// Starts loading the first and the last entries' bytes, where pushes,
    /// pops and ranges from either end start.
    pub fn prefetch_ends(&self) {
        let data = self.data();
        prefetch_lines(data, 1);
        if data.len() > 64 {
            prefetch(&data[data.len() - 1]);
        }
    }

    /// Number of entries.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Bytes the entries take.
    pub fn bytes(&self) -> usize {
        self.tail - self.head
    }

    /// Bytes allocated.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.head..self.tail]
    }

    /// The entries from the first.
    pub fn iter(&self) -> Entries<'_> {
        Entries { data: self.data(), front: 0, back: self.bytes() }
    }

    /// The entries from `offset` (an entry's start) to the end.
    pub fn iter_from(&self, offset: usize) -> Entries<'_> {
        Entries { data: self.data(), front: offset, back: self.bytes() }
    }

    /// The start of entry `i` (`i == count`: the end), walking from the nearer end.
    pub fn offset_of(&self, i: usize) -> usize {
        debug_assert!(i <= self.count);
        let data = self.data();
        if i <= self.count / 2 {
            let mut at = 0;
            for _ in 0..i {
                at += entry_len(data, at);
            }
            at
        } else {
            let mut at = data.len();
            for _ in i..self.count {
                at = start_before(data, at);
            }
            at
        }
    }

    /// The entry starting at `offset` and its length.
    pub fn entry_at(&self, offset: usize) -> (Elem<'_>, usize) {
        decode(self.data(), offset)
    }

    /// Inserts `e` at `offset` (an entry boundary). `limit` is the size the
    /// buffer may double up to.
    pub fn insert(&mut self, offset: usize, e: &Elem<'_>, limit: usize) {
        let n = e.encoded_len();
        let at = self.open_gap(offset, n, limit);
        e.write(&mut self.buf[at..at + n]);
        self.count += 1;
    }

    pub fn push_front(&mut self, e: &Elem<'_>, limit: usize) {
        self.insert(0, e, limit);
    }

    pub fn push_back(&mut self, e: &Elem<'_>, limit: usize) {
        self.insert(self.bytes(), e, limit);
    }

    /// Makes `n` bytes of room at `offset` and returns where they start in `buf`.
    fn open_gap(&mut self, offset: usize, n: usize, limit: usize) -> usize {
        let len = self.bytes();
        let (front_room, back_room) = (self.head, self.buf.len() - self.tail);
        // Which side moves into the room next to it: at an end only that
        // end's room is used (moving the whole node for every push would
        // make pushes O(node)); inside, the shorter side moves.
        let back = back_room >= n;
        let front = front_room >= n;
        let move_back = if offset == len {
            back
        } else if offset == 0 {
            false
        } else {
            back && (len - offset <= offset || !front)
        };
        if move_back {
            let at = self.head + offset;
            self.buf.copy_within(at..self.tail, at + n);
            self.tail += n;
            return at;
        }
        if front && offset != len {
            let start = self.head;
            self.buf.copy_within(start..start + offset, start - n);
            self.head -= n;
            return self.head + offset;
        }
        // A bigger buffer (doubling up to the node limit), or the same size
        // with the room moved where it is needed.
        let needed = len + n;
        let cap = needed.max((self.buf.len() * 2).min(limit));
        let free = cap - needed;
        // Room at an end goes to that end, where the next pushes will come;
        // inside, it is split.
        let front = if offset == len {
            0
        } else if offset == 0 {
            free
        } else {
            free / 2
        };
        self.relocate(cap, front, Some((offset, n)));
        front + offset
    }

    /// Moves the entries into a buffer of `cap` bytes starting at `front`,
    /// leaving a gap of `gap.1` bytes at entry offset `gap.0`.
    fn relocate(&mut self, cap: usize, front: usize, gap: Option<(usize, usize)>) {
        let (offset, n) = gap.unwrap_or((0, 0));
        let old = self.data();
        let mut buf = vec![0u8; cap].into_boxed_slice();
        buf[front..front + offset].copy_from_slice(&old[..offset]);
        buf[front + offset + n..front + old.len() + n].copy_from_slice(&old[offset..]);
        self.tail = front + old.len() + n;
        self.head = front;
        self.buf = buf;
    }

    /// Removes `len` bytes holding `entries` entries at `offset`.
    pub fn remove(&mut self, offset: usize, len: usize, entries: usize) {
        let after = self.bytes() - offset - len;
        if offset < after {
            let start = self.head;
            self.buf.copy_within(start..start + offset, start + len);
            self.head += len;
        } else {
            let at = self.head + offset;
            self.buf.copy_within(at + len..self.tail, at);
            self.tail -= len;
        }
        self.count -= entries;
        self.shrink_if_sparse();
    }

    /// Removes the first `entries` entries.
    pub fn remove_front(&mut self, entries: usize) {
        let end = self.offset_of(entries);
        self.remove(0, end, entries);
    }

    /// Removes the last `entries` entries.
    pub fn remove_back(&mut self, entries: usize) {
        let start = self.offset_of(self.count - entries);
        self.remove(start, self.bytes() - start, entries);
    }

    /// Replaces the entry of `old_len` bytes at `offset` by `e`.
    pub fn replace(&mut self, offset: usize, old_len: usize, e: &Elem<'_>, limit: usize) {
        let n = e.encoded_len();
        if n == old_len {
            let at = self.head + offset;
            e.write(&mut self.buf[at..at + n]);
            return;
        }
        self.remove(offset, old_len, 1);
        self.insert(offset, e, limit);
    }

    /// Cuts the node at `offset` (an entry boundary, after `entries`
    /// entries): this node keeps the front, the back is returned.
    pub fn split_off(&mut self, offset: usize, entries: usize) -> Node {
        let back = &self.data()[offset..];
        let right = Node { buf: back.into(), head: 0, tail: back.len(), count: self.count - entries };
        self.tail = self.head + offset;
        self.count = entries;
        self.shrink_if_sparse();
        right
    }

    /// Appends `other`'s entries.
    pub fn append(&mut self, other: &Node, limit: usize) {
        let n = other.bytes();
        let at = self.open_gap(self.bytes(), n, limit);
        self.buf[at..at + n].copy_from_slice(other.data());
        self.count += other.count;
    }

    /// Keeps the entries `keep` accepts, in order (`keep` sees them from the
    /// first), closing the holes in one pass; returns how many were removed.
    pub fn retain(&mut self, mut keep: impl FnMut(Elem<'_>) -> bool) -> usize {
        let (mut read, mut write) = (self.head, self.head);
        let mut removed = 0;
        while read < self.tail {
            let (e, len) = decode(&self.buf, read);
            if keep(e) {
                if write != read {
                    self.buf.copy_within(read..read + len, write);
                }
                write += len;
            } else {
                removed += 1;
            }
            read += len;
        }
        self.tail = write;
        self.count -= removed;
        self.shrink_if_sparse();
        removed
    }

    /// Gives back the room of a buffer mostly free (after removals), so a
    /// list that shrank does not keep its peak memory.
    fn shrink_if_sparse(&mut self) {
        let len = self.bytes();
        if self.buf.len() > 64 && self.buf.len() > 4 * len {
            self.relocate(len * 2, len / 2, None);
        }
    }

    /// Drops all free room (a node that stopped growing).
    pub fn shrink_to_fit(&mut self) {
        if self.buf.len() != self.bytes() {
            self.relocate(self.bytes(), 0, None);
        }
    }
}

/// A node's entries, from either end.
pub struct Entries<'a> {
    data: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        if self.front >= self.back {
            return None;
        }
        let (e, len) = decode(self.data, self.front);
        self.front += len;
        Some(e)
    }
}

impl DoubleEndedIterator for Entries<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back = start_before(self.data, self.back);
        Some(decode(self.data, self.back).0)
    }
}
