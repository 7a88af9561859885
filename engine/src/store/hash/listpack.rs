//! The "listpack" encoding of small hashes: field/value pairs in insertion
//! order, packed into one byte buffer.
//!
//! Redis keeps a hash of at most `hash-max-listpack-entries` pairs, none
//! longer than `hash-max-listpack-value`, as a listpack; HGETALL, HSCAN and
//! random draws see the pairs in insertion order (an updated value keeps
//! its field's place), as the model's `Vec` of pairs does. Here each pair
//! is a field and a value, each behind a varint length, one after another
//! in a single allocation. At the sizes a listpack is allowed to reach
//! (128 pairs by default) a linear scan is as fast as any index.

use super::table::{put_prefixed, split_prefixed, varint_len, Pair};
use crate::store::prefetch::prefetch_lines;

#[derive(Clone, Debug, Default)]
pub struct Listpack {
    buf: Vec<u8>,
    len: usize,
}

/// Where a pair sits in the buffer.
struct Found {
    /// First byte of the pair.
    start: usize,
    /// First byte of the value's length.
    value_at: usize,
    /// One past the value.
    end: usize,
}

impl Listpack {
    /// Starts loading the first lines of the bytes, which lookups scan.
    pub fn prefetch(&self) {
        prefetch_lines(&self.buf, 4);
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The pairs in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.buf }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let f = self.find(field)?;
        Some(split_prefixed(&self.buf[f.value_at..f.end]).0)
    }

    /// Sets `field` to `value`; true if the field is new (added at the end).
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(f) if f.end - f.value_at == varint_len(value.len()) + value.len() => {
                // Same length: the new value goes over the old one.
                self.buf[f.end - value.len()..f.end].copy_from_slice(value);
                false
            }
            Some(f) => {
                let mut packed = Vec::with_capacity(varint_len(value.len()) + value.len());
                put_prefixed(&mut packed, value);
                self.buf.splice(f.value_at..f.end, packed);
                false
            }
            None => {
                self.push(field, value);
                true
            }
        }
    }

    /// Appends a pair whose field the caller knows to be absent (loading).
    pub fn push(&mut self, field: &[u8], value: &[u8]) {
        put_prefixed(&mut self.buf, field);
        put_prefixed(&mut self.buf, value);
        self.len += 1;
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.find(field) {
            Some(f) => {
                self.buf.drain(f.start..f.end);
                self.len -= 1;
                true
            }
            None => false,
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    fn find(&self, field: &[u8]) -> Option<Found> {
        let mut at = 0;
        while at < self.buf.len() {
            let (f, rest) = split_prefixed(&self.buf[at..]);
            let value_at = self.buf.len() - rest.len();
            let (_, rest) = split_prefixed(rest);
            let end = self.buf.len() - rest.len();
            if f == field {
                return Some(Found { start: at, value_at, end });
            }
            at = end;
        }
        None
    }
}

/// A listpack's pairs, front to back.
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (field, rest) = split_prefixed(self.rest);
        let (value, rest) = split_prefixed(rest);
        self.rest = rest;
        Some((field, value))
    }
}
