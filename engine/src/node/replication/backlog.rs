//! The replication backlog: the last `repl-backlog-size` bytes of the
//! replication stream, so that a replica whose link broke can continue from
//! where it stopped (`+CONTINUE`) instead of loading a whole snapshot again.
//!
//! Offsets are Redis's: the stream's bytes are numbered from 1, and the
//! backlog holds bytes `first..=last` where `last` is the master's
//! replication offset.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Backlog {
    bytes: VecDeque<u8>,
    capacity: usize,
    /// Offset of the first byte held (Redis's `repl_backlog_first_byte_offset`).
    first: u64,
}

impl Backlog {
    /// An empty backlog whose next byte will be number `offset + 1`.
    pub fn new(capacity: usize, offset: u64) -> Backlog {
        Backlog { bytes: VecDeque::new(), capacity: capacity.max(1), first: offset + 1 }
    }

    /// Appends stream bytes, dropping the oldest past the capacity.
    pub fn feed(&mut self, data: &[u8]) {
        self.bytes.extend(data);
        let excess = self.bytes.len().saturating_sub(self.capacity);
        if excess > 0 {
            self.bytes.drain(..excess);
            self.first += excess as u64;
        }
    }

    /// CONFIG SET repl-backlog-size: keeps the newest bytes that still fit.
    pub fn resize(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        self.feed(&[]);
    }

    /// The bytes from offset `from` (the first byte a replica lacks) to the
    /// end, or `None` when the backlog no longer (or never) held them.
    pub fn since(&self, from: u64) -> Option<Vec<u8>> {
        let end = self.first + self.bytes.len() as u64;
        if from < self.first || from > end {
            return None;
        }
        Some(self.bytes.range((from - self.first) as usize..).copied().collect())
    }

    /// Offset of the first byte held.
    pub fn first_byte_offset(&self) -> u64 {
        self.first
    }

    /// Bytes held (INFO `repl_backlog_histlen`).
    pub fn histlen(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_bytes_and_serves_any_offset_it_still_holds() {
        let mut b = Backlog::new(8, 100);
        b.feed(b"abcdef");
        assert_eq!(b.first_byte_offset(), 101);
        assert_eq!(b.since(101).unwrap(), b"abcdef");
        assert_eq!(b.since(104).unwrap(), b"def");
        assert_eq!(b.since(107).unwrap(), b"", "a replica that has everything gets nothing");
        assert_eq!(b.since(108), None, "an offset from the future");
        b.feed(b"ghij");
        assert_eq!(b.histlen(), 8);
        assert_eq!(b.first_byte_offset(), 103);
        assert_eq!(b.since(102), None, "dropped");
        assert_eq!(b.since(103).unwrap(), b"cdefghij");
        b.resize(3);
        assert_eq!(b.since(108).unwrap(), b"hij");
        assert_eq!(b.since(107), None);
    }
}
